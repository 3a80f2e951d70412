"""A lead (or every lead) that goes flat part-way through a record (lead off in a bedside
export) is named, set aside or refused (user 6, finding 10); before, such a record was
``quality_ok`` with no flag and half its beats missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg import features, io
from interp_ecg.errors import DelineationError, SignalQualityError
from interp_ecg.io.dataset import ArrayLoader
from interp_ecg.features.quality import (
    FLAT_SEGMENT_PTP_MV, flat_segment_check, flat_segments, lead_quality,
)


@pytest.fixture(scope="module")
def ludb(ludb_root):
    return io.read_ludb(ludb_root)


@pytest.fixture(scope="module")
def rec1(ludb):
    return ludb.load(1)


def _with(rec, rows, start, stop, value=0.0):
    sig = rec.signal.copy()
    sig[rows, start:stop] = value
    return io.Record("x", sig, rec.fs, list(rec.leads))


def test_every_lead_flat_for_5_s_inside_the_record_is_refused(rec1):
    flat = _with(rec1, slice(None), 1250, 3750)
    with pytest.raises(SignalQualityError, match=r"flat in every lead at once over 5\.0 of 10\.0 s \(2\.5-7\.5 s"):
        features.extract_record(flat)
    # in a batch: a failure row (before: quality_ok True, reason only about RR irregularity)
    meta = pd.DataFrame(index=pd.Index(["x", "y"], name="record_id"))
    ds = io.EcgDataset(meta, ArrayLoader(np.stack([flat.signal, rec1.signal]), 500.0, list(rec1.leads)), fs=500.0)
    f = features.extract(ds)
    assert f["quality_ok"].tolist() == [False, True]
    assert "flat in every lead at once" in f.loc["x", "quality_reason"]


def test_every_lead_flat_at_the_end_shortens_the_record(rec1):
    # a flat end only shortens the recording: rate and RR come from the recorded part (the
    # issue's record that starts flat at -1.5 mV is the same case at the start), and the
    # reason says so (before: quality_ok True, reason only about RR irregularity)
    row = features.extract_record(_with(rec1, slice(None), 3500, None))  # 3 of 10 s
    assert row["quality_ok"]
    assert ("every lead 7.0-10.0 s (at the record's start or end: measured on the rest)"
            in row["quality_reason"])
    first = features.extract_record(io.Record("y", rec1.signal[:, :3500].copy(), rec1.fs, list(rec1.leads)))
    assert row["heart_rate_bpm"] == pytest.approx(first["heart_rate_bpm"], abs=1.0)
    # flat over half the record or more: still only shorter (the per-lead rules are judged
    # on the recorded part, user 7 B1; before: "no usable lead: flat ['I', 'II', ...]"),
    # and the same values as the first 5 s cropped
    row = features.extract_record(_with(rec1, slice(None), 2500, None))
    first = features.extract_record(io.Record("y", rec1.signal[:, :2500].copy(), rec1.fs, list(rec1.leads)))
    assert row["quality_ok"] and row["quality_flat_leads"] == ""
    for col in ("heart_rate_bpm", "QRS_duration_ms", "R_amp_mV_II"):
        assert row[col] == pytest.approx(first[col], rel=1e-6), col
    # too short a recorded part is refused as the cropped part is; nothing recorded: no lead
    with pytest.raises(DelineationError, match="too few beats"):
        features.extract_record(_with(rec1, slice(None), 1000, None))
    with pytest.raises(SignalQualityError, match=r"no usable lead: flat \['I', 'II'"):
        features.extract_record(_with(rec1, slice(None), 0, None))


def test_precordial_leads_flat_after_5_s_are_set_aside(rec1):
    row = features.extract_record(_with(rec1, slice(6, None), 2500, None))
    assert row["quality_ok"]
    # before: quality_flat_leads "" and R_amp_mV_V5 a median over half flat beats
    assert row["quality_flat_leads"] == "V1,V2,V3,V4,V5,V6"
    assert np.isnan(row["R_amp_mV_V5"]) and np.isnan(row["Sokolow_Lyon_mV"])
    assert np.isfinite(row["R_amp_mV_II"]) and np.isfinite(row["QRS_duration_ms"])


def test_short_flat_segment_is_named_and_the_lead_kept(rec1):
    row = features.extract_record(_with(rec1, [6, 7], 3500, 4200))
    assert row["quality_ok"] and row["quality_flat_leads"] == ""
    assert ("flat segments (>= 1 s under 0.005 mV peak-to-peak: lead off?): V1,V2 7.0-8.4 s"
            in row["quality_reason"])
    assert np.isfinite(row["R_amp_mV_V1"])


def test_every_lead_flat_over_a_tenth_is_refused_under_it_named():
    t = np.arange(60 * 500) / 500  # 60 s
    x = np.stack([np.sin(2 * np.pi * 1.2 * t)] * 3)
    x[:, 1000:1600] = 0.0  # 1.2 s of 60 s: 2 %
    why, note = flat_segment_check(lead_quality(x, 500, ["I", "II", "V1"]))
    assert why == ""
    # the RR intervals spanning it are left out (rr_features(gaps=), user 7 A2)
    assert note.endswith("every lead 2.0-3.2 s (the RR intervals that span it are left out of the rate and HRV; "
                         "PVC_per_min is per recorded minute)")
    x[:, 1000:7000] = 0.0  # 12 s of 60 s: 20 %
    why, note = flat_segment_check(lead_quality(x, 500, ["I", "II", "V1"]))
    assert why.startswith("flat in every lead at once over 12.0 of 60.0 s (2.0-14.0 s;") and note == ""


def test_flat_segments_bounds():
    fs = 500
    x = np.tile(np.sin(2 * np.pi * 1.2 * np.arange(5000) / fs), (4, 1))
    x[0, 1000:1499] = 0.3                                      # 0.998 s: too short
    x[1, 1000:1500] = 0.3                                      # 1.0 s
    x[2, 1000:2000] = 0.3 + 0.004 * (np.arange(1000) % 2)      # 4 uV rounding jitter
    x[3, 1000:2000] = 0.3 + FLAT_SEGMENT_PTP_MV * (np.arange(1000) % 2)  # at the floor: not flat
    m = flat_segments(x, fs)
    assert m.sum(axis=1).tolist() == [0, 500, 1000, 0]
    assert np.flatnonzero(m[1]).tolist() == list(range(1000, 1500))


def test_no_flat_segment_in_the_stillest_ludb_leads(ludb):
    # LUDB 51 (atrial fibrillation with a pause): V5 and V6 stay within 7.5 and 9.0 uV for a second,
    # the stillest connected leads of the shared data; they are not flat
    rec = ludb.load(51)
    q = lead_quality(rec.signal, rec.fs, rec.leads)
    assert not q["flat_segment"].any() and not q["flat"].any()
    assert flat_segment_check(q) == ("", "")
    assert pd.Series(q["flat_segment_s"]).eq(0).all()
