"""Baseline wander does not move ST and T amplitudes (FINDINGS-user13 A4).

Each lead's baseline is a cubic spline through the PR-segment knots of the dominant beats
(Meyer & Keiser 1977), removed before the median beat; the amplitudes stay referred to the
PR level (AHA/ACCF/HRS 2009, part VI). Before, each beat only had its PR level subtracted,
so the wander's slope from the PR segment to J + 60 ms and the T wave stayed: a 0.3 mV,
0.3 Hz wander moved ST60 of PTB-XL 1 by 0.13 mV and its T amplitude by 0.40 mV.
"""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.features import extract_record
from interp_ecg.features.median_beat import KNOT_END_MS, KNOT_START_MS, isoelectric_baseline
from interp_ecg.features.synthetic import TruthDelineator, gaussian_ecg
from interp_ecg.io.leads import STANDARD_LEADS

FS = 500.0
T = np.arange(5000) / FS
WANDERS = {
    "sine 0.3 Hz 0.5 mV": 0.5 * np.sin(2 * np.pi * 0.3 * T + 0.7),
    "sine 0.1 Hz 1.0 mV": 1.0 * np.sin(2 * np.pi * 0.1 * T + 0.7),
    "ramp 0.5 mV/s": 0.5 * T,
}
MEASURES = ("J_amp_mV", "ST60_amp_mV", "T_amp_mV", "P_amp_mV", "R_amp_mV", "S_amp_mV")


def _values(row, measure):
    return np.array([row[f"{measure}_{lead}"] for lead in STANDARD_LEADS], dtype=float)


def test_spline_goes_through_the_knots_and_follows_slow_wander():
    wander = 0.4 * np.sin(2 * np.pi * 0.2 * T) + 0.1 * T
    onsets = np.arange(300, 5000, 450)
    base = isoelectric_baseline(np.vstack([wander, -wander]), FS, onsets)
    a = np.rint(onsets - KNOT_START_MS * FS / 1000).astype(int)
    b = np.rint(onsets - KNOT_END_MS * FS / 1000).astype(int)
    knots = np.array([wander[i:j].mean() for i, j in zip(a, b)])
    mid = ((a + b - 1) / 2).astype(int)
    assert np.allclose(base[0, mid], knots, atol=2e-3)  # through the knots (mid-window, to half a sample)
    assert np.allclose(base[1], -base[0])
    inside = slice(mid[1], mid[-2])  # a natural spline is least exact next to its end knots
    assert np.max(np.abs(base[0, inside] - wander[inside])) < 0.015  # 0.2 Hz, knots 0.9 s apart


def test_lead_without_two_knots_gets_no_baseline():
    x = np.vstack([np.full(5000, 0.7), np.full(5000, 0.7)])
    onsets = np.array([300.0, 800.0, 1300.0])
    x[1, 280:300] = np.nan  # knot window of the first beat
    x[1, 780:800] = np.nan  # and of the second: one knot left
    base = isoelectric_baseline(x, FS, onsets)
    assert np.allclose(base[0], 0.7)
    assert np.all(base[1] == 0.0)
    assert np.all(isoelectric_baseline(x, FS, np.array([300.0, np.nan])) == 0.0)


def _st_elevated_ecg():
    """Gaussian ECG with an ST-T hump: 0.2 mV x lead factor from QRS offset - 10 ms to T offset."""
    sig, truth = gaussian_ecg(hr_bpm=60, qrs_ms=100, qt_ms=400, noise_mV=0.0)
    sig = sig.astype(np.float64)
    factor = np.linspace(-1.0, 1.0, 12)
    for _, g in truth[truth["lead"] == "global"].iterrows():
        a, b = int(g["QRS_off"]) - 5, int(g["T_off"])
        sig[:, a:b] += 0.2 * factor[:, None] * np.sin(np.pi * np.arange(b - a) / (b - a))[None, :]
    return sig, truth


@pytest.mark.parametrize("name", list(WANDERS))
def test_wander_does_not_move_st_and_t_on_exact_truth(name):
    sig, truth = _st_elevated_ecg()
    clean = extract_record(sig, FS, method=TruthDelineator(truth))
    wandering = extract_record(sig + WANDERS[name][None, :].astype(np.float32), FS, method=TruthDelineator(truth))
    # the clean record's values are the waveform's own: every beat is the same, baseline 0
    g = truth[truth["lead"] == "global"].iloc[2]
    qon, qoff = int(g["QRS_on"]), int(g["QRS_off"])
    pr = sig[:, qon - 12 : qon - 2].mean(axis=1)
    measured = np.isfinite(_values(clean, "R_amp_mV"))  # leads not set aside as flat
    assert measured.sum() >= 10
    assert np.allclose(_values(clean, "ST60_amp_mV")[measured], (sig[:, qoff + 30] - pr)[measured], atol=1e-3)
    assert np.allclose(_values(clean, "J_amp_mV")[measured], (sig[:, qoff] - pr)[measured], atol=1e-3)
    assert np.nanmax(np.abs(_values(clean, "ST60_amp_mV"))) > 0.1  # a real ST deviation to keep
    for m in MEASURES:
        err = np.abs(_values(wandering, m) - _values(clean, m))[measured]
        assert np.max(err) < 0.02, (name, m, np.max(err))


def test_wander_does_not_move_st_and_t_of_ptbxl_record(ptbxl_root):
    wfdb = pytest.importorskip("wfdb")
    r = wfdb.rdrecord(str(ptbxl_root / "records500" / "00000" / "00001_hr"))
    sig = r.p_signal.T.astype(np.float32)
    ref = extract_record(sig, FS, list(r.sig_name))
    x = extract_record(sig + (0.3 * np.sin(2 * np.pi * 0.3 * T + 0.7)).astype(np.float32)[None, :], FS,
                       list(r.sig_name))
    # before: ST60 off by up to 0.134 mV, T by 0.403 mV
    for m in ("ST60_amp_mV", "T_amp_mV", "J_amp_mV"):
        err = np.abs(_values(x, m) - _values(ref, m))
        assert np.nanmax(err) < 0.03, (m, np.nanmax(err))


def test_wander_too_fast_for_the_knots_is_named_and_st_t_nan():
    # 0.5 Hz at 60 bpm: one knot per second samples the wander at its Nyquist rate; the
    # T-P segments sit ~0.17 mV off the spline, so J, ST60 and T are not estimated
    sig, truth = _st_elevated_ecg()
    fast = 0.5 * np.sin(2 * np.pi * 0.5 * T + 0.7)
    clean = extract_record(sig, FS, method=TruthDelineator(truth))
    x = extract_record(sig + fast[None, :].astype(np.float32), FS, method=TruthDelineator(truth))
    measured = np.isfinite(_values(clean, "R_amp_mV"))
    assert clean["quality_wander_leads"] == ""
    assert set(x["quality_wander_leads"].split(",")) == {ld for ld, m in zip(STANDARD_LEADS, measured) if m}
    assert "faster than one PR-segment knot per beat" in x["quality_reason"]
    for m in ("J_amp_mV", "ST60_amp_mV", "T_amp_mV"):
        assert np.isnan(_values(x, m)).all(), m
    assert np.isnan(x["ST60_max_elevation_mV"]) and np.isnan(x["ST60_max_depression_mV"])
    # the QRS, next to the knot, is still measured (here within 0.03 mV)
    assert np.allclose(_values(x, "R_amp_mV")[measured], _values(clean, "R_amp_mV")[measured], atol=0.035)
