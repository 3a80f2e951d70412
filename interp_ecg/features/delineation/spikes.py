"""Pacemaker spikes inside :func:`~interp_ecg.features.delineation.delineate`.

A pacing spike left in the signal is the steepest deflection of its beat, so the QRS onset
lands on it: 20-40 ms before the cardiac complex where cardiologists mark the onset (LUDB's
paced records). :func:`strip_spikes` finds the spikes with
:func:`interp_ecg.features.pacing.detect_pacing_spikes`: the large spikes that
``features.extract`` strips too, and impulses of any height (small ones, as at 250 Hz and in
bipolar pacing) that stand at a fixed lag before the QRS complexes the detector found
(:func:`~interp_ecg.features.pacing.detect_time_locked_spikes`); and replaces them by
straight lines (:func:`~interp_ecg.features.pacing.remove_pacing_spikes`).
A signal already stripped (``features.extract`` strips before delineating) has no spike
left, so stripping twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from interp_ecg.features.pacing import detect_pacing_spikes, remove_pacing_spikes


def strip_spikes(x: np.ndarray, fs: float, leads: Sequence[str],
                 qrs_peaks: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """The signal without its pacemaker spikes, and the spikes.

    Parameters
    ----------
    x : numpy.ndarray
        ``(n_leads, n_samples)`` in mV at ``fs`` (non-finite samples allowed).
    fs : float
        Sampling rate of ``x`` (Hz).
    leads : sequence of str
        Lead names.
    qrs_peaks : numpy.ndarray
        QRS detector peaks in (possibly fractional) samples of ``x``.

    Returns
    -------
    x : numpy.ndarray
        ``x`` itself when no spike is found, else a copy with the spikes interpolated.
    spikes : pandas.DataFrame
        :func:`~interp_ecg.features.pacing.detect_pacing_spikes`'s table.
    """
    spikes = detect_pacing_spikes(x, fs, leads, qrs_peaks=np.asarray(qrs_peaks, float))
    if spikes.empty:
        return x, spikes
    return remove_pacing_spikes(x, fs, spikes), spikes


def onsets_after_spikes(on: np.ndarray, ref: np.ndarray, spike_ends: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Wave onsets moved to the end of the pacing spike found between them and their peak.

    A paced complex (QRS after a ventricular spike, P after an atrial one) cannot start
    before its stimulus. After the spike is replaced by a straight line, its recharge tail
    (a few ms of undershoot after the pulse) and the band filters of the onset search still
    pull the onset 10-36 ms before the spike, onto flat baseline (PTB-XL 143, 190, 385, 498;
    LUDB 34, 45, 72, 104). An onset found before the end of the last spike that ends
    before the wave's reference sample (its peak) is therefore moved to that spike's last
    changed sample. A pseudo-fusion beat (the pulse delivered after the intrinsic complex
    has begun) would be moved too (stated limit).

    Parameters
    ----------
    on : numpy.ndarray
        Onsets, ``(..., n_beats)`` in samples (NaN where none).
    ref : numpy.ndarray
        The waves' reference samples (peaks), broadcastable to ``on``; NaN skips the beat.
    spike_ends : numpy.ndarray
        Last changed sample of each spike, same sample grid as ``on``.

    Returns
    -------
    on : numpy.ndarray
        A copy of ``on`` with the moved onsets.
    moved : numpy.ndarray
        Bool, same shape as ``on``: True where the onset was moved.

    Examples
    --------
    >>> import numpy as np
    >>> on, moved = onsets_after_spikes(np.array([90., 120.]), np.array([130., 160.]),
    ...                                 np.array([100.]))
    >>> on.tolist(), moved.tolist()
    ([100.0, 120.0], [True, False])
    """
    on = np.array(on, dtype=float, copy=True)
    ref = np.broadcast_to(np.asarray(ref, dtype=float), on.shape)
    ends = np.sort(np.asarray(spike_ends, dtype=float))
    moved = np.zeros(on.shape, bool)
    if ends.size == 0:
        return on, moved
    # the last spike ending before each reference sample
    k = np.searchsorted(ends, np.where(np.isfinite(ref), ref, -np.inf), side="left") - 1
    end = np.where(k >= 0, ends[np.clip(k, 0, None)], np.nan)
    with np.errstate(invalid="ignore"):
        moved = np.isfinite(on) & np.isfinite(end) & (on < end)
    on[moved] = end[moved]
    return on, moved
