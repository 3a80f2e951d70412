"""Vectorised search windows: every lead x every beat x a span of samples at once.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.features.delineation.windows import gather, first_true, last_true
>>> x = np.arange(20.0)[None, :]
>>> w, ok = gather(x, np.array([2, 10]), -3, 3)
>>> w[0, 1].tolist(), ok[0].tolist()
([7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0], [False, True, True, True, True, True, True])
>>> m = np.array([[False, True, True], [False, False, False]])
>>> first_true(m).tolist(), last_true(m).tolist()
([1, -1], [2, -1])
"""

from __future__ import annotations

import numpy as np


def gather(x: np.ndarray, centers: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows ``x[:, c+lo : c+hi+1]`` for every centre ``c``.

    Returns
    -------
    windows : ndarray, shape (n_leads, n_beats, hi - lo + 1)
        Samples outside the record are filled with the nearest edge sample.
    inside : ndarray of bool, shape (n_beats, hi - lo + 1)
        Whether each window position lies inside the record.
    """
    offs = np.arange(lo, hi + 1)
    idx = np.asarray(centers, dtype=np.int64)[:, None] + offs[None, :]
    inside = (idx >= 0) & (idx < x.shape[-1])
    return x[:, np.clip(idx, 0, x.shape[-1] - 1)], inside


def first_true(mask: np.ndarray) -> np.ndarray:
    """Index of the first True along the last axis, ``-1`` where there is none."""
    has = mask.any(axis=-1)
    return np.where(has, mask.argmax(axis=-1), -1)


def last_true(mask: np.ndarray) -> np.ndarray:
    """Index of the last True along the last axis, ``-1`` where there is none."""
    n = mask.shape[-1]
    has = mask.any(axis=-1)
    return np.where(has, n - 1 - mask[..., ::-1].argmax(axis=-1), -1)


def take(a: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``a[..., idx]`` element-wise along the last axis (``idx`` broadcast to ``a.shape[:-1]``)."""
    idx = np.clip(np.asarray(idx, dtype=np.int64), 0, a.shape[-1] - 1)
    return np.take_along_axis(a, idx[..., None], axis=-1)[..., 0]


def positions(n: int) -> np.ndarray:
    """``arange(n)`` shaped to broadcast against (n_leads, n_beats, n)."""
    return np.arange(n)[None, None, :]
