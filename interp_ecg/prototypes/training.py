"""Training phases as separate, resumable steps, with checkpoints.

Phases, in order (:data:`PHASES`):

1. ``warmup`` - backbones with a black-box head on globally averaged features (BCE);
2. ``joint`` - backbones, prototypes and branch last layers with every loss term;
3. ``push`` - batch-norm statistics recomputed over the training records
   (:func:`recalibrate_batch_norm`), then each prototype projected onto its nearest real
   training patch;
4. ``last_layer`` - branch last layers only (BCE + off-class L1), backbones frozen in eval mode;
5. ``fusion`` - the linear fusion layer over all similarities (BCE + off-class L1).

After each phase :class:`ProtoTrainer` can save a checkpoint (``state_dict`` plus plain
Python metadata) that loads with ``torch.load(weights_only=True)``; a trainer given the
same checkpoint folder resumes after the last completed phase. Each checkpoint
``<phase>.pt`` has its SHA-256 in ``<phase>.pt.manifest.json`` beside it (the manifest scheme
of :mod:`interp_ecg.io.integrity`, as for saved models); a checkpoint truncated or altered
after saving is refused before use with an :class:`~interp_ecg.errors.IntegrityError` naming
the file.

Devices: ``device="auto"`` picks CUDA when ``torch.cuda.is_available()`` and the CPU
otherwise, ``device="cuda"`` without a GPU is an error (:func:`interp_ecg.device.resolve_device`); ``amp="auto"`` turns autocast on for CUDA only (bfloat16 where the GPU supports it,
else float16 with gradient scaling); ``compile="auto"`` wraps the training forward passes in
``torch.compile`` on CUDA; training data sits on the GPU when it fits, else in pinned memory.

Examples
--------
>>> import torch
>>> from interp_ecg.prototypes import torch_device
>>> from interp_ecg.prototypes.training import resolve_amp
>>> torch_device("auto").type in {"cpu", "cuda"}
True
>>> resolve_amp("auto", torch.device("cpu"))
False
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from interp_ecg.device import resolve_device
from interp_ecg.errors import ConfigError, IntegrityError, ModelError
from interp_ecg.io.integrity import verify_file_manifest, write_file_manifest
from interp_ecg.prototypes.data import jaccard_matrix
from interp_ecg.prototypes.losses import (
    LossWeights,
    bce_loss,
    off_class_l1,
    positive_weights,
    prototype_losses,
)
from interp_ecg.prototypes.model import BlackBoxECGNet, ProtoECGNet
from interp_ecg.prototypes.push import PushResult, init_prototypes_from_patches, push_prototypes

logger = logging.getLogger(__name__)

PHASES: tuple[str, ...] = ("warmup", "joint", "push", "last_layer", "fusion")
#: ``format`` of the manifest beside each training checkpoint
CHECKPOINT_MANIFEST_FORMAT = "interp-ecg-prototype-checkpoint"


def read_weights(path: str | Path, what: str = "model file", key: str | None = "model") -> dict:
    """Read a tensor file with ``torch.load(weights_only=True)``: no code in it can run.

    Parameters
    ----------
    path : str or path-like
        The file.
    what : str
        What the file is, for the messages.
    key : str or None
        A key the file's top-level dict must hold (``"model"`` for the files this package
        writes); ``None`` accepts any dict.

    Returns
    -------
    dict
        The loaded state, tensors on the CPU.

    Raises
    ------
    ModelError
        Naming the file: it does not exist, is empty, truncated or corrupt (said so), is not a
        weights-only file (a pickle that could run code is refused, never unpickled), or lacks
        ``key``.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelError(f"{what} not found", source=str(path)) from None
    except Exception as err:  # an unsafe, truncated or corrupt file: never unpickled
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        damage = _damaged_archive(path)
        if damage:
            raise ModelError(f"the {what} is {damage}; it cannot be read (copy it again, or save it again) "
                             f"({type(err).__name__}: {first})", source=str(path)) from None
        raise ModelError(f"not a readable weights-only {what} ({type(err).__name__}: {err})",
                         source=str(path)) from None
    if not isinstance(state, dict) or (key is not None and key not in state):
        raise ModelError(f"not a {what} written by this package", source=str(path))
    return state


def _damaged_archive(path: str | Path) -> str:
    """Why a file that ``torch.load`` refused is damaged ("empty", "truncated or corrupt"), or ``""``.

    ``torch.save`` writes a zip archive: a file that starts like one but whose archive cannot be
    read (no central directory at the end, a member failing its CRC) was cut short or altered; a
    file that is no zip at all is left to the caller's message (not a weights-only file).
    """
    import zipfile

    try:
        p = Path(path)
        if p.stat().st_size == 0:
            return "empty (0 bytes)"
        with p.open("rb") as fh:
            head = fh.read(4)
        if head != b"PK\x03\x04":
            return ""
        try:
            with zipfile.ZipFile(p) as zf:
                bad = zf.testzip()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
            return f"truncated or corrupt ({p.stat().st_size} bytes; its zip archive is incomplete: {err})"
        return f"corrupt (member {bad} of its zip archive fails its checksum)" if bad else ""
    except OSError:
        return ""


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Temporarily set ``torch.set_num_threads(n)`` (``None`` leaves it alone).

    On a shared, oversubscribed CPU one thread is often several times faster than many
    (OpenMP threads spin while waiting for cores).
    """
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield
    finally:
        torch.set_num_threads(old)


@contextmanager
def local_torch_rng() -> Iterator[None]:
    """Seed and draw inside without touching the caller's global torch RNG (CPU and every CUDA device).

    ``fit`` seeds torch for bit-identical runs; inside this context the global generators are
    restored on exit (``torch.random.fork_rng``), so a user's own ``torch.manual_seed`` stream
    continues as if ``fit`` had not run (user16 finding 14).

    Examples
    --------
    >>> import torch
    >>> from interp_ecg.prototypes.training import local_torch_rng
    >>> _ = torch.manual_seed(123); a = torch.rand(1)
    >>> _ = torch.manual_seed(123)
    >>> with local_torch_rng():
    ...     _ = torch.manual_seed(0); _ = torch.rand(5)
    >>> bool(torch.rand(1) == a)
    True
    """
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        yield


def torch_device(device: str | torch.device | None = "auto") -> torch.device:
    """:func:`interp_ecg.device.resolve_device` as a ``torch.device``, GPU detection by torch.

    The package's one device rule (``"auto"``: CUDA when ``torch.cuda.is_available()``, else
    the CPU, logged; ``"cuda"`` without a GPU: :class:`~interp_ecg.errors.ConfigError`).

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"}, "cuda:N", torch.device or None

    Returns
    -------
    torch.device
    """
    return torch.device(resolve_device(device, gpu_available=torch.cuda.is_available()))


def resolve_amp(amp: bool | str, device: torch.device) -> bool:
    """Mixed precision: ``"auto"`` -> on for CUDA only; ``True`` on a CPU is refused with a warning."""
    if amp == "auto":
        return device.type == "cuda"
    if amp and device.type != "cuda":
        logger.warning("mixed precision needs CUDA; training in float32 on %s", device)
        return False
    return bool(amp)


def resolve_amp_dtype(device: torch.device) -> torch.dtype:
    """Autocast dtype: bfloat16 on a CUDA device that supports it, float16 on other CUDA devices.

    bfloat16 has float32's range, so it needs no gradient scaling; float16 is used with a
    :class:`torch.amp.GradScaler`.
    """
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    if device.type == "cuda":
        return torch.float16
    return torch.bfloat16


def resolve_compile(compile: bool | str, device: torch.device) -> bool:
    """``torch.compile``: ``"auto"`` -> on CUDA only (where it pays; on a CPU the compile time
    exceeds what short runs save), ``True``/``False`` as given."""
    if compile == "auto":
        return device.type == "cuda" and hasattr(torch, "compile")
    return bool(compile)


def stage_tensor(x: torch.Tensor, device: torch.device, max_bytes: int = 8 * 2**30) -> torch.Tensor:
    """Where training data lives: on the GPU when it fits in ``max_bytes``; otherwise in pinned
    CPU memory (asynchronous copies per batch); unchanged on a CPU."""
    if device.type != "cuda":
        return x
    if x.numel() * x.element_size() < max_bytes:
        return x.to(device)
    return x.pin_memory()


def macro_auroc(y: np.ndarray, scores: np.ndarray) -> float:
    """Mean ROC-AUC over the classes with both labels present (NaN when none has).

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.prototypes.training import macro_auroc
    >>> macro_auroc(np.array([[1, 0], [0, 0], [1, 0]]), np.array([[0.9, 0.1], [0.2, 0.3], [0.8, 0.0]]))
    1.0
    """
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y, dtype=np.float64)
    scores = np.asarray(scores, dtype=np.float64)
    aucs = []
    for k in range(y.shape[1]):  # unknown labels (NaN) left out, class by class
        known = np.isfinite(y[:, k])
        yk, sk = y[known, k] > 0, scores[known, k]
        if 0 < yk.sum() < len(yk) and np.isfinite(sk).all():
            aucs.append(roc_auc_score(yk, sk))
    return float(np.mean(aucs)) if aucs else float("nan")


@dataclass
class TrainConfig:
    """Epochs, optimisation and loss settings of the phases.

    Defaults are ProtoECGNet's (its README training command): Adam, lr 1e-4, weight decay
    1.7e-4, cosine schedule, up to 200 epochs per phase with early stopping on the validation
    macro-AUROC (patience 10, best checkpoint kept). Early stopping needs validation data; without
    it every phase runs its full epochs.
    """

    warmup_epochs: int = 200
    joint_epochs: int = 200
    last_layer_epochs: int = 200
    fusion_epochs: int = 200
    batch_size: int = 32
    lr: float = 1e-4
    last_layer_lr: float = 1e-4
    fusion_lr: float = 1e-4
    weight_decay: float = 1.7e-4
    scheduler: str = "cosine"
    patience: int | None = 10
    prototype_init: str = "random"
    pos_weight_clip: float = 100.0
    compile: bool | str = "auto"
    loss_weights: LossWeights = field(default_factory=LossWeights)

    def __post_init__(self) -> None:
        if self.scheduler not in ("cosine", "constant"):
            raise ConfigError(f"scheduler must be 'cosine' or 'constant', got {self.scheduler!r}")
        if self.prototype_init not in ("random", "patches"):
            raise ConfigError(f"prototype_init must be 'random' or 'patches', got {self.prototype_init!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        d = dict(d)
        d["loss_weights"] = LossWeights(**d.get("loss_weights", {}))
        return cls(**d)


def _plain_id(value: object) -> int | str:
    """Record ids as int or str, the types a weights-only checkpoint can hold."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    return str(value)


def _digest(*arrays) -> str:
    """SHA-256 (hex, first 16 digits) of arrays' dtypes, shapes and bytes, or of plain values."""
    import hashlib
    import json

    h = hashlib.sha256()
    for a in arrays:
        if a is None:
            h.update(b"none")
        elif isinstance(a, (torch.Tensor, np.ndarray)):
            arr = np.ascontiguousarray(a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else a)
            h.update(f"{arr.dtype}{arr.shape}".encode())
            h.update(arr.tobytes())
        else:
            h.update(json.dumps(a, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def training_identity(model: nn.Module, x, y, record_ids: Sequence, config: "TrainConfig", random_state: int,
                      extra_state: dict | None = None, x_val=None, y_val=None,
                      lengths: Sequence[int] | None = None) -> dict:
    """What a training run is, so that a checkpoint is resumed only by the run that wrote it.

    Parameters
    ----------
    model : ProtoECGNet or torch.nn.Module
        Its ``classes`` (network order) are part of the identity.
    x, y : numpy.ndarray or torch.Tensor
        Training inputs ``(N, leads, T)`` and targets ``(N, K)``.
    record_ids : sequence
        Training record ids, in row order.
    config : TrainConfig
        Its ``compile`` setting is left out (it does not change what is trained).
    random_state : int
    extra_state : dict, optional
        The caller's settings (model spec, classes ...), compared as they are.
    x_val, y_val : array, optional
        Validation records (early stopping chooses the weights with them).
    lengths : sequence of int, optional
        Real samples of each training row.

    Returns
    -------
    dict
        ``classes``, ``settings`` (config less ``compile``, ``random_state``, ``extra``), ``n_records``,
        ``records`` (digest of the record ids in order), ``data`` (digest of ``x``, ``y`` and the lengths)
        and ``validation`` (digest of ``x_val``, ``y_val``); plain types a weights-only checkpoint holds.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from interp_ecg.prototypes.training import TrainConfig, training_identity
    >>> x, y = np.zeros((2, 12, 10), np.float32), np.array([[0.0], [1.0]], np.float32)
    >>> a = training_identity(torch.nn.Linear(1, 1), x, y, [1, 2], TrainConfig(), 0)
    >>> b = training_identity(torch.nn.Linear(1, 1), x, y, [1, 3], TrainConfig(), 0)
    >>> a["records"] == b["records"], a["data"] == b["data"]
    (False, True)
    """
    cfg = config.to_dict()
    cfg.pop("compile", None)
    return {
        "classes": [str(c) for c in getattr(model, "classes", [])],
        "settings": {"config": cfg, "random_state": int(random_state), "extra": extra_state or {}},
        "n_records": int(len(record_ids)),
        "records": _digest([_plain_id(r) for r in record_ids]),
        "data": _digest(x, y, None if lengths is None else [int(v) for v in lengths]),
        "validation": _digest(x_val, y_val),
    }


def identity_differences(stored: dict | None, own: dict) -> list[str]:
    """What differs between a checkpoint's :func:`training_identity` and this run's, in words.

    Examples
    --------
    >>> from interp_ecg.prototypes.training import identity_differences
    >>> a = {"classes": ["LVH", "IMI"], "settings": {}, "n_records": 2, "records": "1", "data": "1", "validation": "1"}
    >>> identity_differences(dict(a, classes=["IMI", "LVH"]), a)
    ["classes (network order) ['IMI', 'LVH'] in the checkpoint, ['LVH', 'IMI'] in this run"]
    """
    if not stored:
        return ["it was written before checkpoints recorded what they were trained on, so it cannot be "
                "checked against this run"]
    out = []
    if stored.get("classes") != own["classes"]:
        out.append(f"classes (network order) {stored.get('classes')} in the checkpoint, {own['classes']} in this run")
    if stored.get("n_records") != own["n_records"] or stored.get("records") != own["records"]:
        out.append(f"training records: {stored.get('n_records')} records (ids digest {stored.get('records')}) in the "
                   f"checkpoint, {own['n_records']} (ids digest {own['records']}) in this run")
    elif stored.get("data") != own["data"]:
        out.append("training signals or labels differ (same record ids)")
    if stored.get("validation") != own["validation"]:
        out.append("validation records or labels differ")
    s_old, s_new = stored.get("settings") or {}, own["settings"]
    for key in sorted(set(s_old) | set(s_new)):
        a, b = s_old.get(key), s_new.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            keys = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
            out.append(f"{key}: " + ", ".join(f"{k} {a.get(k)!r} -> {b.get(k)!r}" for k in keys[:5]))
        else:
            out.append(f"{key} {a!r} in the checkpoint, {b!r} in this run")
    return out


def _batches(n: int, batch_size: int, seed: int, shuffle: bool = True) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(int(seed))
    order = torch.randperm(n, generator=gen) if shuffle else torch.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def _set_trainable(modules: Sequence[nn.Module], params: Sequence[nn.Parameter]) -> None:
    for mod in modules:
        for p in mod.parameters():
            p.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)


#: seconds between INFO progress lines of a training phase (each epoch is logged at DEBUG)
PROGRESS_EVERY_S = 15.0


def run_epochs(model: nn.Module, phase: str, n_epochs: int, params: Sequence[nn.Parameter], step_fn, *,
               data: torch.Tensor, y: torch.Tensor, lr: float, weight_decay: float = 0.0,
               scheduler: str = "constant", batch_size: int = 32, train_mode: bool = True,
               device: torch.device = torch.device("cpu"), use_amp: bool = False,
               amp_dtype: torch.dtype = torch.float16, seed: int = 0, val_fn=None,
               patience: int | None = None) -> list[dict]:
    """Adam epochs over ``params`` with an optional cosine schedule and early stopping.

    Parameters
    ----------
    model : nn.Module
        Its ``state_dict`` is what early stopping keeps (best validation score) and restores.
    step_fn : callable
        ``step_fn(x_batch, y_batch) -> (loss, {term: detached tensor})``.
    data, y : torch.Tensor
        Inputs and targets (on ``device`` or pinned on the CPU).
    train_mode : bool
        ``model.train()`` during the epoch (batch norm, dropout) or ``model.eval()``.
    val_fn : callable, optional
        ``val_fn() -> macro-AUROC`` on validation data, called after every epoch.
    patience : int, optional
        Stop after this many epochs without a better validation score and restore the best
        weights (ProtoECGNet: 10). Ignored without ``val_fn``.

    Returns
    -------
    list of dict
        One row per epoch: phase, epoch, loss terms, lr, val_macro_auroc, seconds, records/s.
    """
    _set_trainable([model], params)
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    sched = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, n_epochs))
             if scheduler == "cosine" else None)
    # loss scaling only for float16 (bfloat16 has float32's range)
    scaler = torch.amp.GradScaler(device.type, enabled=use_amp and amp_dtype == torch.float16)
    history: list[dict] = []
    best, best_state, since_best = -np.inf, None, 0
    last_report = time.perf_counter()
    try:
        for epoch in range(n_epochs):
            model.train(train_mode)
            t0 = time.perf_counter()
            sums: dict[str, torch.Tensor] = {}
            n_seen = 0
            lr_now = opt.param_groups[0]["lr"]
            for idx in _batches(len(data), batch_size, seed * 1000 + epoch):
                if len(idx) < 2 and train_mode:
                    continue  # batch norm cannot train on one record
                dev_idx = idx.to(data.device)
                xb = data[dev_idx].to(device, non_blocking=True)
                yb = y[idx.to(y.device)].to(device, non_blocking=True)
                with torch.autocast(device_type=device.type, dtype=amp_dtype, enabled=use_amp):
                    loss, parts = step_fn(xb, yb)
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
                for k, v in parts.items():
                    sums[k] = sums[k] + v.float() * len(idx) if k in sums else v.float() * len(idx)
                n_seen += len(idx)
            if sched is not None:
                sched.step()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            secs = time.perf_counter() - t0
            row = {"phase": phase, "epoch": epoch, "seconds": secs, "lr": lr_now,
                   "records_per_s": n_seen / secs if secs > 0 else float("nan")}
            row.update({k: float(v) / max(n_seen, 1) for k, v in sums.items()})
            if val_fn is not None:
                score = float(val_fn())
                row["val_macro_auroc"] = score
                if np.isfinite(score) and score > best:
                    best, since_best = score, 0
                    if patience is not None:
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    since_best += 1
            history.append(row)
            logger.debug("%s epoch %d: %s", phase, epoch, row)
            if time.perf_counter() - last_report >= PROGRESS_EVERY_S:  # no long silent stretch
                last_report = time.perf_counter()
                logger.info("%s: epoch %d/%d, BCE %.4g%s", phase, epoch + 1, n_epochs, row.get("bce", float("nan")),
                            f", validation macro-AUROC {row['val_macro_auroc']:.4f}" if "val_macro_auroc" in row else "")
            if val_fn is not None and patience is not None and since_best >= patience:
                logger.info("%s: early stop after epoch %d (best validation macro-AUROC %.4f)", phase, epoch, best)
                break
    finally:
        _set_trainable([model], list(model.parameters()))
    if best_state is not None:
        model.load_state_dict(best_state)
        for row in history:
            row["best"] = row.get("val_macro_auroc") == best
    return history


@torch.no_grad()
def recalibrate_batch_norm(model: nn.Module, x: torch.Tensor, batch_size: int = 64,
                           device: torch.device | str = "cpu") -> int:
    """Recompute every batch-norm layer's running statistics over ``x`` with the current weights.

    The push, the last-layer and fusion phases and all inference run the backbones in eval
    mode, i.e. on the running statistics, which batch norm updates with momentum 0.1 per
    training batch from (mean 0, variance 1). After few batches (the small preset on a small
    cohort trains a few dozen) they are still mostly that starting value, so the eval-mode
    network is not the one trained: on notebook 02's cohort its embeddings were nearly the
    same for every record (the add-on sigmoid near 0.5 everywhere) and every prototype's
    similarity equal across records to 1e-4. Recomputing the statistics as the plain average
    over the training records (:func:`torch.optim.swa_utils.update_bn`, as for weight averaging)
    makes the eval-mode network the trained one; with long training (the paper preset) it only
    replaces a moving average by the exact one.

    Parameters
    ----------
    model : nn.Module
        Left in eval mode.
    x : torch.Tensor
        Training inputs ``(N, leads, T)`` (CPU, pinned or on ``device``).
    batch_size : int
    device : torch.device or str

    Returns
    -------
    int
        Batch-norm layers recalibrated (0: nothing to do).
    """
    from torch.optim.swa_utils import update_bn

    n_bn = sum(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)) for m in model.modules())
    if n_bn and len(x):
        update_bn((x[i:i + batch_size] for i in range(0, len(x), batch_size)), model, device=torch.device(device))
        logger.info("recomputed the running statistics of %d batch-norm layers over %d training records",
                    n_bn, len(x))
    model.eval()
    return n_bn


class ProtoTrainer:
    """Runs the phases on in-memory tensors, with optional validation and checkpoints.

    Phases as ProtoECGNet trains them: ``warmup`` (its "feature_extractor" stage), ``joint``
    (backbones, add-on layers and prototypes; the branch classifiers stay frozen), ``push``
    (its "projection"), ``last_layer`` (its "classifier") and ``fusion``. With validation data
    and ``config.patience``, every trained phase stops early on the validation macro-AUROC
    and keeps its best weights.

    Parameters
    ----------
    model : ProtoECGNet
    x : numpy.ndarray or torch.Tensor
        Training inputs ``(N, leads, T)``.
    y : numpy.ndarray or torch.Tensor
        Multi-hot targets ``(N, K)`` in ``model.classes`` order.
    record_ids : sequence
    config : TrainConfig
    device : str or torch.device
    amp : bool or "auto"
        Mixed precision (CUDA; bfloat16 where supported, else float16 with loss scaling).
    random_state : int
    checkpoint_dir : path-like, optional
        Where ``<phase>.pt`` files go; existing ones are resumed from.
    extra_state : dict, optional
        Plain metadata stored in every checkpoint (model spec, classes...).
    x_val, y_val : array, optional
        Validation records for early stopping (never trained on).
    lengths : sequence of int, optional
        Real samples of each training record (the rest of its row is zero padding; default: all).
        The push and the patch initialisation take windows inside the real samples only.

    Attributes
    ----------
    completed : list of str
    history : list of dict
        One row per epoch: phase, epoch, loss terms, lr, validation macro-AUROC, seconds, records/s.
    push_result : PushResult or None
    """

    def __init__(self, model: ProtoECGNet, x, y, record_ids: Sequence, config: TrainConfig | None = None,
                 device: str | torch.device = "auto", amp: bool | str = "auto", random_state: int = 0,
                 checkpoint_dir: str | Path | None = None, extra_state: dict | None = None,
                 x_val=None, y_val=None, lengths: Sequence[int] | None = None) -> None:
        self.model = model
        self.x = torch.as_tensor(np.array(x, dtype=np.float32))
        self.y = torch.as_tensor(np.array(y, dtype=np.float32))
        if len(self.x) != len(self.y):
            raise ModelError(f"{len(self.x)} inputs but {len(self.y)} label rows")
        self.record_ids = list(record_ids)
        self.lengths = None if lengths is None else [int(v) for v in lengths]
        if self.lengths is not None and len(self.lengths) != len(self.x):
            raise ModelError(f"{len(self.lengths)} record lengths for {len(self.x)} inputs")
        self.config = config or TrainConfig()
        self.device = torch_device(device)
        self.use_amp = resolve_amp(amp, self.device)
        #: autocast dtype (bfloat16 where supported; tests set bfloat16 to run the AMP path on a CPU)
        self.amp_dtype = resolve_amp_dtype(self.device)
        self.compiled = resolve_compile(self.config.compile, self.device)
        self.random_state = int(random_state)
        self.checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir is not None else None
        self.extra_state = dict(extra_state or {})
        self.completed: list[str] = []
        self.history: list[dict] = []
        self.push_result: PushResult | None = None
        y_np = self.y.numpy()  # (before any move to the GPU)
        slices = model.class_slices()
        self.jaccards = {n: torch.as_tensor(jaccard_matrix(y_np[:, s]), dtype=torch.float32) for n, s in slices.items()}
        self.pos_weights = {n: torch.as_tensor(positive_weights(y_np[:, s], self.config.pos_weight_clip))
                            for n, s in slices.items()}
        self.pos_weight_all = torch.as_tensor(positive_weights(y_np, self.config.pos_weight_clip))
        self.x_val = None if x_val is None else torch.as_tensor(np.array(x_val, dtype=np.float32))
        self.y_val = None if y_val is None else np.asarray(y_val, dtype=np.float32)
        # what a checkpoint must have been trained on to be resumed (before the data moves to a GPU)
        self.identity = training_identity(self.model, self.x, self.y, self.record_ids, self.config,
                                          self.random_state, self.extra_state, self.x_val, self.y_val,
                                          self.lengths) if self.checkpoint_dir is not None else None
        self.model.to(self.device)
        self.x = stage_tensor(self.x, self.device)
        self.y = stage_tensor(self.y, self.device)

    def _fwd(self, fn):
        """``torch.compile(fn)`` where it pays (CUDA), else ``fn``."""
        return torch.compile(fn) if self.compiled else fn

    # -- checkpoints -----------------------------------------------------------------
    def state(self) -> dict:
        """Everything needed to resume, as types ``torch.load(weights_only=True)`` accepts."""
        push = None
        if self.push_result is not None:
            push = {"sources": [dict(s, record_id=_plain_id(s["record_id"])) for s in self.push_result.sources],
                    "segments": {k: torch.from_numpy(v) for k, v in self.push_result.segments.items()}}
        return {
            "model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "completed": list(self.completed),
            "history": [dict(h) for h in self.history],
            "push": push,
            "config": self.config.to_dict(),
            "random_state": self.random_state,
            "extra": self.extra_state,
            "identity": self.identity if self.identity is not None else training_identity(
                self.model, self.x.cpu(), self.y.cpu(), self.record_ids, self.config, self.random_state,
                self.extra_state, self.x_val, self.y_val, self.lengths),
        }

    def load_state(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.model.to(self.device)
        self.completed = list(state["completed"])
        self.history = list(state["history"])
        push = state.get("push")
        if push is not None:
            self.push_result = PushResult(
                sources=[dict(s) for s in push["sources"]],
                segments={k: v.numpy() for k, v in push["segments"].items()},
            )

    def save_checkpoint(self, path: str | Path) -> Path:
        """Write :meth:`state` to ``path`` and its SHA-256 to ``<name>.manifest.json`` beside it.

        Returns
        -------
        pathlib.Path
            ``path``.
        """
        import interp_ecg

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        torch.save(self.state(), tmp)
        # the manifest of the new bytes first, then the file into place: a killed run never
        # leaves a half-written checkpoint, nor one its manifest does not describe
        write_file_manifest(path, CHECKPOINT_MANIFEST_FORMAT, {
            "format_version": 1, "completed": list(self.completed),
            "versions": {"interp_ecg": interp_ecg.__version__, "torch": torch.__version__}}, content=tmp)
        tmp.replace(path)
        return path

    def load_checkpoint(self, path: str | Path, expected_digest: str | None = None) -> None:
        """Check a checkpoint against its manifest, then load it (``torch.load(weights_only=True)``).

        Parameters
        ----------
        path : str or path-like
            A checkpoint written by :meth:`save_checkpoint`.
        expected_digest : str, optional
            SHA-256 its manifest must have.

        Raises
        ------
        IntegrityError
            Naming the file: it was truncated or altered after saving (its SHA-256 differs from
            its manifest's), or the manifest does not match ``expected_digest``. A checkpoint
            without a manifest (written before manifests were) loads with a logged warning
            and a ``UserWarning``.
        ModelError
            Naming the file: missing, not a weights-only file, or not a checkpoint.
        ConfigError
            Naming the file and what differs: the checkpoint was trained for other classes (names
            or order), other training or validation records or data, other settings or another
            seed than this trainer's (see :func:`training_identity`), or it predates these checks.
            Resuming it would return a model of that other run under this run's class names.
        """
        path = Path(path)
        if not path.is_file():
            raise ModelError("checkpoint not found", source=str(path))
        try:
            verify_file_manifest(path, CHECKPOINT_MANIFEST_FORMAT, expected_digest, what="checkpoint")
        except IntegrityError as err:
            raise IntegrityError(f"{err.reason}; refused before use (delete it, and the checkpoints of the "
                                 f"later phases, to train that phase again)", source=err.source) from None
        state = read_weights(path, what="checkpoint")
        own = self.identity if self.identity is not None else training_identity(
            self.model, self.x.cpu(), self.y.cpu(), self.record_ids, self.config, self.random_state,
            self.extra_state, self.x_val, self.y_val, self.lengths)
        differs = identity_differences(state.get("identity"), own)
        if differs:
            raise ConfigError("this checkpoint belongs to another training run, not resumed: "
                              + "; ".join(differs) + ". Delete its folder (or pass another checkpoint_dir) "
                              "to train this run from the start", source=str(path))
        self.load_state(state)

    def latest_checkpoint(self) -> Path | None:
        if self.checkpoint_dir is None:
            return None
        for phase in reversed(PHASES):
            p = self.checkpoint_dir / f"{phase}.pt"
            if p.exists():
                return p
        return None

    # -- running ----------------------------------------------------------------------
    def run(self, phases: Sequence[str] = PHASES, resume: bool = True) -> "ProtoTrainer":
        """Run the phases not yet completed (resuming from ``checkpoint_dir`` when asked).

        Each phase seeds torch with ``random_state`` (plus its index); the caller's global torch
        RNG is left as it was (:func:`local_torch_rng`).
        """
        with local_torch_rng():
            return self._run(phases, resume)

    def _run(self, phases: Sequence[str], resume: bool) -> "ProtoTrainer":
        if resume and not self.completed:
            ckpt = self.latest_checkpoint()
            if ckpt is not None:
                logger.info("resuming from %s", ckpt)
                self.load_checkpoint(ckpt)
        for phase in phases:
            if phase in self.completed:
                continue
            self.run_phase(phase)
        return self

    def run_phase(self, phase: str) -> None:
        """Run one phase, mark it completed and save its checkpoint."""
        if phase not in PHASES:
            raise ConfigError(f"unknown phase {phase!r}; phases are {PHASES}")
        torch.manual_seed(self.random_state + PHASES.index(phase))
        t0 = time.perf_counter()
        getattr(self, f"_phase_{phase}")()
        self.completed.append(phase)
        logger.info("phase %s done in %.1f s", phase, time.perf_counter() - t0)
        if self.checkpoint_dir is not None:
            self.save_checkpoint(self.checkpoint_dir / f"{phase}.pt")

    def _epochs(self, phase: str, n_epochs: int, params: Sequence[nn.Parameter], lr: float, step_fn,
                train_backbone: bool, data: torch.Tensor | None = None, val_fn=None) -> None:
        cfg = self.config
        self.history.extend(run_epochs(
            self.model, phase, n_epochs, params, step_fn, data=self.x if data is None else data, y=self.y,
            lr=lr, weight_decay=cfg.weight_decay, scheduler=cfg.scheduler, batch_size=cfg.batch_size,
            train_mode=train_backbone, device=self.device, use_amp=self.use_amp, amp_dtype=self.amp_dtype,
            seed=self.random_state * 10 + PHASES.index(phase),
            val_fn=val_fn if self.x_val is not None else None, patience=cfg.patience))

    @torch.no_grad()
    def _val_scores(self, fn) -> float:
        """Macro-AUROC of ``fn(x_val batch) -> logits`` on the validation records (eval mode)."""
        self.model.eval()
        out = [fn(self.x_val[i:i + 256].to(self.device)).float().cpu() for i in range(0, len(self.x_val), 256)]
        return macro_auroc(self.y_val, torch.cat(out).numpy())

    def _phase_warmup(self) -> None:
        model = self.model
        params = [p for b in model.branches.values() for p in
                  list(b.backbone.parameters()) + list(b.warm_head.parameters())]
        slices = model.class_slices()
        pw = {k: v.to(self.device) for k, v in self.pos_weights.items()}
        warm = self._fwd(model.warm_logits)

        def step(xb, yb):
            logits = warm(xb)
            total = sum(bce_loss(logits[:, s], yb[:, s], pw[n]) for n, s in slices.items())
            return total, {"bce": total.detach()}

        self._epochs("warmup", self.config.warmup_epochs, params, self.config.lr, step, True,
                     val_fn=lambda: self._val_scores(model.warm_logits))

    def _phase_joint(self) -> None:
        model = self.model
        # ProtoECGNet's joint stage: everything but the classifiers (branch last layers) trains
        params = [p for b in model.branches.values() for p in
                  list(b.backbone.parameters()) + list(b.add_on.parameters()) + list(b.prototype_layer.parameters())]
        jac = {k: v.to(self.device) for k, v in self.jaccards.items()}
        pw = {k: v.to(self.device) for k, v in self.pos_weights.items()}
        if self.config.prototype_init == "patches":
            # small preset: start from random patches of each class's own records
            init_prototypes_from_patches(model, self.x, self.y, self.random_state, device=self.device,
                                         lengths=self.lengths)
        fwd = self._fwd(model)

        def step(xb, yb):
            return prototype_losses(fwd(xb), yb, model, self.config.loss_weights, jac, pw)

        self._epochs("joint", self.config.joint_epochs, params, self.config.lr, step, True,
                     val_fn=lambda: self._val_scores(lambda xb: torch.cat(list(model(xb).branch_logits.values()), 1)))

    def _phase_push(self) -> None:
        recalibrate_batch_norm(self.model, self.x, batch_size=max(self.config.batch_size, 64), device=self.device)
        self.push_result = push_prototypes(self.model, self.x, self.y, self.record_ids,
                                           batch_size=max(self.config.batch_size, 64), device=self.device,
                                           lengths=self.lengths)

    def _val_sims(self) -> torch.Tensor | None:
        return None if self.x_val is None else self.similarities(self.x_val)

    def _phase_last_layer(self) -> None:
        model = self.model
        # backbones and prototypes are frozen now: similarities are computed once
        sims = stage_tensor(self.similarities(self.x), self.device)
        sims_val = self._val_sims()
        params = [b.last_layer.weight for b in model.branches.values()]
        cls_sl, proto_sl = model.class_slices(), model.prototype_slices()
        pw = {k: v.to(self.device) for k, v in self.pos_weights.items()}
        l1 = self.config.loss_weights.l1

        def step(sb, yb):
            bce, reg = 0.0, 0.0
            for name, b in model.branches.items():
                bce = bce + bce_loss(b.last_layer(sb[:, proto_sl[name]]), yb[:, cls_sl[name]], pw[name])
                reg = reg + l1 * off_class_l1(b.last_layer.weight, b.class_identity)
            return bce + reg, {"bce": bce.detach(), "l1": reg.detach()}

        def val():
            with torch.no_grad():
                return macro_auroc(self.y_val, model.branch_logits(sims_val.to(self.device)).float().cpu().numpy())

        self._epochs("last_layer", self.config.last_layer_epochs, params, self.config.last_layer_lr, step, False,
                     data=sims, val_fn=val)

    def _phase_fusion(self) -> None:
        model = self.model
        model.init_fusion_from_branches()
        sims = stage_tensor(self.similarities(self.x), self.device)
        sims_val = self._val_sims()
        params = list(model.fusion.parameters())
        pw = self.pos_weight_all.to(self.device)
        l1 = self.config.loss_weights.l1

        def step(sb, yb):
            logits = model.fusion(sb)
            bce = bce_loss(logits, yb, pw)
            reg = l1 * off_class_l1(model.fusion.weight, model.class_identity)
            return bce + reg, {"bce": bce.detach(), "l1": reg.detach()}

        def val():
            with torch.no_grad():
                return macro_auroc(self.y_val, model.fusion(sims_val.to(self.device)).float().cpu().numpy())

        self._epochs("fusion", self.config.fusion_epochs, params, self.config.fusion_lr, step, False, data=sims,
                     val_fn=val)

    @torch.no_grad()
    def similarities(self, x: torch.Tensor, batch_size: int = 128) -> torch.Tensor:
        """Pooled similarities of ``x`` (eval mode), on the CPU."""
        self.model.eval()
        out = []
        for i in range(0, len(x), batch_size):
            xb = x[i:i + batch_size].to(self.device)
            # float32 on purpose: push, transform and predict see the same similarities
            out.append(self.model(xb).similarities.float().cpu())
        return torch.cat(out) if out else torch.zeros(0, self.model.fusion.in_features)


def train_blackbox(model: BlackBoxECGNet, x, y, epochs: int, batch_size: int = 32, lr: float = 1e-4,
                   device: str | torch.device = "auto", amp: bool | str = "auto", random_state: int = 0,
                   pos_weight_clip: float = 100.0, weight_decay: float = 0.0, scheduler: str = "constant",
                   patience: int | None = None, x_val=None, y_val=None, compile: bool | str = "auto") -> list[dict]:
    """Train the black-box comparison network with weighted BCE, the same optimiser, schedule and
    early stopping as the prototype phases; return the epoch history.

    Ends, as the prototype model's push does, by recomputing the batch-norm statistics over the
    training records (:func:`recalibrate_batch_norm`).
    """
    with local_torch_rng():  # seeded, without reseeding the caller's global torch RNG
        return _train_blackbox(model, x, y, epochs, batch_size, lr, device, amp, random_state, pos_weight_clip,
                               weight_decay, scheduler, patience, x_val, y_val, compile)


def _train_blackbox(model, x, y, epochs, batch_size, lr, device, amp, random_state, pos_weight_clip, weight_decay,
                    scheduler, patience, x_val, y_val, compile) -> list[dict]:
    dev = torch_device(device)
    use_amp = resolve_amp(amp, dev)
    torch.manual_seed(int(random_state))
    x = torch.as_tensor(np.array(x, dtype=np.float32))
    y = torch.as_tensor(np.array(y, dtype=np.float32))
    pw = torch.as_tensor(positive_weights(y.numpy(), pos_weight_clip)).to(dev)
    model.to(dev)
    fwd = torch.compile(model) if resolve_compile(compile, dev) else model
    xv = None if x_val is None else torch.as_tensor(np.array(x_val, dtype=np.float32))
    yv = None if y_val is None else np.asarray(y_val, dtype=np.float32)

    def step(xb, yb):
        loss = bce_loss(fwd(xb), yb, pw)
        return loss, {"bce": loss.detach()}

    @torch.no_grad()
    def val():
        model.eval()
        out = [model(xv[i:i + 256].to(dev)).float().cpu() for i in range(0, len(xv), 256)]
        return macro_auroc(yv, torch.cat(out).numpy())

    history = run_epochs(model, "blackbox", epochs, list(model.parameters()), step,
                         data=stage_tensor(x, dev), y=stage_tensor(y, dev), lr=lr, weight_decay=weight_decay,
                         scheduler=scheduler, batch_size=batch_size, train_mode=True, device=dev, use_amp=use_amp,
                         amp_dtype=resolve_amp_dtype(dev), seed=int(random_state),
                         val_fn=val if xv is not None else None, patience=patience)
    # inference runs in eval mode: batch-norm statistics of the final weights, as for the prototype model
    recalibrate_batch_norm(model, x, batch_size=max(batch_size, 64), device=dev)
    return history
