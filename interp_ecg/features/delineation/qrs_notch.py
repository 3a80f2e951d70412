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
