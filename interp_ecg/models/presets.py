"""Presets: the tuned random forest of the CardioForest WCT paper, and search spaces.

CardioForest (Chakma et al., J Intell Med Healthc 2026; arXiv:2509.25804) is a random forest
tuned by grid search on MIMIC-IV-ECG machine measurements for wide-QRS-tachycardia detection.
The paper does not publish a machine-readable configuration; :data:`CARDIOFOREST_PARAMS` is
our reading of it (a large, fully grown, class-balanced forest) and the tuned variant of the
WCT study re-tunes it with :func:`interp_ecg.models.tune` over :func:`default_search_space`
inside patient-wise folds instead of trusting a fixed grid result.

Examples
--------
>>> from interp_ecg.models import cardioforest
>>> model = cardioforest(random_state=0)
>>> model.estimators, model.member_params["rf"]["n_estimators"]
(('rf',), 500)
"""

from __future__ import annotations

from interp_ecg.errors import ConfigError
from interp_ecg.models.ensemble import EnsembleClassifier

#: hyper-parameters of the CardioForest-style forest (class weights via EnsembleClassifier)
CARDIOFOREST_PARAMS: dict = {
    "n_estimators": 500,
    "max_depth": None,
    "min_samples_split": 2,
    "min_samples_leaf": 1,
    "max_features": "sqrt",
    "bootstrap": True,
}


def cardioforest(random_state: int | None = None, n_jobs: int | None = None, **overrides) -> EnsembleClassifier:
    """The CardioForest-style random forest as an :class:`EnsembleClassifier`.

    Parameters
    ----------
    random_state, n_jobs : optional
        As for :class:`EnsembleClassifier`.
    **overrides
        Forest hyper-parameters replacing those of :data:`CARDIOFOREST_PARAMS`.
    """
    params = {**CARDIOFOREST_PARAMS, **overrides}
    return EnsembleClassifier(
        estimators=("rf",), member_params={"rf": params}, class_weight="balanced",
        random_state=random_state, n_jobs=n_jobs,
    )


_SPACES: dict[str, dict] = {
    "rf": {
        "n_estimators": ("int", 100, 600),
        "max_depth": ("cat", [None, 6, 10, 16]),
        "min_samples_leaf": ("int", 1, 10),
        "max_features": ("cat", ["sqrt", "log2", 0.3, 0.5]),
    },
    "et": {
        "n_estimators": ("int", 100, 600),
        "min_samples_leaf": ("int", 1, 10),
        "max_features": ("cat", ["sqrt", 0.3, 0.5]),
    },
    "xgb": {
        "n_estimators": ("int", 100, 600),
        "learning_rate": ("float", 0.01, 0.3, True),
        "max_depth": ("int", 2, 8),
        "min_child_weight": ("float", 0.5, 10.0, True),
        "subsample": ("float", 0.5, 1.0, False),
        "colsample_bytree": ("float", 0.3, 1.0, False),
    },
    "lgbm": {
        "n_estimators": ("int", 100, 600),
        "learning_rate": ("float", 0.01, 0.3, True),
        "num_leaves": ("int", 4, 63),
        "min_child_samples": ("int", 5, 50),
        "colsample_bytree": ("float", 0.3, 1.0, False),
    },
    "gb": {
        "n_estimators": ("int", 50, 400),
        "learning_rate": ("float", 0.01, 0.3, True),
        "max_depth": ("int", 2, 5),
        "subsample": ("float", 0.5, 1.0, False),
    },
    "logreg": {"C": ("float", 1e-3, 10.0, True)},
}


def default_search_space(member: str) -> dict:
    """Search space of one member: ``{param: ("int", lo, hi) | ("float", lo, hi, log) | ("cat", choices)}``."""
    try:
        return {k: v for k, v in _SPACES[member].items()}
    except KeyError:
        raise ConfigError(f"no search space for member {member!r}; have {sorted(_SPACES)}") from None


__all__ = ["CARDIOFOREST_PARAMS", "cardioforest", "default_search_space"]
