"""Multi-label EnsembleClassifier: a NaN label is unknown, left out of that label's fit only.

Before, ``validate_data`` refused y with NaN, so studies filled unknown statements with 0 (a
record not assessed for rhythm trained as "not sinus")."""

import warnings

import numpy as np
import pandas as pd

from interp_ecg.models import EnsembleClassifier


def test_unknown_labels_are_left_out_of_that_label_only():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 4)), columns=list("abcd"))
    Y = pd.DataFrame({"A": (X.a > 0).astype(float), "B": (X.b > 0).astype(float)})
    Yn = Y.copy()
    Yn.loc[:29, "B"] = np.nan
    kw = dict(estimators=("rf",), member_params={"rf": {"n_estimators": 20}}, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with_nan = EnsembleClassifier(**kw).fit(X, Yn)
        known_only = EnsembleClassifier(**kw).fit(X.iloc[30:], Y.iloc[30:])
        full = EnsembleClassifier(**kw).fit(X, Y)
    p_nan, p_known, p_full = (np.asarray(m.predict_proba(X)) for m in (with_nan, known_only, full))
    # label B: exactly the fit on the 90 records where it is known
    np.testing.assert_array_equal(p_nan[:, 1], p_known[:, 1])
    # label A: all 120 records, as without any NaN
    np.testing.assert_array_equal(p_nan[:, 0], p_full[:, 0])
