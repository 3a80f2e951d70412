"""extract at scale: joblib, Dask, streamed Parquet chunks, resume after SIGKILL, bad input."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import ConfigError, IntegrityError
from interp_ecg.features import FiducialFeatures, extract, extract_beats, read_features
from interp_ecg.features.synthetic import OffsetDelineator, gaussian_ecg
from interp_ecg.io import ArrayLoader, EcgDataset, Record
from interp_ecg.io.leads import STANDARD_LEADS

FS = 500
HRS = [55, 60, 65, 70, 75, 80, 85, 90, 95, 100, 105, 110]


def synthetic_dataset(n: int = 12, seed: int = 0) -> EcgDataset:
    sigs = np.stack([gaussian_ecg(hr_bpm=HRS[i % len(HRS)], noise_mV=0.01, random_state=seed + i)[0]
                     for i in range(n)])
    meta = pd.DataFrame({"patient_id": np.arange(n)}, index=pd.Index([f"r{i:03d}" for i in range(n)], name="record_id"))
    return EcgDataset(meta, ArrayLoader(sigs, fs=FS), fs=FS, name="synthetic")


@pytest.fixture(scope="module")
def small():
    ds = synthetic_dataset()
    return ds, extract(ds, progress=False, method=OffsetDelineator(), chunk_size=5)


def test_one_row_per_record_with_known_heart_rate(small):
    ds, table = small
    assert list(table.index) == list(ds.meta.index)
    assert table["quality_ok"].all()
    np.testing.assert_allclose(table["heart_rate_bpm"], [HRS[i % 12] for i in range(len(ds))], atol=1.0)
    np.testing.assert_allclose(table["QRS_duration_ms"], 96, atol=2)


def test_n_jobs_gives_the_same_table(small):
    ds, table = small
    par = extract(ds, n_jobs=2, progress=False, method=OffsetDelineator(), chunk_size=3)
    pd.testing.assert_frame_equal(par, table)


def test_dask_local_cluster_gives_the_same_table(small):
    distributed = pytest.importorskip("distributed")
    ds, table = small
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        out = extract(ds, scheduler=client, progress=False, method=OffsetDelineator(), chunk_size=4)
        # a second run on the same client (same scattered content) must not lose its data
        extract(synthetic_dataset(2), scheduler=client, progress=False, method=OffsetDelineator())
        again = extract(ds, scheduler=client, progress=False, method=OffsetDelineator(), chunk_size=6)
    pd.testing.assert_frame_equal(out, table)
    pd.testing.assert_frame_equal(again, table)


def test_dask_path_releases_every_result_and_keeps_no_futures(small, tmp_path):
    """After a streamed Dask run nothing of it is left: no future in the client, no task or
    data on the scheduler or the workers (the frames went to Parquet), and the table is the
    in-process one."""
    distributed = pytest.importorskip("distributed")
    ds, table = small
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        res = extract(ds, scheduler=client, progress=False, method=OffsetDelineator(), chunk_size=2,
                      out=tmp_path / "f")
        left = (len(client.futures), len(cluster.scheduler.tasks),
                sum(len(w.data) for w in cluster.workers.values()))
    assert left == (0, 0, 0)
    assert len(list((tmp_path / "f").glob("chunk-*.parquet"))) == 6
    pd.testing.assert_frame_equal(res, table)


def test_dask_profiler_history_is_noted_and_the_package_config_turns_it_off(small, caplog):
    """distributed's worker profiler keeps 1,000 one-second call trees per worker (the Dask
    memory growth of docs/results_scale.md): extract says so, and DASK_WORKER_CONFIG turns it off."""
    import logging

    import dask

    distributed = pytest.importorskip("distributed")
    from interp_ecg.features.extract import DASK_WORKER_CONFIG

    ds, table = small
    sub = EcgDataset(ds.meta.iloc[:2], ds.loader, fs=FS, name="synthetic")
    seen = {}
    for name, config in (("default", {}), ("package", DASK_WORKER_CONFIG)):
        caplog.clear()
        with dask.config.set(config), distributed.LocalCluster(
                n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster, \
                distributed.Client(cluster) as client, caplog.at_level(logging.INFO, "interp_ecg.features.extract"):
            out = extract(sub, scheduler=client, progress=False, method=OffsetDelineator())
            profiling = ["profile" in w.periodic_callbacks for w in cluster.workers.values()]
        pd.testing.assert_frame_equal(out, table.iloc[:2])
        seen[name] = (profiling, any("DASK_WORKER_CONFIG" in r.getMessage() for r in caplog.records))
    assert seen == {"default": ([True], True), "package": ([False], False)}


def test_streamed_parquet_equals_in_memory_and_skips_finished_chunks(small, tmp_path):
    ds, table = small
    out = tmp_path / "feat"
    res = extract(ds, out=out, progress=False, method=OffsetDelineator(), chunk_size=5)
    files = sorted(out.glob("chunk-*.parquet"))
    assert len(files) == 3 and not list(out.glob(".chunk-*"))
    pd.testing.assert_frame_equal(res, table)
    pd.testing.assert_frame_equal(read_features(out), table)
    before = {f.name: f.stat().st_mtime_ns for f in files}
    files[1].unlink()
    with pytest.raises(IntegrityError, match="missing"):
        read_features(out)
    again = extract(ds, out=out, progress=False, method=OffsetDelineator(), chunk_size=5)
    pd.testing.assert_frame_equal(again, table)
    after = {f.name: f.stat().st_mtime_ns for f in sorted(out.glob("chunk-*.parquet"))}
    assert after[files[0].name] == before[files[0].name]  # not rewritten
    with pytest.raises(ConfigError, match="another run"):
        extract(ds, out=out, progress=False, method=OffsetDelineator(), chunk_size=4)


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np, pandas as pd
    from interp_ecg.io import ArrayLoader, EcgDataset
    from interp_ecg.features import extract
    from interp_ecg.features.synthetic import OffsetDelineator, gaussian_ecg

    class Slow(OffsetDelineator):
        def __init__(self, pause):
            super().__init__()
            self.pause = pause
        def __call__(self, signal, fs, leads):
            time.sleep(self.pause)
            return super().__call__(signal, fs, leads)

    n = 24
    sigs = np.stack([gaussian_ecg(hr_bpm=50 + 3 * i, duration_s=5, noise_mV=0.01, random_state=i)[0]
                     for i in range(n)])
    meta = pd.DataFrame({"patient_id": np.arange(n)}, index=pd.Index([f"r{i:03d}" for i in range(n)], name="record_id"))
    ds = EcgDataset(meta, ArrayLoader(sigs, fs=500), fs=500)
    if __name__ == "__main__":
        extract(ds, out=sys.argv[1], chunk_size=3, method=Slow(float(sys.argv[2])), progress=False,
                load=False)
    """
)


def test_resume_after_sigkill_gives_identical_output(tmp_path):
    script = tmp_path / "run_extract.py"
    script.write_text(KILL_SCRIPT)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(script), str(out), "0.1"], env=env)
    deadline = time.time() + 90
    while time.time() < deadline and len(list(out.glob("chunk-*.parquet"))) < 2:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = sorted(out.glob("chunk-*.parquet"))
    assert 2 <= len(done) < 8, "the run must be killed part-way"
    stamps = {f.name: f.stat().st_mtime_ns for f in done}
    with pytest.raises(IntegrityError):
        read_features(out)
    subprocess.run([sys.executable, str(script), str(out), "0"], check=True, env=env, timeout=120)
    for name, stamp in stamps.items():  # finished chunks were skipped, not redone
        assert (out / name).stat().st_mtime_ns == stamp
    import importlib.util

    spec = importlib.util.spec_from_file_location("run_extract_ref", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # same records, extracted uninterrupted in this process
    reference = extract(module.ds, chunk_size=3, method=OffsetDelineator(), progress=False)
    resumed = read_features(out)
    assert resumed.index.is_unique and len(resumed) == 24
    pd.testing.assert_frame_equal(resumed, reference)
    assert not list(out.glob(".chunk-*"))


def test_fiducial_features_in_a_pipeline():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    ds = synthetic_dataset(8)
    X = ds.to_array()
    y = np.array([hr >= 80 for hr in HRS[:8]])
    ff = FiducialFeatures(fs=FS, method=OffsetDelineator())
    pipe = Pipeline([("ff", ff), ("impute", SimpleImputer(keep_empty_features=True)),
                     ("clf", LogisticRegression(max_iter=500))]).set_output(transform="pandas")
    pipe.fit(X, y)
    assert pipe.predict_proba(X).shape == (8, 2)
    Z = pipe.named_steps["ff"].transform(X)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == list(pipe.named_steps["ff"].get_feature_names_out())
    assert "quality_reason" not in Z.columns and Z.dtypes.eq("float64").all()
    Zd = FiducialFeatures(method=OffsetDelineator()).fit(ds).transform(ds)
    assert isinstance(Zd, np.ndarray) and Zd.shape == Z.shape
    with pytest.raises(ConfigError, match="fs"):
        FiducialFeatures().fit(X).transform(X)


def test_beat_table_for_a_dataset(small):
    ds, _ = small
    beats = extract_beats(ds.subset(["r000", "r001"]), method=OffsetDelineator())
    assert set(beats["record_id"]) == {"r000", "r001"}
    assert set(beats["lead"]) == {*STANDARD_LEADS, "global"}


# --------------------------------------------------------------------------- bad input
class _FsLoader:
    """Loader giving records with a missing or wrong sampling rate (picklable)."""

    def __call__(self, record_id, row):
        sig = gaussian_ecg(hr_bpm=60, noise_mV=0.01)[0]
        fs = {"nofs": float("nan"), "zerofs": 0.0, "ok": 500.0}[record_id]
        return Record(str(record_id), sig, fs, list(STANDARD_LEADS), source=f"mem/{record_id}")


def test_missing_or_invalid_sampling_rate_in_batch():
    meta = pd.DataFrame(index=pd.Index(["nofs", "zerofs", "ok"], name="record_id"))
    ds = EcgDataset(meta, _FsLoader(), fs=500)
    t = extract(ds, progress=False, method=OffsetDelineator())
    assert t.loc["ok", "quality_ok"] and not t.loc["nofs", "quality_ok"] and not t.loc["zerofs", "quality_ok"]
    assert t.loc["nofs", "quality_error"] == "SamplingRateError"
    assert t.loc[["nofs", "zerofs"], "heart_rate_bpm"].isna().all()


@pytest.fixture(scope="module")
def bad_wfdb_folder(tmp_path_factory, ptbxl_root):
    import wfdb

    src = ptbxl_root / "records500" / "00000" / "00001_hr"
    root = tmp_path_factory.mktemp("badwfdb")
    rec = wfdb.rdrecord(str(src))
    sig = rec.p_signal.T.astype(np.float64)  # (leads, samples)
    names = list(rec.sig_name)
    kw = dict(fs=500, units=["mV"] * 12, fmt=["16"] * 12, adc_gain=[1000.0] * 12, baseline=[0] * 12)

    def write(name, p_signal, sig_name=names, **extra):
        args = {**kw, **extra}
        n = p_signal.shape[0]
        for key in ("units", "fmt", "adc_gain", "baseline"):
            args[key] = args[key][:n]
        wfdb.wrsamp(name, p_signal=np.ascontiguousarray(p_signal.T), sig_name=list(sig_name),
                    write_dir=str(root), **args)

    for ext in (".hea", ".dat"):
        shutil.copy(f"{src}{ext}", root / f"good{ext}")
    shutil.copy(f"{src}.hea", root / "truncated.hea")
    data = (Path(f"{src}.dat")).read_bytes()
    (root / "truncated.dat").write_bytes(data[: len(data) // 2])
    shutil.copy(f"{src}.hea", root / "missingdat.hea")
    for ext in (".hea", ".dat"):
        shutil.copy(f"{src}{ext}", root / f"mismatch{ext}")
    hea = (root / "mismatch.hea").read_text().splitlines()
    first = hea[0].split()
    first[3] = str(int(first[3]) * 2)  # header promises twice the samples the .dat holds
    (root / "mismatch.hea").write_text("\n".join([" ".join(first), *hea[1:]]) + "\n")
    # files named by each record point at their own .dat
    for name in ("good", "truncated", "missingdat", "mismatch"):
        text = (root / f"{name}.hea").read_text().replace("00001_hr", name)
        (root / f"{name}.hea").write_text(text)
    nan = sig.copy()
    nan[2, 1000:1100] = np.nan  # a 200 ms gap in III: that lead is set aside (issue 10 policy)
    write("nan", nan)
    allnan = sig.copy()
    # a 200 ms gap in every lead, at a different time in each: every lead set aside, no
    # usable lead remains (the same gap in every lead at once is an all-lead dropout gap,
    # measured with the gap named: tests/test_nan_dropout_gap.py)
    for i in range(allnan.shape[0]):
        allnan[i, 1000 + 120 * i:1100 + 120 * i] = np.nan
    write("allnan", allnan)
    write("duplead", sig)
    lines = (root / "duplead.hea").read_text().splitlines()
    lines[12] = lines[12].rsplit(" ", 1)[0] + " I"  # the last channel claims to be lead I too
    (root / "duplead.hea").write_text("\n".join(lines) + "\n")
    write("missinglead", sig[:6], sig_name=names[:6])
    write("wrongfs", sig[:, ::2], fs=250)
    write("flat", np.zeros_like(sig))
    clipped = sig.copy()
    clipped[1] = np.clip(clipped[1], -0.1, 0.15)
    write("clipped", clipped)
    onebeat, _ = gaussian_ecg(hr_bpm=30, duration_s=3.0, noise_mV=0.01)
    write("fewbeats", onebeat.astype(np.float64))
    write("short", sig[:, :500])
    return root


EXPECTED = {
    "truncated": "RecordReadError",
    "missingdat": "RecordReadError",
    "mismatch": "RecordReadError",
    "allnan": "SignalQualityError",
    "duplead": "LeadError",
    "missinglead": "LeadError",
    "wrongfs": "SamplingRateError",
    "flat": "SignalQualityError",
    "fewbeats": "DelineationError",
    "short": "SignalQualityError",
}


@pytest.mark.shared_data
def test_every_bad_input_gives_nan_features_and_a_reason(bad_wfdb_folder, caplog):
    from interp_ecg.io import read_wfdb

    ds = read_wfdb(bad_wfdb_folder, expected_fs=500, required_leads=STANDARD_LEADS)
    with caplog.at_level("WARNING"):
        t = extract(ds, progress=False)
    assert set(t.index) == {*EXPECTED, "good", "clipped", "nan"}
    assert t.loc["good", "quality_ok"] and t.loc["clipped", "quality_ok"]
    # NaN samples are loaded and go through the invalid-sample policy (not refused at load)
    assert t.loc["nan", "quality_ok"]
    assert "set aside for invalid samples: III" in t.loc["nan", "quality_reason"]
    assert np.isnan(t.loc["nan", "R_amp_mV_III"]) and np.isfinite(t.loc["nan", "R_amp_mV_II"])
    assert "no usable lead" in t.loc["allnan", "quality_reason"]
    assert t.loc["clipped", "quality_clipped_leads"] == "II"
    assert np.isnan(t.loc["clipped", "R_amp_mV_II"]) and np.isfinite(t.loc["clipped", "R_amp_mV_V5"])
    features = [c for c in t.columns if c in set(t.columns[: t.columns.get_loc("quality_ok")])]
    for name, error in EXPECTED.items():
        row = t.loc[name]
        assert not row["quality_ok"], name
        assert row["quality_error"] == error, (name, row["quality_error"], row["quality_reason"])
        assert row["quality_reason"], name
        assert row[features].astype(float).isna().all(), name
        assert name in caplog.text
    # the same record through the single-record call raises the error
    from interp_ecg import errors
    from interp_ecg.features import extract_record

    with pytest.raises(errors.DelineationError, match="too few beats"):
        extract_record(ds.load("fewbeats"))
    with pytest.raises(errors.RecordReadError):
        extract_record(ds.load("truncated"))


@pytest.mark.shared_data
def test_unreadable_mat_and_unknown_format_through_extract(cinc_root, ptbxl_root, tmp_path):
    from interp_ecg.io import read_cinc, read_wfdb

    for ext in (".hea", ".mat"):
        shutil.copy(cinc_root / f"E07500{ext}", tmp_path / f"E07500{ext}")
        shutil.copy(cinc_root / f"E07501{ext}", tmp_path / f"E07501{ext}")
    (tmp_path / "E07501.mat").write_bytes(b"this is not a MATLAB file" * 100)
    t = extract(read_cinc(tmp_path), progress=False)
    assert t.loc["E07500", "quality_ok"]
    assert not t.loc["E07501", "quality_ok"] and t.loc["E07501", "quality_error"] == "RecordReadError"
    assert np.isnan(t.loc["E07501", "QRS_duration_ms"])

    wf = tmp_path / "wfdb"
    wf.mkdir()
    src = ptbxl_root / "records500" / "00000" / "00001_hr"
    shutil.copy(f"{src}.dat", wf / "odd.dat")
    text = Path(f"{src}.hea").read_text().replace("00001_hr.dat 16", "odd.dat 999").replace("00001_hr", "odd")
    (wf / "odd.hea").write_text(text)  # storage format 999 does not exist
    t = extract(read_wfdb(wf), progress=False)
    assert not t.loc["odd", "quality_ok"] and t.loc["odd", "quality_error"] == "RecordReadError"
    assert t.loc["odd", "quality_reason"]


MEMORY_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np, pandas as pd
    from interp_ecg.io import EcgDataset, Record
    from interp_ecg.io.leads import STANDARD_LEADS
    from interp_ecg.features import extract
    from interp_ecg.features.synthetic import OffsetDelineator, gaussian_ecg

    class Pool:
        def __init__(self):
            self.pool = [gaussian_ecg(hr_bpm=50 + 5 * i, noise_mV=0.01, random_state=i)[0] for i in range(8)]
        def __call__(self, rid, row):
            return Record(str(rid), self.pool[int(rid) % 8], 500.0, list(STANDARD_LEADS))

    n = int(sys.argv[2])
    meta = pd.DataFrame(index=pd.Index(np.arange(n), name="record_id"))
    extract(EcgDataset(meta, Pool(), fs=500), out=sys.argv[1], chunk_size=100,
            method=OffsetDelineator(), progress=False, load=False)
    """
)


@pytest.mark.slow
def test_streaming_peak_memory_is_flat(tmp_path):
    """Peak RSS of a fresh process streaming 3,000 records stays within 15 % of 300 records."""
    script = tmp_path / "mem.py"
    script.write_text(MEMORY_SCRIPT)
    peaks = {}
    for n in (300, 3000):
        proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / f"out{n}"), str(n)])
        _, status, usage = os.wait4(proc.pid, 0)
        assert status == 0
        peaks[n] = usage.ru_maxrss
        assert len(read_features(tmp_path / f"out{n}")) == n
    assert peaks[3000] < 1.15 * peaks[300], peaks


def test_extract_logs_progress_at_info(monkeypatch, caplog):
    """Long extractions say where they are in the log (studies run without a progress bar)."""
    import logging

    import importlib

    from interp_ecg.simulate import simulate_batch

    extract_module = importlib.import_module("interp_ecg.features.extract")

    monkeypatch.setattr(extract_module, "PROGRESS_EVERY_S", 0.0)
    X, _, _ = simulate_batch(["normal", "afib", "normal"], fs=500, duration=10.0, random_state=0)
    meta = pd.DataFrame({"patient_id": [0, 1, 2]}, index=pd.Index([0, 1, 2], name="record_id"))
    ds = EcgDataset(meta, ArrayLoader(X, 500.0, list(STANDARD_LEADS)), fs=500.0, name="three")
    with caplog.at_level(logging.INFO, logger="interp_ecg.features.extract"):
        extract_module.extract(ds, n_jobs=1, progress=False, chunk_size=1)
    msgs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("extract features:")]
    assert msgs[-1].startswith("extract features: 3 of 3 records")
