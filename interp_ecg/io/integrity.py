"""File digests and JSON manifests: the one integrity scheme for saved models.

A saved model (the feature models' folder, :func:`interp_ecg.models.save_model`, and the
prototype network's file, :meth:`interp_ecg.prototypes.ProtoECGNetClassifier.save`) is
listed with the SHA-256 of each file in a JSON manifest; the manifest's own SHA-256 is the
``expected_digest`` a user can pin. Loading checks every listed file and raises
:class:`~interp_ecg.errors.IntegrityError` naming the file on any mismatch. ``hashlib`` and
``json`` do the work; this module only fixes the layout, in the io layer so that both model
layers can use it. A single saved file (the prototype network's model file, a training
checkpoint) has its manifest beside it, ``<name>.manifest.json``
(:func:`write_file_manifest`, :func:`verify_file_manifest`).

Examples
--------
>>> from interp_ecg.io.integrity import check_file_digest, read_manifest, sha256_file, write_manifest
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "w.bin").write_bytes(b"weights")
>>> digest = write_manifest(d / "manifest.json", {"sha256": {"w.bin": sha256_file(d / "w.bin")}})
>>> check_file_digest(d / "w.bin", read_manifest(d / "manifest.json", digest)["sha256"]["w.bin"])
>>> _ = (d / "w.bin").write_bytes(b"tampered")
>>> check_file_digest(d / "w.bin", read_manifest(d / "manifest.json")["sha256"]["w.bin"])
Traceback (most recent call last):
...
interp_ecg.errors.IntegrityError: ...: checksum mismatch for w.bin: the file was changed after saving
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import warnings
from pathlib import Path

from interp_ecg.errors import IntegrityError

__all__ = ["sha256_file", "write_manifest", "read_manifest", "check_file_digest", "file_manifest_path",
           "write_file_manifest", "verify_file_manifest"]

logger = logging.getLogger(__name__)


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(mpath: str | os.PathLike, manifest: dict) -> str:
    """Write ``manifest`` as JSON to ``mpath``; return the SHA-256 of the text (the ``expected_digest``)."""
    text = json.dumps(manifest, indent=2, sort_keys=True)
    Path(mpath).write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_manifest(mpath: str | os.PathLike, expected_digest: str | None = None) -> dict:
    """Read a manifest written by :func:`write_manifest`, checking ``expected_digest`` when given.

    Raises
    ------
    IntegrityError
        The text does not match ``expected_digest``, or is not JSON.
    """
    mpath = Path(mpath)
    raw = mpath.read_bytes()
    if expected_digest is not None and hashlib.sha256(raw).hexdigest() != expected_digest:
        raise IntegrityError(f"{mpath.name} does not match the expected digest", source=mpath)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise IntegrityError(f"{mpath.name} is not valid JSON: {exc}", source=mpath) from None


def check_file_digest(fpath: str | os.PathLike, digest: str, rel: str | None = None) -> None:
    """Raise :class:`IntegrityError` naming the file unless its SHA-256 is ``digest``."""
    fpath = Path(fpath)
    if not fpath.is_file():
        raise IntegrityError(f"file listed in the manifest is missing: {rel or fpath.name}", source=fpath.parent)
    if sha256_file(fpath) != digest:
        raise IntegrityError(f"checksum mismatch for {rel or fpath.name}: the file was changed after saving",
                             source=fpath)


def file_manifest_path(path: str | os.PathLike) -> Path:
    """The manifest of a single saved file: ``<name>.manifest.json`` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".manifest.json")


def write_file_manifest(path: str | os.PathLike, fmt: str, fields: dict | None = None,
                        content: str | os.PathLike | None = None) -> str:
    """Write the manifest of the single file ``path`` beside it; return the manifest's SHA-256.

    Parameters
    ----------
    path : str or path-like
        The file the manifest describes (listed under its name).
    fmt : str
        The manifest's ``format`` (what kind of file it is); :func:`verify_file_manifest`
        refuses a manifest of another format.
    fields : dict, optional
        Further plain JSON fields (format version, package versions, classes ...).
    content : str or path-like, optional
        The file whose bytes are hashed, when it is not yet at ``path``: a writer that saves
        to a temporary file first writes the manifest of the temporary file, then moves the
        file into place, so a run killed in between leaves no file that a manifest does not
        describe (only a manifest without its file, which is never read).

    Returns
    -------
    str
        SHA-256 of the manifest text (the ``expected_digest`` to pin the file).
    """
    path = Path(path)
    digest = sha256_file(content if content is not None else path)
    manifest = {**(fields or {}), "format": fmt, "sha256": {path.name: digest}}
    mpath = file_manifest_path(path)
    tmp = mpath.with_name(mpath.name + ".tmp")
    out = write_manifest(tmp, manifest)
    tmp.replace(mpath)
    return out


def verify_file_manifest(path: str | os.PathLike, fmt: str, expected_digest: str | None = None,
                         what: str = "file") -> str | None:
    """Check a single saved file against its manifest (and the manifest against ``expected_digest``).

    Parameters
    ----------
    path : str or path-like
        The saved file.
    fmt : str
        The ``format`` its manifest must have (:func:`write_file_manifest`).
    expected_digest : str, optional
        SHA-256 the manifest text must have.
    what : str
        What the file is, for the messages (``"model file"``, ``"checkpoint"``).

    Returns
    -------
    str or None
        The manifest's SHA-256; ``None`` for a file without a manifest (saved before
        manifests were written, or copied without it), which is logged and warned about
        (``UserWarning``): its integrity is not checked.

    Raises
    ------
    IntegrityError
        Naming the file: its SHA-256 differs from the manifest's (altered or truncated after
        saving), the manifest is not one of ``fmt`` or does not match ``expected_digest``, or
        ``expected_digest`` is given and there is no manifest. A file whose name differs from
        the one the manifest lists (renamed together with its manifest) is not an error: the
        digest decides; the rename is logged and warned (``UserWarning``).
    FileNotFoundError
        No file at ``path``.

    Examples
    --------
    >>> from interp_ecg.io.integrity import verify_file_manifest, write_file_manifest
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "phase.pt"
    >>> _ = f.write_bytes(b"weights")
    >>> digest = write_file_manifest(f, "example")
    >>> verify_file_manifest(f, "example", digest) == digest
    True
    >>> _ = f.write_bytes(b"weigh")                    # truncated
    >>> verify_file_manifest(f, "example")
    Traceback (most recent call last):
    ...
    interp_ecg.errors.IntegrityError: ...phase.pt: checksum mismatch for phase.pt: the file was changed after saving
    """
    path = Path(path)
    mpath = file_manifest_path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: {what} not found")
    if not mpath.is_file():
        if expected_digest is not None:
            raise IntegrityError(f"no {mpath.name} next to the {what}: cannot check the expected digest",
                                 source=str(path))
        msg = (f"{path}: no {mpath.name} next to it (saved before manifests were written, or copied without "
               f"it); the {what}'s integrity is not checked. Re-save it to write one.")
        logger.warning(msg)
        warnings.warn(msg, UserWarning, stacklevel=3)
        return None
    manifest = read_manifest(mpath, expected_digest)
    listed = manifest.get("sha256") if isinstance(manifest, dict) else None
    if manifest.get("format") != fmt or not isinstance(listed, dict) or len(listed) != 1:
        raise IntegrityError(f"{mpath.name} is not a manifest of a {fmt} {what}", source=str(mpath))
    name, digest = next(iter(listed.items()))
    check_file_digest(path, digest, path.name)
    if name != path.name:
        # the digest matched: these are the saved bytes under another name (renamed or copied
        # together with the manifest), not an altered file
        msg = (f"{path}: saved as {name!r} and renamed (its {mpath.name} still lists {name!r}); the "
               f"SHA-256 matches, so the {what} is the one saved. Loaded.")
        logger.warning(msg)
        warnings.warn(msg, UserWarning, stacklevel=3)
    return sha256_file(mpath)
