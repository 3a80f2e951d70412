"""The one place that says where reference data lives.

Real datasets are never shipped with the package. Code that needs them (tests, benchmarks,
studies) asks :func:`data_root` which resolves, in order:

1. the ``INTERP_ECG_DATA`` environment variable;
2. ``shared/data`` beside the repository checkout (``<repo>/../shared/data``), found by
   walking up from the current directory and from this file.

Examples
--------
The examples set ``INTERP_ECG_DATA`` only inside ``mock.patch.dict``, which restores the
environment as it was (a variable set before is set again afterwards):

>>> import os
>>> from unittest import mock
>>> from interp_ecg.config import data_root
>>> with mock.patch.dict(os.environ, {"INTERP_ECG_DATA": "/tmp"}):
...     str(data_root())
'/tmp'
"""

from __future__ import annotations

import os
from pathlib import Path

from interp_ecg.errors import DataNotFoundError

ENV_VAR = "INTERP_ECG_DATA"


def _candidates() -> list[Path]:
    starts = [Path.cwd(), Path(__file__).resolve().parent]
    found: list[Path] = []
    for start in starts:
        for parent in [start, *start.parents]:
            candidate = parent.parent / "shared" / "data"
            if (parent / "pyproject.toml").exists() or (parent / ".git").exists():
                found.append(candidate)
    return found


def data_root(required: bool = False) -> Path | None:
    """Return the folder of real reference data, or ``None`` when there is none.

    Parameters
    ----------
    required : bool, default False
        Raise :class:`~interp_ecg.errors.DataNotFoundError` instead of returning ``None``.

    Returns
    -------
    pathlib.Path or None
    """
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if path.is_dir() or not required:
            return path
        raise DataNotFoundError(f"{ENV_VAR} points to a folder that does not exist", source=path)
    for candidate in _candidates():
        if candidate.is_dir():
            return candidate
    if required:
        raise DataNotFoundError(
            f"no reference data found; set {ENV_VAR} to the folder holding ptbxl/, ludb/, ..."
        )
    return None


def dataset_path(name: str, required: bool = True) -> Path | None:
    """Path of one dataset folder (``"ptbxl"``, ``"ludb"``, ...) under :func:`data_root`.

    Examples
    --------
    >>> from interp_ecg.config import dataset_path
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"INTERP_ECG_DATA": "/data"}):
    ...     str(dataset_path("ludb", required=False))
    '/data/ludb'
    """
    root = data_root(required=required)
    if root is None:
        return None
    path = root / name
    if required and not path.exists():
        raise DataNotFoundError(f"dataset folder {name!r} is missing", source=path)
    return path
