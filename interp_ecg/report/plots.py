"""Figures of the package: SHAP bar/beeswarm/dependence/waterfall, ROC/PR/calibration
curves (the package's one owner of these curves), PheWAS Manhattan, prototype segment panels.

One convention: every ``plot_*`` function takes the data first and ``ax=None`` (new axes on a
new figure when not given), draws, and returns the Axes; nothing calls ``plt.show()``. SHAP
inputs are ``shap.Explanation`` objects or anything with ``values``, ``base_values``, ``data``
and ``feature_names``. The earlier ``*_axes(ax, ...)`` names (axes first) remain as aliases.

Examples
--------
>>> import numpy as np
>>> from matplotlib.figure import Figure
>>> from interp_ecg.report.plots import plot_roc
>>> ax = plot_roc(np.array([0, 0, 1, 1]), {"model": np.array([0.1, 0.4, 0.35, 0.8])},
...               ax=Figure().add_subplot())
>>> ax.get_xlabel(), ax.get_legend().get_texts()[0].get_text()
('False positive rate', 'model (AUC 0.750)')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

POS = "#d62728"
NEG = "#1f77b4"
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]


def explanation_parts(explanation: Any) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray | None]:
    """SHAP values, base values, feature names and feature values of an explanation.

    Works on a ``shap.Explanation`` or anything with ``values`` (and optionally ``base_values``,
    ``data``, ``feature_names``); a multi-output explanation keeps its last output.
    """
    values = np.asarray(explanation.values, dtype=float)
    data = getattr(explanation, "data", None)
    data = None if data is None else np.asarray(data, dtype=float)
    names = getattr(explanation, "feature_names", None)
    if names is None:
        names = [f"f{i}" for i in range(values.shape[-1])]
    base = np.asarray(getattr(explanation, "base_values", 0.0), dtype=float)
    if values.ndim == 3:  # (n, features, outputs): keep the positive class / last output
        values = values[..., -1]
        base = base[..., -1] if base.ndim >= 2 else base
    return values, base, list(names), data


_expl_parts = explanation_parts  # earlier name


def _axes(ax, size: tuple[float, float]):
    """The given axes, or new ones on a new pyplot figure of ``size`` inches."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def plot_shap_bar(explanation: Any, max_display: int = 12, ax=None):
    """Mean |SHAP| per feature, largest on top."""
    ax = _axes(ax, (5, 4))
    values, _, names, _ = explanation_parts(explanation)
    values = np.atleast_2d(values)
    imp = np.nanmean(np.abs(values), axis=0)
    order = np.argsort(imp)[::-1][:max_display][::-1]
    ax.barh(np.arange(order.size), imp[order], color=POS, height=0.7)
    ax.set_yticks(np.arange(order.size), [names[i] for i in order])
    ax.set_xlabel("mean |SHAP value| (impact on model output)")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_shap_beeswarm(explanation: Any, max_display: int = 12, random_state: int = 0, ax=None):
    """One dot per record and feature: SHAP value (x), feature value (colour, low blue to high red)."""
    ax = _axes(ax, (6, 4))
    from matplotlib import colors
    from matplotlib.patches import Rectangle

    values, _, names, data = explanation_parts(explanation)
    values = np.atleast_2d(values)
    imp = np.nanmean(np.abs(values), axis=0)
    order = np.argsort(imp)[::-1][:max_display][::-1]
    rng = np.random.default_rng(random_state)
    cmap = colors.LinearSegmentedColormap.from_list("shap", [NEG, "#9b59b6", POS])
    for row, j in enumerate(order):
        v = values[:, j]
        if data is not None:
            d = data[:, j]
            finite = np.isfinite(d)
            lo, hi = (np.nanpercentile(d, 5), np.nanpercentile(d, 95)) if finite.any() else (0, 1)
            c = np.clip((d - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
            c = np.where(finite, c, 0.5)
        else:
            c = np.full(v.shape, 0.5)
        # jitter by local density so crowded values spread out
        jitter = rng.uniform(-0.3, 0.3, size=v.size)
        ax.scatter(v, row + jitter, c=cmap(c), s=4, lw=0, rasterized=False)
    ax.axvline(0, color="#999999", lw=0.6)
    ax.set_yticks(np.arange(order.size), [names[i] for i in order])
    ax.set_xlabel("SHAP value (impact on model output)")
    ax.spines[["top", "right"]].set_visible(False)
    # vector colour key (a colorbar would be embedded as a raster image)
    key = ax.inset_axes([1.02, 0.25, 0.025, 0.5])
    for k in range(24):
        key.add_patch(Rectangle((0, k / 24), 1, 1 / 24, color=cmap(k / 23), lw=0))
    key.set_xlim(0, 1)
    key.set_ylim(0, 1)
    key.set_xticks([])
    key.set_yticks([0, 1], ["low", "high"], fontsize=6)
    key.yaxis.tick_right()
    key.set_ylabel("feature value", fontsize=6)
    key.yaxis.set_label_position("right")
    return ax


def plot_shap_dependence(explanation: Any, feature: str | int, ax=None):
    """Feature value (x) against its SHAP value (y), one dot per record."""
    ax = _axes(ax, (4, 3))
    values, _, names, data = explanation_parts(explanation)
    j = names.index(feature) if isinstance(feature, str) else int(feature)
    x = data[:, j] if data is not None else np.arange(values.shape[0])
    ax.scatter(x, values[:, j], s=5, color=POS, lw=0)
    ax.axhline(0, color="#999999", lw=0.6)
    ax.set_xlabel(names[j])
    ax.set_ylabel(f"SHAP value for\n{names[j]}")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _value_text(value: float, fmt: str) -> str:
    """A measured value as a reader writes it: 1038, not 1.04e+03 (``fmt`` below 1000)."""
    return f"{value:.0f}" if 1000 <= abs(value) < 1e6 else fmt.format(value)


def plot_shap_waterfall(explanation_row: Any, max_display: int = 10,
                        value_fmt: str = "{:.3g}", ax=None):
    """Waterfall of one prediction: from the base value, each feature's push up or down."""
    ax = _axes(ax, (6, 4))
    values, base, names, data = explanation_parts(explanation_row)
    values = np.ravel(values)
    base = float(np.ravel(base)[0]) if np.size(base) else 0.0
    data = None if data is None else np.ravel(data)
    order = np.argsort(np.abs(values))[::-1]
    top = list(order[:max_display])
    rest = order[max_display:]
    labels, contrib = [], []
    for j in top:
        val = "" if data is None else ("not measured" if not np.isfinite(data[j]) else _value_text(data[j], value_fmt))
        labels.append(f"{names[j]} = {val}" if val else names[j])
        contrib.append(values[j])
    if rest.size:
        labels.append(f"{rest.size} other features")
        contrib.append(float(values[rest].sum()))
    labels, contrib = labels[::-1], contrib[::-1]
    start = base + np.cumsum([0.0, *contrib[:-1]])
    # cumulative from the bottom (smallest contribution first) up to f(x)
    for i, (s, c) in enumerate(zip(start, contrib)):
        ax.barh(i, c, left=s, color=POS if c > 0 else NEG, height=0.65)
        # the label sits right of the bar's right end for both signs, so it never runs into the
        # feature names on the left
        ax.text(max(s, s + c) + 0.01 * (abs(sum(contrib)) + 1e-9), i,
                f"{c:+.3f}", va="center", ha="left", fontsize=6)
    ax.axvline(base, color="#999999", lw=0.6, ls="--")
    fx = base + float(np.sum(contrib))
    ax.axvline(fx, color="black", lw=0.6)
    ax.margins(x=0.18)
    ax.set_yticks(np.arange(len(labels)), labels)
    ax.set_xlabel(f"model output: base {base:.3f} -> f(x) {fx:.3f}")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _legend_below(ax) -> None:
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False, fontsize=6,
              handlelength=1.5)


def plot_roc(y_true: np.ndarray, scores: Mapping[str, np.ndarray], ax=None):
    """ROC curves of several scores for one binary label, with AUCs in the legend.

    Parameters
    ----------
    y_true : array-like of shape (n_records,)
        Binary label (0/1).
    scores : mapping of str to array-like of shape (n_records,)
        One score per model or rule, by the name shown in the legend.
    ax : matplotlib Axes, optional
        Drawn into; new axes on a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, (4, 4))
    from sklearn.metrics import roc_auc_score, roc_curve

    y_true = np.asarray(y_true).astype(int)
    for k, (name, s) in enumerate(scores.items()):
        s = np.asarray(s, dtype=float)
        fpr, tpr, _ = roc_curve(y_true, s)
        auc = roc_auc_score(y_true, s)
        ax.plot(fpr, tpr, color=PALETTE[k % 10], lw=1.1, label=f"{name} (AUC {auc:.3f})",
                drawstyle="steps-post")
    ax.plot([0, 1], [0, 1], color="#aaaaaa", lw=0.6, ls="--")
    ax.set_xlabel("False positive rate")
    ax.set_ylabel("True positive rate")
    ax.set_title("ROC")
    _legend_below(ax)
    ax.set_aspect("equal")
    return ax


def plot_pr(y_true: np.ndarray, scores: Mapping[str, np.ndarray], ax=None):
    """Precision-recall curves with average precision in the legend (prevalence dashed).

    Parameters
    ----------
    y_true : array-like of shape (n_records,)
        Binary label (0/1).
    scores : mapping of str to array-like of shape (n_records,)
        One score per model or rule, by the name shown in the legend.
    ax : matplotlib Axes, optional
        Drawn into; new axes on a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, (4, 4))
    from sklearn.metrics import average_precision_score, precision_recall_curve

    y_true = np.asarray(y_true).astype(int)
    for k, (name, s) in enumerate(scores.items()):
        s = np.asarray(s, dtype=float)
        prec, rec, _ = precision_recall_curve(y_true, s)
        ap = average_precision_score(y_true, s)
        ax.plot(rec, prec, color=PALETTE[k % 10], lw=1.1, label=f"{name} (AP {ap:.3f})",
                drawstyle="steps-post")
    ax.axhline(y_true.mean(), color="#aaaaaa", lw=0.6, ls="--")
    ax.set_xlabel("Recall")
    ax.set_ylabel("Precision")
    ax.set_title("Precision-recall")
    ax.set_ylim(0, 1.02)
    _legend_below(ax)
    ax.set_aspect("equal")
    return ax


def plot_calibration(y_true: np.ndarray, scores: Mapping[str, np.ndarray], n_bins: int = 8, ax=None):
    """Reliability diagram (quantile bins) of probability scores; a hard rule shows one point.

    Parameters
    ----------
    y_true : array-like of shape (n_records,)
        Binary label (0/1).
    scores : mapping of str to array-like of shape (n_records,)
        One score per model or rule, by the name shown in the legend.
    n_bins : int
        Number of quantile bins.
    ax : matplotlib Axes, optional
        Drawn into; new axes on a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, (4, 4))
    from sklearn.calibration import calibration_curve

    y_true = np.asarray(y_true).astype(int)
    for k, (name, s) in enumerate(scores.items()):
        s = np.clip(np.asarray(s, dtype=float), 0, 1)
        if np.unique(s).size < 3:  # a hard rule: no curve, just its one point
            pos = s > 0.5
            if pos.any():
                ax.plot([0.97], [y_true[pos].mean()], "s", color=PALETTE[k % 10], label=f"{name} (positives)")
            continue
        frac, mean = calibration_curve(y_true, s, n_bins=n_bins, strategy="quantile")
        ax.plot(mean, frac, "o-", ms=2.5, color=PALETTE[k % 10], lw=1.0, label=name)
    ax.plot([0, 1], [0, 1], color="#aaaaaa", lw=0.6, ls="--")
    ax.set_xlabel("Predicted probability")
    ax.set_ylabel("Observed fraction")
    ax.set_title("Calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    _legend_below(ax)
    ax.set_aspect("equal")
    return ax


def plot_manhattan(summary: pd.DataFrame, alpha: float = 0.05, n_labels: int = 6, ax=None):
    """Manhattan plot of a PheWAS summary: -log10 p by phecode, coloured by category.

    Uses columns ``phecode``, ``p`` and optionally ``category``, ``description``, ``q``,
    ``exposure``. Draws the Bonferroni line and the FDR (BH q < alpha) threshold line.
    """
    ax = _axes(ax, (10, 4))
    df = summary.copy()
    df = df[pd.to_numeric(df["p"], errors="coerce").notna()]
    df["p"] = pd.to_numeric(df["p"]).clip(lower=1e-300)
    cat = df["category"].astype(str) if "category" in df.columns else pd.Series("all", index=df.index)
    df["_cat"] = cat.fillna("other")
    df = df.sort_values(["_cat", "phecode"], kind="stable").reset_index(drop=True)
    cats = list(dict.fromkeys(df["_cat"]))
    x = np.arange(len(df))
    y = -np.log10(df["p"].to_numpy(float))
    for k, c in enumerate(cats):
        m = (df["_cat"] == c).to_numpy()
        ax.scatter(x[m], y[m], s=6, color=PALETTE[k % 10], lw=0, label=c)
    n_tests = max(len(df), 1)
    ax.axhline(-np.log10(alpha / n_tests), color="#d62728", lw=0.7, ls="--",
               label=f"Bonferroni ({alpha}/{n_tests})")
    if "q" in df.columns:
        q = pd.to_numeric(df["q"], errors="coerce")
        sig = df.loc[q < alpha, "p"]
        if len(sig):
            ax.axhline(-np.log10(sig.max()), color="#ff7f0e", lw=0.7, ls=":", label=f"FDR q<{alpha}")
    seen: set[str] = set()
    for i in np.argsort(y)[::-1]:
        if len(seen) >= n_labels:
            break
        label = str(df.loc[i, "description"]) if "description" in df.columns else str(df.loc[i, "phecode"])
        if label in seen or label in ("nan", "<NA>", "None"):
            continue
        seen.add(label)
        ax.annotate(label[:28], (x[i], y[i]), fontsize=5.5, xytext=(3, 3 + 6 * (len(seen) % 2)),
                    textcoords="offset points")
    centers = [x[(df["_cat"] == c).to_numpy()].mean() for c in cats]
    ax.set_xticks(centers, [c[:14] for c in cats], rotation=60, ha="right", fontsize=5.5)
    ax.set_ylabel("-log10(p)")
    ax.set_xlim(-1, len(df))
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper right", fontsize=5.5, frameon=False, ncol=2, markerscale=1.5)
    return ax


def plot_segment(segment: np.ndarray, fs: float, leads: Sequence[str] | None = None,
                 title: str = "", color: str = "black", highlight: tuple[float, float] | None = None,
                 ax=None):
    """Draw a short multi-lead segment (leads stacked) on light grid: prototype panels."""
    ax = _axes(ax, (4, 3))
    seg = np.atleast_2d(np.asarray(segment, dtype=float))
    t = np.arange(seg.shape[1]) / fs
    spacing = max(1.5, float(np.nanmax(np.abs(seg))) * 1.6) if np.isfinite(seg).any() else 1.5
    for i, lead_sig in enumerate(seg):
        off = -i * spacing
        ax.plot(t, lead_sig - np.nanmedian(lead_sig) + off, color=color, lw=0.6)
        if leads is not None and i < len(leads):
            ax.text(t[0], off + 0.35 * spacing, str(leads[i]), fontsize=5.5, va="bottom")
    if highlight is not None:
        ax.axvspan(highlight[0], highlight[1], color="#ffcc00", alpha=0.25, lw=0)
    ax.set_title(title, fontsize=7)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#fff7f7")
    for s in ax.spines.values():
        s.set_color("#ee9a9a")
    return ax


# Earlier names, axes first (``roc_axes(ax, y_true, scores)``): kept for callers written before
# the ``plot_*(..., ax=None)`` convention; new code calls the ``plot_*`` functions.
def shap_bar_axes(ax, explanation, *args, **kwargs):
    """Alias of :func:`plot_shap_bar` with the axes first."""
    return plot_shap_bar(explanation, *args, ax=ax, **kwargs)


def shap_beeswarm_axes(ax, explanation, *args, **kwargs):
    """Alias of :func:`plot_shap_beeswarm` with the axes first."""
    return plot_shap_beeswarm(explanation, *args, ax=ax, **kwargs)


def shap_dependence_axes(ax, explanation, feature):
    """Alias of :func:`plot_shap_dependence` with the axes first."""
    return plot_shap_dependence(explanation, feature, ax=ax)


def shap_waterfall_axes(ax, explanation_row, *args, **kwargs):
    """Alias of :func:`plot_shap_waterfall` with the axes first."""
    return plot_shap_waterfall(explanation_row, *args, ax=ax, **kwargs)


def roc_axes(ax, y_true, scores):
    """Alias of :func:`plot_roc` with the axes first."""
    return plot_roc(y_true, scores, ax=ax)


def pr_axes(ax, y_true, scores):
    """Alias of :func:`plot_pr` with the axes first."""
    return plot_pr(y_true, scores, ax=ax)


def calibration_axes(ax, y_true, scores, n_bins: int = 8):
    """Alias of :func:`plot_calibration` with the axes first."""
    return plot_calibration(y_true, scores, n_bins=n_bins, ax=ax)


def manhattan_axes(ax, summary, *args, **kwargs):
    """Alias of :func:`plot_manhattan` with the axes first."""
    return plot_manhattan(summary, *args, ax=ax, **kwargs)


def segment_axes(ax, segment, fs, *args, **kwargs):
    """Alias of :func:`plot_segment` with the axes first."""
    return plot_segment(segment, fs, *args, ax=ax, **kwargs)


__all__ = [
    "explanation_parts",
    "plot_calibration",
    "plot_manhattan",
    "plot_pr",
    "plot_roc",
    "plot_segment",
    "plot_shap_bar",
    "plot_shap_beeswarm",
    "plot_shap_dependence",
    "plot_shap_waterfall",
]
