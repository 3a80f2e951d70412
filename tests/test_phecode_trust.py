"""Phecode case/control trust defects a new user found (FINDINGS-user3, 2026-11-30 night).

* finding 3: phecodes defined by ICD-10-CM codes only (Phecode X ``icd10_only``): patients
  coded only in the ICD-9-CM era cannot be cases, so they are not controls either (and the
  symmetric ICD-9-only phecodes);
* finding 4: ``pipeline.per_subject_table`` read any text covariate as sex;
* finding 2 (CLI part): ``interp-ecg phewas`` made subjects absent from the diagnosis table
  controls of every phecode.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from interp_ecg.phenotype import PhecodeMap, icd_to_phecodes, load_phecode_map

# -- finding 3: single-vocabulary phecodes -------------------------------------------------------


def _toy_map() -> PhecodeMap:
    """Unrolled toy map: paroxysmal AF (ICD-10 only), AF (both), an ICD-9-only phecode."""
    rows = [
        ("ICD9CM", "42731", ["CV_416.21", "CV_416"]),
        ("ICD10CM", "I4891", ["CV_416.21", "CV_416"]),
        ("ICD10CM", "I480", ["CV_416.211", "CV_416.21", "CV_416"]),
        ("ICD9CM", "6248", ["GU_624.1"]),
        ("ICD9CM", "25000", ["EM_202.2"]),
        ("ICD10CM", "E119", ["EM_202.2"]),
    ]
    icd = pd.DataFrame([(v, c, p) for v, c, ps in rows for p in ps], columns=["vocabulary", "code", "phecode"])
    info = pd.DataFrame(index=pd.Index(sorted(set(icd["phecode"])), name="phecode"))
    return PhecodeMap("X", icd, info)


def _toy_diagnoses() -> pd.DataFrame:
    rows = [
        ("a", 1, "I48.0", 10), ("a", 2, "I480", 10),                          # paroxysmal AF x2: case
        ("b", 1, "427.31", 9), ("b", 2, "42731", 9), ("b", 3, "4019", 9),     # AF, ICD-9 era only
        ("c", 1, "25000", 9),                                                  # ICD-9 only
        ("d", 1, "E119", 10), ("d", 2, "E11.9", 10),                           # ICD-10 only
        ("e", 1, "25000", 9), ("e", 2, "E119", 10),                            # both eras
        ("f", 1, "I480", 10),                                                  # one occurrence
        ("g", 1, "6248", 9), ("g", 2, "624.8", 9),                             # ICD-9-only phecode x2
    ]
    return pd.DataFrame(rows, columns=["subject_id", "hadm_id", "icd_code", "icd_version"])


def test_single_vocabulary_of_toy_map():
    assert _toy_map().single_vocabulary.to_dict() == {"CV_416.211": "ICD10CM", "GU_624.1": "ICD9CM"}


def test_icd10_only_phecode_controls_need_an_icd10_diagnosis(caplog):
    """Before: b, c, g (ICD-9 era only) and h (no diagnosis at all) were controls of CV_416.211."""
    with caplog.at_level(logging.INFO, logger="interp_ecg.phenotype.mapping"):
        t = icd_to_phecodes(_toy_diagnoses(), _toy_map(), min_code_count=2, subjects=list("abcdefgh"))
    got = {s: (None if pd.isna(v) else bool(v)) for s, v in t["CV_416.211"].items()}
    assert got == {"a": True, "b": None, "c": None, "d": False, "e": False, "f": None, "g": None, "h": None}
    # symmetric: the ICD-9-only phecode leaves out subjects coded only in ICD-10-CM (a, d, f) and h
    got = {s: (None if pd.isna(v) else bool(v)) for s, v in t["GU_624.1"].items()}
    assert got == {"a": None, "b": False, "c": False, "d": None, "e": False, "f": None, "g": True, "h": None}
    # a phecode both vocabularies define is untouched: h (no diagnosis, given in subjects) a control
    got = {s: (None if pd.isna(v) else bool(v)) for s, v in t["CV_416.21"].items()}
    assert got == {"a": True, "b": True, "c": False, "d": False, "e": False, "f": None, "g": False, "h": False}
    # f is NA for its single occurrence, not for the vocabulary: not counted there
    assert t.attrs["vocabulary_excluded"] == {"CV_416.211": 4, "GU_624.1": 4}
    assert "2 phecodes defined by codes of one ICD vocabulary only: 8 subject-phecode controls" in caplog.text


def test_vocabulary_restriction_can_be_turned_off():
    t = icd_to_phecodes(_toy_diagnoses(), _toy_map(), min_code_count=2, subjects=list("abcdefgh"),
                        vocabulary_restriction=False)
    assert t["CV_416.211"].tolist() == [True, False, False, False, False, pd.NA, False, False]
    assert t.attrs["vocabulary_excluded"] == {}


def test_one_vocabulary_table_keeps_subjects_without_diagnoses_as_controls():
    """A table coded in ICD-10-CM only (the synthetic cohort): a subject of ``subjects`` without
    any diagnosis belongs to that era, so it stays a control of an ICD-10-only phecode."""
    dx = _toy_diagnoses().query("icd_version == 10")
    t = icd_to_phecodes(dx, _toy_map(), min_code_count=2, subjects=list("adefh"))
    assert t["CV_416.211"].tolist() == [True, False, False, pd.NA, False]
    assert t.attrs["vocabulary_excluded"] == {"CV_416.211": 0}


@pytest.mark.shared_data
def test_phecode_x_flags_and_map_disagree_in_few_phecodes(phecode_root):
    m = load_phecode_map(phecode_root)
    assert int(m.info["icd10_only"].fillna(False).astype(bool).sum()) == 571
    single = m.single_vocabulary
    assert single.value_counts().to_dict() == {"ICD10CM": 564, "ICD9CM": 2}
    assert sorted(single.index[single == "ICD9CM"]) == ["GU_624.1", "NB_885.4"]
    assert single["CV_416.211"] == "ICD10CM"
    # flagged icd10_only, but the map holds ICD-9-CM 753.14 for it: both vocabularies make cases
    assert bool(m.info.loc["GE_976.52", "icd10_only"]) and "GE_976.52" not in single.index
    m12 = load_phecode_map(phecode_root, version="1.2")
    assert m12.single_vocabulary.value_counts().to_dict() == {"ICD9CM": 29}


@pytest.mark.shared_data
def test_mimic_demo_paroxysmal_af_controls_leave_out_icd9_era_patients(phecode_root, mimic_demo_root):
    """Before: CV_416.211 5 cases / 95 controls, 56 of them coded only in ICD-9-CM."""
    from interp_ecg.io import read_mimic_diagnoses

    dx = read_mimic_diagnoses(mimic_demo_root / "hosp")
    t = icd_to_phecodes(dx, load_phecode_map(phecode_root), min_code_count=1)
    versions = dx.groupby("subject_id")["icd_version"].agg(lambda s: set(s.astype(int)))
    nine_only = versions.index[versions.map(lambda s: s == {9})]
    assert len(nine_only) == 56
    col = t["CV_416.211"]
    assert (int(col.sum()), int((col == False).sum()), int(col.isna().sum())) == (5, 39, 56)  # noqa: E712
    assert col.reindex(nine_only).isna().all()
    assert t.attrs["vocabulary_excluded"]["CV_416.211"] == 56
    # every ICD-10-only phecode with a case in the demo lost the ICD-9-era patients
    vex = t.attrs["vocabulary_excluded"]
    assert len(vex) == 22 and set(vex.values()) == {56}
    assert {"EM_204.4", "CV_414.5", "CV_416.213"} <= set(vex)


@pytest.mark.shared_data
def test_run_phewas_reports_vocabulary_excluded(phecode_root, mimic_demo_root):
    from interp_ecg.io import read_mimic_diagnoses
    from interp_ecg.studies import pipeline

    dx = read_mimic_diagnoses(mimic_demo_root / "hosp")
    subjects = sorted(dx["subject_id"].unique())
    rng = np.random.default_rng(0)
    expo = pd.DataFrame({"patient_id": subjects, "score": rng.normal(size=len(subjects))})
    s = pipeline.run_phewas(expo, dx, phecode_root, [], min_code_count=1, min_cases=5)
    row = s.set_index("phecode").loc["CV_416.211"]
    assert (int(row["n_cases"]), int(row["n_controls"]), int(row["n_vocabulary_excluded"])) == (5, 39, 56)
    assert (s.set_index("phecode").loc["CV_401.1", "n_vocabulary_excluded"]) == 0


# -- finding 4: covariates of pipeline.per_subject_table -----------------------------------------


def test_per_subject_table_reads_text_ages_as_numbers_and_only_sex_as_sex(caplog):
    """Before: age 18 -> 1.0, 65 -> NaN, 100 -> 1.0, 0 -> 0.0 (first letter read as F/M/1/0),
    and sex "W" NaN although the sex restriction read it as female."""
    from interp_ecg.studies.pipeline import per_subject_table

    t = pd.DataFrame({"patient_id": list("abcd"), "x": [1., 2, 3, 4], "age": ["18", "65", "100", "0"],
                      "sex": ["female", "Male", "W", "unknown"]})
    with caplog.at_level(logging.WARNING, logger="interp_ecg.studies.pipeline"):
        per = per_subject_table(t, "patient_id", ["x"], ["age", "sex"])
    assert per["age"].tolist() == [18.0, 65.0, 100.0, 0.0]
    assert per["sex"].tolist()[:3] == [1.0, 0.0, 1.0] and np.isnan(per["sex"].iloc[3])
    assert "sex: 1 subjects have a value outside the sex vocabulary (e.g. ['unknown'])" in caplog.text


def test_per_subject_table_top_coded_age_and_missing_text():
    from interp_ecg.studies.pipeline import per_subject_table

    t = pd.DataFrame({"patient_id": list("abcde"), "x": [1., 2, 3, 4, 5],
                      "age": ["90+", " 72 ", "NA", None, "45.5"]})
    per = per_subject_table(t, "patient_id", ["x"], ["age"])
    assert per["age"].tolist()[:2] == [90.0, 72.0] and per["age"].iloc[2:4].isna().all()
    assert per["age"].iloc[4] == 45.5


def test_per_subject_table_mixed_text_is_an_error_naming_the_column():
    from interp_ecg.errors import InterpEcgError
    from interp_ecg.studies.pipeline import per_subject_table

    t = pd.DataFrame({"patient_id": list("abcd"), "x": [1., 2, 3, 4], "age": ["18", "sixty", "70", "old"]})
    with pytest.raises(InterpEcgError, match=r"column 'age': 2 of 4 values are not numbers \(e.g. \['sixty', 'old'\]\)"):
        per_subject_table(t, "patient_id", ["x"], ["age"])
    t = t.assign(age=[18, 60, 70, 80], x=["1", "2", "three", "4"])  # an exposure in text too
    with pytest.raises(InterpEcgError, match=r"column 'x': 1 of 4 values are not numbers \(e.g. \['three'\]\)"):
        per_subject_table(t, "patient_id", ["x"], ["age"])


def test_per_subject_table_text_category_is_kept_for_one_hot():
    """Before: a category (site) became all-NaN and every subject was dropped."""
    from interp_ecg.studies.pipeline import per_subject_table

    t = pd.DataFrame({"patient_id": list("abcd"), "x": [1., 2, 3, 4], "site": ["north", "south", None, "north"]})
    per = per_subject_table(t, "patient_id", ["x"], ["site"])
    assert per["site"].tolist()[:2] == ["north", "south"] and pd.isna(per["site"].iloc[2])


def test_sex_is_read_from_whole_values_not_first_letters():
    from interp_ecg.phenotype.mapping import normalize_sex
    from interp_ecg.studies.pipeline import sex_labels

    values = pd.Series(["F", "female", "W", "woman", "M", "Male", "man", "missing", "mixed", "0", "1", "2", ""])
    want = ["Female"] * 4 + ["Male"] * 3 + ["?", "?", "Male", "Female", "?", "?"]
    assert sex_labels(values).fillna("?").tolist() == want
    assert normalize_sex(values).fillna("?").tolist() == want[:9] + ["?"] * 4  # no PTB-XL digits there
    assert sex_labels(pd.Series([1, 0, 2])).fillna("?").tolist() == ["Female", "Male", "?"]


@pytest.mark.shared_data
def test_cli_phewas_with_top_coded_text_ages(phecode_root, mimic_demo_root, tmp_path):
    """Before: an age column written as text because of '90+' was read as sex: "dropping 100
    subjects with missing covariates", 0 tests."""
    from typer.testing import CliRunner

    from interp_ecg.cli import app
    from interp_ecg.studies import pipeline

    hosp = mimic_demo_root / "hosp"
    pts = pd.read_csv(hosp / "patients.csv.gz", dtype={"subject_id": str})
    rng = np.random.default_rng(1)
    expo = pd.DataFrame({"patient_id": pts["subject_id"], "score": rng.normal(size=len(pts)),
                         "age": [("90+" if a >= 90 else str(a)) for a in pts["anchor_age"]],
                         "sex": pts["gender"]})
    assert (expo["age"] == "90+").sum() == 3
    path = tmp_path / "expo.csv"
    expo.to_csv(path, index=False)
    out = tmp_path / "phewas.csv"
    res = CliRunner().invoke(app, ["phewas", str(path), "--diagnoses", str(hosp / "diagnoses_icd.csv.gz"),
                                   "--phecode-map", str(phecode_root), "--min-cases", "10", "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out)
    dx = pd.read_csv(hosp / "diagnoses_icd.csv.gz", dtype=str)
    expected = pipeline.run_phewas(expo.assign(age=pts["anchor_age"].clip(upper=90).astype(float)), dx,
                                   phecode_root, min_cases=10)
    assert len(got) == len(expected) > 0
    assert got["n_cases"].tolist() == expected["n_cases"].tolist()
    assert got["p"].to_numpy() == pytest.approx(expected["p"].to_numpy(), rel=1e-9, nan_ok=True)


# -- finding 2 (CLI part): subjects absent from the diagnosis table --------------------------------


@pytest.mark.shared_data
def test_cli_phewas_leaves_out_subjects_without_diagnoses(phecode_root, mimic_demo_root, tmp_path):
    """Before: 30 patients absent from diagnoses_icd turned CV_401.1 22 cases / 47 controls into
    22 / 77, silently."""
    from typer.testing import CliRunner

    from interp_ecg.cli import app

    hosp = mimic_demo_root / "hosp"
    pts = pd.read_csv(hosp / "patients.csv.gz", dtype={"subject_id": str})
    extra = pd.DataFrame({"subject_id": [str(90000000 + i) for i in range(30)], "gender": "F", "anchor_age": 60})
    pts = pd.concat([pts, extra], ignore_index=True)
    rng = np.random.default_rng(2)
    expo = pd.DataFrame({"patient_id": pts["subject_id"], "score": rng.normal(size=len(pts)),
                         "age": pts["anchor_age"], "sex": pts["gender"]})
    path = tmp_path / "expo.csv"
    expo.to_csv(path, index=False)
    args = ["phewas", str(path), "--diagnoses", str(hosp / "diagnoses_icd.csv.gz"), "--phecode-map",
            str(phecode_root), "--min-cases", "10"]
    rows = {}
    for flag in ("default", "--full-population"):
        out = tmp_path / f"{flag}.csv"
        res = CliRunner().invoke(app, [*args, *([flag] if flag != "default" else []), "--out", str(out)])
        assert res.exit_code == 0, res.output
        rows[flag] = pd.read_csv(out).set_index("phecode").loc["CV_401.1"]
        if flag == "default":
            assert "30 subjects of expo.csv have no diagnosis: left out, neither cases nor controls" in res.output
        else:
            assert "left out, neither cases nor controls" not in res.output
    got = {k: (int(r["n_cases"]), int(r["n_controls"]), int(r["n_excluded"])) for k, r in rows.items()}
    assert got == {"default": (22, 47, 31), "--full-population": (22, 77, 31)}


def test_cohort_phewas_leaves_out_patients_without_diagnoses():
    from interp_ecg.studies import pipeline

    rng = np.random.default_rng(3)
    n = 60
    meta = pd.DataFrame({"patient_id": np.arange(n), "age": rng.integers(40, 80, n).astype(float),
                         "sex": rng.integers(0, 2, n)}, index=pd.RangeIndex(n, name="ecg_id"))
    expo = pd.DataFrame({"x": rng.normal(size=n)}, index=meta.index)
    dx = pd.DataFrame({"subject_id": np.r_[np.arange(12), np.arange(12, 40)],
                       "icd_code": ["I47.2"] * 12 + ["E11.9"] * 28, "icd_version": 10})
    res = pipeline.cohort_phewas(expo, meta, dx, "/no/such/map", min_cases=5, method="logit")
    row = res.summary.set_index("phecode").loc["I47"]
    assert (int(row["n_cases"]), int(row["n_controls"]), res.n_without_diagnoses, res.n_subjects) == (12, 28, 20, 40)
    full = pipeline.cohort_phewas(expo, meta, dx, "/no/such/map", min_cases=5, method="logit",
                                  full_population=True)
    row = full.summary.set_index("phecode").loc["I47"]
    assert (int(row["n_cases"]), int(row["n_controls"]), full.n_without_diagnoses) == (12, 48, 0)


def test_icd10_category_outcomes_leave_out_icd9_codes_and_icd9_only_subjects():
    """Without a phecode map: ICD-9-CM 427.31 was the 'ICD-10 category' 427, and a patient seen
    only in the ICD-9 era a control of every ICD-10 category."""
    from interp_ecg.studies.pipeline import phecode_outcomes

    dx = pd.DataFrame({"subject_id": ["1", "2", "3", "3"], "icd_code": ["I47.2", "I47.2", "427.31", "42731"],
                       "icd_version": [10, 10, 9, 9]})
    out, _, _ = phecode_outcomes(dx, pd.Index(["1", "2", "3", "4"]), "/no/such/map", min_cases=1)
    assert out.columns.tolist() == ["I47"]
    assert out["I47"].tolist() == [True, True, pd.NA, pd.NA]
