"""RR intervals between the same point of every beat, and records without a dominant beat class.

1. The consensus R peak can be a different wave from one beat to the next (one group of
   leads peaks on the R, another on the S): RR intervals are taken between the beats'
   ``anchor_aligned`` (the dominant beats aligned on the dominant template), so they equal
   the simulated RR whichever wave the consensus picked.
2. A record in which no QRS shape is shared by two beats has no dominant beat class: no beat
   is made dominant by default, and what needs dominant beats is NaN with a reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg import features
from interp_ecg.features.beat_classes import (
    UNCLASSIFIED,
    classify_beats,
    dominant_class,
    no_dominant_reason,
    rr_fiducials,
)
from interp_ecg.features.rhythm import beat_counts
from interp_ecg.io.leads import STANDARD_LEADS

R_TO_S_S = 0.024  # s from the R to the S wave of the synthetic RS complexes


def rs_ecg(fs: float, duration_s: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """12 leads of RS complexes at known, varying, fractional beat times (s).

    R Gaussian (sigma 8 ms) at the beat time, S Gaussian 24 ms later; leads 1-5 R-dominant,
    6-9 S-dominant, 10-12 R and S nearly equal, alternately 8 % larger and smaller (the same
    record as ``benchmarks/beat_classes_rates.py``'s ``rs_ecg``).
    """
    times, t, k = [], 0.45, 0
    while t < duration_s - 0.5:
        times.append(t)
        t += 0.80 + 0.06 * np.sin(2 * np.pi * k / 5.3) + 0.0007 * k
        k += 1
    beat_t = np.array(times)
    tt = np.arange(int(round(duration_s * fs))) / fs
    r_amp = np.array([1.0, 0.9, 0.8, 1.1, 0.7, 0.2, 0.25, 0.15, 0.2, 0.8, 0.7, 0.9])
    s_amp = np.array([0.2, 0.15, 0.2, 0.25, 0.1, 1.0, 0.9, 1.1, 0.8, 0.8, 0.7, 0.9])
    sig = np.zeros((12, tt.size))

    def gauss(c: float, sd: float) -> np.ndarray:
        return np.exp(-0.5 * ((tt - c) / sd) ** 2)[None, :]

    for k, tb in enumerate(beat_t):
        alt = np.zeros(12)
        alt[9:] = 0.08 if k % 2 else -0.08
        sig += (r_amp * (1 + alt))[:, None] * gauss(tb, 0.008)
        sig -= (s_amp * (1 - alt))[:, None] * gauss(tb + R_TO_S_S, 0.008)
        sig += 0.12 * gauss(tb - 0.16, 0.02) + 0.3 * gauss(tb + 0.28, 0.045)
    return sig, beat_t


def test_rr_fiducials_shift_similar_beats_only():
    anchors = np.array([100.0, 512.0, 900.0, 1300.0, 1700.0, 2112.5])
    lag = np.array([2.0, -10.0, 2.0, 30.0, np.nan, -9.5])
    similar = np.array([True, True, True, False, True, True])
    out = rr_fiducials(anchors, lag, similar)
    # median lag of the similar beats with a lag: median(2, -10, 2, -9.5) = -3.75
    np.testing.assert_allclose(out, [105.75, 505.75, 905.75, 1300.0, 1700.0, 2106.75])
    # no similar beat: every beat keeps its anchor
    np.testing.assert_array_equal(rr_fiducials(anchors, lag, np.zeros(6, bool)), anchors)


@pytest.mark.parametrize("fs", [500.0, 100.0])
def test_rr_between_same_point_when_consensus_peak_jumps(fs):
    """Consensus R peak on the R wave in even beats and on the S wave (24 ms later) in odd
    ones, as the delineator's median over leads does when a group of leads flips: the
    anchors jump, the RR fiducial does not."""
    sig, beat_t = rs_ecg(fs)
    r = beat_t * fs + np.where(np.arange(beat_t.size) % 2, R_TO_S_S * fs, 0.0)
    fid = pd.DataFrame({"lead": "global", "beat": range(beat_t.size), "R_peak": r,
                        "QRS_on": beat_t * fs - 0.02 * fs, "QRS_off": beat_t * fs + 0.05 * fs})
    b = classify_beats(sig, fs, fid).beats
    assert (b["label"] == "N").all()
    true_rr = np.diff(beat_t) * 1000.0
    # the consensus anchors are 24 ms off in every other interval
    np.testing.assert_allclose(np.abs(np.diff(b["anchor_exact"].to_numpy()) * 1000.0 / fs - true_rr), 24.0,
                               atol=1e-9)
    rr = np.diff(b["anchor_aligned"].to_numpy()) * 1000.0 / fs
    assert np.abs(rr - true_rr).max() <= 2.0
    np.testing.assert_allclose(b["rr_prev_ms"].to_numpy()[1:], rr)
    np.testing.assert_allclose(b["rr_next_ms"].to_numpy()[:-1], rr)


@pytest.mark.parametrize("fs", [500.0, 100.0])
def test_extract_hrv_equals_simulated_rr(fs):
    """End to end (delineator, beat classes, rhythm features) on the RS record."""
    sig, beat_t = rs_ecg(fs)
    true_rr = np.diff(beat_t) * 1000.0
    bt = features.extract_beats(sig, fs=fs, leads=list(STANDARD_LEADS))
    g = bt[bt["lead"] == "global"].sort_values("beat")
    assert len(g) == beat_t.size and g["dominant"].all()
    assert np.abs(g["RR_prev_ms"].to_numpy()[1:] - true_rr).max() <= 2.0
    row = features.extract_record(sig, fs=fs, leads=list(STANDARD_LEADS))
    rmssd = float(np.sqrt(np.mean(np.diff(true_rr) ** 2)))  # 46.07 ms
    assert row["RMSSD_ms"] == pytest.approx(rmssd, abs=0.5)
    assert row["SDNN_ms"] == pytest.approx(float(np.std(true_rr, ddof=1)), abs=0.5)
    assert row["RR_mean_ms"] == pytest.approx(float(true_rr.mean()), abs=0.5)


def _beats(shapes: list[int], spacing: int = 800, fs: float = 500.0):
    """One-lead record of beats of the given shape numbers, and its consensus table."""
    t = np.arange(-0.06, 0.10, 1 / fs)
    forms = [np.exp(-0.5 * (t / 0.01) ** 2),
             -np.exp(-0.5 * ((t - 0.03) / 0.03) ** 2),
             np.exp(-0.5 * ((t + 0.02) / 0.006) ** 2) - np.exp(-0.5 * ((t - 0.02) / 0.006) ** 2),
             np.exp(-0.5 * (t / 0.006) ** 2) - np.exp(-0.5 * ((t + 0.03) / 0.006) ** 2)
             - np.exp(-0.5 * ((t - 0.03) / 0.006) ** 2)]
    r = 500 + spacing * np.arange(len(shapes))
    sig = np.zeros((1, int(r[-1]) + 500))
    for a, k in zip(r, shapes):
        sig[0, a - 30 : a + 50] += forms[k]
    fid = pd.DataFrame({"lead": "global", "beat": range(len(r)), "R_peak": r, "QRS_on": r - 20, "QRS_off": r + 20})
    return sig, fid


@pytest.mark.parametrize("shapes", [[0, 1, 2, 3], [0, 1], [0]])
def test_no_dominant_class_when_no_shape_recurs(shapes):
    sig, fid = _beats(shapes)
    table = classify_beats(sig, 500.0, fid)
    b = table.beats
    assert b["label"].tolist() == [UNCLASSIFIED] * len(shapes)
    assert not b["dominant"].any()
    assert b["corr"].isna().all()
    np.testing.assert_array_equal(b["anchor_aligned"].to_numpy(), b["anchor_exact"].to_numpy())
    assert no_dominant_reason(table).startswith(f"no dominant beat class: none of the {len(shapes)} beats")
    c = beat_counts(table, 10.0)
    assert c["n_beats"] == len(shapes) and c["n_beats_dominant"] == 0.0
    assert np.isnan(c["PVC_count"]) and np.isnan(c["PVC_per_min"]) and np.isnan(c["outlier_beat_count"])


def test_a_shape_seen_twice_is_dominant():
    sig, fid = _beats([0, 1, 0, 2])
    table = classify_beats(sig, 500.0, fid)
    assert table.beats["label"].tolist() == ["N", "outlier", "N", "outlier"]
    assert table.beats["dominant"].tolist() == [True, False, True, False]
    assert no_dominant_reason(table) == ""
    c = beat_counts(table, 10.0)
    assert (c["n_beats_dominant"], c["PVC_count"], c["outlier_beat_count"]) == (2.0, 0.0, 2.0)


def test_dominant_class_needs_two_beats():
    rr = np.full(4, 800.0)
    assert dominant_class(np.array([0, 1, 2, 3]), rr, rr) is None
    assert dominant_class(np.array([0, 0, 1, 2]), rr, rr) == 0


def test_ectopic_and_edge_beats_keep_their_anchor():
    fs = 500.0
    t = np.arange(-0.06, 0.10, 1 / fs)
    narrow = np.exp(-0.5 * (t / 0.01) ** 2)
    wide = -1.5 * np.exp(-0.5 * ((t - 0.03) / 0.03) ** 2)
    r = np.array([20, 500, 800, 1500, 1800, 2500, 2800, 3500])  # edge beat, then N, PVC, ...
    sig = np.zeros((1, 4000))
    for k, a in enumerate(r):
        w = wide if k in (2, 4, 6) else narrow
        lo = max(a - 30, 0)
        sig[0, lo : a + 50] += w[lo - (a - 30):]
    # the consensus R peak of one narrow beat 4 ms late (a jump the alignment undoes)
    rp = r + np.array([0, 0, 0, 2, 0, 0, 0, 0])
    fid = pd.DataFrame({"lead": "global", "beat": range(r.size), "R_peak": rp, "QRS_on": r - 20,
                        "QRS_off": r + np.where(np.isin(np.arange(r.size), [2, 4, 6]), 60, 20)})
    b = classify_beats(sig, fs, fid).beats
    assert b["label"].tolist() == ["N", "N", "PVC", "N", "PVC", "N", "PVC", "N"]
    pvc = (b["label"] == "PVC").to_numpy()
    np.testing.assert_array_equal(b["anchor_aligned"].to_numpy()[pvc], b["anchor_exact"].to_numpy()[pvc])
    assert b["anchor_aligned"].iloc[0] == b["anchor_exact"].iloc[0]  # window cut by the record start
    # the narrow beats' RR fiducial is their true R peak (the median lag is 0)
    np.testing.assert_allclose(b["anchor_aligned"].to_numpy()[[1, 3, 5, 7]], r[[1, 3, 5, 7]], atol=0.05)


def _poly_ecg(fs: float = 500.0, duration_s: float = 6.0, seed: int = 3) -> np.ndarray:
    """12 leads, 5 beats that share a QRS component but each add their own (beat-to-beat
    correlation about 0.6: a repeating rhythm for the delineator, no two beats alike)."""
    rng = np.random.default_rng(seed)
    tt = np.arange(int(duration_s * fs)) / fs

    def gauss(c: float, sd: float) -> np.ndarray:
        return np.exp(-0.5 * ((tt - c) / sd) ** 2)[None, :]

    a0 = rng.choice([-1.0, 1.0], 12) * rng.uniform(0.5, 1.2, 12)
    b0 = rng.choice([-1.0, 1.0], 12) * rng.uniform(0.3, 1.0, 12)
    sig = np.zeros((12, tt.size))
    for k, tb in enumerate(np.arange(0.6, duration_s - 0.5, 1.0)):
        a = a0 + 0.5 * rng.choice([-1.0, 1.0], 12) * rng.uniform(0.5, 1.2, 12)
        b = b0 + 0.5 * rng.choice([-1.0, 1.0], 12) * rng.uniform(0.3, 1.0, 12)
        sig += a[:, None] * gauss(tb, 0.010) + b[:, None] * gauss(tb + 0.03 + 0.008 * k, 0.012)
        sig += 0.1 * gauss(tb - 0.16, 0.02) + 0.25 * gauss(tb + 0.3, 0.045)
    return sig


def test_extract_without_dominant_class_measures_nothing_on_dominant_beats():
    row = features.extract_record(_poly_ecg(), fs=500.0, leads=list(STANDARD_LEADS))
    assert row["quality_ok"]
    assert row["n_beats"] == 5 and row["n_beats_dominant"] == 0
    for col in ("QRS_duration_ms", "PR_interval_ms", "QT_interval_ms", "QRS_axis_deg", "R_amp_mV_V5",
                "SDNN_ms", "RMSSD_ms", "PVC_count", "outlier_beat_count"):
        assert np.isnan(row[col]), col
    assert row["RR_mean_ms"] == pytest.approx(1000.0, abs=2.0)  # the rate is still measured
    assert "no dominant beat class: none of the 5 beats" in row["quality_reason"]
