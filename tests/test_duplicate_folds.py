"""A recording filed twice under two patient ids never lies on both sides of a predefined fold
column, a train/validation/test split or a prototype network's validation split (PTB-XL 145 and
463: patients 16690 and 16723, strat_folds 3 and 1)."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from interp_ecg.errors import ConfigError
from interp_ecg.evaluate import (
    PredefinedFolds,
    cross_val_predict_grouped,
    join_duplicate_folds,
    patient_groups,
    ptbxl_split,
    recording_digests,
)
from interp_ecg.io import EcgDataset, read_ptbxl
from interp_ecg.io.dataset import ArrayLoader


def _cohort():
    """Ten records of nine patients: r7 (patient P7, fold 3) is r1 (patient P1, fold 1) filed again;
    P1 has a second record r2 in fold 1; everything else is unique."""
    sig = np.random.default_rng(3).normal(size=(10, 12, 250)).astype(np.float32)
    sig[7] = sig[1]
    ids = [f"r{i}" for i in range(10)]
    meta = pd.DataFrame({"patient_id": ["P0", "P1", "P1", "P3", "P4", "P5", "P6", "P7", "P8", "P9"],
                         "strat_fold": [1, 1, 1, 2, 2, 2, 3, 3, 4, 4]}, index=ids)
    ds = EcgDataset(meta, ArrayLoader(sig, fs=250.0), fs=250.0)
    return ds, meta, recording_digests(ds)


def test_predefined_folds_refuse_copies_in_two_folds_naming_them():
    ds, meta, d = _cohort()
    folds = PredefinedFolds(meta["strat_fold"], digests=d)
    with pytest.raises(ConfigError, match=r"records \['r1', 'r7'\] in folds \[1, 3\]"):
        list(folds.split(groups=meta["patient_id"].to_numpy()))
    # positional digests with an array fold column: the same refusal (records named by position)
    with pytest.raises(ConfigError, match=r"records \[1, 7\] in folds \[1, 3\]"):
        list(PredefinedFolds(meta["strat_fold"].to_numpy(), d.to_numpy()).split())
    # without digests the column passes the patient check (the leak this guards against)
    assert len(list(PredefinedFolds(meta["strat_fold"]).split(groups=meta["patient_id"].to_numpy()))) == 4


def test_joined_folds_put_the_copies_and_their_patients_in_one_fold(caplog):
    ds, meta, d = _cohort()
    with caplog.at_level(logging.WARNING, logger="interp_ecg.evaluate.splitters"):
        joined = join_duplicate_folds(meta["strat_fold"], meta["patient_id"], d)
    # group {P1: r1, r2 in fold 1; P7: r7 in fold 3}: most of its records are in fold 1, so r7 moves there
    assert joined.tolist() == [1, 1, 1, 2, 2, 2, 3, 1, 4, 4]
    assert joined.attrs["moved"].to_dict("records") == [
        {"record": "r7", "patient_id": "P7", "fold_before": 3, "fold": 1}]
    assert "record 'r7' (patient P7) from fold 3 to 1" in caplog.text
    groups = patient_groups(meta["patient_id"], digests=d)
    assert groups["r1"] == groups["r2"] == groups["r7"] == "P1+P7"
    # the joined column passes both checks, and a model never sees a copy of a test record
    X = pd.DataFrame({"x": np.arange(10.0)}, index=meta.index)
    y = pd.Series([0, 1] * 5, index=meta.index)
    oof, fold_of = cross_val_predict_grouped(LogisticRegression(), X, y, groups,
                                             cv=PredefinedFolds(joined, digests=d), return_folds=True)
    assert fold_of["r1"] == fold_of["r2"] == fold_of["r7"]
    assert oof.notna().all()


def test_a_patient_in_two_folds_is_not_silently_joined():
    # P1's own records in folds 1 and 2 (no copy involved): the column is not patient-wise; it is
    # left as it is and PredefinedFolds refuses it
    ds, meta, d = _cohort()
    meta = meta.assign(strat_fold=[1, 1, 2, 2, 2, 2, 3, 3, 4, 4])
    joined = join_duplicate_folds(meta["strat_fold"], meta["patient_id"], d)
    assert joined.tolist() == meta["strat_fold"].tolist() and joined.attrs["moved"].empty
    with pytest.raises(ConfigError, match=r"records \['r1', 'r7'\] in folds \[1, 3\]"):
        list(PredefinedFolds(joined, d).split())
    with pytest.raises(ConfigError, match=r"1 of 8 patients in more than one fold \(patient 'P1\+P7' in folds \[1, 2, 3\]\)"):
        list(PredefinedFolds(joined).split(groups=patient_groups(meta["patient_id"], digests=d).to_numpy()))


def test_ptbxl_split_refuses_copies_in_two_parts():
    ds, meta, d = _cohort()
    meta = meta.assign(strat_fold=[1, 10, 10, 3, 4, 5, 6, 9, 7, 8])       # r1 (and r2) in test, the copy r7 in val
    with pytest.raises(ConfigError, match=r"records \['r1', 'r7'\] in parts \['test', 'val'\]"):
        ptbxl_split(meta, digests=d)
    joined = join_duplicate_folds(meta["strat_fold"], meta["patient_id"], d)
    split = ptbxl_split(meta.assign(strat_fold=joined), digests=d)
    assert list(split["test"]) == ["r1", "r2", "r7"] and list(split["val"]) == []


def test_training_data_merges_the_patients_of_a_copy():
    from interp_ecg.studies.pipeline import training_data

    ds, meta, d = _cohort()
    table = pd.DataFrame({"QRS_duration_ms": np.linspace(80, 160, 10), "heart_rate_bpm": np.linspace(60, 150, 10),
                          "quality_ok": True, "patient_id": meta["patient_id"],
                          "y": [0, 1] * 5}, index=meta.index)
    _, _, plain, _ = training_data(table, label="y")
    _, _, merged, _ = training_data(table, label="y", digests=d)
    assert plain["r1"] != plain["r7"] and merged["r1"] == merged["r7"] == "P1+P7"


def test_wct_source_groups_use_the_digests():
    from interp_ecg.studies.wct import _from_features

    ds, meta, d = _cohort()
    feats = pd.DataFrame({"QRS_duration_ms": np.linspace(80, 160, 10), "heart_rate_bpm": np.linspace(60, 150, 10),
                          "quality_ok": True}, index=meta.index)
    src = _from_features(feats, meta, pd.DataFrame(index=meta.index), "test", [], ds)
    g = pd.Series(src.groups, index=src.X.index)
    assert g["r1"] == g["r7"] == "P1+P7" and g.nunique() == 8
    assert src.n_patients == 9  # the cohort table counts patients, not the joined groups
    from interp_ecg.studies.wct import _n_patients

    assert _n_patients(pd.Series(["P1", "P1", None, None])) == 3  # a record without an id: its own patient
    assert any("1 across patient ids" in n for n in src.notes)


def test_prototype_validation_split_keeps_copies_together():
    from interp_ecg.prototypes import ProtoECGNetClassifier

    sig = np.random.default_rng(4).normal(size=(40, 12, 1000)).astype(np.float32)
    for k in range(10):                                  # records 20..29 are 0..9 filed under other patients
        sig[20 + k] = sig[k]
    ids = [f"e{i}" for i in range(40)]
    meta = pd.DataFrame({"patient_id": [f"P{i}" for i in range(40)]}, index=ids)
    ds = EcgDataset(meta, ArrayLoader(sig, fs=100.0), fs=100.0)
    labels = pd.DataFrame({"A": np.arange(40) % 2}, index=ids)
    clf = ProtoECGNetClassifier(preset="small", random_state=0, device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, lab, rid, groups, lengths = clf._training_data(ds, labels, None)
    g = pd.Series(groups, index=rid)
    assert all(g[f"e{k}"] == g[f"e{20 + k}"] for k in range(10)) and g.nunique() == 30
    _, _, tr_ids, _, va_lab, _ = clf._validation(x, lab, rid, groups, None, None, 100.0, 0.25)
    assert set(tr_ids).isdisjoint(va_lab.index)
    for k in range(10):
        assert (f"e{k}" in set(tr_ids)) == (f"e{20 + k}" in set(tr_ids))


@pytest.mark.shared_data
def test_shared_ptbxl_100hz_copies_share_a_fold(ptbxl_root):
    from interp_ecg.studies.pipeline import duplicate_digests

    ds = read_ptbxl(ptbxl_root, sampling_rate=100)       # 100 Hz copies differ: digests from the 500 Hz files
    notes: list[str] = []
    d = duplicate_digests(ds, notes)
    assert "500 Hz files" in notes[0] and "[145, 463]" in notes[0] and "5 sets of copies" in notes[0]
    joined = join_duplicate_folds(ds.meta["strat_fold"], ds.meta["patient_id"], d)
    # one record each: a tie, so the lower fold (463's fold 1) takes both
    assert ds.meta.loc[[145, 463], "strat_fold"].tolist() == [3, 1]
    assert joined[[145, 463]].tolist() == [1, 1] and joined.attrs["moved"]["record"].tolist() == [145]
    assert (joined.drop(145) == ds.meta["strat_fold"].drop(145)).all()
    with pytest.raises(ConfigError, match=r"records \[145, 463\] in folds \[1, 3\]"):
        list(PredefinedFolds(ds.meta["strat_fold"], d).split())


def test_duplicate_digests_note_without_copies():
    from interp_ecg.studies.pipeline import duplicate_digests

    sig = np.random.default_rng(5).normal(size=(3, 12, 250)).astype(np.float32)
    ds = EcgDataset(pd.DataFrame({"patient_id": [1, 2, 3]}, index=["a", "b", "c"]), ArrayLoader(sig, fs=250.0),
                    fs=250.0)
    notes: list[str] = []
    d = duplicate_digests(ds, notes)
    assert d.notna().all() and d.nunique() == 3
    assert notes == ["duplicate recordings (bit-identical samples at 250 Hz): 0 sets of copies, 0 across patient ids"]


def test_predefined_folds_pair_digests_with_x_by_record_id():
    ds, meta, d = _cohort()
    X = pd.DataFrame({"x": np.arange(10.0)}, index=meta.index)[::-1]          # another row order than the folds
    joined = join_duplicate_folds(meta["strat_fold"], meta["patient_id"], d)
    tests = [X.index[te].tolist() for _, te in PredefinedFolds(joined, digests=d).split(X)]
    assert sorted(tests[0]) == ["r0", "r1", "r2", "r7"]
    with pytest.raises(ConfigError, match=r"records \['r1', 'r7'\] in folds \[1, 3\]"):
        list(PredefinedFolds(meta["strat_fold"], digests=d.iloc[::-1]).split(X))
