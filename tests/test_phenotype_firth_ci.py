"""Firth rows: the 95% interval inverts the test that gave the p-value (profile penalised
likelihood for the penalised LRT, as logistf), checked against a direct scipy maximiser; every
row says how its interval was obtained; captions name the method read from the table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from interp_ecg.phenotype import PheWAS, simulate_phewas_data
from interp_ecg.phenotype.phewas import CI_METHODS, describe_method
from interp_ecg.phenotype.solvers import firth_lrt_grid, firth_profile_ci


def _penalised_loglik(b, y, Xd):
    eta = Xd @ b
    mu = 1.0 / (1.0 + np.exp(-eta))
    info = Xd.T @ (Xd * (mu * (1.0 - mu))[:, None])
    return np.sum(y * eta - np.logaddexp(0.0, eta)) + 0.5 * np.linalg.slogdet(info)[1]


def _direct_profile_ci(y, Xd, j=1, level=0.95):
    """Reference: maximise l(b) + 1/2 log det I(b) with BFGS (free, then with b_j fixed) and find
    where 2 (max - profile) crosses the chi-square(1) quantile with brentq."""
    def fit(fixed=None):
        free = [k for k in range(Xd.shape[1]) if k != j] if fixed is not None else list(range(Xd.shape[1]))

        def full(v):
            b = np.zeros(Xd.shape[1])
            b[free] = v
            if fixed is not None:
                b[j] = fixed
            return b
        r = optimize.minimize(lambda v: -_penalised_loglik(full(v), y, Xd), np.zeros(len(free)),
                              method="BFGS", options={"gtol": 1e-10})
        return full(r.x), -r.fun
    bhat, pmax = fit()
    q = stats.chi2.ppf(level, 1)
    f = lambda t: 2.0 * (pmax - fit(t)[1]) - q  # noqa: E731
    lo = optimize.brentq(f, bhat[j] - 20, bhat[j], xtol=1e-10)
    hi = optimize.brentq(f, bhat[j], bhat[j] + 20, xtol=1e-10)
    return lo, hi


def _small_data(seed, n=120, separated=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    cov = rng.normal(size=n)
    if separated:  # binary exposure, no case among the unexposed: quasi-complete separation
        x = (rng.random(n) < 0.3).astype(float)
        y = ((x == 1) & (rng.random(n) < 0.3)).astype(float)
    else:
        y = (rng.random(n) < 1 / (1 + np.exp(-(-2 + 0.6 * x + 0.3 * cov)))).astype(float)
    return x, cov, y


@pytest.mark.parametrize("seed,separated", [(0, False), (1, False), (2, True), (3, True)])
def test_profile_ci_equals_direct_maximisation(seed, separated):
    x, cov, y = _small_data(seed, separated=separated)
    Xd = np.column_stack([np.ones(len(x)), x, cov])
    ref = _direct_profile_ci(y, Xd)
    lo, hi, ok = firth_profile_ci(y, Xd)
    assert ok
    assert np.allclose([lo, hi], ref, atol=1e-4)
    grid = firth_lrt_grid(x[:, None], y[:, None], cov[:, None], ci_level=0.95)
    assert np.allclose([grid["ci_low"][0, 0], grid["ci_high"][0, 0]], ref, atol=1e-4)
    if separated:  # Wald fails here; the profile interval is finite and lies above 0
        assert grid["ci_low"][0, 0] > 0 and np.isfinite(grid["ci_high"][0, 0])


def test_p_below_005_iff_profile_ci_excludes_or_1():
    """Many simulated pairs (small effects near the boundary, rare outcomes, separated pairs)."""
    rng = np.random.default_rng(7)
    n, E, O = 300, 6, 12
    X = rng.normal(size=(n, E))
    X[:, 5] = (rng.random(n) < 0.25).astype(float)
    C = rng.normal(size=(n, 1))
    eff = rng.normal(0, 0.35, size=(E, O))
    lin = -2.5 + X @ eff
    Y = (rng.random((n, O)) < 1 / (1 + np.exp(-lin))).astype(float)
    Y[:, 10] = ((X[:, 5] == 1) & (rng.random(n) < 0.2)).astype(float)  # separated by exposure 5
    Y[:, 11] = (X[:, 0] > 1.6).astype(float)  # completely separated by exposure 0
    res = PheWAS(method="firth", min_cases=5).fit(pd.DataFrame(X, columns=[f"x{i}" for i in range(E)]),
                                                  pd.DataFrame(Y, columns=[f"P{i}" for i in range(O)]),
                                                  pd.DataFrame(C, columns=["age"])).summary
    ok = res["reason"] == ""
    prof = res["ci_method"] == "profile-penalised-LR"
    # every end is found, also for the pair completely separated by a continuous exposure (x0,
    # P11), whose upper end was NaN ("upper end not found") before the constrained fits started
    # on the profile's tangent with room to converge (tests/test_phenotype_firth_profile_ends.py)
    assert prof[ok].all()
    sep = res[(res["exposure"] == "x0") & (res["phecode"] == "P11")].iloc[0]
    assert np.log([sep["OR_low"], sep["OR_high"]]) == pytest.approx([6.64985, 172.44397], abs=1e-4)
    r = res[ok & prof]
    assert np.isfinite(r[["OR_low", "OR_high"]]).all().all()
    excludes = (r["OR_low"] > 1) | (r["OR_high"] < 1)
    assert ((r["p"] < 0.05) == excludes).all()
    # the estimate lies inside its interval
    assert ((r["OR_low"] <= r["OR"]) & (r["OR"] <= r["OR_high"])).all()
    # and the Wald interval that was reported before disagrees on some pairs of this grid
    zc = stats.norm.ppf(0.975)
    wald_excl = (np.exp(r["beta"] - zc * r["SE"]) > 1) | (np.exp(r["beta"] + zc * r["SE"]) < 1)
    assert (wald_excl != (r["p"] < 0.05)).any()


def test_statsmodels_solver_gives_the_same_profile_ci():
    d = simulate_phewas_data(400, 2, 3, planted=[("x0", "P000", 0.7)], random_state=1)
    kw = dict(method="firth", min_cases=10)
    a = PheWAS(solver="batched", **kw).fit(d["exposures"], d["outcomes"], d["covariates"]).summary
    b = PheWAS(solver="statsmodels", **kw).fit(d["exposures"], d["outcomes"], d["covariates"]).summary
    key = ["exposure", "phecode"]
    m = a.merge(b, on=key, suffixes=("_a", "_b"))
    assert np.allclose(m["OR_low_a"], m["OR_low_b"], rtol=1e-6)
    assert np.allclose(m["OR_high_a"], m["OR_high_b"], rtol=1e-6)


def test_ci_method_column_per_test():
    d = simulate_phewas_data(1500, 4, 8, planted=[("x0", "P000", 0.9)], random_state=2)
    wald = PheWAS(min_cases=10).fit(d["exposures"], d["outcomes"], d["covariates"]).summary
    assert set(wald.loc[wald["reason"] == "", "ci_method"]) == {"wald"}
    sc = PheWAS(min_cases=10, test="score").fit(d["exposures"], d["outcomes"], d["covariates"]).summary
    est = sc[sc["reason"] == ""]
    assert (est.loc[est["test"] == "score", "ci_method"] == "one-step score (not refitted)").all()
    assert (est.loc[est["test"] == "wald", "ci_method"] == "wald").all()
    assert (est["test"] == "score").any() and (est["test"] == "wald").any()
    assert set(est["ci_method"]) <= set(CI_METHODS)
    fw = PheWAS(method="firth", firth_test="wald", min_cases=10).fit(
        d["exposures"], d["outcomes"], d["covariates"]).summary
    assert set(fw.loc[fw["reason"] == "", "ci_method"]) == {"wald"}


def test_describe_method_reads_the_table():
    s = pd.DataFrame({"method": ["firth", "firth"], "test": ["lrt", "lrt"],
                      "ci_method": ["profile-penalised-LR"] * 2})
    text = describe_method(s, "age and sex")
    assert text.startswith("Firth-penalised logistic regression adjusted for age and sex")
    assert "penalised likelihood-ratio test" in text and "profile penalised likelihood" in text
    s2 = pd.DataFrame({"method": ["logit"] * 3, "test": ["score", "score", "wald"],
                       "ci_method": ["one-step score (not refitted)"] * 2 + ["wald"]})
    text2 = describe_method(s2)
    assert "maximum-likelihood logistic regression" in text2
    assert "score test (2 rows)" in text2 and "Wald test (1 rows)" in text2
    assert "not refitted" in text2


def test_report_caption_names_the_fitted_method():
    from interp_ecg.report import PhewasBlock
    from interp_ecg.report.blocks.base import RenderContext

    d = simulate_phewas_data(600, 2, 3, planted=[("x0", "P000", 0.8)], random_state=4)
    s = PheWAS(method="firth", min_cases=10).fit(d["exposures"], d["outcomes"], d["covariates"]).summary
    block = PhewasBlock(s)
    try:
        ctx = RenderContext()
    except TypeError:
        pytest.skip("RenderContext needs arguments")
    tables = [f for f in block.flowables(ctx) if type(f).__name__ == "Table"]
    caption = str(vars(tables[0]))
    assert "Firth-penalised logistic regression" in caption and "profile penalised likelihood" in caption
    assert "maximum-likelihood" not in caption
