"""Explanations name every lead the measurement set aside, with its reason, and cite none of its values.

Before: ``explain/grounded.py`` knew only the flat, clipped and noisy lead columns. A lead on
a x10 scale read "V5 was set aside" (no reason), and the one limb lead that breaks Einthoven's
identities (delineated, its per-lead values NaN) read "R amplitude in III not measured" with no
reason at all; a value the model was given for a set-aside lead was cited. The quality columns
that set leads aside are now one list, ``features.quality.SET_ASIDE_LEAD_COLUMNS``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shap

from interp_ecg.explain import explain_row
from interp_ecg.explain.grounded import limb_leads_in_doubt, pretty_name, set_aside_leads
from interp_ecg.features import extract_record, measured_fiducials
from interp_ecg.features.dictionary import column_names
from interp_ecg.features.measurements import PER_LEAD_MEASURES
from interp_ecg.features.quality import SET_ASIDE_LEAD_COLUMNS
from interp_ecg.features.synthetic import gaussian_ecg
from interp_ecg.io.leads import STANDARD_LEADS

FS = 500.0
LEADS = list(STANDARD_LEADS)


def _nan_stretch(v: np.ndarray) -> np.ndarray:
    out = v.copy()
    out[1000:1600] = np.nan  # 1.2 s of NaN samples: too long to bridge
    return out


CASES = {
    "scale": ("V5", lambda v: v * 10.0, "quality_scale_leads",
              "V5 was set aside as out of scale with the other limb or chest leads (gain or units error)"),
    "invalid": ("V2", _nan_stretch, "quality_invalid_leads",
                "V2 was set aside for invalid (NaN or infinite) samples"),
    "limb identity": ("III", lambda v: v * 2.0, "quality_limb_identity_leads",
                      "III was set aside for breaking the limb-lead identities (on a wrong scale or not as named)"),
}


@pytest.fixture(scope="module")
def clean_signal() -> np.ndarray:
    sig, _ = gaussian_ecg(hr_bpm=70, qrs_ms=100, qt_ms=400, noise_mV=0.002)
    return sig.astype(np.float64)


def _sentences(row: pd.Series, fid, names: list[str]) -> dict[str, str]:
    data = np.array([[float(row[c]) for c in names]])
    ex = shap.Explanation(values=np.full((1, len(names)), 0.01), data=data, feature_names=names,
                          base_values=np.array([0.5]))
    ge = explain_row(ex, 0, feature_row=row, top=len(names), fiducials=fid, fs=FS)
    return {a.feature: a.sentence for a in ge.attributions}


@pytest.mark.parametrize("case", list(CASES))
def test_a_set_aside_lead_is_named_with_its_reason_and_no_value(clean_signal, case):
    lead, corrupt, column, reason = CASES[case]
    sig = clean_signal.copy()
    sig[LEADS.index(lead)] = corrupt(sig[LEADS.index(lead)])
    row = extract_record(sig, FS, LEADS)
    fid = measured_fiducials(sig, FS, LEADS)
    assert row[column] == lead  # the measurement set it aside
    own = [f"{m}_{lead}" for m in PER_LEAD_MEASURES if f"{m}_{lead}" in row.index]
    names = own + ["QRS_duration_ms", "Sokolow_Lyon_mV"]
    said = _sentences(row, fid, names)
    for feat in own:
        s = said[feat]
        # no value: the name, "not measured", and why
        assert s.startswith(f"{pretty_name(feat)} not measured ({reason})"), s
        assert f"in lead {lead}" not in s, s
    qrs = said["QRS_duration_ms"]
    if case == "limb identity":
        # the lead that breaks the identities is still delineated: it votes in the consensus
        assert "12 usable leads" in qrs and "set aside" not in qrs, qrs
    else:
        assert f"11 usable leads ({reason})" in qrs, qrs


def test_a_value_given_for_a_set_aside_lead_is_not_cited():
    row = pd.Series({"quality_scale_leads": "V5", "quality_n_leads_usable": 11.0, "n_beats_dominant": 10.0})
    ex = shap.Explanation(values=np.array([[0.12]]), data=np.array([[9.83]]), feature_names=["R_amp_mV_V5"],
                          base_values=np.array([0.2]))
    ge = explain_row(ex, 0, feature_row=row, target="LVH")
    s = ge.sentences()[0]
    assert s == ("R amplitude in V5: its value is not cited (V5 was set aside as out of scale with the other "
                 "limb or chest leads (gain or units error)); the model's input for it raised the LVH "
                 "probability by 0.12")
    assert "9.8" not in s


def test_limb_leads_in_doubt_keep_their_values_with_the_doubt_said():
    row = pd.Series({"quality_limb_identity_leads": "I,II,III", "n_beats_dominant": 10.0, "R_amp_mV_II": 1.25})
    assert set_aside_leads(row) == {} and limb_leads_in_doubt(row) == ["I", "II", "III"]
    ex = shap.Explanation(values=np.array([[0.05]]), data=np.array([[1.25]]), feature_names=["R_amp_mV_II"],
                          base_values=np.array([0.2]))
    s = explain_row(ex, 0, feature_row=row).sentences()[0]
    assert s.startswith("R amplitude in II 1.25 mV, in lead II, on its median beat of the 10 dominant beats "
                        "(II may be on another scale or not as named: the limb-lead identities fail and "
                        "cannot tell which of I, II, III is off)"), s


def test_a_composite_names_the_leads_it_left_out():
    row = pd.Series({"quality_noisy_leads": "aVL", "QRS_axis_deg": 60.0})
    ex = shap.Explanation(values=np.array([[0.05]]), data=np.array([[60.0]]), feature_names=["QRS_axis_deg"],
                          base_values=np.array([0.2]))
    s = explain_row(ex, 0, feature_row=row).sentences()[0]
    assert "median beats of I, II, III, aVR, aVF (aVL was set aside as noisy)" in s, s


def test_one_list_of_set_aside_columns():
    """Every lead-list quality column that sets leads aside is in the one list (wander leads are measured)."""
    lead_lists = {c for c in column_names() if c.startswith("quality_") and c.endswith("_leads")}
    listed = [c for c, _ in SET_ASIDE_LEAD_COLUMNS]
    assert len(listed) == len(set(listed))
    assert set(listed) == lead_lists - {"quality_wander_leads"}


def test_hybrid_sentences_name_the_set_aside_lead_and_cite_none_of_its_values(monkeypatch):
    from types import SimpleNamespace

    import interp_ecg.explain.hybrid as hybrid_mod

    names = ["R_amp_mV_V5", "S_amp_mV_V5", "QRS_duration_ms"]
    X = pd.DataFrame([[9.83, np.nan, 98.0]], index=["r1"], columns=names)
    fake = shap.Explanation(values=np.array([[0.12, -0.05, 0.01]]), data=X.to_numpy(), feature_names=names,
                            base_values=np.array([0.2]))
    monkeypatch.setattr(hybrid_mod, "shap_explanation", lambda *a, **k: fake)
    model = SimpleNamespace(ensemble_=None, feature_names_in_=names, prototype_model_=None,
                            features=pd.DataFrame({"quality_scale_leads": ["V5"]}, index=["r1"]))
    lines = hybrid_mod.explain_hybrid_record(model, None, "r1", "LVH", n=3, X=X)
    why = "V5 was set aside as out of scale with the other limb or chest leads (gain or units error)"
    assert lines[0] == f"R amplitude in V5: its value is not cited ({why}); the model's input for it: +0.12 LVH probability"
    assert lines[1] == (f"S amplitude in V5 not measured ({why}; the model's handling of the missing value): "
                        "-0.05 LVH probability")
    assert lines[2] == "QRS duration 98 ms: +0.01 LVH probability"


def test_waterfall_cites_no_value_of_a_set_aside_lead():
    from interp_ecg.explain import plot_waterfall

    ex = shap.Explanation(np.array([0.2, -0.1]), base_values=0.3, data=np.array([12.5, 0.9]),
                          feature_names=["R_amp_mV_III", "R_amp_mV_II"])
    ax = plot_waterfall(ex, feature_row=pd.Series({"quality_limb_identity_leads": "III"}))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["R_amp_mV_II = 0.9", "R_amp_mV_III = not cited (III set aside)"]
