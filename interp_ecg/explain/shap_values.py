"""SHAP explanations of every model of :mod:`interp_ecg.models`, as ``shap.Explanation``.

Which explainer, and in which output space
------------------------------------------
* one tree member (random forest, extra trees, XGBoost, LightGBM, sklearn GB), uncalibrated:
  ``shap.TreeExplainer`` (path-dependent, exact). ``output="margin"`` (default): the
  member's raw output, i.e. log-odds for XGBoost / LightGBM / GB and the positive-class
  probability for forests (whose raw output is a probability). ``output="probability"``:
  boosters are explained with the interventional TreeExplainer on a background sample.
* logistic regression: ``shap.LinearExplainer`` (exact for a linear model, independent
  features, background = the rows explained or ``background``), in log-odds; in
  probability space a permutation explainer.
* soft-voting ensembles: the weighted sum of the members' explanations **in probability
  space** (each member explained on the probability scale as above), so values plus base
  value equal the ensemble's probability.
* stacking, calibrated members, multi-class: permutation sampling of Shapley values
  (antithetic feature orders, interventional on a background sample of ``max_background``
  rows) on the positive-class probability. Exactly additive; per-feature values are
  sampled estimates (``max_evals`` sets the budget).

In every case ``values.sum(1) + base_values`` equals
:meth:`interp_ecg.models.EnsembleClassifier.predict_margin` (``output="margin"``) or the
positive-class probability (``output="probability"``); ``explanation.output_space`` says which.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from interp_ecg.models import EnsembleClassifier
>>> from interp_ecg.explain import shap_explanation
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["QRS_duration_ms", "heart_rate_bpm", "R_amp_mV_V1"])
>>> y = (X["QRS_duration_ms"] > 0).astype(int)
>>> model = EnsembleClassifier(("xgb",), member_params={"xgb": {"n_estimators": 20}}, random_state=0).fit(X, y)
>>> ex = shap_explanation(model, X)
>>> ex.values.shape, ex.output_space
((80, 3), 'margin')
>>> bool(np.allclose(ex.values.sum(1) + ex.base_values, model.predict_margin(X), atol=1e-4))
True
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from interp_ecg.errors import ModelError
from interp_ecg.models.members import TREE_MEMBERS, transform_until_clf

logger = logging.getLogger(__name__)

OUTPUTS = ("auto", "margin", "probability")


def _frame(model, X) -> pd.DataFrame:
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
    B = X_arr if background is None else np.asarray(background, dtype=float)
    if len(B) > max_background:
        rng = np.random.default_rng(random_state)
        B = B[rng.choice(len(B), max_background, replace=False)]
    return B


def _tree(name, pipe, X_arr, output, B):
    import shap

    Xt = transform_until_clf(pipe, X_arr)
    clf = pipe.steps[-1][1]
    if output == "probability" and name not in ("rf", "et"):
        Bt = transform_until_clf(pipe, B)
        if name == "xgb" or name == "lgbm":
            # interventional probability explanations need complete rows in the background
            Bt = np.where(np.isnan(Bt), np.nanmedian(Bt, axis=0), Bt)
        expl = shap.TreeExplainer(clf, data=Bt, model_output="probability",
                                  feature_perturbation="interventional")
        vals = _pos(expl.shap_values(Xt, check_additivity=False), 2)
        base = _pos(expl.expected_value, 0)
    else:
        expl = shap.TreeExplainer(clf)
        vals = _pos(expl.shap_values(Xt, check_additivity=False), 2)
        base = _pos(expl.expected_value, 0)
    base = np.asarray(base, dtype=float).reshape(-1)[-1]
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
    order and its reverse).
    """
    rng = np.random.default_rng(random_state)
    n, p = X_arr.shape
    budget = max_evals or min(20 * (p + 1), 2000)
    n_pairs = max(1, budget // (2 * (p + 1)))
    base = float(np.mean(f(B)))
    steps = np.tril(np.ones((p + 1, p), dtype=bool), k=-1)  # row k: first k features switched
    vals = np.zeros((n, p))
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
            v = np.asarray(f(Z), dtype=float).reshape(len(batch), p + 1, len(B)).mean(axis=2)
            for b, order in enumerate(batch):
                vals[i, order] += np.diff(v[b])
        vals[i] /= len(orders)
    return vals, np.full(n, base)


def _member_values(name, pipe, X_arr, output, B, random_state):
    if name in TREE_MEMBERS:
        return _tree(name, pipe, X_arr, output, B)
    if output == "margin":
        return _linear(pipe, X_arr, B)
    return _permutation(lambda Z: pipe.predict_proba(Z)[:, 1], X_arr, B, random_state)


def _resolve_label(model, label):
    if not getattr(model, "multilabel_", False):
        return model, None
    if label is None:
        raise ModelError(f"multi-label model: pass label= one of {model.labels_} (or use shap_explanations)")
    labels = [str(x) for x in model.labels_]
    idx = labels.index(str(label)) if str(label) in labels else int(label)
    return model.estimators_[idx], labels[idx]


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
    model : fitted EnsembleClassifier (binary, or multi-label with ``label``)
    X : DataFrame or array of the rows to explain
    output : {"auto", "margin", "probability"}
        ``"auto"``: the margin for one uncalibrated member, the probability otherwise.
    background : array-like, optional
        Reference rows (e.g. a training sample) for interventional, linear and permutation
        explainers; default: ``X`` itself, subsampled to ``max_background`` rows.
    max_background : int
    label : str or int, optional
        Which label of a multi-label model; for multi-class models the class to explain.
    random_state : int
    max_evals : int, optional
        Budget of the permutation explainer.

    Returns
    -------
    shap.Explanation
        ``values (n, p)``, ``base_values (n,)``, ``data`` (the rows), ``feature_names``, and
        the attribute ``output_space`` (``"margin"`` or ``"probability"``).
    """
    import shap

    if output not in OUTPUTS:
        raise ModelError(f"output must be one of {OUTPUTS}, got {output!r}")
    if not hasattr(model, "classes_"):
        raise ModelError("shap_explanation needs a fitted model")
    target, label_name = _resolve_label(model, label)
    Xf = _frame(target, X)
    X_arr = Xf.to_numpy(dtype=float)
    B = _background(X_arr, None if background is None else _frame(target, background).to_numpy(dtype=float),
                    max_background, random_state)
    members = getattr(target, "members_", None)
    if members is None:
        raise ModelError(f"shap_explanation supports interp_ecg models, got {type(model).__name__}")
    if not members:
        raise ModelError(f"label {label_name!r} was constant in training: nothing to explain")
    classes = list(target.classes_)
    simple = target.calibrate is None and not hasattr(target, "final_estimator_") and len(classes) == 2
    if simple and len(members) == 1:
        space = "margin" if output == "auto" else output
        name, pipe = members[0]
        vals, base = _member_values(name, pipe, X_arr, space, B, random_state)
    elif simple:
        space = "probability"
        if output == "margin":
            logger.info("soft-voting ensemble: margin == probability space")
        vals = np.zeros_like(X_arr)
        base = np.zeros(len(X_arr))
        for w, (name, pipe) in zip(target.weights_, members):
            v, b = _member_values(name, pipe, X_arr, "probability", B, random_state)
            vals += w * v
            base += w * b
    else:
        space = "probability"
        k = len(classes) - 1
        if len(classes) > 2 and label is not None and label_name is None:
            k = classes.index(label)
        vals, base = _permutation(lambda Z: target._proba_from_array(np.asarray(Z, dtype=float))[:, k],
                                  X_arr, B, random_state, max_evals)
    ex = shap.Explanation(values=vals, base_values=base, data=X_arr, feature_names=list(Xf.columns))
    ex.output_space = space
    ex.label = label_name
    return ex


def shap_explanations(model, X, **kwargs) -> dict:
    """One explanation per label of a multi-label model (``{label: Explanation}``)."""
    if not getattr(model, "multilabel_", False):
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
    label : multi-label models: which label.
    member : str, optional
        Which tree member (default: the first one).

    Returns
    -------
    (DataFrame, ndarray)
        Pairs ``feature_a, feature_b, mean_abs_interaction`` (sorted, off-diagonal, each
        pair once, value = mean over rows of ``|phi_ab| + |phi_ba|``) and the full array
        ``(n, p, p)`` in the member's raw output space.
    """
    import shap

    target, _ = _resolve_label(model, label)
    Xf = _frame(target, X)
    X_arr = Xf.to_numpy(dtype=float)
    trees = [(n, p) for n, p in target.members_ if n in TREE_MEMBERS]
    if member is not None:
        trees = [(n, p) for n, p in trees if n == member]
    if not trees or target.calibrate is not None:
        raise ModelError("interaction values need an uncalibrated tree member (rf, et, xgb, lgbm, gb)")
    name, pipe = trees[0]
    Xt = transform_until_clf(pipe, X_arr)
    inter = shap.TreeExplainer(pipe.steps[-1][1]).shap_interaction_values(Xt)
    inter = np.asarray(_pos(inter, 3), dtype=float)
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


__all__ = ["shap_explanation", "shap_explanations", "shap_interactions"]
