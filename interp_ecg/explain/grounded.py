"""Grounded local explanations: attributions as sentences about measured, visible quantities.

For one record, :func:`explain_record` turns the top SHAP attributions into sentences that
carry the measured value, its unit, and, where the feature table records it, the lead and
samples it was measured between:

    "QRS duration 148 ms, measured in V1 between samples 1204 and 1278, raised the WCT
    probability by 0.21"

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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from interp_ecg.errors import ModelError
from interp_ecg.explain.grouping import lead_of
from interp_ecg.features.dictionary import feature_spec
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
    return feature_spec(feature).display_name


def _format_value(value: float, unit: str) -> str:
    if value is None or not np.isfinite(value):
        return "not measured"
    if unit in ("ms", "bpm", "deg", "count", "sample"):
        text = f"{value:.0f}"
    elif unit in ("mV",):
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


#: intervals the feature table traces to one beat: lead, consensus start and end samples
_TRACED = {"PR_interval": ("P onset", "QRS onset"), "QRS_duration": ("QRS onset", "QRS offset"),
           "QT_interval": ("QRS onset", "T offset")}
#: measured over every consensus beat of the record (``n_beats``)
_OVER_BEATS = ("heart_rate_bpm", "RR_mean_ms", "RR_sd_ms", "RR_min_ms", "RR_max_ms", "PVC_count",
               "PVC_per_min", "P_wave_presence_fraction")
#: measured over normal-to-normal intervals (both beats dominant; ``n_beats_dominant``)
_OVER_NN = ("SDNN_ms", "RMSSD_ms", "pNN50", "RR_irregularity")
#: median over the dominant beats without a traced beat
_MEDIAN_ONLY = {"P_duration_ms": "P offset minus P onset", "T_peak_to_end_ms": "T offset minus T peak"}
_LIMB = "limb-lead (I, II, III, aVR, aVL, aVF) median beats"
#: composite measurements and the median-beat leads they come from
_COMPOSITE = {"P_axis_deg": f"from the net P areas of the {_LIMB}",
              "QRS_axis_deg": f"from the net QRS areas of the {_LIMB}",
              "T_axis_deg": f"from the net T areas of the {_LIMB}",
              "QRS_T_angle_deg": f"from the QRS and T axes of the {_LIMB}",
              "Sokolow_Lyon_mV": "from the median beats of V1, V5 and V6",
              "Sokolow_Lyon_RVH_mV": "from the median beats of V1, V5 and V6",
              "Cornell_voltage_mV": "from the median beats of aVL and V3",
              "QT_dispersion_ms": "largest minus smallest per-lead QT over the usable leads"}
_LEADS12 = STANDARD_LEADS


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


def _count(row: pd.Series | None, key: str, what: str) -> str:
    n = _num(row, key)
    return f"{int(n)} {what}" if np.isfinite(n) else f"the record's {what}"


def _traced(base: str, row: pd.Series | None) -> tuple[str | None, float, float, float]:
    """Lead, start and end sample, and beat of a traced interval (NaN where not recorded)."""
    return (_text(row, f"{base}_lead"), _num(row, f"{base}_start_sample"), _num(row, f"{base}_end_sample"),
            _num(row, f"{base}_beat"))


def _lead_words(lead: str | None) -> str:
    if lead is None:
        return ""
    return "the multi-lead consensus" if lead == "global" else f"lead {lead}"


def _span(lead: str | None, start: float, end: float) -> str:
    where = f" in {_lead_words(lead)}" if lead else ""
    return f"{where} between samples {int(start)} and {int(end)}"


def _beat_offsets(fiducials: pd.DataFrame | None, beat: float, qrs_on: float, t_off: float) -> float:
    """The consensus QRS offset of ``beat`` in a delineation table, if that beat is the traced one.

    The beat must carry the same consensus QRS onset and T offset as the feature table's QT
    provenance (same delineation); otherwise NaN.
    """
    if fiducials is None or not len(fiducials) or not np.isfinite(beat) or "QRS_off" not in fiducials.columns:
        return np.nan
    rows = fiducials[(fiducials["lead"] == "global") & (pd.to_numeric(fiducials["beat"], errors="coerce") == beat)]
    if len(rows) != 1:
        return np.nan
    r = rows.iloc[0]
    same = (pd.to_numeric(r.get("QRS_on"), errors="coerce") == qrs_on) and (pd.to_numeric(r.get("T_off"), errors="coerce") == t_off)
    q_off = pd.to_numeric(r.get("QRS_off"), errors="coerce")
    return float(q_off) if same and pd.notna(q_off) and qrs_on < q_off < t_off else np.nan


def _locate(feature: str, row: pd.Series | None,
            fiducials: pd.DataFrame | None = None) -> tuple[str | None, float, float, str]:
    """Where a feature was measured: ``(lead, start_sample, end_sample, phrase)``.

    The phrase only states what the feature table records (provenance columns, beat counts,
    the per-lead column's lead) or what the feature's definition fixes (the leads of a
    voltage criterion); it is empty when nothing is known. ``lead``/samples are what a trace
    can mark (NaN samples: nothing to bracket).
    """
    lead = lead_of(feature)
    base = feature.removesuffix("_ms")
    if base in _TRACED:
        tl, s0, s1, beat = _traced(base, row)
        if np.isfinite(s0) and np.isfinite(s1):
            on_beat = f" (beat {int(beat)})" if np.isfinite(beat) else ""
            return tl, s0, s1, f"measured{_span(tl, s0, s1)}{on_beat}"
        return None, np.nan, np.nan, f"median over {_count(row, 'n_beats_dominant', 'dominant beats')}"
    if feature == "JT_interval_ms":
        ql, q0, q1, qb = _traced("QRS_duration", row)
        tl, t0, t1, tb = _traced("QT_interval", row)
        if np.isfinite(q1) and np.isfinite(t1) and np.isfinite(qb) and qb == tb and t1 > q1:
            if ql == tl:
                return tl, q1, t1, f"from QRS offset to T offset,{_span(tl, q1, t1)} (beat {int(tb)})"
            return (tl, q1, t1, f"from the QRS offset (sample {int(q1)}, {_lead_words(ql) or 'consensus'}) to the "
                                f"T offset (sample {int(t1)}, {_lead_words(tl) or 'consensus'}) of beat {int(tb)}")
        j0 = _beat_offsets(fiducials, tb, t0, t1)
        if np.isfinite(j0):
            return (tl, j0, t1, f"from QRS offset to T offset, between samples {int(j0)} and {int(t1)} of beat "
                                f"{int(tb)} (the beat whose QT was traced{' in ' + _lead_words(tl) if tl else ''})")
        return None, np.nan, np.nan, (f"T offset minus QRS offset, median over "
                                      f"{_count(row, 'n_beats_dominant', 'dominant beats')}")
    if feature.startswith("QTc_"):
        tl, t0, t1, tb = _traced("QT_interval", row)
        rr = f"the mean RR over {_count(row, 'n_beats', 'beats')}"
        if np.isfinite(t0) and np.isfinite(t1):
            on_beat = f" (beat {int(tb)})" if np.isfinite(tb) else ""
            return tl, t0, t1, f"from the QT measured{_span(tl, t0, t1)}{on_beat} and {rr}"
        return None, np.nan, np.nan, f"from the median QT over {_count(row, 'n_beats_dominant', 'dominant beats')} and {rr}"
    if feature == "Cornell_product_mVms":
        ql, q0, q1, qb = _traced("QRS_duration", row)
        qrs = f"the QRS duration measured{_span(ql, q0, q1)}" if np.isfinite(q0) and np.isfinite(q1) else "the QRS duration"
        return (ql if np.isfinite(q0) else None), q0, q1, f"from R aVL + |S V3| (median beats) times {qrs}"
    if feature in _OVER_BEATS:
        return None, np.nan, np.nan, f"over {_count(row, 'n_beats', 'beats')}"
    if feature in _OVER_NN:
        return None, np.nan, np.nan, f"over the normal-to-normal intervals of {_count(row, 'n_beats_dominant', 'dominant beats')}"
    if feature in _MEDIAN_ONLY:
        return None, np.nan, np.nan, (f"{_MEDIAN_ONLY[feature]}, median over "
                                      f"{_count(row, 'n_beats_dominant', 'dominant beats')}")
    if feature in _COMPOSITE:
        return None, np.nan, np.nan, _COMPOSITE[feature]
    if feature in ("ST60_max_elevation_mV", "ST60_max_depression_mV"):
        vals = {ld: _num(row, f"ST60_amp_mV_{ld}") for ld in _LEADS12}
        vals = {k: v for k, v in vals.items() if np.isfinite(v)}
        value = _num(row, feature)
        if vals and np.isfinite(value) and value != 0:
            pick = max(vals, key=vals.get) if "elevation" in feature else min(vals, key=vals.get)
            if abs(vals[pick] - value) < 1e-6:
                return pick, np.nan, np.nan, f"in lead {pick}, 60 ms after the J point of the median beat"
        return None, np.nan, np.nan, "over the twelve leads' median beats"
    if feature in ("QRS_fragmented", "QRS_notched_lead_count", "QRS_notches_total"):
        notched = [ld for ld in _LEADS12 if _num(row, f"QRS_notches_{ld}") > 0]
        if notched:
            return None, np.nan, np.nan, f"QRS notches on the median beats of {', '.join(notched)}"
        return None, np.nan, np.nan, "over the leads' median beats"
    if lead != "global":
        return lead, np.nan, np.nan, (f"in lead {lead}, on the median beat of "
                                      f"{_count(row, 'n_beats_dominant', 'dominant beats')}")
    return None, np.nan, np.nan, ""


def measurement_location(feature: str, row: pd.Series | None = None,
                         fiducials: pd.DataFrame | None = None) -> tuple[str | None, float, float, str]:
    """Where a feature's value was measured, from a feature-table row (see :func:`explain_record`).

    Parameters
    ----------
    feature : str
        Column of :func:`interp_ecg.features.extract`.
    row : Series, optional
        The record's feature-table row (provenance columns, beat counts, per-lead values).
    fiducials : DataFrame, optional
        The record's :func:`interp_ecg.features.delineate` table (locates JT on the QT's beat).

    Returns
    -------
    (lead, start_sample, end_sample, phrase)
        ``lead`` None and samples NaN where unknown; ``phrase`` empty when nothing is known.

    Examples
    --------
    >>> import pandas as pd
    >>> row = pd.Series({"QRS_duration_lead": "V1", "QRS_duration_beat": 2.0, "QRS_duration_start_sample": 1204.0,
    ...                  "QRS_duration_end_sample": 1278.0, "n_beats": 12.0})
    >>> measurement_location("QRS_duration_ms", row)[3]
    'measured in lead V1 between samples 1204 and 1278 (beat 2)'
    >>> measurement_location("heart_rate_bpm", row)[3]
    'over 12 beats'
    >>> measurement_location("age", row)[3]
    ''
    """
    return _locate(feature, row, fiducials)


@dataclass
class Attribution:
    """One grounded attribution (probability-scale ``contribution``)."""

    feature: str
    value: float
    unit: str
    contribution: float
    lead: str | None = None
    start_sample: float = np.nan
    end_sample: float = np.nan
    sentence: str = ""
    where: str = ""

    def describe(self, target: str = "positive class", scale: str = "probability") -> str:
        """The sentence: name, value and unit, where it was measured, and the push on ``target``.

        ``where`` (set by :func:`explain_record` from the feature table) is used as is;
        without it, the location is rebuilt from ``lead`` and the samples only. ``scale`` names
        the contribution's units (``"probability"``, or ``"log-odds"`` for a margin-space
        explanation).
        """
        where = self.where
        if not where and np.isfinite(self.start_sample) and np.isfinite(self.end_sample):
            where = f"measured{_span(self.lead, self.start_sample, self.end_sample)}"
        elif not where and self.lead and lead_of(self.feature) != "global":
            where = f"in lead {self.lead}"
        where = f", {where}" if where else ""
        verb = "raised" if self.contribution >= 0 else "lowered"
        value = _format_value(self.value, self.unit)
        name = pretty_name(self.feature)
        head = f"{name} {value}" if value != "not measured" else f"{name} not measured"
        return f"{head[0].upper()}{head[1:]}{where}, {verb} the {target} {scale} by {abs(self.contribution):.2f}"


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
        The record's :func:`interp_ecg.features.delineate` table. Lets a JT interval be located
        on the beat its QT was traced on when the feature table's QRS and QT beats differ
        (used only if that beat's consensus QRS onset and T offset match the provenance).

    Notes
    -----
    Every sentence says where its value was measured, from the feature table's provenance
    columns and the feature's definition, never more: traced intervals (PR, QRS, QT) give
    their lead, samples and beat; JT the QRS offset to T offset of a traced beat; QTc the QT
    span and the mean RR with its beat count; rhythm features their beat counts; per-lead
    features their lead's median beat; voltage criteria and axes the leads they combine.
    A feature with no known location gets no location.

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
                         dictionary, fiducials)
    rid = X_row.index[0]
    return GroundedExplanation(rid, prob, base, atts, tname, True, base_description=ex.base_meaning)


def _attributions(names, data, values, row, top: int, target: str, dictionary, fiducials,
                  scale: str = "probability", skip_zero: bool = False) -> list:
    """The ``top`` attributions by absolute contribution, located and put into sentences."""
    atts = []
    for j in np.argsort(-np.abs(values))[:top]:
        if skip_zero and values[j] == 0:
            continue
        feat = names[j]
        lead, start, end, where = _locate(feat, row, fiducials)
        att = Attribution(feat, float(data[j]), unit_of(feat, dictionary), float(values[j]), lead, start, end,
                          where=where)
        att.sentence = att.describe(target, scale)
        atts.append(att)
    return atts


def explain_row(explanation, i: int, feature_row: pd.Series | None = None, top: int = 5,
                target: str = "positive class", dictionary: pd.DataFrame | None = None,
                fiducials: pd.DataFrame | None = None) -> GroundedExplanation:
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
    dictionary, fiducials
        As :func:`explain_record`.

    Returns
    -------
    GroundedExplanation
        ``record_id`` is ``i``; ``probability`` and ``base_probability`` are the explained
        output of the row and the base value (on the explanation's scale).

    Examples
    --------
    >>> import numpy as np, pandas as pd, shap
    >>> ex = shap.Explanation(values=np.array([[0.30, -0.10]]), data=np.array([[148.0, 112.0]]),
    ...                       feature_names=["QRS_duration_ms", "heart_rate_bpm"], base_values=np.array([0.2]))
    >>> row = pd.Series({"QRS_duration_lead": "V1", "QRS_duration_start_sample": 1204.0,
    ...                  "QRS_duration_end_sample": 1278.0, "n_beats": 12.0})
    >>> for s in explain_row(ex, 0, row, target="WCT").sentences():
    ...     print(s)
    QRS duration 148 ms, measured in lead V1 between samples 1204 and 1278, raised the WCT probability by 0.30
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
                         skip_zero=True)
    return GroundedExplanation(i, base + float(values.sum()), base, atts, target, True,
                               base_description=getattr(explanation, "base_meaning", ""), scale=scale)


#: short names of the traced intervals on a trace
_MARK_NAMES = {"QRS_duration_ms": "QRS", "PR_interval_ms": "PR", "QT_interval_ms": "QT", "JT_interval_ms": "JT"}
#: lead on which a multi-lead consensus interval is drawn
CONSENSUS_DRAW_LEAD = "II"


def _mark_label(att: Attribution, fs: float) -> str:
    """Bracket label: the interval's own name and value, or the span a derived value came from."""
    if att.feature in _MARK_NAMES:
        return f"{_MARK_NAMES[att.feature]} {att.value:.0f} ms"
    span_ms = (att.end_sample - att.start_sample) * 1000.0 / fs
    if att.feature.startswith("QTc_"):
        return f"QT {span_ms:.0f} ms (for QTc)"
    if att.feature.startswith("Cornell_product"):
        return f"QRS {span_ms:.0f} ms (for Cornell product)"
    return att.feature


def sentences_and_marks(grounded, fs: float) -> tuple[list[str], list[dict]]:
    """A grounded explanation as a patient page shows it: sentences, and marks on the trace.

    Every attribution measured between two known samples becomes a mark (a bracket over the
    interval on its lead; a multi-lead consensus interval is drawn on
    :data:`CONSENSUS_DRAW_LEAD`) and its sentence says "(marked on the trace)".

    Parameters
    ----------
    grounded : GroundedExplanation or list of Attribution
    fs : float
        Sampling rate of the record (Hz), to give a derived value's span in ms.

    Returns
    -------
    sentences : list of str
    marks : list of dict
        ``lead, start, end, label`` (samples), as :class:`interp_ecg.report.PatientBlock` takes.

    Examples
    --------
    >>> a = Attribution("QRS_duration_ms", 148.0, "ms", 0.21, "global", 1204.0, 1278.0, sentence="QRS ...")
    >>> sentences_and_marks([a], fs=500.0)
    (['QRS ... (marked on the trace)'], [{'lead': 'II', 'start': 1204.0, 'end': 1278.0, 'label': 'QRS 148 ms'}])
    """
    atts = grounded.attributions if hasattr(grounded, "attributions") else list(grounded)
    sentences, marks = [], []
    for a in atts:
        s = a.sentence
        if a.lead and np.isfinite(a.start_sample) and np.isfinite(a.end_sample):
            marks.append({"lead": a.lead if a.lead != "global" else CONSENSUS_DRAW_LEAD,
                          "start": float(a.start_sample), "end": float(a.end_sample), "label": _mark_label(a, fs)})
            s += " (marked on the trace)"
        sentences.append(s)
    return sentences, marks


def interval_mark(feature_row: pd.Series, feature: str = "QRS_duration_ms") -> dict | None:
    """The mark of a traced interval (PR, QRS, QT) from a feature-table row's provenance.

    Parameters
    ----------
    feature_row : pandas.Series
        The record's row of :func:`interp_ecg.features.extract`.
    feature : str
        ``"PR_interval_ms"``, ``"QRS_duration_ms"`` or ``"QT_interval_ms"``.

    Returns
    -------
    dict or None
        ``lead, start, end, label`` (a consensus interval on :data:`CONSENSUS_DRAW_LEAD`), or
        None when the row does not record the interval's lead and samples.

    Examples
    --------
    >>> row = pd.Series({"QRS_duration_ms": 148.0, "QRS_duration_lead": "V1",
    ...                  "QRS_duration_start_sample": 1204.0, "QRS_duration_end_sample": 1278.0})
    >>> interval_mark(row)
    {'lead': 'V1', 'start': 1204.0, 'end': 1278.0, 'label': 'QRS 148 ms'}
    """
    base = feature.removesuffix("_ms")
    lead, start, end = feature_row.get(f"{base}_lead"), feature_row.get(f"{base}_start_sample"), \
        feature_row.get(f"{base}_end_sample")
    if not (isinstance(lead, str) and lead and pd.notna(start) and pd.notna(end)):
        return None
    return {"lead": lead if lead != "global" else CONSENSUS_DRAW_LEAD, "start": float(start), "end": float(end),
            "label": f"{_MARK_NAMES.get(feature, base)} {feature_row[feature]:.0f} ms"}


_WAVE_COLOURS = {"P": "tab:blue", "QRS": "tab:red", "T": "tab:green"}


def plot_grounded(record, delineation: pd.DataFrame | None, attributions, ax=None, leads=None, max_leads: int = 3):
    """Draw a record's trace with fiducials and the intervals behind the top attributions.

    Parameters
    ----------
    record : :class:`interp_ecg.io.Record` (``signal``, ``fs``, ``leads``)
    delineation : DataFrame of :func:`interp_ecg.features.delineate` (``lead, beat, P_on,
        ..., T_off``); the lead's own rows are used, else the ``"global"`` rows. ``None``: no
        fiducials.
    attributions : GroundedExplanation or list of Attribution
    ax : matplotlib Axes, optional
        Draw one lead on it (the first lead of the attributions).
    leads : list of str, optional
        Leads to draw (default: the attributions' leads, else II).
    max_leads : int

    Returns
    -------
    Axes (one lead) or ndarray of Axes
    """
    import matplotlib.pyplot as plt

    atts = attributions.attributions if hasattr(attributions, "attributions") else list(attributions)
    if leads is None:
        leads = [a.lead for a in atts if a.lead and a.lead in record.leads]
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
        if delineation is not None and len(delineation):
            rows = delineation[delineation["lead"] == lead]
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
            if att.lead != lead or not (np.isfinite(att.start_sample) and np.isfinite(att.end_sample)):
                continue
            colour = "tab:red" if att.contribution >= 0 else "tab:blue"
            axis.axvspan(att.start_sample / fs, att.end_sample / fs, color=colour, alpha=0.2)
            text = f"{pretty_name(att.feature)} {_format_value(att.value, att.unit)} ({att.contribution:+.2f})"
            axis.annotate(text, xy=(att.start_sample / fs, np.nanmax(sig)), fontsize=8, color=colour,
                          va="bottom")
        axis.set_ylabel(f"{lead} (mV)")
    axes[-1].set_xlabel("time (s)")
    if delineation is not None and len(delineation):
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:
            axes[0].legend(handles, labels, fontsize=6, ncol=min(len(labels), 9), loc="upper right")
    return axes[0] if len(axes) == 1 else axes


__all__ = ["Attribution", "GroundedExplanation", "explain_record", "explain_row", "measurement_location",
           "plot_grounded", "sentences_and_marks", "interval_mark", "unit_of", "pretty_name"]
