"""An all-lead gap shorter than a flat segment (1 s), i.e. a data dropout, is named and the
RR intervals that span it stay out of the rate and HRV (user 7, finding A2). Before, a
0.8-s hole in PTB-XL 9 read 54.1 bpm and SDNN 355 ms (60.9 bpm, 35 ms recorded) with no
word about the hole."""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg import features, io
from interp_ecg.features.quality import DROPOUT_MIN_S, dropout_gaps, lead_quality
from interp_ecg.features.rhythm import rr_features


@pytest.fixture(scope="module")
def ptb9(ptbxl_root):
    return io.read_wfdb_record(str(ptbxl_root / "records500" / "00000" / "00009_hr"))


@pytest.fixture(scope="module")
def ptb9_full(ptb9):
    return features.extract_record(io.Record("x", ptb9.signal.astype(float), ptb9.fs, list(ptb9.leads)))


@pytest.mark.parametrize("hold", [False, True])
def test_a_0_8_s_dropout_is_named_and_left_out_of_rate_and_hrv(ptb9, ptb9_full, hold):
    s = ptb9.signal.astype(float).copy()
    s[:, 2000:2400] = s[:, 1999:2000] if hold else 0.0  # last value held, or zeros
    r = features.extract_record(io.Record("x", s, ptb9.fs, list(ptb9.leads)))
    assert r["quality_ok"]
    assert "all-lead dropout gap" in r["quality_reason"] and "4.00-4.80 s" in r["quality_reason"]
    assert "1 of 8 RR interval(s) span an all-lead dropout gap" in r["quality_reason"]
    # the recorded rate (60.9 bpm, SDNN 34.9 ms); before 54.1 bpm and SDNN 355 ms
    assert ptb9_full["heart_rate_bpm"] == pytest.approx(60.9, abs=0.1)
    assert r["heart_rate_bpm"] == pytest.approx(ptb9_full["heart_rate_bpm"], abs=0.5)
    assert r["RR_max_ms"] < 1.1 * ptb9_full["RR_max_ms"]
    assert r["SDNN_ms"] < 1.5 * ptb9_full["SDNN_ms"]
    assert r["RMSSD_ms"] < 1.5 * ptb9_full["RMSSD_ms"]


def test_rr_features_leave_out_intervals_spanning_a_gap():
    # one beat (at 1500) lost in a gap 1200-1600: the 1000-ms span 1000-2000 is not an RR
    anchors = np.array([0, 500, 1000, 2000, 2500, 3000, 3500, 4000, 4500.])
    f, why = rr_features(anchors, 500, np.ones(anchors.size, bool), return_reasons=True,
                         gaps=np.array([[1200, 1600]]))
    assert f["RR_mean_ms"] == 1000.0 and f["RR_max_ms"] == 1000.0 and f["heart_rate_bpm"] == 60.0
    assert f["SDNN_ms"] == 0.0 and f["RMSSD_ms"] == 0.0
    assert any("1 of 8 RR interval(s) span" in w for w in why)
    # without the gap the joined interval is taken for an RR of 2000 ms
    assert rr_features(anchors, 500, np.ones(anchors.size, bool))["RR_max_ms"] == 2000.0
    # every interval spans a gap: NaN, with the reason
    f, why = rr_features(anchors[:2], 500, np.ones(2, bool), return_reasons=True, gaps=np.array([[100, 300]]))
    assert np.isnan(f["heart_rate_bpm"]) and np.isnan(f["RR_mean_ms"])
    assert any("no RR interval outside the dropout gaps" in w for w in why)


def test_dropout_gaps_physical_definition():
    t = np.arange(5000) / 500
    x = np.stack([np.sin(2 * np.pi * 1.1 * t), np.sin(2 * np.pi * 1.3 * t + 1)])
    x[:, 1000:1000 + int(0.15 * 500)] = 0.0          # 0.15 s: shorter than a gap
    x[:, 3000:3000 + int(0.25 * 500)] = 0.3          # 0.25 s held: a gap
    x[0, 4000:4500] = 0.0                            # one lead only: not a gap
    x[:, :400] = 0.0                                 # the start: shortens, not a gap
    assert dropout_gaps(x, 500).tolist() == [[3000, 3125]]
    x2 = x.copy()
    x2[:, 3000:3125] += 0.004 * (np.arange(125) % 2)  # within one 5-uV step: still a gap
    assert dropout_gaps(x2, 500).tolist() == [[3000, 3125]]
    x2[:, 3000:3125] += 0.01 * (np.arange(125) % 2)   # 14 uV: a signal, not a gap
    assert dropout_gaps(x2, 500).tolist() == []
    # a dead lead (flat throughout) does not hide a gap of the others
    x3 = np.vstack([x, np.zeros((1, 5000))])
    assert dropout_gaps(x3, 500, dead=np.array([False, False, True])).tolist() == [[3000, 3125]]
    assert lead_quality(x3, 500, ["I", "II", "V1"]).attrs["dropout_gaps"] == [(3000, 3125)]


def test_no_false_dropout_gap_in_real_recordings(ludb_root, ptbxl_root):
    # unbroken recordings: no all-lead gap (benchmarks/dropout_gaps_scan.py runs all of them;
    # the longest all-lead still run there is well under DROPOUT_MIN_S)
    ludb = io.read_ludb(ludb_root)
    recs = [ludb.load(i) for i in (41, 100, 123)]   # LUDB's longest still runs (0.10-0.12 s)
    ptb = io.read_ptbxl(ptbxl_root, sampling_rate=100)
    recs += [ptb.load(i) for i in ptb.ids[:20]]
    for rec in recs:
        q = lead_quality(rec.signal.astype(float), rec.fs, rec.leads)
        assert q.attrs["dropout_gaps"] == [], rec.id
        assert len(dropout_gaps(rec.signal.astype(float), rec.fs, min_s=DROPOUT_MIN_S)) == 0
