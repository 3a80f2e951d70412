"""LUDB delineation and measurements on paced and extrasystole records, beside the rest.

LUDB's ``ludb.csv`` marks 10 records with cardiac pacing (``Cardiac pacing``) and 14 with
extrasystoles (``Extrasystolies``; record 45 has both). This script scores, for the three
groups separately (paced; extrasystoles, not paced; the other 177):

1. **delineation** -- per-lead boundaries against the cardiologists' marks of the same lead
   with the Martinez tolerances (:mod:`interp_ecg.features.delineation.scoring`, each mark
   used once, detections outside the lead's annotated span not counted): sensitivity, PPV,
   F1, mean and SD of the error (ms). Two delineations are scored in the same run:

   * ``delineate`` -- :func:`interp_ecg.features.delineate` on the raw signal (the
     reference of the ratio column);
   * ``pipeline`` -- the per-lead fiducials that :func:`interp_ecg.features.extract_beats`
     (the feature pipeline) measures with, i.e. after whatever the pipeline does to the
     signal before delineation (pacing-spike removal, when present).

2. **record measurements** of :func:`interp_ecg.features.extract_record` against reference
   values built from the same marks: beats are formed by grouping the QRS marks of all leads
   (peaks within 100 ms), a beat's QRS runs from the earliest onset to the latest offset
   over its leads, its PR from the earliest P onset in the 400 ms before that QRS onset;
   heart rate is 60000 / mean RR of the grouped beats. The reference QRS and PR are medians
   over *all* annotated beats (LUDB does not label beat types; in these records most beats
   are dominant, so the median is the dominant beats' value). Printed: median absolute
   error of heart rate, QRS and PR, and the share of records within 3 bpm / 20 ms / 20 ms;
   plus the pipeline's ``PVC_count`` and pacing flag (NaN where the column does not exist).

3. With ``--ptbxl``: the PTB-XL sample's ``PACE`` and ``PVC`` records (no fiducials there):
   what the pipeline says per record (pacing flag and spike count, beats, PVC count, heart
   rate, QRS, PR), and the pacing flag over all other records (false positives).

4. With ``--simulated``: the issue's simulated inputs, scored against the simulation's
   truth: LBBB records with two-sample pacing spikes before every P and QRS onset (3 mV
   with four spike vectors on seed 0; 2 mV on 24 records) and 12 ventricular bigeminy
   strips (PVC count, QRS and PR of the sinus beats).

Usage::

    python benchmarks/delineation_ludb_rhythms.py            # all 200 records (~2-4 min, 1 core)
    python benchmarks/delineation_ludb_rhythms.py --jobs 2 --records 60
    python benchmarks/delineation_ludb_rhythms.py --ptbxl --records 1   # PTB-XL part mainly
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features import extract_beats, extract_record  # noqa: E402
from interp_ecg.features.delineation import delineate  # noqa: E402
from interp_ecg.features.delineation.schema import BOUNDARIES  # noqa: E402
from interp_ecg.features.delineation.scoring import TOLERANCE_MS, Tally, score_lead  # noqa: E402
from interp_ecg.io import Record  # noqa: E402

KINDS = BOUNDARIES
GROUPS = ("paced", "extrasystoles", "rest")
METHODS = ("delineate", "pipeline")


def reference_for(ann: pd.DataFrame) -> dict[str, dict[str, np.ndarray]]:
    """``{lead: {kind: marks}}`` from the read_ludb annotation frame of one record."""
    out = {}
    for lead, g in ann.groupby("lead", observed=True):
        ref = {}
        for wave in ("P", "QRS", "T"):
            w = g[g["wave"] == wave]
            ref[f"{wave}_on"] = w["on"].to_numpy(float)
            ref[f"{wave}_off"] = w["off"].to_numpy(float)
        out[str(lead)] = ref
    return out


def reference_measurements(ann: pd.DataFrame, fs: float) -> dict[str, float]:
    """Heart rate, QRS duration and PR interval from the cardiologists' marks (see module doc)."""
    q = ann[ann["wave"] == "QRS"].sort_values("peak")
    out = {"HR_ref": np.nan, "QRS_ref": np.nan, "PR_ref": np.nan}
    if q.empty:
        return out
    peaks = q["peak"].to_numpy(float)
    beat = np.r_[0, np.cumsum(np.diff(peaks) > 0.1 * fs)]
    g = q.assign(beat=beat).groupby("beat").agg(on=("on", "min"), off=("off", "max"), peak=("peak", "median"),
                                                n=("lead", "size"))
    g = g[g["n"] >= 3]  # a beat marked in at least 3 leads
    if len(g) >= 2:
        out["HR_ref"] = 60000.0 / (np.diff(g["peak"].to_numpy()).mean() * 1000.0 / fs)
    qrs = (g["off"] - g["on"]).to_numpy() * 1000.0 / fs
    out["QRS_ref"] = float(np.median(qrs)) if qrs.size else np.nan
    p_on = ann.loc[ann["wave"] == "P", "on"].to_numpy(float)
    prs = []
    for on in g["on"].to_numpy():
        cand = p_on[(p_on < on) & (p_on > on - 0.4 * fs)]
        if cand.size:
            prs.append((on - cand.min()) * 1000.0 / fs)
    out["PR_ref"] = float(np.median(prs)) if prs else np.nan
    return out


def _per_lead(df: pd.DataFrame | None, lead: str) -> dict[str, np.ndarray]:
    if df is None:
        return {}
    sel = df[df["lead"].astype(str) == lead]
    return {k: pd.to_numeric(sel[k], errors="coerce").to_numpy(float) for k in KINDS}


def run_record(args) -> dict:
    rid, x, fs, leads, ann = args
    refs = reference_for(ann)
    tallies = {m: {k: Tally() for k in KINDS} for m in METHODS}
    rec = Record(str(rid), x, fs, list(leads), source=f"ludb/{rid}")
    dets: dict[str, pd.DataFrame | None] = {}
    try:
        dets["delineate"] = delineate(x, fs, leads=list(leads))
    except Exception as exc:  # noqa: BLE001 - a failing record counts as all misses
        print(f"record {rid}: delineate failed: {exc}", file=sys.stderr)
        dets["delineate"] = None
    try:
        dets["pipeline"] = extract_beats(rec)
    except Exception as exc:  # noqa: BLE001
        print(f"record {rid}: extract_beats failed: {exc}", file=sys.stderr)
        dets["pipeline"] = None
    for m in METHODS:
        for lead, ref in refs.items():
            for k, mt in score_lead(_per_lead(dets[m], lead), ref, fs, KINDS).items():
                tallies[m][k].add(mt, fs)
    meas = reference_measurements(ann, fs)
    try:
        row = extract_record(rec)
        meas.update(HR=row["heart_rate_bpm"], QRS=row["QRS_duration_ms"], PR=row["PR_interval_ms"],
                    PVC_count=row["PVC_count"], n_beats=row["n_beats"],
                    paced=float(row["paced"]) if "paced" in row.index else np.nan,
                    pacing_spike_count=row.get("pacing_spike_count", np.nan))
    except Exception as exc:  # noqa: BLE001
        print(f"record {rid}: extract_record failed: {exc}", file=sys.stderr)
        meas.update(HR=np.nan, QRS=np.nan, PR=np.nan, PVC_count=np.nan, n_beats=np.nan, paced=np.nan,
                    pacing_spike_count=np.nan)
    return {"record": rid, "tallies": tallies, "meas": meas}


def delineation_table(results: list[dict]) -> pd.DataFrame:
    rows = []
    for grp in GROUPS:
        sub = [r for r in results if r["group"] == grp]
        for m in METHODS:
            for k in KINDS:
                t = Tally()
                for r in sub:
                    t.merge(r["tallies"][m][k])
                rows.append({"group": grp, "n_rec": len(sub), "method": m, "boundary": k, **t.row()})
    df = pd.DataFrame(rows)
    ref = df[df["method"] == "delineate"].set_index(["group", "boundary"])["F1"]
    df["F1_ratio"] = [r.F1 / ref.loc[(r.group, r.boundary)] for r in df.itertuples()]
    return df.set_index(["group", "method", "boundary"])[
        ["n_rec", "n_ref", "Se", "PPV", "F1", "F1_ratio", "mean_ms", "sd_ms"]]


def measurement_table(results: list[dict]) -> pd.DataFrame:
    rows = []
    for grp in GROUPS:
        m = pd.DataFrame([r["meas"] for r in results if r["group"] == grp])
        if m.empty:
            continue
        e_hr = (m["HR"] - m["HR_ref"]).abs()
        e_qrs = (m["QRS"] - m["QRS_ref"]).abs()
        e_pr = (m["PR"] - m["PR_ref"]).abs()
        rows.append({
            "group": grp, "n_rec": len(m),
            "HR_MAE_bpm(median)": e_hr.median(), "HR_within_3bpm": (e_hr < 3).mean(),
            "QRS_AE_ms(median)": e_qrs.median(), "QRS_within_20ms": (e_qrs <= 20).mean(),
            "PR_AE_ms(median)": e_pr.median(), "PR_within_20ms": (e_pr <= 20).mean(),
            "PR_missing": (m["PR"].isna() & m["PR_ref"].notna()).mean(),
            "PVC_count_sum": m["PVC_count"].sum(), "records_with_PVC": (m["PVC_count"] > 0).mean(),
            "flagged_paced": m["paced"].mean() if m["paced"].notna().any() else np.nan,
        })
    return pd.DataFrame(rows).set_index("group")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=0, help="first N records of each group (0 = all)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--root", default=None)
    ap.add_argument("--per-record", action="store_true", help="print the paced/extrasystole records one by one")
    ap.add_argument("--ptbxl", action="store_true", help="also the PTB-XL PACE and PVC records")
    ap.add_argument("--simulated", action="store_true", help="also the simulated paced and bigeminy records")
    ap.add_argument("--skip-ludb", action="store_true", help="leave the LUDB part out")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    if not a.skip_ludb:
        ludb_section(a)
    if a.ptbxl:
        ptbxl_section()
    if a.simulated:
        simulated_section()


def ludb_section(a) -> None:
    from interp_ecg.io import read_ludb

    root = a.root or dataset_path("ludb")
    ds = read_ludb(root)
    meta = ds.meta
    paced = meta["pacing"].fillna("").astype(str).str.strip() != ""
    extra = meta["extrasystoles"].fillna("").astype(str).str.strip() != ""
    group = pd.Series(np.where(paced, "paced", np.where(extra, "extrasystoles", "rest")), index=meta.index)
    recs = []
    for grp in GROUPS:
        ids = list(group.index[group == grp])
        recs += ids[: a.records] if a.records else ids
    ann = ds.annotations
    pos = {r: i for i, r in enumerate(meta.index)}
    jobs = [(r, np.asarray(ds.signals[pos[r]], dtype=np.float32), float(ds.fs), list(ds.leads),
             ann[ann["record"] == r]) for r in recs]
    t0 = time.perf_counter()
    if a.jobs > 1:
        from multiprocessing import get_context

        with get_context("fork").Pool(a.jobs) as pool:
            out = pool.map(run_record, jobs, chunksize=2)
    else:
        out = [run_record(j) for j in jobs]
    for r in out:
        r["group"] = group.loc[r["record"]]
    wall = time.perf_counter() - t0
    counts = group.loc[recs].value_counts().to_dict()
    print(f"LUDB {root}: records per group {counts} (record 45, paced with a PVC, counts as paced); "
          f"fs={ds.fs:g} Hz; tolerances (ms) {dict((k, TOLERANCE_MS[k]) for k in KINDS)}; "
          f"wall {wall:.1f} s, {a.jobs} job(s)")
    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 200)
    print("\n=== delineation (per lead, vs cardiologists); F1_ratio = pipeline F1 / delineate F1 ===")
    print(delineation_table(out).round(3).to_string())
    print("\n=== record measurements of extract_record vs the marks ===")
    print(measurement_table(out).round(3).to_string())
    if a.per_record:
        rows = [{"record": r["record"], "group": r["group"], **r["meas"]} for r in out if r["group"] != "rest"]
        print("\n=== paced and extrasystole records ===")
        print(pd.DataFrame(rows).set_index("record").round(1).to_string())


def _row_of(rec) -> dict:
    try:
        row = extract_record(rec)
    except Exception as exc:  # noqa: BLE001
        return {"error": f"{type(exc).__name__}: {exc}"}
    out = {k: row[k] for k in ("n_beats", "PVC_count", "heart_rate_bpm", "QRS_duration_ms", "PR_interval_ms")}
    out["paced"] = float(row["paced"]) if "paced" in row.index else np.nan
    out["pacing_spike_count"] = row.get("pacing_spike_count", np.nan)
    return out


def ptbxl_section() -> None:
    from interp_ecg.io import read_ptbxl

    ds = read_ptbxl(dataset_path("ptbxl"), sampling_rate=500)
    lab = ds.labels
    pace = list(lab.index[lab["PACE"] > 0])
    pvc = list(lab.index[lab["PVC"] > 0])
    rows = []
    for rid in pace + pvc:
        rows.append({"record": rid, "statement": "PACE" if rid in pace else "PVC", **_row_of(ds.load(rid))})
    print(f"\n=== PTB-XL sample (500 Hz): {len(pace)} PACE and {len(pvc)} PVC records ===")
    print(pd.DataFrame(rows).set_index("record").round(1).to_string())
    others = [r for r in ds.meta.index if r not in set(pace)]
    try:
        from interp_ecg.features.pacing import PACED_MIN_SPIKES, detect_pacing_spikes
    except ImportError:
        print("pacing module not present: no pacing flag")
        return
    flagged = [r for r in others if len(detect_pacing_spikes(ds.load(r).signal, 500)) >= PACED_MIN_SPIKES]
    print(f"records without PACE flagged paced: {len(flagged)} of {len(others)} {flagged}")


def _spiked(condition: str, seed: int, amp: float, vector: np.ndarray):
    from interp_ecg.simulate import simulate_record

    ecg = simulate_record(condition, random_state=seed)
    g = ecg.fiducials[ecg.fiducials["lead"] == "global"]
    x = ecg.signal.copy()
    v = (amp * vector / np.abs(vector).max()).astype(np.float32)
    for col in ("P_on", "QRS_on"):
        for s in g[col].dropna().astype(int):
            if s >= 2:
                x[:, s - 2 : s] += v[:, None]
    return ecg, x


def simulated_section() -> None:
    from interp_ecg.simulate import simulate_record

    vectors = {"all leads": np.ones(12), "precordial only": np.r_[np.zeros(6), np.ones(6)],
               "RA electrode": np.array([-1, -1, 0, 1, -0.5, -0.5, -1 / 3, -1 / 3, -1 / 3, -1 / 3, -1 / 3, -1 / 3]),
               "RV apex dipole": np.array([0.3, -1.0, -1.3, 0.35, 0.8, -1.15, 1.5, 1.8, 1.4, 0.8, 0.3, 0.1])}
    rows = []
    for name, vec in vectors.items():
        ecg, x = _spiked("lbbb", 0, 3.0, vec)
        g = ecg.fiducials[ecg.fiducials["lead"] == "global"]
        r = _row_of(Record("sim", x, 500.0, list(ecg.info["leads"])))
        wct = bool(r.get("QRS_duration_ms", np.nan) >= 120 and r.get("heart_rate_bpm", np.nan) >= 100)
        rows.append({"spikes": name, "true_beats": int(np.isfinite(g["R_peak"]).sum()),
                     "true_HR": ecg.info["heart_rate"], "true_QRS": ecg.info["qrs_ms"], **r, "WCT_rule": wct})
    print("\n=== simulated LBBB (seed 0), 3 mV two-sample spikes before every P and QRS onset ===")
    print(pd.DataFrame(rows).set_index("spikes").round(1).to_string())
    off = 0
    for seed in range(24):
        ecg, x = _spiked("lbbb", seed, 2.0, np.ones(12))
        r = _row_of(Record("sim", x, 500.0, list(ecg.info["leads"])))
        off += not abs(r.get("heart_rate_bpm", np.nan) - ecg.info["heart_rate"]) < 3
    print(f"2 mV spikes, 24 LBBB records: heart rate off truth by >= 3 bpm in {off} of 24")
    rows = []
    for seed in range(12):
        ecg = simulate_record("bigeminy", random_state=seed)
        g = ecg.fiducials[ecg.fiducials["lead"] == "global"]
        n_pvc = int(((g["beat_type"] == "V") & np.isfinite(g["R_peak"])).sum())
        r = _row_of(Record("sim", ecg.signal, 500.0, list(ecg.info["leads"])))
        rows.append({"seed": seed, "true_PVC": n_pvc, "true_QRS": ecg.info["qrs_ms"], "true_PR": ecg.info["pr_ms"],
                     **{k: r.get(k, np.nan) for k in ("PVC_count", "QRS_duration_ms", "PR_interval_ms")}})
    b = pd.DataFrame(rows).set_index("seed")
    print("\n=== simulated ventricular bigeminy, 12 strips ===")
    print(b.round(1).to_string())
    print(f"PVC count within 1 of truth: {(abs(b.PVC_count - b.true_PVC) <= 1).sum()} of 12; "
          f"QRS within 20 ms of the sinus QRS: {(abs(b.QRS_duration_ms - b.true_QRS) <= 20).sum()} of 12; "
          f"PR within 20 ms: {(abs(b.PR_interval_ms - b.true_PR) <= 20).sum()} of 12")


if __name__ == "__main__":
    main()
