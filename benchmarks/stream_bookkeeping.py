"""Cost of the bookkeeping that makes ``extract(..., out=)`` resumes safe, against the cost
of measuring one record, all measured in this run.

Printed, each with its ratio to the reference (``extract_record`` on one simulated 12-lead,
10 s, 500 Hz record, median of ``--repeats``):

1. ``write_marker`` + ``clear_marker`` (the in-flight note written before each record);
2. ``dataset_identity`` on a dataset of ``--meta-rows`` WFDB-like metadata rows (a ``path``,
   ``fs``, ``n_samples`` and ``leads`` column), once per run, and per record;
3. ``code_fingerprint``: first call (hashes the reader and feature sources) and later calls.

Usage::

    PYTHONPATH=$PWD python benchmarks/stream_bookkeeping.py [--meta-rows 100000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import importlib
import tempfile
import time

import numpy as np
import pandas as pd


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meta-rows", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    X = importlib.import_module("interp_ecg.features.extract")
    from interp_ecg.features.stream import clear_marker, write_marker
    from interp_ecg.io import EcgDataset, WfdbLoader
    from interp_ecg.simulate import simulate_record

    t = time.perf_counter()
    X.code_fingerprint()
    fp_first = time.perf_counter() - t
    fp_again = _median_time(X.code_fingerprint, args.repeats)

    signal, _, _ = simulate_record("normal", fs=500, random_state=0)
    X.extract_record(signal, fs=500)  # warm-up
    ref = _median_time(lambda: X.extract_record(signal, fs=500), args.repeats)

    folder = tempfile.mkdtemp()

    def marker():
        write_marker(folder, 0, "record-0001")
        clear_marker(folder, 0)

    mark = _median_time(lambda: [marker() for _ in range(100)], args.repeats) / 100

    n = args.meta_rows
    ids = [f"files/p{i // 1000:04d}/s{i:08d}" for i in range(n)]
    meta = pd.DataFrame({"path": ids, "fs": 500.0, "n_samples": 5000,
                         "leads": "I II III aVR aVL aVF V1 V2 V3 V4 V5 V6"}, index=pd.Index(ids, name="record_id"))
    ds = EcgDataset(meta, WfdbLoader(folder, "path"), fs=500.0)
    ident = _median_time(lambda: X.dataset_identity(ds), max(1, args.repeats // 2))

    print(f"reference: extract_record, one 12-lead 10 s 500 Hz record: {ref * 1e3:.1f} ms")
    print(f"in-flight marker (write + clear) per record: {mark * 1e6:.0f} us = {mark / ref:.5f} x reference")
    print(f"dataset_identity, {n} metadata rows: {ident:.2f} s once per run = {ident / n * 1e6:.1f} us per record "
          f"= {ident / n / ref:.5f} x reference per record")
    print(f"code_fingerprint: first call {fp_first * 1e3:.0f} ms (= {fp_first / ref:.2f} x reference, once per "
          f"process), later calls {fp_again * 1e3:.3f} ms")


if __name__ == "__main__":
    main()
