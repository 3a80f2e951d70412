"""Honest evaluation: metrics from scores with patient-bootstrap CIs, patient-wise splits.

ROC, precision-recall and calibration figures are drawn by :mod:`interp_ecg.report.plots`
(``plot_roc``, ``plot_pr``, ``plot_calibration``).

Examples
--------
>>> from interp_ecg.evaluate import METRICS
>>> "roc_auc" in METRICS and "calibration_slope" in METRICS
True
"""

from interp_ecg.evaluate.crossval import cross_val_predict_grouped
from interp_ecg.evaluate.metrics import METRICS, align_scores, binary_metrics, format_ci, format_interval, metrics_table, tagged_metrics_table
from interp_ecg.evaluate.splitters import (
    PatientKFold,
    PredefinedFolds,
    duplicate_recordings,
    join_duplicate_folds,
    patient_groups,
    ptbxl_split,
    recording_digests,
)

__all__ = [
    "metrics_table",
    "patient_groups",
    "duplicate_recordings",
    "join_duplicate_folds",
    "recording_digests",
    "tagged_metrics_table",
    "align_scores",
    "binary_metrics",
    "format_ci",
    "format_interval",
    "METRICS",
    "PatientKFold",
    "PredefinedFolds",
    "ptbxl_split",
    "cross_val_predict_grouped",
]
