"""Trust defects of the PheWAS and its AUC table found by a new user (FINDINGS-user3): each
test fails on the code before its fix and checks the right value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from interp_ecg.phenotype import PheWAS, exposure_phecode_auc


def _toy_missing(n=300, seed=0):
    """Outcome P (30 unknown), exposure x missing in 20 rows, a complete binary exposure."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    yb = pd.array(y, dtype="boolean")
    yb[:30] = pd.NA
    x = y + rng.normal(0, 1, n)
    x[30:50] = np.nan
    X = pd.DataFrame({"x": x, "bin": (rng.random(n) < 0.5).astype(float)})
    return X, pd.DataFrame({"P": yb}), y


def test_auc_per_exposure_complete_cases_equals_sklearn():
    # finding 1: one exposure's NaN must not remove subjects from another exposure's AUC
    X, Y, y = _toy_missing()
    t = exposure_phecode_auc(X, Y, n_boot=50, random_state=0).set_index("exposure")
    ok = Y["P"].notna().to_numpy()
    ref_bin = roc_auc_score(y[ok], X["bin"][ok])
    assert ref_bin == pytest.approx(0.5596, abs=5e-5)  # the value the user computed by hand
    assert t.loc["bin", "auc"] == pytest.approx(ref_bin, abs=1e-12)  # all 270 subjects (was 0.5525 on 250)
    assert t.loc["bin", "n_cases"] + t.loc["bin", "n_controls"] == 270
    okx = ok & np.isfinite(X["x"].to_numpy())
    assert t.loc["x", "auc"] == pytest.approx(roc_auc_score(y[okx], X["x"][okx]), abs=1e-12)
    assert t.loc["x", "n_cases"] + t.loc["x", "n_controls"] == 250
    assert (t["auc_low"] <= t["auc"]).all() and (t["auc"] <= t["auc_high"]).all()


def test_auc_rows_are_the_phewas_rows_subjects():
    # the AUC of a pair describes the subjects of the PheWAS row of the same pair: covariates
    # missing -> left out of both; n_cases / n_controls equal
    X, Y, y = _toy_missing()
    rng = np.random.default_rng(1)
    cov = pd.DataFrame({"age": rng.normal(60, 10, len(X)), "sex": rng.choice(["F", "M"], len(X))})
    cov.loc[100:119, "age"] = np.nan
    cov.loc[200:204, "sex"] = None
    t = exposure_phecode_auc(X, Y, covariates=cov, n_boot=20, min_cases=5, random_state=0)
    s = PheWAS(min_cases=5).fit(X, Y, cov).summary
    m = t.merge(s, on=["exposure", "phecode"], suffixes=("_auc", "_phewas"))
    assert len(m) == 2
    assert (m["n_cases_auc"] == m["n_cases_phewas"]).all()
    assert (m["n_controls_auc"] == m["n_controls_phewas"]).all()
    keep = Y["P"].notna().to_numpy() & cov.notna().all(axis=1).to_numpy()
    ref = roc_auc_score(y[keep], X["bin"][keep])
    assert t.set_index("exposure").loc["bin", "auc"] == pytest.approx(ref, abs=1e-12)


def test_auc_pair_with_too_few_cases_has_a_reason():
    X, Y, y = _toy_missing()
    X.loc[np.flatnonzero(y)[5:], "x"] = np.nan  # x measured in 5 cases only (4 with known outcome or so)
    t = exposure_phecode_auc(X, Y, n_boot=20, min_cases=10, random_state=0).set_index("exposure")
    assert t.loc["x", "reason"] == "too few cases" and np.isnan(t.loc["x", "auc"])
    assert np.isnan(t.loc["x", "auc_low"]) and np.isnan(t.loc["x", "auc_high"])
    assert t.loc["bin", "reason"] == "" and np.isfinite(t.loc["bin", "auc"])


def test_auc_of_a_constant_exposure_is_nan_with_its_reason():
    # finding 11: was 0.500 [0.500, 0.500] with no reason, while the PheWAS row says why
    X, Y, _ = _toy_missing()
    X["const"] = 2.0
    t = exposure_phecode_auc(X, Y, n_boot=20, min_cases=5, random_state=0).set_index("exposure")
    row = t.loc["const"]
    assert row["reason"] == "constant exposure"
    assert np.isnan(row["auc"]) and np.isnan(row["auc_low"]) and np.isnan(row["auc_high"])
    s = PheWAS(min_cases=5).fit(X, Y).summary.set_index("exposure")
    assert s.loc["const", "reason"] == "constant exposure"
    assert t.loc["bin", "reason"] == "" and np.isfinite(t.loc["bin", "auc"])


def test_firth_with_score_screen_names_the_ml_model_of_unrefitted_rows():
    # finding 11: method firth + test score labelled every row 'firth', although the p and OR of
    # rows not refitted come from the maximum-likelihood score test / one-step estimate
    from interp_ecg.phenotype.synthetic import simulate_phewas_data

    d = simulate_phewas_data(1500, 3, 6, planted=[("x0", "P000", 0.9)], random_state=0)
    s = PheWAS(method="firth", test="score", min_cases=5).fit(d["exposures"], d["outcomes"], d["covariates"]).summary
    score = s[s["test"] == "score"]
    refit = s[s["test"].isin(["lrt", "wald"])]
    assert len(score) > 0 and len(refit) > 0
    assert (score["method"] == "logit").all()
    assert (refit["method"] == "firth").all()
    from interp_ecg.phenotype import describe_method

    text = describe_method(s, "age and sex")
    assert "maximum-likelihood logistic regression" in text and "Firth" in text


def test_or_scale_is_written_in_the_table_and_the_method_sentence():
    # finding 9: the study (standardize=True) and the CLI (per unit) differ; neither said which
    from interp_ecg.phenotype import describe_method

    rng = np.random.default_rng(4)
    n = 800
    x = rng.normal(50, 7, n)  # SD ~7 units
    y = rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.05 * (x - 50))))
    X, Y = pd.DataFrame({"x": x}), pd.DataFrame({"P": y})
    m_sd = PheWAS(standardize=True, min_cases=5).fit(X, Y)
    m_unit = PheWAS(standardize=False, min_cases=5).fit(X, Y)
    per_sd, per_unit = m_sd.summary.iloc[0], m_unit.summary.iloc[0]
    assert per_sd["or_scale"] == "per SD" and per_unit["or_scale"] == "per unit"
    sd = m_sd.exposure_sd_["x"]
    assert sd == pytest.approx(np.std(x))
    assert per_sd["beta"] == pytest.approx(per_unit["beta"] * sd, rel=1e-6)  # the same fit, another unit
    assert "OR per SD of the exposure" in describe_method(m_sd.summary, "nothing")
    assert "OR per unit of the exposure" in describe_method(m_unit.summary, "nothing")
    # a table read back without the column does not pretend to know
    assert "scale not recorded" in describe_method(m_sd.summary.drop(columns="or_scale"))
