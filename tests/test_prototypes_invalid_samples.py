"""Invalid (NaN/inf) samples in dataset records: the package's policy, records named (user16 F1, F2)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from interp_ecg.io import ArrayLoader, EcgDataset
from interp_ecg.prototypes import ProtoECGNetClassifier
from interp_ecg.prototypes.data import MAX_BRIDGED_FRACTION, MAX_BRIDGED_GAP_MS, bridge_invalid_samples, to_array
from tests.test_prototypes import TINY, toy_cohort


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


def test_the_policy_is_the_feature_extractions():
    from interp_ecg.features import quality

    assert MAX_BRIDGED_GAP_MS == quality.MAX_BRIDGED_GAP_MS
    assert MAX_BRIDGED_FRACTION == quality.MAX_BRIDGED_FRACTION


def test_bridging_is_a_straight_line_and_long_runs_are_refused():
    x = np.tile(np.arange(1000, dtype=np.float32), (12, 1))
    x[3, 10:12] = np.nan  # 20 ms at 100 Hz: bridged
    out, bridged, reason = bridge_invalid_samples(x, 100.0)
    assert bridged == ["aVR"] and "bridged" in reason
    np.testing.assert_allclose(out[3, 10:12], [10.0, 11.0])
    x[5, 100:103] = np.inf  # 30 ms: refused
    out, _, reason = bridge_invalid_samples(x, 100.0)
    assert out is None and reason.startswith("lead aVF holds 3 invalid (NaN/inf) samples (first run 1.00-1.03 s")


@pytest.fixture(scope="module")
def cohort():
    x, y = toy_cohort(24, seed=1)
    x = x.copy()
    x[3, 1, 200:300] = np.nan  # rec003: 1 s of NaN in lead II
    x[4, 6, 50] = np.nan  # rec004: one sample in V1
    ds = EcgDataset(pd.DataFrame(index=y.index), ArrayLoader(x, fs=100), fs=100)
    return ds, x, y


def test_fit_leaves_out_the_record_naming_it_and_bridges_a_short_gap(cohort, caplog):
    ds, _, y = cohort
    with caplog.at_level(logging.WARNING, logger="interp_ecg.prototypes"):
        clf = ProtoECGNetClassifier(**TINY).fit(ds, y)
    text = caplog.text
    assert "record rec003 left out" in text and "lead II holds 100 invalid (NaN/inf) samples (first run 2.00-3.00 s" in text
    assert "record rec004: short runs of invalid samples bridged in lead(s) V1" in text
    assert "rec003" not in set(clf.prototype_sources_["record_id"])
    assert np.isfinite(clf.history_["bce"]).all()
    # predict / transform: the NaN row is named in the log (F2)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="interp_ecg.prototypes"):
        p = clf.predict_proba(ds.subset(["rec002", "rec003", "rec004"]))
    assert np.isnan(p[1]).all() and np.isfinite(p[[0, 2]]).all()
    assert "record rec003 left out" in caplog.text


def test_array_rows_are_named(cohort, caplog):
    _, x, _ = cohort
    with caplog.at_level(logging.WARNING, logger="interp_ecg.prototypes"):
        arr, ids, ok = to_array(x[:5])
    assert ok.tolist() == [True, True, True, False, True]
    assert "array row 3 left out (its row is zeroed): lead II holds 100 invalid" in caplog.text
    assert "array row 4: short runs of invalid samples bridged in lead(s) V1" in caplog.text
    assert np.isfinite(arr).all()


def test_explain_names_the_lead_and_time_of_a_long_gap(cohort):
    from interp_ecg.errors import ModelError

    ds, x, y = cohort
    rows = [0, 1, 2] + list(range(5, 14))  # clean records only
    clf = ProtoECGNetClassifier(**TINY).fit(x[rows], y.iloc[rows])
    with pytest.raises(ModelError, match=r"record rec003 cannot be explained: lead II holds 100 invalid .*2.00-3.00 s"):
        clf.explain(ds.load("rec003"))
