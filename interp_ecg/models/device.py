"""Choosing where boosters train: ``device="auto" | "cpu" | "cuda"``.

XGBoost trains on the GPU when asked for ``"cuda"``, its build has CUDA support and a GPU
is visible; LightGBM uses its CUDA tree learner only when its build has one. Everything
else (the forests, sklearn gradient boosting, logistic regression) always runs on the CPU.

Examples
--------
>>> from interp_ecg.models.device import resolve_device
>>> resolve_device("cpu")
'cpu'
>>> resolve_device("auto", gpu_available=False)
'cpu'
>>> resolve_device("auto", gpu_available=True)
'cuda'
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess

from interp_ecg.errors import ConfigError

logger = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")


@functools.lru_cache(maxsize=1)
def gpu_available() -> bool:
    """Whether a CUDA GPU is visible to this process.

    Asks torch when it is importable (cheap on CPU builds), else ``nvidia-smi``. Honours
    ``CUDA_VISIBLE_DEVICES=""`` (no GPU).
    """
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) == "":
        return False
    try:
        import torch

        if torch.cuda.is_available():
            return True
    except Exception:  # pragma: no cover - torch missing or broken
        pass
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return False
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):  # pragma: no cover
        return False
    return out.returncode == 0 and "GPU" in out.stdout


@functools.lru_cache(maxsize=1)
def xgboost_has_cuda() -> bool:
    """Whether the installed XGBoost was built with CUDA."""
    try:
        import xgboost

        return bool(xgboost.build_info().get("USE_CUDA", False))
    except Exception:  # pragma: no cover
        return False


@functools.lru_cache(maxsize=1)
def lightgbm_has_cuda() -> bool:
    """Whether the installed LightGBM can train with ``device_type="cuda"`` (tried once)."""
    try:
        import lightgbm
        import numpy as np

        X = np.random.default_rng(0).normal(size=(50, 2))
        y = (X[:, 0] > 0).astype(int)
        lightgbm.train({"device_type": "cuda", "verbose": -1, "objective": "binary"},
                       lightgbm.Dataset(X, y), num_boost_round=1)
        return True
    except Exception:
        return False


def resolve_device(device: str = "auto", gpu_available: bool | None = None) -> str:
    """Resolve ``"auto"``/``"cpu"``/``"cuda"`` to the device boosters will actually use.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` picks ``"cuda"`` when a GPU is visible. ``"cuda"`` without a GPU falls back
        to ``"cpu"`` with a warning (a study written on a GPU box still runs on a laptop).
    gpu_available : bool, optional
        Override the detection (for tests).

    Returns
    -------
    str
        ``"cuda"`` or ``"cpu"``.
    """
    if device not in DEVICES:
        raise ConfigError(f"device must be one of {DEVICES}, got {device!r}")
    if device == "cpu":
        return "cpu"
    has_gpu = globals()["gpu_available"]() if gpu_available is None else bool(gpu_available)
    if has_gpu:
        return "cuda"
    if device == "cuda":
        logger.warning("device='cuda' requested but no GPU is visible; training on the CPU")
    return "cpu"


__all__ = ["resolve_device", "gpu_available", "xgboost_has_cuda", "lightgbm_has_cuda", "DEVICES"]
