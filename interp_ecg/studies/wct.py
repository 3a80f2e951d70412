"""Wide QRS complex tachycardia (WCT): the CardioForest comparison, evaluated honestly.

WCT is defined as QRS duration >= 120 ms and heart rate >= 100 bpm. The study

1. measures (or reads) QRS duration and heart rate for every record of the chosen source
   (``synthetic``: a simulated cohort with ground-truth rhythms; ``ptbxl``: the package's
   own fiducial features on PTB-XL; ``mimic``: MIMIC-IV-ECG machine measurements, the
   CardioForest setting);
2. labels every record with the **rule** (the definition applied to the measurements) and
   compares the tuned random forest (CardioForest preset), XGBoost, LightGBM, sklearn
   gradient boosting and a logistic regression on it: out-of-fold **probabilities** from
   patient-wise folds, ROC-AUC/PR-AUC from scores, patient-bootstrap 95% CIs, and the rule
   itself in every table (scored as a hard 0/1 score, so its ROC-AUC equals its balanced
   accuracy);
3. says plainly that this label is **circular** (computed from two of the model's inputs),
   and therefore also evaluates against labels from elsewhere: the synthetic cohort's
   ground-truth rhythm (VT, SVT with aberrancy, sinus tachycardia with bundle branch block),
   PTB-XL statements (tachycardia: STACH/SVTAC/PSVT; wide QRS: CLBBB/CRBBB/IVCD/WPW), or
   MIMIC's machine reports;
4. shows what a model adds over the rule: models trained on the external label with and
   without the defining features (QRS duration, heart rate, RR and their derivatives), and
   their accuracy on the records the rule gets wrong;
5. explains the forest with SHAP (global importance by feature and by wave, grounded
   sentences for a few records).

Examples
--------
>>> from interp_ecg.studies.wct import wct_rule_label
>>> import pandas as pd
>>> wct_rule_label(pd.Series([150, 150, 90, None]), pd.Series([130, 80, 130, 130])).tolist()
[1.0, 0.0, 0.0, nan]
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.errors import ConfigError, DataNotFoundError
from interp_ecg.studies.config import StudyConfig, feature_cache, validate_config
from interp_ecg.studies.params import WctParams as Params
from interp_ecg.studies.runner import StudyResult, step

logger = logging.getLogger(__name__)

WCT_QRS_MS = 120.0
WCT_HR_BPM = 100.0

#: synthetic conditions that are wide-complex tachycardias by construction
SYNTHETIC_WCT_CONDITIONS = ("vt", "svt_aberrant", "stach_bbb")
PTBXL_TACHY = ("STACH", "SVTAC", "PSVT")
PTBXL_WIDE = ("CLBBB", "CRBBB", "IVCD", "WPW")
#: columns from which the rule can be recomputed (dropped in the "without defining features" models)
DEFINING_PATTERNS = (
    r"^QRS_duration", r"^heart_rate", r"^RR_(mean|min|max)", r"^QTc_", r"^JT_interval", r"^Cornell_product",
    r"^rr_interval$", r"^qrs_(onset|end|duration)", r"^qt_interval", r"^t_end$", r"^(qrs|heart_rate)",
)
MIMIC_FEATURES = (
    "rr_interval", "p_onset", "p_end", "qrs_onset", "qrs_end", "t_end", "p_axis", "qrs_axis", "t_axis",
    "heart_rate_bpm", "pr_interval_ms", "p_duration_ms", "qrs_duration_ms", "qt_interval_ms",
)

def wct_rule_label(qrs_ms: pd.Series, hr_bpm: pd.Series) -> pd.Series:
    """1.0 where QRS >= 120 ms and HR >= 100 bpm, 0.0 otherwise, NaN where either is missing."""
    qrs = pd.to_numeric(pd.Series(qrs_ms), errors="coerce").astype(float)
    hr = pd.to_numeric(pd.Series(hr_bpm), errors="coerce").astype(float)
    out = ((qrs >= WCT_QRS_MS) & (hr >= WCT_HR_BPM)).astype(float)
    out[(qrs.isna() | hr.isna()).to_numpy()] = np.nan
    return out.rename("wct_rule")


def settings(config: StudyConfig) -> dict[str, Any]:
    """The analysis settings of a validated WCT study config: what this module's source loaders,
    model factory, cross-validation and explanation helpers read.

    ``data.source`` picks the source; ``data.path``, ``data.n_records``, ``data.sampling_rate``,
    ``data.diagnoses``, ``data.features`` and ``data.cache_dir`` fill its section (PTB-XL
    features are cached in ``data.cache_dir`` when it is set and ``data.features`` is not: see
    :func:`~interp_ecg.studies.config.feature_cache`); ``seed`` and ``n_jobs`` become
    ``random_state`` and ``n_jobs``; the rest comes from ``params``
    (:class:`~interp_ecg.studies.params.WctParams`).
    """
    p, data = config.params, config.data
    return {
        "source": data.source, "random_state": config.seed, "n_jobs": config.n_jobs,
        "n_boot": p.n_boot, "cv_folds": p.cv_folds, "models": list(p.models), "member_params": p["member_params"],
        "tune": p["tune"], "min_positives": p.min_positives, "n_explain": p.n_explain,
        "features_cache": data.features or feature_cache(config),
        "synthetic": {"n": data.n_records, "cohort_dir": data.path or data.cache_dir, "conditions": p["conditions"]},
        "ptbxl": {"root": data.path, "sampling_rate": data.sampling_rate, "max_records": p.max_records},
        "mimic": {"root": data.path, "hosp_dir": data.diagnoses},
    }


# ----------------------------------------------------------------------------- sources
class _Source:
    """What a source gives the study."""

    def __init__(self, X, qrs, hr, groups, external, table, name, notes=()):
        self.X = X
        self.qrs = qrs
        self.hr = hr
        self.groups = groups
        self.external = external
        self.table = table
        self.name = name
        self.notes = list(notes)


def _package_features(ds, cfg, cache: Path | None) -> pd.DataFrame:
    from interp_ecg.features.extract import extract_cached

    return extract_cached(ds, cache, n_jobs=cfg["n_jobs"])


def _feature_columns(table: pd.DataFrame) -> list[str]:
    try:
        from interp_ecg.features import feature_dictionary

        kinds = feature_dictionary()["kind"].to_dict()
    except Exception:
        kinds = {}
    cols = []
    for c in table.columns:
        if kinds and c in kinds and kinds[c] != "feature":
            continue
        if str(c).startswith(("quality_", "sim_")) or c in ("patient_id", "subject_id", "strat_fold"):
            continue
        if c.endswith(("_start_sample", "_end_sample", "_beat", "_lead")):
            continue
        if pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c]):
            cols.append(c)
    return cols


def _from_features(feats: pd.DataFrame, meta: pd.DataFrame, external: pd.DataFrame, name: str, notes=()):
    ok = feats["quality_ok"].astype(bool) if "quality_ok" in feats else pd.Series(True, index=feats.index)
    n_bad = int((~ok).sum())
    notes = list(notes)
    if n_bad:
        notes.append(f"{n_bad} records could not be measured (quality_ok False) and were left out")
    feats = feats[ok.to_numpy()]
    X = feats[_feature_columns(feats)].astype(float)
    for extra in ("age", "female"):
        if extra in meta.columns:
            X[extra] = pd.to_numeric(meta[extra].reindex(X.index), errors="coerce").astype(float)
    if "female" not in X and "sex" in meta.columns:
        X["female"] = pd.to_numeric(meta["sex"].reindex(X.index), errors="coerce").astype(float)
    groups = meta["patient_id"].reindex(X.index).to_numpy()
    return _Source(X, X["QRS_duration_ms"], X["heart_rate_bpm"], groups, external.reindex(X.index), feats,
                   name, notes)


def _synthetic(cfg, out_dir: Path) -> _Source:
    from interp_ecg.io import read_ptbxl
    from interp_ecg.simulate import cohort

    sc = cfg["synthetic"]
    cohort_dir = Path(sc["cohort_dir"]) if sc.get("cohort_dir") else out_dir / "cohort"
    if not (cohort_dir / "ptbxl_database.csv").is_file():
        cohort(int(sc["n"]), cohort_dir, random_state=cfg["random_state"], conditions=sc.get("conditions"),
               n_jobs=cfg["n_jobs"], progress=False)
    ds = read_ptbxl(cohort_dir, sampling_rate=500)
    cache = Path(cfg["features_cache"]) if cfg.get("features_cache") else cohort_dir / "features.parquet"
    feats = _package_features(ds, cfg, cache)
    meta = ds.meta
    cond = meta["sim_condition"].astype(str)
    wct_true = cond.isin(SYNTHETIC_WCT_CONDITIONS).astype(float)
    external = pd.DataFrame({
        "true_wct_rhythm": wct_true,
        "vt_among_true_wct": (cond == "vt").astype(float).where(wct_true == 1),
    }, index=meta.index)
    if "sim_wct" in meta.columns:
        external["rule_on_true_intervals"] = meta["sim_wct"].astype(float)
    notes = ["external labels: simulator ground truth (true_wct_rhythm = VT, SVT with aberrancy or sinus "
             "tachycardia with BBB; vt_among_true_wct = VT versus the supraventricular WCTs; "
             "rule_on_true_intervals = the definition on the simulated, not measured, QRS and rate)"]
    return _from_features(feats, meta, external, "synthetic", notes)


def _ptbxl(cfg, out_dir: Path) -> _Source:
    from interp_ecg.config import dataset_path
    from interp_ecg.io import read_ptbxl

    root = cfg["ptbxl"].get("root") or dataset_path("ptbxl")
    ds = read_ptbxl(root, sampling_rate=int(cfg["ptbxl"].get("sampling_rate", 500)))
    if cfg["ptbxl"].get("max_records"):
        ds = ds.subset(mask=np.arange(len(ds)) < int(cfg["ptbxl"]["max_records"]))
    cache = Path(cfg["features_cache"]) if cfg.get("features_cache") else None
    feats = _package_features(ds, cfg, cache)
    labels = ds.labels.reindex(ds.meta.index).fillna(0)

    def any_of(codes):
        have = [c for c in codes if c in labels.columns]
        return (labels[have].to_numpy() > 0).any(axis=1).astype(float) if have else np.zeros(len(labels))

    tachy, wide = any_of(PTBXL_TACHY), any_of(PTBXL_WIDE)
    external = pd.DataFrame({
        "statement_wct": tachy * wide,
        "statement_wide_qrs": wide,
        "statement_tachycardia": tachy,
    }, index=ds.meta.index)
    notes = [f"external labels: PTB-XL statements (tachycardia = {'/'.join(PTBXL_TACHY)}; wide QRS = "
             f"{'/'.join(PTBXL_WIDE)}; statement_wct = both)"]
    return _from_features(feats, ds.meta, external, "ptbxl", notes)


def _mimic(cfg, out_dir: Path) -> _Source:
    from interp_ecg.io.mimic import read_mimic_ecg

    mc = cfg["mimic"]
    if not mc.get("root"):
        raise ConfigError("source 'mimic' needs mimic.root (the MIMIC-IV-ECG folder with machine_measurements.csv)")
    ds = read_mimic_ecg(mc["root"], hosp_dir=mc.get("hosp_dir"))
    meta = ds.meta
    have = [c for c in MIMIC_FEATURES if c in meta.columns]
    if "qrs_duration_ms" not in have or "heart_rate_bpm" not in have:
        raise DataNotFoundError("machine measurements lack qrs_onset/qrs_end/rr_interval", source=mc["root"])
    X = meta[have].apply(pd.to_numeric, errors="coerce").astype(float)
    for extra in ("age", "female"):
        if extra in meta.columns and meta[extra].notna().any():
            X[extra] = pd.to_numeric(meta[extra], errors="coerce").astype(float)
    report = meta.get("report", pd.Series("", index=meta.index)).fillna("").astype(str).str.lower()
    tachy = report.str.contains(r"tachycardia", regex=True)
    wide = report.str.contains(r"bundle branch block|intraventricular conduction|wide qrs|wide complex", regex=True)
    vt = report.str.contains(r"ventricular tachycardia", regex=True) & ~report.str.contains("supraventricular tachycardia")
    external = pd.DataFrame({
        "report_wct": ((tachy & wide) | vt | report.str.contains("wide complex tachycardia")).astype(float),
        "report_wide_qrs": wide.astype(float),
        "report_tachycardia": tachy.astype(float),
    }, index=meta.index)
    notes = ["features: MIMIC-IV-ECG machine measurements (QRS = qrs_end - qrs_onset, HR = 60000 / rr_interval)",
             "external labels: the machine's report text (tachycardia; bundle branch block / IVCD; VT)"]
    return _Source(X, X["qrs_duration_ms"], X["heart_rate_bpm"], meta["patient_id"].to_numpy(), external, meta,
                   "mimic", notes)


def load_source(cfg: dict, out_dir: Path) -> _Source:
    """Features, QRS/HR, patient groups and external labels of the configured source."""
    return {"synthetic": _synthetic, "ptbxl": _ptbxl, "mimic": _mimic}[cfg["source"]](cfg, out_dir)


# ----------------------------------------------------------------------------- models
def _models(cfg) -> dict:
    from interp_ecg.models import EnsembleClassifier, cardioforest

    mp = cfg.get("member_params") or {}
    rs, nj = cfg["random_state"], cfg["n_jobs"]
    out = {}
    for name in cfg["models"]:
        if name == "cardioforest":
            params = mp.get("rf", {})
            out["cardioforest"] = cardioforest(random_state=rs, n_jobs=nj, **params)
        elif name == "soft":
            out["soft_ensemble"] = EnsembleClassifier(("rf", "xgb", "lgbm", "gb", "logreg"), member_params=mp,
                                                      random_state=rs, n_jobs=nj)
        else:
            out[name] = EnsembleClassifier((name,), member_params=mp, random_state=rs, n_jobs=nj)
    return out


def _defining_columns(columns) -> list[str]:
    return [c for c in columns if any(re.search(p, c) for p in DEFINING_PATTERNS)]


def _oof(model, X, y, groups, cfg, tuned: bool = False):
    from interp_ecg.evaluate import PatientKFold, cross_val_predict_grouped

    y = pd.Series(y, index=X.index).astype(float)
    keep = y.notna().to_numpy()
    scores = pd.Series(np.nan, index=X.index)
    Xk, yk, gk = X[keep], y[keep].astype(int), np.asarray(groups)[keep]
    n_pos = int(yk.sum())
    n_folds = min(int(cfg["cv_folds"]), n_pos, len(yk) - n_pos, len(pd.unique(gk)))
    if n_folds < 2:
        return scores, None
    if tuned and cfg["tune"].get("enabled"):
        from interp_ecg.models import tune

        res = tune(model, Xk, yk, gk, n_trials=int(cfg["tune"]["n_trials"]), outer_cv=n_folds,
                   inner_cv=int(cfg["tune"]["inner_cv"]), method=cfg["tune"].get("method", "optuna"),
                   random_state=cfg["random_state"], refit=False)
        scores[keep] = res.oof_score
        return scores, res.outer_params
    cv = PatientKFold(n_folds, random_state=cfg["random_state"])
    scores[keep] = cross_val_predict_grouped(model, Xk, yk, gk, cv=cv)
    return scores, None


def _metrics(y, score, groups, cfg, **tags) -> pd.DataFrame:
    from interp_ecg.evaluate import metrics_table

    y = pd.Series(y).astype(float)
    s = pd.Series(score, index=y.index).astype(float)
    ok = (y.notna() & s.notna()).to_numpy()
    if ok.sum() == 0:
        return pd.DataFrame()
    tab = metrics_table(y[ok].to_numpy(), s[ok].to_numpy(), np.asarray(groups)[ok], n_boot=int(cfg["n_boot"]),
                        random_state=cfg["random_state"])
    tab = tab.drop(columns=["label"])
    for k, v in reversed(list(tags.items())):
        tab.insert(0, k, v)
    return tab


def _rule_error_row(y_ext, rule, score, name, label):
    y = pd.Series(y_ext).astype(float)
    m = (y.notna() & rule.notna() & score.notna()).to_numpy()
    wrong = m & (rule.to_numpy() != y.to_numpy())
    n_wrong = int(wrong.sum())
    fixed = int(((score.to_numpy()[wrong] >= 0.5).astype(float) == y.to_numpy()[wrong]).sum()) if n_wrong else 0
    new_err = m & (rule.to_numpy() == y.to_numpy()) & ((score.to_numpy() >= 0.5).astype(float) != y.to_numpy())
    return {"external_label": label, "model": name, "n_evaluated": int(m.sum()), "n_rule_wrong": n_wrong,
            "n_rule_false_negative": int((wrong & (y.to_numpy() == 1)).sum()),
            "n_rule_false_positive": int((wrong & (y.to_numpy() == 0)).sum()),
            "n_model_correct_where_rule_wrong": fixed,
            "n_model_wrong_where_rule_right": int(new_err.sum())}


# ----------------------------------------------------------------------------- study
TITLE = "Wide QRS complex tachycardia: CardioForest comparison"
_RULE = "rule (hard 0/1)"


def run(config: StudyConfig, run_dir: str | Path) -> StudyResult:
    """The WCT study (:class:`~interp_ecg.studies.runner.Study` protocol): tables, curves, SHAP, report.

    Parameters
    ----------
    config : StudyConfig
        A validated ``kind: wct`` config (``params``: :class:`~interp_ecg.studies.params.WctParams`).
    run_dir : path
        The run folder; a synthetic cohort without ``data.path``/``data.cache_dir`` goes to
        ``run_dir/cohort``.

    Returns
    -------
    StudyResult
        Tables ``cohort`` (counts), ``circular`` (models and rule vs the rule label),
        ``external`` (rule, rule-trained models, and models trained on each external label
        with and without the defining features, vs the external labels), ``rule_errors``
        (what the models do on the records the rule gets wrong), ``shap_importance``,
        ``shap_by_wave``, ``grounded`` (sentences), ``notes``; report blocks with ROC and
        precision-recall curves of the out-of-fold scores and the SHAP summary.
    """
    cfg = settings(config)
    out = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    with step(f"WCT data ({cfg['source']})"):
        src = load_source(cfg, out)
    X, groups = src.X, src.groups
    rule = wct_rule_label(src.qrs, src.hr).set_axis(X.index)
    models = _models(cfg)
    notes = list(src.notes) + [
        "CIRCULAR LABEL: the rule label is computed from QRS duration and heart rate, which are also model "
        "inputs; on it a model can at best reproduce the rule, so the 'circular' table measures "
        "reproduction, not diagnosis. See the 'external' table for labels from elsewhere.",
        "The rule is scored as a hard 0/1 score: its ROC-AUC equals its balanced accuracy.",
        "Model ROC-AUC and PR-AUC come from out-of-fold probabilities, patient-wise folds; 95% CIs by "
        "patient bootstrap.",
    ]
    n_rule = int(rule.notna().sum())
    cohort_tab = pd.DataFrame([
        {"item": "records", "value": len(X)},
        {"item": "patients", "value": len(pd.unique(groups))},
        {"item": "records with QRS and HR measured", "value": n_rule},
        {"item": "rule-positive (WCT) records", "value": int(np.nansum(rule))},
    ] + [{"item": f"{c} positives", "value": int(np.nansum(src.external[c]))} for c in src.external.columns]
      + [{"item": f"{c} records with label", "value": int(src.external[c].notna().sum())} for c in src.external.columns])
    logger.info("WCT cohort: %d records, %d patients, %d rule-positive", len(X), len(pd.unique(groups)),
                int(np.nansum(rule)))

    # 1) circular: trained and evaluated on the rule label
    circular, oof_rule = [], {}
    circular.append(_metrics(rule, rule, groups, cfg, label="wct_rule", model=_RULE, features="QRS, HR",
                             score_type="hard"))
    with step("models on the rule label (circular)"):
        for i, (name, model) in enumerate(models.items(), 1):
            logger.info("WCT rule label: model %d/%d %s (%d-fold patient-wise CV)", i, len(models), name,
                        cfg["cv_folds"])
            s, params = _oof(model, X, rule, groups, cfg, tuned=(name == "cardioforest"))
            if s.isna().all():
                notes.append(f"{name}: too few rule-positive or rule-negative records/patients for "
                             f"{cfg['cv_folds']}-fold patient-wise CV on the rule label; not trained on it")
                continue
            oof_rule[name] = s
            circular.append(_metrics(rule, s, groups, cfg, label="wct_rule", model=name, features="all",
                                     score_type="probability"))
    circular = pd.concat([t for t in circular if len(t)], ignore_index=True)

    # 2) external labels
    defining = _defining_columns(X.columns)
    X_nodef = X.drop(columns=defining)
    external, errors, ext_scores = [], [], {}
    with step("models on the external labels"):
        for j, lab in enumerate(src.external.columns, 1):
            y = src.external[lab]
            n_pos = int(np.nansum(y))
            external.append(_metrics(y, rule, groups, cfg, label=lab, model=_RULE, trained_on="-",
                                     features="QRS, HR", score_type="hard"))
            for name, s in oof_rule.items():
                external.append(_metrics(y, s, groups, cfg, label=lab, model=name, trained_on="wct_rule",
                                         features="all", score_type="probability"))
            if n_pos < int(cfg["min_positives"]) or (y.notna().sum() - n_pos) < int(cfg["min_positives"]):
                notes.append(f"{lab}: {n_pos} positives; models were not trained on it (min_positives="
                             f"{cfg['min_positives']})")
                logger.info("WCT label %d/%d %s: %d positives, too few to train on", j,
                            len(src.external.columns), lab, n_pos)
                continue
            for i, (name, model) in enumerate(models.items(), 1):
                for feat_name, XX in (("all", X), ("without defining", X_nodef)):
                    logger.info("WCT label %d/%d %s: model %d/%d %s, %s features", j, len(src.external.columns),
                                lab, i, len(models), name, feat_name)
                    s, _ = _oof(model, XX, y, groups, cfg)
                    ext_scores[(lab, name, feat_name)] = s
                    external.append(_metrics(y, s, groups, cfg, label=lab, model=name, trained_on=lab,
                                             features=feat_name, score_type="probability"))
                    errors.append({**_rule_error_row(y, rule, s, name, lab), "features": feat_name})
    external = pd.concat([t for t in external if len(t)], ignore_index=True) if external else pd.DataFrame()
    rule_errors = pd.DataFrame(errors)
    notes.append(f"defining features removed in 'without defining': {', '.join(defining)}")

    # 3) SHAP of the forest trained on the rule label (all records)
    with step("SHAP and grounded sentences"):
        shap_imp, shap_wave, grounded, explanation = _explain(models, X, rule, src, cfg)

    tables = {"cohort": cohort_tab, "circular": circular, "external": external, "rule_errors": rule_errors,
              "shap_importance": shap_imp, "shap_by_wave": shap_wave, "grounded": grounded,
              "notes": pd.DataFrame({"note": notes})}
    curves = _curves(rule, oof_rule, src.external, ext_scores, list(models))
    return StudyResult(tables=tables, blocks=_report_blocks(tables, notes, curves, explanation), notes=notes,
                       title=TITLE)


def run_wct_study(config: StudyConfig | Mapping[str, Any], out_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Run the WCT study without the runner (no run folder, no PDF) and return its tables.

    Parameters
    ----------
    config : StudyConfig or mapping
        A study config of kind ``wct`` (``kind`` and ``study`` may be left out of a mapping),
        e.g. ``{"data": {"source": "synthetic", "n_records": 200}, "params": {"n_boot": 200}}``.
    out_dir : path
        Folder for what the study builds on the way (a synthetic cohort).

    Returns
    -------
    dict of str to DataFrame
        The tables of :func:`run`.

    Raises
    ------
    ConfigError
        An invalid config.
    """
    if not isinstance(config, StudyConfig):
        config = validate_config({"study": "wct", "kind": "wct", **dict(config)})
    return run(config, out_dir).tables


def _curves(rule: pd.Series, oof_rule: dict, external: pd.DataFrame, ext_scores: dict,
            model_names: list[str]) -> list[tuple[str, pd.Series, dict[str, pd.Series]]]:
    """(label, y, {curve name: out-of-fold score}) per label, for the ROC/PR figures."""
    out = []
    if oof_rule:
        out.append(("wct_rule", rule, dict(oof_rule)))
    for lab in external.columns:
        scores: dict[str, pd.Series] = {_RULE: rule}
        trained = {name: ext_scores[(lab, name, "all")] for name in model_names if (lab, name, "all") in ext_scores}
        if trained:
            scores.update(trained)
            first = next(iter(trained))
            scores[f"{first}, without defining"] = ext_scores[(lab, first, "without defining")]
        else:
            scores.update({f"{name} (trained on the rule)": s for name, s in oof_rule.items()})
        out.append((lab, external[lab], scores))
    return out


def _report_blocks(tables: dict[str, pd.DataFrame], notes: list[str], curves, explanation) -> list[Any]:
    from interp_ecg.report import CurvesBlock, MetricsBlock, ShapSummaryBlock, TableBlock, TextBlock

    blocks: list[Any] = []
    circular_notes = [n for n in notes if "CIRCULAR" in n.upper()]
    blocks.append(TableBlock(tables["cohort"], heading="Cohort", caption="Records, patients and labels."))
    show = ["roc_auc", "pr_auc", "balanced_accuracy", "accuracy", "brier"]
    ext = tables["external"]
    if len(ext):
        ext = _model_rows(ext, ("model", "trained_on", "features"))
        first = ext["label"].iloc[0]
        for label, part in ext.groupby("label", sort=False):
            blocks.append(MetricsBlock(
                part[part["metric"].isin(show)], heading=f"Against an independent label: {label}",
                caption=f"Label {label} (not computed from the model's inputs); out-of-fold probabilities, "
                        "patient-wise folds; estimate (95% CI). The rule is a hard 0/1 score.",
                note="\n\n".join(circular_notes) if label == first else "", name=f"external_{label}",
                transpose=False))
    circ = tables["circular"]
    if len(circ):
        circ = _model_rows(circ, ("model", "features"))
        blocks.append(MetricsBlock(circ[circ["metric"].isin(show)], heading="Against the rule label (circular)",
                                   caption="The rule label is QRS >= 120 ms and HR >= 100 bpm computed from the "
                                           "model's own inputs: models can only reproduce it.",
                                   name="circular", transpose=False))
    for label, y, scores in curves:
        ok = y.notna() & pd.concat(scores, axis=1).notna().all(axis=1)
        yk = y[ok].astype(int)
        if ok.sum() < 2 or yk.nunique() < 2:
            continue
        what = "rule label (circular)" if label == "wct_rule" else f"label {label}"
        blocks.append(CurvesBlock(
            yk.to_numpy(), {name: s[ok].to_numpy(dtype=float) for name, s in scores.items()},
            heading=f"ROC and precision-recall curves: {what}",
            caption=f"Out-of-fold scores (patient-wise folds) against the {what}; n = {int(ok.sum())}, "
                    f"{int(yk.sum())} positives."
                    + (" The rule is a hard 0/1 score (one operating point)." if _RULE in scores else "")))
    if len(tables["rule_errors"]):
        blocks.append(TableBlock(tables["rule_errors"], heading="What the models add over the rule",
                                 caption="Accuracy on the records the rule gets wrong."))
    if explanation is not None:
        blocks.append(ShapSummaryBlock(explanation, heading="SHAP attributions of the forest",
                                       text="The forest trained on the rule label, explained on up to 300 "
                                            "records (SHAP values of the WCT output)."))
    if len(tables["shap_importance"]):
        blocks.append(TableBlock(tables["shap_importance"].head(15), heading="SHAP importance",
                                 caption="Mean |SHAP| of the forest, top 15 features."))
    g = tables["grounded"]
    if len(g):
        col = "sentence" if "sentence" in g.columns else g.columns[-1]
        blocks.append(TextBlock("Grounded explanations", "\n\n".join(str(s) for s in g[col].head(12))))
    return blocks


def _model_rows(frame: pd.DataFrame, parts: tuple[str, ...]) -> pd.DataFrame:
    """Fold descriptive columns into one ``model`` name so each row of a metrics table is one model."""
    out = frame.copy()
    present = [c for c in parts if c in out.columns]
    if present:
        def name(r: pd.Series) -> str:
            extra = [f"{c.replace('_', ' ')}: {r[c]}" for c in present[1:] if str(r[c]) not in ("", "-", "nan")]
            return f"{r[present[0]]}" + (f" [{'; '.join(extra)}]" if extra else "")

        out["model"] = out.apply(name, axis=1)
    return out


def _explain(models, X, rule, src, cfg):
    from interp_ecg.explain import explain_record, group_explanation, shap_explanation

    name = "cardioforest" if "cardioforest" in models else next(iter(models))
    keep = rule.notna().to_numpy()
    y = rule[keep].astype(int)
    if y.nunique() < 2:
        empty = pd.DataFrame()
        return empty, empty, empty, None
    model = models[name].fit(X[keep], y)
    rng = np.random.default_rng(cfg["random_state"])
    idx = rng.choice(int(keep.sum()), min(300, int(keep.sum())), replace=False)
    Xs = X[keep].iloc[np.sort(idx)]
    ex = shap_explanation(model, Xs)
    imp = pd.DataFrame({"feature": ex.feature_names, "mean_abs_shap": np.abs(ex.values).mean(0)})
    imp = imp.sort_values("mean_abs_shap", ascending=False, ignore_index=True)
    imp.insert(0, "model", name)
    imp["output_space"] = ex.output_space
    wave = group_explanation(ex, "wave")
    wave_tab = pd.DataFrame({"group": wave.feature_names, "mean_abs_shap": np.abs(wave.values).mean(0)})
    wave_tab = wave_tab.sort_values("mean_abs_shap", ascending=False, ignore_index=True)
    rows = []
    pos = X[keep].index[y.to_numpy() == 1][: int(cfg["n_explain"])]
    table = src.table
    for rid in pos:
        frow = table.loc[rid] if rid in table.index else None
        ge = explain_record(model, X.loc[[rid]], feature_row=frow, top=3, target="WCT")
        for rank, att in enumerate(ge.attributions, 1):
            rows.append({"record": rid, "rank": rank, "probability": ge.probability, "feature": att.feature,
                         "value": att.value, "unit": att.unit, "contribution": att.contribution,
                         "lead": att.lead, "start_sample": att.start_sample, "end_sample": att.end_sample,
                         "sentence": att.sentence})
    return imp, wave_tab, pd.DataFrame(rows), ex


__all__ = ["Params", "run", "run_wct_study", "settings", "wct_rule_label", "load_source",
           "SYNTHETIC_WCT_CONDITIONS", "PTBXL_TACHY", "PTBXL_WIDE"]
