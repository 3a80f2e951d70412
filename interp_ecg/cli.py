"""The ``interp-ecg`` command line.

Commands: ``demo``, ``features``, ``train``, ``explain``, ``phewas``, ``report``,
``study run|validate|list|schema``, ``prototypes describe``. Errors of the package (:class:`~interp_ecg.errors.InterpEcgError`)
and missing files print one line on stderr and exit with status 2; ``--debug`` shows the
traceback instead.

Examples
--------
>>> from typer.testing import CliRunner
>>> from interp_ecg.cli import app
>>> result = CliRunner().invoke(app, ["study", "list"])
>>> result.exit_code, "wct" in result.output
(0, True)
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from interp_ecg.errors import InterpEcgError

logger = logging.getLogger("interp_ecg")

_STATE: dict[str, Any] = {"debug": False}

app = typer.Typer(
    name="interp-ecg",
    help=(
        "Interpretable ECG analytics: fiducial features, explained ensembles, prototype "
        "networks, PheWAS, PDF reports.\n\n"
        "Examples:\n\n"
        "  interp-ecg demo --out reports/demo\n\n"
        "  interp-ecg features /data/ptbxl --out features.parquet --n-jobs 4\n\n"
        "  interp-ecg study run studies/wct_cardioforest/study.yaml --seed 1\n\n"
        "Add --debug before the command to see tracebacks."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
study_app = typer.Typer(help="Run, validate, list YAML-configured studies and print their JSON Schema.",
                        no_args_is_help=True)
app.add_typer(study_app, name="study")


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def handle_errors(fn):
    """Turn package errors into one line on stderr and exit status 2 (traceback with --debug)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except (InterpEcgError, FileNotFoundError, PermissionError, IsADirectoryError) as err:
            if _STATE["debug"]:
                raise
            _fail(f"{err}")
        except KeyboardInterrupt:
            _fail("interrupted", code=130)
        except Exception as err:  # noqa: BLE001 - unexpected: still one line unless --debug
            if _STATE["debug"]:
                raise
            _fail(f"unexpected {type(err).__name__}: {err} (run with --debug for the traceback)", code=1)

    return wrapper


@app.callback()
def main(
    log_level: str = typer.Option("INFO", "--log-level", help="DEBUG, INFO, WARNING or ERROR."),
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    """Interpretable ECG analytics from the command line."""
    _STATE["debug"] = debug or os.environ.get("INTERP_ECG_DEBUG", "") == "1"
    level = getattr(logging, log_level.upper(), None)
    if not isinstance(level, int):
        _fail(f"unknown --log-level {log_level!r}; use DEBUG, INFO, WARNING or ERROR")
    root = logging.getLogger("interp_ecg")
    root.setLevel(level)
    if not any(getattr(h, "_interp_ecg_cli", False) for h in root.handlers):
        try:
            from rich.logging import RichHandler

            handler: logging.Handler = RichHandler(show_path=False, rich_tracebacks=False,
                                                   console=_stderr_console())
        except ImportError:  # pragma: no cover
            handler = logging.StreamHandler(sys.stderr)
        handler._interp_ecg_cli = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    for h in root.handlers:
        if getattr(h, "_interp_ecg_cli", False):
            h.setLevel(level)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


# -- demo ---------------------------------------------------------------------------------


@app.command()
@handle_errors
def demo(
    out: Path = typer.Option(Path("reports/demo"), "--out", help="Folder of the demo runs."),
    n_records: int = typer.Option(240, "--n-records", min=20, help="Size of the synthetic cohort."),
    seed: int = typer.Option(0, "--seed", help="Random seed of every step."),
    n_jobs: int = typer.Option(-1, "--n-jobs", help="Worker processes (-1: all cores)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address."),
    paper: str = typer.Option("a4", "--paper", help="a4 or letter."),
    pseudonymise: bool = typer.Option(True, "--pseudonymise/--show-ids",
                                      help="Pseudonymise record and patient ids in the report."),
    epochs: int = typer.Option(2, "--epochs", help="Epochs of the small prototype network."),
) -> None:
    """Run the whole pipeline on a synthetic cohort and write a PDF report.

    Synthetic cohort -> fiducial features -> WCT ensemble + SHAP -> small prototype network ->
    PheWAS -> PDF, in OUT/<timestamp>/ (and a copy of the PDF at OUT/report.pdf).

    Example: interp-ecg demo --out reports/demo --n-records 240 --seed 0
    """
    from interp_ecg.studies.runner import run_study

    cfg = {
        "study": out.name, "kind": "demo", "seed": seed, "n_jobs": n_jobs, "scheduler": scheduler,
        "output_dir": str(out.parent), "description": "End-to-end demonstration on a synthetic cohort",
        "data": {"source": "synthetic", "n_records": n_records},
        "report": {"paper": paper, "pseudonymise": pseudonymise},
        "params": {"epochs": epochs},
    }
    result = run_study(cfg)
    if result.report_path is not None:
        latest = out / "report.pdf"
        shutil.copyfile(result.report_path, latest)
        typer.echo(f"report: {result.report_path}")
        typer.echo(f"copy:   {latest}")
    typer.echo(f"run folder: {result.out_dir}")


# -- features -----------------------------------------------------------------------------


def _open_dataset(path: Path, sampling_rate: int):
    from interp_ecg import io

    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if (path / "ptbxl_database.csv").exists():
        return io.read_ptbxl(path, sampling_rate=sampling_rate)
    if (path / "record_list.csv").exists() and hasattr(io, "read_mimic_ecg"):
        return io.read_mimic_ecg(path)
    if any(path.glob("*.mat")) and hasattr(io, "read_cinc"):
        return io.read_cinc(path)
    if hasattr(io, "read_wfdb"):
        return io.read_wfdb(path)
    raise InterpEcgError("cannot tell the dataset layout (PTB-XL, MIMIC-IV-ECG, CinC or WFDB)",
                         source=path)


@app.command()
@handle_errors
def features(
    data: Path = typer.Argument(..., help="Dataset folder (PTB-XL layout, MIMIC-IV-ECG, CinC or WFDB)."),
    out: Path = typer.Option(Path("features.parquet"), "--out", help="Parquet file of features."),
    sampling_rate: int = typer.Option(500, "--sampling-rate", help="100 or 500 (PTB-XL)."),
    n_jobs: int = typer.Option(1, "--n-jobs", help="Worker processes (-1: all cores)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N records."),
    chunks: Optional[Path] = typer.Option(None, "--chunks",
                                          help="Folder for resumable chunked output (default: OUT.chunks)."),
) -> None:
    """Measure fiducial features, one row per record, written to Parquet (resumable).

    Example: interp-ecg features /data/ptbxl --out ptbxl_features.parquet --n-jobs 4
    """
    from interp_ecg.features import extract

    ds = _open_dataset(data, sampling_rate)
    if limit:
        ds = ds.subset(list(range(min(limit, len(ds)))))
    chunk_dir = chunks or out.with_suffix(".chunks")
    table = extract(ds, n_jobs=n_jobs, out=chunk_dir, scheduler=scheduler, progress=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out)
    typer.echo(f"{len(table)} records x {table.shape[1]} columns -> {out}")


# -- train / explain ----------------------------------------------------------------------


def _read_table(path: Path):
    import pandas as pd

    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.suffix in {".parquet", ".pq"} or path.is_dir():
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path, index_col=0)
    raise InterpEcgError("expected a .parquet or .csv table", source=path)


@app.command()
@handle_errors
def train(
    features_path: Path = typer.Argument(..., metavar="FEATURES", help="Feature table (.parquet/.csv)."),
    label: str = typer.Option("wct", "--label",
                              help="Label column (in FEATURES or --labels), or 'wct' for the rule "
                                   "QRS >= 120 ms and HR >= 100 bpm."),
    labels: Optional[Path] = typer.Option(None, "--labels", help="Table of labels indexed by record id."),
    models: str = typer.Option("rf,xgb,lgbm", "--models", help="Ensemble members, comma-separated."),
    out: Path = typer.Option(Path("model"), "--out", help="Folder for the model and its metrics."),
    test_size: float = typer.Option(0.3, "--test-size", help="Held-out fraction (patient-wise)."),
    seed: int = typer.Option(0, "--seed"),
    n_jobs: int = typer.Option(1, "--n-jobs"),
) -> None:
    """Train an explained ensemble on a feature table and evaluate it on held-out patients.

    Example: interp-ecg train features.parquet --label wct --models rf,xgb --out models/wct
    """
    from interp_ecg.studies import pipeline

    X, y, groups, note = pipeline.training_data(_read_table(features_path),
                                                None if labels is None else _read_table(labels), label)
    res = pipeline.train_and_evaluate(X, y, groups, models.split(","), seed, n_jobs, test_size)
    out.mkdir(parents=True, exist_ok=True)
    from interp_ecg.models import save_model

    digest = save_model(res["model"], out / "model")
    res["metrics"].to_csv(out / "metrics.csv", index=False)
    if note:
        typer.echo(note)
    from interp_ecg.report import format_metrics

    typer.echo(format_metrics(res["metrics"]).to_string(index=False))
    reasons = res["metrics"]["ci_reason"] if "ci_reason" in res["metrics"] else []
    for reason in dict.fromkeys(r for r in reasons if isinstance(r, str) and r):
        typer.echo(f"note: {reason} (n, positives: the held-out records; CIs: 95% patient bootstrap)")
    typer.echo(f"model -> {out / 'model'}; metrics -> {out / 'metrics.csv'}")
    typer.echo(f"model manifest sha256 {digest} (pass to `explain --expected-digest` to pin it)")


@app.command()
@handle_errors
def explain(
    model_path: Path = typer.Argument(..., metavar="MODEL", help="Saved model (from `train`)."),
    features_path: Path = typer.Argument(..., metavar="FEATURES", help="Feature table."),
    out: Path = typer.Option(Path("shap.parquet"), "--out", help="SHAP values per record and feature."),
    record: Optional[str] = typer.Option(None, "--record", help="Print the grounded explanation of one record."),
    top: int = typer.Option(5, "--top", help="Sentences for --record."),
    expected_digest: Optional[str] = typer.Option(
        None, "--expected-digest", help="SHA-256 of the model's manifest.json, as printed by `train`."),
) -> None:
    """SHAP values of a saved model on a feature table, and grounded sentences for one record.

    The model is read without unpickling anything (skops.io with trusted types only); a
    pickled or unknown model file is refused.

    Example: interp-ecg explain model/model features.parquet --record 17
    """
    import pandas as pd

    from interp_ecg.explain import explain_row, shap_explanation
    from interp_ecg.models import load_model
    from interp_ecg.studies import pipeline

    model = load_model(model_path, expected_digest=expected_digest)
    table = _read_table(features_path)
    X = pipeline.model_matrix(table, model)
    expl = shap_explanation(model, X)
    vals = pd.DataFrame(pipeline.positive_values(expl), index=X.index, columns=list(X.columns))
    out.parent.mkdir(parents=True, exist_ok=True)
    vals.to_parquet(out)
    typer.echo(f"SHAP values {vals.shape} -> {out}")
    if record is not None:
        idx = [str(i) for i in X.index]
        if str(record) not in idx:
            raise InterpEcgError(f"record {record!r} not in the feature table")
        i = idx.index(str(record))
        for s in explain_row(expl, i, feature_row=table.loc[X.index[i]], top=top).sentences():
            typer.echo(f"- {s}")


# -- phewas -------------------------------------------------------------------------------


@app.command()
@handle_errors
def phewas(
    exposures_path: Path = typer.Argument(..., metavar="EXPOSURES",
                                          help="Per-ECG or per-subject exposures (.parquet/.csv), with a subject column."),
    diagnoses: Path = typer.Option(..., "--diagnoses", help="ICD diagnoses (CSV: subject_id, icd_code, icd_version)."),
    phecode_map: Path = typer.Option(..., "--phecode-map", help="Phecode map folder (phecodeX_R_*.csv) or file."),
    covariates: str = typer.Option("age,sex", "--covariates", help="Covariate columns, comma-separated."),
    subject_col: str = typer.Option("patient_id", "--subject-col", help="Subject id column of EXPOSURES."),
    exposures: Optional[str] = typer.Option(None, "--exposures", help="Exposure columns (default: all numeric but covariates)."),
    method: str = typer.Option("logit", "--method", help="logit or firth."),
    test: str = typer.Option("wald", "--test", help="wald (every pair fitted) or score (score-test screening, exact refits of what passes)."),
    min_code_count: int = typer.Option(2, "--min-code-count", help="Diagnoses needed to be a case (PheTK: 2)."),
    min_cases: int = typer.Option(5, "--min-cases", help="Phecodes with fewer cases are not tested."),
    standardize: bool = typer.Option(True, "--standardize/--raw-units", help="Odds ratios per SD of each exposure."),
    out: Path = typer.Option(Path("phewas.csv"), "--out"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address."),
) -> None:
    """PheWAS of ECG exposures against phecodes, adjusted for covariates.

    Example: interp-ecg phewas protos.parquet --diagnoses diagnoses.csv --phecode-map /data/phecode
    """
    from interp_ecg.studies import pipeline

    table = _read_table_plain(exposures_path, text_columns=[subject_col])
    if isinstance(table, Path):
        raise InterpEcgError("expected a .parquet or .csv exposures table, not a folder", source=exposures_path)
    if subject_col not in table.columns and subject_col in (table.index.names or []):
        table = table.reset_index()
    summary = pipeline.run_phewas(table, _read_table_plain(diagnoses, text_columns="all"), phecode_map,
                                  [c for c in covariates.split(",") if c], subject_col,
                                  None if exposures is None else exposures.split(","), method, scheduler,
                                  min_cases=min_cases, min_code_count=min_code_count, standardize=standardize,
                                  test=test)
    out.parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out, index=False)
    typer.echo(f"{len(summary)} tests -> {out}")
    cols = [c for c in ("exposure", "phecode", "description", "OR", "p", "q") if c in summary.columns]
    typer.echo(summary.sort_values("p").head(10)[cols].to_string(index=False))


def _read_table_plain(path: Path, text_columns=None):
    """A table without an index column. ``text_columns`` (a list, or ``"all"``) are read from
    CSV as text, so identifiers and ICD codes keep their leading zeros (``01882``)."""
    import pandas as pd

    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        return path
    if path.suffix in {".parquet", ".pq"}:
        return pd.read_parquet(path)
    if text_columns == "all":
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    if text_columns:
        return pd.read_csv(path, dtype={c: str for c in text_columns})
    return pd.read_csv(path)


# -- report -------------------------------------------------------------------------------


@app.command()
@handle_errors
def report(
    run_dir: Path = typer.Argument(..., help="A run folder (reports/<study>/<timestamp>/)."),
    out: Optional[Path] = typer.Option(None, "--out", help="PDF path (default: RUN_DIR/report-tables-<paper>.pdf)."),
    paper: str = typer.Option("a4", "--paper", help="a4 or letter."),
    pseudonymise: bool = typer.Option(True, "--pseudonymise/--show-ids"),
) -> None:
    """Re-render a run folder's config and result tables as a PDF (A4 or Letter).

    Example: interp-ecg report reports/demo/20260101-120000 --paper letter
    """
    from interp_ecg.studies.runner import report_from_run_dir

    rep = report_from_run_dir(run_dir, pseudonymise=pseudonymise)
    path = out or run_dir / f"report-tables-{paper}.pdf"
    rep.save_pdf(path, paper=paper)
    typer.echo(f"report ({rep.n_pages_} pages) -> {path}")


# -- study --------------------------------------------------------------------------------


def _parse_sets(values: list[str]) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for item in values:
        if "=" not in item:
            raise InterpEcgError(f"--set expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        out[key.strip()] = yaml.safe_load(value)
    return out


@study_app.command("run")
@handle_errors
def study_run(
    config: Path = typer.Argument(..., help="The study's YAML file."),
    output_dir: Optional[Path] = typer.Option(None, "--output-dir", help="Base folder of runs (default: the YAML's output_dir)."),
    seed: Optional[int] = typer.Option(None, "--seed"),
    n_jobs: Optional[int] = typer.Option(None, "--n-jobs"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address."),
    set_: list[str] = typer.Option([], "--set", help="Override a config value: --set data.n_records=60"),
) -> None:
    """Run a study from its YAML config; writes reports/<study>/<timestamp>/.

    Example: interp-ecg study run studies/wct_cardioforest/study.yaml --set data.n_records=200
    """
    from interp_ecg.studies.runner import run_study

    result = run_study(config, output_dir=output_dir, seed=seed, n_jobs=n_jobs, scheduler=scheduler,
                       overrides=_parse_sets(set_))
    typer.echo(f"run folder: {result.out_dir}")
    if result.report_path:
        typer.echo(f"report: {result.report_path}")


@study_app.command("validate")
@handle_errors
def study_validate(config: Path = typer.Argument(..., help="The study's YAML file.")) -> None:
    """Check a study config (unknown keys, types, paths) without running it.

    Example: interp-ecg study validate studies/prototype_phewas/study.yaml
    """
    from interp_ecg.studies.config import load_config

    cfg = load_config(config)
    typer.echo(f"{config}: valid ({cfg.kind} study {cfg.study!r}, seed {cfg.seed})")


@study_app.command("list")
def study_list() -> None:
    """List the study kinds a YAML `kind:` can name, with their run function and params model."""
    from interp_ecg.studies import STUDY_KINDS
    from interp_ecg.studies.params import params_model

    for kind, target in STUDY_KINDS.items():
        typer.echo(f"{kind:18s} {target:55s} params: {params_model(kind).__name__}")


@study_app.command("schema")
@handle_errors
def study_schema(
    kind: str = typer.Argument(..., help="The study kind (interp-ecg study list)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the schema to this file instead of stdout."),
) -> None:
    """Print the JSON Schema of a study YAML of KIND (its params included).

    Editors complete and check study.yaml with it: save it, e.g. as wct.schema.json, and put
    `# yaml-language-server: $schema=wct.schema.json` on the YAML's first line.

    Example: interp-ecg study schema wct --out wct.schema.json
    """
    import json

    from interp_ecg.studies.config import study_schema as schema_of

    text = json.dumps(schema_of(kind), indent=2)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        typer.echo(f"JSON Schema of the {kind} study -> {out}")


# -- prototypes -----------------------------------------------------------------------------

prototypes_app = typer.Typer(help="Describe the prototypes of a saved prototype network.", no_args_is_help=True)
app.add_typer(prototypes_app, name="prototypes")


@prototypes_app.command("describe")
@handle_errors
def prototypes_describe(
    model_path: Path = typer.Argument(..., metavar="MODEL", help="Saved ProtoECGNetClassifier (.pt)."),
    data: Path = typer.Argument(..., metavar="DATA", help="Dataset folder holding the prototypes' source records."),
    out: Path = typer.Option(Path("prototype_cards"), "--out", help="Output folder."),
    features_path: Optional[Path] = typer.Option(None, "--features", help="Feature table of DATA (measured when omitted)."),
    phewas_path: Optional[Path] = typer.Option(None, "--phewas", help="PheWAS summary whose exposures are prototype names."),
    sampling_rate: int = typer.Option(500, "--sampling-rate", help="100 or 500 (PTB-XL)."),
    pseudonymise: bool = typer.Option(True, "--pseudonymise/--no-pseudonymise",
                                      help="Replace source record ids by keyed pseudonyms in every output."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write prototype_cards.pdf."),
    n_jobs: int = typer.Option(1, "--n-jobs", help="Processes for feature extraction."),
) -> None:
    """Prototype cards: each prototype in measured clinical terms (CSV, PDF).

    Writes prototype_cards.csv (one row per prototype), prototype_measurements.csv and
    prototype_cards.pdf (glossary and a page of cards per class) to OUT, and prints each
    prototype's one-sentence description. The model is read with torch.load(weights_only=True).

    Example: interp-ecg prototypes describe model.pt /data/ptbxl --features features.parquet
    """
    from interp_ecg.explain import prototype_cards
    from interp_ecg.features import extract
    from interp_ecg.io.pseudonym import pseudonym_key, pseudonymise_frame
    from interp_ecg.prototypes import ProtoECGNetClassifier
    from interp_ecg.report import Report, card_blocks

    if not model_path.exists():
        raise FileNotFoundError(f"{model_path}: no such file")
    model = ProtoECGNetClassifier.load(model_path, device="cpu")
    ds = _open_dataset(data, sampling_rate)
    feats = _read_table(features_path) if features_path is not None else extract(ds, n_jobs=n_jobs, progress=True)
    summary = _read_table_plain(phewas_path) if phewas_path is not None else None
    key = pseudonym_key() if pseudonymise else None
    cards = prototype_cards(model, ds, feats, phewas=summary, pseudonym_key=key)
    out.mkdir(parents=True, exist_ok=True)
    table = cards.table.reset_index()
    if key is not None:
        table = pseudonymise_frame(table.drop(columns=["source_pseudonym"]), key)
    table.to_csv(out / "prototype_cards.csv", index=False)
    cards.measurements.to_csv(out / "prototype_measurements.csv", index=False)
    if pdf:
        Report("Prototype cards", card_blocks(cards), pseudonymise=pseudonymise).save_pdf(out / "prototype_cards.pdf")
    for name, text in cards.table["description"].items():
        typer.echo(f"{name}: {text}")
    typer.echo(f"{len(table)} prototype cards -> {out}")


if __name__ == "__main__":  # pragma: no cover
    app()
