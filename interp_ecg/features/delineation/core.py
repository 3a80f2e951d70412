"""``delineate``: beat-by-beat P, QRS and T fiducial points for every lead plus a consensus.

The default method, ``"martinez_zhang"``, is a multi-lead, fully vectorised delineator:

1. all leads are filtered in one call (0.5-40 Hz for the QRS, 0.5-15 Hz for P and T) and
   flat, noisy or non-finite leads are set aside (:mod:`.leadcheck`);
2. QRS complexes are detected once on a combined multi-lead slope envelope (:mod:`.qrs`);
3. per-lead QRS boundaries follow Martinez et al. (2004) slope thresholds, P and T
   boundaries the trapezium-area rule of Zhang et al. (2006) (:mod:`.waves`), every lead and
   beat at once; the QRS search is bounded by the RR intervals, so that at fast rates
   (ventricular tachycardia, aberrant SVT) it does not reach into the neighbouring beats,
   and a QRS slope must stand above the lead's slope noise (measured between the
   complexes), so that noise after a small QRS does not prolong it;
4. a global consensus takes onsets from the earliest and offsets from the latest reliable
   lead after outlier rejection, as ECGdeli and 12SL do (:mod:`.consensus`);
5. a P wave is declared present only where it is visible in several leads, agrees in
   timing across leads and keeps a stable PR interval from beat to beat; otherwise (atrial
   fibrillation or flutter, say) it is NaN with a reason. Premature beats (judged against
   their local cycle) are left out of that test, and a regularly alternating RR
   (bigeminy) is not taken for an irregular one.

The steps are pure functions in :mod:`.stages` (each with its own tests); every threshold
is a field of :class:`.params.Params`, in seconds, mV or fractions, with its rationale.
Nothing is fabricated: a boundary that is not in the signal (not found, cut by the record
edge, on bridged invalid samples, out of order) is NaN, and beats cut by the record edge are
listed in ``df.attrs["edge_beats"]``. Samples a lead holds at its first or last value (a
recorder that stopped early) are no signal: the record is delineated on the span where some
lead varies (``df.attrs["signal_span"]``), and a QRS whose detector peak lies within
``Params.edge_guard_s`` of that span's ends is no beat (its centre is not in the record).

``method="neurokit_dwt"`` runs NeuroKit2's own pipeline lead by lead for comparison
(:mod:`.neurokit`), with the same edge and order guarantees.

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
from collections.abc import Sequence

import numpy as np
import pandas as pd

from interp_ecg.errors import ArgumentError, DelineationError, SamplingRateError, SignalQualityError
from interp_ecg.features.delineation import stages as S
from interp_ecg.features.delineation.consensus import combine
from interp_ecg.features.delineation.filters import central_slope, internal_ratio
from interp_ecg.features.delineation.params import Params
from interp_ecg.features.delineation.schema import COLUMNS, FIDUCIALS
from interp_ecg.features.delineation.spikes import (
    onsets_after_recharge,
    onsets_after_spikes,
    strip_spikes,
)

log = logging.getLogger(__name__)

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
    if x.shape[0] > 15 and x.shape[1] < x.shape[0]:
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
        or the reason it was excluded from the consensus (its rows are then NaN);
        ``df.attrs["edge_beats"]`` lists the beats cut by the record edge;
        ``df.attrs["pacing_spikes"]`` the first samples of the pacemaker spikes removed
        before delineating (:mod:`.spikes`: large spikes, and small ones time-locked to the
        QRS complexes, so that a paced QRS onset is the start of the cardiac complex, not
        the spike; none sought below 125 Hz), and ``df.attrs["pacing_spike_table"]`` their
        rows (:func:`~interp_ecg.features.pacing.detect_pacing_spikes`'s columns, as dicts).
        A paced complex cannot start before its stimulus: a QRS onset found before the end
        (last changed sample) of a spike removed before the beat's R peak, and a P onset
        found before an atrial spike (a spike followed by another before the R peak), is
        moved to that spike's end (``reason``: "... onset moved to the end of the pacing
        spike before it"; :func:`.spikes.onsets_after_spikes`); a paced QRS onset on the
        spike's recharge tail is moved to the first deflection after an isoelectric
        stimulus-to-QRS latency where the leads show one (``reason``: "QRS onset moved past
        the recharge tail of the pacing spike before it";
        :func:`.spikes.onsets_after_recharge`, ``Params.paced_tail_max_s``).

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

    Sampling rate: the thresholds were chosen at 500 Hz, and the rules act on whole
    samples (a threshold crossing is taken at the first whole sample past it; slope spans
    and windows are rounded to whole samples), which made every rate read differently. A
    record not sampled at ``Params.internal_fs`` (500 Hz) is therefore delineated on a
    band-limited resampling to 500 Hz (:func:`.filters.internal_ratio`; ``df.attrs
    ["internal_fs"]``), and its fiducials are **fractional** sample indices of the record
    (multiples of ``fs / 500``: 0.2 samples at 100 Hz, 0.5 at 250 Hz, 0.72 at 360 Hz, 2 at
    1000 Hz). At the record's own rate the 100 Hz PTB-XL files read QRS durations 20 ms
    wider than the 500 Hz files, and the same LUDB records read QRS +4 ms at 250 Hz,
    +0.8 ms at 360 Hz and -1.5 ms at 1000 Hz (median of the record-level differences); on
    the resampling every boundary is within 1 ms of 500 Hz on average
    (``benchmarks/delineation_rates.py --vs500``). The cost: a 250 Hz record takes about as
    long as a 500 Hz one, and with two leads (II + V5) a 250 Hz record finds the P waves
    the 500 Hz delineator finds (LUDB 31 and 39 have P waves at 250 Hz own-rate that 500 Hz
    does not find).

    Raises
    ------
    SamplingRateError
        ``fs`` missing, non-positive or below 100 Hz.
    DelineationError
        Signal too short, every lead unusable, no QRS complex found, or QRS complexes
        that do not repeat (noise without an ECG).

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
        raise ArgumentError(f"unknown delineation method {method!r}; choose one of {METHODS}")
    x, fs, leads = _check_input(signal, fs, leads)
    if method == "neurokit_dwt":
        from interp_ecg.features.delineation.neurokit import delineate_neurokit
        df = delineate_neurokit(x, fs, leads, return_reasons=return_reasons)
        # the same guarantees as the default method: nothing outside the record or out
        # of order (NeuroKit2 itself can return either)
        vals = df[FIDUCIALS].to_numpy(dtype=float)[None]
        vals, _, _ = S.edge_and_gap_guard(vals, x.shape[1], fs, params or DEFAULT_PARAMS)
        vals, _ = S.enforce_order(vals)
        df[FIDUCIALS] = vals[0]
        return df
    return _delineate_mz(x, fs, leads, params or DEFAULT_PARAMS, return_reasons)


def _delineate_mz(x: np.ndarray, fs: float, leads: list[str], p: Params,
                  return_reasons: bool) -> pd.DataFrame:
    """Run the stages of :mod:`.stages` on one record (see :func:`delineate`)."""
    # a record not sampled at ``Params.internal_fs`` is delineated on a resampling to it
    # (:func:`.filters.internal_ratio`), and the fiducials are divided back to (fractional)
    # samples of the record at the end
    # a lead held at one value at the record's start or end (a recorder that stopped early)
    # holds no signal there: the record is delineated on the span where some lead varies,
    # and a lead held longer than that has its held samples treated as invalid
    held = S.held_edges(x, fs, p)
    start, stop = S.signal_span(held)
    if stop - start < int(1.5 * fs):
        raise DelineationError(
            f"signal too short to delineate: {(stop - start) / fs:.2f} s of the record vary, "
            f"the rest is held at a constant value (need >= 1.5 s)")
    x_full_n = x.shape[1]
    x, held = x[:, start:stop], held[:, start:stop]
    fs_rec, n_rec = fs, x.shape[1]
    factor = internal_ratio(fs, p.internal_fs, p.native_min_fs, p.native_max_fs)
    views, status = S.prepare(x, fs, leads, p, factor=factor, held=held)
    fs = fs * float(factor)
    usable = np.array([s == "ok" for s in status])
    if not usable.any():
        raise DelineationError("no usable lead: " + ", ".join(
            f"{ld}: {s}" for ld, s in zip(leads, status)))
    r, steps = S.detect_beats(views, fs, usable, p)
    # pacemaker spikes (small ones too: time-locked to the complexes just found) are
    # replaced by straight lines and the beats found again without them (:mod:`.spikes`)
    x, spikes = strip_spikes(x, fs_rec, leads, r / float(factor))
    if len(spikes):
        views, status = S.prepare(x, fs_rec, leads, p, factor=factor, held=held)
        usable = np.array([s == "ok" for s in status])
        if not usable.any():
            raise DelineationError("no usable lead after removing pacing spikes")
        r, steps = S.detect_beats(views, fs, usable, p)
    if steps.size:
        # baseline steps: removed, and the beats detected again on the corrected signal
        views, status = S.prepare(x, fs_rec, leads, p, steps=steps, factor=factor, held=held)
        usable = np.array([s == "ok" for s in status])
        if not usable.any():
            raise DelineationError("no usable lead after removing baseline steps")
        r, _ = S.detect_beats(views, fs, usable, p)
    n_leads, n = views.raw.shape
    rr_prev, rr_next = S.rr_intervals(r, fs)
    qrs = S.qrs_stage(views, r, fs, p, usable, rr_prev, rr_next)
    t = S.t_stage(views, r, qrs["off_search"], rr_next, fs, p, usable, qrs["on_search"],
                  qrs["on_global"])
    t_end_raw = combine(t["off_raw"], "off", p.t_cons_tol_s * fs, p.cons_q, usable)
    pw = S.p_stage(views, r, qrs["on_search"], qrs["off_search"], rr_prev, t_end_raw, fs,
                   p, usable)
    # a paced complex cannot start before its stimulus: a QRS (P) onset found before the end
    # of the spike removed between it and the beat's R peak (the P peak) is moved to the
    # spike's last changed sample (:func:`.spikes.onsets_after_spikes`); for the P wave the
    # last spike before the R peak is the beat's ventricular stimulus (it may fall inside a
    # dissociated P wave), so only a spike followed by another before the R peak (the atrial
    # spike of dual-chamber pacing) can move a P onset
    spike_end = np.sort(spikes["end"].to_numpy(dtype=float) * float(factor)) if len(spikes) \
        else np.empty(0)
    moved = {}
    qrs["on"], m = onsets_after_spikes(qrs["on"], r[None, :], spike_end)
    qrs["on_global"], m_g = onsets_after_spikes(qrs["on_global"], r, spike_end)
    moved["QRS"] = (m, m_g)
    if p.paced_tail_max_s > 0 and spike_end.size:
        # ... and a paced QRS onset is the first myocardial deflection after the spike's
        # recharge tail, not the tail (:func:`.spikes.onsets_after_recharge`)
        qrs["on"], qrs["on_global"], m2, m2_g = onsets_after_recharge(
            qrs["on"], qrs["on_global"], r, spike_end, central_slope(views.raw, 1), usable, fs,
            p.qrs_sig, p.qrs_on, p.paced_tail_max_s,
            level=(views.raw, np.floor(
                (spikes["start"].to_numpy(dtype=float)[np.argsort(
                    spikes["end"].to_numpy(dtype=float), kind="stable")] - 1.0)
                * float(factor))),
            iso_mv=p.paced_iso_mv)
        moved["QRS_tail"] = (m2, m2_g)
    k = np.searchsorted(spike_end, r, side="left") - 1
    p_ref_max = np.where(k >= 0, spike_end[np.clip(k, 0, None)] if spike_end.size else 0.0,
                         np.nan)
    pw["on"], m = onsets_after_spikes(pw["on"], np.minimum(pw["peak"], p_ref_max), spike_end)
    pw["on_global"], m_g = onsets_after_spikes(pw["on_global"],
                                               np.minimum(pw["peak_global"], p_ref_max),
                                               spike_end)
    moved["P"] = (m, m_g)
    t_tol = p.t_cons_tol_s * fs
    t_glob = S.t_consensus(t, usable, fs, p)
    t_lead = {"on": S.shrink(t["on"], usable, t_tol, p.w_t_on), "peak": t["peak"],
              "off": S.shrink(t["off"], usable, t_tol, p.w_t_off)}

    per = np.stack([pw["on"], pw["peak"], pw["off"], qrs["on"], qrs["peak"], qrs["off"],
                    t_lead["on"], t_lead["peak"], t_lead["off"]], axis=-1)
    glob = np.stack([pw["on_global"], pw["peak_global"], pw["off_global"], qrs["on_global"],
                     qrs["peak_global"], qrs["off_global"], t_glob["on"], t_glob["peak"],
                     t_glob["off"]], axis=-1)
    # nothing is reported from a lead set aside (flat, noisy, invalid samples)
    per[~usable] = np.nan
    # nothing outside the record, at its very edge, or on bridged invalid samples
    bridged = np.concatenate([views.bridged, np.zeros((1, n), bool)], axis=0)
    allv, edge, gap = S.edge_and_gap_guard(np.concatenate([per, glob[None]], axis=0), n, fs, p,
                                           bridged)
    glob_ordered, glob_dropped = S.enforce_order(allv[-1])
    per, per_dropped = S.enforce_order(allv[:-1], reference=glob_ordered[None])
    glob = glob_ordered
    dropped = np.concatenate([per_dropped, glob_dropped[None]], axis=0)
    if factor != 1:
        per, glob = S.to_record_rate(per, factor, n_rec), S.to_record_rate(glob, factor, n_rec)
    if start:
        per, glob = per + start, glob + start   # sample indices of the whole record
    # a beat is edge-cut when a boundary of it was lost to the record edge (in any lead)
    wave_cut = np.zeros((n_leads + 1, r.size, 9), bool)
    wave_cut[:-1, :, 0:3] |= pw["edge_cut"][..., None]
    wave_cut[:-1, :, 6:9] |= t["edge_cut"][..., None]
    # ... or when a wave's search window ran out of the record and the wave is missing
    guard = round(p.edge_guard_s * fs)
    qrs_w = round(p.qrs_window_s * fs)
    search_cut = ((~np.isfinite(glob[:, 3]) & (r - qrs_w < guard))
                  | (~np.isfinite(glob[:, 5]) & (r + qrs_w > n - 1 - guard))
                  | (~np.isfinite(glob[:, 8]) & (t["stop"] > n - 1 - guard))
                  | (~np.isfinite(glob[:, 0]) & (pw["start"] < 0) & pw["present_any"]))
    edge_any = edge | wave_cut
    edge_beat = edge_any.any(axis=(0, 2)) | search_cut

    df = S.assemble(leads, per, glob, None, None)
    if return_reasons:
        reasons = np.full((n_leads, r.size), "", dtype=object)
        reasons[:, pw["present"]] = pw["beat_reason"][pw["present"]]
        no_p = ~pw["present"]
        reasons[:, no_p] = np.where(pw["beat_reason"][no_p] != "", pw["beat_reason"][no_p],
                                    pw["reason"])
        g_reason = np.where(pw["present"], "", pw["reason"]).astype(object)

        def add(mask, text, target):
            target[mask] = np.where(target[mask] == "", text, target[mask] + "; " + text)

        for wave, (m, m_g) in moved.items():
            text = (f"{wave} onset moved to the end of the pacing spike before it"
                    if wave != "QRS_tail" else
                    "QRS onset moved past the recharge tail of the pacing spike before it")
            add(m & np.isfinite(per[..., 0 if wave == "P" else 3]), text, reasons)
            add(m_g & np.isfinite(glob[:, 0 if wave == "P" else 3]), text, g_reason)
        add(pw["fused_lead"], S.P_ON_FUSED, reasons)  # T-P fusion: P onset NaN
        add(pw["fused_on"], S.P_ON_FUSED, g_reason)
        add(~np.isfinite(per[..., 7]), "no T wave above noise", reasons)
        add(t["hidden"], "T end hidden by the next QRS", reasons)
        add(t["hidden"].any(axis=0) & ~np.isfinite(glob[:, 8]), "T end hidden by the next QRS",
            g_reason)
        add(t["open"], "T end at the search stop", reasons)
        add(t["open"].any(axis=0) & ~np.isfinite(glob[:, 8]), "T end at the search stop",
            g_reason)
        add(np.broadcast_to(edge_beat, reasons.shape), "beat cut by the record edge", reasons)
        add(edge_beat, "beat cut by the record edge", g_reason)
        add(gap[:-1].any(axis=-1), "boundary on bridged invalid samples", reasons)
        add(dropped[:-1].any(axis=-1), "wave dropped: fiducials out of order", reasons)
        add(dropped[-1].any(axis=-1), "wave dropped: fiducials out of order", g_reason)
        for i in np.flatnonzero(~usable):
            reasons[i, :] = f"lead excluded from consensus: {status[i]}"
        df["reason"] = np.concatenate([reasons.ravel(), g_reason]).astype(str)
    df.attrs["lead_status"] = dict(zip(leads, status))
    df.attrs["method"] = "martinez_zhang"
    df.attrs["fs"] = fs_rec
    df.attrs["internal_fs"] = fs
    df.attrs["edge_beats"] = [int(b) for b in np.flatnonzero(edge_beat)]
    # pacemaker spikes removed before delineating (first sample of each, record indices)
    df.attrs["pacing_spikes"] = [int(v) + int(start) for v in spikes["sample"]]
    # ... and each spike's row (``features.pacing`` spike table, record indices)
    df.attrs["pacing_spike_table"] = [
        {"sample": int(sp.sample) + int(start), "start": int(sp.start) + int(start), "end": int(sp.end) + int(start),
         "amplitude_mV": float(sp.amplitude_mV), "n_leads": int(sp.n_leads), "lead": str(sp.lead)}
        for sp in spikes.itertuples(index=False)]
    # the samples delineated: [start, stop) of the record, the rest held at a constant value
    df.attrs["signal_span"] = (int(start), int(stop))
    if start or stop < x_full_n:
        log.debug("delineated samples %d-%d of %d: the rest is held at a constant value",
                  start, stop, x_full_n)
    return df
