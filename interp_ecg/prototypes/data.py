"""Datasets to tensors for the prototype networks.

The networks read fixed-size input: 12 leads, 10 s at 100 Hz (1,000 samples), high-pass
filtered at 0.5 Hz to remove baseline wander, in millivolts. This module turns an
:class:`~interp_ecg.io.EcgDataset` (lazy; resampled on load) or a plain numpy array into that
array, and reads the ProtoECGNet branch assignment of the PTB-XL statements.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.prototypes.data import to_array
>>> x = np.ones((2, 12, 1000), dtype="float32")
>>> arr, ids, ok = to_array(x)
>>> arr.shape, list(ids), bool(ok.all())
((2, 12, 1000), ['0', '1'], True)
>>> float(abs(arr).max()) < 0.05       # a constant offset is removed by the high-pass filter
True
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.errors import ConfigError, DataNotFoundError, InterpEcgError, SamplingRateError

logger = logging.getLogger(__name__)

#: branch names of ProtoECGNet, keyed by ``prototype_category`` in the label-group CSV.
CATEGORY_TO_BRANCH = {1: "rhythm", 3: "morphology", 4: "global"}


def highpass(x: np.ndarray, fs: float, cutoff_hz: float = 0.5, order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth high-pass filter along the last axis.

    Parameters
    ----------
    x : numpy.ndarray
        Signals ``(..., n_samples)``.
    fs : float
        Sampling rate in Hz.
    cutoff_hz : float
        Cut-off frequency; ``0`` or ``None`` returns ``x`` unchanged (as float32).
    order : int
        Filter order (applied forward and backward, so the effective order doubles).
    """
    x = np.asarray(x, dtype=np.float32)
    if not cutoff_hz:
        return x
    from scipy.signal import butter, sosfiltfilt

    if cutoff_hz >= fs / 2:
        raise SamplingRateError(f"high-pass cut-off {cutoff_hz} Hz not below Nyquist of {fs} Hz")
    sos = butter(order, cutoff_hz, btype="highpass", fs=fs, output="sos")
    padlen = min(x.shape[-1] - 1, 3 * (2 * len(sos) + 1) * 10)
    return sosfiltfilt(sos, x, axis=-1, padlen=padlen).astype(np.float32)


def _fit_length(sig: np.ndarray, n_samples: int) -> np.ndarray:
    """Crop (keep the start) or zero-pad (at the end) to ``n_samples``."""
    if sig.shape[-1] >= n_samples:
        return sig[..., :n_samples]
    out = np.zeros(sig.shape[:-1] + (n_samples,), dtype=np.float32)
    out[..., : sig.shape[-1]] = sig
    return out


#: Longest run of invalid (NaN/inf) samples bridged by straight-line interpolation, in ms, and the
#: largest share of a lead's samples that may be bridged: the package's invalid-sample policy
#: (``interp_ecg.features.quality.MAX_BRIDGED_GAP_MS`` / ``MAX_BRIDGED_FRACTION``; the prototypes
#: layer may not import the features layer, and tests check that the two agree).
MAX_BRIDGED_GAP_MS = 20.0
MAX_BRIDGED_FRACTION = 0.01


def _runs(mask: np.ndarray) -> np.ndarray:
    """``(n_runs, 2)`` ``[start, end)`` of the True runs of a 1-D mask."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.stack([np.flatnonzero(d == 1), np.flatnonzero(d == -1)], axis=1)


def bridge_invalid_samples(signal: np.ndarray, fs: float, leads: Sequence[str] | None = None
                           ) -> tuple[np.ndarray | None, list[str], str]:
    """The package's invalid-sample policy for the network input: bridge short gaps, refuse the rest.

    A run of invalid (NaN/inf) samples no longer than :data:`MAX_BRIDGED_GAP_MS` is bridged by
    straight-line interpolation between its valid neighbours (the nearest valid value at an
    edge) when the lead's invalid samples stay within :data:`MAX_BRIDGED_FRACTION` (as the
    feature extraction does). A lead with a longer run or more invalid samples would be set aside
    by the measurements; the network reads all 12 leads and cannot, so the record is refused,
    with a reason naming the leads, their invalid samples and the first run's time.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)``.
    fs : float
        Sampling rate (Hz).
    leads : sequence of str, optional
        Lead names for the reason (default: the 12 standard leads in their order, as the network
        input holds them; ``#0``, ``#1``... for another count).

    Returns
    -------
    signal : numpy.ndarray or None
        Bridged copy (the input itself when every sample is finite); ``None`` when refused.
    bridged : list of str
        Leads whose short gaps were bridged.
    reason : str
        Why the record is refused, or which leads were bridged; empty when every sample is finite.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.prototypes.data import bridge_invalid_samples
    >>> x = np.zeros((2, 1000), np.float32); x[0, 10] = np.nan
    >>> out, bridged, _ = bridge_invalid_samples(x, 100.0, ["I", "II"])
    >>> bridged, bool(np.isfinite(out).all())
    (['I'], True)
    >>> x[1, 200:300] = np.nan
    >>> bridge_invalid_samples(x, 100.0, ["I", "II"])[2]
    'lead II holds 100 invalid (NaN/inf) samples (first run 2.00-3.00 s, 100 samples); the network reads every lead and bridges runs of at most 20 ms only'
    """
    signal = np.asarray(signal)
    bad = ~np.isfinite(signal)
    if not bad.any():
        return signal, [], ""
    from interp_ecg.io.leads import STANDARD_LEADS

    names = (list(leads) if leads is not None else list(STANDARD_LEADS) if signal.shape[0] == len(STANDARD_LEADS)
             else [f"#{i}" for i in range(signal.shape[0])])
    max_run = int(np.floor(MAX_BRIDGED_GAP_MS / 1000.0 * fs + 1e-9))
    n = signal.shape[-1]
    out = signal.astype(np.float32, copy=True)
    bridged, refused = [], []
    t = np.arange(n)
    for i in np.flatnonzero(bad.any(axis=1)):
        runs = _runs(bad[i])
        longest = int((runs[:, 1] - runs[:, 0]).max())
        count = int(bad[i].sum())
        if longest > max_run or count > MAX_BRIDGED_FRACTION * n or count == n:
            a, b = runs[0]
            refused.append(f"lead {names[i]} holds {count} invalid (NaN/inf) samples (first run {a / fs:.2f}-"
                           f"{b / fs:.2f} s, {b - a} samples)")
            continue
        ok = ~bad[i]
        out[i, bad[i]] = np.interp(t[bad[i]], t[ok], signal[i, ok].astype(np.float64))
        bridged.append(names[i])
    if refused:
        return None, [], ("; ".join(refused) + f"; the network reads every lead and bridges runs of at most "
                          f"{MAX_BRIDGED_GAP_MS:g} ms only")
    return out, bridged, f"short runs of invalid samples bridged in lead(s) {', '.join(bridged)}"


def to_array(
    data: Any,
    fs: float = 100.0,
    n_samples: int = 1000,
    n_leads: int = 12,
    highpass_hz: float | None = 0.5,
    input_fs: float | None = None,
    on_error: str = "skip",
    records: Sequence | None = None,
    return_lengths: bool = False,
    return_durations: bool = False,
) -> tuple:
    """Load a dataset or array into the network's input array.

    Records longer than ``n_samples`` are cut to their first ``n_samples``; shorter ones are
    zero-padded at the end (a flat line, not signal). ``return_lengths=True`` also returns how
    many samples of each row are real, so that callers can keep explanations and prototype
    sources inside the record (:func:`short_records` lists the padded ones);
    ``return_durations=True`` the length of each record as given, so that callers can say which
    were cut (:func:`long_records`). Neither is warned about here: the callers name the records.

    Parameters
    ----------
    data : EcgDataset or numpy.ndarray
        An :class:`~interp_ecg.io.EcgDataset` (records are resampled to ``fs`` on load) or an
        array ``(n_records, n_leads, n)`` already at ``input_fs`` (default ``fs``).
    fs : float
        Sampling rate the network expects (100 Hz in ProtoECGNet).
    n_samples : int
        Samples per record after cropping / zero-padding (10 s at 100 Hz).
    n_leads : int
        Leads expected (12).
    highpass_hz : float or None
        High-pass cut-off (0.5 Hz); ``None`` disables it.
    input_fs : float, optional
        Sampling rate of an array input when it differs from ``fs``.
    on_error : {"skip", "raise"}
        With ``"skip"`` an unreadable record is logged and its row is zero with ``ok=False``.
        Invalid (NaN/inf) samples follow :func:`bridge_invalid_samples`: short runs are bridged
        (logged, naming the record and leads); a record with longer runs is left out like an
        unreadable one, the logged reason naming the record, the leads and the time of the run.
    records : sequence, optional
        For a dataset: load only these record ids, in this order (chunked inference).
    return_lengths : bool
        Also return the real (unpadded) samples of every row.
    return_durations : bool
        Also return the duration of every record as given, before cutting or padding.

    Returns
    -------
    array : numpy.ndarray
        ``float32 (n_records, n_leads, n_samples)``.
    ids : pandas.Index
        Record ids (strings ``"0"``... for array input).
    ok : numpy.ndarray
        Boolean mask of records that loaded.
    lengths : numpy.ndarray
        Only with ``return_lengths``: ``int64 (n_records,)`` samples of each row that come from
        the record (at most ``n_samples``; 0 for records that did not load).
    durations : numpy.ndarray
        Only with ``return_durations`` (last): ``float64 (n_records,)`` seconds of each record as
        given (an array row: its samples / ``input_fs or fs``); NaN for records that did not load.
    """
    if isinstance(data, np.ndarray) or (hasattr(data, "__array__") and not hasattr(data, "meta")):
        arr = np.asarray(data, dtype=np.float32)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3 or arr.shape[1] != n_leads:
            raise ConfigError(f"expected an array (n_records, {n_leads}, n_samples), got {arr.shape}")
        src_fs = float(input_fs or fs)
        ok = np.ones(len(arr), dtype=bool)
        for i in np.flatnonzero(~np.isfinite(arr).all(axis=(1, 2))):  # the invalid-sample policy, row by row
            fixed, _, reason = bridge_invalid_samples(arr[i], src_fs)  # (before resampling spreads a NaN)
            if fixed is None:
                if on_error == "raise":
                    raise InterpEcgError(f"array row {i}: {reason}")
                logger.warning("array row %d left out (its row is zeroed): %s", i, reason)
                arr = arr.copy() if not arr.flags.writeable or arr is data else arr
                arr[i], ok[i] = 0.0, False
            else:
                logger.warning("array row %d: %s", i, reason)
                arr = arr.copy() if not arr.flags.writeable or arr is data else arr
                arr[i] = fixed
        if src_fs != fs:
            from fractions import Fraction

            from scipy.signal import resample_poly

            frac = Fraction(fs / src_fs).limit_denominator(1000)
            arr = resample_poly(arr, frac.numerator, frac.denominator, axis=-1).astype(np.float32)
        lengths = np.where(ok, min(arr.shape[-1], n_samples), 0).astype(np.int64)
        durations = np.where(ok, arr.shape[-1] / fs, np.nan)
        # filter the real samples only (the padding's step would leak into the record's end)
        out = _fit_length(highpass(arr[..., :n_samples], fs, highpass_hz or 0), n_samples)
        ids = pd.Index([str(i) for i in range(len(arr))], name="record_id")
        return _returned(out, ids, ok, lengths, durations, return_lengths, return_durations)
    if not hasattr(data, "meta") or not hasattr(data, "load"):
        raise ConfigError(f"cannot read records from {type(data).__name__}; pass an EcgDataset or array")
    ds = data if data.fs is not None and float(data.fs) == fs else data.resample(fs)
    name = data.meta.index.name or "record_id"
    ids = pd.Index(data.meta.index if records is None else list(records), name=name)
    out = np.zeros((len(ids), n_leads, n_samples), dtype=np.float32)
    ok = np.zeros(len(ids), dtype=bool)
    lengths = np.zeros(len(ids), dtype=np.int64)
    durations = np.full(len(ids), np.nan)
    for i, rid in enumerate(ids):
        try:
            rec = ds.load(rid)
            if rec.signal.shape[0] != n_leads:
                raise InterpEcgError(f"{rec.signal.shape[0]} leads, expected {n_leads}", source=rec.source or rid)
            if float(rec.fs) != fs:
                raise SamplingRateError(f"record at {rec.fs} Hz, expected {fs}", source=rec.source or rid)
            signal, _, reason = bridge_invalid_samples(rec.signal, fs, rec.leads)
            if signal is None:
                raise InterpEcgError(reason, source=rec.source or rid)
            if reason:
                logger.warning("record %s: %s", rid, reason)
            out[i] = _fit_length(signal, n_samples)
            lengths[i] = min(rec.signal.shape[-1], n_samples)
            durations[i] = rec.signal.shape[-1] / fs
            ok[i] = True
        except InterpEcgError as err:
            if on_error == "raise":
                raise
            logger.warning("record %s left out: %s", rid, err)
    full = ok & (lengths >= n_samples)
    if full.any():
        out[full] = highpass(out[full], fs, highpass_hz or 0)
    for i in np.flatnonzero(ok & ~full):  # padded records: filter the real samples only
        out[i, :, : lengths[i]] = highpass(out[i, :, : lengths[i]], fs, highpass_hz or 0)
    return _returned(out, ids, ok, lengths, durations, return_lengths, return_durations)


#: ``prototype_sources_["source_kind"]``: the record id names a record of the training dataset
SOURCE_RECORD = "record_id"
#: ``prototype_sources_["source_kind"]``: the "record id" is a row number of the training array
#: (fitted on an array with array labels: there was no record id to keep)
SOURCE_ARRAY_ROW = "array_row"
#: ``prototype_sources_["source_kind"]`` of model files saved before the kind was recorded
SOURCE_UNRECORDED = "unrecorded"


def source_label(record_id: Any, kind: str) -> str:
    """How a prototype source is named to a reader: ``"record 98"`` or ``"array row 65"``.

    Parameters
    ----------
    record_id : int or str
        ``prototype_sources_["record_id"]``.
    kind : str
        ``prototype_sources_["source_kind"]``: :data:`SOURCE_RECORD`, :data:`SOURCE_ARRAY_ROW` or
        :data:`SOURCE_UNRECORDED`.

    Returns
    -------
    str

    Examples
    --------
    >>> from interp_ecg.prototypes.data import source_label
    >>> source_label(98, "record_id"), source_label("65", "array_row")
    ('record 98', 'array row 65')
    """
    if kind == SOURCE_ARRAY_ROW:
        return f"array row {record_id}"
    if kind == SOURCE_UNRECORDED:
        return f"record {record_id} (or array row: not recorded in this model file)"
    return f"record {record_id}"


def _returned(out, ids, ok, lengths, durations, return_lengths: bool, return_durations: bool) -> tuple:
    return (out, ids, ok) + ((lengths,) if return_lengths else ()) + ((durations,) if return_durations else ())


def long_records(ids: Sequence, durations: np.ndarray, ok: np.ndarray, n_samples: int, fs: float) -> pd.Series:
    """Records that loaded but are longer than the network input (cut to it), with their length in seconds.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.prototypes.data import long_records
    >>> long_records(["a", "b", "c"], np.array([10.0, 12.0, np.nan]), np.array([True, True, False]), 1000, 100.0)
    b    12.0
    Name: duration_s, dtype: float64
    """
    durations = np.asarray(durations, dtype=float)
    # compare in samples at fs (half a sample of tolerance for float durations)
    sel = np.asarray(ok, dtype=bool) & (np.nan_to_num(durations) * float(fs) > int(n_samples) + 0.5)
    return pd.Series(durations[sel], index=pd.Index(np.asarray(list(ids), dtype=object)[sel]),
                     name="duration_s", dtype=float)


def describe_long(long: pd.Series, n_samples: int, fs: float, limit: int = 5) -> str:
    """One sentence naming records cut to the network input (for warnings)."""
    return (f"{len(long)} record(s) longer than the network input of {n_samples / fs:.2f} s are cut to their "
            f"first {n_samples / fs:.2f} s (the rest is not read): {_listed(long, limit)}")


def _listed(durations: pd.Series, limit: int) -> str:
    """``"id (12.00 s), ..."`` for the first ``limit`` records, then how many more."""
    listed = ", ".join(f"{rid} ({dur:.2f} s)" for rid, dur in durations.head(limit).items())
    return listed + (f" and {len(durations) - limit} more" if len(durations) > limit else "")


def short_records(ids: Sequence, lengths: np.ndarray, ok: np.ndarray, n_samples: int, fs: float) -> pd.Series:
    """Records that loaded but are shorter than the network input, with their length in seconds.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.prototypes.data import short_records
    >>> short_records(["a", "b", "c"], np.array([1000, 400, 0]), np.array([True, True, False]), 1000, 100.0)
    b    4.0
    Name: duration_s, dtype: float64
    """
    lengths = np.asarray(lengths)
    sel = np.asarray(ok, dtype=bool) & (lengths < int(n_samples))
    return pd.Series(lengths[sel] / float(fs), index=pd.Index(np.asarray(list(ids), dtype=object)[sel]),
                     name="duration_s", dtype=float)


def describe_short(short: pd.Series, n_samples: int, fs: float, limit: int = 5) -> str:
    """One sentence naming zero-padded records (for warnings)."""
    return (f"{len(short)} record(s) shorter than the network input of {n_samples / fs:.2f} s are zero-padded "
            f"at the end: {_listed(short, limit)}")


def package_label_groups_path():
    """Path of the ProtoECGNet label-group table shipped in the package (MIT; see its header)."""
    from importlib.resources import files

    return files("interp_ecg") / "data" / "protoecgnet_label_groups.csv"


def default_label_groups() -> dict[str, list[str]]:
    """ProtoECGNet's assignment of the 71 PTB-XL statements to branches (shipped in the package).

    Examples
    --------
    >>> from interp_ecg.prototypes import default_label_groups
    >>> g = default_label_groups()
    >>> {k: len(v) for k, v in g.items()}
    {'rhythm': 16, 'morphology': 52, 'global': 3}
    >>> g["global"]
    ['DIG', 'NORM', 'EL']
    """
    return read_label_groups(package_label_groups_path())


def read_label_groups(path: str | PathLike) -> dict[str, list[str]]:
    """Read the ProtoECGNet branch assignment of statements.

    Parameters
    ----------
    path : path-like
        A label-group CSV (first column: statement; ``prototype_category``: 1 = rhythm,
        3 = morphology, 4 = global; lines starting with ``#`` are comments), e.g. the one in the
        package (:func:`package_label_groups_path`) or ProtoECGNet's ``scp_statementsRegrouped2.csv``.

    Returns
    -------
    dict
        ``{"rhythm": [...], "morphology": [...], "global": [...]}`` in file order.
    """
    try:
        table = pd.read_csv(path, index_col=0, encoding="utf-8-sig", comment="#")
    except FileNotFoundError:
        raise DataNotFoundError("label-group file not found", source=path) from None
    if "prototype_category" not in table.columns:
        raise ConfigError("no 'prototype_category' column", source=path)
    groups: dict[str, list[str]] = {name: [] for name in CATEGORY_TO_BRANCH.values()}
    for statement, cat in table["prototype_category"].items():
        if pd.isna(cat) or pd.isna(statement):
            continue
        branch = CATEGORY_TO_BRANCH.get(int(cat))
        if branch is None:
            raise ConfigError(f"unknown prototype_category {cat!r} for {statement!r}", source=path)
        groups[branch].append(str(statement).strip())
    return groups


#: ProtoECGNet's branch names (each with its own backbone and prototype extent)
BRANCH_NAMES = ("rhythm", "morphology", "global")


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def near_branch_name(name: str, max_distance: int = 2) -> str | None:
    """The ProtoECGNet branch ``name`` is a near miss of (other case, or <= ``max_distance`` edits), else ``None``.

    Examples
    --------
    >>> from interp_ecg.prototypes.data import near_branch_name
    >>> near_branch_name("rhytm"), near_branch_name("Global"), near_branch_name("rhythm"), near_branch_name("st")
    ('rhythm', 'global', None, None)
    """
    if name in BRANCH_NAMES:
        return None
    low = str(name).strip().lower()
    for branch in BRANCH_NAMES:
        if low == branch or _edit_distance(low, branch) <= max_distance:
            return branch
    return None


def check_label_groups(label_groups: Mapping[str, Sequence[str]], deliberate: Sequence[str] = ()) -> None:
    """Refuse branch names that are near misses of ProtoECGNet's, and labels in two groups.

    Any other branch name gets a 2D backbone with partial prototypes, so ``"Rhythm"`` or
    ``"rhytm"`` would silently change what a rhythm label's prototypes are; a name listed in
    ``deliberate`` (the estimator's ``branch_types``) is taken as meant.

    Raises
    ------
    ConfigError
        Naming the branch and the name it resembles, or the label and its groups.

    Examples
    --------
    >>> from interp_ecg.prototypes.data import check_label_groups
    >>> check_label_groups({"rhythm": ["AFIB"], "st": ["STD_"]})
    >>> check_label_groups({"Rhythm": ["AFIB"]})
    Traceback (most recent call last):
    ...
    interp_ecg.errors.ConfigError: label_groups: branch 'Rhythm' looks like a misspelling of 'rhythm' ...
    """
    for branch in label_groups:
        near = near_branch_name(str(branch))
        if near is not None and str(branch) not in set(map(str, deliberate)):
            raise ConfigError(
                f"label_groups: branch {str(branch)!r} looks like a misspelling of {near!r} (ProtoECGNet's branches "
                f"are {', '.join(BRANCH_NAMES)}; any other name gets a 2D backbone with partial prototypes): use "
                f"{near!r}, or name {str(branch)!r} in branch_types to make it a branch of its own")
    seen: dict[str, list[str]] = {}
    for branch, labels in label_groups.items():
        for label in dict.fromkeys(map(str, labels)):
            seen.setdefault(label, []).append(str(branch))
    twice = {label: groups for label, groups in seen.items() if len(groups) > 1}
    if twice:
        listed = "; ".join(f"{label} is in {' and '.join(groups)}" for label, groups in list(twice.items())[:5])
        raise ConfigError(f"label_groups: a label can belong to one branch only: {listed}")


def resolve_label_groups(
    classes: Sequence[str], label_groups: Mapping[str, Sequence[str]] | str | PathLike | None,
    deliberate: Sequence[str] = (),
) -> dict[str, list[str]]:
    """Assign every class to one branch; branches without classes are dropped.

    ``label_groups`` is a mapping ``branch -> labels``, a path to a label-group CSV, or
    ``None`` (ProtoECGNet's groups shipped in the package, :func:`default_label_groups`).
    Classes not named by any group go to ``"morphology"``. A branch name that is a near miss
    of ``rhythm`` / ``morphology`` / ``global`` (not in ``deliberate``) and a label in two groups
    are refused (:func:`check_label_groups`).

    Examples
    --------
    >>> from interp_ecg.prototypes.data import resolve_label_groups
    >>> resolve_label_groups(["AFIB", "IMI", "NORM"], {"rhythm": ["AFIB"], "global": ["NORM"]})
    {'rhythm': ['AFIB'], 'global': ['NORM'], 'morphology': ['IMI']}
    """
    classes = [str(c) for c in classes]
    if label_groups is None:
        label_groups = default_label_groups()
    elif isinstance(label_groups, (str, PathLike)):
        label_groups = read_label_groups(label_groups)
    check_label_groups(label_groups, deliberate)
    out: dict[str, list[str]] = {}
    assigned: set[str] = set()
    for branch, labels in label_groups.items():
        members = [c for c in classes if c in set(map(str, labels)) and c not in assigned]
        assigned.update(members)
        if members:
            out[str(branch)] = members
    rest = [c for c in classes if c not in assigned]
    if rest:
        if label_groups:
            logger.info("%d classes not in any label group go to 'morphology': %s", len(rest), rest[:10])
        out.setdefault("morphology", []).extend(rest)
    return out


def jaccard_matrix(y: np.ndarray) -> np.ndarray:
    """Label co-occurrence Jaccard index ``|a & b| / |a | b|`` between the columns of ``y``.

    An unknown label (NaN) counts as absent: a record joins a pair's union or intersection only
    through classes it is known to carry.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.prototypes.data import jaccard_matrix
    >>> jaccard_matrix(np.array([[1, 1], [1, 0], [0, 0]])).round(2).tolist()
    [[1.0, 0.5], [0.5, 1.0]]
    """
    y = (np.asarray(y) > 0).astype(np.float64)
    inter = y.T @ y
    counts = y.sum(axis=0)
    union = counts[:, None] + counts[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        jac = np.where(union > 0, inter / union, 0.0)
    return jac


def simulated_cohort(n: int, fs: float = 100.0, random_state: int = 0, n_jobs: int = 1,
                     chunk: int = 250) -> tuple[np.ndarray, pd.DataFrame]:
    """An in-memory synthetic training set from :func:`interp_ecg.simulate.simulate_batch`.

    Conditions are drawn from the simulator's default mix; labels are the PTB-XL
    statements the simulator assigns (every listed statement counts as positive, as
    ``read_ptbxl`` does at likelihood threshold 0).

    Parameters
    ----------
    n : int
        Records.
    fs : float
        Sampling rate of the signals (10 s each).
    random_state : int
    n_jobs : int
        Processes (joblib) for large cohorts; chunks are seeded independently of ``n_jobs``.
    chunk : int
        Records per seeded chunk.

    Returns
    -------
    signals : numpy.ndarray
        ``float32 (n, 12, 10 * fs)`` in mV (not yet high-pass filtered).
    labels : pandas.DataFrame
        0/1 statements, plus nothing else; indexed ``sim00000``...
    """
    import ast

    from joblib import Parallel, delayed

    from interp_ecg.simulate import DEFAULT_MIX, simulate_batch

    rng = np.random.default_rng(random_state)
    names = list(DEFAULT_MIX)
    prob = np.array([DEFAULT_MIX[k] for k in names], dtype=float)
    conds = list(rng.choice(names, size=n, p=prob / prob.sum()))
    starts = list(range(0, n, chunk))
    seeds = np.random.SeedSequence(random_state).spawn(len(starts))

    def _one(s: int, seed: np.random.SeedSequence):
        x, _, info = simulate_batch(conds[s:s + chunk], fs=fs, duration=10.0,
                                    random_state=int(seed.generate_state(1)[0]))
        return x, info["scp_codes"].tolist()

    parts = Parallel(n_jobs=n_jobs)(delayed(_one)(s, sd) for s, sd in zip(starts, seeds))
    x = np.concatenate([p[0] for p in parts]).astype(np.float32)
    codes = [ast.literal_eval(c) for p in parts for c in p[1]]
    statements = sorted({k for c in codes for k in c})
    ids = pd.Index([f"sim{i:05d}" for i in range(n)], name="record_id")
    labels = pd.DataFrame(0, index=ids, columns=statements, dtype=np.int64)
    for i, c in enumerate(codes):
        labels.iloc[i, [statements.index(k) for k in c]] = 1
    return x, labels
