"""User 7, D1: the macro row averages only the labels whose estimate is defined, and its counts
cover those labels only (it used to count the positives of a label it did not average)."""

import numpy as np
import pandas as pd

from interp_ecg.evaluate import metrics_table, tagged_metrics_table


def _three_labels():
    rng = np.random.default_rng(3)
    n = 80
    a = np.r_[np.ones(12), np.zeros(n - 12)]
    b = np.r_[np.zeros(10), np.ones(8), np.zeros(n - 18)]  # records 10, 11 positive for A and B
    c = np.zeros(n)
    c[[70, 72, 74]] = 1  # C's 3 positives ...
    Y = pd.DataFrame({"A": a, "B": b, "C": c}, index=[f"r{i}" for i in range(n)])
    S = pd.DataFrame({"A": a * 0.5 + rng.uniform(size=n) * 0.7, "B": b * 0.3 + rng.uniform(size=n) * 0.7,
                      "C": rng.uniform(size=n)}, index=Y.index)
    S.loc[Y.index[70:], "C"] = np.nan  # ... all among its unscored records: its AUROC is not defined
    return Y, S


def test_macro_counts_cover_only_the_averaged_labels():
    Y, S = _three_labels()
    tab = metrics_table(Y, S, n_boot=0, metrics=("roc_auc",)).set_index("label")
    assert np.isnan(tab.loc["C", "estimate"]) and tab.loc["C", "n_unscored"] == 10
    macro = tab.loc["macro"]
    assert macro.estimate == np.mean([tab.loc["A", "estimate"], tab.loc["B", "estimate"]])
    # records positive for A or B (12 + 8 - 2 shared); C's 3 positives are not counted (old code: 21)
    assert macro.n_positive == 18
    assert macro.n_unscored == 0  # C's unscored records belong to a label left out (old code: 10)
    assert macro.n == 80
    assert macro.n_labels == 2 and (tab.loc[["A", "B", "C"], "n_labels"] == 1).all()
    assert "averages 2 of 3 labels (left out, estimate not defined: C)" in macro.ci_reason
    # the label's own row says why its estimate is missing
    assert tab.loc["C", "ci_reason"].startswith("the estimate is not defined on these data (0 positive, 70 negative")


def test_macro_of_defined_labels_keeps_its_interval_and_says_nothing_extra():
    Y, S = _three_labels()
    Y, S = Y[["A", "B"]], S[["A", "B"]]
    tab = metrics_table(Y, S, n_boot=100, metrics=("roc_auc",)).set_index("label")
    macro = tab.loc["macro"]
    assert macro.n_labels == 2 and macro.n_positive == 18 and macro.n == 80
    assert macro.ci_reason == "" and macro.ci_low <= macro.estimate <= macro.ci_high


def test_tagged_table_carries_n_labels():
    Y, S = _three_labels()
    tab = tagged_metrics_table(Y, S, n_boot=0, metrics=("roc_auc",), model="m")
    assert tab.set_index("label").loc["macro", "n_labels"] == 2
    one = tagged_metrics_table(Y["A"], S["A"], n_boot=0, metrics=("roc_auc",))
    assert one["n_labels"].tolist() == [1]
