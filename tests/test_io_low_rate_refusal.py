"""One minimum sampling rate and one message for the reader, extract and the delineator.

25 Hz said "need >= 50 Hz"; the user resampled to 50 Hz and was told "need >= 100 Hz".
"""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from interp_ecg.errors import SamplingRateError
from interp_ecg.features import extract_record
from interp_ecg.features.delineation import delineate
from interp_ecg.io import Record, read_wfdb_record
from interp_ecg.io.wfdb_reader import MIN_ECG_FS, low_rate_message


def _signal(fs: float, n_leads: int = 2) -> np.ndarray:
    t = np.arange(int(10 * fs)) / fs
    return np.tile(np.sin(2 * np.pi * 1.2 * t), (n_leads, 1)).astype(np.float32)


@pytest.mark.parametrize("fs", [25.0, 50.0, 99.0])
@pytest.mark.parametrize("names", [["II", "V5"], ["ECG1", "ECG2"]])
def test_same_floor_and_message_everywhere(tmp_path, fs, names):
    msg = rf"sampling rate {fs:g} Hz is too low to delineate \(need >= 100 Hz\)"
    wfdb.wrsamp("r", fs=fs, units=["mV", "mV"], sig_name=names, p_signal=_signal(fs).T.astype(float),
                fmt=["16", "16"], write_dir=str(tmp_path))
    if names[0] == "II":
        with pytest.raises(SamplingRateError, match=msg):
            read_wfdb_record(tmp_path / "r")
    else:  # not standard names: read, then refused by extract with the same message
        rec = read_wfdb_record(tmp_path / "r")
        with pytest.raises(SamplingRateError, match=msg):
            extract_record(rec)
    with pytest.raises(SamplingRateError, match=msg):
        extract_record(Record("x", _signal(fs), fs, names))
    with pytest.raises(SamplingRateError, match=msg):
        delineate(_signal(fs), fs, names)


def test_floor_is_the_delineators():
    assert MIN_ECG_FS == 100.0
    assert low_rate_message(50) == "sampling rate 50 Hz is too low to delineate (need >= 100 Hz)"
