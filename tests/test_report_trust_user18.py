"""Trust defects found by new user 18 in the PDF reports (FINDINGS-user18.md), each with its right value."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from interp_ecg.evaluate import tagged_metrics_table
from interp_ecg.report.plots import plot_pr, plot_roc
from interp_ecg.studies import wct


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_curve_legend_is_the_table_value_on_the_same_records():
    """W4: Figure 3 drew every curve on the records ALL scores had (498), the table scored each model
    on its own (499): legend AUC 0.924 vs table 0.923. Each curve is now drawn on its own scored records
    with the table's function, and a score with fewer records says its n."""
    y = np.array([0, 0, 1, 1, 0, 1, 0, 1])
    model = np.array([0.1, 0.6, 0.35, 0.8, 0.2, 0.9, 0.7, 0.4])
    rule = np.array([0, 0, 1, 1, 0, np.nan, 0, 0], dtype=float)  # 'not assessable' on one record
    ax = plot_roc(y, {"model": model, "rule": rule}, ax=Figure().add_subplot())
    t_model = tagged_metrics_table(y, model, n_boot=0, metrics=("roc_auc", "pr_auc"))
    t_rule = tagged_metrics_table(y, rule, n_boot=0, metrics=("roc_auc",))
    auc_model = t_model.set_index("metric").loc["roc_auc", "estimate"]
    auc_rule = t_rule.set_index("metric").loc["roc_auc", "estimate"]
    assert auc_model == 0.75  # 12 of 16 positive-negative pairs ranked right
    assert auc_rule == 0.8333333333333334  # 3 positives, 4 negatives on the 7 scored records
    assert _legend(ax) == [f"model (AUC {auc_model:.3f})", f"rule (AUC {auc_rule:.3f}, n = 7)"]
    ax = plot_pr(y, {"rule": rule}, ax=Figure().add_subplot())
    ap_rule = tagged_metrics_table(y, rule, n_boot=0, metrics=("pr_auc",))["estimate"].iloc[0]
    assert _legend(ax) == [f"rule (AP {ap_rule:.3f}, n = 7)"]


def test_wct_curves_caption_gives_the_tables_records():
    y = pd.Series([0.0, 1.0, 0.0, 1.0, np.nan, 0.0])
    scores = {"cardioforest [trained on: x]": pd.Series([0.1, 0.9, 0.2, 0.7, 0.5, 0.3]),
              wct._RULE: pd.Series([0.0, 1.0, np.nan, 1.0, 0.0, 0.0])}
    cap = wct.curves_caption("x", y, scores)
    assert "n = 5, 2 positives" in cap
    assert f"{wct._RULE} on 4 of them (not scored on 1)" in cap
    one = wct.curves_caption("x", pd.Series([0.0, 1.0, 0.0]), {"m": pd.Series([0.1, 0.2, 0.3])})
    assert "n = 3, 1 positive (" in one
