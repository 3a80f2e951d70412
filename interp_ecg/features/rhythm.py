"""Rhythm features: RR statistics, short-term HRV, PVC count, P-wave presence.

RR intervals are taken between successive consensus beats (anchored on the R peak). HRV
statistics (SDNN, RMSSD, pNN50) use *normal-to-normal* intervals only, i.e. intervals whose
two beats are both dominant (not PVCs or outliers), following the Task Force of the ESC and
NASPE (Circulation 1996). On a 10 s ECG these are ultra-short-term figures.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.features.rhythm import rr_features
>>> f = rr_features(np.array([0, 500, 1000, 1500]), 500, np.array([True] * 4))
>>> f["heart_rate_bpm"], f["RR_mean_ms"], f["RMSSD_ms"]
(60.0, 1000.0, 0.0)
"""

from __future__ import annotations

import numpy as np

from interp_ecg.features.median_beat import BeatTable


def rr_features(anchors: np.ndarray, fs: float, dominant: np.ndarray) -> dict[str, float]:
    """RR and HRV statistics from beat times.

    Parameters
    ----------
    anchors : numpy.ndarray
        Sample index of every beat (R peak), increasing.
    fs : float
        Sampling rate (Hz).
    dominant : numpy.ndarray of bool
        ``True`` for normal (dominant) beats; intervals touching another beat are excluded
        from the HRV statistics.

    Returns
    -------
    dict
        ``heart_rate_bpm`` (60000 / RR mean), ``RR_mean_ms``, ``RR_sd_ms``, ``RR_min_ms``,
        ``RR_max_ms`` (all intervals), ``SDNN_ms``, ``RMSSD_ms``, ``pNN50`` (percent of
        successive NN differences > 50 ms), ``RR_irregularity`` (RMSSD / mean NN).
    """
    anchors = np.asarray(anchors, dtype=float)
    dominant = np.asarray(dominant, dtype=bool)
    rr = np.diff(anchors) * 1000.0 / fs
    out = dict.fromkeys(
        ["heart_rate_bpm", "RR_mean_ms", "RR_sd_ms", "RR_min_ms", "RR_max_ms", "SDNN_ms", "RMSSD_ms",
         "pNN50", "RR_irregularity"], np.nan)
    if rr.size == 0:
        return out
    out["RR_mean_ms"] = float(rr.mean())
    out["heart_rate_bpm"] = 60000.0 / out["RR_mean_ms"]
    out["RR_sd_ms"] = float(rr.std(ddof=1)) if rr.size > 1 else np.nan
    out["RR_min_ms"] = float(rr.min())
    out["RR_max_ms"] = float(rr.max())
    nn_ok = dominant[:-1] & dominant[1:]
    nn = np.where(nn_ok, rr, np.nan)
    if nn_ok.sum() >= 2:
        out["SDNN_ms"] = float(np.nanstd(nn, ddof=1))
    diffs = np.diff(nn)
    diffs = diffs[np.isfinite(diffs)]
    if diffs.size >= 1:
        out["RMSSD_ms"] = float(np.sqrt(np.mean(diffs**2)))
        out["pNN50"] = float(100.0 * np.mean(np.abs(diffs) > 50.0))
        out["RR_irregularity"] = out["RMSSD_ms"] / float(np.nanmean(nn))
    return out


def beat_counts(table: BeatTable, duration_s: float) -> dict[str, float]:
    """Beat, PVC and P-wave counts of one record.

    Returns
    -------
    dict
        ``n_beats``, ``n_beats_dominant``, ``PVC_count``, ``PVC_per_min`` (PVCs per minute
        of recording), ``outlier_beat_count`` and ``P_wave_presence_fraction`` (share of the
        non-PVC beats with a consensus P wave).
    """
    labels = table.beats["label"].to_numpy()
    non_pvc = labels != "PVC"
    has_p = np.isfinite(table.fiducials["P_peak"].to_numpy(dtype=float)) | np.isfinite(
        table.fiducials["P_on"].to_numpy(dtype=float)
    )
    n_pvc = float((labels == "PVC").sum())
    return {
        "n_beats": float(labels.size),
        "n_beats_dominant": float(table.beats["dominant"].sum()),
        "PVC_count": n_pvc,
        "PVC_per_min": n_pvc * 60.0 / duration_s if duration_s > 0 else np.nan,
        "outlier_beat_count": float((labels == "outlier").sum()),
        "P_wave_presence_fraction": float(has_p[non_pvc].mean()) if non_pvc.any() else np.nan,
    }
