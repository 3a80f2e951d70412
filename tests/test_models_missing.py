"""A missing measurement (NaN) is routed as missing by every tree member, never scored as a number.

Before: a LightGBM member trained on rows without NaN scored a NaN QRS duration exactly as a
QRS duration of 0 ms (P = 0.0043 for both, while the rows of the larger branch score 0.998),
and an XGBoost member scored it as a QRS duration above every threshold (the right branch
of every split). Now both send it to the child more training rows went to, the rule of
scikit-learn's forests; features that had missing values in training keep the direction the
library learned, and numbers are scored exactly as before.
"""

from __future__ import annotations

import logging

import lightgbm
import numpy as np
import pandas as pd
import pytest
import xgboost

from interp_ecg.models import EnsembleClassifier, load_model, save_model
from interp_ecg.models.boosters import MissingAwareLGBMClassifier, MissingAwareXGBClassifier


def _table(n: int = 600, seed: int = 0, positive_below: float | None = None):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"QRS_duration_ms": rng.normal(100, 20, n), "heart_rate_bpm": rng.normal(80, 20, n)})
    qrs = X.QRS_duration_ms
    # most rows positive: the larger branch of the QRS splits is the one of long QRS
    y = (qrs >= 90).astype(int) if positive_below is None else (qrs < positive_below).astype(int)
    return X, y


def _member(model, name):
    return dict(model.members_)[name].steps[-1][1]


@pytest.mark.parametrize("name", ["lgbm", "xgb"])
@pytest.mark.parametrize("majority", ["long", "short"])
def test_nan_in_a_feature_without_training_nan_is_routed_as_missing(name, majority):
    # label "QRS >= 90 ms" (68% of rows: the long-QRS branches are the larger ones) or "QRS < 110 ms" (69%)
    X, y = _table() if majority == "long" else _table(positive_below=110)
    model = EnsembleClassifier((name,), member_params={name: {"n_estimators": 50}}, random_state=0).fit(X, y)
    rows = pd.DataFrame({"QRS_duration_ms": [np.nan, 0.0, 1000.0], "heart_rate_bpm": 80.0})
    p_nan, p_zero, p_huge = model.predict_proba(rows)[:, 1]
    assert abs(p_zero - p_huge) > 0.5
    # the missing QRS goes where most training rows went: the majority's branch
    assert p_nan == pytest.approx(p_huge if majority == "long" else p_zero, abs=1e-6)
    # the library's own model (same settings and weights) scores it as a number instead
    member = _member(model, name)
    library = lightgbm.LGBMClassifier if name == "lgbm" else xgboost.XGBClassifier
    plain = library(**member.get_params()).fit(X.to_numpy(), y, sample_weight=_balanced(y))
    q_nan, q_zero, q_huge = plain.predict_proba(rows.to_numpy())[:, 1]
    if name == "lgbm":
        assert q_nan == q_zero  # 0 ms (before: 0.040 vs 0.960 for "QRS >= 90 ms")
    else:
        assert q_nan == q_huge  # above every threshold (before: 0.205 vs 0.860 for "QRS < 110 ms")
    # numbers are scored exactly as by the library's own model
    grid = pd.DataFrame({"QRS_duration_ms": np.linspace(0, 250, 101), "heart_rate_bpm": np.linspace(20, 200, 101)})
    np.testing.assert_allclose(member.predict_proba(grid.to_numpy())[:, 1], plain.predict_proba(grid.to_numpy())[:, 1],
                               rtol=0, atol=1e-12)


def _balanced(y):
    counts = np.bincount(y)
    return (len(y) / (2 * counts))[y]


@pytest.mark.parametrize("name", ["lgbm", "xgb"])
def test_the_larger_child_takes_the_missing_value_in_every_split(name):
    X, y = _table(positive_below=95)
    member = _member(EnsembleClassifier((name,), member_params={name: {"n_estimators": 20}},
                                        random_state=0).fit(X, y), name)
    checked = 0
    if name == "lgbm":
        stack = [t["tree_structure"] for t in member.booster_.dump_model()["tree_info"]]

        def count(node):
            return node.get("internal_count", node.get("leaf_count"))

        while stack:
            node = stack.pop()
            if "split_feature" in node:
                assert node["missing_type"] == "NaN"
                assert node["default_left"] == (count(node["left_child"]) >= count(node["right_child"]))
                checked += 1
                stack += [node["left_child"], node["right_child"]]
    else:
        X32 = X.to_numpy(dtype=np.float32)
        leaves = member.get_booster().predict(xgboost.DMatrix(X32), pred_leaf=True).astype(int)
        frame = member.get_booster().trees_to_dataframe()
        for t, tree in frame.groupby("Tree"):
            nodes = tree.set_index("Node")
            reach = {}  # rows reaching each node: from the leaves up
            for leaf, n in zip(*np.unique(leaves[:, t], return_counts=True)):
                reach[leaf] = n
            for node in sorted(nodes.index[nodes.Feature != "Leaf"], reverse=True):
                yes, no, missing = (int(str(nodes.at[node, c]).split("-")[-1]) for c in ("Yes", "No", "Missing"))
                reach[node] = reach.get(yes, 0) + reach.get(no, 0)
                assert missing == (yes if reach.get(yes, 0) >= reach.get(no, 0) else no)
                checked += 1
    assert checked > 20


@pytest.mark.parametrize("name", ["lgbm", "xgb"])
def test_learned_directions_of_features_with_training_nan_are_kept(name):
    X, y = _table()
    X = X.copy()
    X.loc[X.index[::5], "QRS_duration_ms"] = np.nan  # QRS missing in training: a learned direction
    params = {"n_estimators": 30, "random_state": 0}
    ours = (MissingAwareLGBMClassifier(verbose=-1, **params) if name == "lgbm"
            else MissingAwareXGBClassifier(**params)).fit(X.to_numpy(), y)
    theirs = (lightgbm.LGBMClassifier(verbose=-1, **params) if name == "lgbm"
              else xgboost.XGBClassifier(**params)).fit(X.to_numpy(), y)
    rows = np.array([[np.nan, 80.0], [np.nan, np.nan], [120.0, 80.0], [0.0, 0.0]])
    # NaN QRS: as the library learned it; NaN heart rate (never missing in training): may differ
    np.testing.assert_allclose(ours.predict_proba(rows[[0, 2, 3]]), theirs.predict_proba(rows[[0, 2, 3]]),
                               rtol=0, atol=1e-12)


def test_saved_models_keep_the_missing_routes(tmp_path):
    X, y = _table()
    model = EnsembleClassifier(("lgbm", "xgb"), member_params={"lgbm": {"n_estimators": 20},
                                                             "xgb": {"n_estimators": 20}}, random_state=0).fit(X, y)
    rows = pd.DataFrame({"QRS_duration_ms": [np.nan, 0.0, 150.0], "heart_rate_bpm": [80.0, np.nan, 80.0]})
    digest = save_model(model, tmp_path / "m")
    again = load_model(tmp_path / "m", expected_digest=digest)
    np.testing.assert_array_equal(again.predict_proba(rows), model.predict_proba(rows))
    assert isinstance(_member(again, "lgbm"), MissingAwareLGBMClassifier)


def test_every_member_says_what_it_does_with_a_missing_value(caplog):
    X, y = _table()
    model = EnsembleClassifier(("rf", "xgb", "lgbm", "gb", "logreg"),
                               member_params={m: {"n_estimators": 10} for m in ("rf", "xgb", "lgbm", "gb")},
                               random_state=0).fit(X, y)
    rules = model.missing_value_rules_
    assert all(rules[m].startswith("routed as missing") for m in ("rf", "xgb", "lgbm"))
    assert all(rules[m].startswith("imputed: replaced by the feature's median") for m in ("gb", "logreg"))
    rows = X.iloc[:4].copy()
    rows.iloc[1, 0] = np.nan
    def said():
        # the imputation note (features missing beyond training have their own warning,
        # tests/test_models_missing_at_predict.py)
        return [r.getMessage() for r in caplog.records
                if r.name == "interp_ecg.models.ensemble" and r.levelno >= logging.WARNING
                and "replace missing values" in r.getMessage()]

    with caplog.at_level(logging.WARNING, logger="interp_ecg.models.ensemble"):
        model.predict_proba(X.iloc[:4])   # no missing value: nothing to say
        assert not said()
        model.predict_proba(rows)
        model.predict_proba(rows)         # said once per model
    said = said()
    assert len(said) == 1 and "['gb', 'logreg']" in said[0] and "1 of 4 rows" in said[0] and "QRS_duration_ms" in said[0]
    resampled = EnsembleClassifier(("rf",), member_params={"rf": {"n_estimators": 10}}, resample="smote",
                                   random_state=0).fit(X, y)
    assert resampled.missing_value_rules_["rf"].startswith("imputed")
