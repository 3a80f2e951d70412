"""Scoring a delineator against reference marks with the Martinez tolerances.

A detected boundary matches a reference mark of the same kind when it lies within the
tolerance (P on/off 50 ms, QRS on/off 40 ms, T on 50 ms, T off 100 ms; Martinez et al.
2004); each mark and each detection is used at most once (closest pairs first). Detections
outside the annotated span of a lead (first to last reference mark of any kind) are not
counted, since LUDB leaves the first and last cycles unannotated.

Examples
--------
>>> import numpy as np
>>> from interp_ecg.features.delineation.scoring import match
>>> m = match(np.array([100, 210, 400, 990]), np.array([105, 200, 600]), tol=20, span=(50, 700))
>>> m.tp, m.fp, m.fn, m.errors.tolist()
(2, 1, 1, [-5.0, 10.0])
>>> from interp_ecg.features.delineation.scoring import Tally
>>> t = Tally()
>>> t.add(m, fs=500)
>>> round(t.sensitivity, 3), round(t.ppv, 3), round(t.f1, 3), t.mean_ms, round(t.sd_ms, 2)
(0.667, 0.667, 0.667, 5.0, 21.21)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Matching tolerances in ms (Martinez et al. 2004).
TOLERANCE_MS = {"P_on": 50, "P_off": 50, "QRS_on": 40, "QRS_off": 40, "T_on": 50,
                "T_off": 100, "P_peak": 50, "R_peak": 40, "T_peak": 100}
#: CSE tolerances for the SD of the error in ms (CSE Working Party 1985).
CSE_SD_MS = {"P_on": 10.2, "P_off": 12.7, "QRS_on": 6.5, "QRS_off": 11.6, "T_off": 30.6}


@dataclass
class Match:
    """Result of matching one lead's detections of one kind to its reference marks."""

    tp: int
    fp: int
    fn: int
    errors: np.ndarray  # detection - reference, in samples, one per true positive


def match(detected: np.ndarray, reference: np.ndarray, tol: float,
          span: tuple[float, float] | None = None) -> Match:
    """One-to-one matching of detections to reference marks within ``tol`` samples.

    Parameters
    ----------
    detected, reference : array-like of sample indices
        NaNs in ``detected`` are ignored.
    tol : float
        Largest allowed ``|detected - reference|`` in samples.
    span : (first, last), optional
        Detections outside ``[first, last]`` are dropped before matching.
    """
    d = np.asarray(detected, dtype=float)
    d = d[np.isfinite(d)]
    ref = np.asarray(reference, dtype=float)
    ref = ref[np.isfinite(ref)]
    if span is not None:
        d = d[(d >= span[0]) & (d <= span[1])]
    if d.size == 0 or ref.size == 0:
        return Match(0, int(d.size), int(ref.size), np.array([], dtype=float))
    dist = np.abs(d[:, None] - ref[None, :])
    ii, jj = np.nonzero(dist <= tol)
    order = np.argsort(dist[ii, jj], kind="stable")
    used_d = np.zeros(d.size, bool)
    used_r = np.zeros(ref.size, bool)
    errs = []
    for k in order:
        i, j = ii[k], jj[k]
        if not used_d[i] and not used_r[j]:
            used_d[i] = used_r[j] = True
            errs.append(d[i] - ref[j])
    tp = len(errs)
    return Match(tp, int(d.size - tp), int(ref.size - tp), np.asarray(errs, dtype=float))


@dataclass
class Tally:
    """Accumulates matches over leads and records for one boundary kind."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors_ms: list = field(default_factory=list)

    def add(self, m: Match, fs: float) -> None:
        self.tp += m.tp
        self.fp += m.fp
        self.fn += m.fn
        self.errors_ms.extend((np.asarray(m.errors) * 1000.0 / fs).tolist())

    def merge(self, other: "Tally") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.errors_ms.extend(other.errors_ms)

    @property
    def sensitivity(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def ppv(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def f1(self) -> float:
        s, p = self.sensitivity, self.ppv
        return 2 * s * p / (s + p) if s + p > 0 else float("nan")

    @property
    def mean_ms(self) -> float:
        return float(np.mean(self.errors_ms)) if self.errors_ms else float("nan")

    @property
    def sd_ms(self) -> float:
        return float(np.std(self.errors_ms, ddof=1)) if len(self.errors_ms) > 1 else float("nan")

    def row(self) -> dict:
        return {"Se": self.sensitivity, "PPV": self.ppv, "F1": self.f1,
                "mean_ms": self.mean_ms, "sd_ms": self.sd_ms, "n_ref": self.tp + self.fn}


def score_lead(detected: dict, reference: dict, fs: float,
               kinds=("P_on", "P_off", "QRS_on", "QRS_off", "T_on", "T_off"),
               span_margin: bool = False) -> dict:
    """Match every boundary kind of one lead; returns ``{kind: Match}``.

    ``detected`` and ``reference`` map a kind (``"QRS_on"``...) to sample indices. The
    annotated span is taken from all reference marks of the lead. With ``span_margin`` the
    span is widened by the kind's tolerance on both sides, so that a detection of the
    first (last) annotated boundary lying just before (after) it still counts; the issue's
    protocol is the strict span (the default).
    """
    allref = np.concatenate([np.asarray(v, dtype=float) for v in reference.values()
                             if len(v)] or [np.array([])])
    allref = allref[np.isfinite(allref)]
    span = (allref.min(), allref.max()) if allref.size else None
    out = {}
    for k in kinds:
        tol = TOLERANCE_MS[k] * fs / 1000.0
        ref = np.asarray(reference.get(k, []), dtype=float)
        if span is None:
            out[k] = Match(0, 0, 0, np.array([]))
            continue
        sp = (span[0] - tol, span[1] + tol) if span_margin else span
        out[k] = match(np.asarray(detected.get(k, []), dtype=float), ref, tol, sp)
    return out
