"""Study: PheWAS of ECG prototypes (and class scores, or any exposure table).

After "Prototype Learning to Create Refined Interpretable Digital Phenotypes from ECGs" (2025):
prototypes trained for classification are applied unchanged to a held-out population, and their
similarity scores are tested against phecodes derived from the patients' ICD diagnoses.

Steps of :func:`run` (parameters: :class:`~interp_ecg.studies.params.PrototypePhewasParams`):

1. ECGs and diagnoses: the embedded synthetic cohort (``data.source: synthetic``; written by
   :func:`interp_ecg.simulate.cohort` unless ``data.path`` points to one), or MIMIC-IV-ECG
   (``data.source: mimic``, ``data.path`` = MIMIC-IV-ECG root, ``data.diagnoses`` = MIMIC-IV
   ``hosp/`` folder).
2. Exposures: ``params.exposure_source`` = ``prototypes`` (a small ProtoECGNet trained on the
   patients of folds 1-5 - ``params.train_folds`` -, prototype similarities and class scores
   ``prob_<CLASS>`` of the other patients: the network's sigmoid outputs from a class-weighted
   loss, not calibrated probabilities, as every held-out ECG is an exposure and none is left to
   calibrate them on), ``features`` (fiducial features), ``table`` (``params.exposure_table``: CSV
   or Parquet, first column the ECG id) or ``auto`` (a table when given, else prototypes, else
   features).
3. One ECG per patient (``params.ecg_per_subject``), diagnoses linked with
   ``params.window`` (``null``, ``admission`` or ``[start, end]``), phecodes with
   :func:`~interp_ecg.phenotype.icd_to_phecodes`. ``params.min_code_count: null`` means 1 under
   ``window: admission`` (one ECG, one stay) and 2 otherwise: 2 distinct admissions on
   MIMIC-IV, 2 distinct dates on the synthetic cohort (its table has one row per dated
   occurrence). An ECG with no linked diagnoses on MIMIC-IV (no stay, no valid time) is left
   out, its phenotype unknown, and counted in the cohort table.
4. PheWAS adjusted for ``params.covariates``; AUC per exposure x significant phecode with
   bootstrap CIs; prototypes vs class score vs prototype mean; intra-class prototype
   distance vs association heterogeneity; Manhattan, volcano and heatmap figures.

Returns tables, figures and report blocks for the study runner, which writes them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.errors import ConfigError, DataNotFoundError
from interp_ecg.studies.config import StudyConfig, validate_config
from interp_ecg.studies.params import PrototypePhewasParams as Params
from interp_ecg.studies.params import covariate_problem
from interp_ecg.studies.runner import StudyResult, step

logger = logging.getLogger(__name__)

TITLE = "Prototype PheWAS: digital phenotypes from ECG prototypes"


def _read_table(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise DataNotFoundError("exposure table not found", source=path)
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
    else:  # the first column (the ECG id) as text: "00412345" keeps its zeros
        df = pd.read_csv(path, dtype={pd.read_csv(path, nrows=0).columns[0]: str})
    return df.set_index(df.columns[0])


# ------------------------------------------------------------------------------ data
def _synthetic(config: dict, out_dir: Path) -> dict:
    from interp_ecg.io import read_ptbxl
    from interp_ecg.simulate import cohort

    data = config.get("data") or {}
    seed = config.get("seed", 0)
    root = data.get("path")
    if root is None:
        root = out_dir / "cohort"
        logger.info("writing a synthetic cohort of %s records to %s", data.get("n_records", 300), root)
        cohort(int(data.get("n_records") or 300), root, random_state=seed, progress=False,
               sampling_rate=100)
    root = Path(root)
    ds = read_ptbxl(root, sampling_rate=100)
    meta = ds.meta.copy()
    ecgs = pd.DataFrame(
        {
            "subject_id": meta["patient_id"].to_numpy(),
            "ecg_time": pd.to_datetime(meta["recording_date"], errors="coerce").to_numpy(),
            "age": pd.to_numeric(meta["age"], errors="coerce").to_numpy(),
            "sex": meta["sex"].to_numpy(),
            "fold": meta["strat_fold"].to_numpy() if "strat_fold" in meta else 0,
        },
        index=pd.Index(meta.index, name="ecg_id"),
    )
    dx_path = Path(data.get("diagnoses") or root / "diagnoses.csv")
    if not dx_path.exists():
        raise DataNotFoundError("diagnoses table of the synthetic cohort not found", source=dx_path)
    dx = pd.read_csv(dx_path, dtype={"icd_code": str}).rename(columns={"patient_id": "subject_id"})
    return {"dataset": ds, "ecgs": ecgs, "diagnoses": dx, "admissions": None, "synthetic": True,
            "time_col": "date"}


def _mimic(config: dict) -> dict:
    from interp_ecg.io import as_id_strings, read_mimic_diagnoses, read_mimic_ecg

    data = config.get("data") or {}
    if not data.get("path") or not data.get("diagnoses"):
        raise ConfigError("data.source: mimic needs data.path (MIMIC-IV-ECG) and data.diagnoses (hosp/)")
    hosp = Path(data["diagnoses"])
    ds = read_mimic_ecg(data["path"], hosp_dir=hosp)
    meta = ds.meta
    ecgs = pd.DataFrame(
        {
            "subject_id": meta["patient_id"].to_numpy(),
            "ecg_time": pd.to_datetime(meta["ecg_time"], errors="coerce").to_numpy(),
            "age": pd.to_numeric(meta.get("age"), errors="coerce"),
            "sex": meta.get("sex"),
            "fold": (pd.util.hash_array(meta["patient_id"].to_numpy()) % 10 + 1).astype(int),
        },
        index=pd.Index(meta.index, name="ecg_id"),
    )
    dx = read_mimic_diagnoses(hosp)
    adm = None
    for name in ("admissions.csv.gz", "admissions.csv", "admissions.parquet"):
        if (hosp / name).exists():
            adm = (pd.read_parquet(hosp / name) if name.endswith("parquet")
                   else pd.read_csv(hosp / name, usecols=["hadm_id", "admittime", "dischtime"], dtype={"hadm_id": str}))
            adm["hadm_id"] = as_id_strings(adm["hadm_id"])  # text, as read_mimic_diagnoses gives it
            break
    return {"dataset": ds, "ecgs": ecgs, "diagnoses": dx, "admissions": adm, "synthetic": False,
            "time_col": "admittime"}


# ------------------------------------------------------------------------------ exposures
def _prototype_exposures(ds, ecgs: pd.DataFrame, params: dict, seed: int):
    from interp_ecg.prototypes import ProtoECGNetClassifier

    train = ecgs.index[ecgs["fold"].isin(params["train_folds"])]
    test = ecgs.index.difference(train)
    if len(train) < 10 or len(test) < 10:
        raise ConfigError(f"too few ECGs to train prototypes ({len(train)}) and test ({len(test)})")
    kw = dict(params["prototype"])
    kw["blocks"] = tuple(kw.get("blocks", (1, 1)))
    if kw.get("n_samples") is None:
        # the published 10 s input, or the records' own length when they are shorter: a
        # prototype is pushed onto real samples only, never onto zero padding
        first = ds.load(train[0])
        n_rec = int(round(np.asarray(first.signal).shape[-1] * 100.0 / float(first.fs)))
        kw["n_samples"] = min(1000, n_rec)
        if n_rec < 1000:
            logger.info("records of %.1f s: the prototype network's input is %d samples (100 Hz)",
                        n_rec / 100.0, kw["n_samples"])
    clf = ProtoECGNetClassifier(random_state=seed, **kw)
    clf.fit(ds.subset(train))
    test_ds = ds.subset(test)
    sims = clf.transform(test_ds)
    probs = pd.DataFrame(clf.predict_proba(test_ds), index=sims.index,
                         columns=[f"prob_{c}" for c in clf.classes_])
    vectors = None
    try:  # prototype vectors (unit norm) per branch, for the distance analysis
        rows, names = [], list(clf.feature_names_out_)
        for branch in clf.model_.branches.values():
            rows.extend(branch.prototype_layer.normalised().detach().cpu().numpy())
        if len(rows) == len(names):
            dim = max(len(r) for r in rows)
            mat = np.full((len(rows), dim), np.nan)
            for i, r in enumerate(rows):
                mat[i, : len(r)] = r
            vectors = pd.DataFrame(mat, index=names)
    except Exception as exc:  # pragma: no cover - depends on the prototype model internals
        logger.warning("prototype vectors unavailable: %s", exc)
    note = (f"ProtoECGNet-style model trained on {len(train)} ECGs (folds {params['train_folds']}); "
            f"exposures = its prototype similarities and class scores (prob_<CLASS>: sigmoid outputs of a "
            "class-weighted loss, which over-state rare classes; not calibrated probabilities, as no held-out "
            f"ECG is left to calibrate them on) on {len(test)} held-out ECGs; "
            + held_out_discrimination(test_ds.labels, probs.set_axis(list(clf.classes_), axis=1)))
    return sims.join(probs), vectors, note


def held_out_discrimination(labels: pd.DataFrame, scores: pd.DataFrame) -> str:
    """One sentence on how well the network behind the exposures discriminates its own classes on
    the held-out ECGs (macro ROC-AUC over the classes with positives and negatives there; a
    class with one label value only, or a held-out ECG without its label, is not scorable). When
    a scored class has fewer than 5 held-out positives or negatives the sentence says the macro
    value is not established (no 95% CI), as the per-class tables do.

    A prototype association is only as meaningful as the prototype network's grasp of its
    classes, so the report states it beside the associations.

    Parameters
    ----------
    labels : pandas.DataFrame ``(n, k)``
        0/1 labels of the held-out ECGs, a column per class.
    scores : pandas.DataFrame ``(n, k)``
        Predicted scores (or probabilities), same index; columns not in ``labels`` are ignored.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.prototype_phewas import held_out_discrimination
    >>> y = pd.DataFrame({"AFIB": [0, 1, 0, 1], "NORM": [1, 1, 1, 1]})
    >>> s = pd.DataFrame({"AFIB": [0.1, 0.8, 0.3, 0.6], "NORM": [0.9, 0.8, 0.7, 0.9]})
    >>> held_out_discrimination(y, s)
    'held-out macro ROC-AUC 1.000 over 1 of 2 classes (not scorable: NORM); not established: fewer than 5 held-out positives or negatives for AFIB 2 positive, no 95% CI'
    """
    from sklearn.metrics import roc_auc_score

    from interp_ecg.evaluate.metrics import MIN_PER_CLASS_FOR_CI
    from interp_ecg.studies.ptbxl_prototypes import too_few_text

    if labels is None:
        return "held-out ROC-AUC not estimable (the held-out ECGs carry no labels)"
    aucs, skipped = {}, []
    for c in scores.columns:
        if c not in labels.columns:
            continue
        y = labels[c].reindex(scores.index)
        if y.isna().any():
            skipped.append(str(c))
            continue
        y = y.astype(int)
        if 0 < y.sum() < len(y):
            aucs[c] = roc_auc_score(y, scores[c])
        else:
            skipped.append(str(c))
    n = len(aucs) + len(skipped)
    if not aucs:
        return f"held-out ROC-AUC not estimable (no class of {n} has both label values among the held-out ECGs)"
    tail = f" (not scorable: {', '.join(skipped)})" if skipped else ""
    few = too_few_text(labels.reindex(scores.index)[list(aucs)])
    if few:  # the rule of the per-class tables: no interval below 5 positives or negatives
        tail += (f"; not established: fewer than {MIN_PER_CLASS_FOR_CI} held-out positives or negatives for "
                 f"{few}, no 95% CI")
    return f"held-out macro ROC-AUC {np.mean(list(aucs.values())):.3f} over {len(aucs)} of {n} classes{tail}"


def _feature_exposures(ds) -> tuple[pd.DataFrame, str]:
    from interp_ecg.features import extract

    feats = extract(ds, progress=False)
    num = feats.select_dtypes("number")
    num = num.loc[:, num.notna().mean() >= 0.8]
    num = num.loc[:, num.std() > 0]
    return num, "fiducial features (columns measured in >= 80% of ECGs)"


def _exposures(src: dict, params: dict, seed: int):
    kind = params["exposure_source"]
    if kind == "auto":
        if params["exposure_table"]:
            kind = "table"
        else:
            try:
                import torch  # noqa: F401

                from interp_ecg.prototypes import ProtoECGNetClassifier  # noqa: F401

                kind = "prototypes"
            except ImportError:
                kind = "features"
    if kind == "table":
        if not params["exposure_table"]:
            raise ConfigError("exposure_source: table needs params.exposure_table")
        table = _read_table(params["exposure_table"])
        if params.get("exposure_columns") is None:
            ids = [c for c in table.columns if is_identifier_column(c)]
            if ids:
                logger.info("exposure table: identifier columns are not exposures: %s", ", ".join(map(str, ids)))
                table = table.drop(columns=ids)
        return table, None, f"exposures from {params['exposure_table']}"
    if kind == "prototypes":
        return _prototype_exposures(src["dataset"], src["ecgs"], params, seed)
    if kind == "features":
        X, note = _feature_exposures(src["dataset"])
        return X, None, note
    raise ConfigError(f"params.exposure_source must be auto, prototypes, features or table, not {kind!r}")


def is_identifier_column(name) -> bool:
    """Whether a column of an exposure table names records rather than measuring them: ``id``,
    ``*_id`` (``subject_id``, ``hadm_id`` ...) or a pandas ``Unnamed: k`` index column. Such
    columns are never exposures (as in :func:`interp_ecg.studies.pipeline.run_phewas`).

    Examples
    --------
    >>> from interp_ecg.studies.prototype_phewas import is_identifier_column
    >>> [is_identifier_column(c) for c in ("subject_id", "ID", "Unnamed: 0", "proto_AFIB_0", "valid")]
    [True, True, True, False, False]
    """
    text = str(name).strip().lower()
    return text == "id" or text.endswith("_id") or text.startswith("unnamed:")


def _exposure_columns(X: pd.DataFrame, wanted: list[str] | None, source: str) -> pd.DataFrame:
    """The exposures named by ``params.exposure_columns`` (all when None); an unknown name is a
    ConfigError naming the source of the exposures."""
    if wanted is None:
        return X
    problem = covariate_problem(wanted, X.columns)
    if problem:
        raise ConfigError(f"params.exposure_columns: {problem} (exposures: {source})")
    return X[list(dict.fromkeys(wanted))]


# ------------------------------------------------------------------------------ main
def run(config: StudyConfig, run_dir: str | Path) -> StudyResult:
    """The prototype PheWAS study (:class:`~interp_ecg.studies.runner.Study` protocol).

    Parameters
    ----------
    config : StudyConfig
        A validated ``kind: prototype_phewas`` config (``seed``, ``data`` {``source``,
        ``path``, ``n_records``, ``diagnoses``, ``phecode_map``}, ``scheduler``, ``params``).
    run_dir : path
        The run folder (a synthetic cohort is written to ``run_dir/cohort`` when
        ``data.path`` names none).

    Returns
    -------
    StudyResult
        Tables ``phewas``, ``skipped`` (phecodes of the linked diagnoses not tested, and why),
        ``auc``, ``prototype_vs_class``, ``distance_vs_mixing``, ``mapping``, ``cohort``; figures ``manhattan``, ``volcano``, ``heatmap``
        (matplotlib); report blocks; notes.
    """
    from interp_ecg import phenotype

    out_dir = Path(run_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = config.params.to_dict()
    seed = config.seed
    data = config.data.to_dict()
    with step(f"ECGs and diagnoses ({config.data.source})"):
        src = _synthetic(config, out_dir) if config.data.source == "synthetic" else _mimic(config)
    notes: list[str] = []

    with step(f"exposures ({params['exposure_source']})"):
        X, vectors, note = _exposures(src, params, seed)
    X = _exposure_columns(X, params["exposure_columns"], note)
    notes.append(note)
    if len(X.index) and not X.index.isin(src["ecgs"].index).any():  # ids of another kind (text vs number)
        from interp_ecg.io import as_id_strings

        text = pd.Index(as_id_strings(pd.Series(src["ecgs"].index)).to_numpy(dtype=object))
        pos = text.get_indexer(as_id_strings(pd.Series(X.index)).to_numpy(dtype=object))
        if (pos >= 0).any():
            X = X.iloc[pos >= 0].set_axis(src["ecgs"].index[pos[pos >= 0]].rename(X.index.name), axis=0)
    ecgs = src["ecgs"].loc[src["ecgs"].index.intersection(X.index)]
    if not len(ecgs):
        first = f"; its first column {X.index.name!r}" if X.index.name is not None else ""
        raise ConfigError(f"no exposure row matches an ECG id ({note}{first}; ECG ids such as "
                          f"{', '.join(map(str, src['ecgs'].index[:3]))})")
    ecgs = phenotype.select_ecgs(ecgs, params["ecg_per_subject"])
    X = X.loc[ecgs.index]
    n_patients = ecgs["subject_id"].nunique()
    groups = None
    if len(ecgs) > n_patients:  # ecg_per_subject: all
        # ECGs of one patient are not independent: the PheWAS's standard errors are clustered by
        # patient (cluster-robust sandwich) and the AUC bootstrap and the prototype/class split
        # resample patients, not ECGs
        unclustered = [f"{k}: {params[k]}" for k, bad in (("method", params["method"] == "firth"),
                                                          ("test", params["test"] == "score"),
                                                          ("firth_fallback", bool(params["firth_fallback"])))
                       if bad]
        if unclustered:
            raise ConfigError(f"params.ecg_per_subject: all gives {len(ecgs)} ECGs of {n_patients} patients, which "
                              f"need patient-clustered standard errors; {', '.join(unclustered)} has no clustered "
                              "form here: use method: logit, test: wald and firth_fallback: false, or "
                              "ecg_per_subject: first / last")
        groups = ecgs["subject_id"]
        repeat = (f"{len(ecgs)} ECGs of {n_patients} patients (ecg_per_subject: all): ECGs of one patient are not "
                  "independent, so standard errors, p-values and CIs are clustered by patient (cluster-robust), "
                  "and the AUC bootstrap resamples patients")
        logger.warning(repeat)
        notes.insert(0, "NOTE: " + repeat)

    n_selected = len(ecgs)
    selected = ecgs
    with step("phecodes of the linked diagnoses"):
        pmap, outcomes, mapping, min_count, left_out, skipped = _outcomes(ecgs, src, params, data["phecode_map"])
    if len(left_out):  # no diagnoses to read a phenotype from: unknown, never a control
        ecgs = ecgs.loc[~ecgs.index.isin(left_out.index)]
        X = X.loc[ecgs.index]
        why = _left_out_words(left_out)
        logger.warning("%d of %d ECGs left out: phenotype unknown (%s)", len(left_out), n_selected, why)
        notes.append(f"{len(left_out)} of {n_selected} ECGs left out, phenotype unknown: {why}")
        if not len(ecgs):
            raise ConfigError(f"none of the {n_selected} ECGs has linked diagnoses ({why}): nothing to analyse; "
                              + _no_link_hint(selected, src["diagnoses"]))
    notes.append(
        f"{len(ecgs)} ECGs (one per patient: {params['ecg_per_subject']}), diagnoses window "
        f"{_window_words(params['window'], src)}, Phecode {pmap.version}, >= {min_count} occurrence(s) for a case, "
        f"{outcomes.shape[1]} phecodes with >= {params['min_cases']} cases"
    )

    problem = covariate_problem(params["covariates"], ecgs.columns.drop(["subject_id", "ecg_time", "fold"],
                                                                        errors="ignore"))
    if problem:  # the config check (Params.covariates) and this table name the same columns
        raise ConfigError(f"params.covariates: {problem}")
    covariates = ecgs[list(params["covariates"])]
    logger.info("PheWAS: %d exposures x %d phecodes on %d ECGs", X.shape[1], outcomes.shape[1], len(ecgs))
    with step("PheWAS"):
        model = phenotype.PheWAS(
            method=params["method"], solver=params["solver"], backend=params["backend"],
            min_cases=params["min_cases"], standardize=params["standardize"], phecode_map=pmap,
            scheduler=_client(config.scheduler), firth_fallback=params["firth_fallback"],
            firth_test=params["firth_test"], test=params["test"],
        ).fit(X, outcomes, covariates, groups=None if groups is None else groups.loc[X.index])
    summary = model.summary
    summary["n_sex_excluded"] = summary["phecode"].map(outcomes.attrs.get("sex_excluded", {})).fillna(0).astype(int)
    # phecodes only one ICD version defines: ECGs of patients without a diagnosis in that version
    # are neither cases nor controls (phenotype.icd_to_phecodes)
    summary["n_vocabulary_excluded"] = (summary["phecode"].map(outcomes.attrs.get("vocabulary_excluded", {}))
                                        .fillna(0).astype(int))
    tables: dict[str, Any] = {"phewas": summary, "mapping": mapping.reset_index(),
                              "skipped": _skipped_table(skipped, model, pmap)}
    if len(tables["skipped"]):
        notes.append(f"{len(tables['skipped'])} phecodes of the linked diagnoses were not tested (fewer than "
                     f"{params['min_cases']} cases): table skipped, with each one's case count")
    tables["cohort"] = pd.DataFrame(
        {"n_ecgs_selected": [n_selected], "n_ecgs_left_out": [len(left_out)],
         "left_out_reasons": [_left_out_words(left_out) if len(left_out) else ""],
         "n_ecgs": [len(ecgs)], "n_exposures": [X.shape[1]], "n_phecodes": [outcomes.shape[1]],
         "covariates": [", ".join(params["covariates"]) or "none (unadjusted)"],
         "n_pairs": [len(summary)], "n_tests": [model.n_tests_], "n_fdr_05": [int((summary["q"] < 0.05).sum()) if len(summary) else 0],
         "n_bonferroni": [int(summary["bonferroni"].sum()) if len(summary) else 0]}
    )

    warning = ""
    if model.n_tests_ == 0:  # an empty PheWAS must not look like a finished analysis
        warning = (f"nothing was tested: {outcomes.shape[1]} phecodes have >= {params['min_cases']} cases "
                   f"(a case: >= {min_count} occurrence(s) of a code) among the {len(ecgs)} ECGs analysed"
                   + (f"; none of their {len(summary)} exposure x phecode pairs could be estimated (phewas "
                      "table, column reason)" if len(summary) else "")
                   + "; lower params.min_cases or params.min_code_count, or widen params.window")
        logger.warning("prototype_phewas: %s", warning)
        notes.insert(0, "WARNING: " + warning)

    # the paper's analyses
    with step("AUCs, prototypes vs classes, distance vs mixing"):
        tables.update(_paper_analyses(X, outcomes, summary, vectors, pmap, params, seed, notes,
                                      covariates=covariates,
                                      groups=None if groups is None else groups.loc[X.index]))
    figures = _figures(summary, X.shape[1])
    for note in notes:
        logger.info(note)
    return StudyResult(tables=tables, figures=figures, blocks=_report_blocks(tables, warning), notes=notes,
                       title=TITLE, summary="\n\n".join(notes))


def default_min_code_count(window, synthetic: bool) -> int:
    """Occurrences of a code that make a case when ``params.min_code_count`` is null.

    Under ``window: admission`` an ECG is linked to the one stay it lies in, and an occurrence
    is a distinct admission (``hadm_id``), so no ECG could reach 2: the threshold is 1 (a code
    on that stay's discharge record). Otherwise 2, the PheWAS convention (Carroll et al. 2014:
    ``createPhenotypes(min.code.count = 2)``, occurrences counted as distinct dates): distinct
    admissions on MIMIC-IV, distinct dates on the synthetic cohort, whose diagnoses table has
    one row per dated occurrence (:mod:`interp_ecg.simulate.diagnoses`: chronic codes recur,
    rule-out false positives are mostly recorded once).

    Examples
    --------
    >>> from interp_ecg.studies.prototype_phewas import default_min_code_count
    >>> default_min_code_count("admission", synthetic=False), default_min_code_count(None, synthetic=True)
    (1, 2)
    """
    if window == "admission":
        return 1
    return 2


def _skipped_table(skipped: pd.DataFrame, model, pmap) -> pd.DataFrame:
    """The phecodes of the linked diagnoses that were not tested, and why: too few cases by the
    case definition, or too few among the ECGs the PheWAS could analyse (complete covariates);
    ``stage`` says which. Phecodes with no linked diagnosis at all are not listed."""
    later = getattr(model, "skipped_", None)
    parts = [skipped]
    if later is not None and len(later):
        later = later.assign(stage="PheWAS (ECGs with complete covariates)",
                             n_excluded=pd.array([pd.NA] * len(later), dtype="Int64"))
        parts.append(later)
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) \
        else skipped.iloc[0:0]
    out = out.merge(pmap.describe(out["phecode"]).reset_index(), on="phecode", how="left")
    cols = ["phecode", "description", "category", "n_cases", "n_excluded", "stage", "reason"]
    return out[cols].sort_values(["n_cases", "phecode"], ascending=[False, True], ignore_index=True)


def _window_words(window, src: dict) -> str:
    """The diagnoses window in words for the notes, with what a window ending at the ECG means
    on MIMIC-IV (discharge diagnoses timed at admission)."""
    if window is None:
        return "any time (lifetime)"
    if window == "admission":
        return "the admission during which the ECG was taken"
    start, end = window
    words = f"[ECG {start}, ECG {end}] (diagnosis time: {src['time_col']})"
    if not src.get("synthetic") and src.get("time_col") == "admittime" and pd.to_timedelta(end) >= pd.Timedelta(0) \
            and pd.to_timedelta(start) <= pd.Timedelta(0):
        words += ("; MIMIC-IV diagnoses are discharge diagnoses timed at admittime, so the window also links the "
                  "diagnoses of the stay in progress at the ECG, coded at discharge (after the ECG)")
    return words


def _no_link_hint(ecgs: pd.DataFrame, diagnoses: pd.DataFrame) -> str:
    """What to check when no ECG has linked diagnoses: the ids when the ECG patients have no
    diagnosis at all, else the window and the ECG times."""
    from interp_ecg.io import as_id_strings

    ecg_ids = as_id_strings(pd.Series(ecgs["subject_id"].to_numpy()))
    dx_ids = as_id_strings(pd.Series(pd.unique(diagnoses["subject_id"])))
    if len(ecg_ids) and not ecg_ids.isin(dx_ids).any():
        return (f"the ECGs' subject_id (record list, e.g. {', '.join(ecg_ids.drop_duplicates().head(2))}) match no "
                f"subject_id of the diagnoses (e.g. {', '.join(dx_ids.head(2))}): are they the same patients, with "
                "ids of the same kind?")
    return "check params.window, params.admission_margin and the ECG times"


def _left_out_words(left_out: pd.Series) -> str:
    """``"15 outside every admission with coded diagnoses; 2 no valid ECG time"``."""
    return "; ".join(f"{n} {reason}" for reason, n in left_out.value_counts().items())


def _outcomes(ecgs: pd.DataFrame, src: dict, params: dict, phecode_map: str | None):
    """Phecode map, ECG x phecode case table, mapping report, the occurrence threshold used, and
    the ECGs left out (Series: ECG id -> reason).

    An ECG is a case or a control only where its diagnoses are known. MIMIC-IV ``hosp`` holds
    the diagnoses of hospital stays: an ECG linked to no stay (outside every admission, or its
    patient never admitted) has no phenotype, and one without a valid time cannot be placed in
    a window; both are left out (phenotype unknown), not made controls. The synthetic cohort's
    table is a full population (the simulator writes every diagnosis of every patient), so
    there an ECG without a diagnosis in the window is a control; only one without a valid time
    is left out.
    """
    from interp_ecg import phenotype
    from interp_ecg.config import dataset_path

    pm_path = phecode_map or dataset_path("phecode", required=False)
    if pm_path is None or not Path(pm_path).exists():
        raise DataNotFoundError("no phecode map: set data.phecode_map (see interp_ecg.phenotype.phecodes)")
    pmap = phenotype.load_phecode_map(pm_path, version=params["phecode_version"])
    linked, unlinked = phenotype.diagnoses_for_ecgs(
        ecgs, src["diagnoses"], window=params["window"], admissions=src["admissions"],
        margin=params["admission_margin"], time_col=src["time_col"], return_unlinked=True,
    )
    left_out = unlinked if not src["synthetic"] else unlinked[unlinked == "no valid ECG time"]
    if params["window"] == "admission" and len(left_out):
        left_out = left_out.replace("outside every admission with coded diagnoses",
                                    f"outside every admission with coded diagnoses "
                                    f"(margin {params['admission_margin']})")
    known = ecgs.index[~ecgs.index.isin(left_out.index)]
    min_count = default_min_code_count(params["window"], src["synthetic"]) \
        if params["min_code_count"] is None else params["min_code_count"]
    # every phecode of the linked diagnoses (min_cases 0), so that those not tested are listed
    every = phenotype.icd_to_phecodes(
        linked, pmap, min_code_count=min_count, sex=ecgs["sex"], min_cases=0,
        subjects=known, subject_col="ecg_id",
        count_col="hadm_id" if "hadm_id" in linked.columns else ("date" if "date" in linked else None),
    )
    unreadable = every.attrs.get("unreadable_subjects", [])
    if len(unreadable):  # every linked diagnosis of these ECGs has a blank ICD version or code: phenotype unknown
        left_out = pd.concat([left_out, pd.Series("no readable linked diagnosis (blank ICD version or code)",
                                                  index=pd.Index(unreadable, name=left_out.index.name))])
    n_cases = every.sum().astype(int)
    few = n_cases < params["min_cases"]
    outcomes = every.loc[:, ~few.to_numpy()]
    outcomes.attrs = dict(every.attrs)
    skipped = pd.DataFrame({"phecode": every.columns[few.to_numpy()], "n_cases": n_cases[few].to_numpy(),
                            "n_excluded": every.loc[:, few.to_numpy()].isna().sum().to_numpy().astype(int)})
    skipped["stage"] = "case definition (all ECGs analysed)"
    skipped["reason"] = [f"fewer than {params['min_cases']} cases (a case: >= {min_count} occurrence(s))"
                         + (f"; {e} ECGs excluded (neither case nor control)" if e else "")
                         for e in skipped["n_excluded"]]
    if len(skipped):
        logger.info("%d of %d phecodes of the linked diagnoses have fewer than %d cases: not tested (table skipped)",
                    len(skipped), every.shape[1], params["min_cases"])
    mapping = phenotype.mapping_report(linked, pmap, subject_col="ecg_id")
    return pmap, outcomes, mapping, min_count, left_out, skipped


def _paper_analyses(X, outcomes, summary, vectors, pmap, params: dict, seed: int,
                    notes: list[str], covariates: pd.DataFrame | None = None,
                    groups: pd.Series | None = None) -> dict[str, pd.DataFrame]:
    """AUC of single exposures, prototypes vs class scores, prototype distance vs mixing.

    ``covariates`` make each AUC use the PheWAS row's own people (complete covariates);
    ``groups`` (patient of each ECG, with several ECGs per patient) make the bootstrap and the
    prototype/class split resample patients."""
    from interp_ecg import phenotype

    tables: dict[str, pd.DataFrame] = {}
    if not len(summary):
        return tables
    top = list(dict.fromkeys(summary["phecode"]))[: params["auc_max_phecodes"]]
    auc = phenotype.exposure_phecode_auc(
        X, outcomes[top], n_boot=params["n_boot"], min_cases=params["min_cases"], random_state=seed,
        covariates=covariates, groups=groups,
    )
    tables["auc"] = auc.merge(pmap.describe(top).reset_index(), on="phecode", how="left")
    classes = phenotype.parse_prototype_columns(X.columns)
    if classes:
        tables["prototype_vs_class"] = phenotype.compare_prototypes_classes(
            X, outcomes[top], classes=classes, min_cases=max(3, params["min_cases"] // 2), random_state=seed,
            groups=groups,
        )
        if vectors is not None:
            dist = phenotype.prototype_distance_vs_mixing(vectors, summary, classes=classes, metric="euclidean")
            tables["distance_vs_mixing"] = dist
            if "spearman" in dist.attrs:
                sp = dist.attrs["spearman"]
                none_sig = ("n_significant" in dist.columns and not (dist["n_significant"] > 0).any())
                notes.append(f"distance vs association heterogeneity across classes: Spearman rho {sp['rho']:.2f} "
                             f"(p {sp['p']:.2g}, {sp['n_classes']} classes)"
                             + ("; no prototype association reached q < 0.05, so the heterogeneity compares "
                                "non-significant estimates" if none_sig else ""))
    return tables


def _figures(summary: pd.DataFrame, n_exposures: int) -> dict[str, Any]:
    """Manhattan, volcano and prototype-category heatmap (matplotlib figures)."""
    from interp_ecg import phenotype

    if not len(summary):
        return {}
    import matplotlib.pyplot as plt

    figures = {}
    fig, ax = plt.subplots(figsize=(11, 4))
    phenotype.plot_manhattan(summary, title="PheWAS of ECG exposures", ax=ax)
    fig.tight_layout()
    figures["manhattan"] = fig
    fig, ax = plt.subplots(figsize=(6, 4))
    phenotype.plot_volcano(summary, ax=ax)
    fig.tight_layout()
    figures["volcano"] = fig
    fig, ax = plt.subplots(figsize=(8, max(3, 0.25 * n_exposures)))
    phenotype.plot_category_heatmap(summary, ax=ax)
    fig.tight_layout()
    figures["heatmap"] = fig
    return figures


def run_prototype_phewas_study(config: StudyConfig | Mapping[str, Any], out_dir: str | Path) -> dict[str, Any]:
    """Run the prototype PheWAS study without the runner (no run folder, no PDF).

    Parameters
    ----------
    config : StudyConfig or mapping
        A study config of kind ``prototype_phewas`` (``kind`` and ``study`` may be left out
        of a mapping): ``seed``, ``data``, ``scheduler``, ``params``.
    out_dir : path
        Work folder (a synthetic cohort is written under it when ``data.path`` names none).

    Returns
    -------
    dict
        The tables of :func:`run` by name, its figures as ``figure_<name>`` and ``notes``
        (list of str).

    Raises
    ------
    ConfigError
        An invalid config (unknown keys, wrong types, missing files).
    """
    if not isinstance(config, StudyConfig):
        config = validate_config({"study": "prototype_phewas", "kind": "prototype_phewas", **dict(config)})
    res = run(config, out_dir)
    return {**res.tables, **{f"figure_{k}": v for k, v in res.figures.items()}, "notes": res.notes}


def _report_blocks(tables: dict[str, pd.DataFrame], warning: str = "") -> list[Any]:
    from interp_ecg import phenotype
    from interp_ecg.report import FigureBlock, PhewasBlock, TableBlock, TextBlock

    blocks: list[Any] = []
    if warning:
        blocks.append(TextBlock("No association was tested", warning=warning))
    adjusted = "the covariates (not recorded)"
    if "cohort" in tables and "covariates" in tables["cohort"]:
        adjusted = _covariate_words(str(tables["cohort"]["covariates"].iloc[0]))
    if "cohort" in tables:
        blocks.append(TableBlock(tables["cohort"], heading="Cohort and tests"))
    summary = tables.get("phewas")
    if summary is not None and len(summary):
        blocks.append(PhewasBlock(summary, text="Each exposure (prototype similarity, class score or "
                                                "feature) against each phecode: "
                                                + phenotype.describe_method(summary, adjusted)
                                                + "."))
        blocks.append(FigureBlock(lambda ax: phenotype.plot_volcano(summary, ax=ax),
                                  caption="Volcano plot: log odds ratio against -log10 p.", height_in=3.2,
                                  width_in=5.5, heading="Volcano plot", level=2))
    for name, heading, caption in (
            ("auc", "AUC of single exposures", "AUC of single exposures for the top phecodes (bootstrap 95% CI)."),
            ("prototype_vs_class", "Prototypes versus class predictions",
             "Individual prototypes vs class score (not a calibrated probability) vs prototype mean, for the "
             "same phecodes."),
            ("distance_vs_mixing", "Intra-class prototype distance versus association mixing",
             "Intra-class prototype distance vs heterogeneity of the class's associations.")):
        if name in tables and len(tables[name]):
            blocks.append(TableBlock(tables[name].head(30), heading=heading, caption=caption))
    if "skipped" in tables and len(tables["skipped"]):
        sk = tables["skipped"]
        blocks.append(TableBlock(sk[["phecode", "description", "n_cases", "n_excluded", "stage"]].head(30),
                                 heading="Phecodes not tested",
                                 caption=f"{len(sk)} phecodes of the linked diagnoses with too few cases, most cases "
                                         "first (not tested: no association is implied; full list and reasons in "
                                         "tables/skipped.csv)."))
    if "mapping" in tables:
        blocks.append(TableBlock(tables["mapping"].head(20), heading="ICD to phecode mapping",
                                 caption="Mapping counts."))
    return blocks


def _covariate_words(listed: str) -> str:
    """``"age, sex"`` -> ``"age and sex"``; ``"none (unadjusted)"`` -> ``"nothing (unadjusted)"``."""
    names = [n.strip() for n in listed.split(",") if n.strip()]
    if not names or names[0].startswith("none"):
        return "nothing (unadjusted)"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _client(scheduler):
    """A dask.distributed Client from an address (or the Client itself); None stays None."""
    if scheduler is None or hasattr(scheduler, "submit"):
        return scheduler
    from distributed import Client

    return Client(scheduler)


__all__ = ["Params", "TITLE", "default_min_code_count", "is_identifier_column", "run",
           "run_prototype_phewas_study"]
