"""Delineation accuracy matrix: sampling rates x lead sets x methods, and noise levels.

Cells (issue 10, section 2):

* LUDB (200 records, 10 s, 12 leads) resampled from 500 Hz to 100, 250, 360, 500 and
  1000 Hz (``scipy.signal.resample_poly``; annotations scaled to the new rate), delineated
  with 12 leads, two leads (II + V5, V1 + V5) and one lead (II);
* interp_ecg.simulate records (normal, LBBB, AF, PVC) at several noise levels, scored
  against the simulator's ground truth.

Scores printed per cell and boundary:

* per lead: Martinez tolerances (P 50, QRS 40, T on 50, T off 100 ms), each lead's
  detections against that lead's marks, strict annotated span (as
  ``benchmarks/delineation_ludb.py``): F1, mean and SD of the error (ms);
* best lead (two- and one-lead cells; the protocol of Martinez et al. 2004 on the QT
  database): one reference mark per beat -- LUDB's mark in the *first* lead of the set --
  and for every mark the lead whose detection is closest, within 150 ms: Se, mean, SD.
  ``mz_global`` scores the consensus row the same way (one "lead").
* two-lead reference (consensus rows of the two-lead cells only): the same best-lead
  score against one mark per beat built from *both* leads' marks -- the earliest onset
  and the latest offset of LUDB's marks of that beat in the two leads of the set (marks of
  the same kind within 100 ms are the same beat; a beat marked in one lead only keeps that
  mark). The global boundaries are defined over the leads (earliest onset to latest
  offset), and the QT database's annotators marked each beat viewing both leads, so this
  is the fairer proxy for the consensus; the first-lead score is printed beside it.

Held out: the delineator's thresholds were chosen on the odd-numbered LUDB records, so the
matrix reports the even-numbered ones unless ``--all`` is given. Nothing is fitted here.

Peers beside ours in the same run: NeuroKit2 (``method="neurokit_dwt"``, lead by lead) and
ECGdeli (the ``ecgdeli`` PyPI port, 12-lead and two-lead cells). They are slow (0.3-4 s per
record), so ``--peer-records`` limits them to the first N held-out records of a cell.

Usage::

    python benchmarks/delineation_matrix.py --proxy        # 250 Hz II+V5 only (~20 s),
                                                           # with the per-record offset breakdown
    python benchmarks/delineation_matrix.py --proxy --odd --param t_lobe_frac=0
                                                           # training records, one Params change
    python benchmarks/delineation_matrix.py --fs 250,500 --leadsets 12,II+V5 --peers none
    python benchmarks/delineation_matrix.py                 # whole grid (long)
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import time
import warnings
from fractions import Fraction

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.signal import resample_poly  # noqa: E402

from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features.delineation import delineate  # noqa: E402
from interp_ecg.features.delineation.params import Params  # noqa: E402
from interp_ecg.features.delineation.schema import BOUNDARIES  # noqa: E402
from interp_ecg.features.delineation.scoring import BestLead, Tally, reference_marks, score_lead  # noqa: E402

KINDS = BOUNDARIES
BEST_KINDS = ("P_on", "P_off", "QRS_on", "QRS_off", "T_off")
LEADSETS = {"12": None, "II+V5": ["II", "V5"], "V1+V5": ["V1", "V5"], "II": ["II"]}
#: Martinez et al. 2004, QT database, best lead: SD (ms) and Se -- the issue's targets.
MARTINEZ_QTDB = {"P_on": (14.8, 0.99), "P_off": (12.8, 0.99), "QRS_on": (7.7, 1.0),
                 "QRS_off": (8.7, 1.0), "T_off": (18.1, 0.998)}


def _resample(x: np.ndarray, fs_new: int) -> np.ndarray:
    fr = Fraction(int(fs_new), 500)
    if fr == 1:
        return x
    return resample_poly(x, fr.numerator, fr.denominator, axis=-1).astype(np.float32)


def _ecgdeli(x, fs, leads):
    import ecgdeli

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ann = ecgdeli.annotate(ecgdeli.filter_ecg(x.T.astype(float), fs), fs)
    cols = {"P_on": 0, "P_off": 2, "QRS_on": 3, "QRS_off": 7, "T_on": 9, "T_off": 11}
    frames = []
    for name, fpt in list(zip(leads, ann.leads)) + [("global", ann.consensus)]:
        d = {"lead": name}
        for k, c in cols.items():
            d[k] = fpt.samples[:, c].astype(float)
        frames.append(pd.DataFrame(d))
    return pd.concat(frames, ignore_index=True)


#: Params of our delineator in this run (``--param``; defaults otherwise).
PARAMS = Params()


def parse_params(items) -> Params:
    """``["t_lobe_frac=0", "qrs_on=0.02"]`` -> ``Params(t_lobe_frac=0, qrs_on=0.02)``.

    Values are Python literals (numbers, True/False, None, quoted strings).

    >>> parse_params(["t_lobe_frac=0", "t_lobe_inverted_only=False"]).t_lobe_frac
    0
    """
    kw = {}
    for item in items or []:
        key, sep, val = item.partition("=")
        if not sep:
            raise SystemExit(f"--param expects NAME=VALUE, got {item!r}")
        try:
            kw[key.strip()] = ast.literal_eval(val.strip())
        except (ValueError, SyntaxError):
            raise SystemExit(f"--param {item!r}: the value is not a Python literal") from None
    try:
        return Params(**kw)
    except TypeError as exc:
        raise SystemExit(f"--param: {exc}") from None


def _run(method, x, fs, leads):
    if method == "mz":
        return delineate(x, fs, leads, params=PARAMS)
    if method == "neurokit":
        return delineate(x, fs, leads, method="neurokit_dwt")
    if method == "ecgdeli":
        return _ecgdeli(x, fs, leads)
    raise ValueError(method)



def two_lead_reference(marks_a: np.ndarray, marks_b: np.ndarray, side: str,
                       fs: float, same_beat_ms: float = 100.0) -> np.ndarray:
    """One mark per beat from two leads' marks: earliest onset / latest offset.

    Marks of the two leads within ``same_beat_ms`` of each other are the same beat; a mark
    without a partner in the other lead is kept as it is.

    Examples
    --------
    >>> import numpy as np
    >>> two_lead_reference(np.array([100.0, 600.0]), np.array([96.0, 1100.0]), "on", 500).tolist()
    [96.0, 600.0, 1100.0]
    """
    a = np.sort(np.asarray(marks_a, float)[np.isfinite(marks_a)])
    b = np.sort(np.asarray(marks_b, float)[np.isfinite(marks_b)])
    pick = np.minimum if side == "on" else np.maximum
    tol = same_beat_ms * fs / 1000.0
    out, used = [], np.zeros(b.size, bool)
    for v in a:
        j = int(np.argmin(np.abs(b - v))) if b.size else -1
        if j >= 0 and not used[j] and abs(b[j] - v) <= tol:
            used[j] = True
            out.append(float(pick(v, b[j])))
        else:
            out.append(float(v))
    out.extend(b[~used].tolist())
    return np.sort(np.asarray(out, float))


def ludb_cell(ds, recs, fs_new, leadset, methods, peer_records):
    """Tallies of one (rate, lead set) cell: ``{method: (per-lead tallies, best-lead)}``."""
    sig = ds.signals
    pos = {r: i for i, r in enumerate(ds.meta.index)}
    all_leads = list(ds.leads)
    use = all_leads if leadset is None else leadset
    idx = [all_leads.index(ld) for ld in use]
    scale = fs_new / float(ds.fs)
    ann = ds.annotations
    # (per-lead tallies, best lead against the first lead's marks, seconds, per-record
    # best-lead errors, best lead against the two-lead reference)
    res = {m: ({k: Tally() for k in KINDS}, {k: BestLead() for k in BEST_KINDS}, [], {},
               {k: BestLead() for k in BEST_KINDS}) for m in methods}
    for n_done, r in enumerate(recs):
        x = _resample(np.asarray(sig[pos[r]], dtype=np.float32)[idx], fs_new)
        refs = reference_marks(ann[ann["record"] == r], scale)
        cache, secs = {}, {}
        for m in methods:
            base = m.replace("_global", "")
            if base != "mz" and n_done >= peer_records:
                continue
            if base == "ecgdeli" and len(use) == 1:
                continue
            if base not in cache:
                t0 = time.perf_counter()
                try:
                    cache[base] = _run(base, x, fs_new, use)
                except Exception as exc:  # a failing record counts as all misses
                    print(f"  record {r}: {base} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                    cache[base] = None
                secs[base] = time.perf_counter() - t0
            res[m][2].append(secs[base])
            df = cache[base]
            tallies, best, _, per_rec, best2 = res[m]
            for lead in use:
                if lead not in refs:
                    continue
                sel = None if df is None else df[df["lead"] == ("global" if m.endswith("_global") else lead)]
                det = {} if sel is None else {k: sel[k].to_numpy(float) for k in KINDS}
                for k, mt in score_lead(det, refs[lead], fs_new, KINDS).items():
                    tallies[k].add(mt, fs_new)
            if leadset is not None and use[0] in refs:
                ref = refs[use[0]]
                for k in BEST_KINDS:
                    if df is None:
                        by = {}
                    elif m.endswith("_global"):
                        by = {"global": df.loc[df["lead"] == "global", k].to_numpy(float)}
                    else:
                        by = {ld: df.loc[df["lead"] == ld, k].to_numpy(float) for ld in use}
                    one = BestLead()
                    one.add(by, ref[k], fs_new)
                    best[k].merge(one)
                    per_rec.setdefault(k, {})[r] = one.errors_ms
                    if len(use) == 2 and all(ld in refs for ld in use):
                        two = BestLead()
                        two.add(by, two_lead_reference(refs[use[0]][k], refs[use[1]][k],
                                                       k.split("_")[1], fs_new), fs_new)
                        best2[k].merge(two)
    return res


def offset_report(per_rec: dict, paced: set, kinds=("QRS_on", "QRS_off")) -> str:
    """Split each best-lead error into a per-record offset and the scatter around it.

    Printed per boundary: overall SD; SD of the per-record mean errors; pooled
    within-record SD; the share of the error variance carried by gross errors (more than
    25 ms from the median error); the SD without the paced records; the records that
    contribute most to the squared error.
    """
    lines = []
    for k in kinds:
        recs = {r: np.asarray(e, float) for r, e in per_rec.get(k, {}).items() if len(e)}
        if not recs:
            continue
        e = np.concatenate(list(recs.values()))
        means = np.array([v.mean() for v in recs.values()])
        within = np.concatenate([v - v.mean() for v in recs.values()])
        gross = np.abs(e - np.median(e)) > 25
        share = ((e[gross] - e.mean()) ** 2).sum() / max(((e - e.mean()) ** 2).sum(), 1e-12)
        np_e = np.concatenate([v for r, v in recs.items() if r not in paced] or [np.array([])])
        in_paced = sorted(set(recs) & paced)
        ss = {r: float(((v - e.mean()) ** 2).sum()) for r, v in recs.items()}
        top = sorted(ss, key=ss.get, reverse=True)[:5]
        lines.append(
            f"  {k}: SD {e.std(ddof=1):.1f} ms = per-record offsets SD {means.std(ddof=1):.1f} "
            f"+ within-record SD {within.std(ddof=1):.1f}; {gross.mean():.1%} gross errors "
            f"(>25 ms from the median) carry {share:.0%} of the variance; without the "
            f"{len(in_paced)} paced records ({','.join(map(str, in_paced))}) "
            f"SD {np_e.std(ddof=1):.1f}; largest: "
            + ", ".join(f"{r}{'(paced)' if r in paced else ''} {recs[r].mean():+.0f}" for r in top))
    return "\n".join(lines)


def _fmt_cell(name, res, best_lead: bool) -> str:
    lines = []
    for m, (tallies, best, secs, _per_rec, best2) in res.items():
        if not secs:
            continue
        n_rec = len(secs)
        row = [f"{k}: F1 {tallies[k].f1:.3f} mean {tallies[k].mean_ms:+.1f} SD {tallies[k].sd_ms:.1f}"
               for k in KINDS]
        lines.append(f"  {m:14s} ({n_rec} rec, {1000 * np.mean(secs):.0f} ms/rec) per lead | "
                     + " | ".join(row))
        if best_lead:
            brow = [f"{k}: Se {best[k].row()['Se']:.3f} mean {best[k].row()['mean_ms']:+.1f} "
                    f"SD {best[k].row()['sd_ms']:.1f}" for k in BEST_KINDS]
            lines.append(f"  {m:14s} best lead 150 ms | " + " | ".join(brow))
            if best2 is not None and best2["QRS_on"].n_ref:
                brow = [f"{k}: Se {best2[k].row()['Se']:.3f} mean {best2[k].row()['mean_ms']:+.1f} "
                        f"SD {best2[k].row()['sd_ms']:.1f}" for k in BEST_KINDS]
                lines.append(f"  {m:14s} vs two-lead ref  | " + " | ".join(brow))
    return f"{name}\n" + "\n".join(lines)


def simulator_cells(levels, conditions, n_per, methods):
    from interp_ecg.simulate import simulate_record

    print("\n=== simulator (interp_ecg.simulate, 500 Hz, 10 s, 12 leads); noise = the simulator's "
          "level (1 = typical resting ECG); SNR = clean power / noise power over the record ===")
    for level in levels:
        res = {m: ({k: Tally() for k in KINDS}, None, [], {}, None) for m in methods}
        snrs = []
        for c in conditions:
            for seed in range(n_per):
                s = simulate_record(c, noise=level, random_state=1000 + seed)
                clean = simulate_record(c, noise=0, random_state=1000 + seed).signal
                if clean.shape == s.signal.shape:
                    nz = s.signal - clean
                    snrs.append(10 * np.log10(np.mean(clean ** 2) / max(np.mean(nz ** 2), 1e-12)))
                cache, secs = {}, {}
                for m in methods:
                    base = m.replace("_global", "")
                    if base == "ecgdeli":
                        continue
                    if base not in cache:
                        t0 = time.perf_counter()
                        try:
                            cache[base] = _run(base, s.signal, 500.0, None)
                        except Exception as exc:
                            print(f"  {c}/{seed}: {base} failed: {exc}", file=sys.stderr)
                            cache[base] = None
                        secs[base] = time.perf_counter() - t0
                    res[m][2].append(secs[base])
                    df = cache[base]
                    for lead, g in s.fiducials[s.fiducials.lead != "global"].groupby("lead"):
                        ref = {k: g[k].to_numpy(float) for k in KINDS}
                        if df is None:
                            det = {}
                        else:
                            sel = df[df.lead == ("global" if m.endswith("_global") else lead)]
                            det = {k: sel[k].to_numpy(float) for k in KINDS}
                        for k, mt in score_lead(det, ref, 500.0, KINDS).items():
                            res[m][0][k].add(mt, 500.0)
        print(_fmt_cell(f"-- noise {level:g} (median SNR {np.median(snrs):.1f} dB; "
                        f"{'/'.join(conditions)} x {n_per})", res, False))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fs", default="100,250,360,500,1000")
    ap.add_argument("--leadsets", default="12,II+V5,V1+V5,II")
    ap.add_argument("--methods", default="mz,mz_global,neurokit,ecgdeli")
    ap.add_argument("--peers", default=None, help="'none' drops neurokit and ecgdeli")
    ap.add_argument("--peer-records", type=int, default=10)
    ap.add_argument("--records", type=int, default=0, help="first N held-out records (0 = all)")
    ap.add_argument("--all", action="store_true", help="all records, not only the held-out even ones")
    ap.add_argument("--odd", action="store_true",
                    help="the odd-numbered (training) records instead of the held-out even ones")
    ap.add_argument("--proxy", action="store_true", help="only the 250 Hz II+V5 cell, ours only")
    ap.add_argument("--offsets", action="store_true",
                    help="print the per-record offset breakdown of QRS_on/QRS_off/T_off "
                         "(best lead)")
    ap.add_argument("--noise", default="0.5,1,2,4", help="simulator noise levels ('' = none)")
    ap.add_argument("--sim-per", type=int, default=3, help="simulated records per condition")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="a Params field of our delineator for this run (repeatable), e.g. "
                         "--param t_lobe_frac=0 to measure without the terminal-lobe rule")
    a = ap.parse_args(argv)
    global PARAMS
    PARAMS = parse_params(a.param)
    methods = [m for m in a.methods.split(",") if m]
    if a.peers == "none" or a.proxy:
        methods = [m for m in methods if m.startswith("mz")]
    fss = [int(v) for v in a.fs.split(",")] if not a.proxy else [250]
    sets = a.leadsets.split(",") if not a.proxy else ["II+V5"]
    from interp_ecg.io import read_ludb

    ds = read_ludb(dataset_path("ludb"))
    recs = [r for r in ds.meta.index if a.all or int(r) % 2 == (1 if a.odd else 0)]
    if a.records:
        recs = recs[: a.records]
    which = "records" if a.all else ("odd-numbered (training) records" if a.odd else "held-out even-numbered records")
    print(f"LUDB: {len(recs)} {which}; "
          f"methods {methods}; peers on the first {a.peer_records} records of a cell")
    if a.param:
        print("Params changed for this run: " + ", ".join(a.param))
    print("Martinez 2004 QT database best-lead SD (Se): "
          + ", ".join(f"{k} {v[0]} ({v[1]})" for k, v in MARTINEZ_QTDB.items()))
    t_all = time.perf_counter()
    for fs in fss:
        for name in sets:
            t0 = time.perf_counter()
            res = ludb_cell(ds, recs, fs, LEADSETS[name], methods, a.peer_records)
            print(_fmt_cell(f"\n=== LUDB {fs} Hz, leads {name} ({time.perf_counter() - t0:.0f} s) ===",
                            res, LEADSETS[name] is not None), flush=True)
            if LEADSETS[name] is not None and "mz" in res and (a.proxy or a.offsets):
                paced = {r for r in recs if str(ds.meta.loc[r, "pacing"]).strip()}
                print("  per-record offsets (mz, best lead):\n"
                      + offset_report(res["mz"][3], paced, ("QRS_on", "QRS_off", "T_off")),
                      flush=True)
    if a.noise and not a.proxy:
        simulator_cells([float(v) for v in a.noise.split(",")], ("normal", "lbbb", "afib", "pvc"),
                        a.sim_per, [m for m in methods if m != "ecgdeli"])
    print(f"\nwall {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()
