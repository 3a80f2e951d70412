"""Study pipelines driven by YAML configs.

A study is a YAML file (see ``studies/*/study.yaml`` in the repository) validated by
:func:`interp_ecg.studies.config.load_config` and run by
:func:`interp_ecg.studies.runner.run_study`, which writes everything to
``reports/<study>/<timestamp>/``: the config, package versions, seed, tables, figures and a
PDF report. Study-specific pipelines live in sub-modules (``wct``, ``ptbxl_statements``,
``prototype_phewas``) and are imported on demand.

Examples
--------
>>> from interp_ecg.studies import STUDY_KINDS
>>> sorted(STUDY_KINDS)[:2]
['demo', 'prototype_phewas']
"""

from __future__ import annotations

#: study ``kind`` in the YAML -> "module:function" of its pipeline
STUDY_KINDS: dict[str, str] = {
    "demo": "interp_ecg.studies.demo:run_demo_study",
    "wct": "interp_ecg.studies.adapters:run_wct",
    "ptbxl_statements": "interp_ecg.studies.adapters:run_ptbxl_statements",
    "ptbxl_prototypes": "interp_ecg.studies.ptbxl_prototypes:run_ptbxl_prototypes_study",
    "prototype_phewas": "interp_ecg.studies.adapters:run_prototype_phewas",
}

#: study ``kind`` -> "module:attribute" of the defaults its ``params`` are checked against
PARAM_DEFAULTS: dict[str, str] = {
    "demo": "interp_ecg.studies.demo:DEFAULT_PARAMS",
    "wct": "interp_ecg.studies.wct:DEFAULTS",
    "ptbxl_statements": "interp_ecg.studies.ptbxl_statements:DEFAULTS",
    "ptbxl_prototypes": "interp_ecg.studies.ptbxl_prototypes:DEFAULT_PARAMS",
    "prototype_phewas": "interp_ecg.studies.prototype_phewas:DEFAULT_PARAMS",
}

_LAZY = {
    "run_study": "interp_ecg.studies.runner",
    "report_from_run_dir": "interp_ecg.studies.runner",
    "load_config": "interp_ecg.studies.config",
    "validate_config": "interp_ecg.studies.config",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PARAM_DEFAULTS", "STUDY_KINDS", "load_config", "report_from_run_dir", "run_study",
           "validate_config"]
