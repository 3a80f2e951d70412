"""Per-lead signal quality: flat, clipped, noisy, baseline wander; limb-lead reversal.

The checks are cheap, vectorised over leads, and computed on the raw signal before
delineation, so a flat or clipped lead can be kept out of the multi-lead consensus and its
amplitudes reported as ``NaN`` instead of as a confident zero.

Thresholds (module constants, documented in the data dictionary):

* **flat**: peak-to-peak below :data:`FLAT_PTP_MV` (0.05 mV) or more than
  :data:`FLAT_CONSTANT_FRACTION` (0.8) of successive samples unchanged;
* **flat segment** (:func:`flat_segments`): a stretch of at least :data:`FLAT_SEGMENT_MIN_S`
  (1 s) in which a lead's peak-to-peak stays under :data:`FLAT_SEGMENT_PTP_MV` (0.005 mV),
  i.e. a lead that went off (a bedside export writes a disconnected lead as a constant,
  often zero) part-way through. A flat run of every lead at once at the record's start or
  end only shortens the recording, whatever its length: the per-lead rules below are
  judged on the recorded part (the record less that start and end), so a 10-s record flat
  in every lead from 3 s on is measured on its first 3 s as the same 3 s cropped are (too
  few beats there refuse it as "too few beats"; a record flat everywhere has no recorded
  part: "no usable lead"). A lead flat over half the recorded part or more
  (:data:`FLAT_SEGMENT_LEAD_FRACTION`) is flagged ``flat`` and set aside (its median beat
  would be a median of mostly flat beats); shorter segments are named in
  ``quality_reason``, and the beats in them give that lead no measurement
  (:func:`mask_flat_segments`: not in its median beat, not in the beat classes); a
  record flat in every lead at once, inside the recording, over a tenth of its length or
  more (:data:`FLAT_SEGMENT_RECORD_FRACTION`) is refused (:func:`flat_segment_check`);
* **dropout gap** (:func:`dropout_gaps`): a run of at least :data:`DROPOUT_MIN_S` (0.2 s)
  inside the record in which every lead is held at once (within :data:`DROPOUT_PTP_MV`, on
  one or two levels): lost data, even when shorter than a flat segment. Named in
  ``quality_reason``; the RR intervals that span it are left out of the rate, RR and HRV
  figures (:func:`~interp_ecg.features.rhythm.rr_features`), with the count;
* **clipped**: more than :data:`CLIP_FRACTION` (0.5 %) of the samples sit in at least two
  plateaus (runs of >= 3 samples, away from the record's ends) on the lead's maximum or
  minimum value (the plateaus an amplifier or an ADC leaves when saturated);
* **noisy**: power above 40 Hz exceeds :data:`NOISE_RATIO` (0.25) of the power in the
  0.5-40 Hz ECG band (muscle artefact, a disconnected electrode), or, in physical terms,
  the RMS of the content above 40 Hz exceeds :data:`NOISE_HF_RMS_MV` (0.1 mV) and
  :data:`NOISE_HF_QRS_FRACTION` (3 %) of the lead's robust peak-to-peak (the QRS's own
  content above 40 Hz grows with its size, and is not noise), or when the robust SD of that
  content (``hf_sd_mV``, the noise between the QRS complexes) exceeds 0.1 mV: a large
  lead can hide such noise under the ratio, yet white noise of 0.2 mV SD (0.18 mV RMS
  above 40 Hz) moves the median-beat ST60 of a PTB-XL lead by up to 0.08 mV, nearly the
  0.1 mV of the ST criteria. Clean PTB-XL leads stay under 0.081 mV (3600 leads of the
  first 300 records at 500 Hz; median 0.013 mV);
* **baseline wander**: the 0.7 Hz low-pass component of the lead spans more than
  :data:`WANDER_PTP_MV` (1.0 mV);
* **mains interference** (:func:`mains_interference`): a sinusoid at 50 or 60 Hz whose
  amplitude, measured as the excess spectral power in a 1 Hz band over the neighbouring
  spectrum, exceeds :data:`MAINS_AMPLITUDE_MV` (0.02 mV). It is removed by a zero-phase
  notch filter (:func:`remove_mains`) before the other checks and the delineation, and
  named in the record's ``quality_reason``;
* **units** (:func:`units_check`): a surface ECG in millivolts has QRS complexes of a few
  mV; a record whose median lead range exceeds :data:`MAX_MEDIAN_RANGE_MV` (20 mV) is not
  in mV (most often it is in microvolts, 1000 times too large) and is refused;
* **amplitude** (:func:`amplitude_check`): a record whose median lead spans more than
  :data:`MAX_MEDIAN_QRS_PTP_MV` (5 mV, robust peak-to-peak of the 0.5-40 Hz content) has a
  gain error and is refused ("amplitude implausible (gain/units?)");
* **scale** (:func:`lead_scale_ratio`): one lead whose robust QRS peak-to-peak exceeds
  :data:`SCALE_RATIO_MAX` (5) times the median of the other leads of its group (limb or
  chest) and :data:`SCALE_MIN_PTP_MV` (3 mV) is on a wrong scale (a per-channel gain
  error, one lead in other units): it is set aside, with the reason (:func:`scale_note`).
  Caught at 10x in 90 % of the leads of the first 500 PTB-XL records, at 5x in 49 %, 3x
  in 6 %, 2x in 0.4 % (the lead's own size against its group decides); no record with an
  LVH statement (35) flagged as recorded;
* **polarity** (:func:`polarity_inversion_suspected`): a record with every lead inverted is
  refused; :func:`limb_reversal_suspected` flags an LA/RA reversal (the record is measured);
* **limb-lead identities** (:func:`limb_lead_identity`): Einthoven's II = I + III and
  Goldberger's aVR, aVL, aVF in terms of I, II, III hold for any correctly scaled record;
  a residual over :data:`LIMB_IDENTITY_MAX_FRACTION` (10 %) of the limb-lead RMS means the
  leads are not on one scale (each lead rescaled on its own, as LUDB is stored): the axes,
  the voltage indices that add amplitudes of several leads, and the reversal check are NaN
  with the reason (the record and each lead's own amplitudes are still measured). The
  one lead that breaks them is named where the other limb leads agree without it
  (:func:`limb_identity_suspects`): that lead's per-lead values are NaN too; where it cannot
  be told (Einthoven's law alone, several leads off), the leads in doubt are named in
  ``quality_limb_identity_leads``. A limb lead at 2x, 3x, 0.5x or negated is named in 99-100 %
  of the first 500 PTB-XL records (the rest: the lead set aside as recorded), none as recorded
  and none wrongly (``benchmarks/lead_scale_scan.py``). Chest leads have no such identity: a
  lead-field reconstruction from the other leads would name a chest lead at 3x in 40-72 % of
  held-out records and at 2x in 0-18 %, at 0.5x never, so it is not used (see the benchmark).

Policy for leads with problems
------------------------------
A lead that is flat, clipped, noisy, out of scale or has too many invalid samples is *set aside*, as in
:func:`invalid_sample_policy`: it is left out of the delineation, its per-lead
measurements (``R_amp_mV_V1``, ``ST60_amp_mV_V1`` ...) are ``NaN``, and so is every index
that needs it (Sokolow-Lyon needs V1, V5 and V6; Cornell aVL and V3; the largest ST
elevation/depression and the QRS fragmentation counts need every recorded lead), with the
leads named in ``quality_reason``. Record-level measurements that do not need the lead
(intervals from the consensus of the other leads, rate and rhythm, frontal axes from the
remaining limb leads, which over-determine the frontal vector) are kept. ``quality_ok``
stays ``True``: the record is refused only when no usable lead remains. A lead with
baseline wander is measured and only flagged: before its median beat, the wander is removed
by a cubic spline through the PR-segment levels of the dominant beats
(:func:`~interp_ecg.features.median_beat.isoelectric_baseline`), which follows wander up to
about half the heart rate's frequency; then the median beat's own PR level is subtracted.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.features.quality import lead_quality
>>> t = np.arange(5000) / 500
>>> sig = np.stack([np.sin(2 * np.pi * 1.2 * t), np.zeros_like(t)]).astype("float32")
>>> q = lead_quality(sig, 500, ["I", "II"])
>>> q.loc["II", "flat"], q.loc["I", "flat"]
(np.True_, np.False_)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

FLAT_PTP_MV = 0.05
FLAT_CONSTANT_FRACTION = 0.8
CLIP_FRACTION = 0.005
NOISE_RATIO = 0.25
WANDER_PTP_MV = 1.0
#: RMS (mV) of a lead's content above 40 Hz beyond which the lead is noisy
NOISE_HF_RMS_MV = 0.1
#: ... when it also exceeds this fraction of the lead's robust 0.5-40 Hz peak-to-peak: the QRS
#: itself has content above 40 Hz in proportion to its size (clean PTB-XL leads of >= 2 mV,
#: 852 leads of 500 records at 500 Hz: at most 0.027), so a large
#: clean lead is not called noisy; 0.2 mV white noise on a 2-4 mV lead still is (60 of 60), and
#: on any lead through the robust SD of the content above 40 Hz (``hf_sd_mV`` > 0.1 mV)
NOISE_HF_QRS_FRACTION = 0.03
WANDER_CUTOFF_HZ = 0.7

QUALITY_FLAGS = ("flat", "clipped", "noisy", "wander")
#: The feature-table columns that name leads whose values were set aside, each with the
#: words a sentence gives for it ("V5 was set aside <words>"): the one list every reader of
#: the table (explanations, report pages) takes them from. ``quality_limb_identity_leads``
#: sets its lead aside only when it names one lead (the one that breaks the identities);
#: naming several, their values are kept, in doubt (:func:`limb_identity_note`).
SET_ASIDE_LEAD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("quality_flat_leads", "as flat"),
    ("quality_clipped_leads", "as clipped"),
    ("quality_noisy_leads", "as noisy"),
    ("quality_invalid_leads", "for invalid (NaN or infinite) samples"),
    ("quality_scale_leads", "as out of scale with the other limb or chest leads (gain or units error)"),
    ("quality_limb_identity_leads", "for breaking the limb-lead identities (on a wrong scale or not as named)"),
)

#: One lead on a wrong scale (a per-channel gain error in a converted header, one lead
#: written in other units): a lead whose robust QRS peak-to-peak (``band_ptp_mV``) is over
#: :data:`SCALE_RATIO_MAX` times the median of the other leads of its group (the six limb
#: leads, the six chest leads) and over :data:`SCALE_MIN_PTP_MV` is set aside as
#: ``scale``. Physiological amplitude differences between leads of one group stay well
#: under it: on the first 500 PTB-XL records at 500 Hz the ratio is at most 2.8 in the 35
#: records with an LVH statement (robust peak-to-peak up to 5.4 mV) and over 5 in three
#: leads only, all V1/V4 with a 8-10 mV artefact (PTB-XL 292, 304, 473: neighbours
#: 1-4 mV). The median of the other leads keeps the check from following the faulty lead;
#: a lead small by nature (ratio 0.3) still passes at 10 times its size.
SCALE_RATIO_MAX = 5.0
#: A lead under this robust peak-to-peak (mV) is not set aside for scale: an ordinary QRS
#: in a record whose other leads are of low voltage (Sokolow & Lyon's LVH criteria start at
#: 3.5 mV for two leads together, Hancock et al., Circulation 2009).
SCALE_MIN_PTP_MV = 3.0
#: Lead groups compared for the scale check.
SCALE_GROUPS = (("I", "II", "III", "aVR", "aVL", "aVF"), ("V1", "V2", "V3", "V4", "V5", "V6"))

#: a flat segment lasts at least this long (s): more than the longest RR interval a 10-s
#: record measures at 60 bpm, and long enough that a lead on a beating heart shows a QRS,
#: a T wave or its own noise within it
FLAT_SEGMENT_MIN_S = 1.0
#: peak-to-peak (mV) a lead stays under through a flat segment. A lead that went off is
#: written as a constant (zero, or the last value) or as one to four steps of rounding at
#: the usual 1-5 uV resolution (MIMIC-IV-ECG stores 5 uV steps); connected leads never stay
#: this still for 1 s on the shared data: the smallest 1-s peak-to-peak is 7.5 uV (LUDB 51,
#: V5, a pause in atrial fibrillation) over LUDB's 200 records, 25 uV over the first 500
#: PTB-XL records at 500 Hz, and 47 uV over the 50 CinC 2021 records' leads that are not
#: flat throughout
FLAT_SEGMENT_PTP_MV = 0.005
#: a lead whose flat segments cover at least this fraction of the record is ``flat`` (set
#: aside): its median beat would be the median of mostly flat beats
FLAT_SEGMENT_LEAD_FRACTION = 0.5
#: a record flat in every lead at once, inside the recording (not at its start or end), over
#: at least this fraction of its length is refused
#: (``quality_ok`` False): its rate, RR intervals, HRV and beat counts treat the recording
#: as continuous, so a hole of that size biases them by about as much (an RR interval that
#: spans it, beats per minute over a time partly unrecorded): LUDB record 1 with every lead
#: zeroed over 1.4 s of 10 s reads 38 bpm instead of 45. A shorter hole is named in
#: ``quality_reason`` (one second of a 30-min Holter record moves these by well under 1 %)
FLAT_SEGMENT_RECORD_FRACTION = 0.1
#: an all-lead dropout gap lasts at least this long (s) with every lead within
#: :data:`DROPOUT_PTP_MV` at once (:func:`dropout_gaps`). 0.2 s is longer than a QRS complex
#: (<= 0.12 s normally, ~0.16 s in bundle-branch block): a shorter hole cannot swallow a
#: whole beat, so it cannot merge two RR intervals into one; yet far shorter than the 1 s
#: of :data:`FLAT_SEGMENT_MIN_S`, under which a 0.8-s hole (a data dropout) moved PTB-XL 9's
#: rate from 60.9 to 54.1 bpm and its SDNN from 35 to 355 ms unnamed. A living heart's
#: 12-lead ECG never holds every lead this still at once: over LUDB's 200 records, the 500
#: shared PTB-XL records at 500 and at 100 Hz and the 50 CinC 2021 records, no all-lead run
#: of 0.2 s is held within 0.005 mV (no false gap); the longest runs are 0.10-0.12 s in 3
#: LUDB records (41, 100, 123: a diastole), under 0.1 s in PTB-XL at 500 Hz, under 0.05 s
#: at 100 Hz and in CinC (``benchmarks/dropout_gaps_scan.py``)
DROPOUT_MIN_S = 0.2
#: peak-to-peak (mV) every lead stays under through a dropout gap: the flat-segment
#: criterion (:data:`FLAT_SEGMENT_PTP_MV`), one step of the coarsest usual resolution (5 uV)
DROPOUT_PTP_MV = FLAT_SEGMENT_PTP_MV
#: a dropout holds each lead on one level (zeros, or the last value) or flickers between two
#: (one quantisation step): at least this share of a gap's samples, in every lead, lie on
#: its two commonest levels (values equal to :data:`DROPOUT_LEVEL_MV`, far below any ADC
#: step and far above float rounding). A quiet stretch of a noiseless simulated signal (the
#: tails of its waves) is not held: its value changes at every sample
DROPOUT_LEVEL_SHARE = 0.9
DROPOUT_LEVEL_MV = 1e-6
#: still runs (:func:`dropout_gaps`) covering at least this fraction of the record are the
#: signal's own baseline, not lost data: a noiseless (simulated) signal is exactly zero
#: between its waves in every beat, which no recording is; a recording that lost this much
#: in gaps of 1 s or more is refused (:data:`FLAT_SEGMENT_RECORD_FRACTION`, the same tenth).
#: Such runs are named in ``quality_reason`` and not taken for dropouts
DROPOUT_BASELINE_FRACTION = FLAT_SEGMENT_RECORD_FRACTION

#: mains frequencies checked (Hz)
MAINS_FREQUENCIES_HZ = (50.0, 60.0)
#: amplitude (mV) of a mains sinusoid above which a lead is flagged and notch-filtered.
#: IEC 60601-2-25 asks an electrocardiograph to keep its own noise under 0.03 mV
#: peak-to-valley; 0.02 mV of sinusoid amplitude (0.04 mV peak-to-valley) is beyond it.
MAINS_AMPLITUDE_MV = 0.02
#: half-width (Hz) of the band around the mains frequency, and of the neighbouring bands
#: on each side (beyond 1 Hz) that give the background spectrum
MAINS_HALF_BAND_HZ = 0.5
MAINS_NEIGHBOUR_HZ = 5.0
#: the 1 Hz band must carry this many times the power expected from its neighbours
MAINS_LINE_FACTOR = 4.0
#: quality factor of the notch (bandwidth = f0 / Q, 1.7 Hz at 50 Hz)
MAINS_NOTCH_Q = 30.0
#: median over leads of the peak-to-peak range (mV) above which a record is not in mV: the
#: QRS of a surface ECG spans a few mV (Sokolow-Lyon LVH criterion 3.5 mV over two leads),
#: baseline wander adds a few more; 20 mV in the median lead is beyond any surface ECG and
#: far below the 1000-fold of a record in microvolts.
MAX_MEDIAN_RANGE_MV = 20.0


def lead_quality(signal: np.ndarray, fs: float, leads: Sequence[str],
                 invalid: np.ndarray | None = None) -> pd.DataFrame:
    """Quality measures and flags for every lead of one record.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV; must be finite.
    fs : float
        Sampling rate in Hz.
    leads : sequence of str
        Lead names, one per row of ``signal``.
    invalid : numpy.ndarray of bool, optional
        ``(n_leads,)``: leads already set aside for invalid samples by
        :func:`invalid_sample_policy` (their samples, filled with any finite value, say
        nothing about the lead). Such a lead is ``invalid`` and not ``usable``, and no other
        flag is raised for it: one reason per lead, the true one.

    Returns
    -------
    pandas.DataFrame
        Indexed by lead, with ``ptp_mV``, ``constant_fraction``, ``clip_fraction``,
        ``hf_noise_ratio``, ``hf_rms_mV`` (RMS above 40 Hz), ``hf_sd_mV`` (its robust SD,
        1.4826 x median absolute value), ``wander_ptp_mV``,
        ``band_ptp_mV`` (0.5th to 99.5th percentile of the 0.5-40 Hz content, for
        :func:`amplitude_check`), ``flat_segment_s`` (seconds in flat segments,
        :func:`flat_segments`) and ``flat_segments`` (their times, ``"5.0-10.0 s"``), and
        ``scale_ratio`` (``band_ptp_mV`` over the median of the other leads of its group,
        :func:`lead_scale_ratio`), and
        boolean flags ``flat`` (flat throughout, or in flat segments over half the record
        or more), ``flat_segment`` (a flat segment in a lead not ``flat``), ``clipped``,
        ``noisy``, ``wander``, ``scale`` (amplitude out of scale with its group:
        :data:`SCALE_RATIO_MAX`), ``invalid`` and ``usable`` (neither flat, clipped, noisy,
        out of scale nor invalid: the leads that are delineated and measured). ``attrs`` hold
        ``flat_all_leads_s`` and ``flat_all_leads_segments`` (the time every lead is flat
        at once) and ``duration_s``, for :func:`flat_segment_check`; ``flat_all_leads_runs``
        (the same runs as ``(start, end)`` samples, end exclusive) and ``dropout_gaps``
        (:func:`record_dropout_gaps`), the unrecorded time that
        :func:`interp_ecg.features.rhythm.recorded_duration_s` leaves out of a rate per minute.
    """
    x = np.asarray(signal, dtype=np.float64)
    n_leads, n = x.shape
    ptp = x.max(axis=1) - x.min(axis=1) if n else np.zeros(n_leads)
    if n > 1:
        constant = (np.diff(x, axis=1) == 0).mean(axis=1)
        vmax = x.max(axis=1, keepdims=True)
        vmin = x.min(axis=1, keepdims=True)
        tol = 1e-6 + 1e-4 * np.maximum(ptp, 0)[:, None]
        at_max = np.abs(x - vmax) <= tol
        at_min = np.abs(x - vmin) <= tol
        clip = np.maximum(at_max.mean(axis=1), at_min.mean(axis=1))
        for i in np.flatnonzero(clip > CLIP_FRACTION):  # rare: check the plateaus
            clip[i] = max(_interior_plateau_fraction(at_max[i]), _interior_plateau_fraction(at_min[i]))
    else:
        constant = np.ones(n_leads)
        clip = np.zeros(n_leads)

    hf_ratio = np.full(n_leads, np.nan)
    hf_rms = np.full(n_leads, np.nan)
    band_ptp = np.full(n_leads, np.nan)
    hf_sd = np.full(n_leads, np.nan)
    wander = np.full(n_leads, np.nan)
    if n >= int(2 * fs):
        from scipy import fft as sfft

        xc = np.asarray(signal, dtype=np.float32)
        xc = xc - xc.mean(axis=1, keepdims=True)
        full = sfft.rfft(xc, axis=1)
        power = full.real ** 2 + full.imag ** 2
        freqs = np.fft.rfftfreq(n, d=1.0 / fs)
        band = (freqs >= 0.5) & (freqs < 40.0)
        high = freqs >= 40.0
        p_band = power[:, band].sum(axis=1, dtype=np.float64)
        p_high = power[:, high].sum(axis=1, dtype=np.float64) if high.any() else np.zeros(n_leads)
        hf_rms = np.sqrt(2.0 * p_high) / n  # Parseval, one-sided spectrum
        with np.errstate(divide="ignore", invalid="ignore"):
            hf_ratio = np.where(p_band > 0, p_high / p_band, np.nan)
        # baseline: 0.7 Hz low-pass of the 50 ms block means (cheap, same band)
        step = max(1, int(round(0.05 * fs)))
        m = n // step
        blocks = xc[:, : m * step].reshape(n_leads, m, step).mean(axis=2, dtype=np.float64)
        spec = np.fft.rfft(blocks, axis=1)
        bfreqs = np.fft.rfftfreq(m, d=step / fs)
        spec[:, (bfreqs > WANDER_CUTOFF_HZ) | (bfreqs == 0)] = 0
        baseline = np.fft.irfft(spec, n=m, axis=1)
        wander = baseline.max(axis=1) - baseline.min(axis=1)
        # robust peak-to-peak of the 0.5-40 Hz content (the QRS in all but odd leads)
        # (read every 4 ms or finer: the content is below 40 Hz, so its peaks lose little)
        xb = sfft.irfft(np.where(band, full, 0), n=n, axis=1)[:, :: max(1, int(fs // 250))]
        k_lo, k_hi = int(0.005 * (xb.shape[1] - 1)), int(np.ceil(0.995 * (xb.shape[1] - 1)))
        part = np.partition(xb, (k_lo, k_hi), axis=1)
        band_ptp = (part[:, k_hi] - part[:, k_lo]).astype(np.float64)
        # robust SD of the content above 40 Hz (1.4826 x median absolute value, over every
        # second sample): the noise between the QRS complexes, which the QRS's own
        # high-frequency content leaves alone
        if high.any():
            h = np.abs(sfft.irfft(np.where(high, full, 0), n=n, axis=1)[:, ::2])
            hf_sd = 1.4826 * np.partition(h, h.shape[1] // 2, axis=1)[:, h.shape[1] // 2].astype(np.float64)
        else:
            hf_sd = np.zeros(n_leads)

    bad = np.zeros(n_leads, bool) if invalid is None else np.asarray(invalid, dtype=bool).reshape(n_leads)
    seg = flat_segments(x, fs)
    seg_s = seg.sum(axis=1) / float(fs)
    seg_text = [_segment_text(m, fs) for m in seg]

    def every_lead_flat(dead: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # samples in which every lead is flat at once (a dead lead counts as flat
        # everywhere), and those of them inside the recording (not in a run at its start
        # or end, which only shortens the recording: rate and RR are measured on the rest;
        # a run inside it is a gap that RR intervals and beat counts would span)
        lost = seg | dead[:, None] if n else seg
        every_ = lost.all(axis=0) if n_leads else np.zeros(n, bool)
        inner_ = every_.copy()
        if n and every_[0]:
            inner_[: int(np.argmin(every_)) if not every_.all() else n] = False
        if n and every_[-1]:
            inner_[n - (int(np.argmin(every_[::-1])) if not every_.all() else n):] = False
        return every_, inner_

    # the per-lead rules (constant samples, flat segments over half) are judged on the
    # recorded part: the record less its all-lead flat start and end. A record flat in every
    # lead from 3 s of 10 s on is measured on its first 3 s, as the same 3 s cropped are; one
    # flat everywhere has no recorded part and every lead is flat
    ptp_flat = ptp < FLAT_PTP_MV
    every, inner = every_lead_flat(ptp_flat | bad)
    recorded = ~(every & ~inner)
    if n > 1 and recorded.any() and not recorded.all():
        steps = recorded[1:] & recorded[:-1]
        if steps.any():
            constant = (np.diff(x, axis=1)[:, steps] == 0).mean(axis=1)
    flat = ptp_flat | (constant > FLAT_CONSTANT_FRACTION)
    throughout = flat.copy()
    every, inner = every_lead_flat(throughout | bad)
    recorded = ~(every & ~inner)
    if n and recorded.any():
        share = (seg & recorded).sum(axis=1) / float(recorded.sum())
    else:
        share = seg.mean(axis=1) if n else np.zeros(n_leads)
    # mostly flat (FLAT_SEGMENT_LEAD_FRACTION of the recorded part): set aside with the
    # leads flat throughout (its median beat would be a median of mostly flat beats)
    flat = flat | (share >= FLAT_SEGMENT_LEAD_FRACTION)
    flat_segment = ~flat & ~bad & seg.any(axis=1)
    clipped = ~flat & (clip > CLIP_FRACTION)
    # the absolute HF-RMS test counts only HF content beyond what the lead's own QRS carries
    # (a clean QRS of 2 mV or more has HF RMS up to 2.7 % of its peak-to-peak, which passes
    # 0.1 mV once the lead is large: PTB-XL 4's V4 at twice its amplitude)
    hf0 = np.nan_to_num(hf_rms, nan=0.0)
    noisy = ~flat & ((np.nan_to_num(hf_ratio, nan=0.0) > NOISE_RATIO)
                     | ((hf0 > NOISE_HF_RMS_MV) & (hf0 > NOISE_HF_QRS_FRACTION * np.nan_to_num(band_ptp, nan=0.0)))
                     | (np.nan_to_num(hf_sd, nan=0.0) > NOISE_HF_RMS_MV))
    wandering = ~flat & (np.nan_to_num(wander, nan=0.0) > WANDER_PTP_MV)
    scale_ratio = lead_scale_ratio(band_ptp, leads, ~(flat | bad))
    scale = ~flat & ~noisy & ~clipped & (np.nan_to_num(scale_ratio, nan=0.0) > SCALE_RATIO_MAX) \
        & (np.nan_to_num(band_ptp, nan=0.0) > SCALE_MIN_PTP_MV)
    # a lead set aside for invalid samples is not also flat, clipped, noisy or wandering:
    # its stand-in samples (zeros) would say so, falsely
    flat, clipped, noisy, wandering, scale = (flag & ~bad for flag in (flat, clipped, noisy, wandering, scale))
    out = pd.DataFrame(
        {
            "ptp_mV": ptp,
            "constant_fraction": constant,
            "clip_fraction": clip,
            "hf_noise_ratio": hf_ratio,
            "hf_rms_mV": hf_rms,
            "hf_sd_mV": hf_sd,
            "wander_ptp_mV": wander,
            "band_ptp_mV": band_ptp,
            "scale_ratio": scale_ratio,
            "flat_segment_s": seg_s,
            "flat_segments": seg_text,
            "flat": flat,
            "flat_segment": flat_segment,
            "clipped": clipped,
            "noisy": noisy,
            "wander": wandering,
            "scale": scale,
            "invalid": bad,
            "usable": ~(flat | clipped | noisy | scale | bad),
        },
        index=pd.Index(list(leads), name="lead"),
    )
    # each lead's flat segments as sample runs (mask_flat_segments: the beats in a lead's
    # flat segment give that lead no measurement)
    out.attrs["flat_segment_runs"] = {
        str(ld): [(int(a), int(b)) for a, b in np.flatnonzero(np.diff(np.r_[0, m.astype(np.int8), 0])).reshape(-1, 2)]
        for ld, m in zip(leads, seg) if m.any()}
    out.attrs["flat_all_leads_s"] = float(every.sum() / fs)
    out.attrs["flat_all_leads_segments"] = _segment_text(every, fs)
    # the same runs as samples (start, end exclusive): not recorded, so left out of the time a
    # rate per minute is taken over (rhythm.recorded_duration_s)
    out.attrs["flat_all_leads_runs"] = [
        (int(a), int(b)) for a, b in np.flatnonzero(np.diff(np.r_[0, every.astype(np.int8), 0])).reshape(-1, 2)]
    out.attrs["flat_all_leads_inner_s"] = float(inner.sum() / fs)
    # all-lead dropout gaps (every lead still at once for >= DROPOUT_MIN_S, inside the
    # recording): the RR intervals that span one are left out of the rate and HRV
    record_dropout_gaps(out, x, fs)
    out.attrs["duration_s"] = float(n / fs)
    return out


def flat_segments(signal: np.ndarray, fs: float, min_s: float = FLAT_SEGMENT_MIN_S,
                  ptp_mv: float = FLAT_SEGMENT_PTP_MV) -> np.ndarray:
    """Samples that lie in a flat segment of their lead.

    A sample is in a flat segment when some window of ``min_s`` seconds that holds it has a
    peak-to-peak under ``ptp_mv`` in that lead; a segment is a run of such samples, so it
    lasts at least ``min_s`` (and every ``min_s`` window inside it stays under ``ptp_mv``).

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV, finite.
    fs : float
        Sampling rate (Hz).
    min_s : float
        Shortest flat segment (s), :data:`FLAT_SEGMENT_MIN_S` (1 s) by default.
    ptp_mv : float
        Peak-to-peak (mV) the lead stays under, :data:`FLAT_SEGMENT_PTP_MV` (0.005 mV).

    Returns
    -------
    numpy.ndarray of bool
        ``(n_leads, n_samples)``; all False for a record shorter than ``min_s``.

    Examples
    --------
    >>> from interp_ecg.features.quality import flat_segments
    >>> import numpy as np
    >>> t = np.arange(5000) / 500
    >>> x = np.stack([np.sin(2 * np.pi * 1.2 * t)] * 2)
    >>> x[1, 2500:] = 0.0                      # lead off after 5 s
    >>> m = flat_segments(x, 500)
    >>> int(m[0].sum()), int(m[1].sum()), int(np.flatnonzero(m[1])[0])
    (0, 2500, 2500)
    """
    from scipy.ndimage import maximum_filter1d, minimum_filter1d

    x = np.asarray(signal, dtype=np.float64)
    n_leads, n = x.shape
    w = max(int(round(min_s * fs)), 2)
    if n < w:
        return np.zeros((n_leads, n), bool)
    # peak-to-peak of the window [i, i + w) for every start i (the filters' origin puts the
    # window ahead of i), then every sample of a flat window is marked
    ahead = -(w // 2)
    ptp = maximum_filter1d(x, w, axis=1, origin=ahead) - minimum_filter1d(x, w, axis=1, origin=ahead)
    start = np.zeros((n_leads, n), np.uint8)
    start[:, : n - w + 1] = ptp[:, : n - w + 1] < ptp_mv
    if not start.any():
        return np.zeros((n_leads, n), bool)
    return maximum_filter1d(start, w, axis=1, origin=(w - 1) // 2).astype(bool)


def dropout_gaps(signal: np.ndarray, fs: float, dead: np.ndarray | None = None,
                 min_s: float = DROPOUT_MIN_S, ptp_mv: float = DROPOUT_PTP_MV) -> np.ndarray:
    """All-lead dropout gaps inside a record: every lead still at once.

    A dropout (a lost stretch of data, written as zeros or as the last value held) leaves
    every lead constant, or within one quantisation step, at the same time, which the
    12-lead ECG of a beating heart never is for more than a few tens of milliseconds (see
    :data:`DROPOUT_MIN_S`). A gap is a run of at least ``min_s`` in which every lead stays
    within ``ptp_mv`` peak-to-peak and is *held*: at least :data:`DROPOUT_LEVEL_SHARE` of
    its samples lie on its two commonest levels. A run at the record's start or end only
    shortens the recording and is not a gap.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV, finite.
    fs : float
        Sampling rate (Hz).
    dead : numpy.ndarray of bool, optional
        ``(n_leads,)`` leads that carry no signal at all (flat throughout, or set aside for
        invalid samples): they count as still everywhere. When every lead is dead there is
        no gap (nothing was recorded, which the caller's "no usable lead" says).
    min_s : float
        Shortest gap (s), :data:`DROPOUT_MIN_S` (0.2 s).
    ptp_mv : float
        Peak-to-peak (mV) every lead stays under, :data:`DROPOUT_PTP_MV` (0.005 mV).

    Returns
    -------
    numpy.ndarray of int
        ``(n_gaps, 2)`` start and end (exclusive) sample of each gap, in order.

    Examples
    --------
    >>> from interp_ecg.features.quality import dropout_gaps
    >>> import numpy as np
    >>> t = np.arange(5000) / 500
    >>> x = np.stack([np.sin(2 * np.pi * 1.2 * t), np.cos(2 * np.pi * 1.2 * t)])
    >>> x[:, 2000:2400] = 0.0                  # 0.8 s lost in both leads
    >>> dropout_gaps(x, 500).tolist()
    [[2000, 2400]]
    >>> x[:, :300] = 0.0                       # a flat start is not a gap
    >>> dropout_gaps(x, 500).tolist()
    [[2000, 2400]]
    """
    x = np.asarray(signal, dtype=np.float64)
    n_leads, n = x.shape
    dead = np.zeros(n_leads, bool) if dead is None else np.asarray(dead, dtype=bool).reshape(n_leads)
    live = ~dead
    none = np.zeros((0, 2), dtype=np.int64)
    if not live.any() or n == 0:
        return none
    still = flat_segments(x[live], fs, min_s=min_s, ptp_mv=ptp_mv).all(axis=0)
    edges = np.flatnonzero(np.diff(np.r_[0, still.astype(np.int8), 0]))
    runs = edges.reshape(-1, 2)
    w = max(int(round(min_s * fs)), 2)
    keep = ((runs[:, 1] - runs[:, 0]) >= w) & (runs[:, 0] > 0) & (runs[:, 1] < n)
    # held, not merely quiet: in every live lead the run sits on one level or flickers
    # between two (one quantisation step), on at least DROPOUT_LEVEL_SHARE of its samples
    # (a noiseless simulated signal's wave tails change at every sample)
    for k in np.flatnonzero(keep):
        a, b = runs[k]
        for seg in np.round(x[live, a:b] / DROPOUT_LEVEL_MV).astype(np.int64):
            counts = np.sort(np.unique(seg, return_counts=True)[1])[::-1]
            if counts[:2].sum() < DROPOUT_LEVEL_SHARE * (b - a):
                keep[k] = False
                break
    return runs[keep].astype(np.int64) if keep.any() else none


def record_dropout_gaps(q: pd.DataFrame, signal: np.ndarray, fs: float) -> None:
    """Find the all-lead dropout gaps of ``signal`` and store them in ``q.attrs``.

    :func:`lead_quality` calls it on the signal it measures; the feature pipeline calls it
    again on the signal before mains removal (a notch filter rings into a gap of zeros).
    Still runs over :data:`DROPOUT_BASELINE_FRACTION` of the record or more are the
    signal's own baseline (``attrs["still_baseline"]``, named by :func:`dropout_note`), not
    gaps.

    Parameters
    ----------
    q : pandas.DataFrame
        The per-lead table of :func:`lead_quality` (its ``ptp_mV``, ``constant_fraction``
        and ``invalid`` columns say which leads are dead); changed in place.
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV, finite, the leads of ``q`` in order.
    fs : float
        Sampling rate (Hz).
    """
    x = np.asarray(signal, dtype=np.float64)
    n = x.shape[1]
    dead = ((q["ptp_mV"].to_numpy(dtype=float) < FLAT_PTP_MV)
            | (q["constant_fraction"].to_numpy(dtype=float) > FLAT_CONSTANT_FRACTION)
            | q["invalid"].to_numpy(dtype=bool))
    gaps = dropout_gaps(x, fs, dead=dead) if n else np.zeros((0, 2), np.int64)
    still_s = float((gaps[:, 1] - gaps[:, 0]).sum() / fs) if len(gaps) else 0.0
    baseline = n > 0 and still_s >= DROPOUT_BASELINE_FRACTION * n / fs
    q.attrs["dropout_gaps"] = [] if baseline else [(int(a), int(b)) for a, b in gaps]
    q.attrs["still_baseline"] = (len(gaps), still_s) if baseline else (0, 0.0)


def mask_flat_segments(signal: np.ndarray, q: pd.DataFrame) -> np.ndarray:
    """The signal with each lead's flat segments as NaN: nothing was recorded there.

    A beat inside a lead's flat segment (lead off part-way) has no waves in that lead; taken
    as a beat of the lead it would pull the lead's median beat towards zero (R, S and T
    amplitudes read 0.0 mV once the flat beats outnumber the recorded ones) and make the
    beats look unlike each other to the beat classification (PTB-XL 10 with V1-V6 flat over
    the last 34 %: the four flat beats became the dominant class, QRS 93 -> 64 ms). With the
    samples NaN the median beat is the median of the lead's recorded beats, and the beats
    are compared on the samples they have in common (user 7, finding A1).

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV, the signal ``q`` was measured on.
    q : pandas.DataFrame
        The per-lead table of :func:`lead_quality` (its ``attrs["flat_segment_runs"]``).

    Returns
    -------
    numpy.ndarray
        A float copy of ``signal`` (the same array when no lead has a flat segment).

    Examples
    --------
    >>> from interp_ecg.features import lead_quality
    >>> from interp_ecg.features.quality import mask_flat_segments
    >>> import numpy as np
    >>> t = np.arange(5000) / 500
    >>> x = np.stack([np.sin(2 * np.pi * 1.2 * t)] * 2)
    >>> x[1, 3000:] = 0.0
    >>> y = mask_flat_segments(x, lead_quality(x, 500, ["I", "V1"]))
    >>> int(np.isnan(y[0]).sum()), int(np.isnan(y[1]).sum())
    (0, 2000)
    """
    runs = q.attrs.get("flat_segment_runs", {})
    if not runs:
        return signal
    out = np.array(signal, dtype=np.result_type(signal.dtype, np.float32), copy=True)
    pos = {str(ld): i for i, ld in enumerate(q.index)}
    for lead, spans in runs.items():
        for a, b in spans:
            out[pos[lead], a:b] = np.nan
    return out


def dropout_note(q: pd.DataFrame, fs: float) -> str:
    """The sentence naming a record's all-lead dropout gaps, for ``quality_reason``.

    Runs of invalid samples in every lead at once (set by the feature pipeline from
    :func:`invalid_dropout_gaps`) are named too: inside the record as dropout gaps
    (``attrs["invalid_dropout_gaps"]``), at its start or end as unrecorded time
    (``attrs["invalid_edge_runs"]``).

    Parameters
    ----------
    q : pandas.DataFrame
        The per-lead table of :func:`lead_quality` (its ``attrs["dropout_gaps"]`` and
        ``attrs["invalid_dropout_gaps"]``).
    fs : float
        Sampling rate (Hz).

    Returns
    -------
    str
        ``""`` when the record has no dropout gap.

    Examples
    --------
    >>> from interp_ecg.features import lead_quality
    >>> from interp_ecg.features.quality import dropout_note
    >>> import numpy as np
    >>> t = np.arange(5000) / 500
    >>> x = np.stack([np.sin(2 * np.pi * 1.2 * t), np.cos(2 * np.pi * 1.2 * t)])
    >>> x[:, 2000:2400] = 0.0
    >>> dropout_note(lead_quality(x, 500, ["I", "II"]), 500)
    'all-lead dropout gap (every lead held within 0.005 mV at once for >= 0.2 s: data lost): 4.00-4.80 s'
    """
    gaps = list(q.attrs.get("dropout_gaps", []))
    n_still, still_s = q.attrs.get("still_baseline", (0, 0.0))
    nan_gaps = list(q.attrs.get("invalid_dropout_gaps", []))
    nan_note = ""
    if nan_gaps:
        nan_note = (f"all-lead dropout gap{'s' if len(nan_gaps) > 1 else ''} (every lead invalid (NaN) at once "
                    f"for > {MAX_BRIDGED_GAP_MS:g} ms: data lost, bridged): "
                    + ", ".join(f"{a / fs:.2f}-{b / fs:.2f} s" for a, b in nan_gaps))
    edge_runs = list(q.attrs.get("invalid_edge_runs", []))
    edge_note = ""
    if edge_runs:
        edge_note = ("every lead invalid (NaN) at once at the record's start or end (nothing recorded; "
                     "measured on the rest): " + ", ".join(f"{a / fs:.2f}-{b / fs:.2f} s" for a, b in edge_runs))
    text = _zero_dropout_text(gaps, n_still, still_s, fs)
    return "; ".join(t for t in (text, nan_note, edge_note) if t)


def _zero_dropout_text(gaps: list, n_still: int, still_s: float, fs: float) -> str:
    if n_still:
        return (f"every lead still at once (within {DROPOUT_PTP_MV:g} mV) over {still_s:.1f} s in {n_still} runs of "
                f">= {DROPOUT_MIN_S:g} s, at least {DROPOUT_BASELINE_FRACTION:.0%} of the record: a noiseless "
                f"(simulated?) signal's baseline, not taken for data dropouts; in a recording its rate and HRV "
                f"would span lost data")
    if not gaps:
        return ""
    text = ", ".join(f"{a / fs:.2f}-{b / fs:.2f} s" for a, b in gaps)
    return (f"all-lead dropout gap{'s' if len(gaps) > 1 else ''} (every lead held within {DROPOUT_PTP_MV:g} mV "
            f"at once for >= {DROPOUT_MIN_S:g} s: data lost): {text}")


def _segment_text(mask: np.ndarray, fs: float) -> str:
    """``"5.0-10.0 s"`` for the runs of ``mask`` (comma-separated; ``""`` when none)."""
    edges = np.flatnonzero(np.diff(np.r_[0, np.asarray(mask, np.int8), 0]))
    if not edges.size:
        return ""
    return ", ".join(f"{a / fs:.1f}-{b / fs:.1f} s" for a, b in zip(edges[::2], edges[1::2]))


def flat_segment_check(q: pd.DataFrame) -> tuple[str, str]:
    """Whether a record's flat segments refuse it, and the note on them.

    Parameters
    ----------
    q : pandas.DataFrame
        The per-lead table of :func:`lead_quality` (its ``flat_segment``, ``flat_segments``
        columns and its ``attrs``).

    Returns
    -------
    refusal : str
        ``""``, or why the record is refused: every lead is flat at once, inside the
        recording, over at least :data:`FLAT_SEGMENT_RECORD_FRACTION` (a tenth) of the record
        (a flat run at the start or the end, of any length, only shortens the recording and
        is named in the note; :func:`lead_quality` judges the leads on the rest). Not said
        when no lead
        has any signal at all (the caller's "no usable lead" says it).
    note : str
        ``""``, or the flat segments of the leads that are measured (the leads flat over half
        the record or more are in ``quality_flat_leads``), and those of the whole record,
        for ``quality_reason``.

    Examples
    --------
    >>> from interp_ecg.features import lead_quality
    >>> from interp_ecg.features.quality import flat_segment_check
    >>> import numpy as np
    >>> t = np.arange(5000) / 500
    >>> x = np.stack([np.sin(2 * np.pi * 1.2 * t)] * 3)
    >>> x[2, 1000:1800] = 0.0
    >>> flat_segment_check(lead_quality(x, 500, ["I", "II", "V1"]))
    ('', 'flat segments (>= 1 s under 0.005 mV peak-to-peak: lead off?): V1 2.0-3.6 s')
    >>> x[:, 2000:2600] = 0.0
    >>> flat_segment_check(lead_quality(x, 500, ["I", "II", "V1"]))[0]
    'flat in every lead at once over 1.2 of 10.0 s (4.0-5.2 s; >= 1 s under 0.005 mV peak-to-peak: leads off?): at least 10% of the record not recorded, its rate, rhythm and beat counts would be wrong; not measured'
    >>> y = np.stack([np.sin(2 * np.pi * 1.2 * t)] * 3)
    >>> y[:, :1500] = -1.5  # the record starts flat: measured on the rest
    >>> flat_segment_check(lead_quality(y, 500, ["I", "II", "V1"]))
    ('', "flat segments (>= 1 s under 0.005 mV peak-to-peak: lead off?): every lead 0.0-3.0 s (at the record's start or end: measured on the rest)")
    """
    crit = f">= {FLAT_SEGMENT_MIN_S:g} s under {FLAT_SEGMENT_PTP_MV:g} mV peak-to-peak"
    lost_s = float(q.attrs.get("flat_all_leads_s", 0.0))
    inner_s = float(q.attrs.get("flat_all_leads_inner_s", lost_s))
    every = str(q.attrs.get("flat_all_leads_segments", ""))
    duration = float(q.attrs.get("duration_s", np.nan))
    if not duration > 0 or lost_s >= duration:  # nothing recorded at all: "no usable lead" says it
        return "", ""
    if inner_s >= FLAT_SEGMENT_RECORD_FRACTION * duration:
        return (f"flat in every lead at once over {inner_s:.1f} of {duration:.1f} s ({every}; {crit}: leads "
                f"off?): at least {FLAT_SEGMENT_RECORD_FRACTION:.0%} of the record not recorded, its rate, "
                "rhythm and beat counts would be wrong; not measured"), ""
    parts = []
    if inner_s > 0:
        parts.append(f"every lead {every} (the RR intervals that span it are left out of the rate and HRV; "
                     "PVC_per_min is per recorded minute)")
    elif lost_s > 0:
        parts.append(f"every lead {every} (at the record's start or end: measured on the rest)")
    # leads with the same segments named together
    groups: dict[str, list[str]] = {}
    for lead, flag, text in zip(q.index, q["flat_segment"].to_numpy(dtype=bool), q["flat_segments"]):
        if flag and text != every:
            groups.setdefault(str(text), []).append(str(lead))
    parts += [f"{','.join(leads)} {text}" for text, leads in groups.items()]
    if not parts:
        return "", ""
    return "", f"flat segments ({crit}: lead off?): " + "; ".join(parts)


def mains_interference(signal: np.ndarray, fs: float) -> pd.DataFrame:
    """Amplitude (mV) of a 50 Hz and a 60 Hz sinusoid in every lead.

    The power in the band ``f0 +/- 0.5 Hz`` of the lead's spectrum, less the background
    expected there from the neighbouring 1-5 Hz on each side (their median power per bin),
    is converted to the amplitude of the sinusoid that would carry it
    (``A = 2 sqrt(P) / n``). A QRS complex spreads its power over the whole band and adds
    little excess; mains interference is a line and stands out. The band must carry at
    least :data:`MAINS_LINE_FACTOR` (4) times the expected power, or the amplitude is 0
    (white noise fluctuates by less).

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV, finite.
    fs : float
        Sampling rate (Hz). A frequency within 6 Hz of the Nyquist frequency, or a
        record shorter than 2 s, is not checked (NaN).

    Returns
    -------
    pandas.DataFrame
        ``(n_leads, 2)``, columns ``50``, ``60`` (float, mV).

    Examples
    --------
    >>> from interp_ecg.features.quality import mains_interference
    >>> import numpy as np
    >>> t = np.arange(5000) / 500
    >>> x = np.stack([np.sin(2 * np.pi * 1.2 * t), np.sin(2 * np.pi * 1.2 * t) + 0.1 * np.sin(2 * np.pi * 50 * t)])
    >>> mains_interference(x, 500).round(3).to_numpy().tolist()
    [[0.0, 0.0], [0.1, 0.0]]
    """
    x = np.asarray(signal, dtype=np.float64)
    n_leads, n = x.shape
    out = np.full((n_leads, len(MAINS_FREQUENCIES_HZ)), np.nan)
    if n < int(2 * fs):
        return pd.DataFrame(out, columns=[int(f) for f in MAINS_FREQUENCIES_HZ])
    x = x - x.mean(axis=1, keepdims=True)
    power = np.abs(np.fft.rfft(x, axis=1)) ** 2
    freqs = np.fft.rfftfreq(n, d=1.0 / fs)
    for j, f0 in enumerate(MAINS_FREQUENCIES_HZ):
        if f0 + MAINS_NEIGHBOUR_HZ + 1.0 >= fs / 2.0:
            continue
        d = np.abs(freqs - f0)
        line = d <= MAINS_HALF_BAND_HZ
        side = (d > 1.0) & (d <= MAINS_NEIGHBOUR_HZ)
        bg = np.median(power[:, side], axis=1) * line.sum()
        excess = power[:, line].sum(axis=1) - bg
        # a line, not a fluctuation of a broadband (white-noise) spectrum: the band must
        # carry at least MAINS_LINE_FACTOR times the power expected there
        excess = np.where(excess > (MAINS_LINE_FACTOR - 1.0) * bg, excess, 0.0)
        out[:, j] = 2.0 * np.sqrt(excess) / n
    return pd.DataFrame(out, columns=[int(f) for f in MAINS_FREQUENCIES_HZ])


def remove_mains(signal: np.ndarray, fs: float, leads: Sequence[str]) -> tuple[np.ndarray, dict[str, float]]:
    """Find mains interference (:func:`mains_interference`) and notch it out where found.

    Each lead whose 50 or 60 Hz amplitude exceeds :data:`MAINS_AMPLITUDE_MV` is filtered,
    forward and backward (zero phase), with a second-order IIR notch at that frequency
    (:func:`scipy.signal.iirnotch`, Q = :data:`MAINS_NOTCH_Q`); the other leads are left
    untouched, so a record without interference comes back unchanged.

    Returns
    -------
    signal : numpy.ndarray
        Same shape and dtype as the input.
    found : dict
        Lead -> amplitude (mV) of the interference removed from it (empty when none).
    """
    amp = mains_interference(signal, fs).to_numpy()
    hit = np.nan_to_num(amp, nan=0.0) > MAINS_AMPLITUDE_MV
    if not hit.any():
        return signal, {}
    from scipy.signal import filtfilt, iirnotch

    y = np.array(signal, dtype=np.float64)
    found: dict[str, float] = {}
    for j, f0 in enumerate(MAINS_FREQUENCIES_HZ):
        rows = np.flatnonzero(hit[:, j])
        if rows.size == 0:
            continue
        b, a = iirnotch(f0, MAINS_NOTCH_Q, fs=fs)
        y[rows] = filtfilt(b, a, y[rows], axis=1)
        for i in rows:
            found[f"{leads[i]} {int(f0)} Hz"] = float(amp[i, j])
    return y.astype(np.asarray(signal).dtype, copy=False), found


def units_check(signal: np.ndarray) -> str:
    """Why a record cannot be a surface ECG in millivolts, or ``""``.

    The median over leads of each lead's peak-to-peak range must not exceed
    :data:`MAX_MEDIAN_RANGE_MV` (20 mV): a record in microvolts (1000 times too large) or
    in raw ADC counts fails, a record in mV with a large artefact in one lead does not.

    Examples
    --------
    >>> from interp_ecg.features.quality import units_check
    >>> import numpy as np
    >>> t = np.arange(5000) / 500
    >>> x = np.stack([1.5 * np.sin(2 * np.pi * 1.2 * t)] * 3)
    >>> units_check(x), units_check(1000 * x)[:47]
    ('', 'median lead range 3000 mV: the units look wrong')
    """
    x = np.asarray(signal, dtype=np.float64)
    if x.size == 0:
        return ""
    with np.errstate(invalid="ignore"):
        rng = np.nanmax(x, axis=1) - np.nanmin(x, axis=1)
    rng = rng[np.isfinite(rng)]
    if rng.size == 0:
        return ""
    med = float(np.median(rng))
    if med > MAX_MEDIAN_RANGE_MV:
        return (f"median lead range {med:.0f} mV: the units look wrong (a surface ECG in mV spans a "
                f"few mV; microvolts or ADC counts?), limit {MAX_MEDIAN_RANGE_MV:.0f} mV")
    return ""


#: median over the leads (all but flat or invalid ones) of the lead's robust peak-to-peak
#: amplitude (``band_ptp_mV`` of :func:`lead_quality`: 0.5th to 99.5th percentile of its
#: 0.5-40 Hz content, the QRS in all but odd leads), in mV, above which a record is refused as
#: implausibly large (a gain or units error short of the 1000-fold of
#: :data:`MAX_MEDIAN_RANGE_MV`). Electrocardiographs are built to record a differential input
#: of +-5 mV (10 mV peak-to-valley; the input dynamic range of IEC 60601-2-25:2011) because
#: the QRS of a surface ECG, in its largest
#: lead, fits in it; a median lead half as large as that range means most leads above 5 mV.
#: The voltage criteria of LVH start at 3.5 mV summed over two leads (Sokolow & Lyon, Am
#: Heart J 1949;37:161-86). ``benchmarks/amplitude_rates.py --gain`` prints the distribution
#: on the PTB-XL and LUDB records shared with the project (LVH records apart).
MAX_MEDIAN_QRS_PTP_MV = 5.0


def amplitude_check(q: pd.DataFrame) -> str:
    """Why a record's amplitudes cannot be those of a surface ECG in mV, or ``""``.

    The median over the leads that carry a signal (neither flat nor invalid; a gain error
    makes leads look noisy, so noisy ones count) of ``band_ptp_mV`` from
    :func:`lead_quality` must not exceed :data:`MAX_MEDIAN_QRS_PTP_MV` (5 mV): a record
    recorded or converted with a wrong gain (10 times too large, say) fails, whereas
    high-voltage ECGs (LVH, athletes), large in a few leads, do not.

    Parameters
    ----------
    q : pandas.DataFrame
        The per-lead table of :func:`lead_quality`.

    Examples
    --------
    >>> from interp_ecg.features import lead_quality
    >>> from interp_ecg.features.quality import amplitude_check
    >>> import numpy as np
    >>> t = np.arange(5000) / 500
    >>> beat = np.exp(-((t % 1.0) - 0.5) ** 2 / (2 * 0.01 ** 2))  # 1 mV spikes, 1 per second
    >>> x = np.stack([1.5 * beat] * 12)
    >>> leads = [f"L{i}" for i in range(12)]
    >>> amplitude_check(lead_quality(x, 500, leads)), amplitude_check(lead_quality(10 * x, 500, leads))[:35]
    ('', 'amplitude implausible (gain/units?)')
    """
    keep = ~(q["flat"].to_numpy(dtype=bool) | q.get("invalid", pd.Series(False, index=q.index)).to_numpy(dtype=bool))
    amp = q["band_ptp_mV"].to_numpy(dtype=float)[keep]
    amp = amp[np.isfinite(amp)]
    if amp.size == 0:
        return ""
    med = float(np.median(amp))
    if med > MAX_MEDIAN_QRS_PTP_MV:
        return (f"amplitude implausible (gain/units?): median lead peak-to-peak {med:.1f} mV (0.5-40 Hz), "
                f"limit {MAX_MEDIAN_QRS_PTP_MV:.0f} mV (an electrocardiograph records +-5 mV; IEC 60601-2-25)")
    return ""


def _interior_plateau_fraction(mask: np.ndarray, min_run: int = 3) -> float:
    """Fraction of samples in plateaus (runs >= ``min_run``) not touching the record edges.

    Needs at least two such plateaus: saturation repeats with every beat, whereas records
    that start or end on a constant stretch (common in PTB-XL) are not clipped.
    """
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    starts, stops = edges[::2], edges[1::2]
    keep = (stops - starts >= min_run) & (starts > 0) & (stops < mask.size)
    if keep.sum() < 2:
        return 0.0
    return float((stops[keep] - starts[keep]).sum() / mask.size)


def limb_reversal_suspected(
    p_amp: dict[str, float], qrs_net: dict[str, float], t_amp: dict[str, float] | None = None
) -> tuple[bool, str]:
    """Suspect a left/right arm electrode reversal from median-beat measurements.

    With LA and RA swapped, lead I is the mirror image of normal (P and QRS negative) while
    the chest leads, which do not use the arm electrodes alone, are unchanged: a net QRS
    negative in lead I but positive in V5 or V6 (leads that face the heart from nearly the
    same side) is the bedside clue (Batchvarov, Malik & Camm, Europace 2007). Mirror-image
    dextrocardia inverts lead I too but also makes V5-V6 small or negative, so it does not
    meet this rule. Where V5 and V6 are not recorded, aVR is used instead: its QRS, normally
    negative, turns positive (and a P wave must then be seen, negative, in lead I).

    The T wave of lead I is not required: secondary T changes (LBBB) make it discordant to
    the QRS. Reversals were caught in 17 of 18 simulated records (the rule before, which
    needed P, QRS and T negative in I and QRS positive in aVR, caught 3), with no flag on
    the 18 unreversed ones and 1 of the first 500 PTB-XL records (377, left posterior
    fascicular block, no P found in lead I).

    Parameters
    ----------
    p_amp, qrs_net : dict
        Lead name -> signed amplitude (mV) of P and of the net QRS (R + Q + S).
    t_amp : dict, optional
        Not used (kept for callers that pass the three waves).

    Returns
    -------
    (bool, str)
        Whether a reversal is suspected, and why.

    Examples
    --------
    >>> from interp_ecg.features.quality import limb_reversal_suspected
    >>> limb_reversal_suspected({"I": -0.1}, {"I": -0.8, "V6": 0.9})
    (True, 'lead I: QRS and P negative while V5/V6 QRS positive (LA/RA reversal?)')
    >>> limb_reversal_suspected({"I": -0.1}, {"I": -0.8, "aVR": 0.6})
    (True, 'lead I: QRS and P negative, aVR QRS positive (LA/RA reversal?)')
    >>> limb_reversal_suspected({"I": 0.1}, {"I": 0.8, "aVR": -0.6, "V6": 0.9})
    (False, '')
    """
    p1, q1 = p_amp.get("I", np.nan), qrs_net.get("I", np.nan)
    if not (np.isfinite(q1) and q1 < -REVERSAL_QRS_MV) or (np.isfinite(p1) and p1 >= 0):
        return False, ""
    chest = [v for v in (qrs_net.get("V5", np.nan), qrs_net.get("V6", np.nan)) if np.isfinite(v)]
    if chest:
        if max(chest) > REVERSAL_QRS_MV:
            return True, "lead I: QRS and P negative while V5/V6 QRS positive (LA/RA reversal?)"
        return False, ""
    qr = qrs_net.get("aVR", np.nan)
    if np.isfinite(qr) and qr > REVERSAL_QRS_MV and np.isfinite(p1):
        return True, "lead I: QRS and P negative, aVR QRS positive (LA/RA reversal?)"
    return False, ""


#: net QRS (mV) beyond which a lead counts as clearly negative (lead I) or positive (V5, V6,
#: aVR) in :func:`limb_reversal_suspected`
REVERSAL_QRS_MV = 0.1


#: The limb-lead identities (:func:`limb_lead_identity`) hold exactly for any recording of
#: the six limb leads on one scale, whatever the rhythm, noise or wander (the leads are
#: differences of the same three electrode potentials): Einthoven's II = I + III and
#: Goldberger's aVR = -(I + II)/2, aVL = (I - III)/2, aVF = (II + III)/2. A record whose
#: largest residual exceeds this fraction of the limb leads' RMS does not have its limb
#: leads on one scale (each lead rescaled on its own, as in LUDB as stored on PhysioNet)
#: or not as named. Why 0.10: the residuals of correctly stored records are quantisation
#: and filter differences, at most 0.006 over the first 500 PTB-XL records at 500 Hz (0.011
#: at 100 Hz) and 0.008 over the 50 CinC-2021 records here (simulated records 0; judged in
#: the 0.5-40 Hz band before any mains notch, benchmarks/limb_identity_scan.py), while the
#: 200 LUDB records, each lead scaled on its own, read 0.13-1.6 (median 0.54); one limb lead
#: off by 30 % of its gain reads 0.06-0.40 on simulated records (more for a large lead), so
#: the check catches gross per-lead scaling, not a few per cent (docs/results_features.md,
#: round of 2026-12-01: limb-lead identities).
LIMB_IDENTITY_MAX_FRACTION = 0.10
#: High-pass (Hz, 2nd-order Butterworth, zero phase, the same on every lead, so the
#: identities are kept) applied before the residuals: a DC offset or a slow drift that a
#: device or an export removed lead by lead is not a scale error.
LIMB_IDENTITY_HIGHPASS_HZ = 0.5
#: Low-pass (Hz, 2nd-order Butterworth, zero phase, the same on every lead) applied before the
#: residuals: the identities are judged in the band the axes and voltages are measured in.
#: Mains hum (50/60 Hz) that a notch removed from some leads only, and muscle noise in one
#: lead, would otherwise read as a scale error (CinC JS20000, lead I notched: 0.012 raw ->
#: 0.127 after the notch; 20-30 uV of 15-100 Hz noise in one limb lead set the axes NaN).
LIMB_IDENTITY_LOWPASS_HZ = 40.0
#: The identities checked: name -> (lead, its expression in the others as {lead: weight}).
LIMB_IDENTITIES = {
    "II = I + III": ("II", {"I": 1.0, "III": 1.0}),
    "aVR = -(I + II)/2": ("aVR", {"I": -0.5, "II": -0.5}),
    "aVL = (I - III)/2": ("aVL", {"I": 0.5, "III": -0.5}),
    "aVF = (II + III)/2": ("aVF", {"II": 0.5, "III": 0.5}),
}


#: a second in which a limb lead's RMS (band-passed) is under this fraction of that lead's median
#: second is not judged by the identities: the lead is off there (a flat segment, a dropout), and
#: comparing it with the recorded leads would read a lead-off as a scale error
LIMB_IDENTITY_LIVE_FRACTION = 0.1


def _limb_band(x: np.ndarray, fs: float) -> np.ndarray:
    """Limb leads ``(k, n)`` band-passed for the identity checks, mains hum notched out of every
    lead alike (a hum in some leads only is no scale error)."""
    from scipy.signal import butter, filtfilt, iirnotch, sosfiltfilt

    sos = butter(2, [LIMB_IDENTITY_HIGHPASS_HZ, min(LIMB_IDENTITY_LOWPASS_HZ, 0.45 * fs)], "bandpass", fs=fs,
                 output="sos")
    y = sosfiltfilt(sos, x, axis=-1)
    for f0 in MAINS_FREQUENCIES_HZ:
        if f0 < 0.5 * fs:
            b, a = iirnotch(f0, MAINS_NOTCH_Q, fs=fs)
            y = filtfilt(b, a, y, axis=-1)
    return y


def _per_second_rms(v: np.ndarray, fs: float) -> np.ndarray:
    """RMS of each whole second of ``v`` along its last axis (the partial last second dropped)."""
    win = int(round(fs))
    n_win = v.shape[-1] // win
    return np.sqrt(np.mean(v[..., : n_win * win].reshape(*v.shape[:-1], n_win, win) ** 2, axis=-1))


def _all_limb_leads_live(rms: np.ndarray) -> np.ndarray:
    """``(n_seconds,)`` True where every limb lead (rows of ``rms``, per-second RMS) is recorded."""
    med = np.median(rms, axis=1, keepdims=True)
    return (rms > LIMB_IDENTITY_LIVE_FRACTION * med).all(axis=0)


def limb_lead_identity(
    signal: np.ndarray, fs: float, leads: Sequence[str], usable: Sequence[bool] | None = None,
    residuals_out: dict[str, float] | None = None,
) -> tuple[float, str]:
    """Check that the limb leads obey Einthoven's and Goldberger's identities.

    For each identity of :data:`LIMB_IDENTITIES` whose leads are recorded and usable, the
    RMS of ``lead - expression`` (in the :data:`LIMB_IDENTITY_HIGHPASS_HZ` -
    :data:`LIMB_IDENTITY_LOWPASS_HZ` band with the mains frequencies notched, the same
    filters on every lead) is
    divided by the RMS of the limb leads, second by second, and the median over the seconds
    taken (a short artefact in one lead is not a scale error); the largest of these
    fractions over the identities is returned. Above :data:`LIMB_IDENTITY_MAX_FRACTION` the limb leads are not on one scale
    (or not the leads named), and a frontal axis or an amplitude summed over leads measured
    on them means nothing.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV (finite).
    fs : float
        Sampling rate (Hz).
    leads : sequence of str
        Lead names of the rows (standard spellings, ``"I"`` ... ``"aVF"``).
    usable : sequence of bool, optional
        ``False`` for leads set aside (flat, clipped, noisy): identities that need them are
        not checked.
    residuals_out : dict, optional
        Filled with each checked identity's residual fraction (for
        :func:`limb_identity_suspects`).

    Returns
    -------
    residual : float
        Largest residual fraction; ``NaN`` when no identity could be checked (fewer than
        three limb leads, or the ones needed set aside).
    reason : str
        ``""`` when the check passed or could not be made, else which identity failed and
        by how much.

    References
    ----------
    Kligfield P et al., Recommendations for the standardization and interpretation of the
    ECG, Part I, Circulation 115:1306 (2007) (lead definitions).

    Examples
    --------
    >>> from interp_ecg.features.quality import limb_lead_identity
    >>> import numpy as np
    >>> t = np.arange(5000) / 500.0
    >>> ra, la, ll = np.zeros_like(t), np.sin(2 * np.pi * 1.1 * t), 0.7 * np.sin(2 * np.pi * 1.3 * t)
    >>> I, II, III = la - ra, ll - ra, ll - la
    >>> aVR, aVL, aVF = ra - (la + ll) / 2, la - (ra + ll) / 2, ll - (ra + la) / 2
    >>> sig = np.stack([I, II, III, aVR, aVL, aVF])
    >>> names = ["I", "II", "III", "aVR", "aVL", "aVF"]
    >>> float(round(limb_lead_identity(sig, 500.0, names)[0], 6))
    0.0
    >>> sig[2] *= 1.5  # lead III rescaled on its own
    >>> limb_lead_identity(sig, 500.0, names)[1].startswith("limb leads not on one scale")
    True
    """
    x = np.asarray(signal, dtype=float)
    ok = np.ones(len(leads), bool) if usable is None else np.asarray(usable, bool)
    row = {str(name): k for k, name in enumerate(leads) if ok[k]}
    checks = [(name, lead, expr) for name, (lead, expr) in LIMB_IDENTITIES.items()
              if lead in row and all(e in row for e in expr)]
    if not checks or x.shape[-1] < fs:  # under 1 s: too short for the high-pass
        return np.nan, ""
    limb = sorted({row[n] for n in ("I", "II", "III", "aVR", "aVL", "aVF") if n in row})
    y = np.full(x.shape, np.nan)
    y[limb] = _limb_band(x[limb], fs)
    # judged second by second, and the median second taken: a scale error is everywhere,
    # while a short artefact in one lead (PTB-XL 162: a 2.5 mV glitch in aVR and aVF in
    # one second) is not a scale error

    scale = np.sqrt(np.mean(_per_second_rms(y[limb], fs) ** 2, axis=0))  # (n_win,)
    live = (scale > 0) & _all_limb_leads_live(_per_second_rms(y[limb], fs))
    if not live.any():
        return np.nan, ""
    fractions = {}
    for name, lead, expr in checks:
        res = y[row[lead]] - sum(w * y[row[e]] for e, w in expr.items())
        fractions[name] = float(np.median(_per_second_rms(res, fs)[live] / scale[live]))
    if residuals_out is not None:
        residuals_out.update(fractions)
    worst_name = max(fractions, key=fractions.__getitem__)
    worst = fractions[worst_name]
    if worst > LIMB_IDENTITY_MAX_FRACTION:
        return worst, (f"limb leads not on one scale: {worst_name} misses by {100 * worst:.0f} % of the "
                       f"limb-lead RMS (over {100 * LIMB_IDENTITY_MAX_FRACTION:.0f} %; each lead rescaled "
                       f"on its own, or leads not as named?)")
    return worst, ""


#: How well the other limb leads must agree among themselves, without the lead that
#: :func:`limb_identity_suspects` names as breaking the identities: each within this fraction of
#: the limb-lead RMS
#: (half :data:`LIMB_IDENTITY_MAX_FRACTION`; correctly stored records read under 0.011 at 100
#: or 500 Hz, benchmarks/limb_identity_scan.py), so "holds" is clear, not a near miss.
LIMB_IDENTITY_HOLDS_FRACTION = 0.05
#: The six limb leads, in their standard order.
LIMB_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF")


#: Each limb lead in terms of leads I and II (the two independent electrode differences).
_LIMB_IN_I_II = {"I": (1.0, 0.0), "II": (0.0, 1.0), "III": (-1.0, 1.0), "aVR": (-0.5, -0.5),
                 "aVL": (1.0, -0.5), "aVF": (-0.5, 1.0)}


def limb_identity_suspects(signal: np.ndarray, fs: float, leads: Sequence[str], usable: Sequence[bool] | None,
                           residuals: dict[str, float]) -> tuple[str | None, list[str]]:
    """Which limb lead breaks the limb-lead identities, when the signal can tell.

    The six limb leads are combinations of two electrode differences, so any three or more
    of them over-determine those two. One lead on a wrong scale or not as named (lead III
    recorded as I - II, i.e. negated) leaves the other leads consistent among themselves: a
    lead is named when, without it, every other usable limb lead is fitted by the least-squares
    pair of electrode differences within :data:`LIMB_IDENTITY_HOLDS_FRACTION` of the limb-lead
    RMS (at least three leads left; same band, per-second median as
    :func:`limb_lead_identity`), while it misses that fit by over
    :data:`LIMB_IDENTITY_MAX_FRACTION`, and no other lead passes this test. Otherwise (I, II and
    III only: Einthoven's law alone cannot tell which is off; several leads off, as in LUDB,
    each lead rescaled on its own) every limb lead in a failed identity is a suspect.

    Parameters
    ----------
    signal, fs, leads, usable
        As for :func:`limb_lead_identity`.
    residuals : dict
        Identity name -> residual fraction, from :func:`limb_lead_identity` (``residuals_out``).

    Returns
    -------
    breaker : str or None
        The one lead that breaks the identities, or ``None`` (none failed, or it cannot tell).
    suspects : list of str
        ``[breaker]``; or, when it cannot tell, the limb leads of the failed identities
        (standard order); ``[]`` when none failed.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.quality import limb_identity_suspects, limb_lead_identity
    >>> t = np.arange(5000) / 500.0
    >>> ra, la, ll = np.zeros_like(t), np.sin(2 * np.pi * 1.1 * t), 0.7 * np.sin(2 * np.pi * 1.3 * t)
    >>> sig = np.stack([la - ra, ll - ra, ll - la, ra - (la + ll) / 2, la - (ra + ll) / 2, ll - (ra + la) / 2])
    >>> names = ["I", "II", "III", "aVR", "aVL", "aVF"]
    >>> sig[2] *= -1  # lead III recorded negated
    >>> res = {}
    >>> _ = limb_lead_identity(sig, 500.0, names, None, res)
    >>> limb_identity_suspects(sig, 500.0, names, None, res)
    ('III', ['III'])
    >>> limb_identity_suspects(sig[:3], 500.0, names[:3], None, {"II = I + III": 1.0})
    (None, ['I', 'II', 'III'])
    """
    failed = {n for n, f in residuals.items() if f > LIMB_IDENTITY_MAX_FRACTION}
    if not failed:
        return None, []
    members = {n: {LIMB_IDENTITIES[n][0], *LIMB_IDENTITIES[n][1]} for n in residuals}
    suspects = [ld for ld in LIMB_LEADS if any(ld in members[n] for n in failed)]
    x = np.asarray(signal, dtype=float)
    ok = np.ones(len(leads), bool) if usable is None else np.asarray(usable, bool)
    present = [ld for ld in LIMB_LEADS if ld in [str(v) for v in leads]]
    rows = {ld: [str(v) for v in leads].index(ld) for ld in present}
    limb = [ld for ld in present if ok[rows[ld]]]
    if len(limb) < 4 or x.shape[-1] < fs:  # three leads left without the breaker: at least four
        return None, suspects
    y = _limb_band(x[[rows[ld] for ld in limb]], fs)

    scale = np.sqrt(np.mean(_per_second_rms(y, fs) ** 2, axis=0))
    live = (scale > 0) & _all_limb_leads_live(_per_second_rms(y, fs))
    if not live.any():
        return None, suspects
    coef = np.array([_LIMB_IN_I_II[ld] for ld in limb])  # (n_limb, 2)
    found = []
    for c in range(len(limb)):
        rest = [k for k in range(len(limb)) if k != c]
        basis, *_ = np.linalg.lstsq(coef[rest], y[rest], rcond=None)  # (2, n): I and II fitted without c
        miss = _per_second_rms(y - coef @ basis, fs)[:, live] / scale[live]
        frac = np.median(miss, axis=1)
        if np.all(frac[rest] < LIMB_IDENTITY_HOLDS_FRACTION) and frac[c] > LIMB_IDENTITY_MAX_FRACTION:
            found.append(limb[c])
    if len(found) == 1:
        return found[0], [found[0]]
    return None, suspects


def limb_identity_note(breaker: str | None, suspects: Sequence[str], residuals: dict[str, float]) -> str:
    """The ``quality_reason`` sentence on which limb lead breaks the identities, or ``""``.

    Examples
    --------
    >>> from interp_ecg.features.quality import limb_identity_note
    >>> limb_identity_note("III", ["III"], {"II = I + III": 0.5, "aVR = -(I + II)/2": 0.004})[:42]
    'lead III breaks the limb-lead identities ('
    """
    if breaker is not None:
        kept = ", ".join(f"{n} {100 * f:.0f} %" for n, f in residuals.items() if breaker not in
                         {LIMB_IDENTITIES[n][0], *LIMB_IDENTITIES[n][1]})
        broken = ", ".join(f"{n} {100 * f:.0f} %" for n, f in residuals.items() if f > LIMB_IDENTITY_MAX_FRACTION)
        return (f"lead {breaker} breaks the limb-lead identities ({broken}) while the others hold ({kept}): "
                f"on a wrong scale or not as named; its per-lead values NaN (quality_limb_identity_leads)")
    if suspects:
        return (f"the limb-lead identities cannot tell which lead is off: the per-lead values of "
                f"{','.join(suspects)} may be on another scale or not as named (quality_limb_identity_leads)")
    return ""


#: net QRS (mV) beyond which a lead counts as clearly positive or negative in
#: :func:`polarity_inversion_suspected`
POLARITY_QRS_MV = 0.1
#: P amplitude (mV) an inverted sinus P must reach (negative in II) in
#: :func:`polarity_inversion_suspected`; the wave threshold of the QRS deflections too
POLARITY_P_MV = 0.05


def polarity_inversion_suspected(
    p_amp: dict[str, float], qrs_net: dict[str, float], t_amp: dict[str, float]
) -> tuple[bool, str]:
    """Suspect a whole-record polarity inversion (every lead's sign flipped) from median beats.

    A normal ECG has its QRS negative in aVR and positive in V5 and V6, and a sinus P
    positive in II and negative in aVR. An inverted record (a sign error in a file or a
    conversion; no cable interchange turns all twelve leads over) shows the reverse.
    Batchvarov, Malik & Camm (Europace 2007;9:1081-90) name these signs of a wrong
    recording: "negative P-QRS in lead I or II, positive in lead aVR", and tell a limb-cable
    (LA/RA) interchange by "P-QRS complexes of opposite direction in leads I and V6" (the
    precordial leads are not touched by it). Here the precordial leads are turned as well.

    Criteria (all needed; I or II, aVR, V5 and V6 must be measured):

    * net QRS above +0.1 mV (:data:`POLARITY_QRS_MV`) in aVR, below -0.1 mV in V5 and V6,
      and below -0.1 mV in I or II;
    * the P wave, where measured, below -0.05 mV (:data:`POLARITY_P_MV`) in II and positive
      in aVR (an inverted sinus P; with P measured in aVR only, above +0.05 mV there).
      This keeps out real ECGs with such QRS complexes: right ventricular hypertrophy with
      right axis deviation keeps its upright sinus P in II, and mirror-image dextrocardia
      has P upright in II (it shows lead III's P) or an LA/RA-like P in I only;
    * the T wave negative in V6 where measured (required without any P wave, as in
      atrial fibrillation).

    Parameters
    ----------
    p_amp, qrs_net, t_amp : dict
        Lead name -> signed amplitude (mV) of P, net QRS (R + Q + S) and T.

    Returns
    -------
    (bool, str)
        Whether an inversion is suspected, and why.

    Examples
    --------
    >>> from interp_ecg.features.quality import polarity_inversion_suspected
    >>> p = {"II": 0.15, "aVR": -0.1}
    >>> qrs = {"I": 0.6, "II": 1.0, "aVR": -0.6, "V5": 1.2, "V6": 0.9}
    >>> t = {"II": 0.3, "V6": 0.25}
    >>> polarity_inversion_suspected(p, qrs, t)
    (False, '')
    >>> neg = lambda d: {k: -v for k, v in d.items()}
    >>> polarity_inversion_suspected(neg(p), neg(qrs), neg(t))[0]
    True
    """
    q = {ld: qrs_net.get(ld, np.nan) for ld in ("I", "II", "aVR", "V5", "V6")}
    if any(np.isnan(q[ld]) for ld in ("aVR", "V5", "V6")) or (np.isnan(q["I"]) and np.isnan(q["II"])):
        return False, ""
    limb_neg = min(v for v in (q["I"], q["II"]) if not np.isnan(v)) < -POLARITY_QRS_MV
    qrs_turned = (q["aVR"] > POLARITY_QRS_MV and q["V5"] < -POLARITY_QRS_MV
                  and q["V6"] < -POLARITY_QRS_MV and limb_neg)
    if not qrs_turned:
        return False, ""
    p2, pr, t6 = p_amp.get("II", np.nan), p_amp.get("aVR", np.nan), t_amp.get("V6", np.nan)
    if np.isnan(p2) and np.isnan(pr):
        turned = not np.isnan(t6) and t6 < 0
    elif np.isnan(p2):
        turned = pr > POLARITY_P_MV
    else:  # a clearly inverted P in II (a trace of P, as in a paced record, is not evidence)
        turned = p2 < -POLARITY_P_MV and (np.isnan(pr) or pr > 0)
        # and the T wave turned with the QRS in V6 (P, QRS and T all inverted, as a sign error
        # leaves them; a P measurement alone can err, e.g. PTB-XL 182 at 100 Hz, LAFB)
        turned = turned and (np.isnan(t6) or t6 < 0)
    if turned:
        return True, ("whole-record polarity inversion suspected: QRS negative in V5 and V6 and in I or II, "
                      "positive in aVR, with an inverted P (every lead's sign turned: a sign error in the file "
                      "or its conversion? not an LA/RA reversal, which leaves V5-V6 upright); amplitudes and "
                      "axes would be wrong, not measured")
    return False, ""


def lead_scale_ratio(band_ptp: np.ndarray, leads: Sequence[str], measured: np.ndarray) -> np.ndarray:
    """Each lead's robust QRS peak-to-peak over the median of the other leads of its group.

    Parameters
    ----------
    band_ptp : numpy.ndarray
        ``(n_leads,)`` robust peak-to-peak of the 0.5-40 Hz content (mV), ``band_ptp_mV``
        of :func:`lead_quality`.
    leads : sequence of str
        Lead names (standard names; others get ``NaN``).
    measured : numpy.ndarray of bool
        Leads that carry a signal (not flat, not invalid): only they enter the medians.

    Returns
    -------
    numpy.ndarray
        ``(n_leads,)`` ratio; ``NaN`` for a lead outside :data:`SCALE_GROUPS` or with fewer
        than three other measured leads in its group.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.quality import lead_scale_ratio
    >>> r = lead_scale_ratio(np.array([1.0, 1.2, 0.8, 1.0, 11.0, 0.9]), ["V1", "V2", "V3", "V4", "V5", "V6"],
    ...                      np.ones(6, bool))
    >>> [round(float(v), 1) for v in r]
    [1.0, 1.2, 0.8, 1.0, 11.0, 0.9]
    """
    b = np.asarray(band_ptp, dtype=float)
    out = np.full(b.shape, np.nan)
    names = [str(ld) for ld in leads]
    ok = np.asarray(measured, bool) & np.isfinite(b) & (b > 0)
    for group in SCALE_GROUPS:
        idx = [i for i, ld in enumerate(names) if ld in group]
        for i in idx:
            others = [j for j in idx if j != i and ok[j]]
            if len(others) >= 3 and np.isfinite(b[i]):
                out[i] = b[i] / float(np.median(b[others]))
    return out


def scale_note(q: pd.DataFrame) -> str:
    """The ``quality_reason`` sentence for leads set aside as out of scale, or ``""``.

    Examples
    --------
    >>> from interp_ecg.features.quality import scale_note
    >>> import pandas as pd
    >>> q = pd.DataFrame({"scale": [False, True], "band_ptp_mV": [1.5, 19.8], "scale_ratio": [1.0, 10.2]},
    ...                  index=["V4", "V5"])
    >>> scale_note(q)[:58]
    'leads out of scale with their group (gain or units error?)'
    """
    if "scale" not in q.columns or not q["scale"].to_numpy(dtype=bool).any():
        return ""
    sel = q[q["scale"].to_numpy(dtype=bool)]
    parts = ", ".join(f"{ld} ({p:.1f} mV, {r:.1f} x the median of its group)"
                      for ld, p, r in zip(sel.index, sel["band_ptp_mV"], sel["scale_ratio"]))
    return (f"leads out of scale with their group (gain or units error?): {parts}; over "
            f"{SCALE_RATIO_MAX:g} x and {SCALE_MIN_PTP_MV:g} mV; set aside")


def summarise_quality(q: pd.DataFrame) -> dict[str, object]:
    """Per-record quality columns from the per-lead table of :func:`lead_quality`.

    Returns
    -------
    dict
        ``quality_n_leads_usable``, ``quality_flat_leads``, ``quality_clipped_leads``,
        ``quality_noisy_leads``, ``quality_wander_leads``, ``quality_scale_leads`` (comma-separated lead names,
        ``""`` when none), ``quality_hf_noise_ratio_max`` and ``quality_wander_mV_max``.
    """
    leads = [str(i) for i in q.index]

    def names(col: str) -> str:
        return ",".join(name for name, flag in zip(leads, q[col].to_numpy(dtype=bool)) if flag)

    def top(col: str) -> float:
        v = q[col].to_numpy(dtype=float)
        return float(np.nanmax(v)) if np.isfinite(v).any() else np.nan

    return {
        "quality_n_leads_usable": float(q["usable"].to_numpy(dtype=bool).sum()),
        "quality_flat_leads": names("flat"),
        "quality_clipped_leads": names("clipped"),
        "quality_noisy_leads": names("noisy"),
        "quality_wander_leads": names("wander"),
        "quality_scale_leads": names("scale") if "scale" in q.columns else "",
        "quality_hf_noise_ratio_max": top("hf_noise_ratio"),
        "quality_wander_mV_max": top("wander_ptp_mV"),
    }


# --------------------------------------------------------------------------- invalid samples
#: Longest run of invalid (NaN/inf) samples bridged by linear interpolation (ms). About a
#: fifth of a QRS at most: the bridge cannot hide a whole wave, and fiducial points that
#: fall on or next to a bridged stretch are set to NaN by the delineator.
MAX_BRIDGED_GAP_MS = 20.0
#: Largest share of a lead's samples that may be bridged before the lead is set aside.
MAX_BRIDGED_FRACTION = 0.01


def invalid_dropout_gaps(signal: np.ndarray, fs: float) -> np.ndarray:
    """Runs of invalid (NaN/inf) samples in every lead at once: all-lead dropout gaps.

    An array that marks lost data as NaN in every lead at once holds the same hole as one
    that writes zeros there (:func:`dropout_gaps`), and :func:`invalid_sample_policy`
    treats it the same way: bridged in every lead (no fiducial point on it), named in
    ``quality_reason``, the RR intervals spanning it left out, and the counts per minute
    taken over the recorded time. A run counts when it is longer than
    :data:`MAX_BRIDGED_GAP_MS` (shorter ones are bridged per lead anyway) and every lead
    that has a valid sample at all is invalid throughout it. While such runs inside the
    record (not at its start or end) cover :data:`FLAT_SEGMENT_RECORD_FRACTION` of it or
    more, none is returned: the record is refused, as one flat in every lead that long is.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV.
    fs : float
        Sampling rate (Hz).

    Returns
    -------
    numpy.ndarray of int
        ``(n_gaps, 2)`` start and end (exclusive) sample of each run, in order; runs at
        the record's start or end are included (they shorten the recording).

    Examples
    --------
    >>> from interp_ecg.features.quality import invalid_dropout_gaps
    >>> import numpy as np
    >>> t = np.arange(5000) / 500
    >>> x = np.stack([np.sin(2 * np.pi * 1.2 * t), np.cos(2 * np.pi * 1.2 * t)])
    >>> x[:, 2000:2400] = np.nan               # 0.8 s lost in both leads
    >>> invalid_dropout_gaps(x, 500).tolist()
    [[2000, 2400]]
    >>> x[0, 100:300] = np.nan                 # one lead only: not a dropout gap
    >>> invalid_dropout_gaps(x, 500).tolist()
    [[2000, 2400]]
    """
    x = np.asarray(signal, dtype=np.float64)
    none = np.zeros((0, 2), dtype=np.int64)
    if x.ndim != 2 or x.shape[1] == 0:
        return none
    bad = ~np.isfinite(x)
    some = ~bad.all(axis=1)  # leads with at least one valid sample
    if not some.any() or not bad[some].any():
        return none
    n = x.shape[1]
    every = bad[some].all(axis=0)
    edges = np.flatnonzero(np.diff(np.r_[0, every.astype(np.int8), 0]))
    runs = edges.reshape(-1, 2)
    max_run = max(int(np.floor(MAX_BRIDGED_GAP_MS * fs / 1000.0)), 1)
    runs = runs[(runs[:, 1] - runs[:, 0]) > max_run]
    inner = (runs[:, 0] > 0) & (runs[:, 1] < n)
    if (runs[inner, 1] - runs[inner, 0]).sum() >= FLAT_SEGMENT_RECORD_FRACTION * n:
        return none
    return runs.astype(np.int64) if len(runs) else none


def invalid_sample_policy(signal: np.ndarray, fs: float, leads: Sequence[str] | None = None
                          ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Apply the package's one policy for invalid (NaN or infinite) samples.

    MIMIC-IV-ECG and the PhysioNet/CinC challenge files mark samples the device could not
    record as NaN. Every entry point (:func:`interp_ecg.features.delineate`,
    :func:`interp_ecg.features.extract_record`, :func:`interp_ecg.features.extract`) applies
    the same rule:

    1. a run of invalid samples no longer than :data:`MAX_BRIDGED_GAP_MS` is *bridged* by
       straight-line interpolation between its valid neighbours (the nearest valid value
       at a record edge), provided the lead's bridged samples stay under
       :data:`MAX_BRIDGED_FRACTION`; the lead is flagged, and no fiducial point is placed
       within a bridged stretch;
    2. a lead with a longer run, or with more invalid samples, is *set aside*: it is left
       out of the delineation and its measurements are NaN, with the reason;
    3. the record is refused (a :class:`~interp_ecg.errors.SignalQualityError` for one
       record, ``quality_ok = False`` in a batch) only when no usable lead remains.

    A run invalid in every lead at once (:func:`invalid_dropout_gaps`) is an all-lead
    dropout gap, whatever value marks it: it is bridged in every lead with zeros, as a
    dropout written as zeros reads (:func:`dropout_gaps`), flagged in ``bridged`` (no
    fiducial point falls on or next to it), and does not count towards a lead's invalid
    samples. (A straight line across 0.8 s joining mid-QRS moved the R peak of the beat
    cut by the gap's end by 60 ms in a simulated PVC record; the zero fill places it as
    the zeros do.)

    The io layer loads invalid samples as they are (:meth:`interp_ecg.io.Record.validate`
    refuses only a record without a single valid sample, and resampling on load keeps them
    invalid at the new rate), so this rule, and no other, decides in batch
    ``extract(dataset)`` as well. Infinite samples are treated exactly like NaN.

    A lead written as zeros where samples were lost is not detectable as invalid: it is
    measured as a flat lead (and set aside as such when flat throughout).

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV.
    fs : float
        Sampling rate (Hz).
    leads : sequence of str, optional
        Lead names, for the messages.

    Returns
    -------
    repaired : numpy.ndarray of float64
        The signal with short gaps bridged; leads set aside keep their NaN samples.
    bridged : numpy.ndarray of bool
        ``(n_leads, n_samples)``: True on the samples that were bridged.
    status : list of str
        Per lead: ``"ok"``, ``"bridged N invalid samples"`` or
        ``"set aside: ..."`` (the reason).

    Examples
    --------
    >>> from interp_ecg.features.quality import invalid_sample_policy
    >>> import numpy as np
    >>> x = np.vstack([np.arange(1000.0), np.arange(1000.0)])
    >>> x[0, 100:103] = np.nan                     # 6 ms at 500 Hz: bridged
    >>> x[1, 200:400] = np.nan                     # 400 ms: lead set aside
    >>> rep, br, st = invalid_sample_policy(x, 500, ["II", "V5"])
    >>> rep[0, 99:104].tolist(), int(br.sum()), st
    ([99.0, 100.0, 101.0, 102.0, 103.0], 3, ['bridged 3 invalid samples', 'set aside: 200 invalid samples, longest gap 400 ms'])
    """
    x = np.array(signal, dtype=np.float64)
    bad = ~np.isfinite(x)
    bridged = np.zeros(x.shape, dtype=bool)
    status = ["ok"] * x.shape[0]
    if not bad.any():
        return x, bridged, status
    max_run = max(int(np.floor(MAX_BRIDGED_GAP_MS * fs / 1000.0)), 1)
    n = x.shape[1]
    in_gap = np.zeros(n, dtype=bool)  # all-lead dropout gaps: bridged, not held against a lead
    for a, b in invalid_dropout_gaps(x, fs):
        in_gap[a:b] = True
    for i in np.flatnonzero(bad.any(axis=1)):
        b = bad[i] & ~in_gap
        if not b.any():  # invalid only in the all-lead gaps
            x[i, bad[i]] = 0.0
            bridged[i] = bad[i]
            continue
        edges = np.flatnonzero(np.diff(np.r_[0, b.astype(np.int8), 0]))
        starts, stops = edges[::2], edges[1::2]
        longest = int((stops - starts).max())
        total = int(b.sum())
        if bad[i].all():
            status[i] = "set aside: no valid sample"
            continue
        if longest > max_run or total > MAX_BRIDGED_FRACTION * n:
            status[i] = (f"set aside: {total} invalid samples, longest gap "
                         f"{longest * 1000.0 / fs:.0f} ms")
            continue
        good = np.flatnonzero(~bad[i])
        x[i, bad[i]] = np.interp(np.flatnonzero(bad[i]), good, x[i, good])
        x[i, in_gap] = 0.0
        bridged[i] = bad[i]
        status[i] = f"bridged {total} invalid samples"
    return x, bridged, status


#: a QRS (QT) longer than this fraction of the mean RR interval points at the delineation
QRS_RR_FRACTION_LIMIT = 0.75
QT_RR_FRACTION_LIMIT = 1.0


def quality_status(row: pd.Series) -> str:
    """One line on a record's measurement quality, for a reader of its page.

    The feature table's own flags (``quality_ok``, ``quality_reason``: noisy, flat, clipped
    or wandering leads, suspected lead reversal) and two plausibility checks a reader would
    make: a QRS of at least :data:`QRS_RR_FRACTION_LIMIT` (0.75) of the mean RR interval, or a
    QT of at least :data:`QT_RR_FRACTION_LIMIT` (1.0) of it, does not fit in the cardiac
    cycle and points at the delineation (the QRS or T offset), not at the heart.

    Parameters
    ----------
    row : pandas.Series
        One record's row of :func:`interp_ecg.features.extract` (``quality_ok``,
        ``quality_reason``, ``quality_error``, ``QRS_duration_ms``, ``QT_interval_ms``,
        ``RR_mean_ms``; missing entries are skipped).

    Returns
    -------
    str
        ``"NOT MEASURABLE: <reason>"``, ``"measured; WARNING: <warnings>"`` or
        ``"measured, no quality warnings"``.

    Examples
    --------
    >>> from interp_ecg.features import quality_status
    >>> import pandas as pd
    >>> quality_status(pd.Series({"quality_ok": True, "quality_reason": ""}))
    'measured, no quality warnings'
    >>> quality_status(pd.Series({"quality_ok": True, "quality_reason": "noisy leads: V1",
    ...                           "QRS_duration_ms": 272.0, "RR_mean_ms": 286.0}))
    'measured; WARNING: noisy leads: V1; QRS 272 ms is 95% of the mean RR 286 ms (check the QRS offset)'
    >>> quality_status(pd.Series({"quality_ok": False, "quality_reason": "flat leads: all"}))
    'NOT MEASURABLE: flat leads: all'
    """
    ok = row.get("quality_ok", True)
    if ok is not None and not pd.isna(ok) and not bool(ok):
        why = row.get("quality_reason") or row.get("quality_error") or "unknown reason"
        return f"NOT MEASURABLE: {why}"
    warnings = [str(row.get("quality_reason") or "").strip()]
    rr = pd.to_numeric(row.get("RR_mean_ms", np.nan), errors="coerce")
    checks = (("QRS", "QRS_duration_ms", QRS_RR_FRACTION_LIMIT, "QRS offset"),
              ("QT", "QT_interval_ms", QT_RR_FRACTION_LIMIT, "T offset"))
    for name, col, limit, fix in checks:
        v = pd.to_numeric(row.get(col, np.nan), errors="coerce")
        if pd.notna(v) and pd.notna(rr) and rr > 0 and v >= limit * rr:
            warnings.append(f"{name} {v:.0f} ms is {100 * v / rr:.0f}% of the mean RR {rr:.0f} ms (check the {fix})")
    warnings = [w for w in warnings if w]
    return "measured; WARNING: " + "; ".join(warnings) if warnings else "measured, no quality warnings"
