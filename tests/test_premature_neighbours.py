"""Premature beats must not make a neighbouring beat's measurements silently wrong
(helper "prem", findings of user 8: A1 QT in bigeminy, A7 P waves with PACs, A5 HRV)."""
from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

from interp_ecg.features import delineate, extract_record
from interp_ecg.features.delineation.params import Params
from interp_ecg.features.delineation.waves import t_waves
from interp_ecg.simulate.record import simulate_record


# ----------------------------------------------------------------------------- A1: QT
@pytest.mark.parametrize("fs", [500, 250])
@pytest.mark.parametrize("seed", [0, 2])
def test_qt_of_sinus_beats_in_bigeminy_reaches_their_own_t_end(fs, seed):
    """Simulator truth: the sinus T wave ends before the PVC; the T search used to stop at
    62 % of the coupling interval (QT 416 read 317 ms, seed 0 at 500 Hz)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sig, _, info = simulate_record("bigeminy", fs=fs, noise=0, random_state=seed)
        row = extract_record(sig, fs=fs)
    # the simulated normal records read their QT within -6..+4 ms: allow the same plus
    # the truncation of a T tail that runs up to the PVC (<= 25 ms measured)
    assert abs(row["QT_interval_ms"] - info["qt_ms"]) <= 25, (row["QT_interval_ms"], info["qt_ms"])
    assert abs(row["QTc_Bazett_ms"] - info["qtc_bazett_ms"]) <= 30


def test_t_search_before_a_premature_beat_stops_at_its_qrs_onset_not_at_a_share_of_rr():
    """One positive T wave (peak R + 300 ms, end R + 400 ms) followed by a premature QRS at
    R + 470 ms: with the next RR of 490 ms the old bound (0.62 x 490 = R + 304 ms) cut it."""
    fs = 500.0
    p = Params()
    n = 2000
    t = np.arange(n)
    r = np.array([500])
    x = 0.3 * np.exp(-0.5 * ((t - (r[0] + 150)) / 20.0) ** 2)   # T peak at R + 300 ms
    dx = np.gradient(x)
    j = np.array([r[0] + 25])
    rr_next = np.array([245.0])                                   # 490 ms: premature
    cut = t_waves(x[None], dx[None], r, j, rr_next, fs, p)
    assert cut["stop"][0] <= r[0] + 0.62 * 245 + 1               # the old bound
    full = t_waves(x[None], dx[None], r, j, rr_next, fs, p, rr_cycle=np.array([400.0]),
                   next_on=np.array([r[0] + 235.0]))
    # the search now reaches the next QRS onset less the guard
    assert full["stop"][0] == r[0] + 235 - round(p.t_next_qrs_guard_s * fs)
    assert abs(full["peak"][0, 0] - (r[0] + 150)) <= 2
    assert r[0] + 170 <= full["off"][0, 0] <= r[0] + 215          # the T end, not the bound
    assert not full["hidden"][0, 0]


def test_t_end_under_the_next_qrs_is_nan_with_a_reason():
    """A T wave still high when the premature QRS starts: its end is not in the signal."""
    fs = 500.0
    p = Params()
    t = np.arange(2000)
    r = np.array([500])
    x = 0.3 * np.exp(-0.5 * ((t - (r[0] + 150)) / 30.0) ** 2)
    full = t_waves(x[None], np.gradient(x)[None], r, np.array([r[0] + 25]), np.array([200.0]),
                   fs, p, rr_cycle=np.array([400.0]), next_on=np.array([r[0] + 175.0]))
    assert full["hidden"][0, 0]


def test_normal_record_t_search_is_unchanged_by_the_premature_rule():
    """No premature beat: identical fiducials with and without the next QRS onsets."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sig, _, _ = simulate_record("normal", fs=500, noise=0.02, random_state=1)
    d = delineate(sig, 500, return_reasons=True)
    g = d[d.lead == "global"]
    assert g["T_off"].notna().sum() >= len(g) - 2
    assert not d["reason"].str.contains("hidden by the next").any()



# ------------------------------------------------------------------- A7: P waves with PACs
def test_dominant_rr_irregularity_leaves_out_premature_beats_and_pauses():
    from interp_ecg.features.delineation.stages import (dominant_rr_irregular, premature_beats,
                                                        rr_is_irregular)
    p = Params()
    rr = [300, 300, 305, 200, 420, 300, 298, 205, 410, 300, 302, 300]   # sinus + 2 PACs
    r = np.cumsum([0] + rr).astype(float)
    prev = np.r_[300.0, np.diff(r)]
    dom = ~premature_beats(prev, np.r_[np.diff(r), np.nan], p)
    assert dom.sum() == r.size - 2
    assert rr_is_irregular(r, p) and not dominant_rr_irregular(r, dom, p)
    rng = np.random.default_rng(0)
    af = np.cumsum(np.r_[0, rng.uniform(200, 450, 20)])
    prev = np.r_[np.median(np.diff(af)), np.diff(af)]
    dom = ~premature_beats(prev, np.r_[np.diff(af), np.nan], p)
    assert dominant_rr_irregular(af, dom, p)


@pytest.mark.parametrize("rid", ["JS20004", "JS20017"])
def test_sinus_tachycardia_with_pacs_keeps_its_p_waves(shared_data, rid):
    """CinC 2021 Ningbo, labelled PAC + sinus tachycardia (no AF): upright P waves before
    the sinus QRS complexes. Before: P_wave_presence_fraction 0.00 and PR NaN (the AF
    pattern)."""
    from interp_ecg import io
    ds = io.read_cinc(shared_data / "cinc2021")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = extract_record(ds.subset([rid])[0])
    assert row["P_wave_presence_fraction"] >= 0.5
    assert 80 <= row["PR_interval_ms"] <= 250


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_simulated_af_still_has_no_p_wave(seed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sig, _, _ = simulate_record("afib", fs=500, noise=0.05, random_state=seed)
    d = delineate(sig, 500)
    assert d.loc[d.lead == "global", "P_on"].isna().all()


# ------------------------------------------------------------------- A5: NN intervals
def test_borderline_atrial_premature_beat_is_left_out_of_nn_by_its_short_long_pattern():
    """MIT-BIH 100, first 20 s (annotated intervals): the APC's coupling interval is 81.5 %
    of the local reference (not under 80 %), the pause after it 124 %. Task Force (1996)
    NN leaves out the 653 and 994 ms intervals."""
    from interp_ecg.features.rhythm import normal_to_normal, premature_beats, rr_features
    rr = np.array([814, 811, 789, 792, 789, 817, 653, 994, 844, 800, 805, 790.0])
    prem = premature_beats(rr)
    assert prem.tolist() == [i == 7 for i in range(rr.size + 1)]
    nn, _, regular = normal_to_normal(rr, np.ones(rr.size + 1, bool))
    assert regular and not nn[6] and not nn[7] and nn[[0, 1, 2, 3, 4, 5, 8, 9, 10]].all()
    f = rr_features(np.r_[0, np.cumsum(rr)] * 0.36, 360.0, np.ones(rr.size + 1, bool))
    keep = rr[nn]
    assert f["SDNN_ms"] == pytest.approx(np.std(keep, ddof=1), abs=0.05)


def test_sinus_arrhythmia_and_one_long_interval_are_not_premature():
    from interp_ecg.features.rhythm import premature_beats
    # gradual respiratory change, 10 % steps
    assert not premature_beats(np.array([800, 860, 930, 1000, 930, 860, 800, 860, 930.0])).any()
    # a single long interval (a sinus pause or dropped beat) without a short one before it
    assert not premature_beats(np.array([800, 810, 790, 800, 1000, 800, 805, 795.0])).any()
    # short by 8 % then long: no
    assert not premature_beats(np.array([800, 810, 790, 800, 740, 900, 800, 805, 795.0])).any()


def test_mit_bih_100_hrv_leaves_out_its_borderline_apc(wfdb_sample_root):
    """extract_record on MIT-BIH 100 (first 20 s, MLII + V5): before SDNN 56.0, RMSSD 89.9,
    pNN50 17.4; the annotation NN values are 24.7, 28.8 and 5.0."""
    import wfdb
    m = wfdb.rdrecord(str(wfdb_sample_root / "100"), sampto=360 * 20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = extract_record(m.p_signal.T, fs=360, leads=m.sig_name)
    assert row["SDNN_ms"] == pytest.approx(24.7, abs=2.0)
    assert row["RMSSD_ms"] == pytest.approx(28.8, abs=2.0)
    assert row["pNN50"] == pytest.approx(5.0, abs=0.1)
    assert "1 premature beat(s)" in row["quality_reason"]



def test_t_search_before_a_narrow_premature_beat_does_not_take_its_p_wave(shared_data):
    """CinC JS20014 (atrial bigeminy): a PAC's P wave lies between the T wave before it and
    its QRS. Extending the T search to every premature beat's QRS onset read that P as the
    T end (+48 ms) and the PACs lost their P waves (presence 0.73 -> 0.55): the extension is
    only for premature beats whose QRS is wider than the beat before (ventricular). The
    narrow PAC (beat 10, QRS 4488) keeps its P (main: 4413) and the T before it ends first
    (main: 4405)."""
    from interp_ecg import io
    ds = io.read_cinc(shared_data / "cinc2021")
    rec = ds.subset(["JS20014"])[0]
    d = delineate(rec.signal, rec.fs, leads=rec.leads)
    g = d[d.lead == "global"].reset_index(drop=True)
    k = int(np.argmin(np.abs(g["QRS_on"].to_numpy() - 4488)))
    assert abs(g["QRS_on"][k] - 4488) <= 5
    assert abs(g["P_on"][k] - 4413) <= 5
    assert g["T_off"][k - 1] < g["P_on"][k]


def test_record_row_says_when_no_p_wave_is_time_locked():
    """P_wave_presence_fraction 0 with PR NaN is the pattern of AF, and a sinus rhythm whose P
    waves the time-lock rule rejected reads the same: the record row names the rule (user 8,
    A7; user 10). A sinus record carries no such note."""
    import logging

    from interp_ecg.features import extract_record
    from interp_ecg.simulate.record import simulate_record

    logging.disable(logging.WARNING)
    try:
        af = extract_record(simulate_record("afib", fs=500, noise=0.3, random_state=0)[0], fs=500)
        sr = extract_record(simulate_record("normal", fs=500, noise=0.3, random_state=0)[0], fs=500)
    finally:
        logging.disable(logging.NOTSET)
    assert af["P_wave_presence_fraction"] == 0.0
    assert "no P wave time-locked to the QRS in 10 of 10 beats" in af["quality_reason"]
    assert sr["P_wave_presence_fraction"] > 0.9
    assert "time-locked" not in sr["quality_reason"]
