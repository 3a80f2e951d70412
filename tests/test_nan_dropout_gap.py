"""An all-lead run of NaN samples is an all-lead dropout gap, as the same run of zeros is.

User 10, finding 12 (R2): a 10-s array with every lead NaN over 4.0-4.8 s was refused
("no usable lead: invalid (NaN/inf) samples in every lead"), while the same gap written as
zeros was measured with the gap named and the RR interval across it left out. Issue 10's one
policy for invalid samples now treats both alike; a NaN run in some leads only is unchanged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import SignalQualityError
from interp_ecg.features import extract, extract_record
from interp_ecg.features.quality import invalid_dropout_gaps, invalid_sample_policy
from interp_ecg.io import ArrayLoader, EcgDataset
from interp_ecg.simulate.record import simulate_record

FS = 500
GAP = slice(2000, 2400)  # 4.0-4.8 s of 10 s
SAME = ("heart_rate_bpm", "RR_mean_ms", "RR_min_ms", "RR_max_ms", "SDNN_ms", "n_beats",
        "PVC_count", "PVC_per_min", "QRS_duration_ms", "QT_interval_ms", "PR_interval_ms")


def _pvc(fill: float) -> np.ndarray:
    sig, _, _ = simulate_record("pvc", fs=FS, noise=0.3, random_state=1)
    s = np.array(sig, dtype=np.float64)
    s[:, GAP] = fill
    return s


@pytest.fixture(scope="module")
def rows() -> tuple[pd.Series, pd.Series]:
    return extract_record(_pvc(0.0), fs=FS), extract_record(_pvc(np.nan), fs=FS)


def test_all_lead_nan_gap_is_measured_like_the_zero_gap(rows):
    zeros, nans = rows
    assert bool(nans["quality_ok"]) and bool(zeros["quality_ok"])
    for col in SAME:
        assert nans[col] == zeros[col] or (pd.isna(nans[col]) and pd.isna(zeros[col])), col
    # the values themselves (zeros version, b21ab80 and this branch): 1 of 11 RR intervals
    # spans the gap and is left out; 3 PVCs over the 9.2 s recorded
    assert nans["heart_rate_bpm"] == pytest.approx(74.96, abs=0.01)
    assert nans["RR_mean_ms"] == pytest.approx(800.5, abs=0.1)
    assert nans["PVC_count"] == 3
    assert nans["PVC_per_min"] == pytest.approx(3 / 9.2 * 60, abs=0.01)
    reason = nans["quality_reason"]
    assert "all-lead dropout gap (every lead invalid (NaN) at once" in reason
    assert "4.00-4.80 s" in reason
    assert "1 of 11 RR interval(s) span an all-lead dropout gap" in reason
    assert "set aside for invalid samples" not in reason and "bridged in leads" not in reason


def test_policy_bridges_an_all_lead_run_and_keeps_the_per_lead_rule():
    x = _pvc(np.nan)
    assert invalid_dropout_gaps(x, FS).tolist() == [[2000, 2400]]
    rep, bridged, status = invalid_sample_policy(x, FS)
    assert status == ["ok"] * 12
    assert bridged[:, GAP].all() and bridged.sum() == 12 * 400
    assert np.isfinite(rep).all() and (rep[:, GAP] == 0.0).all()
    # a lead with a NaN run of its own besides the gap: the per-lead rule, gap not counted
    x[1, 100:104] = np.nan       # 8 ms: bridged
    x[7, 3000:3400] = np.nan     # 0.8 s in V2 only: set aside
    rep, bridged, status = invalid_sample_policy(x, FS)
    assert status[1] == "bridged 4 invalid samples"
    assert status[7] == "set aside: 400 invalid samples, longest gap 800 ms"
    assert np.isnan(rep[7, 3000:3400]).all()
    # the same 0.8 s in one lead only is no dropout gap: that lead is set aside, as before
    y = np.array(simulate_record("pvc", fs=FS, noise=0.3, random_state=1)[0], dtype=np.float64)
    y[4, GAP] = np.nan
    assert invalid_dropout_gaps(y, FS).tolist() == []
    assert invalid_sample_policy(y, FS)[2][4].startswith("set aside")


def test_an_all_lead_nan_run_of_a_tenth_of_the_record_is_refused_as_zeros_are():
    x = _pvc(0.0)
    x[:, 2000:2500] = 0.0        # 1 s of 10 s flat in every lead: refused
    with pytest.raises(SignalQualityError):
        extract_record(x, fs=FS)
    x[:, 2000:2500] = np.nan
    assert invalid_dropout_gaps(x, FS).tolist() == []
    with pytest.raises(SignalQualityError, match="no usable lead"):
        extract_record(x, fs=FS)


def test_batch_extract_treats_the_nan_gap_the_same(rows):
    sig = np.stack([_pvc(np.nan), _pvc(0.0)]).astype("float32")
    meta = pd.DataFrame({"patient_id": ["p1", "p2"]},
                        index=pd.Index(["nan_gap", "zero_gap"], name="record_id"))
    out = extract(EcgDataset(meta, ArrayLoader(sig, fs=FS), fs=FS), n_jobs=1)
    assert out["quality_ok"].astype(bool).all()
    for col in ("heart_rate_bpm", "RR_mean_ms", "PVC_per_min", "n_beats"):
        assert out.loc["nan_gap", col] == pytest.approx(out.loc["zero_gap", col]), col
    assert "every lead invalid (NaN) at once" in out.loc["nan_gap", "quality_reason"]
    assert "4.00-4.80 s" in out.loc["nan_gap", "quality_reason"]


def test_an_all_lead_nan_run_at_the_end_shortens_the_recording():
    x = np.array(simulate_record("pvc", fs=FS, noise=0.3, random_state=1)[0], dtype=np.float64)
    x[:, 4800:] = np.nan          # 9.6-10 s: nothing recorded there
    r = extract_record(x, fs=FS)
    assert bool(r["quality_ok"])
    assert r["PVC_count"] == 3
    assert r["PVC_per_min"] == pytest.approx(3 / 9.6 * 60, abs=0.01)   # over the 9.6 s recorded
    assert "every lead invalid (NaN) at once at the record's start or end" in r["quality_reason"]
    assert "9.60-10.00 s" in r["quality_reason"]
    assert "all-lead dropout gap" not in r["quality_reason"]           # not a gap inside the record
