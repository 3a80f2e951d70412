"""Simulate one 12-lead ECG (or a batch) in memory, with its exact ground truth.

Examples
--------
>>> from interp_ecg.simulate import simulate_record
>>> ecg = simulate_record("rbbb", duration=10, random_state=1)
>>> ecg.signal.shape, ecg.signal.dtype.name
((12, 5000), 'float32')
>>> bool(ecg.info["qrs_ms"] >= 120)
True
>>> list(ecg.fiducials.columns[:3])
['lead', 'beat', 'beat_type']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from interp_ecg.errors import ConfigError, SamplingRateError
from interp_ecg.simulate import conditions as cond
from interp_ecg.simulate import rhythm
from interp_ecg.simulate.leadfield import LEAD_FIELD_8, LEADS, electrodes_to_leads, limb_and_augmented
from interp_ecg.simulate.noise import electrode_noise, noise_levels
from interp_ecg.simulate.waves import C_ONSET, N_SLOTS, fiducial_frame, fiducials, render, slot_coefficients


class SimulatedECG(NamedTuple):
    """One simulated record: ``signal`` float32 ``(12, n)`` mV in the standard lead order,
    ``fiducials`` (long DataFrame, one row per beat and lead plus ``global``; sample indices at
    ``info["fs"]``) and ``info`` (condition, SCP codes and the ground-truth measurements)."""

    signal: np.ndarray
    fiducials: pd.DataFrame
    info: dict


def _rng(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def draw_age_sex(tokens: tuple[str, ...], rng: np.random.Generator) -> tuple[float, int]:
    """Draw a plausible age (years) and sex (0 male, 1 female) for a patient with a condition.

    Healthy records (``normal``, sinus brady- or tachycardia alone) come from younger adults
    (age ~ N(48, 17)); other conditions from older ones (N(66, 13)); the share of women
    depends on the condition (e.g. 0.25 for VT, 0.65 for long QT). Age is clipped to 18-95.

    Parameters
    ----------
    tokens : tuple of str
        Parsed condition tokens (:func:`interp_ecg.simulate.conditions.parse_condition`).
    rng : numpy.random.Generator

    Returns
    -------
    (float, int)
        Age in years and sex.
    """
    healthy = tokens == ("normal",) or tokens[0] in ("sbrad", "stach") and len(tokens) == 1
    age = rng.normal(48, 17) if healthy else rng.normal(66, 13)
    p_female = {"imi": 0.3, "vt": 0.25, "lvh": 0.4, "lqt": 0.65, "lbbb": 0.55}.get(
        next((t for t in tokens[::-1] if t in ("imi", "vt", "lvh", "lqt", "lbbb")), tokens[0]), 0.5)
    if tokens[0] == "vt":
        p_female = 0.25
    return float(np.clip(round(age), 18, 95)), int(rng.random() < p_female)


def _beat_schedule(tr: cond.Traits, duration: float, rng: np.random.Generator, tm: dict) -> dict:
    """Anchor times and types of all beats (ventricular first, P-only appended)."""
    r = tr.tokens[0]
    hr = tr.hr * float(rng.lognormal(0, 0.04))
    lo, hi = cond.HR_RANGE[r]
    hr = float(np.clip(hr, lo, hi))
    resp, mayer = rhythm.hrv_amplitudes(tr.age, hr)
    p_only: list[float] = []  # P onset times of P waves that are not conducted
    if r == "afib":
        t = rhythm.af_times(hr, duration, rng)
        types = np.array(["N"] * len(t))
    elif r == "svt":
        t = rhythm.regular_times(hr, duration, rng, cv=0.005)
        types = np.array(["N"] * len(t))
    elif r == "vt":
        t = rhythm.regular_times(hr, duration, rng, cv=0.015)
        types = np.array(["V"] * len(t))
        sinus_hr = rng.uniform(60, 100)
        ps = rhythm.sinus_times(sinus_hr, duration, rng, *rhythm.hrv_amplitudes(tr.age, sinus_hr))
        p_only = list(ps + tm["N"].qrs_on - tr.pr)
    else:
        t = rhythm.sinus_times(hr, duration, rng, resp, mayer)
        types = np.array(["N"] * len(t))
        if "pvc" in tr.tokens or "bigeminy" in tr.tokens:
            chosen: list[int] = []
            coupling = None
            if "bigeminy" in tr.tokens:  # every other beat, with a fixed coupling interval
                chosen = list(range(1 + int(rng.integers(0, 2)), len(t), 2))
                coupling = rng.uniform(0.55, 0.7) + rng.normal(0, 0.01, len(t))
            else:
                inside = np.flatnonzero((t > 0.6) & (t < duration - 0.3))
                k = min(int(rng.integers(1, 4)), max(len(inside) // 3, 1))
                for i in rng.permutation(inside):
                    if all(abs(i - j) > 2 for j in chosen) and i > 0:
                        chosen.append(int(i))
                    if len(chosen) == k:
                        break
            new_t = list(t)
            new_types = list(types)
            for i in chosen:
                p_only.append(t[i] + tm["N"].qrs_on - tr.pr)  # sinus P still fires, hidden, not conducted
                c = rng.uniform(0.5, 0.7) if coupling is None else coupling[i]
                new_t[i] = t[i - 1] + c * (t[i] - t[i - 1])
                new_types[i] = "V"
            t, types = np.asarray(new_t), np.asarray(new_types)
    return {"t": np.asarray(t, float), "types": types, "p_only": np.asarray(p_only, float), "hr_target": hr}


def _place(tr: cond.Traits, tm: dict, sched: dict, rng: np.random.Generator) -> dict:
    """Per-beat slot arrays (B, 9) of centres/widths and (B, 9, 3) vectors."""
    t, types = sched["t"], sched["types"]
    nb = len(t)
    rr = np.diff(t)
    rr_prev = np.concatenate([[rr[0] if rr.size else 1.0], rr])
    rr_next = np.concatenate([rr, [rr[-1] if rr.size else 1.0]])
    p_on = np.asarray(sched["p_only"])
    n_all = nb + p_on.size
    mu = np.zeros((n_all, N_SLOTS))
    sl = np.full((n_all, N_SLOTS), 0.01)
    sr = np.full((n_all, N_SLOTS), 0.01)
    vec = np.zeros((n_all, N_SLOTS, 3))
    f_resp, ph = rng.uniform(0.15, 0.35), rng.uniform(0, 2 * np.pi)
    for typ in ("N", "V"):
        idx = np.flatnonzero(types == typ)
        if idx.size == 0:
            continue
        tp = tm[typ]
        anchor = t[idx]
        qtc = tr.qtc * (1.08 if typ == "V" and tr.tokens[0] != "vt" else 1.0)
        qt = qtc * np.cbrt(rr_prev[idx])  # Fridericia
        qrs_dur_min = -tp.qrs_on + 0.05
        qt = np.minimum(qt, np.maximum(0.9 * rr_next[idx] - 0.02, qrs_dur_min + 0.15))
        scale = qt / 0.40
        pr = tr.pr * (1 - 0.0012 * (sched["hr_target"] - 70)) + rng.normal(0, 0.003, idx.size)
        pr = np.maximum(pr, 0.11)
        p_start = anchor + tp.qrs_on - pr
        mu[idx, 0:2] = p_start[:, None] + tp.dt[None, 0:2]
        mu[idx, 2:7] = anchor[:, None] + tp.dt[None, 2:7]
        t_end = anchor + tp.qrs_on + qt
        mu[idx, 7:9] = t_end[:, None] + tp.dt[None, 7:9] * scale[:, None]
        sl[idx] = tp.sl[None, :]
        sr[idx] = tp.sr[None, :]
        sl[idx, 7:9] *= scale[:, None]
        sr[idx, 7:9] *= scale[:, None]
        # at fast rates the T wave is squeezed against the QRS: compress it in time so that its
        # onset stays after the J point (shape kept; at least 60 ms of T wave)
        present = np.abs(tp.vec[2:7]).max(axis=1) > 0
        j_point = anchor + np.max((tp.dt[2:7] + C_ONSET * tp.sr[2:7])[present]) + 0.008
        t_end = np.maximum(t_end, j_point + 0.06)
        t_on = np.min(mu[idx, 7:9] - C_ONSET * sl[idx, 7:9], axis=1)
        f = np.clip((t_end - j_point) / np.maximum(t_end - t_on, 1e-6), 0.0, 1.0)[:, None]
        mu[idx, 7:9] = t_end[:, None] + (mu[idx, 7:9] - t_end[:, None]) * f
        sl[idx, 7:9] *= f
        sr[idx, 7:9] *= f
        # respiration modulates amplitudes (~5 %); small beat-to-beat variability on top
        breath = 1 + 0.05 * np.sin(2 * np.pi * f_resp * anchor + ph)
        jitter = 1 + rng.normal(0, 0.015, (idx.size, N_SLOTS))
        vec[idx] = tp.vec[None] * (breath[:, None] * jitter)[:, :, None]
    if p_on.size:
        tp = tm["P"]
        j = np.arange(nb, n_all)
        mu[j, 0:2] = p_on[:, None] + tp.dt[None, 0:2]
        sl[j], sr[j] = tp.sl[None, :], tp.sr[None, :]
        vec[j] = tp.vec[None]
        types = np.concatenate([types, np.array(["P"] * p_on.size)])
    # sort all beats by time of their first present component
    first = np.where(np.abs(vec).max(axis=2) > 0, mu, np.inf).min(axis=1)
    order = np.argsort(first, kind="stable")
    return {"mu": mu[order], "sl": sl[order], "sr": sr[order], "vec": vec[order], "types": types[order]}


def _fwaves(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    """Fibrillatory waves: a wandering 4-9 Hz atrial dipole, projected to the 8 leads."""
    tt = np.arange(n) / fs
    d = np.zeros((3, n))
    for _ in range(3):
        u = cond.unit_vector(*(np.array([0.2, 0.5, 0.8]) + rng.normal(0, 0.35, 3)))
        f = rng.uniform(4.5, 8.5)
        a = rng.uniform(0.02, 0.05)
        wob = rng.uniform(0.5, 2.0) * np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * tt + rng.uniform(0, 6.3))
        env = 1 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.2, 0.6) * tt + rng.uniform(0, 6.3))
        d += np.outer(u, a * env * np.sin(2 * np.pi * f * tt + rng.uniform(0, 6.3) + wob))
    return LEAD_FIELD_8 @ d


def _summary(fid: dict[str, np.ndarray], types: np.ndarray, fs: float) -> dict:
    """Ground-truth record measurements from the global fiducials (medians over beats)."""
    g = {k: v[:, -1] for k, v in fid.items()}
    ven = np.isin(types, ["N", "V"]) & np.isfinite(g["R_peak"])
    r = g["R_peak"][ven]
    rr = np.diff(r) / fs
    out: dict[str, float] = {}
    out["heart_rate"] = float(60.0 / rr.mean()) if rr.size else float("nan")
    out["rr_cv"] = float(rr.std() / rr.mean()) if rr.size > 1 else float("nan")
    n_mask = (types == "N") & ven
    # the dominant (sinus/supraventricular) beats when there are any, even where ectopic
    # beats are as frequent (bigeminy); all ventricular beats in VT
    main = n_mask if n_mask.any() else ven

    def med(a: str, b: str, mask: np.ndarray) -> float:
        d = (g[b][mask] - g[a][mask]) / fs * 1000.0
        d = d[np.isfinite(d)]
        return float(np.median(d)) if d.size else float("nan")

    out["pr_ms"] = med("P_on", "QRS_on", n_mask)
    out["p_ms"] = med("P_on", "P_off", n_mask)
    out["qrs_ms"] = med("QRS_on", "QRS_off", main)
    out["qt_ms"] = med("QRS_on", "T_off", main)
    rr_s = float(rr.mean()) if rr.size else float("nan")
    out["qtc_bazett_ms"] = float(out["qt_ms"] / np.sqrt(rr_s))
    out["qtc_fridericia_ms"] = float(out["qt_ms"] / np.cbrt(rr_s))
    return out


def simulate_traits(
    tr: cond.Traits, fs: float, duration: float, levels: dict, rng: np.random.Generator, record: Any = None
) -> SimulatedECG:
    """Render one 12-lead ECG from already drawn patient traits (the step after :func:`interp_ecg.simulate.conditions.draw_traits`).

    :func:`simulate_record` draws the traits from a condition and calls this; the cohort
    writer draws them per patient and calls it per record.

    Parameters
    ----------
    tr : interp_ecg.simulate.conditions.Traits
        Condition tokens, age, sex and the morphology drawn for the patient.
    fs : float
        Sampling rate in Hz.
    duration : float
        Seconds.
    levels : dict
        Noise levels per component (:func:`interp_ecg.simulate.noise.noise_levels`).
    rng : numpy.random.Generator
    record : optional
        Record id written in the fiducial table.

    Returns
    -------
    SimulatedECG
        ``(signal, fiducials, info)``; signal ``(12, round(duration * fs))`` in mV.
    """
    n = int(round(duration * fs))
    tm = cond.build_templates(tr)
    sched = _beat_schedule(tr, duration, rng, tm)
    beats = _place(tr, tm, sched, rng)
    coef = slot_coefficients(beats["vec"], tr.chest_gain[None])  # (B, 9, 8)
    B = coef.shape[0]
    ind = render(beats["mu"].ravel(), beats["sl"].ravel(), beats["sr"].ravel(), coef.reshape(B * N_SLOTS, 8), n, fs)
    if tr.tokens[0] == "afib":
        ind += _fwaves(n, fs, rng)
    enoise = electrode_noise(n, fs, levels, rng)
    if enoise is not None:
        ind += electrodes_to_leads(enoise)
    sig = limb_and_augmented(ind.astype(np.float32))
    fid_arr = fiducials(beats["mu"], beats["sl"], beats["sr"], beats["vec"], coef, fs, n)
    fid = fiducial_frame(fid_arr, beats["types"], record)
    info = {
        "condition": "+".join(tr.tokens),
        "tokens": tr.tokens,
        "fs": float(fs),
        "duration_s": float(duration),
        "leads": list(LEADS),
        "age": tr.age,
        "sex": tr.sex,
        "scp_codes": cond.scp_codes(tr.tokens),
        "report": cond.report_text(tr.tokens),
        "qrs_axis_deg": cond.qrs_axis(tm["N"] if tr.tokens[0] != "vt" else tm["V"]),
        "sokolow_lyon_mv": cond.sokolow_lyon(tm["N"]),
        # PVCs in the record: ventricular beats whose R peak lies inside it (as the heart rate
        # counts beats), not every beat scheduled, some of which fall before or after it
        "n_pvc": (int(((beats["types"] == "V") & np.isfinite(fid_arr["R_peak"][:, -1])).sum())
                  if tr.tokens[0] != "vt" else 0),
        "noise": levels,
    }
    info.update(_summary(fid_arr, beats["types"], fs))
    return SimulatedECG(sig, fid, info)


def simulate_record(
    condition: str = "normal",
    fs: float = 500,
    duration: float = 10.0,
    noise: float | Mapping[str, float] | None = 1.0,
    random_state: int | np.random.Generator | None = None,
    *,
    age: float | None = None,
    sex: int | None = None,
) -> SimulatedECG:
    """Simulate one 12-lead ECG with its ground-truth fiducials.

    Parameters
    ----------
    condition : str
        A preset or ``+``-joined tokens, see :mod:`interp_ecg.simulate.conditions`
        (``"normal"``, ``"afib"``, ``"lbbb"``, ``"vt"``, ``"stach+rbbb"``, ...).
    fs : float
        Sampling rate (Hz); fiducials are sample indices at this rate.
    duration : float
        Seconds.
    noise : float or dict or None
        Noise level for all components (0 or None: clean; 1: a typical resting ECG) or a
        dict ``{"baseline", "powerline", "emg", "electrode"}``.
    random_state : int, Generator or None
        Seed; the same seed gives the same record.
    age, sex : optional
        Patient covariates (sex 0 male / 1 female); drawn when not given.

    Returns
    -------
    SimulatedECG
        ``(signal, fiducials, info)``.

    Examples
    --------
    >>> from interp_ecg.simulate import simulate_record
    >>> sig, fid, info = simulate_record("afib", noise=0, random_state=0)
    >>> bool(fid["P_on"].isna().all()), info["scp_codes"]
    (True, {'AFIB': 0.0})
    """
    if not np.isfinite(fs) or fs < 50:
        raise SamplingRateError(f"fs must be >= 50 Hz, got {fs}")
    if not np.isfinite(duration) or duration < 2:
        raise ConfigError(f"duration must be >= 2 s, got {duration}")
    rng = _rng(random_state)
    tokens = cond.parse_condition(condition, rng)
    a, s = draw_age_sex(tokens, rng)
    tr = cond.draw_traits(tokens, a if age is None else float(age), s if sex is None else int(sex), rng)
    return simulate_traits(tr, float(fs), float(duration), noise_levels(noise), rng)


def simulate_batch(
    conditions: Sequence[str] | str = "normal",
    n: int | None = None,
    fs: float = 500,
    duration: float = 10.0,
    noise: float | Mapping[str, float] | None = 1.0,
    random_state: int | None = None,
) -> tuple[np.ndarray, pd.DataFrame, pd.DataFrame]:
    """Simulate many records at once.

    Parameters
    ----------
    conditions : str or sequence of str
        One condition per record, or a single condition repeated ``n`` times.
    n : int, optional
        Number of records when ``conditions`` is a single string.

    Returns
    -------
    signals : ndarray ``(n, 12, n_samples)`` float32
    fiducials : DataFrame with a ``record`` column (0..n-1)
    info : DataFrame, one row per record (condition, heart_rate, pr_ms, qrs_ms, ...)

    Examples
    --------
    >>> from interp_ecg.simulate import simulate_batch
    >>> X, fid, info = simulate_batch(["normal", "lbbb"], duration=4, random_state=0)
    >>> X.shape, list(info["condition"])
    ((2, 12, 2000), ['normal', 'normal+lbbb'])
    """
    if isinstance(conditions, str):
        conditions = [conditions] * (1 if n is None else int(n))
    seeds = np.random.SeedSequence(random_state).spawn(len(conditions))
    recs = [simulate_record(c, fs, duration, noise, np.random.default_rng(s)) for c, s in zip(conditions, seeds)]
    X = np.stack([r.signal for r in recs]) if recs else np.zeros((0, 12, int(duration * fs)), np.float32)
    fid = pd.DataFrame()
    if recs:
        fid = pd.concat([r.fiducials.assign(record=i) for i, r in enumerate(recs)], ignore_index=True)
        fid = fid[["record"] + [c for c in fid.columns if c != "record"]]
    rows = []
    for r in recs:
        row = {k: v for k, v in r.info.items() if not isinstance(v, (list, tuple, dict))}
        rows.append(row | {"scp_codes": str(r.info["scp_codes"])})
    return X, fid, pd.DataFrame(rows)
