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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--save", metavar="DIR")
    g.add_argument("--compare", metavar="DIR")
    ap.add_argument("--ptbxl", type=int, default=100, help="first N PTB-XL records (+ PACE)")
    a = ap.parse_args(argv)
    logging.disable(logging.WARNING)
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
