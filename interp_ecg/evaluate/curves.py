"""ROC, precision-recall and calibration curves as plot objects (``plot(ax=None)``).

Examples
--------
>>> import numpy as np, matplotlib
>>> matplotlib.use("Agg")
>>> from interp_ecg.evaluate import RocCurve
>>> y = np.array([0, 0, 1, 1]); s = np.array([0.1, 0.4, 0.35, 0.8])
>>> roc = RocCurve.from_predictions(y, s, name="model").plot()
>>> round(roc.auc, 2), roc.ax_ is not None
(0.75, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(4.5, 4.5))
    return ax


@dataclass
class RocCurve:
    """ROC curve from scores. ``plot(ax=None)`` draws it and returns ``self`` (``ax_``, ``figure_``)."""

    fpr: np.ndarray
    tpr: np.ndarray
    auc: float
    name: str = ""
    ax_: object = field(default=None, repr=False)

    @classmethod
    def from_predictions(cls, y_true, y_score, name: str = "") -> "RocCurve":
        fpr, tpr, _ = roc_curve(np.asarray(y_true), np.asarray(y_score))
        return cls(fpr, tpr, float(auc(fpr, tpr)), name)

    def plot(self, ax=None, chance: bool = True, **kwargs) -> "RocCurve":
        ax = _axes(ax)
        label = f"{self.name} (AUC {self.auc:.3f})" if self.name else f"AUC {self.auc:.3f}"
        ax.plot(self.fpr, self.tpr, label=label, **kwargs)
        if chance:
            ax.plot([0, 1], [0, 1], ls=":", color="grey", lw=1)
        ax.set(xlabel="False positive rate", ylabel="True positive rate", xlim=(0, 1), ylim=(0, 1.01))
        ax.legend(loc="lower right", fontsize="small")
        self.ax_ = ax
        return self

    @property
    def figure_(self):
        return None if self.ax_ is None else self.ax_.figure


@dataclass
class PrCurve:
    """Precision-recall curve from scores; ``plot(ax=None)`` returns ``self``."""

    precision: np.ndarray
    recall: np.ndarray
    average_precision: float
    prevalence: float
    name: str = ""
    ax_: object = field(default=None, repr=False)

    @classmethod
    def from_predictions(cls, y_true, y_score, name: str = "") -> "PrCurve":
        y = np.asarray(y_true)
        p, r, _ = precision_recall_curve(y, np.asarray(y_score))
        return cls(p, r, float(average_precision_score(y, y_score)), float(np.mean(y)), name)

    def plot(self, ax=None, **kwargs) -> "PrCurve":
        ax = _axes(ax)
        label = f"{self.name} (AP {self.average_precision:.3f})" if self.name else f"AP {self.average_precision:.3f}"
        ax.step(self.recall, self.precision, where="post", label=label, **kwargs)
        ax.axhline(self.prevalence, ls=":", color="grey", lw=1)
        ax.set(xlabel="Recall", ylabel="Precision", xlim=(0, 1), ylim=(0, 1.01))
        ax.legend(loc="lower left", fontsize="small")
        self.ax_ = ax
        return self

    @property
    def figure_(self):
        return None if self.ax_ is None else self.ax_.figure


@dataclass
class CalibrationCurve:
    """Reliability diagram (observed frequency per bin of predicted probability)."""

    mean_predicted: np.ndarray
    fraction_positive: np.ndarray
    counts: np.ndarray
    name: str = ""
    ax_: object = field(default=None, repr=False)

    @classmethod
    def from_predictions(cls, y_true, y_prob, n_bins: int = 10, strategy: str = "quantile", name: str = ""):
        y = np.asarray(y_true, dtype=float)
        p = np.asarray(y_prob, dtype=float)
        if strategy == "quantile":
            edges = np.unique(np.quantile(p, np.linspace(0, 1, n_bins + 1)))
        else:
            edges = np.linspace(0, 1, n_bins + 1)
        which = np.clip(np.searchsorted(edges, p, side="right") - 1, 0, max(len(edges) - 2, 0))
        mp, fp, cn = [], [], []
        for b in range(max(len(edges) - 1, 1)):
            m = which == b
            if m.any():
                mp.append(p[m].mean())
                fp.append(y[m].mean())
                cn.append(int(m.sum()))
        return cls(np.array(mp), np.array(fp), np.array(cn), name)

    def plot(self, ax=None, **kwargs) -> "CalibrationCurve":
        ax = _axes(ax)
        ax.plot([0, 1], [0, 1], ls=":", color="grey", lw=1)
        ax.plot(self.mean_predicted, self.fraction_positive, marker="o", label=self.name or None, **kwargs)
        ax.set(xlabel="Mean predicted probability", ylabel="Observed fraction positive", xlim=(0, 1), ylim=(0, 1))
        if self.name:
            ax.legend(loc="upper left", fontsize="small")
        self.ax_ = ax
        return self

    @property
    def figure_(self):
        return None if self.ax_ is None else self.ax_.figure


__all__ = ["RocCurve", "PrCurve", "CalibrationCurve"]
