"""Out-of-fold scores carry X's record ids, so metrics pair them with y by id (user12 F9)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from interp_ecg.errors import ArgumentError
from interp_ecg.evaluate import PatientKFold, binary_metrics, cross_val_predict_grouped, tagged_metrics_table
from interp_ecg.evaluate.metrics import average_precision, roc_auc


def _data(n=200):
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)}, index=pd.Index(1000 + np.arange(n), name="id"))
    y = pd.Series((X["a"] + 0.5 * rng.normal(size=n) > 0).astype(int), index=X.index, name="lvh")
    groups = pd.Series(np.arange(n) // 2, index=X.index)
    return X, y, groups


def test_reordered_y_gives_the_same_auc():
    X, y, groups = _data()
    cv = PatientKFold(5, random_state=0)
    ref = cross_val_predict_grouped(LogisticRegression(), X, y, groups, cv=cv)
    assert isinstance(ref, pd.Series) and ref.index.equals(X.index) and ref.name == "lvh"
    auc_ref = roc_auc_score(y, ref)
    yy = y.sort_values(kind="stable")                       # another row order
    oof = cross_val_predict_grouped(LogisticRegression(), X, yy, groups, cv=cv)
    t = tagged_metrics_table(yy, oof, groups, n_boot=0, metrics=("roc_auc",))
    assert t["estimate"].item() == pytest.approx(auc_ref, abs=1e-12)    # was positional: ~0.5
    assert roc_auc(yy, oof) == pytest.approx(auc_ref, abs=1e-12)
    assert binary_metrics(yy, oof)["roc_auc"] == pytest.approx(auc_ref, abs=1e-12)
    assert average_precision(yy, oof) == pytest.approx(average_precision(y, ref), abs=1e-12)


def test_multilabel_scores_are_a_frame_and_arrays_stay_arrays():
    X, y, groups = _data()
    Y = pd.DataFrame({"lvh": y, "other": (X["b"] > 0).astype(int)})
    from sklearn.multiclass import OneVsRestClassifier

    oof, folds = cross_val_predict_grouped(OneVsRestClassifier(LogisticRegression()), X, Y, groups, cv=4,
                                           return_folds=True)
    assert list(oof.columns) == ["lvh", "other"] and oof.index.equals(X.index) and folds.index.equals(X.index)
    plain = cross_val_predict_grouped(LogisticRegression(), X.to_numpy(), y.to_numpy(), groups.to_numpy(), cv=4)
    assert isinstance(plain, np.ndarray)


def test_mismatched_ids_are_refused():
    X, y, _ = _data(20)
    s = pd.Series(np.linspace(0, 1, 20), index=np.arange(20))
    with pytest.raises(ArgumentError, match="same record ids"):
        roc_auc(y, s)
    with pytest.raises(ArgumentError, match="same record ids"):
        binary_metrics(y, s)
