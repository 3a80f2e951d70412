"""data.features is the user's input table: read as given, never rewritten; what is missing is
named (user12 F1)."""

import logging
from types import SimpleNamespace

import pandas as pd
import pytest

from interp_ecg.errors import DataNotFoundError
from interp_ecg.studies.pipeline import read_feature_input
from interp_ecg.studies.wct import _package_features


def _table(tmp_path):
    t = pd.DataFrame({"quality_ok": [True, True, False], "QRS_duration_ms": [90.0, 130.0, float("nan")],
                      "heart_rate_bpm": [70.0, 110.0, float("nan")]}, index=pd.Index([3, 1, 2], name="ecg_id"))
    path = tmp_path / "mine.parquet"
    t.to_parquet(path)  # as features.extract(ds).to_parquet(path) saves it: no provenance stamp
    return t, path


def test_read_as_given_and_never_written(tmp_path, caplog):
    t, path = _table(tmp_path)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    ds = SimpleNamespace(ids=[1, 2, 3])
    with caplog.at_level(logging.INFO):
        got = _package_features(ds, {"features_input": str(path), "n_jobs": 1}, cache=tmp_path / "cache.parquet")
    assert got.index.tolist() == [1, 2, 3]
    assert got["QRS_duration_ms"].tolist()[0] == 130.0
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert not (tmp_path / "cache.parquet").exists()
    assert "no provenance stamp (not written by extract_cached)" in caplog.text
    assert "older version" not in caplog.text


def test_missing_records_and_columns_are_named(tmp_path):
    t, path = _table(tmp_path)
    before = path.read_bytes()
    with pytest.raises(DataNotFoundError, match=r"lacks 1 of the dataset's 4 records \(e.g. \['7'\]"):
        read_feature_input(path, SimpleNamespace(ids=[1, 2, 3, 7]))
    with pytest.raises(DataNotFoundError, match=r"lacks the column\(s\) \['Cornell_product_mVms'\]"):
        read_feature_input(path, SimpleNamespace(ids=[1, 2]), required=("quality_ok", "Cornell_product_mVms"))
    assert path.read_bytes() == before
