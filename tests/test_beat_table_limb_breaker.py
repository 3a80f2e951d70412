"""The beat table gives no amplitudes of the limb lead that breaks Einthoven's identities (its
record row is NaN there since readfix2); before, III x2 gave per-beat R amplitudes of 1.50 mV."""

import dataclasses
import warnings

import numpy as np
import pytest


@pytest.mark.shared_data
def test_breaking_limb_lead_has_timing_but_no_amplitudes(ptbxl_root):
    from interp_ecg.features import extract_beats
    from interp_ecg.io import read_ptbxl

    ds = read_ptbxl(ptbxl_root, sampling_rate=500)
    rec = ds.load(ds.meta.index[0])
    sig = rec.signal.copy()
    sig[list(rec.leads).index("III")] *= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = extract_beats(dataclasses.replace(rec, signal=sig))
    iii, ii = t[t["lead"] == "III"], t[t["lead"] == "II"]
    assert len(iii) and iii[["P_amp_mV", "R_amp_mV", "S_amp_mV", "T_amp_mV"]].isna().all().all()
    assert iii["QRS_on"].notna().any()  # still delineated: its timing is the heart's
    assert iii["reason"].str.contains("quality_limb_identity_leads").all()
    assert np.isfinite(ii["R_amp_mV"]).all() and not ii["reason"].str.contains("limb_identity").any()
