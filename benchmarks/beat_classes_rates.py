"""Do the beat classes and the HRV features depend on the sampling rate?

The same PTB-XL records read from the database's own 100 Hz (``records100``) and 500 Hz
(``records500``) files are measured with :func:`interp_ecg.features.extract`; the 500 Hz
copy is the reference measured in the same run. Printed:

(a) **Outlier beats in sinus records.** Among the records labelled ``NORM`` and ``SR``
    (normal ECG in sinus rhythm, where every beat should be dominant): how many have at
    least one beat labelled ``"outlier"`` (or ``"PVC"``), and how many have a third of
    their beats or more off the dominant class, at each rate, and the 100 / 500 Hz ratio.
(b) **Dominant-beat counts.** Over the records with the same number of beats at both
    rates: the share with the same ``n_beats_dominant``, and the mean absolute difference.
(c) **HRV at 100 vs 500 Hz.** For ``SDNN_ms``, ``RMSSD_ms``, ``pNN50`` and
    ``RR_irregularity``: the records finite at both rates, the paired mean and SD of the
    difference 100 - 500 Hz, and the records that are NaN at one rate only.
(d) **NaN without a reason.** Records where one of those four is NaN and
    ``quality_reason`` does not name it (the package's rule: a value that cannot be
    measured is NaN *with a reason*).
(e) **The records of the new-user finding** (38, 56, 78: NORM sinus; 428: AFIB): beats,
    dominant beats, SDNN, RMSSD and RR_irregularity at both rates.

Usage::

    python benchmarks/beat_classes_rates.py              # ecg_id 1-200 at both rates (~1-2 min)
    python benchmarks/beat_classes_rates.py --records 50 # quick look
"""

from __future__ import annotations

import argparse
import logging
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from interp_ecg import features, io  # noqa: E402
from interp_ecg.config import dataset_path  # noqa: E402

HRV = ("SDNN_ms", "RMSSD_ms", "pNN50", "RR_irregularity")


def _measure(root, rate: int, ids: list, n_jobs: int) -> pd.DataFrame:
    ds = io.read_ptbxl(root, sampling_rate=rate).subset(ids)
    t0 = time.perf_counter()
    table = features.extract(ds, n_jobs=n_jobs, progress=False)
    logging.info("%d Hz: %d records in %.1f s", rate, len(table), time.perf_counter() - t0)
    return table


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=200, help="first N ecg_ids (default 200)")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--show", action="store_true", help="print the sinus records with off-class beats")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    root = dataset_path("ptbxl")
    ds = io.read_ptbxl(root, sampling_rate=500)
    ids = list(ds.meta.index[: args.records])
    lab = ds.labels.loc[ids]
    t100 = _measure(root, 100, ids, args.n_jobs)
    t500 = _measure(root, 500, ids, args.n_jobs)
    ok = t100["quality_ok"] & t500["quality_ok"]
    print(f"PTB-XL ecg_id {ids[0]}-{ids[-1]}: {len(ids)} records, measured at both rates: {int(ok.sum())}")

    # (a) off-class beats in NORM + SR records
    sinus = ok & (lab["NORM"] > 0) & (lab["SR"] > 0)
    print(f"\n(a) NORM+SR records: {int(sinus.sum())}")
    print(f"{'':44s} {'100 Hz':>7s} {'500 Hz':>7s} {'ratio':>6s}")
    for name, fn in (
        ("with >= 1 outlier beat", lambda t: t["outlier_beat_count"] > 0),
        ("with >= 1 outlier or PVC beat", lambda t: (t["outlier_beat_count"] + t["PVC_count"]) > 0),
        ("with >= 1/3 of beats not dominant", lambda t: t["n_beats_dominant"] <= 2 / 3 * t["n_beats"]),
    ):
        a, b = int(fn(t100)[sinus].sum()), int(fn(t500)[sinus].sum())
        print(f"  {name:42s} {a:7d} {b:7d} {a / b if b else float('nan'):6.2f}")
    if args.show:
        off = sinus & ((t100["n_beats_dominant"] < t100["n_beats"]) | (t500["n_beats_dominant"] < t500["n_beats"]))
        print(pd.DataFrame({"beats_100": t100["n_beats"], "dominant_100": t100["n_beats_dominant"],
                            "beats_500": t500["n_beats"], "dominant_500": t500["n_beats_dominant"]})[off]
              .to_string())

    # (b) dominant-beat counts
    same_n = ok & (t100["n_beats"] == t500["n_beats"])
    d = (t100["n_beats_dominant"] - t500["n_beats_dominant"])[same_n]
    dom_share_100 = (t100["n_beats_dominant"] / t100["n_beats"])[ok].mean()
    dom_share_500 = (t500["n_beats_dominant"] / t500["n_beats"])[ok].mean()
    print(f"\n(b) records with the same beat count at both rates: {int(same_n.sum())} of {int(ok.sum())}; "
          f"same dominant count: {int((d == 0).sum())} ({(d == 0).mean():.1%}); "
          f"mean |difference| {d.abs().mean():.2f} beats")
    print(f"    mean share of dominant beats (all records): 100 Hz {dom_share_100:.3f}, 500 Hz "
          f"{dom_share_500:.3f}, ratio {dom_share_100 / dom_share_500:.3f}")

    # (c) HRV agreement
    print(f"\n(c) HRV 100 - 500 Hz (records measured at both rates)")
    print(f"{'feature':16s} {'both':>5s} {'mean d':>8s} {'SD d':>8s} {'mean@500':>9s} {'NaN100only':>10s} "
          f"{'NaN500only':>10s} {'NaN both':>8s}")
    for col in HRV:
        a, b = t100.loc[ok, col], t500.loc[ok, col]
        both = a.notna() & b.notna()
        diff = (a - b)[both]
        print(f"{col:16s} {int(both.sum()):5d} {diff.mean():8.3f} {diff.std():8.3f} {b[both].mean():9.3f} "
              f"{int((a.isna() & b.notna()).sum()):10d} {int((b.isna() & a.notna()).sum()):10d} "
              f"{int((a.isna() & b.isna()).sum()):8d}")

    # (d) NaN without a reason
    print("\n(d) HRV NaN without its name in quality_reason (measured records)")
    for rate, t in ((100, t100), (500, t500)):
        m = t[t["quality_ok"]]
        counts = {col: int((m[col].isna() & ~m["quality_reason"].str.contains(col, regex=False)).sum())
                  for col in HRV}
        nan = {col: int(m[col].isna().sum()) for col in HRV}
        print(f"  {rate} Hz: " + ", ".join(f"{c} {counts[c]} of {nan[c]} NaN" for c in HRV))
    ex_ids = [i for i in (38, 56, 78, 428) if i in ds.meta.index]
    e100, e500 = _measure(root, 100, ex_ids, args.n_jobs), _measure(root, 500, ex_ids, args.n_jobs)
    cols = ["n_beats", "n_beats_dominant", "SDNN_ms", "RMSSD_ms", "RR_irregularity"]
    print("\n(e) new-user records (100 Hz | 500 Hz)")
    print(pd.concat([e100[cols].add_suffix("@100"), e500[cols].add_suffix("@500")], axis=1).round(3).to_string())
    af = ok & (lab.get("AFIB", 0) > 0)
    if af.any():
        print("\nAFIB records: RR_irregularity 100 Hz / 500 Hz")
        print(pd.DataFrame({"100 Hz": t100.loc[af, "RR_irregularity"], "500 Hz": t500.loc[af, "RR_irregularity"]})
              .round(3).to_string())


if __name__ == "__main__":
    main()
