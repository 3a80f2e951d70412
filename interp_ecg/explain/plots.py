"""Global SHAP plots (bar, beeswarm, dependence) that return their axes and never show.

Examples
--------
>>> import numpy as np, shap, matplotlib
>>> matplotlib.use("Agg")
>>> from interp_ecg.explain import plot_bar
>>> ex = shap.Explanation(np.array([[0.2, -0.1], [0.1, 0.0]]), base_values=np.zeros(2),
...                       data=np.ones((2, 2)), feature_names=["QRS_duration_ms", "heart_rate_bpm"])
>>> ax = plot_bar(ex)
>>> [t.get_text() for t in ax.get_yticklabels()]
['heart_rate_bpm', 'QRS_duration_ms']
"""

from __future__ import annotations

import numpy as np


def _values(explanation) -> np.ndarray:
    """The ``(n, p)`` values of an explanation; one with an output axis must be sliced first."""
    vals = np.asarray(explanation.values)
    if vals.ndim == 3:
        from interp_ecg.errors import ModelError

        names = getattr(explanation, "output_names", None)
        raise ModelError(f"the explanation has one output per class ({names if names is not None else vals.shape[2]}); "
                         "plot one class: explanation[:, :, k], or explain with label=")
    return vals


def _axes(ax, size=(6, 4)):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size)
    return ax


def plot_bar(explanation, ax=None, max_display: int = 15):
    """Mean |SHAP value| per feature, largest on top."""
    vals = np.abs(_values(explanation)).mean(axis=0)
    ax = _axes(ax)
    names = list(explanation.feature_names)
    order = np.argsort(vals)[-max_display:]
    ax.barh(range(len(order)), vals[order], color="tab:red")
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([names[i] for i in order])
    space = getattr(explanation, "output_space", None)
    ax.set_xlabel("mean |SHAP value|" + (f" ({space})" if space else ""))
    return ax


def plot_beeswarm(explanation, ax=None, max_display: int = 15, random_state: int = 0):
    """Beeswarm-style summary: one dot per record and feature, coloured by the feature value."""
    vals = _values(explanation)
    ax = _axes(ax, (7, 0.35 * max_display + 1.5))
    data = np.asarray(explanation.data, dtype=float)
    names = list(explanation.feature_names)
    order = np.argsort(np.abs(vals).mean(axis=0))[-max_display:]
    rng = np.random.default_rng(random_state)
    sc = None
    for pos, j in enumerate(order):
        d = data[:, j]
        lo, hi = np.nanpercentile(d, [5, 95]) if np.isfinite(d).any() else (0, 1)
        colour = np.clip((d - lo) / (hi - lo if hi > lo else 1), 0, 1)
        jitter = rng.uniform(-0.3, 0.3, len(d))
        sc = ax.scatter(vals[:, j], pos + jitter, c=np.where(np.isfinite(colour), colour, 0.5), cmap="coolwarm",
                        s=8, vmin=0, vmax=1)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(range(len(order)))
    ax.set_yticklabels([names[i] for i in order])
    ax.set_xlabel("SHAP value")
    if sc is not None:
        cb = ax.figure.colorbar(sc, ax=ax, ticks=[0, 1])
        cb.ax.set_yticklabels(["low", "high"])
        cb.set_label("feature value")
    return ax


def plot_dependence(explanation, feature: str, ax=None, color: str | None = None):
    """SHAP value of ``feature`` against its value (coloured by another feature if given)."""
    vals = _values(explanation)
    ax = _axes(ax, (5, 4))
    names = list(explanation.feature_names)
    j = names.index(feature)
    x = np.asarray(explanation.data, dtype=float)[:, j]
    y = vals[:, j]
    if color is not None:
        c = np.asarray(explanation.data, dtype=float)[:, names.index(color)]
        sc = ax.scatter(x, y, c=c, cmap="coolwarm", s=10)
        ax.figure.colorbar(sc, ax=ax).set_label(color)
    else:
        ax.scatter(x, y, s=10, color="tab:red")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(xlabel=feature, ylabel=f"SHAP value of {feature}")
    return ax


__all__ = ["plot_bar", "plot_beeswarm", "plot_dependence"]
