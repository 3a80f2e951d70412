"""Glue of the command line and the demo: training data, patient split, ensemble, PheWAS of exposures.

Thin glue over :mod:`interp_ecg.features`, :mod:`interp_ecg.models`,
:mod:`interp_ecg.evaluate`, :mod:`interp_ecg.explain` and :mod:`interp_ecg.phenotype`; the
concepts it uses have their owners there (model inputs:
:func:`interp_ecg.features.model_columns`; metric tables:
:func:`interp_ecg.evaluate.tagged_metrics_table`; grounded sentences:
:func:`interp_ecg.explain.explain_row`) and in :mod:`interp_ecg.studies.wct` (the WCT rule
and its defining features).

Examples
--------
>>> import pandas as pd
>>> from interp_ecg.studies.pipeline import sex_labels
>>> sex_labels(pd.Series([1, 0])).tolist()
['Female', 'Male']
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.errors import ConfigError, InterpEcgError, ModelError
from interp_ecg.evaluate import patient_groups, tagged_metrics_table
from interp_ecg.features import model_columns
from interp_ecg.io.ids import align_to_index, align_xy_groups
from interp_ecg.studies.params import covariate_problem
from interp_ecg.studies.wct import (RULE, RULE_NOT_ASSESSABLE, WCT_QRS_LEADS, WCT_QRS_MIN_LEADS, defining_columns, wct_rule_label,
                                     wct_rule_outcome)

logger = logging.getLogger(__name__)

_SUBJECT_COLUMNS = ("patient_id", "subject_id")
#: the record's patient identifier and the demographics its reader provides, written beside the
#: measurements by ``interp-ecg features`` (:func:`with_record_columns`)
RECORD_COLUMNS = ("patient_id", "age", "sex")
#: the demographics among them: not model inputs of :func:`training_data` unless asked for
DEMOGRAPHICS = ("age", "sex")


def with_record_columns(features: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """``features`` with each record's ``patient_id``, ``age`` and ``sex`` from its reader's ``meta`` in front.

    So a feature table is complete for a PheWAS (subject and covariates) or a patient-wise
    split without a join. Values are the reader's: ids keep their type (PTB-XL's integer
    ``patient_id``, MIMIC's text ``subject_id``); an id that arrives as a float (``15709.0``)
    becomes an integer (``Int64``), or text when not whole, never a float. Where the reader
    has no such column the column is missing values (``<NA>`` for ``patient_id`` and ``sex``,
    NaN for ``age``); a record ``meta`` lacks gets missing values too. Columns ``features``
    already has are kept as they are.

    Parameters
    ----------
    features : pandas.DataFrame
        One row per record, indexed by record id (:func:`interp_ecg.features.extract`).
    meta : pandas.DataFrame
        The dataset's ``meta``, indexed by record id.

    Returns
    -------
    pandas.DataFrame
        A copy of ``features`` with :data:`RECORD_COLUMNS` first.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.pipeline import with_record_columns
    >>> f = pd.DataFrame({"QRS_duration_ms": [96.0, 130.0]}, index=pd.Index([1, 2], name="ecg_id"))
    >>> meta = pd.DataFrame({"patient_id": [15709.0, 15709.0], "sex": ["F", None]}, index=[1, 2])
    >>> t = with_record_columns(f, meta)
    >>> t.columns.tolist(), t["patient_id"].tolist(), str(t["patient_id"].dtype), bool(t["age"].isna().all())
    (['patient_id', 'age', 'sex', 'QRS_duration_ms'], [15709, 15709], 'Int64', True)
    """
    idx = features.index
    m = meta.reindex(idx)
    missing = {"patient_id": pd.array([pd.NA] * len(idx), dtype="string"),
               "age": np.full(len(idx), np.nan), "sex": pd.array([pd.NA] * len(idx), dtype="string")}
    front = {}
    for col in RECORD_COLUMNS:
        if col in features.columns:
            continue
        values = m[col] if col in m.columns else pd.Series(missing[col], index=idx)
        if col == "patient_id" and pd.api.types.is_float_dtype(values):
            values = values.astype("Int64") if (values.dropna() % 1 == 0).all() else _id_strings(values)
        front[col] = values
    return pd.concat([pd.DataFrame(front, index=idx), features], axis=1)

#: the inputs of the WCT rule (a rule baseline is scored when a table has both)
_RULE_INPUTS = ("QRS_duration_ms", "heart_rate_bpm")

#: label names for which the WCT rule is a meaningful comparator: a wide-complex tachycardia
#: label from elsewhere (e.g. the simulator's ``sim_wct``, a chart-review ``WCT`` column)
WCT_LABEL_PATTERN = re.compile(r"wct|wide[ _-]?(qrs|complex)", re.IGNORECASE)


def read_feature_input(path: str | Path, dataset: Any, required: Sequence[str] = ("quality_ok",)) -> pd.DataFrame:
    """Read a feature table the user gave as a study's input (``data.features``); never written.

    The table (Parquet, one row per record, as :func:`interp_ecg.features.extract` returns it)
    is used as given. It must hold every record of ``dataset`` and the ``required`` columns;
    otherwise the error says exactly which records and columns are missing. A table that
    records the provenance :func:`interp_ecg.features.extract_cached` stamps (code fingerprint,
    data) and differs from this run's code or data is used, with a warning naming the
    differences; a table without that stamp (e.g. saved with ``features.extract(...).to_parquet``)
    is used with a log line saying its provenance is not recorded. A cache that the study may
    rewrite is a separate path (``data.cache_dir``: :func:`~interp_ecg.studies.config.feature_cache`).

    Parameters
    ----------
    path : path
        The Parquet file.
    dataset : EcgDataset
        The records the study measures (``ids``).
    required : sequence of str
        Columns the study reads.

    Returns
    -------
    DataFrame
        The table's rows of ``dataset``'s records, in its order.

    Raises
    ------
    DataNotFoundError
        The file is missing or unreadable, lacks records of ``dataset`` or ``required`` columns.
    """
    from interp_ecg.errors import DataNotFoundError
    from interp_ecg.features.extract import CACHE_KEY

    path = Path(path)
    try:
        feats = pd.read_parquet(path)
    except Exception as err:  # noqa: BLE001 - name the file and the cause
        raise DataNotFoundError(f"data.features {path}: cannot be read as a Parquet feature table "
                                f"({type(err).__name__}: {err})") from err
    stored = feats.attrs.get(CACHE_KEY)
    feats.attrs = {}
    ids = list(dataset.ids)
    have = set(feats.index)
    missing_ids = [i for i in ids if i not in have]
    missing_cols = [c for c in required if c not in feats.columns]
    problems = []
    if missing_ids:
        problems.append(f"lacks {len(missing_ids)} of the dataset's {len(ids)} records (e.g. "
                        f"{[str(i) for i in missing_ids[:5]]}; the table's index has {len(feats)} rows, e.g. "
                        f"{[str(i) for i in list(feats.index[:3])]})")
    if missing_cols:
        problems.append(f"lacks the column(s) {missing_cols}")
    if problems:
        raise DataNotFoundError(f"data.features {path}: " + "; ".join(problems) + ". The file was not changed; "
                                "measure the records again with interp_ecg.features.extract, or leave "
                                "data.features out (then data.cache_dir, if set, holds a cache).")
    if isinstance(stored, dict):
        import json

        from interp_ecg.features.extract import code_fingerprint, dataset_identity
        from interp_ecg.features.stream import manifest_differences

        # the stamp extract_cached writes: the code and the data (without the record list)
        now = json.loads(json.dumps({"code": code_fingerprint(),
                                     "dataset": dataset_identity(dataset, with_records=False)}, default=str))
        if differ := manifest_differences(stored, now):
            logger.warning("data.features %s was made by other code or from other data (%s); used as given "
                           "(the file is never rewritten)", path, "; ".join(differ[:4]))
    else:
        logger.info("data.features %s: no provenance stamp (not written by extract_cached); used as given", path)
    return feats.loc[ids]


def rule_is_comparator(label: str | None) -> bool:
    """Whether the WCT rule (QRS >= 120 ms and HR >= 100 bpm) is a meaningful baseline for ``label``.

    It is for a wide-complex tachycardia label that does not come from the rule itself
    (its name matches :data:`WCT_LABEL_PATTERN`, e.g. ``sim_wct``). It is not for ``"wct"``
    (:func:`training_data` computes that label *by* the rule, so the rule scores 1.0 by
    construction), nor for any other label (AF, a statement, a diagnosis): there the rule
    answers a different question. ``None`` (label unknown) is not.

    Examples
    --------
    >>> from interp_ecg.studies.pipeline import rule_is_comparator
    >>> [rule_is_comparator(x) for x in ("sim_wct", "WCT", "wct", "AFIB", None)]
    [True, True, False, False, False]
    """
    if label is None or label == "wct":
        return False
    return bool(WCT_LABEL_PATTERN.search(str(label)))


def training_data(table: pd.DataFrame, labels: pd.DataFrame | None = None, label: str = "wct",
                  demographics: bool = False, names: tuple[str, str] = ("the feature table", "the labels table"),
                  digests: pd.Series | None = None):
    """Split a feature table into ``X``, ``y``, patient ``groups`` and a note about the label.

    ``label`` is a column of ``labels`` (indexed like ``table``) or of ``table``, or ``"wct"``:
    the rule QRS >= 120 ms and heart rate >= 100 bpm computed from ``table`` (a circular label
    when those measurements are also model inputs; the note says so). The inputs are
    :func:`~interp_ecg.features.model_columns` of ``table``, without the demographics
    (:data:`DEMOGRAPHICS`, which ``interp-ecg features`` writes beside the measurements) unless
    ``demographics`` (then ``age``, and ``sex`` when numeric, are inputs too).

    ``labels`` rows are matched to ``table`` rows by record id, compared as text (``1`` and
    ``"1"`` match; ``"ID1"`` and ``1`` do not). When no id matches, the error names both tables
    (``names``: how to call the feature table and the labels table in messages, e.g. their file
    names) with an id of each; when some records of ``table`` have no label, a warning says how
    many. ``X.attrs["record_flow"]`` counts the records: ``in_table``, ``labelled``,
    ``measured`` (labelled and ``quality_ok``), which are the ones used.

    ``digests`` (:func:`~interp_ecg.evaluate.recording_digests`, by record id; records
    without one are not compared): the patients that share a bit-identical recording are
    one group (:func:`~interp_ecg.evaluate.patient_groups`), so no split puts one copy in
    training and the other in test.
    """
    note = ""
    if label == "wct":
        # a narrow QRS from fewer than 11 usable leads is NaN (not assessable): wct.wct_rule_outcome
        outcome = wct_rule_outcome(table["QRS_duration_ms"], table["heart_rate_bpm"],
                                   table.get("quality_n_leads_usable"))
        y = outcome["wct_rule"]
        defining = defining_columns(model_columns(table))
        note = (f"note: the 'wct' label is computed from QRS_duration_ms and heart_rate_bpm, which are also model "
                f"inputs, as are the other columns that encode them ({', '.join(defining)}: the defining features, "
                "interp_ecg.studies.wct.DEFINING_PATTERNS); the model can only reproduce the rule (circular label).")
        n_na = int((outcome["wct_rule_outcome"] == RULE_NOT_ASSESSABLE).sum())
        if n_na:
            note += (f" {n_na} records with a QRS under 120 ms at >= 100 bpm measured from fewer than "
                     f"{WCT_QRS_MIN_LEADS} usable leads have no label (not assessable: fewer leads can read "
                     f"the {WCT_QRS_LEADS}-lead global QRS the rule is defined on shorter or longer) and are "
                     "left out.")
    elif labels is not None and label in labels.columns:
        y = _labels_by_id(table, labels[label], names)
    elif label in table.columns:
        y = table[label]
    else:
        raise InterpEcgError(f"label {label!r} is neither 'wct' nor a column of the features/labels table")
    numeric = pd.to_numeric(y, errors="coerce")
    text = y.notna() & numeric.isna()
    if text.any():
        raise InterpEcgError(f"label {label!r} has {int(text.sum())} values that are not numbers "
                             f"(e.g. {[str(v) for v in pd.unique(y[text])[:3]]}); code it 0/1")
    values = sorted(pd.unique(numeric.dropna()))
    if not set(values) <= {0, 1}:
        raise InterpEcgError(f"label {label!r} must be 0/1 (a binary outcome); it has the values "
                             f"{[float(v) if v % 1 else int(v) for v in values[:6]]}"
                             f"{' ...' if len(values) > 6 else ''}")
    y = numeric
    keep = y.notna()
    n_labelled = int(keep.sum())
    if "quality_ok" in table.columns:
        keep &= table["quality_ok"].astype(bool)
    X = table.loc[keep, model_columns(table, exclude=[label, *(() if demographics else DEMOGRAPHICS)])]
    y = y[keep].astype(int)
    subject = next((c for c in _SUBJECT_COLUMNS if c in table.columns), None)
    # a record without a patient id is a patient of its own, with a warning saying how many
    groups = patient_groups(table.loc[keep, subject] if subject else None, X.index,
                            digests=None if digests is None else pd.Series(digests).reindex(X.index))
    if y.nunique() < 2:
        raise InterpEcgError(f"label {label!r} has a single class among {len(y)} usable records")
    X.attrs["record_flow"] = {"in_table": len(table), "labelled": n_labelled, "measured": len(X)}
    return X, y, groups, note


def duplicate_digests(ds, notes: list[str] | None = None, *, ptbxl_root=None, progress: bool = False) -> pd.Series:
    """:func:`~interp_ecg.evaluate.recording_digests` of a study's records, to group duplicate recordings.

    PTB-XL's 100 Hz files of one recording filed twice are not bit-identical, so for a PTB-XL
    dataset read at another rate than 500 Hz (``ptbxl_root`` given) the digests are those of
    the same records' 500 Hz files; where those cannot be read, the dataset's own files are
    compared, and the note says so. A sentence for the study's notes (how many sets of copies,
    which cross patient ids) is appended to ``notes``.

    Parameters
    ----------
    ds : EcgDataset
        The study's records.
    notes : list of str, optional
        The study's notes (appended to).
    ptbxl_root : path, optional
        The PTB-XL folder ``ds`` was read from (default: the one :func:`~interp_ecg.io.read_ptbxl`
        recorded in ``ds.extras["root"]``).
    progress : bool
        Show a progress bar (the records are read once more).

    Returns
    -------
    pandas.Series
        Digests indexed like ``ds.meta`` (``None`` where a record cannot be read).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from interp_ecg.io import EcgDataset
    >>> from interp_ecg.io.dataset import ArrayLoader
    >>> from interp_ecg.studies.pipeline import duplicate_digests
    >>> sig = np.random.default_rng(0).normal(size=(3, 12, 500)).astype(np.float32); sig[2] = sig[0]
    >>> ds = EcgDataset(pd.DataFrame({"patient_id": [1, 2, 3]}, index=["a", "b", "c"]), ArrayLoader(sig, 250.0),
    ...                 fs=250.0)
    >>> notes = []
    >>> d = duplicate_digests(ds, notes)
    >>> bool(d["a"] == d["c"])
    True
    >>> print(notes[0])  # doctest: +ELLIPSIS
    duplicate recordings (bit-identical samples at 250 Hz): 1 sets of copies, 1 across patient ids (['a', 'c'] ...
    """
    from interp_ecg.evaluate import duplicate_recordings, recording_digests

    source, how = ds, f"at {float(ds.fs):g} Hz"
    if ptbxl_root is None and getattr(ds, "name", None) == "ptbxl":
        ptbxl_root = (getattr(ds, "extras", None) or {}).get("root")
    if ptbxl_root is not None and float(ds.fs) != 500.0 and len(ds.meta):
        from interp_ecg.io import read_ptbxl

        hr = read_ptbxl(ptbxl_root, sampling_rate=500)
        ids = ds.meta.index
        if ids.isin(hr.meta.index).all():
            hr = hr.subset(list(ids))
            try:
                hr.load(ids[0])
                source, how = hr, "of the records' 500 Hz files (100 Hz copies of one recording differ)"
            except (InterpEcgError, OSError, ValueError) as err:
                how += f" (the 500 Hz files cannot be read: {err}; 100 Hz copies of one recording can differ)"
    d = recording_digests(source, progress=progress)
    d.index = ds.meta.index
    dup = duplicate_recordings(d, ds.meta["patient_id"] if "patient_id" in ds.meta.columns else None)
    across = dup.loc[dup["across_patients"].astype(bool).to_numpy()]
    sets = "; ".join(f"{part['record'].tolist()} (patients {part['patient_id'].tolist()})"
                     for _, part in across.groupby("duplicate_set"))
    n_none = int(d.isna().sum())
    text = (f"duplicate recordings (bit-identical samples {how}): {dup['duplicate_set'].nunique()} sets of copies, "
            f"{across['duplicate_set'].nunique()} across patient ids"
            + (f" ({sets}: their patients are one group in every split and fold)" if len(across) else "")
            + (f"; {n_none} records could not be read and were not compared" if n_none else ""))
    logger.info(text)
    if notes is not None:
        notes.append(text)
    return d


def _labels_by_id(table: pd.DataFrame, values: pd.Series, names: tuple[str, str]) -> pd.Series:
    """``values`` (indexed by record id) on ``table``'s index, ids compared as text; errors and warnings
    say which records of which table have no label."""
    want = _id_strings(pd.Series(table.index.to_numpy()))
    have = pd.Series(values.to_numpy(), index=_id_strings(pd.Series(values.index.to_numpy())).to_numpy())
    if have.index.duplicated().any():
        dup = list(pd.unique(have.index[have.index.duplicated()]))[:3]
        raise InterpEcgError(f"{names[1]} has several rows for the record ids {dup}: one label per record")
    matched = want.isin(have.index).to_numpy()
    if len(table) and not matched.any():
        raise InterpEcgError(
            f"no record id of {names[1]} (e.g. {str(have.index[0]) if len(have) else 'none'!r}) matches one of "
            f"{names[0]} (e.g. {str(want.iloc[0])!r}): label the same records, with ids spelled the same way")
    if not matched.all():
        logger.warning("%d of %d records of %s have no row in %s (e.g. %r): they are left out",
                       int((~matched).sum()), len(table), names[0], names[1], str(want[~matched].iloc[0]))
    return pd.Series(have.reindex(want.to_numpy()).to_numpy(), index=table.index, name=values.name)


def patient_split(groups: pd.Series, y: pd.Series, test_size: float, seed: int):
    """Patient-wise train/test split (no patient on both sides); returns boolean test mask.

    The mask is in the row order of ``groups``; a ``y`` Series is paired with a ``groups``
    Series by record id (differing ids: ArgumentError).
    """
    from sklearn.model_selection import GroupShuffleSplit

    if isinstance(groups, pd.Series):
        y = align_to_index(y, groups.index, "y", "groups")

    for k in range(20):
        split = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed + k)
        _, test = next(split.split(np.zeros(len(groups)), y, groups=np.asarray(groups)))
        mask = np.zeros(len(groups), dtype=bool)
        mask[test] = True
        if y[mask].nunique() == 2 and y[~mask].nunique() == 2:
            return mask
    raise InterpEcgError("could not find a patient-wise split with both classes on each side")


def make_ensemble(models: Sequence[str], seed: int, n_jobs: int):
    from interp_ecg.models import EnsembleClassifier

    params = {"rf": {"n_estimators": 200}, "et": {"n_estimators": 200}}
    members = [m.strip() for m in models if m.strip()]
    return EnsembleClassifier(tuple(members), random_state=seed, n_jobs=n_jobs, device="cpu",
                              member_params={k: v for k, v in params.items() if k in members})


def train_and_evaluate(X: pd.DataFrame, y: pd.Series, groups: pd.Series,
                       models: Sequence[str] = ("rf", "xgb", "lgbm"), seed: int = 0, n_jobs: int = 1,
                       test_size: float = 0.3, n_boot: int | None = None, label: str | None = None) -> dict:
    """Fit the ensemble on training patients, score held-out patients (with the rule baseline for a WCT label).

    Parameters
    ----------
    X, y, groups
        From :func:`training_data`. ``y`` and ``groups`` (Series) are paired with ``X`` by
        record id, never by position; ids that differ are refused (ArgumentError).
    models : sequence of str
        Members of the :class:`~interp_ecg.models.EnsembleClassifier`.
    seed : int
        Of the patient-wise split, the models and the bootstrap.
    n_jobs : int
        Of the model fits.
    test_size : float
        Held-out share of patients.
    n_boot : int, optional
        Patient-bootstrap replicates of the CIs; None: those of
        :func:`~interp_ecg.evaluate.tagged_metrics_table`.
    label : str, optional
        Name of the label ``y`` (as given to :func:`training_data`). The WCT rule is scored
        beside the ensemble only when it is a meaningful comparator for it
        (:func:`rule_is_comparator`: a WCT label other than the rule itself) and ``X`` has
        the rule's inputs.

    Returns
    -------
    dict
        ``model`` (fitted on the training patients), ``metrics`` (held-out, ensemble and, for a
        WCT label, the rule; the rule's rows leave out held-out records whose QRS duration or
        heart rate was not measured, counted in ``n_unscored``: such a record is no rule negative),
        ``test`` (boolean mask), ``proba`` (held-out ensemble scores).
    """
    boot = {} if n_boot is None else {"n_boot": n_boot}
    y, groups = align_xy_groups(X, y, groups)
    test = patient_split(groups, y, test_size, seed)
    model = make_ensemble(models, seed, n_jobs).fit(X[~test], y[~test])
    proba = model.predict_proba(X[test])[:, 1]
    scores = {"ensemble": proba}
    if rule_is_comparator(label) and all(c in X.columns for c in _RULE_INPUTS):
        # NaN where QRS or HR was not measured: such a record is no rule negative; it is left out of
        # the rule's row and counted there (n_unscored), never scored as 0
        scores[RULE] = wct_rule_label(X.loc[test, "QRS_duration_ms"], X.loc[test, "heart_rate_bpm"]).to_numpy(
            dtype=float)
    table = pd.concat([tagged_metrics_table(y[test], s, groups[test], random_state=seed, model=name, **boot)
                       for name, s in scores.items()], ignore_index=True)
    return {"model": model, "metrics": table, "test": test, "proba": proba}


#: the caveat the report puts beside explanations of a model that does not discriminate
NOT_EVIDENCE = "Explanations of a model that does not discriminate show what it matched, not evidence."


@dataclass
class Discrimination:
    """A model's held-out discrimination in words (:func:`discrimination`).

    ``text``: the ROC-AUCs with their intervals and counts. ``warning``: empty when every
    class (and the macro mean) is better than chance with a 95% CI above 0.5; else which are
    at chance (a 95% CI that could be estimated and reaches 0.5 or below) and which are not
    established (no interval: too few held-out positives or negatives, with their counts),
    ending with the caveat :data:`NOT_EVIDENCE`. ``at_chance``/``not_established``: those
    classes. ``what``: the model as the sentences name it.
    """

    text: str
    warning: str
    at_chance: list[str]
    not_established: list[str]
    what: str = "the model"

    @property
    def discriminates(self) -> bool:
        """Every class, and the macro mean, shown better than chance (95% CI above 0.5)."""
        return not self.warning

    def reference(self, where: str) -> str:
        """A one-line pointer to the warning said in full elsewhere in the report
        (``"... is not shown to discriminate on held-out patients (see the warning <where>)."``);
        empty when there is no warning. A report states :attr:`warning` once, where it is first
        needed, and refers to it with this everywhere else."""
        if not self.warning:
            return ""
        what = self.what[:1].upper() + self.what[1:]
        return f"{what} is not shown to discriminate on held-out patients (see the warning {where})."

    def paragraph(self, where: str | None = None) -> str:
        """``text``, then, when there is one, a paragraph ``"Warning: " + warning`` (or, given
        ``where``, the one-line :meth:`reference` to it)."""
        if not self.warning:
            return self.text
        return self.text + f"\n\nWarning: {self.reference(where) if where else self.warning}"


def discrimination(metrics: pd.DataFrame, what: str, macro: pd.Series | None = None,
                   digits: int = 3) -> Discrimination:
    """Say how well a model discriminates on held-out data, and whether better than chance.

    One rule for every class: "not better than chance" only when a 95% CI could be estimated
    and reaches 0.5 (or lies below it); without an interval (too few held-out positives or
    negatives) the discrimination is "not established", with the counts, whatever the point
    estimate (one positive among 13 negatives gives an ROC-AUC that says nothing about chance).

    Parameters
    ----------
    metrics : pandas.DataFrame
        Long held-out metrics (:func:`~interp_ecg.evaluate.tagged_metrics_table` rows):
        ``metric``, ``estimate``, ``ci_low``, ``ci_high``, ``n``, ``n_positive`` and a name
        column ``label`` (else ``model``); only the ``roc_auc`` rows are used.
    what : str
        The model, as the sentence names it (``"the prototype network"``).
    macro : pandas.Series, optional
        The macro-mean ROC-AUC row (``estimate``, ``ci_low``, ``ci_high``) of a
        multi-class model (:func:`~interp_ecg.evaluate.metrics_table` ``label == "macro"``).
    digits : int
        Decimals of the numbers.

    Returns
    -------
    Discrimination
        A class is at chance when its 95% CI was estimated and its lower bound is <= 0.5; its
        discrimination is not established when it has no interval (too few positives or
        negatives held out). Every statement is derived from ``metrics``.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.pipeline import discrimination
    >>> m = pd.DataFrame({"label": ["NORM", "STACH"], "metric": "roc_auc", "estimate": [0.194, 0.91],
    ...                   "ci_low": [0.05, 0.82], "ci_high": [0.35, 0.97], "n": 40, "n_positive": [12, 9]})
    >>> d = discrimination(m, "the prototype network")
    >>> d.at_chance, d.discriminates
    (['NORM'], False)
    >>> print(d.warning)
    The prototype network is not better than chance on held-out patients for NORM (ROC-AUC 0.194, 95% CI 0.050-0.350). Explanations of a model that does not discriminate show what it matched, not evidence.
    >>> m = pd.DataFrame({"label": ["AFIB", "NORM"], "metric": "roc_auc", "estimate": [0.462, 0.583],
    ...                   "ci_low": float("nan"), "ci_high": float("nan"), "n": 14, "n_positive": [1, 2]})
    >>> print(discrimination(m, "the prototype network").warning.split(". ")[0])
    The discrimination of the prototype network is not established for AFIB (1 positive, 13 negative), NORM (2 positive, 12 negative): too few held-out positives or negatives for a 95% CI
    """
    from interp_ecg.evaluate import format_interval

    auc = metrics[metrics["metric"] == "roc_auc"]
    name_col = "label" if "label" in auc.columns and auc["label"].nunique() > 1 else "model"
    parts, chance, unknown, chance_why, unknown_why = [], [], [], [], []
    for _, r in auc.iterrows():
        name, est, lo, hi = str(r.get(name_col, what)), float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"])
        has_counts = "n" in r and "n_positive" in r and pd.notna(r["n"]) and pd.notna(r["n_positive"])
        counts = f"; {int(r['n_positive'])} positive of {int(r['n'])}" if has_counts else ""
        parts.append(f"{name} {format_interval(est, lo, hi, digits)}{counts}")
        if not np.isfinite(est):
            unknown.append(name)
            unknown_why.append(f"{name} (no ROC-AUC)")
        elif np.isfinite(lo):
            if lo <= 0.5:
                chance.append(name)
                ci = format_interval(est, lo, hi, digits).split("(", 1)[1].rstrip(")")
                chance_why.append(f"{name} (ROC-AUC {format_interval(est, np.nan, np.nan, digits).split(' ')[0]}, "
                                  f"95% CI {ci})")
        else:  # no interval: the point estimate alone shows nothing either way
            unknown.append(name)
            pos = int(r["n_positive"]) if has_counts else None
            unknown_why.append(f"{name} ({pos} positive, {int(r['n']) - pos} negative)" if pos is not None else name)
    macro_text, macro_chance, macro_unknown = "", False, False
    if macro is not None:
        m_est, m_lo, m_hi = (float(macro[k]) for k in ("estimate", "ci_low", "ci_high"))
        macro_text = f"macro ROC-AUC {format_interval(m_est, m_lo, m_hi, digits)}; "
        macro_chance = bool(np.isfinite(m_est) and np.isfinite(m_lo) and m_lo <= 0.5)
        macro_unknown = not np.isfinite(m_lo)
    kind = "per statement " if name_col == "label" and len(auc) > 1 else ""
    text = (f"Held-out discrimination of {what}: {macro_text}{kind}ROC-AUC (95% CI) "
            + ", ".join(parts) + ".") if parts else f"Held-out discrimination of {what}: no ROC-AUC could be computed."
    warn = []
    if macro_chance:
        warn.append(f"{what} is not better than chance on held-out patients overall (macro ROC-AUC "
                    f"{format_interval(m_est, m_lo, m_hi, digits)}{'' if m_hi <= 0.5 else ': its 95% CI includes 0.5'}).")
    elif macro_unknown:
        warn.append(f"the discrimination of {what} is not established overall (macro ROC-AUC "
                    f"{format_interval(m_est, np.nan, np.nan, digits).split(' ')[0]} without a 95% CI).")
    if chance:
        warn.append(f"{what} is not better than chance on held-out patients for {', '.join(chance_why)}.")
    if unknown:
        single = len(auc) == 1 and macro is None  # one model, one score: no name to repeat
        target = (f" ({unknown_why[0].split(' (', 1)[1]}" if single and " (" in unknown_why[0]
                  else f" for {', '.join(unknown_why)}")
        warn.append(f"the discrimination of {what} is not established{target}: too few "
                    "held-out positives or negatives for a 95% CI.")
    if not parts:
        warn.append(f"The discrimination of {what} is unknown.")
    warning = ""
    if warn:
        warning = " ".join(w[0].upper() + w[1:] for w in warn) + " " + NOT_EVIDENCE
    return Discrimination(text=text, warning=warning, at_chance=chance, not_established=unknown, what=what)


def model_matrix(table: pd.DataFrame, model, source: str | Path | None = None) -> pd.DataFrame:
    """The model's input columns from a feature table (clear error, naming ``source``, when some are missing)."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return table[model_columns(table)]
    missing = [c for c in names if c not in table.columns]
    if missing:
        raise ModelError(f"the feature table lacks {len(missing)} of the model's {len(names)} inputs, e.g. "
                         f"{missing[:3]}: is it a feature table of the kind the model was trained on "
                         "(interp-ecg features)?", source=source)
    return table[list(names)]


def positive_values(expl) -> np.ndarray:
    """``(n, p)`` SHAP values of the positive class / the explained output."""
    v = np.asarray(expl.values, dtype=float)
    return v[..., -1] if v.ndim == 3 else v


def _id_strings(values: pd.Series) -> pd.Series:
    """Identifiers as text, leading zeros kept. An integer stored as a float (PTB-XL writes
    ``patient_id`` as ``15709.0``) is written without its ``.0``, read as a number or as text."""
    s = pd.Series(values)
    if pd.api.types.is_float_dtype(s) and (s.dropna() % 1 == 0).all():
        s = s.astype("Int64")
    return s.astype("string").str.strip().str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)


def sex_labels(values: pd.Series) -> pd.Series:
    """``Female``/``Male``/NA from sex labels or the PTB-XL coding (1 = female, 0 = male).

    Text is read with :data:`interp_ecg.phenotype.mapping.SEX_VOCABULARY` (``F``, ``female``,
    ``W``, ``woman``; ``M``, ``male``, ``man``; whole values, any case) plus ``"1"``/``"0"``
    (PTB-XL written as text); numbers with the PTB-XL coding. Anything else is NA.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.pipeline import sex_labels
    >>> sex_labels(pd.Series(["female", "Male", "W", "unknown", "missing", "1"])).tolist()
    ['Female', 'Male', 'Female', nan, nan, 'Female']
    """
    from interp_ecg.phenotype.mapping import SEX_VOCABULARY

    if pd.api.types.is_bool_dtype(values):
        return pd.Series(np.nan, index=values.index, dtype=object)
    if pd.api.types.is_numeric_dtype(values):
        return values.map({1: "Female", 0: "Male"}).astype(object)
    key = values.astype("string").str.strip().str.upper()
    key = key.str.replace(r"^([01])(\.0+)?$", r"\1", regex=True)  # PTB-XL's 1/0 written as text
    out = key.map({**SEX_VOCABULARY, "1": "Female", "0": "Male"}).astype(object)
    return out.where(pd.notna(out), np.nan)


def with_sex_labels(meta: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``meta`` whose numeric ``sex`` (PTB-XL: 1 = female, 0 = male) reads ``female``/``male``.

    Other codes become ``unknown``; a ``sex`` column already in text is left as it is. For
    cohort tables.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.pipeline import with_sex_labels
    >>> with_sex_labels(pd.DataFrame({"sex": [1, 0, 2]}))["sex"].tolist()
    ['female', 'male', 'unknown']
    """
    out = meta.copy()
    if "sex" in out.columns and pd.api.types.is_numeric_dtype(out["sex"]):
        out["sex"] = sex_labels(out["sex"]).str.lower().fillna("unknown")
    return out


def run_phewas(table: pd.DataFrame, diagnoses: Any, phecode_map: Any,
               covariates: Sequence[str] = ("age", "sex"), subject_col: str = "patient_id",
               exposures: Sequence[str] | None = None, method: str | None = None, scheduler: str | None = None,
               min_cases: int | None = None, min_code_count: int | None = None, standardize: bool | None = None,
               sex_col: str | None = "sex", test: str | None = None, full_population: bool = False,
               sex_coding: str = "labels") -> pd.DataFrame:
    """PheWAS of per-ECG exposures (averaged per subject) against phecodes of their diagnoses.

    Subject ids are compared as text on both sides and ICD codes are read as text. The
    statistical options left at None take the defaults of :class:`interp_ecg.phenotype.PheWAS`
    (``method``, ``min_cases``, ``standardize``, ``test``) and of
    :func:`interp_ecg.phenotype.icd_to_phecodes` (``min_code_count``): one source of truth,
    which ``interp-ecg phewas`` reads too.

    Parameters
    ----------
    table : DataFrame
        One row per ECG (or subject): ``subject_col``, the exposures and the covariates
        (``interp-ecg features`` output carries ``patient_id``, ``age`` and ``sex``).
    diagnoses : DataFrame or path
        ``subject_id`` (or ``subject_col``), ``icd_code``, ``icd_version``.
    covariates : sequence of str
        Columns of ``table`` to adjust for (from each subject's first ECG); one that is absent
        is an error (pass ``[]`` for an unadjusted analysis).
    exposures : sequence of str, optional
        Default: the numeric columns a model could take as inputs
        (:func:`~interp_ecg.features.model_columns`: no quality, provenance or identifier
        column) other than the covariates and ``sex_col``.
    min_cases, min_code_count, method, standardize : optional
        See :class:`~interp_ecg.phenotype.PheWAS` (min_cases 20, the PheWAS convention;
        odds ratios per unit unless ``standardize``) and
        :func:`~interp_ecg.phenotype.icd_to_phecodes` (min_code_count 2).
    phecode_map : path or PhecodeMap
        A map folder/file, or a map already loaded with
        :func:`~interp_ecg.phenotype.load_phecode_map`.
    sex_col : str or None, default "sex"
        Column of ``table`` with each subject's sex: words (F/M, female/male), or numbers read
        with ``sex_coding``. When present, sex-specific phecodes are restricted to subjects of
        that sex (:func:`~interp_ecg.phenotype.icd_to_phecodes`); the summary's
        ``n_sex_excluded`` column says how many subjects the restriction removed from each
        sex-specific phecode (0 elsewhere).
        Likewise ``n_vocabulary_excluded``: subjects without any diagnosis in the only ICD
        vocabulary that defines a phecode (Phecode X ``icd10_only``: patients seen only in the
        ICD-9-CM era), not controls of that phecode (:func:`~interp_ecg.phenotype.icd_to_phecodes`).
    test : {"wald", "score"}
        Passed to :func:`~interp_ecg.phenotype.phewas`.
    sex_coding : {"labels", "ptbxl", "ukbiobank", "iso5218"}, default "labels"
        How numbers in ``sex_col`` are read (:func:`interp_ecg.phenotype.mapping.decode_sex`):
        the same 0/1 means opposite sexes in PTB-XL (1 = female) and UK Biobank (1 = male), so
        with ``"labels"`` a numeric sex column is a ConfigError naming the column and its values.
        A feature table of PTB-XL records (``interp-ecg features``) needs ``"ptbxl"``.
    full_population : bool, default False
        False: a subject of ``table`` without any row in ``diagnoses`` has unknown phenotypes
        (an ED or outpatient ECG whose patient has no hospital record, say), so it is left out
        of every phecode: neither case nor control. How many is logged and kept in
        ``summary.attrs["n_without_diagnoses"]``. True: every subject of ``table`` had the
        chance to be coded, so one without diagnoses is a control of every phecode (the
        ``full.population.ids`` of the PheWAS R package's ``createPhenotypes``, Carroll et al.
        2014, whose default is likewise the subjects of the diagnosis table only).

    Returns
    -------
    DataFrame
        One row per exposure x phecode (:func:`interp_ecg.phenotype.phewas`), with the
        phecode's ``description``/``category``, ``n_sex_excluded`` and
        ``n_vocabulary_excluded``; ``attrs["n_without_diagnoses"]``: subjects left out because
        they have no diagnosis (0 with ``full_population``); ``attrs["n_unreadable_diagnoses"]``:
        subjects left out because none of their diagnoses can be read (blank ICD version, no
        code; :func:`~interp_ecg.phenotype.icd_to_phecodes`), with or without ``full_population``.

    Raises
    ------
    InterpEcgError
        No ``subject_col``, a covariate column that is absent, diagnoses without a subject
        column.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from interp_ecg.studies.pipeline import run_phewas
    >>> from interp_ecg.phenotype import PhecodeMap
    >>> icd = pd.DataFrame({"vocabulary": ["ICD9CM"], "code": ["01882"], "phecode": ["ID_005.1"]})
    >>> m = PhecodeMap("X", icd, pd.DataFrame({"description": ["TB"], "category": ["ID"]},
    ...                index=pd.Index(["ID_005.1"], name="phecode")))
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame({"patient_id": range(60), "score": rng.normal(size=60)})
    >>> dx = pd.DataFrame({"subject_id": [str(i) for i in range(20)], "icd_code": "01882",
    ...                    "icd_version": "9"})
    >>> s = run_phewas(t, dx, m, [], min_code_count=1, min_cases=5)
    >>> s["phecode"].tolist(), int(s["n_controls"].iloc[0]), s.attrs["n_without_diagnoses"]
    (['ID_005.1'], 0, 40)
    >>> int(run_phewas(t, dx, m, [], min_code_count=1, min_cases=5, full_population=True)["n_controls"].iloc[0])
    40
    """
    from interp_ecg import phenotype

    if subject_col not in table.columns:
        raise InterpEcgError(f"exposure table has no subject column {subject_col!r}")
    problem = covariate_problem(list(covariates), table.columns)
    if problem:  # an unadjusted analysis is asked for with covariates=[], never made silently
        raise InterpEcgError(f"exposure table: covariate {problem}")
    table = table.assign(**{subject_col: _id_strings(table[subject_col])})
    if sex_col is not None and sex_col in table.columns:  # numbers only with a stated coding
        from interp_ecg.phenotype.mapping import decode_sex

        try:
            table = table.assign(**{sex_col: decode_sex(table[sex_col], coding=sex_coding, column=sex_col)})
        except ConfigError as err:
            raise ConfigError(f"{err} (in run_phewas: pass sex_coding=...)") from err
    cov = list(covariates)
    if exposures is None:  # model inputs (no quality, provenance or id column) that are not covariates
        skip = set(cov) | {subject_col, sex_col}
        exposures = [c for c in model_columns(table, exclude=list(skip))
                     if not str(c).startswith("Unnamed:") and not str(c).lower().endswith("_id")]
    per_subject = per_subject_table(table, subject_col, list(exposures), cov, sex_col=sex_col)
    pmap = phecode_map if isinstance(phecode_map, phenotype.PhecodeMap) else phenotype.load_phecode_map(phecode_map)
    if isinstance(diagnoses, (str, Path)):
        diagnoses = pd.read_csv(diagnoses, dtype={"icd_code": str, "subject_id": str, subject_col: str})
    if "subject_id" not in diagnoses.columns:
        if subject_col not in diagnoses.columns:
            raise InterpEcgError(f"diagnoses table has neither subject_id nor {subject_col!r}")
        diagnoses = diagnoses.rename(columns={subject_col: "subject_id"})
    diagnoses = diagnoses.assign(subject_id=_id_strings(diagnoses["subject_id"]))
    if len(diagnoses) and not diagnoses["subject_id"].isin(per_subject.index).any():
        raise InterpEcgError(
            f"no subject of the exposure table ({subject_col}, e.g. {list(per_subject.index[:2])}) has a "
            f"diagnosis (subject_id, e.g. {list(pd.unique(diagnoses['subject_id'])[:2])}): are they the same "
            "patients, with ids of the same kind?")
    per_subject, n_without = _diagnosed(per_subject, diagnoses["subject_id"], full_population)
    sex = None
    if sex_col is not None and sex_col in table.columns:
        sex = sex_labels(table.groupby(subject_col)[sex_col].first())
        if sex.isna().any():
            logger.info("%d subjects of unknown sex are left out of sex-specific phecodes", int(sex.isna().sum()))
    model = phenotype.PheWAS(**{k: v for k, v in {"method": method, "min_cases": min_cases, "standardize": standardize,
                                                    "test": test}.items() if v is not None})
    counts = {} if min_code_count is None else {"min_code_count": min_code_count}
    outcomes = phenotype.icd_to_phecodes(diagnoses, pmap, min_cases=model.min_cases, subjects=per_subject.index,
                                         sex=sex, **counts)
    sex_excluded = dict(outcomes.attrs.get("sex_excluded", {}))
    vocab_excluded = dict(outcomes.attrs.get("vocabulary_excluded", {}))
    # subjects none of whose diagnoses can be read (blank ICD version, no code): phenotype unknown, left out
    unreadable = outcomes.index.isin(outcomes.attrs.get("unreadable_subjects", []))
    per_subject = per_subject[~per_subject.index.isin(outcomes.index[unreadable])]
    client = None
    if isinstance(scheduler, str):
        from dask.distributed import Client

        client = scheduler = Client(scheduler)
    try:
        model.scheduler = scheduler
        summary = model.fit(per_subject[list(exposures)], outcomes.reindex(per_subject.index),
                            per_subject[cov] if cov else None).summary
    finally:
        if client is not None:
            client.close()
    if "description" in summary.columns and summary["description"].isna().all():
        labels = pmap.describe(list(dict.fromkeys(summary["phecode"]))).reset_index()
        summary = summary.drop(columns=[c for c in ("description", "category") if c in summary.columns])
        summary = summary.merge(labels, on="phecode", how="left")
    summary["n_sex_excluded"] = summary["phecode"].map(sex_excluded).fillna(0).astype(int)
    summary["n_vocabulary_excluded"] = summary["phecode"].map(vocab_excluded).fillna(0).astype(int)
    summary.attrs["n_without_diagnoses"] = n_without
    summary.attrs["n_unreadable_diagnoses"] = int(unreadable.sum())
    return summary


def _diagnosed(per_subject: pd.DataFrame, diagnosed, full_population: bool) -> tuple[pd.DataFrame, int]:
    """The rows of ``per_subject`` whose phenotypes are known, and how many were left out.

    Without ``full_population``, a subject without any diagnosis row is left out (its
    phenotypes are unknown, not absent), with a warning giving the count."""
    known = pd.Index(_id_strings(pd.Series(pd.unique(np.asarray(diagnosed)))).dropna())
    has = _id_strings(pd.Series(per_subject.index)).isin(known).to_numpy(dtype=bool)  # ids compared as text
    n_without = int((~has).sum())
    if full_population:
        if n_without:
            logger.info("%d of %d subjects have no diagnosis: controls of every phecode (full population)",
                        n_without, len(per_subject))
        return per_subject, 0
    if n_without:
        logger.warning("%d of %d subjects have no diagnosis at all: their phenotypes are unknown, so they are left "
                       "out (neither cases nor controls); declare the full population (full_population=True, "
                       "--full-population) if every subject had the chance to be coded", n_without, len(per_subject))
    return per_subject[has], n_without


def phecode_outcomes(diagnoses: pd.DataFrame, subjects: pd.Index, phecode_map: Any = None, *,
                     min_cases: int | None = None, sex: pd.Series | None = None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Subject x outcome case table of a cohort's ICD diagnoses, the outcomes' labels, and a note.

    With a phecode map (``phecode_map``, else the configured ``phecode`` dataset), the
    outcomes are phecodes (:func:`~interp_ecg.phenotype.icd_to_phecodes`, rolled up; one code
    makes a case). Without one, they are the ICD-10 three-character categories, and the note
    says so.

    Parameters
    ----------
    diagnoses : pandas.DataFrame
        ``subject_id`` (or ``patient_id``), ``icd_code`` (text), ``icd_version``.
    subjects : pandas.Index
        The subjects of the analysis (rows of the result).
    phecode_map : path, optional
        Folder or file of a phecode map; ``None``: ``interp_ecg.config.dataset_path("phecode")``.
    min_cases : int, optional
        Outcomes with fewer cases among ``subjects`` are dropped (None: the default of
        :class:`~interp_ecg.phenotype.PheWAS`, 20).
    sex : pandas.Series, optional
        ``Female``/``Male`` per subject: sex-specific phecodes are restricted to that sex.

    Returns
    -------
    outcomes : pandas.DataFrame
        Boolean (nullable) subject x outcome table.
    labels : pandas.DataFrame
        ``phecode, description, category`` (empty for ICD-10 categories).
    note : str
        Which outcomes were used.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.pipeline import phecode_outcomes
    >>> dx = pd.DataFrame({"subject_id": ["1", "2", "3"], "icd_code": ["I47.2", "I47.2", "E11.9"]})
    >>> out, _, note = phecode_outcomes(dx, pd.Index(["1", "2", "3", "4"]), "/no/such/map", min_cases=2)
    >>> out.columns.tolist(), out["I47"].tolist(), note.startswith("No phecode map")
    (['I47'], [True, True, False, False], True)
    """
    from interp_ecg import phenotype
    from interp_ecg.config import dataset_path

    if min_cases is None:
        min_cases = phenotype.PheWAS().min_cases
    path = phecode_map or dataset_path("phecode", required=False)
    dx = diagnoses.rename(columns={"patient_id": "subject_id"})
    if path is not None and Path(path).exists():
        pmap = phenotype.load_phecode_map(path)
        outcomes = phenotype.icd_to_phecodes(dx, pmap, min_code_count=1, subjects=subjects, sex=sex,
                                             min_cases=min_cases, count_col=None)
        try:
            labels = pmap.describe(list(outcomes.columns)).reset_index()
        except Exception:  # noqa: BLE001 - labels are a nicety
            labels = pd.DataFrame()
        return outcomes, labels, f"Phecode X map from {path} (rolled up; one code suffices in this demo)."
    never10 = pd.Index([])
    if "icd_version" in dx.columns:  # ICD-10 categories: ICD-9-CM codes (427.31 -> "427") are not among them
        from interp_ecg.phenotype.phecodes import vocabulary_of

        is10 = (vocabulary_of(dx["icd_version"]) == "ICD10CM").to_numpy()
        if not is10.all():
            never10 = pd.Index(subjects).difference(pd.Index(dx.loc[is10, "subject_id"]))
            logger.info("ICD-10 categories: %d diagnoses not in ICD-10-CM are not used; %d subjects without any "
                        "ICD-10-CM diagnosis are NA (neither cases nor controls)", int((~is10).sum()), len(never10))
        dx = dx[is10]
    cat = dx.assign(cat=dx["icd_code"].astype(str).str.strip().str.upper().str.replace(".", "", regex=False).str[:3])
    cases = (pd.crosstab(cat["subject_id"], cat["cat"]).reindex(subjects, fill_value=0) > 0).astype("boolean")
    cases = cases.loc[:, cases.sum() >= min_cases]
    cases.loc[cases.index.isin(never10)] = pd.NA
    return cases, pd.DataFrame(), ("No phecode map found (set data.phecode_map): "
                                   "ICD-10 three-character categories used as outcomes.")


#: Text read as a missing value in a numeric column (pandas' own missing-value strings).
_MISSING_TEXT = frozenset({"", "NA", "N/A", "NAN", "-NAN", "NULL", "NONE", "<NA>", "#N/A", "-1.#IND", "1.#QNAN",
                           "#NA", "-1.#QNAN", "-NAN", "1.#IND", "NAT"})
#: ``"90+"``: a value top-coded at its lower bound (HIPAA Safe Harbor ages "90 or older").
_TOP_CODED = r"^\s*([0-9]+(?:\.[0-9]+)?)\s*\+\s*$"


def numeric_column(values: pd.Series, name: str) -> pd.Series:
    """A column of numbers, numbers written as text, or top-coded ``"N+"`` values, as floats.

    Numeric-looking text is parsed as numbers (``"65"`` -> 65.0); the missing-value strings of
    pandas (``""``, ``"NA"``, ``"nan"``, ``"None"`` ...) are NaN; a top-coded value ``"N+"``
    (``"90+"``: de-identified ages, HIPAA Safe Harbor's "90 or older") is read as its lower
    bound N, as :func:`interp_ecg.io.read_ptbxl` reads PTB-XL's age 300 as 90, and logged.

    Parameters
    ----------
    values : pandas.Series
    name : str
        The column's name, for the error.

    Returns
    -------
    pandas.Series of float

    Raises
    ------
    InterpEcgError
        A value that is none of these (``"sixty"``, ``"M"``): names the column, how many values
        and examples.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.pipeline import numeric_column
    >>> numeric_column(pd.Series(["18", "65", "100", "0", "90+", None]), "age").tolist()
    [18.0, 65.0, 100.0, 0.0, 90.0, nan]
    """
    if pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    text = values.astype("string").str.strip()
    missing = text.isna() | text.str.upper().isin(_MISSING_TEXT).fillna(False)
    num = pd.to_numeric(text.where(~missing), errors="coerce").astype(float)
    top = text.str.extract(_TOP_CODED, expand=False)
    is_top = num.isna() & top.notna() & ~missing
    if is_top.any():
        num[is_top] = pd.to_numeric(top[is_top]).astype(float)
        logger.warning("%s: %d values top-coded as 'N+' (e.g. %s) are read as their lower bound N", name,
                       int(is_top.sum()), list(pd.unique(text[is_top]))[:3])
    bad = num.isna() & ~missing
    if bad.any():
        examples = list(pd.unique(text[bad]))[:5]
        raise InterpEcgError(f"column {name!r}: {int(bad.sum())} of {len(values)} values are not numbers "
                             f"(e.g. {examples}); write them as numbers, leave them empty where unknown, or "
                             "give a category column in text only (it is then one-hot encoded)")
    return num


def per_subject_table(table: pd.DataFrame, subject_col: str, exposures: list[str], covariates: list[str],
                      sex_col: str | None = "sex") -> pd.DataFrame:
    """Mean exposure per subject; covariates from the subject's first ECG (first value present).

    A record without a subject id (``subject_col`` missing, as a reader leaves it where the data
    name no patient) cannot be linked to anyone's diagnoses, so it is left out, with a warning
    saying how many records that is; it is never averaged with other such records nor taken
    as a subject without diagnoses (a control).

    How covariates are read:

    * ``sex_col``: 1.0 female / 0.0 male, with :func:`sex_labels` (``F``/``female``/``W``/
      ``woman``, ``M``/``male``/``man``, PTB-XL's 1/0); any other value is NaN, and how many
      subjects and which values is logged.
    * a numeric column as it is; a text column whose values are numbers written as text is
      parsed as numbers (:func:`numeric_column`, which reads ``"90+"`` as 90);
    * a text column none of whose values is a number is a category, kept as text
      (:func:`interp_ecg.phenotype.phewas` one-hot encodes it);
    * a text column mixing numbers and other text is an error naming the column and examples.

    Exposures are numbers, or numbers written as text (else the same error).

    Parameters
    ----------
    table : DataFrame
        One row per ECG (or subject).
    subject_col : str
    exposures, covariates : list of str
        Columns of ``table``.
    sex_col : str or None, default "sex"
        The covariate read as sex (only that one).

    Returns
    -------
    DataFrame
        Indexed by subject: the exposures' means, the covariates.

    Raises
    ------
    InterpEcgError
        An exposure or covariate that cannot be read (see above).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.pipeline import per_subject_table
    >>> t = pd.DataFrame({"patient_id": ["1", "1", None], "x": [1.0, 3.0, 5.0], "age": [50, 51, 60]})
    >>> per_subject_table(t, "patient_id", ["x"], ["age"]).to_dict("index")
    {'1': {'x': 2.0, 'age': 50.0}}
    >>> t = pd.DataFrame({"patient_id": list("abc"), "x": [1.0, 2, 3], "age": ["18", "65", "90+"],
    ...                   "sex": ["female", "Male", "unknown"]})
    >>> per_subject_table(t, "patient_id", ["x"], ["age", "sex"])[["age", "sex"]].to_dict("list")
    {'age': [18.0, 65.0, 90.0], 'sex': [1.0, 0.0, nan]}
    """
    unknown = table[subject_col].isna()
    if unknown.any():
        logger.warning("%d of %d records have no %s and cannot be linked to diagnoses: they are left out of "
                       "the per-subject table (averaged per subject)", int(unknown.sum()), len(table), subject_col)
        table = table[~unknown]
    numeric = {c: numeric_column(table[c], c) for c in exposures}
    agg = pd.DataFrame(numeric, index=table.index).groupby(table[subject_col]).mean()
    agg.index.name = subject_col
    for c in covariates:
        first = table.groupby(subject_col)[c].first()
        if c == sex_col:
            labels = sex_labels(first)
            unread = labels.isna() & first.notna()
            if unread.any():
                logger.warning("%s: %d subjects have a value outside the sex vocabulary (e.g. %s): sex unknown "
                               "(NaN); known values: F/female/W/woman, M/male/man, 1/0 (PTB-XL)", c,
                               int(unread.sum()), list(pd.unique(first[unread].astype(str)))[:5])
            agg[c] = labels.map({"Female": 1.0, "Male": 0.0}).astype(float)
        elif not pd.api.types.is_numeric_dtype(first) and not pd.api.types.is_bool_dtype(first):
            text = first.astype("string").str.strip()
            if pd.to_numeric(text, errors="coerce").notna().any() or text.str.match(_TOP_CODED).fillna(False).any():
                agg[c] = numeric_column(first, c)
            else:  # a category (race, site): kept as text, one-hot encoded by the PheWAS
                agg[c] = first.astype(object).where(first.notna(), np.nan)
        else:
            agg[c] = first.astype(float)
    return agg


def load_cohort(data: Any, run_dir: str | Path, *, seed: int, n_jobs: int = 1, wct_enrichment: float = 1.0,
                keep: bool = False) -> tuple[Any, Path | None, bool]:
    """The ECGs of a study's ``data:`` section at 500 Hz: PTB-XL, or a synthetic cohort written once.

    A synthetic cohort (:func:`interp_ecg.simulate.cohort`, wide-complex tachycardias enriched
    by :func:`interp_ecg.studies.wct.enriched_condition_mix`) is written to ``data.cache_dir``
    and reused there when it has ``n_records`` records of the same seed and enrichment, else
    to ``run_dir/cohort``.

    Parameters
    ----------
    data : DataConfig or mapping
        ``source``, ``path``, ``sampling_rate``, ``cache_dir``, ``n_records``
        (:class:`~interp_ecg.studies.config.StudyConfig` ``data``).
    run_dir : path
        The run folder.
    seed, n_jobs : int
        Of the simulation.
    wct_enrichment : float
        Prevalence multiplier of the wide-complex tachycardias (1: the simulator's mix).
    keep : bool
        Keep a cohort written into the run folder (else it is temporary).

    Returns
    -------
    dataset : Dataset
    folder : Path or None
        Where the records are.
    temporary : bool
        True when ``folder`` is the run folder's own cohort, for the caller to remove.
    """
    from interp_ecg.io import read_ptbxl
    from interp_ecg.studies.wct import enriched_condition_mix

    if data["source"] == "ptbxl":
        return read_ptbxl(data["path"], sampling_rate=data["sampling_rate"]), Path(data["path"]), False
    from interp_ecg.simulate import cohort

    folder = Path(data["cache_dir"]) if data["cache_dir"] else Path(run_dir) / "cohort"
    marker = folder / "ptbxl_database.csv"
    tag = folder / f".seed-{seed}-wct{float(wct_enrichment):g}"
    reuse = (bool(data["cache_dir"]) and marker.exists() and len(pd.read_csv(marker)) == data["n_records"]
             and tag.exists())
    if not reuse:
        cohort(data["n_records"], folder, random_state=seed, n_jobs=n_jobs, progress=True,
               conditions=enriched_condition_mix(float(wct_enrichment)))
        tag.touch()
    return read_ptbxl(folder, sampling_rate=500), folder, not data["cache_dir"] and not keep


def cohort_features(ds: Any, table: str | Path | None = None, *, n_jobs: int = 1,
                    scheduler: str | None = None) -> pd.DataFrame:
    """Fiducial features of every ECG of ``ds``, in the order of ``ds.meta``.

    Read from ``table`` (a Parquet feature table computed before for the same records) when
    given, else computed with :func:`interp_ecg.features.extract`. ECGs the table lacks
    are NaN rows. The record columns ``interp-ecg features`` writes (:data:`RECORD_COLUMNS`)
    are left out of a read table: a study takes them from ``ds.meta``, as with computed features.
    """
    if table:
        feats = pd.read_parquet(table)
        feats = feats.drop(columns=[c for c in RECORD_COLUMNS if c in feats.columns])
        feats.index = feats.index.astype(ds.meta.index.dtype)
    else:
        from interp_ecg.features import extract

        feats = extract(ds, n_jobs=n_jobs, scheduler=scheduler, progress=True)
    return feats.reindex(ds.meta.index)


@dataclass
class CohortPhewas:
    """Result of :func:`cohort_phewas`: the summary table and what it was computed on."""

    #: one row per exposure x outcome (:func:`interp_ecg.phenotype.phewas`), with the outcome's
    #: ``description``/``category``, ``n_sex_excluded`` and ``n_vocabulary_excluded``
    summary: pd.DataFrame
    n_exposures: int
    n_outcomes: int
    n_subjects: int
    #: which outcomes were used (:func:`phecode_outcomes`)
    note: str
    #: patients left out because they have no diagnosis (``full_population=False``)
    n_without_diagnoses: int = 0


def cohort_phewas(exposures: pd.DataFrame, meta: pd.DataFrame, diagnoses: pd.DataFrame | str | Path,
                  phecode_map: Any = None, *, min_cases: int | None = None, method: str = "firth",
                  scheduler: Any = None, full_population: bool = False) -> CohortPhewas:
    """PheWAS of per-ECG exposures of a cohort against its ICD-10 diagnoses, adjusted for age and sex.

    Exposures are averaged per patient, age and sex taken from the patient's first ECG
    (:func:`per_subject_table`); patients with a missing value are left out. Outcomes:
    :func:`phecode_outcomes` (phecodes, or ICD-10 categories without a map), sex-specific
    phecodes restricted to that sex. Odds ratios are per standard deviation of the exposure.

    Parameters
    ----------
    exposures : DataFrame
        ECG x exposure (numeric), indexed like ``meta``.
    meta : DataFrame
        ``patient_id``, ``age``, ``sex`` per ECG.
    diagnoses : DataFrame or path
        ``subject_id``/``patient_id``, ``icd_code`` (text), ``icd_version``; a CSV path is read.
    phecode_map : path, optional
        See :func:`phecode_outcomes`.
    min_cases : int, optional
        Outcomes with fewer cases are not tested (None: the default of
        :class:`~interp_ecg.phenotype.PheWAS`, 20).
    method : {"firth", "logit"}
    scheduler : optional
        Passed to :func:`interp_ecg.phenotype.phewas`.
    full_population : bool, default False
        As in :func:`run_phewas`: False leaves out patients without any diagnosis (unknown
        phenotypes; counted in ``CohortPhewas.n_without_diagnoses``); True makes them controls
        (a cohort whose every diagnosis is known, as the simulator's).

    Returns
    -------
    CohortPhewas

    Raises
    ------
    DataNotFoundError
        A diagnoses path that does not exist.
    """
    from interp_ecg import phenotype
    from interp_ecg.errors import DataNotFoundError

    if not isinstance(diagnoses, pd.DataFrame):
        if not Path(diagnoses).exists():
            raise DataNotFoundError("diagnoses table not found", source=diagnoses)
        diagnoses = pd.read_csv(diagnoses, dtype={"icd_code": str})
    if min_cases is None:
        min_cases = phenotype.PheWAS().min_cases
    names = list(exposures.columns)
    per = per_subject_table(exposures.join(meta[["patient_id", "age", "sex"]]), "patient_id", names,
                            ["age", "sex"]).dropna()
    id_col = "subject_id" if "subject_id" in diagnoses.columns else "patient_id"
    per, n_without = _diagnosed(per, diagnoses[id_col], full_population)
    outcomes, labels, note = phecode_outcomes(diagnoses, per.index, phecode_map, min_cases=min_cases,
                                              sex=sex_labels(per["sex"]))
    sex_excluded = dict(outcomes.attrs.get("sex_excluded", {}))
    vocab_excluded = dict(outcomes.attrs.get("vocabulary_excluded", {}))
    outcomes = outcomes.reindex(per.index)
    summary = phenotype.phewas(per[names], outcomes, per[["age", "sex"]], method=method, min_cases=min_cases,
                               scheduler=scheduler, standardize=True)
    if len(labels) and "phecode" in labels.columns:
        keep = [c for c in ("phecode", "description", "category") if c in labels.columns]
        summary = summary.drop(columns=[c for c in keep[1:] if c in summary.columns])
        summary = summary.merge(labels[keep].drop_duplicates("phecode"), on="phecode", how="left")
    summary["n_sex_excluded"] = summary["phecode"].map(sex_excluded).fillna(0).astype(int)
    summary["n_vocabulary_excluded"] = summary["phecode"].map(vocab_excluded).fillna(0).astype(int)
    return CohortPhewas(summary, len(names), outcomes.shape[1], len(per), note, n_without)
