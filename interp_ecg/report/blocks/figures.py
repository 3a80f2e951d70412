"""Figure blocks: model metrics, ROC/PR/calibration curves, SHAP summaries, any figure."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.evaluate.metrics import format_interval
from interp_ecg.explain import plots as explain_plots
from interp_ecg.report import plots
from interp_ecg.report.blocks.base import Block, RenderContext, figure_html, format_frame, format_number, table_html
from interp_ecg.report.layout import FigureFlowable, Flowable, Heading, Paragraph, Region, Table

def format_metrics(metrics: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """Wide, readable metrics table: one row per model, cells ``estimate (low-high)``.

    Accepts the long output of :func:`interp_ecg.evaluate.metrics_table` (columns ``metric``,
    an estimate column ``estimate``/``value``, ``ci_low``/``ci_high`` and optionally ``model``)
    or a wide table whose index is the model name. Its ``n`` and ``n_positive`` columns, when
    present, become the columns ``n`` and ``positives``; an estimate without an interval
    reads ``"1.000 (no CI)"``. A ``not_estimable`` column (why a row's values are withheld, empty
    where they are not) becomes the column ``not estimable``.

    Examples
    --------
    >>> from interp_ecg.report import format_metrics
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
        if lo is None or hi is None or pd.isna(r[est]):
            return format_number(r[est], digits)
        # same decimals for the three, " to " between negative bounds; "(no CI)" when not
        # estimable, e.g. too few positives (the table's ci_reason)
        return format_interval(r[est], r[lo], r[hi], digits)

    m["_cell"] = m.apply(cell, axis=1)
    wide = m.pivot_table(index=model, columns="metric", values="_cell", aggfunc="first", sort=False)
    order_models = list(dict.fromkeys(m[model]))
    order_metrics = list(dict.fromkeys(m["metric"]))
    wide = wide.reindex(index=order_models, columns=order_metrics)
    wide.columns.name = None
    wide = wide.reset_index().rename(columns={model: "model"}).fillna("NA")
    counts = {c: new for c, new in (("n", "n"), ("n_positive", "positives")) if c in m.columns}
    if counts:  # the records every estimate rests on
        per = m.groupby(model, sort=False)[list(counts)].first().rename(columns=counts)
        wide = pd.concat([wide[["model"]], per.reindex(wide["model"]).reset_index(drop=True), wide.drop(columns="model")],
                         axis=1)
    if "not_estimable" in m.columns:  # why a row has no values (e.g. below a study's min_positives), in the row
        why = m["not_estimable"].fillna("").astype(str)
        if why.str.len().gt(0).any():
            per_model = why.groupby(m[model], sort=False).agg(lambda v: next((x for x in v if x), ""))
            wide["not estimable"] = per_model.reindex(wide["model"]).fillna("").to_numpy()
    return wide


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
        return self._heading_html() + table_html(self.display_frame(), self.caption) + note


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
        return self._heading_html() + figure_html(self._draw_region, self.width_in or 7.0,
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
        plots.plot_roc(self.y_true, self.scores, ax=region.add_axes(0.06, 0.36, 0.26, 0.6))
        plots.plot_pr(self.y_true, self.scores, ax=region.add_axes(0.39, 0.36, 0.26, 0.6))
        plots.plot_calibration(self.y_true, self.scores, ax=region.add_axes(0.72, 0.36, 0.26, 0.6))


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
        values, _, names, _ = explain_plots.explanation_parts(explanation)
        if isinstance(dependence, int):
            imp = np.nanmean(np.abs(np.atleast_2d(values)), axis=0)
            dependence = [names[i] for i in np.argsort(imp)[::-1][:dependence]]
        self.dependence = list(dependence)

    def tables(self) -> dict[str, pd.DataFrame]:
        values, _, names, _ = explain_plots.explanation_parts(self.explanation)
        imp = np.nanmean(np.abs(np.atleast_2d(values)), axis=0)
        t = pd.DataFrame({"feature": names, "mean_abs_shap": imp}).sort_values(
            "mean_abs_shap", ascending=False, kind="stable")
        return {"shap_importance": t.reset_index(drop=True)}

    def _draw_summary(self, region: Region) -> None:
        explain_plots.plot_bar(self.explanation, self.max_display, ax=region.add_axes(0.27, 0.15, 0.2, 0.82))
        explain_plots.plot_beeswarm(self.explanation, self.max_display, ax=region.add_axes(0.75, 0.15, 0.2, 0.82))

    def _draw_dependence(self, region: Region) -> None:
        k = max(len(self.dependence), 1)
        w = 1.0 / k
        for i, feat in enumerate(self.dependence):
            explain_plots.plot_dependence(self.explanation, feat,
                                          ax=region.add_axes(i * w + 0.08, 0.25, w - 0.13, 0.7))

    def _captions(self) -> tuple[str, str]:
        n = np.atleast_2d(explain_plots.explanation_parts(self.explanation)[0]).shape[0]
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
        dep = figure_html(self._draw_dependence, 7.0, 2.1, c2) if self.dependence else ""
        return self._heading_html() + text + figure_html(self._draw_summary, 7.0, 3.4, c1) + dep
