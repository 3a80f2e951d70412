"""Readers and datasets: the silent errors new user 6 found (FINDINGS-user6.md), each with the right value.

Small WFDB records are written with wfdb-python under ``tmp_path``; nothing here needs shared data.
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import ArgumentError, LeadError, RecordReadError, SamplingRateError
from interp_ecg.io import ArrayLoader, EcgDataset, read_cinc, read_wfdb, read_wfdb_record


def _int_id_dataset(n: int = 6) -> EcgDataset:
    """Records whose ids are 1..n (as PTB-XL's ecg_id) and whose signal holds the id."""
    sig = np.repeat(np.arange(1, n + 1, dtype=np.float32)[:, None, None], 12, axis=1)
    sig = np.repeat(sig, 100, axis=2)
    meta = pd.DataFrame({"fold": [1, 1, 1, 2, 2, 2][:n]}, index=pd.Index(range(1, n + 1), name="ecg_id"))
    return EcgDataset(meta, ArrayLoader(sig, fs=100), fs=100, name="ints")


# -- Finding 3: subset(ids) never falls back to positions -------------------------------------


def test_subset_ids_with_one_missing_raises_naming_it():
    ds = _int_id_dataset()
    assert ds.subset([1, 2, 3]).ids.tolist() == [1, 2, 3]
    with pytest.raises(KeyError, match=r"1 of 3 record ids not in dataset 'ints': \[0\]"):
        ds.subset([0, 1, 2])          # was: positions -> records 1, 2, 3
    with pytest.raises(KeyError, match=r"\[0\]"):
        ds.subset([0, 5])             # was: records 1 and 6


def test_subset_ids_from_another_fold_raise_not_other_records():
    test = _int_id_dataset().subset(query="fold == 2")      # ids 4, 5, 6
    with pytest.raises(KeyError, match=r"3 of 3 record ids .*\[1, 2, 3\]"):
        test.subset([1, 2, 3])        # was: the three fold-2 records 4, 5, 6
    many = list(range(100, 110))
    with pytest.raises(KeyError, match=r"10 of 10 .*\[100, 101, 102, 103, 104, \.\.\.\]"):
        test.subset(many)


def test_subset_positions_are_explicit():
    ds = _int_id_dataset()
    sub = ds.subset(positions=[0, 1, 2])
    assert sub.ids.tolist() == [1, 2, 3]
    assert float(sub[0].signal[0, 0]) == 1.0          # the loader still finds the right array row
    assert ds.subset(positions=range(2)).ids.tolist() == [1, 2]
    assert ds.subset(query="fold == 2").subset(positions=[-1]).ids.tolist() == [6]
    with pytest.raises(IndexError, match="out of range for 6 records"):
        ds.subset(positions=[6])
    with pytest.raises(ArgumentError, match="not both"):
        ds.subset([1], positions=[0])
    with pytest.raises(ArgumentError, match="mask="):
        ds.subset([True, False, True, False, True, False])
    with pytest.raises(ArgumentError, match="string"):
        _int_id_dataset().subset("1")


def test_subset_string_ids_missing_raise_keyerror():
    meta = pd.DataFrame({"a": [1, 2]}, index=pd.Index(["r1", "r2"], name="record_id"))
    ds = EcgDataset(meta, ArrayLoader(np.zeros((2, 12, 10)), fs=100), fs=100, name="s")
    assert ds.subset(["r2"]).ids.tolist() == ["r2"]
    with pytest.raises(KeyError, match=r"\['r3'\]"):
        ds.subset(["r2", "r3"])
    assert len(ds.subset([])) == 0


# -- Finding 5: multi-segment records ---------------------------------------------------------


def _multisegment_folder(folder, units=("µV", "µV")):
    """r: two 1-s segments (II 1 mV and V1 0.5 mV peaks, written in µV); v: the same as a
    variable-layout record with a ``_layout`` header."""
    wfdb = pytest.importorskip("wfdb")
    t = np.arange(1000) / 500
    uv = np.column_stack([1000 * np.sin(2 * np.pi * t), 500 * np.cos(2 * np.pi * t)])
    for k, seg in enumerate(["r_1", "r_2"]):
        wfdb.wrsamp(seg, fs=500, units=["uV", "uV"], sig_name=["II", "V1"], fmt=["16", "16"],
                    p_signal=uv[k * 500:(k + 1) * 500], write_dir=str(folder), adc_gain=[10.0, 10.0],
                    baseline=[0, 0])
        hea = folder / f"{seg}.hea"
        hea.write_text(hea.read_text().replace("/uV", "/" + units[k]), encoding="utf-8")
    (folder / "r.hea").write_text("r/2 2 500 1000\nr_1 500\nr_2 500\n# Age: 61\n# Sex: F\n", encoding="utf-8")
    (folder / "v_layout.hea").write_text("v_layout 2 500 0\n~ 0 10/µV 16 0 0 0 0 II\n~ 0 10/µV 16 0 0 0 0 V1\n",
                                         encoding="utf-8")
    (folder / "v.hea").write_text("v/3 2 500 1000\nv_layout 0\nr_1 500\nr_2 500\n", encoding="utf-8")
    return folder


def test_multisegment_microvolts_read_as_millivolts(tmp_path):
    folder = _multisegment_folder(tmp_path)
    rec = read_wfdb_record(folder / "r")
    # wfdb-python drops the µ of "µV": the old reader gave 1000 V-as-mV = 10^6 too large
    assert rec.leads == ["II", "V1"]
    np.testing.assert_allclose(np.abs(rec.signal).max(axis=1), [1.0, 0.5], atol=1e-3)
    seg = read_wfdb_record(folder / "r_1")
    np.testing.assert_allclose(rec.signal[:, :500], seg.signal, atol=1e-6)
    assert rec.meta["units"] == ["µV", "µV"] and rec.meta["age"] == 61.0 and rec.meta["sex"] == "F"
    v = read_wfdb_record(folder / "v")
    np.testing.assert_allclose(v.signal, rec.signal, atol=1e-6)


def test_multisegment_mixed_units_refused(tmp_path):
    folder = _multisegment_folder(tmp_path, units=("µV", "mV"))
    with pytest.raises(RecordReadError, match=r"'II' is in 'µV' in one segment and in 'mV' in segment 'r_2'"):
        read_wfdb_record(folder / "r")


def test_folder_lists_multisegment_record_once(tmp_path):
    folder = _multisegment_folder(tmp_path)
    ds = read_wfdb(folder)
    assert ds.ids.tolist() == ["r", "v"]      # was r, r_1, r_2, v, v_layout
    assert ds.meta.loc["r", "leads"] == "II V1" and ds.meta.loc["r", "age"] == 61.0
    assert all(rec.signal.shape == (2, 1000) for rec in ds)


def test_folder_meta_leads_in_record_order(tmp_path):
    wfdb = pytest.importorskip("wfdb")
    wfdb.wrsamp("x", fs=500, units=["mV"] * 3, sig_name=["V6", "-aVR", "I"], fmt=["16"] * 3,
                p_signal=np.zeros((500, 3)), write_dir=str(tmp_path))
    ds = read_wfdb(tmp_path)
    assert ds.meta.loc["x", "leads"] == " ".join(ds[0].leads) == "I V6 -aVR"   # was "V6 -aVR I"


# -- Finding 4: linked sub-folders ------------------------------------------------------------


def _write_records(folder, names, comments=(), fs=500, leads=("II", "V1")):
    wfdb = pytest.importorskip("wfdb")
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(2 * fs) / fs
    for name in names:
        wfdb.wrsamp(name, fs=fs, units=["mV", "mV"], sig_name=list(leads), fmt=["16", "16"],
                    p_signal=np.column_stack([np.sin(2 * np.pi * t), np.cos(2 * np.pi * t)]),
                    write_dir=str(folder), comments=list(comments))


def test_folder_read_follows_linked_subfolders_once(tmp_path, caplog):
    root, lake = tmp_path / "root", tmp_path / "lake"
    _write_records(root, ["base"])
    _write_records(lake / "db", ["a1", "a2"])
    os.symlink(lake / "db", root / "linked")        # a data lake laid out with links
    os.symlink(lake / "db", root / "again")         # the same folder twice: walked once
    os.symlink(root, lake / "db" / "up")            # a cycle back to the root
    with caplog.at_level(logging.INFO, logger="interp_ecg.io.wfdb_reader"):
        ds = read_wfdb(root)
    # was ["base"]: the linked records were skipped without a word
    assert ds.ids.tolist() == ["again/a1", "again/a2", "base"]
    assert "followed 1 linked folder(s); 2 link(s) to folders already walked skipped" in caplog.text
    assert ds.load("again/a2").signal.shape == (2, 1000)


def test_cinc_folder_of_links_is_read(tmp_path):
    root, lake = tmp_path / "cinc", tmp_path / "lake"
    _write_records(lake / "georgia", ["E00001", "E00002"], comments=["Age: 60", "Sex: Male", "Dx: 426783006"])
    root.mkdir()
    os.symlink(lake / "georgia", root / "georgia_link")
    ds = read_cinc(root, required_leads=None)   # was: "no .hea files in CinC folder"
    assert ds.ids.tolist() == ["E00001", "E00002"] and ds.meta["age"].tolist() == [60.0, 60.0]


# -- Finding 8: to_array refuses records that cannot share one array -------------------------


def test_to_array_refuses_mixed_rates_naming_records(tmp_path):
    _write_records(tmp_path, ["a500", "b500"], fs=500)
    _write_records(tmp_path, ["c128"], fs=128)
    ds = read_wfdb(tmp_path)
    # was: shape (3, 2, 1000), the 128 Hz record as 256 samples + 744 zeros on a 500 Hz axis
    with pytest.raises(SamplingRateError, match=r"500 Hz: 2 record\(s\) \(a500, b500\); 128 Hz: 1 record\(s\) "
                                                r"\(c128\); use dataset.resample"):
        ds.to_array()
    arr = ds.resample(500).to_array()
    assert arr.shape == (3, 2, 1000)
    assert ds.subset(["a500", "b500"]).to_array().shape == (2, 2, 1000)


def test_to_array_refuses_mixed_leads_naming_records(tmp_path):
    _write_records(tmp_path, ["a"], leads=("II", "V1"))
    _write_records(tmp_path, ["b"], leads=("I", "V5"))
    ds = read_wfdb(tmp_path)
    with pytest.raises(LeadError, match=r"II V1: 1 record\(s\) \(a\); I V5: 1 record\(s\) \(b\)"):
        ds.to_array()                # was a bare numpy broadcast error, or silently mixed leads


def test_to_array_pads_shorter_records_with_the_value_asked():
    sig = np.ones((2, 12, 100), dtype=np.float32)
    meta = pd.DataFrame({"a": [1, 2]}, index=pd.Index(["x", "y"], name="record_id"))

    class Short(ArrayLoader):
        def __call__(self, record_id, row):
            rec = super().__call__(record_id, row)
            rec.signal = rec.signal[:, :60] if record_id == "y" else rec.signal
            return rec

    arr = EcgDataset(meta, Short(sig, fs=100), fs=100).to_array(pad=np.nan)
    assert arr.shape == (2, 12, 100) and np.isnan(arr[1, :, 60:]).all() and (arr[1, :, :60] == 1).all()


# -- Finding 6: pseudonymised tables keep no path or identifier in free text ------------------


def test_pseudonymise_scrubs_mimic_paths_and_ids_from_reasons():
    from interp_ecg.io.pseudonym import pseudonym, pseudonymise_frame

    key = bytes(range(32))
    frame = pd.DataFrame({
        "subject_id": [10000084, 10000032, 10000117],
        "quality_ok": [False, False, True],
        "quality_reason": [
            "/data/my mimic/files/p1000/p10000084/s41000002/41000002.hea: header file not found",
            "40689238: ValueError: subject p10000032 record s40689238 unreadable",
            "RR_irregularity: 2 interval(s); atrial fibrillation/flutter? 25 mm/s",
        ],
        "beat_reason": [np.nan, "", "ok"],
        "QRS_duration_ms": [np.nan, np.nan, 96.0],
    }, index=pd.Index([41000002, 40689238, 42000001], name="study_id"))
    out = pseudonymise_frame(frame, key)
    rc = [pseudonym(i, key, "record") for i in frame.index]
    text = " ".join(out["quality_reason"])
    for ident in ("41000002", "10000084", "10000032", "40689238", "p1000", "files/", "/data"):
        assert ident not in text, ident            # was: the raw path next to its pseudonym
    assert out["quality_reason"].iloc[0].endswith(f"{rc[0]}: header file not found")
    assert out["quality_reason"].iloc[1] == (f"{rc[1]}: ValueError: subject "
                                             f"{pseudonym(10000032, key, 'patient')} record {rc[1]} unreadable")
    # a reason without paths or identifiers is kept word for word
    assert out["quality_reason"].iloc[2] == frame["quality_reason"].iloc[2]
    assert np.isnan(out["beat_reason"].iloc[0]) and out["beat_reason"].iloc[1] == ""
    assert out.index.tolist() == rc and out["QRS_duration_ms"].iloc[2] == 96.0


def test_pseudonymise_scrubs_ptbxl_demo_reason_and_rowless_paths():
    from interp_ecg.io.pseudonym import pseudonym, pseudonymise_frame

    key = bytes(32)
    frame = pd.DataFrame({"quality_reason": ["/tmp/run/cohort/records500/00000/00011_hr.hea: no usable lead"],
                          "error": ["cannot open C:\\data\\ptbxl\\records500\\00000\\00011_hr.dat"]},
                         index=pd.Index([11], name="ecg_id"))
    out = pseudonymise_frame(frame, key)
    rc = pseudonym(11, key, "record")
    assert out["quality_reason"].iloc[0] == f"{rc}: no usable lead"
    assert out["error"].iloc[0] == f"cannot open {rc}"
    # no record identifier in the frame: the path is removed, not replaced by a pseudonym
    bare = pseudonymise_frame(pd.DataFrame({"message": ["read /a/b/00011_hr.hea failed"]}), key)
    assert bare["message"].iloc[0] == "read <path> failed"


# -- Finding 11: modified limb leads are not renamed to the standard leads --------------------


def test_mlii_kept_distinct_and_noted(tmp_path, caplog):
    wfdb = pytest.importorskip("wfdb")
    from interp_ecg.features import extract_record
    from interp_ecg.features.synthetic import gaussian_ecg
    from interp_ecg.io.leads import normalise_lead_name

    x, _ = gaussian_ecg(fs=360, hr_bpm=70, qrs_ms=96, noise_mV=0.01, random_state=1)
    wfdb.wrsamp("100", fs=360, units=["mV", "mV"], sig_name=["ML2", "V1"], fmt=["16", "16"],
                p_signal=x[[1, 6]].T, write_dir=str(tmp_path))
    with caplog.at_level(logging.INFO, logger="interp_ecg.io.leads"):
        rec = read_wfdb_record(tmp_path / "100")
    assert [normalise_lead_name(n) for n in ("MLII", "ML2", "mlI", "MLIII", "DII")] == \
        ["MLII", "MLII", "MLI", "MLIII", "II"]
    assert rec.leads == ["V1", "MLII"] and rec.extra_leads == ["MLII"]          # was ["II", "V1"]
    assert rec.meta["modified_leads"] == {"MLII": "II"}
    assert "modified limb lead(s) ['MLII'] kept under their own names" in caplog.text
    row = extract_record(rec)
    assert np.isfinite(row["R_amp_mV_MLII"]) and np.isnan(row["R_amp_mV_II"])  # not in the standard column
    assert read_wfdb(tmp_path).meta.loc["100", "leads"] == "V1 MLII"


# -- Findings 16/17: MIMIC tables and the PTB-XL rate message ---------------------------------


def _mimic_tables(root, rows, mm_rows):
    root.mkdir()
    pd.DataFrame(rows, columns=["subject_id", "study_id", "file_name", "ecg_time", "path"]).to_csv(
        root / "record_list.csv", index=False)
    pd.DataFrame(mm_rows, columns=["subject_id", "study_id", "cart_id", "ecg_time", "qrs_onset", "qrs_end",
                                   "report_0"]).to_csv(root / "machine_measurements.csv", index=False)
    return root


def test_mimic_row_without_study_id_skipped_with_warning(tmp_path, caplog):
    from interp_ecg.io import read_mimic_ecg

    root = _mimic_tables(tmp_path / "m", [
        (10000032, 40689238, 40689238, "2180-07-23 08:44:00", "files/p1000/p10000032/s40689238/40689238"),
        (10000200, None, "x", "2180-01-01 00:00:00", "files/x"),
        (10000084, 41000001, 41000001, "2180-07-23 09:00:00", "files/p1000/p10000084/s41000001/41000001"),
    ], [
        (10000032, 40689238, 1, "2180-07-23 08:44:00", 40, 128, "Sinus rhythm"),
        (10000032, 40689238, 1, "2180-07-23 08:44:00", 40, 140, "Sinus rhythm"),
        (10000084, 41000001, 1, "2180-07-23 09:00:00", 41, 129, "Sinus rhythm"),
    ])
    with caplog.at_level(logging.WARNING, logger="interp_ecg.io.mimic"):
        ds = read_mimic_ecg(root)        # was: "unexpected IntCastingNaNError", naming nothing
    assert ds.ids.tolist() == ["40689238", "41000001"]
    assert ds.extras["record_list_skipped"]["subject_id"].tolist() == ["10000200"]
    assert "record_list.csv: 1 row(s) without an integer study_id skipped (data row(s) [2]" in caplog.text
    assert "machine_measurements.csv: 1 duplicated study_id row(s) dropped, the first row of each kept " \
           "(study_id ['40689238'])" in caplog.text
    assert ds.meta.loc["40689238", "qrs_duration_ms"] == 88.0      # the first row's 128 - 40


def test_mimic_record_list_without_study_id_column_named(tmp_path):
    from interp_ecg.io import read_mimic_ecg

    root = tmp_path / "m"
    root.mkdir()
    pd.DataFrame({"subject_id": [1], "path": ["files/x"]}).to_csv(root / "record_list.csv", index=False)
    with pytest.raises(RecordReadError, match=r"record_list.csv: no column\(s\) \['study_id'\]"):
        read_mimic_ecg(root)


def test_ptbxl_rate_as_text_shows_repr(tmp_path):
    from interp_ecg.io import read_ptbxl

    with pytest.raises(ArgumentError, match=r"got '500'"):    # was "... 100 or 500, got 500"
        read_ptbxl(tmp_path, sampling_rate="500")


def test_repr_of_a_folder_of_mixed_lead_lists(tmp_path):
    _write_records(tmp_path, ["a"], leads=("II", "V1"))
    _write_records(tmp_path, ["b"], leads=("I", "V5"))
    ds = read_wfdb(tmp_path)
    assert "leads='mixed: 2 lead lists'" in repr(ds)              # was leads=12
    assert "leads=2," in repr(ds.select_leads(["II", "V1"]))
    assert "leads=2," in repr(ds.subset(["a"]))
