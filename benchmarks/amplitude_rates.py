"""Do the voltages depend on the sampling rate, and how large is a real ECG?

(a) **100 vs 500 Hz amplitudes.** The same PTB-XL records read from the database's own
    100 Hz (``records100``) and 500 Hz (``records500``) files are measured with
    :func:`interp_ecg.features.extract`; the 500 Hz copy is the reference measured in the
    same run. For R V5, R II, S V1, Sokolow-Lyon and, as a control, QT, PR, QRS and heart
    rate: the records finite at both rates, the paired mean and SD of the difference
    100 - 500 Hz, and the mean difference as a percentage of the 500 Hz mean.
(b) ``--gain``: **the physiological-amplitude check.** The median over the non-flat leads of
    the robust peak-to-peak of the 0.5-40 Hz content (``band_ptp_mV`` of
    :func:`interp_ecg.features.quality.lead_quality`, :func:`~interp_ecg.features.quality.amplitude_check`
    refuses above :data:`~interp_ecg.features.quality.MAX_MEDIAN_QRS_PTP_MV`) on every PTB-XL
    record at 500 Hz (the LVH records apart) and on LUDB, with its ratio to the limit; then
    the share of records refused by :func:`interp_ecg.features.extract_record` at 1x, 2x and
    10x their recorded amplitude.

Usage::

    python benchmarks/amplitude_rates.py                 # ecg_id 1-80 at both rates (~1 min)
    python benchmarks/amplitude_rates.py --gain          # amplitude distribution (~2 min)
"""

from __future__ import annotations

import argparse
import logging
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from interp_ecg import features, io  # noqa: E402
from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.errors import InterpEcgError  # noqa: E402
from interp_ecg.features import quality  # noqa: E402

COMPARED = ("R_amp_mV_V5", "R_amp_mV_II", "S_amp_mV_V1", "Sokolow_Lyon_mV",
            "QT_interval_ms", "PR_interval_ms", "QRS_duration_ms", "heart_rate_bpm")


def rates(root, n: int, n_jobs: int) -> None:
    ids = list(range(n))
    t = {rate: features.extract(io.read_ptbxl(root, sampling_rate=rate).subset(positions=ids), n_jobs=n_jobs,
                                progress=False) for rate in (100, 500)}
    print(f"(a) PTB-XL ecg_id 1-{n}: 100 Hz files against the 500 Hz files (reference), paired")
    print(f"{'feature':18s} {'n':>4s} {'mean 500':>9s} {'mean diff':>10s} {'SD diff':>8s} {'diff/500':>9s}")
    for col in COMPARED:
        a, b = t[100][col], t[500][col]
        ok = a.notna() & b.notna()
        d = (a - b)[ok]
        ref = b[ok].abs().mean()
        print(f"{col:18s} {int(ok.sum()):4d} {b[ok].mean():9.3f} {d.mean():+10.3f} {d.std():8.3f} "
              f"{100 * d.mean() / ref:+8.1f}%")


def record_amplitude(rec) -> float:
    """The checked quantity: median over the non-flat leads of ``band_ptp_mV``."""
    q = quality.lead_quality(np.asarray(rec.signal, dtype=np.float32), rec.fs, list(rec.leads))
    return float(q.loc[~q["flat"], "band_ptp_mV"].median())


def gain(n_ptbxl: int, n_scaled: int) -> None:
    limit = quality.MAX_MEDIAN_QRS_PTP_MV
    ds = io.read_ptbxl(dataset_path("ptbxl"), sampling_rate=500)
    ids = list(ds.meta.index[:n_ptbxl])
    lvh = ds.labels.loc[ids, "LVH"].astype(bool) if "LVH" in ds.labels else pd.Series(False, index=ids)
    amp = pd.Series({rid: record_amplitude(ds.load(rid)) for rid in ids})
    print(f"(b) median over non-flat leads of the 0.5-40 Hz robust peak-to-peak (mV); limit {limit:.1f} mV")
    for name, s in (("PTB-XL 500 Hz, all", amp), ("PTB-XL 500 Hz, LVH", amp[lvh.to_numpy()]),
                    ("PTB-XL 500 Hz, not LVH", amp[~lvh.to_numpy()])):
        q = s.quantile([0.5, 0.95, 0.99]).to_numpy()
        print(f"  {name:24s} n={s.notna().sum():4d} median {q[0]:.2f} p95 {q[1]:.2f} p99 {q[2]:.2f} "
              f"max {s.max():.2f} (max/limit {s.max() / limit:.2f}); over the limit: {int((s > limit).sum())}")
    lu = io.read_ludb(dataset_path("ludb"))
    la = pd.Series({rid: record_amplitude(lu.load(rid)) for rid in lu.meta.index})
    print(f"  {'LUDB':24s} n={la.notna().sum():4d} median {la.median():.2f} p99 {la.quantile(0.99):.2f} "
          f"max {la.max():.2f} (max/limit {la.max() / limit:.2f}); over the limit: {int((la > limit).sum())}")
    for factor in (1, 2, 10):
        refused = other = 0
        for rid in ids[:n_scaled]:
            rec = ds.load(rid)
            try:
                features.extract_record(factor * rec.signal, fs=rec.fs, leads=rec.leads)
            except InterpEcgError as err:
                if "amplitude implausible" in str(err):
                    refused += 1
                else:
                    other += 1
        print(f"  PTB-XL ecg_id 1-{n_scaled} at {factor:2d}x: refused as implausible {refused}, "
              f"other errors {other}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=80, help="first N ecg_ids for (a) (default 80)")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--gain", action="store_true", help="(b): the amplitude distribution and scaled records")
    ap.add_argument("--gain-records", type=int, default=500, help="PTB-XL records for (b) (default 500)")
    ap.add_argument("--scaled", type=int, default=40, help="records scaled 1x/2x/10x in (b) (default 40)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.gain:
        gain(args.gain_records, args.scaled)
    else:
        rates(dataset_path("ptbxl"), args.records, args.n_jobs)


if __name__ == "__main__":
    main()
