"""A detection without QRS amplitude or slope is not a beat (user17 finding 7).

Simulated 2:1 AV block (every other sinus P wave not conducted, drawn as a P-only wave as
the simulator does for hidden sinus P waves): in seed 3 each blocked P wave was taken as a
beat and labelled PVC, heart rate 80.5 for a ventricular rate of 40.3 bpm, PVC_count 5.
"""

from __future__ import annotations

import numpy as np
import pytest

import interp_ecg.simulate.conditions as conditions
import interp_ecg.simulate.record as sim_record
from interp_ecg.features import extract_record
from interp_ecg.features.beat_classes import NOT_QRS_SHARES
from interp_ecg.simulate import simulate_record


def _two_to_one_block(monkeypatch):
    original = sim_record._beat_schedule

    def blocked(tr, duration, rng, tm):
        s = original(tr, duration, rng, tm)
        t = s["t"]
        keep = np.arange(t.size) % 2 == 0
        p_only = [*s["p_only"], *(t[~keep] + tm["N"].qrs_on - tr.pr)]
        return {"t": t[keep], "types": s["types"][keep], "p_only": np.asarray(p_only),
                "hr_target": s["hr_target"] / 2}

    monkeypatch.setattr(sim_record, "_beat_schedule", blocked)
    monkeypatch.setitem(conditions.HR_RANGE, "normal", (80, 80))


@pytest.mark.parametrize("seed", [0, 3])
def test_blocked_p_waves_are_not_beats(monkeypatch, seed):
    _two_to_one_block(monkeypatch)
    sig, fid, info = simulate_record("normal", noise=0.3, random_state=seed)
    r = extract_record(sig.astype("float32"), 500)
    assert info["heart_rate"] == pytest.approx(40.3, abs=0.2)
    assert r["heart_rate_bpm"] == pytest.approx(info["heart_rate"], abs=0.5)
    assert r["n_beats"] == 6 and r["PVC_count"] == 0


def test_real_pvcs_stay_beats():
    # simulated PVCs (wide, large) are kept and labelled
    sig, fid, info = simulate_record("bigeminy", random_state=0)
    r = extract_record(sig.astype("float32"), 500)
    assert r["PVC_count"] >= 4
    assert NOT_QRS_SHARES == (0.3, 0.6)
