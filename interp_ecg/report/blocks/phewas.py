"""The PheWAS block: Manhattan plot and the table of top associations."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from interp_ecg.phenotype.analyses import significant_associations
from interp_ecg.phenotype.phewas import describe_method
from interp_ecg.phenotype.plots import plot_manhattan
from interp_ecg.report.blocks.base import (Block, RenderContext, figure_html, format_frame, significant_digits,
                                          table_html)
from interp_ecg.report.layout import FigureFlowable, Flowable, Heading, Paragraph, Table



#: columns of the top-hits table printed with 3 significant digits (odds ratios) and 2 (p, q)
_OR_COLUMNS = ("OR", "or", "odds_ratio", "OR_low", "OR_high", "or_ci_low", "or_ci_high")


__all__ = ["PhewasBlock", "significant_associations"]


class PhewasBlock(Block):
    """PheWAS: Manhattan plot and the table of top hits."""

    TOP_COLUMNS = ("exposure", "phecode", "description", "n_cases", "n_controls", "OR",
                   "or", "odds_ratio", "OR_low", "OR_high", "or_ci_low", "or_ci_high", "p", "q", "converged", "separation")

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
        if "separation" in out.columns:
            # a separated fit is flagged beside its estimate (Firth's finite estimate on a few cases)
            firth = s["method"].astype(str).eq("firth").to_numpy() if "method" in s.columns else np.zeros(len(s), bool)
            out["separation"] = ["yes (Firth estimate)" if sep and f else ("yes" if sep else "no")
                                 for sep, f in zip(out["separation"].fillna(False).astype(bool), firth)]
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"phewas": self.summary}

    def n_tests(self) -> int:
        """Rows with a p-value: the tests of the multiple-testing correction and of the plot
        (pairs not estimated - constant exposure, separation, too few cases ... - are not tests)."""
        return int(pd.to_numeric(self.summary["p"], errors="coerce").notna().sum())

    def _caption(self) -> str:
        n = self.n_tests()
        untested = len(self.summary) - n
        more = f" ({untested} pairs not estimated, see the table's reason column)" if untested else ""
        q = pd.to_numeric(self.summary["q"], errors="coerce") if "q" in self.summary else pd.Series(dtype=float)
        fdr = (f"dotted orange: Benjamini-Hochberg q < {self.alpha}" if (q < self.alpha).any()
               else f"no test reached Benjamini-Hochberg q < {self.alpha} (no FDR line)")
        return (f"Manhattan plot of {n} exposure x phecode tests{more}; dashed red: Bonferroni threshold "
                f"({self.alpha}/{max(n, 1)}); {fdr}.")

    def flowables(self, ctx: RenderContext) -> list[Flowable]:
        out: list[Flowable] = [Heading(self.heading, level=self.level)]
        if self.text:
            intro = Paragraph(self.text)
            intro.keep_with_next = True  # the intro stays with the Manhattan plot
            out.append(intro)
        out.append(FigureFlowable(lambda r: plot_manhattan(self.summary, self.alpha, direction=False,
                                                           ax=r.add_axes(0.08, 0.3, 0.9, 0.66)),
                                  3.0, self._caption(), ctx.next_figure()))
        top = self._top_text()
        out.append(Table(top, self._top_caption(top), number=ctx.next_table()))
        return out

    def _top_text(self) -> pd.DataFrame:
        """The top hits as printed: odds ratios with 3 significant digits, p and q with 2 (as the
        prototype glossary prints q), the separation flag in words."""
        hits = self.top_hits()
        top = format_frame(hits, 3)
        for col in _OR_COLUMNS:
            if col in top.columns:
                top[col] = [significant_digits(v, 3) for v in hits[col]]
        for col in ("p", "q"):
            if col in top.columns:
                top[col] = [significant_digits(v, 2) if not isinstance(v, str) else v for v in hits[col]]
        return top

    def _top_caption(self, top: pd.DataFrame) -> str:
        sep = ""
        if "separation" in top.columns:
            sep = ("; separation: the outcome is (quasi-)completely separated by the design, so the unpenalised "
                   "odds ratio is infinite - such a fit is not counted as a finding")
        return (f"Top {len(top)} associations by p-value ({describe_method(self.summary)}; "
                f"q: Benjamini-Hochberg; odds ratios to 3 significant digits{sep}).")

    def html(self, ctx: RenderContext) -> str:
        text = f"<p>{html.escape(self.text)}</p>" if self.text else ""
        fig = figure_html(lambda r: plot_manhattan(self.summary, self.alpha, direction=False,
                                                    ax=r.add_axes(0.08, 0.3, 0.9, 0.66)), 7.0, 3.0, self._caption())
        top = self._top_text()
        return self._heading_html() + text + fig + table_html(top, self._top_caption(top))
