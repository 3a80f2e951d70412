"""RR processes: when beats happen.

* Sinus rhythm: RR intervals modulated by respiratory sinus arrhythmia (0.15-0.4 Hz, the
  high-frequency HRV band), Mayer waves (~0.1 Hz, the low-frequency band) and a slow AR(1)
  drift, all scaled down with age and heart rate as in real recordings.
* Atrial fibrillation: independent, irregular RR intervals (log-normal, coefficient of
  variation 0.15-0.3, with a refractory minimum), no sinus P.
* Regular tachycardias (VT, SVT): nearly fixed RR (coefficient of variation ~1 %).

All functions return beat times in seconds covering ``[-lead_in, duration + lead_out]`` so
that waves straddling the record's edges are drawn and cut like in a real recording.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.simulate.rhythm import sinus_times
>>> t = sinus_times(75.0, 10.0, np.random.default_rng(0))
>>> bool(55 < 60 / np.diff(t).mean() < 95)
True
"""

from __future__ import annotations

import numpy as np

LEAD_IN = 1.2
LEAD_OUT = 1.2


def sinus_times(
    hr: float,
    duration: float,
    rng: np.random.Generator,
    resp_amp: float = 0.03,
    mayer_amp: float = 0.015,
    drift_sd: float = 0.01,
) -> np.ndarray:
    """Beat times of a sinus rhythm at mean rate ``hr`` (bpm) with physiological HRV."""
    rr0 = 60.0 / hr
    f_resp = rng.uniform(0.15, 0.4)
    f_mayer = rng.uniform(0.08, 0.12)
    ph1, ph2 = rng.uniform(0, 2 * np.pi, 2)
    n_max = int((duration + LEAD_IN + LEAD_OUT) / (rr0 * 0.6)) + 4
    drift = np.empty(n_max)
    e = rng.normal(0, drift_sd)
    innov = rng.normal(0, drift_sd * np.sqrt(1 - 0.8**2), n_max)
    for i in range(n_max):  # over beats (a dozen), never over samples
        e = 0.8 * e + innov[i]
        drift[i] = e
    t = [-LEAD_IN - rng.uniform(0, rr0)]
    i = 0
    while t[-1] < duration + LEAD_OUT and i < n_max:
        tt = t[-1]
        rr = rr0 * (1 + resp_amp * np.sin(2 * np.pi * f_resp * tt + ph1)
                    + mayer_amp * np.sin(2 * np.pi * f_mayer * tt + ph2) + drift[i])
        t.append(tt + max(rr, 0.25))
        i += 1
    return np.asarray(t)


def af_times(hr: float, duration: float, rng: np.random.Generator, cv: float | None = None) -> np.ndarray:
    """Ventricular beat times in atrial fibrillation: irregularly irregular RR intervals."""
    rr0 = 60.0 / hr
    cv = rng.uniform(0.15, 0.3) if cv is None else cv
    sigma = np.sqrt(np.log(1 + cv**2))
    n = int((duration + LEAD_IN + LEAD_OUT) / (rr0 * 0.5)) + 4
    rr = rr0 * np.exp(rng.normal(-sigma**2 / 2, sigma, n))
    rr = np.maximum(rr, 0.28)
    t = -LEAD_IN - rng.uniform(0, rr0) + np.concatenate([[0.0], np.cumsum(rr)])
    return t[: np.searchsorted(t, duration + LEAD_OUT) + 1]


def regular_times(hr: float, duration: float, rng: np.random.Generator, cv: float = 0.01) -> np.ndarray:
    """Beat times of a regular tachycardia (VT, SVT): RR nearly constant."""
    rr0 = 60.0 / hr
    n = int((duration + LEAD_IN + LEAD_OUT) / rr0) + 4
    rr = rr0 * (1 + rng.normal(0, cv, n))
    t = -LEAD_IN - rng.uniform(0, rr0) + np.concatenate([[0.0], np.cumsum(rr)])
    return t[: np.searchsorted(t, duration + LEAD_OUT) + 1]


def hrv_amplitudes(age: float, hr: float) -> tuple[float, float]:
    """Respiratory and Mayer-wave RR modulation depths, smaller with age and at high rates."""
    age_f = np.clip(1.6 - age / 60.0, 0.3, 1.4)
    rate_f = np.clip(75.0 / hr, 0.3, 1.5) ** 1.5
    return 0.045 * age_f * rate_f, 0.025 * age_f * rate_f
