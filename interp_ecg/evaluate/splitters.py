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

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

from interp_ecg.errors import ConfigError


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


class PatientKFold:
    """K-fold in which every patient's records fall in one fold, stratified on ``y`` when given.

    Wraps ``StratifiedGroupKFold`` (multi-label ``y``: stratified on each record's rarest
    positive label); falls back to ``GroupKFold`` when ``y`` is missing or a stratum is too
    small. Without ``groups``, each record is its own patient.

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
        n = len(X) if X is not None else len(y)
        groups = np.arange(n) if groups is None else np.asarray(groups)
        n_groups = len(pd.unique(groups))
        if n_groups < self.n_splits:
            raise ConfigError(f"{n_groups} patients cannot make {self.n_splits} patient-wise folds")
        strata = _strata(y)
        if strata is not None:
            _, counts = np.unique(strata, return_counts=True)
            cv = StratifiedGroupKFold(self.n_splits, shuffle=self.shuffle,
                                      random_state=self.random_state if self.shuffle else None)
            yield from cv.split(np.zeros(n), strata, groups)
            return
        yield from GroupKFold(self.n_splits).split(np.zeros(n), None, groups)


class PredefinedFolds:
    """Cross-validation over a fold column (PTB-XL ``strat_fold``): fold k is the test set once.

    Parameters
    ----------
    folds : array-like
        Fold number of every record.
    """

    def __init__(self, folds) -> None:
        self.folds = np.asarray(folds)

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        return len(np.unique(self.folds))

    def split(self, X=None, y=None, groups=None):
        idx = np.arange(len(self.folds))
        for f in np.unique(self.folds):
            yield idx[self.folds != f], idx[self.folds == f]


def ptbxl_split(meta: pd.DataFrame, fold_col: str = "strat_fold", train=range(1, 9), val=(9,), test=(10,)) -> dict:
    """PTB-XL's recommended split: train folds 1-8, validation 9, test 10 (record ids).

    Parameters
    ----------
    meta : DataFrame indexed by record id with a ``strat_fold`` column (patient-wise folds).

    Returns
    -------
    dict with ``"train"``, ``"val"``, ``"test"``: ``pandas.Index`` of record ids.
    """
    if fold_col not in meta.columns:
        raise ConfigError(f"meta has no {fold_col!r} column (have {list(meta.columns)[:10]}...)")
    folds = meta[fold_col].astype(int)
    return {
        "train": meta.index[folds.isin(list(train)).to_numpy()],
        "val": meta.index[folds.isin(list(val)).to_numpy()],
        "test": meta.index[folds.isin(list(test)).to_numpy()],
    }


__all__ = ["PatientKFold", "PredefinedFolds", "ptbxl_split"]
