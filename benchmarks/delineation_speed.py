"""Delineation speed on 12-lead 10 s 500 Hz LUDB records, one core.

Prints ms per record for this package's ``delineate`` (default method), NeuroKit2's per-lead
pipeline (``ecg_process`` then ``ecg_delineate(method="dwt")``, via ``method="neurokit_dwt"``)
and ECGdeli 1.0.0 (``filter_ecg`` + ``annotate``), measured in the same run on the same
records, and the speed-up of ``delineate`` over each.

Usage::

    python benchmarks/delineation_speed.py               # 20 records, 3 repeats of ours
    python benchmarks/delineation_speed.py --records 50 --peers neurokit
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features.delineation import delineate  # noqa: E402


def _time(fn, records, repeats=1) -> float:
    best = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for x in records:
            fn(x)
        best.append((time.perf_counter() - t0) / len(records))
    return min(best) * 1000.0


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peers", default="neurokit,ecgdeli")
    a = ap.parse_args(argv)
    try:  # one core
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    except (AttributeError, OSError):
        pass
    from interp_ecg.io import read_ludb

    ds = read_ludb(dataset_path("ludb"))
    fs, leads = float(ds.fs), list(ds.leads)
    recs = [np.asarray(ds.signals[i], dtype=np.float32) for i in range(min(a.records, len(ds)))]
    delineate(recs[0], fs, leads)  # warm-up (imports, filter design cache)
    ours = _time(lambda x: delineate(x, fs, leads), recs, a.repeats)
    print(f"{len(recs)} LUDB records, 12 leads x 10 s at {fs:g} Hz, one core")
    print(f"interp_ecg delineate (martinez_zhang): {ours:8.1f} ms/record")
    peers = [p.strip() for p in a.peers.split(",") if p.strip()]
    if "neurokit" in peers:
        nk = _time(lambda x: delineate(x, fs, leads, method="neurokit_dwt"), recs)
        print(f"NeuroKit2 per-lead (neurokit_dwt):     {nk:8.1f} ms/record   "
              f"-> delineate is {nk / ours:5.1f}x faster (target >= 30x)")
    if "ecgdeli" in peers:
        import ecgdeli

        def run_ecgdeli(x):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ecgdeli.annotate(ecgdeli.filter_ecg(x.T.astype(float), fs), fs)

        ed = _time(run_ecgdeli, recs)
        print(f"ECGdeli 1.0.0 (filter_ecg+annotate):   {ed:8.1f} ms/record   "
              f"-> delineate is {ed / ours:5.1f}x faster")


if __name__ == "__main__":
    main()
