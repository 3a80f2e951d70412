"""WCT rule on records measured from fewer than 12 leads (user12 F10, user15): a narrow QRS at
>= 100 bpm from fewer than 11 usable leads is not assessable, a wide one stays WCT with its lead
count in the reason (fewer leads can over-read too: PTB-XL 34, flutter, 86 ms from 12 leads, 164
from II + V5)."""

import numpy as np
import pandas as pd

from interp_ecg.studies.pipeline import training_data
from interp_ecg.studies.wct import (RULE_NOT_ASSESSABLE, WCT_QRS_LEADS, WCT_QRS_MIN_LEADS, wct_rule_label,
                                   wct_rule_outcome)


def test_outcome_per_case():
    # CRBBB 195 read from II+V5 (77 ms) at a tachycardic rate; the same from 12 leads; a wide QRS from
    # two leads; a slow rate from two leads; a missing QRS
    qrs = pd.Series([77.0, 77.0, 162.0, 77.0, np.nan], index=list("abcde"))
    hr = pd.Series([110.0, 110.0, 110.0, 70.0, 110.0], index=list("abcde"))
    leads = pd.Series([2, 12, 2, 2, 12], index=list("abcde"))
    o = wct_rule_outcome(qrs, hr, leads)
    assert o["wct_rule_outcome"].tolist() == [RULE_NOT_ASSESSABLE, "not WCT", "WCT", "not WCT", "not measured"]
    assert o["wct_rule"].tolist()[1:4] == [0.0, 1.0, 0.0]
    assert np.isnan(o.loc["a", "wct_rule"]) and np.isnan(o.loc["e", "wct_rule"])
    assert o.loc["a", "qrs_n_leads"] == 2
    assert "measured from 2 lead(s)" in o.loc["a", "wct_rule_reason"]
    assert f"{WCT_QRS_LEADS}-lead" in o.loc["a", "wct_rule_reason"]
    assert o.loc["b", "wct_rule_reason"] == ""
    # a wide QRS from two leads stays WCT but says it is not the 12-lead QRS (it may be over-read)
    assert "measured from 2 lead(s)" in o.loc["c", "wct_rule_reason"]
    assert "over-read" in o.loc["c", "wct_rule_reason"]
    assert "lower bound" not in " ".join(o["wct_rule_reason"])


def test_one_lead_set_aside_of_twelve_still_measures_the_rule():
    # one lead set aside moved the global QRS by at most 8 ms on PTB-XL (user15): 11 usable leads
    # decide "not WCT", 10 do not
    assert WCT_QRS_MIN_LEADS == 11
    o = wct_rule_outcome(pd.Series([95.0, 95.0]), pd.Series([130.0, 130.0]), pd.Series([11, 10]))
    assert o["wct_rule_outcome"].tolist() == ["not WCT", RULE_NOT_ASSESSABLE]
    assert o["wct_rule_reason"].tolist()[0] == ""


def test_unknown_lead_count_is_not_twelve():
    o = wct_rule_outcome(pd.Series([90.0]), pd.Series([120.0]), pd.Series([np.nan]))
    assert o["wct_rule_outcome"].tolist() == [RULE_NOT_ASSESSABLE]
    assert "unknown number of" in o["wct_rule_reason"].iloc[0]


def test_label_without_lead_count_is_unchanged():
    # a 12-lead machine's own QRS (no lead count): the plain rule
    assert wct_rule_label(pd.Series([150, 150, 90, None]), pd.Series([130, 80, 130, 130])).tolist()[:3] == [
        1.0, 0.0, 0.0]


def test_training_label_uses_the_feature_table_lead_count():
    table = pd.DataFrame({"QRS_duration_ms": [90.0, 90.0, 130.0], "heart_rate_bpm": [120.0, 120.0, 120.0],
                          "quality_n_leads_usable": [2.0, 12.0, 2.0], "quality_ok": True,
                          "patient_id": [1, 2, 3], "R_amplitude_II_mV": [1.0, 0.8, 0.5]},
                         index=pd.Index(["r1", "r2", "r3"], name="ecg_id"))
    X, y, groups, note = training_data(table, label="wct")[:4]
    assert "r1" not in y.dropna().index
    assert y.dropna().to_dict() == {"r2": 0.0, "r3": 1.0}
    assert "1 records with a QRS under 120 ms" in note and "not assessable" in note


def test_holdout_against_ground_truth_keeps_ecgs_with_a_lead_set_aside():
    # user15: the demo's comparison against the simulator's truth silently lost measurable ECGs
    # whose rule was "not assessable"; there the rule is a competitor scored on its own call
    from interp_ecg.studies.wct import holdout_inputs

    f = pd.DataFrame({"QRS_duration_ms": [95.0, 150.0, 95.0], "heart_rate_bpm": [130.0, 130.0, 130.0],
                      "quality_n_leads_usable": [9.0, 12.0, 9.0]})
    m = pd.DataFrame({"patient_id": [1, 2, 3], "sim_wct": [False, True, False]})
    h = holdout_inputs(f, m)
    assert len(h.y_truth) == 3 and h.y_rule.tolist() == [0, 1, 0]
    h2 = holdout_inputs(f, m.drop(columns="sim_wct"))  # the rule is the label: narrow from 9 leads left out
    assert h2.y_truth.tolist() == [1]
