"""SHAP layer: additivity for every model kind, grouping, interactions, grounded sentences, plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import re  # noqa: E402

from interp_ecg.explain import (  # noqa: E402
    explain_record,
    group_explanation,
    plot_bar,
    plot_beeswarm,
    plot_dependence,
    plot_grounded,
    shap_explanation,
    shap_interactions,
)
from interp_ecg.errors import ModelError  # noqa: E402
from interp_ecg.io import Record  # noqa: E402
from interp_ecg.models import EnsembleClassifier  # noqa: E402

SMALL = {"rf": {"n_estimators": 30}, "et": {"n_estimators": 30}, "xgb": {"n_estimators": 30},
         "lgbm": {"n_estimators": 30}, "gb": {"n_estimators": 30}}


@pytest.fixture(scope="module")
def wct_table():
    """Known structure: WCT = wide QRS and fast rate; one noise column; a few NaNs."""
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame({
        "QRS_duration_ms": rng.normal(110, 25, n),
        "heart_rate_bpm": rng.normal(95, 25, n),
        "R_amp_mV_V1": rng.normal(0.5, 0.3, n),
        "S_amp_mV_V1": rng.normal(-0.8, 0.3, n),
        "P_duration_ms": rng.normal(100, 15, n),
    })
    y = ((X.QRS_duration_ms >= 120) & (X.heart_rate_bpm >= 100)).astype(int)
    X.iloc[::37, 4] = np.nan
    return X, y


@pytest.mark.parametrize("members", [("rf",), ("et",), ("xgb",), ("lgbm",), ("gb",), ("logreg",)])
def test_single_member_additivity_margin(wct_table, members):
    X, y = wct_table
    model = EnsembleClassifier(members, member_params=SMALL, random_state=0).fit(X, y)
    ex = shap_explanation(model, X.iloc[:40])
    assert ex.output_space == "margin"
    assert ex.values.shape == (40, X.shape[1])
    np.testing.assert_allclose(ex.values.sum(1) + ex.base_values, model.predict_margin(X.iloc[:40]), rtol=0, atol=1e-6)
    # the defining features dominate the noise features
    imp = np.abs(ex.values).mean(0)
    assert set(np.argsort(-imp)[:2]) == {0, 1}


def test_soft_ensemble_additivity_in_probability_space(wct_table):
    X, y = wct_table
    model = EnsembleClassifier(("rf", "xgb", "lgbm", "gb", "logreg"), member_params=SMALL, random_state=0).fit(X, y)
    ex = shap_explanation(model, X.iloc[:15], background=X.iloc[100:160])
    assert ex.output_space == "probability"
    np.testing.assert_allclose(ex.values.sum(1) + ex.base_values, model.predict_proba(X.iloc[:15])[:, 1], rtol=0, atol=1e-6)


def test_stack_and_calibrated_fall_back_to_permutation(wct_table):
    X, y = wct_table
    for model in (EnsembleClassifier(("rf", "logreg"), combine="stack", member_params=SMALL, random_state=0),
                  EnsembleClassifier(("xgb",), calibrate="sigmoid", member_params=SMALL, random_state=0)):
        model.fit(X, y)
        ex = shap_explanation(model, X.iloc[:5], background=X.iloc[100:130])
        np.testing.assert_allclose(ex.values.sum(1) + ex.base_values, model.predict_proba(X.iloc[:5])[:, 1], atol=1e-6)


def test_multilabel_needs_label_and_explains_each(wct_table):
    X, y = wct_table
    Y = pd.DataFrame({"WCT": y, "wide": (X.QRS_duration_ms >= 120).astype(int)})
    model = EnsembleClassifier(("lgbm",), member_params=SMALL, random_state=0).fit(X, Y)
    with pytest.raises(Exception, match="label"):
        shap_explanation(model, X.iloc[:5])
    ex = shap_explanation(model, X.iloc[:20], label="wide")
    assert ex.feature_names[int(np.argmax(np.abs(ex.values).mean(0)))] == "QRS_duration_ms"
    assert ex.label == "wide"
    for bad in ("narrow", 5, "1"):  # an unknown name or position is an error naming the labels
        with pytest.raises(ModelError, match="not a label of the model"):
            shap_explanation(model, X.iloc[:5], label=bad)
    assert shap_explanation(model, X.iloc[:5], label=1).label == "wide"


def test_grouping_by_lead_and_wave_keeps_additivity(wct_table):
    X, y = wct_table
    model = EnsembleClassifier(("xgb",), member_params=SMALL, random_state=0).fit(X, y)
    ex = shap_explanation(model, X.iloc[:30])
    by_lead = group_explanation(ex, "lead")
    assert by_lead.feature_names == ["global", "V1"]
    np.testing.assert_allclose(by_lead.values.sum(1), ex.values.sum(1))
    by_wave = group_explanation(ex, "wave")
    assert by_wave.feature_names == ["QRS", "rhythm", "P"]
    np.testing.assert_allclose(by_wave.values[:, 0], ex.values[:, [0, 2, 3]].sum(1))


def test_interaction_values_find_the_and_rule(wct_table):
    X, y = wct_table
    model = EnsembleClassifier(("xgb",), member_params={"xgb": {"n_estimators": 60}}, random_state=0).fit(X, y)
    pairs, inter = shap_interactions(model, X.iloc[:100], top=3)
    assert inter.shape == (100, 5, 5)
    assert {pairs.iloc[0].feature_a, pairs.iloc[0].feature_b} == {"QRS_duration_ms", "heart_rate_bpm"}
    # interaction rows sum to the path-dependent SHAP values (TreeExplainer identity; the
    # explanations themselves are interventional on a background, a different game)
    import shap

    clf = model.members_[0][1].steps[-1][1]
    path_dependent = shap.TreeExplainer(clf).shap_values(X.iloc[:100].to_numpy(dtype=np.float32))
    np.testing.assert_allclose(inter.sum(2), path_dependent, atol=1e-3)


def test_grounded_sentences_carry_value_unit_and_samples(wct_table):
    X, y = wct_table
    model = EnsembleClassifier(("rf",), member_params=SMALL, random_state=0).fit(X, y)
    wct_rows = np.flatnonzero(y.to_numpy() == 1)
    i = wct_rows[0]
    prov = pd.Series({"QRS_duration_lead": "V1", "QRS_duration_start_sample": 1204.0, "QRS_duration_end_sample": 1278.0})
    ge = explain_record(model, X.iloc[[i]], feature_row=prov, background=X, top=2, target="WCT")
    assert len(ge.attributions) == 2
    qrs = [a for a in ge.attributions if a.feature == "QRS_duration_ms"]
    assert qrs, ge.sentences()
    s = qrs[0].sentence
    # a multi-lead consensus, at the consensus samples; the closest lead (V1) is not claimed
    assert f"{X.QRS_duration_ms.iloc[i]:.0f} ms" in s and "multi-lead consensus" in s and "V1" not in s
    assert "from the QRS onset at sample 1204 to the QRS offset at sample 1278" in s
    assert "raised the WCT probability" in s
    # probability-scale contributions add up to p - base, the base being the mean prediction
    # on the background (exact for a forest and for a booster alike)
    for m in (model, EnsembleClassifier(("xgb",), member_params=SMALL, random_state=0).fit(X, y)):
        full = explain_record(m, X.iloc[[i]], background=X.iloc[:80], top=X.shape[1])
        assert full.exact
        assert abs(sum(a.contribution for a in full.attributions) - (full.probability - full.base_probability)) < 1e-6
        assert abs(full.base_probability - m.predict_proba(X.iloc[:80])[:, 1].mean()) < 1e-6


def test_plots_return_axes_and_grounded_figure():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({"QRS_duration_ms": rng.normal(110, 25, 120), "heart_rate_bpm": rng.normal(95, 25, 120)})
    y = ((X.QRS_duration_ms >= 120) & (X.heart_rate_bpm >= 100)).astype(int)
    model = EnsembleClassifier(("rf",), member_params=SMALL, random_state=0).fit(X, y)
    ex = shap_explanation(model, X)
    for ax in (plot_bar(ex), plot_beeswarm(ex), plot_dependence(ex, "QRS_duration_ms", color="heart_rate_bpm")):
        assert isinstance(ax, matplotlib.axes.Axes)
    fs = 500
    sig = np.zeros((12, 5000), dtype="float32")
    sig[6, 1204:1278] = 1.0
    from interp_ecg.io import STANDARD_LEADS

    rec = Record("r1", sig, fs, list(STANDARD_LEADS))
    delin = pd.DataFrame({"lead": ["V1", "global"], "beat": [0, 0], "QRS_on": [1204, 1204], "R_peak": [1240, 1240],
                          "QRS_off": [1278, 1278], "T_off": [np.nan, 1500]})
    ge = explain_record(model, X.iloc[[0]].assign(QRS_duration_lead="V1", QRS_duration_start_sample=1204,
                                                  QRS_duration_end_sample=1278), background=X, top=2)
    ax = plot_grounded(rec, delin, ge)
    # the QRS duration is a multi-lead consensus: drawn on lead II with the consensus fiducials
    assert isinstance(ax, matplotlib.axes.Axes) and ax.get_ylabel() == "II (mV)"
    assert len(ax.patches) >= 1  # the interval span
    plt.close("all")


@pytest.mark.shared_data
def test_grounded_explanation_on_a_real_ptbxl_record(ptbxl_root):
    from interp_ecg.features import delineate, extract
    from interp_ecg.io import read_ptbxl

    ds = read_ptbxl(ptbxl_root)
    ds = ds.subset(mask=np.arange(len(ds)) < 40)
    feats = extract(ds, progress=False)
    feats = feats[feats.quality_ok.astype(bool)]
    cols = ["QRS_duration_ms", "heart_rate_bpm", "PR_interval_ms", "QT_interval_ms", "R_amp_mV_V5", "S_amp_mV_V1"]
    X = feats[cols].astype(float)
    y = (X.QRS_duration_ms >= X.QRS_duration_ms.median()).astype(int)  # a label with a known cause
    model = EnsembleClassifier(("rf",), member_params=SMALL, random_state=0).fit(X, y)
    rid = X.index[int(np.argmax(X.QRS_duration_ms.to_numpy()))]
    ge = explain_record(model, X.loc[[rid]], feature_row=feats.loc[rid], background=X, top=2,
                        target="wide-QRS")
    top = ge.attributions[0]
    assert top.feature == "QRS_duration_ms" and top.contribution > 0
    rec = ds.load(rid)
    assert top.lead == "global"  # a consensus interval, not the closest lead's own
    assert 0 <= top.start_sample < top.end_sample < rec.n_samples
    assert (top.end_sample - top.start_sample) / rec.fs * 1000 == pytest.approx(top.value, abs=40)
    assert f"lead {feats.loc[rid, 'QRS_duration_lead']}" not in top.sentence
    delin = delineate(rec.signal, rec.fs, rec.leads)
    axes = plot_grounded(rec, delin, ge)
    ax = axes if isinstance(axes, matplotlib.axes.Axes) else axes[0]
    assert ax.get_ylabel().startswith("II")
    plt.close("all")


def _provenance_row(**extra) -> pd.Series:
    row = {"QRS_duration_lead": "V1", "QRS_duration_beat": 3.0, "QRS_duration_start_sample": 1204.0,
           "QRS_duration_end_sample": 1278.0, "QT_interval_lead": "V1", "QT_interval_beat": 3.0,
           "QT_interval_start_sample": 1204.0, "QT_interval_end_sample": 1420.0,
           "n_beats": 12.0, "n_beats_dominant": 11.0, "ST60_amp_mV_V2": 0.31, "ST60_amp_mV_V3": 0.12,
           "ST60_amp_mV_II": -0.05}
    row.update(extra)
    return pd.Series(row, dtype=object)


@pytest.fixture(scope="module")
def located_model():
    """Every kind of feature: traced interval, derived intervals, rhythm, per-lead, composite, metadata."""
    rng = np.random.default_rng(3)
    n = 200
    X = pd.DataFrame({
        "QRS_duration_ms": rng.normal(110, 25, n), "JT_interval_ms": rng.normal(250, 40, n),
        "QTc_Bazett_ms": rng.normal(430, 30, n), "SDNN_ms": rng.gamma(2, 15, n),
        "heart_rate_bpm": rng.normal(95, 25, n), "RS_ratio_V3": rng.gamma(2, 1, n),
        "ST60_max_elevation_mV": rng.gamma(2, 0.1, n), "T_peak_to_end_ms": rng.normal(90, 15, n),
        "age": rng.normal(60, 15, n),
    })
    y = ((X.QRS_duration_ms >= 120) & (X.heart_rate_bpm >= 100) | (X.JT_interval_ms < 220)).astype(int)
    model = EnsembleClassifier(("rf",), member_params=SMALL, random_state=0).fit(X, y)
    return model, X


def test_every_grounded_sentence_says_where_its_value_was_measured(located_model):
    model, X = located_model
    row = _provenance_row(ST60_max_elevation_mV=0.31)
    x = X.iloc[[0]].assign(ST60_max_elevation_mV=0.31)
    ge = explain_record(model, x, feature_row=row, background=X, top=X.shape[1], target="WCT")
    by = {a.feature: a for a in ge.attributions}
    assert set(by) == set(X.columns)
    # traced interval: lead, samples, beat
    assert ("multi-lead consensus over the leads, median over the 11 dominant beats (beat 4 of 12: from the "
            "QRS onset at sample 1204 to the QRS offset at sample 1278)") in by["QRS_duration_ms"].sentence
    # JT = QRS offset to T offset of the same beat
    jt = by["JT_interval_ms"]
    assert (jt.lead, jt.start_sample, jt.end_sample) == ("global", 1278.0, 1420.0)
    assert "from the QRS offset at sample 1278 to the T end at sample 1420" in jt.sentence
    # QTc from the QT span and the RR over the counted beats
    qtc = by["QTc_Bazett_ms"]
    assert (qtc.start_sample, qtc.end_sample) == (1204.0, 1420.0)
    assert "from the QRS onset at sample 1204 to the T end at sample 1420" in qtc.sentence and "12 beats" in qtc.sentence
    # rhythm features: beat counts; per-lead feature: its lead; ST max: the lead that holds it
    assert "over 12 beats" in by["heart_rate_bpm"].sentence
    assert "11 dominant beats" in by["SDNN_ms"].sentence
    assert "in lead V3, on its median beat" in by["RS_ratio_V3"].sentence
    assert by["ST60_max_elevation_mV"].lead == "V2" and "in lead V2" in by["ST60_max_elevation_mV"].sentence
    assert "median over the 11 dominant beats" in by["T_peak_to_end_ms"].sentence
    # metadata is not a measurement on the trace: no location at all
    age = by["age"].sentence
    assert "lead" not in age and "sample" not in age and "beat" not in age
    for feat, a in by.items():  # the phrase order: value, location, effect
        assert a.sentence.endswith(f"the WCT probability by {abs(a.contribution):.2f}"), a.sentence


def test_grounded_sentences_never_invent_a_location(located_model):
    model, X = located_model
    # QRS and QT traced on different beats, no delineation: JT gets no samples
    row = _provenance_row(QT_interval_beat=5.0, QT_interval_start_sample=2204.0, QT_interval_end_sample=2420.0)
    ge = explain_record(model, X.iloc[[0]], feature_row=row, background=X, top=X.shape[1])
    jt = next(a for a in ge.attributions if a.feature == "JT_interval_ms")
    assert not np.isfinite(jt.start_sample) and "sample" not in jt.sentence and "11 dominant beats" in jt.sentence
    # ... with the record's delineation, JT is located on the QT's beat (whose onset/offset match)
    delin = pd.DataFrame({"lead": ["global", "global"], "beat": [3, 5], "QRS_on": [1204, 2204],
                          "QRS_off": [1278, 2290], "T_off": [1420, 2420]})
    ge = explain_record(model, X.iloc[[0]], feature_row=row, background=X, top=X.shape[1], fiducials=delin)
    jt = next(a for a in ge.attributions if a.feature == "JT_interval_ms")
    # beats are counted in time order over the delineation's consensus rows (two here)
    assert (jt.start_sample, jt.end_sample) == (2290.0, 2420.0) and "beat 2 of 2" in jt.sentence
    # a delineation that does not match the provenance is not used
    ge = explain_record(model, X.iloc[[0]], feature_row=row, background=X, top=X.shape[1],
                        fiducials=delin.assign(T_off=[1420, 2500]))
    jt = next(a for a in ge.attributions if a.feature == "JT_interval_ms")
    assert not np.isfinite(jt.start_sample)
    # no provenance at all: no lead, no samples, no beat counts
    bare = explain_record(model, X.iloc[[0]], background=X, top=X.shape[1])
    for a in bare.attributions:
        assert "sample" not in a.sentence and "lead V1" not in a.sentence, a.sentence
        assert not re.search(r"\d+ (dominant )?beats|beat \d", a.sentence), a.sentence


def test_grounded_sentences_of_a_multiclass_model_name_their_class(wct_table):
    """A multi-class model needs label=; its sentence uses that class's own probability."""
    X, _ = wct_table
    qrs = X.QRS_duration_ms.to_numpy()
    y = np.where(qrs < 100, "narrow", np.where(qrs < 130, "borderline", "wide"))
    model = EnsembleClassifier(("rf",), member_params=SMALL, random_state=0).fit(X, y)
    with pytest.raises(ModelError, match="multi-class model: pass label="):
        explain_record(model, X.iloc[[0]], background=X)
    i = int(np.flatnonzero(y == "narrow")[0])
    ge = explain_record(model, X.iloc[[i]], background=X, top=X.shape[1], label="narrow")
    classes = [str(c) for c in model.classes_]
    expected = model.predict_proba(X.iloc[[i]])[0, classes.index("narrow")]
    assert ge.probability == pytest.approx(expected, abs=1e-12)
    assert "narrow" in ge.sentences()[0] or ge.target == "narrow"
    assert abs(sum(a.contribution for a in ge.attributions) - (ge.probability - ge.base_probability)) < 1e-6


def test_dependence_plot_names_an_unknown_feature():
    import shap

    from interp_ecg.errors import ArgumentError

    ex = shap.Explanation(np.zeros((3, 2)), base_values=np.zeros(3), data=np.ones((3, 2)),
                          feature_names=["QRS_duration_ms", "heart_rate_bpm"])
    with pytest.raises(ArgumentError, match="'PR_interval_ms' is not in the explanation"):
        plot_dependence(ex, "PR_interval_ms")
