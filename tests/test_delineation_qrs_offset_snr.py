"""Two-lead QRS offsets: each lead pulled towards the other by the other's share of the SNR.

With two usable leads each lead's QRS offset moves towards the other lead's by
``Params.qrs_off_snr_pull`` times the other lead's share of the two complexes'
amplitude-over-noise (``consensus.snr_weighted_pull``): the lead whose complex stands
higher above its noise keeps (nearly) its own boundary, the weaker one moves further.
"""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.features.delineation.consensus import complex_snr, snr_weighted_pull
from interp_ecg.features.delineation.params import Params
from tests.test_delineation_qrs_few_leads import R_TIMES, beat_train, qrs_off_ms


def test_pull_follows_the_snr_shares_exactly():
    v = np.array([[100.0, 200.0, 300.0], [120.0, 210.0, 340.0]])
    snr = np.array([[30.0, 10.0, 20.0], [10.0, 10.0, 20.0]])
    out = snr_weighted_pull(v, snr, np.ones(2, bool), tol=20, pull=0.4)
    # beat 0: lead 0 moves 0.4 * 10/40 * 20 = 2, lead 1 moves 0.4 * 30/40 * 20 = 6
    # beat 1: equal SNRs, each moves 0.2 of the 10-sample gap
    # beat 2: 40 samples apart = 2 tol, still pulled (equal SNRs: 8 each)
    assert out.tolist() == [[102.0, 202.0, 308.0], [114.0, 208.0, 332.0]]


def test_pull_leaves_what_it_cannot_weigh_alone():
    v = np.array([[100.0, 100.0, 100.0, np.nan], [150.0, 110.0, 110.0, 110.0]])
    snr = np.array([[10.0, np.nan, 10.0, 10.0], [10.0, 10.0, 10.0, 10.0]])
    out = snr_weighted_pull(v, snr, np.ones(2, bool), tol=20, pull=0.4)
    # 50 samples apart (> 2 tol), an SNR missing, (beat 2 pulled), a lead missing
    assert out[:, 0].tolist() == [100.0, 150.0]
    assert out[:, 1].tolist() == [100.0, 110.0]
    assert out[:, 2].tolist() == [102.0, 108.0]
    assert np.isnan(out[0, 3]) and out[1, 3] == 110.0
    # not exactly two usable leads: unchanged
    three = np.vstack([v[:, :3], [[105.0, 105.0, 105.0]]])
    assert np.array_equal(snr_weighted_pull(three, np.ones((3, 3)), np.ones(3, bool), 20, 0.4), three)
    assert np.array_equal(snr_weighted_pull(v[:, :3], snr[:, :3], np.array([True, False]), 20, 0.4),
                          v[:, :3])


def test_complex_snr_is_peak_to_peak_over_noise():
    x = np.zeros((2, 100))
    x[0, 20:30] = np.linspace(0, 1.5, 10)
    x[0, 30:35] = -0.3
    x[1, 20:30] = 0.2
    snr = complex_snr(x, np.array([[15.0], [15.0]]), np.array([[40.0], [40.0]]), np.array([[0.01], [0.02]]))
    assert snr[:, 0] == pytest.approx([180.0, 10.0])


@pytest.mark.parametrize("fs", [250.0, 500.0])
def test_the_stronger_lead_keeps_its_own_offset(fs):
    """A large lead (QRS 1.12 mV peak to peak) and the same complex at 15 %, 5 uV of white
    noise in both. Alone, the small lead's offset stops about 30 ms before the large lead's
    (its S wave's return is lost in the noise). With two leads the large lead's offset stays
    within a sample of its own (it moves 0.35 x ~0.13 of the gap, ~1.4 ms) and the small
    lead's moves 0.35 x ~0.87 of the gap (~9 ms) towards it; the symmetric pull
    (``qrs_off_snr_pull=0``: each lead a quarter of the way, ``w_qrs_off = 0.5``) moved the
    large lead ~8 ms towards the small one."""
    rng = np.random.default_rng(3)
    big = beat_train(fs)
    x = np.vstack([big, 0.15 * big]) + rng.normal(0, 0.005, (2, big.size))
    names = ["II", "V5"]
    own = qrs_off_ms(x, fs, names, Params(qrs_off_snr_pull=0.0, w_qrs_off=1.0))
    new = qrs_off_ms(x, fs, names, Params())
    sym = qrs_off_ms(x, fs, names, Params(qrs_off_snr_pull=0.0))
    gap = np.median(own["II"] - own["V5"])
    assert 20 <= gap <= 40
    step = 1000.0 / fs + 1e-6  # one sample
    assert np.all(np.abs(new["II"] - own["II"]) <= step)
    assert np.median(new["V5"] - own["V5"]) == pytest.approx(0.35 * 0.87 * gap, abs=step)
    assert np.median(own["II"] - sym["II"]) >= 0.25 * gap - step   # the old pull moved it
    # the global offset (latest of the two leads' own offsets) is not touched
    assert np.array_equal(new["global"], own["global"])
    assert R_TIMES.size == len(new["II"])
