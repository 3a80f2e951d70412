"""Tree ensembles and a logistic regression over ECG feature tables.

:class:`EnsembleClassifier` combines random forest, extra trees, XGBoost, LightGBM, sklearn
gradient boosting and logistic regression (soft vote or stacking), binary or multi-label.
:func:`cardioforest` is the tuned forest preset of the CardioForest WCT paper, :func:`tune`
a hyper-parameter search nested inside patient-wise cross-validation, and
:func:`save_model` / :func:`load_model` store models in formats that cannot run code
(skops.io with an explicit list of trusted types; native booster files); nothing is unpickled.

Examples
--------
>>> from interp_ecg.models import EnsembleClassifier
>>> EnsembleClassifier(("rf", "xgb")).get_params()["combine"]
'soft'
"""

from interp_ecg.models.device import resolve_device
from interp_ecg.models.ensemble import (ALL_MEMBERS, MISSING_ALPHA, MISSING_SHARE_INCREASE, EnsembleClassifier,
                                       MissingFeatureWarning)
from interp_ecg.models.hybrid import HybridECGClassifier
from interp_ecg.models.members import MEMBER_NAMES, TREE_MEMBERS
from interp_ecg.models.persistence import load_model, save_model
from interp_ecg.models.presets import CARDIOFOREST_PARAMS, cardioforest, default_search_space
from interp_ecg.models.tuning import TuneResult, tune

__all__ = [
    "EnsembleClassifier",
    "HybridECGClassifier",
    "ALL_MEMBERS",
    "MISSING_SHARE_INCREASE",
    "MISSING_ALPHA",
    "MissingFeatureWarning",
    "MEMBER_NAMES",
    "TREE_MEMBERS",
    "CARDIOFOREST_PARAMS",
    "cardioforest",
    "default_search_space",
    "tune",
    "TuneResult",
    "save_model",
    "load_model",
    "resolve_device",
]
