"""T search windows for long QT and fast rates (user finding A1/A9/A10, helper tlong).

The right values are the simulator's exact QT (QRS onset to T end) and the rule that a
T wave ends before the next beat's QRS starts.
"""
import logging
import warnings

import numpy as np
import pytest

from interp_ecg.features import extract_record
from interp_ecg.features.extract import measured_fiducials
from interp_ecg.simulate.record import simulate_record


def _qt(condition, seed):
    sig, _, info = simulate_record(condition, fs=500, noise=0, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = extract_record(sig, fs=500)
    return sig, info, row


@pytest.mark.parametrize("seed", [0, 1])
def test_long_qt_slow_rate_not_cut(seed):
    # A9: a T peak later than R + 450 ms was unreachable (QT 626 read 468 ms)
    _, info, row = _qt("sbrad+lqt", seed)
    assert abs(row["QT_interval_ms"] - info["qt_ms"]) <= 30


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_long_qt_fast_rate_not_cut(seed):
    # A1: long QT at 104-149 bpm read a normal QTcF (377 for 507 ms): cut at 62 % of RR
    _, info, row = _qt("stach+lqt", seed)
    assert abs(row["QTc_Fridericia_ms"] - info["qtc_fridericia_ms"]) <= 50
    assert row["QTc_Fridericia_ms"] > 460


@pytest.mark.parametrize("condition,seed", [("svt_aberrant", 1), ("vt", 2), ("vt", 3)])
def test_t_end_never_inside_next_qrs(condition, seed):
    # A10: at ~200 bpm with a wide QRS the T end was placed after the next QRS onset
    # (QT 308 ms for an RR of 272). Where the T wave runs into the next QRS (simulated QT
    # 274 / 296 for RR 272 / 298) its end is not in the signal: NaN with a reason
    sig, info, row = _qt(condition, seed)
    m = measured_fiducials(sig, fs=500)
    g = m[m.lead == "global"].reset_index(drop=True)
    late = g.T_off.values[:-1] > g.QRS_on.values[1:]
    assert not late.any()
    if info["qt_ms"] < row["RR_mean_ms"] - 20:
        assert row["QT_interval_ms"] < row["RR_mean_ms"]
    else:
        assert np.isnan(row["QT_interval_ms"])
        assert g["reason"].str.contains("T end hidden by the next QRS").any()


@pytest.mark.parametrize("seed", [0, 1])
def test_normal_qt_unchanged(seed):
    _, info, row = _qt("normal", seed)
    assert abs(row["QT_interval_ms"] - info["qt_ms"]) <= 20
