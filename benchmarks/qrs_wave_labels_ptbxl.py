"""Q/R/S wave labelling on the shared PTB-XL records: the counts of user finding 1.

Prints, for the records of the finding (PTB-XL ids 1-80 and every LVH/VCLVH record):

- the records whose V1 (V2) has ``S_amp_mV == 0`` with ``Q_amp_mV < -0.3`` (the deep S wave
  of an rS/QS complex stored as Q), and
- the LVH/VCLVH records meeting the Sokolow-Lyon criterion (>= 3.5 mV);

and, over every local record (``--all``), the lead cells whose R (S) amplitude equals the
J point (|R - J| < 0.01 mV with J >= 0.05 mV; |S - J| < 0.01 mV with J <= -0.05 mV): an R or
S wave read on the ST segment at the QRS offset. No reference exists in the same run: the
"before" figures come from running the same script on the package before the fix, e.g.::

    git archive 2be8151 interp_ecg | tar -x -C /tmp/base
    PYTHONPATH=/tmp/base python benchmarks/qrs_wave_labels_ptbxl.py --all
    PYTHONPATH=$PWD python benchmarks/qrs_wave_labels_ptbxl.py --all

Options: ``--fs 100`` for the 100 Hz records; ``--save FILE`` keeps the feature table
(Parquet). About 15 s (118 records) or 60 s (500 records) on one core.
"""

from __future__ import annotations

import argparse
import logging
import os

from interp_ecg import features, io

LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fs", type=int, default=500, choices=(100, 500))
    ap.add_argument("--all", action="store_true", help="also measure every local record")
    ap.add_argument("--save", default=None, help="Parquet file for the feature table")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    root = os.path.join(os.environ.get("INTERP_ECG_DATA", "/work/shared/data"), "ptbxl")
    ds = io.read_ptbxl(root, sampling_rate=args.fs)
    lab = ds.labels
    lvh = [i for i in lab.index if any(lab.loc[i, c] for c in ("LVH", "VCLVH") if c in lab.columns)]
    ids = sorted({i for i in ds.meta.index if 1 <= int(i) <= 80} | set(lvh))
    table = features.extract(ds if args.all else ds.subset(ids), n_jobs=1)
    if args.save:
        table.to_parquet(args.save)
    t = table.loc[[i for i in ids if i in table.index]]
    print(f"PTB-XL {args.fs} Hz, ids 1-80 + LVH/VCLVH: {len(t)} records ({len(lvh)} LVH/VCLVH)")
    for lead in ("V1", "V2"):
        bad = t.index[(t[f"S_amp_mV_{lead}"] == 0) & (t[f"Q_amp_mV_{lead}"] < -0.3)]
        print(f"  {lead}: S == 0 and Q < -0.3 mV in {len(bad)} records {list(bad)}")
    sl = t.loc[[i for i in lvh if i in t.index], "Sokolow_Lyon_mV"]
    print(f"  LVH/VCLVH records with Sokolow-Lyon >= 3.5 mV: {int((sl >= 3.5).sum())} of {int(sl.notna().sum())}")
    if args.all:
        r_j = s_j = 0
        for lead in LEADS:
            r, s, j = (table[f"{m}_amp_mV_{lead}"] for m in ("R", "S", "J"))
            r_j += int((((r - j).abs() < 0.01) & (j >= 0.05)).sum())
            s_j += int((((s - j).abs() < 0.01) & (j <= -0.05)).sum())
        qs = {lead: int(((table[f"S_amp_mV_{lead}"] == 0) & (table[f"Q_amp_mV_{lead}"] < -0.3)).sum())
              for lead in ("V1", "V2")}
        print(f"All {len(table)} records: lead cells with R at the J point {r_j}, S at the J point {s_j}; "
              f"S == 0 and Q < -0.3 mV: {qs}; Sokolow-Lyon >= 3.5 mV: "
              f"{int((table['Sokolow_Lyon_mV'] >= 3.5).sum())}")


if __name__ == "__main__":
    main()
