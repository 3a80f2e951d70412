"""User 7, A0: labels, patient ids and weights given as pandas objects are paired with the
feature table by record id, never by position (a sorted ``y`` used to train on shuffled labels)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from interp_ecg.errors import ArgumentError
from interp_ecg.evaluate import PatientKFold, cross_val_predict_grouped
from interp_ecg.models import EnsembleClassifier


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 200
    ids = [f"rec{i:03d}" for i in range(n)]
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)}, index=ids)
    y = pd.Series((X["a"] + 0.3 * rng.normal(size=n) > 0.4).astype(int), index=ids, name="LVH")
    groups = pd.Series([f"p{i // 2}" for i in range(n)], index=ids, name="patient_id")
    return X, y, groups


def _auc(y, oof):
    return roc_auc_score(np.asarray(y), oof)


def test_sorted_y_series_is_paired_by_record_id(data, caplog):
    X, y, groups = data
    cv = PatientKFold(5, random_state=0)
    ref = cross_val_predict_grouped(LogisticRegression(), X, y, groups, cv=cv)
    yy = y.sort_values(kind="stable")  # same ids and labels, other row order
    assert not yy.index.equals(X.index)
    with caplog.at_level("INFO", logger="interp_ecg.evaluate.crossval"):
        oof = cross_val_predict_grouped(LogisticRegression(), X, yy, groups, cv=cv)
    assert "returned scores are indexed like X" in caplog.text  # and carry X's ids (user12 F9)
    assert oof.index.equals(X.index)
    # scores are in X's row order and equal to those of the aligned call (old code: trained on shuffled labels)
    np.testing.assert_allclose(oof, ref)
    assert _auc(y, oof) > 0.9


def test_reordered_groups_keep_the_folds_patient_wise(data):
    X, y, groups = data
    cv = PatientKFold(5, random_state=0)
    _, ref_folds = cross_val_predict_grouped(LogisticRegression(), X, y, groups, cv=cv, return_folds=True)
    gg = groups.sample(frac=1.0, random_state=1)
    _, folds = cross_val_predict_grouped(LogisticRegression(), X, y, gg, cv=cv, return_folds=True)
    np.testing.assert_array_equal(folds, ref_folds)
    # every patient's records in one fold
    assert (pd.Series(folds, index=X.index).groupby(groups).nunique() == 1).all()


def test_different_ids_are_refused_naming_them(data):
    X, y, groups = data
    bad = y.rename(index={"rec005": "rec999"})
    with pytest.raises(ArgumentError, match=r"in X only: \['rec005'\].*in y only: \['rec999'\]"):
        cross_val_predict_grouped(LogisticRegression(), X, bad, groups, cv=3)
    with pytest.raises(ArgumentError, match="groups"):
        cross_val_predict_grouped(LogisticRegression(), X, y, groups.iloc[:-1], cv=3)


def test_arrays_stay_positional(data):
    X, y, groups = data
    cv = PatientKFold(5, random_state=0)
    ref = cross_val_predict_grouped(LogisticRegression(), X, y, groups, cv=cv)
    oof = cross_val_predict_grouped(LogisticRegression(), X, y.to_numpy(), groups.to_numpy(), cv=cv)
    np.testing.assert_allclose(oof, ref)


def test_multilabel_frame_is_paired_by_record_id(data):
    X, y, groups = data
    Y = pd.DataFrame({"LVH": y, "other": (X["b"] > 0).astype(int)})
    ens = EnsembleClassifier(("logreg",), random_state=0, n_jobs=1)
    ref = ens.fit(X, Y).predict_proba(X)
    got = EnsembleClassifier(("logreg",), random_state=0, n_jobs=1).fit(X, Y.iloc[::-1]).predict_proba(X)
    np.testing.assert_allclose(got, ref)


def test_ensemble_fit_pairs_y_groups_and_weights_by_record_id(data):
    X, y, groups = data
    kw = dict(combine="stack", random_state=0, n_jobs=1, member_params={"rf": {"n_estimators": 10}})
    w = pd.Series(np.where(y == 1, 2.0, 1.0), index=X.index)
    ref = EnsembleClassifier(("logreg", "rf"), **kw).fit(X, y, sample_weight=w, groups=groups).predict_proba(X)
    order = y.sort_values(kind="stable").index
    got = EnsembleClassifier(("logreg", "rf"), **kw).fit(
        X, y.loc[order], sample_weight=w.loc[order[::-1]], groups=groups.loc[order]).predict_proba(X)
    np.testing.assert_allclose(got, ref)
    assert roc_auc_score(y, got[:, 1]) > 0.9
    with pytest.raises(ArgumentError, match="rec999"):
        EnsembleClassifier(("logreg",), random_state=0, n_jobs=1).fit(X, y.rename(index={"rec000": "rec999"}))


def test_train_and_evaluate_pairs_by_record_id(data):
    from interp_ecg.studies.pipeline import train_and_evaluate

    X, y, groups = data
    ref = train_and_evaluate(X, y, groups, models=("logreg",), n_boot=0)
    yy, gg = y.sort_values(kind="stable"), groups.sample(frac=1.0, random_state=2)
    got = train_and_evaluate(X, yy, gg, models=("logreg",), n_boot=0)
    pd.testing.assert_frame_equal(got["metrics"], ref["metrics"])
    auc = got["metrics"].query("metric == 'roc_auc'")["estimate"].iloc[0]
    assert auc > 0.9


def test_splitters_pair_groups_and_fold_column_by_record_id(data):
    from interp_ecg.evaluate import PredefinedFolds

    X, y, groups = data
    cv = PatientKFold(4, random_state=0)
    ref = [te.tolist() for _, te in cv.split(X, y, groups)]
    gg = groups.sample(frac=1.0, random_state=3)
    got = [te.tolist() for _, te in cv.split(X, y.sort_values(kind="stable"), gg)]
    assert got == ref  # old code: other folds, patients split across them
    fold_col = pd.Series(np.arange(len(X)) // 2 % 5, index=X.index)  # patient-wise: p{i//2}
    ref = [te.tolist() for _, te in PredefinedFolds(fold_col).split(X, y, groups)]
    got = [te.tolist() for _, te in PredefinedFolds(fold_col.iloc[::-1]).split(X, y, gg)]
    assert got == ref  # old code: ConfigError (a reordered fold column split the patients) or other folds


def test_patient_split_pairs_y_with_groups_by_record_id(data):
    from interp_ecg.studies.pipeline import patient_split

    X, y, groups = data
    ref = patient_split(groups, y, 0.3, 0)
    got = patient_split(groups, y.sort_values(kind="stable"), 0.3, 0)
    np.testing.assert_array_equal(got, ref)
    with pytest.raises(ArgumentError, match="rec999"):  # old code: split on labels of other records
        patient_split(groups, y.rename(index={"rec000": "rec999"}), 0.3, 0)
