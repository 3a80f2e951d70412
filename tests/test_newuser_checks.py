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
