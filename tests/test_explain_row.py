"""Grounded sentences from a precomputed explanation (the CLI's `explain --record`) say where
each value was measured, and patient pages mark what the sentences locate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shap

from interp_ecg.explain import Attribution, explain_row, interval_mark, sentences_and_marks


def _explanation(output_space: str = "probability"):
    names = ["QRS_duration_ms", "heart_rate_bpm", "age", "R_amp_mV_V5"]
    values = np.array([[0.30, -0.10, 0.05, 0.0]])
    data = np.array([[148.0, 112.0, 61.0, 1.2]])
    ex = shap.Explanation(values=values, data=data, feature_names=names, base_values=np.array([0.2]))
    ex.output_space = output_space
    return ex


ROW = pd.Series({"QRS_duration_ms": 148.0, "QRS_duration_lead": "V1", "QRS_duration_beat": 3.0,
                 "QRS_duration_start_sample": 1204.0, "QRS_duration_end_sample": 1278.0, "n_beats": 12.0})


def test_interval_sentence_names_lead_and_samples_from_the_feature_row():
    out = explain_row(_explanation(), 0, feature_row=ROW, top=4, target="WCT").sentences()
    qrs = next(s for s in out if s.startswith("QRS"))
    assert "148 ms" in qrs and "multi-lead consensus" in qrs and "lead V1" not in qrs
    assert "beat 4 of 12" in qrs and "sample 1204" in qrs and "sample 1278" in qrs
    assert qrs.endswith("raised the WCT probability by 0.30")
    rate = next(s for s in out if "heart rate" in s.lower())
    assert "over 12 beats" in rate and "lowered the WCT probability by 0.10" in rate
    age = next(s for s in out if s.lower().startswith("age"))
    assert "measured" not in age and "lead" not in age  # no location is invented
    assert len(out) == 3  # a zero attribution says nothing


def test_without_provenance_no_location_is_given_and_values_add_up():
    ge = explain_row(_explanation(), 0, top=3)
    assert not any("samples" in s or "measured in" in s for s in ge.sentences())
    assert np.isclose(ge.base_probability, 0.2) and np.isclose(ge.probability, 0.2 + 0.25)


def test_margin_space_explanations_speak_of_log_odds():
    out = explain_row(_explanation("margin"), 0, top=1, target="WCT").sentences()
    assert out[0].endswith("raised the WCT log-odds by 0.30")


def test_marks_bracket_located_attributions_and_consensus_goes_to_the_rhythm_strip():
    located = Attribution("QT_interval_ms", 400.0, "ms", 0.1, "global", 1000.0, 1200.0, sentence="QT ...")
    qtc = Attribution("QTc_Bazett_ms", 450.0, "ms", 0.1, "V2", 1000.0, 1200.0, sentence="QTc ...")
    unlocated = Attribution("age", 61.0, "years", 0.05, None, sentence="Age ...")
    sentences, marks = sentences_and_marks([located, qtc, unlocated], fs=500.0)
    assert sentences == ["QT ... (marked on the lead II rhythm strip)", "QTc ... (marked in lead V2)", "Age ..."]
    assert marks == [{"lead": "global", "start": 1000.0, "end": 1200.0, "label": "QT 400 ms"},
                     {"lead": "V2", "start": 1000.0, "end": 1200.0, "label": "QT 400 ms (for QTc)"}]
    # a record without lead II: the consensus is not marked, and the sentence does not claim it
    sentences, marks = sentences_and_marks([located], fs=500.0, leads=["I", "V5"])
    assert sentences == ["QT ..."] and marks == []


def test_interval_mark_needs_lead_and_both_samples():
    assert interval_mark(ROW)["label"] == "QRS median 148 ms"
    assert interval_mark(ROW, fs=500.0)["label"] == "QRS 148 ms"  # the bracketed beat's own span
    assert interval_mark(ROW.drop("QRS_duration_end_sample")) is None
    assert interval_mark(ROW)["lead"] == "global"  # consensus samples, whatever the closest lead
