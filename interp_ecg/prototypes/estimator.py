"""``ProtoECGNetClassifier``: the scikit-learn-style estimator around the prototype network.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(12, 12, 1000)).astype("float32")
>>> y = pd.DataFrame({"A": [0, 1] * 6, "B": [1, 0] * 6})
>>> clf = ProtoECGNetClassifier(width=2, blocks=(1, 1, 1, 1), prototypes_per_class=1,
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

import logging
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from interp_ecg.errors import ConfigError, ModelError
from interp_ecg.prototypes.data import resolve_label_groups, to_array
from interp_ecg.prototypes.losses import LossWeights
from interp_ecg.prototypes.model import DEFAULT_BRANCH_TYPES, BlackBoxECGNet, BranchSpec, ProtoECGNet
from interp_ecg.prototypes.training import ProtoTrainer, TrainConfig, select_device, torch_threads, train_blackbox

logger = logging.getLogger(__name__)


def _py(value: Any) -> Any:
    """Record ids as plain int / str (checkpoint-safe)."""
    if isinstance(value, (np.integer, int)) and not isinstance(value, bool):
        return int(value)
    return str(value)


class _BaseNetClassifier:
    """Input handling shared by the prototype and black-box classifiers."""

    fs: float
    n_samples: int
    highpass_hz: float | None

    def _load(self, data: Any, fs: float | None = None, records: Any = None) -> tuple[np.ndarray, pd.Index, np.ndarray]:
        return to_array(data, fs=self.fs, n_samples=self.n_samples, highpass_hz=self.highpass_hz, input_fs=fs,
                        records=records)

    def _labels(self, data: Any, labels: Any, ids: pd.Index) -> pd.DataFrame:
        if labels is None:
            labels = getattr(data, "labels", None)
            if labels is None:
                raise ConfigError("no labels: pass labels= or a dataset with .labels")
        if isinstance(labels, pd.DataFrame):
            if hasattr(data, "meta"):
                try:
                    labels = labels.loc[ids]
                except KeyError as err:
                    raise ConfigError(f"labels lack records of the dataset: {err}") from None
            elif len(labels) != len(ids):
                raise ConfigError(f"{len(labels)} label rows for {len(ids)} records")
            return labels.astype(np.float32)
        arr = np.asarray(labels, dtype=np.float32)
        if arr.ndim == 1:
            arr = arr[:, None]
        if len(arr) != len(ids):
            raise ConfigError(f"{len(arr)} label rows for {len(ids)} records")
        return pd.DataFrame(arr, index=ids, columns=[f"class_{i}" for i in range(arr.shape[1])])

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise ModelError(f"{type(self).__name__} is not fitted; call fit() first")

    def _specs(self, classes: Sequence[str]) -> list[BranchSpec]:
        groups = resolve_label_groups(classes, self.label_groups)
        types = dict(DEFAULT_BRANCH_TYPES)
        types.update(self.branch_types or {})
        ppc = self.prototypes_per_class
        specs = []
        for name, members in groups.items():
            kind, proto = types.get(name, ("2d", "partial"))
            m = ppc.get(name, 2) if isinstance(ppc, Mapping) else int(ppc)
            specs.append(BranchSpec(name, list(members), kind, proto, int(m)))
        return specs

    def get_params(self, deep: bool = True) -> dict:
        import inspect

        return {k: getattr(self, k) for k in inspect.signature(type(self).__init__).parameters if k != "self"}

    def set_params(self, **params: Any) -> "_BaseNetClassifier":
        for k, v in params.items():
            if k not in self.get_params():
                raise ConfigError(f"unknown parameter {k!r}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}(width={self.width}, random_state={self.random_state})"


class ProtoECGNetClassifier(_BaseNetClassifier):
    """ProtoECGNet-style multi-label classifier whose predictions are explained by prototypes.

    Parameters
    ----------
    label_groups : mapping, path or None
        ``branch -> labels`` (branches ``rhythm``, ``morphology``, ``global`` get the
        ProtoECGNet backbones; other names get a 2D backbone with partial prototypes), a path
        to ``protoecgnet_label_groups.csv``, or ``None`` (PTB-XL groups from the data root
        when found; labels no group names go to ``morphology``).
    prototypes_per_class : int or mapping
        Per branch (ProtoECGNet: ``{"rhythm": 5, "morphology": 18, "global": 7}``).
    width : int
        Backbone base width (64 = ResNet-18; small for CPUs).
    blocks : tuple of int
        Residual blocks per stage (``(2, 2, 2, 2)`` = ResNet-18).
    warmup_epochs, joint_epochs, last_layer_epochs, fusion_epochs : int
        Epochs of each phase.
    batch_size : int
    lr : float
        Learning rate of warm-up and joint phases (Adam).
    loss_weights : dict, optional
        Overrides of :class:`~interp_ecg.prototypes.losses.LossWeights` (paper defaults).
    topk : int
        Windows pooled by partial prototypes.
    partial_window_s : float
        Duration of partial prototypes (0.9 s).
    fs, n_samples, highpass_hz : float, int, float
        Network input: 100 Hz, 1,000 samples (10 s), 0.5 Hz high-pass.
    branch_types : mapping, optional
        ``branch -> (backbone kind, prototype extent)`` overrides.
    min_positives : int
        Classes with fewer positive training records are left out (logged).
    device : str
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
    amp : bool or "auto"
        Mixed precision (CUDA only; ``"auto"`` = on for CUDA).
    random_state : int
        Seeds initialisation and batch order (runs are bit-identical on a CPU).
    checkpoint_dir : path, optional
        Saves ``<phase>.pt`` after each phase and resumes from the latest one.
    pretrained : path or fitted classifier, optional
        Backbone weights to start from (e.g. a model fitted on a synthetic cohort); only
        tensors whose name and shape match are copied.
    n_threads : int, optional
        CPU threads for torch during fit and inference (``None``: torch's setting; 1 is
        fastest on an oversubscribed shared machine).

    Attributes
    ----------
    classes_ : list of str
    branches_ : pandas.DataFrame
        One row per branch: classes, backbone, prototype extent, prototypes per class.
    prototype_sources_ : pandas.DataFrame
        Indexed by prototype name: ``class, branch, record_id, leads, start_sample,
        end_sample, start_s, end_s, similarity``.
    prototype_segments_ : dict
        Prototype name -> source input segment ``(n_leads, window)`` (filtered, at ``fs``).
    similarity_mean_ : pandas.Series
        Mean training similarity of every prototype (Shapley base point).
    history_ : pandas.DataFrame
        Loss terms and records/s per phase and epoch.
    device_ : torch.device
    """

    def __init__(self, label_groups: Mapping[str, Sequence[str]] | str | PathLike | None = None,
                 prototypes_per_class: int | Mapping[str, int] = 2, width: int = 8,
                 blocks: tuple[int, ...] = (2, 2, 2, 2), warmup_epochs: int = 3, joint_epochs: int = 5,
                 last_layer_epochs: int = 5, fusion_epochs: int = 10, batch_size: int = 32, lr: float = 1e-3,
                 loss_weights: Mapping[str, float] | None = None, topk: int = 3, partial_window_s: float = 0.9,
                 fs: float = 100.0, n_samples: int = 1000, highpass_hz: float | None = 0.5,
                 branch_types: Mapping[str, tuple[str, str]] | None = None, min_positives: int = 1,
                 device: str = "auto", amp: bool | str = "auto", random_state: int = 0,
                 checkpoint_dir: str | PathLike | None = None, pretrained: Any = None,
                 n_threads: int | None = None) -> None:
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
        self.loss_weights = loss_weights
        self.topk = topk
        self.partial_window_s = partial_window_s
        self.fs = fs
        self.n_samples = n_samples
        self.highpass_hz = highpass_hz
        self.branch_types = branch_types
        self.min_positives = min_positives
        self.device = device
        self.amp = amp
        self.random_state = random_state
        self.checkpoint_dir = checkpoint_dir
        self.pretrained = pretrained
        self.n_threads = n_threads

    # -- fitting -------------------------------------------------------------------------
    def _train_config(self) -> TrainConfig:
        return TrainConfig(
            warmup_epochs=self.warmup_epochs, joint_epochs=self.joint_epochs,
            last_layer_epochs=self.last_layer_epochs, fusion_epochs=self.fusion_epochs,
            batch_size=self.batch_size, lr=self.lr, loss_weights=LossWeights(**dict(self.loss_weights or {})),
        )

    def _build(self, specs: list[BranchSpec]) -> ProtoECGNet:
        torch.manual_seed(int(self.random_state))
        return ProtoECGNet(specs, width=self.width, blocks=tuple(self.blocks), n_samples=self.n_samples, fs=self.fs,
                           partial_window_s=self.partial_window_s, topk=self.topk, seed=int(self.random_state))

    def fit(self, dataset: Any, labels: Any = None, fs: float | None = None) -> "ProtoECGNetClassifier":
        """Run every training phase.

        Parameters
        ----------
        dataset : EcgDataset or numpy.ndarray
            Records (resampled to ``fs`` on load) or an array ``(n, 12, n_samples)``.
        labels : pandas.DataFrame or array, optional
            Multi-hot labels (columns = classes) aligned with the records; defaults to
            ``dataset.labels``.
        fs : float, optional
            Sampling rate of an array input when it is not ``self.fs``.

        Returns
        -------
        self
        """
        x, ids, ok = self._load(dataset, fs)
        y = self._labels(dataset, labels, ids)
        if isinstance(labels, pd.DataFrame) and not hasattr(dataset, "meta"):
            ids = pd.Index(labels.index)
        x, y, ids = x[ok], y.iloc[np.flatnonzero(ok)], ids[ok]
        if len(x) < 2:
            raise ModelError(f"need at least 2 readable training records, got {len(x)}")
        pos = (y.to_numpy() > 0).sum(axis=0)
        keep = pos >= self.min_positives
        if not keep.all():
            logger.warning("leaving out %d classes with < %d positive training records: %s",
                           int((~keep).sum()), self.min_positives, list(y.columns[~keep]))
        y = y.loc[:, keep]
        if y.shape[1] == 0:
            raise ModelError("no class has enough positive training records")
        specs = self._specs([str(c) for c in y.columns])
        model = self._build(specs)
        order = [c for s in specs for c in s.classes]
        y = y.set_axis([str(c) for c in y.columns], axis=1)[order]
        if self.pretrained is not None:
            self._load_pretrained(model)
        self.device_ = select_device(self.device)
        trainer = ProtoTrainer(
            model, x, y.to_numpy(), [_py(i) for i in ids], self._train_config(), device=self.device_,
            amp=self.amp, random_state=int(self.random_state), checkpoint_dir=self.checkpoint_dir,
            extra_state={"specs": [s.to_dict() for s in specs]},
        )
        with torch_threads(self.n_threads):
            trainer.run()
            self._set_fitted(model, trainer, specs)
            self.similarity_mean_ = pd.Series(
                trainer.similarities(trainer.x).double().mean(0).numpy(), index=self.feature_names_out_,
                name="mean_similarity")
        return self

    def _load_pretrained(self, model: ProtoECGNet) -> None:
        src = self.pretrained
        if isinstance(src, ProtoECGNetClassifier):
            src._check_fitted()
            state = src.model_.state_dict()
        else:
            state = torch.load(src, map_location="cpu", weights_only=True)
            state = state.get("model", state)
        own = model.state_dict()
        copied = {k: v for k, v in state.items() if ".backbone." in k and k in own and own[k].shape == v.shape}
        own.update(copied)
        model.load_state_dict(own)
        logger.info("copied %d pretrained backbone tensors", len(copied))
        if not copied:
            logger.warning("pretrained weights share no backbone tensor with this model (different width?)")

    def _set_fitted(self, model: ProtoECGNet, trainer: ProtoTrainer, specs: list[BranchSpec]) -> None:
        model.eval()
        self.model_ = model
        self.specs_ = specs
        self.classes_ = list(model.classes)
        self.feature_names_out_ = model.prototype_names()
        self.branches_ = pd.DataFrame(
            [{"branch": s.name, "backbone": s.kind, "prototype": s.prototype, "prototypes_per_class": s.prototypes_per_class,
              "n_classes": len(s.classes), "classes": ",".join(s.classes)} for s in specs]).set_index("branch")
        push = trainer.push_result
        if push is None:
            raise ModelError("training ended without a push phase")
        src = pd.DataFrame(push.sources).set_index("prototype").drop(columns=["record_index"])
        src["start_s"] = src["start_sample"] / self.fs
        src["end_s"] = src["end_sample"] / self.fs
        self.prototype_sources_ = src.loc[self.feature_names_out_]
        self.prototype_segments_ = dict(push.segments)
        self.history_ = pd.DataFrame(trainer.history)
        self.n_features_in_ = 12

    # -- inference ----------------------------------------------------------------------
    @torch.no_grad()
    def _forward(self, x: np.ndarray, batch_size: int = 128) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted()
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
        return np.concatenate(logits).astype(np.float64), np.concatenate(sims).astype(np.float64)

    def _scores(self, X: Any, fs: float | None, chunk_size: int) -> tuple[np.ndarray, np.ndarray, pd.Index]:
        """Logits and similarities, loading an EcgDataset ``chunk_size`` records at a time."""
        if hasattr(X, "meta"):
            all_ids = list(X.meta.index)
            chunks = [all_ids[i:i + chunk_size] for i in range(0, len(all_ids), chunk_size)] or [[]]
        else:
            chunks = [None]
        logits, sims, ids = [], [], []
        for chunk in chunks:
            x, chunk_ids, ok = self._load(X, fs, records=chunk)
            lg, sm = self._forward(x)
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
        """Probabilities ``(n, n_classes)`` in :attr:`classes_` order (NaN rows for unreadable records)."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(X, fs, chunk_size)))

    def predict(self, X: Any, threshold: float = 0.5, fs: float | None = None) -> np.ndarray:
        """Multi-hot predictions at ``threshold`` (unreadable records: all 0)."""
        return (self.predict_proba(X, fs) >= threshold).astype(int)

    def transform(self, X: Any, fs: float | None = None, chunk_size: int = 2048) -> pd.DataFrame:
        """Per-record prototype similarities, columns ``proto_<class>_<kk>``, indexed by record id.

        NaN rows for unreadable records; datasets are streamed ``chunk_size`` records at a time.
        """
        _, sims, ids = self._scores(X, fs, chunk_size)
        return pd.DataFrame(sims, index=ids, columns=self.feature_names_out_)

    def fit_transform(self, X: Any, y: Any = None, **kwargs: Any) -> pd.DataFrame:
        return self.fit(X, y, **kwargs).transform(X, kwargs.get("fs"))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        self._check_fitted()
        return np.asarray(self.feature_names_out_, dtype=object)

    # -- explanations ---------------------------------------------------------------------
    def explain(self, record: Any, fs: float | None = None, threshold: float = 0.5, **kwargs: Any):
        """"This looks like that" explanation of one record; see :func:`interp_ecg.prototypes.explain.explain_record`."""
        from interp_ecg.prototypes.explain import explain_record

        return explain_record(self, record, fs=fs, threshold=threshold, **kwargs)

    def shap_values(self, X: Any, output: str | None = None, fs: float | None = None):
        """Exact Shapley values of the fusion layer; see :func:`interp_ecg.prototypes.explain.fusion_shap`."""
        from interp_ecg.prototypes.explain import fusion_shap

        return fusion_shap(self, X, output=output, fs=fs)

    # -- persistence -------------------------------------------------------------------------
    def save(self, path: str | PathLike) -> Path:
        """Save the fitted model (``state_dict`` + plain metadata; loads with ``weights_only=True``)."""
        self._check_fitted()
        params = {k: v for k, v in self.get_params().items() if k != "pretrained"}
        params = {k: (str(v) if isinstance(v, PathLike) else (list(v) if isinstance(v, tuple) else v))
                  for k, v in params.items()}
        if isinstance(params.get("label_groups"), Mapping):
            params["label_groups"] = {k: list(v) for k, v in params["label_groups"].items()}
        state = {
            "params": params,
            "specs": [s.to_dict() for s in self.specs_],
            "model": {k: v.detach().cpu() for k, v in self.model_.state_dict().items()},
            "sources": self.prototype_sources_.reset_index().astype(object).to_dict(orient="list"),
            "segments": {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.prototype_segments_.items()},
            "similarity_mean": torch.tensor(self.similarity_mean_.to_numpy()),
            "history": self.history_.astype(object).to_dict(orient="list"),
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(state, path)
        return path

    @classmethod
    def load(cls, path: str | PathLike, device: str = "auto", n_threads: int | None = None) -> "ProtoECGNetClassifier":
        """Load a model written by :meth:`save`."""
        state = torch.load(path, map_location="cpu", weights_only=True)
        params = dict(state["params"])
        params["device"] = device
        params["n_threads"] = n_threads
        for k in ("blocks",):
            params[k] = tuple(params[k])
        clf = cls(**params)
        specs = [BranchSpec(**s) for s in state["specs"]]
        model = clf._build(specs)
        model.load_state_dict(state["model"])
        clf.device_ = select_device(device)
        model.to(clf.device_).eval()
        clf.model_ = model
        clf.specs_ = specs
        clf.classes_ = list(model.classes)
        clf.feature_names_out_ = model.prototype_names()
        clf.branches_ = pd.DataFrame(
            [{"branch": s.name, "backbone": s.kind, "prototype": s.prototype, "prototypes_per_class": s.prototypes_per_class,
              "n_classes": len(s.classes), "classes": ",".join(s.classes)} for s in specs]).set_index("branch")
        clf.prototype_sources_ = pd.DataFrame(state["sources"]).set_index("prototype")
        clf.prototype_segments_ = {k: v.numpy() for k, v in state["segments"].items()}
        clf.similarity_mean_ = pd.Series(state["similarity_mean"].numpy(), index=clf.feature_names_out_,
                                         name="mean_similarity")
        clf.history_ = pd.DataFrame(state["history"])
        clf.n_features_in_ = 12
        return clf


class BlackBoxECGClassifier(_BaseNetClassifier):
    """The comparison network: ProtoECGNet's backbones with a plain linear head, same training budget.

    Trained with weighted BCE for ``epochs`` epochs (use ``warmup + joint`` epochs of the
    prototype model for a like-for-like comparison). Parameters as in
    :class:`ProtoECGNetClassifier`.
    """

    def __init__(self, label_groups: Any = None, width: int = 8, blocks: tuple[int, ...] = (2, 2, 2, 2),
                 epochs: int = 8, batch_size: int = 32, lr: float = 1e-3, fs: float = 100.0, n_samples: int = 1000,
                 highpass_hz: float | None = 0.5, branch_types: Any = None, min_positives: int = 1,
                 device: str = "auto", amp: bool | str = "auto", random_state: int = 0,
                 n_threads: int | None = None) -> None:
        self.n_threads = n_threads
        self.label_groups = label_groups
        self.width = width
        self.blocks = blocks
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.fs = fs
        self.n_samples = n_samples
        self.highpass_hz = highpass_hz
        self.branch_types = branch_types
        self.min_positives = min_positives
        self.device = device
        self.amp = amp
        self.random_state = random_state
        self.prototypes_per_class = 1

    def get_params(self, deep: bool = True) -> dict:
        params = super().get_params(deep)
        return params

    def fit(self, dataset: Any, labels: Any = None, fs: float | None = None) -> "BlackBoxECGClassifier":
        x, ids, ok = self._load(dataset, fs)
        y = self._labels(dataset, labels, ids)
        x, y = x[ok], y.iloc[np.flatnonzero(ok)]
        keep = (y.to_numpy() > 0).sum(axis=0) >= self.min_positives
        y = y.loc[:, keep]
        specs = self._specs([str(c) for c in y.columns])
        order = [c for s in specs for c in s.classes]
        y = y.set_axis([str(c) for c in y.columns], axis=1)[order]
        torch.manual_seed(int(self.random_state))
        self.model_ = BlackBoxECGNet(specs, width=self.width, blocks=tuple(self.blocks))
        self.device_ = select_device(self.device)
        with torch_threads(self.n_threads):
            self.history_ = pd.DataFrame(train_blackbox(
                self.model_, x, y.to_numpy(), self.epochs, self.batch_size, self.lr, self.device_, self.amp,
                int(self.random_state)))
        self.classes_ = order
        self.model_.eval()
        return self

    @torch.no_grad()
    def predict_proba(self, X: Any, fs: float | None = None) -> np.ndarray:
        self._check_fitted()
        x, _, ok = self._load(X, fs)
        dev = next(self.model_.parameters()).device
        with torch_threads(self.n_threads):
            out = [torch.sigmoid(self.model_(torch.as_tensor(x[i:i + 128]).to(dev))).float().cpu().numpy()
                   for i in range(0, len(x), 128)]
        p = np.concatenate(out).astype(np.float64) if out else np.zeros((0, len(self.classes_)))
        p[~ok] = np.nan
        return p
