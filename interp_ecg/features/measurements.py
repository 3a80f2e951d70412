"""Clinical measurements: global intervals, QTc, per-lead amplitudes, axes, voltage, fQRS.

Global intervals come from the multi-lead consensus fiducials, beat by beat, and the median
over the dominant beats is reported (each interval keeps the beat, samples and lead it was
measured on, for grounded explanations). Amplitudes, axes and morphology are measured on the
per-lead median beat (:mod:`interp_ecg.features.median_beat`) against the isoelectric level
of the PR segment (the 20 ms ending 5 ms before QRS onset), as the 12SL and Glasgow programs
do. The median beats are built from a signal whose baseline wander was removed by a cubic
spline through the beats' PR-segment levels
(:func:`~interp_ecg.features.median_beat.isoelectric_baseline`, Meyer & Keiser 1977), so
that the wander's slope inside a beat does not move the ST segment and T wave.

Examples
--------
>>> from interp_ecg.features.measurements import qtc, frontal_axis
>>> {k: round(float(v), 1) for k, v in qtc(400.0, 1000.0).items()}
{'QTc_Bazett_ms': 400.0, 'QTc_Fridericia_ms': 400.0, 'QTc_Framingham_ms': 400.0, 'QTc_Hodges_ms': 400.0}
>>> round(frontal_axis({"I": 1.0, "aVF": 1.0}), 1)
45.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.signal import find_peaks

from interp_ecg.errors import ArgumentError
from interp_ecg.features.median_beat import FIDUCIALS, BeatTable, FidArrays
from interp_ecg.io.leads import STANDARD_LEADS

#: Frontal-plane angle of each limb lead (degrees, clockwise from lead I, aVF at +90).
HEXAXIAL = {"I": 0.0, "II": 60.0, "III": 120.0, "aVR": -150.0, "aVL": -30.0, "aVF": 90.0}

#: Intervals reported from the consensus fiducials: name -> (start fiducial, end fiducial).
INTERVALS = {
    "P_duration_ms": ("P_on", "P_off"),
    "PR_interval_ms": ("P_on", "QRS_on"),
    "QRS_duration_ms": ("QRS_on", "QRS_off"),
    "QT_interval_ms": ("QRS_on", "T_off"),
    "JT_interval_ms": ("QRS_off", "T_off"),
    "T_peak_to_end_ms": ("T_peak", "T_off"),
}
#: Fiducials a beat must have, besides the interval's own two, for the interval to be
#: measured on it: a QT (and a JT) is only taken from a beat whose QRS is delimited at both
#: ends, so that no record reports a QT while its QRS could not be measured.
INTERVAL_REQUIRES = {
    "QT_interval_ms": ("QRS_off",),
    "JT_interval_ms": ("QRS_on",),
}
#: Intervals with provenance columns in the record table (lead, beat, samples).
TRACED_INTERVALS = ("PR_interval_ms", "QRS_duration_ms", "QT_interval_ms")

#: Measurements that combine the amplitudes of several leads and so need them on one scale:
#: ``NaN`` (with the reason) when the limb leads fail Einthoven's and Goldberger's
#: identities (:func:`interp_ecg.features.quality.limb_lead_identity`). The chest-lead
#: indices are included: the identities cannot test the chest leads, but a record whose limb
#: leads were rescaled one by one (LUDB as stored) had its chest leads stored the same way.
ONE_SCALE_FEATURES = (
    "P_axis_deg", "QRS_axis_deg", "T_axis_deg", "QRS_T_angle_deg",
    "Sokolow_Lyon_mV", "Cornell_voltage_mV", "Cornell_product_mVms", "Sokolow_Lyon_RVH_mV",
)

PER_LEAD_MEASURES = (
    "P_amp_mV", "Q_amp_mV", "R_amp_mV", "S_amp_mV", "T_amp_mV", "J_amp_mV", "ST60_amp_mV",
    "RS_ratio", "QRS_notches",
)
RS_FLOOR_MV = 0.05
#: Per-lead measures of the ST segment and T wave: ``NaN`` in a lead whose baseline wander
#: the PR-segment knots could not follow (:func:`lead_measurements`, ``baseline_unfollowed``).
ST_T_MEASURES = ("J_amp_mV", "ST60_amp_mV", "T_amp_mV", "T_area")
#: Smallest deflection from the baseline that counts as a QRS wave (mV), held for at least
#: :data:`WAVE_MIN_MS`, and by which a wave must come back (see :func:`qrs_deflections`).
#: IEC 60601-2-51 (Annex GG.5) lets an analysing electrocardiograph recognise waves from
#: 30 uV; 0.05 mV leaves a margin over the residual noise of a median beat and is the
#: threshold the package has always used for the start of an R wave.
WAVE_MIN_MV = 0.05
#: A wave must stay at least :data:`WAVE_HOLD_MV` from the baseline for at least
#: :data:`WAVE_MIN_MS` (the minimum wave of IEC 60601-2-51:2003, Annex GG.5: 30 uV for 6 ms).
WAVE_HOLD_MV = 0.03
WAVE_MIN_MS = 6.0
#: A last QRS wave cut by the QRS offset before it turned back (an RBBB R' whose offset was
#: placed on its peak) is told from the ST segment by what follows the offset: a wave comes
#: back to within :data:`CUT_WAVE_RETURN_FRACTION` of its peak within
#: :data:`CUT_WAVE_LOOKAHEAD_MS` (QRS waves rise and fall within 20-60 ms), while the ST
#: segment after an elevated or depressed J point changes by tenths of a millivolt over its
#: 80-120 ms and so moves away from the baseline or comes back slowly.
CUT_WAVE_LOOKAHEAD_MS = 40.0
CUT_WAVE_RETURN_FRACTION = 0.5
R_MIN_MV = WAVE_MIN_MV  # former name, kept for callers
NOTCH_PROMINENCE_MV = 0.05
MIN_PRESENT_FRACTION = 0.5
#: Contiguous lead groups for QRS fragmentation (Das et al., Circulation 2006).
CONTIGUOUS_GROUPS = {
    "inferior": ("II", "III", "aVF"),
    "lateral": ("I", "aVL", "V5", "V6"),
    "anterior": ("V1", "V2", "V3", "V4", "V5"),
}


# --------------------------------------------------------------------------- QTc
#: Shortest QT or RR interval :func:`qtc` accepts (ms): anything shorter (0.8, 0.4) is an
#: interval given in seconds, not a heart cycle in milliseconds.
MIN_INTERVAL_MS = 10.0
#: RR intervals :func:`qtc` corrects for (ms): 200 ms (300 bpm) to 3000 ms (20 bpm), the
#: range of human heart rates; outside it an RR is a unit or detection error, and the
#: linear formulas extrapolate to meaningless values (Framingham at RR 5000 ms: QT - 616 ms).
QTC_RR_RANGE_MS = (200.0, 3000.0)


def qtc(qt_ms: float, rr_ms: float) -> dict[str, float]:
    """Heart-rate corrected QT by four formulas.

    Parameters
    ----------
    qt_ms : float
        QT interval (ms).
    rr_ms : float
        RR interval (ms).

    Returns
    -------
    dict
        ``QTc_Bazett_ms`` = QT / RR^(1/2) (Bazett, Heart 1920);
        ``QTc_Fridericia_ms`` = QT / RR^(1/3) (Fridericia, Acta Med Scand 1920);
        ``QTc_Framingham_ms`` = QT + 154 (1 - RR) (Sagie et al., Am J Cardiol 1992);
        ``QTc_Hodges_ms`` = QT + 1.75 (HR - 60) (Hodges et al., JACC 1983), RR in s, HR in
        bpm.

    Raises
    ------
    ArgumentError
        When ``qt_ms`` or ``rr_ms`` is positive but under :data:`MIN_INTERVAL_MS` (10 ms):
        no QT or RR interval is that short in milliseconds, so the value is in seconds
        (``qtc(400, 0.8)`` would otherwise read a QTc of 14,142 ms); when ``qt_ms`` is zero
        or negative; when ``rr_ms`` is outside :data:`QTC_RR_RANGE_MS` (200-3000 ms). NaN
        in either gives NaN (nothing measured); the feature pipeline checks the RR range
        itself and reports NaN with the reason.

    Examples
    --------
    >>> from interp_ecg.features import qtc
    >>> round(float(qtc(360.0, 600.0)["QTc_Bazett_ms"]), 1)
    464.8
    """
    for name, v in (("qt_ms", qt_ms), ("rr_ms", rr_ms)):
        if np.isfinite(v) and 0 < v < MIN_INTERVAL_MS:
            raise ArgumentError(f"qtc: {name}={v!r} is under {MIN_INTERVAL_MS:g} ms; the intervals are in "
                                f"milliseconds (was it given in seconds? {v!r} s = {1000 * v:g} ms)")
    if np.isfinite(qt_ms) and qt_ms <= 0:
        raise ArgumentError(f"qtc: qt_ms={qt_ms!r} is not a QT interval (must be positive)")
    lo, hi = QTC_RR_RANGE_MS
    if np.isfinite(rr_ms) and not lo <= rr_ms <= hi:
        raise ArgumentError(f"qtc: rr_ms={rr_ms!r} is outside {lo:g}-{hi:g} ms (300-20 bpm), the heart rates "
                            f"the QT correction is for")
    rr_s = rr_ms / 1000.0
    if not (np.isfinite(qt_ms) and np.isfinite(rr_s) and rr_s > 0):
        return {k: np.nan for k in ("QTc_Bazett_ms", "QTc_Fridericia_ms", "QTc_Framingham_ms", "QTc_Hodges_ms")}
    hr = 60.0 / rr_s
    return {
        "QTc_Bazett_ms": qt_ms / np.sqrt(rr_s),
        "QTc_Fridericia_ms": qt_ms / np.cbrt(rr_s),
        "QTc_Framingham_ms": qt_ms + 154.0 * (1.0 - rr_s),
        "QTc_Hodges_ms": qt_ms + 1.75 * (hr - 60.0),
    }


# --------------------------------------------------------------------------- axes
def frontal_axis(values: Mapping[str, float]) -> float:
    """Frontal-plane axis (degrees, -180..180) from signed limb-lead quantities.

    The quantity (net area or amplitude of a wave) in each available limb lead is taken as
    the projection of one frontal vector on that lead's hexaxial direction, and the vector
    is found by least squares; with leads I and aVF alone this is ``atan2(aVF, I)``.

    Examples
    --------
    >>> from interp_ecg.features import frontal_axis
    >>> round(frontal_axis({"I": -1.0, "aVF": 0.0}), 1)
    180.0
    >>> import numpy as np; bool(np.isnan(frontal_axis({"I": 1.0})))
    True
    """
    names = [n for n in HEXAXIAL if n in values and np.isfinite(values[n])]
    angles = np.deg2rad([HEXAXIAL[n] for n in names])
    if len(names) < 2 or np.abs(np.sin(angles[:, None] - angles[None, :])).max() < 0.5:
        return np.nan
    a = np.column_stack([np.cos(angles), np.sin(angles)])
    y = np.array([values[n] for n in names], dtype=float)
    v, *_ = np.linalg.lstsq(a, y, rcond=None)
    if not np.any(v):
        return np.nan
    return float(np.rad2deg(np.arctan2(v[1], v[0])))


def angle_difference(a: float, b: float) -> float:
    """Absolute difference of two angles in degrees, in 0..180."""
    if not (np.isfinite(a) and np.isfinite(b)):
        return np.nan
    d = abs(a - b) % 360.0
    return float(min(d, 360.0 - d))


# --------------------------------------------------------------------------- intervals
def global_intervals(
    table: BeatTable, fs: float, lead_rows: pd.DataFrame | FidArrays | None = None
) -> tuple[dict[str, float], pd.DataFrame]:
    """Median over the dominant beats of each consensus interval, with provenance.

    Parameters
    ----------
    table : BeatTable
        From :func:`~interp_ecg.features.median_beat.classify_beats`.
    fs : float
        Sampling rate (Hz).
    lead_rows : pandas.DataFrame, optional
        The per-lead rows of the delineation, used to name the lead whose own boundaries are
        closest to the consensus ones.

    Returns
    -------
    values : dict
        ``<interval>`` -> ms (``NaN`` when the wave is found in under half the dominant beats;
        QT and JT count only beats whose QRS onset and offset were both found,
        :data:`INTERVAL_REQUIRES`).
    provenance : pandas.DataFrame
        One row per interval: ``feature, value, beat, start_fiducial, end_fiducial,
        start_sample, end_sample, start_lead, end_lead, lead``.
    """
    ms = 1000.0 / fs
    dom = table.beats["dominant"].to_numpy()
    fid_values = table.fiducials.to_numpy(dtype=float)[dom]
    fid_beats = table.fiducials.index.to_numpy()[dom]
    if lead_rows is not None and not isinstance(lead_rows, FidArrays):
        lead_rows = FidArrays.from_frame(lead_rows)
    values: dict[str, float] = {}
    rows = []
    for name, (a, b) in INTERVALS.items():
        start = fid_values[:, FIDUCIALS.index(a)]
        end = fid_values[:, FIDUCIALS.index(b)]
        per_beat = (end - start) * ms
        ok = np.isfinite(per_beat) & (per_beat > 0)
        for extra in INTERVAL_REQUIRES.get(name, ()):
            ok &= np.isfinite(fid_values[:, FIDUCIALS.index(extra)])
        if ok.size == 0 or ok.mean() < MIN_PRESENT_FRACTION:
            values[name] = np.nan
            rows.append(dict(feature=name, value=np.nan, beat=np.nan, start_fiducial=a, end_fiducial=b,
                             start_sample=np.nan, end_sample=np.nan, start_lead="", end_lead="", lead=""))
            continue
        value = float(np.median(per_beat[ok]))
        values[name] = value
        i = np.flatnonzero(ok)[np.argmin(np.abs(per_beat[ok] - value))]
        beat = fid_beats[i]
        s0, s1 = float(start[i]), float(end[i])
        start_lead, end_lead, lead = _closest_leads(lead_rows, beat, a, b, s0, s1)
        rows.append(dict(feature=name, value=value, beat=beat, start_fiducial=a, end_fiducial=b,
                         start_sample=s0, end_sample=s1, start_lead=start_lead, end_lead=end_lead,
                         lead=lead))
    return values, pd.DataFrame(rows)


def _closest_leads(
    lead_rows: FidArrays | None, beat, a: str, b: str, s0: float, s1: float
) -> tuple[str, str, str]:
    if lead_rows is None or lead_rows.lead.size == 0:
        return "", "", ""
    sel = lead_rows.beat == beat
    if not sel.any():
        return "", "", ""
    la = np.abs(lead_rows.column(a)[sel] - s0)
    lb = np.abs(lead_rows.column(b)[sel] - s1)
    names = lead_rows.lead[sel]

    def pick(d: np.ndarray) -> str:
        return str(names[np.nanargmin(d)]) if np.isfinite(d).any() else ""

    return pick(la), pick(lb), pick(la + lb)


def per_lead_intervals(lead_rows: pd.DataFrame | FidArrays, fs: float) -> pd.DataFrame:
    """Median QRS duration and QT interval of each lead from its own fiducials (ms)."""
    fa = lead_rows if isinstance(lead_rows, FidArrays) else FidArrays.from_frame(lead_rows)
    ms = 1000.0 / fs
    names = fa.lead
    on = fa.column("QRS_on")
    qrs_all = (fa.column("QRS_off") - on) * ms
    qt_all = (fa.column("T_off") - on) * ms
    out = {}
    for lead in dict.fromkeys(names.tolist()):
        sel = names == lead
        res = {}
        for key, vals in (("QRS_ms", qrs_all[sel]), ("QT_ms", qt_all[sel])):
            ok = np.isfinite(vals)
            res[key] = float(np.median(vals[ok])) if ok.mean() >= MIN_PRESENT_FRACTION else np.nan
        out[lead] = res
    return pd.DataFrame.from_dict(out, orient="index", columns=["QRS_ms", "QT_ms"]) if out else pd.DataFrame(columns=["QRS_ms", "QT_ms"])


# --------------------------------------------------------------------------- amplitudes
def _pos(anchor_pos: int, rel: Mapping[str, float], name: str, length: int) -> float:
    r = rel.get(name, np.nan)
    if not np.isfinite(r):
        return np.nan
    p = anchor_pos + int(round(r))
    return float(p) if 0 <= p < length else np.nan


def _signed_extreme(seg: np.ndarray) -> float:
    if seg.size == 0 or not np.isfinite(seg).any():
        return np.nan
    i = np.nanargmax(np.abs(seg))
    return float(seg[i])


def lead_measurements(
    template: np.ndarray,
    anchor_pos: int,
    rel: Mapping[str, float],
    fs: float,
    leads: Sequence[str],
    usable: Sequence[bool] | None = None,
    baseline_unfollowed: Sequence[bool] | None = None,
) -> pd.DataFrame:
    """Amplitudes, areas and notches of each lead's median beat.

    Parameters
    ----------
    template : numpy.ndarray
        ``(n_leads, n_window)`` median beats (mV).
    anchor_pos : int
        Index of the alignment point (R peak) in the template.
    rel : mapping
        Fiducial name -> position relative to the anchor (samples), from
        :func:`~interp_ecg.features.median_beat.relative_fiducials`.
    fs : float
        Sampling rate (Hz).
    leads : sequence of str
        Lead names of the template rows.
    usable : sequence of bool, optional
        ``False`` for flat or clipped leads: their row is all ``NaN``.
    baseline_unfollowed : sequence of bool, optional
        ``True`` for leads whose baseline wander the PR-segment knots could not follow
        (:func:`~interp_ecg.features.median_beat.tp_segment_residual` over
        :data:`~interp_ecg.features.median_beat.TP_RESIDUAL_MAX_MV`): their
        :data:`ST_T_MEASURES` (J, ST60, T amplitude and area, measured 0.1-0.5 s from the
        knot where the unfollowed wander is) are ``NaN``; the P and QRS waves, next to
        the knot, are kept.

    Returns
    -------
    pandas.DataFrame
        Indexed by lead: ``P_amp_mV`` (signed extreme between P on and off), ``Q_amp_mV``,
        ``R_amp_mV`` and ``S_amp_mV`` (the QRS waves between QRS onset and offset, named as
        :func:`qrs_deflections` names them: Q <= 0 before the first R wave, R >= 0 the
        largest R or R', S <= 0 the deepest S or S', a QS complex reported as S),
        ``T_amp_mV`` (signed extreme between T on and T off; NaN without either), ``J_amp_mV`` (at
        QRS offset), ``ST60_amp_mV`` (60 ms after QRS offset), ``RS_ratio``
        (R / max(|S|, 0.05 mV)), ``QRS_notches`` (extra peaks or troughs inside the QRS),
        ``QRS_net_mV`` (R + Q + S), and areas ``P_area``, ``QRS_area``, ``T_area`` (mV*ms).
    """
    n_leads, length = template.shape
    usable = np.ones(n_leads, bool) if usable is None else np.asarray(usable, bool)
    ms = 1000.0 / fs
    pos = {name: _pos(anchor_pos, rel, name, length) for name in FIDUCIALS}
    qon, qoff = pos["QRS_on"], pos["QRS_off"]
    cols = [*PER_LEAD_MEASURES, "QRS_net_mV", "P_area", "QRS_area", "T_area"]
    c = {name: i for i, name in enumerate(cols)}
    res = np.full((n_leads, len(cols)), np.nan)
    if not (np.isfinite(qon) and np.isfinite(qoff)) or qoff <= qon:
        return pd.DataFrame(res, index=pd.Index(list(leads), name="lead"), columns=cols)
    qon_i, qoff_i = int(qon), int(qoff)
    b0 = max(0, qon_i - int(round(0.025 * fs)))
    b1 = max(b0 + 1, qon_i - int(round(0.005 * fs)))
    j60 = qoff_i + int(round(0.060 * fs))
    # the T wave is measured between its own onset and offset; without either it is NaN
    # (no J + 60 ms stand-in for a missing T onset)
    t_end = pos["T_off"]
    t_start = pos["T_on"]
    p_on, p_off = pos["P_on"], pos["P_off"]
    has_p = np.isfinite(p_on) and np.isfinite(p_off) and p_off > p_on
    has_t = np.isfinite(t_start) and np.isfinite(t_end) and t_end > t_start
    for k in range(n_leads):
        x = template[k]
        if not usable[k] or not np.isfinite(x[qon_i : qoff_i + 1]).all():
            continue
        base = np.nanmean(x[b0:b1]) if np.isfinite(x[b0:b1]).any() else np.nan
        if not np.isfinite(base):
            continue
        y = x - base
        qrs = y[qon_i : qoff_i + 1]
        r_amp, q_amp, s_amp = qrs_deflections(qrs, fs, after=y[qoff_i + 1 :])
        row = res[k]
        row[c["R_amp_mV"]] = r_amp
        row[c["Q_amp_mV"]] = q_amp
        row[c["S_amp_mV"]] = s_amp
        row[c["RS_ratio"]] = r_amp / max(abs(s_amp), RS_FLOOR_MV)
        row[c["QRS_net_mV"]] = r_amp + q_amp + s_amp
        row[c["QRS_area"]] = float(np.sum(qrs)) * ms
        row[c["J_amp_mV"]] = float(y[qoff_i])
        row[c["ST60_amp_mV"]] = float(y[j60]) if j60 < length else np.nan
        row[c["QRS_notches"]] = _notches(qrs)
        if has_p:
            seg = y[int(p_on) : int(p_off) + 1]
            row[c["P_amp_mV"]] = _signed_extreme(seg)
            row[c["P_area"]] = float(np.nansum(seg)) * ms
        if has_t:
            seg = y[int(t_start) : int(t_end) + 1]
            row[c["T_amp_mV"]] = _signed_extreme(seg)
            row[c["T_area"]] = float(np.nansum(seg)) * ms
    if baseline_unfollowed is not None:
        unfollowed = np.asarray(baseline_unfollowed, bool)
        res[np.ix_(unfollowed, [c[m] for m in ST_T_MEASURES])] = np.nan
    return pd.DataFrame(res, index=pd.Index(list(leads), name="lead"), columns=cols)


def lead_measurements_dict(
    template: np.ndarray,
    anchor_pos: int,
    rel: Mapping[str, float],
    fs: float,
    leads: Sequence[str],
    usable: Sequence[bool] | None = None,
    baseline_unfollowed: Sequence[bool] | None = None,
) -> dict[str, dict[str, float]]:
    """:func:`lead_measurements` as ``{lead: {measure: value}}`` (the fast internal form)."""
    frame = lead_measurements(template, anchor_pos, rel, fs, leads, usable, baseline_unfollowed)
    values = frame.to_numpy()
    cols = list(frame.columns)
    return {lead: dict(zip(cols, values[k].tolist())) for k, lead in enumerate(leads)}


def qrs_deflections(
    qrs: np.ndarray, fs: float, after: np.ndarray | None = None
) -> tuple[float, float, float]:
    """R, Q and S amplitudes (mV) of one baseline-corrected QRS complex.

    The complex (QRS onset to QRS offset, against the PR-segment baseline) is cut into lobes
    where it crosses the baseline. A lobe is a *wave* when it is a deflection that departs
    from the baseline and comes back (a minimum wave in the sense of IEC 60601-2-51:2003,
    Annex GG.5: two opposite slopes with a turning point between them, deviating from the
    baseline for at least 6 ms):

    - its extreme reaches :data:`WAVE_MIN_MV` (0.05 mV), and it stays at least
      :data:`WAVE_HOLD_MV` (0.03 mV) from the baseline for at least :data:`WAVE_MIN_MS`
      (6 ms, counted as samples times the sampling period, so one sample at 100 Hz), and
    - it returns: a lobe that crosses back over the baseline inside the complex does; the
      last lobe, still in progress at the QRS offset, counts only if its extreme lies at
      least :data:`WAVE_MIN_MV` further from the baseline than its value at the QRS offset
      (the J point). A terminal lobe that is still climbing (or falling) at the QRS offset
      is the ST segment leaving the baseline towards an elevated (or depressed) J point,
      which ``J_amp_mV`` reports; taking it for an R (or S) wave would turn the deep S wave
      of an rS/QS complex with ST elevation (V1-V2 in LVH or LBBB) into a "Q" and the J
      point into an "R". One exception is read from the samples after the offset
      (``after``): a last lobe that comes back to within half of its peak in the
      :data:`CUT_WAVE_LOOKAHEAD_MS` (40 ms) after the QRS offset is a wave that the offset
      cut short (an RBBB R' whose offset fell on its peak), not an ST segment. Its
      amplitude is still read inside the complex only, so such a wave reads low.

    The waves are then named by the classical QRS nomenclature, the one the AHA/ACCF/HRS
    criteria are written in (Surawicz et al., Circulation 2009, part III: rS, QS and rsR'
    patterns in V1): every positive wave is an
    R (R, R', R'' ...), a negative wave before the first R is a Q, a negative wave after it
    is an S (S, S' ...), and a complex with no positive wave is a QS.

    - ``R`` is the largest positive wave (R or R'), 0 without one.
    - ``Q`` is the deepest negative wave before the first R, 0 without one.
    - ``S`` is the deepest negative wave after the first R (S or S'), 0 without one.
    - A complex without an R wave is a QS complex: its deepest negative wave is reported as
      ``S`` and ``Q`` is 0. Why S: the package's voltage criteria take S V1
      (Sokolow-Lyon) and S V3 (Cornell) as the depth of the negative deflection of V1 and
      V3 whether an r wave precedes it (rS) or not (QS), so that an r wave under 0.05 mV
      does not decide whether the index counts that depth; and one column only keeps
      ``QRS_net_mV = R + Q + S`` from counting the QS twice. A QS complex therefore reads
      ``R == 0`` with ``S < 0``; look for that pattern, not for ``Q < 0``, when counting
      QS waves of infarction.

    Parameters
    ----------
    qrs : numpy.ndarray
        ``(n_samples,)`` baseline-corrected samples from QRS onset to QRS offset (mV).
    fs : float
        Sampling rate (Hz).
    after : numpy.ndarray, optional
        Baseline-corrected samples that follow the QRS offset (mV), as many as there are;
        the first 40 ms are read. Without them a last lobe counts only when it turns back
        inside the complex.

    Returns
    -------
    tuple of float
        ``(R, Q, S)`` in mV: ``R >= 0``, ``Q <= 0``, ``S <= 0``; all ``NaN`` when ``qrs`` is
        empty or not finite.

    Examples
    --------
    >>> from interp_ecg.features.measurements import qrs_deflections
    >>> import numpy as np
    >>> qrs_deflections(np.array([0.0, -0.1, -0.1, 1.0, 1.0, -0.3, -0.3, 0.0]), 250.0)  # qRs
    (1.0, -0.1, -0.3)
    >>> qrs_deflections(np.array([0.0, 0.1, 0.1, -0.8, -0.8, 0.5, 0.5, 0.0]), 250.0)  # rSR'
    (0.5, 0.0, -0.8)
    >>> qrs_deflections(np.array([0.0, -1.2, -1.2, -0.4, 0.02]), 250.0)  # QS
    (0.0, 0.0, -1.2)
    >>> qrs_deflections(np.array([0.0, 0.3, 0.3, -1.5, -1.5, 0.1, 0.2]), 250.0)  # rS, J at 0.2 mV
    (0.3, 0.0, -1.5)
    """
    y = np.asarray(qrs, dtype=float)
    if y.size == 0 or not np.isfinite(y).all():
        return np.nan, np.nan, np.nan
    n = y.size
    min_samples = max(1, int(np.ceil(WAVE_MIN_MS * fs / 1000.0 - 1e-9)))
    tail = None
    if after is not None:
        tail = np.asarray(after, dtype=float)[: int(round(CUT_WAVE_LOOKAHEAD_MS * fs / 1000.0))]
        tail = tail if tail.size and np.isfinite(tail).all() else None
    positive = y > 0
    cuts = np.flatnonzero(positive[1:] != positive[:-1]) + 1
    starts, ends = np.r_[0, cuts], np.r_[cuts, n]
    r_amp, q_amp, s_amp = 0.0, 0.0, 0.0
    seen_r = False
    negatives: list[float] = []  # negative waves before the first R wave
    for a, b in zip(starts, ends):
        sign = 1.0 if positive[a] else -1.0
        size = sign * y[a:b]  # distance from the baseline, >= 0 inside the lobe
        extreme = float(size.max())
        long_enough = int(np.count_nonzero(size >= WAVE_HOLD_MV)) >= min_samples
        returns = (b < n or extreme - float(size[-1]) >= WAVE_MIN_MV
                   or _comes_back_after(size, sign * tail if tail is not None else None))
        if not (extreme >= WAVE_MIN_MV and long_enough and returns):
            continue
        if sign > 0:
            r_amp = max(r_amp, extreme)
            seen_r = True
        elif seen_r:
            s_amp = min(s_amp, -extreme)
        else:
            negatives.append(-extreme)
    if negatives:
        if seen_r:
            q_amp = min(negatives)
        else:  # QS complex: reported as S (see above)
            s_amp = min(negatives)
    return r_amp, q_amp, s_amp


def _comes_back_after(lobe: np.ndarray, tail: np.ndarray | None) -> bool:
    """Whether a last QRS lobe (distance from the baseline, >= 0) comes back after the offset.

    True when, in ``tail`` (the samples after the QRS offset, same sign convention), the
    signal falls from the lobe's peak (inside the lobe or in ``tail``) to within
    :data:`CUT_WAVE_RETURN_FRACTION` of it, by at least :data:`WAVE_MIN_MV`.
    """
    if tail is None:
        return False
    trace = np.r_[lobe, tail]
    p = int(np.argmax(trace))
    peak = float(trace[p])
    low = float(trace[max(p, lobe.size - 1):].min())
    return low <= CUT_WAVE_RETURN_FRACTION * peak and peak - low >= WAVE_MIN_MV


def _notches(qrs: np.ndarray) -> float:
    """Extra turning points of a QRS beyond one R peak and two troughs (Q, S)."""
    if qrs.size < 5:
        return np.nan
    n_max = len(find_peaks(qrs, prominence=NOTCH_PROMINENCE_MV)[0])
    n_min = len(find_peaks(-qrs, prominence=NOTCH_PROMINENCE_MV)[0])
    return float(max(0, n_max - 1) + max(0, n_min - 2))


# --------------------------------------------------------------------------- record-level
def _as_dict(amps: pd.DataFrame | dict) -> dict:
    return amps if isinstance(amps, dict) else amps.to_dict(orient="index")


def voltage_criteria(amps: pd.DataFrame | dict, qrs_ms: float) -> dict[str, float]:
    """LVH voltage criteria from per-lead amplitudes (mV).

    ``Sokolow_Lyon_mV`` = |S V1| + max(R V5, R V6) (Sokolow & Lyon, Am Heart J 1949);
    ``Cornell_voltage_mV`` = R aVL + |S V3| (Casale et al., Circulation 75:565, 1987);
    ``Cornell_product_mVms`` = Cornell voltage x QRS duration, not adjusted for sex (Molloy
    et al., JACC 1992, add 0.6 mV to the Cornell voltage of women first);
    ``Sokolow_Lyon_RVH_mV`` = R V1 + max(|S V5|, |S V6|) (right ventricular hypertrophy).
    Each is ``NaN`` unless every lead it names was measured (a lead set aside as flat,
    clipped or noisy, or not recorded, leaves it unknown).

    Examples
    --------
    >>> from interp_ecg.features.measurements import voltage_criteria
    >>> v = {"V1": {"S_amp_mV": -1.0, "R_amp_mV": 0.2}, "V5": {"R_amp_mV": 2.0, "S_amp_mV": -0.1},
    ...      "V6": {"R_amp_mV": float("nan"), "S_amp_mV": float("nan")}}
    >>> voltage_criteria(v, 100.0)["Sokolow_Lyon_mV"]
    nan
    """
    d = _as_dict(amps)

    def get(lead: str, col: str) -> float:
        return float(d[lead][col]) if lead in d else np.nan

    # every lead an index names must be measured: max(R V5, R V6) is not known without
    # both (a lead set aside as noisy, or not recorded, makes the index NaN)
    sok = abs(get("V1", "S_amp_mV")) + max(get("V5", "R_amp_mV"), get("V6", "R_amp_mV"))
    if not np.isfinite([get("V1", "S_amp_mV"), get("V5", "R_amp_mV"), get("V6", "R_amp_mV")]).all():
        sok = np.nan
    corn = get("aVL", "R_amp_mV") + abs(get("V3", "S_amp_mV"))
    rvh_s = [abs(get("V5", "S_amp_mV")), abs(get("V6", "S_amp_mV"))]
    rvh = get("V1", "R_amp_mV") + max(rvh_s) if np.isfinite(rvh_s).all() else np.nan
    return {
        "Sokolow_Lyon_mV": float(sok),
        "Cornell_voltage_mV": float(corn),
        "Cornell_product_mVms": float(corn * qrs_ms),
        "Sokolow_Lyon_RVH_mV": float(rvh),
    }


def fragmentation(amps: pd.DataFrame | dict, qrs_ms: float, set_aside: Sequence[str] = ()) -> dict[str, float]:
    """QRS fragmentation: notched QRS in two or more contiguous leads (Das et al. 2006).

    Returns ``QRS_fragmented`` (1.0 / 0.0; ``NaN`` when no lead could be measured),
    ``QRS_notched_lead_count`` (leads with at least one notch) and ``QRS_notches_total``.
    With a standard lead in ``set_aside`` (flat, clipped, noisy) the counts are ``NaN``
    and so is a "not fragmented", which that lead could have changed; a fragmentation
    found in the measured leads stands.
    """
    d = _as_dict(amps)
    aside = [lead for lead in set_aside if lead in STANDARD_LEADS]
    notches = {lead: v.get("QRS_notches", np.nan) for lead, v in d.items() if lead in STANDARD_LEADS}
    measured = {lead: n for lead, n in notches.items() if np.isfinite(n)}
    if not measured:
        return {"QRS_fragmented": np.nan, "QRS_notched_lead_count": np.nan, "QRS_notches_total": np.nan}
    notched = {lead for lead, n in measured.items() if n > 0}
    frag = any(sum(lead in notched for lead in group) >= 2 for group in CONTIGUOUS_GROUPS.values())
    if aside:
        return {"QRS_fragmented": 1.0 if frag else np.nan, "QRS_notched_lead_count": np.nan,
                "QRS_notches_total": np.nan}
    return {
        "QRS_fragmented": float(frag),
        "QRS_notched_lead_count": float(len(notched)),
        "QRS_notches_total": float(sum(measured.values())),
    }


def axes(amps: pd.DataFrame | dict) -> dict[str, float]:
    """P, QRS and T frontal axes (net areas in the limb leads) and the QRS-T angle.

    A limb lead set aside (flat, clipped, noisy: its areas are NaN) is left out of the
    least-squares fit of :func:`frontal_axis`; the six limb leads over-determine the frontal
    vector, so any two non-parallel measured ones still give it. Without two, the axis is
    NaN.
    """
    d = _as_dict(amps)

    def vals(col: str) -> dict[str, float]:
        return {lead: float(d[lead][col]) for lead in HEXAXIAL if lead in d}

    p, q, t = frontal_axis(vals("P_area")), frontal_axis(vals("QRS_area")), frontal_axis(vals("T_area"))
    return {"P_axis_deg": p, "QRS_axis_deg": q, "T_axis_deg": t, "QRS_T_angle_deg": angle_difference(q, t)}


def st_summary(amps: pd.DataFrame | dict, set_aside: Sequence[str] = ()) -> dict[str, float]:
    """Largest ST elevation and depression at J + 60 ms over the twelve leads (mV).

    ``NaN`` unless all twelve standard leads were recorded and none was set aside: with a
    lead not recorded, or set aside (flat, clipped, noisy), the largest deviation could be in that
    lead (a two-lead MLII + V5 record would otherwise read "0.0 mV largest ST elevation"
    from V5 alone). Leads outside the standard twelve (``MLII``, ``ECG1``) do not count.
    """
    d = _as_dict(amps)
    if any(lead in STANDARD_LEADS for lead in set_aside) or not all(lead in d for lead in STANDARD_LEADS):
        return {"ST60_max_elevation_mV": np.nan, "ST60_max_depression_mV": np.nan}
    st = np.array([d[lead].get("ST60_amp_mV", np.nan) for lead in STANDARD_LEADS if lead in d], dtype=float)
    st = st[np.isfinite(st)]
    if st.size == 0:
        return {"ST60_max_elevation_mV": np.nan, "ST60_max_depression_mV": np.nan}
    return {
        "ST60_max_elevation_mV": float(max(st.max(), 0.0)),
        "ST60_max_depression_mV": float(min(st.min(), 0.0)),
    }
