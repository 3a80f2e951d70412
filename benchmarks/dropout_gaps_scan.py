"""Does the all-lead dropout-gap rule find gaps in real, unbroken recordings? (false gaps)

Every record of the shared data (LUDB's 200 records, the PTB-XL records at 500 Hz and at
100 Hz, the 50 CinC 2021 records) is read as the feature pipeline reads it, its dead leads
(flat throughout, or set aside for invalid samples, as
:func:`interp_ecg.features.quality.lead_quality` says) taken as still everywhere, and
:func:`interp_ecg.features.quality.dropout_gaps` is run at the rule's duration
(:data:`~interp_ecg.features.quality.DROPOUT_MIN_S`, 0.2 s) and at shorter ones (0.1, 0.05,
0.02 s) to show the margin. Printed: per dataset, the records, the records with at least
one gap at each duration (the false gaps: these recordings have no dropout), and their ratio
to the number of records.

Usage::

    python benchmarks/dropout_gaps_scan.py                  # all shared records (~2 min)
    python benchmarks/dropout_gaps_scan.py --ptbxl 250      # the first 250 PTB-XL records
"""

from __future__ import annotations

import argparse
import logging
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from interp_ecg import io  # noqa: E402
from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features import quality  # noqa: E402

DURATIONS_S = (quality.DROPOUT_MIN_S, 0.1, 0.05, 0.02)


def scan(name: str, records) -> None:
    n = 0
    hits = {d: [] for d in DURATIONS_S}
    for rec in records:
        x = np.asarray(rec.signal, dtype=np.float64)
        bad = ~np.isfinite(x).all(axis=1)
        x = np.where(np.isfinite(x), x, 0.0)
        q = quality.lead_quality(x, rec.fs, rec.leads, invalid=bad)
        # dead leads as in the pipeline: flat throughout, or set aside for invalid samples
        dead = ((q["ptp_mV"] < quality.FLAT_PTP_MV) | (q["constant_fraction"] > quality.FLAT_CONSTANT_FRACTION)
                | q["invalid"]).to_numpy()
        n += 1
        for d in DURATIONS_S:
            g = quality.dropout_gaps(x, rec.fs, dead=dead, min_s=d)
            if len(g):
                hits[d].append(f"{rec.id}:{g[0, 0] / rec.fs:.2f}-{g[0, 1] / rec.fs:.2f}s")
    for d in DURATIONS_S:
        print(f"{name}: {len(hits[d])} of {n} records with an all-lead gap >= {d:g} s "
              f"(ratio {len(hits[d]) / max(n, 1):.3f}) {hits[d][:5]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ptbxl", type=int, default=500, help="first N PTB-XL records")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    scan("LUDB", io.read_ludb(dataset_path("ludb")))
    for rate in (500, 100):
        ds = io.read_ptbxl(dataset_path("ptbxl"), sampling_rate=rate)
        scan(f"PTB-XL {rate} Hz", ds.subset(positions=list(range(min(args.ptbxl, len(ds))))))
    scan("CinC 2021", io.read_cinc(dataset_path("cinc2021")))


if __name__ == "__main__":
    main()
