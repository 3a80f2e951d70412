"""The WCT rule is a baseline only where it is a comparator for the label (not for AF, not for the rule itself)."""

import numpy as np
import pandas as pd
import pytest

from interp_ecg.evaluate.metrics import roc_auc
from interp_ecg.studies.pipeline import rule_is_comparator, train_and_evaluate
from interp_ecg.studies.wct import RULE


def _table(n=80, seed=0):
    rng = np.random.default_rng(seed)
    qrs = rng.uniform(80, 160, n)
    hr = rng.uniform(60, 160, n)
    X = pd.DataFrame({"QRS_duration_ms": qrs, "heart_rate_bpm": hr, "PR_ms": rng.uniform(120, 200, n)},
                     index=[f"r{i}" for i in range(n)])
    groups = pd.Series(np.arange(n) // 2, index=X.index)  # two ECGs per patient
    return X, groups, rng


@pytest.mark.parametrize("label,expected", [("sim_wct", True), ("WCT_chart_review", True), ("wide_complex", True),
                                            ("wct", False), ("AFIB", False), ("NORM", False), (None, False)])
def test_rule_is_comparator(label, expected):
    assert rule_is_comparator(label) is expected


def test_rule_row_only_for_a_wct_label():
    X, groups, rng = _table()
    # a WCT label from elsewhere: the rule on noisy measurements, with 10% of the labels flipped
    truth = ((X["QRS_duration_ms"] >= 120) & (X["heart_rate_bpm"] >= 100)).astype(int)
    flip = rng.random(len(truth)) < 0.1
    y = pd.Series(np.where(flip, 1 - truth, truth), index=X.index)
    res = train_and_evaluate(X, y, groups, models=("logreg",), n_boot=20, label="sim_wct")
    m = res["metrics"]
    assert set(m["model"]) == {"ensemble", RULE}
    test = res["test"]
    expected = roc_auc(y[test].to_numpy(), truth[test].to_numpy().astype(float))
    got = m[(m["model"] == RULE) & (m["metric"] == "roc_auc")]["estimate"].iloc[0]
    assert got == pytest.approx(expected)
    assert got < 1.0  # the flipped labels: the rule is a comparator, not the label

    for other in ("AFIB", "wct"):  # an unrelated label, and the rule label itself
        res = train_and_evaluate(X, y, groups, models=("logreg",), n_boot=20, label=other)
        assert set(res["metrics"]["model"]) == {"ensemble"}
