"""Header fields that are written but not of their header(5) form are refused, never defaulted.

wfdb-python's header regular expressions match a prefix of each field and fill in WFDB's default
for the rest: a sampling rate written ``NaN`` was read as 250 Hz (a 500 Hz record measured at half
its rate: HR 30 instead of 61, QRS 188 ms instead of 100), a gain written as text as 200.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from interp_ecg.errors import RecordReadError, SamplingRateError
from interp_ecg.io import read_cinc, read_wfdb, read_wfdb_record
from interp_ecg.io.wfdb_reader import read_header


def _write(folder: Path, name: str = "r", fs: float = 500) -> Path:
    t = np.arange(2000) / fs
    sig = np.column_stack([np.sin(2 * np.pi * t), 0.5 * np.cos(2 * np.pi * t)])
    wfdb.wrsamp(name, fs=fs, units=["mV", "mV"], sig_name=["I", "II"], p_signal=sig, fmt=["16", "16"],
                adc_gain=[1000.0, 1000.0], baseline=[0, 0], write_dir=str(folder),
                comments=["Age: 61", "Sex: M"])
    return folder / name


def _edit(base: Path, line_no: int, field: int, value: str) -> None:
    hea = base.with_suffix(".hea")
    lines = hea.read_text().splitlines()
    tok = lines[line_no].split()
    tok[field] = value
    lines[line_no] = " ".join(tok)
    hea.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("token", ["NaN", "?", "unknown", "Fs=500", "x500", "fivehundred", "500Hz", "500,0"])
def test_non_numeric_sampling_rate_is_refused_naming_file_and_field(tmp_path, token):
    base = _write(tmp_path)
    _edit(base, 0, 2, token)
    with pytest.raises(RecordReadError, match=rf"r\.hea: malformed header: sampling-frequency field '{re_escape(token)}'"):
        read_wfdb_record(base)
    with pytest.raises(RecordReadError, match="sampling-frequency field"):
        read_header(base)


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


@pytest.mark.parametrize("token, fs", [("500", 500.0), ("5e2", 500.0), ("500/1000", 500.0),
                                       ("500/1000(3)", 500.0), ("360.5", 360.5)])
def test_numeric_sampling_rate_forms_are_read_as_written(tmp_path, token, fs):
    base = _write(tmp_path)
    _edit(base, 0, 2, token)
    assert read_wfdb_record(base).fs == fs  # "5e2" was 5 Hz (wfdb's prefix match)


def test_zero_rate_stays_a_sampling_rate_error(tmp_path):
    base = _write(tmp_path)
    _edit(base, 0, 2, "0")
    with pytest.raises(SamplingRateError, match="invalid sampling rate"):
        read_wfdb_record(base)


@pytest.mark.parametrize("field, value, name", [
    (2, "abc/mV", "gain"), (2, "1000(x)/mV", "gain"), (2, "1000/", "gain"),
    (3, "sixteen", "ADC resolution"), (4, "O", "ADC zero"), (5, "1.5", "initial value"),
    (6, "NaN", "checksum"), (7, "?", "block size"), (1, "16x", "format"),
])
def test_non_numeric_signal_fields_are_refused(tmp_path, field, value, name):
    base = _write(tmp_path)
    _edit(base, 1, field, value)
    with pytest.raises(RecordReadError, match=rf"malformed header: {name} field .* of signal 'I'"):
        read_wfdb_record(base)


def test_non_integer_sample_count_is_refused(tmp_path):
    base = _write(tmp_path)
    _edit(base, 0, 3, "2000.0")
    with pytest.raises(RecordReadError, match="number-of-samples field '2000.0'"):
        read_wfdb_record(base)


def test_folder_scan_keeps_the_error_for_the_record(tmp_path):
    _write(tmp_path, "good")
    bad = _write(tmp_path, "bad")
    _edit(bad, 0, 2, "NaN")
    ds = read_wfdb(tmp_path)
    assert ds.meta.loc["good", "fs"] == 500.0
    assert "sampling-frequency field 'NaN'" in ds.meta.loc["bad", "header_error"]
    assert np.isnan(ds.meta.loc["bad", "fs"])


def test_cinc_header_with_nan_rate_is_a_header_error(tmp_path):
    base = _write(tmp_path, "E00001")
    _edit(base, 0, 2, "NaN")
    ds = read_cinc(tmp_path, required_leads=None)
    assert "sampling-frequency field 'NaN'" in ds.meta.loc["E00001", "header_error"]
