"""Beat model: each beat is a sum of asymmetric Gaussian waves of a 3-D cardiac dipole.

A beat has nine *slots*: two P components (right then left atrium), five QRS components and
two T components. A slot holds a centre ``mu`` (s), a left and a right width ``sl``/``sr``
(s, the Gaussian's standard deviation before and after its centre) and a dipole vector
(mV, ``x y z``, see :mod:`interp_ecg.simulate.leadfield`). Unused slots have a zero vector.
Precordial non-dipolar content is carried by a per-slot, per-lead gain on the chest leads.

Ground-truth fiducials (definition)
-----------------------------------
For every beat, wave (P, QRS, T) and lead, the noise-free waveform of that wave alone,
``w(t)`` (the sum of the wave's components projected on the lead), is evaluated on the
record's sample grid:

* ``*_on`` / ``*_off``: the first / last sample where ``|w| >= ONSET_FRACTION * max|w|``
  (``ONSET_FRACTION = 0.01``: 1 % of the wave's peak in that lead; for one Gaussian component
  that is ``mu -/+ 3.03 sigma``. 1 % rather than 5 % because delineators, and cardiologists,
  mark on- and offsets where the wave visibly leaves the baseline, which on real ECGs and on
  these Gaussian waves is close to 1 % of the peak: see ``benchmarks/simulate_realism.py``);
* ``*_peak`` (``R_peak`` for the QRS): the sample of ``max |w|``, the wave's dominant
  deflection in that lead (the S or QS nadir where the QRS is mainly negative);
* all three are NaN in a lead where ``max |w|`` is below ``ABSENT_MV`` (the wave is
  invisible there) and in every lead when the wave does not exist (no P in AF or VT).

The ``global`` rows take the earliest onset and the latest offset over the twelve leads and
the sample of the largest spatial magnitude ``|d(t)|`` of the wave's dipole as its peak.
Points outside the record are NaN.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.simulate.waves import gaussian_sum
>>> t = np.arange(5) / 500
>>> g = gaussian_sum(t, np.array([0.004]), np.array([0.002]), np.array([0.002]))
>>> round(float(g[0, 2]), 3)
1.0
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from interp_ecg.features.delineation.schema import FIDUCIALS
from interp_ecg.simulate.leadfield import DERIVE_12, LEAD_FIELD_8, LEADS

ONSET_FRACTION = 0.01
#: Envelope multiple of sigma at which a component falls to ONSET_FRACTION of its peak.
C_ONSET = float(np.sqrt(2.0 * np.log(1.0 / ONSET_FRACTION)))
#: A wave smaller than this (mV) in a lead counts as absent there.
ABSENT_MV = {"P": 0.015, "QRS": 0.03, "T": 0.02}

N_SLOTS = 9
P_SLOTS = slice(0, 2)
QRS_SLOTS = slice(2, 7)
T_SLOTS = slice(7, 9)
WAVES = ("P", "QRS", "T")
_WAVE_SLOTS = {"P": P_SLOTS, "QRS": QRS_SLOTS, "T": T_SLOTS}
#: Beat types: supraventricular (sinus, AF, SVT), ventricular (PVC, VT), P wave alone.
BEAT_TYPES = ("N", "V", "P")
_PEAK_NAME = {"P": "P_peak", "QRS": "R_peak", "T": "T_peak"}


def gaussian_sum(t: np.ndarray, mu: np.ndarray, sl: np.ndarray, sr: np.ndarray) -> np.ndarray:
    """Asymmetric unit Gaussians ``(len(mu), len(t))`` (broadcast over leading axes of mu)."""
    d = t[..., None, :] - mu[..., None] if t.ndim > 1 else t[None, :] - mu[..., None]
    s = np.where(d < 0, sl[..., None], sr[..., None])
    return np.exp(-0.5 * (d / s) ** 2)


def render(
    mu: np.ndarray, sl: np.ndarray, sr: np.ndarray, coef8: np.ndarray, n_samples: int, fs: float
) -> np.ndarray:
    """Sum all components into the eight independent leads ``(8, n_samples)``.

    ``mu, sl, sr`` are flat ``(M,)``; ``coef8`` is ``(M, 8)`` (mV per lead). Each component is
    evaluated only within +-5 sigma of its centre, so the cost grows with the number of
    beats, not with beats x samples.
    """
    out = np.zeros((8, n_samples))
    keep = np.abs(coef8).max(axis=1) > 0
    mu, sl, sr, coef8 = mu[keep], sl[keep], sr[keep], coef8[keep]
    if mu.size == 0:
        return out
    width = np.maximum(sl, sr)
    # bucket narrow (P, QRS) and broad (T, VT) components so each gets a window to its size
    bucket = np.digitize(width, [0.02, 0.045])
    for b in np.unique(bucket):
        sel = bucket == b
        m, a, c, k = mu[sel], sl[sel], sr[sel], coef8[sel]
        half = int(np.ceil(5.0 * width[sel].max() * fs)) + 1
        centre = np.round(m * fs).astype(np.int64)
        idx = centre[:, None] + np.arange(-half, half + 1)[None, :]  # (M, W)
        d = idx / fs - m[:, None]
        s = np.where(d < 0, a[:, None], c[:, None])
        g = np.exp(-0.5 * (d / s) ** 2)  # (M, W)
        g[(idx < 0) | (idx >= n_samples)] = 0.0
        flat_idx = np.clip(idx, 0, n_samples - 1).ravel()
        # one bincount for all 8 leads: offset each lead by n_samples
        lead_idx = (np.arange(8)[:, None] * n_samples + flat_idx[None, :]).ravel()
        w = (k.T[:, :, None] * g[None, :, :]).ravel()
        out += np.bincount(lead_idx, weights=w, minlength=8 * n_samples).reshape(8, n_samples)
    return out


def fiducials(
    mu: np.ndarray,
    sl: np.ndarray,
    sr: np.ndarray,
    vec: np.ndarray,
    coef8: np.ndarray,
    fs: float,
    n_samples: int,
) -> dict[str, np.ndarray]:
    """Ground-truth fiducials of every beat in every lead (see the module's definition).

    Parameters
    ----------
    mu, sl, sr : ndarray ``(B, 9)``
        Slot centres and widths of ``B`` beats, seconds.
    vec : ndarray ``(B, 9, 3)``
        Dipole vector of each slot (for the global peak).
    coef8 : ndarray ``(B, 9, 8)``
        Slot amplitude in each independent lead (mV).

    Returns
    -------
    dict
        ``name -> (B, 13)`` float arrays of sample indices (12 leads then ``global``).
    """
    n_beats = mu.shape[0]
    out: dict[str, np.ndarray] = {}
    coef12 = np.einsum("bkj,lj->bkl", coef8, DERIVE_12)  # (B, 9, 12)
    for wave in WAVES:
        sl_ = _WAVE_SLOTS[wave]
        m, a, b = mu[:, sl_], sl[:, sl_], sr[:, sl_]
        c12, v = coef12[:, sl_, :], vec[:, sl_, :]
        present_slot = np.abs(v).max(axis=2) > 0  # (B, K)
        names = [f"{wave}_on", _PEAK_NAME[wave], f"{wave}_off"]
        res = {n: np.full((n_beats, 13), np.nan) for n in names}
        beats = np.flatnonzero(present_slot.any(axis=1))
        if beats.size:
            m, a, b, c12, v, ps = m[beats], a[beats], b[beats], c12[beats], v[beats], present_slot[beats]
            # window around each beat's wave, on the sample grid
            lo = np.nanmin(np.where(ps, m - 5 * a, np.nan), axis=1)
            hi = np.nanmax(np.where(ps, m + 5 * b, np.nan), axis=1)
            start = np.floor(lo * fs).astype(np.int64)
            width = int(np.max(np.ceil(hi * fs).astype(np.int64) - start)) + 2
            idx = start[:, None] + np.arange(width)[None, :]  # (Bw, W)
            t = idx / fs
            d = t[:, None, :] - m[:, :, None]  # (Bw, K, W)
            s = np.where(d < 0, a[:, :, None], b[:, :, None])
            g = np.exp(-0.5 * (d / s) ** 2) * ps[:, :, None]
            w = np.einsum("bkl,bkw->blw", c12, g)  # (Bw, 12, W)
            aw = np.abs(w)
            amax = aw.max(axis=2)  # (Bw, 12)
            above = aw >= ONSET_FRACTION * amax[:, :, None]
            on = idx[:, None, 0] + above.argmax(axis=2)
            off = idx[:, None, 0] + (width - 1 - above[:, :, ::-1].argmax(axis=2))
            pk = idx[:, None, 0] + aw.argmax(axis=2)
            absent = amax < ABSENT_MV[wave]
            vals = [np.where(absent, np.nan, x.astype(float)) for x in (on, pk, off)]
            # global: earliest onset, latest offset, peak of the spatial magnitude
            mag = np.sqrt((np.einsum("bkj,bkw->bjw", v, g) ** 2).sum(axis=1))  # (Bw, W)
            gpk = idx[:, 0] + mag.argmax(axis=1)
            gon = _nan_reduce(vals[0], np.min, np.inf)
            goff = _nan_reduce(vals[2], np.max, -np.inf)
            gvals = [gon, gpk.astype(float), goff]
            for n, x, gx in zip(names, vals, gvals):
                full = np.concatenate([x, gx[:, None]], axis=1)
                full[(full < 0) | (full >= n_samples)] = np.nan
                res[n][beats] = full
        out.update(res)
    return out


def _nan_reduce(x: np.ndarray, fn, fill: float) -> np.ndarray:
    r = fn(np.where(np.isnan(x), fill, x), axis=1)
    return np.where(np.isinf(r), np.nan, r)


def fiducial_frame(
    fid: dict[str, np.ndarray], beat_types: np.ndarray, record: str | int | None = None
) -> pd.DataFrame:
    """Long DataFrame ``[record,] lead, beat, beat_type, P_on ... T_off`` from :func:`fiducials`.

    Beats whose every fiducial lies outside the record are dropped; beat numbers count the
    remaining ones in time order from 0.
    """
    n_beats = beat_types.shape[0]
    lead_names = list(LEADS) + ["global"]
    glob = np.stack([fid[c][:, -1] for c in FIDUCIALS], axis=1)
    keep = ~np.all(np.isnan(glob), axis=1)
    kept = np.flatnonzero(keep)
    nk = kept.size
    data = {
        "lead": pd.Categorical.from_codes(np.tile(np.arange(13), nk), categories=lead_names),
        "beat": np.repeat(np.arange(nk), 13),
        "beat_type": pd.Categorical(np.repeat(beat_types[kept], 13), categories=list(BEAT_TYPES)),
    }
    for c in FIDUCIALS:
        data[c] = fid[c][kept].ravel()
    df = pd.DataFrame(data)
    if record is not None:
        df.insert(0, "record", record)
    return df


def slot_coefficients(vec: np.ndarray, precordial_gain: np.ndarray | None = None) -> np.ndarray:
    """Amplitude of each slot in the eight independent leads: ``vec @ LEAD_FIELD_8.T``.

    ``precordial_gain`` ``(..., 9, 6)`` multiplies the chest-lead amplitudes (non-dipolar
    content, e.g. electrode proximity); the limb leads stay purely dipolar.
    """
    coef = vec @ LEAD_FIELD_8.T
    if precordial_gain is not None:
        coef[..., 2:] = coef[..., 2:] * precordial_gain
    return coef
