"""File digests and JSON manifests: the one integrity scheme for saved models.

A saved model (the feature models' folder, :func:`interp_ecg.models.save_model`, and the
prototype network's file, :meth:`interp_ecg.prototypes.ProtoECGNetClassifier.save`) is
listed with the SHA-256 of each file in a JSON manifest; the manifest's own SHA-256 is the
``expected_digest`` a user can pin. Loading checks every listed file and raises
:class:`~interp_ecg.errors.IntegrityError` naming the file on any mismatch. ``hashlib`` and
``json`` do the work; this module only fixes the layout, in the io layer so that both model
layers can use it.

Examples
--------
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
import os
from pathlib import Path

from interp_ecg.errors import IntegrityError

__all__ = ["sha256_file", "write_manifest", "read_manifest", "check_file_digest"]


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
