"""PTB-XL statement models on the package's features (real shared data)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from interp_ecg.studies.config import validate_config
from interp_ecg.studies.ptbxl_statements import run_ptbxl_statements_study

SMALL = {"lgbm": {"n_estimators": 60, "min_child_samples": 5}, "rf": {"n_estimators": 60}}


def test_config_rejects_unknown_protocols():
    from interp_ecg.errors import ConfigError

    with pytest.raises(ConfigError, match=r"params.protocols\[0\] must be one of \['cv10', 'test10', 'cinc'\]"):
        validate_config({"study": "s", "kind": "ptbxl_statements", "data": {"source": "ptbxl", "path": "/"},
                         "params": {"protocols": ["cv5"]}})
    with pytest.raises(ConfigError, match="the ptbxl_statements study reads data.source ptbxl, not 'synthetic'"):
        validate_config({"study": "s", "kind": "ptbxl_statements"})


@pytest.mark.shared_data
def test_superclasses_cv10_on_real_records(ptbxl_root, tmp_path):
    cfg = {"data": {"source": "ptbxl", "path": str(ptbxl_root)},
           "params": {"max_records": 120, "tasks": ["superclass"], "protocols": ["cv10", "test10"],
                      "models": {"lgbm": ["lgbm"]}, "member_params": SMALL, "n_boot": 30}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = run_ptbxl_statements_study(cfg, tmp_path)
    m = tables["metrics"]
    auc = m[(m.protocol == "cv10") & (m.metric == "roc_auc")].set_index("label")
    # normal versus abnormal ECGs is learnable from fiducial features, out of fold
    assert auc.loc["NORM", "estimate"] > 0.7
    assert auc.loc["NORM", "ci_low"] < auc.loc["NORM", "estimate"] < auc.loc["NORM", "ci_high"]
    assert "macro" in auc.index
    folds = tables["fold_auroc"]
    assert set(folds.fold) <= set(range(1, 11)) and len(folds) >= 8
    s = tables["summary"]
    assert set(s.protocol) == {"cv10", "val9", "test10"}


@pytest.mark.shared_data
def test_external_cinc_validation(ptbxl_root, cinc_root, tmp_path):
    cfg = {"data": {"source": "ptbxl", "path": str(ptbxl_root)},
           "params": {"cinc_root": str(cinc_root), "max_records": 200, "tasks": ["superclass"],
                      "protocols": ["cinc"], "models": {"lgbm": ["lgbm"]}, "member_params": SMALL, "n_boot": 30}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = run_ptbxl_statements_study(cfg, tmp_path)
    m = tables["metrics"]
    cinc = m[(m.protocol == "cinc") & (m.metric == "roc_auc")]
    assert len(cinc) and (cinc.n <= 50).all()
    assert np.isfinite(cinc.estimate).any()


@pytest.mark.shared_data
def test_superclass_task_drops_records_without_a_superclass_by_default(ptbxl_root, tmp_path):
    """PTB-XL benchmark protocol: records with no diagnostic superclass are left out (or kept, by choice)."""
    from interp_ecg.io import read_ptbxl
    from interp_ecg.io.ptbxl import ptbxl_superclass_labels

    every = ptbxl_superclass_labels(read_ptbxl(ptbxl_root, sampling_rate=500), records_without_superclass="keep")
    n_none = int((every.iloc[:200].to_numpy().sum(axis=1) == 0).sum())
    params = {"max_records": 200, "tasks": ["superclass"], "protocols": ["test10"],
              "models": {"lgbm": ["lgbm"]}, "member_params": SMALL, "n_boot": 10}
    data = {"source": "ptbxl", "path": str(ptbxl_root)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dropped = run_ptbxl_statements_study({"data": data, "params": params}, tmp_path / "drop")
        kept = run_ptbxl_statements_study({"data": data, "params": {**params, "records_without_superclass": "keep"}},
                                          tmp_path / "keep")
    nd, nk = (int(t["labels"]["n"].iloc[0]) for t in (dropped, kept))
    assert 0 < nk - nd <= n_none  # measured records without a superclass
    assert set(dropped["summary"]["records_without_superclass"]) == {"drop"}
    assert set(kept["summary"]["records_without_superclass"]) == {"keep"}
    assert any("left out (PTB-XL benchmark protocol)" in n for n in dropped["notes"]["note"])


@pytest.mark.shared_data
def test_statements_metrics_leave_unassessed_rhythm_out(ptbxl_root, tmp_path):
    """PTB-XL records without any rhythm statement were not assessed for rhythm: the models are
    trained with 0 there (stated in the notes), but the rhythm statements' metrics leave them out
    (before: scored as 'not sinus')."""
    from interp_ecg.io import read_ptbxl

    labels = read_ptbxl(ptbxl_root, sampling_rate=500).labels.iloc[:200]
    n_known_sr = int(labels["SR"].notna().sum())
    assert n_known_sr < 200  # the shared records include some without a rhythm statement
    cfg = {"data": {"source": "ptbxl", "path": str(ptbxl_root)},
           "params": {"max_records": 200, "tasks": ["statements"], "protocols": ["cv10"], "min_positives": 10,
                      "models": {"lgbm": ["lgbm"]}, "member_params": SMALL, "n_boot": 10}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tables = run_ptbxl_statements_study(cfg, tmp_path)
    rows = tables["labels"].set_index("label")
    assert "SR" in rows.index
    measured = tables["cohort"].set_index("item").loc["records measured", "value"]
    assert rows.loc["SR", "n"] < measured  # the unassessed records are not counted as SR negatives
    sr = tables["metrics"].query("label == 'SR' and metric == 'roc_auc'")
    assert (sr["n"] == rows.loc["SR", "n"]).all()
    assert any("not assessed for rhythm" in n for n in tables["notes"]["note"])
