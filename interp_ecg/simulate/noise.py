"""Recording noise, generated at the nine electrodes (RA, LA, LL, V1..V6).

Noise is made where it arises, at the electrodes, and turned into leads the way an ECG
machine does (:func:`interp_ecg.simulate.leadfield.electrodes_to_leads`), so Einthoven's
and Goldberger's relations still hold in noisy records.

Components (``noise=`` a float scales all four; a dict sets each, missing keys 0):

* ``baseline``: baseline wander, a few sinusoids at 0.05-0.6 Hz (respiration, movement),
  ~0.15 mV at level 1;
* ``powerline``: 50 Hz interference (PTB-XL was recorded in Germany) with a small third
  harmonic, ~0.015 mV at level 1;
* ``emg``: muscle noise, band-limited (20-150 Hz) Gaussian noise with bursts, ~0.012 mV RMS at
  level 1, larger on the limb electrodes;
* ``electrode``: electrode-motion artefacts, steps with exponential recovery and slow bumps on
  one electrode, on average 0.4 events per 10 s at level 1.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.simulate.noise import noise_levels, electrode_noise
>>> noise_levels(0.5)
{'baseline': 0.5, 'powerline': 0.5, 'emg': 0.5, 'electrode': 0.5}
>>> electrode_noise(5000, 500.0, noise_levels(0), np.random.default_rng(0)) is None
True
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import signal as sps

from interp_ecg.errors import ConfigError

NOISE_KINDS = ("baseline", "powerline", "emg", "electrode")
_EMG_FILTERS: dict[float, tuple[np.ndarray, np.ndarray]] = {}


def noise_levels(noise: float | Mapping[str, float] | None) -> dict[str, float]:
    """Normalise a ``noise=`` argument to a dict of the four component levels."""
    if noise is None:
        return dict.fromkeys(NOISE_KINDS, 0.0)
    if isinstance(noise, Mapping):
        bad = set(noise) - set(NOISE_KINDS)
        if bad:
            raise ConfigError(f"unknown noise components {sorted(bad)}; use {list(NOISE_KINDS)}")
        out = {k: float(noise.get(k, 0.0)) for k in NOISE_KINDS}
    else:
        out = dict.fromkeys(NOISE_KINDS, float(noise))
    if any(v < 0 or not np.isfinite(v) for v in out.values()):
        raise ConfigError(f"noise levels must be finite and >= 0, got {out}")
    return out


def _emg_filter(fs: float) -> tuple[np.ndarray, np.ndarray]:
    if fs not in _EMG_FILTERS:
        hi = min(150.0, 0.45 * fs)
        lo = min(20.0, hi / 2)
        _EMG_FILTERS[fs] = sps.butter(2, [lo, hi], btype="bandpass", fs=fs)
    return _EMG_FILTERS[fs]


def electrode_noise(
    n_samples: int, fs: float, levels: Mapping[str, float], rng: np.random.Generator
) -> np.ndarray | None:
    """Noise potentials ``(9, n_samples)`` in mV at RA, LA, LL, V1..V6 (None when all levels are 0)."""
    if not any(levels.values()):
        return None
    t = np.arange(n_samples) / fs
    out = np.zeros((9, n_samples))
    lv = levels.get("baseline", 0.0)
    if lv > 0:
        k = 3
        f = rng.uniform(0.05, 0.6, (9, k))
        ph = rng.uniform(0, 2 * np.pi, (9, k))
        a = rng.uniform(0.02, 0.1, (9, k)) * lv
        # slow: evaluate on a 20 Hz grid and interpolate linearly (error < 0.1 uV)
        step = max(int(fs // 20), 1)
        tc = t[::step]
        if tc[-1] < t[-1]:
            tc = np.append(tc, t[-1])
        coarse = np.einsum("ek,ekt->et", a, np.sin(2 * np.pi * f[:, :, None] * tc + ph[:, :, None]))
        for e in range(9):
            out[e] += np.interp(t, tc, coarse[e])
    lv = levels.get("powerline", 0.0)
    if lv > 0 and fs > 100:
        amp = rng.uniform(0.5, 1.5, 9) * 0.015 * lv
        ph = rng.uniform(0, 2 * np.pi, 9)
        ph3 = rng.uniform(0, 2 * np.pi, 9)
        # a sin(wt + p) = a cos(p) sin(wt) + a sin(p) cos(wt): two base waves for all electrodes
        w = 2 * np.pi * 50.0 * t
        out += np.outer(amp * np.cos(ph), np.sin(w)) + np.outer(amp * np.sin(ph), np.cos(w))
        if fs > 300:
            a3 = 0.2 * amp
            out += np.outer(a3 * np.cos(ph3), np.sin(3 * w)) + np.outer(a3 * np.sin(ph3), np.cos(3 * w))
    lv = levels.get("emg", 0.0)
    if lv > 0:
        b, a_ = _emg_filter(fs)
        w = sps.lfilter(b, a_, rng.standard_normal((9, n_samples)), axis=1)
        w /= w.std(axis=1, keepdims=True) + 1e-12
        scale = np.array([1.6, 1.6, 1.6, 1, 1, 1, 1, 1, 1]) * 0.012 * lv
        env = np.ones(n_samples)
        for _ in range(rng.poisson(1.0)):  # muscle bursts
            c, d = rng.uniform(0, t[-1]), rng.uniform(0.3, 1.5)
            env = env + rng.uniform(1, 4) * np.exp(-0.5 * ((t - c) / d) ** 2)
        out += scale[:, None] * w * env[None, :]
    lv = levels.get("electrode", 0.0)
    if lv > 0:
        for _ in range(rng.poisson(0.4 * lv)):
            e = rng.integers(0, 9)
            t0 = rng.uniform(0, t[-1])
            tau = rng.uniform(0.2, 1.0)
            step = rng.normal(0, 0.4)
            after = t >= t0
            out[e, after] += step * np.exp(-(t[after] - t0) / tau)
            out[e] += rng.normal(0, 0.2) * np.exp(-0.5 * ((t - t0 - rng.uniform(0.2, 1)) / rng.uniform(0.1, 0.4)) ** 2)
    return out
