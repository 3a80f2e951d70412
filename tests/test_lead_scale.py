"""One lead on a wrong scale is set aside (FINDINGS-user13 A3).

PTB-XL 9 with V5 multiplied by 10 read R V5 9.8 mV and Sokolow-Lyon 10.9 mV with
``quality_ok`` True: the units check looks at the median over leads, and the chest leads
have no identity like Einthoven's. A lead whose robust QRS peak-to-peak is over 5 times the
median of the other leads of its group (and over 3 mV) is now set aside with a reason.
"""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.features import extract_record
from interp_ecg.features.quality import SCALE_RATIO_MAX, lead_quality, lead_scale_ratio
from interp_ecg.features.synthetic import TruthDelineator, gaussian_ecg
from interp_ecg.io.leads import STANDARD_LEADS, normalise_lead_name

FS = 500.0
V5 = STANDARD_LEADS.index("V5")
#: PTB-XL records (first 500 at 500 Hz) with an LVH statement and the largest QRS
#: (robust peak-to-peak 4.0-5.4 mV in one lead): true high voltage, not a scale error
LVH_RECORDS = (386, 349, 296, 299, 298, 333, 452, 30, 284, 336)


def test_scale_ratio_against_the_other_leads_of_the_group():
    ptp = np.array([1.0, 1.5, 0.5, 1.2, 0.8, 1.0, 0.4, 2.0, 2.5, 2.0, 15.0, 1.2])
    r = lead_scale_ratio(ptp, STANDARD_LEADS, np.ones(12, bool))
    assert r[V5] == pytest.approx(15.0 / 2.0)  # median of V1-V4, V6: 0.4, 2.0, 2.5, 2.0, 1.2
    assert r[0] == pytest.approx(1.0 / 1.0)  # I against II, III, aVR, aVL, aVF: median 1.0
    assert np.isnan(lead_scale_ratio(ptp[:2], ["ECG1", "ECG2"], np.ones(2, bool))).all()


def test_one_chest_lead_ten_times_too_large_is_set_aside():
    sig, truth = gaussian_ecg(hr_bpm=70, qrs_ms=100, qt_ms=400, noise_mV=0.002)
    sig = sig.astype(np.float64)
    clean = extract_record(sig, FS, method=TruthDelineator(truth))
    assert clean["quality_scale_leads"] == ""
    bad = sig.copy()
    bad[V5] *= 10
    q = lead_quality(bad, FS, STANDARD_LEADS)
    assert q["scale"].tolist() == [lead == "V5" for lead in STANDARD_LEADS]
    assert q.loc["V5", "scale_ratio"] > SCALE_RATIO_MAX
    x = extract_record(bad, FS, method=TruthDelineator(truth))
    assert x["quality_scale_leads"] == "V5"
    assert "out of scale with their group" in x["quality_reason"]
    assert np.isnan(x["R_amp_mV_V5"]) and np.isnan(x["Sokolow_Lyon_mV"])
    assert x["R_amp_mV_V4"] == pytest.approx(clean["R_amp_mV_V4"], abs=1e-6)


def test_ptbxl_v5_times_ten_is_caught(ptbxl_root):
    wfdb = pytest.importorskip("wfdb")
    r = wfdb.rdrecord(str(ptbxl_root / "records500" / "00000" / "00009_hr"))
    sig = r.p_signal.T.astype(np.float32)
    ref = extract_record(sig, FS, list(r.sig_name))
    assert ref["quality_scale_leads"] == ""
    bad = sig.copy()
    bad[V5] *= 10
    x = extract_record(bad, FS, list(r.sig_name))
    # before: R V5 9.80 mV, Sokolow-Lyon 10.90 mV
    assert x["quality_scale_leads"] == "V5"
    assert np.isnan(x["R_amp_mV_V5"]) and np.isnan(x["Sokolow_Lyon_mV"])
    assert x["Cornell_voltage_mV"] == pytest.approx(ref["Cornell_voltage_mV"], abs=0.02)


def test_ptbxl_lvh_records_are_not_flagged(ptbxl_root):
    wfdb = pytest.importorskip("wfdb")
    for ecg in LVH_RECORDS:
        r = wfdb.rdrecord(str(ptbxl_root / "records500" / "00000" / f"{ecg:05d}_hr"))
        q = lead_quality(r.p_signal.T, FS, [normalise_lead_name(ld) for ld in r.sig_name])
        assert np.isfinite(q["scale_ratio"]).all()
        assert not q["scale"].any(), (ecg, q["scale_ratio"].round(2).to_dict())
        assert q["band_ptp_mV"].max() > 3.9  # high voltage indeed
