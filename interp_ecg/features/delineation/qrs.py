"""Multi-lead QRS detection on one combined slope envelope.

All usable leads are band-passed to the QRS band (8-30 Hz) in one call; each lead's
absolute slope is scaled by its own robust maximum, so that a large lead does not drown a
small one; the scaled slopes are averaged over leads and smoothed over 80 ms. QRS complexes
are the peaks of this envelope above an adaptive threshold, with a 250 ms refractory period
and the T-wave discrimination rule of Pan & Tompkins (1985): a candidate within 360 ms of the
previous beat is kept only if its envelope reaches half of that beat's. RR gaps that are
too long for the rhythm are searched again at half the threshold (:func:`search_back`, the
search-back of Pan & Tompkins 1985), so that a wide, low-slope PVC is not lost.

:func:`initial_deflection_onset` places a QRS onset at the complex's first deflection (the
start of an initial q wave, or of a slurred upstroke) where the slope rule stopped inside
the complex; the delineator applies it with one or two usable leads.

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

from collections.abc import Callable

import numpy as np
from scipy.signal import find_peaks

from interp_ecg.features.delineation.filters import bandpass, moving_average
from interp_ecg.features.delineation.params import Params
from interp_ecg.features.delineation.windows import first_true, last_true, positions, take

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
    >>> from interp_ecg.features.delineation.qrs import edge_peak_contained
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
        :func:`edge_peak_contained`); the ``searchback_*`` fields for the second look at a
        lower threshold inside long RR gaps (:func:`search_back`).

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
    rows = np.flatnonzero(np.ones(x.shape[0], bool) if usable is None else np.asarray(usable, bool))
    if rows.size == 0:
        rows = np.arange(x.shape[0])

    def dropout_between(a: int, b: int) -> bool:
        # every usable lead held still at once (quality.dropout_gaps): nothing was recorded
        from interp_ecg.features.quality import dropout_gaps

        return len(dropout_gaps(x[rows, a:b], fs)) > 0

    return search_back(np.asarray(out, dtype=int), np.asarray(out_h, dtype=float), cand, h,
                       ref, fs, p, recorded_gap=dropout_between)


def search_back(beats: np.ndarray, beat_h: np.ndarray, cand: np.ndarray, cand_h: np.ndarray,
                ref: float, fs: float, p: Params | None = None,
                recorded_gap: Callable[[int, int], bool] | None = None) -> np.ndarray:
    """Look again, at a lower threshold, inside RR gaps that are too long for the rhythm.

    A wide, low-slope complex (a premature ventricular beat among sharp sinus beats) can
    keep its slope envelope below ``Params.qrs_threshold`` of the reference height; the
    beat is then lost and the two RR intervals around it merge into one. As in the
    search-back of Pan & Tompkins (1985), a gap longer than ``Params.searchback_rr_factor``
    (1.66 in their detector) times the local RR is searched again for its tallest
    candidate above ``Params.searchback_threshold_ratio`` (0.5 in theirs) of the
    detection threshold. The local RR is the median of the detected RR intervals, at
    most ``Params.searchback_rr_beats`` on each side of the gap; it can be no longer than
    ``Params.searchback_rr_max_s`` (0.85 s), so that a rhythm in which every such complex was lost
    (ventricular bigeminy read as a regular 38 bpm) is searched too. The candidate must lie
    ``Params.t_discrimination_s`` or more after the previous beat, or reach
    ``Params.t_discrimination_ratio`` of its height (the T-wave rule), and
    ``Params.searchback_before_next_s`` or more before the next beat (a P wave lies within
    the PR interval before it).

    Parameters
    ----------
    beats, beat_h : ndarray, shape (n_beats,)
        Detected beats (sample indices, sorted) and their envelope heights.
    cand, cand_h : ndarray, shape (n_cand,)
        All envelope peaks (sorted) and their heights.
    ref : float
        Reference envelope height (:func:`detect_qrs`).
    fs : float
        Sampling rate (Hz).
    p : Params, optional
        ``qrs_threshold``, ``t_discrimination_s``, ``t_discrimination_ratio`` and the
        ``searchback_*`` fields.
    recorded_gap : callable, optional
        ``recorded_gap(a, b)`` is True when the stretch between beats ``a`` and ``b`` holds
        an all-lead dropout (nothing recorded, :func:`interp_ecg.features.quality.dropout_gaps`):
        such an RR is long because data were lost, not because a beat was missed, and is not
        searched (the step where the recording resumes is no QRS complex).

    Returns
    -------
    ndarray of int
        ``beats`` with the beats found in the search-back added, sorted.

    References
    ----------
    Pan J, Tompkins WJ. A real-time QRS detection algorithm. IEEE Trans Biomed Eng
    32(3):230-236, 1985.
    Hamilton PS, Tompkins WJ. Quantitative investigation of QRS detection rules using the
    MIT/BIH arrhythmia database. IEEE Trans Biomed Eng 33(12):1157-1165, 1986.

    Examples
    --------
    Sinus beats every 1.0 s with a candidate at 0.2 of the reference height 0.5 s after
    the third (below the 0.3 threshold): the gap of 1.0 s is not long, nothing is added;
    with the next sinus beat 2.0 s later the gap is searched and the candidate kept.

    >>> from interp_ecg.features.delineation.qrs import search_back
    >>> import numpy as np
    >>> beats = np.array([0, 500, 1000, 2000, 2500]); h = np.ones(5)
    >>> cand = np.array([0, 500, 1000, 1250, 2000, 2500]); ch = np.array([1, 1, 1, 0.2, 1, 1.0])
    >>> search_back(beats, h, cand, ch, 1.0, 500.0).tolist()
    [0, 500, 1000, 1250, 2000, 2500]
    """
    p = p or Params()
    if beats.size < 2 or p.searchback_rr_factor <= 0:
        return beats
    rr = np.diff(beats).astype(float)
    low = p.searchback_threshold_ratio * p.qrs_threshold * ref
    near = p.t_discrimination_s * fs
    before = p.searchback_before_next_s * fs
    k = max(int(p.searchback_rr_beats), 1)
    add: list[int] = []
    for i, gap in enumerate(rr):
        local = min(float(np.median(rr[max(i - k, 0):i + k + 1])), p.searchback_rr_max_s * fs)
        if gap <= p.searchback_rr_factor * local:
            continue
        a, b = beats[i], beats[i + 1]
        inside = (cand > a) & (cand < b) & (cand_h >= low) & (cand <= b - before)
        inside &= (cand - a >= near) | (cand_h >= p.t_discrimination_ratio * beat_h[i])
        if inside.any() and not (recorded_gap is not None and recorded_gap(int(a), int(b))):
            j = np.flatnonzero(inside)
            add.append(int(cand[j[np.argmax(cand_h[j])]]))
    if not add:
        return beats
    return np.sort(np.r_[beats, np.asarray(add, dtype=int)])



def initial_deflection_onset(x: np.ndarray, d: np.ndarray, on: np.ndarray, lo: np.ndarray,
                             slope_noise: np.ndarray, noise_mv: np.ndarray, fs: float,
                             p: Params | None = None, raw: np.ndarray | None = None) -> np.ndarray:
    """Move a QRS onset placed at the tip of an initial q wave, or inside a slurred start, back to the first deflection.

    The slope rule of :func:`.waves.qrs_bounds` puts the onset where the slope magnitude,
    searched back from the complex's first significant slope, falls below ``Params.qrs_on``
    of the complex's largest slope. Before an R wave preceded by a small q wave (or an S
    wave preceded by a small r) the slope passes through zero at the tip of that initial
    wave, so the onset lands on the tip -- inside the complex. The QRS onset is the first
    deflection of the complex from the isoelectric PR level (CSE Working Party, Willems et
    al. 1985; Kligfield et al. 2007): an initial q wave is that deflection, so the onset is
    where its descent begins.

    For each lead and beat, the complex's direction is the sign of its first significant
    slope (``Params.qrs_sig`` of the largest slope within ``qrs_qon_ahead_s`` after the
    onset). An initial wave is a run of slope of the *opposite* sign that ends at the
    onset (present within ``qrs_qon_start_s`` before it, above ``qrs_qon_noise_k`` x the
    lead's slope noise) and lies within ``qrs_qon_reach_s``; its start is the last sample
    before its steepest point where the slope is below ``qrs_qon_end`` of that steepest
    value (a boundary threshold relative to the boundary's own slope maximum, the form of
    Martinez et al. 2004). The onset moves there when the initial wave is deeper than
    ``qrs_qon_amp_k`` x the lead's noise (mV), the start is not before ``lo`` and the
    descent from the start to the onset lasts at most ``qrs_qon_q_max_s``: a normal q wave
    lasts less than 40 ms, its descent about half of it, while a P wave that runs into the
    complex with a short PR segment descends over 30-60 ms from its apex, and moving the
    onset to that apex would put it inside the P wave.

    Where no initial wave is found, a slurred start is followed back: while the slope in
    the complex's own direction stays above ``qrs_qon_slur_noise_k`` x the lead's slope
    noise (the factor that makes a slope part of the complex, ``qrs_sig_noise_k``), the
    signal is already deflecting from the PR level, so the onset moves back to the last
    sample where it does not -- at most ``qrs_qon_reach_s``, and only when the deflection
    over that stretch exceeds ``qrs_qon_amp_k`` x the noise (mV). The slope rule's onset is
    relative to the complex's steepest slope (``qrs_on`` = 3 %), so a slow initial
    deflection (bundle branch block, pre-excitation, a slurred upstroke) of a complex with
    a steep main deflection lies below it.

    Parameters
    ----------
    x, d : ndarray, shape (n_leads, n_samples)
        The QRS-band signal (mV) and its slope (mV per sample, same scale as
        ``slope_noise``).
    on : ndarray, shape (n_leads, n_beats)
        QRS onsets (sample indices, NaN where absent).
    lo : ndarray, shape (n_beats,)
        Earliest sample an onset may move to (e.g. the midpoint of the previous RR).
    slope_noise : ndarray, shape (n_leads,)
        Each lead's slope noise (:func:`.waves.slope_noise`; NaN counts as 0).
    noise_mv : ndarray, shape (n_leads,) or (n_leads, 1)
        Each lead's amplitude noise (mV; NaN counts as 0).
    fs : float
        Sampling rate of ``x`` (Hz).
    p : Params, optional
        ``qrs_sig`` and the ``qrs_qon_*`` fields.
    raw : ndarray, shape (n_leads, n_samples), optional
        The recorded signal (mV) on which the depth of an initial wave or slur is
        measured (default ``x``): the pre-ringing of the QRS band's low-pass before a steep
        upstroke is not a deflection of the recorded signal.

    Returns
    -------
    ndarray, shape (n_leads, n_beats)
        The onsets, moved where an initial wave or a slurred start was found, else
        unchanged (NaN stays NaN).

    References
    ----------
    Willems JL et al. (CSE Working Party). Recommendations for measurement standards in
    quantitative electrocardiography. Eur Heart J 6(10):815-825, 1985.
    Kligfield P et al. Recommendations for the standardization and interpretation of the
    electrocardiogram, Part I. Circulation 115:1306-1324, 2007.

    Examples
    --------
    A q wave of -0.1 mV from sample 100 (baseline) to its tip at 110, then an R wave:
    an onset placed at the tip moves to the start of the q wave.

    >>> from interp_ecg.features.delineation.qrs import initial_deflection_onset
    >>> import numpy as np
    >>> t = np.arange(300.0)
    >>> x = np.interp(t, [0, 100, 110, 130, 150, 299], [0, 0, -0.1, 1.0, 0, 0])[None, :]
    >>> d = np.gradient(x, axis=-1)
    >>> out = initial_deflection_onset(x, d, np.array([[110.0]]), np.array([0]),
    ...                                np.array([1e-4]), np.array([0.005]), 500.0)
    >>> int(out[0, 0])
    100

    A slurred start: the signal rises 0.1 mV slowly from sample 100 to 115, then steeply;
    an onset placed at 115 moves back to the start of the slur.

    >>> x = np.interp(t, [0, 100, 115, 130, 150, 299], [0, 0, 0.1, 1.0, 0, 0])[None, :]
    >>> d = np.gradient(x, axis=-1)
    >>> out = initial_deflection_onset(x, d, np.array([[115.0]]), np.array([0]),
    ...                                np.array([1e-4]), np.array([0.005]), 500.0)
    >>> int(out[0, 0])
    100
    """
    p = p or Params()
    on = np.asarray(on, dtype=float)
    n_l = on.shape[0]
    reach = max(int(round(p.qrs_qon_reach_s * fs)), 1)
    start_n = max(int(round(p.qrs_qon_start_s * fs)), 1)
    ahead = max(int(round(p.qrs_qon_ahead_s * fs)), 1)
    offs = np.arange(-reach, ahead + 1)
    ok = np.isfinite(on)
    o = np.where(ok, on, 0).astype(np.int64)
    idx = np.clip(o[..., None] + offs, 0, x.shape[-1] - 1)
    li = np.arange(n_l)[:, None, None]
    w, dd = x[li, idx], d[li, idx]       # (n_leads, n_beats, reach + ahead + 1)
    wr = w if raw is None else raw[li, idx]
    c = reach                             # window index of the onset
    pos = positions(offs.size)
    after = pos > c
    m_after = np.max(np.where(after, np.abs(dd), 0.0), axis=-1, keepdims=True)
    first = first_true(after & (np.abs(dd) >= p.qrs_sig * m_after) & (m_after > 0))
    s0 = np.sign(take(dd, np.maximum(first, 0)))[..., None]
    qs = -s0 * dd                         # > 0 where the signal moves against the complex
    lo_w = (np.asarray(lo, dtype=float)[None, :] - o + c)[..., None]
    before = (pos < c) & (pos >= lo_w)
    floor = p.qrs_qon_noise_k * np.nan_to_num(
        np.asarray(slope_noise, dtype=float).reshape(-1))[:, None, None]
    started = ((qs > floor) & before & (pos >= c - start_n)).any(axis=-1)
    pk = np.argmax(np.where(before, qs, -np.inf), axis=-1)
    peak = take(qs, pk)[..., None]
    st = last_true(before & (pos < pk[..., None]) & (qs < p.qrs_qon_end * peak))
    depth = -s0[..., 0] * (wr[..., c] - take(wr, np.maximum(st, 0)))
    amp_min = p.qrs_qon_amp_k * np.nan_to_num(np.asarray(noise_mv, dtype=float).reshape(-1))[:, None]
    move = ok & (first >= 0) & started & (st >= 0) & (depth > amp_min) & (depth > 0)
    if p.qrs_qon_q_max_s > 0:
        # a q wave's descent is short; a longer "initial wave" is the descent of a P wave
        # that runs into the complex with a short PR segment (its start is the P apex)
        move &= (c - st) <= p.qrs_qon_q_max_s * fs + 1e-9
    out = np.where(move, on - (c - st), on)
    if p.qrs_qon_slur_noise_k > 0:
        # a slurred start: the complex's own first slope still stands above the lead's
        # slope noise before the onset; the onset moves back to where it falls into it
        rises = s0 * dd > p.qrs_qon_slur_noise_k * np.nan_to_num(
            np.asarray(slope_noise, dtype=float).reshape(-1))[:, None, None]
        st2 = last_true(before & ~rises) + 1
        depth2 = s0[..., 0] * (wr[..., c] - take(wr, np.clip(st2, 0, offs.size - 1)))
        slur = ok & ~move & (first >= 0) & (st2 > 0) & (st2 < c) & (depth2 > amp_min)
        out = np.where(slur, on - (c - st2), out)
    return out
