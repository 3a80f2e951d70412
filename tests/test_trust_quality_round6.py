"""Feature-side defects a new user's trial found (h-user, 2026-11-30, finding 8): an all-NaN
lead called flat, a whole-record polarity inversion taken for an LA/RA reversal, the Cabrera
``-aVR`` lead, a record ten times too large, and the ``explain --record`` sentences."""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg import features, io


@pytest.fixture(scope="module")
def ptbxl500(ptbxl_root):
    return io.read_ptbxl(ptbxl_root, sampling_rate=500)


# -- an all-NaN lead: set aside for invalid samples, not "flat" ---------------------------------

def test_all_nan_lead_is_invalid_not_flat(ptbxl500):
    rec = ptbxl500.load(1)
    sig = rec.signal.copy()
    v3 = list(rec.leads).index("V3")
    sig[v3] = np.nan
    row = features.extract_record(sig, fs=rec.fs, leads=rec.leads)
    assert row["quality_flat_leads"] == ""
    assert "flat leads" not in row["quality_reason"]
    assert "leads set aside for invalid samples: V3" in row["quality_reason"]
    assert np.isnan(row["R_amp_mV_V3"])


def test_lead_quality_one_reason_per_lead():
    t = np.arange(5000) / 500
    sig = np.stack([np.sin(2 * np.pi * 1.2 * t), np.zeros_like(t), np.zeros_like(t)])
    q = features.quality.lead_quality(sig, 500, ["I", "II", "V1"], invalid=np.array([False, False, True]))
    assert q.loc["II", "flat"] and not q.loc["II", "invalid"]
    assert q.loc["V1", "invalid"] and not q.loc["V1", ["flat", "clipped", "noisy", "wander"]].any()
    assert q["usable"].tolist() == [True, False, False]
