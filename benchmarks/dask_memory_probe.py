"""Which process grows during a Dask ``extract`` stream: RSS of each process over time.

Streams ``N`` synthetic pool records (as ``extract_scale.py``) to Parquet on a
``LocalCluster`` with 2 worker processes (1 thread each), sampling every 2 s the RSS, PSS
and USS of the main process (client, scheduler and nannies live there), each worker and
the resource tracker, with the number of chunk files written. After the run it asks the
client, scheduler and workers what they still hold (futures, tasks, data) and the size of
each worker's profiler history. Prints, per process, the mean RSS of the first and last
quarter of the samples; ``--json`` keeps every sample.

The cluster runs under distributed's defaults unless ``--package-config`` (the package's
``DASK_WORKER_CONFIG``: worker profiler off); other settings through Dask's environment
variables, e.g. ``DASK_DISTRIBUTED__ADMIN__LOW_LEVEL_LOG_LENGTH=60``.

Usage::

    python benchmarks/dask_memory_probe.py 3000                     # distributed's defaults
    python benchmarks/dask_memory_probe.py 3000 --package-config    # profiler off
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _role(p, me) -> str:
    if p.pid == me.pid:
        return "main"
    cmd = " ".join(p.cmdline())
    if "resource_tracker" in cmd:
        return "resource-tracker"
    return "worker" if "spawn_main" in cmd else "other"


def _sampler(out: Path, samples: list, stop: threading.Event, every_s: float) -> None:
    import psutil

    me = psutil.Process()
    t0 = time.time()
    while not stop.is_set():
        row = {"t": round(time.time() - t0, 1),
               "files": len(list(out.glob("chunk-*.parquet"))) if out.exists() else 0}
        for p in [me, *me.children(recursive=True)]:
            try:
                mi = p.memory_full_info()
                row[f"{_role(p, me)}:{p.pid}"] = [round(v / 2**20, 1) for v in (mi.rss, mi.pss, mi.uss)]
            except psutil.Error:
                continue
        samples.append(row)
        stop.wait(every_s)


def _profile_history(dask_worker) -> tuple[int, float]:
    import pickle

    return len(dask_worker.profile_history), len(pickle.dumps(list(dask_worker.profile_history))) / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("records", type=int)
    ap.add_argument("--chunk-size", type=int, default=256)
    ap.add_argument("--package-config", action="store_true", help="cluster under DASK_WORKER_CONFIG")
    ap.add_argument("--every", type=float, default=2.0, help="sampling interval (s)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    import dask
    from distributed import Client, LocalCluster

    import extract_scale as bench
    from interp_ecg.features import extract
    from interp_ecg.features.extract import DASK_WORKER_CONFIG

    bench._quiet_dask()
    ds = bench.make_dataset(args.records, bench.make_pool(48))
    samples: list = []
    stop = threading.Event()
    with tempfile.TemporaryDirectory() as tmp, dask.config.set(DASK_WORKER_CONFIG if args.package_config else {}):
        out = Path(tmp) / "f"
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
                Client(cluster) as client:
            th = threading.Thread(target=_sampler, args=(out, samples, stop, args.every), daemon=True)
            th.start()
            t0 = time.perf_counter()
            extract(ds, out=out, chunk_size=args.chunk_size, scheduler=client, progress=False, load=False)
            dt = time.perf_counter() - t0
            time.sleep(args.every + 0.5)
            stop.set()
            th.join()
            held = {"client_futures": len(client.futures),
                    "scheduler_tasks": client.run_on_scheduler(lambda dask_scheduler: len(dask_scheduler.tasks)),
                    "worker_data": sum(client.run(lambda dask_worker: len(dask_worker.data)).values()),
                    "worker_tasks": sum(client.run(lambda dask_worker: len(dask_worker.state.tasks)).values()),
                    "profile_history_n_pickled_mib": client.run(_profile_history)}
    print(f"{args.records} records in {dt:.1f} s ({args.records / dt:.2f} records/s), "
          f"{'DASK_WORKER_CONFIG' if args.package_config else 'distributed defaults'}; left after the run: {held}")
    keys = sorted({k for s in samples for k in s if ":" in k})
    for k in keys:
        rss = [s[k][0] for s in samples if k in s]
        if len(rss) >= 4:
            q = len(rss) // 4
            print(f"  {k:24s} RSS first quarter {np.mean(rss[:q]):7.1f} MiB, last quarter "
                  f"{np.mean(rss[-q:]):7.1f} MiB, max {max(rss):7.1f} MiB")
    tree = [sum(v[0] for k, v in s.items() if ":" in k) for s in samples]
    q = max(1, len(tree) // 4)
    print(f"  tree RSS first quarter {np.mean(tree[:q]):.1f} MiB, last quarter {np.mean(tree[-q:]):.1f} MiB, "
          f"max {max(tree):.1f} MiB")
    if args.json:
        Path(args.json).write_text(json.dumps({"records": args.records, "seconds": dt, "held": held,
                                               "samples": samples}, indent=1))


if __name__ == "__main__":
    main()
