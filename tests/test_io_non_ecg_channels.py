"""A channel in another unit than a voltage (ABP in mmHg, PLETH in NU) is not an ECG lead.

It was kept as a lead (scaled as if mV) and set aside as "clipped leads: ABP".
"""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from interp_ecg.errors import LeadError
from interp_ecg.features import extract
from interp_ecg.io import read_wfdb, read_wfdb_record


def _write(folder, names, units):
    t = np.arange(5000) / 500
    cols = [np.sin(2 * np.pi * t) if u.lower() == "mv" else 80 + 40 * np.sin(2 * np.pi * t) for u in units]
    wfdb.wrsamp("r", fs=500, units=units, sig_name=names, p_signal=np.column_stack(cols),
                fmt=["16"] * len(names), write_dir=str(folder))
    return folder / "r"


def test_abp_and_pleth_are_not_read_as_leads(tmp_path):
    base = _write(tmp_path, ["II", "V5", "ABP", "PLETH"], ["mV", "mV", "mmHg", "NU"])
    rec = read_wfdb_record(base)
    assert rec.leads == ["II", "V5"] and rec.extra_leads == [] and rec.signal.shape == (2, 5000)
    assert rec.meta["non_ecg_channels"] == {"ABP": "mmHg", "PLETH": "NU"}
    ds = read_wfdb(tmp_path)
    assert ds.meta.loc["r", "leads"] == "II V5"
    row = extract(ds, progress=False).loc["r"]
    assert "ABP" not in str(row["quality_reason"]) and "R_amp_mV_ABP" not in row.index


def test_record_without_an_ecg_channel_is_refused(tmp_path):
    base = _write(tmp_path, ["ABP"], ["mmHg"])
    with pytest.raises(LeadError, match=r"no ECG channel: ABP: not an ECG lead \(units mmHg\), not read"):
        read_wfdb_record(base)
