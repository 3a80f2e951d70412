"""Grounded local explanations: attributions as sentences about measured, visible quantities.

For one record, :func:`explain_record` turns the top SHAP attributions into sentences that
carry the measured value, its unit, and, where the feature table records it, where it was
measured. A record-level interval is a multi-lead consensus and is described as one, with
the beat it is shown on and that beat's boundaries in seconds from the record start (as on
the plots' time axis):

    "QRS duration 148 ms, multi-lead consensus of the 12 usable leads, median over the 11
    dominant beats (beat 3 of 12: 148 ms from the QRS onset at 2.408 s to the QRS offset at
    2.556 s), raised the WCT probability by 0.21"

A per-lead value names its own lead; a value that was not measured gets no location ("RS
ratio in V4 not measured (V4 is not in the record); the model's handling of the missing
value raised ...").

Contributions are exact SHAP values on the **probability scale**, measured against a
background of reference records (``background=``, e.g. a sample of training rows): the
baseline they start from is the mean predicted probability of the model on those records,
and the explanation says so in words (``base_description``). A model trained with balanced
class weights (the package's default) predicts ~0.5 on average over balanced classes, so
its baseline is not the prevalence, and the text says that too. The contributions plus the
baseline equal the predicted probability of the record.
:func:`plot_grounded` draws the trace with the fiducial points and the measured intervals.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from interp_ecg.models import EnsembleClassifier
>>> from interp_ecg.explain import explain_record
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame({"QRS_duration_ms": rng.normal(110, 25, 200), "heart_rate_bpm": rng.normal(90, 25, 200)})
>>> y = ((X.QRS_duration_ms >= 120) & (X.heart_rate_bpm >= 100)).astype(int)
>>> model = EnsembleClassifier(("rf",), member_params={"rf": {"n_estimators": 50}}, random_state=0).fit(X, y)
>>> row = X.iloc[[0]].assign(QRS_duration_lead="V1", QRS_duration_start_sample=1204, QRS_duration_end_sample=1278)
>>> ge = explain_record(model, row, background=X.iloc[:100], top=1, target="WCT")
>>> ge.attributions[0].feature in X.columns
True
>>> bool(abs(ge.base_probability - model.predict_proba(X.iloc[:100])[:, 1].mean()) < 1e-6)
True
>>> ge.base_description
'mean predicted probability of the model on 100 background records; the model was trained with class weights, so this is not the prevalence of the class'
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from interp_ecg.errors import ModelError
from interp_ecg.explain.grouping import lead_of
from interp_ecg.features.dictionary import feature_spec
from interp_ecg.features.measurements import PER_LEAD_MEASURES
from interp_ecg.features.quality import SET_ASIDE_LEAD_COLUMNS
from interp_ecg.explain.shap_values import class_index, feature_frame, resolve_label, shap_explanation
from interp_ecg.io.leads import STANDARD_LEADS

logger = logging.getLogger(__name__)


def _dictionary() -> pd.DataFrame | None:
    try:
        from interp_ecg.features import feature_dictionary

        return feature_dictionary()
    except Exception:  # the features package may be absent or older
        return None


def unit_of(feature: str, dictionary: pd.DataFrame | None = None) -> str:
    """The unit written after a feature's value (``""`` for ratios, flags and text).

    From :func:`~interp_ecg.features.feature_spec` (the data dictionary); ``age`` is in years. A
    name the package's dictionary does not define takes its unit from ``dictionary`` (a table
    indexed by name with a ``unit`` column) when given, else has none.
    """
    if feature == "age":
        return "years"
    spec = feature_spec(feature)
    if spec.known:
        return spec.display_unit
    if dictionary is not None and feature in dictionary.index and "unit" in dictionary.columns:
        unit = str(dictionary.loc[feature, "unit"])
        return "" if unit in ("1", "nan", "0/1", "bool", "text") else unit
    return ""


def pretty_name(feature: str) -> str:
    """``"QRS_duration_ms"`` -> ``"QRS duration"``, ``"R_amp_mV_V5"`` -> ``"R amplitude in V5"``.

    The dictionary's display name (:func:`~interp_ecg.features.feature_spec`); a name it does not
    define is shown with underscores as spaces.
    """
    name = feature_spec(feature).display_name
    # eponyms joined by a hyphen, as the criteria are named (Sokolow-Lyon, not "Sokolow Lyon")
    return name.replace("Sokolow Lyon", "Sokolow-Lyon")


def _sentence_start(name: str) -> str:
    """``name`` with its first letter capitalised, unless its first word is a mixed-case term
    (``pNN50``, ``mV``), which keeps its own case.

    Examples
    --------
    >>> from interp_ecg.explain import grounded  # a private helper of this module
    >>> (grounded._sentence_start("pNN50"), grounded._sentence_start("age"),
    ...  grounded._sentence_start("QRS duration"))
    ('pNN50', 'Age', 'QRS duration')
    """
    first = name.split(" ", 1)[0]
    if first[:1].islower() and any(ch.isupper() for ch in first[1:]):
        return name
    return name[:1].upper() + name[1:]


#: 0/1 inputs written as words: feature -> (text for 1, text for 0)
_FLAG_WORDS = {"female": ("Sex: female", "Sex: male"), "sex": ("Sex: female", "Sex: male")}

#: why a feature is NaN when its own definition leaves it so (the sentence gives the reason)
_NAN_REASONS = {
    "ST60_max_depression_mV": "measured only when all twelve standard leads were recorded and none was set aside",
    "ST60_max_elevation_mV": "measured only when all twelve standard leads were recorded and none was set aside",
}


#: count features: the noun a count is of (singular, plural)
_COUNT_NOUNS = {"PVC_count": ("PVC", "PVCs"), "pacing_spike_count": ("spike", "spikes"),
                "QRS_notched_lead_count": ("lead", "leads"), "QRS_notches_total": ("notch", "notches"),
                "n_beats": ("beat", "beats"), "n_beats_dominant": ("beat", "beats"),
                "outlier_beat_count": ("beat", "beats")}


def _plural(n: float, one: str, many: str) -> str:
    """``"1 beat"``, ``"12 beats"`` (``n`` rounded to a whole number)."""
    k = int(round(float(n)))
    return f"{k} {one if k == 1 else many}"


def _count_noun(feature: str) -> tuple[str, str] | None:
    if feature in _COUNT_NOUNS:
        return _COUNT_NOUNS[feature]
    if feature.startswith("QRS_notches_"):
        return ("notch", "notches")
    return None


def _format_value(value: float, unit: str, feature: str = "") -> str:
    """A value with its unit; a count with its noun, pluralised (``"1 notch"``, ``"3 PVCs"``)."""
    if value is None or not np.isfinite(value):
        return "not measured"
    noun = _count_noun(feature)
    if unit == "count" or noun is not None:
        one, many = noun or ("", "")
        return _plural(value, one, many).strip() if noun else f"{value:.0f}"
    if unit in ("ms", "bpm", "deg", "sample"):
        text = f"{value:.0f}"
    elif unit in ("mV",):
        text = f"{value:.2f}"
    elif abs(value) >= 100:
        # no scientific notation in a sentence: 1440 mV*ms, not 1.44e+03
        text = f"{value:.0f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def _flag_text(feature: str, value: float) -> str | None:
    """A 0/1 input in words (``"Sex: female"``, ``"Paced: no"``), or None when it is not a flag.

    Examples
    --------
    >>> from interp_ecg.explain import grounded  # a private helper of this module
    >>> (grounded._flag_text("female", 0.0), grounded._flag_text("paced", 1.0),
    ...  grounded._flag_text("QRS_duration_ms", 1.0))
    ('Sex: male', 'Paced: yes', None)
    """
    if value not in (0.0, 1.0):
        return None
    if feature in _FLAG_WORDS:
        return _FLAG_WORDS[feature][0 if value == 1.0 else 1]
    if feature_spec(feature).unit in ("0/1", "bool"):
        return f"{_sentence_start(pretty_name(feature))}: {'yes' if value == 1.0 else 'no'}"
    return None


def format_value(value: float, feature: str, unit: str | None = None) -> str:
    """A feature's value as the sentences write it: number and unit, a count with its noun.

    Parameters
    ----------
    value : float
        NaN gives ``"not measured"``.
    feature : str
        Feature name (its unit and, for a count, its noun).
    unit : str, optional
        Default :func:`unit_of`.

    Returns
    -------
    str

    Examples
    --------
    >>> from interp_ecg.explain.grounded import format_value
    >>> format_value(1.0, "QRS_notches_aVF"), format_value(3.0, "PVC_count"), format_value(148.0, "QRS_duration_ms")
    ('1 notch', '3 PVCs', '148 ms')
    """
    return _format_value(value, unit_of(feature) if unit is None else unit, feature)


#: traced intervals: the consensus boundaries their provenance columns hold
_TRACED = {"PR_interval": ("P onset", "QRS onset"), "QRS_duration": ("QRS onset", "QRS offset"),
           "QT_interval": ("QRS onset", "T end")}
#: measured over every consensus beat of the record (``n_beats``)
_OVER_BEATS = ("heart_rate_bpm", "RR_mean_ms", "RR_sd_ms", "RR_min_ms", "RR_max_ms", "PVC_count",
               "PVC_per_min", "P_wave_presence_fraction")
#: measured over normal-to-normal intervals (both beats dominant and neither premature;
#: ``features.rhythm.normal_to_normal``; ``n_beats_dominant``)
_OVER_NN = ("SDNN_ms", "RMSSD_ms", "pNN50")
#: measured over every RR interval between two dominant beats, premature ones included
_OVER_DOMINANT_RR = ("RR_irregularity",)
#: median over the dominant beats without a traced beat
_MEDIAN_ONLY = {"P_duration_ms": "P offset minus P onset", "T_peak_to_end_ms": "T end minus T peak"}
_LIMB_LEADS = ("I", "II", "III", "aVR", "aVL", "aVF")
#: composite measurements: what they are made of, and the leads they need
_COMPOSITE = {"P_axis_deg": ("from the net P areas of the median beats of", _LIMB_LEADS),
              "QRS_axis_deg": ("from the net QRS areas of the median beats of", _LIMB_LEADS),
              "T_axis_deg": ("from the net T areas of the median beats of", _LIMB_LEADS),
              "QRS_T_angle_deg": ("from the QRS and T axes of the median beats of", _LIMB_LEADS),
              "Sokolow_Lyon_mV": ("|S V1| + max(R V5, R V6), from the median beats of", ("V1", "V5", "V6")),
              "Sokolow_Lyon_RVH_mV": ("R V1 + max(|S V5|, |S V6|), from the median beats of", ("V1", "V5", "V6")),
              "Cornell_voltage_mV": ("R aVL + |S V3|, from the median beats of", ("aVL", "V3")),
              "QT_dispersion_ms": ("largest minus smallest per-lead QT over the usable leads", ())}
#: composites that need every lead they name (NaN otherwise); the axes need any two limb leads
_NEEDS_ALL = ("Sokolow_Lyon_mV", "Sokolow_Lyon_RVH_mV", "Cornell_voltage_mV", "Cornell_product_mVms")
_LEADS12 = STANDARD_LEADS
#: the column naming limb leads that break the limb-lead identities: set aside when it names
#: one lead, in doubt (values kept) when it names several (features.quality.SET_ASIDE_LEAD_COLUMNS)
_LIMB_IDENTITY_COLUMN = "quality_limb_identity_leads"


def _num(row: pd.Series | None, key: str) -> float:
    if row is None:
        return np.nan
    try:
        value = float(row.get(key, np.nan))
    except (TypeError, ValueError):
        return np.nan
    return value if np.isfinite(value) else np.nan


def _text(row: pd.Series | None, key: str) -> str | None:
    value = None if row is None else row.get(key, None)
    return value if isinstance(value, str) and value else None


def _leads_in(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").replace(";", ",").split(",") if t.strip()]


def _set_aside_columns(row: pd.Series | None) -> dict[str, tuple[str, str]]:
    """Lead -> (column, words) for every lead the row's quality columns set aside (first column wins)."""
    out: dict[str, tuple[str, str]] = {}
    for col, words in SET_ASIDE_LEAD_COLUMNS:
        leads = _leads_in(_text(row, col))
        if col == _LIMB_IDENTITY_COLUMN and len(leads) != 1:
            continue  # several leads named: the check cannot tell which is off; their values are kept
        for lead in leads:
            out.setdefault(lead, (col, words))
    return out


def set_aside_leads(row: pd.Series | None) -> dict[str, str]:
    """The leads whose values the measurement set aside, each with why, from a feature-table row.

    Read from the quality columns of
    :data:`interp_ecg.features.quality.SET_ASIDE_LEAD_COLUMNS` (flat, clipped, noisy, invalid
    samples, out of scale, the one limb lead that breaks the limb-lead identities). An
    explanation never cites a value of these leads and names each with its reason.

    Parameters
    ----------
    row : pandas.Series or None
        A record's row of :func:`interp_ecg.features.extract`; missing columns are skipped.

    Returns
    -------
    dict
        Lead -> the words after "was set aside" (``"as flat"``), in the order of the columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.explain.grounded import set_aside_leads
    >>> set_aside_leads(pd.Series({"quality_noisy_leads": "V1", "quality_scale_leads": "V5",
    ...                            "quality_limb_identity_leads": "III"}))
    {'V1': 'as noisy', 'V5': 'as out of scale with the other limb or chest leads (gain or units error)', 'III': 'for breaking the limb-lead identities (on a wrong scale or not as named)'}
    >>> set_aside_leads(pd.Series({"quality_limb_identity_leads": "I,II,III"}))
    {}
    """
    return {lead: words for lead, (_, words) in _set_aside_columns(row).items()}


def limb_leads_in_doubt(row: pd.Series | None) -> list[str]:
    """Limb leads whose values were kept though the limb-lead identities fail and cannot tell
    which lead is off (``quality_limb_identity_leads`` naming several leads).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.explain.grounded import limb_leads_in_doubt
    >>> limb_leads_in_doubt(pd.Series({"quality_limb_identity_leads": "I,II,III"}))
    ['I', 'II', 'III']
    >>> limb_leads_in_doubt(pd.Series({"quality_limb_identity_leads": "III"}))
    []
    """
    leads = _leads_in(_text(row, _LIMB_IDENTITY_COLUMN))
    return leads if len(leads) > 1 else []


@dataclass
class _Context:
    """What a sentence may say about the record beyond the feature row (from its delineation)."""

    fs: float = np.nan
    #: beat numbers of the consensus rows, in time order (None: no delineation given)
    beats: list | None = None
    #: leads the delineation was given (usable leads), None when unknown
    delineated: list | None = None
    #: of those, the leads the delineator let vote in the consensus (status "ok")
    voting: list | None = None
    fiducials: pd.DataFrame | None = None

    @classmethod
    def of(cls, fiducials: pd.DataFrame | None, fs: float | None) -> "_Context":
        ctx = cls(fiducials=fiducials if fiducials is not None and len(fiducials) else None)
        attrs = getattr(fiducials, "attrs", {}) or {}
        rate = fs if fs is not None else attrs.get("fs", np.nan)
        try:
            ctx.fs = float(rate) if rate is not None and float(rate) > 0 else np.nan
        except (TypeError, ValueError):
            ctx.fs = np.nan
        if ctx.fiducials is not None and {"lead", "beat"} <= set(ctx.fiducials.columns):
            glob = ctx.fiducials[ctx.fiducials["lead"] == "global"]
            if "R_peak" in glob.columns:
                glob = glob.sort_values("R_peak", kind="stable")
            ctx.beats = pd.to_numeric(glob["beat"], errors="coerce").dropna().tolist()
        status = attrs.get("lead_status")
        if isinstance(status, dict):
            ctx.delineated = list(status)
            ctx.voting = [ld for ld, st in status.items() if st == "ok"]
        return ctx

    def beat_words(self, beat: float, row: pd.Series | None) -> str:
        """``"beat 3 of 12"``: beats counted from 1 in time order over the record's consensus beats."""
        if not np.isfinite(beat):
            return ""
        if self.beats is not None and beat in self.beats:
            return f"beat {self.beats.index(beat) + 1} of {len(self.beats)}"
        n = _num(row, "n_beats")
        return f"beat {int(beat) + 1} of {int(n)}" if np.isfinite(n) and 0 <= beat < n else f"beat {int(beat) + 1}"

    def at(self, sample: float) -> str:
        """A position: seconds from the record start (ms resolution), else the sample index as stored."""
        if np.isfinite(self.fs):
            return f"{round(sample * 1000.0 / self.fs) / 1000.0:.3f} s"
        return f"sample {sample:.2f}".rstrip("0").rstrip(".")

    def span(self, s0: float, s1: float, a: str, b: str) -> str:
        """``"98 ms from the QRS onset at 1.106 s to the QRS offset at 1.204 s"``.

        The duration is the difference of the two positions as written (ms resolution), so a
        reader can check it; without a sampling rate it is left out (positions as samples).
        """
        if np.isfinite(self.fs):
            t0, t1 = round(s0 * 1000.0 / self.fs), round(s1 * 1000.0 / self.fs)
            return f"{t1 - t0} ms from the {a} at {self.at(s0)} to the {b} at {self.at(s1)}"
        return f"from the {a} at {self.at(s0)} to the {b} at {self.at(s1)}"

    def global_value(self, beat: float, column: str) -> float:
        if self.fiducials is None or column not in self.fiducials.columns or not np.isfinite(beat):
            return np.nan
        rows = self.fiducials[(self.fiducials["lead"] == "global")
                              & (pd.to_numeric(self.fiducials["beat"], errors="coerce") == beat)]
        if len(rows) != 1:
            return np.nan
        v = pd.to_numeric(rows.iloc[0][column], errors="coerce")
        return float(v) if pd.notna(v) else np.nan


def _n_usable(row: pd.Series | None, ctx: _Context) -> float:
    """Leads that vote in the consensus: the delineation's "ok" leads, else the row's usable-lead count."""
    if ctx.voting is not None:
        return float(len(ctx.voting))
    return _num(row, "quality_n_leads_usable")


def _consensus_words(row: pd.Series | None, ctx: _Context) -> str:
    """Which leads a record-level (consensus) boundary comes from, as far as it is known."""
    n = _n_usable(row, ctx)
    if np.isfinite(n) and n == 1:
        only = ctx.voting[0] if ctx.voting and len(ctx.voting) == 1 else None
        return f"from the one usable lead{' (' + only + ')' if only else ''}"
    out = [ld for ld, (col, _) in _set_aside_columns(row).items() if col != _LIMB_IDENTITY_COLUMN]
    if ctx.voting is not None:  # a lead the delineation let vote was not left out of it
        out = [ld for ld in out if ld not in ctx.voting]
    _, why = _measured_leads(out, row, ctx) if out else ([], "")
    why = f" ({why})" if why else ""
    if np.isfinite(n) and n > 1:
        return f"multi-lead consensus of the {int(n)} usable leads{why}"
    return f"multi-lead consensus over the leads{why}"


def _dominant_words(row: pd.Series | None) -> str:
    """``"the 13 dominant beats"``, or, where beats cut by the record edge were left out of the
    medians (``quality_reason``) and which of them were dominant is not recorded, ``"the
    dominant beats not cut by the record edge"``."""
    n = _num(row, "n_beats_dominant")
    match = re.search(r"(\d+) beat\(s\) cut by the record edge", _text(row, "quality_reason") or "")
    if match and int(match.group(1)) > 0:
        return "the dominant beats not cut by the record edge"
    return f"the {_plural(n, 'dominant beat', 'dominant beats')}" if np.isfinite(n) else "the dominant beats"


def _lead_unmeasured(lead: str, row: pd.Series | None, ctx: _Context) -> str:
    """Why a lead has no measurements (``""`` when it was measured, or nothing is known)."""
    aside = set_aside_leads(row)
    if lead in aside:
        return f"{lead} was set aside {aside[lead]}"
    reason = _text(row, "quality_reason") or ""
    match = re.search(r"leads set aside for invalid samples: ([^;]*)", reason)
    if match and lead in _leads_in(match.group(1)):
        return f"{lead} was set aside for invalid samples"
    match = re.search(r"leads set aside \([^)]*\): ([^;]*)", reason)
    if match and lead in _leads_in(match.group(1)):
        return f"{lead} was set aside"
    if ctx.delineated is not None:
        return "" if lead in ctx.delineated else f"{lead} is not in the record"
    if row is not None:
        cols = [f"{m}_{lead}" for m in PER_LEAD_MEASURES if f"{m}_{lead}" in row.index]
        if cols and not any(np.isfinite(_num(row, c)) for c in cols):
            # the feature row alone cannot tell a lead missing from the record from one that was
            # in it but gave no measurement (the delineation, ``fiducials``, can)
            return f"{lead} is absent from the record or unusable"
    return ""


def _measured_leads(leads, row: pd.Series | None, ctx: _Context) -> tuple[list[str], str]:
    """``leads`` that were measured, and why the others were not (``"V1 and V6 are not in the record"``)."""
    done, why = [], {}
    for lead in leads:
        reason = _lead_unmeasured(lead, row, ctx)
        if reason:
            # every reason reads "<lead> <verb> <rest>": group the leads by (verb, rest)
            verb, _, rest = reason.removeprefix(f"{lead} ").partition(" ")
            why.setdefault((verb, rest), []).append(lead)
        else:
            done.append(lead)
    plural = {"is": "are", "was": "were", "has": "have"}
    parts = []
    for (verb, rest), names in why.items():
        if len(names) > 1:
            verb = plural.get(verb, verb)
        parts.append(f"{' and '.join([', '.join(names[:-1]), names[-1]] if len(names) > 1 else names)} {verb} {rest}")
    return done, "; ".join(parts)


def _quality_clause(feature: str, row: pd.Series | None) -> str:
    """The clause of ``quality_reason`` that says why ``feature`` was not measured, if any."""
    name = pretty_name(feature).lower()
    for clause in (_text(row, "quality_reason") or "").split(";"):
        clause = clause.strip()
        if clause.lower().startswith(f"{name} not measured:"):
            return clause.split(":", 1)[1].strip()
    return ""


def _unmeasured_reason(feature: str, row: pd.Series | None, ctx: _Context) -> str:
    """Why a feature's value is missing, from the feature row and the delineation (``""``: unknown)."""
    if row is not None and "quality_ok" in row.index and row.get("quality_ok") is not None \
            and not bool(row.get("quality_ok")):
        why = _text(row, "quality_error") or _text(row, "quality_reason")
        return f"the record could not be measured{': ' + why if why else ''}"
    lead = lead_of(feature)
    if lead != "global":
        return _lead_unmeasured(lead, row, ctx)  # a measured lead without this value: no reason known
    clause = _quality_clause(feature, row)
    if clause:
        return clause
    base = feature.removesuffix("_ms")
    if base in _TRACED or feature in ("JT_interval_ms", "P_duration_ms", "T_peak_to_end_ms"):
        return "its boundaries were found on under half of the dominant beats"
    if feature.startswith("QTc_"):
        return "the QT interval or the RR interval was not measured"
    needs = _COMPOSITE.get(feature, ("", ()))[1]
    if feature == "Cornell_product_mVms":
        needs = ("aVL", "V3")
    if feature in _NEEDS_ALL and needs:
        _, missing = _measured_leads(needs, row, ctx)
        if missing:
            return f"it needs {', '.join(needs)}: {missing}"
    return ""


def _traced(base: str, row: pd.Series | None) -> tuple[str | None, float, float, float]:
    """Closest lead, consensus start and end sample, and beat of a traced interval (NaN where not recorded)."""
    return (_text(row, f"{base}_lead"), _num(row, f"{base}_start_sample"), _num(row, f"{base}_end_sample"),
            _num(row, f"{base}_beat"))


def _traced_interval(base: str, row: pd.Series | None, ctx: _Context) -> tuple[float, float, str]:
    """Start, end and words of a traced interval's beat, e.g. ``"beat 3 of 12: 98 ms from ..."``."""
    closest, s0, s1, beat = _traced(base, row)
    if not (np.isfinite(s0) and np.isfinite(s1)):
        return np.nan, np.nan, ""
    a, b = _TRACED[base]
    if base == "PR_interval":
        p_on = ctx.global_value(beat, "P_on")
        if closest == "global" or (np.isfinite(p_on) and abs(p_on - s0) > 1e-6):
            # PR measured on the median beat (frequent ectopy): its P onset is placed before this beat's QRS
            a = "P onset of the median beat, placed before this beat's QRS onset,"
    words = ctx.beat_words(beat, row)
    return s0, s1, f"{words}: {ctx.span(s0, s1, a, b)}" if words else ctx.span(s0, s1, a, b)


def _interval_words(feature: str, row: pd.Series | None, ctx: _Context) -> tuple[float, float, str]:
    """``"the median over the dominant beats, a consensus over the 12 usable leads (beat 2 of 11: ...)"``."""
    base = feature.removesuffix("_ms")
    s0, s1, beat = _traced_interval(base, row, ctx)
    closest = _text(row, f"{base}_lead")
    if base == "PR_interval" and closest == "global":
        head = f"measured on the median beat of {_dominant_words(row)}"
    else:
        head = f"{_consensus_words(row, ctx)}, median over {_dominant_words(row)}"
    return s0, s1, f"{head} ({beat})" if beat else head


def _jt_location(row: pd.Series | None, ctx: _Context) -> tuple[float, float, str]:
    """JT from the consensus QRS offset to the T end of one beat: the QRS's traced beat, else the QT's."""
    _, q0, q1, qb = _traced("QRS_duration", row)
    _, t0, t1, tb = _traced("QT_interval", row)
    if np.isfinite(q1) and np.isfinite(t1) and np.isfinite(qb) and qb == tb and t1 > q1:
        return q1, t1, f"{ctx.beat_words(tb, row)}: {ctx.span(q1, t1, 'QRS offset', 'T end')}"
    if np.isfinite(tb) and np.isfinite(t0) and np.isfinite(t1):
        j0 = ctx.global_value(tb, "QRS_off")
        same = ctx.global_value(tb, "QRS_on") == t0 and ctx.global_value(tb, "T_off") == t1
        if same and np.isfinite(j0) and t0 < j0 < t1:
            return j0, t1, (f"{ctx.beat_words(tb, row)}, the beat the QT interval is shown on: "
                            f"{ctx.span(j0, t1, 'QRS offset', 'T end')}")
    return np.nan, np.nan, ""


def _locate(feature: str, row: pd.Series | None, fiducials: pd.DataFrame | None = None,
            fs: float | None = None, value: float | None = None) -> tuple[str | None, float, float, str]:
    """Where a feature was measured: ``(lead, start_sample, end_sample, phrase)``.

    The phrase only states what the feature table and the delineation record: a record-level
    interval is a consensus over the usable leads (``lead`` ``"global"``: its provenance
    ``*_lead`` column names only the lead whose own marks lie closest, not the lead it was
    measured in), a per-lead value its own lead, a voltage criterion or axis the leads it
    combines. A value that was not measured (``value`` NaN) gets no location, only the
    reason where one is known. ``lead``/samples are what a trace can mark (NaN samples:
    nothing to bracket).
    """
    ctx = _Context.of(fiducials, fs)
    if value is None and row is not None and feature in row.index:
        value = _num(row, feature)
    if value is not None and not np.isfinite(value):
        return None, np.nan, np.nan, _unmeasured_reason(feature, row, ctx)
    lead = lead_of(feature)
    base = feature.removesuffix("_ms")
    if base in _TRACED:
        s0, s1, words = _interval_words(feature, row, ctx)
        located = np.isfinite(s0) and np.isfinite(s1)
        return ("global" if located else None), s0, s1, words
    if feature == "JT_interval_ms":
        j0, j1, beat = _jt_location(row, ctx)
        head = f"multi-lead consensus QRS offset to T end, median over {_dominant_words(row)}"
        if np.isfinite(j0):
            return "global", j0, j1, f"{head} ({beat})"
        return None, np.nan, np.nan, head
    if feature.startswith("QTc_"):
        rr = f"the mean RR interval over {_count(row, 'n_beats', 'beat', 'beats')}"
        s0, s1, qt = _traced_interval("QT_interval", row, ctx)
        qt_value = _num(row, "QT_interval_ms")
        qt_head = f"the QT interval {qt_value:.0f} ms" if np.isfinite(qt_value) else "the QT interval"
        located = np.isfinite(s0) and np.isfinite(s1)
        where = f" (QT shown on {qt})" if located else ""
        return ("global" if located else None), s0, s1, f"from {qt_head} and {rr}{where}"
    if feature == "Cornell_product_mVms":
        s0, s1, qrs = _traced_interval("QRS_duration", row, ctx)
        q_value = _num(row, "QRS_duration_ms")
        q_head = f"the QRS duration {q_value:.0f} ms" if np.isfinite(q_value) else "the QRS duration"
        located = np.isfinite(s0) and np.isfinite(s1)
        where = f" (QRS shown on {qrs})" if located else ""
        return (("global" if located else None), s0, s1,
                f"R aVL + |S V3| (median beats of aVL and V3) times {q_head}{where}")
    if feature in _OVER_BEATS:
        return None, np.nan, np.nan, f"over {_count(row, 'n_beats', 'beat', 'beats')}"
    if feature in _OVER_NN:
        return None, np.nan, np.nan, (f"over the normal-to-normal intervals (premature and paced beats left out) of "
                                      f"{_count(row, 'n_beats_dominant', 'dominant beat', 'dominant beats')}")
    if feature in _OVER_DOMINANT_RR:
        return None, np.nan, np.nan, (f"over the RR intervals between "
                                      f"{_count(row, 'n_beats_dominant', 'dominant beat', 'dominant beats')}")
    if feature in _MEDIAN_ONLY:
        return None, np.nan, np.nan, f"{_MEDIAN_ONLY[feature]}, median over {_dominant_words(row)}"
    if feature in _COMPOSITE:
        words, needs = _COMPOSITE[feature]
        if not needs:
            return None, np.nan, np.nan, words
        done, missing = _measured_leads(needs, row, ctx)
        left_out = f" ({missing})" if done and missing else ""
        return None, np.nan, np.nan, f"{words} {', '.join(done or needs)}{left_out}"
    if feature in ("ST60_max_elevation_mV", "ST60_max_depression_mV"):
        vals = {ld: _num(row, f"ST60_amp_mV_{ld}") for ld in _LEADS12}
        vals = {k: v for k, v in vals.items() if np.isfinite(v)}
        if vals and value is not None and np.isfinite(value) and value != 0:
            pick = max(vals, key=vals.get) if "elevation" in feature else min(vals, key=vals.get)
            if abs(vals[pick] - value) < 1e-6:
                return pick, np.nan, np.nan, f"in lead {pick}, 60 ms after the J point of its median beat"
        if vals:
            return None, np.nan, np.nan, (f"over the median beats of the {_plural(len(vals), 'lead', 'leads')} "
                                          f"with an ST60 value ({', '.join(vals)})")
        return None, np.nan, np.nan, "over the leads' median beats"
    if feature in ("QRS_fragmented", "QRS_notched_lead_count", "QRS_notches_total"):
        notched = [ld for ld in _LEADS12 if _num(row, f"QRS_notches_{ld}") > 0]
        if notched:
            return None, np.nan, np.nan, f"QRS notches on the median beats of {', '.join(notched)}"
        return None, np.nan, np.nan, "over the leads' median beats"
    if lead != "global":
        why = _lead_unmeasured(lead, row, ctx)
        if why:  # a value for a lead that was not measured is the model's input, not a measurement
            return None, np.nan, np.nan, why
        doubt = (f" ({lead} may be on another scale or not as named: the limb-lead identities fail and "
                 f"cannot tell which of {', '.join(limb_leads_in_doubt(row))} is off)"
                 if lead in limb_leads_in_doubt(row) else "")
        return lead, np.nan, np.nan, f"in lead {lead}, on its median beat of {_dominant_words(row)}{doubt}"
    return None, np.nan, np.nan, ""


def _count(row: pd.Series | None, key: str, one: str, many: str) -> str:
    n = _num(row, key)
    return _plural(n, one, many) if np.isfinite(n) else f"the record's {many}"


def measurement_location(feature: str, row: pd.Series | None = None,
                         fiducials: pd.DataFrame | None = None,
                         fs: float | None = None) -> tuple[str | None, float, float, str]:
    """Where a feature's value was measured, from a feature-table row (see :func:`explain_record`).

    Parameters
    ----------
    feature : str
        Column of :func:`interp_ecg.features.extract`.
    row : Series, optional
        The record's feature-table row (provenance columns, beat counts, per-lead values,
        quality columns). A value that is NaN in it gets no location, only its reason.
    fiducials : DataFrame, optional
        The delineation the features were measured from
        (:func:`interp_ecg.features.measured_fiducials`): gives the sampling rate (``attrs``),
        the leads delineated, the beat count, and locates JT on the QT's beat.
    fs : float, optional
        Sampling rate (Hz); default ``fiducials.attrs["fs"]``. With it, positions are given in
        seconds from the record start (ms resolution, as on the plots' time axes); without it,
        as the stored sample indices (not rounded).

    Returns
    -------
    (lead, start_sample, end_sample, phrase)
        ``lead`` is ``"global"`` for a record-level (multi-lead consensus) interval, the lead
        for a per-lead value, None where unknown; samples NaN where there is nothing to
        bracket; ``phrase`` empty when nothing is known.

    Examples
    --------
    >>> from interp_ecg.explain.grounded import measurement_location
    >>> import pandas as pd
    >>> row = pd.Series({"QRS_duration_ms": 148.0, "QRS_duration_lead": "V1", "QRS_duration_beat": 2.0,
    ...                  "QRS_duration_start_sample": 1204.0, "QRS_duration_end_sample": 1278.0,
    ...                  "n_beats": 12.0, "n_beats_dominant": 11.0, "quality_n_leads_usable": 12.0})
    >>> measurement_location("QRS_duration_ms", row, fs=500)[3]
    'multi-lead consensus of the 12 usable leads, median over the 11 dominant beats (beat 3 of 12: 148 ms from the QRS onset at 2.408 s to the QRS offset at 2.556 s)'
    >>> measurement_location("heart_rate_bpm", row)[3]
    'over 12 beats'
    >>> measurement_location("age", row)[3]
    ''
    """
    return _locate(feature, row, fiducials, fs)

@dataclass
class Attribution:
    """One grounded attribution (probability-scale ``contribution``).

    ``lead`` is ``"global"`` for a record-level (multi-lead consensus) value, the lead for a
    per-lead value, None where no location is known or the value was not measured;
    ``start_sample``/``end_sample`` are the bracketed beat's consensus boundaries (sample
    indices at the record's rate), NaN when there is nothing to bracket.
    """

    feature: str
    value: float
    unit: str
    contribution: float
    lead: str | None = None
    start_sample: float = np.nan
    end_sample: float = np.nan
    sentence: str = ""
    where: str = ""
    #: why the value is not cited: its lead was set aside (``"V5 was set aside as ..."``); ``""``
    set_aside: str = ""

    def describe(self, target: str = "positive class", scale: str = "probability") -> str:
        """The sentence: name, value and unit, where it was measured, and the push on ``target``.

        ``where`` (set by :func:`explain_record` from the feature table) is used as is;
        without it, the location is rebuilt from ``lead`` and the samples only. ``scale`` names
        the contribution's units (``"probability"``, or ``"log-odds"`` for a margin-space
        explanation).
        """
        where = self.where
        located = self.lead is not None and np.isfinite(self.start_sample) and np.isfinite(self.end_sample)
        if not where and located:
            span = _Context().span(self.start_sample, self.end_sample, "start", "end")
            where = (f"a consensus over the leads, {span}" if self.lead == "global"
                     else f"in lead {self.lead}, {span}")
        elif not where and self.lead and self.lead != "global" and lead_of(self.feature) != "global":
            where = f"in lead {self.lead}"
        verb = "raised" if self.contribution >= 0 else "lowered"
        effect = f"{verb} the {target} {scale} by {abs(self.contribution):.2f}"
        name = _sentence_start(pretty_name(self.feature))
        if self.set_aside and self.value is not None and np.isfinite(self.value):
            # the model was given a value of a lead the measurement set aside: not cited
            return f"{name}: its value is not cited ({self.set_aside}); the model's input for it {effect}"
        if self.value is None or not np.isfinite(self.value):
            # a missing value is the model's input (its missing-value rule), not a measurement
            where = where or _NAN_REASONS.get(self.feature, "")
            why = f" ({where})" if where else ""
            return f"{name} not measured{why}; the model's handling of the missing value {effect}"
        value = _format_value(self.value, self.unit, self.feature)
        head = f"{name}: {value}" if _count_noun(self.feature) else f"{name} {value}"
        flag = _flag_text(self.feature, float(self.value))
        if flag is not None:
            head = flag
        if self.feature == "ST60_max_depression_mV":
            # the feature is the most negative ST60 (<= 0): say it as a depression of a positive size
            depth = abs(float(self.value))
            head = (f"{name}: a depression of {_format_value(depth, self.unit)}" if depth > 0
                    else f"{name}: no ST depression (0.00 mV)")
        where = f", {where}" if where else ""
        return f"{head}{where}, {effect}"


@dataclass
class GroundedExplanation:
    """Top attributions of one record with its predicted output and the baseline they start from.

    ``probability`` and ``base_probability`` are on the explanation's ``scale``
    (``"probability"``, or ``"log-odds"`` for a margin-space explanation given to
    :func:`explain_row`); ``base_description`` says what the baseline is (e.g. "mean predicted
    probability of the model on 100 background records; ... not the prevalence").
    """

    record_id: object
    probability: float
    base_probability: float
    attributions: list = field(default_factory=list)
    target: str = "positive class"
    exact: bool = True
    base_description: str = ""
    scale: str = "probability"

    def sentences(self) -> list[str]:
        return [a.sentence for a in self.attributions]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([a.__dict__ for a in self.attributions])

    def headline(self) -> str:
        """``"Record 17: WCT probability 0.83; baseline 0.06 = mean predicted probability ..."``."""
        what = f" = {self.base_description}" if self.base_description else " (the explanation's base value)"
        return (f"Record {self.record_id}: {self.target} {self.scale} {self.probability:.2f}; "
                f"baseline {self.base_probability:.2f}{what}")

    def __str__(self) -> str:
        return "\n".join([self.headline()] + [f"- {s}" for s in self.sentences()])

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{s}</li>" for s in self.sentences())
        return f"<p><b>{str(self).splitlines()[0]}</b></p><ul>{items}</ul>"


def explain_record(
    model,
    X_row,
    feature_row: pd.Series | pd.DataFrame | None = None,
    background=None,
    top: int = 5,
    label=None,
    target: str | None = None,
    dictionary: pd.DataFrame | None = None,
    random_state: int = 0,
    fiducials: pd.DataFrame | None = None,
    fs: float | None = None,
    output_word: str = "probability",
) -> GroundedExplanation:
    """Top attributions of one record as grounded sentences.

    Parameters
    ----------
    model : fitted EnsembleClassifier
    X_row : one-row DataFrame (or Series) with the model's features; may carry provenance
        columns (``QRS_duration_lead``, ``QRS_duration_start_sample``, ...) too.
    feature_row : the record's row of :func:`interp_ecg.features.extract` (provenance);
        default: ``X_row`` itself.
    background : DataFrame or array
        Reference records (e.g. training rows, subsampled to 100): the baseline is the
        model's mean predicted probability on them. Required: a single record has no
        reference of its own (:class:`~interp_ecg.errors.ModelError` without it).
    top : int
        Number of attributions (by absolute contribution).
    label : which label (multi-label models) or class (multi-class models); required for both.
    target : str
        Name in the sentences (default: the label, or "positive class").
    dictionary : DataFrame, optional
        Feature dictionary (default :func:`interp_ecg.features.feature_dictionary` when present).
    random_state : int
        Seed of the SHAP background sampling.
    fiducials : DataFrame, optional
        The delineation the features were measured from
        (:func:`interp_ecg.features.measured_fiducials`). Gives the sampling rate, the leads
        that were delineated (so a lead that is not in the record is said to be so) and the
        number of beats, and lets a JT interval be located on the beat its QT was traced on
        when the feature table's QRS and QT beats differ (used only if that beat's consensus
        QRS onset and T end match the provenance).
    fs : float, optional
        Sampling rate (Hz); default ``fiducials.attrs["fs"]``. Positions are then written in
        seconds from the record start (ms resolution, the plots' time axis); without a rate,
        as the stored sample indices (not rounded).
    output_word : str
        What the model's output is called in the sentences and the headline: ``"probability"``
        (default), or ``"score"`` for a model whose ``predict_proba`` is not a calibrated
        probability (class-weighted training, no recalibration): "raised the WCT score by
        0.11", "baseline 0.03 = mean score of the model on 100 background records".

    Notes
    -----
    Every sentence says only what the feature table and the delineation record, never more.
    The record-level intervals (PR, QRS, QT) are medians over the dominant beats of a
    multi-lead consensus: the sentence says so, with the number of usable leads, and shows
    the beat the provenance traces ("beat 3 of 12", counted from 1 in time order) with that
    beat's own duration between the two positions it gives (the duration is the difference
    of the written positions). The provenance column ``*_lead`` is the lead whose own marks
    lie closest to the consensus ones, not the lead the value was measured in, so it is not
    named. JT is the consensus QRS offset to T end of a traced beat; QTc names its QT and the
    mean RR with its beat count; rhythm features their beat counts; per-lead features their
    lead's median beat; voltage criteria and axes the leads they combine. A value that was
    not measured (NaN) gets no location, only the reason where the feature row or the
    delineation gives one (a lead set aside, or not in the record), and its contribution is
    called the model's handling of the missing value. Counts are written with their noun,
    pluralised ("1 notch").

    Returns
    -------
    GroundedExplanation
    """
    if isinstance(X_row, pd.Series):
        X_row = X_row.to_frame().T
    if len(X_row) != 1:
        raise ModelError(f"explain_record explains one record; got {len(X_row)} rows")
    sub, label_name = resolve_label(model, label)
    column = -1  # binary: the positive class
    classes = getattr(sub, "classes_", None)
    if not getattr(model, "multilabel_", False) and classes is not None and len(classes) > 2:
        if label is None:
            raise ModelError(
                f"multi-class model: pass label= one of {[str(c) for c in classes]} "
                "(a sentence explains one class)")
        column = class_index(list(classes), label)
        label_name = classes[column]
    Xf = feature_frame(sub, X_row)
    prov = feature_row if feature_row is not None else X_row
    if isinstance(prov, pd.DataFrame):
        prov = prov.iloc[0]
    dictionary = _dictionary() if dictionary is None else dictionary
    if background is None:
        raise ModelError("explain_record needs background= (reference records, e.g. a sample of training rows): "
                         "the contributions are measured from the model's mean prediction on them")
    ex = shap_explanation(model, Xf, output="probability", background=background, label=label,
                          random_state=random_state)
    vals = np.asarray(ex.values[0], dtype=float)
    base = float(ex.base_values[0])
    prob = float(sub.predict_proba(Xf)[0, column])
    tname = target or (str(label_name) if label_name is not None else "positive class")
    atts = _attributions([str(c) for c in Xf.columns], Xf.iloc[0].to_numpy(dtype=float), vals, prov, top, tname,
                         dictionary, fiducials, scale=output_word, fs=fs)
    rid = X_row.index[0]
    meaning = str(ex.base_meaning)
    if output_word != "probability":
        meaning = meaning.replace("predicted probability", output_word)
    return GroundedExplanation(rid, prob, base, atts, tname, True, base_description=meaning, scale=output_word)


def _attributions(names, data, values, row, top: int, target: str, dictionary, fiducials,
                  scale: str = "probability", skip_zero: bool = False, fs: float | None = None) -> list:
    """The ``top`` attributions by absolute contribution, located and put into sentences."""
    atts = []
    for j in np.argsort(-np.abs(values))[:top]:
        if skip_zero and values[j] == 0:
            continue
        feat = names[j]
        lead, start, end, where = _locate(feat, row, fiducials, fs, value=float(data[j]))
        own = lead_of(feat)
        aside = set_aside_leads(row)
        why = f"{own} was set aside {aside[own]}" if own != "global" and own in aside else ""
        att = Attribution(feat, float(data[j]), unit_of(feat, dictionary), float(values[j]), lead, start, end,
                          where=where, set_aside=why)
        att.sentence = att.describe(target, scale)
        atts.append(att)
    return atts


def explain_row(explanation, i: int, feature_row: pd.Series | None = None, top: int = 5,
                target: str = "positive class", dictionary: pd.DataFrame | None = None,
                fiducials: pd.DataFrame | None = None, fs: float | None = None) -> GroundedExplanation:
    """Grounded sentences for row ``i`` of an explanation already computed for many records.

    The counterpart of :func:`explain_record` for a ``shap.Explanation`` of a whole table
    (:func:`~interp_ecg.explain.shap_explanation`): no model call, and the contributions are
    in the explanation's own units (probability, or log-odds for a margin-space explanation,
    which the sentences then name). Attributions of exactly zero are left out.

    Parameters
    ----------
    explanation : shap.Explanation
        Values ``(n, p)`` (or ``(n, p, k)``: the last output is explained), data and
        feature names.
    i : int
        Row position.
    feature_row : pandas.Series, optional
        The record's row of :func:`interp_ecg.features.extract` (provenance columns, beat
        counts); without it no location is given but a per-lead feature's lead.
    top : int
        Number of attributions.
    target : str
        Name of the output in the sentences.
    dictionary, fiducials, fs
        As :func:`explain_record`.

    Returns
    -------
    GroundedExplanation
        ``record_id`` is ``i``; ``probability`` and ``base_probability`` are the explained
        output of the row and the base value (on the explanation's scale).

    Examples
    --------
    >>> from interp_ecg.explain import explain_row
    >>> import numpy as np, pandas as pd, shap
    >>> ex = shap.Explanation(values=np.array([[0.30, -0.10]]), data=np.array([[148.0, 112.0]]),
    ...                       feature_names=["QRS_duration_ms", "heart_rate_bpm"], base_values=np.array([0.2]))
    >>> row = pd.Series({"QRS_duration_lead": "V1", "QRS_duration_beat": 2.0, "QRS_duration_start_sample": 1204.0,
    ...                  "QRS_duration_end_sample": 1278.0, "n_beats": 12.0, "n_beats_dominant": 12.0,
    ...                  "quality_n_leads_usable": 12.0})
    >>> for s in explain_row(ex, 0, row, target="WCT", fs=500).sentences():
    ...     print(s)
    QRS duration 148 ms, multi-lead consensus of the 12 usable leads, median over the 12 dominant beats (beat 3 of 12: 148 ms from the QRS onset at 2.408 s to the QRS offset at 2.556 s), raised the WCT probability by 0.30
    Heart rate 112 bpm, over 12 beats, lowered the WCT probability by 0.10
    """
    values = np.asarray(explanation.values, dtype=float)
    values = (values[..., -1] if values.ndim == 3 else values)[i]
    data = np.asarray(explanation.data, dtype=float)[i]
    names = [str(n) for n in explanation.feature_names]
    base = np.asarray(explanation.base_values, dtype=float)
    base = float(np.ravel(base[i])[-1]) if base.ndim else float(base)
    scale = getattr(explanation, "scale", None)  # set by shap_explanation (a forest's margin is a probability)
    if scale is None:
        scale = "log-odds" if getattr(explanation, "output_space", "probability") == "margin" else "probability"
    dictionary = _dictionary() if dictionary is None else dictionary
    atts = _attributions(names, data, values, feature_row, top, target, dictionary, fiducials, scale,
                         skip_zero=True, fs=fs)
    return GroundedExplanation(i, base + float(values.sum()), base, atts, target, True,
                               base_description=getattr(explanation, "base_meaning", ""), scale=scale)


#: short names of the traced intervals on a trace
_MARK_NAMES = {"QRS_duration_ms": "QRS", "PR_interval_ms": "PR", "QT_interval_ms": "QT", "JT_interval_ms": "JT"}
#: lead whose rhythm strip carries a multi-lead consensus interval on a patient page
#: (:func:`interp_ecg.report.ecg_plot.draw_ecg` draws ``"global"`` marks there) and in :func:`plot_grounded`
CONSENSUS_DRAW_LEAD = "II"


def _span_ms(start: float, end: float, fs: float) -> int:
    """A bracket's own duration in ms, as the difference of its ends at ms resolution (as the sentences write it)."""
    return int(round(end * 1000.0 / fs) - round(start * 1000.0 / fs))


def _mark_label(att: Attribution, fs: float) -> str:
    """Bracket label: the bracketed span's own name and duration (that beat's, not the median)."""
    span_ms = _span_ms(att.start_sample, att.end_sample, fs)
    if att.feature in _MARK_NAMES:
        return f"{_MARK_NAMES[att.feature]} {span_ms} ms"
    if att.feature.startswith("QTc_"):
        return f"QT {span_ms} ms (for QTc)"
    if att.feature.startswith("Cornell_product"):
        return f"QRS {span_ms} ms (for Cornell product)"
    return att.feature


def sentences_and_marks(grounded, fs: float, leads=None) -> tuple[list[str], list[dict]]:
    """A grounded explanation as a patient page shows it: sentences, and marks on the trace.

    Every attribution measured between two known samples becomes a mark: a multi-lead
    consensus interval (``lead == "global"``) is a ``"global"`` mark, which
    :func:`interp_ecg.report.ecg_plot.draw_ecg` draws on the lead II
    (:data:`CONSENSUS_DRAW_LEAD`) rhythm strip, on the very beat the sentence names, and its
    sentence ends "(marked on the lead II rhythm strip)"; a per-lead interval is marked on its
    own lead. The bracket's label gives the bracketed beat's own duration.

    Parameters
    ----------
    grounded : GroundedExplanation or list of Attribution
    fs : float
        Sampling rate of the record (Hz), to give a bracket's duration in ms.
    leads : sequence of str, optional
        The record's leads: a mark is made (and claimed) only on a lead the record has.

    Returns
    -------
    sentences : list of str
    marks : list of dict
        ``lead, start, end, label`` (samples), as :class:`interp_ecg.report.PatientBlock` takes.

    Examples
    --------
    >>> from interp_ecg.explain import Attribution, sentences_and_marks
    >>> a = Attribution("QRS_duration_ms", 148.0, "ms", 0.21, "global", 1204.0, 1278.0, sentence="QRS ...")
    >>> sentences_and_marks([a], fs=500.0)
    (['QRS ... (marked on the lead II rhythm strip)'], [{'lead': 'global', 'start': 1204.0, 'end': 1278.0, 'label': 'QRS 148 ms'}])
    """
    atts = grounded.attributions if hasattr(grounded, "attributions") else list(grounded)
    sentences, marks = [], []
    for a in atts:
        s = a.sentence
        if a.lead and np.isfinite(a.start_sample) and np.isfinite(a.end_sample):
            on = CONSENSUS_DRAW_LEAD if a.lead == "global" else a.lead
            if leads is None or on in list(leads):
                marks.append({"lead": a.lead, "start": float(a.start_sample), "end": float(a.end_sample),
                              "label": _mark_label(a, fs)})
                s += (f" (marked on the lead {on} rhythm strip)" if a.lead == "global" else f" (marked in lead {on})")
        sentences.append(s)
    return sentences, marks


def interval_mark(feature_row: pd.Series, feature: str = "QRS_duration_ms", fs: float | None = None) -> dict | None:
    """The mark of a traced interval (PR, QRS, QT) from a feature-table row's provenance.

    The provenance samples are the multi-lead consensus boundaries of one beat, so the mark
    is a ``"global"`` one (drawn on the lead II rhythm strip of a patient page), whatever
    lead the row's ``*_lead`` column names (that is only the lead whose own marks lie closest).

    Parameters
    ----------
    feature_row : pandas.Series
        The record's row of :func:`interp_ecg.features.extract`.
    feature : str
        ``"PR_interval_ms"``, ``"QRS_duration_ms"`` or ``"QT_interval_ms"``.
    fs : float, optional
        Sampling rate (Hz): the label then gives the bracketed beat's own duration; without
        it, the record's value (the median over the dominant beats), labelled as such.

    Returns
    -------
    dict or None
        ``lead, start, end, label``, or None when the row does not record the interval's
        samples.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.explain import interval_mark
    >>> row = pd.Series({"QRS_duration_ms": 148.0, "QRS_duration_lead": "V1",
    ...                  "QRS_duration_start_sample": 1204.0, "QRS_duration_end_sample": 1278.0})
    >>> interval_mark(row)
    {'lead': 'global', 'start': 1204.0, 'end': 1278.0, 'label': 'QRS median 148 ms'}
    >>> interval_mark(row, fs=500.0)["label"]
    'QRS 148 ms'
    """
    base = feature.removesuffix("_ms")
    start, end = _num(feature_row, f"{base}_start_sample"), _num(feature_row, f"{base}_end_sample")
    if not (np.isfinite(start) and np.isfinite(end)):
        return None
    name = _MARK_NAMES.get(feature, base)
    if fs is not None and np.isfinite(fs) and fs > 0:
        label = f"{name} {_span_ms(start, end, fs)} ms"
    else:
        label = f"{name} median {_num(feature_row, feature):.0f} ms"
    return {"lead": "global", "start": float(start), "end": float(end), "label": label}


_WAVE_COLOURS = {"P": "tab:blue", "QRS": "tab:red", "T": "tab:green"}


def plot_grounded(record, delineation: pd.DataFrame | None, attributions, ax=None, leads=None, max_leads: int = 3):
    """Draw a record's trace with fiducials and the intervals behind the top attributions.

    Parameters
    ----------
    record : :class:`interp_ecg.io.Record` (``signal``, ``fs``, ``leads``)
    delineation : DataFrame of :func:`interp_ecg.features.measured_fiducials` (``lead, beat,
        P_on, ..., T_off``); the lead's own rows are used, else the ``"global"`` rows; on the
        panel that carries the multi-lead consensus intervals, the ``"global"`` rows. ``None``:
        no fiducials.
    attributions : GroundedExplanation or list of Attribution
    ax : matplotlib Axes, optional
        Draw one lead on it (the first lead of the attributions).
    leads : list of str, optional
        Leads to draw (default: the attributions' leads, with the consensus intervals
        (``lead == "global"``) on :data:`CONSENSUS_DRAW_LEAD` when the record has it, else on
        its first lead; II when no attribution is located).
    max_leads : int

    The x axis is the time from the record start in seconds, the unit the sentences give
    positions in.

    Returns
    -------
    Axes (one lead) or ndarray of Axes
    """
    import matplotlib.pyplot as plt

    atts = attributions.attributions if hasattr(attributions, "attributions") else list(attributions)
    consensus_lead = CONSENSUS_DRAW_LEAD if CONSENSUS_DRAW_LEAD in record.leads else record.leads[0]

    def drawn_on(a) -> str | None:
        return consensus_lead if a.lead == "global" else a.lead

    if leads is None:
        leads = [drawn_on(a) for a in atts if drawn_on(a) in record.leads
                 and (a.lead != "global" or np.isfinite(a.start_sample))]
        leads = list(dict.fromkeys(leads))[:max_leads] or [l for l in ("II",) if l in record.leads] or [record.leads[0]]
    if ax is not None:
        axes = np.array([ax])
        leads = leads[:1]
    else:
        _, axes = plt.subplots(len(leads), 1, figsize=(10, 2.2 * len(leads)), sharex=True, squeeze=False)
        axes = axes[:, 0]
    fs = float(record.fs)
    t = np.arange(record.signal.shape[1]) / fs
    for a_i, (lead, axis) in enumerate(zip(leads, axes)):
        sig = record.signal[record.leads.index(lead)]
        axis.plot(t, sig, color="black", lw=0.8)
        consensus_here = lead == consensus_lead and any(
            a.lead == "global" and np.isfinite(a.start_sample) for a in atts)
        if delineation is not None and len(delineation):
            rows = delineation[delineation["lead"] == ("global" if consensus_here else lead)]
            if rows.empty:
                rows = delineation[delineation["lead"] == "global"]
            for col in [c for c in rows.columns if c not in ("lead", "beat")]:
                idx = pd.to_numeric(rows[col], errors="coerce").dropna().astype(int).to_numpy()
                idx = idx[(idx >= 0) & (idx < len(sig))]
                if not len(idx):
                    continue
                wave = col.split("_")[0] if not col.startswith("R_") else "QRS"
                marker = "v" if col.endswith("peak") else "|"
                axis.scatter(idx / fs, sig[idx], s=18, marker=marker, color=_WAVE_COLOURS.get(wave, "grey"),
                             zorder=3, label=col if a_i == 0 else None)
        for att in atts:
            if drawn_on(att) != lead or not (np.isfinite(att.start_sample) and np.isfinite(att.end_sample)):
                continue
            colour = "tab:red" if att.contribution >= 0 else "tab:blue"
            axis.axvspan(att.start_sample / fs, att.end_sample / fs, color=colour, alpha=0.2)
            value = _format_value(att.value, att.unit, att.feature)
            text = f"{pretty_name(att.feature)} {value} ({att.contribution:+.2f})"
            if att.lead == "global":
                text += ", multi-lead consensus"
            axis.annotate(text, xy=(att.start_sample / fs, np.nanmax(sig)), fontsize=8, color=colour,
                          va="bottom")
        axis.set_ylabel(f"{lead} (mV)")
        if consensus_here:
            axis.set_title(f"{lead}; brackets of record-level intervals: multi-lead consensus boundaries "
                           "(ticks: consensus fiducials)", fontsize=7)
    axes[-1].set_xlabel("time (s)")
    if delineation is not None and len(delineation):
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:
            axes[0].legend(handles, labels, fontsize=6, ncol=min(len(labels), 9), loc="upper right")
    return axes[0] if len(axes) == 1 else axes


__all__ = ["Attribution", "GroundedExplanation", "explain_record", "explain_row", "format_value",
           "measurement_location", "set_aside_leads", "limb_leads_in_doubt",
           "plot_grounded", "sentences_and_marks", "interval_mark", "unit_of", "pretty_name"]
