"""ICD diagnoses -> subject x phecode case/control table.

Rules (documented for users; the same as PheTK and the PheWAS R package unless stated):

* Codes are matched exactly after normalisation (strip, upper-case, no dots), within their own
  vocabulary (ICD-9-CM or ICD-10-CM, from the version column). Codes absent from the map are
  *unmapped* and reported by :func:`mapping_report`; no prefix guessing.
* Each code maps to its phecode(s) **and all parents** (roll-up).
* **What counts as one occurrence** (this package): the distinct values of ``count_col`` per
  subject and phecode, after roll-up - several codes of one phecode (or of its children) with
  the same ``count_col`` value are one occurrence. ``count_col="auto"`` uses ``hadm_id`` when
  present (MIMIC-IV: one admission, one occurrence, however many codes of that phecode it
  carries), else a ``date`` column, else each diagnosis row is its own occurrence.
  A date-time column counts calendar **days** (two entries of one day are one occurrence; a
  column named ``date`` holding text is parsed as dates). A row whose ``count_col`` is missing
  (an ED or outpatient diagnosis without ``hadm_id``) is an occurrence of its own, with a
  warning giving the count: rows that cannot be told apart are never merged into one.
  This is the min-code-count convention of PheWAS (Denny et al. 2010, Bioinformatics 26:1205;
  Carroll et al. 2014, Bioinformatics 30:2375, R ``createPhenotypes(min.code.count = 2)``,
  which counts distinct dates per subject and code; the Phecode 1.2 map of Wu et al. 2019,
  JMIR Med Inform 7:e14325, is used with the same rule).
  For comparison: the PheWAS R package counts distinct dates per subject and phecode (our
  ``count_col="date"``); PheTK counts distinct (date, ICD code) pairs, so two different codes
  of one phecode on the same day count twice there and once here. MIMIC-IV diagnoses have no
  date, only an admission, hence ``hadm_id``.
* **Cases**: at least ``min_code_count`` occurrences (default 2, as PheTK and the PheWAS R
  package).
  **Excluded (NA)**: subjects with 1 .. ``min_code_count - 1`` occurrences (neither case nor
  control, as the PheWAS R package); for Phecode 1.2, controls carrying any phecode of the
  phecode's ``exclude_range`` (one occurrence suffices); for sex-specific phecodes, subjects of
  the other or unknown sex (cases too). **Controls**: everyone else in ``subjects``.
* **Phecodes of one vocabulary** (this package; :attr:`PhecodeMap.single_vocabulary`: Phecode
  X's ``icd10_only`` phecodes such as paroxysmal AF ``CV_416.211``, and the few that only
  ICD-9-CM codes reach): a subject without any diagnosis in that vocabulary (every code of it,
  mapped or not, counts) could not have been a case, so it is not a control either: NA,
  counted per phecode in ``table.attrs["vocabulary_excluded"]`` and logged. In MIMIC-IV (ICD-9-CM
  until October 2015, ICD-10-CM after) this removes the patients seen only in the ICD-9-CM era
  from the controls of ICD-10-only phecodes. A subject of ``subjects`` without any diagnosis
  is taken as coded in the table's vocabulary when the table holds one vocabulary only; in a
  table that mixes both its era is unknown and it is NA for these phecodes.
  ``vocabulary_restriction=False`` turns the rule off. Neither the PheWAS R package nor PheTK
  applies it; the phecodeX files flag the phecodes (``icd10_only``) but prescribe no use.
* **Unreadable diagnoses** (this package): a row whose ICD version is blank, or whose code is
  missing, cannot be looked up. A subject none of whose rows can be read has unknown
  phenotypes: NA in every phecode (not a control), listed in
  ``table.attrs["unreadable_subjects"]`` and counted in a warning, exactly like a subject
  without diagnoses under the PheWAS R rule (controls only among ids with readable codes). A
  subject with some readable rows keeps them; how many of each phecode's controls have an
  unreadable row is in ``table.attrs["unreadable_controls"]``. A version label that is not
  blank but not understood (``"I10"``, ``"ICD-10-PCS"``) is refused with a
  :class:`~interp_ecg.errors.ConfigError` naming the labels (see
  :func:`~interp_ecg.phenotype.phecodes.vocabulary_of` for what is read).
* Phecodes with fewer than ``min_cases`` cases are dropped.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp

from interp_ecg.errors import ConfigError
from interp_ecg.phenotype.phecodes import PhecodeMap, normalize_icd, vocabulary_of

logger = logging.getLogger(__name__)

__all__ = ["SEX_CODING_NAMES", "SEX_VOCABULARY", "decode_sex", "map_icd", "mapping_report", "phecode_counts", "icd_to_phecodes", "normalize_sex",
           "warn_numeric_codes"]


def warn_numeric_codes(codes: pd.Series, name: str = "icd_code") -> bool:
    """Warn (and return True) when a code column arrived as numbers.

    ICD codes are text: read as numbers, ``01882`` (ICD-9 miliary tuberculosis) becomes
    ``1882`` (bladder cancer) and ``250.00`` becomes ``250.0``; the original cannot be
    recovered. Read code columns as strings (``pd.read_csv(..., dtype={"icd_code": str})``).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.phenotype.mapping import warn_numeric_codes
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_numeric_codes(pd.Series([1882, 4019]))
    True
    >>> "arrived as numbers" in str(w[0].message)
    True
    """
    s = pd.Series(codes)
    numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    if not numeric and s.dtype == object:
        head = s.dropna().head(1000)
        numeric = len(head) > 0 and head.map(lambda v: isinstance(v, (int, float, np.number))).any()
    if numeric:
        msg = (f"code column {name!r} arrived as numbers ({s.dtype}): leading zeros and trailing "
               "zeros are lost (01882 -> 1882) and codes may map to the wrong phecode; read it as "
               "text, e.g. pd.read_csv(..., dtype={%r: str})" % name)
        logger.warning(msg)
        warnings.warn(msg, UserWarning, stacklevel=3)
    return bool(numeric)


def _check_cols(df: pd.DataFrame, cols: list[str | None]) -> None:
    missing = [c for c in cols if c is not None and c not in df.columns]
    if missing:
        raise ConfigError(f"diagnoses table lacks columns {missing}; found {list(df.columns)}")


def _resolve_count_col(diagnoses: pd.DataFrame, count_col: str | None) -> str | None:
    if count_col != "auto":
        return count_col
    for name in ("hadm_id", "date"):
        if name in diagnoses.columns:
            return name
    return None


def _prepare(
    diagnoses: pd.DataFrame,
    subject_col: str,
    code_col: str,
    version_col: str | None,
    icd_version,
) -> pd.DataFrame:
    _check_cols(diagnoses, [subject_col, code_col, version_col])
    warn_numeric_codes(diagnoses[code_col], code_col)
    raw = diagnoses[code_col]
    no_code = (raw.isna() | (raw.astype("string").str.strip() == "")).to_numpy(dtype=bool)
    code = normalize_icd(raw).to_numpy(dtype=object)
    code[no_code] = np.nan  # normalize_icd would write a missing code as the text "NAN"
    out = pd.DataFrame({"subject": diagnoses[subject_col].to_numpy(), "code": code}, index=diagnoses.index)
    if version_col is not None:
        version = diagnoses[version_col]
        out["vocabulary"] = vocabulary_of(version).to_numpy()
        blank = (version.isna() | (version.astype("string").str.strip() == "")).to_numpy(dtype=bool)
        unread = out["vocabulary"].isna().to_numpy() & ~blank
        if unread.any():
            labels = pd.Series(version[unread]).astype("string").value_counts()
            raise ConfigError(
                f"diagnoses column {version_col!r}: ICD version labels not understood "
                f"({', '.join(f'{k!r} x{v}' for k, v in labels.head(5).items())}"
                f"{', ...' if len(labels) > 5 else ''}); write 9 or 10 (or ICD9CM / ICD10CM, ICD-10-CM, 10CM)")
    elif icd_version is not None:
        vocab = vocabulary_of([icd_version])[0]
        if pd.isna(vocab):
            raise ConfigError(f"icd_version={icd_version!r} not understood; give 9 or 10")
        out["vocabulary"] = vocab
    else:
        raise ConfigError("give version_col (column with 9/10) or icd_version=9|10")
    return out


def _unreadable(prep: pd.DataFrame) -> np.ndarray:
    """Rows of :func:`map_icd` / ``_prepare`` whose code cannot be looked up: blank ICD version or
    missing code."""
    return (prep["vocabulary"].isna() | prep["code"].isna()).to_numpy(dtype=bool)


def _occurrences(values: pd.Series, name: str) -> np.ndarray:
    """The occurrence key of each diagnosis row from ``count_col`` (see the module notes).

    A date-time column counts calendar days (times of day dropped: two entries of one day are one
    occurrence); a column named ``date`` that holds text is read as dates (unreadable values are
    refused). A row without a value is its own occurrence (it cannot be told apart from the
    others, so it is not merged with them), counted in a warning.
    """
    v = pd.Series(values).reset_index(drop=True)
    is_time = pd.api.types.is_datetime64_any_dtype(v)
    if not is_time and name == "date" and (pd.api.types.is_object_dtype(v) or pd.api.types.is_string_dtype(v)):
        parsed = pd.to_datetime(v, errors="coerce", format="mixed")
        bad = parsed.isna() & v.notna() & (v.astype("string").str.strip() != "")
        if bad.any():
            raise ConfigError(f"diagnoses column {name!r}: {int(bad.sum())} values are not dates "
                              f"(e.g. {v[bad].iloc[0]!r}); give dates (YYYY-MM-DD) or choose another count_col")
        v, is_time = parsed, True
    if is_time:
        v = v.dt.normalize()  # one calendar day, one occurrence (as written, in the column's own time zone)
    out = v.to_numpy(dtype=object)
    missing = pd.isna(v).to_numpy(dtype=bool)
    if missing.any():
        logger.warning("%d diagnosis rows have no %s: each is counted as an occurrence of its own (rows that cannot "
                       "be told apart are not merged into one); give them an id (e.g. an ED stay_id) or a date to "
                       "count visits instead of rows", int(missing.sum()), name)
        for i in np.flatnonzero(missing):
            out[i] = ("no value, row", int(i))
    return out


def map_icd(
    diagnoses: pd.DataFrame,
    phecode_map: PhecodeMap,
    *,
    subject_col: str = "subject_id",
    code_col: str = "icd_code",
    version_col: str | None = "icd_version",
    icd_version=None,
    count_col: str | None = "auto",
) -> pd.DataFrame:
    """Map each diagnosis row to its (rolled-up) phecodes.

    Returns a long DataFrame ``subject, vocabulary, code, occurrence, phecode`` with one row per
    diagnosis row and implied phecode; unmapped rows have ``phecode`` NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.phenotype import map_icd
    >>> from interp_ecg.phenotype.phecodes import PhecodeMap
    >>> m = PhecodeMap("X", pd.DataFrame({"vocabulary": ["ICD10CM"] * 2, "code": ["I4891"] * 2,
    ...                 "phecode": ["CV_416", "CV_416.2"]}), pd.DataFrame())
    >>> dx = pd.DataFrame({"subject_id": [1, 1], "icd_code": ["I48.91", "Z99"], "icd_version": [10, 10]})
    >>> map_icd(dx, m)["phecode"].tolist()
    ['CV_416', 'CV_416.2', nan]
    """
    prep = _prepare(diagnoses, subject_col, code_col, version_col, icd_version)
    col = _resolve_count_col(diagnoses, count_col)
    if col is None:
        prep["occurrence"] = np.arange(len(prep))
    else:
        _check_cols(diagnoses, [col])
        prep["occurrence"] = _occurrences(diagnoses[col], col)
    prep = prep.reset_index(drop=True)
    return prep.merge(phecode_map.icd, on=["vocabulary", "code"], how="left", sort=False)


def mapping_report(
    diagnoses: pd.DataFrame,
    phecode_map: PhecodeMap,
    *,
    subject_col: str = "subject_id",
    code_col: str = "icd_code",
    version_col: str | None = "icd_version",
    icd_version=None,
) -> pd.DataFrame:
    """How many diagnosis rows and distinct codes map to at least one phecode, per vocabulary.

    Returns a DataFrame indexed by vocabulary (plus ``"all"``) with ``rows``, ``rows_mapped``,
    ``rows_unmapped``, ``codes``, ``codes_mapped``, ``codes_unmapped``, ``subjects``,
    ``subjects_mapped``.
    """
    prep = _prepare(diagnoses, subject_col, code_col, version_col, icd_version)
    known = phecode_map.icd[["vocabulary", "code"]].drop_duplicates()
    known["_m"] = True
    prep = prep.reset_index(drop=True).merge(known, on=["vocabulary", "code"], how="left")
    prep["_m"] = prep["_m"].fillna(False).astype(bool)
    rows = []
    for vocab, g in [*prep.groupby("vocabulary", dropna=False), ("all", prep)]:
        codes = g.drop_duplicates(["vocabulary", "code"])
        rows.append(
            {
                "vocabulary": "unknown" if pd.isna(vocab) else vocab,
                "rows": len(g),
                "rows_mapped": int(g["_m"].sum()),
                "rows_unmapped": int((~g["_m"]).sum()),
                "codes": len(codes),
                "codes_mapped": int(codes["_m"].sum()),
                "codes_unmapped": int((~codes["_m"]).sum()),
                "subjects": g["subject"].nunique(),
                "subjects_mapped": g.loc[g["_m"], "subject"].nunique(),
            }
        )
    return pd.DataFrame(rows).set_index("vocabulary")


def phecode_counts(mapped: pd.DataFrame) -> pd.Series:
    """Occurrences (distinct ``occurrence`` values) per subject and phecode, from :func:`map_icd`."""
    m = mapped.dropna(subset=["phecode"])
    m = m.drop_duplicates(["subject", "phecode", "occurrence"])
    return m.groupby(["subject", "phecode"], sort=True).size().rename("count")


#: Sex labels this package reads (compared whole, stripped, case-insensitive); anything else is
#: unknown. Numbers are not in it: PTB-XL's 1 = female / 0 = male is read where a PTB-XL-coded
#: column is expected (:func:`interp_ecg.studies.pipeline.sex_labels`).
SEX_VOCABULARY = {
    "F": "Female", "FEMALE": "Female", "W": "Female", "WOMAN": "Female",
    "M": "Male", "MALE": "Male", "MAN": "Male",
}


def normalize_sex(sex: pd.Series) -> pd.Series:
    """Map sex labels to ``"Female"``/``"Male"``; anything outside :data:`SEX_VOCABULARY` is NA.

    ``F``, ``female``, ``W``, ``woman`` -> Female; ``M``, ``male``, ``man`` -> Male (whole
    values, any case, blanks stripped). A value is never read from its first letter, so
    ``"missing"`` or ``"mixed"`` are unknown, not Male.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.phenotype.mapping import normalize_sex
    >>> normalize_sex(pd.Series(["F", "male", "Woman", "x", "missing"])).tolist()
    ['Female', 'Male', 'Female', nan, nan]
    """
    key = pd.Series(sex).astype("string").str.strip().str.upper()
    out = key.map(SEX_VOCABULARY).astype(object)
    return pd.Series(out.to_numpy(), index=pd.Series(sex).index, dtype=object).where(pd.notna(out), np.nan)


def _refuse_numeric_sex(sex: pd.Series) -> None:
    """Numeric sex codes are ambiguous (PTB-XL 1 = female, 0 = male; UK Biobank 0 = female, 1 = male):
    refused, naming the values, instead of being guessed."""
    vals = sex.dropna()
    if pd.api.types.is_bool_dtype(vals):
        numeric = True
    elif pd.api.types.is_numeric_dtype(vals):
        numeric = len(vals) > 0
    else:
        text = vals.astype("string").str.strip()
        numeric = len(text) > 0 and text.str.fullmatch(r"[+-]?\d+(\.\d*)?").all()
    if numeric:
        seen = sorted(pd.unique(vals.astype("string")).tolist())[:6]
        raise ConfigError(f"sex{' column ' + repr(sex.name) if sex.name is not None else ''} holds numeric codes "
                          f"{seen}: ambiguous (PTB-XL 1 = female, 0 = male; UK Biobank 0 = female, 1 = male); "
                          "map them to 'F'/'M' first, e.g. sex.map({1: 'F', 0: 'M'})")


#: Names of the sex codings :func:`decode_sex` reads: ``"labels"`` (words only, numbers refused)
#: and the numeric codings of :data:`interp_ecg.io.wfdb_reader.SEX_CODINGS` (``ptbxl``: 0 male,
#: 1 female; ``ukbiobank``: 0 female, 1 male; ``iso5218``: 1 male, 2 female, 0/9 unknown).
SEX_CODING_NAMES = ("labels", "ptbxl", "ukbiobank", "iso5218")


def decode_sex(values: pd.Series, coding: str = "labels", column: str | None = None) -> pd.Series:
    """``"Female"``/``"Male"``/NaN from a sex column, numbers read only with a stated coding.

    Words are read as :func:`normalize_sex` reads them, whatever ``coding``. Numbers (a numeric
    or boolean column, or digits written as text) mean different sexes in different sources
    (PTB-XL 0 = male, 1 = female; UK Biobank field 31: 0 = female, 1 = male; ISO/IEC 5218:
    1 = male, 2 = female), so with ``coding="labels"`` they are refused; with a numeric coding
    they are read by it. A value neither a known word nor a code of the coding is NaN, and
    how many and which are logged as a warning.

    Parameters
    ----------
    values : pandas.Series
        The sex column, any dtype.
    coding : {"labels", "ptbxl", "ukbiobank", "iso5218"}, default "labels"
        How numbers are read (:data:`SEX_CODING_NAMES`).
    column : str, optional
        Name of the column in messages (default: the Series' name).

    Returns
    -------
    pandas.Series
        Object dtype, same index: ``"Female"``, ``"Male"`` or NaN.

    Raises
    ------
    ConfigError
        Numbers with ``coding="labels"`` (naming the column, its numeric values and the
        codings), or an unknown ``coding``.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.phenotype.mapping import decode_sex
    >>> decode_sex(pd.Series([0, 1, 1]), coding="ukbiobank").tolist()
    ['Female', 'Male', 'Male']
    >>> decode_sex(pd.Series([0, 1]), coding="ptbxl").tolist()
    ['Male', 'Female']
    >>> decode_sex(pd.Series(["F", "male"])).tolist()
    ['Female', 'Male']
    """
    from interp_ecg.io.wfdb_reader import SEX_CODINGS

    if coding not in SEX_CODING_NAMES:
        raise ConfigError(f"sex coding must be one of {', '.join(SEX_CODING_NAMES)}, not {coding!r}")
    s = pd.Series(values)
    name = column if column is not None else s.name
    label = f"sex column {name!r}" if name is not None else "sex"
    if pd.api.types.is_bool_dtype(s.dropna()) and len(s.dropna()):
        s = s.astype("boolean").astype("Int64")
    text = s.astype("string").str.strip()
    digits = text.str.extract(r"^(\d+)(?:\.0*)?$", expand=False)
    numeric = digits.notna()
    words = normalize_sex(s)
    if coding == "labels":
        if numeric.any():
            seen = sorted(pd.unique(text[numeric]).tolist())[:6]
            raise ConfigError(f"{label} holds numeric codes {seen} ({int(numeric.sum())} rows): their meaning "
                              "depends on the source (PTB-XL 0 = male, 1 = female; UK Biobank 0 = female, "
                              "1 = male; ISO/IEC 5218 1 = male, 2 = female); state it with "
                              "--sex-coding ptbxl, ukbiobank or iso5218 (Python: decode_sex(..., coding=...)), "
                              "or write the sex as F/M")
        out = words
    else:
        table = {k: {"F": "Female", "M": "Male"}.get(v) for k, v in SEX_CODINGS[coding].items()}
        coded = digits.map(lambda d: table.get(d) if pd.notna(d) else None)
        out = words.where(~numeric.to_numpy(), coded.to_numpy())
        out = pd.Series(out.to_numpy(), index=s.index, dtype=object).where(lambda v: v.notna(), np.nan)
    # neither a word nor a code of the coding (a code the coding itself calls unknown is not reported)
    known_code = numeric & digits.isin(list(SEX_CODINGS.get(coding, {})))
    unread = (out.isna() & s.notna().to_numpy() & (text.fillna("") != "").to_numpy()
              & ~known_code.fillna(False).to_numpy())
    if unread.any():
        logger.warning("%s: %d values are neither a sex word (F/female/W/woman, M/male/man)%s (e.g. %s): sex "
                       "unknown (NaN)", label, int(unread.sum()),
                       "" if coding == "labels" else f" nor a sex code of the {coding} coding",
                       sorted(pd.unique(text[unread.to_numpy()]).tolist())[:5])
    return out


def _is_text(values) -> bool:
    dtype = pd.Series(values).dtype if not isinstance(values, pd.Index) else values.dtype
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _ids_of_one_kind(mapped: pd.DataFrame, subjects, sex):
    """Subject ids of the diagnoses, of ``subjects`` and of ``sex``'s index compared as one kind.

    Identifiers are text (MIMIC-IV ids are read as strings by :mod:`interp_ecg.io`), while a
    table read without care gives numbers: when any of the three holds text, all three are
    written as id strings (:func:`interp_ecg.io.as_id_strings`), so ``10000032`` and
    ``"10000032"`` are one subject instead of a silent mismatch.
    """
    from interp_ecg.io import as_id_strings

    parts = [mapped["subject"]]
    if subjects is not None:
        parts.append(pd.Series(np.asarray(subjects)))
    if sex is not None:
        parts.append(pd.Series(pd.Series(sex).index))
    if not any(_is_text(p) for p in parts) or all(_is_text(p) for p in parts):
        return mapped, subjects, sex
    mapped = mapped.assign(subject=as_id_strings(mapped["subject"]).to_numpy(dtype=object))
    if subjects is not None:
        subjects = as_id_strings(pd.Series(np.asarray(subjects))).to_numpy(dtype=object)
    if sex is not None:
        sex = pd.Series(sex)
        sex = pd.Series(sex.to_numpy(), index=as_id_strings(pd.Series(sex.index)).to_numpy(dtype=object))
    return mapped, subjects, sex


def _coded_in(mapped: pd.DataFrame, subj: pd.Index) -> dict[str, np.ndarray]:
    """Per vocabulary, which subjects of ``subj`` have at least one diagnosis (mapped or not) in it.

    Subjects without any diagnosis of known version count as coded in the table's vocabulary
    when the table holds one only (a cohort coded in one era); in a mixed table their era is
    unknown and they count as coded in neither.
    """
    seen = mapped.dropna(subset=["vocabulary"]).drop_duplicates(["subject", "vocabulary"])
    vocabs = set(seen["vocabulary"])
    with_any = subj.isin(seen["subject"])
    out = {}
    for v in ("ICD9CM", "ICD10CM"):
        has = subj.isin(seen.loc[seen["vocabulary"] == v, "subject"])
        if vocabs == {v}:
            has = has | ~with_any
        out[v] = np.asarray(has, dtype=bool)
    return out


def icd_to_phecodes(
    diagnoses: pd.DataFrame,
    phecode_map: PhecodeMap,
    min_code_count: int = 2,
    sex: pd.Series | None = None,
    min_cases: int = 1,
    *,
    subjects=None,
    subject_col: str = "subject_id",
    code_col: str = "icd_code",
    version_col: str | None = "icd_version",
    icd_version=None,
    count_col: str | None = "auto",
    exclusions: bool = True,
    vocabulary_restriction: bool = True,
) -> pd.DataFrame:
    """Subject x phecode case/control table from ICD-9-CM / ICD-10-CM diagnoses.

    Parameters
    ----------
    diagnoses : DataFrame
        One row per diagnosis, with subject, code and version columns (names as arguments).
        Codes with or without dots, any case.
    phecode_map : PhecodeMap
        From :func:`~interp_ecg.phenotype.load_phecode_map`.
    min_code_count : int, default 2
        Occurrences needed to be a case (see the module notes for what counts).
    sex : Series, optional
        Indexed by subject, values like ``F``/``M``/``Female``/``Male``. When given,
        sex-specific phecodes are restricted to subjects of that sex (others, and subjects of
        unknown sex, NA); ``table.attrs["sex_excluded"]`` gives, per sex-specific phecode, how
        many subjects this removed (cases or controls otherwise).
    min_cases : int, default 1
        Drop phecodes with fewer cases.
    subjects : array-like, optional
        The cohort; subjects without any diagnosis are controls everywhere. Default: the
        subjects of ``diagnoses``.
    count_col : str or None, default "auto"
        Column whose distinct values count occurrences (``hadm_id``, a date); ``None`` counts rows.
        Date-times count distinct days; a row without a value is its own occurrence (module
        notes; Carroll et al. 2014).
    exclusions : bool, default True
        Apply Phecode 1.2 exclusion ranges to controls.
    vocabulary_restriction : bool, default True
        For a phecode that codes of one vocabulary only map to
        (:attr:`~interp_ecg.phenotype.PhecodeMap.single_vocabulary`, e.g. Phecode X
        ``icd10_only``), subjects without any diagnosis in that vocabulary are NA, not
        controls (see the module notes); ``table.attrs["vocabulary_excluded"]`` gives, per such
        phecode, how many subjects this removed from the controls.

    Returns
    -------
    DataFrame
        Index: subject; columns: phecodes (sorted); dtype ``"boolean"``: True case, False
        control, NA excluded. ``attrs``: ``sex_excluded`` and ``vocabulary_excluded`` (dicts
        phecode -> number of subjects set to NA by that rule); ``unreadable_subjects`` (ids
        none of whose diagnoses can be read: NA everywhere), ``n_unreadable_rows`` and
        ``unreadable_controls`` (phecode -> controls with at least one unreadable row).

    Raises
    ------
    ConfigError
        Missing columns, ``min_code_count < 1``, ICD version labels that are not understood, a
        ``date`` column with values that are not dates, numeric ``sex`` codes.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.phenotype import icd_to_phecodes
    >>> from interp_ecg.phenotype.phecodes import PhecodeMap
    >>> icd = pd.DataFrame({"vocabulary": ["ICD10CM"], "code": ["I4891"], "phecode": ["CV_416.2"]})
    >>> m = PhecodeMap("X", icd, pd.DataFrame(index=pd.Index(["CV_416.2"], name="phecode")))
    >>> dx = pd.DataFrame({"subject_id": [1, 1, 2, 3], "hadm_id": [10, 11, 20, 30],
    ...                    "icd_code": ["I48.91", "i4891", "I4891", "E119"], "icd_version": 10})
    >>> icd_to_phecodes(dx, m)["CV_416.2"].tolist()
    [True, <NA>, False]

    A phecode that only ICD-10-CM codes define, and a patient seen only in the ICD-9-CM era:

    >>> dx9 = pd.concat([dx, pd.DataFrame({"subject_id": [4], "hadm_id": [40], "icd_code": ["4019"],
    ...                                    "icd_version": 9})])
    >>> t = icd_to_phecodes(dx9, m)
    >>> t["CV_416.2"].tolist(), t.attrs["vocabulary_excluded"]
    ([True, <NA>, False, <NA>], {'CV_416.2': 1})
    """
    if min_code_count < 1:
        raise ConfigError("min_code_count must be >= 1")
    mapped = map_icd(
        diagnoses,
        phecode_map,
        subject_col=subject_col,
        code_col=code_col,
        version_col=version_col,
        icd_version=icd_version,
        count_col=count_col,
    )
    mapped, subjects, sex = _ids_of_one_kind(mapped, subjects, sex)
    counts = phecode_counts(mapped)
    if subjects is None:
        subj = pd.Index(pd.unique(mapped["subject"]))
    else:
        subj = pd.Index(pd.unique(np.asarray(subjects)))
        outside = ~counts.index.get_level_values("subject").isin(subj)
        if outside.any():
            logger.info("ignoring diagnoses of %d subjects outside `subjects`",
                        counts.index.get_level_values("subject")[outside].nunique())
            counts = counts[~outside]
    subj = subj.sort_values()
    subj.name = "subject"
    # diagnoses whose code cannot be looked up (blank ICD version, missing code): a subject none of
    # whose diagnoses can be read has unknown phenotypes (NA everywhere), not a control's
    unread = _unreadable(mapped)
    unread_subj = pd.unique(mapped.loc[unread, "subject"])
    read_subj = pd.unique(mapped.loc[~unread, "subject"])
    none_read = subj.isin(unread_subj) & ~subj.isin(read_subj)
    partly_read = subj.isin(unread_subj) & subj.isin(read_subj)
    phe = pd.Index(sorted(counts.index.get_level_values("phecode").unique()), name="phecode")
    n_s, n_p = len(subj), len(phe)
    rows = subj.get_indexer(counts.index.get_level_values("subject"))
    cols = phe.get_indexer(counts.index.get_level_values("phecode"))
    # sparse throughout: a full cohort (300,000 subjects x 3,000 phecodes) fits in memory
    cnt = sp.csc_matrix((counts.to_numpy().astype(np.int32), (rows, cols)), shape=(n_s, n_p))
    present = (cnt > 0).astype(np.int8).tocsc()
    case_sp = (cnt >= min_code_count).astype(np.int8).tocsc()
    info = phecode_map.info
    need = (info["sex"].reindex(phe).fillna("Both").to_numpy()
            if sex is not None and "sex" in info.columns else np.full(n_p, "Both", dtype=object))
    if sex is not None:
        _refuse_numeric_sex(pd.Series(sex))
    sex_of = normalize_sex(pd.Series(sex)).reindex(subj).to_numpy() if sex is not None else None
    if sex_of is not None and n_s and pd.isna(sex_of).all():
        warnings.warn("`sex` gives the sex of none of the subjects (do its index and the subject ids "
                      "match?): every sex-specific phecode is NA", stacklevel=2)
    n_cases = np.asarray(case_sp.sum(axis=0)).ravel()
    n_specific, n_other = 0, 0  # cases of sex-specific phecodes among subjects of known sex; of the other sex
    for label in ("Female", "Male"):  # wrong-sex cases do not count
        j = np.flatnonzero(need == label)
        if len(j) and sex_of is not None:
            wrong = (sex_of != label).astype(np.int32)
            n_cases[j] -= np.asarray(wrong @ case_sp[:, j]).ravel().astype(n_cases.dtype)
            known = pd.notna(sex_of)
            n_specific += int(np.asarray(known.astype(np.int32) @ case_sp[:, j]).sum())
            n_other += int(np.asarray((known & (sex_of != label)).astype(np.int32) @ case_sp[:, j]).sum())
    if n_other >= 5 and n_other > 0.5 * n_specific:
        msg = (f"{n_other} of {n_specific} cases of sex-specific phecodes (e.g. male genital cancers, pregnancy) are "
               "of the other sex as `sex` gives it, and are not counted: is the sex column coded the other way "
               "round (e.g. UK Biobank 0 = female, 1 = male vs PTB-XL 1 = female, 0 = male)? Give sex as F/M labels")
        logger.warning(msg)
        warnings.warn(msg, UserWarning, stacklevel=2)
    keep = n_cases >= min_cases
    if (~keep).any():
        logger.info("dropping %d phecodes with < %d cases", int((~keep).sum()), min_cases)
    kept = np.flatnonzero(keep)
    one_vocab = (phecode_map.single_vocabulary.reindex(phe[kept]).to_numpy()
                 if vocabulary_restriction else np.full(len(kept), np.nan, dtype=object))
    coded_in = _coded_in(mapped, subj) if pd.notna(one_vocab).any() else {}
    hit = None
    if exclusions and "exclude" in info.columns and len(kept):
        excl = info["exclude"].reindex(phe[kept])
        r_idx, c_idx = [], []
        for j, ex in enumerate(excl):
            if isinstance(ex, tuple) and ex:
                k = phe.get_indexer(list(ex))
                k = k[k >= 0]
                r_idx.extend(k.tolist())
                c_idx.extend([j] * len(k))
        if r_idx:
            ex_mat = sp.csc_matrix(
                (np.ones(len(r_idx), dtype=np.int32), (r_idx, c_idx)), shape=(n_p, len(kept))
            )
            hit = (present.astype(np.int32) @ ex_mat).tocsc()
    out = {}
    sex_removed = {}
    vocab_removed = {}
    unread_controls: dict = {}
    for jj, j in enumerate(kept):
        c = np.asarray(cnt[:, j].toarray()).ravel()
        val = np.where(c >= min_code_count, 1.0, np.where(c > 0, np.nan, 0.0))
        val[none_read] = np.nan
        if hit is not None:
            h = np.asarray(hit[:, jj].toarray()).ravel() > 0
            val[h & (val == 0.0)] = np.nan
        if isinstance(one_vocab[jj], str):  # never coded in the only vocabulary that defines it
            never = ~coded_in[one_vocab[jj]] & (val == 0.0)
            vocab_removed[phe[j]] = int(never.sum())
            val[never] = np.nan
        if need[j] in ("Female", "Male") and sex_of is not None:
            wrong = sex_of != need[j]
            sex_removed[phe[j]] = int((wrong & ~np.isnan(val)).sum())
            val[wrong] = np.nan  # other or unknown sex
        if partly_read.any():
            unread_controls[phe[j]] = int((partly_read & (val == 0.0)).sum())
        out[phe[j]] = pd.arrays.BooleanArray(val == 1.0, np.isnan(val))
    table = pd.DataFrame(out, index=subj) if out else pd.DataFrame(index=subj, dtype="boolean")
    table.columns = pd.Index(list(out), name="phecode")
    table.attrs["sex_excluded"] = sex_removed
    table.attrs["vocabulary_excluded"] = vocab_removed
    table.attrs["unreadable_subjects"] = subj[none_read].tolist()
    table.attrs["n_unreadable_rows"] = int(unread.sum())
    table.attrs["unreadable_controls"] = unread_controls
    if unread.any():
        n_version = int(mapped.loc[unread, "vocabulary"].isna().sum())
        logger.warning(
            "%d diagnosis rows cannot be read (%d without an ICD version, %d without a code): %d subjects none of "
            "whose diagnoses can be read are left out of every phecode (NA: phenotype unknown, not controls; "
            "table.attrs['unreadable_subjects']); %d subjects with some unreadable rows are kept (as controls they "
            "may miss a code: per phecode in table.attrs['unreadable_controls'])",
            int(unread.sum()), n_version, int(unread.sum()) - n_version, int(none_read.sum()), int(partly_read.sum()))
    if vocab_removed:
        by = pd.Series(vocab_removed)
        logger.info("%d phecodes defined by codes of one ICD vocabulary only: %d subject-phecode controls without "
                    "any diagnosis in that vocabulary set to NA (most: %s)", len(by), int(by.sum()),
                    ", ".join(f"{k} {v}" for k, v in by.sort_values(ascending=False).head(3).items()))
    if sex_removed:
        logger.info("sex restriction: %d sex-specific phecodes, %d subject-phecode values set to NA",
                    len(sex_removed), sum(sex_removed.values()))
    return table
