"""Zero-phase filters applied to all leads at once.

The delineator works on three views of the record, all computed in one call over the
``(n_leads, n_samples)`` array: a baseline-free broadband signal (0.5-40 Hz) for the QRS,
a smoother one (0.5-15 Hz) for P and T, and a QRS-emphasising band (8-30 Hz) for beat
detection. Butterworth second-order sections run forwards and backwards
(:func:`scipy.signal.sosfiltfilt`), so no phase shift moves the fiducial points.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.features.delineation.filters import bandpass, central_slope
>>> x = np.sin(2 * np.pi * 10 * np.arange(1000) / 500)[None, :].astype("float32")
>>> y = bandpass(x, 500, 5, 20)
>>> y.shape, bool(abs(y[0, 200:800]).max() > 0.9)
((1, 1000), True)
>>> central_slope(np.arange(10.0)[None, :], 2)[0, 2:8].tolist()
[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np
from scipy import signal as sps


@lru_cache(maxsize=64)
def _sos(fs: float, low: float | None, high: float | None, order: int) -> np.ndarray:
    nyq = fs / 2.0
    if low is not None and high is not None and high < nyq:
        return sps.butter(order, [low / nyq, high / nyq], btype="bandpass", output="sos")
    if low is not None:
        return sps.butter(order, low / nyq, btype="highpass", output="sos")
    return sps.butter(order, min(high, 0.95 * nyq) / nyq, btype="lowpass", output="sos")


def bandpass(x: np.ndarray, fs: float, low: float | None, high: float | None,
             order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth filter along the last axis (all leads in one call).

    Parameters
    ----------
    x : ndarray, shape (n_leads, n_samples)
    fs : float
        Sampling rate in Hz.
    low, high : float or None
        Cut-offs in Hz; ``None`` for a pure low- or high-pass. A ``high`` at or above the
        Nyquist frequency is ignored.
    order : int
        Order of the Butterworth design (doubled by the forward-backward pass).
    """
    if high is not None and high >= fs / 2.0:
        high = None
    if low is None and high is None:
        return np.asarray(x, dtype=np.float64)
    sos, zi = _design(float(fs), low, high, order)
    x = np.asarray(x, dtype=np.float64)
    padlen = min(x.shape[-1] - 1, 3 * (2 * len(sos) + 1) * 4)
    return _sosfiltfilt(sos, zi, x, padlen)


@lru_cache(maxsize=64)
def _design(fs: float, low: float | None, high: float | None, order: int
            ) -> tuple[np.ndarray, np.ndarray]:
    """The filter's sections and their steady-state initial conditions, designed once."""
    sos = _sos(fs, low, high, order)
    zi = sps.sosfilt_zi(sos)
    zi.setflags(write=False)
    return sos, zi


def _sosfiltfilt(sos: np.ndarray, zi: np.ndarray, x: np.ndarray, padlen: int) -> np.ndarray:
    """``scipy.signal.sosfiltfilt(sos, x, axis=-1, padtype="odd", padlen=padlen)``, step for
    step (the same odd extension, initial conditions and passes, so the same result to the
    last bit; ``tests/test_delineation_filters.py`` checks it), with ``zi =
    sosfilt_zi(sos)`` computed once per design instead of on every call (a tenth of the
    time of a 10 s, 12-lead record), and returned C-contiguous (the reversed view the
    backward pass leaves makes every later operation on it slower)."""
    n = x.shape[-1]
    if n <= padlen:
        raise ValueError(f"The length of the input vector x must be greater than padlen, "
                         f"which is {padlen}.")
    if padlen > 0:
        left = 2 * x[..., :1] - x[..., padlen:0:-1]
        right = 2 * x[..., -1:] - x[..., -2:-(padlen + 2):-1]
        ext = np.concatenate((left, x, right), axis=-1)
    else:
        ext = x
    zi = zi.reshape([zi.shape[0]] + [1] * (x.ndim - 1) + [2])
    y, _ = sps.sosfilt(sos, ext, axis=-1, zi=zi * ext[..., :1])
    y, _ = sps.sosfilt(sos, y[..., ::-1], axis=-1, zi=zi * y[..., -1:])
    y = y[..., ::-1]
    if padlen > 0:
        y = y[..., padlen:-padlen]
    return np.ascontiguousarray(y)


def central_slope(x: np.ndarray, k: int) -> np.ndarray:
    """Central difference ``(x[i+k] - x[i-k]) / (2k)``, edges padded with the nearest value.

    With a prior low-pass this is the discrete analogue of the quadratic-spline wavelet
    transform at one scale used by Martinez et al. (2004): its extrema are the steepest
    slopes of a wave and its zero crossings the wave's peaks.
    """
    k = max(int(k), 1)
    d = np.empty_like(x, dtype=np.float64)
    d[..., k:-k] = (x[..., 2 * k:] - x[..., :-2 * k]) / (2.0 * k)
    d[..., :k] = d[..., k:k + 1]
    d[..., -k:] = d[..., -k - 1:-k]
    return d


def moving_average(x: np.ndarray, width: int) -> np.ndarray:
    """Centred moving average along the last axis (same length as ``x``)."""
    width = max(int(width), 1)
    if width == 1:
        return np.asarray(x, dtype=np.float64)
    c = np.cumsum(np.pad(np.asarray(x, dtype=np.float64), [(0, 0)] * (x.ndim - 1)
                         + [(width // 2 + 1, width - width // 2 - 1)], mode="edge"), axis=-1)
    return (c[..., width:] - c[..., :-width]) / width


def internal_ratio(fs: float, internal_fs: float, native_min_fs: float | None = None,
                   native_max_fs: float | None = None) -> Fraction:
    """Resampling ratio (internal rate / record rate) at which a record is delineated.

    The delineator's thresholds were chosen at ``internal_fs`` (500 Hz), and its rules act
    on whole samples of the signal they see (a threshold crossing is taken at the first
    whole sample past it, slope spans and search windows are rounded to whole samples), so
    a record at another rate is resampled to ``internal_fs`` itself: its fiducials are then
    those of the same record at 500 Hz, divided back by the ratio to (fractional) sample
    indices of the record. A record sampled in ``[native_min_fs, native_max_fs]`` keeps its
    own rate (ratio 1); so does every record when ``internal_fs`` is 0. The ratio is
    reduced to small integers (denominator at most 1000), so ``fs x ratio`` is
    ``internal_fs`` within 0.1 % for any rate.

    Parameters
    ----------
    fs : float
        The record's sampling rate in Hz.
    internal_fs : float
        The rate the delineator works at (Hz); 0 turns resampling off.
    native_min_fs, native_max_fs : float, optional
        The range of rates delineated at their own rate (default: ``internal_fs`` alone).

    Returns
    -------
    fractions.Fraction
        ``up / down``: the record is resampled by ``up / down``.

    Examples
    --------
    >>> from interp_ecg.features.delineation.filters import internal_ratio
    >>> [str(internal_ratio(f, 500.0)) for f in (100, 128, 250, 360, 500, 1000)]
    ['5', '125/32', '2', '25/18', '1', '1/2']
    >>> [str(internal_ratio(f, 500.0, 250.0, 2000.0)) for f in (100, 200, 250, 1000)]
    ['5', '5/2', '1', '1']
    >>> internal_ratio(100, 0)
    Fraction(1, 1)
    """
    lo = internal_fs if native_min_fs is None else native_min_fs
    hi = internal_fs if native_max_fs is None else native_max_fs
    if not internal_fs or lo <= fs <= hi:
        return Fraction(1)
    return Fraction(float(internal_fs) / float(fs)).limit_denominator(1000)


def upsample(x: np.ndarray, factor: int | Fraction) -> np.ndarray:
    """Band-limited resampling by ``factor`` (an integer or a ratio) along the last axis.

    Polyphase FIR resampling (:func:`scipy.signal.resample_poly`, Kaiser window; the
    signal is extended by a fitted line at both ends so that the record edges do not ring).
    Sample ``i`` of ``x`` is at position ``i * factor`` of the output, which has
    ``ceil(n_samples * factor)`` samples. ``x`` must be finite. A factor below 1
    downsamples (the FIR's low-pass at the new Nyquist frequency removes what it cannot
    hold; an ECG's band ends far below 250 Hz).

    Examples
    --------
    >>> from interp_ecg.features.delineation.filters import upsample
    >>> import numpy as np
    >>> from fractions import Fraction
    >>> t = np.arange(100) / 100.0
    >>> x = np.sin(2 * np.pi * 5 * t)[None, :]
    >>> y = upsample(x, 5)
    >>> y.shape, bool(np.abs(y[0, ::5][10:90] - x[0, 10:90]).max() < 1e-2)
    ((1, 500), True)
    >>> upsample(x, Fraction(5, 2)).shape
    (1, 250)
    """
    factor = Fraction(factor)
    if factor == 1:
        return np.asarray(x, dtype=np.float64)
    return sps.resample_poly(np.asarray(x, dtype=np.float64), factor.numerator,
                             factor.denominator, axis=-1, padtype="line")
