"""Every threshold of the default delineator, in physical units, with its rationale.

Times are in **seconds** (``*_s`` fields, or fields documented as seconds), amplitudes in
**mV**, the rest are **fractions** (of the largest slope in a window, of an RR interval, of
the usable leads, of the beats). None is in samples: the delineator converts with the
record's own sampling rate, so one ``Params`` serves 100 Hz Holter leads and 1 kHz research
records alike.

The defaults of the original fields were chosen on the odd-numbered LUDB records only;
``benchmarks/delineation_ludb.py`` reports the even-numbered ones as a held-out set. The
fields added for issue 10 (edge guard, step and noise rejection, formerly inline limits)
keep the values the code had inline, or were set from physiology and the synthetic cases of
``tests/test_delineation_trust.py``, not fitted to LUDB.

Examples
--------
>>> from interp_ecg.features.delineation.params import Params
>>> p = Params()
>>> p.edge_guard_s, p.qrs_cons_tol_s
(0.02, 0.04)
>>> Params(qrs_on=0.05).qrs_on
0.05
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Params:
    """Thresholds and spans of the ``martinez_zhang`` delineator (see the module docstring)."""

    # ---- QRS detection (multi-lead slope envelope; Pan & Tompkins 1985 rules) -------
    qrs_threshold: float = 0.3   # a QRS reaches this share of the reference envelope height
    qrs_refractory_s: float = 0.25  # no two QRS closer than this (240 bpm)
    slowest_bpm: float = 40.0    # reference height: median of the tallest peaks expected at
    #                              this rate (so a few huge artefacts do not set it)
    t_discrimination_s: float = 0.36  # a candidate this close to the previous beat ...
    t_discrimination_ratio: float = 0.5  # ... is a T wave when below this share of its height
    # ---- QRS boundaries (Martinez et al. 2004 slope rules) --------------------------
    qrs_sig: float = 0.20        # slope fraction that makes a slope part of the QRS
    qrs_sig_off: float = 0.20    # idem, for the last slope of the complex
    qrs_on: float = 0.03         # onset: slope below this fraction of the largest
    qrs_off: float = 0.05        # offset: idem
    qrs_sig_noise_k: float = 4.0  # ... and a significant slope also exceeds this many noise
    #                              SDs of the lead's slope, measured away from the QRS
    #                              complexes: noise wiggles in a lead whose QRS is small
    #                              against its noise are not QRS slopes (issue 17)
    noise_min_quiet_s: float = 1.0  # ... measured only with this much record outside the
    #                              QRS windows (not in a sustained tachycardia: no floor)
    qrs_lowpass: float = 40.0    # low-pass (Hz) of the signal searched for the QRS
    qrs_slope_dt: float = 0.004  # half-span of the central difference used as slope (s)
    pt_lowpass: float = 15.0     # low-pass (Hz) of the signal searched for P and T
    wave_slope_dt: float = 0.010  # half-span of the slope of the P/T signal (s)
    qrs_flat: float = 0.001      # the slope must stay below threshold this long (s)
    qrs_on_shift: float = 0.0    # calibration of per-lead QRS boundaries (s)
    qrs_off_shift: float = 0.0
    qrs_half: float = 0.12       # half-width of the span searched for QRS slopes (s)
    qrs_window_s: float = 0.20   # half-width of the window gathered around each beat (s):
    #                              the widest QRS (~250 ms) fits with its flat margins
    # ---- P and T (Zhang et al. 2006 trapezium area) --------------------------------
    t_ref_off: float = 0.09      # Zhang reference point after the steepest T descent (s)
    t_on_frac: float = 0.0       # ... or this fraction of the J-to-T-peak distance if longer
    t_ref_on: float = 0.09       # mirrored, before the steepest T ascent (s)
    p_ref_off: float = 0.025
    p_ref_on: float = 0.045
    p_min_mv: float = 0.01       # smallest P amplitude considered visible (mV)
    t_min_mv: float = 0.02       # smallest T amplitude (mV)
    p_halfwidth: float = 0.08    # a P (T) wave falls to half height within this on each side (s)
    t_halfwidth: float = 0.16
    # T search window (s, or fractions of the next RR): the T wave of a normal beat ends
    # before 60 % of the RR (QT/RR <= 0.6 up to 200 bpm) and never after the next QRS
    t_window_s: float = 0.60     # longest span searched after the QRS end
    t_stop_rr: float = 0.62      # the boundary search stops at this share of the next RR ...
    t_stop_min_s: float = 0.20   # ... but never before QRS end + this
    t_next_guard_s: float = 0.06  # ... and always this long before the next R peak
    t_next_min_s: float = 0.10   # (unless that leaves less than this after the QRS end)
    t_peak_after_j_s: float = 0.04  # the T peak lies at least this long after the QRS end
    t_peak_rr: float = 0.50      # ... and before this share of the next RR after R
    t_peak_max_s: float = 0.45   # ... and before R + this
    t_peak_min_span_s: float = 0.14  # ... the peak span is at least this long
    t_start_after_r_s: float = 0.06  # T search start when the QRS end was not found (a
    #                              search bound only: it is never reported as a boundary)
    # P search window: the P wave lies within the PR interval (<= 0.33 s incl. P onset)
    p_window_s: float = 0.33     # longest span searched before the QRS onset
    p_window_rr: float = 0.45    # ... and at most this share of the previous RR
    p_min_gap_s: float = 0.02    # the P peak lies at least this long before the QRS onset
    p_peak_after_start_s: float = 0.01
    # ---- P presence ------------------------------------------------------------------
    p_lead_frac: float = 0.25    # a P wave must be visible in this share of usable leads
    p_min_leads: int = 1         # ... and in at least this many leads
    p_spread: float = 0.03       # P centres of the leads may scatter this much (median abs., s)
    p_lead_agree_s: float = 0.04  # a lead's P counts when its centre is this close to the consensus
    pr_tol: float = 0.024        # P peak to QRS onset may vary this much between beats (s)
    p_min_frac: float = 0.6      # fewer beats with a time-locked P: no P in the record
    p_min_frac_irregular: float = 0.8  # idem when RR is irregular (AF mimics a P at random)
    p_lock_among_visible: bool = False  # judge time-locking among the beats with a visible
    #                              P (else among all beats); see docs/results_features.md
    p_min_visible_frac: float = 0.3  # ... and then at least this share of beats shows a P
    p_lead_evidence_max_leads: int = 2  # with at most this many usable leads, each lead's
    #                              P must be time-locked on its own (stages.p_lead_evidence)
    p_lead_evidence_frac: float = 0.5  # ... in this share of the regular beats
    pr_tol_irregular_few: float = 0.75  # with irregular RR the PR tolerance is pr_tol x 0.5;
    #                              with at most p_lead_evidence_max_leads leads x this (the P
    #                              centre of one or two leads scatters more). Odd LUDB records,
    #                              250 Hz II+V5: P Se 0.968 -> 0.970, P in no-P records 21 -> 21
    rr_irregular: float = 0.08   # median |second difference of RR| above this share of RR
    premature_frac: float = 0.85  # RR below this share of the median: premature beat
    wct_rr_s: float = 0.40       # wide-complex tachycardia: median RR below this (s) ...
    wct_qrs_s: float = 0.12      # ... and median QRS at least this wide (s): no P sought
    # ---- multi-lead combination -------------------------------------------------------
    w_sv_on: float = 0.6         # per-lead QRS onset = spatial-velocity onset + w x (own - it)
    sv_on: float = 0.08          # spatial-velocity onset threshold (share of its largest slope)
    w_sv_off: float = 1.0        # idem for offsets (1 = off; see docs/results_features.md)
    sv_off: float = 0.08
    sv_near_s: float = 0.04      # a lead is pulled to the spatial velocity only this close
    p_fill_median: bool = True   # a lead without its own P gets the leads' median P bounds
    noise_k: float = 3.0         # visible wave: amplitude above noise_k x lead noise
    # multi-lead shrinkage: a lead's boundary = median of leads + w x (its own - median)
    w_qrs_on: float = 0.3
    w_qrs_off: float = 0.5
    w_p: float = 0.5
    w_p_on: float | None = 0.7   # P onsets only (``None``: ``w_p``)
    w_t_on: float = 0.7
    w_t_off: float = 0.5
    q_qrs_on: float = 0.5        # quantile of the usable leads a QRS onset is pulled to
    q_qrs_off: float = 0.5
    qrs_cons_tol_s: float = 0.04  # leads further than this from the median are outliers
    #                              (QRS and P boundaries; the Martinez QRS tolerance)
    t_cons_tol_s: float = 0.06   # idem for T boundaries and for R peaks
    qrs_rr: float = 0.4          # QRS slopes are searched within this share of the next RR
    qrs_rr_on: float = 0.25      # ... and of the previous RR interval
    fast_rr: float = 0.45        # RR (s) below which the QRS onset may sit at a slope dip
    qrs_kink: float = 0.3        # ... whose slope is below this share of the largest
    qrs_gap_on: float = 0.03     # gaps (s) bridged between the slopes of one complex,
    qrs_gap_off: float = 0.0     # before and after its steepest slope
    qrs_gap_off_fast: float = 0.03  # idem after it when the next RR is below ``fast_rr``
    cons_q: float = 0.15         # quantile of the retained leads used for global on/off
    cons_q_few: float = 0.0      # ... for QRS and T with at most ``cons_few_leads`` usable
    #                              leads: the earliest onset / latest offset of the leads, the
    #                              definition of the global boundaries (Kligfield et al.,
    #                              Circulation 2007; CSE / IEC 60601-2-51 global measurement:
    #                              earliest onset to latest offset over the simultaneous
    #                              leads). The low quantile ``cons_q`` resists one aberrant
    #                              lead among many; with one or two leads no lead can be
    #                              outvoted, and an interpolated quantile between two leads
    #                              (or their median, used before) is not a boundary of either:
    #                              it made II + V5 read a shorter QRS than II alone (LUDB 1-40
    #                              median 73 vs 78 ms; cardiologists 94.5 in II, 91 in V5).
    #                              Adding a second lead can then only lengthen the QRS.
    cons_few_leads: int = 2
    cons_min_voters: int = 3     # the reported QRS and T consensus rejects outlier leads only
    #                              in beats where at least this many leads have a value: two
    #                              leads further apart than 2 x tolerance were both rejected
    #                              (the median is their midpoint) and the beat lost its global
    #                              QRS (LUDB 17, II + V5: a wide beat dropped, the record's QRS
    #                              1.5 samples shorter than with II alone)
    p_cons_q: float = 0.5        # quantile of the retained leads for the global P onset
    #                              and offset: the median lead, not the earliest/latest. Each
    #                              lead's P bounds scatter by ~15 ms (SD against LUDB's marks),
    #                              and the extreme of 12 such estimates adds ~20 ms to the P
    #                              duration: PTB-XL NORM median 122 ms with cons_q (0.15), above
    #                              the 120 ms upper normal limit (Kligfield et al., Circulation
    #                              2007, AHA/ACCF/HRS Part I; typical 80-110 ms), 104 ms with the
    #                              median; the cardiologists' own per-lead marks inflate the same
    #                              way (LUDB: median-lead 98 ms, earliest/latest 134 ms). Chosen
    #                              on the odd LUDB records (consensus scored against every lead's
    #                              marks, F1 P_on 0.939 -> 0.952, P_off 0.941 -> 0.960; 0.3 gave
    #                              0.946 / 0.953). With at most cons_few_leads usable leads
    #                              the P keeps cons_q (see cons_q_few). docs/results_features.md
    #                              Departure from the definition: global intervals are defined
    #                              from the earliest onset to the latest offset over the
    #                              simultaneous leads (Kligfield 2007); this is an estimator of
    #                              the typical lead's P, robust to per-lead noise, and it reads
    #                              35 ms shorter than LUDB's earliest-to-latest marks (held-out).
    p_cons_tol_s: float = 0.04   # P leads further than this from the median are outliers
    #                              (the Martinez P tolerance, as qrs_cons_tol_s)
    # ---- T offset with one or two leads (issue 10, 250 Hz two-lead proxy) ------------
    # A biphasic T (inverted, then a positive terminal part: left-ventricular strain,
    # ischaemia) ends where its terminal lobe ends -- LUDB's cardiologists mark it there --
    # while the trapezium area of the main lobe stops at the main lobe's return
    # (waves.terminal_lobe). Chosen on the odd LUDB records at 250 Hz, II + V5: best-lead
    # T_off SD 21.6 -> 19.7 ms, consensus 22.0 -> 20.5 (t_lobe_frac 0.15-0.4 all within
    # 0.3 ms of this). With 12 leads it lowers per-lead T_off F1 (odd 0.9726 -> 0.9683: the
    # terminal bumps of aVR/III/V1 are not marked as T), and there the latest of many leads
    # already carries a late T end, so it acts only with few usable leads. After an upright
    # T the same rule took atrial f-waves and undershoots for lobes (odd best lead 21.4).
    t_lobe_frac: float = 0.25    # the terminal lobe reaches this share of the main lobe's
    #                              amplitude, measured from the level at the end of the T
    #                              search (the TP segment), and is visible (t_min_mv, noise_k
    #                              x noise); 0 = off
    t_lobe_span_s: float = 0.12  # ... its peak lies within this of the main lobe's steepest
    #                              return (s)
    t_lobe_halfwidth_s: float = 0.06  # ... and it falls to half height within this (s): a
    #                              slow drift back to the baseline is not a lobe (0.10: same
    #                              SDs, per-lead F1 0.974 instead of 0.978)
    t_lobe_inverted_only: bool = True  # ... only after an inverted main lobe
    t_lobe_max_leads: int = 2    # ... only with at most this many usable leads
    t_area_mix: float = 0.0      # T offset from the sliding-window area of Zhang et al.
    #                              2006 (waves.sliding_area_end): 1 = it alone, 0 = the
    #                              trapezium alone (default), between = that share of the way
    #                              to it. Odd records, 250 Hz II + V5, best lead: 1 -> 23.9 ms,
    #                              0.5 -> 22.1 (trapezium 21.6): not adopted
    t_area_width_s: float = 0.128  # ... the area's window (s)
    t_area_reach_s: float = 0.18   # ... searched this far after the steepest return (s)
    # ---- nothing fabricated (issue 10) -----------------------------------------------
    edge_guard_s: float = 0.02   # a boundary needs this much record beyond it: the slope
    #                              span, the flat-run check and the filters' edge transient
    #                              all reach ~10-20 ms; a closer boundary is NaN (beat flagged)
    step_level_s: float = 0.08   # baseline levels are read this far before/after a beat
    #                              (outside a normal QRS, inside the PR and ST segments)
    step_overshoot: float = 0.2  # a QRS overshoots the levels on both sides of it by at least
    #                              this share of its span (median over leads); a baseline step
    #                              moves monotonically from one level to the other (~0)
    beat_similarity: float = 0.5  # QRS complexes repeat: median over beats of the best
    #                              correlation with another beat (all usable leads at once)
    #                              below this means no ECG (noise) -- LUDB/PTB-XL stay > 0.8
    qrs_steep_window_s: float = 0.06  # half-width (s) around a detected complex where its
    #                              steepest slope is taken (stages.qrs_steepness)
    qrs_min_steepness: float = 8.0  # fewest "steepest slope x RR / peak-to-peak amplitude"
    #                              of the detected complexes (stages.qrs_steepness,
    #                              dimensionless): a sinusoid gives about pi (5.1 for a
    #                              1.2 Hz sine on 12 leads, which was 15 beats, QRS 140 ms,
    #                              quality_ok), LUDB's
    #                              200 records 20-126 (500 / 250 Hz; 12, 2 or 1 lead)
    beat_similarity_two_leads: float = 0.75  # idem with two leads: noise correlates more by
    #                              chance in fewer samples (20 band-limited noise records:
    #                              up to 0.59; LUDB/PTB-XL two-lead subsets stay > 0.95)
    beat_similarity_one_lead: float = 0.9  # idem with one lead (noise up to 0.84; LUDB II
    #                              alone >= 0.968)
    similarity_window_s: float = 0.06  # half-width of the QRS windows compared (s)
    similarity_max_beats: int = 64    # beats compared (the first ones; cost is quadratic)
    # ---- muscle-noise bursts (issue 17) -----------------------------------------------
    # A candidate beat is muscle noise, not a QRS, when all four hold: it lies in a burst
    # (the 15-40 Hz residue's robust SD over +-burst_window_s, median over the usable
    # leads, exceeds burst_noise_ratio x the record's own), its slope envelope stays below
    # burst_height_frac of the median beat's, its QRS window correlates with no other beat
    # above burst_match, and it splits one cardiac cycle (its neighbours are at most
    # burst_within_cycle x the median RR apart; a premature ectopic beat is followed by a
    # compensatory pause, its neighbours ~2 cycles apart). A real beat in a burst keeps its
    # height or repeats, and an ectopic beat outside a burst is never judged by this rule.
    # Set from physiology and the synthetic records of tests/test_rhythms_paced_ectopic.py,
    # not fitted to LUDB.
    burst_window_s: float = 0.5
    burst_noise_ratio: float = 1.5
    burst_height_frac: float = 0.75
    burst_match: float = 0.5
    burst_within_cycle: float = 1.5
    # ---- sampling rate (issue 10, section 2) --------------------------------------------
    native_min_fs: float = 500.0  # records sampled in [native_min_fs, native_max_fs] keep
    native_max_fs: float = 500.0  # their own rate; every other record is delineated on a
    #                              band-limited resampling to internal_fs itself
    #                              (filters.internal_ratio), its fiducials divided back to
    #                              (fractional) sample indices of the record. The slope spans,
    #                              windows and thresholds were chosen at 500 Hz, and every
    #                              threshold crossing is taken at a whole sample (on average
    #                              half a sample outside the crossing: 1 ms per side at
    #                              500 Hz, 2 ms at 250, 0.5 ms at 1000 Hz); at 100 Hz the 4 ms
    #                              slope half-span also rounded to one 10 ms sample (PTB-XL
    #                              QRS 20 ms wider, PR 11 ms shorter; the first fix, records
    #                              below 250 Hz). At their own rate 250 Hz records read QRS
    #                              +4.0 ms, 360 Hz +0.8 ms, 1000 Hz -1.5 ms against the same
    #                              LUDB records at 500 Hz (median over 200 records; +0.0 at
    #                              every rate on the resampling; issue 10, round of
    #                              2026-12-01, benchmarks/delineation_rates.py --vs500).
    #                              native_min_fs was 250 Hz (native_max_fs: no limit) until
    #                              then; Params(native_min_fs=250, native_max_fs=inf) is the
    #                              delineator before.
    internal_fs: float = 500.0   # ... the rate the thresholds were chosen at. 0 turns it off
    # ---- which leads set the global T end (issue 10, round of 2026-11-30 evening) ------
    # With one or two usable leads the global T end is the latest lead's (cons_q_few = 0,
    # the definition). A terminal lobe (waves.terminal_lobe) is a second, low-amplitude
    # candidate for a lead's T end: the end of a biphasic T, but also what a U wave, an
    # undershoot after the T or noise look like. Whether it belongs to the T is judged
    # where the T is seen best: when another usable lead shows its T without a lobe and
    # standing higher above its own noise (amplitude / noise_mv), the lobe is not confirmed
    # and that lead's T end does not take part in the beat's global T end
    # (stages.t_consensus; the per-lead row keeps the lobe). Odd LUDB records, 250 Hz II +
    # V5, consensus T_off Se / SD against lead II's marks 0.990 / 25.8 -> 0.993 / 24.0 ms,
    # against the two-lead reference 0.989 / 25.1 -> 0.990 / 23.2; ratios 0.25-1.0 within
    # 0.4 ms of each other, 1.5-3 nearer the old figures (docs/results_features.md).
    t_cons_lobe_snr_ratio: float = 1.0  # the other lead's T amplitude over noise must
    #                              exceed this many times the lobe lead's (0 = off: every
    #                              lobe takes part, as before)
    t_cons_noise_floor_mv: float = 0.001  # noise below this (mV; about one step of a
    #                              1 uV/LSB recorder) counts as this, so that noiseless
    #                              simulated leads compare by T amplitude
    # ---- T end timed too loosely to set the global T end (helper tcons, 2026-12-01) ------
    # With two to t_lobe_max_leads usable leads, a lead's T end whose timing uncertainty
    # (waves.t_end_uncertainty: the lead's beat-to-beat ST-T noise, waves.
    # repolarisation_noise, over the steepest slope of the T's return within
    # t_end_descent_s before the end) exceeds t_cons_end_sd_max_s does not take part in the
    # beat's global T end where another usable lead's T end is timed within it (the per-lead
    # row keeps it; stages.t_consensus). Odd LUDB records, 250 Hz II + V5, consensus T_off
    # SD against the two-lead reference 23.3 -> 22.5 ms (45-60 ms all within 0.1 ms of
    # this); docs/results_features.md, ninth round, helper tcons. 0 = off.
    t_cons_end_sd_max_s: float = 0.05
    t_end_descent_s: float = 0.10  # the T's return is sought this far before its end (s)
    t_noise_from_s: float = 0.15  # the ST-T span read for that noise: R + this ...
    t_noise_to_s: float = 0.55   # ... to R + this (s)
    t_noise_pr_from_s: float = -0.10  # the PR-segment level it is read from: R + this ...
    t_noise_pr_to_s: float = -0.06  # ... to R + this (s)
    t_noise_min_beats: int = 3   # fewer beats: no noise estimate (the rule does not act)
    # ---- QRS offset with one or two leads: the return of a terminal S wave (issue 10) ---
    # The slope rule ends the QRS where the slope falls below qrs_off x the complex's
    # largest slope; at the tip of an S wave the slope passes through zero, so an S wave
    # that returns to the ST level more slowly than that ends the QRS at its nadir -- inside
    # the complex. The QRS ends at the J point, the junction with the ST segment (CSE
    # Working Party, Willems et al. 1985); an S wave is part of the complex, so the junction
    # follows its return, and qrs_end.s_wave_return moves such an offset to the return's
    # end. With many leads the shrinkage towards the leads' median (w_qrs_off) and the late
    # quantile over the leads carry a terminal deflection that is steep in another lead
    # (applied to 12 leads the rule lowers odd LUDB global QRS_off F1 0.9841 -> 0.9804);
    # with one or two there is none to carry it. Chosen on the odd LUDB records, 250 Hz
    # II + V5: best-lead QRS_off SD 11.8 -> 9.9 ms, mean -6.9 -> -1.2
    # (docs/results_features.md, round of 2026-11-30 evening).
    qrs_sret_max_leads: int = 2  # acts only with at most this many usable leads (0 = off)
    qrs_sret_start_s: float = 0.008  # the return starts within this of the offset (s): the
    #                              slope's sign change at the S nadir
    qrs_sret_span_s: float = 0.06  # ... and is complete within this (s): an S wave returns
    #                              within a few tens of ms; a slope that keeps rising longer
    #                              is the ST segment, not a return
    qrs_sret_end: float = 0.35   # ... its end: the returning slope below this share of its
    #                              own steepest value (a boundary threshold relative to the
    #                              boundary's own slope maximum, as Martinez et al. 2004)
    qrs_sret_amp: float = 0.05   # ... and it returns by at least this share of the complex's
    #                              peak-to-peak amplitude (a smaller wiggle is not an S wave)
    qrs_sret_min_slope: float = 0.01  # ... its slope exceeds this share of the complex's
    #                              largest slope (and the lead's noise floor, qrs_sig_noise_k)
    # ---- a minority lead may set the global QRS end (round of 2026-11-30 evening) -----
    # The global QRS runs from the earliest onset to the latest offset over the
    # simultaneous leads (Kligfield et al., Circulation 2007; CSE). The consensus rejects
    # leads further than qrs_cons_tol_s from the median and takes the cons_q quantile of the
    # rest, so the terminal R' of right bundle branch block, seen in V1 (and V2) only, was
    # outvoted: LUDB 10 and 108 (complete RBBB) read 88 and 100 ms. A rejected lead whose
    # offset lies after the consensus is now confirmed by its own signal: where its QRS
    # slope between the consensus offset and its own stands this many times above its
    # slope noise (waves.slope_noise, the factor the per-lead search uses is
    # qrs_sig_noise_k = 4), the stretch is part of its complex and the global offset moves
    # to it (consensus.combine, stages.qrs_stage). Chosen on the odd LUDB records: 15-50
    # give the same odd record QRS durations (global QRS_off F1 0.9474-0.9492; 0.9494
    # without the rule), 5-10 let more wrong late offsets in (the odd late outliers judged
    # against each lead's own marks: wrong ones mostly 4-12 x noise, right ones 49-136 x);
    # docs/results_features.md. Onsets keep the plain rule (the same test on the odd
    # records added scatter: global QRS_on F1 0.9600 -> 0.9579). 0 turns it off.
    qrs_cons_off_confirm_k: float = 20.0
    qrs_cons_confirm_floor_mv_s: float = 0.05  # slope noise below this (mV/s; about the 1st
    #                              percentile of the LUDB leads' slope noise) counts as this,
    #                              so that in a noiseless (simulated) lead not every slope
    #                              confirms an outlier
    # ---- constant (held) stretches at a lead's start or end (round of 2026-11-30 late) --
    # Some recorders hold the last (or first) value when the acquisition stops early: every
    # PTB-XL 500 Hz file of ecg_id 1-200 holds each lead constant over its last 49-82
    # samples (98-164 ms), while the 100 Hz file of the same record still shows the waves
    # there (LUDB holds some leads' first 12-76 samples). Samples repeating a lead's first
    # or last value for at least this long (s; stages.held_edges) are not signal: the record
    # is delineated on the span where some lead still varies (stages.signal_span), and in a
    # lead held longer than that, boundaries on or near (edge_guard_s) its held samples are
    # NaN. 20 ms = edge_guard_s: a shorter run is already inside the edge guard. A measured
    # ECG is not constant to the last digit for 20 ms at the record's edge (noise and
    # baseline wander change it at 1-5 uV resolution). Before, 494 boundaries of 74 of those
    # 200 records (mostly T ends) lay on held samples (benchmarks/delineation_rates.py (c)).
    # 0 turns it off.
    held_edge_min_s: float = 0.02
    # ---- QRS onset with one or two leads: the start of an initial q wave (issue 10) -----
    # The slope rule puts the onset where the slope, searched back from the complex's first
    # significant slope, falls below qrs_on x its largest slope; before an R wave preceded by
    # a small q wave the slope passes through zero at the q tip, so the onset lands there,
    # inside the complex. The QRS onset is the first deflection of the complex from the
    # isoelectric PR level (CSE Working Party, Willems et al. 1985; Kligfield et al. 2007),
    # so qrs.initial_deflection_onset moves such an onset to where the q wave's descent
    # begins: the last sample before its steepest point with a slope below qrs_qon_end of
    # that steepest value. With one or two leads only, after the multi-lead pulls (w_qrs_on,
    # w_sv_on); the global onset is then the earliest of the moved per-lead onsets where it
    # is earlier than the consensus of the slope-rule onsets. 12-lead records are untouched.
    # Where no initial wave is found, a slurred start is followed back the same way
    # (qrs_qon_slur_noise_k). Odd LUDB records, 250 Hz II + V5: best-lead QRS_on mean / SD
    # +7.0 / 9.1 -> +1.4 / 8.0 ms, per-record offsets SD 5.9 -> 4.8, consensus 12.8 -> 11.4
    # (docs/results_features.md, round of 2026-11-30 night).
    qrs_qon_max_leads: int = 2   # acts only with at most this many usable leads (0 = off)
    qrs_qon_reach_s: float = 0.04  # the initial wave starts within this before the onset
    #                              (s): a normal q wave lasts < 40 ms (Q >= 40 ms is
    #                              pathological), its descent less
    qrs_qon_start_s: float = 0.004  # ... and its descent reaches the onset: slope against
    #                              the complex within this before it (s; the onset is the tip)
    qrs_qon_ahead_s: float = 0.06  # the complex's direction is its first slope above qrs_sig
    #                              x the largest slope within this after the onset (s)
    qrs_qon_end: float = 0.5     # the initial wave starts where its slope is below this
    #                              share of its own steepest value (0.35 moved onsets 4 ms
    #                              too early on average, 0.7-0.85 gave the same SD)
    qrs_qon_noise_k: float = 4.0  # its slope exceeds this many slope-noise SDs (as
    #                              qrs_sig_noise_k)
    qrs_qon_amp_k: float = 3.0   # its depth exceeds this many noise SDs (mV; as noise_k),
    #                              measured on the recorded signal, not on the 40 Hz
    #                              low-passed one whose pre-ringing before a steep upstroke
    #                              looks like a q wave of ~1.5 % of the R wave (a noiseless
    #                              simulated complex moved 20 ms); the noise is then the larger
    #                              of the lead's QRS-band noise and its sample-to-sample noise
    #                              (robust SD of the first difference / sqrt 2). A floor in mV
    #                              (0.01 / 0.02 / 0.03) or in shares of the QRS (1-3 %) made
    #                              the odd best-lead SD worse (8.2-8.8 ms)
    qrs_qon_slur_noise_k: float = 4.0  # where no initial wave is found: the complex's own
    #                              first slope still above this many slope-noise SDs before
    #                              the onset is a slurred start, followed back (at most
    #                              qrs_qon_reach_s). The factor that makes a slope part of the
    #                              complex (qrs_sig_noise_k). Odd records, 250 Hz II + V5:
    #                              best lead 8.2 (off) -> 8.0 ms (3 and 6: 8.0; 2: consensus
    #                              worse); 0 = off
    # -- QRS onset never inside the P wave (helper "qon", round of 2026-11-30 late night):
    # with a short PR segment the descent of a P wave that runs into the complex was read
    # as an initial q wave and the onset moved back to the P apex (LUDB 57 V5: 40 ms, 35 V5:
    # 24 ms; a simulated 16 ms PR segment: -44 ms). On the odd LUDB records (250 Hz II + V5,
    # each lead against its own marks) the q moves of <= 20 ms (854 beats) improved the
    # onset (mean error +7..+15 -> -0.5..-4.6 ms), every move of >= 24 ms (6 beats) overshot
    # by 18-28 ms.
    qrs_qon_q_max_s: float = 0.02  # the q wave's descent, from its start to the onset at
    #                              its tip, lasts at most this (s; a normal q wave lasts
    #                              < 40 ms, its descent about half); 0 = no limit
    # ---- QRS offset with two leads: each lead pulled towards the other by its SNR share (qoff) --
    # With many leads each lead's QRS offset is pulled towards the leads' median (w_qrs_off);
    # with two leads that median is the pair's midpoint, so both leads were pulled equally
    # whichever is the better determined. A boundary is timed more precisely where the
    # complex stands higher above the noise, so with exactly two usable leads each lead's
    # offset moves towards the other's by qrs_off_snr_pull x the other's share of the two
    # complexes' amplitude-over-noise (consensus.snr_weighted_pull; equal SNRs: each moves
    # qrs_off_snr_pull / 2, i.e. the symmetric pull with w = 1 - qrs_off_snr_pull). Odd LUDB
    # records, 250 Hz II + V5, each lead against its own marks: see docs/results_features.md
    # (round of 2026-11-30 late night, QRS offset). 0 = the symmetric w_qrs_off shrinkage.
    qrs_off_snr_pull: float = 0.35
    # ---- QRS onset before a notched first deflection, one or two leads (helper lbbb1) ---
    # The slope rule bridges gaps of at most qrs_gap_on between the significant slopes of a
    # complex; the plateau of a notched ("M-shaped") R in bundle branch block lasts longer,
    # so its first hump was cut off as another wave and the onset put on the plateau
    # (simulated LBBB, lead II alone: QRS_on 64 ms late on every beat, QRS 96 vs 156 ms).
    # A P wave close to the complex returns to the PR level first; the plateau does not.
    # qrs_notch.notched_onset re-attaches the significant run before the onset when the
    # signal from that run's largest deviation to the onset stays on its side of the level
    # where it began by at least qrs_notch_keep of that deviation (and the deviation exceeds
    # qrs_qon_amp_k x the noise), its start within qrs_notch_reach_s of the onset. Only with
    # at most qrs_qon_max_leads usable leads (12-lead records are untouched).
    qrs_notch_keep: float = 0.6  # share of the first hump's deviation the plateau keeps
    #                              (0 = off)
    qrs_notch_reach_s: float = 0.10  # the first hump starts at most this before the onset (s)
    qrs_notch_gap_s: float = 0.04  # ... and its last significant slope lies at most this
    #                              before the onset (s): the plateau of a notch is short, the
    #                              quiet PR segment after a P wave is usually longer
    qrs_notch_min_frac: float = 0.2  # ... and the first hump reaches at least this share of
    #                              the complex's peak-to-peak amplitude (onset to offset): a
    #                              smaller initial wave is a slur or a small r, which the
    #                              qrs_qon_* rules handle

    # -- QRS onset search stops at a P wave's end (helper "qon", round of 2026-12-01) -----
    # With a PR segment of 0-8 ms the slope rule (waves.qrs_bounds), searching back from the
    # complex's first significant slope until the slope magnitude falls below qrs_on, ran
    # through the P wave's descent (steeper than 3 % of the R wave's slope) to the P apex:
    # simulated onsets 24-44 ms early. That descent runs against the complex (the slope
    # changes sign at the P end); a run against the complex is part of it only as an initial
    # q wave, whose descent is short (qrs_qon_q_max_s). With one or two usable leads
    # (qrs_sret_max_leads), when the magnitude rule went back more than this (s) past the
    # last sample where the slope in the complex's own direction is below qrs_on, the
    # onset is that sample (waves.stop_before_wave_against), and the initial-deflection rule
    # (qrs.initial_deflection_onset) does not move it back. Odd LUDB records, 250 Hz II + V5:
    # QRS_on best lead 7.9 -> 7.5 ms, consensus 11.2 -> 9.5 (docs/results_features.md, round
    # of 2026-12-01, short PR segment).
    qrs_on_against_max_s: float = 0.024  # (s) a q wave's descent lasts < 20 ms
    #                              (qrs_qon_q_max_s); the run above qrs_on of the 4 ms central
    #                              slope of the 40 Hz band is ~4 ms longer. 0.02 / 0.028 gave
    #                              the same odd best-lead SD; 0 = off
    qrs_on_against_max_amp: float = 0.5  # ... and the stretch is smaller than this share of
    #                              the complex's peak-to-peak amplitude: a P wave is small
    #                              beside its QRS (P <= 0.25 mV in II, QRS >= 0.5 mV unless low
    #                              voltage), while the slow R upstroke of a wide beat whose
    #                              downstroke is its steepest slope is not (LUDB 105 V5: +80
    #                              and +96 ms without this check); 0.3 gave the same odd
    #                              figures, 0.2 worse (best lead 7.7)

    # ---- T search before a premature ventricular beat (helper "prem", round of 2026-12-01) --
    # A beat's repolarisation is set by its own cycle, not by the coupling interval of the
    # premature beat that follows it: bounding the T search at t_stop_rr of that short RR
    # cut the sinus T waves of ventricular bigeminy ~100 ms short (simulated QT 416 read
    # 317 ms). Where the next beat is premature (stages.premature_beats) and ventricular
    # (t_next_wide_s), the T search spans take their share of the beat's own cycle, the
    # longer of the RR before and after it, and stop this long before the next beat's
    # consensus QRS onset (s; the consensus onset, a low quantile of the leads' onsets, lies
    # up to ~10 ms after the earliest lead's; 0 read the simulated T ends 4 ms closer):
    t_next_qrs_guard_s: float = 0.01
    # a T end found within this of that stop lies under the next QRS: not in the signal
    # (NaN, "T end hidden by the next (premature) QRS"); two samples at the internal rate (s)
    t_hidden_tol_s: float = 0.004
    # ... only before a premature beat whose QRS is at least this much wider than the QRS
    # of the beat whose T is searched (s): a ventricular beat after a supraventricular one.
    # Before a premature atrial beat its P wave lies between the T and its QRS (CinC
    # JS20014, atrial bigeminy: the T search reached the PAC's P and read it as the T end,
    # +48 ms, and the PACs lost their P waves), so there the search keeps its t_stop_rr
    # share of the coupling interval. A PVC lasts >= 120 ms against a normal 80-100 ms;
    # the simulated PVCs are 40-70 ms wider than the sinus QRS
    t_next_wide_s: float = 0.03

    # ---- T search windows for long QT and fast rates (helper "tlong", round of 2026-12-01) --
    # The shares t_peak_rr / t_stop_rr and the cap t_peak_max_s fit a normal QT; they cut
    # long QT intervals silently (simulated long QT at 104-149 bpm: QTcF 377 for a true
    # 507 ms; at 40 bpm QT 468 for 626). Where the T wave is still unfinished at the end of
    # that first window, the search is widened to physiological bounds: the T wave ends no
    # later than R + t_qtc_max_s x RR^(1/3) (RR in s: Fridericia's rate correction,
    # Fridericia 1920; a QTc of 700 ms lies beyond the 500 ms of marked prolongation and
    # the 600 ms seen before torsade de pointes, Drew et al. 2010 AHA/ACCF scientific
    # statement on QT monitoring), its peak at least t_peak_end_min_s before that, and
    # always before the next beat's QRS onset less t_next_qrs_guard_s (every beat: a
    # T wave ends before the next depolarisation; a T end at that bound is hidden by the
    # next QRS, NaN with a reason). The widened search is kept for a lead only where its
    # T peak lies after the first window's peak span and stands taller than the first
    # window's T (the first window held only the T's up-slope).
    t_qtc_max_s: float = 0.70
    # T peak to T end (s): normal 80-100 ms (Tp-e); 60 ms leaves room for a steep, narrow T
    t_peak_end_min_s: float = 0.06
    # the widened search is kept only in beats where at least this share of the leads
    # show the later, taller T peak (LUDB odd+even per-lead T F1 fell ~1 point when each
    # lead decided alone: a flat T's lead found the next P wave)
    t_widen_lead_frac: float = 0.5
    # ... and only where the widened T peak lies at least this long before the next QRS
    # onset (s): a P wave peaks within the PR interval (120-200 ms) before the QRS onset,
    # ~60-100 ms after its own onset; CinC JS20017 (sinus tachycardia) lost its P waves to
    # the widened search without it
    t_widen_p_guard_s: float = 0.15
    # ... and only where the widened T stands this many times taller over its chord than
    # the first window's (a first window holding only the up-slope reads a small hump)
    t_widen_amp_ratio: float = 2.0

    # ---- QRS search-back in long RR gaps (helper "searchback", round of 2026-12-01) --------
    # A wide, low-slope PVC among sharp sinus beats can stay under qrs_threshold of the
    # reference envelope (simulated bigeminy, II+V5: 0.21-0.24 of it; all 6 PVCs lost, HR 38
    # for 76). A gap longer than searchback_rr_factor x the local RR is searched again at
    # searchback_threshold_ratio x qrs_threshold (Pan & Tompkins 1985: 1.66 x the RR average,
    # threshold halved; Hamilton & Tompkins 1986).
    searchback_rr_factor: float = 1.66
    searchback_threshold_ratio: float = 0.5
    # local RR: median of the detected RR intervals, this many on each side of the gap
    # (Pan & Tompkins average the 8 most recent) ...
    searchback_rr_beats: int = 4
    # ... capped at this RR (s) so that a rhythm in which every PVC was lost (bigeminy read
    # as a regular 38 bpm, gap 1.58 s) is searched too: gaps over 1.66 x 0.85 = 1.41 s are
    # searched whatever the rhythm (simulated sbrad 40-56 bpm: no false beat)
    searchback_rr_max_s: float = 0.85
    # a search-back candidate lies at least this long before the next beat (s): a P wave
    # peaks within the PR interval before the QRS (PR 120-200 ms, up to ~300 ms in 1st-degree
    # AV block)
    searchback_before_next_s: float = 0.30

    # ---- paced QRS onset after the spike's recharge tail (helper "paceon", round of
    # 2026-12-01 ninth) ---------------------------------------------------------------------
    # The QRS onset is the onset of ventricular depolarisation: after a pacing pulse the
    # pulse's recharge tail (exponential, a few ms) and the stimulus-to-QRS latency (normally
    # up to ~40 ms) are not part of it. After the pulse is replaced by a straight line the
    # tail is the first slope left, and the slope rule ran through the latency onto it
    # (simulated 20 ms latency: every onset at the spike's end, 16 ms early).
    # spikes.onsets_after_recharge searches a paced onset after the tail's end: the flattest
    # raw slope after the tail's steepest one, within this long of the spike's end (s;
    # a 10 ms tail, as simulated, ends well within it); 0 turns it off. Simulated pacing
    # (benchmarks/pacing_onset_latency.py), global onset error at 500 Hz, 12 leads: latency
    # 20 ms -16 -> -4 ms, 30 ms -26 -> -4..-14 ms, 4 ms 0 -> 0 ms; odd LUDB 12-lead per-lead
    # QRS_on F1 0.9819 -> 0.9820, SD 8.68 -> 8.56 ms (docs/results_features.md, "Round of
    # 2026-12-01 (ninth): paced QRS onsets").
    paced_tail_max_s: float = 0.02
    # ... and a lead's onset is moved only where the lead is back within this of its
    # pre-spike level at the new onset (mV): an isoelectric latency (20 uV, about the
    # smallest deflection read on a diagnostic ECG and a few times a recorder's noise). A
    # complex that began during the tail has left that level already and keeps its onset
    # at the spike's end (simulated 4 ms latency: +2..+12 ms late without this test, 0 with
    # it); the consensus onset moves only when most leads with a new onset show the latency.
    paced_iso_mv: float = 0.02
    # ---- QRS offset after a notched terminal S wave, one or two leads (helper notchoff) --
    # The mirror of qrs_notch_* (onset): in right bundle branch block the terminal S of
    # the lateral / inferior leads is slurred and may be notched (S tip, a partial return
    # that stays raised, a second trough, a slow return); its slopes lie below qrs_off of
    # the R wave's, so the slope rule ended the QRS at the first S tip (simulated RBBB,
    # lead II alone: QRS 62-66 vs 120-130 ms). A T wave starts from the ST level; the notch
    # stands raised on the complex's side of the level where the complex began.
    # qrs_notch.notched_offset moves the offset to the end of the following significant
    # run (stages.qrs_stage, with at most qrs_qon_max_leads usable leads only).
    qrs_noff_keep: float = 0.6   # share of the offset's deviation the notch keeps (0 = off)
    qrs_noff_sig: float = 0.05   # the run's slopes exceed this share of the complex's
    #                              largest slope (and qrs_sig_noise_k x the slope noise)
    qrs_noff_gap_s: float = 0.02  # ... its first such slope within this after the offset (s)
    qrs_noff_reach_s: float = 0.08  # ... and it ends within this after the offset (s)
    qrs_noff_min_frac: float = 0.1  # the offset deviates from the onset's level by at least
    #                              this share of the complex's peak-to-peak amplitude
    qrs_noff_return: float = 1.0  # ... and the run ends nearer the level than this share of
    #                              the offset's deviation (an inverted T deepens). Odd records,
    #                              II + V5, lead-beats moved (closer / further to own marks):
    #                              1.0: 70 (43 / 27), 0.5: 44 (29 / 15), 0.25: 25 (19 / 6); the
    #                              proxy best-lead / two-lead-ref QRS_off SD 9.0 / 8.2, 9.1 / 8.3,
    #                              9.2 / 8.5 (no rule 9.2 / 8.4); 0.25 loses simulated RBBB beats
    # ---- the global QRS offset after a notched terminal S (helper qoff) -----------------
    # stages.qrs_stage applies qrs_notch.notched_offset to the slope rule's offsets BEFORE
    # the two-lead pull (qrs_off_snr_pull) and the global offset is the latest over the
    # usable leads (cons_q_few = 0), moved offsets included. Gated by the definition of
    # complete RBBB (Surawicz et al. 2009, AHA/ACCF/HRS part III): QRS >= 120 ms, and a
    # terminal S that is a wave of the complex (slurred / notched), not the ST-T segment.
    qrs_noff_min_qrs_s: float = 0.12  # the moved complex (global onset to the moved offset)
    #                              lasts at least this (s); 0 = no width gate
    qrs_noff_trough: float = 0.0  # after the notch the signal turns away from the level
    #                              again by at least this share of the offset's deviation
    #                              (a second trough; a T upstroke only approaches the level)
    qrs_noff_s_only: bool = True  # only an offset that stands below the onset's level (in an
    #                              S wave) moves: the slurred terminal wave of RBBB in the
    #                              lateral and inferior leads is an S; a raised offset after
    #                              the R (an R tail, a J bump, a raised ST) is no conduction
    #                              delay (odd LUDB, II + V5: 91, 103, 59 moved 24-56 ms late)
    qrs_noff_global: bool = True  # the global offset follows the moved offsets (the latest
    #                              over the leads, as the QRS duration is defined: earliest
    #                              onset to latest offset over the leads). On (lead's decision):
    #                              with it off, lead II alone or II + V5 read complete RBBB as a
    #                              narrow QRS (PTB-XL 195, 12 leads 162 ms: II + V5 77 -> 138,
    #                              II 66 -> 137; PTB-XL 188: II + V5 95 -> 134; simulated RBBB
    #                              II alone -2.6 +- 12.7 -> +0.2 +- 3.5 ms). Cost: the proxy's
    #                              own guard that scores the global offset against EACH lead's
    #                              mark within 40 ms (II + V5, mz_global per lead: odd 0.9467 ->
    #                              0.9462, held-out 0.9517 -> 0.9489) -- where the two leads'
    #                              QRS ends lie 30-50 ms apart the defined end falls outside the
    #                              earlier lead's tolerance; against the two-lead reference
    #                              (latest mark) the held-out SD improves 11.8 -> 11.7. Odd
    #                              records: 2 global beats moved, both towards the marks (101:
    #                              -39 -> 0 ms); held-out: 12 moved, 8 closer (52: -4 -> +68)
    # --- helper qcons2 (tenth round): the two-lead global QRS end -- a later lead pushes it
    # only as far as its own slope stays visible above its slope noise (the global end is
    # the latest end over the leads where the QRS end is visible; CSE, IEC 60601-2-51).
    # consensus.visible_later_end. 0 = off (every output as before).
    qrs_cons2_visible_k: float = 0.0  # multiple of the later lead's slope noise
    qrs_cons2_visible_each: bool = False  # the same trim for every lead (one or two leads),
    #                              back to the lead's own R peak at most: the global end is
    #                              the latest of the leads' visible ends, so adding a lead
    #                              can never shorten it (consensus.visible_ends)
    # ---- the T end of a broad T wave (helper tqt) -------------------------------------
    # The trapezium reference (``t_ref_off``) is a fixed span after the steepest return of
    # the T; the area it bounds has its maximum at the T end only where the reference lies
    # beyond the end (Vazquez-Seisdedos et al. 2011). A T wave twice as wide returns over
    # twice the time, so a fixed 90 ms reference puts the end on the descending limb (a
    # symmetric T of 440 ms read 60 ms early). The reference (and the span searched for the
    # steepest return) is scaled with the T's own width: ``t_ref_width_k`` x the time from
    # the T peak to where the T has fallen to half its height (each lead's median over its
    # beats), never below ``t_ref_off`` and never above ``t_ref_off_max_s``. 0 = the fixed
    # reference. Why 1.5: in a symmetric T the steepest return lies at the half-height
    # point and the end one half width after it, so the reference must lie more than one
    # half width after the steepest return (k > 1); 1.5 leaves half a half width of margin.
    # Normal T waves (half width <= 60 ms) keep the fixed 90 ms. Odd LUDB, 250 Hz II + V5
    # (best lead / consensus vs the two-lead reference T_off SD, ms): fixed 20.0 / 22.5;
    # k 1.25: 18.9 / 20.7, 1.5: 19.0 / 20.8, 2: 18.9 / 21.0 (12-lead odd global T_off F1
    # 0.9845 -> 0.9839 at 2, unchanged at 1.5). Simulated exact ends:
    # ``benchmarks/delineation_t_consensus.py --sim-width``; docs/results_features.md.
    t_ref_width_k: float = 1.5
    t_ref_off_max_s: float = 0.20  # (s) the descending half of the broadest T waves of
    #                              long QT (QT ~600 ms) lasts ~150-200 ms
    # ---- the terminal S as a distinct lobe (helper qoff2) ---------------------------------
    # qrs_noff_min_qrs_s gates the notched-offset move at the definition's 120 ms, and
    # qrs_noff_min_frac asks the notch to stand 10 % of the complex away from the level: a
    # tachycardic RBBB whose moved complex reads 100-119 ms (true 116-124 ms) and a shallow
    # notch in V5 (8 % of the complex) stayed at the first S tip, 25-60 ms early. Where the
    # signal itself shows the terminal S as a distinct lobe -- after the notch it departs
    # from the level again (a second trough) by at least qrs_noff_lobe_trough of the
    # offset's deviation and by more than qrs_qon_amp_k x the noise, which a T upstroke
    # rising from the ST level does not -- a moved complex of qrs_noff_lobe_min_qrs_s and a
    # notch of qrs_noff_lobe_min_frac suffice. Chosen on simulated records (exact truth) and
    # the odd LUDB records (II + V5, 250 Hz): stach+rbbb noise 0.5, lead II alone, global
    # QRS_off -26.9 / 30.3 -> -15.5 / 25.8 ms, II + V5 -17.6 / 21.0 -> -10.3 / 17.5; normal
    # and lbbb identical; odd LUDB: 23 (RBBB) V5 -56..-64 -> -2..-12 ms (6 beats), 107 II
    # -24..-30 -> -8..+2 (3 beats); trough share 0.1 and 0.2 the same, 0.4 fewer.
    # qrs_noff_lobe_min_qrs_s = 0 turns the lobe path off.
    qrs_noff_lobe_min_qrs_s: float = 0.10  # a moved complex (global onset to the moved
    #                              offset) of at least this (s) passes with a distinct lobe
    qrs_noff_lobe_trough: float = 0.2  # the second trough deepens beyond the notch by at
    #                              least this share of the offset's deviation from the level
    qrs_noff_lobe_min_frac: float = 0.05  # with such a lobe the offset's deviation may be
    #                              as small as this share of the complex's peak-to-peak

    # ---- T-P fusion at fast rates (helper "pfix", round of 2026-12-01 tenth; user17
    # finding 4). Where the previous T wave ends later than the P search would start, the
    # search starts at that T end (p_waves); a P that began under the T (no isoelectric
    # T-P segment before it) then has its onset placed at the T end, late: simulated sinus
    # tachycardia read PR -21 ms at 140 bpm and -35 ms at 150 (truth P onset 32-64 ms before
    # the previous T end). Such an onset is not in the signal: NaN with a reason.
    p_tp_min_s: float = 0.015  # where the P search starts at the previous T end, a beat's
    #                              consensus P onset less than this after that T end has no
    #                              isoelectric T-P segment before it: an onset cut by the T
    #                              (fused), NaN. Decided on simulated sinus rhythm at 80-150 bpm,
    #                              6 seeds each (truth: P onset before the previous T end in
    #                              281 of 670 beats; against the reported T end): < 10 ms
    #                              flags 69 of them and 0 others, < 15 ms 222 and 3, < 20 ms
    #                              280 and 18 -- but 20 ms also flags a sum-of-Gaussians record
    #                              at 120 bpm whose true T-P segment is 18 ms
    #                              (tests/test_delineation.py::test_rates_40_to_200_bpm). 0 = off
    p_fused_level: float = 0.0  # ... and (when > 0) whose onset stands, median over its P
    #                              leads, at least this share of the P height above the
    #                              QRS-onset level (on the T's limb). Off: tried at 0.1-0.25,
    #                              it halved the fused beats found at 140-150 bpm (a fused onset
    #                              often sits in the T-P trough, at the baseline level)
    p_fused_room_s: float = 0.12  # less than this between the previous T end and the QRS
    #                              onset holds no P wave with its PR segment (P 80-120 ms, PR
    #                              segment >= ~40 ms): a beat without a P found there has its P
    #                              hidden in the T (T-P fusion; its absence is not evidence).
    #                              Simulated sinus tachycardia at 140-150 bpm whose P was not
    #                              found: 47-102 ms; at 120 bpm ~160 ms. 0 = off
    # ---- a T end at the search stop is not in the signal (helper tstop, issue 10) ---------
    # The widened long-QT search (t_qtc_max_s) keeps a T only where it is a hump, falling
    # to half its height within t_halfwidth (0.16 s) of its peak on both sides; a long-QT
    # T of 530-580 ms (QT 650-700 ms, T from R + 120 ms, rising over 65 % of its width)
    # reaches half height ~190 ms before its peak, so the widened search was dropped and the
    # first window's up-slope was read as the T (simulated QT 700 at 40 bpm: global T end
    # -250..-280 ms, the signal there at ~60 % of the T height). The widened search allows
    # this half width (s; 0 = t_halfwidth). 0.20 admits the 580 ms T; 0.25 also admitted
    # LUDB 29's fused T + U hump in lead II in two more beats (QT 406 -> 538-574 ms, the
    # other leads' T ends ~400 ms; tests/test_delineation_lead_monotone.py).
    t_widen_halfwidth_s: float = 0.20
    # The first T search stops at R + min(t_stop_rr x RR, t_window_s). Where a lead's T end
    # lies within t_open_near_s of that stop (not the next QRS: that is "hidden"), or the
    # trapezium reference was cut by it, and the 0.5-15 Hz signal AT the stop still stands
    # more than t_open_k x the lead's repolarisation noise (waves.repolarisation_noise) off
    # the post-T baseline (the next beat's PR-segment level), the boundary search is
    # repeated to the long-QT bound (R + t_qtc_max_s x RR^(1/3), the next QRS onset less
    # its guard) with the long-QT peak span, kept where it finds the same T peak; a T end
    # still at a stop is NaN ("T end at the search stop"). 0 = off (the default): on the
    # odd LUDB records (250 Hz II + V5) it moved best-lead T_off SD 17.7 -> 16.8 ms (Se
    # 0.991 -> 0.990; consensus vs the two-lead reference 20.6 -> 20.2, Se 0.978 -> 0.974),
    # but with t_open_k 3 LUDB 29 lead II read its U hump as the T in two more beats (the
    # lead-monotone test fails) -- not resolved in the tenth round; see
    # docs/results_features.md. A T end read 6-66 ms before a stop on a slow descent (the
    # chord of the peak span standing on the T) is why t_open_near_s is wider than
    # t_hidden_tol_s.
    t_open_k: float = 0.0
    t_open_near_s: float = 0.08
