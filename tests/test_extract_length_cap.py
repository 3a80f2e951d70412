"""Records longer than extract can hold in memory are refused naming their size, not OOM-killed.

extract_record needs ~4-6 MiB per lead-minute (benchmarks/extract_memory.py); the reader admits
records (2**27 samples) that would need ~35 GiB.
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import SignalQualityError
from interp_ecg.features import extract, extract_record
from interp_ecg.io import ArrayLoader, EcgDataset, Record


def test_over_the_limit_is_refused_before_measuring(monkeypatch):
    ex = importlib.import_module("interp_ecg.features.extract")  # the module, not the function

    monkeypatch.setattr(ex, "MAX_LEAD_MINUTES", 1.0)
    x = np.zeros((2, 100 * 40), dtype=np.float32)  # 2 leads x 40 s at 100 Hz = 1.33 lead-minutes
    with pytest.raises(SignalQualityError, match=r"record too long to measure in memory: 2 leads x 0.7 min = "
                                                 r"1 lead-minutes, over extract's limit of 1"):
        extract_record(Record("long", x, 100.0, ["II", "V5"]))


def test_limit_is_600_lead_minutes_and_a_batch_row_says_why():
    ex = importlib.import_module("interp_ecg.features.extract")  # the module, not the function

    assert ex.MAX_LEAD_MINUTES == 600.0
    # 12 leads x 51 min at 100 Hz (612 lead-minutes) as a view: no memory used for it
    big = np.broadcast_to(np.zeros(1, dtype=np.float32), (1, 12, 100 * 60 * 51))
    ds = EcgDataset(pd.DataFrame(index=pd.Index(["h"], name="record_id")), ArrayLoader(big, 100.0), fs=100.0)
    row = extract(ds, progress=False).loc["h"]
    assert not row["quality_ok"] and row["quality_error"] == "SignalQualityError"
    assert "612 lead-minutes, over extract's limit of 600" in row["quality_reason"]
