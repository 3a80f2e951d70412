"""A non-ECG channel in a WFDB record is named as such in the row's reason (user13 D3).

ABP in mmHg was read as a lead and set aside as "clipped leads: ABP"; then it was left out of
the signal but the row said nothing. A RESP channel in mV (a voltage, not an ECG lead) was
still read as an extra lead and set aside as clipped.
"""

from __future__ import annotations

import numpy as np
import wfdb

from interp_ecg import io
from interp_ecg.features import extract_record
from interp_ecg.io.wfdb_reader import non_ecg_kind
from interp_ecg.simulate import simulate_record


def _write(tmp_path, names, units, extra):
    x = simulate_record("normal", random_state=0)[0]
    sig = np.column_stack([x[1], x[10], extra])
    wfdb.wrsamp("r", fs=500, units=units, sig_name=names, p_signal=sig.astype(float), fmt=["16"] * 3,
                write_dir=str(tmp_path))
    return str(tmp_path / "r")


def test_abp_in_mmhg_named_in_reason(tmp_path):
    t = np.arange(5000) / 500
    p = _write(tmp_path, ["II", "V5", "ABP"], ["mV", "mV", "mmHg"], 80 + 40 * np.sin(2 * np.pi * t))
    rec = io.read_wfdb(p)
    assert rec.leads == ["II", "V5"] and rec.meta["non_ecg_channels"] == {"ABP": "mmHg"}
    row = extract_record(rec)
    assert row["quality_reason"].startswith("ABP: not an ECG lead (units mmHg), not read")
    assert row["quality_clipped_leads"] == ""


def test_resp_in_millivolts_not_read_as_a_lead(tmp_path):
    t = np.arange(5000) / 500
    p = _write(tmp_path, ["II", "V5", "RESP"], ["mV", "mV", "mV"], 0.3 * np.sin(2 * np.pi * 0.25 * t))
    rec = io.read_wfdb(p)
    assert rec.leads == ["II", "V5"] and rec.extra_leads == []
    row = extract_record(rec)
    assert row["quality_reason"].startswith(
        "RESP: not an ECG lead (Respiration signal by its name, units mV), not read")
    assert row["quality_clipped_leads"] == ""
    assert "RESP" not in io.read_wfdb(str(tmp_path)).meta.loc["r", "leads"]


def test_ecg_names_stay_leads():
    assert non_ecg_kind("mV", "ECG1") is None and non_ecg_kind("mV", "vx") is None
    assert non_ecg_kind("mV", "MLII") is None and non_ecg_kind("uV", "V5") is None
    assert non_ecg_kind("uV", "EEG C3-A2") == "Electroencephalogram signal by its name, units uV"


def test_polysomnography_respiration_belts_are_not_leads():
    """user19: "Thor"/"ABD" belts in mV were read as ECG leads (not in WFDB's signal classes)."""
    from interp_ecg.io.wfdb_reader import non_ecg_kind

    for name in ("Thor", "ABD", "THOR RES", "ABDO RES", "AIRFLOW"):
        assert non_ecg_kind("mV", name) == "Respiration signal by its name, units mV", name
    for name in ("ECG", "ECG1", "MLII", "V", "CM5", "II", "aVR", "Lead II"):
        assert non_ecg_kind("mV", name) is None, name
