"""EcgDataset operations on real data: batches, subsets, resampling, lead selection, pickling."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import LeadError, SamplingRateError, SignalQualityError
from interp_ecg.io import ArrayLoader, EcgDataset, read_ludb, read_ptbxl

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def ptbxl(ptbxl_root):
    return read_ptbxl(ptbxl_root)


def test_iter_batches(ptbxl):
    ds = ptbxl.subset(list(range(1, 11)))
    batches = list(ds.iter_batches(batch_size=4))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert [r.id for b in batches for r in b] == [str(i) for i in range(1, 11)]


def test_subset_forms(ptbxl):
    by_query = ptbxl.subset(query="strat_fold == 10")
    by_mask = ptbxl.subset(mask=(ptbxl.meta["strat_fold"] == 10).to_numpy())
    assert list(by_query.ids) == list(by_mask.ids) and len(by_query) == int((ptbxl.meta["strat_fold"] == 10).sum())
    assert by_query.labels.index.equals(by_query.meta.index)
    assert list(ptbxl.subset([5, 3]).ids) == [5, 3]  # ids (ecg_id is an integer index)


def test_resample_and_select_compose(ptbxl):
    ds = ptbxl.subset([1]).resample(100).select_leads(["V6", "I"])
    rec = ds[0]
    assert rec.signal.shape == (2, 1000) and rec.fs == 100 and rec.leads == ["V6", "I"]
    assert ds.fs == 100 and ds.leads == ["V6", "I"]
    # resampling back up gives the original length; the low-passed version stays close
    up = ptbxl.subset([1]).resample(250)[0]
    assert up.signal.shape == (12, 2500)
    with pytest.raises(SamplingRateError):
        ptbxl.resample(0)


def test_select_missing_lead(ludb_root):
    ds = read_ludb(ludb_root).subset([1]).select_leads(["II", "V7"])
    with pytest.raises(LeadError, match="missing leads"):
        ds[0]
    assert ds.scan()["error"].tolist() == ["LeadError"]


def test_ludb_subset_keeps_matching_annotations(ludb_root):
    ds = read_ludb(ludb_root).subset([3, 4])
    assert set(ds.annotations["record"]) == {3, 4}


def test_nan_stays_a_gap_through_resampling():
    # invalid samples are left to the features' policy; resampling keeps them a short gap
    # at the new rate rather than smearing NaN over the lead
    sig = np.zeros((1, 12, 1000), dtype="float32")
    sig[0, 0, 500] = np.nan
    meta = pd.DataFrame({"patient_id": [1]}, index=pd.Index(["a"], name="record_id"))
    ds = EcgDataset(meta, ArrayLoader(sig, fs=500), fs=500).resample(100)
    out = ds[0].signal
    assert out.shape == (12, 200)
    bad = np.flatnonzero(~np.isfinite(out[0]))
    assert bad.size and bad.min() >= 98 and bad.max() <= 102
    assert np.isfinite(out[1:]).all()


def test_all_invalid_record_is_refused():
    sig = np.full((1, 12, 1000), np.nan, dtype="float32")
    meta = pd.DataFrame({"patient_id": [1]}, index=pd.Index(["a"], name="record_id"))
    with pytest.raises(SignalQualityError, match="no valid sample"):
        EcgDataset(meta, ArrayLoader(sig, fs=500), fs=500)[0]


def test_pickle_round_trip(ptbxl, ludb_root):
    for ds in (ptbxl.subset([1, 2]).resample(100), read_ludb(ludb_root).subset([1])):
        clone = pickle.loads(pickle.dumps(ds))
        np.testing.assert_array_equal(clone[0].signal, ds[0].signal)


def test_signals_property(ptbxl):
    arr = ptbxl.subset([1, 2, 3]).resample(100).signals
    assert arr.shape == (3, 12, 1000) and arr.dtype == np.float32
    with pytest.raises(MemoryError):
        ptbxl.to_array(max_records=10)


def test_parallel_scan_equals_serial(ptbxl_root):
    ds = read_ptbxl(ptbxl_root, sampling_rate=100).subset(list(range(1, 41)))
    meta = ds.meta.copy()
    meta.loc[5, "filename_lr"] = "records100/00000/missing_lr"
    broken = EcgDataset(meta, ds.loader, labels=ds.labels, fs=100).select_leads(["I", "II"])
    serial = broken.scan()
    parallel = broken.scan(n_jobs=2)
    pd.testing.assert_frame_equal(serial, parallel)
    assert len(serial) == 40 and serial["ok"].sum() == 39
    assert "missing_lr.hea: header file not found" in serial.loc[5, "reason"]
    assert (serial.loc[serial["ok"], "n_leads"] == 2).all()
