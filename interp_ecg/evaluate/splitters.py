"""Patient-wise splitters: group k-fold, PTB-XL ``strat_fold`` folds.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from interp_ecg.evaluate import PatientKFold, ptbxl_split
>>> y = np.array([0, 1] * 10); groups = np.repeat(np.arange(10), 2)
>>> all(set(groups[tr]).isdisjoint(groups[te]) for tr, te in PatientKFold(5, random_state=0).split(None, y, groups))
True
>>> meta = pd.DataFrame({"strat_fold": [1, 5, 9, 10]}, index=pd.Index([11, 12, 13, 14], name="ecg_id"))
>>> {k: list(v) for k, v in ptbxl_split(meta).items()}
{'train': [11, 12], 'val': [13], 'test': [14]}
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

from interp_ecg.errors import ConfigError
from interp_ecg.io.ids import align_to_index, align_xy_groups

logger = logging.getLogger(__name__)


def _strata(y) -> np.ndarray | None:
    if y is None:
        return None
    Y = np.asarray(y)
    if Y.ndim == 1:
        return Y
    # multi-label: stratify on each record's rarest positive label (0 when none)
    Y = np.nan_to_num(Y.astype(float))
    prevalence = Y.sum(axis=0)
    key = np.zeros(len(Y), dtype=int)
    for j in np.argsort(-prevalence):  # rarer labels overwrite commoner ones
        key[Y[:, j] > 0] = j + 1
    return key


def recording_digests(dataset, progress: bool = False) -> pd.Series:
    """A SHA-256 digest of each record's samples, to find the same recording filed twice.

    The digest covers the record's signal as the dataset returns it (``float32`` millivolts,
    lead by lead, in the dataset's lead order) and its sampling rate, so two records read from
    bit-identical files get the same digest whatever their ids or patient ids. A record that
    cannot be read gets ``None`` and its reason is logged (batch call).

    Only bit-identical copies are found. In PTB-XL the 100 Hz files of one recording filed
    twice are *not* identical (records 145 and 463: the same 500 Hz samples, 100 Hz copies
    differing by up to 0.126 mV), so compute the digests on the 500 Hz records; the record
    ids are the same at both rates, so they serve a 100 Hz analysis too. On the 500 shared
    PTB-XL records (500 Hz): 5 sets of two, one across patients (145, 463: patients 16690 and
    16723, strat_folds 3 and 1) and four within one patient (137/138, 143/144, 456/457, 459/460).

    Parameters
    ----------
    dataset : EcgDataset
        Any reader's dataset (records are loaded one at a time).
    progress : bool
        Show a progress bar.

    Returns
    -------
    pandas.Series
        Hex digests (text; ``None`` where unreadable) indexed by record id, named ``"digest"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.evaluate import recording_digests
    >>> import numpy as np
    >>> from interp_ecg.io import EcgDataset
    >>> from interp_ecg.io.dataset import ArrayLoader
    >>> sig = np.random.default_rng(0).normal(size=(3, 12, 500)).astype(np.float32)
    >>> sig[2] = sig[0]                                   # record "c" is record "a" again
    >>> meta = pd.DataFrame({"patient_id": ["p1", "p2", "p3"]}, index=["a", "b", "c"])
    >>> ds = EcgDataset(meta, ArrayLoader(sig, fs=250.0), fs=250.0)
    >>> d = recording_digests(ds)
    >>> bool(d["a"] == d["c"]), bool(d["a"] == d["b"])
    (True, False)
    """
    import hashlib

    from interp_ecg.errors import InterpEcgError

    ids = list(dataset.meta.index)
    out: list[str | None] = []
    iterator = ids
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(ids, desc="recording digests")
    for rid in iterator:
        try:
            rec = dataset.load(rid)
        except (InterpEcgError, OSError, ValueError) as err:
            logger.warning("record %r: no digest (%s)", rid, err)
            out.append(None)
            continue
        h = hashlib.sha256(f"{float(rec.fs)!r}|{rec.signal.shape}|".encode())
        h.update(np.ascontiguousarray(rec.signal, dtype=np.float32).tobytes())
        out.append(h.hexdigest())
    return pd.Series(out, index=dataset.meta.index, name="digest", dtype=object)


def duplicate_recordings(digests: pd.Series, patient_ids: pd.Series | None = None) -> pd.DataFrame:
    """Records whose samples are bit-identical (same :func:`recording_digests` value).

    Parameters
    ----------
    digests : pandas.Series
        From :func:`recording_digests`, indexed by record id (``None`` digests are ignored).
    patient_ids : pandas.Series, optional
        Patient id of each record (aligned by record id).

    Returns
    -------
    pandas.DataFrame
        One row per record that has a copy: ``record``, ``duplicate_set`` (0, 1, ... by first
        record), ``n_records`` in the set, ``patient_id`` (text) and ``across_patients`` (the
        set's records carry more than one patient id: a patient-wise split can put one copy
        in training and the other in test). Empty when every recording is unique.
    """
    d = pd.Series(digests).dropna()
    d = d[d.duplicated(keep=False)]
    cols = ["record", "duplicate_set", "n_records", "patient_id", "across_patients"]
    if d.empty:
        return pd.DataFrame(columns=cols)
    set_id = pd.Series(pd.factorize(d)[0], index=d.index)
    pid = (align_to_index(pd.Series(patient_ids), pd.Series(digests).index, "patient_ids", "digests").reindex(d.index)
           if patient_ids is not None else pd.Series(pd.NA, index=d.index))
    pid_text = pd.Series([None if pd.isna(v) else str(v) for v in pid], index=d.index, dtype=object)
    out = pd.DataFrame({"record": d.index, "duplicate_set": set_id.to_numpy(),
                        "n_records": set_id.map(set_id.value_counts()).to_numpy(),
                        "patient_id": pid_text.to_numpy()})
    n_pat = out.groupby("duplicate_set")["patient_id"].transform(lambda v: v.nunique(dropna=False))
    out["across_patients"] = (n_pat > 1).to_numpy()
    return out.sort_values(["duplicate_set", "record"], kind="stable").reset_index(drop=True)[cols]


def patient_groups(patient_ids: pd.Series | None, index: Sequence | pd.Index | None = None, *,
                   purpose: str = "a patient-wise split", digests: pd.Series | None = None) -> pd.Series:
    """Patient ids as text groups; a record without one is a patient of its own, with a warning.

    A reader leaves ``patient_id`` missing where the data do not give it (a WFDB folder whose
    layout and headers name no patient). A patient-wise split cannot keep such a record
    together with the other records of its (unknown) patient, so each is its own group: the
    split is patient-wise only for the records with an id, and the warning says for how many
    it is not.

    Parameters
    ----------
    patient_ids : pandas.Series or None
        One id per record (any type; missing values allowed). None: no patient column at all.
    index : sequence, optional
        The record ids when ``patient_ids`` is None.
    purpose : str
        What the groups are for, in the warning.
    digests : pandas.Series, optional
        :func:`recording_digests` of the records. Bit-identical recordings filed under two
        patient ids (PTB-XL 145 and 463: patients 16690 and 16723) would otherwise sit on
        both sides of a patient-wise split; with ``digests`` every patient group holding a
        copy of one recording is merged into one group (named by its members joined with
        ``"+"``), with a warning naming the records and patients.

    Returns
    -------
    pandas.Series
        Text ids on the records' index; a record without an id gets ``"record:<record id>"``;
        ``attrs["n_without_patient"]`` counts those records; with ``digests``,
        ``attrs["duplicate_recordings"]`` holds :func:`duplicate_recordings` of the records.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.evaluate import patient_groups
    >>> g = patient_groups(pd.Series(["p1", None, "p1"], index=["a", "b", "c"]))
    >>> g.tolist()
    ['p1', 'record:b', 'p1']
    """
    if patient_ids is None:
        idx = pd.Index([] if index is None else index)
        logger.warning("no patient_id column: each of the %d records is treated as a patient of its own in %s",
                       len(idx), purpose)
        out = pd.Series([f"record:{r}" for r in idx], index=idx, name="patient_id", dtype=object)
        out.attrs["n_without_patient"] = len(idx)
        return out
    ids = pd.Series(patient_ids)
    missing = ids.isna().to_numpy()
    text = ids.astype(object).where(~missing, None)
    text = pd.Series([str(v) for v in text], index=ids.index, name="patient_id", dtype=object)
    if missing.any():
        text[missing] = [f"record:{r}" for r in ids.index[missing]]
        logger.warning("%d of %d records have no patient_id; each of them is treated as a patient of its own "
                       "in %s (records of one patient may then fall on both sides)",
                       int(missing.sum()), len(ids), purpose)
    text.attrs["n_without_patient"] = int(missing.sum())
    if digests is not None:
        text = _merge_duplicate_groups(text, digests, purpose)
    return text


def _merge_duplicate_groups(groups: pd.Series, digests: pd.Series, purpose: str) -> pd.Series:
    """Union the patient groups that share a recording (connected components)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    dig = align_to_index(pd.Series(digests), groups.index, "digests", "patient ids")
    dup = duplicate_recordings(dig, groups)
    attrs = dict(groups.attrs)
    attrs["duplicate_recordings"] = dup
    across = dup[dup["across_patients"]]
    if across.empty:
        groups.attrs = attrs
        return groups
    codes, uniques = pd.factorize(groups)
    pos = groups.index.get_indexer(across["record"])
    rows, cols = [], []
    for _, part in across.assign(code=codes[pos]).groupby("duplicate_set"):
        c = part["code"].to_numpy()
        rows += [c[0]] * len(c)
        cols += list(c)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(uniques), len(uniques)))
    _, comp = connected_components(graph, directed=False)
    names = pd.Series(uniques).groupby(comp).transform(lambda v: "+".join(sorted(map(str, v))) if len(v) > 1
                                                       else v.iloc[0])
    out = pd.Series(names.to_numpy()[codes], index=groups.index, name=groups.name, dtype=object)
    sets = "; ".join(f"records {part['record'].tolist()} (patients {part['patient_id'].tolist()})"
                     for _, part in across.groupby("duplicate_set"))
    logger.warning("%d bit-identical recording(s) filed under more than one patient id: %s; their patients are "
                   "one group in %s", across["duplicate_set"].nunique(), sets, purpose)
    attrs["n_merged_patients"] = int(len(uniques) - out.nunique())
    out.attrs = attrs
    return out


def _sorted(values: list) -> list:
    try:
        return sorted(values)
    except TypeError:  # values of mixed types
        return sorted(values, key=str)


def _split_duplicate_sets(part_of: np.ndarray, digests, record_ids) -> list[tuple[list, list]]:
    """``(records, parts)`` of every set of bit-identical recordings whose copies lie in more than one part."""
    d = pd.Series(np.asarray(digests, dtype=object), index=pd.Index(record_ids))
    known = d.notna().to_numpy()
    frame = pd.DataFrame({"record": d.index[known], "digest": d[known].to_numpy(), "part": part_of[known]})
    out = []
    for _, part in frame[frame["digest"].duplicated(keep=False)].groupby("digest", sort=False):
        parts = pd.unique(part["part"])
        if len(parts) > 1:
            out.append((_sorted(part["record"].tolist()), _sorted(parts.tolist())))
    return sorted(out, key=lambda rp: str(rp[0][0]))  # the message names the first sets in a stable order


def _duplicate_split_error(split: list[tuple[list, list]], what: str) -> ConfigError:
    sets = "; ".join(f"records {recs} in {what}s {parts}" for recs, parts in split[:5])
    more = f" (and {len(split) - 5} more)" if len(split) > 5 else ""
    return ConfigError(
        f"{len(split)} bit-identical recording(s) (recording_digests) lie in more than one {what}: {sets}{more}; "
        f"a copy would be trained on and then tested. Put the copies in one {what} "
        "(interp_ecg.evaluate.join_duplicate_folds) or leave the copies out")


def join_duplicate_folds(folds: pd.Series, patient_ids: pd.Series | None, digests: pd.Series, *,
                         purpose: str = "the fold column") -> pd.Series:
    """A fold column in which every copy of a recording, and its patients' records, share one fold.

    A predefined fold column (PTB-XL ``strat_fold``) is patient-wise, but a recording filed
    twice under two patient ids (PTB-XL records 145 and 463: patients 16690 and 16723,
    strat_folds 3 and 1) can have its copies in two folds, so cross-validation over the
    column trains on one copy and tests on the other. Here the patients that share a
    recording are one group (:func:`patient_groups` with ``digests``), and every group
    whose records lie in more than one fold is moved, whole, into the fold that holds most
    of its records (on a tie, the lowest fold), with a warning naming the records and folds.
    Everything else keeps its fold. A group made of one patient whose records already lie in
    two folds is left as it is: the column is not patient-wise, which
    :class:`PredefinedFolds` refuses with ``groups``.

    Parameters
    ----------
    folds : pandas.Series
        Fold of every record, indexed by record id (``meta["strat_fold"]``).
    patient_ids : pandas.Series or None
        Patient id of every record (paired by record id); None: no patient ids (each record its
        own patient).
    digests : pandas.Series
        :func:`recording_digests` of the records (paired by record id).
    purpose : str
        What the folds are for, in the warning.

    Returns
    -------
    pandas.Series
        The fold column, indexed like ``folds``; ``attrs["moved"]`` is a DataFrame ``record,
        patient_id, fold_before, fold`` of the records moved (empty when none).

    Raises
    ------
    ArgumentError
        When ``patient_ids`` or ``digests`` carry other record ids than ``folds``.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.evaluate import join_duplicate_folds
    >>> folds = pd.Series([1, 1, 2, 3], index=["a", "b", "c", "d"])
    >>> pid = pd.Series(["p1", "p2", "p3", "p4"], index=folds.index)
    >>> dig = pd.Series(["x", "y", "x", "z"], index=folds.index)   # "c" is "a" filed again
    >>> joined = join_duplicate_folds(folds, pid, dig)
    >>> joined.tolist(), joined.attrs["moved"]["record"].tolist()
    ([1, 1, 1, 3], ['c'])
    """
    folds = pd.Series(folds)
    if patient_ids is None:
        raw = patient_groups(None, folds.index, purpose=purpose)
    else:
        raw = patient_groups(align_to_index(pd.Series(patient_ids), folds.index, "patient_ids", "folds"),
                             purpose=purpose)
    merged = patient_groups(raw, purpose=purpose, digests=align_to_index(pd.Series(digests), folds.index, "digests",
                                                                         "folds"))
    out = folds.copy()
    cols = ["record", "patient_id", "fold_before", "fold"]
    moved = []
    frame = pd.DataFrame({"raw": raw.to_numpy(), "group": merged.to_numpy(), "fold": folds.to_numpy()},
                         index=folds.index)
    frame = frame[frame["fold"].notna()]
    raw_split = frame.groupby("raw")["fold"].nunique()
    for name, part in frame.groupby("group", sort=False):
        if part["raw"].nunique() < 2 or part["fold"].nunique() < 2:
            continue  # no copy across patients, or already in one fold
        if (raw_split.reindex(pd.unique(part["raw"])) > 1).any():
            continue  # a patient in two folds: not patient-wise, refused by PredefinedFolds
        counts = part["fold"].value_counts()
        target = min(counts.index[counts == counts.max()])
        for rid in part.index[part["fold"] != target]:
            moved.append({"record": rid, "patient_id": part.at[rid, "raw"], "fold_before": folds[rid],
                          "fold": target})
            out[rid] = target
    moved_df = pd.DataFrame(moved, columns=cols)
    if len(moved_df):
        logger.warning("%s: %d record(s) moved so that the copies of a recording filed under two patient ids, and "
                       "those patients' other records, share a fold: %s", purpose, len(moved_df),
                       "; ".join(f"record {r.record!r} (patient {r.patient_id}) from fold {r.fold_before} to "
                                 f"{r.fold}" for r in moved_df.itertuples()))
    out.attrs = {"moved": moved_df}
    return out


class PatientKFold:
    """K-fold in which every patient's records fall in one fold, stratified on ``y`` when given.

    Wraps ``StratifiedGroupKFold`` (multi-label ``y``: stratified on each record's rarest
    positive label); ``GroupKFold`` when ``y`` is None. A stratum with fewer records than
    ``n_splits`` is left to ``StratifiedGroupKFold``, which warns and leaves some folds
    without it (no fallback). Without ``groups``, each record is its own patient.

    Parameters
    ----------
    n_splits : int
    shuffle : bool
    random_state : int, optional
    """

    def __init__(self, n_splits: int = 5, shuffle: bool = True, random_state: int | None = 0) -> None:
        if n_splits < 2:
            raise ConfigError(f"n_splits must be >= 2, got {n_splits}")
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return self.n_splits

    def split(self, X=None, y=None, groups=None):
        """Yield ``(train, test)`` positions into ``X``.

        A Series/DataFrame ``y`` and a Series ``groups`` are paired with a DataFrame ``X`` by
        record id (never by position); differing ids are refused (ArgumentError).
        """
        if X is not None:
            y, groups = align_xy_groups(X, y, groups)
        n = len(X) if X is not None else len(y)
        if groups is None:
            groups = np.arange(n)
        elif pd.isna(pd.Series(np.asarray(groups, dtype=object))).any():  # unknown patients: their own groups, warned
            groups = patient_groups(pd.Series(np.asarray(groups, dtype=object)), purpose="patient-wise folds").to_numpy()
        else:
            groups = np.asarray(groups)
        n_groups = len(pd.unique(groups))
        if n_groups < self.n_splits:
            raise ConfigError(f"{n_groups} patients cannot make {self.n_splits} patient-wise folds")
        strata = _strata(y)
        if strata is not None:
            cv = StratifiedGroupKFold(self.n_splits, shuffle=self.shuffle,
                                      random_state=self.random_state if self.shuffle else None)
            yield from cv.split(np.zeros(n), strata, groups)
            return
        yield from GroupKFold(self.n_splits).split(np.zeros(n), None, groups)


class PredefinedFolds:
    """Cross-validation over a fold column (PTB-XL ``strat_fold``): fold k is the test set once.

    The folds are patient-wise only if the column was made so. With ``groups`` (patient ids)
    :meth:`split` checks it and refuses a fold column that puts one patient's records in two
    folds; without ``groups`` it cannot check and says so (logged warning).

    A recording filed twice under two patient ids passes that check with its copies in two
    folds; with ``digests`` (:func:`recording_digests`) :meth:`split` refuses that too, naming
    the records (:func:`join_duplicate_folds` makes a fold column in which the copies share a
    fold).

    Parameters
    ----------
    folds : array-like
        Fold number of every record. A Series (``meta.strat_fold``) is paired with a DataFrame
        ``X`` given to :meth:`split` by record id, as is a Series ``groups``.
    digests : array-like, optional
        :func:`recording_digests` of the records, in the order of ``folds`` (a Series: paired
        with ``folds`` by record id when ``folds`` is a Series).

    Examples
    --------
    >>> from interp_ecg.evaluate import PredefinedFolds
    >>> folds = PredefinedFolds([1, 1, 2, 2])
    >>> [te.tolist() for _, te in folds.split(groups=["a", "a", "b", "b"])]
    [[0, 1], [2, 3]]
    >>> list(folds.split(groups=["a", "b", "b", "c"]))
    Traceback (most recent call last):
    ...
    interp_ecg.errors.ConfigError: the fold column puts 1 of 3 patients in more than one fold (patient 'b' in folds [1, 2]); the records of a patient must share a fold (make the folds with PatientKFold)
    """

    def __init__(self, folds, digests=None) -> None:
        self.folds = np.asarray(folds)
        self._by_id = folds if isinstance(folds, pd.Series) else None
        self.digests = digests

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return len(np.unique(self.folds))

    def split(self, X=None, y=None, groups=None):
        """Yield ``(train, test)`` index arrays, fold by fold (sorted fold numbers).

        Raises
        ------
        ConfigError
            When ``X`` or ``groups`` has another length than the fold column, when a
            patient of ``groups`` has records in two folds, or (with ``digests``) when the
            copies of one recording lie in two folds.
        """
        fold_of = self.folds
        ids = self._by_id.index if self._by_id is not None else None
        if isinstance(X, pd.DataFrame):
            if self._by_id is not None and len(self._by_id) == len(X):
                fold_of = np.asarray(align_to_index(self._by_id, X.index, "folds", "X"))
            ids = X.index
            groups = align_to_index(groups, X.index, "groups", "X")
        n = len(fold_of)
        if X is not None and len(X) != n:
            raise ConfigError(f"the fold column has {n} entries but X has {len(X)} records")
        if self.digests is not None:
            dig = self.digests
            if isinstance(dig, pd.Series) and ids is not None:
                dig = align_to_index(dig, ids, "digests", "folds")
            dig = np.asarray(dig, dtype=object)
            if len(dig) != n:
                raise ConfigError(f"the fold column has {n} entries but digests has {len(dig)}")
            split = _split_duplicate_sets(fold_of, dig, ids if ids is not None else np.arange(n))
            if split:
                raise _duplicate_split_error(split, "fold")
        if groups is None:
            logger.warning("PredefinedFolds without groups: the fold column is used as given and cannot be checked "
                           "to be patient-wise (each record is treated as a patient of its own)")
        else:
            g = pd.Series(np.asarray(groups, dtype=object))
            if len(g) != n:
                raise ConfigError(f"the fold column has {n} entries but groups has {len(g)}")
            known = g.notna().to_numpy()
            per = pd.DataFrame({"g": g[known].astype(str).to_numpy(), "f": fold_of[known]})
            n_folds = per.groupby("g")["f"].nunique()
            split = n_folds[n_folds > 1]
            if len(split):
                first = split.index[0]
                where = sorted(per.loc[per.g == first, "f"].unique().tolist())
                raise ConfigError(
                    f"the fold column puts {len(split)} of {len(n_folds)} patients in more than one fold "
                    f"(patient {first!r} in folds {where}); the records of a patient must share a fold "
                    "(make the folds with PatientKFold)")
        idx = np.arange(n)
        for f in np.unique(fold_of):
            yield idx[fold_of != f], idx[fold_of == f]


def ptbxl_split(
    data,
    fold_col: str = "strat_fold",
    train: Sequence[int] = tuple(range(1, 9)),
    val: Sequence[int] = (9,),
    test: Sequence[int] = (10,),
    digests: pd.Series | None = None,
) -> dict[str, pd.Index]:
    """PTB-XL's recommended patient-wise split: train folds 1-8, validation 9, test 10.

    The one owner of the PTB-XL split. PTB-XL's ``strat_fold`` folds keep every patient's
    records in one fold, so the three parts share no patient.

    Parameters
    ----------
    data : DataFrame or EcgDataset
        Record metadata indexed by record id with a ``fold_col`` column, or a dataset (its
        ``.meta`` is used).
    fold_col : str
        Column holding each record's fold number (PTB-XL: ``strat_fold``, 1-10).
    train, val, test : sequence of int
        Fold numbers of each part.
    digests : pandas.Series, optional
        :func:`recording_digests` of the records (paired by record id): the split is refused
        when the copies of one recording lie in two parts (PTB-XL 145 and 463, filed under two
        patients, are in strat_folds 3 and 1, both training folds of the default split; other
        fold choices can part them). :func:`join_duplicate_folds` makes a fold column in which
        they share a fold.

    Returns
    -------
    dict
        ``{"train": Index, "val": Index, "test": Index}`` of record ids, in ``meta`` order.
        Records whose fold is missing or in none of the three lists belong to no part (the
        number is logged). For datasets, ``ds.subset(split["train"])`` gives the records.

    Raises
    ------
    ConfigError
        When ``fold_col`` is not a column of the metadata, or (with ``digests``) when the copies
        of one recording lie in two parts, naming the records.

    References
    ----------
    Wagner P. et al. PTB-XL, a large publicly available electrocardiography dataset.
    Sci Data 7, 154 (2020), section "Recommended train-test splits".

    Examples
    --------
    >>> from interp_ecg.evaluate import ptbxl_split
    >>> import pandas as pd
    >>> meta = pd.DataFrame({"strat_fold": [1, 5, 9, 10]}, index=pd.Index([11, 12, 13, 14], name="ecg_id"))
    >>> {k: list(v) for k, v in ptbxl_split(meta).items()}
    {'train': [11, 12], 'val': [13], 'test': [14]}
    """
    meta = data.meta if hasattr(data, "meta") and not isinstance(data, pd.DataFrame) else data
    if fold_col not in meta.columns:
        raise ConfigError(f"metadata has no {fold_col!r} column (have {list(meta.columns)[:10]}...)")
    folds = pd.to_numeric(meta[fold_col], errors="coerce")
    parts = {name: folds.isin(list(fs)).to_numpy(dtype=bool)
             for name, fs in (("train", train), ("val", val), ("test", test))}
    n_none = int((~(parts["train"] | parts["val"] | parts["test"])).sum())
    if digests is not None:
        part_of = np.select([parts["train"], parts["val"], parts["test"]], ["train", "val", "test"], default="none")
        dig = align_to_index(pd.Series(digests), meta.index, "digests", "metadata").to_numpy(dtype=object)
        in_part = part_of != "none"
        split = _split_duplicate_sets(part_of[in_part], dig[in_part], meta.index[in_part])
        if split:
            raise _duplicate_split_error(split, "part")
    if n_none:
        logger.info("%d records have no %s in the split's folds: in no part of the split", n_none, fold_col)
    return {name: meta.index[m] for name, m in parts.items()}


__all__ = ["PatientKFold", "PredefinedFolds", "join_duplicate_folds", "ptbxl_split"]
