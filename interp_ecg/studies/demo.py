"""The demo study: the whole package on one synthetic cohort, ending in a PDF a clinician reads.

synthetic cohort (PTB-XL layout, ground truth) -> fiducial features -> WCT ensemble with the
rule baseline, evaluated against the simulator's ground-truth rhythm and (flagged as circular)
against the rule label -> SHAP (global and per patient, grounded in measured intervals) ->
a small ProtoECGNet-style prototype network -> PheWAS of prototype similarities against the
cohort's ICD-10 diagnoses -> report.

Each stage is a :func:`~interp_ecg.studies.runner.step` and each optional part of the report a
:func:`~interp_ecg.studies.runner.section`: a section whose module is not importable is skipped
and one that fails is reported as failed (in the log, in ``run.json`` and in the report), and
the rest still runs. The tables ``sections`` and ``timings`` are those same step records.
Parameters: :class:`~interp_ecg.studies.params.DemoParams`.

Run it with ``interp-ecg demo`` or ``interp-ecg study run`` on a YAML with ``kind: demo``.
"""

from __future__ import annotations

import logging
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.studies import pipeline, wct
from interp_ecg.studies.config import StudyConfig
from interp_ecg.studies.runner import StudyResult, section, step, step_records
from interp_ecg.studies.wct import ENSEMBLE as ENS, RULE, WITHOUT_DEFINING as NODEF

logger = logging.getLogger(__name__)

WCT_CIRCULAR_NOTE = (
    "Circular label warning: the WCT definition (QRS >= 120 ms and heart rate >= 100 bpm) is "
    "computed from the same measurements the model sees. A model trained and tested on that "
    "label can only re-learn the rule; its near-perfect scores (table below) say nothing about "
    "clinical accuracy. The primary table therefore scores every model against labels from "
    "elsewhere: the simulator's ground truth (the definition applied to each simulated rhythm's "
    "true, not measured, QRS duration and rate) and, in the next section, the rhythm itself "
    "(ventricular tachycardia versus SVT with aberrant conduction or sinus tachycardia with bundle "
    "branch block). The rule baseline is in every table."
)


#: threads per model fit: the demo's models see a few hundred rows, where xgboost/lightgbm
#: threads only add overhead (measured: one rf+xgb+lgbm fit on 240 ECGs took 14 s with all
#: threads on a busy 2-core machine, 0.9 s with one); n_jobs still parallelises the features
MODEL_JOBS = 1

#: where the prototype network's discrimination warning is said in full (once, in the title
#: page's summary); every other place that needs it refers there (Discrimination.reference)
PROTO_WARNING_AT = "on the title page"


def run_demo_study(cfg: StudyConfig, out_dir: Path) -> StudyResult:
    """Run the demo pipeline (see the module docstring); returns tables and the report.

    Follows the :class:`~interp_ecg.studies.runner.Study` protocol: ``cfg`` is a validated
    ``kind: demo`` config, ``out_dir`` the run folder (where a synthetic cohort is written
    and, unless ``params.keep_cohort``, removed at the end).
    """
    from interp_ecg.report import LeadBlock

    params, seed = cfg.params, int(cfg.seed)
    notes: list[str] = []
    tables: dict[str, pd.DataFrame] = {}
    state: dict[str, Any] = {}
    blocks: dict[str, list[Any]] = {k: [] for k in ("wct", "prototypes", "phewas", "cards", "patients")}
    with step_records() as records:
        with step("cohort"):
            ds, cohort_dir, temporary = pipeline.load_cohort(cfg.data, Path(out_dir), seed=seed, n_jobs=cfg.n_jobs,
                                                             wct_enrichment=params.wct_enrichment,
                                                             keep=params.keep_cohort)
        meta = ds.meta
        with step("features"):
            feats = pipeline.cohort_features(ds, cfg.data.features, n_jobs=cfg.n_jobs, scheduler=cfg.scheduler)
        tables["features"] = state["feats"] = feats
        summary_lines = [_cohort_summary(cfg, ds, feats)]
        if "wct" in params.sections:
            with section("WCT models", notes):
                blocks["wct"] += _wct(cfg, feats, meta, state, tables, summary_lines)
            if "model" in state:
                with section("SHAP", notes):
                    blocks["wct"] += _shap(state, tables, seed)
        if "prototypes" in params.sections:
            with section("prototype network", notes):
                blocks["prototypes"] += _prototypes(cfg, ds, state, tables, summary_lines)
        if "phewas" in params.sections:
            with section("PheWAS", notes):
                blocks["phewas"] += _phewas(cfg, ds, cohort_dir, state, tables, summary_lines)
            if blocks["phewas"] and "proto_disc" in state:  # the exposures are the prototype network's
                # under the PheWAS heading (before it, it sat in the section before)
                blocks["phewas"][0] = LeadBlock(blocks["phewas"][0], _discrimination_block(
                    state["proto_disc"], "prototype network", "whose similarities are the exposures",
                    where=PROTO_WARNING_AT))
                if state["proto_disc"].warning:  # said in full once, in the paragraph above
                    summary_lines.append("The PheWAS exposures are the prototype network's similarities. "
                                         f"Warning: {state['proto_disc'].reference('above')}")
        if "proto" in state:  # after the PheWAS, whose hits the cards list
            with section("prototype cards", notes):
                first, *rest = _prototype_cards(ds, state, tables, seed)
                blocks["cards"] += [LeadBlock(first, _discrimination_block(state["proto_disc"], "prototype network",
                                                                           "whose prototypes the cards describe",
                                                                           where=PROTO_WARNING_AT)), *rest]
        with section("patient pages", notes):
            blocks["patients"] += _patients(cfg, ds, state)

    rep = _report(cfg, meta, summary_lines, notes, blocks, tables)
    sec = [r for r in records if r.get("section")]  # the steps' own records, as in run.json
    tables["sections"] = pd.DataFrame({"section": [r["name"] for r in sec], "status": [r["status"] for r in sec]})
    tables["timings"] = pd.DataFrame({"step": [r["name"] for r in records], "seconds": [r["seconds"] for r in records]})
    if temporary and cohort_dir is not None:
        dx = cohort_dir / "diagnoses.csv"
        tables["diagnoses"] = pd.read_csv(dx) if dx.exists() else pd.DataFrame()
        shutil.rmtree(cohort_dir, ignore_errors=True)
    return StudyResult(tables=tables, report=rep, notes=notes)


def _report(cfg: StudyConfig, meta: pd.DataFrame, summary_lines: list[str], notes: list[str],
            blocks: dict[str, list[Any]], tables: dict) -> Any:
    """The report: title page, sections not shown, Table 1, the sections' blocks, methods."""
    from interp_ecg.report import CohortTableBlock, Report, TextBlock, TitleBlock
    from interp_ecg.studies.runner import package_versions

    rep = Report(cfg.report.title or "interp-ecg demonstration report",
                 pseudonymise=cfg.report.pseudonymise, paper=cfg.report.paper)
    rep.add(TitleBlock(rep.title, "Synthetic cohort -> features -> explained WCT ensemble -> "
                                  "prototype network -> PheWAS",
                       summary="\n\n".join(summary_lines), config=cfg, seed=int(cfg.seed),
                       versions={k: v for k, v in package_versions().items()
                                 if k in ("python", "interp-ecg", "numpy", "pandas", "scikit-learn",
                                          "xgboost", "lightgbm", "shap", "torch")}))
    if notes:
        rep.add(TextBlock("Sections not shown", "\n\n".join(notes), level=2))
    meta_t1 = pipeline.with_sex_labels(meta)
    by = wct.truth_groups(meta_t1)
    t1 = CohortTableBlock(meta_t1, by=by)
    t1.note = "Age in years. " + t1.note + patients_in_several_columns(meta_t1, by)  # one ECG per patient
    tables["table1"] = t1.frame
    rep.add(t1)
    for key in ("wct", "patients", "prototypes", "phewas", "cards"):
        rep.add(*blocks[key])
    rep.add(TextBlock("Methods and limitations", METHODS_TEXT, page_break=False))
    return rep


def patients_in_several_columns(meta: pd.DataFrame, by: pd.Series | None) -> str:
    """The Table 1 sentence for patients with ECGs in more than one column (``""`` when none).

    Such a patient is described in each column (from the first ECG in it) and once in Overall,
    so the columns' patient counts add up to more than Overall's.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.demo import patients_in_several_columns
    >>> meta = pd.DataFrame({"patient_id": [1, 1, 2, 3]})
    >>> patients_in_several_columns(meta, pd.Series(["WCT", "no WCT", "no WCT", "WCT"]))
    ' 1 patient has ECGs in more than one column and is described in each (from the first ECG in it): the columns add up to 4 patients, Overall counts 3.'
    """
    if by is None or "patient_id" not in meta.columns:
        return ""
    pid = meta["patient_id"].reset_index(drop=True)
    g = pd.Series(np.asarray(by), index=pid.index)
    known = pid.notna()
    per = g[known].groupby(pid[known]).nunique()
    n = int((per > 1).sum())
    if n == 0:
        return ""
    in_columns = int(per.sum()) + int((~known).sum())
    overall = int(pid[known].nunique()) + int((~known).sum())
    verb = "patient has ECGs in more than one column and is" if n == 1 else "patients have ECGs in more than one column and are"
    return (f" {n} {verb} described in each (from the first ECG in it): the columns add up to {in_columns} "
            f"patients, Overall counts {overall}.")


def _cohort_summary(cfg: StudyConfig, ds, feats: pd.DataFrame) -> str:
    """The title page's first paragraph: the cohort and its features."""
    meta = ds.meta
    n_ok = int(feats["quality_ok"].astype(bool).sum()) if "quality_ok" in feats.columns else len(feats)
    from interp_ecg.features.dictionary import model_columns

    n_in = len(model_columns(feats))  # the WCT models' inputs (wct.holdout_inputs)
    text = (f"Cohort: {len(ds)} synthetic 12-lead ECGs (10 s, 500 Hz) of {meta['patient_id'].nunique()} "
            f"patients, written in the PTB-XL layout with ground-truth rhythm, fiducial points and ICD-10 "
            f"diagnoses. Fiducial features: {n_in} measurements per ECG (the WCT models' inputs), in a table of "
            f"{feats.shape[1]} columns with the quality, beat-count and provenance columns; {n_ok} ECGs "
            "measurable.")
    enrich = float(cfg.params.wct_enrichment)
    if cfg.data.source != "ptbxl" and enrich != 1.0:
        text += (f" Wide-complex tachycardias enriched {enrich:g}x over the simulator's default mix "
                 "(to study VT vs SVT; prevalences are not clinical).")
    return text


METHODS_TEXT = (
    "Features: the package's multi-lead delineation and median-beat measurements "
    "(interp_ecg.features). Splits are patient-wise; nothing is tuned on the "
    "held-out patients. ROC-AUC and PR-AUC are computed from scores, never from "
    "hard labels (out-of-fold scores from patient-wise folds where every ECG is scored). "
    "Confidence intervals: percentile bootstrap over patients. Each patient page shows "
    "the record's signal-quality flags and plausibility warnings (a QRS or QT that "
    "does not fit in the RR interval points at the delineation, not the heart).\n\n"
    "This report is a demonstration on simulated data. The cohort is small, so "
    "intervals are wide; the simulator's physiology is simpler than real ECGs. "
    "Identifiers are pseudonymised (ECGs E001, E002 ...; patients P001, P002 ...) unless the run asked "
    "otherwise; the run folder's tables hold keyed pseudonyms (RC-..., PT-...), and tables/report_aliases.csv "
    "gives the pseudonym behind each number of this PDF.")
SHOW_METRICS = ["roc_auc", "pr_auc", "balanced_accuracy", "recall", "precision", "brier"]
ADDS_METRICS = ("roc_auc", "pr_auc", "balanced_accuracy")


def _wct(cfg: StudyConfig, feats: pd.DataFrame, meta: pd.DataFrame, state: dict, tables: dict,
         summary_lines: list[str]) -> list[Any]:
    """WCT ensemble, without defining features, and the rule against the ground truth (one split)."""
    from interp_ecg.report import CurvesBlock, MetricsBlock, TextBlock

    params, seed = cfg.params, int(cfg.seed)
    inp = wct.holdout_inputs(feats, meta)
    X, yt, g, label_name = inp.X, inp.y_truth, inp.groups, inp.truth_name
    test = pipeline.patient_split(g, yt, params.test_size, seed)
    res = wct.holdout_comparison(pipeline.make_ensemble(params.models, seed, MODEL_JOBS), X, yt, inp.y_rule, g,
                                 test, n_boot=params.n_boot, random_state=seed, truth_name=label_name)
    m_truth, m_circ, preds = res.metrics, res.metrics_circular, res.predictions
    tables.update(wct_metrics=m_truth, wct_metrics_circular=m_circ, wct_predictions=preds)
    state.update(Xtr=X[~test], Xte=X[test], test=test, model=res.model, preds=preds)
    auc = m_truth.set_index(["model", "metric"])["estimate"]
    truth = yt[test].to_numpy()
    rule_wrong, ens_wrong = wct.n_misclassified(preds, RULE, truth), wct.n_misclassified(preds, ENS, truth)
    n_test, n_pos = int(test.sum()), int(yt[test].sum())
    state["wct_disc"] = pipeline.discrimination(m_truth[m_truth["model"] == ENS], f"the WCT ensemble (against {label_name})")
    text = (f"Task: detect WCT from fiducial features. Patient-wise split: {int((~test).sum())} ECGs for training, "
            f"{n_test} held out ({int(yt[test].sum())} WCT by ground truth). Ensemble of "
            f"{', '.join(params.models)} (soft voting). {wct.output_note({'the ensemble': res.model})} "
            "Metrics on the held-out patients, bootstrap 95% CIs "
            f"resampled by patient ({params.n_boot} replicates). Against the ground truth, the rule misclassifies "
            f"{rule_wrong} of {n_test} held-out ECGs and the ensemble (score >= 0.5) {ens_wrong}. '{NODEF}' is "
            f"trained without the {len(res.defining)} columns from which the rule can be recomputed (QRS duration, "
            "heart rate, RR mean/min/max, QTc, JT, Cornell product): what the other features carry. The ground "
            "truth here is the definition applied to the simulator's true QRS duration and rate, so the rule on "
            "measured values can only err by measurement error; the next section asks what the rule cannot answer.")
    blocks = [
        TextBlock("Wide QRS complex tachycardia (WCT)", text),
        MetricsBlock(m_truth[m_truth["metric"].isin(SHOW_METRICS)],
                     heading="Performance against the ground-truth rhythm",
                     caption=f"WCT detection against {label_name}, held-out patients; estimate (95% CI).",
                     note=WCT_CIRCULAR_NOTE, name="wct_metrics", level=2),
        MetricsBlock(m_circ[m_circ["metric"].isin(SHOW_METRICS)],
                     heading="Against the rule label (circular, for contrast)",
                     caption="The same ensemble trained and tested on the rule label computed from its own inputs: "
                             "high scores by construction." + same_label_sentence(inp.y_rule, yt),
                     name="wct_metrics_circular", level=2),
        CurvesBlock(truth, {k: preds[k].to_numpy() for k in (ENS, NODEF, RULE)}, level=2),
    ]
    summary_lines.append(
        f"WCT: against the ground-truth rhythm, the ensemble reaches ROC-AUC {auc[(ENS, 'roc_auc')]:.3f} and the "
        f"rule (QRS >= 120 ms and HR >= 100 bpm) {auc[(RULE, 'roc_auc')]:.3f} on {n_test} held-out ECGs "
        f"({n_pos} WCT).")
    return blocks + _wct_adds(cfg, meta, X, g, tables, summary_lines, feats)


def same_label_sentence(y_rule: pd.Series, y_truth: pd.Series) -> str:
    """Why the circular table can repeat the ground-truth table: the two labels coincide (``""`` when not).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.demo import same_label_sentence
    >>> same_label_sentence(pd.Series([1.0, 0.0, 0.0]), pd.Series([1, 0, 0]))
    ' Here the rule label equals the ground truth on all 3 ECGs, so this table repeats the one above: same label, same model.'
    >>> same_label_sentence(pd.Series([1.0, 1.0, 0.0]), pd.Series([1, 0, 0]))
    ''
    """
    r = pd.to_numeric(pd.Series(y_rule), errors="coerce")
    t = pd.to_numeric(pd.Series(y_truth), errors="coerce").reindex(r.index) if isinstance(y_truth, pd.Series) \
        else pd.Series(np.asarray(y_truth, dtype=float), index=r.index)
    both = r.notna() & t.notna()
    if not both.any() or not (r[both] == t[both]).all() or both.sum() != r.notna().sum():
        return ""
    return (f" Here the rule label equals the ground truth on all {int(both.sum())} ECGs, so this table repeats "
            "the one above: same label, same model.")


def wct_left_out(meta: pd.DataFrame, used: pd.Index, feats: pd.DataFrame | None = None) -> str:
    """Why the VT-versus-SVT count differs from Table 1's WCT column: the WCT ECGs left out.

    Table 1 counts the ECGs whose ground truth (``sim_wct``) is a WCT; the VT-versus-SVT
    analysis takes those whose simulated rhythm is a WCT (:data:`wct.SYNTHETIC_WCT_CONDITIONS`)
    among the measurable ECGs (``used``). Returns ``" Table 1 counts 9 ECGs as WCT ..."``
    naming each difference with its count (the simulated rhythm and the feature table's reason
    for an ECG that is not measurable), or ``""`` when the counts agree.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.demo import wct_left_out
    >>> m = pd.DataFrame({"sim_condition": ["vt", "vt", "normal"], "sim_wct": [True, True, False]},
    ...                  index=["a", "b", "c"])
    >>> f = pd.DataFrame({"quality_ok": [True, False, True],
    ...                   "quality_reason": ["", "/x/b.hea: no usable lead: noisy ['I']", ""]}, index=m.index)
    >>> wct_left_out(m, pd.Index(["a", "c"]), f)
    ' Table 1 counts 2 ECGs as WCT by ground truth, this analysis 1: 1 ECG whose simulated rhythm is a WCT is not measurable and left out (vt: no usable lead).'
    """
    if "sim_condition" not in meta.columns:
        return ""
    cond = meta["sim_condition"].astype(str)
    is_wct = cond.isin(wct.SYNTHETIC_WCT_CONDITIONS)
    n_t1 = int(meta["sim_wct"].astype(bool).sum()) if "sim_wct" in meta.columns else int(is_wct.sum())
    out = meta.index[is_wct & ~meta.index.isin(used)]
    n_used = int((is_wct & meta.index.isin(used)).sum())
    if n_t1 == n_used and not len(out):
        return ""
    parts = []
    if len(out):
        why = []
        for rid in out:
            reason = ""
            if feats is not None and rid in feats.index and "quality_reason" in feats.columns:
                reason = str(feats.at[rid, "quality_reason"] or "")
                # the reason names the record's file first ("<path>.hea: no usable lead: ..."): keep the cause
                reason = reason.split(".hea: ", 1)[-1].split(":", 1)[0].strip()
            why.append(f"{cond[rid]}: {reason}" if reason else cond[rid])
        parts.append(f"{len(out)} ECG{' whose' if len(out) == 1 else 's whose'} simulated rhythm is a WCT "
                     f"{'is' if len(out) == 1 else 'are'} not measurable and left out ({', '.join(why)})")
    if int(is_wct.sum()) != n_t1:
        parts.append(f"{int(is_wct.sum())} ECGs have a WCT rhythm (the definition on the simulated QRS duration and "
                     "rate can differ from the rhythm)")
    return f" Table 1 counts {n_t1} ECGs as WCT by ground truth, this analysis {n_used}: " + "; ".join(parts) + "."


def _shap(state: dict, tables: dict, seed: int) -> Any:
    from interp_ecg.explain import shap_explanation
    from interp_ecg.report import ShapSummaryBlock

    bg = state["Xtr"].sample(min(100, len(state["Xtr"])), random_state=seed)
    expl = shap_explanation(state["model"], state["Xte"], background=bg, random_state=seed)
    state.update(expl=expl, background=bg)
    block = ShapSummaryBlock(expl, heading="What drives the WCT model (SHAP)", level=2,
                             text="SHAP values of the ensemble (all features) on the held-out ECGs, in units of its "
                                  "score (its predict_proba from class-balanced training, not a calibrated "
                                  f"probability), against a background of {len(bg)} training ECGs.")
    tables.update(block.tables())
    state["wct_warning_at"] = "above the SHAP summary of the WCT model"  # said in full there, once
    return [_discrimination_block(state["wct_disc"], "WCT ensemble", "explained below"), block]


def _wct_adds(cfg: StudyConfig, meta: pd.DataFrame, X: pd.DataFrame, groups: pd.Series, tables: dict,
              summary_lines: list[str], feats: pd.DataFrame | None = None) -> list[Any]:
    """"What the model adds over the rule": VT versus supraventricular WCT (:func:`wct.vt_versus_svt`)."""
    from interp_ecg.explain import pretty_name
    from interp_ecg.report import MetricsBlock, TableBlock, TextBlock

    heading = "What the model adds over the rule"
    if "sim_condition" not in meta.columns:
        return [TextBlock(heading, "Needs the simulator's ground-truth rhythm (synthetic source only).", level=2)]
    params, seed = cfg.params, int(cfg.seed)
    folds, n_boot = int(params.cv_folds), int(params.n_boot)
    res = wct.vt_versus_svt(pipeline.make_ensemble(params.models, seed, MODEL_JOBS), X, meta["sim_condition"],
                            groups, meta["sim_wct"] if "sim_wct" in meta.columns else None, cv_folds=folds,
                            n_boot=n_boot, random_state=seed)
    cases = (f"{res.n_wct} measurable ECGs of {res.n_patients} patients whose simulated rhythm is a WCT: {res.n_vt} "
             f"ventricular tachycardia, {res.n_wct - res.n_vt} supraventricular (SVT with aberrant conduction, sinus "
             "tachycardia with bundle branch block)")
    left = wct_left_out(meta, X.index, feats)
    if not len(res.metrics):
        return [TextBlock(heading, f"Too few cases for {folds}-fold patient-wise cross-validation "
                                   f"of VT versus supraventricular WCT ({cases}).{left}", level=2)]
    adds, errs = res.metrics, res.rule_errors
    tables.update(wct_adds_vt_vs_svt=adds, wct_adds_rule_errors=errs)
    auc = adds[adds["metric"] == "roc_auc"].set_index("model")["estimate"]
    drivers = ""
    if res.drivers is not None:
        tables["wct_adds_vt_drivers"] = res.drivers
        drivers = (" Largest mean |SHAP| of that model refitted on all the WCT ECGs (a description of the "
                   "model, not an evaluation): " + ", ".join(pretty_name(f) for f in res.drivers["feature"][:5]) +
                   ". They reflect how the simulator generates these rhythms, not validated clinical VT criteria.")
    blocks: list[Any] = [
        TextBlock(heading,
                  f"The rule only re-states the definition; the clinical question at the bedside is "
                  f"whether a WCT is ventricular. Among the {cases}, the rule calls {res.n_rule_positive} of "
                  f"{res.n_wct} WCT, so it cannot separate VT from SVT (ROC-AUC {auc[RULE]:.3f}).{left} The same "
                  f"ensemble ({', '.join(params.models)}) trained on this label scores each ECG out of "
                  f"fold ({folds} patient-wise folds: no patient is in its own training "
                  f"fold); bootstrap 95% CIs resample patients ({n_boot} replicates). "
                  f"'{NODEF}' is trained without the columns the rule can be recomputed from "
                  f"({', '.join(res.defining)}).{drivers}", level=2),
        MetricsBlock(adds[adds["metric"].isin(ADDS_METRICS)]
                     .sort_values("metric", key=lambda m: m.map(ADDS_METRICS.index), kind="stable")
                     .drop(columns=["task", "features", "score_type"]),
                     heading="", name="wct_adds_vt_vs_svt", transpose=False, level=2,
                     caption=f"VT (positive) versus supraventricular WCT, n = {res.n_wct} ECGs ({res.n_patients} "
                             f"patients), {res.n_vt} VT: estimate (95% CI). The rule is a hard 0/1 score."),
    ]
    if len(errs):
        blocks.append(TableBlock(wct.rule_errors_in_words(errs), name="wct_adds_rule_errors",
                                 caption="ECGs the rule gets wrong against the ground-truth WCT, and the ensemble "
                                         "trained on that label (out-of-fold score >= 0.5, same folds) on them."))
    summary_lines.append(
        f"What the model adds: VT versus supraventricular WCT ({res.n_wct} measurable ECGs, {res.n_vt} VT), "
        "out-of-fold ROC-AUC "
        f"{auc['ensemble, all features']:.3f} (all features), {auc[NODEF]:.3f} (defining features removed), "
        f"rule {auc[RULE]:.3f}.")
    return blocks


def _prototypes(cfg: StudyConfig, ds, state: dict, tables: dict, summary_lines: list[str]) -> list[Any]:
    """The prototype network (:func:`ptbxl_prototypes.fit_cpu_network`) on the WCT split."""
    from interp_ecg.evaluate.metrics import MIN_PER_CLASS_FOR_CI
    from interp_ecg.report import MetricsBlock, PrototypeGalleryBlock, TextBlock
    from interp_ecg.studies.ptbxl_prototypes import (
        fit_cpu_network, gallery_items, gallery_shown_note, statement_metrics,
    )

    params, seed = cfg.params, int(cfg.seed)
    labels, groups = ds.labels, ds.meta["patient_id"]
    in_test = (ds.meta.index.isin(state["Xte"].index) if "test" in state  # the WCT split, else a new one
               else pipeline.patient_split(groups, labels.iloc[:, 0].astype(int), params.test_size, seed))
    test = pd.Series(in_test, index=ds.meta.index)
    fit = fit_cpu_network(ds, test, list(params.prototype_classes), max_train=params.max_prototype_train,
                          prototypes_per_class=params.prototypes_per_class, epochs=params.epochs,
                          random_state=seed)
    clf = fit.model
    pm = statement_metrics(labels.loc[fit.test_ids, list(clf.classes_)], fit.test_scores, groups.loc[fit.test_ids],
                           model="prototype network", n_boot=params.n_boot, random_state=seed)
    tables.update(prototype_metrics=pm, prototype_similarities=fit.similarities,
                  prototypes=clf.prototype_sources_.copy().reset_index())
    state.update(proto=clf, ds100=fit.dataset_100hz, proto_sims=fit.similarities)
    macro_row = _macro_auroc(labels.loc[fit.test_ids], fit.test_scores, groups.loc[fit.test_ids], pm,
                             n_boot=params.n_boot, seed=seed)
    if macro_row is not None:
        tables["prototype_metrics"] = pd.concat([pm, macro_row.to_frame().T], ignore_index=True)
    disc = state["proto_disc"] = pipeline.discrimination(pm, "the prototype network", macro=macro_row)
    shown = tables["prototype_metrics"]
    pm_wide = shown.assign(model=shown["label"]).drop(columns=["label"]) if len(shown) else shown
    averaged, too_few = macro_statements(pm)  # the same minimum as the intervals' (user18 F12)
    auc_rows = pm[pm["metric"] == "roc_auc"].drop_duplicates("label") if len(pm) else pm
    macro = (float(macro_row["estimate"]) if macro_row is not None
             else float(auc_rows.set_index("label").loc[averaged[0], "estimate"]) if len(averaged) == 1
             else float("nan"))  # one estimable statement: its own ROC-AUC; none: no figure
    positives = ", ".join(f"{r.label} {int(r.n_positive)}" for r in auc_rows.itertuples()) if len(pm) else ""
    dropped = left_out_sentence(list(params.prototype_classes), fit.left_out)
    what = "macro ROC-AUC" if len(averaged) > 1 else "ROC-AUC"
    figure = (f"{what} {macro:.3f} over {', '.join(averaged)}" if np.isfinite(macro)
              else "no ROC-AUC estimated")
    few_items = ", ".join(f"{k} ({v} positive" + ("" if v == 1 else "s") + ")" for k, v in too_few.items())
    few = (f"; not averaged, too few held-out positives or negatives for an estimate (fewer than "
           f"{MIN_PER_CLASS_FOR_CI} of a class): {few_items}" if too_few else "")
    summary_lines.append(
        f"Prototype network: {len(clf.feature_names_out_)} prototypes for {len(clf.classes_)} statements, "
        f"trained on {len(fit.train_ids)} ECGs in {fit.fit_seconds:.0f} s (CPU); {figure} on "
        f"{len(fit.test_ids)} held-out ECGs (positives per statement: {positives or 'none'}){few}.{dropped}"
        + (f" Warning: {disc.warning}" if disc.warning else ""))
    return [
        TextBlock("Prototype network (this looks like that)",
                  f"A small ProtoECGNet-style network (a rhythm branch with global prototypes and a "
                  f"morphology branch with time-localised prototypes, both on 1D backbones to fit a "
                  f"CPU budget; {params.prototypes_per_class} prototypes per statement) trained on "
                  f"{len(fit.train_ids)} ECGs at 100 Hz, same patient-wise split. Every prototype was "
                  f"replaced by its nearest real training segment (push), so each can be shown. Its outputs are "
                  "scores from a class-weighted loss (positives weighted n_negative / n_positive), not calibrated "
                  "probabilities: this split holds no validation ECGs to calibrate them on (training and held-out "
                  f"ECGs only), and ROC-AUC and PR-AUC use their ranking only.{dropped}",
                  warning=disc.reference(PROTO_WARNING_AT)),
        MetricsBlock(pm_wide, heading="", caption="Prototype network on held-out patients, per statement: "
                     "estimate (95% CI). Positives: held-out ECGs positive for the statement; in the macro row, "
                     "held-out ECGs positive for at least one of them. The macro row averages the statements with "
                     f"at least {MIN_PER_CLASS_FOR_CI} held-out positives and negatives"
                     + (f" ({', '.join(averaged)})" if averaged else "") + ".", name="prototype_metrics", transpose=False,
                     level=2),
        PrototypeGalleryBlock(gallery_items(clf, per_class=1), heading="Prototype gallery (one per statement)",
                              shown_note=gallery_shown_note(clf, 1),
                              text=disc.text + (f" Warning: {disc.reference(PROTO_WARNING_AT)}"
                                                if disc.warning else ""), level=2),
    ]


def left_out_sentence(asked: list[str], left_out: dict[str, str]) -> str:
    """The configured prototype statements the network was not trained on, and why (``""`` when none).

    Examples
    --------
    >>> from interp_ecg.studies.demo import left_out_sentence
    >>> left_out_sentence(["NORM", "STACH"], {"STACH": "0 positive training ECGs, 3 needed"})
    ' Of the 2 configured statements (NORM, STACH), 1 was left out (a statement needs at least 3 positive training ECGs and 1 positive held-out ECG): STACH (0 positive training ECGs, 3 needed).'
    """
    from interp_ecg.studies.ptbxl_prototypes import left_out_text

    if not left_out:
        return ""
    return (f" Of the {len(asked)} configured statements ({', '.join(asked)}), {len(left_out)} "
            f"{'was' if len(left_out) == 1 else 'were'} left out (a statement needs at least 3 positive "
            f"training ECGs and 1 positive held-out ECG): {left_out_text(left_out)}.")


def macro_statements(pm: pd.DataFrame, min_per_class: int | None = None) -> tuple[list[str], dict[str, int]]:
    """The statements a macro ROC-AUC may average: those with enough held-out positives and negatives.

    A statement whose held-out positives (or negatives) are fewer than ``min_per_class``
    (:data:`~interp_ecg.evaluate.metrics.MIN_PER_CLASS_FOR_CI`, the minimum under which the
    same report gives no interval) is too few for an estimate, and is not averaged into a
    headline figure either.

    Parameters
    ----------
    pm : pandas.DataFrame
        Per-statement metric rows (``label``, ``metric``, ``n``, ``n_positive``).
    min_per_class : int, optional

    Returns
    -------
    (list of str, dict of str to int)
        The statements averaged, and those left out with their held-out positives.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.demo import macro_statements
    >>> pm = pd.DataFrame({"label": ["NORM", "AFIB", "SBRAD"], "metric": "roc_auc", "n": 60,
    ...                    "n_positive": [20, 2, 4]})
    >>> macro_statements(pm)
    (['NORM'], {'AFIB': 2, 'SBRAD': 4})
    """
    from interp_ecg.evaluate.metrics import MIN_PER_CLASS_FOR_CI

    k = MIN_PER_CLASS_FOR_CI if min_per_class is None else int(min_per_class)
    if not len(pm):
        return [], {}
    auc = pm[pm["metric"] == "roc_auc"].drop_duplicates("label")
    pos = pd.to_numeric(auc["n_positive"], errors="coerce")
    neg = pd.to_numeric(auc["n"], errors="coerce") - pos
    ok = (pos >= k) & (neg >= k)
    return list(auc.loc[ok, "label"]), {str(lab): int(n) for lab, n in zip(auc.loc[~ok, "label"], pos[~ok])}


def _macro_auroc(labels: pd.DataFrame, scores: pd.DataFrame, groups: pd.Series, pm: pd.DataFrame, *,
                 n_boot: int, seed: int) -> pd.Series | None:
    """Macro-mean held-out ROC-AUC over the statements ``pm`` scores with enough held-out positives
    (:func:`macro_statements`), patients bootstrapped jointly."""
    from interp_ecg.evaluate import metrics_table

    scored, _ = macro_statements(pm)
    if len(scored) < 2:
        return None
    with warnings.catch_warnings():  # a replicate without a statement's positives: NaN, the interval says so
        warnings.simplefilter("ignore", RuntimeWarning)
        t = metrics_table(labels[scored].astype(float), scores[scored], groups, n_boot=n_boot, random_state=seed,
                          metrics=("roc_auc",))
    row = t[t["label"] == "macro"].iloc[0].copy()
    row["model"] = "prototype network"
    return row


def _discrimination_block(disc: pipeline.Discrimination, model: str, role: str, where: str | None = None) -> Any:
    """The held-out discrimination of the model whose explanations follow, with a warning heading
    when it is not shown better than chance (:func:`pipeline.discrimination`); the warning in full,
    or, given ``where`` (it is said in full there), a one-line reference to it."""
    from interp_ecg.report import TextBlock

    heading = (f"Warning: the {model} {role} is not shown to discriminate" if disc.warning
               else f"Held-out discrimination of the {model} {role}")
    return TextBlock(heading, disc.text, level=2, warning=disc.reference(where) if where else disc.warning)


def _prototype_cards(ds, state: dict, tables: dict, seed: int) -> list[Any]:
    """Prototype cards of the demo's prototype network (glossary, one card per class)."""
    from interp_ecg.explain import prototype_cards
    from interp_ecg.report import card_blocks

    cards = prototype_cards(state["proto"], ds, state["feats"], similarities=state["proto_sims"],
                            phewas=tables.get("phewas"), random_state=seed)
    tables["prototype_cards"] = cards.table.reset_index()
    return card_blocks(cards, max_per_class=1)


def _phewas(cfg: StudyConfig, ds, cohort_dir: Path | None, state: dict, tables: dict,
            summary_lines: list[str]) -> list[Any]:
    """PheWAS (:func:`pipeline.cohort_phewas`) of the prototype similarities (else three features)."""
    from interp_ecg import phenotype
    from interp_ecg.report import PhewasBlock
    from interp_ecg.phenotype.analyses import significant_associations

    if "proto_sims" in state:
        expo, what = state["proto_sims"], "prototype similarities"
    else:
        expo, what = state["feats"][["QRS_duration_ms", "heart_rate_bpm", "QTc_Bazett_ms"]], "fiducial features"
    method = cfg.params.phewas_method
    res = pipeline.cohort_phewas(expo, ds.meta,
                                 cfg.data.diagnoses or (cohort_dir / "diagnoses.csv"), cfg.data.phecode_map,
                                 min_cases=cfg.params.min_cases, method=method, scheduler=cfg.scheduler,
                                 # the simulator writes every diagnosis of every patient it makes
                                 full_population=cfg.data.diagnoses is None)
    summary = tables["phewas"] = res.summary
    planted = ""
    dx_path = Path(cfg.data.diagnoses or (cohort_dir / "diagnoses.csv")) if (cfg.data.diagnoses or cohort_dir) else None
    if dx_path is not None and dx_path.is_file():
        planted = planted_diagnoses_sentence(pd.read_csv(dx_path))
    # a separated fit is not a finding (user18 F7): counted apart
    sig, sig_separated = significant_associations(summary, 0.05)
    separated = (f" (and {sig_separated} more from {'a fit' if sig_separated == 1 else 'fits'} with separation, "
                 "flagged in the table and not counted)" if sig_separated else "")
    summary_lines.append(
        f"PheWAS: {res.n_exposures} {what} x {res.n_outcomes} outcomes in {res.n_subjects} patients "
        f"({phenotype.describe_method(summary, 'age and sex')}): {sig} associations with q < 0.05{separated}."
        + (f" {planted}" if planted else ""))
    return [PhewasBlock(summary, heading="Phenome-wide association study",
                        text=f"Exposures: {what}, averaged per patient. Outcomes: the cohort's ICD-10 "
                             f"diagnoses. {planted + ' ' if planted else ''}{res.note} Models: {phenotype.describe_method(summary, 'age and sex')}"
                             f"{' (Firth: robust to separation in small groups)' if method == 'firth' else ''}; "
                             "odds ratios are per standard deviation of the exposure; q values are "
                             "Benjamini-Hochberg.")]


def planted_diagnoses_sentence(diagnoses: pd.DataFrame) -> str:
    """What a reader must know of simulated diagnoses: how many are planted from the ECG condition.

    The simulator writes some diagnoses of each patient *from* the patient's simulated ECG
    condition (column ``planted``: an RBBB ECG, a right bundle branch block code); a PheWAS of
    the ECG's prototype similarities then recovers those links by construction.

    Parameters
    ----------
    diagnoses : pandas.DataFrame
        The cohort's diagnoses (``patient_id``, ``icd_code``, optionally ``planted``).

    Returns
    -------
    str
        A sentence; empty when the table has no ``planted`` column or plants nothing.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.demo import planted_diagnoses_sentence
    >>> dx = pd.DataFrame({"patient_id": ["a", "a", "b", "c"], "icd_code": ["I45.10", "E66.9", "I47.2", "E66.9"],
    ...                    "planted": [True, False, True, False]})
    >>> planted_diagnoses_sentence(dx)[:80]
    '2 of the 4 diagnoses (of 2 of 3 patients) are planted by the simulator from the '
    """
    if "planted" not in diagnoses.columns:
        return ""
    planted = diagnoses["planted"].astype(str).str.lower().isin(("true", "1", "1.0"))
    n = int(planted.sum())
    if n == 0:
        return ""
    n_pat = diagnoses.loc[planted, "patient_id"].nunique() if "patient_id" in diagnoses.columns else None
    of_pat = f" (of {n_pat} of {diagnoses['patient_id'].nunique()} patients)" if n_pat is not None else ""
    return (f"{n} of the {len(diagnoses)} diagnoses{of_pat} are planted by the simulator from the patient's "
            "simulated ECG condition (column 'planted' of the cohort's diagnoses.csv, e.g. a right bundle branch "
            "block code for an RBBB ECG): associations of those conditions' prototypes with these diagnoses are "
            "recovered by construction, a check of the method, not findings.")


def _patients(cfg: StudyConfig, ds, state: dict) -> list[Any]:
    """Patient pages of the records :func:`wct.example_records` picks among the held-out ECGs."""
    from interp_ecg.explain import explain_record, interval_mark, sentences_and_marks
    from interp_ecg.features import measured_fiducials
    from interp_ecg.report import PatientBlock, matches_from_explanation

    n = int(cfg.report.n_patients)
    if n == 0 or "preds" not in state:
        return []
    feats, preds, meta = state["feats"], state["preds"], ds.meta
    blocks = []
    for rid in wct.example_records(preds, n):
        rec = ds.load(rid)
        fid = None
        try:
            fid = measured_fiducials(rec)  # the delineation its features were measured from
        except Exception as err:  # noqa: BLE001 - the page still shows the trace
            logger.warning("delineation of %s failed: %s", rid, err)
        sentences: list[str] = []
        marks: list[dict] = []
        row_expl = None
        if state.get("expl") is not None:
            import shap

            expl, i = state["expl"], list(state["Xte"].index).index(rid)
            row_expl = shap.Explanation(values=np.asarray(expl.values)[i], base_values=np.asarray(expl.base_values)[i],
                                        data=np.asarray(expl.data)[i], feature_names=list(expl.feature_names))
            ge = explain_record(state["model"], state["Xte"].loc[[rid]], feature_row=feats.loc[rid],
                                background=state["background"], top=5, target="WCT",
                                random_state=int(cfg.seed), fiducials=fid)
            sentences, marks = sentences_and_marks(ge, fs=rec.fs)
        matches, matches_note, matches_warning = [], "", ""
        if "proto" in state:
            known = ", ".join(map(str, state["proto"].classes_))
            matches_note = (f"The prototype network was trained on the statements {known} only (it has no "
                            "VT or WCT class): a match says which of them this ECG resembles, not the WCT "
                            f"model's reasoning. {state['proto_disc'].text}")
            matches_warning = state["proto_disc"].reference(PROTO_WARNING_AT)
            try:
                matches = matches_from_explanation(state["proto"].explain(state["ds100"].load(rid)), n=2)
            except Exception as err:  # noqa: BLE001
                logger.warning("prototype explanation of %s failed: %s", rid, err)
        # the rule's own measurement is always shown on the trace, attributed or not
        qrs_mark = interval_mark(feats.loc[rid], "QRS_duration_ms")
        if qrs_mark is not None and not any(m["label"].startswith("QRS") for m in marks):
            marks.append(qrs_mark)
        blocks.append(PatientBlock(rid, rec.signal, rec.fs, rec.leads, fiducials=fid, marks=marks,
                                   explanation=row_expl, sentences=sentences, feature_row=feats.loc[rid],
                                   summary=wct.patient_summary(preds.loc[rid], feats.loc[rid], meta.loc[rid]),
                                   matches=matches, patient_id=meta.loc[rid, "patient_id"],
                                   heading="Patient page", waterfall_title="WCT score (not a calibrated probability)",
                                   matches_note=matches_note, matches_warning=matches_warning,
                                   explanation_note=(state["wct_disc"].paragraph(state.get("wct_warning_at"))
                                                     if "wct_disc" in state else "")))
        # the full warning once: the later pages refer to the first
        state.setdefault("wct_warning_at", "on the first patient page")
    return blocks
