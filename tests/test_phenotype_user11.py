"""Phenotyping findings of user 11 (FINDINGS-user11.md): each test has the right value from a
synthetic cohort with known truth, or from the MIMIC-IV demo through the shared-data fixtures."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import ConfigError, RecordReadError
from interp_ecg.phenotype import icd_to_phecodes
from interp_ecg.phenotype.phecodes import PhecodeMap, vocabulary_of


def _af_map() -> PhecodeMap:
    """AF (ICD-10-CM I48.91 and ICD-9-CM 427.31) -> CV_416.21; hypertension I10 -> CV_401.1."""
    icd = pd.DataFrame({"vocabulary": ["ICD10CM", "ICD9CM", "ICD10CM"], "code": ["I4891", "42731", "I10"],
                        "phecode": ["CV_416.21", "CV_416.21", "CV_401.1"]})
    info = pd.DataFrame({"description": ["AF", "Hypertension"], "category": ["CV", "CV"], "sex": ["Both", "Both"]},
                        index=pd.Index(["CV_416.21", "CV_401.1"], name="phecode"))
    return PhecodeMap("X", icd, info)


def _d(col: pd.Series) -> dict:
    """case True / control False / excluded None, per subject."""
    return {k: (None if pd.isna(v) else bool(v)) for k, v in col.items()}


# ------------------------------------------------------------------ F1: unreadable diagnoses
def test_unreadable_version_or_code_is_not_a_control(caplog):
    dx = pd.DataFrame({
        "subject_id": list("aabbccddeegg"), "hadm_id": range(12),
        "icd_code": ["I48.91", "I4891", "I48.91", "I48.91", "I48.91", "I48.91", "427.31", "42731", "I48.91", "I48.91",
                     None, np.nan],
        "icd_version": [10, 10, None, None, "10CM", "10CM", 9, 9, "ICD-10-CM", 10, 10, 10]})
    with caplog.at_level(logging.WARNING, logger="interp_ecg.phenotype.mapping"):
        t = icd_to_phecodes(dx, _af_map(), min_code_count=2, subjects=list("abcdefg"))
    # b: version blank, g: codes missing -> unknown (NA), not controls; c: "10CM" is read; f: no rows -> control
    assert _d(t["CV_416.21"]) == {"a": True, "b": None, "c": True, "d": True, "e": True, "f": False,
                                        "g": None}
    assert t.attrs["unreadable_subjects"] == ["b", "g"]
    assert t.attrs["n_unreadable_rows"] == 4
    assert "2 subjects none of whose diagnoses can be read" in caplog.text
    # default cohort (the subjects of the table) too
    t2 = icd_to_phecodes(dx, _af_map(), min_code_count=2)
    assert t2.loc[["b", "g"], "CV_416.21"].isna().all()


def test_partly_unreadable_subject_is_kept_and_counted():
    dx = pd.DataFrame({"subject_id": ["a", "a", "h", "h"], "hadm_id": [1, 2, 3, 4],
                       "icd_code": ["I4891", "I4891", "I10", "I4891"], "icd_version": [10, 10, 10, None]})
    t = icd_to_phecodes(dx, _af_map(), min_code_count=1)
    assert _d(t["CV_416.21"]) == {"a": True, "h": False}
    assert t.attrs["unreadable_controls"] == {"CV_401.1": 0, "CV_416.21": 1}
    assert t.attrs["unreadable_subjects"] == []


def test_version_labels_read_or_refused():
    assert vocabulary_of(["10CM", "ICD10-CM", "icd 9", "I10", "ICD-10-PCS"]).tolist() == \
        ["ICD10CM", "ICD10CM", "ICD9CM", np.nan, np.nan]
    dx = pd.DataFrame({"subject_id": ["a", "b"], "icd_code": ["I4891", "I4891"], "icd_version": ["I10", "10"]})
    with pytest.raises(ConfigError, match=r"icd_version.*'I10'"):
        icd_to_phecodes(dx, _af_map())
    with pytest.raises(ConfigError, match="icd_version='ICD-10-PCS'"):
        icd_to_phecodes(dx.drop(columns="icd_version"), _af_map(), version_col=None, icd_version="ICD-10-PCS")


def test_run_phewas_leaves_unreadable_subjects_out(phecode_root, mimic_demo_root):
    """MIMIC demo, icd_version blanked for the 10 first patients: CV_401.1 21 cases / 40 controls /
    29 excluded (10 left out and counted), not 21 / 50 / 29."""
    from interp_ecg.studies.pipeline import run_phewas

    hosp = mimic_demo_root / "hosp"
    dx = pd.read_csv(hosp / "diagnoses_icd.csv.gz", dtype={"icd_code": str, "subject_id": str})
    pat = pd.read_csv(hosp / "patients.csv.gz", dtype={"subject_id": str})
    expo = pat.rename(columns={"anchor_age": "age", "gender": "sex"})[["subject_id", "age", "sex"]]
    expo = expo.assign(score=np.random.default_rng(0).normal(size=len(expo)))
    lost = dx["subject_id"].drop_duplicates().iloc[:10]
    dx["icd_version"] = dx["icd_version"].astype("Int64").astype(object)
    dx.loc[dx["subject_id"].isin(lost), "icd_version"] = None
    s = run_phewas(expo, dx, str(phecode_root), ["age", "sex"], subject_col="subject_id", exposures=["score"],
                   min_cases=10)
    row = s.set_index("phecode").loc["CV_401.1"]
    assert (row["n_cases"], row["n_controls"], row["n_excluded"]) == (21, 40, 29)
    assert s.attrs["n_unreadable_diagnoses"] == 10


def test_read_mimic_diagnoses_names_missing_version_column(tmp_path):
    from interp_ecg.io import read_mimic_diagnoses

    pd.DataFrame({"subject_id": [1], "hadm_id": [2], "seq_num": [1], "icd_code": ["I10"]}).to_csv(
        tmp_path / "diagnoses_icd.csv.gz", index=False)
    with pytest.raises(RecordReadError, match=r"diagnoses_icd.csv.gz.*icd_version|icd_version.*diagnoses_icd"):
        read_mimic_diagnoses(tmp_path)
    pd.DataFrame({"subject_id": [1], "hadm_id": [2], "icd_code": ["I10"], "icd_version": ["ICD10"]}).to_csv(
        tmp_path / "diagnoses_icd.csv.gz", index=False)
    with pytest.raises(RecordReadError, match="'ICD10'"):
        read_mimic_diagnoses(tmp_path)


# ------------------------------------------------------------------ F5: occurrences
def test_rows_without_hadm_id_are_separate_occurrences(caplog):
    # p: AF at 3 visits without hadm_id -> 3 occurrences (case); q: AF in 1 admission -> excluded
    dx = pd.DataFrame({"subject_id": ["p", "p", "p", "q", "r"], "hadm_id": [np.nan, np.nan, np.nan, 11, 12],
                       "icd_code": ["I4891"] * 4 + ["I10"], "icd_version": 10})
    with caplog.at_level(logging.WARNING, logger="interp_ecg.phenotype.mapping"):
        t = icd_to_phecodes(dx, _af_map(), min_code_count=2, min_cases=0)
    assert _d(t["CV_416.21"]) == {"p": True, "q": None, "r": False}
    assert "3 diagnosis rows have no hadm_id" in caplog.text


def test_date_times_count_distinct_days():
    dx = pd.DataFrame({"subject_id": ["p", "p", "s", "s", "r"], "icd_code": ["I4891"] * 4 + ["I10"],
                       "icd_version": 10,
                       "date": pd.to_datetime(["2020-01-01 08:00", "2020-01-01 14:30", "2020-01-01 23:59",
                                               "2020-01-02 00:01", "2020-01-01 00:00"])})
    t = icd_to_phecodes(dx, _af_map(), min_code_count=2, min_cases=0)
    assert _d(t["CV_416.21"]) == {"p": None, "r": False, "s": True}
    # the same as text
    t2 = icd_to_phecodes(dx.assign(date=dx["date"].astype(str)), _af_map(), min_code_count=2, min_cases=0)
    assert _d(t2["CV_416.21"]) == {"p": None, "r": False, "s": True}
    with pytest.raises(ConfigError, match="'date'.*not dates"):
        icd_to_phecodes(dx.assign(date="soon"), _af_map())


# ------------------------------------------------------------------ F7: sex coding
def test_numeric_sex_is_refused():
    dx = pd.DataFrame({"subject_id": ["a", "b"], "icd_code": ["I4891", "I10"], "icd_version": 10})
    for sex in (pd.Series([0, 1], index=["a", "b"], name="sex"), pd.Series(["0", "1"], index=["a", "b"])):
        with pytest.raises(ConfigError, match=r"numeric codes.*ambiguous"):
            icd_to_phecodes(dx, _af_map(), sex=sex)


def test_inverted_sex_is_warned(phecode_root, mimic_demo_root):
    """MIMIC demo: with the sex labels swapped, 46 of the 47 cases of sex-specific phecodes are of
    the other sex: a warning says so."""
    from interp_ecg import io
    from interp_ecg.phenotype import load_phecode_map

    pm = load_phecode_map(phecode_root)
    dx = io.read_mimic_diagnoses(mimic_demo_root / "hosp")
    pat = pd.read_csv(mimic_demo_root / "hosp" / "patients.csv.gz", dtype={"subject_id": str}).set_index("subject_id")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        icd_to_phecodes(dx, pm, min_code_count=1, sex=pat["gender"])  # right coding: no warning
    with pytest.warns(UserWarning, match="46 of 47 cases of sex-specific phecodes"):
        icd_to_phecodes(dx, pm, min_code_count=1, sex=pat["gender"].map({"F": "M", "M": "F"}))


# ------------------------------------------------------------------ F2: Manhattan Bonferroni family
def test_manhattan_per_exposure_uses_the_summary_family():
    from matplotlib.figure import Figure

    from interp_ecg.phenotype import plot_manhattan

    s = pd.DataFrame({"exposure": ["x0"] * 3 + ["x1"] * 3 + ["x2"] * 2, "phecode": list("ABCABCAB"),
                      "p": [1e-3, 0.5, 0.2, 0.3, 0.4, 0.6, 0.7, np.nan]})  # 7 tests with a p-value
    ax = plot_manhattan(s, exposure="x0", ax=Figure().add_subplot())
    line = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"][0]
    assert 10 ** -line.get_ydata()[0] == pytest.approx(0.05 / 7)
    assert any("0.05/7, all exposures" in t.get_text() for t in ax.get_legend().get_texts())
    ax = plot_manhattan(s, exposure="x0", bonferroni="exposure", ax=Figure().add_subplot())
    line = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"][0]
    assert 10 ** -line.get_ydata()[0] == pytest.approx(0.05 / 3)
    assert any("per exposure" in t.get_text() for t in ax.get_legend().get_texts())


# ------------------------------------------------------------------ F9: first/last never an ECG of unknown time
def test_select_ecgs_skips_unknown_times():
    from interp_ecg.phenotype import select_ecgs

    e = pd.DataFrame({"subject_id": [1, 1, 1, 2, 3, 3], "ecg_time": pd.to_datetime(
        ["2020-01-02", "2020-03-01", None, None, None, None])}, index=[10, 11, 12, 13, 14, 15])
    # subject 2: one ECG, time unknown -> its only ECG; subject 3: two of unknown time -> left out
    assert select_ecgs(e, "last").index.tolist() == [11, 13]
    assert select_ecgs(e, "first").index.tolist() == [10, 13]


# ------------------------------------------------------------------ F8: several rows per subject
def test_phewas_duplicate_ids_named():
    from interp_ecg.phenotype import phewas, simulate_phewas_data

    d = simulate_phewas_data(600, 1, 1, planted=[("x0", "P000", 0.3)], random_state=1)
    E, Y, C = d["exposures"], d["outcomes"], d["covariates"]
    with pytest.raises(ConfigError, match=r"exposures: 600 subject ids appear more than once.*groups="):
        phewas(pd.concat([E, E]), Y, pd.concat([C, C]), min_cases=20)


def test_phewas_warns_about_subjects_without_covariates(caplog):
    from interp_ecg.phenotype import phewas, simulate_phewas_data

    d = simulate_phewas_data(400, 1, 1, planted=[("x0", "P000", 0.3)], random_state=1)
    with caplog.at_level(logging.WARNING, logger="interp_ecg.phenotype.phewas"):
        s = phewas(d["exposures"], d["outcomes"], d["covariates"].iloc[:200], min_cases=10)
    assert "200 of 400 subjects of the exposures have no row in the outcomes or the covariates" in caplog.text
    assert int(s["n_cases"].iloc[0] + s["n_controls"].iloc[0] + s["n_excluded"].iloc[0]) == 200


# ------------------------------------------------------------------ F4 / F11: study wording
def test_no_link_hint_names_the_ids():
    from interp_ecg.studies.prototype_phewas import _no_link_hint, _window_words

    ecgs = pd.DataFrame({"subject_id": ["10000033", "10000033"]})
    assert "match no subject_id of the diagnoses (e.g. 10000032)" in _no_link_hint(
        ecgs, pd.DataFrame({"subject_id": ["10000032"]}))
    assert _no_link_hint(ecgs, pd.DataFrame({"subject_id": ["10000033"]})).startswith("check params.window")
    assert _window_words(None, {}) == "any time (lifetime)"
    assert "stay in progress" in _window_words(["-365D", "0D"], {"synthetic": False, "time_col": "admittime"})
    assert "stay in progress" not in _window_words(["-365D", "-1D"], {"synthetic": False, "time_col": "admittime"})


# ------------------------------------------------------------------ F6: Firth step-halving
def test_firth_logit_single_exposed_subject_reaches_the_penalised_maximum():
    from scipy.optimize import minimize

    from interp_ecg.phenotype import solvers

    rng = np.random.default_rng(3)
    n = 400
    age = rng.normal(60, 10, n)
    sex = rng.random(n) < .5
    y = (rng.random(n) < .2).astype(float)
    xb = np.where(np.arange(n) < 399, 0.0, 1.0)  # one exposed subject (a control)
    Xd = np.column_stack([np.ones(n), xb, (age - age.mean()) / age.std(), sex.astype(float)])
    b, _, ok = solvers.firth_logit(y, Xd)
    brute = minimize(lambda v: -solvers.firth_penalised_loglik(y, Xd, v), np.zeros(4), method="Nelder-Mead",
                     options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 40000})
    assert ok
    assert b[1] == pytest.approx(brute.x[1], abs=1e-3)  # 0.3836 (OR 1.467); was "not converged" at 3.83
    assert solvers.firth_penalised_loglik(y, Xd, b) == pytest.approx(-brute.fun, abs=1e-7)


def test_phewas_firth_single_exposed_subject_estimate_and_lrt():
    """The PheWAS row: beta at the penalised maximum and the penalised LRT p computed by brute
    force (full and b_x = 0 maxima of the penalised likelihood, Nelder-Mead)."""
    from scipy import stats
    from scipy.optimize import minimize

    from interp_ecg.phenotype import phewas, solvers

    rng = np.random.default_rng(3)
    n = 400
    age = rng.normal(60, 10, n)
    sex = np.where(rng.random(n) < .5, "F", "M")
    y = pd.array(rng.random(n) < .2, dtype="boolean")
    xb = np.where(np.arange(n) < 399, 0.0, 1.0)
    s = phewas(pd.DataFrame({"x": xb}), pd.DataFrame({"ok": y}), pd.DataFrame({"age": age, "sex": sex}),
               method="firth", min_cases=20)
    Xd = np.column_stack([np.ones(n), xb, (age - age.mean()) / age.std(), (sex == "F").astype(float)])
    yy = np.asarray(y, float)
    opts = {"xatol": 1e-9, "fatol": 1e-12, "maxiter": 40000}
    full = minimize(lambda v: -solvers.firth_penalised_loglik(yy, Xd, v), np.zeros(4), method="Nelder-Mead",
                    options=opts)
    null = minimize(lambda v: -solvers.firth_penalised_loglik(yy, Xd, np.insert(v, 1, 0.0)), np.zeros(3),
                    method="Nelder-Mead", options=opts)
    p_ref = stats.chi2.sf(2 * (null.fun - full.fun), 1)
    row = s.iloc[0]
    assert bool(row["converged"]) and row["reason"] == ""
    assert row["beta"] == pytest.approx(full.x[1], abs=1e-3)  # 0.3836: was NaN, "not converged"
    assert row["p"] == pytest.approx(p_ref, abs=1e-4)  # 0.821
    assert row["OR_low"] < row["OR"] < row["OR_high"]


# ------------------------------------------------------------------ F10: wording
def test_volcano_scale_manhattan_exposure_labels_and_inf_warning(caplog):
    from matplotlib.figure import Figure

    from interp_ecg.phenotype import phewas, plot_manhattan, plot_volcano, simulate_phewas_data

    s = pd.DataFrame({"exposure": ["x", "y"], "phecode": ["A", "A"], "description": ["Hypertension"] * 2,
                      "beta": [0.5, -0.2], "p": [1e-4, 0.3], "q": [2e-4, 0.3], "or_scale": "per SD"})
    assert plot_volcano(s, ax=Figure().add_subplot()).get_xlabel() == "log odds ratio (per SD)"
    ax = plot_manhattan(s, n_labels=2, ax=Figure().add_subplot())
    assert [t.get_text() for t in ax.texts] == ["x: Hypertension", "y: Hypertension"]
    d = simulate_phewas_data(300, 1, 1, planted=[("x0", "P000", 0.3)], random_state=1)
    E = d["exposures"].copy()
    E.iloc[:5, 0] = np.inf
    with caplog.at_level(logging.WARNING, logger="interp_ecg.phenotype.phewas"):
        out = phewas(E, d["outcomes"], d["covariates"], min_cases=5)
    assert "5 infinite exposure values treated as missing" in caplog.text
    assert int(out[["n_cases", "n_controls", "n_excluded"]].iloc[0].sum()) == 295


def test_report_caption_says_when_no_fdr_line():
    from interp_ecg.report.blocks.phewas import PhewasBlock

    s = pd.DataFrame({"exposure": "x", "phecode": ["A", "B"], "p": [0.01, 0.5], "q": [0.02, 0.5]})
    assert "dotted orange: Benjamini-Hochberg q < 0.05" in PhewasBlock(s)._caption()
    cap = PhewasBlock(s.assign(q=[0.2, 0.5]))._caption()
    assert "no test reached Benjamini-Hochberg q < 0.05 (no FDR line)" in cap and "dotted orange" not in cap
