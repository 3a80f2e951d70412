"""PhysioNet/CinC Challenge 2021 reader (``.mat`` + ``.hea``), and SNOMED -> PTB-XL labels.

Layout read (any depth below ``root``)::

    <record>.hea   WFDB header; comments ``# Age: 78``, ``# Sex: Male``, ``# Dx: 164889003,...``
    <record>.mat   MATLAB v4 matrix ``val`` (n_leads x n_samples, int16), WFDB format ``16+24``
    dx_mapping_scored.csv, dx_mapping_unscored.csv   SNOMED code -> name, abbreviation

Labels are multi-hot over SNOMED CT codes, one column per code, named by the challenge's
abbreviation (``AF``, ``SB``, ``IAVB``...) when the mapping files know it, else by the code.

:func:`cinc_to_ptbxl_labels` turns them into PTB-XL statement labels with the table
``interp_ecg/data/snomed_to_ptbxl.csv`` (written for this package): each row maps one SNOMED
code to one PTB-XL statement with a ``relation``:

* ``same``: the two codes name the same finding (AF -> AFIB, SB -> SBRAD, LQT -> LNGQT...);
* ``equivalent``: different codes the CinC 2021 scoring counts as one class, or that PTB-XL
  names with one statement (RBBB -> CRBBB, VPB -> PVC, LAH/LAA -> LAO/LAE...);
* ``narrower``: the SNOMED finding is a kind of the PTB-XL statement (Mobitz II -> 2AVB);
* ``approximate``: close but not identical (nonspecific ST-T abnormality -> NST_); used only
  when asked for.

Use CinC 2021 for external validation only (other hospitals, other devices).

Examples
--------
>>> from interp_ecg.io.cinc import snomed_to_ptbxl_map
>>> m = snomed_to_ptbxl_map()
>>> m.loc[m["cinc_abbreviation"] == "AF", "ptbxl_code"].item()
'AFIB'
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from interp_ecg.errors import ArgumentError, DataNotFoundError, InterpEcgError
from interp_ecg.io.dataset import EcgDataset
from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg.io.wfdb_reader import WfdbLoader, find_headers, parse_comments, read_header

logger = logging.getLogger(__name__)

#: Relations of :func:`snomed_to_ptbxl_map` used by default ("means the same thing").
DEFAULT_RELATIONS = ("same", "equivalent", "narrower")
_DATA_DIR = Path(__file__).resolve().parent.parent / "data"

def snomed_to_ptbxl_map() -> pd.DataFrame:
    """The package's SNOMED CT -> PTB-XL statement table.

    Returns
    -------
    pandas.DataFrame
        ``snomed_code`` (str), ``cinc_abbreviation``, ``snomed_name``, ``ptbxl_code``,
        ``relation`` (``same``, ``equivalent``, ``narrower``, ``approximate``), ``note``.
    """
    return pd.read_csv(_DATA_DIR / "snomed_to_ptbxl.csv", dtype=str, keep_default_na=False)


def read_dx_mapping(root: str | os.PathLike) -> pd.DataFrame:
    """SNOMED code -> ``name``, ``abbreviation``, ``scored`` from the challenge's mapping files.

    Missing files give an empty table (labels are then named by code).
    """
    root = Path(root)
    parts = []
    for fname, scored in (("dx_mapping_scored.csv", True), ("dx_mapping_unscored.csv", False)):
        path = root / fname
        if not path.is_file():
            logger.warning("%s not found; SNOMED codes it names stay unnamed", path)
            continue
        t = pd.read_csv(path, dtype=str)
        parts.append(pd.DataFrame({
            "snomed_code": t["SNOMEDCTCode"].str.strip(), "name": t["Dx"].str.strip(),
            "abbreviation": t["Abbreviation"].str.strip(), "scored": scored,
        }))
    if not parts:
        return pd.DataFrame(columns=["name", "abbreviation", "scored"], index=pd.Index([], name="snomed_code"))
    out = pd.concat(parts, ignore_index=True).drop_duplicates("snomed_code")
    return out.set_index("snomed_code")


class CincLoader(WfdbLoader):
    """:class:`WfdbLoader` for CinC records (``.mat`` headers are checked by the WFDB reader)."""


def _source_of(name: str) -> str:
    """Challenge source database from the record name prefix."""
    if name.startswith("JS"):
        digits = name[2:]
        return "Chapman_Shaoxing" if digits.isdigit() and int(digits) <= 10646 else "Ningbo"
    for prefix, source in (("HR", "PTB_XL"), ("E", "Georgia"), ("A", "CPSC"), ("Q", "CPSC_Extra"),
                           ("I", "StPetersburg"), ("S", "PTB")):
        if name.startswith(prefix):
            return source
    return "unknown"


def read_cinc(root: str | os.PathLike, required_leads: Sequence[str] | None = STANDARD_LEADS) -> EcgDataset:
    """Read a CinC 2021 folder (``.hea`` + ``.mat``, any depth) as a lazy :class:`EcgDataset`.

    Only the headers are read; signals are read on demand.

    Parameters
    ----------
    root : str or path-like
        Folder holding the records and, optionally, ``dx_mapping_*.csv``.
    required_leads : sequence of str or None
        Leads every record must have (default the standard twelve).

    Returns
    -------
    EcgDataset
        ``meta`` indexed by record name with ``patient_id`` (missing: the challenge gives no
        patient ids, and a record name is not one; patient-wise splits and bootstraps take each
        record as a patient of its own and say so, see :func:`interp_ecg.evaluate.patient_groups`), ``age``, ``sex`` (``"M"``/``"F"``), ``female``, ``fs``,
        ``n_samples``, ``dx`` (codes as written), ``source`` (Georgia, PTB_XL, Ningbo...),
        ``path``, ``header_error``; ``labels`` multi-hot over SNOMED codes (columns named by
        abbreviation); ``extras["dx_codes"]`` maps each label column to its SNOMED code and
        ``extras["dx_mapping"]`` is :func:`read_dx_mapping`.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataNotFoundError("CinC folder not found", source=root)
    rows = []
    for hea in find_headers(root):
        rel = hea.relative_to(root).with_suffix("").as_posix()
        row = {"record_id": hea.stem, "path": rel}
        try:
            h = read_header(hea)
            info = {}
            for line in h["comments"]:
                key, _, value = line.partition(":")
                info[key.strip().lower()] = value.strip()
            person = parse_comments(h["comments"], source=str(hea))  # words only, ages 0-120
            row.update(age=person.get("age", np.nan), sex=person.get("sex"), fs=h["fs"],
                       n_samples=h["sig_len"], dx=info.get("dx", ""), header_error="")
        except InterpEcgError as err:
            logger.warning("bad CinC header %s: %s", hea, err)
            row.update(age=np.nan, sex=None, fs=np.nan, n_samples=np.nan, dx="", header_error=str(err))
        rows.append(row)
    if not rows:
        raise DataNotFoundError("no .hea files in CinC folder", source=root)
    meta = pd.DataFrame(rows).set_index("record_id")
    if meta.index.duplicated().any():
        dup = meta.index[meta.index.duplicated()].unique()[:5].tolist()
        logger.warning("duplicate CinC record names %s: ids made unique by path", dup)
        meta.index = pd.Index(meta["path"].to_numpy(), name="record_id")
    meta.insert(0, "patient_id", pd.array([pd.NA] * len(meta), dtype="string"))  # not given by the challenge
    meta["sex"] = meta["sex"].astype("string")
    meta["female"] = (meta["sex"] == "F").astype(float).where(meta["sex"].notna())
    meta["source"] = [_source_of(n) for n in meta.index.str.rsplit("/", n=1).str[-1]]

    mapping = read_dx_mapping(root)
    codes = meta["dx"].fillna("").str.split(",").explode().str.strip()
    codes = codes[codes != ""]
    known = list(mapping.index)
    extra = sorted(set(codes) - set(known))
    all_codes = known + extra
    col_of = {c: (mapping.loc[c, "abbreviation"] if c in mapping.index else c) for c in all_codes}
    arr = np.zeros((len(meta), len(all_codes)), dtype=np.uint8)
    pos = meta.index.get_indexer(codes.index)
    arr[pos, pd.Index(all_codes).get_indexer(codes.to_numpy())] = 1
    labels = pd.DataFrame(arr, index=meta.index, columns=pd.Index([col_of[c] for c in all_codes], name="dx"))
    fss = meta["fs"].dropna().unique()
    return EcgDataset(
        meta, CincLoader(root, "path", required_leads=required_leads, standard_only=True),
        labels=labels, fs=float(fss[0]) if len(fss) == 1 else None, leads=list(STANDARD_LEADS),
        name="cinc2021",
        extras={"dx_codes": pd.Series(all_codes, index=labels.columns, name="snomed_code"),
                "dx_mapping": mapping, "root": str(root)},
    )


#: SNOMED CT code of (normal) sinus rhythm: the code CinC 2021 gave PTB-XL's NORM records
NSR_SNOMED = "426783006"


def cinc_to_ptbxl_labels(
    ds: EcgDataset, relations: Sequence[str] = DEFAULT_RELATIONS, statements: Sequence[str] | None = None,
    unmapped: str = "unknown",
) -> pd.DataFrame:
    """PTB-XL statement labels of a CinC dataset via :func:`snomed_to_ptbxl_map`.

    A statement is 1 when any SNOMED code mapped to it is present. It is 0 only when the
    record carries no code that the mapping cannot place: a record with a code that has no
    row under ``relations`` (an unmapped or only ``approximate`` code) could carry the
    statement under that code, so its non-positive statements are NaN (unknown), and a
    statement no code maps to is NaN everywhere. ``NORM`` (PTB-XL "normal ECG") has no
    SNOMED code of its own; CinC 2021 coded PTB-XL's NORM records as sinus rhythm
    (426783006), so ``NORM`` is 1 when sinus rhythm is the record's only code and NaN
    otherwise (whether other findings exclude a normal ECG is for the caller, who knows
    PTB-XL's diagnostic classes, to decide).

    Parameters
    ----------
    ds : EcgDataset
        From :func:`read_cinc`.
    relations : sequence of str
        Which mapping rows to use (default ``same``, ``equivalent``, ``narrower``; add
        ``approximate`` for the loose ones).
    statements : sequence of str, optional
        PTB-XL statements to return as columns (e.g. ``read_ptbxl(...).labels.columns``);
        statements no SNOMED code maps to are all-NaN columns. Default: the mapped ones.
    unmapped : {"unknown", "negative"}
        ``"unknown"`` (default): as above. ``"negative"``: the old reading, in which a
        statement without a mapped code is 0 whatever else the record carries (NaN nowhere,
        ``NORM`` 0 unless sinus rhythm is the only code).

    Returns
    -------
    pandas.DataFrame
        ``float`` 1/0/NaN, indexed like ``ds.labels``, one column per PTB-XL statement.
        ``attrs["unmapped_codes"]``: a Series of the codes each record carries that have no
        mapping (comma-joined; only records with such codes); ``attrs["n_with_unmapped"]``:
        how many records those are.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.io import EcgDataset
    >>> labels = pd.DataFrame({"AF": [1, 0, 0], "NSR": [0, 1, 1], "STC": [0, 0, 1]}, index=["r1", "r2", "r3"])
    >>> codes = pd.Series(["164889003", "426783006", "55930002"], index=labels.columns)
    >>> ds = EcgDataset(pd.DataFrame(index=labels.index), None, labels=labels, extras={"dx_codes": codes})
    >>> out = cinc_to_ptbxl_labels(ds, statements=["AFIB", "SR", "NORM"])
    >>> out.values.tolist()
    [[1.0, 0.0, nan], [0.0, 1.0, 1.0], [nan, 1.0, nan]]
    >>> out.attrs["n_with_unmapped"]
    1
    """
    if unmapped not in ("unknown", "negative"):
        raise ArgumentError(f"unmapped must be 'unknown' or 'negative', got {unmapped!r}")
    codes = ds.extras.get("dx_codes")
    if codes is None:
        raise ArgumentError("dataset has no SNOMED labels (read it with read_cinc)")
    m = snomed_to_ptbxl_map()
    m = m[m["relation"].isin(list(relations))]
    by_code = {str(c): col for col, c in codes.items()}
    targets = list(dict.fromkeys(m["ptbxl_code"])) if statements is None else list(statements)
    present = ds.labels.to_numpy() > 0
    code_of_col = np.array([str(codes[c]) for c in ds.labels.columns])
    is_unmapped = ~np.isin(code_of_col, m["snomed_code"].astype(str).to_numpy())
    rec_unmapped = (present & is_unmapped[None, :]).any(axis=1)
    honest = unmapped == "unknown"
    out = pd.DataFrame(np.nan if honest else 0.0, index=ds.labels.index,
                       columns=pd.Index(targets, name="statement"), dtype=float)
    for stmt, grp in m.groupby("ptbxl_code", sort=False):
        if stmt not in out.columns:
            continue
        cols = [by_code[c] for c in grp["snomed_code"] if c in by_code]
        pos = (ds.labels[cols].to_numpy().max(axis=1) > 0) if cols else np.zeros(len(out), bool)
        out[stmt] = np.where(pos, 1.0, np.nan if honest else 0.0)
        if honest:
            out.loc[~pos & ~rec_unmapped, stmt] = 0.0
    if "NORM" in out.columns and "NORM" not in set(m["ptbxl_code"]):
        only_nsr = present.any(axis=1) & (present[:, code_of_col != NSR_SNOMED].sum(axis=1) == 0) \
            & present[:, code_of_col == NSR_SNOMED].any(axis=1)
        out["NORM"] = np.where(only_nsr, 1.0, np.nan if honest else 0.0)
    names = [", ".join(code_of_col[present[i] & is_unmapped]) for i in np.flatnonzero(rec_unmapped)]
    out.attrs["unmapped_codes"] = pd.Series(names, index=ds.labels.index[rec_unmapped], name="unmapped_codes",
                                            dtype=object)
    out.attrs["n_with_unmapped"] = int(rec_unmapped.sum())
    if honest and rec_unmapped.any():
        logger.info("%d of %d CinC records carry SNOMED codes without a PTB-XL mapping: their statements are "
                    "unknown (NaN) unless a mapped code makes them positive", int(rec_unmapped.sum()), len(out))
    return out


__all__ = ["cinc_to_ptbxl_labels", "read_cinc", "read_dx_mapping", "snomed_to_ptbxl_map"]
