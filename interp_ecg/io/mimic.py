"""MIMIC-IV-ECG (records + machine measurements) and MIMIC-IV hospital diagnoses.

MIMIC-IV-ECG layout read::

    root/record_list.csv            subject_id, study_id, file_name, ecg_time, path
    root/machine_measurements.csv   subject_id, study_id, cart_id, ecg_time, report_0..report_17,
                                    bandwidth, filtering, rr_interval, p_onset, p_end,
                                    qrs_onset, qrs_end, t_end, p_axis, qrs_axis, t_axis
    root/files/p1000/p10000032/s40689238/40689238.{hea,dat}   WFDB, 12 leads, 500 Hz, 10 s

Machine measurements: times in ms from the start of the machine's median beat, axes in
degrees. The ECG machine writes ``29999`` where it measured nothing (no P wave in atrial
fibrillation, say; also seen: ``32767``); those values, an RR interval of 0, and offsets not
after their onsets are read as NaN. The data dictionary shipped with MIMIC-IV-ECG does not
list these codes, so :data:`MIMIC_SENTINELS` names them in one place. Derived columns
(``heart_rate_bpm``, ``pr_interval_ms``, ``p_duration_ms``, ``qrs_duration_ms``,
``qt_interval_ms``) are NaN whenever one of their inputs is.

Examples
--------
>>> import pandas as pd
>>> from interp_ecg.io.mimic import clean_machine_measurements
>>> mm = pd.DataFrame({"rr_interval": [659, 0], "p_onset": [40, 29999], "p_end": [128, 29999],
...                    "qrs_onset": [170, 180], "qrs_end": [258, 300], "t_end": [518, 600],
...                    "p_axis": [81, 29999], "qrs_axis": [77, -30], "t_axis": [79, 29999]})
>>> out = clean_machine_measurements(mm)
>>> out[["heart_rate_bpm", "pr_interval_ms", "qrs_duration_ms", "p_axis"]].round(1)
   heart_rate_bpm  pr_interval_ms  qrs_duration_ms  p_axis
0            91.0           130.0             88.0    81.0
1             NaN             NaN            120.0     NaN
"""

from __future__ import annotations

import logging
import warnings
import os
from pathlib import Path

import numpy as np
import pandas as pd

from interp_ecg.errors import DataNotFoundError, RecordReadError
from interp_ecg.io.dataset import EcgDataset
from interp_ecg.io.ids import as_id_strings
from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg.io.wfdb_reader import WfdbLoader

logger = logging.getLogger(__name__)

#: ``anchor_age`` MIMIC-IV gives every patient older than 89 in the anchor year.
MIMIC_ANCHOR_AGE_OVER_89 = 91
#: Values the ECG machine writes for "not measured".
MIMIC_SENTINELS = (29999, 32767, -32768)
#: Numeric machine-measurement columns.
MEASUREMENT_COLUMNS = ("rr_interval", "p_onset", "p_end", "qrs_onset", "qrs_end", "t_end",
                       "p_axis", "qrs_axis", "t_axis")


def _find(folder: Path, stem: str) -> Path | None:
    for ext in (".csv", ".csv.gz", ".parquet"):
        p = folder / f"{stem}{ext}"
        if p.is_file():
            return p
    return None


#: Patient, admission and record identifier columns: read and returned as text (``"10000032"``),
#: so ECGs, diagnoses and admissions join on equal values and an id is never renamed (a
#: ``study_id`` written ``"00412345"`` stays ``"00412345"``, as the record's ``file_name`` says;
#: read as a number it became 412345). ``study_id`` indexes ``meta``.
ID_COLUMNS = ("subject_id", "hadm_id", "study_id")


def _read_table(path: Path, **kwargs) -> pd.DataFrame:
    if path.suffix == ".parquet":
        out = pd.read_parquet(path)
    else:
        try:  # multi-threaded Arrow parser: ~5x faster on the 800,000-row tables
            out = pd.read_csv(path, engine="pyarrow", **kwargs)
        except (ImportError, ValueError):
            out = pd.read_csv(path, **kwargs)
    for col in ID_COLUMNS:  # ids are strings from the first read on
        if col in out.columns:
            out[col] = as_id_strings(out[col])
    return out


def clean_machine_measurements(mm: pd.DataFrame) -> pd.DataFrame:
    """Replace sentinel codes with NaN and add derived intervals (ms) and heart rate (bpm).

    Parameters
    ----------
    mm : pandas.DataFrame
        Rows of ``machine_measurements.csv`` (any subset of :data:`MEASUREMENT_COLUMNS`).

    Returns
    -------
    pandas.DataFrame
        A copy, measurement columns as float with NaN for missing, plus ``heart_rate_bpm``,
        ``pr_interval_ms``, ``p_duration_ms``, ``qrs_duration_ms``, ``qt_interval_ms``.
    """
    out = mm.copy(deep=False)  # copy-on-write: columns replaced below, the input is untouched
    for col in MEASUREMENT_COLUMNS:
        if col not in out.columns:
            out[col] = np.nan
        v = pd.to_numeric(out[col], errors="coerce").astype(float)
        out[col] = v.mask(v.isin(MIMIC_SENTINELS))
    out["rr_interval"] = out["rr_interval"].mask(out["rr_interval"] <= 0)

    def span(a: str, b: str) -> pd.Series:
        d = out[b] - out[a]
        return d.where(d > 0)

    out["p_duration_ms"] = span("p_onset", "p_end")
    # a P wave whose end is not after its onset was not measured
    bad_p = out["p_duration_ms"].isna()
    out["p_onset"] = out["p_onset"].mask(bad_p)
    out["p_end"] = out["p_end"].mask(bad_p)
    out["pr_interval_ms"] = span("p_onset", "qrs_onset")
    out["qrs_duration_ms"] = span("qrs_onset", "qrs_end")
    out["qt_interval_ms"] = span("qrs_onset", "t_end")
    out["heart_rate_bpm"] = 60000.0 / out["rr_interval"]
    return out


def _join_reports(mm: pd.DataFrame) -> pd.Series:
    """The ``report_0..report_N`` statements of each row joined with ``"; "`` (vectorised)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = sorted((c for c in mm.columns if c.startswith("report_")), key=lambda c: int(c.split("_")[1]))
    if not cols:
        return pd.Series("", index=mm.index, dtype="string")
    arrays = []
    for c in cols:
        col = mm[c]
        if not col.notna().any():
            continue  # an all-empty report column
        if not pd.api.types.is_string_dtype(col.dtype):
            col = col.astype("string")
        a = pa.Array.from_pandas(col)
        if a.type != pa.large_string():
            a = a.cast(pa.large_string())
        a = pc.utf8_trim_whitespace(a)
        arrays.append(pc.if_else(pc.equal(a, ""), pa.scalar(None, pa.large_string()), a))
    if not arrays:
        return pd.Series("", index=mm.index, dtype="string")
    joined = pc.binary_join_element_wise(*arrays, pa.scalar("; ", pa.large_string()), null_handling="skip")
    return pd.Series(joined.to_pandas(), index=mm.index, dtype="string")


def read_mimic_ecg(
    root: str | os.PathLike, hosp_dir: str | os.PathLike | None = None, measurements: bool = True
) -> EcgDataset:
    """Read MIMIC-IV-ECG as a lazy :class:`EcgDataset` (only the CSV tables are read).

    Parameters
    ----------
    root : str or path-like
        Folder with ``record_list.csv`` (``.csv.gz`` and ``.parquet`` also read),
        optionally ``machine_measurements.csv`` and ``files/``.
    hosp_dir : str or path-like, optional
        MIMIC-IV ``hosp`` folder; its ``patients`` table gives ``sex`` and ``age`` at the ECG
        (``anchor_age + year(ecg_time) - anchor_year``); a patient whose ``anchor_age`` is
        MIMIC-IV's >89 code (91) is age 90 with ``age_over_89`` True at or after the anchor
        year and NaN (``age_over_89`` NA) before it, never ``91 + years``.
    measurements : bool, default True
        Merge ``machine_measurements.csv`` (cleaned by :func:`clean_machine_measurements`,
        reports joined into ``report``).

    Returns
    -------
    EcgDataset
        ``meta`` indexed by ``study_id`` (text, as written) with ``patient_id`` (= ``subject_id``, text), ``age``,
        ``sex``, ``female``, ``ecg_time`` (datetime), ``path`` and the machine measurements.
        Records are read from ``root/path`` when loaded; a missing file raises
        :class:`~interp_ecg.errors.RecordReadError` naming it. ``record_list`` rows without
        an integer ``study_id`` are skipped with a warning naming the file and the rows, and
        kept in ``extras["record_list_skipped"]``; duplicated ``study_id`` rows (in either
        table) are dropped, the first kept, with a warning.

    Raises
    ------
    DataNotFoundError
        No ``record_list`` table, or ``hosp_dir`` without a ``patients`` table.
    RecordReadError
        ``record_list`` without a ``study_id``, ``subject_id`` or ``path`` column (naming it).
    """
    root = Path(root)
    rl_path = _find(root, "record_list")
    if rl_path is None:
        raise DataNotFoundError("record_list.csv not found", source=root / "record_list.csv")
    rl = _read_table(rl_path, dtype={"path": "string", "file_name": "string", "study_id": "string"})
    missing_cols = [c for c in ("study_id", "subject_id", "path") if c not in rl.columns]
    if missing_cols:
        raise RecordReadError(f"no column(s) {missing_cols} (has {list(rl.columns)})", source=rl_path)
    if "ecg_time" not in rl.columns:
        rl["ecg_time"] = pd.NaT
    rl["ecg_time"] = pd.to_datetime(rl["ecg_time"], errors="coerce")
    rl, skipped = _usable_study_ids(rl, rl_path)
    meta = rl.set_index("study_id")
    meta.index = pd.Index(meta.index.astype(str), name="study_id")
    if meta.index.duplicated().any():
        logger.warning("%s: %d duplicate study_id rows dropped", rl_path, int(meta.index.duplicated().sum()))
        meta = meta[~meta.index.duplicated()]
    if measurements:
        mm_path = _find(root, "machine_measurements")
        if mm_path is None:
            logger.warning("machine_measurements.csv not in %s; meta without measurements", root)
        else:
            mm = _read_table(mm_path, dtype={"study_id": "string"})
            mm = clean_machine_measurements(mm)
            mm["report"] = _join_reports(mm)
            mm = mm.drop(columns=[c for c in ("subject_id", "ecg_time") if c in mm.columns])
            mm, _ = _usable_study_ids(mm, mm_path)
            mm = _first_of_duplicates(mm, "study_id", mm_path).set_index("study_id")
            mm.index = pd.Index(mm.index.astype(str), name="study_id")
            meta = meta.join(mm, how="left")
    meta["patient_id"] = meta["subject_id"]
    meta["age"] = np.nan
    meta["age_over_89"] = pd.array([pd.NA] * len(meta), dtype="boolean")
    meta["sex"] = pd.Series(pd.NA, index=meta.index, dtype="string")
    if hosp_dir is not None:
        pat_path = _find(Path(hosp_dir), "patients")
        if pat_path is None:
            raise DataNotFoundError("patients table not found", source=Path(hosp_dir) / "patients.csv.gz")
        pat = _first_of_duplicates(_read_table(pat_path), "subject_id", pat_path).set_index("subject_id")
        sub = meta["subject_id"]
        gender = pat["gender"].reindex(sub.to_numpy())
        meta["sex"] = pd.Series(gender.to_numpy(), index=meta.index, dtype="string")
        year = meta["ecg_time"].dt.year.astype(float)
        anchor_age = pat["anchor_age"].reindex(sub.to_numpy()).to_numpy(dtype=float)
        anchor_year = pat["anchor_year"].reindex(sub.to_numpy()).to_numpy(dtype=float)
        age = anchor_age + (year.to_numpy() - anchor_year)
        # MIMIC-IV writes anchor_age 91 for every patient over 89 in the anchor year (HIPAA;
        # MIMIC-IV documentation, patients table): 91 + years is not an age. Read as 90 ("90 or
        # older", as read_ptbxl reads PTB-XL's 300) when the ECG is at or after the anchor year;
        # before it the age is unknown (NaN).
        over = anchor_age > 89  # every such anchor_age is the code 91
        after = year.to_numpy() >= anchor_year
        meta["age"] = np.where(over, np.where(after, 90.0, np.nan), age)
        flag = pd.array(np.where(np.isnan(meta["age"].to_numpy()), pd.NA, over & after), dtype="boolean")
        meta["age_over_89"] = flag
        if over.any():
            logger.info("%d ECGs of patients whose anchor_age is MIMIC-IV's >89 code %d: age 90 "
                        "(age_over_89) or NaN before the anchor year", int(over.sum()), MIMIC_ANCHOR_AGE_OVER_89)
    meta["female"] = (meta["sex"] == "F").astype(float).where(meta["sex"].notna())
    front = ["patient_id", "age", "sex", "female"]
    meta = meta[front + [c for c in meta.columns if c not in front]]
    return EcgDataset(
        meta, WfdbLoader(root, "path", expected_fs=500, required_leads=STANDARD_LEADS, standard_only=True),
        fs=500.0, leads=list(STANDARD_LEADS), name="mimic-iv-ecg",
        extras={"root": str(root), "record_list_skipped": skipped},
    )


def _first_of_duplicates(table: pd.DataFrame, column: str, path: Path) -> pd.DataFrame:
    """``table`` with only the first row of each duplicated ``column`` value, with a warning
    naming the file, how many rows were dropped and the first few values."""
    dup = table[column].duplicated()
    if not dup.any():
        return table
    ids = table.loc[dup, column].unique().tolist()
    logger.warning("%s: %d duplicated %s row(s) dropped, the first row of each kept (%s %s%s)", path,
                   int(dup.sum()), column, column, ids[:5], " ..." if len(ids) > 5 else "")
    return table[~dup]


def _usable_study_ids(table: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows with an integer study_id, rows without one), the latter named in a warning.

    A study_id is the text of an integer (digits), kept as written: ``"00412345"`` stays
    ``"00412345"`` (identifiers are text, :mod:`interp_ecg.io.ids`). A row without one (blank,
    ``"x"``, ``"4.5"``) has no identity in a dataset indexed by study_id; in a batch read of
    800,000 rows it is skipped with a warning (file, data row numbers, count) rather than
    stopping the read, and kept in ``extras["record_list_skipped"]`` for inspection.
    """
    text = as_id_strings(table["study_id"])
    bad = ~text.str.fullmatch(r"\d+").fillna(False).to_numpy(dtype=bool)
    if not bad.any():
        out = table.copy()
        out["study_id"] = text.to_numpy(dtype=object)
        return out, table.iloc[:0]
    rows = (np.flatnonzero(bad) + 1).tolist()
    logger.warning("%s: %d row(s) without an integer study_id skipped (data row(s) %s%s, 1-based, header "
                   "not counted; values %s)", path, len(rows), rows[:5], " ..." if len(rows) > 5 else "",
                   table.loc[bad, "study_id"].head(5).tolist())
    out = table[~bad].copy()
    out["study_id"] = text[~bad].to_numpy(dtype=object)
    return out, table[bad]


def read_mimic_diagnoses(hosp_dir: str | os.PathLike) -> pd.DataFrame:
    """MIMIC-IV hospital ICD diagnoses as a tidy table.

    Parameters
    ----------
    hosp_dir : str or path-like
        The ``hosp`` folder: ``diagnoses_icd``, and where present ``admissions`` and
        ``patients`` (``.csv``, ``.csv.gz`` or ``.parquet``).

    Returns
    -------
    pandas.DataFrame
        ``subject_id, hadm_id, icd_code, icd_version, admittime`` (+ ``seq_num``, ``gender``,
        ``anchor_age``, ``anchor_year``); one row per diagnosis; ``subject_id`` and
        ``hadm_id`` text (``"10000032"``), ``icd_code`` a stripped string without dots as
        MIMIC writes it, ``icd_version`` 9 or 10.
    """
    hosp = Path(hosp_dir)
    dx_path = _find(hosp, "diagnoses_icd")
    if dx_path is None:
        raise DataNotFoundError("diagnoses_icd table not found", source=hosp / "diagnoses_icd.csv.gz")
    dx = _read_table(dx_path, dtype={"icd_code": "string"})
    missing_cols = [c for c in ("subject_id", "hadm_id", "icd_code", "icd_version") if c not in dx.columns]
    if missing_cols:
        raise RecordReadError(f"diagnoses table has no column(s) {missing_cols} (has {list(dx.columns)})",
                              source=dx_path)
    if pd.api.types.is_numeric_dtype(dx["icd_code"]):  # a Parquet file written with numbers
        msg = (f"{dx_path}: icd_code arrived as numbers ({dx['icd_code'].dtype}); leading zeros "
               "are lost (01882 -> 1882) and codes may map to the wrong phecode")
        logger.warning(msg)
        warnings.warn(msg, UserWarning, stacklevel=2)
    dx["icd_code"] = dx["icd_code"].astype("string").str.strip()
    version = pd.to_numeric(dx["icd_version"], errors="coerce")
    bad = version.isna() & dx["icd_version"].notna()
    if bad.any():  # a label such as "ICD10" would silently become a blank version
        raise RecordReadError(f"icd_version holds {int(bad.sum())} values that are not 9 or 10 (e.g. "
                              f"{dx.loc[bad, 'icd_version'].iloc[0]!r})", source=dx_path)
    dx["icd_version"] = version.astype("Int64")
    adm_path = _find(hosp, "admissions")
    if adm_path is not None:
        adm = _first_of_duplicates(_read_table(adm_path, usecols=["hadm_id", "admittime"]), "hadm_id", adm_path)
        adm["admittime"] = pd.to_datetime(adm["admittime"], errors="coerce")
        dx = dx.merge(adm, on="hadm_id", how="left")
    else:
        logger.warning("admissions table not in %s; admittime is NaT", hosp)
        dx["admittime"] = pd.NaT
    pat_path = _find(hosp, "patients")
    if pat_path is not None:
        pat = _read_table(pat_path, usecols=["subject_id", "gender", "anchor_age", "anchor_year"])
        dx = dx.merge(_first_of_duplicates(pat, "subject_id", pat_path), on="subject_id", how="left")
    cols = ["subject_id", "hadm_id", "icd_code", "icd_version", "admittime"]
    rest = [c for c in dx.columns if c not in cols]
    return dx[cols + rest].reset_index(drop=True)


__all__ = ["MIMIC_SENTINELS", "clean_machine_measurements", "read_mimic_diagnoses", "read_mimic_ecg"]
