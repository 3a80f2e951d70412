"""The median beat aligns each beat on the dominant template before taking the median.

Windows cut at the consensus anchor smear the median beat when that anchor jitters from beat
to beat (the consensus R peak is not the same point of every beat): lower peaks, wider waves.
Exact truth: identical beats (noise-free, at whole-sample positions) whose consensus R peaks are
given with known shifts; the aligned median beat equals the beat, and the amplitudes measured
on it equal those of any one beat.
"""

from __future__ import annotations

import numpy as np
import pytest

FS = 500.0
#: known shifts (samples, 2 ms each) of the consensus R peak, beat by beat; median 0 so that the
#: aligned point is the true R peak. Largest 16 ms, inside the +-40 ms alignment limit.
JITTER = np.array([0, 4, -5, 8, 0, -3, 6, -8, 0, 2])


def _jittered():
    """A Gaussian 12-lead ECG (identical beats every 500 samples) and its truth, plus the truth
    with the global R peaks shifted by :data:`JITTER`."""
    from interp_ecg.features.synthetic import gaussian_ecg

    sig, truth = gaussian_ecg(fs=FS, duration_s=10.0, hr_bpm=60.0, random_state=0)
    jit = truth.copy()
    g = jit["lead"] == "global"
    assert g.sum() == JITTER.size
    jit.loc[g, "R_peak"] = jit.loc[g, "R_peak"].to_numpy() + JITTER
    return sig, truth, jit


def test_aligned_anchors_recover_the_true_r_peaks_and_the_median_beat_is_the_beat():
    from interp_ecg.features.beat_classes import classify_beats
    from interp_ecg.features.median_beat import median_beat, median_beat_anchors

    sig, truth, jit = _jittered()
    table = classify_beats(sig, FS, jit)
    assert table.beats["dominant"].all()
    true_r = truth.loc[truth["lead"] == "global", "R_peak"].to_numpy(np.int64)
    np.testing.assert_array_equal(table.beats["anchor"].to_numpy(), true_r + JITTER)  # the given anchors
    np.testing.assert_array_equal(median_beat_anchors(table.beats), true_r)  # aligned: the true R peaks
    inner = slice(1, -1)  # the first and last windows reach past the record's ends
    tpl, pos = median_beat(sig, FS, median_beat_anchors(table.beats)[inner])
    one_beat = sig[:, true_r[4] - pos: true_r[4] - pos + tpl.shape[1]]
    np.testing.assert_array_equal(tpl, one_beat.astype(np.float64))
    # cut at the jittered anchors instead, the median beat is smeared: R lower in every lead
    smeared, _ = median_beat(sig, FS, table.beats["anchor"].to_numpy()[inner])
    lead_ii = 1
    assert smeared[lead_ii].max() < 0.95 * tpl[lead_ii].max()


def test_record_amplitudes_are_those_of_the_beats_whatever_the_anchor_jitter():
    from interp_ecg.features import extract_beats, extract_record
    from interp_ecg.features.synthetic import TruthDelineator
    from interp_ecg.io.leads import STANDARD_LEADS

    sig, truth, jit = _jittered()
    exact = extract_record(sig, FS, method=TruthDelineator(truth))
    jittered = extract_record(sig, FS, method=TruthDelineator(jit))
    beats = extract_beats(sig, FS, method=TruthDelineator(truth))
    assert sum(np.isfinite(exact[f"R_amp_mV_{lead}"]) for lead in STANDARD_LEADS) >= 10
    for lead in STANDARD_LEADS:  # aVL lies at right angles to the QRS axis: no R wave there, NaN
        per_beat = beats.loc[beats["lead"] == lead, "R_amp_mV"].median()
        # the record's R amplitude (median beat) is the beats' R amplitude, with or without jitter
        assert exact[f"R_amp_mV_{lead}"] == pytest.approx(per_beat, abs=1e-6, nan_ok=True), lead
        assert jittered[f"R_amp_mV_{lead}"] == pytest.approx(per_beat, abs=1e-6, nan_ok=True), lead
        for name in ("S_amp_mV", "T_amp_mV", "P_amp_mV"):
            assert jittered[f"{name}_{lead}"] == pytest.approx(exact[f"{name}_{lead}"], abs=1e-6, nan_ok=True), (name, lead)
