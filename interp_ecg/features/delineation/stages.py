"""The stages of the ``martinez_zhang`` delineator, each a pure function of arrays.

:func:`prepare` (invalid samples, filters, lead usability) -> :func:`detect_beats` (QRS
detection, baseline-step, muscle-burst and noise rejection) -> :func:`qrs_stage` (per-lead
and consensus QRS boundaries) -> :func:`t_stage` -> :func:`p_stage` (P boundaries and P presence) ->
:func:`edge_and_gap_guard` and :func:`enforce_order` (nothing outside the signal, nothing
out of order) -> :func:`assemble` (the output table). :func:`interp_ecg.features.delineation.delineate`
runs them in this order; every stage has its own tests in ``tests/test_delineation_stages.py``.

Shapes: per-lead arrays are ``(n_leads, n_beats)`` float sample indices (NaN where
absent), consensus arrays ``(n_beats,)``. Thresholds come from :class:`.params.Params`.

References
----------
Martinez JP et al. A wavelet-based ECG delineator: evaluation on standard databases. IEEE
Trans Biomed Eng 51(4):570-581, 2004.
Zhang Q et al. An algorithm for robust and efficient location of T-wave ends in
electrocardiograms. IEEE Trans Biomed Eng 53(12):2544-2552, 2006.
Pan J, Tompkins WJ. A real-time QRS detection algorithm. IEEE Trans Biomed Eng
32(3):230-236, 1985.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
import pandas as pd

from interp_ecg.errors import DelineationError
from interp_ecg.features.delineation.consensus import (combine, complex_snr, nanquantile_cols,
                                                    snr_weighted_pull, visible_ends,
                                                    visible_later_end)
from interp_ecg.features.delineation.filters import bandpass, central_slope, upsample
from interp_ecg.features.delineation.leadcheck import lead_status
from interp_ecg.features.delineation.params import Params
from interp_ecg.features.delineation.qrs import detect_qrs, initial_deflection_onset, qrs_envelope
from interp_ecg.features.delineation.qrs_notch import notched_offset, notched_onset
from interp_ecg.features.delineation.schema import FIDUCIALS
from interp_ecg.features.delineation.waves import (p_waves, qrs_bounds, repolarisation_noise,
                                                  slope_noise, t_end_uncertainty, t_waves)
from interp_ecg.features.delineation.windows import gather



@dataclass
class Views:
    """The filtered views of one record, all ``(n_leads, n_samples)`` float64 (mV, mV/sample).

    ``raw`` has short invalid stretches bridged and set-aside leads zeroed; ``bridged``
    marks the bridged samples; ``noise_mv`` is each lead's robust SD of the 15-40 Hz
    residue, shape ``(n_leads, 1)``.
    """

    raw: np.ndarray
    qrs_band: np.ndarray
    wave_band: np.ndarray
    qrs_slope: np.ndarray
    wave_slope: np.ndarray
    bridged: np.ndarray
    noise_mv: np.ndarray


# --------------------------------------------------------------------------- 0. span
def held_edges(x: np.ndarray, fs: float, p: Params) -> np.ndarray:
    """Samples at a lead's start or end held at one constant value, ``(n_leads, n_samples)`` bool.

    A run of identical samples (exactly equal, as a recorder that stops early holds its
    last value) reaching the first or last sample of a lead is marked whole when its
    repeats (the run but one sample) last at least ``Params.held_edge_min_s``; shorter runs
    and constant stretches inside the record are not. A lead constant throughout is marked whole (:mod:`.leadcheck` sets it
    aside anyway). Non-finite samples never count as held.

    Examples
    --------
    >>> from interp_ecg.features.delineation.stages import held_edges
    >>> import numpy as np
    >>> from interp_ecg.features.delineation.params import Params
    >>> x = np.sin(np.arange(1000) / 7.0)[None, :]
    >>> x[0, 950:] = x[0, 949]                     # last 100 ms held at 500 Hz
    >>> m = held_edges(x, 500.0, Params())
    >>> int(m.sum()), int(np.flatnonzero(m[0])[0])
    (51, 949)
    """
    x = np.asarray(x)
    n_leads, n = x.shape
    held = np.zeros((n_leads, n), dtype=bool)
    min_run = max(int(np.ceil(p.held_edge_min_s * fs)), 2)
    if n < 2 or p.held_edge_min_s <= 0:
        return held
    with np.errstate(invalid="ignore"):
        same = (x[:, 1:] == x[:, :-1]) & np.isfinite(x[:, 1:])   # (n_leads, n - 1)
    change = ~same
    has_change = change.any(axis=1)
    first = change.argmax(axis=1)                       # first change of each lead
    last = n - 2 - change[:, ::-1].argmax(axis=1)       # ... and its last
    for i in range(n_leads):
        if not has_change[i]:
            held[i] = True
            continue
        # samples 0 .. first change are equal; the whole run is marked (whether its value
        # was measured once or never: a lead held at -1.5 mV and then connected keeps no
        # step at the edge of the span); likewise at the end
        head = int(first[i]) + 1
        if head - 1 >= min_run:
            held[i, :head] = True
        tail = n - 1 - int(last[i])
        if tail - 1 >= min_run:
            held[i, n - tail:] = True
    return held


def signal_span(held: np.ndarray, usable: np.ndarray | None = None) -> tuple[int, int]:
    """``(start, stop)``: the samples where at least one (usable) lead is not held.

    ``held`` is :func:`held_edges`' mask; ``stop`` is exclusive. The whole record when
    every lead is held throughout (the lead checks then refuse it).

    Examples
    --------
    >>> from interp_ecg.features.delineation.stages import signal_span
    >>> import numpy as np
    >>> h = np.zeros((2, 10), bool); h[0, 7:] = True; h[1, 8:] = True; h[:, :2] = True
    >>> signal_span(h)
    (2, 8)
    """
    h = np.asarray(held, dtype=bool)
    if usable is not None and np.any(usable):
        h = h[np.asarray(usable, dtype=bool)]
    live = np.flatnonzero(~h.all(axis=0))
    if live.size == 0:
        return 0, h.shape[1]
    return int(live[0]), int(live[-1]) + 1


# --------------------------------------------------------------------------- 1. prepare
def prepare(x: np.ndarray, fs: float, leads: list[str], p: Params,
            steps: np.ndarray | None = None, factor: int | Fraction = 1,
            held: np.ndarray | None = None) -> tuple[Views, list[str]]:
    """Apply the invalid-sample policy, filter all leads at once and check each lead.

    Returns the :class:`Views` and the per-lead status (``"ok"`` or why the lead is set
    aside: invalid samples, flat, noisy). With ``steps`` (from :func:`detect_beats`) the
    baseline steps are removed first (:func:`remove_steps`).

    With ``factor != 1`` (:func:`~.filters.internal_ratio`: records not sampled at
    ``Params.internal_fs``) the views are at ``factor x fs``: the invalid-sample policy
    and the lead checks run at the record's own rate (the noise check needs the record's
    own band), then the bridged signal is resampled (:func:`~.filters.upsample`) and
    everything after it, ``steps`` included, is at the internal rate.

    ``held`` (``(n_leads, n_samples)`` bool at the record's rate, :func:`held_edges`)
    marks samples a lead holds constant at its start or end; they are treated like bridged
    invalid samples (no boundary on or near them).
    """
    from interp_ecg.features.quality import invalid_sample_policy

    factor = Fraction(factor)
    rep, bridged, gap_status = invalid_sample_policy(x, fs, leads)
    if held is not None:
        bridged = bridged | np.asarray(held, dtype=bool)
    aside = np.array([s.startswith("set aside") for s in gap_status])
    raw = np.where(np.isfinite(rep), rep, 0.0)
    status = None
    if factor != 1:
        status = lead_status(raw, fs)
        n = raw.shape[1]
        raw = upsample(raw, factor)
        raw[aside] = 0.0
        # each internal sample takes the flag of the record sample nearest to it
        src = np.rint(np.arange(raw.shape[1]) / float(factor)).astype(np.int64)
        bridged = bridged[:, np.clip(src, 0, n - 1)]
        fs = fs * float(factor)
    if steps is not None and len(steps):
        raw, flattened = remove_steps(raw, steps, fs, p)
        raw[aside] = 0.0
        bridged = bridged | flattened
    qrs_band = bandpass(raw, fs, 0.5, p.qrs_lowpass)
    if status is None:
        status = lead_status(raw, fs, low=qrs_band)
    status = [f"invalid samples ({g})" if a else s for s, g, a in zip(status, gap_status, aside)]
    wave_band = bandpass(raw, fs, 0.5, p.pt_lowpass)
    views = Views(
        raw=raw, qrs_band=qrs_band, wave_band=wave_band,
        qrs_slope=central_slope(qrs_band, int(round(p.qrs_slope_dt * fs))),
        wave_slope=central_slope(wave_band, int(round(p.wave_slope_dt * fs))),
        bridged=bridged,
        noise_mv=1.4826 * np.median(np.abs(qrs_band - wave_band), axis=1,
                                    overwrite_input=True)[:, None])
    return views, status


# --------------------------------------------------------------------------- 2. beats
def step_overshoot(raw: np.ndarray, r: np.ndarray, fs: float, p: Params,
                   usable: np.ndarray) -> np.ndarray:
    """Per candidate beat, how far the signal overshoots the levels on either side of it.

    For each usable lead the levels before and after the candidate are the medians of
    ``raw`` over 30 ms ending ``step_level_s`` before it and starting ``step_level_s``
    after it; the overshoot is how far the signal between them goes beyond the span of the
    two levels, as a share of its own peak-to-peak span. A QRS complex deflects and comes
    back (share ~0.5-1); a baseline step goes monotonically from one level to the other
    (share ~0). Returns the median over the leads with a span above 0.05 mV (NaN if none).
    """
    h = int(round(p.step_level_s * fs))
    w = max(int(round(0.03 * fs)), 1)
    xs = raw[np.asarray(usable, bool)]
    if xs.shape[0] == 0 or r.size == 0:
        return np.full(r.size, np.nan)
    # (gather repeats the edge sample outside the record; a level window that lies wholly
    # outside gives no verdict)
    win, inside = gather(xs, r, -h - w, h + w)
    pre = np.median(win[..., :w], axis=-1)
    post = np.median(win[..., -w:], axis=-1)
    mid = win[..., w:-w]
    hi, lo = mid.max(axis=-1), mid.min(axis=-1)
    span = hi - lo
    over = np.maximum(hi - np.maximum(pre, post), 0) + np.maximum(np.minimum(pre, post) - lo, 0)
    share = np.where(span > 0.05, over / np.where(span > 0, span, 1.0), np.nan)
    both = inside[:, :w].any(axis=-1) & inside[:, -w:].any(axis=-1)
    share = np.where(both[None, :], share, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return nanmedian_cols(share) if share.size else np.full(r.size, np.nan)


def nanmedian_cols(v: np.ndarray) -> np.ndarray:
    """``np.nanmedian(v, axis=0)`` of a small 2-D array, bit for bit, without masked arrays.

    For fewer than 600 rows numpy takes the median through ``numpy.ma`` (about 0.1 ms on a
    12 x 12 array); this is the same computation -- the two middle non-NaN values of each
    column (the middle one twice for an odd count), summed and halved -- on plain arrays.
    An all-NaN column gives NaN (without numpy's warning). Larger arrays go to numpy.

    Examples
    --------
    >>> from interp_ecg.features.delineation.stages import nanmedian_cols
    >>> import numpy as np
    >>> v = np.array([[1.0, np.nan, 4.0], [3.0, np.nan, np.nan], [2.0, np.nan, 5.0]])
    >>> nanmedian_cols(v).tolist()
    [2.0, nan, 4.5]
    """
    v = np.asarray(v)
    if v.ndim != 2 or v.size == 0 or v.shape[0] >= 600 or v.dtype != np.float64:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(v, axis=0)
    srt = np.sort(v, axis=0)                     # NaN last
    cnt = np.sum(~np.isnan(v), axis=0)
    h = cnt // 2
    lo = np.where(cnt % 2 == 1, h, h - 1)
    cols = np.arange(v.shape[1])
    pair = np.stack([srt[np.maximum(lo, 0), cols], srt[np.minimum(h, v.shape[0] - 1), cols]])
    out = np.add.reduce(pair, axis=0)
    np.true_divide(out, 2.0, out=out)
    return np.where(cnt > 0, out, np.nan)


def beat_similarity(qrs_band: np.ndarray, r: np.ndarray, fs: float, p: Params,
                    usable: np.ndarray) -> float:
    """Median over beats of each beat's best correlation with another beat.

    The QRS windows (``+-similarity_window_s``, all usable leads side by side) of real
    beats repeat -- also in atrial fibrillation and with ectopic beats, which resemble
    each other; windows of noise that happened to peak in the detector do not. Uses the
    first ``similarity_max_beats`` beats. NaN with fewer than 3 beats.
    """
    r = np.asarray(r)[: p.similarity_max_beats]
    if r.size < 3:
        return np.nan
    h = int(round(p.similarity_window_s * fs))
    win, inside = gather(qrs_band[np.asarray(usable, bool)], r, -h, h)
    win = np.where(inside[None], win, 0.0)
    v = np.transpose(win, (1, 0, 2)).reshape(r.size, -1)
    v = v - v.mean(axis=1, keepdims=True)
    nrm = np.linalg.norm(v, axis=1)
    nrm[nrm == 0] = 1.0
    v = v / nrm[:, None]
    c = v @ v.T
    np.fill_diagonal(c, -np.inf)
    return float(np.median(c.max(axis=1)))


def burst_artefacts(views: Views, r: np.ndarray, fs: float, p: Params,
                    usable: np.ndarray) -> np.ndarray:
    """Candidate beats that are muscle noise in an EMG burst, shape ``(n_beats,)`` bool.

    A candidate is taken for noise only when all three hold (``Params.burst_*``):

    * it lies in a burst of muscle noise: the robust SD of the 15-40 Hz residue
      (``qrs_band - wave_band``) over ``+-burst_window_s`` around it exceeds
      ``burst_noise_ratio`` times the lead's record-wide robust SD (``views.noise_mv``),
      median over the usable leads;
    * its QRS slope envelope (:func:`.qrs.qrs_envelope`) stays below ``burst_height_frac``
      of the median over the candidates;
    * its QRS window (``+-similarity_window_s``, all usable leads, in the detector's 8-30
      Hz QRS band, where the T wave under a noise peak weighs little) correlates with no
      other candidate above ``burst_match``;
    * it splits one cardiac cycle: it has a candidate on either side, and these two are at
      most ``burst_within_cycle`` times the median RR apart (a premature ectopic beat is
      followed by a compensatory pause, which puts its neighbours about two cycles apart;
      the first and last candidates are never judged).

    A real beat in a burst keeps the height of the others or repeats their shape; an
    ectopic beat (PVC) outside a burst, or one with a compensatory pause, is never judged
    here, and repeating ectopic beats (bigeminy) match each other. An interpolated PVC
    (no pause) in a burst, low and like no other beat, would be dropped. With fewer than 3
    candidates nothing is judged.

    Examples
    --------
    >>> from interp_ecg.features.delineation.stages import burst_artefacts, prepare
    >>> import numpy as np
    >>> from interp_ecg.features.delineation.params import Params
    >>> fs, n = 500, 5000
    >>> x = np.zeros((2, n))
    >>> for b in range(250, n, 500):
    ...     x[:, b - 10:b + 10] += np.hanning(20)
    >>> views, _ = prepare(x, fs, ["I", "II"], Params())
    >>> r = np.arange(250, n, 500)
    >>> burst_artefacts(views, r, fs, Params(), np.ones(2, bool)).any()
    np.False_
    """
    r = np.asarray(r, dtype=np.int64)
    out = np.zeros(r.size, dtype=bool)
    use = np.asarray(usable, bool)
    if r.size < 3 or not use.any():
        return out
    # the cheap conditions first (all four must hold): most records stop here
    splits = np.zeros(r.size, dtype=bool)
    splits[1:-1] = (r[2:] - r[:-2]) <= p.burst_within_cycle * np.median(np.diff(r))
    if not splits.any():
        return out
    env = qrs_envelope(views.raw, fs, use)
    h = env[np.clip(r, 0, env.size - 1)]
    low = h < p.burst_height_frac * np.median(h)
    idx = np.flatnonzero(splits & low)
    if idx.size == 0:
        return out
    hf = (views.qrs_band - views.wave_band)[use]
    rec = views.noise_mv[use]                                     # (n_use, 1)
    hw = max(int(round(p.burst_window_s * fs)), 1)
    win, inside = gather(hf, r[idx], -hw, hw)
    win = np.where(inside[None], win, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        local = 1.4826 * np.nanmedian(np.abs(win), axis=-1)        # (n_use, n_idx)
        ratio = np.nanmedian(local / np.where(rec > 0, rec, np.nan), axis=0)
    in_burst = np.zeros(r.size, dtype=bool)
    in_burst[idx] = np.isfinite(ratio) & (ratio > p.burst_noise_ratio)
    suspect = np.flatnonzero(in_burst & low & splits)
    if suspect.size == 0:
        return out
    k = int(round(p.similarity_window_s * fs))
    w, ins = gather(bandpass(views.raw[use], fs, 8.0, 30.0), r, -k, k)
    w = np.where(ins[None], w, 0.0)
    v = np.transpose(w, (1, 0, 2)).reshape(r.size, -1)
    v = v - v.mean(axis=1, keepdims=True)
    nrm = np.linalg.norm(v, axis=1)
    v = v / np.where(nrm > 0, nrm, 1.0)[:, None]
    c = v[suspect] @ v.T                                          # (n_suspect, n_beats)
    c[np.arange(suspect.size), suspect] = -np.inf
    out[suspect] = c.max(axis=1) < p.burst_match
    return out


def remove_steps(raw: np.ndarray, steps: np.ndarray, fs: float, p: Params
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Undo baseline steps: shift the signal after each step back to the level before it.

    The ``+-step_level_s`` around each step is set to the level before it and marked (like
    bridged invalid samples, no fiducial point is placed there). Returns the corrected
    signal and the ``(n_leads, n_samples)`` mask of the flattened samples.
    """
    x = np.array(raw, dtype=np.float64)
    mask = np.zeros(x.shape, dtype=bool)
    h = int(round(p.step_level_s * fs))
    w = max(int(round(0.03 * fs)), 1)
    n = x.shape[1]
    for c in np.sort(np.asarray(steps, dtype=np.int64)):
        a, b = max(c - h, 0), min(c + h, n)
        pre = np.median(x[:, max(a - w, 0):max(a, 1)], axis=1) if a > 0 else x[:, 0]
        post = np.median(x[:, b:min(b + w, n)], axis=1) if b < n else x[:, -1]
        x[:, b:] -= (post - pre)[:, None]
        x[:, a:b] = pre[:, None]
        mask[:, a:b] = True
    return x, mask


def detect_beats(views: Views, fs: float, usable: np.ndarray, p: Params
                 ) -> tuple[np.ndarray, np.ndarray]:
    """QRS complexes of the record (sample indices), baseline steps and noise rejected.

    Candidates that are muscle noise in an EMG burst (:func:`burst_artefacts`) are dropped.

    Returns the beats and the baseline steps found (sample indices; empty when none). A
    step can hide a QRS that follows it (the detector takes the later, smaller candidate
    for a T wave), so the caller removes the steps (:func:`remove_steps`) and detects again.

    Raises
    ------
    DelineationError
        No QRS complex, complexes that do not repeat (no ECG: noise), or smooth waves
        without a QRS-like steep slope (:func:`qrs_steepness`).
    """
    r = detect_qrs(views.raw, fs, usable, p)
    if r.size == 0:
        raise DelineationError("no QRS complex found in any usable lead")
    share = step_overshoot(views.raw, r, fs, p, usable)
    is_step = share < p.step_overshoot
    steps, r = r[is_step], r[~is_step]
    if r.size == 0:
        raise DelineationError("no QRS complex found: only baseline steps (level shifts that do not return; a "
                               "smooth fast rhythm such as ventricular flutter can read so, and needs review)")
    r = r[~burst_artefacts(views, r, fs, p, usable)]
    sim = beat_similarity(views.qrs_band, r, fs, p, usable)
    n_use = int(np.sum(usable))
    need = (p.beat_similarity_one_lead if n_use == 1 else
            p.beat_similarity_two_leads if n_use == 2 else p.beat_similarity)
    if np.isfinite(sim) and sim < need:
        raise DelineationError(
            f"no repeating QRS complex (median best beat-to-beat correlation {sim:.2f} < "
            f"{need} with {n_use} usable lead(s)): the signal looks like noise, not an ECG")
    steep = qrs_steepness(views, r, fs, p, usable)
    if np.isfinite(steep) and steep < p.qrs_min_steepness:
        raise DelineationError(
            f"no QRS complex: the detected complexes are smooth waves (steepest slope x RR / "
            f"amplitude {steep:.3g} < {p.qrs_min_steepness:g}; a sinusoid gives 3 to 5): noise, or a "
            f"sine-wave ventricular rhythm (ventricular flutter, very fast VT) that needs review")
    return r, steps


def qrs_steepness(views: Views, r: np.ndarray, fs: float, p: Params,
                  usable: np.ndarray) -> float:
    """How QRS-like the detected complexes are: steepest slope x cycle length / amplitude.

    For each beat and usable lead: the largest absolute slope (mV/s) of the QRS-band signal
    within ``qrs_steep_window_s`` of the detected complex, times the beat's RR interval (s),
    divided by the signal's peak-to-peak amplitude (mV) over that cycle. A dimensionless
    ratio, independent of gain and rate: a sinusoid whose cycles are detected gives at most
    pi whatever its frequency and amplitude (slope 2 pi f A, cycle 1/f, peak-to-peak 2 A;
    less when the window around its detected peak misses its steepest point; up to ~5 when
    the detector splits its cycles and the half-RR windows miss part of the swing: 5.1 for a
    1.2 Hz sine detected at 97 bpm), a triangle wave 2, while a QRS complex
    rises over its whole cycle's amplitude in tens of milliseconds (LUDB, 200 records, 500
    and 250 Hz, 1, 2 or 12 leads: 20 to 126, median 55-69). Returns the median over beats of
    the best lead's value (NaN with fewer than two beats).

    Examples
    --------
    >>> from interp_ecg.features.delineation.stages import Views, qrs_steepness
    >>> import numpy as np
    >>> from interp_ecg.features.delineation.params import Params
    >>> fs = 500.0; t = np.arange(5000) / fs
    >>> sine = np.sin(2 * np.pi * 1.2 * t)[None]
    >>> v = Views(sine, sine, sine, sine, sine, np.zeros_like(sine, bool), np.zeros((1, 1)))
    >>> r = np.arange(104, 5000, 417)                   # at the sine's peaks
    >>> round(qrs_steepness(v, r, fs, Params(), np.ones(1, bool)), 1)
    1.4
    """
    if r.size < 2:
        return float("nan")
    x = views.qrs_band[np.asarray(usable, bool)]
    n = x.shape[1]
    if n < 2:
        np.gradient(x, axis=1)          # (raises as it always did)
    rr = np.diff(r).astype(float)
    rr = np.concatenate([rr[:1], rr])
    w = max(int(round(p.qrs_steep_window_s * fs)), 1)
    # all beats at once (the values, and their order, of the former loop over beats):
    # peak-to-peak over [lo, hi) by reduceat over (lo, hi) pairs (the odd entries span
    # between windows and are dropped; a repeated last sample makes hi = n a valid index)
    rb = np.asarray(r).astype(np.int64)
    half = (rr // 2).astype(np.int64)
    lo, hi = np.maximum(rb - half, 0), np.minimum(rb + half, n)
    ends = np.clip(np.stack([lo, hi], axis=1).ravel(), 0, n)   # (beats out of order: skipped)
    xp = np.concatenate([x, x[:, -1:]], axis=1)
    p2p = (np.maximum.reduceat(xp, ends, axis=1)[:, ::2]
           - np.minimum.reduceat(xp, ends, axis=1)[:, ::2])
    # the steepest |slope| (mV/s, np.gradient's central difference, one-sided at the
    # record's ends) within +-w of each beat, computed there only
    at = rb[:, None] + np.arange(-w, w + 1)
    inside = (at >= 0) & (at < n)
    at = np.clip(at, 0, n - 1)
    grad = (x[:, np.minimum(at + 1, n - 1)] - x[:, np.maximum(at - 1, 0)]) / 2.0
    grad = np.where(at == 0, (x[:, 1:2] - x[:, 0:1])[..., None] / 1.0, grad)
    grad = np.where(at == n - 1, (x[:, n - 1:n] - x[:, n - 2:n - 1])[..., None] / 1.0, grad)
    st = np.where(inside, np.abs(grad) * fs, -np.inf).max(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(p2p > 0, st * rr / fs / p2p, np.nan)
    use = ((hi - lo) >= 4) & np.isfinite(ratio).any(axis=0)
    if not use.any():
        return float("nan")
    vals = np.nanmax(ratio[:, use], axis=0)
    return float(np.median(vals))


def rr_intervals(r: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """RR before and after each beat (samples): the median RR at the record's ends, and
    1 s with a single beat (search bounds only, never reported)."""
    if r.size >= 2:
        d = np.diff(r)
        med = np.median(d)
        prev = np.concatenate([[med], d])
        nxt = np.concatenate([d, [med]])
    else:
        prev = nxt = np.array([fs], dtype=float)
    return prev.astype(float), nxt.astype(float)


def rr_is_irregular(r: np.ndarray, p: Params) -> bool:
    """Whether the RR intervals of the beats ``r`` vary irregularly (atrial fibrillation?).

    Irregular: the median absolute change between consecutive RR intervals exceeds
    ``rr_irregular`` of the median RR. A regularly alternating sequence (ventricular
    bigeminy: short coupling interval, long pause, again and again) is not irregular: there
    every other RR interval repeats, so the median change at lag two stays within the same
    limit, which it does not in atrial fibrillation.

    Examples
    --------
    >>> from interp_ecg.features.delineation.stages import rr_is_irregular
    >>> import numpy as np
    >>> from interp_ecg.features.delineation.params import Params
    >>> bigeminy = np.cumsum([0] + [220, 330] * 6)          # samples at 500 Hz
    >>> rr_is_irregular(bigeminy, Params())
    False
    >>> af = np.cumsum([0, 300, 420, 250, 390, 310, 460, 280, 350, 240])
    >>> rr_is_irregular(af, Params())
    True
    """
    r = np.asarray(r, dtype=float)
    if r.size < 4:
        return False
    rr = np.diff(r)
    limit = p.rr_irregular * np.median(rr)
    if np.median(np.abs(np.diff(rr))) <= limit:
        return False
    if rr.size >= 4 and np.median(np.abs(rr[2:] - rr[:-2])) <= limit:
        return False  # regularly alternating (bigeminy)
    return True


def dominant_rr_irregular(r: np.ndarray, dominant: np.ndarray, p: Params) -> bool:
    """:func:`rr_is_irregular` over the RR intervals between two dominant beats.

    An interval counts when both beats that bound it are dominant (not premature,
    :func:`premature_beats`): the coupling interval of a premature beat and the pause after
    it are left out, so a sinus rhythm with atrial or ventricular premature beats is judged
    on its sinus cycles, while atrial fibrillation, whose RR intervals vary between any two
    beats, stays irregular. With fewer than four such intervals every interval counts.

    Parameters
    ----------
    r : ndarray, shape (n_beats,)
        R peaks (samples).
    dominant : ndarray of bool, shape (n_beats,)
        Beats that are not premature.

    Examples
    --------
    >>> from interp_ecg.features.delineation.stages import dominant_rr_irregular, rr_is_irregular
    >>> import numpy as np
    >>> from interp_ecg.features.delineation.params import Params
    >>> rr = [300, 300, 300, 200, 420, 300, 300, 205, 410, 300, 300, 300]  # sinus + 2 PACs
    >>> r = np.cumsum([0] + rr)
    >>> dom = np.ones(r.size, bool); dom[[4, 8]] = False
    >>> rr_is_irregular(r, Params()), dominant_rr_irregular(r, dom, Params())
    (True, False)
    """
    r = np.asarray(r, dtype=float)
    dom = np.asarray(dominant, dtype=bool)
    if r.size < 4:
        return False
    keep = dom[:-1] & dom[1:]
    if int(keep.sum()) < 4:
        return rr_is_irregular(r, p)
    rr = np.diff(r)[keep]
    limit = p.rr_irregular * np.median(rr)
    return bool(np.median(np.abs(np.diff(rr))) > limit)


def rr_next_of(r: np.ndarray, rr_prev: np.ndarray) -> np.ndarray:
    """RR after each beat (samples), NaN after the last one."""
    return np.concatenate([np.asarray(rr_prev, dtype=float)[1:], [np.nan]]) if r.size else \
        np.array([], dtype=float)


def premature_beats(rr_prev: np.ndarray, rr_next: np.ndarray, p: Params) -> np.ndarray:
    """Beats that come early for their local cycle (a PVC or PAC), shape ``(n_beats,)``.

    A beat is premature when the RR before it is shorter than ``premature_frac`` of its
    local cycle, the mean of the RR before and after it (the RR before it alone, compared
    with the record median, marks half the beats of a bigeminy as premature whichever they
    are, the median lying between the coupling interval and the pause). Without an RR after
    it (last beat), the median RR of the record is the cycle.

    Examples
    --------
    >>> from interp_ecg.features.delineation.stages import premature_beats
    >>> import numpy as np
    >>> from interp_ecg.features.delineation.params import Params
    >>> prev = np.array([500.0, 220, 330, 220, 330])       # N V N V N (samples)
    >>> nxt = np.array([220.0, 330, 220, 330, np.nan])
    >>> premature_beats(prev, nxt, Params()).tolist()
    [False, True, False, True, False]
    """
    prev = np.asarray(rr_prev, dtype=float)
    nxt = np.asarray(rr_next, dtype=float)
    if prev.size == 0:
        return np.zeros(0, dtype=bool)
    cycle = np.where(np.isfinite(nxt), 0.5 * (prev + nxt), np.nanmedian(prev))
    return prev < p.premature_frac * cycle


# --------------------------------------------------------------------------- 3. QRS
def consensus_quantile(usable: np.ndarray, p: Params) -> float:
    """Quantile of the retained leads that gives a consensus QRS or T onset (``1 - q`` for
    offsets).

    ``cons_q`` (a low quantile: the earliest reliable onset, as ECGdeli and 12SL) with
    more than ``cons_few_leads`` usable leads; ``cons_q_few`` (0: the earliest onset and
    latest offset of the leads, the definition of the global boundaries) with one or two,
    where no lead can be outvoted. The median used there before made II + V5 read a
    shorter QRS than II alone (see ``Params.cons_q_few``). P waves have their own rule
    (``Params.p_cons_q``).

    Examples
    --------
    >>> from interp_ecg.features.delineation.stages import consensus_quantile
    >>> import numpy as np
    >>> from interp_ecg.features.delineation.params import Params
    >>> consensus_quantile(np.ones(12, bool), Params()), consensus_quantile(np.ones(2, bool), Params())
    (0.15, 0.0)
    """
    return p.cons_q_few if int(np.sum(usable)) <= p.cons_few_leads else p.cons_q


def shrink(v: np.ndarray, usable: np.ndarray, tol: float, w: float, q: float = 0.5) -> np.ndarray:
    """Pull each lead's value towards a robust quantile ``q`` of the usable leads (weight ``w``)."""
    if w >= 1.0:
        return v
    center = combine(v, "on", tol, quantile=q, usable=usable)
    out = np.where(np.isfinite(center)[None, :], center[None, :] + w * (v - center[None, :]), v)
    return np.round(np.where(np.isfinite(v), out, np.nan))


def qrs_stage(views: Views, r: np.ndarray, fs: float, p: Params, usable: np.ndarray,
              rr_prev: np.ndarray, rr_next: np.ndarray) -> dict[str, np.ndarray]:
    """Per-lead QRS onset, main peak and offset, and their consensus.

    Returns ``on, peak, off`` (n_leads, n_beats), ``on_global, peak_global,
    off_global`` (n_beats,; the reported consensus, :func:`consensus_quantile`) and
    ``on_search, off_search`` (n_beats,; onset / offset by the ``cons_q`` quantile,
    where the P and T searches start). A consensus boundary no lead found is NaN (no R +- 50 ms
    stand-in).
    """
    noise = slope_noise(central_slope(views.qrs_band - views.wave_band,
                                      int(round(p.qrs_slope_dt * fs))), r, fs, p)
    on, pk, off, against = qrs_bounds(views.qrs_band, views.qrs_slope, r, fs, p, rr_prev, rr_next,
                                      noise_slope=noise, return_against=True,
                                      few_leads=int(np.sum(usable)) <= p.qrs_sret_max_leads)
    snr_pull = int(np.sum(usable)) == 2 and p.qrs_off_snr_pull > 0
    few = int(np.sum(usable)) <= p.qrs_qon_max_leads
    if snr_pull or few:
        # amplitude noise read on the recorded signal (it includes the part above the QRS
        # band), for the two-lead offset pull and the initial-deflection onset below
        hf = 1.4826 * np.median(np.abs(np.diff(views.raw, axis=1)), axis=1)[:, None] / np.sqrt(2.0)
        noise_rec = np.maximum(views.noise_mv, hf)
    if snr_pull:  # each lead's complex over its noise, for the two-lead offset pull below
        off_snr = complex_snr(views.qrs_band, on, off, noise_rec[:, 0])
    tol = p.qrs_cons_tol_s * fs
    cq = consensus_quantile(usable, p)
    on_g = combine(on, "on", tol, cq, usable, min_voters=p.cons_min_voters)
    off_g = combine(off, "off", tol, cq, usable, min_voters=p.cons_min_voters,
                    slope=views.qrs_slope, confirm_k=p.qrs_cons_off_confirm_k,
                    slope_noise=np.maximum(noise, p.qrs_cons_confirm_floor_mv_s / fs))
    if p.qrs_cons2_visible_k > 0 and p.qrs_cons2_visible_each and int(np.sum(usable)) <= 2:
        vis = visible_ends(off, pk, views.qrs_slope,
                           np.maximum(noise, p.qrs_cons_confirm_floor_mv_s / fs),
                           p.qrs_cons2_visible_k)
        vis[~usable] = np.nan
        off_g = np.where(np.isfinite(vis).any(axis=0),
                         np.nanmax(np.where(np.isfinite(vis), vis, -np.inf), axis=0), off_g)
    elif p.qrs_cons2_visible_k > 0 and int(np.sum(usable)) == 2:
        # the later of two leads pushes the global end only as far as its slope is visible
        # above its noise (consensus.visible_later_end)
        off_g = visible_later_end(off, usable, views.qrs_slope,
                                  np.maximum(noise, p.qrs_cons_confirm_floor_mv_s / fs),
                                  p.qrs_cons2_visible_k)
    # the T and P searches start from the ``cons_q`` onset / offset whatever the number
    # of leads: search bounds, not reported boundaries
    on_s = combine(on, "on", tol, p.cons_q, usable)
    off_s = combine(off, "off", tol, p.cons_q, usable)
    on = shrink(on, usable, tol, p.w_qrs_on, p.q_qrs_on) + round(p.qrs_on_shift * fs)
    if p.w_sv_on < 1.0 or p.w_sv_off < 1.0:
        # spatial velocity of the usable leads: one onset and offset per beat from all
        # leads at once; each lead's boundary is pulled towards them
        sv = np.sqrt(np.sum(views.qrs_slope[usable] ** 2, axis=0))[None, :]
        sp = replace(p, qrs_on=p.sv_on, qrs_off=p.sv_off)
        sv_on, _, sv_off = (b[0] for b in qrs_bounds(sv, sv, r, fs, sp, rr_prev, rr_next))
        for v, ref, w in ((on, sv_on, p.w_sv_on), (off, sv_off, p.w_sv_off)):
            near = np.isfinite(ref)[None, :] & (np.abs(v - ref[None, :]) <= p.sv_near_s * fs)
            v[...] = np.where(near, np.round(ref[None, :] + w * (v - ref[None, :])), v)
    if few:
        # an onset at the tip of an initial q wave moves to its start (qrs.py); the global
        # onset stays the earliest of the leads. The depth is read on the recorded signal,
        # so the noise it is judged against includes the part above the QRS band
        lo = r - np.nan_to_num(0.5 * np.asarray(rr_prev, float), nan=p.qrs_window_s * fs)
        on_n = notched_onset(views.qrs_slope, views.raw, on, off, lo, noise, noise_rec, fs, p)
        moved = initial_deflection_onset(views.qrs_band, views.qrs_slope, on_n, lo, noise,
                                         noise_rec, fs, p, raw=views.raw)
        moved = np.where(against, on_n, moved)  # a P wave's descent is no initial q wave
        earliest = np.where((moved != on) & usable[:, None], moved, np.inf).min(axis=0)
        on_g = np.where(np.isfinite(earliest), np.fmin(on_g, earliest), on_g)
        on = moved
    if few:
        # an offset on the notch before a terminal S moves to its end (qrs_notch.py). The
        # rule reads the slope rule's own offsets, before the two-lead pull below (a pulled
        # offset no longer sits on the notch), so a lead moves alike alone or beside
        # another. Gated by the definition of complete RBBB (QRS >= 120 ms: the moved
        # complex, from the global onset, lasts at least qrs_noff_min_qrs_s). Where a usable
        # lead moved, the global offset is the latest over the leads (cons_q_few = 0), with
        # qrs_noff_global only (off by default: the LUDB guard on the global F1, params.py)
        hi = r + np.nan_to_num(0.5 * np.asarray(rr_next, float), nan=p.qrs_window_s * fs)
        moved, trough = notched_offset(views.qrs_slope, views.raw, on, off, hi, noise, noise_rec,
                                       fs, p, return_trough=True)
        with np.errstate(invalid="ignore"):
            width = moved - on_g[None, :]
            # narrower complexes pass where the terminal S is a distinct lobe (helper qoff2)
            lobe = ((p.qrs_noff_lobe_min_qrs_s > 0) & (trough >= p.qrs_noff_lobe_trough)
                    & (width >= p.qrs_noff_lobe_min_qrs_s * fs - 1e-9))
            hit = ((moved != off) & np.isfinite(off) & usable[:, None]
                   & ((width >= p.qrs_noff_min_qrs_s * fs - 1e-9) | lobe))
        off = np.where(hit, moved, off)
        if p.qrs_noff_global:
            latest = np.where(hit, moved, -np.inf).max(axis=0)
            off_g = np.where(np.isfinite(latest), np.fmax(off_g, latest), off_g)
    off = (snr_weighted_pull(off, off_snr, usable, tol, p.qrs_off_snr_pull) if snr_pull
           else shrink(off, usable, tol, p.w_qrs_off, p.q_qrs_off)) + round(p.qrs_off_shift * fs)
    pk_g = combine(pk, "peak", p.t_cons_tol_s * fs, usable=usable)
    return {"on": on, "peak": pk, "off": off, "on_global": on_g, "peak_global": pk_g,
            "off_global": off_g, "on_search": on_s, "off_search": off_s}


# --------------------------------------------------------------------------- 4. T
def t_stage(views: Views, r: np.ndarray, qrs_off_global: np.ndarray, rr_next: np.ndarray,
            fs: float, p: Params, usable: np.ndarray,
            qrs_on_global: np.ndarray | None = None,
            qrs_on_reported: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per-lead T onset, peak and offset where the T wave stands above the lead's noise.

    The search starts at the consensus QRS offset (at ``R + t_start_after_r_s`` where that
    was not found: a search bound, not a reported boundary). Before a premature
    ventricular beat (:func:`premature_beats`, with a QRS at least ``t_next_wide_s`` wider
    than this beat's) the search spans are shares of the beat's own cycle (the
    longer of the RR before and after it) and the search stops ``t_next_qrs_guard_s``
    before the premature beat's QRS onset (``qrs_on_global``, where given and found); a T
    end found at that stop is hidden by the next QRS and not reported (``hidden``). For
    every beat no search reaches past the next beat's QRS onset (the earlier of
    ``qrs_on_global`` and the reported ``qrs_on_reported``) less ``t_next_qrs_guard_s``. With at
    most
    ``t_lobe_max_leads`` usable leads the offset of a biphasic T is the end of its terminal
    lobe (:func:`.waves.terminal_lobe`, ``Params.t_lobe_*``). Returns ``on, peak, off``
    (visible waves only), ``off_raw`` (every lead's offset before the visibility check,
    used to start the next beat's P search), ``edge_cut``, ``lobe`` (a terminal lobe set
    the visible T's offset) and ``snr`` (visible T amplitude over the lead's noise, floored
    at ``t_cons_noise_floor_mv``), all (n_leads, n_beats), for :func:`t_consensus`; with
    two to ``t_lobe_max_leads`` usable leads and ``t_cons_end_sd_max_s > 0`` also
    ``end_sd``, the timing uncertainty of each T end (s, :func:`.waves.t_end_uncertainty`
    against :func:`.waves.repolarisation_noise`).
    """
    start = np.where(np.isfinite(qrs_off_global), qrs_off_global,
                     r + round(p.t_start_after_r_s * fs)).astype(np.int64)
    rr_next = np.asarray(rr_next, dtype=float)
    cycle, next_on, q_next, widen = rr_next, None, None, None
    if r.size >= 3:
        rr_prev = np.concatenate([[np.median(np.diff(r))], np.diff(r)]).astype(float)
        nxt_prem = np.concatenate([premature_beats(rr_prev, rr_next_of(r, rr_prev), p)[1:],
                                   [False]])
        widen = ~nxt_prem  # the long-QT widened search: not before a premature beat
        if qrs_on_global is not None:
            # ... and ventricular: its QRS wider than this beat's (a premature atrial beat
            # has its P wave between this T and its QRS: there the T search keeps its share
            # of the coupling interval, which ends before that P)
            dur = np.asarray(qrs_off_global, dtype=float) - np.asarray(qrs_on_global, dtype=float)
            with np.errstate(invalid="ignore"):
                wider = np.concatenate([dur[1:] >= dur[:-1] + p.t_next_wide_s * fs, [False]])
            nxt_prem &= wider
        else:
            nxt_prem[:] = False
        cycle = np.where(nxt_prem, np.maximum(rr_prev, rr_next), rr_next)
        q_next = (np.concatenate([np.asarray(qrs_on_global, dtype=float)[1:], [np.nan]])
                  if qrs_on_global is not None else np.full(r.size, np.nan))
        # the next R less t_next_guard_s where its QRS onset was not found
        q_next = np.where(np.isfinite(q_next), q_next,
                          r + rr_next - round((p.t_next_guard_s - p.t_next_qrs_guard_s) * fs))
        next_on = np.where(nxt_prem, q_next, np.nan)
    tw = t_waves(views.wave_band, views.wave_slope, r, start, rr_next, fs, p,
                 min_mv=p.noise_k * views.noise_mv,
                 terminal=int(np.sum(usable)) <= p.t_lobe_max_leads,
                 rr_cycle=cycle, next_on=next_on, widen=widen,
                 next_qrs=q_next if q_next is None or qrs_on_reported is None else np.fmin(
                     q_next, np.concatenate([np.asarray(qrs_on_reported, float)[1:], [np.nan]])))
    visible = tw["ok"] & (tw["amp"] >= np.maximum(p.t_min_mv, p.noise_k * views.noise_mv))
    out = {k: np.where(visible, tw[k], np.nan) for k in ("on", "peak", "off")}
    # a T end hidden by the next (premature) QRS is not in the signal
    out["hidden"] = visible & tw["hidden"]
    # ... and one at a search stop with the T still off its baseline (helper tstop)
    out["open"] = visible & tw["open"] & ~out["hidden"]
    out["off"] = np.where(out["hidden"] | out["open"], np.nan, out["off"])
    out["off_raw"] = np.where(tw["ok"], tw["off"], np.nan)
    out["edge_cut"] = visible & tw["edge_cut"]
    out["stop"] = tw["stop"]
    # for the global T end (t_consensus): where a terminal lobe set a lead's T end, and
    # the evidence of each lead's T (amplitude over the lead's noise)
    lobe = visible & tw["terminal_lobe"]
    out["lobe"] = lobe
    out["snr"] = np.where(visible, tw["amp"] / np.maximum(views.noise_mv, p.t_cons_noise_floor_mv),
                          np.nan)
    if p.t_cons_end_sd_max_s > 0 and 2 <= int(np.sum(usable)) <= p.t_lobe_max_leads:
        # how precisely each lead's T end is timed (s), for t_consensus (helper tcons)
        out["end_sd"] = t_end_uncertainty(views.wave_slope, out["off"], repolarisation_noise(
            views.wave_band, r, fs, p), fs, p)
    return out


def t_consensus(t: dict[str, np.ndarray], usable: np.ndarray, fs: float, p: Params
                ) -> dict[str, np.ndarray]:
    """Global T onset, peak and offset per beat from :func:`t_stage`'s per-lead values.

    Onset and offset by :func:`consensus_quantile` (with one or two usable leads the
    earliest onset and the latest offset), the peak by the median, outliers rejected where
    at least ``cons_min_voters`` leads vote. A T end set by a terminal lobe
    (:func:`.waves.terminal_lobe`, with at most ``t_lobe_max_leads`` usable leads) takes
    part only when the lobe is confirmed: where another usable lead shows its T without a
    lobe and standing higher above its noise (more than ``Params.t_cons_lobe_snr_ratio``
    times the lobe lead's amplitude over noise), the lobe lead's T end does not take part
    in that beat's global T end (its per-lead row keeps it). Likewise, where ``t`` has
    ``end_sd`` (:func:`t_stage`, two to ``t_lobe_max_leads`` usable leads), a T end whose
    timing uncertainty exceeds ``Params.t_cons_end_sd_max_s`` does not take part where
    another usable lead's T end is timed within it: the latest T end of the definition is
    the latest end that the signal times.

    Parameters
    ----------
    t : dict
        ``on, peak, off`` (n_leads, n_beats; NaN where no visible T), ``lobe`` (bool, a
        terminal lobe set the lead's T end), ``snr`` (T amplitude over the lead's noise)
        and optionally ``end_sd`` (s).
    usable : ndarray of bool, shape (n_leads,)
    fs : float
        Sampling rate (Hz) of the sample indices.
    p : Params

    Returns
    -------
    dict
        ``on, peak, off``, each of shape (n_beats,) (sample indices, NaN where none).

    Examples
    --------
    >>> from interp_ecg.features.delineation.stages import t_consensus
    >>> import numpy as np
    >>> from interp_ecg.features.delineation.params import Params
    >>> t = {"on": np.array([[100.0], [102.0]]), "peak": np.array([[150.0], [150.0]]),
    ...      "off": np.array([[300.0], [200.0]]), "lobe": np.array([[True], [False]]),
    ...      "snr": np.array([[10.0], [40.0]])}
    >>> t_consensus(t, np.ones(2, bool), 500.0, Params())["off"].tolist()
    [200.0]
    >>> t_consensus(t, np.ones(2, bool), 500.0, Params(t_cons_lobe_snr_ratio=0))["off"].tolist()
    [300.0]
    """
    cq = consensus_quantile(usable, p)
    tol = p.t_cons_tol_s * fs
    off = t["off"]
    if p.t_cons_lobe_snr_ratio > 0 and "lobe" in t and np.any(t["lobe"]):
        lobe = t["lobe"] & np.asarray(usable, bool)[:, None]
        snr = np.where(np.asarray(usable, bool)[:, None], t["snr"], np.nan)
        # the best evidence among the usable leads whose T has no terminal lobe
        plain = np.where(~t["lobe"] & np.isfinite(t["off"]), snr, np.nan)
        with np.errstate(invalid="ignore"):
            best_plain = np.nanmax(np.where(np.isfinite(plain), plain, -np.inf), axis=0)
            unconfirmed = lobe & (best_plain[None, :] > p.t_cons_lobe_snr_ratio * snr)
        off = np.where(unconfirmed, np.nan, off)
    if p.t_cons_end_sd_max_s > 0 and "end_sd" in t:
        # a T end timed more loosely than t_cons_end_sd_max_s does not set the global end
        # where another usable lead's T end is timed within it
        sd = np.where(np.asarray(usable, bool)[:, None] & np.isfinite(off), t["end_sd"], np.nan)
        with np.errstate(invalid="ignore"):
            loose = sd > p.t_cons_end_sd_max_s
            tight = np.any(sd <= p.t_cons_end_sd_max_s, axis=0)
        off = np.where(loose & tight[None, :], np.nan, off)
    return {"on": combine(t["on"], "on", tol, cq, usable, min_voters=p.cons_min_voters),
            "peak": combine(t["peak"], "peak", tol, cq, usable, min_voters=p.cons_min_voters),
            "off": combine(off, "off", tol, cq, usable, min_voters=p.cons_min_voters)}


# --------------------------------------------------------------------------- 5. P
def p_lead_evidence(centre_vis: np.ndarray, snr: np.ndarray, qrs_on: np.ndarray,
                    rr_prev: np.ndarray, fs: float, p: Params) -> np.ndarray:
    """With few leads, keep the visible P centres of the leads whose own P is time-locked.

    Each lead is judged on its own: its P is time-locked when, among the beats that are
    not premature, at least ``p_lead_evidence_frac`` show a visible P whose PR (QRS onset
    minus P centre) lies within ``pr_tol`` of the lead's median PR. Leads without such
    evidence are dropped; when two leads both show it but place the P more than
    ``p_spread`` apart (one of them follows another wave), only the lead with more
    time-locked beats is kept (ties: the larger median P amplitude over noise). With many
    leads the "visible in several leads" rule does this job; with one or two it cannot.

    Parameters
    ----------
    centre_vis : ndarray, shape (n_leads, n_beats)
        P centres (samples) where the P is visible in a usable lead, else NaN.
    snr : ndarray, shape (n_leads, n_beats)
        P amplitude over the lead's noise.
    qrs_on, rr_prev : ndarray, shape (n_beats,)
        Consensus QRS onset and RR before each beat (samples).

    Returns
    -------
    ndarray, shape (n_leads, n_beats): ``centre_vis`` with the rejected leads set to NaN.
    """
    out = np.array(centre_vis, dtype=float)
    if out.shape[1] < 3:
        return out
    regular = ~premature_beats(rr_prev, rr_next_of(np.arange(rr_prev.size), rr_prev), p)
    pr = np.asarray(qrs_on, dtype=float)[None, :] - out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med = nanmedian_cols(np.where(regular[None, :], pr, np.nan).T)
        locked = np.isfinite(pr) & (np.abs(pr - med[:, None]) <= p.pr_tol * fs)
        share = (locked & regular[None, :]).sum(axis=1) / max(int(regular.sum()), 1)
        level = nanmedian_cols(np.where(np.isfinite(out), snr, np.nan).T)
    keep = share >= p.p_lead_evidence_frac
    if keep.sum() >= 2:
        idx = np.flatnonzero(keep)
        if np.nanmax(med[idx]) - np.nanmin(med[idx]) > p.p_spread * fs:
            best = idx[np.lexsort((-np.nan_to_num(level[idx]), -share[idx]))[0]]
            keep[:] = False
            keep[best] = True
    out[~keep] = np.nan
    return out


#: ``reason`` of a beat whose P wave cannot be sought: the previous T wave ends too close to
#: the QRS onset (T-P fusion at fast rates; ``Params.p_fused_room_s``).
P_HIDDEN_IN_T = "P wave hidden in the preceding T wave"
#: ``reason`` of a beat whose P onset lies under the previous T wave (``Params.p_fused_on_tol_s``).
P_ON_FUSED = "P onset fused with the preceding T wave"


def p_stage(views: Views, r: np.ndarray, qrs_on_global: np.ndarray, qrs_off_global: np.ndarray,
            rr_prev: np.ndarray, t_end_raw: np.ndarray, fs: float, p: Params,
            usable: np.ndarray) -> dict:
    """P boundaries per lead and beat, and whether the record's beats have a P wave at all.

    A beat has a P wave when it is visible (above ``noise_k`` x the lead's noise) in at
    least ``max(p_min_leads, p_lead_frac x usable leads)`` leads, those leads agree in
    timing (``p_spread``), and the PR interval is stable from beat to beat (``pr_tol``)
    over enough beats (``p_min_frac``; stricter with irregular RR, :func:`rr_is_irregular`,
    which a regularly alternating bigeminy is not, nor a sinus rhythm whose RR is irregular
    only through its premature beats and their pauses, :func:`dominant_rr_irregular`).
    Premature beats
    (:func:`premature_beats`, judged against their local cycle) are left out of the count
    and of the reference PR. Beats without a QRS onset are not searched. The global P
    onset and offset are the median of the agreeing leads' bounds when more than
    ``cons_few_leads`` leads are usable (``Params.p_cons_q``), else ``cons_q``. Returns
    ``on, peak, off`` (n_leads, n_beats), ``present`` (n_beats,), ``reason`` (record-level
    reason when absent), ``beat_reason``
    (n_beats,), ``edge_cut`` (n_leads, n_beats), ``fused_on`` (n_beats,) and ``fused_lead``
    (n_leads, n_beats): T-P fusion at fast rates, P onset NaN (:data:`P_ON_FUSED`,
    ``Params.p_tp_min_s``); a beat without a P and no room for one after the previous T end
    gets :data:`P_HIDDEN_IN_T` (``Params.p_fused_room_s``), the record's reason too when half
    the beats do.
    """
    ms = fs / 1000.0
    n_leads = views.raw.shape[0]
    has_on = np.isfinite(qrs_on_global)
    q_on = np.where(has_on, qrs_on_global, r).astype(np.int64)
    prev_t_end = np.concatenate([[np.nan], t_end_raw[:-1]])
    pw = p_waves(views.wave_band, views.wave_slope, q_on, rr_prev, fs, p, prev_t_end)
    # a P search window cut by the record start is an edge-cut P
    start_cut = (pw["start"] < 0)[None, :]
    edge_cut = (pw["edge_cut"] | start_cut) & has_on[None, :]
    visible = (pw["ok"] & (pw["amp"] >= np.maximum(p.p_min_mv, p.noise_k * views.noise_mv))
               & has_on[None, :] & ~start_cut)
    beat_reason = np.full(r.size, "", dtype=object)
    n_use = int(usable.sum())
    # timing by the centre of the wave (robust to bifid P, whose peak jumps between lobes)
    centre = 0.5 * (pw["on"] + pw["off"])
    centre_vis = np.where(visible & usable[:, None], centre, np.nan)
    if 0 < n_use <= p.p_lead_evidence_max_leads:
        centre_vis = p_lead_evidence(centre_vis, pw["amp"] / np.maximum(views.noise_mv, 1e-6),
                                     qrs_on_global, rr_prev, fs, p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p_centre = nanquantile_cols(centre_vis, 0.5)
        spread = nanquantile_cols(np.abs(centre_vis - p_centre), 0.5)
    need = max(p.p_min_leads, p.p_lead_frac * n_use)
    present = (np.sum(np.isfinite(centre_vis), axis=0) >= need) & (spread <= p.p_spread * fs)
    pr = qrs_on_global - p_centre
    reason = "no P wave visible in enough leads"
    qrs_s = np.nanmedian(qrs_off_global - qrs_on_global) / fs if np.isfinite(
        qrs_off_global - qrs_on_global).any() else np.nan
    if r.size >= 3 and np.median(np.diff(r)) < p.wct_rr_s * fs and qrs_s >= p.wct_qrs_s:
        # wide-complex tachycardia: atrial activity is buried in the QRS/T (and in VT
        # dissociated from it); whatever the P search found there is not a P wave
        present[:] = False
        reason = "wide-complex tachycardia: P waves not separable"
    if present.sum() >= 1:
        # premature beats (PVCs) have no P of their own: left out of the count, and the
        # reference PR comes from the other beats where they show a P (with frequent PVCs
        # the bump found before a PVC, often the previous T wave, would otherwise shift it)
        not_premature = ~premature_beats(rr_prev, rr_next_of(r, rr_prev), p)
        ref = present & not_premature
        pr_med = np.median(pr[ref] if ref.any() else pr[present])
        # irregular RR (atrial fibrillation?): P waves must be strictly time-locked. The
        # rhythm is judged on the dominant beats: premature beats (PACs, PVCs) and the
        # pauses after them make a sinus rhythm's RR irregular, not its own cycles
        irregular = rr_is_irregular(r, p) and dominant_rr_irregular(r, not_premature, p)
        few = n_use <= p.p_lead_evidence_max_leads
        tol, frac = ((p.pr_tol * (p.pr_tol_irregular_few if few else 0.5), p.p_min_frac_irregular)
                     if irregular else (p.pr_tol, p.p_min_frac))
        stable = np.abs(pr - pr_med) <= tol * fs
        if p.p_lock_among_visible:
            # time-locking judged among the beats whose P is visible (with few leads a
            # small P is visible in only some beats; in AF the "P waves" found are not
            # time-locked), and enough beats must show one
            n_vis = (present & not_premature).sum()
            locked = (present & stable & not_premature).sum() < frac * max(n_vis, 1) or (
                n_vis < p.p_min_visible_frac * max(not_premature.sum(), 1))
        else:
            locked = (present & stable & not_premature).sum() < frac * max(not_premature.sum(), 1)
        if locked:
            present[:] = False
            reason = "no P wave time-locked to the QRS (atrial fibrillation/flutter?)"
        else:
            unstable = present & ~stable
            present &= stable
            beat_reason[unstable] = "P wave not time-locked to this QRS"
    # per-lead P kept where the lead agrees with the consensus P centre
    lead_p = (present[None, :] & np.isfinite(centre) & has_on[None, :] & ~start_cut
              & (np.abs(centre - p_centre) <= p.p_lead_agree_s * fs))
    lead = {k: np.where(lead_p, pw[k], np.nan) for k in ("on", "peak", "off")}
    hidden = pw["hidden"] & has_on & ~present
    if hidden.sum() >= 0.5 * max(int(has_on.sum()), 1):
        reason = P_HIDDEN_IN_T
    beat_reason[hidden] = P_HIDDEN_IN_T
    tol = p.qrs_cons_tol_s * fs
    # global P bounds: the median lead with many leads (the extreme of many noisy per-lead
    # bounds inflates the P duration, see Params.p_cons_q); with one or two leads cons_q
    p_q = p.p_cons_q if n_use > p.cons_few_leads else p.cons_q
    glob = {k: np.where(present, combine(lead[k], s, p.p_cons_tol_s * fs, p_q, usable), np.nan)
            for k, s in (("on", "on"), ("peak", "peak"), ("off", "off"))}
    # T-P fusion: where the search starts at the previous T end (fast rates), a consensus P
    # onset less than p_tp_min_s after it (and, with p_fused_level > 0, standing that share of
    # the P height above the QRS-onset level) has no isoelectric T-P segment before it -- the
    # P began under the T and the search found a late onset: NaN, in every lead
    with np.errstate(invalid="ignore"):
        level = nanquantile_cols(np.where(lead_p, pw["on_level"], np.nan), 0.5)
        # (premature beats keep theirs: an atrial premature P on the T is a question of its
        # own, and its onset after the T end is often seen, CinC JS20014 beat 10)
        fused_on = (present & pw["at_t"] & (glob["on"] - prev_t_end < p.p_tp_min_s * fs)
                    & ~premature_beats(rr_prev, rr_next_of(r, rr_prev), p)
                    & ((level >= p.p_fused_level) | (p.p_fused_level <= 0)) & (p.p_tp_min_s > 0))
    fused_lead = fused_on[None, :] & np.isfinite(lead["on"])
    glob["on"] = np.where(fused_on, np.nan, glob["on"])
    lead["on"] = np.where(fused_on[None, :], np.nan, lead["on"])
    lead["on"] = shrink(lead["on"], usable, tol, p.w_p if p.w_p_on is None else p.w_p_on)
    lead["off"] = shrink(lead["off"], usable, tol, p.w_p)
    # a usable lead that shows the consensus P too weakly gets the consensus P (for the
    # boundaries the leads' median rather than the earliest onset / latest offset, which
    # are the record's extremes and not a typical lead's)
    for k in ("on", "peak", "off"):
        fill = glob[k]
        if k != "peak" and p.p_fill_median:
            med = np.where(present, combine(lead[k], "peak", tol, usable=usable), np.nan)
            fill = np.where(np.isfinite(med), med, glob[k])
        lead[k] = np.where(present[None, :] & ~np.isfinite(lead[k]) & usable[:, None],
                           fill[None, :], lead[k])
    return {**lead, "on_global": glob["on"], "peak_global": glob["peak"],
            "off_global": glob["off"], "present": present, "reason": reason,
            "beat_reason": beat_reason, "edge_cut": edge_cut & lead_p,
            "fused_on": fused_on, "fused_lead": fused_lead,
            "start": pw["start"], "present_any": bool(present.any()), "n_leads": n_leads}


# --------------------------------------------------------------------------- 6. guards
WAVES = {"P": (0, 1, 2), "QRS": (3, 4, 5), "T": (6, 7, 8)}


def edge_and_gap_guard(values: np.ndarray, n_samples: int, fs: float, p: Params,
                       bridged: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Set to NaN every boundary outside the record, within ``edge_guard_s`` of its ends,
    or on (within ``edge_guard_s`` of) a bridged invalid stretch of its lead.

    Parameters
    ----------
    values : ndarray, shape (n_rows, n_beats, 9)
        Fiducials in :data:`FIDUCIALS` order; rows are leads (the consensus row last).
    bridged : ndarray of bool, shape (n_rows, n_samples), optional
        Bridged samples per row.

    Returns
    -------
    values : the guarded copy; ``edge`` (n_rows, n_beats, 9) bool, boundaries removed at
    the record edge; ``gap`` idem for bridged stretches.

    Examples
    --------
    >>> from interp_ecg.features.delineation import Params
    >>> from interp_ecg.features.delineation.stages import edge_and_gap_guard
    >>> import numpy as np
    >>> v = np.full((1, 1, 9), np.nan); v[0, 0, 3:6] = [4980, 4990, 4998]
    >>> out, edge, gap = edge_and_gap_guard(v, 5000, 500.0, Params())
    >>> out[0, 0, 3:6].tolist(), edge[0, 0, 5]
    ([4980.0, 4990.0, nan], np.True_)
    """
    v = np.array(values, dtype=float)
    g = int(round(p.edge_guard_s * fs))
    is_on = np.zeros(9, bool)
    is_on[[0, 3, 6]] = True
    is_off = np.zeros(9, bool)
    is_off[[2, 5, 8]] = True
    with np.errstate(invalid="ignore"):
        outside = (v < 0) | (v > n_samples - 1)
        near = (is_on & (v < g)) | (is_off & (v > n_samples - 1 - g))
    edge = np.isfinite(v) & (outside | near)
    v[edge] = np.nan
    gap = np.zeros(v.shape, bool)
    if bridged is not None and bridged.any():
        # distance to the nearest bridged sample, per row
        for i in np.flatnonzero(bridged.any(axis=1)):
            idx = np.flatnonzero(bridged[i])
            vi = v[i]
            ok = np.isfinite(vi)
            pos = np.clip(np.searchsorted(idx, np.where(ok, vi, 0)), 1, max(idx.size - 1, 1))
            d = np.minimum(np.abs(vi - idx[np.minimum(pos - 1, idx.size - 1)]),
                           np.abs(vi - idx[np.minimum(pos, idx.size - 1)]))
            gap[i] = ok & (d <= g)
        v[gap] = np.nan
    return v, edge, gap


def enforce_order(values: np.ndarray, reference: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Drop the fiducials that are out of order within a beat (the fewest possible).

    The order is ``P_on < P_peak < P_off <= QRS_on < R_peak < QRS_off <= T_on < T_peak <
    T_off``. Rules, in this order: a QRS onset not before its offset drops both; a main
    peak outside ``(QRS_on, QRS_off)`` is dropped (the boundaries are kept); a P (T) wave
    out of order within itself is dropped whole; a P offset after the QRS onset (a T onset
    before the QRS offset) is dropped; a P (T) wave whose remaining points still reach into
    the QRS is dropped whole. Where a P offset and a QRS onset (a QRS offset and a T onset)
    clash, the one further from its ``reference`` value is dropped (the P or T boundary
    without a reference).

    Parameters
    ----------
    values : ndarray, shape (..., 9)
    reference : ndarray, broadcastable to ``values``, optional
        Consensus values of the same fiducials (the ``global`` row).

    Returns
    -------
    values : the corrected copy; ``dropped`` (..., 9) bool.

    Examples
    --------
    >>> from interp_ecg.features.delineation.stages import enforce_order
    >>> import numpy as np
    >>> v = np.array([[10., 20., 60., 50., 70., 90., 85., 120., 160.]])
    >>> out, dropped = enforce_order(v)
    >>> np.flatnonzero(dropped[0]).tolist()          # P_off and T_on
    [2, 6]
    """
    v = np.array(values, dtype=float)
    before = np.isfinite(v)

    def cmp(a, b):
        """``v[a] >= v[b]`` where both are present."""
        with np.errstate(invalid="ignore"):
            return (v[..., a] >= v[..., b]) & np.isfinite(v[..., a]) & np.isfinite(v[..., b])

    def drop(mask, cols):
        for c in cols:
            v[..., c] = np.where(mask, np.nan, v[..., c])

    for on, pk, off in ((0, 1, 2), (3, 4, 5), (6, 7, 8)):
        drop(cmp(on, off), (on, off))
        drop(cmp(on, pk) | cmp(pk, off), (pk,))
    with np.errstate(invalid="ignore"):
        for a, b in ((2, 3), (5, 6)):   # P_off > QRS_on, QRS_off > T_on
            clash = (v[..., a] > v[..., b]) & np.isfinite(v[..., a]) & np.isfinite(v[..., b])
            if reference is None:
                drop(clash, (a if a == 2 else b,))   # keep the QRS boundary
                continue
            # drop the one further from the consensus of the same boundary
            dev_a = np.abs(v[..., a] - reference[..., a])
            dev_b = np.abs(v[..., b] - reference[..., b])
            a_worse = np.where(np.isfinite(dev_a) & np.isfinite(dev_b), dev_a > dev_b, a == 2)
            drop(clash & a_worse, (a,))
            drop(clash & ~a_worse, (b,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        q_first = np.nanmin(v[..., 3:6], axis=-1)
        q_last = np.nanmax(v[..., 3:6], axis=-1)
        p_last = np.nanmax(v[..., 0:3], axis=-1)
        t_first = np.nanmin(v[..., 6:9], axis=-1)
    with np.errstate(invalid="ignore"):
        # what is left of the P wave must end by the QRS onset (before any other QRS point)
        limit_p = np.where(np.isfinite(v[..., 3]), v[..., 3], q_first)
        bad_p = np.isfinite(p_last) & np.isfinite(limit_p) & np.where(
            np.isfinite(v[..., 3]) & np.isfinite(v[..., 2]) & (p_last == v[..., 2]),
            p_last > limit_p, p_last >= limit_p)
        limit_t = np.where(np.isfinite(v[..., 5]), v[..., 5], q_last)
        bad_t = np.isfinite(t_first) & np.isfinite(limit_t) & np.where(
            np.isfinite(v[..., 5]) & np.isfinite(v[..., 6]) & (t_first == v[..., 6]),
            t_first < limit_t, t_first <= limit_t)
    drop(bad_p, (0, 1, 2))
    drop(bad_t, (6, 7, 8))
    return v, before & ~np.isfinite(v)


def to_record_rate(values: np.ndarray, factor: int | Fraction, n_samples: int) -> np.ndarray:
    """Fiducials found at the internal rate (``factor x fs``) as sample indices of the record.

    Each index is divided by ``factor``: a fractional sample index of the record (a
    multiple of ``1 / factor``), the position the delineator found on the resampled
    signal. Rounding it to a whole sample would put every boundary on the record's own
    grid (10 ms at 100 Hz), and the record-level medians of whole-sample intervals then
    step by 10 ms: PTB-XL QRS durations at 100 Hz differed from 500 Hz with SD 4.1 ms and
    7 of 200 records crossed the 120 ms cut-off (SD 2.7 ms, 1 record, without rounding).
    Division keeps the order of every beat. Anything outside ``[0, n_samples - 1]`` is NaN.

    Examples
    --------
    >>> from interp_ecg.features.delineation.stages import to_record_rate
    >>> import numpy as np
    >>> to_record_rate(np.array([[1000., 1012., 1049., 4998.]]), 5, 999).tolist()
    [[200.0, 202.4, 209.8, nan]]
    """
    with np.errstate(invalid="ignore"):
        out = np.asarray(values, dtype=float) / float(factor)
        return np.where((out >= 0) & (out <= n_samples - 1), out, np.nan)


# --------------------------------------------------------------------------- 7. assemble
def assemble(leads: list[str], per: np.ndarray, glob: np.ndarray,
             reasons: np.ndarray | None, g_reasons: np.ndarray | None) -> pd.DataFrame:
    """The output table: one row per beat and lead, then the consensus rows.

    ``per`` is (n_leads, n_beats, 9), ``glob`` (n_beats, 9); ``reasons`` (n_leads,
    n_beats) and ``g_reasons`` (n_beats,) add a ``reason`` column when given.
    """
    n_leads, nb, _ = per.shape
    allv = np.concatenate([per, glob[None]], axis=0).reshape(-1, 9)
    allv[~np.isfinite(allv)] = np.nan
    # the lead names are converted to strings before the frame is built (converting the
    # frame's column afterwards cost as much again; the same ``astype(str)``, so the same
    # dtype under pandas 2 and 3)
    data = {"lead": pd.Series(np.repeat(np.asarray(list(leads) + ["global"], dtype=object),
                                        nb)).astype(str),
            "beat": np.tile(np.arange(nb), n_leads + 1)}
    for j, c in enumerate(FIDUCIALS):
        data[c] = allv[:, j]
    df = pd.DataFrame(data)
    if reasons is not None:
        df["reason"] = np.concatenate([reasons.ravel(), g_reasons]).astype(str)
    return df
