"""QRS offset with one or two leads: the end of a terminal S wave's return (issue 10).

Synthetic beats whose QRS end is placed exactly: an R wave (onset 40 ms before R), an S
wave with its nadir 25 ms after R, and a linear return to the baseline that ends a known
time later; a flat ST segment, then a T wave. The slope rule alone stops at the S nadir
(the slope passes through zero there); the J point is where the return is complete.
"""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.features.delineation import delineate
from interp_ecg.features.delineation.params import Params
from interp_ecg.features.delineation.qrs_end import s_wave_return

R_TIMES = 0.6 + np.arange(9) * 1.0  # s, 60 bpm
S_NADIR_S = 0.025


def beat_train(fs: float, return_s: float = 0.040, s_depth: float = 0.12,
               after_s: tuple = ()) -> np.ndarray:
    """One lead (mV) of 10 s: 9 beats; the QRS ends ``S_NADIR_S + return_s`` after R.

    ``after_s``: extra (time after the S nadir in s, level in mV) knots replacing the
    return (e.g. an ST segment that keeps rising).
    """
    n = int(10 * fs)
    t = np.arange(n) / fs
    x = np.zeros(n)
    for tr in R_TIMES:
        kt = [tr - 0.040, tr, tr + S_NADIR_S]
        kv = [0.0, 1.0, -s_depth]
        tail = after_s or ((return_s, 0.0),)
        kt += [tr + S_NADIR_S + dt for dt, _ in tail]
        kv += [v for _, v in tail]
        seg = (t >= kt[0]) & (t <= kt[-1])
        x[seg] += np.interp(t[seg], kt, kv)
        x += 0.3 * np.exp(-0.5 * ((t - tr - 0.28) / 0.04) ** 2)   # T wave
        x += 0.1 * np.exp(-0.5 * ((t - tr + 0.16) / 0.02) ** 2)   # P wave
    return x


def qrs_off_ms(x: np.ndarray, fs: float, names: list, params: Params | None = None) -> dict:
    """QRS offset minus R (ms) of every beat, per row (lead names and ``global``)."""
    df = delineate(x, fs, names, params=params)
    out = {}
    for lead in names + ["global"]:
        sel = df[df["lead"] == lead]
        assert len(sel) == R_TIMES.size, (lead, len(sel))
        out[lead] = (sel["QRS_off"].to_numpy(float) / fs - R_TIMES) * 1000.0
    return out


@pytest.mark.parametrize("fs", [250.0, 500.0])
@pytest.mark.parametrize("n_leads", [1, 2])
def test_qrs_ends_where_the_s_wave_has_returned(fs, n_leads):
    x = beat_train(fs)
    names = ["II", "V5"][:n_leads]
    sig = np.stack([x, 0.7 * x][:n_leads])
    truth = (S_NADIR_S + 0.040) * 1000.0  # 65 ms after R
    got = qrs_off_ms(sig, fs, names)
    for lead, e in got.items():
        # within the slope's resolution: one sample at 250 Hz, 4 ms either way
        assert np.all(np.abs(e - truth) <= 4.0), (lead, e)
    # the slope rule alone stops at the S nadir, 25 ms after R (inside the complex)
    before = qrs_off_ms(sig, fs, names, Params(qrs_sret_max_leads=0))
    for lead, e in before.items():
        assert np.all(e <= S_NADIR_S * 1000.0 + 8.0), (lead, e)


def test_longer_return_longer_qrs():
    fs = 250.0
    got = qrs_off_ms(beat_train(fs, return_s=0.050)[None], fs, ["II"])
    assert np.all(np.abs(got["II"] - (S_NADIR_S + 0.050) * 1000.0) <= 4.0), got


def test_not_applied_with_three_leads():
    """With more than ``qrs_sret_max_leads`` usable leads the offsets are the slope rule's."""
    fs = 500.0
    x = beat_train(fs)
    sig = np.stack([x, 0.7 * x, 0.5 * x])
    names = ["II", "V5", "V1"]
    on = qrs_off_ms(sig, fs, names)
    off = qrs_off_ms(sig, fs, names, Params(qrs_sret_max_leads=0))
    for lead in on:
        np.testing.assert_array_equal(on[lead], off[lead])
        assert np.all(on[lead] <= S_NADIR_S * 1000.0 + 8.0), on[lead]


@pytest.mark.parametrize("case", ["no_s_wave", "tiny_wiggle", "rising_st"])
def test_offset_unchanged_without_an_s_wave_return(case):
    """No S wave, an S wave smaller than ``qrs_sret_amp`` of the complex, or an ST segment
    that keeps rising past ``qrs_sret_span_s``: the rule leaves the offset alone."""
    fs = 500.0
    if case == "no_s_wave":
        x = beat_train(fs, return_s=0.001, s_depth=0.0)
    elif case == "tiny_wiggle":
        x = beat_train(fs, s_depth=0.03)  # 3 % of the complex's 1.03 mV
    else:
        # S nadir -0.12 mV, then a straight ST upslope for 150 ms to +0.1 mV
        x = beat_train(fs, after_s=((0.150, 0.10),))
    got = qrs_off_ms(x[None], fs, ["II"])
    ref = qrs_off_ms(x[None], fs, ["II"], Params(qrs_sret_max_leads=0))
    np.testing.assert_array_equal(got["II"], ref["II"])


def test_s_wave_return_leaves_missing_offsets_alone():
    t = np.arange(120.0)
    x = np.interp(t, [0, 40, 50, 60, 75, 119], [0, 0, 1.0, -0.2, 0, 0])
    w, d = x[None, None], np.gradient(x)[None, None]
    hi = np.array([[[119]]])
    # no offset found: stays -1; no significant slope: left as it is
    assert s_wave_return(w, d, np.array([[-1]]), np.array([[55]]), np.array([[1.2]]),
                         0.0, 4, 30, 0.35, 0.05, hi)[0, 0] == -1
    assert s_wave_return(w, d, np.array([[60]]), np.array([[-1]]), np.array([[1.2]]),
                         0.0, 4, 30, 0.35, 0.05, hi)[0, 0] == 60
    # the return's end lies beyond the last index an offset may take: not moved
    assert s_wave_return(w, d, np.array([[60]]), np.array([[55]]), np.array([[1.2]]),
                         0.0, 4, 30, 0.35, 0.05, np.array([[[70]]]))[0, 0] == 60
    # moved to the end of the return (75, one sample later from the central difference)
    assert s_wave_return(w, d, np.array([[60]]), np.array([[55]]), np.array([[1.2]]),
                         0.0, 4, 30, 0.35, 0.05, hi)[0, 0] == 76
