"""Saving and loading models without trusting unverified pickles.

:func:`save_model` writes a folder:

``manifest.json``
    format, class, package versions, feature names, classes, and the SHA-256 of every file.
``model.joblib``
    the fitted estimator (pipelines, forests, the stacker).
``boosters/<label>__<member>.ubj`` / ``.txt``
    every XGBoost booster in XGBoost's native UBJSON and every LightGBM booster in LightGBM's
    text format, usable without this package (and without unpickling anything).

:func:`load_model` recomputes every checksum **before** anything is unpickled and raises
:class:`~interp_ecg.errors.IntegrityError` on any mismatch, missing or unlisted file. The
manifest itself is covered by the digest :func:`save_model` returns: keep it elsewhere (a
study's results, a registry) and pass it as ``expected_digest`` so that a replaced manifest is
caught as well. Only load folders you wrote or whose digest you trust.

Examples
--------
>>> import tempfile, numpy as np
>>> from interp_ecg.models import EnsembleClassifier, save_model, load_model
>>> X = np.random.default_rng(0).normal(size=(60, 3)); y = (X[:, 0] > 0).astype(int)
>>> model = EnsembleClassifier(("logreg",)).fit(X, y)
>>> folder = tempfile.mkdtemp()
>>> digest = save_model(model, folder)
>>> again = load_model(folder, expected_digest=digest)
>>> bool(np.allclose(again.predict_proba(X), model.predict_proba(X)))
True
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import joblib

from interp_ecg.errors import IntegrityError, ModelError

logger = logging.getLogger(__name__)

FORMAT = "interp-ecg-model"
FORMAT_VERSION = 1


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _versions() -> dict:
    import sklearn

    import interp_ecg

    out = {"interp_ecg": interp_ecg.__version__, "scikit-learn": sklearn.__version__,
           "joblib": joblib.__version__}
    for mod in ("xgboost", "lightgbm", "imblearn"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # pragma: no cover
            pass
    return out


def _iter_boosters(model, prefix=""):
    """Yield (name, kind, booster) for every XGBoost/LightGBM member of ``model``."""
    if getattr(model, "multilabel_", False):
        for label, child in zip(model.labels_, model.estimators_):
            yield from _iter_boosters(child, f"{prefix}{label}__")
        return
    for name, est in getattr(model, "members_", []):
        inner = [est]
        if hasattr(est, "calibrated_classifiers_"):
            inner = [c.estimator for c in est.calibrated_classifiers_]
        for i, pipe in enumerate(inner):
            clf = pipe.steps[-1][1] if hasattr(pipe, "steps") else pipe
            tag = f"{prefix}{name}" + (f"_cal{i}" if len(inner) > 1 else "")
            if name == "xgb":
                yield tag, "xgb", clf.get_booster()
            elif name == "lgbm":
                yield tag, "lgbm", clf.booster_


def save_model(model, path: str | os.PathLike) -> str:
    """Save a fitted model to the folder ``path`` (created; existing files replaced).

    Returns
    -------
    str
        SHA-256 of ``manifest.json``: pass it to :func:`load_model` as ``expected_digest``.
    """
    if not hasattr(model, "classes_"):
        raise ModelError("save_model needs a fitted model")
    folder = Path(path)
    (folder / "boosters").mkdir(parents=True, exist_ok=True)
    files = ["model.joblib"]
    joblib.dump(model, folder / "model.joblib")
    for tag, kind, booster in _iter_boosters(model):
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in tag)
        if kind == "xgb":
            rel = f"boosters/{safe}.ubj"
            booster.save_model(str(folder / rel))
        else:
            rel = f"boosters/{safe}.txt"
            booster.save_model(str(folder / rel))
        files.append(rel)
    names = getattr(model, "feature_names_in_", None)
    classes = model.classes_
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
        "params": {k: repr(v) for k, v in model.get_params(deep=False).items()},
        "feature_names": None if names is None else [str(n) for n in names],
        "classes": repr([list(map(str, c)) for c in classes] if isinstance(classes, list) else list(map(str, classes))),
        "versions": _versions(),
        "sha256": {rel: _sha256(folder / rel) for rel in files},
    }
    text = json.dumps(manifest, indent=2, sort_keys=True)
    (folder / "manifest.json").write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    logger.info("saved %s to %s (manifest sha256 %s)", manifest["class"], folder, digest)
    return digest


def verify_model(path: str | os.PathLike, expected_digest: str | None = None) -> dict:
    """Check a saved model folder; return its manifest or raise :class:`IntegrityError`."""
    folder = Path(path)
    mpath = folder / "manifest.json"
    if not mpath.is_file():
        raise IntegrityError("no manifest.json: not a saved interp-ecg model", source=folder)
    raw = mpath.read_bytes()
    if expected_digest is not None and hashlib.sha256(raw).hexdigest() != expected_digest:
        raise IntegrityError("manifest.json does not match the expected digest", source=mpath)
    try:
        manifest = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise IntegrityError(f"manifest.json is not valid JSON: {exc}", source=mpath) from None
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("sha256"), dict):
        raise IntegrityError("manifest.json is not an interp-ecg model manifest", source=mpath)
    listed = manifest["sha256"]
    for rel, digest in listed.items():
        fpath = (folder / rel).resolve()
        if folder.resolve() not in fpath.parents:
            raise IntegrityError(f"manifest lists a path outside the folder: {rel!r}", source=mpath)
        if not fpath.is_file():
            raise IntegrityError(f"file listed in the manifest is missing: {rel}", source=folder)
        if _sha256(fpath) != digest:
            raise IntegrityError(f"checksum mismatch for {rel}: the file was changed after saving", source=fpath)
    present = {str(p.relative_to(folder)).replace(os.sep, "/") for p in folder.rglob("*") if p.is_file()}
    extra = present - set(listed) - {"manifest.json"}
    if extra:
        raise IntegrityError(f"files not listed in the manifest: {sorted(extra)}", source=folder)
    return manifest


def load_model(path: str | os.PathLike, expected_digest: str | None = None):
    """Load a model saved by :func:`save_model`, verifying every checksum first.

    Parameters
    ----------
    path : folder written by :func:`save_model`.
    expected_digest : str, optional
        The digest :func:`save_model` returned; checked against ``manifest.json``.

    Raises
    ------
    IntegrityError
        Missing, altered or unlisted files, or a manifest that does not match the digest.
    """
    verify_model(path, expected_digest)
    return joblib.load(Path(path) / "model.joblib")


def load_booster(path: str | os.PathLike, expected_digest: str | None = None) -> dict:
    """Load only the native boosters of a saved model (no unpickling): ``{tag: Booster}``."""
    manifest = verify_model(path, expected_digest)
    out = {}
    for rel in manifest["sha256"]:
        if rel.startswith("boosters/"):
            tag = rel.split("/", 1)[1].rsplit(".", 1)[0]
            if rel.endswith(".ubj"):
                import xgboost

                booster = xgboost.Booster()
                booster.load_model(str(Path(path) / rel))
            else:
                import lightgbm

                booster = lightgbm.Booster(model_file=str(Path(path) / rel))
            out[tag] = booster
    return out


__all__ = ["save_model", "load_model", "verify_model", "load_booster"]
