"""Simulated test signals with known truth, shared by several test modules.

Not a test module (no ``test_`` prefix): import with ``from tests.signals import ...``.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import butter, sosfiltfilt


def t_wave_lead(fs: float, t_amp: float, t_end_s: float, white_mv: float, seed: int, *,
                t_on_s: float = 0.12, slow_mv: float = 0.0, n_beats: int = 12,
                rr_s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """One lead of narrow QRS complexes, each followed by a ``sin^2`` T wave ending at a known sample.

    Beat ``k`` has its R peak at ``0.6 + k * rr_s`` s: a Gaussian R (SD 10 ms, 1 mV) and a
    small S (0.2 mV, 28 ms later). Its T wave is ``t_amp * sin^2`` from R + ``t_on_s`` to
    exactly R + ``t_end_s`` (zero level and zero slope at both ends). Noise, drawn from
    ``numpy.random.default_rng(seed)`` in this order: white noise of SD ``white_mv`` (mV),
    then, when ``slow_mv > 0``, 0.5-4 Hz band-limited noise scaled to SD ``slow_mv`` (the
    wander a T end is read against).

    Parameters
    ----------
    fs : float
        Sampling rate (Hz).
    t_amp : float
        T-wave amplitude (mV).
    t_end_s, t_on_s : float
        T end and T start after the R peak (s).
    white_mv, slow_mv : float
        Noise SDs (mV).
    seed : int
        Seed of the noise.
    n_beats : int
        Number of beats; the record lasts ``(n_beats + 1) * rr_s`` s.
    rr_s : float
        RR interval (s).

    Returns
    -------
    signal : numpy.ndarray ``(n_samples,)`` float32, mV
    t_ends : numpy.ndarray ``(n_beats,)`` float, the true T ends (sample indices)
    """
    n = int(round((n_beats + 1) * rr_s * fs))
    t = np.arange(n, dtype=float)
    x = np.zeros(n)
    ends = []
    for k in range(n_beats):
        r = int(round((0.6 + k * rr_s) * fs))
        w = 0.010 * fs
        x += np.exp(-0.5 * ((t - r) / w) ** 2) - 0.2 * np.exp(-0.5 * ((t - r - 2.8 * w) / w) ** 2)
        a, b = r + int(round(t_on_s * fs)), r + int(round(t_end_s * fs))
        u = (t[a:b + 1] - a) / (b - a)
        x[a:b + 1] += t_amp * np.sin(np.pi * u) ** 2
        ends.append(b)
    rng = np.random.default_rng(seed)
    x += rng.normal(0.0, white_mv, n)
    if slow_mv > 0:
        slow = sosfiltfilt(butter(2, [0.5, 4.0], btype="band", fs=fs, output="sos"), rng.normal(0.0, 1.0, n))
        x += slow / slow.std() * slow_mv
    return x.astype(np.float32), np.asarray(ends, float)
