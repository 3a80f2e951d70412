"""The feature data dictionary: name, unit, kind, dtype, definition and reference of every column.

The dictionary ships with the package as ``interp_ecg/data/feature_dictionary.csv`` and is
the single description of the record table that :func:`interp_ecg.features.extract` writes.
``kind`` is ``feature`` (a measurement a model may use), ``quality`` (signal quality and
beat counts) or ``provenance`` (where an interval was measured: lead, beat, samples). ``normal_low``,
``normal_high`` and ``normal_reference`` give the adult normal range of a measurement where a
published one exists (empty otherwise; a missing bound means the range is open on that side);
:func:`normal_ranges` returns them as numbers.

Each row also says which ``lead`` and ``wave`` the column belongs to and how to write its name
(``label``, ``display_name``); :func:`feature_spec` turns a column name into a
:class:`FeatureSpec` from these columns, and is the package's one parser of feature names.

The CSV is generated from :func:`dictionary_rows`; regenerate it after changing a definition
with ``python -m interp_ecg.features.dictionary``.

Examples
--------
>>> from interp_ecg.features import feature_dictionary, normal_ranges
>>> d = feature_dictionary()
>>> d.loc["QTc_Bazett_ms", "unit"]
'ms'
>>> int((d["kind"] == "feature").sum()) >= 100
True
>>> normal_ranges().loc["QRS_duration_ms", ["normal_low", "normal_high"]].tolist()
[nan, 120.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from interp_ecg.io.leads import STANDARD_LEADS

REF_12SL = "GE Healthcare, Marquette 12SL ECG Analysis Program Physician's Guide (2017)"
REF_TASKFORCE = "Task Force of the ESC and NASPE, Heart rate variability, Circulation 93:1043 (1996)"
REF_AHA = "Kligfield P et al., Recommendations for the standardization and interpretation of the ECG, Part I, Circulation 115:1306 (2007)"
REF_DAS = "Das MK et al., Significance of a fragmented QRS complex versus a Q wave, Circulation 113:2495 (2006)"
REF_MEDIAN = "Median beat of the dominant beats (each beat cut at its cross-correlation-aligned anchor, features.median_beat), as in 12SL and the Glasgow program (Macfarlane PW, Comprehensive Electrocardiology, 2011)"
REF_QRS_WAVES = ("Waves named by the classical QRS nomenclature as used by Surawicz B et al., AHA/ACCF/HRS recommendations Part III, Circulation 119:e235 (2009); "
                 "minimum wave of IEC 60601-2-51:2003 Annex GG.5; on the " + REF_MEDIAN[0].lower() + REF_MEDIAN[1:] + ")")
REF_PACING = "Kligfield P et al., AHA/ACCF/HRS recommendations Part I, Circulation 115:1306 (2007), pacemaker-spike detection; thresholds in interp_ecg.features.pacing (this package)"
REF_QUALITY = "interp_ecg.features.quality thresholds (this package)"
REF_SURAWICZ = "Surawicz B et al., AHA/ACCF/HRS recommendations Part III: intraventricular conduction disturbances, Circulation 119:e235 (2009)"
REF_RAUTAHARJU = "Rautaharju PM et al., AHA/ACCF/HRS recommendations Part IV: the ST segment, T and U waves, and the QT interval, Circulation 119:e241 (2009)"
REF_HANCOCK_LVH = "Hancock EW et al., AHA/ACCF/HRS recommendations Part V: ECG changes associated with cardiac chamber hypertrophy, Circulation 119:e251 (2009)"
REF_GOLDBERGER = "Goldberger AL, Goldberger ZD, Shvilkin A, Goldberger's Clinical Electrocardiography, 9th ed., Elsevier (2017)"
REF_REVERSAL = "Batchvarov VN, Malik M, Camm AJ, Incorrect electrode cable connection during ECG recording, Europace 9:1081 (2007)"

_GLOBAL = [
    # name, unit, kind, dtype, definition, reference
    ("heart_rate_bpm", "bpm", "feature", "float", "Mean heart rate, 60000 / RR_mean_ms, over the RR intervals between successive consensus beats (as for RR_mean_ms).", REF_AHA),
    ("RR_mean_ms", "ms", "feature", "float", "Mean of all RR intervals between successive consensus beats, each beat at the same point of its QRS (the dominant beats aligned on the dominant template by cross-correlation, the others at their consensus R peak; beat table anchor_aligned, see interp_ecg.features.beat_classes). A beat cut by the record edge through its QRS (no QRS onset found at the start, no offset at the end) gives no interval: its R position is not known (record_measure.edge_cut_beats; quality_reason says so).", REF_TASKFORCE),
    ("RR_sd_ms", "ms", "feature", "float", "Standard deviation (ddof=1) of all RR intervals, PVCs included (measured as for RR_mean_ms); not a normal-to-normal statistic: in a rhythm without sinus P waves (atrial fibrillation), where SDNN_ms is NaN, it is the variability of the ventricular response.", REF_TASKFORCE),
    ("RR_min_ms", "ms", "feature", "float", "Shortest RR interval between successive consensus beats (measured as for RR_mean_ms).", REF_TASKFORCE),
    ("RR_max_ms", "ms", "feature", "float", "Longest RR interval between successive consensus beats (measured as for RR_mean_ms).", REF_TASKFORCE),
    ("SDNN_ms", "ms", "feature", "float", "Standard deviation (ddof=1) of normal-to-normal (NN) intervals: both beats dominant and neither premature (RR before it under 80 % of the median of up to 4 neighbouring RR intervals on each side and of the longer adjacent interval, or under 90 % of that median and of the on-time interval before it and followed by a pause over 110 % of the median, coupling + pause at most 2.1 times it: rhythm.SHORT_LONG_FRACTIONS; a beat without a P wave needs no pause; atrial premature beats have the dominant QRS shape and are taken out this way, with the intervals next to them; rhythm.normal_to_normal). NN intervals are between sinus beats: defined only when a consensus P wave precedes more than half of the dominant, non-paced beats (rhythm.sinus_rhythm); otherwise (atrial fibrillation or flutter, junctional, supraventricular or ventricular rhythm, P waves not found) SDNN_ms, RMSSD_ms and pNN50 are NaN with that reason in quality_reason, and the ventricular response's variability is in RR_sd_ms and RR_irregularity; each interval taken between the same point of the two QRS complexes (the dominant beats aligned on the dominant template by cross-correlation, not the consensus R peak, which can be a different wave from beat to beat); ultra-short-term on a 10 s ECG. NaN with fewer than 5 NN intervals (rhythm.MIN_NN_INTERVALS; the SD of n intervals has a relative standard error of about 1/sqrt(2(n-1)), 35 % at 5), with the count in quality_reason.", REF_TASKFORCE),
    ("RMSSD_ms", "ms", "feature", "float", "Root mean square of the successive differences of normal-to-normal intervals (two NN intervals in a row; NN as for SDNN_ms). NaN when the rhythm is not sinus (as for SDNN_ms). NaN, with the count in quality_reason, with fewer than 5 successive differences (rhythm.MIN_NN_INTERVALS).", REF_TASKFORCE),
    ("pNN50", "%", "feature", "float", "Percent of the successive differences of normal-to-normal intervals (as for RMSSD_ms) larger than 50 ms. NaN when the rhythm is not sinus (as for SDNN_ms). NaN, with the count in quality_reason, with fewer than 5 successive differences (rhythm.MIN_NN_INTERVALS); from n differences it moves in steps of 100/n points (20 at 5), a coarse figure on a 10 s ECG.", REF_TASKFORCE),
    ("RR_irregularity", "1", "feature", "float", "Root mean square of the successive differences of the RR intervals between two dominant beats (premature supraventricular beats included, unlike RMSSD_ms: the rhythm's irregularity) divided by their mean (normalised RMSSD; high in atrial fibrillation). NaN, with the count in quality_reason, when fewer than 5 such intervals have such a neighbour.", "Dash S et al., Automatic real time detection of atrial fibrillation, Ann Biomed Eng 37:1701 (2009)"),
    ("PVC_count", "count", "feature", "float", "Beats labelled premature ventricular complexes: QRS morphology differs from the median of the dominant beats (r < 0.85 over -60..+100 ms, all usable leads, on a 2 ms grid whatever the sampling rate, at the best alignment within +-40 ms; the dominant beats are the latest-coming of the morphology classes of at least 2 beats and at least half as large as the largest, see interp_ecg.features.beat_classes) and the beat is premature (RR < 85 % of the dominant cycle) or wide (QRS > the dominant median + 30 ms). NaN when the record has no dominant beat class (no QRS shape shared by two beats; reason in quality_reason).", REF_12SL),
    ("PVC_per_min", "1/min", "feature", "float",
     "PVC_count per minute of recorded time: the record less its all-lead dropout gaps and the "
     "stretches in which every lead is flat (start and end included), where no beat could be seen.",
     REF_12SL),
    ("paced", "0/1", "feature", "float", "1 when at least 2 pacemaker spikes were found (steep, narrow, isolated deflections in >= 2 leads at once; see interp_ecg.features.pacing), else 0. 0 means no spike found, not no pacemaker: bipolar spikes are often too small after the recorder's filters. NaN below 125 Hz when no spike was found (a 0.1-2 ms pulse cannot be seen with a sample every 8 ms or more, e.g. PTB-XL records100), and quality_reason says so. The spikes are removed before delineation.", REF_PACING),
    ("pacing_spike_count", "count", "feature", "float", "Pacemaker spikes found in the record (edge >= 0.2 mV/ms, rise >= 0.25 mV, back within 8 ms, >= 20 x the surrounding sample-to-sample change, in >= 2 leads within 2 ms). NaN where paced is NaN (below 125 Hz).", REF_PACING),
    ("P_wave_presence_fraction", "1", "feature", "float", "Share of non-PVC beats with a consensus P wave (0 in atrial fibrillation, 1 in sinus rhythm). A beat whose P wave is not time-locked to its QRS counts as without one; when no P wave is time-locked in the record (AF or flutter, or a PR that varies, e.g. with atrial premature beats) it reads 0 and quality_reason says so. NaN when the P waves are hidden in the preceding T waves in half the beats (fast rates: less than 120 ms from the T end to the QRS onset), with a sentence.", REF_12SL),
    ("P_duration_ms", "ms", "feature", "float", "Median over dominant beats of consensus P offset minus P onset (consensus: the median of the agreeing leads' P bounds with three or more leads, not the earliest onset/latest offset of the standard definition, which noisy per-lead bounds inflate; see delineation Params.p_cons_q); NaN when P is found in under half of them. Measured on the dominant median beat where PR_interval_ms is (frequent PVCs, see there). No normal range is given: the 120 ms left-atrial-abnormality cut (Hancock et al., Circulation 119:e251, 2009) is for the standard P duration, earliest onset to latest offset over the leads, which is longer (simulated records: this measure reads 30 ms under it, median over 20 records, and never reached 120 ms where the standard one did in 19 of 20).", REF_AHA),
    ("PR_interval_ms", "ms", "feature", "float", "Median over dominant beats of the consensus QRS onset minus the consensus P onset (with three or more leads the median of the agreeing leads' P onsets, delineation Params.p_cons_q; the QRS onset is the earliest reliable lead's, Params.cons_q). It estimates the standard PR, from the earliest P onset in any lead to the earliest QRS onset: against LUDB's cardiologists (earliest P-onset mark over the 12 leads to the earliest QRS-onset mark, 175 records) it reads 0 ms (median; MAE 8.9 ms), where starting at the earliest agreeing lead's own P onset read +7 ms (MAE 10.6 ms), because the earliest of several noisy per-lead onsets lies early; on the simulator's records (whose leads' P onsets are almost simultaneous) it reads 8 ms short (median, 21 noise-free records; benchmarks/pr_reference.py). NaN when P is absent in over half of them. With frequent PVCs (>= 25 % of beats) over a regular dominant rhythm (bigeminy), measured on the dominant beats' median beat when the beat-by-beat delineation found no P (provenance lead 'global').", REF_AHA),
    ("QRS_duration_ms", "ms", "feature", "float", "Median over dominant beats of consensus QRS offset (latest reliable lead) minus QRS onset (earliest reliable lead).", REF_AHA),
    ("QT_interval_ms", "ms", "feature", "float", "Median over dominant beats of consensus T offset minus QRS onset, over the beats whose QRS onset and offset were both found (no QT without a delimited QRS); NaN when under half of them.", REF_RAUTAHARJU),
    ("JT_interval_ms", "ms", "feature", "float", "Median over dominant beats of consensus T offset minus QRS offset, over the beats whose QRS onset and offset were both found.", REF_RAUTAHARJU),
    ("T_peak_to_end_ms", "ms", "feature", "float", "Median over dominant beats of consensus T offset minus T peak (Tpeak-Tend).", "Gupta P et al., T-peak to T-end interval, Am Heart J 155:1095 (2008)"),
    ("QTc_Bazett_ms", "ms", "feature", "float", "QT_interval_ms / sqrt(RR in s), RR = RR_mean_ms. NaN, with the reason in quality_reason, in an irregular rhythm without sinus P waves (P wave before at most half the dominant beats and RR between dominant beats with a median absolute deviation over 6 % of their median, as in atrial fibrillation: one median-beat QT over the mean RR is not the corrected QT of any beat; rhythm.qtc_rhythm_note), or with RR_mean_ms outside 200-3000 ms (measurements.QTC_RR_RANGE_MS).", "Bazett HC, An analysis of the time-relations of electrocardiograms, Heart 7:353 (1920)"),
    ("QTc_Fridericia_ms", "ms", "feature", "float", "QT_interval_ms / cube root(RR in s), RR = RR_mean_ms. NaN, with the reason in quality_reason, in an irregular rhythm without sinus P waves (P wave before at most half the dominant beats and RR between dominant beats with a median absolute deviation over 6 % of their median, as in atrial fibrillation: one median-beat QT over the mean RR is not the corrected QT of any beat; rhythm.qtc_rhythm_note), or with RR_mean_ms outside 200-3000 ms (measurements.QTC_RR_RANGE_MS).", "Fridericia LS, Die Systolendauer im Elektrokardiogramm, Acta Med Scand 53:469 (1920)"),
    ("QTc_Framingham_ms", "ms", "feature", "float", "QT_interval_ms + 154 * (1 - RR in s), RR = RR_mean_ms. NaN, with the reason in quality_reason, in an irregular rhythm without sinus P waves (P wave before at most half the dominant beats and RR between dominant beats with a median absolute deviation over 6 % of their median, as in atrial fibrillation: one median-beat QT over the mean RR is not the corrected QT of any beat; rhythm.qtc_rhythm_note), or with RR_mean_ms outside 200-3000 ms (measurements.QTC_RR_RANGE_MS).", "Sagie A et al., An improved method for adjusting the QT interval for heart rate, Am J Cardiol 70:797 (1992)"),
    ("QTc_Hodges_ms", "ms", "feature", "float", "QT_interval_ms + 1.75 * (heart_rate_bpm - 60). NaN, with the reason in quality_reason, in an irregular rhythm without sinus P waves (P wave before at most half the dominant beats and RR between dominant beats with a median absolute deviation over 6 % of their median, as in atrial fibrillation: one median-beat QT over the mean RR is not the corrected QT of any beat; rhythm.qtc_rhythm_note), or with RR_mean_ms outside 200-3000 ms (measurements.QTC_RR_RANGE_MS).", "Hodges M et al., Bazett's QT correction reviewed, J Am Coll Cardiol 1:694 (1983)"),
    ("QT_dispersion_ms", "ms", "feature", "float", "Largest minus smallest per-lead median QT (each lead's own QRS onset to T offset) over usable leads with T offsets in at least half the beats. Defined over the 12-lead ECG: NaN, with the reason in quality_reason, when fewer than 8 leads have a measurable QT (a common minimum in QT-dispersion studies, which set aside ECGs with fewer measurable leads because the range depends on the number of leads measured; Malik M, Batchvarov VN, Measurement, interpretation and clinical potential of QT dispersion, J Am Coll Cardiol 36:1749 (2000)); with 2-3 leads the range of a few QTs is not a dispersion.", "Day CP et al., QT dispersion, Br Heart J 63:342 (1990)"),
    ("P_axis_deg", "deg", "feature", "float", "Frontal P axis: direction of the vector whose projections best fit (least squares, hexaxial leads) the net P areas of the limb-lead median beats; -180..180, +90 = aVF. NaN, with the reason in quality_reason, when the limb leads are not on one scale (quality_limb_lead_residual above 0.10).", REF_AHA),
    ("QRS_axis_deg", "deg", "feature", "float", "Frontal QRS axis from the net QRS areas of the limb-lead median beats (least squares over the hexaxial leads); -180..180. NaN, with the reason in quality_reason, when the limb leads are not on one scale (quality_limb_lead_residual above 0.10).", REF_AHA),
    ("T_axis_deg", "deg", "feature", "float", "Frontal T axis from the net T areas of the limb-lead median beats; -180..180. NaN, with the reason in quality_reason, when the limb leads are not on one scale (quality_limb_lead_residual above 0.10).", REF_AHA),
    ("QRS_T_angle_deg", "deg", "feature", "float", "Absolute frontal QRS-T angle, |QRS_axis - T_axis| wrapped to 0..180. NaN, with the reason in quality_reason, when the limb leads are not on one scale (quality_limb_lead_residual above 0.10).", "Zhang ZM et al., Spatial/frontal QRS-T angle, Am J Cardiol 100:844 (2007)"),
    ("Sokolow_Lyon_mV", "mV", "feature", "float", "|S V1| + max(R V5, R V6) on the median beats (LVH when >= 3.5 mV); NaN unless V1, V5 and V6 were all measured (a lead set aside as flat, clipped or noisy, or not recorded, leaves it unknown). NaN, with the reason in quality_reason, when the limb leads are not on one scale (quality_limb_lead_residual above 0.10).", "Sokolow M, Lyon TP, The ventricular complex in left ventricular hypertrophy, Am Heart J 37:161 (1949)"),
    ("Cornell_voltage_mV", "mV", "feature", "float", "R aVL + |S V3| on the median beats (LVH when > 2.8 mV in men, > 2.0 mV in women); NaN unless aVL and V3 were both measured. NaN, with the reason in quality_reason, when the limb leads are not on one scale (quality_limb_lead_residual above 0.10).", "Casale PN et al., Improved sex-specific criteria of LVH, Circulation 75:565 (1987)"),
    ("Cornell_product_mVms", "mV*ms", "feature", "float", "Cornell_voltage_mV x QRS_duration_ms, not adjusted for sex: Molloy et al. add 0.6 mV to the Cornell voltage of women before multiplying, so that one cut-off (LVH above 244 mV*ms, 2440 mm*ms) serves both sexes; for a woman this column is 0.6 mV x QRS_duration_ms (about 55-60 mV*ms at 95 ms) below Molloy's product (add it before comparing with 244). NaN, with the reason in quality_reason, when the limb leads are not on one scale (quality_limb_lead_residual above 0.10).", "Molloy TJ et al., Electrocardiographic detection of LVH by the Cornell product, J Am Coll Cardiol 20:1180 (1992)"),
    ("Sokolow_Lyon_RVH_mV", "mV", "feature", "float", "R V1 + max(|S V5|, |S V6|) on the median beats (RVH when >= 1.05 mV); NaN unless V1, V5 and V6 were all measured. NaN, with the reason in quality_reason, when the limb leads are not on one scale (quality_limb_lead_residual above 0.10).", "Sokolow M, Lyon TP, Am Heart J 38:273 (1949)"),
    ("QRS_fragmented", "0/1", "feature", "float", "1 when QRS_notches_<lead> > 0 in at least two contiguous leads (inferior II/III/aVF, lateral I/aVL/V5/V6, anterior V1-V5); NaN when no lead was measurable, and NaN rather than 0 when a lead was set aside (flat, clipped, noisy) and no fragmentation is found in the others. Bundle branch blocks are not excluded.", REF_DAS),
    ("QRS_notched_lead_count", "count", "feature", "float", "Number of leads whose median-beat QRS has at least one notch; NaN when a lead was set aside (flat, clipped, noisy).", REF_DAS),
    ("QRS_notches_total", "count", "feature", "float", "Sum of QRS_notches_<lead> over the leads; NaN when a lead was set aside (flat, clipped, noisy).", REF_DAS),
    ("ST60_max_elevation_mV", "mV", "feature", "float", "Largest ST60_amp_mV over the twelve standard leads, floored at 0; NaN unless all twelve were recorded and none was set aside (a lead not recorded, or set aside as flat, clipped or noisy, could hold the largest elevation; leads such as MLII or ECG1 do not count).", REF_RAUTAHARJU),
    ("ST60_max_depression_mV", "mV", "feature", "float", "Most negative ST60_amp_mV over the twelve standard leads, capped at 0; NaN unless all twelve were recorded and none was set aside (as ST60_max_elevation_mV).", REF_RAUTAHARJU),
]

_PER_LEAD = [
    ("P_amp_mV", "mV", "Signed extreme of the lead's median beat between consensus P onset and offset, relative to the PR-segment baseline (20 ms ending 5 ms before QRS onset); NaN when P is absent. The lead's baseline wander is removed before the median beat by a cubic spline through the PR-segment levels of the dominant beats (Meyer CR, Keiser HN, Comput Biomed Res 10:459, 1977; features.median_beat.isoelectric_baseline), so the wander's slope inside a beat does not reach the ST segment and T wave; the spline follows wander up to about half the heart rate's frequency (0.3 Hz at 60 bpm), not faster.", REF_MEDIAN),
    ("Q_amp_mV", "mV", "Q wave of the median-beat QRS: the deepest negative wave before the first R wave, relative to baseline (<= 0; 0 without a Q wave and in a QS complex, which is reported as S). A wave departs from the baseline by >= 0.05 mV, stays >= 0.03 mV away for >= 6 ms and comes back (IEC 60601-2-51 minimum wave; see R_amp_mV); the ST segment rising or falling to the J point at the QRS offset is not a wave.", REF_QRS_WAVES),
    ("R_amp_mV", "mV", "Largest R wave (R or R') of the median-beat QRS relative to baseline (>= 0; 0 in a QS complex). A positive deflection is an R wave when it reaches 0.05 mV, stays >= 0.03 mV for >= 6 ms and comes back by >= 0.05 mV before the QRS offset (or, cut short by the QRS offset, to half its peak within 40 ms after it): an upstroke to an elevated J point is ST elevation (J_amp_mV), not an R wave.", REF_QRS_WAVES),
    ("S_amp_mV", "mV", "Deepest S wave (S or S') of the median-beat QRS: a negative wave after the first R wave, relative to baseline (<= 0; 0 without one). A QS complex (no R wave) is reported here, with Q_amp_mV 0, so that S V1 and S V3 of the voltage criteria are its depth and R + Q + S counts it once. A downstroke to a depressed J point that does not come back by 0.05 mV (nor to half its depth within 40 ms after the QRS offset) is ST depression (J_amp_mV), not an S wave.", REF_QRS_WAVES),
    ("T_amp_mV", "mV", "Signed extreme of the lead's median beat between the median beat's T onset and T offset, relative to the PR-segment baseline (20 ms ending 5 ms before QRS onset); NaN when either T boundary is missing (no J + 60 ms stand-in). The lead's baseline wander is removed before the median beat by a cubic spline through the PR-segment levels of the dominant beats (Meyer CR, Keiser HN, Comput Biomed Res 10:459, 1977; features.median_beat.isoelectric_baseline), so the wander's slope inside a beat does not reach the ST segment and T wave; the spline follows wander up to about half the heart rate's frequency (0.3 Hz at 60 bpm), not faster. NaN (J, ST60, T) in a lead whose T-P segments sit over 0.1 mV (median) off that baseline: wander faster than one knot per beat can follow, named in quality_wander_leads and quality_reason.", REF_MEDIAN),
    ("J_amp_mV", "mV", "Median-beat amplitude at the consensus QRS offset (J point), relative to the PR-segment baseline (20 ms ending 5 ms before QRS onset). The lead's baseline wander is removed before the median beat by a cubic spline through the PR-segment levels of the dominant beats (Meyer CR, Keiser HN, Comput Biomed Res 10:459, 1977; features.median_beat.isoelectric_baseline), so the wander's slope inside a beat does not reach the ST segment and T wave; the spline follows wander up to about half the heart rate's frequency (0.3 Hz at 60 bpm), not faster. NaN (J, ST60, T) in a lead whose T-P segments sit over 0.1 mV (median) off that baseline: wander faster than one knot per beat can follow, named in quality_wander_leads and quality_reason.", REF_RAUTAHARJU),
    ("ST60_amp_mV", "mV", "Median-beat amplitude 60 ms after the J point, relative to the PR-segment baseline (20 ms ending 5 ms before QRS onset). The lead's baseline wander is removed before the median beat by a cubic spline through the PR-segment levels of the dominant beats (Meyer CR, Keiser HN, Comput Biomed Res 10:459, 1977; features.median_beat.isoelectric_baseline), so the wander's slope inside a beat does not reach the ST segment and T wave; the spline follows wander up to about half the heart rate's frequency (0.3 Hz at 60 bpm), not faster. NaN (J, ST60, T) in a lead whose T-P segments sit over 0.1 mV (median) off that baseline: wander faster than one knot per beat can follow, named in quality_wander_leads and quality_reason.", REF_RAUTAHARJU),
    ("RS_ratio", "1", "R_amp_mV / max(|S_amp_mV|, 0.05 mV) (the floor keeps the ratio finite when there is no S wave).", REF_AHA),
    ("QRS_notches", "count", "Extra turning points inside the median-beat QRS (prominence >= 0.05 mV): local maxima beyond the first plus local minima beyond two.", REF_DAS),
]

#: appended to every per-lead definition
_SET_ASIDE_NOTE = ("NaN when the lead was set aside as flat, clipped, noisy or with too many invalid "
                   "samples (named in quality_reason).")

_QUALITY = [
    ("quality_ok", "bool", "quality", "bool", "True when the record was read, delineated and measured; False with NaN features otherwise (including a record that is not in mV: median lead range > 20 mV; a record whose median-lead QRS peak-to-peak exceeds 5 mV: a gain error; a whole-record polarity inversion; a record flat in every lead at once (>= 1 s under 0.005 mV) over a tenth of its length or more; and a record with no usable lead). A lead set aside (flat, clipped, noisy, invalid samples) does not make it False: its per-lead measurements and the indices that need it are NaN and quality_reason names it.", REF_QUALITY),
    ("quality_reason", "text", "quality", "str", "Why the record could not be measured (error message), or warnings about a measured record (noisy leads, leads set aside, mains interference removed by a notch filter with the lead, frequency and amplitude, suspected lead reversal, HRV statistics not computed for too few normal-to-normal intervals); empty when none.", REF_QUALITY),
    ("quality_error", "text", "quality", "str", "Exception class of the failure (RecordReadError, SignalQualityError, SamplingRateError, LeadError, DelineationError, ...); empty when measured.", REF_QUALITY),
    ("record_duration_s", "s", "quality", "float", "Length of the record in seconds.", REF_QUALITY),
    ("n_beats", "count", "quality", "float", "Consensus beats found by the delineation.", REF_QUALITY),
    ("n_beats_dominant", "count", "quality", "float", "Dominant beats averaged into the median beats (PVCs and outliers excluded). 0 when no QRS shape is shared by two beats (no dominant beat class; every beat labelled unclassified): then the median beat, intervals, amplitudes, HRV, PVC_count and outlier_beat_count are NaN, with the reason in quality_reason.", REF_MEDIAN),
    ("outlier_beat_count", "count", "quality", "float", "Beats whose QRS morphology differs from the median of the dominant beats (r < 0.85, compared as for PVC_count) but are neither premature nor wide; left out of the median beats and of the normal-to-normal intervals. NaN when the record has no dominant beat class.", REF_MEDIAN),
    ("quality_n_leads_usable", "count", "quality", "float", "Leads neither flat, clipped nor noisy (the leads delineated and measured).", REF_QUALITY),
    ("quality_flat_leads", "text", "quality", "str", "Comma-separated leads with peak-to-peak < 0.05 mV or > 80 % unchanged successive samples, or flat (>= 1 s under 0.005 mV peak-to-peak: lead off) over half the record or more; shorter flat segments are named in quality_reason.", REF_QUALITY),
    ("quality_clipped_leads", "text", "quality", "str", "Comma-separated leads with > 0.5 % of samples in >= 2 plateaus at the lead's extreme value.", REF_QUALITY),
    ("quality_invalid_leads", "text", "quality", "str", "Comma-separated leads set aside for invalid (NaN/inf) samples: gaps too long to bridge (interp_ecg.features.quality.invalid_sample_policy); not delineated, per-lead measurements NaN.", REF_QUALITY),
    ("quality_noisy_leads", "text", "quality", "str", "Comma-separated leads whose power above 40 Hz exceeds 25 % of the 0.5-40 Hz power, or whose content above 40 Hz has an RMS over 0.1 mV and over 3 % of the lead's robust peak-to-peak (the QRS's own high-frequency content is not noise), or a robust SD over 0.1 mV (after removal of 50/60 Hz mains interference); set aside: not delineated, per-lead measurements NaN.", REF_QUALITY),
    ("quality_wander_leads", "text", "quality", "str", "Comma-separated leads whose < 0.7 Hz component spans more than 1 mV (baseline wander; measured, the wander removed by a spline through the PR-segment levels), and leads whose wander that spline could not follow (T-P segments over 0.1 mV off it, median over the beats: a wander faster than about half the heart rate's frequency), whose J, ST60 and T amplitudes are NaN.", REF_QUALITY),
    ("quality_scale_leads", "text", "quality", "str", "Comma-separated leads set aside as out of scale with their group (one lead on a wrong gain or in other units): the lead's robust QRS peak-to-peak (0.5-40 Hz, 0.5th-99.5th percentile) over 5 times the median of the other limb (or chest) leads and over 3 mV. Their per-lead measurements and the indices that need them (Sokolow-Lyon needs V1, V5, V6; Cornell aVL, V3) are NaN. First 500 PTB-XL records at 500 Hz: 35 with an LVH statement all pass (ratio <= 2.8); 3 leads flagged, each an 8-10 mV artefact.", REF_QUALITY),
    ("quality_hf_noise_ratio_max", "1", "quality", "float", "Largest per-lead ratio of > 40 Hz power to 0.5-40 Hz power.", REF_QUALITY),
    ("quality_wander_mV_max", "mV", "quality", "float", "Largest per-lead peak-to-peak of the < 0.7 Hz component.", REF_QUALITY),
    ("quality_limb_identity_leads", "text", "quality", "str", "Comma-separated limb leads the failed limb-lead identities point at (quality_limb_lead_residual above 0.10; quality.limb_identity_suspects). One lead, when without it the other usable limb leads (at least three) agree within 0.05 of the limb-lead RMS while it misses them by over 0.10 (a lead on a wrong scale or not as named, e.g. III recorded as I - II; PTB-XL first 500 records, each limb lead x2, x3, x0.5 or negated: named in 99-100 %, none as recorded, benchmarks/lead_scale_scan.py): its per-lead measurements are NaN. Several leads, when the check cannot tell which one is off (Einthoven's II = I + III alone; more than one lead off, as in LUDB, each lead rescaled on its own): their per-lead measurements are kept but may be on another scale or not as named. Empty when the identities hold or cannot be checked.", REF_AHA),
    ("quality_lead_reversal_suspected", "0/1", "quality", "float", "1 when the net QRS is negative in lead I (and its P wave, where found, negative too) while the QRS is positive in V5 or V6 (left/right arm electrode reversal: lead I mirrored, chest leads unchanged; mirror-image dextrocardia makes V5-V6 small or negative and does not meet it); without V5 and V6, QRS positive in aVR with a negative P in I. Simulated LA/RA reversals: 17 of 18 flagged, 0 of 18 unreversed; PTB-XL first 500 records: 1 flagged (377, LPFB). NaN when lead I was set aside (flat, clipped, noisy) or V5, V6 and aVR all were, or when the limb leads are not on one scale (quality_limb_lead_residual above 0.10).", REF_REVERSAL),
    ("quality_limb_lead_residual", "1", "quality", "float", "Largest residual of the limb-lead identities (Einthoven II = I + III; Goldberger aVR = -(I + II)/2, aVL = (I - III)/2, aVF = (II + III)/2) as a fraction of the limb leads' RMS (0.5 Hz high-pass, per second, median over the seconds; quality.limb_lead_identity). Above 0.10 (quality.LIMB_IDENTITY_MAX_FRACTION) the leads are not on one scale (rescaled lead by lead, as LUDB is stored) or not as named: the axes, the QRS-T angle, Sokolow-Lyon, Cornell and the reversal check are NaN, with the reason in quality_reason; each lead's own amplitudes are still reported, in that lead's units. Correctly stored records read under 0.02 (PTB-XL, CinC 2021), LUDB 0.13-1.6. NaN when no identity can be checked (limb leads not recorded or set aside).", REF_AHA),
]

#: Wave (or segment) and readable label of every record-level column: name -> (wave, label).
#: Waves: P, PR, QRS, ST, T, QT, rhythm, other. Labels carry no unit and no lead.
_WAVE_LABEL: dict[str, tuple[str, str]] = {
    "heart_rate_bpm": ("rhythm", "heart rate"),
    "RR_mean_ms": ("rhythm", "RR mean"),
    "RR_sd_ms": ("rhythm", "RR sd"),
    "RR_min_ms": ("rhythm", "RR min"),
    "RR_max_ms": ("rhythm", "RR max"),
    "SDNN_ms": ("rhythm", "SDNN"),
    "RMSSD_ms": ("rhythm", "RMSSD"),
    "pNN50": ("rhythm", "pNN50"),
    "RR_irregularity": ("rhythm", "RR irregularity"),
    "PVC_count": ("rhythm", "PVC count"),
    "PVC_per_min": ("rhythm", "PVC per min"),
    "paced": ("other", "paced"),
    "pacing_spike_count": ("other", "pacing spike count"),
    "P_wave_presence_fraction": ("P", "P wave presence fraction"),
    "P_duration_ms": ("P", "P duration"),
    "PR_interval_ms": ("PR", "PR interval"),
    "QRS_duration_ms": ("QRS", "QRS duration"),
    "QT_interval_ms": ("QT", "QT interval"),
    "JT_interval_ms": ("QT", "JT interval"),
    "T_peak_to_end_ms": ("T", "T peak to end"),
    "QTc_Bazett_ms": ("QT", "QTc Bazett"),
    "QTc_Fridericia_ms": ("QT", "QTc Fridericia"),
    "QTc_Framingham_ms": ("QT", "QTc Framingham"),
    "QTc_Hodges_ms": ("QT", "QTc Hodges"),
    "QT_dispersion_ms": ("QT", "QT dispersion"),
    "P_axis_deg": ("P", "P axis"),
    "QRS_axis_deg": ("QRS", "QRS axis"),
    "T_axis_deg": ("T", "T axis"),
    "QRS_T_angle_deg": ("QRS", "QRS T angle"),
    "Sokolow_Lyon_mV": ("QRS", "Sokolow Lyon"),
    "Cornell_voltage_mV": ("QRS", "Cornell voltage"),
    "Cornell_product_mVms": ("QRS", "Cornell product"),
    "Sokolow_Lyon_RVH_mV": ("QRS", "Sokolow Lyon RVH"),
    "QRS_fragmented": ("QRS", "QRS fragmented"),
    "QRS_notched_lead_count": ("QRS", "QRS notched lead count"),
    "QRS_notches_total": ("QRS", "QRS notches total"),
    "ST60_max_elevation_mV": ("ST", "ST60 max elevation"),
    "ST60_max_depression_mV": ("ST", "ST60 max depression"),
    # per-lead measures (the column is ``<measure>_<lead>``)
    "P_amp_mV": ("P", "P amplitude"),
    "Q_amp_mV": ("QRS", "Q amplitude"),
    "R_amp_mV": ("QRS", "R amplitude"),
    "S_amp_mV": ("QRS", "S amplitude"),
    "T_amp_mV": ("T", "T amplitude"),
    "J_amp_mV": ("ST", "J amplitude"),
    "ST60_amp_mV": ("ST", "ST60 amplitude"),
    "RS_ratio": ("QRS", "RS ratio"),
    "QRS_notches": ("QRS", "QRS notches"),
    # quality
    "quality_ok": ("other", "quality ok"),
    "quality_reason": ("other", "quality reason"),
    "quality_error": ("other", "quality error"),
    "record_duration_s": ("other", "record duration"),
    "n_beats": ("other", "n beats"),
    "n_beats_dominant": ("other", "n beats dominant"),
    "outlier_beat_count": ("other", "outlier beat count"),
    "quality_n_leads_usable": ("other", "quality n leads usable"),
    "quality_flat_leads": ("other", "quality flat leads"),
    "quality_clipped_leads": ("other", "quality clipped leads"),
    "quality_invalid_leads": ("other", "quality invalid leads"),
    "quality_noisy_leads": ("other", "quality noisy leads"),
    "quality_wander_leads": ("other", "quality wander leads"),
    "quality_hf_noise_ratio_max": ("other", "quality hf noise ratio max"),
    "quality_wander_mV_max": ("other", "quality wander mV max"),
    "quality_scale_leads": ("other", "quality scale leads"),
    "quality_lead_reversal_suspected": ("other", "quality lead reversal suspected"),
    "quality_limb_lead_residual": ("other", "quality limb lead residual"),
    "quality_limb_identity_leads": ("other", "quality limb identity leads"),
}

#: Adult normal ranges: name -> (low, high, reference); ``None`` = open on that side. Only
#: measurements with a published range are listed (none for HRV indices of a 10 s ECG).
NORMAL_RANGES: dict[str, tuple[float | None, float | None, str]] = {
    "heart_rate_bpm": (60.0, 100.0, REF_GOLDBERGER + "; sinus bradycardia < 60, tachycardia > 100 bpm"),
    "RR_mean_ms": (600.0, 1000.0, REF_GOLDBERGER + "; 60-100 bpm"),
    "PR_interval_ms": (120.0, 200.0, REF_GOLDBERGER + "; first-degree AV block > 200 ms"),
    "QRS_duration_ms": (None, 120.0, REF_SURAWICZ + "; complete bundle branch block >= 120 ms in adults"),
    "QTc_Bazett_ms": (390.0, 450.0, REF_RAUTAHARJU + "; prolonged >= 450 ms (men), >= 460 ms (women); short <= 390 ms"),
    "QTc_Fridericia_ms": (390.0, 450.0, REF_RAUTAHARJU + "; prolonged >= 450 ms (men), >= 460 ms (women); short <= 390 ms"),
    "QTc_Framingham_ms": (390.0, 450.0, REF_RAUTAHARJU + "; prolonged >= 450 ms (men), >= 460 ms (women); short <= 390 ms"),
    "QTc_Hodges_ms": (390.0, 450.0, REF_RAUTAHARJU + "; prolonged >= 450 ms (men), >= 460 ms (women); short <= 390 ms"),
    "QRS_axis_deg": (-30.0, 90.0, REF_SURAWICZ + "; left axis deviation < -30 deg, right axis deviation > 90 deg"),
    "P_amp_mV_II": (None, 0.25, REF_HANCOCK_LVH + "; right atrial abnormality: P >= 0.25 mV in II"),
    "R_amp_mV_aVL": (None, 1.1, REF_HANCOCK_LVH + "; LVH criterion R aVL > 1.1 mV"),
    "Sokolow_Lyon_mV": (None, 3.5, "Sokolow M, Lyon TP, Am Heart J 37:161 (1949); LVH >= 3.5 mV"),
    "Cornell_voltage_mV": (None, 2.8, "Casale PN et al., Circulation 75:565 (1987); LVH > 2.8 mV (men), > 2.0 mV (women)"),
    "Sokolow_Lyon_RVH_mV": (None, 1.05, "Sokolow M, Lyon TP, Am Heart J 38:273 (1949); RVH >= 1.05 mV"),
}


def _bound(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _provenance_rows() -> list[tuple]:
    from interp_ecg.features.measurements import INTERVALS, TRACED_INTERVALS

    rows = []
    for feat in TRACED_INTERVALS:
        base = feat.removesuffix("_ms")
        a, b = INTERVALS[feat]
        ref = "interp_ecg provenance (this package)"
        wave, label = _WAVE_LABEL[feat]
        rows += [
            (f"{base}_lead", "text", "provenance", "str", f"Lead whose own {a} and {b} lie closest to the consensus ones on the beat {feat} was traced on.", ref,
             "global", wave, f"{label} lead"),
            (f"{base}_beat", "index", "provenance", "float", f"Beat number (delineation's 'beat') of the dominant beat whose {feat} is closest to the reported median.", ref,
             "global", wave, f"{label} beat"),
            (f"{base}_start_sample", "sample", "provenance", "float", f"Consensus {a} of that beat (sample index at the record's rate).", ref,
             "global", wave, f"{label} start sample"),
            (f"{base}_end_sample", "sample", "provenance", "float", f"Consensus {b} of that beat (sample index at the record's rate).", ref,
             "global", wave, f"{label} end sample"),
        ]
    return rows


def _traced_prefix() -> dict[str, str]:
    """Traced interval -> prefix of its provenance columns (``QRS_duration_ms`` -> ``QRS_duration``)."""
    from interp_ecg.features.measurements import TRACED_INTERVALS

    return {feat: feat.removesuffix("_ms") for feat in TRACED_INTERVALS}


def dictionary_rows() -> list[dict[str, str]]:
    """Every column of the record table, in output order, as dictionaries."""
    return [dict(r) for r in _rows()]


@lru_cache(maxsize=1)
def _rows() -> tuple[dict[str, str], ...]:
    rows = [(*r, "global", *_WAVE_LABEL[r[0]]) for r in _GLOBAL]
    for name, unit, definition, ref in _PER_LEAD:
        wave, label = _WAVE_LABEL[name]
        for lead in STANDARD_LEADS:
            rows.append((f"{name}_{lead}", unit, "feature", "float",
                         f"Lead {lead}: {definition} {_SET_ASIDE_NOTE}", ref,
                         lead, wave, label))
    rows += [(*r, "global", *_WAVE_LABEL[r[0]]) for r in _QUALITY]
    rows += _provenance_rows()
    keys = ("name", "unit", "kind", "dtype", "definition", "reference", "lead", "wave", "label")
    traced = _traced_prefix()
    out = []
    for r in rows:
        row = dict(zip(keys, r))
        row["display_name"] = row["label"] if row["lead"] == "global" else f"{row['label']} in {row['lead']}"
        row["provenance_prefix"] = traced.get(row["name"], "")
        low, high, ref = NORMAL_RANGES.get(row["name"], (None, None, ""))
        row.update(normal_low=_bound(low), normal_high=_bound(high), normal_reference=ref)
        out.append(row)
    return tuple(out)


@lru_cache(maxsize=1)
def column_types() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Names of the float, string and boolean columns of the record table."""
    rows = _rows()
    return (
        tuple(r["name"] for r in rows if r["dtype"] == "float"),
        tuple(r["name"] for r in rows if r["dtype"] == "str"),
        tuple(r["name"] for r in rows if r["dtype"] == "bool"),
    )


def column_names(kind: str | None = None) -> list[str]:
    """Column names of the record table (optionally of one ``kind``), in output order."""
    return [r["name"] for r in _rows() if kind is None or r["kind"] == kind]


#: prefixes and names of columns that are never model inputs (quality flags, simulator ground
#: truth, labels, identifiers, folds) and suffixes of the provenance columns
_NOT_INPUT_PREFIXES = ("quality_", "sim_", "label_")
_NOT_INPUT_NAMES = ("patient_id", "subject_id", "strat_fold")
_PROVENANCE_SUFFIXES = ("_start_sample", "_end_sample", "_beat", "_lead")


def model_columns(table: pd.DataFrame, exclude: Sequence[str] = ()) -> list[str]:
    """The columns of a feature table that a model may take as inputs, in table order.

    A column is an input when it is numeric (not boolean) and none of the following: a column
    the data dictionary lists with a kind other than ``"feature"`` (quality and provenance
    columns), a quality, simulator or label column (``quality_*``, ``sim_*``, ``label_*``), an
    identifier or fold (``patient_id``, ``subject_id``, ``strat_fold``), a provenance column of
    another table (``*_start_sample``, ``*_end_sample``, ``*_beat``, ``*_lead``), or a name in
    ``exclude``. Numeric columns the dictionary does not know (``age``, a machine
    measurement) are inputs.

    Parameters
    ----------
    table : pandas.DataFrame
        A feature table (:func:`interp_ecg.features.extract`, or any table of measurements).
    exclude : sequence of str, optional
        Further columns to leave out (the label, say).

    Returns
    -------
    list of str

    Examples
    --------
    >>> from interp_ecg.features import model_columns
    >>> import pandas as pd
    >>> t = pd.DataFrame({"QRS_duration_ms": [100.0], "QRS_duration_start_sample": [10.0],
    ...                   "quality_ok": [True], "patient_id": [7], "age": [61.0], "label_wct": [1]})
    >>> model_columns(t)
    ['QRS_duration_ms', 'age']
    """
    kinds = _load()["kind"].to_dict()
    cols = []
    for c in table.columns:
        name = str(c)
        if c in exclude or (name in kinds and kinds[name] != "feature"):
            continue
        if name.startswith(_NOT_INPUT_PREFIXES) or name in _NOT_INPUT_NAMES or name.endswith(_PROVENANCE_SUFFIXES):
            continue
        if pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c]):
            cols.append(c)
    return cols


def normal_ranges() -> pd.DataFrame:
    """Adult normal ranges of the measurements that have a published one.

    Returns
    -------
    pandas.DataFrame
        Indexed by column name: ``unit``, ``normal_low``, ``normal_high`` (float, NaN = open
        on that side) and ``normal_reference``.

    Examples
    --------
    >>> from interp_ecg.features import normal_ranges
    >>> r = normal_ranges()
    >>> r.loc["PR_interval_ms", ["normal_low", "normal_high"]].tolist()
    [120.0, 200.0]
    """
    d = feature_dictionary()
    d = d[(d["normal_low"] != "") | (d["normal_high"] != "")]
    out = pd.DataFrame({
        "unit": d["unit"],
        "normal_low": pd.to_numeric(d["normal_low"].replace("", None), errors="coerce").astype(float),
        "normal_high": pd.to_numeric(d["normal_high"].replace("", None), errors="coerce").astype(float),
        "normal_reference": d["normal_reference"],
    })
    return out


def _path() -> Path:
    return Path(str(resources.files("interp_ecg") / "data" / "feature_dictionary.csv"))


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    return pd.read_csv(_path(), keep_default_na=False).set_index("name")


def feature_dictionary() -> pd.DataFrame:
    """The shipped data dictionary, indexed by column name.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit``, ``kind`` (feature / quality / provenance), ``dtype``,
        ``definition``, ``reference``, ``lead`` (``global`` for record-level values),
        ``wave`` (P, PR, QRS, ST, T, QT, rhythm, other), ``label`` (readable, without unit
        and lead), ``display_name`` (label with the lead), ``provenance_prefix`` (traced
        intervals: prefix of their provenance columns), ``normal_low``, ``normal_high``,
        ``normal_reference`` (text; empty when no published range). :func:`feature_spec`
        reads one row as a :class:`FeatureSpec`.
    """
    return _load().copy()


#: Units that are a number without a unit when written after a value (ratios, flags, fractions).
_NO_UNIT = ("1", "0/1", "bool", "text", "")


@dataclass(frozen=True)
class FeatureSpec:
    """What a column name of the record table means: the one parser of feature names.

    Built from the data dictionary (:func:`feature_dictionary`), never from string rules on
    the name. A name the dictionary does not list (a covariate such as ``age``, a prototype
    score) gets ``known=False``, lead ``"global"``, wave ``"other"`` and its name with
    underscores as spaces for a label.

    Attributes
    ----------
    name : str
        Column name (``"R_amp_mV_V5"``).
    unit : str
        Unit as the dictionary writes it (``"mV"``, ``"ms"``, ``"1"``, ``"0/1"``...).
    kind : str
        ``feature``, ``quality``, ``provenance`` or ``unknown``.
    lead : str
        Lead the value is measured in, ``"global"`` for record-level values.
    wave : str
        ``P``, ``PR``, ``QRS``, ``ST``, ``T``, ``QT``, ``rhythm`` or ``other``.
    label : str
        Readable name without unit and lead (``"R amplitude"``).
    display_name : str
        Readable name with the lead (``"R amplitude in V5"``).
    provenance_prefix : str
        For an interval traced to one beat, the prefix of its provenance columns
        (``"QRS_duration"`` -> ``QRS_duration_lead``, ``..._start_sample``...); else ``""``.
    definition, reference : str
    known : bool
        Whether the dictionary defines the name: listed, or a per-lead feature listed under the
        standard leads and named here after another lead (``R_amp_mV_ECG1``).
    """

    name: str
    unit: str = ""
    kind: str = "unknown"
    lead: str = "global"
    wave: str = "other"
    label: str = ""
    display_name: str = ""
    provenance_prefix: str = ""
    definition: str = ""
    reference: str = ""
    known: bool = False

    @property
    def display_unit(self) -> str:
        """The unit to write after a value: ``""`` for ratios, flags and text."""
        return "" if self.unit in _NO_UNIT else self.unit

    @property
    def lead_or_empty(self) -> str:
        """The lead, or ``""`` for record-level values."""
        return "" if self.lead == "global" else self.lead


@lru_cache(maxsize=1)
def _specs() -> dict[str, FeatureSpec]:
    d = _load()
    return {
        name: FeatureSpec(name=name, unit=r["unit"], kind=r["kind"], lead=r["lead"], wave=r["wave"],
                          label=r["label"], display_name=r["display_name"],
                          provenance_prefix=r["provenance_prefix"], definition=r["definition"],
                          reference=r["reference"], known=True)
        for name, r in d.iterrows()
    }


def feature_spec(name: str) -> FeatureSpec:
    """Lead, wave, unit and readable name of a column of the record table.

    Parameters
    ----------
    name : str
        Column name, e.g. ``"R_amp_mV_V5"`` or ``"QRS_duration_ms"``.

    Returns
    -------
    FeatureSpec
        From the shipped data dictionary; for a name it does not list, ``known=False`` with
        lead ``"global"``, wave ``"other"``, no unit and the name (underscores as spaces) as label.

    Examples
    --------
    >>> from interp_ecg.features import feature_spec
    >>> s = feature_spec("R_amp_mV_V5")
    >>> s.lead, s.wave, s.unit, s.label, s.display_name
    ('V5', 'QRS', 'mV', 'R amplitude', 'R amplitude in V5')
    >>> feature_spec("QRS_duration_ms").provenance_prefix
    'QRS_duration'
    >>> feature_spec("age").known, feature_spec("age").display_name
    (False, 'age')
    >>> feature_spec("R_amp_mV_ECG1").lead, feature_spec("R_amp_mV_ECG1").display_name
    ('ECG1', 'R amplitude in ECG1')
    """
    spec = _specs().get(str(name))
    if spec is not None:
        return spec
    spec = _per_lead_spec(str(name))
    if spec is not None:
        return spec
    label = str(name).replace("_", " ")
    return FeatureSpec(name=str(name), label=label, display_name=label)


@lru_cache(maxsize=1)
def _per_lead_templates() -> dict[str, FeatureSpec]:
    """Per-lead dictionary entries keyed by their name without the lead (``"R_amp_mV"``).

    The dictionary lists per-lead features under the twelve standard leads; a record with other
    lead names (``MLII``, ``ECG1``) gets the same measurements named after its own leads
    (:func:`interp_ecg.features.extract`), and this lookup lets :func:`feature_spec` read them.
    """
    out: dict[str, FeatureSpec] = {}
    for spec in _specs().values():
        suffix = f"_{spec.lead}"
        if spec.lead != "global" and spec.name.endswith(suffix):
            out.setdefault(spec.name[: -len(suffix)], spec)
    return out


def _per_lead_spec(name: str) -> FeatureSpec | None:
    """Spec of ``<per-lead feature>_<lead>`` for a lead name outside the dictionary, or None."""
    templates = _per_lead_templates()
    parts = name.split("_")
    for k in range(len(parts) - 1, 0, -1):
        base, lead = "_".join(parts[:k]), "_".join(parts[k:])
        tpl = templates.get(base)
        if tpl is not None and lead:
            display = tpl.display_name[: -len(tpl.lead)] + lead if tpl.display_name.endswith(tpl.lead) else tpl.display_name
            prefix = f"Lead {tpl.lead}: "
            definition = (f"Lead {lead}: " + tpl.definition[len(prefix):]
                          if tpl.definition.startswith(prefix) else tpl.definition)
            return replace(tpl, name=name, lead=lead, display_name=display, definition=definition)
    return None


def write_dictionary(path: str | Path | None = None) -> Path:
    """Write :func:`dictionary_rows` as CSV (to the package's data folder by default)."""
    path = Path(path) if path is not None else _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(dictionary_rows()).to_csv(path, index=False)
    _load.cache_clear()
    _specs.cache_clear()
    _per_lead_templates.cache_clear()
    return path


__all__ = ["FeatureSpec", "column_names", "column_types", "dictionary_rows", "feature_dictionary",
           "feature_spec", "normal_ranges", "write_dictionary"]


if __name__ == "__main__":  # pragma: no cover
    print(write_dictionary())
