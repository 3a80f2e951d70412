"""HRV on normal-to-normal intervals: premature beats shaped like the dominant ones are left out.

HRV is defined on the intervals between consecutive normal (sinus) beats, intervals next to
an ectopic beat excluded (Task Force of the ESC and NASPE, Circulation 93:1043 (1996)).
Atrial premature beats have the dominant QRS shape, so the beat classes call them dominant;
``rhythm.normal_to_normal`` takes them out by their prematurity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.features import extract_record
from interp_ecg.features.rhythm import (
    HRV_FEATURES,
    MIN_NN_INTERVALS,
    normal_to_normal,
    premature_beats,
    rr_features,
)
from interp_ecg.features.synthetic import TruthDelineator
from interp_ecg.io.leads import STANDARD_LEADS

FS = 500.0


def _anchors(rr_ms) -> np.ndarray:
    return np.r_[0.0, np.cumsum(rr_ms)] * FS / 1000.0


def _all_dominant_intervals(rr: np.ndarray) -> dict[str, float]:
    """The HRV statistics over every interval (all beats dominant), as before the fix."""
    d = np.diff(rr)
    return {"SDNN_ms": float(np.std(rr, ddof=1)), "RMSSD_ms": float(np.sqrt(np.mean(d**2))),
            "pNN50": float(100 * np.mean(np.abs(d) > 50)),
            "RR_irregularity": float(np.sqrt(np.mean(d**2)) / rr.mean())}


def test_one_premature_beat_at_60_bpm_leaves_a_perfectly_regular_nn_series():
    # coupling 600 ms, compensatory pause 1400 ms; every other interval 1000 ms
    rr = np.array([1000, 1000, 1000, 1000, 600, 1400, 1000, 1000, 1000, 1000.0])
    f, why = rr_features(_anchors(rr), FS, np.ones(rr.size + 1, bool), return_reasons=True)
    assert f["SDNN_ms"] == 0.0 and f["RMSSD_ms"] == 0.0 and f["pNN50"] == 0.0
    # before the fix the pair counted as NN: RMSSD sqrt((400^2 + 800^2 + 400^2) / 9) = 326.6 ms
    assert _all_dominant_intervals(rr)["RMSSD_ms"] == pytest.approx(np.sqrt(960000 / 9))
    # the rhythm's irregularity and the all-interval statistics still see the pair
    assert f["RR_irregularity"] == pytest.approx(_all_dominant_intervals(rr)["RR_irregularity"])
    assert f["RR_sd_ms"] == pytest.approx(np.std(rr, ddof=1)) and f["RR_min_ms"] == 600.0
    assert "1 premature beat(s)" in "; ".join(why)
    assert premature_beats(rr).tolist() == [False] * 5 + [True] + [False] * 5


def test_nn_statistics_by_hand_around_a_premature_beat():
    rr = np.array([1000, 1020, 980, 600, 1400, 1000, 1040, 960, 1000.0])
    f = rr_features(_anchors(rr), FS, np.ones(rr.size + 1, bool))
    nn = np.array([1000, 1020, 980, 1000, 1040, 960, 1000.0])  # 600 and 1400 left out
    assert f["SDNN_ms"] == pytest.approx(np.std(nn, ddof=1))
    # successive differences within the two runs: +20, -40 and +40, -80, +40
    assert f["RMSSD_ms"] == pytest.approx(np.sqrt((400 + 1600 + 1600 + 6400 + 1600) / 5))
    assert f["pNN50"] == pytest.approx(20.0)  # one of five differences (80 ms) over 50 ms


def test_sinus_arrhythmia_keeps_every_interval():
    # smooth 900-1100 ms respiratory modulation with a P wave before every beat: a gradual
    # change, never premature, and sinus (its median absolute deviation, ~7 %, is over the
    # 6 % regularity bound, so without P-wave information it would not be taken as sinus)
    k = np.arange(14)
    rr = 1000 + 100 * np.sin(2 * np.pi * k / 5)
    p = np.ones(rr.size + 1, bool)
    f = rr_features(_anchors(rr), FS, np.ones(rr.size + 1, bool), p_wave=p)
    nn, prem, sinus = normal_to_normal(rr, np.ones(rr.size + 1, bool), p_wave=p)
    assert nn.all() and not prem.any() and sinus
    ref = _all_dominant_intervals(rr)
    for c in HRV_FEATURES:
        assert f[c] == pytest.approx(ref[c]), c


def test_a_pvc_and_an_atrial_premature_beat_in_one_record():
    # beat 4 is a PVC (not dominant), beat 9 an atrial premature beat (dominant shape)
    rr = np.array([800, 810, 790, 480, 1120, 800, 820, 800, 500, 900, 810, 790, 800, 805.0])
    dom = np.ones(rr.size + 1, bool)
    dom[4] = False
    f = rr_features(_anchors(rr), FS, dom)
    nn = np.array([800, 810, 790, 800, 820, 800, 810, 790, 800, 805.0])
    assert f["SDNN_ms"] == pytest.approx(np.std(nn, ddof=1))
    d = np.r_[np.diff([800, 810, 790.0]), np.diff([800, 820, 800.0]), np.diff([810, 790, 800, 805.0])]
    assert f["RMSSD_ms"] == pytest.approx(np.sqrt(np.mean(d**2)))


def test_too_few_successive_differences_give_nan_with_the_count():
    # two premature beats in 10 intervals: NN runs of 3 and 2 -> 3 successive differences
    rr = np.array([968, 964, 972, 649, 1199, 1106, 982, 663, 1164.0])
    f, why = rr_features(_anchors(rr), FS, np.ones(rr.size + 1, bool), return_reasons=True)
    assert f["SDNN_ms"] == pytest.approx(np.std([968, 964, 972, 1106, 982.0], ddof=1))
    assert np.isnan(f["RMSSD_ms"]) and np.isnan(f["pNN50"])
    text = "; ".join(why)
    assert f"RMSSD_ms, pNN50: 3 successive difference(s)" in text and f"at least {MIN_NN_INTERVALS}" in text
    assert "SDNN_ms" not in text and "RR_irregularity" not in text


def test_atrial_fibrillation_has_no_nn_intervals():
    # an irregularly irregular rhythm without P waves: no sinus beats, so no NN intervals
    # (Task Force 1996): SDNN/RMSSD/pNN50 NaN with the reason; RR_irregularity and RR_sd_ms
    # (the ventricular response) over every interval, unchanged. Before: the figures over
    # every interval were reported as NN statistics.
    rr = np.array([640, 910, 520, 780, 1010, 600, 870, 450, 720, 990, 560, 830, 700.0])
    dom = np.ones(rr.size + 1, bool)
    for p in (np.zeros(rr.size + 1, bool), None):  # P waves absent, or not given (the rest is irregular)
        nn, prem, sinus = normal_to_normal(rr, dom, p_wave=p)
        assert not sinus and not nn.any() and not prem.any()
        f, why = rr_features(_anchors(rr), FS, dom, return_reasons=True, p_wave=p)
        for c in ("SDNN_ms", "RMSSD_ms", "pNN50"):
            assert np.isnan(f[c]), c
        ref = _all_dominant_intervals(rr)
        assert f["RR_irregularity"] == pytest.approx(ref["RR_irregularity"])
        assert f["RR_sd_ms"] == pytest.approx(np.std(rr, ddof=1))
        text = "; ".join(why)
        assert "SDNN_ms, RMSSD_ms, pNN50: no normal-to-normal intervals" in text
        assert "ventricular response" in text and "premature" not in text.split("(less")[0]


def test_simulated_atrial_fibrillation_has_no_nn_intervals():
    from interp_ecg.simulate.rhythm import af_times

    for seed in range(40):
        t = af_times(90.0, 10.0, np.random.default_rng(seed))
        rr = np.diff(t[(t >= 0) & (t <= 10)]) * 1000.0
        dom = np.ones(rr.size + 1, bool)
        f = rr_features(_anchors(rr), FS, dom, p_wave=np.zeros(dom.size, bool))
        ref = _all_dominant_intervals(rr)
        assert f["RR_irregularity"] == pytest.approx(ref["RR_irregularity"]), seed
        assert np.isnan(f["SDNN_ms"]) and np.isnan(f["RMSSD_ms"]) and np.isnan(f["pNN50"]), seed


def _beats_ecg(qrs_on_ms: list[float], duration_s: float = 10.0, seed: int = 0):
    """12 leads of Gaussian P-QRS-T waves with QRS onsets at the given times (ms, on whole
    samples) and the exact delineation table (every lead and ``global``)."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * FS)
    t = np.arange(n) * 1000.0 / FS
    gain = rng.uniform(0.5, 1.5, (12, 4))
    gain[STANDARD_LEADS.index("aVR")] *= -1  # upright everywhere but aVR, as in sinus rhythm
    sig = rng.normal(0, 0.002, (12, n))
    rows = []
    for b, on in enumerate(qrs_on_ms):
        r, s, tp, pp = on + 40, on + 75, on + 280, on - 110
        for i, (wc, w) in enumerate([(r, 10.0), (s, 7.0), (tp, 40.0), (pp, 17.0)]):
            amp = np.array([1.5, -0.4, 0.35, 0.12])[i] * gain[:, i]
            sig += amp[:, None] * np.exp(-0.5 * ((t[None, :] - wc) / w) ** 2)
        fid = {"P_on": on - 160, "P_peak": pp, "P_off": on - 60, "QRS_on": on, "R_peak": r,
               "QRS_off": on + 96, "T_on": tp - 120, "T_peak": tp, "T_off": tp + 120}
        for lead in [*STANDARD_LEADS, "global"]:
            rows.append({"lead": lead, "beat": b, **{k: v * FS / 1000.0 for k, v in fid.items()}})
    return sig.astype(np.float32), pd.DataFrame(rows)


def test_record_with_a_premature_sinus_shaped_beat_measures_zero_hrv():
    # 60 bpm, the fifth beat 400 ms early (coupling 600 ms) with a full compensatory pause
    on = [300.0 + 1000 * k for k in range(10)]
    on[4] -= 400
    sig, truth = _beats_ecg(on)
    s = extract_record(sig, FS, method=TruthDelineator(truth))
    assert s["n_beats_dominant"] == s["n_beats"] == 10  # same QRS: dominant, not a PVC
    assert s["PVC_count"] == 0
    assert s["SDNN_ms"] == pytest.approx(0.0, abs=0.5)
    assert s["RMSSD_ms"] == pytest.approx(0.0, abs=0.5)
    assert s["pNN50"] == 0.0
    assert s["RR_min_ms"] == pytest.approx(600, abs=0.5) and s["RR_max_ms"] == pytest.approx(1400, abs=0.5)
    assert "1 premature beat(s)" in s["quality_reason"]


def test_ptbxl_176_atrial_premature_beats_leave_the_nn_intervals(ptbxl_root):
    # PTB-XL 176 (NORM, SR) at 500 Hz: 10 beats, all of the dominant shape, two of them
    # premature (RR 968, 964, 972, 649, 1199, 1106, 982, 663, 1164 ms). Before the fix:
    # SDNN 195.3, RMSSD 312.6 ms, pNN50 75 % from those 9 intervals
    from interp_ecg.io import read_ptbxl

    s = extract_record(read_ptbxl(ptbxl_root, sampling_rate=500).load(176))
    assert s["n_beats"] == 10 and s["n_beats_dominant"] == 10
    # NN: 968, 964, 972 and 1106, 982 (by hand: SD 60.8 ms); RMSSD from 3 differences: NaN
    assert s["SDNN_ms"] == pytest.approx(float(np.std([967.6, 963.9, 971.7, 1106.4, 981.7], ddof=1)), abs=2.0)
    assert np.isnan(s["RMSSD_ms"]) and np.isnan(s["pNN50"])
    assert "RMSSD_ms, pNN50: 3 successive difference(s)" in s["quality_reason"]
    assert "2 premature beat(s)" in s["quality_reason"]
    # the rhythm is irregular all the same: RR_irregularity keeps every interval
    assert s["RR_irregularity"] == pytest.approx(0.325, abs=0.01)


def test_explanation_says_what_each_rr_measure_is_over():
    """SDNN/RMSSD/pNN50 are over normal-to-normal intervals (premature beats left out);
    RR_irregularity is over every RR between dominant beats, premature ones included."""
    import pandas as pd

    from interp_ecg.explain.grounded import measurement_location

    row = pd.Series({"n_beats": 10, "n_beats_dominant": 10, "SDNN_ms": 60.8, "RR_irregularity": 0.325})
    sdnn = measurement_location("SDNN_ms", row)[3]
    irr = measurement_location("RR_irregularity", row)[3]
    assert "normal-to-normal" in sdnn and "premature and paced beats left out" in sdnn
    assert "normal-to-normal" not in irr and "RR intervals between 10 dominant beats" in irr


def test_atrial_trigeminy_is_not_taken_for_atrial_fibrillation():
    """Regular sinus at 760 ms with a premature atrial beat after every second sinus beat
    (760, 600, 900 ms, fourth new user's trial): the pauses after the premature beats are not
    part of the underlying rhythm, which is perfectly regular; the NN intervals are the four
    760 ms ones, under the minimum of 5, so SDNN/RMSSD/pNN50 are NaN with that reason (the
    gate used to call the rhythm irregular "as in atrial fibrillation" and report SDNN 128 ms)."""
    rr = [760, 600, 900] * 4
    t = np.concatenate([[0], np.cumsum(rr)]) / 2.0
    f, why = rr_features(t, 500, np.ones(t.size, bool), return_reasons=True)
    assert np.isnan(f["SDNN_ms"]) and np.isnan(f["RMSSD_ms"]) and np.isnan(f["pNN50"])
    assert any("4 normal-to-normal interval(s)" in w for w in why), why
    assert not any("atrial fibrillation" in w for w in why), why


def test_a_couplet_pauses_after_its_last_beat():
    """Two premature beats in a row: the pause follows the second; both are premature."""
    rr = [1000, 1000, 1000, 600, 600, 1400, 1000, 1000, 1000.0]
    prem = premature_beats(np.array(rr))
    assert prem.tolist() == [False, False, False, False, True, True, False, False, False, False]


def test_a_short_interval_without_a_pause_is_not_premature():
    """A short interval followed by another ordinary-or-short one (as in atrial fibrillation)
    is not a premature beat: a premature beat is followed by a pause."""
    rr = [1000, 1000, 1000, 700, 900, 1000, 1000, 1000.0]
    assert not premature_beats(np.array(rr)).any()


def test_paced_beats_are_not_normal_to_normal():
    """A fully ventricular-paced rhythm has no normal-to-normal interval: SDNN/RMSSD/pNN50 NaN
    with the reason (it read SDNN ~1 ms, the pacemaker's regularity); with a few paced beats
    in sinus rhythm only the intervals touching them are left out."""
    t = np.arange(0, 12) * 400.0  # 800 ms at 500 Hz
    f, why = rr_features(t, 500, np.ones(t.size, bool), return_reasons=True, paced=np.ones(t.size, bool))
    assert np.isnan(f["SDNN_ms"]) and np.isnan(f["RMSSD_ms"])
    assert any("12 ventricular-paced beat(s) left out" in w for w in why), why
    assert np.isfinite(f["RR_irregularity"])
    rr = np.array([800, 820, 790, 810, 800, 805, 795, 500, 800, 810, 790.0])
    t2 = np.concatenate([[0], np.cumsum(rr)]) / 2.0
    paced = np.zeros(t2.size, bool)
    paced[8] = True  # the beat after the 500 ms interval is paced
    f2 = rr_features(t2, 500, np.ones(t2.size, bool), paced=paced)
    nn = rr[[0, 1, 2, 3, 4, 5, 6, 9, 10]]
    assert f2["SDNN_ms"] == pytest.approx(np.std(nn, ddof=1))
