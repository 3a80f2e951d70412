"""The batched Firth solver halves steps that would cycle, as the single-model one does (user11 F6).

Before: ``fit_grid_batched(method="firth")`` (``_fit_rows``) took plain capped Newton steps, so a
binary exposure carried by one subject cycled for 100 iterations and was reported not converged
(NaN) although the penalised maximum is finite: beta 0.383557 (brute-force maximiser of the
penalised likelihood, user11; ``firth_logit`` gives it since e6d54bd).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interp_ecg.phenotype import solvers


def _one_exposed_subject():
    rng = np.random.default_rng(3)
    n = 400
    age = rng.normal(60, 10, n)
    female = (rng.random(n) < 0.5).astype(float)
    y = (rng.random(n) < 0.2).astype(float)
    x = np.where(np.arange(n) < 399, 0.0, 1.0)  # one exposed subject, a control
    C = np.column_stack([(age - age.mean()) / age.std(), female])
    return x, y, C


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_one_exposed_subject_converges_to_the_penalised_maximum(backend):
    pytest.importorskip(backend)
    x, y, C = _one_exposed_subject()
    out = solvers.fit_grid_batched(x[:, None], y[:, None], C, method="firth", backend=backend,
                                   **({"device": "cpu"} if backend == "torch" else {}))
    assert bool(out["converged"][0, 0])
    assert out["beta"][0, 0] == pytest.approx(0.383557, abs=5e-6)
    params, se, ok = solvers.firth_logit(y, np.column_stack([np.ones(len(x)), x, C]))
    assert ok and out["beta"][0, 0] == pytest.approx(params[1], abs=1e-7)
    assert out["se"][0, 0] == pytest.approx(se[1], rel=1e-6)


def _single(x, y, C):
    ok = ~np.isnan(y)
    params, se, conv = solvers.firth_logit(y[ok], np.column_stack([np.ones(ok.sum()), x[ok], C[ok]]))
    return params[1], se[1], conv


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(30, 160), n_exposed=st.integers(1, 6),
       prevalence=st.floats(0.05, 0.6), effect=st.floats(-3.0, 3.0), separate=st.booleans())
def test_batched_equals_single_on_a_table_of_cases(seed, n, n_exposed, prevalence, effect, separate):
    """Rare binary exposures (1-6 exposed), a continuous one, outcomes with excluded (NaN) subjects,
    and separated outcomes (every exposed subject a case): the batched rows converge exactly
    where the single-model fit does, to the same estimate."""
    rng = np.random.default_rng(seed)
    cov = rng.normal(size=n)
    rare = np.zeros(n)
    rare[rng.choice(n, n_exposed, replace=False)] = 1.0
    cont = rng.normal(size=n)
    X = np.column_stack([rare, cont])
    eta = np.log(prevalence / (1 - prevalence)) + effect * rare + 0.5 * cont
    Y = np.column_stack([(rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float) for _ in range(3)])
    Y[rng.random(n) < 0.1, 1] = np.nan  # excluded subjects in one outcome
    if separate:
        Y[rare == 1, 2] = 1.0
    out = solvers.fit_grid_batched(X, Y, cov[:, None], method="firth")
    for e in range(X.shape[1]):
        for o in range(Y.shape[1]):
            beta, se, conv = _single(X[:, e], Y[:, o], cov[:, None])
            assert bool(out["converged"][e, o]) == conv, (e, o)
            if conv:
                assert out["beta"][e, o] == pytest.approx(beta, abs=1e-6), (e, o)
                assert out["se"][e, o] == pytest.approx(se, rel=1e-5, abs=1e-8), (e, o)
