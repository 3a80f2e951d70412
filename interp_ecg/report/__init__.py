"""Reports: blocks rendered to vector PDF (A4 or Letter) and in Jupyter.

The PDF is typeset by reportlab (:mod:`interp_ecg.report.layout`): flowing text, tables split
across pages with repeated headers, page numbers, an outline of the headings and document
metadata; figures are matplotlib's vector output. The blocks (:mod:`interp_ecg.report.blocks`,
whose docstring states the Block contract) render the same content as HTML in Jupyter.

Examples
--------
>>> from interp_ecg.report import Report, TextBlock
>>> Report("Study", [TextBlock("Methods", "...")])
Report(title='Study', blocks=1, paper='a4')
"""

from interp_ecg.report.blocks import (
    Block, CohortTableBlock, CurvesBlock, FigureBlock, LeadBlock, MetricsBlock, PatientBlock, PhewasBlock,
    PrototypeGalleryBlock, PrototypeMatch, PrototypeMatchesBlock, Pseudonymiser, RecordTextBlock, ShapSummaryBlock,
    TableBlock, TextBlock, TitleBlock, cohort_table, format_frame, format_metrics, format_number, matches_from_explanation,
)
from interp_ecg.report.ecg_plot import Mark, plot_ecg
from interp_ecg.report.report import Report

__all__ = [
    "Block", "CohortTableBlock", "CurvesBlock", "FigureBlock", "LeadBlock", "Mark", "MetricsBlock",
    "PatientBlock", "PhewasBlock", "PrototypeGalleryBlock", "PrototypeMatch", "PrototypeMatchesBlock", "Pseudonymiser",
    "Report", "ShapSummaryBlock", "TableBlock", "TextBlock", "TitleBlock", "cohort_table",
    "format_frame", "format_metrics", "format_number", "matches_from_explanation", "plot_ecg",
]

from interp_ecg.report.cards import PrototypeCardsBlock, PrototypeGlossaryBlock, card_blocks  # noqa: E402

__all__ += ["PrototypeCardsBlock", "PrototypeGlossaryBlock", "card_blocks"]
