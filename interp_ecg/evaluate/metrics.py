"""Metrics from scores with patient-level bootstrap confidence intervals.

Threshold metrics (accuracy, balanced accuracy, precision, recall, F1) use ``score >=
threshold``; ROC-AUC and PR-AUC (average precision) use the **scores**; the Brier score and
the calibration slope/intercept treat the scores as probabilities. The calibration slope is
``b`` in ``logit P(y=1) = a + b * logit(p)``; the calibration intercept is
calibration-in-the-large (``a`` with ``b`` fixed at 1): ideal values 1 and 0.

Confidence intervals are percentile bootstrap intervals in which *groups* (patients) are
resampled with replacement, so records of one patient stay together. A replicate in which a
metric is undefined (one class only) is skipped for that metric; ``n_boot_valid`` says how
many remained. Every row carries ``n`` and ``n_positive``. With fewer than
:data:`MIN_PER_CLASS_FOR_CI` records of a class the interval is not estimated (NaN, and
``ci_reason`` says why): with two positives every replicate re-draws the same two records
(or none), and a "1.000 (1.000-1.000)" would only restate them.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.evaluate import metrics_table
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 200)
>>> score = np.clip(0.5 * y + rng.uniform(0, 0.5, 200), 0, 1)
>>> tab = metrics_table(y, score, groups=np.arange(200) // 2, n_boot=50)
>>> tab.set_index("metric").loc["roc_auc", ["estimate", "ci_low", "ci_high"]].between(0, 1).all()
np.True_
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from interp_ecg.errors import ArgumentError
from interp_ecg.io.ids import align_to_index

logger = logging.getLogger(__name__)

METRICS = (
    "accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc",
    "brier", "calibration_slope", "calibration_intercept",
)
_EPS = 1e-6
#: fewest records of each class (positives, negatives) for which a bootstrap interval is given
MIN_PER_CLASS_FOR_CI = 5


def _pair(y, s) -> tuple[np.ndarray, np.ndarray]:
    """``y``, ``s`` as float arrays; two pandas objects are paired by index (:func:`align_scores`)."""
    if isinstance(y, (pd.Series, pd.DataFrame)) and isinstance(s, (pd.Series, pd.DataFrame)):
        y, s, _ = align_scores(y, s)
    return np.asarray(y, dtype=float), np.asarray(s, dtype=float)


def roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC-AUC by the Mann-Whitney rank statistic (ties count one half).

    Two pandas objects are paired by record id (index), and refused when their ids differ;
    arrays are paired by position.
    """
    y, s = _pair(y, s)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return np.nan
    ranks = rankdata(s)
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """PR-AUC as average precision (step-wise, as sklearn's ``average_precision_score``).

    Pairing as :func:`roc_auc`.
    """
    y, s = _pair(y, s)
    n_pos = int(y.sum())
    if n_pos == 0:
        return np.nan
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    # one threshold per distinct score
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s_sorted) - 1]
    tp = np.cumsum(y_sorted)[last]
    fp = (last + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _logit(p):
    p = np.clip(p, _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


def _logistic_fit(x: np.ndarray, y: np.ndarray, offset: np.ndarray | None, slope: bool, n_iter: int = 50):
    """Newton-Raphson for ``logit P = a + b x (+ offset)``; returns (a, b) or NaNs."""
    n = len(y)
    X = np.column_stack([np.ones(n), x]) if slope else np.ones((n, 1))
    off = np.zeros(n) if offset is None else offset
    beta = np.zeros(X.shape[1])
    for _ in range(n_iter):
        eta = np.clip(X @ beta + off, -30, 30)
        mu = 1 / (1 + np.exp(-eta))
        w = mu * (1 - mu)
        H = X.T @ (X * w[:, None]) + 1e-10 * np.eye(X.shape[1])
        g = X.T @ (y - mu)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            return np.nan, np.nan
        beta = beta + step
        if np.max(np.abs(step)) < 1e-8:
            break
    if not np.all(np.isfinite(beta)) or np.max(np.abs(beta)) > 1e3:
        return np.nan, np.nan
    return (beta[0], beta[1]) if slope else (beta[0], 1.0)


def calibration_estimable(y: np.ndarray, s: np.ndarray) -> bool:
    """Whether a calibration slope and intercept (logistic recalibration, Cox 1958) can be estimated.

    Not when the scores take at most two values (a hard 0/1 rule: the fitted slope would only
    reflect how far 0 and 1 were clipped before the logit) nor when they separate the classes
    completely (every positive scored above every negative: the recalibration model has no
    finite maximum-likelihood slope). :func:`binary_metrics` gives NaN then.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.evaluate.metrics import calibration_estimable
    >>> calibration_estimable(np.array([0, 1, 0, 1]), np.array([0.0, 1.0, 0.0, 1.0]))
    False
    >>> calibration_estimable(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.2, 0.8]))
    False
    >>> calibration_estimable(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.6, 0.3]))
    True
    """
    y = np.asarray(y, dtype=float)
    s = np.asarray(s, dtype=float)
    pos = y == 1
    if np.unique(s).size <= 2 or not pos.any() or pos.all():
        return False
    return not (s[pos].min() > s[~pos].max())


def binary_metrics(y: np.ndarray, s: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """All :data:`METRICS` for one binary label (``y`` 0/1, ``s`` scores in [0, 1]).

    Two pandas objects are paired by record id (index), and refused when their ids differ
    (:func:`align_scores`); arrays are paired by position.
    """
    y, s = _pair(y, s)
    pred = s >= threshold
    pos = y == 1
    tp = float(np.sum(pred & pos))
    fp = float(np.sum(pred & ~pos))
    fn = float(np.sum(~pred & pos))
    tn = float(np.sum(~pred & ~pos))
    n = len(y)
    out: dict[str, float] = {}
    out["accuracy"] = (tp + tn) / n if n else np.nan
    tpr = tp / (tp + fn) if tp + fn else np.nan
    tnr = tn / (tn + fp) if tn + fp else np.nan
    out["balanced_accuracy"] = np.nanmean([tpr, tnr]) if np.isfinite([tpr, tnr]).all() else np.nan
    out["precision"] = tp / (tp + fp) if tp + fp else np.nan
    out["recall"] = tpr
    out["f1"] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else np.nan
    out["roc_auc"] = roc_auc(y, s)
    out["pr_auc"] = average_precision(y, s)
    out["brier"] = float(np.mean((s - y) ** 2)) if n else np.nan
    if 0 < y.sum() < n and calibration_estimable(y, s):
        lp = _logit(s)
        _, b = _logistic_fit(lp, y, None, slope=True)
        a, _ = _logistic_fit(lp, y, lp, slope=False)
        out["calibration_slope"], out["calibration_intercept"] = b, a
    else:
        out["calibration_slope"] = out["calibration_intercept"] = np.nan
    return out


def _group_index(groups, n):
    if groups is None:
        return [np.array([i]) for i in range(n)]
    codes, uniques = pd.factorize(pd.Series(np.asarray(groups)))
    missing = codes < 0  # records without a patient id: each its own patient
    if missing.any():
        codes = codes.copy()
        codes[missing] = len(uniques) + np.arange(int(missing.sum()))
    order = np.argsort(codes, kind="mergesort")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


def align_scores(y_true, y_score, groups=None):
    """Line scores (and patient ids) up with the labels by index and by label name.

    Pandas objects carry the record ids on their index. When ``y_true`` and ``y_score`` both
    have an index they are paired **by index** (the scores are reordered to the labels'
    order), never by position; when the indexes hold different ids the call is refused. When
    both are DataFrames the score columns are taken by the label columns' names. A ``groups``
    Series whose index holds the labels' ids is reordered the same way. Arrays (no index)
    are paired by position, as given.

    Parameters
    ----------
    y_true : array-like ``(n,)`` or ``(n, n_labels)``; Series/DataFrame indexed by record id
    y_score : array-like, same shape; Series/DataFrame indexed by record id
    groups : array-like ``(n,)`` or Series, optional
        Patient ids.

    Returns
    -------
    tuple
        ``(y_true, y_score, groups)``, the scores and groups in the labels' order.

    Raises
    ------
    ArgumentError
        When both have an index and the ids differ (the message names the first ids found on
        one side only), when an index repeats ids in another order, or when score columns
        lack a label column.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.evaluate import align_scores
    >>> y = pd.Series([0, 1, 1], index=[10, 11, 12])
    >>> s = pd.Series([0.9, 0.2, 0.1], index=[12, 10, 11])
    >>> align_scores(y, s)[1].tolist()
    [0.2, 0.1, 0.9]
    >>> align_scores(y, pd.Series([0.2, 0.1, 0.9]))
    Traceback (most recent call last):
    ...
    interp_ecg.errors.ArgumentError: y_score's index does not hold the same record ids as y_true's (in y_true only: [10, 11, 12]; in y_score only: [0, 1, 2]); pass an array to pair y_score with y_true by position
    """
    pandas_types = (pd.Series, pd.DataFrame)
    if isinstance(y_true, pandas_types) and isinstance(y_score, pandas_types):
        y_score = align_to_index(y_score, y_true.index, "y_score", "y_true")
        if isinstance(y_true, pd.DataFrame) and isinstance(y_score, pd.DataFrame):
            want = list(y_true.columns)
            if list(y_score.columns) != want:
                missing = [c for c in want if c not in set(y_score.columns)]
                if missing:
                    raise ArgumentError(f"y_score has no column for the labels {missing[:5]} "
                                        f"(score columns: {list(y_score.columns)[:10]})")
                y_score = y_score[want]
        elif isinstance(y_true, pd.Series) and isinstance(y_score, pd.DataFrame) and y_true.name in y_score.columns:
            y_score = y_score[y_true.name]
    if isinstance(groups, pd.Series) and isinstance(y_true, pandas_types):
        groups = align_to_index(groups, y_true.index, "groups", "y_true")
    return y_true, y_score, groups


def _as_matrix(y_true, y_score, labels):
    if isinstance(y_true, pd.DataFrame):
        names = [str(c) for c in y_true.columns]
    elif isinstance(y_true, pd.Series) and y_true.name is not None:
        names = [str(y_true.name)]
    else:
        names = None
    Y = np.asarray(y_true, dtype=float)
    S = np.asarray(y_score, dtype=float)
    if S.ndim == 2 and Y.ndim == 1 and S.shape[1] == 2:
        S = S[:, 1]  # predict_proba of a binary classifier
    if Y.ndim == 1:
        Y, S = Y[:, None], S.reshape(-1, 1)
    if Y.shape != S.shape:
        raise ArgumentError(f"y_true shape {Y.shape} does not match y_score shape {S.shape}")
    if labels is not None:
        names = [str(x) for x in labels]
    if names is None or len(names) != Y.shape[1]:
        names = ["positive"] if Y.shape[1] == 1 else [f"label_{j}" for j in range(Y.shape[1])]
    return Y, S, names


def metrics_table(
    y_true,
    y_score,
    groups=None,
    n_boot: int = 1000,
    threshold: float = 0.5,
    random_state: int | None = 0,
    ci: float = 0.95,
    labels=None,
    metrics: tuple[str, ...] = METRICS,
    min_per_class: int = MIN_PER_CLASS_FOR_CI,
) -> pd.DataFrame:
    """Metrics with patient-level bootstrap CIs; one row per (label, metric).

    Parameters
    ----------
    y_true : array-like ``(n,)`` 0/1, or ``(n, n_labels)`` multi-hot (DataFrame columns name labels)
    y_score : array-like of scores/probabilities, same shape (``(n, 2)`` predict_proba accepted)
        When both are pandas objects they are paired by index and the score columns taken by
        the label names; differing ids are refused (:func:`align_scores`). Arrays are paired
        by position.
    groups : array-like ``(n,)``, optional
        Patient ids; bootstrap replicates resample whole patients. ``None``: records. A
        Series is aligned to ``y_true``'s index.
    n_boot : int
        Bootstrap replicates (0: no CIs).
    threshold : float
        Decision threshold of the threshold metrics.
    random_state : int, optional
    ci : float
        Confidence level.
    labels : sequence of str, optional
        Label names (default: DataFrame columns, ``"positive"`` or ``label_j``).
    metrics : tuple of str
        Subset of :data:`METRICS`.
    min_per_class : int
        Fewest positives and fewest negatives for which an interval is estimated
        (default :data:`MIN_PER_CLASS_FOR_CI`); below it ``ci_low``/``ci_high`` are NaN.

    Returns
    -------
    DataFrame
        Columns ``label, metric, estimate, ci_low, ci_high, n, n_positive, n_groups,
        n_boot_valid, n_unscored, n_labels, ci_reason`` (``n_unscored``: records with a label but no
        score, left out of the row, e.g. a cross-validation fold in which the label could not
        be learnt; the macro row sums them over labels. ``ci_reason``: empty, or why there is
        no interval).
        With several labels, rows ``label == "macro"`` hold the unweighted
        mean over the labels whose estimate of that metric is defined (bootstrapped jointly; an
        interval only when every such label has one); ``n_labels`` says how many labels a row
        averages (1 for a label's row), and a macro row that leaves labels out names them in
        its ``ci_reason``. The macro row's counts cover only the labels it averages: ``n``
        the records scored for at least one of them, ``n_positive`` the records with at least
        one positive among them (not the sum of the labels' positives), ``n_unscored`` the
        sum over them; its ``ci_reason`` lists each label's positives when too few. Rows
        with missing ``y_true`` are dropped
        label by label. ``df.attrs["hard_scores"]`` lists labels whose scores are only 0/1
        (a rule or a hard prediction: ROC-AUC then equals balanced accuracy).
    """
    unknown = set(metrics) - set(METRICS)
    if unknown:
        raise ArgumentError(f"unknown metrics {sorted(unknown)}; choose from {METRICS}")
    y_true, y_score, groups = align_scores(y_true, y_score, groups)
    Y, S, names = _as_matrix(y_true, y_score, labels)
    n = len(Y)
    gidx = _group_index(groups, n)
    rng = np.random.default_rng(random_state)
    boots = [rng.integers(0, len(gidx), len(gidx)) for _ in range(n_boot)]
    boot_rows = [np.concatenate([gidx[g] for g in b]) for b in boots]
    rows = []
    point_all, boot_all = [], []
    hard = []
    smallest_class = []
    label_counts = []  # (label, positives, records scored) for the macro row's reason
    ok_all, unscored_per_label = [], []
    for j, name in enumerate(names):
        ok = np.isfinite(Y[:, j]) & np.isfinite(S[:, j])
        ok_all.append(ok)
        y, s = Y[:, j], S[:, j]
        n_unscored = int((np.isfinite(y) & ~np.isfinite(s)).sum())
        unscored_per_label.append(n_unscored)
        if n_unscored:
            logger.warning("label %r: %d of %d records with a label have no score (NaN) and are left out of its "
                           "metrics (n_unscored)", name, n_unscored, int(np.isfinite(y).sum()))
        if np.isin(s[ok], (0.0, 1.0)).all():
            hard.append(name)
        est = binary_metrics(y[ok], s[ok], threshold)
        reps = []
        for r in boot_rows:
            r = r[ok[r]]
            reps.append(binary_metrics(y[r], s[r], threshold) if len(r) else {m: np.nan for m in METRICS})
        point_all.append(est)
        boot_all.append(reps)
        n_groups = len(_group_index(None if groups is None else np.asarray(groups)[ok], int(ok.sum())))
        n_pos = int(np.nansum(y[ok]))
        smallest_class.append(min(n_pos, int(ok.sum()) - n_pos))
        label_counts.append(f"{name} {n_pos} of {int(ok.sum())}")
        rows += _rows(name, est, reps, metrics, ci, int(ok.sum()), n_pos, n_groups, min_per_class, n_boot,
                      n_unscored=n_unscored)
    if len(names) > 1:
        rows += _macro_rows(names, Y, groups, ok_all, point_all, boot_all, smallest_class, label_counts,
                            unscored_per_label, metrics, ci, min_per_class, n_boot)
    out = pd.DataFrame(rows)
    out.attrs["hard_scores"] = hard
    if hard:
        logger.info("labels %s have hard 0/1 scores: ROC-AUC equals balanced accuracy", hard)
    return out



def _macro_rows(names, Y, groups, ok_all, point_all, boot_all, smallest_class, label_counts, unscored_per_label,
                metrics, ci, min_per_class, n_boot):
    """The macro rows, metric by metric: the mean over the labels whose estimate is defined, and
    counts (records, positives, patients, unscored) over those labels only."""
    rows = []
    for m in metrics:
        used = [j for j in range(len(names)) if np.isfinite(point_all[j][m])]
        left_out = [names[j] for j in range(len(names)) if j not in used]
        if left_out:
            logger.warning("macro %s averages %d of %d labels; left out (estimate not defined): %s", m, len(used),
                           len(names), left_out)
        counted = used or list(range(len(names)))
        scored = np.zeros(len(Y), dtype=bool)
        positive = np.zeros(len(Y), dtype=bool)
        for j in counted:
            scored |= ok_all[j]
            positive |= ok_all[j] & (np.nan_to_num(Y[:, j], nan=0.0) > 0)
        est = {m: float(np.mean([point_all[j][m] for j in used])) if used else np.nan}
        reps = [{m: float(np.nanmean([boot_all[j][b][m] for j in used])) if used else np.nan} for b in range(n_boot)]
        n_groups = len(_group_index(None if groups is None else np.asarray(groups)[scored], int(scored.sum())))
        # counts of records, not labels: those with at least one positive among the averaged labels
        # (a record positive for two labels is one record); the reason lists each label's positives
        out = _rows("macro", est, reps, (m,), ci, int(scored.sum()), int(positive.sum()), n_groups, min_per_class,
                    n_boot, smallest=min(smallest_class[j] for j in counted),
                    counts=f"positive records per label: {', '.join(label_counts[j] for j in counted)}",
                    n_unscored=int(sum(unscored_per_label[j] for j in counted)), n_labels=len(used))
        if left_out:
            note = (f"averages {len(used)} of {len(names)} labels "
                    f"(left out, estimate not defined: {', '.join(left_out)})")
            out[0]["ci_reason"] = f"{out[0]['ci_reason']}; {note}" if out[0]["ci_reason"] else note
        rows += out
    return rows


def tagged_metrics_table(
    y_true,
    y_score,
    groups=None,
    *,
    n_boot: int = 1000,
    random_state: int | None = 0,
    metrics: tuple[str, ...] = METRICS,
    min_per_class: int = MIN_PER_CLASS_FOR_CI,
    **tags,
) -> pd.DataFrame:
    """:func:`metrics_table` with descriptive columns in front (the studies' tables).

    One label: records where the label or the score is missing are left out *before* the
    bootstrap, so the replicates resample only the patients that are scored, and the
    ``label`` column of :func:`metrics_table` is dropped (pass ``label=`` as a tag). Several
    labels (2-D ``y_true``): as :func:`metrics_table` (missing labels dropped label by label,
    the ``label`` column and its ``macro`` rows kept), with the tags in front.

    Parameters
    ----------
    y_true : array-like ``(n,)`` or ``(n, n_labels)``
        0/1 label, NaN where unknown. When ``y_true`` and ``y_score`` are both pandas objects
        they are paired by index (and DataFrame columns by name), and refused when their ids
        differ (:func:`align_scores`); arrays are paired by position.
    y_score : array-like, same shape
        Scores or probabilities (a rule as a hard 0/1 score), NaN where not scored.
    groups : array-like ``(n,)``, optional
        Patient ids; bootstrap replicates resample whole patients.
    n_boot, random_state, metrics, min_per_class
        As :func:`metrics_table`.
    **tags
        Leading columns, in the order given (``model="rf", label="wct"``), each holding one value.

    Returns
    -------
    pandas.DataFrame
        The tag columns, then ``metric, estimate, ci_low, ci_high, n, n_positive, n_groups,
        n_boot_valid, n_unscored, n_labels, ci_reason`` (``n_unscored``: records with a label but no score,
        left out); empty when no record has both a label and a score.

    Examples
    --------
    >>> from interp_ecg.evaluate import tagged_metrics_table
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1, np.nan])
    >>> t = tagged_metrics_table(y, [0.1, 0.4, 0.35, 0.8, 0.5], n_boot=0, model="rule", label="wct",
    ...                          metrics=("roc_auc",))
    >>> t[["model", "label", "metric", "estimate", "n"]].values.tolist()
    [['rule', 'wct', 'roc_auc', 0.75, 4]]
    """
    y_true, y_score, groups = align_scores(y_true, y_score, groups)
    if np.ndim(y_true) == 2:
        tab = metrics_table(y_true, y_score, groups, n_boot=n_boot, random_state=random_state, metrics=metrics,
                            min_per_class=min_per_class)
    else:
        y = pd.Series(np.asarray(y_true, dtype=float).reshape(-1))
        s = pd.Series(np.asarray(y_score, dtype=float).reshape(-1))
        if len(s) != len(y):
            raise ArgumentError(f"y_true has {len(y)} records, y_score {len(s)}")
        ok = (y.notna() & s.notna()).to_numpy()
        if ok.sum() == 0:
            return pd.DataFrame()
        n_unscored = int((y.notna() & s.isna()).sum())
        if n_unscored:
            logger.warning("%d of %d records with a label have no score (NaN) and are left out of the metrics "
                           "(n_unscored)", n_unscored, int(y.notna().sum()))
        g = None if groups is None else np.asarray(groups)[ok]
        tab = metrics_table(y[ok].to_numpy(), s[ok].to_numpy(), g, n_boot=n_boot, random_state=random_state,
                            metrics=metrics, min_per_class=min_per_class).drop(columns=["label"])
        tab["n_unscored"] = n_unscored
    for key, value in reversed(list(tags.items())):
        tab.insert(0, key, value)
    return tab


def _rows(label, est, reps, metrics, ci, n, n_pos, n_groups, min_per_class, n_boot, smallest=None, counts=None,
          n_unscored=0, n_labels=1):
    alpha = (1 - ci) / 2
    n_neg = n - n_pos
    smallest = min(n_pos, n_neg) if smallest is None else smallest
    too_few = ""
    if n_boot == 0:
        too_few = "not bootstrapped (n_boot=0)"
    elif smallest < min_per_class:
        per_label = "" if label != "macro" else " in some label"
        counts = counts or f"{n_pos} positive, {n_neg} negative of {n}"
        too_few = f"fewer than {min_per_class} records of a class{per_label} ({counts}): no interval"
    rows = []
    for m in metrics:
        vals = np.array([r[m] for r in reps], dtype=float)
        vals = vals[np.isfinite(vals)]
        reason = too_few
        if n_boot == 0 and not np.isfinite(est[m]):
            # say why there is no value, not only why there is no interval
            what = counts or f"{n_pos} positive, {n_neg} negative of {n}"
            reason = f"the estimate is not defined on these data ({what}); not bootstrapped (n_boot=0)"
        elif not reason and not np.isfinite(est[m]):
            # no interval around a value that cannot be estimated on the data itself
            reason = "the estimate is not defined on these data: no interval"
        elif not reason and not len(vals):
            reason = "no bootstrap replicate defines the metric: no interval"
        lo, hi = (np.nan, np.nan) if reason else np.quantile(vals, [alpha, 1 - alpha])
        rows.append({"label": label, "metric": m, "estimate": est[m], "ci_low": float(lo), "ci_high": float(hi),
                     "n": n, "n_positive": n_pos, "n_groups": n_groups, "n_boot_valid": len(vals),
                     "n_unscored": n_unscored, "n_labels": n_labels, "ci_reason": reason})
    return rows


def format_interval(estimate: float, low: float, high: float, digits: int = 3) -> str:
    """``"0.912 (0.881-0.940)"``: an estimate and its interval, the three with the same decimals.

    All three numbers get ``digits`` decimals, or more when one of them is smaller than
    ``10**-digits`` (then enough decimals for two significant digits of the smallest non-zero
    value, for all three: ``"0.00200 (0.00056-0.00400)"``, not ``"0.002 (0.00056-0.004)"``).
    The bounds are joined by ``" to "`` when one of them is negative
    (``"-2.100 (-3.983 to -0.599)"``, not ``"(-3.983--0.599)"``), else by ``"-"``. A missing
    bound reads ``"(no CI)"``; a missing estimate ``"NA"``.

    Parameters
    ----------
    estimate, low, high : float
        The point estimate and the bounds of its interval (NaN when not estimable).
    digits : int
        Decimals at least.

    Returns
    -------
    str

    Examples
    --------
    >>> from interp_ecg.evaluate import format_interval
    >>> format_interval(0.912, 0.881, 0.94)
    '0.912 (0.881-0.940)'
    >>> format_interval(-2.1, -3.983, -0.599)
    '-2.100 (-3.983 to -0.599)'
    >>> format_interval(0.002, 0.00056, 0.004)
    '0.00200 (0.00056-0.00400)'
    >>> format_interval(1.0, float("nan"), float("nan"))
    '1.000 (no CI)'
    """
    vals = [float(v) if v is not None else float("nan") for v in (estimate, low, high)]
    if not np.isfinite(vals[0]):
        return "NA"
    tiny = [abs(v) for v in vals if np.isfinite(v) and v != 0 and abs(v) < 10 ** (-digits)]
    dec = max(digits, int(-np.floor(np.log10(min(tiny)))) + 1) if tiny else digits
    f = f"{{:.{dec}f}}"
    text = f.format(vals[0])
    if not (np.isfinite(vals[1]) and np.isfinite(vals[2])):
        return text + " (no CI)"
    sep = " to " if vals[1] < 0 or vals[2] < 0 else "-"
    return f"{text} ({f.format(vals[1])}{sep}{f.format(vals[2])})"


def format_ci(table: pd.DataFrame, digits: int = 3, with_n: bool = True) -> pd.Series:
    """``"0.912 (0.881-0.940); n 200, 57 positive"`` strings for a :func:`metrics_table` result.

    Each estimate and interval as :func:`format_interval` writes it (same decimals for the
    three, ``" to "`` between negative bounds). A row without an interval reads
    ``"1.000 (no CI); n 24, 2 positive"`` (its ``ci_reason`` says why). ``with_n=False``
    leaves the counts out.

    Examples
    --------
    >>> from interp_ecg.evaluate import format_ci, metrics_table
    >>> t = metrics_table([0, 0, 1, 0, 1, 0], [0.1, 0.2, 0.9, 0.3, 0.8, 0.4], n_boot=20, metrics=("roc_auc",))
    >>> format_ci(t).iloc[0]
    '1.000 (no CI); n 6, 2 positive'
    >>> t.ci_reason.iloc[0]
    'fewer than 5 records of a class (2 positive, 4 negative of 6): no interval'
    """

    def one(r) -> str:
        text = format_interval(r.estimate, r.ci_low, r.ci_high, digits)
        if with_n and "n" in r and "n_positive" in r:
            text += f"; n {int(r.n)}, {int(r.n_positive)} positive"
        return text

    return table.apply(one, axis=1)


__all__ = ["metrics_table", "align_scores", "binary_metrics", "calibration_estimable", "roc_auc", "average_precision", "format_ci", "format_interval", "METRICS",
           "MIN_PER_CLASS_FOR_CI"]
