"""A saved model file renamed together with its manifest still loads (user 10, finding 11).

The manifest's SHA-256 is what proves a file is the one saved; the name it lists is only where
the file was written. Before, a prototype model file ``p.pt`` moved to ``model_v2.pt`` with its
manifest moved to ``model_v2.pt.manifest.json`` was refused ("... describes 'p.pt', not
'model_v2.pt'"), while dropping the manifest loaded it with a warning. Now the digest is
checked; a name mismatch with a matching digest is warned about (the rename is named) and the
file loads; a renamed AND altered file is still refused. The same holds for training
checkpoints (same scheme); feature models are folders whose manifest lists names relative to
the folder, so renaming the folder never mattered (checked here too).
"""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from test_prototype_checkpoint_digest import _trainer
from test_prototypes import TINY, toy_cohort

from interp_ecg.errors import IntegrityError
from interp_ecg.io.integrity import file_manifest_path, verify_file_manifest, write_file_manifest
from interp_ecg.models import EnsembleClassifier, load_model, save_model
from interp_ecg.prototypes import PHASES, ProtoECGNetClassifier


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


def _move_with_manifest(src, dst):
    shutil.move(src, dst)
    shutil.move(file_manifest_path(src), file_manifest_path(dst))


def test_a_renamed_file_with_its_manifest_is_verified_by_digest(tmp_path):
    f = tmp_path / "a.bin"
    f.write_bytes(b"weights")
    digest = write_file_manifest(f, "example")
    g = tmp_path / "b.bin"
    _move_with_manifest(f, g)
    with pytest.warns(UserWarning, match=r"saved as 'a.bin' and renamed.*SHA-256 matches"):
        assert verify_file_manifest(g, "example", digest) == digest
    g.write_bytes(b"weighs")  # renamed and altered: still refused, naming the file
    with pytest.raises(IntegrityError, match="checksum mismatch for b.bin"):
        verify_file_manifest(g, "example")


def test_the_same_name_does_not_warn(tmp_path):
    f = tmp_path / "a.bin"
    f.write_bytes(b"weights")
    digest = write_file_manifest(f, "example")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert verify_file_manifest(f, "example") == digest


def test_a_prototype_model_renamed_with_its_manifest_loads(tmp_path):
    x, y = toy_cohort(24, seed=1)
    clf = ProtoECGNetClassifier(**TINY).fit(x, y)
    path = clf.save(tmp_path / "p.pt")
    moved = tmp_path / "model_v2.pt"
    _move_with_manifest(path, moved)
    with pytest.warns(UserWarning, match="saved as 'p.pt' and renamed"):
        again = ProtoECGNetClassifier.load(moved, device="cpu")
    np.testing.assert_allclose(again.predict_proba(x), clf.predict_proba(x), atol=1e-6)
    state = torch.load(moved, weights_only=True)
    key = next(iter(state["model"]))
    state["model"][key] = state["model"][key] + 1.0
    torch.save(state, moved)
    with pytest.raises(IntegrityError, match="checksum mismatch for model_v2.pt"):
        ProtoECGNetClassifier.load(moved, device="cpu")


def test_a_checkpoint_renamed_with_its_manifest_resumes(tmp_path):
    toy = toy_cohort(16, seed=2)
    _trainer(toy, tmp_path).run(phases=PHASES[:2])
    moved = tmp_path / "joint_copy.pt"
    _move_with_manifest(tmp_path / "joint.pt", moved)
    trainer = _trainer(toy, tmp_path)
    with pytest.warns(UserWarning, match="saved as 'joint.pt' and renamed"):
        trainer.load_checkpoint(moved)
    assert trainer.completed == list(PHASES[:2])


def test_a_feature_model_folder_renamed_loads(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 2)), columns=["QRS_duration_ms", "heart_rate_bpm"])
    y = (X["QRS_duration_ms"] > 0).astype(int)
    m = EnsembleClassifier(("logreg",), random_state=0).fit(X, y)
    save_model(m, tmp_path / "feat.skops")
    (tmp_path / "feat.skops").rename(tmp_path / "feat_v2.skops")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = load_model(tmp_path / "feat_v2.skops")
    np.testing.assert_allclose(again.predict_proba(X), m.predict_proba(X))
