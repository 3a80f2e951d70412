"""Load phecode maps (Phecode X and Phecode 1.2) from the files users download.

Where to get the files
----------------------
* **Phecode X** (Shuey et al., Bioinformatics 2023): the ``phecodeX_R_*.csv`` files published
  for the PheWAS R package, in the PheWAS/phecodeX GitHub repository
  (https://github.com/PheWAS/phecodeX) and at https://phewascatalog.org/phecodes_v2 :
  ``phecodeX_R_map.csv`` (ICD-9-CM / ICD-10-CM code -> phecode, *not* unrolled),
  ``phecodeX_R_rollup_map.csv`` (phecode -> every phecode it implies, itself included),
  ``phecodeX_R_labels.csv`` (description, category, colour) and ``phecodeX_R_sex.csv``
  (male-only / female-only flags).
* **Phecode 1.2** (Wu et al., JMIR Med Inform 2019): the unrolled ICD -> phecode table shipped
  with PheTK (https://github.com/nhgritctran/PheTK, ``phecode/phecode12_unrolled.csv.gz`` or
  its ``phecode_map_v1_2_icd9_icd10_unrolled`` equivalent; GPL-3) with the columns
  ``phecode, ICD, flag, phecode_string, phecode_category, exclude_range, sex,
  phecode_unrolled``. ``exclude_range`` lists, for each phecode, the related phecodes whose
  carriers are not used as controls.

Both are held in one :class:`PhecodeMap`: ``icd`` is the *unrolled* code table (an ICD code
maps to its phecode and to every parent), ``info`` describes each phecode.

Phecodes of one vocabulary only
-------------------------------
Some phecodes can only be reached from codes of one ICD vocabulary: ICD-9-CM has no code for
"paroxysmal atrial fibrillation" (427.31 is atrial fibrillation of any kind), so Phecode X's
``CV_416.211`` is defined by ICD-10-CM codes only. ``phecodeX_R_labels.csv`` marks these with
its ``icd10_only`` column ("1 if the phecode is defined only by ICD-10 codes; 0 if the phecode is
defined by both ICD-9 and -10 codes", the phecodeX README shipped with the files); it is kept
as ``info["icd10_only"]``. What :func:`~interp_ecg.phenotype.icd_to_phecodes` uses is
:attr:`PhecodeMap.single_vocabulary`, read from the unrolled code table itself, because that
table is what makes cases, and because the two disagree for a few phecodes: in the phecodeX
files shipped with this project's test data, 571 phecodes are flagged ``icd10_only``; the
unrolled map gives 564 phecodes that only ICD-10-CM codes reach, and 2 (``GU_624.1``,
``NB_885.4``) that only ICD-9-CM codes reach (never flagged: the file has no ``icd9_only``
column); 9 flagged phecodes have ICD-9-CM codes in the map (e.g. ``GE_976.52`` ADPKD, ICD-9-CM
753.14) and 2 unflagged ones have none (``CV_418.2``, ``NB_864.3``). The Phecode 1.2 unrolled
file (PheTK) has 29 phecodes that only ICD-9-CM codes reach and none for ICD-10-CM only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from interp_ecg.errors import ConfigError, DataNotFoundError

logger = logging.getLogger(__name__)

__all__ = ["PhecodeMap", "load_phecode_map", "normalize_icd", "vocabulary_of"]

PHECODEX_FILES = {
    "map": "phecodeX_R_map.csv",
    "rollup": "phecodeX_R_rollup_map.csv",
    "labels": "phecodeX_R_labels.csv",
    "sex": "phecodeX_R_sex.csv",
}
PHECODE12_FILES = ("phecode12_unrolled.csv.gz", "phecode12_unrolled.csv")

_VOCAB_ALIASES = {
    "9": "ICD9CM",
    "9.0": "ICD9CM",
    "ICD9": "ICD9CM",
    "ICD9CM": "ICD9CM",
    "ICD-9": "ICD9CM",
    "ICD-9-CM": "ICD9CM",
    "10": "ICD10CM",
    "10.0": "ICD10CM",
    "ICD10": "ICD10CM",
    "ICD10CM": "ICD10CM",
    "ICD-10": "ICD10CM",
    "ICD-10-CM": "ICD10CM",
}


def normalize_icd(codes: pd.Series | list) -> pd.Series:
    """Normalise ICD codes: strip blanks, upper-case, remove dots.

    ``"I48.91"``, ``"i4891"`` and ``" I48.91 "`` all become ``"I4891"`` (MIMIC-IV stores codes
    without dots). ICD-9-CM and ICD-10-CM categories have a fixed number of characters before
    the dot, so removing it never merges two different codes of the same vocabulary.

    Examples
    --------
    >>> from interp_ecg.phenotype import normalize_icd
    >>> normalize_icd(["I48.91", "i4891", " 427.31"]).tolist()
    ['I4891', 'I4891', '42731']
    """
    s = pd.Series(codes, dtype="str") if not isinstance(codes, pd.Series) else codes.astype("str")
    return s.str.strip().str.upper().str.replace(".", "", regex=False)


def vocabulary_of(versions: pd.Series | list) -> pd.Series:
    """Map ICD version labels (``9``, ``"10"``, ``"ICD10CM"``, ``"ICD-9-CM"``...) to
    ``"ICD9CM"`` / ``"ICD10CM"``; anything else becomes missing.

    Read, whole and in any case: the numbers 9 and 10 (``9.0``, ``"10"``), and ``[ICD]9|10[CM]``
    written with or without blanks, ``-``, ``_`` or ``.`` between the parts (``"ICD-10-CM"``,
    ``"ICD10-CM"``, ``"10CM"``, ``"icd 9"``). Not read: ``"I10"`` (also a code), procedure
    vocabularies (``"ICD-10-PCS"``) and anything else; callers decide whether a label that is
    not read is an error (:func:`interp_ecg.phenotype.icd_to_phecodes` refuses it).

    Examples
    --------
    >>> from interp_ecg.phenotype.phecodes import vocabulary_of
    >>> vocabulary_of([9, "10", "icd10cm", "10CM", "ICD10-CM", "I10", "x"]).tolist()
    ['ICD9CM', 'ICD10CM', 'ICD10CM', 'ICD10CM', 'ICD10CM', nan, nan]
    """
    s = pd.Series(versions)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)  # few distinct values: map those
    text = pd.Series(uniques).astype("str").str.strip().str.upper()
    key = text.map(_VOCAB_ALIASES)
    parts = text.str.replace(r"[\s\-_.]", "", regex=True).str.extract(r"^(?:ICD)?(9|10)(?:CM)?$")[0]
    key = key.fillna(parts.map({"9": "ICD9CM", "10": "ICD10CM"}))
    lut = np.append(key.to_numpy(dtype=object), np.nan)
    return pd.Series(lut[codes], index=s.index, dtype=object)


@dataclass
class PhecodeMap:
    """A phecode map ready for :func:`interp_ecg.phenotype.icd_to_phecodes`.

    Attributes
    ----------
    version : str
        ``"X"`` or ``"1.2"``.
    icd : pandas.DataFrame
        Unrolled code table with columns ``vocabulary`` (``ICD9CM``/``ICD10CM``), ``code``
        (normalised, see :func:`normalize_icd`) and ``phecode``: one row per code and implied
        phecode (the code's own phecode and all its parents).
    info : pandas.DataFrame
        Indexed by phecode: ``description``, ``category``, ``sex`` (``"Both"``, ``"Female"``,
        ``"Male"``) and ``exclude`` (tuple of phecodes whose carriers are not controls; empty
        for Phecode X); Phecode X also ``icd10_only`` (the labels file's flag, as published;
        see :attr:`single_vocabulary` for what the mapping uses).
    source : str
        Where it was read from.
    """

    version: str
    icd: pd.DataFrame
    info: pd.DataFrame
    source: str = ""

    def __repr__(self) -> str:
        return (
            f"PhecodeMap(version={self.version!r}, phecodes={len(self.info)}, "
            f"codes={self.icd[['vocabulary', 'code']].drop_duplicates().shape[0]}, "
            f"source={self.source!r})"
        )

    @property
    def single_vocabulary(self) -> pd.Series:
        """Phecodes that codes of one vocabulary only map to (after roll-up), and that vocabulary.

        Returns
        -------
        pandas.Series
            Indexed by phecode (only the single-vocabulary ones), values ``"ICD9CM"`` or
            ``"ICD10CM"``. A subject never coded in that vocabulary cannot be a case of the
            phecode, so :func:`~interp_ecg.phenotype.icd_to_phecodes` does not take it as a
            control either.

        Examples
        --------
        >>> import pandas as pd
        >>> from interp_ecg.phenotype import PhecodeMap
        >>> icd = pd.DataFrame({"vocabulary": ["ICD9CM", "ICD10CM", "ICD10CM"],
        ...                     "code": ["42731", "I4891", "I480"],
        ...                     "phecode": ["CV_416.21", "CV_416.21", "CV_416.211"]})
        >>> PhecodeMap("X", icd, pd.DataFrame()).single_vocabulary.to_dict()
        {'CV_416.211': 'ICD10CM'}
        """
        if self.icd.empty:
            return pd.Series(dtype=object, index=pd.Index([], name="phecode"), name="vocabulary")
        n = self.icd.groupby("phecode")["vocabulary"].nunique()
        one = n.index[n == 1]
        first = self.icd.drop_duplicates("phecode").set_index("phecode")["vocabulary"]
        out = first.reindex(one)
        out.index.name = "phecode"
        return out.rename("vocabulary").astype(object)

    @property
    def phecodes(self) -> pd.Index:
        """All phecodes described by the map."""
        return self.info.index

    def describe(self, phecodes) -> pd.DataFrame:
        """Description and category of the given phecodes (unknown ones get NaN)."""
        return self.info.reindex(pd.Index(phecodes, name="phecode"))[["description", "category"]]


def _read_csv(path: Path, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], **kwargs)
    except FileNotFoundError as exc:
        raise DataNotFoundError("phecode file not found", source=path) from exc
    except Exception as exc:  # malformed csv
        raise DataNotFoundError(f"could not read phecode file: {exc}", source=path) from exc


def _need(df: pd.DataFrame, cols: list[str], path: Path) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ConfigError(
            f"missing columns {missing} (found {list(df.columns)}); is this the right phecode file?",
            source=path,
        )


def _find(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.exists():
        raise DataNotFoundError(
            f"{name} not found; download the phecode files (see interp_ecg.phenotype.phecodes docs)",
            source=folder,
        )
    return path


def _load_x(path: Path) -> PhecodeMap:
    folder = path if path.is_dir() else path.parent
    map_path = path if path.is_file() else _find(folder, PHECODEX_FILES["map"])
    raw = _read_csv(map_path)
    _need(raw, ["code", "vocabulary_id", "phecode"], map_path)
    icd = pd.DataFrame(
        {
            "vocabulary": vocabulary_of(raw["vocabulary_id"]),
            "code": normalize_icd(raw["code"]),
            "phecode": raw["phecode"].str.strip(),
        }
    ).dropna()
    rollup_path = folder / PHECODEX_FILES["rollup"]
    if rollup_path.exists():
        roll = _read_csv(rollup_path)
        _need(roll, ["code", "phecode_unrolled"], rollup_path)
        roll = roll.rename(columns={"code": "phecode"})
        known = set(roll["phecode"])
        extra = sorted(set(icd["phecode"]) - known)
        roll = pd.concat(
            [roll, pd.DataFrame({"phecode": extra, "phecode_unrolled": extra})], ignore_index=True
        )
        icd = icd.merge(roll, on="phecode", how="left")
        icd = icd.drop(columns="phecode").rename(columns={"phecode_unrolled": "phecode"})
    else:
        logger.warning("%s not found: Phecode X codes are NOT rolled up to parents", rollup_path)
    icd = icd.drop_duplicates(ignore_index=True)

    labels_path = folder / PHECODEX_FILES["labels"]
    if labels_path.exists():
        lab = _read_csv(labels_path)
        _need(lab, ["phenotype", "description", "group"], labels_path)
        info = pd.DataFrame(
            {
                "description": lab["description"].to_numpy(),
                "category": lab["group"].to_numpy(),
                "color": lab["color"].to_numpy() if "color" in lab else None,
            },
            index=pd.Index(lab["phenotype"].str.strip(), name="phecode"),
        )
        if "icd10_only" in lab.columns:
            flag = lab["icd10_only"].str.strip().str.upper().map({"1": True, "0": False, "TRUE": True,
                                                                 "FALSE": False})
            info["icd10_only"] = pd.array(flag.to_numpy(), dtype="boolean")
    else:
        logger.warning("%s not found: phecodes have no descriptions", labels_path)
        info = pd.DataFrame(
            {"description": pd.NA, "category": pd.NA, "color": None},
            index=pd.Index(sorted(set(icd["phecode"])), name="phecode"),
        )
    missing = sorted(set(icd["phecode"]) - set(info.index))
    if missing:
        info = pd.concat([info, pd.DataFrame(index=pd.Index(missing, name="phecode"))])
    info["sex"] = "Both"
    sex_path = folder / PHECODEX_FILES["sex"]
    if sex_path.exists():
        sx = _read_csv(sex_path)
        _need(sx, ["phecode", "male_only", "female_only"], sex_path)
        sx = sx.set_index(sx["phecode"].str.strip())
        male = sx["male_only"].str.upper().eq("TRUE")
        female = sx["female_only"].str.upper().eq("TRUE")
        info.loc[male[male].index.intersection(info.index), "sex"] = "Male"
        info.loc[female[female].index.intersection(info.index), "sex"] = "Female"
    else:
        logger.warning("%s not found: no sex restrictions", sex_path)
    info["exclude"] = [() for _ in range(len(info))]
    pmap = PhecodeMap("X", icd, info, source=str(folder))
    _log_single_vocabulary(pmap)
    return pmap


def _log_single_vocabulary(pmap: PhecodeMap) -> None:
    """Log how many phecodes one vocabulary only reaches, and where the published flag disagrees."""
    single = pmap.single_vocabulary
    counts = single.value_counts().to_dict()
    logger.info("%s: %d phecodes reached by ICD-10-CM codes only, %d by ICD-9-CM codes only (their "
                "controls need a diagnosis in that vocabulary)", pmap.source, counts.get("ICD10CM", 0),
                counts.get("ICD9CM", 0))
    if "icd10_only" in pmap.info.columns:
        flag = pmap.info["icd10_only"].fillna(False).astype(bool)
        derived = pd.Series(False, index=pmap.info.index)
        derived[single.index[single == "ICD10CM"].intersection(derived.index)] = True
        over, under = flag & ~derived, ~flag & derived
        if over.any() or under.any():
            logger.info("icd10_only flag of the labels file and the code map disagree: %d flagged phecodes have "
                        "ICD-9-CM codes (e.g. %s), %d unflagged have ICD-10-CM codes only (e.g. %s); the code map "
                        "is used", int(over.sum()), list(over.index[over][:3]), int(under.sum()),
                        list(under.index[under][:3]))


def _load_12(path: Path) -> PhecodeMap:
    if path.is_dir():
        for name in PHECODE12_FILES:
            if (path / name).exists():
                path = path / name
                break
        else:
            raise DataNotFoundError(
                f"none of {PHECODE12_FILES} found; download the Phecode 1.2 unrolled map (PheTK)",
                source=path,
            )
    raw = _read_csv(path)
    _need(
        raw,
        ["phecode", "ICD", "flag", "phecode_string", "phecode_category", "exclude_range", "sex"],
        path,
    )
    target = "phecode_unrolled" if "phecode_unrolled" in raw else "phecode"
    icd = pd.DataFrame(
        {
            "vocabulary": vocabulary_of(raw["flag"]),
            "code": normalize_icd(raw["ICD"]),
            "phecode": raw[target].str.strip(),
        }
    ).dropna()
    icd = icd.drop_duplicates(ignore_index=True)
    first = raw.drop_duplicates("phecode").set_index("phecode")
    exclude = first["exclude_range"].fillna("").map(
        lambda s: tuple(x.strip() for x in s.split(",") if x.strip())
    )
    info = pd.DataFrame(
        {
            "description": first["phecode_string"],
            "category": first["phecode_category"],
            "color": None,
            "sex": first["sex"].fillna("Both").str.strip().str.capitalize(),
            "exclude": exclude,
        }
    )
    info.index = pd.Index(info.index.str.strip(), name="phecode")
    pmap = PhecodeMap("1.2", icd, info, source=str(path))
    _log_single_vocabulary(pmap)
    return pmap


def _version_of(path: Path) -> str:
    """"1.2" for a Phecode 1.2 unrolled file (or a folder with one and no Phecode X map), else "X"."""
    if path.is_file():
        return "1.2" if path.name in PHECODE12_FILES else "X"
    has_12 = any((path / name).exists() for name in PHECODE12_FILES)
    return "1.2" if has_12 and not (path / PHECODEX_FILES["map"]).exists() else "X"


def load_phecode_map(path: str | PathLike, version: str | None = None) -> PhecodeMap:
    """Load a phecode map from the files users download.

    Parameters
    ----------
    path : str or path-like
        The folder holding the files, or one file: ``phecodeX_R_map.csv`` (its siblings
        ``phecodeX_R_rollup_map.csv``, ``phecodeX_R_labels.csv``, ``phecodeX_R_sex.csv`` are
        read from the same folder when present) or ``phecode12_unrolled.csv.gz``.
    version : {"X", "1.2"}, optional
        Phecode X (Shuey et al. 2023) or Phecode 1.2 (Wu et al. 2019, with exclusion ranges).
        None (default): read from ``path``, "1.2" for a ``phecode12_unrolled.csv[.gz]`` file
        or a folder holding one and no ``phecodeX_R_map.csv``, "X" otherwise.

    Returns
    -------
    PhecodeMap

    Raises
    ------
    DataNotFoundError
        The folder or a required file is missing.
    ConfigError
        Unknown version, or a file without the expected columns.

    Examples
    --------
    >>> from interp_ecg.phenotype import load_phecode_map
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "phecodeX_R_map.csv").write_text(
    ...     'code,vocabulary_id,phecode\\n"I48.91",ICD10CM,CV_416.2\\n"427.31",ICD9CM,CV_416.2\\n')
    >>> _ = (d / "phecodeX_R_rollup_map.csv").write_text(
    ...     "code,phecode_unrolled\\nCV_416.2,CV_416.2\\nCV_416.2,CV_416\\n")
    >>> m = load_phecode_map(d, version="X")
    >>> sorted(m.icd.query("code == 'I4891'")["phecode"])
    ['CV_416', 'CV_416.2']
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise DataNotFoundError("phecode map path does not exist", source=path)
    if version is None:
        version = _version_of(path)
    v = str(version).strip().upper().replace("PHECODE", "").strip("_ ")
    if v in ("X", "PHECODEX"):
        return _load_x(path)
    if v in ("1.2", "12", "1_2"):
        return _load_12(path)
    raise ConfigError(f"unknown phecode version {version!r}; use 'X' or '1.2'")
