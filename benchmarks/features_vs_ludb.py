"""Package intervals versus LUDB cardiologists: QRS duration, PR and QT per record.

For each LUDB record the package's ``QRS_duration_ms``, ``PR_interval_ms`` and
``QT_interval_ms`` (``interp_ecg.features.extract``) are compared with the same intervals
built from the cardiologists' per-lead marks (:func:`interp_ecg.features.validation.
ludb_reference_intervals`): "global" = earliest onset / latest offset over the twelve leads
(the multi-lead definition the package measures), "median" = median mark over the leads.
Printed: records compared, mean difference (package - cardiologists), SD of the difference,
mean absolute difference and the fraction of records within 10 ms, plus NeuroKit2's DWT
delineator through the same measurement code on the same records (``--peers``) as the
reference measured in the same run.

Nothing is fitted on LUDB here.

Usage::

    python benchmarks/features_vs_ludb.py [--records 200] [--n-jobs 2] [--peers]
"""

from __future__ import annotations

import argparse
import logging
import time

import pandas as pd

from interp_ecg.config import dataset_path
from interp_ecg.features.validation import INTERVAL_COLUMNS, interval_agreement, ludb_reference_intervals
from interp_ecg.io import read_ludb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=200, help="first N LUDB records")
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--peers", action="store_true", help="also run NeuroKit2's DWT delineator (slow)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    from interp_ecg.features import extract

    ds = read_ludb(dataset_path("ludb"))
    ids = list(ds.meta.index[: args.records])
    ds = ds.subset(ids)
    refs = {how: ludb_reference_intervals(ds.annotations, fs=500.0, reference=how) for how in ("global", "median")}
    methods = [("interp_ecg (default)", None)]
    if args.peers:
        methods.append(("neurokit_dwt", "neurokit_dwt"))
    pd.set_option("display.width", 140)
    results = {}
    for name, method in methods:
        t0 = time.perf_counter()
        table = extract(ds, n_jobs=args.n_jobs, progress=False, method=method)
        dt = time.perf_counter() - t0
        print(f"\n=== {name}: {len(table)} records, {table['quality_ok'].sum()} measured, "
              f"{dt / len(table) * 1000:.0f} ms/record wall (n_jobs={args.n_jobs})")
        for how, ref in refs.items():
            agreement = interval_agreement(table[list(INTERVAL_COLUMNS)], ref)
            results[(name, how)] = (agreement, dt / len(table))
            print(f"-- reference: {how} over leads")
            print(agreement.round(3).to_string())
    if len(methods) > 1:
        base, peer = methods[0][0], methods[1][0]
        print(f"\n=== ratios {base} / {peer} (same records, same run; < 1 is better for the package)")
        for how in refs:
            a, ta = results[(base, how)]
            b, tb = results[(peer, how)]
            ratio = (a["mean_abs_diff_ms"] / b["mean_abs_diff_ms"]).round(2)
            print(f"-- reference {how}: mean |difference| ratio " + ", ".join(f"{k} {v}" for k, v in ratio.items()))
        print(f"time per record ratio: {ta / tb:.3f} ({ta * 1000:.0f} ms vs {tb * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
