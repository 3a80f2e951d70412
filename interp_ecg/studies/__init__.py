"""Studies: YAML-configured analyses that write a complete run folder.

A study is a YAML file (see ``studies/*/study.yaml`` in the repository) validated by
:func:`interp_ecg.studies.config.load_config` into a typed
:class:`~interp_ecg.studies.config.StudyConfig` and run by
:func:`interp_ecg.studies.runner.run_study`, which writes everything to
``reports/<study>/<timestamp>/``: the config, package versions, seed, per-step timings,
tables, figures and a PDF report.

Every study kind follows one protocol (:class:`~interp_ecg.studies.runner.Study`): a function
``run(config, run_dir) -> StudyResult`` in its module, and a pydantic ``params`` model in
:mod:`interp_ecg.studies.params`. Adding a study: write the module with its ``run``, add its
params model to :data:`interp_ecg.studies.params.PARAMS` and its entry to
:data:`STUDY_KINDS`, and a folder ``studies/<name>/`` with ``study.yaml``, ``run.py`` and a
README.

Examples
--------
>>> from interp_ecg.studies import STUDY_KINDS
>>> sorted(STUDY_KINDS)[:2]
['demo', 'prototype_phewas']
"""

from __future__ import annotations

#: study ``kind`` in the YAML -> "module:function" of its ``run(config, run_dir) -> StudyResult``
STUDY_KINDS: dict[str, str] = {
    "demo": "interp_ecg.studies.demo:run_demo_study",
    "wct": "interp_ecg.studies.wct:run",
    "ptbxl_statements": "interp_ecg.studies.ptbxl_statements:run",
    "ptbxl_prototypes": "interp_ecg.studies.ptbxl_prototypes:run",
    "prototype_phewas": "interp_ecg.studies.prototype_phewas:run",
}

_LAZY = {
    "run_study": "interp_ecg.studies.runner",
    "report_from_run_dir": "interp_ecg.studies.runner",
    "StudyResult": "interp_ecg.studies.runner",
    "load_config": "interp_ecg.studies.config",
    "validate_config": "interp_ecg.studies.config",
    "study_schema": "interp_ecg.studies.config",
    "StudyConfig": "interp_ecg.studies.config",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["STUDY_KINDS", "StudyConfig", "StudyResult", "load_config", "report_from_run_dir", "run_study",
           "study_schema", "validate_config"]
