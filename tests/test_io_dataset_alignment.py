"""EcgDataset pairs per-record pandas inputs by record id, not by row (new user 7, A0b).

A boolean Series given as ``subset(mask=...)`` and the ``labels`` of a dataset are paired with
``meta`` by their index; arrays and lists stay positional. Nothing here needs shared data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import ArgumentError
from interp_ecg.io import ArrayLoader, EcgDataset

AGES = [56, 19, 37, 24, 19, 18]          # PTB-XL ecg_id 1..6 (the finding's example)


def _dataset(labels: pd.DataFrame | None = None) -> EcgDataset:
    n = len(AGES)
    sig = np.repeat(np.arange(1, n + 1, dtype=np.float32)[:, None, None], 12, axis=1).repeat(50, axis=2)
    meta = pd.DataFrame({"age": AGES, "fold": [1, 1, 1, 2, 2, 2]}, index=pd.Index(range(1, n + 1), name="ecg_id"))
    return EcgDataset(meta, ArrayLoader(sig, fs=100), fs=100, name="six", labels=labels)


def test_mask_series_in_another_order_selects_by_id():
    ds = _dataset()
    m = ds.meta["age"] > 50
    assert ds.subset(mask=m).ids.tolist() == [1]
    assert ds.subset(mask=m.sort_values()).ids.tolist() == [1]      # was [6] (age 18 for "age > 50")
    assert ds.subset(mask=m.sample(frac=1.0, random_state=3)).ids.tolist() == [1]
    young = ds.meta["age"] < 20
    assert ds.subset(mask=young[::-1]).ids.tolist() == [2, 5, 6]     # dataset order kept
    assert ds.subset(mask=young[::-1]).meta["age"].tolist() == [19, 19, 18]


def test_positional_mask_keeps_positional_meaning():
    ds = _dataset()
    keep = [True, False, False, False, False, True]
    assert ds.subset(mask=keep).ids.tolist() == [1, 6]
    assert ds.subset(mask=np.array(keep)).ids.tolist() == [1, 6]
    assert ds.subset(mask=(ds.meta["age"] > 50).to_numpy()[::-1]).ids.tolist() == [6]


def test_mask_series_after_query_covers_the_remaining_records():
    ds = _dataset()
    m = (ds.meta["age"] < 20).sort_values()          # over all six records, reordered
    assert ds.subset(query="fold == 2", mask=m).ids.tolist() == [5, 6]
    sub = m[m.index >= 4]                            # only the queried records: enough too
    assert ds.subset(query="fold == 2", mask=sub).ids.tolist() == [5, 6]


def test_mask_series_with_other_ids_is_refused_naming_them():
    ds = _dataset()
    shifted = pd.Series([True, False, False, False, False, False], index=range(6))   # 0..5 (a reset index)
    with pytest.raises(ArgumentError, match=r"1 record id\(s\) of dataset 'six' not in the mask's index: \[6\]; "
                                            r"1 id\(s\) of the mask's index not in dataset 'six': \[0\]"):
        ds.subset(mask=shifted)
    with pytest.raises(ArgumentError, match=r"not in the mask's index: \[4, 5, 6\]"):
        ds.subset(mask=(ds.meta["age"] > 50).iloc[:3])
    dup = pd.Series([True] * 7, index=[1, 2, 3, 4, 5, 6, 6])
    with pytest.raises(ArgumentError, match=r"more than once: \[6\]"):
        ds.subset(mask=dup)


def test_mask_that_is_not_boolean_or_of_wrong_length_is_refused():
    ds = _dataset()
    with pytest.raises(ArgumentError, match="one value per record"):
        ds.subset(mask=[True, False])
    with pytest.raises(ArgumentError, match="must hold booleans"):
        ds.subset(mask=pd.Series([1.0, np.nan, 0, 0, 0, 0], index=ds.ids))   # NaN was taken for True
    with pytest.raises(ArgumentError, match="must hold booleans"):
        ds.subset(mask=[0, 1, 2, 0, 0, 0])
    with pytest.raises(ArgumentError, match="DataFrame"):
        ds.subset(mask=ds.meta[["age"]] > 50)


def test_labels_in_another_order_are_paired_by_id():
    ids = pd.Index(range(1, 7), name="ecg_id")
    labels = pd.DataFrame({"LVH": [1, 0, 0, 0, 0, 0]}, index=ids)
    ds = _dataset(labels.iloc[::-1])
    assert ds.labels.index.tolist() == [1, 2, 3, 4, 5, 6]
    assert ds.labels["LVH"].tolist() == [1, 0, 0, 0, 0, 0]
    # the worker chunks of scan(n_jobs>1) take labels by id as well
    assert ds._positions(0, 2).labels["LVH"].tolist() == [1, 0]
    assert ds.subset([6, 1]).labels["LVH"].tolist() == [0, 1]


def test_labels_missing_a_record_are_refused_naming_it():
    labels = pd.DataFrame({"LVH": [1, 0, 0, 0, 0]}, index=pd.Index(range(1, 6), name="ecg_id"))
    with pytest.raises(ArgumentError, match=r"labels of dataset 'six' miss 1 of its 6 records: \[6\]"):
        _dataset(labels)
