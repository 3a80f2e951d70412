"""read_cinc on the 50 shared CinC 2021 records and the SNOMED -> PTB-XL statement map."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from interp_ecg.io import STANDARD_LEADS, cinc_to_ptbxl_labels, read_cinc, snomed_to_ptbxl_map

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def cinc(cinc_root):
    return read_cinc(cinc_root)


def _headers(cinc_root):
    out = {}
    for hea in sorted(cinc_root.glob("*.hea")):
        info = {}
        for line in hea.read_text().splitlines():
            if line.startswith("#"):
                k, _, v = line[1:].partition(":")
                info[k.strip()] = v.strip()
        out[hea.stem] = info
    return out


def test_meta(cinc, cinc_root):
    heads = _headers(cinc_root)
    assert len(cinc) == len(heads) == 50
    assert cinc.meta["source"].value_counts().to_dict() == {"Georgia": 20, "Ningbo": 20, "PTB_XL": 10}
    for rid, info in heads.items():
        age = float(info["Age"]) if info["Age"] not in ("NaN", "Unknown") else np.nan
        assert cinc.meta.loc[rid, "age"] == pytest.approx(age, nan_ok=True)
        assert cinc.meta.loc[rid, "sex"] == {"Male": "M", "Female": "F"}[info["Sex"]]
    assert cinc.meta["patient_id"].isna().all()  # the challenge names no patients (was: the record names)


def test_labels(cinc, cinc_root):
    heads = _headers(cinc_root)
    mapping = pd.concat([pd.read_csv(cinc_root / f"dx_mapping_{k}.csv") for k in ("scored", "unscored")])
    abbrev = dict(zip(mapping["SNOMEDCTCode"].astype(str), mapping["Abbreviation"]))
    assert cinc.labels.shape[1] == len(mapping)  # every code the mapping names, none unnamed here
    total = 0
    for rid, info in heads.items():
        codes = info["Dx"].split(",")
        total += len(codes)
        expected = {abbrev[c] for c in codes}
        assert set(cinc.labels.columns[cinc.labels.loc[rid].to_numpy() == 1]) == expected
    assert int(cinc.labels.to_numpy().sum()) == total
    assert cinc.extras["dx_codes"]["AF"] == "164889003"


def test_signals(cinc, cinc_root):
    rec = cinc.load("JS20000")
    assert rec.signal.shape == (12, 5000) and rec.fs == 500 and rec.leads == list(STANDARD_LEADS)
    wfdb = pytest.importorskip("wfdb")
    ref = wfdb.rdrecord(str(cinc_root / "JS20000"))
    np.testing.assert_allclose(rec.signal, ref.p_signal.T, atol=1e-6)
    assert cinc.scan()["ok"].all()


def test_map_table_is_consistent(cinc_root, ptbxl_root):
    m = snomed_to_ptbxl_map()
    statements = pd.read_csv(ptbxl_root / "scp_statements.csv", index_col=0)
    assert set(m["ptbxl_code"]) <= set(statements.index)
    mapping = pd.concat([pd.read_csv(cinc_root / f"dx_mapping_{k}.csv") for k in ("scored", "unscored")])
    known = dict(zip(mapping["SNOMEDCTCode"].astype(str), mapping["Abbreviation"]))
    for code, ab in zip(m["snomed_code"], m["cinc_abbreviation"]):
        assert known[code] == ab
    assert not m["snomed_code"].duplicated().any()
    assert set(m["relation"]) <= {"same", "equivalent", "narrower", "approximate"}
    pairs = dict(zip(m["cinc_abbreviation"], m["ptbxl_code"]))
    for ab, code in {"AF": "AFIB", "AFL": "AFLT", "IAVB": "1AVB", "CLBBB": "CLBBB", "CRBBB": "CRBBB",
                     "IRBBB": "IRBBB", "LAnFB": "LAFB", "LVH": "LVH", "SB": "SBRAD", "STach": "STACH",
                     "PVC": "PVC", "NSR": "SR", "LQT": "LNGQT"}.items():
        assert pairs[ab] == code


def test_cinc_to_ptbxl(cinc, ptbxl_root):
    pl = cinc_to_ptbxl_labels(cinc, unmapped="negative")  # the 0/1 reading; "unknown" is tested below
    assert (pl["STACH"] == cinc.labels["STach"]).all()
    assert (pl["SBRAD"] == cinc.labels["SB"]).all()
    assert (pl["SR"] == cinc.labels["NSR"]).all()
    # RBBB (59118001) and CRBBB both give CRBBB
    assert (pl["CRBBB"] == (cinc.labels["RBBB"] | cinc.labels["CRBBB"])).all()
    # approximate relations only on request
    assert "NST_" not in pl.columns
    assert cinc_to_ptbxl_labels(cinc, relations=("same", "approximate"))["NST_"].sum() == cinc.labels["NSSTTA"].sum()
    statements = pd.read_csv(ptbxl_root / "scp_statements.csv", index_col=0).index
    full = cinc_to_ptbxl_labels(cinc, statements=statements)
    assert list(full.columns) == list(statements)
    # NORM: sinus rhythm as the only code (CinC's coding of PTB-XL NORM), else unknown
    only_nsr = (cinc.labels["NSR"] == 1) & (cinc.labels.sum(axis=1) == 1)
    assert (full["NORM"] == 1).sum() == only_nsr.sum() > 0 and full["NORM"][~only_nsr].isna().all()
    # a statement is negative only without unmapped codes: JS20000 carries 55930002 (ST changes, unmapped)
    assert full.loc["JS20000", "IVCD"] == 1 and np.isnan(full.loc["JS20000", "NST_"])
    assert full.loc["E07506", "CLBBB"] == 0  # sinus rhythm only: every statement is decided
    assert "55930002" in full.attrs["unmapped_codes"]["JS20000"]
    # a statement no SNOMED code maps to is unknown everywhere
    assert full["IMI"].isna().all()


def test_without_mapping_files(cinc_root, tmp_path):
    for ext in (".hea", ".mat"):
        shutil.copy(cinc_root / f"E07500{ext}", tmp_path)
    ds = read_cinc(tmp_path)
    assert sorted(ds.labels.columns) == ["426177001", "67741000119109"]
    assert ds.load("E07500").signal.shape == (12, 5000)
