"""read_ptbxl on the real shared copy and on PTB-XL-layout folders written here."""

from __future__ import annotations

import ast
import pickle
import shutil
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from interp_ecg.io import (
    STANDARD_LEADS,
    SUPERCLASSES,
    protoecgnet_groups,
    ptbxl_group_labels,
    ptbxl_subclass_labels,
    ptbxl_superclass_labels,
    read_ptbxl,
)
from interp_ecg.evaluate import ptbxl_split
from interp_ecg.io.ptbxl import parse_scp_codes

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def ptbxl(ptbxl_root):
    return read_ptbxl(ptbxl_root)


@pytest.fixture(scope="module")
def raw_db(ptbxl_root):
    return pd.read_csv(ptbxl_root / "ptbxl_database.csv", index_col="ecg_id")


@pytest.fixture(scope="module")
def statements(ptbxl_root):
    return pd.read_csv(ptbxl_root / "scp_statements.csv", index_col=0)


def test_meta(ptbxl, raw_db):
    assert len(ptbxl) == len(raw_db) == 500
    assert ptbxl.meta.index.name == "ecg_id" and list(ptbxl.meta.index) == list(raw_db.index)
    for col in raw_db.columns:  # every database column is kept
        assert col in ptbxl.meta.columns
    assert (ptbxl.meta["patient_id"].astype(float) == raw_db["patient_id"]).all()
    assert ptbxl.meta["patient_id"].nunique() == raw_db["patient_id"].nunique()
    assert (ptbxl.meta["strat_fold"] == raw_db["strat_fold"]).all()
    # sex 0 = male, 1 = female in PTB-XL
    assert ((ptbxl.meta["sex"] == "F") == (raw_db["sex"] == 1)).all()
    assert ((ptbxl.meta["sex"] == "M") == (raw_db["sex"] == 0)).all()
    assert (ptbxl.meta["female"] == raw_db["sex"]).all()
    young = raw_db["age"] < 300
    assert (ptbxl.meta.loc[young, "age"] == raw_db.loc[young, "age"]).all()


@pytest.mark.parametrize("threshold", [0.0, 50.0, 100.0])
def test_labels_against_literal_eval(ptbxl_root, raw_db, statements, threshold):
    ds = read_ptbxl(ptbxl_root, likelihood_threshold=threshold)
    assert list(ds.labels.columns) == list(statements.index) and ds.labels.shape == (500, 71)
    expected = pd.DataFrame(0, index=raw_db.index, columns=statements.index, dtype=np.uint8)
    for ecg_id, codes in raw_db["scp_codes"].items():
        for code, like in ast.literal_eval(codes).items():
            if like >= threshold or statements.loc[code, "diagnostic"] != 1:
                expected.loc[ecg_id, code] = 1
    # a record naming no rhythm statement was not assessed for rhythm: its rhythm statements are NaN
    rhythm = list(statements.index[statements["rhythm"] == 1])
    without = expected.index[expected[rhythm].sum(axis=1) == 0]
    assert len(without) == 29
    expected_unknown = expected.astype({c: np.float64 for c in rhythm})
    expected_unknown.loc[without, rhythm] = np.nan
    pd.testing.assert_frame_equal(ds.labels, expected_unknown, check_names=False)
    old = read_ptbxl(ptbxl_root, likelihood_threshold=threshold, unassessed_rhythm="negative")
    pd.testing.assert_frame_equal(old.labels, expected, check_names=False)


def test_likelihood_threshold_applies_to_diagnostic_statements_only(ptbxl_root):
    """Issue 11 item 3: PTB-XL writes likelihood 0 for every rhythm and form statement, so a
    threshold of 50 must not erase them (before the fix: SR 407 -> 0, AFIB 13 -> 1, STACH 5 -> 0,
    LVOLT 4 -> 0)."""
    at0 = read_ptbxl(ptbxl_root).labels.sum()
    at50 = read_ptbxl(ptbxl_root, likelihood_threshold=50).labels.sum()
    for code, n in {"SR": 407, "AFIB": 13, "STACH": 5, "LVOLT": 4}.items():
        assert at0[code] == n and at50[code] == n, code
    assert at50["NORM"] <= at0["NORM"]  # diagnostic statements still filtered


def test_records_without_superclass_drop_or_keep(ptbxl, raw_db, statements):
    """Issue 11 item 3: 12 of the 500 records have no diagnostic superclass (flutter alone...).
    The PTB-XL benchmark drops them (default); keeping them gives all-negative rows."""
    none = [i for i, codes in raw_db["scp_codes"].items()
            if not any(statements.loc[c, "diagnostic"] == 1 for c in ast.literal_eval(codes))]
    assert len(none) == 12
    dropped = ptbxl_superclass_labels(ptbxl)
    assert len(dropped) == 488 and not set(none) & set(dropped.index)
    assert dropped.attrs == {"records_without_superclass": "drop", "n_without_superclass": 12}
    kept = ptbxl_superclass_labels(ptbxl, records_without_superclass="keep")
    assert len(kept) == 500 and kept.loc[none].to_numpy().sum() == 0
    assert kept.attrs["records_without_superclass"] == "keep"
    with pytest.raises(ValueError, match="drop"):
        ptbxl_superclass_labels(ptbxl, records_without_superclass="maybe")


def test_superclasses(ptbxl, raw_db, statements):
    sup = ptbxl_superclass_labels(ptbxl, records_without_superclass="keep")
    assert list(sup.columns) == list(SUPERCLASSES)
    for ecg_id, codes in list(raw_db["scp_codes"].items())[:200]:
        classes = {statements.loc[c, "diagnostic_class"] for c in ast.literal_eval(codes)
                   if statements.loc[c, "diagnostic"] == 1}
        assert {c for c in SUPERCLASSES if sup.loc[ecg_id, c]} == classes
    sub = ptbxl_subclass_labels(ptbxl)
    assert set(sub.columns) == set(statements["diagnostic_subclass"].dropna())


def test_groups(ptbxl, statements, ptbxl_root):
    for group in ("diagnostic", "form", "rhythm"):
        lab = ptbxl_group_labels(ptbxl, group)
        assert list(lab.columns) == list(statements.index[statements[group] == 1])
    counts = {g: ptbxl_group_labels(ptbxl, g).shape[1] for g in ("diagnostic", "form", "rhythm")}
    assert counts == {"diagnostic": 44, "form": 19, "rhythm": 12}
    raw = pd.read_csv(ptbxl_root / "protoecgnet_label_groups.csv", encoding="utf-8-sig")
    code_col = raw.columns[0]
    groups = protoecgnet_groups(ptbxl)
    for cat, name in ((1, "rhythm"), (3, "morphology"), (4, "global")):
        assert set(groups[name]) == set(raw.loc[raw["prototype_category"] == cat, code_col])
    assert {k: len(v) for k, v in groups.items()} == {"rhythm": 16, "morphology": 52, "global": 3}
    assert set(groups["global"]) == {"NORM", "DIG", "EL"}
    assert ptbxl_group_labels(ptbxl, "morphology").shape == (500, 52)
    assert ptbxl_group_labels(ptbxl, "rhythm_branch").shape == (500, 16)


def test_split(ptbxl, raw_db):
    split = {k: ptbxl.subset(v) for k, v in ptbxl_split(ptbxl).items()}
    sizes = {k: len(v) for k, v in split.items()}
    folds = raw_db["strat_fold"]
    assert sizes == {"train": int((folds <= 8).sum()), "val": int((folds == 9).sum()),
                     "test": int((folds == 10).sum())}
    assert sum(sizes.values()) == 500
    pats = {k: set(v.meta["patient_id"]) for k, v in split.items()}
    assert not (pats["train"] & pats["test"]) and not (pats["train"] & pats["val"])
    assert split["test"].labels.index.equals(split["test"].meta.index)


def test_signals_and_lazy_loading(ptbxl, ptbxl_root):
    rec = ptbxl[0]
    assert rec.id == "1" and rec.fs == 500 and rec.signal.shape == (12, 5000)
    assert rec.signal.dtype == np.float32 and rec.leads == list(STANDARD_LEADS)
    wfdb = pytest.importorskip("wfdb")
    ref = wfdb.rdrecord(str(ptbxl_root / "records500/00000/00001_hr"))
    np.testing.assert_allclose(rec.signal, ref.p_signal.T, atol=1e-6)
    assert rec.meta["age"] == 56 and rec.meta["strat_fold"] == 3
    lr = read_ptbxl(ptbxl_root, sampling_rate=100)
    assert lr.load(1).signal.shape == (12, 1000) and lr.fs == 100
    # the loader is a small picklable object
    assert len(pickle.dumps(ptbxl.loader)) < 1000
    assert pickle.loads(pickle.dumps(ptbxl)).load(2).signal.shape == (12, 5000)


def test_resampled_500_matches_records100(ptbxl_root):
    """500 Hz resampled to 100 Hz is close to PTB-XL's own 100 Hz version.

    PTB-XL made records100 with its own filter (a slightly lower cut-off and a sub-sample
    offset), so they are not identical; the check is that our version is much closer to theirs
    than the same signal shifted by one 100 Hz sample (10 ms) is.
    """
    ids = list(range(1, 31))
    ours = read_ptbxl(ptbxl_root).subset(ids).resample(100).to_array()
    theirs = read_ptbxl(ptbxl_root, sampling_rate=100).subset(ids).to_array()
    assert ours.shape == theirs.shape == (30, 12, 1000)
    core = slice(20, -20)
    err = np.sqrt(((ours[..., core] - theirs[..., core]) ** 2).mean(axis=-1))
    shifted = np.sqrt(((np.roll(theirs, 1, axis=-1)[..., core] - theirs[..., core]) ** 2).mean(axis=-1))
    assert np.median(err) < 0.5 * np.median(shifted)
    corr = [np.corrcoef(ours[i, j, core], theirs[i, j, core])[0, 1] for i in range(30) for j in range(12)]
    assert np.median(corr) > 0.99


def test_select_leads(ptbxl):
    ds = ptbxl.subset([1, 2]).select_leads(["v1", "II", "avr"])
    rec = ds[0]
    assert rec.leads == ["V1", "II", "aVR"] and ds.leads == ["V1", "II", "aVR"]
    full = ptbxl.load(1)
    np.testing.assert_array_equal(rec.signal, full.signal[[6, 1, 3]])
    assert ds.to_array().shape == (2, 3, 5000)


def _write_synthetic_root(ptbxl_root, root, n=3):
    """A PTB-XL-layout folder as a simulator writes it: few statements, extra columns."""
    (root / "records500/00000").mkdir(parents=True)
    (root / "records100/00000").mkdir(parents=True)
    for i in range(1, n + 1):
        for sub, suf in (("records500", "hr"), ("records100", "lr")):
            for ext in (".hea", ".dat"):
                shutil.copy(ptbxl_root / sub / "00000" / f"{i:05d}_{suf}{ext}", root / sub / "00000")
    db = pd.DataFrame({
        "ecg_id": range(1, n + 1), "patient_id": [7, 7, 9][:n], "age": [61, 62, 40][:n],
        "sex": [0, 0, 1][:n], "scp_codes": ["{'NORM': 100.0, 'SR': 0.0}", "{'AFIB': 0.0}",
                                            "{'CLBBB': 100.0, 'SR': 0.0}"][:n],
        "strat_fold": [1, 1, 10][:n],
        "filename_lr": [f"records100/00000/{i:05d}_lr" for i in range(1, n + 1)],
        "filename_hr": [f"records500/00000/{i:05d}_hr" for i in range(1, n + 1)],
        "sim_condition": ["normal", "afib", "lbbb"][:n],
    })
    db.to_csv(root / "ptbxl_database.csv", index=False)
    st = pd.read_csv(ptbxl_root / "scp_statements.csv", index_col=0).loc[["NORM", "SR", "AFIB", "CLBBB"]]
    st.to_csv(root / "scp_statements.csv")
    pd.DataFrame({"patient_id": [7], "icd10": ["I48.91"]}).to_csv(root / "diagnoses.csv", index=False)


def test_synthetic_layout(ptbxl_root, tmp_path):
    _write_synthetic_root(ptbxl_root, tmp_path)
    ds = read_ptbxl(tmp_path)
    assert list(ds.labels.columns) == ["NORM", "SR", "AFIB", "CLBBB"]
    assert ds.labels.to_numpy().tolist() == [[1, 1, 0, 0], [0, 0, 1, 0], [0, 1, 0, 1]]
    assert ds.meta["sim_condition"].tolist() == ["normal", "afib", "lbbb"]
    assert ds.meta["sex"].tolist() == ["M", "M", "F"]
    sup = ptbxl_superclass_labels(ds, records_without_superclass="keep")
    assert sup["NORM"].tolist() == [1, 0, 0] and sup["CD"].tolist() == [0, 0, 1]
    assert sup["MI"].sum() == 0  # no MI statement in this root: a zero column, not an error
    assert protoecgnet_groups(ds) == {"rhythm": [], "morphology": [], "global": []}
    assert ds[2].signal.shape == (12, 5000)
    assert read_ptbxl(tmp_path, sampling_rate=100)[0].signal.shape == (12, 1000)
    assert {k: len(v) for k, v in ptbxl_split(ds).items()} == {"train": 2, "val": 0, "test": 1}
    assert ds.extras["diagnoses"]["icd10"].tolist() == ["I48.91"]


def test_statement_flags_written_as_booleans(ptbxl_root, tmp_path):
    _write_synthetic_root(ptbxl_root, tmp_path)
    st = pd.read_csv(tmp_path / "scp_statements.csv", index_col=0)
    for col in ("diagnostic", "form", "rhythm"):
        st[col] = st[col].fillna(0).astype(bool)
    st.to_csv(tmp_path / "scp_statements.csv")
    ds = read_ptbxl(tmp_path)
    assert list(ptbxl_group_labels(ds, "rhythm").columns) == ["SR", "AFIB"]
    assert list(ptbxl_group_labels(ds, "diagnostic").columns) == ["NORM", "CLBBB"]


def test_unknown_statement_is_ignored_with_warning(ptbxl_root, tmp_path, caplog):
    _write_synthetic_root(ptbxl_root, tmp_path)
    db = pd.read_csv(tmp_path / "ptbxl_database.csv")
    db.loc[0, "scp_codes"] = "{'NORM': 100.0, 'XYZ': 100.0}"
    db.to_csv(tmp_path / "ptbxl_database.csv", index=False)
    with caplog.at_level("WARNING"):
        ds = read_ptbxl(tmp_path)
    assert "XYZ" in caplog.text and "XYZ" not in ds.labels.columns
    assert ds.labels.loc[1, "NORM"] == 1


def test_parse_scp_codes_edge_cases():
    long = parse_scp_codes(["{}", "{'LAO/LAE': 50.0, 'PRC(S)': 0.0}", None])
    assert long["statement"].tolist() == ["LAO/LAE", "PRC(S)"]
    assert long["record"].tolist() == [1, 1] and long["likelihood"].tolist() == [50.0, 0.0]


def test_large_manifest_reads_no_signal(tmp_path, monkeypatch):
    """20,000 PTB-XL rows, no record files at all: building the dataset reads no signal.

    Signals of 20,000 records would take 20,000 x 12 x 5000 x 4 bytes = 4.8 GB; the manifest
    must stay under 1% of that.
    """
    n = 20_000
    rng = np.random.default_rng(0)
    codes = np.array(["{'NORM': 100.0, 'SR': 0.0}", "{'IMI': 50.0, 'SR': 0.0}", "{'AFIB': 0.0}"])
    db = pd.DataFrame({
        "ecg_id": np.arange(1, n + 1), "patient_id": rng.integers(1, 15000, n).astype(float),
        "age": rng.integers(18, 90, n).astype(float), "sex": rng.integers(0, 2, n),
        "scp_codes": codes[rng.integers(0, 3, n)], "strat_fold": rng.integers(1, 11, n),
        "filename_lr": [f"records100/{i // 1000 * 1000:05d}/{i:05d}_lr" for i in range(1, n + 1)],
        "filename_hr": [f"records500/{i // 1000 * 1000:05d}/{i:05d}_hr" for i in range(1, n + 1)],
    })
    db.to_csv(tmp_path / "ptbxl_database.csv", index=False)
    pd.DataFrame({"description": ["normal", "sinus", "inferior MI", "afib"],
                  "diagnostic": [1, None, 1, None], "form": [None, None, None, None],
                  "rhythm": [None, 1, None, 1], "diagnostic_class": ["NORM", None, "MI", None],
                  "diagnostic_subclass": ["NORM", None, "IMI", None]},
                 index=pd.Index(["NORM", "SR", "IMI", "AFIB"])).to_csv(tmp_path / "scp_statements.csv")

    import interp_ecg.io.wfdb_reader as wr

    def forbidden(*args, **kwargs):
        raise AssertionError("a signal was read while building the manifest")

    monkeypatch.setattr(wr, "read_wfdb_record", forbidden)
    monkeypatch.setattr(wr, "_read_digital", forbidden)
    tracemalloc.start()
    ds = read_ptbxl(tmp_path)
    sup = ptbxl_superclass_labels(ds)
    split = ptbxl_split(ds)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(ds) == n and ds.labels.shape == (n, 4)
    assert sup["MI"].sum() == (db["scp_codes"] == codes[1]).sum()
    assert sum(len(v) for v in split.values()) == n
    assert peak < 0.01 * n * 12 * 5000 * 4
    with pytest.raises(AssertionError, match="a signal was read"):
        ds.load(1)


def test_bad_database_tables(ptbxl_root, tmp_path):
    from interp_ecg.errors import DataNotFoundError, RecordReadError

    with pytest.raises(DataNotFoundError, match="ptbxl_database.csv not found"):
        read_ptbxl(tmp_path)
    _write_synthetic_root(ptbxl_root, tmp_path)
    db = pd.read_csv(tmp_path / "ptbxl_database.csv")
    db.loc[2, "ecg_id"] = 1
    db.to_csv(tmp_path / "ptbxl_database.csv", index=False)
    with pytest.raises(RecordReadError, match=r"ptbxl_database.csv: duplicate ecg_id values \[1\]"):
        read_ptbxl(tmp_path)
    db.drop(columns="ecg_id").to_csv(tmp_path / "ptbxl_database.csv", index=False)
    with pytest.raises(RecordReadError, match="no 'ecg_id' column"):
        read_ptbxl(tmp_path)
    (tmp_path / "scp_statements.csv").unlink()
    db.assign(ecg_id=[1, 2, 3]).to_csv(tmp_path / "ptbxl_database.csv", index=False)
    with pytest.raises(DataNotFoundError, match="scp_statements.csv not found"):
        read_ptbxl(tmp_path)
