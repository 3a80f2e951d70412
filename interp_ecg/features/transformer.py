"""``FiducialFeatures``: the feature extraction as a scikit-learn transformer.

It puts the clinical measurements in front of any model in a
:class:`~sklearn.pipeline.Pipeline`. Input is an :class:`~interp_ecg.io.EcgDataset` or an
array ``(n_records, n_leads, n_samples)`` (with ``fs`` and ``leads``); output holds the
numeric ``feature`` columns of the data dictionary (optionally the numeric quality columns
too). Unmeasurable records give ``NaN`` rows, which tree ensembles and imputers handle.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.features import FiducialFeatures
>>> from interp_ecg.features.synthetic import gaussian_ecg, OffsetDelineator
>>> X = np.stack([gaussian_ecg(hr_bpm=hr, duration_s=6)[0] for hr in (60, 90)])
>>> ff = FiducialFeatures(fs=500, method=OffsetDelineator()).set_output(transform="pandas")
>>> Z = ff.fit_transform(X)
>>> Z.shape[1] == len(ff.get_feature_names_out()), round(float(Z["heart_rate_bpm"].iloc[1]))
(True, 90)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_is_fitted

from interp_ecg.errors import ConfigError
from interp_ecg.features.dictionary import column_names, column_types
from interp_ecg.features.extract import Method, extract
from interp_ecg.io.dataset import ArrayLoader, EcgDataset
from interp_ecg.io.leads import STANDARD_LEADS


class FiducialFeatures(TransformerMixin, BaseEstimator):
    """Fiducial (clinical) ECG features as a scikit-learn transformer.

    Parameters
    ----------
    fs : float, optional
        Sampling rate of array input (ignored for datasets, which carry their own).
    leads : sequence of str, optional
        Lead names of array input (default: the standard twelve).
    method : str or callable, optional
        Delineation method (see :func:`interp_ecg.features.extract`).
    include_quality : bool, default False
        Also output the numeric quality columns (beat counts, usable leads, noise).
    n_jobs : int, default 1
        Worker processes for extraction.
    chunk_size : int, default 256
        Records per work unit.

    Attributes
    ----------
    feature_names_out_ : numpy.ndarray of str
        Output column names.
    n_features_out_ : int
        Their number.
    """

    def __init__(
        self,
        fs: float | None = None,
        leads: Sequence[str] | None = None,
        method: Method = None,
        include_quality: bool = False,
        n_jobs: int = 1,
        chunk_size: int = 256,
    ) -> None:
        self.fs = fs
        self.leads = leads
        self.method = method
        self.include_quality = include_quality
        self.n_jobs = n_jobs
        self.chunk_size = chunk_size

    def _columns(self) -> list[str]:
        floats = set(column_types()[0])
        cols = column_names("feature")
        if self.include_quality:
            cols = cols + [c for c in column_names("quality") if c in floats]
        return cols

    def _dataset(self, X: Any) -> EcgDataset:
        if isinstance(X, EcgDataset):
            return X
        arr = np.asarray(X, dtype=np.float32)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3:
            raise ConfigError(f"expected an EcgDataset or an array (n_records, n_leads, n_samples), got shape {arr.shape}")
        if self.fs is None:
            raise ConfigError("FiducialFeatures needs fs= for array input")
        leads = list(self.leads) if self.leads is not None else list(STANDARD_LEADS)[: arr.shape[1]]
        meta = pd.DataFrame(index=pd.RangeIndex(arr.shape[0], name="record_id"))
        return EcgDataset(meta, ArrayLoader(arr, fs=self.fs, leads=leads), fs=self.fs, leads=leads, name="array")

    def fit(self, X: Any, y: Any = None) -> "FiducialFeatures":
        """Record the output columns (the extraction itself has nothing to learn)."""
        self.feature_names_out_ = np.asarray(self._columns(), dtype=object)
        self.n_features_out_ = len(self.feature_names_out_)
        return self

    def transform(self, X: Any) -> np.ndarray | pd.DataFrame:
        """Measure every record of ``X``: one row per record, one column per feature."""
        check_is_fitted(self, "feature_names_out_")
        table = extract(self._dataset(X), n_jobs=self.n_jobs, chunk_size=self.chunk_size,
                        progress=False, method=self.method)
        out = table[list(self.feature_names_out_)].astype("float64")
        if _get_output_config("transform", self)["dense"] == "pandas":
            return out
        return out.to_numpy()

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the output columns."""
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags
