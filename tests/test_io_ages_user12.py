"""Ages: an empty age cell is 'not recorded' (NaN), never the >89 cap (user12 F8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.io import read_ptbxl


def _write_ptbxl(root, ages):
    n = len(ages)
    pd.DataFrame({
        "ecg_id": np.arange(1, n + 1), "patient_id": np.arange(10, 10 + n, dtype=float), "age": ages,
        "sex": [0] * n, "scp_codes": ["{'NORM': 100.0}"] * n, "strat_fold": [1] * n,
        "filename_lr": [f"records100/00000/{i:05d}_lr" for i in range(1, n + 1)],
        "filename_hr": [f"records500/00000/{i:05d}_hr" for i in range(1, n + 1)],
    }).to_csv(root / "ptbxl_database.csv", index=False)
    pd.DataFrame({"description": ["normal ECG"], "diagnostic": [1.0], "form": [None], "rhythm": [None],
                  "diagnostic_class": ["NORM"], "diagnostic_subclass": ["NORM"]},
                 index=["NORM"]).to_csv(root / "scp_statements.csv")


def test_empty_age_is_nan_and_300_is_90_over_89(tmp_path):
    _write_ptbxl(tmp_path, [63.0, np.nan, 300.0, 89.0, 91.0])
    meta = read_ptbxl(tmp_path).meta
    assert meta.loc[1, "age"] == 63.0 and not bool(meta.loc[1, "age_over_89"])
    assert np.isnan(meta.loc[2, "age"])                      # empty cell: not recorded
    assert pd.isna(meta.loc[2, "age_over_89"])               # unknown, not False
    assert meta.loc[3, "age"] == 90.0 and bool(meta.loc[3, "age_over_89"])   # PTB-XL's ">89" code
    assert meta.loc[4, "age"] == 89.0 and not bool(meta.loc[4, "age_over_89"])
    assert meta.loc[5, "age"] == 91.0 and bool(meta.loc[5, "age_over_89"])  # written as 91: over 89
    assert int((meta["age"] == 90).sum()) == 1


@pytest.mark.shared_data
def test_shared_ptbxl_empty_ages_are_nan(ptbxl_root):
    raw = pd.read_csv(ptbxl_root / "ptbxl_database.csv", index_col="ecg_id")["age"]
    meta = read_ptbxl(ptbxl_root).meta
    empty = raw.index[raw.isna()].tolist()
    assert empty == [108, 255, 256, 346]
    assert meta.loc[empty, "age"].isna().all()
    assert meta.loc[empty, "age_over_89"].isna().all()
    # no record of the sample carries the 300 code; ages 90 (1) and 91 (2) are written as such
    assert int((raw >= 300).sum()) == 0
    assert sorted(meta.index[meta["age_over_89"].fillna(False).to_numpy(dtype=bool)]) == sorted(raw.index[raw > 89])
    assert int(meta["age_over_89"].fillna(False).sum()) == 3 and int((meta["age"] == 90).sum()) == 1
    # every recorded age is read unchanged
    rec = raw.dropna()
    assert np.array_equal(meta.loc[rec.index, "age"].to_numpy(), np.where(rec >= 300, 90.0, rec))


@pytest.mark.shared_data
def test_mimic_anchor_age_91_is_not_an_age(mimic_ecg_schema_root, mimic_demo_root, tmp_path):
    """MIMIC-IV's anchor_age 91 means '>89 in the anchor year': 90 after it, NaN before it."""
    from interp_ecg.io import read_mimic_ecg

    pat = pd.read_csv(mimic_demo_root / "hosp/patients.csv.gz")
    old = pat[pat["anchor_age"] == 91].iloc[0]
    young = pat[pat["anchor_age"] < 80].iloc[0]
    rl = pd.DataFrame({
        "subject_id": [old.subject_id, old.subject_id, young.subject_id],
        "study_id": [1, 2, 3],
        "file_name": ["1", "2", "3"],
        "ecg_time": [f"{old.anchor_year + 3}-01-01 10:00:00", f"{old.anchor_year - 2}-01-01 10:00:00",
                     f"{young.anchor_year + 1}-01-01 10:00:00"],
        "path": ["files/p1/1", "files/p1/2", "files/p1/3"],
    })
    rl.to_csv(tmp_path / "record_list.csv", index=False)
    meta = read_mimic_ecg(tmp_path, hosp_dir=mimic_demo_root / "hosp", measurements=False).meta
    assert meta.loc["1", "age"] == 90.0 and bool(meta.loc["1", "age_over_89"])   # not 91 + 3 = 94
    assert np.isnan(meta.loc["2", "age"]) and pd.isna(meta.loc["2", "age_over_89"])  # not 89
    assert meta.loc["3", "age"] == young.anchor_age + 1 and not bool(meta.loc["3", "age_over_89"])
