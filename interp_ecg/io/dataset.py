"""``EcgDataset``: a lazy manifest of ECG records.

A dataset holds only metadata (one row per record) and a *loader* that reads one record's
signal when it is asked for, so a manifest of 800,000 MIMIC-IV-ECG records costs a
DataFrame, not 800,000 signals. Dataset-level operations (:meth:`EcgDataset.resample`,
:meth:`EcgDataset.select_leads`, :meth:`EcgDataset.subset`) return new datasets that apply
their step when each record is loaded.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from interp_ecg.io import EcgDataset, ArrayLoader
>>> sig = np.zeros((2, 12, 5000), dtype="float32")
>>> meta = pd.DataFrame({"patient_id": [1, 1], "age": [60, 61], "sex": ["F", "F"]},
...                     index=pd.Index(["a", "b"], name="record_id"))
>>> ds = EcgDataset(meta, ArrayLoader(sig, fs=500), fs=500)
>>> len(ds), ds[0].signal.shape, ds[0].id
(2, (12, 5000), 'a')
>>> ds.resample(100)[1].signal.shape
(12, 1000)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from interp_ecg.errors import ArgumentError, InterpEcgError, LeadError, SamplingRateError, SignalQualityError
from interp_ecg.io.leads import STANDARD_LEADS, normalise_lead_name

logger = logging.getLogger(__name__)


@dataclass
class Record:
    """One loaded ECG record.

    Attributes
    ----------
    id : str
        Record id (the dataset's index value).
    signal : numpy.ndarray
        ``float32`` array ``(n_leads, n_samples)`` in millivolts.
    fs : float
        Sampling rate in Hz.
    leads : list of str
        Lead names, standard spelling for the standard twelve.
    meta : dict
        The record's metadata row.
    source : str
        The file the record came from (for error messages).
    extra_leads : list of str
        Channels that are not standard leads (Frank leads, say); kept in ``signal``.
    """

    id: str
    signal: np.ndarray
    fs: float
    leads: list[str]
    meta: dict = field(default_factory=dict)
    source: str = ""
    extra_leads: list[str] = field(default_factory=list)

    @property
    def n_samples(self) -> int:
        return int(self.signal.shape[1])

    @property
    def duration_s(self) -> float:
        return self.n_samples / float(self.fs)

    def lead(self, name: str) -> np.ndarray:
        """The samples of one lead, by any spelling of its name."""
        key = normalise_lead_name(name)
        try:
            return self.signal[self.leads.index(key)]
        except ValueError:
            raise LeadError(f"lead {name!r} not in {self.leads}", source=self.source) from None

    def validate(self) -> "Record":
        """Check shape, dtype, sampling rate and that some sample is valid; raise a named error if bad.

        Invalid samples (NaN, as WFDB, MIMIC-IV-ECG and the CinC files mark samples the
        device could not record, or +-inf) are *accepted* here and kept as they are: the
        package's one invalid-sample policy
        (:func:`interp_ecg.features.quality.invalid_sample_policy`: short runs bridged and
        flagged, leads with long runs set aside, the record refused only when no usable
        lead remains) applies in every entry point, batch ``extract(dataset)`` included.
        Only a record without a single valid sample is refused at load.

        Raises
        ------
        SamplingRateError, LeadError, SignalQualityError
            Invalid sampling rate; shape/lead mismatch or duplicate leads; no samples, or
            no valid (finite) sample at all.
        """
        src = self.source or self.id
        if not np.isfinite(self.fs) or self.fs <= 0:
            raise SamplingRateError(f"invalid sampling rate {self.fs!r}", source=src)
        if self.signal.ndim != 2 or self.signal.shape[0] != len(self.leads):
            raise LeadError(
                f"signal shape {self.signal.shape} does not match {len(self.leads)} leads", source=src
            )
        if len(set(self.leads)) != len(self.leads):
            raise LeadError(f"duplicate leads in {self.leads}", source=src)
        if self.signal.shape[1] == 0:
            raise SignalQualityError("signal has no samples", source=src)
        bad = ~np.isfinite(self.signal)
        if bad.all():
            raise SignalQualityError(
                f"no valid sample: all {bad.size} samples are NaN/inf", source=src)
        if bad.any():
            leads = [self.leads[i] for i in np.flatnonzero(bad.any(axis=1))]
            logger.info("%s: %d NaN/inf samples in leads %s (left to the invalid-sample policy)",
                        src, int(bad.sum()), leads)
        return self

    @property
    def invalid_samples(self) -> np.ndarray:
        """Boolean mask of invalid (NaN or infinite) samples, shape ``(n_leads, n_samples)``."""
        return ~np.isfinite(self.signal)


class Loader(Protocol):
    """Reads one record. Loaders must be picklable (they travel to joblib / Dask workers)."""

    def __call__(self, record_id: Any, row: pd.Series) -> Record: ...


class ArrayLoader:
    """Loader over an in-memory array ``(n_records, n_leads, n_samples)`` (tests, simulations)."""

    def __init__(self, signals: np.ndarray, fs: float, leads: Sequence[str] = STANDARD_LEADS):
        self.signals = np.asarray(signals, dtype=np.float32)
        self.fs = float(fs)
        self.leads = list(leads)
        self._position: dict[Any, int] | None = None

    def bind(self, index: pd.Index) -> "ArrayLoader":
        """Map record ids to array rows, once: the first dataset built on the array fixes it.

        Subsets share the bound loader unchanged, so their ids still point at the right rows.
        """
        if self._position is None:
            if len(index) != len(self.signals):
                raise ArgumentError(
                    f"{len(index)} metadata rows for an array of {len(self.signals)} records"
                )
            self._position = {rid: i for i, rid in enumerate(index)}
        return self

    def __call__(self, record_id: Any, row: pd.Series) -> Record:
        i = self._position[record_id] if self._position is not None else int(row.name)
        # no file: errors and reasons name the record by its id (``rec.source or rec.id``), not
        # by its row in the array ("array[1]"), which the user never sees
        return Record(str(record_id), self.signals[i], self.fs, list(self.leads), source="")


#: the ``source`` of a resampled record: ``"resampled to 50 Hz from <file> (100 Hz)"``
_RESAMPLED = re.compile(r"^resampled to \S+ Hz from (?P<src>.*) \((?P<fs>[^()]*) Hz\)$", re.S)


def resampled_source(rec: Record, fs: float) -> str:
    """The ``source`` a record resampled to ``fs`` Hz names in errors and reasons.

    A refusal after :meth:`EcgDataset.resample` is about the resampled signal, not the file:
    "sampling rate 50 Hz is too low" must not read as if the file said 50 Hz. The source says
    both, the file (or "record <id>", for an in-memory record) with the rate it was
    recorded at; resampling twice keeps the first file and rate.

    Parameters
    ----------
    rec : Record
        The record before resampling.
    fs : float
        The new rate (Hz).

    Returns
    -------
    str
        ``"resampled to {fs} Hz from {file or 'record ' + id} ({original rate} Hz)"``.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.io.dataset import Record, resampled_source
    >>> rec = Record("1", np.zeros((1, 1000), "float32"), 100.0, ["II"], source="r/00001_lr.hea")
    >>> resampled_source(rec, 50)
    'resampled to 50 Hz from r/00001_lr.hea (100 Hz)'
    """
    # an in-memory record is named "record <id>" (the form the pseudonymiser knows)
    src, rate = rec.source or f"record {rec.id}", f"{float(rec.fs):g}"
    m = _RESAMPLED.match(rec.source or "")
    if m:  # resampled before: name the file and the rate it was recorded at
        src, rate = m["src"], m["fs"]
    return f"resampled to {float(fs):g} Hz from {src} ({rate} Hz)"


def _resample_record(rec: Record, fs: float) -> Record:
    """Polyphase resampling; invalid (non-finite) samples stay invalid.

    Invalid runs are bridged by straight lines for the filter only, and every output sample
    whose time lies within one input (or output) sample period of an invalid input sample is
    NaN again, so the invalid-sample policy of the features layer sees the same gaps (at the
    new rate) instead of a NaN smeared over the whole lead or a bridged guess.
    """
    from scipy.ndimage import maximum_filter1d
    from scipy.signal import resample_poly

    if rec.fs == fs:
        return rec
    from fractions import Fraction

    frac = Fraction(float(fs) / float(rec.fs)).limit_denominator(1000)
    x = np.asarray(rec.signal, dtype=np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        x = x.copy()
        pos = np.arange(x.shape[1])
        for i in np.flatnonzero(bad.any(axis=1)):
            ok = ~bad[i]
            x[i] = np.interp(pos, pos[ok], x[i, ok]) if ok.any() else 0.0
    sig = resample_poly(x, frac.numerator, frac.denominator, axis=1).astype(np.float32)
    if bad.any():
        ratio = float(rec.fs) / float(fs)
        reach = int(np.ceil(max(ratio, 1.0) / 2)) + 1
        spread = maximum_filter1d(bad.astype(np.uint8), size=2 * reach + 1, axis=1) > 0
        src = np.clip(np.round(np.arange(sig.shape[1]) * ratio).astype(np.int64), 0,
                      bad.shape[1] - 1)
        sig[spread[:, src]] = np.nan
    return Record(rec.id, sig, float(fs), rec.leads, rec.meta, resampled_source(rec, fs), rec.extra_leads)


def _select_record_leads(rec: Record, leads: Sequence[str]) -> Record:
    wanted = [normalise_lead_name(name) for name in leads]
    missing = [name for name in wanted if name not in rec.leads]
    if missing:
        raise LeadError(f"missing leads {missing} (has {rec.leads})", source=rec.source or rec.id)
    idx = [rec.leads.index(name) for name in wanted]
    return Record(rec.id, rec.signal[idx], rec.fs, wanted, rec.meta, rec.source, [])


class _Resample:
    def __init__(self, fs: float):
        self.fs = float(fs)

    def __call__(self, rec: Record) -> Record:
        return _resample_record(rec, self.fs)


class _SelectLeads:
    def __init__(self, leads: Sequence[str]):
        self.leads = list(leads)

    def __call__(self, rec: Record) -> Record:
        return _select_record_leads(rec, self.leads)


def _shown(ids: Sequence[Any], limit: int = 5) -> str:
    """The first ``limit`` ids as ``[a, b, ...]`` for an error message."""
    ids = list(ids)
    return "[" + ", ".join(repr(i) for i in ids[:limit]) + (", ..." if len(ids) > limit else "") + "]"


def _mask_positions(mask: Any, meta: pd.DataFrame, all_ids: pd.Index, name: str) -> np.ndarray:
    """``mask`` as a boolean array over ``meta``'s rows.

    A pandas Series is paired with ``meta`` by record id (its index), whatever its row order;
    it must hold every record of ``meta`` and no id outside the dataset (``all_ids``). An
    array or list is positional and must have one value per row.
    """
    if isinstance(mask, pd.DataFrame):
        raise ArgumentError("mask must be a boolean Series or array, got a DataFrame "
                            "(select one column, e.g. mask=frame['keep'])")
    if isinstance(mask, pd.Series):
        if mask.index.has_duplicates:
            dup = mask.index[mask.index.duplicated()].unique()
            raise ArgumentError(f"mask Series holds {len(dup)} record id(s) more than once: {_shown(dup)}")
        missing = meta.index.difference(mask.index, sort=False)
        foreign = mask.index.difference(all_ids, sort=False)
        if len(missing) or len(foreign):
            parts = []
            if len(missing):
                parts.append(f"{len(missing)} record id(s) of dataset {name!r} not in the mask's index: "
                             f"{_shown(missing)}")
            if len(foreign):
                parts.append(f"{len(foreign)} id(s) of the mask's index not in dataset {name!r}: "
                             f"{_shown(foreign)}")
            raise ArgumentError("a mask Series is paired with the records by its index (record ids); "
                                + "; ".join(parts)
                                + " (for a positional mask pass an array, e.g. mask.to_numpy())")
        mask = mask.reindex(meta.index)
    values = np.asarray(mask)
    if values.ndim != 1 or len(values) != len(meta):
        raise ArgumentError(f"mask has shape {values.shape}; a positional mask needs one value per record "
                            f"({len(meta)} records)")
    if values.dtype != bool:
        if values.dtype == object and all(isinstance(v, (bool, np.bool_)) for v in values):
            values = values.astype(bool)
        else:
            raise ArgumentError(f"mask must hold booleans, got dtype {values.dtype} "
                                "(missing values or numbers are not a selection)")
    return values


def _align_labels(labels: pd.DataFrame | pd.Series, index: pd.Index, name: str) -> pd.DataFrame | pd.Series:
    """``labels`` in the row order of ``index`` (paired by record id); refused when it misses ids."""
    if labels.index.has_duplicates:
        dup = labels.index[labels.index.duplicated()].unique()
        raise ArgumentError(f"labels of dataset {name!r} hold {len(dup)} record id(s) more than once: {_shown(dup)}")
    missing = index.difference(labels.index, sort=False)
    if len(missing):
        raise ArgumentError(f"labels of dataset {name!r} miss {len(missing)} of its {len(index)} records: "
                            f"{_shown(missing)} (labels are paired with meta by record id)")
    return labels.loc[index]


class EcgDataset:
    """A lazy collection of ECG records with metadata and labels.

    Parameters
    ----------
    meta : pandas.DataFrame
        One row per record, indexed by record id. Should hold ``patient_id``, ``age``,
        ``sex``; dataset-specific columns are kept.
    loader : callable
        ``loader(record_id, meta_row) -> Record``; must be picklable.
    labels : pandas.DataFrame, optional
        Labels indexed by record id (multi-hot for statements), one row per record of
        ``meta``. Paired with ``meta`` by id: rows in another order are put in ``meta``'s
        order (``ds.labels.iloc[i]`` is the label of ``ds[i]``) and rows of other ids are
        dropped; labels that miss a record of ``meta`` or repeat an id are refused
        (:class:`~interp_ecg.errors.ArgumentError` naming the ids).
    fs : float, optional
        Nominal sampling rate of the records (after transforms).
    leads : sequence of str, optional
        Nominal lead order of the records (after transforms).
    name : str
        Short dataset name (``"ptbxl"``, ``"ludb"``, ``"synthetic"``...).
    annotations : pandas.DataFrame, optional
        Reference annotations (LUDB fiducials, simulated ground truth).
    transforms : sequence of callables
        ``Record -> Record`` steps applied on load, in order.
    extras : dict, optional
        Further dataset-level tables (``"diagnoses"``, ``"statements"``...).
    """

    def __init__(
        self,
        meta: pd.DataFrame,
        loader: Loader,
        labels: pd.DataFrame | None = None,
        fs: float | None = None,
        leads: Sequence[str] | None = None,
        name: str = "",
        annotations: pd.DataFrame | None = None,
        transforms: Sequence[Callable[[Record], Record]] = (),
        extras: dict | None = None,
    ) -> None:
        self.meta = meta
        self.loader = loader.bind(meta.index) if hasattr(loader, "bind") else loader
        if labels is not None and not labels.index.equals(meta.index):
            labels = _align_labels(labels, meta.index, name)
        self.labels = labels
        self.fs = fs
        self.leads = list(leads) if leads is not None else list(STANDARD_LEADS)
        self.name = name
        self.annotations = annotations
        self.transforms = list(transforms)
        self.extras = dict(extras or {})

    # -- container protocol -------------------------------------------------
    def __len__(self) -> int:
        return len(self.meta)

    @property
    def ids(self) -> pd.Index:
        """Record ids, in order."""
        return self.meta.index

    def __getitem__(self, item: int) -> Record:
        if isinstance(item, (int, np.integer)):
            n = len(self)
            if not -n <= item < n:
                raise IndexError(f"record position {item} out of range for {n} records")
            return self.load(self.meta.index[int(item)])
        raise TypeError("use ds[i] with an integer position, ds.load(record_id) by id, or ds.subset(...)")

    def __iter__(self) -> Iterator[Record]:
        for rid in self.meta.index:
            yield self.load(rid)

    def __repr__(self) -> str:
        leads: Any = len(self.leads)
        # a folder of records with different lead lists (meta "leads" per record) is not "12 leads"
        if "leads" in self.meta.columns and not any(isinstance(t, _SelectLeads) for t in self.transforms):
            written = self.meta["leads"].astype("string")
            lists = written[written.fillna("") != ""].unique()
            if len(lists) > 1:
                leads = f"'mixed: {len(lists)} lead lists'"
            elif len(lists) == 1:
                leads = len(str(lists[0]).split())
        return (
            f"EcgDataset(name={self.name!r}, n_records={len(self)}, fs={self.fs}, "
            f"leads={leads}, labels={0 if self.labels is None else self.labels.shape[1]})"
        )

    def _repr_html_(self) -> str:
        head = self.meta.head(5)._repr_html_()
        return f"<p><b>{self!r}</b></p>{head}"

    # -- loading ------------------------------------------------------------
    def load(self, record_id: Any) -> Record:
        """Load one record by id, apply the dataset's transforms and validate it.

        Raises
        ------
        InterpEcgError
            A subclass naming the file and the problem when the record is unusable.
        """
        try:
            row = self.meta.loc[record_id]
        except KeyError:
            raise KeyError(f"record {record_id!r} not in dataset {self.name!r}") from None
        rec = self.loader(record_id, row)
        rec.meta = {**row.to_dict(), **rec.meta}
        if self.transforms:
            # check before the transforms (resampling keeps invalid samples invalid)
            rec.validate()
            for step in self.transforms:
                rec = step(rec)
        rec.signal = np.ascontiguousarray(rec.signal, dtype=np.float32)
        return rec.validate()

    def iter_batches(
        self, batch_size: int = 64, on_error: str = "raise"
    ) -> Iterator[list[Record]]:
        """Yield lists of loaded records.

        Parameters
        ----------
        batch_size : int
            Records per batch.
        on_error : {"raise", "skip"}
            With ``"skip"``, an unreadable record is logged and left out of its batch
            (use :meth:`scan` to get the reasons as a table).
        """
        if on_error not in {"raise", "skip"}:
            raise ArgumentError("on_error must be 'raise' or 'skip'")
        batch: list[Record] = []
        for rid in self.meta.index:
            try:
                batch.append(self.load(rid))
            except InterpEcgError as err:
                if on_error == "raise":
                    raise
                logger.warning("skipping record %s: %s", rid, err)
            if len(batch) == batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def scan(self, progress: bool = False, n_jobs: int = 1) -> pd.DataFrame:
        """Try to load every record; return a quality table instead of raising.

        Parameters
        ----------
        progress : bool, default False
            Show a progress bar.
        n_jobs : int, default 1
            Worker processes (joblib; ``-1`` for all cores). The dataset is split into
            chunks, each scanned by one worker; the table is the same as with ``n_jobs=1``.

        Returns
        -------
        pandas.DataFrame
            Indexed by record id with ``ok`` (bool), ``error`` (exception class name or
            ``""``), ``reason`` (message naming the file), and for readable records ``fs``,
            ``n_leads``, ``n_samples`` after the dataset's transforms.
        """
        from tqdm.auto import tqdm

        if n_jobs != 1 and len(self) > 1:
            from joblib import Parallel, delayed, effective_n_jobs

            workers = effective_n_jobs(n_jobs)
            n_chunks = min(len(self), workers * 4)
            bounds = np.linspace(0, len(self), n_chunks + 1).astype(int)
            chunks = [self._positions(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
            parts = Parallel(n_jobs=workers)(
                delayed(EcgDataset.scan)(chunk) for chunk in tqdm(chunks, disable=not progress,
                                                                   desc=f"scan {self.name}")
            )
            return pd.concat(parts)

        rows = []
        for rid in tqdm(self.meta.index, disable=not progress, desc=f"scan {self.name}"):
            try:
                rec = self.load(rid)
                rows.append((rid, True, "", "", rec.fs, rec.signal.shape[0], rec.signal.shape[1]))
            except InterpEcgError as err:
                logger.warning("record %s unusable: %s", rid, err)
                rows.append((rid, False, type(err).__name__, str(err), np.nan, 0, 0))
            except Exception as err:  # noqa: BLE001 - a batch never dies on one record
                logger.warning("record %s failed unexpectedly: %r", rid, err)
                rows.append((rid, False, type(err).__name__, f"{rid}: {err}", np.nan, 0, 0))
        out = pd.DataFrame(
            rows, columns=["record_id", "ok", "error", "reason", "fs", "n_leads", "n_samples"]
        ).set_index("record_id")
        out.index.name = self.meta.index.name or "record_id"
        return out

    def to_array(self, max_records: int = 5000, pad: float = 0.0) -> np.ndarray:
        """Load every record into one ``(n_records, n_leads, n_samples)`` float32 array.

        For small sets only. One array has one time axis and one lead axis, so every record
        must have the same sampling rate and the same leads in the same order; records of
        different rates or lead lists are refused (a 128 Hz record stacked with 500 Hz records
        would be 1,280 samples squeezed onto the first 2.56 s of a 500 Hz axis). Records
        shorter than the longest are padded at the end with ``pad``.

        Parameters
        ----------
        max_records : int, default 5000
            Refuse larger datasets (use :meth:`iter_batches`).
        pad : float, default 0.0
            Value after the end of a shorter record (``numpy.nan`` marks it as no sample).

        Returns
        -------
        numpy.ndarray
            float32 ``(n_records, n_leads, n_samples)`` in mV.

        Raises
        ------
        MemoryError
            More than ``max_records`` records.
        SamplingRateError
            Records of different sampling rates (naming records and rates; use
            :meth:`resample` first).
        LeadError
            Records of different lead lists (naming the records of each list; use
            :meth:`select_leads` first).
        """
        if len(self) > max_records:
            raise MemoryError(
                f"{len(self)} records exceed max_records={max_records}; iterate with iter_batches()"
            )
        recs = list(self)
        if not recs:
            return np.zeros((0, len(self.leads), 0), dtype=np.float32)

        def groups(key) -> dict:
            out: dict = {}
            for r in recs:
                out.setdefault(key(r), []).append(r.id)
            return out

        def listing(by: dict, label) -> str:
            return "; ".join(f"{label(k)}: {len(v)} record(s) ({', '.join(map(str, v[:3]))}"
                             f"{', ...' if len(v) > 3 else ''})" for k, v in by.items())

        by_fs = groups(lambda r: float(r.fs))
        if len(by_fs) > 1:
            raise SamplingRateError(
                f"records of {len(by_fs)} sampling rates cannot share one time axis: "
                f"{listing(by_fs, lambda k: f'{k:g} Hz')}; use dataset.resample(fs) first")
        by_leads = groups(lambda r: tuple(r.leads))
        if len(by_leads) > 1:
            raise LeadError(
                f"records of {len(by_leads)} lead lists cannot share one lead axis: "
                f"{listing(by_leads, lambda k: ' '.join(k))}; use dataset.select_leads([...]) first")
        n = max(r.n_samples for r in recs)
        short = [r.id for r in recs if r.n_samples < n]
        if short:
            logger.info("to_array: %d of %d records shorter than %d samples, padded with %s: %s%s",
                        len(short), len(recs), n, pad, short[:3], " ..." if len(short) > 3 else "")
        out = np.full((len(recs), recs[0].signal.shape[0], n), pad, dtype=np.float32)
        for i, r in enumerate(recs):
            out[i, :, : r.n_samples] = r.signal
        return out

    @property
    def signals(self) -> np.ndarray:
        """All signals as one array (alias of :meth:`to_array`; loads every record)."""
        return self.to_array()

    # -- dataset-level operations -------------------------------------------
    def _replace(self, **changes: Any) -> "EcgDataset":
        kwargs = dict(
            meta=self.meta, loader=self.loader, labels=self.labels, fs=self.fs, leads=self.leads,
            name=self.name, annotations=self.annotations, transforms=self.transforms,
            extras=self.extras,
        )
        kwargs.update(changes)
        return EcgDataset(**kwargs)

    def subset(self, records: Any = None, *, positions: Any = None, mask: Any = None,
               query: str | None = None) -> "EcgDataset":
        """A dataset restricted to some records.

        Records are chosen by id (``records``) or by row position (``positions``), never by a
        guess between the two: an id list holding one id the dataset does not have is an
        error, not a list of positions (with integer ids such as PTB-XL's ``ecg_id`` the guess
        returned other records without a word).

        Parameters
        ----------
        records : sequence of record ids, optional
            Ids of ``meta``'s index, in the order wanted (``ds.subset(split["test"])``).
        positions : sequence of int, optional
            Row positions (0-based, after ``query``/``mask``), as ``ds[i]`` takes them
            (``ds.subset(positions=range(10))`` for the first ten records).
        mask : boolean pandas.Series or array, optional
            Records to keep. A Series is paired with the records by its index (record ids),
            in any row order (``ds.subset(mask=ds.meta.age > 50)``, or a column of a sorted
            or merged table); it must hold every record (after ``query``) and no other id.
            An array or list is positional: one value per row of ``meta`` (after ``query``).
        query : str, optional
            A :meth:`pandas.DataFrame.query` expression on ``meta`` (``"strat_fold <= 8"``).

        Returns
        -------
        EcgDataset
            ``query`` then ``mask`` then ``records``/``positions`` applied, in that order;
            labels and annotations restricted alike.

        Raises
        ------
        KeyError
            Ids in ``records`` that are not in the dataset (the first few and how many).
        IndexError
            Positions out of range.
        ArgumentError
            Both ``records`` and ``positions`` given; ``records`` a single string or booleans
            (use ``[id]`` or ``mask=``); ``positions`` not integers; a ``mask`` Series whose
            ids differ from the dataset's (naming them), a positional ``mask`` of the wrong
            length, or a ``mask`` that does not hold booleans.

        Examples
        --------
        >>> from interp_ecg.io import ArrayLoader, EcgDataset
        >>> import numpy as np, pandas as pd
        >>> meta = pd.DataFrame({"age": [60, 61, 62]}, index=pd.Index([1, 2, 3], name="ecg_id"))
        >>> ds = EcgDataset(meta, ArrayLoader(np.zeros((3, 12, 100)), fs=100), fs=100)
        >>> ds.subset([3, 1]).ids.tolist(), ds.subset(positions=[0, 1]).ids.tolist()
        ([3, 1], [1, 2])
        >>> ds.subset([0, 1])
        Traceback (most recent call last):
        ...
        KeyError: "1 of 2 record ids not in dataset '': [0] (for row positions use subset(positions=...) or ds[i])"
        >>> old = ds.meta["age"] > 60
        >>> ds.subset(mask=old[::-1]).ids.tolist()   # paired by id, not by row
        [2, 3]
        """
        if records is not None and positions is not None:
            raise ArgumentError("give records (ids) or positions, not both")
        meta = self.meta
        if query is not None:
            meta = meta.query(query)
        if mask is not None:
            meta = meta[_mask_positions(mask, meta, self.meta.index, self.name)]
        if records is not None:
            if isinstance(records, (str, bytes)):
                raise ArgumentError(f"records must be a sequence of record ids, got the string {records!r} "
                                    f"(use subset([{records!r}]))")
            records = list(records)
            if records and all(isinstance(r, (bool, np.bool_)) for r in records):
                raise ArgumentError("records holds booleans; pass a boolean array as mask=")
            found = pd.Index(records, dtype=object if not records else None).isin(meta.index)
            if not found.all():
                missing = list(dict.fromkeys(r for r, ok in zip(records, found) if not ok))
                shown = ", ".join(repr(r) for r in missing[:5]) + (", ..." if len(missing) > 5 else "")
                raise KeyError(
                    f"{len(missing)} of {len(set(records))} record ids not in dataset {self.name!r}: "
                    f"[{shown}] (for row positions use subset(positions=...) or ds[i])")
            meta = meta.loc[records]
        elif positions is not None:
            pos = np.asarray(list(positions))
            if pos.size and not np.issubdtype(pos.dtype, np.integer):
                raise ArgumentError(f"positions must be integers, got dtype {pos.dtype}")
            n = len(meta)
            bad = pos[(pos < -n) | (pos >= n)] if pos.size else pos
            if bad.size:
                raise IndexError(f"{bad.size} position(s) out of range for {n} records: "
                                 f"{bad[:5].tolist()}")
            meta = meta.iloc[pos.astype(np.int64)]
        labels = None if self.labels is None else self.labels.loc[meta.index]
        annotations = self.annotations
        if annotations is not None and "record" in annotations.columns:
            annotations = annotations[annotations["record"].isin(meta.index)]
        return self._replace(meta=meta, labels=labels, annotations=annotations)

    def _positions(self, start: int, stop: int) -> "EcgDataset":
        """The records at positions ``start:stop`` (no annotations: for workers)."""
        meta = self.meta.iloc[start:stop]
        labels = None if self.labels is None else self.labels.loc[meta.index]
        return self._replace(meta=meta, labels=labels, annotations=None, extras={})

    def resample(self, fs: float) -> "EcgDataset":
        """A dataset whose records are resampled to ``fs`` Hz on load (polyphase filter)."""
        if fs <= 0:
            raise SamplingRateError(f"target sampling rate must be positive, got {fs}")
        return self._replace(fs=float(fs), transforms=[*self.transforms, _Resample(fs)])

    def select_leads(self, leads: Sequence[str]) -> "EcgDataset":
        """A dataset whose records keep only ``leads`` (in that order) on load."""
        wanted = [normalise_lead_name(name) for name in leads]
        return self._replace(leads=wanted, transforms=[*self.transforms, _SelectLeads(wanted)])

    def patient_ids(self) -> pd.Series:
        """``meta["patient_id"]``; missing values (``<NA>``) when the reader gave none (a record id is
        never taken for a patient: see :func:`interp_ecg.evaluate.patient_groups` for splits)."""
        if "patient_id" in self.meta.columns:
            return self.meta["patient_id"]
        return pd.Series(pd.array([pd.NA] * len(self.meta), dtype="string"), index=self.meta.index,
                         name="patient_id")
