"""The PDF outline puts a section's warning under that section, and report aliases tell an ECG
from a patient (user 6, finding 16): before, a warning block placed ahead of its section sat in
the outline under the section before, and "ECG P001, patient P002" read as two patients."""

from __future__ import annotations

import pandas as pd
from pypdf import PdfReader

from interp_ecg.report import LeadBlock, Pseudonymiser, Report, TableBlock, TextBlock


def outline(path) -> list[tuple[int, str]]:
    """(depth, title) of every outline entry, in order."""
    reader = PdfReader(str(path))
    out: list[tuple[int, str]] = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title))

    walk(reader.outline, 0)
    return out


def parent_of(entries: list[tuple[int, str]], needle: str) -> str:
    i = next(k for k, (_, t) in enumerate(entries) if needle in t)
    depth = entries[i][0]
    return next(t for d, t in reversed(entries[:i]) if d < depth)


def test_lead_block_puts_the_warning_under_its_own_section(tmp_path):
    warn = TextBlock("Warning: the network is not shown to discriminate", "AUC 0.52 (0.40-0.63).", level=2)
    rep = Report("R", [TextBlock("Prototype network", "Gallery."),
                       LeadBlock(TableBlock(pd.DataFrame({"a": [1]}), heading="Phenome-wide association study"),
                                 warn)])
    rep.save_pdf(tmp_path / "r.pdf")
    entries = outline(tmp_path / "r.pdf")
    assert parent_of(entries, "Warning: the network") == "Phenome-wide association study"
    # the order on the page: section heading, then its warning, then its content
    titles = [t for _, t in entries]
    assert titles.index("Phenome-wide association study") < titles.index(warn.heading)
    # before (the warning block placed ahead of its section) it sat under the section before
    rep = Report("R", [TextBlock("Prototype network", "Gallery."), warn,
                       TableBlock(pd.DataFrame({"a": [1]}), heading="Phenome-wide association study")])
    rep.save_pdf(tmp_path / "old.pdf")
    assert parent_of(outline(tmp_path / "old.pdf"), "Warning: the network") == "Prototype network"
    html = LeadBlock(TextBlock("S", "body"), TextBlock("W", "why", level=2))._repr_html_()
    assert html.index("<h2>S</h2>") < html.index(">W<") < html.index("body")


def test_ecg_and_patient_aliases_differ():
    p = Pseudonymiser()
    # before: one numbering, "P001" for the ECG and "P002" for its patient
    assert (p("ECG-1"), p("PAT-9", "patient"), p("ECG-2"), p("PAT-9", "patient")) == ("E001", "P001", "E002", "P001")
    out = p.frame(pd.DataFrame({"record_id": ["ECG-2", "ECG-3"], "patient_id": ["PAT-9", "PAT-7"],
                                "x": [1, 2]}))
    assert out.to_dict("list") == {"record_id": ["E002", "E003"], "patient_id": ["P001", "P002"], "x": [1, 2]}
    assert Pseudonymiser(prefix="X")("a", "patient") == "X001"


def test_an_empty_table_is_a_sentence_not_a_crash(tmp_path):
    # before: "IndexError ... KeepTogether" from reportlab and no PDF at all (user 5, C1)
    import pytest

    from interp_ecg.errors import ArgumentError
    from interp_ecg.report.layout import Table

    rep = Report("R", [TableBlock(pd.DataFrame({"fold": [], "auroc": []}), heading="Per fold",
                                  caption="AUROC per fold"),
                       TextBlock("After", "still written")])
    rep.save_pdf(tmp_path / "r.pdf")
    text = "".join(p.extract_text() for p in PdfReader(str(tmp_path / "r.pdf")).pages)
    assert "AUROC per fold: no rows to show." in text and "still written" in text
    with pytest.raises(ArgumentError, match="table 'T' has no rows"):
        Table(pd.DataFrame({"a": []}), "T")
