"""Both ends of a Firth profile penalised-likelihood interval exist under separation, and are
found (trust defect, round of 2026-12-01).

Along the profile, ``|b_1| -> inf`` sends ``det I(b) -> 0`` and so the penalised log-likelihood
to ``-inf``: the ends are finite even under (quasi-)complete separation (Heinze & Schemper
2002). Before, the upper end of a pair completely separated by a continuous exposure was NaN
("upper end not found"): its constrained fits started with only the exposure coefficient
moved (the intercept left behind) and were stopped after 100 iterations of a linearly
converging iteration. The ends are checked here against a brute-force profile (the nuisance
coefficients maximised from a grid of starts).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from interp_ecg.phenotype.solvers import firth_logit, firth_lrt_grid, firth_penalised_loglik, firth_profile_ci

Q95 = stats.chi2.ppf(0.95, 1)


def _brute_f(y, Xd, t, pl1, x0_grid):
    """``2 (pl1 - max pl(. | b_1 = t)) - q`` with the other coefficients maximised from starts
    that put the boundary ``b_0 + t x = 0`` at each of ``x0_grid`` (Nelder-Mead)."""
    k = Xd.shape[1] - 2

    def neg(v):
        return -firth_penalised_loglik(y, Xd, np.r_[v[0], t, v[1:]])

    best = -np.inf
    for x0 in x0_grid:
        r = optimize.minimize(neg, np.r_[-t * x0, np.zeros(k)], method="Nelder-Mead",
                              options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 5000})
        best = max(best, -r.fun)
    return 2.0 * (pl1 - best) - Q95


def _separated_200():
    rng = np.random.default_rng(0)
    rng.normal(size=40)
    rng.random(20)
    x = rng.normal(size=200)
    return x, (x > 1.5).astype(float)


def test_complete_separation_both_ends_match_a_brute_force_profile():
    # 200 subjects, cases exactly those with x > 1.5: 11 cases, a 0.15-SD gap
    x, y = _separated_200()
    Xd = np.column_stack([np.ones(len(x)), x])
    b, _, ok = firth_logit(y, Xd)
    assert ok and np.isfinite(b).all()
    pl1 = firth_penalised_loglik(y, Xd, b)
    lo, hi, ok = firth_profile_ci(y, Xd)
    grid = firth_lrt_grid(x[:, None], y[:, None], ci_level=0.95)
    assert ok and lo < b[1] < hi
    assert grid["ci_low"][0, 0] == pytest.approx(lo, abs=1e-6)
    assert grid["ci_high"][0, 0] == pytest.approx(hi, abs=1e-6)
    x0 = np.linspace(x[y == 0].max(), x[y == 1].min(), 25)
    for end in (lo, hi):  # the brute-force profile crosses the chi-square quantile there
        assert _brute_f(y, Xd, end, pl1, x0) == pytest.approx(0.0, abs=2e-5)
    assert hi == pytest.approx(53.6308, abs=1e-3)
    # a start-dependent local maximum of the constrained fit would put it at 53.04, too narrow
    assert _brute_f(y, Xd, 53.04, pl1, x0) < -0.04


@pytest.fixture(scope="module")
def grid_case():
    """The pair of tests/test_phenotype_firth_ci.py that had "upper end not found": 16 cases of
    300, exactly those with x > 1.6 (a 0.024-SD gap), adjusted for one covariate."""
    rng = np.random.default_rng(7)
    n, E, O = 300, 6, 12
    X = rng.normal(size=(n, E))
    X[:, 5] = (rng.random(n) < 0.25).astype(float)
    C = rng.normal(size=(n, 1))
    eff = rng.normal(0, 0.35, size=(E, O))
    Y = (rng.random((n, O)) < 1 / (1 + np.exp(-(-2.5 + X @ eff)))).astype(float)
    Y[:, 10] = ((X[:, 5] == 1) & (rng.random(n) < 0.2)).astype(float)
    Y[:, 11] = (X[:, 0] > 1.6).astype(float)
    return X, Y, C


def test_the_separated_pair_of_the_grid_has_both_ends(grid_case):
    X, Y, C = grid_case
    x, y = X[:, 0], Y[:, 11]
    Xd = np.column_stack([np.ones(len(x)), x, C[:, 0]])
    lo, hi, ok = firth_profile_ci(y, Xd)
    g = firth_lrt_grid(x[:, None], y[:, None], C, ci_level=0.95)
    assert ok and np.isfinite([lo, hi]).all()  # before: (nan, nan, False); the grid's upper end NaN
    assert (g["ci_low"][0, 0], g["ci_high"][0, 0]) == pytest.approx((lo, hi), abs=1e-6)
    assert (lo, hi) == pytest.approx((6.64985, 172.44397), abs=1e-4)
    b, _, _ = firth_logit(y, Xd)
    pl1 = firth_penalised_loglik(y, Xd, b)
    x0 = np.linspace(x[y == 0].max(), x[y == 1].min(), 5)
    assert _brute_f(y, Xd, hi, pl1, x0) == pytest.approx(0.0, abs=1e-4)
    assert _brute_f(y, Xd, hi - 5.0, pl1, x0) < 0 < _brute_f(y, Xd, hi + 5.0, pl1, x0)
