"""Per-record offsets of the QRS onset on the 250 Hz II + V5 proxy, per lead (issue 10).

For every LUDB record of the chosen half (odd = training, default; ``--even`` = held out),
resampled to 250 Hz with leads II and V5, the script delineates the record and prints

* per lead, the mean (and SD) error of that lead's QRS onsets against the same lead's LUDB
  marks (each mark matched to the nearest onset within 150 ms);
* LUDB's own disagreement: the mean of (II mark - V5 mark) over the beats marked in both;
* the best-lead error of the proxy (each beat scored against lead II's mark with the closer
  of the two leads' onsets; as ``benchmarks/delineation_matrix.py --proxy``);

then the SD of the per-record means, the pooled within-record SD and the records furthest
from the overall mean. ``--param NAME=VALUE`` changes a ``Params`` field; ``--base PATH``
runs the same table with another copy of ``interp_ecg`` (PATH on ``sys.path``, a second
process) and prints both.

Run: ``PYTHONPATH=$PWD INTERP_ECG_DATA=/work/shared/data python benchmarks/qrs_onset_offsets.py``
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import subprocess
import sys
from fractions import Fraction

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.signal import resample_poly  # noqa: E402

FS = 250
LEADS = ["II", "V5"]


def match_errors(det: np.ndarray, ref: np.ndarray, fs: float, window_ms: float = 150.0) -> np.ndarray:
    """Error (ms) of the nearest detection for each reference mark; NaN beyond the window."""
    det = det[np.isfinite(det)]
    out = np.full(ref.size, np.nan)
    if det.size == 0:
        return out
    for i, v in enumerate(ref):
        j = int(np.argmin(np.abs(det - v)))
        e = (det[j] - v) * 1000.0 / fs
        if abs(e) <= window_ms:
            out[i] = e
    return out


def table(params: dict, even: bool) -> list[dict]:
    from interp_ecg.config import dataset_path
    from interp_ecg.features.delineation import delineate
    from interp_ecg.features.delineation.params import Params
    from interp_ecg.io import read_ludb

    p = Params(**params)
    ds = read_ludb(dataset_path("ludb"))
    recs = [r for r in ds.meta.index if int(r) % 2 == (0 if even else 1)]
    pos = {r: i for i, r in enumerate(ds.meta.index)}
    idx = [list(ds.leads).index(ld) for ld in LEADS]
    fr = Fraction(FS, int(ds.fs))
    scale = FS / float(ds.fs)
    ann = ds.annotations
    rows = []
    for r in recs:
        x = resample_poly(np.asarray(ds.signals[pos[r]], np.float32)[idx], fr.numerator,
                          fr.denominator, axis=-1).astype(np.float32)
        df = delineate(x, FS, LEADS, params=p)
        a = ann[(ann.record == r) & (ann.wave == "QRS")]
        marks = {ld: np.round(a.loc[a.lead == ld, "on"].to_numpy(float) * scale) for ld in LEADS}
        row = {"record": int(r), "paced": bool(str(ds.meta.loc[r, "pacing"]).strip())}
        on = {ld: df.loc[df.lead == ld, "QRS_on"].to_numpy(float) for ld in LEADS}
        for ld in LEADS:
            e = match_errors(on[ld], marks[ld], FS)
            row[f"{ld}_mean"] = float(np.nanmean(e)) if np.isfinite(e).any() else np.nan
            row[f"{ld}_sd"] = float(np.nanstd(e, ddof=1)) if np.isfinite(e).sum() > 1 else np.nan
            row[f"{ld}_n"] = int(np.isfinite(e).sum())
            row[f"{ld}_err"] = [None if not np.isfinite(v) else float(v) for v in e]
        # LUDB's own disagreement between the two leads' marks (same beat within 100 ms)
        d = match_errors(marks["V5"], marks["II"], FS, 100.0)   # V5 mark - II mark
        row["II_minus_V5_marks"] = float(-np.nanmean(d)) if np.isfinite(d).any() else np.nan
        # best lead against lead II's marks (the proxy protocol)
        e2 = np.stack([match_errors(on[ld], marks["II"], FS) for ld in LEADS])
        best = np.where(np.isnan(e2[1]) | (np.abs(e2[0]) <= np.abs(np.nan_to_num(e2[1], nan=np.inf))),
                        e2[0], e2[1])
        row["best_mean"] = float(np.nanmean(best)) if np.isfinite(best).any() else np.nan
        row["best_err"] = [None if not np.isfinite(v) else float(v) for v in best]
        rows.append(row)
    return rows


def summary(df: pd.DataFrame, col: str) -> str:
    errs = [np.asarray([v for v in es if v is not None], float) for es in df[col]]
    errs = [e for e in errs if e.size]
    allv = np.concatenate(errs)
    means = np.array([e.mean() for e in errs])
    within = np.concatenate([e - e.mean() for e in errs])
    return (f"mean {allv.mean():+.1f} SD {allv.std(ddof=1):.2f} ms = per-record means SD "
            f"{means.std(ddof=1):.2f} + within-record SD {within.std(ddof=1):.2f} "
            f"({len(errs)} records, {allv.size} beats)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--even", action="store_true", help="held-out even records")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--base", default=None, help="path with another interp_ecg (before)")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    params = {k: ast.literal_eval(v) for k, _, v in (s.partition("=") for s in a.param)}
    rows = table(params, a.even)
    if a.json:
        sys.stdout.write(json.dumps(rows))
        return
    df = pd.DataFrame(rows).set_index("record")
    sets = [("this tree", df)]
    if a.base:
        cmd = [sys.executable, __file__, "--json"] + (["--even"] if a.even else [])
        for s in a.param:
            cmd += ["--param", s]
        out = subprocess.run(cmd, env=dict(os.environ, PYTHONPATH=a.base), check=True,
                             capture_output=True, text=True).stdout
        sets.insert(0, ("base", pd.DataFrame(json.loads(out)).set_index("record")))
    for name, d in sets:
        print(f"== {name}: {'even (held-out)' if a.even else 'odd (training)'} records, 250 Hz II + V5, QRS_on")
        for col, label in (("II_err", "lead II vs its own marks"), ("V5_err", "lead V5 vs its own marks"),
                           ("best_err", "best lead vs II marks")):
            print(f"  {label}: {summary(d, col)}")
            npd = d[~d.paced]
            print(f"  {label}, without paced: {summary(npd, col)}")
    cols = ["paced", "II_n", "II_mean", "II_sd", "V5_n", "V5_mean", "V5_sd", "II_minus_V5_marks", "best_mean"]
    out = sets[-1][1][cols].copy()
    if a.base:
        b = sets[0][1]
        for c in ("II_mean", "V5_mean", "best_mean"):
            out[c + "_base"] = b[c]
    pd.set_option("display.width", 220)
    pd.set_option("display.max_rows", 500)
    print()
    print("per record (ms; mean error of each lead's onsets against its own LUDB marks):")
    print(out.round(1).to_string())


if __name__ == "__main__":
    main()
