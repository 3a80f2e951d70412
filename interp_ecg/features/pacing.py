"""Pacemaker spikes: detection, removal before delineation, and the record's pacing flag.

A pacing pulse (0.1-1.5 ms, up to several mV at the skin for unipolar pacing, well under 1 mV
for bipolar pacing) reaches a diagnostic ECG sampled at 250-1000 Hz as a one- or two-sample
spike: a jump steeper than any wave of cardiac origin, followed within a few milliseconds by
the return to the baseline, in many leads at the same instant. Delineators take such a spike
for a QRS onset or for a beat of its own (a paced LBBB-like record then shows twice its rate,
"PVCs" and a wide complex tachycardia). Clinical programs mark the spikes with dedicated
hardware and measure the waves without them; this module does the same in software:

1. :func:`detect_pacing_spikes` finds, in every lead, *edges* whose slope is at least
   :data:`SLOPE_MIN_MV_PER_MS` (0.2 mV/ms; the steepest QRS upstrokes of LUDB and PTB-XL
   stay at or below it at 500 Hz) lasting at most :data:`EDGE_MAX_MS` (3 ms, at least one
   sample), rising by at least :data:`AMPLITUDE_MIN_MV` (0.25 mV), and followed within
   :data:`SPIKE_MAX_WIDTH_MS` (8 ms, at least two samples) by a return of at least
   :data:`RETURN_FRACTION` (60 %) of the rise, and towering at least :data:`ISOLATION_MIN`
   (20) times over the median sample-to-sample change of the 40 ms either side (muscle noise
   and electrode artefacts have steep edges too, but their neighbours jump as much). A spike is an instant at which at least
   :data:`MIN_LEADS` leads (2) show such an edge within :data:`COINCIDENCE_MS` (2 ms, at
   least one sample) of each other.
2. :func:`remove_pacing_spikes` replaces the samples of every spike (from the sample before
   the edge to the end of the return, in all leads) by a straight line, so the delineator
   sees the cardiac waves only; the spike samples are kept as their own output.
3. :func:`strip_pacing_spikes` does both (the feature pipeline's first step), and a record is
   flagged ``paced`` (:func:`pacing_summary`) when it has at least :data:`PACED_MIN_SPIKES` (2) spikes.
4. :func:`detect_time_locked_spikes` (and :func:`detect_pacing_spikes` given ``qrs_peaks``)
   also finds *small* spikes, with no slope or absolute height threshold beyond
   :data:`SMALL_AMPLITUDE_MIN_MV` (0.05 mV): an impulse whose changed samples span at most
   2 samples or 4 ms (never more than 8 ms), rising from rest, back within those samples,
   :data:`SMALL_ISOLATION_MIN` (12) times the activity around it, in two leads at once (the
   limb leads counting as one), and time-locked to the QRS complexes (20-350 ms before the
   next QRS peak, two spikes sharing their lag within 16 ms, spikes before at least half of
   the complexes). ``delineation.delineate`` removes these and the large spikes before
   delineating (``df.attrs["pacing_spikes"]``).

Sampling rate matters. The thresholds are in mV/ms and ms, so they mean the same at 250,
500 and 1000 Hz, but a real pulse of 0.5 ms is smeared and attenuated by the recorder's
anti-aliasing filter before it is sampled: at 250 Hz a spike that appears as a one-sample
jump of less than 0.8 mV (0.2 mV/ms over 4 ms) is not detected by the slope criterion (the
time-locked search of point 4 finds it), and bipolar pacing spikes are often invisible in
500 Hz exports too (LUDB records 90 and 111, say). Below 125 Hz no small spike is sought.
An undetected spike is left in the signal; the record is then not flagged ``paced`` (``paced`` False means "no
spike found", not "no pacemaker").

Below :data:`PACING_MIN_FS_HZ` (125 Hz) a spike cannot be seen at all, so there no spike found
is no evidence, and :func:`pacing_summary` gives ``paced`` and ``pacing_spike_count`` NaN
(with the sentence of :func:`pacing_note`) instead of 0. A pacing pulse lasts 0.1-2 ms
(the pulse range of the AAMI EC13 / IEC 60601-2-27 pacemaker-rejection tests); a recorder
sampling at ``fs`` must low-pass it below ``fs / 2`` first, which spreads it over about
``1000 / fs`` ms and leaves about ``2 * (fs / 2) * width`` of its height: at 100 Hz
(PTB-XL's ``records100``, a sample every 10 ms, bandwidth <= 50 Hz) a 0.5 ms pulse keeps some
5 % of its height, spread over 10-20 ms, as wide and as tall as a QRS notch, and the widest
spike this module accepts (:data:`SMALL_SPIKE_MAX_MS`, 8 ms) is shorter than one sample.
Even at 500 Hz a digital detector misses about a quarter of the spikes (Luo S, Johnston P,
Hong W, Performance study of digital pacer spike detection as sampling rate changes,
Computers in Cardiology 35:349, 2008: sensitivity 77.5 % at 500 samples/s, 95.4 % at 8000,
99.5 % at 32000). On PTB-XL, the 6 paced records of the first 500 read ``paced`` 1 at
500 Hz and showed no spike at 100 Hz.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.features.pacing import detect_pacing_spikes, remove_pacing_spikes
>>> x = np.zeros((3, 1000), dtype="float32")
>>> x[:, 400:402] += 2.0                      # a 4 ms, 2 mV spike at 500 Hz in 3 leads
>>> spikes = detect_pacing_spikes(x, 500)
>>> spikes[["sample", "n_leads"]].to_dict("records")
[{'sample': 400, 'n_leads': 3}]
>>> float(np.abs(remove_pacing_spikes(x, 500, spikes)).max())
0.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from interp_ecg.errors import ArgumentError

#: Smallest slope of a spike's leading edge (mV/ms).
SLOPE_MIN_MV_PER_MS = 0.2
#: Longest leading edge (ms); at least one sample interval.
EDGE_MAX_MS = 3.0
#: Smallest rise of the leading edge (mV).
AMPLITUDE_MIN_MV = 0.25
#: Longest time from the end of the leading edge to the return (ms); at least two samples.
SPIKE_MAX_WIDTH_MS = 8.0
#: Share of the rise that the signal must give back within SPIKE_MAX_WIDTH_MS.
RETURN_FRACTION = 0.6
#: A spike's rise over the median absolute sample-to-sample change within
#: ISOLATION_WINDOW_MS either side of it (dimensionless; real spikes 40-600, noise <= 15).
ISOLATION_MIN = 20.0
ISOLATION_WINDOW_MS = 40.0
#: Leads that must show the spike at (nearly) the same instant.
MIN_LEADS = 2
#: Largest offset between the leads' edges of one spike (ms); at least one sample.
COINCIDENCE_MS = 2.0
#: Spikes needed to flag a record as paced.
PACED_MIN_SPIKES = 2

# --- small spikes, time-locked to the QRS complexes (used when ``qrs_peaks`` is given) ---
# At 250 Hz (and in bipolar pacing at any rate) the recorder's filters leave a pulse of a
# few tenths of a mV or less spread over one or two samples, far under SLOPE_MIN_MV_PER_MS.
# Such a small impulse is told from the cardiac waves by its shape (it rises and returns
# within SPIKE_MAX_WIDTH_MS), by towering over the sample-to-sample activity around it, by
# appearing in several leads at once, and by standing at a fixed lag before the QRS
# complexes it paces; noise impulses (digitiser glitches, electrode pops) have no fixed lag.
#: Smallest rise of a small spike (mV): ten times the few-uV baseline noise of a diagnostic
#: recorder; the smallest spike of LUDB's paced records resampled to 250 Hz is about 0.08 mV.
SMALL_AMPLITUDE_MIN_MV = 0.05
#: A small spike's rise over the median absolute sample-to-sample change within
#: ISOLATION_WINDOW_MS either side (dimensionless).
SMALL_ISOLATION_MIN = 12.0
#: In the other leads of a spike, a small spike needs only this share of
#: SMALL_ISOLATION_MIN (the spike's vector may be nearly perpendicular to a lead).
SMALL_CONFIRM_FRACTION = 0.5
#: The step before a small spike's edge, in the edge's direction, is at most this share of
#: its rise (the edge starts from rest; an R wave's top follows its own upstroke).
SMALL_EDGE_REST_FRACTION = 0.35
#: A pacing pulse (0.1-1.5 ms) smeared by the recorder's anti-aliasing filter changes at
#: most SMALL_SPIKE_SAMPLES samples, or SMALL_SPIKE_FILTERED_MS at high rates (4 samples at
#: 1000 Hz); wider dips of 6-8 ms at 500 Hz are noise (PTB-XL record 128: 15 of them, at
#: a fixed lag by chance).
SMALL_SPIKE_SAMPLES = 2
SMALL_SPIKE_FILTERED_MS = 4.0
#: Longest span of the changed samples of a small spike, edge and top (ms), at any rate; below
#: ``1000 / SMALL_SPIKE_MAX_MS`` = 125 Hz not one sample fits, so no small spike is sought:
#: there an R wave can be two samples wide and nothing but the height tells them apart.
SMALL_SPIKE_MAX_MS = 8.0
#: A spike is time-locked when the first QRS peak at least LOCK_MIN_MS after it lies at most
#: LOCK_MAX_MS after it (ventricular pacing: latency 10-40 ms plus the time to the QRS peak;
#: atrial pacing: the AV delay, up to about 300 ms) ...
LOCK_MIN_MS = 20.0
LOCK_MAX_MS = 350.0
#: ... in a record where two time-locked spikes have the same lag within LOCK_TOL_MS (a
#: pacemaker paces at a fixed latency; the detector's QRS peak moves by a few ms from beat to
#: beat; noise impulses fall at any lag).
LOCK_TOL_MS = 16.0
#: ... and where locked spikes precede at least this share of the QRS complexes ("a spike
#: before most QRS onsets"; on the odd LUDB records, 12 leads at 500 Hz, QRS-onset notches
#: of 2 unpaced records were locked before 5 of 12 and 6 of 14 complexes, the spikes of the
#: intermittently paced record 95 before 6 of 10). A record paced in fewer than half of its
#: beats keeps its spikes (stated limit).
LOCK_MIN_SHARE = 0.5

#: Lowest sampling rate (Hz) at which a pacing spike can be seen: one sample interval fits
#: in SMALL_SPIKE_MAX_MS (1000 / 8 ms = 125 Hz). Below it ``paced`` is NaN unless spikes were
#: found anyway (module docstring).
PACING_MIN_FS_HZ = 1000.0 / SMALL_SPIKE_MAX_MS

#: Limb-lead names (upper case) counted as one recording for the coincidence of small spikes.
LIMB_LEADS = frozenset({"I", "II", "III", "AVR", "AVL", "AVF", "-AVR"})
LIMB_GROUP = -1

SPIKE_COLUMNS = ("sample", "start", "end", "amplitude_mV", "n_leads", "lead")


def _steep_leads(x: np.ndarray, fs: float) -> np.ndarray:
    """Indices of the leads where :func:`_lead_spikes` can find a spike: a cheap superset
    of the leads with a sample-to-sample slope of at least SLOPE_MIN_MV_PER_MS (most leads
    have none). The differences are taken in the signal's own float type (float32: rounded
    by at most 6e-8 of themselves) against a threshold lowered by 1e-4 of itself."""
    if x.shape[1] < 4:
        return np.empty(0, np.int64)
    xd = x if x.dtype in (np.float32, np.float64) else x.astype(np.float64)
    with np.errstate(invalid="ignore"):
        jump = np.abs(np.diff(xd, axis=1))
        return np.flatnonzero(
            (jump >= SLOPE_MIN_MV_PER_MS * (1000.0 / fs) * (1.0 - 1e-4)).any(axis=1))


def _lead_spikes(x: np.ndarray, fs: float) -> list[tuple[int, int, int, float]]:
    """Spikes of one lead: ``(first spike sample, first changed sample, last changed sample,
    signed rise in mV)``."""
    n = x.size
    if n < 4:
        return []
    dt_ms = 1000.0 / fs
    d = np.diff(x.astype(np.float64)) / dt_ms  # mV/ms between samples k and k+1
    edge_max = max(1, int(np.floor(EDGE_MAX_MS / dt_ms + 1e-9)))
    width = max(2, int(round(SPIKE_MAX_WIDTH_MS / dt_ms)))
    iso = max(2, int(round(ISOLATION_WINDOW_MS / dt_ms)))
    out = []
    for sign in (1.0, -1.0):
        steep = sign * d >= SLOPE_MIN_MV_PER_MS
        if not steep.any():
            continue
        idx = np.flatnonzero(steep)
        # runs of consecutive steep differences of this sign: one edge each
        breaks = np.flatnonzero(np.diff(idx) > 1)
        starts = np.r_[idx[0], idx[breaks + 1]]
        ends = np.r_[idx[breaks], idx[-1]]
        for j0, j1 in zip(starts, ends):
            if j1 - j0 + 1 > edge_max:
                continue
            base = float(x[j0])
            top_i = j1 + 1
            rise = sign * (float(x[top_i]) - base)
            if rise < AMPLITUDE_MIN_MV:
                continue
            seg_end = min(n, top_i + width + 1)
            seg = sign * (x[top_i:seg_end].astype(np.float64) - base)
            if seg.size < 2:
                continue
            # the return: the first sample after the top that is back within (1 - RETURN_FRACTION)
            back = np.flatnonzero(seg[1:] <= (1.0 - RETURN_FRACTION) * rise)
            if back.size == 0:
                continue
            ret = top_i + 1 + int(back[0])
            # the top may be a short plateau: take the extreme sample of the spike
            peak = float(seg[: back[0] + 1].max()) * sign
            # isolation: a pacing spike towers over the sample-to-sample activity around it
            # (EMG bursts and electrode noise do not: their neighbours jump as much)
            lo, hi = max(0, j0 - iso), min(d.size, ret + iso)
            around = np.r_[d[lo:j0], d[ret:hi]]
            level = float(np.median(np.abs(around))) * dt_ms if around.size else 0.0
            if rise < ISOLATION_MIN * level:
                continue
            out.append((int(j0 + 1), int(j0 + 1), int(ret), peak))
    return out


def _row_median(a: np.ndarray) -> np.ndarray:
    """``np.median(a, axis=1)`` of a 2-D float array without NaN, the same values bit for
    bit (the middle element, or the mean of the two middle ones), at a fraction of its
    cost on the few short rows of a spike search."""
    h = a.shape[1] // 2
    if a.shape[1] % 2:
        return np.partition(a, h, axis=1)[:, h]
    part = np.partition(a, [h - 1, h], axis=1)
    return (part[:, h - 1] + part[:, h]) / 2.0


def _screen_small(xf: np.ndarray, span: int, amin: float, rmin: float,
                  allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Candidate tops ``(lead, sample)`` of small spikes, in row-major order: a cheap
    superset of the tops that pass ``_small_spikes``'s screening, which is then evaluated
    at these only.

    A top that rises by ``amin`` over at most ``span`` samples takes one sample-to-sample
    step of at least ``amin / span`` (in either direction) among the ``span`` steps before
    it, and one of ``rmin / span`` among the ``span`` steps after it. The steps are float32
    differences (rounded by at most 6e-8 of themselves), compared with thresholds lowered by
    1e-4 of themselves; a step touching a non-finite sample counts as large (the screening
    skips such samples, so the rise may span them)."""
    n_leads, n = xf.shape
    with np.errstate(invalid="ignore"):
        step = np.abs(np.diff(xf, axis=1))
        big_b = ~(step < amin / span * (1.0 - 1e-4))
        big_a = ~(step < rmin / span * (1.0 - 1e-4))
    # top t: the steps before it are t - span .. t - 1, those after it t .. t + span - 1
    before = np.zeros((n_leads, n), bool)
    after = np.zeros((n_leads, n), bool)
    for q in range(1, span + 1):
        before[:, q:] |= big_b[:, :n - q]
        after[:, :n - q] |= big_a[:, q - 1:]
    cand = before & after
    if allowed is not None:
        cand &= np.asarray(allowed, bool)[None, :]
    flat = np.flatnonzero(cand)
    return flat // n, flat % n


def _small_spikes(x: np.ndarray, fs: float, allowed: np.ndarray | None = None
                  ) -> list[tuple[int, int, int, float, int, float]]:
    """Small spikes of every lead (no slope threshold; see the ``SMALL_*`` constants):
    ``(first spike sample, first changed sample, last changed sample (the return), signed
    height in mV, lead, isolation ratio)``, with ratio >= SMALL_CONFIRM_FRACTION x
    SMALL_ISOLATION_MIN. Vectorised over leads and samples: candidates are screened by
    shape and height first, and the isolation is measured at those only. ``allowed``
    (bool per sample) limits the spikes' top samples to where it is True."""
    n_leads, n = x.shape
    dt_ms = 1000.0 / fs
    span = min(int(np.floor(SMALL_SPIKE_MAX_MS / dt_ms + 1e-9)),
               max(SMALL_SPIKE_SAMPLES, int(np.floor(SMALL_SPIKE_FILTERED_MS / dt_ms + 1e-9))))
    if span < 1 or n < span + 4:
        return []
    xf = np.asarray(x, dtype=np.float32)
    iso = max(2, int(round(ISOLATION_WINDOW_MS / dt_ms)))
    amin, rmin = SMALL_AMPLITUDE_MIN_MV, RETURN_FRACTION * SMALL_AMPLITUDE_MIN_MV
    lt, tt = _screen_small(xf, span, amin, rmin, allowed)
    if tt.size == 0:
        return []
    # screening (a necessary condition): a top sample t stands at least
    # SMALL_AMPLITUDE_MIN_MV over some sample of the span before it and RETURN_FRACTION of
    # that over some sample of the span after it (fmin / fmax skip the samples outside the
    # record); evaluated at the candidates of ``_screen_small`` only
    cols = tt[:, None] + np.arange(-span, span + 1)[None, :]
    vals = np.take(xf.ravel(), lt[:, None] * n + np.minimum(np.maximum(cols, 0), n - 1))
    vals[(cols < 0) | (cols >= n)] = np.nan
    top = vals[:, span]
    b_lo, b_hi = vals[:, span - 1].copy(), vals[:, span - 1].copy()
    a_lo, a_hi = vals[:, span + 1].copy(), vals[:, span + 1].copy()
    for q in range(2, span + 1):
        seg_b, seg_a = vals[:, span - q], vals[:, span + q]
        np.fmin(b_lo, seg_b, out=b_lo)
        np.fmax(b_hi, seg_b, out=b_hi)
        np.fmin(a_lo, seg_a, out=a_lo)
        np.fmax(a_hi, seg_a, out=a_hi)
    with np.errstate(invalid="ignore"):
        up = (top - b_lo >= amin) & (top - a_lo >= rmin)
        down = (b_hi - top >= amin) & (a_hi - top >= rmin)
    # both signs at once (a sign's candidates in row-major order, the rising tops first)
    lt = np.concatenate([lt[up], lt[down]])
    tt = np.concatenate([tt[up], tt[down]])
    if tt.size == 0:
        return []
    sg = np.concatenate([np.ones(int(up.sum())), -np.ones(int(down.sum()))])
    xf = xf.astype(np.float64)
    offs = np.arange(-span - 1, span + 2)          # column c of a window: offset c - span - 1
    # the samples around each screened top (sign-flipped for falling tops), NaN outside
    # the record
    idx = tt[:, None] + offs[None, :]
    inside = (idx >= 0) & (idx < n)
    w = sg[:, None] * np.take(xf.ravel(), lt[:, None] * n + np.minimum(np.maximum(idx, 0), n - 1))
    w[~inside] = np.nan

    def at(o: int) -> np.ndarray:
        return w[:, o + span + 1]

    taken = np.zeros(tt.size, bool)
    by_edge = []                                   # (edge length e, keep, return, height)
    with np.errstate(invalid="ignore"):
        # the edge may take every changed sample (a filtered spike rises over 1-2
        # samples); the shortest edge that qualifies is the spike's (a slow drift
        # before it is no part of it)
        for e in range(1, span + 1):
            rise = at(0) - at(-e)
            ok = ~taken & (rise >= SMALL_AMPLITUDE_MIN_MV)
            for i in range(e):
                ok &= at(-e + i + 1) - at(-e + i) > 0        # a monotone edge ...
            # ... that starts from rest: the last step of a QRS upstroke (an R wave's top
            # is a one- or two-sample peak at 250 Hz) follows steps of the same sign
            ok &= at(-e) - at(-e - 1) <= SMALL_EDGE_REST_FRACTION * rise
            # the return: the first sample after the top back within (1 - RETURN_FRACTION)
            # of the rise, the changed samples (edge and top) spanning <= span samples
            ret = np.full(tt.size, -1)
            peak = rise.copy()
            for j in range(1, span - e + 2):
                v = at(j) - at(-e)
                back = ok & (ret < 0) & (v <= (1.0 - RETURN_FRACTION) * rise)
                ret[back] = tt[back] + j
                later = (ret < 0) & np.isfinite(v)
                peak[later] = np.maximum(peak[later], v[later])
            keep = ok & (ret >= 0)
            taken |= keep
            by_edge.append((e, keep, ret, peak))
    found = []                                     # (lead, base k, return, height, sign)
    for sign in (1.0, -1.0):
        for e, keep, ret, peak in by_edge:
            m = keep & (sg == sign)
            if m.any():
                found.append((lt[m], tt[m] - e, ret[m], peak[m], np.full(int(m.sum()), sign)))
    out = []
    if found:
        li, k, ret, peak, sg = (np.concatenate(c) for c in zip(*found))
        # isolation against the differences outside the spike: iso before its first
        # changed sample, iso from its return on (unknown activity -- the record's edges,
        # invalid samples -- counts as high: no spike is claimed there)
        steps = np.concatenate([k[:, None] - np.arange(iso, 0, -1)[None, :],
                                ret[:, None] + np.arange(iso)[None, :]], axis=1)
        inside = (steps >= 0) & (steps + 1 < n)
        steps = np.minimum(np.maximum(steps, 0), n - 2)
        flat = li[:, None] * n + steps
        around = np.abs(np.take(xf.ravel(), flat + 1) - np.take(xf.ravel(), flat))
        around[~inside | ~np.isfinite(around)] = np.inf
        ratio = peak / np.maximum(_row_median(around), 1e-12)
        keep = ratio >= SMALL_CONFIRM_FRACTION * SMALL_ISOLATION_MIN
        out = [(a + 1, a + 1, b, g * h, c, q)
               for a, b, h, c, q, g in zip(k[keep].tolist(), ret[keep].tolist(),
                                           peak[keep].tolist(), li[keep].tolist(),
                                           ratio[keep].tolist(), sg[keep].tolist())]
    if not out:
        return []
    # one spike per overlapping group of a lead (a biphasic spike gives a down and an up edge)
    out.sort(key=lambda c: (c[4], c[1]))
    merged = [out[0]]
    for c in out[1:]:
        m = merged[-1]
        if c[4] == m[4] and c[1] <= m[2]:
            big = c if abs(c[3]) > abs(m[3]) else m
            merged[-1] = (min(m[0], c[0]), min(m[1], c[1]), max(m[2], c[2]), big[3], m[4],
                          max(m[5], c[5]))
        else:
            merged.append(c)
    return merged


def _group(per: list, fs: float, names: list[str], min_leads: int,
           strong: set | None = None, limb_as_one: bool = False) -> list[dict]:
    """Spikes of the leads grouped by instant (within COINCIDENCE_MS); groups seen in fewer
    than ``min_leads`` leads, or (given ``strong``, a set of ``(sample, lead)``) with no
    member in it, are dropped; with ``limb_as_one`` the limb leads count as one lead."""
    if not per:
        return []
    # the six limb leads are computed from the same three electrodes (Einthoven, Goldberger):
    # they count as one recording, as a disturbance at one limb electrode reaches five of them
    groups = [LIMB_GROUP if limb_as_one and n.strip().upper() in LIMB_LEADS else i
              for i, n in enumerate(names)]
    per = sorted(per)
    tol = max(1, int(round(COINCIDENCE_MS * fs / 1000.0)))
    rows = []

    def flush(g):
        lead_set = {groups[p[4]] for p in g}
        if len(lead_set) < min_leads:
            return
        if strong is not None and not any((p[0], p[4]) in strong for p in g):
            return
        big = max(g, key=lambda p: abs(p[3]))
        rows.append({"sample": min(p[0] for p in g), "start": min(p[1] for p in g),
                     "end": max(p[2] for p in g), "amplitude_mV": float(big[3]),
                     "n_leads": len(lead_set), "lead": names[big[4]]})

    group = [per[0]]
    for p in per[1:]:
        if p[0] - group[0][0] <= tol:
            group.append(p)
        else:
            flush(group)
            group = [p]
    flush(group)
    return rows


def _merge_overlapping(rows: list[dict]) -> list[dict]:
    """Spike rows whose ``start``-``end`` spans overlap, merged into one (the larger's
    amplitude and lead)."""
    out: list[dict] = []
    for r in sorted(rows, key=lambda r: r["start"]):
        if out and r["start"] <= out[-1]["end"]:
            m = out[-1]
            big = r if abs(r["amplitude_mV"]) > abs(m["amplitude_mV"]) else m
            out[-1] = {"sample": min(m["sample"], r["sample"]), "start": m["start"],
                       "end": max(m["end"], r["end"]), "amplitude_mV": big["amplitude_mV"],
                       "n_leads": max(m["n_leads"], r["n_leads"]), "lead": big["lead"]}
        else:
            out.append(dict(r))
    return out


def _time_locked(samples: np.ndarray, qrs_peaks: np.ndarray, fs: float) -> np.ndarray:
    """Bool per spike: the first QRS peak at least LOCK_MIN_MS after it is at most
    LOCK_MAX_MS after it, and another such spike has the same lag within LOCK_TOL_MS."""
    q = np.sort(np.asarray(qrs_peaks, dtype=float))
    s = np.asarray(samples, dtype=float)
    if q.size == 0 or s.size < 2:
        return np.zeros(s.size, bool)
    lo = s + LOCK_MIN_MS * fs / 1000.0
    i = np.searchsorted(q, lo, side="left")
    lag = np.full(s.size, np.inf)
    has = i < q.size
    lag[has] = q[i[has]] - s[has]
    locked = lag <= LOCK_MAX_MS * fs / 1000.0
    # the record is paced when two locked spikes share their lag and locked spikes precede
    # at least LOCK_MIN_SHARE of the QRS complexes; then every locked spike is one (a fusion
    # beat's QRS peak comes earlier after its spike)
    lags = np.sort(lag[locked])
    if lags.size < 2 or not (np.diff(lags) <= LOCK_TOL_MS * fs / 1000.0).any():
        return np.zeros(s.size, bool)
    if np.unique(i[locked]).size < LOCK_MIN_SHARE * q.size:
        return np.zeros(s.size, bool)
    return locked


_EMPTY_SPIKES = pd.DataFrame({"sample": np.empty(0, np.int64), "start": np.empty(0, np.int64),
                              "end": np.empty(0, np.int64), "amplitude_mV": np.empty(0, float),
                              "n_leads": np.empty(0, np.int64), "lead": np.empty(0, object)})


def _empty_spikes() -> pd.DataFrame:
    # a copy of a prebuilt empty table: building one from typed Series costs ~1.5 ms, which is
    # 7 % of a 12-lead delineation, and most records have no spike
    return _EMPTY_SPIKES.copy()


def detect_pacing_spikes(
    signal: np.ndarray, fs: float, leads: Sequence[str] | None = None,
    qrs_peaks: np.ndarray | None = None,
) -> pd.DataFrame:
    """Find pacemaker spikes in a multi-lead ECG.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV (non-finite samples are no spike).
    fs : float
        Sampling rate (Hz).
    leads : sequence of str, optional
        Lead names (for the ``lead`` column); default ``"0", "1", ...``.
    qrs_peaks : numpy.ndarray, optional
        Sample indices (at ``fs``) of the record's QRS complexes. Given, small spikes are
        sought too: impulses under the slope and height thresholds (down to
        :data:`SMALL_AMPLITUDE_MIN_MV`, changed samples spanning at most
        :data:`SMALL_SPIKE_MAX_MS`, :data:`SMALL_ISOLATION_MIN` times the activity around
        them, in ``min(MIN_LEADS, n_leads)`` leads at once) that stand at a fixed lag
        before the QRS peaks (:data:`LOCK_MIN_MS` - :data:`LOCK_MAX_MS`, two or more
        spikes with the same lag within :data:`LOCK_TOL_MS`). This is what finds the
        spikes of 250 Hz recordings and of bipolar pacing.

    Returns
    -------
    pandas.DataFrame
        One row per spike, in time order: ``sample`` (first sample of the spike, the pacing
        instant), ``start`` / ``end`` (first and last sample the spike changed, over all
        leads that show it), ``amplitude_mV`` (signed height of the spike in the lead where
        it is largest), ``n_leads`` (leads that show it) and ``lead`` (that largest lead).

    Notes
    -----
    The criteria (module constants, in mV/ms and ms) are described in the module
    docstring. Without ``qrs_peaks``, spikes smaller than about 0.8 mV are not found at
    250 Hz. Small spikes are not sought below 125 Hz (no sample fits in
    :data:`SMALL_SPIKE_MAX_MS`): at 100 Hz a narrow R wave is two samples wide.

    Examples
    --------
    >>> from interp_ecg.features.pacing import detect_pacing_spikes
    >>> import numpy as np
    >>> x = np.zeros((2, 500)); x[:, 100] = -1.5
    >>> detect_pacing_spikes(x, 250)["sample"].tolist()
    [100]
    >>> y = np.zeros((2, 1000)); y[:, [100, 350, 600]] = 0.1   # 0.1 mV: too small alone
    >>> detect_pacing_spikes(y, 250).empty
    True
    >>> detect_pacing_spikes(y, 250, qrs_peaks=np.array([115, 365, 615]))["sample"].tolist()
    [100, 350, 600]
    """
    x = np.asarray(signal)
    if x.ndim != 2:
        raise ArgumentError(f"signal must be 2-D (n_leads, n_samples), got shape {x.shape}")
    names = [str(i) for i in range(x.shape[0])] if leads is None else [str(v) for v in leads]
    fs = float(fs)
    per = []
    for li in _steep_leads(x, fs):
        for s, a, b, amp in _lead_spikes(x[li], fs):
            per.append((s, a, b, amp, li))
    rows = _group(per, fs, names, MIN_LEADS)
    if qrs_peaks is not None:
        # a time-locked spike that overlaps a large one is the same spike
        rows += [c for c in _time_locked_rows(x, fs, names, qrs_peaks)
                 if not any(c["start"] <= r["end"] and r["start"] <= c["end"] for r in rows)]
    return _frame(rows)


def _frame(rows: list[dict]) -> pd.DataFrame:
    if not rows:
        return _empty_spikes()
    df = pd.DataFrame(rows, columns=list(SPIKE_COLUMNS))
    return df.sort_values("sample", kind="stable").reset_index(drop=True)


def _time_locked_rows(x: np.ndarray, fs: float, names: list[str],
                      qrs_peaks: np.ndarray) -> list[dict]:
    """Spike rows of the impulses (any height) in ``min(MIN_LEADS, n_leads)`` leads at once
    that are time-locked to ``qrs_peaks``."""
    n = x.shape[1]
    q = np.asarray(qrs_peaks, float)
    q = q[np.isfinite(q)]
    if n <= 4 or q.size == 0:
        return []
    # only where a spike can be time-locked: LOCK_MIN_MS - LOCK_MAX_MS before a QRS peak
    # (the top lies up to SMALL_SPIKE_MAX_MS after the spike's first sample; margins of a
    # few samples keep this a pure speed-up)
    margin = int(np.ceil(SMALL_SPIKE_MAX_MS * fs / 1000.0)) + 2
    lo = np.floor(q - LOCK_MAX_MS * fs / 1000.0).astype(int) - margin
    hi = np.ceil(q - LOCK_MIN_MS * fs / 1000.0).astype(int) + margin
    cover = (np.bincount(np.minimum(np.maximum(lo, 0), n), minlength=n + 1)
             - np.bincount(np.minimum(np.maximum(hi + 1, 0), n), minlength=n + 1))
    allowed = np.cumsum(cover[:n]) > 0
    found = _small_spikes(x, fs, allowed)
    small = [c[:5] for c in found]
    strong = {(c[0], c[4]) for c in found if c[5] >= SMALL_ISOLATION_MIN}
    cand = _group(small, fs, names, min(MIN_LEADS, x.shape[0]), strong, limb_as_one=True)
    # groups that overlap are one spike (leads whose edges start a sample or two apart)
    cand = _merge_overlapping(cand)
    if not cand:
        return []
    locked = _time_locked(np.array([c["sample"] for c in cand]), qrs_peaks, fs)
    return [c for c, ok in zip(cand, locked) if ok]


def detect_time_locked_spikes(signal: np.ndarray, fs: float, qrs_peaks: np.ndarray,
                              leads: Sequence[str] | None = None) -> pd.DataFrame:
    """Pacemaker spikes of any height that stand at a fixed lag before the QRS complexes.

    The spikes :func:`~interp_ecg.features.delineation.delineate` removes before
    delineating: impulses whose changed samples span at most :data:`SMALL_SPIKE_MAX_MS`,
    at least :data:`SMALL_AMPLITUDE_MIN_MV` high and :data:`SMALL_ISOLATION_MIN` times the
    sample-to-sample activity around them (half that in the other leads), in
    ``min(MIN_LEADS, n_leads)`` leads at once (the limb leads counting as one), the first
    QRS peak at least :data:`LOCK_MIN_MS` after each lying at most :data:`LOCK_MAX_MS`
    after it, in a record where two such spikes share their lag within
    :data:`LOCK_TOL_MS`.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV (non-finite samples are no spike).
    fs : float
        Sampling rate (Hz). Below 125 Hz no sample fits in :data:`SMALL_SPIKE_MAX_MS` and
        the table is empty: at 100 Hz a narrow R wave is two samples wide.
    qrs_peaks : numpy.ndarray
        Sample indices (at ``fs``, may be fractional) of the record's QRS complexes.
    leads : sequence of str, optional
        Lead names (``I, II, III, aVR, aVL, aVF`` count as one lead); default ``"0", ...``.

    Returns
    -------
    pandas.DataFrame
        :func:`detect_pacing_spikes`'s columns.

    Examples
    --------
    >>> from interp_ecg.features.pacing import detect_time_locked_spikes
    >>> import numpy as np
    >>> y = np.zeros((2, 1000)); y[:, [100, 350, 600]] = 0.1
    >>> detect_time_locked_spikes(y, 250, np.array([115, 365, 615]))["sample"].tolist()
    [100, 350, 600]
    >>> detect_time_locked_spikes(y, 250, np.array([500, 900])).empty   # no fixed lag
    True
    """
    x = np.asarray(signal)
    if x.ndim != 2:
        raise ArgumentError(f"signal must be 2-D (n_leads, n_samples), got shape {x.shape}")
    names = [str(i) for i in range(x.shape[0])] if leads is None else [str(v) for v in leads]
    return _frame(_time_locked_rows(x, float(fs), names, np.asarray(qrs_peaks, float)))


def remove_pacing_spikes(signal: np.ndarray, fs: float, spikes: pd.DataFrame) -> np.ndarray:
    """A copy of ``signal`` with every spike replaced by a straight line in all leads.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV.
    fs : float
        Sampling rate (Hz) (kept for a uniform signature; the spans are in samples).
    spikes : pandas.DataFrame
        From :func:`detect_pacing_spikes` (``start`` and ``end`` columns).

    Returns
    -------
    numpy.ndarray
        Same shape and dtype; samples ``start .. end`` of each spike are interpolated
        between the sample before ``start`` and the sample after ``end``.
    """
    out = np.array(signal, copy=True)
    n = out.shape[1]
    for a, b in zip(spikes["start"].to_numpy(dtype=np.int64), spikes["end"].to_numpy(dtype=np.int64)):
        lo, hi = max(int(a) - 1, 0), min(int(b) + 1, n - 1)
        if hi <= lo:
            continue
        w = (np.arange(lo, hi + 1) - lo) / (hi - lo)
        out[:, lo : hi + 1] = (out[:, lo : lo + 1] * (1 - w) + out[:, hi : hi + 1] * w).astype(out.dtype)
    return out


def strip_pacing_spikes(
    signal: np.ndarray, fs: float, leads: Sequence[str] | None = None
) -> tuple[np.ndarray, pd.DataFrame]:
    """Detect pacemaker spikes and return the signal without them, and the spikes.

    The step the feature pipeline runs before delineation.

    Parameters
    ----------
    signal : numpy.ndarray
        ``(n_leads, n_samples)`` in mV.
    fs : float
        Sampling rate (Hz).
    leads : sequence of str, optional
        Lead names.

    Returns
    -------
    signal : numpy.ndarray
        ``signal`` itself when no spike is found, else a cleaned copy
        (:func:`remove_pacing_spikes`).
    spikes : pandas.DataFrame
        :func:`detect_pacing_spikes`'s table (sample indices at ``fs``).

    Examples
    --------
    >>> from interp_ecg.features.pacing import pacing_summary, strip_pacing_spikes
    >>> import numpy as np
    >>> x = np.zeros((2, 800)); x[:, [200, 600]] = 3.0
    >>> clean, spikes = strip_pacing_spikes(x, 500)
    >>> spikes["sample"].tolist(), float(abs(clean).max()), pacing_summary(spikes)["paced"]
    ([200, 600], 0.0, 1.0)
    """
    spikes = detect_pacing_spikes(signal, fs, leads)
    if spikes.empty:
        return signal, spikes
    return remove_pacing_spikes(signal, fs, spikes), spikes


def pacing_detectable(fs: float) -> bool:
    """Whether pacing spikes can be seen at sampling rate ``fs`` (``fs >= PACING_MIN_FS_HZ``).

    Parameters
    ----------
    fs : float
        Sampling rate (Hz).

    Returns
    -------
    bool

    Examples
    --------
    >>> from interp_ecg.features.pacing import pacing_detectable
    >>> pacing_detectable(100), pacing_detectable(125), pacing_detectable(500)
    (False, True, True)
    """
    return bool(float(fs) >= PACING_MIN_FS_HZ)


def pacing_summary(spikes: pd.DataFrame, fs: float | None = None) -> dict[str, float]:
    """Record-level pacing columns from a spike table.

    Parameters
    ----------
    spikes : pandas.DataFrame
        :func:`detect_pacing_spikes`'s table.
    fs : float, optional
        Sampling rate (Hz) of the record the spikes were sought in. Below
        :data:`PACING_MIN_FS_HZ` a record with fewer than :data:`PACED_MIN_SPIKES` spikes
        gets NaN (a spike cannot be seen there, so none found says nothing; reason:
        :func:`pacing_note`). Not given: the rate is taken as high enough.

    Returns
    -------
    dict
        ``paced`` (1.0 with at least :data:`PACED_MIN_SPIKES` spikes, else 0.0, or NaN as
        above) and ``pacing_spike_count`` (NaN where ``paced`` is).

    Examples
    --------
    >>> from interp_ecg.features.pacing import detect_pacing_spikes, pacing_summary
    >>> import numpy as np
    >>> none = detect_pacing_spikes(np.zeros((2, 1000)), 500)
    >>> pacing_summary(none, 500), pacing_summary(none, 100)
    ({'paced': 0.0, 'pacing_spike_count': 0.0}, {'paced': nan, 'pacing_spike_count': nan})
    """
    n = int(len(spikes))
    if fs is not None and not pacing_detectable(fs) and n < PACED_MIN_SPIKES:
        return {"paced": float("nan"), "pacing_spike_count": float("nan")}
    return {"paced": float(n >= PACED_MIN_SPIKES), "pacing_spike_count": float(n)}


def pacing_note(spikes: pd.DataFrame, fs: float) -> str:
    """The ``quality_reason`` sentence when :func:`pacing_summary` gives NaN, else ``""``.

    Parameters
    ----------
    spikes : pandas.DataFrame
        :func:`detect_pacing_spikes`'s table.
    fs : float
        Sampling rate (Hz).

    Returns
    -------
    str

    Examples
    --------
    >>> from interp_ecg.features.pacing import detect_pacing_spikes, pacing_note
    >>> import numpy as np
    >>> pacing_note(detect_pacing_spikes(np.zeros((2, 1000)), 500), 500)
    ''
    >>> pacing_note(detect_pacing_spikes(np.zeros((2, 1000)), 100), 100)[:60]
    'paced, pacing_spike_count NaN: pacemaker spikes cannot be de'
    """
    if np.isfinite(pacing_summary(spikes, fs)["paced"]):
        return ""
    return (f"paced, pacing_spike_count NaN: pacemaker spikes cannot be detected at {float(fs):g} Hz "
            f"(a 0.1-2 ms pulse needs a sample every {SMALL_SPIKE_MAX_MS:g} ms or less, "
            f"{PACING_MIN_FS_HZ:g} Hz); a paced rhythm is not recognised here: its beats count as "
            f"normal-to-normal in the heart-rate variability, and a spike left in the signal can "
            f"lengthen QRS and QT")


__all__ = ["detect_pacing_spikes", "detect_time_locked_spikes", "remove_pacing_spikes", "strip_pacing_spikes", "pacing_summary",
           "pacing_detectable", "pacing_note"]
