"""Scale of ``interp_ecg.features.extract``: throughput, parallel speed-up, flat memory.

Records are realistic synthetic 12-lead, 10 s, 500 Hz ECGs from
:func:`interp_ecg.simulate.simulate_batch` (a mix of normal, AF, LBBB, RBBB, LVH, PVCs,
first-degree AV block, sinus tachycardia and bradycardia, inferior MI, long QT, VT). To keep the cohort's own size out of the memory figure,
a pool of ``--pool`` distinct simulated records is cycled through (record ``i`` is pool
record ``i % pool``); every record is still read, delineated and measured in full.

Printed, each with its ratio to the reference measured in the same run:

1. records/s with ``n_jobs=1`` (reference) and ``n_jobs=2`` (joblib, local cores);
2. records/s on a Dask ``LocalCluster`` with 1 worker (reference) and 2 workers
   (``processes=True, threads_per_worker=1``);
3. peak resident memory (max RSS of a fresh process) of streaming ``--sizes`` records to
   Parquet chunks (``out=``, ``load=False``, ``n_jobs=1``), relative to the smallest size.

Usage::

    python benchmarks/extract_scale.py                      # 120-record throughput, sizes 1000 10000
    python benchmarks/extract_scale.py --sizes 1000 100000  # the 100,000-record check (hours on 1 core)
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CONDITIONS = ["normal", "normal", "normal", "afib", "lbbb", "rbbb", "lvh", "pvc",
              "1avb", "stach", "sbrad", "imi", "lqt", "vt"]


class PoolLoader:
    """Loader returning pool record ``i % len(pool)`` for record id ``i`` (picklable)."""

    def __init__(self, pool: np.ndarray, fs: float = 500.0):
        self.pool = pool
        self.fs = fs

    def __call__(self, record_id, row):
        from interp_ecg.io import Record
        from interp_ecg.io.leads import STANDARD_LEADS

        sig = self.pool[int(record_id) % len(self.pool)]
        return Record(str(record_id), sig, self.fs, list(STANDARD_LEADS), source=f"pool[{record_id}]")


def make_pool(n: int, seed: int = 0) -> np.ndarray:
    from interp_ecg.simulate import simulate_batch

    conds = (CONDITIONS * (n // len(CONDITIONS) + 1))[:n]
    X, _, _ = simulate_batch(conds, fs=500, duration=10.0, noise=1.0, random_state=seed)
    return X


def make_dataset(n_records: int, pool: np.ndarray):
    from interp_ecg.io import EcgDataset

    meta = pd.DataFrame({"patient_id": np.arange(n_records)},
                        index=pd.Index(np.arange(n_records), name="record_id"))
    return EcgDataset(meta, PoolLoader(pool), fs=500.0, name="synthetic-pool")


def _rate(fn, n: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    return n / dt, dt


def _load_note() -> str:
    try:
        return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    except OSError:
        return ""


def throughput(n: int, pool: np.ndarray, chunk_size: int, dask: bool) -> None:
    from interp_ecg.features import extract

    ds = make_dataset(n, pool)
    extract(make_dataset(4, pool), progress=False)  # warm imports
    extract(make_dataset(8, pool), n_jobs=2, chunk_size=4, progress=False)  # start the worker processes
    c0 = time.process_time()
    r1, t1 = _rate(lambda: extract(ds, n_jobs=1, chunk_size=chunk_size, progress=False), n)
    cpu = (time.process_time() - c0) / n
    print(f"n_jobs=1       : {r1:7.2f} records/s ({t1:6.1f} s for {n}; {1000 / r1:5.1f} ms/record wall, "
          f"{1000 * cpu:5.1f} ms/record CPU; {_load_note()})  [reference]")
    r2, t2 = _rate(lambda: extract(ds, n_jobs=2, chunk_size=chunk_size, progress=False), n)
    print(f"n_jobs=2       : {r2:7.2f} records/s ({t2:6.1f} s)  speed-up {r2 / r1:.2f}x over n_jobs=1 "
          f"({_load_note()})")
    if not dask:
        return
    from distributed import Client, LocalCluster

    for name in ("distributed", "dask"):
        logging.getLogger(name).setLevel(logging.ERROR)

    rates = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            extract(make_dataset(4, pool), scheduler=client, progress=False)  # warm workers
            rates[workers], dt = _rate(
                lambda: extract(ds, scheduler=client, chunk_size=chunk_size, progress=False), n)
        ref = "  [reference]" if workers == 1 else f"  speed-up {rates[2] / rates[1]:.2f}x over 1 worker"
        print(f"Dask {workers} worker(s): {rates[workers]:7.2f} records/s ({dt:6.1f} s){ref}")


def child(n: int, out: str, pool_size: int, chunk_size: int) -> None:
    from interp_ecg.features import extract

    pool = make_pool(pool_size)
    t0 = time.perf_counter()
    extract(make_dataset(n, pool), out=out, chunk_size=chunk_size, progress=False, load=False, n_jobs=1)
    print(f"{time.perf_counter() - t0:.3f}")


def memory(sizes: list[int], pool_size: int, chunk_size: int) -> None:
    from interp_ecg.features import read_features

    peaks = {}
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "features"
            proc = subprocess.Popen(
                [sys.executable, __file__, "--child", str(n), str(out), "--pool", str(pool_size),
                 "--chunk-size", str(chunk_size)], stdout=subprocess.PIPE, text=True)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = float(proc.stdout.read().strip().splitlines()[-1])
            proc.stdout.close()
            if status != 0:
                raise SystemExit(f"child for {n} records failed with status {status}")
            peaks[n] = usage.ru_maxrss / 1024.0  # KiB -> MiB on Linux
            table = read_features(out)
            assert len(table) == n and table.index.is_unique
            n_files = len(list(out.glob("chunk-*.parquet")))
        ratio = peaks[n] / peaks[sizes[0]]
        ref = "[reference]" if n == sizes[0] else f"{ratio:.2f}x the {sizes[0]}-record peak"
        print(f"stream {n:>7} records: peak RSS {peaks[n]:7.1f} MiB, {n / seconds:6.2f} records/s, "
              f"{n_files} chunk files  {ref}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=120, help="records for the throughput runs")
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000], help="cohort sizes for the memory runs")
    ap.add_argument("--pool", type=int, default=48, help="distinct simulated records cycled through")
    ap.add_argument("--chunk-size", type=int, default=8, help="records per chunk in the throughput runs")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--child", nargs=2, metavar=("N", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    for name in ("distributed", "dask", "interp_ecg"):
        logging.getLogger(name).setLevel(logging.ERROR)
    if args.child:
        child(int(args.child[0]), args.child[1], args.pool, args.chunk_size)
        return
    print(f"cpu cores: {os.cpu_count()}; records: 12-lead, 10 s, 500 Hz (interp_ecg.simulate)")
    pool = make_pool(args.pool)
    if args.records:
        throughput(args.records, pool, args.chunk_size, dask=not args.no_dask)
    if args.sizes:
        memory(args.sizes, args.pool, 256)


if __name__ == "__main__":
    main()
