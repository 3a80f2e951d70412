"""Multi-lead consensus of per-lead fiducial points.

As in ECGdeli (Pilia et al. 2021) and the GE 12SL program, the global onset of a wave is
taken from the earliest reliable lead and the global offset from the latest, after
rejecting leads whose value lies far from the median of all leads (outliers) and ignoring
leads flagged as flat or noisy. To resist a single aberrant lead, "earliest" is a low
quantile of the retained leads rather than their minimum.

A lead rejected as an outlier is not always wrong: the terminal R' of right bundle branch
block is often seen in V1 (and V2) only, so the leads that carry the true end of the QRS are
the minority and lie far from the median. :func:`combine` can therefore confirm a rejected
lead by its own signal (``slope``, ``slope_noise``, ``confirm_k``): where the lead's slope
between the consensus value and its own boundary stands ``confirm_k`` times above the
lead's slope noise, that stretch is part of its complex, not noise or a slow wave, and the
consensus is moved out to the lead's boundary -- the global QRS runs from the earliest
onset to the latest offset over the simultaneous leads (Kligfield et al. 2007; CSE).

References
----------
Pilia N, Nagel C, Lenis G, Becker S, Dossel O, Loewe A. ECGdeli - An open source ECG
delineation toolbox for MATLAB. SoftwareX 13:100639, 2021.
GE Healthcare. Marquette 12SL ECG Analysis Program, Physician's Guide (2036070-006), 2008.
Kligfield P et al. Recommendations for the standardization and interpretation of the
electrocardiogram, part I. Circulation 115:1306-1324, 2007.

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
    >>> from interp_ecg.features.delineation.consensus import nanquantile_cols
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
            min_voters: int = 1, slope: np.ndarray | None = None,
            slope_noise: np.ndarray | None = None, confirm_k: float = 0.0) -> np.ndarray:
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
    slope : ndarray, shape (n_leads, n_samples), optional
        Each lead's slope signal (any unit), indexed by the sample indices of ``values``.
    slope_noise : ndarray, shape (n_leads,), optional
        Each lead's slope noise, in the unit of ``slope`` (NaN: the lead cannot be
        confirmed).
    confirm_k : float
        With ``slope`` and ``slope_noise`` given and ``confirm_k > 0`` (onsets and offsets
        only): a lead rejected as an outlier whose value lies beyond the consensus (later
        for offsets, earlier for onsets) is confirmed when its largest absolute slope
        between the consensus and its own value reaches ``confirm_k`` times its slope
        noise; the consensus is then the most extreme confirmed value. A lead that merely
        drifts, or that took a slow wave or noise for part of the complex, stays rejected.

    Returns
    -------
    ndarray, shape (n_beats,)
        Rounded sample index per beat, NaN where fewer than ``min_leads`` leads remain.

    Examples
    --------
    A terminal deflection seen in one lead of five (steep slope from sample 100 to 120)
    moves the global offset out to that lead; without it, the lead is an outlier:

    >>> from interp_ecg.features.delineation.consensus import combine
    >>> import numpy as np
    >>> off = np.array([[60.0], [62.0], [58.0], [61.0], [120.0]])
    >>> slope = np.zeros((5, 200)); slope[4, 100:120] = 5.0
    >>> noise = np.full(5, 0.1)
    >>> combine(off, "off", tol=20, quantile=0.0).tolist()
    [62.0]
    >>> combine(off, "off", tol=20, quantile=0.0, slope=slope, slope_noise=noise,
    ...         confirm_k=20).tolist()
    [120.0]
    >>> combine(off, "off", tol=20, quantile=0.0, slope=slope * 0.2, slope_noise=noise,
    ...         confirm_k=20).tolist()                  # a slow wave stays an outlier
    [62.0]
    """
    v = np.array(values, dtype=float)
    if v.ndim != 2 or v.shape[1] == 0:
        return np.full(v.shape[-1] if v.ndim else 0, np.nan)
    if usable is not None:
        v[~np.asarray(usable, dtype=bool)] = np.nan
    med = nanquantile_cols(v, 0.5)
    voters = np.sum(np.isfinite(v), axis=0) >= min_voters
    with np.errstate(invalid="ignore"):
        rejected = (np.abs(v - med) > tol) & voters[None, :]
    outliers = np.where(rejected, v, np.nan)
    v[rejected] = np.nan
    n = np.sum(np.isfinite(v), axis=0)
    if side == "on":
        out = nanquantile_cols(v, quantile)
    elif side == "off":
        out = nanquantile_cols(v, 1.0 - quantile)
    else:
        out = nanquantile_cols(v, 0.5)
    out = np.where(n >= max(min_leads, 1), out, np.nan)
    if confirm_k > 0 and slope is not None and slope_noise is not None and side in ("on", "off"):
        out = _confirmed_extreme(out, outliers, side, np.asarray(slope),
                                 np.asarray(slope_noise, dtype=float), confirm_k)
    return np.round(out)


def _confirmed_extreme(out: np.ndarray, outliers: np.ndarray, side: str, slope: np.ndarray,
                       noise: np.ndarray, k: float) -> np.ndarray:
    """Move ``out`` to the most extreme outlier whose own slope confirms it (see
    :func:`combine`)."""
    late = side == "off"
    with np.errstate(invalid="ignore"):
        beyond = np.isfinite(outliers) & np.isfinite(out)[None, :] & (
            outliers > out[None, :] if late else outliers < out[None, :])
    leads, beats = np.nonzero(beyond)
    if leads.size == 0:
        return out
    base, out = out, out.copy()
    n_s = slope.shape[1]
    for i, b in zip(leads, beats):
        # the stretch between the consensus and the lead's own boundary
        x = int(outliers[i, b])
        c = int(round(base[b]))
        lo, hi = (c + 1, x + 1) if late else (x, c)
        lo, hi = max(lo, 0), min(hi, n_s)
        if hi <= lo or not np.isfinite(noise[i]):
            continue
        if np.max(np.abs(slope[i, lo:hi])) >= k * noise[i]:
            # the most extreme confirmed lead wins
            out[b] = max(out[b], outliers[i, b]) if late else min(out[b], outliers[i, b])
    return out


def complex_snr(x: np.ndarray, on: np.ndarray, off: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Peak-to-peak amplitude of each lead's complex over its noise, ``(n_leads, n_beats)``.

    Parameters
    ----------
    x : ndarray, shape (n_leads, n_samples)
        Signal (mV), e.g. the QRS band.
    on, off : ndarray, shape (n_leads, n_beats)
        The complex's boundaries in each lead (sample indices, NaN where absent).
    noise : ndarray, shape (n_leads,) or (n_leads, 1)
        Each lead's amplitude noise (mV).

    Returns
    -------
    ndarray
        NaN where a boundary is missing or the noise is not positive.

    Examples
    --------
    >>> from interp_ecg.features.delineation.consensus import complex_snr
    >>> import numpy as np
    >>> x = np.zeros((2, 50)); x[0, 10:20] = 1.0; x[1, 10:20] = 0.2
    >>> complex_snr(x, np.array([[8.0], [8.0]]), np.array([[22.0], [np.nan]]), np.array([0.1, 0.1])).tolist()
    [[10.0], [nan]]
    """
    on = np.asarray(on, float)
    off = np.asarray(off, float)
    nz = np.asarray(noise, float).reshape(-1)
    out = np.full(on.shape, np.nan)
    ok = np.isfinite(on) & np.isfinite(off) & (off >= on) & (nz[:, None] > 0)
    for k, b in zip(*np.nonzero(ok)):
        seg = x[k, int(on[k, b]):int(off[k, b]) + 1]
        out[k, b] = (seg.max() - seg.min()) / nz[k]
    return out


def snr_weighted_pull(values: np.ndarray, snr: np.ndarray, usable: np.ndarray, tol: float,
                      pull: float) -> np.ndarray:
    """Pull each of two leads' boundaries towards the other by the other's share of the SNR.

    With two leads, lead ``a`` moves to ``a + pull * s_b / (s_a + s_b) * (b - a)``, where
    ``s`` is each lead's complex amplitude over its noise (:func:`complex_snr`): a boundary
    is timed more precisely where the complex stands higher above the noise, so the
    combination weights the two estimates by it (with equal SNRs each lead moves
    ``pull / 2`` of the way, the symmetric shrinkage towards the pair's midpoint with
    weight ``1 - pull``). Beats where a lead is missing, unusable, has no SNR, or where the
    two leads lie more than ``2 tol`` apart (both are outliers of their midpoint, as in
    :func:`combine`) are left as they are; so is any record without exactly two usable
    leads.

    Parameters
    ----------
    values, snr : ndarray, shape (n_leads, n_beats)
    usable : ndarray of bool, shape (n_leads,)
    tol : float
        Samples.
    pull : float
        Total share moved, 0 (each lead alone) to 1.

    Returns
    -------
    ndarray
        Rounded sample indices, NaN where ``values`` is.

    Examples
    --------
    >>> from interp_ecg.features.delineation.consensus import snr_weighted_pull
    >>> import numpy as np
    >>> v = np.array([[100.0], [110.0]])
    >>> snr_weighted_pull(v, np.array([[30.0], [10.0]]), np.ones(2, bool), 20, 0.4).tolist()
    [[101.0], [107.0]]
    """
    v = np.asarray(values, float)
    use = np.flatnonzero(np.asarray(usable, bool))
    if use.size != 2 or v.shape[0] < 2:
        return np.round(v)
    i, j = use
    a, b = v[i], v[j]
    sa, sb = np.asarray(snr, float)[i], np.asarray(snr, float)[j]
    with np.errstate(invalid="ignore"):
        ok = (np.isfinite(a) & np.isfinite(b) & np.isfinite(sa) & np.isfinite(sb) & (sa + sb > 0)
              & (np.abs(a - b) <= 2 * tol))
        tot = np.where(ok, sa + sb, 1.0)
        out = v.copy()
        out[i] = np.where(ok, a + pull * sb / tot * (b - a), a)
        out[j] = np.where(ok, b + pull * sa / tot * (a - b), b)
    return np.round(out)


def visible_later_end(values: np.ndarray, usable: np.ndarray, slope: np.ndarray,
                      slope_noise: np.ndarray, k: float) -> np.ndarray:
    """Two-lead global offset: the later lead counts only as far as its slope is visible.

    The global QRS end is the latest end over the leads *where the QRS end is visible*
    (CSE Working Party, Willems et al. 1985; IEC 60601-2-51). Of two usable leads, the
    later one's own offset is found where its slope falls below a share of its own largest
    slope; in a low-amplitude complex that share can lie below the lead's noise, and the
    offset then walks on over noise-level wiggles. Here the later lead moves the global end
    beyond the earlier lead's offset only as far as its own slope still reaches ``k`` times
    its slope noise: the end is one sample after the last such sample between the two
    offsets (at most the later lead's own offset), or the earlier lead's offset where none.

    Parameters
    ----------
    values : ndarray, shape (n_leads, n_beats)
        Each lead's offset (sample indices, NaN where absent).
    usable : ndarray of bool, shape (n_leads,)
        Exactly two usable leads, else ``values``' latest is returned unchanged.
    slope : ndarray, shape (n_leads, n_samples)
        Each lead's slope signal.
    slope_noise : ndarray, shape (n_leads,)
        Each lead's slope noise, in the unit of ``slope`` (NaN: the lead is not checked).
    k : float
        Multiple of the noise; ``k <= 0`` returns the latest offset.

    Returns
    -------
    ndarray, shape (n_beats,)
        The global offset (sample index; NaN where neither lead has one).

    Examples
    --------
    Lead 1 ends at 100, lead 0 at 120, but lead 0's slope after sample 104 is at its noise:

    >>> from interp_ecg.features.delineation.consensus import visible_later_end
    >>> import numpy as np
    >>> slope = np.zeros((2, 200)); slope[0, 60:105] = 1.0; slope[0, 105:120] = 0.1
    >>> v = np.array([[120.0], [100.0]])
    >>> visible_later_end(v, np.ones(2, bool), slope, np.array([0.1, 0.1]), 3.0).tolist()
    [105.0]
    >>> visible_later_end(v, np.ones(2, bool), slope, np.array([0.1, 0.1]), 0.0).tolist()
    [120.0]
    """
    v = np.asarray(values, float)
    use = np.flatnonzero(np.asarray(usable, bool))
    u = v[use] if use.size else v[:0]
    with np.errstate(invalid="ignore"):
        out = np.where(np.isfinite(u).any(axis=0), np.nanmax(np.where(np.isfinite(u), u, -np.inf),
                                                             axis=0), np.nan) if u.size else \
            np.full(v.shape[1], np.nan)
    if k <= 0 or use.size != 2:
        return out
    noise = np.asarray(slope_noise, float)
    n_s = slope.shape[1]
    for b in np.flatnonzero(np.isfinite(u).all(axis=0) & (u[0] != u[1])):
        late = use[int(np.argmax(u[:, b]))]
        e, l_ = int(np.min(u[:, b])), int(np.max(u[:, b]))
        if not np.isfinite(noise[late]) or e + 1 >= n_s:
            continue
        seg = np.abs(slope[late, e + 1:min(l_, n_s - 1) + 1])
        vis = np.flatnonzero(seg >= k * noise[late])
        out[b] = min(l_, e + 1 + int(vis[-1]) + 1) if vis.size else e
    return out


def visible_ends(values: np.ndarray, start: np.ndarray, slope: np.ndarray,
                 slope_noise: np.ndarray, k: float) -> np.ndarray:
    """Each lead's offset trimmed back to where its slope is last visible above its noise.

    For each lead and beat, the end is one sample after the last sample between ``start``
    (e.g. the lead's R peak) and the offset where ``|slope|`` reaches ``k`` times the lead's
    slope noise, at most the offset itself; the offset unchanged where the noise is NaN or
    ``start`` is missing, ``start`` where no sample qualifies.

    Parameters
    ----------
    values, start : ndarray, shape (n_leads, n_beats)
        Offsets and the samples the search stops at (sample indices, NaN where absent).
    slope : ndarray, shape (n_leads, n_samples)
    slope_noise : ndarray, shape (n_leads,)
    k : float

    Returns
    -------
    ndarray, shape (n_leads, n_beats)

    Examples
    --------
    >>> from interp_ecg.features.delineation.consensus import visible_ends
    >>> import numpy as np
    >>> slope = np.zeros((1, 200)); slope[0, 60:105] = 1.0; slope[0, 105:120] = 0.1
    >>> visible_ends(np.array([[120.0]]), np.array([[80.0]]), slope, np.array([0.1]), 3.0).tolist()
    [[105.0]]
    """
    v = np.asarray(values, float)
    st = np.asarray(start, float)
    out = v.copy()
    noise = np.asarray(slope_noise, float).reshape(-1)
    n_s = slope.shape[1]
    ok = np.isfinite(v) & np.isfinite(st) & np.isfinite(noise)[:, None] & (st < v)
    for i, b in zip(*np.nonzero(ok)):
        s0, e = int(st[i, b]), min(int(v[i, b]), n_s - 1)
        vis = np.flatnonzero(np.abs(slope[i, s0 + 1:e + 1]) >= k * noise[i])
        out[i, b] = min(v[i, b], s0 + 1 + int(vis[-1]) + 1) if vis.size else s0
    return out
