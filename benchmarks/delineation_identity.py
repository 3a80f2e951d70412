"""Bit-identity of ``delineate``'s output between a base commit and this tree.

For speed work that must not change any output: the same inputs are delineated by the
``interp_ecg`` of a base commit (``git archive <commit> interp_ecg``, renamed
``interp_ecg_base`` with its imports rewritten, so that both versions import side by side in
this one process and no output is ever written to a file and read back) and by this tree's,
and the two outputs are compared column by column, row by row, dtype by dtype, NaN positions
included, with ``df.attrs`` and the errors raised (type and message). Inputs (default set, ~1,400 calls per side):

* LUDB, all 200 records, 500 Hz, 12 leads;
* LUDB, all 200 records resampled to 250 Hz (``resample_poly``, as
  ``benchmarks/delineation_matrix.py``), leads II + V5;
* PTB-XL, the first 100 records at 100 Hz and at 500 Hz, 12 leads;
* CinC 2021 (50 records, 500 Hz, 12 leads), and a few perturbed LUDB records: invalid
  (NaN) samples, a flat lead, a lead held at the record's end, a baseline step, one lead,
  1000 Hz and 360 Hz.

Each input is delineated with ``return_reasons=True`` and with ``return_reasons=False``.
Prints the number of outputs compared and every difference; exits 1 on any.

Usage::

    python benchmarks/delineation_identity.py --base ff1a2d0          # the full set
    python benchmarks/delineation_identity.py --base ff1a2d0 --quick  # 20 LUDB + 20 PTB-XL
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import logging  # noqa: E402
import importlib  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from fractions import Fraction  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

log = logging.getLogger("delineation_identity")
ROOT = Path(__file__).resolve().parents[1]


def _resample(x: np.ndarray, fs_old: float, fs_new: int) -> np.ndarray:
    from scipy.signal import resample_poly

    fr = Fraction(int(fs_new), int(fs_old))
    return resample_poly(x, fr.numerator, fr.denominator, axis=-1).astype(np.float32)


def build_inputs(quick: bool) -> list[tuple[str, np.ndarray, float, list[str]]]:
    """``(name, signal, fs, leads)`` for every input (read with this tree's io layer)."""
    from interp_ecg.config import dataset_path
    from interp_ecg.io import read_ludb, read_ptbxl

    out = []
    ludb = read_ludb(dataset_path("ludb"))
    leads = list(ludb.leads)
    n_ludb = 20 if quick else len(ludb)
    i2 = [leads.index("II"), leads.index("V5")]
    ludb_x = [np.asarray(ludb[i].signal, dtype=np.float32) for i in range(len(ludb))]
    for i in range(n_ludb):
        x = ludb_x[i]
        out.append((f"ludb{i}@500x12", x, float(ludb.fs), leads))
        out.append((f"ludb{i}@250xII+V5", _resample(x[i2], ludb.fs, 250), 250.0, ["II", "V5"]))
    n_ptb = 20 if quick else 100
    for rate in (100, 500):
        ptb = read_ptbxl(dataset_path("ptbxl"), sampling_rate=rate)
        for i in range(min(n_ptb, len(ptb))):
            rec = ptb[i]
            out.append((f"ptbxl{i}@{rate}", np.asarray(rec.signal, dtype=np.float32),
                        float(rec.fs), list(rec.leads)))
    if not quick:
        try:
            from interp_ecg.io import read_cinc

            cinc = read_cinc(dataset_path("cinc2021"))
            for i in range(len(cinc)):
                rec = cinc[i]
                out.append((f"cinc{i}", np.asarray(rec.signal, dtype=np.float32),
                            float(rec.fs), list(rec.leads)))
        except Exception as exc:  # noqa: BLE001 - an optional extra set
            log.warning("CinC inputs skipped: %s: %s", type(exc).__name__, exc)
    # perturbed LUDB records: the rarer code paths
    rng = np.random.default_rng(0)
    for i in (0, 7, 33, 104):
        x = ludb_x[i]
        a = x.copy()
        a[3, 1200:1204] = np.nan                       # bridged gap
        a[5, 2000:2400] = np.nan                       # lead set aside
        out.append((f"ludb{i}-nan", a, 500.0, leads))
        b = x.copy()
        b[2] = 0.0                                     # flat lead
        b[:, 4500:] = b[:, 4499:4500]                  # held at the end
        out.append((f"ludb{i}-flat-held", b, 500.0, leads))
        c = x.copy()
        c[:, 2600:] += 1.5                             # baseline step
        out.append((f"ludb{i}-step", c, 500.0, leads))
        out.append((f"ludb{i}-II", x[1].copy(), 500.0, ["II"]))
        out.append((f"ludb{i}@1000", _resample(x, 500, 1000), 1000.0, leads))
        out.append((f"ludb{i}@360xV1+V5", _resample(x[[6, 10]], 500, 360), 360.0, ["V1", "V5"]))
        d = x + 0.05 * rng.standard_normal(x.shape).astype(np.float32)
        out.append((f"ludb{i}-noise", d, 500.0, leads))
    return out


def delineate_all(delineate, inputs) -> dict:
    """``{(name, return_reasons): ("ok", frame) | ("error", (type, message))}`` of every input."""
    out = {}
    for name, x, fs, leads in inputs:
        for reasons in (True, False):
            try:
                out[(name, reasons)] = ("ok", delineate(x, fs, leads, return_reasons=reasons))
            except Exception as exc:  # noqa: BLE001 - errors are compared too
                out[(name, reasons)] = ("error", (type(exc).__name__, str(exc)))
    return out


def base_package(commit: str, work: Path) -> Path:
    """The base commit's ``interp_ecg`` as a package ``interp_ecg_base`` under ``work``."""
    dest = work / f"base-{commit}"
    pkg = dest / "interp_ecg_base"
    if not pkg.is_dir():
        src = dest / "src"
        src.mkdir(parents=True, exist_ok=True)
        arch = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "interp_ecg"],
                              check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=arch, check=True)
        (src / "interp_ecg").rename(pkg)
        name = re.compile(r"\binterp_ecg\b")
        for f in pkg.rglob("*.py"):
            f.write_text(name.sub("interp_ecg_base", f.read_text()))
    return dest


def _same_obj(a, b) -> bool:
    """Exact equality of attrs values (floats bit for bit, NaN equal to NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_obj(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same_obj(u, v) for u, v in zip(a, b))
    if isinstance(a, float):
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    return bool(a == b)


def compare_frames(a, b) -> list[str]:
    """Every difference between two delineation frames (empty when bit-identical)."""
    diffs = []
    if list(a.columns) != list(b.columns):
        return [f"columns {list(a.columns)} != {list(b.columns)}"]
    if not a.index.equals(b.index) or a.index.dtype != b.index.dtype:
        diffs.append("index differs")
    if a.shape != b.shape:
        return diffs + [f"shape {a.shape} != {b.shape}"]
    for c in a.columns:
        if a[c].dtype != b[c].dtype:
            diffs.append(f"{c}: dtype {a[c].dtype} != {b[c].dtype}")
            continue
        u, v = a[c].to_numpy(), b[c].to_numpy()
        if u.dtype.kind == "f":
            same = u.tobytes() == v.tobytes()      # bit for bit (NaN payloads too)
        else:
            same = bool(np.all(u == v))
        if not same:
            bad = np.flatnonzero(~((u == v) | (u != u) & (v != v))) if u.dtype.kind == "f" \
                else np.flatnonzero(u != v)
            diffs.append(f"{c}: {bad.size} rows differ (first {bad[:5].tolist()})")
    if a.attrs.keys() != b.attrs.keys():
        diffs.append(f"attrs keys {sorted(a.attrs)} != {sorted(b.attrs)}")
    else:
        for k in a.attrs:
            if not _same_obj(a.attrs[k], b.attrs[k]):
                diffs.append(f"attrs[{k!r}] differs")
    return diffs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", default="ff1a2d0", help="base commit (git archive of interp_ecg)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--work", default=None,
                    help="your own folder for the base copy, reused across runs (default: a "
                         "fresh temporary folder)")
    a = ap.parse_args(argv)
    logging.disable(logging.CRITICAL)
    work = Path(a.work) if a.work else Path(tempfile.mkdtemp(prefix="delineation_identity-"))
    sys.path.insert(0, str(base_package(a.base, work)))
    sys.path.insert(0, str(ROOT))
    base_mod = importlib.import_module("interp_ecg_base.features.delineation")
    mine_mod = importlib.import_module("interp_ecg.features.delineation")
    print(f"base: {base_mod.__file__}\ntree: {mine_mod.__file__}")
    inputs = build_inputs(a.quick)
    base = {"out": delineate_all(base_mod.delineate, inputs)}
    mine = {"out": delineate_all(mine_mod.delineate, inputs)}
    n_bad, n_err = 0, 0
    for key, (kind, val) in base["out"].items():
        kind2, val2 = mine["out"][key]
        n_err += kind == "error"
        if kind != kind2:
            diffs = [f"{kind} != {kind2}: {val if kind == 'error' else val2}"]
        elif kind == "error":
            diffs = [] if val == val2 else [f"error {val} != {val2}"]
        else:
            diffs = compare_frames(val, val2)
        if diffs:
            n_bad += 1
            print(f"{key[0]} (reasons={key[1]}): " + "; ".join(diffs))
    print(f"{len(base['out'])} outputs compared ({n_err} raise an error in the base), "
          f"{n_bad} differ")
    return 1 if n_bad else 0


if __name__ == "__main__":
    sys.exit(main())
