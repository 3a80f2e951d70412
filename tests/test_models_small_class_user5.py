"""Too few records of a class for stacking, SMOTE or calibration: one clear error (user5 C2)."""

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import ArgumentError
from interp_ecg.models import EnsembleClassifier

SMALL = {"rf": {"n_estimators": 10}, "xgb": {"n_estimators": 10}, "lgbm": {"n_estimators": 10}}


def _data(n_pos):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 4))
    y = np.zeros(80, dtype=int)
    y[:n_pos] = 1
    return X, y


@pytest.mark.parametrize("kwargs, what", [
    (dict(estimators=("rf", "xgb"), combine="stack"), "stacking"),
    (dict(estimators=("rf",), resample="smote"), "SMOTE"),
    (dict(estimators=("lgbm",), calibrate="sigmoid"), "calibration"),
])
def test_single_positive_is_refused_clearly(kwargs, what):
    X, y = _data(1)
    with pytest.raises(ArgumentError, match=rf"{what}.*needs at least 2 records of each class; class 1 has 1"):
        EnsembleClassifier(member_params=SMALL, random_state=0, n_jobs=1, **kwargs).fit(X, y)


@pytest.mark.parametrize("kwargs", [
    dict(estimators=("rf", "xgb"), combine="stack"),
    dict(estimators=("rf",), resample="smote"),
    dict(estimators=("lgbm",), calibrate="sigmoid"),
])
def test_two_positives_fit(kwargs):
    X, y = _data(2)
    p = EnsembleClassifier(member_params=SMALL, random_state=0, n_jobs=1, **kwargs).fit(X, y).predict_proba(X)
    assert p.shape == (80, 2) and np.isfinite(p).all()


def test_stack_positives_of_one_patient_refused():
    X, y = _data(3)
    groups = np.arange(80)
    groups[:3] = 0  # the three positives are one patient's records
    with pytest.raises(ArgumentError, match="from at least 2 patients"):
        EnsembleClassifier(("rf", "xgb"), combine="stack", member_params=SMALL, random_state=0, n_jobs=1).fit(
            X, y, groups=groups)


def test_multilabel_error_names_the_label():
    X, y = _data(1)
    Y = pd.DataFrame({"common": (np.arange(80) % 2), "rare": y})
    with pytest.raises(ArgumentError, match="label 'rare': SMOTE"):
        EnsembleClassifier(("rf",), resample="smote", member_params=SMALL, random_state=0, n_jobs=1).fit(X, Y)
