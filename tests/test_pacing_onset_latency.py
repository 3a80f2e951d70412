"""Paced QRS onsets after a stimulus-to-QRS latency (issue 10, round of 2026-12-01 ninth).

A pacing pulse is followed by its recharge tail and, during the stimulus-to-QRS latency,
by the isoelectric line; the QRS onset (onset of ventricular depolarisation) comes after
both. Here a 4 ms 12-lead pulse with a 10 ms exponential recharge tail is placed a known
latency before every true QRS onset of a simulated record, so the right onset is exact.
``Params.paced_tail_max_s`` (0 turns it off) searches the onset after the tail where the
leads are back at their pre-spike level (:func:`interp_ecg.features.delineation.spikes.
onsets_after_recharge`).
"""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.features.delineation import delineate
from interp_ecg.features.delineation.params import Params
from interp_ecg.features.delineation.spikes import onsets_after_recharge
from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg.simulate import simulate_record

_LEADS12 = list(STANDARD_LEADS)
_SPIKE_MV = np.array([1.5, 1.0, -0.5, -1.2, 0.8, 0.3, -1.0, -1.5, -1.2, -0.8, 0.6, 0.9])
_PULSE_TAIL = [1.0, 1.0] + list(-0.25 * np.exp(-np.arange(5) / 2))   # 4 ms + 10 ms tail
_TAIL_OFF = Params(paced_tail_max_s=0.0)       # the behaviour before this round


def _paced(condition: str, seed: int, latency_ms: float):
    """500 Hz 12-lead record, the pulse starting ``latency_ms`` before every true QRS onset;
    the true onsets (samples)."""
    ecg = simulate_record(condition, noise=0.2, random_state=seed)
    g = ecg.fiducials.loc[ecg.fiducials["lead"] == "global", "QRS_on"].to_numpy(float)
    on = np.round(g[np.isfinite(g)]).astype(int)
    x = ecg.signal.astype(float).copy()
    lag = int(round(latency_ms * 500 / 1000))
    for o in on:
        for k, v in enumerate(_PULSE_TAIL):
            x[:, o - lag + k] += v * _SPIKE_MV
    return x, on


def _global_errors_ms(df, on) -> np.ndarray:
    got = df.loc[df["lead"] == "global", "QRS_on"].to_numpy(float)
    return np.array([got[np.nanargmin(np.abs(got - o))] - o for o in on]) * 2.0


@pytest.mark.parametrize("condition,seed", [("lbbb", 3), ("normal", 3), ("rbbb", 3)])
def test_onset_after_a_20ms_latency_is_searched_past_the_recharge_tail(condition, seed):
    x, on = _paced(condition, seed, 20.0)
    default = delineate(x, 500, leads=_LEADS12, params=_TAIL_OFF)
    after = delineate(x, 500, leads=_LEADS12, return_reasons=True)
    assert len(after.attrs["pacing_spikes"]) == on.size
    before_err, err = _global_errors_ms(default, on), _global_errors_ms(after, on)
    # before: the onset at the spike's end, 16 ms before the truth, on every beat
    assert np.median(before_err) == -16.0
    # past the tail: median 4 ms early (the slope rule's sample before the first deflection)
    assert abs(np.median(err)) <= 6.0, err
    assert np.abs(err).max() <= 14.0, err
    g = after[after["lead"] == "global"]
    assert g["reason"].str.contains("past the recharge tail of the pacing spike").any()
    # nothing but the paced QRS onsets changes
    cols = ["P_on", "P_peak", "P_off", "R_peak", "QRS_off", "T_on", "T_peak", "T_off"]
    np.testing.assert_array_equal(default[cols].to_numpy(float), after[cols].to_numpy(float))


@pytest.mark.parametrize("condition,seed", [("lbbb", 3), ("normal", 4)])
def test_complex_starting_during_the_tail_keeps_its_onset_at_the_spike_end(condition, seed):
    # latency 4 ms: the complex starts during the tail, the leads are away from their
    # pre-spike level after it, so the onset stays at the spike's end, which is exact;
    # without the level test it came out 8-12 ms late
    x, on = _paced(condition, seed, 4.0)
    df = delineate(x, 500, leads=_LEADS12, return_reasons=True)
    assert np.all(_global_errors_ms(df, on) == 0.0)
    g = df[df["lead"] == "global"]
    assert not g["reason"].str.contains("past the recharge tail").any()


def test_onsets_after_recharge_moves_only_onsets_before_the_tail_end():
    n = 400
    x = np.zeros((2, n))
    for e in (99, 299):                                  # spike ends; complexes 20 ms later
        x[:, e + 1:] += -0.3 * np.exp(-np.arange(n - e - 1) / 2.0) * np.array([[1.0], [0.5]])
        x[:, e + 21:e + 41] += np.linspace(0.0, 2.0, 20)
        x[:, e + 41:e + 101] += 2.0
    s = np.gradient(x, axis=1)
    on = np.array([[99.0, 330.0], [99.0, np.nan]])      # beat 1, lead 0: after the tail
    got, g, m, mg = onsets_after_recharge(on, np.array([99.0, 330.0]), np.array([150.0, 350.0]),
                                          np.array([99.0, 299.0]), s, np.array([True, True]),
                                          500.0, 0.2, 0.03, 0.02)
    assert got[0, 0] == got[1, 0] == 119.0 and g[0] == 119.0       # the ramp starts at 120
    assert got[0, 1] == 330.0 and np.isnan(got[1, 1]) and g[1] == 330.0
    assert m.tolist() == [[True, False], [True, False]] and mg.tolist() == [True, False]
    # a lead set aside, a beat without a spike before its reference, no spikes at all
    got, g, m, _ = onsets_after_recharge(on, np.array([99.0, 330.0]), np.array([150.0, 350.0]),
                                         np.array([99.0]), s, np.array([False, True]),
                                         500.0, 0.2, 0.03, 0.02)
    assert got[0, 0] == 99.0 and got[1, 0] == 119.0 and not m[:, 1].any()
    got, g, m, mg = onsets_after_recharge(on, np.array([99.0, 330.0]), np.array([150.0, 350.0]),
                                          np.empty(0), s, np.array([True, True]),
                                          500.0, 0.2, 0.03, 0.02)
    assert not m.any() and not mg.any()
    np.testing.assert_array_equal(got, on)


def test_onsets_after_recharge_keeps_a_lead_away_from_its_pre_spike_level():
    n = 200
    x = np.zeros((2, n))
    x[:, 100:] += -0.3 * np.exp(-np.arange(100) / 2.0)          # tail after the spike (99)
    x[0, 120:140] += np.linspace(0.0, 2.0, 20)                    # lead 0: complex at 120
    x[0, 140:] += 2.0
    x[1, 101:140] += np.linspace(0.0, 1.0, 39)                    # lead 1: starts in the tail
    x[1, 140:] += 1.0
    s = np.gradient(x, axis=1)
    args = (np.array([[99.0], [99.0]]), np.array([99.0]), np.array([150.0]),
            np.array([99.0]), s, np.array([True, True]), 500.0, 0.2, 0.03, 0.02)
    level = (x, np.array([97]))                                    # the sample before it
    got, g, m, mg = onsets_after_recharge(*args, level=level, iso_mv=0.02)
    assert got[0, 0] == 119.0 and got[1, 0] == 99.0               # lead 1 keeps its onset
    assert m[:, 0].tolist() == [True, False]
    # one lead of two keeps its onset: not most leads show a latency, the consensus stays
    assert g[0] == 99.0 and not mg[0]
    # without the level test both leads are moved
    got, g, m, mg = onsets_after_recharge(*args)
    assert m[:, 0].all() and mg[0]
