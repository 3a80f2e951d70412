"""Figures of the report: ROC/PR/calibration curves (the package's one owner of these curves)
and prototype segment panels.

Each plot has one owner, the layer of its concept: SHAP plots are drawn by
:mod:`interp_ecg.explain.plots` (``plot_bar``, ``plot_beeswarm``, ``plot_dependence``,
``plot_waterfall``), PheWAS plots by :mod:`interp_ecg.phenotype.plots` (``plot_manhattan``,
``plot_volcano``, ``plot_category_heatmap``); the report's blocks call them. One convention
for all: the data first, then options, then ``ax=None`` (new axes on a new figure when not
given); the function draws and returns the Axes; nothing calls ``plt.show()``.

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

import numpy as np

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]


def _axes(ax, size: tuple[float, float]):
    """The given axes, or new ones on a new pyplot figure of ``size`` inches."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def _scored(y_true: np.ndarray, s) -> tuple[np.ndarray, np.ndarray, str]:
    """The records one curve is drawn on (finite score), and the legend's " n = k" when not all.

    A score left NaN where a record was not scored (e.g. a rule "not assessable") is drawn on
    its own scored records, as the metric tables score it, and the legend says on how many.
    """
    s = np.asarray(s, dtype=float)
    ok = np.isfinite(s)
    return y_true[ok], s[ok], ("" if ok.all() else f", n = {int(ok.sum())}")


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
        One score per model or rule, by the name shown in the legend; NaN where a record was
        not scored (each curve is drawn on its own scored records, the legend then gives n).
    ax : matplotlib Axes, optional
        Drawn into; new axes on a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, (4, 4))
    from sklearn.metrics import roc_curve

    from interp_ecg.evaluate.metrics import roc_auc

    y_true = np.asarray(y_true).astype(int)
    for k, (name, s) in enumerate(scores.items()):
        y, s, n_text = _scored(y_true, s)
        fpr, tpr, _ = roc_curve(y, s)
        auc = roc_auc(y, s)  # the metric tables' own function: legend and table agree
        ax.plot(fpr, tpr, color=PALETTE[k % 10], lw=1.1, label=f"{name} (AUC {auc:.3f}{n_text})",
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
        One score per model or rule, by the name shown in the legend; NaN where a record was
        not scored (each curve is drawn on its own scored records, the legend then gives n).
    ax : matplotlib Axes, optional
        Drawn into; new axes on a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, (4, 4))
    from sklearn.metrics import precision_recall_curve

    from interp_ecg.evaluate.metrics import average_precision

    y_true = np.asarray(y_true).astype(int)
    for k, (name, s) in enumerate(scores.items()):
        y, s, n_text = _scored(y_true, s)
        prec, rec, _ = precision_recall_curve(y, s)
        ap = average_precision(y, s)  # the metric tables' own function: legend and table agree
        ax.plot(rec, prec, color=PALETTE[k % 10], lw=1.1, label=f"{name} (AP {ap:.3f}{n_text})",
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
    """Reliability diagram (quantile bins) of scores in [0, 1], a hard rule as one point.

    A score that is not a calibrated probability (e.g. from class-balanced training) lies off
    the diagonal; the x axis is the model's output as it is, not called a probability.

    Parameters
    ----------
    y_true : array-like of shape (n_records,)
        Binary label (0/1).
    scores : mapping of str to array-like of shape (n_records,)
        One score per model or rule, by the name shown in the legend; NaN where a record was
        not scored (each curve is drawn on its own scored records, the legend then gives n).
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
        y, s, _ = _scored(y_true, s)
        s = np.clip(s, 0, 1)
        if np.unique(s).size < 3:  # a hard rule: no curve, just its one point
            pos = s > 0.5
            if pos.any():
                ax.plot([0.97], [y[pos].mean()], "s", color=PALETTE[k % 10], label=f"{name} (positives)")
            continue
        frac, mean = calibration_curve(y, s, n_bins=n_bins, strategy="quantile")
        ax.plot(mean, frac, "o-", ms=2.5, color=PALETTE[k % 10], lw=1.0, label=name)
    ax.plot([0, 1], [0, 1], color="#aaaaaa", lw=0.6, ls="--")
    ax.set_xlabel("Model output (bin mean)")
    ax.set_ylabel("Observed fraction")
    ax.set_title("Calibration")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    _legend_below(ax)
    ax.set_aspect("equal")
    return ax


def lead_spacing(*segments: np.ndarray) -> float:
    """Vertical distance (mV) between stacked leads that keeps every lead of ``segments`` apart.

    Panels drawn with the same spacing and the same number of leads share one mV-per-height
    scale (:func:`plot_segment`).

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.report.plots import lead_spacing
    >>> lead_spacing(np.array([[0.0, 2.0, -1.0]]), np.array([[0.0, 0.5]]))
    3.2
    """
    peaks = []
    for seg in segments:
        seg = np.atleast_2d(np.asarray(seg, dtype=float))
        if np.isfinite(seg).any():
            centred = seg - np.nanmedian(seg, axis=1, keepdims=True)
            peaks.append(float(np.nanmax(np.abs(centred))))
    return max(1.5, max(peaks, default=0.0) * 1.6)


def plot_segment(segment: np.ndarray, fs: float, leads: Sequence[str] | None = None,
                 title: str = "", color: str = "black", highlight: tuple[float, float] | None = None,
                 ax=None, *, t0: float = 0.0, span_s: float | None = None, spacing: float | None = None,
                 n_rows: int | None = None, scale_bar: bool = True):
    """Draw a short multi-lead segment (leads stacked), with a time and voltage scale bar.

    Parameters
    ----------
    segment : numpy.ndarray ``(n_leads, n_samples)``
        mV.
    fs : float
        Hz.
    leads : sequence of str, optional
        Lead names, written at the left of each trace.
    title, color : str
    highlight : (float, float), optional
        Seconds (on the drawn time axis) shaded.
    ax : matplotlib Axes, optional
    t0 : float
        Time (s) at which the segment starts on the axis (to line a prototype up with the
        record window it matched).
    span_s : float, optional
        Seconds the axis spans (default: the segment's own duration from ``t0``). Two panels of
        the same width and ``span_s`` have the same seconds per width.
    spacing : float, optional
        mV between stacked leads (default :func:`lead_spacing` of this segment). Two panels of
        the same height, ``spacing`` and ``n_rows`` have the same mV per height.
    n_rows : int, optional
        Lead rows the vertical axis holds (default: the segment's leads).
    scale_bar : bool
        Draw a calibration bar: 0.2 s (1 s when the axis spans more than 4 s) by 1 mV.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.report.plots import plot_segment
    >>> from matplotlib.figure import Figure
    >>> ax = plot_segment(np.zeros((2, 96)), 100.0, ["II", "V1"], ax=Figure().add_subplot(), span_s=2.96, spacing=3.0)
    >>> [round(float(v), 2) for v in ax.get_xlim()], [round(float(v), 2) for v in ax.get_ylim()]
    ([0.0, 2.96], [-4.5, 1.5])
    """
    ax = _axes(ax, (4, 3))
    seg = np.atleast_2d(np.asarray(segment, dtype=float))
    t = t0 + np.arange(seg.shape[1]) / fs
    spacing = lead_spacing(seg) if spacing is None else float(spacing)
    rows = seg.shape[0] if n_rows is None else max(int(n_rows), seg.shape[0])
    span = (t0 + seg.shape[1] / fs) if span_s is None else float(span_s)
    for i, lead_sig in enumerate(seg):
        off = -i * spacing
        base = np.nanmedian(lead_sig) if np.isfinite(lead_sig).any() else 0.0
        ax.plot(t, lead_sig - base + off, color=color, lw=0.6)
        if leads is not None and i < len(leads):
            ax.text(0.01 * span, off + 0.3 * spacing, str(leads[i]), fontsize=5.5, va="bottom")
    if highlight is not None:
        ax.axvspan(highlight[0], highlight[1], color="#ffcc00", alpha=0.25, lw=0)
    ax.set_xlim(0.0, span)
    ax.set_ylim(-(rows - 0.5) * spacing, 0.5 * spacing)
    if scale_bar:
        bar_s = 1.0 if span > 4.0 else 0.2
        x1 = span * 0.98
        y0 = -(rows - 0.5) * spacing + 0.1 * spacing
        ax.plot([x1 - bar_s, x1, x1], [y0, y0, y0 + 1.0], color="#444444", lw=0.8, solid_capstyle="butt")
        ax.text(x1 - bar_s, y0 + 0.08 * spacing, f"{bar_s:g} s, 1 mV", fontsize=4.5, ha="right", va="bottom",
                color="#444444")
    ax.set_title(title, fontsize=7)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#fff7f7")
    for sp in ax.spines.values():
        sp.set_color("#ee9a9a")
    return ax


__all__ = ["lead_spacing", "plot_calibration", "plot_pr", "plot_roc", "plot_segment"]
