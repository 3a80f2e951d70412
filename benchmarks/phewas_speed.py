"""Benchmark: batched PheWAS exact fits vs a per-model statsmodels loop, measured in one run.

Grid (default): 10,000 subjects x 200 exposures x 300 phecodes = 60,000 logistic models with
covariates age and sex, 3% excluded outcome values, planted associations.

* The batched solver (:func:`interp_ecg.phenotype.solvers.fit_grid_batched`) is timed on the
  FULL grid, with its default kernel (``"fused"`` when numba is installed) and, as the
  reference of the previous round in the same run, with ``kernel="numpy"`` (the numpy path,
  unchanged).
* The public wrapper ``PheWAS(...).fit`` (``test="wald"``: every pair fitted exactly) is timed
  on the full grid, from the DataFrames to the summary.
* statsmodels ``Logit`` (Newton) is timed on a random sample of ``--sample`` pairs (default
  300) and EXTRAPOLATED to the grid, because 60,000 fits take minutes. It is timed with one
  BLAS thread (the setting of the batched solver, which pins BLAS, torch and its compiled
  kernels to one thread) and with BLAS threads as found; the ratio is printed against the
  one-thread figure (same thread settings) and against the faster of the two (conservative).
* Agreement: on the sampled pairs, the largest absolute difference of beta, SE and the Wald
  p-value (``2 * norm.sf(|beta / SE|)``, as statsmodels' ``Logit.pvalues``) between
  statsmodels and the batched solver, and between statsmodels and the wrapper's summary.

Wall and CPU (process) times are both printed; on a shared machine the CPU time is the figure
that depends least on the other users. The load average is printed at the start and the end.

Run: ``python benchmarks/phewas_speed.py`` (a few minutes on 2 busy cores); ``--quick`` runs a
2,000 x 20 x 30 grid; ``--method firth`` compares batched Firth with the per-model
``firth_logit`` loop.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from scipy import stats
from threadpoolctl import threadpool_info, threadpool_limits

from interp_ecg.phenotype import PheWAS
from interp_ecg.phenotype.phewas import prepare_covariates
from interp_ecg.phenotype.solvers import fit_grid_batched, fit_grid_statsmodels, fused_kernels_available
from interp_ecg.phenotype.synthetic import simulate_phewas_data


class _Clock:
    def __enter__(self):
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.w0
        self.cpu = time.process_time() - self.c0


def _p(beta, se):
    with np.errstate(divide="ignore", invalid="ignore"):
        return 2.0 * stats.norm.sf(np.abs(beta / se))


def _diffs(label, b, s, b0, s0) -> None:
    ok = np.isfinite(b0) & np.isfinite(b)
    both_nan = int((~np.isfinite(b0) & ~np.isfinite(b)).sum())
    mismatch = int((np.isfinite(b0) != np.isfinite(b)).sum())
    p, p0 = _p(b[ok], s[ok]), _p(b0[ok], s0[ok])
    rel_b = np.abs(b[ok] - b0[ok]) / np.abs(b0[ok])
    print(f"  {label}: on {int(ok.sum())} sampled pairs with estimates, max |difference| "
          f"beta {np.abs(b[ok] - b0[ok]).max():.1e}, SE {np.abs(s[ok] - s0[ok]).max():.1e}, "
          f"p {np.abs(p - p0).max():.1e} (max relative: beta {rel_b.max():.1e}, "
          f"SE {(np.abs(s[ok] - s0[ok]) / s0[ok]).max():.1e}); no estimate in both {both_nan}, "
          f"in one only {mismatch}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--exposures", type=int, default=200)
    ap.add_argument("--phecodes", type=int, default=300)
    ap.add_argument("--sample", type=int, default=300, help="statsmodels fits to time")
    ap.add_argument("--backend", default="numpy", choices=["numpy", "torch"])
    ap.add_argument("--method", default="logit", choices=["logit", "firth"])
    ap.add_argument("--no-numpy-kernel", action="store_true",
                    help="skip the kernel='numpy' run (the previous round's path)")
    ap.add_argument("--no-wrapper", action="store_true", help="skip the public phewas() run")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.quick:
        args.n, args.exposures, args.phecodes, args.sample = 2000, 20, 30, 100

    print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
          f"({os.cpu_count()} CPUs)")
    blas = ", ".join(f"{i['internal_api']} {i['num_threads']} threads" for i in threadpool_info()
                     if i["user_api"] == "blas")
    print(f"threads: BLAS as found: {blas}; the batched solver pins BLAS and torch to 1 thread "
          f"(blas_threads=1) and its compiled kernels are single-threaded "
          f"(numba {'present' if fused_kernels_available() else 'ABSENT: numpy kernel only'})")
    d = simulate_phewas_data(
        args.n, args.exposures, args.phecodes, planted=max(1, args.exposures // 4),
        random_state=args.seed, effect=0.25,
    )
    X = d["exposures"].to_numpy(dtype=float)
    Y = d["outcomes"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    C = prepare_covariates(d["covariates"], d["exposures"].index).to_numpy(dtype=float)
    E, O = X.shape[1], Y.shape[1]
    m = E * O
    print(f"grid: {args.n} subjects x {E} exposures x {O} phecodes = {m} models, "
          f"covariates: age, sex; method={args.method}")

    rng = np.random.default_rng(args.seed + 1)
    flat = rng.choice(m, size=min(args.sample, m), replace=False)
    pairs = [(int(k // O), int(k % O)) for k in flat]
    e_idx = np.array([p[0] for p in pairs])
    o_idx = np.array([p[1] for p in pairs])

    # warm-up: imports, and the compilation of the fused kernels (once per process)
    fit_grid_statsmodels(X, Y, C, method=args.method, pairs=pairs[:5])
    with _Clock() as warm:
        fit_grid_batched(X[:, :2], Y[:, :3], C, method=args.method, backend=args.backend)
    print(f"warm-up of the batched solver (kernel compilation): {warm.wall:.1f} s wall (not in "
          "the timings below)")

    with threadpool_limits(limits=1, user_api="blas"), _Clock() as sm1:
        ref = fit_grid_statsmodels(X, Y, C, method=args.method, pairs=pairs)
    with _Clock() as smf:
        fit_grid_statsmodels(X, Y, C, method=args.method, pairs=pairs)
    k = len(pairs)
    ref_label = "statsmodels Logit" if args.method == "logit" else "per-model firth_logit"
    print(f"{ref_label}: {sm1.wall / k * 1e3:.2f} ms/fit wall, {sm1.cpu / k * 1e3:.2f} ms CPU "
          f"(1 BLAS thread); {smf.wall / k * 1e3:.2f} ms wall, {smf.cpu / k * 1e3:.2f} ms CPU "
          f"(BLAS as found); timed on {k} random pairs")
    ref_w1, ref_c1 = sm1.wall / k * m, sm1.cpu / k * m
    ref_wf, ref_cf = min(sm1.wall, smf.wall) / k * m, min(sm1.cpu, smf.cpu) / k * m
    print(f"{ref_label}: EXTRAPOLATED to {m} models: {ref_w1:.0f} s wall, {ref_c1:.0f} s CPU "
          f"(1 BLAS thread); faster of the two settings: {ref_wf:.0f} s wall, {ref_cf:.0f} s CPU")

    def report(label, clk, note=""):
        print(f"{label}: {clk.wall:.1f} s wall, {clk.cpu:.1f} s CPU for {m} models "
              f"({clk.cpu / m * 1e3:.3f} ms CPU/model){note}")
        print(f"  speed-up vs {ref_label} (same thread settings, 1 BLAS thread): "
              f"wall {ref_w1 / clk.wall:.1f}x, CPU {ref_c1 / clk.cpu:.1f}x; vs the faster "
              f"statsmodels setting: wall {ref_wf / clk.wall:.1f}x, CPU {ref_cf / clk.cpu:.1f}x"
              + ("   (target >= 50x)" if args.method == "logit" else ""))

    with _Clock() as kb:
        out = fit_grid_batched(X, Y, C, method=args.method, backend=args.backend)
    kern = "fused" if (fused_kernels_available() and args.method == "logit" and args.backend == "numpy") else "numpy"
    report(f"batched ({args.backend}, kernel {kern!r})", kb,
           f", converged {out['converged'].mean():.4f}, Newton evaluations per model (incl. the "
           f"score step) mean {out['n_iter'].mean():.2f}")
    _diffs(f"batched ({kern}) vs {ref_label}", out["beta"][e_idx, o_idx], out["se"][e_idx, o_idx],
           ref["beta"][e_idx, o_idx], ref["se"][e_idx, o_idx])

    if not args.no_numpy_kernel and kern == "fused":
        with _Clock() as kn:
            out_np = fit_grid_batched(X, Y, C, method=args.method, backend=args.backend, kernel="numpy")
        report("batched (numpy, kernel 'numpy': the path of the previous round)", kn)
        print(f"  fused vs numpy kernel: {kn.cpu / kb.cpu:.2f}x less CPU time; max relative "
              f"difference over all {m} models: beta "
              f"{np.nanmax(np.abs(out['beta'] - out_np['beta']) / np.abs(out_np['beta'])):.1e}, SE "
              f"{np.nanmax(np.abs(out['se'] - out_np['se']) / out_np['se']):.1e}")

    if not args.no_wrapper:
        with _Clock() as kw:
            res = PheWAS(method=args.method, min_cases=10, backend=args.backend).fit(
                d["exposures"], d["outcomes"], d["covariates"])
        if args.method == "firth":
            print("note: with method='firth' the wrapper also runs the penalised LRT (two more Firth fits "
                  "per pair) and the ML fits that find separated pairs; the reference loop does not")
        report("public PheWAS(test='wald').fit, from DataFrames to the summary", kw,
               f"; wrapper overhead {kw.cpu / kb.cpu - 1:+.0%} CPU over the solver (phases, wall s: "
               + ", ".join(f"{key} {v:.1f}" for key, v in res.timings_.items()) + ")")
        s = res.summary.set_index(["exposure", "phecode"])
        keys = [(d["exposures"].columns[e], d["outcomes"].columns[o]) for e, o in pairs]
        sub = s.reindex(keys)
        _diffs(f"public phewas() vs {ref_label}", sub["beta"].to_numpy(float), sub["SE"].to_numpy(float),
               ref["beta"][e_idx, o_idx], ref["se"][e_idx, o_idx])
        p_sum = sub["p"].to_numpy(float)
        ok = np.isfinite(p_sum) & np.isfinite(ref["beta"][e_idx, o_idx])
        if args.method == "logit":
            p_ref = _p(ref["beta"][e_idx, o_idx], ref["se"][e_idx, o_idx])
            print(f"  the summary's own p column vs statsmodels' Wald p: max |difference| "
                  f"{np.abs(p_sum[ok] - p_ref[ok]).max():.1e}")
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
