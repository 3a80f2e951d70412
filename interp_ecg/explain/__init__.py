"""SHAP for the package's models: explanations, grouping, interactions, grounded sentences, plots.

Examples
--------
>>> from interp_ecg.explain import group_explanation, shap_explanation
>>> callable(shap_explanation) and callable(group_explanation)
True
"""

from interp_ecg.explain.grounded import (
    Attribution,
    GroundedExplanation,
    explain_record,
    explain_row,
    interval_mark,
    plot_grounded,
    pretty_name,
    sentences_and_marks,
    unit_of,
)
from interp_ecg.explain.grouping import group_explanation, lead_of, wave_of
from interp_ecg.explain.hybrid import explain_hybrid_record, hybrid_explanation, hybrid_group
from interp_ecg.explain.prototype_cards import PrototypeCard, PrototypeCards, prototype_cards
from interp_ecg.explain.plots import explanation_parts, plot_bar, plot_beeswarm, plot_dependence, plot_waterfall
from interp_ecg.explain.shap_values import shap_explanation, shap_explanations, shap_interactions

__all__ = [
    "shap_explanation",
    "shap_explanations",
    "shap_interactions",
    "group_explanation",
    "lead_of",
    "wave_of",
    "explain_record",
    "explain_row",
    "sentences_and_marks",
    "interval_mark",
    "plot_grounded",
    "Attribution",
    "GroundedExplanation",
    "unit_of",
    "pretty_name",
    "plot_bar",
    "plot_beeswarm",
    "plot_dependence",
    "plot_waterfall",
    "explanation_parts",
    "prototype_cards",
    "PrototypeCards",
    "PrototypeCard",
    "hybrid_explanation",
    "hybrid_group",
    "explain_hybrid_record",
]
