"""LUDB reader: 200 ten-second 12-lead records with per-lead P/QRS/T delineation.

Layout read::

    root/ludb.csv            ID, Sex, Age, Rhythms, Electric axis of the heart, ... (cells may
                             hold several diagnoses, one per line)
    root/data/<id>.hea/.dat  WFDB records, 500 Hz, 12 leads, mV
    root/data/<id>.<lead>    per-lead annotations (``i ii iii avr avl avf v1 ... v6``):
                             ``(`` onset, ``p``/``N``/``t`` peak, ``)`` offset

The annotation files are parsed by a small reader of the MIT annotation format (faster than
one :func:`wfdb.rdann` call per file). LUDB leaves the first and last cardiac cycles of each
record unannotated: :func:`ludb_annotated_span` gives, per record and lead, the first and last
annotated sample, so a delineation benchmark scores detections inside that span only.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.io.ludb import triplets_from_symbols
>>> triplets_from_symbols(np.array([10, 20, 30, 40, 50]), np.array(["(", "N", ")", "t", ")"]))
[('QRS', 10, 20, 30)]
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from interp_ecg.errors import DataNotFoundError, RecordReadError
from interp_ecg.io.dataset import EcgDataset
from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg.io.wfdb_reader import WfdbLoader, parse_age, parse_sex

logger = logging.getLogger(__name__)

#: Annotation file extension of each standard lead in LUDB.
LUDB_LEAD_EXT = {lead: lead.lower() for lead in STANDARD_LEADS}
#: Peak symbol of each wave.
WAVE_OF_SYMBOL = {"p": "P", "N": "QRS", "t": "T"}

# MIT annotation codes (label_store) used by LUDB and the special codes of the format
_CODE_SYMBOL = {1: "N", 24: "p", 27: "t", 39: "(", 40: ")"}
_SKIP, _NUM, _SUB, _CHN, _AUX = 59, 60, 61, 62, 63


def read_mit_annotations(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Sample indices and symbols of an MIT-format annotation file.

    Only the symbols are decoded (``N p t ( )`` by name, others as ``"?<code>"``);
    ``SKIP`` intervals and ``NUM/SUB/CHN/AUX`` fields are honoured and skipped.

    Raises
    ------
    RecordReadError
        Missing or malformed file.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RecordReadError("annotation file not found", source=path) from None
    if len(data) % 2:
        data = data + b"\x00"
    words = np.frombuffer(data, dtype="<u2")
    samples: list[int] = []
    symbols: list[str] = []
    t = 0
    i = 0
    n = len(words)
    while i < n:
        w = int(words[i])
        code, value = w >> 10, w & 0x3FF
        i += 1
        if code == 0 and value == 0:
            break
        if code == _SKIP:
            if i + 2 > n:
                raise RecordReadError("truncated SKIP field", source=path)
            hi, lo = int(words[i]), int(words[i + 1])
            delta = (hi << 16) | lo
            if delta >= 2**31:
                delta -= 2**32
            t += delta
            i += 2
        elif code in (_NUM, _SUB, _CHN):
            continue
        elif code == _AUX:
            i += (value + 1) // 2
        else:
            t += value
            samples.append(t)
            symbols.append(_CODE_SYMBOL.get(code, f"?{code}"))
    return np.asarray(samples, dtype=np.int64), np.asarray(symbols, dtype=object)


def triplets_from_symbols(samples: np.ndarray, symbols: np.ndarray, complete_only: bool = True) -> list:
    """Group ``( peak )`` annotations into ``(wave, on, peak, off)`` tuples.

    With ``complete_only=False`` a peak without its onset or offset gives ``-1`` there.
    """
    out = []
    n = len(symbols)
    for k in range(n):
        wave = WAVE_OF_SYMBOL.get(symbols[k])
        if wave is None:
            continue
        on = samples[k - 1] if k > 0 and symbols[k - 1] == "(" else -1
        off = samples[k + 1] if k + 1 < n and symbols[k + 1] == ")" else -1
        if complete_only and (on < 0 or off < 0):
            continue
        out.append((wave, int(on), int(samples[k]), int(off)))
    return out


def read_ludb_annotations(root: str | os.PathLike, records=None, complete_only: bool = True) -> pd.DataFrame:
    """The per-lead annotations of LUDB as one table.

    Parameters
    ----------
    root : str or path-like
        LUDB folder (holding ``data/``).
    records : iterable of int, optional
        Record ids (default: every record with a header in ``data/``).
    complete_only : bool, default True
        Keep only complete ``on, peak, off`` triplets; else incomplete ones carry NaN.

    Returns
    -------
    pandas.DataFrame
        ``record, lead, wave, on, peak, off`` (sample indices at 500 Hz), sorted by record,
        lead (standard order) and time.
    """
    data = Path(root) / "data"
    if records is None:
        records = sorted(int(p.stem) for p in data.glob("*.hea") if p.stem.isdigit())
    rows = []
    for rec in records:
        for lead, ext in LUDB_LEAD_EXT.items():
            f = data / f"{rec}.{ext}"
            if not f.is_file():
                logger.warning("LUDB annotation file missing: %s", f)
                continue
            samples, symbols = read_mit_annotations(f)
            for wave, on, peak, off in triplets_from_symbols(samples, symbols, complete_only):
                rows.append((rec, lead, wave, on, peak, off))
    ann = pd.DataFrame(rows, columns=["record", "lead", "wave", "on", "peak", "off"])
    ann["lead"] = pd.Categorical(ann["lead"], categories=list(STANDARD_LEADS), ordered=True)
    ann["wave"] = pd.Categorical(ann["wave"], categories=["P", "QRS", "T"])
    if not complete_only:
        for col in ("on", "off"):
            ann[col] = ann[col].astype(float).where(ann[col] >= 0)
    ann = ann.sort_values(["record", "lead", "peak"], kind="stable").reset_index(drop=True)
    # plain strings after sorting in standard lead order: no categorical surprises downstream
    ann["lead"] = ann["lead"].astype(str)
    ann["wave"] = ann["wave"].astype(str)
    return ann


def ludb_annotated_span(annotations: pd.DataFrame) -> pd.DataFrame:
    """First and last annotated sample per record and lead.

    LUDB does not annotate the first and last cycles; detections outside
    ``[first, last]`` cannot be scored.

    Parameters
    ----------
    annotations : pandas.DataFrame
        ``record, lead, on, peak, off`` as in :attr:`EcgDataset.annotations` of
        :func:`read_ludb`.

    Returns
    -------
    pandas.DataFrame
        ``record, lead, first, last`` (sample indices, inclusive).

    Examples
    --------
    >>> from interp_ecg.io import ludb_annotated_span
    >>> import pandas as pd
    >>> ann = pd.DataFrame({"record": [1, 1], "lead": ["I", "I"], "wave": ["P", "QRS"],
    ...                     "on": [100, 180], "peak": [120, 200], "off": [140, 230]})
    >>> ludb_annotated_span(ann)
       record lead  first  last
    0       1    I    100   230
    """
    cols = [c for c in ("on", "peak", "off") if c in annotations.columns]
    lo = annotations[cols].min(axis=1)
    hi = annotations[cols].max(axis=1)
    tmp = pd.DataFrame({"record": annotations["record"].to_numpy(),
                        "lead": annotations["lead"].astype(str).to_numpy(), "first": lo, "last": hi})
    out = tmp.groupby(["record", "lead"], sort=False).agg(first=("first", "min"), last=("last", "max"))
    out = out.reset_index()
    out["first"] = out["first"].astype(np.int64)
    out["last"] = out["last"].astype(np.int64)
    return out


_LABEL_COLUMNS = {
    "Rhythms": "rhythm",
    "Electric axis of the heart": "axis",
    "Conduction abnormalities": "conduction",
    "Extrasystolies": "extrasystoles",
    "Hypertrophies": "hypertrophy",
    "Cardiac pacing": "pacing",
    "Ischemia": "ischemia",
    "Non-specific repolarization abnormalities": "repolarization",
    "Other states": "other",
}


def _read_ludb_table(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    raw = pd.read_csv(path, dtype=str)
    raw.columns = [c.strip() for c in raw.columns]
    ids = pd.to_numeric(raw["ID"].str.strip(), errors="coerce").astype("Int64")
    meta = pd.DataFrame(index=pd.Index(ids.to_numpy(dtype=np.int64), name="record_id"))
    meta["patient_id"] = meta.index.to_numpy()  # one record per patient in LUDB
    meta["age"] = [parse_age(a) for a in raw.get("Age", pd.Series([None] * len(raw))).str.strip()]
    meta["sex"] = pd.Series([parse_sex(s) for s in raw["Sex"].str.strip()], index=meta.index, dtype="string")
    meta["female"] = (meta["sex"] == "F").astype(float).where(meta["sex"].notna())
    label_rows: dict[str, np.ndarray] = {}
    category: dict[str, str] = {}
    for col, short in _LABEL_COLUMNS.items():
        if col not in raw.columns:
            continue
        cells = raw[col].fillna("").str.split("\n").apply(lambda xs: [x.strip() for x in xs if x.strip()])
        meta[short] = pd.Series(["; ".join(x) for x in cells], index=meta.index, dtype="string")
        for i, items in enumerate(cells):
            for item in items:
                if item not in label_rows:
                    label_rows[item] = np.zeros(len(raw), dtype=np.uint8)
                    category[item] = short
                label_rows[item][i] = 1
    labels = pd.DataFrame(label_rows, index=meta.index)
    labels.columns.name = "diagnosis"
    return meta, labels, pd.Series(category, name="category")


def read_ludb(root: str | os.PathLike, complete_only: bool = True) -> EcgDataset:
    """Read LUDB as a lazy :class:`EcgDataset` with its delineation annotations.

    Parameters
    ----------
    root : str or path-like
        The LUDB folder (``ludb.csv``, ``data/``).
    complete_only : bool, default True
        Annotations: only complete ``on, peak, off`` triplets (21,843 QRS, 19,650 T and
        16,796 P in LUDB 1.0.1).

    Returns
    -------
    EcgDataset
        ``meta`` indexed by record number (1-200) with ``patient_id``, ``age`` (``>89`` read
        as 90), ``sex`` (``"M"``/``"F"``), ``female`` and one text column per diagnosis group
        (``rhythm``, ``axis``, ``conduction``...); ``labels`` multi-hot over every diagnosis
        written in ``ludb.csv`` (``extras["label_category"]`` names the group of each);
        ``annotations`` as :func:`read_ludb_annotations`; ``extras["annotated_span"]`` as
        :func:`ludb_annotated_span`.
    """
    root = Path(root)
    table = root / "ludb.csv"
    if not table.is_file():
        raise DataNotFoundError("ludb.csv not found", source=table)
    if not (root / "data").is_dir():
        raise DataNotFoundError("LUDB data folder not found", source=root / "data")
    meta, labels, category = _read_ludb_table(table)
    meta["path"] = pd.Series([f"data/{i}" for i in meta.index], index=meta.index, dtype="string")
    every = read_ludb_annotations(root, list(meta.index), complete_only=False)
    span = ludb_annotated_span(every)
    if complete_only:
        annotations = every.dropna(subset=["on", "off"]).reset_index(drop=True)
        annotations["on"] = annotations["on"].astype(np.int64)
        annotations["off"] = annotations["off"].astype(np.int64)
    else:
        annotations = every
    return EcgDataset(
        meta, WfdbLoader(root, "path", expected_fs=500, required_leads=STANDARD_LEADS, standard_only=True),
        labels=labels, fs=500.0, leads=list(STANDARD_LEADS), name="ludb", annotations=annotations,
        extras={"label_category": category, "annotated_span": span,
                "root": str(root)},
    )


__all__ = [
    "ludb_annotated_span",
    "read_ludb",
    "read_ludb_annotations",
    "read_mit_annotations",
    "triplets_from_symbols",
]
