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
    >>> from interp_ecg.features.delineation.spikes import onsets_after_spikes
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


def onsets_after_recharge(on: np.ndarray, on_global: np.ndarray, ref: np.ndarray,
                          spike_end: np.ndarray, slope: np.ndarray, usable: np.ndarray,
                          fs: float, sig: float, frac: float, tail_max_s: float,
                          level: np.ndarray | None = None, iso_mv: float = np.inf
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Paced QRS onsets at the first myocardial deflection after the spike's recharge tail.

    The QRS onset is the onset of ventricular depolarisation. After a pacing stimulus the
    surface ECG shows the pulse, then the pulse's recharge tail (an exponential return of
    the output capacitor, a few ms) and, during the stimulus-to-QRS latency (normally up to
    ~40 ms), the isoelectric line; neither the tail nor the latency is depolarisation.
    Once the pulse is replaced by a straight line, the tail is still the first slope after
    it, so the slope rule (Martinez et al. 2004: search back from the complex's first
    significant slope until the slope falls below ``frac`` of its largest) ran on through
    the latency onto the tail and the onset landed on the spike's end (simulated pacing
    with a 20 ms latency: every onset 16 ms early at 500 Hz).

    Per lead and paced beat (the last spike ending before the beat's reference sample),
    with ``s`` the lead's slope magnitude from the spike's end ``e`` to the reference:
    the tail ends at ``t0``, the flattest sample (smallest ``s``) within ``tail_max_s`` of
    ``e``; the onset is then searched with the slope rule on ``[t0, ref]`` only: the last
    sample before the first slope at or above ``sig`` x the largest slope of ``[t0, ref]``
    whose slope is below ``frac`` x that largest slope (``t0`` when none). Only an onset
    found before ``t0`` is replaced (one found later already lies after the tail). The
    consensus onset is moved to the earliest usable lead's new onset where it lies before
    every usable lead's ``t0``. Without ``level``, a complex that begins during the tail
    (latency shorter than the tail) gets an onset at the tail's end, up to ``tail_max_s``
    late; with it (as ``delineate`` calls it), such a lead keeps its onset (see ``level``).
    Stated limits: a long tail not yet back within ``iso_mv`` reads as a complex begun
    during it (the onset stays at the spike's end, as without this function); spikes not
    found (bipolar pacing, many 250 Hz records) are not helped.

    Parameters
    ----------
    on : numpy.ndarray
        Per-lead onsets ``(n_leads, n_beats)``, samples of ``slope`` (NaN where none).
    on_global : numpy.ndarray
        Consensus onsets ``(n_beats,)``.
    ref : numpy.ndarray
        The beats' reference samples (R peaks), ``(n_beats,)``.
    spike_end : numpy.ndarray
        Last changed sample of each spike, sorted, samples of ``slope``.
    slope : numpy.ndarray
        ``(n_leads, n_samples)`` slope of the QRS-band signal (any unit per sample).
    usable : numpy.ndarray
        Bool ``(n_leads,)``: leads that report.
    fs : float
        Sampling rate of ``slope`` (Hz).
    sig, frac : float
        Shares of the largest slope that make a slope significant / end the onset search
        (``Params.qrs_sig``, ``Params.qrs_on``).
    tail_max_s : float
        Longest recharge tail followed (s).
    level : tuple of (numpy.ndarray, numpy.ndarray), optional
        ``(raw, pre)``: the ``(n_leads, n_samples)`` signal (mV) on the grid of ``slope``,
        and for each spike (same order as ``spike_end``) the sample just before it. With
        it, a lead's new onset stands only where the lead is back at its pre-spike level
        there (within ``iso_mv``): an isoelectric latency. A lead already away from it has
        a complex that began during the tail, so its onset stays, and so does the
        consensus onset unless most leads with a new onset show the latency.
    iso_mv : float
        Largest distance from the pre-spike level that still counts as isoelectric (mV).

    Returns
    -------
    on, on_global : numpy.ndarray
        Copies with the re-searched onsets.
    moved, moved_global : numpy.ndarray
        Bool masks of the onsets replaced.

    Examples
    --------
    >>> from interp_ecg.features.delineation.spikes import onsets_after_recharge
    >>> import numpy as np
    >>> x = np.zeros((1, 200))
    >>> x[0, 100:] = -0.3 * np.exp(-np.arange(100) / 2.0)      # recharge tail after 99
    >>> x[0, 120:140] += np.linspace(0.0, 2.0, 20)               # complex from 120
    >>> x[0, 140:] += 2.0
    >>> s = np.gradient(x, axis=1)
    >>> on, g, m, mg = onsets_after_recharge(np.array([[99.0]]), np.array([99.0]),
    ...                                      np.array([150.0]), np.array([99.0]), s,
    ...                                      np.array([True]), 500.0, 0.2, 0.03, 0.02)
    >>> int(on[0, 0]), int(g[0]), bool(m[0, 0])
    (119, 119, True)
    """
    on = np.array(on, dtype=float, copy=True)
    on_global = np.array(on_global, dtype=float, copy=True)
    moved = np.zeros(on.shape, bool)
    moved_g = np.zeros(on_global.shape, bool)
    ends = np.asarray(spike_end, dtype=float)
    order = np.argsort(ends, kind="stable")
    ends = ends[order]
    ref = np.asarray(ref, dtype=float)
    if ends.size == 0:
        return on, on_global, moved, moved_g
    raw, pre = (None, None) if level is None else (level[0], np.asarray(level[1])[order])
    n = slope.shape[1]
    tail_max = max(int(round(tail_max_s * fs)), 1)
    use = np.flatnonzero(np.asarray(usable, bool))
    k = np.searchsorted(ends, np.where(np.isfinite(ref), ref, -np.inf), side="left") - 1
    for j in np.flatnonzero(k >= 0):
        e = int(np.ceil(ends[k[j]]))
        stop = min(int(np.floor(ref[j])), n - 1)
        if stop - e < 2:
            continue
        t0s, news, stays = [], [], 0
        for lead in use:
            s = np.abs(slope[lead, e:stop + 1])
            if not np.isfinite(s).all():
                continue
            # the tail's end: the flattest slope after the tail's steepest one, within
            # tail_max_s of the spike's end
            top = int(np.argmax(s[:tail_max // 2 + 1]))
            t0 = top + int(np.argmin(s[top:tail_max + 1]))
            big = s[t0:].max()
            if big <= 0:
                continue
            first = np.flatnonzero(s[t0:] >= sig * big)
            if not first.size:
                continue
            k1 = t0 + int(first[0])
            quiet = np.flatnonzero(s[t0:k1 + 1] < frac * big)
            new = e + (t0 + int(quiet[-1]) if quiet.size else t0)
            if raw is not None:
                b = int(np.clip(pre[k[j]], 0, n - 1))
                if not abs(raw[lead, new] - raw[lead, b]) <= iso_mv:
                    stays += 1
                    continue
            t0s.append(e + t0)
            news.append(new)
            if np.isfinite(on[lead, j]) and on[lead, j] < e + t0:
                on[lead, j] = new
                moved[lead, j] = True
        # the consensus onset moves when most leads show an isoelectric latency
        if news and 2 * stays < stays + len(news) and np.isfinite(on_global[j]) \
                and on_global[j] < min(t0s):
            on_global[j] = float(min(news))
            moved_g[j] = True
    return on, on_global, moved, moved_g
