"""Validation of the package's intervals against cardiologists' marks (LUDB).

LUDB's cardiologists marked P, QRS and T onsets and offsets in each of the twelve leads.
A reference *global* interval per beat is built the way a multi-lead program measures it:
QRS onset = earliest QRS onset over the leads, QRS offset = latest, P onset = earliest,
T offset = latest; then QRS duration = QRS off - QRS on, PR = QRS on - P on, QT = T off -
QRS on, and the record's reference is the median over its annotated beats. The package's
``QRS_duration_ms``, ``PR_interval_ms`` and ``QT_interval_ms`` are compared with it record
by record: mean difference (bias), mean absolute difference and the fraction of records
within 10 ms.

Examples
--------
>>> from interp_ecg.features import ludb_reference_intervals
>>> import pandas as pd
>>> ann = pd.DataFrame({"record": [1] * 6, "lead": ["I", "II"] * 3,
...                     "wave": ["P", "P", "QRS", "QRS", "T", "T"],
...                     "on": [100, 102, 180, 178, 300, 302], "peak": [120, 121, 200, 201, 380, 381],
...                     "off": [140, 141, 230, 232, 440, 445]})
>>> ludb_reference_intervals(ann, fs=500).loc[1].tolist()
[108.0, 156.0, 534.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from interp_ecg.errors import ArgumentError

INTERVAL_COLUMNS = ("QRS_duration_ms", "PR_interval_ms", "QT_interval_ms")


def _beats_of_record(ann: pd.DataFrame, fs: float, how: str = "global") -> pd.DataFrame:
    first, last = ("min", "max") if how == "global" else ("median", "median")
    ms = 1000.0 / fs
    qrs = ann[ann["wave"].astype(str) == "QRS"].sort_values("peak")
    if qrs.empty:
        return pd.DataFrame(columns=["QRS_on", "QRS_off", "P_on", "T_off", "peak"])
    peaks = qrs["peak"].to_numpy(dtype=float)
    gap = np.diff(peaks) * ms > 150.0
    cluster = np.r_[0, np.cumsum(gap)]
    beats = qrs.assign(cluster=cluster).groupby("cluster").agg(
        QRS_on=("on", first), QRS_off=("off", last), peak=("peak", "median")
    )
    centres = beats["peak"].to_numpy(dtype=float)
    p = ann[ann["wave"].astype(str) == "P"]
    t = ann[ann["wave"].astype(str) == "T"]
    p_on = np.full(len(beats), np.nan)
    t_off = np.full(len(beats), np.nan)
    for i, c in enumerate(centres):
        prev_c = centres[i - 1] if i > 0 else -np.inf
        next_c = centres[i + 1] if i + 1 < len(centres) else np.inf
        sel = (p["peak"] > max(prev_c, c - 0.5 * fs)) & (p["peak"] < c)
        if sel.any():
            p_on[i] = p.loc[sel, "on"].agg(first)
        sel = (t["peak"] > c) & (t["peak"] < min(next_c, c + 0.8 * fs))
        if sel.any():
            t_off[i] = t.loc[sel, "off"].agg(last)
    beats["P_on"] = p_on
    beats["T_off"] = t_off
    return beats


def ludb_reference_intervals(
    annotations: pd.DataFrame, fs: float = 500.0, reference: str = "global"
) -> pd.DataFrame:
    """Per-record reference QRS duration, PR and QT (ms) from per-lead manual marks.

    Parameters
    ----------
    annotations : pandas.DataFrame
        ``record, lead, wave (P/QRS/T), on, peak, off`` in samples (``read_ludb(...).annotations``).
    fs : float, default 500
        Sampling rate of the annotations.
    reference : {"global", "median"}
        ``"global"``: onsets are the earliest and offsets the latest mark over the leads
        (the multi-lead definition); ``"median"``: the median mark over the leads (robust to
        one lead marked wide).

    Returns
    -------
    pandas.DataFrame
        Indexed by record: ``QRS_duration_ms``, ``PR_interval_ms``, ``QT_interval_ms``
        (median over the annotated beats of the multi-lead global intervals; ``NaN`` when
        the record has no such beat, e.g. no P wave in atrial fibrillation).
    """
    ms = 1000.0 / fs
    out = {}
    for rec, ann in annotations.groupby("record", sort=True, observed=True):
        if reference not in ("global", "median"):
            raise ArgumentError("reference must be 'global' or 'median'")
        beats = _beats_of_record(ann, fs, reference)
        qrs = (beats["QRS_off"] - beats["QRS_on"]).to_numpy(dtype=float) * ms
        pr = (beats["QRS_on"] - beats["P_on"]).to_numpy(dtype=float) * ms
        qt = (beats["T_off"] - beats["QRS_on"]).to_numpy(dtype=float) * ms

        def med(v: np.ndarray) -> float:
            v = v[np.isfinite(v)]
            return float(np.median(v)) if v.size else np.nan

        out[rec] = {"QRS_duration_ms": med(qrs), "PR_interval_ms": med(pr), "QT_interval_ms": med(qt)}
    frame = pd.DataFrame.from_dict(out, orient="index", columns=list(INTERVAL_COLUMNS))
    frame.index.name = "record"
    return frame


def interval_agreement(
    measured: pd.DataFrame,
    reference: pd.DataFrame,
    columns: Sequence[str] = INTERVAL_COLUMNS,
    tolerance_ms: float = 10.0,
) -> pd.DataFrame:
    """Agreement of measured and reference intervals, record by record.

    Parameters
    ----------
    measured, reference : pandas.DataFrame
        Indexed by record, with the interval columns (ms).
    columns : sequence of str
        Intervals to compare.
    tolerance_ms : float, default 10
        Threshold of the "within" fraction.

    Returns
    -------
    pandas.DataFrame
        One row per interval: ``n`` (records with both values), ``mean_diff_ms``
        (measured - reference), ``sd_diff_ms``, ``mean_abs_diff_ms``,
        ``frac_within_10ms`` (named after ``tolerance_ms``), ``n_missing`` (reference
        present, measurement NaN).

    Examples
    --------
    >>> from interp_ecg.features import interval_agreement
    >>> import pandas as pd
    >>> m = pd.DataFrame({"QRS_duration_ms": [100.0, 90.0]}, index=[1, 2])
    >>> r = pd.DataFrame({"QRS_duration_ms": [96.0, 110.0]}, index=[1, 2])
    >>> interval_agreement(m, r, columns=["QRS_duration_ms"]).loc["QRS_duration_ms", "mean_diff_ms"]
    np.float64(-8.0)
    """
    rows = {}
    tag = f"frac_within_{tolerance_ms:g}ms"
    common = measured.index.intersection(reference.index)
    for col in columns:
        m = pd.to_numeric(measured.loc[common, col], errors="coerce").to_numpy(dtype=float)
        r = pd.to_numeric(reference.loc[common, col], errors="coerce").to_numpy(dtype=float)
        both = np.isfinite(m) & np.isfinite(r)
        d = m[both] - r[both]
        rows[col] = {
            "n": int(both.sum()),
            "mean_diff_ms": float(d.mean()) if d.size else np.nan,
            "sd_diff_ms": float(d.std(ddof=1)) if d.size > 1 else np.nan,
            "mean_abs_diff_ms": float(np.abs(d).mean()) if d.size else np.nan,
            tag: float((np.abs(d) <= tolerance_ms).mean()) if d.size else np.nan,
            "n_missing": int((np.isfinite(r) & ~np.isfinite(m)).sum()),
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "interval"
    return out


def validate_against_reference(
    dataset,
    records: Sequence | None = None,
    method=None,
    n_jobs: int = 1,
    progress: bool = False,
    reference: str = "global",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Measure LUDB records with the package and compare with the cardiologists' intervals.

    Parameters
    ----------
    dataset : EcgDataset
        ``read_ludb(root)`` (needs ``.annotations``).
    records : sequence, optional
        Record ids to use (default: all).
    method : str or callable, optional
        Delineation method.
    n_jobs : int, default 1
        Worker processes.
    progress : bool, default False
        Progress bar.
    reference : {"global", "median"}
        How the per-lead marks are combined (see :func:`ludb_reference_intervals`).

    Returns
    -------
    summary : pandas.DataFrame
        :func:`interval_agreement` of the three intervals.
    per_record : pandas.DataFrame
        Measured and reference intervals side by side (``<interval>`` and
        ``<interval>_ref``) with the quality columns.
    """
    from interp_ecg.features.extract import extract

    if dataset.annotations is None:
        raise ArgumentError("the dataset has no annotations (use interp_ecg.io.read_ludb)")
    ds = dataset.subset(list(records)) if records is not None else dataset
    ann = ds.annotations
    if records is not None:
        ann = ann[ann["record"].isin(list(records))]
    reference = ludb_reference_intervals(ann, fs=float(ds.fs or 500.0), reference=reference)
    table = extract(ds, n_jobs=n_jobs, progress=progress, method=method)
    measured = table[list(INTERVAL_COLUMNS) + ["quality_ok", "quality_reason"]]
    per_record = measured.join(reference.add_suffix("_ref"), how="left")
    return interval_agreement(measured, reference), per_record
