"""Limb-lead identity residuals (Einthoven, Goldberger) over the shared data and the simulator.

:func:`interp_ecg.features.quality.limb_lead_identity` on every record as read (LUDB's 200,
the first N PTB-XL records at 500 and 100 Hz, the CinC 2021 records) and on simulated records
(noise 1.0). Printed per dataset: the number of records, the median and largest residual
(fraction of the limb-lead RMS), and how many exceed the threshold
(:data:`~interp_ecg.features.quality.LIMB_IDENTITY_MAX_FRACTION`) and their ratio to the
records: correctly stored recordings should read near 0, LUDB (each lead rescaled on its own)
above it.

Usage::

    python benchmarks/limb_identity_scan.py              # ~1 min
    python benchmarks/limb_identity_scan.py --ptbxl 100
"""

from __future__ import annotations

import argparse
import logging
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from interp_ecg import io  # noqa: E402
from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features.quality import LIMB_IDENTITY_MAX_FRACTION, limb_lead_identity  # noqa: E402
from interp_ecg.io.leads import STANDARD_LEADS  # noqa: E402
from interp_ecg.simulate.record import simulate_record  # noqa: E402


def report(name: str, residuals: list[float]) -> None:
    r = np.asarray(residuals, dtype=float)
    r = r[np.isfinite(r)]
    if not r.size:
        print(f"{name}: no record with limb leads")
        return
    over = int((r > LIMB_IDENTITY_MAX_FRACTION).sum())
    print(f"{name}: n {r.size}, residual min {r.min():.4f} median {np.median(r):.4f} max {r.max():.4f}; "
          f"above {LIMB_IDENTITY_MAX_FRACTION:g}: {over} (ratio {over / r.size:.3f})")


def scan(name: str, records) -> None:
    res = []
    for rec in records:
        x = np.asarray(rec.signal, dtype=np.float64)
        if np.isfinite(x).all():
            res.append(limb_lead_identity(x, rec.fs, rec.leads)[0])
    report(name, res)


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
    sim = [limb_lead_identity(simulate_record(c, fs=500, noise=1.0, random_state=s).signal, 500, STANDARD_LEADS)[0]
           for c in ("normal", "lbbb", "afib", "pvc", "lvh") for s in range(3)]
    report("simulated (noise 1.0)", sim)


if __name__ == "__main__":
    main()
