"""SHAP for the hybrid model: measurements by wave/lead, prototypes by branch, and sentences
that name both ("QRS duration 148 ms: +0.21 CLBBB probability; resembles prototype proto_CLBBB_03 (source
RC-..., 3.2-4.1 s): +0.12 CLBBB probability").

Examples
--------
>>> from interp_ecg.explain import hybrid_group
>>> hybrid_group("QRS_duration_ms"), hybrid_group("R_amp_mV_V1", by="lead")
('measurements: QRS', 'measurements: V1')
>>> hybrid_group("proto_AFIB_00", branches={"proto_AFIB_00": "rhythm"})
'prototypes: rhythm'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.errors import ConfigError
from interp_ecg.explain.grouping import group_explanation, lead_of, wave_of
from interp_ecg.explain.shap_values import shap_explanation
from interp_ecg.models.hybrid import block_of


def hybrid_group(feature: str, by: str = "wave", branches: Mapping[str, str] | None = None) -> str:
    """Group of a hybrid column: ``"measurements: <wave or lead>"`` or ``"prototypes: <branch>"``.

    ``by="block"`` gives just ``"measurements"`` / ``"prototypes"``.
    """
    if block_of(feature) == "prototypes":
        if by == "block":
            return "prototypes"
        return f"prototypes: {(branches or {}).get(feature, 'unknown branch')}"
    if by == "block":
        return "measurements"
    if by == "lead":
        return f"measurements: {lead_of(feature)}"
    if by == "wave":
        return f"measurements: {wave_of(feature)}"
    raise ConfigError(f"by must be 'wave', 'lead' or 'block', got {by!r}")


def hybrid_explanation(model, dataset, label: str, by: str | None = "wave", X: pd.DataFrame | None = None,
                       background: pd.DataFrame | None = None):
    """SHAP values of one label of a fitted :class:`~interp_ecg.models.HybridECGClassifier`.

    Parameters
    ----------
    model : HybridECGClassifier
    dataset : EcgDataset
        Records to explain (ignored when ``X``, the design matrix, is given).
    label : str
    by : {"wave", "lead", "block"} or None
        Group measurements by wave (or lead) and prototypes by branch; ``None``: ungrouped.
    X : DataFrame, optional
        ``model.design_matrix(dataset)`` when already computed.
    background : DataFrame, optional
        Reference rows of the design matrix (e.g. training records); default: the explained
        records themselves (up to 100 of them). The base value is the mean output of the
        model on them (``base_meaning`` says which output and on how many records).

    Returns
    -------
    shap.Explanation
        One column per feature (``by=None``) or per group; additive (values + base = the
        model's margin for one uncalibrated member, its probability otherwise:
        ``output_space``).
    """
    X = model.design_matrix(dataset) if X is None else X
    cols = list(model.feature_names_in_)
    ex = shap_explanation(model.ensemble_, X[cols], label=label,
                          background=None if background is None else background[cols])
    if by is None:
        return ex
    branches = {}
    if getattr(model, "prototype_model_", None) is not None:
        branches = model.prototype_model_.prototype_sources_["branch"].astype(str).to_dict()
    return group_explanation(ex, by=lambda f: hybrid_group(f, by, branches))


def explain_hybrid_record(model, dataset, record_id: Any, label: str, n: int = 4,
                          pseudonym_key: bytes | None = None, X: pd.DataFrame | None = None,
                          feature_row: pd.Series | None = None) -> list[str]:
    """Sentences naming the top measurements and prototypes behind one record's score.

    Parameters
    ----------
    model : HybridECGClassifier
    dataset : EcgDataset
    record_id : record to explain
    label : str
    n : int
        Attributions listed, largest |SHAP| first.
    pseudonym_key : bytes, optional
        Prototype sources are shown as keyed pseudonyms (:mod:`interp_ecg.io.pseudonym`);
        without a key the source is named by its record id.
    feature_row : pandas.Series, optional
        The record's row of :func:`interp_ecg.features.extract` (its quality columns); default
        the record's row of ``model.features`` when the model was given a feature table. A
        lead it sets aside (:func:`~interp_ecg.explain.grounded.set_aside_leads`) is named
        with its reason and none of its values is cited.

    Returns
    -------
    list of str
        e.g. ``"QRS duration 148 ms: +0.21 CLBBB probability"`` (a count with its noun, ``"QRS
        notches in V6, 1 notch"``; a missing value ``"... not measured (the model's handling of the
        missing value): ..."``; a lead set aside ``"R amplitude in V5 not measured (V5 was set
        aside as out of scale ...; the model's handling of the missing value): ..."``),
        ``"resembles prototype
        proto_CLBBB_03 (source RC-1f..., 3.20-4.10 s, similarity 0.81): +0.12 CLBBB
        probability"``: SHAP values on the probability scale, against the mean predicted
        probability of the model on (up to 100 of) the dataset's records.
    """
    from interp_ecg.explain.grounded import (format_value, limb_leads_in_doubt, pretty_name, set_aside_leads,
                                             unit_of)

    X = model.design_matrix(dataset) if X is None else X
    rid = str(record_id)
    if rid not in X.index:
        raise ConfigError(f"record {record_id!r} is not in the dataset")
    ex = shap_explanation(model.ensemble_, X.loc[[rid], list(model.feature_names_in_)], label=label,
                          output="probability", background=X[list(model.feature_names_in_)])
    scale = f"{label} probability"
    vals = np.asarray(ex.values)[0]
    data = np.asarray(ex.data)[0]
    order = np.argsort(-np.abs(vals), kind="stable")[:n]
    sources = model.prototype_model_.prototype_sources_ if getattr(model, "prototype_model_", None) is not None else None
    if feature_row is None and isinstance(getattr(model, "features", None), pd.DataFrame):
        feats = model.features
        hit = [i for i in feats.index if str(i) == rid]
        feature_row = feats.loc[hit[0]] if hit else None
    aside, doubt = set_aside_leads(feature_row), limb_leads_in_doubt(feature_row)
    out = []
    for j in order:
        name = ex.feature_names[j]
        if block_of(name) == "prototypes" and sources is not None and name in sources.index:
            s = sources.loc[name]
            if pseudonym_key is not None:
                from interp_ecg.io.pseudonym import pseudonym

                src = pseudonym(s["record_id"], pseudonym_key, "record")
            else:
                src = str(s["record_id"])
            out.append(f"resembles prototype {name} (source {src}, {float(s['start_s']):.2f}-{float(s['end_s']):.2f} s, "
                       f"similarity {data[j]:.2f}): {vals[j]:+.2f} {scale}")
        else:
            lead = lead_of(name)
            why = f"{lead} was set aside {aside[lead]}" if lead in aside else ""
            if not np.isfinite(data[j]):  # the model's input, not a measurement
                why = f"{why}; " if why else ""
                out.append(f"{pretty_name(name)} not measured ({why}the model's handling of the missing value): "
                           f"{vals[j]:+.2f} {scale}")
            elif why:  # a value of a lead the measurement set aside is not cited
                out.append(f"{pretty_name(name)}: its value is not cited ({why}); the model's input for it: "
                           f"{vals[j]:+.2f} {scale}")
            else:
                value = format_value(float(data[j]), name)
                sep = ", " if unit_of(name) == "count" else " "  # "QRS notches in V6, 1 notch"
                note = (f" ({lead} may be on another scale or not as named: the limb-lead identities fail)"
                        if lead in doubt else "")
                out.append(f"{pretty_name(name)}{sep}{value}{note}: {vals[j]:+.2f} {scale}")
    return out


__all__ = ["explain_hybrid_record", "hybrid_explanation", "hybrid_group"]
