"""Study configuration: YAML in, a validated plain dict out, with clear messages.

A study config has a fixed top level (below) and one free section, ``params``, handed to the
study's pipeline. ``params`` is checked against the pipeline's ``DEFAULT_PARAMS`` (or
``DEFAULT_CONFIG``) when the pipeline module defines one: unknown keys and wrong types are
errors there too.

.. code-block:: yaml

    study: wct_cardioforest     # name of the run folder: reports/<study>/<timestamp>/
    kind: wct                   # pipeline: demo, wct, ptbxl_prototypes, prototype_phewas
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
    params: {}                  # pipeline-specific

Relative input paths are resolved against the folder of the YAML file (never against the
current directory), and every path that must exist is checked, naming the key and the path.
``output_dir`` and ``data.cache_dir`` are relative to the current directory.

Examples
--------
>>> from interp_ecg.studies.config import validate_config
>>> cfg = validate_config({"study": "demo", "kind": "demo", "seed": 3})
>>> cfg["seed"], cfg["data"]["source"], cfg["report"]["paper"]
(3, 'synthetic', 'a4')
>>> validate_config({"study": "x", "kind": "demo", "sede": 1})
Traceback (most recent call last):
...
interp_ecg.errors.ConfigError: <config>: unknown key 'sede' (did you mean 'seed'?); allowed keys: data, description, kind, n_jobs, output_dir, params, report, scheduler, seed, study
"""

from __future__ import annotations

import copy
import difflib
import importlib
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from interp_ecg.errors import ConfigError

logger = logging.getLogger(__name__)

_MISSING = object()


class Field:
    """One config entry: expected type(s), default, allowed values, path checks."""

    def __init__(self, types: type | tuple[type, ...], default: Any = _MISSING,
                 choices: tuple | None = None, path: str | None = None, minimum: float | None = None,
                 nullable: bool = False, doc: str = "") -> None:
        self.types = types if isinstance(types, tuple) else (types,)
        self.default = default
        self.choices = choices
        self.path = path  # None, "dir", "file", "any", "out" (created if missing)
        self.minimum = minimum
        self.nullable = nullable
        self.doc = doc

    @property
    def required(self) -> bool:
        return self.default is _MISSING


SCHEMA: dict[str, Any] = {
    "study": Field(str, doc="run folder name under output_dir"),
    "kind": Field(str, doc="pipeline"),
    "description": Field(str, default="", doc="one line shown on the title page"),
    "seed": Field(int, default=0, minimum=0),
    "n_jobs": Field(int, default=1),
    "scheduler": Field(str, default=None, nullable=True, doc="Dask scheduler address"),
    "output_dir": Field(str, default="reports", path="out"),
    "data": {
        "source": Field(str, default="synthetic", choices=("synthetic", "ptbxl", "mimic", "features")),
        "path": Field(str, default=None, nullable=True, path="dir"),
        "n_records": Field(int, default=300, minimum=10),
        "sampling_rate": Field(int, default=500, choices=(100, 500)),
        "diagnoses": Field(str, default=None, nullable=True, path="any"),
        "phecode_map": Field(str, default=None, nullable=True, path="any"),
        "features": Field(str, default=None, nullable=True, path="file"),
        "cache_dir": Field(str, default=None, nullable=True, path="out"),
    },
    "report": {
        "paper": Field(str, default="a4", choices=("a4", "letter")),
        "pseudonymise": Field(bool, default=True),
        "n_patients": Field(int, default=2, minimum=0),
        "title": Field(str, default=None, nullable=True),
    },
    "params": Field(dict, default={}),
}

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true/false",
               dict: "a mapping", list: "a list"}


def _type_ok(value: Any, types: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in types
    if float in types and isinstance(value, (int, float)):
        return True
    return isinstance(value, types)


def _describe(types: tuple[type, ...]) -> str:
    return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)


def _unknown(key: str, allowed: list[str], where: str, src: str) -> ConfigError:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    prefix = f"{where}: " if where else ""
    return ConfigError(f"{prefix}unknown key {key!r}{hint}; allowed keys: {', '.join(sorted(allowed))}",
                       source=src)


def _resolve_path(value: str, base: Path | None) -> Path:
    p = Path(value).expanduser()
    if not p.is_absolute() and base is not None:
        p = base / p
    return p


def _check(schema: Mapping[str, Any], raw: Mapping[str, Any], where: str, base: Path | None,
           src: str, check_paths: bool) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where or 'config'} must be a mapping, got {type(raw).__name__}", source=src)
    for key in raw:
        if key not in schema:
            raise _unknown(str(key), list(schema), where, src)
    out: dict[str, Any] = {}
    for key, spec in schema.items():
        name = f"{where}.{key}" if where else key
        if isinstance(spec, dict):
            section = raw.get(key)
            # an empty section (``data:`` with nothing under it) is null in YAML: all defaults
            out[key] = _check(spec, {} if section is None else section, name, base, src, check_paths)
            continue
        if key not in raw:
            if spec.required:
                raise ConfigError(f"missing required key {name!r} ({spec.doc or _describe(spec.types)})",
                                  source=src)
            out[key] = copy.deepcopy(spec.default)
            continue
        value = raw[key]
        if value is None:
            if spec.nullable or spec.default is None:
                out[key] = None
                continue
            raise ConfigError(f"{name} must be {_describe(spec.types)}, got null", source=src)
        if not _type_ok(value, spec.types):
            raise ConfigError(f"{name} must be {_describe(spec.types)}, got {type(value).__name__} "
                              f"{value!r}", source=src)
        if spec.choices is not None and value not in spec.choices:
            raise ConfigError(f"{name} must be one of {list(spec.choices)}, got {value!r}", source=src)
        if spec.minimum is not None and value < spec.minimum:
            raise ConfigError(f"{name} must be >= {spec.minimum}, got {value!r}", source=src)
        if spec.path is not None:
            # inputs are relative to the YAML file; outputs to the current directory
            p = _resolve_path(value, None if spec.path == "out" else base)
            if check_paths and spec.path in {"dir", "file", "any"} and not p.exists():
                raise ConfigError(f"{name}: path does not exist: {p}", source=src)
            if check_paths and spec.path == "dir" and not p.is_dir():
                raise ConfigError(f"{name}: not a folder: {p}", source=src)
            if check_paths and spec.path == "file" and not p.is_file():
                raise ConfigError(f"{name}: not a file: {p}", source=src)
            value = str(p)
        out[key] = value
    return out


def pipeline_defaults(kind: str) -> dict[str, Any] | None:
    """The defaults dict a study kind's ``params`` are checked against (None if unavailable)."""
    from interp_ecg.studies import PARAM_DEFAULTS

    target = PARAM_DEFAULTS.get(kind)
    if target is None:
        return None
    module, attr = target.split(":")
    try:
        mod = importlib.import_module(module)
    except ImportError:
        logger.warning("params of the %s study not checked: %s cannot be imported", kind, module)
        return None
    value = getattr(mod, attr, None)
    return dict(value) if isinstance(value, Mapping) else None


def _check_params(params: Mapping[str, Any], defaults: Mapping[str, Any], where: str,
                  src: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(defaults))
    for key, value in params.items():
        name = f"{where}.{key}"
        if key not in defaults:
            raise _unknown(str(key), list(defaults), where, src)
        default = defaults[key]
        if isinstance(default, Mapping) and isinstance(value, Mapping):
            out[key] = _check_params(value, default, name, src)
            continue
        if default is not None and value is not None:
            expected = (type(default),) if not isinstance(default, (int, float)) or isinstance(default, bool) \
                else ((int, float) if isinstance(default, float) else (int,))
            if isinstance(default, (list, tuple)):
                expected = (list, tuple)
            if not _type_ok(value, expected):
                raise ConfigError(f"{name} must be {_describe(expected)}, got {type(value).__name__} "
                                  f"{value!r}", source=src)
        out[key] = value
    return out


def validate_config(raw: Mapping[str, Any], base_dir: str | Path | None = None,
                    source: str = "<config>", check_paths: bool = True) -> dict[str, Any]:
    """Validate a config mapping and fill in defaults.

    Parameters
    ----------
    raw : mapping
        Parsed YAML.
    base_dir : path, optional
        Folder relative paths are resolved against (the YAML file's folder).
    source : str
        Named in error messages (the YAML file's path).
    check_paths : bool
        Check that input paths exist.

    Returns
    -------
    dict
        The complete config, every key present, input paths absolute.

    Raises
    ------
    ConfigError
        Naming the file, the key and the problem.
    """
    from interp_ecg.studies import STUDY_KINDS

    base = Path(base_dir) if base_dir is not None else None
    cfg = _check(SCHEMA, raw, "", base, source, check_paths)
    if cfg["kind"] not in STUDY_KINDS:
        raise ConfigError(f"kind must be one of {sorted(STUDY_KINDS)}, got {cfg['kind']!r}", source=source)
    if cfg["data"]["source"] != "synthetic" and cfg["data"]["path"] is None and cfg["data"]["features"] is None:
        raise ConfigError(f"data.source is {cfg['data']['source']!r}: set data.path to the dataset folder",
                          source=source)
    defaults = pipeline_defaults(cfg["kind"])
    if defaults is not None:
        cfg["params"] = _check_params(cfg["params"], defaults, "params", source)
    return cfg


def load_config(path: str | Path, overrides: Mapping[str, Any] | None = None,
                check_paths: bool = True) -> dict[str, Any]:
    """Read and validate a study YAML file.

    Parameters
    ----------
    path : path
        The ``study.yaml``.
    overrides : mapping, optional
        Top-level values that replace the file's (``{"seed": 1, "n_jobs": 2}``); dotted keys
        reach into sections (``{"data.n_records": 60}``).

    Raises
    ------
    ConfigError
        Missing file, invalid YAML, unknown keys, wrong types, missing input paths.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError("study config file not found", source=path)
    raw = load_yaml(path) or {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"the top level must be a mapping of keys, got {type(raw).__name__}", source=path)
    try:
        raw = apply_overrides(raw, overrides or {})
    except ConfigError as err:
        raise ConfigError(str(err), source=path) from None
    return validate_config(raw, base_dir=path.resolve().parent, source=str(path), check_paths=check_paths)


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


def apply_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Copy of ``raw`` with ``overrides`` applied (``None`` values are ignored).

    Dotted keys reach into sections; a section that is empty in the YAML (``data:`` with
    nothing under it, which YAML reads as null) or absent is created.

    Raises
    ------
    ConfigError
        A dotted key that runs through a value that is not a section.

    Examples
    --------
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
                raise ConfigError(f"cannot set {key!r}: {where!r} is {type(child).__name__} {child!r}, "
                                  "not a section")
            node = child
        node[parts[-1]] = value
    return out
