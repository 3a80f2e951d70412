"""Scores are paired with labels by record id, never by position (user5 A1)."""

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import ArgumentError
from interp_ecg.evaluate import align_scores, metrics_table, tagged_metrics_table


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    idx = pd.Index(np.arange(100, 100 + n), name="ecg_id")
    a = rng.integers(0, 2, n)
    b = rng.integers(0, 2, n)
    Y = pd.DataFrame({"A": a, "B": b}, index=idx)
    S = pd.DataFrame({"A": a * 0.6 + rng.uniform(0, 0.4, n), "B": rng.uniform(0, 1, n)}, index=idx)
    return Y, S


def _auc(tab, label=None):
    t = tab[tab.metric == "roc_auc"]
    if label is not None:
        t = t[t.label == label]
    return float(t.estimate.iloc[0])


def test_metrics_table_aligns_columns_by_name():
    Y, S = _data()
    ref = metrics_table(Y, S, n_boot=0, metrics=("roc_auc",))
    assert _auc(ref, "A") == 1.0
    swapped = metrics_table(Y, S[["B", "A"]], n_boot=0, metrics=("roc_auc",))
    assert _auc(swapped, "A") == 1.0  # old code: 0.499 (columns paired by position)
    assert _auc(swapped, "B") == _auc(ref, "B")


def test_metrics_table_aligns_rows_by_index():
    Y, S = _data()
    shuffled = S.sample(frac=1, random_state=1)
    assert _auc(metrics_table(Y, shuffled, n_boot=0, metrics=("roc_auc",)), "A") == 1.0  # old: 0.508


def test_tagged_series_with_other_index_is_refused():
    Y, S = _data()
    y = Y["A"]
    with pytest.raises(ArgumentError, match=r"in y_score only: \[0, 1"):
        tagged_metrics_table(y, pd.Series(S["A"].to_numpy()), n_boot=0, metrics=("roc_auc",))
    # arrays pair by position and give the right value
    t = tagged_metrics_table(y, S["A"].to_numpy(), n_boot=0, metrics=("roc_auc",))
    assert t.estimate.iloc[0] == 1.0 and t.n.iloc[0] == len(y)
    # a shuffled Series with the same ids is reordered, not paired by position
    t = tagged_metrics_table(y, S["A"].sample(frac=1, random_state=3), n_boot=0, metrics=("roc_auc",))
    assert t.estimate.iloc[0] == 1.0 and t.n.iloc[0] == len(y)


def test_groups_series_aligned_and_checked():
    Y, S = _data()
    g = pd.Series(np.arange(len(Y)) // 2, index=Y.index)
    y2, s2, g2 = align_scores(Y["A"], S["A"], g.iloc[::-1])
    assert g2.index.equals(Y.index)
    with pytest.raises(ArgumentError, match="groups"):
        align_scores(Y["A"], S["A"], g.reset_index(drop=True))


def test_missing_label_column_refused():
    Y, S = _data()
    with pytest.raises(ArgumentError, match="B"):
        metrics_table(Y, S[["A"]].rename(columns={"A": "A"}).assign(C=0.5), n_boot=0)


def test_multilabel_absent_label_left_nan_not_constant():
    """A2: a label with no positive in a training fold is NaN there, not a constant 0 pooled into the AUROC."""
    from interp_ecg.evaluate import PredefinedFolds, cross_val_predict_grouped
    from interp_ecg.models import EnsembleClassifier

    rng = np.random.default_rng(0)
    n = 120
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    folds = np.arange(n) % 4
    common = (X["a"] > 0).astype(int)
    rare = np.zeros(n, dtype=int)
    rare[np.flatnonzero(folds == 2)[:4]] = 1  # every positive of "rare" in fold 2
    Y = pd.DataFrame({"common": common, "rare": rare})
    m = EnsembleClassifier(("rf",), member_params={"rf": {"n_estimators": 20}}, random_state=0, n_jobs=1)
    oof, skipped = cross_val_predict_grouped(m, X, Y, np.arange(n), cv=PredefinedFolds(folds), return_skipped=True)
    oof = oof.to_numpy()  # a DataFrame indexed like X (user12 F9); positions below
    assert np.isnan(oof[folds == 2, 1]).all()  # old code: exactly 0.0
    assert np.isfinite(oof[folds != 2, 1]).all() and np.isfinite(oof[:, 0]).all()
    assert skipped[["fold", "label", "n_test", "n_train_positive"]].values.tolist() == [[2, "rare", 30, 0]]
    tab = metrics_table(Y, oof, n_boot=0, metrics=("roc_auc",)).set_index("label")
    assert tab.loc["rare", "n_unscored"] == 30 and tab.loc["rare", "n"] == 90
    assert tab.loc["rare", "n_positive"] == 0 and np.isnan(tab.loc["rare", "estimate"])  # old: 0.0 pooled
    # the macro row averages "common" only, and its counts cover that label only (user 7, D1)
    assert tab.loc["macro", "n_unscored"] == 0 and tab.loc["macro", "n_labels"] == 1
    assert "averages 1 of 2 labels (left out, estimate not defined: rare)" in tab.loc["macro", "ci_reason"]
    assert tab.loc["macro", "estimate"] == tab.loc["common", "estimate"]
    fitted = m.fit(X[folds != 2], Y[folds != 2])
    assert fitted.constant_labels_ == ["rare"]


def test_predefined_folds_refuse_split_patient(caplog):
    """A3: a fold column that splits a patient is refused when groups are given; groups=None is logged."""
    import logging

    from interp_ecg.errors import ConfigError
    from interp_ecg.evaluate import PredefinedFolds, cross_val_predict_grouped
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    patients = np.arange(40) // 2
    recfold = np.arange(40) % 4  # a per-record fold column: every patient is split
    with pytest.raises(ConfigError, match="puts 20 of 20 patients in more than one fold"):
        cross_val_predict_grouped(LogisticRegression(), X, y, patients, cv=PredefinedFolds(recfold))
    ok = cross_val_predict_grouped(LogisticRegression(), X, y, patients, cv=PredefinedFolds(patients % 4))
    assert np.isfinite(ok).all()
    with caplog.at_level(logging.WARNING, logger="interp_ecg.evaluate"):
        cross_val_predict_grouped(LogisticRegression(), X, y, None, cv=4)
    assert "each of the 40 records is treated as a patient of its own" in caplog.text


def test_out_of_fold_scores_pairs_y_by_record_id():
    """Same kind in studies.wct.out_of_fold_scores: a y Series with other ids is refused, not reindexed to NaN."""
    from sklearn.linear_model import LogisticRegression

    from interp_ecg.studies.wct import out_of_fold_scores

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.normal(size=40)}, index=pd.Index(np.arange(500, 540), name="ecg_id"))
    y = (X["x"] > 0).astype(float)
    s, _ = out_of_fold_scores(LogisticRegression(), X, y.sample(frac=1, random_state=0), np.arange(40) // 2,
                              cv_folds=4)
    ref, _ = out_of_fold_scores(LogisticRegression(), X, y.to_numpy(), np.arange(40) // 2, cv_folds=4)
    assert np.allclose(s.to_numpy(), ref.to_numpy())
    with pytest.raises(ArgumentError, match="500"):  # old: every score NaN, no message
        out_of_fold_scores(LogisticRegression(), X, y.reset_index(drop=True), np.arange(40) // 2, cv_folds=4)
