"""Measure one validated ECG record, in named stages.

:func:`measure_record` is the per-record pipeline behind
:func:`~interp_ecg.features.extract_record`, :func:`~interp_ecg.features.extract` (each
record of a batch), :func:`~interp_ecg.features.extract_beats` and
:func:`~interp_ecg.features.extract.measured_fiducials`. It runs these stages, each a function
of its own here:

1. input policy (:func:`apply_invalid_sample_policy`): invalid (NaN/inf) samples bridged
   or their leads set aside, all-lead invalid runs found;
2. signal conditioning (:func:`condition_signal`): units checked, mains interference
   notched, pacemaker spikes stripped;
3. quality screening: per-lead quality and the record-level refusals
   (:func:`screen_leads`), all-lead dropout gaps (:func:`name_dropout_gaps`), stretches
   noisy in every lead (:func:`screen_noisy_stretches`), at least one usable lead
   (:func:`require_usable_lead`), the limb-lead identities
   (:func:`~interp_ecg.features.quality.limb_lead_identity`);
4. delineation of the usable leads (:func:`delineate_usable_leads`), with the small spikes
   the delineator removed taken out of the measured signal too
   (:func:`merge_delineator_spikes`);
5. beat classification and the beats kept for the medians (:func:`classify_record_beats`);
6. measurements: rate, rhythm and counts (:func:`rate_and_rhythm`), consensus intervals
   and QT dispersion (:func:`interval_measurements`), median beats and per-lead amplitudes,
   axes and indices (:func:`lead_measurements`), the samples each traced interval was
   measured between (:func:`traced_interval_columns`);
7. record-level flags and reasons (:func:`record_reason`) and the assembled row.

A record that cannot be measured raises an :mod:`interp_ecg.errors` error naming it
(``source``); the batch layer (:mod:`~interp_ecg.features.extract`) turns it into a row with
``quality_ok`` False.

Examples
--------
>>> from interp_ecg.features.record_measure import measure_record
>>> from interp_ecg.simulate import simulate_record
>>> from interp_ecg.io.leads import STANDARD_LEADS
>>> x, _, _ = simulate_record("normal", random_state=0)
>>> row, prov, extras = measure_record(x, 500.0, list(STANDARD_LEADS), "sim0", None, 3)
>>> bool(row["quality_ok"]), bool(40 < row["heart_rate_bpm"] < 120)
(True, True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.errors import DelineationError, InterpEcgError, SignalQualityError
from interp_ecg.features import measurements as M
from interp_ecg.features.beat_classes import (
    NOISE_LABEL,
    NOISE_STRETCH_BLOCK_S,
    NOISE_STRETCH_CUTOFF_HZ,
    NOISE_STRETCH_HF_SD_MV,
    NOISE_STRETCH_LOCAL_RATIO,
    QRS_WINDOW_S,
    classify_beats,
    frequent_ectopy_regular,
    no_dominant_reason,
    noisy_stretches,
)
from interp_ecg.features.dictionary import column_types
from interp_ecg.features.median_beat import (
    POST_S,
    PRE_S,
    BeatTable,
    TP_RESIDUAL_MAX_MV,
    FidArrays,
    isoelectric_baseline,
    median_beat,
    median_beat_anchors,
    median_beat_p_wave,
    relative_fiducials,
    tp_segment_residual,
    wander_unfollowed_note,
)
from interp_ecg.features.delineation.stages import P_HIDDEN_IN_T, P_ON_FUSED  # T-P fusion reasons
from interp_ecg.features.pacing import pacing_note, pacing_summary, remove_pacing_spikes, strip_pacing_spikes
from interp_ecg.features.quality import (
    amplitude_check,
    dropout_note,
    flat_segment_check,
    invalid_dropout_gaps,
    invalid_sample_policy,
    lead_quality,
    limb_identity_note,
    limb_identity_suspects,
    limb_lead_identity,
    limb_reversal_suspected,
    mask_flat_segments,
    polarity_inversion_suspected,
    record_dropout_gaps,
    remove_mains,
    scale_note,
    summarise_quality,
    units_check,
)
from interp_ecg.features.rhythm import (
    QTC_FEATURES,
    beat_counts,
    qtc_rhythm_note,
    recorded_duration_s,
    rr_features,
)
from interp_ecg.io.leads import STANDARD_LEADS

__all__ = [
    "QT_DISPERSION_MIN_LEADS",
    "EDGE_PEAK_MS",
    "BeatStage",
    "ConditionedSignal",
    "InvalidSamples",
    "Method",
    "apply_invalid_sample_policy",
    "beat_p_waves",
    "edge_cut_beats",
    "classify_record_beats",
    "condition_signal",
    "delineate_usable_leads",
    "delineate_with",
    "empty_row",
    "interval_measurements",
    "lead_measurements",
    "measure_record",
    "merge_delineator_spikes",
    "name_dropout_gaps",
    "p_not_time_locked_note",
    "rate_and_rhythm",
    "record_reason",
    "require_usable_lead",
    "screen_leads",
    "screen_noisy_stretches",
    "traced_interval_columns",
]

#: A beat whose anchor lies in the last this many ms of the record, with its QRS offset not
#: found, may have its R peak after the record's end: no RR interval is taken to it
#: (:func:`edge_cut_beats`).
EDGE_PEAK_MS = 10.0
#: fewest leads with a measurable QT for QT_dispersion_ms (see the feature dictionary)
QT_DISPERSION_MIN_LEADS = 8

#: a delineation method: a name for :func:`~interp_ecg.features.delineate`, a callable
#: ``f(signal, fs, leads) -> DataFrame``, or None (the delineator's default)
Method = str | Callable[..., pd.DataFrame] | None

#: the delineator's beat reason when no P wave is time-locked to the QRS complexes
#: (delineation.stages.p_stage)
NO_LOCKED_P = "no P wave time-locked to the QRS"


# --------------------------------------------------------------------------- small helpers
def empty_row() -> dict[str, Any]:
    """A record row of the feature dictionary's columns: floats NaN, strings ``""``, flags False.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.record_measure import empty_row
    >>> row = empty_row()
    >>> row["quality_ok"], row["quality_reason"], bool(np.isnan(row["heart_rate_bpm"]))
    (False, '', True)
    """
    floats, strings, bools = column_types()
    row: dict[str, Any] = dict.fromkeys(floats, np.nan)
    row.update(dict.fromkeys(strings, ""))
    row.update(dict.fromkeys(bools, False))
    return row


def delineate_with(signal: np.ndarray, fs: float, leads: list[str], method: Method,
                   return_reasons: bool = False) -> pd.DataFrame:
    """Delineate with ``method``.

    ``return_reasons`` asks the package's delineator for its ``reason`` column (why a wave
    of a beat is NaN). A callable ``method`` is called as ``f(signal, fs, leads)`` and gives
    a ``reason`` column only if it makes one.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV.
    fs : float
        Sampling rate (Hz).
    leads : list of str
        Lead names of the rows of ``signal``.
    method : str, callable or None
        See :data:`Method`.
    return_reasons : bool, default False
        Ask the package's delineator for its ``reason`` column.

    Returns
    -------
    pandas.DataFrame
        The table of :func:`~interp_ecg.features.delineate`.

    Examples
    --------
    >>> from interp_ecg.features.record_measure import delineate_with
    >>> import pandas as pd
    >>> delineate_with(None, 500.0, ["II"], lambda x, fs, leads: pd.DataFrame({"lead": leads}))
      lead
    0   II
    """
    if callable(method):
        return method(signal, fs, leads)
    from interp_ecg.features.delineation import delineate

    if method is None:
        return delineate(signal, fs, leads=leads, return_reasons=return_reasons)
    return delineate(signal, fs, leads=leads, method=method, return_reasons=return_reasons)


def _runs_mask(n: int, runs: Sequence[tuple[int, int]] | np.ndarray, value: bool) -> np.ndarray:
    """``(n,)`` bool: ``value`` inside the ``[a, b)`` runs, ``not value`` elsewhere."""
    mask = np.full(n, not value, bool)
    for a, b in runs:
        mask[a:b] = value
    return mask


# --------------------------------------------------------------------------- 1. input policy
@dataclass
class InvalidSamples:
    """What the invalid-sample policy did to a record (:func:`apply_invalid_sample_policy`)."""

    signal: np.ndarray
    """``(n_leads, n_samples)`` float32: short gaps bridged, other invalid samples 0 (the
    input array itself when every sample is finite)."""
    invalid: np.ndarray
    """``(n_leads,)`` bool: leads set aside for invalid samples."""
    bridged_leads: list[str]
    """Leads whose short runs of invalid samples were bridged."""
    nan_gaps: np.ndarray
    """``(n_gaps, 2)`` int64 ``[start, end)`` runs invalid in every lead at once."""


def apply_invalid_sample_policy(signal: np.ndarray, fs: float, leads: list[str]) -> InvalidSamples:
    """Stage 1: the package's policy for invalid (NaN/inf) samples.

    Short gaps are bridged and named, leads with long gaps set aside, and runs invalid in
    every lead at once are found (all-lead dropout gaps, as the same run of zeros is:
    bridged, named, the RR across them left out, counts over the recorded time). See
    :func:`~interp_ecg.features.quality.invalid_sample_policy`.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV, possibly with NaN/inf samples.
    fs : float
        Sampling rate (Hz).
    leads : list of str
        Lead names.

    Returns
    -------
    InvalidSamples

    Examples
    --------
    >>> from interp_ecg.features.record_measure import apply_invalid_sample_policy
    >>> import numpy as np
    >>> x = np.zeros((2, 5000), np.float32); x[0, 100:103] = np.nan
    >>> out = apply_invalid_sample_policy(x, 500.0, ["I", "II"])
    >>> out.bridged_leads, out.invalid.tolist(), bool(np.isfinite(out.signal).all())
    (['I'], [False, False], True)
    """
    if np.isfinite(signal).all():
        return InvalidSamples(signal, np.zeros(signal.shape[0], bool), [], np.zeros((0, 2), np.int64))
    nan_gaps = invalid_dropout_gaps(signal, fs)
    rep, _, gap_status = invalid_sample_policy(signal, fs, leads)
    invalid = np.array([st.startswith("set aside") for st in gap_status])
    bridged = [ld for ld, st in zip(leads, gap_status) if st.startswith("bridged")]
    return InvalidSamples(np.where(np.isfinite(rep), rep, 0.0).astype(np.float32), invalid, bridged, nan_gaps)


# --------------------------------------------------------------------------- 2. conditioning
@dataclass
class ConditionedSignal:
    """The signal after :func:`condition_signal`."""

    signal: np.ndarray
    """``(n_leads, n_samples)``: bridged, mains notched, pacemaker spikes removed."""
    raw: np.ndarray
    """As ``signal`` but NaN where the input sample was invalid (what the delineator gets:
    it bridges short gaps itself and places no fiducial on them)."""
    before_mains: np.ndarray
    """The bridged signal before the mains notch (the limb-lead identities and the
    dropout gaps are judged on it)."""
    mains: dict[str, float]
    """``"{lead} {50 or 60} Hz"`` -> amplitude (mV) of each interference notched out."""
    spikes: pd.DataFrame
    """Pacemaker spike table (:func:`~interp_ecg.features.pacing.strip_pacing_spikes`)."""


def condition_signal(raw: np.ndarray, bridged: np.ndarray, fs: float, leads: list[str],
                     src: str) -> ConditionedSignal:
    """Stage 2: units check, mains notch and pacemaker-spike removal.

    A record that cannot be a surface ECG in mV (microvolts, ADC counts) is refused. Mains
    interference (50/60 Hz) is found per lead and notched out of those leads only, before
    anything measures the signal (:func:`~interp_ecg.features.quality.remove_mains`).
    Pacemaker spikes are found on the (bridged) signal and removed, so that nothing
    downstream takes a spike for a wave.

    Parameters
    ----------
    raw : numpy.ndarray
        ``(n_leads, n_samples)`` as given, NaN/inf where invalid.
    bridged : numpy.ndarray
        ``InvalidSamples.signal`` of ``raw``.
    fs : float
        Sampling rate (Hz).
    leads : list of str
        Lead names.
    src : str
        The record's name, for errors.

    Returns
    -------
    ConditionedSignal

    Raises
    ------
    SignalQualityError
        The record is not in mV.

    Examples
    --------
    >>> from interp_ecg.features.record_measure import condition_signal
    >>> import numpy as np
    >>> x = np.zeros((1, 5000), np.float32)
    >>> c = condition_signal(x, x, 500.0, ["II"], "rec1")
    >>> c.mains, len(c.spikes)
    ({}, 0)
    """
    why_units = units_check(bridged)
    if why_units:
        raise SignalQualityError(why_units, source=src)
    signal, mains = remove_mains(bridged, fs, leads)
    signal, spikes = strip_pacing_spikes(signal, fs, leads)
    raw = signal if np.isfinite(raw).all() else np.where(np.isfinite(raw), signal, np.nan)
    return ConditionedSignal(signal, raw, bridged, mains, spikes)


# --------------------------------------------------------------------------- 3. quality screening
def screen_leads(signal: np.ndarray, fs: float, leads: list[str], invalid: np.ndarray,
                 src: str) -> tuple[pd.DataFrame, str]:
    """Stage 3a: per-lead quality, and the record-level refusals it supports.

    A record far larger than any surface ECG (gain or units error) is refused; so is one in
    which every lead is flat over half the record or more (lead off); leads that went flat
    part-way are named in the note.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` conditioned signal (mV).
    fs : float
        Sampling rate (Hz).
    leads : list of str
        Lead names.
    invalid : numpy.ndarray
        ``(n_leads,)`` bool, leads set aside for invalid samples.
    src : str
        The record's name, for errors.

    Returns
    -------
    q : pandas.DataFrame
        :func:`~interp_ecg.features.quality.lead_quality` of the record.
    flat_note : str
        The flat-segment note for ``quality_reason`` (``""`` when none).

    Raises
    ------
    SignalQualityError
        Amplitude beyond any surface ECG; every lead flat over half the record.

    Examples
    --------
    >>> from interp_ecg.features.record_measure import screen_leads
    >>> import numpy as np
    >>> x = np.zeros((1, 5000), np.float32)
    >>> q, note = screen_leads(x, 500.0, ["II"], np.zeros(1, bool), "rec1")
    >>> bool(q.loc["II", "flat"]), bool(q.loc["II", "usable"]), note
    (True, False, '')
    """
    q = lead_quality(signal, fs, leads, invalid=invalid)
    why_amp = amplitude_check(q)
    if why_amp:
        raise SignalQualityError(why_amp, source=src)
    why_flat, flat_note = flat_segment_check(q)
    if why_flat:
        raise SignalQualityError(why_flat, source=src)
    return q, flat_note


def name_dropout_gaps(q: pd.DataFrame, before_mains: np.ndarray, fs: float, notched: bool,
                      nan_gaps: np.ndarray) -> str:
    """Stage 3b: the all-lead dropout gaps, stored in ``q.attrs``, and their note.

    Every lead still at once, even under 1 s: named, and the RR intervals spanning them
    are left out of the rate and HRV. When mains was notched the gaps are found again on
    the signal before the notch (the notch rings into a gap of zeros). Runs invalid in
    every lead (``nan_gaps``) replace the still runs found on their bridged stretch and
    are stored as ``invalid_dropout_gaps`` (inside the record) and ``invalid_edge_runs``
    (touching its start or end). Updates ``q.attrs`` in place.

    Parameters
    ----------
    q : pandas.DataFrame
        :func:`~interp_ecg.features.quality.lead_quality` table (its ``attrs`` updated).
    before_mains : numpy.ndarray
        ``(n_leads, n_samples)`` bridged signal before the mains notch.
    fs : float
        Sampling rate (Hz).
    notched : bool
        Whether any lead was notched for mains interference.
    nan_gaps : numpy.ndarray
        ``(n_gaps, 2)`` runs invalid in every lead (:class:`InvalidSamples`).

    Returns
    -------
    str
        :func:`~interp_ecg.features.quality.dropout_note` (``""`` when there is no gap).

    Examples
    --------
    >>> from interp_ecg.features.record_measure import name_dropout_gaps
    >>> import numpy as np, pandas as pd
    >>> q = pd.DataFrame(index=["I"]); q.attrs["dropout_gaps"] = [(10, 20)]
    >>> _ = name_dropout_gaps(q, np.zeros((1, 100)), 500.0, False, np.array([[5, 30]]))
    >>> q.attrs["dropout_gaps"], q.attrs["invalid_dropout_gaps"], q.attrs["invalid_edge_runs"]
    ([], [(5, 30)], [])
    """
    if notched:
        record_dropout_gaps(q, before_mains, fs)
    if len(nan_gaps):
        n_all = before_mains.shape[1]
        inside = _runs_mask(n_all, nan_gaps, True)
        # a still run found on the bridged stretch is the same gap: named once
        q.attrs["dropout_gaps"] = [(a, b) for a, b in q.attrs.get("dropout_gaps", []) if not inside[a:b].any()]
        q.attrs["invalid_dropout_gaps"] = [(int(a), int(b)) for a, b in nan_gaps if a > 0 and b < n_all]
        q.attrs["invalid_edge_runs"] = [(int(a), int(b)) for a, b in nan_gaps if a == 0 or b == n_all]
    return dropout_note(q, fs)


def screen_noisy_stretches(signal: np.ndarray, fs: float, leads: list[str], q: pd.DataFrame,
                           invalid: np.ndarray) -> np.ndarray:
    """Stage 3c: stretches in which every candidate lead is noisy at once.

    Candidates are the leads not flat, clipped, off scale or set aside. Their beats are later
    labelled ``"noise"`` and left out of the rate, RR and beat counts
    (:func:`~interp_ecg.features.beat_classes.noisy_stretches`). While the stretches leave at
    least half the record (and 2 s) the leads are judged noisy or not on the rest of it (a
    2-s burst sets aside a stretch, not the leads): ``q["noisy"]`` and ``q["usable"]`` are
    then updated in place.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` conditioned signal (mV).
    fs : float
        Sampling rate (Hz).
    leads : list of str
        Lead names.
    q : pandas.DataFrame
        :func:`~interp_ecg.features.quality.lead_quality` table.
    invalid : numpy.ndarray
        ``(n_leads,)`` bool, leads set aside for invalid samples.

    Returns
    -------
    numpy.ndarray
        ``(n_runs, 2)`` int64 ``[start, end)`` sample runs.

    Examples
    --------
    >>> from interp_ecg.features.record_measure import screen_noisy_stretches
    >>> import numpy as np, pandas as pd
    >>> q = pd.DataFrame({"flat": [True], "clipped": [False], "invalid": [False], "scale": [False]},
    ...                  index=["II"])
    >>> screen_noisy_stretches(np.zeros((1, 5000)), 500.0, ["II"], q, np.zeros(1, bool)).shape
    (0, 2)
    """
    cand = ~(q["flat"] | q["clipped"] | q["invalid"] | q["scale"]).to_numpy()
    noise_runs = noisy_stretches(signal[cand], fs) if cand.any() else np.zeros((0, 2), np.int64)
    if len(noise_runs):
        rest = _runs_mask(signal.shape[1], noise_runs, False)
        if rest.sum() >= max(0.5 * rest.size, 2 * fs):  # lead_quality measures noise on >= 2 s
            q_rest = lead_quality(signal[:, rest], fs, leads, invalid=invalid)
            q["noisy"] = q_rest["noisy"].to_numpy() & cand
            q["usable"] = cand & ~q["noisy"].to_numpy()
    return noise_runs


def require_usable_lead(q: pd.DataFrame, invalid: np.ndarray, src: str) -> np.ndarray:
    """Stage 3d: the usable leads; a record without one is refused.

    Parameters
    ----------
    q : pandas.DataFrame
        :func:`~interp_ecg.features.quality.lead_quality` table.
    invalid : numpy.ndarray
        ``(n_leads,)`` bool, leads set aside for invalid samples.
    src : str
        The record's name, for the error.

    Returns
    -------
    numpy.ndarray
        ``(n_leads,)`` bool.

    Raises
    ------
    SignalQualityError
        No usable lead (the message lists the flat, clipped, noisy and invalid ones).

    Examples
    --------
    >>> from interp_ecg.features.record_measure import require_usable_lead
    >>> import numpy as np, pandas as pd
    >>> q = pd.DataFrame({"usable": [True, False], "flat": [False, True], "clipped": False,
    ...                   "noisy": False}, index=["I", "II"])
    >>> require_usable_lead(q, np.zeros(2, bool), "rec1").tolist()
    [True, False]
    """
    usable = q["usable"].to_numpy()
    if not usable.any():
        raise SignalQualityError(
            f"no usable lead: flat {list(q.index[q['flat']])}, clipped {list(q.index[q['clipped']])}, "
            f"noisy (noise above 40 Hz over 25 % of the ECG band) {list(q.index[q['noisy']])}, "
            f"invalid samples {list(q.index[invalid])}",
            source=src,
        )
    return usable


# --------------------------------------------------------------------------- 4. delineation
def delineate_usable_leads(raw: np.ndarray, fs: float, use_idx: np.ndarray, use_leads: list[str],
                           noise_runs: np.ndarray, method: Method, src: str) -> pd.DataFrame:
    """Stage 4: delineate the usable leads, with the delineator's reasons.

    The noisy stretches reach the delineator as a straight line between the samples either
    side: no beat is detected in them, and their noise peaks do not raise the QRS detector's
    reference over the rest of the record (a 0.5 mV motion burst hid a clean beat 1 s after
    it). With ``return_reasons`` why a wave of a beat is NaN is said from the very
    delineation the intervals are measured on.

    Parameters
    ----------
    raw : numpy.ndarray
        ``(n_leads, n_samples)`` conditioned signal, NaN where invalid.
    fs : float
        Sampling rate (Hz).
    use_idx : numpy.ndarray
        Row indices of the usable leads.
    use_leads : list of str
        Their names.
    noise_runs : numpy.ndarray
        ``(n_runs, 2)`` stretches noisy in every lead.
    method : str, callable or None
        See :data:`Method`.
    src : str
        The record's name, for errors.

    Returns
    -------
    pandas.DataFrame
        The delineation table (a ``lead`` column and the fiducials).

    Raises
    ------
    InterpEcgError
        From the delineator, named after the record when it did not know it.
    DelineationError
        Any other failure of the delineator, or no table.

    Examples
    --------
    >>> from interp_ecg.features.record_measure import delineate_usable_leads
    >>> import numpy as np
    >>> delineate_usable_leads(np.zeros((1, 1000)), 500.0, np.array([0]), ["II"], np.zeros((0, 2)),
    ...                        lambda x, fs, leads: None, "rec1")
    Traceback (most recent call last):
    ...
    interp_ecg.errors.DelineationError: rec1: delineation returned no table
    """
    try:
        to_delineate = raw[use_idx]
        if len(noise_runs):
            to_delineate = to_delineate.copy()
            for a, b in noise_runs:
                left, right = max(a - 1, 0), min(b, to_delineate.shape[1] - 1)
                w = (np.arange(a, b) - left) / max(right - left, 1)
                to_delineate[:, a:b] = (to_delineate[:, [left]] * (1 - w) + to_delineate[:, [right]] * w)
        fid = delineate_with(to_delineate, fs, use_leads, method, return_reasons=True)
    except InterpEcgError as err:
        if err.source:
            raise
        # errors from inside the delineator do not know the record: name it
        raise type(err)(err.reason, source=src) from err
    except Exception as err:  # a delineator bug must not look like a crash of the caller
        raise DelineationError(f"delineation failed: {type(err).__name__}: {err}", source=src) from err
    if fid is None or "lead" not in fid.columns:
        raise DelineationError("delineation returned no table", source=src)
    return fid


def _delineator_spikes(fid: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """The spikes of ``fid.attrs["pacing_spike_table"]`` that ``known`` does not hold
    (within one sample), as a spike table."""
    rows = pd.DataFrame(list(fid.attrs.get("pacing_spike_table", [])), columns=list(known.columns))
    if rows.empty or not len(known):
        return rows.astype(known.dtypes.to_dict())
    old = known["sample"].to_numpy(float)
    new = np.abs(rows["sample"].to_numpy(float)[:, None] - old[None, :]).min(axis=1) > 1
    return rows[new].reset_index(drop=True).astype(known.dtypes.to_dict())


def merge_delineator_spikes(signal: np.ndarray, fs: float, use_idx: np.ndarray, fid: pd.DataFrame,
                            spikes: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Stage 4b: the small pacemaker spikes the delineator removed, removed here too.

    The delineator removes spikes time-locked to the QRS complexes
    (``fid.attrs["pacing_spike_table"]``), which
    :func:`~interp_ecg.features.pacing.strip_pacing_spikes` does not look for. Those not
    already in ``spikes`` (within one sample) are removed from the usable leads of the
    signal the waves are measured on, and added to the spike table (sorted by sample).

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` conditioned signal (not modified).
    fs : float
        Sampling rate (Hz).
    use_idx : numpy.ndarray
        Row indices of the usable (delineated) leads.
    fid : pandas.DataFrame
        The delineation table.
    spikes : pandas.DataFrame
        Spike table of :func:`~interp_ecg.features.pacing.strip_pacing_spikes`.

    Returns
    -------
    signal : numpy.ndarray
        A copy without the new spikes, or ``signal`` itself when there is none.
    spikes : pandas.DataFrame
        The spike table with the new spikes.

    Examples
    --------
    >>> from interp_ecg.features.record_measure import merge_delineator_spikes
    >>> import numpy as np, pandas as pd
    >>> x = np.zeros((1, 100), np.float32)
    >>> known = pd.DataFrame({"sample": pd.Series([], dtype="int64")})
    >>> y, s = merge_delineator_spikes(x, 500.0, np.array([0]), pd.DataFrame(), known)
    >>> y is x, len(s)
    (True, 0)
    """
    extra = _delineator_spikes(fid, spikes)
    if len(extra):
        signal = signal.copy()
        signal[use_idx] = remove_pacing_spikes(signal[use_idx], fs, extra)
        spikes = (pd.concat([spikes, extra], ignore_index=True) if len(spikes) else extra)
        spikes = spikes.sort_values("sample").reset_index(drop=True)
    return signal, spikes


# --------------------------------------------------------------------------- 5. beats
def _beats_in_flat_segments(beats: pd.DataFrame, q: pd.DataFrame, leads: list[str], fs: float) -> np.ndarray:
    """``(n_beats,)`` True for the beats whose median-beat window (``PRE_S`` before to
    ``POST_S`` after the aligned anchor) overlaps a flat segment of one of ``leads``."""
    runs = [ab for ld in leads for ab in q.attrs.get("flat_segment_runs", {}).get(ld, [])]
    anchor = beats["anchor_aligned"].to_numpy(dtype=float) if len(beats) else np.zeros(0)
    if not runs or not anchor.size:
        return np.zeros(anchor.size, bool)
    r = np.asarray(runs, dtype=float)
    lo, hi = anchor - PRE_S * fs, anchor + POST_S * fs
    return ((r[None, :, 0] < hi[:, None]) & (r[None, :, 1] > lo[:, None])).any(axis=1)


@dataclass
class BeatStage:
    """The beats of a record (:func:`classify_record_beats`)."""

    fa: FidArrays
    """The delineation as arrays."""
    recorded: np.ndarray
    """``(n_leads, n_samples)``: the signal with each lead's flat segments NaN."""
    table: BeatTable
    """Every beat, classified."""
    in_noise: np.ndarray
    """``(n_beats,)`` bool: beats labelled noise."""
    edge: np.ndarray
    """``(n_beats,)`` bool: beats cut by the record edge."""
    table_med: BeatTable
    """``table`` with ``dominant`` restricted to the beats the medians take."""
    noise_note: str
    """The noisy-stretch note for ``quality_reason`` (``""`` when none)."""
    flat_med_note: str
    """The note on dominant beats left out for reaching a flat segment (``""`` when none)."""


def classify_record_beats(signal: np.ndarray, fs: float, q: pd.DataFrame, use_idx: np.ndarray,
                          use_leads: list[str], fid: pd.DataFrame, spikes: pd.DataFrame,
                          noise_runs: np.ndarray, min_beats: int, src: str) -> BeatStage:
    """Stage 5: classify the beats and choose those the record-level medians take.

    A lead's flat segments (lead off part-way) are NaN, so the beats there give that lead no
    measurement. Beats cut by the record edge count as beats (rate, rhythm) but are kept out
    of the medians; so are dominant beats whose median-beat window reaches a flat segment of
    a measured lead, while at least ``min_beats`` fully recorded ones remain.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` conditioned signal (mV).
    fs : float
        Sampling rate (Hz).
    q : pandas.DataFrame
        Lead quality table.
    use_idx : numpy.ndarray
        Row indices of the usable leads.
    use_leads : list of str
        Their names.
    fid : pandas.DataFrame
        The delineation table.
    spikes : pandas.DataFrame
        Pacemaker spike table.
    noise_runs : numpy.ndarray
        ``(n_runs, 2)`` stretches noisy in every lead.
    min_beats : int
        Fewest beats (outside noisy stretches) measured.
    src : str
        The record's name, for errors.

    Returns
    -------
    BeatStage

    Raises
    ------
    DelineationError
        Fewer than ``min_beats`` beats.

    Examples
    --------
    >>> from interp_ecg.features.record_measure import classify_record_beats
    >>> import numpy as np, pandas as pd
    >>> from interp_ecg.features.delineation import delineate
    >>> from interp_ecg.features.quality import lead_quality
    >>> from interp_ecg.simulate import simulate_record
    >>> x = simulate_record("normal", random_state=0)[0][[1]]
    >>> fid, q = delineate(x, 500.0, leads=["II"]), lead_quality(x, 500.0, ["II"])
    >>> spikes = pd.DataFrame({"sample": pd.Series([], dtype="int64")})
    >>> st = classify_record_beats(x, 500.0, q, np.array([0]), ["II"], fid, spikes,
    ...                            np.zeros((0, 2), np.int64), 3, "sim0")
    >>> bool(st.table.beats["dominant"].sum() >= 3), st.noise_note
    (True, '')
    """
    fa = FidArrays.from_frame(fid)
    recorded = mask_flat_segments(signal, q)
    table = classify_beats(recorded[use_idx], fs, fa, usable=np.ones(len(use_idx), bool),
                           pacing_spikes=spikes["sample"].to_numpy() if len(spikes) else None,
                           noisy_runs=noise_runs)
    in_noise = (table.beats["label"] == NOISE_LABEL).to_numpy()
    noise_note = ""
    if len(noise_runs):
        noise_note = (f"stretch(es) noisy in every lead (content above {NOISE_STRETCH_CUTOFF_HZ:g} Hz with a "
                      f"robust SD over {NOISE_STRETCH_HF_SD_MV:g} mV and {NOISE_STRETCH_LOCAL_RATIO:g} times the "
                      f"lead's median per {NOISE_STRETCH_BLOCK_S:g} s) left out of the rate, RR and beat counts, "
                      f"no beat detected in them and {int(in_noise.sum())} beat(s) reaching into them left "
                      f"unclassified: " + ", ".join(f"{a / fs:.2f}-{b / fs:.2f} s" for a, b in noise_runs))
    n_beats = int((~in_noise).sum())
    if n_beats < min_beats:
        raise DelineationError(f"too few beats: {n_beats} found, at least {min_beats} needed", source=src)
    edge = table.beats.index.isin(list(fid.attrs.get("edge_beats", [])))
    dom_med = table.beats["dominant"].to_numpy() & ~edge
    in_flat = _beats_in_flat_segments(table.beats, q, use_leads, fs)
    flat_med_note = ""
    if (dom_med & in_flat).any() and (dom_med & ~in_flat).sum() >= min_beats:
        flat_med_note = (f"{int((dom_med & in_flat).sum())} dominant beat(s) reaching a lead's flat segment left "
                         f"out of the medians ({int((dom_med & ~in_flat).sum())} fully recorded beats kept)")
        dom_med = dom_med & ~in_flat
    table_med = BeatTable(beats=table.beats.assign(dominant=dom_med), fiducials=table.fiducials)
    return BeatStage(fa, recorded, table, in_noise, edge, table_med, noise_note, flat_med_note)


# --------------------------------------------------------------------------- 6. measurements
def edge_cut_beats(table: BeatTable, fs: float, n_samples: int) -> np.ndarray:
    """The beats whose QRS the record edge cuts, so that their R position is not known.

    A beat at the record's start whose compared QRS window (from
    :data:`~interp_ecg.features.beat_classes.QRS_WINDOW_S` [0] before its anchor) begins
    before the first sample and whose QRS onset was not found: the start of its QRS lies
    before the record, and its anchor is where the delineator saw the part inside, not
    necessarily the R peak (simulated 120 bpm, 2.5 s: R at -6 ms, anchor at +26 ms, first
    RR 480 ms for about 514). At the end the QRS onset and upstroke are seen, so the R
    peak is known unless the anchor lies in the last :data:`EDGE_PEAK_MS` (10 ms) with the
    QRS offset not found (LUDB 90: anchor on the last sample, RR 495 ms in a 1000 ms
    rhythm). The rule is conservative at the start: a beat whose R is inside but whose
    onset was not found loses its interval too (CinC E07507: 891 ms against a median
    890 ms).

    Parameters
    ----------
    table : BeatTable
        The beat table (``anchor_exact``, else ``anchor_aligned``; fiducials ``QRS_on``
        and ``QRS_off``).
    fs : float
        Sampling rate (Hz).
    n_samples : int
        Length of the record.

    Returns
    -------
    numpy.ndarray of bool
        ``(n_beats,)``.

    Examples
    --------
    >>> from interp_ecg.features.record_measure import edge_cut_beats
    >>> from interp_ecg.features.median_beat import BeatTable
    >>> import pandas as pd
    >>> nan = float("nan")
    >>> t = BeatTable(beats=pd.DataFrame({"anchor_exact": [13.0, 253.0, 1220.0, 1248.0]}),
    ...               fiducials=pd.DataFrame({"QRS_on": [nan, 229.0, 1196.0, 1230.0],
    ...                                       "QRS_off": [27.0, 281.0, nan, nan]}))
    >>> edge_cut_beats(t, 500.0, 1250).tolist()
    [True, False, False, True]
    """
    b = table.beats
    a = (b["anchor_exact"] if "anchor_exact" in b else b["anchor_aligned"]).to_numpy(dtype=float)
    f = table.fiducials
    on = f["QRS_on"].to_numpy(dtype=float) if "QRS_on" in f else np.full(a.size, np.nan)
    off = f["QRS_off"].to_numpy(dtype=float) if "QRS_off" in f else np.full(a.size, np.nan)
    start = (a + QRS_WINDOW_S[0] * fs < 0) & ~np.isfinite(on)
    end = (a > n_samples - 1 - EDGE_PEAK_MS * fs / 1000.0) & ~np.isfinite(off)
    return start | end


def beat_p_waves(table: BeatTable) -> np.ndarray | None:
    """Which beats have a consensus P wave, as ``P_wave_presence_fraction`` counts them.

    Parameters
    ----------
    table : BeatTable
        The beat table (its ``fiducials`` ``P_peak`` and ``P_on``).

    Returns
    -------
    numpy.ndarray of bool or None
        ``(n_beats,)`` ``True`` where ``P_peak`` or ``P_on`` is found; ``None`` when the
        table has no P-wave columns.

    Examples
    --------
    >>> from interp_ecg.features.record_measure import beat_p_waves
    >>> from interp_ecg.features.median_beat import BeatTable
    >>> import pandas as pd
    >>> t = BeatTable(beats=pd.DataFrame({"dominant": [True, True]}),
    ...               fiducials=pd.DataFrame({"P_peak": [10.0, float("nan")], "P_on": [float("nan")] * 2}))
    >>> beat_p_waves(t).tolist()
    [True, False]
    """
    fids = table.fiducials
    if not {"P_peak", "P_on"} <= set(fids.columns):
        return None
    return np.isfinite(fids["P_peak"].to_numpy(dtype=float)) | np.isfinite(fids["P_on"].to_numpy(dtype=float))


def rate_and_rhythm(table: BeatTable, in_noise: np.ndarray, q: pd.DataFrame, noise_runs: np.ndarray,
                    fs: float, n_samples: int) -> tuple[dict[str, float], list[str]]:
    """Stage 6a: rate, RR and HRV features and the beat counts per minute.

    The RR intervals spanning a dropout gap, an all-lead invalid run or a noisy stretch are
    left out (:func:`~interp_ecg.features.rhythm.rr_features` ``gaps=``); counts per minute
    are over the recorded time (without those and the stretches in which every lead is
    flat), of the beats outside the noisy stretches.

    Parameters
    ----------
    table : BeatTable
        Every beat, classified.
    in_noise : numpy.ndarray
        ``(n_beats,)`` bool, beats labelled noise.
    q : pandas.DataFrame
        Lead quality table (its ``attrs`` hold the gaps).
    noise_runs : numpy.ndarray
        ``(n_runs, 2)`` stretches noisy in every lead.
    fs : float
        Sampling rate (Hz).
    n_samples : int
        Length of the record.

    Returns
    -------
    values : dict
        The rhythm columns and the beat-count columns, in that order.
    hrv_notes : list of str
        Why HRV values are NaN.

    Examples
    --------
    >>> from interp_ecg.features.record_measure import rate_and_rhythm
    >>> import numpy as np, pandas as pd
    >>> from interp_ecg.features.median_beat import FIDUCIALS, BeatTable
    >>> beats = pd.DataFrame({"anchor_aligned": np.arange(250, 5000, 500), "dominant": True,
    ...                       "label": "N"})
    >>> t = BeatTable(beats=beats, fiducials=pd.DataFrame(np.nan, index=beats.index, columns=FIDUCIALS))
    >>> v, _ = rate_and_rhythm(t, np.zeros(10, bool), pd.DataFrame(), np.zeros((0, 2)), 500.0, 5000)
    >>> round(v["heart_rate_bpm"], 1)
    60.0
    """
    beats = table.beats
    gaps = np.asarray([*q.attrs.get("dropout_gaps", []), *q.attrs.get("invalid_dropout_gaps", []),
                       *map(tuple, noise_runs)], dtype=float).reshape(-1, 2)
    p_wave = beat_p_waves(table)  # NN intervals need sinus beats
    # a beat cut by the record edge before its QRS onset (after its offset) has no known R
    # position: no RR interval is taken to it (it still counts as a beat)
    cut = edge_cut_beats(table, fs, n_samples)
    keep = ~cut
    rr_values, hrv_notes = rr_features(beats["anchor_aligned"].to_numpy()[keep], fs,
                                       beats["dominant"].to_numpy()[keep], return_reasons=True,
                                       paced=beats["paced"].to_numpy(dtype=bool)[keep] if "paced" in beats else None,
                                       gaps=gaps, p_wave=None if p_wave is None else p_wave[keep])
    if cut.any():
        hrv_notes.insert(0, f"rate, RR and heart-rate variability: {int(cut.sum())} beat(s) cut by the record edge "
                            f"through their QRS (no QRS onset or offset found there) left out of the RR intervals: "
                            f"their R peak position is not known")
    values = dict(rr_values)
    unrecorded = [*q.attrs.get("dropout_gaps", []), *q.attrs.get("invalid_dropout_gaps", []),
                  *q.attrs.get("invalid_edge_runs", []),
                  *q.attrs.get("flat_all_leads_runs", []),
                  *map(tuple, noise_runs)]
    counted = BeatTable(beats=table.beats[~in_noise], fiducials=table.fiducials[~in_noise])
    values.update(beat_counts(counted, recorded_duration_s(n_samples, fs, unrecorded)))
    return values, hrv_notes


def interval_measurements(table_med: BeatTable, fa: FidArrays, fs: float, rr_mean_ms: float,
                          qtc_note: str = "") -> tuple[dict[str, float], pd.DataFrame, str]:
    """Stage 6b: consensus intervals, QTc and QT dispersion.

    QT dispersion is defined over the 12-lead ECG (Day et al. 1990); it is reported only
    with at least :data:`QT_DISPERSION_MIN_LEADS` measurable leads, else NaN with the
    reason returned as the note.

    Parameters
    ----------
    table_med : BeatTable
        Beats, ``dominant`` marking those the medians take.
    fa : FidArrays
        The delineation as arrays.
    fs : float
        Sampling rate (Hz).
    rr_mean_ms : float
        Mean RR interval (ms), for the QTc formulas.
    qtc_note : str, default ""
        Why the QTc columns are not computed (an irregular rhythm without sinus P waves,
        :func:`~interp_ecg.features.rhythm.qtc_rhythm_note`): they are NaN and the note
        leads the returned note.

    Returns
    -------
    values : dict
        The interval columns (:func:`~interp_ecg.features.measurements.global_intervals`),
        the QTc columns and ``QT_dispersion_ms``, in that order.
    prov : pandas.DataFrame
        Provenance of every interval.
    qtd_note : str
        ``qtc_note`` and why QT dispersion is NaN, ``"; "``-joined (``""`` when neither).

    Examples
    --------
    >>> from interp_ecg.features.record_measure import interval_measurements
    >>> from interp_ecg.features.median_beat import FidArrays
    >>> from interp_ecg.features.beat_classes import classify_beats
    >>> from interp_ecg.features.delineation import delineate
    >>> from interp_ecg.simulate import simulate_record
    >>> x = simulate_record("normal", random_state=0)[0][[1]]
    >>> fa = FidArrays.from_frame(delineate(x, 500.0, leads=["II"]))
    >>> v, prov, note = interval_measurements(classify_beats(x, 500.0, fa), fa, 500.0, 800.0)
    >>> note
    'QT dispersion not measured: QT measurable in 1 lead(s), at least 8 needed'
    """
    lead_rows = fa.select(fa.lead != "global")
    values, prov = M.global_intervals(table_med, fs, lead_rows)
    out = dict(values)
    lo, hi = M.QTC_RR_RANGE_MS
    if not qtc_note and np.isfinite(rr_mean_ms) and not lo <= rr_mean_ms <= hi:
        qtc_note = (f"{', '.join(QTC_FEATURES)}: RR_mean_ms {rr_mean_ms:.0f} ms is outside {lo:g}-{hi:g} ms, "
                    f"the heart rates the QT correction is for")
    out.update(M.qtc(values["QT_interval_ms"], rr_mean_ms) if not qtc_note else dict.fromkeys(QTC_FEATURES, np.nan))
    if qtc_note:  # an irregular rhythm without sinus P waves (rhythm.qtc_rhythm_note)
        out.update(dict.fromkeys(QTC_FEATURES, np.nan))
    per_lead = M.per_lead_intervals(lead_rows, fs) if lead_rows.lead.size else pd.DataFrame()
    qt = per_lead["QT_ms"].dropna() if not per_lead.empty else pd.Series(dtype=float)
    qtd_note = ""
    if len(qt) >= QT_DISPERSION_MIN_LEADS:
        out["QT_dispersion_ms"] = float(qt.max() - qt.min())
    else:
        out["QT_dispersion_ms"] = np.nan
        qtd_note = (f"QT dispersion not measured: QT measurable in {len(qt)} lead(s), "
                    f"at least {QT_DISPERSION_MIN_LEADS} needed")
    return out, prov, "; ".join(n for n in (qtc_note, qtd_note) if n)


def _p_wave_on_median_beat(prov: pd.DataFrame, table: BeatTable, template: np.ndarray, pos: int, fs: float,
                           leads: list[str], method: Method) -> dict[str, float]:
    """PR and P duration from the dominant median beat (frequent ectopy, see beat_classes):
    the two values (empty when not measured); the PR row of ``prov`` updated in place."""
    b = table.beats[table.beats["dominant"]]
    p = median_beat_p_wave(template, pos, fs, lambda x, f: delineate_with(x, f, leads, method),
                           float(b["rr_prev_ms"].median()), float(b["rr_next_ms"].median()))
    if not np.isfinite(p["PR_interval_ms"]):
        return {}
    beat = b.index[len(b) // 2]
    q_on = float(table.fiducials.loc[beat, "QRS_on"])
    if not np.isfinite(q_on):
        q_on = float(median_beat_anchors(b.loc[[beat]])[0]) + p["QRS_on"]  # where its window was cut
    i = prov.index[prov["feature"] == "PR_interval_ms"]
    prov.loc[i, ["value", "beat", "start_sample", "end_sample"]] = [
        p["PR_interval_ms"], beat, q_on - p["PR_interval_ms"] * fs / 1000.0, q_on]
    prov.loc[i, ["start_lead", "end_lead", "lead"]] = "global"
    return {"PR_interval_ms": p["PR_interval_ms"], "P_duration_ms": p["P_duration_ms"]}


@dataclass
class LeadStage:
    """Median beats and per-lead measurements (:func:`lead_measurements`)."""

    values: dict[str, Any]
    """Columns, in order: PR/P duration from the median beat (frequent ectopy only), the
    per-lead columns, axes, voltage criteria, fragmentation, ST summary, the lead-reversal
    and limb-residual quality columns (and the one-scale columns NaN when the limb leads are
    not on one scale)."""
    template: np.ndarray
    pos: int
    rel: Any
    amps: dict[str, dict[str, float]]
    reversal_note: str
    """The limb-reversal sentence when a reversal is suspected and checkable (``""`` else)."""
    unfollowed: np.ndarray | None = None
    """``(n_leads,)`` True for the usable leads whose baseline wander the PR-knot spline could
    not follow (their T-P segments off it by more than ``TP_RESIDUAL_MAX_MV``): ST/T NaN."""
    wander_note: str = ""
    """The sentence naming those leads (``""`` when none)."""


def lead_measurements(recorded: np.ndarray, fs: float, leads: list[str], usable: np.ndarray,
                      table: BeatTable, table_med: BeatTable, prov: pd.DataFrame, pr_measured: bool,
                      qrs_duration_ms: float, limb_residual: float, why_limb: str, method: Method,
                      src: str) -> LeadStage:
    """Stage 6c: median beats, per-lead amplitudes, axes, indices and lead checks.

    Each dominant beat is cut at its cross-correlation aligned point; when PR was not
    measured and the ectopy is frequent but regular, PR and P duration come from the
    dominant median beat (``prov`` updated in place). Per-lead columns are named after the
    record's own leads: the standard leads in their usual order, then any other lead in the
    record's order. A record whose every lead's sign is flipped is refused; a suspected limb
    reversal is flagged when lead I and V5, V6 or aVR are measured (else NaN: unknown);
    limb leads not on one scale (``why_limb``) make the cross-lead columns NaN.

    Parameters
    ----------
    recorded : numpy.ndarray
        ``(n_leads, n_samples)`` signal with flat segments NaN.
    fs : float
        Sampling rate (Hz).
    leads : list of str
        All lead names.
    usable : numpy.ndarray
        ``(n_leads,)`` bool.
    table, table_med : BeatTable
        Every beat; the beats the medians take.
    prov : pandas.DataFrame
        Interval provenance (the PR row may be updated in place).
    pr_measured : bool
        Whether the consensus PR interval is finite.
    qrs_duration_ms : float
        Consensus QRS duration.
    limb_residual : float
        :func:`~interp_ecg.features.quality.limb_lead_identity` residual.
    why_limb : str
        Its reason when the limb leads are not on one scale (``""`` else).
    method : str, callable or None
        Delineation method (for the median-beat P wave).
    src : str
        The record's name, for errors.

    Returns
    -------
    LeadStage

    Raises
    ------
    SignalQualityError
        Every lead's polarity inverted.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.record_measure import lead_measurements, measure_record
    >>> from interp_ecg.simulate import simulate_record
    >>> from interp_ecg.io.leads import STANDARD_LEADS
    >>> x = simulate_record("normal", random_state=0)[0]
    >>> _, prov, ex = measure_record(x, 500.0, list(STANDARD_LEADS), "sim0", None, 3)
    >>> st = lead_measurements(x, 500.0, list(STANDARD_LEADS), np.ones(12, bool), ex["beats"],
    ...                        ex["beats"], prov, True, 90.0, 0.0, "", None, "sim0")
    >>> "R_amp_mV_V5" in st.values, st.reversal_note
    (True, '')
    """
    out: dict[str, Any] = {}
    use_idx = np.flatnonzero(usable)
    use_leads = [leads[i] for i in use_idx]
    anchors = median_beat_anchors(table.beats)[table_med.beats["dominant"].to_numpy()]
    # baseline wander removed through the dominant beats' PR-segment knots (cubic spline,
    # median_beat.isoelectric_baseline): the wander's slope inside a beat is not left in
    # its ST segment and T wave, as one PR level per beat would leave it
    wander_base = isoelectric_baseline(
        recorded, fs, table.fiducials["QRS_on"].to_numpy(dtype=float)[table.beats["dominant"].to_numpy()])
    template, pos = median_beat(recorded - wander_base, fs, anchors)
    # a wander too fast for one knot per beat leaves the T-P segments off the spline: ST/T NaN
    tp_res, _ = tp_segment_residual(recorded - wander_base, fs, table.fiducials)
    unfollowed = usable & (np.nan_to_num(tp_res, nan=0.0) > TP_RESIDUAL_MAX_MV)
    if not pr_measured and frequent_ectopy_regular(table):
        out.update(_p_wave_on_median_beat(prov, table_med, template[use_idx], pos, fs, use_leads, method))
    rel = relative_fiducials(table_med)
    amps_d = M.lead_measurements_dict(template, pos, rel, fs, leads, usable, unfollowed)
    for lead in [*(ld for ld in STANDARD_LEADS if ld in amps_d),
                 *(ld for ld in leads if ld in amps_d and ld not in STANDARD_LEADS)]:
        values_l = amps_d[lead]
        for measure in M.PER_LEAD_MEASURES:
            out[f"{measure}_{lead}"] = values_l[measure]
    out.update(M.axes(amps_d))
    out.update(M.voltage_criteria(amps_d, qrs_duration_ms))
    set_aside = [ld for ld, ok in zip(leads, usable) if not ok]
    out.update(M.fragmentation(amps_d, qrs_duration_ms, set_aside))
    out.update(M.st_summary(amps_d, set_aside + [ld for ld, u in zip(leads, unfollowed) if u]))
    waves = ({k: v["P_amp_mV"] for k, v in amps_d.items()}, {k: v["QRS_net_mV"] for k, v in amps_d.items()},
             {k: v["T_amp_mV"] for k, v in amps_d.items()})
    inverted, why_inv = polarity_inversion_suspected(*waves)
    if inverted:  # every lead's sign flipped: amplitudes and axes would be wrong
        raise SignalQualityError(why_inv, source=src)
    rev, why = limb_reversal_suspected(*waves)
    # the check needs lead I and V5, V6 or aVR: without them it is unknown
    known = "I" not in set_aside and any(ld in amps_d and ld not in set_aside for ld in ("V5", "V6", "aVR"))
    out["quality_lead_reversal_suspected"] = float(rev) if known else np.nan
    out["quality_limb_lead_residual"] = limb_residual
    if why_limb:  # leads not on one scale: no axis, no sum of amplitudes over leads
        rev = False
        for col in (*M.ONE_SCALE_FEATURES, "quality_lead_reversal_suspected"):
            out[col] = np.nan
    wander_note = wander_unfollowed_note(leads, unfollowed, tp_res) if unfollowed.any() else ""
    return LeadStage(out, template, pos, rel, amps_d, why if rev else "", unfollowed, wander_note)


def traced_interval_columns(prov: pd.DataFrame) -> dict[str, Any]:
    """Stage 6d: the lead, beat and samples each traced interval was measured between.

    Parameters
    ----------
    prov : pandas.DataFrame
        Interval provenance (``feature``, ``lead``, ``beat``, ``start_sample``,
        ``end_sample``).

    Returns
    -------
    dict
        ``{base}_lead``, ``{base}_beat``, ``{base}_start_sample``, ``{base}_end_sample`` for
        every feature of :data:`~interp_ecg.features.measurements.TRACED_INTERVALS`
        (``base`` without ``_ms``).

    Examples
    --------
    >>> from interp_ecg.features.record_measure import traced_interval_columns
    >>> import pandas as pd
    >>> prov = pd.DataFrame({"feature": ["QRS_duration_ms"], "lead": ["global"], "beat": [3],
    ...                      "start_sample": [100.0], "end_sample": [150.0]})
    >>> traced_interval_columns(prov)["QRS_duration_end_sample"]
    150.0
    """
    out: dict[str, Any] = {}
    for p in prov.to_dict("records"):
        if p["feature"] in M.TRACED_INTERVALS:
            base = p["feature"].removesuffix("_ms")
            out[f"{base}_lead"] = p["lead"]
            out[f"{base}_beat"] = p["beat"]
            out[f"{base}_start_sample"] = p["start_sample"]
            out[f"{base}_end_sample"] = p["end_sample"]
    return out


# --------------------------------------------------------------------------- 7. flags and reasons
def p_not_time_locked_note(fid: pd.DataFrame) -> str:
    """The record-level note when the delineator found no P wave time-locked to the QRS.

    ``P_wave_presence_fraction`` is then 0 and PR NaN for those beats, the pattern of atrial
    fibrillation; a sinus rhythm whose P waves the rule rejected (PR varying with atrial
    premature beats) reads the same, so the row says which rule made the zero.

    Parameters
    ----------
    fid : pandas.DataFrame
        The delineation table (its ``reason`` column, when present).

    Returns
    -------
    str
        ``""`` when no consensus beat has that reason.

    Examples
    --------
    >>> from interp_ecg.features.record_measure import NO_LOCKED_P, p_not_time_locked_note
    >>> import pandas as pd
    >>> fid = pd.DataFrame({"lead": ["global", "global"], "reason": [NO_LOCKED_P, ""]})
    >>> p_not_time_locked_note(fid)[:44]
    'no P wave time-locked to the QRS in 1 of 2 b'
    """
    if "reason" not in fid.columns:
        return ""
    glob = fid["lead"].astype(str) == "global"
    n = int(fid.loc[glob, "reason"].astype(str).str.contains(NO_LOCKED_P, regex=False).sum())
    if not n:
        return ""
    return (f"{NO_LOCKED_P} in {n} of {int(glob.sum())} beats (atrial fibrillation/flutter?, or P waves "
            f"whose PR varies, e.g. with atrial premature beats): they count as beats without a P wave "
            f"in P_wave_presence_fraction, and PR is not measured on them")


def p_fused_notes(fid: pd.DataFrame) -> tuple[str, bool]:
    """The record-level notes of T-P fusion (fast rates), and whether P presence is unknown.

    A P onset less than ``Params.p_tp_min_s`` after the previous T end has no isoelectric
    T-P segment before it (NaN: PR and P duration are not measured on that beat); a beat
    with less than ``Params.p_fused_room_s`` between the previous T end and its QRS onset
    and no P found has its P hidden in the T. When that holds for at least half of the
    beats, whether the record has P waves is not known (``P_wave_presence_fraction`` NaN).

    Parameters
    ----------
    fid : pandas.DataFrame
        The delineation table (its ``reason`` column, when present).

    Returns
    -------
    note : str
        ``""`` when no consensus beat has either reason.
    presence_unknown : bool

    Examples
    --------
    >>> from interp_ecg.features.delineation.stages import P_HIDDEN_IN_T
    >>> from interp_ecg.features.record_measure import p_fused_notes
    >>> import pandas as pd
    >>> fid = pd.DataFrame({"lead": ["global"] * 2, "reason": [P_HIDDEN_IN_T, P_HIDDEN_IN_T]})
    >>> note, unknown = p_fused_notes(fid)
    >>> note[:52], unknown
    ('P wave hidden in the preceding T wave in 2 of 2 beat', True)
    """
    if "reason" not in fid.columns:
        return "", False
    reason = fid.loc[fid["lead"].astype(str) == "global", "reason"].astype(str)
    n_fused = int(reason.str.contains(P_ON_FUSED, regex=False).sum())
    n_hidden = int(reason.str.contains(P_HIDDEN_IN_T, regex=False).sum())
    notes = []
    if n_fused:
        notes.append(f"{P_ON_FUSED} in {n_fused} of {reason.size} beats (no isoelectric T-P segment "
                     f"before the P at this rate: its onset is not in the signal): PR_interval_ms and "
                     f"P_duration_ms are not measured on them")
    unknown = reason.size > 0 and n_hidden >= 0.5 * reason.size
    if n_hidden:
        notes.append(f"{P_HIDDEN_IN_T} in {n_hidden} of {reason.size} beats (no room for a P wave "
                     f"between the T end and the QRS onset at this rate): "
                     + ("P_wave_presence_fraction NaN, whether the rhythm has P waves is not known"
                        if unknown else "they count as beats without a P wave in P_wave_presence_fraction"))
    return "; ".join(notes), unknown


def record_reason(row: dict[str, Any], *, flat_note: str = "", gap_note: str = "", noise_note: str = "",
                  flat_med_note: str = "", reversal_note: str = "", why_limb: str = "",
                  invalid_leads: Sequence[str] = (), set_aside: Sequence[str] = (),
                  mains: dict[str, float] | None = None, bridged_leads: Sequence[str] = (),
                  n_edge: int = 0, qtd_note: str = "", no_dominant: str = "", unlocked: str = "",
                  hrv_notes: Sequence[str] = (), quality_notes: Sequence[str] = (),
                  identity_note: str = "", record_notes: Sequence[str] = ()) -> str:
    """Stage 7: the record's ``quality_reason``, every note in a fixed order, ``"; "``-joined.

    Parameters
    ----------
    row : dict
        The record row (its ``quality_{noisy,wander,flat,clipped}_leads`` columns).
    flat_note, gap_note, noise_note, flat_med_note, reversal_note, qtd_note, no_dominant, unlocked : str
        The stages' notes (``""`` when none).
    why_limb : str
        Why the limb leads are not on one scale (``""`` when they are).
    identity_note : str
        Which limb lead breaks the identities, or that the check cannot tell
        (:func:`~interp_ecg.features.quality.limb_identity_note`), right after ``why_limb``.
    record_notes : sequence of str
        Notes on the record as read, placed first (channels of the file that are not ECG
        leads and were not read, :func:`~interp_ecg.io.wfdb_reader.non_ecg_channels_note`).
    invalid_leads, set_aside, bridged_leads : sequence of str
        Leads set aside for invalid samples; all leads set aside; leads with bridged gaps.
    mains : dict, optional
        ``"{lead} {50 or 60} Hz"`` -> amplitude (mV) of each interference notched out.
    n_edge : int
        Beats cut by the record edge.
    hrv_notes : sequence of str
        Why HRV values are NaN.
    quality_notes : sequence of str
        Lead-quality sentences placed right after the lead-list warnings: a lead set aside for
        its scale (:func:`~interp_ecg.features.quality.scale_note`), leads whose baseline wander
        the PR-knot spline could not follow.

    Returns
    -------
    str

    Examples
    --------
    >>> from interp_ecg.features.record_measure import record_reason
    >>> row = {"quality_noisy_leads": "V1", "quality_wander_leads": "", "quality_flat_leads": "",
    ...        "quality_clipped_leads": ""}
    >>> record_reason(row, n_edge=2)
    'noisy leads: V1; 2 beat(s) cut by the record edge left out of the medians'
    """
    warnings = [n for n in record_notes if n]
    for col, label in (("quality_noisy_leads", "noisy"), ("quality_wander_leads", "baseline wander"),
                       ("quality_flat_leads", "flat"), ("quality_clipped_leads", "clipped")):
        if row[col]:
            warnings.append(f"{label} leads: {row[col]}")
    warnings.extend(n for n in quality_notes if n)
    warnings.extend(n for n in (flat_note, gap_note, noise_note, flat_med_note, reversal_note) if n)
    if why_limb:
        warnings.append(f"{why_limb}: {', '.join(M.ONE_SCALE_FEATURES)} and the lead reversal check NaN; "
                        f"each lead's own amplitudes are in that lead's units")
    if identity_note:
        warnings.append(identity_note)
    if len(invalid_leads):
        warnings.append(f"leads set aside for invalid samples: {','.join(invalid_leads)}")
    if set_aside:
        warnings.append(f"leads set aside (not delineated; their amplitudes, ST, and the indices "
                        f"that need them NaN): {','.join(set_aside)}")
    if mains:
        warnings.append("mains interference removed by a notch filter: "
                        + ", ".join(f"{k} ({v:.3f} mV)" for k, v in mains.items()))
    if bridged_leads:
        warnings.append(f"short gaps of invalid samples bridged in leads: {','.join(bridged_leads)}")
    if n_edge:
        warnings.append(f"{n_edge} beat(s) cut by the record edge left out of the medians")
    warnings.extend(n for n in (qtd_note, no_dominant, unlocked) if n)
    warnings.extend(hrv_notes)
    return "; ".join(warnings)


# --------------------------------------------------------------------------- assembly
def measure_record(
    signal: np.ndarray, fs: float, leads: list[str], src: str, method: Method, min_beats: int,
    notes: Sequence[str] = (),
) -> tuple[dict[str, Any], pd.DataFrame, dict[str, Any]]:
    """Measure one validated record: every stage of this module, in order.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` float32 in mV, standard lead names, at least 2 s (as
        :func:`~interp_ecg.features.extract_record` validates it); NaN/inf samples allowed.
    fs : float
        Sampling rate (Hz).
    leads : list of str
        Lead names.
    src : str
        The record's name (file or id), named by every error.
    method : str, callable or None
        Delineation method, see :data:`Method`.
    min_beats : int
        Fewest beats measured.
    notes : sequence of str, optional
        Notes on the record as read, placed first in ``quality_reason`` (channels of the file
        that are not ECG leads, :func:`~interp_ecg.io.wfdb_reader.non_ecg_channels_note`).

    Returns
    -------
    row : dict
        One value per column of the feature dictionary (plus per-lead columns of leads
        outside the standard twelve).
    prov : pandas.DataFrame
        Interval provenance.
    extras : dict
        ``fiducials``, ``beats``, ``template``, ``anchor_pos``, ``relative_fiducials``,
        ``lead_measurements``, ``lead_quality``, ``pacing_spikes``, ``signal``, and
        ``unmeasured_leads`` (delineated leads without per-lead values of their own: the limb
        lead that breaks Einthoven's identities).

    Raises
    ------
    SignalQualityError, DelineationError
        The record cannot be measured (the error names ``src``).

    Examples
    --------
    >>> from interp_ecg.features.record_measure import measure_record
    >>> from interp_ecg.simulate import simulate_record
    >>> from interp_ecg.io.leads import STANDARD_LEADS
    >>> x = simulate_record("lbbb", random_state=0)[0]
    >>> row, prov, extras = measure_record(x, 500.0, list(STANDARD_LEADS), "sim0", None, 3)
    >>> bool(row["QRS_duration_ms"] >= 120)
    True
    """
    # 1-2: invalid samples, units, mains, pacemaker spikes
    inv = apply_invalid_sample_policy(signal, fs, leads)
    cond = condition_signal(signal, inv.signal, fs, leads, src)
    signal = cond.signal
    # 3: quality screening
    q, flat_note = screen_leads(signal, fs, leads, inv.invalid, src)
    gap_note = name_dropout_gaps(q, cond.before_mains, fs, bool(cond.mains), inv.nan_gaps)
    noise_runs = screen_noisy_stretches(signal, fs, leads, q, inv.invalid)
    usable = require_usable_lead(q, inv.invalid, src)
    # limb leads on one scale (Einthoven/Goldberger), judged before the mains notch, which is
    # applied to some leads only and so breaks the identities (quality.limb_lead_identity)
    identity_residuals: dict[str, float] = {}
    limb_residual, why_limb = limb_lead_identity(cond.before_mains, fs, leads, usable, identity_residuals)
    # the one limb lead that breaks the identities, where the other limb leads agree without
    # it: its per-lead values NaN (it is still delineated: its timing is the heart's); else the
    # leads in doubt are named (quality_limb_identity_leads)
    breaker, identity_suspects = (limb_identity_suspects(cond.before_mains, fs, leads, usable, identity_residuals)
                                  if why_limb else (None, []))
    measured = usable if breaker is None else usable & (np.asarray(leads) != breaker)
    use_idx = np.flatnonzero(usable)
    use_leads = [leads[i] for i in use_idx]
    # 4: delineation
    fid = delineate_usable_leads(cond.raw, fs, use_idx, use_leads, noise_runs, method, src)
    signal, spikes = merge_delineator_spikes(signal, fs, use_idx, fid, cond.spikes)
    # 5: beats
    bs = classify_record_beats(signal, fs, q, use_idx, use_leads, fid, spikes, noise_runs, min_beats, src)
    # 6: measurements
    row = empty_row()
    row.update(summarise_quality(q))
    row["quality_invalid_leads"] = ",".join(q.index[inv.invalid])  # named like flat/clipped/noisy
    row["quality_limb_identity_leads"] = ",".join(identity_suspects)
    row["record_duration_s"] = signal.shape[1] / fs
    row.update(pacing_summary(spikes, fs))
    rhythm, hrv_notes = rate_and_rhythm(bs.table, bs.in_noise, q, noise_runs, fs, signal.shape[1])
    row.update(rhythm)
    fused_note, p_unknown = p_fused_notes(fid)  # T-P fusion at fast rates
    if p_unknown:
        row["P_wave_presence_fraction"] = np.nan
    qtc_note = qtc_rhythm_note(bs.table.beats["anchor_aligned"].to_numpy(), fs, bs.table.beats["dominant"].to_numpy(),
                               beat_p_waves(bs.table), bs.table.beats["paced"].to_numpy(dtype=bool)
                               if "paced" in bs.table.beats else None)
    intervals, prov, qtd_note = interval_measurements(bs.table_med, bs.fa, fs, row["RR_mean_ms"], qtc_note)
    row.update(intervals)
    ls = lead_measurements(bs.recorded, fs, leads, measured, bs.table, bs.table_med, prov,
                           bool(np.isfinite(row["PR_interval_ms"])), intervals["QRS_duration_ms"],
                           limb_residual, why_limb, method, src)
    row.update(ls.values)
    row.update(traced_interval_columns(prov))
    if ls.unfollowed is not None and ls.unfollowed.any():  # named with the wander leads
        named = [ld for ld in row["quality_wander_leads"].split(",") if ld]
        row["quality_wander_leads"] = ",".join(ld for ld in leads if ld in named or ls.unfollowed[leads.index(ld)])
    # 7: flags and reasons
    row["quality_ok"] = True
    row["quality_reason"] = record_reason(
        row, flat_note=flat_note, gap_note=gap_note, noise_note=bs.noise_note, flat_med_note=bs.flat_med_note,
        reversal_note=ls.reversal_note, why_limb=why_limb, invalid_leads=list(q.index[inv.invalid]),
        set_aside=[ld for ld, ok in zip(leads, usable) if not ok], mains=cond.mains,
        bridged_leads=inv.bridged_leads, n_edge=int(bs.edge.sum()), qtd_note=qtd_note,
        no_dominant=no_dominant_reason(bs.table),
        unlocked="; ".join(n for n in (p_not_time_locked_note(fid), fused_note) if n), hrv_notes=hrv_notes,
        quality_notes=[scale_note(q), ls.wander_note, pacing_note(spikes, fs)],
        identity_note=limb_identity_note(breaker, identity_suspects, identity_residuals), record_notes=notes)
    row["quality_error"] = ""
    extras = {"fiducials": fid, "beats": bs.table, "template": ls.template, "anchor_pos": ls.pos,
              "relative_fiducials": ls.rel, "lead_measurements": ls.amps, "lead_quality": q,
              "pacing_spikes": spikes, "signal": signal,
              # delineated (their timing is the heart's) but with no per-lead values of their own
              "unmeasured_leads": [ld for ld, u, m in zip(leads, usable, measured) if u and not m]}
    return row, prov, extras
