"""``ProtoECGNetClassifier``: the scikit-learn-style estimator around the prototype network.

Two presets:

* ``preset="paper"`` (default) - ProtoECGNet as published (Sethi et al., 2025; public code
  bbj-lab/protoecgnet): ResNet-18 trunks (width 64, 512 channels), 5 / 18 / 7 prototypes per
  class (rhythm / morphology / global), Adam lr 1e-4, weight decay 1.7e-4, dropout 0.35, cosine
  schedule, up to 200 epochs per phase with early stopping on the validation macro-AUROC
  (patience 10, best weights kept; 10% of the training patients are held out when no validation
  set is given). Sized for a GPU.
* ``preset="small"`` - the same architecture, similarities, losses and initialisation at CPU
  size for demos and tests: width 8 (64 channels), one block per stage, 2 / 3 / 2 prototypes
  per class, lr 1e-3 (1e-2 for the last layers, which train on similarities computed once), no
  weight decay or dropout, constant learning rate, fixed epochs 3 / 5 / 30 / 50 (warm-up /
  joint / last layer / fusion) without validation. ``prototype_init="patches"`` (prototypes
  start on random training patches of their class) is an option, not the default: on the
  shared PTB-XL sample it left sibling prototypes nearly parallel, so the diversity term
  (250 x mean squared cosine) dominated the joint loss and the test macro-AUROC fell from
  0.70 to 0.65 (see docs/results_prototypes.md).

Any parameter given explicitly overrides its preset value; :meth:`ProtoECGNetClassifier.settings`
shows what a fit uses.

Examples
--------
>>> from interp_ecg.prototypes import ProtoECGNetClassifier
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(12, 12, 1000)).astype("float32")
>>> y = pd.DataFrame({"A": [0, 1] * 6, "B": [1, 0] * 6})
>>> clf = ProtoECGNetClassifier(preset="small", width=2, prototypes_per_class=1,
...     warmup_epochs=1, joint_epochs=1, last_layer_epochs=1, fusion_epochs=1,
...     label_groups={"rhythm": ["A"]}, random_state=0, n_threads=1).fit(x, y)
>>> clf.predict_proba(x[:2]).shape
(2, 2)
>>> list(clf.transform(x[:1]).columns)
['proto_A_00', 'proto_B_00']
>>> list(clf.prototype_sources_["branch"])
['rhythm', 'morphology']
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator

from interp_ecg.errors import ConfigError, IntegrityError, ModelError
from interp_ecg.io.integrity import file_manifest_path, verify_file_manifest
from interp_ecg.prototypes.backbones import ResNet2d, load_torchvision_resnet
from interp_ecg.prototypes.data import (
    SOURCE_ARRAY_ROW,
    SOURCE_RECORD,
    SOURCE_UNRECORDED,
    describe_long,
    describe_short,
    long_records,
    resolve_label_groups,
    short_records,
    to_array,
)
from interp_ecg.prototypes.losses import LossWeights
from interp_ecg.prototypes.model import DEFAULT_BRANCH_TYPES, BlackBoxECGNet, BranchSpec, ProtoECGNet
from interp_ecg.prototypes.training import (
    ProtoTrainer,
    TrainConfig,
    local_torch_rng,
    read_weights,
    torch_device,
    torch_threads,
    train_blackbox,
)

logger = logging.getLogger(__name__)

#: preset values of the parameters left as ``None``
PRESETS: dict[str, dict[str, Any]] = {
    "paper": {
        "width": 64, "blocks": (2, 2, 2, 2),
        "prototypes_per_class": {"rhythm": 5, "morphology": 18, "global": 7},
        "warmup_epochs": 200, "joint_epochs": 200, "last_layer_epochs": 200, "fusion_epochs": 200,
        "epochs": 200, "batch_size": 32, "lr": 1e-4, "weight_decay": 1.7e-4, "dropout": 0.35,
        "scheduler": "cosine", "patience": 10, "validation_fraction": 0.1, "prototype_init": "random",
    },
    "small": {
        "width": 8, "blocks": (1, 1, 1, 1),
        "prototypes_per_class": {"rhythm": 2, "morphology": 3, "global": 2},
        "warmup_epochs": 3, "joint_epochs": 5, "last_layer_epochs": 30, "fusion_epochs": 50,
        "epochs": 8, "batch_size": 32, "lr": 1e-3, "weight_decay": 0.0, "dropout": 0.0,
        "scheduler": "constant", "patience": None, "validation_fraction": 0.0, "prototype_init": "random",
    },
}
#: learning rate of the last-layer and fusion phases of the small preset (paper: same as ``lr``)
_SMALL_HEAD_LR = 1e-2
#: a prototype whose similarity varies by less than this (in cosine units, i.e. divided by the
#: branch's scale) across records scores every record alike: its explanation carries no information
CONSTANT_SIMILARITY_ATOL = 1e-3


def constant_similarity_prototypes(similarities: pd.DataFrame, scales: Sequence[float] | np.ndarray,
                                   atol: float = CONSTANT_SIMILARITY_ATOL) -> pd.Series:
    """Prototypes whose similarity is the same for every record, within ``atol``.

    Parameters
    ----------
    similarities : pandas.DataFrame
        ``(n_records, n_prototypes)``, as returned by ``transform``; NaN rows are ignored.
    scales : array-like
        Each prototype's similarity scale (``PrototypeLayer.scale``: 1 for cosine, ``int(sqrt(C w)) /
        (h w)`` for the scaled cosine), so ``atol`` is in cosine units.
    atol : float

    Returns
    -------
    pandas.Series
        Range ``max - min`` over the records, in cosine units, of the prototypes below ``atol``
        (empty with fewer than two finite records: nothing to compare).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.prototypes import constant_similarity_prototypes
    >>> sims = pd.DataFrame({"proto_A_00": [4.3330, 4.3329, 4.3330], "proto_B_00": [0.2, 0.6, 0.4]})
    >>> constant_similarity_prototypes(sims, [13 / 3, 1.0]).round(5).to_dict()
    {'proto_A_00': 2e-05}
    """
    finite = similarities.dropna(how="any")
    if len(finite) < 2:
        return pd.Series(dtype=float)
    spread = (finite.max() - finite.min()) / np.asarray(scales, dtype=float)
    return spread[spread < atol]


def _warn_constant(flat: pd.Series, where: str) -> None:
    if flat.empty:
        return
    msg = (f"{len(flat)} prototype(s) have the same similarity for every one of {where} (range < "
           f"{CONSTANT_SIMILARITY_ATOL:g} in cosine units): {', '.join(flat.index)}. Their similarities and "
           "'this looks like that' explanations carry no information about these records; the network "
           "is likely undertrained (too few epochs or records) or its features have collapsed.")
    logger.warning(msg)
    warnings.warn(msg, UserWarning, stacklevel=3)


def _check_multi_hot(labels: pd.DataFrame) -> pd.DataFrame:
    """``labels`` unchanged when every value is 0, 1 or NaN (unknown); otherwise ``ConfigError`` naming the column.

    NaN means unknown (e.g. the rhythm statements of a PTB-XL record that carries no rhythm
    statement, :func:`interp_ecg.io.read_ptbxl`): the training loss, the push, early stopping and
    calibration leave such (record, class) entries out. Other values (PTB-XL's 0-100
    likelihoods, soft labels) are refused with the values found.
    """
    values = labels.to_numpy(dtype=np.float64)
    nan = np.isnan(values)
    if nan.any():
        counts = {str(c): int(n) for c, n in zip(labels.columns, nan.sum(axis=0)) if n}
        logger.info("labels unknown (NaN), left out of the loss and scores class by class: %s",
                    ", ".join(f"{c} ({n} records)" for c, n in list(counts.items())[:8]))
    values = np.where(nan, 0.0, values)
    bad = ~np.isin(values, (0.0, 1.0))
    if bad.any():
        parts = []
        for k in np.flatnonzero(bad.any(axis=0))[:5]:
            found = np.unique(values[bad[:, k], k])
            shown = ", ".join(f"{v:g}" for v in found[:3]) + (", ..." if len(found) > 3 else "")
            parts.append(f"{labels.columns[k]} ({shown})")
        raise ConfigError(f"y column(s) hold values other than 0 and 1: {'; '.join(parts)}; multi-hot 0/1 "
                          "expected (PTB-XL likelihoods 0-100: threshold them, e.g. y = (likelihood > 0))")
    return labels


def _class_positions(classes: Sequence[str], network_classes: Sequence[str]) -> np.ndarray:
    """Positions in the network's output (classes grouped by branch) of each of ``classes``."""
    network_classes = [str(c) for c in network_classes]
    if sorted(map(str, classes)) != sorted(network_classes):
        raise IntegrityError(f"classes {list(classes)} do not match the network's outputs {network_classes}")
    return np.array([network_classes.index(str(c)) for c in classes], dtype=np.int64)


def _py(value: Any) -> Any:
    """Record ids as plain int / str (checkpoint-safe)."""
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    return str(value)


def _exact_json(value: Any) -> Any:
    """A table cell as a JSON value that reads back exactly (NaN/None as null)."""
    value = _jsonable(value)
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, PathLike):
        return str(value)
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


class _BaseNetClassifier(BaseEstimator):
    """Input handling and presets shared by the prototype and black-box classifiers."""

    def settings(self) -> dict[str, Any]:
        """The preset's values with every explicitly given parameter applied."""
        if self.preset not in PRESETS:
            raise ConfigError(f"unknown preset {self.preset!r}; use one of {sorted(PRESETS)}")
        out = dict(PRESETS[self.preset])
        for key in out:
            if key in self.get_params() and getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["blocks"] = tuple(int(b) for b in out["blocks"])
        return out

    def network_input(self, data: Any, fs: float | None = None, records: Any = None,
                      return_lengths: bool = False, return_durations: bool = False) -> tuple:
        """The network's input for ``data``: resampled to ``fs``, cropped or padded, high-passed.

        Records longer than ``n_samples`` are cut to their first ``n_samples``; shorter ones are
        zero-padded at the end (:func:`~interp_ecg.prototypes.data.to_array`). This method does not
        warn; ``fit``, ``predict_proba``, ``transform`` and ``explain`` name the records cut or padded.

        Parameters
        ----------
        data : EcgDataset, Record or numpy.ndarray
            Records, or an array ``(n, 12, n_samples)`` / ``(12, n_samples)`` at ``fs``.
        fs : float, optional
            Sampling rate of an array (default: the model's).
        records : sequence, optional
            Record ids of a dataset to use.
        return_lengths : bool
            Also return the real (unpadded) samples of every record.
        return_durations : bool
            Also return every record's duration in seconds as given (before cutting or padding).

        Returns
        -------
        tuple
            ``(n, 12, n_samples)`` float32 input, record ids, a mask of the records read, with
            ``return_lengths`` the real samples of each record, with ``return_durations`` (last)
            each record's duration.
        """
        return to_array(data, fs=self.fs, n_samples=self.n_samples, highpass_hz=self.highpass_hz, input_fs=fs,
                        records=records, return_lengths=return_lengths, return_durations=return_durations)

    def _read_input(self, data: Any, fs: float | None, what: str, records: Any = None) -> tuple:
        """:meth:`network_input` with lengths, warning (and logging) about records cut or zero-padded.

        An array given without ``fs`` is read at the model's ``fs``; the warning says so.
        """
        x, ids, ok, lengths, durations = self.network_input(data, fs, records=records, return_lengths=True,
                                                            return_durations=True)
        self._warn_lengths(data, fs, ids, lengths, durations, ok, what)
        return x, ids, ok, lengths

    def _warn_lengths(self, data: Any, fs: float | None, ids: Any, lengths: np.ndarray, durations: np.ndarray,
                      ok: np.ndarray, what: str) -> tuple[pd.Series, pd.Series]:
        """Log and warn (``UserWarning``) about records zero-padded or cut to the network input.

        Returns the short and the long records with their durations in seconds.
        """
        assumed = ""
        if not hasattr(data, "meta") and fs is None:
            assumed = f" (array read at the model's fs = {self.fs:g} Hz: no fs= was given)"
        short = short_records(ids, lengths, ok, self.n_samples, self.fs)
        long = long_records(ids, durations, ok, self.n_samples, self.fs)
        for found, describe in ((short, describe_short), (long, describe_long)):
            if len(found):
                msg = f"{what}{assumed}: {describe(found, self.n_samples, self.fs)}"
                logger.warning(msg)
                warnings.warn(msg, UserWarning, stacklevel=4)
        return short, long

    def _labels(self, data: Any, labels: Any, ids: pd.Index) -> pd.DataFrame:
        if labels is None:
            labels = getattr(data, "labels", None)
            if labels is None:
                raise ConfigError("no labels: pass y or a dataset with .labels")
        if isinstance(labels, pd.DataFrame):
            if hasattr(data, "meta"):
                try:
                    labels = labels.loc[ids]
                except KeyError as err:
                    raise ConfigError(f"labels lack records of the dataset: {err}") from None
            elif len(labels) != len(ids):
                raise ConfigError(f"{len(labels)} label rows for {len(ids)} records")
            return _check_multi_hot(labels.astype(np.float32))
        arr = np.asarray(labels, dtype=np.float32)
        if arr.ndim == 1:
            arr = arr[:, None]
        if len(arr) != len(ids):
            raise ConfigError(f"{len(arr)} label rows for {len(ids)} records")
        return _check_multi_hot(pd.DataFrame(arr, index=ids, columns=[f"class_{i}" for i in range(arr.shape[1])]))

    def _training_data(self, X: Any, y: Any, fs: float | None):
        """Readable records, labels with enough positives, ids and patient groups."""
        x, ids, ok, lengths, durations = self.network_input(X, fs, return_lengths=True, return_durations=True)
        labels = self._labels(X, y, ids)
        if isinstance(y, pd.DataFrame) and not hasattr(X, "meta"):
            ids = pd.Index(y.index)
        self._warn_lengths(X, fs, ids, lengths, durations, ok, "training records")
        x, labels, ids, lengths = x[ok], labels.iloc[np.flatnonzero(ok)], ids[ok], lengths[ok]
        if len(x) < 2:
            raise ModelError(f"need at least 2 readable training records, got {len(x)}")
        pos = (labels.to_numpy() > 0).sum(axis=0)
        neg = (labels.to_numpy() == 0).sum(axis=0)  # unknown (NaN) labels are neither
        few_pos, few_neg = pos < self.min_positives, (neg < self.min_positives) & (pos >= self.min_positives)
        keep = ~few_pos & ~few_neg
        if not keep.all():
            parts = []
            if few_pos.any():
                parts.append(f"{int(few_pos.sum())} classes with < {self.min_positives} positive training records: "
                             f"{list(map(str, labels.columns[few_pos]))}")
            if few_neg.any():  # positive in (nearly) every record: nothing to tell it from
                parts.append(f"{int(few_neg.sum())} classes with < {self.min_positives} negative training records "
                             f"(positive in every or all but a few records; nothing to learn): "
                             f"{list(map(str, labels.columns[few_neg]))}")
            msg = (f"leaving out {'; and '.join(parts)}; classes_ (the column order of predict_proba) lists "
                   "the others in the order of y")
            logger.warning(msg)
            warnings.warn(msg, UserWarning, stacklevel=3)
        labels = labels.loc[:, keep]
        if labels.shape[1] == 0:
            raise ModelError(f"no class has at least {self.min_positives} positive and {self.min_positives} negative "
                             "training records")
        labels = labels.set_axis([str(c) for c in labels.columns], axis=1)
        groups = None
        meta = getattr(X, "meta", None)
        if meta is not None and "patient_id" in meta.columns:
            from interp_ecg.evaluate.splitters import patient_groups  # a record without a patient: its own group

            import hashlib

            # a recording filed under two patient ids (bit-identical inputs): its patients are one group, so
            # the validation split never holds a copy of a training record
            digests = pd.Series([hashlib.sha256(np.ascontiguousarray(r).tobytes()).hexdigest() for r in x],
                                index=pd.Index(ids))
            groups = patient_groups(meta["patient_id"].reindex(ids), purpose="the patient-wise validation split",
                                    digests=digests.set_axis(meta["patient_id"].reindex(ids).index)).to_numpy()
        return x, labels, ids, groups, lengths

    def _validation(self, x, labels, ids, groups, X_val, y_val, fs, fraction: float, lengths=None):
        """Validation arrays: given ones, or a patient-wise ``fraction`` of the training records.

        Returns ``x, labels, ids, x_val, y_val, lengths`` (``lengths`` of the training rows kept).
        """
        if lengths is None:
            lengths = np.full(len(x), x.shape[-1], dtype=np.int64)
        if X_val is not None:
            xv, vids, ok, _ = self._read_input(X_val, fs, "validation records")
            yv = self._labels(X_val, y_val, vids)
            yv = yv.set_axis([str(c) for c in yv.columns], axis=1)
            missing = [c for c in labels.columns if c not in yv.columns]
            if missing:
                raise ConfigError(f"validation labels lack classes {missing[:5]}")
            return x, labels, ids, xv[ok], yv[list(labels.columns)].iloc[np.flatnonzero(ok)], lengths
        if not fraction:
            return x, labels, ids, None, None, lengths
        from sklearn.model_selection import GroupShuffleSplit

        g = groups if groups is not None else np.arange(len(x))
        split = GroupShuffleSplit(n_splits=1, test_size=float(fraction), random_state=int(self.random_state))
        tr, va = next(split.split(x, groups=g))
        logger.info("holding out %d of %d training records (%s) for early stopping", len(va), len(x),
                    "by patient" if groups is not None else "by record")
        return x[tr], labels.iloc[tr], ids[tr], x[va], labels.iloc[va], lengths[tr]

    def check_fitted(self) -> None:
        """Raise :class:`~interp_ecg.errors.ModelError` unless the estimator is fitted."""
        if not hasattr(self, "model_"):
            raise ModelError(f"{type(self).__name__} is not fitted; call fit() first")

    def _set_class_weights(self, labels: pd.DataFrame) -> None:
        """``positive_weights_`` of the weighted BCE (the training rows' labels), in ``classes_`` order."""
        from interp_ecg.prototypes.losses import positive_weights

        pw = positive_weights(labels.to_numpy(), TrainConfig.pos_weight_clip)
        self.positive_weights_ = pd.Series(pw.astype(np.float64), index=[str(c) for c in labels.columns],
                                           name="positive_weight").reindex(self.classes_)
        self.probabilities_calibrated_ = False
        self.calibration_ = None

    def probability_from_logits(self, logits: np.ndarray) -> np.ndarray:
        """Logits ``(n, n_classes)`` in :attr:`classes_` order -> the outputs of :meth:`predict_proba`.

        The sigmoid of the logit, or, after :meth:`calibrate`, of ``slope * logit + intercept``
        per class (Platt scaling).
        """
        from scipy.special import expit

        logits = np.asarray(logits, dtype=np.float64)
        cal = getattr(self, "calibration_", None)
        if cal is None:
            return expit(logits)
        return expit(logits * cal["slope"].to_numpy() + cal["intercept"].to_numpy())

    def calibrate(self, X: Any, y: Any = None, *, fs: float | None = None) -> "_BaseNetClassifier":
        """Platt-scale every class on held-out records, so :meth:`predict_proba` estimates probabilities.

        The network is trained with a class-weighted BCE (each positive counts
        :attr:`positive_weights_` times, ``n_negative / n_positive`` of the training records, up
        to 100), so its sigmoid outputs are ranking scores that over-state rare classes (user9:
        a mean "probability" of MI of 0.41 where 12.5 % of test ECGs had MI). This fits, per class,
        ``p = sigmoid(slope * logit + intercept)`` by maximum likelihood on ``X`` (one
        record-wise logistic regression per class), and :meth:`predict_proba` (and ``explain``'s
        probabilities and threshold) use it from then on. The ranking of records, hence ROC-AUC,
        does not change for a positive slope.

        Parameters
        ----------
        X : EcgDataset or numpy.ndarray
            Held-out records: not the training records (their scores are over-fitted) and not the
            test records (their calibration would be fitted to the test), e.g. PTB-XL fold 9.
        y : pandas.DataFrame or array, optional
            Their 0/1 labels with every class of :attr:`classes_` (default ``X.labels``).
        fs : float, optional
            Sampling rate of an array input.

        Returns
        -------
        self
            With :attr:`calibration_` (per class: ``slope``, ``intercept``, ``n_records``,
            ``n_positive``, ``mean_score_before``, ``mean_probability_after``, ``prevalence``, all on
            ``X``) and :attr:`probabilities_calibrated_` ``True``.

        Raises
        ------
        ConfigError
            ``y`` lacks a class, or a class has no positive or no negative record in ``X``.
        """
        from sklearn.linear_model import LogisticRegression

        self.check_fitted()
        logits = np.asarray(self.decision_function(X, fs), dtype=np.float64)
        if hasattr(X, "meta"):
            ids = pd.Index(X.meta.index)
        else:
            ids = pd.Index([str(i) for i in range(len(logits))], name="record_id")
        labels = self._labels(X, y, ids)
        labels = labels.set_axis([str(c) for c in labels.columns], axis=1)
        missing = [c for c in self.classes_ if c not in labels.columns]
        if missing:
            raise ConfigError(f"calibration labels lack classes {missing[:5]}")
        yv = labels[self.classes_].to_numpy(dtype=np.float64)
        ok = np.isfinite(logits).all(axis=1)
        logits, yv = logits[ok], yv[ok]
        known = np.isfinite(yv)  # unknown labels (NaN) are left out class by class
        pos = (yv > 0).sum(axis=0)
        n_known = known.sum(axis=0)
        one_sided = [c for c, n, m in zip(self.classes_, pos, n_known) if n == 0 or n == m]
        if one_sided:
            raise ConfigError(f"cannot calibrate {one_sided[:5]}: no positive or no negative record among the "
                              f"{len(yv)} calibration records (with a known label)")
        rows = []
        for k, cls in enumerate(self.classes_):
            lk, yk = logits[known[:, k], k], yv[known[:, k], k]
            lr = LogisticRegression(C=1e6, max_iter=1000).fit(lk[:, None], yk.astype(int))
            slope, intercept = float(lr.coef_[0, 0]), float(lr.intercept_[0])
            from scipy.special import expit

            rows.append({"class": cls, "slope": slope, "intercept": intercept, "n_records": int(n_known[k]),
                         "n_positive": int(pos[k]), "mean_score_before": float(expit(lk).mean()),
                         "mean_probability_after": float(expit(slope * lk + intercept).mean()),
                         "prevalence": float(pos[k] / n_known[k])})
        self.calibration_ = pd.DataFrame(rows).set_index("class")
        self.probabilities_calibrated_ = True
        flipped = list(self.calibration_.index[self.calibration_["slope"] <= 0])
        if flipped:
            msg = (f"calibration slope <= 0 for {flipped[:5]}: on these records the score ranks the class the wrong "
                   "way round; their calibrated probabilities carry no ranking")
            logger.warning(msg)
            warnings.warn(msg, UserWarning, stacklevel=2)
        logger.info("calibrated %d classes on %d records", len(rows), len(yv))
        return self

    def _specs(self, classes: Sequence[str], prototypes_per_class: Any) -> list[BranchSpec]:
        groups = resolve_label_groups(classes, self.label_groups, deliberate=list(self.branch_types or {}))
        types = dict(DEFAULT_BRANCH_TYPES)
        types.update({k: tuple(v) for k, v in (self.branch_types or {}).items()})
        ppc = prototypes_per_class
        specs = []
        for name, members in groups.items():
            kind, proto = types.get(name, ("2d", "partial"))
            m = ppc.get(name, max(ppc.values())) if isinstance(ppc, Mapping) else int(ppc)
            specs.append(BranchSpec(name, list(members), kind, proto, int(m)))
        return specs


class ProtoECGNetClassifier(_BaseNetClassifier):
    """ProtoECGNet multi-label classifier whose predictions are explained by prototypes.

    Parameters
    ----------
    preset : {"paper", "small"}
        Values of the parameters left as ``None`` (see the module docstring); ``"paper"`` is
        ProtoECGNet as published.
    label_groups : mapping, path or None
        ``branch -> labels`` (branches ``rhythm``, ``morphology``, ``global`` get the
        ProtoECGNet backbones; other names get a 2D backbone with partial prototypes), a path
        to a label-group CSV, or ``None`` (ProtoECGNet's groups of the 71 PTB-XL statements,
        shipped in the package; labels no group names go to ``morphology``). ``fit`` refuses
        (``ConfigError``) a label in two groups and a branch name that is a near miss of
        ProtoECGNet's (``"Rhythm"``, ``"rhytm"``: other case or <= 2 edits) unless that name is
        in ``branch_types``.
    prototypes_per_class : int or mapping, optional
        Per branch (paper: ``{"rhythm": 5, "morphology": 18, "global": 7}``).
    width : int, optional
        Backbone base width (64 = ResNet-18).
    blocks : tuple of int, optional
        Residual blocks per stage (``(2, 2, 2, 2)`` = ResNet-18).
    warmup_epochs, joint_epochs, last_layer_epochs, fusion_epochs : int, optional
        (Maximum) epochs of each phase.
    batch_size : int, optional
    lr : float, optional
        Adam learning rate (paper 1e-4, every phase).
    weight_decay, dropout : float, optional
        Paper 1.7e-4 and 0.35 (dropout in the 2D backbones after ``layer3``).
    scheduler : {"cosine", "constant"}, optional
    patience : int, optional
        Early-stopping patience on the validation macro-AUROC (paper 10).
    validation_fraction : float, optional
        Share of training patients held out for early stopping when ``fit`` gets no
        ``X_val`` (paper preset 0.1; 0 = train on all, no early stopping).
    prototype_init : {"random", "patches"}, optional
    loss_weights : dict, optional
        Overrides of :class:`~interp_ecg.prototypes.losses.LossWeights` (ProtoECGNet's defaults).
    partial_window_s : float
        Duration of partial prototypes (0.9 s = 3 feature steps at 100 Hz, as ProtoECGNet).
    fs, n_samples, highpass_hz : float, int, float
        Network input: 100 Hz, 1,000 samples (10 s), 0.5 Hz high-pass.
    branch_types : mapping, optional
        ``branch -> (backbone kind, prototype extent)`` overrides.
    min_positives : int
        Classes with fewer positive, or fewer negative, training records are left out (logged,
        with a ``UserWarning`` naming them): a class positive in every record cannot be learned.
    device : str
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...;
        a GPU asked for by name when none is visible raises ``ConfigError``
        (:func:`interp_ecg.device.resolve_device`).
    amp : bool or "auto"
        Mixed precision (CUDA only; bfloat16 where supported).
    compile : bool or "auto"
        ``torch.compile`` the training forward passes (``"auto"``: on CUDA).
    random_state : int
        Seeds initialisation, hold-out and batch order (runs are bit-identical on a CPU with the
        same ``n_threads``; another thread count sums in another order and moves outputs by ~1e-7).
    checkpoint_dir : path, optional
        Saves ``<phase>.pt`` after each phase and resumes from the latest one, but only when it
        was written by the same run: same classes in the same order, same training records and
        labels (digests of the record ids and data), same validation data, parameters and seed.
        Otherwise ``fit`` raises ``ConfigError`` naming the checkpoint and what differs (delete
        the folder or pass another one); nothing is resumed silently for other data.
    pretrained : path or fitted classifier, optional
        Backbone weights to start from (e.g. a model fitted on a synthetic cohort); only
        tensors whose name and shape match are copied.
    pretrained_2d : path or mapping, optional
        A torchvision ``resnet18`` state dict (e.g. ImageNet weights, as ProtoECGNet starts
        from) loaded into the 2D backbones (``bn1``, ``layer1``-``layer4``; needs ``width=64``).
    n_threads : int, optional
        CPU threads for torch during fit and inference (``None``: torch's setting; 1 is
        fastest on an oversubscribed shared machine).

    Attributes
    ----------
    classes_ : list of str
        The label columns given to :meth:`fit`, in their order, less the classes left out
        (``min_positives``); the column order of every output.
    positive_weights_ : pandas.Series
        Per class, the weight of a positive record in the weighted BCE (``n_negative / n_positive``
        of the training records, clipped to [1, 100]); NaN for a model file that did not record it.
    probabilities_calibrated_ : bool
        ``False`` after :meth:`fit`: :meth:`predict_proba` gives sigmoid outputs of the weighted
        loss, which over-state rare classes (scores for ranking, not probabilities); ``True`` after
        :meth:`calibrate` on held-out records.
    calibration_ : pandas.DataFrame or None
        After :meth:`calibrate`: per class the Platt ``slope`` and ``intercept`` and the
        calibration records' counts and mean outputs.
    branches_ : pandas.DataFrame
        One row per branch: classes, backbone, prototype extent, prototypes per class.
    prototype_sources_ : pandas.DataFrame
        Indexed by prototype name: ``class, branch, record_id, leads, start_sample,
        end_sample, start_s, end_s, similarity, similarity_before_push, best_training_record,
        best_training_similarity``. ``similarity`` is the prototype's similarity to its own
        source window after the push (the model's similarity function: 1 x the branch's scale for
        an exact copy, e.g. 1.0 for the cosine, up to rounding); ``similarity_before_push`` is
        that of the prototype before it was replaced by the source patch. The scaled cosine adds
        1e-4 to the squared norms (as published), so another training window can score a pushed
        prototype slightly higher than its own source: ``best_training_record`` /
        ``best_training_similarity`` give the training record (of any class) holding the window
        most similar to the pushed prototype (windows inside the records' real samples, as for
        sources), which may differ from ``record_id``. All these are window similarities; the
        similarity the model pools for a record (:meth:`transform`) is the mean over its windows.
    prototype_segments_ : dict
        Prototype name -> source input segment ``(n_leads, window)`` (filtered, at ``fs``).
    similarity_mean_ : pandas.Series
        Mean training similarity of every prototype (Shapley base point).
    history_ : pandas.DataFrame
        Loss terms, validation macro-AUROC and records/s per phase and epoch.
    settings_ : dict
        The resolved settings of the fit.
    device_ : torch.device
    manifest_digest_ : str or None
        After :meth:`save` or :meth:`load`: SHA-256 of the model's manifest (``expected_digest``);
        ``None`` for a model loaded from a file without a manifest.
    """

    def __init__(self, preset: str = "paper", label_groups: Mapping[str, Sequence[str]] | str | PathLike | None = None,
                 prototypes_per_class: int | Mapping[str, int] | None = None, width: int | None = None,
                 blocks: tuple[int, ...] | None = None, warmup_epochs: int | None = None,
                 joint_epochs: int | None = None, last_layer_epochs: int | None = None,
                 fusion_epochs: int | None = None, batch_size: int | None = None, lr: float | None = None,
                 weight_decay: float | None = None, dropout: float | None = None, scheduler: str | None = None,
                 patience: int | None = None, validation_fraction: float | None = None,
                 prototype_init: str | None = None, loss_weights: Mapping[str, float] | None = None,
                 partial_window_s: float = 0.9, fs: float = 100.0, n_samples: int = 1000,
                 highpass_hz: float | None = 0.5, branch_types: Mapping[str, tuple[str, str]] | None = None,
                 min_positives: int = 1, device: str = "auto", amp: bool | str = "auto",
                 compile: bool | str = "auto", random_state: int = 0, checkpoint_dir: str | PathLike | None = None,
                 pretrained: Any = None, pretrained_2d: Any = None, n_threads: int | None = None) -> None:
        self.preset = preset
        self.label_groups = label_groups
        self.prototypes_per_class = prototypes_per_class
        self.width = width
        self.blocks = blocks
        self.warmup_epochs = warmup_epochs
        self.joint_epochs = joint_epochs
        self.last_layer_epochs = last_layer_epochs
        self.fusion_epochs = fusion_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.scheduler = scheduler
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.prototype_init = prototype_init
        self.loss_weights = loss_weights
        self.partial_window_s = partial_window_s
        self.fs = fs
        self.n_samples = n_samples
        self.highpass_hz = highpass_hz
        self.branch_types = branch_types
        self.min_positives = min_positives
        self.device = device
        self.amp = amp
        self.compile = compile
        self.random_state = random_state
        self.checkpoint_dir = checkpoint_dir
        self.pretrained = pretrained
        self.pretrained_2d = pretrained_2d
        self.n_threads = n_threads

    # -- fitting -------------------------------------------------------------------------
    def _train_config(self, st: dict) -> TrainConfig:
        head_lr = _SMALL_HEAD_LR if self.preset == "small" and self.lr is None else st["lr"]
        return TrainConfig(
            warmup_epochs=int(st["warmup_epochs"]), joint_epochs=int(st["joint_epochs"]),
            last_layer_epochs=int(st["last_layer_epochs"]), fusion_epochs=int(st["fusion_epochs"]),
            batch_size=int(st["batch_size"]), lr=float(st["lr"]), last_layer_lr=float(head_lr),
            fusion_lr=float(head_lr), weight_decay=float(st["weight_decay"]), scheduler=st["scheduler"],
            patience=st["patience"], prototype_init=st["prototype_init"], compile=self.compile,
            loss_weights=LossWeights(**dict(self.loss_weights or {})),
        )

    def _run_settings(self, st: dict) -> dict:
        """The parameters that change what ``fit`` trains (compared before a checkpoint is resumed)."""
        skip = {"device", "n_threads", "amp", "compile", "checkpoint_dir", "pretrained", "pretrained_2d"}
        out = {k: _jsonable(v) for k, v in self.get_params(deep=False).items() if k not in skip}
        out["preset_values"] = _jsonable(st)
        for key in ("pretrained", "pretrained_2d"):  # a file by its name; an estimator / state dict by its kind
            v = getattr(self, key, None)
            out[key] = None if v is None else str(v) if isinstance(v, (str, PathLike)) else type(v).__name__
        return out

    def _build(self, specs: list[BranchSpec], st: dict) -> ProtoECGNet:
        with local_torch_rng():  # seeded weights, the caller's global torch RNG untouched
            torch.manual_seed(int(self.random_state))
            return ProtoECGNet(specs, width=int(st["width"]), blocks=st["blocks"], n_samples=self.n_samples,
                               fs=self.fs, partial_window_s=self.partial_window_s, dropout=float(st["dropout"]),
                               seed=int(self.random_state))

    def fit(self, X: Any, y: Any = None, *, fs: float | None = None, X_val: Any = None,
            y_val: Any = None) -> "ProtoECGNetClassifier":
        """Run every training phase.

        Parameters
        ----------
        X : EcgDataset or numpy.ndarray
            Records (resampled to ``fs`` on load) or an array ``(n, 12, n_samples)``. Records
            longer than the input (``n_samples``, 10 s) are cut to their first 10 s, and shorter ones
            are zero-padded at the end, both with a warning naming them (for an array given without
            ``fs``, the warning says it was read at the model's ``fs``), and prototypes are pushed only
            onto their real samples (a global prototype only onto records that fill the input;
            ``ModelError`` when a prototype has no such record: set ``n_samples`` to the records'
            length).
        y : pandas.DataFrame or array, optional
            Multi-hot 0/1 labels (columns = classes) aligned with the records; defaults to
            ``X.labels``. NaN is an unknown label (e.g. PTB-XL rhythm statements of a record without
            any rhythm statement): left out of the loss, the push candidates, early stopping and the
            class's positive/negative counts, class by class. Other values (likelihoods 0-100, soft
            labels) are refused with ``ConfigError`` naming the column (as are those of ``y_val``).
            :attr:`classes_` keeps the order of these columns, less the classes left out for
            having fewer than ``min_positives`` positive or negative training records (logged,
            with a ``UserWarning`` naming them): compare ``classes_`` with ``y.columns`` before
            pairing columns. The network groups its classes by branch internally; every output
            (:meth:`predict_proba`, :meth:`decision_function`, :meth:`fusion_weights`, Shapley
            values) is in :attr:`classes_` order.
        fs : float, optional
            Sampling rate of array inputs when it is not ``self.fs``.
        X_val, y_val : optional
            Validation records and labels for early stopping (e.g. PTB-XL fold 9). Without
            them the preset's ``validation_fraction`` of training patients is held out.

        Returns
        -------
        self
        """
        st = self.settings()
        x, labels, ids, groups, lengths = self._training_data(X, y, fs)
        classes = list(labels.columns)  # the user's column order, less the classes left out
        specs = self._specs(classes, st["prototypes_per_class"])
        order = [c for s in specs for c in s.classes]  # the network's order: grouped by branch
        labels = labels[order]
        x, labels, ids, xv, yv, lengths = self._validation(x, labels, ids, groups, X_val, y_val, fs,
                                                           st["validation_fraction"], lengths)
        model = self._build(specs, st)
        if self.pretrained is not None:
            self._load_pretrained(model)
        if self.pretrained_2d is not None:
            self._load_pretrained_2d(model)
        device = torch_device(self.device)
        trainer = ProtoTrainer(
            model, x, labels.to_numpy(), [_py(i) for i in ids], self._train_config(st), device=device,
            amp=self.amp, random_state=int(self.random_state), checkpoint_dir=self.checkpoint_dir,
            extra_state={"specs": [s.to_dict() for s in specs], "settings": self._run_settings(st)},
            x_val=xv, y_val=None if yv is None else yv.to_numpy(), lengths=lengths,
        )
        with torch_threads(self.n_threads):
            trainer.run()
            push = trainer.push_result
            if push is None:
                raise ModelError("training ended without a push phase")
            sources = pd.DataFrame(push.sources).drop(columns=["record_index"])
            # an array fitted with array labels has no record ids: its "ids" are row numbers
            sources["source_kind"] = (SOURCE_ARRAY_ROW if not hasattr(X, "meta") and not isinstance(y, pd.DataFrame)
                                      else SOURCE_RECORD)
            train_sims = trainer.similarities(trainer.x).double().numpy()
            mean = train_sims.mean(0)

        self._set_fitted(model, specs, st, sources, dict(push.segments), mean, pd.DataFrame(trainer.history), device,
                         classes=classes)
        self._set_class_weights(labels)
        flat = constant_similarity_prototypes(pd.DataFrame(train_sims, columns=self.feature_names_out_),
                                              self.similarity_scales())
        _warn_constant(flat, f"the {len(train_sims)} training records")
        return self

    def similarity_scales(self) -> np.ndarray:
        """Each prototype's similarity scale (1 for cosine, ProtoECGNet's factor for the scaled cosine)."""
        self.check_fitted()
        return np.concatenate([np.full(b.n_prototypes, b.prototype_layer.scale, dtype=float)
                               for b in self.model_.branches.values()])

    def _load_pretrained(self, model: ProtoECGNet) -> None:
        src = self.pretrained
        if isinstance(src, ProtoECGNetClassifier):
            src.check_fitted()
            state = src.model_.state_dict()
        else:
            _verify_model_file(src, None)  # a saved model file: checked against its manifest, as by load()
            state = _read_weights(src)["model"]
        own = model.state_dict()
        copied = {k: v for k, v in state.items() if ".backbone." in k and k in own and own[k].shape == v.shape}
        own.update(copied)
        model.load_state_dict(own)
        logger.info("copied %d pretrained backbone tensors", len(copied))
        if not copied:
            logger.warning("pretrained weights share no backbone tensor with this model (different width?)")

    def _load_pretrained_2d(self, model: ProtoECGNet) -> None:
        state = self.pretrained_2d
        if not isinstance(state, Mapping):
            # torchvision's published weights: no manifest of ours, read weights-only (no code runs)
            state = read_weights(state, what="pretrained_2d weights file", key=None)
            state = state.get("state_dict", state)
        done = 0
        for branch in model.branches.values():
            if isinstance(branch.backbone, ResNet2d):
                load_torchvision_resnet(branch.backbone, state)
                done += 1
        if not done:
            logger.warning("pretrained_2d given but the model has no 2D branch")

    def _set_fitted(self, model: ProtoECGNet, specs: list[BranchSpec], settings: dict, sources: pd.DataFrame,
                    segments: dict, similarity_mean: np.ndarray, history: pd.DataFrame,
                    device: torch.device, classes: Sequence[str] | None = None) -> None:
        """Every fitted attribute, in one place (``fit`` and ``load``).

        ``classes``: :attr:`classes_` (the user's label order); ``None`` = the network's order
        (model files saved before the order was kept).
        """
        model.to(device).eval()
        self.model_ = model
        self.specs_ = specs
        self.settings_ = dict(settings)
        self.device_ = device
        self.classes_ = list(model.classes) if classes is None else [str(c) for c in classes]
        self._output_index = _class_positions(self.classes_, model.classes)
        self.feature_names_out_ = model.prototype_names()
        self.branches_ = pd.DataFrame(
            [{"branch": s.name, "backbone": s.kind, "prototype": s.prototype,
              "prototypes_per_class": s.prototypes_per_class, "n_classes": len(s.classes),
              "classes": ",".join(s.classes)} for s in specs]).set_index("branch")
        src = sources.set_index("prototype")
        src["start_s"] = src["start_sample"] / self.fs
        src["end_s"] = src["end_sample"] / self.fs
        self.prototype_sources_ = src.loc[self.feature_names_out_]
        self.prototype_segments_ = {k: np.asarray(v, dtype=np.float32) for k, v in segments.items()}
        self.similarity_mean_ = pd.Series(np.asarray(similarity_mean, dtype=np.float64),
                                          index=self.feature_names_out_, name="mean_similarity")
        self.history_ = history
        self.n_features_in_ = 12

    # -- inference ----------------------------------------------------------------------
    @torch.no_grad()
    def logits_and_similarities(self, x: np.ndarray, batch_size: int = 128) -> tuple[np.ndarray, np.ndarray]:
        """Logits ``(n, n_classes)`` in :attr:`classes_` order and prototype similarities ``(n, n_prototypes)``.

        ``x`` is the output of :meth:`network_input`; batches of ``batch_size`` on the model's device.
        """
        self.check_fitted()
        model = self.model_.eval()
        dev = next(model.parameters()).device
        logits, sims = [], []
        with torch_threads(getattr(self, "n_threads", None)):
            for i in range(0, len(x), batch_size):
                out = model(torch.as_tensor(x[i:i + batch_size]).to(dev))
                logits.append(out.logits.float().cpu().numpy())
                sims.append(out.similarities.float().cpu().numpy())
        if not logits:
            return np.zeros((0, len(self.classes_))), np.zeros((0, len(self.feature_names_out_)))
        # the network's outputs are grouped by branch; the estimator's are in classes_ order
        return (np.concatenate(logits).astype(np.float64)[:, self._output_index],
                np.concatenate(sims).astype(np.float64))

    def fusion_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """The fusion layer's weights ``(n_classes, n_prototypes)`` and bias ``(n_classes,)``, rows in
        :attr:`classes_` order (the network keeps its classes grouped by branch)."""
        self.check_fitted()
        w = self.model_.fusion.weight.detach().cpu().double().numpy()[self._output_index]
        b = self.model_.fusion.bias.detach().cpu().double().numpy()[self._output_index]
        return w, b

    def _scores(self, X: Any, fs: float | None, chunk_size: int) -> tuple[np.ndarray, np.ndarray, pd.Index]:
        """Logits and similarities, loading an EcgDataset ``chunk_size`` records at a time."""
        if hasattr(X, "meta"):
            all_ids = list(X.meta.index)
            chunks = [all_ids[i:i + chunk_size] for i in range(0, len(all_ids), chunk_size)] or [[]]
        else:
            chunks = [None]
        logits, sims, ids = [], [], []
        for chunk in chunks:
            x, chunk_ids, ok, _ = self._read_input(X, fs, "scored records", records=chunk)
            lg, sm = self.logits_and_similarities(x)
            lg[~ok] = np.nan
            sm[~ok] = np.nan
            logits.append(lg)
            sims.append(sm)
            ids.append(chunk_ids)
        index = ids[0].append(ids[1:]) if len(ids) > 1 else ids[0]
        return np.concatenate(logits), np.concatenate(sims), index

    def decision_function(self, X: Any, fs: float | None = None, chunk_size: int = 2048) -> np.ndarray:
        """Fusion logits ``(n, n_classes)``; NaN rows for unreadable records.

        An :class:`~interp_ecg.io.EcgDataset` is read ``chunk_size`` records at a time, so memory
        stays flat on large cohorts.
        """
        return self._scores(X, fs, chunk_size)[0]

    def predict_proba(self, X: Any, fs: float | None = None, chunk_size: int = 2048) -> np.ndarray:
        """Probabilities ``(n, n_classes)`` in :attr:`classes_` order (NaN rows for unreadable records).

        :attr:`classes_` is the order of the label columns given to :meth:`fit` (less classes left
        out for too few positives), so ``roc_auc_score(y_test[clf.classes_], proba)`` pairs each
        column with its class.

        The network reads ``n_samples`` samples (10 s at 100 Hz). A longer record is scored on its
        first 10 s only, and such records are named in a logged warning (``UserWarning``); an
        array is read at the model's ``fs`` unless ``fs`` is given (the warning says so). A shorter record is scored as the record followed by a flat zero line up to
        10 s: the probability is that of this padded input, not of a 10-s recording of the patient
        (rhythm and global prototypes compare the whole input, so the flat tail counts), and such
        records are named in a logged warning (``UserWarning``). Cut records into 10-s pieces, or
        fit a model with ``n_samples`` equal to their length, to score them as recorded.

        Not calibrated unless :meth:`calibrate` was called (:attr:`probabilities_calibrated_`):
        the network is trained with a class-weighted BCE (:attr:`positive_weights_`, up to 100),
        which raises the outputs of rare classes well above their frequency. They rank records
        (ROC-AUC) but are not the chance that a record has the class; a threshold of 0.5 is not
        a 50 % risk.
        """
        return self.probability_from_logits(self.decision_function(X, fs, chunk_size))

    def predict(self, X: Any, threshold: float = 0.5, fs: float | None = None) -> np.ndarray:
        """Multi-hot predictions at ``threshold`` (unreadable records: all 0)."""
        return (self.predict_proba(X, fs) >= threshold).astype(int)

    def transform(self, X: Any, fs: float | None = None, chunk_size: int = 2048) -> pd.DataFrame:
        """Per-record prototype similarities, columns ``proto_<class>_<kk>``, indexed by record id.

        NaN rows for unreadable records; datasets are streamed ``chunk_size`` records at a time.
        Warns (``UserWarning``) when a prototype scores two or more records all alike
        (:func:`constant_similarity_prototypes`): such similarities explain nothing.
        """
        _, sims, ids = self._scores(X, fs, chunk_size)
        out = pd.DataFrame(sims, index=ids, columns=self.feature_names_out_)
        _warn_constant(constant_similarity_prototypes(out, self.similarity_scales()), f"the {len(out)} records")
        return out

    def fit_transform(self, X: Any, y: Any = None, **kwargs: Any) -> pd.DataFrame:
        return self.fit(X, y, **kwargs).transform(X, kwargs.get("fs"))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        self.check_fitted()
        return np.asarray(self.feature_names_out_, dtype=object)

    # -- explanations ---------------------------------------------------------------------
    def explain(self, record: Any, fs: float | None = None, threshold: float = 0.5, **kwargs: Any):
        """"This looks like that" explanation of one record; see :func:`interp_ecg.prototypes.explain.prototype_explanation`."""
        from interp_ecg.prototypes.explain import prototype_explanation

        return prototype_explanation(self, record, fs=fs, threshold=threshold, **kwargs)

    def shap_values(self, X: Any, output: str | None = None, fs: float | None = None):
        """Exact Shapley values of the fusion layer; see :func:`interp_ecg.prototypes.explain.fusion_shap`."""
        from interp_ecg.prototypes.explain import fusion_shap

        return fusion_shap(self, X, output=output, fs=fs)

    # -- persistence -------------------------------------------------------------------------
    def save(self, path: str | PathLike) -> Path:
        """Save the fitted model: tensors for ``torch.load(weights_only=True)``, metadata as JSON text.

        Nothing in the file is unpickled on :meth:`load`. Next to the file, ``<name>.manifest.json``
        records its SHA-256 (the manifest scheme of :func:`interp_ecg.models.save_model`); :meth:`load`
        checks it. The SHA-256 of the manifest itself, :meth:`manifest_digest`, is logged and kept in
        :attr:`manifest_digest_`: pass it to :meth:`load` as ``expected_digest`` to pin the model
        (the checksum alone catches changes, not a file and manifest replaced together).

        Parameters
        ----------
        path : str or path-like
            The model file (e.g. ``model.pt``); parent folders are created.

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        import interp_ecg
        from interp_ecg.io.integrity import write_file_manifest

        self.check_fitted()
        params = {k: v for k, v in self.get_params().items() if k not in ("pretrained", "pretrained_2d")}
        sources = self.prototype_sources_.drop(columns=["start_s", "end_s"]).reset_index()
        meta = {
            "format": "interp_ecg.ProtoECGNetClassifier/2",
            "params": _jsonable(params),
            "settings": _jsonable(self.settings_),
            "specs": [s.to_dict() for s in self.specs_],
            "classes": list(self.classes_),
            "positive_weights": [None if not np.isfinite(v) else float(v) for v in self.positive_weights_],
            "calibration": (None if self.calibration_ is None
                            else json.loads(self.calibration_.reset_index().to_json(orient="records"))),
            # Python's shortest round-trip repr: every value reads back exactly (to_json rounds to 10 digits)
            "sources": [{str(k): _exact_json(v) for k, v in r.items()} for r in sources.to_dict(orient="records")],
            "history": json.loads(self.history_.to_json(orient="records")),
        }
        state = {
            "meta_json": json.dumps(meta),
            "model": {k: v.detach().cpu() for k, v in self.model_.state_dict().items()},
            "segments": {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.prototype_segments_.items()},
            "similarity_mean": torch.tensor(self.similarity_mean_.to_numpy()),
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        torch.save(state, tmp)
        fields = {"format_version": 1, "class": f"{type(self).__module__}.{type(self).__qualname__}",
                  "versions": {"interp_ecg": interp_ecg.__version__, "torch": torch.__version__},
                  "classes": list(self.classes_)}
        # the manifest of the new bytes first, then the file into place (io.integrity.write_file_manifest)
        self.manifest_digest_ = write_file_manifest(path, PROTO_MANIFEST_FORMAT, fields, content=tmp)
        tmp.replace(path)
        logger.info("saved %s; manifest %s sha256 %s", path, manifest_path(path).name, self.manifest_digest_)
        return path

    @staticmethod
    def manifest_digest(path: str | PathLike) -> str:
        """SHA-256 of the manifest saved next to the model file ``path`` (for ``load(expected_digest=...)``)."""
        mpath = manifest_path(path)
        if not mpath.is_file():
            raise IntegrityError(f"no {mpath.name} next to the model file", source=str(path))
        return _file_sha256(mpath)

    @classmethod
    def load(cls, path: str | PathLike, device: str = "auto", n_threads: int | None = None,
             expected_digest: str | None = None) -> "ProtoECGNetClassifier":
        """Load a model written by :meth:`save` (``weights_only=True``; metadata from JSON).

        Parameters
        ----------
        path : str or path-like
            The model file.
        device : str
        n_threads : int, optional
        expected_digest : str, optional
            SHA-256 of the model's manifest (:attr:`manifest_digest_` after :meth:`save`, or
            :meth:`manifest_digest`); a different manifest is refused.

        Returns
        -------
        ProtoECGNetClassifier

        Raises
        ------
        IntegrityError
            The file does not match the SHA-256 in its manifest (changed after saving), the manifest
            does not match ``expected_digest``, ``expected_digest`` is given but there is no
            manifest, or the stored sources and segments disagree. A file without a manifest
            (saved before manifests were written) loads with a logged warning and a ``UserWarning``.
        ModelError
            A missing file, or one ``torch.load(weights_only=True)`` refuses (a pickle that could
            run code is never unpickled).
        """
        manifest_digest = _verify_model_file(path, expected_digest)
        state = _read_weights(path)
        meta = json.loads(state["meta_json"])
        params = dict(meta["params"])
        params.update(device=device, n_threads=n_threads)
        if params.get("blocks") is not None:
            params["blocks"] = tuple(params["blocks"])
        if params.get("branch_types"):
            params["branch_types"] = {k: tuple(v) for k, v in params["branch_types"].items()}
        clf = cls(**params)
        settings = dict(meta["settings"])
        settings["blocks"] = tuple(settings["blocks"])
        specs = [BranchSpec(**s) for s in meta["specs"]]
        model = clf._build(specs, settings)
        model.load_state_dict(state["model"])
        sources = pd.DataFrame(meta["sources"])
        if "source_kind" not in sources.columns:  # saved before the kind was recorded
            sources["source_kind"] = SOURCE_UNRECORDED
        _check_sources(sources, state["segments"], path)
        clf._set_fitted(model, specs, settings, sources, {k: v.numpy() for k, v in state["segments"].items()},
                        state["similarity_mean"].numpy(), pd.DataFrame(meta["history"]), torch_device(device),
                        classes=meta.get("classes"))
        weights = meta.get("positive_weights") or [None] * len(clf.classes_)
        clf.positive_weights_ = pd.Series([np.nan if w is None else float(w) for w in weights], index=clf.classes_,
                                          name="positive_weight", dtype=float)
        cal = meta.get("calibration")
        clf.calibration_ = None if cal is None else pd.DataFrame(cal).set_index("class").loc[clf.classes_]
        clf.probabilities_calibrated_ = clf.calibration_ is not None
        clf.manifest_digest_ = manifest_digest
        return clf


#: ``format`` of the manifest written next to a prototype model file
PROTO_MANIFEST_FORMAT = "interp-ecg-prototype-model"


def manifest_path(path: str | PathLike) -> Path:
    """The manifest written next to a prototype model file: ``<name>.manifest.json``."""
    return file_manifest_path(path)


def _file_sha256(path: Path) -> str:
    from interp_ecg.io.integrity import sha256_file

    return sha256_file(path)


def _verify_model_file(path: str | PathLike, expected_digest: str | None) -> str | None:
    """Check the model file against its manifest (and the manifest against ``expected_digest``).

    Returns the manifest's SHA-256, or ``None`` for a file without a manifest (warned about);
    :func:`interp_ecg.io.integrity.verify_file_manifest` does the checking.
    """
    if not Path(path).is_file():
        raise ModelError("model file not found", source=str(path))
    return verify_file_manifest(path, PROTO_MANIFEST_FORMAT, expected_digest, what="model file")


def _check_sources(sources: pd.DataFrame, segments: Mapping, path: str | PathLike) -> None:
    """The stored sources and source segments must name the same prototypes and window lengths."""
    names = set(sources.get("prototype", pd.Series(dtype=object)))
    if names != set(segments):
        raise IntegrityError(f"the sources list prototypes {sorted(names ^ set(segments))[:5]} that the stored "
                             "segments do not (or the reverse)", source=str(path))
    for _, r in sources.iterrows():
        width = int(r["end_sample"]) - int(r["start_sample"])
        if tuple(segments[r["prototype"]].shape)[-1] != width or int(r["start_sample"]) < 0:
            raise IntegrityError(f"source of {r['prototype']}: window {r['start_sample']}-{r['end_sample']} does not "
                                 f"match its stored segment of {tuple(segments[r['prototype']].shape)[-1]} samples",
                                 source=str(path))


def _read_weights(path: str | PathLike) -> dict:
    """``torch.load(weights_only=True)`` with a clear error for missing or foreign files."""
    return read_weights(path, what="model file")


class BlackBoxECGClassifier(_BaseNetClassifier):
    """The comparison network: ProtoECGNet's backbones, global average pooling and one linear head.

    Trained with weighted BCE and the same optimiser, schedule, early stopping and validation
    hold-out as the prototype model's phases (``epochs``: paper preset up to 200 with
    patience 10; small preset 8 = its warm-up + joint epochs). Parameters as in
    :class:`ProtoECGNetClassifier`.
    """

    def __init__(self, preset: str = "paper", label_groups: Any = None, width: int | None = None,
                 blocks: tuple[int, ...] | None = None, epochs: int | None = None, batch_size: int | None = None,
                 lr: float | None = None, weight_decay: float | None = None, dropout: float | None = None,
                 scheduler: str | None = None, patience: int | None = None,
                 validation_fraction: float | None = None, fs: float = 100.0, n_samples: int = 1000,
                 highpass_hz: float | None = 0.5, branch_types: Any = None, min_positives: int = 1,
                 device: str = "auto", amp: bool | str = "auto", compile: bool | str = "auto",
                 random_state: int = 0, n_threads: int | None = None) -> None:
        self.preset = preset
        self.label_groups = label_groups
        self.width = width
        self.blocks = blocks
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.dropout = dropout
        self.scheduler = scheduler
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.fs = fs
        self.n_samples = n_samples
        self.highpass_hz = highpass_hz
        self.branch_types = branch_types
        self.min_positives = min_positives
        self.device = device
        self.amp = amp
        self.compile = compile
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, X: Any, y: Any = None, *, fs: float | None = None, X_val: Any = None,
            y_val: Any = None) -> "BlackBoxECGClassifier":
        """Train the network (arguments as :meth:`ProtoECGNetClassifier.fit`)."""
        st = self.settings()
        x, labels, ids, groups, lengths = self._training_data(X, y, fs)
        classes = list(labels.columns)  # the user's column order, less the classes left out
        specs = self._specs(classes, 1)
        order = [c for s in specs for c in s.classes]  # the network's order: grouped by branch
        labels = labels[order]
        x, labels, ids, xv, yv, lengths = self._validation(x, labels, ids, groups, X_val, y_val, fs,
                                                           st["validation_fraction"], lengths)
        with local_torch_rng():  # seeded weights, the caller's global torch RNG untouched
            torch.manual_seed(int(self.random_state))
            model = BlackBoxECGNet(specs, width=int(st["width"]), blocks=st["blocks"], dropout=float(st["dropout"]))
        self.device_ = torch_device(self.device)
        with torch_threads(self.n_threads):
            self.history_ = pd.DataFrame(train_blackbox(
                model, x, labels.to_numpy(), int(st["epochs"]), int(st["batch_size"]), float(st["lr"]),
                self.device_, self.amp, int(self.random_state), weight_decay=float(st["weight_decay"]),
                scheduler=st["scheduler"], patience=st["patience"], x_val=xv,
                y_val=None if yv is None else yv.to_numpy(), compile=self.compile))
        self.model_ = model.eval()
        self.settings_ = st
        self.classes_ = classes
        self._output_index = _class_positions(classes, model.classes)
        self._set_class_weights(labels)
        self.n_features_in_ = 12
        return self

    @torch.no_grad()
    def decision_function(self, X: Any, fs: float | None = None) -> np.ndarray:
        """Logits ``(n, n_classes)`` in :attr:`classes_` order; NaN rows for unreadable records."""
        self.check_fitted()
        x, ids, ok, _ = self._read_input(X, fs, "scored records")
        dev = next(self.model_.parameters()).device
        with torch_threads(self.n_threads):
            out = [self.model_(torch.as_tensor(x[i:i + 128]).to(dev)).float().cpu().numpy()
                   for i in range(0, len(x), 128)]
        z = np.concatenate(out).astype(np.float64)[:, self._output_index] if out else np.zeros((0, len(self.classes_)))
        z[~ok] = np.nan
        return z

    def predict_proba(self, X: Any, fs: float | None = None) -> np.ndarray:
        """Sigmoid outputs ``(n, n_classes)`` in :attr:`classes_` order (the order of ``y``'s columns
        at fit, less left-out classes); NaN rows for unreadable records.

        Not calibrated unless :meth:`calibrate` was called: trained with the class-weighted BCE
        (:attr:`positive_weights_`), so rare classes score well above their frequency (see
        :meth:`ProtoECGNetClassifier.predict_proba`).
        """
        return self.probability_from_logits(self.decision_function(X, fs))
