"""``EnsembleClassifier``: forests, boosters and a logistic regression over feature tables.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from interp_ecg.models import EnsembleClassifier
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame(rng.normal(size=(120, 3)), columns=["QRS_duration_ms", "heart_rate_bpm", "noise"])
>>> y = (X["QRS_duration_ms"] + X["heart_rate_bpm"] > 0).astype(int)
>>> X.iloc[0, 2] = np.nan                      # NaN is fine: trees handle it natively
>>> clf = EnsembleClassifier(("rf", "logreg"), member_params={"rf": {"n_estimators": 20}},
...                          random_state=0).fit(X, y)
>>> clf.predict_proba(X).shape, list(clf.feature_names_in_)[:2]
((120, 2), ['QRS_duration_ms', 'heart_rate_bpm'])

Missing values
--------------
NaN stands for a measurement that could not be made (the feature table says why). At
``fit`` it is allowed: each member handles it as :data:`MISSING_VALUE_RULES` says (the tree
members route it as missing, ``gb`` and ``logreg`` impute the training median), and the share
of training rows missing each feature is kept (``train_missing_share_``). At prediction the
same rules apply, so every row gets a score. A feature is *missing beyond training* in the
predicted rows when both (1) the share of them missing it exceeds the training share by
:data:`MISSING_SHARE_INCREASE` or more, and (2) that many missing rows are unlikely by chance
under the training share: the one-sided binomial probability of ``n_missing`` or more of the
``n`` rows missing it, at the training share, is below :data:`MISSING_ALPHA`. So one record
missing a feature that a fifth of the training records also missed (PR in atrial
fibrillation) never warns (probability ~0.2), nor do small cross-validation folds of one
cohort; QRS duration missing in every row of a batch while measured in every training record
does, even for a single row (probability 0: the training data never showed that route).
``predict_proba``, ``predict`` and ``predict_margin`` then warn (:class:`MissingFeatureWarning`,
also logged) naming those features with the rows missing them now, the training share and the
probability, and saying per member what it does: the routing members (trees) use the
missingness as learned from the training rows that missed it (or, for a feature no training
row missed, send it to the child with more training rows: not learned), the imputing members
replace it by the training median, so their scores rest on the other features.
:meth:`EnsembleClassifier.missing_report` gives the same as a table.

>>> rows = X.iloc[:4].assign(QRS_duration_ms=np.nan)
>>> clf.missing_report(rows)[["missing_share", "train_missing_share"]].to_dict("index")
{'QRS_duration_ms': {'missing_share': 1.0, 'train_missing_share': 0.0}}
"""

from __future__ import annotations

import logging
import warnings
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold, cross_val_predict
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from interp_ecg.errors import ArgumentError, ConfigError, ModelError
from interp_ecg.io.ids import align_to_index, align_xy_groups
from interp_ecg.models.device import resolve_device
from interp_ecg.models.members import MEMBER_NAMES, make_member, transform_until_clf

logger = logging.getLogger(__name__)

ALL_MEMBERS = ("rf", "xgb", "lgbm", "gb", "logreg", "et")

#: what each member does with a missing value (NaN) of a feature, at training and prediction
MISSING_VALUE_RULES = {
    "rf": "routed as missing: scikit-learn's learned direction, or the child with more training rows "
          "on a feature that had no missing value in training",
    "et": "routed as missing: scikit-learn's learned direction, or the child with more training rows "
          "on a feature that had no missing value in training",
    "xgb": "routed as missing: XGBoost's learned default direction, or the child with more training rows "
           "on a feature that had no missing value in training",
    "lgbm": "routed as missing: LightGBM's learned default direction, or the child with more training rows "
            "on a feature that had no missing value in training",
    "gb": "imputed: replaced by the feature's median over the training rows",
    "logreg": "imputed: replaced by the feature's median over the training rows",
}
#: with resampling every member imputes (SMOTE needs complete rows)
_RESAMPLED_RULE = "imputed: replaced by the feature's median over the training rows (SMOTE needs complete rows)"
#: models that have already said, in this session, that they impute missing values
_IMPUTATION_NOTED: "weakref.WeakSet" = weakref.WeakSet()
#: a feature is "missing beyond training" in a set of predicted rows when the share of them
#: that miss it exceeds the share of training rows that missed it by at least this much
#: (absolute), AND the count is unlikely by chance (:data:`MISSING_ALPHA`): the size of the
#: difference that matters.
MISSING_SHARE_INCREASE = 0.25
#: ... and when ``n_missing`` or more of ``n`` predicted rows missing the feature has a one-sided
#: binomial probability below this at the training share (per feature). One row: warns only
#: where under 0.1 % of the training rows missed the feature (in practice: none did); a
#: feature missed by 22 % of the training rows warns in 9 rows only from 7 missing
#: (P(>= 7 of 9) = 0.0006), in 20 rows from 12 (0.0003), in 50 rows from 24 (there the
#: increase decides: 24/50 - 0.22 >= 0.25). A feature no training row missed warns from 1 of 1,
#: 3 of 9, 5 of 20, 13 of 50 (probability 0, the increase decides).
MISSING_ALPHA = 0.001


class MissingFeatureWarning(UserWarning):
    """Features missing in more of the predicted rows than the training share allows by chance (and by 0.25 or more)."""


class EnsembleClassifier(ClassifierMixin, BaseEstimator):
    """Forest / boosting / logistic ensemble for ECG feature tables.

    Parameters
    ----------
    estimators : sequence of str
        Members, from ``"rf"``, ``"et"``, ``"xgb"``, ``"lgbm"``, ``"gb"``, ``"logreg"``
        (see :mod:`interp_ecg.models.members`). One member = that model alone.
    combine : {"soft", "stack"}
        ``"soft"``: weighted mean of the members' probabilities. ``"stack"``: a logistic
        regression on the members' out-of-fold probabilities (patient-wise folds when
        ``groups`` are passed to :meth:`fit`).
    weights : sequence of float, optional
        Soft-voting weights (normalised to sum 1); equal by default.
    multilabel : {"auto", True, False}
        With a 2-D ``y`` (one 0/1 column per label), fit one ensemble per label
        (``estimators_``); ``predict_proba`` then returns ``(n_samples, n_labels)``
        probabilities of each label, like ``OneVsRestClassifier``.
    class_weight : {"balanced", None} or dict
        Class weighting, passed to every member as sample weights (ignored with ``resample``).
    resample : {None, "smote"}
        SMOTE oversampling inside each member pipeline, so it only sees training folds.
    calibrate : {None, "isotonic", "sigmoid"}
        Wrap each member in ``CalibratedClassifierCV`` (internal ``calibration_cv`` folds).
    calibration_cv : int
        Folds of the internal calibration.
    member_params : dict, optional
        ``{"rf": {"n_estimators": 500}, ...}`` overrides of the member defaults.
    stack_cv : int
        Folds for the out-of-fold predictions that train the stacker.
    random_state : int, optional
        Seed for every random step.
    n_jobs : int, optional
        Threads per member.
    device : {"auto", "cpu", "cuda"}
        Where boosters train (``"auto"``: GPU when one is visible; ``"cuda"`` without a GPU
        raises ``ConfigError``; :func:`interp_ecg.device.resolve_device`).

    Attributes
    ----------
    classes_ : ndarray (or list of ndarrays, multi-label)
    feature_names_in_ : ndarray of str (when fitted on a DataFrame)
    n_features_in_ : int
    members_ : list of (name, fitted pipeline)
    missing_value_rules_ : dict
        What each member does with a missing value (:data:`MISSING_VALUE_RULES`): the tree
        members route it as missing (never as a number); ``gb`` and ``logreg`` (and every
        member when resampling) replace it by the training median, which is logged once
        per model when rows with missing values are predicted.
    train_missing_share_ : ndarray ``(n_features,)``
        Share of the training rows in which each feature is missing (NaN). Prediction warns
        (:class:`MissingFeatureWarning`) about features missing in a larger share of the
        predicted rows by :data:`MISSING_SHARE_INCREASE` or more, with a one-sided binomial
        probability under :data:`MISSING_ALPHA` at the training share (module docstring,
        :meth:`missing_report`).
    weights_ : ndarray
    final_estimator_ : LogisticRegression (``combine="stack"`` only)
    estimators_ : list of EnsembleClassifier (multi-label only)
    labels_ : list (multi-label only): the label names (``y``'s columns)
    constant_labels_ : list (multi-label only)
        Labels seen with one class only in training, predicted as that constant (0 or 1);
        their scores carry no information, and
        :func:`~interp_ecg.evaluate.cross_val_predict_grouped` leaves them NaN in such a fold.
    device_ : str
    """

    def __init__(
        self,
        estimators: Sequence[str] = ("rf",),
        combine: str = "soft",
        weights: Sequence[float] | None = None,
        multilabel: str | bool = "auto",
        class_weight: str | dict | None = "balanced",
        resample: str | None = None,
        calibrate: str | None = None,
        calibration_cv: int = 3,
        member_params: dict | None = None,
        stack_cv: int = 5,
        random_state: int | None = None,
        n_jobs: int | None = None,
        device: str = "auto",
    ) -> None:
        self.estimators = estimators
        self.combine = combine
        self.weights = weights
        self.multilabel = multilabel
        self.class_weight = class_weight
        self.resample = resample
        self.calibrate = calibrate
        self.calibration_cv = calibration_cv
        self.member_params = member_params
        self.stack_cv = stack_cv
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.device = device

    # ------------------------------------------------------------------ tags
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_label = True
        return tags

    # ------------------------------------------------------------ validation
    def _check_params(self) -> list[str]:
        names = [self.estimators] if isinstance(self.estimators, str) else list(self.estimators)
        if not names:
            raise ConfigError("estimators must name at least one member")
        bad = [n for n in names if n not in MEMBER_NAMES]
        if bad:
            raise ConfigError(f"unknown estimators {bad}; choose from {MEMBER_NAMES}")
        if self.combine not in ("soft", "stack"):
            raise ConfigError(f"combine must be 'soft' or 'stack', got {self.combine!r}")
        if self.calibrate not in (None, "isotonic", "sigmoid"):
            raise ConfigError(f"calibrate must be None, 'isotonic' or 'sigmoid', got {self.calibrate!r}")
        if self.resample not in (None, "smote"):
            raise ConfigError(f"resample must be None or 'smote', got {self.resample!r}")
        if self.weights is not None and len(self.weights) != len(names):
            raise ConfigError(f"{len(self.weights)} weights for {len(names)} estimators")
        return names

    def _is_multilabel(self, y) -> bool:
        y_arr = np.asarray(y)
        two_d = y_arr.ndim == 2 and y_arr.shape[1] > 1
        if self.multilabel is True and not two_d:
            raise ModelError("multilabel=True needs a 2-D y with one 0/1 column per label")
        if self.multilabel is False and two_d:
            raise ModelError("multilabel=False but y has several columns")
        return two_d

    # ------------------------------------------------------------------- fit
    def fit(self, X, y, sample_weight=None, groups=None) -> "EnsembleClassifier":
        """Fit the members (and the stacker) on ``X``, ``y``.

        Parameters
        ----------
        X : DataFrame or array ``(n_samples, n_features)``; NaN allowed.
        y : array-like ``(n_samples,)``, or ``(n_samples, n_labels)`` 0/1 for multi-label.
            A Series/DataFrame ``y`` with a DataFrame ``X`` is paired with ``X`` by record id
            (reordered to ``X``'s index), never by position; arrays pair by position.
        sample_weight : array-like, optional
            Multiplied with the class weights; a Series is paired by record id like ``y``.
        groups : array-like, optional
            Patient ids; used for the stacker's out-of-fold predictions; a Series is paired
            by record id like ``y``.

        Raises
        ------
        ArgumentError
            When a pandas ``y``, ``groups`` or ``sample_weight`` does not hold the same record
            ids as ``X`` (the message names the first ids found on one side only).
        """
        names = self._check_params()
        y, groups = align_xy_groups(X, y, groups)
        if isinstance(X, pd.DataFrame):
            sample_weight = align_to_index(sample_weight, X.index, "sample_weight", "X")
        self.device_ = resolve_device(self.device)
        if self._is_multilabel(y):
            return self._fit_multilabel(X, y, sample_weight, groups)
        X_arr, y_arr = validate_data(self, X, y, ensure_all_finite="allow-nan", dtype=np.float64)
        self.train_missing_share_ = _missing_share(X_arr)
        check_classification_targets(y_arr)
        self._encoder = LabelEncoder().fit(y_arr)
        self.classes_ = self._encoder.classes_
        if len(self.classes_) < 2:
            raise ArgumentError(
                f"EnsembleClassifier needs samples of at least 2 classes in the data; got 1 class: {self.classes_[0]!r}"
            )
        y_enc = self._encoder.transform(y_arr)
        self._check_class_counts(names, y_enc, groups)
        sw = self._sample_weight(y_arr, sample_weight)
        self.members_ = [(name, self._fit_member(name, X_arr, y_enc, sw)) for name in names]
        self.missing_value_rules_ = {name: _RESAMPLED_RULE if self.resample is not None else MISSING_VALUE_RULES[name]
                                     for name in names}
        w = np.ones(len(names)) if self.weights is None else np.asarray(self.weights, dtype=float)
        self.weights_ = w / w.sum()
        self.multilabel_ = False
        if self.combine == "stack" and len(names) > 1:
            self.final_estimator_ = self._fit_stacker(names, X_arr, y_enc, sw, groups)
        return self

    def _check_class_counts(self, names, y_enc, groups) -> None:
        """Refuse, with the counts, a fit whose internal folds or SMOTE neighbours a class is too small for."""
        counts = np.bincount(y_enc, minlength=len(self.classes_))
        smallest = int(np.argmin(counts))
        n_small = int(counts[smallest])
        cls = self.classes_[smallest]
        cls = cls.item() if hasattr(cls, "item") else cls
        needs = []
        if self.combine == "stack" and len(names) > 1:
            needs.append("stacking (out-of-fold member scores)")
        if self.resample is not None:
            needs.append("SMOTE resampling")
        if self.calibrate is not None:
            needs.append("calibration (internal folds)")
        if needs and n_small < 2:
            raise ArgumentError(f"{' and '.join(needs)} needs at least 2 records of each class; class "
                                f"{cls!r} has {n_small} (leave these options out, or add records of that class)")
        if self.combine == "stack" and len(names) > 1 and groups is not None:
            g = np.asarray(groups)
            n_pat = min(len(pd.unique(g[y_enc == k])) for k in range(len(self.classes_)))
            if n_pat < 2:
                raise ArgumentError("stacking needs records of each class from at least 2 patients (its "
                                    f"out-of-fold scores are patient-wise); one class "
                                    f"comes from only {n_pat}")
        if self.combine == "stack" and len(names) > 1 and self.resample is not None:
            n_splits = int(max(2, min(self.stack_cv, n_small)))
            in_fold = n_small - int(np.ceil(n_small / n_splits))
            if in_fold < 2:
                raise ArgumentError(f"stacking with SMOTE needs at least 2 records of each class in every training "
                                    f"part of the {n_splits} stacking folds; class {cls!r} has "
                                    f"{n_small} records, {in_fold} in the smallest training part")

    def _sample_weight(self, y, sample_weight):
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=float)
            if sample_weight.shape != (len(y),):
                raise ArgumentError(f"sample_weight has shape {sample_weight.shape}, expected ({len(y)},)")
            if not np.any(sample_weight > 0):
                raise ArgumentError("sample weights are all zero: nothing to fit")
        if self.resample is not None:
            if sample_weight is not None:
                logger.warning("sample_weight is ignored when resample=%r", self.resample)
            return None
        base = np.ones(len(y)) if sample_weight is None else sample_weight
        if self.class_weight is None:
            return sample_weight
        if isinstance(self.class_weight, str):
            if self.class_weight != "balanced":
                raise ConfigError(f"class_weight must be 'balanced', a dict or None, got {self.class_weight!r}")
            # balanced on the (weighted) class totals, so weights and repeated rows agree
            codes = self._encoder.transform(y)
            totals = np.bincount(codes, weights=base, minlength=len(self.classes_))
            per_class = np.divide(base.sum(), len(self.classes_) * totals,
                                  out=np.zeros_like(totals), where=totals > 0)
            return base * per_class[codes]
        return base * compute_sample_weight(self.class_weight, y)

    def _member(self, name: str, y_enc) -> Any:
        params = (self.member_params or {}).get(name)
        k = 5
        if self.resample is not None:
            k = int(max(1, min(5, np.bincount(y_enc).min() - 1)))
        pipe = make_member(name, params, self.random_state, self.n_jobs, self.device_, self.resample, k)
        if self.calibrate is not None:
            from sklearn.calibration import CalibratedClassifierCV

            n_cv = int(max(2, min(self.calibration_cv, np.bincount(y_enc).min())))
            pipe = CalibratedClassifierCV(pipe, method=self.calibrate, cv=n_cv)
        return pipe

    def _fit_member(self, name, X, y_enc, sw):
        est = self._member(name, y_enc)
        fit_params = _weight_params(name, sw)
        try:
            return est.fit(X, y_enc, **fit_params)
        except (ValueError, ModelError):
            raise
        except Exception as exc:  # booster library errors -> one named error
            raise ModelError(f"member {name!r} failed to train: {exc}") from exc

    def _fit_stacker(self, names, X, y_enc, sw, groups):
        min_count = int(np.bincount(y_enc).min())
        n_splits = int(max(2, min(self.stack_cv, min_count)))
        if groups is not None:
            cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
            splits = list(cv.split(X, y_enc, groups))
        else:
            cv = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=self.random_state)
            splits = list(cv.split(X, y_enc))
        blocks = []
        for name in names:
            est = self._member(name, y_enc)
            params = _weight_params(name, sw)
            oof = cross_val_predict(est, X, y_enc, cv=splits, method="predict_proba", params=params)
            blocks.append(oof[:, 1:] if oof.shape[1] == 2 else oof)
        meta = LogisticRegression(max_iter=2000, random_state=self.random_state)
        return meta.fit(np.hstack(blocks), y_enc)

    def _fit_multilabel(self, X, y, sample_weight, groups):
        if isinstance(y, pd.DataFrame):
            labels = [str(c) for c in y.columns]
        else:
            labels = list(range(np.asarray(y).shape[1]))
        # a NaN label is unknown (a statement not assessed for that record): the record is left out
        # of that label's fit only, never taken as a negative
        y_raw = np.asarray(y, dtype=float)
        unknown = np.isnan(y_raw)
        X_arr, y_arr = validate_data(
            self, X, np.where(unknown, 0.0, y_raw), ensure_all_finite="allow-nan", dtype=np.float64,
            multi_output=True
        )
        y_arr = np.asarray(y_arr, dtype=float)
        self.train_missing_share_ = _missing_share(X_arr)
        if type_of_target(y_arr.astype(int) if np.isin(y_arr, (0.0, 1.0)).all() else y_arr) not in (
                "multilabel-indicator",):
            raise ModelError("multi-label y must hold 0/1 (or NaN: unknown) in every column")
        y_arr[unknown] = np.nan
        self.labels_ = labels
        self.multilabel_ = True
        self.estimators_ = []
        self.constant_labels_ = []
        sw_arr = None if sample_weight is None else np.asarray(sample_weight)
        g_arr = None if groups is None else np.asarray(groups)
        for j, label in enumerate(labels):
            known = ~unknown[:, j]
            yj = y_arr[known, j]
            if known.all():
                Xj, swj, gj = X_arr, sample_weight, groups
            else:
                logger.info("label %r: %d of %d records have an unknown label (NaN) and are left out of its fit",
                            label, int((~known).sum()), len(known))
                Xj = X_arr[known]
                swj = None if sw_arr is None else sw_arr[known]
                gj = None if g_arr is None else g_arr[known]
            if len(np.unique(yj)) < 2:
                logger.warning("label %r has one class only in the training data (%d positive of %d); it is "
                               "predicted constantly (constant_labels_): its scores are no evidence of "
                               "discrimination", label, int(yj.sum()), len(yj))
                self.estimators_.append(_ConstantLabel(float(yj[0]) if len(yj) else np.nan))
                self.constant_labels_.append(label)
                continue
            child = clone(self).set_params(multilabel=False)
            try:
                child.fit(Xj, yj.astype(int), sample_weight=swj, groups=gj)
            except ArgumentError as err:
                raise ArgumentError(f"label {label!r}: {err}") from err
            if hasattr(self, "feature_names_in_"):
                child.feature_names_in_ = self.feature_names_in_
            self.estimators_.append(child)
        self.classes_ = [child.classes_ for child in self.estimators_]
        return self

    # --------------------------------------------------------------- predict
    def _validate_X(self, X):
        check_is_fitted(self, "classes_")
        return validate_data(self, X, reset=False, ensure_all_finite="allow-nan", dtype=np.float64)

    def _member_probas(self, X_arr) -> list[np.ndarray]:
        self._note_imputation(X_arr)
        return [est.predict_proba(X_arr) for _, est in self.members_]

    def _note_imputation(self, X_arr) -> None:
        """Say once per model (logged) when members replace the missing values of these rows by medians."""
        rules = getattr(self, "missing_value_rules_", {})
        imputing = [name for name, rule in rules.items() if rule.startswith("imputed")]
        if not imputing or self in _IMPUTATION_NOTED:
            return
        gaps = np.isnan(np.asarray(X_arr, dtype=float))
        if gaps.any():
            _IMPUTATION_NOTED.add(self)
            names = getattr(self, "feature_names_in_", None)
            cols = [str(names[j]) if names is not None else f"x{j}" for j in np.flatnonzero(gaps.any(axis=0))]
            logger.warning("members %s replace missing values by the feature's training median (%d of %d rows "
                           "have missing values, in %s); see missing_value_rules_", imputing,
                           int(gaps.any(axis=1).sum()), len(gaps), ", ".join(cols[:5]) + (" ..." if len(cols) > 5 else ""))

    def predict_proba_array(self, X_arr) -> np.ndarray:
        """:meth:`predict_proba` of an already validated float array ``(n, n_features)``, without
        the feature-name checks (for explainers that call the model many times)."""
        if self.multilabel_:
            return np.column_stack([c.predict_proba_array(X_arr)[:, 1] for c in self.estimators_])
        probas = self._member_probas(X_arr)
        if hasattr(self, "final_estimator_"):
            feats = np.hstack([p[:, 1:] if p.shape[1] == 2 else p for p in probas])
            return self.final_estimator_.predict_proba(feats)
        return np.tensordot(self.weights_, np.stack(probas), axes=1)

    def missing_report(self, X) -> pd.DataFrame:
        """The features missing in more of the rows of ``X`` than the training share allows by chance.

        Parameters
        ----------
        X : DataFrame or array ``(n_samples, n_features)``, the model's features.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``feature`` (``x<j>`` when fitted on an array), one row per feature
            whose share of missing (NaN) values in ``X`` exceeds its share in the training
            rows by :data:`MISSING_SHARE_INCREASE` or more and whose count is unlikely at the
            training share (``p_value`` below :data:`MISSING_ALPHA`), largest increase first:
            ``missing_share``, ``train_missing_share``, ``n_missing`` (rows of ``X``),
            ``n_rows`` (rows of ``X``) and ``p_value`` (one-sided binomial probability of
            ``n_missing`` or more of ``n_rows`` missing at ``train_missing_share``).
            Empty when there is none, or for a model saved before the training shares were
            kept (then the check cannot be made; logged).
        """
        return self._missing_beyond_training(self._validate_X(X))

    def _missing_beyond_training(self, X_arr) -> pd.DataFrame:
        cols = ["missing_share", "train_missing_share", "n_missing", "n_rows", "p_value"]
        empty = pd.DataFrame(columns=cols, index=pd.Index([], name="feature"), dtype=float)
        train = getattr(self, "train_missing_share_", None)
        X_arr = np.asarray(X_arr, dtype=float)
        if train is None:
            logger.info("model fitted without train_missing_share_ (saved by an older version): features "
                        "missing beyond training are not checked")
            return empty
        if X_arr.ndim != 2 or len(X_arr) == 0:
            return empty
        gaps = np.isnan(X_arr)
        n_rows = len(X_arr)
        k = gaps.sum(axis=0)
        share = k / n_rows
        train = np.asarray(train, dtype=float)
        # P(K >= k | n_rows, train share), one-sided: how likely this many missing rows are by chance
        p_value = np.where(k > 0, stats.binom.sf(k - 1, n_rows, train), 1.0)
        beyond = np.flatnonzero((share - train >= MISSING_SHARE_INCREASE - 1e-12) & (p_value < MISSING_ALPHA))
        if not beyond.size:
            return empty
        names = getattr(self, "feature_names_in_", None)
        index = pd.Index([str(names[j]) if names is not None else f"x{j}" for j in beyond], name="feature")
        out = pd.DataFrame({"missing_share": share[beyond], "train_missing_share": train[beyond],
                            "n_missing": k[beyond].astype(float), "n_rows": float(n_rows),
                            "p_value": p_value[beyond]}, index=index)
        order = np.argsort(-(out["missing_share"] - out["train_missing_share"]).to_numpy(), kind="stable")
        return out.iloc[order]

    def _warn_missing(self, X_arr, where: str) -> None:
        """Warn (and log) when features are missing in far more rows than in training."""
        report = self._missing_beyond_training(X_arr)
        if report.empty:
            return
        listed = ", ".join(f"{name} {row.missing_share:.0%} = {int(row.n_missing)} of {int(row.n_rows)} "
                           f"(training {row.train_missing_share:.0%}, {_p_text(row.p_value)})"
                           for name, row in report.head(10).iterrows())
        more = f" and {len(report) - 10} more" if len(report) > 10 else ""
        rules = getattr(self, "missing_value_rules_", None)
        if rules is None and getattr(self, "estimators_", None):  # multi-label: the labels' models
            rules = next((getattr(c, "missing_value_rules_", None) for c in self.estimators_
                          if getattr(c, "missing_value_rules_", None)), None)
        routed = [m for m, r in (rules or {}).items() if r.startswith("routed")]
        imputed = [m for m, r in (rules or {}).items() if r.startswith("imputed")]
        unseen = [str(f) for f, t in report["train_missing_share"].items() if t == 0]
        seen = [str(f) for f, t in report["train_missing_share"].items() if t > 0]
        parts = []
        if routed and seen:
            parts.append(f"{', '.join(routed)} route a missing {', '.join(seen)} as learned from the training "
                         f"rows that missed it")
        if routed and unseen:
            parts.append(f"{', '.join(routed)} send a missing {', '.join(unseen)} (missed by no training row) "
                         f"to the child with more training rows: a route not learned from data")
        if imputed:
            parts.append(f"{', '.join(imputed)} replace a missing value by the training median, so for these "
                         f"rows their scores rest on the other features")
        how = "; ".join(parts) or "see missing_value_rules_"
        msg = (f"{where}: {len(report)} feature(s) missing in more of the {len(X_arr)} row(s) than chance allows "
               f"at the training share (share and count missing now; training share; one-sided binomial "
               f"P of this many or more, warned below {MISSING_ALPHA:g}): {listed}{more}. Predicted anyway: "
               f"{how}; see missing_report(X)")
        logger.warning(msg)
        warnings.warn(msg, MissingFeatureWarning, stacklevel=3)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(n_samples, n_classes)``; multi-label: ``(n_samples, n_labels)``.

        Warns (:class:`MissingFeatureWarning`) when features are missing in more of the
        rows than the training share allows by chance (module docstring, :meth:`missing_report`).
        """
        X_arr = self._validate_X(X)
        self._warn_missing(X_arr, "predict_proba")
        return self.predict_proba_array(X_arr)

    def predict(self, X) -> np.ndarray:
        """Most probable class; multi-label: 0/1 matrix thresholded at 0.5."""
        proba = self.predict_proba(X)
        if self.multilabel_:
            return (proba >= 0.5).astype(int)
        return self.classes_[np.argmax(proba, axis=1)]

    def predict_margin(self, X) -> np.ndarray:
        """The score that SHAP values add up to (binary, single label), per sample.

        One member alone: its raw margin (log-odds for XGBoost, LightGBM, sklearn GB and the
        logistic regression; the positive-class probability for forests, whose raw output is
        a probability). Several members (soft vote, stacking) or calibrated members: the
        positive-class probability of the ensemble. XGBoost's margin is the float64 sum of
        the leaves XGBoost selects (:func:`xgboost_margin`), not its float32 running sum.
        """
        X_arr = self._validate_X(X)
        if self.multilabel_ or len(self.classes_) != 2:
            raise ModelError("predict_margin is defined for binary, single-label models")
        self._warn_missing(X_arr, "predict_margin")
        if len(self.members_) == 1 and self.calibrate is None:
            return member_margin(self.members_[0][0], self.members_[0][1], X_arr)
        return self.predict_proba_array(X_arr)[:, 1]

    @property
    def named_members_(self) -> dict:
        check_is_fitted(self, "classes_")
        return dict(self.members_)


def _p_text(p: float) -> str:
    """A probability for a message: 'P = ' 3 significant digits, 'P < 1e-12' below that."""
    return "P < 1e-12" if p < 1e-12 else f"P = {p:.3g}"


def _missing_share(X_arr) -> np.ndarray:
    """Share of rows in which each column is NaN, ``(n_features,)``."""
    X_arr = np.asarray(X_arr, dtype=float)
    return np.isnan(X_arr).mean(axis=0) if len(X_arr) else np.zeros(X_arr.shape[1])


class _ConstantLabel:
    """Stand-in for a label seen with one class only in training (probability 0 or 1)."""

    multilabel_ = False
    members_: list = []

    def __init__(self, value: float) -> None:
        self.value = value
        self.classes_ = np.array([0, 1])

    def predict_proba_array(self, X_arr) -> np.ndarray:
        p = np.full(len(X_arr), self.value)
        return np.column_stack([1 - p, p])

    def predict_proba(self, X) -> np.ndarray:
        return self.predict_proba_array(np.asarray(X))


def _weight_params(name: str, sw) -> dict:
    """Route sample weights to the classifier (and to the scaler of the logistic regression)."""
    if sw is None:
        return {}
    params = {"clf__sample_weight": sw}
    if name == "logreg":
        params["scale__sample_weight"] = sw
    return params


def member_margin(name: str, pipe, X_arr) -> np.ndarray:
    """Raw positive-class margin of one fitted (uncalibrated) binary member."""
    Xt = transform_until_clf(pipe, X_arr)
    clf = pipe.steps[-1][1]
    if name == "xgb":
        return xgboost_margin(clf, Xt)
    if name == "lgbm":
        return np.asarray(clf.predict(Xt, raw_score=True), dtype=float)
    if name in ("gb", "logreg"):
        return np.asarray(clf.decision_function(Xt), dtype=float)
    return np.asarray(clf.predict_proba(Xt)[:, 1], dtype=float)


def xgboost_base_margin(clf) -> float | None:
    """Base margin (log-odds before the first tree) of a binary-logistic ``XGBClassifier``.

    ``None`` when the booster is not a plain binary-logistic ``gbtree``.
    """
    tables = _xgb_leaf_tables(clf.get_booster())
    return None if tables is None else tables[0]


def _xgb_leaf_tables(booster) -> tuple[float, list[np.ndarray]] | None:
    """Base margin and per-tree leaf values (float32 values as float64) of a binary logistic booster.

    ``None`` when the booster is not a plain binary-logistic ``gbtree`` (dart, gblinear,
    multi-target, other objectives): the caller then uses XGBoost's own margin.
    """
    import json

    model = json.loads(booster.save_raw("json"))
    learner = model["learner"]
    if learner["gradient_booster"].get("name") != "gbtree":
        return None
    if learner["objective"].get("name") not in ("binary:logistic", "reg:logistic"):
        return None
    param = learner["learner_model_param"]
    if int(param.get("num_class", "0")) > 1 or int(param.get("num_target", "1")) != 1:
        return None
    base_score = np.float32(float(str(param["base_score"]).strip("[]").split(",")[0]))
    # XGBoost turns the probability-scale base score into a margin in float32
    base_margin = float(np.float32(-np.log(np.float32(1.0) / base_score - np.float32(1.0))))
    leaves = [np.asarray(t["split_conditions"], dtype=np.float32).astype(np.float64)
              for t in learner["gradient_booster"]["model"]["trees"]]
    return base_margin, leaves


def xgboost_margin(clf, X) -> np.ndarray:
    """Log-odds of a fitted binary ``XGBClassifier``, summed in float64.

    XGBoost accumulates its trees in float32, so with hundreds of trees its own
    ``output_margin`` is off the exact sum of the leaves it selected by up to ~1e-5. This
    function lets XGBoost route every row (``pred_leaf``) and adds the selected leaf values
    (float32 numbers, as stored in the model) and the base margin in float64: the exact
    output of the fitted trees, which is what tree SHAP values add up to. Boosters other than
    a binary-logistic ``gbtree`` fall back to XGBoost's own margin.

    Parameters
    ----------
    clf : fitted ``xgboost.XGBClassifier`` (binary)
    X : array ``(n_samples, n_features)``, NaN = missing

    Returns
    -------
    ndarray ``(n_samples,)`` of float64 log-odds
    """
    import xgboost

    own = np.asarray(clf.predict(X, output_margin=True), dtype=float)
    booster = clf.get_booster()
    if getattr(clf, "best_iteration", None) is not None and getattr(clf, "early_stopping_rounds", None):
        return own  # early stopping: XGBoost predicts with a subset of the trees
    tables = _xgb_leaf_tables(booster)
    if tables is None or own.ndim != 1:
        return own
    base_margin, leaves = tables
    ids = np.asarray(booster.predict(xgboost.DMatrix(np.asarray(X, dtype=np.float32), missing=np.nan),
                                     pred_leaf=True), dtype=np.int64).reshape(len(own), -1)
    if ids.shape[1] != len(leaves):
        return own
    exact = np.full(len(own), base_margin)
    for t, values in enumerate(leaves):
        exact += values[ids[:, t]]
    # the float32 sum differs only by rounding; anything larger means the model was misread
    if not np.allclose(exact, own, rtol=1e-4, atol=1e-4):
        logger.warning("XGBoost model layout not understood (float64 margin differs from XGBoost's by %.3g); "
                       "using XGBoost's float32 margin", float(np.max(np.abs(exact - own))))
        return own
    return exact


__all__ = ["EnsembleClassifier", "ALL_MEMBERS", "MISSING_VALUE_RULES", "MISSING_SHARE_INCREASE", "MISSING_ALPHA",
           "MissingFeatureWarning", "member_margin", "xgboost_margin", "xgboost_base_margin"]
