"""A MIMIC-IV-ECG study_id written otherwise than its integer is not renamed without a word.

"00412345" in record_list.csv became the index 412345 (file_name kept "00412345"), silently.
The index stays the integer (as PTB-XL's ecg_id; exposures and phenotype tables join on it).
"""

from __future__ import annotations

import logging

import pandas as pd

from interp_ecg.io import read_mimic_ecg


def test_leading_zero_study_id_is_named_in_a_warning(tmp_path, caplog):
    pd.DataFrame({"subject_id": ["10000032", "10000084"], "study_id": ["40689238", "00412345"],
                  "file_name": ["40689238", "00412345"], "ecg_time": ["2180-07-23 08:44:00"] * 2,
                  "path": ["files/a/40689238", "files/b/00412345"]}).to_csv(tmp_path / "record_list.csv",
                                                                              index=False)
    with caplog.at_level(logging.WARNING, logger="interp_ecg.io.mimic"):
        ds = read_mimic_ecg(tmp_path, measurements=False)
    assert ds.meta.index.tolist() == [40689238, 412345]
    assert ds.meta.loc[412345, "path"] == "files/b/00412345"
    assert "1 study_id value(s) not written as a plain integer are read as the integer ('00412345' -> 412345)" \
        in caplog.text


def test_plain_ids_give_no_warning(tmp_path, caplog):
    pd.DataFrame({"subject_id": ["10000032"], "study_id": ["40689238"], "file_name": ["40689238"],
                  "ecg_time": ["2180-07-23 08:44:00"], "path": ["files/a/40689238"]}).to_csv(
        tmp_path / "record_list.csv", index=False)
    with caplog.at_level(logging.WARNING, logger="interp_ecg.io.mimic"):
        read_mimic_ecg(tmp_path, measurements=False)
    assert "plain integer" not in caplog.text
