"""Speed of the data layer, each figure with its ratio to a reference measured in the same run.

1. Reader speed in records/s on the shared PTB-XL records (12 leads, 10 s; 500 Hz and
   100 Hz, format 16) and on MIT-BIH 100 (2 leads, 30 min, format 212), all in the same run:
   ``read_wfdb_record`` (fast path for plain format 16/212, the default), the same with
   ``engine="wfdb"`` (header and data through wfdb-python only), plain ``wfdb.rdrecord``
   (no checks, no unit handling), and, with ``--before REF``, the reader as it was at git
   revision REF (loaded from ``git show REF:interp_ecg/io/wfdb_reader.py``).
2. Building a PTB-XL manifest with labels for a fabricated 21,799-row ``ptbxl_database.csv``
   (the full PTB-XL size; no signal files): ``read_ptbxl`` against the PTB-XL example code's
   approach (``pd.read_csv`` + ``ast.literal_eval`` of every ``scp_codes``).
3. Building a MIMIC-IV-ECG manifest for a fabricated ``record_list.csv`` +
   ``machine_measurements.csv`` of ``--mimic-rows`` rows (default 200,000; the full module has
   ~800,000): ``read_mimic_ecg`` against plain ``pd.read_csv`` of the two files.

Usage::

    python benchmarks/io_speed.py [--mimic-rows 200000] [--n-records 200] [--before 4a6e70d] [--records-only]
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import subprocess
import sys
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


def _reader_at(ref: str):
    """The ``read_wfdb_record`` of git revision ``ref`` (for a before/after figure in one run)."""
    repo = Path(__file__).resolve().parents[1]
    text = subprocess.run(["git", "show", f"{ref}:interp_ecg/io/wfdb_reader.py"], cwd=repo, check=True,
                          capture_output=True, text=True).stdout
    tmp = Path(tempfile.mkdtemp()) / "wfdb_reader_before.py"
    tmp.write_text(text)
    spec = importlib.util.spec_from_file_location("interp_ecg.io._wfdb_reader_before", tmp)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod.read_wfdb_record


def bench_records(shared: Path, n_records: int, before: str | None) -> None:
    import wfdb

    from interp_ecg.io import read_wfdb_record

    readers = {"read_wfdb_record (fast path)": read_wfdb_record,
               "read_wfdb_record(engine='wfdb')": lambda p: read_wfdb_record(p, engine="wfdb"),
               "wfdb.rdrecord (no checks)": lambda p: wfdb.rdrecord(p)}
    if before:
        readers[f"before ({before})"] = _reader_at(before)
    ptb500 = [str(p.with_suffix("")) for p in sorted(shared.glob("ptbxl/records500/*/*.hea"))][:n_records]
    tmp212 = Path(tempfile.mkdtemp(prefix="io-speed-212-"))
    for p in ptb500:  # the same records rewritten in format 212 (12-lead 10 s records in 212)
        r = wfdb.rdrecord(p)
        wfdb.wrsamp(Path(p).name, fs=r.fs, units=r.units, sig_name=r.sig_name, p_signal=r.p_signal,
                    fmt=["212"] * r.n_sig, adc_gain=[200.0] * r.n_sig, baseline=[0] * r.n_sig,
                    write_dir=str(tmp212))
    sets = {
        "PTB-XL 500 Hz (fmt 16)": ptb500,
        "PTB-XL 500 Hz rewritten in fmt 212": [str(tmp212 / Path(p).name) for p in ptb500],
        "PTB-XL 100 Hz (fmt 16)": [str(p.with_suffix("")) for p in sorted(shared.glob("ptbxl/records100/*/*.hea"))][:n_records],
        "MIT-BIH 100, 30 min (fmt 212)": [str(shared / "wfdb-sample" / "100")] * 5,
    }
    for label, paths in sets.items():
        best = {name: float("inf") for name in readers}
        for fn in readers.values():
            fn(paths[0])  # warm up (imports, caches)
        for _ in range(3):  # interleaved rounds: load from other processes hits every reader alike
            for name, fn in readers.items():
                best[name] = min(best[name], _timeit(lambda: [fn(p) for p in paths]))
        rates = {name: len(paths) / t for name, t in best.items()}
        ref = rates["wfdb.rdrecord (no checks)"]
        fast = rates["read_wfdb_record (fast path)"]
        print(f"{label}, {len(paths)} records:")
        for name, rate in rates.items():
            print(f"  {name:34s} {rate:9.1f} records/s; ratio to wfdb.rdrecord {rate / ref:6.2f}; "
                  f"fast path / this {fast / rate:6.2f}")


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
    parser.add_argument("--n-records", type=int, default=200, help="PTB-XL records per reader")
    parser.add_argument("--before", default=None, help="git revision of the reader to compare with")
    parser.add_argument("--records-only", action="store_true", help="only the record-reading figures")
    args = parser.parse_args()
    root = data_root(required=True)
    bench_records(root, args.n_records, args.before)
    if args.records_only:
        return
    with tempfile.TemporaryDirectory() as d:
        bench_ptbxl_manifest(root / "ptbxl", Path(d))
        bench_mimic_manifest(root / "mimic-iv-ecg-schema", Path(d), args.mimic_rows)


if __name__ == "__main__":
    main()
