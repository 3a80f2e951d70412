"""The PTB-XL prototype study: a ProtoECGNet-style network on PTB-XL statements.

Reads PTB-XL (or the synthetic cohort in the PTB-XL layout) at 100 Hz, trains
:class:`~interp_ecg.prototypes.ProtoECGNetClassifier` on ``strat_fold`` 1-8 with fold 9 as the
validation fold (early stopping on its macro-AUROC with the ``paper`` preset, as ProtoECGNet;
monitored only, fixed epochs, with ``small``: the Methods section says which) and fold 10 as the test fold,
Platt-scales each network's outputs on fold 9 (:func:`calibrate_on_validation`: the
class-weighted loss inflates the raw outputs of rare statements; where fold 9 cannot calibrate
them the report calls them scores, not probabilities),
and reports per-statement ROC-AUC and PR-AUC with patient-bootstrap CIs on the test fold,
optionally against a black-box network with the same backbones trained the same way, plus the
prototype gallery and "this looks like that" pages.

Config ``params`` (:class:`~interp_ecg.studies.params.PtbxlPrototypesParams`) choose the statements, the preset
(``"paper"``: ProtoECGNet as published, the default; ``"small"``: CPU-sized) and optional
overrides (``epochs``: warm-up and joint epochs; ``width``, ``prototypes_per_class``). Run: ``interp-ecg study run studies/ptbxl_prototypes/study.yaml``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.studies.config import StudyConfig
from interp_ecg.studies.params import PtbxlPrototypesParams as Params
from interp_ecg.studies.runner import StudyResult, step

logger = logging.getLogger(__name__)

TITLE = "PTB-XL prototype network"


def _dataset(cfg: dict, out_dir: Path):
    from interp_ecg.io import read_ptbxl

    data = cfg["data"]
    if data["source"] == "ptbxl":
        return read_ptbxl(data["path"], sampling_rate=100), None
    from interp_ecg.simulate import cohort

    folder = Path(data["cache_dir"]) if data["cache_dir"] else out_dir / "cohort"
    if not (folder / "ptbxl_database.csv").exists() or not (folder / f".seed-{cfg['seed']}-{data['n_records']}").exists():
        cohort(data["n_records"], folder, random_state=cfg["seed"], n_jobs=cfg["n_jobs"], progress=True)
        (folder / f".seed-{cfg['seed']}-{data['n_records']}").touch()
    return read_ptbxl(folder, sampling_rate=100), (None if data["cache_dir"] else folder)


#: seconds per training ECG per warm-up or joint epoch of the ``paper`` preset on a CPU: a rough
#: figure from the project's shared 2-core machine (2026-12-01: 41-51 s per epoch for 240
#: training ECGs at 100 Hz, one torch thread), used only to tell a user what they started
PAPER_CPU_S_PER_ECG_EPOCH = 45.0 / 240


def paper_preset_cpu_warning(preset: str, device: str, n_train: int, epochs: int | None = None,
                             black_box: bool = False) -> str | None:
    """The start-up warning for the GPU-sized ``paper`` preset trained on a CPU, or ``None``.

    Parameters
    ----------
    preset : str
        The study's ``params.preset``.
    device : str
        The resolved device (:func:`interp_ecg.device.resolve_device`).
    n_train : int
        Training ECGs (``strat_fold`` 1-8).
    epochs : int, optional
        ``params.epochs`` (warm-up and joint epochs); ``None``: the preset's (200, early stopping
        after 10 epochs without improvement on fold 9).
    black_box : bool
        Whether a black-box network is trained too (about as long again).

    Returns
    -------
    str or None
        The message (device, epochs, a rough expected time) when ``preset`` is ``"paper"`` and
        ``device`` is the CPU; ``None`` otherwise.

    Examples
    --------
    >>> from interp_ecg.studies.ptbxl_prototypes import paper_preset_cpu_warning
    >>> paper_preset_cpu_warning("small", "cpu", 240) is None
    True
    >>> print(paper_preset_cpu_warning("paper", "cpu", 240))  # doctest: +ELLIPSIS
    preset 'paper' ... on the CPU: ... about 16 min to 5.0 h for the warm-up and joint phases of 240 training ECGs ...
    """
    if preset != "paper" or not str(device).startswith("cpu"):
        return None
    from interp_ecg.prototypes.estimator import PRESETS

    paper = PRESETS["paper"]
    max_ep = int(epochs) if epochs is not None else int(paper["warmup_epochs"])
    min_ep = min(max_ep, int(paper["patience"]) + 1) if epochs is None else max_ep
    per_epoch = PAPER_CPU_S_PER_ECG_EPOCH * n_train * (2 if black_box else 1)
    lo, hi = 2 * min_ep * per_epoch, 2 * max_ep * per_epoch

    def _span(sec: float) -> str:
        return f"{sec / 60:.0f} min" if sec < 3600 else f"{sec / 3600:.1f} h"

    span = _span(hi) if _span(lo) == _span(hi) else f"{_span(lo)} to {_span(hi)}"
    stop = (f"early stopping after {paper['patience']} epochs without improvement on fold 9" if epochs is None
            else "params.epochs caps them")
    nets = " for the two networks" if black_box else ""
    return (f"preset 'paper' (ProtoECGNet as published, sized for a GPU) is being trained on the CPU: "
            f"warm-up and joint phases up to {max_ep} epochs each ({stop}), "
            f"roughly {per_epoch:.0f} s per epoch{nets}, so about {span} for the warm-up and joint phases "
            f"of {n_train} training ECGs (rough: measured on a 2-core CPU). After 2 + 2 CPU epochs this "
            "preset scored at chance on PTB-XL (docs/results_prototypes.md). On a CPU set "
            "params.preset: small, or cap params.epochs.")


#: leads a gallery shows of a prototype drawn on more than three leads
GALLERY_LEADS = ("II", "V1", "V5")


def gallery_items(clf, per_class: int = 1) -> list[dict[str, Any]]:
    """The first ``per_class`` prototypes of each class as items of a prototype gallery.

    Parameters
    ----------
    clf : fitted :class:`~interp_ecg.prototypes.ProtoECGNetClassifier`
        Pushed prototypes (``prototype_sources_``, ``prototype_segments_``).
    per_class : int
        Prototypes shown per class, in the order of ``prototype_sources_``.

    Returns
    -------
    list of dict
        ``name, label, segment`` (leads x samples, at most three: :data:`GALLERY_LEADS` where
        present), ``fs, leads, source`` (record id) and ``window`` (seconds in the source), as
        :class:`interp_ecg.report.PrototypeGalleryBlock` takes.
    """
    counts: dict[str, int] = {}
    items = []
    for name, row in clf.prototype_sources_.iterrows():
        cls = row["class"]
        if counts.get(cls, 0) >= per_class:
            continue
        counts[cls] = counts.get(cls, 0) + 1
        seg = np.asarray(clf.prototype_segments_[name])
        leads = str(row["leads"]).split(",")
        if seg.shape[0] > 3:
            pick = [i for i, ld in enumerate(leads) if ld in GALLERY_LEADS] or [0, 1, 2]
            seg, leads = seg[pick[:3]], [leads[i] for i in pick[:3]]
        items.append({"name": name, "label": cls, "segment": seg, "fs": clf.fs, "leads": leads,
                      "source": row["record_id"], "window": f"{row['start_s']:.1f}-{row['end_s']:.1f} s"})
    return items


#: prototypes per statement the study's gallery shows
GALLERY_PER_CLASS = 2


def gallery_shown_note(clf, per_class: int) -> str:
    """The caption sentence saying how many prototypes a gallery of ``per_class`` per statement
    shows of how many (empty when it shows all).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.ptbxl_prototypes import gallery_shown_note
    >>> class Clf:
    ...     prototype_sources_ = pd.DataFrame({"class": ["AFIB"] * 2 + ["CLBBB"] * 3})
    >>> gallery_shown_note(Clf(), 2)
    '4 of the 5 prototypes are shown (the first 2 of each statement; CLBBB has 3): every prototype is in tables/prototypes.csv, and an example page may cite one not shown here.'
    """
    counts = clf.prototype_sources_["class"].value_counts(sort=False)
    shown = int(np.minimum(counts, per_class).sum())
    total = int(counts.sum())
    if shown == total:
        return ""
    more = ", ".join(f"{c} has {int(k)}" for c, k in counts.items() if k > per_class)
    first = "the first" if per_class == 1 else f"the first {per_class}"
    return (f"{shown} of the {total} prototypes are shown ({first} of each statement; {more}): "
            "every prototype is in tables/prototypes.csv, and an example page may cite one not shown here.")


def statement_metrics(labels: pd.DataFrame, scores: pd.DataFrame, groups, *, model: str, n_boot: int = 200,
                      random_state: int | None = 0, metrics: tuple[str, ...] = ("roc_auc", "pr_auc")) -> pd.DataFrame:
    """Per-statement metrics of a multi-label classifier on held-out records, patient-bootstrap CIs.

    Parameters
    ----------
    labels : pandas.DataFrame ``(n, k)``
        0/1 statements of the held-out records, NaN where not assessed (left out of that
        statement's metrics); a statement without positives or without negatives among them is
        left out (no ROC-AUC).
    scores : pandas.DataFrame ``(n, k)``
        Probabilities, same rows, a column per statement.
    groups : array-like ``(n,)``
        Patient ids.
    model : str
        ``model`` column of the table.
    n_boot, random_state
        Bootstrap replicates and seed (:func:`~interp_ecg.evaluate.tagged_metrics_table`).
    metrics : tuple of str
        Metrics kept.

    Returns
    -------
    pandas.DataFrame
        ``model, label`` (the statement), ``metric, estimate, ci_low, ci_high, ...``; empty
        when no statement can be scored.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.ptbxl_prototypes import statement_metrics
    >>> y = pd.DataFrame({"AFIB": [0, 1, 0, 1], "NORM": [1, 1, 1, 1]})
    >>> s = pd.DataFrame({"AFIB": [0.1, 0.8, 0.3, 0.6], "NORM": [0.9, 0.8, 0.7, 0.9]})
    >>> t = statement_metrics(y, s, [1, 2, 3, 4], model="net", n_boot=0)
    >>> t[["label", "metric", "estimate"]].values.tolist()
    [['AFIB', 'roc_auc', 1.0], ['AFIB', 'pr_auc', 1.0]]
    """
    from interp_ecg.evaluate import tagged_metrics_table

    rows = []
    for c in labels.columns:
        y = labels[c].astype(float)  # NaN: not assessed (a PTB-XL record without a rhythm statement), left out
        known = y.notna().to_numpy()
        if 0 < y.sum() < known.sum():
            tab = tagged_metrics_table(y[known], scores[c].to_numpy()[known], np.asarray(groups)[known],
                                       n_boot=n_boot, random_state=random_state, model=model, label=c)
            rows.append(tab[tab["metric"].isin(metrics)])
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def macro_roc_auc(labels: pd.DataFrame, scores: pd.DataFrame, groups, *, n_boot: int,
                  random_state: int | None = 0) -> pd.Series | None:
    """Macro-mean held-out ROC-AUC over the statements with positives and negatives, patients
    bootstrapped jointly (the ``label == "macro"`` row of :func:`~interp_ecg.evaluate.metrics_table`).

    Parameters
    ----------
    labels : pandas.DataFrame ``(n, k)``
        0/1 statements of the held-out ECGs.
    scores : pandas.DataFrame ``(n, k)``
        Scores, same index, a column per statement.
    groups : array-like ``(n,)``
        Patient ids.
    n_boot, random_state
        Bootstrap replicates and seed.

    Returns
    -------
    pandas.Series or None
        ``estimate, ci_low, ci_high, n_labels, ci_reason ...``; the interval is NaN (with the
        reason) unless every averaged statement has 5 positives and 5 negatives. None when no
        statement can be scored.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from interp_ecg.studies.ptbxl_prototypes import macro_roc_auc
    >>> y = pd.DataFrame({"AFIB": [0, 1, 0, 1], "NORM": [1, 0, 1, 0]})
    >>> s = pd.DataFrame({"AFIB": [0.1, 0.8, 0.3, 0.6], "NORM": [0.9, 0.2, 0.7, 0.4]})
    >>> r = macro_roc_auc(y, s, [1, 2, 3, 4], n_boot=0)
    >>> float(r["estimate"]), bool(np.isnan(r["ci_low"]))
    (1.0, True)
    """
    import warnings

    from interp_ecg.evaluate import metrics_table

    scored = [c for c in labels.columns if c in scores.columns and 0 < int(labels[c].sum()) < labels[c].notna().sum()]
    if not scored:
        return None
    with warnings.catch_warnings():  # a replicate without a statement's positives: NaN, the interval says so
        warnings.simplefilter("ignore", RuntimeWarning)
        t = metrics_table(labels[scored].astype(float), scores[scored], pd.Series(np.asarray(groups), index=labels.index),
                          n_boot=n_boot, random_state=random_state, metrics=("roc_auc",))
    name = "macro" if len(scored) > 1 else scored[0]
    row = t[t["label"] == name].iloc[0].copy()
    row["n_labels"] = len(scored)
    return row


def too_few_text(labels: pd.DataFrame, min_per_class: int | None = None) -> str:
    """The statements with fewer than ``min_per_class`` held-out positives or negatives, with
    their counts (``"AFIB 2 positive, SBRAD 1 positive"``); empty when none.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.ptbxl_prototypes import too_few_text
    >>> too_few_text(pd.DataFrame({"AFIB": [1, 0, 0, 0, 0, 0], "NORM": [1, 1, 1, 0, 0, 0]}), 3)
    'AFIB 1 positive'
    """
    from interp_ecg.evaluate.metrics import MIN_PER_CLASS_FOR_CI

    k = MIN_PER_CLASS_FOR_CI if min_per_class is None else int(min_per_class)
    parts = []
    for c in labels.columns:
        y = pd.to_numeric(labels[c], errors="coerce").dropna()
        pos, neg = int(y.sum()), int(len(y) - y.sum())
        if pos < k:
            parts.append(f"{c} {pos} positive")
        elif neg < k:
            parts.append(f"{c} {neg} negative")
    return ", ".join(parts)


def macro_text(row: pd.Series | None, labels: pd.DataFrame, digits: int = 3) -> str:
    """The macro ROC-AUC as a headline states it: with its 95% CI, or "not established" and why.

    Parameters
    ----------
    row : pandas.Series or None
        From :func:`macro_roc_auc`.
    labels : pandas.DataFrame
        0/1 held-out statements (their counts name the statements with too few positives).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.ptbxl_prototypes import macro_text
    >>> y = pd.DataFrame({"AFIB": [0, 1, 0, 1], "NORM": [1, 0, 1, 0]})
    >>> r = pd.Series({"estimate": 1.0, "ci_low": float("nan"), "ci_high": float("nan"), "n_labels": 2})
    >>> macro_text(r, y)
    '1.000 over 2 statements (not established: no 95% CI, fewer than 5 held-out positives or negatives for AFIB 2 positive, NORM 2 positive)'
    """
    from interp_ecg.evaluate import format_interval
    from interp_ecg.evaluate.metrics import MIN_PER_CLASS_FOR_CI

    if row is None:
        return "not estimable (no statement has both positive and negative held-out ECGs)"
    est, lo, hi = float(row["estimate"]), float(row["ci_low"]), float(row["ci_high"])
    n = int(row.get("n_labels", 1))
    over = f" over {n} statement{'' if n == 1 else 's'}"
    if np.isfinite(lo):
        return f"{format_interval(est, lo, hi, digits)}{over}"
    scored = [c for c in labels.columns if 0 < int(labels[c].sum()) < len(labels[c].dropna())]
    few = too_few_text(labels[scored])
    why = (f"fewer than {MIN_PER_CLASS_FOR_CI} held-out positives or negatives for {few}" if few
           else "no bootstrap interval could be estimated")
    return f"{est:.{digits}f}{over} (not established: no 95% CI, {why})"


def run(config: StudyConfig, run_dir: str | Path) -> StudyResult:
    """Train and evaluate the prototype network (:class:`~interp_ecg.studies.runner.Study` protocol).

    Parameters
    ----------
    config : StudyConfig
        A validated ``kind: ptbxl_prototypes`` config.
    run_dir : path
        The run folder; a synthetic cohort without ``data.cache_dir`` is written to
        ``run_dir/cohort`` and removed at the end.

    Returns
    -------
    StudyResult
        Tables ``metrics``, ``macro_auc``, ``prototypes``, ``test_scores``,
        ``training_history``; report blocks (cohort, performance, prototype gallery,
        "this looks like that" examples, methods).
    """
    import shutil

    from interp_ecg.prototypes import BlackBoxECGClassifier, ProtoECGNetClassifier
    from interp_ecg.prototypes.data import resolve_label_groups

    p = config.params.to_dict()
    seed = config.seed
    with step(f"dataset ({config.data.source})"):
        ds, temp = _dataset(config, Path(run_dir))
    meta = ds.meta
    # copies of one recording under two patient ids (PTB-XL 145/463) share a fold, so the network is
    # never trained (or early-stopped) on one copy and tested on the other
    from interp_ecg.evaluate import join_duplicate_folds
    from interp_ecg.studies.pipeline import duplicate_digests

    dup_notes: list[str] = []
    with step("duplicate recordings"):
        digests = duplicate_digests(ds, dup_notes)
    fold = join_duplicate_folds(pd.to_numeric(meta["strat_fold"], errors="coerce"), meta["patient_id"], digests,
                                purpose="strat_fold")
    if len(fold.attrs["moved"]):
        dup_notes.append("strat_fold: " + "; ".join(f"record {r.record} moved from fold {r.fold_before} to {r.fold}"
                                                    for r in fold.attrs["moved"].itertuples()))
    train_ids = meta.index[fold <= 8]
    test_ids = meta.index[fold == 10]
    if len(test_ids) == 0 or len(train_ids) == 0:
        from interp_ecg.errors import ConfigError

        raise ConfigError("the dataset has no records in strat_fold 1-8 or 10")
    labels = ds.labels
    classes, left_out = select_statements(labels, train_ids, test_ids, p["statements"],
                                          min_train=p["min_positives"], min_test=1)
    if not classes:
        from interp_ecg.errors import ConfigError

        raise ConfigError(f"none of the statements {p['statements']} has >= {p['min_positives']} training "
                          "positives and a test positive")
    # ProtoECGNet's assignment of the statements to branches (shipped in the package) unless given
    groups_map = resolve_label_groups(classes, p["label_groups"])
    val_ids = meta.index[fold == 9]
    common = dict(preset=p["preset"], label_groups=groups_map, width=p["width"], batch_size=p["batch_size"],
                  random_state=seed, device="auto")
    caps: dict[str, Any] = {}
    if p["epochs"] is not None:
        ep = int(p["epochs"])
        # the backbone phases are what costs; last layer and fusion (on similarities computed once)
        # keep the preset's epochs
        caps = dict(warmup_epochs=ep, joint_epochs=ep)
    from interp_ecg.device import resolve_device

    warning = paper_preset_cpu_warning(p["preset"], resolve_device("auto"), len(train_ids), p["epochs"],
                                       bool(p["black_box"]))
    if warning:
        logger.warning(warning)
    clf = ProtoECGNetClassifier(prototypes_per_class=p["prototypes_per_class"], **caps, **common)
    y_train = labels.loc[train_ids, classes]
    fit_kw: dict[str, Any] = {}
    if len(val_ids):
        fit_kw = dict(X_val=ds.subset(list(val_ids)), y_val=labels.loc[val_ids, classes])
    t0 = time.perf_counter()
    with step(f"prototype network ({p['preset']} preset, {len(train_ids)} training ECGs)"):
        clf.fit(ds.subset(list(train_ids)), y_train, **fit_kw)
    fit_s = time.perf_counter() - t0
    nets = {"prototype network": clf}
    if p["black_box"]:
        bb = BlackBoxECGClassifier(epochs=None if p["epochs"] is None else 2 * int(p["epochs"]), **common)
        with step("black-box network"):
            bb.fit(ds.subset(list(train_ids)), y_train, **fit_kw)  # same preset: optimiser, schedule, patience
        nets["black box"] = bb
    test_ds = ds.subset(list(test_ids))
    # ROC-AUC and PR-AUC from the raw outputs: a Platt slope <= 0 (fitted on a small fold 9) would
    # reverse a statement's ranking on the test fold
    scores = {name: pd.DataFrame(net.predict_proba(test_ds), index=test_ids, columns=net.classes_)
              for name, net in nets.items()}
    # the weighted BCE's sigmoid over-states rare statements: Platt-scale each network on fold 9
    # (never the test fold, never training records) before any output is called a probability
    cal_sentences = {name: calibrate_on_validation(net, fit_kw.get("X_val"), fit_kw.get("y_val"))
                     for name, net in nets.items()}
    shown = {name: (pd.DataFrame(net.predict_proba(test_ds), index=test_ids, columns=net.classes_)
                    if net.probabilities_calibrated_ else scores[name]) for name, net in nets.items()}
    groups = meta.loc[test_ids, "patient_id"]
    metrics = pd.concat([statement_metrics(labels.loc[test_ids, list(clf.classes_)], frame, groups, model=name,
                                           n_boot=p["n_boot"], random_state=seed)
                         for name, frame in scores.items()], ignore_index=True)
    test_labels = labels.loc[test_ids, list(clf.classes_)]
    macro_rows = {name: macro_roc_auc(test_labels, frame, groups, n_boot=p["n_boot"], random_state=seed)
                  for name, frame in scores.items()}
    macro = pd.DataFrame([{"model": name, "macro_roc_auc": r["estimate"], "ci_low": r["ci_low"],
                           "ci_high": r["ci_high"], "n_labels": r["n_labels"], "ci_reason": r["ci_reason"]}
                          for name, r in macro_rows.items() if r is not None],
                         columns=["model", "macro_roc_auc", "ci_low", "ci_high", "n_labels", "ci_reason"])
    src = clf.prototype_sources_.reset_index()
    tables = {"metrics": metrics, "macro_auc": macro, "prototypes": src,
              "test_scores": scores["prototype network"], "training_history": clf.history_,
              "calibration": calibration_table(nets, shown, test_labels)}
    if clf.probabilities_calibrated_:
        tables["test_probabilities"] = shown["prototype network"]
    summary = (f"{len(train_ids)} training ECGs (strat_fold 1-8), {len(test_ids)} test ECGs "
               f"(fold 10), {len(clf.classes_)} statements ({', '.join(clf.classes_)}); "
               f"statements left out: {left_out_text(left_out) or 'none'}. "
               f"Training took {fit_s:.0f} s on {clf.device_}. Macro ROC-AUC: "
               + "; ".join(f"{name} {macro_text(macro_rows[name], test_labels)}" for name in scores) + ". "
               + " ".join(dup_notes))
    blocks = _report_blocks(clf, ds, fold, metrics, shown["prototype network"], p, cal_sentences)
    if temp is not None:
        shutil.rmtree(temp, ignore_errors=True)
    return StudyResult(tables=tables, blocks=blocks, title=TITLE, summary=summary)


def _report_blocks(clf, ds, fold: pd.Series, metrics: pd.DataFrame, scores: pd.DataFrame,
                   p: dict[str, Any], cal_sentences: dict[str, str]) -> list[Any]:
    """Cohort by split, test-fold performance, prototype gallery, example pages and methods."""
    from interp_ecg.report import (
        CohortTableBlock, MetricsBlock, PatientBlock, PrototypeGalleryBlock, TextBlock,
    )
    from interp_ecg.report import matches_from_explanation
    from interp_ecg.studies.pipeline import with_sex_labels

    meta, labels = ds.meta, ds.labels
    split = np.where(fold == 10, "test", np.where(fold == 9, "validation", "train"))
    blocks: list[Any] = [CohortTableBlock(with_sex_labels(meta).assign(split=split), by="split")]
    m_show = metrics.assign(model=metrics["model"] + ": " + metrics["label"]).drop(columns=["label"])
    blocks.append(MetricsBlock(m_show, heading="Performance on the test fold",
                               caption="Per statement, test fold (10): estimate (95% CI, patient bootstrap).",
                               transpose=False))
    blocks.append(PrototypeGalleryBlock(gallery_items(clf, per_class=GALLERY_PER_CLASS),
                                        shown_note=gallery_shown_note(clf, GALLERY_PER_CLASS)))
    examples = scores.max(axis=1).sort_values(ascending=False).index[: p["n_examples"]]
    if len(examples):
        blocks.append(TextBlock(
            "How the example ECGs were chosen",
            f"The {len(examples)} example page{'s' if len(examples) != 1 else ''} below show the test ECG"
            f"{'s' if len(examples) != 1 else ''} with the highest top-statement "
            f"{'probability' if clf.probabilities_calibrated_ else 'score'} of the {len(scores)} in "
            "fold 10: the network's most confident cases, not typical ones, and not chosen for being right "
            "(each page gives the labelled statements beside the top one)."))
    for rid in examples:
        rec = ds.load(rid)
        try:
            matches = matches_from_explanation(clf.explain(rec), n=2)
        except Exception as err:  # noqa: BLE001
            logger.warning("explanation of %s failed: %s", rid, err)
            matches = []
        probs = scores.loc[rid]
        truth = [c for c in clf.classes_ if labels.loc[rid, c] == 1]  # (NaN: not assessed)
        blocks.append(PatientBlock(rid, rec.signal, rec.fs, rec.leads, matches=matches,
                                   summary={"Top statement": f"{probs.idxmax()} ({output_text(clf, probs.max())})",
                                            "Labelled": ", ".join(truth) or "none"},
                                   patient_id=meta.loc[rid, "patient_id"], heading="Example"))
    n_val = int((fold == 9).sum())
    blocks.append(TextBlock("Methods", "Input: 10 s, 12 leads, 100 Hz, high-pass 0.5 Hz. Splits: PTB-XL "
                                       "strat_fold (patient-wise): train 1-8, "
                                       f"{validation_text(clf.settings_, clf.history_, n_val)}, test 10. "
                                       f"Network: ProtoECGNet, preset '{p['preset']}' (width {clf.settings_['width']}, "
                                       f"blocks {clf.settings_['blocks']}). "
                                       + " ".join(f"{name[0].upper()}{name[1:]}: {text}"
                                                  for name, text in cal_sentences.items())
                                       + " ROC-AUC and PR-AUC are computed from the raw outputs (test_scores), "
                                       "before calibration: a calibration with a positive slope would not change "
                                       "them, and one with a slope <= 0 would reverse the ranking. "
                                       "Prototypes are projected onto real training segments (push)."))
    return blocks


def calibrate_on_validation(net, X_val, y_val, split: str = "PTB-XL fold 9") -> str:
    """Platt-scale a fitted network on the validation records, and the Methods sentence saying what its outputs are.

    The networks are trained with a class-weighted BCE (positives weighted
    ``n_negative / n_positive``), so their sigmoid outputs over-state rare statements (user9: a
    mean output of 0.41 for MI where 12.5 % of the test ECGs had MI). This calls
    ``net.calibrate(X_val, y_val)`` (record-wise Platt scaling per statement) when validation
    records exist; when they do not, or a statement has no positive (or no negative) among them,
    the network stays uncalibrated and the sentence says its outputs are scores.

    Parameters
    ----------
    net : ProtoECGNetClassifier or BlackBoxECGClassifier
        A fitted network (calibrated in place).
    X_val : Dataset or None
        Validation records: neither training nor test records.
    y_val : pandas.DataFrame or None
        Their 0/1 labels, one column per statement of ``net.classes_``.
    split : str
        Name of the validation split, for the sentence.

    Returns
    -------
    str
        ``"outputs calibrated on PTB-XL fold 9 (72 ECGs; ...)"`` or ``"outputs are scores ... not
        calibrated probabilities (...)"``.

    Examples
    --------
    >>> from interp_ecg.studies.ptbxl_prototypes import calibrate_on_validation
    >>> class Net:
    ...     probabilities_calibrated_ = False
    >>> calibrate_on_validation(Net(), None, None)
    'outputs are scores from a class-weighted loss (positives weighted n_negative / n_positive), not calibrated probabilities (no validation records to calibrate them on).'
    """
    from interp_ecg.errors import ConfigError

    uncal = ("outputs are scores from a class-weighted loss (positives weighted n_negative / n_positive), not "
             "calibrated probabilities ({why}).")
    if X_val is None or y_val is None or len(y_val) == 0:
        return uncal.format(why="no validation records to calibrate them on")
    try:
        net.calibrate(X_val, y_val)
    except ConfigError as err:
        logger.warning("outputs left uncalibrated: %s", err)
        return uncal.format(why=f"{split} could not calibrate them: {err}")
    cal = net.calibration_
    parts = ", ".join(f"{c} {cal.loc[c, 'mean_score_before']:.2f} -> {cal.loc[c, 'mean_probability_after']:.2f} "
                      f"(prevalence {cal.loc[c, 'prevalence']:.2f})" for c in cal.index)
    flipped = [str(c) for c in cal.index[cal["slope"] <= 0]]
    flip = (f" On these ECGs the raw output ranked {', '.join(flipped)} the wrong way round (slope <= 0): "
            "their calibrated probabilities carry no ranking." if flipped else "")
    from interp_ecg.evaluate.metrics import MIN_PER_CLASS_FOR_CI

    few = [f"{c} ({int(cal.loc[c, 'n_positive'])})" for c in cal.index
           if min(cal.loc[c, "n_positive"], cal.loc[c, "n_records"] - cal.loc[c, "n_positive"]) < MIN_PER_CLASS_FOR_CI]
    rough = (f" Fewer than {MIN_PER_CLASS_FOR_CI} validation positives (or negatives) for {', '.join(few)}: their "
             "calibration is not established." if few else "")
    return (f"outputs calibrated on {split} ({int(cal['n_records'].iloc[0])} ECGs, not used for training or "
            "testing) by Platt scaling per statement (p = sigmoid(a * logit + b), fitted record-wise), because "
            "the class-weighted loss inflates the raw outputs of rare statements; mean output on the "
            f"validation ECGs before -> after: {parts}.{flip}{rough}")


def output_text(net, value: float) -> str:
    """``"p = 0.61"`` for a calibrated network, else ``"score 0.61, not a calibrated probability"``.

    Examples
    --------
    >>> from interp_ecg.studies.ptbxl_prototypes import output_text
    >>> class Net:
    ...     probabilities_calibrated_ = False
    >>> output_text(Net(), 0.613)
    'score 0.61, not a calibrated probability'
    >>> Net.probabilities_calibrated_ = True
    >>> output_text(Net(), 0.613)
    'p = 0.61'
    """
    if getattr(net, "probabilities_calibrated_", False):
        return f"p = {value:.2f}"
    return f"score {value:.2f}, not a calibrated probability"


def calibration_table(nets: dict[str, Any], scores: dict[str, pd.DataFrame], test_labels: pd.DataFrame) -> pd.DataFrame:
    """Per network and statement: the calibration fitted on the validation records (empty fields
    when uncalibrated) beside the test fold's prevalence and mean output.

    Parameters
    ----------
    nets : dict
        Model name -> fitted network.
    scores : dict
        Model name -> its test outputs as the report shows them (calibrated when the network is), ECG x statement.
    test_labels : pandas.DataFrame
        0/1 test labels.

    Returns
    -------
    pandas.DataFrame
        ``model, statement, calibrated, slope, intercept, n_records, n_positive, mean_score_before,
        mean_probability_after, prevalence`` (all on the validation records), ``test_prevalence,
        test_mean_output``.
    """
    rows = []
    for name, net in nets.items():
        cal = getattr(net, "calibration_", None)
        for c in net.classes_:
            row: dict[str, Any] = {"model": name, "statement": c,
                                   "calibrated": bool(getattr(net, "probabilities_calibrated_", False))}
            for k in ("slope", "intercept", "n_records", "n_positive", "mean_score_before",
                      "mean_probability_after", "prevalence"):
                row[k] = float(cal.loc[c, k]) if cal is not None else np.nan
            row["test_prevalence"] = float(test_labels[c].mean())
            row["test_mean_output"] = float(scores[name][c].mean())
            rows.append(row)
    return pd.DataFrame(rows)


def validation_text(settings: dict[str, Any], history: pd.DataFrame | None, n_val: int) -> str:
    """What the validation fold did in a fit, from the settings used and the epochs run.

    Parameters
    ----------
    settings : dict
        ``ProtoECGNetClassifier.settings_`` (``patience``: None means fixed epochs).
    history : pandas.DataFrame
        ``history_``: one row per epoch run, ``phase``.
    n_val : int
        Records of fold 9.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.ptbxl_prototypes import validation_text
    >>> h = pd.DataFrame({"phase": ["warmup"] * 3 + ["joint"] * 5})
    >>> validation_text({"patience": None}, h, 40)
    'validation 9 (40 ECGs; its macro ROC-AUC monitored only: fixed epochs, no early stopping; epochs run: warmup 3, joint 5)'
    >>> validation_text({"patience": 10}, h, 40)
    'validation 9 (40 ECGs; early stopping on its macro ROC-AUC, patience 10 epochs; epochs run: warmup 3, joint 5)'
    >>> validation_text({"patience": 10}, h, 0)
    'no validation (fold 9 has no ECGs: fixed epochs, no early stopping; epochs run: warmup 3, joint 5)'
    """
    run = ""
    if history is not None and len(history) and "phase" in history:
        counts = history["phase"].value_counts(sort=False)
        run = "; epochs run: " + ", ".join(f"{ph} {int(k)}" for ph, k in counts.items())
    if n_val == 0:
        return f"no validation (fold 9 has no ECGs: fixed epochs, no early stopping{run})"
    patience = settings.get("patience")
    if patience is None:
        return (f"validation 9 ({n_val} ECGs; its macro ROC-AUC monitored only: fixed epochs, no early "
                f"stopping{run})")
    return f"validation 9 ({n_val} ECGs; early stopping on its macro ROC-AUC, patience {patience} epochs{run})"


#: the former name of :func:`run`
run_ptbxl_prototypes_study = run


def select_statements(labels: pd.DataFrame, train_ids, test_ids, statements, *, min_train: int,
                      min_test: int = 1) -> tuple[list[str], dict[str, str]]:
    """The candidate statements a network can be trained and scored on, and why the others are not.

    Parameters
    ----------
    labels : pandas.DataFrame
        0/1 statement labels, one row per ECG.
    train_ids, test_ids : index-like
        Training and held-out ECGs (rows of ``labels``).
    statements : sequence of str
        Candidate statements, in order.
    min_train, min_test : int
        Fewest positive training and held-out ECGs a statement needs.

    Returns
    -------
    kept : list of str
        The statements with enough positives, in the given order.
    left_out : dict
        Statement -> the reason, with the counts (``"2 positive training ECGs, 3 needed"``).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.ptbxl_prototypes import select_statements
    >>> y = pd.DataFrame({"NORM": [1, 1, 1, 0, 1], "AFIB": [1, 0, 0, 0, 1]})
    >>> select_statements(y, [0, 1, 2, 3], [4], ["NORM", "AFIB", "LVH"], min_train=3)
    (['NORM'], {'AFIB': '1 positive training ECG, 3 needed', 'LVH': 'not a label of the cohort'})
    """
    kept: list[str] = []
    left_out: dict[str, str] = {}
    for c in statements:
        if c not in labels.columns:
            left_out[c] = "not a label of the cohort"
            continue
        n_tr, n_te = int(labels.loc[train_ids, c].sum()), int(labels.loc[test_ids, c].sum())
        why = []
        if n_tr < min_train:
            why.append(f"{n_tr} positive training ECG{'' if n_tr == 1 else 's'}, {min_train} needed")
        if n_te < min_test:
            why.append(f"{n_te} positive held-out ECG{'' if n_te == 1 else 's'}, {min_test} needed")
        if why:
            left_out[c] = "; ".join(why)
        else:
            kept.append(c)
    return kept, left_out


def left_out_text(left_out: dict[str, str]) -> str:
    """``"STACH (0 positive training ECGs, 3 needed), LVH (not a label of the cohort)"``; empty when none.

    Examples
    --------
    >>> from interp_ecg.studies.ptbxl_prototypes import left_out_text
    >>> left_out_text({"STACH": "0 positive training ECGs, 3 needed"})
    'STACH (0 positive training ECGs, 3 needed)'
    """
    return ", ".join(f"{c} ({why})" for c, why in left_out.items())


#: PTB-XL rhythm statements: the rhythm branch (global prototypes) of :func:`fit_cpu_network`
RHYTHM_STATEMENTS = ("AFIB", "STACH", "SBRAD", "SR", "SVTAC", "1AVB")


@dataclass
class CpuNetworkFit:
    """A prototype network fitted by :func:`fit_cpu_network`, with what it was fitted and scored on.

    Attributes
    ----------
    model : ProtoECGNetClassifier
        The fitted network.
    dataset_100hz : Dataset
        The dataset resampled to 100 Hz (the network's input; ``model.explain`` takes its records).
    train_ids, test_ids : Index
        Training ECGs (after the ``max_train`` subset) and held-out ECGs.
    similarities : DataFrame
        Prototype similarities of every ECG (``model.transform``).
    test_scores : DataFrame
        Held-out ECG x statement probabilities.
    fit_seconds : float
        Wall time of the fit.
    left_out : dict
        Candidate statements not trained, with the reason (:func:`select_statements`).
    """

    model: Any
    dataset_100hz: Any
    train_ids: pd.Index
    test_ids: pd.Index
    similarities: pd.DataFrame
    test_scores: pd.DataFrame
    fit_seconds: float
    left_out: dict = field(default_factory=dict)


def fit_cpu_network(ds, test: pd.Series, statements: list[str], *, max_train: int, prototypes_per_class: int,
                    epochs: int, random_state: int = 0) -> CpuNetworkFit:
    """Fit a small ProtoECGNet-style network within a CPU budget (the demo's prototype network).

    Both branches use 1D backbones (the paper's 2D morphology backbone is about 20x slower on a
    CPU): rhythm statements (:data:`RHYTHM_STATEMENTS`) get global prototypes, the others
    time-localised (partial) ones. Trained at 100 Hz on at most ``max_train`` randomly chosen
    training ECGs; a statement is kept when it has at least 3 positives among them and 1
    among the held-out ECGs.

    Parameters
    ----------
    ds : Dataset
        ECGs with PTB-XL statement labels (``ds.labels``).
    test : Series of bool
        Held-out ECGs (index of ``ds.meta``); the rest is for training.
    statements : list of str
        Candidate statements, in order.
    max_train : int
        Most training ECGs (a random subset, sorted, when there are more).
    prototypes_per_class, epochs : int
        Prototypes per statement; joint and fusion epochs (warm-up ``max(1, epochs // 2)``).
    random_state : int

    Returns
    -------
    CpuNetworkFit

    Raises
    ------
    ArgumentError
        When no candidate statement has enough positives.
    """
    from interp_ecg.errors import ArgumentError
    from interp_ecg.prototypes import ProtoECGNetClassifier

    ds100 = ds.resample(100)
    labels = ds.labels
    train_ids = ds.meta.index[~test.to_numpy()]
    test_ids = ds.meta.index[test.to_numpy()]
    if len(train_ids) > max_train:
        rng = np.random.default_rng(random_state)
        train_ids = pd.Index(sorted(rng.choice(train_ids, max_train, replace=False)))
    classes, left_out = select_statements(labels, train_ids, test_ids, statements, min_train=3, min_test=1)
    if not classes:
        raise ArgumentError(f"no statement of {list(statements)} has 3 positives among the {len(train_ids)} "
                            f"training ECGs and 1 among the {len(test_ids)} held-out ECGs: the prototype "
                            f"network cannot be trained ({left_out_text(left_out)})")
    rhythm = [c for c in classes if c in RHYTHM_STATEMENTS]
    groups = {k: v for k, v in {"rhythm": rhythm, "morphology": [c for c in classes if c not in rhythm]}.items()
              if v}
    clf = ProtoECGNetClassifier(preset="small", label_groups=groups, prototypes_per_class=prototypes_per_class,
                                width=8, blocks=(1, 1, 1, 1), warmup_epochs=max(1, epochs // 2),
                                joint_epochs=epochs, last_layer_epochs=1, fusion_epochs=epochs, batch_size=32,
                                random_state=random_state, device="cpu",
                                branch_types={"rhythm": ("1d", "global"), "morphology": ("1d", "partial")})
    t0 = time.perf_counter()
    clf.fit(ds100.subset(list(train_ids)), labels.loc[train_ids, classes])
    fit_s = time.perf_counter() - t0
    sims = clf.transform(ds100)
    scores = pd.DataFrame(clf.predict_proba(ds100.subset(list(test_ids))), index=test_ids, columns=clf.classes_)
    return CpuNetworkFit(clf, ds100, train_ids, test_ids, sims, scores, fit_s, left_out)


__all__ = ["CpuNetworkFit", "GALLERY_LEADS", "GALLERY_PER_CLASS", "Params", "RHYTHM_STATEMENTS", "TITLE",
           "calibrate_on_validation", "calibration_table", "fit_cpu_network", "output_text", "gallery_items", "gallery_shown_note", "left_out_text", "macro_roc_auc", "macro_text",
           "run", "run_ptbxl_prototypes_study", "select_statements", "statement_metrics", "too_few_text",
           "validation_text"]
