"""Issue 11, items 1, 2 and 10: ICD codes stay text at every entry point (a leading-zero
ICD-9 code, 01882 = miliary tuberculosis, must not become 1882 = bladder cancer), numeric code
columns warn, sex-specific phecodes are restricted by default, and the phewas command reads a
plain exposures table."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from interp_ecg.cli import app
from interp_ecg.io import read_mimic_diagnoses
from interp_ecg.phenotype import icd_to_phecodes, load_phecode_map
from interp_ecg.studies import pipeline

TB = "ID_005.1"  # phecode X of ICD-9 018.82 (miliary tuberculosis)
BLADDER = {"CA_108.5", "CA_130"}  # phecodes of ICD-9 188.2 - what "1882" would map to


@pytest.fixture(scope="module")
def pmap(phecode_root):
    return load_phecode_map(phecode_root)


def _cohort(n=80, n_tb=30, seed=0):
    rng = np.random.default_rng(seed)
    ids = [f"{i:05d}" for i in range(1, n + 1)]  # ids with leading zeros too
    expo = pd.DataFrame({"patient_id": ids, "age": rng.normal(60, 10, n).round(1),
                         "sex": rng.choice(["F", "M"], n), "score": rng.normal(size=n)})
    dx = pd.DataFrame({"subject_id": ids[:n_tb], "hadm_id": range(n_tb), "icd_code": "01882",
                       "icd_version": 9})
    return expo, dx


def _check(summary):
    assert TB in set(summary["phecode"])
    assert not BLADDER & set(summary["phecode"])
    row = summary[summary["phecode"] == TB].iloc[0]
    assert row["n_cases"] == 30 and row["n_controls"] == 50


def test_icd_to_phecodes_keeps_text_and_warns_on_numbers(pmap):
    _, dx = _cohort()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = icd_to_phecodes(dx, pmap, min_code_count=1)
    assert TB in out.columns and not BLADDER & set(out.columns)
    with pytest.warns(UserWarning, match="arrived as numbers"):
        icd_to_phecodes(dx.assign(icd_code=dx["icd_code"].astype(int)), pmap, min_code_count=1)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_cli_phewas_leading_zero_code(fmt, pmap, phecode_root, tmp_path):
    expo, dx = _cohort()
    if fmt == "csv":  # exposures CSV starting with patient_id (no index column: item 10)
        expo.to_csv(tmp_path / "expo.csv", index=False)
        dx.to_csv(tmp_path / "dx.csv", index=False)
    else:
        expo.to_parquet(tmp_path / "expo.parquet")
        dx.to_parquet(tmp_path / "dx.parquet")
    out = tmp_path / "phewas.csv"
    res = CliRunner().invoke(app, ["phewas", str(tmp_path / f"expo.{fmt}"), "--diagnoses",
                                   str(tmp_path / f"dx.{fmt}"), "--phecode-map", str(phecode_root),
                                   "--min-code-count", "1", "--min-cases", "5", "--full-population", "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = pd.read_csv(out, dtype={"phecode": str})
    _check(summary)
    assert set(summary["exposure"]) == {"score"}  # ids and covariates are not exposures
    assert "reason" in summary.columns


def test_cli_phewas_parquet_exposures_indexed_by_subject(phecode_root, tmp_path):
    expo, dx = _cohort()
    expo.set_index("patient_id").to_parquet(tmp_path / "expo.parquet")
    dx.to_csv(tmp_path / "dx.csv", index=False)
    out = tmp_path / "phewas.csv"
    res = CliRunner().invoke(app, ["phewas", str(tmp_path / "expo.parquet"), "--diagnoses", str(tmp_path / "dx.csv"),
                                   "--phecode-map", str(phecode_root), "--min-code-count", "1",
                                   "--min-cases", "5", "--full-population", "--out", str(out)])
    assert res.exit_code == 0, res.output
    _check(pd.read_csv(out))


def test_cli_numeric_parquet_codes_warn(phecode_root, tmp_path):
    expo, dx = _cohort()
    expo.to_csv(tmp_path / "expo.csv", index=False)
    dx.assign(icd_code=dx["icd_code"].astype(int)).to_parquet(tmp_path / "dx.parquet")
    with pytest.warns(UserWarning, match="arrived as numbers"):
        CliRunner().invoke(app, ["phewas", str(tmp_path / "expo.csv"), "--diagnoses", str(tmp_path / "dx.parquet"),
                                 "--phecode-map", str(phecode_root), "--min-code-count", "1",
                                 "--min-cases", "5", "--out", str(tmp_path / "p.csv")])


@pytest.mark.parametrize("as_path", [True, False])
def test_pipeline_run_phewas_leading_zero_and_loaded_map(as_path, pmap, phecode_root, tmp_path):
    expo, dx = _cohort()
    expo["patient_id"] = expo["patient_id"].astype(int)  # numeric ids: compared as text
    dx["subject_id"] = dx["subject_id"].astype(int)
    dx.to_csv(tmp_path / "dx.csv", index=False)
    diagnoses = tmp_path / "dx.csv" if as_path else pd.read_csv(tmp_path / "dx.csv", dtype={"icd_code": str})
    # item 10: a loaded map works as well as a path
    summary = pipeline.run_phewas(expo, diagnoses, pmap if as_path else phecode_root, ["age", "sex"],
                                  min_code_count=1, min_cases=5, full_population=True)
    _check(summary)


def test_item2_sex_specific_phecode_restricted_by_default(pmap, tmp_path):
    """15 women and 2 men coded N95.1 (female-only GU_627.2): 15 cases, 25 controls (women)."""
    rng = np.random.default_rng(1)
    n = 80
    ids = [str(i) for i in range(n)]
    sex = np.array(["F"] * 40 + ["M"] * 40)
    expo = pd.DataFrame({"patient_id": ids, "age": rng.normal(60, 10, n), "sex": sex,
                         "score": rng.normal(size=n)})
    coded = ids[:15] + ids[40:42]
    dx = pd.DataFrame({"subject_id": coded, "icd_code": "N951", "icd_version": 10})
    s = pipeline.run_phewas(expo, dx, pmap, ["age", "sex"], min_code_count=1, min_cases=5,
                            exposures=["score"], full_population=True)
    row = s[s["phecode"] == "GU_627.2"].iloc[0]
    assert (row["n_cases"], row["n_controls"], row["n_sex_excluded"]) == (15, 25, 40)
    # PTB-XL coding (1 = female, 0 = male), stated, works the same
    s2 = pipeline.run_phewas(expo.assign(sex=(sex == "F").astype(int)), dx, pmap, ["age", "sex"],
                             min_code_count=1, min_cases=5, exposures=["score"], full_population=True,
                             sex_coding="ptbxl")
    row2 = s2[s2["phecode"] == "GU_627.2"].iloc[0]
    assert (row2["n_cases"], row2["n_controls"]) == (15, 25)
    # and the restriction can be switched off explicitly
    s3 = pipeline.run_phewas(expo, dx, pmap, ["age"], min_code_count=1, min_cases=5, exposures=["score"],
                             sex_col=None, full_population=True)
    row3 = s3[s3["phecode"] == "GU_627.2"].iloc[0]
    assert (row3["n_cases"], row3["n_controls"], row3["n_sex_excluded"]) == (17, 63, 0)


def test_read_mimic_diagnoses_leading_zero(tmp_path):
    hosp = tmp_path / "hosp"
    hosp.mkdir()
    pd.DataFrame({"subject_id": [1, 1, 2], "hadm_id": [10, 11, 20], "seq_num": 1,
                  "icd_code": ["01882", "0389", "I4891"], "icd_version": [9, 9, 10]}).to_csv(
        hosp / "diagnoses_icd.csv", index=False)
    dx = read_mimic_diagnoses(hosp)
    assert dx["icd_code"].tolist() == ["01882", "0389", "I4891"]
    (hosp / "diagnoses_icd.csv").unlink()
    pd.DataFrame({"subject_id": [1], "hadm_id": [10], "icd_code": [1882], "icd_version": [9]}).to_parquet(
        hosp / "diagnoses_icd.parquet")
    with pytest.warns(UserWarning, match="arrived as numbers"):
        read_mimic_diagnoses(hosp)
