"""Every chunk file of a run has the same columns, so the folder reads as one table with any
Parquet reader (user 6, finding 7)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from interp_ecg.features import extract, read_features
from interp_ecg.features.synthetic import OffsetDelineator, gaussian_ecg
from interp_ecg.io import EcgDataset, Record
from interp_ecg.io.leads import STANDARD_LEADS

FS = 500


class MixedLeads:
    """Records r0..r5; r3 has two channels named ECG1/ECG2 instead of the twelve leads."""

    def __init__(self):
        self.pool = np.stack([gaussian_ecg(hr_bpm=60 + 5 * i, noise_mV=0.01, random_state=i)[0] for i in range(6)])

    def __call__(self, rid, row):
        i = int(str(rid)[1:])
        if i == 3:
            return Record(str(rid), self.pool[i][[1, 7]], float(FS), ["ECG1", "ECG2"])
        return Record(str(rid), self.pool[i], float(FS), list(STANDARD_LEADS))


def _dataset(with_lead_meta: bool) -> EcgDataset:
    ids = [f"r{i}" for i in range(6)]
    meta = pd.DataFrame({"patient_id": range(6)}, index=pd.Index(ids, name="record_id"))
    if with_lead_meta:  # as read_wfdb writes it
        meta["leads"] = ["ECG1 ECG2" if i == "r3" else " ".join(STANDARD_LEADS) for i in ids]
    return EcgDataset(meta, MixedLeads(), fs=FS, name="mixed")


@pytest.mark.parametrize("with_lead_meta", [True, False])
def test_every_chunk_has_the_same_columns(tmp_path, with_lead_meta):
    out = tmp_path / "feat"
    table = extract(_dataset(with_lead_meta), out=out, chunk_size=2, progress=False, method=OffsetDelineator())
    schemas = [pq.read_schema(f).names for f in sorted(out.glob("chunk-*.parquet"))]
    assert len(schemas) == 3 and all(s == schemas[0] for s in schemas)
    assert "R_amp_mV_ECG1" in table.columns and "R_amp_mV_ECG2" in table.columns
    assert np.isfinite(table.loc["r3", "R_amp_mV_ECG1"])
    assert table.drop(index="r3")["R_amp_mV_ECG1"].isna().all()
    # the plain folder read (pandas/pyarrow dataset) keeps every column and value
    plain = pd.read_parquet(out)
    assert plain.shape == table.shape == (6, table.shape[1])
    pd.testing.assert_frame_equal(plain[table.columns].loc[table.index], table, check_index_type=False,
                                  check_dtype=False)
    pd.testing.assert_frame_equal(read_features(out), table)


def test_in_memory_table_equals_the_streamed_one(tmp_path):
    ds = _dataset(True)
    mem = extract(ds, chunk_size=2, progress=False, method=OffsetDelineator())
    streamed = extract(ds, out=tmp_path / "f", chunk_size=2, progress=False, method=OffsetDelineator())
    pd.testing.assert_frame_equal(mem, streamed)
