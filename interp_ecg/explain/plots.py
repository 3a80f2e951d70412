"""SHAP plots of the package (their one owner): bar, beeswarm, dependence and waterfall.

One convention, shared with every ``plot_*`` function of the package: the data first, then
options, then ``ax=None`` (new axes on a new pyplot figure when not given); the function draws
and returns the Axes; nothing calls ``plt.show()``. Inputs are ``shap.Explanation`` objects or
anything with ``values`` (and optionally ``base_values``, ``data``, ``feature_names``). The
report (:mod:`interp_ecg.report`) draws its SHAP figures with these functions. Colour keys are
drawn as vector patches, not colorbars, so that figures embedded in a PDF stay vector.

Examples
--------
>>> import numpy as np, shap
>>> from matplotlib.figure import Figure
>>> from interp_ecg.explain import plot_bar
>>> ex = shap.Explanation(np.array([[0.2, -0.1], [0.1, 0.0]]), base_values=np.zeros(2),
...                       data=np.ones((2, 2)), feature_names=["QRS_duration_ms", "heart_rate_bpm"])
>>> ax = plot_bar(ex, ax=Figure().add_subplot())
>>> [t.get_text() for t in ax.get_yticklabels()]
['heart_rate_bpm', 'QRS_duration_ms']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from interp_ecg.errors import ArgumentError, ModelError

#: Colours of a positive (up) and a negative (down) push on the model output.
POS = "#d62728"
NEG = "#1f77b4"

__all__ = ["explanation_parts", "plot_bar", "plot_beeswarm", "plot_dependence", "plot_waterfall"]


def explanation_parts(explanation: Any) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray | None]:
    """SHAP values, base values, feature names and feature values of an explanation.

    Parameters
    ----------
    explanation : shap.Explanation or object with ``values``
        ``values`` of shape ``(n_records, n_features)`` (or ``(n_features,)`` for one record);
        ``base_values``, ``data`` (same shape as ``values``) and ``feature_names`` are optional.

    Returns
    -------
    values : ndarray of float
    base_values : ndarray of float (0.0 when absent)
    feature_names : list of str (``f0, f1, ...`` when absent)
    data : ndarray of float or None

    Raises
    ------
    ModelError
        The explanation has one output per class (``values`` of shape ``(n, p, k)``): which
        class to plot is the caller's choice (``explanation[:, :, k]``, or explain with
        ``label=``), never a silent pick.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.explain import explanation_parts
    >>> from types import SimpleNamespace
    >>> v, b, names, d = explanation_parts(SimpleNamespace(values=np.zeros((3, 2))))
    >>> v.shape, names, d is None
    ((3, 2), ['f0', 'f1'], True)
    """
    values = np.asarray(explanation.values, dtype=float)
    if values.ndim == 3:
        names = getattr(explanation, "output_names", None)
        raise ModelError(f"the explanation has one output per class "
                         f"({names if names is not None else values.shape[2]}); "
                         "plot one class: explanation[:, :, k], or explain with label=")
    data = getattr(explanation, "data", None)
    data = None if data is None else np.asarray(data, dtype=float)
    names = getattr(explanation, "feature_names", None)
    if names is None:
        names = [f"f{i}" for i in range(values.shape[-1])]
    base = np.asarray(getattr(explanation, "base_values", 0.0), dtype=float)
    return values, base, list(names), data


def _axes(ax, size: tuple[float, float]):
    """The given axes, or new ones on a new pyplot figure of ``size`` inches."""
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def _cmap():
    from matplotlib import colors

    return colors.LinearSegmentedColormap.from_list("shap", [NEG, "#9b59b6", POS])


def _colour_key(ax, cmap, low: str, high: str, label: str) -> None:
    """A vector colour key right of ``ax`` (a colorbar would be embedded as a raster image)."""
    from matplotlib.patches import Rectangle

    key = ax.inset_axes([1.02, 0.25, 0.025, 0.5])
    for k in range(24):
        key.add_patch(Rectangle((0, k / 24), 1, 1 / 24, color=cmap(k / 23), lw=0))
    key.set_xlim(0, 1)
    key.set_ylim(0, 1)
    key.set_xticks([])
    key.set_yticks([0, 1], [low, high], fontsize=6)
    key.yaxis.tick_right()
    key.set_ylabel(label, fontsize=6)
    key.yaxis.set_label_position("right")


def _scaled(d: np.ndarray) -> np.ndarray:
    """Feature values scaled to 0..1 between their 5th and 95th percentiles (NaN -> 0.5)."""
    finite = np.isfinite(d)
    lo, hi = (np.nanpercentile(d, 5), np.nanpercentile(d, 95)) if finite.any() else (0, 1)
    c = np.clip((d - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    return np.where(finite, c, 0.5)


def _feature_index(names: list[str], feature: str | int) -> int:
    if isinstance(feature, str):
        if feature not in names:
            raise ArgumentError(f"feature {feature!r} is not in the explanation (it has {len(names)} "
                                f"features: {', '.join(names[:8])}{', ...' if len(names) > 8 else ''})")
        return names.index(feature)
    return int(feature)


def _top(values: np.ndarray, max_display: int) -> np.ndarray:
    """Indices of the ``max_display`` features of largest mean |SHAP|, largest last."""
    imp = np.nanmean(np.abs(values), axis=0)
    return np.argsort(imp)[::-1][:max_display][::-1]


def plot_bar(explanation: Any, max_display: int = 12, ax=None):
    """Mean |SHAP value| per feature, largest on top.

    Parameters
    ----------
    explanation : shap.Explanation
        Values of shape ``(n_records, n_features)``.
    max_display : int
        Number of features shown.
    ax : matplotlib Axes, optional
        Drawn into; new axes on a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ModelError
        A multi-output explanation (see :func:`explanation_parts`).
    """
    ax = _axes(ax, (5, 4))
    values, _, names, _ = explanation_parts(explanation)
    values = np.atleast_2d(values)
    imp = np.nanmean(np.abs(values), axis=0)
    order = _top(values, max_display)
    ax.barh(np.arange(order.size), imp[order], color=POS, height=0.7)
    ax.set_yticks(np.arange(order.size), [names[i] for i in order])
    ax.set_xlabel(f"mean |SHAP value| (impact on {_output_words(explanation)})")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def plot_beeswarm(explanation: Any, max_display: int = 12, random_state: int = 0, ax=None):
    """One dot per record and feature: SHAP value (x), feature value (colour, low blue to high red).

    Parameters
    ----------
    explanation : shap.Explanation
        Values and data of shape ``(n_records, n_features)``; without data every dot is
        drawn in the middle colour.
    max_display : int
        Number of features shown (largest mean |SHAP| on top).
    random_state : int
        Seed of the vertical jitter.
    ax : matplotlib Axes, optional
        Drawn into; new axes on a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ModelError
        A multi-output explanation (see :func:`explanation_parts`).
    """
    ax = _axes(ax, (6, 4))
    values, _, names, data = explanation_parts(explanation)
    values = np.atleast_2d(values)
    order = _top(values, max_display)
    rng = np.random.default_rng(random_state)
    cmap = _cmap()
    for row, j in enumerate(order):
        v = values[:, j]
        c = _scaled(data[:, j]) if data is not None else np.full(v.shape, 0.5)
        jitter = rng.uniform(-0.3, 0.3, size=v.size)
        ax.scatter(v, row + jitter, c=cmap(c), s=4, lw=0, rasterized=False)
    ax.axvline(0, color="#999999", lw=0.6)
    ax.set_yticks(np.arange(order.size), [names[i] for i in order])
    ax.set_xlabel(f"SHAP value (impact on {_output_words(explanation)})")
    ax.spines[["top", "right"]].set_visible(False)
    _colour_key(ax, cmap, "low", "high", "feature value")
    return ax


def plot_dependence(explanation: Any, feature: str | int, color: str | int | None = None, ax=None):
    """Feature value (x) against its SHAP value (y), one dot per record.

    Parameters
    ----------
    explanation : shap.Explanation
        Values and data of shape ``(n_records, n_features)``; without data the x axis is the
        record index.
    feature : str or int
        The feature, by name or position.
    color : str or int, optional
        Colour the dots by this other feature's value (low blue to high red, with a key).
    ax : matplotlib Axes, optional
        Drawn into; new axes on a new figure when not given.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ModelError
        A multi-output explanation (see :func:`explanation_parts`).
    ArgumentError
        An unknown feature name.
    """
    ax = _axes(ax, (4, 3))
    values, _, names, data = explanation_parts(explanation)
    j = _feature_index(names, feature)
    x = data[:, j] if data is not None else np.arange(values.shape[0])
    if color is not None and data is not None:
        k = _feature_index(names, color)
        cmap = _cmap()
        ax.scatter(x, values[:, j], s=5, c=cmap(_scaled(data[:, k])), lw=0)
        _colour_key(ax, cmap, "low", "high", names[k])
    else:
        ax.scatter(x, values[:, j], s=5, color=POS, lw=0)
    ax.axhline(0, color="#999999", lw=0.6)
    ax.set_xlabel(names[j])
    ax.set_ylabel(f"SHAP value for\n{names[j]}")
    ax.spines[["top", "right"]].set_visible(False)
    return ax


def _output_words(explanation: Any) -> str:
    """The explained output in words: ``"probability"`` / ``"log-odds"`` when the explanation
    says (:func:`~interp_ecg.explain.shap_explanation` sets ``scale``), else ``"model output"``.
    An explanation whose caller set ``output_word = "score"`` (a model whose ``predict_proba``
    is not a calibrated probability: class-weighted, not recalibrated) reads "score (not
    calibrated)" on the probability scale.

    Examples
    --------
    >>> from interp_ecg.explain import plots  # a private helper of this module
    >>> from types import SimpleNamespace
    >>> plots._output_words(SimpleNamespace(scale="probability")), plots._output_words(SimpleNamespace(scale="probability",
    ...                                                                                   output_word="score"))
    ('predicted probability', 'score (not calibrated)')
    """
    scale = getattr(explanation, "scale", None)
    if scale == "probability" and getattr(explanation, "output_word", "probability") == "score":
        return "score (not calibrated)"
    return {"probability": "predicted probability", "log-odds": "log-odds"}.get(scale, "model output")


def _value_text(value: float, fmt: str) -> str:
    """A measured value as a reader writes it: 1038, not 1.04e+03 (``fmt`` below 1000)."""
    return f"{value:.0f}" if 1000 <= abs(value) < 1e6 else fmt.format(value)


def plot_waterfall(explanation_row: Any, max_display: int = 10, value_fmt: str = "{:.3g}", ax=None,
                   feature_row: Any = None):
    """Waterfall of one prediction: from the base value, each feature's push up or down.

    Parameters
    ----------
    explanation_row : shap.Explanation
        One record: ``values`` and ``data`` of shape ``(n_features,)``, one base value. Its
        ``scale`` and ``background_size`` (set by
        :func:`~interp_ecg.explain.shap_explanation`), when present, name the output and what
        the base value is the mean over.
    max_display : int
        Features shown one by one; the rest are summed into one bar.
    value_fmt : str
        Format of measured values below 1000 (larger ones are written as integers); a value
        that was not measured (NaN) reads "not measured".
    ax : matplotlib Axes, optional
        Drawn into; new axes on a new figure when not given.
    feature_row : pandas.Series, optional
        The record's row of :func:`interp_ecg.features.extract`: a feature of a lead its
        quality columns set aside (:func:`~interp_ecg.explain.grounded.set_aside_leads`) reads
        "not cited (V5 set aside)", never a value.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, pandas as pd, shap
    >>> from interp_ecg.explain import plot_waterfall
    >>> ex = shap.Explanation(np.array([0.2, -0.1]), base_values=0.3, data=np.array([12.5, 98.0]),
    ...                       feature_names=["R_amp_mV_V5", "QRS_duration_ms"])
    >>> ax = plot_waterfall(ex, feature_row=pd.Series({"quality_scale_leads": "V5"}))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['QRS_duration_ms = 98', 'R_amp_mV_V5 = not cited (V5 set aside)']
    """
    from interp_ecg.explain.grounded import set_aside_leads
    from interp_ecg.explain.grouping import lead_of

    aside = set_aside_leads(feature_row)
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
        if val and aside and lead_of(names[j]) in aside:  # a value of a lead set aside is not cited
            val = f"not cited ({lead_of(names[j])} set aside)"
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
    n_bg = getattr(explanation_row, "background_size", None)
    what = f" (mean over {n_bg} background records)" if n_bg else ""
    ax.set_xlabel(f"{_output_words(explanation_row)}: base {base:.3f}{what} -> f(x) {fx:.3f}")
    ax.spines[["top", "right"]].set_visible(False)
    return ax
