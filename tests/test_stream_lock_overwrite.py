"""A chunk folder is locked by the run writing it; --overwrite removes the earlier run's OUT.

Two runs on one --out both measured every record (no lock); --overwrite deleted the old chunks
but left the old OUT, so a rerun killed before its end left another dataset's table at OUT.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

import interp_ecg.features as features_pkg
from interp_ecg.cli import app
from interp_ecg.errors import ConfigError
from interp_ecg.features.stream import LOCK, ChunkStore


def test_second_process_is_refused_while_the_first_writes(tmp_path):
    code = ("import sys, time; from interp_ecg.features.stream import ChunkStore; "
            f"s = ChunkStore({str(tmp_path)!r}, ids=['a', 'b'], chunk_size=1); print('locked', flush=True); "
            "time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError, match=rf"another run \(pid {proc.pid}\) is writing this output folder"):
            ChunkStore(tmp_path, ids=["a", "b"], chunk_size=1)
    finally:
        proc.kill()  # the lock goes with the process, however it ends
        proc.wait()
    store = ChunkStore(tmp_path, ids=["a", "b"], chunk_size=1)
    assert store.pending() == [0, 1]
    assert (tmp_path / LOCK).exists()
    store.close()


def test_same_process_may_open_the_folder_again(tmp_path):
    first = ChunkStore(tmp_path, ids=["a"], chunk_size=1)
    second = ChunkStore(tmp_path, ids=["a"], chunk_size=1)  # e.g. a store held by a traceback
    assert second.pending() == [0]
    first.close()
    second.close()


def test_overwrite_removes_old_run_notes(tmp_path):
    (tmp_path / "_run-1.json").write_text("{}")
    ChunkStore(tmp_path, ids=["a"], chunk_size=1, overwrite=True).close()
    assert not (tmp_path / "_run-1.json").exists()


def test_overwrite_removes_the_old_table_before_measuring(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    import numpy as np
    import wfdb

    t = np.arange(5000) / 500
    wfdb.wrsamp("r1", fs=500, units=["mV"], sig_name=["II"], p_signal=np.sin(2 * np.pi * t)[:, None],
                fmt=["16"], write_dir=str(data))
    out = tmp_path / "f.parquet"
    pd.DataFrame({"x": [1.0]}, index=pd.Index(["other_dataset_record"], name="record_id")).to_parquet(out)

    def killed(*args, **kwargs):
        raise RuntimeError("killed mid-run")

    monkeypatch.setattr(features_pkg, "extract", killed)
    res = CliRunner().invoke(app, ["features", str(data), "--out", str(out), "--overwrite"])
    assert res.exit_code != 0
    assert not out.exists()  # was: the earlier dataset's table, beside the new run's chunks
