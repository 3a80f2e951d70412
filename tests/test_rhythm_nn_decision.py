"""Normal-to-normal intervals need a sinus rhythm (user17 finding 1).

NN intervals are between beats of sinus origin (Task Force of the ESC and NASPE,
Circulation 93:1043 (1996)); in atrial fibrillation there are none. The one decision
(``rhythm.sinus_rhythm``: a P wave before more than half of the dominant beats) sets
SDNN/RMSSD/pNN50 and the sentence about them. Before: the regularity gate decided, and in
atrial fibrillation it reported "premature beats ... left out of the normal-to-normal
intervals" (PTB-XL 282, 318), or no HRV sentence (PTB-XL 307), and in sinus arrhythmia it
put atrial premature beats back (PTB-XL 316: SDNN 300 ms).
"""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.errors import ArgumentError
from interp_ecg.features import extract_record
from interp_ecg.features.rhythm import SINUS_P_MIN_FRACTION, premature_beats, rr_features, sinus_rhythm

FS = 500.0
NO_NN = "SDNN_ms, RMSSD_ms, pNN50: no normal-to-normal intervals"


def _anchors(rr_ms) -> np.ndarray:
    return np.r_[0.0, np.cumsum(rr_ms)] * FS / 1000.0


def test_the_decision_is_the_share_of_dominant_beats_with_a_p_wave():
    dom = np.ones(10, bool)
    p = np.zeros(10, bool)
    p[:5] = True  # exactly half: not more than SINUS_P_MIN_FRACTION
    assert SINUS_P_MIN_FRACTION == 0.5
    assert not sinus_rhythm(dom, p)[0]
    p[5] = True
    assert sinus_rhythm(dom, p) == (True, "")
    # only the dominant beats count (a PVC has no P wave and says nothing about the sinus node)
    dom2 = dom.copy()
    dom2[[6, 7, 8, 9]] = False
    assert sinus_rhythm(dom2, np.r_[np.ones(4, bool), np.zeros(6, bool)])[0]
    with pytest.raises(ArgumentError, match="p_wave has 3 value"):
        sinus_rhythm(dom, np.ones(3, bool))


def test_regular_rhythm_without_p_waves_has_no_nn_intervals():
    # a regular junctional/ventricular/SVT rhythm: RR perfectly known, no sinus beat
    t = np.arange(12) * 200.0  # 400 ms at 500 Hz, 150 bpm
    f, why = rr_features(t, FS, np.ones(12, bool), return_reasons=True, p_wave=np.zeros(12, bool))
    assert f["heart_rate_bpm"] == pytest.approx(150.0) and f["RR_sd_ms"] == 0.0
    assert np.isnan(f["SDNN_ms"]) and np.isnan(f["RMSSD_ms"]) and np.isnan(f["pNN50"])
    assert f["RR_irregularity"] == 0.0
    assert any(w.startswith(NO_NN) and "0 of the 12 dominant beats" in w for w in why), why


def test_short_coupled_beat_without_p_wave_is_premature_without_a_pause():
    # PTB-XL 316's RR (sinus arrhythmia, two atrial premature beats without the sinus P
    # wave): the 604 ms beat is followed by 1132 ms, under 95 % of its reference (1207 ms)
    rr = np.array([993.5, 1029.0, 1302.6, 1282.0, 1332.0, 604.4, 1132.2, 574.0])
    p = np.array([True, False, True, True, True, True, False, True, False])
    assert premature_beats(rr).tolist() == [False] * 8 + [True]
    assert premature_beats(rr, p_wave=p).tolist() == [False] * 6 + [True, False, True]
    f, why = rr_features(_anchors(rr), FS, np.ones(9, bool), return_reasons=True, p_wave=p)
    # NN: the five intervals before the first premature beat; SD by hand
    assert f["SDNN_ms"] == pytest.approx(np.std([993.5, 1029.0, 1302.6, 1282.0, 1332.0], ddof=1))
    assert f["SDNN_ms"] == pytest.approx(162.6, abs=0.1)
    assert np.isnan(f["RMSSD_ms"])  # 4 successive differences
    assert any("2 premature beat(s)" in w for w in why), why
    assert not any("ventricular response" in w for w in why), why


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_simulated_atrial_fibrillation_reports_no_nn_statistics(seed):
    from interp_ecg.simulate import simulate_record

    sig, fid, info = simulate_record("afib", random_state=seed)
    r = extract_record(sig.astype("float32"), FS)
    if r["P_wave_presence_fraction"] > SINUS_P_MIN_FRACTION:
        pytest.skip(f"f-waves taken for P waves in seed {seed} (a delineator limit)")
    for c in ("SDNN_ms", "RMSSD_ms", "pNN50"):
        assert np.isnan(r[c]), (seed, c, r[c])
    assert NO_NN in r["quality_reason"]
    assert "left out of the normal-to-normal" not in r["quality_reason"]
    assert np.isfinite(r["RR_sd_ms"]) and np.isfinite(r["RR_irregularity"])


def test_simulated_sinus_rhythm_keeps_its_nn_statistics():
    from interp_ecg.simulate import simulate_record

    sig, fid, info = simulate_record("normal", random_state=0)
    r = extract_record(sig.astype("float32"), FS)
    assert r["P_wave_presence_fraction"] > 0.9
    assert np.isfinite(r["SDNN_ms"]) and np.isfinite(r["RMSSD_ms"])
    assert NO_NN not in r["quality_reason"]


@pytest.mark.parametrize("ecg_id", [282, 318, 307])
def test_ptbxl_atrial_fibrillation_has_no_nn_intervals(ptbxl_root, ecg_id):
    # before: 282 and 318 "3 [1] premature beat(s) ... left out of the normal-to-normal
    # intervals", 307 SDNN 353 ms with no sentence
    from interp_ecg.io import read_ptbxl

    s = extract_record(read_ptbxl(ptbxl_root, sampling_rate=500).load(ecg_id))
    assert s["P_wave_presence_fraction"] == 0.0
    assert np.isnan(s["SDNN_ms"]) and np.isnan(s["RMSSD_ms"]) and np.isnan(s["pNN50"])
    assert NO_NN in s["quality_reason"]
    assert "premature beat(s) shaped like" not in s["quality_reason"]
    assert s["RR_sd_ms"] > 40


def test_ptbxl_316_sinus_arrhythmia_leaves_its_atrial_premature_beats_out(ptbxl_root):
    # before: SDNN 300 ms over every interval, "the figures describe the ventricular response"
    from interp_ecg.io import read_ptbxl

    s = extract_record(read_ptbxl(ptbxl_root, sampling_rate=500).load(316))
    assert s["SDNN_ms"] == pytest.approx(162.6, abs=2.0)
    assert s["RR_sd_ms"] == pytest.approx(300.0, abs=2.0)
    assert "2 premature beat(s)" in s["quality_reason"]
    assert "ventricular response" not in s["quality_reason"]


@pytest.mark.parametrize("condition", ["vt", "svt"])
def test_simulated_non_sinus_tachycardia_has_no_nn_intervals(condition):
    # user17 finding 5: simulated VT 150 bpm read SDNN 5.9, RMSSD 9.1 ms as NN HRV, no sentence;
    # the simulator draws no P wave before these beats (truth PR NaN)
    from interp_ecg.simulate import simulate_record

    sig, fid, info = simulate_record(condition, random_state=1)
    assert np.isnan(info["pr_ms"])
    r = extract_record(sig.astype("float32"), FS)
    assert r["heart_rate_bpm"] == pytest.approx(info["heart_rate"], rel=0.01)
    assert np.isnan(r["SDNN_ms"]) and np.isnan(r["RMSSD_ms"]) and np.isnan(r["pNN50"])
    assert NO_NN in r["quality_reason"]


@pytest.mark.parametrize("ecg_id", [143, 190])
def test_ptbxl_paced_records_at_100_hz_have_no_nn_intervals(ptbxl_root, ecg_id):
    # at 100 Hz no pacemaker spike is seen (paced 0, a separate finding), but no P wave
    # precedes the beats either: no NN intervals (they read SDNN 0.8 / 9.2 ms as NN HRV)
    from interp_ecg.io import read_ptbxl

    s = extract_record(read_ptbxl(ptbxl_root, sampling_rate=100).load(ecg_id))
    assert np.isnan(s["SDNN_ms"]) and np.isnan(s["RMSSD_ms"])
    assert NO_NN in s["quality_reason"]


# --------------------------------------------------------------------------- QTc in AF (finding 6)
def test_qtc_rhythm_note_only_for_an_irregular_rhythm_without_p_waves():
    from interp_ecg.features.rhythm import QTC_FEATURES, qtc_rhythm_note

    af = _anchors([640, 910, 520, 780, 1010, 600, 870, 450])
    reg = _anchors([400.0] * 8)
    dom = np.ones(9, bool)
    note = qtc_rhythm_note(af, FS, dom, np.zeros(9, bool))
    assert note.startswith(", ".join(QTC_FEATURES)) and "450-1010 ms" in note
    assert qtc_rhythm_note(af, FS, dom, np.ones(9, bool)) == ""  # sinus: corrected
    assert qtc_rhythm_note(reg, FS, dom, np.zeros(9, bool)) == ""  # regular VT/flutter/paced: corrected
    assert qtc_rhythm_note(af, FS, dom, None) != ""  # no P information: irregularity decides


def test_simulated_atrial_fibrillation_reports_no_qtc():
    from interp_ecg.simulate import simulate_record

    sig, fid, info = simulate_record("afib", random_state=0)
    r = extract_record(sig.astype("float32"), FS)
    assert np.isfinite(r["QT_interval_ms"]) and np.isfinite(r["RR_mean_ms"])
    for c in ("QTc_Bazett_ms", "QTc_Fridericia_ms", "QTc_Framingham_ms", "QTc_Hodges_ms"):
        assert np.isnan(r[c]), c
    assert "not corrected in an irregular rhythm without sinus P waves" in r["quality_reason"]


def test_ptbxl_318_atrial_fibrillation_reports_no_qtc_and_sinus_316_does(ptbxl_root):
    # 318 (AFIB, RR 376-853 ms): QTc_Bazett 449 ms from the median QT and the mean RR before
    from interp_ecg.io import read_ptbxl

    ds = read_ptbxl(ptbxl_root, sampling_rate=500)
    s = extract_record(ds.load(318))
    assert np.isnan(s["QTc_Bazett_ms"]) and np.isnan(s["QTc_Hodges_ms"])
    assert "376-853 ms" in s["quality_reason"]
    s2 = extract_record(ds.load(316))  # sinus arrhythmia: irregular but sinus, corrected
    assert s2["QTc_Bazett_ms"] == pytest.approx(s2["QT_interval_ms"] / np.sqrt(s2["RR_mean_ms"] / 1000.0))
