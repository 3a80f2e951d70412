"""ST, J and T amplitudes under added baseline wander; one lead on a wrong scale.

Wander (FINDINGS-user13 A4): a sine of each ``FREQ:AMP_mV`` is added to every lead of
PTB-XL 500 Hz records, and each per-lead ``ST60_amp_mV``, ``J_amp_mV``, ``T_amp_mV`` is
compared with the same record without it (max |difference| over the 12 leads, and how many
leads became NaN as "wander not followed"). With ``--base DIR`` (a ``git archive`` copy of an
earlier ``interp_ecg``) the same figures of that copy are printed in the same run, in a
subprocess, as the reference.

Clean records: with ``--clean N`` the per-lead amplitudes of the first N PTB-XL records are
compared between ``--base`` and this tree (no wander added): how far the spline baseline
moves records as recorded, and how many leads the T-P check sets to NaN.

Scale (A3): with ``--scale`` one chest lead of PTB-XL 9 is multiplied by 2, 3, 5, 10 and
the script prints whether it is set aside and R V5 / Sokolow-Lyon. With ``--scale-scan N``
the first N PTB-XL records at 500 Hz are read (``quality.lead_quality`` only): the
distribution of ``scale_ratio`` in records with and without an LVH statement, the leads
flagged as recorded, and the share of leads that would be caught if multiplied by 2, 3, 5, 10
(the other leads of the group, hence their median, unchanged).

Usage::

    PYTHONPATH=$PWD INTERP_ECG_DATA=/work/shared/data python benchmarks/st_baseline_wander.py \\
        --records 1,9,20 --wander 0.3:0.3 0.5:0.3 0.1:1.0 --base /tmp/base --clean 60 --scale
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

LEADS = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
MEASURES = ("ST60_amp_mV", "J_amp_mV", "T_amp_mV")


def _load(root: Path, ecg: int):
    import wfdb

    r = wfdb.rdrecord(str(root / "ptbxl" / "records500" / f"{ecg // 1000 * 1000:05d}" / f"{ecg:05d}_hr"))
    return r.p_signal.T.astype(np.float32), list(r.sig_name)


def _amps(sig, names) -> dict:
    from interp_ecg.features import extract_record

    x = extract_record(sig, 500.0, names)
    return {f"{m}_{ld}": float(x[f"{m}_{ld}"]) for m in (*MEASURES, "R_amp_mV") for ld in LEADS} | {
        "Sokolow_Lyon_mV": float(x["Sokolow_Lyon_mV"]), "scale": str(x.get("quality_scale_leads", "n/a")),
        "wander": str(x["quality_wander_leads"])}


def measure(args) -> dict:
    root = Path(os.environ.get("INTERP_ECG_DATA", "/work/shared/data"))
    t = np.arange(5000) / 500.0
    out: dict = {"wander": {}, "clean": {}, "scale": {}}
    for ecg in args.records:
        sig, names = _load(root, ecg)
        ref = _amps(sig, names)
        for w in args.wander:
            f, a = map(float, w.split(":"))
            x = _amps(sig + (a * np.sin(2 * np.pi * f * t + 0.7)).astype(np.float32)[None, :], names)
            row = {}
            for m in MEASURES:
                e = np.array([x[f"{m}_{ld}"] - ref[f"{m}_{ld}"] for ld in LEADS])
                row[m] = float(np.nanmax(np.abs(e))) if np.isfinite(e).any() else float("nan")
                row[m + "_nan"] = int(np.isnan([x[f"{m}_{ld}"] for ld in LEADS]).sum()
                                      - np.isnan([ref[f"{m}_{ld}"] for ld in LEADS]).sum())
            out["wander"][f"{ecg} {w}"] = row
    for ecg in range(1, args.clean + 1):
        try:
            sig, names = _load(root, ecg)
            out["clean"][str(ecg)] = _amps(sig, names)
        except Exception as err:  # a record missing here or refused: skipped in both trees
            logging.info("record %s: %s", ecg, err)
    if args.scale:
        sig, names = _load(root, 9)
        for k in (1, 2, 3, 5, 10):
            s = sig.copy()
            s[LEADS.index("V5")] *= k
            x = _amps(s, names)
            out["scale"][str(k)] = {"R_amp_mV_V5": x["R_amp_mV_V5"], "Sokolow_Lyon_mV": x["Sokolow_Lyon_mV"],
                               "scale": x["scale"]}
    return out


def scale_scan(n: int) -> None:
    import ast

    import pandas as pd

    from interp_ecg.features.quality import SCALE_MIN_PTP_MV, SCALE_RATIO_MAX, lead_quality
    from interp_ecg.io.leads import normalise_lead_name

    root = Path(os.environ.get("INTERP_ECG_DATA", "/work/shared/data")) / "ptbxl"
    db = pd.read_csv(root / "ptbxl_database.csv", index_col=0)
    rows = []
    for ecg, rec in db.iterrows():
        if len({r["ecg"] for r in rows}) >= n:
            break
        if not (root / (rec.filename_hr + ".hea")).exists():
            continue
        sig, names = _load(root.parent, int(ecg))
        q = lead_quality(sig, 500.0, [normalise_lead_name(ld) for ld in names])
        lvh = "LVH" in ast.literal_eval(rec.scp_codes)
        for ld, ptp, ratio, flag in zip(q.index, q["band_ptp_mV"], q["scale_ratio"], q["scale"]):
            rows.append(dict(ecg=int(ecg), lvh=lvh, lead=ld, ptp=ptp, ratio=ratio, flag=bool(flag)))
    d = pd.DataFrame(rows)
    print(f"scale scan: {d.ecg.nunique()} PTB-XL records, {d[d.lvh].ecg.nunique()} with an LVH statement")
    for lvh, g in d.groupby("lvh"):
        print(f"  LVH {lvh}: ratio max {g.ratio.max():.2f}, 99.9th pct {g.ratio.quantile(0.999):.2f}; "
              f"robust peak-to-peak max {g.ptp.max():.2f} mV; flagged leads {int(g.flag.sum())}")
    print("  flagged as recorded:", d[d.flag][["ecg", "lead", "ptp", "ratio"]].round(2).values.tolist())
    for k in (2, 3, 5, 10):
        c = (k * d.ratio > SCALE_RATIO_MAX) & (k * d.ptp > SCALE_MIN_PTP_MV)
        print(f"  one lead x{k}: caught in {c.mean():.3f} of leads (V5 {c[d.lead == 'V5'].mean():.3f})")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--records", type=lambda s: [int(v) for v in s.split(",")], default=[1, 9, 20])
    p.add_argument("--wander", nargs="*", default=["0.3:0.3", "0.5:0.3", "0.1:1.0", "0.2:0.5"])
    p.add_argument("--base", help="folder holding an earlier interp_ecg (git archive), the reference")
    p.add_argument("--clean", type=int, default=0)
    p.add_argument("--scale", action="store_true")
    p.add_argument("--scale-scan", type=int, default=0)
    p.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.json:
        print(json.dumps(measure(args)))
        return
    if args.scale_scan:
        scale_scan(args.scale_scan)
    new = measure(args)
    base = None
    if args.base:
        cmd = [sys.executable, __file__, "--json", "--records", ",".join(map(str, args.records)),
               "--clean", str(args.clean), "--wander", *args.wander] + (["--scale"] if args.scale else [])
        env = dict(os.environ, PYTHONPATH=args.base)
        base = json.loads(subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout)
    print("wander: max |change| over 12 leads (mV) [leads newly NaN]   this tree | base")
    for key, row in new["wander"].items():
        b = base["wander"][key] if base else {}
        cells = [f"{m[:4]} {row[m]:.3f} [{row[m + '_nan']}] | {b.get(m, float('nan')):.3f}" for m in MEASURES]
        print(f"  {key:14s} " + "   ".join(cells))
    if args.clean and base:
        print(f"clean records (first {args.clean}, as recorded): this tree vs base, |change| over leads")
        ids = sorted(set(new["clean"]) & set(base["clean"]), key=int)
        for m in (*MEASURES, "R_amp_mV"):
            d = np.array([new["clean"][i][f"{m}_{ld}"] - base["clean"][i][f"{m}_{ld}"] for i in ids for ld in LEADS])
            nan_new = int(np.sum(np.isnan(d) & ~np.isnan([base["clean"][i][f"{m}_{ld}"] for i in ids for ld in LEADS])))
            d = np.abs(d[np.isfinite(d)])
            print(f"  {m:12s} records {len(ids)} leads {d.size}: median {np.median(d):.4f} 95th pct "
                  f"{np.quantile(d, 0.95):.4f} max {d.max():.4f}; share > 0.02 mV {np.mean(d > 0.02):.3f}; "
                  f"newly NaN {nan_new}")
        print("  records with a lead named for unfollowed wander or scale:",
              sum(1 for i in ids if new["clean"][i]["wander"] != base["clean"][i]["wander"]),
              "|", sum(1 for i in ids if new["clean"][i]["scale"] not in ("", "n/a")))
    if args.scale:
        print("PTB-XL 9, V5 x k: R V5, Sokolow-Lyon, quality_scale_leads (this tree | base)")
        for k, row in new["scale"].items():
            b = base["scale"][k] if base else {}
            print(f"  x{k:<3} R_V5 {row['R_amp_mV_V5']:.3f} Sokolow {row['Sokolow_Lyon_mV']:.3f} scale '{row['scale']}'"
                  f" | R_V5 {b.get('R_amp_mV_V5', float('nan')):.3f} Sokolow {b.get('Sokolow_Lyon_mV', float('nan')):.3f}")


if __name__ == "__main__":
    main()
