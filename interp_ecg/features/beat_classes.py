"""Beat classification: dominant beats versus PVCs and outliers, before the median beat.

Clinical measurement programs (GE 12SL, Philips DXL, the Glasgow program) do not build the
median beat from every beat: they first group the beats by QRS morphology, pick the
*dominant* (normally conducted) group and measure on it alone. Building the median from all
beats goes wrong as soon as ectopic beats are frequent: in ventricular bigeminy half the
beats are PVCs, a median over all of them is neither beat, the PVCs correlate with it as
well as the sinus beats do and none is called a PVC. This module does it in three steps,
from the delineation's consensus rows (``lead == "global"``):

0. **Refractory period.** Of two detections closer than :data:`REFRACTORY_MS` (200 ms),
   the one less like the dominant beats is not a beat (a P wave or a pacing artefact taken
   for a QRS) and is left out of the table, the beat count and the heart rate.
1. **Anchors and windows.** Each beat is anchored on its global R peak (or QRS onset plus
   the record's median onset-to-peak distance when the R peak is missing); its QRS window
   runs from -60 ms to +100 ms around the anchor in all usable leads. Windows are compared
   on a fixed 2 ms grid (:data:`COMPARE_FS`, 500 Hz; records sampled slower are
   interpolated first, and the fractional anchor is kept), so that a record sampled at
   100 Hz and the same record at 500 Hz give the same windows (:func:`qrs_windows`).
2. **Morphology classes.** The windows are grouped by average-linkage clustering of their
   correlation (beats of one class correlate at r >= :data:`CORR_MIN`, 0.85), after
   every beat is aligned, within +-:data:`ALIGN_MAX_MS` (40 ms), on the record's most
   typical beat (highest mean correlation with the others): the consensus R peak is not
   always the same wave from beat to beat. Classes with
   at least half as many beats as the largest one (and at least two) are candidates for the
   dominant class; among them the class whose beats come *late* (largest median ratio of
   the preceding to the following RR interval) is dominant, since ectopic beats are
   premature and are followed by a pause. With one large class this is simply the most
   frequent morphology. When the pacemaker spikes are given, a candidate class whose beats
   are mostly ventricular-paced (a spike from :data:`PACED_BEFORE_MS` before the QRS
   onset to the R peak) is passed over for a candidate of native beats: the dominant
   beats are the *conducted* ones, so in a record with paced and conducted beats the QRS
   duration, the intervals and the median beat describe the conducted beats (12SL and
   the Glasgow program measure the conducted complexes too and report the pacing apart;
   the record's ``paced`` feature says it is paced). A fully paced record keeps its
   paced beats as dominant. A dominant class needs at least :data:`MIN_DOMINANT_BEATS`
   (2) beats: the measurement programs build the median complex from the most frequent
   QRS type, and a "type" of one beat is only that beat, so when no QRS shape is shared by
   two beats (polymorphic complexes; a short record whose two or three beats all differ)
   the record has no dominant beat class. Which single beat to call dominant would then be
   a guess (before this rule: the first in clustering order), so none is: every beat is
   labelled ``"unclassified"``, none is dominant, and what is measured on the dominant
   beats (median beat, intervals, amplitudes, HRV, PVC and outlier counts) is NaN with
   the reason :func:`no_dominant_reason`. Nor is any beat made dominant by default when
   none matches the dominant template (step 3).
3. **Labels.** Every beat is correlated, at its best alignment, with the median of the
   dominant class's aligned windows. A beat that
   differs (r < 0.85) and is premature (RR before it under :data:`PREMATURE_RATIO`, 85 %,
   of the dominant cycle) or wide (QRS :data:`WIDE_EXTRA_MS`, 30 ms, over the dominant
   beats' median) is a ``"PVC"``; any other differing beat is an ``"outlier"``; the rest
   are dominant (``"N"``); a differing ventricular-paced beat is ``"paced"`` (not counted
   as a PVC or an outlier). A premature beat shaped like the dominant ones is
   supraventricular and stays dominant, whatever its delineated QRS width.
   A beat whose compared QRS window reaches into a stretch noisy in every lead
   (:func:`noisy_stretches`, passed as ``classify_beats(noisy_runs=)``) is ``"noise"``: it
   is not compared, and the other beats are classified without it.
   A differing beat whose window has, in every compared lead, under 30 % of the dominant
   beats' peak-to-peak amplitude and under 60 % of their steepest slope
   (:data:`NOT_QRS_SHARES`) has no QRS: a P wave (blocked, in 2:1 AV block) or a T wave
   taken for a beat; it is left out of the table (not a beat, not a PVC).
   The dominant cycle is the median RR between two successive dominant beats, or, when no
   two dominant beats follow each other (bigeminy), the mean of all RR intervals (with a
   compensatory pause, coupling interval plus pause is two sinus cycles).
4. **RR fiducial.** RR intervals are taken between the same point of every beat
   (:func:`rr_fiducials`, the beat table's ``anchor_aligned``): heart-rate variability is
   defined on the intervals between successive beats' same fiducial point (Task Force of
   the ESC and NASPE 1996), and the consensus R peak is not always the same wave (in PTB-XL
   record 38 it comes from one group of leads in some beats and from another, 20-24 ms
   away, in others, which made a regular rhythm read as variable). Each beat shaped like
   the dominant ones is moved by the lag that best aligns its QRS window on the dominant
   template (refined between the 2 ms grid samples by a parabola through the correlation
   peak), less the median of those lags, so the point is the same part of the QRS in every
   such beat and sits where the consensus R peak lies in most of them. Ectopic beats,
   outliers and beats whose window is cut by the record edge keep their own anchor: the
   intervals into and out of an ectopic beat are not normal-to-normal intervals, and a cut
   window's best lag is not the same point. The premature test of step 3 and the table's
   ``rr_prev_ms`` / ``rr_next_ms`` use these intervals.

References
----------
GE Healthcare, Marquette 12SL ECG Analysis Program Physician's Guide (2017), "QRS
classification" and "median complex". Macfarlane PW et al., The Glasgow System, in
Comprehensive Electrocardiology (2011).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from interp_ecg.features.beat_classes import classify_beats
>>> fs = 500
>>> t = np.arange(-0.06, 0.10, 1 / fs)
>>> sig = np.zeros((1, 6000))
>>> narrow = np.exp(-0.5 * (t / 0.01) ** 2)
>>> wide = -1.5 * np.exp(-0.5 * ((t - 0.03) / 0.03) ** 2)
>>> r = [500, 800, 1500, 1800, 2500, 2800, 3500, 3800, 4500, 4800]  # N, premature V, pause, N ...
>>> for k, a in enumerate(r):
...     sig[0, a - 30 : a + 50] += narrow if k % 2 == 0 else wide
>>> fid = pd.DataFrame({"lead": "global", "beat": range(len(r)), "R_peak": r,
...                     "QRS_on": np.array(r) - 20, "QRS_off": np.array(r) + np.where(np.arange(len(r)) % 2, 60, 20)})
>>> table = classify_beats(sig, fs, fid)
>>> table.beats["label"].tolist()
['N', 'PVC', 'N', 'PVC', 'N', 'PVC', 'N', 'PVC', 'N', 'PVC']
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

from interp_ecg.features.delineation.filters import upsample
from interp_ecg.features.median_beat import (
    BeatTable,
    FidArrays,
    beat_anchors,
    global_fiducials,
    nanmedian,
)

logger = logging.getLogger(__name__)

CORR_MIN = 0.85
PREMATURE_RATIO = 0.85
#: Shortest interval between two ventricular depolarisations (ms; the ventricular effective
#: refractory period is ~250 ms, the shortest PVC couplings ~250-300 ms).
REFRACTORY_MS = 200.0
WIDE_EXTRA_MS = 30.0
#: A class is a candidate for the dominant one when it has at least this share of the
#: largest class's beats.
CANDIDATE_SHARE = 0.5
#: Fewest beats of the dominant class: a QRS shape is dominant only when it recurs. With
#: every beat of its own shape (polymorphic beats, or two or three beats that all differ)
#: no beat is dominant, every beat is labelled :data:`UNCLASSIFIED` and what is measured on
#: the dominant beats (median beat, intervals, amplitudes, HRV) is NaN with the reason
#: :func:`no_dominant_reason`.
MIN_DOMINANT_BEATS = 2
#: Label of the beats of a record without a dominant class (no template to compare with:
#: neither dominant, nor PVC, nor outlier).
UNCLASSIFIED = "unclassified"
#: A ventricular pacing spike lies at most this long before the paced QRS onset (ms; the
#: stimulus-to-QRS latency is a few ms, and after spike removal the delineated onset can
#: sit just after the spike). An atrial spike precedes the QRS by the AV delay (>= ~100 ms).
PACED_BEFORE_MS = 30.0
QRS_WINDOW_S = (-0.06, 0.10)
#: A beat unlike the dominant ones whose compared window (:data:`QRS_WINDOW_S`) has, in
#: every lead, a peak-to-peak amplitude under ``NOT_QRS_SHARES[0]`` (30 %) of the dominant
#: beats' median and a steepest slope under ``NOT_QRS_SHARES[1]`` (60 %) of theirs (each the
#: largest over the compared leads) has no QRS: a P wave (a blocked one in 2:1 AV block, a
#: non-conducted atrial premature beat) or a T wave taken for a beat, left out of the beat
#: table (:func:`classify_beats`). Simulated 2:1 AV block (noise 0.3, seed 3; user17):
#: the blocked P waves read 18-24 % of the dominant amplitude and 21-54 % of its slope,
#: and were labelled PVC (heart rate 80.5 for 40.3 bpm). Real ventricular premature beats
#: and outliers (PTB-XL 170-452 with PVC/bigeminy/trigeminy statements, LUDB 38, 45, 83,
#: 105, 106, 110, 125; 40 beats): amplitude 37-182 %, slope 52-286 %, none under both.
NOT_QRS_SHARES = (0.3, 0.6)
#: Rate of the grid on which QRS shapes are compared (Hz; a 2 ms step). A record sampled
#: slower is first interpolated (band-limited, :func:`~interp_ecg.features.delineation.filters.upsample`
#: by ``ceil(COMPARE_FS / fs)``); every window is then read at the beat's own (fractional)
#: anchor by linear interpolation. On the record's own 10 ms samples a narrow QRS is seen
#: at a different phase in every beat (up to 5 ms off after rounding the anchor, 10 ms
#: between two beats): on PTB-XL's 100 Hz files that alone put regular sinus beats under
#: r = 0.85 (benchmarks/beat_classes_rates.py).
#: Label of a beat detected inside a noisy stretch (:func:`noisy_stretches`: every lead
#: examined noisy at once): its shape cannot be compared with the dominant beats, so it is
#: neither dominant, nor PVC, nor outlier, and it is left out of the rate, RR intervals and
#: beat counts (a noise peak taken for a QRS would add a beat; a sinus beat under the noise
#: would differ from the template and pass for a PVC).
NOISE_LABEL = "noise"
#: Noise is judged in blocks of this length (s): a block holds at most one QRS complex at
#: rates under 120 bpm and a QRS (<= 0.12 s) is under a quarter of it, so the block's median
#: absolute content above :data:`NOISE_STRETCH_CUTOFF_HZ` is set by the signal between the
#: complexes, not by the QRS's own high-frequency content.
NOISE_STRETCH_BLOCK_S = 0.5
#: Content above this frequency (Hz), between the QRS complexes, is taken for noise: the P and
#: T waves lie below it (their content is under ~10 Hz), and the QRS's own content above it
#: fills under a quarter of a block, which the block's median ignores. A motion artefact
#: (5-30 Hz) has much of its power above 15 Hz but little above the 40 Hz of the whole-record
#: rule (:func:`interp_ecg.features.quality.lead_quality`): judged above 40 Hz, a 0.2 mV
#: motion burst went unseen and read 3-7 false PVCs and HR 83-103 for 66-78 bpm.
NOISE_STRETCH_CUTOFF_HZ = 15.0
#: A block of a lead is noisy when the robust SD (1.4826 x median absolute value) of its
#: content above :data:`NOISE_STRETCH_CUTOFF_HZ` exceeds this (mV): half the level at which
#: :func:`interp_ecg.features.quality.lead_quality` calls a whole lead noisy
#: (``quality.NOISE_HF_RMS_MV``, 0.1 mV, above 40 Hz). A 0.2 mV RMS band-limited burst, which
#: turns 3-7 sinus beats into PVCs, reads 0.07-0.12 mV per block in every lead (5-30 Hz) and
#: 0.13-0.18 mV (15-60 Hz); simulated leads read at most 0.04 mV at ``simulate_record``
#: noise 0.3 and 0.12 mV at its default noise (a steady level, not local: see below).
NOISE_STRETCH_HF_SD_MV = 0.05
#: ... and exceeds this multiple of the lead's own median block level: the stretch is a local
#: burst, well above the lead's steady noise (steady noise is judged over the whole record by
#: :func:`interp_ecg.features.quality.lead_quality`). The simulator's own waxing EMG noise
#: (``simulate_record`` default noise) reaches 3.3 times a lead's median (seeds 0-3, 500 Hz);
#: the 0.2 mV bursts above read at least 4.4 times it (5-30 Hz) and 8 times it (15-60 Hz).
NOISE_STRETCH_LOCAL_RATIO = 4.0

COMPARE_FS = 500.0
#: QRS windows are compared at their best alignment within this lag (ms). The
#: consensus R peak is not the same wave in every beat: it can come from a different group
#: of leads from one beat to the next (PTB-XL record 38: 20-24 ms apart in one sinus
#: rhythm), so beats are aligned by cross-correlation, as the median-complex programs do,
#: before their shapes are compared. 40 ms spans the spread of the R peaks over the twelve
#: leads in a normal QRS; a PVC's QRS differs in shape and width, not by a shift.
ALIGN_MAX_MS = 40.0


def noisy_stretches(signal: np.ndarray, fs: float) -> np.ndarray:
    """Stretches of a record in which every lead given is noisy at once.

    The record is cut into blocks of :data:`NOISE_STRETCH_BLOCK_S` (the last, shorter
    block joins the one before it). A block of a lead is noisy when the robust SD of the
    lead's content above :data:`NOISE_STRETCH_CUTOFF_HZ` over the block exceeds
    :data:`NOISE_STRETCH_HF_SD_MV` and :data:`NOISE_STRETCH_LOCAL_RATIO` times the lead's
    median over its blocks; a stretch is a run of blocks noisy in every lead.
    A local burst (motion or muscle artefact over a second or two) so sets aside a
    stretch, not the leads or the record.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV, finite; pass only the leads that are not flat,
        clipped or set aside.
    fs : float
        Sampling rate (Hz). At or under ``2.25 x NOISE_STRETCH_CUTOFF_HZ`` (33.75 Hz) there is
        too little band above the cutoff to judge, and no stretch is returned.

    Returns
    -------
    numpy.ndarray
        ``(n_stretches, 2)`` int64 start and end (exclusive) sample of each stretch.

    Examples
    --------
    >>> from interp_ecg.features.beat_classes import noisy_stretches
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = 0.01 * rng.standard_normal((2, 5000))
    >>> x[:, 2000:3000] += 0.3 * rng.standard_normal((2, 1000))
    >>> noisy_stretches(x, 500).tolist()
    [[2000, 3000]]
    """
    x = np.asarray(signal, dtype=np.float64)
    if x.ndim != 2 or not x.shape[0] or fs <= 2.25 * NOISE_STRETCH_CUTOFF_HZ:
        return np.zeros((0, 2), np.int64)
    n = x.shape[1]
    block = int(round(NOISE_STRETCH_BLOCK_S * fs))
    n_blocks = n // block
    if n_blocks < 1:
        return np.zeros((0, 2), np.int64)
    from scipy.signal import butter, sosfiltfilt

    sos = butter(4, NOISE_STRETCH_CUTOFF_HZ, "highpass", fs=fs, output="sos")
    h = np.abs(sosfiltfilt(sos, x - x.mean(axis=1, keepdims=True), axis=1))
    edges = np.r_[np.arange(n_blocks) * block, n]
    sd = np.stack([1.4826 * np.median(h[:, a:b], axis=1) for a, b in zip(edges[:-1], edges[1:])], axis=1)
    level = np.maximum(NOISE_STRETCH_HF_SD_MV, NOISE_STRETCH_LOCAL_RATIO * np.median(sd, axis=1, keepdims=True))
    every = (sd > level).all(axis=0)
    runs = np.flatnonzero(np.diff(np.r_[0, every.astype(np.int8), 0])).reshape(-1, 2)
    return np.stack([edges[runs[:, 0]], edges[runs[:, 1]]], axis=1).astype(np.int64) if runs.size else \
        np.zeros((0, 2), np.int64)


def _correlate(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Correlation of every row of ``a`` ``(n, m)`` with ``b`` ``(m,)`` over finite samples."""
    ok = np.isfinite(a) & np.isfinite(b)[None, :]
    a0 = np.where(ok, a, 0.0)
    b0 = np.where(ok, b[None, :], 0.0)
    num = (a0 * b0).sum(axis=1)
    den = np.sqrt((a0 * a0).sum(axis=1) * (b0 * b0).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def morphology_classes(windows: np.ndarray, corr_min: float = CORR_MIN) -> np.ndarray:
    """Group beats by QRS shape.

    Parameters
    ----------
    windows : numpy.ndarray
        ``(n_beats, n_features)`` QRS windows (all leads concatenated, each lead's mean
        removed); NaN samples are ignored pairwise.
    corr_min : float
        Average-linkage clusters are cut where the mean correlation drops under this.

    Returns
    -------
    numpy.ndarray of int
        Class number of each beat (0, 1, ...; the largest class first).

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.features.beat_classes import morphology_classes
    >>> w = np.array([[0, 1, 0, -1], [0, 1.1, 0, -1], [1, 0, -1, 0.]])
    >>> morphology_classes(w).tolist()
    [0, 0, 1]
    """
    n = windows.shape[0]
    if n <= 1:
        return np.zeros(n, dtype=int)
    w = np.where(np.isfinite(windows), windows, 0.0)
    w = w - w.mean(axis=1, keepdims=True)
    norm = np.sqrt((w * w).sum(axis=1))
    norm[norm == 0] = np.inf
    return _classes_from_correlation((w @ w.T) / np.outer(norm, norm), corr_min)


def _classes_from_correlation(r: np.ndarray, corr_min: float = CORR_MIN) -> np.ndarray:
    """Average-linkage classes of a ``(n, n)`` correlation matrix, cut at ``corr_min``
    (class 0 the largest)."""
    n = r.shape[0]
    if n <= 1:
        return np.zeros(n, dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    dist = np.clip(1.0 - np.nan_to_num(r, nan=0.0), 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    dist = 0.5 * (dist + dist.T)
    raw = fcluster(linkage(squareform(dist, checks=False), method="average"), t=1.0 - corr_min,
                   criterion="distance")
    ids, counts = np.unique(raw, return_counts=True)
    order = ids[np.argsort(-counts, kind="stable")]
    remap = {c: k for k, c in enumerate(order)}
    return np.array([remap[c] for c in raw], dtype=int)


def qrs_windows(signal: np.ndarray, fs: float, anchors: np.ndarray,
                max_lag_ms: float = ALIGN_MAX_MS) -> np.ndarray:
    """QRS windows of every beat on the fixed :data:`COMPARE_FS` grid, at every alignment lag.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV (non-finite samples give NaN in the windows that
        reach them).
    fs : float
        Sampling rate (Hz).
    anchors : numpy.ndarray
        ``(n_beats,)`` anchor of every beat in (fractional) samples of ``signal``.
    max_lag_ms : float
        Largest shift of a window (ms); lags run from ``-max_lag_ms`` to ``+max_lag_ms`` in
        steps of one grid sample (2 ms).

    Returns
    -------
    numpy.ndarray
        ``(n_lags, n_beats, n_leads * n_grid)``: each beat's window from
        :data:`QRS_WINDOW_S` [0] to [1] around ``anchor + lag`` (all leads concatenated,
        each lead's mean over the window removed; NaN outside the record). The middle lag
        (index ``n_lags // 2``) is the unshifted window. The windows of a record are the
        same, to interpolation accuracy, whatever rate it was sampled at.

    Examples
    --------
    >>> from interp_ecg.features.beat_classes import qrs_windows
    >>> import numpy as np
    >>> t = np.arange(0, 4, 1 / 100)
    >>> x = np.exp(-0.5 * ((t[None, :] - np.array([[1.003], [2.007]])) / 0.012) ** 2).sum(axis=0)[None]
    >>> w = qrs_windows(x, 100.0, np.array([100.3, 200.7]), max_lag_ms=0)
    >>> w.shape
    (1, 2, 80)
    >>> bool(np.corrcoef(w[0, 0], w[0, 1])[0, 1] > 0.99)
    True
    """
    x = np.asarray(signal, dtype=np.float64)
    factor = int(np.ceil(COMPARE_FS / fs - 1e-9)) if fs < COMPARE_FS else 1
    bad = ~np.isfinite(x)
    if factor > 1:
        x = upsample(np.where(bad, 0.0, x), factor)
        if bad.any():
            x[np.repeat(bad, factor, axis=1)] = np.nan
    rate = fs * factor
    step = rate / COMPARE_FS  # samples of x per grid sample
    grid = np.arange(int(round(QRS_WINDOW_S[0] * COMPARE_FS)), int(round(QRS_WINDOW_S[1] * COMPARE_FS)))
    n_lag = int(round(max_lag_ms * COMPARE_FS / 1000.0))
    # one long window per beat covers every lag; the lagged windows are slices of it
    span = np.arange(grid[0] - n_lag, grid[-1] + n_lag + 1)
    pos = np.asarray(anchors, dtype=float)[:, None] * factor + span[None, :] * step  # beats, span
    n = x.shape[1]
    inside = (pos >= 0) & (pos <= n - 1)
    i0 = np.clip(np.floor(pos).astype(np.int64), 0, max(n - 2, 0))
    frac = np.clip(pos - i0, 0.0, 1.0)
    i1 = np.minimum(i0 + 1, n - 1)
    long = x[:, i0] * (1.0 - frac) + x[:, i1] * frac  # leads, beats, span
    long[:, ~inside] = np.nan
    win = np.lib.stride_tricks.sliding_window_view(long, grid.size, axis=-1)  # leads, beats, lags, grid
    if inside.all() and np.isfinite(long).all():
        # each lagged window's mean from a running sum of the long window
        cs = np.concatenate([np.zeros(long.shape[:-1] + (1,)), np.cumsum(long, axis=-1)], axis=-1)
        mean = ((cs[..., grid.size:] - cs[..., :-grid.size]) / grid.size)[..., None]
    else:
        ok = np.isfinite(win)
        count = ok.sum(axis=-1, keepdims=True)
        mean = np.where(ok, win, 0.0).sum(axis=-1, keepdims=True) / np.maximum(count, 1)
    win = win - mean
    return np.transpose(win, (2, 1, 0, 3)).reshape(2 * n_lag + 1, len(anchors), -1)


def _masked_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Correlation of every row of ``a`` ``(..., n, F)`` with every row of ``b`` ``(m, F)``
    (result ``(..., n, m)``) over the samples finite in both, as :func:`_correlate` (the
    windows' means are already removed). -inf where the two rows have less than half of
    their samples in common (a beat cut by the record edge is compared on what is left
    of it, not on a few samples)."""
    row_shape = a.shape[:-1]
    a = a.reshape(-1, a.shape[-1])  # one 2-D product (batched matrix-vector products are slow)
    if np.isfinite(a).all() and np.isfinite(b).all():  # the usual case: no sample missing
        den = np.sqrt(np.einsum("ij,ij->i", a, a)[:, None] * np.einsum("ij,ij->i", b, b)[None, :])
        num = a @ b.T
        r = np.divide(num, den, out=np.full(num.shape, -np.inf), where=den > 0)
        return r.reshape(*row_shape, b.shape[0])
    ok_a = np.isfinite(a).astype(np.float64)
    ok_b = np.isfinite(b).astype(np.float64)
    a0 = np.where(ok_a > 0, a, 0.0)
    b0 = np.where(ok_b > 0, b, 0.0)
    num = a0 @ b0.T
    den = np.sqrt(((a0 * a0) @ ok_b.T) * (ok_a @ (b0 * b0).T))
    common = (ok_a @ ok_b.T) >= 0.5 * a.shape[-1]
    r = np.divide(num, den, out=np.full(num.shape, -np.inf), where=(den > 0) & common)
    return r.reshape(*row_shape, b.shape[0])


def _align(lagged: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each beat's window at the lag where it best matches ``ref`` ``(F,)``: the windows
    ``(n_beats, F)``, that best correlation ``(n_beats,)`` (NaN where no lag leaves half
    of the window in common with ``ref``) and the lag itself ``(n_beats,)``, in grid
    samples of :data:`COMPARE_FS` (positive: the beat's matching point lies after its
    anchor), refined between grid samples by the parabola through the correlation at the
    best lag and its two neighbours (NaN where the correlation is)."""
    r = _masked_correlation(lagged, ref[None, :])[..., 0]  # lags, beats
    best = np.argmax(r, axis=0)
    beats = np.arange(lagged.shape[1])
    corr = r[best, beats]
    n_lag = lagged.shape[0] // 2
    lag = (best - n_lag).astype(float)
    inner = (best > 0) & (best < lagged.shape[0] - 1)
    if inner.any():
        b, k = best[inner], beats[inner]
        y0, y1, y2 = r[b - 1, k], r[b, k], r[b + 1, k]
        curv = y0 - 2.0 * y1 + y2
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.where(np.isfinite(curv) & (curv < 0), 0.5 * (y0 - y2) / curv, 0.0)
        lag[inner] += np.clip(np.nan_to_num(step), -0.5, 0.5)
    ok = np.isfinite(corr)
    return lagged[best, beats, :], np.where(ok, corr, np.nan), np.where(ok, lag, np.nan)


def dominant_class(classes: np.ndarray, rr_prev: np.ndarray, rr_next: np.ndarray,
                   paced: np.ndarray | None = None) -> int | None:
    """The dominant class: the latest-coming of the classes at least half as large as the
    largest and of at least :data:`MIN_DOMINANT_BEATS` beats (median RR before / RR after
    the beat; ectopic beats come early).

    ``paced`` (bool per beat, optional): candidate classes of mostly ventricular-paced
    beats are passed over when a candidate class of mostly native beats exists.

    Returns ``None`` when no class has :data:`MIN_DOMINANT_BEATS` beats: no QRS shape
    recurs, so no beat is the dominant one (module docstring, step 2).

    Examples
    --------
    >>> from interp_ecg.features.beat_classes import dominant_class
    >>> import numpy as np
    >>> classes = np.array([0, 0, 0, 1, 1, 1, 1])
    >>> rr = np.full(7, 800.0)
    >>> dominant_class(classes, rr, rr), dominant_class(classes, rr, rr, paced=classes == 1)
    (1, 0)
    >>> print(dominant_class(np.array([0, 1, 2]), rr[:3], rr[:3]))
    None
    """
    ids, counts = np.unique(classes, return_counts=True)
    big = counts.max()
    cand = [(c, k) for c, k in zip(ids, counts) if k >= max(MIN_DOMINANT_BEATS, CANDIDATE_SHARE * big)]
    if paced is not None and len(cand) > 1:
        native = [(c, k) for c, k in cand if np.mean(paced[classes == c]) <= 0.5]
        if native:
            cand = native
    if not cand:
        return None
    if len(cand) == 1:
        return int(cand[0][0])
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = rr_prev / rr_next
    scores = []
    for c, k in cand:
        v = ratio[(classes == c) & np.isfinite(ratio)]
        scores.append((float(np.median(v)) if v.size else -np.inf, k))
    best = max(range(len(cand)), key=lambda i: scores[i])
    return int(cand[best][0])


def classify_beats(
    signal: np.ndarray, fs: float, fiducials: pd.DataFrame | FidArrays, usable: np.ndarray | None = None,
    pacing_spikes: np.ndarray | None = None, noisy_runs: np.ndarray | None = None,
) -> BeatTable:
    """Label each consensus beat dominant (``"N"``), ``"PVC"``, ``"paced"``, ``"outlier"`` or ``"noise"``.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV.
    fs : float
        Sampling rate (Hz).
    fiducials : pandas.DataFrame or FidArrays
        A delineation table (with ``lead == "global"`` rows) or already its consensus rows.
    usable : numpy.ndarray of bool, optional
        Leads to use for the morphology comparison (flat or clipped leads left out).
    pacing_spikes : numpy.ndarray, optional
        Sample indices of the pacemaker spikes (``features.pacing.detect_pacing_spikes``'s
        ``sample`` column). A beat with a spike from :data:`PACED_BEFORE_MS` before its QRS
        onset to its anchor is ventricular-paced (column ``paced``), and conducted beats
        are preferred as the dominant class (module docstring, step 2).
    noisy_runs : numpy.ndarray, optional
        ``(n_runs, 2)`` start and end (exclusive) samples of the stretches in which every
        lead is noisy (:func:`noisy_stretches`). A beat whose compared QRS window
        (:data:`QRS_WINDOW_S` around its anchor) reaches into one is labelled
        :data:`NOISE_LABEL` (not dominant, not compared, ``corr`` NaN) and the other beats
        are classified without it.

    Returns
    -------
    BeatTable
        ``beats`` indexed by beat: ``anchor`` (sample index, rounded; where the median
        beat is cut), ``anchor_exact`` (the anchor as delineated, a fractional sample index
        where the delineator worked on an interpolation), ``anchor_aligned`` (the RR
        fiducial, fractional samples: for the beats shaped like the dominant ones the same
        point of the QRS in every beat, by cross-correlation with the dominant template;
        any other beat's ``anchor_exact``; module docstring, step 4), ``rr_prev_ms`` and
        ``rr_next_ms`` (between successive ``anchor_aligned``), ``qrs_ms``,
        ``corr`` (with the dominant class's median QRS), ``morph_class`` (0 = largest),
        ``paced``, ``label`` and ``dominant``.
    """
    if isinstance(fiducials, FidArrays) or "lead" in fiducials.columns:
        g = global_fiducials(fiducials)
    else:
        g = fiducials
    anchor = beat_anchors(g)
    g = g[np.isfinite(anchor)]
    runs = np.zeros((0, 2)) if noisy_runs is None else np.asarray(noisy_runs, dtype=float).reshape(-1, 2)
    if runs.size:
        a = beat_anchors(g)
        lo, hi = a + QRS_WINDOW_S[0] * fs, a + QRS_WINDOW_S[1] * fs  # the window compared
        in_noise = ((lo[:, None] < runs[None, :, 1]) & (hi[:, None] >= runs[None, :, 0])).any(axis=1)
        if in_noise.any():
            logger.info("%d beat(s) in a stretch noisy in every lead left unclassified", int(in_noise.sum()))
            clean = classify_beats(signal, fs, g[~in_noise], usable, pacing_spikes)
            return _with_noise_beats(clean, g[in_noise], fs)
    table = _classify(signal, fs, g, usable, pacing_spikes)
    # two ventricular depolarisations cannot follow each other within the refractory
    # period: of such a pair, the beat less like the dominant ones is not a beat
    b = table.beats
    close = np.flatnonzero(b["rr_prev_ms"].to_numpy(dtype=float) < REFRACTORY_MS)
    if close.size:
        corr = np.nan_to_num(b["corr"].to_numpy(dtype=float), nan=-np.inf)
        drop: set[int] = set()
        for i in close:
            if i - 1 in drop or i in drop:
                continue
            drop.add(i - 1 if corr[i - 1] < corr[i] else i)
        gone = b.index[sorted(drop)]
        logger.info("%d detection(s) within %g ms of another beat left out: beats %s", len(gone),
                    REFRACTORY_MS, list(gone))
        table = _classify(signal, fs, g.drop(index=gone), usable, pacing_spikes)
        g = g.drop(index=gone)
    # a differing beat without QRS amplitude or slope is a P or T wave, not a beat (NOT_QRS_SHARES)
    small = _without_qrs(signal, fs, table, usable)
    if small.any():
        gone = table.beats.index[small]
        logger.info("%d detection(s) without a QRS (amplitude under %.0f%% and slope under %.0f%% of the "
                    "dominant beats': a P or T wave) left out: beats %s", len(gone), 100 * NOT_QRS_SHARES[0],
                    100 * NOT_QRS_SHARES[1], list(gone))
        table = _classify(signal, fs, g.drop(index=gone), usable, pacing_spikes)
    return table


def _without_qrs(signal: np.ndarray, fs: float, table: BeatTable, usable: np.ndarray | None) -> np.ndarray:
    """``(n_beats,)`` the PVC/outlier beats whose window's amplitude and steepest slope are
    both under :data:`NOT_QRS_SHARES` of the dominant beats' medians."""
    b = table.beats
    differs = b["label"].isin(["PVC", "outlier"]).to_numpy()
    dom = b["dominant"].to_numpy(bool)
    if not differs.any() or dom.sum() < MIN_DOMINANT_BEATS:
        return np.zeros(len(b), bool)
    lead_mask = np.ones(signal.shape[0], bool) if usable is None else np.asarray(usable, bool)
    if not lead_mask.any():
        lead_mask = np.ones(signal.shape[0], bool)
    w = qrs_windows(signal[lead_mask], fs, b["anchor_exact"].to_numpy(dtype=float), 0.0)[0]
    w = w.reshape(len(b), int(lead_mask.sum()), -1)  # beats, leads, grid (COMPARE_FS)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ptp = np.nanmax(np.nanmax(w, axis=2) - np.nanmin(w, axis=2), axis=1)
        slope = np.nanmax(np.abs(np.diff(w, axis=2)), axis=(1, 2)) * COMPARE_FS  # mV/s
        ref_ptp, ref_slope = np.nanmedian(ptp[dom]), np.nanmedian(slope[dom])
    if not (np.isfinite(ref_ptp) and np.isfinite(ref_slope) and ref_ptp > 0 and ref_slope > 0):
        return np.zeros(len(b), bool)
    return differs & (ptp < NOT_QRS_SHARES[0] * ref_ptp) & (slope < NOT_QRS_SHARES[1] * ref_slope)


def paced_beats(qrs_on: np.ndarray, anchor: np.ndarray, spikes: np.ndarray | None, fs: float) -> np.ndarray:
    """Bool per beat: a pacing spike lies from ``PACED_BEFORE_MS`` before the QRS onset (the
    anchor when the onset is missing) to the anchor.

    Examples
    --------
    >>> from interp_ecg.features.beat_classes import paced_beats
    >>> import numpy as np
    >>> paced_beats(np.array([100.0, 600.0]), np.array([130.0, 630.0]), np.array([95]), 500.0).tolist()
    [True, False]
    """
    anchor = np.asarray(anchor, dtype=float)
    if spikes is None or len(spikes) == 0:
        return np.zeros(anchor.size, bool)
    start = np.where(np.isfinite(qrs_on), qrs_on, anchor) - PACED_BEFORE_MS * fs / 1000.0
    sp = np.sort(np.asarray(spikes, dtype=float))
    first = np.searchsorted(sp, start, side="left")
    return (first < sp.size) & (sp[np.minimum(first, sp.size - 1)] <= anchor)


def rr_fiducials(anchors: np.ndarray, lag: np.ndarray, similar: np.ndarray) -> np.ndarray:
    """The point of every beat between which RR intervals are taken (module docstring, step 4).

    Parameters
    ----------
    anchors : numpy.ndarray
        ``(n_beats,)`` each beat's anchor as delineated (fractional samples).
    lag : numpy.ndarray
        ``(n_beats,)`` shift, in samples, that best aligns each beat's QRS window on the
        dominant template (NaN where it could not be measured).
    similar : numpy.ndarray of bool
        ``(n_beats,)`` beats shaped like the dominant template (r >= :data:`CORR_MIN`).

    Returns
    -------
    numpy.ndarray
        ``(n_beats,)`` in samples: for a similar beat with a measured lag, its anchor plus
        its lag minus the median lag of those beats, i.e. the same point of the QRS in every
        such beat, placed where the consensus R peak lies in the typical one; any other
        beat (ectopic, outlier, not comparable) keeps its own anchor.

    Examples
    --------
    >>> from interp_ecg.features.beat_classes import rr_fiducials
    >>> import numpy as np
    >>> rr_fiducials(np.array([100.0, 512.0, 900.0, 1300.0]), np.array([0.0, -12.0, 0.0, 5.0]),
    ...              np.array([True, True, True, False])).tolist()
    [100.0, 500.0, 900.0, 1300.0]
    """
    anchors = np.asarray(anchors, dtype=float)
    shift = np.where(np.asarray(similar, bool) & np.isfinite(lag), lag, np.nan)
    if not np.isfinite(shift).any():
        return anchors.copy()
    shift = shift - np.nanmedian(shift)
    return np.where(np.isfinite(shift), anchors + shift, anchors)


def _with_noise_beats(clean: BeatTable, g_noise: pd.DataFrame, fs: float) -> BeatTable:
    """``clean`` with the beats of ``g_noise`` added, labelled :data:`NOISE_LABEL`, in time
    order; ``rr_prev_ms``/``rr_next_ms`` recomputed over all beats."""
    exact = beat_anchors(g_noise)
    qrs = (g_noise["QRS_off"].to_numpy(dtype=float) - g_noise["QRS_on"].to_numpy(dtype=float)) * 1000.0 / fs
    nan = np.full(exact.size, np.nan)
    noise = _beat_frame(g_noise.index, np.rint(exact).astype(np.int64), exact, exact, nan, nan, qrs, nan,
                        np.full(exact.size, -1), np.zeros(exact.size, bool), np.full(exact.size, NOISE_LABEL))
    beats = pd.concat([clean.beats, noise]) if len(clean.beats) else noise
    order = np.argsort(beats["anchor_exact"].to_numpy(dtype=float), kind="stable")
    beats = beats.iloc[order]
    g = pd.concat([clean.fiducials, g_noise]).loc[beats.index]
    rr = np.diff(beats["anchor_aligned"].to_numpy(dtype=float)) * 1000.0 / fs
    beats = beats.assign(rr_prev_ms=np.r_[np.nan, rr], rr_next_ms=np.r_[rr, np.nan])
    return BeatTable(beats=beats, fiducials=g)


def _classify(signal: np.ndarray, fs: float, g: pd.DataFrame, usable: np.ndarray | None,
              spikes: np.ndarray | None = None) -> BeatTable:
    exact = beat_anchors(g)
    anchor = np.rint(exact).astype(np.int64)
    n_beats = anchor.size
    ms = 1000.0 / fs
    paced = paced_beats(g["QRS_on"].to_numpy(dtype=float), anchor, spikes, fs)
    # RR from the anchors as delineated (fractional sample indices where the delineator
    # worked on an interpolation): rounded to the record's samples, every RR of a 100 Hz
    # record would be a multiple of 10 ms
    rr = np.diff(exact) * ms
    rr_prev = np.r_[np.nan, rr]
    rr_next = np.r_[rr, np.nan]
    qrs = (g["QRS_off"].to_numpy(dtype=float) - g["QRS_on"].to_numpy(dtype=float)) * ms
    lead_mask = np.ones(signal.shape[0], bool) if usable is None else np.asarray(usable, bool)
    if not lead_mask.any():
        lead_mask = np.ones(signal.shape[0], bool)
    corr = np.full(n_beats, np.nan)
    lag = np.full(n_beats, np.nan)
    classes = np.zeros(n_beats, dtype=int)
    dom_class: int | None = None
    if n_beats >= MIN_DOMINANT_BEATS:
        lagged = qrs_windows(signal[lead_mask], fs, exact, ALIGN_MAX_MS)  # lags, beats, features
        # align every beat on the most typical one (the highest mean correlation with the
        # others, unshifted), compare the aligned shapes, then every beat at its best lag
        # with the dominant class's median
        mid = lagged.shape[0] // 2
        r0 = np.nan_to_num(_masked_correlation(lagged[mid], lagged[mid]), neginf=0.0)
        aligned, _, _ = _align(lagged, lagged[mid, int(np.argmax(r0.mean(axis=1)))])
        r = _masked_correlation(aligned, aligned)
        np.fill_diagonal(r, 1.0)
        classes = _classes_from_correlation(np.nan_to_num(r, neginf=0.0))
        dom_class = dominant_class(classes, rr_prev, rr_next, paced if paced.any() else None)
        if dom_class is not None:
            tpl = nanmedian(aligned[classes == dom_class], axis=0)
            _, corr, lag = _align(lagged, tpl)
    if dom_class is None:
        # no QRS shape recurs: there is no dominant beat to compare with (no label is guessed)
        label = np.full(n_beats, UNCLASSIFIED, dtype=object)
        return BeatTable(beats=_beat_frame(g.index, anchor, exact, exact, rr_prev, rr_next, qrs, corr, classes,
                                           paced, label), fiducials=g)
    differs = np.nan_to_num(corr, nan=1.0) < CORR_MIN
    # the RR fiducial (module docstring, step 4): the beats shaped like the dominant ones
    # at the point matching the same point of the dominant template
    # (only where the beat's whole window, at that lag, lies inside the record: on a window
    # cut by the record edge the best lag is not the same point)
    shift = lag * fs / COMPARE_FS
    whole = (exact + shift + QRS_WINDOW_S[0] * fs >= 0) & (exact + shift + QRS_WINDOW_S[1] * fs <= signal.shape[1] - 1)
    fid = rr_fiducials(exact, shift, ~differs & whole)
    rr = np.diff(fid) * ms
    rr_prev = np.r_[np.nan, rr]
    rr_next = np.r_[rr, np.nan]
    in_dom = classes == dom_class
    nn = in_dom[:-1] & in_dom[1:]
    if nn.any():
        ref_rr = float(np.median(rr[nn]))
    else:
        ref_rr = float(np.mean(rr)) if rr.size else np.nan
    q_dom = qrs[in_dom & np.isfinite(qrs)]
    ref_qrs = float(np.median(q_dom)) if q_dom.size else (
        float(np.median(qrs[np.isfinite(qrs)])) if np.isfinite(qrs).any() else np.nan)
    premature = np.nan_to_num(rr_prev, nan=np.inf) < PREMATURE_RATIO * ref_rr
    wide = np.nan_to_num(qrs, nan=-np.inf) > ref_qrs + WIDE_EXTRA_MS
    pvc = differs & (premature | wide)
    # a paced beat unlike the dominant (conducted) beats is neither ectopic nor an outlier
    label = np.where(differs & paced, "paced", np.where(pvc, "PVC", np.where(differs, "outlier", "N")))
    return BeatTable(beats=_beat_frame(g.index, anchor, exact, fid, rr_prev, rr_next, qrs, corr, classes, paced,
                                       label), fiducials=g)


def _beat_frame(index, anchor, exact, fid, rr_prev, rr_next, qrs, corr, classes, paced, label) -> pd.DataFrame:
    label = np.asarray(label, dtype=object)
    return pd.DataFrame(
        {
            "anchor": anchor,
            "anchor_exact": exact,
            "anchor_aligned": fid,
            "rr_prev_ms": rr_prev,
            "rr_next_ms": rr_next,
            "qrs_ms": qrs,
            "corr": corr,
            "morph_class": classes,
            "paced": paced,
            "label": label,
            # a beat is dominant only when it matches the dominant class (never by default)
            "dominant": label == "N",
        },
        index=index,
    )


def no_dominant_reason(table: BeatTable) -> str:
    """Why a record has no dominant beat, or ``""`` when it has one.

    Examples
    --------
    >>> from interp_ecg.features.beat_classes import no_dominant_reason
    >>> from interp_ecg.features.median_beat import BeatTable
    >>> import pandas as pd
    >>> b = pd.DataFrame({"label": ["unclassified"] * 3, "dominant": [False] * 3})
    >>> no_dominant_reason(BeatTable(beats=b, fiducials=pd.DataFrame())).split(';')[0]
    'no dominant beat class: none of the 3 beats shares its QRS shape with another (r >= 0.85 at the best alignment), so no beat is dominant'
    """
    b = table.beats
    if len(b) and b["dominant"].to_numpy(bool).any():
        return ""
    if len(b) == 0:
        return "no dominant beat class: no beat"
    if (b["label"] == UNCLASSIFIED).all():
        return (f"no dominant beat class: none of the {len(b)} beats shares its QRS shape with another "
                f"(r >= {CORR_MIN} at the best alignment), so no beat is dominant; the median beat, the "
                f"intervals, amplitudes and HRV are not measured and the beats are not labelled PVC or outlier")
    return (f"no dominant beat: none of the {len(b)} beats matches the dominant class's median QRS "
            f"(r >= {CORR_MIN}); the median beat, the intervals, amplitudes and HRV are not measured")


#: Share of PVCs from which the beat-by-beat P-wave decision is checked on the median beat.
FREQUENT_ECTOPY_SHARE = 0.25
#: Largest median absolute deviation of the RR before the dominant beats, relative to their
#: median, for a "regular" rhythm (atrial fibrillation: 0.1-0.25).
REGULAR_MAD_MAX = 0.06


def frequent_ectopy_regular(table: BeatTable) -> bool:
    """Frequent PVCs (>= 2 and >= 25 % of the beats) over a regular dominant rhythm.

    Such records (bigeminy, trigeminy) defeat rhythm-based P-wave checks of beat-by-beat
    delineation (RR alternates although the sinus node is regular); the feature pipeline
    then measures the P wave on the dominant beats' median beat
    (:func:`interp_ecg.features.median_beat.median_beat_p_wave`). Atrial fibrillation
    with PVCs is not regular and is left alone.

    Examples
    --------
    >>> from interp_ecg.features.beat_classes import frequent_ectopy_regular
    >>> from interp_ecg.features.median_beat import BeatTable
    >>> import pandas as pd
    >>> b = pd.DataFrame({"label": ["N", "PVC"] * 4, "dominant": [True, False] * 4,
    ...                   "rr_prev_ms": [float("nan"), 500, 1100, 500, 1100, 500, 1100, 500]})
    >>> frequent_ectopy_regular(BeatTable(beats=b, fiducials=pd.DataFrame()))
    True
    """
    b = table.beats
    n_pvc = int((b["label"] == "PVC").sum())
    if n_pvc < 2 or n_pvc < FREQUENT_ECTOPY_SHARE * len(b):
        return False
    rr = b.loc[b["dominant"].to_numpy(bool), "rr_prev_ms"].to_numpy(dtype=float)
    rr = rr[np.isfinite(rr)]
    if rr.size < 2:
        return False
    med = float(np.median(rr))
    # robust: one RR cut short by a missed or spurious beat does not make the rhythm irregular
    return bool(np.median(np.abs(rr - med)) / med <= REGULAR_MAD_MAX)


__all__ = ["classify_beats", "frequent_ectopy_regular", "no_dominant_reason", "MIN_DOMINANT_BEATS", "UNCLASSIFIED", "morphology_classes", "dominant_class", "paced_beats",
           "qrs_windows", "rr_fiducials", "CORR_MIN", "PREMATURE_RATIO", "PACED_BEFORE_MS", "WIDE_EXTRA_MS", "COMPARE_FS",
           "ALIGN_MAX_MS", "NOT_QRS_SHARES"]
