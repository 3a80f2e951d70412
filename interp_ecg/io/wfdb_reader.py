"""Reading WFDB records (``.hea`` + ``.dat`` / ``.mat``) into :class:`~interp_ecg.io.Record`.

Headers and every signal format are read by `wfdb-python <https://github.com/MIT-LCP/wfdb-python>`_
(:func:`wfdb.rdheader`, :func:`wfdb.rdrecord`): formats 8, 16, 24, 32, 61, 80, 160, 212, 310,
311, FLAC-compressed 508/516/524 and multi-segment records. This module adds what a clinical
batch reader needs on top of it, and says what is wrong, naming the file:

* header: missing, malformed, larger than :data:`MAX_HEADER_BYTES`, no sampling rate (WFDB's
  default of 250 Hz is a guess and is refused), non-positive sampling rate, unknown format,
  fewer signal lines than announced;
* size: a record larger than :data:`MAX_SAMPLES` samples (signals x samples) is refused
  **before** anything is allocated; a data file shorter than the header needs, or longer than
  it describes (beyond the padding of the format's last block: one byte of format 212, up to
  three of 310/311), is a header/data mismatch;
* length: a record line without a number of samples, or with ``0`` (both mean "unspecified"
  in WFDB's header(5)), takes its length from the data file's size; a record that holds no
  samples at all is refused as such;
* data: checksum mismatch (when the header gives the length), invalid samples (NaN);
* multi-frequency records (a signal with more than one sample per frame, ``16x2``): read at
  the frame rate (the header's sampling rate), each frame's samples averaged as wfdb's
  ``smooth_frames`` does, checksums checked on the samples as written; ``meta`` lists
  ``samples_per_frame``;
* units: converted to millivolts from each channel's units as written in the header text
  (``mV``, ``uV``, ``µV`` in UTF-8 or Latin-1, ``V``...). wfdb-python 4.3 reads headers as ASCII
  and drops the ``µ``, turning microvolts into volts (a factor of 10^6), so the units field is
  taken from the header text here;
* leads: duplicated or missing required leads; names normalised to ``I II III aVR aVL aVF
  V1..V6``; the standard leads come first in standard order and any other channel (Frank
  ``vx vy vz``, say) follows and is listed in :attr:`Record.extra_leads`.

Fast path. ``wfdb.rdheader`` parses each signal line through pandas (about 30 ms per 12-lead
header), which at cohort scale (800,000 MIMIC-IV-ECG records) is hours. Records whose every
signal line has the plain single-file layout used by PTB-XL, LUDB, CinC 2021, MIMIC-IV-ECG and
MIT-BIH (format 16 or 212, one sample per frame, no skew, all nine fields written) are read
by :func:`_read_simple_header` and one ``numpy.fromfile``; anything else goes through wfdb. The
two paths give identical headers and samples on every shared WFDB record
(``tests/test_io_wfdb_equivalence.py``); ``benchmarks/io_speed.py`` measures both.

Examples
--------
>>> from interp_ecg.io.wfdb_reader import read_header
>>> import tempfile, numpy as np, wfdb
>>> folder = tempfile.mkdtemp()
>>> wfdb.wrsamp("r1", fs=500, units=["mV", "uV"], sig_name=["I", "V1"], fmt=["16", "16"],
...             p_signal=np.zeros((1000, 2)), write_dir=folder, comments=["Age: 61"])
>>> h = read_header(f"{folder}/r1")
>>> h["fs"], h["sig_len"], [s["units"] for s in h["signals"]], h["comments"]
(500.0, 1000, ['mV', 'uV'], ['Age: 61'])
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.errors import (
    ArgumentError,
    InterpEcgError,
    LeadError,
    RecordReadError,
    SamplingRateError,
)
from interp_ecg.io.dataset import EcgDataset, Record
from interp_ecg.io.leads import STANDARD_LEADS, modified_leads, normalise_lead_name

logger = logging.getLogger(__name__)

#: Multipliers from a channel's units to millivolts (keys are lower case).
UNIT_TO_MV: dict[str, float] = {
    "mv": 1.0,
    "millivolt": 1.0,
    "millivolts": 1.0,
    "uv": 1e-3,
    "µv": 1e-3,  # U+00B5 micro sign
    "μv": 1e-3,  # U+03BC Greek mu
    "microvolt": 1e-3,
    "microvolts": 1e-3,
    "v": 1e3,
    "volt": 1e3,
    "volts": 1e3,
    "nv": 1e-6,
}

#: Lowest sampling rate accepted for records holding standard ECG leads (Hz): the delineator's
#: floor (:mod:`interp_ecg.features.delineation`, ``fs < 100`` refused), so the reader, the
#: feature extraction and the delineator refuse the same rates with the same message
#: (:func:`low_rate_message`); it was 50 Hz here while the delineator needs 100, so a user told
#: "need >= 50 Hz" who resampled to 50 Hz was refused again.
MIN_ECG_FS = 100.0


def low_rate_message(fs: float) -> str:
    """The one message for a sampling rate under :data:`MIN_ECG_FS`.

    Examples
    --------
    >>> from interp_ecg.io.wfdb_reader import low_rate_message
    >>> low_rate_message(25.0)
    'sampling rate 25 Hz is too low to delineate (need >= 100 Hz)'
    """
    return f"sampling rate {float(fs):g} Hz is too low to delineate (need >= {MIN_ECG_FS:g} Hz)"

#: Largest record read, in samples (signals x samples per signal): 2**27 = 134,217,728
#: samples, 512 MiB as float32 (12 leads x 3.1 h at 1000 Hz; 2 leads x 52 h at 360 Hz). A
#: header claiming more is refused before anything is allocated; pass ``max_samples=`` to
#: :func:`read_wfdb_record` to read a larger record on a machine that has the memory (reading
#: needs about 16 bytes per sample at its peak). Measuring is another matter:
#: :func:`interp_ecg.features.extract_record` needs ~4-6 MiB per lead-minute and refuses records
#: over ``interp_ecg.features.extract.MAX_LEAD_MINUTES`` (600 lead-minutes), far below this cap.
MAX_SAMPLES = 2**27

#: Largest header file read (bytes). Headers are a few kB of text.
MAX_HEADER_BYTES = 1 << 20

#: Bytes per sample of the WFDB formats whose file size can be checked, and the bytes of
#: one packing block (212 packs 2 samples in 3 bytes, 310/311 3 samples in 4 bytes).
_BYTES_PER_SAMPLE = {"8": 1.0, "16": 2.0, "61": 2.0, "80": 1.0, "160": 2.0, "212": 1.5,
                     "24": 3.0, "32": 4.0, "310": 4.0 / 3.0, "311": 4.0 / 3.0}
_BLOCK_BYTES = {"212": 3, "310": 4, "311": 4}
#: Formats :mod:`wfdb` can read (and so can this module).
KNOWN_FORMATS = frozenset({"8", "16", "24", "32", "61", "80", "160", "212", "310", "311",
                           "508", "516", "524"})
#: The digital value each format uses for "no sample".
_INVALID = {"8": -128, "16": -32768, "61": -32768, "80": -128, "160": -32768, "212": -2048,
            "24": -(2**23), "32": -(2**31), "310": -512, "311": -512}

# MATLAB v4 type codes 'MOPT' (M=0 little endian, O=0, T=0 full matrix) -> element type
_MAT4_TYPES = {0: "<f8", 10: "<f4", 20: "<i4", 30: "<i2", 40: "<u2", 50: "<u1"}

# The plain single-file signal line of the fast path: all nine fields, format 16 or 212.
_SIMPLE_SIGNAL = re.compile(
    r"^(?P<file_name>[\w.\-]+)[ \t]+(?P<fmt>16|212)(?:x1)?(?:\+(?P<offset>\d+))?"
    r"[ \t]+(?P<gain>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)(?:\((?P<baseline>-?\d+)\))?(?:/(?P<units>[A-Za-z]+))?"
    r"[ \t]+(?P<adc_res>\d+)[ \t]+(?P<adc_zero>-?\d+)[ \t]+(?P<init_value>-?\d+)"
    r"[ \t]+(?P<checksum>-?\d+)[ \t]+(?P<block_size>\d+)[ \t]+(?P<sig_name>\S(?:.*\S)?)$"
)
_SIMPLE_RECORD = re.compile(r"^(?P<name>[\w\-]+)[ \t]+(?P<n_sig>\d+)[ \t]+(?P<fs>\d+(?:\.\d+)?)"
                            r"[ \t]+(?P<sig_len>\d+)(?:[ \t]+.*)?$")


def _header_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if p.suffix.lower() in {".hea", ".dat", ".mat", ".xyz"}:
        p = p.with_suffix("")
    return p.with_name(p.name + ".hea")


def _read_header_text(hea: Path) -> str:
    try:
        size = hea.stat().st_size
    except FileNotFoundError:
        raise RecordReadError("header file not found", source=hea) from None
    except OSError as err:
        raise RecordReadError(f"cannot read header: {err}", source=hea) from None
    if size > MAX_HEADER_BYTES:
        raise RecordReadError(f"header file is {size:,} bytes, over the cap of {MAX_HEADER_BYTES:,} "
                              "(a WFDB header is a few kB of text)", source=hea)
    try:
        raw = hea.read_bytes()
    except OSError as err:
        raise RecordReadError(f"cannot read header: {err}", source=hea) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _split_header(text: str) -> tuple[list[str], list[str]]:
    """(record and signal lines, comments) of a header text."""
    comments: list[str] = []
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            comments.append(line[1:].strip())
        else:
            lines.append(line.split("#", 1)[0].strip())
    return lines, comments


def _units_as_written(line: str) -> str | None:
    """The units field of a signal line as written (``None`` when the line gives none)."""
    tok = line.split()
    if len(tok) > 2 and "/" in tok[2]:
        return tok[2].split("/", 1)[1] or None
    return None


def _read_simple_header(text: str) -> dict[str, Any] | None:
    """The header dict of a plain single-file format-16/212 header, or ``None`` (use wfdb).

    Only headers whose record line gives name, signals, rate and length and whose every signal
    line has all nine fields in the plain layout are parsed here; the result equals
    :func:`_wfdb_header` on them (tested on every shared record).
    """
    lines, comments = _split_header(text)
    if len(lines) < 2:
        return None
    rec = _SIMPLE_RECORD.match(lines[0])
    if rec is None or int(rec["n_sig"]) != len(lines) - 1 or int(rec["sig_len"]) == 0:
        return None
    signals = []
    for line in lines[1:]:
        m = _SIMPLE_SIGNAL.match(line)
        if m is None:
            return None
        gain = float(m["gain"])
        adc_zero = int(m["adc_zero"])
        signals.append({
            "file_name": m["file_name"], "fmt": m["fmt"], "samps_per_frame": 1, "skew": 0,
            "byte_offset": int(m["offset"] or 0), "adc_gain": gain if gain != 0 else 200.0,
            "baseline": adc_zero if m["baseline"] is None else int(m["baseline"]),
            "units": m["units"] or "mV", "adc_res": int(m["adc_res"]), "adc_zero": adc_zero,
            "init_value": int(m["init_value"]), "checksum": int(m["checksum"]),
            "sig_name": m["sig_name"],
        })
    if len({s["file_name"] for s in signals}) != 1 or len({s["fmt"] for s in signals}) != 1:
        return None
    return {"record_name": rec["name"], "n_sig": len(signals), "fs": float(rec["fs"]),
            "sig_len": int(rec["sig_len"]), "signals": signals, "comments": comments,
            "multi_segment": False}


_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
#: the sampling-frequency field of a record line: ``fs[/counter_freq[(base_counter)]]`` (header(5))
_FS_FIELD = re.compile(rf"^(?P<fs>{_NUM})(?:/(?P<cf>{_NUM})(?:\((?P<bc>-?{_NUM})\))?)?$")
#: the format field of a signal line: ``fmt[xsamps_per_frame][:skew][+byte_offset]``
_FMT_FIELD = re.compile(r"^\d+(?:x\d+)?(?::\d+)?(?:\+\d+)?$")
#: the gain field of a signal line: ``adc_gain[(baseline)][/units]``
_GAIN_FIELD = re.compile(rf"^[-+]?{_NUM}(?:\((?P<baseline>[-+]?\d+)\))?(?:/(?P<units>\S*))?$")
_INT_FIELD = re.compile(r"^[-+]?\d+$")
#: the integer fields that follow the gain on a signal line, in order (header(5))
_SIGNAL_INT_FIELDS = ("ADC resolution", "ADC zero", "initial value", "checksum", "block size")


def _check_header_fields(lines: list[str], source: str) -> None:
    """Raise RecordReadError when a field of the record or a signal line is present but not of its form.

    wfdb-python parses header lines with regular expressions that match a prefix of each field
    and fill in WFDB's default for what they do not match: a sampling rate written ``NaN``,
    ``?`` or ``fivehundred`` became 250 Hz (the default for a header that omits it), ``5e2``
    became 5 Hz, a gain written as text 200 (the default gain). Here every field that is
    written is checked against header(5) (https://physionet.org/physiotools/wag/header-5.htm)
    before any value of it is used; a field left out keeps WFDB's rule for an omitted field
    (the caller refuses an omitted sampling rate). The base time and date are not used by
    interp-ecg and are left to wfdb.
    """
    rec = lines[0].split()
    if len(rec) >= 2 and not _INT_FIELD.match(rec[1]):
        raise RecordReadError(f"malformed header: number-of-signals field {rec[1]!r} of the record line "
                              "is not an integer", source=source)
    if len(rec) >= 3:
        m = _FS_FIELD.match(rec[2])
        if m is None:
            raise RecordReadError(f"malformed header: sampling-frequency field {rec[2]!r} of the record line "
                                  "is not a number (header(5): fs[/counter_freq[(base_counter)]]); "
                                  "the rate is not guessed", source=source)
    if len(rec) >= 4 and not re.match(r"^\d+$", rec[3]):
        raise RecordReadError(f"malformed header: number-of-samples field {rec[3]!r} of the record line is "
                              "not a non-negative integer", source=source)
    if "/" in rec[0]:  # a multi-segment master: its other lines are segment lines
        return
    for line in lines[1:]:
        tok = line.split()
        name = " ".join(tok[8:]) or (tok[0] if tok else "")
        where = f"signal line {line[:60]!r}" if not tok[8:] else f"signal {name!r}"
        if len(tok) >= 2 and not _FMT_FIELD.match(tok[1]):
            raise RecordReadError(f"malformed header: format field {tok[1]!r} of {where} is not "
                                  "fmt[xspf][:skew][+offset]", source=source)
        if len(tok) >= 3:
            g = _GAIN_FIELD.match(tok[2])
            if g is None:
                raise RecordReadError(f"malformed header: gain field {tok[2]!r} of {where} is not "
                                      "adc_gain[(baseline)][/units] with a number for the gain", source=source)
            if g["units"] is not None and g["units"] == "":
                raise RecordReadError(f"malformed header: gain field {tok[2]!r} of {where} has '/' "
                                      "but no units", source=source)
        for field, value in zip(_SIGNAL_INT_FIELDS, tok[3:8]):
            if not _INT_FIELD.match(value):
                raise RecordReadError(f"malformed header: {field} field {value!r} of {where} is not an "
                                      "integer (a signal line's fields 4-8 are integers; the description "
                                      "comes after all of them)", source=source)


def _header_fs(rec_tok: list[str]) -> float | None:
    """The sampling rate as written in a checked record line (``None`` when omitted)."""
    if len(rec_tok) < 3:
        return None
    m = _FS_FIELD.match(rec_tok[2])
    return float(m["fs"]) if m else None


def _wfdb_header(base: Path, text: str, source: str) -> dict[str, Any]:
    """The header dict from :func:`wfdb.rdheader`, with units, comments and rate checked on the text."""
    import wfdb

    lines, comments = _split_header(text)
    if not lines:
        raise RecordReadError("header is empty (no record line)", source=source)
    rec_tok = lines[0].split()
    _check_header_fields(lines, source)
    try:
        h = wfdb.rdheader(str(base))
    except Exception as err:  # noqa: BLE001 - wfdb raises HeaderSyntaxError, ValueError...
        raise RecordReadError(f"malformed header ({type(err).__name__}: {err})", source=source) from None
    fs = _header_fs(rec_tok)  # as written: wfdb fills in 250 Hz when none is written or it cannot parse it
    sig_len = None if h.sig_len is None else int(h.sig_len)
    header: dict[str, Any] = {"record_name": str(h.record_name), "n_sig": int(h.n_sig or 0), "fs": fs,
                              "sig_len": sig_len, "signals": [], "comments": comments,
                              "multi_segment": hasattr(h, "seg_name")}
    if header["multi_segment"]:
        header["segments"] = [str(n) for n in (h.seg_name or [])]
        return header
    sig_lines = lines[1:]
    if len(sig_lines) != header["n_sig"]:
        raise RecordReadError(f"header announces {header['n_sig']} signals but has {len(sig_lines)} "
                              "signal lines", source=source)
    for i, line in enumerate(sig_lines):
        fmt = str(h.fmt[i])
        header["signals"].append({
            "file_name": h.file_name[i], "fmt": fmt, "samps_per_frame": int(h.samps_per_frame[i] or 1),
            "skew": int(h.skew[i] or 0), "byte_offset": int(h.byte_offset[i] or 0),
            "adc_gain": float(h.adc_gain[i]), "baseline": int(h.baseline[i]),
            "units": _units_as_written(line) or "mV", "adc_res": int(h.adc_res[i] or 0),
            "adc_zero": int(h.adc_zero[i] or 0), "init_value": h.init_value[i],
            "checksum": h.checksum[i], "sig_name": h.sig_name[i] or f"ch{i + 1}",
        })
    return header


def read_header(path: str | os.PathLike, engine: str = "auto") -> dict[str, Any]:
    """Read a WFDB header.

    Parameters
    ----------
    path : str or path-like
        Record path with or without ``.hea``.
    engine : {"auto", "wfdb"}
        ``"wfdb"`` parses with :func:`wfdb.rdheader` always; ``"auto"`` uses the fast path
        for plain single-file format-16/212 headers (identical result) and wfdb otherwise.

    Returns
    -------
    dict
        ``record_name``, ``n_sig``, ``fs`` (``None`` when the header gives none),
        ``sig_len`` (``None`` when unspecified), ``signals`` (list of dicts: ``file_name``,
        ``fmt``, ``samps_per_frame``, ``skew``, ``byte_offset``, ``adc_gain``, ``baseline``,
        ``units`` (as written), ``adc_res``, ``adc_zero``, ``init_value``, ``checksum``,
        ``sig_name``), ``comments`` and ``multi_segment``; a multi-segment header has no
        ``signals`` and lists its ``segments`` (names as written, ``"~"`` for a gap).

    Raises
    ------
    RecordReadError
        Missing, oversized, empty or malformed header; fewer signal lines than announced.
    """
    hea = _header_path(path)
    text = _read_header_text(hea)
    if engine == "auto":
        fast = _read_simple_header(text)
        if fast is not None:
            return fast
    elif engine != "wfdb":
        raise ArgumentError(f"engine must be 'auto' or 'wfdb', got {engine!r}")
    return _wfdb_header(hea.with_suffix(""), text, str(hea))


_COMMENT_FIELDS = {
    "age": re.compile(r"^<?age>?(?:\s*\([^)]*\))?\s*[:=]\s*(?P<v>\S+)", re.I),
    "sex": re.compile(r"^<?sex>?(?:\s*\([^)]*\))?\s*[:=]\s*(?P<v>\S+)", re.I),
}

#: Oldest age read as a fact (years); an age above it is unknown (NaN) with a logged reason.
MAX_AGE_YEARS = 120.0

_SEX_MALE = frozenset({"m", "male", "man"})
_SEX_FEMALE = frozenset({"f", "female", "woman", "w"})
#: Numeric sex codings, only applied where the data say which one they use.
SEX_CODINGS: dict[str, dict[str, str | None]] = {
    # PTB-XL's ``sex`` column (ptbxl_database.csv): 0 male, 1 female
    "ptbxl": {"0": "M", "1": "F"},
    # ISO/IEC 5218: 0 not known, 1 male, 2 female, 9 not applicable
    "iso5218": {"0": None, "1": "M", "2": "F", "9": None},
    # UK Biobank data field 31 (Sex): 0 female, 1 male (added for `interp-ecg phewas --sex-coding`)
    "ukbiobank": {"0": "F", "1": "M"},
}

#: a patient named in a header comment (``Patient: 17``, ``<patient_id>: 17``, ``subject_id = 17``)
_PATIENT_COMMENT = re.compile(r"^<?(?:patient|patient[ _-]?id|subject[ _-]?id)>?\s*[:=]\s*(?P<v>\S+)", re.I)
#: a folder of one patient's records, as in the PTB Diagnostic ECG Database (``patient001/s0010_re``)
_PATIENT_FOLDER = re.compile(r"^patient[_-]?\d+$", re.I)


def patient_of_record(record_path: str, comments: Sequence[str] = ()) -> str | None:
    """The patient a WFDB record belongs to, where its header or folder says so; None otherwise.

    A WFDB header has no patient field, so the id is taken only from what the data give:

    1. a header comment naming the patient (``Patient: 17``, ``<patient_id>: 17``,
       ``subject_id = 17``), as written;
    2. else a folder of the record's path named ``patientNNN`` (the PTB Diagnostic ECG
       Database layout, ``patient001/s0010_re``): that folder name.

    Nothing else (not the record name) is taken for a patient: without either, the patient is
    unknown (None).

    Parameters
    ----------
    record_path : str
        The record's path relative to the folder read, without extension (``"patient001/s0010_re"``).
    comments : sequence of str
        The header's comment lines.

    Examples
    --------
    >>> from interp_ecg.io import patient_of_record
    >>> patient_of_record("patient001/s0010_re"), patient_of_record("s0010_re")
    ('patient001', None)
    >>> patient_of_record("rec7", ["age: 61", "Patient: 17"])
    '17'
    """
    for line in comments:
        m = _PATIENT_COMMENT.match(str(line).strip())
        if m:
            return m["v"]
    for part in reversed(str(record_path).split("/")[:-1]):
        if _PATIENT_FOLDER.match(part):
            return part
    return None


def parse_age(value: Any, source: str | None = None) -> float:
    """Age in years as a float; NaN when unknown or outside 0-:data:`MAX_AGE_YEARS`.

    ``"NaN"``, ``"Unknown"`` and ``""`` are unknown; ``">89"`` (a censored age) gives 90; an
    age below 0 or above 120 is not a human age and is NaN, logged (naming ``source`` when
    given) as the reason.

    Examples
    --------
    >>> from interp_ecg.io.wfdb_reader import parse_age
    >>> parse_age("78"), parse_age(">89"), parse_age("Unknown"), parse_age("150")
    (78.0, 90.0, nan, nan)
    """
    if value is None:
        return float("nan")
    text = str(value).strip()
    try:
        out = float(text[1:]) + 1 if text.startswith(">") else float(text)
    except ValueError:
        return float("nan")
    if not np.isfinite(out):
        return float("nan")
    if out < 0 or out > MAX_AGE_YEARS:
        logger.warning("%sage %r is outside 0-%g years: age unknown (NaN)",
                       f"{source}: " if source else "", text, MAX_AGE_YEARS)
        return float("nan")
    return out


def parse_sex(value: Any, coding: str | None = None, source: str | None = None) -> Any:
    """``"M"``, ``"F"`` or ``None`` (unknown) from a sex field.

    Words are read (``M``/``F``, ``male``/``female``, ``man``/``woman``, any case). A number
    has no agreed meaning (PTB-XL codes 0 = male, 1 = female; ISO/IEC 5218 codes 1 = male,
    2 = female, 0 = not known), so it is read only with the ``coding`` the data say they use
    (a key of :data:`SEX_CODINGS`); without one it is unknown and the reason is logged.

    Parameters
    ----------
    value : any
        The field as written.
    coding : {None, "ptbxl", "iso5218", "ukbiobank"}
        The numeric coding of the source, when it states one.
    source : str, optional
        File or record named in the log line.

    Examples
    --------
    >>> from interp_ecg.io.wfdb_reader import parse_sex
    >>> parse_sex("Male"), parse_sex("female"), parse_sex("Unknown")
    ('M', 'F', None)
    >>> parse_sex(1), parse_sex(1, coding="ptbxl"), parse_sex("1", coding="iso5218")
    (None, 'F', 'M')
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().lower()
    if text in _SEX_MALE:
        return "M"
    if text in _SEX_FEMALE:
        return "F"
    number = re.fullmatch(r"(\d+)(?:\.0*)?", text)
    if number is None:
        return None
    if coding is not None:
        if coding not in SEX_CODINGS:
            raise ArgumentError(f"coding must be one of {sorted(SEX_CODINGS)} or None, got {coding!r}")
        return SEX_CODINGS[coding].get(number[1])
    logger.warning("%ssex written as the number %r with no stated coding (PTB-XL: 0 male, 1 female; "
                   "ISO/IEC 5218: 1 male, 2 female): sex unknown", f"{source}: " if source else "", text)
    return None


def parse_comments(comments: Sequence[str], source: str | None = None) -> dict[str, Any]:
    """Age and sex from header comments (``Age: 78``, ``<sex>: F``, ``age: 81``).

    Sex is read from words; a number only where a comment names ISO/IEC 5218 as the coding
    (``Sex (ISO/IEC 5218): 1``), see :func:`parse_sex`. Unknown values are NaN / missing with
    the reason logged, naming ``source``.

    Examples
    --------
    >>> from interp_ecg.io.wfdb_reader import parse_comments
    >>> parse_comments(["Age: 63", "Sex: 1"])
    {'age': 63.0, 'sex': None}
    >>> parse_comments(["Age: 63", "Sex (ISO/IEC 5218): 1"])
    {'age': 63.0, 'sex': 'M'}
    """
    coding = "iso5218" if any("5218" in str(line) for line in comments) else None
    out: dict[str, Any] = {}
    for line in comments:
        for key, rx in _COMMENT_FIELDS.items():
            m = rx.match(line.strip())
            if m and key not in out:
                out[key] = (parse_age(m["v"], source=source) if key == "age"
                            else parse_sex(m["v"], coding=coding, source=source))
    return out


def _file_layout(signals: list[dict]) -> dict[str, tuple[float, int, int]]:
    """Per data file of checkable format: (bytes per frame, byte offset, block bytes)."""
    per_file: dict[str, list[dict]] = {}
    for s in signals:
        per_file.setdefault(s["file_name"], []).append(s)
    out: dict[str, tuple[float, int, int]] = {}
    for fname, sigs in per_file.items():
        fmts = {s["fmt"] for s in sigs}
        if len(fmts) != 1 or any(s["skew"] for s in sigs):
            continue
        fmt = fmts.pop()
        if fmt not in _BYTES_PER_SAMPLE:
            continue
        frame = sum(s["samps_per_frame"] for s in sigs)
        out[fname] = (frame * _BYTES_PER_SAMPLE[fmt], sigs[0]["byte_offset"], _BLOCK_BYTES.get(fmt, 1))
    return out


def _check_mat_v4(path: Path, n_sig: int, sig_len: int) -> None:
    """Raise RecordReadError unless ``path`` starts with a MATLAB v4 matrix header of the right shape."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(20)
    except OSError as err:
        raise RecordReadError(f"unreadable .mat: {err}", source=path) from None
    if len(head) < 20:
        raise RecordReadError("unreadable .mat: file shorter than a MATLAB v4 header", source=path)
    mtype, mrows, ncols, imagf, _namlen = (int(v) for v in np.frombuffer(head, dtype="<i4"))
    if mtype not in _MAT4_TYPES or imagf not in (0, 1):
        raise RecordReadError(f"unreadable .mat: not a MATLAB v4 matrix (type code {mtype})", source=path)
    if mrows * ncols != n_sig * sig_len:
        raise RecordReadError(
            f"header/data mismatch: .mat matrix is {mrows}x{ncols}, header says {n_sig}x{sig_len}",
            source=path,
        )


#: respiratory-effort and airflow channel names of polysomnography recordings (the thoracic and
#: abdominal belts and the oro-nasal airflow of the AASM montage, e.g. SHHS "THOR RES", "ABDO RES",
#: "AIRFLOW"), recorded in mV or uV like an ECG but missing from WFDB's signal classes
RESPIRATION_NAMES = ("thor", "thorax", "thoracic", "abd", "abdo", "abdomen", "abdominal", "airflow", "nasal")


@functools.lru_cache(maxsize=1)
def _non_ecg_classes() -> dict[str, str]:
    """Lower-case signal name -> its class's description, for the signal classes of WFDB other
    than ECG (``wfdb.io.SIGNAL_CLASSES``: bp/abp/pap/cvp blood pressure, resp, pleth, spo2,
    eeg, emg, eog, temp ...) and :data:`RESPIRATION_NAMES`."""
    from wfdb.io import SIGNAL_CLASSES

    out = {str(n).lower(): str(row["description"]) for cls, row in SIGNAL_CLASSES.iterrows()
           if cls not in ("ecg", "unknown") for n in row["signal_names"]}
    return {**dict.fromkeys(RESPIRATION_NAMES, "Respiration"), **out}


def non_ecg_kind(units: str, name: str) -> str | None:
    """Why a channel is not an ECG lead (its units, or its name), or ``None`` for an ECG channel.

    A channel whose units are not a voltage (ABP in mmHg, PLETH in NU) is not an ECG lead; nor
    is a channel in a voltage whose name is that of another signal class of WFDB
    (``wfdb.io.SIGNAL_CLASSES``: RESP, EEG, EMG, EOG ...; the first word of the name, any
    case), which would otherwise be read as an extra lead and set aside as "clipped". A
    standard lead name is always an ECG lead (in other units it is refused by the reader).

    Parameters
    ----------
    units : str
        The channel's units as written in the header.
    name : str
        The channel's name.

    Returns
    -------
    str or None
        ``"units mmHg"``, ``"Respiration signal by its name, units mV"``, or ``None``.

    Examples
    --------
    >>> from interp_ecg.io.wfdb_reader import non_ecg_kind
    >>> non_ecg_kind("mmHg", "ABP"), non_ecg_kind("mV", "RESP"), non_ecg_kind("mV", "ECG1")
    ('units mmHg', 'Respiration signal by its name, units mV', None)
    """
    if normalise_lead_name(name) in STANDARD_LEADS:
        return None
    if units.strip().lower() not in UNIT_TO_MV:
        return f"units {units}"
    first = re.split(r"[^0-9a-z]+", name.strip().lower())
    word = next((w for w in first if w), "")
    what = _non_ecg_classes().get(word)
    return f"{what} signal by its name, units {units}" if what else None


def non_ecg_channels_note(meta: dict | None) -> str:
    """The ``quality_reason`` note naming the channels a reader left out as not ECG leads, or ``""``.

    Parameters
    ----------
    meta : dict or None
        A :class:`~interp_ecg.io.Record`'s ``meta``; its ``non_ecg_channels`` (channel name ->
        units as written), as :func:`read_wfdb_record` writes it.

    Returns
    -------
    str
        ``"ABP: not an ECG lead (units mmHg), not read"`` for each, ``"; "``-joined.

    Examples
    --------
    >>> from interp_ecg.io.wfdb_reader import non_ecg_channels_note
    >>> non_ecg_channels_note({"non_ecg_channels": {"ABP": "mmHg", "RESP": "mV"}})
    'ABP: not an ECG lead (units mmHg), not read; RESP: not an ECG lead (Respiration signal by its name, units mV), not read'
    """
    channels = (meta or {}).get("non_ecg_channels") or {}
    return _non_ecg_text(dict(channels))


def _non_ecg_text(non_ecg: dict[str, str]) -> str:
    """``"ABP: not an ECG lead (units mmHg), not read"`` for each channel that is not an ECG lead."""
    return "; ".join(f"{n}: not an ECG lead ({non_ecg_kind(u, n) or f'units {u}'}), not read"
                     for n, u in non_ecg.items())


def _is_ecg_channel(units: str, name: str) -> bool:
    """Whether a channel is read as an ECG lead: a standard lead name, or a voltage and no other
    signal class's name (:func:`non_ecg_kind`)."""
    return non_ecg_kind(units, name) is None


def _to_millivolt_factor(units: str, name: str, source: str) -> float | None:
    """The factor from the channel's units to mV; ``None`` for a channel that is not an ECG
    lead (:func:`non_ecg_kind`); a standard lead in units that are not a voltage is refused."""
    key = units.strip().lower()
    if normalise_lead_name(name) in STANDARD_LEADS and key not in UNIT_TO_MV:
        raise RecordReadError(f"lead {name!r} has units {units!r}, not a voltage", source=source)
    if non_ecg_kind(units, name) is not None:
        return None
    return UNIT_TO_MV[key]


def _check_size_and_length(base: Path, header: dict, source: str, max_samples: int) -> int:
    """Check data files against the header and the size cap; return the number of samples.

    A header without a length (or with 0) gets it from the data file's size.
    """
    signals = header["signals"]
    folder = base.parent
    sig_len = header["sig_len"] or None
    layout = _file_layout(signals)
    sizes: dict[str, int] = {}
    for fname in dict.fromkeys(s["file_name"] for s in signals):
        fpath = folder / fname
        if not fpath.is_file():
            raise RecordReadError("data file not found", source=fpath)
        sizes[fname] = fpath.stat().st_size
    if sig_len is None:
        lengths = {f: int((sizes[f] - off) // per_frame) for f, (per_frame, off, _) in layout.items()}
        if not lengths:
            raise RecordReadError("header gives no number of samples and the data format does not "
                                  "allow inferring it from the file size", source=source)
        if len(set(lengths.values())) != 1:
            raise RecordReadError(f"header gives no number of samples and the data files disagree "
                                  f"({lengths})", source=source)
        sig_len = lengths.popitem()[1]
        if sig_len <= 0:
            raise RecordReadError("record holds no samples: the header gives no length (or 0) and "
                                  "the data file holds no complete frame", source=source)
    total = sig_len * sum(s["samps_per_frame"] for s in signals)
    if total > max_samples:
        raise RecordReadError(
            f"record too large: {len(signals)} signals x {sig_len:,} samples = {total:,} samples "
            f"({total * 4 / 2**30:.1f} GiB as float32), over the cap of {max_samples:,} "
            "(interp_ecg.io.wfdb_reader.MAX_SAMPLES; pass max_samples= to read it anyway)",
            source=source)
    for fname, (per_frame, offset, block) in layout.items():
        fpath = folder / fname
        if fname.lower().endswith(".mat"):
            _check_mat_v4(fpath, sum(1 for s in signals if s["file_name"] == fname), sig_len)
        need = offset + int(np.ceil(sig_len * per_frame))
        padded = offset + int(np.ceil(sig_len * per_frame / block)) * block
        size = sizes[fname]
        n_in_file = sum(1 for s in signals if s["file_name"] == fname)
        if size < need:
            raise RecordReadError(f"truncated data file: {size} bytes, header needs {need} "
                                  f"({sig_len} samples x {n_in_file} signals)", source=fpath)
        if size > padded:
            raise RecordReadError(f"header/data mismatch: file has {size} bytes, header describes "
                                  f"{need}", source=fpath)
    for fname in sizes:
        if fname not in layout and fname.lower().endswith(".mat"):
            _check_mat_v4(folder / fname, sum(1 for s in signals if s["file_name"] == fname), sig_len)
    return sig_len


def _unpack_212(raw: np.ndarray, n: int) -> np.ndarray:
    """First ``n`` samples of WFDB format 212 bytes (2 12-bit two's-complement samples per 3 bytes)."""
    n_blocks = (n + 1) // 2
    b = np.zeros(n_blocks * 3, dtype=np.uint8)
    b[: min(raw.size, b.size)] = raw[: b.size]
    b = b.reshape(n_blocks, 3).astype(np.int32)
    out = np.empty((n_blocks, 2), dtype=np.int32)
    out[:, 0] = b[:, 0] | ((b[:, 1] & 0x0F) << 8)
    out[:, 1] = b[:, 2] | ((b[:, 1] & 0xF0) << 4)
    out[out > 2047] -= 4096
    return out.reshape(-1)[:n]


def _rdrecord_with_length(base: Path, sig_len: int, files: set[str]):
    """:func:`wfdb.rdrecord` of a record whose header says 0 samples, given the length found.

    The header is copied to a temporary folder with the length written into its record line,
    beside links to the data files, and read from there.
    """
    import shutil
    import tempfile

    import wfdb

    text = _read_header_text(base.with_name(base.name + ".hea"))
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() and not line.strip().startswith("#"):
            tok = line.split()
            tok[3] = str(sig_len)
            lines[i] = " ".join(tok)
            break
    with tempfile.TemporaryDirectory(prefix="interp-ecg-wfdb-") as tmp:
        folder = Path(tmp)
        (folder / f"{base.name}.hea").write_text("\n".join(lines) + "\n", encoding="utf-8")
        for name in files:
            item = base.parent / name
            if item.is_file() and Path(name).name == name:
                try:
                    os.symlink(item.resolve(), folder / item.name)
                except OSError:
                    shutil.copyfile(item, folder / item.name)
        return wfdb.rdrecord(str(folder / base.name), physical=False, return_res=64)


def _fast_path_ok(header: dict) -> bool:
    sigs = header["signals"]
    return (len({s["file_name"] for s in sigs}) == 1 and len({s["fmt"] for s in sigs}) == 1
            and sigs[0]["fmt"] in ("16", "212")
            and all(s["samps_per_frame"] == 1 and s["skew"] == 0 for s in sigs)
            and len({s["byte_offset"] for s in sigs}) == 1)


def _read_digital(base: Path, header: dict, sig_len: int, source: str, engine: str = "auto",
                  check_checksum: bool = True) -> np.ndarray:
    """Digital samples ``(n_samples, n_sig)`` (int32 or int64) of a checked header."""
    signals = header["signals"]
    n_sig = len(signals)
    if engine == "auto" and _fast_path_ok(header):
        fpath = base.parent / signals[0]["file_name"]
        n = sig_len * n_sig
        offset = signals[0]["byte_offset"]
        try:
            if signals[0]["fmt"] == "16":
                raw = np.fromfile(fpath, dtype="<i2", count=n, offset=offset)
                if raw.size == n:
                    return raw.reshape(sig_len, n_sig).astype(np.int32)
            else:
                raw = np.fromfile(fpath, dtype=np.uint8, count=int(np.ceil(n * 1.5)), offset=offset)
                if raw.size == int(np.ceil(n * 1.5)):
                    return _unpack_212(raw, n).reshape(sig_len, n_sig)
        except OSError as err:
            raise RecordReadError(f"cannot read data: {err}", source=fpath) from None
        raise RecordReadError(f"truncated data file: {raw.size} values read", source=fpath)
    import wfdb

    if any(s["samps_per_frame"] > 1 for s in signals):
        return _read_multifrequency(base, header, sig_len, source, check_checksum)
    try:
        if header["sig_len"] == 0:  # wfdb-python takes 0 literally; header(5) says "unspecified"
            rec = _rdrecord_with_length(base, sig_len, {x["file_name"] for x in signals})
        else:
            rec = wfdb.rdrecord(str(base), physical=False, return_res=64,
                                sampto=sig_len if header["sig_len"] else None)
    except FileNotFoundError as err:
        raise RecordReadError(f"data file not found: {err}", source=source) from None
    except Exception as err:  # noqa: BLE001 - wfdb raises many kinds; name them
        raise RecordReadError(f"unreadable record ({type(err).__name__}: {err})", source=source) from None
    d = rec.d_signal
    if d is None or d.shape != (sig_len, n_sig):
        shape = None if d is None else d.shape
        raise RecordReadError(f"data shape {shape} does not match header ({sig_len}, {n_sig})", source=source)
    return d


def _read_multifrequency(base: Path, header: dict, sig_len: int, source: str,
                         check_checksum: bool = True) -> np.ndarray:
    """Digital samples at the frame rate of a record with more than one sample per frame in a signal.

    A multi-frequency record (header(5) ``fmt x samps_per_frame``, e.g. ``16x2``: chest leads
    at twice the frame rate) is read expanded by wfdb-python (``smooth_frames=False``), its
    header checksums are checked on the expanded samples (a checksum is a sum over every sample
    written), and each signal is brought to the frame rate (the header's sampling rate) by
    averaging the samples of each frame, as wfdb's ``smooth_frames`` does; a frame holding an
    invalid sample is invalid. Returns float64 ``(sig_len, n_sig)``.
    """
    import wfdb

    signals = header["signals"]
    if not header["sig_len"]:
        raise RecordReadError("multi-frequency record without a length in its header: not supported",
                              source=source)
    try:
        rec = wfdb.rdrecord(str(base), physical=False, return_res=64, smooth_frames=False, sampto=sig_len)
    except FileNotFoundError as err:
        raise RecordReadError(f"data file not found: {err}", source=source) from None
    except Exception as err:  # noqa: BLE001 - wfdb raises many kinds; name them
        raise RecordReadError(f"unreadable multi-frequency record ({type(err).__name__}: {err})",
                              source=source) from None
    out = np.empty((sig_len, len(signals)), dtype=np.float64)
    for j, (s, e) in enumerate(zip(signals, rec.e_d_signal)):
        spf = s["samps_per_frame"]
        e = np.asarray(e, dtype=np.int64)
        name = normalise_lead_name(s["sig_name"])
        if e.size != sig_len * spf:
            raise RecordReadError(f"signal {name!r}: {e.size} samples read, header describes "
                                  f"{sig_len} frames x {spf}", source=source)
        if check_checksum and s["checksum"] is not None and int(e.sum()) % 65536 != s["checksum"] % 65536:
            raise RecordReadError(f"header/data mismatch: checksum of signal {name!r} is {int(e.sum()) % 65536}, "
                                  f"header says {s['checksum'] % 65536} (over its {spf} samples per frame)",
                                  source=source)
        frames = e.reshape(sig_len, spf)
        invalid = _INVALID.get(s["fmt"])
        col = frames.mean(axis=1)
        if invalid is not None:
            col[(frames == invalid).any(axis=1)] = invalid
        out[:, j] = col
    multi = {normalise_lead_name(s["sig_name"]): s["samps_per_frame"] for s in signals if s["samps_per_frame"] > 1}
    logger.debug("%s: multi-frequency record: %s sampled %s per frame; read at the frame rate %g Hz "
                "(each frame's samples averaged)", source, list(multi), sorted(set(multi.values())), header["fs"])
    return out


def read_wfdb_record(
    path: str | os.PathLike,
    record_id: Any = None,
    expected_fs: float | None = None,
    required_leads: Sequence[str] | None = None,
    check_checksum: bool = True,
    header: dict | None = None,
    max_samples: int = MAX_SAMPLES,
    engine: str = "auto",
) -> Record:
    """Read one WFDB record into a :class:`Record` in millivolts.

    Parameters
    ----------
    path : str or path-like
        Record path with or without ``.hea`` (``"data/100"``, ``"data/100.hea"``).
    record_id : optional
        Id to give the record (default: the record name).
    expected_fs : float, optional
        Raise :class:`~interp_ecg.errors.SamplingRateError` when the header says otherwise.
    required_leads : sequence of str, optional
        Raise :class:`~interp_ecg.errors.LeadError` when one of them is missing.
    check_checksum : bool, default True
        Compare the header's per-signal checksums with the data (header/data mismatch).
        Skipped when the header gives no length (WFDB's rule).
    header : dict, optional
        An already parsed header (from :func:`read_header`; skips reading it again).
    max_samples : int, default :data:`MAX_SAMPLES`
        Refuse records of more samples (signals x samples) before allocating anything.
    engine : {"auto", "wfdb"}
        ``"wfdb"`` reads header and data with wfdb-python only; ``"auto"`` uses the fast path
        for plain format-16/212 records (identical result).

    Returns
    -------
    Record
        ``signal`` float32 ``(n_leads, n_samples)`` mV; standard leads first, in standard
        order; other channels in a voltage after them, named in ``extra_leads``; a channel in
        another unit (ABP in mmHg, PLETH in NU) is not an ECG lead and is not read: ``meta``
        lists it in ``non_ecg_channels`` (``{"ABP": "mmHg"}``). ``meta`` holds ``age``,
        ``sex`` parsed from comments, ``comments``, ``units`` as written and, for a record
        with modified limb leads (``MLII``; kept under that name, not read as lead II),
        ``modified_leads`` (``{"MLII": "II"}``, see :func:`interp_ecg.io.leads.modified_leads`).

    Raises
    ------
    RecordReadError, SamplingRateError, LeadError
        Naming the file and the problem.

    Examples
    --------
    A record written in microvolts, ``µV`` in UTF-8 (wfdb-python alone would read volts):

    >>> from interp_ecg.io import read_wfdb_record
    >>> import tempfile, numpy as np, wfdb, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> wfdb.wrsamp("u", fs=500, units=["uV"], sig_name=["II"], fmt=["16"],
    ...             p_signal=1000 * np.sin(np.linspace(0, 6.28, 500))[:, None], write_dir=str(folder))
    >>> hea = folder / "u.hea"
    >>> _ = hea.write_text(hea.read_text().replace("/uV", "/µV"), encoding="utf-8")
    >>> rec = read_wfdb_record(folder / "u")
    >>> rec.meta["units"], round(float(rec.signal.max()), 2)
    (['µV'], 1.0)
    """
    base = _header_path(path).with_suffix("")
    hea = str(_header_path(path))
    if header is None:
        header = read_header(base, engine=engine)
    if header["multi_segment"]:
        return _read_multisegment(base, record_id, expected_fs, required_leads, max_samples)
    fs = header["fs"]
    if fs is None:
        raise SamplingRateError("header gives no sampling rate (WFDB would assume 250 Hz; refused as a guess)",
                                source=hea)
    if not np.isfinite(fs) or fs <= 0:
        raise SamplingRateError(f"invalid sampling rate {fs!r} in header", source=hea)
    if expected_fs is not None and abs(fs - float(expected_fs)) > 1e-6:
        raise SamplingRateError(f"sampling rate {fs:g} Hz, expected {float(expected_fs):g} Hz", source=hea)
    signals = header["signals"]
    if not signals:
        raise LeadError("header describes no signals", source=hea)
    unknown = sorted({s["fmt"] for s in signals} - KNOWN_FORMATS)
    if unknown:
        raise RecordReadError(f"unknown WFDB format(s) {unknown}", source=hea)
    names = [normalise_lead_name(s["sig_name"]) for s in signals]
    if fs < MIN_ECG_FS and any(n in STANDARD_LEADS for n in names):
        raise SamplingRateError(low_rate_message(fs), source=hea)
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise LeadError(f"duplicate leads {dups}", source=hea)
    if required_leads is not None:
        missing = [normalise_lead_name(n) for n in required_leads if normalise_lead_name(n) not in names]
        if missing:
            raise LeadError(f"missing leads {missing} (has {names})", source=hea)
    factors = []
    non_ecg: dict[str, str] = {}  # channels not in a voltage (ABP in mmHg, PLETH in NU): not ECG leads
    for j, s in enumerate(signals):
        f = _to_millivolt_factor(s["units"], s["sig_name"], hea)
        if f is None:
            non_ecg[names[j]] = s["units"]
        factors.append(1.0 if f is None else f)
    if len(non_ecg) == len(signals):
        raise LeadError(f"no ECG channel: {_non_ecg_text(non_ecg)}", source=hea)
    sig_len = _check_size_and_length(base, header, hea, max_samples)
    digital = _read_digital(base, header, sig_len, hea, engine=engine, check_checksum=check_checksum)
    length_given = bool(header["sig_len"])
    multi_frequency = any(s["samps_per_frame"] > 1 for s in signals)  # checked on the expanded samples
    if check_checksum and length_given and not multi_frequency and any(s["checksum"] is not None for s in signals):
        sums = digital.sum(axis=0, dtype=np.int64) % 65536
        for j, s in enumerate(signals):
            if s["checksum"] is None:
                continue
            got = int(sums[j])
            if got != s["checksum"] % 65536:
                raise RecordReadError(
                    f"header/data mismatch: checksum of signal {names[j]!r} is {got}, "
                    f"header says {s['checksum'] % 65536}",
                    source=hea,
                )
    invalid = np.array([_INVALID.get(s["fmt"], np.iinfo(np.int64).min) for s in signals])
    gains = np.array([s["adc_gain"] for s in signals], dtype=np.float64)
    baselines = np.array([s["baseline"] for s in signals], dtype=np.float64)
    scale = np.asarray(factors) / gains
    phys = (digital - baselines) * scale
    bad = digital == invalid
    if bad.any():
        phys[bad] = np.nan
    order = [names.index(n) for n in STANDARD_LEADS if n in names]
    extra = [j for j, n in enumerate(names) if n not in STANDARD_LEADS and n not in non_ecg]
    idx = order + extra
    signal = np.ascontiguousarray(phys.T[idx], dtype=np.float32)
    leads = [names[j] for j in idx]
    meta = {"comments": header["comments"], "units": [signals[j]["units"] for j in idx]}
    meta.update(parse_comments(header["comments"], source=hea))
    if non_ecg:
        meta["non_ecg_channels"] = non_ecg
        logger.debug("%s: %s", hea, _non_ecg_text(non_ecg))
    if multi_frequency:
        meta["samples_per_frame"] = {names[j]: signals[j]["samps_per_frame"] for j in idx}
    modified = modified_leads(names, hea)
    if modified:
        meta["modified_leads"] = modified
    rid = header["record_name"] if record_id is None else record_id
    return Record(
        id=str(rid), signal=signal, fs=float(fs), leads=leads, meta=meta, source=hea,
        extra_leads=[names[j] for j in extra],
    )


def segment_headers(base: str | os.PathLike, header: dict | None = None) -> list[tuple[str, dict]]:
    """The headers of the segments a multi-segment record names (layout header included).

    Parameters
    ----------
    base : str or path-like
        The multi-segment record (master header), with or without ``.hea``.
    header : dict, optional
        Its header from :func:`read_header`.

    Returns
    -------
    list of (str, dict)
        ``(segment name, header)`` for every named segment, ``"~"`` gaps left out, in order
        (a variable-layout record's ``_layout`` header first, as the master lists it).

    Raises
    ------
    RecordReadError
        A segment header missing or malformed (naming it).
    """
    base = _header_path(base).with_suffix("")
    header = read_header(base) if header is None else header
    return [(name, read_header(base.parent / name)) for name in header.get("segments", []) if name != "~"]


def _multisegment_units(base: Path, header: dict, hea: str) -> dict[str, tuple[str, float | None]]:
    """Each channel's units as written in the segment (and layout) header texts, and its factor to mV.

    wfdb-python reads header text as ASCII and drops ``µ`` (``µV`` becomes ``V``), so its
    ``units`` are not used. A channel whose segments give different units is refused: wfdb
    concatenates the segments' physical values as they are, so the record would mix units.
    """
    units: dict[str, tuple[str, float | None]] = {}
    for seg, h in segment_headers(base, header):
        for sig in h["signals"]:
            name = sig["sig_name"]
            factor = _to_millivolt_factor(sig["units"], name, hea)
            if name in units and units[name][1] != factor:
                raise RecordReadError(f"channel {name!r} is in {units[name][0]!r} in one segment and in "
                                      f"{sig['units']!r} in segment {seg!r}: mixed units", source=hea)
            units.setdefault(name, (sig["units"], factor))
    return units


def _read_multisegment(base: Path, record_id, expected_fs, required_leads, max_samples: int) -> Record:
    import wfdb

    hea = str(base) + ".hea"
    try:
        head = wfdb.rdheader(str(base))
    except Exception as err:  # noqa: BLE001
        raise RecordReadError(f"malformed multi-segment header ({type(err).__name__}: {err})", source=hea) from None
    if head.sig_len and head.n_sig and head.sig_len * head.n_sig > max_samples:
        raise RecordReadError(f"record too large: {head.n_sig} signals x {head.sig_len:,} samples, over the "
                              f"cap of {max_samples:,} (pass max_samples= to read it anyway)", source=hea)
    if head.fs is None or len(_split_header(_read_header_text(Path(hea)))[0][0].split()) < 3:
        raise SamplingRateError("header gives no sampling rate (WFDB would assume 250 Hz; refused as a guess)",
                                source=hea)
    units = _multisegment_units(base, {"segments": [str(n) for n in (head.seg_name or [])]}, hea)
    try:
        rec = wfdb.rdrecord(str(base), physical=True, m2s=True, return_res=64)
    except Exception as err:  # noqa: BLE001
        raise RecordReadError(f"unreadable multi-segment record ({type(err).__name__}: {err})", source=hea) from None
    # the rate as written in the master header (wfdb reads "5e2" as 5)
    fs = _header_fs(_split_header(_read_header_text(Path(hea)))[0][0].split()) or float(rec.fs)
    if not np.isfinite(fs) or fs <= 0:
        raise SamplingRateError(f"invalid sampling rate {fs!r} in header", source=hea)
    if expected_fs is not None and abs(fs - float(expected_fs)) > 1e-6:
        raise SamplingRateError(f"sampling rate {fs:g} Hz, expected {float(expected_fs):g} Hz", source=hea)
    names = [normalise_lead_name(n) for n in rec.sig_name]
    if fs < MIN_ECG_FS and any(n in STANDARD_LEADS for n in names):
        raise SamplingRateError(low_rate_message(fs), source=hea)
    if len(set(names)) != len(names):
        raise LeadError(f"duplicate leads in {names}", source=hea)
    if required_leads is not None:
        missing = [n for n in map(normalise_lead_name, required_leads) if n not in names]
        if missing:
            raise LeadError(f"missing leads {missing} (has {names})", source=hea)
    factors, written = [], []
    non_ecg: dict[str, str] = {}
    for j, n in enumerate(rec.sig_name):
        if n not in units:
            raise RecordReadError(f"channel {n!r} is in no segment header", source=hea)
        written.append(units[n][0])
        if units[n][1] is None:
            non_ecg[names[j]] = units[n][0]
        factors.append(1.0 if units[n][1] is None else units[n][1])
    if len(non_ecg) == len(names):
        raise LeadError(f"no ECG channel: {_non_ecg_text(non_ecg)}", source=hea)
    phys = rec.p_signal * np.asarray(factors)
    order = [names.index(n) for n in STANDARD_LEADS if n in names]
    extra = [j for j, n in enumerate(names) if n not in STANDARD_LEADS and n not in non_ecg]
    idx = order + extra
    comments = list(rec.comments or [])
    meta = {"comments": comments, "units": [written[j] for j in idx]}
    meta.update(parse_comments(comments, source=hea))
    if non_ecg:
        meta["non_ecg_channels"] = non_ecg
    modified = modified_leads(names, hea)
    if modified:
        meta["modified_leads"] = modified
    return Record(
        id=str(rec.record_name if record_id is None else record_id),
        signal=np.ascontiguousarray(phys.T[idx], dtype=np.float32), fs=fs,
        leads=[names[j] for j in idx], meta=meta, source=hea,
        extra_leads=[names[j] for j in extra],
    )


class WfdbLoader:
    """Picklable loader reading ``root / row[path_column]`` as a WFDB record.

    Parameters
    ----------
    root : str or path-like
        Folder the paths in ``path_column`` are relative to.
    path_column : str
        Meta column holding the record path (without extension).
    expected_fs : float, optional
        Sampling rate every record must have.
    required_leads : sequence of str, optional
        Leads every record must have (default: none required).
    standard_only : bool, default False
        Drop channels that are not standard leads.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        path_column: str = "path",
        expected_fs: float | None = None,
        required_leads: Sequence[str] | None = None,
        standard_only: bool = False,
    ) -> None:
        self.root = str(root)
        self.path_column = path_column
        self.expected_fs = expected_fs
        self.required_leads = None if required_leads is None else list(required_leads)
        self.standard_only = standard_only

    def __call__(self, record_id: Any, row: pd.Series) -> Record:
        rel = row[self.path_column]
        if rel is None or (isinstance(rel, float) and np.isnan(rel)) or str(rel) == "":
            raise RecordReadError(f"no file path in column {self.path_column!r}", source=str(record_id))
        path = os.path.join(self.root, str(rel))
        rec = read_wfdb_record(path, record_id=record_id, expected_fs=self.expected_fs,
                               required_leads=self.required_leads)
        if self.standard_only and rec.extra_leads:
            keep = [i for i, n in enumerate(rec.leads) if n in STANDARD_LEADS]
            rec = Record(rec.id, rec.signal[keep], rec.fs, [rec.leads[i] for i in keep],
                         rec.meta, rec.source, [])
        # meta from the dataset's table wins over header comments
        rec.meta = {k: v for k, v in rec.meta.items() if k not in ("age", "sex")}
        return rec

    def __repr__(self) -> str:
        return f"WfdbLoader(root={self.root!r}, path_column={self.path_column!r}, expected_fs={self.expected_fs})"


def read_wfdb(
    path_or_dir: str | os.PathLike,
    expected_fs: float | None = None,
    required_leads: Sequence[str] | None = None,
    recursive: bool = True,
) -> Record | EcgDataset:
    """Read one WFDB record, or every record of a folder as a lazy :class:`EcgDataset`.

    Parameters
    ----------
    path_or_dir : str or path-like
        A record (``"data/100"`` or ``"data/100.hea"``) or a folder of records.
    expected_fs : float, optional
        Sampling rate every record must have (else :class:`SamplingRateError`).
    required_leads : sequence of str, optional
        Leads every record must have (else :class:`LeadError`).
    recursive : bool, default True
        For a folder, look for ``.hea`` files in sub-folders too.

    Returns
    -------
    Record or EcgDataset
        For a folder: meta indexed by record path (relative, no extension) with ``path``,
        ``fs``, ``n_leads``, ``n_samples``, ``leads`` (space-separated, normalised names in
        the order the read record has them: standard leads in standard order, then the
        others), ``patient_id``
        (text; from a header comment naming the patient, else from a ``patientNNN`` folder
        of the PTB Diagnostic layout, else missing: a WFDB header has no patient field, so
        the record id is never taken for one; see :func:`patient_of_record`), ``age`` and
        ``sex`` from header comments where written. Headers that cannot be parsed are kept with
        ``header_error`` set, so :meth:`EcgDataset.scan` reports them. A multi-segment record
        is one row (its master header); the segment and layout headers it names are not
        records of their own.

    Raises
    ------
    RecordReadError
        When the path is neither a record nor a folder.

    Examples
    --------
    A record written in microvolts with lower-case lead names comes back in mV, standard
    names, standard order:

    >>> from interp_ecg.io import read_wfdb
    >>> import tempfile, numpy as np, wfdb
    >>> folder = tempfile.mkdtemp()
    >>> t = np.arange(1000) / 500
    >>> uv = np.column_stack([np.zeros(1000), 1000 * np.sin(2 * np.pi * t)])
    >>> wfdb.wrsamp("ex", fs=500, units=["uV", "uV"], sig_name=["avr", "ii"], p_signal=uv,
    ...             fmt=["16", "16"], write_dir=folder)
    >>> rec = read_wfdb(f"{folder}/ex")
    >>> rec.leads, rec.fs, rec.signal.shape, round(float(rec.signal[0].max()), 2)
    (['II', 'aVR'], 500.0, (2, 1000), 1.0)
    >>> read_wfdb(folder).meta.loc["ex", ["fs", "n_leads", "leads"]].to_dict()
    {'fs': 500.0, 'n_leads': 2, 'leads': 'II aVR'}
    >>> import shutil; shutil.rmtree(folder)
    """
    p = Path(path_or_dir)
    if p.is_dir():
        return _read_wfdb_dir(p, expected_fs, required_leads, recursive)
    if not _header_path(p).exists():
        raise RecordReadError("no such WFDB record or folder", source=p)
    return read_wfdb_record(p, expected_fs=expected_fs, required_leads=required_leads)


def find_headers(root: str | os.PathLike, recursive: bool = True, suffix: str = ".hea") -> list[Path]:
    """The header files in a folder, following linked sub-folders, each real folder once.

    pathlib's ``glob("**")`` does not descend into symbolic links to folders (by default), so a
    data lake laid out with links (``files -> /mnt/bucket/files``) lost those records without
    a word. Here linked folders are followed (:func:`os.walk` with ``followlinks=True``); a
    folder whose real path was already walked (a link to an ancestor, or two links to the same
    folder) is not walked again, so link cycles end and no record is listed twice. How many
    links were followed and skipped is logged.

    Parameters
    ----------
    root : str or path-like
        The folder.
    recursive : bool, default True
        Look in sub-folders too.
    suffix : str, default ".hea"
        File name ending (case-sensitive, as WFDB's ``.hea``).

    Returns
    -------
    list of pathlib.Path
        Paths under ``root`` as walked (through the link names, so relative paths stay inside
        ``root``), sorted.

    Examples
    --------
    >>> from interp_ecg.io.wfdb_reader import find_headers
    >>> import tempfile, os, pathlib
    >>> a, b = pathlib.Path(tempfile.mkdtemp()), pathlib.Path(tempfile.mkdtemp())
    >>> _ = (b / "r1.hea").write_text("r1 1 500 0")
    >>> os.symlink(b, a / "linked")
    >>> os.symlink(a, b / "back")          # a cycle
    >>> [p.relative_to(a).as_posix() for p in find_headers(a)]
    ['linked/r1.hea']
    """
    root = Path(root)
    if not recursive:
        return sorted(p for p in root.glob("*" + suffix) if p.is_file())
    seen = {os.path.realpath(root)}
    found: list[Path] = []
    followed = skipped = 0
    for folder, dirs, files in os.walk(root, followlinks=True):
        keep = []
        for d in sorted(dirs):
            path = os.path.join(folder, d)
            real = os.path.realpath(path)
            if real in seen:
                skipped += 1
                logger.info("%s: not walked again (it is %s, already walked)", path, real)
                continue
            seen.add(real)
            followed += os.path.islink(path)
            keep.append(d)
        dirs[:] = keep
        found.extend(Path(folder) / f for f in files if f.endswith(suffix))
    if followed or skipped:
        logger.info("%s: followed %d linked folder(s); %d link(s) to folders already walked skipped",
                    root, followed, skipped)
    return sorted(found)


def _record_lead_order(names: Sequence[str]) -> list[str]:
    """Lead names in the order a read :class:`Record` has them: standard leads in standard order, then the rest."""
    return [n for n in STANDARD_LEADS if n in names] + [n for n in names if n not in STANDARD_LEADS]


def _read_wfdb_dir(root: Path, expected_fs, required_leads, recursive: bool) -> EcgDataset:
    headers: list[tuple[Path, str, dict | InterpEcgError]] = []
    for hea in find_headers(root, recursive):
        rel = hea.relative_to(root).with_suffix("").as_posix()
        try:
            headers.append((hea, rel, read_header(hea)))
        except InterpEcgError as err:
            headers.append((hea, rel, err))
    # segments (and layout headers) named by a multi-segment master header are parts of that
    # record, not records of their own (else the same signal would be measured twice)
    segments: set[str] = set()
    for _, rel, h in headers:
        if isinstance(h, dict) and h["multi_segment"]:
            folder = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
            segments.update(folder + name for name in h.get("segments", []) if name != "~")
    if segments:
        logger.info("%s: %d segment header(s) belong to multi-segment records and are read as part of them",
                    root, sum(rel in segments for _, rel, _ in headers))
    rows = []
    for hea, rel, h in headers:
        if rel in segments:
            continue
        row: dict[str, Any] = {"record_id": rel, "path": rel}
        try:
            if isinstance(h, InterpEcgError):
                raise h
            sigs = h["signals"]
            if h["multi_segment"]:
                parts = segment_headers(hea, h)
                sigs = parts[0][1]["signals"] if parts else []
            names = _record_lead_order([normalise_lead_name(s["sig_name"]) for s in sigs
                                        if _is_ecg_channel(s["units"], s["sig_name"])])
            c = parse_comments(h["comments"], source=str(hea))
            row.update(fs=h["fs"], n_leads=h["n_sig"], n_samples=h["sig_len"], leads=" ".join(names),
                       age=c.get("age", np.nan), sex=c.get("sex"), header_error="",
                       patient_id=patient_of_record(rel, h["comments"]))
        except InterpEcgError as err:
            logger.warning("bad header %s: %s", hea, err)
            row.update(fs=np.nan, n_leads=np.nan, n_samples=np.nan, leads="", age=np.nan, sex=None,
                       header_error=str(err), patient_id=patient_of_record(rel))
        rows.append(row)
    if not rows:
        raise RecordReadError("folder holds no .hea files", source=root)
    meta = pd.DataFrame(rows).set_index("record_id")
    meta.insert(0, "patient_id", pd.array(meta.pop("patient_id").tolist(), dtype="string"))
    if meta["patient_id"].isna().any():
        logger.info("%d of %d records of %s name no patient (header comment or patientNNN folder): their "
                    "patient_id is missing", int(meta["patient_id"].isna().sum()), len(meta), root)
    fss = meta["fs"].dropna().unique()
    lead_sets = meta.loc[meta["leads"] != "", "leads"].unique()
    leads = lead_sets[0].split() if len(lead_sets) == 1 else list(STANDARD_LEADS)
    return EcgDataset(
        meta, WfdbLoader(root, "path", expected_fs=expected_fs, required_leads=required_leads),
        fs=float(fss[0]) if len(fss) == 1 else None, leads=leads, name=root.name,
    )
