"""Public analyses that the demo and the studies share: one owner each (issue 14)."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from interp_ecg.evaluate import metrics_table, tagged_metrics_table
from interp_ecg.features import model_columns, quality_status
from interp_ecg.studies import pipeline, wct
from interp_ecg.studies.ptbxl_prototypes import statement_metrics


@pytest.mark.parametrize("module", ["interp_ecg.studies.wct", "interp_ecg.studies.pipeline",
                                    "interp_ecg.studies.ptbxl_prototypes", "interp_ecg.evaluate.metrics",
                                    "interp_ecg.features.dictionary", "interp_ecg.features.quality",
                                    "interp_ecg.explain.grounded"])
def test_examples_in_docstrings_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_model_columns_keep_measurements_and_leave_out_everything_else():
    t = pd.DataFrame({"QRS_duration_ms": [100.0], "QRS_duration_lead": ["V1"], "QRS_duration_start_sample": [3.0],
                      "quality_ok": [True], "n_beats": [12.0], "quality_hf_noise_ratio_max": [0.1],
                      "sim_wct": [1.0], "label_wct": [1], "patient_id": [7], "strat_fold": [3],
                      "paced": [0.0], "age": [61.0], "flag": [True], "text": ["a"], "other_beat": [2.0]})
    assert model_columns(t) == ["QRS_duration_ms", "paced", "age"]
    assert model_columns(t, exclude=["age"]) == ["QRS_duration_ms", "paced"]


def test_quality_status_reports_flags_and_implausible_intervals():
    assert quality_status(pd.Series({"quality_ok": False, "quality_error": "too few beats"})) == \
        "NOT MEASURABLE: too few beats"
    qt = quality_status(pd.Series({"quality_ok": True, "QT_interval_ms": 500.0, "RR_mean_ms": 480.0}))
    assert qt == "measured; WARNING: QT 500 ms is 104% of the mean RR 480 ms (check the T offset)"
    # just under the limits: no warning
    ok = quality_status(pd.Series({"QRS_duration_ms": 359.0, "QT_interval_ms": 479.0, "RR_mean_ms": 480.0}))
    assert ok == "measured, no quality warnings"


def test_tagged_metrics_table_leaves_unscored_records_out_before_the_bootstrap():
    rng = np.random.default_rng(1)
    y = pd.Series(rng.integers(0, 2, 60).astype(float))
    s = pd.Series(rng.random(60))
    g = np.arange(60) // 2
    y_nan = y.copy()
    y_nan[:10] = np.nan  # patients 0-4 have no label
    tab = tagged_metrics_table(y_nan, s, g, n_boot=30, random_state=0, model="m", label="L")
    ref = metrics_table(y[10:].to_numpy(), s[10:].to_numpy(), g[10:], n_boot=30, random_state=0)
    assert list(tab.columns[:3]) == ["model", "label", "metric"]
    assert np.allclose(tab["ci_low"], ref["ci_low"]) and (tab["n"] == 50).all() and (tab["n_groups"] == 25).all()
    assert tagged_metrics_table(pd.Series([np.nan, 1.0]), [0.2, np.nan], n_boot=0).empty


def test_defining_columns_are_the_rule_inputs_and_what_encodes_them():
    package = ["QRS_duration_ms", "heart_rate_bpm", "RR_mean_ms", "RR_min_ms", "RR_max_ms", "RR_sd_ms",
               "QT_interval_ms", "JT_interval_ms", "QTc_Bazett_ms", "Cornell_product_mVms", "Cornell_voltage_mV",
               "QRS_axis_deg", "PR_interval_ms", "age"]
    assert wct.defining_columns(package) == ["QRS_duration_ms", "heart_rate_bpm", "RR_mean_ms", "RR_min_ms",
                                             "RR_max_ms", "JT_interval_ms", "QTc_Bazett_ms", "Cornell_product_mVms"]
    mimic = list(wct.MIMIC_FEATURES)
    assert wct.defining_columns(mimic) == ["rr_interval", "qrs_onset", "qrs_end", "heart_rate_bpm", "qrs_duration_ms"]
    # neither rule input can be recomputed from what is left (QT, axes, other boundaries)
    assert {"qrs_axis", "qt_interval_ms", "t_end", "p_onset"} <= set(mimic) - set(wct.defining_columns(mimic))


def test_cli_training_note_names_the_defining_features():
    t = pd.DataFrame({"QRS_duration_ms": [150.0, 90.0, 130.0, 100.0], "heart_rate_bpm": [130.0, 70.0, 120.0, 80.0],
                      "RR_mean_ms": [461.0, 857.0, 500.0, 750.0], "R_amp_mV_V5": [1.0, 1.2, 0.8, 1.1],
                      "patient_id": [1, 2, 3, 4]})
    X, y, groups, note = pipeline.training_data(t, None, "wct")
    assert y.tolist() == [1, 0, 1, 0] and list(X.columns) == ["QRS_duration_ms", "heart_rate_bpm", "RR_mean_ms",
                                                                 "R_amp_mV_V5"]
    assert "(QRS_duration_ms, heart_rate_bpm, RR_mean_ms: the defining features" in note


def _cohort(n_patients: int = 40, seed: int = 0):
    rng = np.random.default_rng(seed)
    n = 2 * n_patients
    groups = pd.Series(np.repeat(np.arange(n_patients), 2), name="patient_id")
    cond = pd.Series(rng.choice(["vt", "svt_aberrant", "stach_bbb", "sinus"], n, p=[0.25, 0.2, 0.15, 0.4]))
    wide = cond != "sinus"
    X = pd.DataFrame({
        "QRS_duration_ms": np.where(wide, rng.normal(150, 15, n), rng.normal(95, 10, n)),
        "heart_rate_bpm": np.where(wide, rng.normal(150, 20, n), rng.normal(75, 10, n)),
        "RR_mean_ms": rng.normal(600, 50, n),
        "QRS_axis_deg": np.where(cond == "vt", rng.normal(-90, 20, n), rng.normal(40, 20, n)),
        "P_wave_presence_fraction": np.where(cond == "vt", 0.1, 0.9) + rng.normal(0, 0.05, n),
    })
    X["RR_mean_ms"] = 60000.0 / X["heart_rate_bpm"]
    return X, cond, groups


def test_holdout_comparison_scores_the_rule_and_both_models_on_the_held_out_patients():
    X, cond, groups = _cohort()
    y_truth = (cond != "sinus").astype(int)
    y_rule = wct.wct_rule_label(X["QRS_duration_ms"], X["heart_rate_bpm"]).astype(int)
    test = (groups % 3 == 0).to_numpy()
    res = wct.holdout_comparison(LogisticRegression(max_iter=500), X, y_truth, y_rule, groups, test, n_boot=10,
                                 truth_name="truth")
    assert res.defining == ["QRS_duration_ms", "heart_rate_bpm", "RR_mean_ms"]
    assert list(res.metrics["model"].unique()) == [wct.ENSEMBLE, wct.WITHOUT_DEFINING, wct.RULE]
    assert (res.metrics["n"] == int(test.sum())).all() and (res.metrics["label"] == "truth").all()
    assert res.metrics_circular["label"].unique().tolist() == ["rule label (circular)"]
    assert res.predictions.index.equals(X.index[test])
    assert np.array_equal(res.predictions[wct.RULE], y_rule[test].astype(float))


def test_vt_versus_svt_counts_and_scores_only_true_wcts():
    from interp_ecg.models import EnsembleClassifier

    X, cond, groups = _cohort(60)
    res = wct.vt_versus_svt(EnsembleClassifier(("logreg",), random_state=0), X, cond, groups, cv_folds=3, n_boot=5, random_state=0)
    wide = cond != "sinus"
    assert res.n_wct == int(wide.sum()) and res.n_vt == int((cond == "vt").sum())
    assert res.n_patients == groups[wide].nunique()
    assert (res.metrics["n"] == res.n_wct).all() and (res.metrics["positives"] == res.n_vt).all()
    roc = res.metrics[res.metrics["metric"] == "roc_auc"].set_index("model")["estimate"]
    assert roc[wct.WITHOUT_DEFINING] > 0.9  # the axis and the P waves separate VT here
    assert res.drivers is not None and set(res.drivers["feature"]).isdisjoint(res.defining)
    assert len(res.rule_errors) == 1


def test_vt_versus_svt_with_too_few_cases_says_so_with_empty_tables():
    X, cond, groups = _cohort(4)
    cond[:] = "sinus"
    cond.iloc[0] = "vt"
    res = wct.vt_versus_svt(LogisticRegression(), X, cond, groups, cv_folds=5, n_boot=5)
    assert res.metrics.empty and res.rule_errors.empty and res.n_wct == 1


def test_out_of_fold_scores_leave_unlabelled_rows_unscored():
    X, cond, groups = _cohort()
    y = (cond == "vt").astype(float).where(cond != "sinus")
    s, params = wct.out_of_fold_scores(LogisticRegression(max_iter=500), X, y, groups, cv_folds=3, random_state=0)
    assert params is None and s[y.isna()].isna().all() and s[y.notna()].notna().all()
    one_patient = wct.out_of_fold_scores(LogisticRegression(), X, y, np.zeros(len(X)), cv_folds=3)[0]
    assert one_patient.isna().all()  # one patient: no patient-wise folds


def test_example_records_picks_distinct_records_in_order():
    p = pd.DataFrame({"y_truth": [1, 1, 0, 0, 0], "ensemble": [0.9, 0.2, 0.6, 0.1, 0.3],
                      wct.RULE: [1.0, 1.0, 0.0, 0.0, 1.0]}, index=list("abcde"))
    assert wct.example_records(p, 4) == ["a", "b", "e", "d"]
    assert wct.example_records(p, 2) == ["a", "b"]


def test_statement_metrics_skip_statements_without_both_classes():
    y = pd.DataFrame({"AFIB": [0, 1, 0, 1, 1, 0], "NORM": [1] * 6})
    s = pd.DataFrame({"AFIB": [0.1, 0.8, 0.3, 0.6, 0.7, 0.2], "NORM": [0.5] * 6})
    t = statement_metrics(y, s, np.arange(6), model="net", n_boot=5)
    assert t["label"].unique().tolist() == ["AFIB"] and t["metric"].tolist() == ["roc_auc", "pr_auc"]
    assert statement_metrics(y[["NORM"]], s[["NORM"]], np.arange(6), model="net").empty


def test_cohort_sex_labels():
    meta = pd.DataFrame({"sex": [0, 1, np.nan]})
    assert pipeline.with_sex_labels(meta)["sex"].tolist() == ["male", "female", "unknown"]
    text = pd.DataFrame({"sex": ["F", "M"]})
    assert pipeline.with_sex_labels(text)["sex"].tolist() == ["F", "M"]


def test_tagged_metrics_table_of_several_labels_is_metrics_table_with_tags_in_front():
    rng = np.random.default_rng(3)
    Y = pd.DataFrame(rng.integers(0, 2, (40, 2)), columns=["NORM", "MI"])
    S = rng.random((40, 2))
    g = np.arange(40) // 2
    tab = tagged_metrics_table(Y, S, g, n_boot=20, random_state=1, metrics=("roc_auc", "f1"), protocol="cv10",
                               model="rf")
    ref = metrics_table(Y, S, g, n_boot=20, random_state=1, metrics=("roc_auc", "f1"))
    assert list(tab.columns) == ["protocol", "model"] + list(ref.columns)
    pd.testing.assert_frame_equal(tab.drop(columns=["protocol", "model"]), ref)
    assert set(tab["label"]) == {"NORM", "MI", "macro"}


def test_empty_rule_error_table_keeps_its_header(tmp_path):
    """No rule errors -> a table with its columns, so its CSV reads back (was a 1-byte file)."""
    from interp_ecg.studies import wct
    from interp_ecg.studies.runner import save_tables

    empty = pd.DataFrame([], columns=[*wct.RULE_ERROR_COLUMNS, "features"])
    (path,) = [p for p in save_tables({"rule_errors": empty}, tmp_path, parquet=False)]
    back = pd.read_csv(path)
    assert list(back.columns) == [*wct.RULE_ERROR_COLUMNS, "features"] and len(back) == 0
