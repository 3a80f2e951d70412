"""Fiducial features: delineation, clinical measurements, quality, and extraction at scale.

Public API
----------
``delineate(signal, fs, leads=None, method=...)``
    Multi-lead delineation (see :mod:`interp_ecg.features.delineation`).
``extract(dataset, n_jobs=1, out=None, chunk_size=256, scheduler=None, progress=True, method=None)``
    One row per record: >= 100 documented features plus quality and provenance columns.
``extract_record(record_or_signal, fs=None, leads=None, return_provenance=False)``
    The same for one record; raises a clear :mod:`interp_ecg.errors` error on bad input.
``extract_beats(data, ...)``
    Beat-level table, one row per beat and lead, with the delineator's ``reason`` for the
    waves a beat lacks (from the delineation its fiducials come from).
``read_features(out)``
    Load a streamed (chunked Parquet) result.
``FiducialFeatures``
    scikit-learn transformer over datasets or signal arrays.
``feature_dictionary()``, ``feature_spec(name)``
    Name, unit, kind, lead, wave, readable name, definition and reference of every column;
    one column as a ``FeatureSpec`` (the package's one parser of feature names).
``model_columns(table)``
    The columns of a feature table a model may take as inputs.
``quality_status(row)``
    One line on a record's measurement quality (flags and plausibility checks).
``lead_quality(signal, fs, leads)``, ``qtc(qt_ms, rr_ms)``, ``frontal_axis(values)``
    Per-lead signal quality; the four QTc formulas; the frontal axis from limb leads.
``validate_against_reference(...)``, ``ludb_reference_intervals(...)``
    Package intervals versus cardiologists' marks (LUDB).

Examples
--------
>>> from interp_ecg.features import feature_dictionary
>>> feature_dictionary().loc["QRS_duration_ms", "unit"]
'ms'
"""

from __future__ import annotations

import importlib

from interp_ecg.features.dictionary import (
    FeatureSpec,
    column_names,
    feature_dictionary,
    feature_spec,
    model_columns,
    normal_ranges,
)
from interp_ecg.features.extract import (DASK_WORKER_CONFIG, extract, extract_beats, extract_cached, extract_record,
                                     measured_fiducials)
from interp_ecg.features.measurements import frontal_axis, qtc
from interp_ecg.features.quality import lead_quality, quality_status
from interp_ecg.features.stream import read_features

_LAZY = {
    "delineate": ("interp_ecg.features.delineation", "delineate"),
    "FiducialFeatures": ("interp_ecg.features.transformer", "FiducialFeatures"),
    "validate_against_reference": ("interp_ecg.features.validation", "validate_against_reference"),
    "ludb_reference_intervals": ("interp_ecg.features.validation", "ludb_reference_intervals"),
    "interval_agreement": ("interp_ecg.features.validation", "interval_agreement"),
}


def __getattr__(name: str):
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "delineate",
    "DASK_WORKER_CONFIG",
    "extract",
    "extract_cached",
    "extract_record",
    "extract_beats",
    "measured_fiducials",
    "read_features",
    "feature_dictionary",
    "feature_spec",
    "FeatureSpec",
    "normal_ranges",
    "column_names",
    "model_columns",
    "quality_status",
    "lead_quality",
    "qtc",
    "frontal_axis",
    "FiducialFeatures",
    "validate_against_reference",
    "ludb_reference_intervals",
    "interval_agreement",
]
