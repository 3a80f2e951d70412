"""Benchmark: cost of the profile penalised-likelihood CIs of Firth PheWAS rows, in one run.

Times, on the same synthetic grid (default 2,000 subjects x 4 exposures x 20 phecodes with
covariates age and sex, rare outcomes, one separated pair per exposure):

* ``before``: the Firth penalised LRT alone (:func:`~interp_ecg.phenotype.solvers.firth_lrt_grid`,
  ``ci_level=None``: the full and constrained fits of every pair; the CI was Wald, free).
* ``after``: the same with ``ci_level=0.95`` (the two ends of the profile interval per pair).
* the whole ``PheWAS(method="firth").fit``, with the intervals and (reference, same run) with
  ``firth_lrt_grid`` called without ``ci_level`` as before.

Prints wall and CPU seconds and the after/before ratio, and checks that p < 0.05 exactly when
the interval excludes 0. The logit/Wald path (``benchmarks/phewas_speed.py``) does not run this
code. Run: ``python benchmarks/phewas_firth_ci.py [--n 2000 --exposures 4 --phecodes 20]``.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import pandas as pd

from interp_ecg.phenotype import PheWAS
from interp_ecg.phenotype.solvers import firth_lrt_grid

logger = logging.getLogger("phewas_firth_ci")


def _grid(n, E, O, seed=0):
    rng = np.random.default_rng(seed)
    age = rng.normal(size=n)
    sex = (rng.random(n) < 0.5).astype(float)
    X = rng.normal(size=(n, E)) + 0.2 * age[:, None]
    eff = rng.normal(0, 0.3, size=(E, O))
    lin = -3.0 + X @ eff + 0.3 * age[:, None]
    Y = (rng.random((n, O)) < 1 / (1 + np.exp(-lin))).astype(float)
    Y[:, -1] = ((X[:, 0] > 1.0) & (rng.random(n) < 0.1)).astype(float)  # quasi-separated
    C = np.column_stack([age, sex])
    return X, Y, C


def _timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--exposures", type=int, default=4)
    ap.add_argument("--phecodes", type=int, default=20)
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    X, Y, C = _grid(a.n, a.exposures, a.phecodes)
    pairs = a.exposures * a.phecodes
    logger.info("grid: %d subjects x %d exposures x %d phecodes = %d Firth pairs", a.n, a.exposures, a.phecodes, pairs)
    before, wb, cb = _timed(lambda: firth_lrt_grid(X, Y, C))
    after, wa, ca = _timed(lambda: firth_lrt_grid(X, Y, C, ci_level=0.95))
    logger.info("before (LRT only, Wald CI):      wall %.2f s  CPU %.2f s", wb, cb)
    logger.info("after (LRT + profile 95%% CI):    wall %.2f s  CPU %.2f s  ratio after/before wall %.2f, CPU %.2f",
                wa, ca, wa / wb, ca / cb)
    ok = np.isfinite(after["ci_low"]) & np.isfinite(after["ci_high"])
    excl = (after["ci_low"] > 0) | (after["ci_high"] < 0)
    logger.info("intervals found: %d of %d; p<0.05 != CI excludes 0: %d", int(ok.sum()), pairs,
                int(((after["p"] < 0.05) != excl)[ok].sum()))
    cols = [f"x{i}" for i in range(a.exposures)]
    ph = [f"P{i}" for i in range(a.phecodes)]
    frames = (pd.DataFrame(X, columns=cols), pd.DataFrame(Y, columns=ph), pd.DataFrame(C, columns=["age", "sex"]))
    from interp_ecg.phenotype import solvers

    PheWAS(method="firth", min_cases=5).fit(*frames)  # warm-up (compiled kernels, imports), untimed
    real = solvers.firth_lrt_grid
    def no_ci(*args, ci_level=None, **kw):  # the previous path: no interval search (NaN ends)
        out = real(*args, **kw)
        out["ci_low"] = out["ci_high"] = np.full_like(out["stat"], np.nan)
        return out

    solvers.firth_lrt_grid = no_ci
    try:
        _, w0, c0 = _timed(lambda: PheWAS(method="firth", min_cases=5).fit(*frames))
    finally:
        solvers.firth_lrt_grid = real
    _, wp, cp = _timed(lambda: PheWAS(method="firth", min_cases=5).fit(*frames))
    logger.info("PheWAS(method='firth').fit without profile CIs (previous path): wall %.2f s  CPU %.2f s", w0, c0)
    logger.info("PheWAS(method='firth').fit with profile CIs:                    wall %.2f s  CPU %.2f s  "
                "ratio wall %.2f, CPU %.2f", wp, cp, wp / w0, cp / c0)


if __name__ == "__main__":
    main()
