"""Hand-made cases for the Martinez-tolerance matching used by the LUDB benchmark."""

import numpy as np

from interp_ecg.features.delineation.scoring import Tally, match, score_lead


def test_each_mark_used_once_closest_first():
    # two detections near one mark: the closer one matches, the other is a false positive
    m = match([100, 104], [103], tol=10)
    assert (m.tp, m.fp, m.fn) == (1, 1, 0)
    assert m.errors.tolist() == [1.0]


def test_tolerance_is_inclusive_and_strict_beyond():
    assert match([110], [100], tol=10).tp == 1
    assert match([111], [100], tol=10).tp == 0


def test_nan_detections_ignored_and_span_applied():
    m = match([np.nan, 50, 500, 2000], [500], tol=20, span=(400, 1500))
    assert (m.tp, m.fp, m.fn) == (1, 0, 0)


def test_empty_inputs():
    assert (match([], [1, 2], 5).fn, match([1, 2], [], 5).fp) == (2, 2)


def test_score_lead_span_from_all_marks():
    ref = {"QRS_on": np.array([1000.0, 2000.0]), "QRS_off": np.array([1040.0, 2040.0]),
           "T_off": np.array([1400.0, 2400.0])}
    det = {"QRS_on": np.array([300.0, 1005.0, 2003.0]), "T_off": np.array([1420.0, 3000.0])}
    res = score_lead(det, ref, fs=500, kinds=("QRS_on", "QRS_off", "T_off"))
    assert (res["QRS_on"].tp, res["QRS_on"].fp) == (2, 0)  # 300 lies before the span
    assert (res["T_off"].tp, res["T_off"].fp, res["T_off"].fn) == (1, 0, 1)  # 3000 after it
    assert res["QRS_off"].fn == 2


def test_tally_f1_and_error_in_ms():
    t = Tally()
    t.add(match([105, 300], [100, 200], tol=10), fs=500)  # 1 TP (+5 samples = 10 ms)
    assert t.sensitivity == 0.5 and t.ppv == 0.5 and t.f1 == 0.5
    assert t.mean_ms == 10.0


def test_nanquantile_cols_matches_numpy():
    import warnings

    from interp_ecg.features.delineation.consensus import nanquantile_cols

    rng = np.random.default_rng(0)
    for _ in range(50):
        v = rng.normal(size=(12, 9))
        v[rng.random(v.shape) < 0.4] = np.nan
        q = float(rng.random())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ref = np.nanquantile(v, q, axis=0)
        np.testing.assert_allclose(nanquantile_cols(v, q), ref, equal_nan=True)


def test_consensus_rejects_outlier_lead_and_ignores_unusable():
    from interp_ecg.features.delineation.consensus import combine

    v = np.array([[100.0, 200.0], [104.0, 204.0], [102.0, 202.0], [20.0, 120.0]])
    assert combine(v, "on", tol=10, quantile=0.0).tolist() == [100.0, 200.0]
    usable = np.array([False, True, True, True])
    assert combine(v, "off", tol=10, quantile=0.0, usable=usable).tolist() == [104.0, 204.0]


def test_span_margin_keeps_last_boundary_detected_late():
    ref = {"QRS_on": np.array([1000.0]), "QRS_off": np.array([1040.0])}
    det = {"QRS_off": np.array([1045.0])}  # 10 ms after the last annotated mark
    strict = score_lead(det, ref, fs=500, kinds=("QRS_off",))
    widened = score_lead(det, ref, fs=500, kinds=("QRS_off",), span_margin=True)
    assert (strict["QRS_off"].tp, strict["QRS_off"].fn) == (0, 1)
    assert (widened["QRS_off"].tp, widened["QRS_off"].fn) == (1, 0)
