"""Beats inside a lead's flat segment give that lead no measurement (user 7, finding A1).

Before, PTB-XL 10 with V1-V6 flat over the last 34 % of the record read R, S and T
amplitudes of exactly 0.0 mV in V1-V6 and a QRS of 64 ms (93 ms recorded): the four flat
beats looked unlike the recorded ones to the beat classification and became the dominant
class, so the median beat and the global intervals came from them."""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg import features, io
from interp_ecg.features.quality import lead_quality, mask_flat_segments

COLS = ("QRS_duration_ms", "PR_interval_ms", "R_amp_mV_V5", "S_amp_mV_V1", "Sokolow_Lyon_mV", "R_amp_mV_II")


def _read(ptbxl_root, name):
    rec = io.read_wfdb_record(str(ptbxl_root / "records500" / "00000" / name))
    return rec.signal.astype(float), list(rec.leads)


@pytest.mark.parametrize("name", ["00009_hr", "00010_hr"])
def test_chest_leads_flat_over_a_third_measured_on_the_recorded_beats(ptbxl_root, name):
    s0, leads = _read(ptbxl_root, name)
    s = s0.copy()
    s[6:, 3300:] = 0.0  # V1-V6 off over the last 34 % (below the 50 % lead rule)
    r = features.extract_record(io.Record("x", s, 500, leads))
    crop = features.extract_record(io.Record("x", s0[:, :3300].copy(), 500, leads))
    assert r["quality_ok"] and "V1,V2,V3,V4,V5,V6 6.6-10.0 s" in r["quality_reason"]
    assert "left out of the medians" in r["quality_reason"]
    # the values of the recorded part alone (the first 6.6 s); before 0.0 mV and 64/82 ms
    for col in COLS:
        assert r[col] == pytest.approx(crop[col], abs=0.02 if col.endswith("mV") or "_mV_" in col else 2.0), col
    assert abs(r["R_amp_mV_V5"]) > 0.9 and abs(r["S_amp_mV_V1"]) > 0.8


def test_one_lead_flat_over_the_end_does_not_pull_its_median_beat(ptbxl_root):
    s0, leads = _read(ptbxl_root, "00009_hr")
    full = features.extract_record(io.Record("x", s0, 500, leads))
    s = s0.copy()
    s[leads.index("II"), int(5000 * 0.55):] = 0.0  # II flat over the last 45 %: before 0.486 mV
    r = features.extract_record(io.Record("x", s, 500, leads))
    assert full["R_amp_mV_II"] == pytest.approx(0.577, abs=0.002)
    assert r["R_amp_mV_II"] == pytest.approx(full["R_amp_mV_II"], rel=0.03)


def test_mask_flat_segments_only_the_flat_samples():
    t = np.arange(5000) / 500
    x = np.stack([np.sin(2 * np.pi * 1.2 * t), np.cos(2 * np.pi * 1.2 * t)])
    x[1, 1000:2000] = 0.3
    q = lead_quality(x, 500, ["I", "V1"])
    y = mask_flat_segments(x, q)
    assert np.isnan(y[1, 1000:2000]).all() and np.isfinite(y[1, :1000]).all() and np.isfinite(y[1, 2000:]).all()
    assert np.isfinite(y[0]).all() and np.isfinite(x).all()   # the input is left as it was
    clean = np.stack([np.sin(2 * np.pi * 1.2 * t)] * 2)
    assert mask_flat_segments(clean, lead_quality(clean, 500, ["I", "V1"])) is clean


@pytest.mark.parametrize("start", [2400, 1500])
def test_every_lead_flat_from_part_way_is_the_record_cropped(ptbxl_root, start):
    # user 7 B1: flat in every lead from 4.8 s or 3.0 s to the end was refused as "no usable
    # lead: flat [all 12 leads]" although the same recorded part cropped is measured
    s0, leads = _read(ptbxl_root, "00009_hr")
    s = s0.copy()
    s[:, start:] = 0.0
    r = features.extract_record(io.Record("x", s, 500, leads))
    crop = features.extract_record(io.Record("x", s0[:, :start].copy(), 500, leads))
    assert r["quality_ok"] and r["quality_flat_leads"] == ""
    assert f"every lead {start / 500:.1f}-10.0 s (at the record's start or end: measured on the rest)" in r["quality_reason"]
    for col in ("heart_rate_bpm", *COLS):
        assert r[col] == pytest.approx(crop[col], rel=1e-6), col
