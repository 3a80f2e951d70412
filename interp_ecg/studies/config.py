"""Study configuration: YAML in, a validated, typed :class:`StudyConfig` out, with clear messages.

A study config has a fixed top level (:class:`StudyConfig`, :class:`DataConfig`,
:class:`ReportConfig`) and one section per study kind, ``params``, checked against the kind's
pydantic model (:mod:`interp_ecg.studies.params`). There is one way in:
:func:`load_config` reads the YAML (refusing keys given twice), applies ``--set`` overrides
(:func:`apply_overrides`), fills every default and checks types, choices and paths; a
mapping built in Python goes through :func:`validate_config`. pydantic's errors come out as
:class:`~interp_ecg.errors.ConfigError` naming the file, the key and the problem; a problem
with a value an override set (``--set key=value``) names the override instead of the file.
``interp-ecg study schema KIND`` prints :func:`study_schema` (JSON Schema) for editors.

.. code-block:: yaml

    study: wct_cardioforest     # name of the run folder: reports/<study>/<timestamp>/
    kind: wct                   # demo, wct, ptbxl_statements, ptbxl_prototypes, prototype_phewas
    seed: 0
    n_jobs: 1
    scheduler: null             # Dask scheduler address, e.g. tcp://10.0.0.1:8786
    output_dir: reports
    data:
      source: synthetic         # synthetic | ptbxl | mimic | features
      path: null                # dataset root (absolute, ~, or relative to the YAML file)
      n_records: 300            # size of the synthetic cohort
      sampling_rate: 500
      diagnoses: null           # ICD diagnoses table (CSV) or MIMIC-IV hosp/ folder
      phecode_map: null         # phecode map folder or file
    report:
      paper: a4
      pseudonymise: true
      n_patients: 2
    params: {}                  # the kind's parameters (interp_ecg.studies.params)

Relative input paths are resolved against the folder of the YAML file (never against the
current directory), and every path that must exist is checked, naming the key and the path.
``output_dir`` and ``data.cache_dir`` are relative to the current directory.

Examples
--------
>>> from interp_ecg.studies.config import validate_config
>>> cfg = validate_config({"study": "demo", "kind": "demo", "seed": 3})
>>> cfg.seed, cfg.data.source, cfg.report.paper, cfg.params.n_boot
(3, 'synthetic', 'a4', 200)
>>> cfg["data"]["n_records"]  # also readable as the plain dict it dumps to
300
>>> validate_config({"study": "x", "kind": "demo", "sede": 1})
Traceback (most recent call last):
...
interp_ecg.errors.ConfigError: <config>: unknown key 'sede' (did you mean 'seed'?); allowed keys: data, description, kind, n_jobs, output_dir, params, report, scheduler, seed, study
"""

from __future__ import annotations

import copy
import difflib
import functools
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel, Field, ValidationError, ValidationInfo, create_model, field_validator, model_validator,
)
from pydantic_core import PydanticCustomError

from interp_ecg.errors import ConfigError
from interp_ecg.studies.params import (
    ConfigModel, EmptyParams, InputDir, InputFile, InputPath, OutputPath, StudyParams, params_model,
)


class DataConfig(ConfigModel):
    """Where the ECGs (and diagnoses) come from; the ``data:`` section.

    Defaults: the embedded synthetic cohort of 300 records at 500 Hz (PTB-XL's high rate).
    """

    source: Literal["synthetic", "ptbxl", "mimic", "features"] = Field(
        "synthetic", description="synthetic (the embedded simulated cohort), ptbxl, mimic, or features "
                                 "(a feature table).")
    path: InputDir | None = Field(None, description="Dataset root (absolute, ~, or relative to the YAML "
                                                    "file); required unless source is synthetic.")
    n_records: int = Field(300, ge=10, description="Size of the synthetic cohort.")
    sampling_rate: Literal[100, 500] = Field(500, description="PTB-XL rate read (Hz); a source a study "
                                                              "reads at a fixed rate (the prototype studies: "
                                                              "100 Hz) refuses another value.")
    diagnoses: InputPath | None = Field(None, description="ICD diagnoses table (CSV) or MIMIC-IV hosp/ folder.")
    phecode_map: InputPath | None = Field(None, description="Phecode map folder or file (null: the shared "
                                                            "reference data when present).")
    features: InputFile | None = Field(None, description="A feature table computed before (Parquet, e.g. "
                                                         "features.extract(ds).to_parquet) of the same records: "
                                                         "read as given, never rewritten; a table that lacks "
                                                         "records or columns is refused with what is missing. "
                                                         "A cache the study may rewrite is data.cache_dir.")
    cache_dir: OutputPath | None = Field(None, description="Folder kept between runs (relative to the current "
                                                           "directory): the synthetic cohort, or the feature "
                                                           "cache of a real dataset.")


class ReportConfig(ConfigModel):
    """The PDF report; the ``report:`` section."""

    paper: Literal["a4", "letter"] = Field("a4", description="Paper size.")
    pseudonymise: bool = Field(True, description="Replace record and patient identifiers by keyed "
                                                 "pseudonyms in tables and report.")
    n_patients: int = Field(2, ge=0, description="Per-patient pages (studies that have them).")
    title: str | None = Field(None, description="Report title (null: the study's own).")


def check_study_name(study: str) -> str:
    """Return ``study`` if it is a plain folder name, else raise :class:`ConfigError`.

    A study name becomes one folder under ``output_dir``; a name that is empty, absolute,
    holds a path separator, or is ``.``/``..`` could put the run folder elsewhere and is
    refused. :class:`StudyConfig` applies the same check to its ``study`` key, so
    ``interp-ecg study validate`` and ``study run`` agree.

    Examples
    --------
    >>> from interp_ecg.studies.config import check_study_name
    >>> check_study_name("wct_cardioforest")
    'wct_cardioforest'
    >>> check_study_name("../../x")
    Traceback (most recent call last):
    ...
    interp_ecg.errors.ConfigError: study name '../../x' is not a plain folder name (no '/', '\\', '..' or absolute path): run folders stay inside output_dir
    """
    problem = _study_name_problem(study)
    if problem:
        raise ConfigError(problem)
    return str(study)


def _study_name_problem(study: Any) -> str:
    """Why ``study`` is not a plain folder name (``""`` when it is one)."""
    name = str(study)
    bad = (not name.strip() or name in {".", ".."} or "/" in name or "\\" in name
           or "\x00" in name or Path(name).is_absolute() or Path(name).drive != ""
           or name != name.strip())
    if bad:
        return (f"study name {name!r} is not a plain folder name (no '/', '\\', '..' or "
                "absolute path): run folders stay inside output_dir")
    return ""


class StudyConfig(ConfigModel):
    """A validated study config; ``params`` is the model of the study's ``kind``.

    Build one with :func:`load_config` (a YAML file) or :func:`validate_config` (a mapping);
    :func:`config_model` gives the class for one kind.
    """

    study: str = Field(..., description="Name of the run folder under output_dir.")
    kind: str = Field(..., description="The study kind (interp-ecg study list).")
    description: str = Field("", description="One line shown on the title page.")
    seed: int = Field(0, ge=0, description="Random seed of every step.")
    n_jobs: int = Field(1, description="Worker processes (-1: all cores).")
    scheduler: str | None = Field(None, description="Dask scheduler address, e.g. tcp://10.0.0.1:8786.")
    output_dir: OutputPath = Field("reports", description="Base folder of the runs (relative to the "
                                                          "current directory).")
    data: DataConfig = Field(DataConfig(), description="Where the ECGs come from.")
    report: ReportConfig = Field(ReportConfig(), description="The PDF report.")
    params: StudyParams = Field(EmptyParams(), description="The study kind's parameters.")

    @field_validator("study")
    @classmethod
    def _plain_study_name(cls, study: str) -> str:
        # the run folder's name: the same rule as check_study_name (make_run_dir), so that a
        # config `study validate` accepts is one `study run` can run
        problem = _study_name_problem(study)
        if problem:
            raise _rule(problem)
        return study

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, raw: Any) -> Any:
        # ``data:`` with nothing under it is null in YAML: every default
        if isinstance(raw, Mapping):
            raw = {k: ({} if v is None and k in ("data", "report", "params") else v) for k, v in raw.items()}
        return raw

    @model_validator(mode="before")
    @classmethod
    def _rate_read(cls, raw: Any) -> Any:
        # a source read at a fixed rate (StudyParams.fixed_sampling_rates): a different
        # data.sampling_rate is refused, and the echoed config states the rate actually read
        if not isinstance(raw, Mapping):
            return raw
        data = raw.get("data")
        if isinstance(data, DataConfig):
            data = data.model_dump(exclude_unset=True)
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            return raw
        params = cls.model_fields["params"].annotation
        fixed = getattr(params, "fixed_sampling_rates", {}) if isinstance(params, type) else {}
        source = data.get("source", "synthetic")
        kind = raw.get("kind", "this")
        unused = [k for k in getattr(params, "unused_data_keys", ()) if data.get(k) is not None]
        if unused:
            raise _rule(f"the {kind} study does not read data.{unused[0]} (with data.source {source}): remove "
                        f"{', '.join('data.' + k for k in unused)}")
        if not isinstance(source, str) or source not in fixed:
            return raw
        rate, why = fixed[source]
        given = data.get("sampling_rate")
        if given is not None and given in (100, 500) and not isinstance(given, bool) and given != rate:
            raise _rule(f"data.sampling_rate is {given}, but the {kind} study reads "
                        f"data.source {source} at {rate} Hz ({why}): data.sampling_rate is not used; "
                        f"remove it or set it to {rate}")
        if given is None:
            return {**raw, "data": {**data, "sampling_rate": rate}}
        return raw

    @model_validator(mode="after")
    def _data_fits_the_study(self, info: ValidationInfo) -> StudyConfig:
        sources = type(self.params).sources
        if self.data.source not in sources:
            allowed = ", ".join(sources[:-1]) + " or " + sources[-1] if len(sources) > 1 else sources[0]
            raise _rule(f"the {self.kind} study reads data.source {allowed}, not {self.data.source!r}")
        if self.data.source != "synthetic" and self.data.path is None and self.data.features is None:
            raise _rule(f"data.source is {self.data.source!r}: set data.path to the dataset folder")
        ctx = info.context or {}
        if (self.data.source == "ptbxl" and self.data.path is not None and ctx.get("check_paths", True)
                and not (Path(self.data.path) / "ptbxl_database.csv").is_file()):
            raise _rule(f"data.path {self.data.path} holds no ptbxl_database.csv: data.source ptbxl reads "
                        "the PTB-XL folder (ptbxl_database.csv, scp_statements.csv, records100/500)")
        return self


def _rule(message: str) -> PydanticCustomError:
    """An error across keys, its message kept as written."""
    return PydanticCustomError("config_rule", "{message}", {"message": message})


@functools.cache
def config_model(kind: str) -> type[StudyConfig]:
    """The :class:`StudyConfig` subclass whose ``params`` are the model of ``kind``."""
    params = params_model(kind)
    name = "".join(part.capitalize() for part in kind.split("_")) + "StudyConfig"
    return create_model(name, __base__=StudyConfig, __doc__=f"A validated {kind!r} study config.",
                        params=(params, Field(params(), description=f"Parameters of the {kind} study "
                                                                    f"({params.__name__}).")))


def feature_cache(config: StudyConfig) -> str | None:
    """The feature cache of a real dataset in ``data.cache_dir`` (None without one, or for synthetic data).

    ``<cache_dir>/<source><sampling_rate>_features.parquet``, e.g. ``ptbxl500_features.parquet``:
    written by the first run, read by the next ones (:func:`interp_ecg.features.extract_cached`).
    A synthetic cohort caches its features in its own folder.

    Examples
    --------
    >>> from interp_ecg.studies import validate_config
    >>> from interp_ecg.studies.config import feature_cache
    >>> cfg = validate_config({"study": "s", "kind": "wct", "data": {"source": "ptbxl", "path": "/",
    ...                        "cache_dir": "cache"}}, check_paths=False)
    >>> feature_cache(cfg)
    'cache/ptbxl500_features.parquet'
    """
    data = config.data
    if data.cache_dir is None or data.source == "synthetic":
        return None
    return str(Path(data.cache_dir) / f"{data.source}{data.sampling_rate}_features.parquet")


def study_schema(kind: str) -> dict[str, Any]:
    """JSON Schema of a study YAML of one kind (``interp-ecg study schema KIND``).

    Editors that read JSON Schema (VS Code with the YAML extension, PyCharm) complete and check
    ``study.yaml`` with it: save it and put ``# yaml-language-server: $schema=<file>`` on the
    first line of the YAML.

    Raises
    ------
    ConfigError
        An unknown kind.

    Examples
    --------
    >>> from interp_ecg.studies import study_schema
    >>> s = study_schema("wct")
    >>> s["properties"]["kind"]["const"], "n_boot" in s["$defs"]["WctParams"]["properties"]
    ('wct', True)
    """
    _check_kind(kind, None)
    schema = config_model(kind).model_json_schema()
    schema["properties"]["kind"] = {**schema["properties"]["kind"], "const": kind}
    defs = schema.pop("$defs", {})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "$defs": defs}


# -- messages ------------------------------------------------------------------------------

_TYPE_WORDS = {str: "a string", int: "an integer", float: "a number", bool: "true/false", dict: "a mapping",
               list: "a list", type(None): "null"}


def _unwrap(ann: Any) -> Any:
    while typing.get_origin(ann) is typing.Annotated:
        ann = typing.get_args(ann)[0]
    return ann


def _is_union(ann: Any) -> bool:
    return typing.get_origin(ann) in (typing.Union, types.UnionType)


def _expected(ann: Any) -> str:
    """``int | None`` -> "an integer or null", ``Literal['a4', 'letter']`` -> "one of ['a4', 'letter']"."""
    ann = _unwrap(ann)
    if _is_union(ann):
        return " or ".join(_expected(a) for a in typing.get_args(ann))
    origin = typing.get_origin(ann)
    if origin is Literal:
        return f"one of {list(typing.get_args(ann))}"
    if origin in (list, tuple):
        return "a list"
    if origin is dict or (isinstance(ann, type) and issubclass(ann, BaseModel)):
        return "a mapping"
    return _TYPE_WORDS.get(ann, getattr(ann, "__name__", str(ann)))


def _got(value: Any) -> str:
    return "null" if value is None else f"{type(value).__name__} {value!r}"


def _locate(model: type[BaseModel], loc: tuple) -> tuple[str, str, Any, type[BaseModel] | None]:
    """Dotted name, its parent's name, the annotation at ``loc``, and the model owning the last key."""
    name, parent, ann, owner = "", "", model, None
    for el in loc:
        base = _unwrap(ann)
        if _is_union(base):  # ``int | None`` -> the non-null member when there is one
            members = [a for a in typing.get_args(base) if a is not type(None)]
            if len(members) == 1:
                base = _unwrap(members[0])
            elif isinstance(el, str) and not (isinstance(base, type) and issubclass(base, BaseModel)):
                continue  # pydantic's tag of a union member, not a key
        if isinstance(el, int):
            name += f"[{el}]"
            args = typing.get_args(base)
            ann = args[0] if args else Any
            continue
        parent = name
        name = f"{name}.{el}" if name else str(el)
        if isinstance(base, type) and issubclass(base, BaseModel):
            owner = base
            field = base.model_fields.get(el)
            ann = field.annotation if field is not None else Any
        elif typing.get_origin(base) is dict:
            ann = typing.get_args(base)[1] if typing.get_args(base) else Any
        else:
            ann = Any
    return name, parent, ann, owner


def _message(model: type[BaseModel], err: Mapping[str, Any]) -> str:
    kind, loc, value, ctx = err["type"], tuple(err["loc"]), err.get("input"), err.get("ctx") or {}
    name, parent, ann, owner = _locate(model, loc)
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = sorted(owner.model_fields) if owner is not None else []
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        prefix = f"{parent}: " if parent else ""
        return f"{prefix}unknown key {key!r}{hint}; allowed keys: {', '.join(allowed)}"
    if kind == "missing":
        field = owner.model_fields.get(str(loc[-1])) if owner is not None else None
        doc = field.description if field is not None and field.description else _expected(ann)
        return f"missing required key {name!r} ({doc})"
    if kind == "config_rule":
        return err["msg"]
    if kind in ("path", "named"):
        return f"{name}: {err['msg']}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "?")
        return f"{name} must be {op} {bound}, got {value!r}"
    if kind in ("too_short", "too_long"):
        return f"{name}: {err['msg'].lower()}"
    if kind in ("model_type", "model_attributes_type", "dict_type") and not name:
        return f"config must be a mapping, got {_got(value)}"
    return f"{name or 'config'} must be {_expected(ann)}, got {_got(value)}"


def _culprit(name: str, message: str, overridden: Mapping[str, str]) -> str | None:
    """The override (its label) that set the key an error is about, or None (the file's own value)."""
    for key, label in overridden.items():
        if name and (name == key or name.startswith((key + ".", key + "["))):
            return label
    if not name:  # an error across keys: the override it names
        return next((label for key, label in overridden.items() if key in message), None)
    return None


def _config_error(model: type[BaseModel], error: ValidationError, source: str,
                  overridden: Mapping[str, str] | None = None) -> ConfigError:
    """One ConfigError for every problem, each named with where its value came from.

    A problem with a value an override set (``overridden``: dotted key -> how it was given,
    e.g. ``"--set data.n_records=5"``) names that override; the others name ``source`` (the
    YAML file).
    """
    found: dict[str, str | None] = {}
    for e in error.errors(include_url=False):
        msg = _message(model, e)
        found.setdefault(msg, _culprit(_locate(model, tuple(e["loc"]))[0], msg, overridden or {}))
    origins = set(found.values())
    if len(origins) == 1:
        origin = origins.pop()
        messages = list(found)
        text = messages[0] if len(messages) == 1 else (f"{len(messages)} problems:\n  - " + "\n  - ".join(messages))
        return ConfigError(text, source=origin or source)
    lines = [f"{origin or source}: {msg}" for msg, origin in found.items()]
    return ConfigError(f"{len(lines)} problems:\n  - " + "\n  - ".join(lines))


def override_labels(overrides: Mapping[str, Any], sources: Mapping[str, str] | None = None) -> dict[str, str]:
    """How each override was given, for error messages: ``sources[key]``, else ``overrides['key']=value``.

    Examples
    --------
    >>> from interp_ecg.studies.config import override_labels
    >>> override_labels({"seed": 1, "n_jobs": None, "data.n_records": 5}, {"seed": "--seed 1"})
    {'seed': '--seed 1', 'data.n_records': "overrides['data.n_records']=5"}
    """
    sources = sources or {}
    return {str(k): sources.get(k) or f"overrides[{str(k)!r}]={v!r}" for k, v in overrides.items() if v is not None}


# -- loading -------------------------------------------------------------------------------


def _check_kind(kind: Any, source: str | None) -> str:
    from interp_ecg.studies import STUDY_KINDS

    if not isinstance(kind, str) or kind not in STUDY_KINDS:
        raise ConfigError(f"kind must be one of {sorted(STUDY_KINDS)}, got {kind!r}", source=source)
    return kind


def validate_config(raw: Mapping[str, Any] | StudyConfig, base_dir: str | Path | None = None,
                    source: str = "<config>", check_paths: bool = True,
                    overridden: Mapping[str, str] | None = None) -> StudyConfig:
    """Validate a config mapping and fill in defaults.

    Parameters
    ----------
    raw : mapping or StudyConfig
        Parsed YAML (a StudyConfig is returned as is).
    base_dir : path, optional
        Folder relative input paths are resolved against (the YAML file's folder).
    source : str
        Named in error messages (the YAML file's path).
    check_paths : bool
        Check that input paths exist.
    overridden : mapping, optional
        Dotted keys of ``raw`` whose values came from overrides, each with how it was given
        (``{"data.n_records": "--set data.n_records=5"}``, see :func:`override_labels`): a
        problem with such a value names the override, not ``source``.

    Returns
    -------
    StudyConfig
        Every key present (``cfg.to_dict()`` for plain data), input paths absolute, ``params``
        the model of ``kind``.

    Raises
    ------
    ConfigError
        Naming the file (or the override), the key and the problem: unknown keys (with a
        suggestion), wrong types or choices, missing required keys, input paths that do not
        exist; several problems are listed together.
    """
    if isinstance(raw, StudyConfig):
        return raw
    if not isinstance(raw, Mapping):
        raise ConfigError(f"the top level must be a mapping of keys, got {type(raw).__name__}", source=source)
    if "kind" not in raw:
        raise ConfigError("missing required key 'kind' (the study kind: interp-ecg study list)", source=source)
    overridden = dict(overridden or {})
    model = config_model(_check_kind(raw["kind"], overridden.get("kind", source)))
    context = {"base_dir": None if base_dir is None else Path(base_dir), "check_paths": check_paths}
    try:
        return model.model_validate(dict(raw), context=context)
    except ValidationError as err:
        raise _config_error(model, err, source, overridden) from None


def load_config(path: str | Path, overrides: Mapping[str, Any] | None = None,
                check_paths: bool = True, override_sources: Mapping[str, str] | None = None) -> StudyConfig:
    """Read and validate a study YAML file.

    Parameters
    ----------
    path : path
        The ``study.yaml``.
    overrides : mapping, optional
        Values that replace the file's (``{"seed": 1, "n_jobs": 2}``); dotted keys reach
        into sections (``{"data.n_records": 60}``), as ``interp-ecg study run --set`` does.
    check_paths : bool
        Check that input paths exist.
    override_sources : mapping, optional
        How each override was given, named in its errors (``{"seed": "--set seed=x"}``);
        default ``overrides['seed']='x'``.

    Returns
    -------
    StudyConfig

    Raises
    ------
    ConfigError
        Missing file, invalid YAML, duplicate keys, unknown keys, wrong types, missing input
        paths: each named with the file, or, for a value an override set, with the override
        (and the key).

    Examples
    --------
    >>> from pathlib import Path
    >>> from interp_ecg.studies import load_config
    >>> import tempfile
    >>> yaml_file = Path(tempfile.mkdtemp()) / "study.yaml"
    >>> _ = yaml_file.write_text("study: s\\nkind: demo\\n")
    >>> load_config(yaml_file, {"data.n_records": 5}, override_sources={"data.n_records": "--set data.n_records=5"})
    Traceback (most recent call last):
    ...
    interp_ecg.errors.ConfigError: --set data.n_records=5: data.n_records must be >= 10, got 5
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError("study config file not found", source=path)
    raw = load_yaml(path) or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"the top level must be a mapping of keys, got {type(raw).__name__}", source=path)
    labels = override_labels(overrides or {}, override_sources)
    raw = apply_overrides(raw, overrides or {}, sources=labels, target=str(path))
    return validate_config(raw, base_dir=path.resolve().parent, source=str(path), check_paths=check_paths,
                           overridden=labels)


def _duplicate_keys(node, where: str = "") -> list[tuple[str, list[int]]]:
    """``[(dotted key, [line, ...]), ...]`` of keys that appear twice in one mapping of a YAML node tree."""
    found: list[tuple[str, list[int]]] = []
    if isinstance(node, yaml.MappingNode):
        lines: dict[str, list[int]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            name = f"{where}.{key}" if where else str(key)
            if key is not None and key != "<<":  # ``<<`` is YAML's merge key, not a setting
                lines.setdefault(key, []).append(key_node.start_mark.line + 1)
            found += _duplicate_keys(value_node, name)
        found = [(f"{where}.{k}" if where else k, ls) for k, ls in lines.items() if len(ls) > 1] + found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found += _duplicate_keys(item, f"{where}[{i}]")
    return found


def load_yaml(source: str | Path, text: str | None = None) -> Any:
    r"""Parse a YAML config safely, refusing keys that appear twice in one mapping.

    PyYAML keeps the last of two equal keys without a word, so ``seed: 3`` followed later by
    ``seed: 7`` would run with seed 7; a repeated key is a typo more often than an intent.
    Only plain data is built (``yaml.SafeLoader``): no file can run code.

    Parameters
    ----------
    source : path
        The YAML file (read when ``text`` is None); named in error messages.
    text : str, optional
        The YAML text itself.

    Returns
    -------
    The parsed document (None for an empty one).

    Raises
    ------
    ConfigError
        Invalid YAML (with line and column), or duplicate keys: every one named with its
        dotted path and lines, e.g. ``duplicate keys: 'seed' (lines 3, 5), 'data.n_records' (lines 8, 10)``.

    Examples
    --------
    >>> from interp_ecg.studies.config import load_yaml
    >>> load_yaml("study.yaml", text="seed: 1\ndata:\n  n_records: 60\n")
    {'seed': 1, 'data': {'n_records': 60}}
    >>> load_yaml("study.yaml", text="seed: 3\nkind: demo\nseed: 7\n")
    Traceback (most recent call last):
    ...
    interp_ecg.errors.ConfigError: study.yaml: duplicate keys: 'seed' (lines 1, 3); each key may appear once per section
    """
    if text is None:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(f"cannot read the config: {err.strerror or err}", source=source) from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        duplicates = _duplicate_keys(node)
        if duplicates:
            listed = ", ".join(f"{key!r} (lines {', '.join(map(str, lines))})" for key, lines in duplicates)
            raise ConfigError(f"duplicate keys: {listed}; each key may appear once per section", source=source)
        return loader.construct_document(node)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"invalid YAML{where}: {getattr(err, 'problem', None) or err}", source=source) from None
    finally:
        loader.dispose()


def apply_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any],
                    sources: Mapping[str, str] | None = None, target: str | None = None) -> dict[str, Any]:
    """Copy of ``raw`` with ``overrides`` applied (``None`` values are ignored).

    Dotted keys reach into sections; a section that is empty in the YAML (``data:`` with
    nothing under it, which YAML reads as null) or absent is created.

    Parameters
    ----------
    raw : mapping
        The parsed config.
    overrides : mapping
        Dotted key -> value.
    sources : mapping, optional
        How each override was given (:func:`override_labels`), named in errors.
    target : str, optional
        Where ``raw`` came from (the YAML file), named in errors.

    Raises
    ------
    ConfigError
        A dotted key that runs through a value that is not a section; the error names the
        override.

    Examples
    --------
    >>> from interp_ecg.studies.config import apply_overrides
    >>> apply_overrides({"seed": 0, "data": {"n_records": 300}}, {"data.n_records": 60, "seed": None})
    {'seed': 0, 'data': {'n_records': 60}}
    >>> apply_overrides({"data": None, "report": None}, {"data.n_records": 60, "report.paper": "letter"})
    {'data': {'n_records': 60}, 'report': {'paper': 'letter'}}
    """
    out = copy.deepcopy(dict(raw))
    for key, value in overrides.items():
        if value is None:
            continue
        parts = str(key).split(".")
        node = out
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                where = ".".join(parts[:depth + 1])
                in_file = f" in {target}" if target else ""
                label = override_labels({key: value}, sources)[str(key)]
                raise ConfigError(f"cannot set {key!r}: {where!r}{in_file} is {type(child).__name__} {child!r}, "
                                  "not a section", source=label)
            node = child
        node[parts[-1]] = value
    return out


__all__ = ["DataConfig", "ReportConfig", "StudyConfig", "apply_overrides", "check_study_name", "config_model",
           "feature_cache", "load_config", "load_yaml", "override_labels", "study_schema", "validate_config"]
