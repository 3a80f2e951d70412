"""Prototype cards: every prototype of a prototype network described in measured clinical terms.

A prototype network says "this looks like that" with a picture. A card says what "that" is in
the quantities a cardiologist reads on an ECG, deterministically, from the package's own
delineation and measurements:

* **source** - the training record the prototype was pushed onto, its leads and time window,
  and the class it belongs to (the record id is replaced by a keyed pseudonym from
  :mod:`interp_ecg.io.pseudonym` when asked, and always in reports);
* **measured on its source segment** - the whole source record is delineated
  (:func:`interp_ecg.features.extract_beats`; a 0.9 s window is too short to delineate alone)
  and the beats whose consensus R peak lies inside the prototype's window are kept (the beats
  overlapping it when no R peak does, flagged in ``window_beats``): QRS
  duration, P duration, PR, QT, QTc (Bazett, with the preceding RR), P/R/S/T amplitudes in the
  leads the window spans, RR statistics, heart rate, P-wave presence and RR irregularity; the
  frontal QRS axis when the window is the whole record (the axis needs the median beats of
  the record). Each value stands beside the class's typical value (median over the records
  positive for the class in the feature table) and the adult normal range with its reference
  (:func:`interp_ecg.features.normal_ranges`);
* **what drives its similarity across a cohort** - a surrogate gradient-boosted regressor
  (LightGBM) predicting the prototype's similarity from the fiducial feature table: its
  patient-wise cross-validated R^2 (out-of-fold predictions pooled; folds grouped by
  ``patient_id``) and its SHAP values (``shap.TreeExplainer``) as a ``shap.Explanation``; the
  top features with the direction of their effect. A prototype whose R^2 is below
  ``r2_threshold`` is "not explained by standard measurements", itself a finding;
* **what it does** - its fusion weights and its exact Shapley contribution to each class
  (``phi = w (s - mean training similarity)``, the fusion layer being linear), averaged over
  the records positive for that class; it "drives" the classes where that mean is at least
  ``min_contribution`` and its weight is positive; and, given a PheWAS summary whose exposures are
  prototype names, its top phecode associations with their q-values;
* **a one-sentence description** built from the above by a fixed template.

Rhythm prototypes also get ``rhythm_consistent``: whether the measured rhythm of the source
matches the class (:data:`RHYTHM_EXPECTATIONS`, e.g. AFIB: no P waves and irregular RR).

Examples
--------
>>> from interp_ecg.explain.prototype_cards import describe_measurements, rhythm_consistent
>>> describe_measurements({"QRS_duration_ms": 156.0, "P_wave_presence_fraction": 1.0,
...                        "RR_irregularity": 0.02, "heart_rate_bpm": 72.0})
'wide QRS (156 ms)'
>>> rhythm_consistent("AFIB", {"P_wave_presence_fraction": 0.0, "RR_irregularity": 0.21})
True
"""

from __future__ import annotations

import html
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.errors import ConfigError, InterpEcgError
from interp_ecg.features.dictionary import feature_spec
from interp_ecg.io.leads import STANDARD_LEADS

logger = logging.getLogger(__name__)

#: interval measurements taken from the consensus ("global") beats inside the window
INTERVAL_FEATURES = ("QRS_duration_ms", "P_duration_ms", "PR_interval_ms", "QT_interval_ms", "QTc_Bazett_ms")
#: per-lead amplitudes measured on each beat inside the window (feature ``<name>_<lead>``)
AMPLITUDE_FEATURES = ("P_amp_mV", "R_amp_mV", "S_amp_mV", "T_amp_mV")
#: rhythm measurements over the beats inside the window
RHYTHM_FEATURES = ("heart_rate_bpm", "RR_mean_ms", "RR_sd_ms", "RR_irregularity", "P_wave_presence_fraction")
#: RR irregularity (RMSSD / mean RR) at or above which RR is called irregular
#: (Dash S et al., Automatic real time detection of atrial fibrillation, Ann Biomed Eng 37:1701, 2009)
IRREGULAR_RR = 0.1
#: P waves called present when found in at least this share of the beats
P_PRESENT = 0.5

#: Measured rhythm a rhythm-class source should show: class -> (text, test on the measurements).
RHYTHM_EXPECTATIONS: dict[str, tuple[str, Any]] = {
    "SR": ("P waves present, regular RR", lambda m: _p_present(m) and _regular(m)),
    "AFIB": ("no P waves, irregular RR", lambda m: _p_absent(m) and _irregular(m)),
    "AFLT": ("no P waves", lambda m: _p_absent(m)),
    "STACH": ("P waves present, heart rate > 100 bpm", lambda m: _p_present(m) and _num(m, "heart_rate_bpm") > 100),
    "SBRAD": ("P waves present, heart rate < 60 bpm", lambda m: _p_present(m) and _num(m, "heart_rate_bpm") < 60),
    "SARRH": ("P waves present, irregular RR", lambda m: _p_present(m) and _irregular(m)),
}

_SHORT = {
    "QRS_duration_ms": "QRS", "P_duration_ms": "P", "PR_interval_ms": "PR", "QT_interval_ms": "QT",
    "QTc_Bazett_ms": "QTc", "heart_rate_bpm": "HR", "RR_mean_ms": "RR mean", "RR_sd_ms": "RR sd",
    "RR_irregularity": "RR irregularity", "P_wave_presence_fraction": "P present in", "QRS_axis_deg": "QRS axis",
}


def _num(m: Mapping[str, Any], key: str) -> float:
    try:
        v = float(m.get(key, np.nan))
    except (TypeError, ValueError):
        return np.nan
    return v


def _p_present(m) -> bool:
    return _num(m, "P_wave_presence_fraction") >= P_PRESENT


def _p_absent(m) -> bool:
    return _num(m, "P_wave_presence_fraction") < P_PRESENT


def _irregular(m) -> bool:
    return _num(m, "RR_irregularity") >= IRREGULAR_RR


def _regular(m) -> bool:
    return _num(m, "RR_irregularity") < IRREGULAR_RR


def rhythm_consistent(cls: str, measured: Mapping[str, Any]) -> bool | float:
    """Whether a source's measured rhythm matches rhythm class ``cls``.

    Returns ``True``/``False``, or NaN when the class has no rule in
    :data:`RHYTHM_EXPECTATIONS` or a needed measurement is NaN.
    """
    rule = RHYTHM_EXPECTATIONS.get(str(cls))
    if rule is None:
        return np.nan
    needed = ["P_wave_presence_fraction"] + (["RR_irregularity"] if "RR" in rule[0] else []) + (
        ["heart_rate_bpm"] if "heart rate" in rule[0] else [])
    if any(not np.isfinite(_num(measured, k)) for k in needed):
        return np.nan
    return bool(rule[1](measured))


def _fmt(value: float, unit: str = "") -> str:
    if not np.isfinite(value):
        return "NA"
    if unit in ("ms", "bpm", "deg"):
        text = f"{value:.0f}"
    elif unit == "mV":
        text = f"{value:.2f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip() if unit not in ("1", "") else text


def range_text(low: float, high: float) -> str:
    """``"< 120"``, ``"120-200"``, ``"> 60"`` or ``""`` for a normal range with open sides as NaN."""
    lo, hi = np.isfinite(low), np.isfinite(high)
    if lo and hi:
        return f"{low:g}-{high:g}" if low >= 0 else f"{low:g} to {high:g}"
    if hi:
        return f"< {high:g}"
    if lo:
        return f"> {low:g}"
    return ""


def describe_measurements(measured: Mapping[str, Any], ranges: pd.DataFrame | None = None) -> str:
    """Abnormal findings in words ("wide QRS (156 ms), no P waves, irregular RR (0.21)").

    Parameters
    ----------
    measured : mapping
        Feature name -> value measured on a source segment.
    ranges : DataFrame, optional
        :func:`interp_ecg.features.normal_ranges` (loaded when omitted).

    Returns
    -------
    str
        The findings outside normal ranges, in a fixed order; when every measured value is in
        range, ``"measurements within normal ranges (...)"``; ``""`` when nothing was measured.
    """
    if ranges is None:
        from interp_ecg.features import normal_ranges

        ranges = normal_ranges()
    words: list[str] = []

    def rng(name):
        if name in ranges.index:
            return float(ranges.at[name, "normal_low"]), float(ranges.at[name, "normal_high"])
        return np.nan, np.nan

    def check(name, low_word, high_word, unit):
        v = _num(measured, name)
        if not np.isfinite(v):
            return
        lo, hi = rng(name)
        if np.isfinite(hi) and v >= hi and high_word:
            words.append(f"{high_word} ({_fmt(v, unit)})")
        elif np.isfinite(lo) and v < lo and low_word:
            words.append(f"{low_word} ({_fmt(v, unit)})")

    check("QRS_duration_ms", "", "wide QRS", "ms")
    p = _num(measured, "P_wave_presence_fraction")
    if np.isfinite(p) and p < P_PRESENT:
        words.append("no P waves")
    # P duration stays in the card's table but not in the sentence: the package's P boundaries
    # put 65% of the PTB-XL NORM records at >= 120 ms (median 122 ms; docs/results_prototype_cards.md),
    # so "broad P" would mostly describe the delineator, not the heart.
    check("PR_interval_ms", "short PR", "long PR", "ms")
    check("QTc_Bazett_ms", "short QTc", "long QTc", "ms")
    irr = _num(measured, "RR_irregularity")
    if np.isfinite(irr) and irr >= IRREGULAR_RR:
        words.append(f"irregular RR ({irr:.2f})")
    check("heart_rate_bpm", "bradycardia", "tachycardia", "bpm")
    check("QRS_axis_deg", "left axis deviation", "right axis deviation", "deg")
    for name in measured:
        if name.startswith(("P_amp_mV_", "R_amp_mV_")) and name in ranges.index:
            spec = feature_spec(name)
            check(name, "", f"tall {spec.label.removesuffix(' amplitude')} in {spec.lead}", "mV")
    if words:
        return ", ".join(words)
    shown = [f"{_SHORT[k]} {_fmt(_num(measured, k), u)}" for k, u in
             (("QRS_duration_ms", "ms"), ("PR_interval_ms", "ms"), ("heart_rate_bpm", "bpm"))
             if np.isfinite(_num(measured, k))]
    return f"measurements within normal ranges ({', '.join(shown)})" if shown else ""


# -- measuring the source segment ---------------------------------------------------------------

@dataclass
class SourceSegment:
    """The source record of a prototype and what was measured in its window.

    Attributes
    ----------
    record_id : str
    signal : numpy.ndarray
        The whole source record ``(n_leads, n_samples)`` in mV at ``fs``.
    fs : float
    leads : list of str
    start_sample, end_sample : int
        The prototype's window in samples of ``signal``.
    window_leads : list of str
        Leads the prototype spans.
    fiducials : pandas.DataFrame
        Global (consensus) fiducials of the beats inside the window, samples of ``signal``.
    beats : pandas.DataFrame
        The beat table rows (global and per lead) of the beats inside the window.
    rule : str
        ``"R peak inside"`` (the beats whose consensus R peak lies in the window) or, when no
        R peak does, ``"overlapping the window (no R peak inside)"`` (the beats whose P onset
        (else QRS onset) to T offset (else QRS offset) overlaps it); empty when no beat.
    """

    record_id: str
    signal: np.ndarray
    fs: float
    leads: list[str]
    start_sample: int
    end_sample: int
    window_leads: list[str]
    fiducials: pd.DataFrame
    beats: pd.DataFrame
    rule: str = ""


# ``prototype_sources_["source_kind"]`` values (interp_ecg.prototypes.data; torch is optional here)
SOURCE_RECORD, SOURCE_ARRAY_ROW, SOURCE_UNRECORDED = "record_id", "array_row", "unrecorded"


def _source_kind(sources: pd.DataFrame, name: str) -> str:
    return str(sources.at[name, "source_kind"]) if "source_kind" in sources.columns else SOURCE_UNRECORDED


def _find_record(dataset, rid, prototype: str = "", kind: str = SOURCE_RECORD) -> Any:
    """The dataset's id of a prototype's source record; array-row sources are refused."""
    if kind == SOURCE_ARRAY_ROW:
        raise ConfigError(f"{prototype}: its source is array row {rid} of the array the model was fitted on, "
                          "not a record id, so it cannot be looked up in a dataset (it would name another "
                          "record). Fit on the dataset, or pass y as a DataFrame indexed by record id")
    if kind == SOURCE_UNRECORDED:
        logger.warning("%s: this model file does not record whether its source %r is a record id or an array "
                       "row (saved before that was recorded); it is read as a record id", prototype, rid)
    index = dataset.meta.index
    if rid in index:
        return rid
    as_text = {str(v): v for v in index}
    if str(rid) in as_text:
        return as_text[str(rid)]
    raise ConfigError(f"prototype source record {rid!r} is not in the dataset passed to prototype_cards "
                      "(pass the dataset the model was trained on, or one that holds its training records)")


#: card values that are measurements of the whole record in the feature table (one definition per
#: name): with ``record_features`` they are the feature table's, not re-measured on the window
RECORD_LEVEL_FEATURES = ("P_wave_presence_fraction", "RR_irregularity", "QTc_Bazett_ms")


def measure_source(record, start_s: float, end_s: float, window_leads: Sequence[str],
                   record_features: Mapping[str, Any] | None = None
                   ) -> tuple[dict[str, float], SourceSegment | None, str]:
    """Measure the beats of a record whose consensus R peak lies inside ``[start_s, end_s)``.

    When no R peak lies inside (a 0.9 s window at a slow rate), the beats overlapping the window
    are measured instead and :attr:`SourceSegment.rule` says so.

    With ``record_features`` (the record's row of :func:`interp_ecg.features.extract`), the
    values of :data:`RECORD_LEVEL_FEATURES` are the feature table's, with its definitions (P
    presence over the record's non-PVC beats, the normalised RMSSD of its dominant beats' RR,
    QT / sqrt(RR_mean)): a 1-s window holds one or two beats, too few to say "no P waves" or
    "irregular" (user16: a sinus record whose first beat had no delineated P was called "no P
    waves"), and a value named like a feature-table column must mean the same. The window's
    own count is kept as ``n_beats_with_P_in_window`` beside ``n_beats_in_window``. Without it
    they are measured on the window's beats (QTc with each beat's preceding RR).

    Parameters
    ----------
    record : interp_ecg.io.Record
        The whole source record (it is delineated whole).
    start_s, end_s : float
        The prototype's window in seconds from the start of the record.
    window_leads : sequence of str
        Leads the prototype spans (amplitudes are measured in these).
    record_features : mapping, optional
        The record's feature-table row (feature name -> value).

    Returns
    -------
    measured : dict
        Feature name -> value (NaN when the window holds no beat that gives it).
    segment : SourceSegment or None
        None when the record could not be delineated.
    reason : str
        Why nothing, or which intervals, could not be measured (empty when all were).
    """
    from interp_ecg.features import extract_beats

    fs = float(record.fs)
    sig = np.asarray(record.signal, dtype=np.float32)
    leads = [str(ld) for ld in record.leads]
    s0, s1 = int(round(start_s * fs)), int(round(end_s * fs))
    measured: dict[str, float] = {}
    try:
        beats = extract_beats(record)
    except InterpEcgError as err:
        return measured, None, f"source record could not be delineated: {err}"
    glob = beats[beats["lead"].astype(str) == "global"]
    r = pd.to_numeric(glob["R_peak"], errors="coerce")
    inside = glob[(r >= s0) & (r < s1)]
    rule = "R peak inside"
    if inside.empty:
        # a 0.9 s window at a slow rate may hold the end of one beat and the start of the next:
        # then the beats that overlap it (P onset, else QRS onset, to T offset, else QRS offset)
        on = pd.to_numeric(glob["P_on"], errors="coerce").fillna(pd.to_numeric(glob["QRS_on"], errors="coerce"))
        off = pd.to_numeric(glob["T_off"], errors="coerce").fillna(pd.to_numeric(glob["QRS_off"], errors="coerce"))
        inside = glob[(on < s1) & (off > s0)]
        rule = "overlapping the window (no R peak inside)"
    seg = SourceSegment(str(record.id), sig, fs, leads, s0, s1, list(window_leads),
                        inside.reset_index(drop=True), beats[beats["beat"].isin(inside["beat"])].reset_index(drop=True),
                        rule if len(inside) else "")
    if inside.empty:
        return measured, seg, f"no beat overlaps the window {start_s:.2f}-{end_s:.2f} s"
    dom = inside[inside["dominant"].astype(bool)] if "dominant" in inside else inside
    use = dom if len(dom) else inside
    for name in INTERVAL_FEATURES:
        v = pd.to_numeric(use[name], errors="coerce").dropna()
        measured[name] = float(v.median()) if len(v) else np.nan
    measured["P_wave_presence_fraction"] = float(np.isfinite(pd.to_numeric(inside["P_on"], errors="coerce")).mean())
    # RR intervals that end on a beat inside the window
    rr = pd.to_numeric(inside["RR_prev_ms"], errors="coerce").dropna().to_numpy(float)
    measured["RR_mean_ms"] = float(rr.mean()) if rr.size else np.nan
    measured["heart_rate_bpm"] = 60000.0 / measured["RR_mean_ms"] if rr.size else np.nan
    measured["RR_sd_ms"] = float(rr.std(ddof=1)) if rr.size >= 2 else np.nan
    measured["RR_irregularity"] = (float(np.sqrt(np.mean(np.diff(rr) ** 2)) / rr.mean())
                                   if rr.size >= 3 else np.nan)
    per_lead = beats[beats["beat"].isin(inside["beat"]) & beats["lead"].astype(str).isin(list(window_leads))]
    for lead, rows in per_lead.groupby("lead", sort=False):
        for name in AMPLITUDE_FEATURES:
            v = pd.to_numeric(rows[name], errors="coerce").dropna()
            measured[f"{name}_{lead}"] = float(v.median()) if len(v) else np.nan
    measured["n_beats_in_window"] = float(len(inside))
    measured["n_beats_with_P_in_window"] = float(np.isfinite(pd.to_numeric(inside["P_on"], errors="coerce")).sum())
    if record_features is not None:
        for name in RECORD_LEVEL_FEATURES:
            v = pd.to_numeric(pd.Series([record_features.get(name, np.nan)]), errors="coerce").iloc[0]
            measured[name] = float(v)
    window_level = [n for n in INTERVAL_FEATURES if record_features is None or n not in RECORD_LEVEL_FEATURES]
    missing = [name for name in window_level if not np.isfinite(measured[name])]
    reason = ""
    if missing:
        # say why a value is absent rather than leave a bare NaN, in the delineator's own words
        # for the window's beats (no P waves in AF; a beat cut by the record edge has no QRS
        # offset, so no duration), never a cause that the beats do not show
        reason = "not measurable on the window's beats: " + missing_reasons(use, missing)
    rr_missing = [name for name, need in (("RR_mean_ms", 1), ("heart_rate_bpm", 1), ("RR_sd_ms", 2),
                                          ("RR_irregularity", 3)) if rr.size < need
                  and (record_features is None or name not in RECORD_LEVEL_FEATURES)]
    if rr_missing:
        # the rhythm numbers need RR intervals ending inside the window: say how many there are
        needs = "RR_sd_ms needs 2" + (", RR_irregularity 3" if "RR_irregularity" in rr_missing else "")
        words = f"{', '.join(rr_missing)}: {rr.size} RR interval(s) end inside the window ({needs})"
        reason = f"{reason}; {words}" if reason else words
    return measured, seg, reason


#: fiducials (beat table columns) each interval of :data:`INTERVAL_FEATURES` needs
INTERVAL_NEEDS: dict[str, tuple[str, ...]] = {
    "P_duration_ms": ("P_on", "P_off"),
    "PR_interval_ms": ("P_on", "QRS_on"),
    "QRS_duration_ms": ("QRS_on", "QRS_off"),
    "QT_interval_ms": ("QRS_on", "T_off"),
    "QTc_Bazett_ms": ("QRS_on", "T_off", "RR_prev_ms"),
}
_WAVE_OF = {"P_on": "P", "P_off": "P", "QRS_on": "QRS", "QRS_off": "QRS", "T_off": "T"}
_EDGE_TEXT = "beat cut by the record edge"


def missing_reasons(beats: pd.DataFrame, missing: Sequence[str]) -> str:
    """Why each interval in ``missing`` is NaN on ``beats``, in words, grouped by cause.

    Each beat's cause is the first fiducial the interval needs (:data:`INTERVAL_NEEDS`) that the
    beat lacks, explained by the delineator's own reason for that beat: the beat table's
    ``reason`` column (:func:`interp_ecg.features.extract_beats`), which comes from the very
    delineation the intervals were measured on (e.g. "no P wave time-locked to the QRS
    (atrial fibrillation/flutter?)", "beat cut by the record edge"); else the fiducial is
    named as not found. The record edge is named only for beats the delineator says are cut.

    Parameters
    ----------
    beats : pandas.DataFrame
        Consensus (``lead == "global"``) beat table rows (:func:`interp_ecg.features.extract_beats`)
        the intervals were measured on; without a ``reason`` column every cause is
        "<fiducial> not found".
    missing : sequence of str
        Names of :data:`INTERVAL_FEATURES` that are NaN.

    Returns
    -------
    str
        ``"<features>: <cause> on <k> of <n> beats; ..."``.
    """
    rows = beats.reset_index(drop=True)
    n = len(rows)
    why = (rows["reason"].fillna("").astype(str).tolist() if "reason" in rows.columns else [""] * n)
    by_feature: dict[str, tuple] = {}
    for name in missing:
        causes: dict[str, int] = {}
        for i in range(n):
            absent = [c for c in INTERVAL_NEEDS.get(name, ()) if c in rows
                      and not np.isfinite(pd.to_numeric(pd.Series([rows.at[i, c]]), errors="coerce").iloc[0])]
            if not absent:
                continue
            first = absent[0]
            parts = [t.strip() for t in why[i].split(";") if t.strip()]
            if first == "RR_prev_ms":
                cause = "no preceding RR interval, first beat of the record"
            else:
                wave = _WAVE_OF[first]
                # a beat cut by the record edge: that is why (its P or QRS onset lies before the
                # record's first sample, its T after the last); otherwise the delineator's reason
                own = ([_EDGE_TEXT] if _EDGE_TEXT in parts else
                       [t for t in parts if (wave == "P" and "P wave" in t) or "out of order" in t])
                cause = " and ".join(own) if own else f"{first} not found"
            causes[cause] = causes.get(cause, 0) + 1
        by_feature[name] = tuple(sorted(causes.items(), key=lambda kv: (-kv[1], kv[0])))
    groups: dict[tuple, list[str]] = {}
    for name in missing:
        groups.setdefault(by_feature[name], []).append(name)
    texts = []
    for causes, names in groups.items():
        said = ", ".join(f"{c} on {k} of {n} beat{'s' if n != 1 else ''}" for c, k in causes) or "no beat"
        texts.append(f"{', '.join(names)}: {said}")
    return "; ".join(texts)


    return measured, seg, reason


# -- the surrogate --------------------------------------------------------------------------

def _surrogate(y: np.ndarray, X: pd.DataFrame, groups: np.ndarray, n_splits: int, random_state: int,
               params: Mapping[str, Any] | None):
    """CV R^2 (patient-wise, pooled out-of-fold) and the SHAP explanation of the full fit."""
    import shap
    from lightgbm import LGBMRegressor
    from sklearn.metrics import r2_score
    from sklearn.model_selection import GroupKFold

    kw = dict(n_estimators=150, learning_rate=0.05, num_leaves=8, min_child_samples=10, subsample=0.8,
              subsample_freq=1, colsample_bytree=0.8, random_state=random_state, n_jobs=1, verbose=-1)
    kw.update(params or {})
    n_groups = len(np.unique(groups))
    k = min(n_splits, n_groups)
    if k < 2 or len(y) < 20:
        return np.nan, None, f"too few records ({len(y)}) or patients ({n_groups}) for a cross-validated R^2"
    if np.nanstd(y) == 0:
        return np.nan, None, "similarity is constant over the cohort"
    oof = np.full(len(y), np.nan)
    for tr, te in GroupKFold(n_splits=k).split(X, y, groups):
        model = LGBMRegressor(**kw).fit(X.iloc[tr], y[tr])
        oof[te] = model.predict(X.iloc[te])
    r2 = float(r2_score(y, oof))
    model = LGBMRegressor(**kw).fit(X, y)
    sv = shap.TreeExplainer(model)
    values = np.asarray(sv.shap_values(X))
    base = np.full(len(y), float(np.ravel(sv.expected_value)[0]))
    ex = shap.Explanation(values=values, base_values=base, data=X.to_numpy(dtype=float),
                          feature_names=list(X.columns))
    return r2, ex, ""


def top_features(explanation, k: int = 5) -> pd.DataFrame:
    """Top ``k`` features of a surrogate explanation by mean |SHAP|, with their direction.

    ``direction`` is ``+1`` when higher values of the feature raise the similarity (Spearman
    correlation of the feature's values with its SHAP values > 0), ``-1`` when they lower it.
    """
    from scipy.stats import spearmanr

    vals = np.asarray(explanation.values)
    data = np.asarray(explanation.data, dtype=float)
    imp = np.abs(vals).mean(axis=0)
    order = np.argsort(-imp, kind="stable")[:k]
    rows = []
    for j in order:
        if imp[j] <= 0:
            continue
        ok = np.isfinite(data[:, j])
        rho = spearmanr(data[ok, j], vals[ok, j]).statistic if ok.sum() > 2 and np.ptp(data[ok, j]) > 0 else np.nan
        rows.append({"feature": explanation.feature_names[j], "mean_abs_shap": float(imp[j]),
                     "direction": int(np.sign(rho)) if np.isfinite(rho) else 0})
    return pd.DataFrame(rows, columns=["feature", "mean_abs_shap", "direction"])


# -- the cards ------------------------------------------------------------------------------

@dataclass
class PrototypeCards:
    """Result of :func:`prototype_cards`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per prototype (index ``prototype``): ``class, branch, source_record``
        (``source_pseudonym`` when pseudonymised), ``source_leads, start_s, end_s,
        n_beats_in_window``, ``window_beats`` (which beats were measured), the measured values (``QRS_duration_ms``... NaN when the window
        gives none; ``P_wave_presence_fraction``, ``RR_irregularity`` and ``QTc_Bazett_ms`` are the
        source record's feature-table values, :data:`RECORD_LEVEL_FEATURES`), ``measured`` (text), ``measurement_reason``, ``surrogate_r2``,
        ``explained`` (R^2 >= threshold), ``surrogate_reason``, ``top_features`` (text),
        ``own_class_weight``, ``own_class_shapley``, ``classes_driven`` (text),
        ``top_class``, ``phecodes`` (text), ``rhythm_expectation``, ``rhythm_consistent``,
        ``description``.
    measurements : pandas.DataFrame
        Long table: ``prototype, feature, value, unit, class_median, class_median_reason,
        normal_low, normal_high, normal_range, normal_reference, outside_normal``
        (``class_median_reason``: why the class median is NaN, e.g. the class is not a label of
        the data; empty when there is one).
    explanations : dict
        Prototype -> ``shap.Explanation`` of its surrogate over the cohort.
    drivers : pandas.DataFrame
        Prototype x class: mean exact Shapley contribution over the class's positive records.
    segments : dict
        Prototype -> :class:`SourceSegment` (signals for the card figures).
    r2_threshold : float
    """

    table: pd.DataFrame
    measurements: pd.DataFrame
    explanations: dict
    drivers: pd.DataFrame
    segments: dict = field(repr=False)
    r2_threshold: float = 0.5

    def __len__(self) -> int:
        return len(self.table)

    def to_frame(self) -> pd.DataFrame:
        """The card table (a copy)."""
        return self.table.copy()

    def card(self, prototype: str) -> "PrototypeCard":
        """The renderable card of one prototype."""
        if prototype not in self.table.index:
            raise ConfigError(f"unknown prototype {prototype!r}; cards exist for {list(self.table.index)[:5]}...")
        return PrototypeCard(prototype, self.table.loc[prototype],
                             self.measurements[self.measurements["prototype"] == prototype],
                             self.explanations.get(prototype), self.segments.get(prototype))

    def glossary(self) -> pd.DataFrame:
        """Compact table: prototype, class, branch, source, window, R^2, description."""
        src = "source_pseudonym" if "source_pseudonym" in self.table else "source_record"
        out = self.table.reset_index()[["prototype", "class", "branch", src, "start_s", "end_s",
                                        "surrogate_r2", "description"]]
        return out

    def _repr_html_(self) -> str:
        return (f"<p><b>{len(self)} prototype cards</b> (surrogate R<sup>2</sup> >= {self.r2_threshold:g} for "
                f"{int(self.table['explained'].sum())})</p>" + self.glossary().to_html(index=False, border=0))


def card_marks(segment: SourceSegment, measured: Mapping[str, float]) -> list:
    """Marks for the card figure: the prototype window and the QRS of its first beat (both on
    the rhythm strip, which has room for two brackets)."""
    from interp_ecg.report.ecg_plot import Mark

    marks = [Mark("global", segment.start_sample, max(segment.end_sample - 1, segment.start_sample),
                  "prototype window", color="#7a1f1f")]
    fid = segment.fiducials
    if len(fid):
        b = fid.iloc[0]
        for name, a, z, key in (("QRS", "QRS_on", "QRS_off", "QRS_duration_ms"),):
            if np.isfinite(float(b[a])) and np.isfinite(float(b[z])) and np.isfinite(_num(measured, key)):
                marks.append(Mark("global", float(b[a]), float(b[z]), f"{name} {_num(measured, key):.0f} ms"))
    return marks


@dataclass
class PrototypeCard:
    """One prototype's card: description, measurement table, drivers and source figure."""

    prototype: str
    row: pd.Series
    measurements: pd.DataFrame
    explanation: Any = None
    segment: SourceSegment | None = None

    def measurement_table(self, max_amplitudes: int = 4) -> pd.DataFrame:
        """Intervals and rhythm rows, then the amplitudes furthest from the class median."""
        m = self.measurements
        main = m[~m["feature"].str.contains("_amp_mV_")]
        amp = m[m["feature"].str.contains("_amp_mV_")].copy()
        if len(amp):
            dev = (amp["value"] - amp["class_median"]).abs()
            amp = amp.assign(_d=dev.fillna(-1)).sort_values("_d", ascending=False, kind="stable").drop(columns="_d")
            amp = amp.head(max_amplitudes)
        out = pd.concat([main, amp])[["feature", "value", "unit", "class_median", "normal_range"]]
        return out.reset_index(drop=True)

    def plot(self, ax=None, source_label: str | None = None):
        """The source record on ECG grid paper, fiducials of the window's beats marked, the
        window and its QRS/PR/QT bracketed on the rhythm strip. Returns the axes (``ax=None``:
        a new figure at true clinical scale)."""
        from interp_ecg.report.ecg_plot import plot_ecg

        seg = self.segment
        if seg is None:
            raise ConfigError(f"{self.prototype}: no source segment to draw ({self.row.get('measurement_reason', '')})")
        strip = next((ld for ld in seg.window_leads if ld in STANDARD_LEADS and ld in seg.leads), "II")
        if seg.window_leads and len(seg.window_leads) == len(STANDARD_LEADS):
            strip = "II"
        label = source_label if source_label is not None else str(
            self.row.get("source_pseudonym", f"record {self.row.get('source_record', '?')}"))
        title = f"{self.prototype} - source {label}, {self.row['start_s']:.2f}-{self.row['end_s']:.2f} s"
        measured = dict(zip(self.measurements["feature"], self.measurements["value"]))
        return plot_ecg(seg.signal, seg.fs, seg.leads, fiducials=seg.fiducials,
                        marks=card_marks(seg, measured), rhythm_lead=strip, title=title, ax=ax)

    def _repr_html_(self) -> str:
        table = self.measurement_table()
        fig_html = ""
        if self.segment is not None:
            buf = io.StringIO()
            self.plot().figure.savefig(buf, format="svg")
            svg = buf.getvalue()
            fig_html = svg[svg.find("<svg"):]
        tops = html.escape(str(self.row.get("top_features", "")))
        return (f"<h4>{html.escape(self.prototype)}</h4><p>{html.escape(str(self.row['description']))}</p>"
                f"{fig_html}{table.to_html(index=False, border=0, float_format=lambda v: f'{v:.3g}')}"
                f"<p>Surrogate R<sup>2</sup> {self.row['surrogate_r2']:.2f}; top features: {tops}</p>")


def _description(row: Mapping[str, Any], findings: str, r2_threshold: float) -> str:
    what = f"{str(row['branch']).capitalize()} prototype of {row['class']}"
    parts = [f"{what}: {findings}" if findings else
             f"{what}: not measurable on its source ({row.get('measurement_reason') or 'no beats'})"]
    r2 = float(row["surrogate_r2"])
    if not np.isfinite(r2):
        parts.append(f"no surrogate ({row.get('surrogate_reason', '')})")
    elif r2 < r2_threshold:
        parts.append(f"not explained by standard measurements (R\u00b2 {r2:.2f})")
    else:
        parts.append(f"similarity tracks {row['top_features_words']} (R\u00b2 {r2:.2f})")
    if row.get("top_class"):
        parts.append(f"drives {row['top_class']}")
    if row.get("phecode_words"):
        parts.append(f"associated with {row['phecode_words']}")
    return "; ".join(parts) + "."


def _feature_words(top: pd.DataFrame, n: int = 2) -> str:
    from interp_ecg.explain.grounded import pretty_name, unit_of

    words = []
    for _, r in top.head(n).iterrows():
        # a count goes up or down in number ("more QRS notches in V6"), a measure in value
        up, down = ("more", "fewer") if unit_of(r["feature"]) == "count" else ("higher", "lower")
        sign = up if r["direction"] > 0 else down if r["direction"] < 0 else "changes in"
        name = pretty_name(r["feature"])
        if up == "more" and name.endswith(" count"):  # "PVC count" -> "more PVCs"
            name = name[: -len(" count")] + "s"
        words.append(f"{sign} {name}")
    return " and ".join(words)


def prototype_cards(
    model,
    dataset,
    features: pd.DataFrame,
    *,
    labels: pd.DataFrame | None = None,
    similarities: pd.DataFrame | None = None,
    phewas: pd.DataFrame | None = None,
    pseudonym_key: bytes | None = None,
    r2_threshold: float = 0.5,
    n_splits: int = 5,
    n_top: int = 5,
    n_phecodes: int = 3,
    q_threshold: float = 0.05,
    surrogate_params: Mapping[str, Any] | None = None,
    prototypes: Sequence[str] | None = None,
    min_contribution: float = 0.01,
    n_jobs: int | None = 1,
    random_state: int = 0,
) -> PrototypeCards:
    """Describe every prototype of a fitted prototype network in measured clinical terms.

    Parameters
    ----------
    model : ProtoECGNetClassifier
        Fitted (after push, so every prototype has a source record).
    dataset : EcgDataset
        Holds the prototypes' source records and the cohort the surrogates are fitted on
        (``meta`` with ``patient_id`` for patient-wise folds; records without one are their
        own group).
    features : pandas.DataFrame
        :func:`interp_ecg.features.extract` of ``dataset`` (indexed by record id); its
        ``kind == "feature"`` columns are the surrogates' inputs and give the class medians.
    labels : pandas.DataFrame, optional
        Multi-hot labels over the model's classes (default ``dataset.labels``).
    similarities : pandas.DataFrame, optional
        ``model.transform(dataset)`` when already computed.
    phewas : pandas.DataFrame, optional
        A PheWAS summary (:func:`interp_ecg.phenotype.phewas`) whose ``exposure`` column holds
        prototype names; its top ``n_phecodes`` rows by p per prototype are listed with q.
    pseudonym_key : bytes, optional
        Adds ``source_pseudonym`` (:func:`interp_ecg.io.pseudonym.pseudonym`, kind record).
    r2_threshold : float
        Surrogate R^2 below which a prototype is "not explained by standard measurements".
    n_splits : int
        Patient-wise folds of the surrogate's cross-validation.
    n_top : int
        Top SHAP features listed per prototype.
    n_phecodes, q_threshold : int, float
        Phecode associations listed, and the q below which one enters the description.
    surrogate_params : mapping, optional
        Overrides of the LightGBM regressor's parameters.
    prototypes : sequence of str, optional
        Describe only these.
    min_contribution : float
        Mean Shapley contribution (logit) over a class's positive records from which the
        prototype is said to drive that class (with a positive fusion weight on it).
    n_jobs : int, optional
        Processes for the surrogate models (joblib; ``-1``: all cores). Results do not depend on it.
    random_state : int

    Returns
    -------
    PrototypeCards

    Raises
    ------
    ConfigError
        A source record is not in ``dataset``; ``features`` shares no record with it or is not
        given; the model was fitted on an array with array labels, so its sources are array rows,
        not record ids (naming the prototype: a row number is never looked up as a record id).

    Examples
    --------
    >>> from interp_ecg.explain import prototype_cards
    >>> import tempfile, pandas as pd
    >>> from interp_ecg.simulate import cohort
    >>> from interp_ecg.io import read_ptbxl
    >>> from interp_ecg.features import extract
    >>> from interp_ecg.prototypes import ProtoECGNetClassifier
    >>> d = tempfile.mkdtemp()
    >>> _ = cohort(24, d, random_state=0, progress=False, sampling_rate=100,
    ...            conditions={"normal": 0.5, "lbbb": 0.5})
    >>> ds = read_ptbxl(d, sampling_rate=100)
    >>> clf = ProtoECGNetClassifier(preset="small", width=2, prototypes_per_class=1,
    ...     label_groups={"morphology": ["NORM", "CLBBB"]}, warmup_epochs=1, joint_epochs=1,
    ...     last_layer_epochs=1, fusion_epochs=1, device="cpu", n_threads=1).fit(ds, ds.labels[["NORM", "CLBBB"]])
    >>> cards = prototype_cards(clf, ds, extract(ds, progress=False))
    >>> list(cards.table.index)
    ['proto_NORM_00', 'proto_CLBBB_00']
    >>> cards.table.loc["proto_CLBBB_00", "description"].startswith("Morphology prototype of CLBBB")
    True
    """
    from interp_ecg.features import feature_dictionary, normal_ranges

    if features is None:
        raise ConfigError("prototype_cards needs the feature table of the dataset: pass "
                          "features=interp_ecg.features.extract(dataset)")
    names, sources = _selected_prototypes(model, prototypes)
    record_of = {p: _find_record(dataset, sources.at[p, "record_id"], p, _source_kind(sources, p))
                 for p in names}  # fail before the slow part
    classes = list(model.classes_)
    fdict = feature_dictionary()
    ranges = normal_ranges()
    units = fdict["unit"].to_dict()
    units.update({"n_beats_in_window": "count", "n_beats_with_P_in_window": "count"})
    cohort = _surrogate_cohort(model, dataset, features, similarities, fdict)
    lab = _class_labels(labels, dataset, classes)
    drivers, weights, proto_pos = _class_drivers(model, cohort, lab, names, classes)
    ctx = _CardContext(
        classes=classes, feats=cohort.feats, lab=lab, ranges=ranges, units=units, drivers=drivers,
        weights=weights, proto_pos=proto_pos, phewas=phewas, pseudonym_key=pseudonym_key,
        r2_threshold=r2_threshold, n_phecodes=n_phecodes, q_threshold=q_threshold,
        min_contribution=min_contribution,
    )
    from joblib import Parallel, delayed

    surrogates = Parallel(n_jobs=n_jobs)(
        delayed(_surrogate)(cohort.sims.loc[cohort.common, p].to_numpy(float), cohort.X, cohort.groups, n_splits,
                            random_state, surrogate_params)
        for p in names)
    rows, mrows, explanations, segments = [], [], {}, {}
    for p, (r2, ex, sreason) in zip(names, surrogates):
        src = sources.loc[p]
        measured, seg, reason = _measure_prototype(model, dataset, cohort.feats, src, record_of[p])
        if seg is not None:
            segments[p] = seg
        own_rows = _measurement_rows(p, str(src["class"]), measured, ctx)
        mrows.extend(own_rows)
        if ex is not None:
            explanations[p] = ex
            top = top_features(ex, n_top)
        else:
            top = pd.DataFrame(columns=["feature", "mean_abs_shap", "direction"])
        rows.append(_card_row(p, src, record_of[p], measured, seg, reason, own_rows, (r2, sreason), top, ctx))
    table = pd.DataFrame(rows).set_index("prototype").drop(columns=["top_features_words", "phecode_words"])
    measurements = pd.DataFrame(mrows, columns=["prototype", "feature", "value", "unit", "class_median",
                                                "class_median_reason", "normal_low", "normal_high", "normal_range",
                                                "normal_reference", "outside_normal"])
    return PrototypeCards(table, measurements, explanations, drivers, segments, r2_threshold)


# -- the stages of prototype_cards, in order -------------------------------------------------

def _selected_prototypes(model, prototypes: Sequence[str] | None) -> tuple[list[str], pd.DataFrame]:
    """The prototypes to describe (all, or ``prototypes``) and the model's source table."""
    if not hasattr(model, "prototype_sources_"):
        raise ConfigError("prototype_cards needs a fitted ProtoECGNetClassifier (no prototype_sources_)")
    sources = model.prototype_sources_
    names = list(prototypes) if prototypes is not None else list(sources.index)
    unknown = [p for p in names if p not in sources.index]
    if unknown:
        raise ConfigError(f"unknown prototypes {unknown[:5]}")
    return names, sources


@dataclass
class _Cohort:
    """The records the surrogates are fitted on: those with finite similarities and a feature row
    (passing ``quality_ok``), with record ids as text."""

    sims: pd.DataFrame  # the model's similarities (all records)
    feats: pd.DataFrame  # the feature rows that pass the quality check
    common: list  # record ids in both
    X: pd.DataFrame  # (len(common), n_features) numeric surrogate inputs
    groups: np.ndarray  # patient-wise fold groups of ``common``


def _surrogate_cohort(model, dataset, features: pd.DataFrame, similarities: pd.DataFrame | None,
                      fdict: pd.DataFrame) -> _Cohort:
    """Align similarities, features and patients; the inputs are the dictionary's ``feature``
    columns with any value. A record without a patient id is its own group."""
    sims = similarities if similarities is not None else model.transform(dataset)
    sims = sims.copy()
    sims.index = sims.index.map(str)
    feats = features.copy()
    feats.index = feats.index.map(str)
    if "quality_ok" in feats:
        feats = feats[feats["quality_ok"].astype(bool)]
    fcols = [c for c in feats.columns if c in fdict.index and fdict.at[c, "kind"] == "feature"]
    fcols = [c for c in fcols if pd.to_numeric(feats[c], errors="coerce").notna().any()]
    common = [i for i in sims.index if i in feats.index and np.isfinite(sims.loc[i].to_numpy(float)).all()]
    if not common:
        raise ConfigError("features and the model's similarities share no record; pass extract(dataset) of the same dataset")
    X = feats.loc[common, fcols].apply(pd.to_numeric, errors="coerce").astype(float)
    meta = dataset.meta.copy()
    meta.index = meta.index.map(str)
    own = pd.Series(["record:" + i for i in common], index=common)
    patients = meta["patient_id"].reindex(common) if "patient_id" in meta else pd.Series(np.nan, index=common)
    groups = patients.map(lambda v: np.nan if pd.isna(v) else f"patient:{v}").fillna(own).to_numpy()
    return _Cohort(sims, feats, common, X, groups)


def _class_labels(labels: pd.DataFrame | None, dataset, classes: list) -> pd.DataFrame | None:
    """Multi-hot labels over ``classes`` with record ids as text (None when there are none).

    Without ``labels`` they are the dataset's (PTB-XL: the SCP statements); a model of the
    PTB-XL diagnostic superclasses (``NORM, MI, STTC, CD, HYP``, the benchmark labels) gets its
    classes that are not statements from :func:`interp_ecg.io.ptbxl_superclass_labels`. A class
    that is still missing is an all-NaN column (its class medians are NaN, with the reason in
    ``class_median_reason``)."""
    lab = labels if labels is not None else getattr(dataset, "labels", None)
    if lab is not None:
        lab = lab.copy()
        lab.index = lab.index.map(str)
        missing = [c for c in classes if c not in lab.columns]
        if labels is None and missing:
            from interp_ecg.io import SUPERCLASSES, ptbxl_superclass_labels

            if set(missing) <= set(SUPERCLASSES):
                try:
                    sup = ptbxl_superclass_labels(dataset, records_without_superclass="keep")
                except (InterpEcgError, KeyError, ValueError) as err:  # not PTB-XL: the classes stay unlabelled
                    logger.info("no PTB-XL superclass labels for %s: %s", missing, err)
                else:
                    sup = sup.copy()
                    sup.index = sup.index.map(str)
                    lab = lab.join(sup[missing], how="left")
                    logger.info("class medians of %s from the PTB-XL diagnostic superclasses", ", ".join(missing))
        lab = lab.reindex(columns=classes)
    return lab


def _class_median_reason(cls: str, lab: pd.DataFrame | None, n_pos: int) -> str:
    """Why a class has no class medians ("" when it has records to take them from)."""
    if lab is None:
        return "the data carry no labels"
    if cls not in lab.columns or lab[cls].isna().all():
        return (f"{cls} is not a label of the data (not a statement column; pass labels= with a {cls} column, "
                "or use PTB-XL superclass names)")
    if n_pos == 0:
        return f"no measured record of the data is labelled {cls}"
    return ""


def _class_drivers(model, cohort: _Cohort, lab: pd.DataFrame | None, names: list, classes: list):
    """Exact Shapley contributions of the (linear) fusion layer averaged over each class's
    positive records: the prototype x class ``drivers`` table (NaN without positives), the
    fusion weights (K, P) and each prototype's position in them."""
    ex_fusion = model.shap_values(cohort.sims.loc[cohort.common])
    phi = np.asarray(ex_fusion.values)  # (n, P, K)
    weights = model.fusion_weights()[0]  # (K, P), rows in classes_ order
    proto_pos = {p: j for j, p in enumerate(model.feature_names_out_)}
    drivers = pd.DataFrame(np.nan, index=names, columns=classes)
    if lab is not None:
        y = lab.reindex(cohort.common)
        for k, c in enumerate(classes):
            pos = (y[c] == 1).to_numpy() if c in y else np.zeros(len(cohort.common), bool)
            if pos.any():
                for p in names:
                    drivers.at[p, c] = float(phi[pos, proto_pos[p], k].mean())
    return drivers, weights, proto_pos


@dataclass
class _CardContext:
    """What every card is built from besides its own prototype: the cohort-level tables and the
    options of :func:`prototype_cards`."""

    classes: list
    feats: pd.DataFrame
    lab: pd.DataFrame | None
    ranges: pd.DataFrame
    units: dict
    drivers: pd.DataFrame
    weights: np.ndarray
    proto_pos: dict
    phewas: pd.DataFrame | None
    pseudonym_key: bytes | None
    r2_threshold: float
    n_phecodes: int
    q_threshold: float
    min_contribution: float


def _measure_prototype(model, dataset, feats: pd.DataFrame, src: pd.Series, rid):
    """Measure a prototype's window on its source record (:func:`measure_source`); the frontal
    QRS axis of the record is added when the window is (nearly) the whole record."""
    record = dataset.load(rid)
    window_leads = [ld for ld in str(src["leads"]).split(",") if ld]
    whole = (float(src["end_s"]) - float(src["start_s"])) >= 0.9 * min(record.duration_s, model.n_samples / model.fs)
    row = feats.loc[str(rid)] if str(rid) in feats.index else pd.Series(dtype=float)
    if isinstance(row, pd.DataFrame):
        row = row.iloc[0]
    measured, seg, reason = measure_source(record, float(src["start_s"]), float(src["end_s"]), window_leads,
                                           record_features=row.to_dict())
    if whole and measured:
        axis = feats["QRS_axis_deg"].get(str(rid), np.nan) if "QRS_axis_deg" in feats else np.nan
        measured["QRS_axis_deg"] = float(axis)
    return measured, seg, reason


def _measurement_rows(p: str, cls: str, measured: Mapping[str, float], ctx: _CardContext) -> list[dict]:
    """Rows of the long measurement table for one prototype: each value beside the median over
    the class's positive records and the adult normal range."""
    if ctx.lab is not None and cls in ctx.lab:
        pos_ids = [i for i in ctx.lab.index[ctx.lab[cls] == 1] if i in ctx.feats.index]
    else:
        pos_ids = []
    ranges, out = ctx.ranges, []
    why_none = _class_median_reason(cls, ctx.lab, len(pos_ids))
    for name, value in measured.items():
        if name in ("n_beats_in_window", "n_beats_with_P_in_window"):
            continue
        med = (float(pd.to_numeric(ctx.feats.loc[pos_ids, name], errors="coerce").median())
               if pos_ids and name in ctx.feats else np.nan)
        why = why_none or ("" if np.isfinite(med) else f"not measured in the {len(pos_ids)} records of {cls}")
        lo = float(ranges.at[name, "normal_low"]) if name in ranges.index else np.nan
        hi = float(ranges.at[name, "normal_high"]) if name in ranges.index else np.nan
        outside = (np.isfinite(value) and ((np.isfinite(hi) and value >= hi) or (np.isfinite(lo) and value < lo)))
        out.append({"prototype": p, "feature": name, "value": value, "unit": ctx.units.get(name, ""),
                    "class_median": med, "class_median_reason": why, "normal_low": lo, "normal_high": hi,
                    "normal_range": range_text(lo, hi),
                    "normal_reference": ranges.at[name, "normal_reference"] if name in ranges.index else "",
                    "outside_normal": bool(outside)})
    return out


def _measured_text(measured: Mapping[str, float], own_rows: list[dict], ctx: _CardContext) -> str:
    """The card's ``measured`` column: the main intervals and rhythm values, each with its class
    median and normal range ("QRS 156 ms (class median 150 ms, normal < 120); ...")."""
    summary = []
    for name in ("QRS_duration_ms", "PR_interval_ms", "QTc_Bazett_ms", "heart_rate_bpm", "RR_irregularity",
                 "P_wave_presence_fraction", "QRS_axis_deg"):
        v = _num(measured, name)
        if not np.isfinite(v):
            continue
        unit = ctx.units.get(name, "")
        med = next((r["class_median"] for r in own_rows if r["feature"] == name), np.nan)
        txt = f"{_SHORT[name]} {_fmt(v, unit)}"
        extra = []
        if np.isfinite(med):
            extra.append(f"class median {_fmt(med, unit)}")
        if name in ctx.ranges.index:
            extra.append(f"normal {range_text(ctx.ranges.at[name, 'normal_low'], ctx.ranges.at[name, 'normal_high'])}")
        if name in RECORD_LEVEL_FEATURES:
            extra.insert(0, "whole record")
        summary.append(txt + (f" ({', '.join(extra)})" if extra else ""))
    n_in = _num(measured, "n_beats_in_window")
    if np.isfinite(n_in):
        n_p = _num(measured, "n_beats_with_P_in_window")
        summary.append(f"window: {int(n_in)} beat(s)" + (f", P delineated in {int(n_p)}" if np.isfinite(n_p) else ""))
    return "; ".join(summary)


def _driven_classes(p: str, ctx: _CardContext) -> pd.Series:
    """The classes a prototype drives, largest mean contribution first: its similarity raises the
    class (positive fusion weight) and contributes at least ``min_contribution`` on average over
    the class's positives (a negative weight "drives" only by absence)."""
    drv = ctx.drivers.loc[p].dropna().sort_values(ascending=False, kind="stable")
    w_p = pd.Series(ctx.weights[:, ctx.proto_pos[p]], index=ctx.classes)
    return drv[(drv >= ctx.min_contribution) & (w_p.reindex(drv.index) > 0)]


def _phecode_texts(p: str, ctx: _CardContext) -> tuple[str, str]:
    """The prototype's top ``n_phecodes`` PheWAS associations by p with their q (the
    ``phecodes`` column), and those with q below ``q_threshold`` in words (for the description)."""
    if ctx.phewas is None or not len(ctx.phewas):
        return "", ""
    hits = ctx.phewas[(ctx.phewas["exposure"].astype(str) == p)].dropna(subset=["q"])
    hits = hits.sort_values("p", kind="stable").head(ctx.n_phecodes)
    desc = hits["description"] if "description" in hits else hits["phecode"]
    ph_text = "; ".join(f"{d} ({c}, q = {q:.2g})" for d, c, q in zip(desc, hits["phecode"], hits["q"]))
    sig = [(d, q) for d, q in zip(desc, hits["q"]) if q < ctx.q_threshold]
    return ph_text, ", ".join(f"{d}, q = {q:.2g}" for d, q in sig)


def _card_row(p: str, src: pd.Series, rid, measured: dict, seg: SourceSegment | None, reason: str,
              own_rows: list[dict], surrogate: tuple[float, str], top: pd.DataFrame, ctx: _CardContext) -> dict:
    """One row of the card table (columns in the order of :class:`PrototypeCards`), with the
    rhythm check and the one-sentence description."""
    r2, sreason = surrogate
    cls, branch = str(src["class"]), str(src["branch"])
    window_leads = [ld for ld in str(src["leads"]).split(",") if ld]
    drv = _driven_classes(p, ctx)
    k_own = ctx.classes.index(cls) if cls in ctx.classes else None
    row = {
        "prototype": p, "class": cls, "branch": branch, "source_record": str(rid),
        "source_leads": ",".join(window_leads), "start_s": float(src["start_s"]), "end_s": float(src["end_s"]),
        "n_beats_in_window": measured.get("n_beats_in_window", 0.0),
        "window_beats": seg.rule if seg is not None else "",
    }
    if ctx.pseudonym_key is not None:
        from interp_ecg.io.pseudonym import pseudonym

        row["source_pseudonym"] = pseudonym(rid, ctx.pseudonym_key, "record")
    for name in INTERVAL_FEATURES + RHYTHM_FEATURES + ("QRS_axis_deg",):
        row[name] = _num(measured, name)
    row.update({
        "measured": _measured_text(measured, own_rows, ctx), "measurement_reason": reason,
        "class_median_reason": next((r["class_median_reason"] for r in own_rows
                                     if r.get("class_median_reason") and not np.isfinite(r["class_median"])
                                     and r["class_median_reason"].startswith(("the data", "no measured", cls))), ""),
        "surrogate_r2": r2, "explained": bool(np.isfinite(r2) and r2 >= ctx.r2_threshold),
        "surrogate_reason": sreason,
        "top_features": ", ".join(f"{f} ({'+' if d > 0 else '-' if d < 0 else '~'})"
                                  for f, d in zip(top["feature"], top["direction"])),
        "top_features_words": _feature_words(top),
        "own_class_weight": float(ctx.weights[k_own, ctx.proto_pos[p]]) if k_own is not None else np.nan,
        "own_class_shapley": float(ctx.drivers.at[p, cls]) if cls in ctx.drivers else np.nan,
        "classes_driven": ", ".join(f"{c} ({v:+.3f})" for c, v in drv.head(3).items()),
        "top_class": str(drv.index[0]) if len(drv) else "",
    })
    row["phecodes"], row["phecode_words"] = _phecode_texts(p, ctx)
    if branch == "rhythm" or cls in RHYTHM_EXPECTATIONS:
        rule = RHYTHM_EXPECTATIONS.get(cls)
        row["rhythm_expectation"] = rule[0] if rule else ""
        row["rhythm_consistent"] = rhythm_consistent(cls, measured)
    else:
        row["rhythm_expectation"] = ""
        row["rhythm_consistent"] = np.nan
    findings = describe_measurements(measured, ctx.ranges) if measured else ""
    row["description"] = _description(row, findings, ctx.r2_threshold)
    return row


__all__ = [
    "AMPLITUDE_FEATURES", "INTERVAL_FEATURES", "IRREGULAR_RR", "RECORD_LEVEL_FEATURES", "RHYTHM_EXPECTATIONS",
    "RHYTHM_FEATURES",
    "PrototypeCard", "PrototypeCards", "SourceSegment", "card_marks", "describe_measurements",
    "INTERVAL_NEEDS", "measure_source", "missing_reasons", "prototype_cards", "range_text", "rhythm_consistent",
    "top_features",
]
