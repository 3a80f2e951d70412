"""The fast exact-fit path of the PheWAS (fused compiled kernels of ``fit_grid_batched``) gives
statsmodels' answers: beta, SE and p within 1e-6 on a grid with hard cases, the same pairs
without an estimate, and the same reasons through the public wrapper."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from interp_ecg.phenotype import PheWAS
from interp_ecg.phenotype.solvers import (
    fit_grid_batched,
    fit_grid_statsmodels,
    fit_null_models,
    fused_kernels_available,
)

needs_numba = pytest.mark.skipif(not fused_kernels_available(), reason="numba not installed")


def _hard_grid(seed=11, n=1200):
    """Exposures with missing values and one binary exposure; outcomes: common with a strong
    effect, rare (about 1.5%: ~18 cases), female-only (sex constant among its subjects, so the
    sex coefficient is held at 0), completely separated by exposure 0, and a null one."""
    rng = np.random.default_rng(seed)
    age = rng.normal(0, 1, n)
    male = (rng.random(n) < 0.5).astype(float)
    X = rng.normal(size=(n, 3)) + 0.3 * age[:, None]
    X[:, 2] = (rng.random(n) < 0.3).astype(float)  # binary exposure
    X[rng.random((n, 3)) < 0.03] = np.nan
    x0 = np.nan_to_num(X[:, 0])
    lin = np.column_stack([
        -1.0 + 1.2 * x0 + 0.5 * age,
        -4.3 + 0.2 * age,  # rare
        -1.5 + 0.4 * x0,
        -2.0 + np.zeros(n),
    ])
    Y = (rng.random(lin.shape) < 1 / (1 + np.exp(-lin))).astype(float)
    Y[rng.random(Y.shape) < 0.04] = np.nan
    Y[male == 1, 2] = np.nan  # female-only outcome
    sep = np.where(np.isfinite(X[:, 0]), (x0 > 0.8).astype(float), np.nan)  # separated by exposure 0
    Y = np.column_stack([Y, sep])
    return X, Y, np.column_stack([age, male])


def _p(beta, se):
    return 2.0 * stats.norm.sf(np.abs(beta / se))


@needs_numba
@pytest.mark.parametrize("mixed_precision", [True, False])
def test_fused_fits_equal_statsmodels_on_hard_grid(mixed_precision):
    X, Y, C = _hard_grid()
    fast = fit_grid_batched(X, Y, C, kernel="fused", mixed_precision=mixed_precision)
    ref = fit_grid_statsmodels(X, Y, C)
    assert 10 <= np.nansum(Y[:, 1]) <= 30  # the rare outcome is rare
    # the same pairs have an estimate; the separated outcome has none for exposure 0
    np.testing.assert_array_equal(fast["converged"], ref["converged"])
    assert not fast["converged"][0, 4] and np.isnan(fast["beta"][0, 4]) and np.isnan(fast["se"][0, 4])
    assert fast["converged"][1:, :4].all() and fast["converged"][0, :4].all()
    ok = ref["converged"]
    b, s, b0, s0 = fast["beta"][ok], fast["se"][ok], ref["beta"][ok], ref["se"][ok]
    assert np.abs(b - b0).max() <= 1e-6 * np.maximum(1.0, np.abs(b0)).max()
    assert (np.abs(b - b0) <= 1e-6 * np.abs(b0) + 1e-9).all(), np.abs(b - b0) / np.abs(b0)
    assert (np.abs(s - s0) <= 1e-6 * s0).all(), np.abs(s - s0) / s0
    assert np.abs(_p(b, s) - _p(b0, s0)).max() <= 1e-6


@needs_numba
def test_fused_and_numpy_kernels_agree_and_masks_do_not_change_estimates():
    X, Y, C = _hard_grid(seed=12)
    fast = fit_grid_batched(X, Y, C, kernel="fused")
    slow = fit_grid_batched(X, Y, C, kernel="numpy")
    np.testing.assert_array_equal(fast["converged"], slow["converged"])
    ok = fast["converged"]
    np.testing.assert_allclose(fast["beta"][ok], slow["beta"][ok], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(fast["se"][ok], slow["se"][ok], rtol=1e-8)
    mask = np.random.default_rng(0).random(ok.shape) < 0.5
    part = fit_grid_batched(X, Y, C, kernel="fused", mask=mask)
    np.testing.assert_allclose(part["beta"][mask & ok], fast["beta"][mask & ok], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(part["se"][mask & ok], fast["se"][mask & ok], rtol=1e-8)
    assert not part["converged"][~mask].any() and (part["n_iter"][~mask] == 0).all()


@needs_numba
def test_fused_pair_that_runs_out_of_iterations_is_reported_not_converged():
    X, Y, C = _hard_grid(seed=13)
    full = fit_grid_batched(X, Y, C, kernel="fused")
    short = fit_grid_batched(X, Y, C, kernel="fused", max_iter=1)  # the float32 step only
    assert full["converged"][:, :4].all()
    assert not short["converged"].any()
    assert np.isnan(short["beta"]).all() and np.isnan(short["se"]).all()
    # through the wrapper: 'not converged' for every pair, separation still recognised
    names = [f"x{i}" for i in range(X.shape[1])]
    ex = pd.DataFrame(X, columns=names)
    out = pd.DataFrame(Y, columns=[f"P{i}" for i in range(Y.shape[1])]).astype("boolean")
    cov = pd.DataFrame(C, columns=["age", "male"])
    res = PheWAS(min_cases=5, max_iter=1).fit(ex, out, cov).summary.set_index(["exposure", "phecode"])
    assert res.loc[("x0", "P4"), "reason"] == "separation" and res.loc[("x0", "P4"), "separation"]
    others = res.drop(index=("x0", "P4"))
    assert (others["reason"] == "not converged").all() and others["p"].isna().all()
    assert not others["converged"].any()


@needs_numba
def test_public_phewas_matches_statsmodels_solver_and_flags_separation():
    X, Y, C = _hard_grid(seed=14)
    names = [f"x{i}" for i in range(X.shape[1])]
    ex = pd.DataFrame(X, columns=names)
    out = pd.DataFrame(Y, columns=[f"P{i}" for i in range(Y.shape[1])]).astype("boolean")
    cov = pd.DataFrame(C, columns=["age", "male"])
    fast = PheWAS(min_cases=5).fit(ex, out, cov).summary.set_index(["exposure", "phecode"])
    ref = PheWAS(min_cases=5, solver="statsmodels").fit(ex, out, cov).summary.set_index(["exposure", "phecode"])
    fast = fast.loc[ref.index]
    pd.testing.assert_series_equal(fast["reason"], ref["reason"])
    pd.testing.assert_series_equal(fast["separation"], ref["separation"])
    assert fast.loc[("x0", "P4"), "reason"] == "separation" and np.isnan(fast.loc[("x0", "P4"), "p"])
    est = ref["reason"] == ""
    for col in ("beta", "SE", "p"):
        a, b = fast.loc[est, col].to_numpy(float), ref.loc[est, col].to_numpy(float)
        assert np.abs(a - b).max() <= 1e-6 * max(1.0, np.abs(b).max()), col
    rel = np.abs(fast.loc[est, "beta"] - ref.loc[est, "beta"]) / np.abs(ref.loc[est, "beta"])
    assert rel.max() <= 1e-6


@needs_numba
def test_fused_null_models_equal_numpy_null_models():
    X, Y, C = _hard_grid(seed=15)
    a = fit_null_models(Y, C, kernel="numpy")
    b = fit_null_models(Y, C, kernel="fused")
    assert a["converged"].all() and b["converged"].all()
    np.testing.assert_array_equal(a["active"], b["active"])
    assert not a["active"][2, 2]  # sex held at 0 for the female-only outcome
    np.testing.assert_allclose(b["coef"], a["coef"], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b["mu"], a["mu"], rtol=1e-9, atol=1e-15)
