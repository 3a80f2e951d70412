"""LightGBM and XGBoost classifiers that route a missing value as missing, never as a number.

A feature table of this package holds NaN where a measurement could not be made (with a
reason beside it). The two booster libraries route such a NaN well on features that had
NaN in training (a default direction learned from the data), but not on features that had
none:

* LightGBM turns the NaN into **0.0** (its splits on such features have missing type
  ``None``), so a missing QRS duration is scored as a QRS duration of 0 ms;
* XGBoost sends it the default way, which without missing training values is always the
  right branch (``x >= threshold``): a missing QRS duration is scored as a very long one.

The classifiers below are the libraries' own, with one step after ``fit``: every split on
a feature that had no missing value in the training rows sends a missing value to the
child that more training rows went to, the rule scikit-learn's forests follow (scikit-learn
>= 1.4, "samples with missing values are mapped to the child with the most samples").
Splits on features that had missing values keep the direction the library learned, and
numbers (0 included) are routed exactly as before. The boosters stay plain LightGBM /
XGBoost models (saved and read in the libraries' native formats).

LightGBM's ``zero_as_missing=True`` or ``use_missing=False``, when a user sets them, are
left as the user chose them.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.models.boosters import MissingAwareLGBMClassifier
>>> rng = np.random.default_rng(0)
>>> X = np.column_stack([rng.normal(100, 20, 400), rng.normal(80, 20, 400)])
>>> y = (X[:, 0] >= 90).astype(int)            # most rows: QRS of 90 ms or more
>>> clf = MissingAwareLGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
>>> p_missing, p_zero = clf.predict_proba(np.array([[np.nan, 80.0], [0.0, 80.0]]))[:, 1]
>>> bool(p_missing > 0.5 > p_zero)              # plain LightGBM: p_missing == p_zero
True
"""

from __future__ import annotations

import json
import logging

import numpy as np
from lightgbm import LGBMClassifier
from xgboost import XGBClassifier

logger = logging.getLogger(__name__)

#: LightGBM's decision-type bits: default-left flag and missing type (0 None, 1 Zero, 2 NaN)
_LGBM_DEFAULT_LEFT = 2
_LGBM_MISSING_MASK = 3 << 2
_LGBM_MISSING_NAN = 2 << 2


def _lgbm_route_missing(model_text: str) -> tuple[str, int]:
    """LightGBM model text whose numeric splits of missing type ``None`` route NaN as missing.

    Each such split gets missing type ``NaN`` and sends NaN to the child with the larger
    training count (``internal_count`` / ``leaf_count``; the left one on a tie). Returns the
    new text and the number of splits changed.
    """
    lines = model_text.split("\n")
    changed = 0
    i = 0
    while i < len(lines):
        if not lines[i].startswith("Tree="):
            i += 1
            continue
        j = i + 1
        block: dict[str, int] = {}
        while j < len(lines) and lines[j].strip() and not lines[j].startswith("Tree="):
            key = lines[j].split("=", 1)[0]
            block[key] = j
            j += 1
        if "decision_type" in block and "left_child" in block:
            def values(key):
                return lines[block[key]].split("=", 1)[1].split()

            dtype = [int(v) for v in values("decision_type")]
            left = [int(v) for v in values("left_child")]
            right = [int(v) for v in values("right_child")]
            inner = [int(float(v)) for v in values("internal_count")] if "internal_count" in block else None
            leaf = [int(float(v)) for v in values("leaf_count")] if "leaf_count" in block else None
            if inner is not None and leaf is not None:
                def count(child: int) -> int:
                    return inner[child] if child >= 0 else leaf[~child]

                for k, dt in enumerate(dtype):
                    if dt & 1 or dt & _LGBM_MISSING_MASK:  # categorical, or missing already handled
                        continue
                    to_left = count(left[k]) >= count(right[k])
                    dtype[k] = _LGBM_MISSING_NAN | (_LGBM_DEFAULT_LEFT if to_left else 0)
                    changed += 1
                lines[block["decision_type"]] = "decision_type=" + " ".join(map(str, dtype))
        i = j
    # the header's tree sizes (bytes per tree) no longer hold; LightGBM reads the trees in order without them
    lines = [ln for ln in lines if not ln.startswith("tree_sizes=")]
    return "\n".join(lines), changed


def _xgb_trees(model: dict) -> list | None:
    booster = model["learner"]["gradient_booster"]
    if "model" in booster and "trees" in booster["model"]:
        return booster["model"]["trees"]
    if "gbtree" in booster and "trees" in booster["gbtree"].get("model", {}):  # dart
        return booster["gbtree"]["model"]["trees"]
    return None


def _xgb_node_counts(tree: dict, X32: np.ndarray) -> np.ndarray:
    """Training rows reaching each node of an XGBoost tree (``x < threshold`` goes left, in float32)."""
    left = np.asarray(tree["left_children"], dtype=np.int64)
    right = np.asarray(tree["right_children"], dtype=np.int64)
    feat = np.asarray(tree["split_indices"], dtype=np.int64)
    thr = np.asarray(tree["split_conditions"], dtype=np.float32)
    default_left = np.asarray(tree["default_left"], dtype=bool)
    counts = np.zeros(len(left), dtype=np.int64)
    rows = np.arange(len(X32))
    node = np.zeros(len(X32), dtype=np.int64)
    while len(rows):
        counts += np.bincount(node, minlength=len(left))
        inner = left[node] >= 0
        rows, node = rows[inner], node[inner]
        x = X32[rows, feat[node]]
        go_left = np.where(np.isnan(x), default_left[node], x < thr[node])
        node = np.where(go_left, left[node], right[node])
    return counts


def _xgb_route_missing(clf, X) -> int:
    """Point the default direction of XGBoost splits on never-missing features to the larger child."""
    X32 = np.asarray(X, dtype=np.float32)
    never_missing = ~np.isnan(X32).any(axis=0)
    booster = clf.get_booster()
    model = json.loads(booster.save_raw("json"))
    trees = _xgb_trees(model)
    if trees is None:
        logger.warning("XGBoost model layout not understood: missing values keep XGBoost's default directions")
        return 0
    changed = 0
    for tree in trees:
        if any(int(t) != 0 for t in tree.get("split_type", [])):
            continue  # categorical splits: left as XGBoost made them
        left = np.asarray(tree["left_children"], dtype=np.int64)
        right = np.asarray(tree["right_children"], dtype=np.int64)
        feat = np.asarray(tree["split_indices"], dtype=np.int64)
        counts = _xgb_node_counts(tree, X32)
        old = np.asarray(tree["default_left"], dtype=np.int64)
        inner = np.flatnonzero(left >= 0)
        inner = inner[never_missing[feat[inner]]]
        new = old.copy()
        new[inner] = counts[left[inner]] >= counts[right[inner]]
        changed += int(np.sum(new != old))
        tree["default_left"] = new.tolist()
    booster.load_model(bytearray(json.dumps(model), "utf-8"))
    return changed


class MissingAwareLGBMClassifier(LGBMClassifier):
    """``lightgbm.LGBMClassifier`` whose fitted trees route NaN as missing on every feature.

    After ``fit``, splits on features that had no NaN in training (LightGBM's missing type
    ``None``, which turns NaN into 0.0) send NaN to the child more training rows went to.
    ``missing_routes_``: the number of splits changed.
    """

    def fit(self, X, y, **kwargs):
        super().fit(X, y, **kwargs)
        params = self.get_params()
        if params.get("use_missing", True) is False or params.get("zero_as_missing", False) is True:
            self.missing_routes_ = 0
            return self
        import lightgbm

        text, changed = _lgbm_route_missing(self._Booster.model_to_string())
        if changed:
            self._Booster = lightgbm.Booster(model_str=text)
        self.missing_routes_ = changed
        return self


class MissingAwareXGBClassifier(XGBClassifier):
    """``xgboost.XGBClassifier`` whose splits on never-missing features send NaN to the larger child.

    XGBoost sends a missing value the default way, which it learns only from training rows
    with missing values; on a feature without any it is the right branch, i.e. a missing
    value scores as a value above every threshold. After ``fit`` those splits send it to
    the child more training rows went to. ``missing_routes_``: the number of splits whose
    direction changed.
    """

    def fit(self, X, y, **kwargs):
        super().fit(X, y, **kwargs)
        self.missing_routes_ = _xgb_route_missing(self, X)
        return self


__all__ = ["MissingAwareLGBMClassifier", "MissingAwareXGBClassifier"]
