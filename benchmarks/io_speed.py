"""Speed of the data layer, each figure with its ratio to a reference measured in the same run.

1. Reading one 12-lead 10 s 500 Hz record (the 500 PTB-XL records of the shared data):
   ``interp_ecg.io.read_wfdb_record`` (with header, size and checksum checks) against
   ``wfdb.rdrecord`` (no checks).
2. Building a PTB-XL manifest with labels for a fabricated 21,799-row ``ptbxl_database.csv``
   (the full PTB-XL size; no signal files): ``read_ptbxl`` against the PTB-XL example code's
   approach (``pd.read_csv`` + ``ast.literal_eval`` of every ``scp_codes``).
3. Building a MIMIC-IV-ECG manifest for a fabricated ``record_list.csv`` +
   ``machine_measurements.csv`` of ``--mimic-rows`` rows (default 200,000; the full module has
   ~800,000): ``read_mimic_ecg`` against plain ``pd.read_csv`` of the two files.

Usage::

    python benchmarks/io_speed.py [--mimic-rows 200000]
"""

from __future__ import annotations

import argparse
import ast
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _timeit(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def bench_records(ptbxl: Path) -> None:
    import wfdb

    from interp_ecg.io import read_wfdb_record

    paths = [str(p.with_suffix("")) for p in sorted(ptbxl.glob("records500/*/*.hea"))]
    ours = _timeit(lambda: [read_wfdb_record(p) for p in paths], repeat=2) / len(paths)
    ref = _timeit(lambda: [wfdb.rdrecord(p) for p in paths], repeat=2) / len(paths)
    print(f"record read (12x5000, checked): {ours * 1e3:.2f} ms/record; "
          f"wfdb.rdrecord {ref * 1e3:.2f} ms/record; ratio {ours / ref:.2f}")


def bench_ptbxl_manifest(ptbxl: Path, tmp: Path, n: int = 21_799) -> None:
    from interp_ecg.io import read_ptbxl

    db = pd.read_csv(ptbxl / "ptbxl_database.csv")
    db = db.loc[np.arange(n) % len(db)].reset_index(drop=True)
    db["ecg_id"] = np.arange(1, n + 1)
    root = tmp / "ptbxl"
    root.mkdir()
    db.to_csv(root / "ptbxl_database.csv", index=False)
    (root / "scp_statements.csv").write_bytes((ptbxl / "scp_statements.csv").read_bytes())

    def reference():
        d = pd.read_csv(root / "ptbxl_database.csv", index_col="ecg_id")
        d["scp_codes"] = d["scp_codes"].apply(ast.literal_eval)
        st = pd.read_csv(root / "scp_statements.csv", index_col=0)
        codes = list(st.index)
        arr = np.zeros((len(d), len(codes)), dtype=np.uint8)
        pos = {c: i for i, c in enumerate(codes)}
        for i, dct in enumerate(d["scp_codes"]):
            for c in dct:
                arr[i, pos[c]] = 1
        return arr

    ours = _timeit(lambda: read_ptbxl(root), repeat=2)
    ref = _timeit(reference, repeat=2)
    print(f"PTB-XL manifest + 71 labels, {n} rows: {ours:.2f} s; "
          f"read_csv + literal_eval {ref:.2f} s; ratio {ours / ref:.2f}")


def bench_mimic_manifest(schema: Path, tmp: Path, n: int) -> None:
    from interp_ecg.io import read_mimic_ecg

    rng = np.random.default_rng(0)
    sub = rng.integers(10_000_000, 19_999_999, n)
    study = np.arange(40_000_000, 40_000_000 + n)
    root = tmp / "mimic"
    root.mkdir()
    pd.DataFrame({
        "subject_id": sub, "study_id": study, "file_name": study, "ecg_time": "2180-07-23 08:44:00",
        "path": [f"files/p{s // 10000}/p{s}/s{t}/{t}" for s, t in zip(sub, study)],
    }).to_csv(root / "record_list.csv", index=False)
    mm = pd.read_csv(schema / "machine_measurements.csv")
    mm = mm.loc[np.zeros(n, dtype=int)].reset_index(drop=True)
    mm["study_id"], mm["subject_id"] = study, sub
    mm.loc[rng.random(n) < 0.1, ["p_onset", "p_end", "p_axis"]] = 29999
    mm.to_csv(root / "machine_measurements.csv", index=False)

    def reference():
        return pd.read_csv(root / "record_list.csv"), pd.read_csv(root / "machine_measurements.csv")

    ours = _timeit(lambda: read_mimic_ecg(root))
    ref = _timeit(reference)
    print(f"MIMIC-IV-ECG manifest (cleaned, reports joined), {n} rows: {ours:.2f} s; "
          f"two plain read_csv {ref:.2f} s; ratio {ours / ref:.2f}")


def main() -> None:
    from interp_ecg.config import data_root

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mimic-rows", type=int, default=200_000)
    args = parser.parse_args()
    root = data_root(required=True)
    bench_records(root / "ptbxl")
    with tempfile.TemporaryDirectory() as d:
        bench_ptbxl_manifest(root / "ptbxl", Path(d))
        bench_mimic_manifest(root / "mimic-iv-ecg-schema", Path(d), args.mimic_rows)


if __name__ == "__main__":
    main()
