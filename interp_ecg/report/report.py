"""``Report``: an ordered list of blocks saved as a vector PDF or shown in Jupyter.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> from interp_ecg.report import Report, TextBlock, TableBlock
>>> rep = Report("Demo", [TextBlock("Intro", "Hello."),
...                       TableBlock(pd.DataFrame({"a": [0.5]}), heading="Numbers")])
>>> out = pathlib.Path(tempfile.mkdtemp()) / "r.pdf"
>>> rep.save_pdf(out).exists()
True
>>> "Numbers" in rep._repr_html_()
True
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from interp_ecg.report.blocks import Block, Pseudonymiser, RenderContext
from interp_ecg.report.layout import render_pdf

logger = logging.getLogger(__name__)


class Report:
    """A report assembled from blocks.

    Parameters
    ----------
    title : str
        Shown in every page footer and as the PDF's title metadata.
    blocks : iterable of Block, optional
    paper : {"a4", "letter"}
        Default paper for :meth:`save_pdf`.
    pseudonymise : bool, default True
        Replace record and patient identifiers by pseudonyms (ECGs ``E001``..., patients ``P001``...) everywhere in the
        report. Set ``False`` only where identifiers may be shown.
    """

    def __init__(self, title: str, blocks: Iterable[Block] | None = None, paper: str = "a4",
                 pseudonymise: bool = True) -> None:
        self.title = title
        self.blocks: list[Block] = list(blocks or [])
        self.paper = paper
        self.pseudonymise = pseudonymise
        #: key of the run folder's pseudonyms: a raw id and its keyed pseudonym get one alias,
        #: and ``aliases_`` (after :meth:`save_pdf`) lists each alias with its pseudonym
        self.pseudonym_key: bytes | None = None
        self.aliases_: pd.DataFrame | None = None
        self.n_pages_: int | None = None

    def add(self, *blocks: Block) -> "Report":
        """Append blocks; returns the report so calls chain."""
        self.blocks.extend(blocks)
        return self

    def _context(self, paper: str) -> RenderContext:
        return RenderContext(pseudonymise=Pseudonymiser(self.pseudonymise, key=self.pseudonym_key), paper=paper)

    def save_pdf(self, path: str | Path, paper: str | None = None) -> Path:
        """Write the report as a vector PDF with selectable text and page numbers.

        Typeset by reportlab: "Page i of N" in every footer, one bookmark per heading (the PDF
        outline), title/author/subject/creator metadata; figures are vector (matplotlib PDF).

        Parameters
        ----------
        path : str or Path
        paper : {"a4", "letter"}, optional
            Overrides the report's paper.

        Returns
        -------
        pathlib.Path
        """
        paper = (paper or self.paper).lower()
        ctx = self._context(paper)
        flowables = []
        for block in self.blocks:
            try:
                flowables.extend(block.flowables(ctx))
            except Exception:  # a report never dies on one block: say what failed in the PDF
                logger.exception("report block %r failed to render", getattr(block, "heading", block))
                from interp_ecg.report.layout import Paragraph

                flowables.append(Paragraph(f"[section '{getattr(block, 'heading', '')}' could not be "
                                           "rendered; see the log]", color="#aa0000"))
        self.n_pages_ = render_pdf(flowables, path, paper=paper, title=self.title)
        self.aliases_ = ctx.pseudonymise.aliases()
        return Path(path)

    def tables(self) -> dict[str, pd.DataFrame]:
        """All result tables shown by the blocks (name -> DataFrame)."""
        out: dict[str, pd.DataFrame] = {}
        for block in self.blocks:
            out.update(block.tables())
        return out

    def to_html(self) -> str:
        ctx = self._context(self.paper)
        body = "".join(block.html(ctx) for block in self.blocks)
        return f"<div class='interp-ecg-report'>{body}</div>"

    def save_html(self, path: str | Path) -> Path:
        """Write the report as one self-contained HTML file (inline SVG figures)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<!doctype html><meta charset='utf-8'><title>{self.title}</title>{self.to_html()}",
                        encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        return f"Report(title={self.title!r}, blocks={len(self.blocks)}, paper={self.paper!r})"
