"""extract works with any lead names and any lead count from 1 to 15 (issue 10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.features import extract, extract_record
from interp_ecg.features.extract import conform, rows_to_frame
from interp_ecg.features.synthetic import gaussian_ecg
from interp_ecg.io import ArrayLoader, EcgDataset, Record
from interp_ecg.io.leads import STANDARD_LEADS

FS = 500.0


@pytest.fixture(scope="module")
def twelve():
    x, _ = gaussian_ecg(fs=FS, hr_bpm=75, qrs_ms=96, noise_mV=0.01, random_state=3)
    return x.astype(np.float32)


def _one(x, leads):
    return extract_record(Record("r1", x, FS, list(leads), source="r1"))


def test_two_leads_named_mlii_and_ecg1(twelve):
    # MLII (the modified, torso-electrode limb lead) and ECG1 are not standard names and keep them
    x = twelve[[1, 10]]
    row = _one(x, ["MLII", "ECG1"])
    ref = _one(x, ["II", "V5"])
    assert row["quality_ok"] and abs(row["heart_rate_bpm"] - 75) < 1
    # per-lead features carry the given names; the rhythm and interval features do not
    # depend on the names at all
    assert row["R_amp_mV_ECG1"] == pytest.approx(ref["R_amp_mV_V5"])
    assert row["R_amp_mV_MLII"] == pytest.approx(ref["R_amp_mV_II"])
    assert np.isnan(row["R_amp_mV_V5"]) and np.isnan(row["R_amp_mV_II"])
    for col in ("heart_rate_bpm", "QRS_duration_ms", "PR_interval_ms", "QT_interval_ms"):
        assert row[col] == pytest.approx(ref[col], nan_ok=True), col


@pytest.mark.parametrize("n_leads", [1, 3, 15])
def test_any_lead_count(twelve, n_leads):
    names = [f"ECG{i + 1}" for i in range(n_leads)]
    x = np.concatenate([twelve, twelve[[1, 6, 10]]])[:n_leads]
    row = _one(x, names)
    assert row["quality_ok"], row["quality_reason"]
    assert abs(row["heart_rate_bpm"] - 75) < 1
    assert all(np.isfinite(row[f"R_amp_mV_{n}"]) for n in names)
    # no standard-lead column is filled from a lead that is not that lead
    assert all(np.isnan(row[f"R_amp_mV_{ld}"]) for ld in STANDARD_LEADS)


def test_standard_twelve_keep_the_dictionary_columns(twelve):
    row = _one(twelve, STANDARD_LEADS)
    frame = rows_to_frame([row.to_dict()], pd.Index(["r1"]))
    assert list(conform(frame).columns) == list(frame.columns)
    assert not any(c.endswith("_ECG1") for c in frame.columns)


def test_a_dataset_with_named_leads(twelve):
    sig = np.stack([twelve[[1, 10]], twelve[[1, 10]] * 0.8])
    meta = pd.DataFrame({"patient_id": ["a", "b"]}, index=pd.Index(["r1", "r2"], name="record_id"))
    ds = EcgDataset(meta, ArrayLoader(sig, fs=FS, leads=["MLII", "ECG1"]), fs=FS, name="named")
    table = extract(ds, progress=False)
    assert table["quality_ok"].all()
    assert np.isfinite(table["R_amp_mV_ECG1"]).all()
    assert table["R_amp_mV_ECG1"]["r2"] == pytest.approx(0.8 * table["R_amp_mV_ECG1"]["r1"], rel=0.05)
    # conform keeps the named-lead columns
    assert "R_amp_mV_ECG1" in conform(table).columns
