"""interp-ecg: interpretable ECG analytics.

Fiducial features, explained ensembles, ProtoECGNet-style prototype networks and
PheWAS-style phenotyping in one package. Sub-packages are imported on demand so that
``import interp_ecg`` stays light (no torch, no shap until they are needed).

Examples
--------
>>> import interp_ecg
>>> interp_ecg.__version__
'0.1.0'
"""

from __future__ import annotations

import importlib
import logging

__version__ = "0.1.0"

_SUBMODULES = {
    "cli",
    "config",
    "errors",
    "evaluate",
    "explain",
    "features",
    "io",
    "models",
    "phenotype",
    "prototypes",
    "report",
    "simulate",
    "studies",
}

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = sorted(_SUBMODULES | {"__version__"})
