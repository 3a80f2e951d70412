"""``delineate``: beat-by-beat P, QRS and T fiducial points for every lead plus a consensus.

The default method, ``"martinez_zhang"``, is a multi-lead, fully vectorised delineator:

1. all leads are filtered in one call (0.5-40 Hz for the QRS, 0.5-15 Hz for P and T) and
   flat, noisy or non-finite leads are set aside (:mod:`.leadcheck`);
2. QRS complexes are detected once on a combined multi-lead slope envelope (:mod:`.qrs`);
3. per-lead QRS boundaries follow Martinez et al. (2004) slope thresholds, P and T
   boundaries the trapezium-area rule of Zhang et al. (2006) (:mod:`.waves`), every lead and
   beat at once; the QRS search is bounded by the RR intervals, so that at fast rates
   (ventricular tachycardia, aberrant SVT) it does not reach into the neighbouring beats;
4. a global consensus takes onsets from the earliest and offsets from the latest reliable
   lead after outlier rejection, as ECGdeli and 12SL do (:mod:`.consensus`);
5. a P wave is declared present only where it is visible in several leads, agrees in
   timing across leads and keeps a stable PR interval from beat to beat; otherwise (atrial
   fibrillation or flutter, say) it is NaN with a reason.

``method="neurokit_dwt"`` runs NeuroKit2's own pipeline lead by lead for comparison
(:mod:`.neurokit`).

References
----------
Martinez JP et al. A wavelet-based ECG delineator: evaluation on standard databases. IEEE
Trans Biomed Eng 51(4):570-581, 2004.
Zhang Q et al. An algorithm for robust and efficient location of T-wave ends in
electrocardiograms. IEEE Trans Biomed Eng 53(12):2544-2552, 2006.
Pilia N et al. ECGdeli - An open source ECG delineation toolbox for MATLAB. SoftwareX
13:100639, 2021.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import replace
from collections.abc import Sequence

import numpy as np
import pandas as pd

from interp_ecg.errors import DelineationError, SamplingRateError, SignalQualityError
from interp_ecg.features.delineation.consensus import combine, nanquantile_cols
from interp_ecg.features.delineation.filters import bandpass, central_slope
from interp_ecg.features.delineation.leadcheck import lead_status
from interp_ecg.features.delineation.qrs import detect_qrs
from interp_ecg.features.delineation.waves import Params, p_waves, qrs_bounds, t_waves

log = logging.getLogger(__name__)

FIDUCIALS = ["P_on", "P_peak", "P_off", "QRS_on", "R_peak", "QRS_off",
             "T_on", "T_peak", "T_off"]
COLUMNS = ["lead", "beat", *FIDUCIALS]
METHODS = ("martinez_zhang", "neurokit_dwt")
DEFAULT_PARAMS = Params()


def _check_input(signal, fs, leads) -> tuple[np.ndarray, float, list[str]]:
    try:
        fs = float(fs)
    except (TypeError, ValueError):
        raise SamplingRateError(f"sampling rate must be a number, got {fs!r}") from None
    if not np.isfinite(fs) or fs <= 0:
        raise SamplingRateError(f"sampling rate must be positive and finite, got {fs!r}")
    if fs < 100:
        raise SamplingRateError(f"sampling rate {fs:g} Hz is too low to delineate (need >= 100 Hz)")
    x = np.asarray(signal, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise SignalQualityError(f"signal must be 1-D or (n_leads, n_samples), got shape {x.shape}")
    if x.shape[1] < x.shape[0] and x.shape[0] > 16:
        raise SignalQualityError(
            f"signal of shape {x.shape} looks transposed; expected (n_leads, n_samples)")
    if x.shape[0] == 0 or x.shape[1] < int(1.5 * fs):
        raise DelineationError(
            f"signal too short to delineate: {x.shape[1]} samples at {fs:g} Hz (need >= 1.5 s)")
    if leads is None:
        from interp_ecg.io.leads import STANDARD_LEADS
        leads = list(STANDARD_LEADS) if x.shape[0] == 12 else [f"lead{i}" for i in range(x.shape[0])]
    leads = [str(v) for v in leads]
    if len(leads) != x.shape[0]:
        raise SignalQualityError(f"{len(leads)} lead names for {x.shape[0]} leads")
    return x, fs, leads


def delineate(signal: np.ndarray, fs: float, leads: Sequence[str] | None = None,
              method: str = "martinez_zhang", return_reasons: bool = False,
              params: Params | None = None) -> pd.DataFrame:
    """Delineate P, QRS and T waves beat by beat in every lead, plus a multi-lead consensus.

    Parameters
    ----------
    signal : array-like, shape (n_leads, n_samples) or (n_samples,)
        ECG in mV; a 1-D signal is one lead.
    fs : float
        Sampling rate in Hz (>= 100).
    leads : sequence of str, optional
        Lead names; the standard twelve for 12 leads, ``lead0, lead1, ...`` otherwise.
    method : {"martinez_zhang", "neurokit_dwt"}
        ``"martinez_zhang"``: this package's vectorised multi-lead delineator (QRS after
        Martinez et al. 2004, P/T ends after Zhang et al. 2006, consensus after ECGdeli).
        ``"neurokit_dwt"``: NeuroKit2's ``ecg_delineate(method="dwt")`` lead by lead.
    return_reasons : bool
        Add a ``reason`` column saying why waves are NaN (empty string when none is).
    params : Params, optional
        Thresholds of the default method.

    Returns
    -------
    pandas.DataFrame
        Columns ``lead, beat, P_on, P_peak, P_off, QRS_on, R_peak, QRS_off, T_on, T_peak,
        T_off`` (float sample indices, NaN when absent); one row per beat and lead, then the
        rows of ``lead == "global"``. ``df.attrs["lead_status"]`` maps each lead to ``"ok"``
        or the reason it was excluded from the consensus.

    Notes
    -----
    Per-lead rows are multi-lead informed, as in Martinez et al.'s multi-lead rules: each
    lead's boundary is pulled part of the way towards the median of the usable leads
    (``Params.w_*``), its QRS onset also towards the onset of the spatial velocity of all
    usable leads (``Params.w_sv_on``), and where the consensus finds a P wave that a lead shows too weakly,
    that lead's P columns carry the consensus P. A P wave is reported only when it is
    visible in enough leads, agrees across leads and keeps a stable PR interval; it is NaN
    (with a reason) in atrial fibrillation or flutter, in wide-complex tachycardia and for
    premature beats without their own P. Thresholds (:class:`Params`) were chosen on the
    odd-numbered LUDB records only; ``benchmarks/delineation_ludb.py`` reports the
    even-numbered ones as a held-out set.

    Raises
    ------
    SamplingRateError
        ``fs`` missing, non-positive or below 100 Hz.
    DelineationError
        Signal too short, every lead unusable, or no QRS complex found.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.delineation import delineate
    >>> fs = 500
    >>> t = np.arange(10 * fs)
    >>> x = np.zeros(t.size)
    >>> for r in range(400, 4800, 500):                      # 60 bpm
    ...     x += 0.15 * np.exp(-0.5 * ((t - r + 90) / 10) ** 2)   # P
    ...     x += 1.0 * np.exp(-0.5 * ((t - r) / 4) ** 2)          # R
    ...     x += 0.3 * np.exp(-0.5 * ((t - r - 160) / 25) ** 2)   # T
    >>> df = delineate(x.astype("float32"), fs)
    >>> g = df[df.lead == "global"]
    >>> len(g), bool((abs(g.R_peak - np.arange(400, 4800, 500)) <= 2).all())
    (9, True)
    """
    if method not in METHODS:
        raise ValueError(f"unknown delineation method {method!r}; choose one of {METHODS}")
    x, fs, leads = _check_input(signal, fs, leads)
    if method == "neurokit_dwt":
        from interp_ecg.features.delineation.neurokit import delineate_neurokit
        return delineate_neurokit(x, fs, leads, return_reasons=return_reasons)
    return _delineate_mz(x, fs, leads, params or DEFAULT_PARAMS, return_reasons)


def _shrink(v: np.ndarray, usable: np.ndarray, tol: float, w: float,
            q: float = 0.5) -> np.ndarray:
    """Pull each lead's value towards a robust quantile ``q`` of the usable leads (weight ``w``)."""
    if w >= 1.0:
        return v
    center = combine(v, "on", tol, quantile=q, usable=usable)
    out = np.where(np.isfinite(center)[None, :], center[None, :] + w * (v - center[None, :]), v)
    return np.round(np.where(np.isfinite(v), out, np.nan))


def _rr(r: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    if r.size >= 2:
        d = np.diff(r)
        med = np.median(d)
        prev = np.concatenate([[med], d])
        nxt = np.concatenate([d, [med]])
    else:
        prev = nxt = np.array([fs], dtype=float)
    return prev.astype(float), nxt.astype(float)


def _delineate_mz(x, fs, leads, p: Params, return_reasons: bool) -> pd.DataFrame:
    xs = np.where(np.isfinite(x), x, 0.0).astype(np.float64)
    xq = bandpass(xs, fs, 0.5, p.qrs_lowpass)
    status = lead_status(x, fs, low=xq)
    usable = np.array([s == "ok" for s in status])
    if not usable.any():
        raise DelineationError("no usable lead: " + ", ".join(
            f"{ld}: {s}" for ld, s in zip(leads, status)))
    r = detect_qrs(xs, fs, usable)
    if r.size == 0:
        raise DelineationError("no QRS complex found in any usable lead")
    n_leads, n = xs.shape
    xw = bandpass(xs, fs, 0.5, p.pt_lowpass)
    dq = central_slope(xq, int(round(p.qrs_slope_dt * fs)))
    dw = central_slope(xw, int(round(0.01 * fs)))
    rr_prev, rr_next = _rr(r, fs)

    on, pk, off = qrs_bounds(xq, dq, r, fs, p, rr_prev, rr_next)
    ms = fs / 1000.0
    g_on = combine(on, "on", 40 * ms, p.cons_q, usable)
    g_off = combine(off, "off", 40 * ms, p.cons_q, usable)
    on = _shrink(on, usable, 40 * ms, p.w_qrs_on, p.q_qrs_on) + round(p.qrs_on_shift * fs)
    if p.w_sv_on < 1.0 or p.w_sv_off < 1.0:
        # spatial velocity of the usable leads: one onset and offset per beat from all
        # leads at once; each lead's boundary is pulled towards them
        sv = np.sqrt(np.sum(dq[usable] ** 2, axis=0))[None, :]
        sp = replace(p, qrs_on=p.sv_on, qrs_off=p.sv_off)
        sv_on, _, sv_off = (b[0] for b in qrs_bounds(sv, sv, r, fs, sp, rr_prev, rr_next))
        for v, ref, w in ((on, sv_on, p.w_sv_on), (off, sv_off, p.w_sv_off)):
            near = np.isfinite(ref)[None, :] & (np.abs(v - ref[None, :]) <= 40 * ms)
            v[...] = np.where(near, np.round(ref[None, :] + w * (v - ref[None, :])), v)
    off = _shrink(off, usable, 40 * ms, p.w_qrs_off, p.q_qrs_off) + round(p.qrs_off_shift * fs)
    g_pk = combine(pk, "peak", 60 * ms, usable=usable)
    g_on = np.where(np.isfinite(g_on), g_on, r - int(0.05 * fs))
    g_off = np.where(np.isfinite(g_off), g_off, r + int(0.05 * fs))

    tw = t_waves(xw, dw, r, g_off.astype(np.int64), rr_next, fs, p)
    # the P search starts after the previous beat's T wave (consensus end, raw per-lead)
    t_end_raw = combine(np.where(tw["ok"], tw["off"], np.nan), "off", 60 * ms, p.cons_q, usable)
    prev_t_end = np.concatenate([[np.nan], t_end_raw[:-1]])
    pw = p_waves(xw, dw, g_on.astype(np.int64), rr_prev, fs, p, prev_t_end)

    # lead noise (mV): robust SD of the 15-40 Hz residue
    noise = 1.4826 * np.median(np.abs(xq - xw), axis=1)[:, None]
    t_vis = tw["ok"] & (tw["amp"] >= np.maximum(p.t_min_mv, p.noise_k * noise))
    p_vis = pw["ok"] & (pw["amp"] >= np.maximum(p.p_min_mv, p.noise_k * noise))

    reasons = np.full((n_leads, r.size), "", dtype=object)

    # P presence: visible in >= 1/3 of usable leads, consistent timing, stable PR
    n_use = usable.sum()
    # timing by the centre of the wave (robust to bifid P, whose peak jumps between lobes)
    centre = 0.5 * (pw["on"] + pw["off"])
    pk_v = np.where(p_vis & usable[:, None], centre, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gp_pk = nanquantile_cols(pk_v, 0.5)
        spread = nanquantile_cols(np.abs(pk_v - gp_pk), 0.5)
    beat_p = (np.sum(np.isfinite(pk_v), axis=0) >= max(1, p.p_lead_frac * n_use)) & (spread <= p.p_spread * 1000 * ms)
    pr = g_on - gp_pk
    p_reason = "no P wave visible in enough leads"
    qrs_ms = np.nanmedian(g_off - g_on) / ms if r.size else np.nan
    if r.size >= 3 and np.median(np.diff(r)) < 0.4 * fs and qrs_ms >= 120:
        # wide-complex tachycardia: atrial activity is buried in the QRS/T (and in VT
        # dissociated from it); whatever the P search found there is not a P wave
        beat_p[:] = False
        p_reason = "wide-complex tachycardia: P waves not separable"
    if beat_p.sum() >= 1:
        pr_med = np.median(pr[beat_p])
        # irregular RR (atrial fibrillation?): P waves must be strictly time-locked
        irregular = r.size >= 4 and np.median(np.abs(np.diff(r, 2))) > 0.08 * np.median(np.diff(r))
        tol, frac = (p.pr_tol / 2, 0.8) if irregular else (p.pr_tol, p.p_min_frac)
        stable = np.abs(pr - pr_med) <= tol * 1000 * ms
        # premature beats (PVCs) have no P of their own: left out of the count
        not_premature = rr_prev >= 0.85 * np.median(rr_prev)
        if (beat_p & stable & not_premature).sum() < frac * max(not_premature.sum(), 1):
            beat_p[:] = False
            p_reason = "no P wave time-locked to the QRS (atrial fibrillation/flutter?)"
        else:
            unstable = beat_p & ~stable
            beat_p &= stable
            if unstable.any():
                reasons[:, unstable] = "P wave not time-locked to this QRS"
    # per-lead P kept where the lead agrees with the consensus P peak
    lead_p = beat_p[None, :] & np.isfinite(centre) & (np.abs(centre - gp_pk) <= 40 * ms)
    for k in ("on", "peak", "off"):
        pw[k] = np.where(lead_p, pw[k], np.nan)
    tvis_any = t_vis
    for k in ("on", "peak", "off"):
        tw[k] = np.where(tvis_any, tw[k], np.nan)

    gp = {k: combine(pw[k], s, 40 * ms, p.cons_q, usable) for k, s in
          (("on", "on"), ("peak", "peak"), ("off", "off"))}
    gt = {k: combine(tw[k], s, 60 * ms, p.cons_q, usable) for k, s in
          (("on", "on"), ("peak", "peak"), ("off", "off"))}
    pw["on"] = _shrink(pw["on"], usable, 40 * ms, p.w_p if p.w_p_on is None else p.w_p_on)
    pw["off"] = _shrink(pw["off"], usable, 40 * ms, p.w_p)
    tw["on"] = _shrink(tw["on"], usable, 60 * ms, p.w_t_on)
    tw["off"] = _shrink(tw["off"], usable, 60 * ms, p.w_t_off)
    for k in gp:
        gp[k] = np.where(beat_p, gp[k], np.nan)
    # per-lead P missing in a lead while the consensus has one: use the consensus (for
    # the boundaries, the leads' median rather than the earliest onset / latest offset,
    # which are the record's extremes and not a typical lead's)
    for k in ("on", "peak", "off"):
        fill = gp[k]
        if k != "peak" and p.p_fill_median:
            fill = np.where(beat_p, combine(pw[k], "peak", 40 * ms, usable=usable), np.nan)
            fill = np.where(np.isfinite(fill), fill, gp[k])
        pw[k] = np.where(beat_p[None, :] & ~np.isfinite(pw[k]), fill[None, :], pw[k])

    no_p = ~beat_p
    reasons[:, no_p] = np.where(reasons[:, no_p] == "", p_reason, reasons[:, no_p])
    no_t = ~np.isfinite(tw["peak"])
    reasons[no_t] = np.where(reasons[no_t] == "", "no T wave above noise",
                             reasons[no_t] + "; no T wave above noise")
    bad = ~usable
    for i in np.flatnonzero(bad):
        reasons[i, :] = f"lead excluded from consensus: {status[i]}"

    per = {"P_on": pw["on"], "P_peak": pw["peak"], "P_off": pw["off"], "QRS_on": on,
           "R_peak": pk, "QRS_off": off, "T_on": tw["on"], "T_peak": tw["peak"],
           "T_off": tw["off"]}
    glob = {"P_on": gp["on"], "P_peak": gp["peak"], "P_off": gp["off"], "QRS_on": g_on,
            "R_peak": g_pk, "QRS_off": g_off, "T_on": gt["on"], "T_peak": gt["peak"],
            "T_off": gt["off"]}
    nb = r.size
    data = {"lead": np.repeat(np.asarray(leads + ["global"], dtype=object), nb),
            "beat": np.tile(np.arange(nb), n_leads + 1)}
    for c in FIDUCIALS:
        arr = np.vstack([np.asarray(per[c], dtype=float), np.asarray(glob[c], dtype=float)[None]])
        arr[~np.isfinite(arr)] = np.nan
        data[c] = arr.ravel()
    df = pd.DataFrame(data)
    df["lead"] = df["lead"].astype(str)
    if return_reasons:
        g_reason = np.where(beat_p, "", p_reason)
        df["reason"] = np.concatenate([reasons.ravel(), g_reason]).astype(str)
    df.attrs["lead_status"] = dict(zip(leads, status))
    df.attrs["method"] = "martinez_zhang"
    df.attrs["fs"] = fs
    return df
