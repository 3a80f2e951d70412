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
    "wct": "interp_ecg.studies.wct:run_wct_study",
    "ptbxl_prototypes": "interp_ecg.studies.ptbxl_prototypes:run_ptbxl_prototypes_study",
    "prototype_phewas": "interp_ecg.studies.prototype_phewas:run_prototype_phewas_study",
}

__all__ = ["STUDY_KINDS"]
