"""A refusal after ``EcgDataset.resample`` names the file with the rate it was recorded at.

user15 F4: ``read_ptbxl(root, 100).resample(50)`` then measuring said
"<file>_lr.hea: sampling rate 50 Hz is too low ..." as if the file said 50 Hz (it says 100 Hz).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import SamplingRateError
from interp_ecg.features import extract_record
from interp_ecg.io import ArrayLoader, EcgDataset, Record
from interp_ecg.io.dataset import resampled_source


def test_resampled_source_names_file_and_both_rates():
    rec = Record("1", np.zeros((1, 1000), np.float32), 100.0, ["II"], source="/d/00001_lr.hea")
    assert resampled_source(rec, 50) == "resampled to 50 Hz from /d/00001_lr.hea (100 Hz)"
    twice = Record("1", rec.signal, 50.0, ["II"], source=resampled_source(rec, 50))
    assert resampled_source(twice, 250) == "resampled to 250 Hz from /d/00001_lr.hea (100 Hz)"
    bare = Record("r7", rec.signal, 500.0, ["II"], source="")
    assert resampled_source(bare, 99.5) == "resampled to 99.5 Hz from record r7 (500 Hz)"


def test_refusal_after_resample_says_resampled():
    meta = pd.DataFrame(index=pd.Index(["a"], name="record_id"))
    ds = EcgDataset(meta, ArrayLoader(np.zeros((1, 12, 1000), np.float32), fs=100), fs=100).resample(50)
    rec = ds.load("a")
    assert rec.fs == 50.0 and rec.source == "resampled to 50 Hz from record a (100 Hz)"
    with pytest.raises(SamplingRateError) as err:
        extract_record(rec)
    assert str(err.value).startswith("resampled to 50 Hz from record a (100 Hz): sampling rate 50 Hz is too low")


def test_same_rate_keeps_source():
    meta = pd.DataFrame(index=pd.Index(["a"], name="record_id"))
    ds = EcgDataset(meta, ArrayLoader(np.zeros((1, 12, 1000), np.float32), fs=100), fs=100).resample(100)
    assert ds.load("a").source == ""


def test_ptbxl_100hz_resampled_to_50_names_the_file(ptbxl_root):
    from interp_ecg import io

    ds = io.read_ptbxl(ptbxl_root, sampling_rate=100).subset(positions=[0]).resample(50)
    rid = ds.meta.index[0]
    with pytest.raises(SamplingRateError) as err:
        extract_record(ds.load(rid))
    msg = str(err.value)
    assert msg.startswith("resampled to 50 Hz from ") and "00001_lr.hea (100 Hz): sampling rate 50 Hz" in msg
