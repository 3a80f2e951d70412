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
import functools
import logging
import re
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


@functools.lru_cache(maxsize=8192)
def text_width(text: str, size: float, bold: bool = False, family: str = FONT) -> float:
    """Width in inches of ``text`` set at ``size`` points, measured from the font's glyphs."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family=family, size=size, weight="bold" if bold else "normal")
    width, _, _ = TextToPath().get_text_width_height_descent(text, prop, ismath=False)
    return float(width) / 72.0


def _header_pieces(text: str) -> list[str]:
    """Break points of a column name: after ``_``, spaces, ``-`` and ``/`` (kept on the left)."""
    return re.findall(r"[^_\s/-]*[_\s/-]*", text)[:-1] or [text]


def wrap_header(text: str, width_in: float, size: float) -> list[str]:
    """Wrap a (bold) column name onto lines no wider than ``width_in``; nothing is dropped.

    Lines break after ``_``, spaces, ``-`` or ``/``; a piece wider than the column on its own is
    broken between characters. Joining the lines gives the name back.

    Examples
    --------
    >>> wrap_header("R_amp_mV_V1", 0.5, 7.5)
    ['R_amp_', 'mV_V1']
    >>> "".join(wrap_header("QTc_Bazett_ms", 0.1, 7.5)) == "QTc_Bazett_ms"
    True
    """
    lines: list[str] = []
    current = ""
    for piece in _header_pieces(str(text)):
        if text_width(current + piece, size, True) <= width_in or not current and \
                text_width(piece, size, True) <= width_in:
            current += piece
            continue
        if current:
            lines.append(current)
            current = ""
        while text_width(piece, size, True) > width_in and len(piece) > 1:
            k = len(piece) - 1
            while k > 1 and text_width(piece[:k], size, True) > width_in:
                k -= 1
            lines.append(piece[:k])
            piece = piece[k:]
        current = piece
    if current or not lines:
        lines.append(current)
    return lines


def _header_width(text: str, size: float, n_lines: int) -> float:
    """Narrowest width (inches) at which a bold column name wraps onto at most ``n_lines`` lines."""
    pieces = _header_pieces(str(text))
    candidates = sorted({text_width("".join(pieces[i:j]), size, True)
                         for i in range(len(pieces)) for j in range(i + 1, len(pieces) + 1)})
    for w in candidates:
        if len(wrap_header(text, w + 1e-9, size)) <= n_lines:
            return w
    return candidates[-1]


#: space between columns and around a cell's text, in inches
_CELL_PAD = 0.09


@dataclass
class Table(Flowable):
    """A table of strings with a caption above it ("Table k. ...").

    Column names are never cut: they wrap onto several lines (at ``_``, spaces, ``-``, ``/``)
    and the font shrinks down to ``min_size``; a table still too wide for the page is split
    into column parts drawn one under the other, each repeating the first (identifier)
    column and labelled with the columns it holds. Widths come from the font's glyphs. Only a
    data cell wider than half the page is shortened (with "…"), and that is logged.
    """

    frame: pd.DataFrame
    caption: str = ""
    size: float = 7.5
    number: int | None = None
    continued: bool = False
    min_size: float = 6.0

    def _cells(self) -> list[list[str]]:
        head = [str(c) for c in self.frame.columns]
        rows = [[("" if v is None else str(v)) for v in row] for row in self.frame.itertuples(index=False)]
        return [head, *rows]

    def _layout(self, width: float) -> tuple[float, list[list[int]], dict[int, float], float]:
        """Font size, column parts, column widths and the widest a data cell may be.

        Tries the fewest header lines first (1, 2, then 3), each from the full font size down
        to ``min_size``; failing that, every header at its narrowest (one word a line) at
        ``min_size``, split into column parts if still too wide.
        """
        cells = self._cells()
        head, rows = cells[0], cells[1:]
        n_cols = len(head)
        cap = width / 2
        sizes = [self.size - 0.25 * k for k in range(int((self.size - self.min_size) / 0.25) + 1)]

        def data_widths(size: float) -> list[float]:
            return [min(max((text_width(r[j], size) for r in rows), default=0.0), cap) for j in range(n_cols)]

        chosen: tuple[float, list[float], list[float]] | None = None
        for n_lines in (1, 2, 3):
            for size in sizes:
                data = data_widths(size)
                need = [max(d, _header_width(h, size, n_lines)) + _CELL_PAD for d, h in zip(data, head)]
                if sum(need) <= width:
                    natural = [max(d, text_width(h, size, True)) + _CELL_PAD for d, h in zip(data, head)]
                    chosen = (size, need, natural)
                    break
            if chosen:
                break
        if chosen is None:
            size = self.min_size
            data = data_widths(size)
            need = [max(d, max(text_width(p, size, True) for p in _header_pieces(h))) + _CELL_PAD
                    for d, h in zip(data, head)]
            natural = [max(d, text_width(h, size, True)) + _CELL_PAD for d, h in zip(data, head)]
            chosen = (size, need, natural)
        size, minimum, natural = chosen
        # column parts: as many columns as fit, the first (identifier) column repeated in each
        parts: list[list[int]] = []
        current = [0]
        used = minimum[0]
        for j in range(1, n_cols):
            if used + minimum[j] > width and len(current) > 1:
                parts.append(current)
                current, used = [0], minimum[0]
            current.append(j)
            used += minimum[j]
        parts.append(current)
        widths: dict[int, float] = {}
        for part in parts:
            need = sum(minimum[j] for j in part)
            extra = [natural[j] - minimum[j] for j in part]
            slack = max(0.0, width - need)
            share = min(1.0, slack / sum(extra)) if sum(extra) > 0 else 0.0
            for j, e in zip(part, extra):
                widths[j] = minimum[j] + e * share
        return size, parts, widths, cap

    @staticmethod
    def _row_height(size: float) -> float:
        return size * 1.55 / 72.0

    def _header_lines(self, size: float, widths: dict[int, float]) -> dict[int, list[str]]:
        head = self._cells()[0]
        return {j: wrap_header(head[j], widths[j] - _CELL_PAD + 1e-9, size) for j in widths}

    def _part_heights(self, width: float) -> tuple[list[float], float]:
        """Header height of each column part, and the height of one data row."""
        size, parts, widths, _ = self._layout(width)
        lines = self._header_lines(size, widths)
        row_h = self._row_height(size)
        label_h = line_height(6.5)
        heads = [max(len(lines[j]) for j in part) * size * 1.2 / 72.0 + 0.06 + (label_h if k else 0.0)
                 for k, part in enumerate(parts)]
        return heads, row_h

    def _caption_lines(self, width: float) -> list[str]:
        if not self.caption and self.number is None:
            return []
        label = f"Table {self.number}. " if self.number is not None else ""
        suffix = " (continued)" if self.continued else ""
        return wrap_text(label + self.caption + suffix, width, 8.5)

    def height(self, width: float) -> float:
        heads, row_h = self._part_heights(width)
        gaps = 0.1 * (len(heads) - 1)
        return (len(self._caption_lines(width)) * line_height(8.5) + 0.15 + gaps
                + sum(heads) + len(heads) * len(self.frame) * row_h)

    def split(self, width, available):
        heads, row_h = self._part_heights(width)
        fixed = len(self._caption_lines(width)) * line_height(8.5) + 0.15 + 0.1 * (len(heads) - 1) + sum(heads)
        n = int((available - fixed) / (row_h * len(heads)))
        if len(self.frame) <= 25 or n < 3 or n >= len(self.frame) - 2:
            return None, self
        first = Table(self.frame.iloc[:n], self.caption, self.size, self.number, self.continued, self.min_size)
        rest = Table(self.frame.iloc[n:], self.caption, self.size, self.number, True, self.min_size)
        return first, rest

    def draw(self, region: Region) -> None:
        import matplotlib.lines as mlines

        size, parts, widths, cap = self._layout(region.width)
        header = self._header_lines(size, widths)
        heads, row_h = self._part_heights(region.width)
        cells = self._cells()
        n_cols = len(cells[0])
        y = region.height
        for line in self._caption_lines(region.width):
            region.text(0, y, line, fontsize=8.5, va="top", weight="bold")
            y -= line_height(8.5)
        y -= 0.04
        fw, fh = region.fig.get_size_inches()
        shortened: set[int] = set()
        numeric_col = [j > 0 and any(r[j].strip() for r in cells[1:])
                       and all(_looks_numeric(r[j]) for r in cells[1:] if r[j].strip()) for j in range(n_cols)]

        for k, part in enumerate(parts):
            total_w = sum(widths[j] for j in part)

            def hline(yy: float, lw: float, total_w: float = total_w) -> None:
                region.fig.add_artist(mlines.Line2D(
                    [region.x / fw, (region.x + total_w) / fw], [(region.y + yy) / fh] * 2,
                    lw=lw, color="black", transform=region.fig.transFigure))

            if k:
                y -= 0.1
                first, last = part[1] + 1, part[-1] + 1
                region.text(0, y, f"(continued: columns {first}–{last} of {n_cols})", fontsize=6.5,
                            va="top", style="italic")
                y -= line_height(6.5)
            hline(y, 0.9)
            head_h = heads[k] - (line_height(6.5) if k else 0.0)
            x = 0.0
            for j in part:
                yy = y - 0.03
                right = numeric_col[j]  # a header sits over its numbers, right-aligned like them
                for line in header[j]:
                    region.text(x + (widths[j] - _CELL_PAD / 2 if right else _CELL_PAD / 2), yy, line, fontsize=size,
                                va="top", weight="bold", ha="right" if right else "left")
                    yy -= size * 1.2 / 72.0
                x += widths[j]
            y -= head_h
            hline(y, 0.5)
            for r_i, row in enumerate(cells[1:]):
                x = 0.0
                for j in part:
                    cell = row[j]
                    if text_width(cell, size) > cap:
                        while len(cell) > 1 and text_width(cell + "…", size) > cap:
                            cell = cell[:-1]
                        cell += "…"
                        shortened.add(j)
                    numeric = j > 0 and _looks_numeric(cell)
                    region.text(x + (widths[j] - _CELL_PAD / 2 if numeric else _CELL_PAD / 2), y - row_h / 2, cell,
                                fontsize=size, va="center", ha="right" if numeric else "left")
                    x += widths[j]
                y -= row_h
            hline(y, 0.9)
        if shortened:
            logger.warning("table %s: cells of column(s) %s are wider than half the page and were shortened "
                           "with '…' in the PDF (the saved tables keep them whole)",
                           self.number if self.number is not None else self.caption[:40],
                           [cells[0][j] for j in sorted(shortened)])


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
