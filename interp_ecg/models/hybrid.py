"""``HybridECGClassifier``: one model over fiducial measurements *and* prototype similarities.

One pipeline computes both blocks from an :class:`~interp_ecg.io.EcgDataset`: the
measurement block (:func:`interp_ecg.features.extract`, its ``kind == "feature"`` columns) and
the prototype block (a fitted prototype network's ``transform``: one similarity per
prototype, columns ``proto_<class>_<kk>``), side by side, into the same
:class:`~interp_ecg.models.EnsembleClassifier` as the feature models. ``blocks`` chooses
``("features",)``, ``("prototypes",)`` or both, so the single-block models are the same code
with one block left out. SHAP over the hybrid, grouped into "measurements by wave/lead" and
"prototypes by branch", is :func:`interp_ecg.explain.hybrid_explanation`.

The prototype network is passed in already fitted (or fitted here on the training records
when it is not): the hybrid's training rows then carry similarities of records the network
was trained on, as in any stacked model; evaluate on held-out folds only.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from interp_ecg.models.hybrid import HybridECGClassifier, block_of
>>> block_of("proto_AFIB_00"), block_of("QRS_duration_ms")
('prototypes', 'features')
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from interp_ecg.errors import ConfigError
from interp_ecg.io.ids import align_to_index

logger = logging.getLogger(__name__)

BLOCKS = ("features", "prototypes")
PROTOTYPE_PREFIX = "proto_"


def block_of(column: str) -> str:
    """``"prototypes"`` for a similarity column (``proto_*``), ``"features"`` otherwise."""
    return "prototypes" if str(column).startswith(PROTOTYPE_PREFIX) else "features"


def _str_index(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.index = out.index.map(str)
    return out


class HybridECGClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label classifier over measurements, prototype similarities, or both.

    Parameters
    ----------
    prototype_model : ProtoECGNetClassifier, optional
        Fitted (or unfitted: then fitted on the training records in :meth:`fit`); needed for
        the ``"prototypes"`` block.
    blocks : sequence of {"features", "prototypes"}
    estimators, member_params, combine, class_weight, random_state, n_jobs, device
        Passed to :class:`~interp_ecg.models.EnsembleClassifier`.
    features : pandas.DataFrame, optional
        A precomputed :func:`interp_ecg.features.extract` table indexed by record id, used
        instead of measuring (cross-validation measures once). Records missing from it are
        measured.
    feature_columns : sequence of str, optional
        Measurement columns (default: every ``kind == "feature"`` column of the dictionary).
    n_jobs_extract : int
        Processes for feature extraction.

    Attributes
    ----------
    ensemble_ : EnsembleClassifier
    prototype_model_ : the fitted prototype network (or None)
    feature_names_in_ : ndarray of str
        Columns of the design matrix: measurements, then similarities.
    labels_ : list of str
    """

    def __init__(self, prototype_model: Any = None, blocks: Sequence[str] = BLOCKS,
                 estimators: Sequence[str] = ("lgbm",), member_params: dict | None = None,
                 combine: str = "soft", class_weight: str | dict | None = "balanced",
                 features: pd.DataFrame | None = None, feature_columns: Sequence[str] | None = None,
                 random_state: int | None = 0, n_jobs: int | None = 1, device: str = "cpu",
                 n_jobs_extract: int = 1) -> None:
        self.prototype_model = prototype_model
        self.blocks = blocks
        self.estimators = estimators
        self.member_params = member_params
        self.combine = combine
        self.class_weight = class_weight
        self.features = features
        self.feature_columns = feature_columns
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.device = device
        self.n_jobs_extract = n_jobs_extract

    def _check_blocks(self) -> list[str]:
        blocks = list(self.blocks)
        bad = [b for b in blocks if b not in BLOCKS]
        if bad or not blocks:
            raise ConfigError(f"blocks must be a non-empty subset of {BLOCKS}, got {self.blocks!r}")
        if "prototypes" in blocks and self.prototype_model is None:
            raise ConfigError("the 'prototypes' block needs prototype_model")
        return blocks

    def _feature_block(self, dataset) -> pd.DataFrame:
        from interp_ecg.features import extract, feature_dictionary

        ids = [str(i) for i in dataset.meta.index]
        have = _str_index(self.features) if self.features is not None else pd.DataFrame()
        missing = [i for i in ids if i not in have.index]
        if missing:
            sub = dataset.subset([r for r in dataset.meta.index if str(r) in set(missing)])
            new = _str_index(extract(sub, n_jobs=self.n_jobs_extract, progress=False))
            have = pd.concat([have, new]) if len(have) else new
        cols = self.feature_columns_ if hasattr(self, "feature_columns_") else None
        if cols is None:
            d = feature_dictionary()
            cols = list(self.feature_columns) if self.feature_columns is not None else [
                c for c in have.columns if c in d.index and d.at[c, "kind"] == "feature"]
        out = have.reindex(ids)[cols].apply(pd.to_numeric, errors="coerce").astype(float)
        if "quality_ok" in have:
            bad = ~have.reindex(ids)["quality_ok"].fillna(False).astype(bool)
            out.loc[bad.to_numpy()] = np.nan  # unmeasurable records: NaN measurements (trees handle NaN)
        return out

    def design_matrix(self, dataset) -> pd.DataFrame:
        """The blocks side by side, indexed by record id (as text)."""
        blocks = self._check_blocks()
        parts = []
        if "features" in blocks:
            parts.append(self._feature_block(dataset))
        if "prototypes" in blocks:
            model = getattr(self, "prototype_model_", None) or self.prototype_model
            sims = _str_index(model.transform(dataset))
            parts.append(sims.reindex([str(i) for i in dataset.meta.index]))
        return pd.concat(parts, axis=1)

    def fit(self, dataset, labels: pd.DataFrame, groups: Any = None) -> "HybridECGClassifier":
        """Fit on the records of ``dataset`` with multi-hot ``labels`` (indexed by record id).

        ``groups`` (patient ids) as a Series is paired with the records by id; an array is
        taken in the order of ``dataset.meta``.
        """
        from interp_ecg.models.ensemble import EnsembleClassifier

        blocks = self._check_blocks()
        if "prototypes" in blocks:
            model = self.prototype_model
            if not hasattr(model, "prototype_sources_"):
                model = clone(model).fit(dataset, labels)
            self.prototype_model_ = model
        else:
            self.prototype_model_ = None
        if "features" in blocks:
            self.feature_columns_ = None
            self.feature_columns_ = list(self._feature_block(dataset).columns)
        X = self.design_matrix(dataset)
        y = _str_index(labels).reindex(X.index)
        if y.isna().any().any():
            raise ConfigError("labels lack some records of the dataset")
        self.labels_ = [str(c) for c in y.columns]
        if isinstance(groups, pd.Series):  # patient ids paired with the records by id, never by position
            groups = align_to_index(_str_index(groups), X.index, "groups", "dataset")
        self.ensemble_ = EnsembleClassifier(
            tuple(self.estimators), combine=self.combine, member_params=self.member_params,
            class_weight=self.class_weight, random_state=self.random_state, n_jobs=self.n_jobs,
            device=self.device, multilabel=True,
        ).fit(X, y.astype(int), groups=groups)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        return self

    def predict_proba(self, dataset) -> np.ndarray:
        """Probabilities ``(n_records, n_labels)`` in :attr:`labels_` order."""
        X = self.design_matrix(dataset)
        return self.ensemble_.predict_proba(X[list(self.feature_names_in_)])

    def predict(self, dataset, threshold: float = 0.5) -> np.ndarray:
        return (self.predict_proba(dataset) >= threshold).astype(int)


__all__ = ["BLOCKS", "HybridECGClassifier", "block_of"]
