"""Checks from a new user's walk through the README on inputs the package was not tuned on."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
from typer.testing import CliRunner

from interp_ecg.cli import app
from interp_ecg.phenotype import load_phecode_map


def test_phecode12_file_is_read_as_phecode12(phecode_root):
    """The Phecode 1.2 unrolled file that load_phecode_map's docstring names was read as a
    Phecode X map and refused ("missing columns ['code', 'vocabulary_id']")."""
    pmap = load_phecode_map(phecode_root / "phecode12_unrolled.csv.gz")
    assert pmap.version == "1.2"
    assert pmap.info.loc["427.21", "description"] == "Atrial fibrillation"
    assert load_phecode_map(phecode_root).version == "X"  # the folder holds phecodeX_R_map.csv
    assert load_phecode_map(phecode_root / "phecodeX_R_map.csv").version == "X"


def test_cli_phewas_takes_the_phecode12_file(phecode_root, mimic_demo_root, tmp_path):
    pat = pd.read_csv(mimic_demo_root / "hosp" / "patients.csv.gz")
    expo = pd.DataFrame({"patient_id": pat["subject_id"], "age": pat["anchor_age"],
                         "sex": pat["gender"], "score": (pat["subject_id"] % 7).astype(float)})
    expo.to_csv(tmp_path / "expo.csv", index=False)
    out = tmp_path / "pw.csv"
    res = CliRunner().invoke(app, ["phewas", str(tmp_path / "expo.csv"),
                                   "--diagnoses", str(mimic_demo_root / "hosp" / "diagnoses_icd.csv.gz"),
                                   "--phecode-map", str(phecode_root / "phecode12_unrolled.csv.gz"),
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = pd.read_csv(out, dtype={"phecode": str})
    assert len(summary) > 0
    assert not summary["phecode"].str.contains("_").any()  # Phecode 1.2 codes (401.1), not Phecode X (CV_401)


def test_python_dash_m_runs_the_cli():
    res = subprocess.run([sys.executable, "-m", "interp_ecg", "--help"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "features" in res.stdout and "phewas" in res.stdout


def _table(n=40):
    import numpy as np
    rng = np.random.default_rng(0)
    return pd.DataFrame({"patient_id": np.arange(n), "QRS_duration_ms": rng.normal(95, 10, n),
                         "heart_rate_bpm": rng.normal(70, 10, n), "quality_ok": True},
                        index=pd.Index(np.arange(n), name="record_id"))


def test_training_label_must_be_binary():
    """A label coded 0/100 was trained on and printed PR-AUC 93.073 and Brier 6061.5; a 0/1/2
    label failed with 'could not find a patient-wise split'; a yes/no label with
    'single class among 0 usable records'."""
    import pytest
    from interp_ecg.errors import InterpEcgError
    from interp_ecg.studies.pipeline import training_data

    table = _table()
    labels = pd.DataFrame({"pct": [0, 100] * 20, "multi": [0, 1, 2, 1] * 10,
                           "text": ["no", "yes"] * 20, "ok": [0.0, 1.0] * 20,
                           "flag": [False, True] * 20}, index=table.index)
    with pytest.raises(InterpEcgError, match=r"'pct' must be 0/1 .*\[0, 100\]"):
        training_data(table, labels, "pct")
    with pytest.raises(InterpEcgError, match=r"'multi' must be 0/1 .*\[0, 1, 2\]"):
        training_data(table, labels, "multi")
    with pytest.raises(InterpEcgError, match=r"'text' has 40 values that are not numbers"):
        training_data(table, labels, "text")
    for good in ("ok", "flag"):
        _, y, _, _ = training_data(table, labels, good)
        assert sorted(y.unique()) == [0, 1] and len(y) == 40


def test_phewas_without_shared_subjects_is_an_error(phecode_root, mimic_demo_root, tmp_path, caplog):
    """PTB-XL features against MIMIC diagnoses share no patient: this printed 'ignoring
    diagnoses of 4195 subjects' (of 100) and wrote an empty table with exit code 0."""
    import logging

    import pytest
    from interp_ecg.errors import InterpEcgError
    from interp_ecg.phenotype import icd_to_phecodes
    from interp_ecg.studies.pipeline import run_phewas

    dx = pd.read_csv(mimic_demo_root / "hosp" / "diagnoses_icd.csv.gz", dtype=str)
    expo = pd.DataFrame({"patient_id": [15709.0, 13243.0, 20372.0] * 10, "age": 50.0, "sex": "F",
                         "score": range(30)})
    with pytest.raises(InterpEcgError, match=r"no subject of the exposure table \(patient_id, e.g. \['13243'"):
        run_phewas(expo, dx, phecode_root)
    pmap = load_phecode_map(phecode_root)
    keep = pd.unique(dx["subject_id"])[:10]
    with caplog.at_level(logging.INFO, logger="interp_ecg"):
        icd_to_phecodes(dx, pmap, subjects=keep, min_cases=1)
    assert "ignoring diagnoses of 90 subjects outside" in caplog.text


def test_train_says_how_many_positives_its_cis_rest_on(tmp_path):
    """The printed table showed 'recall 1.000 (1.000-1.000)' with no hint that the held-out
    patients held 2 positives (the count was only in metrics.csv)."""
    import numpy as np

    rng = np.random.default_rng(0)
    n = 80
    y = np.zeros(n, dtype=int)
    y[::10] = 1  # 8 positives
    table = pd.DataFrame({"patient_id": np.arange(n), "QRS_duration_ms": rng.normal(95, 10, n) + 20 * y,
                          "heart_rate_bpm": rng.normal(70, 10, n), "PR_interval_ms": rng.normal(160, 20, n),
                          "quality_ok": True, "afib": y}, index=pd.Index(np.arange(n), name="record_id"))
    table.to_parquet(tmp_path / "f.parquet")
    res = CliRunner().invoke(app, ["train", str(tmp_path / "f.parquet"), "--label", "afib", "--models", "logreg",
                                   "--n-boot", "20", "--test-size", "0.5", "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    metrics = pd.read_csv(tmp_path / "m" / "metrics.csv")
    n_test, pos = int(metrics["n"].iloc[0]), int(metrics["n_positive"].iloc[0])
    assert 0 < pos < 10
    assert f"held out: {n_test} ECGs of {n_test} patients, {pos} positive, {n_test - pos} negative" in res.output
    assert "CIs below are not informative" in res.output


def test_features_sampling_rate_is_refused_outside_ptbxl(cinc_root, tmp_path):
    """`features CINC --sampling-rate 100` measured the 500 Hz records and said nothing."""
    res = CliRunner().invoke(app, ["features", str(cinc_root), "--sampling-rate", "100", "--limit", "1",
                                   "--out", str(tmp_path / "f.parquet")])
    assert res.exit_code == 2
    assert "--sampling-rate 100" in res.output and "not one (no ptbxl_database.csv)" in res.output
    assert not (tmp_path / "f.parquet").exists()
