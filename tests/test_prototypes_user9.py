"""Prototype-network defects found by a new user (user9): label order, label values, cut records,
branch names and unreadable model files.

Tiny models on the synthetic toy cohort of tests/test_prototypes.py (CPU, seconds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from test_prototypes import TINY, toy_cohort

from interp_ecg.prototypes import BlackBoxECGClassifier, ProtoECGNetClassifier

#: the user's column order; the network's (by branch: rhythm, morphology, global) is FAST, INV, NORM
USER_ORDER = ["NORM", "EMPTY", "INV", "FAST"]


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread(one_torch_thread):
    """One torch thread for this module (tests/conftest.py)."""


@pytest.fixture(scope="module")
def toy():
    x, y = toy_cohort(24, seed=1)
    y = y.assign(EMPTY=0)[USER_ORDER]  # EMPTY has no positive: left out
    return x, y


@pytest.fixture(scope="module")
def fitted(toy):
    x, y = toy
    with pytest.warns(UserWarning, match=r"leaving out 1 classes .*\['EMPTY'\]"):
        return ProtoECGNetClassifier(**TINY).fit(x, y)


def _network_proba(clf, x) -> pd.DataFrame:
    """Sigmoid of the network's own output, named by the network's class order."""
    inp = clf.network_input(x)[0]
    with torch.no_grad():
        out = clf.model_(torch.as_tensor(inp)).logits.double().sigmoid().numpy()
    return pd.DataFrame(out, columns=clf.model_.classes)


# -- F3: outputs in the user's column order ------------------------------------------------------
def test_classes_keep_the_users_column_order(fitted, toy):
    x, _ = toy
    clf = fitted
    assert clf.model_.classes == ["FAST", "INV", "NORM"]  # grouped by branch inside the network
    assert clf.classes_ == ["NORM", "INV", "FAST"]  # the user's order, EMPTY left out
    proba = clf.predict_proba(x)
    want = _network_proba(clf, x)[clf.classes_].to_numpy()
    np.testing.assert_allclose(proba, want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(proba, _network_proba(clf, x).to_numpy())  # the old (branch) order differs


def test_explanations_and_shapley_follow_classes_order(fitted, toy):
    x, _ = toy
    clf = fitted
    logits = clf.decision_function(x[:3])
    ex = clf.shap_values(x[:3])
    # fusion layer is linear: base + sum of Shapley values = the logit of the same class
    np.testing.assert_allclose(ex.base_values + ex.values.sum(axis=1), logits, rtol=1e-5, atol=1e-5)
    assert list(ex.output_names) == clf.classes_
    expl = clf.explain(x[0], threshold=0.0, max_statements=3)
    np.testing.assert_allclose(expl.probabilities[clf.classes_].to_numpy(), clf.predict_proba(x[:1])[0], rtol=1e-5)
    w_net = clf.model_.fusion.weight.detach().double().numpy()
    c = expl.contributions.iloc[0]
    j = clf.feature_names_out_.index(c["prototype"])
    assert c["weight"] == pytest.approx(w_net[clf.model_.classes.index(c["statement"]), j])


def test_order_survives_save_and_load(fitted, toy, tmp_path):
    x, _ = toy
    path = fitted.save(tmp_path / "m.pt")
    back = ProtoECGNetClassifier.load(path, device="cpu")
    assert back.classes_ == ["NORM", "INV", "FAST"]
    np.testing.assert_allclose(back.predict_proba(x[:4]), fitted.predict_proba(x[:4]), rtol=1e-6)


def test_blackbox_keeps_the_users_column_order(toy):
    x, y = toy
    with pytest.warns(UserWarning, match="EMPTY"):
        bb = BlackBoxECGClassifier(preset="small", width=2, epochs=1, batch_size=8, label_groups=TINY["label_groups"],
                                   random_state=0, n_threads=1).fit(x, y)
    assert bb.model_.classes == ["FAST", "INV", "NORM"] and bb.classes_ == ["NORM", "INV", "FAST"]
    inp = bb.network_input(x)[0]
    with torch.no_grad():
        net = pd.DataFrame(torch.sigmoid(bb.model_(torch.as_tensor(inp))).double().numpy(), columns=bb.model_.classes)
    np.testing.assert_allclose(bb.predict_proba(x), net[bb.classes_].to_numpy(), rtol=1e-5, atol=1e-6)


# -- F10: labels must be multi-hot 0/1 ------------------------------------------------------------
@pytest.mark.parametrize("est", [ProtoECGNetClassifier, BlackBoxECGClassifier])
def test_likelihood_labels_are_refused_naming_the_column(toy, est):
    from interp_ecg.errors import ConfigError

    x, y = toy
    y100 = y.drop(columns="EMPTY") * 100  # PTB-XL scp_codes likelihoods
    with pytest.raises(ConfigError, match=r"NORM \(100\); INV \(100\); FAST \(100\); multi-hot 0/1 expected"):
        est(preset="small", width=2, random_state=0, n_threads=1).fit(x, y100)
    soft = y.drop(columns="EMPTY").astype(float)
    soft.iloc[3, 1] = 0.5
    with pytest.raises(ConfigError, match=r"other than 0 and 1: INV \(0\.5\);"):
        est(preset="small", width=2, random_state=0, n_threads=1).fit(x, soft)


@pytest.mark.parametrize("est", [ProtoECGNetClassifier, BlackBoxECGClassifier])
def test_nan_labels_are_masked_and_logged_with_column_and_count(toy, est, caplog):
    """NaN = unknown (user16 F3: PTB-XL rhythm not assessed): masked in training, counted in the log
    (it was refused before; the network now leaves those entries out of its loss)."""
    import logging

    x, y = toy
    y = y.drop(columns="EMPTY").astype(float)
    y.iloc[[0, 5, 7], 2] = np.nan
    with caplog.at_level(logging.INFO, logger="interp_ecg.prototypes"):
        clf = est(preset="small", width=2, random_state=0, n_threads=1).fit(x, y, X_val=x, y_val=y)
    assert "FAST (3 records)" in caplog.text
    known = y["FAST"].dropna()
    assert clf.positive_weights_["FAST"] == pytest.approx(max((known == 0).sum() / known.sum(), 1.0))
    assert np.isfinite(clf.predict_proba(x)).all()


# -- F5: records cut to the network input are named, with the assumed rate for arrays -------------
def _repeat(x: np.ndarray, times: int) -> np.ndarray:
    return np.concatenate([x] * times, axis=-1)


def test_array_without_fs_cut_is_warned_with_the_assumed_rate(fitted, toy):
    x, _ = toy
    x500 = _repeat(x[:2], 5)  # (2, 12, 5000): 10 s at 500 Hz, read as 50 s at 100 Hz
    with pytest.warns(UserWarning, match=r"scored records \(array read at the model's fs = 100 Hz: no fs= was "
                                         r"given\): 2 record\(s\) longer than the network input of 10\.00 s are cut "
                                         r"to their first 10\.00 s .*: 0 \(50\.00 s\), 1 \(50\.00 s\)"):
        fitted.predict_proba(x500)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # with its rate given, 10 s: nothing cut, nothing padded
        fitted.predict_proba(x500, fs=500)
    with pytest.warns(UserWarning, match=r"cut to their first 10\.00 s .*: 0 \(12\.00 s\)"):
        fitted.transform(_repeat(x[:1], 2)[..., :1200], fs=100)


def test_explain_of_a_longer_record_says_it_was_cut(fitted, toy):
    x, _ = toy
    rec = _repeat(x[:1], 2)[0, :, :1200]  # 12 s at 100 Hz
    with pytest.warns(UserWarning, match=r"record record: 12\.00 s, longer than the network input of 10\.00 s"):
        expl = fitted.explain(rec, fs=100, threshold=0.0)
    assert "record of 12.00 s cut to its first 10.00 s" in expl.note
    assert expl.signal.shape == (12, 1000)
    with pytest.warns(UserWarning, match=r"no fs= was given\): 12\.00 s, longer"):
        fitted.explain(rec, threshold=0.0)


@pytest.mark.parametrize("est", [ProtoECGNetClassifier, BlackBoxECGClassifier])
def test_fit_on_longer_records_names_them(toy, est):
    x, y = toy
    x12 = _repeat(x, 2)[..., :1200]
    kw = dict(TINY) if est is ProtoECGNetClassifier else dict(preset="small", width=2, epochs=1, batch_size=8,
                                                              label_groups=TINY["label_groups"], n_threads=1)
    with pytest.warns(UserWarning, match=r"training records \(array read at the model's fs = 100 Hz: no fs= was "
                                         r"given\): 24 record\(s\) longer .*rec000 \(12\.00 s\)"):
        clf = est(**kw).fit(x12, y.drop(columns="EMPTY"))
    with pytest.warns(UserWarning, match=r"scored records: 1 record\(s\) longer .*: 0 \(12\.00 s\)"):
        clf.predict_proba(x12[:1], fs=100)


# -- F6: branch-name near misses and labels in two groups are refused ----------------------------
@pytest.mark.parametrize("name,near", [("rhytm", "rhythm"), ("Rhythm", "rhythm"), ("GLOBAL", "global"),
                                       ("morfology", "morphology"), ("rhythms", "rhythm")])
def test_near_miss_branch_name_is_refused(toy, name, near):
    from interp_ecg.errors import ConfigError

    x, y = toy
    with pytest.raises(ConfigError, match=rf"branch '{name}' looks like a misspelling of '{near}'"):
        ProtoECGNetClassifier(preset="small", width=2, label_groups={name: ["NORM"]}, n_threads=1).fit(x, y)


def test_deliberate_branch_and_label_in_two_groups(toy):
    from interp_ecg.errors import ConfigError
    from interp_ecg.prototypes.data import resolve_label_groups

    x, y = toy
    with pytest.raises(ConfigError, match="NORM is in rhythm and global"):
        BlackBoxECGClassifier(preset="small", width=2, label_groups={"rhythm": ["NORM"], "global": ["NORM", "INV"]},
                              n_threads=1).fit(x, y)
    # a name given in branch_types is meant: a branch of its own; unrelated names pass as before
    groups = resolve_label_groups(["NORM", "INV"], {"Rhythm": ["NORM"]}, deliberate=["Rhythm"])
    assert groups == {"Rhythm": ["NORM"], "morphology": ["INV"]}
    assert resolve_label_groups(["NORM", "INV"], {"st": ["INV"]}) == {"st": ["INV"], "morphology": ["NORM"]}


# -- F9.3: a truncated model file is called truncated, not "not weights-only" --------------------
def test_truncated_or_empty_model_file_says_so(fitted, tmp_path):
    from interp_ecg.errors import ModelError

    data = fitted.save(tmp_path / "m.pt").read_bytes()
    cut = tmp_path / "cut.pt"  # no manifest next to it: the reader itself must tell
    cut.write_bytes(data[: len(data) // 2])
    with pytest.warns(UserWarning, match="integrity"), \
            pytest.raises(ModelError, match=rf"cut\.pt: the model file is truncated or corrupt \({len(data) // 2} bytes"):
        ProtoECGNetClassifier.load(cut, device="cpu")
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.warns(UserWarning), pytest.raises(ModelError, match=r"the model file is empty \(0 bytes\)"):
        ProtoECGNetClassifier.load(empty, device="cpu")


# -- user9 #6: a label positive in every training record is left out, like one never positive ----
@pytest.mark.parametrize("est", [ProtoECGNetClassifier, BlackBoxECGClassifier])
def test_label_positive_in_every_record_is_left_out(toy, est):
    x, y = toy
    y = y.drop(columns="EMPTY").assign(ALL=1)
    kw = dict(TINY) if est is ProtoECGNetClassifier else dict(preset="small", width=2, epochs=1, batch_size=8,
                                                              label_groups=TINY["label_groups"], n_threads=1)
    with pytest.warns(UserWarning, match=r"leaving out 1 classes with < 1 negative training records .*\['ALL'\]"):
        clf = est(**kw).fit(x, y)
    assert clf.classes_ == ["NORM", "INV", "FAST"]
    # with min_positives=3, a label with only 2 negatives goes too
    y2 = y.drop(columns="ALL").assign(MOST=1)
    y2.iloc[:2, -1] = 0
    with pytest.warns(UserWarning, match=r"< 3 negative training records .*\['MOST'\]"):
        assert "MOST" not in est(**kw, min_positives=3).fit(x, y2).classes_


# -- user9 #5: predict_proba is a weighted-loss score unless calibrated; record-wise Platt scaling --
def test_positive_weights_and_uncalibrated_flag(fitted, toy):
    _, y = toy
    assert fitted.probabilities_calibrated_ is False and fitted.calibration_ is None
    yk = y[fitted.classes_]
    want = ((len(yk) - yk.sum()) / yk.sum()).clip(1, 100)  # n_neg / n_pos of the 24 training records
    pd.testing.assert_series_equal(fitted.positive_weights_, want.astype(float), check_names=False, rtol=1e-6)


@pytest.mark.parametrize("kind", ["proto", "blackbox"])
def test_calibrate_on_held_out_records(fitted, toy, tmp_path, kind):
    from scipy.special import expit
    from scipy.stats import rankdata

    x, y = toy
    if kind == "proto":
        clf = fitted
    else:
        clf = BlackBoxECGClassifier(preset="small", width=2, epochs=1, batch_size=8, label_groups=TINY["label_groups"],
                                    random_state=0, n_threads=1).fit(x, y.drop(columns="EMPTY"))
    xh, yh = toy_cohort(40, seed=7)  # held-out records
    raw = clf.predict_proba(xh)
    logits = clf.decision_function(xh)
    clf_cal = clf.calibrate(xh, yh)
    try:
        cal = clf_cal.calibration_
        assert clf_cal.probabilities_calibrated_ is True and list(cal.index) == clf.classes_
        p = clf_cal.predict_proba(xh)
        np.testing.assert_allclose(p, expit(logits * cal["slope"].to_numpy() + cal["intercept"].to_numpy()), rtol=1e-9)
        # maximum-likelihood logistic fit with an intercept: mean probability = prevalence on its records
        prev = yh[clf.classes_].mean().to_numpy()
        np.testing.assert_allclose(p.mean(axis=0), prev, atol=2e-3)
        np.testing.assert_allclose(cal["prevalence"], prev)
        np.testing.assert_allclose(cal["mean_score_before"], raw.mean(axis=0), rtol=1e-9)
        for k in np.flatnonzero(cal["slope"].to_numpy() > 0):  # ranking kept: ROC-AUC unchanged
            inner = (p[:, k] > 1e-9) & (p[:, k] < 1 - 1e-9)  # (not rounded to 0 or 1 in float64)
            np.testing.assert_array_equal(rankdata(p[inner, k]), rankdata(raw[inner, k]))
        if kind == "proto":
            back = ProtoECGNetClassifier.load(clf.save(tmp_path / "cal.pt"), device="cpu")
            assert back.probabilities_calibrated_ is True
            np.testing.assert_allclose(back.predict_proba(xh[:3]), p[:3], atol=1e-5)  # float32 batches
            expl = back.explain(xh[0], threshold=0.0)
            np.testing.assert_allclose(expl.probabilities[clf.classes_].to_numpy(), p[0], atol=1e-5)
    finally:  # the module's fitted model is shared: back to uncalibrated
        clf.calibration_, clf.probabilities_calibrated_ = None, False


def test_calibrate_refuses_one_sided_labels(fitted, toy):
    from interp_ecg.errors import ConfigError

    xh, yh = toy_cohort(12, seed=7)
    yh["NORM"] = 0
    with pytest.raises(ConfigError, match=r"cannot calibrate \['NORM'\]: no positive or no negative"):
        fitted.calibrate(xh, yh)
    assert fitted.probabilities_calibrated_ is False
