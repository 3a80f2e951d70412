"""The base value of every explanation is the model's mean output on the background, and says so.

Before: forests were explained with path-dependent Tree SHAP, whose base value is the trees'
class-balanced training expectation: 0.499 for a random forest on a cohort of prevalence
0.042 whose mean predicted probability on the background was 0.056, whatever
``background=`` was (0.499 again on a background of positives only, mean prediction 1.0). A
grounded sentence then read "probability 0.00 (average 0.50)". Boosters in log-odds had the
same fault (XGBoost: base 0.349 against a mean margin of -5.60 on the background), and so
did every soft-voting ensemble with a forest in it (0.202 against 0.054).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import ModelError
from interp_ecg.explain import explain_record, explain_row, shap_explanation
from interp_ecg.models import EnsembleClassifier

SMALL = {"rf": {"n_estimators": 25}, "et": {"n_estimators": 25}, "xgb": {"n_estimators": 30},
         "lgbm": {"n_estimators": 30}, "gb": {"n_estimators": 30}}
KINDS = {
    "rf": dict(estimators=("rf",)), "et": dict(estimators=("et",)), "xgb": dict(estimators=("xgb",)),
    "lgbm": dict(estimators=("lgbm",)), "gb": dict(estimators=("gb",)), "logreg": dict(estimators=("logreg",)),
    "soft rf+xgb+lgbm": dict(estimators=("rf", "xgb", "lgbm")),
    "stacked rf+lgbm": dict(estimators=("rf", "lgbm"), combine="stack", stack_cv=3),
    "calibrated rf": dict(estimators=("rf",), calibrate="sigmoid"),
}


def _cohort(n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"QRS_duration_ms": rng.normal(105, 20, n), "heart_rate_bpm": rng.normal(80, 20, n),
                      "R_amp_mV_V1": rng.normal(0.5, 0.3, n)})
    y = ((X.QRS_duration_ms >= 120) & (X.heart_rate_bpm >= 90)).astype(int)  # prevalence ~0.1
    return X, y


@functools.lru_cache(maxsize=None)
def _model(kind: str):
    X, y = _cohort()
    return EnsembleClassifier(member_params=SMALL, random_state=0, n_jobs=1, **KINDS[kind]).fit(X, y)


def _output(model, rows, space):
    return model.predict_margin(rows) if space == "margin" else model.predict_proba(rows)[:, 1]


@pytest.mark.parametrize("kind", list(KINDS))
def test_base_value_is_the_mean_output_on_the_background_for_every_model_kind(kind):
    model = _model(kind)
    X, y = _cohort()
    rows = X.iloc[:6]
    single = len(KINDS[kind]["estimators"]) == 1 and "calibrate" not in KINDS[kind]
    for output in (["margin", "probability"] if single else ["probability"]):
        bases = []
        for background in (X.iloc[200:280], X[y == 1]):  # a sample of the cohort; positives only
            ex = shap_explanation(model, rows, output=output, background=background, max_evals=40)
            mean_output = _output(model, background, ex.output_space).mean()
            assert np.allclose(ex.base_values, mean_output, rtol=0, atol=1e-6), (kind, output)
            # additive: base value + SHAP values = the model's output for every row
            assert np.allclose(ex.base_values + ex.values.sum(1), _output(model, rows, ex.output_space),
                               rtol=0, atol=1e-6)
            assert ex.background_size == len(background)
            bases.append(ex.base_values[0])
        assert bases[1] > bases[0]  # the background is used, not ignored


def test_forest_base_value_is_not_the_class_balanced_half():
    """The issue's case: a class-balanced forest on a cohort of low prevalence."""
    model = _model("rf")
    X, y = _cohort()
    background = X.iloc[200:300]
    ex = shap_explanation(model, X.iloc[:10], background=background)
    mean_prediction = model.predict_proba(background)[:, 1].mean()
    assert y.mean() < 0.2 and mean_prediction < 0.2
    assert ex.base_values[0] == pytest.approx(mean_prediction, abs=1e-6)  # was 0.50 before
    # a forest's margin is its probability: the text and the sentences say "probability"
    assert ex.output_space == "margin" and ex.scale == "probability"
    assert ex.base_meaning == ("mean predicted probability of the model on 100 background records; the model "
                               "was trained with class weights, so this is not the prevalence of the class")
    assert "raised the WCT probability" in " ".join(explain_row(ex, int(np.argmax(ex.values[:, 0])),
                                                                target="WCT").sentences())


def test_grounded_headline_states_what_the_baseline_is():
    model = _model("rf")
    X, _ = _cohort()
    background = X.iloc[100:400]
    ge = explain_record(model, X.iloc[[0]], background=background, top=3, target="WCT")
    sub = background.to_numpy()[np.random.default_rng(0).choice(len(background), 100, replace=False)]
    assert ge.base_probability == pytest.approx(model.predict_proba(sub)[:, 1].mean(), abs=1e-6)
    assert ge.probability == pytest.approx(model.predict_proba(X.iloc[[0]])[0, 1], abs=1e-12)
    head = str(ge).splitlines()[0]
    assert "average" not in head
    assert (f"baseline {ge.base_probability:.2f} = mean predicted probability of the model on 100 background "
            "records (drawn at random from the 300 given); the model was trained with class weights, so this "
            "is not the prevalence of the class") in head
    # without class weights the caveat is not there, the baseline is still named
    plain = EnsembleClassifier(("rf",), member_params=SMALL, class_weight=None, random_state=0).fit(*_cohort())
    text = explain_record(plain, X.iloc[[0]], background=X.iloc[:50]).base_description
    assert text == "mean predicted probability of the model on 50 background records"


def test_one_row_needs_a_background():
    model = _model("rf")
    X, _ = _cohort()
    with pytest.raises(ModelError, match="background="):
        shap_explanation(model, X.iloc[[0]])
    with pytest.raises(ModelError, match="background="):
        explain_record(model, X.iloc[[0]])
    with pytest.raises(ModelError, match="no rows"):
        shap_explanation(model, X.iloc[:3], background=X.iloc[:0])
    # the explained rows themselves serve as the background, and the text says so
    ex = shap_explanation(model, X.iloc[:40])
    assert ex.base_meaning.startswith("mean predicted probability of the model on 40 of the explained records")


def test_explain_row_names_the_scale_and_the_baseline_of_a_margin_explanation():
    model = _model("xgb")
    X, _ = _cohort()
    ex = shap_explanation(model, X.iloc[:20], background=X.iloc[200:260])
    assert ex.output_space == "margin"
    ge = explain_row(ex, 0, target="WCT")
    head = ge.headline()
    assert head.startswith(f"Record 0: WCT log-odds {ge.probability:.2f}; baseline {ge.base_probability:.2f} = "
                           "mean log-odds (margin) of the model on 60 background records")
    assert ge.base_probability == pytest.approx(model.predict_margin(X.iloc[200:260]).mean(), abs=1e-6)


def test_plots_name_the_output_and_the_baseline():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from interp_ecg.explain import plot_bar, plot_waterfall

    model = _model("rf")
    X, _ = _cohort()
    background = X.iloc[200:280]
    one = shap_explanation(model, X.iloc[[0]], background=background)
    ax = plot_waterfall(one)
    label = ax.get_xlabel()
    assert label.startswith(f"predicted probability: base {one.base_values[0]:.3f} (mean over 80 background "
                            "records) -> f(x) ")
    assert one.base_values[0] == pytest.approx(model.predict_proba(background)[:, 1].mean(), abs=1e-6)
    margin = shap_explanation(_model("xgb"), X.iloc[:20], background=background)
    assert plot_bar(margin).get_xlabel() == "mean |SHAP value| (impact on log-odds)"
    plt.close("all")
