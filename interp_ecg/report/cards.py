"""Report blocks for prototype cards: a glossary table and a page of cards per class.

Each card shows the prototype's source record on ECG grid paper (25 mm/s, 10 mm/mV, scaled to
the page and labelled as such), the fiducials of the beats inside the prototype's window
marked, the window and its QRS bracketed on the rhythm strip, the measurements beside the
class median and the normal range, and the one-sentence description. Sources appear as keyed
pseudonyms (:mod:`interp_ecg.io.pseudonym`) when the cards were made with a key, otherwise
through the report's :class:`~interp_ecg.report.Pseudonymiser`; record ids never reach a PDF
unless the report is built with ``pseudonymise=False``.

Examples
--------
>>> from interp_ecg.report.cards import PrototypeGlossaryBlock, PrototypeCardsBlock
>>> PrototypeCardsBlock.__mro__[1].__name__
'Block'
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.report.blocks import Block, Pseudonymiser, RenderContext, format_frame
from interp_ecg.report.layout import FigureFlowable, Flowable, Heading, PageBreak, Paragraph, Region, Table

#: width of a card's ECG figure on a landscape page (inches)
CARD_WIDTH_IN = 5.0


def _source_label(row: pd.Series, pseudo: Pseudonymiser) -> str:
    if "source_pseudonym" in row and isinstance(row["source_pseudonym"], str) and row["source_pseudonym"]:
        return row["source_pseudonym"]
    return pseudo(row["source_record"])


def glossary_frame(cards, pseudo: Pseudonymiser) -> pd.DataFrame:
    """The glossary table with sources pseudonymised: prototype, class, branch, source,
    window, surrogate R^2, description."""
    t = cards.table
    return pd.DataFrame({
        "prototype": list(t.index),
        "class": t["class"].to_numpy(),
        "branch": t["branch"].to_numpy(),
        "source": [_source_label(r, pseudo) for _, r in t.iterrows()],
        "window_s": [f"{a:.2f}-{b:.2f}" for a, b in zip(t["start_s"], t["end_s"])],
        "R2": t["surrogate_r2"].to_numpy(float),
        "description": t["description"].to_numpy(),
    })


def _svg(draw, width: float, height: float) -> str:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    draw(Region(fig, 0.0, 0.0, width, height))
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    return svg[svg.find("<svg"):]


class PrototypeGlossaryBlock(Block):
    """One table row per prototype: class, branch, pseudonymised source, window, R^2, description."""

    def __init__(self, cards, heading: str = "Prototype glossary", level: int = 1, text: str = "") -> None:
        self.cards = cards
        self.heading = heading
        self.level = level
        self.text = text or (
            "Every prototype is a real window of a training ECG. Its measurements come from the package's "
            "delineation of the whole source record (beats inside the window); R2 is the patient-wise "
            f"cross-validated R2 of a gradient-boosted surrogate predicting its similarity from the measurements "
            f"(below {cards.r2_threshold:g}: not explained by standard measurements).")

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"prototype_cards": self.cards.table}

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        frame = format_frame(glossary_frame(self.cards, ctx.pseudonymise), 2)
        return [Heading(self.heading, level=self.level), Paragraph(self.text, size=9),
                Table(frame, "Prototype glossary", number=ctx.next_table())]

    def html(self, ctx: RenderContext) -> str:
        frame = format_frame(glossary_frame(self.cards, ctx.pseudonymise), 2)
        return (self._heading_html() + f"<p>{html.escape(self.text)}</p>"
                + frame.to_html(index=False, border=0, escape=True))


class PrototypeCardsBlock(Block):
    """A page of cards per class (landscape): source ECG on grid paper with fiducials and the
    window marked, measurement table, description.

    Parameters
    ----------
    cards : PrototypeCards
    classes : sequence of str, optional
        Classes to show (default: every class with a prototype, in table order).
    max_per_class : int, optional
    """

    def __init__(self, cards, classes: Sequence[str] | None = None, max_per_class: int | None = None,
                 heading: str = "Prototype cards", level: int = 1) -> None:
        self.cards = cards
        self.classes = list(classes) if classes is not None else list(dict.fromkeys(cards.table["class"]))
        self.max_per_class = max_per_class
        self.heading = heading
        self.level = level

    def _prototypes(self, cls: str) -> list[str]:
        names = list(self.cards.table.index[self.cards.table["class"] == cls])
        return names[: self.max_per_class] if self.max_per_class else names

    def _draw(self, region: Region, name: str, pseudo: Pseudonymiser) -> None:
        from interp_ecg.explain.prototype_cards import card_marks
        from interp_ecg.io.leads import STANDARD_LEADS
        from interp_ecg.report.ecg_plot import MM_PER_INCH, draw_ecg, ecg_size_mm

        card = self.cards.card(name)
        seg = card.segment
        w_mm, h_mm = ecg_size_mm()
        scale = min(1.0, region.width * MM_PER_INCH / w_mm, region.height * MM_PER_INCH / h_mm)
        w, h = w_mm * scale / MM_PER_INCH, h_mm * scale / MM_PER_INCH
        ax = region.fig.add_axes(Region(region.fig, region.x + (region.width - w) / 2,
                                        region.y + region.height - h, w, h).rect())
        strip = "II"
        if seg.window_leads and len(seg.window_leads) < len(STANDARD_LEADS):
            strip = next((ld for ld in seg.window_leads if ld in seg.leads), "II")
        measured = dict(zip(card.measurements["feature"], card.measurements["value"]))
        # no title on the grid: the card's heading and the figure caption name the prototype and its
        # source, and a title there ran into the fiducial legend of a scaled-down card (user9 F8)
        draw_ecg(ax, seg.signal, seg.fs, seg.leads, seg.fiducials, card_marks(seg, measured), rhythm_lead=strip,
                 title=None, scale=scale)

    def _facts(self, row: pd.Series) -> str:
        parts = [f"Surrogate R2 {row['surrogate_r2']:.2f}" if np.isfinite(row["surrogate_r2"]) else
                 f"No surrogate ({row['surrogate_reason']})"]
        if row.get("top_features"):
            parts.append(f"top features (direction of effect on similarity): {row['top_features']}")
        if row.get("classes_driven"):
            parts.append(f"drives (mean Shapley, logit, over positives): {row['classes_driven']}")
        if row.get("phecodes"):
            parts.append(f"phecodes: {row['phecodes']}")
        if row.get("rhythm_expectation"):
            ok = row.get("rhythm_consistent")
            verdict = "not judged" if not isinstance(ok, (bool, np.bool_)) else ("matches" if ok else "does not match")
            parts.append(f"rhythm expected for the class: {row['rhythm_expectation']} ({verdict})")
        if row.get("measurement_reason"):
            parts.append(f"measurement: {row['measurement_reason']}")
        if isinstance(row.get("class_median_reason"), str) and row.get("class_median_reason"):
            parts.append(f"class median NA: {row['class_median_reason']}")
        return ". ".join(parts) + "."

    def _table(self, name: str) -> pd.DataFrame:
        t = self.cards.card(name).measurement_table()
        return format_frame(t.rename(columns={"class_median": "class median", "normal_range": "normal"}), 2)

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        from interp_ecg.report.ecg_plot import MM_PER_INCH, ecg_size_mm

        w_mm, h_mm = ecg_size_mm()
        fig_h = CARD_WIDTH_IN * h_mm / w_mm
        out: list[Flowable] = [PageBreak("landscape"), Heading(self.heading, level=self.level)]
        first = True
        for cls in self.classes:
            names = self._prototypes(cls)
            if not names:
                continue
            if not first:
                out.append(PageBreak("landscape"))
            first = False
            out.append(Heading(f"Prototypes of {cls}", level=self.level + 1))
            for name in names:
                row = self.cards.table.loc[name]
                head = Heading(name, level=self.level + 2)
                head.keep_with_next = True
                desc = Paragraph(str(row["description"]), size=9)
                desc.keep_with_next = True
                facts = Paragraph(self._facts(row), size=8)
                facts.keep_with_next = True
                out += [head, desc, facts]
                if name in self.cards.segments:
                    out.append(FigureFlowable(
                        lambda r, n=name: self._draw(r, n, ctx.pseudonymise), fig_h,
                        f"{name}: source record {_source_label(row, ctx.pseudonymise)}, prototype window "
                        f"{row['start_s']:.2f}-{row['end_s']:.2f} s, on grid paper "
                        f"(scaled to {100 * CARD_WIDTH_IN * MM_PER_INCH / w_mm:.0f}% "
                        "of 25 mm/s, 10 mm/mV); ticks: fiducials of the beats inside the prototype window; brackets: "
                        "the window and the QRS measured in it.", ctx.next_figure(), fig_width=CARD_WIDTH_IN))
                out.append(Table(self._table(name), f"{name}: measured on the source window", number=ctx.next_table()))
        out.append(PageBreak("portrait"))
        return out

    def html(self, ctx: RenderContext) -> str:
        from interp_ecg.report.ecg_plot import ecg_size_mm

        w_mm, h_mm = ecg_size_mm()
        parts = [self._heading_html()]
        for cls in self.classes:
            names = self._prototypes(cls)
            if not names:
                continue
            parts.append(f"<h3>Prototypes of {html.escape(cls)}</h3>")
            for name in names:
                row = self.cards.table.loc[name]
                parts.append(f"<h4>{html.escape(name)}</h4><p>{html.escape(str(row['description']))}</p>")
                if name in self.cards.segments:
                    parts.append(_svg(lambda r, n=name: self._draw(r, n, ctx.pseudonymise), CARD_WIDTH_IN,
                                      CARD_WIDTH_IN * h_mm / w_mm))
                parts.append(self._table(name).to_html(index=False, border=0, escape=True))
                parts.append(f"<p><small>{html.escape(self._facts(row))}</small></p>")
        return "".join(parts)


def card_blocks(cards, classes: Sequence[str] | None = None, max_per_class: int | None = None) -> list[Any]:
    """The glossary and the card pages, ready for :class:`~interp_ecg.report.Report`."""
    return [PrototypeGlossaryBlock(cards), PrototypeCardsBlock(cards, classes, max_per_class)]


__all__ = ["PrototypeCardsBlock", "PrototypeGlossaryBlock", "card_blocks", "glossary_frame"]
