"""Explanations beside a model at chance: the report says so, from the computed metrics."""

import numpy as np
import pandas as pd

from interp_ecg.report import TextBlock
from interp_ecg.report.blocks.base import RenderContext
from interp_ecg.report.blocks.patient import PatientBlock
from interp_ecg.studies.pipeline import NOT_EVIDENCE, discrimination


def _auc(rows):
    return pd.DataFrame([{"model": "net", "label": k, "metric": "roc_auc", "estimate": e, "ci_low": lo,
                          "ci_high": hi, "n": 60, "n_positive": p} for k, e, lo, hi, p in rows])


def test_the_new_users_prototype_network_is_flagged_per_class():
    # the figures the new user saw: macro 0.527, NORM 0.194, STACH 0.329, CRBBB 0.255
    m = _auc([("NORM", 0.194, 0.08, 0.33, 20), ("STACH", 0.329, 0.15, 0.52, 8), ("CRBBB", 0.255, 0.10, 0.45, 7),
              ("AFIB", 0.90, 0.80, 0.97, 10), ("LVH", 0.70, np.nan, np.nan, 3)])
    macro = pd.Series({"estimate": 0.527, "ci_low": 0.43, "ci_high": 0.62})
    d = discrimination(m, "the prototype network", macro=macro)
    assert d.at_chance == ["NORM", "STACH", "CRBBB"] and d.not_established == ["LVH"]
    assert not d.discriminates
    assert "macro ROC-AUC 0.527 (0.430-0.620): its 95% CI includes 0.5" in d.warning
    assert "NORM (ROC-AUC 0.194, 95% CI 0.080-0.330)" in d.warning
    assert "AFIB" not in d.warning  # the class that does discriminate is not flagged
    assert "not established for LVH" in d.warning and NOT_EVIDENCE in d.warning
    assert "AFIB 0.900 (0.800-0.970); 10 positive of 60" in d.text
    assert d.paragraph().endswith(d.warning) and "\n\nWarning: " in d.paragraph()


def test_a_model_that_discriminates_has_no_warning():
    m = _auc([("NORM", 0.91, 0.85, 0.96, 20), ("AFIB", 0.75, 0.55, 0.9, 10)]).drop(columns="label")
    m["model"] = ["ens", "ens"]
    d = discrimination(m.iloc[:1], "the WCT ensemble")
    assert d.discriminates and d.warning == ""
    assert d.text == "Held-out discrimination of the WCT ensemble: ROC-AUC (95% CI) ens 0.910 (0.850-0.960); 20 positive of 60."
    # a CI touching 0.5 is not better than chance even with an estimate above it
    d = discrimination(_auc([("X", 0.6, 0.5, 0.7, 10)]), "m")
    assert d.at_chance == ["net"]  # one label: named by its model


def test_warnings_are_rendered():
    ctx = RenderContext()
    html = TextBlock("h", "text", warning="the model is at chance").html(ctx)
    assert "Warning:</strong> the model is at chance" in html
    flow = TextBlock("h", "text", warning="at chance").flowables(ctx)
    assert flow[-1].text == "Warning: at chance"
    page = PatientBlock("r1", np.zeros((12, 500)), 500.0, explanation_note="AUC text\n\nWarning: W",
                        sentences=["s"], matches_warning="MW")
    out = page.html(ctx)
    assert "<p>AUC text</p><p>Warning: W</p>" in out
