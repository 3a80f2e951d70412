"""Do the delineator's measurements depend on the sampling rate?

Two checks, each printed beside the delineator with its internal rate turned off
(``Params(internal_fs=0)``: every record delineated at its own rate, as before the rate
fix; by default records below ``Params.native_min_fs`` = 250 Hz are delineated at
``ceil(internal_fs / fs) x fs``), measured in the same run:

(a) **PTB-XL at 100 and 500 Hz.** The same records read from the database's own 100 Hz
    (``records100``) and 500 Hz (``records500``) files, measured with
    :func:`interp_ecg.features.extract_record` (the record-level path of ``extract``).
    For every record-level interval in ms: the paired mean and SD of the difference
    100 - 500 Hz, and the records whose QRS duration reaches the 120 ms wide-QRS cut-off at
    one rate and not at the other. A third column downsamples the 500 Hz file to 100 Hz
    ourselves (``scipy.signal.resample_poly``): it tells the resampling of the database's
    100 Hz files apart from the delineator.
(b) **LUDB at 100, 250 and 500 Hz.** The held-out even-numbered records (the thresholds
    were chosen on the odd ones; ``--odd`` scores those instead), resampled from 500 Hz
    with ``resample_poly`` (annotations scaled), 12 leads: per boundary the Martinez-
    tolerance F1 and the MEAN (bias) and SD of the error in ms, for the per-lead rows (each
    lead against its own marks) and the consensus rows (``global``, against every lead's
    marks), as ``benchmarks/delineation_matrix.py`` scores them.

(c) **Beat counts, PTB-XL 100 vs 500 Hz.** The same records delineated from both files
    (:func:`interp_ecg.features.delineate`, global rows): the share of records with the
    same number of beats, and of complete beats (those not cut by the record edge,
    ``df.attrs["edge_beats"]``); every beat found in one file only (no beat of the other
    within 60 ms) classified as at the record's start (first 150 ms), at its end (last
    150 ms; "in the 500 Hz held tail" when the 500 Hz file holds every lead constant
    there) or mid-record. Run it with ``PYTHONPATH`` at an older copy of the package for
    the figures before a change.
(d) **LUDB, every rate against 500 Hz** (``--vs500 all|odd|even``). Every record of the
    chosen half (12 leads, and II+V5 as in the 250 Hz proxy), resampled from 500 Hz with
    ``resample_poly`` and delineated at each rate, against the same record delineated at
    500 Hz: per boundary the median, mean and SD (ms) of (rate - 500 Hz) over the beats
    paired by their consensus R peak (consensus rows, and every lead's rows), and the
    record-level QRS, QT and PR (median consensus interval) differences; beside them each
    rate against the LUDB marks (F1 / mean / SD as in (b), but scored in the marks' own
    500 Hz time base, the marks not rounded to the rate's grid). ``--param NAME=VALUE`` sets a
    ``Params`` field for this check; run it with ``PYTHONPATH`` at an older copy of the
    package for the figures before a change.

Usage::

    python benchmarks/delineation_rates.py                    # 200 PTB-XL + 100 LUDB (~3 min)
    python benchmarks/delineation_rates.py --ptbxl 50 --ludb 20   # quick look
    python benchmarks/delineation_rates.py --counts-only          # (c) only (~30 s)
    python benchmarks/delineation_rates.py --vs500 all --rates 100,250,360,500,1000   # (d) only
"""

from __future__ import annotations

import argparse
import ast
import logging
import os
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
from interp_ecg.features.delineation.scoring import Tally, reference_marks, score_lead  # noqa: E402
from interp_ecg.features.extract import extract_record  # noqa: E402

WIDE_QRS_MS = 120.0
DEFAULT = Params()
OFF = Params(internal_fs=0.0)


def _own_rate(signal, fs, leads):
    """The delineator with its internal rate turned off (each record at its own rate)."""
    return delineate(signal, fs, leads, params=OFF)


def _resample(x: np.ndarray, fs_from: int, fs_to: int) -> np.ndarray:
    fr = Fraction(int(fs_to), int(fs_from))
    if fr == 1:
        return np.asarray(x, dtype=np.float32)
    return resample_poly(x, fr.numerator, fr.denominator, axis=-1).astype(np.float32)


def _extract(signal, fs, leads, method):
    try:
        return extract_record(signal, fs, leads, method=method)
    except Exception as exc:  # a record that cannot be measured is left out of the pairs
        logging.getLogger(__name__).info("%s", exc)
        return None


def ptbxl_pairs(n_records: int) -> None:
    from interp_ecg.io import read_ptbxl

    root = dataset_path("ptbxl")
    d5, d1 = read_ptbxl(root, sampling_rate=500), read_ptbxl(root, sampling_rate=100)
    ids = [i for i in d5.meta.index if i in d1.meta.index][:n_records]
    variants = {  # name: (which file, rate, method)
        "500": ("500", 500, None),
        "100": ("100", 100, None),
        "100 own-rate": ("100", 100, _own_rate),
        "500->100": ("down", 100, None),
        "500->100 own-rate": ("down", 100, _own_rate),
    }
    rows = {v: [] for v in variants}
    spent = {v: 0.0 for v in variants}
    t0 = time.perf_counter()
    for rid in ids:
        r5, r1 = d5.load(rid), d1.load(rid)
        sig = {"500": r5.signal, "100": r1.signal, "down": _resample(r5.signal, 500, 100)}
        for v, (src, fs, method) in variants.items():
            t1 = time.perf_counter()
            s = _extract(sig[src], fs, list(r5.leads), method)
            spent[v] += time.perf_counter() - t1
            rows[v].append(pd.Series(dtype=float, name=rid) if s is None else s.rename(rid))
    secs = time.perf_counter() - t0
    tab = {v: pd.DataFrame(r) for v, r in rows.items()}
    ref = tab["500"]
    cols = [c for c in ref.columns if c.endswith("_ms") and pd.api.types.is_numeric_dtype(ref[c])
            and ref[c].notna().mean() > 0.5 and "_ms_" not in c]
    print(f"\n=== (a) PTB-XL: {len(ids)} records (ecg_id {ids[0]}..{ids[-1]}) at 100 and 500 Hz, "
          f"extract_record ({secs:.0f} s) ===")
    print("paired difference (variant - 500 Hz file), ms: mean / SD / n records measured at both")
    print(f"{'interval':26s}" + "".join(f"{v:>24s}" for v in variants if v != "500"))
    for c in cols:
        cells = []
        for v in variants:
            if v == "500":
                continue
            d = (tab[v].get(c) - ref[c]).dropna() if c in tab[v] else pd.Series(dtype=float)
            cells.append(f"{d.mean():+7.1f} / {d.std():5.1f} / {d.size:3d}" if d.size else "-")
        print(f"{c:26s}" + "".join(f"{s:>24s}" for s in cells))
    print("extract_record time per record (ms) and ratio to the same file at its own rate: "
          + ", ".join(f"{v} {1000 * spent[v] / len(ids):.0f}" for v in variants)
          + f"; 100 Hz {spent['100'] / max(spent['100 own-rate'], 1e-9):.2f}x own rate, "
          f"500->100 {spent['500->100'] / max(spent['500->100 own-rate'], 1e-9):.2f}x")
    q5 = ref["QRS_duration_ms"]
    print(f"QRS_duration_ms at 500 Hz: median {q5.median():.0f} ms; "
          f">= {WIDE_QRS_MS:.0f} ms at 500 Hz: {int((q5 >= WIDE_QRS_MS).sum())}")
    for v in variants:
        if v == "500":
            continue
        q = tab[v]["QRS_duration_ms"].reindex(q5.index)
        both = q.notna() & q5.notna()
        up = int(((q >= WIDE_QRS_MS) & (q5 < WIDE_QRS_MS) & both).sum())
        down = int(((q < WIDE_QRS_MS) & (q5 >= WIDE_QRS_MS) & both).sum())
        print(f"  {v:20s} QRS >= {WIDE_QRS_MS:.0f} ms here but not at 500 Hz: {up:3d}; "
              f"at 500 Hz but not here: {down:3d} (of {int(both.sum())})")



def _beat_times(df: pd.DataFrame, fs: float) -> np.ndarray:
    """Time (s) of every consensus beat: its R peak, else the mean of its other fiducials."""
    g = df[df["lead"] == "global"]
    v = g[["P_on", "P_peak", "P_off", "QRS_on", "R_peak", "QRS_off", "T_on", "T_peak",
           "T_off"]].to_numpy(float)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        t = np.where(np.isfinite(v[:, 4]), v[:, 4], np.nanmean(v, axis=1))
    return t / fs


def _held_tail_s(signal: np.ndarray, fs: float) -> float:
    """How long (s) every lead of ``signal`` holds its last value (0 when none does)."""
    x = np.asarray(signal)
    runs = []
    for lead in x:
        ch = np.flatnonzero(np.diff(lead) != 0)
        runs.append(lead.size - 1 - ch[-1] if ch.size else lead.size)
    return min(runs) / fs


def _on_held(df: pd.DataFrame, signal: np.ndarray, leads: list[str], fs: float) -> int:
    """Boundaries of the per-lead rows (and of the global row, against the lead that varies
    longest) lying on samples that repeat a lead's first or last value for >= 20 ms."""
    x = np.asarray(signal)
    lo, hi = [], []
    for lead in x:
        ch = np.flatnonzero(np.diff(lead) != 0)
        head = ch[0] if ch.size else lead.size
        tail = lead.size - 2 - ch[-1] if ch.size else lead.size
        k = int(np.ceil(0.02 * fs))
        lo.append(head if head >= k else 0)
        hi.append(lead.size - tail if tail >= k else lead.size)
    cols = ["P_on", "P_peak", "P_off", "QRS_on", "R_peak", "QRS_off", "T_on", "T_peak", "T_off"]
    count = 0
    for i, name in enumerate(list(leads) + ["global"]):
        a, b = (lo[i], hi[i]) if i < len(leads) else (min(lo), max(hi))
        v = df.loc[df["lead"] == name, cols].to_numpy(float)
        v = v[np.isfinite(v)]
        count += int(((v < a) | (v >= b)).sum())
    return count


def ptbxl_beat_counts(n_records: int) -> None:
    from interp_ecg.io import read_ptbxl

    root = dataset_path("ptbxl")
    d5, d1 = read_ptbxl(root, sampling_rate=500), read_ptbxl(root, sampling_rate=100)
    ids = [i for i in d5.meta.index if i in d1.meta.index][:n_records]
    variants = ("100 Hz file", "100 Hz file cut where the 500 Hz file stops varying")
    same_all = dict.fromkeys(variants, 0)
    same_complete = dict.fromkeys(variants, 0)
    classes: dict[str, list] = {}
    n = 0
    held_n, held_recs = 0, 0
    t0 = time.perf_counter()
    for rid in ids:
        r5, r1 = d5.load(rid), d1.load(rid)
        tail = _held_tail_s(r5.signal, 500)
        n_cut = int(np.floor((10.0 - tail) * 100 + 1e-9))
        try:
            a = delineate(r5.signal, 500, list(r5.leads))
            bs = {variants[0]: delineate(r1.signal, 100, list(r1.leads)),
                  variants[1]: delineate(r1.signal[:, :n_cut], 100, list(r1.leads))}
        except Exception as exc:  # a record that cannot be delineated at one rate is left out
            logging.getLogger(__name__).info("%s: %s", rid, exc)
            continue
        n += 1
        k = _on_held(a, r5.signal, list(r5.leads), 500)
        held_n, held_recs = held_n + k, held_recs + (k > 0)
        ta = _beat_times(a, 500)
        ca = ta.size - len(a.attrs.get("edge_beats", []))
        for v, b in bs.items():
            tb = _beat_times(b, 100)
            cb = tb.size - len(b.attrs.get("edge_beats", []))
            same_all[v] += ta.size == tb.size
            same_complete[v] += ca == cb
            for which, mine, other in (("500 only", ta, tb), ("100 only", tb, ta)):
                for t in mine:
                    if other.size and np.nanmin(np.abs(other - t)) <= 0.06:
                        continue
                    if t < 0.2:
                        kind = "start"
                    elif t > 10.0 - tail - 0.2:
                        kind = ("end, QRS in or cut by the 500 Hz file's held tail"
                                if t >= 10.0 - tail - 0.05 else "end")
                    else:
                        kind = "mid-record"
                    classes.setdefault(f"{v}: {which}, {kind}", []).append((rid, round(float(t), 3)))
    secs = time.perf_counter() - t0
    print(f"\n=== (c) PTB-XL beat counts, {n} records (ecg_id {ids[0]}..{ids[-1]}), 500 Hz file "
          f"against the 100 Hz file ({secs:.0f} s) ===")
    print(f"500 Hz files: {held_n} boundaries in {held_recs} records lie on samples a lead holds "
          f"constant (>= 20 ms) at its start or end")
    for v in variants:
        print(f"{v}: same number of beats {same_all[v]} of {n} ({same_all[v] / max(n, 1):.1%}); "
              f"same number of complete beats (not cut by the record edge) {same_complete[v]} "
              f"of {n} ({same_complete[v] / max(n, 1):.1%})")
    for k in sorted(classes):
        v = classes[k]
        print(f"  beats {k}: {len(v)} in {len({r for r, _ in v})} records: "
              + ", ".join(f"{r} ({t:.3f} s)" for r, t in v[:30]))


def ludb_rates(n_records: int, rates: list[int], odd: bool) -> None:
    from interp_ecg.features.delineation.filters import internal_ratio
    from interp_ecg.io import read_ludb

    ds = read_ludb(dataset_path("ludb"))
    recs = [r for r in ds.meta.index if int(r) % 2 == (1 if odd else 0)]
    if n_records:
        recs = recs[:n_records]
    pos = {r: i for i, r in enumerate(ds.meta.index)}
    leads = list(ds.leads)
    which = "odd-numbered (training)" if odd else "held-out even-numbered"
    print(f"\n=== (b) LUDB: {len(recs)} {which} records, 12 leads, resampled from 500 Hz ===")
    print("per boundary: F1 (Martinez tolerances) / MEAN error (bias) / SD, ms; detection - mark")
    hdr = f"{'rate':>5s} {'delineator':12s} {'rows':7s}" + "".join(f"{k:>23s}" for k in BOUNDARIES)
    print(hdr)
    for fs in rates:
        scale = fs / float(ds.fs)
        factor = internal_ratio(fs, DEFAULT.internal_fs, DEFAULT.native_min_fs,
                                DEFAULT.native_max_fs)
        for name, params in ((f"default x{factor}", None), ("own rate", OFF)):
            if factor == 1 and params is not None:
                continue  # the default already delineates at the record's own rate
            tallies = {rows: {k: Tally() for k in BOUNDARIES} for rows in ("per lead", "global")}
            for r in recs:
                x = _resample(np.asarray(ds.signals[pos[r]], dtype=np.float32), 500, fs)
                refs = reference_marks(ds.annotations[ds.annotations["record"] == r], scale)
                try:
                    df = delineate(x, fs, leads, params=params)
                except Exception:  # a failing record counts as all misses
                    df = None
                by_lead = {} if df is None else {
                    str(ld): {k: g[k].to_numpy(float) for k in BOUNDARIES}
                    for ld, g in df.groupby("lead", sort=False)}
                for lead in leads:
                    if lead not in refs:
                        continue
                    for rows in ("per lead", "global"):
                        det = by_lead.get(lead if rows == "per lead" else "global", {})
                        for k, m in score_lead(det, refs[lead], fs, BOUNDARIES).items():
                            tallies[rows][k].add(m, fs)
            for rows, t in tallies.items():
                print(f"{fs:5d} {name:12s} {rows:8s}" + "".join(
                    f"{t[k].f1:8.3f} {t[k].mean_ms:+6.1f} {t[k].sd_ms:5.1f}  " for k in BOUNDARIES))


#: Record-level intervals compared in (d): name -> (start boundary, end boundary).
INTERVALS = {"QRS": ("QRS_on", "QRS_off"), "QT": ("QRS_on", "T_off"), "PR": ("P_on", "QRS_on")}
#: Lead sets of (d): 12 leads, and the two leads of the 250 Hz proxy.
VS500_LEADSETS = {"12 leads": None, "II+V5": ["II", "V5"]}


def _pair_beats(a: pd.DataFrame, fs_a: float, b: pd.DataFrame, fs_b: float,
                tol_s: float = 0.05) -> list[tuple[int, int]]:
    """Beats of two delineations of one record paired by their consensus R peak (seconds,
    within ``tol_s``, one-to-one, nearest first)."""
    ga = a[a["lead"] == "global"].set_index("beat")["R_peak"].dropna() / fs_a
    gb = b[b["lead"] == "global"].set_index("beat")["R_peak"].dropna() / fs_b
    if ga.empty or gb.empty:
        return []
    d = np.abs(ga.to_numpy()[:, None] - gb.to_numpy()[None, :])
    ii, jj = np.nonzero(d <= tol_s)
    used_a, used_b, out = set(), set(), []
    for k in np.argsort(d[ii, jj], kind="stable"):
        i, j = int(ii[k]), int(jj[k])
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            out.append((int(ga.index[i]), int(gb.index[j])))
    return out


def _boundary_diffs(a, fs_a, b, fs_b, pairs, rows: str) -> dict[str, np.ndarray]:
    """Per boundary, ``a - b`` in ms over the paired beats (``rows``: "global" or "per lead")."""
    out = {}
    sel_a = a["lead"] == "global" if rows == "global" else a["lead"] != "global"
    sel_b = b["lead"] == "global" if rows == "global" else b["lead"] != "global"
    ia = a[sel_a].set_index(["beat", "lead"])
    ib = b[sel_b].set_index(["beat", "lead"])
    pa = pd.DataFrame(pairs, columns=["beat_a", "beat_b"])
    leads = ia.index.get_level_values("lead").unique()
    for k in BOUNDARIES:
        va = ia[k].reindex(pd.MultiIndex.from_product([pa["beat_a"], leads])).to_numpy(float)
        vb = ib[k].reindex(pd.MultiIndex.from_product([pa["beat_b"], leads])).to_numpy(float)
        d = 1000.0 * (va / fs_a - vb / fs_b)
        out[k] = d[np.isfinite(d)]
    return out


def _record_intervals(df: pd.DataFrame, fs: float) -> dict[str, float]:
    """Median over the consensus beats of each interval of :data:`INTERVALS` (ms)."""
    g = df[df["lead"] == "global"]
    out = {}
    for name, (s, e) in INTERVALS.items():
        v = (g[e] - g[s]).to_numpy(float) * 1000.0 / fs
        v = v[np.isfinite(v)]
        out[name] = float(np.median(v)) if v.size else np.nan
    return out


def ludb_vs500(n_records: int, rates: list[int], half: str, params: Params | None,
               leadsets: list[str]) -> None:
    """(d) Every LUDB record delineated at each rate against the same record at 500 Hz."""
    from interp_ecg.io import read_ludb

    ds = read_ludb(dataset_path("ludb"))
    recs = list(ds.meta.index)
    if half != "all":
        recs = [r for r in recs if int(r) % 2 == (1 if half == "odd" else 0)]
    if n_records:
        recs = recs[:n_records]
    pos = {r: i for i, r in enumerate(ds.meta.index)}
    all_leads = list(ds.leads)
    print(f"\n=== (d) LUDB: {len(recs)} records ({half}), each rate against the same record "
          f"at 500 Hz and against the LUDB marks (resample_poly from 500 Hz) ===")
    print("vs 500 Hz: per boundary median / mean / SD (ms) of (rate - 500 Hz) over beats paired "
          "by the consensus R peak; marks: F1 / mean / SD (ms) of detection - mark (Martinez "
          "tolerances); record-level intervals: median / SD over records of (rate - 500 Hz) of "
          "each record's median consensus interval")
    t0 = time.perf_counter()
    for ls_name in leadsets:
        names = VS500_LEADSETS[ls_name] or all_leads
        idx = [all_leads.index(n) for n in names]
        diffs = {(fs, rows): {k: [] for k in BOUNDARIES} for fs in rates
                 for rows in ("global", "per lead")}
        ivs = {fs: {k: [] for k in INTERVALS} for fs in rates}
        tallies = {(fs, rows): {k: Tally() for k in BOUNDARIES} for fs in rates
                   for rows in ("per lead", "global")}
        spent = dict.fromkeys(rates, 0.0)
        spent[500] = 0.0
        failed = dict.fromkeys(rates, 0)
        for r in recs:
            x500 = np.asarray(ds.signals[pos[r]], dtype=np.float32)[idx]
            ann = ds.annotations[ds.annotations["record"] == r]
            refs500 = reference_marks(ann, 1.0)
            t1 = time.perf_counter()
            try:
                ref = delineate(x500, 500, names, params=params)
            except Exception as exc:  # no 500 Hz reference: the record is left out
                logging.getLogger(__name__).info("%s at 500 Hz: %s", r, exc)
                continue
            spent[500] = spent.get(500, 0.0) + time.perf_counter() - t1
            iv500 = _record_intervals(ref, 500)
            for fs in rates:
                x = _resample(x500, 500, fs)
                t1 = time.perf_counter()
                try:
                    df = ref if fs == 500 else delineate(x, fs, names, params=params)
                except Exception as exc:  # a failing record counts as all misses
                    logging.getLogger(__name__).info("%s at %d Hz: %s", r, fs, exc)
                    failed[fs] += 1
                    df = None
                if fs != 500:
                    spent[fs] += time.perf_counter() - t1
                # scored in the marks' own time base (500 Hz samples): the marks are not
                # rounded to the rate's grid (at 360 Hz a detection on the last mark then
                # fell outside the rounded annotated span and counted as a miss), and the
                # detections are rounded to 1e-6 samples (floating-point residue of the
                # division back to the record's rate)
                by_lead = {} if df is None else {
                    str(ld): {k: np.round(g[k].to_numpy(float) * 500.0 / fs, 6)
                              for k in BOUNDARIES}
                    for ld, g in df.groupby("lead", sort=False)}
                for lead in names:
                    if lead not in refs500:
                        continue
                    for rows in ("per lead", "global"):
                        det = by_lead.get(lead if rows == "per lead" else "global", {})
                        for k, m in score_lead(det, refs500[lead], 500.0, BOUNDARIES).items():
                            tallies[(fs, rows)][k].add(m, 500.0)
                if df is None or fs == 500:
                    continue
                pairs = _pair_beats(df, fs, ref, 500)
                for rows in ("global", "per lead"):
                    for k, d in _boundary_diffs(df, fs, ref, 500, pairs, rows).items():
                        diffs[(fs, rows)][k].append(d)
                iv = _record_intervals(df, fs)
                for k in INTERVALS:
                    ivs[fs][k].append(iv[k] - iv500[k])
        print(f"\n--- {ls_name} ({time.perf_counter() - t0:.0f} s so far) ---")
        print(f"{'rate':>5s} {'rows':9s}" + "".join(f"{k:>22s}" for k in BOUNDARIES))
        for fs in rates:
            if fs == 500:
                continue
            for rows in ("global", "per lead"):
                cells = []
                for k in BOUNDARIES:
                    d = np.concatenate(diffs[(fs, rows)][k]) if diffs[(fs, rows)][k] else np.array([])
                    cells.append(f"{np.median(d):+5.1f} {d.mean():+5.1f} {d.std():5.1f}"
                                 if d.size else "-")
                print(f"{fs:5d} {rows[:4] + '-500':9s}" + "".join(f"{c:>22s}" for c in cells))
        for fs in rates:
            for rows in ("per lead", "global"):
                t = tallies[(fs, rows)]
                print(f"{fs:5d} {rows[:4] + ' mark':9s}" + "".join(
                    f"{t[k].f1:8.3f} {t[k].mean_ms:+6.1f} {t[k].sd_ms:5.1f}" for k in BOUNDARIES))
        print("record-level intervals (rate - 500 Hz), median / mean / SD ms, n records; "
              "delineation ms per record; records failed")
        for fs in rates:
            if fs == 500:
                continue
            cells = []
            for k in INTERVALS:
                v = np.asarray(ivs[fs][k], dtype=float)
                v = v[np.isfinite(v)]
                cells.append(f"{k} {np.median(v):+5.1f} / {v.mean():+5.1f} / {v.std():4.1f} / {v.size}"
                             if v.size else f"{k} -")
            print(f"{fs:5d}  " + ";  ".join(cells)
                  + f";  {1000 * spent[fs] / max(len(recs), 1):.0f} ms/rec; failed {failed[fs]}")
        print(f"  500  {1000 * spent[500] / max(len(recs), 1):.0f} ms/rec", flush=True)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ptbxl", type=int, default=200, help="PTB-XL records (0 = skip)")
    ap.add_argument("--ludb", type=int, default=0, help="LUDB records (0 = all of the half)")
    ap.add_argument("--counts", type=int, default=200,
                    help="PTB-XL records for the beat-count comparison (c) (0 = skip)")
    ap.add_argument("--counts-only", action="store_true", help="only the beat counts (c)")
    ap.add_argument("--no-ludb", action="store_true")
    ap.add_argument("--rates", default="100,250,500")
    ap.add_argument("--odd", action="store_true", help="LUDB odd-numbered (training) records")
    ap.add_argument("--vs500", choices=("all", "odd", "even"), default=None,
                    help="only (d): every rate against the same LUDB record at 500 Hz and "
                         "against the marks, 12 leads and II+V5, on all / odd / even records")
    ap.add_argument("--leadsets", default="12 leads,II+V5", help="lead sets of (d)")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                    help="a Params field for (d) (repeatable), e.g. native_min_fs=0.0")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    t0 = time.perf_counter()
    if a.vs500:
        kw = {}
        for item in a.param:
            k, _, v = item.partition("=")
            kw[k.strip()] = ast.literal_eval(v.strip())
        ludb_vs500(a.ludb, [int(v) for v in a.rates.split(",")], a.vs500,
                   Params(**kw) if kw else None, a.leadsets.split(","))
        print(f"\nwall {time.perf_counter() - t0:.0f} s")
        return
    if a.counts:
        ptbxl_beat_counts(a.counts)
    if a.counts_only:
        print(f"\nwall {time.perf_counter() - t0:.0f} s")
        return
    if a.ptbxl:
        ptbxl_pairs(a.ptbxl)
    if not a.no_ludb:
        ludb_rates(a.ludb, [int(v) for v in a.rates.split(",")], a.odd)
    print(f"\nwall {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
