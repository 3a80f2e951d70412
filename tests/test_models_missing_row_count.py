"""The missing-feature warning counts rows and words each member truthfully (user 10, M1).

Before, a feature counted as "missing beyond training" when its share missing in the predicted
rows exceeded the training share by 0.25, whatever the number of rows: one atrial-fibrillation
record scored alone (PR interval NaN by definition, as in 22 % of the training records) warned
"PR_interval_ms 100% (training 22%) ... these scores rest on the other features", and the
demo's 9-row cross-validation folds warned 6 times. The sentence was also untrue for the tree
members, which learned where a missing PR goes. Now the count must also be unlikely by chance
(one-sided binomial P below MISSING_ALPHA at the training share), and the warning says per
member what happens: routing members use the missingness as learned (or, for a feature no
training row missed, a route not learned), imputing members replace it by the training median.
"""

from __future__ import annotations

import warnings
from math import comb

import numpy as np
import pandas as pd
import pytest

from interp_ecg.models import MISSING_ALPHA, EnsembleClassifier, MissingFeatureWarning


def _af_cohort(n: int = 200, seed: int = 0):
    """PR missing in exactly 20 % of the rows (the AF records), whose label depends on it."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"QRS_duration_ms": rng.normal(100, 20, n), "heart_rate_bpm": rng.normal(80, 20, n),
                      "PR_interval_ms": rng.normal(160, 20, n)})
    af = np.zeros(n, dtype=bool)
    af[rng.permutation(n)[: n // 5]] = True
    X.loc[af, "PR_interval_ms"] = np.nan
    y = (af | (X.QRS_duration_ms > 120)).astype(int)
    return X, y, af


def _fit(members, X, y):
    return EnsembleClassifier(members, member_params={"rf": {"n_estimators": 20}}, random_state=0).fit(X, y)


def _messages(call):
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in got if issubclass(w.category, MissingFeatureWarning)]


def _upper_tail(k: int, n: int, p: float) -> float:
    """P(K >= k), K ~ Binomial(n, p), summed from the definition."""
    return sum(comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(k, n + 1))


@pytest.fixture(scope="module")
def cohort():
    X, y, af = _af_cohort()
    return X, y, af, _fit(("rf", "logreg"), X, y)


def test_one_af_record_scored_alone_does_not_warn(cohort):
    X, _, af, model = cohort
    assert model.train_missing_share_[2] == pytest.approx(0.20)
    assert MISSING_ALPHA == 0.001
    one = X[af].iloc[[0]]
    assert _messages(lambda: model.predict_proba(one)) == []  # P = 0.2: chance, not drift
    assert model.missing_report(one).empty
    rows = X.iloc[:50]
    assert sum(len(_messages(lambda i=i: model.predict_proba(rows.iloc[[i]]))) for i in range(50)) == 0
    assert _messages(lambda: model.predict_proba(rows)) == []


def test_small_folds_warn_only_past_the_binomial_bound(cohort):
    X, _, af, model = cohort
    ok = X[~af].iloc[:9]
    six = pd.concat([X[af].iloc[:6], ok.iloc[:3]])    # 6 of 9: P = 0.00307 >= 0.001
    seven = pd.concat([X[af].iloc[:7], ok.iloc[:2]])  # 7 of 9: P = 0.000314 < 0.001
    assert _upper_tail(6, 9, 0.2) == pytest.approx(0.0030664, rel=1e-4)  # 84*.2^6*.8^3 + ... by hand
    assert _upper_tail(7, 9, 0.2) == pytest.approx(0.00031386, rel=1e-4)
    assert _messages(lambda: model.predict_proba(six)) == []
    assert model.missing_report(six).empty
    report = model.missing_report(seven)
    assert list(report.index) == ["PR_interval_ms"]
    row = report.loc["PR_interval_ms"]
    assert (row.n_missing, row.n_rows) == (7.0, 9.0)
    assert row.missing_share == pytest.approx(7 / 9)
    assert row.p_value == pytest.approx(_upper_tail(7, 9, 0.2), rel=1e-9)
    all_af = X[af].iloc[:9]
    assert model.missing_report(all_af).loc["PR_interval_ms", "p_value"] == pytest.approx(0.2**9, rel=1e-9)
    (msg,) = _messages(lambda: model.predict_proba(seven))
    assert "PR_interval_ms 78% = 7 of 9 (training 20%, P = 0.000314)" in msg


def test_each_member_is_worded_as_it_handles_the_missing_value(cohort):
    X, y, af, model = cohort
    rows = X[af].iloc[:9]
    (msg,) = _messages(lambda: model.predict_proba(rows))
    assert "rf route a missing PR_interval_ms as learned from the training rows that missed it" in msg
    assert ("logreg replace a missing value by the training median, so for these rows their scores rest on "
            "the other features") in msg
    (routed_only,) = _messages(lambda: _fit(("rf",), X, y).predict_proba(rows))
    assert "rest on the other features" not in routed_only
    assert "as learned from the training rows that missed it" in routed_only


def test_a_feature_never_missing_in_training_warns_from_one_row(cohort):
    X, _, _, model = cohort
    one = X.iloc[[0]].assign(QRS_duration_ms=np.nan)
    (msg,) = _messages(lambda: model.predict_proba(one))
    assert "QRS_duration_ms 100% = 1 of 1 (training 0%, P < 1e-12)" in msg
    assert "rf send a missing QRS_duration_ms (missed by no training row) to the child with more training rows" in msg
