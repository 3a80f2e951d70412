"""PTB-XL statement models on fiducial features: superclasses and frequent statements.

Protocols (all patient-wise; nothing is tuned on a test fold):

* ``cv10``: 10-fold cross-validation over ``strat_fold`` (each fold is the test set once),
  out-of-fold probabilities pooled, macro-AUROC with patient-bootstrap 95% CIs; the mean of
  the per-fold macro-AUROCs is reported beside it.
* ``test10``: train on folds 1-8, report validation fold 9 and test fold 10.
* ``cinc``: train on all PTB-XL records, score the CinC 2021 sample (other hospitals and
  devices) with its SNOMED labels mapped to PTB-XL statements
  (:func:`interp_ecg.io.cinc.cinc_to_ptbxl_labels`); external validation only. CinC's
  PTB_XL part (HR* records: PTB-XL re-packaged) is left out and counted; a label the SNOMED
  codes cannot decide is unknown for that record (:func:`cinc_superclasses`), and the notes
  give the number of records each metric rests on.

Labels: the five diagnostic superclasses (NORM, MI, STTC, CD, HYP) and every statement with
at least ``min_positives`` positives. Features: the package's own fiducial features
(:func:`interp_ecg.features.extract`) plus age and sex; records that could not be measured
are left out and counted.

Parameters: :class:`~interp_ecg.studies.params.PtbxlStatementsParams` (``params:`` of a
``kind: ptbxl_statements`` study); the records come from ``data.path`` (PTB-XL) at
``data.sampling_rate``, features from ``data.features`` when given.

Examples
--------
>>> from interp_ecg.studies.ptbxl_statements import Params
>>> Params(min_positives=30).protocols
['cv10', 'test10', 'cinc']
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.evaluate import patient_groups
from interp_ecg.studies.config import StudyConfig, feature_cache, validate_config
from interp_ecg.studies.params import PtbxlStatementsParams as Params
from interp_ecg.studies.runner import StudyResult, step

logger = logging.getLogger(__name__)

SUPERCLASSES = ("NORM", "MI", "STTC", "CD", "HYP")

TITLE = "PTB-XL statements: explained feature ensembles"


def settings(config: StudyConfig) -> dict[str, Any]:
    """The analysis settings of a validated config: ``params`` plus the PTB-XL folder
    (``data.path``), rate (``data.sampling_rate``), feature table (``data.features``, else a
    cache in ``data.cache_dir``: :func:`~interp_ecg.studies.config.feature_cache`), seed and
    ``n_jobs``."""
    return {**config.params.to_dict(), "root": config.data.path, "sampling_rate": config.data.sampling_rate,
            # data.features is the user's input table (read, never written); the cache is a separate path
            "features_input": config.data.features, "features_cache": feature_cache(config),
            "random_state": config.seed,
            "n_jobs": config.n_jobs}


def _features(ds, cfg, cache_key: str, input_key: str | None = None) -> pd.DataFrame:
    """The user's feature table (``cfg[input_key]``: read, never written) or the features measured
    through the cache ``cfg[cache_key]`` (rewritten when stale)."""
    from interp_ecg.features.extract import extract_cached

    if input_key and cfg.get(input_key):
        from interp_ecg.studies.pipeline import read_feature_input

        return read_feature_input(cfg[input_key], ds)
    return extract_cached(ds, cfg.get(cache_key), n_jobs=cfg["n_jobs"])


def design_matrix(feats: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """Model inputs: numeric feature columns (dictionary kind ``feature``), age and female."""
    from interp_ecg.features import model_columns

    X = feats[model_columns(feats)].astype(float)
    X["age"] = pd.to_numeric(meta["age"].reindex(X.index), errors="coerce").astype(float)
    if "female" in meta.columns:
        X["female"] = pd.to_numeric(meta["female"].reindex(X.index), errors="coerce").astype(float)
    else:
        X["female"] = (meta["sex"].reindex(X.index).astype(str) == "F").astype(float)
    return X


def superclass_of_statements(statements: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Aggregate statement labels (any source) to the diagnostic superclasses."""
    diag = statements[statements["diagnostic"].fillna(0).astype(float).astype(bool)]
    out = {}
    for sc in SUPERCLASSES:
        codes = [c for c in diag.index[diag["diagnostic_class"].astype(str) == sc] if c in labels.columns]
        out[sc] = (labels[codes].to_numpy().sum(axis=1) > 0).astype(int) if codes else np.zeros(len(labels), int)
    return pd.DataFrame(out, index=labels.index)


def _model(members, cfg):
    from interp_ecg.models import EnsembleClassifier

    return EnsembleClassifier(tuple(members), member_params=cfg["member_params"] or None,
                              random_state=cfg["random_state"], n_jobs=cfg["n_jobs"])


def _table(Y, S, groups, cfg, **tags):
    """Per-label and macro metrics of one protocol, task and model (:func:`tagged_metrics_table`)."""
    from interp_ecg.evaluate import tagged_metrics_table

    return tagged_metrics_table(Y, S, groups, n_boot=int(cfg["n_boot"]), random_state=cfg["random_state"],
                                metrics=("roc_auc", "pr_auc", "brier", "balanced_accuracy", "f1"), **tags)


def _usable(Y: pd.DataFrame, min_pos: int) -> list[str]:
    """Labels with at least ``min_pos`` positives and negatives among the records where they are known."""
    n, known = Y.sum(), Y.notna().sum()
    return [c for c in Y.columns if min_pos <= n[c] <= known[c] - min_pos]


def run(config: StudyConfig, run_dir: str | Path) -> StudyResult:
    """The PTB-XL statement study (:class:`~interp_ecg.studies.runner.Study` protocol).

    Parameters
    ----------
    config : StudyConfig
        A validated ``kind: ptbxl_statements`` config (``data.source: ptbxl``).
    run_dir : path
        The run folder (nothing is written there by the study itself).

    Returns
    -------
    StudyResult
        Tables ``cohort``, ``metrics`` (every protocol, task, model, label, metric with CIs;
        label ``macro`` is the mean over labels), ``summary`` (macro-AUROC per protocol, task
        and model), ``fold_auroc`` (per-fold macro-AUROC in ``cv10``), ``labels`` (positives
        per label and split), ``notes``; a report block per table.
    """
    from interp_ecg.config import dataset_path
    from interp_ecg.evaluate import PredefinedFolds, cross_val_predict_grouped
    from interp_ecg.evaluate.metrics import roc_auc
    from interp_ecg.io import read_ptbxl
    from interp_ecg.io.ptbxl import ptbxl_superclass_labels

    cfg = settings(config)
    root = cfg["root"] or dataset_path("ptbxl")
    with step("PTB-XL records and features"):
        ds = read_ptbxl(root, sampling_rate=int(cfg["sampling_rate"]))
        if cfg["max_records"]:
            ds = ds.subset(mask=np.arange(len(ds)) < int(cfg["max_records"]))
        feats = _features(ds, cfg, "features_cache", "features_input")
    ok = feats["quality_ok"].astype(bool).to_numpy() if "quality_ok" in feats else np.ones(len(feats), bool)
    notes = [f"{int((~ok).sum())} of {len(feats)} records could not be measured and were left out"]
    X = design_matrix(feats[ok], ds.meta)
    meta = ds.meta.loc[X.index]
    # a recording filed under two patient ids (PTB-XL 145/463, strat_folds 3 and 1): its patients are
    # one group, and strat_fold is joined so that the copies share a fold (never trained on and tested)
    from interp_ecg.evaluate import join_duplicate_folds
    from interp_ecg.studies.pipeline import duplicate_digests

    with step("duplicate recordings"):
        digests = duplicate_digests(ds, notes, ptbxl_root=root).reindex(X.index)
    groups = patient_groups(meta["patient_id"], purpose="the patient bootstrap and folds", digests=digests).to_numpy()
    joined = join_duplicate_folds(meta["strat_fold"].astype(int), meta["patient_id"], digests,
                                  purpose="strat_fold")
    if len(joined.attrs["moved"]):
        notes.append("strat_fold: " + "; ".join(f"record {r.record} moved from fold {r.fold_before} to {r.fold}"
                                                for r in joined.attrs["moved"].itertuples())
                     + " so that the copies of a recording filed under two patient ids share a fold")
    folds = joined.astype(int).to_numpy()
    # each task's labels; NaN where a statement was not assessed (PTB-XL records without any rhythm
    # statement: read_ptbxl's unassessed_rhythm), left out of that label's training and metrics
    tasks: dict[str, pd.DataFrame] = {}
    if "superclass" in cfg["tasks"]:
        policy = cfg["records_without_superclass"]
        sup = ptbxl_superclass_labels(ds, records_without_superclass=policy)
        n_none = int(sup.attrs["n_without_superclass"])
        notes.append(f"superclass task: {n_none} records without a diagnostic superclass "
                     + ("left out (PTB-XL benchmark protocol)" if policy == "drop"
                        else "kept as all-negative rows (the PTB-XL benchmark protocol drops them)"))
        tasks["superclass"] = sup.loc[X.index.intersection(sup.index, sort=False)].astype(int)
    if "statements" in cfg["tasks"]:
        L = ds.labels.loc[X.index]
        n_unassessed = int(L.isna().any(axis=1).sum())  # read_ptbxl: rhythm statements NaN without any
        if n_unassessed:
            notes.append(f"statements task: {n_unassessed} records carry no rhythm statement (not assessed for "
                         "rhythm, PTB-XL); their rhythm statements are unknown: left out of those statements' "
                         "training and metrics")
        tasks["statements"] = L[_usable(L, int(cfg["min_positives"]))]
    for name, Y in tasks.items():
        keep = _usable(Y, 2)
        if len(keep) < Y.shape[1]:
            notes.append(f"{name}: labels without enough positives dropped: {sorted(set(Y.columns) - set(keep))}")
        tasks[name] = Y[keep]
    label_rows = []
    for task, Y in tasks.items():
        for c in Y.columns:
            label_rows.append({"task": task, "label": c, "n_positive": int(Y[c].sum()),
                               "n_positive_test10": int(Y[c][folds[X.index.get_indexer(Y.index)] == 10].sum()),
                               "n": int(Y[c].notna().sum())})
    metrics, fold_rows = [], []
    for mname, members in cfg["models"].items():
        model = _model(members, cfg)
        for task, Y in tasks.items():
            with step(f"{mname} on {task}"):
                # a task may leave records out (superclass: records without one, by default)
                pos = X.index.get_indexer(Y.index)
                Xt, groups_t, folds_t = X.iloc[pos], groups[pos], folds[pos]
                if "cv10" in cfg["protocols"]:
                    logger.info("cv10 %s %s: 10 folds over strat_fold", mname, task)
                    oof, fold_id, skipped = cross_val_predict_grouped(model, Xt, Y, groups_t,
                                                                      cv=PredefinedFolds(folds_t, digests.to_numpy()[pos]),
                                                                      return_folds=True, return_skipped=True)
                    for lab, part in skipped.groupby("label", dropna=False):
                        notes.append(f"cv10 {mname} {task}: label {lab} had one class only in the training part "
                                     f"of {len(part)} fold(s); its {int(part.n_test.sum())} test records there are "
                                     "unscored (n_unscored), not scored as a constant")
                    metrics.append(_table(Y, oof, groups_t, cfg, protocol="cv10", task=task, model=mname))
                    for f in np.unique(folds_t):
                        aucs = []
                        for c in Y.columns:
                            m = (folds_t == f) & Y[c].notna().to_numpy()
                            aucs.append(roc_auc(Y[c].to_numpy()[m], oof[c].to_numpy()[m]))
                        fold_rows.append({"task": task, "model": mname, "fold": int(f),
                                          "macro_auroc": float(np.nanmean(aucs)),
                                          "n_labels_scored": int(np.isfinite(aucs).sum())})
                if "test10" in cfg["protocols"]:
                    tr = folds_t <= 8
                    fitted = _model(members, cfg).fit(Xt[tr], Y[tr])
                    for split, m in (("val9", folds_t == 9), ("test10", folds_t == 10)):
                        P = fitted.predict_proba(Xt[m])
                        metrics.append(_table(Y[m], P, groups_t[m], cfg, protocol=split, task=task, model=mname))
    if "cinc" in cfg["protocols"]:
        with step("CinC 2021 external validation"):
            metrics += _cinc(cfg, ds, X, tasks, notes)
    metrics = pd.concat(metrics, ignore_index=True) if metrics else pd.DataFrame()
    summary = pd.DataFrame()
    if len(metrics):
        summary = metrics[(metrics.label == "macro") & (metrics.metric == "roc_auc")][
            ["protocol", "task", "model", "estimate", "ci_low", "ci_high", "n", "n_groups"]].reset_index(drop=True)
        fr = pd.DataFrame(fold_rows)
        if len(fr):
            mean_fold = fr.groupby(["task", "model"])["macro_auroc"].agg(["mean", "std"]).reset_index()
            summary = summary.merge(mean_fold.assign(protocol="cv10"), on=["protocol", "task", "model"], how="left")
            summary = summary.rename(columns={"mean": "mean_fold_macro_auroc", "std": "sd_fold_macro_auroc"})
        summary["records_without_superclass"] = np.where(summary["task"] == "superclass",
                                                         cfg["records_without_superclass"], "n/a")
    cohort = pd.DataFrame([{"item": "records", "value": len(feats)}, {"item": "records measured", "value": len(X)},
                           {"item": "patients", "value": int(meta["patient_id"].nunique() + meta["patient_id"].isna().sum())},
                           {"item": "patient groups (patients sharing a recording joined)",
                            "value": len(pd.unique(groups))},
                           {"item": "features", "value": X.shape[1]}])
    tables = {"cohort": cohort, "metrics": metrics, "summary": summary, "fold_auroc": pd.DataFrame(fold_rows),
              "labels": pd.DataFrame(label_rows), "notes": pd.DataFrame({"note": notes})}
    return StudyResult(tables=tables, blocks=_report_blocks(tables), notes=notes, title=TITLE)


def run_ptbxl_statements_study(config: StudyConfig | Mapping[str, Any], out_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Run the PTB-XL statement study without the runner (no run folder, no PDF); return its tables.

    Parameters
    ----------
    config : StudyConfig or mapping
        A study config of kind ``ptbxl_statements`` (``kind`` and ``study`` may be left out of
        a mapping), e.g. ``{"data": {"source": "ptbxl", "path": root}, "params": {"tasks": ["superclass"]}}``.
    out_dir : path
        The work folder.

    Raises
    ------
    ConfigError
        An invalid config.
    """
    if not isinstance(config, StudyConfig):
        config = validate_config({"study": "ptbxl_statements", "kind": "ptbxl_statements", **dict(config)})
    return run(config, out_dir).tables


#: what an empty table of the study means, said in the report instead of an empty table
EMPTY_TABLE_TEXT = {
    "fold_auroc": "No per-fold results: the cv10 protocol was not run.",
    "metrics": "No metrics: no protocol produced a scored label.",
    "summary": "No summary: no protocol produced a scored label.",
    "labels": "No labels: no task kept a label with positives and negatives.",
}


#: each protocol in words, for the captions of the report's metric tables
PROTOCOL_WORDS = {
    "cv10": "10-fold patient-wise cross-validation over strat_fold, out-of-fold scores pooled",
    "val9": "trained on folds 1-8, scored on validation fold 9",
    "test10": "trained on folds 1-8, scored on test fold 10",
    "cinc": "trained on all PTB-XL records, scored on the external CinC 2021 records",
}


def _report_blocks(tables: dict[str, pd.DataFrame]) -> list[Any]:
    from interp_ecg.report import MetricsBlock, TableBlock, TextBlock

    blocks: list[Any] = []
    for name, frame in tables.items():
        heading = name.replace("_", " ").capitalize()
        if name != "notes" and (frame.empty or frame.shape[1] == 0):
            blocks.append(TextBlock(heading, EMPTY_TABLE_TEXT.get(name, "No rows.")))
        elif {"metric", "estimate"} <= set(frame.columns):
            shown = frame.copy()
            if "label" in shown.columns:  # one row per model and label
                shown["model"] = shown["model"].astype(str) + " [" + shown["label"].astype(str) + "]"
            # one table per protocol and task, each saying which it is: one table of all of them
            # showed only the first protocol's rows (cv10) under a caption that did not name it
            keys = [c for c in ("protocol", "task") if c in shown.columns]
            groups = shown.groupby(keys, sort=False) if keys else [((), shown)]
            for i, (key, part) in enumerate(groups):
                key = key if isinstance(key, tuple) else (key,)
                what = dict(zip(keys, key))
                proto = str(what.get("protocol", ""))
                label = ", ".join(str(v) for v in key)
                caption = ("Metrics with bootstrap 95% confidence intervals (resampled by patient)"
                           + (f"; protocol {proto}: {PROTOCOL_WORDS.get(proto, proto)}" if proto else "")
                           + (f"; task {what['task']}" if "task" in what else "") + ".")
                blocks.append(MetricsBlock(part, heading=f"{heading}: {label}" if label else heading,
                                           name=name if i == 0 else f"{name}_{i}", transpose=False, caption=caption))
        elif name != "notes":
            blocks.append(TableBlock(frame.head(40), heading=heading))
    return blocks


#: PTB-XL form statements (not diagnostic) whose finding could stand for a diagnostic superclass
#: statement that the CinC codes do not name: with one of these present and no mapped
#: diagnostic statement of the superclass, the superclass is unknown, not negative
#: (a T-wave inversion may be PTB-XL's ISC_ or NST_; a Q wave an old infarct; high voltage LVH ...)
FORM_SUGGESTS = {
    "STTC": ("STD_", "STE_", "TAB_", "INVT", "LOWT", "NT_"),
    "MI": ("QWAVE", "STE_", "ABQRS"),
    "CD": ("LPR", "ABQRS"),
    "HYP": ("HVOLT", "VCLVH"),
}


def cinc_superclasses(statements: pd.DataFrame, stmts: pd.DataFrame) -> pd.DataFrame:
    """Diagnostic superclasses of external (CinC) statement labels, unknown where undecided.

    Unlike :func:`superclass_of_statements` (PTB-XL's own labels, complete by design), the
    CinC labels come from SNOMED codes mapped to PTB-XL statements. A superclass is 1 when
    a mapped diagnostic statement of it is 1; NaN (unknown) when one of its statements that
    a SNOMED code can name is unknown for the record (an unmapped code on the record:
    :func:`interp_ecg.io.cinc.cinc_to_ptbxl_labels`), or when a form statement that could
    stand for it is present (:data:`FORM_SUGGESTS`); else 0. Statements no SNOMED code names
    (IMI, SEHYP, ISC_ ...) cannot be told from CinC labels at all and are not counted: a 0
    means "none of the superclass's nameable findings". NORM is 1 when the NORM statement is
    1 (sinus rhythm the only code), 0 when another superclass is 1, else NaN.

    Parameters
    ----------
    statements : DataFrame
        PTB-XL's statement table (``ds.extras["statements"]``: ``diagnostic``, ``diagnostic_class``).
    stmts : DataFrame
        1/0/NaN statement labels of the external records.

    Returns
    -------
    DataFrame
        1/0/NaN, columns :data:`SUPERCLASSES`, indexed like ``stmts``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from interp_ecg.studies.ptbxl_statements import cinc_superclasses
    >>> table = pd.DataFrame({"diagnostic": [1, 1, 1, 0], "diagnostic_class": ["NORM", "CD", "STTC", None]},
    ...                      index=["NORM", "CLBBB", "LNGQT", "INVT"])
    >>> stmts = pd.DataFrame({"NORM": [1, np.nan, np.nan, np.nan], "CLBBB": [0, 1, 0, np.nan],
    ...                       "LNGQT": [0, 0, 0, np.nan], "INVT": [0, 0, 1, np.nan]}, index=["a", "b", "c", "d"])
    >>> cinc_superclasses(table, stmts)[["NORM", "CD", "STTC"]].values.tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [nan, 0.0, nan], [nan, nan, nan]]
    """
    from interp_ecg.io.cinc import DEFAULT_RELATIONS, snomed_to_ptbxl_map

    m = snomed_to_ptbxl_map()
    nameable = set(m.loc[m["relation"].isin(DEFAULT_RELATIONS), "ptbxl_code"]) | {"NORM"}
    diag = statements[statements["diagnostic"].fillna(0).astype(float).astype(bool)]
    out = {}
    for sc in SUPERCLASSES:
        codes = [c for c in diag.index[diag["diagnostic_class"].astype(str) == sc]
                 if c in stmts.columns and c in nameable]
        if not codes:
            out[sc] = np.full(len(stmts), np.nan)
            continue
        v = stmts[codes].to_numpy(dtype=float)
        pos = np.nansum(v, axis=1) > 0
        unknown = np.isnan(v).any(axis=1)
        hints = [c for c in FORM_SUGGESTS.get(sc, ()) if c in stmts.columns]
        if hints:
            unknown |= np.nan_to_num(stmts[hints].to_numpy(dtype=float), nan=0.0).sum(axis=1) > 0
        out[sc] = np.where(pos, 1.0, np.where(unknown, np.nan, 0.0))
    res = pd.DataFrame(out, index=stmts.index)
    others = (res.drop(columns="NORM").fillna(0) > 0).any(axis=1).to_numpy()
    res["NORM"] = np.where(res["NORM"] == 1, 1.0, np.where(others, 0.0, np.nan))
    return res


def external_cinc(dc):
    """The CinC 2021 records that are external to PTB-XL, and how many were left out.

    CinC 2021's ``PTB_XL`` part (``HR*`` records) is the PTB-XL database re-packaged: the
    same hospital, devices and cardiologists, and on a full PTB-XL download the very ECGs a
    model was trained on. They are no external validation and are left out.

    Parameters
    ----------
    dc : EcgDataset
        From :func:`interp_ecg.io.cinc.read_cinc` (``meta["source"]``).

    Returns
    -------
    tuple
        ``(dataset without the PTB_XL records, number left out)``.
    """
    internal = dc.meta["source"].astype(str).eq("PTB_XL").to_numpy()
    if not internal.any():
        return dc, 0
    return dc.subset(mask=~internal), int(internal.sum())


def _cinc(cfg, ds, X, tasks, notes) -> list[pd.DataFrame]:
    from interp_ecg.config import dataset_path
    from interp_ecg.io.cinc import cinc_to_ptbxl_labels, read_cinc

    root = cfg["cinc_root"] or dataset_path("cinc2021", required=False)
    if root is None or not Path(root).is_dir():
        notes.append("cinc2021 not found: no external validation")
        return []
    dc, n_internal = external_cinc(read_cinc(root))
    if n_internal:
        notes.append(f"cinc: {n_internal} of {len(dc) + n_internal} CinC records come from PTB-XL (source PTB_XL, "
                     "re-packaged PTB-XL ECGs) and were left out of the external set")
    if len(dc) == 0:
        notes.append("cinc: no CinC records from other sources: no external validation")
        return []
    fc = _features(dc, cfg, "cinc_features_cache")
    fc = fc.loc[fc.index.intersection(dc.meta.index, sort=False)]
    ok = fc["quality_ok"].astype(bool).to_numpy() if "quality_ok" in fc else np.ones(len(fc), bool)
    Xc = design_matrix(fc[ok], dc.meta)
    Xc = Xc.reindex(columns=X.columns)
    if (~ok).any():
        notes.append(f"cinc: {int((~ok).sum())} of {len(fc)} external records could not be measured and were "
                     "left out")
    stmts_all = cinc_to_ptbxl_labels(dc, statements=list(ds.labels.columns))
    stmts = stmts_all.loc[Xc.index]
    n_unmapped = int(stmts.index.isin(stmts_all.attrs["unmapped_codes"].index).sum())
    sources = dc.meta["source"].reindex(Xc.index).astype(str).value_counts()
    notes.append(f"cinc: {len(Xc)} external records measured ({', '.join(f'{k} {v}' for k, v in sources.items())}); "
                 f"{n_unmapped} carry SNOMED codes without a PTB-XL mapping, so their labels are unknown (NaN) "
                 "unless a mapped code makes them positive")
    notes.append(cinc_unassessed_note(stmts_all.attrs, list(sources.index)))
    # CinC names no patients: each record is its own group in the bootstrap (patient_groups warns)
    groups = patient_groups(dc.meta["patient_id"].reindex(Xc.index) if "patient_id" in dc.meta else None,
                            Xc.index, purpose="the CinC bootstrap").to_numpy()
    out = []
    for task, Y in tasks.items():
        Yc = cinc_superclasses(ds.extras["statements"], stmts) if task == "superclass" else stmts
        Yc = Yc.reindex(columns=Y.columns)  # a label the mapping cannot give stays unknown (NaN)
        n_before = len(Yc)
        if task == "superclass" and cfg["records_without_superclass"] == "drop":
            Yc = Yc[(Yc.fillna(0).to_numpy() > 0).any(axis=1)]
        scored = [c for c in Y.columns if 0 < (Yc[c] == 1).sum() and 0 < (Yc[c] == 0).sum()]
        notes.append(cinc_count_note(task, Yc, scored, n_before))
        if not scored:
            continue
        for mname, members in cfg["models"].items():
            fitted = _model(members, cfg).fit(X.loc[Y.index], Y)
            P = pd.DataFrame(fitted.predict_proba(Xc.loc[Yc.index]), index=Yc.index, columns=Y.columns)
            g = groups[Xc.index.get_indexer(Yc.index)]
            out.append(_table(Yc[scored], P[scored], g, cfg, protocol="cinc", task=task, model=mname))
    return out


def cinc_unassessed_note(attrs: dict, sources: list[str]) -> str:
    """The note saying which CinC labels are unknown because the source did not assess them.

    Besides unmapped SNOMED codes, :func:`interp_ecg.io.cinc.cinc_to_ptbxl_labels` leaves a label
    unknown (NaN, not negative) where the source did not assess it: the rhythm statements of a
    record whose codes name no rhythm, a statement a form code may stand for, and a statement
    a source never codes in the challenge data (Reyna et al. 2021).

    Parameters
    ----------
    attrs : dict
        ``attrs`` of the label table (``form_suggests``, ``n_without_rhythm``,
        ``source_unassessed``).
    sources : list of str
        The sources of the external records the metrics use (others are not named).

    Returns
    -------
    str

    Examples
    --------
    >>> from interp_ecg.studies.ptbxl_statements import cinc_unassessed_note
    >>> cinc_unassessed_note({"n_without_rhythm": 2, "form_suggests": {"LVH": 3},
    ...                       "source_unassessed": {"Georgia": ["AMI", "VCLVH"], "PTB_XL": ["PVC"]}},
    ...                      ["Georgia"])
    'cinc: labels the source did not assess are unknown (NaN), not negative: rhythm statements of 2 records (of all CinC records read) whose codes name no rhythm; statements a form code may stand for (LVH 3); statements a source never codes (Georgia: AMI, VCLVH)'
    """
    parts = []
    if attrs.get("n_without_rhythm"):
        parts.append(f"rhythm statements of {int(attrs['n_without_rhythm'])} records (of all CinC records read) "
                     "whose codes name no rhythm")
    if attrs.get("form_suggests"):
        parts.append("statements a form code may stand for ("
                     + ", ".join(f"{k} {v}" for k, v in attrs["form_suggests"].items()) + ")")
    never = {k: v for k, v in (attrs.get("source_unassessed") or {}).items() if k in set(sources)}
    if never:
        parts.append("statements a source never codes ("
                     + "; ".join(f"{k}: {', '.join(v)}" for k, v in never.items()) + ")")
    if not parts:
        return "cinc: no label was left unknown for being unassessed by its source"
    return "cinc: labels the source did not assess are unknown (NaN), not negative: " + "; ".join(parts)


def cinc_count_note(task: str, Yc: pd.DataFrame, scored: list[str], n_before: int) -> str:
    """The note of a CinC task: the records its metrics rest on (those with at least one scored
    label known, as the summary row's ``n`` counts them) and why the others were left out.

    Parameters
    ----------
    task : str
        ``"superclass"`` or ``"statements"``.
    Yc : DataFrame
        External labels (NaN: unknown) of the records kept for the task.
    scored : list of str
        Labels with both classes among the known values (the ones scored).
    n_before : int
        Records measured, before a superclass task dropped those without a positive superclass.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.ptbxl_statements import cinc_count_note
    >>> Yc = pd.DataFrame({"LVH": [1, 0, None, None], "SR": [0, 1, 1, None]})
    >>> cinc_count_note("statements", Yc, ["LVH", "SR"], 4)
    'cinc statements: metrics rest on 3 external records; 1 of the 4 measured have none of the scored labels known (left out); labels with both classes known: LVH 2 (1 positive), SR 3 (2 positive) (records per label where it is known)'
    """
    n_known = int(Yc[scored].notna().any(axis=1).sum()) if scored else 0
    parts = []
    if len(Yc) < n_before:
        parts.append(f"{n_before - len(Yc)} without a positive superclass left out")
    if n_known < len(Yc):
        parts.append(f"{len(Yc) - n_known} of the {n_before} measured have none of the scored labels known "
                     "(left out)")
    per_label = ", ".join(f"{c} {int(Yc[c].notna().sum())} ({int((Yc[c] == 1).sum())} positive)" for c in scored)
    dropped = "".join(f"; {p}" for p in parts)
    return (f"cinc {task}: metrics rest on {n_known} external records{dropped}; labels with both classes "
            f"known: {per_label or 'none'} (records per label where it is known)")


__all__ = ["Params", "run", "run_ptbxl_statements_study", "settings", "design_matrix", "superclass_of_statements",
           "cinc_superclasses", "external_cinc", "FORM_SUGGESTS", "SUPERCLASSES", "cinc_count_note",
           "cinc_unassessed_note"]
