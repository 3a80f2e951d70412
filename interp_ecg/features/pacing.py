"""Pacemaker spikes: detection, removal before delineation, and the record's pacing flag.

A pacing pulse (0.1-1.5 ms, up to several mV at the skin for unipolar pacing, well under 1 mV
for bipolar pacing) reaches a diagnostic ECG sampled at 250-1000 Hz as a one- or two-sample
spike: a jump steeper than any wave of cardiac origin, followed within a few milliseconds by
the return to the baseline, in many leads at the same instant. Delineators take such a spike
for a QRS onset or for a beat of its own (a paced LBBB-like record then shows twice its rate,
"PVCs" and a wide complex tachycardia). Clinical programs mark the spikes with dedicated
hardware and measure the waves without them; this module does the same in software:

1. :func:`detect_pacing_spikes` finds, in every lead, *edges* whose slope is at least
   :data:`SLOPE_MIN_MV_PER_MS` (0.2 mV/ms; the steepest QRS upstrokes of LUDB and PTB-XL
   stay at or below it at 500 Hz) lasting at most :data:`EDGE_MAX_MS` (3 ms, at least one
   sample), rising by at least :data:`AMPLITUDE_MIN_MV` (0.25 mV), and followed within
   :data:`SPIKE_MAX_WIDTH_MS` (8 ms, at least two samples) by a return of at least
   :data:`RETURN_FRACTION` (60 %) of the rise, and towering at least :data:`ISOLATION_MIN`
   (20) times over the median sample-to-sample change of the 40 ms either side (muscle noise
   and electrode artefacts have steep edges too, but their neighbours jump as much). A spike is an instant at which at least
   :data:`MIN_LEADS` leads (2) show such an edge within :data:`COINCIDENCE_MS` (2 ms, at
   least one sample) of each other.
2. :func:`remove_pacing_spikes` replaces the samples of every spike (from the sample before
   the edge to the end of the return, in all leads) by a straight line, so the delineator
   sees the cardiac waves only; the spike samples are kept as their own output.
3. :func:`strip_pacing_spikes` does both (the feature pipeline's first step), and a record is
   flagged ``paced`` (:func:`pacing_summary`) when it has at least :data:`PACED_MIN_SPIKES` (2) spikes.

Sampling rate matters. The thresholds are in mV/ms and ms, so they mean the same at 250,
500 and 1000 Hz, but a real pulse of 0.5 ms is smeared and attenuated by the recorder's
anti-aliasing filter before it is sampled: at 250 Hz a spike that appears as a one-sample
jump of less than 0.8 mV (0.2 mV/ms over 4 ms) is not detected, and bipolar pacing spikes are
often invisible in 500 Hz exports too (LUDB records 90 and 111, say). An undetected spike
is left in the signal; the record is then not flagged ``paced`` (``paced`` False means "no
spike found", not "no pacemaker").

Examples
--------
>>> import numpy as np
>>> from interp_ecg.features.pacing import detect_pacing_spikes, remove_pacing_spikes
>>> x = np.zeros((3, 1000), dtype="float32")
>>> x[:, 400:402] += 2.0                      # a 4 ms, 2 mV spike at 500 Hz in 3 leads
>>> spikes = detect_pacing_spikes(x, 500)
>>> spikes[["sample", "n_leads"]].to_dict("records")
[{'sample': 400, 'n_leads': 3}]
>>> float(np.abs(remove_pacing_spikes(x, 500, spikes)).max())
0.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from interp_ecg.errors import ArgumentError

#: Smallest slope of a spike's leading edge (mV/ms).
SLOPE_MIN_MV_PER_MS = 0.2
#: Longest leading edge (ms); at least one sample interval.
EDGE_MAX_MS = 3.0
#: Smallest rise of the leading edge (mV).
AMPLITUDE_MIN_MV = 0.25
#: Longest time from the end of the leading edge to the return (ms); at least two samples.
SPIKE_MAX_WIDTH_MS = 8.0
#: Share of the rise that the signal must give back within SPIKE_MAX_WIDTH_MS.
RETURN_FRACTION = 0.6
#: A spike's rise over the median absolute sample-to-sample change within
#: ISOLATION_WINDOW_MS either side of it (dimensionless; real spikes 40-600, noise <= 15).
ISOLATION_MIN = 20.0
ISOLATION_WINDOW_MS = 40.0
#: Leads that must show the spike at (nearly) the same instant.
MIN_LEADS = 2
#: Largest offset between the leads' edges of one spike (ms); at least one sample.
COINCIDENCE_MS = 2.0
#: Spikes needed to flag a record as paced.
PACED_MIN_SPIKES = 2

SPIKE_COLUMNS = ("sample", "start", "end", "amplitude_mV", "n_leads", "lead")


def _lead_spikes(x: np.ndarray, fs: float) -> list[tuple[int, int, int, float]]:
    """Spikes of one lead: ``(first spike sample, first changed sample, last changed sample,
    signed rise in mV)``."""
    n = x.size
    if n < 4:
        return []
    dt_ms = 1000.0 / fs
    d = np.diff(x.astype(np.float64)) / dt_ms  # mV/ms between samples k and k+1
    edge_max = max(1, int(np.floor(EDGE_MAX_MS / dt_ms + 1e-9)))
    width = max(2, int(round(SPIKE_MAX_WIDTH_MS / dt_ms)))
    iso = max(2, int(round(ISOLATION_WINDOW_MS / dt_ms)))
    out = []
    for sign in (1.0, -1.0):
        steep = sign * d >= SLOPE_MIN_MV_PER_MS
        if not steep.any():
            continue
        idx = np.flatnonzero(steep)
        # runs of consecutive steep differences of this sign: one edge each
        breaks = np.flatnonzero(np.diff(idx) > 1)
        starts = np.r_[idx[0], idx[breaks + 1]]
        ends = np.r_[idx[breaks], idx[-1]]
        for j0, j1 in zip(starts, ends):
            if j1 - j0 + 1 > edge_max:
                continue
            base = float(x[j0])
            top_i = j1 + 1
            rise = sign * (float(x[top_i]) - base)
            if rise < AMPLITUDE_MIN_MV:
                continue
            seg_end = min(n, top_i + width + 1)
            seg = sign * (x[top_i:seg_end].astype(np.float64) - base)
            if seg.size < 2:
                continue
            # the return: the first sample after the top that is back within (1 - RETURN_FRACTION)
            back = np.flatnonzero(seg[1:] <= (1.0 - RETURN_FRACTION) * rise)
            if back.size == 0:
                continue
            ret = top_i + 1 + int(back[0])
            # the top may be a short plateau: take the extreme sample of the spike
            peak = float(seg[: back[0] + 1].max()) * sign
            # isolation: a pacing spike towers over the sample-to-sample activity around it
            # (EMG bursts and electrode noise do not: their neighbours jump as much)
            lo, hi = max(0, j0 - iso), min(d.size, ret + iso)
            around = np.r_[d[lo:j0], d[ret:hi]]
            level = float(np.median(np.abs(around))) * dt_ms if around.size else 0.0
            if rise < ISOLATION_MIN * level:
                continue
            out.append((int(j0 + 1), int(j0 + 1), int(ret), peak))
    return out


def _empty_spikes() -> pd.DataFrame:
    return pd.DataFrame({"sample": pd.Series(dtype=np.int64), "start": pd.Series(dtype=np.int64),
                         "end": pd.Series(dtype=np.int64), "amplitude_mV": pd.Series(dtype=float),
                         "n_leads": pd.Series(dtype=np.int64), "lead": pd.Series(dtype=object)})


def detect_pacing_spikes(
    signal: np.ndarray, fs: float, leads: Sequence[str] | None = None
) -> pd.DataFrame:
    """Find pacemaker spikes in a multi-lead ECG.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV (finite).
    fs : float
        Sampling rate (Hz).
    leads : sequence of str, optional
        Lead names (for the ``lead`` column); default ``"0", "1", ...``.

    Returns
    -------
    pandas.DataFrame
        One row per spike, in time order: ``sample`` (first sample of the spike, the pacing
        instant), ``start`` / ``end`` (first and last sample the spike changed, over all
        leads that show it), ``amplitude_mV`` (signed height of the spike in the lead where
        it is largest), ``n_leads`` (leads that show it) and ``lead`` (that largest lead).

    Notes
    -----
    The criteria (module constants, in mV/ms and ms) are described in the module
    docstring. At 250 Hz spikes smaller than about 0.8 mV are not found.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((2, 500)); x[:, 100] = -1.5
    >>> detect_pacing_spikes(x, 250)["sample"].tolist()
    [100]
    """
    x = np.asarray(signal)
    if x.ndim != 2:
        raise ArgumentError(f"signal must be 2-D (n_leads, n_samples), got shape {x.shape}")
    names = [str(i) for i in range(x.shape[0])] if leads is None else [str(v) for v in leads]
    per = []
    for li in range(x.shape[0]):
        for s, a, b, amp in _lead_spikes(x[li], float(fs)):
            per.append((s, a, b, amp, li))
    if not per:
        return _empty_spikes()
    per.sort()
    tol = max(1, int(round(COINCIDENCE_MS * fs / 1000.0)))
    rows = []
    group = [per[0]]

    def flush(g):
        lead_set = {p[4] for p in g}
        if len(lead_set) < MIN_LEADS:
            return
        big = max(g, key=lambda p: abs(p[3]))
        rows.append({"sample": min(p[0] for p in g), "start": min(p[1] for p in g),
                     "end": max(p[2] for p in g), "amplitude_mV": float(big[3]),
                     "n_leads": len(lead_set), "lead": names[big[4]]})

    for p in per[1:]:
        if p[0] - group[0][0] <= tol:
            group.append(p)
        else:
            flush(group)
            group = [p]
    flush(group)
    if not rows:
        return _empty_spikes()
    df = pd.DataFrame(rows, columns=list(SPIKE_COLUMNS))
    return df.sort_values("sample", kind="stable").reset_index(drop=True)


def remove_pacing_spikes(signal: np.ndarray, fs: float, spikes: pd.DataFrame) -> np.ndarray:
    """A copy of ``signal`` with every spike replaced by a straight line in all leads.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV.
    fs : float
        Sampling rate (Hz) (kept for a uniform signature; the spans are in samples).
    spikes : pandas.DataFrame
        From :func:`detect_pacing_spikes` (``start`` and ``end`` columns).

    Returns
    -------
    numpy.ndarray
        Same shape and dtype; samples ``start .. end`` of each spike are interpolated
        between the sample before ``start`` and the sample after ``end``.
    """
    out = np.array(signal, copy=True)
    n = out.shape[1]
    for a, b in zip(spikes["start"].to_numpy(dtype=np.int64), spikes["end"].to_numpy(dtype=np.int64)):
        lo, hi = max(int(a) - 1, 0), min(int(b) + 1, n - 1)
        if hi <= lo:
            continue
        w = (np.arange(lo, hi + 1) - lo) / (hi - lo)
        out[:, lo : hi + 1] = (out[:, lo : lo + 1] * (1 - w) + out[:, hi : hi + 1] * w).astype(out.dtype)
    return out


def strip_pacing_spikes(
    signal: np.ndarray, fs: float, leads: Sequence[str] | None = None
) -> tuple[np.ndarray, pd.DataFrame]:
    """Detect pacemaker spikes and return the signal without them, and the spikes.

    The step the feature pipeline runs before delineation.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV.
    fs : float
        Sampling rate (Hz).
    leads : sequence of str, optional
        Lead names.

    Returns
    -------
    signal : numpy.ndarray
        ``signal`` itself when no spike is found, else a cleaned copy
        (:func:`remove_pacing_spikes`).
    spikes : pandas.DataFrame
        :func:`detect_pacing_spikes`'s table (sample indices at ``fs``).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.zeros((2, 800)); x[:, [200, 600]] = 3.0
    >>> clean, spikes = strip_pacing_spikes(x, 500)
    >>> spikes["sample"].tolist(), float(abs(clean).max()), pacing_summary(spikes)["paced"]
    ([200, 600], 0.0, 1.0)
    """
    spikes = detect_pacing_spikes(signal, fs, leads)
    if spikes.empty:
        return signal, spikes
    return remove_pacing_spikes(signal, fs, spikes), spikes


def pacing_summary(spikes: pd.DataFrame) -> dict[str, float]:
    """Record-level pacing columns from a spike table.

    Returns
    -------
    dict
        ``paced`` (1.0 with at least :data:`PACED_MIN_SPIKES` spikes, else 0.0) and
        ``pacing_spike_count``.
    """
    n = int(len(spikes))
    return {"paced": float(n >= PACED_MIN_SPIKES), "pacing_spike_count": float(n)}


__all__ = ["detect_pacing_spikes", "remove_pacing_spikes", "strip_pacing_spikes", "pacing_summary"]
