"""Realism of the synthetic cohort: the package's own measurements of synthetic normal
records fall in the ranges of the same measurements of real PTB-XL NORM records.

Uses the shared PTB-XL sample (skips without it, fails under CI=true). The full comparison,
with more records and every measurement, is ``benchmarks/simulate_realism.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.shared_data

MEASURES = {  # feature column -> simulator ground-truth column
    "PR_interval_ms": "sim_pr_ms",
    "QRS_duration_ms": "sim_qrs_ms",
    "QT_interval_ms": "sim_qt_ms",
    "QRS_axis_deg": "sim_qrs_axis_deg",
}


@pytest.fixture(scope="module")
def measured(ptbxl_root, tmp_path_factory):
    features = pytest.importorskip("interp_ecg.features")
    from interp_ecg.io import read_ptbxl
    from interp_ecg.simulate import cohort

    real = read_ptbxl(ptbxl_root, sampling_rate=500)
    norm = real.labels.index[real.labels["NORM"].astype(bool)][:60]
    real_f = features.extract(real.subset(norm), progress=False)
    out = tmp_path_factory.mktemp("normals")
    db = cohort(40, out, random_state=21, conditions=["normal"], progress=False)
    syn_f = features.extract(read_ptbxl(out, sampling_rate=500), progress=False)
    return real_f, syn_f, db


@pytest.mark.parametrize("feature", list(MEASURES))
def test_synthetic_normals_in_real_norm_range(measured, feature):
    real_f, syn_f, _ = measured
    r = real_f[feature].astype(float).dropna()
    s = syn_f[feature].astype(float).dropna()
    assert len(r) >= 40 and len(s) >= 30
    lo, hi = np.percentile(r, [10, 90])
    assert lo <= np.median(s) <= hi, (feature, np.median(s), lo, hi)
    wide_lo, wide_hi = np.percentile(r, [2.5, 97.5])
    assert ((s >= wide_lo) & (s <= wide_hi)).mean() >= 0.8


@pytest.mark.parametrize("feature", ["PR_interval_ms", "QRS_duration_ms"])
def test_measurements_agree_with_ground_truth(measured, feature):
    _, syn_f, db = measured
    err = (syn_f[feature].astype(float) - db[MEASURES[feature]].reindex(syn_f.index)).abs().dropna()
    assert len(err) >= 30
    assert err.median() <= 15  # ms: the fiducial definitions of truth and delineator agree
