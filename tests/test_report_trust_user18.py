"""Trust defects found by new user 18 in the PDF reports (FINDINGS-user18.md), each with its right value."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from interp_ecg.evaluate import tagged_metrics_table
from interp_ecg.report.plots import plot_pr, plot_roc
from interp_ecg.studies import wct


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_curve_legend_is_the_table_value_on_the_same_records():
    """W4: Figure 3 drew every curve on the records ALL scores had (498), the table scored each model
    on its own (499): legend AUC 0.924 vs table 0.923. Each curve is now drawn on its own scored records
    with the table's function, and a score with fewer records says its n."""
    y = np.array([0, 0, 1, 1, 0, 1, 0, 1])
    model = np.array([0.1, 0.6, 0.35, 0.8, 0.2, 0.9, 0.7, 0.4])
    rule = np.array([0, 0, 1, 1, 0, np.nan, 0, 0], dtype=float)  # 'not assessable' on one record
    ax = plot_roc(y, {"model": model, "rule": rule}, ax=Figure().add_subplot())
    t_model = tagged_metrics_table(y, model, n_boot=0, metrics=("roc_auc", "pr_auc"))
    t_rule = tagged_metrics_table(y, rule, n_boot=0, metrics=("roc_auc",))
    auc_model = t_model.set_index("metric").loc["roc_auc", "estimate"]
    auc_rule = t_rule.set_index("metric").loc["roc_auc", "estimate"]
    assert auc_model == 0.75  # 12 of 16 positive-negative pairs ranked right
    assert auc_rule == 0.8333333333333334  # 3 positives, 4 negatives on the 7 scored records
    assert _legend(ax) == [f"model (AUC {auc_model:.3f})", f"rule (AUC {auc_rule:.3f}, n = 7)"]
    ax = plot_pr(y, {"rule": rule}, ax=Figure().add_subplot())
    ap_rule = tagged_metrics_table(y, rule, n_boot=0, metrics=("pr_auc",))["estimate"].iloc[0]
    assert _legend(ax) == [f"rule (AP {ap_rule:.3f}, n = 7)"]


def test_wct_curves_caption_gives_the_tables_records():
    y = pd.Series([0.0, 1.0, 0.0, 1.0, np.nan, 0.0])
    scores = {"cardioforest [trained on: x]": pd.Series([0.1, 0.9, 0.2, 0.7, 0.5, 0.3]),
              wct._RULE: pd.Series([0.0, 1.0, np.nan, 1.0, 0.0, 0.0])}
    cap = wct.curves_caption("x", y, scores)
    assert "n = 5, 2 positives" in cap
    assert f"{wct._RULE} on 4 of them (not scored on 1)" in cap
    one = wct.curves_caption("x", pd.Series([0.0, 1.0, 0.0]), {"m": pd.Series([0.1, 0.2, 0.3])})
    assert "n = 3, 1 positive (" in one


def _phewas_summary() -> pd.DataFrame:
    return pd.DataFrame({
        "exposure": ["proto_A", "proto_B", "proto_C", "proto_D"], "phecode": ["CV_416.1", "CV_416.43", "CV_404.1", "X"],
        "description": ["Paroxysmal tachycardia", "Right bundle branch block", "Hypertension", "Other"],
        "category": "Cardiovascular", "n_cases": [27, 16, 6, 30], "n_controls": 154,
        "beta": [1.47, 5.26, 4.53, 0.1], "OR": [4.3697, 191.869, 92.7678, 1.105],
        "OR_low": [2.6708, 23.729, 3.6649, 0.8], "OR_high": [7.7772, 2557.598, 6082.71, 1.4],
        "p": [6.78e-11, 6.24e-10, 0.001747, 0.4], "q": [5.2e-08, 2.4e-07, 0.0447, 0.6],
        "separation": [False, False, True, False], "method": "firth", "converged": True})


def test_separated_fit_is_not_counted_and_is_flagged():
    """F7: the headline counted a separated fit (q 0.045, 6 cases, OR 92.8) among 31 findings and Table 7
    printed ORs bare (191.869 (23.729-2557.598)) with no separation column."""
    from interp_ecg.report.blocks.phewas import PhewasBlock, significant_associations

    s = _phewas_summary()
    assert significant_associations(s) == (2, 1)
    block = PhewasBlock(s)
    top = block._top_text()
    row = top.set_index("exposure")
    assert row.loc["proto_C", "separation"] == "yes (Firth estimate)"
    assert row.loc["proto_A", "separation"] == "no"
    assert (row.loc["proto_B", ["OR", "OR_low", "OR_high"]].tolist() == ["192", "23.7", "2560"])
    assert row.loc["proto_C", "q"] == "0.045" and row.loc["proto_A", "p"] == "6.8e-11"
    assert "not counted as a finding" in block._top_caption(top)


def test_manhattan_circles_and_labels_a_separated_fit():
    from interp_ecg.phenotype.plots import plot_manhattan

    ax = plot_manhattan(_phewas_summary(), n_labels=4, direction=False, ax=Figure().add_subplot())
    texts = [t.get_text() for t in ax.texts]
    assert "proto_C: Hypertension (separated)" in texts
    assert "separated fit (not a finding)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_volcano_does_not_colour_a_separated_fit_significant():
    from interp_ecg.phenotype.plots import plot_volcano

    ax = plot_volcano(_phewas_summary(), ax=Figure().add_subplot())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["not significant", "q < 0.05", "separated fit (not a finding)"]
    assert len(ax.collections[1].get_offsets()) == 2  # the two non-separated hits only


def test_metrics_below_min_positives_are_nan_with_the_reason_in_the_row():
    """W1: Table 2 printed ROC-AUC 0.998 ... 0.008 on ONE positive (the rank of one record) and Table 4
    bootstrap CIs on 6 positives although the notes said both labels are below min_positives=10."""
    from interp_ecg.evaluate import tagged_metrics_table
    from interp_ecg.report.blocks.figures import format_metrics

    y = np.array([0] * 19 + [1])
    short = wct.class_count_shortfall(y, 10)
    assert short == "1 positive, 19 negatives; fewer than min_positives=10 positives"
    t = tagged_metrics_table(y, np.linspace(0, 1, 20), n_boot=0, metrics=("roc_auc", "pr_auc"), model="rf")
    assert t["estimate"].tolist() == [1.0, 1.0]  # what the table printed before
    out = wct.not_estimable(t, short)
    assert out["estimate"].isna().all() and out["ci_low"].isna().all() and (out["n_positive"] == 1).all()
    wide = format_metrics(out)
    assert wide.loc[0, "roc_auc"] == "NA" and wide.loc[0, "positives"] == 1
    assert wide.loc[0, "not estimable"] == f"not estimable: {short}"


def _mimic_run(tmp_path, **params):
    import warnings

    from tests.test_wct import FAST, _fabricated_mimic

    root = tmp_path / "mimic"
    root.mkdir()
    _fabricated_mimic(root)
    cfg = {"data": {"source": "mimic", "path": str(root)},
           "params": {"models": ["cardioforest", "logreg"], **FAST, **params}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return wct.run_wct_study(cfg, tmp_path / "out")


def test_min_positives_applies_to_the_rule_label(tmp_path):
    """W2: with 3 rule positives (min_positives=10) five models were fitted on the rule label, scored
    against every external label as 'trained on: wct_rule', explained by SHAP and in grounded sentences."""
    tables = _mimic_run(tmp_path, min_positives=200)  # 160 records: every label is below it
    n_rule_pos = int(tables["cohort"].set_index("item").loc["rule-positive (WCT) records", "value"])
    circ = tables["circular"]
    assert set(circ["model"]) == {"rule (hard 0/1)"} and circ["estimate"].isna().all()
    assert circ["not_estimable"].str.startswith(f"not estimable: {n_rule_pos} positive").all()
    ext = tables["external"]
    assert set(ext["model"]) == {"rule (hard 0/1)"} and ext["estimate"].isna().all()
    assert len(tables["shap_importance"]) == 0 and len(tables["grounded"]) == 0
    notes = " ".join(tables["notes"]["note"])
    assert "wct_rule: " in notes and "no SHAP or grounded explanation" in notes


def test_rule_is_scored_only_against_the_labels_it_claims_to_predict(tmp_path):
    """W3: the WCT rule was scored against a wide-QRS label with no rate criterion; its 20 'false
    negatives' were wide QRS under 100 bpm by definition, and Table 6 did not say the models' label."""
    tables = _mimic_run(tmp_path, min_positives=5)
    ext = tables["external"]
    rule_labels = set(ext.loc[ext["model"] == "rule (hard 0/1)", "label"])
    assert rule_labels == {"report_wct"}  # not report_wide_qrs, not report_tachycardia
    assert {"report_wide_qrs", "report_tachycardia"} <= set(ext["label"])  # the models still are
    errs = tables["rule_errors"]
    assert len(errs) and set(errs["external_label"]) == {"report_wct"}
    assert (errs["trained_on"] == errs["external_label"]).all()
    assert "is scored only against report_wct" in " ".join(tables["notes"]["note"])


def test_demo_says_the_phewas_diagnoses_are_planted():
    """F6: 256 of 1,279 diagnoses are planted from the simulated condition and the top hits are those
    links; the PDF never said so."""
    from interp_ecg.studies.demo import planted_diagnoses_sentence

    dx = pd.DataFrame({"patient_id": ["a", "a", "b", "c", "d"],
                       "icd_code": ["I45.10", "E66.9", "I47.2", "E66.9", "I10"],
                       "planted": ["True", "False", "True", "False", "False"]})
    text = planted_diagnoses_sentence(dx)
    assert text.startswith("2 of the 5 diagnoses (of 2 of 4 patients) are planted by the simulator")
    assert "recovered by construction" in text
    assert planted_diagnoses_sentence(dx.assign(planted=False)) == ""
    assert planted_diagnoses_sentence(dx.drop(columns="planted")) == ""


def test_table1_footnote_says_patients_sit_in_both_columns():
    """F11: Table 1 columns 46 + 141 = 187 patients vs 181 overall; the footnote implied one column each."""
    from interp_ecg.report import cohort_table
    from interp_ecg.studies.demo import patients_in_several_columns

    meta = pd.DataFrame({"patient_id": [1, 1, 2, 2, 3, 4], "age": [50, 50, 60, 60, 70, 80],
                         "sex": ["F", "F", "M", "M", "F", "M"]})
    by = pd.Series(["WCT", "no WCT", "WCT", "no WCT", "no WCT", "WCT"])
    t = cohort_table(meta, by).set_index("Characteristic")
    cols = int(t.loc["Patients, n", "WCT"]) + int(t.loc["Patients, n", "no WCT"])
    assert (cols, int(t.loc["Patients, n", "Overall"])) == (6, 4)
    text = patients_in_several_columns(meta, by)
    assert text == (" 2 patients have ECGs in more than one column and are described in each (from the first ECG "
                    "in it): the columns add up to 6 patients, Overall counts 4.")
    assert patients_in_several_columns(meta, pd.Series(["a", "a", "b", "b", "a", "b"])) == ""


def test_macro_roc_auc_averages_only_statements_with_enough_positives():
    """F12: the headline macro ROC-AUC 0.776 averaged AFIB (2 held-out positives) and SBRAD (4), which the
    same report calls too few for a CI."""
    from interp_ecg.studies.demo import macro_statements

    pm = pd.DataFrame({"label": ["NORM", "AFIB", "SBRAD", "CLBBB"], "metric": "roc_auc", "n": 60,
                       "n_positive": [20, 2, 4, 5], "estimate": [0.9, 0.344, 0.956, 0.8]})
    averaged, left = macro_statements(pm)
    assert averaged == ["NORM", "CLBBB"] and left == {"AFIB": 2, "SBRAD": 4}
    assert macro_statements(pm.assign(n=8))[0] == []  # n 8: no statement has 5 positives and 5 negatives


def test_manhattan_labels_do_not_overprint():
    """F13: 'proto_CLBBB_01: Left bundle branch block' overprinted 'proto_LVH_00: Cardiomegaly'."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    from interp_ecg.phenotype.plots import plot_manhattan

    n = 40
    s = pd.DataFrame({"exposure": [f"proto_{k % 5}" for k in range(n)], "phecode": [f"CV_{k:03d}" for k in range(n)],
                      "description": [f"Diagnosis number {k} of the heart" for k in range(n)],
                      "category": "Cardiovascular", "p": [1e-9 * (1 + k % 3) if k < 4 else 0.5 for k in range(n)],
                      "q": [1e-7 if k < 4 else 0.9 for k in range(n)]})
    fig = Figure(figsize=(7, 3))
    FigureCanvasAgg(fig)
    ax = plot_manhattan(s, n_labels=4, direction=False, ax=fig.add_subplot())
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]  # the text, not its leader line
    assert len(boxes) == 4
    assert not any(a.overlaps(b) for k, a in enumerate(boxes) for b in boxes[k + 1:])


def test_demo_circular_table_says_when_the_labels_coincide():
    """F10: demo Tables 2 and 3 were identical to the last digit, unexplained (rule label = truth)."""
    from interp_ecg.studies.demo import same_label_sentence

    y = pd.Series([1.0, 0.0, 0.0, 1.0], index=list("abcd"))
    assert same_label_sentence(y, y.astype(int)) == (
        " Here the rule label equals the ground truth on all 4 ECGs, so this table repeats the one above: "
        "same label, same model.")
    assert same_label_sentence(y.where(y.index != "a"), y) == (
        " Here the rule label equals the ground truth on all 3 ECGs, so this table repeats the one above: "
        "same label, same model.")
    assert same_label_sentence(pd.Series([1.0, 1.0, 0.0, 1.0], index=list("abcd")), y) == ""


def test_wct_shap_table_two_significant_digits_and_counts_in_words(tmp_path):
    """W6, W7, W8: mean |SHAP| 0.001 x6 above 0.00099; '1 records'; the 'not assessable' row without the rate."""
    imp = pd.DataFrame({"model": "cardioforest", "feature": list("abcd"),
                        "mean_abs_shap": [0.0021, 0.00104, 0.00101, 0.00099], "shap_scale": "probability"})
    out = wct.shap_importance_text(imp)
    assert out["mean_abs_shap"].tolist() == ["0.0021", "0.0010", "0.0010", "0.00099"]
    assert "shap_scale" not in out.columns
    assert wct.class_count_shortfall(pd.Series([1.0] + [0.0] * 20), 10).startswith("1 positive, 20 negatives")
    tables = _mimic_run(tmp_path, min_positives=5)
    items = list(tables["cohort"]["item"])
    assert "rule not assessable (QRS < 120 ms at >= 100 bpm from < 11 leads)" in items


def test_wct_shap_summary_says_which_records(tmp_path):
    """W5: 'explained on up to 300 records': which records, and how many rule positives among them."""
    tables = _mimic_run(tmp_path, min_positives=5)
    on = tables["shap_importance"].attrs["explained_on"]
    n_rule = int(tables["cohort"].set_index("item").loc["records with a rule label", "value"])
    n_pos = int(tables["cohort"].set_index("item").loc["rule-positive (WCT) records", "value"])
    assert on == f"the forest fitted on all {n_rule} records with a rule label, explained on all of them ({n_pos} rule positives)"
