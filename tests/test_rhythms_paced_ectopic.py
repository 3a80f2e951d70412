"""Paced rhythms and ventricular bigeminy (issue 17, "Rhythms a hospital cohort is full of").

Every expected value is derived from the simulation's ground truth (beat times, fiducials,
the dominant beats' QRS and PR) or from the records' own labels, never typed in.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg import features

from interp_ecg.features import extract_record
from interp_ecg.features.beat_classes import classify_beats, frequent_ectopy_regular, morphology_classes
from interp_ecg.features.pacing import (
    PACED_MIN_SPIKES,
    detect_pacing_spikes,
    remove_pacing_spikes,
    strip_pacing_spikes,
)
from interp_ecg.simulate import simulate_record
from interp_ecg.studies.wct import wct_rule_label

LEADS = list(STANDARD_LEADS)


def _electrode_spike(electrode: int) -> np.ndarray:
    """Lead projection of a unit potential at one of RA, LA, LL, V1..V6 (0..8), as an ECG
    machine derives the twelve leads (Einthoven, Goldberger, Wilson)."""
    e = np.zeros(9)
    e[electrode] = 1.0
    ra, la, ll = e[:3]
    wct = (ra + la + ll) / 3
    limb = [la - ra, ll - ra, ll - la, ra - (la + ll) / 2, la - (ra + ll) / 2, ll - (ra + la) / 2]
    return np.array(limb + [e[3 + k] - wct for k in range(6)])


SPIKE_VECTORS = {
    "all leads": np.ones(12),
    "precordial only": np.r_[np.zeros(6), np.ones(6)],
    "RA electrode": _electrode_spike(0),
    # a unipolar right-ventricular apical pulse: superior (negative in II, III, aVF) and
    # anterior (large in V1-V3); Einthoven's and Goldberger's relations hold
    "RV apex dipole": np.array([0.3, -1.0, -1.3, 0.35, 0.8, -1.15, 1.5, 1.8, 1.4, 0.8, 0.3, 0.1]),
}


def _paced(condition: str, seed: int, amp_mv: float, vector: np.ndarray, fs: float = 500, width: int = 2):
    """A simulated record with ``width``-sample pacing spikes ending just before every P onset
    and every QRS onset (atrial and ventricular pacing), ``amp_mv`` in the largest lead."""
    ecg = simulate_record(condition, fs=fs, random_state=seed)
    g = ecg.fiducials[ecg.fiducials["lead"] == "global"]
    v = amp_mv * vector / np.abs(vector).max()
    x = ecg.signal.copy()
    starts = []
    for col in ("P_on", "QRS_on"):
        for s in g[col].dropna().astype(int):
            if s >= width:
                x[:, s - width : s] += v[:, None].astype(np.float32)
                starts.append(s - width)
    return ecg, x, np.array(sorted(starts))


def _true_beats(ecg) -> int:
    g = ecg.fiducials[ecg.fiducials["lead"] == "global"]
    return int(np.isfinite(g["R_peak"].to_numpy(float)).sum())


# --------------------------------------------------------------------------- paced
@pytest.mark.parametrize("spike", list(SPIKE_VECTORS))
def test_paced_lbbb_3mv_is_measured_without_the_spikes(spike):
    # today (before the pacing module): the spikes in the precordial leads alone were taken
    # for beats of their own (25 beats, 152.7 bpm, WCT rule positive); with spikes in every
    # lead the beats survived, but QRS (182 ms) and PR (186 ms) started at the spike
    ecg, x, starts = _paced("lbbb", 0, 3.0, SPIKE_VECTORS[spike])
    clean = extract_record(ecg.signal, 500)
    row = extract_record(x, 500)
    assert row["n_beats"] == _true_beats(ecg)
    assert abs(row["heart_rate_bpm"] - ecg.info["heart_rate"]) < 1.0
    assert row["PVC_count"] == 0
    assert not wct_rule_label(pd.Series([row["QRS_duration_ms"]]), pd.Series([row["heart_rate_bpm"]])).iloc[0]
    assert row["paced"] == 1.0 and row["pacing_spike_count"] == len(starts)
    # the QRS and PR are those of the record without spikes (the spike is not the onset)
    assert abs(row["QRS_duration_ms"] - clean["QRS_duration_ms"]) <= 4.0
    # (PR: 8 ms, the per-beat PR of both records scatters 148-160 ms with the spike residue
    # moving QRS onsets by 2-4 samples, and the median of such values jumps; starting at the
    # spike made it ~30 ms longer)
    assert abs(row["PR_interval_ms"] - clean["PR_interval_ms"]) <= 8.0
    # ... traced at a QRS onset the record without spikes has (any beat: which beat is the
    # representative one may differ), not at the spike
    onsets = features.delineate(ecg.signal, 500, LEADS).query("lead == 'global'")["QRS_on"].to_numpy(float)
    start = row["QRS_duration_start_sample"]
    assert np.nanmin(np.abs(onsets - start)) <= 2


def test_spikes_detected_at_their_samples_and_removed():
    ecg, x, starts = _paced("lbbb", 0, 3.0, SPIKE_VECTORS["RA electrode"])
    spikes = detect_pacing_spikes(x, 500, LEADS)
    np.testing.assert_array_equal(spikes["sample"].to_numpy(), starts)
    assert (spikes["end"] - spikes["start"]).max() <= 3  # 2 spike samples + the return
    assert np.allclose(np.abs(spikes["amplitude_mV"]), 3.0, atol=0.3)
    cleaned, again = strip_pacing_spikes(x, 500, LEADS)
    assert len(again) == len(spikes)
    # what is left where the spikes were is the cardiac signal (within its own slope)
    for s in starts:
        assert np.abs(cleaned[:, s : s + 2] - ecg.signal[:, s : s + 2]).max() < 0.15
    assert detect_pacing_spikes(cleaned, 500).empty


def test_paced_2mv_heart_rate_across_24_records():
    # removing the spikes leaves exactly the unpaced record's heart rate. Before the pacing
    # module 6 of 24 were off truth by >= 3 bpm; then 4 of 24 (seeds 5, 9, 14, 18), with and
    # without pacing: beats found in muscle-noise bursts, until the burst rule of
    # stages.burst_artefacts (issue 17).
    off_paced, off_clean = [], []
    for seed in range(24):
        ecg, x, starts = _paced("lbbb", seed, 2.0, SPIKE_VECTORS["all leads"])
        row = extract_record(x, 500)
        clean = extract_record(ecg.signal, 500)
        assert row["paced"] == 1.0 and row["pacing_spike_count"] == len(starts)
        assert row["heart_rate_bpm"] == pytest.approx(clean["heart_rate_bpm"], abs=0.5)
        off_paced.append(abs(row["heart_rate_bpm"] - ecg.info["heart_rate"]) >= 3)
        off_clean.append(abs(clean["heart_rate_bpm"] - ecg.info["heart_rate"]) >= 3)
    assert off_paced == off_clean
    assert sum(off_paced) == 0


@pytest.mark.parametrize("fs", [250, 1000])
def test_paced_at_250_and_1000_hz(fs):
    # two-sample spikes: 8 ms at 250 Hz, 2 ms at 1000 Hz; the thresholds are in mV/ms and ms
    ecg, x, starts = _paced("lbbb", 1, 3.0, SPIKE_VECTORS["RV apex dipole"], fs=fs)
    spikes = detect_pacing_spikes(x, fs)
    np.testing.assert_array_equal(spikes["sample"].to_numpy(), starts)
    row = extract_record(x, fs)
    assert row["paced"] == 1.0
    assert row["n_beats"] == _true_beats(ecg)
    assert abs(row["heart_rate_bpm"] - ecg.info["heart_rate"]) < 1.0


def test_small_spikes_at_250_hz_are_not_detected():
    # documented limitation: a one-sample 0.5 mV spike at 250 Hz is 0.125 mV/ms, under the
    # 0.2 mV/ms edge threshold (real pulses are attenuated by the recorder's filters)
    x = np.zeros((12, 2500), dtype=np.float32)
    x[:, [500, 1500]] += 0.5
    assert detect_pacing_spikes(x, 250).empty
    x[:, [500, 1500]] += 0.5  # 1 mV: 0.25 mV/ms
    assert detect_pacing_spikes(x, 250)["sample"].tolist() == [500, 1500]


@pytest.mark.parametrize("fs", [250, 500, 1000])
def test_no_spikes_in_noisy_unpaced_records(fs):
    # muscle noise, electrode artefacts and steep QRS upstrokes are not pacing spikes
    for seed in range(4):
        for condition in ("normal", "lvh", "rbbb"):
            ecg = simulate_record(condition, fs=fs, noise=2.0, random_state=seed)
            assert detect_pacing_spikes(ecg.signal, fs).empty, (condition, seed)


def test_single_lead_spike_is_not_pacing():
    # an isolated jump in one lead (a chest electrode pop reaches only its own lead) is not
    # a pacing spike
    x = np.zeros((12, 5000), dtype=np.float32)
    x[:, [1000, 3000]] += 2.0 * _electrode_spike(6)[:, None].astype(np.float32)
    assert int((np.abs(x[:, 1000]) > 0).sum()) == 1
    assert detect_pacing_spikes(x, 500).empty
    assert len(remove_pacing_spikes(x, 500, detect_pacing_spikes(x, 500))) == 12


def test_unpaced_record_is_not_flagged():
    ecg = simulate_record("lbbb", random_state=0)
    row = extract_record(ecg.signal, 500)
    assert row["paced"] == 0.0 and row["pacing_spike_count"] == 0


# --------------------------------------------------------------------------- bigeminy
def _true_pvcs(ecg) -> int:
    g = ecg.fiducials[ecg.fiducials["lead"] == "global"]
    return int(((g["beat_type"] == "V") & np.isfinite(g["R_peak"].to_numpy(float))).sum())


def test_bigeminy_simulation_truth():
    ecg = simulate_record("bigeminy", random_state=0)
    g = ecg.fiducials[ecg.fiducials["lead"] == "global"].dropna(subset=["R_peak"])
    types = g["beat_type"].tolist()
    assert all(a != b for a, b in zip(types, types[1:]))  # N and V alternate
    assert {"PVC": 100.0, "BIGU": 0.0}.items() <= ecg.info["scp_codes"].items()
    n = g[g["beat_type"] == "N"]
    # the truth QRS and PR are the sinus beats' (not the PVCs')
    assert ecg.info["qrs_ms"] == np.nanmedian((n["QRS_off"] - n["QRS_on"]) * 2.0)
    assert ecg.info["pr_ms"] == np.nanmedian((n["QRS_on"] - n["P_on"]) * 2.0)


def test_bigeminy_measured_on_the_dominant_sinus_beats():
    # today: PVC count 0, QRS 186 ms (the PVC width), PR NaN in such strips (7 of 12 reported
    # the PVC width), because the median beat was built from all beats
    bad = []
    for seed in range(12):
        ecg = simulate_record("bigeminy", random_state=seed)
        row = extract_record(ecg.signal, 500)
        n_pvc = _true_pvcs(ecg)
        ok = (abs(row["PVC_count"] - n_pvc) <= 1
              and abs(row["QRS_duration_ms"] - ecg.info["qrs_ms"]) <= 20
              and abs(row["PR_interval_ms"] - ecg.info["pr_ms"]) <= 20)
        if not ok:
            bad.append((seed, n_pvc, row["PVC_count"], ecg.info["qrs_ms"], row["QRS_duration_ms"],
                        ecg.info["pr_ms"], row["PR_interval_ms"]))
        # never the PVC's width: the QRS is nearer the sinus QRS than the PVCs'
        g = ecg.fiducials[ecg.fiducials["lead"] == "global"]
        v = g[g["beat_type"] == "V"].dropna(subset=["QRS_on", "QRS_off"])
        pvc_qrs = float(np.median(v["QRS_off"] - v["QRS_on"]) * 2.0)
        assert abs(row["QRS_duration_ms"] - ecg.info["qrs_ms"]) < abs(row["QRS_duration_ms"] - pvc_qrs)
    assert bad == [], bad


def test_issue_bigeminy_strip_values():
    # the issue's strip: about 6-7 PVCs, QRS about 81 ms... (seed 3 here: truth QRS 80 ms,
    # PR 170 ms, 6 PVCs in the 10 s)
    ecg = simulate_record("bigeminy", random_state=3)
    row = extract_record(ecg.signal, 500)
    assert row["PVC_count"] == _true_pvcs(ecg)
    assert row["QRS_duration_ms"] == pytest.approx(ecg.info["qrs_ms"], abs=20)
    # PR: 12 ms. The simulator's P onset is the earliest lead's at 1 % of the P peak; the
    # package's global P onset is the median lead's since issue 10's P-duration fix
    # (Params.p_cons_q), which brought PR closer to LUDB's cardiologists (mean |diff| 9.5 ->
    # 8.7 ms against their earliest marks) and moved this record's PR 168 -> 159 ms (truth 170)
    assert row["PR_interval_ms"] == pytest.approx(ecg.info["pr_ms"], abs=12)
    assert row["n_beats_dominant"] == row["n_beats"] - row["PVC_count"]


def test_isolated_pvcs_still_counted():
    # the classification keeps its behaviour where the dominant beats are the majority
    for seed in range(4):
        ecg = simulate_record("pvc", random_state=seed)
        row = extract_record(ecg.signal, 500)
        assert abs(row["PVC_count"] - _true_pvcs(ecg)) <= 1, seed
        assert abs(row["QRS_duration_ms"] - ecg.info["qrs_ms"]) <= 20


def test_morphology_classes_and_dominant_choice():
    fs = 500
    t = np.arange(-0.06, 0.10, 1 / fs)
    narrow = np.exp(-0.5 * (t / 0.01) ** 2)
    wide = -1.5 * np.exp(-0.5 * ((t - 0.03) / 0.03) ** 2)
    sig = np.zeros((2, 6500))
    anchors, widths, kinds = [], [], []
    pos = 400
    for k in range(11):  # bigeminy: N (after a pause) then a premature V, V first
        kind = "V" if k % 2 == 0 else "N"
        sig[:, pos - 30 : pos + 50] += (wide if kind == "V" else narrow)[None]
        anchors.append(pos)
        widths.append(60 if kind == "V" else 20)
        kinds.append(kind)
        pos += 450 if kind == "V" else 300  # pause after the PVC, short coupling before the next
    a = np.array(anchors)
    fid = pd.DataFrame({"lead": "global", "beat": range(len(a)), "R_peak": a, "QRS_on": a - 20,
                        "QRS_off": a + np.array(widths) - 20})
    table = classify_beats(sig, fs, fid)
    labels = table.beats["label"].tolist()
    assert labels == ["PVC" if k == "V" else "N" for k in kinds]
    assert frequent_ectopy_regular(table)
    assert len(set(morphology_classes(np.stack([narrow, narrow * 1.1, wide])).tolist())) == 2


# --------------------------------------------------------------------------- real records
def test_ptbxl_pace_records_flagged(ptbxl_root):
    from interp_ecg.io import read_ptbxl

    ds = read_ptbxl(ptbxl_root, sampling_rate=500)
    pace = ds.labels.index[ds.labels["PACE"] > 0]
    assert len(pace) == 6
    for rid in pace:
        rec = ds.load(rid)
        assert len(detect_pacing_spikes(rec.signal, rec.fs)) >= PACED_MIN_SPIKES, rid
    others = [r for r in ds.meta.index if r not in set(pace)][:120]
    flagged = [r for r in others if len(detect_pacing_spikes(ds.load(r).signal, 500)) >= PACED_MIN_SPIKES]
    assert flagged == []


@pytest.mark.slow  # reading LUDB (200 records with their annotations) takes ~40 s on 2 cores
def test_ludb_paced_records_flagged(ludb_root):
    from interp_ecg.io import read_ludb

    ds = read_ludb(ludb_root)
    paced = ds.meta["pacing"].fillna("").astype(str).str.strip() != ""
    assert paced.sum() == 10
    pos = {r: i for i, r in enumerate(ds.meta.index)}
    # the paced records and every fourth other record (the whole database takes minutes)
    ids = list(paced.index[paced]) + list(paced.index[~paced])[::4]
    found = {r: len(detect_pacing_spikes(np.asarray(ds.signals[pos[r]]), ds.fs)) for r in ids}
    # 6 of 10 are flagged (unipolar spikes); in 8 and 90 one spike stands out, in 93
    # (biventricular) and 111 (bipolar) none: their spikes are attenuated under 0.2 mV/ms
    assert sum(found[r] >= PACED_MIN_SPIKES for r in paced.index[paced]) >= 6
    assert [r for r in ids if not paced[r] and found[r] >= PACED_MIN_SPIKES] == []


def test_ptbxl_paced_record_beats_not_doubled(ptbxl_root, caplog):
    from interp_ecg.io import read_ptbxl

    ds = read_ptbxl(ptbxl_root, sampling_rate=500)
    caplog.set_level(logging.ERROR)
    rec = ds.load(385)  # PACE; spikes at every QRS in most leads
    row = extract_record(rec)
    assert row["paced"] == 1.0
    spikes = detect_pacing_spikes(rec.signal, rec.fs)
    # one beat per ventricular spike at most, give or take the record's edges
    assert row["n_beats"] <= len(spikes) + 2


def test_detection_within_refractory_period_is_not_a_beat():
    # a P wave (or an artefact) taken for a QRS 100 ms before a real beat is not counted
    fs = 500
    t = np.arange(-0.06, 0.10, 1 / fs)
    narrow = np.exp(-0.5 * (t / 0.01) ** 2)
    sig = np.zeros((1, 5000))
    beats = [400, 900, 1400, 1900, 2400, 2900]
    for a in beats:
        sig[0, a - 30 : a + 50] += narrow
    sig[0, 1350 - 5 : 1350 + 5] += 0.1  # a small bump, 100 ms before the third beat
    r = np.array(sorted(beats + [1350]))
    fid = pd.DataFrame({"lead": "global", "beat": range(len(r)), "R_peak": r, "QRS_on": r - 20, "QRS_off": r + 20})
    table = classify_beats(sig, fs, fid)
    assert table.beats["anchor"].tolist() == beats
    assert (table.beats["label"] == "N").all()
