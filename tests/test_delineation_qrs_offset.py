"""QRS offset (J point) on simulated complexes whose QRS end is known exactly (issue 10).

Piecewise-linear complexes at 60 bpm with a P and a T wave: the QRS ends at the J point,
the junction of the QRS complex and the ST segment (CSE Working Party, Willems et al. 1985;
Kligfield et al. 2007). The ST segment's level and slope (ST elevation with an upsloping
ST, ST depression with a downsloping one) are not part of the complex and must not move
the offset; a terminal r' (a notched or fragmented end) is part of it and must carry the
offset past it. The 0.5-40 Hz band and the 4 ms slope span round a sharp corner, so the
offset of a piecewise-linear complex lies up to ``SMEAR_MS`` after its corner (measured
here: 8-10 ms at 250 Hz, 8 ms at 500 Hz; real complexes have rounded corners).
"""

from __future__ import annotations

import numpy as np
import pytest

from test_delineation_qrs_few_leads import R_TIMES
from test_delineation_qrs_few_leads import qrs_off_ms as qrs_off_named

SMEAR_MS = 12.0
#: (time after R in s, level in mV) knots of the complex and its ST segment; J at R + 30 ms
FLAT_ST = [(-0.04, 0.0), (0.0, 1.0), (0.03, 0.0)]
ELEVATED_ST = [(-0.04, 0.0), (0.0, 1.0), (0.03, 0.15), (0.20, 0.3)]
DEPRESSED_ST = [(-0.04, 0.0), (0.0, 1.0), (0.03, -0.1), (0.12, -0.15), (0.20, 0.0)]
#: S nadir at R + 25 ms, then a terminal r' of 0.15 mV that ends at R + 55 ms
TERMINAL_R = [(-0.04, 0.0), (0.0, 1.0), (0.025, -0.1), (0.04, 0.15), (0.055, 0.0)]


def beat_train(fs: float, knots: list, noise_mv: float = 0.0) -> np.ndarray:
    """One lead (mV), 10 s, 9 beats built from ``knots``, plus P and T waves."""
    n = int(10 * fs)
    t = np.arange(n) / fs
    x = np.zeros(n)
    for tr in R_TIMES:
        kt = [tr + a for a, _ in knots]
        seg = (t >= kt[0]) & (t <= kt[-1])
        x[seg] += np.interp(t[seg], kt, [v for _, v in knots])
        x += 0.3 * np.exp(-0.5 * ((t - tr - 0.28) / 0.04) ** 2)   # T wave
        x += 0.1 * np.exp(-0.5 * ((t - tr + 0.16) / 0.02) ** 2)   # P wave
    if noise_mv:
        x = x + noise_mv * np.random.default_rng(0).standard_normal(n)
    return x


def qrs_off_ms(x: np.ndarray, fs: float, n_leads: int) -> dict:
    """QRS offset minus R (ms) of every beat, per row (II, V5 = 0.7 x II, and ``global``)."""
    return qrs_off_named(np.stack([x, 0.7 * x][:n_leads]), fs, ["II", "V5"][:n_leads])


@pytest.mark.parametrize("fs", [250.0, 500.0])
@pytest.mark.parametrize("n_leads", [1, 2])
@pytest.mark.parametrize("knots", [FLAT_ST, ELEVATED_ST, DEPRESSED_ST, TERMINAL_R],
                         ids=["flat ST", "elevated upsloping ST", "depressed downsloping ST",
                              "terminal r'"])
def test_qrs_ends_at_the_j_point(fs, n_leads, knots):
    j_ms = 55.0 if knots is TERMINAL_R else 30.0
    for lead, e in qrs_off_ms(beat_train(fs, knots), fs, n_leads).items():
        assert np.all(e >= j_ms - 1000.0 / fs), (lead, e)
        assert np.all(e <= j_ms + SMEAR_MS), (lead, e)


@pytest.mark.parametrize("fs", [250.0, 500.0])
@pytest.mark.parametrize("knots", [ELEVATED_ST, DEPRESSED_ST])
def test_st_level_and_slope_do_not_move_the_offset(fs, knots):
    # the same complex and J point with a flat ST: the offset within one sample
    flat = qrs_off_ms(beat_train(fs, FLAT_ST), fs, 2)
    got = qrs_off_ms(beat_train(fs, knots), fs, 2)
    for lead in flat:
        assert np.all(np.abs(got[lead] - flat[lead]) <= 1000.0 / fs + 1e-9), (lead, got[lead])


@pytest.mark.parametrize("fs", [250.0, 500.0])
def test_terminal_r_prime_is_inside_the_complex(fs):
    # the r' ends 25 ms after the plain complex's J point; the offset follows it
    plain = qrs_off_ms(beat_train(fs, FLAT_ST), fs, 1)["II"]
    notched = qrs_off_ms(beat_train(fs, TERMINAL_R), fs, 1)["II"]
    assert np.all(notched - plain >= 25.0 - SMEAR_MS), notched - plain
    assert np.all(notched - plain <= 25.0 + 1000.0 / fs), notched - plain
