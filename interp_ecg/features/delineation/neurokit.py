"""NeuroKit2's delineator behind this package's API (``method="neurokit_dwt"``).

Each lead goes through ``neurokit2.ecg_process`` (cleaning and R-peak detection) and then
``neurokit2.ecg_delineate(method="dwt")``, the discrete-wavelet delineator of NeuroKit2
(after Martinez et al. 2004). Its ``ECG_*`` keys are renamed to ours, its beats are aligned
to the multi-lead QRS detections of :mod:`.qrs` so that beat ``k`` is the same heartbeat in
every lead, and the consensus rows are built with :func:`.consensus.combine` as for the
default method. Slow (about a second per 12-lead record); kept for comparison.

References
----------
Makowski D et al. NeuroKit2: A Python toolbox for neurophysiological signal processing.
Behav Res Methods 53:1689-1696, 2021.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from interp_ecg.errors import DelineationError
from interp_ecg.features.delineation.consensus import combine
from interp_ecg.features.delineation.leadcheck import lead_status
from interp_ecg.features.delineation.qrs import detect_qrs
from interp_ecg.features.delineation.schema import FIDUCIALS

log = logging.getLogger(__name__)

_NK_KEYS = {"P_on": "ECG_P_Onsets", "P_peak": "ECG_P_Peaks", "P_off": "ECG_P_Offsets",
            "QRS_on": "ECG_R_Onsets", "QRS_off": "ECG_R_Offsets", "T_on": "ECG_T_Onsets",
            "T_peak": "ECG_T_Peaks", "T_off": "ECG_T_Offsets"}


def neurokit_lead(sig: np.ndarray, fs: float) -> dict[str, np.ndarray]:
    """NeuroKit2 ``ecg_process`` + ``ecg_delineate(method="dwt")`` on one lead.

    Returns a dict of our fiducial names to float arrays (one entry per NeuroKit2 R peak,
    NaN where NeuroKit2 found nothing).
    """
    import neurokit2 as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signals, info = nk.ecg_process(np.asarray(sig, dtype=float), sampling_rate=int(fs))
        rpeaks = np.asarray(info["ECG_R_Peaks"], dtype=int)
        out = {"R_peak": rpeaks.astype(float)}
        if rpeaks.size < 2:
            return out
        _, waves = nk.ecg_delineate(signals["ECG_Clean"].to_numpy(), rpeaks,
                                    sampling_rate=int(fs), method="dwt")
    for ours, theirs in _NK_KEYS.items():
        v = np.asarray(waves.get(theirs, []), dtype=float)
        if v.size != rpeaks.size:  # NeuroKit2 returns one entry per R peak
            v = np.full(rpeaks.size, np.nan)
        out[ours] = v
    return out


def delineate_neurokit(x: np.ndarray, fs: float, leads: list[str],
                       return_reasons: bool = False) -> pd.DataFrame:
    """Per-lead NeuroKit2 delineation in the layout of :func:`delineate`."""
    status = lead_status(x, fs)
    usable = np.array([s == "ok" for s in status])
    xs = np.where(np.isfinite(x), x, 0.0).astype(np.float64)
    r = detect_qrs(xs, fs, usable if usable.any() else None)
    if r.size == 0:
        raise DelineationError("no QRS complex found in any usable lead")
    nb, nl = r.size, xs.shape[0]
    per = {k: np.full((nl, nb), np.nan) for k in FIDUCIALS}
    reasons = np.full((nl, nb), "", dtype=object)
    for i in range(nl):
        try:
            res = neurokit_lead(xs[i], fs)
        except Exception as exc:  # NeuroKit2 raises many kinds on bad leads
            log.info("NeuroKit2 failed on lead %s: %s", leads[i], exc)
            reasons[i] = f"NeuroKit2 failed: {exc}"
            continue
        rp = res["R_peak"]
        if rp.size == 0:
            reasons[i] = "NeuroKit2 found no R peak"
            continue
        # align NeuroKit2's beats to the shared multi-lead beats
        j = np.argmin(np.abs(rp[:, None] - r[None, :]), axis=1)
        ok = np.abs(rp - r[j]) <= 0.15 * fs
        for k, v in res.items():
            if v.size == rp.size:
                per[k][i, j[ok]] = v[ok]
    ms = fs / 1000.0
    glob = {}
    for k in FIDUCIALS:
        side = "on" if k.endswith("_on") else "off" if k.endswith("_off") else "peak"
        glob[k] = combine(per[k], side, 60 * ms, 0.15, usable)
    data = {"lead": np.repeat(np.asarray(list(leads) + ["global"], dtype=object), nb),
            "beat": np.tile(np.arange(nb), nl + 1)}
    for k in FIDUCIALS:
        data[k] = np.vstack([per[k], glob[k][None]]).ravel()
    df = pd.DataFrame(data)
    df["lead"] = df["lead"].astype(str)
    if return_reasons:
        df["reason"] = np.concatenate([reasons.ravel(), np.full(nb, "")]).astype(str)
    df.attrs["lead_status"] = dict(zip(leads, status))
    df.attrs["method"] = "neurokit_dwt"
    df.attrs["fs"] = fs
    return df
