"""A pseudonymised report names no file path or identifier in its message columns (new user 7, B2).

Run folders were scrubbed (io.pseudonym); a report built with the public API printed the MIMIC path,
which holds the subject_id and study_id, beside the alias that hides them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pypdf import PdfReader

from interp_ecg.report import Pseudonymiser, Report, TableBlock

MIMIC_PATH = "/data/files/p1000/p10000084/s41000002/41000002.hea"


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"quality_ok": [False, True], "patient_id": ["10000084", "10000032"],
                         "quality_reason": [f"{MIMIC_PATH}: header file not found", np.nan],
                         "note": ["patient 10000032 seen", "worker died (exit 137) while measuring 40689238"],
                         "path": ["files/p1000/p10000084/s41000002/41000002", None]},
                        index=pd.Index([41000002, 40689238], name="study_id"))


def test_pseudonymiser_frame_scrubs_message_and_path_columns():
    out = Pseudonymiser().frame(_frame())
    assert out.index.tolist() == ["E001", "E002"]
    assert out["patient_id"].tolist() == ["P001", "P002"]
    assert out["quality_reason"].iloc[0] == "E001: header file not found"   # was the raw MIMIC path
    assert np.isnan(out["quality_reason"].iloc[1])
    # the row's own identifiers inside text get the same aliases as their columns
    assert out["note"].tolist() == ["patient 10000032 seen", "worker died (exit 137) while measuring E002"]
    # a path column shows its row's record alias
    assert out["path"].iloc[0] == "E001" and pd.isna(out["path"].iloc[1])
    # switched off: as given
    raw = Pseudonymiser(enabled=False).frame(_frame())
    assert raw["quality_reason"].iloc[0] == f"{MIMIC_PATH}: header file not found"


def test_report_pdf_holds_no_identifier_of_the_table(tmp_path):
    path = tmp_path / "r.pdf"
    Report("t", [TableBlock(_frame(), heading="Records")]).save_pdf(str(path))
    text = " ".join(page.extract_text() for page in PdfReader(str(path)).pages).replace("\n", " ")
    for ident in ("p1000", "10000084", "41000002", "40689238", ".hea", "/data"):
        assert ident not in text, ident
    assert "E001: header file not found" in text
    # "patient 10000032" in row E001 names another row's patient: the scrub only knows the row's own ids
    # (P001), so it stays; the report says what it was given
    assert "10000032" in text
