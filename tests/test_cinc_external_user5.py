"""CinC external validation: PTB-XL's own records left out, undecided labels unknown (user5 A4, A5, C1)."""

import numpy as np
import pandas as pd

from interp_ecg.io import cinc_to_ptbxl_labels, read_cinc
from interp_ecg.studies.ptbxl_statements import _report_blocks, cinc_superclasses, external_cinc


def test_ptbxl_records_are_not_external(cinc_root):
    dc, n_left = external_cinc(read_cinc(cinc_root))
    assert n_left == 10 and len(dc) == 40  # HR06000-HR06009 (source PTB_XL) out
    assert not dc.meta["source"].eq("PTB_XL").any()
    assert not dc.meta.index.str.startswith("HR").any()


def test_cinc_superclasses_unknown_not_negative(cinc_root, ptbxl_root):
    c = read_cinc(cinc_root)
    table = pd.read_csv(ptbxl_root / "scp_statements.csv", index_col=0)
    stmts = cinc_to_ptbxl_labels(c, statements=list(table.index))
    sup = cinc_superclasses(table, stmts)
    # JS20017: T wave abnormal, T inversion and an unmapped ST-interval code: STTC unknown (old: 0)
    assert np.isnan(sup.loc["JS20017", "STTC"])
    # JS20000: 55930002 "ST changes" has no mapping: STTC unknown, CD (IVCD) still positive
    assert np.isnan(sup.loc["JS20000", "STTC"]) and sup.loc["JS20000", "CD"] == 1
    # sinus rhythm only: a normal ECG, every other superclass negative (old: NORM never positive),
    # except MI: Georgia never codes anterior MI (dx_mapping counts 0), the only MI statement a
    # SNOMED code names, so MI is unknown for Georgia records (user12 F4/F5 "not assessed")
    assert sup.loc["E07506"].tolist()[0] == 1.0 and np.isnan(sup.loc["E07506", "MI"])
    assert sup.loc["E07506"].tolist()[2:] == [0.0, 0.0, 0.0]
    # LVH only: HYP positive, NORM negative
    assert sup.loc["E07505", "HYP"] == 1 and sup.loc["E07505", "NORM"] == 0
    # the five STTC-negatives user5 found carrying ST/T codes are no longer negatives
    for rec in ("JS20000", "JS20012", "JS20014", "JS20015", "JS20017"):
        assert np.isnan(sup.loc[rec, "STTC"]), rec
    assert int((sup["NORM"] == 1).sum()) == 11  # 5 Georgia + 6 PTB_XL records: sinus rhythm as the only code


def test_report_blocks_empty_table_is_a_sentence(tmp_path):
    from interp_ecg.report import Report, TextBlock

    tables = {"cohort": pd.DataFrame({"item": ["records"], "value": [3]}), "fold_auroc": pd.DataFrame(),
              "notes": pd.DataFrame({"note": ["x"]})}
    blocks = _report_blocks(tables)
    assert isinstance(blocks[1], TextBlock) and "cv10" in blocks[1].text
    Report("t", blocks).save_pdf(tmp_path / "r.pdf")  # old: IndexError from the empty table
    assert (tmp_path / "r.pdf").stat().st_size > 0
