"""Rhythm features: RR statistics, short-term HRV, PVC count, P-wave presence.

RR intervals are taken between successive consensus beats, at the same point of every
beat: the feature pipeline passes the beat table's ``anchor_aligned``
(:func:`interp_ecg.features.beat_classes.rr_fiducials`), i.e. for the dominant beats the
point of the QRS that matches one and the same point of the dominant template by
cross-correlation, placed where the consensus R peak lies in most beats, and for ectopic
beats and outliers their own consensus R peak. The consensus R peak alone is not the same
wave in every beat (it can come from one group of leads in one beat and from another,
20-24 ms away, in the next), and HRV is defined on the intervals between the same fiducial
point of successive QRS complexes (Task Force of the ESC and NASPE, Circulation 93:1043
(1996)): with the jumping R peak a regular rhythm reads as variable (PTB-XL record 38 at
500 Hz: RMSSD 21.5 ms from the consensus R peaks, 18.2 ms from the aligned point; the
median over its twelve leads of each lead's own R-to-R interval gives 18.3 ms,
``benchmarks/beat_classes_rates.py``).

**Normal-to-normal (NN) intervals.** HRV statistics (SDNN, RMSSD, pNN50) are defined on
the intervals between consecutive *normal* (sinus) beats; intervals next to an ectopic
beat are left out (Task Force of the ESC and NASPE, Heart rate variability: standards of
measurement, physiological interpretation and clinical use, Circulation 93:1043-1065
(1996)). An RR interval is an NN interval here when both its beats are dominant (not PVCs,
outliers or paced beats, :mod:`interp_ecg.features.beat_classes`) **and neither is
premature** (:func:`premature_beats`): a premature beat is one whose preceding RR interval
is shorter than :data:`PREMATURE_FRACTION` (80 %) of the local reference, the median of
up to :data:`REFERENCE_NEIGHBOURS` (4) RR intervals on each side, and than 80 % of the
longer of its two adjacent intervals (a sudden shortening), or that shows the short-long
pattern of :data:`SHORT_LONG_FRACTIONS` (under 90 % then a pause over 110 %). Atrial (supraventricular)
premature beats have the dominant QRS shape, so the beat classes call them dominant; without
the prematurity test their short coupling interval and the pause after them counted as NN
intervals (PTB-XL record 176 at 500 Hz, two atrial premature beats: RMSSD 312.6 ms from
RR 968, 964, 972, *649*, *1199*, 1106, 982, *663*, *1164* ms). A 20 % change from the
reference RR is a common choice in HRV software for the beats to leave out (the rules
attributed to Malik, Karlsson et al. and Acar et al. in, e.g., the ``hrv-analysis``
package compare an interval with the previous one, the mean of its two neighbours or of
the nine before, at 20 %); here it is one-sided (only short intervals are premature;
a gradual change such as sinus arrhythmia stays in NN: at 900-1100 ms no interval is
under 80 % of its neighbours' median, nor 20 % shorter than the interval before or after
it) and the reference is a median, which the pause after a premature beat does not move.

**NN intervals need a sinus rhythm** (:func:`sinus_rhythm`, the one decision every HRV
sentence and the QTc follow). NN intervals are the intervals between beats of sinus
origin (Task Force 1996); a beat is taken as sinus when a P wave precedes it, so NN
intervals are defined only when a consensus P wave (time-locked to the QRS, as for
``P_wave_presence_fraction``) is found before more than :data:`SINUS_P_MIN_FRACTION` (half)
of the dominant, non-paced beats. Otherwise (atrial fibrillation or flutter, a junctional,
ventricular or supraventricular tachycardia, or P waves not found) there are no NN
intervals: ``SDNN_ms``, ``RMSSD_ms`` and ``pNN50`` are NaN and the reason says so. The
field has no NN figure for atrial fibrillation; the variability of the ventricular response
is in two other columns, ``RR_sd_ms`` (every interval) and ``RR_irregularity`` (every
interval between dominant beats, normalised RMSSD), which are not NN statistics and are
always computed. In a sinus rhythm the prematurity test always applies, also when the sinus
rhythm itself is irregular (sinus arrhythmia: PTB-XL record 316, two atrial premature beats
at 45-50 % of an 1000-1330 ms cycle, used to have them put back, SDNN 300 ms). The
regularity of the rest of the rhythm decides only when the caller gives no P-wave
information (``p_wave=None``): an irregular rest (median absolute deviation over
:data:`interp_ecg.features.beat_classes.REGULAR_MAD_MAX`, 6 %, of its median; atrial
fibrillation gives 10-25 %) then leaves NN undefined, a regular one is taken as sinus.
The gate alone cannot tell atrial fibrillation from sinus arrhythmia, and in atrial
fibrillation the intervals left after the "premature" ones can be regular enough to pass it
(PTB-XL 282: median absolute deviation 2.1 % though ``RR_irregularity`` is 0.33), which is
why the P waves decide. Limits: a delineator that takes flutter or fibrillation waves for
P waves (2:1 flutter, where an F wave is time-locked to every QRS) makes the rhythm read
as sinus. ``RR_irregularity`` is always computed over every interval between two dominant
beats (premature supraventricular beats included), so it is unchanged by the prematurity
test.

**Minimum counts** (:data:`MIN_NN_INTERVALS`, 5): SDNN needs 5 NN intervals; RMSSD and
pNN50 need 5 successive differences of NN intervals (two NN intervals that follow each
other; at least 6 NN intervals in a row, or e.g. runs of 3 and 4); with fewer they are NaN
and the reason names them (``return_reasons``). pNN50 from n differences moves in steps of
100/n percentage points (20 at 5, 12.5 at 8): on a 10 s ECG it is a coarse figure.
RR_irregularity keeps its own count: 5 intervals between dominant beats that have such a
neighbour. On a 10 s ECG all these are ultra-short-term figures.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.features.rhythm import rr_features
>>> f = rr_features(np.arange(0, 4000, 500), 500, np.array([True] * 8))
>>> f["heart_rate_bpm"], f["RR_mean_ms"], f["RMSSD_ms"]
(60.0, 1000.0, 0.0)
>>> # one premature beat shaped like the others: coupling 600 ms, pause 1400 ms
>>> t = np.cumsum([0, 500, 500, 500, 500, 300, 700, 500, 500, 500, 500])
>>> f = rr_features(t, 500, np.ones(t.size, bool))
>>> f["SDNN_ms"], f["RMSSD_ms"], round(f["RR_sd_ms"], 1)
(0.0, 0.0, 188.6)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from interp_ecg.errors import ArgumentError
from interp_ecg.features.beat_classes import REGULAR_MAD_MAX
from interp_ecg.features.median_beat import BeatTable

#: Fewest normal-to-normal intervals SDNN is computed from, and fewest successive NN
#: differences RMSSD and pNN50 are computed from (and fewest intervals between dominant
#: beats with such a neighbour for RR_irregularity). The standard deviation of n intervals
#: has a relative standard error of about 1 / sqrt(2 (n - 1)): 71 % from 2 intervals, 35 %
#: from 5. Ultra-short-term HRV from 10 s ECGs (Nussinovitch U et al., Ann Noninvasive
#: Electrocardiol 16:117 (2011); Munoz ML et al., PLoS One 10:e0138921 (2015)) is measured
#: on 10 s at rest, i.e. on about 8-15 intervals; five is this package's floor, not a
#: published cut-off.
MIN_NN_INTERVALS = 5
#: The HRV statistics that need :data:`MIN_NN_INTERVALS` intervals.
HRV_FEATURES = ("SDNN_ms", "RMSSD_ms", "pNN50", "RR_irregularity")
#: A beat is premature when the RR interval before it is shorter than this share of the
#: local reference RR (the median of the neighbouring intervals). 20 % prematurity is a
#: common choice in HRV software for the beats to leave out of the NN intervals (module
#: docstring).
PREMATURE_FRACTION = 0.8
#: The local reference RR of a beat is the median of up to this many RR intervals before
#: its preceding interval and this many from its following interval on.
REFERENCE_NEIGHBOURS = 4
#: A premature beat is followed by a pause: the interval after it is at least this share of
#: the local reference RR. After a premature atrial beat the sinus node is reset, so the next
#: cycle is about one sinus cycle or longer (a non-compensatory pause); after a premature
#: ventricular beat the pause is compensatory (coupling + pause = two cycles). The 5 %
#: allowance is for ordinary beat-to-beat sinus variability. In atrial fibrillation a short
#: interval is followed by a longer one only by chance, so this also keeps most short AF
#: intervals in (a beat without a following interval, at the record's end, is judged on its
#: coupling alone).
PAUSE_MIN_FRACTION = 0.95
#: The short-long pattern of a premature beat whose coupling interval alone is not 20 %
#: short: the RR before the beat is under ``SHORT_LONG_FRACTIONS[0]`` (90 %) of the local
#: reference and of the interval before it (a sudden shortening), and the interval after it
#: is over ``SHORT_LONG_FRACTIONS[1]`` (110 %) of the reference (a pause). The swing from the
#: short interval to the long one is then at least 20 % of the reference: the same 20 %
#: change from one interval to the next that the common HRV ectopic filters use (module
#: docstring), here split 10 % below and 10 % above the reference so that the shortening
#: must be followed by a pause (the premature beat resets or does not reset the sinus node,
#: Task Force 1996 leaves the intervals next to it out of NN). A gradual sinus arrhythmia
#: (successive RR change by a few %) does not go short then long by 10 % each around its
#: own median from one beat to the next, nor does one long interval alone qualify. The
#: interval before the coupling interval must be on time (within the same 10 % of the
#: reference): the beat before the premature one is a sinus beat of the underlying rhythm,
#: which in atrial fibrillation it is only by chance. MIT-BIH record 100 (annotated beats,
#: 30 min): the coupling-only rule flags 30 of its 33 atrial premature beats, this adds the
#: other 3 and no normal beat (``docs/results_rhythms.md``, round of 2026-12-01).
SHORT_LONG_FRACTIONS = (0.9, 1.1)
#: ... and the coupling interval plus the pause last at most this many reference cycles: a
#: premature beat resets the sinus node (coupling + pause under two cycles, atrial) or the
#: next sinus beat comes on time (a full compensatory pause, two cycles, ventricular);
#: 10 % over two cycles allows for sinus variability. In atrial fibrillation a short-long
#: pair has any sum, so this keeps more of them in NN (simulated AF strips whose NN set
#: changes, 60 / 90 / 120 bpm, ``benchmarks/hrv_nn_ptbxl.py --simulated``: see the results).
SHORT_LONG_MAX_CYCLES = 2.1
#: NN intervals are defined (the beats are taken as sinus beats) when a consensus P wave is
#: found before more than this share of the dominant, non-paced beats (:func:`sinus_rhythm`).
#: LUDB (200 records, rhythm from ``ludb.csv``): every atrial fibrillation record reads 0,
#: sinus records 0.6-1.0 where any P wave is found; one of 3 typical-flutter records reads
#: 0.73 (flutter waves taken for P waves, a delineator limit).
SINUS_P_MIN_FRACTION = 0.5


def premature_beats(rr_ms: np.ndarray, fraction: float = PREMATURE_FRACTION,
                    neighbours: int = REFERENCE_NEIGHBOURS, p_wave: np.ndarray | None = None) -> np.ndarray:
    """Beats whose preceding RR interval is short against the neighbouring intervals.

    Parameters
    ----------
    rr_ms : numpy.ndarray
        ``(n_beats - 1,)`` RR intervals between successive beats (ms).
    fraction : float, default :data:`PREMATURE_FRACTION`
        A beat is premature when its preceding RR is under ``fraction`` times the reference
        and under ``fraction`` times the longer of the intervals adjacent to it (the one
        before and the one after), and the interval after it is a pause of at least
        :data:`PAUSE_MIN_FRACTION` of the reference (not checked for the record's last beat);
        or when it shows the short-long pattern of :data:`SHORT_LONG_FRACTIONS` (RR before
        it under 90 % of the reference and of the interval before, that interval within
        10 % of the reference, RR after it over 110 %, and coupling + pause at most
        :data:`SHORT_LONG_MAX_CYCLES` reference cycles).
    neighbours : int, default :data:`REFERENCE_NEIGHBOURS`
        The reference is the median of up to ``neighbours`` intervals on each side of the
        beat's preceding interval (that interval itself left out; fewer at the record's
        edges).
    p_wave : numpy.ndarray of bool, optional
        ``(n_beats,)`` ``True`` where a P wave (time-locked to the QRS) precedes the beat. A
        beat without one whose preceding RR is short (the ``fraction`` test) is premature
        without the pause: in a sinus rhythm a short-coupled beat without the sinus P wave
        is an atrial premature beat whose P wave differs or is hidden (or a junctional
        one), whatever follows it (after an atrial premature beat in sinus arrhythmia the
        next cycle can be shorter than the reference: PTB-XL 316, coupling 604 ms, then
        1132 ms against a reference of 1207 ms).

    Returns
    -------
    numpy.ndarray of bool
        ``(n_beats,)``; the first beat (no preceding interval) is never premature, nor is
        a beat whose preceding interval has no neighbour.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.rhythm import premature_beats
    >>> premature_beats(np.array([1000, 1000, 1000, 600, 1400, 1000, 1000.])).tolist()
    [False, False, False, False, True, False, False, False]
    >>> premature_beats(np.array([900, 950, 1000, 1050, 1100, 1050, 1000, 950, 900.])).any()
    np.False_
    >>> premature_beats(np.array([814, 811, 789, 792, 789, 817, 653, 994, 844, 800.])).tolist()
    [False, False, False, False, False, False, False, True, False, False, False]
    """
    rr = np.asarray(rr_ms, dtype=float)
    short = np.zeros(rr.size, dtype=bool)
    ref = np.full(rr.size, np.nan)
    for k in range(rr.size):  # interval k precedes beat k + 1
        around = np.r_[rr[max(0, k - neighbours):k], rr[k + 1:k + 1 + neighbours]]
        around = around[np.isfinite(around)]
        if not around.size or not np.isfinite(rr[k]):
            continue
        # a sudden shortening: also against one of the two adjacent intervals (a gradual
        # change, as in sinus arrhythmia, is never 20 % from one interval to the next)
        adjacent = np.nanmax(rr[max(0, k - 1):k + 2])
        ref[k] = float(np.median(around))
        short[k] = rr[k] < fraction * min(ref[k], adjacent)
    out = np.zeros(rr.size + 1, dtype=bool)
    # the short-long pattern (SHORT_LONG_FRACTIONS): a milder shortening followed at once by
    # a pause
    lo, hi = SHORT_LONG_FRACTIONS
    for k in range(rr.size - 1):
        if short[k] or not (np.isfinite(ref[k]) and np.isfinite(rr[k + 1])):
            continue
        before = rr[k - 1] if k >= 1 and np.isfinite(rr[k - 1]) else ref[k]
        on_time = abs(before - ref[k]) <= (1.0 - lo) * ref[k]
        out[k + 1] = (rr[k] < lo * min(ref[k], before) and rr[k + 1] > hi * ref[k]
                      and rr[k] + rr[k + 1] <= SHORT_LONG_MAX_CYCLES * ref[k] and on_time)
    no_p = np.zeros(rr.size + 1, bool) if p_wave is None else ~np.asarray(p_wave, dtype=bool)
    for k in np.flatnonzero(short):
        if no_p[k + 1]:  # short-coupled and without the sinus P wave: premature, pause or not
            out[k + 1] = True
            continue
        # ... and followed by a pause (PAUSE_MIN_FRACTION): after the run of short intervals
        # the beat starts (a couplet or a salvo pauses after its last beat), or the record ends
        j = k + 1
        while j < rr.size and short[j]:
            j += 1
        out[k + 1] = j >= rr.size or not np.isfinite(rr[j]) or rr[j] >= PAUSE_MIN_FRACTION * ref[k]
    return out



def sinus_rhythm(dominant: np.ndarray, p_wave: np.ndarray | None, rr_ms: np.ndarray | None = None
                 ) -> tuple[bool, str]:
    """Whether the dominant beats are sinus beats, so that NN intervals are defined.

    The one decision the HRV statistics, their sentences and the QTc rule follow (module
    docstring): NN intervals are the intervals between beats of sinus origin (Task Force of
    the ESC and NASPE, Circulation 93:1043 (1996)); a beat is taken as sinus when a P wave
    precedes it.

    Parameters
    ----------
    dominant : numpy.ndarray of bool
        ``(n_beats,)`` the dominant, non-paced beats (the candidates for sinus beats).
    p_wave : numpy.ndarray of bool or None
        ``(n_beats,)`` ``True`` where a consensus P wave (time-locked to the QRS) was found
        before the beat. ``None`` when the caller has no P-wave information: the rhythm is
        then taken as sinus when the intervals between dominant beats, less the premature
        beats' coupling intervals and pauses, are regular (median absolute deviation at most
        :data:`~interp_ecg.features.beat_classes.REGULAR_MAD_MAX` of their median).
    rr_ms : numpy.ndarray, optional
        ``(n_beats - 1,)`` RR intervals (ms), needed when ``p_wave`` is ``None``.

    Returns
    -------
    sinus : bool
        ``True`` when NN intervals are defined (also when fewer than two dominant,
        non-paced beats are left to judge, as in a paced record: the NN count then says
        why nothing is measured).
    reason : str
        Why NN intervals are not defined (``""`` when they are), naming ``SDNN_ms``,
        ``RMSSD_ms`` and ``pNN50``.

    Raises
    ------
    ArgumentError
        When ``p_wave`` or ``rr_ms`` does not fit ``dominant``, or both are missing.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.rhythm import sinus_rhythm
    >>> dom = np.ones(10, bool)
    >>> sinus_rhythm(dom, np.ones(10, bool))
    (True, '')
    >>> ok, why = sinus_rhythm(dom, np.zeros(10, bool))
    >>> ok, why[:60]
    (False, 'SDNN_ms, RMSSD_ms, pNN50: no normal-to-normal intervals: a P')
    """
    dominant = np.asarray(dominant, dtype=bool)
    n = int(dominant.sum())
    if p_wave is not None:
        p_wave = np.asarray(p_wave, dtype=bool)
        if p_wave.shape != dominant.shape:
            raise ArgumentError(f"p_wave has {p_wave.size} value(s), dominant {dominant.size}: one per beat needed")
        if n < 2:  # no interval between two such beats: the NN count says why nothing is measured
            return True, ""
        k = int((p_wave & dominant).sum())
        if k > SINUS_P_MIN_FRACTION * n:
            return True, ""
        return False, (f"SDNN_ms, RMSSD_ms, pNN50: no normal-to-normal intervals: a P wave precedes {k} of "
                       f"the {n} dominant beats (not more than {SINUS_P_MIN_FRACTION:.0%}), so they are not "
                       f"taken as sinus beats (atrial fibrillation or flutter, a junctional, supraventricular "
                       f"or ventricular rhythm, or P waves not found) and NN intervals, which are between "
                       f"sinus beats, are not defined; RR_sd_ms and RR_irregularity describe the ventricular "
                       f"response")
    if rr_ms is None:
        raise ArgumentError("sinus_rhythm needs p_wave or rr_ms")
    rr = np.asarray(rr_ms, dtype=float)
    if rr.size != max(dominant.size - 1, 0):
        raise ArgumentError(f"rr_ms has {rr.size} interval(s) for {dominant.size} beats: n_beats - 1 needed")
    if dominant.size < 2:
        return True, ""
    premature = premature_beats(rr) & dominant
    ok = dominant & ~premature
    rest = rr[ok[:-1] & ok[1:]]
    rest = rest[np.isfinite(rest)]  # an interval not measured (a dropout gap) says nothing
    if rest.size >= 2:
        med = float(np.median(rest))
        mad = float(np.median(np.abs(rest - med)))
        if mad > REGULAR_MAD_MAX * med:
            return False, (f"SDNN_ms, RMSSD_ms, pNN50: no normal-to-normal intervals: no P-wave information, and "
                           f"the intervals between dominant beats (less premature beats' coupling intervals and "
                           f"pauses) are irregular (median absolute deviation {mad / med:.0%} of their median, over "
                           f"{REGULAR_MAD_MAX:.0%}, as in atrial fibrillation), so the beats are not taken as sinus "
                           f"beats; RR_sd_ms and RR_irregularity describe the ventricular response")
    return True, ""

def normal_to_normal(rr_ms: np.ndarray, dominant: np.ndarray, p_wave: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Which RR intervals are normal-to-normal (NN) intervals (module docstring).

    Parameters
    ----------
    rr_ms : numpy.ndarray
        ``(n_beats - 1,)`` RR intervals between successive beats (ms).
    dominant : numpy.ndarray of bool
        ``(n_beats,)`` ``True`` for the beats of the dominant class (paced beats excluded).
    p_wave : numpy.ndarray of bool, optional
        ``(n_beats,)`` ``True`` where a consensus P wave precedes the beat
        (:func:`sinus_rhythm`); ``None``: no P-wave information, the regularity decides.

    Returns
    -------
    nn : numpy.ndarray of bool
        ``(n_beats - 1,)`` ``True`` where both beats of the interval are dominant and
        neither is premature; all ``False`` when ``sinus`` is ``False``.
    premature : numpy.ndarray of bool
        ``(n_beats,)`` the dominant beats taken as premature (all ``False`` when ``sinus``
        is ``False``).
    sinus : bool
        :func:`sinus_rhythm`: ``False`` when the beats are not taken as sinus beats, so that
        there are no NN intervals (atrial fibrillation, flutter, ...).

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.rhythm import normal_to_normal
    >>> rr = np.array([1000, 1000, 1000, 600, 1400, 1000, 1000.])
    >>> nn, prem, sinus = normal_to_normal(rr, np.ones(8, bool), p_wave=np.ones(8, bool))
    >>> nn.tolist(), int(prem.sum()), sinus
    ([True, True, True, False, False, True, True], 1, True)
    >>> normal_to_normal(rr, np.ones(8, bool), p_wave=np.zeros(8, bool))[0].any()
    np.False_
    """
    rr = np.asarray(rr_ms, dtype=float)
    dominant = np.asarray(dominant, dtype=bool)
    sinus, _ = sinus_rhythm(dominant, p_wave, rr)
    if not sinus:
        return np.zeros(rr.size, bool), np.zeros(dominant.size, bool), False
    premature = premature_beats(rr, p_wave=p_wave) & dominant
    ok = dominant & ~premature
    return ok[:-1] & ok[1:], premature, True



def _check_beats(anchors: np.ndarray, fs: float, **per_beat: np.ndarray | None) -> None:
    """ArgumentError naming the problem with beat times, the rate, or a per-beat array."""
    if not (isinstance(fs, (int, float, np.integer, np.floating)) and np.isfinite(fs) and fs > 0):
        raise ArgumentError(f"fs must be a positive sampling rate in Hz, got {fs!r}")
    if anchors.ndim != 1:
        raise ArgumentError(f"anchors must be one beat time per beat (1-D), got shape {anchors.shape}")
    bad = np.flatnonzero(~np.isfinite(anchors))
    if bad.size:
        raise ArgumentError(f"anchors: beat time(s) {bad.tolist()[:5]} are not finite numbers (NaN or inf); "
                            f"leave a beat whose time is unknown out")
    step = np.flatnonzero(np.diff(anchors) <= 0)
    if step.size:
        k = int(step[0])
        raise ArgumentError(f"anchors must increase strictly: beat {k + 1} at sample {float(anchors[k + 1]):g} is not "
                            f"after beat {k} at sample {float(anchors[k]):g} ({step.size} such pair(s); repeated "
                            f"or unsorted beat times)")
    for name, arr in per_beat.items():
        if arr is not None and np.asarray(arr).shape != anchors.shape:
            raise ArgumentError(f"{name} has {np.asarray(arr).size} value(s) for {anchors.size} beats: one per "
                                f"beat needed")


def rr_features(anchors: np.ndarray, fs: float, dominant: np.ndarray,
                return_reasons: bool = False,
                paced: np.ndarray | None = None,
                gaps: np.ndarray | None = None,
                p_wave: np.ndarray | None = None) -> dict[str, float] | tuple[dict[str, float], list[str]]:
    """RR and HRV statistics from beat times.

    Parameters
    ----------
    anchors : numpy.ndarray
        Sample index (may be fractional) of the same fiducial point of every beat,
        increasing; the feature pipeline passes the beat table's ``anchor_aligned``.
    fs : float
        Sampling rate (Hz).
    dominant : numpy.ndarray of bool
        ``True`` for normal (dominant) beats; intervals touching another beat, or a
        premature beat (:func:`normal_to_normal`), are excluded from the HRV statistics.
    return_reasons : bool, default False
        Also return why each NaN HRV statistic is NaN (no NN intervals in a rhythm that is
        not sinus, too few of them), and a note when premature beats were left out.
    paced : numpy.ndarray of bool, optional
        ``True`` for ventricular-paced beats (the beat table's ``paced`` column). Their RR
        intervals are set by the pacemaker, not the sinus node, so intervals touching a
        paced beat are not normal-to-normal intervals (Task Force of the ESC and NASPE
        1996: NN intervals are between beats of sinus origin); a fully paced record has
        none, and SDNN, RMSSD and pNN50 are NaN with that reason. ``RR_irregularity`` keeps
        every interval between dominant beats.
    p_wave : numpy.ndarray of bool, optional
        ``(n_beats,)`` ``True`` where a consensus P wave precedes the beat (the feature
        pipeline passes the beat table's P-wave fiducials, as ``P_wave_presence_fraction``
        counts them). NN intervals are defined only when more than
        :data:`SINUS_P_MIN_FRACTION` of the dominant, non-paced beats have one
        (:func:`sinus_rhythm`); otherwise SDNN, RMSSD and pNN50 are NaN with that reason
        (there are no NN intervals in atrial fibrillation, Task Force 1996; the ventricular
        response's variability is ``RR_sd_ms`` and ``RR_irregularity``). ``None``: no
        P-wave information; the beats are taken as sinus when the rhythm less its premature
        beats is regular (module docstring).
    gaps : numpy.ndarray, optional
        ``(n_gaps, 2)`` start and end (exclusive) sample of each stretch in which nothing
        was recorded (all-lead dropout gaps,
        :func:`interp_ecg.features.quality.dropout_gaps`). An RR interval whose span
        overlaps a gap is not measured (a beat inside the gap would be missed, and the
        interval would join two): it is left out of every statistic here (rate, RR and HRV),
        the intervals next to it are no longer successive for RMSSD, pNN50 and
        ``RR_irregularity``, and a sentence gives the count. With no interval left the rate
        and RR figures are NaN with that reason.

    Raises
    ------
    ArgumentError
        When ``fs`` is not a positive number, ``anchors`` holds a NaN or infinite value or
        does not increase strictly (a repeated or reversed beat time), or ``dominant``,
        ``paced`` or ``p_wave`` does not have one value per beat.

    Returns
    -------
    dict
        ``heart_rate_bpm`` (60000 / RR mean), ``RR_mean_ms``, ``RR_sd_ms``, ``RR_min_ms``,
        ``RR_max_ms`` (all intervals), ``SDNN_ms`` (SD of the NN intervals), ``RMSSD_ms``
        and ``pNN50`` (percent of successive NN differences > 50 ms), and
        ``RR_irregularity`` (root mean square of the successive differences of the
        intervals between dominant beats, premature ones included, over their mean). Each
        HRV statistic is NaN below its :data:`MIN_NN_INTERVALS` count (module docstring).
    list of str, optional
        (``return_reasons=True``) One sentence per group of NaN HRV statistics, naming
        them, the count and the count needed, or that the rhythm is not sinus; a sentence
        (naming no column) on the premature beats left out; empty when none applies.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.rhythm import rr_features
    >>> f, why = rr_features(np.array([0, 500, 1000, 1500]), 500, np.array([True] * 4), return_reasons=True)
    >>> f["SDNN_ms"], why
    (nan, ['RR_irregularity: 3 interval(s) between two dominant beats next to another such interval, at least 5 needed', 'SDNN_ms, RMSSD_ms, pNN50: 3 normal-to-normal interval(s) (RR between two dominant beats, neither premature nor paced; 4 beats, 4 dominant, 0 premature, 0 paced), at least 5 needed'])
    """
    anchors = np.asarray(anchors, dtype=float)
    dominant = np.asarray(dominant, dtype=bool)
    _check_beats(anchors, fs, dominant=dominant, paced=paced, p_wave=p_wave)
    rr = np.diff(anchors) * 1000.0 / fs
    out = dict.fromkeys(
        ["heart_rate_bpm", "RR_mean_ms", "RR_sd_ms", "RR_min_ms", "RR_max_ms", *HRV_FEATURES], np.nan)
    reasons: list[str] = []
    if rr.size == 0:
        reasons.append(f"{', '.join(HRV_FEATURES)}: no RR interval ({anchors.size} beat(s))")
        return (out, reasons) if return_reasons else out
    # RR intervals spanning a dropout gap: not measured (NaN), left out of every statistic
    measured = np.ones(rr.size, bool)
    g = np.zeros((0, 2)) if gaps is None else np.asarray(gaps, dtype=float).reshape(-1, 2)
    if g.size:
        measured = ~((g[None, :, 0] < anchors[1:, None]) & (g[None, :, 1] > anchors[:-1, None])).any(axis=1)
        rr = np.where(measured, rr, np.nan)
    n_gap = int((~measured).sum())
    if n_gap:
        reasons.append(f"rate, RR and heart-rate variability: {n_gap} of {measured.size} RR interval(s) span an "
                       f"all-lead dropout gap (nothing recorded) or a stretch noisy in every lead and are left out; "
                       f"{int(measured.sum())} measured")
    if not measured.any():
        reasons.append(f"heart_rate_bpm, RR_mean_ms, RR_sd_ms, RR_min_ms, RR_max_ms, {', '.join(HRV_FEATURES)}: "
                       f"no RR interval outside the dropout gaps")
        return (out, reasons) if return_reasons else out
    ok = rr[measured]
    out["RR_mean_ms"] = float(ok.mean())
    out["heart_rate_bpm"] = 60000.0 / out["RR_mean_ms"]
    out["RR_sd_ms"] = float(ok.std(ddof=1)) if ok.size > 1 else np.nan
    out["RR_min_ms"] = float(ok.min())
    out["RR_max_ms"] = float(ok.max())
    both = dominant[:-1] & dominant[1:] & measured
    paced = np.zeros(anchors.size, bool) if paced is None else np.asarray(paced, dtype=bool)
    n_paced = int((paced & dominant).sum())
    p = None if p_wave is None else np.asarray(p_wave, dtype=bool)
    sinus, not_sinus = sinus_rhythm(dominant & ~paced, p, rr)
    nn_ok, premature, _ = normal_to_normal(rr, dominant & ~paced, p)
    nn_ok = nn_ok & measured
    n_prem = int(premature.sum())
    if n_paced:
        reasons.append(f"heart-rate variability: {n_paced} ventricular-paced beat(s) left out of the "
                       f"normal-to-normal intervals (their RR is set by the pacemaker, not the sinus node)")
    if n_prem:
        reasons.append(f"heart-rate variability: {n_prem} premature beat(s) shaped like the dominant ones (RR "
                       f"before them under {PREMATURE_FRACTION:.0%} of the median of the neighbouring RR "
                       f"intervals with a pause after them or no P wave before them, or under "
                       f"{SHORT_LONG_FRACTIONS[0]:.0%} of it and followed by a pause over "
                       f"{SHORT_LONG_FRACTIONS[1]:.0%}) and the intervals next to them left out of the "
                       f"normal-to-normal intervals")

    # RR_irregularity: every interval between two dominant beats (the rhythm's irregularity)
    pair_all = both[:-1] & both[1:]
    in_pair = np.zeros(both.size, bool)
    in_pair[:-1] |= pair_all
    in_pair[1:] |= pair_all
    n_irr = int(in_pair.sum())
    if n_irr >= MIN_NN_INTERVALS:
        out["RR_irregularity"] = float(np.sqrt(np.mean(np.diff(rr)[pair_all] ** 2)) / rr[both].mean())
    else:
        reasons.append(f"RR_irregularity: {n_irr} interval(s) between two dominant beats next to another "
                       f"such interval, at least {MIN_NN_INTERVALS} needed")

    if not sinus:
        reasons.append(not_sinus)
        return (out, reasons) if return_reasons else out
    nn = rr[nn_ok]
    n_nn = int(nn_ok.sum())
    pair = nn_ok[:-1] & nn_ok[1:]
    n_diff = int(pair.sum())
    if n_nn < MIN_NN_INTERVALS:
        reasons.append(f"SDNN_ms, RMSSD_ms, pNN50: {n_nn} normal-to-normal interval(s) (RR between two dominant "
                       f"beats, neither premature nor paced; {anchors.size} beats, {int(dominant.sum())} dominant, "
                       f"{n_prem} premature, {n_paced} paced), at least {MIN_NN_INTERVALS} needed")
        return (out, reasons) if return_reasons else out
    out["SDNN_ms"] = float(np.std(nn, ddof=1))
    if n_diff < MIN_NN_INTERVALS:
        reasons.append(f"RMSSD_ms, pNN50: {n_diff} successive difference(s) of normal-to-normal intervals (two "
                       f"NN intervals in a row; {n_nn} NN intervals in all), at least {MIN_NN_INTERVALS} needed")
        return (out, reasons) if return_reasons else out
    diffs = np.diff(rr)[pair]
    out["RMSSD_ms"] = float(np.sqrt(np.mean(diffs**2)))
    out["pNN50"] = float(100.0 * np.mean(np.abs(diffs) > 50.0))
    return (out, reasons) if return_reasons else out



#: The heart-rate corrected QT columns (:func:`interp_ecg.features.measurements.qtc`).
QTC_FEATURES = ("QTc_Bazett_ms", "QTc_Fridericia_ms", "QTc_Framingham_ms", "QTc_Hodges_ms")


def qtc_rhythm_note(anchors: np.ndarray, fs: float, dominant: np.ndarray, p_wave: np.ndarray | None,
                    paced: np.ndarray | None = None) -> str:
    """Why the QTc columns are not reported: an irregular rhythm without sinus P waves.

    The QTc formulas correct one QT for one steady cycle length. The package measures one QT
    on the median beat and corrects it with the mean RR; in a regular rhythm (sinus, or a
    regular non-sinus rhythm such as flutter with fixed conduction, a paced or a ventricular
    rhythm) every beat has about that cycle. In an irregular rhythm without sinus P waves
    (atrial fibrillation) each beat's QT follows its own preceding RR intervals, which vary
    from beat to beat (PTB-XL 318: 376-853 ms), so one median QT over the mean RR is not the
    corrected QT of any beat; QTc in atrial fibrillation is instead taken as the average of
    beat-by-beat corrected QT over many beats, which this package does not measure. The
    QTc columns are then NaN with this reason (``QT_interval_ms`` and ``RR_mean_ms`` stay).

    Parameters
    ----------
    anchors : numpy.ndarray
        ``(n_beats,)`` sample index of the same point of every beat (as for
        :func:`rr_features`).
    fs : float
        Sampling rate (Hz).
    dominant : numpy.ndarray of bool
        ``(n_beats,)`` the dominant beats.
    p_wave : numpy.ndarray of bool or None
        ``(n_beats,)`` a consensus P wave before the beat (:func:`sinus_rhythm`).
    paced : numpy.ndarray of bool, optional
        ``(n_beats,)`` ventricular-paced beats (not candidates for sinus beats).

    Returns
    -------
    str
        ``""`` when the rhythm is sinus (:func:`sinus_rhythm`) or the intervals between
        dominant beats are regular (median absolute deviation at most
        :data:`~interp_ecg.features.beat_classes.REGULAR_MAD_MAX` of their median, or fewer
        than 3 of them); else the sentence naming the QTc columns.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.rhythm import qtc_rhythm_note
    >>> af = np.cumsum([0, 640, 910, 520, 780, 1010, 600, 870, 450]) / 2.0
    >>> qtc_rhythm_note(af, 500, np.ones(9, bool), np.zeros(9, bool))[:40]
    'QTc_Bazett_ms, QTc_Fridericia_ms, QTc_Fr'
    >>> qtc_rhythm_note(af, 500, np.ones(9, bool), np.ones(9, bool))
    ''
    """
    anchors = np.asarray(anchors, dtype=float)
    dom = np.asarray(dominant, dtype=bool)
    if paced is not None:
        dom = dom & ~np.asarray(paced, dtype=bool)
    rr = np.diff(anchors) * 1000.0 / fs
    if sinus_rhythm(dom, p_wave, rr if p_wave is None else None)[0] and p_wave is not None:
        return ""
    both = rr[dom[:-1] & dom[1:]]
    both = both[np.isfinite(both)]
    if both.size < 3:
        return ""
    med = float(np.median(both))
    mad = float(np.median(np.abs(both - med)))
    if mad <= REGULAR_MAD_MAX * med:
        return ""
    return (f"{', '.join(QTC_FEATURES)}: not corrected in an irregular rhythm without sinus P waves (RR between "
            f"dominant beats {both.min():.0f}-{both.max():.0f} ms, median absolute deviation {mad / med:.0%} of "
            f"the median, over {REGULAR_MAD_MAX:.0%}, as in atrial fibrillation): one median-beat QT over the "
            f"mean RR is not the corrected QT of any beat")


def recorded_duration_s(n_samples: int, fs: float, unrecorded: Sequence[Sequence[float]] | np.ndarray | None = None
                        ) -> float:
    """Seconds of a record in which something was recorded: its length less the lost time.

    A count per minute is taken over the time in which beats could be seen. An all-lead
    dropout gap (:func:`interp_ecg.features.quality.dropout_gaps`) or a stretch in which
    every lead is flat at once (``lead_quality(...).attrs["flat_all_leads_runs"]``, at the
    record's start or end as well as inside it) holds no beat that could be counted, so it
    is not part of the denominator; spans given more than once (a gap inside a flat run)
    count once.

    Parameters
    ----------
    n_samples : int
        Length of the record (samples).
    fs : float
        Sampling rate (Hz).
    unrecorded : array-like, optional
        ``(n_spans, 2)`` start and end (exclusive) sample of each unrecorded span; spans
        may overlap and are clipped to the record.

    Returns
    -------
    float
        Recorded time (s), ``n_samples / fs`` less the union of the spans; 0.0 when nothing
        was recorded.

    Raises
    ------
    ArgumentError
        When ``fs`` is not a positive number.

    Examples
    --------
    >>> from interp_ecg.features.rhythm import recorded_duration_s
    >>> recorded_duration_s(5000, 500)
    10.0
    >>> recorded_duration_s(5000, 500, [(2000, 2400), (2200, 2600), (0, 500)])
    7.8
    """
    if not (np.isfinite(fs) and fs > 0):
        raise ArgumentError(f"fs must be a positive sampling rate in Hz, got {fs!r}")
    n = int(n_samples)
    spans = np.zeros((0, 2)) if unrecorded is None else np.asarray(unrecorded, dtype=float).reshape(-1, 2)
    lost = np.zeros(max(n, 0), bool)
    for a, b in spans:
        lo, hi = max(int(np.floor(a)), 0), min(int(np.ceil(b)), n)
        if hi > lo:
            lost[lo:hi] = True
    return float((n - int(lost.sum())) / fs)


def beat_counts(table: BeatTable, recorded_s: float) -> dict[str, float]:
    """Beat, PVC and P-wave counts of one record.

    Parameters
    ----------
    table : BeatTable
        The record's beat classes (:func:`interp_ecg.features.beat_classes.classify_beats`).
    recorded_s : float
        The time (s) in which beats could be seen: the record's length less its all-lead
        dropout gaps and the stretches in which every lead is flat
        (:func:`recorded_duration_s`), not the full length. ``PVC_per_min`` is NaN when it
        is not positive.

    Returns
    -------
    dict
        ``n_beats``, ``n_beats_dominant``, ``PVC_count``, ``PVC_per_min`` (PVCs per minute
        of recorded time), ``outlier_beat_count`` and ``P_wave_presence_fraction`` (share of the
        non-PVC beats with a consensus P wave). In a record without a dominant beat class
        (every beat labelled ``"unclassified"``, see
        :data:`interp_ecg.features.beat_classes.MIN_DOMINANT_BEATS`) a beat cannot be
        told to differ from the dominant ones: ``PVC_count``, ``PVC_per_min`` and
        ``outlier_beat_count`` are NaN (the reason is
        :func:`interp_ecg.features.beat_classes.no_dominant_reason`) and
        ``P_wave_presence_fraction`` is taken over all beats.

    Examples
    --------
    >>> from interp_ecg.features.median_beat import BeatTable
    >>> from interp_ecg.features.rhythm import beat_counts
    >>> import pandas as pd
    >>> t = BeatTable(beats=pd.DataFrame({"label": ["unclassified"] * 3, "dominant": [False] * 3}),
    ...               fiducials=pd.DataFrame({"P_peak": [1.0, float("nan"), 3.0], "P_on": [float("nan")] * 3}))
    >>> c = beat_counts(t, 10.0)
    >>> c["n_beats_dominant"], c["PVC_count"], c["P_wave_presence_fraction"]
    (0.0, nan, 0.6666666666666666)
    """
    labels = table.beats["label"].to_numpy()
    non_pvc = labels != "PVC"
    has_p = np.isfinite(table.fiducials["P_peak"].to_numpy(dtype=float)) | np.isfinite(
        table.fiducials["P_on"].to_numpy(dtype=float)
    )
    n_pvc = float((labels == "PVC").sum())
    n_outlier = float((labels == "outlier").sum())
    if labels.size and (labels == "unclassified").all():  # beat_classes.UNCLASSIFIED: no dominant class
        n_pvc = n_outlier = np.nan
    return {
        "n_beats": float(labels.size),
        "n_beats_dominant": float(table.beats["dominant"].sum()),
        "PVC_count": n_pvc,
        "PVC_per_min": n_pvc * 60.0 / recorded_s if recorded_s > 0 else np.nan,
        "outlier_beat_count": n_outlier,
        "P_wave_presence_fraction": float(has_p[non_pvc].mean()) if non_pvc.any() else np.nan,
    }
