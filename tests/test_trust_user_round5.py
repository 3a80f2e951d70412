"""Defects a new user's trial found (h-user, 2026-11-30; findings 3, 4, 7 and 8)."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from interp_ecg.cli import app

# -- finding 3: a covariate typo in a prototype_phewas YAML --------------------------------------

PP_YAML = """\
study: pp
kind: prototype_phewas
data:
  source: synthetic
params:
  covariates: [age, sexx]
"""


def test_covariate_typo_refused_by_study_validate_and_run(tmp_path):
    """Before: ``study validate`` said "valid" and ``run`` adjusted for age only."""
    cfg = tmp_path / "pp_cov.yaml"
    cfg.write_text(PP_YAML)
    for cmd in (["study", "validate", str(cfg)], ["study", "run", str(cfg), "--out", str(tmp_path / "runs")]):
        res = CliRunner().invoke(app, cmd)
        assert res.exit_code == 2, res.output
        err = res.stderr
        assert "pp_cov.yaml" in err and "params.covariates" in err and "'sexx'" in err, err
        assert "did you mean 'sex'" in err and "available: age, sex" in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("*.pdf"))


def test_covariate_typo_from_set_names_the_override(tmp_path):
    cfg = tmp_path / "pp.yaml"
    cfg.write_text(PP_YAML.replace("[age, sexx]", "[age, sex]"))
    ok = CliRunner().invoke(app, ["study", "validate", str(cfg)])
    assert ok.exit_code == 0, ok.output
    bad = CliRunner().invoke(app, ["study", "validate", str(cfg), "--set", "params.covariates=[agee]"])
    assert bad.exit_code == 2 and "--set params.covariates" in bad.stderr and "'agee'" in bad.stderr


def test_unadjusted_is_asked_for_with_an_empty_list():
    from interp_ecg.studies.params import PrototypePhewasParams

    assert PrototypePhewasParams(covariates=[]).covariates == []


def test_run_phewas_uses_the_same_check():
    from interp_ecg.errors import InterpEcgError
    from interp_ecg.studies.pipeline import run_phewas

    t = pd.DataFrame({"patient_id": ["1", "2"], "age": [50, 60], "sex": [0, 1], "x": [0.1, 0.2]})
    with pytest.raises(InterpEcgError, match=r"covariate 'sexx' \(item 1\) is not a column \(did you mean 'sex'\?\)"):
        run_phewas(t, pd.DataFrame({"subject_id": ["1"], "icd_code": ["I48"], "icd_version": ["10"]}),
                   None, ["age", "sexx"])


def test_report_text_lists_the_covariates_used():
    """Before: "adjusted for the configured covariates" whatever was used."""
    from interp_ecg.studies.prototype_phewas import _report_blocks

    summary = pd.DataFrame({"exposure": ["x"], "phecode": ["CV_416"], "beta": [0.1], "se": [0.1], "p": [0.3],
                            "q": [0.3], "bonferroni": [False], "method": ["logit"], "test": ["wald"],
                            "ci_method": ["wald"], "n_cases": [10], "n_controls": [20]})
    for listed, words in (("age, sex", "adjusted for age and sex"), ("age", "adjusted for age;"),
                          ("none (unadjusted)", "adjusted for nothing (unadjusted)")):
        cohort = pd.DataFrame({"n_ecgs": [30], "covariates": [listed]})
        blocks = _report_blocks({"cohort": cohort, "phewas": summary})
        text = " ".join(str(getattr(b, "text", "")) for b in blocks)
        assert words in text and "configured covariates" not in text, text


# -- finding 4: patient_id of WFDB folders -----------------------------------------------------------


def _write_wfdb(folder, name, comments=()):
    import numpy as np
    import wfdb

    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(1000) / 500
    sig = np.column_stack([np.sin(2 * np.pi * t), 0.5 * np.sin(2 * np.pi * t)])
    wfdb.wrsamp(name, fs=500, units=["mV", "mV"], sig_name=["I", "II"], p_signal=sig, fmt=["16", "16"],
                write_dir=str(folder), comments=list(comments))


@pytest.fixture
def ptbdiag_like(tmp_path):
    root = tmp_path / "ptbdiag"
    _write_wfdb(root / "patient001", "s0010_re", ["age: 81", "sex: female"])
    _write_wfdb(root / "patient001", "s0014lre", ["age: 81", "sex: female"])
    _write_wfdb(root / "patient002", "s0015lre")
    _write_wfdb(root, "loose")
    _write_wfdb(root, "named", ["Patient: 17", "age: 40"])
    return root


def test_read_wfdb_patient_id_from_folder_or_header_else_missing(ptbdiag_like):
    """Before: patient_id was the record id ('patient001/s0010_re', ...), one 'patient' per record."""
    from interp_ecg.io import read_wfdb

    pid = read_wfdb(ptbdiag_like).meta["patient_id"]
    assert pid["patient001/s0010_re"] == "patient001" and pid["patient001/s0014lre"] == "patient001"
    assert pid["patient002/s0015lre"] == "patient002"
    assert pid["named"] == "17"
    assert pd.isna(pid["loose"])  # nothing in the data names its patient: missing, not the record id


def test_features_table_keeps_patient_missing(ptbdiag_like):
    from interp_ecg.io import read_wfdb
    from interp_ecg.studies.pipeline import with_record_columns

    meta = read_wfdb(ptbdiag_like).meta
    t = with_record_columns(pd.DataFrame({"QRS_duration_ms": [90.0] * len(meta)}, index=meta.index), meta)
    assert pd.isna(t.loc["loose", "patient_id"]) and t.loc["patient001/s0010_re", "patient_id"] == "patient001"


def test_training_split_keeps_a_patient_together_and_warns_for_records_without_one(caplog):
    from interp_ecg.studies.pipeline import patient_split, training_data

    n = 40
    pid = [f"p{i // 2}" for i in range(30)] + [None] * 10  # 15 patients of 2 records, 10 unknown
    table = pd.DataFrame({"patient_id": pd.array(pid, dtype="string"),
                          "QRS_duration_ms": [80.0 + i for i in range(n)], "heart_rate_bpm": [70.0] * n,
                          "y": [i % 2 for i in range(n)]}, index=[f"r{i}" for i in range(n)])
    table["y"] = [(i // 2) % 2 for i in range(n)]
    with caplog.at_level("WARNING"):
        X, y, groups, _ = training_data(table, None, "y")
    assert "10 of 40 records have no patient_id" in caplog.text
    assert groups.attrs["n_without_patient"] == 10 and groups.nunique() == 15 + 10
    test = patient_split(groups, y, 0.3, 0)
    for p in (f"p{i}" for i in range(15)):
        sides = set(test[(groups == p).to_numpy()])
        assert len(sides) == 1  # both records of a patient on one side


def test_per_subject_table_leaves_out_records_without_subject(caplog):
    from interp_ecg.studies.pipeline import per_subject_table

    t = pd.DataFrame({"patient_id": pd.array(["1", "1", None, None], dtype="string"), "x": [1.0, 3.0, 5.0, 7.0],
                      "age": [50, 51, 60, 70]})
    with caplog.at_level("WARNING"):
        per = per_subject_table(t, "patient_id", ["x"], ["age"])
    assert per.index.tolist() == ["1"] and per.loc["1", "x"] == 2.0
    assert "2 of 4 records have no patient_id" in caplog.text


def test_train_cli_says_how_many_records_lack_a_patient(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    n = 40
    t = pd.DataFrame({"patient_id": [f"p{i}" for i in range(30)] + [""] * 10,
                      "QRS_duration_ms": rng.normal(100, 10, n), "heart_rate_bpm": rng.normal(80, 10, n),
                      "y": [i % 2 for i in range(n)]}, index=pd.Index([f"r{i}" for i in range(n)], name="record"))
    t.to_csv(tmp_path / "f.csv")
    res = CliRunner().invoke(app, ["train", str(tmp_path / "f.csv"), "--label", "y", "--models", "logreg",
                                   "--n-boot", "20", "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert "10 of 40 records have no patient_id: each is treated as a patient of its own" in res.stderr


# -- finding 7: Table 1 describes each patient once ----------------------------------------------------


def test_table1_describes_each_patient_once_from_the_first_ecg():
    """Before: 'Patients, n 2' but age and sex over the 4 ECGs (mean age 57.5, F 3 of 4 = 75.0%)."""
    from interp_ecg.report import CohortTableBlock, cohort_table

    meta = pd.DataFrame({"patient_id": ["a", "a", "a", "b"], "age": [40, 41, 42, 80],
                         "sex": ["F", "F", "F", "M"],
                         "recording_date": ["2001-01-03", "2001-01-01", "2001-01-02", "2000-01-01"]})
    t = cohort_table(meta).set_index("Characteristic")["Overall"]
    assert t["ECGs, n"] == "4" and t["Patients, n"] == "2"
    assert t["age, mean (SD)"] == "60.5 (27.6)"  # a's first ECG (age 41, 2001-01-01) and b's (80)
    assert t["sex = F, n (%)"] == "1 (50.0%)" and t["sex = M, n (%)"] == "1 (50.0%)"
    assert "earliest by recording_date" in cohort_table(meta).attrs["note"]
    block = CohortTableBlock(meta)
    assert "one ECG each" in block.note


def test_table1_groups_and_records_without_a_patient():
    from interp_ecg.report import cohort_table

    meta = pd.DataFrame({"patient_id": pd.array(["a", "a", None, "b"], dtype="string"), "age": [40, 50, 70, 80],
                         "sex": ["F", "F", "M", "M"]})
    t = cohort_table(meta, by=pd.Series(["x", "y", "x", "y"])).set_index("Characteristic")
    assert t.loc["Patients, n"].tolist() == ["2", "2", "3"]  # a is in both groups; the unknown ECG is its own
    assert t.loc["ECGs without a patient id (each taken as a patient), n"].tolist() == ["1", "0", "1"]
    assert t.loc["age, mean (SD)", "Overall"] == "63.3 (20.8)"  # 40 (a, first in table order), 70, 80
    assert "first in table order" in cohort_table(meta).attrs["note"]
