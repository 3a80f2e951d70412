"""Issue 11, items 5-9: every PheWAS row means what it says - separation, no controls,
collinear covariates, constant exposures and non-converged fits are reported with a reason
(the same from every solver) and kept out of the multiple-testing correction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import ConfigError
from interp_ecg.phenotype import phewas
from interp_ecg.phenotype.phewas import REASONS, SUMMARY_COLUMNS
from interp_ecg.phenotype.solvers import detect_separation, firth_lrt


def _cohort(n=300, seed=0):
    rng = np.random.default_rng(seed)
    idx = pd.Index([f"S{i:04d}" for i in range(n)], name="subject")
    age = rng.normal(60, 10, n)
    X = pd.DataFrame({"x": rng.normal(size=n), "w": rng.normal(size=n)}, index=idx)
    cov = pd.DataFrame({"age": age, "sex": rng.choice(["F", "M"], n)}, index=idx)
    y = pd.DataFrame({"ok": rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.5 * X["x"])))}, index=idx)
    return X, y.astype("boolean"), cov, rng


@pytest.mark.parametrize("solver", ["batched", "statsmodels"])
def test_item5_separation_is_reported(solver):
    X, y, cov, rng = _cohort()
    y["sep"] = (X["x"] > 0.8).astype("boolean")  # perfectly separated by x
    ml = phewas(X, y, cov, solver=solver, min_cases=5).set_index(["exposure", "phecode"])
    row = ml.loc[("x", "sep")]
    assert row["reason"] == "separation" and bool(row["separation"])
    assert np.isnan(row["p"]) and np.isnan(row["beta"]) and np.isnan(row["q"]) and not row["converged"]
    assert ml.loc[("x", "ok"), "reason"] == "" and not ml.loc[("x", "ok"), "separation"]
    fi = phewas(X, y, cov, method="firth", solver=solver, min_cases=5).set_index(["exposure", "phecode"])
    row = fi.loc[("x", "sep")]
    # Firth's estimate exists under separation: kept, flagged, p from the penalised LRT
    assert bool(row["separation"]) and row["reason"] == "" and row["test"] == "lrt"
    assert np.isfinite(row["beta"]) and row["beta"] > 0
    rows = np.ones(len(X), dtype=bool)
    Xd = np.column_stack([np.ones(len(X)), X["x"], cov["age"], (cov["sex"] == "M").astype(float)])
    stat, p_ref, ok = firth_lrt(y["sep"].to_numpy(dtype=float), Xd[rows], 1)
    assert ok and row["p"] == pytest.approx(p_ref, rel=1e-6)
    assert not fi.loc[("w", "ok"), "separation"]


def test_item5_quasi_complete_separation_detected():
    x = np.array([-2.0, -1, 0, 0, 1, 2])
    y = np.array([0, 0, 0, 1, 1, 1.0])  # tie at x = 0: quasi-complete
    assert detect_separation(y, np.column_stack([np.ones(6), x]))
    assert not detect_separation(np.array([0, 1, 0, 1, 0, 1.0]), np.column_stack([np.ones(6), x]))


@pytest.mark.parametrize("firth_fallback", [False, True])
@pytest.mark.parametrize("method", ["logit", "firth"])
def test_item6_no_controls_is_not_estimable(method, firth_fallback):
    X, y, cov, _ = _cohort()
    y["all"] = pd.array([True] * len(X), dtype="boolean")
    res = phewas(X, y, cov, method=method, min_cases=5, firth_fallback=firth_fallback and method == "logit")
    rows = res[res["phecode"] == "all"]
    assert (rows["reason"] == "no controls").all() and rows["p"].isna().all() and rows["OR"].isna().all()
    assert not rows["converged"].any() and (rows["n_controls"] == 0).all()
    assert rows["q"].isna().all()


@pytest.mark.parametrize("copy", ["months", "exact"])
@pytest.mark.parametrize("solver", ["batched", "statsmodels"])
def test_item7_collinear_covariates_refused_naming_them(solver, copy):
    X, y, cov, _ = _cohort()
    cov["age_months"] = cov["age"] * 12 if copy == "months" else cov["age"]
    with pytest.raises(ConfigError, match=r"collinear.*age.*age_months"):
        phewas(X, y, cov, solver=solver, min_cases=5)


@pytest.mark.parametrize("solver", ["batched", "statsmodels"])
def test_item7_exposure_in_span_of_covariates_is_rank_deficient(solver):
    X, y, cov, _ = _cohort()
    X["age_copy"] = 2.0 * cov["age"] - 3.0
    res = phewas(X, y, cov, solver=solver, min_cases=5).set_index("exposure")
    assert res.loc["age_copy", "reason"] == "rank deficiency" and np.isnan(res.loc["age_copy", "p"])
    assert res.loc["x", "reason"] == ""


@pytest.mark.parametrize("solver", ["batched", "statsmodels"])
@pytest.mark.parametrize("standardize", [False, True])
def test_item8_constant_exposure_not_estimable_from_both_solvers(solver, standardize):
    X, y, cov, _ = _cohort()
    X["const"] = 0.001
    res = phewas(X, y, cov, solver=solver, min_cases=5, standardize=standardize).set_index("exposure")
    row = res.loc["const"]
    assert row["reason"] == "constant exposure" and not row["converged"]
    assert np.isnan(row["beta"]) and np.isnan(row["SE"]) and np.isnan(row["p"])


def test_items_5_to_9_same_answer_from_every_solver():
    X, y, cov, rng = _cohort(n=400, seed=3)
    X["const"] = 0.001
    y["sep"] = (X["x"] > 0.8).astype("boolean")
    y["all"] = pd.array([True] * len(X), dtype="boolean")
    y["rare"] = pd.array(rng.random(len(X)) < 0.01, dtype="boolean")
    kw = dict(min_cases=5)
    a = phewas(X, y, cov, solver="batched", **kw).set_index(["exposure", "phecode"]).sort_index()
    b = phewas(X, y, cov, solver="statsmodels", **kw).set_index(["exposure", "phecode"]).sort_index()
    pd.testing.assert_series_equal(a["reason"], b["reason"])
    np.testing.assert_allclose(a["beta"], b["beta"], rtol=1e-6)
    np.testing.assert_allclose(a["q"], b["q"], rtol=1e-6)


def test_item9_rows_without_estimate_are_not_in_benjamini_hochberg():
    X, y, cov, rng = _cohort(n=400, seed=5)
    y["sep"] = (X["x"] > 0.8).astype("boolean")
    y["sep2"] = (X["w"] < -0.5).astype("boolean")
    res = phewas(X, y, cov, min_cases=5)
    est = res[res["reason"] == ""]
    assert (res["reason"] != "").sum() == 2
    assert res.loc[res["reason"] != "", "q"].isna().all()
    from interp_ecg.phenotype import benjamini_hochberg

    np.testing.assert_allclose(est["q"], benjamini_hochberg(est["p"]))
    m = len(est)
    assert ((est["p"] < 0.05 / m) == est["bonferroni"]).all()
    assert not res.loc[res["reason"] != "", "bonferroni"].any()


def test_too_few_cases_per_pair_and_reason_vocabulary():
    X, y, cov, rng = _cohort(n=300, seed=7)
    y["mid"] = pd.array(np.r_[np.ones(8, bool), np.zeros(292, bool)], dtype="boolean")
    X.loc[X.index[:4], "w"] = np.nan  # half of the cases lose their w value
    res = phewas(X, y, cov, min_cases=6).set_index(["exposure", "phecode"])
    assert res.loc[("w", "mid"), "reason"] == "too few cases" and res.loc[("w", "mid"), "n_cases"] == 4
    assert res.loc[("x", "mid"), "reason"] in ("", "separation", "not converged")
    assert set(res["reason"]) - {""} <= set(REASONS)
    assert list(res.reset_index().columns) == SUMMARY_COLUMNS


def test_exposure_constant_among_one_outcomes_subjects_only():
    """An exposure that varies only among subjects excluded from one outcome is constant for
    that pair (and only that pair) - from both solvers."""
    X, y, cov, rng = _cohort(n=300, seed=11)
    X["bin"] = 0.0
    X.loc[X.index[:10], "bin"] = 1.0
    y["excl"] = pd.array(rng.random(300) < 0.3, dtype="boolean")
    y.loc[y.index[:10], "excl"] = pd.NA  # the subjects with bin = 1 are excluded here
    for solver in ("batched", "statsmodels"):
        res = phewas(X, y, cov, solver=solver, min_cases=5).set_index(["exposure", "phecode"])
        assert res.loc[("bin", "excl"), "reason"] == "constant exposure"
        assert res.loc[("bin", "ok"), "reason"] in ("", "separation", "not converged")
        assert res.loc[("x", "excl"), "reason"] == ""
