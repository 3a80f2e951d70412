"""QRS offset of simulated bundle branch block against the simulator's exact truth (issue 10).

Round of 2026-12-01 (``benchmarks/qrs_bbb_duration.py``). These tests pin the present
behaviour only where it is right:

* twelve leads, 500 Hz: the global QRS offset of simulated RBBB and LBBB is the latest
  lead's true end within a few ms (measured: RBBB -0.3 +- 1.1 ms, LBBB +2.4 +- 0.9 ms over
  four seeds), so the QRS duration reads >= 120 ms, as the diagnosis requires;
* two leads (II + V5), 250 Hz: each lead's offset of simulated LBBB and of normal
  conduction lies at the lead's true end (+4.0 +- 0.9 and +4.3 +- 1.6 ms: the 0.5-40 Hz
  band rounds the J corner).

With II + V5 at 250 Hz the R downstroke of simulated RBBB stops at a notch before a shallow
terminal (slurred) S, and the slope rule ended each lead's QRS at the notch, about 35-40 ms
before the true end (a strict xfail until then). ``qrs_notch.notched_offset`` (one or two
usable leads) joins the terminal S whose notch stays raised on the complex's side of the
level the complex began at; the median absolute per-lead error is now within 12 ms
(docs/results_features.md, round of 2026-12-01, helper notchoff).
"""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.features.delineation import delineate
from interp_ecg.features.delineation.params import Params
from interp_ecg.simulate import simulate_record


def _errors(condition: str, fs: float, leads: list[str] | None, seed: int, params=None):
    """Global and per-lead QRS_off errors (ms) against the simulator's truth, clean record.

    The global truth is the latest true offset over the leads used. Each true beat is
    matched to our global row whose R peak lies within 100 ms of the true QRS midpoint.
    The last true beat is left out: its cycle is cut by the record's end, and the
    delineator rightly reports no boundary there (edge guard).
    """
    s = simulate_record(condition, fs=fs, noise=0, random_state=seed)
    names = list(s.info["leads"])
    use = names if leads is None else leads
    x = np.asarray(s.signal, np.float32)[[names.index(ld) for ld in use]]
    df = delineate(x, fs, use, params=params)
    g = df[df["lead"] == "global"].reset_index(drop=True)
    rp = g["R_peak"].to_numpy(float)
    f = s.fiducials
    glob, per, dur = [], [], []
    last = f.loc[f["QRS_off"].notna(), "beat"].max()
    for beat, tb in f[f["lead"].astype(str).isin(use)].groupby("beat"):
        if beat == last or tb["QRS_on"].isna().any() or tb["QRS_off"].isna().any():
            continue
        on, off = tb["QRS_on"].min(), tb["QRS_off"].max()
        mid = 0.5 * (on + off)
        j = int(np.nanargmin(np.abs(rp - mid)))
        if abs(rp[j] - mid) > 0.1 * fs:
            continue
        glob.append((g.loc[j, "QRS_off"] - off) * 1000.0 / fs)
        dur.append((g.loc[j, "QRS_off"] - g.loc[j, "QRS_on"]) * 1000.0 / fs)
        b = g.loc[j, "beat"]
        for ld in use:
            o = df[(df["lead"] == ld) & (df["beat"] == b)]["QRS_off"].to_numpy(float)
            t = tb[tb["lead"].astype(str) == ld]["QRS_off"].to_numpy(float)
            if o.size and t.size:
                per.append((o[0] - t[0]) * 1000.0 / fs)
    return np.array(glob), np.array(per), np.array(dur)


@pytest.mark.parametrize("condition", ["rbbb", "lbbb"])
@pytest.mark.parametrize("seed", [5000, 5001])
def test_twelve_lead_bbb_global_offset_is_the_latest_true_end(condition, seed):
    glob, _, dur = _errors(condition, 500.0, None, seed)
    assert glob.size >= 8
    assert np.all(np.isfinite(glob))
    assert np.all(np.abs(glob) <= 8.0), glob          # within 4 samples of the true end
    assert np.median(dur) >= 120.0                     # complete BBB reads as complete


@pytest.mark.parametrize("condition", ["lbbb", "normal"])
@pytest.mark.parametrize("seed", [5000, 5001])
def test_two_lead_offsets_at_the_true_end(condition, seed):
    _, per, _ = _errors(condition, 250.0, ["II", "V5"], seed)
    assert per.size >= 16
    assert np.all(per >= -4.0) and np.all(per <= 12.0), per   # one sample early to 12 ms late
    assert abs(np.median(per) - 4.0) <= 4.0


def test_two_lead_rbbb_offset_reaches_the_end_of_the_slurred_s():
    errs = np.concatenate([_errors("rbbb", 250.0, ["II", "V5"], s)[1] for s in (5000, 5001)])
    assert np.median(np.abs(errs)) <= 12.0


@pytest.mark.parametrize("fs", [250.0, 500.0])
def test_two_lead_rbbb_global_qrs_reads_the_complete_block(fs):
    # with Params.qrs_noff_global (on by default since the lead's decision of 2026-12-01) the
    # global offset (what a user reads as the QRS duration) is the latest over II and
    # V5, lead II's moved to the end of its terminal S: within 12 ms of the true end and
    # the duration >= 120 ms (before, with the slope rule's offsets: -44 to -50 ms and a
    # median QRS of 86 / 90 ms against 128-136 for seeds 0 / 1, both rates)
    for seed in (0, 1):
        glob, _, dur = _errors("rbbb", fs, ["II", "V5"], seed, Params())
        assert glob.size >= 8
        assert np.all(np.abs(glob) <= 12.0), (seed, glob)
        assert np.median(dur) >= 120.0, (seed, dur)

