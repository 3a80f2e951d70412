"""Report blocks: the pieces a report is assembled from.

Every block renders both into the PDF (headings, paragraphs, tables and vector figures typeset
by reportlab, see :mod:`interp_ecg.report.layout`) and in Jupyter (``_repr_html_``). Blocks
that show people pass record and patient identifiers through the report's
:class:`Pseudonymiser`, so identifiers never reach a PDF unless asked.

Modules, by theme: :mod:`~interp_ecg.report.blocks.base` (the :class:`Block` contract, render
context, number formatting, pseudonyms), :mod:`~interp_ecg.report.blocks.text` (title, text,
tables, Table 1), :mod:`~interp_ecg.report.blocks.figures` (metrics, curves, SHAP, any figure),
:mod:`~interp_ecg.report.blocks.patient` (patient pages, prototype panels and gallery) and
:mod:`~interp_ecg.report.blocks.phewas`. Every name is importable from this package and from
:mod:`interp_ecg.report`.

The Block contract
------------------
A block is a subclass of :class:`Block` with

``heading`` : str
    Its title ("" for none).
``flowables(ctx) -> list``
    What it puts in the PDF, in order, built with the constructors of
    :mod:`interp_ecg.report.layout`: ``Heading(text, level=1)``, ``Paragraph(text, size=9.0,
    mono=False, color="black", style="normal")`` (plain text, not markup),
    ``Table(frame, caption="", number=ctx.next_table())`` (a DataFrame of strings, e.g. from
    :func:`format_frame`), ``FigureFlowable(draw_fn, fig_height_in, caption="",
    number=ctx.next_figure(), fig_width=None)`` where ``draw_fn(region)`` draws with
    matplotlib into a :class:`~interp_ecg.report.layout.Region` (``region.add_axes(left,
    bottom, width, height)`` in region fractions, ``region.fig``, ``region.rect()``),
    ``Spacer(inches)`` and ``PageBreak(orientation=None | "portrait" | "landscape")``. Any
    reportlab flowable may be returned too. Setting ``flowable.keep_with_next = True`` keeps a
    flowable on the page of the one after it (headings always do).
``html(ctx) -> str``
    The same content as HTML (figures as inline SVG: :func:`figure_html`, tables:
    :func:`table_html`).
``tables() -> dict[str, DataFrame]``
    Result tables shown by the block, saved beside the PDF (default: none).

``ctx`` is the report's :class:`RenderContext`: ``ctx.pseudonymise`` (a :class:`Pseudonymiser`:
call it on every identifier, ``.frame(df)`` on tables), ``ctx.paper``, ``ctx.next_figure()``
and ``ctx.next_table()`` (running numbers of captions). ``_repr_html_`` comes with the base
class. A block that raises in ``flowables`` does not stop the report: its section says it
could not be rendered.

Examples
--------
>>> import pandas as pd
>>> from interp_ecg.report.blocks import TableBlock, format_number
>>> block = TableBlock(pd.DataFrame({"metric": ["AUC"], "value": [0.91234]}), heading="Results")
>>> "0.912" in block._repr_html_()
True
>>> format_number(1234.5), format_number(0.000012), format_number(float("nan")), format_number(2.5e15)
('1234.500', '1.2e-05', 'NA', '2.5e+15')
"""

from interp_ecg.report.blocks.base import (
    IDENTIFIER_COLUMNS, Block, Pseudonymiser, RenderContext, figure_html,
    format_frame, format_number, table_html,
)
from interp_ecg.report.blocks.figures import (
    CurvesBlock, FigureBlock, MetricsBlock, ShapSummaryBlock, format_metrics,
)
from interp_ecg.report.blocks.patient import (
    PatientBlock, PrototypeGalleryBlock, PrototypeMatch, PrototypeMatchesBlock, draw_matches,
    matches_from_explanation,
)
from interp_ecg.report.blocks.phewas import PhewasBlock
from interp_ecg.report.blocks.text import (
    CohortTableBlock, LeadBlock, RecordTextBlock, TableBlock, TextBlock, TitleBlock, cohort_table,
)

# the layout names today's blocks module exposed, for blocks written against it
from interp_ecg.report.layout import (  # noqa: E402
    FigureFlowable, Flowable, Heading, PageBreak, Paragraph, Region, Spacer, Table,
)

__all__ = [
    "IDENTIFIER_COLUMNS", "Block", "CohortTableBlock", "CurvesBlock", "FigureBlock", "FigureFlowable",
    "Flowable", "Heading", "LeadBlock", "MetricsBlock", "PageBreak", "Paragraph", "PatientBlock", "PhewasBlock",
    "PrototypeGalleryBlock", "PrototypeMatch", "PrototypeMatchesBlock", "Pseudonymiser", "Region",
    "RecordTextBlock", "RenderContext", "ShapSummaryBlock", "Spacer", "Table", "TableBlock", "TextBlock", "TitleBlock",
    "cohort_table", "draw_matches", "figure_html", "format_frame", "format_metrics", "format_number",
    "matches_from_explanation", "table_html",
]
