"""Page layout: flowing headings, paragraphs, tables and figures onto vector PDF pages.

The report is drawn with matplotlib only: every page is one figure of the paper's size, text
is real text (TrueType, ``pdf.fonttype = 42``) so it can be selected and searched, and figures
are drawn straight into their region of the page, so they stay vector.

Layout runs in two passes: flowables are measured and assigned to pages first (so the footer
can say "Page i of N"), then each page is drawn.

Examples
--------
>>> from interp_ecg.report.layout import wrap_text, PAPERS
>>> wrap_text("alpha beta gamma delta", width_in=0.8, size=10)
['alpha beta', 'gamma', 'delta']
>>> PAPERS["a4"]
(8.27, 11.69)
"""

from __future__ import annotations

import datetime as _dt
import logging
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from interp_ecg.errors import ConfigError

logger = logging.getLogger(__name__)

#: paper sizes in inches (portrait width, height)
PAPERS: dict[str, tuple[float, float]] = {"a4": (8.27, 11.69), "letter": (8.5, 11.0)}
MARGIN_IN = 0.5
FOOTER_IN = 0.35
CHAR_WIDTH_EM = 0.56  # average glyph width of DejaVu Sans, in ems
LINE_SPACING = 1.35
FONT = "DejaVu Sans"
MONO = "DejaVu Sans Mono"


def paper_size(paper: str, orientation: str = "portrait") -> tuple[float, float]:
    """Width and height in inches of ``paper`` (``"a4"`` or ``"letter"``) in an orientation."""
    key = str(paper).lower()
    if key not in PAPERS:
        raise ConfigError(f"unknown paper {paper!r}; use one of {sorted(PAPERS)}")
    w, h = PAPERS[key]
    return (h, w) if orientation == "landscape" else (w, h)


def wrap_text(text: str, width_in: float, size: float, mono: bool = False) -> list[str]:
    """Wrap ``text`` into lines that fit ``width_in`` inches at font ``size`` points."""
    em = 0.6 if mono else CHAR_WIDTH_EM
    n_chars = max(8, int(width_in * 72.0 / (size * em)))
    lines: list[str] = []
    for para in str(text).split("\n"):
        if not para.strip():
            lines.append("")
            continue
        indent = len(para) - len(para.lstrip(" "))
        lines.extend(
            textwrap.wrap(para, n_chars, subsequent_indent=" " * indent, break_long_words=True,
                          break_on_hyphens=False) or [""]
        )
    return lines


def line_height(size: float) -> float:
    """Height in inches of one line of text at ``size`` points."""
    return size * LINE_SPACING / 72.0


@dataclass
class Region:
    """A rectangle of a page, in inches from the page's bottom-left corner.

    Drawing functions receive the page figure and a region; :meth:`add_axes` places axes by
    fractions of the region.
    """

    fig: Any
    x: float
    y: float
    width: float
    height: float

    def rect(self, left: float = 0.0, bottom: float = 0.0, width: float = 1.0,
             height: float = 1.0) -> list[float]:
        """Figure-fraction rectangle of a sub-rectangle given in region fractions."""
        fw, fh = self.fig.get_size_inches()
        return [
            (self.x + left * self.width) / fw,
            (self.y + bottom * self.height) / fh,
            width * self.width / fw,
            height * self.height / fh,
        ]

    def add_axes(self, left: float = 0.0, bottom: float = 0.0, width: float = 1.0,
                 height: float = 1.0, **kwargs: Any):
        """Add axes covering a sub-rectangle (region fractions) and return them."""
        return self.fig.add_axes(self.rect(left, bottom, width, height), **kwargs)

    def text(self, x_in: float, y_in: float, s: str, **kwargs: Any):
        """Text at a point given in inches from the region's bottom-left corner."""
        fw, fh = self.fig.get_size_inches()
        kwargs.setdefault("family", FONT)
        return self.fig.text((self.x + x_in) / fw, (self.y + y_in) / fh, s, **kwargs)


# -- flowables -----------------------------------------------------------------------------


class Flowable:
    """Something that takes vertical space on a page."""

    keep_with_next = False

    def height(self, width: float) -> float:  # pragma: no cover - interface
        raise NotImplementedError

    def draw(self, region: Region) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def split(self, width: float, available: float) -> tuple["Flowable | None", "Flowable | None"]:
        """Split to fit ``available`` inches: (part that fits or None, rest or None)."""
        return None, self


@dataclass
class Spacer(Flowable):
    inches: float = 0.12

    def height(self, width: float) -> float:
        return self.inches

    def draw(self, region: Region) -> None:
        return None

    def split(self, width, available):
        return None, None


@dataclass
class Heading(Flowable):
    text: str
    level: int = 1
    keep_with_next = True

    @property
    def size(self) -> float:
        return {0: 20.0, 1: 14.0, 2: 11.5}.get(self.level, 10.5)

    def height(self, width: float) -> float:
        return len(wrap_text(self.text, width, self.size)) * line_height(self.size) + 0.08

    def draw(self, region: Region) -> None:
        y = region.height - 0.04
        for line in wrap_text(self.text, region.width, self.size):
            region.text(0, y, line, fontsize=self.size, weight="bold", va="top", color="#1a2a44")
            y -= line_height(self.size)


@dataclass
class Paragraph(Flowable):
    text: str
    size: float = 9.0
    mono: bool = False
    color: str = "black"
    style: str = "normal"

    def _lines(self, width: float) -> list[str]:
        return wrap_text(self.text, width, self.size, self.mono)

    def height(self, width: float) -> float:
        return len(self._lines(width)) * line_height(self.size) + 0.06

    def draw(self, region: Region) -> None:
        y = region.height
        for line in self._lines(region.width):
            region.text(0, y, line, fontsize=self.size, va="top", color=self.color,
                        family=MONO if self.mono else FONT, style=self.style)
            y -= line_height(self.size)

    def split(self, width, available):
        lines = self._lines(width)
        n = int((available - 0.06) / line_height(self.size))
        if n < 2 or n >= len(lines):
            return None, self
        first = Paragraph("\n".join(lines[:n]), self.size, self.mono, self.color, self.style)
        rest = Paragraph("\n".join(lines[n:]), self.size, self.mono, self.color, self.style)
        return first, rest


@dataclass
class Table(Flowable):
    """A table of strings with a caption above it ("Table k. ...")."""

    frame: pd.DataFrame
    caption: str = ""
    size: float = 7.5
    number: int | None = None
    continued: bool = False

    def _cells(self) -> list[list[str]]:
        head = [str(c) for c in self.frame.columns]
        rows = [[("" if v is None else str(v)) for v in row] for row in self.frame.itertuples(index=False)]
        return [head, *rows]

    def _lengths(self, width: float) -> tuple[float, list[int]]:
        """Font size and per-column character budgets that fit ``width``."""
        cells = self._cells()
        n_cols = len(cells[0])
        # header glyphs are bold (about 10% wider)
        lengths = [max(max(len(r[j]) for r in cells[1:]) if len(cells) > 1 else 0,
                       int(len(cells[0][j]) * 1.12)) + 3 for j in range(n_cols)]
        size = self.size
        while size > 5.0 and sum(lengths) * size * CHAR_WIDTH_EM / 72.0 > width:
            size -= 0.25
        budget = int(width * 72.0 / (size * CHAR_WIDTH_EM))
        while sum(lengths) > budget and max(lengths) > 8:  # still too wide: shorten the widest columns
            j = lengths.index(max(lengths))
            lengths[j] -= 1
        return size, lengths

    def _fit(self, width: float) -> tuple[float, list[float]]:
        size, lengths = self._lengths(width)
        need = sum(lengths) * size * CHAR_WIDTH_EM / 72.0
        scale = min(1.0, width / need) if need else 1.0
        widths = [length * size * CHAR_WIDTH_EM / 72.0 * scale for length in lengths]
        return size, widths

    def _caption_lines(self, width: float) -> list[str]:
        if not self.caption and self.number is None:
            return []
        label = f"Table {self.number}. " if self.number is not None else ""
        suffix = " (continued)" if self.continued else ""
        return wrap_text(label + self.caption + suffix, width, 8.5)

    def height(self, width: float) -> float:
        size, _ = self._fit(width)
        return (len(self._caption_lines(width)) * line_height(8.5)
                + len(self._cells()) * size * 1.55 / 72.0 + 0.15)

    def split(self, width, available):
        size, _ = self._fit(width)
        row_h = size * 1.55 / 72.0
        head = len(self._caption_lines(width)) * line_height(8.5) + 0.15 + row_h
        n = int((available - head) / row_h)
        if len(self.frame) <= 25 or n < 3 or n >= len(self.frame) - 2:
            return None, self
        first = Table(self.frame.iloc[:n], self.caption, self.size, self.number, self.continued)
        rest = Table(self.frame.iloc[n:], self.caption, self.size, self.number, True)
        return first, rest

    def draw(self, region: Region) -> None:
        import matplotlib.lines as mlines

        size, widths = self._fit(region.width)
        row_h = size * 1.55 / 72.0
        y = region.height
        for line in self._caption_lines(region.width):
            region.text(0, y, line, fontsize=8.5, va="top", weight="bold")
            y -= line_height(8.5)
        y -= 0.04
        fw, fh = region.fig.get_size_inches()
        total_w = sum(widths)

        def hline(yy: float, lw: float) -> None:
            region.fig.add_artist(mlines.Line2D(
                [region.x / fw, (region.x + total_w) / fw], [(region.y + yy) / fh] * 2,
                lw=lw, color="black", transform=region.fig.transFigure))

        hline(y, 0.9)
        _, budget = self._lengths(region.width)
        for i, row in enumerate(self._cells()):
            x = 0.0
            for j, cell in enumerate(row):
                limit = budget[j] - 2 if i > 0 else int((budget[j] - 2) / 1.12)
                if len(cell) > limit:
                    cell = cell[: max(limit - 1, 1)] + "…"
                numeric = j > 0 and _looks_numeric(cell)
                region.text(x + (widths[j] - 0.04 if numeric else 0.02), y - row_h / 2, cell,
                            fontsize=size, va="center", ha="right" if numeric else "left",
                            weight="bold" if i == 0 else "normal")
                x += widths[j]
            y -= row_h
            if i == 0:
                hline(y, 0.5)
        hline(y, 0.9)


def _looks_numeric(text: str) -> bool:
    t = text.strip().replace("−", "-")
    if not t:
        return False
    head = t.split(" ")[0].rstrip("%")
    try:
        float(head.replace(",", ""))
        return True
    except ValueError:
        return head in {"nan", "NA", "-", "—"}


@dataclass
class FigureFlowable(Flowable):
    """A figure drawn into its page region, with a caption below ("Figure k. ...")."""

    draw_fn: Callable[[Region], None]
    fig_height: float
    caption: str = ""
    number: int | None = None
    fig_width: float | None = None

    def _caption_lines(self, width: float) -> list[str]:
        if not self.caption:
            return []
        label = f"Figure {self.number}. " if self.number is not None else ""
        return wrap_text(label + self.caption, width, 8.0)

    def height(self, width: float) -> float:
        return self.fig_height + len(self._caption_lines(width)) * line_height(8.0) + 0.18

    def draw(self, region: Region) -> None:
        cap = self._caption_lines(region.width)
        cap_h = len(cap) * line_height(8.0) + 0.1
        width = min(self.fig_width or region.width, region.width)
        x0 = region.x + (region.width - width) / 2
        sub = Region(region.fig, x0, region.y + cap_h + 0.06, width, self.fig_height)
        self.draw_fn(sub)
        y = cap_h
        for line in cap:
            region.text(0, y, line, fontsize=8.0, va="top", style="italic", color="#333333")
            y -= line_height(8.0)


@dataclass
class PageBreak(Flowable):
    """Start a new page, optionally in another orientation."""

    orientation: str | None = None

    def height(self, width: float) -> float:
        return 0.0

    def draw(self, region: Region) -> None:
        return None


# -- the document ---------------------------------------------------------------------------


@dataclass
class _Page:
    orientation: str
    items: list[tuple[Flowable, float, float]] = field(default_factory=list)  # (flowable, top, h)


def _paginate(flowables: Sequence[Flowable], paper: str) -> list[_Page]:
    pages: list[_Page] = []
    orientation = "portrait"

    def new_page(orient: str) -> _Page:
        page = _Page(orient)
        pages.append(page)
        return page

    page = new_page(orientation)
    queue = list(flowables)
    i = 0
    while i < len(queue):
        item = queue[i]
        w, h = paper_size(paper, page.orientation)
        width = w - 2 * MARGIN_IN
        top_limit = h - MARGIN_IN
        bottom = MARGIN_IN + FOOTER_IN
        used = sum(hh for _, _, hh in page.items)
        available = top_limit - bottom - used
        if isinstance(item, PageBreak):
            if page.items or (item.orientation and item.orientation != page.orientation):
                orientation = item.orientation or page.orientation
                if page.items:
                    page = new_page(orientation)
                else:
                    page.orientation = orientation
            i += 1
            continue
        need = item.height(width)
        if item.keep_with_next and i + 1 < len(queue) and not isinstance(queue[i + 1], PageBreak):
            nxt = queue[i + 1]
            nxt_need = nxt.height(width)
            if isinstance(nxt, (Paragraph, Table)) and not nxt.keep_with_next:
                nxt_need = min(nxt_need, 4 * line_height(9.0) + 0.3)
            elif nxt.keep_with_next and i + 2 < len(queue) and not isinstance(queue[i + 2], PageBreak):
                after = queue[i + 2]  # a chain heading -> intro -> figure moves as one
                after_need = after.height(width)
                if isinstance(after, (Paragraph, Table)):
                    after_need = min(after_need, 4 * line_height(9.0) + 0.3)
                nxt_need += after_need
            need_together = need + nxt_need
            if need_together > available and page.items:
                page = new_page(page.orientation)
                continue
        if need <= available:
            page.items.append((item, top_limit - used, need))
            i += 1
            continue
        first, rest = item.split(width, available)
        if first is not None:
            page.items.append((first, top_limit - used, first.height(width)))
            queue[i] = rest
            page = new_page(page.orientation)
            continue
        if page.items:
            page = new_page(page.orientation)
            continue
        # does not fit on an empty page: draw it anyway (clipped), never loop forever
        logger.warning("report element taller than a page (%.1f in); it will be clipped", need)
        page.items.append((item, top_limit - used, min(need, available)))
        i += 1
    return [p for p in pages if p.items] or pages[:1]


def render_pdf(flowables: Sequence[Flowable], path: str | Path, paper: str = "a4",
               title: str = "", metadata: dict | None = None) -> int:
    """Lay out ``flowables`` and write a PDF; return the number of pages.

    Text is embedded as TrueType (``pdf.fonttype = 42``) so it is selectable and extractable.
    """
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pages = _paginate(flowables, paper)
    meta = {"Title": title or "interp-ecg report", "Creator": "interp-ecg",
            "CreationDate": None, "ModDate": None}
    if metadata:
        meta.update(metadata)
    with matplotlib.rc_context({"pdf.fonttype": 42, "ps.fonttype": 42, "font.family": FONT,
                                "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8,
                                "xtick.labelsize": 7, "ytick.labelsize": 7,
                                "legend.fontsize": 7, "svg.fonttype": "none"}):
        with PdfPages(path, metadata=meta) as pdf:
            for n, page in enumerate(pages, start=1):
                w, h = paper_size(paper, page.orientation)
                fig = Figure(figsize=(w, h))
                width = w - 2 * MARGIN_IN
                for item, top, hh in page.items:
                    item.draw(Region(fig, MARGIN_IN, top - hh, width, hh))
                foot = Region(fig, MARGIN_IN, MARGIN_IN - 0.1, width, FOOTER_IN)
                foot.text(0, 0.1, title, fontsize=7, color="#555555")
                foot.text(width, 0.1, f"Page {n} of {len(pages)}", fontsize=7, ha="right",
                          color="#555555")
                pdf.savefig(fig)
    logger.info("wrote %d-page PDF %s", len(pages), path)
    return len(pages)


def today() -> str:
    """Today's date (UTC) as ``YYYY-MM-DD``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d")
