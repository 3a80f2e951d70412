"""Where computation runs: the package's one device choice, ``device="auto" | "cpu" | "cuda"``.

Every estimator that can use a GPU (the boosters of :mod:`interp_ecg.models`, the networks of
:mod:`interp_ecg.prototypes`) resolves its ``device`` argument with :func:`resolve_device`,
so the rule is the same everywhere:

* ``"auto"`` (or ``None``): the GPU when one is visible, else the CPU; the choice is logged;
* ``"cpu"``: the CPU;
* ``"cuda"`` or ``"cuda:N"``: that GPU, and a :class:`~interp_ecg.errors.ConfigError` when no
  GPU is visible (an explicit request is never silently downgraded; write ``"auto"`` for a
  study that should run on a GPU box and on a laptop).

Examples
--------
>>> from interp_ecg.device import resolve_device
>>> resolve_device("cpu")
'cpu'
>>> resolve_device("auto", gpu_available=False)
'cpu'
>>> resolve_device("auto", gpu_available=True)
'cuda'
>>> resolve_device("cuda", gpu_available=False)
Traceback (most recent call last):
...
interp_ecg.errors.ConfigError: device='cuda' asked for but no CUDA GPU is visible; use device='auto' to run on the CPU when there is none
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
from typing import Any

from interp_ecg.errors import ConfigError

logger = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")
_CUDA_INDEX = re.compile(r"cuda:\d+")


@functools.lru_cache(maxsize=1)
def gpu_available() -> bool:
    """Whether a CUDA GPU is visible to this process (asked once, then cached).

    Asks torch when it is importable (cheap on CPU builds), else ``nvidia-smi``. Honours
    ``CUDA_VISIBLE_DEVICES=""`` (no GPU).

    Returns
    -------
    bool
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


def resolve_device(device: Any = "auto", *, gpu_available: bool | None = None) -> str:
    """Resolve a ``device`` argument to the device that will be used.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda"}, "cuda:N", torch.device or None
        ``"auto"`` / ``None``: the GPU when one is visible, else the CPU (logged at INFO).
        ``"cpu"``: the CPU. ``"cuda"`` / ``"cuda:N"``: that GPU.
    gpu_available : bool, optional
        Whether a GPU is visible; detected with :func:`interp_ecg.device.gpu_available` when
        not given (torch code passes ``torch.cuda.is_available()``; tests pass a value).

    Returns
    -------
    str
        ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Raises
    ------
    ConfigError
        When ``device`` is not one of the choices, or names a GPU and none is visible.

    Examples
    --------
    >>> from interp_ecg.device import resolve_device
    >>> resolve_device(None, gpu_available=False)
    'cpu'
    >>> resolve_device("cuda:1", gpu_available=True)
    'cuda:1'
    """
    name = "auto" if device is None else str(device)
    if name not in DEVICES and not _CUDA_INDEX.fullmatch(name):
        raise ConfigError(f"device must be one of {DEVICES} or 'cuda:N', got {device!r}")
    if name == "cpu":
        return "cpu"
    has_gpu = globals()["gpu_available"]() if gpu_available is None else bool(gpu_available)
    if name == "auto":
        chosen = "cuda" if has_gpu else "cpu"
        logger.info("device='auto': %s", "a CUDA GPU is visible, using it" if has_gpu
                    else "no CUDA GPU visible, using the CPU")
        return chosen
    if not has_gpu:
        raise ConfigError(f"device={name!r} asked for but no CUDA GPU is visible; "
                          "use device='auto' to run on the CPU when there is none")
    return name


__all__ = ["DEVICES", "gpu_available", "resolve_device"]
