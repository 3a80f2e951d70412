"""QRS onset before a notched first deflection (bundle branch block, one or two leads).

The slope rule of :func:`.waves.qrs_bounds` takes the complex to be the run of significant
slopes (above ``Params.qrs_sig`` of the largest) around the steepest one, bridging gaps of
at most ``Params.qrs_gap_on``; a significant slope separated from the run by a longer quiet
stretch is another wave (a P wave close to the QRS). In left bundle branch block the R
wave of the lateral and inferior leads is often broad and notched ("M-shaped"): a first
hump, a plateau or shallow notch lasting 20-60 ms, then the main upstroke (Surawicz et al.
2009; Strauss et al. 2011 take a mid-QRS notch or slur in two contiguous leads as a
criterion of complete LBBB). The plateau's slope stays below ``qrs_sig`` of the main
upstroke for longer than ``qrs_gap_on``, so the first hump was cut off and the onset put on
the plateau, inside the complex: a simulated LBBB read in lead II alone lost 64 ms of every
QRS (96 ms against 156).

What tells the notch from a P wave close to the complex is the level: a P wave returns to
the isoelectric PR level before the QRS begins, a notched R does not -- its plateau stands
raised, on the side of the first hump, above the level where the hump began. The QRS onset
is the first deflection from the isoelectric level (CSE Working Party, Willems et al. 1985;
Kligfield et al. 2007), so an onset raised above the level before a preceding significant
wave is not the onset.

:func:`notched_onset` therefore re-attaches the significant slope run that lies before the
slope rule's onset when the signal from that run's peak deviation to the onset stays on the
run's side of its starting level by at least ``Params.qrs_notch_keep`` of that deviation,
the deviation exceeds ``Params.qrs_qon_amp_k`` x the lead's noise (mV), the run begins
within ``Params.qrs_notch_reach_s`` of the onset and its last significant slope lies at most
``Params.qrs_notch_gap_s`` before it (a notch's plateau is short; the quiet PR segment after a
P wave is longer, and on a wandering baseline the level after a P wave need not return to
the level before it: odd LUDB records 35, 121, 137 in lead II, 56-78 ms). The new onset is where the slope rule
places it for that run: the last sample before its first significant slope whose slope is
below ``Params.qrs_on`` of the complex's largest slope.

References
----------
Willems JL et al. (CSE Working Party). Recommendations for measurement standards in
quantitative electrocardiography. Eur Heart J 6(10):815-825, 1985.
Kligfield P et al. Recommendations for the standardization and interpretation of the
electrocardiogram, Part I. Circulation 115:1306-1324, 2007.
Surawicz B et al. AHA/ACCF/HRS recommendations for the standardization and interpretation
of the electrocardiogram, Part III: intraventricular conduction disturbances. Circulation
119:e235-e240, 2009.
Strauss DG, Selvester RH, Wagner GS. Defining left bundle branch block in the era of
cardiac resynchronization therapy. Am J Cardiol 107:927-934, 2011.

Examples
--------
A notched R: a first hump to 0.4 mV (samples 110-130), a plateau at 0.35 mV for 20
samples (40 ms at 500 Hz), then the main upstroke to 1 mV. The slope rule's onset on the
plateau (sample 150) moves back to the last flat sample before the hump.

>>> import numpy as np
>>> from interp_ecg.features.delineation.qrs_notch import notched_onset
>>> t = np.arange(400.0)
>>> x = np.interp(t, [0, 110, 130, 150, 165, 200, 399], [0, 0, 0.4, 0.35, 1.0, 0, 0])[None, :]
>>> d = np.gradient(x, axis=-1)
>>> on = np.array([[150.0]]); off = np.array([[200.0]])
>>> out = notched_onset(d, x, on, off, np.array([0]), np.array([1e-4]), np.array([0.005]), 500.0)
>>> int(out[0, 0])
109

A P wave (0.15 mV, samples 60-100) that returns to the baseline before the QRS: the onset
stays.

>>> x = np.interp(t, [0, 60, 80, 100, 130, 145, 180, 399], [0, 0, 0.15, 0, 0, 1.0, 0, 0])[None, :]
>>> d = np.gradient(x, axis=-1)
>>> on = np.array([[130.0]]); off = np.array([[180.0]])
>>> out = notched_onset(d, x, on, off, np.array([0]), np.array([1e-4]), np.array([0.005]), 500.0)
>>> int(out[0, 0])
130
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d

from interp_ecg.features.delineation.params import Params
from interp_ecg.features.delineation.waves import dilate
from interp_ecg.features.delineation.windows import first_true, last_true, positions, take


def notched_onset(d: np.ndarray, raw: np.ndarray, on: np.ndarray, off: np.ndarray,
                  lo: np.ndarray, slope_noise: np.ndarray, noise_mv: np.ndarray, fs: float,
                  p: Params | None = None) -> np.ndarray:
    """Move a QRS onset placed on the plateau of a notched first deflection back to its start.

    Parameters
    ----------
    d : ndarray, shape (n_leads, n_samples)
        Slope of the QRS-band signal (mV per sample), the one the slope rule used.
    raw : ndarray, shape (n_leads, n_samples)
        The recorded signal (mV) on which the plateau's level is judged.
    on, off : ndarray, shape (n_leads, n_beats)
        QRS onsets and offsets (sample indices, NaN where absent); the complex's largest
        slope is taken between them.
    lo : ndarray, shape (n_beats,)
        Earliest sample an onset may move to (e.g. the midpoint of the previous RR).
    slope_noise : ndarray, shape (n_leads,)
        Each lead's slope noise (same units as ``d``; NaN counts as 0).
    noise_mv : ndarray, shape (n_leads,) or (n_leads, 1)
        Each lead's amplitude noise (mV; NaN counts as 0).
    fs : float
        Sampling rate (Hz).
    p : Params, optional
        ``qrs_sig``, ``qrs_sig_noise_k``, ``qrs_on``, ``qrs_flat``, ``qrs_gap_on``,
        ``qrs_qon_amp_k`` and the ``qrs_notch_*`` fields. ``qrs_notch_keep = 0`` turns
        the rule off.

    Returns
    -------
    ndarray, shape (n_leads, n_beats)
        The onsets, moved where a notched first deflection was found, else unchanged
        (NaN stays NaN).
    """
    p = p or Params()
    on = np.asarray(on, dtype=float)
    if p.qrs_notch_keep <= 0 or on.size == 0:
        return on.copy()
    off = np.asarray(off, dtype=float)
    n_l = on.shape[0]
    reach = max(int(round(p.qrs_notch_reach_s * fs)), 1)
    ahead = max(int(round(2 * p.qrs_half * fs)), 1)
    offs = np.arange(-reach, ahead + 1)
    ok = np.isfinite(on) & np.isfinite(off) & (off > on)
    o = np.where(ok, on, 0).astype(np.int64)
    n = d.shape[-1]
    idx = np.clip(o[..., None] + offs, 0, n - 1)
    li = np.arange(n_l)[:, None, None]
    a, wr = np.abs(d[li, idx]), raw[li, idx]   # (n_leads, n_beats, reach + ahead + 1)
    inside = ((o[..., None] + offs) >= 0) & ((o[..., None] + offs) < n)
    c = reach
    pos = positions(offs.size)
    off_w = (np.where(ok, off, 0) - o + c)[..., None]
    m = np.max(np.where((pos >= c) & (pos <= off_w), a, 0.0), axis=-1, keepdims=True)
    ns = np.nan_to_num(np.asarray(slope_noise, dtype=float).reshape(-1))[:, None, None]
    floor = np.maximum(p.qrs_sig * m, p.qrs_sig_noise_k * ns)
    lo_w = (np.asarray(lo, dtype=float)[None, :] - o + c)[..., None]
    before = (pos < c) & (pos >= lo_w) & inside
    sig = (a >= floor) & before & (m > 0)
    e = last_true(sig)                    # the last significant slope before the onset
    # the significant slopes of that earlier wave, gaps up to qrs_gap_on bridged as in
    # the slope rule; its first one is where the slope rule's onset search starts
    gap = max(int(round(p.qrs_gap_on * fs)), 1)
    dil = dilate(sig, gap) & before
    start = dil & ~np.concatenate([np.zeros_like(dil[..., :1]), dil[..., :-1]], axis=-1)
    lab = np.cumsum(start, axis=-1) * dil
    f = first_true(sig & (lab == take(lab, np.maximum(e, 0))[..., None]))
    flat_n = max(int(round(p.qrs_flat * fs)), 1)
    a_run = maximum_filter1d(a, size=flat_n, axis=-1, mode="nearest") if flat_n > 1 else a
    new = last_true(before & (pos < f[..., None]) & (a_run < p.qrs_on * m))
    new = np.where(new >= 0, new + flat_n // 2, new)
    # the level: from the earlier wave's largest deviation to the onset, the signal stays
    # on that deviation's side of the level where the wave began (a P wave returns to it)
    base = take(wr, np.maximum(new, 0))[..., None]
    dev = wr - base
    span = (pos >= new[..., None]) & (pos <= c)
    k = np.argmax(np.where(span, np.abs(dev), -1.0), axis=-1)
    h = take(dev, k)
    sgn = np.sign(h)[..., None]
    after_k = span & (pos >= k[..., None])
    kept = np.min(np.where(after_k, sgn * dev, np.inf), axis=-1)
    amp_min = p.qrs_qon_amp_k * np.nan_to_num(
        np.asarray(noise_mv, dtype=float).reshape(-1))[:, None]
    in_qrs = (pos >= c) & (pos <= off_w)
    span_qrs = (np.max(np.where(in_qrs, wr, -np.inf), axis=-1)
                - np.min(np.where(in_qrs, wr, np.inf), axis=-1))
    move = (ok & (e >= 0) & (f >= 0) & (new >= 0) & (new < c)
            & (np.abs(h) >= p.qrs_notch_min_frac * span_qrs)
            & (c - e <= p.qrs_notch_gap_s * fs + 1e-9)
            & (np.abs(h) > amp_min) & (np.abs(h) > 0) & (kept >= p.qrs_notch_keep * np.abs(h)))
    return np.where(move, on - (c - new), on)


def notched_offset(d: np.ndarray, raw: np.ndarray, on: np.ndarray, off: np.ndarray,
                   hi: np.ndarray, slope_noise: np.ndarray, noise_mv: np.ndarray, fs: float,
                   p: Params | None = None, return_trough: bool = False
                   ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Move a QRS offset placed on a notch before a terminal (slurred) S wave to its end.

    The mirror of :func:`notched_onset`. In right bundle branch block the terminal S wave
    of the lateral and inferior leads is often broad and slurred, and may be notched: the
    S descent, a partial return that stops raised (a notch), a second, shallower trough
    and its slow return to the ST level. The notch's slope lies below the share of the R
    wave's steepest slope that ends the complex, so the slope rule ended the QRS at the
    first S tip, inside the complex. A T wave starts from the ST level; the terminal S
    does not: at the notch the signal stands raised on the complex's side of the level
    where the complex began.

    The offset moves to the end of the significant slope run that follows it when: the
    offset's deviation from the level at the onset is at least ``Params.qrs_noff_min_frac``
    of the complex's peak-to-peak amplitude and above ``Params.qrs_qon_amp_k`` x the noise;
    the run's first slope above ``Params.qrs_noff_sig`` of the complex's largest slope (and
    ``qrs_sig_noise_k`` x the slope noise) lies at most ``Params.qrs_noff_gap_s`` after the
    offset; from the offset to that slope the signal keeps at least ``Params.qrs_noff_keep``
    of the offset's deviation; over the run the signal never crosses the level by more
    than ``1 - qrs_noff_keep`` of that deviation (a T wave rising from a depressed ST
    segment crosses it) and ends nearer the level than ``Params.qrs_noff_return`` x the
    offset's deviation (an inverted T wave deepens); and the run ends within ``Params.qrs_noff_reach_s`` of the offset, not
    beyond ``hi``. With ``Params.qrs_noff_s_only`` (default) only an offset below the
    onset's level moves (the slurred terminal wave of RBBB in the lateral and inferior
    leads is an S; a raised offset after the R is an R tail, a J bump or a raised ST);
    ``Params.qrs_noff_trough`` > 0 asks the signal to turn away from the level again after
    the notch by that share of the offset's deviation (a second trough). Where it does so
    by at least ``Params.qrs_noff_lobe_trough`` of the deviation and above the noise (the
    terminal S is a distinct lobe), a deviation of ``Params.qrs_noff_lobe_min_frac`` of the
    complex suffices; with ``return_trough`` that share is returned for the width gate. The width gate
    (QRS >= 120 ms) needs the global onset and is applied by :func:`.stages.qrs_stage`. The new offset is where the slope rule would end that run: the first
    sample after its last significant slope whose slope is below ``Params.qrs_off`` of the
    complex's largest slope.

    Parameters
    ----------
    d : ndarray, shape (n_leads, n_samples)
        Slope of the QRS-band signal (mV per sample), the one the slope rule used.
    raw : ndarray, shape (n_leads, n_samples)
        The recorded signal (mV) on which the levels are judged.
    on, off : ndarray, shape (n_leads, n_beats)
        QRS onsets and offsets (sample indices, NaN where absent).
    hi : ndarray, shape (n_beats,)
        Latest sample an offset may move to (e.g. the midpoint of the next RR).
    slope_noise : ndarray, shape (n_leads,)
        Each lead's slope noise (units of ``d``; NaN counts as 0).
    noise_mv : ndarray, shape (n_leads,) or (n_leads, 1)
        Each lead's amplitude noise (mV; NaN counts as 0).
    fs : float
        Sampling rate (Hz).
    p : Params, optional
        ``qrs_off``, ``qrs_sig_noise_k``, ``qrs_qon_amp_k``, ``qrs_gap_on`` and the
        ``qrs_noff_*`` fields. ``qrs_noff_keep = 0`` turns the rule off.
    return_trough : bool
        Also return, per lead and beat, how far the signal departs from the level again
        after the notch (the second trough's depth beyond the notch) as a share of the
        offset's deviation; 0 for a monotone return (or a trough within ``qrs_qon_amp_k`` x
        the noise), NaN where the offset did not move.

    Returns
    -------
    ndarray, shape (n_leads, n_beats)
        The offsets, moved where a notched terminal S was found, else unchanged.
    ndarray, shape (n_leads, n_beats)
        With ``return_trough`` only: the trough share described above.

    Examples
    --------
    An R wave, an S tip at -0.2 mV (sample 160), a notch at -0.15 mV, a second trough at
    -0.28 mV (sample 180) and its return to the baseline at sample 200:

    >>> import numpy as np
    >>> from interp_ecg.features.delineation.qrs_notch import notched_offset
    >>> t = np.arange(400.0)
    >>> x = np.interp(t, [0, 140, 150, 160, 168, 180, 200, 399],
    ...               [0, 0, 1.3, -0.2, -0.15, -0.28, 0, 0])[None, :]
    >>> d = np.gradient(x, axis=-1)
    >>> on = np.array([[140.0]]); off = np.array([[161.0]])
    >>> out = notched_offset(d, x, on, off, np.array([399]), np.array([1e-4]),
    ...                      np.array([0.005]), 500.0)
    >>> int(out[0, 0])
    200

    The second trough lies 0.13 mV beyond the notch, 0.67 of the offset's deviation
    (-0.194 mV): the terminal S is a distinct lobe.

    >>> _, share = notched_offset(d, x, on, off, np.array([399]), np.array([1e-4]),
    ...                           np.array([0.005]), 500.0, return_trough=True)
    >>> round(float(share[0, 0]), 3)
    0.671

    A normal J point followed by a T wave 80 ms later: the offset stays.

    >>> x = np.interp(t, [0, 140, 150, 160, 200, 250, 300, 399],
    ...               [0, 0, 1.3, 0, 0, 0.3, 0, 0])[None, :]
    >>> d = np.gradient(x, axis=-1)
    >>> off = np.array([[160.0]])
    >>> out = notched_offset(d, x, on, off, np.array([399]), np.array([1e-4]),
    ...                      np.array([0.005]), 500.0)
    >>> int(out[0, 0])
    160
    """
    p = p or Params()
    off = np.asarray(off, dtype=float)
    if p.qrs_noff_keep <= 0 or off.size == 0:
        return (off.copy(), np.full(off.shape, np.nan)) if return_trough else off.copy()
    on = np.asarray(on, dtype=float)
    n_l = off.shape[0]
    back = max(int(round(p.qrs_window_s * fs)), 1)
    reach = max(int(round(p.qrs_noff_reach_s * fs)), 1)
    offs = np.arange(-back, reach + 1)
    ok = np.isfinite(on) & np.isfinite(off) & (off > on) & (off - on <= back)
    o = np.where(ok, off, 0).astype(np.int64)
    n = d.shape[-1]
    gi = o[..., None] + offs
    inside = (gi >= 0) & (gi < n)
    idx = np.clip(gi, 0, n - 1)
    li = np.arange(n_l)[:, None, None]
    a, wr = np.abs(d[li, idx]), raw[li, idx]
    c = back
    pos = positions(offs.size)
    on_w = np.clip(np.where(ok, on, 0) - o + c, 0, c).astype(np.int64)
    in_qrs = (pos >= on_w[..., None]) & (pos <= c)
    m = np.max(np.where(in_qrs, a, 0.0), axis=-1, keepdims=True)
    ns = np.nan_to_num(np.asarray(slope_noise, dtype=float).reshape(-1))[:, None, None]
    floor = np.maximum(p.qrs_noff_sig * m, p.qrs_sig_noise_k * ns)
    hi_w = (np.asarray(hi, dtype=float)[None, :] - o + c)[..., None]
    after = (pos > c) & (pos <= hi_w) & inside
    sig = (a >= floor) & after & (m > 0)
    f = first_true(sig)
    gap = max(int(round(p.qrs_gap_on * fs)), 1)
    dil = dilate(sig, gap) & after
    start = dil & ~np.concatenate([np.zeros_like(dil[..., :1]), dil[..., :-1]], axis=-1)
    lab = np.cumsum(start, axis=-1) * dil
    e = last_true(sig & (lab == take(lab, np.maximum(f, 0))[..., None]))
    new = first_true(after & (pos > e[..., None]) & (a < p.qrs_off * m))
    # the levels: the onset's (where the complex began) and the offset's deviation from it
    base = take(wr, on_w)[..., None]
    dev = wr - base
    h0 = dev[..., c]
    sgn = np.sign(h0)[..., None]
    sd = sgn * dev
    notch = (pos >= c) & (pos <= f[..., None])
    kept = np.min(np.where(notch, sd, np.inf), axis=-1)
    run = (pos >= c) & (pos <= new[..., None])
    crossed = np.min(np.where(run, sd, np.inf), axis=-1)
    h_end = take(sd, np.maximum(new, 0))
    span_qrs = (np.max(np.where(in_qrs, wr, -np.inf), axis=-1)
                - np.min(np.where(in_qrs, wr, np.inf), axis=-1))
    amp_min = p.qrs_qon_amp_k * np.nan_to_num(
        np.asarray(noise_mv, dtype=float).reshape(-1))[:, None]
    ah = np.abs(h0)
    # a second trough: after the notch the signal turns away from the level again (a T
    # wave rising from the ST segment only approaches it)
    deeper = np.max(np.where((pos >= f[..., None]) & run, sd, -np.inf), axis=-1) - kept
    # a distinct terminal lobe: the second trough deepens beyond the notch by a share of
    # the offset's deviation and above the noise (a shallower notch then suffices)
    lobe = (deeper >= p.qrs_noff_lobe_trough * ah) & (deeper > amp_min)
    move = (ok & (f >= 0) & (e >= 0) & (new > c)
            & (deeper >= p.qrs_noff_trough * ah)
            & ((h0 < 0) | (not p.qrs_noff_s_only))
            & (f - c <= p.qrs_noff_gap_s * fs + 1e-9)
            & ((ah >= p.qrs_noff_min_frac * span_qrs)
               | (lobe & (ah >= p.qrs_noff_lobe_min_frac * span_qrs)))
            & (ah > amp_min) & (ah > 0)
            & (kept >= p.qrs_noff_keep * ah)
            & (crossed >= -(1.0 - p.qrs_noff_keep) * ah)
            & (h_end < p.qrs_noff_return * ah))
    out = np.where(move, off + (new - c), off)
    if return_trough:
        with np.errstate(invalid="ignore", divide="ignore"):
            # a second trough within the noise counts as none (as for ``lobe`` above)
            share = np.where(move, np.where(deeper > amp_min, deeper, 0.0)
                             / np.where(ah > 0, ah, np.nan), np.nan)
        return out, share
    return out
