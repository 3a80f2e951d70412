"""Per-lead usability checks for the delineator: flat, noisy or non-finite leads.

A lead that is flat (no signal), dominated by high-frequency noise, or carries NaN/inf is
excluded from QRS detection and from the multi-lead consensus, so it cannot poison the
global fiducial points. Its per-lead rows are still returned, with the reason.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.features.delineation.leadcheck import lead_status
>>> rng = np.random.default_rng(0)
>>> t = np.arange(5000) / 500
>>> good = np.sin(2 * np.pi * 1.2 * t) + 0.01 * rng.standard_normal(5000)
>>> x = np.vstack([good, np.zeros(5000), rng.standard_normal(5000)])
>>> lead_status(x, 500)
['ok', 'flat lead', 'noisy lead']
"""

from __future__ import annotations

import numpy as np

from interp_ecg.features.delineation.filters import bandpass

#: Peak-to-peak amplitude (mV) below which a lead carries no usable ECG.
FLAT_MV = 0.02
#: Robust SD of the >45 Hz residue, as a fraction of the lead's 0.5-45 Hz peak-to-peak
#: amplitude, above which a lead is called noisy (LUDB leads stay below 0.08).
NOISE_RATIO = 0.15


def lead_status(x: np.ndarray, fs: float, low: np.ndarray | None = None) -> list[str]:
    """Return ``"ok"`` or the reason a lead is unusable, for every lead.

    Parameters
    ----------
    x : ndarray, shape (n_leads, n_samples)
        Signal in mV.
    fs : float
        Sampling rate in Hz.
    low : ndarray, optional
        The signal already band-passed to about 0.5-40 Hz (saves one filter pass).
    """
    x = np.asarray(x, dtype=np.float64)
    fin = np.isfinite(x)
    finite = fin.all(axis=1)
    xs = x if finite.all() else np.where(fin, x, 0.0)   # (not modified below)
    if low is None:
        low = bandpass(xs, fs, 0.5, 45.0)
    if fs / 2.0 > 50.0:
        high = bandpass(xs, fs, 45.0, None)
        noise = 1.4826 * np.median(np.abs(high), axis=1, overwrite_input=True)
    else:
        # at low sampling rates estimate noise from second differences instead
        noise = 1.4826 * np.median(np.abs(np.diff(xs, n=2, axis=1)), axis=1) / 2.0
    hi, lo = np.percentile(low, [99.5, 0.5], axis=1)   # one selection for both
    ptp = hi - lo
    out = []
    for i in range(x.shape[0]):
        if not finite[i]:
            out.append("non-finite samples")
        elif ptp[i] < FLAT_MV:
            out.append("flat lead")
        elif noise[i] > NOISE_RATIO * ptp[i]:
            out.append("noisy lead")
        else:
            out.append("ok")
    return out
