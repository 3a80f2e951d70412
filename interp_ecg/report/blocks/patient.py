"""Patient pages and prototype blocks: the ECG on grid paper, SHAP waterfall, grounded sentences,
"this looks like that" panels and the prototype gallery."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.explain import plots as explain_plots
from interp_ecg.report import plots
from interp_ecg.report.blocks.base import WARNING_COLOR, Block, Pseudonymiser, RenderContext, figure_html, format_number
from interp_ecg.report.layout import FigureFlowable, Flowable, Heading, PageBreak, Paragraph, Region

@dataclass
class PrototypeMatch:
    """One "this looks like that" panel: a window of the record next to a prototype's source.

    ``record_segment``/``prototype_segment`` are ``(n_leads, n_samples)`` arrays in mV.
    """

    label: str
    prototype: str
    similarity: float
    record_segment: np.ndarray
    prototype_segment: np.ndarray
    fs: float
    leads: Sequence[str] | None = None
    record_window: tuple[float, float] | None = None  # seconds within record_segment
    prototype_source: str = ""
    contribution: float | None = None


#: caption of "this looks like that" panels
MATCHES_CAPTION = ("Left: the window of this ECG most similar to each prototype (highlighted), with the ECG "
                   "around it. Right: the prototype, a real segment of a training ECG (source "
                   "pseudonymised), drawn under the highlighted window. Both sides share one time and one "
                   "voltage scale (bar: 1 mV by the time its label gives, 0.2 s, or 1 s in panels of over 4 s). The record-mean similarity in the title is the mean "
                   "over all windows of this ECG, not the highlighted window's alone.")


def match_layout(m: PrototypeMatch) -> dict[str, float]:
    """How the two panels of one match share their scales: one time span (seconds per width),
    one lead spacing (mV per height), and where the prototype starts on its time axis (under the
    highlighted window of the record, so the two line up).

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.report import PrototypeMatch
    >>> from interp_ecg.report.blocks.patient import match_layout
    >>> m = PrototypeMatch("CLBBB", "proto_CLBBB_00", 3.9, np.zeros((2, 296)), np.ones((2, 96)), 100.0,
    ...                    record_window=(1.0, 1.96))
    >>> {k: round(v, 2) for k, v in match_layout(m).items()}
    {'span_s': 2.96, 'spacing': 1.5, 'prototype_t0': 1.0, 'n_rows': 2}
    """
    rec = np.atleast_2d(np.asarray(m.record_segment, dtype=float))
    proto = np.atleast_2d(np.asarray(m.prototype_segment, dtype=float))
    rec_s, proto_s = rec.shape[1] / m.fs, proto.shape[1] / m.fs
    span = max(rec_s, proto_s)
    t0 = float(m.record_window[0]) if m.record_window is not None else 0.0
    t0 = min(max(t0, 0.0), span - proto_s)
    return {"span_s": span, "spacing": plots.lead_spacing(rec, proto), "prototype_t0": t0,
            "n_rows": max(rec.shape[0], proto.shape[0])}


def draw_matches(region: Region, matches: Sequence[PrototypeMatch], pseudo: Pseudonymiser) -> None:
    """Draw "this looks like that" rows: the record's window in context (left) and the prototype
    (right) at the same seconds per width and mV per height (:func:`match_layout`), each with
    a 0.2 s x 1 mV calibration bar."""
    n = len(matches)
    if n == 0:
        return
    h = 1.0 / n
    for i, m in enumerate(matches):
        bottom = 1.0 - (i + 1) * h
        lay = match_layout(m)
        scale = dict(span_s=lay["span_s"], spacing=lay["spacing"], n_rows=int(lay["n_rows"]))
        contrib = f", contribution {m.contribution:+.3f}" if m.contribution is not None else ""
        plots.plot_segment(m.record_segment, m.fs, m.leads,
                           f"this ({m.label}: record-mean similarity {m.similarity:.3f}{contrib})",
                           highlight=m.record_window, ax=region.add_axes(0.0, bottom + 0.08 * h, 0.48, 0.75 * h),
                           **scale)
        src = m.prototype_source
        parts = src.split(" ", 1)
        if parts and parts[0]:
            src = pseudo(parts[0]) + (" " + parts[1] if len(parts) > 1 else "")
        proto_s = np.atleast_2d(np.asarray(m.prototype_segment)).shape[1] / m.fs
        window = (lay["prototype_t0"], lay["prototype_t0"] + proto_s) if proto_s < lay["span_s"] else None
        plots.plot_segment(m.prototype_segment, m.fs, m.leads,
                           f"looks like that: {m.prototype}" + (f" (from {src})" if src else ""),
                           color="#7a1f1f", highlight=window, t0=lay["prototype_t0"],
                           ax=region.add_axes(0.52, bottom + 0.08 * h, 0.48, 0.75 * h), **scale)


def matches_from_explanation(explanation: Any, n: int = 2, leads: Sequence[str] = ("II", "V1", "V5"),
                             context_s: float = 1.0) -> list[PrototypeMatch]:
    """"This looks like that" panels from a prototype explanation of one record.

    Parameters
    ----------
    explanation : PrototypeExplanation
        ``ProtoECGNetClassifier.explain(record)``: ``signal``, ``fs``, ``segments`` and a
        ``contributions`` table (``statement, prototype, prototype_class, similarity, shapley,
        leads, start_sample, end_sample, source_record, source_leads, source_start, source_end``).
    n : int
        Panels, preferring prototypes of the predicted statement with positive similarity.
    leads : sequence of str
        Leads drawn when the prototype's window has them.
    context_s : float
        Seconds of the record shown on each side of the matched window.
    """
    from interp_ecg.io.leads import STANDARD_LEADS

    rows = explanation.contributions
    if len(rows) and "matchable" in rows.columns:  # no window in a short record's real samples: no panel
        rows = rows[rows["matchable"].astype(bool)]
    if len(rows) and {"prototype_class", "statement", "similarity"} <= set(rows.columns):
        own = rows[(rows["prototype_class"] == rows["statement"]) & (rows["similarity"] > 0)]
        rows = own if len(own) else rows
    fs = float(explanation.fs)
    sig = np.asarray(explanation.signal)
    out = []
    for _, r in rows.head(n).iterrows():
        win = str(r["leads"]).split(",")
        shown = [ld for ld in leads if ld in win] or win[:2]
        idx = [STANDARD_LEADS.index(ld) for ld in shown]
        s0, s1 = int(r["start_sample"]), int(r["end_sample"])
        pad = int(context_s * fs)
        lo, hi = max(0, s0 - pad), min(sig.shape[1], s1 + pad)
        src = explanation.segments.get(r["prototype"]) if getattr(explanation, "segments", None) else None
        src_leads = str(r["source_leads"]).split(",")
        sidx = [src_leads.index(ld) for ld in shown if ld in src_leads] or [0]
        proto_seg = np.asarray(src)[sidx] if src is not None else np.zeros((1, max(s1 - s0, 1)))
        out.append(PrototypeMatch(
            label=str(r["statement"]), prototype=str(r["prototype"]), similarity=float(r["similarity"]),
            record_segment=sig[idx, lo:hi], prototype_segment=proto_seg, fs=fs, leads=shown,
            record_window=((s0 - lo) / fs, (s1 - lo) / fs),
            prototype_source=f"{r['source_record']} {r['source_start'] / fs:.1f}-{r['source_end'] / fs:.1f} s",
            contribution=float(r["shapley"])))
    return out


class PrototypeMatchesBlock(Block):
    """"This looks like that" panels of one record, without the rest of a patient page."""

    def __init__(self, matches: Sequence[PrototypeMatch], heading: str = "This looks like that",
                 level: int = 2) -> None:
        self.matches = list(matches)
        self.heading = heading
        self.level = level

    def _caption(self) -> str:
        return MATCHES_CAPTION

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        return [Heading(self.heading, level=self.level),
                FigureFlowable(lambda r: draw_matches(r, self.matches, ctx.pseudonymise),
                               1.3 * max(len(self.matches), 1), self._caption(), ctx.next_figure())]

    def html(self, ctx: RenderContext) -> str:
        return self._heading_html(3) + figure_html(lambda r: draw_matches(r, self.matches, ctx.pseudonymise),
                                                    8.0, 1.3 * max(len(self.matches), 1), self._caption())


class PatientBlock(Block):
    """Per-patient pages: ECG on grid paper with fiducials, SHAP waterfall, grounded
    sentences and, for prototype models, "this looks like that" panels.

    Parameters
    ----------
    record_id : str
        Shown pseudonymised unless the report is built with ``pseudonymise=False``.
    signal, fs, leads : the record (``(n_leads, n_samples)`` mV).
    fiducials : DataFrame, optional
        :func:`interp_ecg.features.delineate` output (global rows are marked).
    marks : sequence of :class:`~interp_ecg.report.ecg_plot.Mark` or dicts
        Measurements behind the top attributions, bracketed on their lead.
    explanation : shap.Explanation, optional
        One row (the record's attributions) for the waterfall.
    sentences : sequence of str
        Grounded explanation sentences.
    summary : mapping, optional
        Facts shown under the heading (``{"WCT score": "0.87", "Rule": "positive"}``).
    matches : sequence of PrototypeMatch
    matches_note : str
        Shown above the prototype panels (e.g. which statements the prototype model knows).
    explanation_note, matches_warning : str
        Shown above the SHAP explanation / the prototype panels: the model's held-out
        discrimination; ``matches_warning`` (dark red, ``"Warning: "``) e.g. that the
        prototype model does not discriminate. ``explanation_note`` text after a
        ``"\\n\\n"`` is shown as a warning too.
    feature_row : pandas.Series, optional
        The record's row of :func:`interp_ecg.features.extract`: the waterfall cites no value
        of a lead its quality columns set aside
        (:func:`interp_ecg.explain.plots.plot_waterfall`).
    """

    def __init__(self, record_id: Any, signal: np.ndarray, fs: float,
                 leads: Sequence[str] | None = None, fiducials: pd.DataFrame | None = None,
                 marks: Sequence[Any] = (), explanation: Any = None, sentences: Sequence[str] = (),
                 summary: Mapping[str, Any] | None = None, matches: Sequence[PrototypeMatch] = (),
                 patient_id: Any = None, heading: str = "Patient", waterfall_title: str = "",
                 matches_note: str = "", explanation_note: str = "", matches_warning: str = "",
                 feature_row: pd.Series | None = None) -> None:
        from interp_ecg.io.leads import STANDARD_LEADS
        from interp_ecg.report.ecg_plot import Mark

        self.record_id = record_id
        self.patient_id = patient_id
        self.signal = np.asarray(signal, dtype=float)
        self.fs = float(fs)
        self.leads = list(leads) if leads is not None else list(STANDARD_LEADS)
        self.fiducials = fiducials
        self.marks = [m if isinstance(m, Mark) else Mark(**dict(m)) for m in marks]
        self.explanation = explanation
        self.sentences = list(sentences)
        self.summary = dict(summary or {})
        self.matches = list(matches)
        self.heading = heading
        self.waterfall_title = waterfall_title
        self.matches_note = matches_note
        self.explanation_note = explanation_note
        self.matches_warning = matches_warning
        self.feature_row = feature_row

    def _title(self, pseudo: Pseudonymiser) -> str:
        who = f"ECG {pseudo(self.record_id)}"
        if self.patient_id is not None:
            who += f", patient {pseudo(self.patient_id, 'patient')}"
        return f"{self.heading}: {who}"

    def _facts(self) -> str:
        return "   ".join(f"{k}: {format_number(v) if isinstance(v, (float, np.floating)) else v}"
                           for k, v in self.summary.items())

    def _draw_ecg(self, region: Region) -> None:
        from interp_ecg.report.ecg_plot import MM_PER_INCH, draw_ecg, ecg_size_mm

        w_mm, h_mm = ecg_size_mm()
        scale = min(1.0, region.width * MM_PER_INCH / w_mm, region.height * MM_PER_INCH / h_mm)
        w, h = w_mm * scale / MM_PER_INCH, h_mm * scale / MM_PER_INCH
        ax = region.fig.add_axes(Region(region.fig, region.x + (region.width - w) / 2,
                                        region.y + region.height - h, w, h).rect())
        draw_ecg(ax, self.signal, self.fs, self.leads, self.fiducials, self.marks, scale=scale)

    def _draw_waterfall(self, region: Region) -> None:
        ax = region.add_axes(0.42, 0.14, 0.55, 0.8)
        explain_plots.plot_waterfall(self.explanation, ax=ax, feature_row=self.feature_row)
        if self.waterfall_title:
            ax.set_title(self.waterfall_title, fontsize=8)

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        from interp_ecg.report.ecg_plot import MM_PER_INCH, ecg_size_mm

        pseudo = ctx.pseudonymise
        out: list[Flowable] = [PageBreak("landscape"), Heading(self._title(pseudo), level=1)]
        if self.summary:
            out.append(Paragraph(self._facts(), size=9))
        out.append(FigureFlowable(
            self._draw_ecg, ecg_size_mm()[1] / MM_PER_INCH,
            "12-lead ECG, standard 3x4 layout (2.5 s per lead) and lead II rhythm strip, on "
            "grid paper (small squares 1 mm = 40 ms x 0.1 mV). Ticks: fiducial points of the "
            "multi-lead delineation. Red brackets: the measurements behind the explanation; a "
            "record-level (multi-lead consensus) interval on the lead II rhythm strip, on the beat its "
            "sentence names; a per-lead one in its own lead (on the same beat when it falls in that "
            "lead's 2.5 s panel, otherwise on the corresponding beat shown there).",
            ctx.next_figure()))
        if self.sentences:
            out.append(Heading("Why the model decided this (grounded explanation)", level=2))
            out += self._explanation_note()
            out += [Paragraph("- " + s, size=9) for s in self.sentences]
        elif self.explanation is not None:
            out += self._explanation_note()
        if self.explanation is not None:
            out.append(FigureFlowable(self._draw_waterfall, 2.8,
                                      "SHAP waterfall: from the average model output (base), each "
                                      "measured feature pushes this ECG's output up (red) or down (blue).",
                                      ctx.next_figure(), fig_width=9.0))
        if self.matches:
            out.append(Heading("This looks like that: prototypes behind the prediction", level=2))
            for text, color in ((self.matches_note, "black"), (f"Warning: {self.matches_warning}", WARNING_COLOR)):
                if text and text != "Warning: ":
                    note = Paragraph(text, size=8.5, color=color)
                    note.keep_with_next = True  # heading, notes and panels move together
                    out.append(note)
            out.append(FigureFlowable(lambda r: draw_matches(r, self.matches, pseudo),
                                      1.3 * len(self.matches), MATCHES_CAPTION, ctx.next_figure()))
        out.append(PageBreak("portrait"))
        return out

    def _explanation_note(self) -> list[Flowable]:
        """The explained model's discrimination (and its warning, in dark red) as paragraphs."""
        text, _, warning = self.explanation_note.partition("\n\n")
        out = [Paragraph(text, size=8.5)] if text else []
        if warning:
            out.append(Paragraph(warning, size=8.5, color=WARNING_COLOR))
        return out

    def html(self, ctx: RenderContext) -> str:
        from interp_ecg.report.ecg_plot import MM_PER_INCH, ecg_size_mm

        pseudo = ctx.pseudonymise
        w_mm, h_mm = ecg_size_mm()
        parts = [f"<h2>{html.escape(self._title(pseudo))}</h2>"]
        if self.summary:
            parts.append(f"<p>{html.escape(self._facts())}</p>")
        parts.append(figure_html(self._draw_ecg, w_mm / MM_PER_INCH, h_mm / MM_PER_INCH))
        if self.explanation_note and (self.sentences or self.explanation is not None):
            parts += [f"<p>{html.escape(p)}</p>" for p in self.explanation_note.split("\n\n") if p]
        if self.sentences:
            parts.append("<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in self.sentences) + "</ul>")
        if self.explanation is not None:
            parts.append(figure_html(self._draw_waterfall, 8.0, 2.8))
        if self.matches:
            if self.matches_note:
                parts.append(f"<p>{html.escape(self.matches_note)}</p>")
            if self.matches_warning:
                parts.append(f'<p style="color:{WARNING_COLOR}"><strong>Warning:</strong> '
                             f"{html.escape(self.matches_warning)}</p>")
            parts.append(figure_html(lambda r: draw_matches(r, self.matches, pseudo), 8.0,
                                      1.3 * len(self.matches)))
        return "".join(parts)


class PrototypeGalleryBlock(Block):
    """Prototype gallery: each prototype's source segment (a real training ECG window)."""

    def __init__(self, prototypes: Sequence[Mapping[str, Any]], heading: str = "Prototype gallery",
                 text: str = "", n_cols: int = 3, level: int = 1, shown_note: str = "") -> None:
        """``prototypes``: dicts with ``name``, ``label``, ``segment`` (leads x samples), ``fs``,
        optional ``leads``, ``source`` (record id), ``window`` (str). ``shown_note``: a sentence
        for the caption saying which prototypes are shown when not all are (e.g. "2 of the 3
        prototypes per statement shown")."""
        self.prototypes = list(prototypes)
        self.shown_note = shown_note
        self.heading = heading
        self.text = text
        self.n_cols = n_cols
        self.level = level

    def _rows(self) -> list[list[Mapping[str, Any]]]:
        k = self.n_cols
        return [self.prototypes[i:i + k] for i in range(0, len(self.prototypes), k)]

    def _draw_row(self, region: Region, row: Sequence[Mapping[str, Any]], pseudo: Pseudonymiser) -> None:
        w = 1.0 / self.n_cols
        spacing = plots.lead_spacing(*[p["segment"] for p in self.prototypes])  # one mV scale for all
        rows = max(np.atleast_2d(np.asarray(p["segment"])).shape[0] for p in self.prototypes)
        for j, p in enumerate(row):
            src = f"{pseudo(p['source'])}" if p.get("source") is not None else ""
            dur = np.atleast_2d(np.asarray(p["segment"])).shape[1] / float(p["fs"])
            title = f"{p['name']} [{p.get('label', '')}]\n{src} {p.get('window', '')} ({dur:.2f} s shown)".strip()
            plots.plot_segment(p["segment"], p["fs"], p.get("leads"), title, color="#7a1f1f",
                               ax=region.add_axes(j * w + 0.01, 0.04, w - 0.02, 0.72), spacing=spacing,
                               n_rows=rows)

    def _caption(self) -> str:
        durations = {round(np.atleast_2d(np.asarray(p["segment"])).shape[1] / float(p["fs"]), 2)
                     for p in self.prototypes}
        time = (" Cells of different durations have different time scales: read each cell's scale bar."
                if len(durations) > 1 else "")
        shown = f" {self.shown_note}" if self.shown_note else ""
        return ("Prototypes after push: each is a real window of a training ECG (record pseudonymised, window "
                "in seconds). One voltage scale for every cell (bar: 1 mV)." + time + shown)

    def tables(self) -> dict[str, pd.DataFrame]:
        rows = [{k: v for k, v in p.items() if k not in {"segment", "leads"}} for p in self.prototypes]
        return {"prototypes": pd.DataFrame(rows)} if rows else {}

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        out: list[Flowable] = [Heading(self.heading, level=self.level)]
        if self.text:
            out.append(Paragraph(self.text))
        rows = self._rows()
        for i, row in enumerate(rows):
            cap = self._caption() if i == len(rows) - 1 else ""
            out.append(FigureFlowable(lambda r, row=row: self._draw_row(r, row, ctx.pseudonymise),
                                      1.45, cap, ctx.next_figure() if cap else None))
        return out

    def html(self, ctx: RenderContext) -> str:
        text = f"<p>{html.escape(self.text)}</p>" if self.text else ""
        rows = self._rows()
        figs = "".join(figure_html(lambda r, row=row: self._draw_row(r, row, ctx.pseudonymise), 7.0, 1.45,
                                   self._caption() if i == len(rows) - 1 else "")
                       for i, row in enumerate(rows))
        return self._heading_html() + text + figs


_draw_matches = draw_matches  # earlier name
