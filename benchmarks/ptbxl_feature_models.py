"""PTB-XL statement models on the package's fiducial features versus the peer reference.

Reference (measured by a peer on the same 500 shared PTB-XL records): ECGdeli fiducial
features + LightGBM, one binary model per superclass, 10-fold CV over ``strat_fold``:
macro-AUROC 0.883 (NORM 0.895, MI 0.83, STTC 0.903, CD 0.865, HYP 0.924).

This script runs :func:`interp_ecg.studies.ptbxl_statements.run_ptbxl_statements_study`
(features cached to Parquet outside git) and prints every macro-AUROC with its 95% CI and
the ratio to the reference. The reference is quoted, not measured here: it is a peer's figure
for features built on ECGdeli's fiducials, and this project has no copy of that feature set
(it runs ECGdeli only as a peer delineator, the Python port ``ecgdeli==1.0.0`` of the
``bench`` extra, in ``benchmarks/delineation_*.py``). It is not known whether the peer pooled
out-of-fold scores or averaged per-fold AUROCs, so the ratio compares with a figure of unknown
pooling on the same records and folds.

Usage::

    python benchmarks/ptbxl_feature_models.py [--out reports/ptbxl_statements] [--n-boot 1000]
        [--cache reports/cache] [--quick]
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from pathlib import Path

import pandas as pd

REFERENCE = {"macro": 0.883, "NORM": 0.895, "MI": 0.83, "STTC": 0.903, "CD": 0.865, "HYP": 0.924}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="reports/ptbxl_statements")
    ap.add_argument("--cache", default="reports/cache")
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="superclasses, LightGBM only, 200 bootstrap replicates")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore")
    from interp_ecg.config import dataset_path
    from interp_ecg.studies.ptbxl_statements import run_ptbxl_statements_study

    cache = Path(args.cache)
    # PTB-XL features cached as <cache>/ptbxl500_features.parquet
    data = {"source": "ptbxl", "path": str(dataset_path("ptbxl")), "cache_dir": str(cache)}
    base = {"cinc_features_cache": str(cache / "cinc50_features.parquet"), "n_boot": 200 if args.quick else args.n_boot}
    runs = [("superclass", {"tasks": ["superclass"],
                            "models": {"lgbm": ["lgbm"]} if args.quick else
                            {"lgbm": ["lgbm"], "soft_ensemble": ["rf", "xgb", "lgbm", "logreg"]}})]
    if not args.quick:
        runs.append(("statements", {"tasks": ["statements"], "models": {"lgbm": ["lgbm"]}}))
    summaries, metrics = [], []
    for name, extra in runs:
        t0 = time.perf_counter()
        tables = run_ptbxl_statements_study({"n_jobs": args.n_jobs, "data": data, "params": {**base, **extra}},
                                            Path(args.out) / name)
        print(f"[{name}] {time.perf_counter() - t0:.0f} s; {tables['cohort'].to_dict('records')}")
        summaries.append(tables["summary"])
        metrics.append(tables["metrics"])
    summary = pd.concat(summaries, ignore_index=True)
    metrics = pd.concat(metrics, ignore_index=True)
    print("\nmacro-AUROC (95% CI, patient bootstrap)   ratio to peer 0.883 (superclasses, cv10)")
    for r in summary.itertuples():
        ratio = f"  ratio {r.estimate / REFERENCE['macro']:.3f}" if r.task == "superclass" and r.protocol == "cv10" else ""
        extra = f"  mean over folds {r.mean_fold_macro_auroc:.3f}" if pd.notna(getattr(r, "mean_fold_macro_auroc", None)) else ""
        print(f"  {r.protocol:6s} {r.task:10s} {r.model:13s} {r.estimate:.3f} ({r.ci_low:.3f}-{r.ci_high:.3f}) "
              f"n={r.n} patients={r.n_groups}{extra}{ratio}")
    sc = metrics[(metrics.task == "superclass") & (metrics.protocol == "cv10") & (metrics.metric == "roc_auc")]
    print("\nper superclass, cv10 (reference in brackets)")
    for r in sc.itertuples():
        ref = REFERENCE.get(r.label)
        print(f"  {r.model:13s} {r.label:6s} {r.estimate:.3f} ({r.ci_low:.3f}-{r.ci_high:.3f}) n_pos={r.n_positive}"
              + (f"  [peer {ref:.3f}, ratio {r.estimate / ref:.3f}]" if ref else ""))
    out = Path(args.out)
    summary.to_csv(out / "summary_all.csv", index=False)
    metrics.to_csv(out / "metrics_all.csv", index=False)


if __name__ == "__main__":
    main()
