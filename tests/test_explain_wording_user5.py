"""Grounded sentences for unmeasured leads and ST depression read correctly (user5 D1, D3)."""

import numpy as np
import pandas as pd
import shap

from interp_ecg.explain import explain_row
from interp_ecg.explain.grounded import Attribution


def _sentences(row, features):
    data = np.array([[float(row.get(f, np.nan)) for f in features]])
    values = np.linspace(0.30, 0.02, len(features))[None, :]
    ex = shap.Explanation(values=values, data=data, feature_names=features, base_values=np.array([0.2]))
    ge = explain_row(ex, 0, feature_row=row, top=len(features), target="LVH")
    return {a.feature: a.sentence for a in ge.attributions}


def test_leads_without_measurements_without_delineation():
    # measured on I, II, V1 only; no delineation given: the row cannot tell absent from unusable
    row = pd.Series({"R_amp_mV_I": 0.8, "R_amp_mV_II": 1.1, "S_amp_mV_V1": -1.2, "R_amp_mV_V5": np.nan,
                     "R_amp_mV_V6": np.nan, "S_amp_mV_V5": np.nan, "S_amp_mV_V6": np.nan, "R_amp_mV_III": np.nan,
                     "Sokolow_Lyon_mV": np.nan, "quality_ok": True, "quality_reason": ""})
    got = _sentences(row, ["Sokolow_Lyon_mV", "R_amp_mV_III"])
    # old: "(it needs V1, V5, V6: V5 was the record has no usable V5; V6 was the record has no usable V6)"
    assert "(it needs V1, V5, V6: V5 and V6 are absent from the record or unusable)" in got["Sokolow_Lyon_mV"]
    assert "R amplitude in III not measured (III is absent from the record or unusable)" in got["R_amp_mV_III"]
    assert "no usable" not in " ".join(got.values())


def test_set_aside_and_absent_leads_grouped_with_their_own_verbs():
    row = pd.Series({"S_amp_mV_V1": -1.2, "R_amp_mV_V5": np.nan, "R_amp_mV_V6": np.nan, "S_amp_mV_V5": np.nan,
                     "S_amp_mV_V6": np.nan, "Sokolow_Lyon_mV": np.nan, "quality_ok": True,
                     "quality_noisy_leads": "V5", "quality_reason": ""})
    got = _sentences(row, ["Sokolow_Lyon_mV"])["Sokolow_Lyon_mV"]
    assert "V5 was set aside as noisy; V6 is absent from the record or unusable" in got


def test_st_depression_is_said_as_a_positive_depth():
    a = Attribution("ST60_max_depression_mV", -0.09, "mV", 0.05)
    assert a.describe().startswith("ST60 max depression: a depression of 0.09 mV")  # old: "ST60 max depression -0.09 mV"
    assert Attribution("ST60_max_depression_mV", 0.0, "mV", 0.05).describe().startswith(
        "ST60 max depression: no ST depression")
