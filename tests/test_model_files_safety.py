"""No file a user hands to a model loader can run code (load_model, load_booster, `interp-ecg explain`)."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from interp_ecg.cli import app
from interp_ecg.errors import IntegrityError, ModelError
from interp_ecg.models import EnsembleClassifier, load_model, save_model
from interp_ecg.models.persistence import TRUSTED_TYPES, load_booster


class _Payload:
    """Unpickling this runs ``exec``: it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


class _Trap:
    """A class whose ``__setstate__`` runs code: skops must never build it from a file."""

    marker = ""

    def __setstate__(self, state):
        Path(state["marker"]).touch()
        self.__dict__.update(state)


def _write_folder(folder: Path, files: dict[str, bytes], version: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for rel, blob in files.items():
        (folder / rel).write_bytes(blob)
    manifest = {"format": "interp-ecg-model", "format_version": version, "class": "x",
                "sha256": {rel: hashlib.sha256(blob).hexdigest() for rel, blob in files.items()}}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def _crafted(tmp_path: Path, marker: Path) -> dict[str, Path]:
    """Folders an attacker could hand over, each with a consistent manifest."""
    import skops.io as sio

    payload = pickle.dumps(_Payload(marker))
    out = {}
    out["v1 pickle"] = tmp_path / "v1"
    _write_folder(out["v1 pickle"], {"model.joblib": payload}, version=1)
    out["pickle named skops"] = tmp_path / "fake_skops"
    _write_folder(out["pickle named skops"], {"model.skops": payload}, version=2)
    trap = _Trap.__new__(_Trap)
    trap.__dict__["marker"] = str(marker)
    blob = sio.dumps({"model": trap})
    assert not marker.exists()
    out["skops with untrusted type"] = tmp_path / "trap"
    _write_folder(out["skops with untrusted type"], {"model.skops": blob}, version=2)
    out["bare pickle file"] = tmp_path / "model.joblib"
    out["bare pickle file"].write_bytes(payload)
    out["bare pickle folder"] = tmp_path / "bare"
    out["bare pickle folder"].mkdir()
    (out["bare pickle folder"] / "model.joblib").write_bytes(payload)
    return out


def test_the_payload_is_live(tmp_path):
    """Control: the crafted pickle does run code when unpickled (so the tests below can fail)."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(_Payload(marker)))
    assert marker.exists()


def test_crafted_files_cannot_run_code_through_load_model(tmp_path):
    marker = tmp_path / "ran"
    for what, folder in _crafted(tmp_path, marker).items():
        with pytest.raises((ModelError, IntegrityError)) as info:
            load_model(folder)
        assert str(folder) in str(info.value), what
        try:  # load_booster reads only native booster files: none here, or an error
            assert load_booster(folder) == {}
        except (ModelError, IntegrityError):
            pass
        assert not marker.exists(), what
    msg = str(pytest.raises(ModelError, load_model, tmp_path / "v1").value)
    assert "format version 1" in msg and "pickle" in msg
    msg = str(pytest.raises(ModelError, load_model, tmp_path / "trap").value)
    assert "not on the trusted list" in msg and "_Trap" in msg
    assert "not a skops model file" in str(pytest.raises(ModelError, load_model, tmp_path / "fake_skops").value)


def test_crafted_files_cannot_run_code_through_the_cli(tmp_path):
    marker = tmp_path / "ran"
    feats = tmp_path / "features.csv"
    pd.DataFrame({"a": [1.0, 2.0]}, index=pd.Index(["r1", "r2"], name="record_id")).to_csv(feats)
    runner = CliRunner()
    for what, folder in _crafted(tmp_path, marker).items():
        res = runner.invoke(app, ["explain", str(folder), str(feats), "--out", str(tmp_path / "s.parquet")])
        assert res.exit_code != 0, what
        assert not marker.exists(), what
        assert not (tmp_path / "s.parquet").exists()


def test_unknown_format_version_is_a_clear_error(tmp_path):
    _write_folder(tmp_path / "v9", {"model.skops": b"x"}, version=9)
    with pytest.raises(ModelError, match="unknown model format version 9"):
        load_model(tmp_path / "v9")


def test_every_member_and_option_round_trips_without_pickle(tmp_path):
    """All member kinds, calibration, stacking, SMOTE and multi-label save to skops and load back equal."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(120, 4)), columns=["QRS_duration_ms", "b", "c", "d"])
    y = (X.iloc[:, 0] + 0.3 * rng.normal(size=120) > 0).astype(int)
    Y = pd.DataFrame({"A": y, "B": (X.b > 0).astype(int), "C": np.zeros(120, int)})
    small = {m: {"n_estimators": 3} for m in ("rf", "et", "xgb", "lgbm", "gb")}
    configs = [  # (options, target): every member, multi-label with a constant label, calibration
        (dict(estimators=("rf", "et", "xgb", "lgbm", "gb", "logreg")), Y),  # + stacking, SMOTE
        (dict(estimators=("xgb", "lgbm", "logreg"), combine="stack", calibrate="isotonic", stack_cv=2,
              calibration_cv=2), y),
        (dict(estimators=("rf",), resample="smote"), y),
    ]
    for i, (kw, target) in enumerate(configs):
        model = EnsembleClassifier(member_params=small, random_state=0, **kw).fit(X, target)
        folder = tmp_path / f"m{i}"
        digest = save_model(model, folder)
        assert not list(folder.rglob("*.joblib")) and not list(folder.rglob("*.pkl"))
        again = load_model(folder, expected_digest=digest)
        np.testing.assert_allclose(np.asarray(again.predict_proba(X)), np.asarray(model.predict_proba(X)))
    assert "xgboost.core.Booster" in TRUSTED_TYPES and "builtins.exec" not in TRUSTED_TYPES


def test_crafted_torch_files_cannot_run_code_through_the_prototype_loaders(tmp_path):
    """ProtoECGNetClassifier.load and ProtoTrainer checkpoints use torch.load(weights_only=True)."""
    torch = pytest.importorskip("torch")
    from interp_ecg.prototypes import ProtoECGNetClassifier

    marker = tmp_path / "ran"
    path = tmp_path / "model.pt"
    torch.save({"params": _Payload(marker)}, path)  # torch.save pickles the payload object
    with pytest.raises(Exception) as info:
        ProtoECGNetClassifier.load(path)
    assert "weights_only" in str(info.value) or "Unsupported global" in str(info.value)
    assert not marker.exists()
