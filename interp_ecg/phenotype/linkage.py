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
  ``[ecg_time + start, ecg_time + end]``. MIMIC-IV diagnoses are *discharge* diagnoses, known
  only at the end of the stay, but timed here at ``admittime``: a window that ends at the ECG
  (``("-365D", "0D")``, a "history before the ECG") therefore also links every diagnosis of the
  stay during which the ECG was taken, including complications that arose after the ECG
  (incident events read as prevalent). For a strictly-before window, end it before the stay
  (or link with ``time_col`` set to a column holding ``dischtime``).

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

    An ECG whose time is unknown (NaT) cannot be placed in time, so it is never chosen as a
    subject's first or last ECG: among a subject's ECGs only those of known time compete. A
    subject whose ECGs all have unknown times keeps its ECG when it has one only (it is both
    its first and its last) and is left out when it has several (which one is first cannot be
    told). Both counts are logged.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.phenotype import select_ecgs
    >>> e = pd.DataFrame({"subject_id": [1, 1, 1, 2], "ecg_time": pd.to_datetime(
    ...     ["2020-01-02", "2020-03-01", None, "2021-05-05"])}, index=[10, 11, 12, 13])
    >>> select_ecgs(e).index.tolist(), select_ecgs(e, "last").index.tolist()
    ([10, 13], [11, 13])
    """
    if rule == "all":
        return ecgs
    if rule not in ("first", "last"):
        raise ConfigError(f"rule must be 'first', 'last' or 'all', not {rule!r}")
    t = pd.to_datetime(ecgs[time_col], errors="coerce")
    unknown = t.isna().to_numpy()
    subj = ecgs[subject_col]
    timed = subj[~unknown]
    n_per = subj.map(subj.value_counts())
    keep_untimed = unknown & ~subj.isin(timed).to_numpy() & (n_per == 1).to_numpy()
    dropped = unknown & ~keep_untimed
    if dropped.any():
        lost = subj[dropped & ~subj.isin(timed).to_numpy()].nunique()
        logger.info("select_ecgs(%r): %d ECGs of unknown time are not candidates (not placed in time); %d subjects "
                    "with several ECGs all of unknown time are left out", rule, int(dropped.sum()), lost)
    s = ecgs[~dropped]
    s = s.assign(_t=t[~dropped]).sort_values([subject_col, "_t"], kind="stable").drop(columns="_t")
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
    return_unlinked: bool = False,
):
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

    return_unlinked : bool, default False
        Also return the ECGs that no diagnosis was linked to, with the reason.

    Returns
    -------
    DataFrame
        ``diagnoses`` rows with ``ecg_col`` added (a diagnosis linked to several ECGs appears
        once per ECG). ECGs without any linked diagnosis are absent.
    Series, only with ``return_unlinked=True``
        Indexed by ``ecg_col``: each ECG without a linked diagnosis and why: ``"no valid ECG
        time"`` (a window was asked for and the ECG time is missing or unreadable), ``"outside
        every admission with coded diagnoses"`` (``window="admission"``), ``"no diagnosis in
        the window"`` (a time window), ``"no diagnosis of the subject"`` (``window=None``).

    Notes
    -----
    An ECG without a linked diagnosis has two readings: its patient had data in the window and
    no code (a control for every phecode), or had no data there (phenotype unknown). Only the
    caller knows which: a cohort whose diagnoses cover every patient over the whole window
    (a complete registry, a simulated cohort) gives controls, while hospital discharge
    diagnoses (MIMIC-IV ``hosp``) say nothing of an emergency-department or outpatient ECG
    outside every stay. Pass to :func:`~interp_ecg.phenotype.icd_to_phecodes` as
    ``subjects=`` only the ECGs known to have data (for discharge diagnoses: the linked ones);
    an ECG with no valid time is never known. The PheWAS R package (Carroll et al. 2014,
    Bioinformatics 30:2375) draws the same line: ``createPhenotypes`` writes control rows only
    for ids in its code input or in ``full.population.ids`` (default: the ids of the code
    input), so an id with no code at all gets no phenotype row - it is missing, not a control,
    once joined with the exposures - unless the caller declares it part of the population.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.phenotype import diagnoses_for_ecgs
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
    >>> _, unlinked = diagnoses_for_ecgs(ecgs, dx, window="admission", admissions=adm, return_unlinked=True)
    >>> unlinked.to_dict()
    {2: 'outside every admission with coded diagnoses'}
    """
    e = ecgs.copy()
    if ecg_col not in e.columns:
        e = e.rename_axis(ecg_col).reset_index()
    for col in (subject_col, ecg_col):
        if col not in e.columns:
            raise ConfigError(f"ECG table lacks column {col!r}; found {list(e.columns)}")
    if subject_col not in diagnoses.columns:
        raise ConfigError(f"diagnoses lack column {subject_col!r}")
    e, diagnoses = _same_id_kind(e, diagnoses, subject_col, ("ECG table", "diagnoses"))
    no_time = pd.Index([], name=ecg_col)
    if window is None:
        out = diagnoses.merge(e[[subject_col, ecg_col]], on=subject_col, how="inner").reset_index(drop=True)
        return _with_unlinked(out, e, ecg_col, no_time, "no diagnosis of the subject", return_unlinked)
    if ecg_time_col not in e.columns:
        raise ConfigError(f"a time window needs the ECG time column {ecg_time_col!r}")
    e[ecg_time_col] = pd.to_datetime(e[ecg_time_col], errors="coerce")
    no_time = pd.Index(e.loc[e[ecg_time_col].isna(), ecg_col], name=ecg_col)
    if len(no_time):
        logger.warning("%d ECGs without a valid time are not linked", len(no_time))
    if isinstance(window, str) and window == "admission":
        if admissions is None:
            raise ConfigError("window='admission' needs the admissions table (admittime, dischtime)")
        adm = admissions[[hadm_col, "admittime", "dischtime"]].drop_duplicates(hadm_col).copy()
        if hadm_col in diagnoses.columns:
            adm, diagnoses = _same_id_kind(adm, diagnoses, hadm_col, ("admissions", "diagnoses"))
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
        out = diagnoses.merge(links, on=[subject_col, hadm_col], how="inner").reset_index(drop=True)
        return _with_unlinked(out, e, ecg_col, no_time, "outside every admission with coded diagnoses",
                              return_unlinked)
    try:
        start, end = (pd.to_timedelta(w) for w in window)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"window must be None, 'admission' or (start, end); got {window!r}") from exc
    if start > end:
        raise ConfigError(f"window start {window[0]!r} lies after its end {window[1]!r}: it links no diagnosis")
    if time_col not in diagnoses.columns:
        raise ConfigError(f"a time window needs the diagnosis time column {time_col!r}")
    dx = diagnoses.copy()
    t = pd.to_datetime(dx[time_col], errors="coerce")
    dx["_t"] = t
    out = dx.merge(e[[ecg_col, subject_col, ecg_time_col]], on=subject_col, how="inner")
    keep = (out["_t"] >= out[ecg_time_col] + start) & (out["_t"] <= out[ecg_time_col] + end)
    out = out.loc[keep].drop(columns=["_t", ecg_time_col]).reset_index(drop=True)
    return _with_unlinked(out, e, ecg_col, no_time, "no diagnosis in the window", return_unlinked)


def _same_id_kind(left: pd.DataFrame, right: pd.DataFrame, col: str,
                  names: tuple[str, str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``left`` and ``right`` with ``col`` of one kind: where one side holds numbers and the
    other text (``7`` and ``"7"``: a CSV read with and without ``dtype=str``), both become id
    strings (:func:`interp_ecg.io.as_id_strings`), so the same patient or admission matches;
    otherwise both are returned as given."""
    num = [pd.api.types.is_numeric_dtype(d[col]) and not pd.api.types.is_bool_dtype(d[col]) for d in (left, right)]
    if num[0] == num[1]:
        return left, right
    from interp_ecg.io import as_id_strings

    logger.info("%s: numbers in the %s, text in the %s; matched as text ids", col,
                names[0] if num[0] else names[1], names[1] if num[0] else names[0])
    return (left.assign(**{col: as_id_strings(left[col]).to_numpy()}),
            right.assign(**{col: as_id_strings(right[col]).to_numpy()}))


def _with_unlinked(out: pd.DataFrame, e: pd.DataFrame, ecg_col: str, no_time: pd.Index, reason: str,
                   return_unlinked: bool):
    """``out``, or ``(out, unlinked)``: the ECGs of ``e`` without a linked diagnosis and why
    (``no_time``: no valid ECG time; the others: ``reason``), with a log line of the counts."""
    ids = pd.Index(e[ecg_col].drop_duplicates(), name=ecg_col)
    missing = ids[~ids.isin(out[ecg_col])]
    unlinked = pd.Series(reason, index=missing, name="reason", dtype=object)
    unlinked[unlinked.index.isin(no_time)] = "no valid ECG time"
    if len(unlinked):
        logger.info("%d of %d ECGs without a linked diagnosis: %s", len(unlinked), len(ids),
                    ", ".join(f"{n} {k}" for k, n in unlinked.value_counts().items()))
    return (out, unlinked) if return_unlinked else out
