"""Report blocks: the pieces a report is assembled from.

Every block renders both into the PDF (as flowing headings, tables and vector figures) and in
Jupyter (``_repr_html_``). Blocks that show people pass record and patient identifiers through
the report's :class:`Pseudonymiser`, so identifiers never reach a PDF unless asked.

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

from __future__ import annotations

import html
import io
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.report import plots
from interp_ecg.report.layout import (
    FigureFlowable, Flowable, Heading, PageBreak, Paragraph, Region, Spacer, Table,
)

logger = logging.getLogger(__name__)

#: columns treated as personal identifiers and pseudonymised in every table
IDENTIFIER_COLUMNS = ("patient_id", "subject_id", "record_id", "ecg_id", "study_id", "hadm_id",
                      "record", "source_record")


def format_number(value: Any, digits: int = 3) -> str:
    """Format a number the way every report table and results CSV shows it.

    Fixed ``digits`` decimals; scientific notation for tiny non-zero values; ``NA`` for NaN.
    """
    if value is None:
        return "NA"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not np.isfinite(v):
        return "NA"
    if v != 0 and abs(v) < 10 ** (-digits):
        return f"{v:.2g}"
    if abs(v) >= 1e5:
        return f"{v:.3g}"
    return f"{v:.{digits}f}"


def format_frame(frame: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """A copy of ``frame`` with every cell formatted as report text."""
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_float_dtype(s) or pd.api.types.is_integer_dtype(s):
            out[col] = [format_number(v, digits) for v in s]
        else:
            out[col] = ["NA" if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v)
                        for v in s]
    return out


class Pseudonymiser:
    """Replace identifiers by stable pseudonyms (``P001``, ``P002`` ... in order of appearance).

    The mapping lives only in memory (``mapping``); it is never written to the report.

    Parameters
    ----------
    enabled : bool
        With ``False`` identifiers are shown as they are.
    prefix : str

    Examples
    --------
    >>> p = Pseudonymiser()
    >>> p("10000032"), p("42"), p("10000032")
    ('P001', 'P002', 'P001')
    >>> Pseudonymiser(enabled=False)("10000032")
    '10000032'
    """

    def __init__(self, enabled: bool = True, prefix: str = "P") -> None:
        self.enabled = enabled
        self.prefix = prefix
        self.mapping: dict[str, str] = {}

    def __call__(self, identifier: Any) -> str:
        key = str(identifier)
        if not self.enabled:
            return key
        if key not in self.mapping:
            self.mapping[key] = f"{self.prefix}{len(self.mapping) + 1:03d}"
        return self.mapping[key]

    def frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Pseudonymise identifier columns (and an identifier-named index) of a table."""
        if not self.enabled:
            return frame
        out = frame.copy()
        for col in out.columns:
            if str(col).lower() in IDENTIFIER_COLUMNS:
                out[col] = [self(v) for v in out[col]]
        if out.index.name and str(out.index.name).lower() in IDENTIFIER_COLUMNS:
            out.index = pd.Index([self(v) for v in out.index], name=out.index.name)
        return out


@dataclass
class RenderContext:
    """State shared by the blocks of one report while rendering."""

    pseudonymise: Pseudonymiser = field(default_factory=Pseudonymiser)
    paper: str = "a4"
    figure_no: int = 0
    table_no: int = 0

    def next_figure(self) -> int:
        self.figure_no += 1
        return self.figure_no

    def next_table(self) -> int:
        self.table_no += 1
        return self.table_no


def _figure_html(draw_fn: Callable[[Region], None], width: float, height: float,
                 caption: str = "") -> str:
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.size": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
                                "axes.labelsize": 8, "legend.fontsize": 7, "svg.fonttype": "none"}):
        fig = Figure(figsize=(width, height))
        draw_fn(Region(fig, 0.0, 0.0, width, height))
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    svg = svg[svg.find("<svg"):]
    cap = f"<figcaption><i>{html.escape(caption)}</i></figcaption>" if caption else ""
    return f"<figure style='margin:0.5em 0'>{svg}{cap}</figure>"


def _table_html(frame: pd.DataFrame, caption: str = "") -> str:
    cap = f"<caption style='caption-side:top;text-align:left'><b>{html.escape(caption)}</b></caption>" if caption else ""
    body = frame.to_html(index=False, escape=True, border=0)
    return body.replace("<table", "<table style='font-size:85%'", 1).replace(">", ">" + cap, 1) if cap else body


class Block:
    """Base class: a heading and content that renders to PDF flowables and to HTML."""

    heading: str = ""

    def flowables(self, ctx: RenderContext) -> list[Flowable]:  # pragma: no cover - interface
        raise NotImplementedError

    def html(self, ctx: RenderContext) -> str:  # pragma: no cover - interface
        raise NotImplementedError

    def tables(self) -> dict[str, pd.DataFrame]:
        """Result tables shown by this block (name -> DataFrame), for saving beside the PDF."""
        return {}

    def _repr_html_(self) -> str:
        return self.html(RenderContext())

    def _heading_html(self, level: int = 2) -> str:
        return f"<h{level}>{html.escape(self.heading)}</h{level}>" if self.heading else ""


class TitleBlock(Block):
    """Title page content: title, subtitle, date, seed, package versions and the config."""

    def __init__(self, title: str, subtitle: str = "", summary: str = "",
                 config: Mapping | None = None, seed: int | None = None,
                 versions: Mapping[str, str] | None = None, date: str | None = None) -> None:
        from interp_ecg.report.layout import today

        self.heading = title
        self.subtitle = subtitle
        self.summary = summary
        self.config = dict(config) if config else None
        self.seed = seed
        self.versions = dict(versions) if versions else None
        self.date = date or today()

    def _config_text(self) -> str:
        import yaml

        return yaml.safe_dump(self.config, sort_keys=False, default_flow_style=None, width=100).strip()

    def _facts(self) -> str:
        facts = [f"Date: {self.date}"]
        if self.seed is not None:
            facts.append(f"Seed: {self.seed}")
        if self.versions:
            facts.append("Versions: " + ", ".join(f"{k} {v}" for k, v in self.versions.items()))
        return "\n".join(facts)

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        out: list[Flowable] = [Heading(self.heading, level=0)]
        if self.subtitle:
            out.append(Paragraph(self.subtitle, size=12, color="#1a2a44"))
        out += [Spacer(0.1), Paragraph(self._facts(), size=8, color="#444444")]
        if self.summary:
            out += [Spacer(0.1), Paragraph(self.summary, size=9.5)]
        if self.config:
            out += [Spacer(0.15), Heading("Study configuration", level=2),
                    Paragraph(self._config_text(), size=7, mono=True)]
        return out

    def html(self, ctx: RenderContext) -> str:
        parts = [f"<h1>{html.escape(self.heading)}</h1>"]
        if self.subtitle:
            parts.append(f"<p><b>{html.escape(self.subtitle)}</b></p>")
        parts.append(f"<pre>{html.escape(self._facts())}</pre>")
        if self.summary:
            parts.append(f"<p>{html.escape(self.summary)}</p>")
        if self.config:
            parts.append(f"<details><summary>Study configuration</summary><pre>{html.escape(self._config_text())}</pre></details>")
        return "".join(parts)


class TextBlock(Block):
    """A heading with paragraphs of text (``\\n\\n`` separates paragraphs)."""

    def __init__(self, heading: str, text: str = "", level: int = 1, page_break: bool = False) -> None:
        self.heading = heading
        self.text = text
        self.level = level
        self.page_break = page_break

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        out: list[Flowable] = [PageBreak()] if self.page_break else []
        if self.heading:
            out.append(Heading(self.heading, level=self.level))
        out += [Paragraph(p.strip()) for p in self.text.split("\n\n") if p.strip()]
        return out

    def html(self, ctx: RenderContext) -> str:
        paras = "".join(f"<p>{html.escape(p.strip())}</p>" for p in self.text.split("\n\n") if p.strip())
        return self._heading_html(min(self.level + 1, 4)) + paras


class TableBlock(Block):
    """A results table, numbers formatted with :func:`format_number`, identifiers pseudonymised."""

    def __init__(self, frame: pd.DataFrame, heading: str = "", caption: str = "", digits: int = 3,
                 index: bool = False, note: str = "", name: str | None = None, level: int = 1,
                 max_rows: int | None = None) -> None:
        self.frame = frame
        self.heading = heading
        self.caption = caption
        self.digits = digits
        self.index = index
        self.note = note
        self.name = name
        self.level = level
        self.max_rows = max_rows

    def display_frame(self, ctx: RenderContext) -> pd.DataFrame:
        frame = self.frame.head(self.max_rows) if self.max_rows else self.frame
        frame = ctx.pseudonymise.frame(frame)
        if self.index:
            frame = frame.reset_index()
        return format_frame(frame, self.digits)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {self.name: self.frame} if self.name else {}

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        out: list[Flowable] = []
        if self.heading:
            out.append(Heading(self.heading, level=self.level))
        out.append(Table(self.display_frame(ctx), self.caption, number=ctx.next_table()))
        if self.note:
            out.append(Paragraph(self.note, size=8, style="italic"))
        return out

    def html(self, ctx: RenderContext) -> str:
        note = f"<p><i>{html.escape(self.note)}</i></p>" if self.note else ""
        return self._heading_html() + _table_html(self.display_frame(ctx), self.caption) + note


def cohort_table(meta: pd.DataFrame, by: pd.Series | str | None = None,
                 categorical: Sequence[str] = ("sex",), continuous: Sequence[str] = ("age",),
                 digits: int = 1) -> pd.DataFrame:
    """A "Table 1": counts, continuous variables as mean (SD), categories as n (%).

    Parameters
    ----------
    meta : pandas.DataFrame
        One row per ECG (``patient_id`` is used to count patients when present).
    by : Series or column name, optional
        Grouping (e.g. the label); one column per group plus ``Overall``.

    Examples
    --------
    >>> import pandas as pd
    >>> meta = pd.DataFrame({"age": [50, 70, 60, 80], "sex": ["F", "M", "F", "F"],
    ...                      "patient_id": [1, 2, 3, 3]})
    >>> t = cohort_table(meta, by=pd.Series(["no", "yes", "no", "yes"]))
    >>> t.loc[0].tolist()
    ['ECGs, n', '2', '2', '4']
    >>> t.loc[1].tolist()
    ['Patients, n', '2', '2', '3']
    """
    meta = meta.reset_index(drop=True)
    if isinstance(by, str):
        groups = meta[by].astype(str)
    elif by is not None:
        groups = pd.Series(np.asarray(by), index=meta.index).astype(str)
    else:
        groups = None
    columns: list[tuple[str, pd.DataFrame]] = []
    if groups is not None:
        for g in sorted(groups.unique()):
            columns.append((str(g), meta[groups == g]))
    columns.append(("Overall", meta))
    rows: list[list[str]] = []

    def add(label: str, fn: Callable[[pd.DataFrame], str]) -> None:
        rows.append([label, *[fn(part) for _, part in columns]])

    add("ECGs, n", lambda d: str(len(d)))
    if "patient_id" in meta.columns:
        add("Patients, n", lambda d: str(d["patient_id"].nunique()))
    for col in continuous:
        if col in meta.columns:
            def _mean_sd(d: pd.DataFrame, col: str = col) -> str:
                v = pd.to_numeric(d[col], errors="coerce").dropna()
                return f"{v.mean():.{digits}f} ({v.std(ddof=1):.{digits}f})" if len(v) > 1 else "NA"
            add(f"{col}, mean (SD)", _mean_sd)
    for col in categorical:
        if col not in meta.columns:
            continue
        levels = sorted(meta[col].dropna().astype(str).unique())
        for level in levels:
            def _pct(d: pd.DataFrame, col: str = col, level: str = level) -> str:
                n = int((d[col].astype(str) == level).sum())
                return f"{n} ({100.0 * n / max(len(d), 1):.{digits}f}%)"
            add(f"{col} = {level}, n (%)", _pct)
    return pd.DataFrame(rows, columns=["Characteristic", *[name for name, _ in columns]])


class CohortTableBlock(TableBlock):
    """Table 1 of the cohort (see :func:`cohort_table`)."""

    def __init__(self, meta: pd.DataFrame, by: pd.Series | str | None = None,
                 heading: str = "Cohort (Table 1)", caption: str = "Characteristics of the cohort.",
                 categorical: Sequence[str] = ("sex",), continuous: Sequence[str] = ("age",),
                 note: str = "") -> None:
        super().__init__(cohort_table(meta, by, categorical, continuous), heading=heading,
                         caption=caption, note=note, name="table1")


def format_metrics(metrics: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Wide, readable metrics table: one row per model, cells ``estimate (low-high)``.

    Accepts the long output of :func:`interp_ecg.evaluate.metrics_table` (columns ``metric``,
    an estimate column ``estimate``/``value``, ``ci_low``/``ci_high`` and optionally ``model``)
    or a wide table whose index is the model name.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"model": ["rf", "rf"], "metric": ["roc_auc", "brier"],
    ...                   "estimate": [0.91, 0.08], "ci_low": [0.88, 0.06], "ci_high": [0.94, 0.1]})
    >>> format_metrics(m).iloc[0].tolist()
    ['rf', '0.910 (0.880-0.940)', '0.080 (0.060-0.100)']
    """
    m = metrics.copy()
    if "metric" not in m.columns:
        m = m.reset_index()
        if "metric" not in m.columns:
            return format_frame(m, digits)
    est = next((c for c in ("estimate", "value", "mean", "point") if c in m.columns), None)
    lo = next((c for c in ("ci_low", "ci_lower", "lower", "low") if c in m.columns), None)
    hi = next((c for c in ("ci_high", "ci_upper", "upper", "high") if c in m.columns), None)
    if est is None:
        return format_frame(m, digits)
    model = next((c for c in ("model", "name", "label", "source") if c in m.columns), None)
    if model is None:
        m["model"] = "model"
        model = "model"

    def cell(r: pd.Series) -> str:
        s = format_number(r[est], digits)
        if lo is not None and hi is not None and pd.notna(r[lo]) and pd.notna(r[hi]):
            s += f" ({format_number(r[lo], digits)}-{format_number(r[hi], digits)})"
        return s

    m["_cell"] = m.apply(cell, axis=1)
    wide = m.pivot_table(index=model, columns="metric", values="_cell", aggfunc="first", sort=False)
    order_models = list(dict.fromkeys(m[model]))
    order_metrics = list(dict.fromkeys(m["metric"]))
    wide = wide.reindex(index=order_models, columns=order_metrics)
    wide.columns.name = None
    return wide.reset_index().rename(columns={model: "model"}).fillna("NA")


class MetricsBlock(Block):
    """Performance table with bootstrap 95% CIs, plus notes (circular labels, rule baseline)."""

    def __init__(self, metrics: pd.DataFrame, heading: str = "Model performance",
                 caption: str = "Metrics with bootstrap 95% confidence intervals (resampled by patient).",
                 note: str = "", digits: int = 3, name: str = "metrics", transpose: bool | None = None,
                 level: int = 1) -> None:
        self.metrics = metrics
        self.heading = heading
        self.caption = caption
        self.note = note
        self.digits = digits
        self.name = name
        self.transpose = transpose
        self.level = level

    def display_frame(self) -> pd.DataFrame:
        wide = format_metrics(self.metrics, self.digits)
        transpose = self.transpose if self.transpose is not None else wide.shape[1] > 6
        if transpose and "model" in wide.columns:
            wide = wide.set_index("model").T.reset_index().rename(columns={"index": "metric"})
            wide.columns.name = None
        return wide

    def tables(self) -> dict[str, pd.DataFrame]:
        return {self.name: self.metrics}

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        out: list[Flowable] = [Heading(self.heading, level=self.level)] if self.heading else []
        out.append(Table(self.display_frame(), self.caption, number=ctx.next_table()))
        if self.note:
            out += [Paragraph(p.strip(), size=8.5, color="#7a1f1f") for p in self.note.split("\n\n") if p.strip()]
        return out

    def html(self, ctx: RenderContext) -> str:
        note = "".join(f"<p style='color:#7a1f1f'>{html.escape(p)}</p>" for p in self.note.split("\n\n") if p.strip())
        return self._heading_html() + _table_html(self.display_frame(), self.caption) + note


class FigureBlock(Block):
    """Any figure: a function drawing into a :class:`~interp_ecg.report.layout.Region`, or
    a function taking one matplotlib ``ax``."""

    def __init__(self, draw: Callable[..., Any], caption: str = "", heading: str = "",
                 height_in: float = 3.5, width_in: float | None = None, takes_ax: bool = True,
                 level: int = 1) -> None:
        self.draw = draw
        self.caption = caption
        self.heading = heading
        self.height_in = height_in
        self.width_in = width_in
        self.takes_ax = takes_ax
        self.level = level

    def _draw_region(self, region: Region) -> None:
        if self.takes_ax:
            self.draw(region.add_axes(0.12, 0.12, 0.8, 0.8))
        else:
            self.draw(region)

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        out: list[Flowable] = [Heading(self.heading, level=self.level)] if self.heading else []
        out.append(FigureFlowable(self._draw_region, self.height_in, self.caption,
                                  ctx.next_figure(), self.width_in))
        return out

    def html(self, ctx: RenderContext) -> str:
        return self._heading_html() + _figure_html(self._draw_region, self.width_in or 7.0,
                                                   self.height_in, self.caption)


class CurvesBlock(FigureBlock):
    """ROC, precision-recall and calibration curves of several scores for one label."""

    def __init__(self, y_true: Sequence, scores: Mapping[str, Sequence], caption: str = "",
                 heading: str = "ROC, precision-recall and calibration", level: int = 2) -> None:
        self.y_true = np.asarray(y_true)
        self.scores = {k: np.asarray(v, dtype=float) for k, v in scores.items()}
        cap = caption or (f"Curves on held-out data (n = {len(self.y_true)}, "
                          f"{int(np.sum(self.y_true))} positives). Dashed: chance / perfect calibration.")
        super().__init__(self._draw, cap, heading, height_in=3.3, takes_ax=False, level=level)

    def _draw(self, region: Region) -> None:
        plots.roc_axes(region.add_axes(0.06, 0.36, 0.26, 0.6), self.y_true, self.scores)
        plots.pr_axes(region.add_axes(0.39, 0.36, 0.26, 0.6), self.y_true, self.scores)
        plots.calibration_axes(region.add_axes(0.72, 0.36, 0.26, 0.6), self.y_true, self.scores)


class ShapSummaryBlock(Block):
    """Global SHAP: bar and beeswarm plots, then dependence plots of the top features."""

    def __init__(self, explanation: Any, heading: str = "What drives the model (SHAP)",
                 max_display: int = 12, dependence: int | Sequence[str] = 3, text: str = "",
                 level: int = 1) -> None:
        self.explanation = explanation
        self.heading = heading
        self.max_display = max_display
        self.text = text
        self.level = level
        values, _, names, _ = plots._expl_parts(explanation)
        if isinstance(dependence, int):
            imp = np.nanmean(np.abs(np.atleast_2d(values)), axis=0)
            dependence = [names[i] for i in np.argsort(imp)[::-1][:dependence]]
        self.dependence = list(dependence)

    def tables(self) -> dict[str, pd.DataFrame]:
        values, _, names, _ = plots._expl_parts(self.explanation)
        imp = np.nanmean(np.abs(np.atleast_2d(values)), axis=0)
        t = pd.DataFrame({"feature": names, "mean_abs_shap": imp}).sort_values(
            "mean_abs_shap", ascending=False, kind="stable")
        return {"shap_importance": t.reset_index(drop=True)}

    def _draw_summary(self, region: Region) -> None:
        plots.shap_bar_axes(region.add_axes(0.27, 0.15, 0.2, 0.82), self.explanation, self.max_display)
        plots.shap_beeswarm_axes(region.add_axes(0.75, 0.15, 0.2, 0.82), self.explanation, self.max_display)

    def _draw_dependence(self, region: Region) -> None:
        k = max(len(self.dependence), 1)
        w = 1.0 / k
        for i, feat in enumerate(self.dependence):
            plots.shap_dependence_axes(region.add_axes(i * w + 0.08, 0.25, w - 0.13, 0.7),
                                       self.explanation, feat)

    def _captions(self) -> tuple[str, str]:
        n = np.atleast_2d(plots._expl_parts(self.explanation)[0]).shape[0]
        return (f"Left: mean absolute SHAP value per feature. Right: each dot is one ECG (n = {n}); "
                "position is the feature's push on the model output, colour its measured value.",
                "Dependence of the SHAP value on the measured value for the top features.")

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        c1, c2 = self._captions()
        out: list[Flowable] = [Heading(self.heading, level=self.level)]
        if self.text:
            intro = Paragraph(self.text)
            intro.keep_with_next = True  # never leave the intro at a page foot, its figure overleaf
            out.append(intro)
        out.append(FigureFlowable(self._draw_summary, 3.4, c1, ctx.next_figure()))
        if self.dependence:
            out.append(FigureFlowable(self._draw_dependence, 2.1, c2, ctx.next_figure()))
        return out

    def html(self, ctx: RenderContext) -> str:
        c1, c2 = self._captions()
        text = f"<p>{html.escape(self.text)}</p>" if self.text else ""
        dep = _figure_html(self._draw_dependence, 7.0, 2.1, c2) if self.dependence else ""
        return self._heading_html() + text + _figure_html(self._draw_summary, 7.0, 3.4, c1) + dep


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


def _draw_matches(region: Region, matches: Sequence[PrototypeMatch], pseudo: Pseudonymiser) -> None:
    n = len(matches)
    if n == 0:
        return
    h = 1.0 / n
    for i, m in enumerate(matches):
        bottom = 1.0 - (i + 1) * h
        contrib = f", contribution {m.contribution:+.3f}" if m.contribution is not None else ""
        plots.segment_axes(region.add_axes(0.0, bottom + 0.08 * h, 0.48, 0.75 * h), m.record_segment,
                           m.fs, m.leads, f"this ({m.label}: similarity {m.similarity:.3f}{contrib})",
                           highlight=m.record_window)
        src = m.prototype_source
        parts = src.split(" ", 1)
        if parts and parts[0]:
            src = pseudo(parts[0]) + (" " + parts[1] if len(parts) > 1 else "")
        plots.segment_axes(region.add_axes(0.52, bottom + 0.08 * h, 0.48, 0.75 * h),
                           m.prototype_segment, m.fs, m.leads,
                           f"looks like that: {m.prototype}" + (f" (from {src})" if src else ""),
                           color="#7a1f1f")


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
        return ("Left: the window of this ECG most similar to each prototype (highlighted). Right: the "
                "prototype, a real segment of a training ECG (source pseudonymised).")

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        return [Heading(self.heading, level=self.level),
                FigureFlowable(lambda r: _draw_matches(r, self.matches, ctx.pseudonymise),
                               1.3 * max(len(self.matches), 1), self._caption(), ctx.next_figure())]

    def html(self, ctx: RenderContext) -> str:
        return self._heading_html(3) + _figure_html(lambda r: _draw_matches(r, self.matches, ctx.pseudonymise),
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
        Facts shown under the heading (``{"WCT probability": "0.87", "Rule": "positive"}``).
    matches : sequence of PrototypeMatch
    matches_note : str
        Shown above the prototype panels (e.g. which statements the prototype model knows).
    """

    def __init__(self, record_id: Any, signal: np.ndarray, fs: float,
                 leads: Sequence[str] | None = None, fiducials: pd.DataFrame | None = None,
                 marks: Sequence[Any] = (), explanation: Any = None, sentences: Sequence[str] = (),
                 summary: Mapping[str, Any] | None = None, matches: Sequence[PrototypeMatch] = (),
                 patient_id: Any = None, heading: str = "Patient", waterfall_title: str = "",
                 matches_note: str = "") -> None:
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

    def _title(self, pseudo: Pseudonymiser) -> str:
        who = f"ECG {pseudo(self.record_id)}"
        if self.patient_id is not None:
            who += f", patient {pseudo(self.patient_id)}"
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
        plots.shap_waterfall_axes(ax, self.explanation)
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
            "multi-lead delineation. Red brackets: the measurements behind the explanation, in the "
            "lead they were measured in (on the same beat when it falls in that lead's 2.5 s panel, "
            "otherwise on the corresponding beat shown there).",
            ctx.next_figure()))
        if self.sentences:
            out.append(Heading("Why the model decided this (grounded explanation)", level=2))
            out += [Paragraph("- " + s, size=9) for s in self.sentences]
        if self.explanation is not None:
            out.append(FigureFlowable(self._draw_waterfall, 2.8,
                                      "SHAP waterfall: from the average model output (base), each "
                                      "measured feature pushes this ECG's output up (red) or down (blue).",
                                      ctx.next_figure(), fig_width=9.0))
        if self.matches:
            out.append(Heading("This looks like that: prototypes behind the prediction", level=2))
            if self.matches_note:
                note = Paragraph(self.matches_note, size=8.5)
                note.keep_with_next = True  # heading, note and panels move together
                out.append(note)
            out.append(FigureFlowable(lambda r: _draw_matches(r, self.matches, pseudo),
                                      1.3 * len(self.matches),
                                      "Left: the window of this ECG most similar to each prototype "
                                      "(highlighted). Right: the prototype, a real segment of a "
                                      "training ECG (source pseudonymised).", ctx.next_figure()))
        out.append(PageBreak("portrait"))
        return out

    def html(self, ctx: RenderContext) -> str:
        from interp_ecg.report.ecg_plot import MM_PER_INCH, ecg_size_mm

        pseudo = ctx.pseudonymise
        w_mm, h_mm = ecg_size_mm()
        parts = [f"<h2>{html.escape(self._title(pseudo))}</h2>"]
        if self.summary:
            parts.append(f"<p>{html.escape(self._facts())}</p>")
        parts.append(_figure_html(self._draw_ecg, w_mm / MM_PER_INCH, h_mm / MM_PER_INCH))
        if self.sentences:
            parts.append("<ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in self.sentences) + "</ul>")
        if self.explanation is not None:
            parts.append(_figure_html(self._draw_waterfall, 8.0, 2.8))
        if self.matches:
            if self.matches_note:
                parts.append(f"<p>{html.escape(self.matches_note)}</p>")
            parts.append(_figure_html(lambda r: _draw_matches(r, self.matches, pseudo), 8.0,
                                      1.3 * len(self.matches)))
        return "".join(parts)


class PrototypeGalleryBlock(Block):
    """Prototype gallery: each prototype's source segment (a real training ECG window)."""

    def __init__(self, prototypes: Sequence[Mapping[str, Any]], heading: str = "Prototype gallery",
                 text: str = "", n_cols: int = 3, level: int = 1) -> None:
        """``prototypes``: dicts with ``name``, ``label``, ``segment`` (leads x samples), ``fs``,
        optional ``leads``, ``source`` (record id), ``window`` (str)."""
        self.prototypes = list(prototypes)
        self.heading = heading
        self.text = text
        self.n_cols = n_cols
        self.level = level

    def _rows(self) -> list[list[Mapping[str, Any]]]:
        k = self.n_cols
        return [self.prototypes[i:i + k] for i in range(0, len(self.prototypes), k)]

    def _draw_row(self, region: Region, row: Sequence[Mapping[str, Any]], pseudo: Pseudonymiser) -> None:
        w = 1.0 / self.n_cols
        for j, p in enumerate(row):
            src = f"{pseudo(p['source'])}" if p.get("source") is not None else ""
            title = f"{p['name']} [{p.get('label', '')}]\n{src} {p.get('window', '')}".strip()
            plots.segment_axes(region.add_axes(j * w + 0.01, 0.04, w - 0.02, 0.72), p["segment"],
                               p["fs"], p.get("leads"), title, color="#7a1f1f")

    def tables(self) -> dict[str, pd.DataFrame]:
        rows = [{k: v for k, v in p.items() if k not in {"segment", "leads"}} for p in self.prototypes]
        return {"prototypes": pd.DataFrame(rows)} if rows else {}

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        out: list[Flowable] = [Heading(self.heading, level=self.level)]
        if self.text:
            out.append(Paragraph(self.text))
        rows = self._rows()
        for i, row in enumerate(rows):
            cap = ("Prototypes after push: each is a real window of a training ECG (record "
                   "pseudonymised, window in seconds).") if i == len(rows) - 1 else ""
            out.append(FigureFlowable(lambda r, row=row: self._draw_row(r, row, ctx.pseudonymise),
                                      1.45, cap, ctx.next_figure() if cap else None))
        return out

    def html(self, ctx: RenderContext) -> str:
        text = f"<p>{html.escape(self.text)}</p>" if self.text else ""
        figs = "".join(_figure_html(lambda r, row=row: self._draw_row(r, row, ctx.pseudonymise), 7.0, 1.45)
                       for row in self._rows())
        return self._heading_html() + text + figs


class PhewasBlock(Block):
    """PheWAS: Manhattan plot and the table of top hits."""

    TOP_COLUMNS = ("exposure", "phecode", "description", "n_cases", "n_controls", "OR",
                   "or", "odds_ratio", "OR_low", "OR_high", "or_ci_low", "or_ci_high", "p", "q", "converged")

    def __init__(self, summary: pd.DataFrame, heading: str = "Phenome-wide association study",
                 text: str = "", top: int = 15, alpha: float = 0.05, level: int = 1) -> None:
        self.summary = summary
        self.heading = heading
        self.text = text
        self.top = top
        self.alpha = alpha
        self.level = level

    def top_hits(self) -> pd.DataFrame:
        s = self.summary.copy()
        s["p"] = pd.to_numeric(s["p"], errors="coerce")
        s = s.sort_values("p", kind="stable").head(self.top)
        cols = [c for c in self.TOP_COLUMNS if c in s.columns]
        out = s[cols].reset_index(drop=True)
        if "description" in out.columns:
            out["description"] = out["description"].astype(str).str.slice(0, 38)
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"phewas": self.summary}

    def _caption(self) -> str:
        n = len(self.summary)
        return (f"Manhattan plot of {n} exposure x phecode tests; dashed red: Bonferroni threshold "
                f"({self.alpha}/{n}); dotted orange: Benjamini-Hochberg q < {self.alpha}.")

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        out: list[Flowable] = [Heading(self.heading, level=self.level)]
        if self.text:
            intro = Paragraph(self.text)
            intro.keep_with_next = True  # the intro stays with the Manhattan plot
            out.append(intro)
        out.append(FigureFlowable(lambda r: plots.manhattan_axes(r.add_axes(0.08, 0.3, 0.9, 0.66),
                                                                 self.summary, self.alpha),
                                  3.0, self._caption(), ctx.next_figure()))
        top = format_frame(self.top_hits(), 3)
        for col in ("p", "q"):
            if col in top.columns:
                top[col] = [format_number(v, 3) if not isinstance(v, str) else v for v in self.top_hits()[col]]
        out.append(Table(top, f"Top {len(top)} associations by p-value (logistic regression "
                              "adjusted for covariates; OR with 95% CI; q: Benjamini-Hochberg).",
                         number=ctx.next_table()))
        return out

    def html(self, ctx: RenderContext) -> str:
        text = f"<p>{html.escape(self.text)}</p>" if self.text else ""
        fig = _figure_html(lambda r: plots.manhattan_axes(r.add_axes(0.08, 0.3, 0.9, 0.66),
                                                          self.summary, self.alpha), 7.0, 3.0, self._caption())
        return self._heading_html() + text + fig + _table_html(format_frame(self.top_hits(), 3), "Top associations")
