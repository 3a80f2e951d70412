"""Study: PheWAS of ECG prototypes (and class probabilities, or any exposure table).

After "Prototype Learning to Create Refined Interpretable Digital Phenotypes from ECGs" (2025):
prototypes trained for classification are applied unchanged to a held-out population, and their
similarity scores are tested against phecodes derived from the patients' ICD diagnoses.

Steps of :func:`run_prototype_phewas_study`:

1. ECGs and diagnoses: the embedded synthetic cohort (``data.source: synthetic``; written by
   :func:`interp_ecg.simulate.cohort` unless ``data.path`` points to one), or MIMIC-IV-ECG
   (``data.source: mimic``, ``data.path`` = MIMIC-IV-ECG root, ``data.diagnoses`` = MIMIC-IV
   ``hosp/`` folder).
2. Exposures: ``params.exposure_source`` = ``prototypes`` (a small ProtoECGNet trained on the
   patients of folds 1-5 - ``params.train_folds`` -, scores and class probabilities of the
   other patients), ``features`` (fiducial features), ``table`` (``params.exposure_table``: CSV
   or Parquet, first column the ECG id) or ``auto`` (a table when given, else prototypes, else
   features).
3. One ECG per patient (``params.ecg_per_subject``), diagnoses linked with
   ``params.window`` (``null``, ``admission`` or ``[start, end]``), phecodes with
   :func:`~interp_ecg.phenotype.icd_to_phecodes`. ``params.min_code_count: null`` means 1 for the
   synthetic cohort (its table has one row per code and patient) and 2 otherwise.
4. PheWAS adjusted for ``params.covariates``; AUC per exposure x significant phecode with
   bootstrap CIs; prototypes vs class probability vs prototype mean; intra-class prototype
   distance vs association heterogeneity; Manhattan, volcano and heatmap figures.

Returns a dict of tables (and ``figures``) for the study runner, which writes them.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.errors import ConfigError, DataNotFoundError

logger = logging.getLogger(__name__)

DEFAULT_PARAMS: dict[str, Any] = {
    "exposure_source": "auto",  # auto | prototypes | features | table
    "exposure_table": None,  # CSV/Parquet, first column = ECG id (ecg_id / study_id)
    "covariates": ["age", "sex"],
    "method": "logit",  # logit | firth
    "firth_fallback": False,  # refit non-converged ML pairs with Firth
    "firth_test": "lrt",  # lrt (penalised likelihood ratio, Heinze & Schemper 2002) | wald
    "test": "wald",  # wald (every pair fitted) | score (score-test screening, exact refits of what passes)
    "solver": "batched",  # batched | statsmodels
    "backend": "numpy",  # numpy | torch (GPU when present)
    "standardize": True,  # odds ratios per SD of each exposure
    "phecode_version": "X",  # X | 1.2
    "min_code_count": None,  # null: 1 for the synthetic cohort, 2 otherwise
    "min_cases": 10,
    "window": None,  # null | admission | [start, end], e.g. ["-30D", "365D"]
    "admission_margin": "24h",
    "ecg_per_subject": "first",  # first | last | all
    "n_boot": 200,
    "auc_max_phecodes": 20,  # AUC tables for the phecodes with the smallest p
    "train_folds": [1, 2, 3, 4, 5],  # prototype training patients (strat_fold); rest = PheWAS
    "prototype": {
        # the CPU-sized variant (see ProtoECGNetClassifier presets); "paper" for the published
        # network on a GPU
        "preset": "small",
        "prototypes_per_class": 3,
        "width": 4,
        "blocks": [1, 1],
        "warmup_epochs": 2,
        "joint_epochs": 2,
        "last_layer_epochs": 2,
        "fusion_epochs": 3,
    },
}


def _params(config: dict) -> dict:
    params = copy.deepcopy(DEFAULT_PARAMS)
    for key, value in (config.get("params") or {}).items():
        if key not in params:
            raise ConfigError(f"params.{key}: unknown (allowed: {sorted(params)})")
        if isinstance(params[key], dict) and isinstance(value, dict):
            params[key].update(value)
        else:
            params[key] = value
    return params


def _read_table(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise DataNotFoundError("exposure table not found", source=path)
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        df = pd.read_csv(path)
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
                   else pd.read_csv(hosp / name, usecols=["hadm_id", "admittime", "dischtime"]))
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
            f"exposures = its prototype similarities and class probabilities on {len(test)} held-out ECGs")
    return sims.join(probs), vectors, note


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
        return _read_table(params["exposure_table"]), None, f"exposures from {params['exposure_table']}"
    if kind == "prototypes":
        return _prototype_exposures(src["dataset"], src["ecgs"], params, seed)
    if kind == "features":
        X, note = _feature_exposures(src["dataset"])
        return X, None, note
    raise ConfigError(f"params.exposure_source must be auto, prototypes, features or table, not {kind!r}")


# ------------------------------------------------------------------------------ main
def run_prototype_phewas_study(config: dict, out_dir: str | Path) -> dict:
    """Run the prototype PheWAS study; returns ``{name: DataFrame}`` plus ``"figures"``.

    Parameters
    ----------
    config : dict
        The validated study config (``seed``, ``data`` {``source``, ``path``, ``n_records``,
        ``diagnoses``, ``phecode_map``}, ``scheduler``, ``params`` - see :data:`DEFAULT_PARAMS`).
    out_dir : path
        The run folder (a synthetic cohort is written under it when none is given).

    Returns
    -------
    dict
        Tables ``phewas``, ``auc``, ``prototype_vs_class``, ``distance_vs_mixing``,
        ``mapping``, ``cohort``; figures ``figure_manhattan``, ``figure_volcano``,
        ``figure_heatmap`` (matplotlib); ``notes`` (list of str).
    """
    from interp_ecg import phenotype
    from interp_ecg.config import dataset_path

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = _params(config)
    seed = int(config.get("seed", 0) or 0)
    data = config.get("data") or {}
    source = data.get("source", "synthetic")
    if source == "synthetic":
        src = _synthetic(config, out_dir)
    elif source == "mimic":
        src = _mimic(config)
    else:
        raise ConfigError(f"prototype_phewas supports data.source synthetic or mimic, not {source!r}")
    notes: list[str] = []

    X, vectors, note = _exposures(src, params, seed)
    notes.append(note)
    ecgs = src["ecgs"].loc[src["ecgs"].index.intersection(X.index)]
    ecgs = phenotype.select_ecgs(ecgs, params["ecg_per_subject"])
    X = X.loc[ecgs.index]

    # phecodes
    pm_path = data.get("phecode_map") or dataset_path("phecode", required=False)
    if pm_path is None or not Path(pm_path).exists():
        raise DataNotFoundError("no phecode map: set data.phecode_map (see interp_ecg.phenotype.phecodes)")
    pmap = phenotype.load_phecode_map(pm_path, version=params["phecode_version"])
    window = params["window"]
    linked = phenotype.diagnoses_for_ecgs(
        ecgs, src["diagnoses"], window=window, admissions=src["admissions"],
        margin=params["admission_margin"], time_col=src["time_col"],
    )
    min_count = params["min_code_count"]
    if min_count is None:
        min_count = 1 if src["synthetic"] else 2
    sex = ecgs["sex"]
    outcomes = phenotype.icd_to_phecodes(
        linked, pmap, min_code_count=min_count, sex=sex, min_cases=params["min_cases"],
        subjects=ecgs.index, subject_col="ecg_id",
        count_col="hadm_id" if "hadm_id" in linked.columns else ("date" if "date" in linked else None),
    )
    mapping = phenotype.mapping_report(linked, pmap, subject_col="ecg_id")
    notes.append(
        f"{len(ecgs)} ECGs (one per patient: {params['ecg_per_subject']}), diagnoses window "
        f"{window!r}, Phecode {pmap.version}, >= {min_count} occurrence(s) for a case, "
        f"{outcomes.shape[1]} phecodes with >= {params['min_cases']} cases"
    )

    covariates = ecgs[[c for c in params["covariates"] if c in ecgs.columns]]
    model = phenotype.PheWAS(
        method=params["method"], solver=params["solver"], backend=params["backend"],
        min_cases=params["min_cases"], standardize=params["standardize"], phecode_map=pmap,
        scheduler=_client(config.get("scheduler")), firth_fallback=params["firth_fallback"],
        firth_test=params["firth_test"], test=params["test"],
    ).fit(X, outcomes, covariates)
    summary = model.summary
    summary["n_sex_excluded"] = summary["phecode"].map(outcomes.attrs.get("sex_excluded", {})).fillna(0).astype(int)
    tables: dict[str, Any] = {"phewas": summary, "mapping": mapping.reset_index()}
    tables["cohort"] = pd.DataFrame(
        {"n_ecgs": [len(ecgs)], "n_exposures": [X.shape[1]], "n_phecodes": [outcomes.shape[1]],
         "n_tests": [len(summary)], "n_fdr_05": [int((summary["q"] < 0.05).sum()) if len(summary) else 0],
         "n_bonferroni": [int(summary["bonferroni"].sum()) if len(summary) else 0]}
    )

    # the paper's analyses
    if len(summary):
        top = list(dict.fromkeys(summary["phecode"]))[: params["auc_max_phecodes"]]
        auc = phenotype.exposure_phecode_auc(
            X, outcomes[top], n_boot=params["n_boot"], min_cases=params["min_cases"],
            random_state=seed,
        )
        auc = auc.merge(pmap.describe(top).reset_index(), on="phecode", how="left")
        tables["auc"] = auc
        classes = phenotype.parse_prototype_columns(X.columns)
        if classes:
            comp = phenotype.compare_prototypes_classes(
                X, outcomes[top], classes=classes, min_cases=max(3, params["min_cases"] // 2),
                random_state=seed,
            )
            tables["prototype_vs_class"] = comp
            if vectors is not None:
                dist = phenotype.prototype_distance_vs_mixing(vectors, summary, classes=classes,
                                                              metric="euclidean")
                tables["distance_vs_mixing"] = dist
                if "spearman" in dist.attrs:
                    notes.append(f"distance vs association heterogeneity across classes: "
                                 f"Spearman {dist.attrs['spearman']}")

    figures = {}
    if len(summary):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(11, 4))
        phenotype.plot_manhattan(summary, title="PheWAS of ECG exposures", ax=ax)
        fig.tight_layout()
        figures["manhattan"] = fig
        fig, ax = plt.subplots(figsize=(6, 4))
        phenotype.plot_volcano(summary, ax=ax)
        fig.tight_layout()
        figures["volcano"] = fig
        fig, ax = plt.subplots(figsize=(8, max(3, 0.25 * X.shape[1])))
        phenotype.plot_category_heatmap(summary, ax=ax)
        fig.tight_layout()
        figures["heatmap"] = fig
    for note in notes:
        logger.info(note)
    return {**tables, **{f"figure_{k}": v for k, v in figures.items()}, "notes": notes}


def _client(scheduler):
    """A dask.distributed Client from an address (or the Client itself); None stays None."""
    if scheduler is None or hasattr(scheduler, "submit"):
        return scheduler
    from distributed import Client

    return Client(scheduler)
