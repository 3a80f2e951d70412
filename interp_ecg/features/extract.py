"""Feature extraction: one record, a beat-level table, and whole datasets at scale.

:func:`extract_record` measures one ECG and raises a clear :mod:`interp_ecg.errors` error
when it cannot. :func:`extract` measures a whole :class:`~interp_ecg.io.EcgDataset`, one row
per record, on all local cores (``n_jobs``, joblib) or on a Dask cluster (``scheduler=``),
optionally streaming chunks to Parquet (``out=``) so that memory stays flat and a killed
run resumes where it stopped. In batch mode a record that cannot be measured never stops the
run: its features are ``NaN``, ``quality_ok`` is ``False`` and ``quality_reason`` says why.

The pipeline for one record: validate (sampling rate, lead names, invalid samples, length:
:func:`extract_record` here) -> :func:`~interp_ecg.features.record_measure.measure_record`, whose
named stages are in :mod:`~interp_ecg.features.record_measure`: invalid-sample policy -> units
checked (a record whose median lead spans over 20 mV is not in mV and is refused) -> mains
interference found and notched out (:func:`~interp_ecg.features.quality.remove_mains`) ->
pacemaker spikes found and removed (:mod:`~interp_ecg.features.pacing`) -> per-lead quality,
dropout gaps and noisy stretches -> delineation (flat, clipped and noisy leads set aside: not
delineated, their per-lead measurements and every index that needs them NaN, named in
``quality_reason``; ``quality_ok`` stays True unless no lead is left, see
:mod:`~interp_ecg.features.quality`) -> beat classification
(:mod:`~interp_ecg.features.beat_classes`: dominant morphology, PVCs, outliers) -> per-lead
median beats of the dominant beats -> intervals (consensus fiducials), amplitudes, axes,
voltage, fragmentation, rhythm and HRV -> record-level flags and reasons. This module is the
batch and orchestration layer around it.

Examples
--------
>>> from interp_ecg.features import column_names
>>> "QTc_Fridericia_ms" in column_names("feature")
True
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
import os
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.errors import (
    ConfigError,
    DelineationError,
    InterpEcgError,
    LeadError,
    SamplingRateError,
    SignalQualityError,
)
from interp_ecg.features import measurements as M
from interp_ecg.features.dictionary import column_names, column_types
from interp_ecg.features.median_beat import FIDUCIALS
from interp_ecg.features.quality import FLAT_SEGMENT_RECORD_FRACTION, invalid_sample_policy
# the per-record stages live in record_measure; QT_DISPERSION_MIN_LEADS and Method stay importable from here
from interp_ecg.features.record_measure import (  # noqa: F401 - re-exported names
    QT_DISPERSION_MIN_LEADS,
    Method,
    empty_row,
    measure_record,
)
from interp_ecg.features.stream import ChunkStore, read_features
from interp_ecg.io.dataset import EcgDataset, Record
from interp_ecg.io.leads import STANDARD_LEADS, standardise_leads
from interp_ecg.io.wfdb_reader import MIN_ECG_FS, low_rate_message, non_ecg_channels_note

logger = logging.getLogger(__name__)

MIN_BEATS = 3
MIN_DURATION_S = 2.0
#: Longest record measured in one call, in lead-minutes (leads x minutes): extract_record needs
#: about 3.7-5.9 MiB of memory per lead-minute, linear in length (benchmarks/extract_memory.py:
#: PTB-XL 9 tiled, 12 leads x 50 min, +2.2 GiB; MIT-BIH 100, 2 x 30 min, +0.35 GiB), so 600
#: lead-minutes (12 leads x 50 min, 2 leads x 5 h) stay near 2-3.5 GiB; a 24-h 3-lead Holter
#: (4,320) would need ~16-25 GiB. Longer records are refused naming their size (measure them
#: in windows); raise this where the memory is there.
MAX_LEAD_MINUTES = 600.0
DEFAULT_CHUNK_SIZE = 256


# --------------------------------------------------------------------------- helpers
def _as_record(record_or_signal: Any, fs: float | None, leads: Sequence[str] | None) -> Record:
    if isinstance(record_or_signal, Record):
        rec = record_or_signal
        if fs is not None and float(fs) != float(rec.fs):
            raise SamplingRateError(f"fs={fs} given but the record says {rec.fs}", source=rec.source or rec.id)
        return rec
    signal = np.asarray(record_or_signal)
    if signal.ndim != 2:
        raise SignalQualityError(f"signal must be 2-D (n_leads, n_samples), got shape {signal.shape}")
    if fs is None:
        raise SamplingRateError("the sampling rate fs is required with a bare signal array")
    try:
        fs = float(fs)
    except (TypeError, ValueError):
        raise SamplingRateError(f"invalid sampling rate {fs!r}") from None
    if leads is None:
        if signal.shape[0] != len(STANDARD_LEADS):
            raise LeadError(
                f"{signal.shape[0]} channels but no lead names; pass leads= (expected 12 standard leads)"
            )
        leads = list(STANDARD_LEADS)
    return Record("signal", signal.astype(np.float32, copy=False), fs, list(leads), source="")


def _validate(rec: Record) -> tuple[np.ndarray, float, list[str], str]:
    src = rec.source or rec.id
    if rec.fs is None or not np.isfinite(rec.fs) or rec.fs <= 0:
        raise SamplingRateError(f"invalid sampling rate {rec.fs!r}", source=src)
    if rec.fs < MIN_ECG_FS:  # the delineator's floor, one message (io.wfdb_reader.low_rate_message)
        raise SamplingRateError(low_rate_message(rec.fs), source=src)
    shape = np.shape(rec.signal)
    lead_minutes = shape[0] * shape[-1] / rec.fs / 60 if len(shape) == 2 else 0.0
    if lead_minutes > MAX_LEAD_MINUTES:
        raise SignalQualityError(
            f"record too long to measure in memory: {shape[0]} leads x {shape[-1] / rec.fs / 60:.1f} min = "
            f"{lead_minutes:,.0f} lead-minutes, over extract's limit of {MAX_LEAD_MINUTES:g} (about "
            f"{3.7 * lead_minutes / 1024:.0f}-{5.9 * lead_minutes / 1024:.0f} GiB needed; "
            "interp_ecg.features.extract.MAX_LEAD_MINUTES): measure it in windows", source=src)
    # standard names; a Cabrera -aVR channel is negated into aVR (io.leads.standardise_leads)
    signal, leads = standardise_leads(np.asarray(rec.signal), rec.leads, source=src)
    if signal.ndim != 2 or signal.shape[0] != len(leads):
        raise LeadError(f"signal shape {signal.shape} does not match {len(leads)} leads {leads}", source=src)
    if not np.isfinite(signal).all():
        # one policy for invalid samples (interp_ecg.features.quality.invalid_sample_policy):
        # short gaps bridged and flagged, leads with long gaps set aside (their samples stay
        # NaN here and measure_record leaves them out), the record refused only without a usable lead
        _, _, gap_status = invalid_sample_policy(signal, rec.fs, leads)
        if all(s.startswith("set aside") for s in gap_status):
            raise SignalQualityError(
                "no usable lead: invalid (NaN/inf) samples in every lead: "
                + "; ".join(f"{ld} {s}" for ld, s in zip(leads, gap_status))
                + f" (a run invalid in every lead at once is bridged as an all-lead dropout gap only while "
                f"such runs inside the record cover under {FLAT_SEGMENT_RECORD_FRACTION:.0%} of it, as for "
                f"a gap of zeros)", source=src)
    duration = signal.shape[1] / rec.fs
    if duration < MIN_DURATION_S:
        raise SignalQualityError(
            f"record is {duration:.2f} s long; at least {MIN_DURATION_S} s needed", source=src
        )
    return signal.astype(np.float32, copy=False), float(rec.fs), leads, src


def _per_lead_column(name: str) -> bool:
    """Whether ``name`` is a per-lead measurement of a lead outside the standard twelve
    (``R_amp_mV_ECG1``): such columns are not in the dictionary, whose per-lead columns
    list the standard leads only."""
    return any(name.startswith(f"{m}_") and name[len(m) + 1:] not in STANDARD_LEADS
               and name[len(m) + 1:] != "" for m in M.PER_LEAD_MEASURES)


def _named_lead_columns(names) -> list[str]:
    """The per-lead columns of non-standard leads among ``names``, in their first order."""
    known = set(column_names())
    return list(dict.fromkeys(c for c in names if c not in known and _per_lead_column(c)))


def planned_lead_columns(dataset: EcgDataset) -> list[str]:
    """The per-lead columns of the leads outside the standard twelve that ``dataset``'s
    records are known to have, before any is read: from the dataset's nominal leads, the
    lead sets of its metadata (``meta["leads"]``, as :func:`~interp_ecg.io.read_wfdb` writes
    them) and an in-memory loader's leads, unless a lead selection fixes the leads.

    :func:`extract` gives every chunk of a run these columns (NaN where a record lacks the
    lead), so that all chunk files of a run share one schema.

    Examples
    --------
    >>> from interp_ecg.features.extract import planned_lead_columns
    >>> import numpy as np, pandas as pd
    >>> from interp_ecg.io import ArrayLoader, EcgDataset
    >>> meta = pd.DataFrame(index=pd.Index(["a"], name="record_id"))
    >>> ds = EcgDataset(meta, ArrayLoader(np.zeros((1, 2, 1000)), fs=500, leads=["ECG1", "II"]),
    ...                 fs=500, leads=["ECG1", "II"])
    >>> planned_lead_columns(ds)[:2]
    ['P_amp_mV_ECG1', 'Q_amp_mV_ECG1']
    """
    from interp_ecg.io.leads import inverted_lead, normalise_lead_name

    names: list[str] = [str(x) for x in dataset.leads]
    if not any(hasattr(t, "leads") for t in dataset.transforms):  # no lead selection on load
        names += [str(x) for x in getattr(dataset.loader, "leads", None) or []]
        if "leads" in dataset.meta.columns:
            for text in dataset.meta["leads"].dropna().unique():
                names += str(text).split()
    leads = dict.fromkeys(inverted_lead(n) or normalise_lead_name(n) for n in names)
    return [f"{m}_{lead}" for lead in leads if lead and lead not in STANDARD_LEADS
            for m in M.PER_LEAD_MEASURES]


def rows_to_frame(rows: Sequence[dict[str, Any]], index: pd.Index,
                  lead_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Build a record table from row dictionaries: the dictionary's columns, order and
    dtypes, then the per-lead columns of leads outside the standard twelve (float, named
    ``{measure}_{lead}`` after the record's own lead names, e.g. ``R_amp_mV_ECG1``):
    ``lead_columns`` first (present even where no row has them, NaN), then any other such
    column of the rows, in their first order."""
    floats, strings, bools = column_types()
    named = list(dict.fromkeys([*lead_columns, *_named_lead_columns(c for row in rows for c in row)]))
    floats = (*floats, *named)
    mat = np.array([[row.get(c, np.nan) for c in floats] for row in rows], dtype=np.float64)
    mat = mat.reshape(len(rows), len(floats))
    parts = [pd.DataFrame(mat, columns=list(floats), index=index)]
    extra = {c: pd.array([str(row.get(c, "") or "") for row in rows], dtype="str") for c in strings}
    extra.update({c: np.array([bool(row.get(c, False)) for row in rows], dtype=bool) for c in bools})
    parts.append(pd.DataFrame(extra, index=index))
    return pd.concat(parts, axis=1)[column_names() + named]


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a record table the dictionary's columns, order and dtypes (per-lead columns of
    leads outside the standard twelve are kept, after them, as float)."""
    floats, strings, bools = column_types()
    named = _named_lead_columns(frame.columns)
    floats = (*floats, *named)
    out = frame.reindex(columns=column_names() + named)
    for name in strings:
        out[name] = out[name].fillna("").astype("str")
    for name in bools:
        out[name] = out[name].fillna(False).astype(bool)
    for name in floats:
        if out[name].dtype != np.float64:
            out[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
    return out


def extract_record(
    record_or_signal: Record | np.ndarray,
    fs: float | None = None,
    leads: Sequence[str] | None = None,
    method: Method = None,
    min_beats: int = MIN_BEATS,
    return_provenance: bool = False,
) -> pd.Series | tuple[pd.Series, pd.DataFrame]:
    """Measure one ECG record.

    Parameters
    ----------
    record_or_signal : Record or numpy.ndarray
        A loaded :class:`~interp_ecg.io.Record`, or a ``(n_leads, n_samples)`` array in mV.
    fs : float, optional
        Sampling rate (Hz); required with an array.
    leads : sequence of str, optional
        Lead names of the array rows (default: the standard twelve, in order).
    method : str or callable, optional
        Delineation method passed to :func:`interp_ecg.features.delineate` (its default
        when ``None``), or a callable ``f(signal, fs, leads) -> DataFrame`` returning the
        same table (used for ground-truth fiducials and custom delineators).
    min_beats : int, default 3
        Fewer consensus beats than this raise :class:`~interp_ecg.errors.DelineationError`.
    return_provenance : bool, default False
        Also return the provenance table: for every interval the beat, the consensus
        start and end samples, and the lead(s) they were taken from.

    Returns
    -------
    pandas.Series
        One value per column of :func:`~interp_ecg.features.feature_dictionary`.
    pandas.DataFrame, optional
        The provenance table (``return_provenance=True``).

    Raises
    ------
    SamplingRateError, LeadError, SignalQualityError, DelineationError
        Missing or invalid ``fs``; duplicate, unknown or mismatched leads; invalid
        (NaN/inf) samples leaving no usable lead (short runs are bridged, see
        :func:`~interp_ecg.features.quality.invalid_sample_policy`), too short a record; too
        few beats.
    """
    rec = _as_record(record_or_signal, fs, leads)
    signal, fs_, leads_, src = _validate(rec)
    row, prov, _ = measure_record(signal, fs_, leads_, src, method, min_beats, [non_ecg_channels_note(rec.meta)])
    series = rows_to_frame([row], pd.Index([rec.id], name="record_id")).iloc[0]
    return (series, prov) if return_provenance else series


def measured_fiducials(
    record_or_signal: Record | np.ndarray,
    fs: float | None = None,
    leads: Sequence[str] | None = None,
    method: Method = None,
    min_beats: int = MIN_BEATS,
) -> pd.DataFrame:
    """The delineation a record's features were measured from, as :func:`extract_record` made it.

    :func:`~interp_ecg.features.delineate` on the raw signal is not the same table: before
    delineating, the measurement bridges short runs of invalid samples, refuses records whose
    units are not mV, notches mains interference, removes pacemaker spikes and sets aside
    flat, clipped or noisy leads (which then have no rows here). Explanations that point at
    the samples a feature was measured between (grounded sentences, trace marks) take their
    positions from this table.

    Parameters
    ----------
    record_or_signal, fs, leads, method, min_beats
        As in :func:`extract_record`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`~interp_ecg.features.delineate` (``lead``, ``beat`` and the
        nine fiducials in samples at the record's rate, NaN where absent) and its ``reason``
        column (``return_reasons=True``: why waves are NaN; absent with a callable
        ``method`` that gives none); ``lead == "global"`` rows are the consensus the
        record-level intervals were measured on.

    Raises
    ------
    SamplingRateError, LeadError, SignalQualityError, DelineationError
        As :func:`extract_record`.

    Examples
    --------
    >>> from interp_ecg.features import measured_fiducials
    >>> from interp_ecg.simulate import simulate_record
    >>> signal, _, _ = simulate_record("normal", fs=500, random_state=0)
    >>> fid = measured_fiducials(signal, fs=500)
    >>> {"lead", "beat", "QRS_on", "QRS_off"} <= set(fid.columns)
    True
    """
    rec = _as_record(record_or_signal, fs, leads)
    signal, fs_, leads_, src = _validate(rec)
    _, _, extras = measure_record(signal, fs_, leads_, src, method, min_beats)
    return extras["fiducials"]


def _failure_row(err: BaseException, rid: Any) -> dict[str, Any]:
    row = empty_row()
    row["quality_ok"] = False
    row["quality_error"] = type(err).__name__
    msg = str(err)
    named = isinstance(err, InterpEcgError) and err.source
    row["quality_reason"] = msg if named else f"{rid}: {type(err).__name__}: {msg}"
    return row


def _extract_loaded(dataset: EcgDataset, rid: Any, method: Method, min_beats: int) -> dict[str, Any]:
    try:
        rec = dataset.load(rid)
        signal, fs, leads, src = _validate(rec)
        row, _, _ = measure_record(signal, fs, leads, src, method, min_beats, [non_ecg_channels_note(rec.meta)])
        return row
    except InterpEcgError as err:
        logger.warning("record %s not measured: %s", rid, err)
        return _failure_row(err, rid)
    except Exception as err:  # noqa: BLE001 - a batch never dies on one record
        logger.warning("record %s failed unexpectedly: %r", rid, err, exc_info=True)
        return _failure_row(err, rid)


# --------------------------------------------------------------------------- datasets
#: metadata columns that locate or describe a record's file (with the loader's own
#: ``path_column``): part of a run's dataset identity (see :func:`dataset_identity`)
IDENTITY_COLUMNS = ("path", "filename_hr", "filename_lr", "fs", "n_leads", "n_samples", "leads")


def _describe(obj: Any, depth: int = 0) -> Any:
    """A JSON-able description of a loader or transform: its public attributes (arrays by
    digest, a ``root`` folder by its resolved path), its type's name beyond two levels."""
    import hashlib

    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float, np.integer, np.floating)):
        return float(obj) if isinstance(obj, (float, np.floating)) else int(obj)
    if isinstance(obj, np.ndarray):
        arr = np.ascontiguousarray(obj)
        return {"shape": list(arr.shape), "dtype": str(arr.dtype),
                "sha256": hashlib.sha256(arr.view(np.uint8).reshape(-1)).hexdigest()}
    if isinstance(obj, (list, tuple)):
        return [_describe(x, depth + 1) for x in obj]
    if isinstance(obj, dict):
        return {str(k): _describe(v, depth + 1) for k, v in obj.items()}
    kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if depth >= 2 or not hasattr(obj, "__dict__"):
        return kind
    out: dict[str, Any] = {"type": kind}
    for key, value in vars(obj).items():
        if key.startswith("_"):
            continue
        if key == "root" and isinstance(value, (str, os.PathLike)):
            value = os.path.realpath(os.fspath(value))
        out[key] = _describe(value, depth + 1)
    return out


#: packages whose source files make up :func:`code_fingerprint` (the reader and the measurement)
FINGERPRINT_PACKAGES = ("features", "io")


@functools.lru_cache(maxsize=1)
def _sources_digest() -> tuple[str, int]:
    """SHA-256 over the ``.py`` files of :data:`FINGERPRINT_PACKAGES` (relative path and
    bytes, sorted), and how many files; computed once per process."""
    import hashlib
    from pathlib import Path

    import interp_ecg

    root = Path(interp_ecg.__file__).resolve().parent
    h = hashlib.sha256()
    files = sorted(f for pkg in FINGERPRINT_PACKAGES for f in (root / pkg).rglob("*.py"))
    for f in files:
        h.update(f.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest(), len(files)


def code_fingerprint() -> dict[str, Any]:
    """Which code measures: the package version, a digest of the source files of
    ``interp_ecg.features`` (delineation included) and ``interp_ecg.io``, of the
    delineator's parameters in force, and the versions of the numerical libraries the
    measurements run on (numpy, scipy, pandas, wfdb: a filter or a median may change
    between their releases).

    A resumed :func:`extract` run refuses a folder whose chunks another fingerprint made, and
    :func:`extract_cached` measures again over such a cache, so that one table never mixes the
    output of two code versions. The source digest is computed once per process (a few ms).

    Returns
    -------
    dict
        ``version``, ``sources_sha256``, ``n_source_files``, ``delineation_params_sha256``,
        ``libraries`` (``{name: version}``).

    Examples
    --------
    >>> from interp_ecg.features.extract import code_fingerprint
    >>> fp = code_fingerprint()
    >>> sorted(fp)
    ['delineation_params_sha256', 'libraries', 'n_source_files', 'sources_sha256', 'version']
    >>> sorted(fp["libraries"])
    ['numpy', 'pandas', 'scipy', 'wfdb']
    """
    import dataclasses
    import hashlib
    import json

    import interp_ecg
    from interp_ecg.features.delineation import core

    digest, n_files = _sources_digest()
    params = json.dumps(dataclasses.asdict(core.DEFAULT_PARAMS), sort_keys=True, default=str)
    from importlib.metadata import PackageNotFoundError, version

    libraries = {}
    for name in ("numpy", "pandas", "scipy", "wfdb"):
        try:
            libraries[name] = version(name)
        except PackageNotFoundError:
            libraries[name] = "absent"
    return {"version": interp_ecg.__version__, "sources_sha256": digest, "n_source_files": n_files,
            "delineation_params_sha256": hashlib.sha256(params.encode()).hexdigest(),
            "libraries": libraries}


def dataset_identity(dataset: EcgDataset, with_records: bool = True) -> dict[str, Any]:
    """What a run of :func:`extract` measured, beyond the record ids: used to refuse a resume
    (or a feature cache) made from other data.

    Parameters
    ----------
    dataset : EcgDataset
    with_records : bool, default True
        Include ``meta_sha256``, a digest of the record ids with their metadata columns that
        locate the files (the loader's ``path_column``, :data:`IDENTITY_COLUMNS`).

    Returns
    -------
    dict
        ``name``, ``fs`` (the nominal rate; ``None`` for mixed rates), ``record_fs`` (the
        per-record rates of the metadata, where it has them), ``leads``, ``loader`` and
        ``transforms`` (type and public settings: a WFDB loader's resolved ``root``,
        ``path_column`` and ``expected_fs``; an in-memory array by its SHA-256), and
        ``meta_sha256``.

    Examples
    --------
    >>> from interp_ecg.features.extract import dataset_identity
    >>> import numpy as np, pandas as pd
    >>> from interp_ecg.io import ArrayLoader, EcgDataset
    >>> meta = pd.DataFrame(index=pd.Index(["a"], name="record_id"))
    >>> ds = EcgDataset(meta, ArrayLoader(np.zeros((1, 12, 1000)), fs=500), fs=500)
    >>> dataset_identity(ds)["fs"], dataset_identity(ds.resample(250))["fs"]
    (500.0, 250.0)
    """
    import hashlib

    meta = dataset.meta
    out: dict[str, Any] = {
        "name": str(dataset.name or ""),
        "fs": None if dataset.fs is None else float(dataset.fs),
        "leads": [str(x) for x in dataset.leads],
        "loader": _describe(dataset.loader),
        "transforms": [_describe(t) for t in dataset.transforms],
    }
    if "fs" in meta.columns:
        out["record_fs"] = sorted(float(x) for x in pd.to_numeric(meta["fs"], errors="coerce").dropna().unique())
    if with_records:
        path_col = getattr(dataset.loader, "path_column", None)
        cols = [c for c in dict.fromkeys([path_col, *IDENTITY_COLUMNS]) if c is not None and c in meta.columns]
        h = hashlib.sha256()
        h.update(repr(cols).encode())
        rows = meta[cols].astype("string").fillna("<NA>") if cols else pd.DataFrame(index=meta.index)
        for rid, values in zip(meta.index, rows.itertuples(index=False, name=None)):
            h.update(repr((rid, *values)).encode())
            h.update(b"\n")
        out["meta_sha256"] = h.hexdigest()
    return out


def _bare(dataset: EcgDataset) -> EcgDataset:
    """A copy of ``dataset`` without records, labels or annotations (cheap to ship)."""
    bare = object.__new__(EcgDataset)
    bare.__dict__.update(dataset.__dict__)
    bare.meta = dataset.meta.iloc[:0]
    bare.labels = None
    bare.annotations = None
    bare.extras = {}
    return bare


def _process_chunk(
    bare: EcgDataset, meta: pd.DataFrame, k: int, method: Method, min_beats: int,
    lead_columns: Sequence[str] = (), marker_dir: str | None = None, known: dict | None = None,
) -> tuple[int, pd.DataFrame]:
    """Measure the records of ``meta`` (chunk ``k``, or the retried part of it).

    ``known`` rows (records measured alone after a worker death) are taken as they are. With
    ``marker_dir`` the worker notes in a small file which record it is measuring, so that a
    death of the process (segfault, OOM kill) can be traced to the record
    (:func:`interp_ecg.features.stream.read_markers`)."""
    from interp_ecg.features.stream import clear_marker, write_marker

    ds = object.__new__(EcgDataset)
    ds.__dict__.update(bare.__dict__)
    ds.meta = meta
    rows = []
    for rid in meta.index:
        if known and rid in known:
            rows.append(known[rid])
            continue
        if marker_dir is not None:
            write_marker(marker_dir, k, rid)
        rows.append(_extract_loaded(ds, rid, method, min_beats))
    if marker_dir is not None:
        clear_marker(marker_dir, k)
    index = pd.Index(list(meta.index), name=meta.index.name or "record_id")
    return k, rows_to_frame(rows, index, lead_columns)


def _isolated_row(bare: EcgDataset, meta: pd.DataFrame, method: Method, min_beats: int) -> dict[str, Any]:
    """The row of the one record of ``meta``, measured in a worker of its own."""
    ds = object.__new__(EcgDataset)
    ds.__dict__.update(bare.__dict__)
    ds.meta = meta
    return _extract_loaded(ds, meta.index[0], method, min_beats)


#: seconds between a worker's checks that the process that started it is still alive
PARENT_CHECK_S = 1.0


def _exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this worker process once ``parent_pid`` (the run) is gone.

    loky keeps its workers (and, through them, its resource tracker) alive when the process
    that started them is killed (``SIGKILL``, an OOM kill), idle at ~200 MiB each until its
    idle timeout or longer (FINDINGS-user13 D1). A daemon thread compares the worker's parent
    pid with ``parent_pid`` every :data:`PARENT_CHECK_S` seconds and exits when the worker was
    re-parented (its parent died). A worker started by another process than ``parent_pid``
    is left alone. ``PR_SET_PDEATHSIG`` is not used: it fires when the parent *thread* that
    started the worker ends, and loky starts replacement workers from a helper thread.
    """
    import threading

    if os.getppid() != parent_pid:
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:  # the run died while this worker was starting
            os._exit(1)
        except OSError:
            pass
        return  # started by another process than the run: not ours to watch

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, name="interp-ecg-parent-watch", daemon=True).start()


class WorkerDiedError(RuntimeError):
    """The process measuring a record died (segfault, out-of-memory kill, ``os._exit``)."""


def _exit_text(err: BaseException) -> str:
    """``exit 137`` / ``signal SIGSEGV`` from loky's message ``The exit codes of the workers
    are {EXIT(137)}``; the message's own words where it has no such part."""
    import re

    found = re.search(r"exit codes of the workers are \{([^}]*)\}", str(err))
    if not found:
        return type(err).__name__
    parts = []
    for code in found.group(1).split(","):
        code = code.strip()
        m = re.fullmatch(r"EXIT\((-?\d+)\)", code)
        sig = re.fullmatch(r"(SIG[A-Z0-9]+)\((-?\d+)\)", code)
        parts.append(f"exit {m.group(1)}" if m else f"signal {sig.group(1)}" if sig else code)
    return ", ".join(parts)


def _measure_alone(bare: EcgDataset, meta: pd.DataFrame, rids: Sequence[Any], method: Method,
                   min_beats: int) -> dict[Any, dict[str, Any]]:
    """Measure each of ``rids`` alone in a fresh worker process (a new one after each death).

    A record whose worker dies gets a failure row (``quality_error`` ``WorkerDiedError``,
    "worker died (exit 137) while measuring <record>"); the others get their measured row,
    which the run then keeps (they are not measured again in the pool)."""
    from concurrent.futures.process import BrokenProcessPool

    from joblib.externals.loky.process_executor import ProcessPoolExecutor

    rows: dict[Any, dict[str, Any]] = {}
    ex = None
    try:
        for rid in rids:
            if ex is None:
                ex = ProcessPoolExecutor(max_workers=1, initializer=_exit_with_parent, initargs=(os.getpid(),))
            try:
                rows[rid] = ex.submit(_isolated_row, bare, meta.loc[[rid]], method, min_beats).result()
                logger.info("record %s measured alone in a separate process", rid)
            except BrokenProcessPool as err:
                death = WorkerDiedError(f"worker died ({_exit_text(err)}) while measuring {rid}")
                logger.warning("record %s not measured: %s", rid, death)
                row = _failure_row(death, rid)
                row["quality_reason"] = str(death)
                rows[rid] = row
                ex.shutdown(wait=True)
                ex = None
    finally:
        if ex is not None:
            ex.shutdown(wait=True)
    return rows


def _same(obj: Any) -> Any:
    """``obj`` itself (a task whose result the Dask workers share, computed again if lost)."""
    return obj


def _dask_isolate(client, shared, meta: pd.DataFrame, ids: Sequence[Any], method: Method,
                  min_beats: int) -> dict[Any, dict[str, Any]]:
    """The rows of ``ids`` (a chunk whose Dask task killed its workers), each measured as a task
    of its own.

    All the records are submitted at once; a record whose task ends in ``KilledWorker`` is
    submitted again alone (no other record of the chunk in flight, so a record that merely
    shared a dying worker with it is measured; other chunks of the run may still be running), and gets a failure row (``quality_error`` ``WorkerDiedError``,
    "worker died (Dask KilledWorker) while measuring <record>") when it kills its workers again.
    """
    from distributed import wait

    def attempt(rids):
        futs = {rid: client.submit(_isolated_row, shared, meta.loc[[rid]], method, min_beats, pure=False)
                for rid in rids}
        wait(list(futs.values()))
        rows, killed = {}, []
        for rid, fut in futs.items():
            try:
                rows[rid] = fut.result()
            except Exception as err:
                if type(err).__name__ != "KilledWorker":
                    raise
                killed.append(rid)
            fut.release()
        return rows, killed

    rows, suspects = attempt(list(ids))
    for rid in suspects:
        again, killed = attempt([rid])
        rows.update(again)
        if killed:
            death = WorkerDiedError(f"worker died (Dask KilledWorker) while measuring {rid}")
            logger.warning("record %s not measured: %s", rid, death)
            row = _failure_row(death, rid)
            row["quality_reason"] = str(death)
            rows[rid] = row
        else:
            logger.info("record %s measured alone on the Dask cluster", rid)
    return rows


def _union_columns(column_lists) -> list[str]:
    """The columns of several record tables, in their first order (dictionary columns, the
    planned per-lead columns, then others as they appear)."""
    return list(dict.fromkeys(c for cols in column_lists for c in cols))


def _harmonise_chunks(store: ChunkStore) -> int:
    """Give every chunk of a finished run the same columns (the union, in first order; NaN
    where a chunk lacked a per-lead column of a lead no record of it had), rewriting only the
    chunks that lack some. Reads the Parquet footers only, unless a chunk must be rewritten.
    Returns the number of chunks rewritten."""
    import pyarrow.parquet as pq

    columns = []
    for k in range(store.n_chunks):
        schema = pq.read_schema(store.path(k))
        index_cols = set((schema.pandas_metadata or {}).get("index_columns", []) or [])
        columns.append([c for c in schema.names if c not in index_cols])
    union = _union_columns(columns)
    redo = [k for k, cols in enumerate(columns) if cols != union]
    for k in redo:
        store.write(k, pd.read_parquet(store.path(k), engine="pyarrow").reindex(columns=union))
    if redo:
        logger.info("%d of %d chunks rewritten with the run's common columns (records had leads "
                    "the dataset's metadata did not list)", len(redo), store.n_chunks)
    return len(redo)


def _client(scheduler: Any):
    from distributed import Client

    if isinstance(scheduler, Client):
        return scheduler, False
    if isinstance(scheduler, str):
        return Client(scheduler), True
    raise ConfigError(f"scheduler must be a distributed.Client or an address, got {type(scheduler).__name__}")


#: Dask configuration for the workers of a cluster that runs :func:`extract`: distributed's
#: statistical profiler off. Each worker's profiler keeps the call trees of its last
#: ``distributed.admin.low-level-log-length`` (1,000) one-second cycles, twice (whole worker
#: and per task prefix); on this pipeline's deep, varied stacks that history grew each worker
#: by about 0.2 MiB per second of work until the deques are full (1,000 s, ~17 min, then flat;
#: with a 60-cycle history the growth stopped after ~60 s: docs/results_scale.md). With the
#: profiler off the workers were flat. Start the cluster inside ``dask.config.set(DASK_WORKER_CONFIG)``
#: (a ``LocalCluster`` passes it to its workers) or put it in the workers' Dask configuration.
DASK_WORKER_CONFIG: dict[str, Any] = {"distributed.worker.profile.enabled": False}


def _worker_profiler(dask_worker) -> tuple[bool, int]:
    """Whether a Dask worker runs distributed's statistical profiler, and its history length."""
    return "profile" in dask_worker.periodic_callbacks, int(dask_worker.profile_history.maxlen or 0)


def _note_worker_profiler(client) -> None:
    """Log (INFO) when the cluster's workers keep profiler history: their memory then grows
    with the seconds of work until that history is full (see :data:`DASK_WORKER_CONFIG`)."""
    try:
        states = client.run(_worker_profiler)
    except Exception as err:  # noqa: BLE001 - a diagnostic only; never stop the run for it
        logger.debug("could not ask the Dask workers about their profiler: %r", err)
        return
    on = {w: n for w, (enabled, n) in states.items() if enabled}
    if on:
        logger.info(
            "%d of %d Dask workers run distributed's profiler, keeping up to %d one-second profiles each: "
            "their memory grows with the seconds of work until that history is full (~0.2 MiB per second on "
            "this pipeline), then stays flat; start the workers under "
            "interp_ecg.features.extract.DASK_WORKER_CONFIG for flat memory",
            len(on), len(states), max(on.values()))


def _chunk_span(ids: Sequence[Any]) -> str:
    return f"{ids[0]!r}..{ids[-1]!r}" if len(ids) > 1 else repr(ids[0]) if ids else "(empty)"


def _run_chunks(bare, meta, jobs, method, min_beats, n_jobs, scheduler, lead_columns=(),
                marker_dir=None, known=None):
    """Yield ``(k, frame)`` for every job ``(k, ids)`` in ``jobs`` (any order), bounded in flight.

    A worker death in the joblib pool raises :class:`concurrent.futures.process.BrokenProcessPool`
    (loky's ``TerminatedWorkerError``); :func:`extract` handles it."""
    opts = dict(lead_columns=tuple(lead_columns), known=known or None)
    if scheduler is not None:
        from distributed import as_completed

        client, own = _client(scheduler)
        shared = None
        ac = None
        try:
            _note_worker_profiler(client)
            # the dataset as the result of a task, not scattered data: the scheduler computes it
            # again when every worker holding it died (a record that kills its workers), where a
            # scattered copy would be lost and every chunk cancelled ("lost dependencies").
            # pure=False: a unique key per run, so that an earlier run's release of an identical
            # dataset cannot take this run's copy with it
            shared = client.submit(_same, bare, pure=False)
            n_workers = max(1, len(client.scheduler_info().get("workers", {})))
            pending = iter(jobs)
            of_future = {}

            def submit(job):
                k, ids = job
                fut = client.submit(_process_chunk, shared, meta.loc[ids], k, method, min_beats, pure=False,
                                    **opts)
                of_future[fut.key] = job
                return fut

            # at most 2 chunks per worker in flight; each future is released as soon as its
            # frame is handed on, so neither the client nor the cluster keeps finished chunks
            ac = as_completed([submit(job) for job in itertools.islice(pending, 2 * n_workers)])
            for fut in ac:
                k, ids = of_future.pop(fut.key)
                try:
                    result = fut.result()
                except Exception as err:
                    if type(err).__name__ != "KilledWorker":
                        raise
                    # workers died running this chunk (a record that kills its process: a segfault,
                    # an OOM kill); measure its records one per task, find the one(s) that kill
                    logger.warning("Dask workers died measuring chunk %d (records %s): measuring its "
                                   "records one per task to find the record that kills them", k,
                                   _chunk_span(ids))
                    known_here = _dask_isolate(client, shared, meta, ids, method, min_beats)
                    result = _process_chunk(bare, meta.loc[ids], k, method, min_beats,
                                            lead_columns=opts["lead_columns"],
                                            known={**(opts["known"] or {}), **known_here})
                fut.release()
                del fut
                nxt = next(pending, None)
                if nxt is not None:
                    ac.add(submit(nxt))
                yield result
                del result
        finally:
            if ac is not None:  # stopped early (an error, a closed generator): drop what is left
                left = list(ac.futures)
                ac.clear()
                if left:
                    client.cancel(left)
            if shared is not None:
                shared.release()
            if own:
                client.close()
        return
    opts["marker_dir"] = None if marker_dir is None else str(marker_dir)
    cores = os.cpu_count() or 1
    if n_jobs is None or n_jobs == -1:
        n = cores
    elif n_jobs < -1:
        n = max(1, cores + 1 + int(n_jobs))
    else:
        n = int(n_jobs)
    if n <= 1 or len(jobs) <= 1:
        for k, ids in jobs:
            logger.debug("measuring chunk %d: records %s", k, _chunk_span(ids))
            yield _process_chunk(bare, meta.loc[ids], k, method, min_beats, **opts)
        return
    from joblib import Parallel, delayed

    par = Parallel(n_jobs=n, return_as="generator_unordered", pre_dispatch="2*n_jobs",
                   initializer=_exit_with_parent, initargs=(os.getpid(),))
    yield from par(delayed(_process_chunk)(bare, meta.loc[ids], k, method, min_beats, **opts)
                   for k, ids in jobs)


#: seconds between INFO progress lines of :func:`extract` (besides its tqdm bar)
PROGRESS_EVERY_S = 15.0


def extract(
    dataset: EcgDataset,
    n_jobs: int | None = 1,
    out: str | os.PathLike | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    scheduler: Any = None,
    progress: bool = True,
    method: Method = None,
    min_beats: int = MIN_BEATS,
    overwrite: bool = False,
    load: bool = True,
    retry_failed: bool | str | Sequence[str] = False,
) -> pd.DataFrame | None:
    """Measure every record of a dataset: one row per record, features plus quality columns.

    Parameters
    ----------
    dataset : EcgDataset
        The records (read lazily, one at a time, by the workers).
    n_jobs : int, default 1
        Local worker processes (joblib); ``-1`` uses all cores. Ignored with ``scheduler``.
    out : str or path-like, optional
        Folder to stream the result to, one Parquet file per chunk, written atomically.
        Running again with the same ``out`` resumes: finished chunks are skipped. A resume
        needs the same run: the same record ids and chunk size, ``method``, ``min_beats``
        and dataset (:func:`dataset_identity`: name, sampling rate(s), leads, loader and
        its root folder, transforms, the metadata rows that locate the files); anything
        else raises :class:`~interp_ecg.errors.ConfigError` naming what differs.
    chunk_size : int, default 256
        Records per chunk (the unit of work, of writing and of resuming).
    scheduler : distributed.Client or str, optional
        Run the chunks on a Dask cluster (a client, or a scheduler address). At most two
        chunks per worker are in flight and each result is released once written, so the
        client and the cluster keep no finished chunk. The workers' memory is flat when they
        run without distributed's statistical profiler: start them under
        :data:`DASK_WORKER_CONFIG`, e.g.
        ``with dask.config.set(DASK_WORKER_CONFIG): cluster = LocalCluster(...)``. With the
        profiler on (distributed's default) each worker keeps the last 1,000 one-second
        profiles, and grows by about 0.2 MiB per second of work until that history is full
        (~17 min), then stays flat; ``extract`` logs a note (INFO) when it finds such workers.
    progress : bool, default True
        Show a tqdm progress bar (records done / total).
    method : str or callable, optional
        Delineation method (see :func:`extract_record`).
    min_beats : int, default 3
        Records with fewer consensus beats are not measured (``quality_ok`` False).
    overwrite : bool, default False
        With ``out``, discard the chunks of an earlier run instead of resuming it.
    load : bool, default True
        With ``out``, read the finished table back and return it; ``False`` returns ``None``
        (for runs larger than memory; read later with :func:`read_features`).
    retry_failed : bool, str or sequence of str, default False
        With ``out``, measure again the records of the finished chunks whose reading failed
        (``quality_error`` in :data:`READ_FAILURES`: a file missing or unreadable for a while),
        keeping every other row; a resume alone never retries them. A class name (or names),
        e.g. ``"WorkerDiedError"``, retries failures of those kinds instead.

    Notes
    -----
    A record that kills the process measuring it (a segfault in a library, an out-of-memory
    kill) does not stop the run: each worker notes the record it is measuring in a small
    hidden file in ``out`` (``.inflight-*.json``), and when a worker dies those records are
    measured again one at a time, each in a fresh process. A record that kills that process
    too gets a failure row (``quality_error`` ``WorkerDiedError``, "worker died (exit 137)
    while measuring <record>"); the others keep their measurements, and the run goes on. With
    ``n_jobs=1`` the records are measured in the calling process, whose death ends the run;
    running it again on the same ``out`` measures the record it died on alone first, the
    same way. On Dask, a chunk whose task kills its workers (``KilledWorker``, after
    ``distributed.scheduler.allowed-failures`` deaths) is measured again one record per task;
    a record whose task kills its workers again, alone, gets the failure row "worker died
    (Dask KilledWorker) while measuring <record>", and the other chunks run on meanwhile. A
    ``LocalCluster`` closes a worker for good when its restart takes longer than
    ``distributed.deploy.lost-worker-timeout`` (15 s); on a busy machine raise it, or the
    cluster may be left without workers. Finished chunks are never measured again, in the
    run or on a resume.

    The local workers end within about :data:`PARENT_CHECK_S` seconds of the death of the
    process that started them (``SIGKILL``, an OOM kill), so that a killed run leaves no idle
    workers or resource trackers behind; a record a worker was measuring then is measured
    alone first by the resume.

    Returns
    -------
    pandas.DataFrame or None
        Indexed by record id, columns as in :func:`~interp_ecg.features.feature_dictionary`.
        A record that could not be measured has ``NaN`` features, ``quality_ok == False``
        and the reason in ``quality_reason``; no exception is raised for it.
    """
    from tqdm.auto import tqdm

    if not isinstance(dataset, EcgDataset):
        raise ConfigError(f"extract expects an EcgDataset, got {type(dataset).__name__}; use extract_record for one signal")
    ids = list(dataset.meta.index)
    meta = dataset.meta
    if meta.index.has_duplicates:
        dup = meta.index[meta.index.duplicated(keep=False)]
        counts = pd.Series(1, index=dup).groupby(level=0, sort=False).size()
        shown = ", ".join(f"{rid!r} x{n}" for rid, n in counts.head(5).items())
        raise ConfigError(
            f"dataset has duplicate record ids: {len(counts)} id(s) appear more than once "
            f"({int(counts.sum())} rows), e.g. {shown}{' ...' if len(counts) > 5 else ''}",
            source=dataset.name or None)
    n_chunks = (len(ids) + chunk_size - 1) // chunk_size if chunk_size >= 1 else 0
    if chunk_size < 1:
        raise ConfigError(f"chunk_size must be >= 1, got {chunk_size}")

    def chunk_ids(k: int) -> list[Any]:
        return ids[k * chunk_size : (k + 1) * chunk_size]

    if retry_failed and out is None:
        raise ConfigError("retry_failed=True re-measures the failed records of a run in out=; give out=")
    store = None
    if out is not None:
        extra = {"method": method if isinstance(method, str) or method is None else getattr(method, "__name__", "callable"),
                 "min_beats": min_beats,
                 # what was read: another rate, folder or database with the same ids is another run
                 "dataset": dataset_identity(dataset),
                 # which code measured: chunks of two code versions are never mixed
                 "code": code_fingerprint()}
        store = ChunkStore(out, ids, chunk_size, overwrite=overwrite, extra=extra)
        todo = store.pending()
        done = store.n_done_records()
        if done:
            logger.info("resuming: %d of %d records already in %s", done, len(ids), out)
    else:
        todo = list(range(n_chunks))
        done = 0
    jobs: list[tuple[int, list[Any]]] = [(k, chunk_ids(k)) for k in todo]
    partial: set[int] = set()  # chunks of which only the failed records are measured again
    if store is not None and retry_failed and not overwrite:
        kinds = set(READ_FAILURES if retry_failed is True else [retry_failed] if isinstance(retry_failed, str)
                    else retry_failed)
        retry = _failed_records(store, set(todo), kinds)
        if retry:
            counts = pd.Series([e for _, _, e in retry]).value_counts()
            logger.info("retry_failed: measuring again %d failed record(s) (%s) in %d chunk(s) of %s; "
                        "the other rows are kept", len(retry), ", ".join(f"{n} x{c}" for n, c in counts.items()),
                        len({k for k, _, _ in retry}), out)
            for k in sorted({k for k, _, _ in retry}):
                jobs.append((k, [rid for kk, rid, _ in retry if kk == k]))
                partial.add(k)
            done -= len(retry)
        else:
            logger.info("retry_failed: no failed record of kind %s in %s", sorted(kinds), out)
    bare = _bare(dataset)
    # per-lead columns of non-standard leads known from the dataset: in every chunk (finding 7)
    lead_columns = planned_lead_columns(dataset)
    # records measured alone in a fresh process after a process died measuring them
    known: dict[Any, dict[str, Any]] = {}
    marker_dir = tmp_markers = None
    if store is not None:
        marker_dir = store.out
        known.update(_after_deaths(store.out, bare, meta, {k: ids_ for k, ids_ in jobs}, method, min_beats,
                                   "a previous run on this folder died", dead_only=True))
    elif scheduler is None and len(jobs) > 1 and n_jobs not in (0, 1):
        import tempfile

        marker_dir = tmp_markers = tempfile.mkdtemp(prefix="interp_ecg_inflight_")
    frames: dict[int, pd.DataFrame] = {}
    bar = tqdm(total=len(ids), initial=done, disable=not progress, desc="extract features", unit="rec")
    t_start = t_last = time.perf_counter()
    n_new = 0
    try:
        while True:
            finished: set[int] = set()
            size = {k: len(ids_) for k, ids_ in jobs}
            try:
                for k, frame in _run_chunks(bare, meta, jobs, method, min_beats, n_jobs, scheduler,
                                            lead_columns, marker_dir, known):
                    finished.add(k)
                    if store is not None:
                        if k in partial:
                            frame = _merge_retried(store, k, frame)
                        store.write(k, frame)
                    else:
                        frames[k] = frame
                    bar.update(size[k])
                    n_new += size[k]
                    if time.perf_counter() - t_last >= PROGRESS_EVERY_S:  # also in logs, where no bar shows
                        t_last = time.perf_counter()
                        logger.info("extract features: %d of %d records (%.1f records/s)", done + n_new,
                                    len(ids), n_new / (t_last - t_start))
                break
            except BrokenProcessPool as err:  # a worker died: find the record, flag it, go on
                jobs = [job for job in jobs if job[0] not in finished]
                partial_left = {k for k, _ in jobs}
                found = _after_deaths(marker_dir, bare, meta, dict(jobs), method, min_beats,
                                      f"a worker process died ({_exit_text(err)}) and the pool stopped",
                                      exclude=set(known))
                if not found:
                    names = "; ".join(f"chunk {k} (records {_chunk_span(i)})" for k, i in jobs[:5])
                    raise WorkerDiedError(
                        f"a worker process died ({_exit_text(err)}) and no record could be named; "
                        f"chunks not finished: {names}" + (f" and {len(jobs) - 5} more" if len(jobs) > 5 else "")
                    ) from err
                known.update(found)
                partial &= partial_left
    finally:
        bar.close()
        if tmp_markers is not None:
            import shutil

            shutil.rmtree(tmp_markers, ignore_errors=True)
    empty = rows_to_frame([], pd.Index([], name=meta.index.name or "record_id"), lead_columns)
    if store is not None:
        if ids:
            _harmonise_chunks(store)  # one schema for every chunk file of the run
        if not load:
            return None
        if not ids:
            return empty
        return read_features(out)
    if not frames:
        return empty
    parts = [frames[k] for k in sorted(frames)]
    return pd.concat(parts).reindex(columns=_union_columns(f.columns for f in parts))


#: ``quality_error`` of the failures that ``extract(..., retry_failed=True)`` measures again:
#: the record could not be read (a file missing or unreadable for a while: a network mount, a copy
#: still running), which another attempt may change; not a record that was read and refused
READ_FAILURES = ("RecordReadError", "DataNotFoundError", "FileNotFoundError", "PermissionError",
                 "TimeoutError", "ConnectionError", "OSError", "IOError", "BlockingIOError",
                 "InterruptedError")


def _failed_records(store: ChunkStore, skip: set[int], kinds: set[str]) -> list[tuple[int, Any, str]]:
    """``(chunk, record id, quality_error)`` of the finished chunks' failure rows of ``kinds``."""
    out = []
    for k in range(store.n_chunks):
        if k in skip:
            continue
        errors = pd.read_parquet(store.path(k), columns=["quality_error"], engine="pyarrow")["quality_error"]
        for rid, err in zip(store.chunk_ids(k), errors.astype(str)):
            if err in kinds:
                out.append((k, rid, err))
    return out


def _merge_retried(store: ChunkStore, k: int, new: pd.DataFrame) -> pd.DataFrame:
    """Chunk ``k`` with the rows of ``new`` (its retried records) in place of the old ones."""
    old = pd.read_parquet(store.path(k), engine="pyarrow")
    where = {str(rid): i for i, rid in enumerate(store.chunk_ids(k))}
    pos = np.array([where[str(rid)] for rid in new.index], dtype=np.int64)
    keep = np.ones(len(old), bool)
    keep[pos] = False
    cols = _union_columns([old.columns, new.columns])
    new = new.reindex(columns=cols)
    new.index = old.index[pos]
    merged = pd.concat([old.reindex(columns=cols)[keep], new])
    order = np.argsort(np.r_[np.flatnonzero(keep), pos], kind="stable")
    return merged.iloc[order]


def _after_deaths(marker_dir, bare, meta, jobs: dict[int, list[Any]], method, min_beats, who: str,
                  dead_only: bool = False, exclude: set | None = None) -> dict[Any, dict[str, Any]]:
    """The records that processes were measuring when they died (their in-flight markers),
    each measured again alone in a fresh process (:func:`_measure_alone`): the row of each,
    a failure row where it kills its process again."""
    from interp_ecg.features.stream import read_markers

    if marker_dir is None:
        return {}
    suspects: list[Any] = []
    for mark in read_markers(marker_dir, dead_only=dead_only):
        ids_ = jobs.get(mark["chunk"])
        rid = next((r for r in ids_ or [] if str(r) == mark["record"]), None)
        mark["path"].unlink(missing_ok=True)
        if rid is None or rid in (exclude or set()) or rid in suspects:
            continue  # a chunk since finished, or a record already measured alone
        logger.warning("%s while record %s (chunk %d, records %s) was being measured; measuring it "
                       "alone in a separate process", who, rid, mark["chunk"], _chunk_span(ids_))
        suspects.append(rid)
    return _measure_alone(bare, meta, suspects, method, min_beats) if suspects else {}


# --------------------------------------------------------------------------- beat table
BEAT_COLUMNS = (
    "lead", "beat", *FIDUCIALS, "beat_label", "dominant", "RR_prev_ms", "RR_next_ms",
    "P_duration_ms", "PR_interval_ms", "QRS_duration_ms", "QT_interval_ms", "QTc_Bazett_ms",
    "P_amp_mV", "R_amp_mV", "S_amp_mV", "T_amp_mV", "reason",
)


def _beat_table(signal: np.ndarray, fs: float, leads: list[str], fid: pd.DataFrame, table) -> pd.DataFrame:
    ms = 1000.0 / fs
    out = fid.copy()
    for col in FIDUCIALS:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    beats = table.beats
    bmap = beats.reindex(out["beat"].to_numpy())
    out["beat_label"] = bmap["label"].fillna("").astype(str).to_numpy()
    out["dominant"] = bmap["dominant"].fillna(False).astype(bool).to_numpy()
    out["RR_prev_ms"] = bmap["rr_prev_ms"].to_numpy(dtype=float)
    out["RR_next_ms"] = bmap["rr_next_ms"].to_numpy(dtype=float)
    # the delineator's own reason, from the delineation these fiducials are (empty where it
    # gives none: nothing missing, or a callable method without a reason column)
    out["reason"] = (out["reason"].fillna("").astype(str).to_numpy() if "reason" in out.columns
                     else np.full(len(out), "", dtype=object))
    for name, (a, b) in M.INTERVALS.items():
        if name in BEAT_COLUMNS:
            value = (out[b] - out[a]) * ms
            for extra in M.INTERVAL_REQUIRES.get(name, ()):  # no QT without a delimited QRS
                value = value.where(out[extra].notna())
            out[name] = value
    rr_s = out["RR_prev_ms"].to_numpy() / 1000.0
    with np.errstate(invalid="ignore", divide="ignore"):
        out["QTc_Bazett_ms"] = out["QT_interval_ms"].to_numpy() / np.sqrt(rr_s)
    n = signal.shape[1]
    index = {name: i for i, name in enumerate(leads)}
    amps = np.full((len(out), 4), np.nan)
    for j, (lead, row) in enumerate(zip(out["lead"].astype(str), out[list(FIDUCIALS)].to_numpy())):
        if lead not in index:
            continue
        x = signal[index[lead]]
        p_on, _, p_off, q_on, _, q_off, t_on, _, t_off = row
        if not (np.isfinite(q_on) and np.isfinite(q_off)) or q_off <= q_on:
            continue
        b0 = int(max(0, q_on - round(0.025 * fs)))
        b1 = int(max(b0 + 1, q_on - round(0.005 * fs)))
        base = float(np.mean(x[b0:b1]))
        qrs = x[int(q_on) : int(q_off) + 1] - base
        after = x[int(q_off) + 1 : int(q_off) + 1 + int(round(M.CUT_WAVE_LOOKAHEAD_MS * fs / 1000.0))] - base
        amps[j, 1], _, amps[j, 2] = M.qrs_deflections(qrs, fs, after=after)
        for col, lo, hi in ((0, p_on, p_off), (3, t_on, t_off)):
            if np.isfinite(lo) and np.isfinite(hi) and hi > lo and hi < n:
                seg = x[int(lo) : int(hi) + 1] - base
                amps[j, col] = float(seg[np.argmax(np.abs(seg))])
    out[["P_amp_mV", "R_amp_mV", "S_amp_mV", "T_amp_mV"]] = amps
    return out[list(BEAT_COLUMNS)].reset_index(drop=True)



#: key of the cache provenance in a feature cache's Parquet metadata (pandas ``attrs``)
CACHE_KEY = "interp_ecg_feature_cache"


def _cache_provenance(dataset: EcgDataset) -> dict[str, Any]:
    """What a feature cache was measured from: the code and the dataset (without its record
    list: a cache may cover more records than are asked of it)."""
    return {"code": code_fingerprint(), "dataset": dataset_identity(dataset, with_records=False)}


def extract_cached(dataset: EcgDataset, cache: str | os.PathLike | None = None, n_jobs: int = 1) -> pd.DataFrame:
    """:func:`extract` with a Parquet cache that is reused when it covers every record and
    was made by the same code from the same data.

    Studies and benchmarks that rerun on the same records call this so that features are
    measured once. The cache records its provenance (:func:`code_fingerprint` and
    :func:`dataset_identity` without the record list) in its Parquet metadata. It is
    measured again and rewritten, with a log line saying why, when it lacks any of
    ``dataset``'s records, was made by other code (another version, other feature or reader
    sources, other delineation parameters) or from other data (another folder, rate, leads
    or loader), holds no provenance (written by an older version), or cannot be read (a
    truncated or empty file). It is written under a temporary name and renamed into place,
    so a killed run never leaves half a file.

    Parameters
    ----------
    dataset : EcgDataset
    cache : path, optional
        Parquet file; ``None`` measures without caching.
    n_jobs : int
        Local processes for :func:`extract`.

    Returns
    -------
    pandas.DataFrame
        One row per record of ``dataset``, in its order.
    """
    import json
    import uuid
    from pathlib import Path

    from interp_ecg.features.stream import manifest_differences

    path = Path(cache) if cache else None
    provenance = json.loads(json.dumps(_cache_provenance(dataset), default=str)) if path is not None else None
    if path is not None and path.is_file():
        try:
            feats = pd.read_parquet(path)
        except Exception as err:  # noqa: BLE001 - a truncated/empty file: measure again
            logger.warning("feature cache %s unreadable (%s: %s); measuring again",
                           path, type(err).__name__, err)
            feats = None
        if feats is not None:
            stored = feats.attrs.get(CACHE_KEY)
            feats.attrs = {}
            missing = len(set(dataset.ids) - set(feats.index))
            if not isinstance(stored, dict):
                logger.warning("feature cache %s records no code fingerprint or dataset (written by an "
                               "older version); measuring again", path)
            elif differ := manifest_differences(stored, provenance):
                logger.warning("feature cache %s was made by other code or from other data (%s); "
                               "measuring again", path, "; ".join(differ[:4]))
            elif missing:
                logger.info("feature cache %s lacks %d of %d records; measuring again",
                            path, missing, len(dataset))
            else:
                logger.info("features from cache %s", path)
                return feats.loc[list(dataset.ids)]
    feats = extract(dataset, n_jobs=n_jobs, progress=False)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # temporary name + atomic rename: a killed run never leaves a half-written cache
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        stamped = feats.copy(deep=False)
        stamped.attrs = {CACHE_KEY: provenance}  # pandas keeps attrs in the Parquet metadata
        try:
            stamped.to_parquet(tmp)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return feats


def extract_beats(
    data: Record | np.ndarray | EcgDataset,
    fs: float | None = None,
    leads: Sequence[str] | None = None,
    method: Method = None,
    min_beats: int = MIN_BEATS,
    progress: bool = False,
) -> pd.DataFrame:
    """Beat-level table: one row per beat and lead (plus the ``"global"`` consensus rows).

    Like the per-beat features of the MEETI dataset: the fiducials of each beat in each
    lead, its label (``N``/``PVC``/``outlier``/``paced``/``unclassified``/``noise``), RR
    intervals, the beat's own intervals and its amplitudes in that lead (relative to the
    PR-segment baseline of that beat).

    Parameters
    ----------
    data : Record, numpy.ndarray or EcgDataset
        One record (or array with ``fs`` and ``leads``) or a whole dataset; for a dataset,
        records that cannot be measured are logged and left out.
    fs, leads, method, min_beats
        As in :func:`extract_record`.
    progress : bool, default False
        Progress bar over the records of a dataset.

    Returns
    -------
    pandas.DataFrame
        Columns ``record_id`` (datasets and records), ``lead``, ``beat``, the nine
        fiducials (samples), ``beat_label``, ``dominant``, ``RR_prev_ms``, ``RR_next_ms``,
        ``P_duration_ms``, ``PR_interval_ms``, ``QRS_duration_ms``, ``QT_interval_ms``,
        ``QTc_Bazett_ms`` (with the preceding RR), ``P_amp_mV``, ``R_amp_mV``, ``S_amp_mV``,
        ``T_amp_mV``, ``reason``: the delineator's reason why waves of that beat (in that
        lead, or in the consensus for ``"global"`` rows) are NaN, e.g. "no P wave time-locked
        to the QRS (atrial fibrillation/flutter?)", "beat cut by the record edge", "wave
        dropped: fiducials out of order" (``; ``-joined; empty when nothing is missing, or when
        a callable ``method`` gives no ``reason`` column). It comes from the same delineation
        as the fiducials (of the processed signal: mains notched, pacemaker spikes removed,
        invalid samples bridged, unusable leads set aside), so it is the reason behind the
        NaN, not that of another delineation of the raw signal.
    """
    if isinstance(data, EcgDataset):
        from tqdm.auto import tqdm

        frames = []
        for rid in tqdm(data.meta.index, disable=not progress, desc="beat table"):
            try:
                frames.append(extract_beats(data.load(rid), method=method, min_beats=min_beats))
            except InterpEcgError as err:
                logger.warning("record %s left out of the beat table: %s", rid, err)
        if not frames:
            return pd.DataFrame(columns=["record_id", *BEAT_COLUMNS])
        return pd.concat(frames, ignore_index=True)
    rec = _as_record(data, fs, leads)
    signal, fs_, leads_, src = _validate(rec)
    _, _, extras = measure_record(signal, fs_, leads_, src, method, min_beats)
    table = _beat_table(extras["signal"], fs_, leads_, extras["fiducials"], extras["beats"])
    off = table["lead"].isin(extras.get("unmeasured_leads", []))
    if off.any():  # e.g. the limb lead that breaks Einthoven's identities: timing kept, no amplitudes
        table.loc[off, ["P_amp_mV", "R_amp_mV", "S_amp_mV", "T_amp_mV"]] = np.nan
        table.loc[off, "reason"] = table.loc[off, "reason"].fillna("").astype(str).str.cat(
            ["lead set aside for its amplitudes (quality_limb_identity_leads)"] * int(off.sum()), sep="; "
        ).str.lstrip("; ")
    table.insert(0, "record_id", rec.id)
    return table


__all__ = ["DASK_WORKER_CONFIG", "READ_FAILURES", "WorkerDiedError", "code_fingerprint", "dataset_identity", "planned_lead_columns", "extract", "extract_cached", "extract_record", "extract_beats", "measured_fiducials", "read_features", "conform", "column_names"]
