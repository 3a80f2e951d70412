"""The package skeleton: error hierarchy, data-root resolution, lead names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import interp_ecg
from interp_ecg import errors
from interp_ecg.config import ENV_VAR, data_root, dataset_path
from interp_ecg.io.leads import STANDARD_LEADS, normalise_lead_name, normalise_leads


def test_every_error_derives_from_the_base_and_names_its_source():
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.InterpEcgError)
        err = cls("something broke", source="dir/rec.hea")
        assert str(err) == "dir/rec.hea: something broke"
        assert err.source == "dir/rec.hea"


def test_errors_are_also_the_matching_builtin_kinds():
    assert issubclass(errors.DataNotFoundError, FileNotFoundError)
    assert issubclass(errors.SignalQualityError, ValueError)
    assert issubclass(errors.RecordReadError, OSError)
    assert issubclass(errors.ArgumentError, ValueError)  # `except ValueError` still catches bad arguments


def test_bad_arguments_raise_the_package_argument_error(tmp_path):
    import numpy as np

    from interp_ecg.evaluate import metrics_table
    from interp_ecg.io import read_ptbxl

    with pytest.raises(errors.ArgumentError, match="sampling_rate must be 100 or 500"):
        read_ptbxl(tmp_path, sampling_rate=250)
    with pytest.raises(errors.ArgumentError, match="unknown metrics"):
        metrics_table(np.array([0, 1, 0, 1]), np.array([0.1, 0.9, 0.2, 0.8]), metrics=["nope"], n_boot=0)


def test_data_root_prefers_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert data_root() == tmp_path
    (tmp_path / "ludb").mkdir()
    assert dataset_path("ludb") == tmp_path / "ludb"
    with pytest.raises(errors.DataNotFoundError, match="ptbxl"):
        dataset_path("ptbxl")


def test_data_root_required_raises_for_a_missing_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nope"))
    with pytest.raises(errors.DataNotFoundError, match="nope"):
        data_root(required=True)


def test_shared_data_is_found_beside_the_checkout(shared_data: Path):
    assert (shared_data / "README.md").exists()
    if not os.environ.get(ENV_VAR):
        assert shared_data.resolve() == data_root().resolve()


@pytest.mark.parametrize(
    "raw, expected",
    [("avr", "aVR"), ("AVL", "aVL"), ("i", "I"), ("III", "III"), ("v6", "V6"), ("MLII", "MLII"), ("ml2", "MLII"),
     ("vx", "vx")],
)
def test_lead_names_are_normalised(raw, expected):
    assert normalise_lead_name(raw) == expected


def test_duplicate_leads_are_rejected():
    with pytest.raises(errors.LeadError, match="duplicate"):
        normalise_leads(["I", "i", "II"], source="x.hea")
    assert normalise_leads([lead.lower() for lead in STANDARD_LEADS]) == list(STANDARD_LEADS)


def test_subpackages_are_imported_lazily():
    assert interp_ecg.errors is errors
    with pytest.raises(AttributeError):
        interp_ecg.not_a_module  # noqa: B018


def test_subsets_of_an_array_dataset_keep_their_records():
    import numpy as np
    import pandas as pd

    from interp_ecg.io import ArrayLoader, EcgDataset

    sig = np.arange(3, dtype="float32")[:, None, None] * np.ones((3, 12, 100), dtype="float32")
    meta = pd.DataFrame({"patient_id": [1, 2, 3]}, index=pd.Index(["a", "b", "c"], name="record_id"))
    ds = EcgDataset(meta, ArrayLoader(sig, fs=100), fs=100)
    sub = ds.subset(["c", "a"])
    assert float(sub[0].signal[0, 0]) == 2.0 and sub[0].id == "c"
    assert float(sub[1].signal[0, 0]) == 0.0
    assert float(ds.load("b").signal[0, 0]) == 1.0


@pytest.mark.parametrize("before", [None, "/somewhere/else"])
def test_config_doctests_leave_the_environment_as_they_found_it(monkeypatch, before):
    """Running the doctests of interp_ecg.config must not set, change or delete INTERP_ECG_DATA."""
    import doctest

    import interp_ecg.config as config

    if before is None:
        monkeypatch.delenv(ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(ENV_VAR, before)
    snapshot = dict(os.environ)
    result = doctest.testmod(config, verbose=False)
    assert result.attempted >= 2 and result.failed == 0
    assert dict(os.environ) == snapshot
