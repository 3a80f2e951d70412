"""Global QRS with one or two leads follows the definition: earliest onset to latest offset
over the leads (issue 10), so adding a second lead never shortens the QRS."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from interp_ecg.errors import DelineationError
from interp_ecg.features.delineation import delineate
from interp_ecg.simulate import simulate_record

FS = 500.0


def _qrs_samples(x, leads, fs=FS):
    d = delineate(x, fs, leads)
    g = d[d["lead"] == "global"]
    return np.asarray(g["QRS_off"] - g["QRS_on"], float), g


@pytest.mark.parametrize("shift", [5, 10])
def test_two_lead_global_qrs_spans_both_leads_exactly(shift):
    # lead 2 is lead II of a simulated record delayed by ``shift`` samples: the true global
    # QRS runs from lead II's onset to the delayed lead's offset, i.e. it is exactly
    # ``shift`` samples longer than lead II's own QRS in every beat. The median of the two
    # leads (the rule before) read the same duration as II alone.
    s = simulate_record("normal", noise=0, random_state=3)
    names = [str(c) for c in s.fiducials["lead"].cat.categories if str(c) != "global"]
    ii = np.asarray(s.signal)[names.index("II")]
    late = np.concatenate([np.full(shift, ii[0]), ii[:-shift]])
    one, g1 = _qrs_samples(ii[None], ["II"])
    two, g2 = _qrs_samples(np.stack([ii, late]), ["II", "II_late"])
    assert len(g1) == len(g2) and np.isfinite(two).sum() >= 8
    np.testing.assert_array_equal(np.asarray(g2["QRS_on"], float), np.asarray(g1["QRS_on"], float))
    np.testing.assert_array_equal(np.asarray(g2["QRS_off"], float),
                                  np.asarray(g1["QRS_off"], float) + shift)
    np.testing.assert_array_equal(two, one + shift)


@pytest.mark.parametrize("block", [range(1, 21), range(21, 41)])
def test_adding_v5_to_ii_never_shortens_the_qrs(ludb_root, block):
    import wfdb

    logging.disable(logging.WARNING)
    try:
        for rid in block:
            rec = wfdb.rdrecord(str(ludb_root / "data" / str(rid))
                                if (ludb_root / "data").is_dir() else str(ludb_root / str(rid)))
            names = [n.upper() for n in rec.sig_name]
            x = rec.p_signal.T
            ii, v5 = names.index("II"), names.index("V5")
            one, _ = _qrs_samples(x[[ii]], ["II"], rec.fs)
            two, _ = _qrs_samples(x[[ii, v5]], ["II", "V5"], rec.fs)
            # the record's QRS (median over beats), in samples
            assert np.nanmedian(two) >= np.nanmedian(one) - 1, (rid, np.nanmedian(one),
                                                                np.nanmedian(two))
    finally:
        logging.disable(logging.NOTSET)


def test_qt_dispersion_needs_eight_measurable_leads():
    # Day et al. 1990 define QT dispersion over the 12-lead ECG: with two or three leads the
    # package reported 1-4 ms; now NaN with the reason in quality_reason
    from interp_ecg import features

    s = simulate_record("normal", noise=0.2, random_state=5)
    names = [str(c) for c in s.fiducials["lead"].cat.categories if str(c) != "global"]
    x = np.asarray(s.signal)
    full = features.extract_record(x, FS, names)
    assert np.isfinite(full["QT_dispersion_ms"]) and "QT dispersion" not in full["quality_reason"]
    idx = [names.index("II"), names.index("V5"), names.index("V1")]
    few = features.extract_record(x[idx], FS, ["II", "V5", "V1"])
    assert np.isnan(few["QT_dispersion_ms"])
    assert "QT dispersion not measured: QT measurable in 3 lead(s), at least 8 needed" \
        in few["quality_reason"]
    assert np.isfinite(few["QT_interval_ms"])


@pytest.mark.parametrize("freq_hz", [0.8, 1.2, 2.5])
def test_a_smooth_sinusoid_is_not_an_ecg(freq_hz):
    # a pure sine on 12 leads was 15 beats, HR 97.5, QRS 140 ms, quality_ok True; no QRS
    # is in it: a single-record call is an error naming why (a batch row gets quality_ok
    # False, NaN measurements and this reason)
    from interp_ecg import features

    t = np.arange(int(10 * FS)) / FS
    # 5 uV of white noise so that the flat sample run at the sine's crest is not taken for
    # a clipped amplifier (a noiseless 0.8 Hz or 2.5 Hz sine is refused as clipped)
    rng = np.random.default_rng(0)
    x = np.sin(2 * np.pi * freq_hz * t)[None] + 0.005 * rng.standard_normal((12, t.size))
    leads = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    with pytest.raises(DelineationError, match="no QRS complex: the detected complexes are smooth"):
        features.extract_record(x, FS, leads)


@pytest.mark.parametrize("condition", ["normal", "lbbb", "afib", "pvc"])
def test_real_qrs_complexes_are_steep(condition):
    # the same rule leaves simulated ECGs (wide LBBB complexes included) measured
    from interp_ecg.features.delineation import stages as S
    from interp_ecg.features.delineation.params import Params

    s = simulate_record(condition, noise=1.0, random_state=11)
    x = np.asarray(s.signal)
    names = [str(c) for c in s.fiducials["lead"].cat.categories if str(c) != "global"]
    views, status = S.prepare(x, FS, names, Params())
    usable = np.array([st == "ok" for st in status])
    r, _ = S.detect_beats(views, FS, usable, Params())
    assert S.qrs_steepness(views, r, FS, Params(), usable) > 2 * Params().qrs_min_steepness
