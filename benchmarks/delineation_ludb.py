"""LUDB delineation accuracy: this package's delineator vs NeuroKit2 and ECGdeli.

Protocol (issue 3): all records x 12 leads of LUDB (500 Hz). Each method's per-lead
boundaries are matched to that lead's cardiologist marks of the same kind within the
Martinez tolerances (P on/off 50 ms, QRS on/off 40 ms, T on 50 ms, T off 100 ms), each
mark used once; detections outside the lead's annotated span (first..last mark) are not
counted. Printed per boundary: sensitivity, PPV, F1, mean and SD of the error (ms).

The thresholds of ``martinez_zhang`` were chosen by looking at the odd-numbered records
only; the "held-out" table restricts every method to the even-numbered records
(record-wise hold-out), which is the figure to quote.

Usage::

    python benchmarks/delineation_ludb.py                 # all 200 records, all methods
    python benchmarks/delineation_ludb.py --records 20 --methods mz --jobs 2
    LUDB_DIGITS=5 python benchmarks/delineation_ludb.py --methods mz   # more decimals

Run time (2 shared cores): ``mz,mz_global`` alone ~15 s; the peers dominate a full run
(NeuroKit2 1-4 s per record, ECGdeli 0.3-1 s per record: 10-40 min with ``--jobs 2``).
``--span-margin`` widens each lead's annotated span by the tolerance (sensitivity
analysis: a detection of the last annotated boundary a few ms after it is otherwise
neither a match nor counted, so the mark becomes a miss).

``--methods`` takes a comma list of ``mz`` (this package, per lead), ``mz_global`` (its
consensus rows scored against every lead), ``neurokit``, ``ecgdeli``, ``ecgdeli_global``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features.delineation import delineate  # noqa: E402
from interp_ecg.features.delineation.schema import BOUNDARIES  # noqa: E402
from interp_ecg.features.delineation.scoring import (  # noqa: E402
    CSE_SD_MS, TOLERANCE_MS, Tally, score_lead,
)

KINDS = BOUNDARIES
TARGET_F1 = {"P_on": 0.92, "P_off": 0.92, "QRS_on": 0.97, "QRS_off": 0.97, "T_on": 0.88,
             "T_off": 0.95}
PEER_F1 = {"NeuroKit2 (issue)": [0.78, 0.74, 0.43, 0.83, 0.55, 0.78],
           "ECGdeli (issue)": [0.70, 0.76, 0.97, 0.87, 0.82, 0.92]}
_DS = {}


def reference_for(ann: pd.DataFrame) -> dict[str, dict[str, np.ndarray]]:
    """``{lead: {kind: marks}}`` from the read_ludb annotation frame of one record."""
    out = {}
    for lead, g in ann.groupby("lead", observed=True):
        ref = {}
        for wave, name in (("P", "P"), ("QRS", "QRS"), ("T", "T")):
            w = g[g["wave"] == wave]
            ref[f"{name}_on"] = w["on"].to_numpy(float)
            ref[f"{name}_off"] = w["off"].to_numpy(float)
        out[str(lead)] = ref
    return out


def _ecgdeli(x: np.ndarray, fs: float, leads: list[str]) -> pd.DataFrame:
    import ecgdeli

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        filt = ecgdeli.filter_ecg(x.T.astype(float), fs)
        ann = ecgdeli.annotate(filt, fs)
    cols = {"P_on": 0, "P_off": 2, "QRS_on": 3, "QRS_off": 7, "T_on": 9, "T_off": 11}
    rows = []
    for name, fpt in list(zip(leads, ann.leads)) + [("global", ann.consensus)]:
        s = fpt.samples
        d = {"lead": name}
        for k, c in cols.items():
            d[k] = s[:, c]
        rows.append(pd.DataFrame(d))
    return pd.concat(rows, ignore_index=True)


def run_record(args) -> tuple[int, dict, dict]:
    rec, x, fs, leads, ann, methods, margin = args
    refs = reference_for(ann)
    tallies = {m: {k: Tally() for k in KINDS} for m in methods}
    times = {}
    results = {}
    for m in methods:
        base = m.replace("_global", "")
        if base not in results:
            t0 = time.perf_counter()
            try:
                if base == "mz":
                    results[base] = delineate(x, fs, leads)
                elif base == "neurokit":
                    results[base] = delineate(x, fs, leads, method="neurokit_dwt")
                elif base == "ecgdeli":
                    results[base] = _ecgdeli(x, fs, leads)
            except Exception as exc:  # a failing record counts as all misses
                print(f"record {rec}: {base} failed: {exc}", file=sys.stderr)
                results[base] = None
            times[base] = time.perf_counter() - t0
        df = results[base]
        for lead, ref in refs.items():
            if df is None:
                det = {}
            else:
                sel = df[df["lead"] == ("global" if m.endswith("_global") else lead)]
                det = {k: sel[k].to_numpy(float) for k in KINDS}
            for k, mt in score_lead(det, ref, fs, KINDS, span_margin=margin).items():
                tallies[m][k].add(mt, fs)
    return rec, tallies, times


def table(tallies: dict[str, Tally]) -> pd.DataFrame:
    rows = []
    for k in KINDS:
        r = tallies[k].row()
        r["boundary"] = k
        r["F1_target"] = TARGET_F1[k]
        r["SD_CSE"] = CSE_SD_MS.get(k, np.nan)
        rows.append(r)
    return pd.DataFrame(rows).set_index("boundary")[
        ["n_ref", "Se", "PPV", "F1", "F1_target", "mean_ms", "sd_ms", "SD_CSE"]]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=0, help="first N records (0 = all)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--methods", default="mz,mz_global,neurokit,ecgdeli")
    ap.add_argument("--root", default=None)
    ap.add_argument("--odd", action="store_true",
                    help="also print the odd-numbered (training) records, where choices are made")
    ap.add_argument("--span-margin", action="store_true",
                    help="widen each lead's annotated span by the boundary's tolerance "
                         "(sensitivity analysis; the issue's protocol is the strict span)")
    a = ap.parse_args(argv)
    from interp_ecg.io import read_ludb

    root = a.root or dataset_path("ludb")
    ds = read_ludb(root)
    recs = list(ds.meta.index)
    if a.records:
        recs = recs[: a.records]
    methods = [m.strip() for m in a.methods.split(",") if m.strip()]
    ann = ds.annotations
    sig = ds.signals
    pos = {r: i for i, r in enumerate(ds.meta.index)}
    jobs = [(r, np.asarray(sig[pos[r]], dtype=np.float32), float(ds.fs), list(ds.leads),
             ann[ann["record"] == r], methods, a.span_margin) for r in recs]
    t0 = time.perf_counter()
    if a.jobs > 1:
        from multiprocessing import get_context
        with get_context("fork").Pool(a.jobs) as pool:
            out = pool.map(run_record, jobs, chunksize=2)
    else:
        out = [run_record(j) for j in jobs]
    wall = time.perf_counter() - t0
    print(f"LUDB {root}: {len(recs)} records x {len(ds.leads)} leads, fs={ds.fs:g} Hz, "
          f"tolerances (ms) {dict((k, TOLERANCE_MS[k]) for k in KINDS)}; wall {wall:.1f} s, "
          f"{a.jobs} job(s); annotated span "
          f"{'widened by the tolerance' if a.span_margin else 'strict (first..last mark)'}")
    pd.set_option("display.width", 160)
    subsets = [("all records", lambda r: True),
               ("held-out even-numbered records (thresholds chosen on odd ones)",
                lambda r: int(r) % 2 == 0)]
    if a.odd:
        subsets.append(("odd-numbered records (where choices are made)", lambda r: int(r) % 2 == 1))
    for subset, keep in subsets:
        print(f"\n=== {subset} ===")
        for m in methods:
            tot = {k: Tally() for k in KINDS}
            secs = []
            for rec, tl, tm in out:
                if keep(rec):
                    for k in KINDS:
                        tot[k].merge(tl[m][k])
                    secs.append(tm.get(m.replace("_global", ""), np.nan))
            print(f"\n-- {m}: {np.nanmean(secs) * 1000:.0f} ms/record (single-record calls) --")
            print(table(tot).round(int(os.environ.get("LUDB_DIGITS", "3"))).to_string())
    print("\nPeers measured by the issue author with this protocol (F1, "
          + ", ".join(KINDS) + "):")
    for name, f in PEER_F1.items():
        print(f"  {name}: {f}")


if __name__ == "__main__":
    main()
