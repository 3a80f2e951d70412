"""Run a study: validated config in, a complete run folder out, the same way for every kind.

Every study kind is one function (the :class:`Study` protocol)::

    run(config: StudyConfig, run_dir: Path) -> StudyResult

registered in :data:`interp_ecg.studies.STUDY_KINDS`. It computes; the runner writes. Every
run writes to ``<output_dir>/<study>/<timestamp>/``::

    config.yaml      the validated config, every default filled in (seed included)
    run.json         study, kind, seed, start/end time, duration, per-step timings
                     (``steps``: name, seconds, depth, status; a :func:`section` also
                     ``section`` and, when it failed or was skipped, ``note``), versions,
                     outputs, notes
    versions.json    python and package versions
    tables/*.csv     every result table (and *.parquet)
    figures/*.pdf    the study's figures
    report.pdf       the PDF report: a title page (config, seed, versions), then the study's blocks

A study times its stages with :func:`step` (``with step("features"): ...``): each is logged
at INFO when it starts and when it ends, and recorded in ``run.json``. An optional part of a
study that must not stop the rest (a report section) runs in :func:`section`: a failure is
logged with its traceback and recorded as status ``failed`` (``skipped`` when a module it
needs is not importable), and the study goes on. :func:`step_records` collects the records
of the steps a block runs, e.g. for a timings table that says the same as ``run.json``.

Identifiers are pseudonymised by default (``report.pseudonymise: true``): every
identifier-bearing column (``patient_id``, ``subject_id``, ``record_id``, ``ecg_id``,
``study_id``, ``hadm_id``, ``record``, ``filename_hr``, ``filename_lr``, ``path``, ... see
:data:`interp_ecg.io.pseudonym.IDENTIFIER_COLUMNS`) of the result tables, of the tables the
study wrote into the run folder and of the tables handed to the report is replaced by a
keyed pseudonym (:mod:`interp_ecg.io.pseudonym`). The key is one file outside every run folder
(``run_study(..., pseudonym_key=path)``, else ``$INTERP_ECG_PSEUDONYM_KEY``, else
``~/.config/interp-ecg/pseudonym.key``): share run folders, withhold the key.

Rerunning the same config and seed gives the same tables.

Examples
--------
>>> from interp_ecg.studies.runner import package_versions
>>> v = package_versions()
>>> "python" in v and "numpy" in v and "interp-ecg" in v
True
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as _dt
import importlib
import json
import logging
import platform
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import yaml

from interp_ecg.errors import ConfigError
from interp_ecg.io.pseudonym import (free_text_columns, identifier_columns, identifier_kind,
                                     pseudonym_key,
                                     pseudonymise_frame)
from interp_ecg.studies import STUDY_KINDS
from interp_ecg.studies.config import (
    StudyConfig, apply_overrides, check_study_name, load_config, load_yaml, override_labels, validate_config,
)

logger = logging.getLogger(__name__)

_PACKAGES = ("interp-ecg", "numpy", "pandas", "scipy", "scikit-learn", "shap", "xgboost",
             "lightgbm", "torch", "statsmodels", "wfdb", "neurokit2", "matplotlib", "pyarrow",
             "dask", "distributed", "pydantic")


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages a run depends on (without importing them)."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


@dataclass
class StudyResult:
    """What a study's ``run`` returns; the runner writes it.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Written to ``tables/<name>.csv`` (and Parquet), pseudonymised unless the config says not.
    figures : dict of str to matplotlib Figure
        Written to ``figures/<name>.pdf``.
    blocks : list of report blocks
        The report's content after the title page (:mod:`interp_ecg.report`); when empty,
        the report shows every table.
    notes : list of str
        What the reader must know (left-out records, circular labels); in ``run.json`` and at
        the end of the report.
    title, summary : str
        The report's title (unless ``report.title`` is set) and the title page's summary.
    report : Report, optional
        A complete report built by the study itself (its own title page); ``blocks``,
        ``title`` and ``summary`` are then not used.
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    blocks: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    title: str = ""
    summary: str = ""
    report: Any = None


class Study(Protocol):
    """A study kind: ``run(config, run_dir) -> StudyResult``.

    ``config`` is the validated :class:`~interp_ecg.studies.config.StudyConfig` (its
    ``params`` the kind's model); ``run_dir`` the run folder, where the study may keep what it
    builds on the way (a synthetic cohort, a feature cache). The study returns its tables,
    figures and report blocks; it writes no result files itself.
    """

    def __call__(self, config: StudyConfig, run_dir: Path) -> StudyResult: ...


@dataclass
class RunResult:
    """A finished run: its folder, its tables, the path of its PDF and its step timings."""

    out_dir: Path
    tables: dict[str, pd.DataFrame]
    report_path: Path | None
    config: StudyConfig
    duration_s: float
    steps: list[dict[str, Any]] = field(default_factory=list)

    def __repr__(self) -> str:
        return (f"RunResult(out_dir={str(self.out_dir)!r}, tables={sorted(self.tables)}, "
                f"report_path={str(self.report_path) if self.report_path else None!r})")


# -- steps ---------------------------------------------------------------------------------

_STEPS: contextvars.ContextVar[list[dict[str, Any]] | None] = contextvars.ContextVar("interp_ecg_steps",
                                                                                       default=None)
_DEPTH: contextvars.ContextVar[int] = contextvars.ContextVar("interp_ecg_step_depth", default=0)
#: open :func:`step_records` blocks: (depth of the steps they collect, their list)
_COLLECTORS: contextvars.ContextVar[tuple[tuple[int, list[dict[str, Any]]], ...]] = contextvars.ContextVar(
    "interp_ecg_step_collectors", default=())


@contextlib.contextmanager
def step(name: str) -> Iterator[dict[str, Any]]:
    """Time one stage of a study: logged at INFO when it starts and ends, recorded in ``run.json``.

    Inside :func:`run_study` every step lands in the run's ``steps`` list (name, seconds,
    depth for nested steps, status); outside a run the step is only logged.

    Parameters
    ----------
    name : str
        What the stage does, e.g. ``"features"`` or ``"models on the rule label"``.

    Yields
    ------
    dict
        The step's record (``name``, ``seconds`` once finished, ``depth``, ``status``).

    Examples
    --------
    >>> from interp_ecg.studies.runner import step
    >>> with step("count") as s:
    ...     n = sum(range(10))
    >>> s["name"], s["status"], s["seconds"] >= 0
    ('count', 'done', True)
    """
    record: dict[str, Any] = {"name": name, "seconds": None, "depth": _DEPTH.get(), "status": "running"}
    log = _STEPS.get()
    if log is not None:
        log.append(record)
    for depth, collected in _COLLECTORS.get():
        if depth == record["depth"]:
            collected.append(record)
    token = _DEPTH.set(record["depth"] + 1)
    logger.info("%s ...", name)
    t0 = time.perf_counter()
    try:
        yield record
        if record["status"] == "running":  # a section may have set "failed" or "skipped"
            record["status"] = "done"
    except BaseException:
        record["status"] = "failed"
        raise
    finally:
        _DEPTH.reset(token)
        record["seconds"] = round(time.perf_counter() - t0, 3)
        logger.info("%s %s in %.1f s", name, record["status"], record["seconds"])


@contextlib.contextmanager
def section(name: str, notes: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """A :func:`step` whose failure is recorded and logged, not raised: the study goes on.

    For the optional parts of a study (a report section): when the block raises
    :class:`ImportError` (a module it needs is not installed) the step's status is
    ``"skipped"`` and a warning is logged; any other :class:`Exception` is logged with its
    traceback and the status is ``"failed"``. In both cases the step's record gets a
    ``note`` (one sentence for the reader), which is also appended to ``notes``, and the
    code after the ``with`` block runs. ``KeyboardInterrupt`` and ``SystemExit`` still stop
    the run.

    Parameters
    ----------
    name : str
        The section's name (the step's ``name`` in ``run.json``).
    notes : list of str, optional
        Receives the note of a skipped or failed section.

    Yields
    ------
    dict
        The step's record (``section: True``; ``status`` ``done``, ``failed`` or ``skipped``).

    Examples
    --------
    >>> from interp_ecg.studies.runner import section
    >>> notes = []
    >>> with section("ratio", notes) as s:
    ...     1 / 0
    >>> s["status"], notes
    ('failed', ["Section 'ratio' failed: ZeroDivisionError: division by zero"])
    >>> with section("plots", notes) as s:
    ...     import no_such_module_here
    >>> s["status"]
    'skipped'
    """
    with step(name) as record:
        record["section"] = True
        try:
            yield record
        except ImportError as err:
            record["status"] = "skipped"
            record["note"] = f"Section '{name}' skipped: a module it needs is not available ({err})."
            logger.warning(record["note"])
        except Exception as err:  # noqa: BLE001 - a failed section is reported, the study goes on
            record["status"] = "failed"
            record["note"] = f"Section '{name}' failed: {type(err).__name__}: {err}"
            logger.exception("section %s failed", name)
        if notes is not None and "note" in record:
            notes.append(record["note"])


@contextlib.contextmanager
def step_records() -> Iterator[list[dict[str, Any]]]:
    """Collect the records of the steps (and sections) started directly inside the block.

    The records are the same dictionaries :func:`run_study` writes to ``run.json`` (steps
    nested deeper are left out); they are collected outside a run too.

    Yields
    ------
    list of dict
        Filled while the block runs: ``name``, ``seconds``, ``depth``, ``status`` (and
        ``section``/``note`` for :func:`section`).

    Examples
    --------
    >>> from interp_ecg.studies.runner import section, step, step_records
    >>> with step_records() as records:
    ...     with step("load"):
    ...         with step("inner"):
    ...             pass
    ...     with section("optional"):
    ...         pass
    >>> [(r["name"], r["status"]) for r in records]
    [('load', 'done'), ('optional', 'done')]
    """
    collected: list[dict[str, Any]] = []
    token = _COLLECTORS.set(_COLLECTORS.get() + ((_DEPTH.get(), collected),))
    try:
        yield collected
    finally:
        _COLLECTORS.reset(token)


def make_run_dir(output_dir: str | Path, study: str) -> Path:
    """Create and return ``<output_dir>/<study>/<UTC timestamp>/`` (suffixed if it exists).

    Raises
    ------
    ConfigError
        When ``study`` is not a plain folder name, or the run folder would not lie inside
        ``output_dir`` (a symbolic link pointing elsewhere, say).
    """
    check_study_name(study)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    root = Path(output_dir)
    base = root / study
    out = base / stamp
    k = 2
    while out.exists():
        out = base / f"{stamp}-{k}"
        k += 1
    root.mkdir(parents=True, exist_ok=True)
    if not out.resolve().is_relative_to(root.resolve()):
        raise ConfigError(f"run folder {out} would lie outside output_dir {root}", source=str(root))
    out.mkdir(parents=True)
    return out


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: v if v is None or isinstance(v, (str, int, float, bool)) else str(v))
            kinds = {type(v) for v in out[col].dropna()}
            if len(kinds) > 1:
                out[col] = out[col].map(lambda v: None if v is None else str(v))
    out.columns = [str(c) for c in out.columns]
    return out


def save_tables(tables: Mapping[str, pd.DataFrame], folder: str | Path, parquet: bool = True) -> list[Path]:
    """Write each table as ``<name>.csv`` (and ``<name>.parquet``); return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in tables.items():
        if not isinstance(frame, pd.DataFrame):
            continue
        index = not isinstance(frame.index, pd.RangeIndex)
        if frame.shape[1] == 0:
            logger.warning("table %r has no columns: its CSV is empty, without a header", name)
        csv = folder / f"{name}.csv"
        frame.to_csv(csv, index=index)
        paths.append(csv)
        if parquet:
            try:
                _parquet_safe(frame).to_parquet(folder / f"{name}.parquet", index=index)
                paths.append(folder / f"{name}.parquet")
            except Exception as err:  # noqa: BLE001 - CSV is there; Parquet is a convenience
                logger.warning("table %s not written as Parquet: %s", name, err)
    return paths


def pseudonymise_run(out_dir: str | Path, tables: Mapping[str, pd.DataFrame], report: Any,
                     key: bytes) -> dict[str, pd.DataFrame]:
    """Pseudonymise what a run hands on: its tables, the tables of its report, its CSV/Parquet files.

    Parameters
    ----------
    out_dir : path
        The run folder; ``*.csv`` and ``*.parquet`` files the pipeline wrote at its top level
        that hold identifier columns are rewritten in place.
    tables : mapping of str to DataFrame
        The result tables (returned pseudonymised, to be written by :func:`save_tables`).
    report : Report or None
        Every DataFrame a block of the report holds is replaced by its pseudonymised copy.
    key : bytes
        From :func:`interp_ecg.io.pseudonym.pseudonym_key`.

    Returns
    -------
    dict of str to DataFrame
    """
    out = {name: pseudonymise_frame(frame, key) if isinstance(frame, pd.DataFrame) else frame
           for name, frame in tables.items()}
    for block in getattr(report, "blocks", None) or []:
        for attr, value in list(vars(block).items()):
            if isinstance(value, pd.DataFrame):
                setattr(block, attr, pseudonymise_frame(value, key))
    folder = Path(out_dir)
    for path in sorted(folder.glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if identifier_columns(frame) or free_text_columns(frame):
            pseudonymise_frame(frame, key).to_csv(path, index=False)
    for path in sorted(folder.glob("*.parquet")):
        frame = pd.read_parquet(path)
        if (identifier_columns(frame) or free_text_columns(frame)
                or identifier_kind(frame.index.name) is not None):
            pseudonymise_frame(frame, key).to_parquet(path)
    return out


@contextlib.contextmanager
def _dask_context(address: str | None):
    if not address:
        yield None
        return
    try:
        import joblib
        from distributed import Client
    except ImportError as err:
        raise ConfigError(f"scheduler {address!r} given but dask.distributed is not installed: {err}") from err
    try:
        client = Client(address, timeout="5s")
    except Exception as err:  # noqa: BLE001 - name the address in a clear error
        raise ConfigError(f"cannot connect to the Dask scheduler at {address!r}: {err}") from err
    logger.info("running on Dask cluster %s", address)
    try:
        with joblib.parallel_config(backend="dask"):
            yield client
    finally:
        client.close()


def resolve_study(kind: str) -> Study:
    """The ``run`` function of a study kind (imported on demand).

    Raises
    ------
    ConfigError
        An unknown kind, or a study module that cannot be imported.
    """
    target = STUDY_KINDS.get(kind)
    if target is None:
        raise ConfigError(f"unknown study kind {kind!r}; known: {sorted(STUDY_KINDS)}")
    module, func = target.split(":")
    try:
        mod = importlib.import_module(module)
    except ImportError as err:
        raise ConfigError(f"the {kind!r} study ({module}) cannot be imported: {err}") from err
    fn = getattr(mod, func, None)
    if fn is None:
        raise ConfigError(f"{module} has no function {func}()")
    return fn


def build_report(config: StudyConfig, result: StudyResult, versions: Mapping[str, str]):
    """The run's report: the study's own, or a title page, the study's blocks (or every table) and notes."""
    from interp_ecg.report import Report, TableBlock, TextBlock, TitleBlock

    if result.report is not None:
        return result.report
    title = config.report.title or result.title or f"Study {config.study}"
    rep = Report(title, pseudonymise=config.report.pseudonymise, paper=config.report.paper)
    rep.add(TitleBlock(title, config.description, summary=result.summary, config=config.to_dict(),
                       seed=config.seed, versions=dict(versions)))
    blocks = list(result.blocks) or [
        TableBlock(frame.head(40), heading=name.replace("_", " ").capitalize(),
                   caption=f"{name} ({len(frame)} rows; first 40 shown; full table in tables/{name}.csv)")
        for name, frame in result.tables.items() if isinstance(frame, pd.DataFrame)]
    rep.add(*blocks)
    if result.notes:
        rep.add(TextBlock("Notes", "\n\n".join(result.notes)))
    if config.report.pseudonymise:
        from interp_ecg.report.blocks.base import ALIAS_NOTE

        rep.add(TextBlock("Identifiers", ALIAS_NOTE))
    return rep


def _config(config: str | Path | Mapping[str, Any] | StudyConfig, overrides: Mapping[str, Any],
            sources: Mapping[str, str] | None = None) -> StudyConfig:
    if isinstance(config, (str, Path)):
        return load_config(config, overrides=overrides, override_sources=sources)
    if isinstance(config, StudyConfig):
        if not overrides:
            return config
        config = config.to_dict()
    labels = override_labels(overrides, sources)
    return validate_config(apply_overrides(config, overrides, sources=labels), overridden=labels)


def run_study(config: str | Path | Mapping[str, Any] | StudyConfig, output_dir: str | Path | None = None,
              seed: int | None = None, n_jobs: int | None = None, scheduler: str | None = None,
              overrides: Mapping[str, Any] | None = None,
              pseudonym_key_path: str | Path | None = None,
              override_sources: Mapping[str, str] | None = None) -> RunResult:
    """Validate a config, run its study and write the run folder.

    Parameters
    ----------
    config : path, mapping or StudyConfig
        A ``study.yaml``, an already parsed mapping, or a validated config.
    output_dir, seed, n_jobs, scheduler : optional
        Override the config's values.
    overrides : mapping, optional
        Further overrides with dotted keys (``{"data.n_records": 60}``).
    pseudonym_key_path : path, optional
        The pseudonymisation key file (created when missing); default
        :func:`interp_ecg.io.pseudonym.default_key_path`. Unused with
        ``report.pseudonymise: false``.
    override_sources : mapping, optional
        How each override was given (``{"seed": "--seed -1", "data.n_records":
        "--set data.n_records=5"}``): an invalid value is reported with it rather than with the
        YAML file. Default: ``run_study(seed=...)`` for the arguments above,
        ``overrides['key']=value`` for ``overrides``.

    Returns
    -------
    RunResult
        Its ``tables`` are those written to ``tables/``: pseudonymised unless the config
        says ``report.pseudonymise: false``.

    Raises
    ------
    ConfigError
        Invalid config, or a study name that would put the run folder outside
        ``output_dir`` (``../../x``, an absolute path).
    TypeError
        A study whose ``run`` does not return a :class:`StudyResult`.
    """
    args = {"output_dir": None if output_dir is None else str(output_dir), "seed": seed, "n_jobs": n_jobs,
            "scheduler": scheduler}
    ov = {k: v for k, v in {**args, **(overrides or {})}.items() if v is not None}
    sources = {**{k: f"run_study({k}={v!r})" for k, v in args.items() if v is not None}, **(override_sources or {})}
    cfg = _config(config, ov, sources)
    run = resolve_study(cfg.kind)
    out_dir = make_run_dir(cfg.output_dir, cfg.study)
    versions = package_versions()
    (out_dir / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False), encoding="utf-8")
    (out_dir / "versions.json").write_text(json.dumps(versions, indent=2), encoding="utf-8")
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.perf_counter()
    logger.info("study %s (%s), seed %d -> %s", cfg.study, cfg.kind, cfg.seed, out_dir)
    steps: list[dict[str, Any]] = []
    token = _STEPS.set(steps)
    try:
        with _dask_context(cfg.scheduler), step(f"{cfg.kind} study"):
            result = run(cfg, out_dir)
        if not isinstance(result, StudyResult):
            raise TypeError(f"the {cfg.kind!r} study returned {type(result).__name__}, not a StudyResult")
        with step("report assembled"):
            report = build_report(cfg, result, versions)
        if cfg.report.pseudonymise:
            with step("identifiers pseudonymised"):
                key = pseudonym_key(pseudonym_key_path)
                result.tables = pseudonymise_run(out_dir, result.tables, report, key)
                report.pseudonym_key = key  # the PDF's E001/P001 then join to the tables' pseudonyms
        with step("tables written"):
            save_tables(result.tables, out_dir / "tables")
        if result.figures:
            with step("figures written"):
                save_figures(result.figures, out_dir / "figures")
        report_path = out_dir / "report.pdf"
        with step("PDF report written"):
            report.save_pdf(report_path, paper=cfg.report.paper)
            aliases = getattr(report, "aliases_", None)
            if cfg.report.pseudonymise and aliases is not None:
                (out_dir / "tables").mkdir(parents=True, exist_ok=True)
                aliases.to_csv(out_dir / "tables" / "report_aliases.csv", index=False)
    finally:
        _STEPS.reset(token)
    duration = time.perf_counter() - t0
    outputs = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file())
    run_info = {"study": cfg.study, "kind": cfg.kind, "seed": cfg.seed,
                "started": started.isoformat(timespec="seconds"),
                "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "duration_s": round(duration, 2), "steps": steps, "versions": versions, "outputs": outputs,
                "notes": result.notes}
    (out_dir / "run.json").write_text(json.dumps(run_info, indent=2, default=str), encoding="utf-8")
    logger.info("study %s finished in %.1f s: %s", cfg.study, duration, out_dir)
    return RunResult(out_dir, result.tables, report_path, cfg, duration, steps)


def save_figures(figures: Mapping[str, Any], folder: str | Path) -> list[Path]:
    """Write each matplotlib figure as ``<name>.pdf`` (vector) and close it; return the paths."""
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in figures.items():
        path = folder / f"{name}.pdf"
        fig.savefig(path)
        plt.close(fig)
        paths.append(path)
    return paths


def report_from_run_dir(run_dir: str | Path, pseudonymise: bool = True, max_rows: int = 40):
    """Rebuild a report from a finished run folder: its config, run record and result tables.

    Used by ``interp-ecg report`` to re-render a run (another paper size, identifiers shown)
    without re-running it. Figures drawn from model objects are not in the folder, so this
    report shows the title page (config, seed, versions), notes and every table.

    Raises
    ------
    DataNotFoundError
        When ``run_dir`` is not a run folder.
    """
    from interp_ecg.errors import DataNotFoundError
    from interp_ecg.report import MetricsBlock, Report, TableBlock, TextBlock, TitleBlock

    run_dir = Path(run_dir)
    cfg_path = run_dir / "config.yaml"
    if not cfg_path.exists():
        raise DataNotFoundError("not a run folder (no config.yaml)", source=run_dir)
    cfg = load_yaml(cfg_path) or {}
    info = json.loads((run_dir / "run.json").read_text()) if (run_dir / "run.json").exists() else {}
    title = (cfg.get("report") or {}).get("title") or f"Study {cfg.get('study', run_dir.parent.name)}"
    rep = Report(title, pseudonymise=pseudonymise)
    rep.add(TitleBlock(title, f"Run {run_dir.name} (re-rendered from its tables)", config=cfg,
                       seed=cfg.get("seed"), versions=info.get("versions")))
    if info.get("notes"):
        rep.add(TextBlock("Notes", "\n\n".join(info["notes"])))
    for csv in sorted((run_dir / "tables").glob("*.csv")):
        frame = pd.read_csv(csv)
        name = csv.stem
        heading = name.replace("_", " ").capitalize()
        if {"metric", "estimate"} <= set(frame.columns) and "model" in frame.columns:
            if "label" in frame.columns and frame["label"].nunique() > 1:
                frame = frame.assign(model=frame["model"].astype(str) + ": " + frame["label"].astype(str))
            rep.add(MetricsBlock(frame, heading=heading, name=name, transpose=False))
        else:
            wide = frame.shape[1] > 12
            shown = frame.iloc[:, :12] if wide else frame
            cap = f"tables/{name}.csv: {len(frame)} rows x {frame.shape[1]} columns"
            cap += f"; first {min(max_rows, len(frame))} rows" + (", first 12 columns" if wide else "") + " shown."
            rep.add(TableBlock(shown, heading=heading, caption=cap, max_rows=max_rows))
    return rep


__all__ = ["RunResult", "Study", "StudyResult", "build_report", "check_study_name", "make_run_dir", "package_versions",
           "pseudonymise_run", "report_from_run_dir", "resolve_study", "run_study", "save_figures", "save_tables",
           "section", "step", "step_records"]
