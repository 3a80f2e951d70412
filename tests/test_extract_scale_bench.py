"""Helpers of ``benchmarks/extract_scale.py``: the projection arithmetic, process-tree memory, results file."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import time
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "extract_scale.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("extract_scale_bench", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _stream(kind, n_jobs, records, rate, status="done"):
    return {"kind": kind, "n_jobs": n_jobs, "records": records, "status": status, "records_per_s": rate}


def test_projection_is_linear_in_cores_at_the_measured_efficiency(bench, tmp_path):
    res = bench.Results(str(tmp_path / "r.json"))
    res.data["streams"] = [
        _stream("joblib", 1, 1000, 10.0),
        _stream("joblib", 2, 1000, 12.0),
        _stream("joblib", 2, 10000, 15.0),  # the largest finished 2-core run is the base
        _stream("joblib", 2, 100000, None, status="running"),  # unfinished: ignored
        _stream("dask-2-workers", 2, 10000, 40.0),  # not joblib: ignored
    ]
    out = bench.project(res, 800_000)
    assert out["base_records"] == 10000
    assert out["efficiency_1_to_2"] == pytest.approx(15.0 / 20.0)
    # rate on c cores = 10 records/s * c * 0.75
    for c in (2, 16, 64):
        assert out["hours"][str(c)] == pytest.approx(800_000 / (10.0 * c * 0.75) / 3600)
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["projection"]["hours"]["16"] == pytest.approx(out["hours"]["16"])
    assert (tmp_path / "r.csv").read_text().splitlines()[0].startswith("kind,n_jobs,records")


def test_projection_needs_a_finished_two_core_run(bench):
    res = bench.Results(None)
    res.data["streams"] = [_stream("joblib", 1, 1000, 10.0)]
    assert bench.project(res, 800_000) is None


def test_tree_memory_counts_child_processes(bench):
    psutil = pytest.importorskip("psutil")
    code = "import time; b = bytearray(64 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(30)"
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        me = psutil.Process()
        for _ in range(100):  # until the child has touched its 64 MiB
            rss, pss, n = bench.tree_memory(me)
            child = psutil.Process(proc.pid).memory_info().rss / 2**20
            if child > 64:
                break
            time.sleep(0.05)
        own = me.memory_info().rss / 2**20
        assert n >= 2
        assert rss >= own + 64
        assert 0 < pss <= rss
    finally:
        proc.kill()
        proc.wait()


def test_run_rate_counts_only_this_runs_records(bench):
    # a resumed stream: 28,928 records already in its folder, this run wrote 512 more in 20 s
    assert bench.run_rate(28_928 + 512, 28_928, 20.0) == pytest.approx(25.6)
    # at the first sample of a resumed run nothing new is written yet: 0, not 28,928 / 0.002
    assert bench.run_rate(28_928, 28_928, 0.002) == 0.0
    assert bench.run_rate(1000, 0, 50.0) == pytest.approx(20.0)  # a fresh run
    assert math.isnan(bench.run_rate(10, 0, 0.0))


def test_growth_per_1000_is_the_rss_slope_after_start_up(bench):
    # start-up samples (no chunk written yet) and shut-down ones are left out; then RSS 700 + 15 MiB per 1,000 records
    samples = [[0.5, 0, 300.0, 200.0, 1.0], [1.0, 0, 650.0, 400.0, 1.0]]
    samples += [[2.0 + i, 256 * i, 700.0 + 15.0 * 256 * i / 1000, 500.0, 1.0] for i in range(1, 40)]
    samples.append([45.0, 256 * 40, 300.0, 200.0, 1.0])  # all written: shut-down, left out
    assert bench.growth_per_1000(samples, 256, 256 * 40) == pytest.approx(15.0)
    flat = [[1.0 + i, 256 * i, 700.0 + (i % 2), 500.0, 1.0] for i in range(1, 40)]
    assert abs(bench.growth_per_1000(flat, 256, 256 * 40)) < 0.1
    assert math.isnan(bench.growth_per_1000(samples[:3], 256, 256 * 40))


def test_process_rss_names_the_main_process_and_its_children(bench):
    psutil = pytest.importorskip("psutil")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        out = bench.process_rss(psutil.Process())
        assert out["main"] > 0
        assert any(k.startswith(f"pid {proc.pid} ") for k in out)
    finally:
        proc.kill()
        proc.wait()
