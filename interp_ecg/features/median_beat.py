"""Beat classification and per-lead median beats.

Clinical measurement programs (GE 12SL, Philips DXL, Glasgow) do not measure amplitudes on
one noisy beat: they align the dominant beats of a record and take the sample-wise median,
after setting aside premature ventricular complexes and other outliers. This module does the
same from the delineation's multi-lead consensus rows (``lead == "global"``):

1. each beat is anchored on its global R peak (or QRS onset plus the record's median
   onset-to-peak distance when the R peak is missing);
2. its QRS window (-60 ms to +100 ms around the anchor, all usable leads together) is
   correlated with the median of all beats; a beat that differs (r < 0.85) and is premature
   (RR < 85 % of the median) or wide (QRS 30 ms over the median) is a PVC, any other
   differing beat an outlier;
3. the remaining *dominant* beats are aligned on the anchor and their per-lead median is the
   median beat (450 ms before to 700 ms after the anchor by default).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from interp_ecg.features.median_beat import median_beat
>>> sig = np.zeros((1, 2000), dtype="float32")
>>> sig[0, [500, 1000, 1500]] = 1.0
>>> tpl, pos = median_beat(sig, 500, np.array([500, 1000, 1500]), pre_s=0.1, post_s=0.1)
>>> tpl.shape, pos, float(tpl[0, pos])
((1, 101), 50, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FIDUCIALS = ("P_on", "P_peak", "P_off", "QRS_on", "R_peak", "QRS_off", "T_on", "T_peak", "T_off")
CORR_MIN = 0.85
PREMATURE_RATIO = 0.85
WIDE_EXTRA_MS = 30.0
PRE_S = 0.45
POST_S = 0.70


@dataclass
class FidArrays:
    """A delineation table as plain arrays (fast to slice): lead names, beat numbers and
    the nine fiducials ``(n_rows, 9)`` as float sample indices."""

    lead: np.ndarray
    beat: np.ndarray
    values: np.ndarray

    @classmethod
    def from_frame(cls, fiducials: pd.DataFrame) -> "FidArrays":
        n = len(fiducials)
        lead = np.array([str(x) for x in fiducials["lead"].tolist()], dtype=object) if n else np.array([], object)
        beat = fiducials["beat"].to_numpy() if "beat" in fiducials.columns else np.arange(n)
        values = np.full((n, len(FIDUCIALS)), np.nan)
        cols = [c for c in FIDUCIALS if c in fiducials.columns]
        sub = fiducials[cols]
        if all(pd.api.types.is_numeric_dtype(t) for t in sub.dtypes):
            values[:, [FIDUCIALS.index(c) for c in cols]] = sub.to_numpy(dtype=float, na_value=np.nan)
        else:
            for c in cols:
                values[:, FIDUCIALS.index(c)] = pd.to_numeric(sub[c], errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan)
        return cls(lead, beat, values)

    def select(self, mask: np.ndarray) -> "FidArrays":
        return FidArrays(self.lead[mask], self.beat[mask], self.values[mask])

    def column(self, name: str) -> np.ndarray:
        return self.values[:, FIDUCIALS.index(name)]


def global_fiducials(fiducials: pd.DataFrame | FidArrays) -> pd.DataFrame:
    """The consensus rows (``lead == "global"``) of a delineation, one row per beat, in time order.

    Columns are the nine fiducials as float sample indices (``NaN`` when absent).
    """
    fa = fiducials if isinstance(fiducials, FidArrays) else FidArrays.from_frame(fiducials)
    is_global = fa.lead == "global"
    beats = fa.beat[is_global]
    values = fa.values[is_global]
    r, on, off = values[:, 4], values[:, 3], values[:, 5]
    anchor = _anchor_arrays(r, on, off)
    order = np.argsort(np.where(np.isnan(anchor), np.inf, anchor), kind="stable")
    return pd.DataFrame(values[order], index=pd.Index(beats[order], name="beat"), columns=list(FIDUCIALS))


def _anchor(g: pd.DataFrame) -> np.ndarray:
    return _anchor_arrays(
        g["R_peak"].to_numpy(dtype=float), g["QRS_on"].to_numpy(dtype=float), g["QRS_off"].to_numpy(dtype=float)
    )


def _anchor_arrays(r: np.ndarray, on: np.ndarray, off: np.ndarray) -> np.ndarray:
    d = r - on
    lag = float(np.median(d[np.isfinite(d)])) if np.isfinite(d).any() else np.nan
    mid = (on + off) / 2.0
    anchor = np.where(np.isfinite(r), r, on + lag)
    return np.where(np.isfinite(anchor), anchor, mid)


def _gather(signal: np.ndarray, centres: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``(n_leads, n_beats, hi - lo)`` windows around integer centres; NaN outside the record."""
    n = signal.shape[1]
    idx = centres[:, None] + np.arange(lo, hi)[None, :]
    inside = (idx >= 0) & (idx < n)
    out = signal[:, np.clip(idx, 0, n - 1)].astype(np.float64)
    out[:, ~inside] = np.nan
    return out


def nanmedian(a: np.ndarray, axis: int = 1) -> np.ndarray:
    """Median ignoring NaN along ``axis`` (vectorised; NaN where a slice is all NaN).

    Faster than :func:`numpy.nanmedian` for many short slices.

    Examples
    --------
    >>> nanmedian(np.array([[1.0, np.nan, 3.0, 2.0]]), axis=1)
    array([2.])
    """
    a = np.moveaxis(np.asarray(a, dtype=np.float64), axis, -1)
    if not np.isnan(a).any():
        return np.median(a, axis=-1)
    s = np.sort(a, axis=-1)  # NaN last
    n = np.isfinite(s).sum(axis=-1)
    lo = np.clip((n - 1) // 2, 0, None)[..., None]
    hi = np.clip(n // 2, 0, None)[..., None]
    med = 0.5 * (np.take_along_axis(s, lo, -1) + np.take_along_axis(s, hi, -1))[..., 0]
    return np.where(n > 0, med, np.nan)


@dataclass
class BeatTable:
    """Per-beat classification of one record (see :func:`classify_beats`)."""

    beats: pd.DataFrame
    """Indexed by beat: ``anchor`` (sample), ``rr_prev_ms``, ``rr_next_ms``, ``qrs_ms``,
    ``corr``, ``label`` (``"N"``, ``"PVC"``, ``"outlier"``) and ``dominant`` (bool)."""

    fiducials: pd.DataFrame
    """The consensus fiducials, ordered like ``beats``."""


def classify_beats(
    signal: np.ndarray, fs: float, fiducials: pd.DataFrame | FidArrays, usable: np.ndarray | None = None
) -> BeatTable:
    """Label each consensus beat dominant (``"N"``), ``"PVC"`` or ``"outlier"``.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV.
    fs : float
        Sampling rate (Hz).
    fiducials : pandas.DataFrame
        A delineation table (with ``lead == "global"`` rows) or already its consensus rows.
    usable : numpy.ndarray of bool, optional
        Leads to use for the morphology comparison (flat or clipped leads left out).

    Returns
    -------
    BeatTable
    """
    if isinstance(fiducials, FidArrays) or "lead" in fiducials.columns:
        g = global_fiducials(fiducials)
    else:
        g = fiducials
    anchor = _anchor(g)
    keep = np.isfinite(anchor)
    g = g[keep]
    anchor = np.rint(anchor[keep]).astype(np.int64)
    n_beats = anchor.size
    ms = 1000.0 / fs
    rr = np.diff(anchor) * ms
    rr_prev = np.r_[np.nan, rr]
    rr_next = np.r_[rr, np.nan]
    qrs = (g["QRS_off"].to_numpy() - g["QRS_on"].to_numpy()) * ms
    lead_mask = np.ones(signal.shape[0], bool) if usable is None else np.asarray(usable, bool)
    if not lead_mask.any():
        lead_mask = np.ones(signal.shape[0], bool)
    corr = np.full(n_beats, np.nan)
    if n_beats >= 2:
        lo, hi = int(round(-0.06 * fs)), int(round(0.10 * fs))
        win = _gather(signal[lead_mask], anchor, lo, hi)  # leads, beats, w
        win = win - np.nanmean(win, axis=2, keepdims=True)
        tpl = nanmedian(win, axis=1)  # leads, w
        a = np.transpose(win, (1, 0, 2)).reshape(n_beats, -1)
        b = tpl.reshape(-1)
        ok = np.isfinite(a) & np.isfinite(b)[None, :]
        a0 = np.where(ok, a, 0.0)
        b0 = np.where(ok, b[None, :], 0.0)
        num = (a0 * b0).sum(axis=1)
        den = np.sqrt((a0 * a0).sum(axis=1) * (b0 * b0).sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            corr = np.where(den > 0, num / den, np.nan)
    med_rr = float(np.median(rr)) if rr.size else np.nan
    med_qrs = float(np.median(qrs[np.isfinite(qrs)])) if np.isfinite(qrs).any() else np.nan
    differs = np.nan_to_num(corr, nan=1.0) < CORR_MIN
    premature = np.nan_to_num(rr_prev, nan=np.inf) < PREMATURE_RATIO * med_rr
    wide = np.nan_to_num(qrs, nan=-np.inf) > med_qrs + WIDE_EXTRA_MS
    pvc = (differs & (premature | wide)) | (wide & premature)
    label = np.where(pvc, "PVC", np.where(differs, "outlier", "N"))
    dominant = label == "N"
    if not dominant.any():
        dominant = np.ones(n_beats, bool)
    beats = pd.DataFrame(
        {
            "anchor": anchor,
            "rr_prev_ms": rr_prev,
            "rr_next_ms": rr_next,
            "qrs_ms": qrs,
            "corr": corr,
            "label": label,
            "dominant": dominant,
        },
        index=g.index,
    )
    return BeatTable(beats=beats, fiducials=g)


def median_beat(
    signal: np.ndarray,
    fs: float,
    anchors: np.ndarray,
    pre_s: float = PRE_S,
    post_s: float = POST_S,
) -> tuple[np.ndarray, int]:
    """Sample-wise median of the beats aligned on ``anchors``, for every lead.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV.
    fs : float
        Sampling rate (Hz).
    anchors : numpy.ndarray of int
        Alignment sample of each beat to include (R peaks of the dominant beats).
    pre_s, post_s : float
        Window before and after the anchor, in seconds.

    Returns
    -------
    template : numpy.ndarray
        ``(n_leads, n_window)`` median beat; ``NaN`` where no beat covers a sample.
    anchor_pos : int
        Position of the anchor inside the template.
    """
    lo, hi = -int(round(pre_s * fs)), int(round(post_s * fs)) + 1
    anchors = np.asarray(anchors, dtype=np.int64)
    if anchors.size == 0:
        return np.full((signal.shape[0], hi - lo), np.nan), -lo
    win = _gather(np.asarray(signal), anchors, lo, hi)
    return nanmedian(win, axis=1), -lo


def relative_fiducials(table: BeatTable, min_fraction: float = 0.5) -> dict[str, float]:
    """Median position of each fiducial relative to the anchor, over the dominant beats.

    A wave found in fewer than ``min_fraction`` of the dominant beats is absent (``NaN``).
    """
    dom = table.beats["dominant"].to_numpy()
    anchor = table.beats["anchor"].to_numpy(dtype=float)[dom]
    values = table.fiducials.to_numpy(dtype=float)[dom]
    out: dict[str, float] = {}
    for j, col in enumerate(FIDUCIALS):
        vals = values[:, j] - anchor
        present = np.isfinite(vals)
        out[col] = float(np.median(vals[present])) if present.mean() >= min_fraction and present.any() else np.nan
    return out
