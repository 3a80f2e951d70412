"""user9 F11: a study calls a network output a probability only after calibrating it on validation records.

Tiny models on the synthetic toy cohort of tests/test_prototypes.py (CPU, seconds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_prototypes import TINY, toy_cohort

from interp_ecg.prototypes import ProtoECGNetClassifier
from interp_ecg.studies.ptbxl_prototypes import calibrate_on_validation, calibration_table, output_text


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


@pytest.fixture(scope="module")
def fitted():
    x, y = toy_cohort(24, seed=1)
    return ProtoECGNetClassifier(**TINY).fit(x, y)


@pytest.fixture()
def net(fitted):
    yield fitted
    fitted.calibration_, fitted.probabilities_calibrated_ = None, False  # shared: back to uncalibrated


def test_calibrated_on_the_validation_split(net):
    xv, yv = toy_cohort(40, seed=7)  # validation records: neither trained on nor tested
    xt, yt = toy_cohort(30, seed=11)  # test records
    raw = net.predict_proba(xv)
    text = calibrate_on_validation(net, xv, yv, split="toy fold 9")
    assert net.probabilities_calibrated_ is True
    assert text.startswith("outputs calibrated on toy fold 9 (40 ECGs, not used for training or testing) by Platt")
    prev = yv[net.classes_].mean()
    # the calibrated mean output on the validation records is their prevalence (logistic MLE with an intercept)
    np.testing.assert_allclose(net.predict_proba(xv).mean(axis=0), prev.to_numpy(), atol=2e-3)
    cal = net.calibration_
    np.testing.assert_allclose(cal["mean_score_before"], raw.mean(axis=0), rtol=1e-9)
    for c in net.classes_:  # the sentence gives each statement's mean before -> after and the prevalence
        assert (f"{c} {cal.loc[c, 'mean_score_before']:.2f} -> {cal.loc[c, 'mean_probability_after']:.2f} "
                f"(prevalence {cal.loc[c, 'prevalence']:.2f})") in text
    flipped = [c for c in net.classes_ if cal.loc[c, "slope"] <= 0]  # INV with this seed: said, not hidden
    assert (f"ranked {', '.join(flipped)} the wrong way round" in text) == bool(flipped)
    few = [c for c in net.classes_ if min(yv[c].sum(), len(yv) - yv[c].sum()) < 5]
    assert ("their calibration is not established" in text) == bool(few)
    assert output_text(net, 0.613) == "p = 0.61"
    scores = {"prototype network": pd.DataFrame(net.predict_proba(xt), columns=net.classes_)}
    tab = calibration_table({"prototype network": net}, scores, yt[net.classes_].reset_index(drop=True))
    assert tab["calibrated"].all() and list(tab["statement"]) == list(net.classes_)
    np.testing.assert_allclose(tab["prevalence"], prev.to_numpy())
    np.testing.assert_allclose(tab["test_prevalence"], yt[net.classes_].mean().to_numpy())
    np.testing.assert_allclose(tab["test_mean_output"], scores["prototype network"].mean().to_numpy())


def test_few_validation_positives_are_said(net):
    xv, yv = toy_cohort(40, seed=7)
    yv["NORM"] = 0
    yv.iloc[:2, yv.columns.get_loc("NORM")] = 1  # 2 validation positives
    text = calibrate_on_validation(net, xv, yv, split="toy fold 9")
    assert net.probabilities_calibrated_ is True
    assert "Fewer than 5 validation positives (or negatives) for NORM (2): their calibration is not established." in text


def test_a_statement_without_validation_positives_leaves_scores(net):
    xv, yv = toy_cohort(20, seed=7)
    yv["NORM"] = 0
    text = calibrate_on_validation(net, xv, yv, split="toy fold 9")
    assert net.probabilities_calibrated_ is False
    assert text.startswith("outputs are scores from a class-weighted loss")
    assert "not calibrated probabilities (toy fold 9 could not calibrate them: cannot calibrate ['NORM']" in text
    assert output_text(net, 0.613) == "score 0.61, not a calibrated probability"
    tab = calibration_table({"net": net}, {"net": pd.DataFrame(net.predict_proba(xv), columns=net.classes_)},
                            yv[net.classes_].reset_index(drop=True))
    assert not tab["calibrated"].any() and tab["slope"].isna().all()


def test_no_validation_records(net):
    assert calibrate_on_validation(net, None, None).endswith("(no validation records to calibrate them on).")
    assert net.probabilities_calibrated_ is False


def test_wct_output_note_says_what_the_models_output():
    """The WCT study's models are class-balanced and not recalibrated: their outputs are scores.

    On a held-out set with 10 % positives a class-balanced logistic regression's mean output is
    far above the prevalence, which an unweighted, sigmoid-calibrated one matches."""
    from interp_ecg.models import EnsembleClassifier
    from interp_ecg.studies.wct import SCORE_TYPE, output_note

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=3000), "b": rng.normal(size=3000)})
    y = (X["a"] + rng.normal(size=3000) > 1.9).astype(int)  # about 10 % positive
    tr, te = slice(0, 2000), slice(2000, None)
    balanced = EnsembleClassifier(("logreg",), random_state=0)
    calibrated = EnsembleClassifier(("logreg",), class_weight=None, calibrate="sigmoid", random_state=0)
    prev = y[te].mean()
    assert 0.07 < prev < 0.13
    mean_bal = balanced.fit(X[tr], y[tr]).predict_proba(X[te])[:, 1].mean()
    mean_cal = calibrated.fit(X[tr], y[tr]).predict_proba(X[te])[:, 1].mean()
    assert mean_bal > 2.5 * prev and abs(mean_cal - prev) < 0.02
    note = output_note({"cardioforest": balanced, "soft_ensemble": EnsembleClassifier(("rf", "logreg")),
                        "cal": calibrated})
    assert note.startswith("Model outputs (cardioforest, soft_ensemble): predict_proba of models trained with "
                           "class-balanced weights, not recalibrated: scores that over-state the rarer class, not "
                           "calibrated probabilities")
    assert "Model outputs (cal): predict_proba calibrated inside each training fold (sigmoid, 3 internal folds)." in note
    assert "calibrated" in SCORE_TYPE and "probability" not in SCORE_TYPE
