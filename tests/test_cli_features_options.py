"""``interp-ecg features`` options and outcomes a new user found missing or wrong (user 6,
findings 13b, 14, 15): --overwrite and --chunk-size, --limit 0 / negative, --out under a
file, a run where no record could be measured, and MIMIC-IV-ECG's age and sex (--hosp)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from interp_ecg.cli import _unwrapped, app


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize("n", ["0", "-3"])
def test_limit_below_one_is_refused(runner, ludb_root, tmp_path, n):
    out = tmp_path / "f.parquet"
    res = runner.invoke(app, ["features", str(ludb_root), "--limit", n, "--out", str(out)])
    # before: --limit 0 measured every record, --limit -3 wrote an empty table with exit 0
    assert res.exit_code == 2
    assert res.stderr.strip() == (f"error: --limit {n}: give the number of records to measure, at least 1 "
                                  "(leave --limit out to measure every record)")
    assert not out.exists() and not out.with_suffix(".chunks").exists()


def test_out_under_a_file_is_a_plain_error(runner, ludb_root, tmp_path):
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "f.parquet"
    res = runner.invoke(app, ["features", str(ludb_root), "--limit", "1", "--out", str(out)])
    # before: exit 1, "error: unexpected NotADirectoryError: [Errno 20] ..."
    assert res.exit_code == 2
    assert res.stderr.strip() == (f"error: cannot make {tmp_path}/afile/f.chunks: {tmp_path}/afile is a file, "
                                  "not a folder")


def test_overwrite_and_chunk_size(runner, ludb_root, tmp_path):
    out = tmp_path / "f.parquet"
    assert runner.invoke(app, ["features", str(ludb_root), "--limit", "1", "--out", str(out)]).exit_code == 0
    again = runner.invoke(app, ["features", str(ludb_root), "--limit", "2", "--out", str(out)])
    # the advice names the option the command line has (before: "overwrite=True", no such option)
    assert again.exit_code == 2 and again.stderr.strip().lower().endswith("use a new folder or --overwrite")
    res = runner.invoke(app, ["features", str(ludb_root), "--limit", "2", "--chunk-size", "1", "--overwrite",
                              "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == f"2 of 2 records measured, {pd.read_parquet(out).shape[1]} columns -> {out}"
    assert sorted(p.name for p in out.with_suffix(".chunks").glob("chunk-*.parquet")) == [
        "chunk-000000.parquet", "chunk-000001.parquet"]
    assert list(pd.read_parquet(out).index) == [1, 2]
    bad = runner.invoke(app, ["features", str(ludb_root), "--chunk-size", "0", "--out", str(out)])
    assert bad.exit_code == 2 and "--chunk-size 0" in bad.stderr


def test_no_record_measured_is_a_failure(runner, ptbxl_root, tmp_path):
    # a PTB-XL folder with only records100/ (a partial download), read at the default 500 Hz
    root = tmp_path / "ptb100"
    root.mkdir()
    for name in ("ptbxl_database.csv", "scp_statements.csv"):
        (root / name).symlink_to(ptbxl_root / name)
    (root / "records100").symlink_to(ptbxl_root / "records100")
    out = tmp_path / "o" / "f.parquet"
    res = runner.invoke(app, ["features", str(root), "--limit", "2", "--out", str(out)])
    # before: exit 0 and "2 records x 176 columns -> ..."
    assert res.exit_code == 2
    line = res.stderr.strip().splitlines()[-1]
    assert line == (f"error: none of the 2 records could be measured: RecordReadError x2 (e.g. header file not "
                    f"found); {root} holds records100/ but no records500/: --sampling-rate 100?; the table of "
                    f"reasons is in {out}")
    assert "2 of 2 records not measured" in res.stderr
    assert (~pd.read_parquet(out)["quality_ok"]).all()  # the reasons are kept


def _mock_mimic(root, ludb_root):
    import wfdb

    rows = []
    for sub, study, lud in (("10000032", 40689238, 1), ("10000117", 42000001, 2)):
        d = root / f"files/p{sub[:4]}/p{sub}/s{study}"
        d.mkdir(parents=True)
        r = wfdb.rdrecord(str(ludb_root / "data" / str(lud)))
        wfdb.wrsamp(str(study), fs=500, units=["mV"] * 12, sig_name=list(r.sig_name), p_signal=r.p_signal,
                    fmt=["16"] * 12, adc_gain=[200.0] * 12, baseline=[0] * 12, write_dir=str(d))
        rows.append({"subject_id": sub, "study_id": study, "file_name": study, "ecg_time": "2180-07-23 08:44:00",
                     "path": f"files/p{sub[:4]}/p{sub}/s{study}/{study}"})
    pd.DataFrame(rows).to_csv(root / "record_list.csv", index=False)


def test_hosp_gives_mimic_records_age_and_sex(runner, ludb_root, mimic_demo_root, tmp_path):
    root = tmp_path / "mimic"
    _mock_mimic(root, ludb_root)
    hosp = mimic_demo_root / "hosp"
    out = tmp_path / "f.parquet"
    res = runner.invoke(app, ["features", str(root), "--hosp", str(hosp), "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out)
    patients = pd.read_csv(hosp / "patients.csv.gz").set_index("subject_id")
    # subject 10000032 is in the demo (age at the ECG from anchor_age); 10000117 is not: missing, not guessed
    p = patients.loc[10000032]
    assert got.loc["40689238", "sex"] == p["gender"]
    assert got.loc["40689238", "age"] == p["anchor_age"] + 2180 - p["anchor_year"]
    assert np.isnan(got.loc["42000001", "age"]) and pd.isna(got.loc["42000001", "sex"])
    wrong = runner.invoke(app, ["features", str(ludb_root), "--hosp", str(hosp), "--out", str(out)])
    assert wrong.exit_code == 2 and "is not a MIMIC-IV-ECG folder" in wrong.stderr


def test_help_paragraphs_are_unwrapped(runner):
    assert _unwrapped("First.\n\nA b\nc d\n- item\n- two\n\nEnd") == "First.\n\nA b c d\n- item\n- two\n\nEnd"
    res = runner.invoke(app, ["features", "--help"], env={"COLUMNS": "200"})
    # one paragraph, one line at 200 columns (before: the docstring's own breaks, ragged)
    assert any("gives them (missing where it has none" in line for line in res.output.splitlines())
    for opt in ("--overwrite", "--chunk-size", "--hosp"):
        assert opt in res.output


def test_retry_failed_measures_again_only_the_records_that_could_not_be_read(runner, ludb_root, tmp_path):
    import shutil

    data = tmp_path / "recs"
    data.mkdir()
    for rid in ("1", "2"):
        for ext in ("hea", "dat"):
            shutil.copy(ludb_root / "data" / f"{rid}.{ext}", data / f"{rid}.{ext}")
    (data / "2.dat").rename(tmp_path / "2.dat")  # the file briefly unavailable
    out = tmp_path / "o" / "f.parquet"
    first = runner.invoke(app, ["features", str(data), "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert first.stdout.strip().startswith("1 of 2 records measured")
    (tmp_path / "2.dat").rename(data / "2.dat")
    # a plain rerun resumes and keeps the failure; --retry-failed reads the record again
    again = runner.invoke(app, ["features", str(data), "--out", str(out)])
    assert again.stdout.strip().startswith("1 of 2 records measured")
    both = runner.invoke(app, ["features", str(data), "--out", str(out), "--overwrite", "--retry-failed"])
    assert both.exit_code == 2 and "give one of the two" in both.stderr
    res = runner.invoke(app, ["features", str(data), "--out", str(out), "--retry-failed"])
    assert res.exit_code == 0, res.output
    assert res.stdout.strip().startswith("2 of 2 records measured")
    assert pd.read_parquet(out)["quality_ok"].all()


def test_a_cinc_folder_behind_a_link_is_read_as_cinc(cinc_root, tmp_path):
    # before: only .mat files at the top level told a CinC folder; one holding a link to the
    # records (or per-source sub-folders) was read as plain WFDB, without CinC's labels
    from interp_ecg.cli import _open_dataset

    (tmp_path / "training").symlink_to(cinc_root)
    ds = _open_dataset(tmp_path, 500)
    assert ds.name == "cinc2021" and len(ds) == 50
