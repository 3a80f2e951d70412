"""Per-lead wave boundaries, searched in vectorised windows (leads x beats x samples).

QRS boundaries follow the slope-threshold rules of the wavelet delineator of Martinez et
al. (2004): in the derivative of a low-passed signal (the discrete analogue of their
quadratic-spline wavelet at scale 2^2) the complex spans the first to the last significant
slope, and its onset (offset) is where the slope magnitude, searched outwards, falls below a
fixed fraction of the complex's largest slope.

P and T boundaries use the trapezium-area indicator of Zhang et al. (2006) on the
0.5-15 Hz signal: from the steepest point ``m`` of the wave's outer flank the boundary is
the ``t`` that maximises the area ``(y_m - y_t)(2 t_r - t_m - t)`` towards a reference
``t_r`` beyond the wave; the same rule mirrored gives onsets. It only needs the wave's
polarity, so inverted and biphasic waves (outer lobe) are handled alike. (This area is the
trapezium of Vazquez-Seisdedos et al. 2011; Zhang's own sliding-window area is
:func:`sliding_area_end`, an option.) The T's reference ``t_r`` lies a span after ``m``
that grows with the T's own half width where the T is broad (:func:`offset_reference_span`),
so that it stays beyond the end of a long-QT T wave. With one or two leads, a biphasic T
(inverted, then a positive terminal lobe) ends where its terminal lobe ends
(:func:`terminal_lobe`).

References
----------
Martinez JP, Almeida R, Olmos S, Rocha AP, Laguna P. A wavelet-based ECG delineator:
evaluation on standard databases. IEEE Trans Biomed Eng 51(4):570-581, 2004.
Zhang Q, Manriquez AI, Medigue C, Papelier Y, Sorine M. An algorithm for robust and
efficient location of T-wave ends in electrocardiograms. IEEE Trans Biomed Eng
53(12):2544-2552, 2006.
Vazquez-Seisdedos CR, Neto JE, Maranon Reyes EJ, Klautau A, Limao de Oliveira RC. New
approach for T-wave end detection on electrocardiogram: performance in noisy conditions.
Biomed Eng Online 10:77, 2011.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.ndimage import maximum_filter1d

from interp_ecg.features.delineation.params import Params
from interp_ecg.features.delineation.qrs_end import s_wave_return
from interp_ecg.features.delineation.windows import first_true, gather, last_true, positions, take

__all__ = ["Params", "qrs_bounds", "t_waves", "p_waves", "terminal_lobe", "sliding_area_end",
           "repolarisation_noise", "t_end_uncertainty", "offset_reference_span"]


def slope_noise(dq_noise: np.ndarray, centers: np.ndarray, fs: float, p: Params) -> np.ndarray:
    """Each lead's noise level of a slope signal, measured away from the QRS complexes.

    Parameters
    ----------
    dq_noise : ndarray, shape (n_leads, n_samples)
        Slope of the part of the signal that holds the noise and little of the P and T
        waves (the 15-40 Hz residue of :func:`~.stages.prepare`).
    centers : ndarray of int
        Beat centres; ``qrs_window_s`` around each is left out, so that the QRS slopes
        (which fill most of a ventricular tachycardia) do not count as noise.

    Returns
    -------
    ndarray, shape (n_leads,)
        Robust SD (1.4826 x median absolute value); NaN when less than
        ``noise_min_quiet_s`` of the record lies outside the QRS windows.
    """
    n = dq_noise.shape[-1]
    quiet = np.ones(n, dtype=bool)
    w = int(round(p.qrs_window_s * fs))
    for c in np.asarray(centers, dtype=np.int64):
        quiet[max(0, c - w):c + w + 1] = False
    if quiet.sum() < p.noise_min_quiet_s * fs:
        return np.full(dq_noise.shape[0], np.nan)
    return 1.4826 * np.median(np.abs(dq_noise[:, quiet]), axis=1, overwrite_input=True)


def dilate(mask: np.ndarray, size: int) -> np.ndarray:
    """Boolean dilation along the last axis by a centred window of ``size`` samples.

    The same as ``scipy.ndimage.maximum_filter1d(mask.astype(np.uint8), size, mode="constant")
    > 0`` (window ``[i - size // 2, i - size // 2 + size - 1]``, nothing beyond the ends), by
    OR-ing shifted copies (window lengths doubling), a few times faster on boolean windows.

    Examples
    --------
    >>> from interp_ecg.features.delineation.waves import dilate
    >>> import numpy as np
    >>> dilate(np.array([0, 0, 0, 1, 0, 0, 0, 0, 1], bool), 3).astype(int).tolist()
    [0, 0, 1, 1, 1, 0, 0, 1, 1]
    """
    mask = np.asarray(mask, dtype=bool)
    size = max(int(size), 1)
    if size == 1:
        return mask.copy()
    n = mask.shape[-1]
    lo = size // 2
    f = np.zeros(mask.shape[:-1] + (n + size - 1,), dtype=bool)
    f[..., lo:lo + n] = mask
    span = 1                       # f[j] = any(padded[j : j + span])
    while 2 * span <= size:
        f = f[..., :-span] | f[..., span:]
        span *= 2
    # two overlapping windows of ``span`` cover ``size`` samples
    return f[..., :n] | f[..., size - span:size - span + n]


def stop_before_wave_against(dq: np.ndarray, centers: np.ndarray, W: int, on: np.ndarray,
                             f_sig: np.ndarray, thr: np.ndarray, max_n: int,
                             srch_lo: np.ndarray, xw: np.ndarray | None = None,
                             span_mv: np.ndarray | None = None, max_amp: float = 0.0
                             ) -> tuple[np.ndarray, np.ndarray]:
    """Stop a QRS onset search at a wave that runs against the complex for longer than a q wave.

    The slope rule (:func:`qrs_bounds`) searches back from the complex's first significant
    slope until the slope *magnitude* falls below ``thr``. When a P wave ends 0-8 ms before
    the complex, the P wave's descent (before an upright complex; its return before a
    downward one) is steeper than ``thr`` and the search runs through it to the P apex,
    24-44 ms before the true onset. Its slope has the sign opposite to the complex's first
    slope. Such a run against the complex belongs to the complex only as an initial q (or
    r) wave, whose descent is short; a longer one is another wave. So: the *signed* stop is
    the last sample before the first significant slope where the slope in the complex's
    own direction is below ``thr`` (at a P wave's end the slope changes sign). When the
    magnitude rule went back past it by more than ``max_n`` samples, the stretch between
    (a wave against the complex, or a whole wave with its apex) is no initial q wave: the
    onset is the signed stop.

    Parameters
    ----------
    dq : ndarray, shape (n_leads, n_samples)
        Signed slope of the QRS band.
    centers : ndarray of int, shape (n_beats,)
        Beat centres; windows are ``centers - W .. centers + W``.
    W : int
        Window half-width (samples).
    on : ndarray of int, shape (n_leads, n_beats)
        The magnitude rule's onsets (window positions, -1 where none).
    f_sig : ndarray of int, shape (n_leads, n_beats)
        Window position of the complex's first significant slope (-1 where none).
    thr : ndarray, shape (n_leads, n_beats)
        The onset's slope threshold (``qrs_on`` x the complex's largest slope).
    max_n : int
        Longest descent against the complex still taken as an initial q wave (samples).
    srch_lo : ndarray of int
        Earliest window position of the search (broadcast to (n_leads, n_beats, 1)).
    xw : ndarray, shape (n_leads, n_beats, 2 W + 1), optional
        The signal's windows (mV), to measure the wave's amplitude.
    span_mv : ndarray, shape (n_leads, n_beats), optional
        The complex's peak-to-peak amplitude (mV).
    max_amp : float
        A wave at least this share of ``span_mv`` is not stopped at (0: no amplitude check).

    Returns
    -------
    on : ndarray of int, shape (n_leads, n_beats)
        Window positions of the onsets.
    moved : ndarray of bool, shape (n_leads, n_beats)
        Where the search was stopped at the wave against the complex.

    Examples
    --------
    A P wave (a half sine of 0.15 mV over 80 ms) ends where a steep upstroke begins
    (sample 200, 500 Hz): the magnitude rule stops near the P apex; the signed stop where
    the slope changes sign (199: the central slope there mixes both sides).

    >>> from interp_ecg.features.delineation.waves import stop_before_wave_against
    >>> import numpy as np
    >>> t = np.arange(400)
    >>> x = np.where((t >= 160) & (t < 200), 0.15 * np.sin(np.pi * (t - 160) / 40.0), 0.0)
    >>> x = x + np.interp(t, [200, 212, 225, 235], [0, 1.2, -0.2, 0])
    >>> d = np.gradient(x)[None, :]
    >>> out = stop_before_wave_against(d, np.array([200]), 200, np.array([[180]]),
    ...                                np.array([[201]]), np.array([[0.003]]), 10,
    ...                                np.zeros((1, 1, 1), dtype=int))
    >>> int(out[0][0, 0]), bool(out[1][0, 0])
    (199, True)
    """
    d, _ = gather(dq, centers, -W, W)
    pos = positions(d.shape[-1])
    ok = (f_sig >= 0) & (on >= 0)
    s0 = np.sign(take(d, np.maximum(f_sig, 0)))[..., None]
    stop = last_true((s0 * d < thr[..., None]) & (pos < f_sig[..., None]) & (pos >= srch_lo))
    move = ok & (stop >= 0) & (stop - on > max_n)
    if xw is not None and max_amp > 0:
        # a P wave is small beside its complex; a wave against the complex's first
        # significant slope as large as a share ``max_amp`` of the complex (the slow
        # upstroke of an R wave whose downstroke is the steepest slope, in a wide complex)
        # is a deflection of the complex itself
        amp = np.abs(take(xw, np.maximum(stop, 0)) - take(xw, np.maximum(on, 0)))
        move &= amp < max_amp * np.asarray(span_mv)
    return np.where(move, stop, on), move


def qrs_bounds(xq: np.ndarray, dq: np.ndarray, centers: np.ndarray, fs: float,
               p: Params, rr_prev: np.ndarray | None = None,
               rr_next: np.ndarray | None = None, noise_slope: np.ndarray | None = None,
               few_leads: bool = False, return_against: bool = False) -> tuple[np.ndarray, ...]:
    """QRS onset, main peak and offset per lead and beat (sample indices, NaN if not found).

    Parameters
    ----------
    xq, dq : ndarray, shape (n_leads, n_samples)
        The 0.5-40 Hz signal and its slope.
    centers : ndarray of int
        Beat centres from the multi-lead detector.
    rr_prev, rr_next : ndarray, optional
        RR intervals (samples) before and after each beat. At fast rates they bound the
        search: the complex's slopes are sought within ``qrs_rr_on`` of the previous and
        ``qrs_rr`` of the next RR interval around the centre, and no boundary passes the
        midpoint of either, so the onset cannot start in the previous T wave and the offset
        cannot run into the next beat (ventricular tachycardia at 200 bpm leaves 300 ms
        per cycle).
    noise_slope : ndarray, shape (n_leads,), optional
        Each lead's noise level of ``dq`` (robust SD, same units; NaN where unknown), from
        :func:`slope_noise`. A slope is part of the complex only when it also exceeds
        ``qrs_sig_noise_k`` times this level: in a lead whose QRS is small against its
        noise, noise wiggles after the complex reach the relative threshold (``qrs_sig_off``
        of the largest slope) and would otherwise carry the offset up to ``qrs_half`` past
        the centre.
    few_leads : bool
        At most ``qrs_sret_max_leads`` usable leads: an offset at the tip of a terminal S
        wave moves to the end of the S wave's return (:func:`.qrs_end.s_wave_return`), and
        an onset search that ran through a wave against the complex longer than a q wave
        (a P wave's descent before a PR segment of 0-8 ms) stops at that wave's end
        (:func:`stop_before_wave_against`, ``Params.qrs_on_against_max_s``).
    return_against : bool
        Also return, shaped (n_leads, n_beats), where that stop set the onset.
    """
    W = int(round(p.qrs_window_s * fs))
    a, inside = gather(np.abs(dq), centers, -W, W)
    pos = positions(a.shape[-1])
    half = int(round(p.qrs_half * fs))
    lo_lim = np.full(centers.size, half, dtype=np.int64)
    hi_lim = np.full(centers.size, half, dtype=np.int64)
    if rr_prev is not None:
        lo_lim = np.minimum(lo_lim, (p.qrs_rr_on * np.asarray(rr_prev)).astype(np.int64))
    if rr_next is not None:
        hi_lim = np.minimum(hi_lim, (p.qrs_rr * np.asarray(rr_next)).astype(np.int64))
    lo_b = (W - lo_lim)[None, :, None]
    hi_b = (W + hi_lim)[None, :, None]
    core = (pos >= lo_b) & (pos <= hi_b)
    # the steepest slope in the core span, and its height (a >= 0: the same value as the
    # maximum of ``where(core, a, 0)``, without a second pass over the windows)
    top = np.argmax(np.where(core, a, -1.0), axis=-1)
    m = np.where(core.any(axis=-1, keepdims=True), take(a, top)[..., None], 0.0)
    floor = 0.0
    if noise_slope is not None and p.qrs_sig_noise_k > 0:
        ns = np.nan_to_num(np.asarray(noise_slope, dtype=float), nan=0.0)
        floor = p.qrs_sig_noise_k * ns.reshape(-1, 1, 1)
    sig_on = (a >= np.maximum(p.qrs_sig * m, floor)) & core
    sig_off = (a >= np.maximum(p.qrs_sig_off * m, floor)) & core
    if max(p.qrs_gap_on, p.qrs_gap_off, p.qrs_gap_off_fast) > 0:
        # the complex is the run of significant slopes around the steepest one, gaps
        # shorter than ``qrs_gap_*`` bridged: a steep T wave (fast rates) or a P wave close
        # to the QRS, separated from it by a quieter segment, is not part of it
        fast_next = np.zeros(centers.size, dtype=bool) if rr_next is None else (
            np.asarray(rr_next) < p.fast_rr * fs)
        for sig, g, where in ((sig_on, p.qrs_gap_on, None), (sig_off, p.qrs_gap_off, None),
                              (sig_off, p.qrs_gap_off_fast, fast_next)):
            if g <= 0 or (where is not None and not where.any()):
                continue
            gap = max(int(round(g * fs)), 1)
            dil = dilate(sig, gap)
            start = dil & ~np.concatenate([np.zeros_like(dil[..., :1]), dil[..., :-1]], axis=-1)
            lab = np.cumsum(start, axis=-1) * dil
            keep = lab == take(lab, top)[..., None]
            if where is not None:
                keep |= ~where[None, :, None]
            sig &= keep
    f_sig = first_true(sig_on)[..., None]
    l_sig = last_true(sig_off)[..., None]
    # a boundary needs the slope to stay low for ``qrs_flat`` (a single zero crossing at
    # the tip of a small q or s wave is not the end of the complex)
    flat_n = max(int(round(p.qrs_flat * fs)), 1)
    a_run = maximum_filter1d(a, size=flat_n, axis=-1, mode="nearest") if flat_n > 1 else a
    # the boundary search never passes the midpoint of the neighbouring RR interval
    srch_lo = np.maximum(0, (W - (0.5 * np.asarray(
        rr_prev if rr_prev is not None else np.full(centers.size, 2 * W))).astype(np.int64))[None, :, None])
    srch_hi = np.minimum(2 * W, (W + (0.5 * np.asarray(
        rr_next if rr_next is not None else np.full(centers.size, 2 * W))).astype(np.int64))[None, :, None])
    on = last_true((a_run < p.qrs_on * m) & (pos < f_sig) & (pos >= srch_lo))
    off = first_true((a_run < p.qrs_off * m) & (pos > l_sig) & (pos <= srch_hi))
    on = np.where(on >= 0, on + flat_n // 2, on)
    off = np.where(off >= 0, off - (flat_n - 1) // 2, off)
    against = np.zeros(on.shape, dtype=bool)
    if few_leads and p.qrs_on_against_max_s > 0:
        xw, _ = gather(xq, centers, -W, W)
        cx = (pos >= np.maximum(f_sig, 0)) & (pos <= np.where(l_sig < 0, f_sig, l_sig))
        span_mv = np.max(np.where(cx, xw, -np.inf), axis=-1) - np.min(np.where(cx, xw, np.inf), axis=-1)
        on, against = stop_before_wave_against(dq, centers, W, on, f_sig[..., 0], p.qrs_on * m[..., 0],
                                               int(round(p.qrs_on_against_max_s * fs)), srch_lo,
                                               xw, span_mv, p.qrs_on_against_max_amp)
    if rr_prev is not None and p.fast_rr > 0:
        # fast rates: the previous T wave runs into the QRS, so the slope need not fall
        # to the threshold before the complex; its onset is the last dip of the slope
        # magnitude (the kink between T downstroke and QRS) before the first QRS slope
        fast = (np.asarray(rr_prev) < p.fast_rr * fs)[None, :]
        if fast.any():   # (nothing changes where no beat is fast)
            prv = np.concatenate([a[..., :1], a[..., :-1]], axis=-1)
            nxt = np.concatenate([a[..., 1:], a[..., -1:]], axis=-1)
            dip = (a <= prv) & (a < nxt) & (a < p.qrs_kink * m)
            on2 = last_true(dip & (pos < f_sig) & (pos >= srch_lo))
            on = np.where(fast & (on2 > on), on2, on)
    w, _ = gather(xq, centers, -W, W)
    if few_leads and p.qrs_sret_span_s > 0:
        d, _ = gather(dq, centers, -W, W)
        on_a = np.where(on < 0, f_sig[..., 0], on)[..., None]
        in_qrs = (pos >= on_a) & (pos <= np.where(off < 0, l_sig[..., 0], off)[..., None])
        span_qrs = (np.max(np.where(in_qrs, w, -np.inf), axis=-1)
                    - np.min(np.where(in_qrs, w, np.inf), axis=-1))
        off = s_wave_return(w, d, off, l_sig[..., 0], span_qrs,
                            np.maximum(floor, p.qrs_sret_min_slope * m),
                            max(int(round(p.qrs_sret_start_s * fs)), 1),
                            int(round(p.qrs_sret_span_s * fs)), p.qrs_sret_end,
                            p.qrs_sret_amp, srch_hi)
    # main peak: largest deviation from the level at the onset, between the boundaries;
    # where a boundary was not found the peak is sought within the significant slopes
    # (the span the complex certainly covers), from the level at its first slope -- the
    # window edges are never used as boundaries
    on_c = np.where(on < 0, f_sig[..., 0], on)[..., None]
    off_c = np.where(off < 0, l_sig[..., 0], off)[..., None]
    base = take(w, on_c[..., 0])[..., None]
    dev = np.where((pos >= on_c) & (pos <= off_c), np.abs(w - base), -1.0)
    pk = dev.argmax(axis=-1)
    pk = np.where((f_sig[..., 0] < 0) | (l_sig[..., 0] < 0), -1, pk)
    flat = m[..., 0] <= 0
    res = []
    beat = np.arange(centers.size)[None, :]
    for idx in (on, pk, off):
        ok = (idx >= 0) & ~flat & inside[beat, np.clip(idx, 0, a.shape[-1] - 1)]
        res.append(np.where(ok, centers[None, :] - W + idx, np.nan))
    if return_against:
        return res[0], res[1], res[2], against & np.isfinite(res[0])
    return res[0], res[1], res[2]


def terminal_lobe(s: np.ndarray, d: np.ndarray, valid: np.ndarray, tm_main: np.ndarray,
                  pol: np.ndarray, amp: np.ndarray, r_off: int, stop: np.ndarray,
                  span: int, frac: float, min_amp, halfwidth: int,
                  inverted_only: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """End of a terminal lobe of opposite polarity after a wave's main lobe (biphasic T).

    After the main lobe's steepest return ``tm_main`` the signal is searched ``span``
    samples further for a deviation of the opposite polarity from the baseline, taken as
    the level at ``stop`` (the end of the T search: the TP segment). It is a terminal lobe
    when it reaches ``frac`` of the main lobe's amplitude and ``min_amp`` (mV), and it is a
    hump: it falls back to half its height within ``halfwidth`` after its peak. With
    ``inverted_only`` only an inverted main lobe (``pol < 0``) can have one. The lobe's end
    is found with the same trapezium area as the main lobe's (steepest return within
    ``r_off`` of its peak, reference ``r_off`` after that; Vazquez-Seisdedos et al. 2011).

    Parameters
    ----------
    s, d : ndarray, shape (n_leads, n_beats, n)
        Windowed signal (mV) and slope.
    valid : ndarray of bool, broadcastable to ``s``
        Window positions searched (inside the record and before the search stop).
    tm_main : ndarray of int, shape (n_leads, n_beats)
        Steepest return of the main lobe (window index).
    pol : ndarray, shape (n_leads, n_beats)
        Main lobe polarity (+1, -1).
    amp : ndarray, shape (n_leads, n_beats)
        Main lobe amplitude (mV).
    r_off : int
        Trapezium reference span (samples).
    stop : ndarray of int, broadcastable to ``tm_main``
        Last window index searched.
    span, halfwidth : int
        Samples.
    frac : float
        Share of ``amp``.
    min_amp : float or ndarray broadcastable to ``tm_main``
        Smallest lobe amplitude (mV), e.g. the lead's visibility threshold.
    inverted_only : bool

    Returns
    -------
    off2 : ndarray of int, the terminal lobe's end (window index; meaningful where found);
    tm : ndarray of int, its steepest return (window index; its trapezium reference lies
    ``r_off`` after it); found : ndarray of bool.

    References
    ----------
    Vazquez-Seisdedos CR et al. New approach for T-wave end detection on electrocardiogram:
    performance in noisy conditions. Biomed Eng Online 10:77, 2011.

    Examples
    --------
    >>> from interp_ecg.features.delineation.waves import terminal_lobe
    >>> import numpy as np
    >>> t = np.arange(200.0)
    >>> x = -0.3 * np.exp(-0.5 * ((t - 60) / 12) ** 2) + 0.1 * np.exp(-0.5 * ((t - 100) / 8) ** 2)
    >>> s = x[None, None, :]; d = np.gradient(x)[None, None, :]
    >>> off2, tm, found = terminal_lobe(s, d, np.ones((1, 1, 200), bool), np.array([[75]]),
    ...                                  np.array([[-1.0]]), np.array([[0.3]]), 22,
    ...                                  np.array([[199]]), 40, 0.15, 0.02, 40)
    >>> bool(found[0, 0]), 112 <= int(off2[0, 0]) <= 125
    (True, True)
    """
    off = tm_main
    pos = positions(s.shape[-1])
    off_ = off[..., None]
    y0 = take(s, np.broadcast_to(np.asarray(stop), off.shape))[..., None]
    dev = -pol[..., None] * (s - y0)
    win = valid & (pos > off_) & (pos <= off_ + span)
    dv = np.where(win, dev, -np.inf)
    pk = dv.argmax(axis=-1)
    a2 = take(dv, pk)
    pk_ = pk[..., None]
    within = valid & (pos > pk_) & (pos <= pk_ + halfwidth)
    falls = np.any(within & (dev < 0.5 * a2[..., None]), axis=-1)
    found = (np.isfinite(a2) & (a2 >= frac * amp) & (a2 >= min_amp) & falls)
    if inverted_only:
        found &= pol < 0
    g = np.where(valid & (pos >= pk_) & (pos <= pk_ + r_off), pol[..., None] * d, -np.inf)
    tm = g.argmax(axis=-1)[..., None]
    tr = np.minimum(tm + r_off, np.asarray(stop)[..., None])
    ym = take(s, tm[..., 0])[..., None]
    area = -pol[..., None] * (ym - s) * (2 * tr - tm - pos)
    area = np.where(valid & (pos >= tm) & (pos <= tr), area, -np.inf)
    off2 = area.argmax(axis=-1)
    return off2, tm[..., 0], found


def sliding_area_end(s: np.ndarray, valid: np.ndarray, tm: np.ndarray, pol: np.ndarray,
                     width: int, reach: int) -> np.ndarray:
    """Wave end by the sliding-window area indicator of Zhang et al. (2006).

    ``A(t) = sum_{j=t-width+1}^{t} (s_j - s_t)`` is the area between the signal over the
    ``width`` samples ending at ``t`` and the level at ``t``; on the falling flank of a
    positive wave it grows while the signal still descends and shrinks once the signal is
    flat, so the wave end is the ``t`` that maximises ``pol x A(t)``, searched from the
    steepest return ``tm`` over ``reach`` samples. No threshold of the derivative is used.

    Parameters
    ----------
    s : ndarray, shape (n_leads, n_beats, n)
        Windowed signal.
    valid : ndarray of bool, broadcastable to ``s``
    tm : ndarray of int, shape (n_leads, n_beats)
        Steepest return of the wave (window index).
    pol : ndarray, shape (n_leads, n_beats)
        Wave polarity (+1, -1).
    width, reach : int
        Samples.

    Returns
    -------
    ndarray of int, shape (n_leads, n_beats): window index of the wave end.

    Examples
    --------
    >>> from interp_ecg.features.delineation.waves import sliding_area_end
    >>> import numpy as np
    >>> t = np.arange(200.0)
    >>> x = np.where(t < 100, 0.3 * np.cos(np.clip((t - 60) / 40, 0, 1) * np.pi / 2), 0.0)
    >>> end = sliding_area_end(x[None, None], np.ones((1, 1, 200), bool), np.array([[90]]),
    ...                        np.array([[1.0]]), 32, 80)
    >>> int(end[0, 0])
    100
    """
    n = s.shape[-1]
    c = np.concatenate([np.zeros(s.shape[:-1] + (1,)), np.cumsum(s, axis=-1)], axis=-1)
    idx = np.arange(n)
    lo = np.maximum(idx - width + 1, 0)
    cnt = (idx - lo + 1)[None, None, :]
    area = (c[..., idx + 1] - c[..., lo]) - cnt * s
    pos = positions(n)
    tm_ = tm[..., None]
    ok = valid & (pos >= tm_) & (pos <= tm_ + reach)
    return np.where(ok, pol[..., None] * area, -np.inf).argmax(axis=-1)


def repolarisation_noise(wave: np.ndarray, r: np.ndarray, fs: float, p: Params) -> np.ndarray:
    """Each lead's beat-to-beat amplitude noise over the ST-T span (mV), shape ``(n_leads,)``.

    The noise a T end is read against, low frequencies included: in the 0.5-15 Hz signal
    each beat's span ``R + t_noise_from_s ... R + t_noise_to_s`` is taken less its
    PR-segment level (median over ``R + t_noise_pr_from_s ... R + t_noise_pr_to_s``) and
    less the median of these beats; the noise is the robust SD (1.4826 x the median
    absolute value) of that residual. On LUDB it is 3-4 x the
    15-40 Hz noise (``Views.noise_mv``), which leaves out the slow wander a T end sits on.
    NaN with fewer than ``t_noise_min_beats`` beats whose spans lie inside the record.

    Parameters
    ----------
    wave : ndarray, shape (n_leads, n_samples)
        0.5-15 Hz signal (mV).
    r : ndarray of int, shape (n_beats,)
        Beat positions (samples).
    fs : float
        Sampling rate (Hz).
    p : Params

    Returns
    -------
    ndarray, shape (n_leads,)
        mV.

    Examples
    --------
    >>> from interp_ecg.features.delineation import Params
    >>> from interp_ecg.features.delineation.waves import repolarisation_noise
    >>> import numpy as np
    >>> fs = 500.0
    >>> rng = np.random.default_rng(0)
    >>> r = np.arange(1, 9) * 500
    >>> x = 0.01 * rng.standard_normal((1, 5000))
    >>> 0.005 < float(repolarisation_noise(x, r, fs, Params())[0]) < 0.02
    True
    """
    a, b = (int(round(v * fs)) for v in (p.t_noise_from_s, p.t_noise_to_s))
    p0, p1 = (int(round(v * fs)) for v in (p.t_noise_pr_from_s, p.t_noise_pr_to_s))
    r = np.asarray(r, dtype=np.int64)
    keep = (r + min(p0, a) >= 0) & (r + max(b, p1) < wave.shape[-1])
    if int(keep.sum()) < p.t_noise_min_beats:
        return np.full(wave.shape[0], np.nan)
    seg, _ = gather(wave, r[keep], a, b)
    pr, _ = gather(wave, r[keep], p0, p1)
    seg = seg - np.median(pr, axis=-1, keepdims=True)
    res = seg - np.median(seg, axis=1, keepdims=True)
    return 1.4826 * np.median(np.abs(res), axis=(1, 2))


def t_end_uncertainty(slope: np.ndarray, off: np.ndarray, noise: np.ndarray, fs: float,
                      p: Params) -> np.ndarray:
    """Timing uncertainty of each lead's T end (s): amplitude noise over the T's descent.

    A boundary read where a wave returns to its baseline is uncertain by about the
    amplitude noise divided by the slope of that return (the timing jitter of a level
    crossing); the slope is the steepest absolute slope within ``t_end_descent_s`` before
    the T end (the main lobe's return, or a terminal lobe's where that set the end).

    Parameters
    ----------
    slope : ndarray, shape (n_leads, n_samples)
        Slope of the 0.5-15 Hz signal (mV per sample).
    off : ndarray, shape (n_leads, n_beats)
        T ends (samples, NaN where none).
    noise : ndarray, shape (n_leads,)
        Amplitude noise (mV), e.g. :func:`repolarisation_noise`.
    fs : float
        Sampling rate (Hz).
    p : Params

    Returns
    -------
    ndarray, shape (n_leads, n_beats)
        Seconds; NaN where there is no T end or no noise estimate, inf on a flat descent.

    Examples
    --------
    A T returning at 1 mV/s read against 0.01 mV of noise: 10 ms.

    >>> from interp_ecg.features.delineation import Params
    >>> from interp_ecg.features.delineation.waves import t_end_uncertainty
    >>> import numpy as np
    >>> slope = np.full((1, 1000), 1.0 / 500.0)          # 1 mV/s at 500 Hz
    >>> round(float(t_end_uncertainty(slope, np.array([[600.0]]), np.array([0.01]), 500.0,
    ...                                Params())[0, 0]), 4)
    0.01
    """
    off = np.asarray(off, dtype=float)
    nb = max(int(round(p.t_end_descent_s * fs)), 1)
    ok = np.isfinite(off)
    idx = np.where(ok, off, 0).astype(np.int64)
    steep = np.zeros(off.shape)
    for i in range(off.shape[0]):  # each lead's windows before its own T ends
        w, inside = gather(slope[i:i + 1], idx[i], -nb, 0)
        steep[i] = np.max(np.where(inside, np.abs(w[0]), 0.0), axis=-1) * fs
    nz = np.asarray(noise, dtype=float).reshape(-1)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(steep > 0, nz / steep, np.inf)
    return np.where(ok & np.isfinite(nz), out, np.nan)


def t_end_off_baseline(xw: np.ndarray, off: np.ndarray, r: np.ndarray, rr_next: np.ndarray,
                       noise: np.ndarray, fs: float, p: Params) -> np.ndarray:
    """Where the signal at a T end still stands off the post-T baseline (bool).

    A T end is where the T wave has returned to its baseline; a boundary read where the
    0.5-15 Hz signal still differs from the baseline by more than ``p.t_open_k`` times the
    lead's noise is not where the T returned (e.g. where a search window stopped). The
    post-T baseline is the median level of the next beat's PR segment (``R_next +
    p.t_noise_pr_from_s ... R_next + p.t_noise_pr_to_s``), or of this beat's where the next
    one lies beyond the record.

    Parameters
    ----------
    xw : ndarray, shape (n_leads, n_samples)
        0.5-15 Hz signal (mV).
    off : ndarray, shape (n_leads, n_beats)
        T ends (samples, NaN where none).
    r : ndarray of int, shape (n_beats,)
        Beat positions (samples).
    rr_next : ndarray, shape (n_beats,)
        Samples to the next beat.
    noise : ndarray, shape (n_leads,)
        Amplitude noise (mV), e.g. :func:`repolarisation_noise`.
    fs : float
        Sampling rate (Hz).
    p : Params

    Returns
    -------
    ndarray of bool, shape (n_leads, n_beats)
        False where there is no T end, no noise estimate, or ``p.t_open_k`` is 0.

    Examples
    --------
    A T wave of 0.3 mV cut at its peak stands off the baseline; one that has returned
    does not (noise 0.01 mV, k = 3).

    >>> from interp_ecg.features.delineation import Params
    >>> from interp_ecg.features.delineation.waves import t_end_off_baseline
    >>> import numpy as np
    >>> x = np.zeros((1, 3000))
    >>> x[0, 700:800] = 0.3
    >>> t_end_off_baseline(x, np.array([[750.0, 900.0]]), np.array([500, 1500]),
    ...                    np.array([1000.0, 1000.0]), np.array([0.01]), 500.0,
    ...                    Params(t_open_k=3.0)).tolist()
    [[True, False]]
    """
    off = np.asarray(off, dtype=float)
    noise = np.asarray(noise, dtype=float).reshape(-1)
    if p.t_open_k <= 0:
        return np.zeros(off.shape, dtype=bool)
    p0, p1 = (int(round(v * fs)) for v in (p.t_noise_pr_from_s, p.t_noise_pr_to_s))
    r = np.asarray(r, dtype=np.int64)
    r_next = r + np.asarray(rr_next, dtype=float).astype(np.int64)
    ref = np.where(r_next + p1 < xw.shape[-1], r_next, r)
    seg, inside = gather(xw, ref, p0, p1)
    seg = np.where(inside[None], seg, np.nan)
    with warnings.catch_warnings():   # a PR span outside the record: NaN, no T decision
        warnings.simplefilter("ignore", RuntimeWarning)
        base = np.nanmedian(seg, axis=-1)
    ok = np.isfinite(off)
    idx = np.clip(np.where(ok, off, 0).astype(np.int64), 0, xw.shape[-1] - 1)
    level = np.take_along_axis(xw, idx, axis=-1)
    with np.errstate(invalid="ignore"):
        dev = np.abs(level - base) > p.t_open_k * noise[:, None]
    return ok & np.isfinite(base) & np.isfinite(noise)[:, None] & dev


def offset_reference_span(half_width: np.ndarray, k: float, base: int, top: int) -> np.ndarray:
    """Trapezium reference span after a wave's steepest return, scaled with the wave's width.

    The trapezium area of Vazquez-Seisdedos et al. (2011) is largest at the wave's end only
    when its reference point lies beyond that end. A fixed span (``base``, 90 ms for T) is
    beyond the end of a normal T wave, whose returning half lasts 40-60 ms; the returning
    half of a broad T (long QT, slow repolarisation) lasts 100-150 ms, and a fixed span puts
    the end on its descending limb. The span is ``k`` times the returning half width
    (T peak to half height), bounded to ``[base, top]``; where the half width is unknown
    (negative) it is ``base``.

    Parameters
    ----------
    half_width : ndarray of int
        Samples from the wave's peak to where it has fallen to half its height (< 0: not
        found).
    k : float
        Span per unit of half width.
    base, top : int
        Smallest and largest span (samples).

    Returns
    -------
    ndarray of int, the shape of ``half_width``.

    References
    ----------
    Vazquez-Seisdedos CR et al. New approach for T-wave end detection on electrocardiogram:
    performance in noisy conditions. Biomed Eng Online 10:77, 2011.

    Examples
    --------
    At 500 Hz, a fixed 90 ms (45 samples), at most 200 ms (100), k = 1.5: a normal T (half
    width 25 samples, 50 ms) keeps 45; a broad T (half width 40 samples, 80 ms) gets 60
    (120 ms); a half width of 160 ms would give 240 ms, capped at 200 ms (100); an unknown
    width keeps 45.

    >>> from interp_ecg.features.delineation.waves import offset_reference_span
    >>> import numpy as np
    >>> offset_reference_span(np.array([25, 40, 80, -1]), 1.5, 45, 100).tolist()
    [45, 60, 100, 45]
    """
    hw = np.asarray(half_width)
    span = np.clip(np.round(k * hw), base, max(top, base)).astype(np.int64)
    return np.where(hw >= 0, span, base)


def _wave(xw: np.ndarray, dw: np.ndarray, start: np.ndarray, stop: np.ndarray,
          peak_lo: np.ndarray, peak_hi: np.ndarray, ref_on: float, ref_off: float,
          fs: float, length: int, halfwidth: float,
          on_frac: float = 0.0, lobe: dict | None = None,
          area_window: tuple[int, int] | None = None, area_mix: float = 1.0,
          ref_width: tuple[float, float] | None = None) -> dict[str, np.ndarray]:
    """Peak and Zhang-area boundaries of one wave in per-beat windows.

    ``start``/``stop`` (per beat, absolute samples) bound the boundary search; the peak is
    searched in ``[peak_lo, peak_hi]``. All windows start at ``start`` and have ``length``
    samples. ``ref_width = (k, max_s)`` scales the offset's reference span with the wave's
    width (:func:`offset_reference_span`; the half width is each lead's median over the
    beats of this call where the wave returns to half height).
    """
    start = np.asarray(start, dtype=np.int64)
    s, inside = gather(xw, start, 0, length - 1)
    d, _ = gather(dw, start, 0, length - 1)
    pos = positions(length)
    valid = inside[None] & (pos <= (stop - start)[None, :, None])
    lo = (peak_lo - start)[None, :, None]
    hi = np.minimum(peak_hi, stop)[None, :, None] - start[None, :, None]
    in_pk = valid & (pos >= lo) & (pos <= hi)
    # baseline: the straight line joining the ends of the peak span
    y0 = take(s, np.broadcast_to(lo[..., 0], s.shape[:-1]))[..., None]
    y1 = take(s, np.broadcast_to(hi[..., 0], s.shape[:-1]))[..., None]
    span = np.maximum(hi - lo, 1)
    dev = s - (y0 + (y1 - y0) * (pos - lo) / span)
    adev = np.where(in_pk, np.abs(dev), -1.0)
    pk = adev.argmax(axis=-1)
    amp = take(adev, pk)
    pol = np.sign(take(dev, pk))[..., None]
    pk_ = pk[..., None]
    # a wave is a hump: it falls to half its height within ``halfwidth`` on both sides
    hw = int(round(halfwidth * fs))
    low = valid & (pol * dev < 0.5 * amp[..., None])
    left = np.any(low & (pos < pk_) & (pos >= pk_ - hw), axis=-1)
    right = np.any(low & (pos > pk_) & (pos <= pk_ + hw), axis=-1)
    r_on = int(round(ref_on * fs))
    r_off = int(round(ref_off * fs))
    r_end = np.full(pk.shape, r_off, dtype=np.int64)
    if ref_width is not None and ref_width[0] > 0:
        # a broad T returns over longer than the fixed reference: scale it with the
        # wave's own width (peak to half height on the returning side), the lead's median
        # over its beats (the T width of a lead is stable from beat to beat at a steady
        # rate; each beat's own half width jitters with the noise: odd LUDB, 250 Hz II +
        # V5, best-lead T_off SD 19.1 per beat against 18.9 pooled)
        half = first_true(low & (pos > pk_))
        hw_n = np.where((half >= 0) & right, half - pk, -1)
        med = np.full(hw_n.shape[:-1] + (1,), -1.0)
        for i in range(hw_n.shape[0]):   # each lead's beats with a half width
            found = hw_n[i][hw_n[i] >= 0]
            if found.size:
                med[i] = np.median(found)
        hw_n = np.where(hw_n >= 0, med, -1.0)
        r_end = offset_reference_span(hw_n, ref_width[0], r_off, int(round(ref_width[1] * fs)))
    r_end_ = r_end[..., None]
    # offset: steepest return towards baseline after the peak, then Zhang's area
    g = np.where(valid & (pos >= pk_) & (pos <= pk_ + r_end_), -pol * d, -np.inf)
    tm = tm_off = g.argmax(axis=-1)[..., None]
    tr = np.minimum(tm + r_end_, (stop - start)[None, :, None])
    ym = take(s, tm[..., 0])[..., None]
    area = pol * (ym - s) * (2 * tr - tm - pos)
    area = np.where(valid & (pos >= tm) & (pos <= tr), area, -np.inf)
    off = area.argmax(axis=-1)
    off_cut = (start[None, :] + tm_off[..., 0] + r_end) > xw.shape[-1] - 1
    # ... and where the search stop cut it short: the area's maximum then lies before
    # that stop whether or not the wave has returned (t_waves' open T end)
    stop_cut = (tm_off[..., 0] + r_end) > (stop - start)[None, :]
    if area_window is not None:
        w_area, reach = area_window
        off_a = sliding_area_end(s, valid, tm_off[..., 0], pol[..., 0], w_area, reach)
        off = off_a if area_mix >= 1 else np.round(off + area_mix * (off_a - off)).astype(np.int64)
        off_cut = off_cut | ((start[None, :] + tm_off[..., 0] + reach) > xw.shape[-1] - 1)
    if lobe is not None:
        off2, tm2, found = terminal_lobe(s, d, valid, tm_off[..., 0], pol[..., 0], amp, r_off,
                                         (stop - start)[None, :], **lobe)
        off = np.where(found, off2, off)
        off_cut = np.where(found, (start[None, :] + tm2 + r_off) > xw.shape[-1] - 1, off_cut)
    else:
        found = np.zeros(off.shape, dtype=bool)
    # onset: mirrored; the reference span may grow with the distance of the peak from
    # the window start (wide, slow T waves)
    r_on = np.maximum(r_on, np.round(on_frac * pk_)).astype(np.int64)
    g = np.where(valid & (pos <= pk_) & (pos >= pk_ - r_on), pol * d, -np.inf)
    tm = tm_on = g.argmax(axis=-1)[..., None]
    tr = np.maximum(tm - r_on, 0)
    ym = take(s, tm[..., 0])[..., None]
    area = pol * (ym - s) * (pos + tm - 2 * tr)
    area = np.where(valid & (pos <= tm) & (pos >= tr), area, -np.inf)
    on = area.argmax(axis=-1)
    st = start[None, :]
    # Zhang's reference points must lie in the record: where the record ends (starts)
    # before them, the area is cut short and its maximum sits at the record edge -- a
    # boundary that is not in the signal (NaN, and the beat is flagged as edge-cut)
    on_cut = (st + tm_on[..., 0] - r_on[..., 0]) < 0
    return {"on": np.where(on_cut, np.nan, st + on).astype(float),
            "peak": (st + pk).astype(float),
            "off": np.where(off_cut, np.nan, st + off).astype(float), "amp": amp,
            "ok": np.isfinite(amp) & (amp > 0) & valid.any(axis=-1) & left & right,
            "edge_cut": off_cut | on_cut, "terminal_lobe": found, "stop_cut": stop_cut}


def t_waves(xw, dw, r, j, rr_next, fs, p: Params, min_mv=None, terminal: bool = True,
            rr_cycle=None, next_on=None, next_qrs=None, widen=None):
    """T peak and boundaries per lead and beat (dict of arrays, ``amp`` in mV).

    ``j`` is the QRS end per beat (the search start); every span is a :class:`Params`
    field in seconds or a share of the beat's cycle ``rr_cycle`` (samples; the next RR
    interval ``rr_next`` when omitted). With ``terminal`` and ``p.t_lobe_frac > 0`` the
    offset of a biphasic T is the end of its terminal lobe (:func:`terminal_lobe`), which
    must reach ``min_mv`` (mV; scalar or shape ``(n_leads, 1)``: the lead's visibility
    threshold; ``p.t_min_mv`` when omitted). The offset's trapezium reference lies
    ``p.t_ref_off`` after the T's steepest return, or ``p.t_ref_width_k`` times the lead's
    T half width where that is longer (at most ``p.t_ref_off_max_s``;
    :func:`offset_reference_span`).

    ``next_on`` (shape ``(n_beats,)``, samples, NaN where unused) is the next beat's QRS
    onset where that beat is premature: the search then stops ``p.t_next_qrs_guard_s``
    before it (instead of ``p.t_next_guard_s`` before the next R), and ``hidden`` marks
    the T ends found within ``p.t_hidden_tol_s`` of that stop (the T wave runs into the
    next QRS: its end is not in the signal). ``next_qrs`` (same shape, NaN where not
    found) is the next beat's QRS onset for every beat: no search reaches past it less
    ``p.t_next_qrs_guard_s``.

    Long QT: where a lead's T wave is unfinished at the end of the first window (shares
    ``t_peak_rr`` / ``t_stop_rr`` of the cycle, ``t_peak_max_s``), the search is repeated
    in a window widened to ``R + t_qtc_max_s x RR^(1/3)`` (the T end; the peak
    ``t_peak_end_min_s`` before it), bounded by the next QRS onset less the guard, and
    kept for that lead where its peak lies ``t_peak_after_j_s`` after the first one and
    is taller than the first window's T, in beats where at least ``t_widen_lead_frac``
    of the leads show it, and only for beats where ``widen`` (bool, shape ``(n_beats,)``;
    all when omitted) is set (not before a premature beat, whose P wave may lie between
    this T and its QRS). ``hidden`` also marks a widened T end at the next QRS bound.
    The returned ``stop`` is the last sample searched per beat (first window).

    A T end within ``p.t_hidden_tol_s`` of its search stop (not the next QRS) where the
    signal still stands more than ``p.t_open_k`` x the lead's noise off the post-T baseline
    (:func:`t_end_off_baseline`) is searched again up to the long-QT bound with the same
    peak; ``open`` (bool, ``(n_leads, n_beats)``) marks the T ends still at a stop there
    (the boundary is where the search stopped, not in the signal).
    """
    def n(sec: float) -> int:
        return int(round(sec * fs))

    start = np.asarray(j, dtype=np.int64)
    cycle = np.asarray(rr_next if rr_cycle is None else rr_cycle, dtype=float)
    # at fast rates with a wide QRS the T wave fills most of the cycle: the search may
    # reach up to ``t_next_guard_s`` before the next R
    nxt = r + rr_next.astype(np.int64) - n(p.t_next_guard_s)
    bound_by_next = np.zeros(start.size, dtype=bool)
    if next_on is not None:
        # before a premature beat: up to its QRS onset less a guard
        nq = np.asarray(next_on, dtype=float)
        bound_by_next = np.isfinite(nq)
        nxt = np.where(bound_by_next, np.where(bound_by_next, nq, 0).astype(np.int64)
                       - n(p.t_next_qrs_guard_s), nxt)
    # every beat: never past the next QRS onset less the guard (a wide next QRS starts
    # 80-100 ms before its R: the R-based guard alone reached into it)
    q_bound = np.full(start.size, np.iinfo(np.int64).max, dtype=np.int64)
    if next_qrs is not None:
        nq = np.asarray(next_qrs, dtype=float)
        q_bound = np.where(np.isfinite(nq), np.where(np.isfinite(nq), nq, 0).astype(np.int64)
                           - n(p.t_next_qrs_guard_s), q_bound)
        nxt = np.minimum(nxt, q_bound)
    stop = r + np.minimum((p.t_stop_rr * cycle).astype(np.int64), n(p.t_window_s))
    stop = np.minimum(np.maximum(stop, start + n(p.t_stop_min_s)),
                      np.maximum(nxt, start + n(p.t_next_min_s)))
    # the next QRS onset less the guard is a hard stop, even where it leaves less than
    # t_next_min_s after the QRS end (a wide QRS at ~200 bpm): a T end there is hidden
    stop = np.minimum(stop, q_bound)
    peak_lo = start + n(p.t_peak_after_j_s)
    peak_hi = r + np.minimum((p.t_peak_rr * cycle).astype(np.int64), n(p.t_peak_max_s))
    peak_hi = np.minimum(np.maximum(peak_hi, start + n(p.t_peak_min_span_s)), stop)
    lobe = None
    if terminal and p.t_lobe_frac > 0:
        lobe = {"span": n(p.t_lobe_span_s), "frac": p.t_lobe_frac,
                "min_amp": p.t_min_mv if min_mv is None else np.maximum(p.t_min_mv, min_mv),
                "halfwidth": n(p.t_lobe_halfwidth_s), "inverted_only": p.t_lobe_inverted_only}
    area = None
    if p.t_area_mix > 0:
        area = (max(n(p.t_area_width_s), 2), n(p.t_area_reach_s))
    ref_w = (p.t_ref_width_k, p.t_ref_off_max_s) if p.t_ref_width_k > 0 else None
    out = _wave(xw, dw, start, stop, peak_lo, peak_hi, p.t_ref_on, p.t_ref_off, fs,
                n(p.t_window_s) + 1, p.t_halfwidth, p.t_on_frac, lobe, area, p.t_area_mix, ref_w)
    out["stop"] = stop
    lead_stop = np.broadcast_to(stop[None, :], out["off"].shape)   # each T end's own stop
    # a T end at the stop set by the next (premature) QRS: the wave runs on under it
    out["hidden"] = ((bound_by_next & (stop >= nxt)) | (stop >= q_bound))[None, :] & (
        out["off"] >= (stop - n(p.t_hidden_tol_s))[None, :])
    if p.t_qtc_max_s > 0:
        # long QT: the widened window (physiological bounds, see Params.t_qtc_max_s)
        rr_s = np.maximum(np.asarray(rr_next, dtype=float), 1.0) / fs
        end_max = r + np.round(p.t_qtc_max_s * np.cbrt(rr_s) * fs).astype(np.int64)
        stop_w = np.minimum(end_max, np.maximum(nxt, start + n(p.t_next_min_s)))
        stop_w = np.maximum(stop_w, stop)
        peak_hi_w = np.maximum(stop_w - n(p.t_peak_end_min_s), peak_hi)
        wider = peak_hi_w > peak_hi
        if widen is not None:
            wider &= np.asarray(widen, dtype=bool)
        if wider.any():
            length = int(np.max(stop_w - start)) + 1
            # (a long-QT T wave is broad: its hump test allows t_widen_halfwidth_s)
            wide = _wave(xw, dw, start, stop_w, peak_lo, peak_hi_w, p.t_ref_on, p.t_ref_off,
                         fs, max(length, n(p.t_window_s) + 1),
                         max(p.t_halfwidth, p.t_widen_halfwidth_s), p.t_on_frac,
                         lobe, area, p.t_area_mix, ref_w)
            # the first window held only the T's up-slope: the widened search finds a
            # later and taller peak (a peak on the up-slope stands lower over its chord)
            use = (wider[None, :] & wide["ok"]
                   & (wide["peak"] > out["peak"] + n(p.t_peak_after_j_s))
                   & (wide["amp"] > p.t_widen_amp_ratio * np.where(out["ok"], out["amp"], 0.0)))
            # a long QT lengthens the T wave in every lead: the widened search is kept
            # only in beats where most leads show it (one lead's later hump with a flat
            # T is the next P wave)
            use &= (use.mean(axis=0) >= p.t_widen_lead_frac)[None, :]
            # ... and where its peak is no P wave of the next beat: a P wave peaks within
            # the PR interval before the next QRS onset
            use &= wide["peak"] <= (q_bound + n(p.t_next_qrs_guard_s)
                                    - n(p.t_widen_p_guard_s))[None, :]
            for k in ("on", "peak", "off", "amp", "ok", "edge_cut", "terminal_lobe", "stop_cut"):
                out[k] = np.where(use, wide[k], out[k])
            at_q = (stop_w >= q_bound)[None, :] & (
                wide["off"] >= (stop_w - n(p.t_hidden_tol_s))[None, :])
            out["hidden"] = np.where(use, at_q, out["hidden"])
            lead_stop = np.where(use, stop_w[None, :], lead_stop)
    out["open"] = np.zeros(out["off"].shape, dtype=bool)
    if p.t_open_k > 0:
        # a T end at a search stop that is not the next QRS, with the signal there still
        # off its baseline, is where the search stopped, not where the T returned: search
        # on to the long-QT bound; still at a stop: not in the signal
        noise = repolarisation_noise(xw, r, fs, p)
        rr = np.asarray(rr_next, dtype=float)

        def at_stop(s_):
            # the T end at (or its trapezium reference cut by) a stop that is not the next
            # QRS, with the signal at that stop still off its baseline
            near = out["off"] >= (s_ - n(max(p.t_hidden_tol_s, p.t_open_near_s)))
            return (~out["hidden"] & np.isfinite(out["off"]) & (near | out["stop_cut"])
                    & t_end_off_baseline(xw, s_.astype(float), r, rr, noise, fs, p))

        cand = at_stop(lead_stop)
        rr_s = np.maximum(rr, 1.0) / fs
        bound = r + np.round(max(p.t_qtc_max_s, 0.0) * np.cbrt(rr_s) * fs).astype(np.int64)
        stop_o = np.maximum(np.minimum(bound, np.maximum(nxt, start + n(p.t_next_min_s))), stop)
        more = cand & (stop_o > lead_stop)
        ran = np.zeros(more.shape, dtype=bool)
        if more.any():
            length = int(np.max(stop_o - start)) + 1
            # the peak span reaches t_peak_end_min_s before the new stop, so that its chord
            # ends off the T (a chord standing on the T's descent ends the T early)
            peak_hi_o = np.maximum(stop_o - n(p.t_peak_end_min_s), peak_hi)
            on2 = _wave(xw, dw, start, stop_o, peak_lo, peak_hi_o, p.t_ref_on, p.t_ref_off, fs,
                        max(length, n(p.t_window_s) + 1),
                        max(p.t_halfwidth, p.t_widen_halfwidth_s), p.t_on_frac, lobe,
                        area, p.t_area_mix, ref_w)
            # ... for the same T: a later peak is another wave after it (a U wave, the
            # next P wave; LUDB 29), and the first window's end before it is kept
            ran = more.copy()
            more &= on2["ok"] & (np.abs(on2["peak"] - out["peak"]) <= n(p.t_peak_after_j_s))
            for k in ("on", "peak", "off", "amp", "ok", "edge_cut", "terminal_lobe", "stop_cut"):
                out[k] = np.where(more, on2[k], out[k])
            lead_stop = np.where(more, stop_o[None, :], lead_stop)
            # the longer search ended at the next QRS: the T runs on under it (hidden)
            out["hidden"] |= more & (stop_o >= q_bound)[None, :] & (
                out["off"] >= (stop_o - n(p.t_hidden_tol_s))[None, :])
        out["open"] = at_stop(lead_stop) & ~(ran & ~more)
    return out


def p_waves(xw, dw, q_on, rr_prev, fs, p: Params, prev_t_end=None):
    """P peak and boundaries per lead and beat before each QRS onset.

    The search starts ``min(p_window_s, p_window_rr x RR)`` before the QRS onset, or at the
    end of the previous T wave when that is later (fast rates). ``q_on`` must be finite
    (beats without a QRS onset are not searched: the caller masks them).

    Besides :func:`_wave`'s arrays the result has ``start`` (n_beats,), ``at_t`` (n_beats,:
    the search starts at the previous T end, which lies later than the RR-based start),
    ``on_level`` (n_leads, n_beats: the onset's level above the QRS onset's, as a share of the
    P height towards its peak; NaN without an onset) and ``hidden``
    (n_beats,): less than ``p_fused_room_s`` between the previous T end and the QRS onset,
    no room for a P wave outside the T (T-P fusion at fast rates).
    """
    def n(sec: float) -> int:
        return int(round(sec * fs))

    span = np.minimum((p.p_window_rr * rr_prev).astype(np.int64), n(p.p_window_s))
    start = np.asarray(q_on, dtype=np.int64) - span
    hidden = np.zeros(start.shape, dtype=bool)
    at_t = np.zeros(start.shape, dtype=bool)
    if prev_t_end is not None:
        te = np.asarray(prev_t_end, dtype=float)
        ok = np.isfinite(te)
        te_i = np.where(ok, te, 0).astype(np.int64)
        at_t = ok & (te_i > start)  # the search starts at the T end, not RR-based
        hidden = ok & (np.asarray(q_on, dtype=np.int64) - te_i < n(p.p_fused_room_s))
        # no room between the previous T and this QRS: an empty window, hence no P
        start = np.where(ok, np.maximum(start, te_i), start)
        start = np.minimum(start, np.asarray(q_on, dtype=np.int64) - n(p.p_min_gap_s))
    stop = np.asarray(q_on, dtype=np.int64)
    peak_lo = start + n(p.p_peak_after_start_s)
    peak_hi = stop - n(p.p_min_gap_s)
    out = _wave(xw, dw, start, stop, peak_lo, peak_hi, p.p_ref_on, p.p_ref_off, fs,
                n(p.p_window_s) + 1, p.p_halfwidth)
    out["start"] = start
    # each lead's onset level against the QRS onset's, as a share of the P height (signed
    # towards the peak): ~0 on an isoelectric segment, a good share of it on a T's limb
    last = xw.shape[-1] - 1
    on_i = np.clip(np.nan_to_num(out["on"], nan=0).astype(np.int64), 0, last)
    q_i = np.broadcast_to(np.clip(stop - 1, 0, last)[None, :], on_i.shape)
    pk_i = np.clip(np.nan_to_num(out["peak"], nan=0).astype(np.int64), 0, last)
    x_on, x_q, x_pk = (np.take_along_axis(xw, i, axis=-1) for i in (on_i, q_i, pk_i))
    height = x_pk - x_q
    with np.errstate(invalid="ignore", divide="ignore"):
        out["on_level"] = np.where(np.isfinite(out["on"]) & (np.abs(height) > 0),
                                   (x_on - x_q) / np.where(height == 0, 1.0, height), np.nan)
    out["hidden"] = hidden & (p.p_fused_room_s > 0)
    out["at_t"] = at_t
    return out
