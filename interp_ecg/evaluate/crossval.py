"""Out-of-fold predictions with patient-wise folds.

Examples
--------
>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> from interp_ecg.evaluate import cross_val_predict_grouped
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(60, 2)); y = (X[:, 0] > 0).astype(int); groups = np.arange(60) // 3
>>> oof = cross_val_predict_grouped(LogisticRegression(), X, y, groups, cv=3)
>>> oof.shape, bool(np.isfinite(oof).all())
((60,), True)
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import clone

from interp_ecg.evaluate.splitters import PatientKFold

logger = logging.getLogger(__name__)


def _take(obj, idx):
    return obj.iloc[idx] if isinstance(obj, (pd.DataFrame, pd.Series)) else np.asarray(obj)[idx]


def cross_val_predict_grouped(
    estimator,
    X,
    y,
    groups=None,
    cv=5,
    random_state: int | None = 0,
    fit_params: dict | None = None,
    return_folds: bool = False,
):
    """Out-of-fold positive-class scores, every patient predicted by a model that never saw it.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
    X, y : features and labels (binary 1-D, or 2-D multi-label for models that support it)
    groups : array-like, optional
        Patient ids (records are their own patients when ``None``).
    cv : int or splitter
        Number of :class:`PatientKFold` folds, or any object with ``split(X, y, groups)``
        (e.g. :class:`~interp_ecg.evaluate.PredefinedFolds` over ``strat_fold``).
    random_state : int, optional
    fit_params : dict, optional
        Extra keyword arguments of ``fit`` (``groups`` is passed when ``fit`` accepts it).
    return_folds : bool
        Also return the fold number of every record.

    Returns
    -------
    ndarray ``(n,)`` (binary) or ``(n, n_labels)``; with ``return_folds`` a tuple (scores, folds).
    """
    splitter = PatientKFold(cv, random_state=random_state) if isinstance(cv, int) else cv
    y_arr = np.asarray(y)
    out = np.full(y_arr.shape if y_arr.ndim == 2 else (len(y_arr),), np.nan, dtype=float)
    folds = np.full(len(y_arr), -1, dtype=int)
    groups_arr = None if groups is None else np.asarray(groups)
    for k, (tr, te) in enumerate(splitter.split(X, y, groups_arr)):
        model = clone(estimator)
        params = dict(fit_params or {})
        if groups_arr is not None and "groups" in model.fit.__code__.co_varnames:
            params.setdefault("groups", groups_arr[tr])
        y_tr = _take(y, tr)
        if y_arr.ndim == 1 and len(np.unique(np.asarray(y_tr))) < 2:
            logger.warning("fold %d: training part has one class only; scores left NaN", k)
            continue
        model.fit(_take(X, tr), y_tr, **params)
        p = model.predict_proba(_take(X, te))
        if y_arr.ndim == 1:
            classes = list(model.classes_)
            p = p[:, classes.index(1)] if 1 in classes else p[:, -1]
        out[te] = p
        folds[te] = k
    return (out, folds) if return_folds else out


__all__ = ["cross_val_predict_grouped"]
