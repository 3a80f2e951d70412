"""P-wave duration: package versus the cardiologists (LUDB) and versus normal values (PTB-XL).

Where a P duration bias comes from: the per-lead P boundaries, their multi-lead
combination (the ``global`` rows), or the measurement. Printed, for the default
``Params`` and for the variants given with ``--variant NAME=FIELD:VALUE`` (same run):

* LUDB, per beat: each lead's measured P duration against the same lead's marks, and the
  global P duration against two constructions of the cardiologists' global duration --
  earliest onset to latest offset over the leads they marked (``extreme``) and median
  onset to median offset (``median``); mean difference (package - cardiologists) and its SD,
  on all, odd (where choices are made) and even (held-out) records;
* LUDB, per record: the median over beats of the same, and ``P_duration_ms`` of
  :func:`interp_ecg.features.extract` for the default (``--extract``);
* PTB-XL NORM records at 500 Hz (``/work/shared/data/ptbxl``, label ``NORM``): median and
  IQR of the record-level global P duration and of the per-lead P duration. Reference:
  normal P duration < 120 ms, typically 80-110 ms (Kligfield et al., Circulation 2007,
  AHA/ACCF/HRS recommendations Part I; Rijnbeek et al., Eur Heart J 2001).

Nothing is fitted here.

Usage::

    python benchmarks/delineation_p_duration.py [--variant before=p_cons_q:0.15] [--extract]
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
import pandas as pd

from interp_ecg.config import dataset_path
from interp_ecg.features.delineation import delineate
from interp_ecg.features.delineation.params import Params
from interp_ecg.io import read_ludb, read_ptbxl

MATCH_MS = 150.0  # an annotated QRS within this of the detected R is the same beat
P_BEFORE_R_S = 0.4  # annotated P marks belong to the beat whose R follows within this


def ludb_beats(ds, params: Params) -> pd.DataFrame:
    """One row per (record, beat, lead or "global") with measured and annotated P duration (ms)."""
    ann = ds.annotations
    fs = float(ds.fs)
    ms = 1000.0 / fs
    rows = []
    for i, rec in enumerate(ds.meta.index):
        a = ann[ann["record"] == rec]
        pa = a[a["wave"].astype(str) == "P"]
        if pa.empty:
            continue
        q = a[a["wave"].astype(str) == "QRS"]
        df = delineate(np.asarray(ds.signals[i], dtype=float), fs, list(ds.leads), params=params)
        per = df[df["lead"] != "global"]
        for _, b in df[df["lead"] == "global"].iterrows():
            if not np.isfinite(b.R_peak):
                continue
            qs = q[(q["peak"] - b.R_peak).abs() * ms < MATCH_MS]
            if qs.empty:
                continue
            sel = pa[(pa["peak"] < qs["on"].min()) & (pa["peak"] > b.R_peak - P_BEFORE_R_S * fs)]
            if sel.empty:
                continue
            lb = per[per["beat"] == b.beat].set_index("lead")
            for _, s in sel.iterrows():
                if s["lead"] in lb.index:
                    m = lb.loc[s["lead"]]
                    rows.append(dict(record=rec, beat=b.beat, lead=s["lead"], measured=(m.P_off - m.P_on) * ms,
                                     annotated=(s["off"] - s["on"]) * ms))
            rows.append(dict(record=rec, beat=b.beat, lead="global", measured=(b.P_off - b.P_on) * ms,
                             annotated=(sel["off"].max() - sel["on"].min()) * ms,
                             annotated_median=(sel["off"].median() - sel["on"].median()) * ms))
    return pd.DataFrame(rows)


def summary(beats: pd.DataFrame) -> pd.DataFrame:
    """Bias (mean package - cardiologists) and SD per construction and record subset."""
    out = []
    glob = beats[beats["lead"] == "global"]
    recs = glob.groupby("record")[["measured", "annotated", "annotated_median"]].median()
    parts = {"per lead, beat": (beats[beats["lead"] != "global"], "annotated"),
             "global, beat vs extreme": (glob, "annotated"),
             "global, beat vs median": (glob, "annotated_median"),
             "global, record vs extreme": (recs.reset_index(), "annotated"),
             "global, record vs median": (recs.reset_index(), "annotated_median")}
    for name, (frame, ref) in parts.items():
        for subset, keep in (("all", lambda r: True), ("odd", lambda r: int(r) % 2 == 1),
                             ("even", lambda r: int(r) % 2 == 0)):
            f = frame[frame["record"].map(keep)].dropna(subset=["measured", ref])
            d = f["measured"] - f[ref]
            out.append(dict(comparison=name, records=subset, n=len(f), measured_median=f["measured"].median(),
                            annotated_median=f[ref].median(), bias_ms=d.mean(), sd_ms=d.std()))
    return pd.DataFrame(out).set_index(["comparison", "records"])


def ptbxl_norm(ds, params: Params) -> dict[str, float]:
    """Median (IQR) of the record-level global and per-lead P duration on the NORM records."""
    ms = 1000.0 / 500.0
    glob, lead = [], []
    for rec in ds.meta.index:
        r = ds.load(rec)
        try:
            df = delineate(r.signal, 500.0, list(r.leads), params=params)
        except Exception as exc:  # noqa: BLE001 - a refused record is counted, not measured
            logging.info("record %s: %s", rec, exc)
            continue
        g = df[df["lead"] == "global"]
        d = ((g["P_off"] - g["P_on"]) * ms).dropna()
        if len(g) and len(d) >= 0.5 * len(g):
            glob.append(float(np.median(d)))
        dl = ((df.loc[df["lead"] != "global", "P_off"] - df.loc[df["lead"] != "global", "P_on"]) * ms).dropna()
        if len(dl):
            lead.append(float(np.median(dl)))
    q = lambda v: np.percentile(v, [25, 50, 75]) if v else [np.nan] * 3  # noqa: E731
    return dict(records=len(ds.meta), with_P=len(glob), global_median=q(glob)[1], global_q1=q(glob)[0],
                global_q3=q(glob)[2], per_lead_median=q(lead)[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variant", action="append", default=[],
                    help="NAME=FIELD:VALUE[,FIELD:VALUE]: Params variant measured beside the default")
    ap.add_argument("--extract", action="store_true", help="also P_duration_ms of features.extract (default)")
    ap.add_argument("--skip-ptbxl", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    variants = {"default": Params()}
    for v in args.variant:
        name, spec = v.split("=", 1)
        kw = {f: float(x) for f, x in (s.split(":") for s in spec.split(","))}
        variants[name] = Params(**kw)
    ludb = read_ludb(dataset_path("ludb"))
    ptb = None
    if not args.skip_ptbxl:
        ptb = read_ptbxl(dataset_path("ptbxl"), sampling_rate=500)
        ptb = ptb.subset(list(ptb.labels.index[ptb.labels["NORM"] == 1]))
    pd.set_option("display.width", 160)
    for name, params in variants.items():
        print(f"\n=== {name} ===")
        print(summary(ludb_beats(ludb, params)).round(1).to_string())
        if ptb is not None:
            res = ptbxl_norm(ptb, params)
            print(f"PTB-XL NORM (500 Hz): {res['with_P']} of {res['records']} records with a P; global P duration "
                  f"median {res['global_median']:.1f} ms (IQR {res['global_q1']:.1f}-{res['global_q3']:.1f}); "
                  f"per-lead median {res['per_lead_median']:.1f} ms")
    if args.extract and ptb is not None:
        from interp_ecg.features import extract
        t = extract(ptb, progress=False)
        v = t.loc[t["quality_ok"].astype(bool), "P_duration_ms"].dropna()
        print(f"\nfeatures.extract on PTB-XL NORM: P_duration_ms median {v.median():.1f} ms "
              f"(IQR {v.quantile(0.25):.1f}-{v.quantile(0.75):.1f}), {len(v)} records")
        t = extract(ludb, progress=False)
        beats = ludb_beats(ludb, Params())
        ref = beats[beats["lead"] == "global"].groupby("record")[["annotated", "annotated_median"]].median()
        j = ref.join(t["P_duration_ms"], how="inner").dropna()
        for col in ("annotated", "annotated_median"):
            d = j["P_duration_ms"] - j[col]
            print(f"features.extract on LUDB vs cardiologists ({col}): {len(j)} records, bias {d.mean():.1f} ms, "
                  f"SD {d.std():.1f} ms")


if __name__ == "__main__":
    main()
