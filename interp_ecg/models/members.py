"""Factories of the member estimators an :class:`EnsembleClassifier` combines.

Each member is a scikit-learn (or imbalanced-learn, when resampling) ``Pipeline`` whose last
step ``"clf"`` is the classifier. Trees that handle NaN natively (random forest, extra
trees, XGBoost, LightGBM) get no imputer and route a missing value as missing: the
direction learned from training rows with missing values, else (a feature without any)
the child more training rows went to, scikit-learn's rule, which the boosters follow through
:mod:`interp_ecg.models.boosters` (LightGBM alone would score a missing QRS duration as
0 ms, XGBoost as longer than every threshold). sklearn gradient boosting and the logistic
regression get a median imputer inside the pipeline (so imputation is learnt on the
training fold only; the model logs it when it imputes); the logistic regression is also
standardised. SMOTE, when asked for,
is a pipeline step too, so it only ever sees training folds.

Member names
------------
``rf``   random forest (``RandomForestClassifier``)
``et``   extra trees (``ExtraTreesClassifier``)
``xgb``  XGBoost (``XGBClassifier``, ``tree_method="hist"``, GPU with ``device="cuda"``;
         :class:`~interp_ecg.models.boosters.MissingAwareXGBClassifier`)
``lgbm`` LightGBM (``LGBMClassifier``; :class:`~interp_ecg.models.boosters.MissingAwareLGBMClassifier`)
``gb``   sklearn gradient boosting (``GradientBoostingClassifier``)
``logreg`` L2 logistic regression

Examples
--------
>>> from interp_ecg.models.members import make_member
>>> pipe = make_member("logreg", random_state=0)
>>> [name for name, _ in pipe.steps]
['impute', 'scale', 'clf']
"""

from __future__ import annotations

from typing import Any

from sklearn.ensemble import ExtraTreesClassifier, GradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from interp_ecg.errors import ConfigError

MEMBER_NAMES = ("rf", "et", "xgb", "lgbm", "gb", "logreg")
TREE_MEMBERS = ("rf", "et", "xgb", "lgbm", "gb")

#: default hyper-parameters per member (overridable through ``member_params``)
DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "rf": {"n_estimators": 300, "min_samples_leaf": 1, "max_features": "sqrt"},
    "et": {"n_estimators": 300, "min_samples_leaf": 1, "max_features": "sqrt"},
    "xgb": {"n_estimators": 300, "learning_rate": 0.05, "max_depth": 4, "subsample": 0.8,
            "colsample_bytree": 0.8, "tree_method": "hist"},
    "lgbm": {"n_estimators": 300, "learning_rate": 0.05, "num_leaves": 15, "min_child_samples": 10,
             "subsample": 0.8, "subsample_freq": 1, "colsample_bytree": 0.8},
    "gb": {"n_estimators": 200, "learning_rate": 0.05, "max_depth": 3, "subsample": 0.8},
    "logreg": {"C": 1.0, "max_iter": 2000},
}


def _classifier_class(name: str):
    if name == "rf":
        return RandomForestClassifier
    if name == "et":
        return ExtraTreesClassifier
    if name == "gb":
        return GradientBoostingClassifier
    if name == "logreg":
        return LogisticRegression
    if name == "xgb":
        from interp_ecg.models.boosters import MissingAwareXGBClassifier

        return MissingAwareXGBClassifier
    if name == "lgbm":
        from interp_ecg.models.boosters import MissingAwareLGBMClassifier

        return MissingAwareLGBMClassifier
    raise ConfigError(f"unknown member estimator {name!r}; choose from {MEMBER_NAMES}")


def _package_settings(name: str, random_state, n_jobs, device: str) -> dict:
    """The settings the package passes to a member's classifier besides the user's."""
    if name in ("rf", "et"):
        return {"random_state": random_state, "n_jobs": n_jobs}
    if name in ("gb", "logreg"):
        return {"random_state": random_state}
    if name == "xgb":
        from interp_ecg.models.device import xgboost_has_cuda

        dev = device if device.startswith("cuda") and xgboost_has_cuda() else "cpu"
        return {"random_state": random_state, "n_jobs": n_jobs, "device": dev}
    if name == "lgbm":
        from interp_ecg.models.device import lightgbm_has_cuda

        extra = {"device_type": "cuda"} if device.startswith("cuda") and lightgbm_has_cuda() else {}
        # LightGBM needs an integer seed for reproducible bagging; silent unless asked
        return {"random_state": 0 if random_state is None else random_state, "n_jobs": n_jobs,
                "verbose": -1, **extra}
    raise ConfigError(f"unknown member estimator {name!r}; choose from {MEMBER_NAMES}")


def _classifier(name: str, params: dict, random_state, n_jobs, device: str):
    """Build a member's classifier: package settings, then the member's own settings over them.

    Raises
    ------
    ConfigError
        A setting the classifier does not accept (naming the member, the setting and the
        accepted ones) or a value it rejects on construction.
    """
    cls = _classifier_class(name)
    if not isinstance(params, dict):
        raise ConfigError(f"settings of member {name!r} must be a mapping, got {type(params).__name__}")
    if name not in ("xgb", "lgbm"):  # the boosters take library-specific extras through **kwargs
        accepted = set(cls().get_params())
        unknown = sorted(k for k in params if k not in accepted)
        if unknown:
            raise ConfigError(f"member {name!r} ({cls.__name__}) has no setting {', '.join(map(repr, unknown))}; "
                              f"accepted: {', '.join(sorted(accepted))}")
    kwargs = {**_package_settings(name, random_state, n_jobs, device), **params}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"member {name!r} ({cls.__name__}): invalid settings {params}: {exc}") from exc


def make_member(
    name: str,
    params: dict | None = None,
    random_state: int | None = None,
    n_jobs: int | None = None,
    device: str = "cpu",
    resample: str | None = None,
    k_neighbors: int = 5,
) -> Pipeline:
    """Build one member pipeline.

    Parameters
    ----------
    name : str
        One of :data:`MEMBER_NAMES`.
    params : dict, optional
        Hyper-parameters of the classifier, merged over :data:`DEFAULT_PARAMS`. They also
        replace the settings the package passes itself (``random_state``, ``n_jobs``, the
        device, LightGBM's ``verbose=-1``), so ``{"verbose": 1}`` makes LightGBM talk.
    random_state, n_jobs : optional
        Passed to the classifier.
    device : {"cpu", "cuda", "cuda:N"}
        Already resolved device (see :func:`interp_ecg.device.resolve_device`).
    resample : {None, "smote"}
        Add an imbalanced-learn SMOTE step (fit-time only) before the classifier. SMOTE
        needs complete rows, so an imputer precedes it.
    k_neighbors : int
        SMOTE neighbours (reduced automatically for tiny minority classes).

    Returns
    -------
    Pipeline
        Last step named ``"clf"``.

    Raises
    ------
    ConfigError
        Unknown member name, or a setting the classifier does not accept (named, with the
        accepted ones).
    """
    if name not in MEMBER_NAMES:
        raise ConfigError(f"unknown member estimator {name!r}; choose from {MEMBER_NAMES}")
    merged = {**DEFAULT_PARAMS[name], **(params or {})}
    clf = _classifier(name, merged, random_state, n_jobs, device)
    steps: list = []
    needs_impute = name in ("gb", "logreg") or resample is not None
    if needs_impute:
        steps.append(("impute", SimpleImputer(strategy="median", keep_empty_features=True)))
    if name == "logreg":
        steps.append(("scale", StandardScaler()))
    if resample is not None:
        if resample != "smote":
            raise ConfigError(f"resample must be None or 'smote', got {resample!r}")
        from imblearn.over_sampling import SMOTE
        from imblearn.pipeline import Pipeline as ImbPipeline

        steps.append(("smote", SMOTE(k_neighbors=k_neighbors, random_state=random_state)))
        steps.append(("clf", clf))
        return ImbPipeline(steps)
    steps.append(("clf", clf))
    return Pipeline(steps)


def transform_until_clf(pipe, X):
    """Apply the fitted pre-processing steps of a member pipeline (samplers skipped)."""
    Xt = X
    for _, step in pipe.steps[:-1]:
        if step is None or step == "passthrough" or not hasattr(step, "transform"):
            continue  # samplers (SMOTE) act at fit time only
        Xt = step.transform(Xt)
    return Xt


__all__ = ["MEMBER_NAMES", "TREE_MEMBERS", "DEFAULT_PARAMS", "make_member", "transform_until_clf"]
