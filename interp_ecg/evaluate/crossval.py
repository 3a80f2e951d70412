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
from interp_ecg.io.ids import align_xy_groups

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
    return_skipped: bool = False,
):
    """Out-of-fold positive-class scores, every patient predicted by a model that never saw it.

    A label whose training part holds one class only cannot be learnt in that fold: its
    scores in the fold's test part are left NaN (never a constant stand-in that a metric
    would pool), with a logged reason; :func:`~interp_ecg.evaluate.metrics_table` then counts
    those records in ``n_unscored``. This holds for a 1-D ``y`` (the whole fold) and for each
    column of a 2-D ``y``.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
    X, y : features and labels (binary 1-D, or 2-D multi-label for models that support it)
        When ``X`` is a DataFrame and ``y`` a Series/DataFrame, ``y`` is paired with ``X`` by
        record id (reordered to ``X``'s index), never by position; arrays pair by position.
    groups : array-like, optional
        Patient ids; a Series is paired with ``X`` (or, for an array ``X``, with a pandas ``y``)
        by record id like ``y``. ``None``: every record is its own patient (logged as a warning: records of
        one patient may then fall on both sides of a split).
    cv : int or splitter
        Number of :class:`PatientKFold` folds, or any object with ``split(X, y, groups)``
        (e.g. :class:`~interp_ecg.evaluate.PredefinedFolds` over ``strat_fold``, which refuses
        a fold column that splits a patient).
    random_state : int, optional
    fit_params : dict, optional
        Extra keyword arguments of ``fit`` (``groups`` is passed when ``fit`` accepts it).
    return_folds : bool
        Also return the fold number of every record.
    return_skipped : bool
        Also return a DataFrame with one row per (fold, label) left unscored: ``fold, label,
        n_test, n_train_positive, n_train, reason`` (``label`` is None for a 1-D ``y``).

    Returns
    -------
    scores : Series, DataFrame or ndarray
        When ``X`` is a DataFrame: a Series (binary; named like ``y``) or a DataFrame
        (multi-label; columns = ``y``'s columns) **indexed like X**, so that
        :func:`~interp_ecg.evaluate.metrics_table` and
        :func:`~interp_ecg.evaluate.tagged_metrics_table` pair them with a pandas ``y`` by
        record id whatever its row order. Otherwise an ndarray ``(n,)`` or ``(n, n_labels)``
        in the row order of ``X``. With ``return_folds`` and/or ``return_skipped`` a tuple
        ``(scores, [folds], [skipped])`` in that order (``folds`` a Series indexed like ``X``
        when ``X`` is a DataFrame).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.multiclass import OneVsRestClassifier
    >>> from interp_ecg.evaluate import PredefinedFolds, cross_val_predict_grouped
    >>> X = np.arange(40.0)[:, None]; Y = np.column_stack([np.arange(40) % 2, np.arange(40) >= 36])
    >>> folds = PredefinedFolds(np.arange(40) // 10)   # the 4 positives of column 1 all in fold 3
    >>> oof, skipped = cross_val_predict_grouped(OneVsRestClassifier(LogisticRegression()), X, Y, np.arange(40),
    ...                                          cv=folds, return_skipped=True)
    >>> int(np.isnan(oof[:, 1]).sum()), skipped[["fold", "label", "n_test"]].values.tolist()
    (10, [[3, 1, 10]])
    """
    splitter = PatientKFold(cv, random_state=random_state) if isinstance(cv, int) else cv
    y_given = y
    y, groups = align_xy_groups(X, y, groups)
    if y is not y_given:
        logger.info("y was given in another row order than X: it is paired with X by record id; the returned "
                    "scores are indexed like X, so metrics pair them with y by record id")
    y_arr = np.asarray(y)
    out = np.full(y_arr.shape if y_arr.ndim == 2 else (len(y_arr),), np.nan, dtype=float)
    folds = np.full(len(y_arr), -1, dtype=int)
    if groups is None:
        logger.warning("no patient ids (groups=None): each of the %d records is treated as a patient of its own "
                       "in the cross-validation folds (records of one patient may fall on both sides)", len(y_arr))
    groups_arr = None if groups is None else np.asarray(groups)
    if y_arr.ndim == 2:
        names = [str(c) for c in y.columns] if isinstance(y, pd.DataFrame) else list(range(y_arr.shape[1]))
    skipped = []
    for k, (tr, te) in enumerate(splitter.split(X, y, groups_arr)):
        model = clone(estimator)
        params = dict(fit_params or {})
        if groups_arr is not None and "groups" in model.fit.__code__.co_varnames:
            params.setdefault("groups", groups_arr[tr])
        y_tr = _take(y, tr)
        y_tr_arr = np.asarray(y_tr, dtype=float)
        if y_arr.ndim == 1 and len(np.unique(y_tr_arr[np.isfinite(y_tr_arr)])) < 2:
            n_pos = int(np.nansum(y_tr_arr))
            reason = f"training part has one class only ({n_pos} positive of {len(tr)})"
            logger.warning("fold %d: %s; its %d test scores left NaN", k, reason, len(te))
            skipped.append(dict(fold=k, label=None, n_test=len(te), n_train_positive=n_pos, n_train=len(tr),
                                reason=reason))
            continue
        model.fit(_take(X, tr), y_tr, **params)
        p = model.predict_proba(_take(X, te))
        if y_arr.ndim == 1:
            classes = list(model.classes_)
            p = p[:, classes.index(1)] if 1 in classes else p[:, -1]
        else:
            p = np.array(p, dtype=float)
            for j, name in enumerate(names):
                col = y_tr_arr[:, j]
                if len(np.unique(col[np.isfinite(col)])) < 2:
                    n_pos = int(np.nansum(col))
                    reason = f"training part has one class only for this label ({n_pos} positive of {len(tr)})"
                    logger.warning("fold %d, label %r: %s; its %d test scores left NaN", k, name, reason, len(te))
                    skipped.append(dict(fold=k, label=name, n_test=len(te), n_train_positive=n_pos,
                                        n_train=len(tr), reason=reason))
                    p[:, j] = np.nan
        out[te] = p
        folds[te] = k
    scores = out
    if isinstance(X, pd.DataFrame):  # ids travel with the scores: metrics pair them with y by index
        if out.ndim == 1:
            scores = pd.Series(out, index=X.index, name=y.name if isinstance(y, pd.Series) else None)
        else:
            scores = pd.DataFrame(out, index=X.index, columns=list(y.columns) if isinstance(y, pd.DataFrame)
                                  else None)
        folds = pd.Series(folds, index=X.index, name="fold")
    result = (scores,)
    if return_folds:
        result += (folds,)
    if return_skipped:
        result += (pd.DataFrame(skipped, columns=["fold", "label", "n_test", "n_train_positive", "n_train",
                                                  "reason"]),)
    return result if len(result) > 1 else scores


__all__ = ["cross_val_predict_grouped"]
