"""Sex and age from header comments: words only, PTB-XL's 0/1 coding only for PTB-XL, ages 0-120.

A numeric "Sex: 1" in a WFDB/CinC header was read with PTB-XL's coding (1 = female); under
ISO/IEC 5218 (1 = male) every such man became a woman. "Age: 150" was kept.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import wfdb

from interp_ecg.io import read_cinc, read_wfdb, read_wfdb_record
from interp_ecg.io.wfdb_reader import parse_age, parse_comments, parse_sex


@pytest.mark.parametrize("text, sex", [("M", "M"), ("F", "F"), ("male", "M"), ("Female", "F"),
                                       ("MALE", "M"), ("woman", "F"), ("Unknown", None), ("U", None)])
def test_words_are_read(text, sex):
    assert parse_sex(text) == sex


@pytest.mark.parametrize("code", ["0", "1", "2", "1.0", 1, 0])
def test_bare_number_is_unknown_with_a_logged_reason(code, caplog):
    with caplog.at_level(logging.WARNING, logger="interp_ecg.io.wfdb_reader"):
        assert parse_sex(code, source="x/r.hea") is None
    assert "x/r.hea: sex written as the number" in caplog.text


def test_codings_apply_only_when_named():
    assert [parse_sex(c, coding="ptbxl") for c in (0, 1, 2)] == ["M", "F", None]
    assert [parse_sex(c, coding="iso5218") for c in ("0", "1", "2", "9")] == [None, "M", "F", None]


@pytest.mark.parametrize("comments, sex", [
    (["Age: 63", "Sex: 1"], None),                     # was 'F' (PTB-XL's coding)
    (["Age: 63", "Sex: 0"], None),                     # was 'M'
    (["Age: 63", "Sex (ISO/IEC 5218): 1"], "M"),
    (["Sex: 2", "sex coding: ISO/IEC 5218"], "F"),
    (["Sex: Male"], "M"),
])
def test_header_comment_sex(comments, sex):
    assert parse_comments(comments).get("sex") == sex


@pytest.mark.parametrize("text, age", [("63", 63.0), ("0", 0.0), ("120", 120.0), (">89", 90.0)])
def test_ages_in_range(text, age):
    assert parse_age(text) == age


@pytest.mark.parametrize("text", ["150", "121", "-1", "NaN", "300", "abc"])
def test_ages_out_of_range_are_nan(text, caplog):
    with caplog.at_level(logging.WARNING, logger="interp_ecg.io.wfdb_reader"):
        assert np.isnan(parse_age(text, source="r.hea"))
    if text in ("150", "121", "-1", "300"):
        assert "outside 0-120 years" in caplog.text


def _write(folder, name, comments):
    t = np.arange(1000) / 500
    wfdb.wrsamp(name, fs=500, units=["mV"], sig_name=["II"], p_signal=np.sin(2 * np.pi * t)[:, None],
                fmt=["16"], write_dir=str(folder), comments=comments)


def test_wfdb_folder_and_record(tmp_path):
    _write(tmp_path, "a", ["Age: 150", "Sex: 1"])
    _write(tmp_path, "b", ["Age: 63", "Sex: female"])
    meta = read_wfdb(tmp_path).meta
    assert np.isnan(meta.loc["a", "age"]) and pd.isna(meta.loc["a", "sex"])
    assert meta.loc["b", "age"] == 63.0 and meta.loc["b", "sex"] == "F"
    rec = read_wfdb_record(tmp_path / "a")
    assert np.isnan(rec.meta["age"]) and rec.meta["sex"] is None


def test_cinc_numeric_sex_is_unknown(tmp_path):
    _write(tmp_path, "E00001", ["Age: 63", "Sex: 1", "Dx: 426783006"])
    _write(tmp_path, "E00002", ["Age: 150", "Sex: Male", "Dx: 426783006"])
    meta = read_cinc(tmp_path, required_leads=None).meta
    assert pd.isna(meta.loc["E00001", "sex"]) and np.isnan(meta.loc["E00001", "female"])
    assert meta.loc["E00001", "age"] == 63.0
    assert meta.loc["E00002", "sex"] == "M" and np.isnan(meta.loc["E00002", "age"])
