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
