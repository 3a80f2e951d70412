"""No beat from the record's edge, and nothing on a lead's held (constant) start or end.

Round of 2026-11-30 (late), issue 10 part 1. PTB-XL's 500 Hz files hold every lead constant
over their last 98-164 ms (the 100 Hz files still show the waves there), and the QRS
detector placed a beat on an envelope peak at the record's first or last samples (an R
wave still rising at the last sample, an S wave whose R lay before the record), at one
rate and not at the other (benchmarks/delineation_rates.py, section (c)).
"""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.features.delineation import FIDUCIALS, delineate
from interp_ecg.features.delineation import stages as S
from interp_ecg.features.delineation.params import Params
from interp_ecg.features.delineation.qrs import detect_qrs, edge_peak_contained


def beats(fs: float, seconds: float, first: float = 0.6, hr: float = 60.0, t_at: float = 0.25,
          noise: float = 0.005, n_leads: int = 2, seed: int = 0):
    """Sum-of-Gaussians beats sampled at ``fs`` (q, R, s, T at ``R + t_at``, P at R - 160 ms).

    Returns the signal and the R peak times (s) inside the record.
    """
    rng = np.random.default_rng(seed)
    n = int(round(seconds * fs))
    t = np.arange(n) / fs
    r = np.arange(first, seconds + 0.5, 60.0 / hr)

    def g(c, sd):
        return np.exp(-0.5 * ((t - c) / sd) ** 2)

    x = np.zeros(n)
    for c in r:
        x += -0.15 * g(c - 0.022, 0.006) + g(c, 0.009) - 0.3 * g(c + 0.024, 0.007)
        x += 0.3 * g(c + t_at, 0.04) + 0.12 * g(c - 0.16, 0.018)
    x = np.tile(x, (n_leads, 1)) + noise * rng.standard_normal((n_leads, n))
    return x.astype(np.float32), r[r < seconds]


def _glob(df):
    return df[df["lead"] == "global"].reset_index(drop=True)


# ------------------------------------------------------------------ held samples
def test_held_edges_marks_runs_at_the_ends_only():
    p = Params()
    assert p.held_edge_min_s == 0.02
    x = np.sin(np.arange(1000) / 7.0)[None, :].repeat(3, axis=0)
    x[0, 950:] = x[0, 949]                      # last 50 samples repeat sample 949
    x[1, :12] = x[1, 12]                        # first 12 samples repeat sample 12
    x[2, 500:520] = 0.3                         # constant inside the record: not held
    x[2, :9] = x[2, 9]                          # 9 repeats < 10 (20 ms): not held
    h = S.held_edges(x, 500.0, p)
    assert h.sum(axis=1).tolist() == [51, 13, 0]  # the whole run, the repeated sample too
    assert np.flatnonzero(h[0]).tolist() == list(range(949, 1000))
    assert np.flatnonzero(h[1]).tolist() == list(range(13))
    assert S.signal_span(h) == (0, 1000)
    assert S.signal_span(h[:2]) == (0, 1000)
    assert S.signal_span(h[[0]]) == (0, 949)
    assert S.signal_span(h[[1]]) == (13, 1000)
    assert S.signal_span(np.ones((2, 10), bool)) == (0, 10)


def test_held_tail_gives_exactly_the_delineation_of_the_record_cut_there():
    fs = 500
    x, r = beats(fs, 10.0)
    hold = int(8.9 * fs)                       # hold from 8.9 s, in the T wave of the beat at 8.6 s
    held = x.copy()
    held[:, hold:] = x[:, [hold - 1]]
    a = delineate(held, fs, ["II", "V5"])
    b = delineate(x[:, :hold - 1], fs, ["II", "V5"])
    assert a.attrs["signal_span"] == (0, hold - 1)
    np.testing.assert_array_equal(a[FIDUCIALS].to_numpy(float), b[FIDUCIALS].to_numpy(float))
    assert a.attrs["edge_beats"] == b.attrs["edge_beats"] == [8]
    v = a[FIDUCIALS].to_numpy(float)
    assert (v[np.isfinite(v)] < hold).all()
    # before: the last beat's T wave was delineated on the held samples
    assert len(_glob(a)) == 9


def test_held_head_shifts_every_index_by_the_held_samples():
    fs = 500
    x, r = beats(fs, 10.0, first=0.9)
    k = 300                                    # first 600 ms held (a P wave at 0.74 s)
    held = x.copy()
    held[:, :k] = x[:, [k]]
    a = delineate(held, fs, ["II", "V5"])
    b = delineate(x[:, k + 1:], fs, ["II", "V5"])
    assert a.attrs["signal_span"] == (k + 1, x.shape[1])
    np.testing.assert_array_equal(a[FIDUCIALS].to_numpy(float),
                                  b[FIDUCIALS].to_numpy(float) + k + 1)
    assert len(_glob(a)) == len(r) == 10


def test_one_lead_held_longer_gets_no_boundary_on_or_near_its_held_samples():
    fs = 500
    x, r = beats(fs, 10.0)
    hold = int(9.3 * fs)
    x[0, hold:] = x[0, hold - 1]               # lead II held from 9.3 s, V5 goes on
    df = delineate(x, fs, ["II", "V5"], return_reasons=True)
    assert df.attrs["signal_span"] == (0, x.shape[1])
    ii = df[df["lead"] == "II"][FIDUCIALS].to_numpy(float)
    g = 0.02 * fs
    assert (ii[np.isfinite(ii)] < hold - g).all()
    v5 = df[df["lead"] == "V5"][FIDUCIALS].to_numpy(float)
    assert (v5[np.isfinite(v5)] > hold).any()  # V5's last T wave is measured


def test_ptbxl_44_has_no_boundary_in_the_held_tail(ptbxl_root):
    from interp_ecg.io import read_ptbxl

    rec = read_ptbxl(ptbxl_root, sampling_rate=500).load(44)
    x = np.asarray(rec.signal)
    ii = list(rec.leads).index("II")
    assert np.ptp(x[ii, 4951:]) == 0            # lead II held (-0.22 mV) over its last 100 ms
    held = S.held_edges(x, 500.0, Params())
    stop = S.signal_span(held)[1]
    assert 4900 <= stop <= 4960
    df = delineate(x, 500, list(rec.leads))
    v = df[FIDUCIALS].to_numpy(float)
    assert (v[np.isfinite(v)] < stop).all()


# ------------------------------------------------------------------ beats at the edge
def test_envelope_peak_within_the_edge_guard_is_no_beat():
    fs = 500.0
    env = np.zeros(1000)
    cand = np.array([3, 9, 10, 500, 989, 990, 996])
    # edge_guard_s = 20 ms = 10 samples: 0..9 and 990..999 are too close
    assert edge_peak_contained(env, cand, fs).tolist() == [False, False, True, True, True, False, False]


def test_100hz_record_ending_300ms_after_its_last_beat_gives_every_beat_placed():
    fs = 100
    # last R at 9.6 s; its T wave (R + 250 ms, SD 40 ms) ends by R + 0.35 s; 300 ms more
    x, r = beats(fs, 9.6 + 0.35 + 0.30)
    assert len(r) == 10
    df = delineate(x, fs, ["II", "V5"])
    g = _glob(df)
    assert len(g) == 10
    assert np.abs(g.R_peak.to_numpy() / fs - r).max() <= 0.01
    assert df.attrs["edge_beats"] == []
    assert np.isfinite(g[["QRS_on", "QRS_off", "T_off"]].to_numpy()).all()


@pytest.mark.parametrize("fs", [100, 500])
def test_record_ending_mid_qrs_keeps_a_flagged_beat_when_its_peak_is_inside(fs):
    # cut 30 ms after the last R (inside its s wave): a beat, flagged, QRS_off NaN
    x, r = beats(fs, 9.63)
    df = delineate(x, fs, ["II", "V5"], return_reasons=True)
    g = _glob(df)
    assert len(g) == 10
    assert abs(g.R_peak.iloc[-1] / fs - 9.6) <= 0.01
    assert np.isnan(g.QRS_off.iloc[-1]) and np.isfinite(g.QRS_on.iloc[-1])
    assert df.attrs["edge_beats"] == [9]
    assert "record edge" in g.reason.iloc[-1]


@pytest.mark.parametrize("fs", [100, 500])
def test_record_ending_on_a_rising_r_wave_gives_no_beat_there(fs):
    # cut 10 ms after the last R's peak: the envelope peak falls within the edge guard
    x, r = beats(fs, 9.61)
    g = _glob(delineate(x, fs, ["II", "V5"]))
    assert len(g) == 9
    assert abs(g.R_peak.iloc[-1] / fs - 8.6) <= 0.01


def test_detect_qrs_never_returns_a_peak_within_the_edge_guard():
    fs = 500
    x, _ = beats(fs, 9.605)
    r = detect_qrs(x, fs)
    g = round(Params().edge_guard_s * fs)
    assert r.min() >= g and r.max() <= x.shape[1] - 1 - g
    assert len(r) == 9


# ------------------------------------------------------------------ PTB-XL 100 vs 500 Hz
@pytest.mark.parametrize("ecg_id", [68, 136])
def test_ptbxl_100hz_gives_the_beats_of_500hz(ptbxl_root, ecg_id):
    from interp_ecg.io import read_ptbxl

    r5 = read_ptbxl(ptbxl_root, sampling_rate=500).load(ecg_id)
    r1 = read_ptbxl(ptbxl_root, sampling_rate=100).load(ecg_id)
    a = delineate(r5.signal, 500, list(r5.leads))
    b = delineate(r1.signal, 100, list(r1.leads))
    ga, gb = _glob(a), _glob(b)
    # before: the 100 Hz file gave one beat more, "at" its last sample (9.98 / 9.99 s),
    # for an R wave still rising there (the 500 Hz file holds those samples constant)
    assert len(gb) == len(ga) == {68: 12, 136: 11}[ecg_id]
    assert len(gb) - len(b.attrs["edge_beats"]) == len(ga) - len(a.attrs["edge_beats"])
    ta, tb = ga.R_peak.to_numpy() / 500, gb.R_peak.to_numpy() / 100
    both = np.isfinite(ta) & np.isfinite(tb)
    assert np.abs(ta[both] - tb[both]).max() <= 0.012
