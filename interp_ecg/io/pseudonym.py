"""Keyed, stable pseudonyms for record and patient identifiers.

Run folders and reports leave the machine they were made on; the identifiers in them (PTB-XL
``ecg_id``/``patient_id`` and the record id inside ``filename_hr``/``filename_lr``,
MIMIC-IV-ECG ``subject_id``/``study_id`` and the ``path`` that carries both) do not have to.
:func:`pseudonymise_frame` replaces every identifier-bearing column (:data:`IDENTIFIER_COLUMNS`,
a name ending in :data:`IDENTIFIER_SUFFIXES` such as ``best_training_record``, and an index of
such a name) by a keyed pseudonym:

``pseudonym = prefix + first 16 hex digits of HMAC-SHA256(key, kind + NUL + identifier)``

* **stable**: the same identifier gets the same pseudonym in every table and every run that
  uses the same key, so tables still join;
* **keyed**: without the key nobody can recompute the pseudonym of a known identifier (a plain
  hash of an ``ecg_id`` from 1 to 21,799 would be reversed by trying them all);
* **one file**: the key is 32 random bytes, hex-encoded in one file, written with owner-only
  permissions the first time it is needed: ``$INTERP_ECG_PSEUDONYM_KEY`` if set, else
  ``$XDG_CONFIG_HOME/interp-ecg/pseudonym.key`` (``~/.config/interp-ecg/pseudonym.key``), see
  :func:`default_key_path`. It is never inside a run folder or report, so reruns of a config
  in any folder give the same pseudonyms. Share run folders, withhold the key; whoever holds
  it can re-identify with :func:`pseudonym_lookup`.

Pseudonyms are kinds apart: a patient ``5`` and a record ``5`` get different pseudonyms
(``PT-...`` and ``RC-...``).

Free text is scrubbed too. A message column (:func:`free_text_columns`: ``quality_reason``,
``reason``, ``error``, ``message``, ``warning``, ``note``, ``comment`` and names containing
them) names the file a record came from (``.../records500/00000/00011_hr.hea: no usable lead``;
MIMIC-IV-ECG paths ``files/p1000/p10000084/s41000002/41000002.hea`` carry subject_id and
study_id), and next to the pseudonym that is a key-less lookup table. In each such cell

* every file path (a word starting at a root, ``/``, ``~``, ``./`` or ``C:``, or holding two
  or more ``/`` or ``\\``, or ending in a record file extension such as ``.hea``; not
  ``fibrillation/flutter`` or ``mV/s``) is replaced by the row's record pseudonym (the
  pseudonym of the row's record index or column), or by ``<path>`` when the row names no
  record. The pseudonym was chosen over the file's base name because the base name is the
  identifier itself in every supported layout (``00011_hr``, ``41000002``, ``E07500``);
* the row's own identifiers (index and identifier columns, and the parts of an identifier
  path holding five or more digits such as ``p10000084``) are replaced by their pseudonyms:
  identifier-like text (``00011_hr``, ``p10000084``, ``E07500``) and numbers of seven or more
  digits (MIMIC-IV-ECG's ``subject_id``/``study_id``) wherever they stand as a whole word,
  numeric ids of five or more digits also with MIMIC's folder prefix ``p`` or ``s``. A shorter
  number (PTB-XL ``ecg_id``, LUDB's 1-200) is replaced only where the text names a record or
  patient with it: ``record 2``, ``ecg_id=2``, ``study_id 2``, ``while measuring 2``,
  ``patient 15709``, and ``2: ...`` at the start of a message (an error's source). Elsewhere
  it is a count, not the id: "2 beat(s) cut" and "noise over 25 %" keep their numbers in the
  rows of records 2 and 25 (replacing them garbled the text and told the reader which id the
  pseudonym hides).

Examples
--------
>>> from interp_ecg.io.pseudonym import pseudonymise_frame
>>> import pandas as pd
>>> key = bytes(range(32))
>>> frame = pd.DataFrame({"patient_id": [15709, 15709], "filename_hr": ["records500/00000/00001_hr",
...                       "records500/00000/00002_hr"], "age": [56, 19]},
...                      index=pd.Index([1, 2], name="ecg_id"))
>>> out = pseudonymise_frame(frame, key)
>>> out["patient_id"].nunique(), out["age"].tolist()
(1, [56, 19])
>>> [v[:3] for v in out["patient_id"]] + [v[:3] for v in out.index]
['PT-', 'PT-', 'RC-', 'RC-']
>>> "00001" in " ".join(out["filename_hr"])
False
>>> pseudonymise_frame(frame, key).equals(out)   # stable for the same key
True
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from interp_ecg.errors import ConfigError

logger = logging.getLogger(__name__)

#: Identifier-bearing columns (lower-case names) and the kind of identifier each holds.
IDENTIFIER_COLUMNS: dict[str, str] = {
    "patient_id": "patient",
    "subject_id": "patient",
    "hadm_id": "admission",
    "stay_id": "admission",
    "record_id": "record",
    "ecg_id": "record",
    "study_id": "record",
    "record": "record",
    "source_record": "record",
    "file_name": "record",
    "filename_hr": "record",
    "filename_lr": "record",
    "path": "record",
    "record_path": "record",
}

#: Name endings that mark an identifier column not listed in :data:`IDENTIFIER_COLUMNS`
#: (``best_training_record``, ``matched_record_id``, ``index_patient``...), so that a new column
#: holding an identifier cannot slip through by its name. Longest ending first.
IDENTIFIER_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("_record_id", "record"), ("_ecg_id", "record"), ("_study_id", "record"), ("_record", "record"),
    ("_patient_id", "patient"), ("_subject_id", "patient"), ("_patient", "patient"),
    ("_hadm_id", "admission"), ("_stay_id", "admission"),
)

#: Name beginnings of count columns (``n_without_patient``), never identifiers whatever their ending.
COUNT_PREFIXES: tuple[str, ...] = ("n_", "num_", "count_", "number_")


def identifier_kind(name: Any) -> str | None:
    """The kind of identifier a column (or index) of this name holds, or None.

    Exact names of :data:`IDENTIFIER_COLUMNS` (any case), else the endings of
    :data:`IDENTIFIER_SUFFIXES` (``best_training_record`` -> ``"record"``), except count
    columns (:data:`COUNT_PREFIXES`, ``n_without_patient``).

    Examples
    --------
    >>> from interp_ecg.io.pseudonym import identifier_kind
    >>> identifier_kind("ECG_ID"), identifier_kind("best_training_record"), identifier_kind("index_patient_id")
    ('record', 'record', 'patient')
    >>> identifier_kind("n_without_patient"), identifier_kind("age"), identifier_kind(None)
    (None, None, None)
    """
    if name is None:
        return None
    low = str(name).lower()
    if low in IDENTIFIER_COLUMNS:
        return IDENTIFIER_COLUMNS[low]
    if low.startswith(COUNT_PREFIXES):
        return None
    for suffix, kind in IDENTIFIER_SUFFIXES:
        if low.endswith(suffix) and len(low) > len(suffix):
            return kind
    return None


#: Words that mark a free-text column (lower-case substrings of its name) scrubbed of paths and identifiers.
FREE_TEXT_MARKERS: tuple[str, ...] = ("reason", "message", "error", "warning", "note", "comment")

#: File extensions of record files: a word ending in one is a file name (scrubbed as a path).
_RECORD_EXTENSIONS = ("hea", "dat", "mat", "xyz", "atr", "edf", "xml", "csv", "parquet", "npy", "npz", "json")
#: A word of free text that may be a file path (checked by :func:`_is_path`).
_WORD_RX = re.compile(r"(?:[A-Za-z]:)?[^\s'\"()\[\]{}<>,;:]+")
_EXT_RX = re.compile(r"\.(?:" + "|".join(_RECORD_EXTENSIONS) + r")$", re.IGNORECASE)


def _is_path(word: str) -> bool:
    """A file path: starts at a root (``/``, ``~``, ``./``, ``C:``), has two or more separators,
    or ends in a record file extension (``fibrillation/flutter`` and ``mV/s`` are not paths)."""
    if word.startswith(("/", "\\", "~", "./", "../", ".\\")) or re.match(r"[A-Za-z]:[/\\]", word):
        return True
    return word.count("/") + word.count("\\") >= 2 or bool(_EXT_RX.search(word))


#: Prefix of each kind's pseudonyms.
PREFIXES: dict[str, str] = {"patient": "PT-", "admission": "AD-", "record": "RC-"}

#: Hex digits of the HMAC kept (64 bits: collisions are negligible for 10^6 identifiers).
N_HEX = 16

#: Environment variable naming the key file.
KEY_ENV = "INTERP_ECG_PSEUDONYM_KEY"


def default_key_path() -> Path:
    """Where the pseudonymisation key lives unless a path is given.

    ``$INTERP_ECG_PSEUDONYM_KEY`` if set, else ``$XDG_CONFIG_HOME/interp-ecg/pseudonym.key``
    (``XDG_CONFIG_HOME`` defaulting to ``~/.config``).

    Examples
    --------
    >>> from interp_ecg.io.pseudonym import default_key_path
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"INTERP_ECG_PSEUDONYM_KEY": "/secure/k.key"}):
    ...     str(default_key_path())
    '/secure/k.key'
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return Path(env).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path("~/.config").expanduser())
    return Path(config) / "interp-ecg" / "pseudonym.key"


def pseudonym_key(path: str | os.PathLike | None = None, create: bool = True) -> bytes:
    """Read the pseudonymisation key from ``path``; create it there when missing.

    Parameters
    ----------
    path : str or path-like, optional
        Key file: 64 hexadecimal digits (32 random bytes). Default :func:`default_key_path`.
    create : bool, default True
        Create a new random key (owner-only permissions) when the file does not exist.

    Returns
    -------
    bytes
        The 32-byte key.

    Raises
    ------
    ConfigError
        When the file is missing (and ``create=False``) or does not hold a key.

    Examples
    --------
    >>> from interp_ecg.io.pseudonym import pseudonym_key
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "pseudonym.key"
    >>> k = pseudonym_key(p)
    >>> len(k), pseudonym_key(p) == k, oct(p.stat().st_mode & 0o777)
    (32, True, '0o600')
    """
    path = default_key_path() if path is None else Path(path)
    if not path.exists():
        if not create:
            raise ConfigError("pseudonymisation key file not found", source=str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return pseudonym_key(path, create=False)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        logger.info("new pseudonymisation key written to %s (withhold it to keep pseudonyms one-way)", path)
    text = path.read_text(encoding="ascii", errors="replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ConfigError("not a pseudonymisation key (expected 64 hexadecimal digits)", source=str(path))
    return key


def pseudonym(identifier: Any, key: bytes, kind: str = "record") -> str:
    """The keyed pseudonym of one identifier.

    Parameters
    ----------
    identifier : any
        Compared as text (``15709`` and ``"15709"`` are the same identifier).
    key : bytes
        From :func:`pseudonym_key`.
    kind : {"record", "patient", "admission"}

    Returns
    -------
    str
        ``"RC-"``, ``"PT-"`` or ``"AD-"`` followed by 16 hex digits.

    Examples
    --------
    >>> from interp_ecg.io.pseudonym import pseudonym
    >>> pseudonym(15709, bytes(32), "patient") == pseudonym("15709", bytes(32), "patient")
    True
    """
    if kind not in PREFIXES:
        raise ConfigError(f"unknown identifier kind {kind!r}; choose from {sorted(PREFIXES)}")
    digest = hmac.new(key, f"{kind}\x00{identifier}".encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIXES[kind] + digest[:N_HEX]


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _map(values: Iterable[Any], key: bytes, kind: str) -> list[Any]:
    cache: dict[str, str] = {}
    out = []
    for v in values:
        if _is_missing(v):
            out.append(v)
            continue
        text = str(v)
        if text not in cache:
            cache[text] = pseudonym(text, key, kind)
        out.append(cache[text])
    return out


def identifier_columns(frame: pd.DataFrame) -> list[str]:
    """Columns of ``frame`` that :func:`pseudonymise_frame` replaces (by name, any case; see
    :func:`identifier_kind`).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.io.pseudonym import identifier_columns
    >>> identifier_columns(pd.DataFrame(columns=["record_id", "best_training_record", "n_without_patient", "age"]))
    ['record_id', 'best_training_record']
    """
    return [c for c in frame.columns if identifier_kind(c) is not None]


def free_text_columns(frame: pd.DataFrame) -> list[str]:
    """Text columns of ``frame`` that :func:`pseudonymise_frame` scrubs of paths and identifiers.

    A column is free text when its lower-case name contains one of :data:`FREE_TEXT_MARKERS`
    (``quality_reason``, ``error``, ``beat_reason``...), it is not an identifier column, and it
    holds text (object or string dtype).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.io.pseudonym import free_text_columns
    >>> free_text_columns(pd.DataFrame({"quality_reason": ["x"], "QRS_ms": [90.0], "path": ["a/b"]}))
    ['quality_reason']
    """
    out = []
    for c in frame.columns:
        name = str(c).lower()
        if identifier_kind(name) is not None or not any(m in name for m in FREE_TEXT_MARKERS):
            continue
        if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c]):
            out.append(c)
    return out


def _row_identifiers(frame: pd.DataFrame, rows: Iterable[int]) -> dict[int, list[tuple[str, str, str]]]:
    """For each row position in ``rows``: its identifiers as ``(text, kind, identifier it belongs to)``.

    The texts are the identifier values and the parts of identifier paths holding five or more
    digits (``p10000084``, ``s41000002``, ``00011_hr``; not ``records500``); the first record
    identifier of a row comes first among its record kinds.
    """
    def texts(values: Any) -> list[Any]:
        return [None if pd.isna(v) or v == "" else v
                for v in pd.Series(values, dtype=object).astype("string").str.strip().tolist()]

    sources: list[tuple[str, list[Any]]] = []
    for i, name in enumerate(frame.index.names):
        kind = identifier_kind(name)
        if kind:
            sources.append((kind, texts(frame.index.get_level_values(i))))
    for col in identifier_columns(frame):
        sources.append((identifier_kind(col), texts(frame[col].to_numpy())))
    out: dict[int, list[tuple[str, str, str]]] = {}
    for i in rows:
        ids: list[tuple[str, str, str]] = []
        for kind, values in sources:
            text = values[i]
            if text is None:
                continue
            ids.append((text, kind, text))
            if re.fullmatch(r"\d+\.0+", text):          # PTB-XL patient_id 15709.0 written as 15709
                ids.append((text.split(".")[0], kind, text))
            if "/" in text or "\\" in text:
                parts = [p for p in re.split(r"[/\\]", text) if p]
                for part in parts[:-1] + [re.sub(r"\.[A-Za-z0-9]+$", "", parts[-1])]:
                    if sum(ch.isdigit() for ch in part) >= 5:
                        ids.append((part, kind, text))
        out[i] = ids
    return out


_PATH_HINT = re.compile(r"[/\\]|\.(?:" + "|".join(_RECORD_EXTENSIONS) + r")\b", re.IGNORECASE)

#: Digits a numeric identifier needs to be replaced wherever it stands as a whole word. Shorter
#: numbers (PTB-XL ``ecg_id`` 1-21,799, LUDB 1-200, MIT-BIH ``100``) are also counts, rates and
#: percentages in messages ("2 beat(s)", "over 25 %", "10000 of 12000 samples"); they are replaced
#: only where the text names a record (:data:`_ID_CONTEXT`). MIMIC-IV-ECG's 8-digit ids qualify.
BARE_NUMERIC_DIGITS = 7

#: Words after which a number names an identifier of each kind ("record 2", "ecg_id=2",
#: "while measuring 2", "patient 15709"), followed by optional ``=``, ``:`` or ``#`` and quotes.
_ID_CONTEXT: dict[str, str] = {
    "record": r"record|record[ _]id|ecg[ _]id|study[ _]id|study|measuring",
    "patient": r"patient|patient[ _]id|subject|subject[ _]id",
    "admission": r"admission|hadm[ _]id|stay[ _]id|stay",
}
_NUMBER_RX = re.compile(r"\d+(?:\.0+)?")


def _bare_ok(ident: str) -> bool:
    """Whether ``ident`` is replaced wherever it stands as a whole word: identifier-like text
    (``00011_hr``, ``p10000084``, ``E07500``) or a number of :data:`BARE_NUMERIC_DIGITS` or more
    digits; not a short number (``2``, ``25``, ``25.0``) nor a word under three characters."""
    if _NUMBER_RX.fullmatch(ident):
        return len(ident.split(".")[0]) >= BARE_NUMERIC_DIGITS
    return len(ident) >= 3


def _scrub_cell(text: str, ids: list[tuple[str, str, str]], alias: Callable[[str, str], str]) -> str:
    """One cell: paths, then the row's identifiers, replaced (pseudonyms only computed when needed).

    An identifier is replaced as a whole word when :func:`_bare_ok`, else only where the text
    names it as an identifier: after a word of :data:`_ID_CONTEXT` of its kind, and a record
    identifier also at the start of the message before a colon (``"2: ValueError: ..."``, the
    form of an error's ``source``). Numeric identifiers of five or more digits are also replaced
    with MIMIC's folder prefix ``p``/``s`` (``p10000084``). ``alias(identifier, kind)`` gives
    the replacement of an identifier.
    """
    out = text
    if _PATH_HINT.search(out):
        rec = next((owner for _, kind, owner in ids if kind == "record"), None)
        repl = alias(rec, "record") if rec is not None else "<path>"
        out = _WORD_RX.sub(lambda m: repl if _is_path(m.group(0)) else m.group(0), out)
    # record kinds first, so that a leading "2:" goes to the record 2, not to a patient 2
    order = sorted(ids, key=lambda t: (-len(t[0]), t[1] != "record"))
    for ident, kind, owner in order:
        if ident not in out:
            continue
        new = alias(owner, kind)
        word = re.escape(ident) + r"(?![\w]|\.\d)"
        if _bare_ok(ident):
            prefix = "[ps]?" if ident.isdigit() and len(ident) >= 5 else ""
            out = re.sub(r"(?<![\w.])" + prefix + word, new, out)
            continue
        if ident.isdigit() and len(ident) >= 5:
            out = re.sub(r"(?<![\w.])[ps]" + word, new, out)
        context = r"(?i:\b(?:" + _ID_CONTEXT[kind] + r"))\s*[=:#]?\s*"
        out = re.sub(r"(" + context + r")(['\"]?)" + word + r"\2", lambda m: m.group(1) + m.group(2) + new + m.group(2),
                     out)
        if kind == "record":
            out = re.sub(r"(^\s*|;\s+|\n\s*)(['\"]?)" + re.escape(ident) + r"\2(?=:\s|:$)",
                         lambda m: m.group(1) + new, out)
    return out


def _keyed_alias(key: bytes) -> Callable[[str, str], str]:
    """``alias(identifier, kind)``: the keyed pseudonym, each computed once."""
    cache: dict[tuple[str, str], str] = {}

    def alias(ident: str, kind: str) -> str:
        if (ident, kind) not in cache:
            cache[ident, kind] = pseudonym(ident, key, kind)
        return cache[ident, kind]
    return alias


def scrub_text(text: Any, key: bytes, identifiers: dict[str, str] | None = None,
               record: Any = None) -> Any:
    """Free text with file paths and identifiers replaced by pseudonyms (see the module notes).

    Parameters
    ----------
    text : str
        A message; anything else (NaN, None, numbers) is returned as it is.
    key : bytes
        From :func:`pseudonym_key`.
    identifiers : dict of str to str, optional
        Identifier -> kind (``{"41000002": "record", "10000084": "patient"}``): whole-word
        occurrences are replaced by their pseudonyms.
    record : optional
        The record the text is about: paths are replaced by its pseudonym (``<path>`` without).

    Examples
    --------
    >>> from interp_ecg.io.pseudonym import pseudonym, scrub_text
    >>> scrub_text("/data/files/p1000/p10000084/s41000002/41000002.hea: header file not found",
    ...            bytes(32), record=41000002) == pseudonym(41000002, bytes(32)) + ": header file not found"
    True
    >>> scrub_text("bad header x/y.hea", bytes(32))
    'bad header <path>'
    """
    if not isinstance(text, str):
        return text
    ids = [(str(record), "record", str(record))] if record is not None else []
    ids += [(str(k), kind, str(k)) for k, kind in (identifiers or {}).items()]
    return _scrub_cell(text, ids, _keyed_alias(key))


def scrub_free_text(frame: pd.DataFrame, alias: Callable[[str, str], str]) -> pd.DataFrame:
    """A copy of ``frame`` whose free-text columns name no file path and none of the row's identifiers.

    The scrub of :func:`pseudonymise_frame` (module notes) with the replacement chosen by the
    caller: a report replaces identifiers by its own short aliases (``E001``), a run folder by
    keyed pseudonyms. Identifier columns and the index are left as they are (the caller
    replaces them after, since the scrub reads the row's raw identifiers from them).

    Parameters
    ----------
    frame : pandas.DataFrame
        Free-text columns are found by :func:`free_text_columns`; the row's identifiers are
        its index (when named in :data:`IDENTIFIER_COLUMNS`) and identifier columns.
    alias : callable
        ``alias(identifier, kind) -> str`` with the identifier as text and ``kind`` one of
        ``"record"``, ``"patient"``, ``"admission"``. A file path becomes the alias of the
        row's record (``<path>`` when the row names none).

    Returns
    -------
    pandas.DataFrame
        Same shape, index and dtypes.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.io.pseudonym import scrub_free_text
    >>> f = pd.DataFrame({"quality_reason": ["/data/files/p1000/p10000084/s41000002/41000002.hea: not found"],
    ...                   "subject_id": [10000084]}, index=pd.Index([41000002], name="study_id"))
    >>> scrub_free_text(f, lambda ident, kind: f"<{kind} {len(ident)} digits>")["quality_reason"].iloc[0]
    '<record 8 digits>: not found'
    """
    out = frame.copy()
    text_cols = free_text_columns(out)
    if not text_cols:
        return out
    cells = {col: out[col].tolist() for col in text_cols}
    rows = sorted({i for values in cells.values() for i, v in enumerate(values) if isinstance(v, str) and v})
    ids = _row_identifiers(out, rows)
    for col, values in cells.items():
        scrubbed = [_scrub_cell(v, ids[i], alias) if isinstance(v, str) and v else v for i, v in enumerate(values)]
        out[col] = pd.Series(scrubbed, index=out.index, dtype=out[col].dtype)
    return out


def pseudonymise_frame(frame: pd.DataFrame, key: bytes) -> pd.DataFrame:
    """A copy of ``frame`` with every identifier-bearing column and index pseudonymised.

    Parameters
    ----------
    frame : pandas.DataFrame
    key : bytes
        From :func:`pseudonym_key`.

    Returns
    -------
    pandas.DataFrame
        Same shape; the identifier columns (:func:`identifier_kind`: the names of
        :data:`IDENTIFIER_COLUMNS` and the endings of :data:`IDENTIFIER_SUFFIXES`, and an index,
        or index level, of such a name) hold pseudonyms as strings; missing values stay missing. Free
        text columns (:func:`free_text_columns`) have every file path replaced by the row's
        record pseudonym and the row's identifiers by their pseudonyms (module notes).
    """
    out = scrub_free_text(frame, _keyed_alias(key))
    for col in identifier_columns(out):
        out[col] = pd.Series(_map(out[col], key, identifier_kind(col)),
                             index=out.index, dtype=object)
    if isinstance(out.index, pd.MultiIndex):
        levels = []
        for i, name in enumerate(out.index.names):
            vals = out.index.get_level_values(i)
            kind = identifier_kind(name)
            levels.append(_map(vals, key, kind) if kind else list(vals))
        out.index = pd.MultiIndex.from_arrays(levels, names=out.index.names)
    elif identifier_kind(out.index.name) is not None:
        kind = identifier_kind(out.index.name)
        out.index = pd.Index(_map(out.index, key, kind), name=out.index.name, dtype=object)
    return out


def pseudonym_lookup(identifiers: Iterable[Any], key: bytes, kind: str = "record") -> pd.DataFrame:
    """Table ``identifier -> pseudonym`` for whoever holds the key (re-identification).

    Examples
    --------
    >>> from interp_ecg.io.pseudonym import pseudonym_lookup
    >>> pseudonym_lookup([1, 2], bytes(32)).columns.tolist()
    ['identifier', 'pseudonym']
    """
    ids = [str(i) for i in identifiers]
    return pd.DataFrame({"identifier": ids, "pseudonym": [pseudonym(i, key, kind) for i in ids]})


__all__ = ["COUNT_PREFIXES", "FREE_TEXT_MARKERS", "IDENTIFIER_COLUMNS", "IDENTIFIER_SUFFIXES", "KEY_ENV",
           "default_key_path", "free_text_columns", "identifier_columns", "identifier_kind", "pseudonym",
           "pseudonym_key", "pseudonym_lookup", "pseudonymise_frame", "scrub_free_text", "scrub_text"]
