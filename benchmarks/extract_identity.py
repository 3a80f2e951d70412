"""Bit-identity of feature extraction's outputs between a base commit and this tree.

For refactoring that must not change any output (the split of ``extract._measure`` into
stages): the same inputs are measured by the ``interp_ecg`` of a base commit (``git archive
<commit> interp_ecg``, renamed ``interp_ecg_base`` with its imports rewritten, as
``benchmarks/delineation_identity.py`` does, so both import side by side in one process) and
by this tree's. Compared, NaN-aware and bit for bit (floats by their bytes):

* ``extract_record(..., return_provenance=True)``: every value of the row (name, type,
  value; reason and flag strings included) and the provenance table;
* ``measured_fiducials`` and ``extract_beats`` (a subset of the inputs);
* ``extract(dataset, n_jobs=1)``: every column, dtype, index and ``df.attrs`` (one
  in-memory dataset of the array inputs of one shape, and PTB-XL 100 Hz / 500 Hz subsets);
* errors raised: type and message (a record that cannot be measured must fail the same way).

Inputs: synthetic records of 13 conditions at 500 Hz (and some at 250 / 100 Hz, several
seeds); PTB-XL records at 100 and 500 Hz; LUDB records (the paced ones included); CinC 2021
records, also cut to odd lead sets (two leads, limb leads only, a non-standard lead name);
perturbed records: NaN gaps (bridged, a lead set aside, an all-lead gap, an edge run, every
lead invalid), a flat lead, a clipped lead, a noise burst, mains interference, noise only,
one lead, microvolt units, too short, large and small pacemaker spikes.

Prints the number of outputs compared and every difference; exits 1 on any.

Usage::

    python benchmarks/extract_identity.py --base 7370b5f           # 222 inputs, 373 outputs, ~5 min
    python benchmarks/extract_identity.py --base 7370b5f --quick   # 84 inputs, 143 outputs, ~2 min

(times on a busy two-core machine, both sides together; ``--work DIR`` keeps the base copy;
``--new-columns A,B`` leaves columns the tree adds out of the comparison and prints their filled values)
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import importlib  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from delineation_identity import _resample, _same_obj, base_package, compare_frames  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STANDARD = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
CONDITIONS = ("normal", "stach", "sbrad", "afib", "vt", "1avb", "lbbb", "rbbb", "lvh", "lqt",
              "imi", "pvc", "bigeminy")


def build_inputs(quick: bool) -> list[tuple[str, np.ndarray, float, list[str]]]:
    """``(name, signal, fs, leads)`` of every input (made with this tree's io and simulator)."""
    from interp_ecg.config import dataset_path
    from interp_ecg.io import read_cinc, read_ludb, read_ptbxl
    from interp_ecg.simulate import simulate_record

    out: list[tuple[str, np.ndarray, float, list[str]]] = []
    seeds = (0,) if quick else (0, 1)
    for cond in CONDITIONS:
        for seed in seeds:
            x, _, _ = simulate_record(cond, fs=500, random_state=seed)
            out.append((f"sim-{cond}-{seed}@500", np.asarray(x, np.float32), 500.0, STANDARD))
    for cond in ("normal", "afib", "lbbb", "stach") if not quick else ("normal",):
        for fs in (250, 100):
            x, _, _ = simulate_record(cond, fs=fs, random_state=3)
            out.append((f"sim-{cond}@{fs}", np.asarray(x, np.float32), float(fs), STANDARD))
    n_ptb = 6 if quick else 25
    for rate in (100, 500):
        ptb = read_ptbxl(dataset_path("ptbxl"), sampling_rate=rate)
        for i in range(n_ptb):
            rec = ptb[i]
            out.append((f"ptbxl{i}@{rate}", np.asarray(rec.signal, np.float32), float(rec.fs), list(rec.leads)))
    ludb = read_ludb(dataset_path("ludb"))
    paced = [i for i, p in enumerate(ludb.meta["pacing"].astype(str)) if "pacing" in p.lower()]
    for i in sorted({*range(4 if quick else 20), *paced[:2 if quick else len(paced)]}):
        rec = ludb[i]
        out.append((f"ludb{i}", np.asarray(rec.signal, np.float32), float(rec.fs), list(rec.leads)))
    cinc = read_cinc(dataset_path("cinc2021"))
    for i in range(6 if quick else len(cinc)):
        rec = cinc[i]
        out.append((f"cinc{i}", np.asarray(rec.signal, np.float32), float(rec.fs), list(rec.leads)))
    for i in (0, 20, 45):  # odd lead sets
        x = np.asarray(cinc[i].signal, np.float32)
        out.append((f"cinc{i}-II+V5", x[[1, 10]].copy(), 500.0, ["II", "V5"]))
        out.append((f"cinc{i}-limb", x[:6].copy(), 500.0, STANDARD[:6]))
        out.append((f"cinc{i}-ECG1", x[[1, 7, 10]].copy(), 500.0, ["ECG1", "V2", "V5"]))
    # perturbed records: the rarer stages
    rng = np.random.default_rng(0)
    bases = [("ludb0", np.asarray(ludb[0].signal, np.float32)),
             ("sim", np.asarray(simulate_record("normal", fs=500, random_state=7)[0], np.float32))]
    if not quick:
        bases.append(("ludb33", np.asarray(ludb[33].signal, np.float32)))
    for tag, x in bases:
        n = x.shape[1]
        a = x.copy(); a[3, 1200:1204] = np.nan; a[5, 2000:2400] = np.nan  # noqa: E702
        out.append((f"{tag}-nan-lead", a, 500.0, STANDARD))
        a = x.copy(); a[:, 2500:2700] = np.nan  # noqa: E702 - all-lead NaN gap
        out.append((f"{tag}-nan-all-lead-gap", a, 500.0, STANDARD))
        a = x.copy(); a[:, :300] = np.nan; a[:, n - 200:] = np.nan  # noqa: E702 - edge runs
        out.append((f"{tag}-nan-edges", a, 500.0, STANDARD))
        out.append((f"{tag}-nan-every-lead", np.where(np.arange(n) % 500 < 300, np.nan, x).astype(np.float32),
                    500.0, STANDARD))
        b = x.copy(); b[2] = 0.0; b[:, 4500:] = b[:, 4499:4500]  # noqa: E702 - flat lead, held end
        out.append((f"{tag}-flat-held", b, 500.0, STANDARD))
        b = x.copy(); b[:, 2000:2600] = 0.0  # noqa: E702 - all-lead dropout of zeros
        out.append((f"{tag}-zeros-gap", b, 500.0, STANDARD))
        c = x.copy(); c[7] = np.clip(c[7], -0.3, 0.3)  # noqa: E702 - clipped lead
        out.append((f"{tag}-clipped", c, 500.0, STANDARD))
        d = x.copy(); d[:, 3000:4000] += 0.6 * rng.standard_normal((12, 1000)).astype(np.float32)  # noqa: E702
        out.append((f"{tag}-noise-burst", d, 500.0, STANDARD))
        t = np.arange(n) / 500.0
        e = (x + 0.15 * np.sin(2 * np.pi * 50.0 * t)[None, :].astype(np.float32) * (np.arange(12) % 3 == 0)[:, None])
        out.append((f"{tag}-mains", e.astype(np.float32), 500.0, STANDARD))
        out.append((f"{tag}-II", x[1:2].copy(), 500.0, ["II"]))
        out.append((f"{tag}-uV", x * 1000.0, 500.0, STANDARD))
        out.append((f"{tag}-short", x[:, :700].copy(), 500.0, STANDARD))
        out.append((f"{tag}-aVR-swap", x[[0, 1, 2, 4, 3, 5, 6, 7, 8, 9, 10, 11]].copy(), 500.0,
                    ["I", "II", "III", "aVL", "aVR", "aVF", *STANDARD[6:]]))
        out.append((f"{tag}-inverted", -x, 500.0, STANDARD))
        out.append((f"{tag}-LA-RA", np.stack([-x[0], x[2], x[1], x[4], x[3], -x[5], *x[6:]]).astype(np.float32),
                    500.0, STANDARD))
    noise = (0.3 * rng.standard_normal((12, 5000))).astype(np.float32)
    out.append(("noise-only", noise, 500.0, STANDARD))
    # pacemaker spikes before the simulator's true QRS onsets: large (stripped before
    # delineating) and small (found by the delineator, time-locked)
    for amp, tag in ((3.0, "large"), (0.3, "small")):
        for cond in ("lbbb", "normal"):
            x, fid, _ = simulate_record(cond, fs=500, random_state=2)
            x = np.asarray(x, np.float32).copy()
            g = fid[fid["lead"] == "global"]["QRS_on"].to_numpy(float)
            s = np.round(g[np.isfinite(g)]).astype(int) - 12
            s = s[(s > 0) & (s < x.shape[1] - 2)]
            x[:, s] += amp
            x[:, s + 1] += amp if tag == "large" else 0.0
            out.append((f"paced-{tag}-{cond}", x, 500.0, STANDARD))
    out.append(("ludb0@250-II+V5", _resample(np.asarray(ludb[0].signal, np.float32)[[1, 10]], 500, 250),
                250.0, ["II", "V5"]))
    return out


def _call(fn, *args, **kw):
    try:
        return ("ok", fn(*args, **kw))
    except Exception as exc:  # noqa: BLE001 - errors are compared too
        return ("error", (type(exc).__name__, str(exc)))


def _compare_series(a: pd.Series, b: pd.Series) -> list[str]:
    if list(a.index) != list(b.index):
        return [f"row index differs ({len(a)} vs {len(b)})"]
    if a.name != b.name or a.dtype != b.dtype:
        return [f"name/dtype {a.name!r}/{a.dtype} != {b.name!r}/{b.dtype}"]
    bad = []
    for k in a.index:
        u, v = a[k], b[k]
        if type(u) is not type(v):
            bad.append(f"{k}: type {type(u).__name__} != {type(v).__name__}")
        elif isinstance(u, (float, np.floating)):
            if np.float64(u).tobytes() != np.float64(v).tobytes():
                bad.append(f"{k}: {u!r} != {v!r}")
        elif not u == v:
            bad.append(f"{k}: {u!r} != {v!r}")
    return bad


#: columns the tree adds (``--new-columns``): left out of the comparison, their filled values listed
NEW_COLUMNS: list[str] = []


def _new_values(val) -> list[str]:
    """The filled (not empty, not NaN) values of :data:`NEW_COLUMNS` in one output of the tree."""
    if isinstance(val, tuple):
        return [d for v in val for d in _new_values(v)]
    if isinstance(val, pd.Series):
        return [f"{c}={val[c]!r}" for c in NEW_COLUMNS if c in val.index and val[c] == val[c] and val[c] != ""]
    if isinstance(val, pd.DataFrame):
        return [f"{i}: {c}={v!r}" for c in NEW_COLUMNS if c in val.columns
                for i, v in val[c].items() if v == v and v != ""]
    return []


def _drop_new(val):
    if isinstance(val, tuple):
        return tuple(_drop_new(v) for v in val)
    if isinstance(val, pd.Series):
        return val.drop([c for c in NEW_COLUMNS if c in val.index])
    if isinstance(val, pd.DataFrame):
        return val.drop(columns=[c for c in NEW_COLUMNS if c in val.columns])
    return val


def _compare(kind_a, val_a, kind_b, val_b) -> list[str]:
    val_b = _drop_new(val_b) if kind_b == "ok" else val_b
    if kind_a != kind_b:
        return [f"{kind_a} != {kind_b}: {val_a if kind_a == 'error' else val_b}"]
    if kind_a == "error":
        return [] if val_a == val_b else [f"error {val_a} != {val_b}"]
    if isinstance(val_a, tuple):
        return [d for u, v in zip(val_a, val_b) for d in _compare("ok", u, "ok", v)]
    if isinstance(val_a, pd.Series):
        return _compare_series(val_a, val_b)
    diffs = compare_frames(val_a, val_b)
    if isinstance(val_a, pd.DataFrame) and not val_a.index.equals(val_b.index):
        diffs.append("index values differ")
    return diffs


def run_side(pkg: str, inputs, quick: bool) -> dict:
    """Every output of one package version, keyed by (input, call)."""
    feat = importlib.import_module(f"{pkg}.features")
    ext = importlib.import_module(f"{pkg}.features.extract")
    io = importlib.import_module(f"{pkg}.io")
    cfg = importlib.import_module(f"{pkg}.config")
    out = {}
    for k, (name, x, fs, leads) in enumerate(inputs):
        out[(name, "extract_record")] = _call(ext.extract_record, x, fs, leads, return_provenance=True)
        if k % 3 == 0:
            out[(name, "measured_fiducials")] = _call(ext.measured_fiducials, x, fs, leads)
            out[(name, "extract_beats")] = _call(ext.extract_beats, x, fs, leads)
    # whole datasets through extract(): in memory (12-lead 500 Hz 10-s inputs) and PTB-XL
    same = [(n, x) for n, x, fs, ld in inputs if fs == 500.0 and ld == STANDARD and x.shape == (12, 5000)]
    arr = np.stack([x for _, x in same]).astype(np.float32)
    meta = pd.DataFrame(index=pd.Index([n for n, _ in same], name="record_id"))
    ds = io.EcgDataset(meta, io.ArrayLoader(arr, fs=500, leads=STANDARD), fs=500, leads=STANDARD)
    out[("memory", "extract")] = _call(feat.extract, ds, n_jobs=1, progress=False)
    for rate in (100, 500):
        ptb = io.read_ptbxl(cfg.dataset_path("ptbxl"), sampling_rate=rate)
        sub = ptb.subset(list(ptb.meta.index[: (8 if quick else 40)]))
        out[(f"ptbxl@{rate}", "extract")] = _call(feat.extract, sub, n_jobs=1, progress=False, chunk_size=16)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", default="7370b5f", help="base commit (git archive of interp_ecg)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--work", default=None, help="your own folder for the base copy, reused across runs")
    ap.add_argument("--new-columns", default="", help="comma-separated columns the tree adds: not compared, "
                    "their filled values printed")
    a = ap.parse_args(argv)
    NEW_COLUMNS[:] = [c for c in a.new_columns.split(",") if c]
    logging.disable(logging.CRITICAL)
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix="extract_identity-"))
    sys.path.insert(0, str(base_package(a.base, work)))
    sys.path.insert(0, str(ROOT))
    print(f"base: {importlib.import_module('interp_ecg_base').__file__}\n"
          f"tree: {importlib.import_module('interp_ecg').__file__}")
    inputs = build_inputs(a.quick)
    base = run_side("interp_ecg_base", inputs, a.quick)
    mine = run_side("interp_ecg", inputs, a.quick)
    n_bad = n_err = 0
    for key, (kind, val) in base.items():
        kind2, val2 = mine[key]
        n_err += kind == "error"
        diffs = _compare(kind, val, kind2, val2)
        filled = _new_values(val2) if kind2 == "ok" else []
        if filled:
            print(f"{key[0]} [{key[1]}]: new " + "; ".join(filled[:8]))
        if diffs:
            n_bad += 1
            print(f"{key[0]} [{key[1]}]: " + "; ".join(diffs[:8]))
    print(f"{len(inputs)} inputs, {len(base)} outputs compared ({n_err} raise an error in the base), "
          f"{n_bad} of {len(base)} outputs differ")
    return 1 if n_bad else 0


if __name__ == "__main__":
    sys.exit(main())
