"""Chunked, resumable Parquet output for long feature-extraction runs.

A run writes one Parquet file per chunk of records into a folder, each written atomically
(a temporary file renamed into place), beside a ``_manifest.json`` that fixes the record ids
and the chunk size. A run that is killed (even with ``SIGKILL``) and started again on the
same folder finds the finished chunks, skips them and writes only the rest, so the final
output is the same as that of an uninterrupted run: chunk ``k`` always holds records
``ids[k * chunk_size:(k + 1) * chunk_size]``, in order. :func:`~interp_ecg.features.extract`
gives every chunk file of a finished run the same columns (per-lead columns of leads outside
the standard twelve included, NaN where a record lacks the lead), so the folder also reads as
one table with ``pandas.read_parquet(folder)`` or any Parquet reader; the chunks of an
unfinished run may still differ, which :func:`read_features` handles.

Examples
--------
>>> import tempfile, pandas as pd
>>> from interp_ecg.features.stream import ChunkStore, read_features
>>> out = tempfile.mkdtemp()
>>> store = ChunkStore(out, ids=["a", "b", "c"], chunk_size=2)
>>> store.pending()
[0, 1]
>>> store.write(0, pd.DataFrame({"x": [1.0, 2.0]}, index=pd.Index(["a", "b"], name="record_id")))
>>> store.write(1, pd.DataFrame({"x": [3.0]}, index=pd.Index(["c"], name="record_id")))
>>> read_features(out)["x"].tolist()
[1.0, 2.0, 3.0]
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from interp_ecg.errors import ConfigError, DataNotFoundError, IntegrityError

logger = logging.getLogger(__name__)

MANIFEST = "_manifest.json"
FORMAT = "interp_ecg.features.chunks/1"
#: Lock file of a run writing a chunk folder (hidden, so Parquet readers skip it).
LOCK = ".lock"


def _lock_folder(folder: Path):
    """Hold an exclusive lock on ``folder / LOCK`` for this process; the open file, or None.

    The lock is :func:`fcntl.flock` on the file, which the system releases when the process
    ends however it ends (``SIGKILL`` included), so a killed run never leaves a stale lock.
    Another process holding it raises :class:`~interp_ecg.errors.ConfigError` naming its pid:
    two runs on one folder would both measure every pending record (the output stays right,
    the work is doubled). The same process may open a folder again (a store of an earlier call
    still referenced). Without ``fcntl`` (Windows) nothing is locked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    fh = open(folder / LOCK, "a+")  # noqa: SIM115 - held open for the run
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.seek(0)
        holder = fh.read().strip()
        fh.close()
        if holder == str(os.getpid()):
            return None
        raise ConfigError(f"another run (pid {holder or 'unknown'}) is writing this output folder; wait for it "
                          "to finish (this run would then resume from its chunks) or use another folder",
                          source=folder) from None
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    return fh


def _ids_digest(ids: Sequence[Any]) -> str:
    h = hashlib.sha256()
    for rid in ids:
        h.update(repr(rid).encode())
        h.update(b"\n")
    return h.hexdigest()


def _short(value: Any, width: int = 70) -> str:
    text = "absent" if value is _ABSENT else repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


_ABSENT = object()

#: what each manifest entry means, for the messages of a refused resume
_LABELS = {
    "ids_sha256": "record ids",
    "extra.dataset.meta_sha256": "dataset.meta_sha256: the metadata rows that locate the records",
    "n_records": "number of records",
    "chunk_size": "chunk size",
    "n_chunks": "number of chunks",
    "format": "manifest format",
}


def manifest_differences(old: dict, new: dict) -> list[str]:
    """The entries in which two chunk manifests differ, one readable line each.

    Nested entries are named by their path (``dataset.fs``, the ``extra.`` of the settings left out); an entry that only one
    manifest has is ``absent`` in the other (a folder written by an older version, which
    did not record it, is refused too: nothing says which data or code made its chunks).

    Examples
    --------
    >>> from interp_ecg.features.stream import manifest_differences
    >>> manifest_differences({"extra": {"dataset": {"fs": 100.0}}}, {"extra": {"dataset": {"fs": 500.0}}})
    ['dataset.fs: 100.0 in the folder, 500.0 now']
    """
    out: list[str] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in list(dict.fromkeys([*a, *b])):
                walk(a.get(key, _ABSENT), b.get(key, _ABSENT), f"{path}.{key}" if path else str(key))
        elif a != b:
            label = _LABELS.get(path, path.removeprefix("extra."))
            if path.endswith("sha256") and isinstance(a, str) and isinstance(b, str):
                out.append(f"{label} differ (digest {a[:12]} in the folder, {b[:12]} now)")
            else:
                out.append(f"{label}: {_short(a)} in the folder, {_short(b)} now")

    walk(old, new, "")
    return out


def chunk_name(k: int) -> str:
    """File name of chunk ``k``."""
    return f"chunk-{k:06d}.parquet"


class ChunkStore:
    """A folder of Parquet chunks with a manifest; the writer side of a resumable run.

    Parameters
    ----------
    out : str or path-like
        Output folder (created when missing).
    ids : sequence
        All record ids of the run, in order.
    chunk_size : int
        Records per chunk.
    overwrite : bool, default False
        Start afresh, deleting chunks (and run notes) of a previous run. Without it a folder holding a
        different run (other ids, chunk size or ``extra``) raises
        :class:`~interp_ecg.errors.ConfigError` naming each entry that differs
        (:func:`manifest_differences`).
    extra : dict, optional
        Further settings that must match for a resume (``method``, the dataset's identity
        and the code's fingerprint, say).

    Raises
    ------
    ConfigError
        Another process is writing the folder (it holds the folder's ``.lock``), or the folder
        holds another run.
    """

    def __init__(
        self,
        out: str | os.PathLike,
        ids: Sequence[Any],
        chunk_size: int,
        overwrite: bool = False,
        extra: dict | None = None,
    ) -> None:
        if chunk_size < 1:
            raise ConfigError(f"chunk_size must be >= 1, got {chunk_size}")
        self.out = Path(out)
        self.ids = list(ids)
        self.chunk_size = int(chunk_size)
        self.n_chunks = (len(self.ids) + self.chunk_size - 1) // self.chunk_size
        self.manifest = {
            "format": FORMAT,
            "n_records": len(self.ids),
            "chunk_size": self.chunk_size,
            "n_chunks": self.n_chunks,
            "ids_sha256": _ids_digest(self.ids),
            **({"extra": extra} if extra else {}),
        }
        self.out.mkdir(parents=True, exist_ok=True)
        self._lock = _lock_folder(self.out)  # held while this store lives (released at exit)
        path = self.out / MANIFEST
        if path.exists() and not overwrite:
            old = json.loads(path.read_text())
            # through JSON, so that tuples and lists (say) compare as they are stored
            differ = manifest_differences(old, json.loads(json.dumps(self.manifest, default=str)))
            if differ:
                raise ConfigError(
                    "output folder holds another run, which this one must not resume: "
                    + "; ".join(differ[:6]) + (f"; and {len(differ) - 6} more" if len(differ) > 6 else "")
                    + ". Use a new folder or overwrite=True",
                    source=self.out,
                )
        else:
            if overwrite:
                for f in [*self.out.glob("chunk-*.parquet"), *self.out.glob(_marker_glob()),
                          *self.out.glob("_run-*.json")]:
                    f.unlink()
            self._atomic_write_text(path, json.dumps(self.manifest, indent=1))
        # temporary files left by a killed run; not those of a process still writing here
        # (a second run started on the same folder must not delete the first one's live file)
        for tmp in [*self.out.glob(".chunk-*.tmp-*"), *self.out.glob(".*_manifest.json.tmp-*"),
                    *self.out.glob(".inflight-*.tmp-*")]:
            pid = _tmp_pid(tmp.name)
            if pid is not None and pid != os.getpid() and _pid_alive(pid):
                continue
            tmp.unlink(missing_ok=True)
        self._write_run_info(extra)

    def close(self) -> None:
        """Release the folder's lock (also released when the store is collected or the process ends)."""
        if getattr(self, "_lock", None) is not None:
            self._lock.close()
            self._lock = None

    def _write_run_info(self, extra: dict | None) -> None:
        """``_run.json``: settings, package versions and start time (not checked on resume)."""
        import datetime
        import platform
        from importlib import metadata

        versions = {}
        for pkg in ("interp-ecg", "numpy", "pandas", "scipy", "pyarrow", "neurokit2", "wfdb"):
            try:
                versions[pkg] = metadata.version(pkg)
            except metadata.PackageNotFoundError:
                versions[pkg] = None
        info = {
            "started_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "versions": versions,
            "settings": {"chunk_size": self.chunk_size, "n_records": len(self.ids), **(extra or {})},
        }
        self._atomic_write_text(self.out / f"_run-{os.getpid()}.json", json.dumps(info, indent=1, default=str))

    def chunk_ids(self, k: int) -> list[Any]:
        """Record ids of chunk ``k``."""
        return self.ids[k * self.chunk_size : (k + 1) * self.chunk_size]

    def path(self, k: int) -> Path:
        return self.out / chunk_name(k)

    def done(self, k: int) -> bool:
        """Whether chunk ``k`` has been written completely.

        A chunk file counts as done only when its Parquet footer reads and it holds exactly
        the planned number of rows. A file that fails (a disk that filled, an interrupted
        copy, an empty file) is moved aside as ``.chunk-NNNNNN.parquet.invalid`` with a
        logged warning, so that the chunk is measured again.
        """
        path = self.path(k)
        if not path.exists():
            return False
        problem = chunk_problem(path, len(self.chunk_ids(k)))
        if problem is None:
            return True
        aside = path.with_name(f".{path.name}.invalid")
        logger.warning("chunk %s is not a complete chunk (%s); moved aside to %s and redone",
                       path, problem, aside.name)
        os.replace(path, aside)
        return False

    def pending(self) -> list[int]:
        """Chunks still to do, in order."""
        return [k for k in range(self.n_chunks) if not self.done(k)]

    def n_done_records(self) -> int:
        return sum(len(self.chunk_ids(k)) for k in range(self.n_chunks) if self.done(k))

    def write(self, k: int, frame: pd.DataFrame) -> None:
        """Write chunk ``k`` atomically (temporary file, fsync, rename)."""
        expected = self.chunk_ids(k)
        if len(frame) != len(expected) or [str(i) for i in frame.index] != [str(i) for i in expected]:
            raise IntegrityError(f"chunk {k} holds other records than planned", source=self.out)
        tmp = self.out / f".{chunk_name(k)}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        frame.to_parquet(tmp, engine="pyarrow", index=True)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.path(k))

    def _atomic_write_text(self, path: Path, text: str) -> None:
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        tmp.write_text(text)
        os.replace(tmp, path)


# --------------------------------------------------------------------------- in-flight markers
def _marker_glob(k: int | None = None, pid: int | None = None) -> str:
    return f".inflight-{'*' if k is None else f'{k:06d}'}-{'*' if pid is None else pid}.json"


def write_marker(folder: str | os.PathLike, k: int, record_id: Any) -> None:
    """Note (atomically) that this process is measuring ``record_id`` of chunk ``k``.

    The small hidden file ``.inflight-NNNNNN-PID.json`` is replaced before each record and
    removed when the chunk is done (:func:`clear_marker`); one left behind by a process that
    died names the record it died on (:func:`read_markers`)."""
    folder = Path(folder)
    path = folder / _marker_glob(k, os.getpid())
    tmp = folder / f"{path.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.write_text(json.dumps({"chunk": int(k), "record": str(record_id), "pid": os.getpid()}))
    os.replace(tmp, path)


def clear_marker(folder: str | os.PathLike, k: int) -> None:
    """Remove this process's marker of chunk ``k``."""
    (Path(folder) / _marker_glob(k, os.getpid())).unlink(missing_ok=True)


def _tmp_pid(name: str) -> int | None:
    """The process id in a temporary file's name (``...tmp-PID-xxxxxxxx``, or the
    ``.inflight-NNNNNN-PID.json.tmp-xxxxxxxx`` of a marker), ``None`` when it has none."""
    import re

    found = re.search(r"\.tmp-(\d+)-[0-9a-f]+$", name) or re.search(r"^\.inflight-\d+-(\d+)\.json\.tmp-", name)
    return int(found.group(1)) if found else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def read_markers(folder: str | os.PathLike, dead_only: bool = False) -> list[dict[str, Any]]:
    """The in-flight markers in ``folder``: ``chunk``, ``record`` (as text), ``pid``, ``path``.

    Parameters
    ----------
    folder : str or path-like
    dead_only : bool, default False
        Only markers of processes that no longer run (a worker or a run that died while
        measuring that record).
    """
    out = []
    for path in sorted(Path(folder).glob(_marker_glob())):
        try:
            info = json.loads(path.read_text())
            info = {"chunk": int(info["chunk"]), "record": str(info["record"]), "pid": int(info["pid"])}
        except (OSError, ValueError, KeyError, TypeError):
            continue  # removed meanwhile, or not ours
        if dead_only and _pid_alive(info["pid"]):
            continue
        out.append({**info, "path": path})
    return out


def chunk_problem(path: str | os.PathLike, n_rows: int | None = None) -> str | None:
    """What is wrong with a chunk file, or ``None`` when it is a complete Parquet file.

    Reads only the Parquet footer (the file's metadata), so it is cheap for large chunks.

    Parameters
    ----------
    path : str or path-like
        The chunk file.
    n_rows : int, optional
        Rows the chunk must hold.

    Returns
    -------
    str or None
        A short reason (``"empty file"``, ``"no valid Parquet footer: ..."``, ``"3 rows,
        expected 5"``) or ``None``.

    Examples
    --------
    >>> from interp_ecg.features.stream import chunk_problem
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "chunk-000000.parquet"
    >>> _ = p.write_bytes(b"")
    >>> chunk_problem(p)
    'empty file'
    """
    import pyarrow.parquet as pq

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as err:
        return f"unreadable: {err}"
    if size == 0:
        return "empty file"
    try:
        rows = pq.ParquetFile(path).metadata.num_rows
    except Exception as err:  # noqa: BLE001 - pyarrow raises ArrowInvalid, OSError...
        return f"no valid Parquet footer: {type(err).__name__}: {err}"
    if n_rows is not None and rows != n_rows:
        return f"{rows} rows, expected {n_rows}"
    return None


def read_features(out: str | os.PathLike, allow_partial: bool = False) -> pd.DataFrame:
    """Load the record table written by ``extract(..., out=out)``.

    Parameters
    ----------
    out : str or path-like
        The output folder.
    allow_partial : bool, default False
        Return the finished chunks of an unfinished run instead of raising.

    Raises
    ------
    DataNotFoundError
        No manifest in ``out``.
    IntegrityError
        Chunks are missing (the run did not finish) or records are duplicated.
    """
    out = Path(out)
    path = out / MANIFEST
    if not path.exists():
        raise DataNotFoundError("no feature output here (missing _manifest.json)", source=out)
    manifest = json.loads(path.read_text())
    n_chunks = int(manifest["n_chunks"])
    size = int(manifest["chunk_size"])
    n_records = int(manifest["n_records"])
    present = []
    for k in range(n_chunks):
        path = out / chunk_name(k)
        if not path.exists():
            continue
        problem = chunk_problem(path, min(size, n_records - k * size))
        if problem is not None:
            raise IntegrityError(f"{chunk_name(k)} is not a complete chunk ({problem}); "
                                 "run extract again with the same out= to redo it", source=out)
        present.append(k)
    missing = sorted(set(range(n_chunks)) - set(present))
    if missing and not allow_partial:
        raise IntegrityError(
            f"{len(missing)} of {n_chunks} chunks missing (first: {chunk_name(missing[0])}); "
            "run extract again with the same out= to resume",
            source=out,
        )
    frames = [pd.read_parquet(out / chunk_name(k), engine="pyarrow") for k in present]
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames)
    if table.index.has_duplicates:
        raise IntegrityError("duplicate record ids across chunks", source=out)
    if not missing and len(table) != int(manifest["n_records"]):
        raise IntegrityError(
            f"{len(table)} records in the chunks, manifest says {manifest['n_records']}", source=out
        )
    return table
