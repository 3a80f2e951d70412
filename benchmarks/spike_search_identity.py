"""Does a code change leave ``delineate``'s output identical? Save the output once, compare later.

For speed work that must not change any result (the pacemaker-spike search, say): run it
with the code before the change (``--save DIR``), then with the code after it
(``--compare DIR``). Every record's table is compared cell by cell (all columns, all
rows, ``reason`` included: ``return_reasons=True``) and its ``attrs`` exactly; float
values must be equal bit for bit (NaN equal to NaN). A failing record (refused input)
must fail with the same error type and message.

Records: all 200 LUDB records at 500 Hz with 12 leads and resampled to 250 Hz with II
and V5 (as ``delineation_matrix.py --proxy`` does); ``--ptbxl N`` PTB-XL records (the
first N, plus every ``PACE`` record of the shared sample) at 100 and 500 Hz.

Usage::

    # the code before the change, e.g. a ``git archive`` copy in /tmp/me/base
    PYTHONPATH=/tmp/me/base python benchmarks/spike_search_identity.py --save /tmp/me/out
    PYTHONPATH=$PWD python benchmarks/spike_search_identity.py --compare /tmp/me/out

Run time: about 1-2 min on one core. The saved files are JSON (no pickle).

``--random-against BASE`` instead compares the spike search of this tree with the one in
``BASE/interp_ecg/features/pacing.py`` (e.g. a ``git archive`` copy) on random signals:
``detect_pacing_spikes`` with and without QRS peaks and the small-spike search with and
without an allowed mask, 125-1000 Hz, 1-12 leads, float32 / float64, NaN and inf samples,
offsets up to 1000 mV, impulses of 0.05-3 mV (``--n`` records, ``--seed``)::

    PYTHONPATH=$PWD python benchmarks/spike_search_identity.py --random-against /tmp/me/base
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features.delineation import delineate  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from delineation_matrix import _resample  # noqa: E402


def _records(n_ptbxl: int):
    """``(key, signal, fs, leads)`` of every record compared."""
    from interp_ecg.io import read_ludb, read_ptbxl

    ds = read_ludb(dataset_path("ludb"))
    leads = list(ds.leads)
    two = [leads.index("II"), leads.index("V5")]
    for i, r in enumerate(ds.meta.index):
        x = np.asarray(ds.signals[i], np.float32)
        yield f"ludb/{r}/500/12", x, 500.0, leads
        yield f"ludb/{r}/250/II+V5", _resample(x[two], 250), 250.0, ["II", "V5"]
    for fs in (500, 100):
        px = read_ptbxl(dataset_path("ptbxl"), sampling_rate=fs)
        ids = list(px.meta.index)
        pace = [r for r in ids if "PACE" in px.labels.columns and px.labels.loc[r, "PACE"] > 0]
        for r in list(dict.fromkeys(ids[:n_ptbxl] + pace)):
            rec = px.load(r)
            yield f"ptbxl/{r}/{fs}/12", rec.signal, float(rec.fs), list(rec.leads)


def _describe(key, x, fs, leads) -> dict:
    """The output of one record in a JSON-exact form."""
    try:
        df = delineate(x, fs, leads, return_reasons=True)
    except Exception as exc:  # noqa: BLE001 - a refused record is compared by its error
        return {"key": key, "error": f"{type(exc).__name__}: {exc}"}
    cols = {}
    for c in df.columns:
        v = df[c]
        if v.dtype.kind == "f":
            # repr of a Python float round-trips exactly; NaN as None
            cols[c] = [None if np.isnan(f) else float(f) for f in v.to_numpy(float)]
        else:
            cols[c] = [str(s) for s in v.tolist()]
    dtypes = {c: str(df[c].dtype) for c in df.columns}
    return {"key": key, "columns": cols, "dtypes": dtypes, "index": df.index.tolist(),
            "attrs": json.loads(json.dumps(df.attrs, default=str))}


def random_against(base: str, n: int, seed: int) -> int:
    """Old and new spike search on random signals: identical tables (see the module doc)."""
    import importlib.util

    from interp_ecg.features import pacing as new

    spec = importlib.util.spec_from_file_location(
        "pacing_before", os.path.join(base, "interp_ecg", "features", "pacing.py"))
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    rng = np.random.default_rng(seed)
    names12 = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    n_spikes, bad = 0, 0
    for it in range(n):
        fs = float(rng.choice([125, 128, 200, 250, 257, 360, 500, 1000]))
        n_leads, n_samples = int(rng.integers(1, 13)), int(rng.integers(5, 3000))
        scale = float(rng.choice([0.005, 0.02, 0.1, 0.5]))
        x = ((rng.normal(size=(n_leads, n_samples)) * scale).cumsum(axis=1)
             * rng.choice([0.01, 0.1]) + rng.normal(size=(n_leads, n_samples)) * scale * 0.1)
        x += float(rng.choice([0, 5, 1000]))
        pos = rng.integers(0, n_samples, size=int(rng.integers(0, 40)))
        for p in pos:
            width = int(rng.integers(1, 4))
            amp = float(rng.choice([-1, 1]) * rng.choice([0.05, 0.06, 0.1, 0.3, 1.0, 3.0]))
            leads = rng.random(n_leads) < 0.7
            x[leads, p:p + width] += amp * rng.uniform(0.3, 1.0, size=(int(leads.sum()), 1))
        if rng.random() < 0.2:
            x[rng.random(x.shape) < 0.01] = np.nan
        if rng.random() < 0.05:
            x[0, : n_samples // 3] = np.inf
        x = x.astype(rng.choice([np.float32, np.float64]))
        qrs = np.sort(rng.uniform(0, n_samples, size=int(rng.integers(0, 30))))
        if rng.random() < 0.5 and pos.size:          # impulses at a fixed lag: time-locked
            qrs = np.sort(pos + rng.normal(40, 3, size=pos.size) * fs / 1000.0)
        names = (names12[:n_leads] if rng.random() < 0.5
                 else [f"lead{i}" for i in range(n_leads)])
        allowed = rng.random(n_samples) < 0.5
        with np.errstate(all="ignore"):
            for q in (None, qrs):
                a = old.detect_pacing_spikes(x, fs, names, qrs_peaks=q)
                b = new.detect_pacing_spikes(x, fs, names, qrs_peaks=q)
                n_spikes += len(a)
                if not a.equals(b):
                    bad += 1
                    print(f"DIFFERENT: random record {it} (qrs_peaks {q is not None})")
            for al in (None, allowed):
                a, b = old._small_spikes(x, fs, al), new._small_spikes(x, fs, al)
                n_spikes += len(a)
                if a != b:
                    bad += 1
                    print(f"DIFFERENT: random record {it} (small spikes)")
    print(f"{n} random records, {n_spikes} spikes and small-spike candidates: "
          f"{bad} different")
    return 1 if bad else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--save", metavar="DIR")
    g.add_argument("--compare", metavar="DIR")
    g.add_argument("--random-against", metavar="BASE")
    ap.add_argument("--n", type=int, default=300, help="random records (--random-against)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ptbxl", type=int, default=100, help="first N PTB-XL records (+ PACE)")
    a = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    if a.random_against:
        return random_against(a.random_against, a.n, a.seed)
    path = os.path.join(a.save or a.compare, "delineate_outputs.jsonl.gz")
    if a.save:
        os.makedirs(a.save, exist_ok=True)
        with gzip.open(path, "wt") as f:
            n = 0
            for rec in _records(a.ptbxl):
                f.write(json.dumps(_describe(*rec)) + "\n")
                n += 1
        print(f"saved {n} outputs to {path}")
        return 0
    with gzip.open(path, "rt") as f:
        before = {d["key"]: d for d in map(json.loads, f)}
    n, diff, groups = 0, [], {}
    for rec in _records(a.ptbxl):
        now = json.loads(json.dumps(_describe(*rec)))
        key = rec[0]
        n += 1
        parts = key.split("/")
        grp = f"{parts[0]}/{parts[2]}"
        groups[grp] = groups.get(grp, 0) + 1
        if before.get(key) != now:
            diff.append(key)
            b = before.get(key, {})
            what = [k for k in ("error", "columns", "dtypes", "index", "attrs")
                    if b.get(k) != now.get(k)]
            print(f"DIFFERENT: {key}: {what}")
    print(f"compared {n} outputs ({', '.join(f'{k} {v}' for k, v in groups.items())}) "
          f"with the {len(before)} saved in {path}: {len(diff)} different")
    return 1 if diff or n != len(before) else 0


if __name__ == "__main__":
    sys.exit(main())
