"""A report paragraph longer than the space left on a page splits across pages (the wct study's
PDF failed with "Paragraph.__init__() got an unexpected keyword argument 'bulletText'")."""

from __future__ import annotations

from pypdf import PdfReader

from interp_ecg.report import Report, TextBlock
from interp_ecg.report.layout import Paragraph


def test_a_long_paragraph_splits():
    parts = Paragraph("word " * 3000).split(400, 300)
    assert len(parts) == 2 and all(isinstance(p, Paragraph) for p in parts)


def test_a_long_text_block_renders_over_pages(tmp_path):
    text = " ".join(f"w{i}" for i in range(4000))
    path = Report("split", [TextBlock("Notes", text)]).save_pdf(tmp_path / "r.pdf")
    pages = PdfReader(str(path)).pages
    assert len(pages) >= 2
    joined = " ".join(p.extract_text() for p in pages)
    assert "w0 " in joined and "w3999" in joined
