"""Training phases as separate, resumable steps, with checkpoints.

Phases, in order (:data:`PHASES`):

1. ``warmup`` - backbones with a black-box head on globally averaged features (BCE);
2. ``joint`` - backbones, prototypes and branch last layers with every loss term;
3. ``push`` - each prototype projected onto its nearest real training patch;
4. ``last_layer`` - branch last layers only (BCE + off-class L1), backbones frozen in eval mode;
5. ``fusion`` - the linear fusion layer over all similarities (BCE + off-class L1).

After each phase :class:`ProtoTrainer` can save a checkpoint (``state_dict`` plus plain
Python metadata) that loads with ``torch.load(weights_only=True)``; a trainer given the
same checkpoint folder resumes after the last completed phase.

Devices: ``device="auto"`` picks CUDA when ``torch.cuda.is_available()`` and the CPU
otherwise; ``amp="auto"`` turns float16 autocast + gradient scaling on for CUDA only.

Examples
--------
>>> select_device("auto").type in {"cpu", "cuda"}
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

from interp_ecg.errors import ConfigError, ModelError
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


def select_device(device: str | torch.device | None = "auto") -> torch.device:
    """Resolve ``"auto"`` / ``None`` to CUDA when available, else CPU; check explicit choices.

    Raises
    ------
    ConfigError
        When CUDA is asked for but not available.
    """
    if device is None or (isinstance(device, str) and device == "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} asked for but CUDA is not available")
    return dev


def resolve_amp(amp: bool | str, device: torch.device) -> bool:
    """Mixed precision: ``"auto"`` -> on for CUDA only; ``True`` on a CPU is refused with a warning."""
    if amp == "auto":
        return device.type == "cuda"
    if amp and device.type != "cuda":
        logger.warning("mixed precision needs CUDA; training in float32 on %s", device)
        return False
    return bool(amp)


@dataclass
class TrainConfig:
    """Epochs, optimisation and loss settings of the phases."""

    warmup_epochs: int = 3
    joint_epochs: int = 5
    last_layer_epochs: int = 5
    fusion_epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    last_layer_lr: float = 1e-2
    fusion_lr: float = 1e-2
    weight_decay: float = 0.0
    pos_weight_clip: float = 100.0
    loss_weights: LossWeights = field(default_factory=LossWeights)

    def to_dict(self) -> dict:
        d = asdict(self)
        return d

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


class ProtoTrainer:
    """Runs the phases on in-memory tensors, with optional checkpoints.

    Parameters
    ----------
    model : ProtoECGNet
    x : numpy.ndarray or torch.Tensor
        Training inputs ``(N, leads, T)`` (kept on the CPU; batches move to ``device``).
    y : numpy.ndarray or torch.Tensor
        Multi-hot targets ``(N, K)`` in ``model.classes`` order.
    record_ids : sequence
    config : TrainConfig
    device : str or torch.device
    amp : bool or "auto"
    random_state : int
    checkpoint_dir : path-like, optional
        Where ``<phase>.pt`` files go; existing ones are resumed from.
    extra_state : dict, optional
        Plain metadata stored in every checkpoint (model spec, classes...).

    Attributes
    ----------
    completed : list of str
    history : list of dict
        One row per epoch: phase, epoch, loss terms, seconds, records/s.
    push_result : PushResult or None
    """

    def __init__(self, model: ProtoECGNet, x, y, record_ids: Sequence, config: TrainConfig | None = None,
                 device: str | torch.device = "auto", amp: bool | str = "auto", random_state: int = 0,
                 checkpoint_dir: str | Path | None = None, extra_state: dict | None = None) -> None:
        self.model = model
        self.x = torch.as_tensor(np.array(x, dtype=np.float32))
        self.y = torch.as_tensor(np.array(y, dtype=np.float32))
        if len(self.x) != len(self.y):
            raise ModelError(f"{len(self.x)} inputs but {len(self.y)} label rows")
        self.record_ids = list(record_ids)
        self.config = config or TrainConfig()
        self.device = select_device(device)
        self.use_amp = resolve_amp(amp, self.device)
        #: autocast dtype (float16 on CUDA; tests may set bfloat16 to run the AMP path on a CPU)
        self.amp_dtype = torch.float16
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
        self.model.to(self.device)
        if self.device.type == "cuda" and self.x.numel() * 4 < 8 * 2**30:
            # small enough: keep the training set on the GPU instead of copying each batch
            self.x = self.x.to(self.device)
            self.y = self.y.to(self.device)

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
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        torch.save(self.state(), tmp)
        tmp.replace(path)  # a killed run never leaves a half-written checkpoint
        return path

    def load_checkpoint(self, path: str | Path) -> None:
        self.load_state(torch.load(path, map_location="cpu", weights_only=True))

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
        """Run the phases not yet completed (resuming from ``checkpoint_dir`` when asked)."""
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
                train_backbone: bool, data: torch.Tensor | None = None) -> None:
        model = self.model
        data = self.x if data is None else data
        _set_trainable([model], params)
        opt = torch.optim.Adam(params, lr=lr, weight_decay=self.config.weight_decay)
        # loss scaling only for float16 (bfloat16 has float32's range)
        scaler = torch.amp.GradScaler(self.device.type, enabled=self.use_amp and self.amp_dtype == torch.float16)
        for epoch in range(n_epochs):
            model.train(train_backbone)
            t0 = time.perf_counter()
            sums: dict[str, float] = {}
            n_seen = 0
            seed = self.random_state * 1000 + PHASES.index(phase) * 100 + epoch
            for idx in _batches(len(data), self.config.batch_size, seed):
                if len(idx) < 2 and train_backbone:
                    continue  # batch norm cannot train on one record
                xb = data[idx].to(self.device, non_blocking=True)
                yb = self.y[idx].to(self.device, non_blocking=True)
                with torch.autocast(device_type=self.device.type, dtype=self.amp_dtype, enabled=self.use_amp):
                    loss, parts = step_fn(xb, yb)
                opt.zero_grad(set_to_none=True)
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
                for k, v in parts.items():
                    sums[k] = sums.get(k, 0.0) + v * len(idx)
                n_seen += len(idx)
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            secs = time.perf_counter() - t0
            row = {"phase": phase, "epoch": epoch, "seconds": secs,
                   "records_per_s": n_seen / secs if secs > 0 else float("nan")}
            row.update({k: v / max(n_seen, 1) for k, v in sums.items()})
            self.history.append(row)
            logger.debug("%s epoch %d: %s", phase, epoch, row)
        _set_trainable([model], list(model.parameters()))

    def _phase_warmup(self) -> None:
        model = self.model
        params = [p for b in model.branches.values() for p in
                  list(b.backbone.parameters()) + list(b.warm_head.parameters())]
        slices = model.class_slices()

        def step(xb, yb):
            total, parts = 0.0, {}
            for name, b in model.branches.items():
                loss = bce_loss(b.warm_logits(xb), yb[:, slices[name]], self.pos_weights[name].to(self.device))
                total = total + loss
            parts["bce"] = float(total.detach())
            return total, parts

        self._epochs("warmup", self.config.warmup_epochs, params, self.config.lr, step, True)

    def _phase_joint(self) -> None:
        model = self.model
        params = [p for b in model.branches.values() for p in
                  list(b.backbone.parameters()) + list(b.prototype_layer.parameters())
                  + list(b.last_layer.parameters())]
        jac = {k: v.to(self.device) for k, v in self.jaccards.items()}
        pw = {k: v.to(self.device) for k, v in self.pos_weights.items()}

        # start from random patches of each class's own records (after the warm-up)
        init_prototypes_from_patches(model, self.x, self.y, self.random_state, device=self.device)

        def step(xb, yb):
            return prototype_losses(model(xb), yb, model, self.config.loss_weights, jac, pw)

        self._epochs("joint", self.config.joint_epochs, params, self.config.lr, step, True)

    def _phase_push(self) -> None:
        self.push_result = push_prototypes(self.model, self.x, self.y, self.record_ids,
                                           batch_size=max(self.config.batch_size, 64), device=self.device)

    def _phase_last_layer(self) -> None:
        model = self.model
        # backbones and prototypes are frozen now: similarities are computed once
        sims = self.similarities(self.x)
        params = [b.last_layer.weight for b in model.branches.values()]
        cls_sl, proto_sl = model.class_slices(), model.prototype_slices()
        pw = {k: v.to(self.device) for k, v in self.pos_weights.items()}
        l1 = self.config.loss_weights.l1

        def step(sb, yb):
            bce, reg = 0.0, 0.0
            for name, b in model.branches.items():
                bce = bce + bce_loss(b.last_layer(sb[:, proto_sl[name]]), yb[:, cls_sl[name]], pw[name])
                reg = reg + l1 * off_class_l1(b.last_layer.weight, b.class_identity)
            return bce + reg, {"bce": float(bce.detach()), "l1": float(reg.detach())}

        self._epochs("last_layer", self.config.last_layer_epochs, params, self.config.last_layer_lr, step, False,
                     data=sims)

    def _phase_fusion(self) -> None:
        model = self.model
        model.init_fusion_from_branches()
        sims = self.similarities(self.x)
        params = list(model.fusion.parameters())
        pw = self.pos_weight_all.to(self.device)
        l1 = self.config.loss_weights.l1

        def step(sb, yb):
            logits = model.fusion(sb)
            bce = bce_loss(logits, yb, pw)
            reg = l1 * off_class_l1(model.fusion.weight, model.class_identity)
            return bce + reg, {"bce": float(bce.detach()), "l1": float(reg.detach())}

        self._epochs("fusion", self.config.fusion_epochs, params, self.config.fusion_lr, step, False, data=sims)

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


def train_blackbox(model: BlackBoxECGNet, x, y, epochs: int, batch_size: int = 32, lr: float = 1e-3,
                   device: str | torch.device = "auto", amp: bool | str = "auto", random_state: int = 0,
                   pos_weight_clip: float = 100.0) -> list[dict]:
    """Train the black-box comparison network with weighted BCE; return the epoch history."""
    dev = select_device(device)
    use_amp = resolve_amp(amp, dev)
    torch.manual_seed(int(random_state))
    x = torch.as_tensor(np.array(x, dtype=np.float32))
    y = torch.as_tensor(np.array(y, dtype=np.float32))
    pw = torch.as_tensor(positive_weights(y.numpy(), pos_weight_clip)).to(dev)
    model.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)
    history = []
    for epoch in range(epochs):
        model.train()
        t0 = time.perf_counter()
        total, n = 0.0, 0
        for idx in _batches(len(x), batch_size, int(random_state) * 1000 + epoch):
            if len(idx) < 2:
                continue
            xb, yb = x[idx].to(dev), y[idx].to(dev)
            with torch.autocast(device_type=dev.type, dtype=torch.float16, enabled=use_amp):
                loss = bce_loss(model(xb), yb, pw)
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            total += float(loss.detach()) * len(idx)
            n += len(idx)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        secs = time.perf_counter() - t0
        history.append({"phase": "blackbox", "epoch": epoch, "bce": total / max(n, 1), "seconds": secs,
                        "records_per_s": n / secs if secs > 0 else float("nan")})
    return history
