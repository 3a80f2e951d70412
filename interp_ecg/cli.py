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

import ast
import functools
import inspect
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from interp_ecg.errors import ArgumentError, InterpEcgError

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
        "  interp-ecg phewas features.parquet --diagnoses dx.csv --phecode-map /data/phecode\n\n"
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


def _deprecated_alias(old: str, new: str, old_value: Any, new_value: Any) -> Any:
    """The value of option ``new``, or of its former spelling ``old`` (with a logged warning).

    Both given with different values is an error.
    """
    if old_value is None:
        return new_value
    if new_value is not None and new_value != old_value:
        raise InterpEcgError(f"{old} is the former spelling of {new}; give one of them, not both")
    logger.warning("%s is deprecated and will be removed: use %s (same meaning)", old, new)
    return old_value


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
        except (NotADirectoryError, FileExistsError) as err:
            if _STATE["debug"]:
                raise
            _fail(_path_error(err))
        except KeyboardInterrupt:
            _fail("interrupted", code=130)
        except Exception as err:  # noqa: BLE001 - unexpected: still one line unless --debug
            if _STATE["debug"]:
                raise
            _fail(f"unexpected {type(err).__name__}: {err} (run with --debug for the traceback)", code=1)

    return wrapper


def _path_error(err: OSError) -> str:
    """A plain message for a path that runs into a file where a folder is needed (or the reverse).

    ``--out afile/f.parquet`` with ``afile`` a regular file: "cannot make afile/f.chunks:
    afile is a file, not a folder".
    """
    name = err.filename
    if not name:
        return str(err)
    path = Path(os.fsdecode(name))
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if isinstance(err, NotADirectoryError) and blocker is not None:
        return f"cannot make {path}: {blocker} is a file, not a folder"
    if isinstance(err, FileExistsError) and path.exists() and not path.is_dir():
        return f"cannot make the folder {path}: a file of that name exists"
    return f"{path}: {err.strerror or err}"


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


# -- defaults: one source, the Python API ---------------------------------------------------

#: every command-line default read from the Python API: (target, parameter) -> value
DEFAULT_SOURCES: dict[tuple[str, str], Any] = {}


@functools.cache
def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _source_node(target: str) -> ast.AST:
    """The AST of ``target`` (``"interp_ecg.phenotype.phewas:PheWAS"``), read from the package source."""
    import interp_ecg

    module, _, qualname = target.partition(":")
    path = Path(interp_ecg.__file__).parent.joinpath(*module.split(".")[1:])
    path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    node: Any = _parsed(path)
    for part in qualname.split("."):
        node = next((n for n in node.body if isinstance(n, (ast.ClassDef, ast.FunctionDef)) and n.name == part),
                    None)
        if node is None:
            raise LookupError(f"{target}: no {part!r} in {path}")
    return node


def _default_node(node: Any, name: str) -> ast.AST | None:
    if isinstance(node, ast.ClassDef):
        init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
        if init is not None:
            return _default_node(init, name)
        for n in node.body:  # a pydantic model: ``name: type = Field(default, ...)`` or ``= default``
            if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.target.id == name:
                value = n.value
                if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "Field":
                    return value.args[0] if value.args else {k.arg: k.value for k in value.keywords}.get("default")
                return value
        return None
    args = node.args
    positional = args.posonlyargs + args.args
    pairs = list(zip(positional[len(positional) - len(args.defaults):], args.defaults))
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
    return next((d for a, d in pairs if a.arg == name), None)


def python_default(target: str, name: str) -> Any:
    """The default of parameter ``name`` of the Python API ``target``: the one source of a CLI default.

    ``target`` is ``"module:qualname"``: a function, a class (its ``__init__``) or a pydantic
    model (its field). The value is read from the package's source rather than by importing
    the module, so ``interp-ecg --help`` stays fast (importing the phenotype layer alone takes
    seconds); the test suite checks every value read here (:data:`DEFAULT_SOURCES`) against
    ``inspect.signature`` / ``model_fields`` of the imported object.

    Raises
    ------
    LookupError
        No such object or parameter, or a default that is not a literal.

    Examples
    --------
    >>> from interp_ecg.cli import python_default
    >>> python_default("interp_ecg.phenotype.phewas:PheWAS", "min_cases")
    20
    """
    key = (target, name)
    if key not in DEFAULT_SOURCES:
        node = _default_node(_source_node(target), name)
        if node is None:
            raise LookupError(f"{target} has no parameter {name!r} with a default")
        try:
            DEFAULT_SOURCES[key] = ast.literal_eval(node)
        except ValueError:
            raise LookupError(f"{target}: the default of {name!r} is not a literal") from None
    return DEFAULT_SOURCES[key]


def _option(target: str, name: str, *decls: str, help: str, reference: str = "", **kwargs: Any) -> Any:
    """A ``typer.Option`` whose default is ``target``'s ``name``, its help saying so (and why: ``reference``)."""
    value = python_default(target, name)
    if isinstance(value, (tuple, list)):
        value = ",".join(map(str, value))
    ref = f"; {reference}" if reference else ""
    text = f"{help} Default: {target.rpartition(':')[2]}'s {name} (Python API){ref}."
    return typer.Option(value, *decls, help=text, **kwargs)


_CONFIG = "interp_ecg.studies.config"
_PHEWAS = "interp_ecg.phenotype.phewas:PheWAS"
_PIPELINE = "interp_ecg.studies.pipeline"


# -- demo ---------------------------------------------------------------------------------


@app.command()
@handle_errors
def demo(
    out: Path = typer.Option(Path("reports/demo"), "--out",
                             help="Folder of the demo's runs: each run writes OUT/<timestamp>/ (the study "
                                  "is named after OUT's last part) and copies its PDF to OUT/report.pdf."),
    n_records: int = _option(f"{_CONFIG}:DataConfig", "n_records", "--n-records", min=20,
                             help="Size of the synthetic cohort (data.n_records of a study YAML)."),
    seed: int = _option(f"{_CONFIG}:StudyConfig", "seed", "--seed", help="Random seed of every step."),
    n_jobs: int = _option(f"{_CONFIG}:StudyConfig", "n_jobs", "--n-jobs", help="Worker processes (-1: all cores)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address."),
    paper: str = _option(f"{_CONFIG}:ReportConfig", "paper", "--paper", help="a4 or letter."),
    pseudonymise: bool = _option(f"{_CONFIG}:ReportConfig", "pseudonymise", "--pseudonymise/--show-ids",
                                 help="Pseudonymise record and patient ids in the report."),
    epochs: int = _option("interp_ecg.studies.params:DemoParams", "epochs", "--epochs",
                          help="Epochs of the small prototype network."),
) -> None:
    """Run the whole pipeline on a synthetic cohort and write a PDF report.

    Synthetic cohort -> fiducial features -> WCT ensemble + SHAP -> small prototype network ->
    PheWAS -> PDF, in OUT/<timestamp>/ (and a copy of the PDF at OUT/report.pdf).

    Example: interp-ecg demo --out reports/demo --n-records 240 --seed 0
    """
    from interp_ecg.studies.runner import run_study

    cfg = {"kind": "demo", "description": "End-to-end demonstration on a synthetic cohort",
           "data": {"source": "synthetic"}}
    # every option is an override named as the user gave it, so a bad value names the option
    given = {"study": (out.name, f"--out {out}"), "output_dir": (str(out.parent), f"--out {out}"),
             "seed": (seed, f"--seed {seed}"), "n_jobs": (n_jobs, f"--n-jobs {n_jobs}"),
             "scheduler": (scheduler, f"--scheduler {scheduler}"),
             "data.n_records": (n_records, f"--n-records {n_records}"), "report.paper": (paper, f"--paper {paper}"),
             "report.pseudonymise": (pseudonymise, "--pseudonymise" if pseudonymise else "--show-ids"),
             "params.epochs": (epochs, f"--epochs {epochs}")}
    result = run_study(cfg, overrides={k: v for k, (v, _) in given.items()},
                       override_sources={k: label for k, (_, label) in given.items()})
    if result.report_path is not None:
        latest = out / "report.pdf"
        shutil.copyfile(result.report_path, latest)
        typer.echo(f"report: {result.report_path}")
        typer.echo(f"copy:   {latest}")
    typer.echo(f"run folder: {result.out_dir}")


# -- features -----------------------------------------------------------------------------


def _open_dataset(path: Path, sampling_rate: int, hosp: Path | None = None):
    from interp_ecg import io
    from interp_ecg.io.wfdb_reader import find_headers

    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if hosp is not None:
        if not (path / "record_list.csv").exists() and not any(path.glob("record_list.*")):
            raise ArgumentError(f"--hosp {hosp} gives age and sex to MIMIC-IV-ECG records; {path} is not a "
                                "MIMIC-IV-ECG folder (no record_list.csv)")
        if not hosp.is_dir():
            raise FileNotFoundError(f"--hosp {hosp}: no such folder (MIMIC-IV's hosp/, with patients.csv.gz)")
        return io.read_mimic_ecg(path, hosp_dir=hosp)
    if (path / "ptbxl_database.csv").exists():
        return io.read_ptbxl(path, sampling_rate=sampling_rate)
    if sampling_rate != python_default("interp_ecg.io.ptbxl:read_ptbxl", "sampling_rate"):
        raise ArgumentError(f"--sampling-rate {sampling_rate} chooses between the 100 Hz and 500 Hz copies of a "
                            f"PTB-XL folder; {path} is not one (no ptbxl_database.csv), and its records are "
                            "measured at the rate their headers give")
    if (path / "ludb.csv").exists() and (path / "data").is_dir():
        return io.read_ludb(path)
    if (path / "record_list.csv").exists() and hasattr(io, "read_mimic_ecg"):
        return io.read_mimic_ecg(path)
    # CinC's .mat records may sit in sub-folders or behind linked folders (the reader walks both)
    if hasattr(io, "read_cinc") and (any(path.glob("*.mat")) or find_headers(path, suffix=".mat")):
        return io.read_cinc(path)
    if hasattr(io, "read_wfdb"):
        return io.read_wfdb(path)
    raise InterpEcgError("cannot tell the dataset layout (PTB-XL, LUDB, MIMIC-IV-ECG, CinC or WFDB)",
                         source=path)


@app.command()
@handle_errors
def features(
    data: Path = typer.Argument(..., help="Dataset folder (PTB-XL layout, LUDB, MIMIC-IV-ECG, CinC or WFDB)."),
    out: Path = typer.Option(Path("features.parquet"), "--out", help="Parquet file of features."),
    sampling_rate: int = _option("interp_ecg.io.ptbxl:read_ptbxl", "sampling_rate", "--sampling-rate",
                                 help="100 or 500 (PTB-XL)."),
    n_jobs: int = _option("interp_ecg.features.extract:extract", "n_jobs", "--n-jobs",
                          help="Worker processes (-1: all cores)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address."),
    limit: Optional[int] = typer.Option(None, "--limit", help="Only the first N records (N >= 1; all without it)."),
    chunks: Optional[Path] = typer.Option(None, "--chunks",
                                          help="Folder for resumable chunked output (default: OUT.chunks)."),
    chunk_size: Optional[int] = typer.Option(None, "--chunk-size",
                                             help="Records per chunk file, the unit of resume (default: "
                                                  "extract's chunk_size, DEFAULT_CHUNK_SIZE in the Python API)."),
    overwrite: bool = typer.Option(False, "--overwrite",
                                   help="Delete OUT and the chunks of an earlier run in the chunk folder and start over "
                                        "(without it a run resumes, and a folder of another run is refused)."),
    hosp: Optional[Path] = typer.Option(None, "--hosp",
                                        help="MIMIC-IV hosp/ folder (patients.csv.gz): age and sex of "
                                             "MIMIC-IV-ECG records, which record_list.csv lacks."),
    retry_failed: bool = typer.Option(False, "--retry-failed",
                                      help="Measure again only the records of an earlier run in the chunk "
                                           "folder that could not be read (e.g. a file briefly missing) or "
                                           "whose worker process died (e.g. an OOM kill); every other row "
                                           "is kept."),
) -> None:
    """Measure fiducial features, one row per record, written to Parquet (resumable).

    Each row starts with the record's patient_id, age and sex as its reader gives them
    (missing where it has none: a WFDB folder names a patient only in a header comment or a
    patientNNN folder; MIMIC-IV-ECG needs --hosp), so `interp-ecg phewas` and `train` read the
    file as it is; `train` treats a record without a patient as a patient of its own and says
    how many there are.

    Exits with status 2 when no record could be measured (the table is written all the same,
    with each record's reason in quality_reason).

    Example: interp-ecg features /data/ptbxl --out ptbxl_features.parquet --n-jobs 4
    """
    from interp_ecg.errors import ConfigError
    from interp_ecg.features import extract
    from interp_ecg.features.extract import READ_FAILURES
    from interp_ecg.studies.pipeline import with_record_columns

    if limit is not None and limit < 1:
        raise ArgumentError(f"--limit {limit}: give the number of records to measure, at least 1 "
                            "(leave --limit out to measure every record)")
    if chunk_size is not None and chunk_size < 1:
        raise ArgumentError(f"--chunk-size {chunk_size}: at least 1 record per chunk")
    if retry_failed and overwrite:
        raise ArgumentError("--retry-failed keeps the earlier run's rows and --overwrite deletes them: "
                            "give one of the two")
    ds = _open_dataset(data, sampling_rate, hosp=hosp)
    if limit:
        ds = ds.subset(positions=range(min(limit, len(ds))))
    chunk_dir = chunks or out.with_suffix(".chunks")
    if overwrite and out.is_file():
        # the table of the earlier run must not outlive its chunks: a rerun killed before it
        # writes OUT would leave another run's table in place beside this run's chunks
        logger.info("--overwrite: removing %s of the earlier run", out)
        out.unlink()
    try:
        # the bar only on a terminal: in a log file its redraws pile up on one line
        sized = {} if chunk_size is None else {"chunk_size": chunk_size}
        measured = extract(ds, n_jobs=n_jobs, out=chunk_dir, scheduler=scheduler, overwrite=overwrite,
                           retry_failed=[*READ_FAILURES, "WorkerDiedError"] if retry_failed else False,
                           progress=_stderr_is_terminal(), **sized)
    except ConfigError as err:
        if "overwrite=True" not in str(err):
            raise
        raise ConfigError(str(err).replace("overwrite=True", "--overwrite")) from err
    table = with_record_columns(measured, ds.meta)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    table.to_parquet(tmp)  # written whole, then renamed: a killed run leaves no half table at OUT
    os.replace(tmp, out)
    n_ok, failed = _failure_summary(table)
    n_failed = len(table) - n_ok
    if n_failed:
        logger.warning("%d of %d records not measured (quality_ok False; why in quality_reason): %s",
                       n_failed, len(table), failed)
    else:
        logger.info("all %d records measured", len(table))
    if n_ok == 0:
        raise InterpEcgError(f"none of the {len(table)} records could be measured: {failed or 'no records'}"
                             f"{_ptbxl_rate_hint(data, sampling_rate)}; the table of reasons is in {out}")
    typer.echo(f"{n_ok} of {len(table)} records measured, {table.shape[1]} columns -> {out}")


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _failure_summary(table) -> tuple[int, str]:
    """Records measured, and the errors of the others: ``"RecordReadError x5 (header file not found)"``."""
    import pandas as pd

    ok = table["quality_ok"].fillna(False).astype(bool) if "quality_ok" in table else pd.Series(False, table.index)
    bad = table.loc[~ok]
    if bad.empty:
        return int(ok.sum()), ""
    kinds = bad.get("quality_error", pd.Series("", bad.index)).fillna("").replace("", "not measured")
    reasons = bad.get("quality_reason", pd.Series("", bad.index)).fillna("").astype(str)
    parts = []
    for kind, n in kinds.value_counts().items():
        first = reasons[kinds == kind].iloc[0]
        why = first.rsplit(": ", 1)[-1] if first else ""
        parts.append(f"{kind} x{n}" + (f" (e.g. {why})" if why else ""))
    return int(ok.sum()), ", ".join(parts)


def _ptbxl_rate_hint(root: Path, sampling_rate: int) -> str:
    """A hint when a PTB-XL folder holds only the other rate's records."""
    if not (root / "ptbxl_database.csv").exists():
        return ""
    other = 100 if sampling_rate == 500 else 500
    if not (root / f"records{sampling_rate}").is_dir() and (root / f"records{other}").is_dir():
        return (f"; {root} holds records{other}/ but no records{sampling_rate}/: "
                f"--sampling-rate {other}?")
    return ""


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
    label: str = _option(f"{_PIPELINE}:training_data", "label", "--label",
                         help="Label column (in FEATURES or --labels), or 'wct' for the rule "
                              "QRS >= 120 ms and HR >= 100 bpm."),
    labels: Optional[Path] = typer.Option(None, "--labels", help="Table of labels indexed by record id."),
    models: str = _option(f"{_PIPELINE}:train_and_evaluate", "models", "--models",
                          help="Ensemble members, comma-separated (rf, et, xgb, lgbm, gb, logreg)."),
    out: Path = typer.Option(Path("model"), "--out", help="Folder for the model and its metrics."),
    test_size: float = _option(f"{_PIPELINE}:train_and_evaluate", "test_size", "--test-size",
                               help="Held-out fraction (patient-wise)."),
    n_boot: int = _option("interp_ecg.evaluate.metrics:tagged_metrics_table", "n_boot", "--n-boot",
                          help="Patient-bootstrap replicates of the 95% CIs."),
    seed: int = _option(f"{_PIPELINE}:train_and_evaluate", "seed", "--seed",
                        help="Random seed of the split, the models and the bootstrap."),
    n_jobs: int = _option(f"{_PIPELINE}:train_and_evaluate", "n_jobs", "--n-jobs",
                          help="Threads/processes of the model fits."),
    demographics: bool = _option(f"{_PIPELINE}:training_data", "demographics", "--demographics/--ecg-only",
                                 help="Also take age (and sex, when numeric) as model inputs; by default the "
                                      "inputs are the ECG measurements only."),
) -> None:
    """Train an explained ensemble on a feature table and evaluate it on held-out patients.

    Example: interp-ecg train features.parquet --label wct --models rf,xgb --out models/wct
    """
    from interp_ecg.studies import pipeline

    feature_table = _read_table(features_path)
    X, y, groups, note = pipeline.training_data(feature_table,
                                                None if labels is None else _read_table(labels), label,
                                                demographics=demographics,
                                                names=(str(features_path), str(labels)))
    unknown = int(groups.attrs.get("n_without_patient", 0))
    if unknown:
        typer.echo(f"warning: {unknown} of {len(groups)} records have no patient_id: each is treated as a patient "
                   "of its own, so the split and the bootstrap are patient-wise only for the others "
                   "(records of one patient may fall on both sides)", err=True)
    res = pipeline.train_and_evaluate(X, y, groups, models.split(","), seed=seed, n_jobs=n_jobs,
                                      test_size=test_size, n_boot=n_boot, label=label)
    out.mkdir(parents=True, exist_ok=True)
    from interp_ecg.models import save_model

    digest = save_model(res["model"], out / "model")
    res["metrics"].to_csv(out / "metrics.csv", index=False)
    if note:
        typer.echo(note)
    from interp_ecg.report import format_metrics

    typer.echo(_record_flow_line(X.attrs.get("record_flow", {}), res["test"], features_path, labels, label,
                                 has_quality="quality_ok" in feature_table.columns))
    typer.echo(_held_out_line(res["metrics"]))
    typer.echo(format_metrics(res["metrics"]).to_string(index=False))
    reasons = res["metrics"]["ci_reason"] if "ci_reason" in res["metrics"] else []
    for reason in dict.fromkeys(r for r in reasons if isinstance(r, str) and r):
        typer.echo(f"note: {reason} (n, positives: the held-out records; CIs: 95% patient bootstrap)")
    typer.echo(f"model -> {out / 'model'}; metrics -> {out / 'metrics.csv'}")
    typer.echo(f"model manifest sha256 {digest} (pass to `explain --expected-digest` to pin it)")


def _record_flow_line(flow: dict, test, features_path: Path, labels: Optional[Path], label: str,
                      has_quality: bool = True) -> str:
    """How many records the table had, were labelled, measured, trained on and held out (STROBE item 13).

    The measured count is named only when the table has a ``quality_ok`` column; without
    one every labelled record is used, and the line does not claim a check that was not made.
    """
    n_test = int(sum(test))
    where = f" in {labels.name}" if labels is not None else ""
    measured = (f"{flow.get('measured', '?')} of them measured (quality_ok), " if has_quality
                else f"all {flow.get('measured', '?')} kept (no quality_ok column in {features_path.name}: "
                     "none left out as unmeasured), ")
    line = (f"records: {flow.get('in_table', '?')} in {features_path.name}, {flow.get('labelled', '?')} with "
            f"label {label!r}{where}, {measured}"
            f"{len(test) - n_test} used for training, {n_test} held out")
    return line


FEW_POSITIVES = 10
"""Held-out positives below which ``train`` says its confidence intervals are not informative."""


def _held_out_line(metrics) -> str:
    """How many held-out ECGs, positives and patients the printed metrics rest on."""
    first = metrics.iloc[0]
    n, pos, groups = int(first["n"]), int(first["n_positive"]), int(first["n_groups"])
    line = f"held out: {n} ECGs of {groups} patients, {pos} positive, {n - pos} negative"
    if min(pos, n - pos) < FEW_POSITIVES:
        line += (f"; with {min(pos, n - pos)} in the smaller class the bootstrap CIs below are not informative "
                 "(a recall of 1.000 (1.000-1.000) can rest on two ECGs)")
    return line


@app.command()
@handle_errors
def explain(
    model_path: Path = typer.Argument(..., metavar="MODEL", help="Saved model (from `train`)."),
    features_path: Path = typer.Argument(..., metavar="FEATURES", help="Feature table."),
    out: Path = typer.Option(Path("shap.parquet"), "--out", help="SHAP values per record and feature."),
    record: Optional[str] = typer.Option(None, "--record", help="Print the grounded explanation of one record."),
    top: int = _option("interp_ecg.explain.grounded:explain_row", "top", "--top", help="Sentences for --record."),
    expected_digest: Optional[str] = typer.Option(
        None, "--expected-digest", help="SHA-256 of the model's manifest.json, as printed by `train`."),
    data: Optional[Path] = typer.Option(
        None, "--data", metavar="DATASET",
        help="Dataset folder FEATURES was measured on (as given to `features`): with --record, the record is "
             "delineated again so that the sentences give positions in seconds and tell a lead that is not in "
             "the record from one that was set aside. Without it, positions are sample indices."),
    sampling_rate: int = _option("interp_ecg.io.ptbxl:read_ptbxl", "sampling_rate", "--sampling-rate",
                                 help="100 or 500 (PTB-XL, with --data)."),
    background_path: Optional[Path] = typer.Option(
        None, "--background", metavar="TABLE",
        help="Feature table whose records (at most 100, sampled) define the SHAP baseline, e.g. the training "
             "features. Default: the records of FEATURES themselves. The baseline is the model's mean output "
             "on these records."),
) -> None:
    """SHAP values of a saved model on a feature table, and grounded sentences for one record.

    The model is read without unpickling anything (skops.io with trusted types only); a
    pickled or unknown model file is refused.

    Example: interp-ecg explain model/model features.parquet --record 17 --data /data/ptbxl
    """
    import pandas as pd

    from interp_ecg.explain import explain_row, shap_explanation
    from interp_ecg.models import load_model
    from interp_ecg.studies import pipeline

    model = load_model(model_path, expected_digest=expected_digest)
    table = _read_table(features_path)
    X = pipeline.model_matrix(table, model, source=features_path)
    background = X
    if background_path is not None:
        background = pipeline.model_matrix(_read_table(background_path), model, source=background_path)
    elif len(X) < 2:
        raise InterpEcgError(f"{features_path}: one record only; its SHAP baseline needs other records: "
                             "pass --background TABLE (e.g. the training features)")
    expl = shap_explanation(model, X, background=background)
    typer.echo(f"SHAP baseline: {getattr(expl, 'base_meaning', 'mean model output on the background')}")
    vals = pd.DataFrame(pipeline.positive_values(expl), index=X.index, columns=list(X.columns))
    out.parent.mkdir(parents=True, exist_ok=True)
    vals.to_parquet(out)
    typer.echo(f"SHAP values {vals.shape} -> {out}")
    if record is not None:
        idx = [str(i) for i in X.index]
        if str(record) not in idx:
            raise InterpEcgError(f"record {record!r} not in the feature table")
        i = idx.index(str(record))
        fiducials, fs = _record_delineation(data, sampling_rate, str(record))
        for s in explain_row(expl, i, feature_row=table.loc[X.index[i]], top=top, fiducials=fiducials,
                             fs=fs).sentences():
            typer.echo(f"- {s}")


def _record_delineation(data: Optional[Path], sampling_rate: int, record: str):
    """The record's measured fiducials and sampling rate, from its dataset (``(None, None)``
    without ``--data``, with a note; a record that cannot be measured says why)."""
    from interp_ecg.features import measured_fiducials

    if data is None:
        typer.echo("note: positions below are sample indices (pass --data DATASET to give them in seconds)")
        return None, None
    ds = _open_dataset(data, sampling_rate)
    ids = {str(rid): rid for rid in ds.meta.index}
    if record not in ids:
        raise InterpEcgError(f"record {record!r} is in the feature table but not in the dataset", source=data)
    rec = ds.load(ids[record])
    try:
        fid = measured_fiducials(rec)
    except InterpEcgError as err:
        typer.echo(f"note: record {record} could not be delineated again ({err}); positions are sample indices")
        return None, None
    return fid, float(rec.fs)


# -- phewas -------------------------------------------------------------------------------


@app.command()
@handle_errors
def phewas(
    exposures_path: Path = typer.Argument(..., metavar="EXPOSURES",
                                          help="Per-ECG or per-subject exposures (.parquet/.csv) with subject and "
                                               "covariate columns, e.g. the output of `interp-ecg features`."),
    diagnoses: Path = typer.Option(..., "--diagnoses", help="ICD diagnoses (CSV: subject_id, icd_code, icd_version)."),
    phecode_map: Path = typer.Option(..., "--phecode-map", help="Phecode map folder (phecodeX_R_*.csv) or file (phecodeX_R_map.csv, or phecode12_unrolled.csv.gz for Phecode 1.2)."),
    covariates: str = _option(f"{_PIPELINE}:run_phewas", "covariates", "--covariates",
                              help="Covariate columns, comma-separated."),
    subject_col: str = _option(f"{_PIPELINE}:run_phewas", "subject_col", "--subject-col",
                               help="Subject id column of EXPOSURES."),
    exposures: Optional[str] = typer.Option(None, "--exposures",
                                            help="Exposure columns, comma-separated (default: every numeric column "
                                                 "a model could take as input, i.e. no quality, provenance or id "
                                                 "column, other than the covariates and sex)."),
    method: str = _option(_PHEWAS, "method", "--method", help="logit or firth."),
    test: str = _option(_PHEWAS, "test", "--test",
                        help="wald (every pair fitted) or score (score-test screening, exact refits of what passes)."),
    min_code_count: int = _option("interp_ecg.phenotype.mapping:icd_to_phecodes", "min_code_count",
                                  "--min-code-count",
                                  help="Occurrences of a phecode (after roll-up) needed to be a case; an occurrence "
                                       "is a distinct admission (hadm_id) when the diagnoses have that column, else "
                                       "a distinct date (date column), else a diagnosis row. Subjects with fewer "
                                       "(but at least one) are excluded, neither case nor control (n_excluded).",
                                  reference="two codes, as the PheWAS R package (min.code.count) and PheTK"),
    min_cases: int = _option(_PHEWAS, "min_cases", "--min-cases", help="Phecodes with fewer cases are not tested.",
                             reference="the PheWAS convention (Denny et al. 2010; min.records = 20 in the "
                                       "PheWAS R package, Carroll et al. 2014)"),
    standardize: bool = _option(_PHEWAS, "standardize", "--standardize/--raw-units",
                                help="Odds ratios per SD of each exposure (--standardize) or per unit "
                                     "of it (--raw-units)."),
    full_population: bool = _option(f"{_PIPELINE}:run_phewas", "full_population",
                                    "--full-population", is_flag=True,
                                    help="Every subject of EXPOSURES had the chance to be coded, so one without "
                                         "any diagnosis row is a control of every phecode. Without it such "
                                         "subjects have unknown phenotypes and are left out (counted).",
                                    reference="the PheWAS R package makes controls only of the subjects of the "
                                              "diagnosis table unless given full.population.ids (Carroll et al. "
                                              "2014)"),
    out: Path = typer.Option(Path("phewas.csv"), "--out", help="CSV of the summary, one row per exposure x phecode."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address."),
    sex_coding: str = typer.Option("labels", "--sex-coding",
                                   help="How the sex column is read: labels (F/female/W/woman, M/male/man; "
                                        "numbers are an error), ptbxl (0 = male, 1 = female), ukbiobank "
                                        "(0 = female, 1 = male; UK Biobank field 31) or iso5218 (1 = male, "
                                        "2 = female, 0/9 unknown). Numeric sex codes differ between sources, "
                                        "so they are read only with the coding stated."),
) -> None:
    """PheWAS of ECG exposures against phecodes, adjusted for covariates.

    Exposures are averaged per subject; covariates come from each subject's first ECG (the
    sex column read as F/female/W/woman, M/male/man, or numbers with the coding given by
    --sex-coding; numbers written as text, and '90+', as numbers; a text-only column as a
    category). A subject, covariate or exposure
    column that is absent or empty is an error naming the file. Subjects without any
    diagnosis are left out unless --full-population.

    Example: interp-ecg phewas features.parquet --diagnoses diagnoses.csv --phecode-map /data/phecode
    """
    from interp_ecg.errors import ConfigError
    from interp_ecg.phenotype.mapping import SEX_CODING_NAMES, decode_sex
    from interp_ecg.studies import pipeline

    if sex_coding not in SEX_CODING_NAMES:
        raise ArgumentError(f"--sex-coding must be one of {', '.join(SEX_CODING_NAMES)}, not {sex_coding!r}")
    table = _read_table_plain(exposures_path, text_columns=[subject_col])
    if isinstance(table, Path):
        raise InterpEcgError("expected a .parquet or .csv exposures table, not a folder", source=exposures_path)
    if subject_col not in table.columns and subject_col in (table.index.names or []):
        table = table.reset_index()
    cov = [c for c in covariates.split(",") if c]
    _require_columns(table, exposures_path, {subject_col: "--subject-col", **{c: "--covariates" for c in cov},
                                             **{c: "--exposures" for c in (exposures or "").split(",") if c}})
    if "sex" in table.columns:  # run_phewas's sex column: numbers only with the stated coding
        try:
            table["sex"] = decode_sex(table["sex"], coding=sex_coding, column="sex")
        except ConfigError as err:
            raise ConfigError(str(err), source=exposures_path) from None
    dx = _read_table_plain(diagnoses, text_columns="all")
    if isinstance(dx, Path):
        raise InterpEcgError("expected a .csv or .parquet diagnoses table, not a folder", source=diagnoses)
    if "subject_id" not in dx.columns and subject_col not in dx.columns:
        raise InterpEcgError(f"the diagnoses table has neither subject_id nor {subject_col!r} (--subject-col); "
                             f"columns: {', '.join(map(str, dx.columns[:12]))}{' ...' if dx.shape[1] > 12 else ''}",
                             source=diagnoses)
    absent = [c for c in ("icd_code", "icd_version") if c not in dx.columns]
    if absent:
        raise InterpEcgError(f"the diagnoses table has no {' or '.join(absent)} column; columns: "
                             f"{', '.join(map(str, dx.columns[:12]))}{' ...' if dx.shape[1] > 12 else ''}",
                             source=diagnoses)
    summary = pipeline.run_phewas(table, dx, phecode_map,
                                  cov, subject_col=subject_col,
                                  exposures=None if exposures is None else exposures.split(","), method=method,
                                  scheduler=scheduler, min_cases=min_cases, min_code_count=min_code_count,
                                  standardize=standardize, test=test, full_population=full_population)
    out.parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out, index=False)
    typer.echo(f"{len(summary)} tests -> {out}")
    n_without = int(summary.attrs.get("n_without_diagnoses", 0))
    if n_without:
        typer.echo(f"{n_without} subjects of {exposures_path.name} have no diagnosis: left out, neither cases nor "
                   "controls (--full-population makes them controls)")
    n_unread = int(summary.attrs.get("n_unreadable_diagnoses", 0))
    if n_unread:
        typer.echo(f"{n_unread} subjects of {exposures_path.name} have no readable diagnosis (blank ICD version or "
                   "code): left out, neither cases nor controls")
    if summary.empty:
        logger.warning("no phecode has %d or more cases (--min-cases) among these subjects: nothing was tested",
                       min_cases)
        return
    from interp_ecg.phenotype.phewas import describe_method

    cols = [c for c in ("exposure", "phecode", "description", "OR", "p", "q") if c in summary.columns]
    typer.echo(f"Top 10 by p ({describe_method(summary, ', '.join(cov) or 'nothing')}):")
    typer.echo(summary.sort_values("p").head(10)[cols].to_string(index=False))


def _require_columns(table, path: Path, columns: dict[str, str]) -> None:
    """Every column named by an option is in the table and has a value somewhere, else an error naming
    the file, the column and the option."""
    for col, option in columns.items():
        hint = (" (interp-ecg features writes patient_id, age and sex, for MIMIC-IV-ECG with --hosp; for another "
                f"table name its columns with {option})")
        if col not in table.columns:
            raise InterpEcgError(f"no column {col!r} ({option}){hint}; columns: "
                                 f"{', '.join(map(str, table.columns[:12]))}{' ...' if table.shape[1] > 12 else ''}",
                                 source=path)
        if table[col].isna().all():
            raise InterpEcgError(f"column {col!r} ({option}) has no value in any row: the records' reader "
                                 f"did not provide it{hint}", source=path)


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
    paper: str = _option("interp_ecg.report.report:Report", "paper", "--paper", help="a4 or letter."),
    pseudonymise: bool = _option("interp_ecg.studies.runner:report_from_run_dir", "pseudonymise",
                                 "--pseudonymise/--show-ids", help="Pseudonymise record and patient ids."),
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


def _parse_sets(values: list[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """``--set key=value`` options: ``({key: value}, {key: "--set key=value"})``, values read as YAML.

    Raises
    ------
    InterpEcgError
        Naming the ``--set`` argument: no ``=``, an empty key, or a value that is not YAML.
    """
    import yaml

    out: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for item in values:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise InterpEcgError(f"expects key=value, e.g. --set data.n_records=60, got {item!r}", source="--set")
        label = f"--set {item}"
        try:
            out[key] = yaml.safe_load(value)
        except yaml.YAMLError as err:
            raise InterpEcgError(f"the value of {key!r} is not valid YAML: {getattr(err, 'problem', None) or err}",
                                 source=label) from None
        labels[key] = label
    return out, labels


@study_app.command("run")
@handle_errors
def study_run(
    config: Path = typer.Argument(..., help="The study's YAML file."),
    out: Optional[Path] = typer.Option(None, "--out",
                                       help="Base folder of the runs: each run writes OUT/<study>/<timestamp>/ "
                                            "(default: the YAML's output_dir). --output-dir, the former "
                                            "spelling, still works and warns."),
    output_dir: Optional[Path] = typer.Option(None, "--output-dir", hidden=True,
                                              help="Deprecated spelling of --out."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (default: the YAML's seed)."),
    n_jobs: Optional[int] = typer.Option(None, "--n-jobs", help="Worker processes (default: the YAML's n_jobs)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address."),
    set_: list[str] = typer.Option([], "--set", help="Override a config value (a YAML value; repeatable): "
                                                      "--set data.n_records=60. An invalid one is reported with "
                                                      "its --set argument."),
) -> None:
    """Run a study from its YAML config; writes <output_dir>/<study>/<timestamp>/.

    Example: interp-ecg study run studies/wct_cardioforest/study.yaml --set data.n_records=200 --out reports
    """
    from interp_ecg.studies.runner import run_study

    given_out = "--out" if output_dir is None else "--output-dir"
    out = _deprecated_alias("--output-dir", "--out", output_dir, out)
    overrides, set_labels = _parse_sets(set_)  # a --set wins over the option of the same key, as in run_study
    sources = {"output_dir": f"{given_out} {out}", "seed": f"--seed {seed}", "n_jobs": f"--n-jobs {n_jobs}",
               "scheduler": f"--scheduler {scheduler}", **set_labels}
    result = run_study(config, output_dir=out, seed=seed, n_jobs=n_jobs, scheduler=scheduler,
                       overrides=overrides, override_sources=sources)
    typer.echo(f"run folder: {result.out_dir}")
    if result.report_path:
        typer.echo(f"report: {result.report_path}")


@study_app.command("validate")
@handle_errors
def study_validate(
    config: Path = typer.Argument(..., help="The study's YAML file."),
    set_: list[str] = typer.Option([], "--set", help="Override a config value as `study run --set` does: "
                                                      "--set data.n_records=60."),
) -> None:
    """Check a study config (unknown keys, types, paths) without running it.

    Example: interp-ecg study validate studies/prototype_phewas/study.yaml --set seed=3
    """
    from interp_ecg.studies.config import load_config

    overrides, sources = _parse_sets(set_)
    cfg = load_config(config, overrides=overrides, override_sources=sources)
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
    sampling_rate: int = _option("interp_ecg.io.ptbxl:read_ptbxl", "sampling_rate", "--sampling-rate",
                                 help="100 or 500 (PTB-XL)."),
    pseudonymise: bool = _option(f"{_CONFIG}:ReportConfig", "pseudonymise", "--pseudonymise/--show-ids",
                                 help="Replace source record ids by keyed pseudonyms in every output "
                                      "(--no-pseudonymise, the former spelling of --show-ids, still works and warns)."),
    no_pseudonymise: bool = typer.Option(False, "--no-pseudonymise", hidden=True,
                                         help="Deprecated spelling of --show-ids."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write prototype_cards.pdf."),
    n_jobs: int = _option("interp_ecg.features.extract:extract", "n_jobs", "--n-jobs",
                          help="Processes for feature extraction."),
    expected_digest: Optional[str] = typer.Option(
        None, "--expected-digest",
        help="SHA-256 of the model's manifest (MODEL.manifest.json), as ProtoECGNetClassifier.save "
             "reports it; a model without its manifest is then refused."),
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

    if no_pseudonymise:
        pseudonymise = not _deprecated_alias("--no-pseudonymise", "--show-ids", True, None)
    if not model_path.exists():
        raise FileNotFoundError(f"{model_path}: no such file")
    model = ProtoECGNetClassifier.load(model_path, device="cpu", expected_digest=expected_digest)
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


def _unwrapped(doc: str) -> str:
    """``doc`` with each paragraph on one line, so that rich wraps it to the terminal.

    Typer keeps the single line breaks of a docstring, and rich then wraps each source line
    on its own (ragged lines). Lines that start a list item (``-``, ``*``) or are indented keep
    their break.
    """
    paragraphs = []
    for para in inspect.cleandoc(doc).split("\n\n"):
        lines = para.split("\n")
        text = lines[0]
        for line in lines[1:]:
            keep = line.startswith(("-", "*", " ")) or text.startswith("\b")
            text += ("\n" if keep else " ") + line
        paragraphs.append(text)
    return "\n\n".join(paragraphs)


def _unwrap_help(group: typer.Typer) -> None:
    """Unwrap the help of every command of ``group`` and of its sub-groups (:func:`_unwrapped`)."""
    for info in group.registered_commands:
        doc = info.help or (inspect.getdoc(info.callback) if info.callback is not None else None)
        if doc:
            info.help = _unwrapped(doc)
    for sub in group.registered_groups:
        if sub.typer_instance is not None:
            _unwrap_help(sub.typer_instance)


_unwrap_help(app)


if __name__ == "__main__":  # pragma: no cover
    app()
