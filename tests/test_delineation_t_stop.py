"""A T end at a search stop is not in the signal (issue 10, helper tstop).

Simulated long QT with exact T ends: the widened long-QT search keeps a broad T (half
height ~190 ms before its peak), and a T end that lies at a search stop with the signal
still off its baseline is searched on, or NaN with a reason -- never the stop itself.
"""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.features.delineation import Params, delineate
from interp_ecg.features.delineation.waves import t_end_off_baseline, t_waves


def _long_qt(fs: float, qt_s: float, rr_s: float, n_leads: int = 1, n_beats: int = 6,
             seed: int = 0) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Asymmetric T from R + 120 ms to R + ``qt_s`` (rise 65 %, return 35 %), 10 uV noise."""
    amps = [0.35, 0.30, 0.25]
    n = int(round((n_beats + 1) * rr_s * fs))
    t = np.arange(n, dtype=float)
    rng = np.random.default_rng(seed)
    xs, ends = [], []
    for li in range(n_leads):
        x = np.zeros(n)
        e = []
        for k in range(n_beats):
            r = int(round((0.6 + k * rr_s) * fs))
            w = 0.010 * fs
            x += np.exp(-0.5 * ((t - r) / w) ** 2) - 0.2 * np.exp(-0.5 * ((t - r - 2.8 * w) / w) ** 2)
            a, b = r + int(round(0.12 * fs)), r + int(round(qt_s * fs))
            u = (t[a:b + 1] - a) / (b - a)
            y = np.where(u < 0.65, np.sin(0.5 * np.pi * u / 0.65) ** 2,
                         np.cos(0.5 * np.pi * (u - 0.65) / 0.35) ** 2)
            x[a:b + 1] += amps[li] * y
            e.append(b)
        xs.append(x + rng.normal(0.0, 0.01, n))
        ends = np.asarray(e, float)
    return np.stack(xs).astype(np.float32), ["II", "V5", "V2"][:n_leads], ends


@pytest.mark.parametrize("fs", [250.0, 500.0])
@pytest.mark.parametrize("qt_s", [0.65, 0.70])
def test_broad_long_qt_t_end_not_on_the_up_slope(fs, qt_s):
    # before: the widened search was dropped (hump test 0.16 s) and the T end was read on
    # the T's up-slope, 120-270 ms early (t_widen_halfwidth_s 0.20 s, the default)
    x, leads, ends = _long_qt(fs, qt_s, 1.5)
    df = delineate(x, fs, leads)
    g = df.loc[df["lead"] == "global", "T_off"].to_numpy(float)
    m = min(g.size, ends.size)
    err = (g[:m] - ends[:m]) * 1000.0 / fs
    assert np.isfinite(err).mean() >= 0.8
    assert np.all(np.abs(err[np.isfinite(err)]) <= 40.0), err
    old = delineate(x, fs, leads, params=Params(t_widen_halfwidth_s=0))
    g0 = old.loc[old["lead"] == "global", "T_off"].to_numpy(float)[:m]
    assert np.nanmean((g0 - ends[:m]) * 1000.0 / fs) < -80.0   # the rule makes the difference


def test_off_baseline_at_the_end():
    fs = 500.0
    x = np.zeros((2, 3000))
    x[:, 700:800] = 0.3
    r = np.array([500, 1500])
    rr = np.array([1000.0, 1000.0])
    off = np.array([[750.0, 900.0], [np.nan, 750.0]])
    got = t_end_off_baseline(x, off, r, rr, np.array([0.01, 0.2]), fs, Params(t_open_k=3.0))
    # 0.3 mV off the baseline: more than 3 x 0.01 mV, less than 3 x 0.2 mV
    assert got.tolist() == [[True, False], [False, False]]
    assert not t_end_off_baseline(x, off, r, rr, np.array([0.01, 0.01]), fs,
                                  Params(t_open_k=0)).any()
    # no noise estimate: no decision
    assert not t_end_off_baseline(x, off, r, rr, np.array([np.nan, np.nan]), fs,
                                  Params(t_open_k=3.0)).any()


def _cut_signal(fs: float):
    """A 0.3 mV T peaking at R + 0.29 s and ending at R + 0.70 s (RR 1.5 s), and its slope."""
    n = int(8 * 1.5 * fs)
    r = (np.arange(1, 7) * 1.5 * fs).astype(np.int64)
    x = np.zeros((1, n))
    t = np.arange(n)
    for rk in r:
        a, b = rk + int(0.12 * fs), rk + int(0.70 * fs)
        u = (t[a:b + 1] - a) / (b - a)
        pk = 0.3   # peak at R + 0.29 s, a slow return to R + 0.70 s
        x[0, a:b + 1] += 0.3 * np.where(u < pk, np.sin(0.5 * np.pi * u / pk) ** 2,
                                        np.cos(0.5 * np.pi * (u - pk) / (1 - pk)) ** 2)
    x += np.random.default_rng(1).normal(0.0, 0.005, x.shape)
    return x, np.gradient(x, axis=-1)


def _cut_t(fs: float, bound_s: float, **kw):
    """:func:`_cut_signal` searched by t_waves with the first window to R + 0.45 s and the
    long-QT bound at ``bound_s`` (``t_qtc_max_s`` 0: the first window only); ``kw`` more
    Params fields."""
    r = (np.arange(1, 7) * 1.5 * fs).astype(np.int64)
    x, d = _cut_signal(fs)
    rr = np.full(r.size, 1.5 * fs)
    kw.setdefault("t_open_k", 3.0)   # the open-end rule is opt-in (see Params.t_open_k)
    p = Params(t_window_s=0.45, t_peak_max_s=0.35, t_qtc_max_s=bound_s, **kw)
    return t_waves(x, d, r, r + int(0.06 * fs), rr, fs, p), r


def test_t_end_at_the_stop_is_nan_when_it_cannot_search_on():
    fs = 500.0
    out, r = _cut_t(fs, 0.0)
    stop = out["stop"]
    # the first window ends at R + 0.45 s on the T's slow descent (still ~0.2 mV); the T
    # end read 6-66 ms before it, within t_open_near_s: open, no long-QT bound to search to
    gap = (stop[None, :] - out["off"]) / fs
    assert np.all((gap[0, :-1] >= 0) & (gap[0, :-1] <= 0.08)), gap
    assert out["open"][0, :-1].all()
    # with the rule off nothing is flagged
    off_rule, _ = _cut_t(fs, 0.0, t_open_k=0)
    assert not off_rule["open"].any()
    assert not out["hidden"].any()


def test_t_end_at_the_stop_searched_on_to_the_long_qt_bound():
    fs = 500.0
    out, r = _cut_t(fs, 0.70)
    off = (out["off"][0, :-1] - r[:-1]) / fs
    assert not out["open"][0, :-1].any()
    # where the longer search finds the same T peak (within t_peak_after_j_s) the end now
    # lies past the first stop (R + 0.45 s; read there at R + 0.38-0.44 s), nearer the true
    # R + 0.70 s (a 410 ms descent: the trapezium, its reference capped at t_ref_off_max_s,
    # still reads it 55-75 ms early); in the other beats (2 of 5 here: the flat peak moved
    # with the longer chord) the first window's end is kept -- a known limit of the rule
    moved = off > 0.55
    assert moved.sum() >= 3 and np.all(off[moved] <= 0.72), off
    before, _ = _cut_t(fs, 0.70, t_open_k=0)
    off0 = (before["off"][0, :-1] - r[:-1]) / fs
    assert np.all(off0 < 0.45), off0


def test_reason_reported_for_a_t_end_at_the_stop():
    fs = 250.0
    x, leads, ends = _long_qt(fs, 0.70, 1.5)
    p = Params(t_qtc_max_s=0.0, t_window_s=0.45, t_peak_max_s=0.35, t_open_k=3.0)
    df = delineate(x, fs, leads, params=p, return_reasons=True)
    lead = df[df["lead"] == "II"]
    hit = lead["reason"].str.contains("T end at the search stop")
    assert hit.mean() >= 0.5
    assert lead.loc[hit, "T_off"].isna().all()
