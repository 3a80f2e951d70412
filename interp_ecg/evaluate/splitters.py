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


def patient_groups(patient_ids: pd.Series | None, index: Sequence | pd.Index | None = None, *,
                   purpose: str = "a patient-wise split") -> pd.Series:
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

    Returns
    -------
    pandas.Series
        Text ids on the records' index; a record without an id gets ``"record:<record id>"``;
        ``attrs["n_without_patient"]`` counts those records.

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
    return text


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

    Parameters
    ----------
    folds : array-like
        Fold number of every record. A Series (``meta.strat_fold``) is paired with a DataFrame
        ``X`` given to :meth:`split` by record id, as is a Series ``groups``.

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

    def __init__(self, folds) -> None:
        self.folds = np.asarray(folds)
        self._by_id = folds if isinstance(folds, pd.Series) else None

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return len(np.unique(self.folds))

    def split(self, X=None, y=None, groups=None):
        """Yield ``(train, test)`` index arrays, fold by fold (sorted fold numbers).

        Raises
        ------
        ConfigError
            When ``X`` or ``groups`` has another length than the fold column, or when a
            patient of ``groups`` has records in two folds.
        """
        fold_of = self.folds
        if isinstance(X, pd.DataFrame):
            if self._by_id is not None and len(self._by_id) == len(X):
                fold_of = np.asarray(align_to_index(self._by_id, X.index, "folds", "X"))
            groups = align_to_index(groups, X.index, "groups", "X")
        n = len(fold_of)
        if X is not None and len(X) != n:
            raise ConfigError(f"the fold column has {n} entries but X has {len(X)} records")
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

    Returns
    -------
    dict
        ``{"train": Index, "val": Index, "test": Index}`` of record ids, in ``meta`` order.
        Records whose fold is missing or in none of the three lists belong to no part (the
        number is logged). For datasets, ``ds.subset(split["train"])`` gives the records.

    Raises
    ------
    ConfigError
        When ``fold_col`` is not a column of the metadata.

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
    if n_none:
        logger.info("%d records have no %s in the split's folds: in no part of the split", n_none, fold_col)
    return {name: meta.index[m] for name, m in parts.items()}


__all__ = ["PatientKFold", "PredefinedFolds", "ptbxl_split"]
