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


#: Source databases of the CinC 2021 training set, as the columns of ``dx_mapping_*.csv``.
CINC_SOURCES = ("CPSC", "CPSC_Extra", "StPetersburg", "PTB", "PTB_XL", "Georgia", "Chapman_Shaoxing", "Ningbo")


def read_dx_mapping(root: str | os.PathLike) -> pd.DataFrame:
    """SNOMED code -> ``name``, ``abbreviation``, ``scored`` from the challenge's mapping files.

    Also keeps, per code, how many records of each source database (:data:`CINC_SOURCES`)
    carry it, where the files give those columns. Missing files give an empty table (labels
    are then named by code).
    """
    root = Path(root)
    parts = []
    for fname, scored in (("dx_mapping_scored.csv", True), ("dx_mapping_unscored.csv", False)):
        path = root / fname
        if not path.is_file():
            logger.warning("%s not found; SNOMED codes it names stay unnamed", path)
            continue
        t = pd.read_csv(path, dtype=str)
        part = pd.DataFrame({
            "snomed_code": t["SNOMEDCTCode"].str.strip(), "name": t["Dx"].str.strip(),
            "abbreviation": t["Abbreviation"].str.strip(), "scored": scored,
        })
        for src in CINC_SOURCES:  # how often each source database uses the code (challenge training set)
            if src in t.columns:
                part[src] = pd.to_numeric(t[src], errors="coerce")
        parts.append(part)
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

#: PTB-XL's rhythm statements (``scp_statements.csv``, ``rhythm == 1``): one of them describes
#: the rhythm of every PTB-XL record, so a CinC record whose codes name no rhythm at all has an
#: unassessed rhythm (Georgia codes sinus rhythm only sometimes), not "no sinus rhythm".
PTBXL_RHYTHM_STATEMENTS = ("SR", "AFIB", "STACH", "SARRH", "SBRAD", "PACE", "SVARR", "BIGU", "AFLT",
                           "SVTAC", "PSVT", "TRIGU")

#: PTB-XL form statements whose finding a source may have coded instead of the diagnostic
#: statements listed (the same reading as the superclass rule
#: :data:`interp_ecg.studies.ptbxl_statements.FORM_SUGGESTS`): with the form statement present
#: and the diagnostic one not named, the diagnostic statement is unknown (NaN), not 0. In PTB-XL
#: itself two thirds of the VCLVH records of the shared sample are LVH (8 of 12).
FORM_SUGGESTS_STATEMENTS = {
    "VCLVH": ("LVH",),
    "HVOLT": ("LVH",),
    "STD_": ("ISCAN", "ISCIN", "ISCLA", "ISC_", "NST_"),
    "TAB_": ("ISCAN", "ISCIN", "ISCLA", "ISC_", "NST_"),
    "INVT": ("ISCAN", "ISCIN", "ISCLA", "ISC_", "NST_"),
    "STE_": ("AMI", "ISCAN", "ISCIN", "ISCLA", "ISC_", "NST_"),
    "QWAVE": ("AMI",),
    "ABQRS": ("AMI", "IVCD"),
    "LPR": ("1AVB",),
}


def cinc_to_ptbxl_labels(
    ds: EcgDataset, relations: Sequence[str] = DEFAULT_RELATIONS, statements: Sequence[str] | None = None,
    unmapped: str = "unknown",
) -> pd.DataFrame:
    """PTB-XL statement labels of a CinC dataset via :func:`snomed_to_ptbxl_map`.

    A statement is 1 when any SNOMED code mapped to it is present. It is 0 only when the
    source can be taken to have assessed it and not found it; otherwise it is NaN (unknown):

    * a record with a code that has no row under ``relations`` (an unmapped or only
      ``approximate`` code) could carry the statement under that code, so its non-positive
      statements are NaN, and a statement no code maps to is NaN everywhere;
    * a record with no code at all was not labelled: every statement is NaN;
    * a record none of whose codes names a rhythm (:data:`PTBXL_RHYTHM_STATEMENTS`; Georgia
      codes sinus rhythm only sometimes) has every rhythm statement NaN, not "not sinus";
    * a statement none of whose SNOMED codes is ever used by the record's source database
      (every count 0 in that source's column of ``dx_mapping_scored.csv`` /
      ``dx_mapping_unscored.csv``, e.g. Georgia never codes prolonged PR) was not assessed
      by that source: NaN for its records (``attrs["source_unassessed"]`` lists them);
    * a form statement that a source may have coded instead of a diagnostic one
      (:data:`FORM_SUGGESTS_STATEMENTS`: LV high voltage ``LVHV`` -> VCLVH for LVH, ST-T codes
      for the ischaemia statements, prolonged PR for 1AVB ...) makes that diagnostic
      statement NaN unless it is named.

    ``NORM`` (PTB-XL "normal ECG") has no SNOMED code of its own; CinC 2021 coded PTB-XL's
    NORM records as sinus rhythm (426783006), so ``NORM`` is 1 when sinus rhythm is the
    record's only code and NaN otherwise (whether other findings exclude a normal ECG is for
    the caller, who knows PTB-XL's diagnostic classes, to decide).

    Codes the CinC 2021 scoring treats as one diagnosis (Reyna et al. 2021, "Will Two Do?
    Varying Dimensions in Electrocardiography: the PhysioNet/Computing in Cardiology Challenge
    2021", CinC 48; and the ``Notes`` of ``dx_mapping_scored.csv``): complete and unspecified
    LBBB (733534002, 164909002), complete and unspecified RBBB (713427006, 59118001),
    PAC and SVPB (284470004, 63593006), PVC and VPB (427172004, 17338001); each pair maps to
    one PTB-XL statement here (relation ``equivalent``).

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
        how many records those are; ``attrs["n_without_codes"]``, ``attrs["n_without_rhythm"]``:
        records with no code, and with no code naming a rhythm (their rhythm statements NaN);
        ``attrs["form_suggests"]``: per diagnostic statement, how many records a form
        statement made unknown (``unmapped="unknown"`` only).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.io import EcgDataset, cinc_to_ptbxl_labels
    >>> labels = pd.DataFrame({"AF": [1, 0, 0], "NSR": [0, 1, 1], "STC": [0, 0, 1]}, index=["r1", "r2", "r3"])
    >>> codes = pd.Series(["164889003", "426783006", "55930002"], index=labels.columns)
    >>> ds = EcgDataset(pd.DataFrame(index=labels.index), None, labels=labels, extras={"dx_codes": codes})
    >>> out = cinc_to_ptbxl_labels(ds, statements=["AFIB", "SR", "NORM"])
    >>> out.values.tolist()
    [[1.0, 0.0, nan], [0.0, 1.0, 1.0], [nan, 1.0, nan]]
    >>> out.attrs["n_with_unmapped"]
    1

    A record coded only with a T-wave abnormality has an unassessed rhythm; LV high voltage
    leaves LVH unknown:

    >>> labels = pd.DataFrame({"TAb": [1, 0], "LVHV": [0, 1], "NSR": [0, 1]}, index=["r4", "r5"])
    >>> codes = pd.Series(["164934002", "55827005", "426783006"], index=labels.columns)
    >>> ds = EcgDataset(pd.DataFrame(index=labels.index), None, labels=labels, extras={"dx_codes": codes})
    >>> cinc_to_ptbxl_labels(ds, statements=["SR", "TAB_", "LVH", "VCLVH"]).values.tolist()
    [[nan, 1.0, 0.0, 0.0], [1.0, 0.0, nan, 1.0]]
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
    no_codes = ~present.any(axis=1)
    rhythm_codes = m.loc[m["ptbxl_code"].isin(PTBXL_RHYTHM_STATEMENTS), "snomed_code"].astype(str).to_numpy()
    no_rhythm = ~(present & np.isin(code_of_col, rhythm_codes)[None, :]).any(axis=1) & ~no_codes
    suggested: dict[str, int] = {}
    unassessed: dict[str, list[str]] = {}
    if honest:
        out.loc[no_codes, :] = np.nan
        counts = ds.extras.get("dx_mapping")
        source = ds.meta["source"].astype(str) if "source" in ds.meta.columns else None
        if counts is not None and source is not None:
            for stmt, grp in m.groupby("ptbxl_code", sort=False):
                if stmt not in out.columns:
                    continue
                codes_s = [c for c in grp["snomed_code"].astype(str)]
                if not set(codes_s) <= set(counts.index):
                    continue  # a code the mapping files do not count: assessment unknown, leave as is
                for src in sorted(set(source) & set(counts.columns)):
                    n_used = pd.to_numeric(counts.loc[codes_s, src], errors="coerce")
                    if n_used.notna().all() and n_used.sum() == 0:
                        rows = (source == src).to_numpy() & (out[stmt] != 1).to_numpy()
                        out.loc[rows, stmt] = np.nan
                        unassessed.setdefault(src, []).append(str(stmt))
            if unassessed:
                logger.info("CinC labels: statements a source database never codes are unknown for its records: %s",
                            {k: v for k, v in unassessed.items()})
        for stmt in [c for c in out.columns if c in PTBXL_RHYTHM_STATEMENTS]:
            out.loc[no_rhythm & (out[stmt] != 1).to_numpy(), stmt] = np.nan
        for form, targets_of in FORM_SUGGESTS_STATEMENTS.items():
            if form not in set(m["ptbxl_code"]):
                continue
            fcols = [by_code[c] for c in m.loc[m["ptbxl_code"] == form, "snomed_code"] if c in by_code]
            fpos = (ds.labels[fcols].to_numpy().max(axis=1) > 0) if fcols else np.zeros(len(out), bool)
            for stmt in targets_of:
                if stmt in out.columns:
                    hit = fpos & (out[stmt] == 0).to_numpy()
                    if hit.any():
                        out.loc[hit, stmt] = np.nan
                        suggested[stmt] = suggested.get(stmt, 0) + int(hit.sum())
        if no_rhythm.any() or no_codes.any() or suggested:
            logger.info("CinC labels: %d records without any code (all unknown), %d whose codes name no rhythm "
                        "(rhythm statements unknown); made unknown by a form statement: %s",
                        int(no_codes.sum()), int(no_rhythm.sum()), suggested or "none")
    if "NORM" in out.columns and "NORM" not in set(m["ptbxl_code"]):
        only_nsr = present.any(axis=1) & (present[:, code_of_col != NSR_SNOMED].sum(axis=1) == 0) \
            & present[:, code_of_col == NSR_SNOMED].any(axis=1)
        out["NORM"] = np.where(only_nsr, 1.0, np.nan if honest else 0.0)
    names = [", ".join(code_of_col[present[i] & is_unmapped]) for i in np.flatnonzero(rec_unmapped)]
    out.attrs["unmapped_codes"] = pd.Series(names, index=ds.labels.index[rec_unmapped], name="unmapped_codes",
                                            dtype=object)
    out.attrs["n_with_unmapped"] = int(rec_unmapped.sum())
    out.attrs["n_without_codes"] = int(no_codes.sum())
    out.attrs["n_without_rhythm"] = int(no_rhythm.sum())
    out.attrs["form_suggests"] = suggested
    out.attrs["source_unassessed"] = unassessed
    if honest and rec_unmapped.any():
        logger.info("%d of %d CinC records carry SNOMED codes without a PTB-XL mapping: their statements are "
                    "unknown (NaN) unless a mapped code makes them positive", int(rec_unmapped.sum()), len(out))
    return out


__all__ = ["CINC_SOURCES", "FORM_SUGGESTS_STATEMENTS", "PTBXL_RHYTHM_STATEMENTS", "cinc_to_ptbxl_labels", "read_cinc",
           "read_dx_mapping", "snomed_to_ptbxl_map"]
