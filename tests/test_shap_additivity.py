"""Every SHAP explanation adds up to the model's output in its stated space (issue 17).

A property test over members x missing-value patterns x output spaces, plus the inputs of the
issue: a LightGBM member trained without NaN, explained on rows where ``QRS_axis_deg`` or
``T_amp_mV_V1`` are NaN (gap 0.68 in probability space before the fix), and the default
rf + xgb + lgbm ensemble (gaps up to 0.23). Additivity is checked here against the model's
own prediction, independently of the package's internal check.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from interp_ecg.errors import ModelError
from interp_ecg.explain import shap_explanation, shap_explanations
from interp_ecg.models import EnsembleClassifier

TOL = 1e-6
COLUMNS = ["QRS_duration_ms", "heart_rate_bpm", "QRS_axis_deg", "T_amp_mV_V1", "R_amp_mV_V1"]
SMALL = {"rf": {"n_estimators": 25}, "et": {"n_estimators": 25}, "xgb": {"n_estimators": 40},
         "lgbm": {"n_estimators": 40}, "gb": {"n_estimators": 30}}
SINGLE = [("rf",), ("et",), ("xgb",), ("lgbm",), ("gb",), ("logreg",)]
ENSEMBLES = [("rf", "xgb", "lgbm"), ("rf", "xgb", "lgbm", "gb", "logreg")]
#: explained by permutation sampling on the probability (exactly additive)
OTHER = [("stack:rf", "stack:lgbm"), ("calibrated:xgb",)]


def _table(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "QRS_duration_ms": rng.normal(110, 25, n),
        "heart_rate_bpm": rng.normal(95, 25, n),
        "QRS_axis_deg": rng.normal(30, 45, n),
        "T_amp_mV_V1": rng.normal(0.2, 0.25, n),
        "R_amp_mV_V1": rng.normal(0.5, 0.3, n),
    })
    y = (((X.QRS_duration_ms >= 120) & (X.heart_rate_bpm >= 100)) | (X.QRS_axis_deg < -30)
         | (X.T_amp_mV_V1 < -0.2)).astype(int)
    return X, y


@functools.lru_cache(maxsize=None)
def _fitted(members: tuple[str, ...], train_nan: bool, n_estimators: int | None = None):
    X, y = _table()
    if train_nan:  # some training rows miss the axis and a V1 amplitude
        X = X.copy()
        X.loc[X.index[::7], "QRS_axis_deg"] = np.nan
        X.loc[X.index[3::11], "T_amp_mV_V1"] = np.nan
    params = SMALL if n_estimators is None else {m: {"n_estimators": n_estimators} for m in SMALL}
    options = {}
    if members[0].startswith("stack:"):
        options = {"combine": "stack", "stack_cv": 3}
    elif members[0].startswith("calibrated:"):
        options = {"calibrate": "sigmoid"}
    names = tuple(m.split(":")[-1] for m in members)
    return EnsembleClassifier(names, member_params=params, random_state=0, n_jobs=1, **options).fit(X, y), X


def _target(model, X, space):
    return model.predict_margin(X) if space == "margin" else model.predict_proba(X)[:, 1]


def _gap(ex, model, X) -> float:
    return float(np.max(np.abs(ex.values.sum(1) + ex.base_values - _target(model, X, ex.output_space))))


# ---------------------------------------------------------------------------------- property test
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=st.sampled_from(SINGLE + ENSEMBLES + OTHER),
    train_nan=st.booleans(),
    output=st.sampled_from(["auto", "margin", "probability"]),
    rows=st.lists(st.integers(0, 299), min_size=1, max_size=6),
    mask=arrays(bool, (6, len(COLUMNS))),
    zeros=arrays(bool, (6, len(COLUMNS))),
    background_nan=st.booleans(),
)
def test_explanations_add_up_for_every_member_missing_pattern_and_space(
        members, train_nan, output, rows, mask, zeros, background_nan):
    model, X_train = _fitted(members, train_nan)
    X_all, _ = _table()
    X = X_all.iloc[rows].copy()
    values = X.to_numpy(copy=True)
    values[zeros[:len(rows)]] = 0.0          # exact zeros (LightGBM's "zero" missing rule)
    values[mask[:len(rows)]] = np.nan        # any pattern of missing values, whole rows included
    X = pd.DataFrame(values, columns=COLUMNS, index=X.index)
    background = (X_train if background_nan else X_all).iloc[100:140]
    plain_single = len(members) == 1 and ":" not in members[0]
    if not plain_single and output == "margin":
        with pytest.raises(ModelError, match="log-odds margin|probability scale only"):
            shap_explanation(model, X, output=output, background=background)
        return
    ex = shap_explanation(model, X, output=output, background=background, max_evals=60)
    assert ex.output_space == ("margin" if plain_single and output != "probability" else "probability")
    assert ex.values.shape == X.shape
    assert _gap(ex, model, X) <= TOL
    np.testing.assert_array_equal(ex.data, X.to_numpy())  # the user's rows, NaN kept
    if ex.output_space == "probability" and members[0] in ("xgb", "lgbm", "gb", "logreg") and len(members) == 1:
        # interventional and permutation explainers: the base value is the mean output on the background
        assert abs(ex.base_values[0] - model.predict_proba(background)[:, 1].mean()) <= TOL


# --------------------------------------------------------------------------- the issue's inputs
@pytest.fixture(scope="module")
def rows_with_gaps():
    X, _ = _table(n=300, seed=1)
    X = X.iloc[:30].copy()
    X.loc[X.index[::2], "QRS_axis_deg"] = np.nan
    X.loc[X.index[1::3], "T_amp_mV_V1"] = np.nan
    return X


@pytest.mark.parametrize("output", ["margin", "probability"])
def test_lightgbm_trained_without_nan_explained_on_nan_rows(rows_with_gaps, output):
    """Before: 0.9 gap in probability space (shap's tree copy sent NaN the default way)."""
    model, _ = _fitted(("lgbm",), False, 300)
    ex = shap_explanation(model, rows_with_gaps, output=output, background=_table()[0].iloc[:80])
    assert _gap(ex, model, rows_with_gaps) <= TOL


def test_default_ensemble_on_nan_rows(rows_with_gaps):
    """Before: gaps up to 0.3 for rf + xgb + lgbm with the default (300-tree) members."""
    model, _ = _fitted(("rf", "xgb", "lgbm"), False, 300)
    ex = shap_explanation(model, rows_with_gaps, background=_table()[0].iloc[:60])
    assert ex.output_space == "probability"
    assert _gap(ex, model, rows_with_gaps) <= TOL


def test_xgboost_margin_of_many_trees_is_exact():
    """XGBoost sums 300 trees in float32 (~5e-6 off); margin and SHAP values agree in float64."""
    model, X = _fitted(("xgb",), True, 300)
    ex = shap_explanation(model, X.iloc[:50])
    assert _gap(ex, model, X.iloc[:50]) <= TOL
    clf = model.members_[0][1].steps[-1][1]
    own = clf.predict(X.iloc[:50].to_numpy(), output_margin=True)
    np.testing.assert_allclose(model.predict_margin(X.iloc[:50]), own, atol=1e-4)


# ------------------------------------------------------------------------------ multi-class
@pytest.fixture(scope="module")
def three_class():
    X, _ = _table()
    y = np.where(X.QRS_duration_ms > 125, "wide", np.where(X.heart_rate_bpm > 100, "fast", "normal"))
    model = EnsembleClassifier(("rf",), member_params=SMALL, random_state=0, n_jobs=1).fit(X, y)
    return model, X


def test_multiclass_without_label_explains_every_class(three_class):
    model, X = three_class
    ex = shap_explanation(model, X.iloc[:4], background=X.iloc[100:120], max_evals=60)
    assert ex.values.shape == (4, len(COLUMNS), 3)
    assert ex.base_values.shape == (4, 3)
    assert list(ex.output_names) == [str(c) for c in model.classes_]
    assert ex.label is None
    proba = model.predict_proba(X.iloc[:4])
    np.testing.assert_allclose(ex.values.sum(1) + ex.base_values, proba, atol=TOL)


def test_multiclass_label_selects_that_class(three_class):
    model, X = three_class
    k = list(model.classes_).index("fast")
    ex = shap_explanation(model, X.iloc[:3], background=X.iloc[100:120], label="fast", max_evals=60)
    assert ex.values.shape == (3, len(COLUMNS)) and ex.label == "fast"
    np.testing.assert_allclose(ex.values.sum(1) + ex.base_values, model.predict_proba(X.iloc[:3])[:, k],
                               atol=TOL)
    with pytest.raises(ModelError, match="not a class of the model"):
        shap_explanation(model, X.iloc[:3], label="flutter")
    per_class = shap_explanations(model, X.iloc[:2], background=X.iloc[100:110], max_evals=60)
    assert sorted(per_class) == sorted(str(c) for c in model.classes_)


def test_binary_label_must_be_the_positive_class():
    model, X = _fitted(("rf",), False)
    assert shap_explanation(model, X.iloc[:2], label=1).label == "1"
    with pytest.raises(ModelError, match="positive class"):
        shap_explanation(model, X.iloc[:2], label=0)


def test_a_gap_raises_naming_member_and_row(monkeypatch):
    """The internal check is live: a corrupted explainer output cannot be returned."""
    from interp_ecg.explain import shap_values as sv

    model, X = _fitted(("gb",), False)
    real = sv._tree

    def shifted(*args, **kwargs):
        vals, base = real(*args, **kwargs)
        vals = vals.copy()
        vals[2, 0] += 0.01
        return vals, base

    monkeypatch.setattr(sv, "_tree", shifted)
    with pytest.raises(ModelError, match=r"member 'gb' do not add up .* row 2"):
        shap_explanation(model, X.iloc[:5])


def test_multiclass_explanation_groups_and_refuses_ambiguous_plots(three_class):
    from interp_ecg.explain import group_explanation, plot_bar

    model, X = three_class
    ex = shap_explanation(model, X.iloc[:3], background=X.iloc[100:115], max_evals=60)
    grouped = group_explanation(ex, by="wave")
    assert grouped.values.shape[0] == 3 and grouped.values.shape[2] == 3
    np.testing.assert_allclose(grouped.values.sum(1) + grouped.base_values, model.predict_proba(X.iloc[:3]),
                               atol=TOL)
    with pytest.raises(ModelError, match="one output per class"):
        plot_bar(ex)


def test_lightgbm_zero_as_missing_adds_up():
    """LightGBM's "zero" missing rule (zeros and NaN go the default way) is followed too."""
    X, y = _table()
    X = X.copy()
    X.loc[X.index[::5], "R_amp_mV_V1"] = 0.0
    model = EnsembleClassifier(("lgbm",), member_params={"lgbm": {"n_estimators": 40, "zero_as_missing": True}},
                               random_state=0, n_jobs=1).fit(X, y)
    rows = X.iloc[:30].copy()
    rows.loc[rows.index[::3], "QRS_axis_deg"] = 0.0
    rows.loc[rows.index[1::4], "T_amp_mV_V1"] = np.nan
    for output in ("margin", "probability"):
        ex = shap_explanation(model, rows, output=output, background=X.iloc[100:150])
        assert _gap(ex, model, rows) <= TOL


@pytest.mark.parametrize("member", ["rf", "xgb", "lgbm", "gb"])
def test_interaction_values_add_up_on_rows_with_missing_values(rows_with_gaps, member):
    from interp_ecg.explain import shap_interactions

    model, _ = _fitted((member,), False)
    _, inter = shap_interactions(model, rows_with_gaps)
    # each row's interaction matrix sums to its output minus one base value (path-dependent
    # Tree SHAP's training expectation, the same for every row)
    offset = model.predict_margin(rows_with_gaps) - inter.sum(axis=(1, 2))
    assert np.ptp(offset) <= TOL


def test_interactions_of_a_multiclass_model_need_a_class(three_class):
    from interp_ecg.explain import shap_interactions

    model, X = three_class
    with pytest.raises(ModelError, match="pass label="):
        shap_interactions(model, X.iloc[:5])
    import shap

    pairs, inter = shap_interactions(model, X.iloc[:5], label="fast")
    k = list(model.classes_).index("fast")
    assert k != len(model.classes_) - 1  # not the last class, which used to be taken silently
    forest = model.members_[0][1].steps[-1][1]
    rows = X.iloc[:5].to_numpy().astype(np.float32).astype(float)
    expected = np.asarray(shap.TreeExplainer(forest).shap_interaction_values(rows))[..., k]
    np.testing.assert_allclose(inter, expected, atol=1e-12)


# ------------------------------------------------------- values on the models' own split thresholds
def _quantised_table(n: int = 300, seed: int = 2) -> tuple[pd.DataFrame, pd.Series]:
    """Measurements on a fixed grid, as the feature extractor gives them (1 ms, 0.05 uV steps)."""
    X, y = _table(n, seed)
    X = X.copy()
    X[["QRS_duration_ms", "heart_rate_bpm", "QRS_axis_deg"]] = X[
        ["QRS_duration_ms", "heart_rate_bpm", "QRS_axis_deg"]].round(0)
    X[["T_amp_mV_V1", "R_amp_mV_V1"]] = (X[["T_amp_mV_V1", "R_amp_mV_V1"]] / 5e-5).round() * 5e-5
    return X, y


def _split_thresholds(name: str, clf) -> list[tuple[int, float]]:
    """``(feature index, threshold)`` of every split, read from the model's own library."""
    if name == "lgbm":
        out, stack = [], [t["tree_structure"] for t in clf.booster_.dump_model()["tree_info"]]
        while stack:
            node = stack.pop()
            if "split_feature" in node:
                out.append((int(node["split_feature"]), float(node["threshold"])))
                stack += [node["left_child"], node["right_child"]]
        return out
    if name == "gb":
        return [(int(f), float(t)) for est in clf.estimators_[:, 0]
                for f, t in zip(est.tree_.feature, est.tree_.threshold) if f >= 0]
    frame = clf.get_booster().trees_to_dataframe()
    frame = frame[frame["Feature"] != "Leaf"]
    return [(int(str(f).lstrip("f")), float(t)) for f, t in zip(frame["Feature"], frame["Split"])]


def _rows_on_thresholds(name: str, clf, X: pd.DataFrame, n: int) -> pd.DataFrame:
    """``n`` rows of ``X`` whose values sit on, next to and at the float32 rounding of split thresholds.

    A value between a float64 threshold and its float32 rounding is where an explainer that
    stores thresholds as float32 routes a row differently from the model.
    """
    rows = X.iloc[:n].to_numpy(copy=True)
    splits = sorted(set(_split_thresholds(name, clf)))
    k = 0
    for j, t in splits:
        for v in (t, float(np.float32(t)), np.nextafter(t, np.inf), np.nextafter(t, -np.inf)):
            rows[k % n, j] = v
            k += 1
    return pd.DataFrame(rows, columns=X.columns, index=X.index[:n])


@pytest.mark.parametrize("train_nan", [False, True])
@pytest.mark.parametrize("member", ["lgbm", "gb", "xgb"])
def test_probability_explanations_route_rows_on_thresholds_as_the_model(member, train_nan):
    """Before: LightGBM rows at 0.1037 mV against a threshold of 0.10370000128 (float32:
    0.10370000452) went the other way in shap's interventional explainer (demo: gap 4.5e-5)."""
    X, y = _quantised_table()
    if train_nan:
        X = X.copy()
        X.loc[X.index[::7], "QRS_axis_deg"] = np.nan
    model = EnsembleClassifier((member,), member_params={member: {"n_estimators": 150}}, random_state=0,
                               n_jobs=1).fit(X, y)
    clf = model.members_[0][1].steps[-1][1]
    rows = _rows_on_thresholds(member, clf, X, 60)
    rows.iloc[::4, 1] = np.nan   # heart rate: never missing in training
    rows.iloc[1::5, 2] = np.nan  # QRS axis: missing in training when train_nan
    background = _rows_on_thresholds(member, clf, X.iloc[60:], 80)
    ex = shap_explanation(model, rows, output="probability", background=background)
    assert _gap(ex, model, rows) <= TOL
    assert abs(ex.base_values[0] - model.predict_proba(background)[:, 1].mean()) <= TOL


def test_default_ensemble_on_measurement_grid_rows():
    """The demo's ensemble (rf + xgb + lgbm, default members) on grid-valued rows with NaN."""
    X, y = _quantised_table()
    model = EnsembleClassifier(("rf", "xgb", "lgbm"), random_state=0, n_jobs=1).fit(X.iloc[:200], y.iloc[:200])
    clf = dict(model.members_)["lgbm"].steps[-1][1]
    rows = _rows_on_thresholds("lgbm", clf, X.iloc[200:], 40)
    rows.iloc[::3, 3] = np.nan
    ex = shap_explanation(model, rows, background=_rows_on_thresholds("lgbm", clf, X.iloc[:200], 100))
    assert ex.output_space == "probability"
    assert _gap(ex, model, rows) <= TOL
