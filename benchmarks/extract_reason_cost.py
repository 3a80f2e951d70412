"""Cost of carrying the delineator's reasons through the measurement (beat table ``reason``).

``features.extract`` now asks the delineator for its ``reason`` column
(``delineate(..., return_reasons=True)``) so that the prototype cards explain a missing
interval with the reason of the very delineation it was measured on, instead of delineating
the raw record a second time. Printed, on ``--records`` PTB-XL records (500 Hz, the shared
sample), each record measured in turn both ways (interleaved, so that load on the machine
falls on both alike), best of ``--repeats``:

1. ``extract_record`` as before: the delineator called without reasons (a ``method=``
   callable making the old call), the reference;
2. ``extract_record`` as now (reasons on), and its ratio to 1;
3. the second delineation the cards no longer make (``delineate(raw, return_reasons=True)``),
   and its ratio to 1: what a card's measurement of its source record saves.

Usage::

    PYTHONPATH=$PWD INTERP_ECG_DATA=/work/shared/data python benchmarks/extract_reason_cost.py --records 50
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")

    from interp_ecg.config import dataset_path
    from interp_ecg.errors import InterpEcgError
    from interp_ecg.features import delineate, extract_record
    from interp_ecg.io import read_ptbxl

    ds = read_ptbxl(dataset_path("ptbxl"), sampling_rate=500)
    ids = list(ds.meta.index)[: args.records]
    recs = [ds.load(rid) for rid in ids]

    def without_reasons(signal, fs, leads):  # the call extract made before
        return delineate(signal, fs, leads=leads)

    def run(fn) -> float:
        t0 = time.perf_counter()
        try:
            fn()
        except InterpEcgError:
            pass
        return time.perf_counter() - t0

    t = np.full((3, len(recs)), np.inf)
    for _ in range(args.repeats):
        for i, rec in enumerate(recs):
            t[0, i] = min(t[0, i], run(lambda: extract_record(rec, method=without_reasons)))
            t[1, i] = min(t[1, i], run(lambda: extract_record(rec)))
            t[2, i] = min(t[2, i], run(lambda: delineate(np.asarray(rec.signal, np.float32), rec.fs,
                                                         list(rec.leads), return_reasons=True)))
    ref = t[0].sum()
    print(f"records: {len(recs)} (PTB-XL 500 Hz), best of {args.repeats}, interleaved")
    print(f"extract_record, delineator without reasons (before): {ref:.2f} s  "
          f"({len(recs) / ref:.2f} records/s)  ratio 1.000")
    print(f"extract_record, delineator with reasons (now):       {t[1].sum():.2f} s  "
          f"({len(recs) / t[1].sum():.2f} records/s)  ratio {t[1].sum() / ref:.3f}")
    print(f"second delineation of the raw record (cards, removed): {t[2].sum():.2f} s  "
          f"ratio {t[2].sum() / ref:.3f}")


if __name__ == "__main__":
    main()
