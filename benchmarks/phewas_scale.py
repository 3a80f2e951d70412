"""Benchmark: PheWAS at hospital scale - exact fits vs the statsmodels loop, and score screening.

Two parts, each printing its figures and their ratio to a reference measured in the same run.

(a) ``--part exact``: 10,000 subjects x 200 exposures x 300 phecodes (60,000 models, age and
    sex as covariates). Reference: one statsmodels ``Logit`` per pair (PheTK's approach), timed
    on a random sample of ``--sample`` pairs with one BLAS thread and with BLAS as found (the
    faster is the reference) and extrapolated to the grid. Timed on the full grid: the batched
    solver alone (:func:`fit_grid_batched`), the public ``phewas()`` wrapper with every pair
    fitted (``test="wald"``), and the public wrapper with score screening (``test="score"``).

(b) ``--part hospital``: a synthetic cohort of ``--n`` subjects (default 160,000) x ``--exposures``
    (500) x ``--phecodes`` (1,800), outcome prevalences drawn log-uniform between 1e-4 and 0.2
    (60% of phecodes under 1%, like real phecodes), 3% excluded values, ``--planted`` planted
    associations. Timed end to end: ``phewas(..., test="score")`` from the DataFrames (checks,
    null models, score tests, exact refits, diagnostics, summary). Reference: the statsmodels
    loop at the same n, timed on ``--sm-sample`` pairs and extrapolated to every pair. Peak
    memory is the process's peak resident set size (``ru_maxrss``), printed with the part
    that is the input data itself. ``--scale f`` runs n x f subjects (the grid unchanged) and
    extrapolates the time linearly in n (all the work is linear in n); it says so.

Run: ``python benchmarks/phewas_scale.py --part exact`` (a few minutes on 2 busy cores),
``python benchmarks/phewas_scale.py --part hospital`` (about 10 minutes; ``--scale 0.25`` for
a quarter-size run).
"""

from __future__ import annotations

import argparse
import logging
import resource
import time

import numpy as np
import pandas as pd
from scipy import stats
from threadpoolctl import threadpool_limits

from interp_ecg.phenotype import PheWAS
from interp_ecg.phenotype.phewas import prepare_covariates
from interp_ecg.phenotype.solvers import fit_grid_batched, fit_grid_statsmodels, fused_kernels_available
from interp_ecg.phenotype.synthetic import simulate_phewas_data


def _peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # kB on Linux


class _Clock:
    """Wall and CPU (process) time of a block: on a shared, loaded machine the CPU time is the
    figure that does not depend on the other users."""

    def __enter__(self):
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.w0
        self.cpu = time.process_time() - self.c0


def _time_statsmodels(X, Y, C, pairs) -> tuple[float, float]:
    """(wall, CPU) seconds per statsmodels fit: the faster of BLAS as found and one BLAS thread."""
    fit_grid_statsmodels(X, Y, C, pairs=pairs[:3])  # warm-up imports
    with _Clock() as a:
        fit_grid_statsmodels(X, Y, C, pairs=pairs)
    with threadpool_limits(limits=1, user_api="blas"), _Clock() as b:
        fit_grid_statsmodels(X, Y, C, pairs=pairs)
    k = len(pairs)
    print(f"  statsmodels Logit: {a.wall / k * 1e3:.1f} ms/fit wall, {a.cpu / k * 1e3:.1f} ms CPU (BLAS as "
          f"found); {b.wall / k * 1e3:.1f} ms wall, {b.cpu / k * 1e3:.1f} ms CPU (1 BLAS thread); "
          f"timed on {k} random pairs")
    return min(a.wall, b.wall) / k, min(a.cpu, b.cpu) / k


def part_exact(args) -> None:
    n, E, O = 10_000, 200, 300
    if args.quick:
        n, E, O = 2_000, 20, 30
    d = simulate_phewas_data(n, E, O, planted=max(1, E // 4), random_state=args.seed, effect=0.25)
    X = d["exposures"].to_numpy(dtype=float)
    Y = d["outcomes"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    C = prepare_covariates(d["covariates"], d["exposures"].index).to_numpy(dtype=float)
    m = E * O
    print(f"(a) exact fits: {n} subjects x {E} exposures x {O} phecodes = {m} models (age, sex)")
    rng = np.random.default_rng(args.seed + 1)
    flat = rng.choice(m, size=min(args.sample, m), replace=False)
    pairs = [(int(k // O), int(k % O)) for k in flat]
    t_sm, c_sm = _time_statsmodels(X, Y, C, pairs)
    ref, cref = t_sm * m, c_sm * m
    print(f"  statsmodels loop, EXTRAPOLATED to {m} models: {ref:.0f} s wall, {cref:.0f} s CPU")
    fit_grid_batched(X[:, :1], Y[:, :2], C)  # warm-up (compiles the fused kernels)
    with _Clock() as k:
        out = fit_grid_batched(X, Y, C)
    kern = "fused" if fused_kernels_available() else "numpy"
    print(f"  batched solver (kernel {kern!r}, 1 thread), full grid: {k.wall:.1f} s wall, {k.cpu:.1f} s CPU "
          f"({k.cpu / m * 1e3:.3f} ms CPU/model, "
          f"converged {out['converged'].mean():.4f})   speed-up {ref / k.wall:.1f}x wall, {cref / k.cpu:.1f}x CPU "
          "(target >= 50x)")
    with _Clock() as w:
        full = PheWAS(min_cases=10).fit(d["exposures"], d["outcomes"], d["covariates"])
    print(f"  public phewas(test='wald'), full grid: {w.wall:.1f} s wall, {w.cpu:.1f} s CPU   speed-up "
          f"{ref / w.wall:.1f}x wall, {cref / w.cpu:.1f}x CPU; wrapper overhead {w.cpu / k.cpu - 1:+.0%} CPU over "
          f"the solver (phases, wall s: {', '.join(f'{key} {v:.1f}' for key, v in full.timings_.items())})")
    with _Clock() as sc:
        scr = PheWAS(min_cases=10, test="score").fit(d["exposures"], d["outcomes"], d["covariates"])
    print(f"  public phewas(test='score'): {sc.wall:.1f} s wall, {sc.cpu:.1f} s CPU   speed-up {ref / sc.wall:.1f}x "
          f"wall, {cref / sc.cpu:.1f}x CPU; exact refits {scr.n_exact_fits_} of {m} at score p <= "
          f"{scr.screen_threshold_:.2g}")
    a = full.summary.set_index(["exposure", "phecode"])
    b = scr.summary.set_index(["exposure", "phecode"]).loc[a.index]
    sig_a, sig_b = a["q"] < 0.05, b["q"] < 0.05
    print(f"  FDR 5%: full fits {int(sig_a.sum())} pairs, screened {int(sig_b.sum())}; "
          f"lost by screening {int((sig_a & ~sig_b).sum())}, gained {int((~sig_a & sig_b).sum())}")
    e_idx = np.array([p[0] for p in pairs])
    o_idx = np.array([p[1] for p in pairs])
    refb = fit_grid_statsmodels(X, Y, C, pairs=pairs)
    b0, s0 = refb["beta"][e_idx, o_idx], refb["se"][e_idx, o_idx]
    b1, s1 = out["beta"][e_idx, o_idx], out["se"][e_idx, o_idx]
    ok = np.isfinite(b0) & np.isfinite(b1)
    rel = np.abs(b1[ok] - b0[ok]) / np.abs(b0[ok])
    p0 = 2 * stats.norm.sf(np.abs(b0[ok] / s0[ok]))
    p1 = 2 * stats.norm.sf(np.abs(b1[ok] / s1[ok]))
    print(f"  agreement with statsmodels on the {int(ok.sum())} sampled pairs: max |difference| beta "
          f"{np.abs(b1[ok] - b0[ok]).max():.1e}, SE {np.abs(s1[ok] - s0[ok]).max():.1e}, Wald p "
          f"{np.abs(p1 - p0).max():.1e}; max relative difference of beta {rel.max():.1e}")


def _hospital_data(n, E, O, planted, seed, block=100):
    rng = np.random.default_rng(seed)
    age = rng.normal(62, 16, n)
    male = rng.random(n) < 0.5
    age_z = (age - 62) / 16
    X = rng.standard_normal((n, E))
    X += 0.3 * age_z[:, None]
    prev = np.exp(rng.uniform(np.log(1e-4), np.log(0.2), O))
    beta = np.zeros((E, O))
    flat = rng.choice(E * O, size=planted, replace=False)
    beta.ravel()[flat] = rng.uniform(0.1, 0.4, planted)
    Y = np.empty((n, O), dtype=np.float32)
    for s in range(0, O, block):
        sl = slice(s, min(s + block, O))
        lin = np.log(prev[sl] / (1 - prev[sl]))[None, :] + 0.4 * age_z[:, None] + 0.3 * male[:, None] + X @ beta[:, sl]
        yb = (rng.random(lin.shape) < 1 / (1 + np.exp(-lin))).astype(np.float32)
        yb[rng.random(lin.shape) < 0.03] = np.nan
        Y[:, sl] = yb
    idx = pd.Index([f"S{i:06d}" for i in range(n)], name="subject")
    exposures = pd.DataFrame(X, index=idx, columns=[f"x{e}" for e in range(E)])
    outcomes = pd.DataFrame(Y, index=idx, columns=[f"P{o:04d}" for o in range(O)], copy=False)
    covariates = pd.DataFrame({"age": age, "sex": np.where(male, "M", "F")}, index=idx)
    return exposures, outcomes, covariates, prev, beta


def part_hospital(args) -> None:
    n_full = args.n
    n = int(round(args.n * args.scale))
    E, O = args.exposures, args.phecodes
    m = E * O
    rss0 = _peak_rss_gb()
    t0 = time.perf_counter()
    expo, outc, cov, prev, beta = _hospital_data(n, E, O, args.planted, args.seed)
    data_gb = (expo.memory_usage().sum() + outc.memory_usage().sum()) / 1024**3
    print(f"(b) hospital scale: {n} subjects x {E} exposures x {O} phecodes = {m} pairs; "
          f"prevalence median {np.median(prev):.4f}, {np.mean(prev < 0.01):.0%} of phecodes under 1%; "
          f"{args.planted} planted pairs; data generated in {time.perf_counter() - t0:.0f} s "
          f"({data_gb:.2f} GB of input tables)")
    # reference: statsmodels at this n, on a sample of pairs
    Xn = expo.to_numpy()
    rng = np.random.default_rng(args.seed + 2)
    flat = rng.choice(m, size=args.sm_sample, replace=False)
    pairs = [(int(k // O), int(k % O)) for k in flat]
    cols = sorted({o for _, o in pairs})
    Ys = outc.iloc[:, cols].to_numpy(dtype=np.float64)
    Cn = prepare_covariates(cov, expo.index).to_numpy(dtype=float)
    remap = {o: j for j, o in enumerate(cols)}
    t_sm, c_sm = _time_statsmodels(Xn, Ys, Cn, [(e, remap[o]) for e, o in pairs])
    del Ys
    ref, cref = t_sm * m, c_sm * m
    print(f"  statsmodels loop, EXTRAPOLATED to {m} fits at n = {n}: {ref / 3600:.1f} h wall, "
          f"{cref / 3600:.1f} h CPU")
    rss_before = _peak_rss_gb()
    with _Clock() as k:
        model = PheWAS(test="score", min_cases=args.min_cases).fit(expo, outc, cov)
    t = k.wall
    rss_peak = _peak_rss_gb()
    print(f"  phewas(test='score') end to end: {k.wall:.0f} s wall ({k.wall / 60:.1f} min), {k.cpu:.0f} s CPU   "
          f"speed-up vs the statsmodels loop {ref / k.wall:.0f}x wall, {cref / k.cpu:.0f}x CPU")
    s = model.summary
    print("  phases (wall s): " + ", ".join(f"{key} {v:.0f}" for key, v in model.timings_.items())
          + f"; phecodes skipped (< {args.min_cases} cases): {len(model.skipped_)}")
    print(f"  pairs estimated {int((s['reason'] == '').sum())} of {len(s)} (reasons: "
          f"{s.loc[s['reason'] != '', 'reason'].value_counts().to_dict()}); exact refits "
          f"{model.n_exact_fits_} at score p <= {model.screen_threshold_:.2g}; FDR 5% discoveries "
          f"{int((s['q'] < 0.05).sum())}")
    planted = pd.Series(beta.ravel() != 0, index=pd.MultiIndex.from_product(
        [expo.columns, outc.columns], names=["exposure", "phecode"]))
    hit = s.set_index(["exposure", "phecode"])["q"].lt(0.05).reindex(planted.index, fill_value=False)
    print(f"  planted pairs recovered at FDR 5%: {int((hit & planted).sum())} of {int(planted.sum())}; "
          f"false discoveries {int((hit & ~planted).sum())}")
    print(f"  peak RSS {rss_peak:.2f} GB (before the PheWAS call {rss_before:.2f} GB incl. the input tables; "
          f"interpreter at start {rss0:.2f} GB)")
    if n != n_full:
        f = n_full / n
        print(f"  EXTRAPOLATED to n = {n_full} (time linear in n, x{f:.2f}): {t * f / 60:.1f} min wall, "
              f"{k.cpu * f / 60:.1f} min CPU; statsmodels loop {ref * f / 3600:.1f} h wall")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=["exact", "hospital", "all"], default="all")
    ap.add_argument("--sample", type=int, default=300, help="(a) statsmodels fits to time")
    ap.add_argument("--quick", action="store_true", help="(a) on a 2,000 x 20 x 30 grid")
    ap.add_argument("--n", type=int, default=160_000)
    ap.add_argument("--exposures", type=int, default=500)
    ap.add_argument("--phecodes", type=int, default=1_800)
    ap.add_argument("--planted", type=int, default=500)
    ap.add_argument("--min-cases", type=int, default=20)
    ap.add_argument("--sm-sample", type=int, default=20, help="(b) statsmodels fits to time")
    ap.add_argument("--scale", type=float, default=1.0, help="(b) fraction of --n actually run")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.part in ("exact", "all"):
        part_exact(args)
    if args.part in ("hospital", "all"):
        part_hospital(args)


if __name__ == "__main__":
    main()
