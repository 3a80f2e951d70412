"""The synthetic cohort writer's folder reads through read_ptbxl unchanged (no real data needed)."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from interp_ecg.evaluate import ptbxl_split
from interp_ecg.io import ptbxl_superclass_labels, read_ptbxl

simulate = pytest.importorskip("interp_ecg.simulate")


@pytest.fixture(scope="module")
def cohort_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("cohort")
    simulate.cohort(6, root, random_state=3, progress=False, duration=4)
    return root


def test_cohort_reads_at_both_rates(cohort_root):
    import pandas as pd

    raw = pd.read_csv(cohort_root / "ptbxl_database.csv", index_col="ecg_id")
    statements = pd.read_csv(cohort_root / "scp_statements.csv", index_col=0)
    for fs in (500, 100):
        ds = read_ptbxl(cohort_root, sampling_rate=fs)
        assert len(ds) == len(raw) == 6
        assert list(ds.labels.columns) == list(statements.index)
        scan = ds.scan()
        assert scan["ok"].all(), scan["reason"].tolist()
        assert (scan["fs"] == fs).all() and (scan["n_leads"] == 12).all()
        assert (scan["n_samples"] == 4 * fs).all()
    # labels are the codes written, extra sim_* columns are kept
    for ecg_id, codes in raw["scp_codes"].items():
        written = {c for c in ast.literal_eval(codes) if c in statements.index}
        assert set(ds.labels.columns[ds.labels.loc[ecg_id].to_numpy() == 1]) == written
    assert [c for c in raw.columns if c.startswith("sim_")]
    assert all(c in ds.meta.columns for c in raw.columns)
    assert set(ds.meta["sex"]) <= {"M", "F"}
    assert ptbxl_superclass_labels(ds, records_without_superclass="keep").shape == (6, 5)
    assert sum(len(v) for v in ptbxl_split(ds).values()) == 6


def test_cohort_signal_is_finite_mv(cohort_root):
    rec = read_ptbxl(cohort_root)[0]
    assert rec.signal.dtype == np.float32 and np.isfinite(rec.signal).all()
    assert 0.05 < np.abs(rec.signal).max() < 10  # millivolts, not microvolts or volts
