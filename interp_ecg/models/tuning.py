"""Hyper-parameter search nested inside patient-wise cross-validation.

The outer loop (patient-wise folds) only ever *evaluates*; each outer training part runs its
own search with inner patient-wise folds, so no outer test patient influences the
hyper-parameters that score it. Optuna (TPE) or sklearn's successive halving
(``HalvingRandomSearchCV``) drive the search.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from interp_ecg.models import EnsembleClassifier, tune
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame(rng.normal(size=(90, 3)), columns=list("abc"))
>>> y = (X["a"] + 0.5 * rng.normal(size=90) > 0).astype(int)
>>> groups = np.arange(90) // 2
>>> res = tune(EnsembleClassifier(("logreg",)), X, y, groups, n_trials=2, outer_cv=3, inner_cv=2,
...            random_state=0)
>>> len(res.outer_scores), res.oof_score.shape
(3, (90,))
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from interp_ecg.errors import ConfigError
from interp_ecg.io.ids import align_xy_groups
from interp_ecg.models.presets import default_search_space

logger = logging.getLogger(__name__)


@dataclass
class TuneResult:
    """Outcome of :func:`tune`.

    Attributes
    ----------
    estimator : fitted estimator refit on all data with ``best_params`` (``None`` if ``refit=False``)
    best_params : dict, ``member_params`` chosen by a search on all data (for the refit)
    outer_scores : list of float, one score per outer fold (the honest estimate)
    outer_params : list of dict, parameters chosen inside each outer fold
    oof_score : ndarray, out-of-fold positive-class scores (binary) or label scores (multi-label)
    """

    estimator: object
    best_params: dict
    outer_scores: list = field(default_factory=list)
    outer_params: list = field(default_factory=list)
    oof_score: np.ndarray | None = None

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"fold": range(len(self.outer_scores)), "score": self.outer_scores})


def _score(y, p) -> float:
    y = np.asarray(y)
    if y.ndim == 2:
        ok = [j for j in range(y.shape[1]) if 0 < y[:, j].sum() < len(y)]
        return float(np.mean([roc_auc_score(y[:, j], p[:, j]) for j in ok])) if ok else np.nan
    if len(np.unique(y)) < 2:
        return np.nan
    return float(roc_auc_score(y, p))


def _pos_score(model, X):
    p = model.predict_proba(X)
    return p if getattr(model, "multilabel_", False) else p[:, 1]


def _take(obj, idx):
    return obj.iloc[idx] if isinstance(obj, (pd.DataFrame, pd.Series)) else np.asarray(obj)[idx]


def _members(estimator) -> list[str]:
    names = estimator.get_params().get("estimators", ("rf",))
    return [names] if isinstance(names, str) else list(names)


def _space(estimator, search_space):
    if search_space is not None:
        return search_space
    return {f"{m}__{k}": v for m in _members(estimator) for k, v in default_search_space(m).items()}


def _to_member_params(flat: dict, base: dict | None) -> dict:
    out = {k: dict(v) for k, v in (base or {}).items()}
    for key, value in flat.items():
        member, _, param = key.partition("__")
        if not param:
            raise ConfigError(f"search-space key {key!r} must look like 'member__param'")
        out.setdefault(member, {})[param] = value
    return out


def _sample(trial_or_rng, key, spec):
    kind = spec[0]
    if hasattr(trial_or_rng, "suggest_int"):
        t = trial_or_rng
        if kind == "int":
            return t.suggest_int(key, spec[1], spec[2])
        if kind == "float":
            return t.suggest_float(key, spec[1], spec[2], log=bool(spec[3]) if len(spec) > 3 else False)
        if kind == "cat":
            return spec[1][t.suggest_categorical(key, list(range(len(spec[1]))))]
    else:
        rng = trial_or_rng
        if kind == "int":
            return int(rng.integers(spec[1], spec[2] + 1))
        if kind == "float":
            if len(spec) > 3 and spec[3]:
                return float(np.exp(rng.uniform(np.log(spec[1]), np.log(spec[2]))))
            return float(rng.uniform(spec[1], spec[2]))
        if kind == "cat":
            return spec[1][int(rng.integers(len(spec[1])))]
    raise ConfigError(f"bad search-space spec for {key!r}: {spec!r}")


def _fit(model, X, y, groups):
    """``model.fit(X, y)``, with the patient ids when ``fit`` takes them (the ensemble's stacking folds)."""
    if groups is not None and "groups" in model.fit.__code__.co_varnames:
        return model.fit(X, y, groups=groups)
    return model.fit(X, y)


def _inner_cv_score(estimator, member_params, X, y, groups, inner_cv, random_state):
    from interp_ecg.evaluate.splitters import PatientKFold

    cv = PatientKFold(n_splits=inner_cv, random_state=random_state)
    scores = []
    for tr, te in cv.split(X, y, groups):
        model = clone(estimator).set_params(member_params=member_params)
        _fit(model, _take(X, tr), _take(y, tr), None if groups is None else np.asarray(groups)[tr])
        scores.append(_score(_take(y, te), _pos_score(model, _take(X, te))))
    return float(np.nanmean(scores)) if np.isfinite(scores).any() else -np.inf


def _search(estimator, X, y, groups, space, n_trials, inner_cv, method, random_state):
    base = estimator.get_params().get("member_params")
    if method == "optuna":
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)

        def objective(trial):
            flat = {k: _sample(trial, k, spec) for k, spec in space.items()}
            return _inner_cv_score(estimator, _to_member_params(flat, base), X, y, groups, inner_cv, random_state)

        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=random_state))
        study.optimize(objective, n_trials=n_trials)
        flat = {}
        for k, spec in space.items():
            v = study.best_params[k]
            flat[k] = spec[1][v] if spec[0] == "cat" else v
        return _to_member_params(flat, base)
    if method == "halving":
        from sklearn.experimental import enable_halving_search_cv  # noqa: F401
        from sklearn.model_selection import HalvingRandomSearchCV

        from interp_ecg.evaluate.splitters import PatientKFold

        rng = np.random.default_rng(random_state)
        candidates = [
            _to_member_params({k: _sample(rng, k, s) for k, s in space.items()}, base) for _ in range(n_trials)
        ]
        search = HalvingRandomSearchCV(
            clone(estimator), {"member_params": candidates}, n_candidates=n_trials,
            cv=list(PatientKFold(n_splits=inner_cv, random_state=random_state).split(X, y, groups)),
            scoring="roc_auc", random_state=random_state, min_resources="exhaust", refit=False,
        )
        search.fit(X, y)
        return search.best_params_["member_params"]
    raise ConfigError(f"method must be 'optuna' or 'halving', got {method!r}")


def tune(
    estimator,
    X,
    y,
    groups,
    search_space: dict | None = None,
    n_trials: int = 20,
    outer_cv: int = 5,
    inner_cv: int = 3,
    method: str = "optuna",
    random_state: int = 0,
    refit: bool = True,
) -> TuneResult:
    """Nested, patient-wise hyper-parameter search for an :class:`EnsembleClassifier`.

    Parameters
    ----------
    estimator : EnsembleClassifier
        Template; its ``member_params`` are the starting point the search overrides.
    X, y : feature table and labels (binary, or 2-D multi-label). A Series/DataFrame ``y``
        with a DataFrame ``X`` is paired with ``X`` by record id, never by position.
    groups : array-like
        Patient ids (a Series is paired with ``X`` by record id like ``y``): both loops split
        by patient, and every fit of the Optuna search, the
        outer folds and the refit receives the ids of its records, so an ensemble's stacking
        folds are patient-wise too. (The members' ``calibrate=`` folds and the fits inside the
        ``"halving"`` search are still record-wise within their training part: it does not
        reach the test folds.)
    search_space : dict, optional
        ``{"rf__max_depth": ("cat", [None, 8]), "xgb__learning_rate": ("float", 0.01, 0.3, True)}``;
        default: :func:`interp_ecg.models.default_search_space` of every member.
    n_trials : int
        Optuna trials / halving candidates per search.
    outer_cv, inner_cv : int
        Patient-wise folds of the evaluation and of the search.
    method : {"optuna", "halving"}
    random_state : int
    refit : bool
        Search once more on all data and refit with the winner.

    Returns
    -------
    TuneResult
        ``outer_scores`` (ROC-AUC, macro for multi-label) are the nested, honest estimate.
    """
    from interp_ecg.evaluate.splitters import PatientKFold

    space = _space(estimator, search_space)
    y, groups = align_xy_groups(X, y, groups)
    groups = np.asarray(groups)
    y_arr = np.asarray(y)
    oof = np.full(y_arr.shape, np.nan, dtype=float)
    outer_scores, outer_params = [], []
    for k, (tr, te) in enumerate(PatientKFold(n_splits=outer_cv, random_state=random_state).split(X, y, groups)):
        X_tr, y_tr, g_tr = _take(X, tr), _take(y, tr), groups[tr]
        params = _search(estimator, X_tr, y_tr, g_tr, space, n_trials, inner_cv, method, random_state + k)
        model = _fit(clone(estimator).set_params(member_params=params), X_tr, y_tr, g_tr)
        oof[te] = _pos_score(model, _take(X, te))
        outer_scores.append(_score(y_arr[te], oof[te]))
        outer_params.append(params)
        logger.info("outer fold %d: ROC-AUC %.3f with %s", k, outer_scores[-1], params)
    best, final = {}, None
    if refit:
        best = _search(estimator, X, y, groups, space, n_trials, inner_cv, method, random_state)
        final = _fit(clone(estimator).set_params(member_params=best), X, y, groups)
    return TuneResult(final, best, outer_scores, outer_params, oof)


__all__ = ["tune", "TuneResult"]
