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

from interp_ecg.features.delineation.schema import BOUNDARIES

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


def reference_marks(annotations, scale: float = 1.0) -> dict:
    """Per-lead reference marks from LUDB-style annotations, in the shape :func:`score_lead` takes.

    Parameters
    ----------
    annotations : pandas.DataFrame
        One record's annotations: columns ``lead``, ``wave`` (``P``/``QRS``/``T``), ``on``,
        ``off`` (sample indices), as :func:`interp_ecg.io.read_ludb` gives them.
    scale : float
        Ratio of the scoring rate to the annotations' rate (0.5 for 500 Hz marks scored at
        250 Hz); the scaled marks are rounded to whole samples.

    Returns
    -------
    dict
        ``{lead: {"P_on": array, "P_off": ..., "QRS_on": ..., "T_off": ...}}``.

    Examples
    --------
    >>> from interp_ecg.features.delineation.scoring import reference_marks
    >>> import pandas as pd
    >>> ann = pd.DataFrame({"lead": ["II", "II"], "wave": ["QRS", "T"], "on": [100, 160], "off": [140, 300]})
    >>> reference_marks(ann, 0.5)["II"]["QRS_off"].tolist()
    [70.0]
    """
    out = {}
    for lead, g in annotations.groupby("lead", observed=True):
        out[str(lead)] = {f"{w}_{s}": np.round(g.loc[g.wave == w, s].to_numpy(float) * scale)
                          for w in ("P", "QRS", "T") for s in ("on", "off")}
    return out


def score_lead(detected: dict, reference: dict, fs: float,
               kinds=BOUNDARIES,
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


@dataclass
class BestLead:
    """Best-lead tally of Martinez et al. (2004): one reference mark per beat, and for each
    mark the lead whose detection lies closest to it (within a 150 ms window).

    Examples
    --------
    >>> from interp_ecg.features.delineation.scoring import BestLead
    >>> import numpy as np
    >>> b = BestLead()
    >>> b.add({"II": np.array([100.0, 310.0]), "V5": np.array([104.0, 298.0])},
    ...       np.array([103.0, 300.0, 900.0]), fs=1000)
    >>> b.n_ref, b.n_found, b.errors_ms
    (3, 2, [1.0, -2.0])
    """

    n_ref: int = 0
    n_found: int = 0
    errors_ms: list = field(default_factory=list)

    def add(self, detected_by_lead: dict, reference: np.ndarray, fs: float,
            window_ms: float = 150.0) -> None:
        """Score the marks of one record.

        Parameters
        ----------
        detected_by_lead : dict
            Lead name -> detected sample indices (NaN ignored).
        reference : array-like
            One reference mark per annotated beat (sample indices).
        fs : float
            Sampling rate (Hz).
        window_ms : float
            A mark is found when some lead has a detection within this distance.
        """
        ref = np.asarray(reference, dtype=float)
        ref = ref[np.isfinite(ref)]
        self.n_ref += int(ref.size)
        if ref.size == 0:
            return
        best = np.full(ref.size, np.inf)
        err = np.full(ref.size, np.nan)
        for det in detected_by_lead.values():
            d = np.asarray(det, dtype=float)
            d = np.sort(d[np.isfinite(d)])
            if d.size == 0:
                continue
            j = np.clip(np.searchsorted(d, ref), 1, d.size - 1) if d.size > 1 else np.zeros(ref.size, int)
            cand = np.stack([d[np.maximum(j - 1, 0)], d[j]]) if d.size > 1 else d[j][None]
            e = cand - ref[None, :]
            k = np.argmin(np.abs(e), axis=0)
            e = e[k, np.arange(ref.size)]
            better = np.abs(e) < best
            best = np.where(better, np.abs(e), best)
            err = np.where(better, e, err)
        ok = best <= window_ms * fs / 1000.0
        self.n_found += int(ok.sum())
        self.errors_ms.extend((err[ok] * 1000.0 / fs).tolist())

    def merge(self, other: "BestLead") -> None:
        self.n_ref += other.n_ref
        self.n_found += other.n_found
        self.errors_ms.extend(other.errors_ms)

    def row(self) -> dict:
        e = np.asarray(self.errors_ms, dtype=float)
        return {"n_ref": self.n_ref, "Se": self.n_found / self.n_ref if self.n_ref else float("nan"),
                "mean_ms": float(e.mean()) if e.size else float("nan"),
                "sd_ms": float(e.std(ddof=1)) if e.size > 1 else float("nan")}
