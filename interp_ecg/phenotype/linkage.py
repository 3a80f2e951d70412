"""Link ECGs to subjects and their diagnoses, optionally within a time window.

MIMIC-IV-ECG ``record_list`` gives ``subject_id, study_id, ecg_time``; MIMIC-IV ``hosp`` gives
admissions (``hadm_id, admittime, dischtime``) and ICD diagnoses per admission. Three windows:

* ``window=None``: every diagnosis of the ECG's subject (lifetime phenotype, the usual PheWAS);
* ``window="admission"``: diagnoses of the admissions during which the ECG was taken
  (``admittime - margin <= ecg_time <= dischtime + margin``; ``margin`` covers ECGs recorded in
  the emergency department just before admission): discharge diagnoses of that stay, as in the
  prototype-phenotyping paper;
* ``window=(start, end)`` (anything :func:`pandas.to_timedelta` reads, e.g. ``("-30D",
  "365D")``): diagnoses whose time (``time_col``: ``admittime``, or a ``date``) lies in
  ``[ecg_time + start, ecg_time + end]``.

The result is a diagnoses table with an ``ecg_col`` column, ready for
``icd_to_phecodes(..., subject_col=ecg_col)``: one phenotype row per ECG.
"""

from __future__ import annotations

import logging

import pandas as pd

from interp_ecg.errors import ConfigError

logger = logging.getLogger(__name__)

__all__ = ["select_ecgs", "diagnoses_for_ecgs"]


def select_ecgs(
    ecgs: pd.DataFrame,
    rule: str = "first",
    *,
    subject_col: str = "subject_id",
    time_col: str = "ecg_time",
) -> pd.DataFrame:
    """One ECG per subject (``"first"`` or ``"last"`` in time), or all (``"all"``).

    Examples
    --------
    >>> e = pd.DataFrame({"subject_id": [1, 1, 2], "ecg_time": pd.to_datetime(
    ...     ["2020-01-02", "2020-01-01", "2021-05-05"])}, index=[10, 11, 12])
    >>> select_ecgs(e).index.tolist()
    [11, 12]
    """
    if rule == "all":
        return ecgs
    if rule not in ("first", "last"):
        raise ConfigError(f"rule must be 'first', 'last' or 'all', not {rule!r}")
    s = ecgs.sort_values([subject_col, time_col], kind="stable")
    return s.groupby(subject_col, sort=False).head(1) if rule == "first" else \
        s.groupby(subject_col, sort=False).tail(1)


def diagnoses_for_ecgs(
    ecgs: pd.DataFrame,
    diagnoses: pd.DataFrame,
    *,
    window=None,
    admissions: pd.DataFrame | None = None,
    margin="0h",
    subject_col: str = "subject_id",
    ecg_col: str = "ecg_id",
    ecg_time_col: str = "ecg_time",
    time_col: str = "admittime",
    hadm_col: str = "hadm_id",
) -> pd.DataFrame:
    """Diagnoses linked to each ECG (see the module notes for the windows).

    Parameters
    ----------
    ecgs : DataFrame
        One row per ECG: ``ecg_col`` (or the index), ``subject_col``, ``ecg_time_col``.
    diagnoses : DataFrame
        One row per diagnosis with ``subject_col``; ``hadm_col`` for ``window="admission"``,
        ``time_col`` for a time window.
    admissions : DataFrame, optional
        ``hadm_id, admittime, dischtime`` (needed for ``window="admission"``).

    Returns
    -------
    DataFrame
        ``diagnoses`` rows with ``ecg_col`` added (a diagnosis linked to several ECGs appears
        once per ECG). ECGs without any linked diagnosis are absent: pass the ECG ids as
        ``subjects=`` to :func:`~interp_ecg.phenotype.icd_to_phecodes` so they are controls.

    Examples
    --------
    >>> ecgs = pd.DataFrame({"ecg_id": [1, 2], "subject_id": [7, 7],
    ...                      "ecg_time": pd.to_datetime(["2020-01-05", "2022-01-01"])})
    >>> adm = pd.DataFrame({"hadm_id": [100, 200], "admittime": pd.to_datetime(["2020-01-04",
    ...                     "2021-06-01"]), "dischtime": pd.to_datetime(["2020-01-09", "2021-06-03"])})
    >>> dx = pd.DataFrame({"subject_id": [7, 7], "hadm_id": [100, 200], "icd_code": ["I4891", "I10"],
    ...                    "icd_version": 10})
    >>> diagnoses_for_ecgs(ecgs, dx, window="admission", admissions=adm)[["ecg_id", "icd_code"]].values.tolist()
    [[1, 'I4891']]
    >>> len(diagnoses_for_ecgs(ecgs, dx))  # no window: each ECG gets all of the subject's codes
    4
    """
    e = ecgs.copy()
    if ecg_col not in e.columns:
        e = e.rename_axis(ecg_col).reset_index()
    for col in (subject_col, ecg_col):
        if col not in e.columns:
            raise ConfigError(f"ECG table lacks column {col!r}; found {list(e.columns)}")
    if subject_col not in diagnoses.columns:
        raise ConfigError(f"diagnoses lack column {subject_col!r}")
    if window is None:
        out = diagnoses.merge(e[[subject_col, ecg_col]], on=subject_col, how="inner")
        return out.reset_index(drop=True)
    if ecg_time_col not in e.columns:
        raise ConfigError(f"a time window needs the ECG time column {ecg_time_col!r}")
    e[ecg_time_col] = pd.to_datetime(e[ecg_time_col], errors="coerce")
    if e[ecg_time_col].isna().any():
        logger.warning("%d ECGs without a valid time are not linked", int(e[ecg_time_col].isna().sum()))
    if isinstance(window, str) and window == "admission":
        if admissions is None:
            raise ConfigError("window='admission' needs the admissions table (admittime, dischtime)")
        adm = admissions[[hadm_col, "admittime", "dischtime"]].drop_duplicates(hadm_col).copy()
        adm["admittime"] = pd.to_datetime(adm["admittime"], errors="coerce")
        adm["dischtime"] = pd.to_datetime(adm["dischtime"], errors="coerce")
        if hadm_col not in diagnoses.columns:
            raise ConfigError(f"window='admission' needs {hadm_col!r} in the diagnoses")
        pad = pd.to_timedelta(margin)
        stays = diagnoses[[subject_col, hadm_col]].drop_duplicates().merge(adm, on=hadm_col)
        pairs = e[[ecg_col, subject_col, ecg_time_col]].merge(stays, on=subject_col)
        inside = (pairs[ecg_time_col] >= pairs["admittime"] - pad) & (
            pairs[ecg_time_col] <= pairs["dischtime"] + pad
        )
        links = pairs.loc[inside, [ecg_col, subject_col, hadm_col]].drop_duplicates()
        out = diagnoses.merge(links, on=[subject_col, hadm_col], how="inner")
        return out.reset_index(drop=True)
    try:
        start, end = (pd.to_timedelta(w) for w in window)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"window must be None, 'admission' or (start, end); got {window!r}") from exc
    if time_col not in diagnoses.columns:
        raise ConfigError(f"a time window needs the diagnosis time column {time_col!r}")
    dx = diagnoses.copy()
    t = pd.to_datetime(dx[time_col], errors="coerce")
    dx["_t"] = t
    out = dx.merge(e[[ecg_col, subject_col, ecg_time_col]], on=subject_col, how="inner")
    keep = (out["_t"] >= out[ecg_time_col] + start) & (out["_t"] <= out[ecg_time_col] + end)
    return out.loc[keep].drop(columns=["_t", ecg_time_col]).reset_index(drop=True)
