"""Leads the package distrusts are not measured; records not in mV are refused; mains
interference is found and removed; a QT needs its QRS.

Synthetic records (:func:`interp_ecg.features.synthetic.gaussian_ecg`, exact fiducials) give
the right values; real PTB-XL records check the same on data.
"""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.errors import SignalQualityError
from interp_ecg.features import extract_record
from interp_ecg.features.measurements import st_summary, voltage_criteria
from interp_ecg.features.quality import MAINS_AMPLITUDE_MV, lead_quality, mains_interference, remove_mains
from interp_ecg.features.synthetic import PRECORDIAL_RS, TruthDelineator, gaussian_ecg
from interp_ecg.io.leads import STANDARD_LEADS

FS = 500
V1 = STANDARD_LEADS.index("V1")
V1_INDICES = ("Sokolow_Lyon_mV", "Sokolow_Lyon_RVH_mV", "ST60_max_elevation_mV", "ST60_max_depression_mV",
              "QRS_notched_lead_count", "QRS_notches_total")


def _synthetic():
    sig, truth = gaussian_ecg(hr_bpm=70, qrs_ms=100, qt_ms=400, noise_mV=0.002)
    return sig.astype(np.float64), truth


def _with_v1_noise(sig, sd=0.5):
    y = sig.copy()
    y[V1] += np.random.default_rng(0).normal(0, sd, y.shape[1])
    return y


def test_noisy_lead_is_set_aside_and_its_indices_are_nan():
    sig, truth = _synthetic()
    clean = extract_record(sig, FS, method=TruthDelineator(truth))
    noisy = extract_record(_with_v1_noise(sig), FS, method=TruthDelineator(truth))
    assert "V1" in noisy["quality_noisy_leads"]
    assert noisy["quality_ok"]  # a lead set aside does not refuse the record
    assert "leads set aside" in noisy["quality_reason"] and "V1" in noisy["quality_reason"]
    assert noisy["quality_n_leads_usable"] == 11
    for m in ("P_amp_mV", "R_amp_mV", "S_amp_mV", "T_amp_mV", "ST60_amp_mV", "J_amp_mV", "RS_ratio"):
        assert np.isnan(noisy[f"{m}_V1"]), m
    for col in V1_INDICES:
        assert np.isfinite(clean[col]) and np.isnan(noisy[col]), col
    # what does not need V1 stays, at the clean value
    r5, s1 = PRECORDIAL_RS["V5"][0], PRECORDIAL_RS["V1"][1]
    assert clean["R_amp_mV_V5"] == pytest.approx(noisy["R_amp_mV_V5"], abs=0.01)
    assert clean["R_amp_mV_V5"] == pytest.approx(r5, rel=0.05)
    assert clean["Sokolow_Lyon_mV"] == pytest.approx(abs(clean["S_amp_mV_V1"]) + max(clean["R_amp_mV_V5"], clean["R_amp_mV_V6"]))
    assert abs(clean["S_amp_mV_V1"]) == pytest.approx(abs(s1), rel=0.25)
    for col in ("QRS_duration_ms", "QT_interval_ms", "heart_rate_bpm", "QRS_axis_deg", "T_axis_deg",
                "Cornell_voltage_mV", "R_amp_mV_V2"):
        assert noisy[col] == pytest.approx(clean[col], abs=0.02), col


def test_disconnected_lead_reads_nan_not_a_small_amplitude():
    sig, truth = _synthetic()
    y = sig.copy()
    y[V1] = np.random.default_rng(0).normal(0, 0.02, y.shape[1])  # electrode off: noise only
    s = extract_record(y, FS, method=TruthDelineator(truth))
    assert np.isnan(s["R_amp_mV_V1"]) and np.isnan(s["Sokolow_Lyon_mV"])
    assert s["quality_ok"] and "V1" in s["quality_reason"]


def test_indices_need_every_lead_they_name():
    nan = float("nan")
    amps = {"V1": {"S_amp_mV": -1.0, "R_amp_mV": 0.2}, "V3": {"S_amp_mV": -0.8},
            "V5": {"R_amp_mV": 2.0, "S_amp_mV": -0.1}, "V6": {"R_amp_mV": 1.0, "S_amp_mV": -0.3},
            "aVL": {"R_amp_mV": 0.5}}
    v = voltage_criteria(amps, 100.0)
    assert v["Sokolow_Lyon_mV"] == pytest.approx(3.0)
    assert v["Sokolow_Lyon_RVH_mV"] == pytest.approx(0.5)
    assert v["Cornell_voltage_mV"] == pytest.approx(1.3)
    amps["V6"] = {"R_amp_mV": nan, "S_amp_mV": nan}
    v = voltage_criteria(amps, 100.0)
    assert np.isnan(v["Sokolow_Lyon_mV"]) and np.isnan(v["Sokolow_Lyon_RVH_mV"])
    assert v["Cornell_voltage_mV"] == pytest.approx(1.3)
    st = {lead: {"ST60_amp_mV": 0.0} for lead in STANDARD_LEADS} | {"I": {"ST60_amp_mV": 0.05},
                                                                     "V1": {"ST60_amp_mV": nan}}
    assert st_summary(st)["ST60_max_elevation_mV"] == pytest.approx(0.05)
    # over the twelve leads: with only some of them recorded the largest could be elsewhere
    assert np.isnan(st_summary({"I": {"ST60_amp_mV": 0.05}, "MLII": {"ST60_amp_mV": 0.3}})["ST60_max_elevation_mV"])
    assert np.isnan(st_summary(st, set_aside=["V1"])["ST60_max_elevation_mV"])


def test_record_in_microvolts_is_refused_naming_the_units():
    sig, truth = _synthetic()
    with pytest.raises(SignalQualityError, match="units look wrong"):
        extract_record(sig * 1000, FS, method=TruthDelineator(truth))


@pytest.mark.parametrize("f0", [50.0, 60.0])
def test_mains_amplitude_is_measured_and_notched_out(f0):
    sig, truth = _synthetic()
    t = np.arange(sig.shape[1]) / FS
    hum = sig + 0.2 * np.sin(2 * np.pi * f0 * t)
    amp = mains_interference(hum, FS)[int(f0)].to_numpy()
    assert amp == pytest.approx(np.full(12, 0.2), rel=0.03)
    assert (mains_interference(sig, FS).to_numpy() < MAINS_AMPLITUDE_MV).all()
    # white noise is not a line
    assert mains_interference(_with_v1_noise(sig), FS).to_numpy()[V1].max() < MAINS_AMPLITUDE_MV
    cleaned, found = remove_mains(hum, FS, STANDARD_LEADS)
    assert len(found) == 12 and all(k.endswith(f"{int(f0)} Hz") for k in found)
    inner = slice(FS, -FS)
    assert np.abs(cleaned - sig)[:, inner].max() < 0.05
    same, none = remove_mains(sig, FS, STANDARD_LEADS)
    assert none == {} and same is sig
    clean = extract_record(sig, FS, method=TruthDelineator(truth))
    s = extract_record(hum, FS, method=TruthDelineator(truth))
    assert "mains interference removed" in s["quality_reason"]
    assert s["quality_noisy_leads"] == ""
    for col in ("R_amp_mV_V2", "S_amp_mV_V1", "ST60_amp_mV_V2", "Sokolow_Lyon_mV"):
        assert s[col] == pytest.approx(clean[col], abs=0.03), col


def test_qt_is_not_reported_without_a_delimited_qrs():
    sig, truth = _synthetic()
    t2 = truth.copy()
    t2["QRS_off"] = np.nan  # the QRS offset was never found
    s = extract_record(sig, FS, method=TruthDelineator(t2))
    assert np.isnan(s["QRS_duration_ms"])
    assert np.isnan(s["QT_interval_ms"]) and np.isnan(s["QTc_Bazett_ms"]) and np.isnan(s["JT_interval_ms"])
    full = extract_record(sig, FS, method=TruthDelineator(truth))
    assert full["QT_interval_ms"] == pytest.approx(400, abs=2)


# ------------------------------------------------------------------ real PTB-XL records
@pytest.fixture(scope="module")
def ptbxl_records(ptbxl_root):
    from interp_ecg import io

    ds = io.read_ptbxl(ptbxl_root, sampling_rate=500)
    return [ds[0], ds[2], ds[3]]


def test_ptbxl_noisy_v1_gives_nan_not_a_stemi(ptbxl_records):
    rec = ptbxl_records[0]
    x = rec.signal.astype(np.float64)
    clean = extract_record(x, rec.fs, list(rec.leads))
    s = extract_record(_with_v1_noise(x), rec.fs, list(rec.leads))
    assert s["quality_ok"] and "V1" in s["quality_noisy_leads"]
    for col in ("R_amp_mV_V1", "S_amp_mV_V1", *V1_INDICES):
        assert np.isnan(s[col]), col
    assert s["T_axis_deg"] == pytest.approx(clean["T_axis_deg"], abs=2.0)  # was 48 -> 61.7
    assert s["R_amp_mV_V5"] == pytest.approx(clean["R_amp_mV_V5"], abs=0.02)


def test_ptbxl_microvolts_refused_and_mains_removed(ptbxl_records):
    rec = ptbxl_records[1]
    x = rec.signal.astype(np.float64)
    with pytest.raises(SignalQualityError, match="units look wrong"):
        extract_record(x * 1000, rec.fs, list(rec.leads))
    clean = extract_record(x, rec.fs, list(rec.leads))
    t = np.arange(x.shape[1]) / rec.fs
    s = extract_record(x + 0.2 * np.sin(2 * np.pi * 50 * t), rec.fs, list(rec.leads))
    assert "mains interference removed" in s["quality_reason"]
    assert s["QRS_duration_ms"] == pytest.approx(clean["QRS_duration_ms"], abs=4)  # was 82 -> 68
    assert s["R_amp_mV_V2"] == pytest.approx(clean["R_amp_mV_V2"], abs=0.02)  # was 0.33 -> 0.47
    assert s["ST60_amp_mV_V2"] == pytest.approx(clean["ST60_amp_mV_V2"], abs=0.02)  # was +0.066 -> -0.058
    assert lead_quality(x, rec.fs, rec.leads)["usable"].all()


def test_lead_reversal_check_is_unknown_without_lead_i():
    sig, truth = _synthetic()
    y = sig.copy()
    y[STANDARD_LEADS.index("I")] += np.random.default_rng(3).normal(0, 0.5, y.shape[1])
    s = extract_record(y, FS, method=TruthDelineator(truth))
    assert "I" in s["quality_noisy_leads"].split(",")
    assert np.isnan(s["quality_lead_reversal_suspected"])
    clean = extract_record(sig, FS, method=TruthDelineator(truth))
    assert clean["quality_lead_reversal_suspected"] == 0.0
    # the frontal axes come from the other limb leads (II, III, aVR, aVL, aVF)
    assert s["QRS_axis_deg"] == pytest.approx(clean["QRS_axis_deg"], abs=1.0)
    assert clean["QRS_axis_deg"] == pytest.approx(60.0, abs=5.0)


def test_beat_table_qt_needs_the_beats_qrs_offset():
    from interp_ecg.features import extract_beats

    sig, truth = _synthetic()
    t2 = truth.copy()
    t2.loc[t2.index[::2], "QRS_off"] = np.nan
    b = extract_beats(sig, FS, method=TruthDelineator(t2))
    no_off = b["QRS_off"].isna()
    assert no_off.any() and (~no_off).any()
    assert b.loc[no_off, "QT_interval_ms"].isna().all()
    assert b.loc[~no_off & b["T_off"].notna(), "QT_interval_ms"].notna().all()


def test_noise_hidden_under_a_large_lead_is_caught_in_physical_units(ptbxl_records):
    from interp_ecg.features.quality import NOISE_HF_RMS_MV, NOISE_RATIO

    rec = ptbxl_records[2]  # ecg 4: V2 of 1.2 mV R, 1.8 mV S
    x = rec.signal.astype(np.float64)
    i = list(rec.leads).index("V2")
    y = x.copy()
    y[i] += np.random.default_rng(1).normal(0, 0.2, y.shape[1])
    q = lead_quality(y, rec.fs, rec.leads)
    # 0.2 mV SD white noise: 0.2 * sqrt(210 / 250) = 0.183 mV RMS above 40 Hz
    assert q.loc["V2", "hf_rms_mV"] == pytest.approx(0.183, rel=0.05)
    assert q.loc["V2", "hf_noise_ratio"] < NOISE_RATIO  # the ratio alone misses it
    assert q.loc["V2", "noisy"] and not q.loc["V2", "usable"]
    clean = lead_quality(x, rec.fs, rec.leads)
    assert (clean["hf_rms_mV"] < NOISE_HF_RMS_MV).all() and not clean["noisy"].any()


def test_measured_fiducials_are_the_delineation_the_features_were_measured_from():
    """Grounded explanations take positions from ``measured_fiducials``: a lead the measurement
    set aside has no rows there (``delineate`` on the raw signal still delineates it), and the
    global QRS of the provenance's beat is the one the QRS duration was measured between."""
    from interp_ecg.features import delineate, extract_record, measured_fiducials
    from interp_ecg.simulate import simulate_record

    sig, _, _ = simulate_record("normal", fs=500, random_state=3)
    sig = sig.copy()
    sig[6] += np.random.default_rng(0).normal(0, 0.5, sig.shape[1])  # V1 buried in noise
    row, prov = extract_record(sig, fs=500, return_provenance=True)
    fid = measured_fiducials(sig, fs=500)
    assert "V1" in row["quality_reason"]
    assert "V1" not in set(fid["lead"]) and "V1" in set(delineate(sig, 500)["lead"])
    qrs = prov[prov["feature"] == "QRS_duration_ms"].iloc[0]
    g = fid[(fid["lead"] == "global") & (fid["beat"] == qrs["beat"])].iloc[0]
    assert (g["QRS_on"], g["QRS_off"]) == (qrs["start_sample"], qrs["end_sample"])
    assert g["QRS_off"] - g["QRS_on"] == qrs["value"] * 500 / 1000
