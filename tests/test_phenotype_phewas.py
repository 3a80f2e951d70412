"""PheWAS solvers: batched == statsmodels, Firth == a direct penalised-likelihood maximiser,
Dask == local, and planted associations recovered on synthetic cohorts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from interp_ecg.phenotype import PheWAS, phewas, simulate_phewas_data
from interp_ecg.phenotype.phewas import SUMMARY_COLUMNS, benjamini_hochberg
from interp_ecg.phenotype.solvers import fit_grid_batched, fit_grid_statsmodels, firth_logit
from interp_ecg.phenotype.synthetic import planted_recovery


def _hard_cohort(seed=3, n=1500):
    """Covariates, excluded outcome values, NaN exposures, a 'female-only' outcome (sex constant
    among its subjects), a rare outcome, and a strong effect."""
    rng = np.random.default_rng(seed)
    age = rng.normal(0, 1, n)
    male = (rng.random(n) < 0.5).astype(float)
    X = rng.normal(size=(n, 4)) + 0.3 * age[:, None]
    X[rng.random(X.shape) < 0.04] = np.nan
    lin = np.column_stack(
        [
            -2 + 0.8 * np.nan_to_num(X[:, 0]) + 0.5 * age,
            -1 + 0.3 * male,
            -3.5 + 0.2 * age,  # rare
            -1.5 + 0.4 * np.nan_to_num(X[:, 1]),
            -2.0 + np.zeros(n),
        ]
    )
    Y = (rng.random(lin.shape) < 1 / (1 + np.exp(-lin))).astype(float)
    Y[rng.random(Y.shape) < 0.05] = np.nan
    Y[male == 1, 4] = np.nan  # female-only outcome: sex is constant among its subjects
    C = np.column_stack([age, male])
    return X, Y, C


@pytest.mark.parametrize(("backend", "kernel"), [("numpy", "auto"), ("numpy", "numpy"), ("torch", "auto")])
def test_batched_equals_statsmodels(backend, kernel):
    X, Y, C = _hard_cohort()
    b = fit_grid_batched(X, Y, C, backend=backend, kernel=kernel)
    r = fit_grid_statsmodels(X, Y, C)
    assert b["converged"].all() and r["converged"].all()
    rel_b = np.abs(b["beta"] - r["beta"]) / np.abs(r["beta"])
    rel_s = np.abs(b["se"] - r["se"]) / np.abs(r["se"])
    assert rel_b.max() <= 1e-6, rel_b.max()
    assert rel_s.max() <= 1e-6, rel_s.max()


def test_batched_matches_statsmodels_without_covariates_and_flags_separation():
    rng = np.random.default_rng(0)
    n = 400
    X = rng.normal(size=(n, 2))
    y_sep = (X[:, 0] > 0).astype(float)  # perfectly separated by exposure 0
    y_ok = (rng.random(n) < 0.3).astype(float)
    Y = np.column_stack([y_ok, y_sep])
    b = fit_grid_batched(X, Y)
    r = fit_grid_statsmodels(X, Y)
    np.testing.assert_allclose(b["beta"][:, 0], r["beta"][:, 0], rtol=1e-6)
    np.testing.assert_allclose(b["se"][:, 0], r["se"][:, 0], rtol=1e-6)
    assert not b["converged"][0, 1]  # separation: no finite MLE
    f = fit_grid_batched(X, Y, method="firth")
    assert f["converged"][0, 1] and np.isfinite(f["beta"][0, 1])  # Firth: finite estimate


def _firth_reference(y, Xd):
    """Maximise l(b) + 0.5 log det(X'WX) directly with scipy (independent of the solver)."""

    def negpen(b):
        eta = Xd @ b
        ll = np.sum(y * eta - np.logaddexp(0, eta))
        mu = 1 / (1 + np.exp(-eta))
        info = Xd.T @ (Xd * (mu * (1 - mu))[:, None])
        return -(ll + 0.5 * np.linalg.slogdet(info)[1])

    res = optimize.minimize(negpen, np.zeros(Xd.shape[1]), method="BFGS",
                            options={"gtol": 1e-10, "maxiter": 10_000})
    b = res.x
    mu = 1 / (1 + np.exp(-(Xd @ b)))
    info = Xd.T @ (Xd * (mu * (1 - mu))[:, None])
    return b, np.sqrt(np.diag(np.linalg.inv(info)))


def test_firth_batched_equals_direct_penalised_likelihood():
    rng = np.random.default_rng(7)
    n = 300
    X = rng.normal(size=(n, 2))
    C = rng.normal(size=(n, 1))
    lin = np.column_stack([-3.5 + 0.7 * X[:, 0], -2.5 + 0 * X[:, 0], 5 * (X[:, 1] > 1.2) - 6])
    Y = (rng.random(lin.shape) < 1 / (1 + np.exp(-lin))).astype(float)
    Y[:5, 1] = np.nan
    out = fit_grid_batched(X, Y, C, method="firth")
    single = fit_grid_statsmodels(X, Y, C, method="firth")
    assert out["converged"].all()
    for e in range(2):
        for o in range(3):
            rows = np.isfinite(Y[:, o])
            Xd = np.column_stack([np.ones(rows.sum()), X[rows, e], C[rows]])
            b_ref, se_ref = _firth_reference(Y[rows, o], Xd)
            assert out["beta"][e, o] == pytest.approx(b_ref[1], rel=1e-5, abs=1e-6)
            assert out["se"][e, o] == pytest.approx(se_ref[1], rel=1e-5)
            assert single["beta"][e, o] == pytest.approx(out["beta"][e, o], rel=1e-6)


def test_firth_single_model_shrinks_towards_zero():
    rng = np.random.default_rng(1)
    x = rng.normal(size=60)
    y = (rng.random(60) < 1 / (1 + np.exp(-(-2 + 1.5 * x)))).astype(float)
    Xd = np.column_stack([np.ones(60), x])
    bf, _, ok = firth_logit(y, Xd)
    ml = fit_grid_statsmodels(x, y)["beta"][0, 0]
    assert ok and abs(bf[1]) < abs(ml)


def test_phewas_summary_table():
    d = simulate_phewas_data(3000, 4, 6, planted=[("x1", "P002", 0.9)], random_state=2,
                             exposure_missing_rate=0.02)
    res = phewas(d["exposures"], d["outcomes"], d["covariates"], min_cases=5)
    assert list(res.columns) == SUMMARY_COLUMNS
    assert len(res) == 4 * 6
    top = res.iloc[0]
    assert (top["exposure"], top["phecode"]) == ("x1", "P002") and top["bonferroni"]
    assert top["OR_low"] < top["OR"] < top["OR_high"]
    # excluded subjects (NA) are dropped per outcome, NaN exposures per exposure
    y = d["outcomes"]["P002"]
    x = d["exposures"]["x1"]
    ok = y.notna() & x.notna()
    assert top["n_cases"] == int(y[ok].sum())
    assert top["n_cases"] + top["n_controls"] == int(ok.sum())
    assert res["converged"].all()
    assert np.allclose(res["q"], benjamini_hochberg(res["p"]))
    # same numbers from the statsmodels loop
    ref = phewas(d["exposures"], d["outcomes"], d["covariates"], solver="statsmodels",
                 min_cases=5)
    m = res.merge(ref, on=["exposure", "phecode"], suffixes=("", "_sm"))
    np.testing.assert_allclose(m["beta"], m["beta_sm"], rtol=1e-6)
    np.testing.assert_allclose(m["SE"], m["SE_sm"], rtol=1e-6)


def test_phewas_object_min_cases_and_display():
    d = simulate_phewas_data(800, 2, 3, planted=0, random_state=4, prevalence=(0.005, 0.01))
    model = PheWAS(min_cases=50).fit(d["exposures"], d["outcomes"], d["covariates"])
    assert len(model.summary) == 0 and len(model.skipped_) == 3
    model = PheWAS(min_cases=1, method="firth").fit(d["exposures"], d["outcomes"],
                                                     d["covariates"])
    assert "<table" in model._repr_html_() and "PheWAS" in repr(model)
    ax = model.plot()
    assert ax.get_ylabel().startswith("-log10")


def test_phewas_on_dask_cluster_equals_local():
    distributed = pytest.importorskip("distributed")
    d = simulate_phewas_data(1000, 5, 4, planted=2, random_state=5)
    local = phewas(d["exposures"], d["outcomes"], d["covariates"], min_cases=5)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            remote = phewas(d["exposures"], d["outcomes"], d["covariates"], min_cases=5,
                            scheduler=client, chunk_size=2)
    pd.testing.assert_frame_equal(local, remote)


def test_adjustment_removes_confounding():
    d = simulate_phewas_data(4000, 3, 4, planted=0, random_state=6, confounding=1.0)
    adj = phewas(d["exposures"], d["outcomes"], d["covariates"], min_cases=5)
    crude = phewas(d["exposures"], d["outcomes"], None, min_cases=5)
    assert crude["p"].min() < 1e-3  # age drives both exposure and outcome
    assert (adj["q"] > 0.05).all()


def test_planted_associations_recovered_with_fdr_control():
    r = planted_recovery(5000, 10, 30, planted=10, n_replicates=3, random_state=11)
    assert r["power_fdr"].mean() >= 0.8
    assert r["fdp"].mean() <= 0.10  # nominal 5%; 3 replicates of ~10 discoveries are noisy
    assert 0.02 <= r["null_rate_p05"].mean() <= 0.08  # calibrated p-values under the null


def test_outcome_chunks_and_blocks_do_not_change_estimates():
    X, Y, C = _hard_cohort(seed=8, n=600)
    a = fit_grid_batched(X, Y, C)
    b = fit_grid_batched(X, Y, C, outcome_chunk=2, block=1, mixed_precision=False)
    np.testing.assert_allclose(a["beta"], b["beta"], rtol=1e-8)
    np.testing.assert_allclose(a["se"], b["se"], rtol=1e-8)


def test_firth_fallback_for_separated_pairs():
    rng = np.random.default_rng(4)
    n = 400
    X = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    Y = pd.DataFrame({"sep": X["x"] > 1.0, "ok": rng.random(n) < 0.3}).astype("boolean")
    plain = phewas(X, Y, min_cases=5).set_index(["exposure", "phecode"])
    assert not plain.loc[("x", "sep"), "converged"] and np.isnan(plain.loc[("x", "sep"), "p"])
    fb = phewas(X, Y, min_cases=5, firth_fallback=True).set_index(["exposure", "phecode"])
    row = fb.loc[("x", "sep")]
    assert row["converged"] and row["method"] == "firth" and row["beta"] > 0
    assert np.isfinite(row["SE"]) and np.isfinite(row["p"])  # finite (Wald is weak here)
    assert fb.loc[("z", "ok"), "method"] == "logit"
    assert fb.loc[("z", "ok"), "beta"] == pytest.approx(plain.loc[("z", "ok"), "beta"])


def test_firth_penalised_lrt_matches_direct_maximisation():
    from scipy import stats

    from interp_ecg.phenotype.solvers import firth_lrt

    rng = np.random.default_rng(5)
    n = 150
    x, c = rng.normal(size=n), rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(-3 + 0.8 * x + 0.3 * c)))).astype(float)
    Xd = np.column_stack([np.ones(n), x, c])

    def negpen(b):
        eta = Xd @ b
        mu = 1 / (1 + np.exp(-eta))
        info = Xd.T @ (Xd * (mu * (1 - mu))[:, None])
        return -(np.sum(y * eta - np.logaddexp(0, eta)) + 0.5 * np.linalg.slogdet(info)[1])

    full = optimize.minimize(negpen, np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    null = optimize.minimize(lambda b: negpen(np.array([b[0], 0.0, b[1]])), np.zeros(2),
                             method="BFGS", options={"gtol": 1e-10})
    ref = 2 * (null.fun - full.fun)
    stat, p, ok = firth_lrt(y, Xd, 1)
    assert ok and stat == pytest.approx(ref, rel=1e-6) and p == pytest.approx(stats.chi2.sf(ref, 1), rel=1e-5)
    # through the PheWAS API
    res = phewas(pd.DataFrame({"x": x}), pd.DataFrame({"y": y.astype(bool)}),
                 pd.DataFrame({"c": c}), method="firth", firth_test="lrt", min_cases=1)
    assert res["p"].iloc[0] == pytest.approx(p, rel=1e-6)


@pytest.mark.parametrize("method", ["logit", "firth"])
def test_masked_batched_fits_equal_full_grid(method):
    X, Y, C = _hard_cohort(seed=8, n=800)
    rng = np.random.default_rng(0)
    mask = rng.random((X.shape[1], Y.shape[1])) < 0.5
    full = fit_grid_batched(X, Y, C, method=method)
    part = fit_grid_batched(X, Y, C, method=method, mask=mask)
    np.testing.assert_allclose(part["beta"][mask], full["beta"][mask], rtol=1e-7)
    np.testing.assert_allclose(part["se"][mask], full["se"][mask], rtol=1e-7)
    assert np.isnan(part["beta"][~mask]).all() and not part["converged"][~mask].any()


def test_batched_firth_lrt_equals_per_model_lrt():
    from interp_ecg.phenotype.solvers import firth_lrt, firth_lrt_grid

    X, Y, C = _hard_cohort(seed=9, n=500)  # NaN exposures, excluded outcomes, a female-only outcome
    out = firth_lrt_grid(X, Y, C)
    assert out["converged"].all()
    for e in range(X.shape[1]):
        for o in range(Y.shape[1]):
            rows = np.isfinite(X[:, e]) & np.isfinite(Y[:, o])
            Xd = np.column_stack([np.ones(rows.sum()), X[rows, e], C[rows]])
            if o == 4:
                Xd = Xd[:, :3]  # sex constant among this outcome's subjects
            stat, p, ok = firth_lrt(Y[rows, o], Xd, 1)
            assert ok and out["stat"][e, o] == pytest.approx(stat, rel=1e-6, abs=1e-8)
    # both solvers of the PheWAS give the same LRT p-values
    cols = [f"x{i}" for i in range(X.shape[1])]
    Xd, Yd = pd.DataFrame(X, columns=cols), pd.DataFrame(Y).astype("boolean")
    Cd = pd.DataFrame(C, columns=["age", "male"])
    a = phewas(Xd, Yd, Cd, method="firth", min_cases=5).sort_values(["exposure", "phecode"], ignore_index=True)
    b = phewas(Xd, Yd, Cd, method="firth", solver="statsmodels", min_cases=5).sort_values(
        ["exposure", "phecode"], ignore_index=True)
    assert (a["test"] == "lrt").all() and (b["test"] == "lrt").all()
    np.testing.assert_allclose(a["p"], b["p"], rtol=1e-6)
