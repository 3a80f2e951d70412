"""Bit-identical recordings under two patient ids are one group in patient-wise splits (user12 F2)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from interp_ecg.evaluate import PatientKFold, duplicate_recordings, patient_groups, recording_digests
from interp_ecg.io import EcgDataset, read_ptbxl
from interp_ecg.io.dataset import ArrayLoader


def test_copies_across_patients_are_merged_and_named(caplog):
    sig = np.random.default_rng(1).normal(size=(8, 12, 250)).astype(np.float32)
    sig[5] = sig[1]                                          # r1 (patient B) filed again as r5 (patient F)
    meta = pd.DataFrame({"patient_id": list("ABCDEFGG")}, index=[f"r{i}" for i in range(8)])
    sig[7] = sig[6]                                          # same patient twice: harmless
    ds = EcgDataset(meta, ArrayLoader(sig, fs=250.0), fs=250.0)
    d = recording_digests(ds)
    dup = duplicate_recordings(d, meta["patient_id"])
    assert dup[dup.across_patients]["record"].tolist() == ["r1", "r5"]
    assert dup[~dup.across_patients]["record"].tolist() == ["r6", "r7"]
    with caplog.at_level(logging.WARNING, logger="interp_ecg.evaluate.splitters"):
        g = patient_groups(meta["patient_id"], digests=d)
    assert "['r1', 'r5']" in caplog.text and "['B', 'F']" in caplog.text
    assert g["r1"] == g["r5"] == "B+F" and g["r0"] == "A"
    assert g.nunique() == 6 and g.attrs["n_merged_patients"] == 1
    for tr, te in PatientKFold(3, random_state=0).split(None, np.zeros(8), g.to_numpy()):
        assert not ({"r1", "r5"} & set(g.index[tr]) and {"r1", "r5"} & set(g.index[te]))
    assert patient_groups(meta["patient_id"]).nunique() == 7          # without digests: unchanged


@pytest.mark.shared_data
def test_shared_ptbxl_145_and_463(ptbxl_root):
    ds = read_ptbxl(ptbxl_root, sampling_rate=500)
    d = recording_digests(ds)
    dup = duplicate_recordings(d, ds.meta["patient_id"])
    assert dup[dup.across_patients]["record"].tolist() == [145, 463]
    assert dup[dup.across_patients]["patient_id"].tolist() == ["16690", "16723"]
    assert sorted(dup[~dup.across_patients]["record"]) == [137, 138, 143, 144, 456, 457, 459, 460]
    g = patient_groups(ds.meta["patient_id"], digests=d)
    assert g[145] == g[463] and g.nunique() == ds.meta["patient_id"].nunique() - 1
