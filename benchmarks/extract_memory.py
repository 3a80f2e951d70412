"""Peak memory of one ``extract_record`` call against the record's length (C2, new user 13).

Each case runs in a fresh process (``ru_maxrss`` is a high-water mark): the first N minutes of
MIT-BIH 100 (2 leads, 360 Hz) and of PTB-XL record 9 (12 leads, 500 Hz) tiled to N minutes.
Printed per case: peak RSS, its rise over the process after reading (the extraction's own
memory), and that rise as a ratio to the reference measured in the same run, the record's
size as float32 (samples x leads x 4 bytes), and per lead-minute.

Usage::

    python benchmarks/extract_memory.py [--minutes 2 10 30] [--ptbxl-minutes 1 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

CHILD = r"""
import logging, resource, sys, time
import numpy as np
from interp_ecg import io, features
from interp_ecg.io import Record
logging.disable(logging.WARNING)
kind, minutes = sys.argv[1], float(sys.argv[2])
root = sys.argv[3]
if kind == "mitbih":
    rec = io.read_wfdb(f"{root}/wfdb-sample/100")
    n = int(minutes * 60 * rec.fs)
    sig = np.ascontiguousarray(rec.signal[:, :n])
else:
    rec = io.read_wfdb(f"{root}/ptbxl/records500/00000/00009_hr")
    n = int(minutes * 60 * rec.fs)
    reps = -(-n // rec.signal.shape[1])
    sig = np.ascontiguousarray(np.tile(rec.signal[:, :4950], (1, reps * 2))[:, :n])  # held tail left out
r = Record("x", sig, rec.fs, rec.leads)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
t = time.process_time()
row = features.extract_record(r)
cpu = time.process_time() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
size = sig.size * 4 / 2**20
print(f"{kind} {minutes:g} {sig.shape[0]} {rec.fs:g} {size:.2f} {base:.0f} {peak:.0f} {cpu:.1f} {row.n_beats}")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, nargs="+", default=[2, 10, 30])
    ap.add_argument("--ptbxl-minutes", type=float, nargs="+", default=[1, 5])
    args = ap.parse_args()
    root = os.environ.get("INTERP_ECG_DATA", "/work/shared/data")
    cases = [("mitbih", m) for m in args.minutes] + [("ptbxl", m) for m in args.ptbxl_minutes]
    print(f"{'record':8s} {'min':>5s} {'leads':>5s} {'fs':>5s} {'float32 MiB':>11s} {'peak MiB':>8s} "
          f"{'rise MiB':>8s} {'rise/float32':>12s} {'MiB/lead-min':>12s} {'CPU s':>6s} beats")
    for kind, minutes in cases:
        out = subprocess.run([sys.executable, "-c", CHILD, kind, str(minutes), root], capture_output=True,
                             text=True, check=True).stdout.split()
        _, m, leads, fs, size, base, peak, cpu, beats = out
        rise = float(peak) - float(base)
        print(f"{kind:8s} {float(m):5g} {leads:>5s} {fs:>5s} {float(size):11.2f} {float(peak):8.0f} {rise:8.0f} "
              f"{rise / float(size):12.1f} {rise / (int(leads) * float(m)):12.2f} {float(cpu):6.1f} {beats}")


if __name__ == "__main__":
    main()
