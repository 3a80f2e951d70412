"""Study configs (validation messages), run folders, reproducibility, and every study runs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pypdf import PdfReader

from interp_ecg.errors import ConfigError
from interp_ecg.studies import STUDY_KINDS
from interp_ecg.studies.config import load_config, validate_config
from interp_ecg.studies.runner import run_study

REPO = Path(__file__).resolve().parents[1]
STUDIES = ["wct_cardioforest", "ptbxl_prototypes", "prototype_phewas"]


def _write(tmp_path: Path, cfg: dict) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


# -- validation ---------------------------------------------------------------------------


def test_defaults_are_filled():
    cfg = validate_config({"study": "s", "kind": "demo"})
    assert cfg["seed"] == 0 and cfg["n_jobs"] == 1 and cfg["scheduler"] is None
    assert cfg["data"]["source"] == "synthetic" and cfg["report"]["pseudonymise"] is True
    assert cfg["params"]["models"]  # the demo's own defaults


@pytest.mark.parametrize("raw, message", [
    ({"study": "s", "kind": "demo", "seeed": 1}, "unknown key 'seeed' (did you mean 'seed'?)"),
    ({"study": "s", "kind": "demo", "data": {"n_record": 5}}, "data: unknown key 'n_record' (did you mean 'n_records'?)"),
    ({"study": "s", "kind": "demo", "params": {"epoch": 1}}, "params: unknown key 'epoch' (did you mean 'epochs'?)"),
    ({"study": "s", "kind": "demo", "seed": "zero"}, "seed must be an integer, got str 'zero'"),
    ({"study": "s", "kind": "demo", "n_jobs": 1.5}, "n_jobs must be an integer, got float 1.5"),
    ({"study": "s", "kind": "demo", "report": {"pseudonymise": "yes"}}, "report.pseudonymise must be true/false"),
    ({"study": "s", "kind": "demo", "report": {"paper": "a3"}}, "report.paper must be one of ['a4', 'letter']"),
    ({"study": "s", "kind": "demo", "params": {"epochs": "two"}}, "params.epochs must be an integer"),
    ({"kind": "demo"}, "missing required key 'study'"),
    ({"study": "s", "kind": "nonsense"}, "kind must be one of"),
    ({"study": "s", "kind": "demo", "data": {"source": "ptbxl"}}, "set data.path"),
])
def test_validation_messages(raw, message):
    with pytest.raises(ConfigError) as err:
        validate_config(raw)
    assert message in str(err.value)


def test_missing_files_are_named_and_paths_are_relative_to_the_yaml(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "ptbxl_database.csv").write_text("ecg_id\n")  # a ptbxl source is a PTB-XL folder
    path = _write(tmp_path, {"study": "s", "kind": "demo", "data": {"source": "ptbxl", "path": "data"}})
    cfg = load_config(path)
    assert cfg["data"]["path"] == str(tmp_path / "data")  # not the current directory
    path = _write(tmp_path, {"study": "s", "kind": "demo", "data": {"source": "ptbxl", "path": "/no/such/ptbxl"}})
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "data.path: path does not exist: /no/such/ptbxl" in str(err.value) and str(path) in str(err.value)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("study: s\nkind: [demo\n")
    with pytest.raises(ConfigError, match="invalid YAML at line"):
        load_config(bad)


@pytest.mark.parametrize("name", STUDIES)
def test_study_folders_are_complete_and_valid(name):
    folder = REPO / "studies" / name
    for f in ("study.yaml", "run.py", "README.md"):
        assert (folder / f).exists(), f
    cfg = load_config(folder / "study.yaml")
    assert cfg["kind"] in STUDY_KINDS and cfg["study"] == name
    text = (folder / "study.yaml").read_text()
    assert "../" not in text  # no relative ../../data paths
    assert "interp-ecg study run" in (folder / "README.md").read_text()


# -- run folders and reproducibility ------------------------------------------------------


@pytest.fixture(scope="module")
def wct_inputs(tmp_path_factory):
    """A small cohort with its features computed once (the runs below reuse both)."""
    from interp_ecg.features import extract
    from interp_ecg.io import read_ptbxl
    from interp_ecg.simulate import cohort

    root = tmp_path_factory.mktemp("studies") / "cohort"
    cohort(60, root, random_state=11, progress=False,
           conditions={"normal": 0.45, "vt": 0.2, "stach_bbb": 0.15, "afib": 0.1, "lbbb": 0.1})
    (root / ".seed-11").touch()
    feats = extract(read_ptbxl(root), progress=False)
    feats.to_parquet(root.parent / "features.parquet")
    return root, root.parent / "features.parquet"


def _demo_cfg(root: Path, features: Path, out: Path, seed: int = 11) -> dict:
    return {"study": "repro", "kind": "demo", "seed": seed, "output_dir": str(out),
            "data": {"n_records": 60, "cache_dir": str(root), "features": str(features)},
            "report": {"n_patients": 0},
            "params": {"sections": ["wct"], "models": ["rf", "logreg"], "n_boot": 20}}


def test_run_folder_contents_and_same_seed_same_numbers(wct_inputs, tmp_path):
    root, feats = wct_inputs
    first = run_study(_demo_cfg(root, feats, tmp_path / "reports"))
    assert first.out_dir.parent == tmp_path / "reports" / "repro"
    for name in ("config.yaml", "versions.json", "run.json", "report.pdf", "tables/wct_metrics.csv",
                 "tables/wct_metrics.parquet", "tables/table1.csv"):
        assert (first.out_dir / name).exists(), name
    saved = yaml.safe_load((first.out_dir / "config.yaml").read_text())
    assert saved["seed"] == 11 and saved["params"]["models"] == ["rf", "logreg"]
    info = json.loads((first.out_dir / "run.json").read_text())
    assert info["seed"] == 11 and "numpy" in info["versions"]
    # the demo's sections and timings tables are its steps as run.json records them
    demo_steps = [s for s in info["steps"] if s["depth"] == 1]
    timings = pd.read_csv(first.out_dir / "tables" / "timings.csv")
    assert timings["step"].tolist() == [s["name"] for s in demo_steps]
    assert timings["seconds"].tolist() == pytest.approx([s["seconds"] for s in demo_steps])
    sections = pd.read_csv(first.out_dir / "tables" / "sections.csv")
    names = [s["name"] for s in demo_steps if s.get("section")]
    assert sections["section"].tolist() == names == ["WCT models", "SHAP", "patient pages"]
    assert sections["status"].tolist() == [s["status"] for s in demo_steps if s.get("section")]
    # rerunning from the saved config (same seed) gives the same numbers
    second = run_study(first.out_dir / "config.yaml", output_dir=tmp_path / "again")
    assert second.out_dir != first.out_dir
    for table in ("wct_metrics.csv", "wct_predictions.csv", "shap_importance.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(first.out_dir / "tables" / table),
                                      pd.read_csv(second.out_dir / "tables" / table))
    text = "\n".join(p.extract_text() for p in PdfReader(str(first.out_dir / "report.pdf")).pages)
    assert "rule (QRS>=120 & HR>=100)" in text and "Circular label warning" in text


# -- every study runs ---------------------------------------------------------------------


def _run_repo_study(name: str, tmp_path: Path, overrides: dict):
    return run_study(REPO / "studies" / name / "study.yaml", output_dir=tmp_path / "reports",
                     overrides=overrides)


@pytest.mark.slow
def test_wct_study_runs(tmp_path):
    res = _run_repo_study("wct_cardioforest", tmp_path, {
        "data.n_records": 120, "params.models": ["cardioforest", "logreg"], "params.n_boot": 50,
        "params.cv_folds": 3, "params.min_positives": 3})
    assert res.report_path is not None and (res.out_dir / "tables" / "external.csv").exists()
    text = "\n".join(p.extract_text() for p in PdfReader(str(res.report_path)).pages)
    assert "circular" in text.lower() and "rule" in text
    # user9 F11: the class-balanced, unrecalibrated models' outputs are called scores, not probabilities
    flat = " ".join(text.split())
    assert ("Model outputs (cardioforest, logreg): predict_proba of models trained with class-balanced weights, not "
            "recalibrated: scores that over-state the rarer class, not calibrated probabilities") in flat
    ext = pd.read_csv(res.out_dir / "tables" / "external.csv")
    assert set(ext["score_type"]) == {"hard", "score (not calibrated)"}


@pytest.mark.slow
def test_ptbxl_prototypes_study_runs_on_synthetic(tmp_path):
    # the shipped study uses the small preset (the schema default, paper, is GPU-sized)
    res = _run_repo_study("ptbxl_prototypes", tmp_path, {"data.n_records": 80, "params.epochs": 1,
                                                         "params.preset": "small", "params.n_boot": 20})
    metrics = pd.read_csv(res.out_dir / "tables" / "metrics.csv")
    assert set(metrics["metric"]) == {"roc_auc", "pr_auc"}
    text = "\n".join(p.extract_text() for p in PdfReader(str(res.report_path)).pages)
    assert "Prototype gallery" in text
    # user9: the echoed config states the rate read; no raw record id beside its pseudonym; the
    # headline's macro ROC-AUC says whether it is established; the Methods say what fold 9 did
    import yaml

    assert yaml.safe_load((res.out_dir / "config.yaml").read_text())["data"]["sampling_rate"] == 100
    protos = pd.read_csv(res.out_dir / "tables" / "prototypes.csv", dtype=str)
    for col in ("best_training_record", "record_id"):
        assert protos[col].str.startswith("RC-").all(), col
    macro = pd.read_csv(res.out_dir / "tables" / "macro_auc.csv")
    flat = " ".join(text.split())
    if macro["ci_low"].isna().all():
        assert "(not established: no 95% CI" in flat
    assert "monitored only: fixed epochs, no early stopping" in flat and "(early stopping)" not in flat
    assert "most confident cases" in flat
    # user9 F11: an output is called a probability only when fold 9 calibrated it, and the Methods say which
    cal = pd.read_csv(res.out_dir / "tables" / "calibration.csv")
    assert set(cal["model"]) == {"prototype network"} and cal["test_prevalence"].between(0, 1).all()
    if cal["calibrated"].all():
        assert "outputs calibrated on PTB-XL fold 9" in flat and "(p = " in flat and "score " not in flat
        assert cal["mean_probability_after"].sub(cal["prevalence"]).abs().max() < 5e-3
        assert (res.out_dir / "tables" / "test_probabilities.csv").exists()
        assert "computed from the raw outputs (test_scores), before calibration" in flat
    else:
        assert "not calibrated probabilities" in flat and "(p = " not in flat and "not a calibrated probability" in flat


@pytest.mark.slow
@pytest.mark.shared_data
def test_ptbxl_prototypes_study_runs_on_real_ptbxl(ptbxl_root, tmp_path):
    res = _run_repo_study("ptbxl_prototypes", tmp_path, {"data.source": "ptbxl", "data.path": str(ptbxl_root),
                                                         "params.epochs": 1, "params.n_boot": 20, "params.preset": "small",
                                                         "params.statements": ["NORM", "CLBBB", "IMI", "AFIB"]})
    metrics = pd.read_csv(res.out_dir / "tables" / "metrics.csv")
    assert len(metrics) > 0 and metrics["estimate"].between(0, 1).all()


@pytest.mark.slow
def test_prototype_phewas_study_runs(phecode_root, tmp_path):
    res = _run_repo_study("prototype_phewas", tmp_path, {"data.n_records": 120, "data.phecode_map": str(phecode_root),
                                                         "params.min_cases": 5, "params.n_boot": 20})
    assert (res.out_dir / "tables" / "phewas.csv").exists()
    assert "Phenome-wide association study" in "\n".join(
        p.extract_text() for p in PdfReader(str(res.report_path)).pages)


@pytest.mark.parametrize("name", STUDIES)
def test_run_py_is_the_cli(name):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(REPO / "studies" / name / "run.py"), "--help"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Run a study from its YAML config" in out.stdout


def test_demo_prototype_network_without_enough_positives_is_an_argument_error():
    """The demo's prototype network names the statements and counts it could not train on."""
    import numpy as np

    from interp_ecg.errors import ArgumentError
    from interp_ecg.io import ArrayLoader, EcgDataset
    from interp_ecg.studies.ptbxl_prototypes import fit_cpu_network

    ids = pd.Index([f"r{i}" for i in range(8)], name="record_id")
    meta = pd.DataFrame({"patient_id": range(8)}, index=ids)
    labels = pd.DataFrame({"AFIB": [1, 1, 0, 0, 0, 0, 1, 0], "NORM": 0}, index=ids)  # 2 train positives
    ds = EcgDataset(meta, ArrayLoader(np.zeros((8, 12, 1000), dtype="float32"), fs=100), fs=100, labels=labels)
    test = pd.Series([False] * 6 + [True] * 2, index=ids)
    with pytest.raises(ArgumentError, match=r"no statement of \['AFIB', 'NORM', 'LVH'\] has 3 positives among "
                                            r"the 6 training ECGs and 1 among the 2 held-out ECGs"):
        fit_cpu_network(ds, test, ["AFIB", "NORM", "LVH"], max_train=120, prototypes_per_class=1, epochs=1)
