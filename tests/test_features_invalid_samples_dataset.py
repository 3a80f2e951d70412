"""The invalid-sample policy (issue 10) applies in batch ``extract(dataset)`` too.

The io layer loads NaN samples as they are (``Record.validate`` no longer refuses them), so
a dataset goes through the same rule as ``delineate`` and ``extract_record``: short runs
bridged and flagged, leads with long runs set aside (their measurements NaN), and a record
left without a usable lead becomes a quality-flag row, not a crash.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from interp_ecg.features import extract, extract_record
from interp_ecg.features.quality import MAX_BRIDGED_GAP_MS
from interp_ecg.io import ArrayLoader, EcgDataset
from interp_ecg.simulate import simulate_record

FS = 500


def test_extract_dataset_applies_the_invalid_sample_policy():
    clean = simulate_record("normal", random_state=1).signal.astype("float32")
    sig = np.stack([clean, clean, clean]).copy()
    short = int(MAX_BRIDGED_GAP_MS / 1000 * FS) // 2          # well within a bridgeable run
    ii, v3 = 1, 8
    sig[0, ii, 1000:1000 + short] = np.nan                     # a few samples in II: bridged
    sig[0, v3, 2000:2000 + FS] = np.nan                        # 1 s gap in V3: set aside
    sig[2, :, 1500:1500 + FS] = np.nan                         # every lead: record unusable
    meta = pd.DataFrame({"patient_id": ["p1", "p2", "p3"]},
                        index=pd.Index(["nan_gaps", "clean", "unusable"], name="record_id"))
    ds = EcgDataset(meta, ArrayLoader(sig, fs=FS), fs=FS)

    out = extract(ds, n_jobs=1)
    assert list(out.index) == ["nan_gaps", "clean", "unusable"]
    ok = out["quality_ok"].astype(bool)
    assert ok["nan_gaps"] and ok["clean"] and not ok["unusable"]
    reason = out.loc["nan_gaps", "quality_reason"]
    assert "bridged in leads: II" in reason
    assert "set aside for invalid samples: V3" in reason
    assert "no usable lead" in out.loc["unusable", "quality_reason"]
    assert out.loc["unusable", "quality_error"] == "SignalQualityError"
    # the set-aside lead is not measured; the bridged one is, like the clean record
    v3_cols = [c for c in out.columns if c.endswith("_V3") and out[c].dtype.kind == "f"
               and np.isfinite(out.loc["clean", c])]
    assert v3_cols and out.loc["nan_gaps", v3_cols].isna().all()
    assert abs(out.loc["nan_gaps", "QRS_duration_ms"] - out.loc["clean", "QRS_duration_ms"]) <= 10
    # one policy: the batch row equals the single-record call on the same signal
    single = extract_record(sig[0], FS)
    for col in ("QRS_duration_ms", "PR_interval_ms", "quality_reason"):
        assert out.loc["nan_gaps", col] == single[col] or (
            pd.isna(out.loc["nan_gaps", col]) and pd.isna(single[col]))
