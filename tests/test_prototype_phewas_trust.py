"""Trust defects of the prototype_phewas study found by a new user (FINDINGS-user3): each test
fails on the code before its fix and checks the right value.

The MIMIC-IV-ECG layout is built from the real MIMIC-IV demo: one ECG per patient at the middle
of the patient's first admission, except 15 patients whose ECG lies 3,000 days before any
admission (an outpatient ECG, linked to no stay).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg import phenotype
from interp_ecg.studies.prototype_phewas import run_prototype_phewas_study

pytestmark = pytest.mark.shared_data

N_OUTSIDE = 15


def _mimic_layout(mimic_demo_root, root):
    """record_list.csv of a fake MIMIC-IV-ECG folder, the first stays and the outpatient ids."""
    hosp = mimic_demo_root / "hosp"
    adm = pd.read_csv(hosp / "admissions.csv.gz", parse_dates=["admittime", "dischtime"])
    first = adm.sort_values(["subject_id", "admittime"]).groupby("subject_id").head(1).reset_index(drop=True)
    t = first["admittime"] + (first["dischtime"] - first["admittime"]) / 2
    outside = first.index < N_OUTSIDE
    t[outside] = first.loc[outside, "admittime"] - pd.Timedelta(days=3000)
    rl = pd.DataFrame({"subject_id": first["subject_id"], "study_id": 40_000_001 + np.arange(len(first)),
                       "file_name": "x", "ecg_time": t.dt.strftime("%Y-%m-%d %H:%M:%S"),
                       "path": "files/none"})
    (root / "mimicecg").mkdir(parents=True)
    rl.to_csv(root / "mimicecg" / "record_list.csv", index=False)
    first["study_id"] = rl["study_id"]
    return first, set(rl.loc[outside, "study_id"].astype(str))


@pytest.fixture(scope="module")
def admission_run(mimic_demo_root, phecode_root, tmp_path_factory):
    """The study under ``window: admission`` with the default min_code_count; exposures: a
    noise column, a constant and an identifier column (subject_id)."""
    root = tmp_path_factory.mktemp("u3")
    first, outside = _mimic_layout(mimic_demo_root, root)
    rng = np.random.default_rng(3)
    pd.DataFrame({"study_id": first["study_id"], "noise": rng.normal(size=len(first)), "const": 2.0,
                  "subject_id": first["subject_id"]}).to_csv(root / "expo.csv", index=False)
    cfg = {"seed": 0,
           "data": {"source": "mimic", "path": str(root / "mimicecg"),
                    "diagnoses": str(mimic_demo_root / "hosp"), "phecode_map": str(phecode_root)},
           "params": {"exposure_source": "table", "exposure_table": str(root / "expo.csv"),
                      "window": "admission", "min_cases": 5, "n_boot": 0}}
    return run_prototype_phewas_study(cfg, root / "run"), first, outside


def _hf_stays(mimic_demo_root, phecode_root) -> set:
    """Admissions coding heart failure (Phecode X CV_424 and its children), read from the raw
    map files: an independent count."""
    roll = pd.read_csv(phecode_root / "phecodeX_R_rollup_map.csv", dtype=str)
    leaves = set(roll.loc[roll["phecode_unrolled"] == "CV_424", "code"]) | {"CV_424"}
    icd = pd.read_csv(phecode_root / "phecodeX_R_map.csv", dtype=str)
    icd = icd[icd["phecode"].isin(leaves)]
    codes = {(v, c.replace(".", "")) for v, c in zip(icd["vocabulary_id"], icd["code"])}
    dx = pd.read_csv(mimic_demo_root / "hosp" / "diagnoses_icd.csv.gz", dtype={"icd_code": str})
    vocab = dx["icd_version"].map({9: "ICD9CM", 10: "ICD10CM"})
    hit = [(v, c) in codes for v, c in zip(vocab, dx["icd_code"].str.strip())]
    return set(dx.loc[hit, "hadm_id"])


# -- finding 2: an ECG linked to no stay has no phenotype, it is not a control ------------------
def test_ecgs_outside_every_admission_are_left_out_not_controls(admission_run, mimic_demo_root, phecode_root):
    res, first, outside = admission_run
    cohort = res["cohort"].iloc[0]
    assert cohort["n_ecgs_selected"] == len(first)
    assert cohort["n_ecgs_left_out"] == N_OUTSIDE
    assert cohort["n_ecgs"] == len(first) - N_OUTSIDE
    assert "outside every admission" in cohort["left_out_reasons"]
    assert any("15 of 100 ECGs left out" in n for n in res["notes"]), res["notes"]
    hf = res["phewas"].query("exposure == 'noise' and phecode == 'CV_424'").iloc[0]
    inside = first.iloc[N_OUTSIDE:]
    n_hf = int(inside["hadm_id"].isin(_hf_stays(mimic_demo_root, phecode_root)).sum())
    # the 85 ECGs inside a stay: cases = stays coding heart failure, controls = the others
    assert (hf["n_cases"], hf["n_controls"], hf["n_excluded"]) == (n_hf, len(inside) - n_hf, 0)


def test_linkage_reports_unlinked_ecgs_with_their_reason():
    ecgs = pd.DataFrame({"subject_id": ["a", "b", "c"],
                         "ecg_time": pd.to_datetime(["2020-01-01", None, "2020-01-01"])},
                        index=pd.Index([1, 2, 3], name="ecg_id"))
    dx = pd.DataFrame({"subject_id": ["a", "b", "c"], "icd_code": "I48.91", "icd_version": 10,
                       "date": pd.to_datetime(["2020-02-01", "2020-02-01", "2023-02-01"])})
    linked, unlinked = phenotype.diagnoses_for_ecgs(ecgs, dx, window=("-30D", "365D"), time_col="date",
                                                    return_unlinked=True)
    assert linked["ecg_id"].tolist() == [1]
    assert unlinked.to_dict() == {2: "no valid ECG time", 3: "no diagnosis in the window"}
    _, none = phenotype.diagnoses_for_ecgs(ecgs, dx.iloc[:2], return_unlinked=True)
    assert none.to_dict() == {3: "no diagnosis of the subject"}


# -- finding 6: window admission with the default min_code_count; an empty run is loud ---------
def test_admission_window_default_min_code_count_is_one_stay(admission_run):
    res, _, _ = admission_run
    assert any(">= 1 occurrence(s) for a case" in n for n in res["notes"]), res["notes"]
    assert res["cohort"]["n_phecodes"].iloc[0] > 50  # 0 before: nobody reached 2 admissions
    assert res["cohort"]["n_tests"].iloc[0] > 0


def test_admission_window_with_two_occurrences_is_refused(tmp_path):
    from interp_ecg.errors import ConfigError
    from interp_ecg.studies.config import validate_config

    cfg = {"study": "x", "kind": "prototype_phewas", "params": {"window": "admission", "min_code_count": 2}}
    with pytest.raises(ConfigError, match=r"params.min_code_count: 2 with params.window: admission"):
        validate_config(cfg)
    assert validate_config({**cfg, "params": {"window": "admission", "min_code_count": 1}})


def test_a_run_with_nothing_tested_says_so(mimic_demo_root, phecode_root, tmp_path, caplog):
    from interp_ecg.studies import prototype_phewas

    first, _ = _mimic_layout(mimic_demo_root, tmp_path)
    rng = np.random.default_rng(0)
    pd.DataFrame({"study_id": first["study_id"], "noise": rng.normal(size=len(first)),
                  "other": rng.normal(size=len(first))}).to_csv(tmp_path / "expo.csv", index=False)
    cfg = {"seed": 0,
           "data": {"source": "mimic", "path": str(tmp_path / "mimicecg"),
                    "diagnoses": str(mimic_demo_root / "hosp"), "phecode_map": str(phecode_root)},
           "params": {"exposure_source": "table", "exposure_table": str(tmp_path / "expo.csv"),
                      "exposure_columns": ["noise"],  # finding 8: the exposures named
                      "window": "admission", "min_cases": 90, "n_boot": 0}}
    with caplog.at_level("WARNING"):
        res = run_prototype_phewas_study(cfg, tmp_path / "run")
    assert res["cohort"]["n_exposures"].iloc[0] == 1
    assert res["notes"][0].startswith("WARNING: nothing was tested: 0 phecodes have >= 90 cases")
    assert any("nothing was tested" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    blocks = prototype_phewas._report_blocks({"cohort": res["cohort"]}, "nothing was tested")
    assert blocks[0].warning == "nothing was tested"


# -- finding 5: the number of tests is the rows with a p-value ---------------------------------
def test_number_of_tests_counts_only_rows_with_a_p_value(admission_run):
    from interp_ecg.report import PhewasBlock

    res, _, _ = admission_run
    s = res["phewas"]
    tested = int(s["p"].notna().sum())
    assert (s.loc[s["exposure"] == "const", "reason"] == "constant exposure").all()
    assert tested < len(s)  # the constant exposure's rows are not tests
    assert res["cohort"]["n_tests"].iloc[0] == tested
    assert res["cohort"]["n_pairs"].iloc[0] == len(s)
    # the Bonferroni column applies 0.05 / tested, and so does the caption
    assert (s["bonferroni"] == (s["p"] < 0.05 / tested)).all()
    caption = PhewasBlock(s)._caption()
    assert f"Manhattan plot of {tested} exposure x phecode tests" in caption
    assert f"(0.05/{tested})" in caption


# -- finding 8: identifier columns are not exposures; params.exposure_columns ------------------
def test_identifier_columns_of_the_exposure_table_are_not_exposures(admission_run):
    res, _, _ = admission_run
    assert set(res["phewas"]["exposure"]) == {"noise", "const"}  # not subject_id
    assert res["cohort"]["n_exposures"].iloc[0] == 2


def test_unknown_exposure_column_is_refused_naming_the_table(mimic_demo_root, phecode_root, tmp_path):
    from interp_ecg.errors import ConfigError

    first, _ = _mimic_layout(mimic_demo_root, tmp_path)
    pd.DataFrame({"study_id": first["study_id"], "noise": 0.0}).to_csv(tmp_path / "expo.csv", index=False)
    cfg = {"data": {"source": "mimic", "path": str(tmp_path / "mimicecg"),
                    "diagnoses": str(mimic_demo_root / "hosp"), "phecode_map": str(phecode_root)},
           "params": {"exposure_source": "table", "exposure_table": str(tmp_path / "expo.csv"),
                      "exposure_columns": ["nosie"]}}
    with pytest.raises(ConfigError, match=r"params.exposure_columns: 'nosie' .*did you mean 'noise'.*expo.csv"):
        run_prototype_phewas_study(cfg, tmp_path / "run")


# -- finding 9b: the synthetic cohort's cases need 2 distinct dates, as the PheWAS convention ---
@pytest.fixture(scope="module")
def synthetic_cohort(tmp_path_factory):
    from interp_ecg.simulate import cohort

    root = tmp_path_factory.mktemp("cohort")
    cohort(160, root, random_state=3, progress=False, sampling_rate=100, duration=4)
    return root


def test_synthetic_cases_need_two_distinct_dates(synthetic_cohort, phecode_root, tmp_path):
    db = pd.read_csv(synthetic_cohort / "ptbxl_database.csv", index_col=0)
    rng = np.random.default_rng(0)
    pd.DataFrame({"x": rng.normal(size=len(db))}, index=db.index).to_csv(tmp_path / "expo.csv")
    cfg = {"seed": 0, "data": {"source": "synthetic", "path": str(synthetic_cohort),
                               "phecode_map": str(phecode_root)},
           "params": {"exposure_source": "table", "exposure_table": str(tmp_path / "expo.csv"),
                      "covariates": [], "min_cases": 3, "n_boot": 0}}
    res = run_prototype_phewas_study(cfg, tmp_path / "run")
    assert any(">= 2 occurrence(s) for a case" in n for n in res["notes"]), res["notes"]
    # independent count: patients with an AF/flutter code (I48.x) on >= 2 distinct dates are cases,
    # those with it on one date are excluded (neither case nor control)
    dx = pd.read_csv(synthetic_cohort / "diagnoses.csv", dtype={"icd_code": str})
    dates = dx[dx["icd_code"].str.startswith("I48")].groupby("patient_id")["date"].nunique()
    af = res["phewas"].query("phecode == 'CV_416.2'").iloc[0]
    assert (af["n_cases"], af["n_excluded"]) == (int((dates >= 2).sum()), int((dates == 1).sum()))
    assert af["n_cases"] + af["n_controls"] + af["n_excluded"] == db["patient_id"].nunique()


# -- finding 10: the config check reads margin and window, and bounds the folds ----------------
@pytest.mark.parametrize("params, message", [
    ({"admission_margin": "24 hourz"}, r"params.admission_margin: '24 hourz' is not a duration"),
    ({"admission_margin": "-2h"}, r"params.admission_margin: '-2h' is negative"),
    ({"window": ["30D", "-30D"]}, r"params.window: start '30D' lies after end '-30D'"),
    ({"window": ["30D"]}, r"params.window: a time window is \[start, end\], got 1 values"),
    ({"train_folds": [1, 11]}, r"params.train_folds\[1\] must be <= 10, got 11"),
    ({"train_folds": [0]}, r"params.train_folds\[0\] must be >= 1, got 0"),
])
def test_config_check_refuses_bad_margin_window_and_folds(params, message):
    from interp_ecg.errors import ConfigError
    from interp_ecg.studies.config import validate_config

    with pytest.raises(ConfigError, match=message):
        validate_config({"study": "x", "kind": "prototype_phewas", "params": params})


def test_study_validate_exits_2_on_a_bad_margin(tmp_path):
    from typer.testing import CliRunner

    from interp_ecg.cli import app

    (tmp_path / "s.yaml").write_text("study: s\nkind: prototype_phewas\nparams: {admission_margin: 24 hourz}\n")
    result = CliRunner().invoke(app, ["study", "validate", str(tmp_path / "s.yaml")])
    assert result.exit_code == 2 and "params.admission_margin" in result.output


def test_linkage_refuses_a_window_that_ends_before_it_starts():
    from interp_ecg.errors import ConfigError

    ecgs = pd.DataFrame({"subject_id": [1], "ecg_time": pd.to_datetime(["2020-01-01"])}, index=[5])
    dx = pd.DataFrame({"subject_id": [1], "icd_code": "I10", "icd_version": 10,
                       "admittime": pd.to_datetime(["2020-01-02"])})
    with pytest.raises(ConfigError, match="lies after its end"):
        phenotype.diagnoses_for_ecgs(ecgs, dx, window=("30D", "-30D"))


# -- finding 11 (third bullet): the phecodes not tested are written, with the reason -----------
def test_phecodes_not_tested_are_listed_with_their_case_counts(admission_run, mimic_demo_root, phecode_root):
    res, first, _ = admission_run
    tested = set(res["phewas"]["phecode"])
    skipped = res["skipped"]
    assert not tested & set(skipped["phecode"])
    assert (skipped["n_cases"] < 5).all() and skipped["reason"].str.startswith("fewer than 5 cases").all()
    # independent: every phecode (rolled up) coded in the 85 linked stays is tested or listed
    stays = set(first["hadm_id"].iloc[N_OUTSIDE:])
    dx = pd.read_csv(mimic_demo_root / "hosp" / "diagnoses_icd.csv.gz", dtype={"icd_code": str})
    dx = dx[dx["hadm_id"].isin(stays)]
    icd = pd.read_csv(phecode_root / "phecodeX_R_map.csv", dtype=str)
    icd["code"] = icd["code"].str.replace(".", "", regex=False)
    roll = pd.read_csv(phecode_root / "phecodeX_R_rollup_map.csv", dtype=str)
    dx = dx.assign(vocabulary_id=dx["icd_version"].map({9: "ICD9CM", 10: "ICD10CM"}),
                   code=dx["icd_code"].str.strip())
    leaf = dx.merge(icd, on=["vocabulary_id", "code"])[["hadm_id", "phecode"]]
    up = leaf.merge(roll, left_on="phecode", right_on="code")[["hadm_id", "phecode_unrolled"]]
    per_phecode = pd.concat([leaf.rename(columns={"phecode": "p"}),
                             up.rename(columns={"phecode_unrolled": "p"})]).drop_duplicates()
    counts = per_phecode.groupby("p")["hadm_id"].nunique()
    assert tested | set(skipped["phecode"]) == set(counts.index)
    sex = pd.read_csv(phecode_root / "phecodeX_R_sex.csv", dtype=str).set_index("phecode")
    both = [p for p in skipped["phecode"] if sex.reindex([p]).iloc[0].isin(["FALSE", np.nan]).all()]
    assert len(both) > 100
    got = skipped.set_index("phecode").loc[both, "n_cases"]
    assert (got == counts.reindex(both)).all()  # one ECG per stay: cases = stays coding it


# -- finding 7: several ECGs per patient are not independent: clustered by patient ----------------
def test_all_ecgs_per_patient_are_clustered_by_patient(synthetic_cohort, phecode_root, tmp_path, caplog):
    db = pd.read_csv(synthetic_cohort / "ptbxl_database.csv", index_col=0)
    pd.DataFrame({"x": np.random.default_rng(0).normal(size=len(db))}, index=db.index).to_csv(tmp_path / "e.csv")
    cfg = {"seed": 0, "data": {"source": "synthetic", "path": str(synthetic_cohort),
                               "phecode_map": str(phecode_root)},
           "params": {"exposure_source": "table", "exposure_table": str(tmp_path / "e.csv"),
                      "ecg_per_subject": "all", "covariates": [], "min_cases": 3, "n_boot": 0}}
    with caplog.at_level("WARNING"):
        res = run_prototype_phewas_study(cfg, tmp_path / "run")
    n, k = len(db), db["patient_id"].nunique()
    assert n > k
    assert res["notes"][0].startswith(f"NOTE: {n} ECGs of {k} patients (ecg_per_subject: all)")
    assert any("not independent" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    tested = res["phewas"].dropna(subset=["p"])
    assert len(tested) and (tested["SE_type"] == "cluster-robust").all()
    # Firth / score tests have no clustered form here: refused, naming the keys
    from interp_ecg.errors import ConfigError

    cfg["params"]["method"] = "firth"
    with pytest.raises(ConfigError, match="method: firth"):
        run_prototype_phewas_study(cfg, tmp_path / "run2")


# -- finding 11 (fourth bullet): an exposure table matching no ECG is named -----------------------
def test_exposure_table_matching_no_ecg_is_named(mimic_demo_root, phecode_root, tmp_path):
    from interp_ecg.errors import ConfigError

    first, _ = _mimic_layout(mimic_demo_root, tmp_path)
    pd.DataFrame({"subject_id": first["subject_id"], "noise": 0.0}).to_csv(tmp_path / "expo.csv", index=False)
    cfg = {"data": {"source": "mimic", "path": str(tmp_path / "mimicecg"),
                    "diagnoses": str(mimic_demo_root / "hosp"), "phecode_map": str(phecode_root)},
           "params": {"exposure_source": "table", "exposure_table": str(tmp_path / "expo.csv")}}
    with pytest.raises(ConfigError, match=r"no exposure row matches an ECG id \(exposures from .*expo.csv; "
                                          r"its first column 'subject_id'; ECG ids such as 4000000"):
        run_prototype_phewas_study(cfg, tmp_path / "run")


def test_no_ecg_with_linked_diagnoses_is_refused(mimic_demo_root, phecode_root, tmp_path):
    from interp_ecg.errors import ConfigError

    first, _ = _mimic_layout(mimic_demo_root, tmp_path)
    rl = pd.read_csv(tmp_path / "mimicecg" / "record_list.csv")
    rl["ecg_time"] = "1900-01-01 00:00:00"  # before every admission
    rl.to_csv(tmp_path / "mimicecg" / "record_list.csv", index=False)
    pd.DataFrame({"study_id": first["study_id"], "noise": 0.0}).to_csv(tmp_path / "expo.csv", index=False)
    cfg = {"data": {"source": "mimic", "path": str(tmp_path / "mimicecg"),
                    "diagnoses": str(mimic_demo_root / "hosp"), "phecode_map": str(phecode_root)},
           "params": {"exposure_source": "table", "exposure_table": str(tmp_path / "expo.csv"),
                      "window": "admission"}}
    with pytest.raises(ConfigError, match=r"none of the 100 ECGs has linked diagnoses \(100 outside every admission"):
        run_prototype_phewas_study(cfg, tmp_path / "run")




def test_study_summary_counts_the_other_icd_era_as_excluded(mimic_demo_root, phecode_root, tmp_path):
    """Phecode X phecodes that only ICD-10-CM codes define: an ECG of a patient coded only in
    ICD-9-CM is neither case nor control, and the study's table says how many per phecode
    (n_vocabulary_excluded, as n_sex_excluded). MIMIC-IV demo, lifetime window: the 56
    patients with only ICD-9-CM codes (finding 3 of the third new user's trial)."""
    first, _ = _mimic_layout(mimic_demo_root, tmp_path)
    pd.DataFrame({"study_id": first["study_id"],
                  "noise": np.random.default_rng(3).normal(size=len(first))}).to_csv(tmp_path / "e.csv", index=False)
    cfg = {"seed": 0,
           "data": {"source": "mimic", "path": str(tmp_path / "mimicecg"),
                    "diagnoses": str(mimic_demo_root / "hosp"), "phecode_map": str(phecode_root)},
           "params": {"exposure_source": "table", "exposure_table": str(tmp_path / "e.csv"), "window": None,
                      "min_cases": 3, "min_code_count": 1, "n_boot": 0}}
    res = run_prototype_phewas_study(cfg, tmp_path / "run")
    tab = res["phewas"]
    hit = tab[tab["n_vocabulary_excluded"] > 0]
    assert len(hit) > 0
    assert (hit["n_vocabulary_excluded"] == 56).all()
    n = int(res["cohort"]["n_ecgs"].iloc[0])
    assert (hit["n_cases"] + hit["n_controls"] + hit["n_excluded"] <= n).all()
    assert (hit["n_excluded"] >= hit["n_vocabulary_excluded"]).all()
