"""PheWAS plots as display objects (scikit-learn style): build with the summary table, call
``.plot(ax=None)``, get ``self`` back with ``ax_`` and ``figure_``. Nothing is shown."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ManhattanPlot", "VolcanoPlot", "PrototypeCategoryHeatmap"]


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 4))
    return ax


def _neglog(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return -np.log10(np.clip(p, 1e-300, 1.0))


def _fdr_threshold(summary: pd.DataFrame, alpha: float) -> float | None:
    sig = summary.loc[summary["q"] < alpha, "p"]
    return float(sig.max()) if len(sig) else None


class ManhattanPlot:
    """Manhattan plot: phecodes along x grouped and coloured by category, -log10 p up,
    triangles pointing up for positive and down for negative associations, Bonferroni and FDR
    lines, the top hits labelled.

    Parameters
    ----------
    summary : DataFrame
        From :func:`~interp_ecg.phenotype.phewas` (several exposures are plotted together;
        pick one with ``exposure=``).
    alpha : float
        Family-wise / false-discovery level of the lines.
    n_labels : int
        How many of the smallest p-values to label.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> s = pd.DataFrame({"exposure": "x", "phecode": ["A", "B", "C"], "description": ["a", "b", "c"],
    ...                   "category": ["k1", "k1", "k2"], "beta": [0.5, -0.1, 0.2],
    ...                   "p": [1e-6, 0.5, 0.01], "q": [3e-6, 0.5, 0.015]})
    >>> ManhattanPlot(s).plot().ax_.get_ylabel()
    '-log10(p)'
    """

    def __init__(self, summary: pd.DataFrame, *, alpha: float = 0.05, n_labels: int = 5,
                 exposure: str | None = None, title: str | None = None) -> None:
        self.summary = summary
        self.alpha = alpha
        self.n_labels = n_labels
        self.exposure = exposure
        self.title = title

    def plot(self, ax=None) -> "ManhattanPlot":
        import matplotlib.pyplot as plt

        ax = _axes(ax)
        s = self.summary
        if self.exposure is not None:
            s = s[s["exposure"] == self.exposure]
        s = s.copy()
        s["category"] = s["category"].astype(object).fillna("other").astype(str)
        s = s.sort_values(["category", "phecode"], kind="stable").reset_index(drop=True)
        cats = list(dict.fromkeys(s["category"]))
        cmap = plt.get_cmap("tab20")
        colours = {c: cmap(i % 20) for i, c in enumerate(cats)}
        # one x slot per phecode (several exposures share it)
        phe_x = {ph: i for i, ph in enumerate(dict.fromkeys(s["phecode"]))}
        x = s["phecode"].map(phe_x).to_numpy()
        y = _neglog(s["p"])
        up = s["beta"].to_numpy() >= 0
        col = [colours[c] for c in s["category"]]
        ax.scatter(x[up], y[up], c=[col[i] for i in np.flatnonzero(up)], marker="^", s=18)
        ax.scatter(x[~up], y[~up], c=[col[i] for i in np.flatnonzero(~up)], marker="v", s=18)
        n_tests = int(np.isfinite(s["p"]).sum())
        if n_tests:
            ax.axhline(-np.log10(self.alpha / n_tests), color="red", lw=0.8, ls="--",
                       label=f"Bonferroni {self.alpha}")
        thr = _fdr_threshold(s, self.alpha) if "q" in s else None
        if thr is not None:
            ax.axhline(-np.log10(thr), color="blue", lw=0.8, ls=":", label=f"FDR {self.alpha}")
        ticks = [np.mean(x[(s["category"] == c).to_numpy()]) for c in cats]
        ax.set_xticks(ticks)
        ax.set_xticklabels(cats, rotation=60, ha="right", fontsize=7)
        top = np.argsort(-y)[: self.n_labels]
        for i in top:
            if not np.isfinite(y[i]):
                continue
            desc = s.loc[i, "description"] if "description" in s else None
            label = str(desc) if isinstance(desc, str) else str(s.loc[i, "phecode"])
            if s["exposure"].nunique() > 1:
                label = f"{s.loc[i, 'exposure']}: {label}"
            ax.annotate(label[:40], (x[i], y[i]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        ax.set_ylabel("-log10(p)")
        ax.set_xlim(-1, max(len(phe_x), 1))
        if self.title:
            ax.set_title(self.title)
        if n_tests:
            ax.legend(fontsize=7, loc="upper right")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


class VolcanoPlot:
    """Volcano plot: log odds ratio (x) against -log10 p (y); FDR-significant points coloured.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> s = pd.DataFrame({"beta": [0.5, -0.1], "p": [1e-6, 0.5], "q": [2e-6, 0.5],
    ...                   "phecode": ["A", "B"], "exposure": "x"})
    >>> VolcanoPlot(s).plot().ax_.get_xlabel()
    'log odds ratio'
    """

    def __init__(self, summary: pd.DataFrame, *, alpha: float = 0.05, n_labels: int = 5) -> None:
        self.summary = summary
        self.alpha = alpha
        self.n_labels = n_labels

    def plot(self, ax=None) -> "VolcanoPlot":
        ax = _axes(ax)
        s = self.summary.reset_index(drop=True)
        y = _neglog(s["p"])
        sig = (s["q"] < self.alpha).to_numpy() if "q" in s else np.zeros(len(s), bool)
        ax.scatter(s["beta"][~sig], y[~sig], s=10, color="0.6", label="not significant")
        ax.scatter(s["beta"][sig], y[sig], s=14, color="C3", label=f"q < {self.alpha}")
        for i in np.argsort(-y)[: self.n_labels]:
            ax.annotate(f"{s.loc[i, 'exposure']}:{s.loc[i, 'phecode']}", (s.loc[i, "beta"], y[i]),
                        fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.axvline(0, color="k", lw=0.5)
        ax.set_xlabel("log odds ratio")
        ax.set_ylabel("-log10(p)")
        ax.legend(fontsize=7)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


class PrototypeCategoryHeatmap:
    """Exposure (prototype) x phecode-category heatmap of the strongest association.

    Each cell is the signed ``-log10 p`` (sign of beta) of the smallest p among the category's
    phecodes for that exposure.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> s = pd.DataFrame({"exposure": ["p1", "p1", "p2"], "category": ["a", "b", "a"],
    ...                   "beta": [1.0, -1.0, 0.5], "p": [1e-4, 1e-2, 0.5]})
    >>> h = PrototypeCategoryHeatmap(s).plot()
    >>> h.matrix_.loc["p1", "a"].round(1), h.matrix_.loc["p1", "b"].round(1)
    (np.float64(4.0), np.float64(-2.0))
    """

    def __init__(self, summary: pd.DataFrame, *, cmap: str = "RdBu_r") -> None:
        self.summary = summary
        self.cmap = cmap

    def plot(self, ax=None) -> "PrototypeCategoryHeatmap":
        s = self.summary.dropna(subset=["p", "beta"]).copy()  # failed fits have no p
        s["category"] = s["category"].astype(object).fillna("other").astype(str)
        s["signed"] = np.sign(s["beta"]) * _neglog(s["p"])
        best = s.loc[s.groupby(["exposure", "category"])["p"].idxmin()]
        m = best.pivot(index="exposure", columns="category", values="signed")
        self.matrix_ = m
        ax = _axes(ax)
        lim = float(np.nanmax(np.abs(m.to_numpy()))) if m.size else 1.0
        im = ax.imshow(m.to_numpy(dtype=float), aspect="auto", cmap=self.cmap, vmin=-lim,
                       vmax=lim)
        ax.set_xticks(range(m.shape[1]))
        ax.set_xticklabels(m.columns, rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(m.shape[0]))
        ax.set_yticklabels(m.index, fontsize=7)
        ax.figure.colorbar(im, ax=ax, label="signed -log10(p) of strongest phecode")
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
