"""Tiny 12-lead test signals with exactly known fiducials (for testing measurements).

Not a realistic simulator (that is :mod:`interp_ecg.simulate`): each wave is a Gaussian whose
limb-lead amplitudes follow a frontal dipole (lead value = magnitude x cos(axis - lead
angle)), so intervals, amplitudes and axes are known exactly. :func:`gaussian_ecg` returns
the signal and its ground-truth delineation table in the layout of
:func:`interp_ecg.features.delineate`; :class:`TruthDelineator` replays such a table and
:class:`OffsetDelineator` finds R peaks and applies known offsets (for datasets of these
signals).

Examples
--------
>>> from interp_ecg.features.synthetic import gaussian_ecg
>>> sig, truth = gaussian_ecg(hr_bpm=75, duration_s=4)
>>> sig.shape, sorted(set(truth["lead"]))[:2]
((12, 2000), ['I', 'II'])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from interp_ecg.features.measurements import HEXAXIAL
from interp_ecg.features.median_beat import FIDUCIALS
from interp_ecg.io.leads import STANDARD_LEADS

#: Precordial (R, S) amplitudes in mV, V1..V6: a normal R-wave progression.
PRECORDIAL_RS = {"V1": (0.2, -1.0), "V2": (0.4, -1.2), "V3": (0.7, -0.8), "V4": (1.2, -0.5),
                 "V5": (1.3, -0.3), "V6": (1.0, -0.2)}


def _gauss(t: np.ndarray, centre: float, sigma: float) -> np.ndarray:
    return np.exp(-0.5 * ((t - centre) / sigma) ** 2)


def gaussian_ecg(
    fs: float = 500.0,
    duration_s: float = 10.0,
    hr_bpm: float = 60.0,
    pr_ms: float = 160.0,
    p_ms: float = 100.0,
    qrs_ms: float = 96.0,
    qt_ms: float = 400.0,
    qrs_axis_deg: float = 60.0,
    p_axis_deg: float = 50.0,
    t_axis_deg: float = 40.0,
    qrs_mag_mV: float = 1.5,
    p_mag_mV: float = 0.15,
    t_mag_mV: float = 0.4,
    p_present: bool = True,
    pvc_beats: Sequence[int] = (),
    noise_mV: float = 0.0,
    random_state: int | None = 0,
) -> tuple[np.ndarray, pd.DataFrame]:
    """A 12-lead ECG of Gaussian waves and its exact delineation table.

    Each QRS is an R Gaussian (sigma = QRS/10 at 40 % of the QRS) and an S Gaussian
    (sigma = QRS/14, at 78 %) of a quarter of R's size, both scaled by the lead's
    projection of the QRS axis (limb leads) or by :data:`PRECORDIAL_RS`. Fiducials: QRS on
    and off as given, P on/off at +-3 sigma of the P Gaussian ending ``pr_ms - p_ms`` before
    QRS onset, T off at QRS onset + ``qt_ms`` and T on 3 sigma (40 ms each) before the T peak.
    Beats listed in ``pvc_beats`` come 40 % early, have no P, a 160 ms QRS of opposite
    polarity and an opposite T.

    Returns
    -------
    signal : numpy.ndarray
        ``(12, n)`` float32 in mV.
    truth : pandas.DataFrame
        ``lead, beat, P_on, ..., T_off`` for every lead (identical timing) plus ``global``.
    """
    rng = np.random.default_rng(random_state)
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs * 1000.0  # ms
    rr = 60000.0 / hr_bpm
    starts = []
    pos = 250.0 + (pr_ms if p_present else 0.0)
    k = 0
    while pos + qt_ms + 150 < t[-1]:
        early = k in set(pvc_beats)
        if early:
            pos -= 0.4 * rr
        starts.append((pos, early))
        pos += rr + (0.4 * rr if early else 0.0)
        k += 1
    sig = np.zeros((12, n))
    rows = []
    sig_t = 40.0
    for beat, (qon, pvc) in enumerate(starts):
        qrs = 160.0 if pvc else qrs_ms
        qoff = qon + qrs
        r_c, s_c = qon + 0.40 * qrs, qon + 0.78 * qrs
        t_off = qon + (qt_ms + 40 if pvc else qt_ms)
        t_peak = t_off - 3 * sig_t
        t_on = t_peak - 3 * sig_t
        fid = dict(QRS_on=qon, R_peak=r_c, QRS_off=qoff, T_on=t_on, T_peak=t_peak, T_off=t_off,
                   P_on=np.nan, P_peak=np.nan, P_off=np.nan)
        if p_present and not pvc:
            p_off = qon - (pr_ms - p_ms)
            p_on = p_off - p_ms
            fid.update(P_on=p_on, P_peak=(p_on + p_off) / 2, P_off=p_off)
        sign = -1.0 if pvc else 1.0
        for i, lead in enumerate(STANDARD_LEADS):
            if lead in HEXAXIAL:
                ang = np.deg2rad(HEXAXIAL[lead])
                # the augmented leads see the frontal vector at sqrt(3)/2 of the bipolar
                # leads' gain (Goldberger: aVF = (II + III)/2), so that the six limb leads
                # obey Einthoven's and Goldberger's identities as a recording does
                gain = np.sqrt(3.0) / 2.0 if lead.startswith("aV") else 1.0
                r_amp = gain * qrs_mag_mV * np.cos(np.deg2rad(qrs_axis_deg) - ang)
                s_amp = -0.25 * r_amp
                t_amp = gain * t_mag_mV * np.cos(np.deg2rad(t_axis_deg) - ang)
                p_amp = gain * p_mag_mV * np.cos(np.deg2rad(p_axis_deg) - ang)
            else:
                r_amp, s_amp = PRECORDIAL_RS[lead]
                t_amp, p_amp = t_mag_mV * 0.8, p_mag_mV * 0.6
            sig[i] += sign * r_amp * _gauss(t, r_c, qrs / 10.0)
            sig[i] += sign * s_amp * _gauss(t, s_c, qrs / 14.0)
            sig[i] += sign * t_amp * _gauss(t, t_peak, sig_t)
            if np.isfinite(fid["P_on"]):
                sig[i] += p_amp * _gauss(t, fid["P_peak"], p_ms / 6.0)
        for lead in [*STANDARD_LEADS, "global"]:
            rows.append({"lead": lead, "beat": beat, **{k: fid[k] * fs / 1000.0 for k in FIDUCIALS}})
    if noise_mV > 0:
        sig += rng.normal(0.0, noise_mV, sig.shape)
    truth = pd.DataFrame(rows, columns=["lead", "beat", *FIDUCIALS])
    for col in FIDUCIALS:
        truth[col] = truth[col].round()
    return sig.astype(np.float32), truth


class TruthDelineator:
    """A delineator that returns a fixed table (the ground truth of one record)."""

    def __init__(self, table: pd.DataFrame):
        self.table = table

    def __call__(self, signal: np.ndarray, fs: float, leads: Sequence[str]) -> pd.DataFrame:
        keep = self.table["lead"].isin([*leads, "global"])
        return self.table[keep].reset_index(drop=True)


class OffsetDelineator:
    """Finds R peaks (largest deflection summed over leads) and applies fixed offsets (ms).

    For datasets of :func:`gaussian_ecg` signals with the same ``pr_ms``, ``p_ms``,
    ``qrs_ms`` and ``qt_ms``; the offsets are relative to the R peak.
    """

    def __init__(self, pr_ms: float = 160.0, p_ms: float = 100.0, qrs_ms: float = 96.0, qt_ms: float = 400.0):
        self.pr_ms, self.p_ms, self.qrs_ms, self.qt_ms = pr_ms, p_ms, qrs_ms, qt_ms

    def __call__(self, signal: np.ndarray, fs: float, leads: Sequence[str]) -> pd.DataFrame:
        from scipy.signal import find_peaks

        energy = np.abs(np.asarray(signal, float)).sum(axis=0)
        if energy.max() <= 0:
            return pd.DataFrame(columns=["lead", "beat", *FIDUCIALS])
        peaks, _ = find_peaks(energy, height=0.5 * energy.max(), distance=int(0.25 * fs))
        q = self.qrs_ms
        rel = dict(QRS_on=-0.40 * q, R_peak=0.0, QRS_off=0.60 * q, T_off=-0.40 * q + self.qt_ms)
        rel.update(T_peak=rel["T_off"] - 120, T_on=rel["T_off"] - 240,
                   P_off=rel["QRS_on"] - (self.pr_ms - self.p_ms))
        rel.update(P_on=rel["P_off"] - self.p_ms, P_peak=rel["P_off"] - self.p_ms / 2)
        rows = []
        for beat, p in enumerate(peaks):
            fid = {k: float(round(p + rel[k] * fs / 1000.0)) for k in FIDUCIALS}
            for lead in [*leads, "global"]:
                rows.append({"lead": lead, "beat": beat, **fid})
        return pd.DataFrame(rows, columns=["lead", "beat", *FIDUCIALS])
