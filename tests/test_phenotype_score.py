"""Score-test screening (issue 16): the score statistic equals a per-pair computation, the
screened PheWAS loses no pair that full fits call significant, the score test holds its size
on null pairs, and the grid runs the same on a Dask cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from interp_ecg.phenotype import PheWAS, phewas, simulate_phewas_data
from interp_ecg.phenotype.phewas import prepare_covariates
from interp_ecg.phenotype.score import score_test_grid


def test_score_statistic_equals_per_pair_statsmodels_null():
    import statsmodels.api as sm

    rng = np.random.default_rng(1)
    n = 800
    C = np.column_stack([rng.normal(size=n), rng.random(n) < 0.5]).astype(float)
    X = rng.normal(size=(n, 3)) + 0.3 * C[:, :1]
    lin = -1.5 + 0.3 * X[:, :1] + 0.4 * C[:, :1]
    Y = (rng.random((n, 3)) < 1 / (1 + np.exp(-lin))).astype(float)
    Y[rng.random(Y.shape) < 0.05] = np.nan
    Y[C[:, 1] == 1, 2] = np.nan  # sex-specific outcome: sex constant among its subjects
    out = score_test_grid(X, Y, C)
    for e in range(3):
        for o in range(3):
            r = np.isfinite(Y[:, o])
            Z = np.column_stack([np.ones(r.sum()), C[r]])[:, : (2 if o == 2 else 3)]
            mu = sm.Logit(Y[r, o], Z).fit(disp=0).predict(Z)
            w, x = mu * (1 - mu), X[r, e]
            U = x @ (Y[r, o] - mu)
            V = x @ (w * x) - (x * w) @ Z @ np.linalg.solve(Z.T @ (Z * w[:, None]), Z.T @ (w * x))
            assert out["U"][e, o] == pytest.approx(U, rel=1e-7, abs=1e-9)
            assert out["V"][e, o] == pytest.approx(V, rel=1e-9)
            assert out["p"][e, o] == pytest.approx(2 * stats.norm.sf(abs(U) / np.sqrt(V)), rel=1e-6)


def test_score_with_missing_exposures_is_close_to_exact_subset_score():
    rng = np.random.default_rng(2)
    n = 3000
    X = rng.normal(size=(n, 2))
    X[rng.random(X.shape) < 0.05] = np.nan
    Y = (rng.random((n, 2)) < 0.2).astype(float)
    out = score_test_grid(X, Y)
    for e in range(2):
        r = np.isfinite(X[:, e])
        ref = score_test_grid(X[r, e], Y[r])
        np.testing.assert_allclose(out["z"][e], ref["z"][0], rtol=0.03, atol=0.02)


def _grid(n, E, O, seed, effect=0.25):
    d = simulate_phewas_data(n, E, O, planted=max(1, E * O // 100), random_state=seed, effect=effect,
                             prevalence=(0.01, 0.15))
    return d


def _validate(n, E, O, seed, effect):
    d = _grid(n, E, O, seed, effect)
    full = phewas(d["exposures"], d["outcomes"], d["covariates"], min_cases=10)
    model = PheWAS(test="score", min_cases=10).fit(d["exposures"], d["outcomes"], d["covariates"])
    scr = model.summary
    key = ["exposure", "phecode"]
    m = full.merge(scr, on=key, suffixes=("_full", "_scr"))
    sig_full = m["q_full"] < 0.05
    assert sig_full.sum() >= 5, "the grid must have discoveries to validate against"
    # no pair that the full fits call significant is lost by screening
    assert (m.loc[sig_full, "test_scr"] == "wald").all()
    assert (m.loc[sig_full, "q_scr"] < 0.05).all()
    # refitted pairs are exactly the full fits
    refit = m["test_scr"] == "wald"
    np.testing.assert_allclose(m.loc[refit, "p_scr"], m.loc[refit, "p_full"], rtol=1e-7)
    assert set(scr["test"]) <= {"wald", "score", ""}
    assert model.n_exact_fits_ < 0.25 * len(scr)  # screening does save fits
    # planted pairs recovered as well as with full fits
    truth = d["truth"].set_index(key)["planted"]
    planted = m.set_index(key).join(truth)
    rec_full = (planted["planted"] & (planted["q_full"] < 0.05)).sum()
    rec_scr = (planted["planted"] & (planted["q_scr"] < 0.05)).sum()
    assert rec_scr >= rec_full
    return m, model


def test_screening_loses_no_significant_pair_scaled():
    _validate(4000, 25, 60, seed=11, effect=0.25)


@pytest.mark.slow
def test_screening_loses_no_significant_pair_full_size():
    """The issue's grid: n = 20,000, 100 exposures x 300 phecodes, every pair fully fitted."""
    _validate(20_000, 100, 300, seed=12, effect=0.12)


def test_score_test_size_on_null_pairs():
    d = simulate_phewas_data(3000, 20, 50, planted=0, random_state=21, prevalence=(0.05, 0.3))
    X = d["exposures"].to_numpy(float)
    Y = d["outcomes"].astype("Float64").to_numpy(float, na_value=np.nan)
    C = prepare_covariates(d["covariates"], d["exposures"].index).to_numpy(float)
    p = score_test_grid(X, Y, C)["p"].ravel()
    k, m = int((p < 0.05).sum()), p.size
    ci = stats.binomtest(k, m, 0.05).proportion_ci(0.95)
    assert ci.low <= 0.05 <= ci.high, (k / m, ci)
    # and uniform overall (Kolmogorov-Smirnov)
    assert stats.kstest(p, "uniform").pvalue > 0.01


def test_score_screen_threshold_options():
    d = _grid(2000, 6, 10, seed=3)
    every = PheWAS(test="score", screen_threshold=1.0, min_cases=10).fit(d["exposures"], d["outcomes"], d["covariates"])
    full = phewas(d["exposures"], d["outcomes"], d["covariates"], min_cases=10)
    assert (every.summary["test"] == "wald").all()
    pd.testing.assert_frame_equal(every.summary, full)
    none = PheWAS(test="score", screen_threshold=0.0, min_cases=10).fit(d["exposures"], d["outcomes"], d["covariates"])
    assert (none.summary["test"] == "score").all() and none.n_exact_fits_ == 0
    with pytest.raises(Exception, match="screen_threshold"):
        PheWAS(test="score", screen_threshold=2.0).fit(d["exposures"], d["outcomes"], d["covariates"])


def test_score_screening_on_dask_local_cluster_equals_local():
    distributed = pytest.importorskip("distributed")
    d = _grid(1500, 5, 12, seed=4)
    kw = dict(test="score", min_cases=10)
    local = phewas(d["exposures"], d["outcomes"], d["covariates"], **kw)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            remote = phewas(d["exposures"], d["outcomes"], d["covariates"], scheduler=client,
                            chunk_size=4, **kw)
    pd.testing.assert_frame_equal(local, remote)
