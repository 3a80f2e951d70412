"""Adapters between the study YAML (one schema for every study) and the capability pipelines.

The WCT pipeline (:func:`interp_ecg.studies.wct.run_wct_study`) and the PTB-XL statements
pipeline take their own config dicts; the prototype PheWAS pipeline reads the study config
directly. The adapters translate the YAML's ``data`` section, seed and ``n_jobs`` into what
each pipeline expects, run it, and build the PDF report from its tables.

The YAML's ``data`` section wins over the pipeline's own source settings: ``data.source``,
``data.path``, ``data.n_records``, ``data.sampling_rate`` and ``data.diagnoses`` are copied into
the pipeline's sections.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.errors import ConfigError
from interp_ecg.studies.runner import StudyResult, package_versions

logger = logging.getLogger(__name__)


def _title(cfg: dict, default: str):
    from interp_ecg.report import Report, TitleBlock

    title = cfg["report"].get("title") or default
    rep = Report(title, pseudonymise=cfg["report"]["pseudonymise"], paper=cfg["report"]["paper"])
    rep.add(TitleBlock(title, cfg.get("description", ""), config=cfg, seed=cfg["seed"],
                       versions=package_versions()))
    return rep


def _notes(result: dict) -> list[str]:
    notes = result.get("notes")
    if isinstance(notes, pd.DataFrame) and "note" in notes.columns:
        return [str(n) for n in notes["note"]]
    if isinstance(notes, (list, tuple)):
        return [str(n) for n in notes]
    return []


def _metric_rows(frame: pd.DataFrame, parts: tuple[str, ...]) -> pd.DataFrame:
    """Fold descriptive columns into one ``model`` name so each row of the table is one model."""
    out = frame.copy()
    present = [c for c in parts if c in out.columns]
    if present:
        def name(r: pd.Series) -> str:
            extra = [f"{c.replace('_', ' ')}: {r[c]}" for c in present[1:] if str(r[c]) not in ("", "-", "nan")]
            return f"{r[present[0]]}" + (f" [{'; '.join(extra)}]" if extra else "")

        out["model"] = out.apply(name, axis=1)
    return out


# -- WCT -------------------------------------------------------------------------------------


def wct_config(cfg: dict) -> dict:
    """The WCT pipeline's config from a validated study config."""
    p = copy.deepcopy(cfg["params"])
    data = cfg["data"]
    if data["source"] not in ("synthetic", "ptbxl", "mimic"):
        raise ConfigError(f"the wct study reads data.source synthetic, ptbxl or mimic, not {data['source']!r}")
    p["source"] = data["source"]
    p["random_state"] = cfg["seed"]
    p["n_jobs"] = cfg["n_jobs"]
    p.setdefault("synthetic", {})
    p.setdefault("ptbxl", {})
    p.setdefault("mimic", {})
    if data["source"] == "synthetic":
        p["synthetic"]["n"] = data["n_records"]
        if data["path"]:
            p["synthetic"]["cohort_dir"] = data["path"]
        elif data["cache_dir"]:
            p["synthetic"]["cohort_dir"] = data["cache_dir"]
    elif data["source"] == "ptbxl":
        p["ptbxl"]["root"] = data["path"]
        p["ptbxl"]["sampling_rate"] = data["sampling_rate"]
    else:
        p["mimic"]["root"] = data["path"]
        if data["diagnoses"]:
            p["mimic"]["hosp_dir"] = data["diagnoses"]
    if data["features"]:
        p["features_cache"] = data["features"]
    return p


def run_wct(cfg: dict, out_dir: Path) -> StudyResult:
    """Run :func:`interp_ecg.studies.wct.run_wct_study` and build its report."""
    from interp_ecg.report import MetricsBlock, TableBlock, TextBlock
    from interp_ecg.studies.wct import run_wct_study

    result = run_wct_study(wct_config(cfg), Path(out_dir) / "pipeline")
    tables = {k: v for k, v in result.items() if isinstance(v, pd.DataFrame)}
    notes = _notes(result)
    rep = _title(cfg, "Wide QRS complex tachycardia: CardioForest comparison")
    circular = [n for n in notes if "CIRCULAR" in n.upper()]
    if "cohort" in tables:
        rep.add(TableBlock(tables["cohort"], heading="Cohort", caption="Records, patients and labels."))
    show = ["roc_auc", "pr_auc", "balanced_accuracy", "accuracy", "brier"]
    if "external" in tables and len(tables["external"]):
        ext = _metric_rows(tables["external"], ("model", "trained_on", "features"))
        for label, part in ext.groupby("label", sort=False):
            rep.add(MetricsBlock(part[part["metric"].isin(show)], heading=f"Against an independent label: {label}",
                                 caption=f"Label {label} (not computed from the model's inputs); out-of-fold "
                                         "probabilities, patient-wise folds; estimate (95% CI). The rule is a "
                                         "hard 0/1 score.", note="\n\n".join(circular) if label == ext["label"].iloc[0] else "",
                                 name=f"external_{label}", transpose=False))
    if "circular" in tables and len(tables["circular"]):
        circ = _metric_rows(tables["circular"], ("model", "features"))
        rep.add(MetricsBlock(circ[circ["metric"].isin(show)], heading="Against the rule label (circular)",
                             caption="The rule label is QRS >= 120 ms and HR >= 100 bpm computed from the "
                                     "model's own inputs: models can only reproduce it.",
                             name="circular", transpose=False))
    if "rule_errors" in tables and len(tables["rule_errors"]):
        rep.add(TableBlock(tables["rule_errors"], heading="What the models add over the rule",
                           caption="Accuracy on the records the rule gets wrong."))
    if "shap_importance" in tables and len(tables["shap_importance"]):
        rep.add(TableBlock(tables["shap_importance"].head(15), heading="SHAP importance",
                           caption="Mean |SHAP| of the forest, top 15 features."))
    if "grounded" in tables and len(tables["grounded"]):
        g = tables["grounded"]
        col = "sentence" if "sentence" in g.columns else g.columns[-1]
        rep.add(TextBlock("Grounded explanations", "\n\n".join(str(s) for s in g[col].head(12))))
    if notes:
        rep.add(TextBlock("Notes", "\n\n".join(notes)))
    return StudyResult(tables=tables, report=rep, notes=notes)


# -- PTB-XL statements -------------------------------------------------------------------------


def run_ptbxl_statements(cfg: dict, out_dir: Path) -> StudyResult:
    """Run :func:`interp_ecg.studies.ptbxl_statements.run_ptbxl_statements_study`."""
    from interp_ecg.report import MetricsBlock, TableBlock, TextBlock
    from interp_ecg.studies.ptbxl_statements import run_ptbxl_statements_study

    p = copy.deepcopy(cfg["params"])
    data = cfg["data"]
    p["random_state"] = cfg["seed"]
    p["n_jobs"] = cfg["n_jobs"]
    if data["source"] != "ptbxl":
        raise ConfigError("the ptbxl_statements study reads PTB-XL: set data.source: ptbxl and data.path")
    p["root"] = data["path"]
    p["sampling_rate"] = data["sampling_rate"]
    if data["features"]:
        p["features_cache"] = data["features"]
    result = run_ptbxl_statements_study(p, Path(out_dir) / "pipeline")
    tables = {k: v for k, v in result.items() if isinstance(v, pd.DataFrame)}
    rep = _title(cfg, "PTB-XL statements: explained feature ensembles")
    for name, frame in tables.items():
        if {"metric", "estimate"} <= set(frame.columns):
            rep.add(MetricsBlock(_metric_rows(frame, ("model", "label")), heading=name.replace("_", " ").capitalize(),
                                 name=name, transpose=False))
        elif name != "notes":
            rep.add(TableBlock(frame.head(40), heading=name.replace("_", " ").capitalize()))
    notes = _notes(result)
    if notes:
        rep.add(TextBlock("Notes", "\n\n".join(notes)))
    return StudyResult(tables=tables, report=rep, notes=notes)


# -- prototype PheWAS --------------------------------------------------------------------------


def run_prototype_phewas(cfg: dict, out_dir: Path) -> StudyResult:
    """Run :func:`interp_ecg.studies.prototype_phewas.run_prototype_phewas_study` and its report."""
    from interp_ecg import phenotype
    from interp_ecg.report import FigureBlock, PhewasBlock, TableBlock, TextBlock
    from interp_ecg.studies.prototype_phewas import run_prototype_phewas_study

    result = run_prototype_phewas_study(cfg, Path(out_dir) / "pipeline")
    tables = {k: v for k, v in result.items() if isinstance(v, pd.DataFrame)}
    figures = {k.removeprefix("figure_"): v for k, v in result.items() if hasattr(v, "savefig")}
    notes = _notes(result)
    rep = _title(cfg, "Prototype PheWAS: digital phenotypes from ECG prototypes")
    if notes:
        rep.add(TextBlock("Summary", "\n\n".join(notes)))
    if "cohort" in tables:
        rep.add(TableBlock(tables["cohort"], heading="Cohort and tests"))
    summary = tables.get("phewas")
    if summary is not None and len(summary):
        rep.add(PhewasBlock(summary, text="Each exposure (prototype similarity, class probability or "
                                           "feature) against each phecode: logistic regression adjusted "
                                           "for the configured covariates."))
        if hasattr(phenotype, "plot_volcano"):
            rep.add(FigureBlock(lambda ax: phenotype.plot_volcano(summary, ax=ax),
                                caption="Volcano plot: log odds ratio against -log10 p.", height_in=3.2,
                                width_in=5.5, heading="Volcano plot", level=2))
    for name, heading, caption in (
            ("auc", "AUC of single exposures", "AUC of single exposures for the top phecodes (bootstrap 95% CI)."),
            ("prototype_vs_class", "Prototypes versus class predictions",
             "Individual prototypes vs class probability vs prototype mean, for the same phecodes."),
            ("distance_vs_mixing", "Intra-class prototype distance versus association mixing",
             "Intra-class prototype distance vs heterogeneity of the class's associations.")):
        if name in tables and len(tables[name]):
            rep.add(TableBlock(tables[name].head(30), heading=heading, caption=caption))
    if "mapping" in tables:
        rep.add(TableBlock(tables["mapping"].head(20), heading="ICD to phecode mapping", caption="Mapping counts."))
    return StudyResult(tables=tables, report=rep, figures=figures, notes=notes)
