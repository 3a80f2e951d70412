"""Q, R and S wave labelling of the QRS amplitudes (standard terminology, Kligfield et al. 2007).

Synthetic complexes are built from raised-cosine lobes of compact support whose peaks fall on
the sample grid at 500 and at 100 Hz, so every wave amplitude is known exactly. The real case
is PTB-XL record 223 (LVH, ASMI), whose V1 is a QS complex with a 0.2 mV ST elevation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.features import extract_record
from interp_ecg.features.measurements import lead_measurements, qrs_deflections, voltage_criteria

QRS_MS = 100.0


def lobe(t_ms: np.ndarray, centre_ms: float, width_ms: float, amp_mV: float) -> np.ndarray:
    """A raised-cosine wave of amplitude ``amp_mV`` between centre -/+ width/2 (0 outside)."""
    u = (t_ms - centre_ms) / width_ms
    return np.where(np.abs(u) < 0.5, amp_mV * np.cos(np.pi * u) ** 2, 0.0)


def ramp(t_ms: np.ndarray, start_ms: float, end_ms: float, level_mV: float) -> np.ndarray:
    """The ST segment leaving the baseline at ``start_ms`` for ``level_mV`` at ``end_ms`` (and after)."""
    u = np.clip((t_ms - start_ms) / (end_ms - start_ms), 0.0, 1.0)
    return level_mV * np.sin(0.5 * np.pi * u) ** 2


#: name -> (waves as (centre ms, width ms, mV), J-point level at the QRS offset in mV,
#: expected (R, Q, S)). The QRS runs from 0 to 100 ms; an ST ramp starts at 75 ms.
COMPLEXES = {
    # the finding: a small r, a deep S, then the upstroke to an elevated J point
    "rS, J +0.25": ([(20, 20, 0.1), (50, 40, -1.8)], 0.25, (0.1, 0.0, -1.8)),
    # no initial r at all: QS with ST elevation (V1 in LBBB / LVH)
    "QS, J +0.2": ([(40, 60, -1.8)], 0.2, (0.0, 0.0, -1.8)),
    "QS": ([(50, 60, -1.2)], 0.0, (0.0, 0.0, -1.2)),
    "qR": ([(10, 20, -0.2), (50, 40, 1.5)], 0.0, (1.5, -0.2, 0.0)),
    "RS": ([(30, 40, 1.0), (70, 40, -1.0)], 0.0, (1.0, 0.0, -1.0)),
    "rSr'": ([(10, 20, 0.3), (40, 40, -1.0), (80, 20, 0.6)], 0.0, (0.6, 0.0, -1.0)),
    # tall R and a descent into a depressed J point that never turns back: no S wave
    "R, J -0.2": ([(40, 60, 2.0)], -0.2, (2.0, 0.0, 0.0)),
    # qRs, the s turning back before a depressed J point: an S wave
    "qRs, J -0.1": ([(10, 20, -0.15), (40, 40, 1.6), (70, 20, -0.4)], -0.1, (1.6, -0.15, -0.4)),
    # RSR' whose R' is still coming down at the QRS offset (it has turned back): an R wave
    "rSR', R' cut": ([(10, 20, 0.2), (40, 40, -0.9), (90, 30, 1.2)], 0.0, (1.2, 0.0, -0.9)),
}


def complex_samples(waves, j_mV: float, fs: float) -> np.ndarray:
    t = np.arange(0.0, QRS_MS + 1e-9, 1000.0 / fs)
    y = sum(lobe(t, *w) for w in waves)
    return y + ramp(t, 75.0, QRS_MS, j_mV)


@pytest.mark.parametrize("fs", [500.0, 100.0])
@pytest.mark.parametrize("name", list(COMPLEXES))
def test_waves_are_named_by_the_standard_terminology(name, fs):
    waves, j_mV, expected = COMPLEXES[name]
    r, q, s = qrs_deflections(complex_samples(waves, j_mV, fs), fs)
    assert (r, q, s) == pytest.approx(expected, abs=1e-9), name


@pytest.mark.parametrize("fs", [500.0, 100.0])
def test_an_upstroke_to_an_elevated_j_point_is_not_an_r_wave(fs):
    # the ST segment rises 0.3 mV and stays: one slope, no turning point, no wave
    t = np.arange(0.0, QRS_MS + 1e-9, 1000.0 / fs)
    y = lobe(t, 40, 60, -1.5) + ramp(t, 70.0, QRS_MS, 0.3)
    assert qrs_deflections(y, fs) == pytest.approx((0.0, 0.0, -1.5))
    # a positive wave that turns back before the QRS offset is an R wave, and the negative
    # wave before it, the first R, is then a Q: a Qr complex
    bump = lobe(t, 90, 20, 0.3)
    r, q, s = qrs_deflections(lobe(t, 40, 60, -1.5) + bump, fs)
    assert (r, q, s) == pytest.approx((0.3, -1.5, 0.0))


def test_a_wave_must_last_6_ms():
    fs = 500.0
    y = np.zeros(51)
    y[10:13] = [0.02, 0.2, 0.02]  # 0.2 mV but only 2 ms beyond 0.03 mV: a spike, no wave
    y[20:40] = -1.0
    assert qrs_deflections(y, fs) == (0.0, 0.0, -1.0)
    y[10:14] = [0.04, 0.2, 0.2, 0.04]  # 4 samples >= 0.03 mV = 8 ms: an r wave
    assert qrs_deflections(y, fs) == (0.2, 0.0, -1.0)


def test_bad_input_is_nan():
    assert all(np.isnan(qrs_deflections(np.array([]), 500.0)))
    assert all(np.isnan(qrs_deflections(np.array([0.0, np.nan, 0.1]), 500.0)))


@pytest.mark.parametrize("fs", [500.0, 100.0])
def test_sokolow_lyon_and_rvh_read_the_qs_depth_and_not_the_j_point(fs):
    # median beats with 20 ms of flat PR segment, the QRS (100 ms), and 60 ms of ST
    pre, post = int(round(0.04 * fs)), int(round(0.08 * fs))
    v1 = complex_samples(COMPLEXES["QS, J +0.2"][0], 0.2, fs)
    v5 = complex_samples([(40, 40, 2.0)], -0.15, fs)
    v6 = complex_samples([(40, 40, 1.6)], -0.1, fs)
    rows = []
    for y in (v1, v5, v6):
        rows.append(np.r_[np.zeros(pre), y, np.full(post, y[-1])])
    template = np.vstack(rows) + 0.3  # an offset: amplitudes are read against the PR baseline
    rel = {"QRS_on": 0.0, "QRS_off": float(len(v1) - 1)}
    amps = lead_measurements(template, pre, rel, fs, ["V1", "V5", "V6"])
    assert amps.loc["V1", ["Q_amp_mV", "R_amp_mV", "S_amp_mV"]].tolist() == pytest.approx([0.0, 0.0, -1.8])
    assert amps.loc["V1", "J_amp_mV"] == pytest.approx(0.2)
    assert amps.loc["V5", "S_amp_mV"] == 0.0 and amps.loc["V5", "J_amp_mV"] == pytest.approx(-0.15)
    assert amps.loc["V1", "RS_ratio"] == 0.0
    assert amps.loc["V1", "QRS_net_mV"] == pytest.approx(-1.8)  # the QS counted once
    v = voltage_criteria(amps, QRS_MS)
    assert v["Sokolow_Lyon_mV"] == pytest.approx(1.8 + 2.0)
    assert v["Sokolow_Lyon_RVH_mV"] == pytest.approx(0.0)  # no R in V1, no S in V5/V6


@pytest.mark.parametrize("fs, sokolow_mV", [(500, 3.88), (100, 3.78)])
def test_real_ptbxl_223_v1_qs_with_st_elevation(ptbxl_root, fs, sokolow_mV):
    """PTB-XL 223 (LVH, ASMI): V1 is a QS complex of 1.85 mV with the J point at +0.15 mV.

    Before the fix the upstroke to the J point was taken for the R wave: Q V1 -1.85, R V1
    0.15, S V1 0 and Sokolow-Lyon 2.03 mV. V1 of the consensus median beat (500 Hz), every
    4 ms from QRS onset: 0.04, 0.04, -0.03, -0.36, -0.85, -1.49, -1.85, -1.79, -1.51, -0.95,
    -0.43, -0.04, 0.09, 0.15 (QRS offset at 102 ms), then 0.17-0.22 mV of ST: the initial
    0.04 mV is under the 0.05 mV wave threshold. V2 has a 0.1 mV r, a 2.3 mV S and its J
    point at 0.2 mV. V5 and V6 end in a downstroke to a depressed J point (-0.16, -0.12 mV)
    that does not turn back: ST depression, not an S wave. At 100 Hz the R peak of V5 falls
    between samples (1.93 against 2.03 mV), hence the lower Sokolow-Lyon index there.

    Since the baseline is removed by a spline through the beats' PR levels before the median
    beat (FINDINGS-user13 A4), the beats enter the median on one level: V1's initial r wave,
    0.056-0.077 mV above its own PR level in 11 of the 13 dominant beats (median 0.065), reads
    0.059 mV (0.052 at 100 Hz); the median of beats whose PR levels ran from -0.037 to +0.038
    mV had smeared it to 0.04. V1 is an rS: its S is the same 1.85 mV.
    """
    from interp_ecg.io import read_ptbxl

    s = extract_record(read_ptbxl(ptbxl_root, sampling_rate=fs).load(223))
    assert s["Q_amp_mV_V1"] == 0.0 and 0.05 <= s["R_amp_mV_V1"] <= 0.075
    assert s["S_amp_mV_V1"] == pytest.approx(-1.85, abs=0.03)
    assert s["J_amp_mV_V1"] > 0.1
    assert s["Q_amp_mV_V2"] == 0.0
    assert s["R_amp_mV_V2"] == pytest.approx(0.11, abs=0.015)  # the r wave, not the J point (0.2)
    # each dominant beat against its own PR level: median -2.395 mV (500 Hz), -2.354 (100 Hz)
    assert s["S_amp_mV_V2"] == pytest.approx(-2.36, abs=0.05)
    assert s["S_amp_mV_V5"] == 0.0 and s["S_amp_mV_V6"] == 0.0
    assert s["Sokolow_Lyon_mV"] == pytest.approx(
        abs(s["S_amp_mV_V1"]) + max(s["R_amp_mV_V5"], s["R_amp_mV_V6"]))
    assert s["Sokolow_Lyon_mV"] == pytest.approx(sokolow_mV, abs=0.05)
    assert s["Sokolow_Lyon_mV"] >= 3.5  # meets the criterion (Sokolow & Lyon 1949)
    assert s["Sokolow_Lyon_RVH_mV"] == pytest.approx(s["R_amp_mV_V1"], abs=1e-9)  # no S in V5/V6
    assert pd.notna(s["Cornell_voltage_mV"])


@pytest.mark.parametrize("fs", [500.0, 100.0])
def test_a_wave_cut_short_by_the_qrs_offset_is_told_from_the_st_segment_by_what_follows(fs):
    # rSR' (RBBB) whose QRS offset fell on the peak of R' (1.0 mV at 100 ms): the 40 ms after
    # the offset bring it back to the baseline, so it is an R wave; without those samples it
    # cannot be told from an upstroke to an elevated J point and is not counted
    t = np.arange(0.0, QRS_MS + 60.0 + 1e-9, 1000.0 / fs)
    y = lobe(t, 20, 20, 0.2) + lobe(t, 50, 40, -0.6) + lobe(t, 100, 60, 1.0)
    end = int(round(QRS_MS * fs / 1000.0)) + 1
    assert qrs_deflections(y[:end], fs, after=y[end:]) == pytest.approx((1.0, 0.0, -0.6))
    assert qrs_deflections(y[:end], fs) == pytest.approx((0.2, 0.0, -0.6))
    # QS with the ST segment rising to a 0.3 mV J point, then sloping down slowly (0.1 mV in
    # 40 ms, as a coved ST does): not a wave
    st = np.where(t <= QRS_MS, ramp(t, 70.0, QRS_MS, 0.3), 0.3 - 0.0025 * (t - QRS_MS))
    y = lobe(t, 40, 60, -1.5) + st
    assert qrs_deflections(y[:end], fs, after=y[end:]) == pytest.approx((0.0, 0.0, -1.5))
    # tall R descending into a depressed J point, the ST then staying depressed: no S wave
    y = lobe(t, 40, 60, 2.0) + np.where(t <= QRS_MS, ramp(t, 70.0, QRS_MS, -0.2), -0.2)
    assert qrs_deflections(y[:end], fs, after=y[end:]) == pytest.approx((2.0, 0.0, 0.0))


@pytest.mark.parametrize("record, q, r, s, why", [
    # complete LBBB, QRS 202 ms: rS in V1, r 0.09 mV, S 2.8 mV, ST rising to +0.66 mV at the
    # J point (before the fix R V1 read 0.66, the J point)
    (180, 0.0, 0.09, -2.82, "CLBBB"),
    # complete RBBB whose consensus QRS offset falls on the peak of R' in V1 (QRS 92 ms,
    # finding 2 of the user report): R' (1.0 mV) comes back within 40 ms, so it stays the R
    (195, 0.0, 0.99, -0.42, "CRBBB"),
])
def test_real_ptbxl_bundle_branch_blocks_in_v1(ptbxl_root, record, q, r, s, why):
    from interp_ecg.io import read_ptbxl

    f = extract_record(read_ptbxl(ptbxl_root, sampling_rate=500).load(record))
    assert f["Q_amp_mV_V1"] == pytest.approx(q, abs=0.02), why
    assert f["R_amp_mV_V1"] == pytest.approx(r, abs=0.04), why
    assert f["S_amp_mV_V1"] == pytest.approx(s, abs=0.05), why
