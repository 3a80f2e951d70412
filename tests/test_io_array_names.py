"""In-memory records (ArrayLoader) are named by their record id in errors and reasons, not "array[1]"."""

from __future__ import annotations

import numpy as np
import pandas as pd

from interp_ecg.features import extract
from interp_ecg.io import ArrayLoader, EcgDataset


def test_reason_names_the_record_id():
    t = np.arange(5000) / 500
    ecg = np.tile(np.sin(2 * np.pi * t), (12, 1)).astype(np.float32)
    x = np.stack([ecg, ecg * 1000])  # the second in µV while labelled mV: refused, naming it
    meta = pd.DataFrame({"patient_id": ["7", "7"]}, index=pd.Index(["00123", "0123"], name="record_id"))
    ds = EcgDataset(meta, ArrayLoader(x, 500.0), fs=500.0)
    assert ds.load("0123").source == ""
    out = extract(ds, progress=False)
    reason = out.loc["0123", "quality_reason"]
    assert reason.startswith("0123: ") and "array[" not in reason
