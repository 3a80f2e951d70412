"""A beat cut by the record start before its QRS onset gives no RR interval (user17 finding 12).

Simulated sinus rhythm at 120 bpm, 2.5 s, seed 0: the beat before the first whole one has
its R peak ~6 ms before the record starts; the delineator placed its anchor 24 ms in, so the
first RR read 480 ms (~514 true) and the rate 118.7 bpm (truth 116.9).
"""

from __future__ import annotations

import numpy as np
import pytest

import interp_ecg.simulate.conditions as conditions
from interp_ecg.features import extract_record
from interp_ecg.simulate import simulate_record


def test_first_rr_does_not_use_a_beat_cut_before_its_qrs_onset(monkeypatch):
    monkeypatch.setitem(conditions.HR_RANGE, "normal", (120, 120))
    sig, fid, info = simulate_record("normal", duration=2.5, random_state=0, noise=0)
    r = extract_record(sig.astype("float32"), 500)
    assert r["heart_rate_bpm"] == pytest.approx(info["heart_rate"], abs=0.2)  # 116.9; was 118.7
    assert r["RR_min_ms"] > 505
    assert r["n_beats"] == 5  # still counted as a beat
    assert "1 beat(s) cut by the record edge through their QRS" in r["quality_reason"]


def test_whole_edge_beats_keep_their_intervals(monkeypatch):
    # seed 1: the edge beats' QRS onsets/offsets are inside the record: no interval left out
    monkeypatch.setitem(conditions.HR_RANGE, "normal", (120, 120))
    sig, fid, info = simulate_record("normal", duration=2.5, random_state=1, noise=0)
    r = extract_record(sig.astype("float32"), 500)
    assert r["heart_rate_bpm"] == pytest.approx(info["heart_rate"], abs=0.2)
    assert "through their QRS" not in r["quality_reason"]
    assert np.isfinite(r["RR_mean_ms"])


def test_ludb_90_last_beat_on_the_last_sample_gives_no_interval(ludb_root):
    # LUDB 90 (paced, ~60 bpm): the last beat's anchor is the record's last sample, its QRS
    # offset not found; the interval to it read 495 ms (RR_min_ms) in a 1000 ms rhythm
    from interp_ecg.io import read_ludb

    ds = read_ludb(ludb_root)
    s = extract_record(ds.load(90))
    assert s["RR_min_ms"] == pytest.approx(990, abs=10)
    assert s["heart_rate_bpm"] == pytest.approx(60.0, abs=0.5)  # was 63.2
    assert "1 beat(s) cut by the record edge through their QRS" in s["quality_reason"]
    # LUDB 111: the last beat's R peak 80 ms before the end, offset not found: kept
    s2 = extract_record(ds.load(111))
    assert "through their QRS" not in s2["quality_reason"]
