"""Multi-lead QRS detection on one combined slope envelope.

All usable leads are band-passed to the QRS band (8-30 Hz) in one call; each lead's
absolute slope is scaled by its own robust maximum, so that a large lead does not drown a
small one; the scaled slopes are averaged over leads and smoothed over 80 ms. QRS complexes
are the peaks of this envelope above an adaptive threshold, with a 250 ms refractory period
and the T-wave discrimination rule of Pan & Tompkins (1985): a candidate within 360 ms of the
previous beat is kept only if its envelope reaches half of that beat's.

References
----------
Pan J, Tompkins WJ. A real-time QRS detection algorithm. IEEE Trans Biomed Eng
32(3):230-236, 1985.
Martinez JP, Almeida R, Olmos S, Rocha AP, Laguna P. A wavelet-based ECG delineator:
evaluation on standard databases. IEEE Trans Biomed Eng 51(4):570-581, 2004.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.features.delineation.qrs import detect_qrs
>>> fs = 500
>>> x = np.zeros((2, 5000))
>>> beats = np.arange(250, 5000, 500)
>>> for b in beats:
...     x[:, b - 10:b + 10] += np.hanning(20)
>>> r = detect_qrs(x, fs)
>>> bool(np.all(np.abs(r - beats) <= 3)), len(r)
(True, 10)
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from interp_ecg.features.delineation.filters import bandpass, moving_average
from interp_ecg.features.delineation.params import Params

#: Fraction of the reference envelope height a QRS must reach (``Params.qrs_threshold``).
THRESHOLD = Params().qrs_threshold


def qrs_envelope(x: np.ndarray, fs: float, usable: np.ndarray | None = None) -> np.ndarray:
    """Combined multi-lead QRS envelope, shape ``(n_samples,)``.

    Parameters
    ----------
    x : ndarray, shape (n_leads, n_samples)
        Raw or baseline-free signal in mV.
    fs : float
        Sampling rate in Hz.
    usable : ndarray of bool, optional
        Leads to use; all leads when omitted.
    """
    if usable is not None:
        x = x[np.asarray(usable, dtype=bool)]
    band = bandpass(x, fs, 8.0, 30.0)
    slope = np.abs(np.gradient(band, axis=-1))
    scale = np.percentile(slope, 99.0, axis=-1, keepdims=True)
    scale[scale <= 0] = 1.0
    combined = np.mean(np.minimum(slope / scale, 3.0), axis=0)
    return moving_average(combined, int(round(0.08 * fs)))


def edge_peak_contained(env: np.ndarray, cand: np.ndarray, fs: float,
                        p: Params | None = None) -> np.ndarray:
    """Whether each envelope peak lies far enough from the record edges to be measured.

    Within ``Params.edge_guard_s`` of the first or last sample the envelope is made of the
    filters' edge transient and of the padding that repeats the edge value (its 80 ms
    smoothing reaches 40 ms past the edge), so a complex cut by the edge leaves a "peak"
    there whatever its true centre: an R wave still rising at the last sample, or the S
    wave of a complex that began before the first. Such a peak is no beat: its anchor (from
    which RR intervals are measured) would be the edge sample, not the complex. A complex
    whose envelope peak lies further inside stays a beat even when the edge cuts it (its
    boundaries beyond the edge are NaN and the beat is flagged). Returns a bool array
    shaped like ``cand``.

    Examples
    --------
    >>> import numpy as np
    >>> env = np.r_[np.zeros(480), np.linspace(0, 1, 19), 0.9]   # peak 2 ms from the end
    >>> edge_peak_contained(env, np.array([498]), 500.0).tolist()
    [False]
    >>> edge_peak_contained(np.r_[np.zeros(460), np.hanning(40)], np.array([480]), 500.0).tolist()
    [True]
    """
    p = p or Params()
    cand = np.asarray(cand, dtype=np.int64)
    g = int(round(p.edge_guard_s * fs))
    return (cand >= g) & (cand <= env.size - 1 - g)


def detect_qrs(x: np.ndarray, fs: float, usable: np.ndarray | None = None,
               p: Params | None = None) -> np.ndarray:
    """Sample indices of the QRS complexes (envelope maxima), sorted.

    Parameters
    ----------
    x : ndarray, shape (n_leads, n_samples)
        Signal in mV.
    fs : float
        Sampling rate in Hz.
    usable : ndarray of bool, optional
        Leads to use for detection.
    p : Params, optional
        ``qrs_threshold``, ``qrs_refractory_s``, ``t_discrimination_s``,
        ``t_discrimination_ratio``, ``slowest_bpm`` and ``edge_guard_s`` are used
        (a complex cut by the record edge before its centre is no beat:
        :func:`edge_peak_contained`).

    Returns
    -------
    ndarray of int
        Empty when no QRS complex stands out of the envelope.
    """
    p = p or Params()
    env = qrs_envelope(x, fs, usable)
    cand, props = find_peaks(env, distance=max(int(p.qrs_refractory_s * fs), 1), height=0)
    h = props["peak_heights"]
    keep_edge = edge_peak_contained(env, cand, fs, p)
    cand, h = cand[keep_edge], h[keep_edge]
    if cand.size == 0:
        return cand
    # reference: median of the tallest peaks expected at the slowest rate over the record
    n_expect = max(2, int(env.size / fs * p.slowest_bpm / 60 * 0.8))
    ref = np.median(np.sort(h)[::-1][:n_expect])
    if ref <= 0:
        return np.array([], dtype=int)
    keep = cand[h >= p.qrs_threshold * ref]
    hk = h[h >= p.qrs_threshold * ref]
    near = p.t_discrimination_s * fs
    ratio = p.t_discrimination_ratio
    out: list[int] = []
    out_h: list[float] = []
    for c, hc in zip(keep, hk):
        if out and c - out[-1] < near and hc < ratio * out_h[-1]:
            continue  # likely a T wave
        if out and c - out[-1] < near and out_h[-1] < ratio * hc:
            out[-1], out_h[-1] = int(c), float(hc)  # previous was the T wave of an earlier beat
            continue
        out.append(int(c))
        out_h.append(float(hc))
    return np.asarray(out, dtype=int)
