"""rr_features and qtc refuse input they cannot measure (user17 finding 10).

Before: reversed beat times gave heart_rate_bpm -75; one NaN beat time gave pNN50 0.0 with
everything else NaN; a repeated beat time RR_min_ms 0.0; fs=0 infinite RR; a wrong-length
``dominant`` a bare numpy broadcast error; qtc(0, 800) a Framingham QTc of 30.8 ms and
qtc(400, 5000) one of -216 ms.
"""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.errors import ArgumentError
from interp_ecg.features.measurements import QTC_RR_RANGE_MS, qtc
from interp_ecg.features.rhythm import rr_features

T = np.arange(0, 5000, 400.0)  # 13 beats, 800 ms apart at 500 Hz
DOM = np.ones(T.size, bool)


@pytest.mark.parametrize("anchors, fs, dominant, match", [
    (T[::-1], 500, DOM, "increase strictly: beat 1 at sample 4400"),
    (np.r_[T[:3], T[2:]], 500, np.ones(T.size + 1, bool), "beat 3 at sample 800 is not after beat 2"),
    (np.r_[T[:3], np.nan, T[4:]], 500, DOM, r"beat time\(s\) \[3\] are not finite"),
    (T, 0, DOM, "fs must be a positive sampling rate"),
    (T, -500.0, DOM, "fs must be a positive sampling rate"),
    (T, float("nan"), DOM, "fs must be a positive sampling rate"),
    (T, 500, np.ones(3, bool), r"dominant has 3 value\(s\) for 13 beats"),
])
def test_rr_features_names_the_problem(anchors, fs, dominant, match):
    with pytest.raises(ArgumentError, match=match):
        rr_features(anchors, fs, dominant)


def test_rr_features_checks_the_other_per_beat_arrays():
    with pytest.raises(ArgumentError, match=r"paced has 2 value\(s\)"):
        rr_features(T, 500, DOM, paced=np.ones(2, bool))
    with pytest.raises(ArgumentError, match=r"p_wave has 4 value\(s\)"):
        rr_features(T, 500, DOM, p_wave=np.ones(4, bool))
    f = rr_features(T, 500, DOM, p_wave=DOM)  # valid input still measures: 75 bpm
    assert f["heart_rate_bpm"] == pytest.approx(75.0) and f["SDNN_ms"] == 0.0


@pytest.mark.parametrize("qt, rr, match", [
    (0.0, 800.0, "qt_ms=0.0 is not a QT interval"),
    (-5.0, 800.0, "qt_ms=-5.0 is not a QT interval"),
    (400.0, 5000.0, "rr_ms=5000.0 is outside 200-3000 ms"),
    (400.0, 150.0, "rr_ms=150.0 is outside 200-3000 ms"),
    (400.0, 0.8, "was it given in seconds"),
])
def test_qtc_names_the_problem(qt, rr, match):
    with pytest.raises(ArgumentError, match=match):
        qtc(qt, rr)


def test_qtc_at_the_range_edges_and_nan():
    lo, hi = QTC_RR_RANGE_MS
    assert qtc(400.0, hi)["QTc_Bazett_ms"] == pytest.approx(400.0 / np.sqrt(3.0))
    assert qtc(200.0, lo)["QTc_Fridericia_ms"] == pytest.approx(200.0 / np.cbrt(0.2))
    assert all(np.isnan(v) for v in qtc(float("nan"), 800.0).values())
    assert all(np.isnan(v) for v in qtc(400.0, float("nan")).values())


def test_pipeline_gives_nan_with_the_reason_for_an_rr_outside_the_range():
    # the batch caller does not raise: the QTc columns are NaN and the note says why
    from interp_ecg.features.beat_classes import classify_beats
    from interp_ecg.features.delineation import delineate
    from interp_ecg.features.median_beat import FidArrays
    from interp_ecg.features.record_measure import interval_measurements
    from interp_ecg.simulate import simulate_record

    x = simulate_record("normal", random_state=0)[0][[1]]
    fa = FidArrays.from_frame(delineate(x, 500.0, leads=["II"]))
    table = classify_beats(x, 500.0, fa)
    v, _, note = interval_measurements(table, fa, 500.0, 3500.0)
    assert np.isfinite(v["QT_interval_ms"]) and np.isnan(v["QTc_Bazett_ms"]) and np.isnan(v["QTc_Hodges_ms"])
    assert "RR_mean_ms 3500 ms is outside 200-3000 ms" in note
    v2, _, note2 = interval_measurements(table, fa, 500.0, 800.0)
    assert v2["QTc_Bazett_ms"] == pytest.approx(v2["QT_interval_ms"] / np.sqrt(0.8))
