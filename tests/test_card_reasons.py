"""Prototype cards give the reason behind the NaN they explain, from the measurement itself.

A card explains a missing interval with the delineator's reason for each beat. Those reasons
used to come from a second delineation of the *raw* record, while the intervals were measured
on the processed signal (mains notched, pacemaker spikes removed, invalid samples bridged,
unusable leads set aside). With mains hum the two delineations disagree: the raw one called the
edge-cut first beat of a sinus record "no P wave time-locked to the QRS (atrial
fibrillation/flutter?)", and an AF record's beats "P_on not found". The reason now travels with
the measurement (beat table column ``reason``) and the cards read it from there.
"""

from __future__ import annotations

import numpy as np
import pytest

AF_TEXT = "no P wave time-locked to the QRS (atrial fibrillation/flutter?)"
EDGE_TEXT = "beat cut by the record edge"
FS = 500


def _with_mains_hum(condition: str, seed: int):
    """A simulated 10 s, 500 Hz record with 0.3 mV of 50 Hz hum in every lead (notched out by
    the measurement, not by a delineation of the raw signal)."""
    from interp_ecg.io.dataset import Record
    from interp_ecg.io.leads import STANDARD_LEADS
    from interp_ecg.simulate import simulate_record

    sig, _, _ = simulate_record(condition, fs=FS, random_state=seed)
    t = np.arange(sig.shape[1]) / FS
    sig = (sig + 0.3 * np.sin(2 * np.pi * 50.0 * t)[None, :]).astype(np.float32)
    return Record(f"{condition}-{seed}-hum", sig, float(FS), list(STANDARD_LEADS), source="")


@pytest.fixture()
def no_second_delineation(monkeypatch):
    """Records every call of ``interp_ecg.features.delineate`` (the public entry point the cards
    used for their second delineation); the measurement itself goes through the delineation
    package and is not counted."""
    import interp_ecg.features as features

    calls: list[tuple] = []
    real = features.delineate

    def spy(*args, **kwargs):
        calls.append((args[1:2], kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(features, "delineate", spy)
    return calls


def test_beat_table_carries_the_delineator_reason_of_the_measured_delineation():
    from interp_ecg.features import extract_beats, measured_fiducials
    from interp_ecg.features.extract import BEAT_COLUMNS

    rec = _with_mains_hum("afib", 3)
    beats = extract_beats(rec)
    assert "reason" in BEAT_COLUMNS and list(beats.columns) == ["record_id", *BEAT_COLUMNS]
    fid = measured_fiducials(rec)
    # the very rows the fiducials come from: same beats, same reasons
    g_b = beats[beats["lead"] == "global"].set_index("beat")["reason"]
    g_f = fid[fid["lead"] == "global"].set_index("beat")["reason"]
    assert g_b.to_dict() == g_f.to_dict()
    # AF: no P wave in any beat, and the measurement says why in every consensus row
    glob = beats[beats["lead"] == "global"]
    assert glob["P_on"].isna().all()
    assert all(AF_TEXT in r for r in glob["reason"]), glob["reason"].tolist()


def test_af_card_gives_the_af_reason_on_every_beat(no_second_delineation):
    from interp_ecg.explain.prototype_cards import measure_source

    rec = _with_mains_hum("afib", 3)
    measured, seg, why = measure_source(rec, 0.0, 10.0, ["II"])
    n = int(seg.fiducials["dominant"].sum())  # the intervals are the medians over the dominant beats
    # was "P_on not found on 20 of 20 beats" (the raw record's delineation, with the hum, found
    # no beat-level reason to match)
    assert why == f"not measurable on the window's beats: P_duration_ms, PR_interval_ms: {AF_TEXT} on {n} of {n} beats"
    assert no_second_delineation == []
    assert measured["n_beats_in_window"] >= 10 and (seg.fiducials["reason"] == AF_TEXT).all()


def test_edge_cut_beat_of_a_sinus_record_says_the_edge_not_af(no_second_delineation):
    from interp_ecg.explain.prototype_cards import measure_source
    from interp_ecg.features import extract_beats

    rec = _with_mains_hum("normal", 0)
    measured, seg, why = measure_source(rec, 0.0, 0.2, ["II"])
    # was "no P wave time-locked to the QRS (atrial fibrillation/flutter?) on 1 of 1 beat":
    # atrial fibrillation said of a sinus record, from a second delineation of the raw signal
    assert why == ("not measurable on the window's beats: P_duration_ms, PR_interval_ms: "
                   f"{EDGE_TEXT} on 1 of 1 beat; QTc_Bazett_ms: no preceding RR interval, first beat "
                   "of the record on 1 of 1 beat; RR_mean_ms, heart_rate_bpm, RR_sd_ms, RR_irregularity: "
                   "0 RR interval(s) end inside the window (RR_sd_ms needs 2, RR_irregularity 3)")
    # every NaN of the card has its reason (the rhythm numbers too: fourth new user's trial)
    for name in ("RR_mean_ms", "heart_rate_bpm", "RR_sd_ms", "RR_irregularity"):
        assert np.isnan(measured[name]) and name in why
    assert "atrial fibrillation" not in why
    assert no_second_delineation == []
    # the premise, from the measurement: the window holds the first beat, cut by the record
    # edge (its P wave would lie before the first sample), and the other beats have their P wave
    glob = extract_beats(rec).query("lead == 'global'")
    first = glob.iloc[0]
    assert measured["n_beats_in_window"] == 1 and seg.fiducials["beat"].tolist() == [first["beat"]]
    assert EDGE_TEXT in first["reason"] and np.isnan(first["P_on"])
    assert glob["P_on"].iloc[1:].notna().all()


def test_missing_reasons_reads_the_reason_column_and_says_not_found_without_it():
    import pandas as pd

    from interp_ecg.explain.prototype_cards import missing_reasons

    beats = pd.DataFrame({"P_on": [np.nan, np.nan, 300.0], "P_off": [np.nan, np.nan, 340.0],
                          "QRS_on": [100.0, 600.0, 1100.0], "QRS_off": [150.0, 650.0, 1150.0],
                          "T_off": [400.0, 900.0, np.nan], "RR_prev_ms": [np.nan, 1000.0, 1000.0],
                          "reason": [EDGE_TEXT, AF_TEXT, EDGE_TEXT]})
    text = missing_reasons(beats, ["P_duration_ms", "QT_interval_ms"])
    assert text == (f"P_duration_ms: {EDGE_TEXT} on 1 of 3 beats, {AF_TEXT} on 1 of 3 beats; "
                    f"QT_interval_ms: {EDGE_TEXT} on 1 of 3 beats")
    # no reason column (a custom delineator that gives none): the fiducial is named, no cause guessed
    text = missing_reasons(beats.drop(columns="reason"), ["P_duration_ms"])
    assert text == "P_duration_ms: P_on not found on 2 of 3 beats"
