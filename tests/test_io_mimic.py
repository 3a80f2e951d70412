"""MIMIC-IV-ECG tables (schema sample) and MIMIC-IV demo hospital diagnoses."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import RecordReadError
from interp_ecg.io import read_mimic_diagnoses, read_mimic_ecg

pytestmark = pytest.mark.shared_data


def test_schema_row(mimic_ecg_schema_root):
    ds = read_mimic_ecg(mimic_ecg_schema_root)
    assert len(ds) == 1 and ds.meta.index.tolist() == ["40689238"]  # text, as written
    row = ds.meta.loc["40689238"]
    assert row["patient_id"] == "10000032" and row["path"] == "files/p1000/p10000032/s40689238/40689238"
    raw = pd.read_csv(mimic_ecg_schema_root / "machine_measurements.csv").iloc[0]
    for col in ("rr_interval", "p_onset", "p_end", "qrs_onset", "qrs_end", "t_end", "p_axis", "qrs_axis", "t_axis"):
        assert row[col] == raw[col]
    assert row["qrs_duration_ms"] == raw["qrs_end"] - raw["qrs_onset"]
    assert row["pr_interval_ms"] == raw["qrs_onset"] - raw["p_onset"]
    assert row["heart_rate_bpm"] == pytest.approx(60000 / raw["rr_interval"])
    assert row["report"] == "Sinus rhythm; Possible right atrial abnormality; Borderline ECG"
    assert pd.isna(row["age"])  # no hospital tables given


def test_missing_waveforms_raise_naming_the_file(mimic_ecg_schema_root):
    ds = read_mimic_ecg(mimic_ecg_schema_root)
    with pytest.raises(RecordReadError, match=r"files/p1000/p10000032/s40689238/40689238\.hea: header file not found"):
        ds[0]
    scan = ds.scan()
    assert not scan["ok"].any() and scan["error"].tolist() == ["RecordReadError"]


def test_sentinels_become_nan(mimic_ecg_schema_root, tmp_path):
    shutil.copy(mimic_ecg_schema_root / "record_list.csv", tmp_path)
    mm = pd.read_csv(mimic_ecg_schema_root / "machine_measurements.csv")
    mm = pd.concat([mm, mm], ignore_index=True)
    mm.loc[1, "study_id"] = 2
    mm.loc[1, ["p_onset", "p_end", "p_axis"]] = 29999
    mm.loc[1, "rr_interval"] = 0
    mm.to_csv(tmp_path / "machine_measurements.csv", index=False)
    rl = pd.read_csv(tmp_path / "record_list.csv")
    rl = pd.concat([rl, rl.assign(study_id=2)], ignore_index=True)
    rl.to_csv(tmp_path / "record_list.csv", index=False)
    ds = read_mimic_ecg(tmp_path)
    second = ds.meta.loc["2"]
    for col in ("p_onset", "p_end", "p_axis", "rr_interval", "pr_interval_ms", "p_duration_ms", "heart_rate_bpm"):
        assert np.isnan(second[col]), col
    assert second["qrs_duration_ms"] == ds.meta.loc["40689238", "qrs_duration_ms"]
    assert second["qrs_axis"] == 77


def test_with_hospital_tables_and_waveform(mimic_ecg_schema_root, mimic_demo_root, ptbxl_root, tmp_path):
    """A waveform placed where record_list.csv points is read lazily; age/sex from patients."""
    shutil.copy(mimic_ecg_schema_root / "record_list.csv", tmp_path)
    shutil.copy(mimic_ecg_schema_root / "machine_measurements.csv", tmp_path)
    folder = tmp_path / "files/p1000/p10000032/s40689238"
    folder.mkdir(parents=True)
    text = (ptbxl_root / "records500/00000/00001_hr.hea").read_text().replace("00001_hr", "40689238")
    (folder / "40689238.hea").write_text(text)
    shutil.copy(ptbxl_root / "records500/00000/00001_hr.dat", folder / "40689238.dat")
    ds = read_mimic_ecg(tmp_path, hosp_dir=mimic_demo_root / "hosp")
    pat = pd.read_csv(mimic_demo_root / "hosp/patients.csv.gz").set_index("subject_id").loc[10000032]
    assert ds.meta.loc["40689238", "sex"] == pat["gender"]
    assert ds.meta.loc["40689238", "age"] == pat["anchor_age"] + 2180 - pat["anchor_year"]
    rec = ds[0]
    assert rec.signal.shape == (12, 5000) and rec.fs == 500 and rec.id == "40689238"


def test_diagnoses(mimic_demo_root):
    dx = read_mimic_diagnoses(mimic_demo_root / "hosp")
    raw = pd.read_csv(mimic_demo_root / "hosp/diagnoses_icd.csv.gz", dtype={"icd_code": str})
    assert len(dx) == len(raw) == 4506
    assert dx["subject_id"].nunique() == 100
    assert list(dx.columns[:5]) == ["subject_id", "hadm_id", "icd_code", "icd_version", "admittime"]
    assert set(dx["icd_version"].unique()) == {9, 10}
    assert dx["admittime"].notna().all()  # every diagnosis belongs to a known admission
    assert {"gender", "anchor_age"} <= set(dx.columns)
    assert (dx["icd_code"].to_numpy() == raw["icd_code"].str.strip().to_numpy()).all()
    # ids are text from the first read (they join to read_mimic_ecg's patient_id)
    assert "10000032" in set(dx["subject_id"]) and 10000032 not in set(dx["subject_id"])
    assert dx["subject_id"].dtype == "string" and dx["hadm_id"].dtype == "string"
    assert (dx["subject_id"].str.fullmatch(r"\d+")).all() and (dx["hadm_id"].str.fullmatch(r"\d+")).all()
    # leading zeros of ICD-9 codes are kept (strings, not numbers)
    assert dx["icd_code"].str.match(r"^0").any()


def test_diagnoses_from_parquet_with_integer_ids_are_text(mimic_demo_root, tmp_path):
    raw = pd.read_csv(mimic_demo_root / "hosp/diagnoses_icd.csv.gz", dtype={"icd_code": str})
    raw.to_parquet(tmp_path / "diagnoses_icd.parquet")  # subject_id, hadm_id as int64
    dx = read_mimic_diagnoses(tmp_path)
    assert dx["subject_id"].tolist() == raw["subject_id"].astype(str).tolist()
    assert dx["hadm_id"].tolist() == raw["hadm_id"].astype(str).tolist()
