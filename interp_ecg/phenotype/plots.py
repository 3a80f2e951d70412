"""PheWAS plots (their one owner): Manhattan, volcano, and the exposure x category heatmap.

One convention, shared with every ``plot_*`` function of the package: the summary table first
(from :func:`~interp_ecg.phenotype.phewas`), then options, then ``ax=None`` (new axes on a new
pyplot figure when not given); the function draws and returns the Axes; nothing is shown. The
report (:mod:`interp_ecg.report`) draws its Manhattan plot with :func:`plot_manhattan`.

Examples
--------
>>> import pandas as pd
>>> from matplotlib.figure import Figure
>>> from interp_ecg.phenotype import plot_volcano
>>> s = pd.DataFrame({"beta": [0.5, -0.1], "p": [1e-6, 0.5], "q": [2e-6, 0.5],
...                   "phecode": ["A", "B"], "exposure": "x"})
>>> plot_volcano(s, ax=Figure().add_subplot()).get_xlabel()
'log odds ratio'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["category_matrix", "plot_category_heatmap", "plot_manhattan", "plot_volcano"]

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]


def _axes(ax, size: tuple[float, float] = (10, 4)):
    """The given axes, or new ones on a new pyplot figure of ``size`` inches."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def _neglog(p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return -np.log10(np.clip(p, 1e-300, 1.0))


def _categories(s: pd.DataFrame) -> pd.Series:
    """Phecode category as text; a missing one (NaN or no column) reads "other"."""
    if "category" not in s.columns:
        return pd.Series("all", index=s.index)
    return s["category"].astype(object).fillna("other").astype(str)


def plot_manhattan(summary: pd.DataFrame, alpha: float = 0.05, n_labels: int = 6, *,
                   exposure: str | None = None, direction: bool = True, title: str | None = None,
                   bonferroni: str = "summary", ax=None):
    """Manhattan plot of a PheWAS summary: -log10 p of every test, grouped and coloured by category.

    One x slot per test (exposure x phecode), ordered by category and phecode; the Bonferroni
    line (``alpha`` / number of tests with a p-value), the Benjamini-Hochberg line (largest p
    with ``q < alpha``; not drawn when no test reaches it) and the ``n_labels`` strongest hits
    labelled by description (``exposure: description`` when several exposures are drawn).

    Parameters
    ----------
    summary : DataFrame
        Columns ``phecode`` and ``p``; optionally ``category``, ``description``, ``q``,
        ``beta``, ``exposure`` and ``separation`` (as returned by :func:`~interp_ecg.phenotype.phewas`).
        Rows without a p-value (pairs not estimated) are left out; a separated fit is circled
        and its label says so.
    alpha : float
        Family-wise / false-discovery level of the lines.
    n_labels : int
        How many of the strongest distinct hits to label.
    exposure : str, optional
        Plot this exposure's tests only. The lines still use the summary's family of tests
        (all exposures): a point above them is significant in the summary's ``bonferroni`` /
        ``q`` columns too.
    bonferroni : {"summary", "exposure"}, default "summary"
        Number of tests of the Bonferroni line: every test of ``summary`` with a p-value (its
        ``bonferroni`` column's family, ``PheWAS.n_tests_``), or only the plotted exposure's
        tests (a per-exposure family, said in the legend).
    direction : bool
        Triangles pointing up for positive (``beta >= 0``) and down for negative
        associations, when the summary has ``beta``; dots otherwise.
    title : str, optional
    ax : matplotlib Axes, optional
        Drawn into; new axes on a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.phenotype import plot_manhattan
    >>> from matplotlib.figure import Figure
    >>> s = pd.DataFrame({"exposure": "x", "phecode": ["A", "B", "C"], "description": ["a", "b", "c"],
    ...                   "category": ["k1", "k1", "k2"], "beta": [0.5, -0.1, 0.2],
    ...                   "p": [1e-6, 0.5, 0.01], "q": [3e-6, 0.5, 0.015]})
    >>> ax = plot_manhattan(s, n_labels=1, ax=Figure().add_subplot())
    >>> ax.get_ylabel(), [t.get_text() for t in ax.texts]
    ('-log10(p)', ['a'])
    """
    if bonferroni not in ("summary", "exposure"):
        raise ValueError(f"bonferroni must be 'summary' or 'exposure', not {bonferroni!r}")
    ax = _axes(ax)
    n_family = int(pd.to_numeric(summary["p"], errors="coerce").notna().sum())
    df = summary if exposure is None else summary[summary["exposure"] == exposure]
    df = df.copy()
    df = df[pd.to_numeric(df["p"], errors="coerce").notna()]
    df["p"] = pd.to_numeric(df["p"]).clip(lower=1e-300)
    df["_cat"] = _categories(df)
    df = df.sort_values(["_cat", "phecode"], kind="stable").reset_index(drop=True)
    cats = list(dict.fromkeys(df["_cat"]))
    x = np.arange(len(df))
    y = -np.log10(df["p"].to_numpy(float))
    beta = pd.to_numeric(df["beta"], errors="coerce").to_numpy(float) if direction and "beta" in df else None
    for k, c in enumerate(cats):
        m = (df["_cat"] == c).to_numpy()
        if beta is None:
            ax.scatter(x[m], y[m], s=6, color=PALETTE[k % 10], lw=0, label=c)
            continue
        up, down = m & (beta >= 0), m & (beta < 0)
        ax.scatter(x[up], y[up], s=10, marker="^", color=PALETTE[k % 10], lw=0, label=c)
        ax.scatter(x[down], y[down], s=10, marker="v", color=PALETTE[k % 10], lw=0)
    separated = (df["separation"].fillna(False).astype(bool).to_numpy() if "separation" in df.columns
                 else np.zeros(len(df), dtype=bool))
    if separated.any():  # flagged where it is drawn: its estimate rests on a separated outcome
        ax.scatter(x[separated], y[separated], s=26, marker="o", facecolors="none", edgecolors="k", lw=0.5,
                   label="separated fit (not a finding)")
    per_exposure = exposure is not None and bonferroni == "exposure"
    n_tests = max(len(df) if per_exposure else n_family, 1)
    which = ", per exposure" if per_exposure else (", all exposures" if exposure is not None else "")
    ax.axhline(-np.log10(alpha / n_tests), color="#d62728", lw=0.7, ls="--",
               label=f"Bonferroni ({alpha}/{n_tests}{which})")
    if "q" in df.columns:
        q = pd.to_numeric(df["q"], errors="coerce")
        sig = df.loc[q < alpha, "p"]
        if len(sig):
            ax.axhline(-np.log10(sig.max()), color="#ff7f0e", lw=0.7, ls=":", label=f"FDR q<{alpha}")
    seen: set[str] = set()
    several = "exposure" in df.columns and df["exposure"].nunique() > 1  # then a label names its exposure
    # label boxes in points, estimated from the font size (no renderer needed: the report's canvases
    # may not measure text): each label is raised until its box clears every label drawn before it
    ax.set_xlim(-1, len(df))  # the final transform, before positions are read
    ax.set_ylim(*ax.get_ylim())
    to_points = 72.0 / ax.figure.dpi
    boxes: list[tuple[float, float, float, float]] = []
    for i in np.argsort(y)[::-1]:
        if len(seen) >= n_labels:
            break
        label = str(df.loc[i, "description"]) if "description" in df.columns else str(df.loc[i, "phecode"])
        if label in ("nan", "<NA>", "None"):
            continue
        label = f"{df.loc[i, 'exposure']}: {label[:28]}" if several else label[:28]
        if separated[i]:
            label += " (separated)"
        if label in seen:
            continue
        seen.add(label)
        px, py = (v * to_points for v in ax.transData.transform((x[i], y[i])))
        width, height = 5.5 * 0.55 * len(label), 5.5 * 1.25  # a generous box of a 5.5-pt label
        row = 0
        while row < 4 * n_labels:
            x0, y0 = px + 3, py + 3 + 7 * row
            if not any(x0 < b[2] and b[0] < x0 + width and y0 < b[3] and b[1] < y0 + height for b in boxes):
                break
            row += 1
        boxes.append((x0, y0, x0 + width, y0 + height))
        ax.annotate(label, (x[i], y[i]), fontsize=5.5, xytext=(3, 3 + 7 * row), textcoords="offset points",
                    arrowprops={"arrowstyle": "-", "lw": 0.3, "color": "0.5"} if row else None)
    centers = [x[(df["_cat"] == c).to_numpy()].mean() for c in cats]
    ax.set_xticks(centers, [c[:14] for c in cats], rotation=60, ha="right", fontsize=5.5)
    ax.set_ylabel("-log10(p)")
    if title:
        ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper right", fontsize=5.5, frameon=False, ncol=2, markerscale=1.5)
    return ax


def plot_volcano(summary: pd.DataFrame, alpha: float = 0.05, n_labels: int = 5, ax=None):
    """Volcano plot: log odds ratio (x) against -log10 p (y); FDR-significant points coloured.

    The x label names the odds-ratio scale (``or_scale`` of the summary: per SD or per unit)
    when the summary has one.

    Parameters
    ----------
    summary : DataFrame
        Columns ``beta``, ``p``, ``exposure``, ``phecode`` and optionally ``q`` and
        ``separation`` (separated fits are circled, never coloured as significant).
    alpha : float
        Significance level on ``q`` (Benjamini-Hochberg).
    n_labels : int
        How many of the smallest p-values to label ``exposure:phecode``.
    ax : matplotlib Axes, optional
        Drawn into; new axes on a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    s = summary.reset_index(drop=True)
    y = _neglog(s["p"])
    sig = (s["q"] < alpha).to_numpy() if "q" in s else np.zeros(len(s), bool)
    sep = s["separation"].fillna(False).astype(bool).to_numpy() if "separation" in s else np.zeros(len(s), bool)
    ax.scatter(s["beta"][~sig], y[~sig], s=10, color="0.6", label="not significant")
    ax.scatter(s["beta"][sig & ~sep], y[sig & ~sep], s=14, color="C3", label=f"q < {alpha}")
    if sep.any():  # a separated fit's estimate rests on a separated outcome: drawn apart, not a finding
        ax.scatter(s["beta"][sep], y[sep], s=20, facecolors="none", edgecolors="k", lw=0.6,
                   label="separated fit (not a finding)")
    for i in np.argsort(-y)[:n_labels]:
        ax.annotate(f"{s.loc[i, 'exposure']}:{s.loc[i, 'phecode']}", (s.loc[i, "beta"], y[i]),
                    fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.axvline(0, color="k", lw=0.5)
    scales = list(pd.unique(s["or_scale"].dropna())) if "or_scale" in s else []
    ax.set_xlabel("log odds ratio" + (f" ({scales[0]})" if len(scales) == 1 else ""))
    ax.set_ylabel("-log10(p)")
    ax.legend(fontsize=7)
    return ax


def category_matrix(summary: pd.DataFrame) -> pd.DataFrame:
    """Exposure x phecode-category matrix of the strongest association.

    Each cell is the signed ``-log10 p`` (sign of beta) of the smallest p among the category's
    phecodes for that exposure; pairs without a p-value (not estimated) are left out.

    Parameters
    ----------
    summary : DataFrame
        Columns ``exposure``, ``category``, ``beta`` and ``p``.

    Returns
    -------
    DataFrame
        Index: exposures; columns: categories (a missing category reads "other"); NaN where an
        exposure has no estimated test in a category.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.phenotype import category_matrix
    >>> s = pd.DataFrame({"exposure": ["p1", "p1", "p2"], "category": ["a", "b", "a"],
    ...                   "beta": [1.0, -1.0, 0.5], "p": [1e-4, 1e-2, 0.5]})
    >>> m = category_matrix(s)
    >>> float(m.loc["p1", "a"].round(1)), float(m.loc["p1", "b"].round(1))
    (4.0, -2.0)
    """
    s = summary.dropna(subset=["p", "beta"]).copy()  # failed fits have no p
    s["category"] = s["category"].astype(object).fillna("other").astype(str)
    s["signed"] = np.sign(s["beta"]) * _neglog(s["p"])
    best = s.loc[s.groupby(["exposure", "category"])["p"].idxmin()]
    return best.pivot(index="exposure", columns="category", values="signed")


def plot_category_heatmap(summary: pd.DataFrame, cmap: str = "RdBu_r", ax=None):
    """Heatmap of :func:`category_matrix`: exposures (rows) x phecode categories (columns).

    Parameters
    ----------
    summary : DataFrame
        Columns ``exposure``, ``category``, ``beta`` and ``p``.
    cmap : str
        Diverging matplotlib colormap, symmetric around 0.
    ax : matplotlib Axes, optional
        Drawn into; new axes on a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
    """
    m = category_matrix(summary)
    ax = _axes(ax)
    lim = float(np.nanmax(np.abs(m.to_numpy()))) if m.size else 1.0
    im = ax.imshow(m.to_numpy(dtype=float), aspect="auto", cmap=cmap, vmin=-lim, vmax=lim)
    ax.set_xticks(range(m.shape[1]))
    ax.set_xticklabels(m.columns, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(m.shape[0]))
    ax.set_yticklabels(m.index, fontsize=7)
    ax.figure.colorbar(im, ax=ax, label="signed -log10(p) of strongest phecode")
    return ax
