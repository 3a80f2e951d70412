"""SHAP explanations of every model of :mod:`interp_ecg.models`, as ``shap.Explanation``.

Which explainer, and in which output space
------------------------------------------
Every explainer measures the rows against a **background**: the ``background`` rows when
given (e.g. a sample of training rows), else the explained rows themselves, subsampled to
``max_background`` rows. The base value is always the mean of the explained output over
those rows, and ``explanation.base_meaning`` says so in words ("mean predicted probability
of the model on 100 background records; the model was trained with class weights, so this
is not the prevalence of the class"). One row cannot be explained without a background.

* one tree member (random forest, extra trees, XGBoost, LightGBM, sklearn GB), uncalibrated:
  interventional ``shap.TreeExplainer`` on the background (exact). ``output="margin"``
  (default): the member's raw output, i.e. log-odds for XGBoost / LightGBM / GB and the
  positive-class probability for forests (whose raw output is a probability);
  ``output="probability"``: the probability. Path-dependent Tree SHAP is not used for
  explanations: its base value is the trees' training expectation as weighted in training
  (about 0.5 for the package's class-balanced forests, whatever the cohort) and it ignores
  the background.
* logistic regression: ``shap.LinearExplainer`` (exact for a linear model, independent
  features), in log-odds; in probability space a permutation explainer.
* soft-voting ensembles: the weighted sum of the members' explanations **in probability
  space** (each member explained on the probability scale as above), so values plus base
  value equal the ensemble's probability. ``output="margin"`` is refused: a mean of
  probabilities has no log-odds margin.
* stacking, calibrated members, multi-class: permutation sampling of Shapley values
  (antithetic feature orders, interventional on the background) on the positive-class
  (calibrated) probability, or on every class of a multi-class model explained without
  ``label`` (an output axis, as shap gives). Exactly additive; per-feature values are
  sampled estimates (``max_evals`` sets the budget).

In every case ``values.sum(1) + base_values`` equals
:meth:`interp_ecg.models.EnsembleClassifier.predict_margin` (``output="margin"``) or the
probability (``output="probability"``) within :data:`ADDITIVITY_ATOL` (1e-6), with or without
missing values; ``explanation.output_space`` says which. shap's own additivity check compares
with shap's copy of the trees, so it is not used; each explanation (and each member's part of
an ensemble's) is checked against the model's own prediction before it is returned, and a
gap raises :class:`~interp_ecg.errors.ModelError` naming the member and the row.

Missing values and number formats
---------------------------------
The trees are explained on the rows exactly as the tree library routes them: float32 for
sklearn trees and XGBoost (which compare float32 values), and for LightGBM models saved
before every split routed NaN as missing, NaN recoded as such a model does (NaN counts as 0
on a feature that had no NaN in training), which shap's copy of the trees does not know.
shap's interventional algorithm stores split thresholds as float32, while LightGBM and
sklearn compare float64 thresholds; the trees are therefore given to shap with each
threshold replaced by its rank and each value by the number of thresholds below it (exact
in float32), so a measurement on or next to a threshold goes the way the model sends it.
XGBoost sums its trees in float32; its margin
(:func:`interp_ecg.models.ensemble.xgboost_margin`) and its SHAP values are computed in
float64 here, so they agree to ~1e-9 rather than ~1e-5.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from interp_ecg.models import EnsembleClassifier
>>> from interp_ecg.explain import shap_explanation
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["QRS_duration_ms", "heart_rate_bpm", "R_amp_mV_V1"])
>>> y = (X["QRS_duration_ms"] > 0).astype(int)
>>> model = EnsembleClassifier(("xgb",), member_params={"xgb": {"n_estimators": 20}}, random_state=0).fit(X, y)
>>> ex = shap_explanation(model, X, background=X.iloc[:50])
>>> ex.values.shape, ex.output_space
((80, 3), 'margin')
>>> ex.base_meaning
'mean log-odds (margin) of the model on 50 background records; the model was trained with class weights, so this is not the prevalence of the class'
>>> bool(np.isclose(ex.base_values[0], model.predict_margin(X.iloc[:50]).mean(), rtol=0, atol=1e-6))
True
>>> bool(np.allclose(ex.values.sum(1) + ex.base_values, model.predict_margin(X), rtol=0, atol=1e-6))
True
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from interp_ecg.errors import ModelError
from interp_ecg.models.ensemble import member_margin, xgboost_base_margin
from interp_ecg.models.members import TREE_MEMBERS, transform_until_clf

#: members whose raw output is already a probability
FOREST_MEMBERS = ("rf", "et")

logger = logging.getLogger(__name__)

OUTPUTS = ("auto", "margin", "probability")


def feature_frame(model, X) -> pd.DataFrame:
    """``X`` as a DataFrame with the model's feature columns, in its order (shape ``(n, p)``)."""
    names = getattr(model, "feature_names_in_", None)
    if isinstance(X, pd.DataFrame):
        if names is not None:
            missing = [n for n in names if n not in X.columns]
            if missing:
                raise ModelError(f"X lacks model features {missing[:5]}")
            return X.loc[:, list(names)]
        return X
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[None, :]
    cols = list(names) if names is not None else [f"x{j}" for j in range(X.shape[1])]
    return pd.DataFrame(X, columns=cols)


def _pos(arr, ndim_single: int):
    """Positive-class slice of SHAP outputs that may be per class."""
    if isinstance(arr, list):
        return np.asarray(arr[-1])
    arr = np.asarray(arr)
    if arr.ndim == ndim_single + 1:
        return arr[..., -1]
    return arr


def _background(X_arr: np.ndarray, background, max_background: int, random_state) -> np.ndarray:
    if background is None and len(X_arr) < 2:
        raise ModelError(
            "one row explained without background=: SHAP values measure the row against the mean output of "
            "the model on a set of reference records, and a single row has none; pass background= (e.g. a "
            "sample of training rows)")
    B = X_arr if background is None else np.asarray(background, dtype=float)
    if len(B) == 0:
        raise ModelError("background= has no rows")
    if len(B) > max_background:
        rng = np.random.default_rng(random_state)
        B = B[rng.choice(len(B), max_background, replace=False)]
    return B


def base_value_meaning(model, scale: str, n_background: int, n_given: int, own_rows: bool,
                       class_name: str | None = None) -> str:
    """What an explanation's base value is, in words (the ``base_meaning`` of :func:`shap_explanation`).

    Every explainer of this module measures the rows against the background: the base value is
    the mean of the explained output over the ``n_background`` background rows. A model
    trained with class weights or resampling predicts probabilities that are not calibrated
    to the prevalence, so its mean prediction is not the cohort's risk; the text says so.

    Examples
    --------
    >>> from interp_ecg.explain.shap_values import base_value_meaning
    >>> base_value_meaning(None, "probability", 100, 400, own_rows=False)
    'mean predicted probability of the model on 100 background records (drawn at random from the 400 given)'
    """
    what = "mean log-odds (margin)" if scale == "log-odds" else "mean predicted probability"
    if class_name is not None:
        what += f" of class {class_name}"
    rows = f"{n_background} of the explained records" if own_rows else f"{n_background} background records"
    text = f"{what} of the model on {rows}"
    if n_given > n_background:
        text += f" (drawn at random from the {n_given} given)"
    weighted = getattr(model, "class_weight", None) is not None or getattr(model, "resample", None) is not None
    if weighted:
        how = "resampled classes" if getattr(model, "resample", None) is not None else "class weights"
        text += f"; the model was trained with {how}, so this is not the prevalence of the class"
    return text


#: largest allowed |sum(values) + base_value - model output| of a returned explanation
ADDITIVITY_ATOL = 1e-6

#: LightGBM's threshold under which a value counts as zero (``kZeroThreshold``)
_LGBM_ZERO = 1e-35


def _lgbm_missing_types(clf) -> dict[int, set[str]]:
    """``{feature index: {missing_type, ...}}`` over every split of a fitted LightGBM model."""
    found: dict[int, set[str]] = {}
    stack = [t["tree_structure"] for t in clf.booster_.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_feature" in node:
            found.setdefault(int(node["split_feature"]), set()).add(str(node.get("missing_type", "None")))
            stack += [node["left_child"], node["right_child"]]
    return found


def _as_lightgbm_routes(clf, A: np.ndarray) -> np.ndarray:
    """Recode NaN and zeros so that shap's copy of LightGBM trees routes rows as LightGBM does.

    shap's tree parser keeps each split's default direction but not LightGBM's
    ``missing_type``. LightGBM turns NaN into 0.0 on features whose splits have missing type
    ``None`` (no NaN seen in training), and sends zeros as well as NaN the default way on
    features of missing type ``Zero``. Recoding the input the same way (NaN -> 0 and
    0 -> NaN respectively) makes shap's traversal equal to LightGBM's prediction; LightGBM's
    own output for the recoded rows is unchanged.
    """
    A = np.array(A, dtype=float, copy=True)
    for j, kinds in _lgbm_missing_types(clf).items():
        if kinds == {"None"}:
            A[np.isnan(A[:, j]), j] = 0.0
        elif kinds == {"Zero"}:
            A[np.abs(A[:, j]) <= _LGBM_ZERO, j] = np.nan
        elif kinds != {"NaN"}:
            raise ModelError(f"LightGBM feature {j} mixes missing-value rules {sorted(kinds)}: "
                             "its SHAP values cannot be made to match the model")
    return A


def _tree_input(name, clf, A: np.ndarray) -> np.ndarray:
    """The rows as the tree library itself sees them (float32 for sklearn and XGBoost)."""
    if name == "lgbm":
        return _as_lightgbm_routes(clf, A)
    # sklearn trees and XGBoost compare float32 values with float32 thresholds
    return np.asarray(A, dtype=np.float32).astype(np.float64)


def _with_node_means(tree: dict) -> dict:
    """Set each internal node's value to the cover-weighted mean of its leaves.

    shap reads a dictionary tree's expected value from its root; XGBoost stores no value for
    internal nodes, so they are filled in from the leaves (children before parents).
    """
    left, right = tree["children_left"], tree["children_right"]
    values = np.asarray(tree["values"], dtype=np.float64).reshape(len(left), -1)
    cover = np.asarray(tree["node_sample_weight"], dtype=np.float64)
    order, stack = [], [0]
    while stack:  # depth-first pre-order; reversed, every child comes before its parent
        node = stack.pop()
        order.append(node)
        if left[node] >= 0:
            stack += [int(left[node]), int(right[node])]
    for node in reversed(order):
        if left[node] >= 0:
            lw, rw = cover[left[node]], cover[right[node]]
            values[node] = (lw * values[left[node]] + rw * values[right[node]]) / (lw + rw)
    tree["values"] = values
    return tree


def _xgb_float64_explainer(clf):
    """Path-dependent Tree SHAP of an XGBoost model computed by shap in float64.

    For XGBoost, shap hands path-dependent explanations to XGBoost's own ``pred_contribs``,
    which works in float32: with hundreds of trees the values miss the model's output by
    ~1e-5. Passing shap the same trees (as parsed by shap) in its documented dictionary
    form, with the booster's base margin, runs shap's float64 algorithm instead.
    """
    import shap

    base = xgboost_base_margin(clf)
    parsed = shap.TreeExplainer(clf)
    if base is None:
        return parsed
    keys = ("children_left", "children_right", "children_default", "features", "thresholds", "values",
            "node_sample_weight")
    trees = [_with_node_means({k: np.array(getattr(t, k), copy=True) for k in keys}) for t in parsed.model.trees]
    return shap.TreeExplainer({"trees": trees, "base_offset": base, "input_dtype": np.float64,
                               "internal_dtype": np.float64, "tree_output": parsed.model.tree_output,
                               "objective": parsed.model.objective})


def _split_ranks(trees, p: int) -> list[np.ndarray]:
    """Sorted distinct split thresholds of each of the ``p`` features over all ``trees``."""
    found: list[list[np.ndarray]] = [[] for _ in range(p)]
    for t in trees:
        inner = np.flatnonzero(np.asarray(t.children_left) >= 0)
        feats = np.asarray(t.features)[inner]
        thr = np.asarray(t.thresholds, dtype=np.float64)[inner]
        for j in np.unique(feats):
            found[int(j)].append(thr[feats == j])
    return [np.unique(np.concatenate(f)) if f else np.empty(0) for f in found]


def _rank_coded(ranks: list[np.ndarray], A: np.ndarray) -> np.ndarray:
    """Replace each value by how many of its feature's thresholds lie below it (NaN kept).

    shap's parsed trees send ``x`` right at threshold ``t`` exactly when ``t < x`` (its parser
    moves XGBoost's strict ``x < t`` thresholds one float32 step down), i.e. when the count of
    thresholds below ``x`` exceeds ``t``'s rank ``k``, or ``k + 0.5``; counts and ranks are
    small integers, exact in float32.
    """
    out = np.array(A, dtype=np.float64, copy=True)
    for j, thr in enumerate(ranks):
        col = A[:, j]
        ok = ~np.isnan(col)
        out[ok, j] = np.searchsorted(thr, col[ok], side="left")
    return out


def _interventional(clf, Xt: np.ndarray, Bt: np.ndarray, model_output: str):
    """Interventional Tree SHAP of a tree member against the background ``Bt``, routed as the model routes.

    ``model_output``: ``"raw"`` (the member's margin: log-odds of a booster, probability of
    a forest) or ``"probability"`` (a booster's probability). The base value is the mean of
    that output over the background rows, whatever weights the trees were trained with.

    shap's interventional algorithm stores each split threshold as float32, while LightGBM
    and sklearn compare with float64 thresholds: a value between a threshold and its float32
    rounding (common for measurements on a fixed grid, such as 0.1037 mV against LightGBM's
    0.10370000128) went down the other branch than in the model, and the values no longer
    added up to its probability. Here every threshold is replaced by its rank among its
    feature's thresholds (``k + 0.5``) and every value by the number of thresholds below it,
    which float32 represents exactly, so each comparison has the model's outcome. The trees
    are the ones shap parsed from the model (leaf values, default directions, base margin).
    """
    import shap

    parsed = shap.TreeExplainer(clf).model
    if any(np.any(np.asarray(getattr(t, "threshold_types", 0)) == 1) for t in parsed.trees):
        raise ModelError("the booster has categorical splits; it cannot be explained by the interventional "
                         "tree explainer (numeric feature tables only)")
    ranks = _split_ranks(parsed.trees, Xt.shape[1])
    keys = ("children_left", "children_right", "children_default", "features", "values", "node_sample_weight")
    base_offset = parsed.base_offset
    # a binary forest stores both classes' probabilities: explaining the positive one halves the work
    positive_only = np.ndim(parsed.trees[0].values) == 2 and np.shape(parsed.trees[0].values)[1] == 2
    if positive_only:
        base_offset = np.asarray(base_offset, dtype=np.float64).reshape(-1)[-1:]
    trees = []
    for t in parsed.trees:
        tree = {k: np.array(getattr(t, k), copy=True) for k in keys}
        if positive_only:
            tree["values"] = tree["values"][:, 1:]
        thr = np.array(t.thresholds, dtype=np.float64, copy=True)
        for node in np.flatnonzero(tree["children_left"] >= 0):
            thr[node] = np.searchsorted(ranks[int(tree["features"][node])], thr[node], side="left") + 0.5
        tree["thresholds"] = thr
        trees.append(tree)
    coded = {"trees": trees, "base_offset": base_offset, "input_dtype": np.float64,
             "internal_dtype": np.float64, "tree_output": parsed.tree_output,
             "objective": parsed.objective or "binary_crossentropy"}
    expl = shap.TreeExplainer(coded, data=_rank_coded(ranks, Bt), model_output=model_output,
                              feature_perturbation="interventional")
    return expl, _rank_coded(ranks, Xt)


def _tree(name, pipe, X_arr, output, B):
    """Interventional Tree SHAP of one tree member on the background ``B`` (margin or probability).

    Path-dependent Tree SHAP is not used: its base value is the trees' training expectation,
    weighted as they were trained (class-balanced sample weights, boosters' hessian covers),
    e.g. ~0.5 for a class-balanced forest whatever the cohort, and it ignores ``B``.
    """
    clf = pipe.steps[-1][1]
    Xt = _tree_input(name, clf, transform_until_clf(pipe, X_arr))
    # missing values in the background follow the trees' default directions
    Bt = _tree_input(name, clf, transform_until_clf(pipe, B))
    # a forest's raw output is its probability; a booster's is its log-odds
    model_output = "probability" if output == "probability" and name not in FOREST_MEMBERS else "raw"
    expl, Xc = _interventional(clf, Xt, Bt, model_output)
    # shap's own check compares with its copy of the trees; ours (``_check_additive``)
    # compares with the model's prediction, which is what the promise is about
    vals = _pos(expl.shap_values(Xc, check_additivity=False), 2)
    base = np.asarray(_pos(expl.expected_value, 0), dtype=float).reshape(-1)[-1]
    return np.asarray(vals, dtype=float), np.full(len(X_arr), float(base))


def _linear(pipe, X_arr, B):
    import shap

    Xt = transform_until_clf(pipe, X_arr)
    Bt = transform_until_clf(pipe, B)
    clf = pipe.steps[-1][1]
    expl = shap.LinearExplainer(clf, shap.maskers.Independent(Bt, max_samples=len(Bt)))
    vals = np.asarray(_pos(expl.shap_values(Xt), 2), dtype=float)
    base = float(np.asarray(expl.expected_value).reshape(-1)[-1])
    return vals, np.full(len(X_arr), base)


def _permutation(f, X_arr, B, random_state, max_evals=None):
    """Antithetic permutation-sampling Shapley values of ``f`` against the background ``B``.

    For each sampled feature order (and its reverse) the features are switched from the
    background rows to the explained row one at a time; each switch's change of the mean
    output is that feature's contribution. Every order telescopes to
    ``f(x) - mean f(B)``, so the estimate is exactly additive. ``max_evals`` bounds the
    number of coalitions evaluated per row (default ``min(20 (p+1), 2000)``, at least one
    order and its reverse). ``f`` may return one output per row ``(m,)`` or several
    ``(m, k)``; the values are then ``(n, p, k)`` and the base values ``(n, k)``.
    """
    rng = np.random.default_rng(random_state)
    n, p = X_arr.shape
    budget = max_evals or min(20 * (p + 1), 2000)
    n_pairs = max(1, budget // (2 * (p + 1)))
    fB = np.asarray(f(B), dtype=float)
    out_shape = fB.shape[1:]
    base = fB.mean(axis=0)
    steps = np.tril(np.ones((p + 1, p), dtype=bool), k=-1)  # row k: first k features switched
    vals = np.zeros((n, p) + out_shape)
    per_order = (p + 1) * len(B)
    chunk = max(1, 200_000 // max(per_order, 1))  # orders evaluated per model call
    for i in range(n):
        x = X_arr[i]
        orders = []
        for _ in range(n_pairs):
            perm = rng.permutation(p)
            orders += [perm, perm[::-1]]
        for c in range(0, len(orders), chunk):
            batch = orders[c:c + chunk]
            mask = np.zeros((len(batch), p + 1, p), dtype=bool)
            for b, order in enumerate(batch):
                mask[b][:, order] = steps
            Z = np.where(mask[:, :, None, :], x, B[None, None, :, :]).reshape(-1, p)
            v = np.asarray(f(Z), dtype=float).reshape((len(batch), p + 1, len(B)) + out_shape).mean(axis=2)
            for b, order in enumerate(batch):
                vals[i, order] += np.diff(v[b], axis=0)
        vals[i] /= len(orders)
    return vals, np.broadcast_to(base, (n,) + out_shape).copy()


def _member_output(name, pipe, X_arr, space) -> np.ndarray:
    """What a member's explanation must add up to: its margin or positive-class probability."""
    if space == "margin":
        return member_margin(name, pipe, X_arr)
    return np.asarray(pipe.predict_proba(X_arr)[:, 1], dtype=float)


def _member_raw(name, pipe, X_arr, k: int, n_classes: int) -> np.ndarray:
    """A member's raw output for class ``k``: what its tree SHAP values add up to."""
    if n_classes == 2:
        return member_margin(name, pipe, X_arr)
    Xt = transform_until_clf(pipe, X_arr)
    clf = pipe.steps[-1][1]
    if name == "xgb":
        raw = clf.predict(Xt, output_margin=True)
    elif name == "lgbm":
        raw = clf.predict(Xt, raw_score=True)
    elif name == "gb":
        raw = clf.decision_function(Xt)
    else:
        raw = clf.predict_proba(Xt)
    return np.asarray(raw, dtype=float)[:, k]


def _check_additive(vals, base, target, what: str, space: str, X_arr, names) -> None:
    """Raise :class:`ModelError` unless ``vals.sum(features) + base == target`` within the tolerance."""
    total = np.asarray(vals, dtype=float).sum(axis=1) + np.asarray(base, dtype=float)
    gap = np.abs(total - np.asarray(target, dtype=float))
    if not np.all(np.isfinite(gap)):
        bad = np.argwhere(~np.isfinite(gap))[0]
        raise ModelError(f"SHAP values of {what} are not finite (row {int(bad[0])}); cannot explain")
    if gap.size and gap.max() > ADDITIVITY_ATOL:
        i = int(np.unravel_index(np.argmax(gap), gap.shape)[0])
        missing = [str(names[j]) for j in np.flatnonzero(np.isnan(X_arr[i]))][:5]
        raise ModelError(
            f"SHAP values of {what} do not add up to its {space} output: values + base = "
            f"{float(total.reshape(len(total), -1)[i].max()):.6g} but the model gives "
            f"{float(np.asarray(target).reshape(len(total), -1)[i].max()):.6g} at row {i} "
            f"(gap {gap.max():.3g} > {ADDITIVITY_ATOL:g})"
            + (f"; the row has missing values in {missing}" if missing else "")
        )


def _member_values(name, pipe, X_arr, output, B, random_state, names):
    if name in TREE_MEMBERS:
        vals, base = _tree(name, pipe, X_arr, output, B)
    elif output == "margin":
        vals, base = _linear(pipe, X_arr, B)
    else:
        vals, base = _permutation(lambda Z: pipe.predict_proba(Z)[:, 1], X_arr, B, random_state)
    _check_additive(vals, base, _member_output(name, pipe, X_arr, output), f"member {name!r}", output,
                    X_arr, names)
    return vals, base


def resolve_label(model, label):
    """The sub-model and label name that ``label`` selects in a multi-label model.

    Returns ``(model, None)`` for a single-output model; raises
    :class:`~interp_ecg.errors.ModelError` when a multi-label model gets no or an unknown label.
    """
    if not getattr(model, "multilabel_", False):
        return model, None
    if label is None:
        raise ModelError(f"multi-label model: pass label= one of {model.labels_} (or use shap_explanations)")
    labels = [str(x) for x in model.labels_]
    if str(label) in labels:
        idx = labels.index(str(label))
    elif isinstance(label, (int, np.integer)) and not isinstance(label, bool) and -len(labels) <= label < len(labels):
        idx = int(label)
    else:
        raise ModelError(f"label {label!r} is not a label of the model; labels are {labels}")
    return model.estimators_[idx], labels[idx]


def class_index(classes, label) -> int:
    """Position of ``label`` among a multi-class model's classes (by value, then by name)."""
    for k, c in enumerate(classes):
        if c == label or str(c) == str(label):
            return k
    raise ModelError(f"label {label!r} is not a class of the model; classes are {[str(c) for c in classes]}")


def shap_explanation(
    model,
    X,
    output: str = "auto",
    background=None,
    max_background: int = 100,
    label=None,
    random_state: int = 0,
    max_evals: int | None = None,
):
    """Explain a fitted :class:`~interp_ecg.models.EnsembleClassifier` on the rows ``X``.

    Parameters
    ----------
    model : fitted EnsembleClassifier (binary, multi-class, or multi-label with ``label``)
    X : DataFrame or array of the rows to explain
    output : {"auto", "margin", "probability"}
        ``"auto"``: the margin for one uncalibrated member, the probability otherwise.
    background : array-like, optional
        Reference rows (e.g. a training sample), subsampled to ``max_background`` rows; the
        base value is the model's mean output on them. Default: ``X`` itself (then ``X``
        needs at least 2 rows).
    max_background : int
    label : str or int, optional
        Multi-label models: which label (required). Multi-class models: the class to
        explain; without it every class is explained (an output axis, as shap does).
        Binary models: the positive class, if given.
    random_state : int
    max_evals : int, optional
        Budget of the permutation explainer.

    Returns
    -------
    shap.Explanation
        ``values (n, p)``, ``base_values (n,)``, ``data`` (the rows), ``feature_names``, and
        the attributes ``output_space`` (``"margin"`` or ``"probability"``), ``scale``
        (the units of the values: ``"log-odds"``, or ``"probability"``, which a forest's
        margin is too), ``label``,
        ``background_size`` (rows the base value is the mean output over) and
        ``base_meaning`` (the base value in words, see :func:`base_value_meaning`).
        A multi-class model explained without ``label``: ``values (n, p, k)``,
        ``base_values (n, k)`` and ``output_names`` (the classes); ``label`` is None.

    Raises
    ------
    ModelError
        An unfitted or foreign model, an unknown label, one row without ``background``, an
        empty background, or (never expected) an explanation
        that does not add up to the model's output within :data:`ADDITIVITY_ATOL`: every
        explanation is checked against the model's own prediction before it is returned.
    """
    import shap

    if output not in OUTPUTS:
        raise ModelError(f"output must be one of {OUTPUTS}, got {output!r}")
    if not hasattr(model, "classes_"):
        raise ModelError("shap_explanation needs a fitted model")
    target, label_name = resolve_label(model, label)
    Xf = feature_frame(target, X)
    X_arr = Xf.to_numpy(dtype=float)
    names = list(Xf.columns)
    given = None if background is None else feature_frame(target, background).to_numpy(dtype=float)
    B = _background(X_arr, given, max_background, random_state)
    n_given = len(X_arr) if given is None else len(given)
    members = getattr(target, "members_", None)
    if members is None:
        raise ModelError(f"shap_explanation supports interp_ecg models, got {type(model).__name__}")
    if not members:
        raise ModelError(f"label {label_name!r} was constant in training: nothing to explain")
    classes = list(target.classes_)
    output_names = None
    if len(classes) == 2 and label is not None and label_name is None:
        if class_index(classes, label) != 1:
            raise ModelError(f"binary model: explanations are of the positive class {classes[1]!r}; "
                             f"got label={label!r}")
        label_name = str(classes[1])
    simple = target.calibrate is None and not hasattr(target, "final_estimator_") and len(classes) == 2
    if simple and len(members) == 1:
        space = "margin" if output == "auto" else output
        name, pipe = members[0]
        vals, base = _member_values(name, pipe, X_arr, space, B, random_state, names)
        expected = (target.predict_margin(Xf) if space == "margin"
                    else target.predict_proba(Xf)[:, 1])
    elif simple:
        space = "probability"
        if output == "margin":
            raise ModelError("a soft-voting ensemble averages its members' probabilities and has no single "
                             "log-odds margin to explain; use output='probability' (or 'auto')")
        vals = np.zeros_like(X_arr)
        base = np.zeros(len(X_arr))
        for w, (name, pipe) in zip(target.weights_, members):
            v, b = _member_values(name, pipe, X_arr, "probability", B, random_state, names)
            vals += w * v
            base += w * b
        expected = target.predict_proba(Xf)[:, 1]
    else:
        space = "probability"
        if output == "margin":
            raise ModelError("stacked, calibrated and multi-class models are explained on the probability "
                             "scale only; use output='probability' (or 'auto')")
        if len(classes) == 2:
            cols = 1
        elif label is not None and label_name is None:
            cols = class_index(classes, label)
            label_name = str(classes[cols])
        else:
            cols = slice(None)  # every class: an output axis
            output_names = [str(c) for c in classes]
        vals, base = _permutation(lambda Z: target.predict_proba_array(np.asarray(Z, dtype=float))[:, cols],
                                  X_arr, B, random_state, max_evals)
        expected = target.predict_proba(Xf)[:, cols]
    what = "the model" if label_name is None else f"the model (label {label_name!r})"
    _check_additive(vals, base, expected, what, space, X_arr, names)
    ex = shap.Explanation(values=vals, base_values=base, data=X_arr, feature_names=names,
                          output_names=output_names)
    ex.output_space = space
    ex.label = label_name
    # a forest's margin is its probability
    forest = len(members) == 1 and members[0][0] in FOREST_MEMBERS and target.calibrate is None
    ex.scale = "log-odds" if space == "margin" and not forest else "probability"
    ex.background_size = len(B)
    ex.base_meaning = base_value_meaning(
        target, ex.scale, len(B), n_given, own_rows=background is None,
        class_name=label_name if len(classes) > 2 and output_names is None else None)
    return ex


def shap_explanations(model, X, **kwargs) -> dict:
    """One explanation per label of a multi-label model, or per class of a multi-class one.

    Returns ``{label: Explanation}``; a binary model gives ``{"positive": Explanation}``.
    """
    if not getattr(model, "multilabel_", False):
        classes = list(getattr(model, "classes_", []))
        if len(classes) > 2:
            return {str(c): shap_explanation(model, X, label=c, **kwargs) for c in classes}
        return {"positive": shap_explanation(model, X, **kwargs)}
    return {lab: shap_explanation(model, X, label=lab, **kwargs) for lab in map(str, model.labels_)}


def shap_interactions(model, X, top: int = 10, label=None, member: str | None = None):
    """SHAP interaction values of a tree member and its strongest feature pairs.

    Parameters
    ----------
    model : fitted EnsembleClassifier with at least one tree member
    X : rows to explain
    top : int
        Pairs to list.
    label : multi-label models: which label; multi-class models: which class (required).
    member : str, optional
        Which tree member (default: the first one).

    Returns
    -------
    (DataFrame, ndarray)
        Pairs ``feature_a, feature_b, mean_abs_interaction`` (sorted, off-diagonal, each
        pair once, value = mean over rows of ``|phi_ab| + |phi_ba|``) and the full array
        ``(n, p, p)`` in the member's raw output space. Each row's matrix is checked to add
        up to that output minus the base value (:class:`ModelError` otherwise).

    Notes
    -----
    shap computes interaction values with path-dependent Tree SHAP only, so their base value
    is the trees' training expectation as weighted in training (class weights, boosters'
    hessian covers), not a mean over a background; it is not returned.
    """
    import shap

    target, _ = resolve_label(model, label)
    Xf = feature_frame(target, X)
    X_arr = Xf.to_numpy(dtype=float)
    trees = [(n, p) for n, p in target.members_ if n in TREE_MEMBERS]
    if member is not None:
        trees = [(n, p) for n, p in trees if n == member]
    if not trees or target.calibrate is not None:
        raise ModelError("interaction values need an uncalibrated tree member (rf, et, xgb, lgbm, gb)")
    name, pipe = trees[0]
    clf = pipe.steps[-1][1]
    classes = list(target.classes_)
    if len(classes) > 2:
        if label is None:
            raise ModelError(f"multi-class model: pass label= one of {[str(c) for c in classes]} "
                             "(interaction values are per class)")
        k = class_index(classes, label)
    else:
        k = 1
    Xt = _tree_input(name, clf, transform_until_clf(pipe, X_arr))
    expl = _xgb_float64_explainer(clf) if name == "xgb" and len(classes) == 2 else shap.TreeExplainer(clf)
    inter = expl.shap_interaction_values(Xt)
    if isinstance(inter, list):
        inter = np.stack(inter, axis=-1)
    inter = np.asarray(inter, dtype=float)
    base = np.asarray(expl.expected_value, dtype=float).reshape(-1)
    if inter.ndim == 4:  # one slice per class (forests; multi-class boosters)
        inter, base = inter[..., k], base[k if len(base) > 1 else 0]
    else:
        base = base[-1]
    # the interaction matrix of a row sums to its output minus the base value
    raw = _member_raw(name, pipe, X_arr, k, len(classes))
    tol = ADDITIVITY_ATOL
    if name == "xgb" and len(classes) > 2:  # XGBoost's own float32 arithmetic
        tol = max(tol, 4 * np.finfo(np.float32).eps * clf.get_booster().num_boosted_rounds()
                  * (1.0 + float(np.max(np.abs(raw)))))
    gap = np.abs(inter.sum(axis=(1, 2)) + base - raw)
    if gap.size and gap.max() > tol:
        raise ModelError(f"SHAP interaction values of member {name!r} do not add up to its raw output "
                         f"(gap {gap.max():.3g} at row {int(np.argmax(gap))})")
    mean_abs = np.abs(inter).mean(axis=0)
    sym = mean_abs + mean_abs.T
    iu = np.triu_indices(sym.shape[0], k=1)
    order = np.argsort(-sym[iu])[:top]
    cols = list(Xf.columns)
    pairs = pd.DataFrame({
        "feature_a": [cols[iu[0][i]] for i in order],
        "feature_b": [cols[iu[1][i]] for i in order],
        "mean_abs_interaction": sym[iu][order],
    })
    pairs.attrs["member"] = name
    return pairs, inter


__all__ = ["shap_explanation", "shap_explanations", "shap_interactions", "feature_frame", "resolve_label",
           "class_index", "base_value_meaning"]
