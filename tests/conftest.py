"""Shared fixtures.

``shared_data`` gives the folder of real reference data (``../shared/data`` or
``$INTERP_ECG_DATA``). Where it is missing, a test that needs it is skipped with the reason,
except under ``CI=true``, where it fails: CI must never pass by skipping the real-data tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from interp_ecg.config import data_root  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _pseudonym_key_in_tmp(tmp_path_factory):
    """Keep the pseudonym key of test runs out of the user's home (restored afterwards)."""
    key = tmp_path_factory.getbasetemp() / "pseudonym.key"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INTERP_ECG_PSEUDONYM_KEY", str(key))
        yield key


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a test module (the CI machine is small and shared: no OpenMP
    oversubscription), the previous count restored afterwards."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def _missing(what: str) -> None:
    message = f"real reference data not found ({what}); set INTERP_ECG_DATA or check out ../shared/data"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " [CI=true: missing data is a failure]")
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference data folder; fails under CI when absent, skips elsewhere."""
    root = data_root()
    if root is None or not root.is_dir():
        _missing("no data root")
    return root


def _dataset_fixture(name: str):
    @pytest.fixture(scope="session")
    def _fixture(shared_data: Path) -> Path:
        path = shared_data / name
        if not path.is_dir():
            _missing(str(path))
        return path

    return _fixture


ptbxl_root = _dataset_fixture("ptbxl")
ludb_root = _dataset_fixture("ludb")
cinc_root = _dataset_fixture("cinc2021")
mimic_demo_root = _dataset_fixture("mimic-iv-demo")
mimic_ecg_schema_root = _dataset_fixture("mimic-iv-ecg-schema")
phecode_root = _dataset_fixture("phecode")
wfdb_sample_root = _dataset_fixture("wfdb-sample")
