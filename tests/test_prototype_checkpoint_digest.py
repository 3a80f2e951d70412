"""Training checkpoints carry a SHA-256 and are checked before use (trust defect, round of
2026-12-01).

Before, ``ProtoTrainer`` wrote ``<phase>.pt`` with no digest: a checkpoint whose weights were
changed after saving was resumed from silently, and a truncated one failed inside
``torch.load`` with a message that did not name the file. A model file given as
``pretrained=`` was read without checking its manifest. Now each checkpoint has
``<phase>.pt.manifest.json`` beside it (the io.integrity scheme of saved models), and every
file the package opens with ``torch.load`` does so with ``weights_only=True``.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import torch
from test_prototypes import TINY, toy_cohort

import interp_ecg
from interp_ecg.errors import IntegrityError, ModelError
from interp_ecg.prototypes import PHASES, ProtoECGNetClassifier, ProtoTrainer, TrainConfig
from interp_ecg.prototypes.model import BranchSpec, ProtoECGNet


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


@pytest.fixture(scope="module")
def toy():
    return toy_cohort(16, seed=2)


def _trainer(toy, folder):
    x, y = toy
    specs = [BranchSpec("rhythm", ["FAST"], "1d", "global", 1)]
    cfg = TrainConfig(warmup_epochs=1, joint_epochs=1, last_layer_epochs=1, fusion_epochs=1, batch_size=8)
    torch.manual_seed(3)
    model = ProtoECGNet(specs, width=2, blocks=(1, 1, 1, 1), seed=3)
    return ProtoTrainer(model, torch.as_tensor(x), y[["FAST"]].to_numpy(), list(range(len(x))), cfg,
                        device="cpu", random_state=3, checkpoint_dir=folder)


@pytest.fixture()
def two_phases(toy, tmp_path):
    _trainer(toy, tmp_path).run(phases=PHASES[:2])
    return tmp_path


def test_each_checkpoint_has_a_manifest_with_its_digest(two_phases):
    from interp_ecg.io.integrity import sha256_file

    for phase in PHASES[:2]:
        manifest = json.loads((two_phases / f"{phase}.pt.manifest.json").read_text())
        assert manifest["format"] == "interp-ecg-prototype-checkpoint"
        assert manifest["sha256"] == {f"{phase}.pt": sha256_file(two_phases / f"{phase}.pt")}
    assert not list(two_phases.glob("*.tmp"))


def test_a_truncated_checkpoint_is_refused_naming_the_file(toy, two_phases):
    ckpt = two_phases / "joint.pt"
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[: len(data) // 2])
    with pytest.raises(IntegrityError, match="checksum mismatch for joint.pt.*refused before use") as info:
        _trainer(toy, two_phases).run()
    assert str(ckpt) in str(info.value)


def test_an_altered_checkpoint_is_refused_before_use(toy, two_phases):
    ckpt = two_phases / "joint.pt"
    state = torch.load(ckpt, weights_only=True)
    key = next(iter(state["model"]))
    state["model"][key] = state["model"][key] + 1.0  # still a valid checkpoint: only the digest tells
    torch.save(state, ckpt)
    trainer = _trainer(toy, two_phases)
    with pytest.raises(IntegrityError, match="checksum mismatch for joint.pt"):
        trainer.load_checkpoint(ckpt)
    with pytest.raises(IntegrityError, match="joint.pt"):
        trainer.run()
    # a pinned manifest: another digest is refused
    with pytest.raises(IntegrityError, match="does not match the expected digest"):
        _trainer(toy, two_phases).load_checkpoint(two_phases / "warmup.pt", expected_digest="0" * 64)


def test_a_checkpoint_without_manifest_warns_and_resumes(toy, two_phases):
    (two_phases / "joint.pt.manifest.json").unlink()
    trainer = _trainer(toy, two_phases)
    with pytest.warns(UserWarning, match="checkpoint's integrity is not checked"):
        trainer.load_checkpoint(two_phases / "joint.pt")
    assert trainer.completed == list(PHASES[:2])
    # a file that is no checkpoint at all: a clear error naming it
    junk = two_phases / "junk.pt"
    junk.write_bytes(b"not a zip")
    with pytest.warns(UserWarning), pytest.raises(ModelError, match="junk.pt: not a readable weights-only checkpoint"):
        trainer.load_checkpoint(junk)


def test_a_pretrained_model_file_is_checked_against_its_manifest(toy, tmp_path):
    x, y = toy_cohort(24, seed=1)
    path = ProtoECGNetClassifier(**TINY).fit(x, y).save(tmp_path / "m.pt")
    state = torch.load(path, weights_only=True)
    key = next(k for k in state["model"] if ".backbone." in k)
    state["model"][key] = state["model"][key] * 0.0
    torch.save(state, path)
    with pytest.raises(IntegrityError, match="checksum mismatch for m.pt"):
        ProtoECGNetClassifier(**TINY, pretrained=path).fit(x, y)


def test_every_torch_load_in_the_package_is_weights_only():
    root = Path(interp_ecg.__file__).parent
    calls = []
    for src in root.rglob("*.py"):
        for node in ast.walk(ast.parse(src.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = ast.unparse(f)
            assert name not in {"pickle.load", "pickle.loads", "joblib.load", "torch.jit.load", "pd.read_pickle"}, \
                f"{src}: {name} can run code from a file"
            if name == "torch.load":
                kw = {k.arg: k.value for k in node.keywords}
                ok = isinstance(kw.get("weights_only"), ast.Constant) and kw["weights_only"].value is True
                calls.append((src.name, node.lineno, ok))
    assert calls and all(ok for _, _, ok in calls), [c for c in calls if not c[2]]
