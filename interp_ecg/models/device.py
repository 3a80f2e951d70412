"""What the boosters can do on a GPU; the device itself is chosen by :func:`interp_ecg.device.resolve_device`.

``device="auto" | "cpu" | "cuda"`` is resolved once, by the package-wide rule of
:mod:`interp_ecg.device` (re-exported here). XGBoost then trains on the GPU when its build
has CUDA support; LightGBM uses its CUDA tree learner only when its build has one. Everything
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

from interp_ecg.device import DEVICES, gpu_available, resolve_device

logger = logging.getLogger(__name__)


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


__all__ = ["resolve_device", "gpu_available", "xgboost_has_cuda", "lightgbm_has_cuda", "DEVICES"]
