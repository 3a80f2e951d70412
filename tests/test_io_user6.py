"""Readers and datasets: the silent errors new user 6 found (FINDINGS-user6.md), each with the right value.

Small WFDB records are written with wfdb-python under ``tmp_path``; nothing here needs shared data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import ArgumentError
from interp_ecg.io import ArrayLoader, EcgDataset


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
