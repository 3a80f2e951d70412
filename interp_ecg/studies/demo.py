"""The demo study: the whole package on one synthetic cohort, ending in a PDF a clinician reads.

synthetic cohort (PTB-XL layout, ground truth) -> fiducial features -> WCT ensemble with the
rule baseline, evaluated against the simulator's ground-truth rhythm and (flagged as circular)
against the rule label -> SHAP (global and per patient, grounded in measured intervals) ->
a small ProtoECGNet-style prototype network -> PheWAS of prototype similarities against the
cohort's ICD-10 diagnoses -> report.

Sections whose module is not importable are skipped with a note in the log and in the report;
a section that fails is reported as failed, and the rest still runs.

Run it with ``interp-ecg demo`` or ``interp-ecg study run`` on a YAML with ``kind: demo``.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.studies import pipeline, wct
from interp_ecg.studies.runner import StudyResult
from interp_ecg.studies.wct import ENSEMBLE as ENS
from interp_ecg.studies.wct import RULE
from interp_ecg.studies.wct import WITHOUT_DEFINING as NODEF

logger = logging.getLogger(__name__)

DEFAULT_PARAMS: dict[str, Any] = {
    "models": ["rf", "xgb", "lgbm"],
    "test_size": 0.3,
    "n_boot": 200,
    "epochs": 2,
    "max_prototype_train": 120,
    "prototype_classes": ["NORM", "AFIB", "STACH", "SBRAD", "CLBBB", "CRBBB", "LVH", "IMI"],
    "prototypes_per_class": 2,
    "min_cases": 5,
    "phewas_method": "firth",
    "keep_cohort": False,
    "sections": ["wct", "prototypes", "phewas"],
    # prevalence multiplier of the wide-complex tachycardias (VT, SVT with aberrancy, sinus
    # tachycardia with BBB) in the simulator's default mix, so that the VT-versus-SVT analysis
    # has enough cases in a small cohort (1: the default mix)
    "wct_enrichment": 3.0,
    "cv_folds": 5,
}

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


class _Steps:
    """Logs "[i/n] step" with timings, and a rich progress bar over the steps."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.i = 0
        self.times: dict[str, float] = {}

    @contextlib.contextmanager
    def step(self, name: str):
        self.i += 1
        logger.info("[%d/%d] %s ...", self.i, len(self.names), name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.times[name] = time.perf_counter() - t0
            logger.info("[%d/%d] %s done in %.1f s", self.i, len(self.names), name, self.times[name])


class _Sections:
    """Run optional sections; record skipped (not importable) and failed ones."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.status: dict[str, str] = {}

    @contextlib.contextmanager
    def section(self, name: str):
        try:
            yield
            self.status[name] = "done"
        except ImportError as err:
            msg = f"Section '{name}' skipped: a module it needs is not available ({err})."
            logger.warning(msg)
            self.notes.append(msg)
            self.status[name] = "skipped"
        except Exception as err:  # noqa: BLE001 - a demo never dies on one section
            logger.exception("section %s failed", name)
            self.notes.append(f"Section '{name}' failed: {type(err).__name__}: {err}")
            self.status[name] = "failed"


def _cohort(cfg: dict, out_dir: Path) -> tuple[Any, Path | None, bool]:
    """The dataset (500 Hz), its folder, and whether the folder is temporary."""
    from interp_ecg.io import read_ptbxl

    data = cfg["data"]
    if data["source"] == "ptbxl":
        return read_ptbxl(data["path"], sampling_rate=data["sampling_rate"]), Path(data["path"]), False
    from interp_ecg.simulate import cohort

    folder = Path(data["cache_dir"]) if data["cache_dir"] else out_dir / "cohort"
    marker = folder / "ptbxl_database.csv"
    enrich = float(cfg["params"]["wct_enrichment"])
    tag = folder / f".seed-{cfg['seed']}-wct{enrich:g}"
    reuse = bool(data["cache_dir"]) and marker.exists() and len(pd.read_csv(marker)) == data["n_records"] and tag.exists()
    if not reuse:
        cohort(data["n_records"], folder, random_state=cfg["seed"], n_jobs=cfg["n_jobs"], progress=True,
               conditions=wct.enriched_condition_mix(enrich))
        tag.touch()
    temporary = not data["cache_dir"] and not cfg["params"]["keep_cohort"]
    return read_ptbxl(folder, sampling_rate=500), folder, temporary


def _table1_groups(meta: pd.DataFrame) -> pd.Series | None:
    if "sim_condition" in meta.columns and meta.get("sim_wct") is not None:
        return pd.Series(np.where(meta["sim_wct"].astype(bool), "WCT (ground truth)", "no WCT"), index=meta.index)
    return None


def _features(cfg: dict, ds) -> pd.DataFrame:
    if cfg["data"]["features"]:  # a feature table computed before (same records)
        feats = pd.read_parquet(cfg["data"]["features"])
        feats.index = feats.index.astype(ds.meta.index.dtype)
    else:
        from interp_ecg.features import extract

        feats = extract(ds, n_jobs=cfg["n_jobs"], scheduler=cfg["scheduler"], progress=True)
    return feats.reindex(ds.meta.index)


def run_demo_study(cfg: dict, out_dir: Path) -> StudyResult:
    """Run the demo pipeline (see the module docstring); returns tables and the report."""
    from interp_ecg.report import CohortTableBlock, Report, TextBlock, TitleBlock
    from interp_ecg.studies.runner import package_versions

    params = cfg["params"]
    seed = int(cfg["seed"])
    steps = _Steps(["cohort", "features", "WCT models", "SHAP", "prototype network", "PheWAS", "patient pages"])
    sections = _Sections()
    tables: dict[str, pd.DataFrame] = {}
    rep = Report(cfg["report"].get("title") or "interp-ecg demonstration report",
                 pseudonymise=cfg["report"]["pseudonymise"], paper=cfg["report"]["paper"])
    state: dict[str, Any] = {}
    with steps.step("cohort"):
        ds, cohort_dir, temporary = _cohort(cfg, Path(out_dir))
    meta = ds.meta
    with steps.step("features"):
        feats = _features(cfg, ds)
    tables["features"] = state["feats"] = feats
    n_ok = int(feats["quality_ok"].astype(bool).sum()) if "quality_ok" in feats.columns else len(feats)
    summary_lines = [
        f"Cohort: {len(ds)} synthetic 12-lead ECGs (10 s, 500 Hz) of {meta['patient_id'].nunique()} "
        f"patients, written in the PTB-XL layout with ground-truth rhythm, fiducial points and ICD-10 "
        f"diagnoses. Fiducial features: {feats.shape[1]} columns per ECG; {n_ok} ECGs measurable.",
    ]
    enrich = float(params["wct_enrichment"])
    if cfg["data"]["source"] != "ptbxl" and enrich != 1.0:
        summary_lines[0] += (f" Wide-complex tachycardias enriched {enrich:g}x over the simulator's default mix "
                             "(to study VT vs SVT; prevalences are not clinical).")
    blocks: dict[str, list[Any]] = {k: [] for k in ("wct", "prototypes", "phewas", "cards", "patients")}
    if "wct" in params["sections"]:
        with sections.section("WCT models"), steps.step("WCT models"):
            blocks["wct"] += _wct(cfg, feats, meta, state, tables, summary_lines)
        if "model" in state:
            with sections.section("SHAP"), steps.step("SHAP"):
                blocks["wct"].append(_shap(state, tables, seed))
    if "prototypes" in params["sections"]:
        with sections.section("prototype network"), steps.step("prototype network"):
            blocks["prototypes"] += _prototypes(cfg, ds, state, tables, summary_lines)
    if "phewas" in params["sections"]:
        with sections.section("PheWAS"), steps.step("PheWAS"):
            blocks["phewas"] += _phewas(cfg, ds, cohort_dir, state, tables, summary_lines)
    if "proto" in state:  # after the PheWAS, whose hits the cards list
        with sections.section("prototype cards"):
            blocks["cards"] += _prototype_cards(ds, state, tables, seed)
    with sections.section("patient pages"), steps.step("patient pages"):
        blocks["patients"] += _patients(cfg, ds, state)

    meta_t1 = pipeline.with_sex_labels(meta)
    rep.add(TitleBlock(rep.title, "Synthetic cohort -> features -> explained WCT ensemble -> "
                                  "prototype network -> PheWAS",
                       summary="\n\n".join(summary_lines), config=cfg, seed=seed,
                       versions={k: v for k, v in package_versions().items()
                                 if k in ("python", "interp-ecg", "numpy", "pandas", "scikit-learn",
                                          "xgboost", "lightgbm", "shap", "torch")}))
    if sections.notes:
        rep.add(TextBlock("Sections not shown", "\n\n".join(sections.notes), level=2))
    t1 = CohortTableBlock(meta_t1, by=_table1_groups(meta_t1),
                          note="Age in years; one row per ECG; patients may have several ECGs.")
    tables["table1"] = t1.frame
    rep.add(t1)
    for key in ("wct", "patients", "prototypes", "phewas", "cards"):
        rep.add(*blocks[key])
    rep.add(TextBlock("Methods and limitations", METHODS_TEXT, page_break=False))
    tables["sections"] = pd.DataFrame({"section": list(sections.status), "status": list(sections.status.values())})
    tables["timings"] = pd.DataFrame({"step": list(steps.times), "seconds": list(steps.times.values())})
    if temporary and cohort_dir is not None:
        dx = cohort_dir / "diagnoses.csv"
        tables["diagnoses"] = pd.read_csv(dx) if dx.exists() else pd.DataFrame()
        shutil.rmtree(cohort_dir, ignore_errors=True)
    return StudyResult(tables=tables, report=rep, notes=list(sections.notes))


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
    "Identifiers are pseudonymised (P001, P002, ...) unless the run asked otherwise.")
SHOW_METRICS = ["roc_auc", "pr_auc", "balanced_accuracy", "recall", "precision", "brier"]
ADDS_METRICS = ("roc_auc", "pr_auc", "balanced_accuracy")


def _wct(cfg: dict, feats: pd.DataFrame, meta: pd.DataFrame, state: dict, tables: dict,
         summary_lines: list[str]) -> list[Any]:
    """WCT ensemble, without defining features, and the rule against the ground truth (one split)."""
    from interp_ecg.features import model_columns
    from interp_ecg.report import CurvesBlock, MetricsBlock, TextBlock

    params, seed = cfg["params"], int(cfg["seed"])
    X_all = feats[model_columns(feats)]
    ok = feats["quality_ok"].astype(bool) if "quality_ok" in feats.columns else pd.Series(True, index=feats.index)
    y_rule = wct.wct_rule_label(feats["QRS_duration_ms"], feats["heart_rate_bpm"])
    has_truth = "sim_wct" in meta.columns
    y_truth = meta["sim_wct"].astype(int) if has_truth else y_rule
    usable = ok & y_truth.notna() & y_rule.notna()
    X, yt, yr, g = X_all[usable], y_truth[usable].astype(int), y_rule[usable].astype(int), meta["patient_id"][usable]
    test = pipeline.patient_split(g, yt, params["test_size"], seed)
    label_name = "ground-truth WCT" if has_truth else "rule label"
    res = wct.holdout_comparison(pipeline.make_ensemble(params["models"], seed, MODEL_JOBS), X, yt, yr, g, test,
                                 n_boot=params["n_boot"], random_state=seed, truth_name=label_name)
    m_truth, m_circ, preds = res.metrics, res.metrics_circular, res.predictions
    tables.update(wct_metrics=m_truth, wct_metrics_circular=m_circ, wct_predictions=preds)
    state.update(X=X, Xtr=X[~test], Xte=X[test], yt=yt, test=test, model=res.model, preds=preds, groups=g)
    auc = m_truth.set_index(["model", "metric"])["estimate"]
    truth = yt[test].to_numpy()
    rule_wrong = int(((preds[RULE].to_numpy() >= 0.5).astype(int) != truth).sum())
    ens_wrong = int(((preds[ENS].to_numpy() >= 0.5).astype(int) != truth).sum())
    n_test = int(test.sum())
    text = (f"Task: detect WCT from fiducial features. Patient-wise split: {int((~test).sum())} ECGs for training, "
            f"{n_test} held out ({int(yt[test].sum())} WCT by ground truth). Ensemble of "
            f"{', '.join(params['models'])} (soft voting). Metrics on the held-out patients, bootstrap 95% CIs "
            f"resampled by patient ({params['n_boot']} replicates). Against the ground truth, the rule misclassifies "
            f"{rule_wrong} of {n_test} held-out ECGs and the ensemble (threshold 0.5) {ens_wrong}. '{NODEF}' is "
            f"trained without the {len(res.defining)} columns from which the rule can be recomputed (QRS duration, "
            "heart rate, RR mean/min/max, QTc, JT, Cornell product): what the other features carry. The ground "
            "truth here is the definition applied to the simulator's true QRS duration and rate, so the rule on "
            "measured values can only err by measurement error; the next section asks what the rule cannot answer.")
    blocks = [
        TextBlock("Wide QRS complex tachycardia (WCT)", text),
        MetricsBlock(m_truth[m_truth["metric"].isin(SHOW_METRICS)], heading="Performance against the ground-truth rhythm",
                     caption=f"WCT detection against {label_name}, held-out patients; estimate (95% CI).",
                     note=WCT_CIRCULAR_NOTE, name="wct_metrics", level=2),
        MetricsBlock(m_circ[m_circ["metric"].isin(SHOW_METRICS)], heading="Against the rule label (circular, for contrast)",
                     caption="The same ensemble trained and tested on the rule label computed from its own inputs: "
                             "high scores by construction.", name="wct_metrics_circular", level=2),
        CurvesBlock(truth, {k: preds[k].to_numpy() for k in (ENS, NODEF, RULE)}, level=2),
    ]
    summary_lines.append(
        f"WCT: against the ground-truth rhythm, the ensemble reaches ROC-AUC {auc[(ENS, 'roc_auc')]:.3f} and the "
        f"rule (QRS >= 120 ms and HR >= 100 bpm) {auc[(RULE, 'roc_auc')]:.3f} on {n_test} held-out ECGs.")
    return blocks + _wct_adds(cfg, meta, X, g, tables, summary_lines)


def _shap(state: dict, tables: dict, seed: int) -> Any:
    from interp_ecg.explain import shap_explanation
    from interp_ecg.report import ShapSummaryBlock

    bg = state["Xtr"].sample(min(100, len(state["Xtr"])), random_state=seed)
    expl = shap_explanation(state["model"], state["Xte"], background=bg, random_state=seed)
    state.update(expl=expl, background=bg)
    block = ShapSummaryBlock(expl, heading="What drives the WCT model (SHAP)", level=2,
                             text="SHAP values of the ensemble (all features) on the held-out ECGs, in probability "
                                  f"units, against a background of {len(bg)} training ECGs.")
    tables.update(block.tables())
    return block


def _wct_adds(cfg: dict, meta: pd.DataFrame, X: pd.DataFrame, groups: pd.Series, tables: dict,
              summary_lines: list[str]) -> list[Any]:
    """"What the model adds over the rule": VT versus supraventricular WCT (:func:`wct.vt_versus_svt`)."""
    from interp_ecg.explain import pretty_name
    from interp_ecg.report import MetricsBlock, TableBlock, TextBlock

    heading = "What the model adds over the rule"
    if "sim_condition" not in meta.columns:
        return [TextBlock(heading, "Needs the simulator's ground-truth rhythm (synthetic source only).", level=2)]
    params, seed = cfg["params"], int(cfg["seed"])
    folds, n_boot = int(params["cv_folds"]), int(params["n_boot"])
    res = wct.vt_versus_svt(pipeline.make_ensemble(params["models"], seed, MODEL_JOBS), X, meta["sim_condition"],
                            groups, meta["sim_wct"] if "sim_wct" in meta.columns else None, cv_folds=folds,
                            n_boot=n_boot, random_state=seed)
    cases = (f"{res.n_wct} ECGs of {res.n_patients} patients whose simulated rhythm is a WCT: {res.n_vt} ventricular "
             f"tachycardia, {res.n_wct - res.n_vt} supraventricular (SVT with aberrant conduction, sinus "
             "tachycardia with bundle branch block)")
    if not len(res.metrics):
        return [TextBlock(heading, f"Too few cases for {folds}-fold patient-wise cross-validation "
                                   f"of VT versus supraventricular WCT ({cases}).", level=2)]
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
                  f"{res.n_wct} WCT, so it cannot separate VT from SVT (ROC-AUC {auc[RULE]:.3f}). The same "
                  f"ensemble ({', '.join(params['models'])}) trained on this label scores each ECG out of "
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
        e = errs.iloc[0]
        show = pd.DataFrame({
            "label": [e["external_label"]], "n ECGs": [e["n_evaluated"]], "rule wrong": [e["n_rule_wrong"]],
            "rule false neg. / false pos.": [f"{e['n_rule_false_negative']} / {e['n_rule_false_positive']}"],
            "ensemble right where rule wrong": [e["n_model_correct_where_rule_wrong"]],
            "ensemble wrong where rule right": [e["n_model_wrong_where_rule_right"]]})
        blocks.append(TableBlock(show, caption="ECGs the rule gets wrong against the ground-truth WCT, and the "
                                               "ensemble trained on that label (out-of-fold probability >= 0.5, "
                                               "same folds) on them.", name="wct_adds_rule_errors"))
    summary_lines.append(
        f"What the model adds: VT versus supraventricular WCT ({res.n_wct} ECGs, {res.n_vt} VT), out-of-fold ROC-AUC "
        f"{auc['ensemble, all features']:.3f} (all features), {auc[NODEF]:.3f} (defining features removed), "
        f"rule {auc[RULE]:.3f}.")
    return blocks


def _prototypes(cfg: dict, ds, state: dict, tables: dict, summary_lines: list[str]) -> list[Any]:
    from interp_ecg.prototypes import ProtoECGNetClassifier
    from interp_ecg.report import MetricsBlock, PrototypeGalleryBlock, TextBlock
    from interp_ecg.studies.ptbxl_prototypes import gallery_items, statement_metrics

    params = cfg["params"]
    seed = int(cfg["seed"])
    ds100 = ds.resample(100)
    labels = ds.labels
    groups = ds.meta["patient_id"]
    test = pd.Series(False, index=ds.meta.index)
    if "test" in state:
        test.loc[state["Xte"].index] = True
    else:
        mask = pipeline.patient_split(groups, labels.iloc[:, 0].astype(int), params["test_size"], seed)
        test[:] = mask
    train_ids = ds.meta.index[~test.to_numpy()]
    test_ids = ds.meta.index[test.to_numpy()]
    if len(train_ids) > params["max_prototype_train"]:  # CPU budget: a random subset of training ECGs
        rng = np.random.default_rng(seed)
        train_ids = pd.Index(sorted(rng.choice(train_ids, params["max_prototype_train"], replace=False)))
    classes = [c for c in params["prototype_classes"] if c in labels.columns
               and labels.loc[train_ids, c].sum() >= 3 and labels.loc[test_ids, c].sum() >= 1]
    if not classes:
        raise ValueError("no statement has enough positives for the prototype network")
    rhythm = [c for c in classes if c in ("AFIB", "STACH", "SBRAD", "SR", "SVTAC", "1AVB")]
    morph = [c for c in classes if c not in rhythm]
    groups_map = {k: v for k, v in {"rhythm": rhythm, "morphology": morph}.items() if v}
    ep = int(params["epochs"])
    # CPU budget: 1D backbones for both branches (the paper's 2D morphology backbone is ~20x
    # slower on a CPU); the morphology branch keeps time-localised (partial) prototypes.
    clf = ProtoECGNetClassifier(preset="small", label_groups=groups_map,
                                prototypes_per_class=params["prototypes_per_class"], width=8, blocks=(1, 1, 1, 1), warmup_epochs=max(1, ep // 2), joint_epochs=ep,
                                last_layer_epochs=1, fusion_epochs=ep, batch_size=32, random_state=seed,
                                device="cpu", branch_types={"rhythm": ("1d", "global"),
                                                            "morphology": ("1d", "partial")})
    train = ds100.subset(list(train_ids))
    t0 = time.perf_counter()
    clf.fit(train, labels.loc[train_ids, classes])
    fit_s = time.perf_counter() - t0
    sims = clf.transform(ds100)
    proba = pd.DataFrame(clf.predict_proba(ds100.subset(list(test_ids))), index=test_ids, columns=clf.classes_)
    pm = statement_metrics(labels.loc[test_ids, list(clf.classes_)], proba, groups.loc[test_ids],
                           model="prototype network", n_boot=params["n_boot"], random_state=seed)
    pm_wide = pm.assign(model=pm["label"]).drop(columns=["label"]) if len(pm) else pm
    tables["prototype_metrics"] = pm
    tables["prototype_similarities"] = sims
    src = clf.prototype_sources_.copy()
    tables["prototypes"] = src.reset_index()
    state.update(proto=clf, ds100=ds100, proto_sims=sims)
    macro = float(pm[pm["metric"] == "roc_auc"]["estimate"].mean()) if len(pm) else float("nan")
    summary_lines.append(
        f"Prototype network: {len(clf.feature_names_out_)} prototypes for {len(clf.classes_)} statements, "
        f"trained on {len(train_ids)} ECGs in {fit_s:.0f} s (CPU); macro ROC-AUC {macro:.3f} on "
        f"{len(test_ids)} held-out ECGs.")
    gallery = gallery_items(clf, per_class=1)
    return [
        TextBlock("Prototype network (this looks like that)",
                  f"A small ProtoECGNet-style network (a rhythm branch with global prototypes and a "
                  f"morphology branch with time-localised prototypes, both on 1D backbones to fit a "
                  f"CPU budget; {params['prototypes_per_class']} prototypes per statement) trained on "
                  f"{len(train_ids)} ECGs at 100 Hz, same patient-wise split. Every prototype was "
                  "replaced by its nearest real training segment (push), so each can be shown."),
        MetricsBlock(pm_wide, heading="", caption="Prototype network on held-out patients, per statement: "
                     "estimate (95% CI).", name="prototype_metrics", transpose=False, level=2),
        PrototypeGalleryBlock(gallery, heading="Prototype gallery (one per statement)", level=2),
    ]


def _prototype_cards(ds, state: dict, tables: dict, seed: int) -> list[Any]:
    """Prototype cards of the demo's prototype network (glossary, one card per class)."""
    from interp_ecg.explain import prototype_cards
    from interp_ecg.report import card_blocks

    cards = prototype_cards(state["proto"], ds, state["feats"], similarities=state["proto_sims"],
                            phewas=tables.get("phewas"), random_state=seed)
    tables["prototype_cards"] = cards.table.reset_index()
    return card_blocks(cards, max_per_class=1)


def _phewas(cfg: dict, ds, cohort_dir: Path | None, state: dict, tables: dict, summary_lines: list[str]) -> list[Any]:
    from interp_ecg import phenotype
    from interp_ecg.report import PhewasBlock

    if not hasattr(phenotype, "phewas"):
        raise ImportError("interp_ecg.phenotype.phewas is not available yet")
    diag_path = Path(cfg["data"]["diagnoses"]) if cfg["data"]["diagnoses"] else (cohort_dir / "diagnoses.csv")
    if not diag_path.exists():
        raise FileNotFoundError(f"diagnoses table not found: {diag_path}")
    diagnoses = pd.read_csv(diag_path, dtype={"icd_code": str})
    meta = ds.meta
    if "proto_sims" in state:
        expo = state["proto_sims"].copy()
        what = "prototype similarities"
    else:
        feats = state["feats"]
        expo = feats[["QRS_duration_ms", "heart_rate_bpm", "QTc_Bazett_ms"]].copy()
        what = "fiducial features"
    expo = expo.join(meta[["patient_id", "age", "sex"]])
    exposures = [c for c in expo.columns if c not in ("patient_id", "age", "sex")]
    per = pipeline.per_subject_table(expo, "patient_id", exposures, ["age", "sex"])
    per = per.dropna()
    outcomes, labels, note = pipeline.phecode_outcomes(diagnoses, per.index, cfg["data"]["phecode_map"],
                                                       min_cases=cfg["params"]["min_cases"],
                                                       sex=pipeline.sex_labels(per["sex"]))
    sex_excluded = dict(outcomes.attrs.get("sex_excluded", {}))
    outcomes = outcomes.reindex(per.index)
    summary = phenotype.phewas(per[exposures], outcomes, per[["age", "sex"]], method=cfg["params"]["phewas_method"],
                               min_cases=cfg["params"]["min_cases"], scheduler=cfg["scheduler"],
                               standardize=True)
    if len(labels) and "phecode" in labels.columns:
        keep = [c for c in ("phecode", "description", "category") if c in labels.columns]
        summary = summary.drop(columns=[c for c in keep[1:] if c in summary.columns])
        summary = summary.merge(labels[keep].drop_duplicates("phecode"), on="phecode", how="left")
    summary["n_sex_excluded"] = summary["phecode"].map(sex_excluded).fillna(0).astype(int)
    tables["phewas"] = summary
    sig = int((pd.to_numeric(summary.get("q"), errors="coerce") < 0.05).sum()) if "q" in summary.columns else 0
    summary_lines.append(
        f"PheWAS: {len(exposures)} {what} x {outcomes.shape[1]} outcomes in {len(per)} patients "
        f"({cfg['params']['phewas_method']} logistic regression adjusted for age and sex): {sig} associations "
        "with q < 0.05.")
    return [PhewasBlock(summary, heading="Phenome-wide association study",
                        text=f"Exposures: {what}, averaged per patient. Outcomes: the cohort's ICD-10 "
                             f"diagnoses. {note} Each test is a {'Firth-penalised ' if cfg['params']['phewas_method'] == 'firth' else ''}"
                             "logistic regression (robust to separation in small groups) adjusted for age and "
                             "sex; odds ratios are per standard deviation of the exposure; q values are "
                             "Benjamini-Hochberg.")]


def _patients(cfg: dict, ds, state: dict) -> list[Any]:
    """Patient pages of the records :func:`wct.example_records` picks among the held-out ECGs."""
    from interp_ecg.explain import explain_record, interval_mark, sentences_and_marks
    from interp_ecg.features import delineate, quality_status
    from interp_ecg.report import PatientBlock, matches_from_explanation

    n = int(cfg["report"]["n_patients"])
    if n == 0 or "preds" not in state:
        return []
    feats, preds, meta = state["feats"], state["preds"], ds.meta
    blocks = []
    for rid in wct.example_records(preds, n):
        rec = ds.load(rid)
        fid = None
        try:
            fid = delineate(rec.signal, rec.fs, rec.leads)
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
                                random_state=int(cfg["seed"]), fiducials=fid)
            sentences, marks = sentences_and_marks(ge, fs=rec.fs)
        matches, matches_note = [], ""
        if "proto" in state:
            known = ", ".join(map(str, state["proto"].classes_))
            matches_note = (f"The prototype network was trained on the statements {known} only (it has no "
                            "VT or WCT class): a match says which of them this ECG resembles, not the WCT "
                            "model's reasoning.")
            try:
                matches = matches_from_explanation(state["proto"].explain(state["ds100"].load(rid)), n=2)
            except Exception as err:  # noqa: BLE001
                logger.warning("prototype explanation of %s failed: %s", rid, err)
        # the rule's own measurement is always shown on the trace, attributed or not
        prov = feats.loc[rid]
        qrs_mark = interval_mark(prov, "QRS_duration_ms")
        qrs_txt = "not measured"
        if qrs_mark is not None:
            lead = prov["QRS_duration_lead"]
            qrs_txt = f"{prov['QRS_duration_ms']:.0f} ms ({'lead ' + lead if lead != 'global' else 'consensus'}, marked)"
            if not any(m["label"].startswith("QRS") for m in marks):
                marks.append(qrs_mark)
        p = preds.loc[rid]
        summary = {"WCT probability (ensemble)": float(p[ENS]),
                   "Rule (QRS>=120 & HR>=100)": "positive" if p[RULE] >= 0.5 else "negative",
                   "QRS": qrs_txt,
                   "HR": f"{prov['heart_rate_bpm']:.0f} bpm" if pd.notna(prov.get("heart_rate_bpm")) else "not measured",
                   "Ground truth": f"{'WCT' if p['y_truth'] else 'no WCT'} "
                                   f"({wct.condition_in_words(meta.loc[rid].get('sim_condition', ''))})",
                   "Age/sex": f"{meta.loc[rid, 'age']:.0f} / {'F' if meta.loc[rid, 'sex'] in (1, 'F', 'female') else 'M'}",
                   "Signal quality": quality_status(prov)}
        blocks.append(PatientBlock(rid, rec.signal, rec.fs, rec.leads, fiducials=fid, marks=marks,
                                   explanation=row_expl, sentences=sentences, summary=summary,
                                   matches=matches, patient_id=meta.loc[rid, "patient_id"],
                                   heading="Patient page", waterfall_title="WCT probability",
                                   matches_note=matches_note))
    return blocks
