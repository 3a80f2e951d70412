"""12-lead ECG on grid paper: the standard 3x4 layout plus a rhythm strip.

Drawn at true clinical scale: 25 mm/s and 10 mm/mV on 1 mm / 5 mm grid paper, so a printed
page can be read with calipers. Fiducial points (P, QRS and T onsets/offsets) are marked on
every trace, and measured intervals behind an explanation are drawn as brackets: a
record-level (multi-lead consensus, ``lead="global"``) interval on the rhythm strip, on the
beat its sentence names; a per-lead one on its own lead.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.report.ecg_plot import plot_ecg, ECG_LAYOUT
>>> sig = np.zeros((12, 5000), dtype="float32")
>>> ax = plot_ecg(sig, fs=500)
>>> [float(round(v, 2)) for v in ax.figure.get_size_inches()]
[10.16, 4.33]
>>> ECG_LAYOUT[0]
('I', 'aVR', 'V1', 'V4')
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.io.leads import STANDARD_LEADS, normalise_lead_name

logger = logging.getLogger(__name__)

MM_PER_INCH = 25.4
PAPER_SPEED_MM_S = 25.0
GAIN_MM_MV = 10.0
ECG_LAYOUT: tuple[tuple[str, ...], ...] = (
    ("I", "aVR", "V1", "V4"),
    ("II", "aVL", "V2", "V5"),
    ("III", "aVF", "V3", "V6"),
)
COLUMN_SECONDS = 2.5
ROW_MM = 26.0
CAL_MM = 8.0  # space at the left for the 1 mV calibration pulse
LABEL_MM = 6.0  # space at the top for the title line

#: fiducial columns marked on the trace, with their marker colour and glyph
FIDUCIAL_STYLE: dict[str, tuple[str, str]] = {
    "P_on": ("#1f77b4", "|"), "P_off": ("#1f77b4", "|"),
    "QRS_on": ("#2ca02c", "|"), "QRS_off": ("#2ca02c", "|"),
    "T_off": ("#9467bd", "|"),
}


@dataclass
class Mark:
    """A measured interval to draw on one lead (the evidence behind an explanation).

    Attributes
    ----------
    lead : str
        Lead the measurement was made in (``"global"`` for the multi-lead consensus).
    start, end : float
        Sample indices at the record's sampling rate (``end`` may equal ``start`` for a point).
    label : str
        Short label written beside the bracket, e.g. ``"QRS 148 ms"``.
    """

    lead: str
    start: float
    end: float
    label: str = ""
    color: str = "#d62728"


def ecg_size_mm(seconds: float = 10.0, n_rows: int = 4) -> tuple[float, float]:
    """Width and height (mm) of the ECG area for ``seconds`` per strip and ``n_rows`` rows."""
    return CAL_MM + seconds * PAPER_SPEED_MM_S, n_rows * ROW_MM + LABEL_MM


def _draw_grid(ax, width_mm: float, height_mm: float) -> None:
    from matplotlib.collections import LineCollection

    minor, major = [], []
    for x in np.arange(0.0, width_mm + 1e-6, 1.0):
        (major if round(x) % 5 == 0 else minor).append([(x, 0.0), (x, height_mm)])
    for y in np.arange(0.0, height_mm + 1e-6, 1.0):
        (major if round(y) % 5 == 0 else minor).append([(0.0, y), (width_mm, y)])
    ax.add_collection(LineCollection(minor, colors="#f7c6c6", linewidths=0.25, zorder=0))
    ax.add_collection(LineCollection(major, colors="#ee9a9a", linewidths=0.55, zorder=0))


def _global_fiducials(fiducials: pd.DataFrame | None) -> pd.DataFrame | None:
    if fiducials is None or len(fiducials) == 0:
        return None
    if "lead" in fiducials.columns:
        glob = fiducials[fiducials["lead"].astype(str) == "global"]
        if len(glob):
            return glob
    return fiducials


def _shift_into_window(mark: Mark, lo: int, hi: int, fid: pd.DataFrame | None) -> tuple[float, float] | None:
    """Move a mark onto a beat visible in ``[lo, hi)`` (same offsets from that beat's R peak)."""
    if lo <= mark.start and mark.end < hi:
        return mark.start, mark.end
    if fid is None or "R_peak" not in fid.columns:
        return None
    peaks = pd.to_numeric(fid["R_peak"], errors="coerce").dropna().to_numpy(float)
    if peaks.size == 0:
        return None
    ref = peaks[np.argmin(np.abs(peaks - mark.start))]
    width = mark.end - mark.start
    for peak in peaks:
        start = mark.start - ref + peak
        if lo + 2 <= start and start + width < hi - 2:
            return start, start + width
    return None


def draw_ecg(
    ax,
    signal: np.ndarray,
    fs: float,
    leads: Sequence[str] = STANDARD_LEADS,
    fiducials: pd.DataFrame | None = None,
    marks: Sequence[Mark] = (),
    rhythm_lead: str = "II",
    title: str | None = None,
    seconds: float = 10.0,
    scale: float = 1.0,
) -> Any:
    """Draw a 12-lead ECG (3x4 + rhythm strip) on grid paper into ``ax`` in mm coordinates.

    ``ax`` should be ``ecg_size_mm()`` millimetres in physical size for true scale; its
    data limits are set to that many millimetres. When the page cannot hold it at true scale,
    pass the printed ``scale`` (e.g. 0.98 on Letter): the header then says so. Returns ``ax``.
    """
    signal = np.asarray(signal, dtype=float)
    leads = [normalise_lead_name(name) for name in leads]
    index = {name: i for i, name in enumerate(leads)}
    width_mm, height_mm = ecg_size_mm(seconds)
    _draw_grid(ax, width_mm, height_mm)
    ax.set_xlim(0, width_mm)
    ax.set_ylim(0, height_mm)
    ax.set_axis_off()
    n_samples = signal.shape[1]
    n_show = int(min(n_samples, round(seconds * fs)))
    col_n = int(round(COLUMN_SECONDS * fs))
    fid = _global_fiducials(fiducials)
    mm_per_sample = PAPER_SPEED_MM_S / fs

    def baseline(row: int) -> float:
        return height_mm - LABEL_MM - (row + 0.55) * ROW_MM

    def trace(row: int, lead: str, lo: int, hi: int, x0: float) -> None:
        if lead not in index:
            ax.text(x0 + 1, baseline(row) + 8, f"{lead} (missing)", fontsize=6, color="#777777")
            return
        y = signal[index[lead], lo:hi]
        if y.size == 0:
            return
        y = y - np.nanmedian(signal[index[lead], : max(n_show, 1)])
        y = np.clip(y, -2.2, 2.2)  # keep big QRS complexes in their row
        xs = x0 + np.arange(y.size) * mm_per_sample
        ax.plot(xs, baseline(row) + y * GAIN_MM_MV, color="black", lw=0.6, zorder=3)
        ax.text(x0 + 1.0, baseline(row) + 9.5, lead, fontsize=7, weight="bold", zorder=4)
        if fid is not None:
            for col, (color, _glyph) in FIDUCIAL_STYLE.items():
                if col not in fid.columns:
                    continue
                pts = pd.to_numeric(fid[col], errors="coerce").dropna().to_numpy(float)
                pts = pts[(pts >= lo) & (pts < hi)]
                for p in pts:
                    xp = x0 + (p - lo) * mm_per_sample
                    yp = baseline(row) + y[int(p) - lo] * GAIN_MM_MV
                    ax.plot([xp, xp], [yp - 1.8, yp + 1.8], color=color, lw=0.7, zorder=4)
        drawn: list[tuple[float, float, int]] = []  # brackets in this panel: (xa, xb, level)
        for mark in marks:
            mlead = normalise_lead_name(mark.lead)
            # the rhythm strip (row 3) carries only consensus ("global") marks: a lead's own marks
            # are on its 2.5 s panel, and stacked labels below the strip would run off the grid
            on_this = (mlead == lead and row != 3) or (mlead == "global" and lead == rhythm_lead and row == 3)
            if not on_this:
                continue
            span = _shift_into_window(mark, lo, hi, fid)
            if span is None:
                continue
            s0, s1 = span
            xa = x0 + (s0 - lo) * mm_per_sample
            xb = x0 + (s1 - lo) * mm_per_sample
            # stack a bracket below those it overlaps (label width included) so labels never overlap
            half = 0.8 * len(mark.label) + 1.0
            mid = (xa + xb) / 2
            busy = {lv for a0, a1, lv in drawn if min(xb, mid + half) > a0 and max(xa, mid - half) < a1}
            level = next(k for k in range(len(drawn) + 1) if k not in busy)
            drawn.append((min(xa, mid - half), max(xb, mid + half), level))
            # below the trace; on the bottom row (rhythm strip) only the first level fits below the
            # grid, so further levels go above the trace, their brackets opening downwards
            up = row == len(ECG_LAYOUT) and level > 0
            yb = baseline(row) + 11.0 + 3.0 * (level - 1) if up else baseline(row) - 8.0 - 3.0 * level
            tick, ty, va = (-1.5, yb + 0.8, "bottom") if up else (1.5, yb - 0.8, "top")
            ax.axvspan(xa, xb, ymin=(min(yb, baseline(row) - 8.0) - 1) / height_mm,
                       ymax=(max(yb, baseline(row) + 11) + 1) / height_mm,
                       color=mark.color, alpha=0.12, lw=0, zorder=1)
            ax.plot([xa, xa, xb, xb], [yb + tick, yb, yb, yb + tick], color=mark.color, lw=1.0, zorder=5)
            if mark.label:
                ax.text((xa + xb) / 2, ty, mark.label, fontsize=6, color=mark.color,
                        ha="center", va=va, weight="bold", zorder=5)

    for row, names in enumerate(ECG_LAYOUT):
        for col, lead in enumerate(names):
            lo = col * col_n
            hi = min((col + 1) * col_n, n_show)
            x0 = CAL_MM + col * COLUMN_SECONDS * PAPER_SPEED_MM_S
            trace(row, lead, lo, hi, x0)
            if col > 0:
                ax.plot([x0, x0], [baseline(row) - 3, baseline(row) + 3], color="black", lw=0.8)
    trace(3, normalise_lead_name(rhythm_lead), 0, n_show, CAL_MM)
    # calibration pulses: 1 mV (10 mm) high, 0.2 s (5 mm) wide
    for row in range(4):
        b = baseline(row)
        ax.plot([1, 2, 2, 7, 7, 8], [b, b, b + GAIN_MM_MV, b + GAIN_MM_MV, b, b], color="black", lw=0.7)
    caption = f"{PAPER_SPEED_MM_S:g} mm/s   {GAIN_MM_MV:g} mm/mV   fs {fs:g} Hz"
    if scale < 0.999:
        caption = f"1 mm = 40 ms x 0.1 mV, at {100 * scale:.0f}% of 25 mm/s, 10 mm/mV   fs {fs:g} Hz"
    ax.text(width_mm - 1, height_mm - 1.2, caption, fontsize=6.5, ha="right", va="top")
    if title:
        ax.text(1, height_mm - 1.2, title, fontsize=7.5, va="top", weight="bold")
    if fid is not None:
        # after the title when there is one, else from the left edge: the legend never runs into
        # the title (a card's title moved to its caption; user9 F8) nor, at the left, the scale text
        x = width_mm / 2 - 25 if title else 2.0
        for k, (name, (color, _)) in enumerate(FIDUCIAL_STYLE.items()):
            if name in fid.columns:
                ax.plot([x, x], [height_mm - 4.6, height_mm - 2.0], color=color, lw=0.8)
                ax.text(x + 0.8, height_mm - 3.3, name, fontsize=5.5, va="center", color=color)
                x += 11
    return ax


def plot_ecg(
    signal: np.ndarray,
    fs: float,
    leads: Sequence[str] = STANDARD_LEADS,
    fiducials: pd.DataFrame | None = None,
    marks: Sequence[Mark | Mapping] = (),
    rhythm_lead: str = "II",
    title: str | None = None,
    ax=None,
):
    """Plot a 12-lead ECG in the 3x4 layout plus a rhythm strip, on grid paper.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV.
    fs : float
        Sampling rate in Hz.
    leads : sequence of str
        Lead names of the rows of ``signal``.
    fiducials : pandas.DataFrame, optional
        Output of :func:`interp_ecg.features.delineate`; the ``lead == "global"`` rows are
        marked on every trace (P on/off, QRS on/off, T off).
    marks : sequence of Mark or dict
        Measured intervals to bracket on their lead (``lead, start, end, label``).
    rhythm_lead : str
        Lead of the 10 s rhythm strip.
    title : str, optional
    ax : matplotlib Axes, optional
        Draw into these axes; otherwise a new figure is created at true scale (25 mm/s,
        10 mm/mV).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn into (``ax.figure`` is the figure to save or show).
    """
    marks = [m if isinstance(m, Mark) else Mark(**dict(m)) for m in marks]
    if ax is None:
        from matplotlib.figure import Figure

        w, h = ecg_size_mm()
        fig = Figure(figsize=(w / MM_PER_INCH, h / MM_PER_INCH))
        ax = fig.add_axes([0, 0, 1, 1])
    draw_ecg(ax, signal, fs, leads, fiducials, marks, rhythm_lead, title)
    return ax
