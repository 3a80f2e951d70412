"""Multi-lead consensus of per-lead fiducial points.

As in ECGdeli (Pilia et al. 2021) and the GE 12SL program, the global onset of a wave is
taken from the earliest reliable lead and the global offset from the latest, after
rejecting leads whose value lies far from the median of all leads (outliers) and ignoring
leads flagged as flat or noisy. To resist a single aberrant lead, "earliest" is a low
quantile of the retained leads rather than their minimum.

References
----------
Pilia N, Nagel C, Lenis G, Becker S, Dossel O, Loewe A. ECGdeli - An open source ECG
delineation toolbox for MATLAB. SoftwareX 13:100639, 2021.
GE Healthcare. Marquette 12SL ECG Analysis Program, Physician's Guide (2036070-006), 2008.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.features.delineation.consensus import combine
>>> v = np.array([[100.0], [102.0], [98.0], [60.0], [np.nan]])   # 5 leads, 1 beat
>>> combine(v, "on", tol=10, quantile=0.0).tolist()            # 60 rejected as outlier
[98.0]
>>> combine(v, "off", tol=10, quantile=0.0).tolist()
[102.0]
"""

from __future__ import annotations

import numpy as np


def nanquantile_cols(v: np.ndarray, q: float) -> np.ndarray:
    """Column-wise quantile ignoring NaN (linear interpolation), NaN for empty columns.

    Same result as ``np.nanquantile(v, q, axis=0)``, several times faster on the small
    (leads x beats) arrays of one record.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([[1.0, np.nan], [3.0, np.nan], [2.0, 5.0]])
    >>> nanquantile_cols(v, 0.5).tolist()
    [2.0, 5.0]
    """
    srt = np.sort(v, axis=0)  # NaN sorts last
    n = np.sum(np.isfinite(v), axis=0)
    pos = q * np.maximum(n - 1, 0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    frac = pos - lo
    cols = np.arange(v.shape[1])
    a = srt[lo, cols]
    b = srt[hi, cols]
    out = a + (b - a) * frac
    return np.where(n > 0, out, np.nan)


def combine(values: np.ndarray, side: str, tol: float, quantile: float = 0.2,
            usable: np.ndarray | None = None, min_leads: int = 1,
            min_voters: int = 1) -> np.ndarray:
    """Global value per beat from per-lead values.

    Parameters
    ----------
    values : ndarray, shape (n_leads, n_beats)
        Per-lead sample indices, NaN where not found.
    side : {"on", "off", "peak"}
        Onsets take a low quantile, offsets a high one, peaks the median.
    tol : float
        Leads further than ``tol`` samples from the per-beat median are rejected, in beats
        where at least ``min_voters`` leads have a value.
    quantile : float
        0 gives the earliest (latest) retained lead.
    usable : ndarray of bool, shape (n_leads,), optional
        Leads allowed to vote.
    min_leads : int
        Fewer retained leads than this gives NaN.
    min_voters : int
        Fewest leads with a value for the outlier rejection to apply. With two, their
        median is their midpoint and both are rejected together when they differ by more
        than ``2 tol``; ``3`` keeps both (no lead can be outvoted by the other).
    """
    v = np.array(values, dtype=float)
    if v.ndim != 2 or v.shape[1] == 0:
        return np.full(v.shape[-1] if v.ndim else 0, np.nan)
    if usable is not None:
        v[~np.asarray(usable, dtype=bool)] = np.nan
    med = nanquantile_cols(v, 0.5)
    voters = np.sum(np.isfinite(v), axis=0) >= min_voters
    with np.errstate(invalid="ignore"):
        v[(np.abs(v - med) > tol) & voters[None, :]] = np.nan
    n = np.sum(np.isfinite(v), axis=0)
    if side == "on":
        out = nanquantile_cols(v, quantile)
    elif side == "off":
        out = nanquantile_cols(v, 1.0 - quantile)
    else:
        out = nanquantile_cols(v, 0.5)
    out = np.where(n >= max(min_leads, 1), out, np.nan)
    return np.round(out)
