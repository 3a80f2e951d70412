"""LUDB reader on the real shared copy: counts of annotated waves, meta, labels, spans."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.io import STANDARD_LEADS, ludb_annotated_span, read_ludb
from interp_ecg.io.ludb import read_mit_annotations

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def ludb(ludb_root):
    return read_ludb(ludb_root)


def test_counts_of_complete_triplets(ludb):
    # counts of complete (on, peak, off) triplets in LUDB 1.0.1, as stated in the issue
    counts = ludb.annotations["wave"].value_counts()
    assert counts["QRS"] == 21843
    assert counts["T"] == 19650
    assert counts["P"] == 16796
    assert len(ludb) == 200
    assert set(ludb.annotations["record"]) == set(range(1, 201))
    assert set(ludb.annotations["lead"]) == set(STANDARD_LEADS)
    # sorted by record, then lead in standard order, then time
    first = ludb.annotations[ludb.annotations["record"] == 1]
    assert list(dict.fromkeys(first["lead"])) == list(STANDARD_LEADS)


def test_triplets_are_ordered(ludb):
    a = ludb.annotations
    assert (a["on"] < a["peak"]).all() and (a["peak"] < a["off"]).all()
    assert (a["on"] >= 0).all() and (a["off"] < 5000).all()


def test_annotations_match_wfdb(ludb, ludb_root):
    wfdb = pytest.importorskip("wfdb")
    ann = wfdb.rdann(str(ludb_root / "data" / "7"), "v2")
    samples, symbols = read_mit_annotations(ludb_root / "data" / "7.v2")
    np.testing.assert_array_equal(samples, ann.sample)
    assert list(symbols) == list(ann.symbol)
    # every complete triplet of that file comes back in the table
    mine = ludb.annotations.query("record == 7 and lead == 'V2'")
    sym = np.asarray(ann.symbol)
    peaks = [k for k in range(1, len(sym) - 1) if sym[k] in "pNt" and sym[k - 1] == "(" and sym[k + 1] == ")"]
    assert sorted(mine["peak"]) == sorted(int(ann.sample[k]) for k in peaks)


def test_incomplete_triplets_kept_with_nan(ludb_root):
    ds = read_ludb(ludb_root, complete_only=False)
    a = ds.annotations
    complete = a.dropna(subset=["on", "off"])
    assert len(complete) == 21843 + 19650 + 16796
    assert len(a) >= len(complete)


def test_annotated_span(ludb):
    span = ludb.extras["annotated_span"]
    assert len(span) == 200 * 12
    assert (span["first"] > 0).all() and (span["last"] < 5000).all()
    # first/last cycles are unannotated: every complete triplet lies inside its span
    merged = ludb.annotations.merge(span, on=["record", "lead"])
    assert len(merged) == len(ludb.annotations)
    assert (merged["on"] >= merged["first"]).all() and (merged["off"] <= merged["last"]).all()
    again = ludb_annotated_span(ludb.annotations)
    assert list(again.columns) == ["record", "lead", "first", "last"]


def test_meta_and_labels(ludb, ludb_root):
    raw = pd.read_csv(ludb_root / "ludb.csv", dtype=str)
    assert ludb.meta.loc[1, "sex"] == raw.loc[0, "Sex"].strip()
    assert ludb.meta.loc[1, "age"] == float(raw.loc[0, "Age"].strip())
    assert ludb.meta["age"].notna().all()
    lines = raw["Rhythms"].fillna("").str.split("\n")
    n_sr = sum("Sinus rhythm" in [x.strip() for x in cell] for cell in lines)
    assert ludb.labels["Sinus rhythm"].sum() == n_sr
    n_lvh = raw["Hypertrophies"].fillna("").str.contains("Left ventricular hypertrophy").sum()
    assert ludb.labels["Left ventricular hypertrophy"].sum() == n_lvh
    assert ludb.extras["label_category"]["Sinus rhythm"] == "rhythm"


def test_signal(ludb, ludb_root):
    rec = ludb[0]
    assert rec.signal.shape == (12, 5000) and rec.signal.dtype == np.float32
    assert rec.leads == list(STANDARD_LEADS) and rec.fs == 500
    wfdb = pytest.importorskip("wfdb")
    ref = wfdb.rdrecord(str(ludb_root / "data" / "1"))
    np.testing.assert_allclose(rec.signal[1], ref.p_signal[:, ref.sig_name.index("ii")], atol=1e-5)
