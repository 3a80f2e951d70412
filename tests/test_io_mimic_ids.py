"""MIMIC-IV-ECG ids are text from the first read: a study_id is never renamed.

Before (user13 D4): "00412345" in record_list.csv became the int64 index 412345 (file_name kept
"00412345"), with a warning at best. Identifiers are strings from the first read to the last
write (DESIGN): study_id, subject_id and hadm_id stay as written, in record_list, in
machine_measurements (joined on the same text) and in Parquet tables written with integers.
"""

from __future__ import annotations

import logging

import pandas as pd

from interp_ecg.io import read_mimic_ecg


def _tables(tmp_path, study_ids, mm_study_ids=None):
    pd.DataFrame({"subject_id": ["10000032", "10000084"], "study_id": study_ids,
                  "file_name": study_ids, "ecg_time": ["2180-07-23 08:44:00"] * 2,
                  "path": [f"files/a/{study_ids[0]}", f"files/b/{study_ids[1]}"]}).to_csv(
        tmp_path / "record_list.csv", index=False)
    if mm_study_ids is not None:
        pd.DataFrame({"subject_id": ["10000032", "10000084"], "study_id": mm_study_ids, "qrs_onset": [40, 50],
                      "qrs_end": [128, 170]}).to_csv(tmp_path / "machine_measurements.csv", index=False)


def test_leading_zero_study_id_is_kept_as_written(tmp_path, caplog):
    _tables(tmp_path, ["40689238", "00412345"], ["40689238", "00412345"])
    with caplog.at_level(logging.WARNING, logger="interp_ecg.io.mimic"):
        ds = read_mimic_ecg(tmp_path)
    assert ds.meta.index.tolist() == ["40689238", "00412345"] and ds.ids.tolist() == ["40689238", "00412345"]
    assert ds.meta.loc["00412345", "path"] == "files/b/00412345"
    assert ds.meta.loc["00412345", "qrs_duration_ms"] == 120.0  # machine measurements joined on the text
    assert ds.meta.loc["00412345", "patient_id"] == "10000084"
    assert caplog.text == ""


def test_ids_of_two_spellings_stay_two_records(tmp_path):
    """"0412345" and "412345" are different ids as written: neither is merged into the other."""
    _tables(tmp_path, ["0412345", "412345"])
    ds = read_mimic_ecg(tmp_path, measurements=False)
    assert ds.ids.tolist() == ["0412345", "412345"]


def test_parquet_integer_ids_become_text(tmp_path):
    pd.DataFrame({"subject_id": [10000032], "study_id": [40689238], "file_name": ["40689238"],
                  "ecg_time": ["2180-07-23 08:44:00"], "path": ["files/a/40689238"]}).to_parquet(
        tmp_path / "record_list.parquet")
    meta = read_mimic_ecg(tmp_path, measurements=False).meta
    assert meta.index.tolist() == ["40689238"] and meta["patient_id"].tolist() == ["10000032"]
