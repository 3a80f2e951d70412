"""Rhythm features: RR statistics, short-term HRV, PVC count, P-wave presence.

RR intervals are taken between successive consensus beats, at the same point of every
beat: the feature pipeline passes the beat table's ``anchor_aligned``
(:func:`interp_ecg.features.beat_classes.rr_fiducials`), i.e. for the dominant beats the
point of the QRS that matches one and the same point of the dominant template by
cross-correlation, placed where the consensus R peak lies in most beats, and for ectopic
beats and outliers their own consensus R peak. The consensus R peak alone is not the same
wave in every beat (it can come from one group of leads in one beat and from another,
20-24 ms away, in the next), and HRV is defined on the intervals between the same fiducial
point of successive QRS complexes (Task Force of the ESC and NASPE, Circulation 93:1043
(1996)): with the jumping R peak a regular rhythm reads as variable (PTB-XL record 38 at
500 Hz: RMSSD 21.5 ms from the consensus R peaks, 18.2 ms from the aligned point; the
median over its twelve leads of each lead's own R-to-R interval gives 18.3 ms,
``benchmarks/beat_classes_rates.py``). HRV statistics (SDNN, RMSSD, pNN50) use
*normal-to-normal* intervals only, i.e. intervals whose two beats are both dominant (not
PVCs or outliers), following the same Task Force. On a 10 s ECG these are ultra-short-term
figures.

Each HRV statistic is computed only from at least :data:`MIN_NN_INTERVALS` (5) NN
intervals, the same count for all of them: SDNN from the NN intervals, RMSSD, pNN50 and
RR_irregularity from the NN intervals that have an NN neighbour (the successive
differences). With fewer the value is NaN and the reason names it (``return_reasons``).

Examples
--------
>>> import numpy as np
>>> from interp_ecg.features.rhythm import rr_features
>>> f = rr_features(np.arange(0, 3500, 500), 500, np.array([True] * 7))
>>> f["heart_rate_bpm"], f["RR_mean_ms"], f["RMSSD_ms"]
(60.0, 1000.0, 0.0)
"""

from __future__ import annotations

import numpy as np

from interp_ecg.features.median_beat import BeatTable

#: Fewest normal-to-normal intervals an HRV statistic is computed from (SDNN from the NN
#: intervals; RMSSD, pNN50 and RR_irregularity from the NN intervals next to another NN
#: interval). The standard deviation of n intervals has a relative standard error of about
#: 1 / sqrt(2 (n - 1)): 71 % from 2 intervals, 35 % from 5. Ultra-short-term HRV from 10 s
#: ECGs (Nussinovitch U et al., Ann Noninvasive Electrocardiol 16:117 (2011); Munoz ML et
#: al., PLoS One 10:e0138921 (2015)) is measured on 10 s at rest, i.e. on about 8-15
#: intervals; five is this package's floor, not a published cut-off: a 10 s record keeps its
#: HRV down to 36 bpm when all its beats are dominant.
MIN_NN_INTERVALS = 5
#: The HRV statistics that need :data:`MIN_NN_INTERVALS` NN intervals.
HRV_FEATURES = ("SDNN_ms", "RMSSD_ms", "pNN50", "RR_irregularity")


def rr_features(anchors: np.ndarray, fs: float, dominant: np.ndarray,
                return_reasons: bool = False) -> dict[str, float] | tuple[dict[str, float], list[str]]:
    """RR and HRV statistics from beat times.

    Parameters
    ----------
    anchors : numpy.ndarray
        Sample index (may be fractional) of the same fiducial point of every beat,
        increasing; the feature pipeline passes the beat table's ``anchor_aligned``.
    fs : float
        Sampling rate (Hz).
    dominant : numpy.ndarray of bool
        ``True`` for normal (dominant) beats; intervals touching another beat are excluded
        from the HRV statistics.
    return_reasons : bool, default False
        Also return why each NaN HRV statistic is NaN.

    Returns
    -------
    dict
        ``heart_rate_bpm`` (60000 / RR mean), ``RR_mean_ms``, ``RR_sd_ms``, ``RR_min_ms``,
        ``RR_max_ms`` (all intervals), ``SDNN_ms``, ``RMSSD_ms``, ``pNN50`` (percent of
        successive NN differences > 50 ms), ``RR_irregularity`` (RMSSD / mean NN). The
        HRV statistics are NaN with fewer than :data:`MIN_NN_INTERVALS` NN intervals.
    list of str, optional
        (``return_reasons=True``) One sentence per group of NaN HRV statistics, naming
        them, the count of NN intervals and the count needed; empty when none is NaN.

    Examples
    --------
    >>> f, why = rr_features(np.array([0, 500, 1000, 1500]), 500, np.array([True] * 4), return_reasons=True)
    >>> f["SDNN_ms"], why
    (nan, ['SDNN_ms, RMSSD_ms, pNN50, RR_irregularity: 3 normal-to-normal interval(s) (RR between two dominant beats; 4 beats, 4 dominant), at least 5 needed'])
    """
    anchors = np.asarray(anchors, dtype=float)
    dominant = np.asarray(dominant, dtype=bool)
    rr = np.diff(anchors) * 1000.0 / fs
    out = dict.fromkeys(
        ["heart_rate_bpm", "RR_mean_ms", "RR_sd_ms", "RR_min_ms", "RR_max_ms", *HRV_FEATURES], np.nan)
    reasons: list[str] = []
    if rr.size == 0:
        reasons.append(f"{', '.join(HRV_FEATURES)}: no RR interval ({anchors.size} beat(s))")
        return (out, reasons) if return_reasons else out
    out["RR_mean_ms"] = float(rr.mean())
    out["heart_rate_bpm"] = 60000.0 / out["RR_mean_ms"]
    out["RR_sd_ms"] = float(rr.std(ddof=1)) if rr.size > 1 else np.nan
    out["RR_min_ms"] = float(rr.min())
    out["RR_max_ms"] = float(rr.max())
    nn_ok = dominant[:-1] & dominant[1:]
    nn = rr[nn_ok]
    n_nn = int(nn_ok.sum())
    # successive differences: pairs of adjacent NN intervals; the NN intervals they use
    pair = nn_ok[:-1] & nn_ok[1:]
    in_pair = np.zeros(nn_ok.size, bool)
    in_pair[:-1] |= pair
    in_pair[1:] |= pair
    n_succ = int(in_pair.sum())
    if n_nn < MIN_NN_INTERVALS:
        reasons.append(f"{', '.join(HRV_FEATURES)}: {n_nn} normal-to-normal interval(s) (RR between two dominant "
                       f"beats; {anchors.size} beats, {int(dominant.sum())} dominant), at least "
                       f"{MIN_NN_INTERVALS} needed")
        return (out, reasons) if return_reasons else out
    out["SDNN_ms"] = float(np.std(nn, ddof=1))
    if n_succ < MIN_NN_INTERVALS:
        reasons.append(f"{', '.join(HRV_FEATURES[1:])}: {n_succ} normal-to-normal interval(s) next to another "
                       f"(successive differences; {n_nn} NN intervals in all), at least {MIN_NN_INTERVALS} needed")
        return (out, reasons) if return_reasons else out
    diffs = np.diff(rr)[pair]
    out["RMSSD_ms"] = float(np.sqrt(np.mean(diffs**2)))
    out["pNN50"] = float(100.0 * np.mean(np.abs(diffs) > 50.0))
    out["RR_irregularity"] = out["RMSSD_ms"] / float(nn.mean())
    return (out, reasons) if return_reasons else out


def beat_counts(table: BeatTable, duration_s: float) -> dict[str, float]:
    """Beat, PVC and P-wave counts of one record.

    Returns
    -------
    dict
        ``n_beats``, ``n_beats_dominant``, ``PVC_count``, ``PVC_per_min`` (PVCs per minute
        of recording), ``outlier_beat_count`` and ``P_wave_presence_fraction`` (share of the
        non-PVC beats with a consensus P wave). In a record without a dominant beat class
        (every beat labelled ``"unclassified"``, see
        :data:`interp_ecg.features.beat_classes.MIN_DOMINANT_BEATS`) a beat cannot be
        told to differ from the dominant ones: ``PVC_count``, ``PVC_per_min`` and
        ``outlier_beat_count`` are NaN (the reason is
        :func:`interp_ecg.features.beat_classes.no_dominant_reason`) and
        ``P_wave_presence_fraction`` is taken over all beats.

    Examples
    --------
    >>> import pandas as pd
    >>> t = BeatTable(beats=pd.DataFrame({"label": ["unclassified"] * 3, "dominant": [False] * 3}),
    ...               fiducials=pd.DataFrame({"P_peak": [1.0, float("nan"), 3.0], "P_on": [float("nan")] * 3}))
    >>> c = beat_counts(t, 10.0)
    >>> c["n_beats_dominant"], c["PVC_count"], c["P_wave_presence_fraction"]
    (0.0, nan, 0.6666666666666666)
    """
    labels = table.beats["label"].to_numpy()
    non_pvc = labels != "PVC"
    has_p = np.isfinite(table.fiducials["P_peak"].to_numpy(dtype=float)) | np.isfinite(
        table.fiducials["P_on"].to_numpy(dtype=float)
    )
    n_pvc = float((labels == "PVC").sum())
    n_outlier = float((labels == "outlier").sum())
    if labels.size and (labels == "unclassified").all():  # beat_classes.UNCLASSIFIED: no dominant class
        n_pvc = n_outlier = np.nan
    return {
        "n_beats": float(labels.size),
        "n_beats_dominant": float(table.beats["dominant"].sum()),
        "PVC_count": n_pvc,
        "PVC_per_min": n_pvc * 60.0 / duration_s if duration_s > 0 else np.nan,
        "outlier_beat_count": n_outlier,
        "P_wave_presence_fraction": float(has_p[non_pvc].mean()) if non_pvc.any() else np.nan,
    }
