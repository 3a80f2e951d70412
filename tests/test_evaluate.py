"""Metrics from scores with patient bootstrap CIs, curves and patient-wise splitters."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    roc_auc_score,
)

from interp_ecg.evaluate import (  # noqa: E402
    PatientKFold,
    PredefinedFolds,
    cross_val_predict_grouped,
    metrics_table,
    ptbxl_split,
)
from interp_ecg.errors import ConfigError  # noqa: E402


def _scores(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.clip(0.35 * y + rng.uniform(0, 0.65, n), 0, 1)
    return y, s


def test_point_estimates_match_sklearn():
    y, s = _scores()
    tab = metrics_table(y, s, n_boot=0).set_index("metric")["estimate"]
    assert tab["roc_auc"] == pytest.approx(roc_auc_score(y, s))
    assert tab["pr_auc"] == pytest.approx(average_precision_score(y, s))
    assert tab["brier"] == pytest.approx(brier_score_loss(y, s))
    assert tab["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, s >= 0.5))
    assert tab["f1"] == pytest.approx(f1_score(y, s >= 0.5))


def test_calibration_slope_and_intercept_recover_known_miscalibration():
    rng = np.random.default_rng(0)
    logit = rng.normal(0, 2, 20000)
    p_true = 1 / (1 + np.exp(-logit))
    y = rng.uniform(size=logit.size) < p_true
    tab = metrics_table(y.astype(int), p_true, n_boot=0).set_index("metric")["estimate"]
    assert tab["calibration_slope"] == pytest.approx(1, abs=0.05)
    assert tab["calibration_intercept"] == pytest.approx(0, abs=0.05)
    over = 1 / (1 + np.exp(-2 * logit))  # over-confident scores: slope 1/2
    tab = metrics_table(y.astype(int), over, n_boot=0).set_index("metric")["estimate"]
    assert tab["calibration_slope"] == pytest.approx(0.5, abs=0.05)


def test_bootstrap_by_patient_is_wider_when_records_are_correlated():
    y, s = _scores(200)
    # every patient contributes 5 identical records: a record bootstrap is falsely narrow
    Y, S, G = np.repeat(y, 5), np.repeat(s, 5), np.repeat(np.arange(200), 5)
    by_patient = metrics_table(Y, S, G, n_boot=300, random_state=0).set_index("metric")
    by_record = metrics_table(Y, S, None, n_boot=300, random_state=0).set_index("metric")
    width = lambda t: t.loc["roc_auc", "ci_high"] - t.loc["roc_auc", "ci_low"]  # noqa: E731
    assert width(by_patient) > 1.5 * width(by_record)
    assert by_patient.loc["roc_auc", "n_groups"] == 200
    assert by_patient.loc["roc_auc", "ci_low"] < by_patient.loc["roc_auc", "estimate"] < by_patient.loc["roc_auc", "ci_high"]


def test_multilabel_macro_and_hard_scores_flagged():
    y, s = _scores(300)
    Y = pd.DataFrame({"A": y, "B": 1 - y})
    S = np.column_stack([s, (1 - y)])  # B scored by a hard rule
    tab = metrics_table(Y, S, n_boot=50)
    assert set(tab.label) == {"A", "B", "macro"}
    macro = tab[(tab.label == "macro") & (tab.metric == "roc_auc")].estimate.iloc[0]
    per = tab[(tab.label != "macro") & (tab.metric == "roc_auc")].estimate.mean()
    assert macro == pytest.approx(per)
    assert tab.attrs["hard_scores"] == ["B"]
    b = tab[tab.label == "B"].set_index("metric").estimate
    assert b["roc_auc"] == pytest.approx(b["balanced_accuracy"])  # hard score: AUC == balanced accuracy


def test_nan_labels_dropped_per_label():
    y, s = _scores(100)
    yy = y.astype(float)
    yy[:10] = np.nan
    tab = metrics_table(yy, s, n_boot=0)
    assert tab.n.iloc[0] == 90


def test_patient_kfold_never_splits_a_patient_and_stratifies():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 80, 300)
    y = (rng.uniform(size=300) < 0.2).astype(int)
    folds = list(PatientKFold(5, random_state=0).split(None, y, groups))
    assert len(folds) == 5
    seen = np.concatenate([te for _, te in folds])
    assert sorted(seen) == list(range(300))
    for tr, te in folds:
        assert set(groups[tr]).isdisjoint(groups[te])
        assert 0.05 < y[te].mean() < 0.4
    Y = np.column_stack([y, rng.integers(0, 2, 300)])
    for tr, te in PatientKFold(4).split(None, Y, groups):
        assert set(groups[tr]).isdisjoint(groups[te])


def test_ptbxl_split_and_predefined_folds():
    meta = pd.DataFrame({"strat_fold": np.tile(np.arange(1, 11), 3)}, index=pd.RangeIndex(30, name="ecg_id"))
    split = ptbxl_split(meta)
    assert len(split["train"]) == 24 and len(split["val"]) == 3 and len(split["test"]) == 3
    assert set(meta.loc[split["test"], "strat_fold"]) == {10}
    # a record without a fold belongs to no part (it is not silently put in train)
    meta_nan = meta.astype({"strat_fold": float})
    meta_nan.iloc[0, 0] = np.nan
    parts = ptbxl_split(meta_nan)
    assert 0 not in parts["train"] and sum(len(v) for v in parts.values()) == 29
    with pytest.raises(ConfigError, match="strat_fold"):
        ptbxl_split(meta.rename(columns={"strat_fold": "fold"}))
    cv = PredefinedFolds(meta.strat_fold)
    assert cv.get_n_splits() == 10
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    y = np.r_[np.zeros(15), np.ones(15)].astype(int)
    oof, fold = cross_val_predict_grouped(LogisticRegression(), X, y, cv=cv, return_folds=True)
    assert np.isfinite(oof).all() and len(set(fold)) == 10


def test_records_without_patient_id_are_their_own_patients():
    y, s = _scores(50)
    groups = np.where(np.arange(50) < 10, np.nan, np.arange(50) // 2).astype(float)
    tab = metrics_table(y, s, groups, n_boot=5)
    # 10 records without id (10 patients) + 20 pairs of records 10..49
    assert tab.n_groups.iloc[0] == 10 + 20


def test_calibration_slope_is_nan_where_it_cannot_be_estimated():
    """Hard 0/1 scores and completely separating scores have no calibration slope (was 3.6 and 22.7)."""
    from interp_ecg.evaluate.metrics import binary_metrics

    rng = np.random.default_rng(0)
    y = (rng.random(200) < 0.3).astype(float)
    hard = binary_metrics(y, y.copy())
    assert np.isnan(hard["calibration_slope"]) and np.isnan(hard["calibration_intercept"])
    separated = binary_metrics(y, np.where(y == 1, 0.6 + 0.3 * rng.random(200), 0.4 * rng.random(200)))
    assert np.isnan(separated["calibration_slope"])
    assert separated["roc_auc"] == 1.0  # the other metrics stay
    overlap = binary_metrics(y, np.clip(0.3 + 0.4 * (y - 0.3) + 0.2 * rng.normal(size=200), 0.01, 0.99))
    assert np.isfinite(overlap["calibration_slope"])
