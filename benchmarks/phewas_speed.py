"""Benchmark: batched PheWAS solver vs a per-model statsmodels loop, measured in one run.

Grid (default): 10,000 subjects x 200 exposures x 300 phecodes = 60,000 logistic models with
covariates age and sex, 3% excluded outcome values, planted associations.

* The batched solver (:func:`interp_ecg.phenotype.solvers.fit_grid_batched`) is timed on the
  FULL grid.
* statsmodels ``Logit`` (Newton) is timed on a random sample of ``--sample`` pairs (default
  300) and extrapolated to the grid, because 60,000 fits take minutes on a shared machine. It
  is timed twice, with the BLAS threading as found and with one BLAS thread, and the FASTER of
  the two is the reference (the conservative choice). The same sample checks agreement.

Run: ``python benchmarks/phewas_speed.py`` (about 1-3 minutes on 2 busy cores);
``--quick`` runs a 2,000 x 20 x 30 grid.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from interp_ecg.phenotype.phewas import prepare_covariates
from interp_ecg.phenotype.solvers import fit_grid_batched, fit_grid_statsmodels
from interp_ecg.phenotype.synthetic import simulate_phewas_data


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--exposures", type=int, default=200)
    ap.add_argument("--phecodes", type=int, default=300)
    ap.add_argument("--sample", type=int, default=300, help="statsmodels fits to time")
    ap.add_argument("--backend", default="numpy", choices=["numpy", "torch"])
    ap.add_argument("--method", default="logit", choices=["logit", "firth"])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.quick:
        args.n, args.exposures, args.phecodes, args.sample = 2000, 20, 30, 100

    d = simulate_phewas_data(
        args.n, args.exposures, args.phecodes, planted=max(1, args.exposures // 4),
        random_state=args.seed, effect=0.25,
    )
    X = d["exposures"].to_numpy(dtype=float)
    Y = d["outcomes"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    C = prepare_covariates(d["covariates"], d["exposures"].index).to_numpy(dtype=float)
    E, O = X.shape[1], Y.shape[1]
    n_models = E * O
    print(f"grid: {args.n} subjects x {E} exposures x {O} phecodes = {n_models} models, "
          f"covariates: age, sex; method={args.method}")

    rng = np.random.default_rng(args.seed + 1)
    flat = rng.choice(n_models, size=min(args.sample, n_models), replace=False)
    pairs = [(int(k // O), int(k % O)) for k in flat]

    fit_grid_statsmodels(X, Y, C, method=args.method, pairs=pairs[:5])  # warm-up imports
    fit_grid_batched(X[:, :1], Y[:, :2], C, method=args.method, backend=args.backend)
    t0, c0 = time.perf_counter(), time.process_time()
    ref = fit_grid_statsmodels(X, Y, C, method=args.method, pairs=pairs)
    t_sm_default = (time.perf_counter() - t0) / len(pairs)
    c_sm_default = (time.process_time() - c0) / len(pairs)
    with threadpool_limits(limits=1, user_api="blas"):
        t0, c0 = time.perf_counter(), time.process_time()
        fit_grid_statsmodels(X, Y, C, method=args.method, pairs=pairs)
        t_sm_1 = (time.perf_counter() - t0) / len(pairs)
        c_sm_1 = (time.process_time() - c0) / len(pairs)
    t_sm = min(t_sm_default, t_sm_1)
    c_sm = min(c_sm_default, c_sm_1)
    ref_label = "statsmodels Logit" if args.method == "logit" else "per-model firth_logit"
    print(f"{ref_label}: {t_sm_default * 1e3:.2f} ms/fit (BLAS threads as found), "
          f"{t_sm_1 * 1e3:.2f} ms/fit (1 BLAS thread), timed on {len(pairs)} random pairs")
    print(f"{ref_label}: CPU time {c_sm_default * 1e3:.2f} / {c_sm_1 * 1e3:.2f} ms/fit")
    print(f"{ref_label}: extrapolated to {n_models} models: {t_sm * n_models:.1f} s wall, "
          f"{c_sm * n_models:.1f} s CPU (EXTRAPOLATED from the faster of the two)")

    t0, c0 = time.perf_counter(), time.process_time()
    out = fit_grid_batched(X, Y, C, method=args.method, backend=args.backend)
    t_b = time.perf_counter() - t0
    c_b = time.process_time() - c0
    print(f"batched ({args.backend}): {t_b:.1f} s for all {n_models} models "
          f"({t_b / n_models * 1e3:.3f} ms/model), converged {out['converged'].mean():.4f}, "
          f"Newton evaluations per model (incl. the shared score step): "
          f"mean {out['n_iter'].mean():.2f}")
    print(f"batched CPU time: {c_b:.1f} s")
    print(f"speed-up vs {ref_label} (measured in this run): wall {t_sm * n_models / t_b:.1f}x, "
          f"CPU {c_sm * n_models / c_b:.1f}x"
          + (" (target >= 20x vs statsmodels)" if args.method == "logit" else ""))

    e_idx = np.array([p[0] for p in pairs])
    o_idx = np.array([p[1] for p in pairs])
    b1, s1 = out["beta"][e_idx, o_idx], out["se"][e_idx, o_idx]
    b0, s0 = ref["beta"][e_idx, o_idx], ref["se"][e_idx, o_idx]
    ok = np.isfinite(b0) & np.isfinite(b1)
    rb = np.abs(b1[ok] - b0[ok]) / np.abs(b0[ok])
    rs = np.abs(s1[ok] - s0[ok]) / np.abs(s0[ok])
    print(f"agreement on the {int(ok.sum())} sampled pairs: max relative difference "
          f"beta {rb.max():.2e} (median {np.median(rb):.1e}), SE {rs.max():.2e} "
          f"(median {np.median(rs):.1e}); abs diff beta max {np.abs(b1[ok] - b0[ok]).max():.1e}")


if __name__ == "__main__":
    main()
