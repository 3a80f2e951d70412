"""Resume: a truncated or empty Parquet chunk (or feature cache) is redone, never trusted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import IntegrityError
from interp_ecg.features import extract, read_features
from interp_ecg.features.extract import extract_cached
from interp_ecg.features.stream import ChunkStore, chunk_problem
from interp_ecg.features.synthetic import OffsetDelineator, gaussian_ecg
from interp_ecg.io import ArrayLoader, EcgDataset

FS = 500


def _dataset(n: int = 6) -> EcgDataset:
    sigs = np.stack([gaussian_ecg(hr_bpm=60 + 5 * i, noise_mV=0.01, random_state=i)[0] for i in range(n)])
    meta = pd.DataFrame({"patient_id": np.arange(n)}, index=pd.Index([f"r{i}" for i in range(n)], name="record_id"))
    return EcgDataset(meta, ArrayLoader(sigs, fs=FS), fs=FS, name="synthetic")


def _frame(ids):
    return pd.DataFrame({"x": np.arange(len(ids), dtype=float)}, index=pd.Index(ids, name="record_id"))


@pytest.mark.parametrize("damage", ["truncated", "empty", "short"])
def test_chunkstore_redoes_a_damaged_chunk(tmp_path, damage):
    ids = ["a", "b", "c", "d", "e"]
    store = ChunkStore(tmp_path, ids=ids, chunk_size=2)
    for k in range(store.n_chunks):
        store.write(k, _frame(store.chunk_ids(k)))
    assert store.pending() == []
    path = store.path(1)
    blob = path.read_bytes()
    if damage == "truncated":  # a disk that filled: the footer is gone
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a valid Parquet file of another length (1 row where 2 are planned)
        _frame(["c"]).to_parquet(path)
    with pytest.raises(IntegrityError, match="chunk-000001.parquet is not a complete chunk"):
        read_features(tmp_path)
    again = ChunkStore(tmp_path, ids=ids, chunk_size=2)
    assert again.pending() == [1]
    assert not path.exists() and (tmp_path / ".chunk-000001.parquet.invalid").exists()
    again.write(1, _frame(again.chunk_ids(1)))
    assert read_features(tmp_path).index.tolist() == ids


def test_chunk_problem_reasons(tmp_path):
    p = tmp_path / "c.parquet"
    _frame(["a", "b"]).to_parquet(p)
    assert chunk_problem(p, 2) is None
    assert chunk_problem(p, 3) == "2 rows, expected 3"
    p.write_bytes(p.read_bytes()[:-10])
    assert chunk_problem(p, 2).startswith("no valid Parquet footer")


def test_extract_resumes_over_a_truncated_chunk(tmp_path):
    ds = _dataset()
    out = tmp_path / "feat"
    ref = extract(ds, out=out, progress=False, method=OffsetDelineator(), chunk_size=2)
    chunk = out / "chunk-000002.parquet"
    chunk.write_bytes(chunk.read_bytes()[:100])
    again = extract(ds, out=out, progress=False, method=OffsetDelineator(), chunk_size=2)
    pd.testing.assert_frame_equal(again, ref)
    pd.testing.assert_frame_equal(read_features(out), ref)


def test_extract_cached_survives_a_truncated_cache_and_writes_atomically(tmp_path, monkeypatch):
    ds = _dataset(3)
    cache = tmp_path / "cache" / "features.parquet"
    ref = extract_cached(ds, cache)
    assert cache.is_file() and not list(cache.parent.glob(".*tmp*"))
    cache.write_bytes(cache.read_bytes()[:50])  # an interrupted copy
    pd.testing.assert_frame_equal(extract_cached(ds, cache), ref)
    pd.testing.assert_frame_equal(pd.read_parquet(cache), ref)
    cache.write_bytes(b"")
    pd.testing.assert_frame_equal(extract_cached(ds, cache), ref)

    # a write that dies half way leaves the previous cache intact and no temporary file
    good = cache.read_bytes()
    other = _dataset(4)

    def boom(self, path, *a, **k):
        with open(path, "wb") as fh:
            fh.write(b"PAR1 half")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(OSError, match="disk full"):
        extract_cached(other, cache)
    assert cache.read_bytes() == good and not list(cache.parent.glob(".*tmp*"))
