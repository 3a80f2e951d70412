"""Run the WCT study on the synthetic cohort and on PTB-XL and print the headline tables.

Usage::

    python benchmarks/wct_study.py [--out reports/wct] [--n 600] [--n-boot 1000] [--tune-trials 8]

Prints ROC-AUC (95% CI) of every model and of the rule baseline against the rule label
(circular) and against the external labels, and the ratio of each model's ROC-AUC to the
rule's, measured in the same run.
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from pathlib import Path

import pandas as pd


def _print(tables, source):
    print(f"\n=== {source} ===")
    print(tables["cohort"].to_string(index=False))
    for key in ("circular", "external"):
        tab = tables[key]
        auc = tab[tab.metric == "roc_auc"]
        print(f"\n[{key}] ROC-AUC (95% CI); ratio to the rule on the same label")
        for lab, grp in auc.groupby("label", sort=False):
            rule = grp[grp.model == "rule (hard 0/1)"].estimate
            rule = float(rule.iloc[0]) if len(rule) else float("nan")
            for r in grp.itertuples():
                trained = getattr(r, "trained_on", "wct_rule")
                print(f"  {lab:24s} {r.model:16s} trained_on={trained:24s} features={r.features:17s} "
                      f"{r.estimate:.3f} ({r.ci_low:.3f}-{r.ci_high:.3f}) n={r.n} pos={r.n_positive} "
                      f"ratio_to_rule={r.estimate / rule:.3f}")
    print("\n[rule errors]")
    print(tables["rule_errors"].to_string(index=False))
    print("\n[SHAP top 10]")
    print(tables["shap_importance"].head(10).to_string(index=False))
    print("\n[grounded]")
    for s in tables["grounded"].get("sentence", []):
        print("  -", s)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="reports/wct")
    ap.add_argument("--cache", default="reports/cache")
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--tune-trials", type=int, default=8)
    ap.add_argument("--sources", default="synthetic,ptbxl")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    warnings.filterwarnings("ignore")
    from interp_ecg.config import dataset_path
    from interp_ecg.studies.wct import run_wct_study

    tune = {"enabled": args.tune_trials > 0, "n_trials": args.tune_trials, "inner_cv": 3}
    for source in args.sources.split(","):
        cfg = {"data": {"source": source}, "params": {"n_boot": args.n_boot, "tune": tune}}
        if source == "synthetic":  # the cohort is kept in the cache folder
            cfg["data"].update(n_records=args.n, cache_dir=str(Path(args.cache) / f"synthetic_{args.n}"))
        if source == "ptbxl":  # features cached as <cache>/ptbxl500_features.parquet
            cfg["data"].update(path=str(dataset_path("ptbxl")), cache_dir=args.cache)
        t0 = time.perf_counter()
        tables = run_wct_study(cfg, Path(args.out) / source)
        print(f"{source}: {time.perf_counter() - t0:.0f} s")
        _print(tables, source)


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    main()
