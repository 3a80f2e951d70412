"""Which leads set the global boundaries (issue 10, round of 2026-11-30 evening).

With one or two usable leads the global T end is the latest lead's T end (the definition,
``Params.cons_q_few = 0``). A terminal lobe (``waves.terminal_lobe``) is a second,
low-amplitude candidate for a lead's T end; it sets the global T end only when no other
lead sees the T better without one (``Params.t_cons_lobe_snr_ratio``).

Hand-built records with exact truth: every wave is a half sine that starts and ends on the
baseline, so each wave ends exactly where its half sine ends.
"""

from __future__ import annotations

import numpy as np

from interp_ecg.features.delineation import delineate
from interp_ecg.features.delineation import stages as S
from interp_ecg.features.delineation.params import Params

FS = 250.0
MS = FS / 1000.0


def half_sine(t, start, stop, amp):
    """A lobe of height ``amp`` (mV) from ``start`` to ``stop`` (samples), 0 elsewhere."""
    inside = (t >= start) & (t <= stop)
    return np.where(inside, amp * np.sin(np.pi * (t - start) / (stop - start)), 0.0)


def beats(seconds=10.0, hr=60.0):
    n = int(seconds * FS)
    return np.arange(n, dtype=float), np.round(np.arange(0.6, seconds - 0.6, 60.0 / hr) * FS
                                               ).astype(int)


def lead(t, r_idx, t_mv, late_mv, qrs_mv=1.0):
    """QRS (Gaussians), P, a T wave of ``t_mv`` from R+200 to R+340 ms and a second wave of
    ``late_mv`` from R+340 to R+420 ms right after it."""
    x = np.zeros(t.size)
    for r in r_idx:
        x += qrs_mv * (-0.1 * np.exp(-0.5 * ((t - r + 10 * MS) / (6 * MS)) ** 2)
                       + 1.0 * np.exp(-0.5 * ((t - r) / (9 * MS)) ** 2)
                       - 0.25 * np.exp(-0.5 * ((t - r - 12 * MS) / (7 * MS)) ** 2))
        x += half_sine(t, r + 200 * MS, r + 340 * MS, t_mv)
        if late_mv:
            x += half_sine(t, r + 340 * MS, r + 420 * MS, late_mv)
        x += 0.1 * np.exp(-0.5 * ((t - r + 170 * MS) / (18 * MS)) ** 2)
    return x


def record(weak_lobe: bool, noise=(0.01, 0.002), seed=0):
    """Two leads: an inverted T followed by a positive lobe, and an upright T without one.

    ``weak_lobe``: the lobe lead's T is small (0.08 mV) against its noise (10 uV) and the
    other lead's T is large (0.35 mV, 2 uV noise); else the reverse (the lobe lead's T is
    large and quiet, the plain lead's small and noisy).
    """
    t, r_idx = beats()
    if weak_lobe:
        a = lead(t, r_idx, -0.08, +0.04)
        b = lead(t, r_idx, +0.35, 0.0)
        na, nb = noise
    else:
        a = lead(t, r_idx, -0.35, +0.15)
        b = lead(t, r_idx, +0.08, 0.0)
        nb, na = noise
    rng = np.random.default_rng(seed)
    x = np.stack([a + na * rng.standard_normal(t.size), b + nb * rng.standard_normal(t.size)])
    return x.astype(np.float32), r_idx


def global_t_off_ms(df, r_idx):
    """Global T_off - R (ms) of the beats whose T_off was found (at least six)."""
    v = df.loc[df.lead == "global", "T_off"].to_numpy(float)
    ok = np.isfinite(v)
    assert ok.sum() >= 6
    return (v[ok] - r_idx[: v.size][ok]) / MS


def test_a_lobe_in_the_lead_with_the_weaker_t_does_not_set_the_global_t_end():
    # the lobe lead's T is small against its noise; the other lead's T is large, ends at
    # R + 340 ms and has no lobe: the global T end is R + 340 ms, not the lobe's R + 420
    x, r = record(weak_lobe=True)
    df = delineate(x, FS, ["II", "V5"])
    a_rows = df.loc[df.lead == "II", "T_off"].to_numpy(float)
    assert np.nanmedian(a_rows - r[: a_rows.size]) / MS >= 380   # the per-lead row keeps the lobe
    end = global_t_off_ms(df, r)
    assert np.all(np.abs(end - 340) <= 24), end
    # before this rule (t_cons_lobe_snr_ratio = 0) the lobe set it, 80 ms late or more
    # (the noisy lead's lobe end reads up to 32 ms past its true end, R + 420 ms)
    before = global_t_off_ms(delineate(x, FS, ["II", "V5"],
                                       params=Params(t_cons_lobe_snr_ratio=0.0)), r)
    assert np.all(before >= 400), before


def test_a_lobe_in_the_lead_with_the_stronger_t_still_sets_the_global_t_end():
    x, r = record(weak_lobe=False)
    end = global_t_off_ms(delineate(x, FS, ["II", "V5"]), r)
    assert np.all(np.abs(end - 420) <= 24), end


def test_two_leads_with_the_same_lobe_keep_it():
    # both leads biphasic (no plain lead to deny the lobe): the lobe's end, as before
    t, r = beats()
    a = lead(t, r, -0.25, 0.10)
    rng = np.random.default_rng(1)
    x = np.stack([a, a]) + 0.002 * rng.standard_normal((2, t.size))
    end = global_t_off_ms(delineate(x.astype(np.float32), FS, ["II", "V5"]), r)
    assert np.all(np.abs(end - 420) <= 24), end


def test_three_or_more_leads_are_unchanged():
    # the terminal-lobe rule acts with at most two usable leads, so has this one
    x, r = record(weak_lobe=True)
    x3 = np.concatenate([x, x[1:]])
    a = delineate(x3, FS, ["II", "V5", "V6"])
    b = delineate(x3, FS, ["II", "V5", "V6"], params=Params(t_cons_lobe_snr_ratio=0.0))
    assert np.array_equal(a["T_off"].to_numpy(), b["T_off"].to_numpy(), equal_nan=True)


def test_t_consensus_leaves_out_an_unconfirmed_lobe():
    # beat 0: lead 0's lobe (T 10 x noise) against lead 1's plain T at 40 x noise -> lead
    # 0's T end does not take part, the global is lead 1's 200;
    # beat 1: lead 0 has the stronger T -> its lobe end 300 stands;
    # beat 2: lead 1 has no visible T -> nothing to deny the lobe
    t = {"on": np.full((2, 3), 100.0), "peak": np.full((2, 3), 150.0),
         "off": np.array([[300.0, 300.0, 300.0], [200.0, 200.0, np.nan]]),
         "lobe": np.array([[True, True, True], [False, False, False]]),
         "snr": np.array([[10.0, 50.0, 10.0], [40.0, 40.0, np.nan]])}
    p = Params()
    assert S.t_consensus(t, np.ones(2, bool), FS, p)["off"].tolist() == [200.0, 300.0, 300.0]
    off = Params(t_cons_lobe_snr_ratio=0.0)
    assert S.t_consensus(t, np.ones(2, bool), FS, off)["off"].tolist() == [300.0, 300.0, 300.0]
    # a lead set aside cannot deny a lobe
    assert S.t_consensus(t, np.array([True, False]), FS, p)["off"].tolist() == [300.0] * 3
    # the onsets and peaks are those of the plain consensus
    g = S.t_consensus(t, np.ones(2, bool), FS, p)
    assert g["on"].tolist() == [100.0] * 3 and g["peak"].tolist() == [150.0] * 3
