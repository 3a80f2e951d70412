"""Page layout: headings, paragraphs, tables and figures typeset into a vector PDF by reportlab.

Typesetting is reportlab's platypus: text flows and wraps with the font's real glyph metrics,
long tables split across pages with their header rows repeated, headings keep with what follows
them, every page carries "Page i of N", every heading is a PDF bookmark (the outline), and the
document carries title, author, subject and creator metadata.

Figures are drawn by matplotlib into a :class:`Region` (a rectangle of a figure, in inches),
written as a one-page vector PDF and stamped onto their place on the page with pypdf, so they
stay vector (paths and TrueType text, no raster images).

The flowables a block returns are built with the constructors of this module:
:class:`Heading`, :class:`Paragraph`, :class:`Table`, :class:`FigureFlowable` (a drawing function
taking a :class:`Region`), :class:`Spacer` and :class:`PageBreak` (optionally to another
orientation). Any other reportlab flowable may be returned as well.

Examples
--------
>>> from interp_ecg.report.layout import PAPERS, wrap_header
>>> PAPERS["a4"]
(8.27, 11.69)
>>> wrap_header("R_amp_mV_V1", 0.5, 7.5)
['R_amp_', 'mV_V1']
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import html
import io
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

try:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import ActionFlowable, BaseDocTemplate, FrameBreak, KeepTogether, PageTemplate
    from reportlab.platypus import Flowable as _RLFlowable
    from reportlab.platypus import Frame as _RLFrame
    from reportlab.platypus import Paragraph as _RLParagraph
    from reportlab.platypus import Spacer as _RLSpacer
    from reportlab.platypus import Table as _RLTable
    from reportlab.platypus import TableStyle
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError("PDF reports are typeset with reportlab: pip install 'interp-ecg[report]'") from exc

from interp_ecg.errors import ArgumentError, ConfigError

logger = logging.getLogger(__name__)

#: paper sizes in inches (portrait width, height)
PAPERS: dict[str, tuple[float, float]] = {"a4": (8.27, 11.69), "letter": (8.5, 11.0)}
MARGIN_IN = 0.5
FOOTER_IN = 0.35
PT = 72.0  # points per inch
FONT = "DejaVu Sans"  # the family matplotlib draws the figures with; embedded in the PDF
MONO = "DejaVu Sans Mono"
HEADING_COLOR = "#1a2a44"

#: a reportlab flowable: anything a block may return besides the constructors below
Flowable = _RLFlowable


def paper_size(paper: str, orientation: str = "portrait") -> tuple[float, float]:
    """Width and height in inches of ``paper`` (``"a4"`` or ``"letter"``) in an orientation."""
    key = str(paper).lower()
    if key not in PAPERS:
        raise ConfigError(f"unknown paper {paper!r}; use one of {sorted(PAPERS)}")
    w, h = PAPERS[key]
    return (h, w) if orientation == "landscape" else (w, h)


# -- fonts ------------------------------------------------------------------------------------

_FONT_FILES = {
    "DejaVuSans": "DejaVuSans.ttf", "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique": "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique": "DejaVuSans-BoldOblique.ttf",
    "DejaVuSansMono": "DejaVuSansMono.ttf", "DejaVuSansMono-Bold": "DejaVuSansMono-Bold.ttf",
}


@functools.lru_cache(maxsize=1)
def register_fonts() -> None:
    """Register DejaVu Sans (shipped with matplotlib) with reportlab, once.

    The same family as the figures, with the glyphs the reports use (``≥``, ``−``, ``…``, ``–``)
    that the 14 standard PDF fonts lack.
    """
    import matplotlib
    from reportlab.lib.fonts import addMapping

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name, file in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    for bold in (0, 1):
        for italic in (0, 1):
            suffix = {(0, 0): "", (1, 0): "-Bold", (0, 1): "-Oblique", (1, 1): "-BoldOblique"}[(bold, italic)]
            addMapping("DejaVuSans", bold, italic, "DejaVuSans" + suffix)
            addMapping("DejaVuSansMono", bold, italic, "DejaVuSansMono" + ("-Bold" if bold else ""))


def _font(bold: bool = False, italic: bool = False, mono: bool = False) -> str:
    register_fonts()
    if mono:
        return "DejaVuSansMono-Bold" if bold else "DejaVuSansMono"
    return "DejaVuSans" + {(False, False): "", (True, False): "-Bold", (False, True): "-Oblique",
                           (True, True): "-BoldOblique"}[(bool(bold), bool(italic))]


@functools.lru_cache(maxsize=16384)
def text_width(text: str, size: float, bold: bool = False, family: str = FONT) -> float:
    """Width in inches of ``text`` set at ``size`` points, from the embedded font's glyph metrics."""
    return pdfmetrics.stringWidth(str(text), _font(bold, mono=family == MONO), size) / PT


def _markup(text: str) -> str:
    """Plain text as reportlab paragraph markup: escaped, newlines kept as line breaks, runs of
    spaces kept (the last one of a run may still break the line)."""
    def line(t: str) -> str:
        return re.sub(r" {2,}", lambda m: "&nbsp;" * (len(m.group()) - 1) + " ", html.escape(t, quote=False))

    return "<br/>".join(line(t) for t in str(text).split("\n"))


def _mono_markup(text: str) -> str:
    """Monospaced text: leading spaces kept (indentation), newlines kept."""
    out = []
    for line in str(text).split("\n"):
        stripped = line.lstrip(" ")
        out.append("&nbsp;" * (len(line) - len(stripped)) + html.escape(stripped, quote=False))
    return "<br/>".join(out)


# -- the region a figure is drawn into ------------------------------------------------------------


@dataclass
class Region:
    """A rectangle of a matplotlib figure, in inches from the figure's bottom-left corner.

    Drawing functions receive the figure and a region; :meth:`add_axes` places axes by
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


#: matplotlib settings of every report figure (PDF and HTML)
FIGURE_RC = {"pdf.fonttype": 42, "ps.fonttype": 42, "font.family": FONT, "font.size": 8,
             "axes.titlesize": 9, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
             "legend.fontsize": 7, "svg.fonttype": "none"}


# -- flowables ------------------------------------------------------------------------------------


class _KeepWithNextMixin:
    """``keep_with_next`` (today's name) is reportlab's ``keepWithNext``."""

    @property
    def keep_with_next(self) -> bool:
        return bool(getattr(self, "keepWithNext", False))

    @keep_with_next.setter
    def keep_with_next(self, value: bool) -> None:
        self.keepWithNext = bool(value)


class Spacer(_KeepWithNextMixin, _RLSpacer):
    """Vertical space of ``inches``."""

    def __init__(self, inches: float = 0.12) -> None:
        super().__init__(1, inches * PT)
        self.inches = inches


_HEADING_SIZES = {0: 20.0, 1: 14.0, 2: 11.5}


class Heading(_KeepWithNextMixin, _RLParagraph):
    """A section heading; keeps with what follows it and becomes a bookmark of the PDF outline.

    ``level`` 0 is the document title, 1 a section, 2 and deeper subsections.
    """

    def __init__(self, text: str, level: int = 1) -> None:
        self.text = str(text)
        self.level = int(level)
        size = _HEADING_SIZES.get(self.level, 10.5)
        style = ParagraphStyle(f"heading{self.level}", fontName=_font(bold=True), fontSize=size,
                               leading=size * 1.25, textColor=colors.HexColor(HEADING_COLOR),
                               spaceBefore=size * 0.5 if self.level else 0, spaceAfter=size * 0.3,
                               keepWithNext=1)
        super().__init__(_markup(self.text), style)

    @property
    def size(self) -> float:
        return _HEADING_SIZES.get(self.level, 10.5)


class Paragraph(_KeepWithNextMixin, _RLParagraph):
    """A paragraph of plain text (not markup); ``\\n`` breaks lines. Splits across pages.

    Parameters
    ----------
    text : str
    size : float
        Font size in points.
    mono : bool
        Monospaced (configs, code); leading spaces are kept.
    color : str
    style : {"normal", "italic"}
    """

    def __init__(self, text: str, size: float = 9.0, mono: bool = False, color: str = "black",
                 style: str = "normal", **pieces) -> None:
        if pieces:  # reportlab splits a paragraph by calling type(self)(None, style, bulletText=, frags=)
            _RLParagraph.__init__(self, text, size, **pieces)
            return
        self.text = str(text)
        self.size = float(size)
        self.mono = mono
        self.color = color
        self.style_name = style
        pstyle = ParagraphStyle("body", fontName=_font(italic=style == "italic", mono=mono), fontSize=size,
                                leading=size * 1.3, textColor=colors.toColor(color), spaceAfter=size * 0.45)
        super().__init__(_mono_markup(self.text) if mono else _markup(self.text), pstyle)

    def min_start_height(self, width: float) -> float:
        """Height (points) of the first lines that must fit for the paragraph to start on a page."""
        return 3 * self.style.leading


# -- tables -------------------------------------------------------------------------------------


def _header_pieces(text: str) -> list[str]:
    """Break points of a column name: after ``_``, spaces, ``-`` and ``/`` (kept on the left)."""
    return re.findall(r"[^_\s/-]*[_\s/-]*", text)[:-1] or [text]


def wrap_header(text: str, width_in: float, size: float) -> list[str]:
    """Wrap a (bold) column name onto lines no wider than ``width_in``; nothing is dropped.

    Lines break after ``_``, spaces, ``-`` or ``/``; a piece wider than the column on its own is
    broken between characters. Joining the lines gives the name back. Widths are the embedded
    font's glyph widths.

    Examples
    --------
    >>> from interp_ecg.report.layout import wrap_header
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


#: horizontal padding of a cell, each side, in inches
_CELL_PAD = 0.045


class _CaptionedTable(_RLTable):
    """A reportlab table that, when split across pages, puts "Table k. ... (continued)" above the
    rest (the header rows are repeated by reportlab)."""

    continued_caption: str | None = None
    caption_style: ParagraphStyle | None = None

    def split(self, availWidth, availHeight):  # noqa: N803 - reportlab's signature
        parts = super().split(availWidth, availHeight)
        if len(parts) == 2 and self.continued_caption:
            rest = parts[1]
            rest.continued_caption = self.continued_caption
            rest.caption_style = self.caption_style
            note = _RLParagraph(_markup(self.continued_caption), self.caption_style)
            note.keepWithNext = 1
            return [parts[0], note, rest]
        return parts


class Table(_KeepWithNextMixin, _RLFlowable):
    """A table of strings with a caption above it ("Table k. ...").

    Column names are never cut: they wrap onto several lines (at ``_``, spaces, ``-``, ``/``) and
    the font shrinks down to ``min_size``; a table still too wide for the page is split into
    column parts one under the other, each repeating the first (identifier) column and labelled
    with the columns it holds. A table that fits on a page is kept on one page; a longer one
    splits across pages with its header repeated and "(continued)" after its caption. Data cells
    wider than half the page wrap inside their cell. Widths come from the font's glyphs.
    """

    def __init__(self, frame: pd.DataFrame, caption: str = "", size: float = 7.5,
                 number: int | None = None, continued: bool = False, min_size: float = 6.0) -> None:
        if len(frame) == 0 or len(frame.columns) == 0:
            # before: reportlab failed later with "IndexError ... KeepTogether", naming nothing
            raise ArgumentError(f"table {caption!r} has no {'rows' if len(frame.columns) else 'columns'}: "
                                "a block with nothing to tabulate writes a sentence instead")
        self.frame = frame
        self.caption = caption
        self.size = size
        self.number = number
        self.continued = continued
        self.min_size = min_size
        self._built: tuple[float, list[_RLFlowable]] | None = None

    # layout of the columns (same rules as the hand-written typesetter had, on real glyph widths)
    def _cells(self) -> list[list[str]]:
        head = [str(c) for c in self.frame.columns]
        rows = [[("" if v is None else str(v)) for v in row] for row in self.frame.itertuples(index=False)]
        return [head, *rows]

    def _layout(self, width: float) -> tuple[float, list[list[int]], dict[int, float], float]:
        """Font size, column parts, column widths (inches) and the widest a data column may be.

        Tries the fewest header lines first (1, 2, then 3), each from the full font size down
        to ``min_size``; failing that, every header at its narrowest (one word a line) at
        ``min_size``, split into column parts if still too wide.
        """
        cells = self._cells()
        head, rows = cells[0], cells[1:]
        n_cols = len(head)
        cap = width / 2
        pad = 2 * _CELL_PAD
        sizes = [self.size - 0.25 * k for k in range(int((self.size - self.min_size) / 0.25) + 1)]

        def data_widths(size: float) -> list[float]:
            return [min(max((text_width(r[j], size) for r in rows), default=0.0), cap) for j in range(n_cols)]

        chosen: tuple[float, list[float], list[float]] | None = None
        for n_lines in (1, 2, 3):
            for size in sizes:
                data = data_widths(size)
                need = [max(d, _header_width(h, size, n_lines)) + pad for d, h in zip(data, head)]
                if sum(need) <= width:
                    natural = [max(d, text_width(h, size, True)) + pad for d, h in zip(data, head)]
                    chosen = (size, need, natural)
                    break
            if chosen:
                break
        if chosen is None:
            size = self.min_size
            data = data_widths(size)
            need = [max(d, max(text_width(p, size, True) for p in _header_pieces(h))) + pad
                    for d, h in zip(data, head)]
            natural = [max(d, text_width(h, size, True)) + pad for d, h in zip(data, head)]
            chosen = (size, need, natural)
        size, minimum, natural = chosen
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

    def _caption_text(self, continued: bool = False) -> str:
        label = f"Table {self.number}. " if self.number is not None else ""
        return label + self.caption + (" (continued)" if continued else "")

    def _build(self, width_pt: float) -> list[_RLFlowable]:
        """The caption, then one reportlab table per column part (labelled after the first)."""
        width = width_pt / PT
        size, parts, widths, _ = self._layout(width)
        cells = self._cells()
        n_cols = len(cells[0])
        numeric = [j > 0 and any(r[j].strip() for r in cells[1:])
                   and all(_looks_numeric(r[j]) for r in cells[1:] if r[j].strip()) for j in range(n_cols)]
        cap_style = ParagraphStyle("caption", fontName=_font(bold=True), fontSize=8.5, leading=10.5,
                                   spaceBefore=4, spaceAfter=3)
        part_style = ParagraphStyle("part", fontName=_font(italic=True), fontSize=6.5, leading=8,
                                    spaceBefore=6, spaceAfter=2)
        # header lines are broken here (wrap_header), never inside a word by reportlab
        head_l = ParagraphStyle("head", fontName=_font(bold=True), fontSize=size, leading=size * 1.2,
                                alignment=TA_LEFT, splitLongWords=0)
        head_r = ParagraphStyle("head_r", parent=head_l, alignment=TA_RIGHT)
        cell_l = ParagraphStyle("cell", fontName=_font(), fontSize=size, leading=size * 1.2, alignment=TA_LEFT)
        cell_r = ParagraphStyle("cell_r", parent=cell_l, alignment=TA_RIGHT)
        out: list[_RLFlowable] = []
        if self.caption or self.number is not None:
            cap = _RLParagraph(_markup(self._caption_text(self.continued)), cap_style)
            cap.keepWithNext = 1
            out.append(cap)
        for k, part in enumerate(parts):
            if k:
                label = _RLParagraph(_markup(f"(continued: columns {part[1] + 1}–{part[-1] + 1} of {n_cols})"),
                                     part_style)
                label.keepWithNext = 1
                out.append(label)
            inner = {j: widths[j] - 2 * _CELL_PAD for j in part}
            head = [_RLParagraph("<br/>".join(html.escape(line, quote=False)
                                              for line in wrap_header(cells[0][j], inner[j] + 1e-9, size)),
                                 head_r if numeric[j] else head_l) for j in part]
            body = []
            for row in cells[1:]:
                line = []
                for j in part:
                    cell = row[j]
                    if text_width(cell, size) > inner[j] + 1e-9:  # too wide: wraps inside the cell
                        line.append(_RLParagraph(_markup(cell), cell_r if numeric[j] else cell_l))
                    else:
                        line.append(cell)
                body.append(line)
            table = _CaptionedTable([head, *body], colWidths=[widths[j] * PT for j in part], repeatRows=1,
                                    hAlign="LEFT")
            style = [
                ("FONTNAME", (0, 0), (-1, -1), _font()), ("FONTSIZE", (0, 0), (-1, -1), size),
                ("LEADING", (0, 0), (-1, -1), size * 1.2),
                # a cell's text gets half a point more than its measured width (rounding)
                ("LEFTPADDING", (0, 0), (-1, -1), _CELL_PAD * PT - 0.25),
                ("RIGHTPADDING", (0, 0), (-1, -1), _CELL_PAD * PT - 0.25),
                ("TOPPADDING", (0, 0), (-1, -1), size * 0.18), ("BOTTOMPADDING", (0, 0), (-1, -1), size * 0.22),
                ("VALIGN", (0, 0), (-1, 0), "BOTTOM"), ("VALIGN", (0, 1), (-1, -1), "MIDDLE"),
                ("LINEABOVE", (0, 0), (-1, 0), 0.9, colors.black),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("LINEBELOW", (0, -1), (-1, -1), 0.9, colors.black),
            ]
            for i, j in enumerate(part):
                if numeric[j]:
                    style.append(("ALIGN", (i, 1), (i, -1), "RIGHT"))
            table.setStyle(TableStyle(style))
            if self.caption or self.number is not None:
                table.continued_caption = self._caption_text(True)
                table.caption_style = cap_style
            out.append(table)
        return out

    def _content(self, width_pt: float) -> list[_RLFlowable]:
        if self._built is None or abs(self._built[0] - width_pt) > 0.01:
            self._built = (width_pt, self._build(width_pt))
        return self._built[1]

    def wrap(self, availWidth, availHeight):  # noqa: N803
        total = 0.0
        content = self._content(availWidth)
        for i, f in enumerate(content):
            _, h = f.wrapOn(self.canv, availWidth, 0x7FFFFFFF)
            total += h + (f.getSpaceBefore() if i else 0) + (f.getSpaceAfter() if i < len(content) - 1 else 0)
        self.width, self.height = availWidth, total
        return availWidth, total

    def draw(self) -> None:
        y = self.height
        content = self._built[1] if self._built else []
        for i, f in enumerate(content):
            if i:
                y -= f.getSpaceBefore()
            w, h = f.wrapOn(self.canv, self.width, 0x7FFFFFFF)
            y -= h
            f.drawOn(self.canv, 0, y)
            y -= f.getSpaceAfter()

    def getSpaceBefore(self) -> float:  # noqa: N802 - reportlab's name
        return 6.0

    def getSpaceAfter(self) -> float:  # noqa: N802 - reportlab's name
        return 6.0

    def min_start_height(self, width: float) -> float:
        """Caption, header and three rows: what must fit for the table to start on a page."""
        content = self._content(width)
        h = 0.0
        for f in content:
            if isinstance(f, _RLTable):
                f.wrapOn(self.canv, width, 0x7FFFFFFF)
                heights = f._rowHeights
                return h + sum(heights[: min(4, len(heights))])
            h += f.wrapOn(self.canv, width, 0x7FFFFFFF)[1] + f.getSpaceAfter()
        return h

    def split(self, availWidth, availHeight):  # noqa: N803
        self.wrap(availWidth, availHeight)
        frame_h = _frame_height(self.canv)
        if self.height <= frame_h and (len(self.frame) <= 25 or availHeight < self.min_start_height(availWidth)):
            return []  # fits on a page: keep it whole, start it on the next one
        if availHeight < self.min_start_height(availWidth):
            return []
        return list(self._content(availWidth))


def _frame_height(canv) -> float:
    """Height (points) of the text frame of the canvas' current page."""
    return canv._pagesize[1] - 2 * MARGIN_IN * PT - FOOTER_IN * PT


class FigureFlowable(_KeepWithNextMixin, _RLFlowable):
    """A matplotlib figure drawn into a :class:`Region`, with a caption below ("Figure k. ...").

    Parameters
    ----------
    draw_fn : callable
        ``draw_fn(region)`` draws into ``region.fig`` (a matplotlib Figure) within the region.
    fig_height : float
        Height of the figure in inches.
    caption : str
    number : int, optional
    fig_width : float, optional
        Width in inches (default: the text width); centred.

    Notes
    -----
    The figure is saved by matplotlib as a one-page vector PDF (TrueType text) and stamped onto
    the page by :func:`render_pdf`, so what the page shows is exactly what matplotlib drew.
    A figure taller than a whole page is scaled down to fit, with a warning.
    """

    def __init__(self, draw_fn: Callable[[Region], None], fig_height: float, caption: str = "",
                 number: int | None = None, fig_width: float | None = None) -> None:
        self.draw_fn = draw_fn
        self.fig_height = float(fig_height)
        self.caption = caption
        self.number = number
        self.fig_width = fig_width
        self._scale = 1.0
        style = ParagraphStyle("figcaption", fontName=_font(italic=True), fontSize=8.0, leading=10,
                               textColor=colors.HexColor("#333333"))
        label = f"Figure {number}. " if number is not None else ""
        self._caption = _RLParagraph(_markup(label + caption), style) if caption else None

    def _size(self, avail_w: float) -> tuple[float, float]:
        width = min(self.fig_width * PT if self.fig_width else avail_w, avail_w)
        return width * self._scale, self.fig_height * PT * self._scale

    def wrap(self, availWidth, availHeight):  # noqa: N803
        _, fig_h = self._size(availWidth)
        cap_h = self._caption.wrapOn(self.canv, availWidth, 0x7FFFFFFF)[1] + 4 if self._caption else 0.0
        self.width, self.height = availWidth, fig_h + cap_h + 8
        self._cap_h = cap_h
        return self.width, self.height

    def split(self, availWidth, availHeight):  # noqa: N803
        frame_h = _frame_height(self.canv)
        if availHeight < frame_h - 1:
            return []  # the next page has room
        # taller than a whole page: shrink to fit rather than fail
        self.wrap(availWidth, availHeight)
        room = availHeight - self._cap_h - 8
        smaller = copy.copy(self)
        smaller._scale = self._scale * max(0.1, room / (self.fig_height * PT * self._scale))
        logger.warning("figure %s is taller than a page (%.1f in); scaled to %.0f%%",
                       self.number if self.number is not None else self.caption[:40], self.fig_height,
                       100 * smaller._scale)
        return [smaller]

    def draw(self) -> None:
        w, h = self._size(self.width)
        x0 = (self.width - w) / 2
        y0 = self._cap_h + 8
        # where on the page the figure goes (the canvas' current transformation); matplotlib
        # draws it once the layout is final (render_pdf)
        a, b, c, d, e, f = self.canv._currentMatrix
        stamps = getattr(self.canv, "_interp_ecg_figures", None)
        if stamps is None:
            stamps = self.canv._interp_ecg_figures = []
        stamps.append((self.canv.getPageNumber() - 1, e + a * x0, f + d * y0, self.draw_fn, w / PT, h / PT))
        if self._caption is not None:
            self._caption.wrapOn(self.canv, self.width, 0x7FFFFFFF)
            self._caption.drawOn(self.canv, 0, 2)


def render_figure_pdf(draw_fn: Callable[[Region], None], width: float, height: float) -> bytes:
    """Draw ``draw_fn`` into a ``width`` x ``height`` inch matplotlib figure; one-page PDF bytes."""
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(FIGURE_RC):
        fig = Figure(figsize=(width, height))
        draw_fn(Region(fig, 0.0, 0.0, width, height))
        buf = io.BytesIO()
        fig.savefig(buf, format="pdf", metadata={"Creator": None, "Producer": None, "CreationDate": None})
    return buf.getvalue()


def _failed_figure(region: Region) -> None:
    region.text(0.0, region.height / 2, "[figure could not be drawn; see the log]", color="#aa0000", fontsize=9)


class PageBreak(ActionFlowable):
    """Start a new page, optionally in another orientation (``"portrait"``/``"landscape"``).

    On a page that has nothing on it yet, no blank page is made: the page only turns to the
    orientation asked for.
    """

    def __init__(self, orientation: str | None = None) -> None:
        super().__init__()
        if orientation not in (None, "portrait", "landscape"):
            raise ConfigError(f"unknown orientation {orientation!r}; use 'portrait' or 'landscape'")
        self.orientation = orientation

    def apply(self, doc) -> None:
        target = self.orientation or doc.pageTemplate.id
        empty = doc._curPageFlowableCount == 0
        if empty:
            if target != doc.pageTemplate.id:  # turn the (blank) current page
                doc.pageTemplate = next(t for t in doc.pageTemplates if t.id == target)
                doc.page -= 1
                doc.handle_pageBegin()
            return
        doc.handle_nextPageTemplate(target)
        doc.handle_pageBreak()


# -- the document ---------------------------------------------------------------------------


class _KeepWithNext(KeepTogether):
    """Heading chains (heading -> intro -> figure) kept together. A group taller than a page
    starts where it is as long as the headings and the start of its last item fit."""

    def split(self, aW, aH):  # noqa: N803
        if getattr(self, "_wrapInfo", None) != (aW, aH):
            self.wrap(aW, aH)
        content = list(self._content)
        frame = getattr(self, "_frame", None)
        at_top = bool(frame is not None and getattr(frame, "_atTop", False))
        if self._H <= aH or at_top:
            return content
        if self._H <= _frame_height(self.canv):
            return [FrameBreak(), *content]
        need = 0.0
        for f in content[:-1]:
            need += f.wrapOn(self.canv, aW, 0x7FFFFFFF)[1] + f.getSpaceAfter()
        last = content[-1]
        start = getattr(last, "min_start_height", None)
        need += start(aW) if start else last.wrapOn(self.canv, aW, 0x7FFFFFFF)[1]
        return content if need <= aH else [FrameBreak(), *content]


class _Document(BaseDocTemplate):
    """Portrait and landscape page templates, footers with "Page i of N", outline entries.

    Built with ``multiBuild``: the first pass counts the pages, the second writes the count
    into every footer (a pass is repeated until the count is stable).
    """

    keepTogetherClass = _KeepWithNext

    def __init__(self, filename, paper: str, footer: str, **kwargs: Any) -> None:
        super().__init__(filename, pagesize=_pt(paper_size(paper)), leftMargin=MARGIN_IN * PT,
                         rightMargin=MARGIN_IN * PT, topMargin=MARGIN_IN * PT,
                         bottomMargin=(MARGIN_IN + FOOTER_IN) * PT, **kwargs)
        self.footer = footer
        self.n_pages: int | None = None
        templates = []
        for orientation in ("portrait", "landscape"):
            w, h = _pt(paper_size(paper, orientation))
            frame = _RLFrame(MARGIN_IN * PT, (MARGIN_IN + FOOTER_IN) * PT, w - 2 * MARGIN_IN * PT,
                             h - (2 * MARGIN_IN + FOOTER_IN) * PT, leftPadding=0, rightPadding=0,
                             topPadding=0, bottomPadding=0, id=orientation)
            templates.append(PageTemplate(id=orientation, frames=[frame], pagesize=(w, h),
                                          onPageEnd=self._draw_footer))
        self.addPageTemplates(templates)

    def beforeDocument(self) -> None:  # noqa: N802 - reportlab's hook
        self._outline_level = -1
        self._n_bookmarks = 0
        self.canv.showOutline()

    def _draw_footer(self, canv, doc) -> None:
        total = "?" if self.n_pages is None else str(self.n_pages)
        canv.saveState()
        canv.setFont(_font(), 7)
        canv.setFillColor(colors.HexColor("#555555"))
        y = MARGIN_IN * PT
        canv.drawString(MARGIN_IN * PT, y, self.footer)
        canv.drawRightString(canv._pagesize[0] - MARGIN_IN * PT, y, f"Page {canv.getPageNumber()} of {total}")
        canv.restoreState()

    def _allSatisfied(self) -> bool:  # the page count of the footers is the final one
        done = self.n_pages == self.page
        self.n_pages = self.page
        return bool(done and super()._allSatisfied())

    def afterFlowable(self, flowable) -> None:  # noqa: N802 - reportlab's hook
        if isinstance(flowable, Heading) and flowable.text.strip():
            # outline levels: sections at the top, subsections below; never deeper than one
            # below the previous entry (a PDF outline cannot skip a level)
            level = min(max(flowable.level - 1, 0), self._outline_level + 1)
            key = f"h{self._n_bookmarks}"
            self._n_bookmarks += 1
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.text.strip(), key, level=level, closed=level > 0)
            self._outline_level = level


def _pt(size_in: tuple[float, float]) -> tuple[float, float]:
    return size_in[0] * PT, size_in[1] * PT


def _drop_empty_breaks(flowables: Sequence[_RLFlowable]) -> list[_RLFlowable]:
    """Consecutive page breaks collapse into one (the last orientation asked for wins)."""
    out: list[_RLFlowable] = []
    for f in flowables:
        if isinstance(f, PageBreak) and out and isinstance(out[-1], PageBreak):
            out[-1] = PageBreak(f.orientation or out[-1].orientation)
            continue
        out.append(f)
    return out


def _stamp_figure(writer, page, pdf: bytes, x: float, y: float, name: str) -> None:
    """Place the one-page figure ``pdf`` at (``x``, ``y``) points on ``page``, as it is (vector).

    The figure's page becomes a form XObject of the document (its content stream is copied, not
    parsed) and the page draws it with one ``Do``. Its bounding box extends an inch past the
    figure, so labels matplotlib draws just outside the figure (a bar's value at the right
    edge, a y label) stay visible as they would on a page of their own.
    """
    from pypdf import PageObject, PdfReader, Transformation
    from pypdf.generic import (
        ArrayObject, ContentStream, DictionaryObject, FloatObject, NameObject, RectangleObject,
    )

    src = PdfReader(io.BytesIO(pdf)).pages[0]
    form_ref = src.raw_get("/Contents").clone(writer)  # matplotlib writes one content stream
    form = form_ref.get_object()
    box = src.mediabox
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = ArrayObject(FloatObject(v) for v in (box.left - PT, box.bottom - PT,
                                                                      box.right + PT, box.top + PT))
    form[NameObject("/Resources")] = src["/Resources"].clone(writer)
    # a tiny page that only draws the form, merged onto the report page at the figure's place
    stamp = PageObject.create_blank_page(width=float(box.width), height=float(box.height))
    stamp[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject(name): form_ref})})
    content = ContentStream(None, None)
    content.operations = [([], b"q"), ([NameObject(name)], b"Do"), ([], b"Q")]
    stamp.replace_contents(content)
    stamp.cropbox = RectangleObject([box.left - PT, box.bottom - PT, box.right + PT, box.top + PT])
    page.merge_transformed_page(stamp, Transformation().translate(x, y))


def render_pdf(flowables: Sequence[_RLFlowable], path: str | Path, paper: str = "a4",
               title: str = "", metadata: dict | None = None) -> int:
    """Typeset ``flowables`` with reportlab and write a PDF; return the number of pages.

    Parameters
    ----------
    flowables : sequence of reportlab flowables
        Built with :class:`Heading`, :class:`Paragraph`, :class:`Table`,
        :class:`FigureFlowable`, :class:`Spacer`, :class:`PageBreak` (or any reportlab flowable).
    path : str or Path
    paper : {"a4", "letter"}
    title : str
        Footer of every page and the PDF's title.
    metadata : dict, optional
        PDF document information (``Author``, ``Subject``, ``Keywords``, ``Creator``); defaults:
        author and creator ``interp-ecg``, subject the title.

    Returns
    -------
    int
        Pages written.
    """
    from pypdf import PdfReader, PdfWriter

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    register_fonts()
    meta = {"Title": title or "interp-ecg report", "Author": "interp-ecg", "Creator": "interp-ecg",
            "Subject": title or "interp-ecg report", "Keywords": ""}
    for key, value in (metadata or {}).items():
        meta[str(key).lstrip("/").capitalize()] = "" if value is None else str(value)
    buf = io.BytesIO()
    doc = _Document(buf, paper, footer=title, title=meta["Title"], author=meta["Author"],
                    subject=meta["Subject"], creator=meta["Creator"], keywords=meta["Keywords"])
    doc.multiBuild(_drop_empty_breaks(list(flowables)))
    stamps = getattr(doc.canv, "_interp_ecg_figures", [])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    for k, (page_index, x, y, draw_fn, w, h) in enumerate(stamps):
        try:
            pdf = render_figure_pdf(draw_fn, w, h)
        except Exception:  # a report never dies on one figure: say so where it would be
            logger.exception("a figure on page %d could not be drawn", page_index + 1)
            pdf = render_figure_pdf(_failed_figure, w, h)
        _stamp_figure(writer, writer.pages[page_index], pdf, x, y, f"/IEFig{k}")
    writer.add_metadata({f"/{k}": v for k, v in meta.items() if v})
    with open(path, "wb") as fh:
        writer.write(fh)
    n_pages = len(writer.pages)
    logger.info("wrote %d-page PDF %s (%d figures)", n_pages, path, len(stamps))
    return n_pages


def today() -> str:
    """Today's date (UTC) as ``YYYY-MM-DD``."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d")
