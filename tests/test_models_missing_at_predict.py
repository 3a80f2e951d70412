"""Features missing at prediction that were measured in training are named, not scored silently.

Trust defect (round of 2026-12-01): a model trained on records with every QRS duration
measured, asked to score a batch in which none is, predicted without a word (the trees
route the NaN to the larger child, gb and logreg impute the training median), so the scores
rested on the other features alone. Now ``predict_proba`` (and ``predict``,
``predict_margin``) warn with a ``MissingFeatureWarning`` naming each such feature and its
share missing now and in training, and ``missing_report`` gives the same as a table.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from interp_ecg.models import (MISSING_SHARE_INCREASE, EnsembleClassifier, MissingFeatureWarning, load_model,
                               save_model)


def _table(n: int = 200, seed: int = 0, qrs_missing: float = 0.0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"QRS_duration_ms": rng.normal(100, 20, n), "heart_rate_bpm": rng.normal(80, 20, n),
                      "PR_interval_ms": rng.normal(160, 20, n)})
    y = ((X.QRS_duration_ms >= 110) | (X.heart_rate_bpm > 100)).astype(int)
    if qrs_missing:
        X.loc[X.index[: int(round(qrs_missing * n))], "QRS_duration_ms"] = np.nan
    return X, y


@pytest.fixture(scope="module")
def model():
    X, y = _table(qrs_missing=0.10)  # QRS missing in 10 % of training rows, the others never
    return EnsembleClassifier(("rf", "logreg"), member_params={"rf": {"n_estimators": 20}}, random_state=0).fit(X, y)


def _quiet(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error", MissingFeatureWarning)
        return call()


def test_training_shares_are_kept(model):
    np.testing.assert_allclose(model.train_missing_share_, [0.10, 0.0, 0.0])


def test_features_missing_beyond_training_are_named_with_their_shares(model):
    X, _ = _table(n=40, seed=1)
    X.loc[X.index[:10], "heart_rate_bpm"] = np.nan   # 25 % now, 0 % in training: named
    X["PR_interval_ms"] = np.nan                     # 100 % now, 0 % in training: named
    X.loc[X.index[:12], "QRS_duration_ms"] = np.nan  # 30 % now, 10 % in training: +20 points, not named
    with pytest.warns(MissingFeatureWarning) as got:
        p = model.predict_proba(X)
    assert p.shape == (40, 2) and np.isfinite(p).all()  # predicted anyway (documented policy)
    msg = str(got[0].message)
    assert "2 feature(s) missing in more of the 40 row(s) than chance allows at the training share" in msg
    assert ("PR_interval_ms 100% = 40 of 40 (training 0%, P < 1e-12), "
            "heart_rate_bpm 25% = 10 of 40 (training 0%, P < 1e-12)") in msg
    assert "QRS_duration_ms" not in msg
    assert ("rf send a missing PR_interval_ms, heart_rate_bpm (missed by no training row) to the child with more "
            "training rows: a route not learned from data; logreg replace a missing value by the training median, "
            "so for these rows their scores rest on the other features") in msg
    report = model.missing_report(X)
    assert list(report.index) == ["PR_interval_ms", "heart_rate_bpm"]
    assert report["missing_share"].tolist() == [1.0, 0.25]
    assert report["train_missing_share"].tolist() == [0.0, 0.0]
    assert report["n_missing"].tolist() == [40.0, 10.0]
    assert report["n_rows"].tolist() == [40.0, 40.0]
    assert report["p_value"].tolist() == [0.0, 0.0]  # never missing in training: no chance of it
    # one row without its PR interval (never missing in training): 100 % of the rows
    with pytest.warns(MissingFeatureWarning, match=r"PR_interval_ms 100% = 1 of 1 \(training 0%"):
        model.predict(X.iloc[[0]])


def test_no_warning_within_the_training_shares(model):
    X, _ = _table(n=40, seed=2, qrs_missing=0.30)  # +20 points: under MISSING_SHARE_INCREASE
    assert MISSING_SHARE_INCREASE == 0.25
    _quiet(lambda: model.predict_proba(X))
    assert model.missing_report(X).empty
    _quiet(lambda: model.predict_proba(_table(n=10, seed=3)[0]))  # a batch without missing values


def test_multilabel_margin_and_saved_models_warn_too(tmp_path):
    X, y = _table()
    Y = pd.DataFrame({"a": y, "b": (X.PR_interval_ms > 170).astype(int)}, index=X.index)
    multi = EnsembleClassifier(("logreg",), random_state=0).fit(X, Y)
    rows = X.iloc[:5].assign(QRS_duration_ms=np.nan)
    with pytest.warns(MissingFeatureWarning, match=r"QRS_duration_ms 100% = 5 of 5 \(training 0%") as got:
        multi.predict_proba(rows)
    assert len([w for w in got if issubclass(w.category, MissingFeatureWarning)]) == 1  # once, not per label
    single = EnsembleClassifier(("logreg",), random_state=0).fit(X, y)
    with pytest.warns(MissingFeatureWarning, match="predict_margin"):
        single.predict_margin(rows)
    again = load_model(tmp_path / "m", expected_digest=save_model(single, tmp_path / "m"))
    np.testing.assert_array_equal(again.train_missing_share_, [0.0, 0.0, 0.0])
    with pytest.warns(MissingFeatureWarning, match="QRS_duration_ms"):
        again.predict_proba(rows)
    # a model saved before the shares were kept: no check (logged), no false warning
    del again.train_missing_share_
    assert _quiet(lambda: again.missing_report(rows)).empty
