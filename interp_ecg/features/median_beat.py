"""Beat classification and per-lead median beats.

Clinical measurement programs (GE 12SL, Philips DXL, Glasgow) do not measure amplitudes on
one noisy beat: they align the dominant beats of a record and take the sample-wise median,
after setting aside premature ventricular complexes and other outliers. The beats are
classified first (:mod:`interp_ecg.features.beat_classes`: morphology classes, the dominant
class, PVCs and outliers); this module holds the per-beat data structures and builds the
median beat:

1. each beat is anchored on its global R peak (or QRS onset plus the record's median
   onset-to-peak distance when the R peak is missing), :func:`beat_anchors`;
2. each beat's window is cut at its *aligned* anchor (:func:`median_beat_anchors`): the
   point that best aligns its QRS window on the dominant template by cross-correlation,
   found by the beat classification (beat table ``anchor_aligned``, all usable leads, QRS
   window -60 to +100 ms, lags within +-40 ms, ``beat_classes.ALIGN_MAX_MS``), less the
   median of those lags, so that the point sits where the consensus R peak lies in most
   beats. Signal averaging aligns beats on a template before averaging (Simson 1981; the
   median complex of the 12SL and Glasgow programs); the consensus R peak alone is not the
   same point of every beat (it can come from another group of leads from one beat to the
   next), and a median over windows cut at a jittering anchor is smeared (lower peaks,
   wider waves). A beat with no alignment (not shaped like the dominant ones, or its window
   cut by the record edge) keeps its own anchor. Alignment is to the record's samples
   (the lag rounded): at 500 Hz to 2 ms, at 100 Hz to 10 ms;
3. the *dominant* beats' per-lead median is the median beat (450 ms before to 700 ms after
   the anchor by default), :func:`median_beat`, and the fiducials on it are the medians of
   the beats' own fiducials relative to the same aligned anchors, :func:`relative_fiducials`.

On LUDB (200 records) and PTB-XL (100 records, 500 Hz) the anchors of the dominant beats sat
within 1-3 ms of the aligned point in most records (median SD 0.7 ms), but some beat was more
than 4 ms off in 7.5 % of LUDB and 2 % of PTB-XL records (PTB-XL 38: 20-24 ms), and cutting at
the anchor moved some lead's R amplitude by over 5 % in 36 of 199 LUDB and 13 of 100
PTB-XL records (up to 25 %; ``benchmarks/median_beat_alignment.py``).

References
----------
Simson MB. Use of signals in the terminal QRS complex to identify patients with ventricular
tachycardia after myocardial infarction. Circulation 64 (1981) 235-242 (beats aligned on a
template by cross-correlation before averaging). GE Healthcare, Marquette 12SL ECG Analysis
Program Physician's Guide (2017), "median complex".

Examples
--------
>>> import numpy as np, pandas as pd
>>> from interp_ecg.features.median_beat import median_beat
>>> sig = np.zeros((1, 2000), dtype="float32")
>>> sig[0, [500, 1000, 1500]] = 1.0
>>> tpl, pos = median_beat(sig, 500, np.array([500, 1000, 1500]), pre_s=0.1, post_s=0.1)
>>> tpl.shape, pos, float(tpl[0, pos])
((1, 101), 50, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from interp_ecg.features.delineation.schema import FIDUCIALS

PRE_S = 0.45
POST_S = 0.70


@dataclass
class FidArrays:
    """A delineation table as plain arrays (fast to slice): lead names, beat numbers and
    the nine fiducials ``(n_rows, 9)`` as float sample indices."""

    lead: np.ndarray
    beat: np.ndarray
    values: np.ndarray

    @classmethod
    def from_frame(cls, fiducials: pd.DataFrame) -> "FidArrays":
        n = len(fiducials)
        lead = np.array([str(x) for x in fiducials["lead"].tolist()], dtype=object) if n else np.array([], object)
        beat = fiducials["beat"].to_numpy() if "beat" in fiducials.columns else np.arange(n)
        values = np.full((n, len(FIDUCIALS)), np.nan)
        cols = [c for c in FIDUCIALS if c in fiducials.columns]
        sub = fiducials[cols]
        if all(pd.api.types.is_numeric_dtype(t) for t in sub.dtypes):
            values[:, [FIDUCIALS.index(c) for c in cols]] = sub.to_numpy(dtype=float, na_value=np.nan)
        else:
            for c in cols:
                values[:, FIDUCIALS.index(c)] = pd.to_numeric(sub[c], errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan)
        return cls(lead, beat, values)

    def select(self, mask: np.ndarray) -> "FidArrays":
        return FidArrays(self.lead[mask], self.beat[mask], self.values[mask])

    def column(self, name: str) -> np.ndarray:
        return self.values[:, FIDUCIALS.index(name)]


def global_fiducials(fiducials: pd.DataFrame | FidArrays) -> pd.DataFrame:
    """The consensus rows (``lead == "global"``) of a delineation, one row per beat, in time order.

    Columns are the nine fiducials as float sample indices (``NaN`` when absent).
    """
    fa = fiducials if isinstance(fiducials, FidArrays) else FidArrays.from_frame(fiducials)
    is_global = fa.lead == "global"
    beats = fa.beat[is_global]
    values = fa.values[is_global]
    r, on, off = values[:, 4], values[:, 3], values[:, 5]
    anchor = _anchor_arrays(r, on, off)
    order = np.argsort(np.where(np.isnan(anchor), np.inf, anchor), kind="stable")
    return pd.DataFrame(values[order], index=pd.Index(beats[order], name="beat"), columns=list(FIDUCIALS))


def beat_anchors(g: pd.DataFrame) -> np.ndarray:
    """Alignment sample of each consensus beat (float; NaN when the beat has no QRS).

    The global R peak, else QRS onset plus the record's median onset-to-peak distance,
    else the middle of the QRS.
    """
    return _anchor_arrays(
        g["R_peak"].to_numpy(dtype=float), g["QRS_on"].to_numpy(dtype=float), g["QRS_off"].to_numpy(dtype=float)
    )


def _anchor_arrays(r: np.ndarray, on: np.ndarray, off: np.ndarray) -> np.ndarray:
    d = r - on
    lag = float(np.median(d[np.isfinite(d)])) if np.isfinite(d).any() else np.nan
    mid = (on + off) / 2.0
    anchor = np.where(np.isfinite(r), r, on + lag)
    return np.where(np.isfinite(anchor), anchor, mid)


def gather_windows(signal: np.ndarray, centres: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``(n_leads, n_beats, hi - lo)`` windows around integer centres; NaN outside the record."""
    n = signal.shape[1]
    idx = centres[:, None] + np.arange(lo, hi)[None, :]
    inside = (idx >= 0) & (idx < n)
    out = signal[:, np.clip(idx, 0, n - 1)].astype(np.float64)
    out[:, ~inside] = np.nan
    return out


def nanmedian(a: np.ndarray, axis: int = 1) -> np.ndarray:
    """Median ignoring NaN along ``axis`` (vectorised; NaN where a slice is all NaN).

    Faster than :func:`numpy.nanmedian` for many short slices.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.median_beat import nanmedian
    >>> nanmedian(np.array([[1.0, np.nan, 3.0, 2.0]]), axis=1)
    array([2.])
    """
    a = np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1)
    if not np.isnan(a).any():
        return np.median(a, axis=-1)
    s = np.sort(a, axis=-1)  # NaN last
    n = np.isfinite(s).sum(axis=-1)
    lo = np.clip((n - 1) // 2, 0, None)[..., None]
    hi = np.clip(n // 2, 0, None)[..., None]
    med = 0.5 * (np.take_along_axis(s, lo, -1) + np.take_along_axis(s, hi, -1))[..., 0]
    return np.where(n > 0, med, np.nan)


@dataclass
class BeatTable:
    """Per-beat classification of one record (see :func:`classify_beats`)."""

    beats: pd.DataFrame
    """Indexed by beat: ``anchor`` (sample), ``rr_prev_ms``, ``rr_next_ms``, ``qrs_ms``,
    ``corr``, ``label`` (``"N"``, ``"PVC"``, ``"outlier"``) and ``dominant`` (bool)."""

    fiducials: pd.DataFrame
    """The consensus fiducials, ordered like ``beats``."""


def classify_beats(
    signal: np.ndarray, fs: float, fiducials: pd.DataFrame | FidArrays, usable: np.ndarray | None = None
) -> BeatTable:
    """Label each consensus beat dominant, PVC or outlier.

    Kept for the import path; the classification lives in
    :func:`interp_ecg.features.beat_classes.classify_beats` (same parameters and result).
    """
    from interp_ecg.features.beat_classes import classify_beats as classify

    return classify(signal, fs, fiducials, usable=usable)


def median_beat(
    signal: np.ndarray,
    fs: float,
    anchors: np.ndarray,
    pre_s: float = PRE_S,
    post_s: float = POST_S,
) -> tuple[np.ndarray, int]:
    """Sample-wise median of the beats aligned on ``anchors``, for every lead.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV.
    fs : float
        Sampling rate (Hz).
    anchors : numpy.ndarray of int
        Alignment sample of each beat to include (the dominant beats'
        :func:`median_beat_anchors`: the same point of the QRS in every beat).
    pre_s, post_s : float
        Window before and after the anchor, in seconds.

    Returns
    -------
    template : numpy.ndarray
        ``(n_leads, n_window)`` median beat; ``NaN`` where no beat covers a sample.
    anchor_pos : int
        Position of the anchor inside the template.
    """
    lo, hi = -int(round(pre_s * fs)), int(round(post_s * fs)) + 1
    anchors = np.asarray(anchors, dtype=np.int64)
    if anchors.size == 0:
        return np.full((signal.shape[0], hi - lo), np.nan), -lo
    win = gather_windows(np.asarray(signal), anchors, lo, hi)
    return nanmedian(win, axis=1), -lo


def median_beat_anchors(beats: pd.DataFrame) -> np.ndarray:
    """Sample at which each beat's window is cut for the median beat (module docstring, step 2).

    Parameters
    ----------
    beats : pandas.DataFrame
        :attr:`BeatTable.beats`: ``anchor`` (rounded consensus anchor) and, when the beats
        were classified, ``anchor_aligned`` (fractional samples: the cross-correlation
        aligned point, see :func:`interp_ecg.features.beat_classes.classify_beats`).

    Returns
    -------
    numpy.ndarray of int64
        ``(n_beats,)``: ``anchor_aligned`` rounded to the record's samples where it is
        finite, else ``anchor``.

    Examples
    --------
    >>> from interp_ecg.features.median_beat import median_beat_anchors
    >>> import pandas as pd
    >>> b = pd.DataFrame({"anchor": [100, 612, 900], "anchor_aligned": [100.2, 600.4, float("nan")]})
    >>> median_beat_anchors(b).tolist()
    [100, 600, 900]
    """
    anchor = beats["anchor"].to_numpy(dtype=np.int64)
    if "anchor_aligned" not in beats.columns:
        return anchor
    aligned = beats["anchor_aligned"].to_numpy(dtype=float)
    return np.where(np.isfinite(aligned), np.rint(np.nan_to_num(aligned)), anchor).astype(np.int64)


def relative_fiducials(table: BeatTable, min_fraction: float = 0.5) -> dict[str, float]:
    """Median position of each fiducial relative to the median beat's anchor, over the dominant beats.

    Positions are relative to each beat's :func:`median_beat_anchors` (where its window is
    cut), so that they are positions on the median beat. A wave found in fewer than
    ``min_fraction`` of the dominant beats is absent (``NaN``).
    """
    dom = table.beats["dominant"].to_numpy()
    anchor = median_beat_anchors(table.beats).astype(float)[dom]
    values = table.fiducials.to_numpy(dtype=float)[dom]
    out: dict[str, float] = {}
    for j, col in enumerate(FIDUCIALS):
        vals = values[:, j] - anchor
        present = np.isfinite(vals)
        out[col] = float(np.median(vals[present])) if present.any() and present.mean() >= min_fraction else np.nan
    return out


#: Copies of the median beat in the signal that :func:`median_beat_p_wave` delineates.
TILE_COPIES = 8
NEXT_BEAT_MARGIN_S = 0.06


def median_beat_p_wave(
    template: np.ndarray,
    anchor_pos: int,
    fs: float,
    delineate_fn,
    rr_prev_ms: float = np.inf,
    rr_next_ms: float = np.inf,
    min_fraction: float = 0.5,
) -> dict[str, float]:
    """P-wave boundaries measured on the median beat of the dominant beats.

    Beat-by-beat delineation decides whether a record has P waves from the rhythm (P waves
    must be time-locked to the QRS in most non-premature beats). With frequent ectopic
    beats (bigeminy) that decision can fail although every dominant beat has its P wave.
    Clinical programs measure the global intervals on the median complex; this function
    does so for the P wave: the median beat (``(n_leads, n_window)``, NaN-free) is repeated
    :data:`TILE_COPIES` times, each copy detrended so that the copies join without a step,
    the repeated signal is delineated by ``delineate_fn`` and the consensus P onset and
    offset relative to the anchor are the medians over the copies.

    Parameters
    ----------
    template : numpy.ndarray
        ``(n_leads, n_window)`` median beat in mV (usable leads only).
    anchor_pos : int
        Position of the anchor (R peak) in the template.
    fs : float
        Sampling rate (Hz).
    delineate_fn : callable
        ``f(signal, fs) -> DataFrame`` returning a delineation table with ``global`` rows.
    rr_prev_ms, rr_next_ms : float
        Typical RR intervals before and after the dominant beats. The template is cut
        :data:`NEXT_BEAT_MARGIN_S` (60 ms) before the next beat and no earlier than 500 ms
        after the previous one, so that neighbouring (ectopic) beats at a fixed coupling,
        which are part of every dominant beat's window, stay out of the copies.
    min_fraction : float
        The P wave must be found in at least this share of the copies; else NaN.

    Returns
    -------
    dict
        ``P_on``, ``QRS_on``, ``P_off`` relative to the anchor (samples, float) and
        ``PR_interval_ms``, ``P_duration_ms`` (NaN when no P wave is found).
    """
    out = dict.fromkeys(("P_on", "P_off", "QRS_on", "PR_interval_ms", "P_duration_ms"), np.nan)
    tpl = np.asarray(template, dtype=np.float64)
    if tpl.ndim != 2 or tpl.shape[1] < 4 or not np.isfinite(tpl).all():
        return out
    lo = max(0, int(anchor_pos - max(0.2, min(anchor_pos / fs, rr_prev_ms / 1000.0 - 0.5)) * fs))
    hi = min(tpl.shape[1], int(anchor_pos + max(0.2, rr_next_ms / 1000.0 - NEXT_BEAT_MARGIN_S) * fs) + 1)
    tpl, anchor_pos = tpl[:, lo:hi], anchor_pos - lo
    n = tpl.shape[1]
    ramp = np.linspace(0.0, 1.0, n)[None, :]
    one = tpl - (tpl[:, :1] + (tpl[:, -1:] - tpl[:, :1]) * ramp)  # both ends at 0 mV
    tiled = np.tile(one, (1, TILE_COPIES)).astype(np.float32)
    fid = delineate_fn(tiled, fs)
    if fid is None or "lead" not in fid.columns:
        return out
    g = global_fiducials(fid)
    starts = np.arange(TILE_COPIES) * n
    copy = np.searchsorted(starts, g["R_peak"].to_numpy(dtype=float), side="right") - 1
    rel = {k: g[k].to_numpy(dtype=float) - (starts[np.clip(copy, 0, TILE_COPIES - 1)] + anchor_pos)
           for k in ("P_on", "P_off", "QRS_on")}
    # copies whose detected beat is the template's own beat (R peak near the anchor)
    own = np.abs(g["R_peak"].to_numpy(dtype=float) - (starts[np.clip(copy, 0, TILE_COPIES - 1)] + anchor_pos)) <= 0.02 * fs
    p_ok = own & np.isfinite(rel["P_on"]) & np.isfinite(rel["QRS_on"])
    if p_ok.sum() < max(1, min_fraction * TILE_COPIES):
        return out
    ms = 1000.0 / fs
    for k in rel:
        v = rel[k][p_ok & np.isfinite(rel[k])]
        out[k] = float(np.median(v)) if v.size else np.nan
    out["PR_interval_ms"] = (out["QRS_on"] - out["P_on"]) * ms
    out["P_duration_ms"] = (out["P_off"] - out["P_on"]) * ms if np.isfinite(out["P_off"]) else np.nan
    return out


# --------------------------------------------------------------------------- baseline
#: The isoelectric knot of a beat: the mean of the PR segment from :data:`KNOT_START_MS`
#: (25 ms) to :data:`KNOT_END_MS` (5 ms) before its QRS onset, the window the amplitudes
#: of :func:`interp_ecg.features.measurements.lead_measurements` are measured against.
KNOT_START_MS = 25.0
KNOT_END_MS = 5.0


def isoelectric_baseline(
    signal: np.ndarray, fs: float, qrs_on: np.ndarray
) -> np.ndarray:
    """Baseline of each lead through its isoelectric knots (cubic spline, Meyer & Keiser 1977).

    Each beat gives one knot per lead: the mean of the PR segment, :data:`KNOT_START_MS`
    to :data:`KNOT_END_MS` before its QRS onset, placed at the middle of that window. A
    natural cubic spline through a lead's knots is its baseline; before the first knot and
    after the last it continues as the straight line the spline ends on. Subtracting it
    removes the baseline wander *inside* each beat (its slope from the PR segment to the
    ST segment and T wave), which subtracting one PR level per beat leaves in place.

    The knots sample the baseline once per beat, so the spline follows wander up to
    about half the heart rate's frequency at most: a 0.3 Hz wander at 60 bpm is followed
    (PTB-XL 1 and 9, 0.3 mV: ST60 and T amplitudes within 0.016 mV of the record without
    it), a 0.5 Hz one at 60 bpm is not (the knots alias it; ST60 still off by up to
    0.13 mV and T by 0.5 mV), at 140 bpm it is (PTB-XL 20: within 0.011 mV).

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV; ``NaN`` samples (a lead's flat segments) give no
        knot.
    fs : float
        Sampling rate (Hz).
    qrs_on : numpy.ndarray
        QRS onsets of the beats to take knots from (samples; ``NaN`` ignored), e.g. the
        consensus onsets of the dominant beats.

    Returns
    -------
    numpy.ndarray
        ``(n_leads, n_samples)`` baseline (mV); zero for a lead with fewer than two knots
        (its beats are then referred to their own PR level only, as before).

    References
    ----------
    Meyer CR, Keiser HN. Electrocardiogram baseline noise estimation and removal using
    cubic splines and state-space computation techniques. Comput Biomed Res 10 (1977)
    459-470.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.median_beat import isoelectric_baseline
    >>> t = np.arange(5000) / 500.0
    >>> x = (0.2 * t)[None, :]  # a ramp of 0.2 mV/s, no ECG
    >>> base = isoelectric_baseline(x, 500.0, np.arange(300, 5000, 500))
    >>> bool(np.allclose(base, x, atol=1e-9))
    True
    """
    from scipy.interpolate import CubicSpline

    x = np.asarray(signal, dtype=np.float64)
    n_leads, n = x.shape
    base = np.zeros((n_leads, n))
    on = np.asarray(qrs_on, dtype=float)
    on = np.unique(on[np.isfinite(on)])  # sorted, each onset once
    a = np.rint(on - KNOT_START_MS * fs / 1000.0).astype(np.int64)
    b = np.rint(on - KNOT_END_MS * fs / 1000.0).astype(np.int64)
    keep = (a >= 0) & (b > a) & (b <= n)
    a, b = a[keep], b[keep]
    if a.size < 2:
        return base
    t_knot = (a + b - 1) / 2.0
    bad = ~np.isfinite(x)
    cs = np.cumsum(np.c_[np.zeros(n_leads), np.where(bad, 0.0, x)], axis=1)
    cb = np.cumsum(np.c_[np.zeros(n_leads, np.int64), bad], axis=1)
    level = (cs[:, b] - cs[:, a]) / (b - a)[None, :]
    level[(cb[:, b] - cb[:, a]) > 0] = np.nan  # a window that holds a NaN gives no knot
    t = np.arange(n, dtype=np.float64)

    def fit(tk: np.ndarray, yk: np.ndarray, at: np.ndarray) -> np.ndarray:
        # natural cubic spline through the knots, continued as straight lines outside them
        s = CubicSpline(tk, yk, bc_type="natural", axis=-1, extrapolate=False)
        out = s(at)
        d = s.derivative()
        for side, edge in ((at < tk[0], tk[0]), (at > tk[-1], tk[-1])):
            if side.any():
                out[..., side] = s(edge)[..., None] + d(edge)[..., None] * (at[side] - edge)
        return out

    complete = np.isfinite(level).all(axis=1)
    if complete.any():  # the leads with every knot: one fit for all of them
        base[complete] = fit(t_knot, level[complete], t)
    for k in np.flatnonzero(~complete):
        ok = np.isfinite(level[k])
        if ok.sum() >= 2:
            base[k] = fit(t_knot[ok], level[k, ok], t)
    return base



#: Largest median absolute level (mV) of a lead's T-P segments after the spline baseline is
#: removed (:func:`tp_segment_residual`) for which the baseline between knots counts as
#: followed: the 0.1 mV of the ST criteria (Thygesen et al., Fourth universal definition of
#: myocardial infarction, 2018). Clean PTB-XL records (first 200 at 500 Hz): median 0.024,
#: 99th percentile 0.098, 0.9 % of 2172 leads over it; a 0.3 mV wander at 0.5 Hz on PTB-XL
#: 1 and 9 (60-64 bpm, not followed): 0.15-0.31 mV in most leads.
TP_RESIDUAL_MAX_MV = 0.1
#: The T-P check point is the mean of :data:`TP_WINDOW_MS` at the middle of the stretch
#: from :data:`TP_AFTER_T_MS` after T offset to the next P onset, when it is at least
#: :data:`TP_MIN_MS` long.
TP_WINDOW_MS = 20.0
TP_AFTER_T_MS = 40.0
TP_MIN_MS = 80.0


def tp_segment_residual(signal: np.ndarray, fs: float, fiducials: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Level of each lead's T-P segments, the second isoelectric point of each beat (mV).

    The spline of :func:`isoelectric_baseline` is fitted through the PR segments only; the
    T-P segment (from T offset to the next P onset) is isoelectric too, but lies about
    half-way between two knots, where a wander the knots cannot follow (faster than about
    half the heart rate's frequency) leaves its largest error. The level of a T-P segment in
    the signal with the spline removed (the mean of :data:`TP_WINDOW_MS` at its middle) is
    that error, with the lead's noise and any U wave.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` with the baseline removed (mV).
    fs : float
        Sampling rate (Hz).
    fiducials : pandas.DataFrame
        Consensus fiducials of consecutive beats in time order (``T_off``, ``P_on``,
        ``QRS_on``; a beat's T-P segment ends at the next beat's P onset, or 200 ms before
        its QRS onset without one).

    Returns
    -------
    residual : numpy.ndarray
        ``(n_leads,)`` median absolute T-P level (mV); ``NaN`` with fewer than three T-P
        segments of at least :data:`TP_MIN_MS` (fast rates: no T-P segment to check, and a
        knot every beat then follows the wander up to a higher frequency).
    n_segments : int
        The number of T-P segments read.
    """
    n_leads, n = signal.shape
    t_off = fiducials["T_off"].to_numpy(dtype=float)
    p_on = fiducials["P_on"].to_numpy(dtype=float)
    q_on = fiducials["QRS_on"].to_numpy(dtype=float)
    start = t_off[:-1] + TP_AFTER_T_MS * fs / 1000.0
    end = np.where(np.isfinite(p_on[1:]), p_on[1:], q_on[1:] - 0.2 * fs)
    ok = np.isfinite(start) & np.isfinite(end) & (end - start >= TP_MIN_MS * fs / 1000.0)
    mid = (start[ok] + end[ok]) / 2.0
    half = TP_WINDOW_MS * fs / 2000.0
    a = np.rint(mid - half).astype(np.int64)
    b = np.rint(mid + half).astype(np.int64)
    inside = (a >= 0) & (b <= n) & (b > a)
    a, b = a[inside], b[inside]
    if a.size < 3:
        return np.full(n_leads, np.nan), int(a.size)
    x = np.asarray(signal, dtype=np.float64)
    levels = np.stack([np.nanmean(x[:, i:j], axis=1) for i, j in zip(a, b)], axis=1)
    return np.nanmedian(np.abs(levels), axis=1), int(a.size)


def wander_unfollowed_note(leads: list[str], unfollowed: np.ndarray, residual: np.ndarray) -> str:
    """The ``quality_reason`` sentence for leads whose wander the knots could not follow.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.median_beat import wander_unfollowed_note
    >>> wander_unfollowed_note(["II", "V5"], np.array([True, False]), np.array([0.23, 0.02]))[:60]
    'baseline wander faster than one PR-segment knot per beat can'
    """
    parts = ", ".join(f"{ld} ({r:.2f} mV)" for ld, u, r in zip(leads, unfollowed, residual) if u)
    return (f"baseline wander faster than one PR-segment knot per beat can follow (T-P segments off the "
            f"spline baseline by more than {TP_RESIDUAL_MAX_MV:g} mV, median): {parts}; their J, ST60 and "
            f"T amplitudes NaN, and the largest ST elevation/depression")
