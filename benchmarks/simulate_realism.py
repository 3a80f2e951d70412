"""Is the synthetic cohort realistic? The package's own measurements on synthetic NORM records
against the same measurements on real PTB-XL NORM records, side by side.

For every record labelled NORM in the shared PTB-XL sample (``../shared/data/ptbxl``, 500 Hz)
and in a fresh synthetic cohort of ``--n`` normal records, ``interp_ecg.features.extract``
measures heart rate, PR, P duration, QRS duration, QT, QTc (Bazett) and the frontal QRS, P and T
axes. The script prints, per measurement, the median and 5th-95th percentiles of both, the
fraction of synthetic values inside the real 5-95 % range, and, for the synthetic records,
the median absolute error of the package's measurement against the exact ground truth.

Run: ``python benchmarks/simulate_realism.py [--n 150] [--n-jobs 1]`` (about two minutes).
"""

from __future__ import annotations

import argparse
import logging
import tempfile

import numpy as np
import pandas as pd

MEASURES = ["heart_rate_bpm", "PR_interval_ms", "P_duration_ms", "QRS_duration_ms", "QT_interval_ms",
            "QTc_Bazett_ms", "QRS_axis_deg", "P_axis_deg", "T_axis_deg"]
TRUTH = {"heart_rate_bpm": "sim_heart_rate", "PR_interval_ms": "sim_pr_ms", "P_duration_ms": "sim_p_ms",
         "QRS_duration_ms": "sim_qrs_ms", "QT_interval_ms": "sim_qt_ms", "QTc_Bazett_ms": "sim_qtc_bazett_ms",
         "QRS_axis_deg": "sim_qrs_axis_deg"}


def _q(s: pd.Series) -> str:
    s = s.dropna()
    if s.empty:
        return "n/a"
    return f"{s.median():7.1f} [{s.quantile(0.05):7.1f}, {s.quantile(0.95):7.1f}]"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=150)
    ap.add_argument("--n-jobs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    from interp_ecg.config import dataset_path
    from interp_ecg.features import extract
    from interp_ecg.io import read_ptbxl
    from interp_ecg.simulate import cohort

    real = read_ptbxl(dataset_path("ptbxl"), sampling_rate=500)
    norm_ids = real.labels.index[real.labels["NORM"].astype(bool)]
    real_f = extract(real.subset(norm_ids), n_jobs=args.n_jobs, progress=False)
    with tempfile.TemporaryDirectory() as d:
        db = cohort(args.n, d, random_state=args.seed, conditions=["normal"], progress=False)
        syn = read_ptbxl(d, sampling_rate=500)
        syn_f = extract(syn, n_jobs=args.n_jobs, progress=False)
    print(f"real PTB-XL NORM records: {len(real_f)}; synthetic normal records: {len(syn_f)}")
    print(f"{'measurement':18s} {'real median [5%, 95%]':>28s} {'synthetic median [5%, 95%]':>28s} "
          f"{'syn in real 5-95%':>17s} {'|measured - truth| median':>26s}")
    for m in MEASURES:
        if m not in real_f or m not in syn_f:
            continue
        r, s = real_f[m].astype(float), syn_f[m].astype(float)
        lo, hi = r.quantile(0.05), r.quantile(0.95)
        inside = s.dropna().between(lo, hi).mean() if s.notna().any() else float("nan")
        err = ""
        if m in TRUTH:
            e = (s - db[TRUTH[m]].reindex(s.index).astype(float)).abs()
            err = f"{e.median():.1f}"
        print(f"{m:18s} {_q(r):>28s} {_q(s):>28s} {inside:17.2f} {err:>26s}")


if __name__ == "__main__":
    main()
