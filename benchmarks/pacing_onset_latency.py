"""Paced QRS onsets: where they lie against the spike, the truth and LUDB's marks.

Two parts, each printed for the default ``Params`` and for ``--param`` overrides (e.g.
``--param paced_tail_max_s=0.02``, the post-recharge-tail onset search of
``delineation.spikes.onsets_after_recharge``), in the same run:

* simulated pacing with known truth: ``simulate_record`` (lbbb / normal / rbbb, seeds 3-4),
  12 leads at 500 Hz and II + V5 resampled to 250 Hz, a 12-lead pulse of 4 ms with a 10 ms
  exponential recharge tail (``tests/test_pacing_low_rate.py``'s shape) placed ``latency``
  ms before every true QRS onset (4, 20 and 30 ms); the global QRS onset error (ms),
  median [range] per record;
* the odd (training) paced LUDB records 45, 93, 95 (111 has no detectable spike) at 500 Hz
  with 12 leads and at 250 Hz with II + V5: for beats with a spike removed before their R
  peak, the per-lead QRS onset minus that lead's LUDB mark, the consensus onset minus the
  earliest lead's mark, and the earliest mark minus the spike's end (mean / SD / median, ms).
  ``--even`` adds the held-out paced records (report only; choose nothing on them).

Usage::

    python benchmarks/pacing_onset_latency.py [--param NAME=VALUE ...] [--even]   # ~1 min
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy.signal import resample_poly  # noqa: E402

from interp_ecg.features.delineation import delineate  # noqa: E402
from interp_ecg.features.delineation.params import Params  # noqa: E402
from interp_ecg.simulate import simulate_record  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from delineation_matrix import _resample, parse_params  # noqa: E402

LEADS = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
SPIKE_MV = np.array([1.5, 1.0, -0.5, -1.2, 0.8, 0.3, -1.0, -1.5, -1.2, -0.8, 0.6, 0.9])
PULSE_TAIL = [1.0, 1.0] + list(-0.25 * np.exp(-np.arange(5) / 2))   # 4 ms + 10 ms tail


def paced_record(condition: str, seed: int, latency_ms: float):
    """500 Hz 12-lead record with the pulse ``latency_ms`` before every true QRS onset."""
    ecg = simulate_record(condition, noise=0.2, random_state=seed)
    g = ecg.fiducials[ecg.fiducials["lead"] == "global"]["QRS_on"].to_numpy(float)
    on = np.round(g[np.isfinite(g)]).astype(int)
    x = ecg.signal.astype(float).copy()
    lag = int(round(latency_ms * 500 / 1000))
    for o in on:
        for k, v in enumerate(PULSE_TAIL):
            x[:, o - lag + k] += v * SPIKE_MV
    return x, on


def _stat(v) -> str:
    v = np.asarray(v, float)
    if not v.size:
        return "-"
    return f"{v.mean():+.1f}/{v.std():.1f} med {np.median(v):+.0f} (n {v.size})"


def simulated(params: Params) -> None:
    for lat in (4.0, 20.0, 30.0):
        for fs in (500, 250):
            cells = []
            for cond, seed in [("lbbb", 3), ("lbbb", 4), ("normal", 3), ("normal", 4),
                               ("rbbb", 3)]:
                x, on = paced_record(cond, seed, lat)
                if fs == 500:
                    y, leads, sc = x, LEADS, 1
                else:
                    y, leads, sc = resample_poly(x[[1, 10]], 1, 2, axis=-1), ["II", "V5"], 2
                df = delineate(y.astype(np.float32), fs, leads, params=params)
                g = df.loc[df["lead"] == "global", "QRS_on"].to_numpy(float) * sc
                err = np.array([g[np.nanargmin(np.abs(g - o))] - o for o in on]) * 2.0
                cells.append(f"{cond}{seed} {np.median(err):+.0f} [{err.min():+.0f},"
                             f"{err.max():+.0f}]")
            print(f"  latency {lat:.0f} ms, {fs} Hz: global QRS_on error ms " + "; ".join(cells))


def ludb(params: Params, even: bool) -> None:
    from interp_ecg.config import dataset_path
    from interp_ecg.io import read_ludb

    ds = read_ludb(dataset_path("ludb"))
    ann, names = ds.annotations, list(ds.leads)
    pos = {r: i for i, r in enumerate(ds.meta.index)}
    paced = [r for r in ds.meta.index if str(ds.meta.loc[r, "pacing"]).strip()
             and (even or int(r) % 2 == 1)]
    for fs, use in ((500, names), (250, ["II", "V5"])):
        for rec in paced:
            x = np.asarray(ds.signals[pos[rec]], np.float32)[[names.index(ld) for ld in use]]
            if fs != 500:
                x = _resample(x, fs)
            sc, ms = fs / float(ds.fs), 1000.0 / fs
            a = ann[(ann["record"] == rec) & (ann["wave"] == "QRS")]
            df = delineate(x, fs, use, params=params)
            sp = df.attrs["pacing_spike_table"]
            st = np.array([s["start"] for s in sp], float)
            en = np.array([s["end"] for s in sp], float)
            lead_err, glob_err, earliest = [], [], []
            for _, b in df[df["lead"] == "global"].iterrows():
                k = np.flatnonzero((en <= b.R_peak) & (b.R_peak - st < 0.35 * fs))
                if not k.size:
                    continue
                marks = []
                for ld in use:
                    m = a.loc[a["lead"] == ld, "on"].to_numpy(float) * sc
                    if not m.size or np.min(np.abs(m - b.R_peak)) > 0.2 * fs:
                        continue
                    mk = m[np.argmin(np.abs(m - b.R_peak))]
                    marks.append(mk)
                    o = df.loc[(df["lead"] == ld) & (df["beat"] == b.beat), "QRS_on"].iloc[0]
                    if np.isfinite(o):
                        lead_err.append((o - mk) * ms)
                if marks:
                    earliest.append((min(marks) - en[k[-1]]) * ms)
                    if np.isfinite(b.QRS_on):
                        glob_err.append((b.QRS_on - min(marks)) * ms)
            print(f"  LUDB {rec} {fs} Hz {len(use)} leads, {len(sp)} spikes: per-lead onset - "
                  f"mark {_stat(lead_err)} | consensus - earliest mark {_stat(glob_err)} | "
                  f"earliest mark - spike end {_stat(earliest)}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--even", action="store_true", help="add the held-out paced records")
    ap.add_argument("--no-ludb", action="store_true")
    a = ap.parse_args()
    variants = [("default", Params())]
    if a.param:
        variants.append((" ".join(a.param), parse_params(a.param)))
    for name, params in variants:
        print(f"=== {name} ===", flush=True)
        simulated(params)
        if not a.no_ludb:
            ludb(params, a.even)


if __name__ == "__main__":
    main()
