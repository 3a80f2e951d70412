"""QRS search-back (``Params.searchback_*``): beats recovered and false beats added.

Counts ``detect_qrs`` beats with the search-back on (default ``Params``) and off
(``searchback_rr_factor=0``) on the same inputs, in the same run:

* simulated records (``simulate_record``, noise 0.5, seeds 0..N-1) of the conditions where
  beats can be lost (bigeminy, pvc) and where T or P waves could be taken for beats (normal,
  sbrad, 1avb with a long PR, lqt with a tall late T, stach, afib, lbbb), at the given rates,
  with lead II, II + V5 and twelve leads; each beat matched to the simulator's global R peak
  within 75 ms (TP, FN, FP);
* LUDB (odd records by default, ``--even`` for the held-out ones) at 500 and 250 Hz with the
  same lead sets: each beat the search-back adds is checked against the cardiologists' QRS
  marks of any lead (+-25 samples at 500 Hz around on/off).

Usage::

    python benchmarks/qrs_searchback.py                  # simulated, 250 + 500 Hz, 5 seeds
    python benchmarks/qrs_searchback.py --fs 100 --seeds 8
    python benchmarks/qrs_searchback.py --ludb [--even]
"""

from __future__ import annotations

import argparse
import logging
import warnings

import numpy as np

from interp_ecg.features.delineation.params import Params
from interp_ecg.features.delineation.qrs import detect_qrs

CONDITIONS = ("normal", "sbrad", "1avb", "lqt", "bigeminy", "pvc", "stach", "afib", "lbbb")
LEAD_SETS = {"II": ["II"], "II+V5": ["II", "V5"], "12": None}
OFF = Params(searchback_rr_factor=0)


def _match(det: np.ndarray, tru: np.ndarray, tol: float) -> tuple[int, int, int]:
    tp = int(sum(np.any(np.abs(det - t) <= tol) for t in tru))
    fp = int(sum(not np.any(np.abs(tru - d) <= tol) for d in det))
    return tp, len(tru) - tp, fp


def simulated(rates: list[float], seeds: int) -> None:
    from interp_ecg.simulate.record import LEADS, simulate_record

    for cond in CONDITIONS:
        for name, sel in LEAD_SETS.items():
            idx = list(range(len(LEADS))) if sel is None else [list(LEADS).index(s) for s in sel]
            tot = {"off": np.zeros(3, int), "on": np.zeros(3, int)}
            for fs in rates:
                for seed in range(seeds):
                    sig, fid, _ = simulate_record(cond, fs=fs, noise=0.5, random_state=seed)
                    g = fid[(fid["lead"] == "global") & fid["R_peak"].notna()]
                    tru = g["R_peak"].to_numpy(float)
                    for k, p in (("off", OFF), ("on", Params())):
                        tot[k] += _match(detect_qrs(sig[idx], float(fs), None, p), tru, 0.075 * fs)
            print(f"{cond:9s} {name:6s} off TP {tot['off'][0]:4d} FN {tot['off'][1]:3d} FP "
                  f"{tot['off'][2]:3d} | on TP {tot['on'][0]:4d} FN {tot['on'][1]:3d} FP {tot['on'][2]:3d}")


def ludb(even: bool) -> None:
    from scipy.signal import resample_poly

    from interp_ecg.config import dataset_path
    from interp_ecg.io import read_ludb

    ds = read_ludb(dataset_path("ludb"))
    ann = ds.annotations
    leads = [str(s).upper() for s in ds.leads]
    tot: dict = {}
    for i, rec in enumerate(ds.meta.index):
        if (int(str(rec).lstrip("0") or 0) % 2 == 0) != even:
            continue
        x = np.asarray(ds.signals[i], float)
        a = ann[(ann["record"] == rec) & (ann["wave"] == "QRS")]
        on, off = a["on"].to_numpy(float), a["off"].to_numpy(float)
        for fs in (500, 250):
            xx = x if fs == 500 else resample_poly(x, 1, 2, axis=-1)
            for name, sel in LEAD_SETS.items():
                idx = list(range(len(leads))) if sel is None else [leads.index(s) for s in sel]
                b = detect_qrs(xx[idx], float(fs), None, OFF)
                n = detect_qrs(xx[idx], float(fs))
                t = tot.setdefault((fs, name), np.zeros(4, int))
                t[0] += len(b)
                t[3] += len(np.setdiff1d(b, n))
                for s in np.setdiff1d(n, b) * (500 / fs):
                    ok = bool(np.any((s >= on - 25) & (s <= off + 25)))
                    t[1 if ok else 2] += 1
                    print(f"  record {rec} {fs} Hz {name}: beat added at {s / 500:.2f} s, "
                          f"{'inside' if ok else 'OUTSIDE'} a QRS mark")
    for (fs, name), t in tot.items():
        print(f"LUDB {'even' if even else 'odd'} {fs} Hz {name:6s}: beats without search-back "
              f"{t[0]}, added inside a QRS mark {t[1]}, added outside {t[2]}, removed {t[3]}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fs", type=float, nargs="+", default=[250.0, 500.0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--ludb", action="store_true")
    ap.add_argument("--even", action="store_true")
    a = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    if a.ludb:
        ludb(a.even)
    else:
        simulated(a.fs, a.seeds)


if __name__ == "__main__":
    main()
