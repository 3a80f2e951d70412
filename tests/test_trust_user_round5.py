"""Defects a new user's trial found (h-user, 2026-11-30; findings 3, 4, 7 and 8)."""

from __future__ import annotations

import re

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


# -- finding 8: unclear errors, silent record drops, counts that do not add up ---------------------------


def _feature_csv(path, ids, n=40, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    t = pd.DataFrame({"patient_id": [f"p{i}" for i in range(n)], "QRS_duration_ms": rng.normal(100, 10, n),
                      "heart_rate_bpm": rng.normal(80, 10, n)}, index=pd.Index(ids, name="ecg_id"))
    t.to_csv(path)
    return t


def test_train_labels_matching_no_id_names_both_files(tmp_path):
    """Before: "label 'NORM' has a single class among 0 usable records"."""
    _feature_csv(tmp_path / "feat.csv", list(range(1, 41)))
    pd.DataFrame({"NORM": [i % 2 for i in range(40)]},
                 index=pd.Index([f"ID{i}" for i in range(1, 41)], name="ecg_id")).to_csv(tmp_path / "labels.csv")
    res = CliRunner().invoke(app, ["train", str(tmp_path / "feat.csv"), "--label", "NORM", "--labels",
                                   str(tmp_path / "labels.csv"), "--models", "logreg", "--out", str(tmp_path / "m")])
    assert res.exit_code != 0
    err = res.stderr
    assert "labels.csv" in err and "feat.csv" in err and "'ID1'" in err and "'1'" in err, err


def test_train_prints_the_record_flow_and_warns_about_unlabelled_records(tmp_path, caplog):
    """Before: 40 of 80 records dropped without a word; only "held out: 12 ECGs"."""
    _feature_csv(tmp_path / "feat.csv", list(range(1, 81)), n=80)
    pd.DataFrame({"NORM": [i % 2 for i in range(40)]},
                 index=pd.Index(list(range(1, 41)), name="ecg_id")).to_csv(tmp_path / "half.csv")
    with caplog.at_level("WARNING"):
        res = CliRunner().invoke(app, ["train", str(tmp_path / "feat.csv"), "--label", "NORM", "--labels",
                                       str(tmp_path / "half.csv"), "--models", "logreg", "--n-boot", "20",
                                       "--out", str(tmp_path / "m")])
    assert res.exit_code == 0, res.output
    assert "40 of 80 records of" in caplog.text and "have no row in" in caplog.text
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("records:"))
    assert "80 in feat.csv, 40 with label 'NORM' in half.csv, all 40 kept (no quality_ok column in feat.csv" in line
    n_train, n_test = (int(x) for x in re.findall(r"(\d+) used for training, (\d+) held out", line)[0])
    assert n_train + n_test == 40 and n_test > 0


def test_labels_match_ids_written_as_text_or_numbers():
    from interp_ecg.studies.pipeline import training_data

    t = pd.DataFrame({"QRS_duration_ms": [90.0, 100.0, 110.0, 120.0], "heart_rate_bpm": [60.0] * 4},
                     index=["1", "2", "3", "4"])
    labels = pd.DataFrame({"y": [0, 1, 0, 1]}, index=[1, 2, 3, 4])
    X, y, _, _ = training_data(t, labels, "y")
    assert y.tolist() == [0, 1, 0, 1] and X.attrs["record_flow"] == {"in_table": 4, "labelled": 4, "measured": 4}


def test_explain_with_the_wrong_table_names_it(tmp_path):
    from interp_ecg.studies.pipeline import model_matrix

    class M:
        feature_names_in_ = ["QRS_duration_ms", "R_amp_mV_V5"]

    with pytest.raises(Exception, match=r"labels\.csv: the feature table lacks 2 of the model's 2 inputs"):
        model_matrix(pd.DataFrame({"NORM": [1]}), M(), source=tmp_path / "labels.csv")


def test_phewas_with_the_wrong_diagnoses_file_names_it(tmp_path):
    """Before: "diagnoses table has neither subject_id nor 'patient_id'" without the file."""
    t = pd.DataFrame({"patient_id": ["1", "2"], "age": [50, 60], "sex": ["F", "M"], "x": [0.1, 0.2]})
    t.to_csv(tmp_path / "expo.csv", index=False)
    pd.DataFrame({"ecg_id": [1], "NORM": [1]}).to_csv(tmp_path / "labels.csv", index=False)
    res = CliRunner().invoke(app, ["phewas", str(tmp_path / "expo.csv"), "--diagnoses", str(tmp_path / "labels.csv"),
                                   "--phecode-map", str(tmp_path)])
    assert res.exit_code != 0 and "labels.csv" in res.stderr and "neither subject_id nor 'patient_id'" in res.stderr


def test_superclass_labels_of_meta_say_to_pass_the_dataset(tmp_path):
    """Before: AttributeError: 'DataFrame' object has no attribute 'extras' from inside pandas."""
    from interp_ecg.errors import ArgumentError
    from interp_ecg.io import ptbxl_superclass_labels

    with pytest.raises(ArgumentError, match="pass the EcgDataset from read_ptbxl"):
        ptbxl_superclass_labels(pd.DataFrame({"age": [1]}))


def test_phewas_summary_counts_add_up_with_n_excluded():
    import numpy as np

    from interp_ecg.phenotype import phewas

    rng = np.random.default_rng(0)
    n = 60
    X = pd.DataFrame({"x": rng.normal(size=n)}, index=[str(i) for i in range(n)])
    y = pd.Series([True] * 15 + [pd.NA] * 10 + [False] * 35, index=X.index, dtype="boolean")
    s = phewas(X, pd.DataFrame({"CV_1": y}), None, min_cases=5)
    row = s.iloc[0]
    assert (row["n_cases"], row["n_controls"], row["n_excluded"]) == (15, 35, 10)


def test_min_code_count_help_says_what_it_counts():
    res = CliRunner().invoke(app, ["phewas", "--help"], terminal_width=200)
    text = " ".join(res.output.split())
    assert "distinct admission (hadm_id)" in text and "distinct date" in text


def test_study_validate_checks_the_ptbxl_folder(tmp_path):
    """Before: a ptbxl source pointing at another dataset's folder was 'valid' (run then failed)."""
    (tmp_path / "ludb").mkdir()
    cfg = tmp_path / "wrongdata.yaml"
    cfg.write_text("study: w\nkind: wct\ndata:\n  source: ptbxl\n  path: ludb\n")
    res = CliRunner().invoke(app, ["study", "validate", str(cfg)])
    assert res.exit_code == 2 and "wrongdata.yaml" in res.stderr and "ptbxl_database.csv" in res.stderr, res.output
    (tmp_path / "ludb" / "ptbxl_database.csv").write_text("ecg_id\n")
    assert CliRunner().invoke(app, ["study", "validate", str(cfg)]).exit_code == 0


# -- finding 4, the same kind elsewhere: no reader takes a record id for a patient ----------------------


def test_patient_kfold_takes_unknown_patients_as_their_own_and_warns(caplog):
    import numpy as np

    from interp_ecg.evaluate import PatientKFold

    groups = np.array(["a", "a", "b", "b", None, None, "c", "c", "d", "d"], dtype=object)
    y = np.array([0, 1] * 5)
    with caplog.at_level("WARNING"):
        folds = list(PatientKFold(2, random_state=0).split(None, y, groups))
    assert "2 of 10 records have no patient_id" in caplog.text
    for tr, te in folds:
        known = [g for g in groups[te] if g is not None]
        assert set(known).isdisjoint(g for g in groups[tr] if g is not None)


def test_ptbxl_table_without_patient_column_leaves_patient_missing(tmp_path, caplog):
    """Before: patient_id was the ecg_id."""
    from interp_ecg.io import read_ptbxl

    pd.DataFrame({"ecg_id": [1, 2], "age": [63.0, 70.0], "sex": [0, 1], "scp_codes": ["{'NORM': 100.0}"] * 2,
                  "strat_fold": [1, 10], "filename_lr": ["records100/00000/00001_lr", "records100/00000/00002_lr"],
                  "filename_hr": ["records500/00000/00001_hr", "records500/00000/00002_hr"]}
                 ).to_csv(tmp_path / "ptbxl_database.csv", index=False)
    pd.DataFrame({"Unnamed: 0": ["NORM"], "description": ["normal ECG"], "diagnostic": [1.0], "form": [None],
                  "rhythm": [None], "diagnostic_class": ["NORM"], "diagnostic_subclass": ["NORM"]}
                 ).to_csv(tmp_path / "scp_statements.csv", index=False)
    with caplog.at_level("WARNING"):
        meta = read_ptbxl(tmp_path, sampling_rate=100).meta
    assert meta["patient_id"].isna().all() and "no patient_id column" in caplog.text


@pytest.mark.shared_data
def test_cinc_gives_no_patient(cinc_root):
    from interp_ecg.io import read_cinc

    assert read_cinc(cinc_root).meta["patient_id"].isna().all()  # before: the record names
