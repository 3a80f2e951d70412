"""The WCT PDF's grounded sentences: one paragraph per ECG headed by its alias, and the aliases
table lists that alias with its keyed pseudonym (user12 F7, user14 finding 8)."""

import pandas as pd

from interp_ecg.io.pseudonym import pseudonym as keyed_pseudonym
from interp_ecg.report import RecordTextBlock, Report
from interp_ecg.report.blocks.base import Pseudonymiser, RenderContext


def _frame():
    return pd.DataFrame({"record": [17, 17, 9], "explained": ["WCT score 0.80; baseline 0.10", "WCT score 0.80; baseline 0.10",
                                                             "WCT score 0.20; baseline 0.10"],
                         "sentence": ["QRS 150 ms raised the WCT score by 0.50", "HR 130 bpm raised the WCT score by 0.20",
                                      "HR 70 bpm lowered the WCT score by 0.05"]})


def test_one_paragraph_per_record_headed_by_alias():
    b = RecordTextBlock("Grounded explanations", _frame(), head_col="explained", text="intro")
    paras = b._paragraphs(RenderContext(pseudonymise=Pseudonymiser()))
    assert paras == ["E001: WCT score 0.80; baseline 0.10\n- QRS 150 ms raised the WCT score by 0.50\n"
                     "- HR 130 bpm raised the WCT score by 0.20",
                     "E002: WCT score 0.20; baseline 0.10\n- HR 70 bpm lowered the WCT score by 0.05"]


def test_pdf_aliases_are_listed(tmp_path):
    key = bytes(range(32))
    frame = _frame()
    # the run folder holds keyed pseudonyms (pseudonymise_run), the PDF numbers them
    frame["record"] = [keyed_pseudonym(r, key, "record") for r in frame["record"]]
    rep = Report("t", [RecordTextBlock("Grounded explanations", frame, head_col="explained")])
    rep.pseudonym_key = key
    rep.save_pdf(tmp_path / "r.pdf")
    a = rep.aliases_
    assert a["alias"].tolist() == ["E001", "E002"]
    assert a["pseudonym"].tolist() == [keyed_pseudonym(17, key, "record"), keyed_pseudonym(9, key, "record")]
