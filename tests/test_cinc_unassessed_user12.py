"""CinC -> PTB-XL labels: an unassessed statement is unknown (NaN), not negative (user12 F4, F5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.io import EcgDataset, cinc_to_ptbxl_labels, read_cinc


def _ds(rows: dict[str, list[int]], codes: dict[str, str], index):
    labels = pd.DataFrame(rows, index=index)
    return EcgDataset(pd.DataFrame(index=labels.index), None, labels=labels,
                      extras={"dx_codes": pd.Series(codes)[labels.columns]})


def test_no_rhythm_code_makes_rhythm_statements_unknown():
    ds = _ds({"TAb": [1, 0, 0, 0], "NSR": [0, 1, 0, 0], "STach": [0, 0, 1, 0]},
             {"TAb": "164934002", "NSR": "426783006", "STach": "427084000"}, ["a", "b", "c", "d"])
    out = cinc_to_ptbxl_labels(ds, statements=["SR", "STACH", "TAB_"])
    assert np.isnan(out.loc["a", "SR"]) and np.isnan(out.loc["a", "STACH"])   # no rhythm named
    assert out.loc["a", "TAB_"] == 1.0
    assert out.loc["b", "SR"] == 1.0 and out.loc["b", "STACH"] == 0.0
    assert out.loc["c", "SR"] == 0.0 and out.loc["c", "STACH"] == 1.0        # a rhythm named: SR assessed
    assert out.loc["d"].isna().all()                                          # no code at all
    assert out.attrs["n_without_rhythm"] == 1 and out.attrs["n_without_codes"] == 1
    old = cinc_to_ptbxl_labels(ds, statements=["SR"], unmapped="negative")    # the old reading stays available
    assert old["SR"].tolist() == [0.0, 1.0, 0.0, 0.0]


def test_lv_high_voltage_leaves_lvh_unknown_and_lpr_leaves_1avb_unknown():
    ds = _ds({"LVHV": [1, 1, 0], "LVH": [0, 1, 0], "LPR": [0, 0, 1], "NSR": [1, 1, 1]},
             {"LVHV": "55827005", "LVH": "164873001", "LPR": "164947007", "NSR": "426783006"}, ["a", "b", "c"])
    out = cinc_to_ptbxl_labels(ds, statements=["LVH", "VCLVH", "1AVB", "LPR"])
    assert np.isnan(out.loc["a", "LVH"]) and out.loc["a", "VCLVH"] == 1.0
    assert out.loc["b", "LVH"] == 1.0                     # named: positive stays positive
    assert np.isnan(out.loc["c", "1AVB"]) and out.loc["c", "LPR"] == 1.0
    assert out.loc["a", "1AVB"] == 0.0
    assert out.attrs["form_suggests"] == {"LVH": 1, "1AVB": 1}


@pytest.mark.shared_data
def test_shared_cinc_sr_and_lvh_unknowns(cinc_root):
    c = read_cinc(cinc_root)
    c = c.subset(mask=(c.meta["source"] != "PTB_XL").to_numpy())
    out = cinc_to_ptbxl_labels(c, statements=["SR", "LVH"])
    # Georgia records whose codes name no rhythm (LQT / LVH / TAb / LVH only): SR unknown, not 0
    assert out.loc[["E07504", "E07505", "E07516", "E07519"], "SR"].isna().all()
    # Ningbo records coded LV high voltage without LVH: LVH unknown
    assert out.loc[["JS20003", "JS20004", "JS20006"], "LVH"].isna().all()
    assert int(out["SR"].notna().sum()) == 27 and int((out["SR"] == 1).sum()) == 5
    assert int(out["LVH"].notna().sum()) == 29 and int((out["LVH"] == 1).sum()) == 3


@pytest.mark.shared_data
def test_statement_a_source_never_codes_is_unknown_for_its_records(cinc_root):
    c = read_cinc(cinc_root)
    c = c.subset(mask=(c.meta["source"] != "PTB_XL").to_numpy())
    out = cinc_to_ptbxl_labels(c, statements=["LPR", "AFIB", "AFLT", "STACH"])
    georgia = (c.meta["source"] == "Georgia").to_numpy()
    ningbo = (c.meta["source"] == "Ningbo").to_numpy()
    # dx_mapping_scored.csv: Georgia 0 records with prolonged PR; Ningbo 0 with atrial fibrillation
    assert out.loc[georgia, "LPR"].isna().all() and out.loc[ningbo, "AFIB"].isna().all()
    un = out.attrs["source_unassessed"]
    assert "LPR" not in un["Ningbo"] and "AFLT" not in un["Ningbo"]   # Ningbo codes both
    assert out.loc[ningbo, "LPR"].notna().any()
    assert "LPR" in out.attrs["source_unassessed"]["Georgia"]
    assert "AFIB" in out.attrs["source_unassessed"]["Ningbo"]
