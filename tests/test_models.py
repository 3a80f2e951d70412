"""EnsembleClassifier: sklearn contract, NaN handling, multi-label, SMOTE in folds, calibration,
device choice, nested tuning and checksum-verified persistence."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from interp_ecg.errors import ConfigError, IntegrityError, ModelError
from interp_ecg.evaluate import cross_val_predict_grouped, metrics_table
from interp_ecg.models import EnsembleClassifier, cardioforest, load_model, resolve_device, save_model, tune
from interp_ecg.models import device as device_mod
from interp_ecg.models.persistence import load_booster

SMALL = {"rf": {"n_estimators": 8}, "et": {"n_estimators": 8}, "xgb": {"n_estimators": 8},
         "lgbm": {"n_estimators": 8, "min_child_samples": 2}, "gb": {"n_estimators": 8}}

# Forests and boosters subsample rows/columns at random, so weighting a row is not the same
# as repeating it (sklearn's own RandomForestClassifier is listed as failing this check too);
# forests also give exact 0/1 probabilities, which one multi-label check forbids.
_RANDOMISED = {"check_sample_weight_equivalence_on_dense_data": "random bootstrap/subsampling"}
_FOREST = {**_RANDOMISED, "check_classifiers_multilabel_output_format_predict_proba":
           "forests can output probabilities of exactly 0 or 1"}
_CONFIGS = [
    (EnsembleClassifier(("logreg",), random_state=0), {}),
    (EnsembleClassifier(("rf",), member_params=SMALL, random_state=0, n_jobs=1), _FOREST),
    (EnsembleClassifier(("xgb", "lgbm"), member_params=SMALL, random_state=0, n_jobs=1), _RANDOMISED),
]


def _expected_failures(estimator):
    for est, fails in _CONFIGS:
        if est is estimator:
            return fails
    return {}


@parametrize_with_checks([c for c, _ in _CONFIGS], expected_failed_checks=_expected_failures)
def test_sklearn_contract(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


def _table(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "QRS_duration_ms": rng.normal(105, 25, n),
        "heart_rate_bpm": rng.normal(90, 25, n),
        "noise": rng.normal(size=n),
    })
    y = ((X.QRS_duration_ms >= 120) & (X.heart_rate_bpm >= 100)).astype(int)
    return X, y, np.arange(n) // 2


def test_learns_known_rule_out_of_fold_and_handles_nan():
    X, y, groups = _table()
    X.loc[X.index[::10], "noise"] = np.nan
    for members in [("rf",), ("xgb", "lgbm", "gb", "logreg", "et")]:
        model = EnsembleClassifier(members, member_params=SMALL, random_state=0)
        oof = cross_val_predict_grouped(model, X, y, groups, cv=4)
        auc = metrics_table(y, oof, groups, n_boot=0).set_index("metric").loc["roc_auc", "estimate"]
        assert auc > 0.9, (members, auc)  # the rule is learnable from two features
        if len(members) > 1:
            continue
        shuffled = cross_val_predict_grouped(model, X, y.sample(frac=1, random_state=1).to_numpy(), groups, cv=4)
        auc_null = metrics_table(y.sample(frac=1, random_state=1).to_numpy(), shuffled, n_boot=0)
        assert auc_null.set_index("metric").loc["roc_auc", "estimate"] < 0.7  # no signal, no skill


def test_feature_names_classes_and_string_labels():
    X, y, _ = _table(200)
    labels = np.where(y == 1, "WCT", "other")
    model = EnsembleClassifier(("rf", "logreg"), member_params=SMALL, random_state=0).fit(X, labels)
    assert list(model.feature_names_in_) == list(X.columns)
    assert list(model.classes_) == ["WCT", "other"]
    assert set(model.predict(X)) <= {"WCT", "other"}
    with pytest.raises(ValueError):
        model.predict_proba(X[["noise", "QRS_duration_ms", "heart_rate_bpm"]])


def test_multilabel_one_model_per_label():
    X, y, _ = _table(300)
    Y = pd.DataFrame({"WCT": y, "wide": (X.QRS_duration_ms >= 120).astype(int), "fast": (X.heart_rate_bpm >= 100).astype(int)})
    model = EnsembleClassifier(("lgbm", "rf"), member_params=SMALL, random_state=0).fit(X, Y)
    P = model.predict_proba(X)
    assert P.shape == (300, 3) and model.labels_ == ["WCT", "wide", "fast"]
    assert len(model.estimators_) == 3
    # each label's model ranks its own label best
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(Y.wide, P[:, 1]) > roc_auc_score(Y.wide, P[:, 2])
    with pytest.raises(ModelError):
        EnsembleClassifier(multilabel=False).fit(X, Y)


def test_smote_only_in_training_folds_and_calibration():
    X, y, groups = _table(200)
    model = EnsembleClassifier(("rf",), resample="smote", member_params=SMALL, random_state=0).fit(X, y)
    pipe = model.members_[0][1]
    assert [s for s, _ in pipe.steps] == ["impute", "smote", "clf"]
    # the sampler acts at fit time only: predict_proba returns one row per input row
    assert model.predict_proba(X.iloc[:7]).shape == (7, 2)
    # the forest saw more (synthetic) minority rows than the data holds
    assert pipe.named_steps["clf"].estimators_[0].tree_.weighted_n_node_samples[0] > 0
    cal = EnsembleClassifier(("xgb",), calibrate="isotonic", member_params=SMALL, random_state=0)
    oof = cross_val_predict_grouped(cal, X, y, groups, cv=3)
    tab = metrics_table(y, oof, groups, n_boot=0).set_index("metric")
    assert tab.loc["roc_auc", "estimate"] > 0.85


def test_bad_parameters_raise_named_errors():
    X, y, _ = _table(50)
    with pytest.raises(ConfigError, match="unknown estimators"):
        EnsembleClassifier(("svm",)).fit(X, y)
    with pytest.raises(ConfigError):
        EnsembleClassifier(combine="hard").fit(X, y)
    with pytest.raises(ConfigError):
        EnsembleClassifier(device="tpu").fit(X, y)


def test_member_settings_pass_through_or_raise_named_errors():
    """Issue 11 item 10: ``{"lgbm": {"verbose": 1}}`` gave a raw TypeError (duplicate keyword)."""
    X, y, _ = _table(60)
    params = {"lgbm": {"n_estimators": 5, "verbose": 1, "n_jobs": 1},
              "rf": {"n_estimators": 5, "n_jobs": 1, "random_state": 7},
              "xgb": {"n_estimators": 5, "n_jobs": 1}}
    model = EnsembleClassifier(("lgbm", "rf", "xgb"), member_params=params, random_state=0).fit(X, y)
    clfs = {name: pipe.named_steps["clf"] for name, pipe in model.members_}
    assert clfs["lgbm"].get_params()["verbose"] == 1
    assert clfs["rf"].random_state == 7 and clfs["rf"].n_jobs == 1  # the member's own setting wins
    assert clfs["xgb"].n_jobs == 1
    with pytest.raises(ConfigError, match=r"member 'rf' \(RandomForestClassifier\) has no setting 'n_estimator'"):
        EnsembleClassifier(("rf",), member_params={"rf": {"n_estimator": 5}}).fit(X, y)
    with pytest.raises(ConfigError, match="member 'logreg'.*'verbosity'"):
        EnsembleClassifier(("logreg",), member_params={"logreg": {"verbosity": 1}}).fit(X, y)


def test_device_auto_choice(monkeypatch):
    assert resolve_device("cpu", gpu_available=True) == "cpu"
    assert resolve_device("auto", gpu_available=True) == "cuda"
    assert resolve_device("auto", gpu_available=False) == "cpu"
    with pytest.raises(ConfigError, match="no CUDA GPU"):  # an explicit request is not downgraded
        resolve_device("cuda", gpu_available=False)
    assert resolve_device("cuda:1", gpu_available=True) == "cuda:1"
    with pytest.raises(ConfigError, match="device must be one of"):
        resolve_device("gpu", gpu_available=True)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    device_mod.gpu_available.cache_clear()
    try:
        assert device_mod.gpu_available() is False
        X, y, _ = _table(80)
        with pytest.raises(ConfigError, match="no CUDA GPU"):
            EnsembleClassifier(("xgb",), device="cuda", member_params=SMALL, random_state=0).fit(X, y)
        model = EnsembleClassifier(("xgb",), device="auto", member_params=SMALL, random_state=0).fit(X, y)
        assert model.device_ == "cpu"
        assert model.members_[0][1].named_steps["clf"].get_params()["device"] == "cpu"
    finally:
        device_mod.gpu_available.cache_clear()


def test_cardioforest_preset_and_nested_tuning():
    X, y, groups = _table(160)
    cf = cardioforest(random_state=0, n_estimators=20).fit(X, y)
    assert cf.members_[0][1].named_steps["clf"].n_estimators == 20
    space = {"rf__max_depth": ("cat", [2, None]), "rf__n_estimators": ("int", 5, 15)}
    res = tune(EnsembleClassifier(("rf",), random_state=0), X, y, groups, search_space=space,
               n_trials=3, outer_cv=3, inner_cv=2, random_state=0)
    assert len(res.outer_scores) == 3 and all(s > 0.8 for s in res.outer_scores)
    assert np.isfinite(res.oof_score).all()
    assert res.best_params["rf"]["max_depth"] in (2, None)
    assert res.estimator.predict_proba(X).shape == (160, 2)
    halving = tune(EnsembleClassifier(("logreg",)), X, y, groups, search_space={"logreg__C": ("float", 0.01, 1.0, True)},
                   n_trials=4, outer_cv=2, inner_cv=2, method="halving", refit=False)
    assert len(halving.outer_params) == 2 and halving.estimator is None


def test_save_load_roundtrip_and_integrity(tmp_path):
    X, y, _ = _table(150)
    Y = pd.DataFrame({"WCT": y, "wide": (X.QRS_duration_ms >= 120).astype(int)})
    model = EnsembleClassifier(("xgb", "lgbm", "rf"), member_params=SMALL, random_state=0).fit(X, Y)
    digest = save_model(model, tmp_path / "m")
    again = load_model(tmp_path / "m", expected_digest=digest)
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X))
    boosters = load_booster(tmp_path / "m")
    assert {"WCT__xgb", "WCT__lgbm", "wide__xgb", "wide__lgbm"} <= set(boosters)
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["feature_names"] == list(X.columns)
    # tampering with the model file is caught before it is read
    blob = (tmp_path / "m" / "model.skops").read_bytes()
    (tmp_path / "m" / "model.skops").write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(IntegrityError, match="checksum mismatch"):
        load_model(tmp_path / "m")
    (tmp_path / "m" / "model.skops").write_bytes(blob)
    (tmp_path / "m" / "extra.pkl").write_bytes(b"x")
    with pytest.raises(IntegrityError, match="not listed"):
        load_model(tmp_path / "m")
    (tmp_path / "m" / "extra.pkl").unlink()
    with pytest.raises(IntegrityError, match="expected digest"):
        load_model(tmp_path / "m", expected_digest="0" * 64)
    load_model(tmp_path / "m")  # restored folder loads again
