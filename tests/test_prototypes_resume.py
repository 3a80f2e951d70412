"""A checkpoint folder is resumed only by the run that wrote it (user16 finding 4)."""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.errors import ConfigError
from interp_ecg.prototypes import ProtoECGNetClassifier
from tests.test_prototypes import TINY, toy_cohort


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


@pytest.fixture(scope="module")
def run_a(tmp_path_factory):
    x, y = toy_cohort(24, seed=1)
    ckpt = tmp_path_factory.mktemp("ckpt")
    clf = ProtoECGNetClassifier(**TINY, checkpoint_dir=ckpt).fit(x, y)
    return clf, ckpt, x, y


def test_the_same_run_resumes_its_finished_checkpoint(run_a):
    clf, ckpt, x, y = run_a
    again = ProtoECGNetClassifier(**TINY, checkpoint_dir=ckpt).fit(x, y)
    np.testing.assert_array_equal(again.predict_proba(x), clf.predict_proba(x))


def test_other_records_are_refused_naming_the_checkpoint(run_a):
    _, ckpt, _, _ = run_a
    x2, y2 = toy_cohort(24, seed=5)
    y2.index = [f"other{i}" for i in range(24)]
    with pytest.raises(ConfigError, match=r"fusion.pt: this checkpoint belongs to another training run.*training records") as info:
        ProtoECGNetClassifier(**TINY, checkpoint_dir=ckpt).fit(x2, y2)
    assert str(ckpt / "fusion.pt") in str(info.value)


def test_swapped_label_columns_in_one_branch_are_refused(tmp_path):
    """The user16 case: same folder, two classes of one branch in the other order -> the old
    network's first output would be read as the new first class."""
    x, y = toy_cohort(24, seed=1)
    params = dict(TINY, label_groups={"rhythm": ["FAST"], "morphology": ["INV", "NORM"]}, fusion_epochs=1)
    ProtoECGNetClassifier(**params, checkpoint_dir=tmp_path).fit(x, y[["FAST", "INV", "NORM"]])
    with pytest.raises(ConfigError, match=r"classes \(network order\) \['FAST', 'INV', 'NORM'\] in the checkpoint, "
                                          r"\['FAST', 'NORM', 'INV'\] in this run"):
        ProtoECGNetClassifier(**params, checkpoint_dir=tmp_path).fit(x, y[["FAST", "NORM", "INV"]])


def test_swapped_columns_of_other_branches_resume_with_the_columns_following(run_a):
    """Classes of different branches: the network's order is the same, so resuming is right and the
    output columns follow the new y order."""
    clf, ckpt, x, y = run_a
    again = ProtoECGNetClassifier(**TINY, checkpoint_dir=ckpt).fit(x, y[["NORM", "INV", "FAST"]])
    assert again.classes_ == ["NORM", "INV", "FAST"]
    np.testing.assert_array_equal(again.predict_proba(x), clf.predict_proba(x)[:, ::-1])


def test_same_ids_other_labels_and_other_settings_are_refused(run_a):
    _, ckpt, x, y = run_a
    flipped = y.copy()
    flipped["INV"] = 1 - flipped["INV"]
    with pytest.raises(ConfigError, match="training signals or labels differ"):
        ProtoECGNetClassifier(**TINY, checkpoint_dir=ckpt).fit(x, flipped)
    with pytest.raises(ConfigError, match="random_state"):
        ProtoECGNetClassifier(**dict(TINY, random_state=1), checkpoint_dir=ckpt).fit(x, y)
    with pytest.raises(ConfigError, match="fusion_epochs"):
        ProtoECGNetClassifier(**dict(TINY, fusion_epochs=3), checkpoint_dir=ckpt).fit(x, y)
