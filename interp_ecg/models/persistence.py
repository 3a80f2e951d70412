"""Saving and loading models in formats that cannot run code.

:func:`save_model` writes a folder:

``manifest.json``
    format and format version, class, package versions, feature names, classes, and the
    SHA-256 of every file.
``model.skops``
    the fitted estimator (pipelines, forests, calibrators, the stacker) in :mod:`skops.io`'s
    format: a zip of JSON and ``.npy`` arrays (read with ``allow_pickle=False``) that is
    rebuilt object by object; XGBoost and LightGBM members inside it are held as their
    boosters' own serialisation (XGBoost's UBJSON buffer, LightGBM's model text).
``boosters/<label>__<member>.ubj`` / ``.txt``
    every XGBoost booster in XGBoost's native UBJSON and every LightGBM booster in LightGBM's
    text format, usable without this package.

:func:`load_model` never unpickles. It verifies the checksums, then asks skops which types
the file would build and refuses (:class:`~interp_ecg.errors.ModelError`) unless every type
outside skops' own safe set is on :data:`TRUSTED_TYPES`, the explicit list of the classes this
package's models are made of. A file that names any other type (``builtins.eval``,
``os.system``, a class whose ``__setstate__`` runs code) is refused before anything is built.
Folders of format version 1 (``model.joblib``, a pickle) are refused with a message saying
so: re-train, or re-save from a trusted session with :func:`save_model`.

The checksums catch accidental damage; ``expected_digest`` (returned by :func:`save_model`)
pins the manifest itself. Neither is needed for safety: that comes from the format.

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

import logging
import os
import re
from pathlib import Path

from interp_ecg.errors import IntegrityError, ModelError
from interp_ecg.io.integrity import check_file_digest, read_manifest, sha256_file, write_manifest

logger = logging.getLogger(__name__)

FORMAT = "interp-ecg-model"
#: 1: ``model.joblib`` (pickle; refused since); 2: ``model.skops``.
FORMAT_VERSION = 2
MODEL_FILE = "model.skops"

#: Types outside skops' default-trusted set that a saved model of this package may contain.
#: Each rebuilds from plain data: scikit-learn / imbalanced-learn objects from their
#: attribute dicts, XGBoost boosters from their UBJSON buffer, LightGBM boosters from model text.
TRUSTED_TYPES: tuple[str, ...] = (
    "collections.OrderedDict",
    "numpy.dtype",
    "interp_ecg.models.ensemble.EnsembleClassifier",
    "interp_ecg.models.ensemble._ConstantLabel",
    "sklearn.tree._tree.Tree",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.neighbors._kd_tree.KDTree",
    "sklearn.metrics._dist_metrics.EuclideanDistance64",
    "imblearn.pipeline.Pipeline",
    "imblearn.over_sampling._smote.base.SMOTE",
    "xgboost.core.Booster",
    "xgboost.sklearn.XGBClassifier",
    "lightgbm.basic.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "interp_ecg.models.boosters.MissingAwareXGBClassifier",
    "interp_ecg.models.boosters.MissingAwareLGBMClassifier",
)


def _sha256(path: Path) -> str:
    return sha256_file(path)


def _versions() -> dict:
    import sklearn

    import interp_ecg

    out = {"interp_ecg": interp_ecg.__version__, "scikit-learn": sklearn.__version__}
    for mod in ("skops", "xgboost", "lightgbm", "imblearn"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # pragma: no cover
            pass
    return out


def _major_minor(version: str) -> tuple[int, int] | None:
    m = re.match(r"\s*v?(\d+)\.(\d+)", str(version))
    return (int(m.group(1)), int(m.group(2))) if m else None


def check_versions(manifest: dict, source: str | os.PathLike | None = None) -> list[str]:
    """Compare the package versions a model was saved with to the installed ones.

    Tree and ensemble internals and defaults change between releases (scikit-learn itself
    warns, ``InconsistentVersionWarning``, when an estimator is unpickled under another
    version; skops and the booster text formats do not). For every package of the manifest's
    ``versions`` whose major.minor differs from the installed one this logs a warning (and
    issues a :class:`UserWarning`) naming both versions.

    Parameters
    ----------
    manifest : dict
        A model folder's manifest (:func:`verify_model`).
    source : path-like, optional
        The folder, named in the message.

    Returns
    -------
    list of str
        One message per package that differs (empty when none does).

    Examples
    --------
    >>> from interp_ecg.models.persistence import check_versions
    >>> import sklearn
    >>> check_versions({"versions": {"scikit-learn": sklearn.__version__}})
    []
    """
    import warnings

    saved = manifest.get("versions") or {}
    now = _versions()
    out = []
    for pkg, was in saved.items():
        if pkg not in now:
            continue
        a, b = _major_minor(was), _major_minor(now[pkg])
        if a is None or b is None:
            differs = str(was) != str(now[pkg])
        else:
            differs = a != b
        if differs:
            out.append(f"saved with {pkg} {was}, loading under {now[pkg]}: predictions may differ; re-save the "
                       "model under the installed versions (or install the saved ones)")
    if out:
        where = f"{source}: " if source is not None else ""
        for msg in out:
            logger.warning("%s%s", where, msg)
            warnings.warn(where + msg, UserWarning, stacklevel=3)
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

    Parameters
    ----------
    model : fitted estimator
        An :class:`~interp_ecg.models.EnsembleClassifier` (or a scikit-learn estimator made of
        the types in :data:`TRUSTED_TYPES` and skops' safe set).
    path : str or path-like
        The folder.

    Returns
    -------
    str
        SHA-256 of ``manifest.json``: pass it to :func:`load_model` as ``expected_digest``.

    Raises
    ------
    ModelError
        An unfitted model, or one holding types :func:`load_model` would refuse.
    """
    import skops.io as sio

    if not hasattr(model, "classes_"):
        raise ModelError("save_model needs a fitted model")
    folder = Path(path)
    (folder / "boosters").mkdir(parents=True, exist_ok=True)
    blob = sio.dumps(model)
    refused = sorted(set(sio.get_untrusted_types(data=blob)) - set(TRUSTED_TYPES))
    if refused:
        raise ModelError(f"cannot save {type(model).__name__}: it holds types load_model would refuse "
                         f"({refused}); only types in TRUSTED_TYPES are saved")
    for old in ("model.joblib",):  # a format-1 file left over would make the folder ambiguous
        (folder / old).unlink(missing_ok=True)
    files = [MODEL_FILE]
    (folder / MODEL_FILE).write_bytes(blob)
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
    digest = write_manifest(folder / "manifest.json", manifest)
    logger.info("saved %s to %s (manifest sha256 %s)", manifest["class"], folder, digest)
    return digest


def verify_model(path: str | os.PathLike, expected_digest: str | None = None) -> dict:
    """Check a saved model folder; return its manifest or raise :class:`IntegrityError`."""
    folder = Path(path)
    mpath = folder / "manifest.json"
    if not mpath.is_file():
        if (folder / "model.joblib").is_file() or folder.suffix in {".joblib", ".pkl", ".pickle"}:
            raise ModelError("a pickled model (joblib/pickle) is refused: unpickling can run code; "
                             "re-save it with interp_ecg.models.save_model from a trusted session",
                             source=folder)
        raise IntegrityError("no manifest.json: not a saved interp-ecg model", source=folder)
    manifest = read_manifest(mpath, expected_digest)
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("sha256"), dict):
        raise IntegrityError("manifest.json is not an interp-ecg model manifest", source=mpath)
    _check_format_version(manifest, folder)
    listed = manifest["sha256"]
    for rel, digest in listed.items():
        fpath = (folder / rel).resolve()
        if folder.resolve() not in fpath.parents:
            raise IntegrityError(f"manifest lists a path outside the folder: {rel!r}", source=mpath)
        check_file_digest(fpath, digest, rel)
    present = {str(p.relative_to(folder)).replace(os.sep, "/") for p in folder.rglob("*") if p.is_file()}
    extra = present - set(listed) - {"manifest.json"}
    if extra:
        raise IntegrityError(f"files not listed in the manifest: {sorted(extra)}", source=folder)
    return manifest


def _check_format_version(manifest: dict, folder: Path) -> None:
    version = manifest.get("format_version")
    if version == FORMAT_VERSION:
        return
    if version == 1:
        raise ModelError("model folder of format version 1 (model.joblib, a pickle) is refused: "
                         "unpickling can run code. Re-train, or re-save the model with this "
                         "version's save_model from a trusted session", source=folder)
    raise ModelError(f"unknown model format version {version!r} (this interp-ecg reads version "
                     f"{FORMAT_VERSION}); saved by another interp-ecg version?", source=folder)


def load_model(path: str | os.PathLike, expected_digest: str | None = None):
    """Load a model saved by :func:`save_model`, without unpickling anything.

    Parameters
    ----------
    path : str or path-like
        Folder written by :func:`save_model`.
    expected_digest : str, optional
        The digest :func:`save_model` returned; checked against ``manifest.json``.

    Returns
    -------
    estimator
        The fitted model. A package whose major.minor version differs from the one the
        manifest records (scikit-learn, LightGBM, XGBoost, skops, interp_ecg ...) is named in
        a logged warning (:func:`check_versions`).

    Raises
    ------
    IntegrityError
        Missing, altered or unlisted files, or a manifest that does not match the digest.
    ModelError
        A pickled (format 1) or unknown-format folder, a file that is not a skops file, or one
        that would build a type not on :data:`TRUSTED_TYPES` (named in the message).
    """
    import skops.io as sio

    folder = Path(path)
    manifest = verify_model(folder, expected_digest)
    check_versions(manifest, folder)
    file = folder / MODEL_FILE
    if MODEL_FILE not in manifest["sha256"] or not file.is_file():
        raise ModelError(f"no {MODEL_FILE} listed in the manifest", source=folder)
    try:
        found = sio.get_untrusted_types(file=file)
    except Exception as err:  # noqa: BLE001 - not a zip / not skops JSON
        raise ModelError(f"{MODEL_FILE} is not a skops model file ({type(err).__name__}: {err})",
                         source=file) from None
    refused = sorted(set(found) - set(TRUSTED_TYPES))
    if refused:
        raise ModelError(f"refused: {MODEL_FILE} would build types that are not on the trusted list: "
                         f"{refused}", source=file)
    try:
        return sio.load(file, trusted=sorted(found))
    except Exception as err:  # noqa: BLE001 - name the file and the problem
        raise ModelError(f"cannot load {MODEL_FILE} ({type(err).__name__}: {err})", source=file) from None


def load_booster(path: str | os.PathLike, expected_digest: str | None = None) -> dict:
    """Load only the native boosters of a saved model (no unpickling): ``{tag: Booster}``."""
    manifest = verify_model(path, expected_digest)
    check_versions(manifest, path)
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


__all__ = ["TRUSTED_TYPES", "check_versions", "save_model", "load_model", "verify_model", "load_booster",
           "write_manifest",
           "read_manifest", "check_file_digest", "sha256_file"]
