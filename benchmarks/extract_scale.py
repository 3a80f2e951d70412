"""Scale of ``interp_ecg.features.extract``: throughput, parallel speed-up, flat memory.

Records are realistic synthetic 12-lead, 10 s, 500 Hz ECGs from
:func:`interp_ecg.simulate.simulate_batch` (a mix of normal, AF, LBBB, RBBB, LVH, PVCs,
first-degree AV block, sinus tachycardia and bradycardia, inferior MI, long QT, VT). To keep the cohort's own size out of the memory figure,
a pool of ``--pool`` distinct simulated records is cycled through (record ``i`` is pool
record ``i % pool``); every record is still read, delineated and measured in full.

Printed, each with its ratio to the reference measured in the same run:

1. records/s with ``n_jobs=1`` (reference) and ``n_jobs=2`` (joblib, local cores) on
   ``--records`` records in memory;
2. records/s on a Dask ``LocalCluster`` with 1 worker (reference) and 2 workers
   (``processes=True, threads_per_worker=1``);
3. streaming ``--sizes`` records to Parquet chunks (``out=``, ``load=False``) with
   ``--n-jobs`` local processes, each size in a fresh process: wall time, records/s and the
   peak memory of the whole process tree (the run's process plus its joblib/loky or Dask
   worker processes), relative to the smallest size. Memory is sampled every
   ``--sample-s`` seconds with psutil over the tree: the sum of RSS (counts pages shared
   between processes once per process, so it over-states) and the sum of PSS (shared pages
   split between the processes sharing them: the tree's real footprint); the exact peak RSS
   of the run's main process alone comes from ``wait4``. A peak shorter than the sampling
   interval can be missed by the tree figures.
   ``--ref-jobs1 N`` adds an ``n_jobs=1`` stream of N records (the 1 -> 2 core
   efficiency reference) and ``--dask-records N`` a stream of N records on a Dask
   ``LocalCluster`` with ``--n-jobs`` workers (compared with joblib at the same size);
4. the share of time per stage (read / delineate / measure), from an in-process run of
   ``extract`` on ``--stage-sample`` records (``n_jobs=1``): ``extract`` has no timing hook,
   so the loader times the read and a ``method=`` callable wrapping the default
   :func:`~interp_ecg.features.delineate` times the delineation (the same call ``extract``
   makes by default); the rest of the wall time is validation, measurement and frame
   assembly, less the Parquet write (timed separately on the same rows). The pool's read is
   from memory; with the shared PTB-XL records present, ``read_wfdb_record`` on the 500 Hz
   files is timed too, to show the share reading real files would take;
5. projected wall time for ``--project`` records on 2, 16 and 64 cores: the largest
   finished ``n_jobs=2`` stream's records/s scaled linearly in cores, i.e. every core
   delivering the single-process rate times the 1 -> 2 core efficiency measured by that run
   against the largest ``n_jobs=1`` stream (a projection, not a measurement).

``--json`` writes every figure (and, during each stream, its memory and progress samples)
after every step, so a run that is stopped keeps what it had; ``--plot-from JSON PNG``
draws the memory curve from such a file.

Usage::

    python benchmarks/extract_scale.py                      # 120-record throughput, sizes 1000 10000
    python benchmarks/extract_scale.py --records 0 --sizes 1000 10000 100000 --n-jobs 2 \\
        --ref-jobs1 1000 --dask-records 10000 --stage-sample 500 --json scale.json  # hours
    python benchmarks/extract_scale.py --plot-from scale.json memory.png
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger("extract_scale")
DEFAULT_CHUNK = 256

CONDITIONS = ["normal", "normal", "normal", "afib", "lbbb", "rbbb", "lvh", "pvc",
              "1avb", "stach", "sbrad", "imi", "lqt", "vt"]


class PoolLoader:
    """Loader returning pool record ``i % len(pool)`` for record id ``i`` (picklable)."""

    def __init__(self, pool: np.ndarray, fs: float = 500.0):
        self.pool = pool
        self.fs = fs

    def __call__(self, record_id, row):
        from interp_ecg.io import Record
        from interp_ecg.io.leads import STANDARD_LEADS

        sig = self.pool[int(record_id) % len(self.pool)]
        return Record(str(record_id), sig, self.fs, list(STANDARD_LEADS), source=f"pool[{record_id}]")


def make_pool(n: int, seed: int = 0) -> np.ndarray:
    from interp_ecg.simulate import simulate_batch

    conds = (CONDITIONS * (n // len(CONDITIONS) + 1))[:n]
    X, _, _ = simulate_batch(conds, fs=500, duration=10.0, noise=1.0, random_state=seed)
    return X


def make_dataset(n_records: int, pool: np.ndarray):
    from interp_ecg.io import EcgDataset

    meta = pd.DataFrame({"patient_id": np.arange(n_records)},
                        index=pd.Index(np.arange(n_records), name="record_id"))
    return EcgDataset(meta, PoolLoader(pool), fs=500.0, name="synthetic-pool")


def _rate(fn, n: int) -> tuple[float, float]:
    t0 = time.perf_counter()
    fn()
    dt = time.perf_counter() - t0
    return n / dt, dt


def _load_note() -> str:
    try:
        return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    except OSError:
        return ""


def throughput(n: int, pool: np.ndarray, chunk_size: int, dask: bool) -> None:
    from interp_ecg.features import extract

    ds = make_dataset(n, pool)
    extract(make_dataset(4, pool), progress=False)  # warm imports
    extract(make_dataset(8, pool), n_jobs=2, chunk_size=4, progress=False)  # start the worker processes
    c0 = time.process_time()
    r1, t1 = _rate(lambda: extract(ds, n_jobs=1, chunk_size=chunk_size, progress=False), n)
    cpu = (time.process_time() - c0) / n
    print(f"n_jobs=1       : {r1:7.2f} records/s ({t1:6.1f} s for {n}; {1000 / r1:5.1f} ms/record wall, "
          f"{1000 * cpu:5.1f} ms/record CPU; {_load_note()})  [reference]")
    r2, t2 = _rate(lambda: extract(ds, n_jobs=2, chunk_size=chunk_size, progress=False), n)
    print(f"n_jobs=2       : {r2:7.2f} records/s ({t2:6.1f} s)  speed-up {r2 / r1:.2f}x over n_jobs=1 "
          f"({_load_note()})")
    if not dask:
        return
    import dask
    from distributed import Client, LocalCluster

    from interp_ecg.features.extract import DASK_WORKER_CONFIG

    for name in ("distributed", "dask"):
        logging.getLogger(name).setLevel(logging.ERROR)

    rates = {}
    for workers in (1, 2):
        with dask.config.set(DASK_WORKER_CONFIG), LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            extract(make_dataset(4, pool), scheduler=client, progress=False)  # warm workers
            rates[workers], dt = _rate(
                lambda: extract(ds, scheduler=client, chunk_size=chunk_size, progress=False), n)
        ref = "  [reference]" if workers == 1 else f"  speed-up {rates[2] / rates[1]:.2f}x over 1 worker"
        print(f"Dask {workers} worker(s): {rates[workers]:7.2f} records/s ({dt:6.1f} s){ref}")


def _quiet_dask() -> None:
    """Dask's own loggers (configured on import) at ERROR: progress lines only in the log."""
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in ("distributed", "dask"):
            logging.getLogger(name).setLevel(logging.ERROR)


def child(n: int, out: str, pool_size: int, chunk_size: int, n_jobs: int, dask_workers: int,
          dask_defaults: bool = False) -> None:
    """Stream ``n`` pool records to ``out`` (run in a fresh process); print the wall seconds.

    The Dask cluster is started under the package's ``DASK_WORKER_CONFIG`` (worker profiler
    off), or under distributed's own defaults with ``dask_defaults``.
    """
    import dask

    from interp_ecg.features import extract
    from interp_ecg.features.extract import DASK_WORKER_CONFIG

    pool = make_pool(pool_size)
    ds = make_dataset(n, pool)
    if dask_workers:
        from distributed import Client, LocalCluster

        _quiet_dask()
        with dask.config.set({} if dask_defaults else DASK_WORKER_CONFIG), \
                LocalCluster(n_workers=dask_workers, threads_per_worker=1, processes=True,
                             dashboard_address=None) as cluster, Client(cluster) as client:
            t0 = time.perf_counter()
            extract(ds, out=out, chunk_size=chunk_size, scheduler=client, progress=False, load=False)
            dt = time.perf_counter() - t0
    else:
        t0 = time.perf_counter()
        extract(ds, out=out, chunk_size=chunk_size, progress=False, load=False, n_jobs=n_jobs)
        dt = time.perf_counter() - t0
    print(f"{dt:.3f}", flush=True)


def tree_memory(proc) -> tuple[float, float, int]:
    """Summed RSS and PSS (MiB) of ``proc`` and all its descendants, and their number."""
    import psutil

    rss = pss = 0
    procs = [proc]
    try:
        procs += proc.children(recursive=True)
    except psutil.Error:
        pass
    n = 0
    for p in procs:
        try:
            m = p.memory_full_info()
        except psutil.Error:  # exited between listing and reading
            continue
        rss += m.rss
        pss += getattr(m, "pss", m.rss)
        n += 1
    return rss / 2**20, pss / 2**20, n


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return _load_note()


class Results:
    """Every figure of a run, written to ``path`` (JSON) and a CSV of the streams after each step."""

    def __init__(self, path: str | None):
        self.path = Path(path) if path else None
        self.data: dict = {"machine": {"cpu_count": os.cpu_count(), "platform": sys.platform,
                                       "python": sys.version.split()[0], "command": " ".join(sys.argv)},
                           "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                           "streams": [], "uptime": [], "stages": None, "projection": None}
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)

    def save(self) -> None:
        if self.path is None:
            return
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.data, indent=1, default=float))
        os.replace(tmp, self.path)
        cols = ["kind", "n_jobs", "records", "status", "records_done", "wall_s", "records_per_s",
                "peak_tree_rss_mib", "peak_tree_pss_mib", "peak_main_rss_mib", "max_processes", "chunk_files",
                "rss_growth_mib_per_1000"]
        rows = [{c: s.get(c) for c in cols} for s in self.data["streams"]]
        pd.DataFrame(rows, columns=cols).to_csv(self.path.with_suffix(".csv"), index=False)

    def uptime(self) -> None:
        self.data["uptime"].append({"utc": time.strftime("%H:%M:%S", time.gmtime()), "uptime": _uptime()})


def run_rate(done: int, resumed: int, seconds: float) -> float:
    """Records/s of this run alone: the records written since it started over its seconds.

    ``done`` counts every record in the stream's folder, including the ``resumed`` ones an
    earlier (stopped) run wrote; those are not this run's work. ``NaN`` before any time passed.
    """
    if not seconds > 0:
        return float("nan")
    return max(0, done - resumed) / seconds


def growth_per_1000(samples: list, chunk_size: int, n: int) -> float:
    """Least-squares slope of the tree RSS (MiB) against records written, per 1,000 records.

    ``samples`` are the stream's ``[seconds, records done, tree RSS, tree PSS, load]`` rows of
    an ``n``-record stream; those before the first chunk is written (start-up) and after the
    last (shut-down) are left out. ``NaN`` with fewer than two distinct record counts.
    """
    a = np.asarray([r[:3] for r in samples if chunk_size <= r[1] < n], float).reshape(-1, 3)
    if len(np.unique(a[:, 1])) < 2:
        return float("nan")
    return float(np.polyfit(a[:, 1], a[:, 2], 1)[0] * 1000)


def process_rss(proc) -> dict[str, float]:
    """RSS (MiB) of ``proc`` (``main``) and of each descendant (``pid <n> <first argument>``)."""
    import psutil

    out = {}
    try:
        kids = proc.children(recursive=True)
    except psutil.Error:
        kids = []
    for p in [proc, *kids]:
        try:
            rss = p.memory_info().rss / 2**20
            name = "main" if p.pid == proc.pid else f"pid {p.pid} {' '.join(p.cmdline()[1:])[:50]}"
        except psutil.Error:
            continue
        out[name] = round(rss, 1)
    return out


def _rows_written(out: Path) -> int:
    """Records already in a stream's chunk files (0 for a new folder)."""
    import pyarrow.parquet as pq

    if not out.exists():
        return 0
    return sum(pq.ParquetFile(f).metadata.num_rows for f in out.glob("chunk-*.parquet"))


@contextlib.contextmanager
def _stream_folder(workdir: str | None, keep: str | None, name: str):
    """The chunk folder of one stream: temporary, or ``keep/name`` kept for a later resume.

    With ``keep`` a stopped run (a machine handed back, a killed job) is resumed by running the
    same command again: :func:`interp_ecg.features.extract` skips the chunks already written, and
    the stream's entry records ``resumed_from_records`` (its records/s counts only this run's).
    """
    if keep:
        out = Path(keep) / name
        out.parent.mkdir(parents=True, exist_ok=True)
        yield out
        return
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        yield Path(tmp) / "features"


def stream(n: int, pool_size: int, chunk_size: int, n_jobs: int, dask_workers: int, results: Results,
           workdir: str | None, sample_s: float, log_every: int, uptime_every_s: float,
           keep: str | None = None, dask_defaults: bool = False) -> dict:
    """Run one streaming extraction of ``n`` records in a fresh process; sample its memory."""
    import psutil

    kind = (f"dask-{dask_workers}-workers" + ("-distributed-defaults" if dask_defaults else "")
            if dask_workers else "joblib")
    entry = {"kind": kind, "n_jobs": dask_workers or n_jobs, "records": n, "status": "running",
             "records_done": 0, "wall_s": None, "records_per_s": None, "peak_tree_rss_mib": 0.0,
             "peak_tree_pss_mib": 0.0, "peak_main_rss_mib": None, "max_processes": 0, "chunk_files": 0,
             "samples": [],  # [elapsed s, records done, tree RSS MiB, tree PSS MiB, load average]
             "process_samples": []}  # [elapsed s, records done, {process: RSS MiB}]
    results.data["streams"].append(entry)
    with _stream_folder(workdir, keep, f"{kind}-{entry['n_jobs']}-{n}") as out:
        resumed = _rows_written(out)
        entry["resumed_from_records"] = min(n, resumed)
        if resumed:
            logger.info("%s n=%d: resuming after %d records already in %s", kind, n, min(n, resumed), out)
        cmd = [sys.executable, __file__, "--child", str(n), str(out), "--pool", str(pool_size),
               "--stream-chunk-size", str(chunk_size), "--n-jobs", str(n_jobs), "--dask-workers", str(dask_workers)]
        if dask_defaults:
            cmd.append("--dask-defaults")
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        ps = psutil.Process(proc.pid)
        next_log, last_save, last_up = log_every, 0.0, time.perf_counter()
        status = None
        while status is None:
            pid, status_raw, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status = status_raw
                break
            rss, pss, n_procs = tree_memory(ps)
            el = time.perf_counter() - t0
            files = len(list(out.glob("chunk-*.parquet"))) if out.exists() else 0
            done = min(n, files * chunk_size)
            entry["peak_tree_rss_mib"] = max(entry["peak_tree_rss_mib"], rss)
            entry["peak_tree_pss_mib"] = max(entry["peak_tree_pss_mib"], pss)
            entry["max_processes"] = max(entry["max_processes"], n_procs)
            entry["records_done"], entry["chunk_files"] = done, files
            entry["samples"].append([round(el, 1), done, round(rss, 1), round(pss, 1), os.getloadavg()[0]])
            if len(entry["samples"]) % 10 == 1:  # which process grows: each one's RSS, every 10th sample
                entry["process_samples"].append([round(el, 1), done, process_rss(ps)])
            if done >= next_log:
                logger.info("%s n=%d: %d records, %d of them in this run's %.0f s (%.2f records/s), tree RSS "
                            "%.0f MiB, PSS %.0f MiB (peak %.0f / %.0f), %d processes, %s", kind, n, done,
                            max(0, done - entry["resumed_from_records"]), el,
                            run_rate(done, entry["resumed_from_records"], el), rss, pss,
                            entry["peak_tree_rss_mib"], entry["peak_tree_pss_mib"], n_procs, _load_note())
                while next_log <= done:
                    next_log += log_every
            if time.perf_counter() - last_up >= uptime_every_s:
                results.uptime()
                logger.info("uptime: %s", results.data["uptime"][-1]["uptime"])
                last_up = time.perf_counter()
            if el - last_save >= 30:
                results.save()
                last_save = el
            time.sleep(sample_s)
        out_text = proc.stdout.read()
        proc.stdout.close()
        if status != 0:
            entry["status"] = f"failed (wait status {status})"
            results.save()
            raise SystemExit(f"child for {n} records failed with wait status {status}")
        seconds = float(out_text.strip().splitlines()[-1])
        from interp_ecg.features import read_features

        table = read_features(out)
        if len(table) != n or not table.index.is_unique:
            raise SystemExit(f"{n} records streamed but {len(table)} rows read back")
        entry.update(status="done", records_done=n, wall_s=seconds,
                     records_per_s=run_rate(n, entry["resumed_from_records"], seconds),
                     peak_main_rss_mib=usage.ru_maxrss / 1024.0,  # KiB -> MiB on Linux
                     chunk_files=len(list(out.glob("chunk-*.parquet"))),
                     quality_ok=int(table["quality_ok"].sum()),
                     rss_growth_mib_per_1000=growth_per_1000(entry["samples"], chunk_size, n))
        del table
    results.save()
    return entry


def stages(n: int, pool: np.ndarray, results: Results, wfdb_dir: Path | None) -> dict:
    """Share of time per stage on ``n`` pool records, in this process (``n_jobs=1``)."""
    from interp_ecg.features import delineate, extract, read_features

    acc = {"read": 0.0, "delineate": 0.0}

    class TimedLoader(PoolLoader):
        def __call__(self, record_id, row):
            t = time.perf_counter()
            rec = super().__call__(record_id, row)
            acc["read"] += time.perf_counter() - t
            return rec

    def timed_delineate(signal, fs, leads):
        t = time.perf_counter()
        fid = delineate(signal, fs, leads=leads)  # what extract calls with method=None
        acc["delineate"] += time.perf_counter() - t
        return fid

    ds = make_dataset(n, pool)
    ds.loader = TimedLoader(pool)
    with tempfile.TemporaryDirectory() as tmp:
        warm = make_dataset(4, pool)
        warm.loader = TimedLoader(pool)
        extract(warm, method=timed_delineate, progress=False)  # imports, caches
        acc.update(read=0.0, delineate=0.0)
        t0 = time.perf_counter()
        extract(ds, out=Path(tmp) / "f", method=timed_delineate, progress=False, load=False, n_jobs=1)
        total = time.perf_counter() - t0
        table = read_features(Path(tmp) / "f")
        tw = time.perf_counter()
        for k in range(0, len(table), DEFAULT_CHUNK):
            table.iloc[k:k + DEFAULT_CHUNK].to_parquet(Path(tmp) / f"w{k}.parquet", engine="pyarrow", index=True)
        write = time.perf_counter() - tw
    rest = total - acc["read"] - acc["delineate"]
    res = {"records": n, "total_s": total, "read_s": acc["read"], "delineate_s": acc["delineate"],
           "measure_s": rest - write, "parquet_write_s": write,
           "ms_per_record": {k: 1000 * v / n for k, v in
                             {"read": acc["read"], "delineate": acc["delineate"],
                              "measure": rest - write, "parquet_write": write, "total": total}.items()}}
    res["share"] = {k: res[f"{k}_s"] / total for k in ("read", "delineate", "measure", "parquet_write")}
    print(f"stages on {n} records in one process ({1000 * total / n:.1f} ms/record; {_load_note()}):")
    for k in ("read", "delineate", "measure", "parquet_write"):
        print(f"  {k:14s} {res['ms_per_record'][k]:7.2f} ms/record  {100 * res['share'][k]:5.1f}%")
    if wfdb_dir is not None and wfdb_dir.exists():
        from interp_ecg.io import read_wfdb_record

        paths = [str(p.with_suffix("")) for p in sorted(wfdb_dir.glob("*/*.hea"))][:n]
        if paths:
            read_wfdb_record(paths[0])
            t = time.perf_counter()
            for p in paths:
                read_wfdb_record(p)
            ms = 1000 * (time.perf_counter() - t) / len(paths)
            other = 1000 * (total - acc["read"]) / n
            res["wfdb_read"] = {"records": len(paths), "dir": str(wfdb_dir), "ms_per_record": ms,
                                "share_if_read_from_files": ms / (ms + other)}
            print(f"  read_wfdb_record on {len(paths)} PTB-XL 500 Hz files: {ms:.2f} ms/record; in place of "
                  f"the pool's read it would be {100 * ms / (ms + other):.1f}% of the time")
    results.data["stages"] = res
    results.save()
    return res


def project(results: Results, n_project: int, cores=(2, 16, 64)) -> dict | None:
    """Projected wall time of ``n_project`` records from the finished joblib streams."""
    done = [s for s in results.data["streams"] if s["status"] == "done" and s["kind"] == "joblib"]
    one = [s for s in done if s["n_jobs"] == 1]
    two = [s for s in done if s["n_jobs"] == 2]
    if not two:
        return None
    base = max(two, key=lambda s: s["records"])
    r2 = base["records_per_s"]
    res = {"records": n_project, "base_records": base["records"], "base_records_per_s_2_cores": r2}
    if one:
        # the n_jobs=2 rate of the largest run (worker start-up amortised; the n_jobs=1 run
        # starts no workers) against the single-process rate
        ref = max(one, key=lambda s: s["records"])
        r1 = ref["records_per_s"]
        eff = r2 / (2 * r1)
        res.update(records_per_s_1_core=r1, records_1_core=ref["records"], efficiency_1_to_2=eff)
    else:
        eff = None
    # each core delivers what a core delivered in the 2-core run: rate(c) = r2 * c / 2,
    # i.e. the single-core rate times c times the measured 1 -> 2 efficiency
    res["hours"] = {str(c): n_project / (r2 * c / 2) / 3600 for c in cores}
    print(f"projection for {n_project:,} records (linear in cores from {r2:.2f} records/s on 2 cores at "
          f"{base['records']:,} records" + (f", measured 1->2 core efficiency {eff:.2f}" if eff else "") + "):")
    for c in cores:
        print(f"  {c:3d} cores: {res['hours'][str(c)]:7.2f} h  [projection]")
    results.data["projection"] = res
    results.save()
    return res


def memory(sizes: list[int], pool_size: int, chunk_size: int, n_jobs: int, results: Results,
           ref_jobs1: int, dask_records: int, workdir: str | None, sample_s: float, log_every: int,
           uptime_every_s: float, keep: str | None = None, dask_defaults: bool = False) -> None:
    runs = []
    if ref_jobs1 and n_jobs != 1:
        runs.append((ref_jobs1, 1, 0))
    runs += [(n, n_jobs, 0) for n in sizes]
    if dask_records:  # after the joblib run of the same size, before any larger one
        at = next((i for i, r in enumerate(runs) if r[0] > dask_records), len(runs))
        runs.insert(at, (dask_records, n_jobs, max(1, n_jobs)))
    first = {}
    for n, jobs, dask_workers in runs:
        results.uptime()
        e = stream(n, pool_size, chunk_size, jobs, dask_workers, results, workdir, sample_s, log_every,
                   uptime_every_s, keep, dask_defaults)
        key = (e["kind"], jobs)
        first.setdefault(key, e)
        f = first[key]
        ratio = ("[reference]" if f is e else
                 f"{e['peak_tree_pss_mib'] / f['peak_tree_pss_mib']:.2f}x the {f['records']}-record tree PSS")
        label = f"{e['kind']} n_jobs={jobs}" if not dask_workers else e["kind"]
        print(f"stream {n:>7} records ({label}): {e['records_per_s']:6.2f} records/s, {e['wall_s']:8.1f} s; "
              f"peak tree PSS {e['peak_tree_pss_mib']:7.1f} MiB, tree RSS {e['peak_tree_rss_mib']:7.1f} MiB, "
              f"main process {e['peak_main_rss_mib']:6.1f} MiB; tree RSS {e['rss_growth_mib_per_1000']:+.1f} MiB per "
              f"1,000 records; {e['chunk_files']} chunk files  {ratio}",
              flush=True)
        if dask_workers:
            same = [s for s in results.data["streams"] if s["kind"] == "joblib" and s["n_jobs"] == jobs
                    and s["records"] == n and s["status"] == "done"]
            if same:
                print(f"  Dask {dask_workers} workers / joblib n_jobs={jobs} at {n} records: "
                      f"{e['records_per_s'] / same[0]['records_per_s']:.2f}x", flush=True)
        project(results, results.data.get("project_records", 800_000))
    results.uptime()
    results.save()


def plot(json_path: str, png: str) -> None:
    """Memory curve from ``json_path``: peak tree memory per size, and memory during the largest run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.loads(Path(json_path).read_text())
    streams = [s for s in data["streams"] if s["samples"]]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8.0, 3.2), dpi=80)
    groups: dict[str, list[dict]] = {}
    for s in streams:
        label = (f"Dask, {s['n_jobs']} workers" if s["kind"].startswith("dask")
                 else f"joblib n_jobs={s['n_jobs']}")
        groups.setdefault(label, []).append(s)
    for label, ss in groups.items():
        ss = sorted(ss, key=lambda s: s["records"])
        x = [s["records_done"] if s["status"] != "done" else s["records"] for s in ss]
        (line,) = ax1.plot(x, [s["peak_tree_pss_mib"] for s in ss], marker="o", label=label + ", PSS")
        ax1.plot(x, [s["peak_tree_rss_mib"] for s in ss], marker="x", ls="--", color=line.get_color(),
                 label=label + ", RSS sum")
        for s, xi in zip(ss, x):
            if s["status"] != "done":
                ax1.annotate(f"stopped at {xi:,}", (xi, s["peak_tree_pss_mib"]), fontsize=7)
    ax1.set_xscale("log")
    ax1.set_ylim(bottom=0)
    ax1.set_xlabel("records streamed")
    ax1.set_ylabel("peak process-tree memory (MiB)")
    ax1.legend(fontsize=7, loc="lower right")
    ax1.grid(alpha=0.3)
    joblib_runs = [s for s in streams if s["kind"] == "joblib"]
    if joblib_runs:
        big = max(joblib_runs, key=lambda s: (s["records"], s["n_jobs"]))
        a = np.asarray(big["samples"], float)
        ax2.plot(a[:, 0] / 60, a[:, 3], lw=0.8, label="tree PSS")
        ax2.plot(a[:, 0] / 60, a[:, 2], lw=0.8, ls="--", label="tree RSS sum")
        ax2b = ax2.twinx()
        ax2b.plot(a[:, 0] / 60, a[:, 1] / 1000, color="grey", lw=0.8, label="records done")
        ax2b.set_ylabel("records done (thousands)", fontsize=8)
        ax2.set_title(f"during the {big['records']:,}-record run (n_jobs={big['n_jobs']})", fontsize=9)
        ax2.set_xlabel("minutes")
        ax2.set_ylabel("MiB")
        ax2.set_ylim(bottom=0)
        ax2b.set_ylim(bottom=0)
        ax2.legend(fontsize=7, loc="lower right")
        ax2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png)
    print(f"wrote {png}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=120, help="records for the throughput runs (0: skip)")
    ap.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000], help="cohort sizes for the memory runs")
    ap.add_argument("--pool", type=int, default=48, help="distinct simulated records cycled through")
    ap.add_argument("--chunk-size", type=int, default=8, help="records per chunk in the throughput runs")
    ap.add_argument("--stream-chunk-size", type=int, default=DEFAULT_CHUNK, help="records per chunk when streaming")
    ap.add_argument("--n-jobs", type=int, default=1, help="local processes for the streams (and Dask workers)")
    ap.add_argument("--ref-jobs1", type=int, default=0, help="also stream this many records with n_jobs=1")
    ap.add_argument("--dask-records", type=int, default=0, help="also stream this many records on a Dask LocalCluster")
    ap.add_argument("--stage-sample", type=int, default=0, help="records for the per-stage profile (0: skip)")
    ap.add_argument("--wfdb-dir", default=None, help="PTB-XL records500 folder for the file-read figure "
                    "(default: the shared data's, when present)")
    ap.add_argument("--project", type=int, default=800_000, help="records for the wall-time projection")
    ap.add_argument("--json", default=None, help="write every figure here (and a .csv of the streams)")
    ap.add_argument("--workdir", default=None, help="folder for the temporary chunk files")
    ap.add_argument("--keep", default=None, help="keep each stream's chunks in this folder and resume a stopped "
                                                 "stream from them when run again (records/s counts this run's)")
    ap.add_argument("--sample-s", type=float, default=1.0, help="memory sampling interval (s)")
    ap.add_argument("--log-every", type=int, default=2048, help="log progress every this many records")
    ap.add_argument("--uptime-every", type=float, default=300.0, help="record `uptime` every this many seconds")
    ap.add_argument("--no-dask", action="store_true", help="skip the Dask throughput runs")
    ap.add_argument("--plot-from", nargs=2, metavar=("JSON", "PNG"), help="draw the memory curve and exit")
    ap.add_argument("--child", nargs=2, metavar=("N", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--dask-workers", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--dask-defaults", action="store_true",
                    help="start the Dask stream's LocalCluster under distributed's defaults (worker profiler on) "
                         "instead of interp_ecg.features.extract.DASK_WORKER_CONFIG")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for name in ("distributed", "dask", "interp_ecg"):
        logging.getLogger(name).setLevel(logging.ERROR)
    logger.setLevel(logging.INFO)
    if args.plot_from:
        plot(*args.plot_from)
        return
    if args.child:
        child(int(args.child[0]), args.child[1], args.pool, args.stream_chunk_size, args.n_jobs,
              args.dask_workers, args.dask_defaults)
        return
    results = Results(args.json)
    results.data["project_records"] = args.project
    results.uptime()
    results.save()
    print(f"cpu cores: {os.cpu_count()}; records: 12-lead, 10 s, 500 Hz (interp_ecg.simulate); {_uptime()}",
          flush=True)
    pool = make_pool(args.pool)
    if args.stage_sample:
        wfdb_dir = Path(args.wfdb_dir) if args.wfdb_dir else Path(__file__).resolve().parents[2] / "shared" / "data" / "ptbxl" / "records500"
        stages(args.stage_sample, pool, results, wfdb_dir)
    if args.records:
        throughput(args.records, pool, args.chunk_size, dask=not args.no_dask)
    if args.sizes or args.ref_jobs1 or args.dask_records:
        memory(args.sizes, args.pool, args.stream_chunk_size, args.n_jobs, results, args.ref_jobs1,
               args.dask_records, args.workdir, args.sample_s, args.log_every, args.uptime_every, args.keep,
               args.dask_defaults)


if __name__ == "__main__":
    main()
