"""load_model names every package whose major.minor differs from the saved one (user12 F3)."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pandas as pd
import pytest
import sklearn

from interp_ecg.models import EnsembleClassifier, load_model, save_model
from interp_ecg.models.persistence import check_versions


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int)
    m = EnsembleClassifier(("rf",), member_params={"rf": {"n_estimators": 5}}, random_state=0, n_jobs=1).fit(X, y)
    folder = tmp_path_factory.mktemp("m") / "model"
    save_model(m, folder)
    return folder, m, X


def test_same_versions_load_quietly(saved, caplog, recwarn):
    folder, m, X = saved
    with caplog.at_level(logging.WARNING, logger="interp_ecg.models.persistence"):
        loaded = load_model(folder)
    assert "predictions may differ" not in caplog.text
    assert not [w for w in recwarn if "predictions may differ" in str(w.message)]
    np.testing.assert_array_equal(loaded.predict_proba(X), m.predict_proba(X))


def test_older_sklearn_in_manifest_is_named(saved, tmp_path, caplog):
    folder, _, _ = saved
    other = tmp_path / "old"
    shutil.copytree(folder, other)
    man = json.loads((other / "manifest.json").read_text())
    man["versions"]["scikit-learn"] = "1.0.0"
    (other / "manifest.json").write_text(json.dumps(man))
    with caplog.at_level(logging.WARNING, logger="interp_ecg.models.persistence"), \
            pytest.warns(UserWarning, match="saved with scikit-learn 1.0.0"):
        load_model(other)
    assert f"saved with scikit-learn 1.0.0, loading under {sklearn.__version__}" in caplog.text


def test_patch_difference_is_not_a_warning():
    major, minor = sklearn.__version__.split(".")[:2]
    assert check_versions({"versions": {"scikit-learn": f"{major}.{minor}.999"}}) == []
    with pytest.warns(UserWarning, match="scikit-learn"):
        assert len(check_versions({"versions": {"scikit-learn": f"{int(major) + 1}.0"}})) == 1
