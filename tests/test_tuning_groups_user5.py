"""Nested tuning hands the patient ids to every fit (user5 D4)."""

import numpy as np

from interp_ecg.models import EnsembleClassifier, tune


def test_every_fit_gets_its_patients(monkeypatch):
    seen = []
    original = EnsembleClassifier.fit

    def fit(self, X, y, sample_weight=None, groups=None):
        seen.append(None if groups is None else len(groups) == len(X))
        return original(self, X, y, sample_weight=sample_weight, groups=groups)

    monkeypatch.setattr(EnsembleClassifier, "fit", fit)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = (X[:, 0] + rng.normal(scale=0.5, size=90) > 0).astype(int)
    groups = np.arange(90) // 2
    tune(EnsembleClassifier(("logreg",), n_jobs=1), X, y, groups, n_trials=2, outer_cv=3, inner_cv=2,
         random_state=0)
    assert seen and all(s is True for s in seen)  # old: every fit without groups (None)
