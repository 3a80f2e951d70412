"""Failed records in a resumable run: retry_failed re-measures read failures (user 6, finding 9),
and a record that kills its worker gets a failure row instead of stopping every run (9b)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import RecordReadError
from interp_ecg.features import extract, read_features
from interp_ecg.features.synthetic import OffsetDelineator, gaussian_ecg
from interp_ecg.io import EcgDataset, Record
from interp_ecg.io.leads import STANDARD_LEADS

FS = 500
N = 6


class FlakyLoader:
    """Record ``r2`` cannot be read while ``flag`` is missing (a mount that was away);
    ``killer`` ends the process measuring it (``os._exit(137)``, as an OOM kill does), unless
    that process is the one that made the loader and ``kill_here`` is False."""

    def __init__(self, flag: str = "", killer: str = "", kill_here: bool = False):
        self.flag, self.killer, self.kill_here = flag, killer, kill_here
        self._creator = os.getpid()

    def __call__(self, rid, row):
        i = int(str(rid)[1:])
        if self.flag and rid == "r2" and not os.path.exists(self.flag):
            raise RecordReadError("data file not found", source=f"/mnt/ecg/{rid}.dat")
        if rid == self.killer and (self.kill_here or os.getpid() != self._creator):
            os._exit(137)
        sig = gaussian_ecg(hr_bpm=60 + 5 * i, noise_mV=0.01, random_state=i)[0]
        return Record(str(rid), sig, float(FS), list(STANDARD_LEADS))


def _dataset(loader) -> EcgDataset:
    meta = pd.DataFrame({"patient_id": range(N)}, index=pd.Index([f"r{i}" for i in range(N)], name="record_id"))
    return EcgDataset(meta, loader, fs=FS, name="flaky")


def _run(ds, out=None, **kw):
    return extract(ds, out=out, chunk_size=2, progress=False, method=OffsetDelineator(), **kw)


# --------------------------------------------------------------------------- finding 9
def test_retry_failed_measures_only_the_read_failures_again(tmp_path):
    flag = tmp_path / "mounted"
    ds = _dataset(FlakyLoader(flag=str(flag)))
    out = tmp_path / "feat"
    first = _run(ds, out)
    assert not first.loc["r2", "quality_ok"] and first.loc["r2", "quality_error"] == "RecordReadError"
    flag.touch()  # the file is back
    stamps = {f.name: f.stat().st_mtime_ns for f in out.glob("chunk-*.parquet")}
    again = _run(ds, out)  # a plain resume keeps the failure
    assert again.loc["r2", "quality_error"] == "RecordReadError"
    retried = _run(ds, out, retry_failed=True)
    assert retried.loc["r2", "quality_ok"] and retried.loc["r2", "quality_error"] == ""
    np.testing.assert_allclose(retried.loc["r2", "heart_rate_bpm"], 70, atol=1)
    # the other rows are kept as they were; only the chunk holding r2 was rewritten
    pd.testing.assert_frame_equal(retried.drop(index="r2"), first.drop(index="r2"))
    after = {f.name: f.stat().st_mtime_ns for f in out.glob("chunk-*.parquet")}
    assert [n for n in stamps if after[n] != stamps[n]] == ["chunk-000001.parquet"]
    # equal to a run that never failed
    pd.testing.assert_frame_equal(retried, _run(ds))


def test_retry_failed_needs_out():
    from interp_ecg.errors import ConfigError

    with pytest.raises(ConfigError, match="give out="):
        _run(_dataset(FlakyLoader()), retry_failed=True)


# --------------------------------------------------------------------------- finding 9b
def test_a_record_that_kills_its_worker_gets_a_failure_row(tmp_path):
    ds = _dataset(FlakyLoader(killer="r3"))
    out = tmp_path / "feat"
    table = _run(ds, out, n_jobs=2)
    assert list(table.index) == [f"r{i}" for i in range(N)]
    row = table.loc["r3"]
    assert not row["quality_ok"] and row["quality_error"] == "WorkerDiedError"
    assert row["quality_reason"] == "worker died (exit 137) while measuring r3"
    reference = _run(_dataset(FlakyLoader()))
    pd.testing.assert_frame_equal(table.drop(index="r3"), reference.drop(index="r3"))
    assert not list(out.glob(".inflight-*"))
    pd.testing.assert_frame_equal(read_features(out), table)


@pytest.mark.slow
def test_in_memory_parallel_run_survives_a_worker_death():
    table = _run(_dataset(FlakyLoader(killer="r0")), n_jobs=2)
    assert table.loc["r0", "quality_error"] == "WorkerDiedError"
    assert table.drop(index="r0")["quality_ok"].all()


SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from test_stream_failures import FlakyLoader, _dataset, _run
    if __name__ == "__main__":
        _run(_dataset(FlakyLoader(killer="r3", kill_here=True)), sys.argv[1], n_jobs=1)
    """
)


def test_in_process_death_is_named_and_flagged_on_resume(tmp_path, caplog):
    """n_jobs=1: the run dies with its record; the resume measures that record alone first."""
    import logging

    script = tmp_path / "run.py"
    script.write_text(SCRIPT.format(tests=os.path.dirname(__file__)))
    out = tmp_path / "feat"
    proc = subprocess.run([sys.executable, str(script), str(out)], timeout=300)
    assert proc.returncode == 137
    assert len(list(out.glob(".inflight-000001-*.json"))) == 1
    with caplog.at_level(logging.WARNING, "interp_ecg.features.extract"):
        table = _run(_dataset(FlakyLoader(killer="r3", kill_here=True)), out, n_jobs=1)
    assert ("a previous run on this folder died while record r3 (chunk 1, records 'r2'..'r3') was being "
            "measured" in caplog.text)
    assert table.loc["r3", "quality_reason"] == "worker died (exit 137) while measuring r3"
    assert table.drop(index="r3")["quality_ok"].all() and len(table) == N


# --------------------------------------------------------------------------- finding 14
def test_duplicate_ids_are_named_and_counted():
    from interp_ecg.errors import ConfigError

    ids = ["a", "b", "a", "c", "b", "a", *[f"x{i}" for i in range(8)], *[f"x{i}" for i in range(8)]]
    meta = pd.DataFrame({"patient_id": range(len(ids))}, index=pd.Index(ids, name="record_id"))
    ds = EcgDataset(meta, FlakyLoader(), fs=FS, name="dups")
    with pytest.raises(ConfigError) as info:
        _run(ds)
    msg = str(info.value)
    assert "10 id(s) appear more than once (21 rows)" in msg
    assert "'a' x3, 'b' x2, 'x0' x2, 'x1' x2, 'x2' x2 ..." in msg


# --------------------------------------------------------------------------- concurrent start
def test_a_second_store_keeps_the_live_temporary_files_of_another_process(tmp_path):
    """Only temporary files of dead processes are removed when a store opens a folder."""
    from interp_ecg.features.stream import ChunkStore

    ChunkStore(tmp_path, ids=["a", "b"], chunk_size=1)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = tmp_path / f".chunk-000000.parquet.tmp-{os.getppid()}-0123abcd"
    stale = tmp_path / f".chunk-000001.parquet.tmp-{dead.pid}-0123abcd"
    stale_marker = tmp_path / f".inflight-000001-{dead.pid}.json.tmp-0123abcd"
    for f in (live, stale, stale_marker):
        f.write_bytes(b"PAR1")
    ChunkStore(tmp_path, ids=["a", "b"], chunk_size=1)
    assert live.exists() and not stale.exists() and not stale_marker.exists()
