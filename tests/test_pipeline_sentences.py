"""Grounded sentences of the CLI/study pipeline say where each value was measured."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shap

from interp_ecg.studies.pipeline import sentences_for


def _explanation():
    names = ["QRS_duration_ms", "heart_rate_bpm", "age"]
    values = np.array([[0.30, -0.10, 0.05]])
    data = np.array([[148.0, 112.0, 61.0]])
    return shap.Explanation(values=values, data=data, feature_names=names, base_values=np.array([0.2]))


def test_interval_sentence_names_lead_and_samples_from_the_feature_row():
    row = pd.Series({"QRS_duration_lead": "V1", "QRS_duration_beat": 3.0,
                     "QRS_duration_start_sample": 1204.0, "QRS_duration_end_sample": 1278.0,
                     "n_beats": 12.0})
    X = pd.DataFrame(_explanation().data, columns=_explanation().feature_names)
    out = sentences_for(_explanation(), X, 0, top=3, provenance=row)
    qrs = next(s for s in out if s.startswith("QRS"))
    assert "148 ms" in qrs and "lead V1" in qrs and "1204" in qrs and "1278" in qrs and "up by 0.30" in qrs
    rate = next(s for s in out if "heart rate" in s.lower())
    assert "over 12 beats" in rate and "down by 0.10" in rate
    age = next(s for s in out if s.lower().startswith("age"))
    assert "measured" not in age and "lead" not in age  # no location is invented


def test_without_provenance_no_location_is_given():
    X = pd.DataFrame(_explanation().data, columns=_explanation().feature_names)
    out = sentences_for(_explanation(), X, 0, top=3)
    assert not any("samples" in s or "measured in" in s for s in out)
