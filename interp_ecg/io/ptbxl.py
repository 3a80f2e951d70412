"""PTB-XL reader (and any folder in the PTB-XL layout, such as the synthetic cohort).

Layout read::

    root/ptbxl_database.csv      ecg_id, patient_id, age, sex (0 male, 1 female), scp_codes,
                                 strat_fold, filename_lr, filename_hr, ... (extra columns kept)
    root/scp_statements.csv      index = statement code; description, diagnostic, form, rhythm,
                                 diagnostic_class, diagnostic_subclass, ...
    root/records500/.../*_hr     WFDB records at 500 Hz (records100/..._lr at 100 Hz)
    root/protoecgnet_label_groups.csv   optional: ProtoECGNet branch of each statement

Only the two CSV files are read when the dataset is built; signals are read on demand.

Likelihoods: ``scp_codes`` gives each statement a likelihood (0-100). PTB-XL derived a
likelihood for the *diagnostic* statements from keywords of the report (Wagner et al. 2020,
Sci Data 7:154); a value of ``0`` means "unknown". Form and rhythm statements mostly carry
``0.0``, but not always: in the 500 shared records 27 of their 601 entries carry 100 (PVC 14,
AFLT 6, PACE 6, AFIB 1), and 7 of the 627 diagnostic entries carry 0. The default threshold
``0`` keeps every statement written in the record, as the PTB-XL benchmark does; a higher
``likelihood_threshold`` applies to diagnostic statements only (a rhythm or form statement
written in the record is always a positive label, whatever number it carries).

Examples
--------
>>> from interp_ecg.io.ptbxl import parse_scp_codes
>>> parse_scp_codes(["{'NORM': 100.0, 'SR': 0.0}", "{'IMI': 35.0}"])
   record statement  likelihood
0       0      NORM       100.0
1       0        SR         0.0
2       1       IMI        35.0
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from interp_ecg.errors import ArgumentError, DataNotFoundError, RecordReadError
from interp_ecg.io.dataset import EcgDataset
from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg.io.wfdb_reader import WfdbLoader

logger = logging.getLogger(__name__)

#: Diagnostic superclasses of PTB-XL, in the order of the PTB-XL benchmark.
SUPERCLASSES: tuple[str, ...] = ("NORM", "MI", "STTC", "CD", "HYP")
#: Names of the ProtoECGNet branches for ``prototype_category`` 1, 3 and 4.
PROTOECGNET_BRANCHES = {1: "rhythm", 3: "morphology", 4: "global"}
#: PTB-XL's code for "older than 89" in the ``age`` column, HIPAA's Safe Harbor rule (Wagner
#: et al. 2020, Sci Data 7:154; PhysioNet PTB-XL description of ``ptbxl_database.csv``). Read as
#: 90 (HIPAA's "90 or older"). The shared 1.0.3 sample holds no 300 but does hold ages 90 (1
#: record) and 91 (2), read as written. ``age_over_89`` is True for every age above 89 (written
#: or coded); an EMPTY age cell is "not recorded": NaN, with ``age_over_89`` missing (NA).
PTBXL_AGE_CAP = 300

_SCP_RE = r"['\"]([^'\"]+)['\"]\s*:\s*(-?[0-9.]+(?:[eE][-+]?\d+)?|nan|None)"


def parse_scp_codes(codes: Iterable[str]) -> pd.DataFrame:
    """Parse ``scp_codes`` strings (Python dict literals) into a long table, vectorised.

    Parameters
    ----------
    codes : iterable of str
        One dict string per record.

    Returns
    -------
    pandas.DataFrame
        ``record`` (position of the string), ``statement``, ``likelihood`` (float, NaN
        when unreadable).
    """
    s = pd.Series(list(codes), dtype="string").fillna("{}")
    found = s.str.extractall(_SCP_RE)
    if found.empty:
        return pd.DataFrame({"record": pd.Series([], dtype=np.int64),
                             "statement": pd.Series([], dtype="string"),
                             "likelihood": pd.Series([], dtype=np.float64)})
    out = pd.DataFrame({
        "record": found.index.get_level_values(0).to_numpy(dtype=np.int64),
        "statement": found[0].to_numpy(),
        "likelihood": pd.to_numeric(found[1].replace({"None": "nan"}), errors="coerce").to_numpy(dtype=float),
    })
    return out


def _flag(col: pd.Series) -> pd.Series:
    """1.0/NaN (PTB-XL), True/False or "yes"/"" flags as booleans."""
    if pd.api.types.is_bool_dtype(col):
        return col.fillna(False).astype(bool)
    num = pd.to_numeric(col, errors="coerce")
    text = col.astype("string").str.strip().str.lower()
    return ((num.fillna(0) != 0) | text.isin(["true", "yes", "y"]).fillna(False)).astype(bool)


def _read_statements(root: Path) -> pd.DataFrame:
    path = root / "scp_statements.csv"
    if not path.is_file():
        raise DataNotFoundError("scp_statements.csv not found", source=path)
    st = pd.read_csv(path, index_col=0)
    st.index = st.index.astype(str).str.strip()
    st.index.name = "statement"
    for col in ("diagnostic", "form", "rhythm"):
        st[col] = _flag(st[col]) if col in st.columns else False
    for col in ("diagnostic_class", "diagnostic_subclass", "description"):
        if col not in st.columns:
            st[col] = pd.NA
    return st


def read_protoecgnet_groups(path: str | os.PathLike) -> pd.Series:
    """ProtoECGNet branch of each statement from ``protoecgnet_label_groups.csv``.

    The file's first column (statement code) has an empty header and a byte-order mark.

    Returns
    -------
    pandas.Series
        Indexed by statement, values ``"rhythm"``, ``"morphology"`` or ``"global"``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError("ProtoECGNet label groups file not found", source=path)
    g = pd.read_csv(path, encoding="utf-8-sig")
    first = g.columns[0]
    if "prototype_category" not in g.columns:
        raise RecordReadError("no 'prototype_category' column", source=path)
    g = g.dropna(subset=[first, "prototype_category"])
    codes = g[first].astype(str).str.strip()
    cats = pd.to_numeric(g["prototype_category"], errors="coerce")
    branch = cats.map(PROTOECGNET_BRANCHES)
    out = pd.Series(branch.to_numpy(), index=pd.Index(codes.to_numpy(), name="statement"), name="branch")
    return out.dropna()


def _normalise_meta(db: pd.DataFrame) -> pd.DataFrame:
    if "patient_id" in db.columns:
        db["patient_id"] = pd.to_numeric(db["patient_id"], errors="coerce").round().astype("Int64")
    else:  # a database table without patients: unknown, never the ECG id
        logger.warning("ptbxl_database.csv has no patient_id column: patient_id is missing for every record")
        db["patient_id"] = pd.array([pd.NA] * len(db), dtype="Int64")
    if "age" in db.columns:
        age = pd.to_numeric(db["age"], errors="coerce")
        coded = age >= PTBXL_AGE_CAP  # only the documented ">89" code becomes 90; an empty cell stays NaN
        db["age_over_89"] = pd.array((age > 89).to_numpy(), dtype="boolean")
        db.loc[age.isna().to_numpy(), "age_over_89"] = pd.NA
        db["age"] = age.mask(coded, 90.0).astype(float)
        if age.isna().any():
            logger.info("ptbxl_database.csv: age not recorded for %d records (NaN, not 90): %s",
                        int(age.isna().sum()), db.index[age.isna().to_numpy()][:10].tolist())
    else:
        db["age"] = np.nan
        db["age_over_89"] = pd.array([pd.NA] * len(db), dtype="boolean")
    if "sex" in db.columns:
        code = pd.to_numeric(db["sex"], errors="coerce")
        db["female"] = code.astype(float)
        db["sex"] = pd.Series(np.where(code == 1, "F", np.where(code == 0, "M", None)),
                              index=db.index, dtype="string")
    else:
        db["sex"] = pd.Series(pd.NA, index=db.index, dtype="string")
        db["female"] = np.nan
    if "strat_fold" in db.columns:
        db["strat_fold"] = pd.to_numeric(db["strat_fold"], errors="coerce").astype("Int64")
    return db


def read_ptbxl(
    root: str | os.PathLike,
    sampling_rate: int = 500,
    likelihood_threshold: float = 0.0,
    required_leads: Sequence[str] | None = STANDARD_LEADS,
    unassessed_rhythm: str = "unknown",
) -> EcgDataset:
    """Read a PTB-XL(-layout) folder as a lazy :class:`EcgDataset`.

    Parameters
    ----------
    root : str or path-like
        Folder holding ``ptbxl_database.csv`` and ``scp_statements.csv``.
    sampling_rate : {500, 100}
        Which records to read (``filename_hr`` at 500 Hz, ``filename_lr`` at 100 Hz). A record
        whose header gives another rate fails with :class:`SamplingRateError` on load.
    likelihood_threshold : float, default 0
        A diagnostic statement is a positive label when its likelihood is ``>=`` this value.
        Rhythm and form statements (whose likelihood PTB-XL mostly leaves at 0, "unknown")
        are positive whenever written, whatever the threshold and whatever number they carry.
    required_leads : sequence of str or None
        Leads a record must have; ``None`` accepts any.
    unassessed_rhythm : {"unknown", "negative"}
        PTB-XL's rhythm statements (``scp_statements.csv`` ``rhythm == 1``: SR, AFIB, STACH,
        SBRAD, ...) are a statement category of their own (Wagner et al. 2020, Sci Data 7:154);
        a record that carries none of them was not assessed for rhythm (29 of the 500 shared
        records, 8 of them coded NORM). ``"unknown"`` (default): their rhythm statements are NaN,
        as :func:`interp_ecg.io.cinc_to_ptbxl_labels` does for CinC records whose codes name no
        rhythm; ``"negative"``: 0 (the reading before, which counts them as "not sinus").

    Returns
    -------
    EcgDataset
        ``meta`` indexed by ``ecg_id`` with every database column plus ``female`` (0/1),
        ``age_over_89`` (nullable boolean: True for an age above 89, written or PTB-XL's ">89"
        code 300, which is read as age 90; NA where the age cell is empty, whose ``age`` is
        NaN, never 90); ``patient_id`` (``Int64``; missing for every record when the table has
        no such column); ``sex`` is ``"M"``/``"F"``; ``labels`` is a DataFrame over every
        statement of ``scp_statements.csv`` (in its order): 0/1 ``uint8``, except the rhythm
        statements' columns, ``float64`` 1/0/NaN when some record carries no rhythm statement
        (see ``unassessed_rhythm``; ``labels.attrs["n_without_rhythm"]`` and
        ``labels.attrs["without_rhythm"]`` give how many and which). ``extras`` holds
        ``"statements"`` (the statements table, with a ``branch`` column when
        ``protoecgnet_label_groups.csv`` is present), ``"likelihoods"`` (long table ``ecg_id,
        statement, likelihood``), ``"root"`` and, where the folder has them (synthetic cohorts),
        ``"diagnoses"`` (``diagnoses.csv``) and ``"files"`` (paths of ``fiducials.parquet``,
        ``simulation.json``; not read here).

    Raises
    ------
    DataNotFoundError
        When the folder or its CSV files are missing.

    Examples
    --------
    Metadata and labels come from the two CSV files alone (no record is read here):

    >>> from interp_ecg.io import ptbxl_superclass_labels, read_ptbxl
    >>> import tempfile, pandas as pd
    >>> root = tempfile.mkdtemp()
    >>> pd.DataFrame({"ecg_id": [1, 2], "patient_id": [10.0, 11.0], "age": [63.0, 300.0],
    ...               "sex": [1, 0], "scp_codes": ["{'NORM': 100.0, 'SR': 0.0}", "{'IMI': 50.0}"],
    ...               "strat_fold": [3, 10], "filename_lr": ["records100/00000/00001_lr",
    ...               "records100/00000/00002_lr"], "filename_hr": ["records500/00000/00001_hr",
    ...               "records500/00000/00002_hr"]}).to_csv(f"{root}/ptbxl_database.csv", index=False)
    >>> pd.DataFrame({"description": ["normal ECG", "sinus rhythm", "inferior MI"],
    ...               "diagnostic": [1.0, None, 1.0], "form": [None, None, None],
    ...               "rhythm": [None, 1.0, None], "diagnostic_class": ["NORM", None, "MI"],
    ...               "diagnostic_subclass": ["NORM", None, "IMI"]},
    ...              index=["NORM", "SR", "IMI"]).to_csv(f"{root}/scp_statements.csv")
    >>> ds = read_ptbxl(root)
    >>> ds.labels.to_dict(orient="index")  # record 2 names no rhythm: its SR is unknown
    {1: {'NORM': 1, 'SR': 1.0, 'IMI': 0}, 2: {'NORM': 0, 'SR': nan, 'IMI': 1}}
    >>> int(read_ptbxl(root, unassessed_rhythm="negative").labels.loc[2, "SR"])
    0
    >>> ds.meta.loc[2, ["patient_id", "age", "sex", "strat_fold"]].to_dict()
    {'patient_id': 11, 'age': 90.0, 'sex': 'M', 'strat_fold': 10}
    >>> ptbxl_superclass_labels(ds)["MI"].tolist()
    [0, 1]
    >>> int(read_ptbxl(root, likelihood_threshold=50).labels.loc[1, "SR"])  # rhythm: no likelihood
    1
    >>> int(read_ptbxl(root, likelihood_threshold=60).labels.loc[2, "IMI"])  # diagnostic, 50 < 60
    0
    >>> import shutil; shutil.rmtree(root)
    """
    root = Path(root)
    if unassessed_rhythm not in ("unknown", "negative"):
        raise ArgumentError(f"unassessed_rhythm must be 'unknown' or 'negative', got {unassessed_rhythm!r}")
    if sampling_rate not in (100, 500):
        raise ArgumentError(f"sampling_rate must be 100 or 500 (a number), got {sampling_rate!r}")
    db_path = root / "ptbxl_database.csv"
    if not db_path.is_file():
        raise DataNotFoundError("ptbxl_database.csv not found", source=db_path)
    db = pd.read_csv(db_path)
    if "ecg_id" not in db.columns:
        raise RecordReadError("no 'ecg_id' column", source=db_path)
    ids = pd.to_numeric(db["ecg_id"], errors="coerce")
    if ids.isna().any():
        raise RecordReadError(f"{int(ids.isna().sum())} rows without a numeric ecg_id", source=db_path)
    if ids.duplicated().any():
        dup = ids[ids.duplicated()].astype(np.int64).unique()[:5].tolist()
        raise RecordReadError(f"duplicate ecg_id values {dup}", source=db_path)
    db = db.drop(columns="ecg_id").set_index(pd.Index(ids.astype(np.int64).to_numpy(), name="ecg_id"))
    db = _normalise_meta(db)
    statements = _read_statements(root)
    groups_path = root / "protoecgnet_label_groups.csv"
    if groups_path.is_file():
        branch = read_protoecgnet_groups(groups_path)
        statements["branch"] = branch.reindex(statements.index)
    else:
        statements["branch"] = pd.NA

    path_col = "filename_hr" if sampling_rate == 500 else "filename_lr"
    if path_col not in db.columns:
        raise DataNotFoundError(f"column {path_col!r} missing from ptbxl_database.csv", source=db_path)

    long = parse_scp_codes(db["scp_codes"] if "scp_codes" in db.columns else [""] * len(db))
    long["ecg_id"] = db.index.to_numpy()[long["record"].to_numpy()]
    long = long[["ecg_id", "statement", "likelihood"]]
    unknown = sorted(set(long["statement"]) - set(statements.index))
    if unknown:
        logger.warning("%s: %d statements not in scp_statements.csv ignored: %s",
                       db_path, len(unknown), unknown[:10])
    diagnostic = statements.index[statements["diagnostic"].to_numpy(dtype=bool)]
    labels = _multi_hot(long, db.index, statements.index, likelihood_threshold, diagnostic)
    labels = _unassessed_rhythm(labels, statements, unassessed_rhythm, db_path)
    extras = {"statements": statements, "likelihoods": long.reset_index(drop=True), "root": str(root),
              "likelihood_threshold": likelihood_threshold}
    # tables a synthetic cohort writes beside the PTB-XL files (absent in real PTB-XL)
    diag = root / "diagnoses.csv"
    if diag.is_file():
        extras["diagnoses"] = pd.read_csv(diag)
    for name in ("fiducials.parquet", "fiducials.csv", "simulation.json"):
        if (root / name).is_file():
            extras.setdefault("files", {})[name] = str(root / name)
    return EcgDataset(
        db, WfdbLoader(root, path_col, expected_fs=sampling_rate, required_leads=required_leads,
                       standard_only=True),
        labels=labels, fs=float(sampling_rate), leads=list(STANDARD_LEADS), name="ptbxl",
        extras=extras,
    )


def _multi_hot(long: pd.DataFrame, index: pd.Index, columns: pd.Index, threshold: float,
               diagnostic: pd.Index) -> pd.DataFrame:
    """0/1 labels; the likelihood threshold applies to diagnostic statements only."""
    passes = (long["likelihood"].fillna(0) >= threshold) | ~long["statement"].isin(diagnostic)
    keep = long[passes & long["statement"].isin(columns)]
    rows = index.get_indexer(keep["ecg_id"])
    cols = columns.get_indexer(keep["statement"])
    arr = np.zeros((len(index), len(columns)), dtype=np.uint8)
    arr[rows, cols] = 1
    return pd.DataFrame(arr, index=index, columns=pd.Index(list(columns), name="statement"))


def _unassessed_rhythm(labels: pd.DataFrame, statements: pd.DataFrame, policy: str, source: Path) -> pd.DataFrame:
    """Rhythm statements of records without any rhythm statement: NaN (``"unknown"``) or 0."""
    flag = statements["rhythm"] if "rhythm" in statements.columns else pd.Series(0, index=statements.index)
    rhythm = [c for c in statements.index[flag.to_numpy(dtype=bool)] if c in labels.columns]
    without = labels.index[(labels[rhythm].to_numpy().sum(axis=1) == 0)] if rhythm else labels.index[:0]
    if policy == "unknown" and len(without):
        labels = labels.astype({c: np.float64 for c in rhythm})
        labels.loc[without, rhythm] = np.nan
        logger.info("%s: %d of %d records carry no rhythm statement: their %d rhythm statements are unknown "
                    "(NaN), not 0", source, len(without), len(labels), len(rhythm))
    labels.attrs["n_without_rhythm"] = int(len(without))
    labels.attrs["without_rhythm"] = [int(v) for v in without]
    labels.attrs["unassessed_rhythm"] = policy
    return labels


def _statements(ds: EcgDataset) -> pd.DataFrame:
    st = ds.extras.get("statements")
    if st is None:
        raise ArgumentError("dataset has no PTB-XL statements table (read it with read_ptbxl)")
    return st


def ptbxl_group_labels(ds: EcgDataset, group: str) -> pd.DataFrame:
    """Labels restricted to one statement group.

    Parameters
    ----------
    group : {"diagnostic", "form", "rhythm", "rhythm_branch", "morphology", "global", "all"}
        PTB-XL groups (``diagnostic`` 44, ``form`` 19, ``rhythm`` 12 statements; a statement
        may be in two) or a ProtoECGNet branch (``rhythm_branch`` 16, ``morphology`` 52,
        ``global`` 3).
    """
    st = _statements(ds)
    if group == "all":
        codes = list(st.index)
    elif group in ("diagnostic", "form", "rhythm"):
        codes = list(st.index[st[group].to_numpy(dtype=bool)])
    elif group in ("rhythm_branch", "morphology", "global"):
        name = "rhythm" if group == "rhythm_branch" else group
        codes = list(st.index[(st["branch"] == name).fillna(False).to_numpy(dtype=bool)])
        if not codes and st["branch"].isna().all():
            raise DataNotFoundError("no protoecgnet_label_groups.csv in this dataset's folder",
                                    source=ds.extras.get("root"))
    else:
        raise ArgumentError(f"unknown group {group!r}")
    return ds.labels[[c for c in codes if c in ds.labels.columns]]


def protoecgnet_groups(ds: EcgDataset) -> dict[str, list[str]]:
    """Statement codes of each ProtoECGNet branch: ``{"rhythm": [...], "morphology": [...], "global": [...]}``."""
    st = _statements(ds)
    return {name: list(st.index[(st["branch"] == name).fillna(False).to_numpy(dtype=bool)])
            for name in PROTOECGNET_BRANCHES.values()}


def _aggregate(ds: EcgDataset, column: str, classes: Sequence[str] | None) -> pd.DataFrame:
    if not isinstance(ds, EcgDataset):  # e.g. ds.meta: the statements and labels live on the dataset
        raise ArgumentError(f"pass the EcgDataset from read_ptbxl (its labels and statement table), not a "
                            f"{type(ds).__name__}")
    st = _statements(ds)
    diag = st[st["diagnostic"].to_numpy(dtype=bool) & st[column].notna()]
    if classes is None:
        classes = list(dict.fromkeys(diag[column].astype(str)))
    out = {}
    for cls in classes:
        codes = [c for c in diag.index[diag[column].astype(str) == cls] if c in ds.labels.columns]
        out[cls] = (ds.labels[codes].to_numpy().sum(axis=1) > 0).astype(np.uint8) if codes else \
            np.zeros(len(ds.labels), dtype=np.uint8)
    return pd.DataFrame(out, index=ds.labels.index)


def ptbxl_superclass_labels(ds: EcgDataset, records_without_superclass: str = "drop") -> pd.DataFrame:
    """Multi-hot diagnostic superclasses ``NORM, MI, STTC, CD, HYP`` (PTB-XL benchmark).

    A record has a superclass when one of its diagnostic statements (at the dataset's
    likelihood threshold) belongs to it. Some records have none (rhythm or form statements
    only, e.g. atrial flutter alone: 12 of the 500 records of the shared sample).

    Parameters
    ----------
    records_without_superclass : {"drop", "keep"}, default "drop"
        ``"drop"``: leave those records out, as the PTB-XL benchmark protocol does for its
        superclass tasks (Strodthoff et al. 2021); ``"keep"``: keep them as all-negative rows.
        Align other tables on the returned index (``X.loc[labels.index]``).

    Returns
    -------
    DataFrame
        Indexed by ``ecg_id``; ``attrs["records_without_superclass"]`` says which choice was
        made and ``attrs["n_without_superclass"]`` how many records it concerned, so every
        result built on these labels can say so.

    Raises
    ------
    ArgumentError
        ``ds`` is not the :class:`EcgDataset` of :func:`read_ptbxl` (``ds.meta``, say).
    """
    if records_without_superclass not in ("drop", "keep"):
        raise ArgumentError(f"records_without_superclass must be 'drop' or 'keep', not {records_without_superclass!r}")
    out = _aggregate(ds, "diagnostic_class", SUPERCLASSES)
    none = out.to_numpy().sum(axis=1) == 0
    if records_without_superclass == "drop" and none.any():
        logger.info("%d records without a diagnostic superclass dropped (PTB-XL benchmark protocol)",
                    int(none.sum()))
        out = out[~none]
    out.attrs["records_without_superclass"] = records_without_superclass
    out.attrs["n_without_superclass"] = int(none.sum())
    return out


def ptbxl_subclass_labels(ds: EcgDataset) -> pd.DataFrame:
    """Multi-hot diagnostic subclasses (23 in PTB-XL: ``AMI``, ``IMI``, ``LVH``, ``CLBBB``...)."""
    return _aggregate(ds, "diagnostic_subclass", None)


__all__ = [
    "SUPERCLASSES",
    "parse_scp_codes",
    "protoecgnet_groups",
    "ptbxl_group_labels",
    "ptbxl_subclass_labels",
    "ptbxl_superclass_labels",
    "read_protoecgnet_groups",
    "read_ptbxl",
]

