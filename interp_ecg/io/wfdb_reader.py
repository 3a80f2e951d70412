"""Reading WFDB records (``.hea`` + ``.dat`` / ``.mat``) into :class:`~interp_ecg.io.Record`.

The reader checks what it reads and says what is wrong, naming the file:

* header: missing, malformed, no sampling rate, non-positive sampling rate, unknown format;
* data: missing, truncated or too long for the header, checksum mismatch (header/data
  mismatch), invalid samples (NaN after conversion);
* leads: duplicated or missing required leads.

Signals are converted to millivolts from each channel's units (``mV``, ``uV``, ``V``...);
lead names are normalised to ``I II III aVR aVL aVF V1..V6``; the standard leads come first in
standard order and any other channel (Frank ``vx vy vz``, say) follows and is listed in
:attr:`Record.extra_leads`.

Format 16 single-file records (PTB-XL, LUDB, CinC 2021, MIMIC-IV-ECG) are read with one
``numpy.fromfile`` call after a fast header parse; other formats go through :mod:`wfdb`.

Examples
--------
>>> from interp_ecg.io.wfdb_reader import parse_header_text
>>> h = parse_header_text("r1 2 500 1000\\nr1.dat 16 200(0)/mV 12 0 0 0 0 I\\n"
...                       "r1.dat 16 200(0)/uV 12 0 0 0 0 V1\\n# Age: 61\\n")
>>> h["fs"], h["sig_len"], [s["units"] for s in h["signals"]], h["comments"]
(500.0, 1000, ['mV', 'uV'], ['Age: 61'])
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.errors import (
    InterpEcgError,
    LeadError,
    RecordReadError,
    SamplingRateError,
)
from interp_ecg.io.dataset import EcgDataset, Record
from interp_ecg.io.leads import STANDARD_LEADS, normalise_lead_name

logger = logging.getLogger(__name__)

#: Multipliers from a channel's units to millivolts (keys are lower case).
UNIT_TO_MV: dict[str, float] = {
    "mv": 1.0,
    "millivolt": 1.0,
    "millivolts": 1.0,
    "uv": 1e-3,
    "µv": 1e-3,
    "μv": 1e-3,
    "microvolt": 1e-3,
    "microvolts": 1e-3,
    "v": 1e3,
    "volt": 1e3,
    "volts": 1e3,
    "nv": 1e-6,
}

#: Lowest sampling rate accepted for records holding standard ECG leads (Hz).
MIN_ECG_FS = 50.0

#: Bytes per sample of the WFDB formats whose file size can be checked.
_BYTES_PER_SAMPLE = {"8": 1.0, "16": 2.0, "61": 2.0, "80": 1.0, "160": 2.0, "212": 1.5,
                     "24": 3.0, "32": 4.0, "310": 4.0 / 3.0, "311": 4.0 / 3.0}
#: Formats :mod:`wfdb` can read (and so can this module).
KNOWN_FORMATS = frozenset({"8", "16", "24", "32", "61", "80", "160", "212", "310", "311",
                           "508", "516", "524"})
#: The digital value each format uses for "no sample".
_INVALID = {"8": -128, "16": -32768, "61": -32768, "80": -128, "160": -32768, "212": -2048,
            "24": -(2**23), "32": -(2**31), "310": -512, "311": -512}

# MATLAB v4 type codes 'MOPT' (M=0 little endian, O=0, T=0 full matrix) -> element type
_MAT4_TYPES = {0: "<f8", 10: "<f4", 20: "<i4", 30: "<i2", 40: "<u2", 50: "<u1"}

_FMT_RE = re.compile(r"^(?P<fmt>\d+)(?:x(?P<spf>\d+))?(?::(?P<skew>\d+))?(?:\+(?P<offset>\d+))?$")
_GAIN_RE = re.compile(r"^(?P<gain>[-+0-9.eE]+)(?:\((?P<base>[-+0-9]+)\))?(?:/(?P<units>\S+))?$")


def _header_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if p.suffix.lower() in {".hea", ".dat", ".mat", ".xyz"}:
        p = p.with_suffix("")
    return p.with_name(p.name + ".hea")


def parse_header_text(text: str, source: str | None = None) -> dict[str, Any]:
    """Parse the text of a single-segment WFDB header.

    Parameters
    ----------
    text : str
        Contents of the ``.hea`` file.
    source : str, optional
        File name for error messages.

    Returns
    -------
    dict
        ``record_name``, ``n_sig``, ``fs`` (``None`` when the header gives none),
        ``sig_len``, ``signals`` (list of dicts: ``file_name``, ``fmt``, ``samps_per_frame``,
        ``skew``, ``byte_offset``, ``adc_gain``, ``baseline``, ``units``, ``adc_res``,
        ``adc_zero``, ``init_value``, ``checksum``, ``sig_name``), ``comments`` and
        ``multi_segment`` (True for a multi-segment record, which this parser does not
        describe further).

    Raises
    ------
    RecordReadError
        Empty or malformed header.
    """
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
    if not lines:
        raise RecordReadError("header is empty (no record line)", source=source)
    tokens = lines[0].split()
    name = tokens[0]
    multi = "/" in name
    try:
        n_sig = int(tokens[1]) if len(tokens) > 1 else 0
    except ValueError:
        raise RecordReadError(f"bad number of signals {tokens[1]!r} in record line", source=source) from None
    fs: float | None = None
    if len(tokens) > 2:
        fs_token = tokens[2].split("/")[0].split("(")[0]
        try:
            fs = float(fs_token)
        except ValueError:
            raise SamplingRateError(f"unreadable sampling rate {tokens[2]!r} in header", source=source) from None
    sig_len = None
    if len(tokens) > 3:
        try:
            sig_len = int(tokens[3])
        except ValueError:
            raise RecordReadError(f"bad number of samples {tokens[3]!r} in record line", source=source) from None
    header: dict[str, Any] = {
        "record_name": name.split("/")[0], "n_sig": n_sig, "fs": fs, "sig_len": sig_len,
        "signals": [], "comments": comments, "multi_segment": multi,
    }
    if multi:
        return header
    sig_lines = lines[1:]
    if len(sig_lines) != n_sig:
        raise RecordReadError(
            f"header announces {n_sig} signals but has {len(sig_lines)} signal lines", source=source
        )
    for i, line in enumerate(sig_lines):
        tok = line.split(maxsplit=8)
        if len(tok) < 2:
            raise RecordReadError(f"signal line {i + 1} has no format field", source=source)
        m = _FMT_RE.match(tok[1])
        if m is None:
            raise RecordReadError(f"unknown format {tok[1]!r} for signal {i + 1}", source=source)
        sig = {
            "file_name": tok[0], "fmt": m["fmt"], "samps_per_frame": int(m["spf"] or 1),
            "skew": int(m["skew"] or 0), "byte_offset": int(m["offset"] or 0),
            "adc_gain": 200.0, "baseline": None, "units": "mV", "adc_res": 0, "adc_zero": 0,
            "init_value": None, "checksum": None, "sig_name": f"ch{i + 1}",
        }
        if len(tok) > 2:
            g = _GAIN_RE.match(tok[2])
            if g is None:
                raise RecordReadError(f"bad gain field {tok[2]!r} for signal {i + 1}", source=source)
            gain = float(g["gain"])
            sig["adc_gain"] = gain if gain != 0 else 200.0
            sig["baseline"] = None if g["base"] is None else int(g["base"])
            sig["units"] = g["units"] or "mV"
        try:
            if len(tok) > 3:
                sig["adc_res"] = int(tok[3])
            if len(tok) > 4:
                sig["adc_zero"] = int(tok[4])
            if len(tok) > 5:
                sig["init_value"] = int(tok[5])
            if len(tok) > 6:
                sig["checksum"] = int(tok[6])
        except ValueError:
            raise RecordReadError(f"malformed signal line {i + 1}: {line!r}", source=source) from None
        if len(tok) > 8:
            sig["sig_name"] = tok[8].strip()
        if sig["baseline"] is None:
            sig["baseline"] = sig["adc_zero"]
        header["signals"].append(sig)
    return header


def read_header(path: str | os.PathLike) -> dict[str, Any]:
    """Read and parse a ``.hea`` file (see :func:`parse_header_text`).

    Raises
    ------
    RecordReadError
        When the header file is missing or unreadable.
    """
    hea = _header_path(path)
    try:
        text = hea.read_text(encoding="latin-1")
    except FileNotFoundError:
        raise RecordReadError("header file not found", source=hea) from None
    except OSError as err:
        raise RecordReadError(f"cannot read header: {err}", source=hea) from None
    return parse_header_text(text, source=str(hea))


_COMMENT_FIELDS = {
    "age": re.compile(r"^<?age>?\s*[:=]\s*(?P<v>\S+)", re.I),
    "sex": re.compile(r"^<?sex>?\s*[:=]\s*(?P<v>\S+)", re.I),
}


def parse_age(value: Any) -> float:
    """Age as a float, NaN when unknown (``"NaN"``, ``"Unknown"``, ``""``, ``">89"`` gives 90).

    Examples
    --------
    >>> parse_age("78"), parse_age(">89"), parse_age("Unknown")
    (78.0, 90.0, nan)
    """
    if value is None:
        return float("nan")
    text = str(value).strip()
    if text.startswith(">"):
        try:
            return float(text[1:]) + 1
        except ValueError:
            return float("nan")
    try:
        out = float(text)
    except ValueError:
        return float("nan")
    return out if np.isfinite(out) and out >= 0 else float("nan")


def parse_sex(value: Any) -> Any:
    """``"M"``, ``"F"`` or ``None`` from the many spellings used in ECG files.

    Examples
    --------
    >>> parse_sex("Male"), parse_sex("female"), parse_sex(1), parse_sex("Unknown")
    ('M', 'F', 'F', None)
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    text = str(value).strip().lower()
    if text in {"m", "male", "man", "0", "0.0"}:
        return "M"
    if text in {"f", "female", "woman", "w", "1", "1.0"}:
        return "F"
    return None


def parse_comments(comments: Sequence[str]) -> dict[str, Any]:
    """Age and sex from header comments (``Age: 78``, ``<sex>: F``, ``age: 81``)."""
    out: dict[str, Any] = {}
    for line in comments:
        for key, rx in _COMMENT_FIELDS.items():
            m = rx.match(line.strip())
            if m and key not in out:
                out[key] = parse_age(m["v"]) if key == "age" else parse_sex(m["v"])
    return out


def _expected_bytes(signals: list[dict], sig_len: int) -> dict[str, float]:
    """Expected size (bytes) of each data file, or nothing for formats whose size is unknown."""
    per_file: dict[str, list[dict]] = {}
    for s in signals:
        per_file.setdefault(s["file_name"], []).append(s)
    out: dict[str, float] = {}
    for fname, sigs in per_file.items():
        if any(s["fmt"] not in _BYTES_PER_SAMPLE for s in sigs):
            continue
        if len({s["fmt"] for s in sigs}) != 1 or any(s["skew"] for s in sigs):
            continue
        frame = sum(s["samps_per_frame"] for s in sigs)
        size = sig_len * frame * _BYTES_PER_SAMPLE[sigs[0]["fmt"]]
        out[fname] = sigs[0]["byte_offset"] + int(np.ceil(size))
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


def _to_millivolt_factor(units: str, name: str, source: str) -> float | None:
    key = units.strip().lower()
    if key in UNIT_TO_MV:
        return UNIT_TO_MV[key]
    if normalise_lead_name(name) in STANDARD_LEADS:
        raise RecordReadError(f"lead {name!r} has units {units!r}, not a voltage", source=source)
    return None


def _read_digital(base: Path, header: dict, source: str) -> np.ndarray:
    """Digital samples ``(n_samples, n_sig)`` as int64, validated against the header."""
    signals = header["signals"]
    sig_len = header["sig_len"]
    fmts = {s["fmt"] for s in signals}
    unknown = sorted(fmts - KNOWN_FORMATS)
    if unknown:
        raise RecordReadError(f"unknown WFDB format(s) {unknown}", source=source)
    if sig_len is None:
        raise RecordReadError("header gives no number of samples", source=source)
    folder = base.parent
    expected = _expected_bytes(signals, sig_len)
    for fname in dict.fromkeys(s["file_name"] for s in signals):
        fpath = folder / fname
        if not fpath.is_file():
            raise RecordReadError("data file not found", source=fpath)
        if fname.lower().endswith(".mat"):
            _check_mat_v4(fpath, sum(1 for s in signals if s["file_name"] == fname), sig_len)
        if fname in expected:
            size = fpath.stat().st_size
            want = expected[fname]
            if size < want:
                raise RecordReadError(
                    f"truncated data file: {size} bytes, header needs {want} "
                    f"({sig_len} samples x {sum(1 for s in signals if s['file_name'] == fname)} signals)",
                    source=fpath,
                )
            if size > want:
                raise RecordReadError(
                    f"header/data mismatch: file has {size} bytes, header describes {want}",
                    source=fpath,
                )
    simple = (
        fmts == {"16"} and len({s["file_name"] for s in signals}) == 1
        and all(s["samps_per_frame"] == 1 and s["skew"] == 0 for s in signals)
    )
    if simple:
        fpath = folder / signals[0]["file_name"]
        n_sig = len(signals)
        try:
            raw = np.fromfile(fpath, dtype="<i2", count=sig_len * n_sig, offset=signals[0]["byte_offset"])
        except OSError as err:
            raise RecordReadError(f"cannot read data: {err}", source=fpath) from None
        if raw.size != sig_len * n_sig:
            raise RecordReadError(f"truncated data file: {raw.size} of {sig_len * n_sig} samples", source=fpath)
        return raw.reshape(sig_len, n_sig).astype(np.int64)
    import wfdb

    try:
        rec = wfdb.rdrecord(str(base), physical=False, return_res=64)
    except FileNotFoundError as err:
        raise RecordReadError(f"data file not found: {err}", source=source) from None
    except Exception as err:  # noqa: BLE001 - wfdb raises many kinds; name them
        raise RecordReadError(f"unreadable record ({type(err).__name__}: {err})", source=source) from None
    d = rec.d_signal
    if d is None or d.shape != (sig_len, len(signals)):
        shape = None if d is None else d.shape
        raise RecordReadError(f"data shape {shape} does not match header ({sig_len}, {len(signals)})", source=source)
    return d.astype(np.int64)


def read_wfdb_record(
    path: str | os.PathLike,
    record_id: Any = None,
    expected_fs: float | None = None,
    required_leads: Sequence[str] | None = None,
    check_checksum: bool = True,
    header: dict | None = None,
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
    header : dict, optional
        An already parsed header (skips reading it again).

    Returns
    -------
    Record
        ``signal`` float32 ``(n_leads, n_samples)`` mV; standard leads first, in standard
        order; other channels after them, named in ``extra_leads``; ``meta`` holds ``age``,
        ``sex`` parsed from comments, ``comments`` and ``units`` as written.

    Raises
    ------
    RecordReadError, SamplingRateError, LeadError, SignalQualityError
        Naming the file and the problem.
    """
    base = _header_path(path).with_suffix("")
    hea = str(_header_path(path))
    if header is None:
        header = read_header(base)
    if header["multi_segment"]:
        return _read_multisegment(base, record_id, expected_fs, required_leads)
    fs = header["fs"]
    if fs is None:
        raise SamplingRateError("header gives no sampling rate", source=hea)
    if not np.isfinite(fs) or fs <= 0:
        raise SamplingRateError(f"invalid sampling rate {fs!r} in header", source=hea)
    if expected_fs is not None and abs(fs - float(expected_fs)) > 1e-6:
        raise SamplingRateError(f"sampling rate {fs:g} Hz, expected {float(expected_fs):g} Hz", source=hea)
    signals = header["signals"]
    if not signals:
        raise LeadError("header describes no signals", source=hea)
    names = [normalise_lead_name(s["sig_name"]) for s in signals]
    if fs < MIN_ECG_FS and any(n in STANDARD_LEADS for n in names):
        raise SamplingRateError(
            f"sampling rate {fs:g} Hz is too low for ECG leads (< {MIN_ECG_FS:g} Hz)", source=hea
        )
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise LeadError(f"duplicate leads {dups}", source=hea)
    if required_leads is not None:
        missing = [normalise_lead_name(n) for n in required_leads if normalise_lead_name(n) not in names]
        if missing:
            raise LeadError(f"missing leads {missing} (has {names})", source=hea)
    digital = _read_digital(base, header, hea)
    if check_checksum and any(s["checksum"] is not None for s in signals):
        sums = digital.sum(axis=0) % 65536
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
    factors = []
    for s in signals:
        f = _to_millivolt_factor(s["units"], s["sig_name"], hea)
        factors.append(1.0 if f is None else f)
    scale = np.asarray(factors) / gains
    phys = (digital - baselines) * scale
    bad = digital == invalid
    if bad.any():
        phys[bad] = np.nan
    order = [names.index(n) for n in STANDARD_LEADS if n in names]
    extra = [j for j, n in enumerate(names) if n not in STANDARD_LEADS]
    idx = order + extra
    signal = np.ascontiguousarray(phys.T[idx], dtype=np.float32)
    leads = [names[j] for j in idx]
    meta = {"comments": header["comments"], "units": [signals[j]["units"] for j in idx]}
    meta.update(parse_comments(header["comments"]))
    rid = header["record_name"] if record_id is None else record_id
    return Record(
        id=str(rid), signal=signal, fs=float(fs), leads=leads, meta=meta, source=hea,
        extra_leads=[names[j] for j in extra],
    )


def _read_multisegment(base: Path, record_id, expected_fs, required_leads) -> Record:
    import wfdb

    hea = str(base) + ".hea"
    try:
        rec = wfdb.rdrecord(str(base), physical=True, m2s=True, return_res=64)
    except Exception as err:  # noqa: BLE001
        raise RecordReadError(f"unreadable multi-segment record ({type(err).__name__}: {err})", source=hea) from None
    fs = float(rec.fs)
    if expected_fs is not None and abs(fs - float(expected_fs)) > 1e-6:
        raise SamplingRateError(f"sampling rate {fs:g} Hz, expected {float(expected_fs):g} Hz", source=hea)
    names = [normalise_lead_name(n) for n in rec.sig_name]
    if len(set(names)) != len(names):
        raise LeadError(f"duplicate leads in {names}", source=hea)
    if required_leads is not None:
        missing = [n for n in map(normalise_lead_name, required_leads) if n not in names]
        if missing:
            raise LeadError(f"missing leads {missing} (has {names})", source=hea)
    factors = np.array([UNIT_TO_MV.get(str(u).lower(), 1.0) for u in rec.units])
    phys = rec.p_signal * factors
    order = [names.index(n) for n in STANDARD_LEADS if n in names]
    extra = [j for j, n in enumerate(names) if n not in STANDARD_LEADS]
    idx = order + extra
    return Record(
        id=str(rec.record_name if record_id is None else record_id),
        signal=np.ascontiguousarray(phys.T[idx], dtype=np.float32), fs=fs,
        leads=[names[j] for j in idx], meta={"comments": rec.comments}, source=hea,
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
        ``fs``, ``n_leads``, ``n_samples``, ``leads`` (space-separated), ``patient_id``
        (the record id; WFDB headers carry no patient id), ``age`` and ``sex`` from header
        comments where written. Headers that cannot be parsed are kept with
        ``header_error`` set, so :meth:`EcgDataset.scan` reports them.

    Raises
    ------
    RecordReadError
        When the path is neither a record nor a folder.

    Examples
    --------
    A record written in microvolts with lower-case lead names comes back in mV, standard
    names, standard order:

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
    {'fs': 500.0, 'n_leads': 2, 'leads': 'aVR II'}
    >>> import shutil; shutil.rmtree(folder)
    """
    p = Path(path_or_dir)
    if p.is_dir():
        return _read_wfdb_dir(p, expected_fs, required_leads, recursive)
    if not _header_path(p).exists():
        raise RecordReadError("no such WFDB record or folder", source=p)
    return read_wfdb_record(p, expected_fs=expected_fs, required_leads=required_leads)


def _read_wfdb_dir(root: Path, expected_fs, required_leads, recursive: bool) -> EcgDataset:
    pattern = "**/*.hea" if recursive else "*.hea"
    rows = []
    for hea in sorted(root.glob(pattern)):
        rel = hea.relative_to(root).with_suffix("").as_posix()
        row: dict[str, Any] = {"record_id": rel, "path": rel}
        try:
            h = read_header(hea)
            names = [normalise_lead_name(s["sig_name"]) for s in h["signals"]]
            c = parse_comments(h["comments"])
            row.update(fs=h["fs"], n_leads=h["n_sig"], n_samples=h["sig_len"], leads=" ".join(names),
                       age=c.get("age", np.nan), sex=c.get("sex"), header_error="")
        except InterpEcgError as err:
            logger.warning("bad header %s: %s", hea, err)
            row.update(fs=np.nan, n_leads=np.nan, n_samples=np.nan, leads="", age=np.nan, sex=None,
                       header_error=str(err))
        rows.append(row)
    if not rows:
        raise RecordReadError("folder holds no .hea files", source=root)
    meta = pd.DataFrame(rows).set_index("record_id")
    meta.insert(0, "patient_id", meta.index.to_numpy())
    fss = meta["fs"].dropna().unique()
    lead_sets = meta.loc[meta["leads"] != "", "leads"].unique()
    leads = lead_sets[0].split() if len(lead_sets) == 1 else list(STANDARD_LEADS)
    return EcgDataset(
        meta, WfdbLoader(root, "path", expected_fs=expected_fs, required_leads=required_leads),
        fs=float(fss[0]) if len(fss) == 1 else None, leads=leads, name=root.name,
    )
