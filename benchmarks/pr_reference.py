"""PR interval against simulated truth and LUDB's cardiologists: the package's
``PR_interval_ms`` beside the consensus PR of the beat-by-beat fiducials, in the same run.

On the branch that started PR at the earliest agreeing lead's P onset (b1b2d76, reverted in
04aa754) the two columns differed; since the revert ``PR_interval_ms`` starts at the
consensus P onset again and the two columns differ only where the record-level median beat
(frequent PVCs) or the dominant-beat selection makes them differ.

* Simulated (noise-free and with noise): ``PR_interval_ms`` of
  :func:`~interp_ecg.features.extract_record` minus the simulator's truth (earliest P onset
  over the leads to the earliest QRS onset).
* LUDB: against the cardiologists' PR (per beat, the earliest P-onset mark over the twelve
  leads to the earliest QRS-onset mark; median over beats), for ``PR_interval_ms`` and for the
  consensus PR (global QRS onset minus global P onset of
  :func:`~interp_ecg.features.measured_fiducials`, median over all beats), split into odd and
  even record numbers.

Printed: median, mean, MAE of the differences (ms) for each, and the ratio of the MAEs.

Usage::

    python benchmarks/pr_reference.py                 # simulated + all LUDB (~10 min on 2 busy cores)
    python benchmarks/pr_reference.py --ludb 40       # the first 40 LUDB records
"""

from __future__ import annotations

import argparse
import logging
import os
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import wfdb  # noqa: E402

from interp_ecg import io  # noqa: E402
from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features import extract_record, measured_fiducials  # noqa: E402
from interp_ecg.simulate.record import simulate_record  # noqa: E402

LUDB_LEADS = ("i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6")
CONDITIONS = ("normal", "1avb", "lbbb", "rbbb", "lvh", "stach", "sbrad")


def summary(name: str, d: np.ndarray) -> str:
    d = d[np.isfinite(d)]
    return f"{name}: n {d.size}, median {np.median(d):+.1f}, mean {d.mean():+.1f}, MAE {np.abs(d).mean():.1f} ms"


def cardiologists_pr(path: str) -> float:
    """Median over beats of the earliest QRS-onset mark minus the earliest P-onset mark (ms at 500 Hz)."""
    onsets: dict[str, list[tuple[int, int]]] = {"p": [], "N": []}
    for lead in LUDB_LEADS:
        ann = wfdb.rdann(path, lead)
        s, y = np.asarray(ann.sample), np.asarray(ann.symbol)
        for k in range(1, len(y)):
            if y[k] in onsets and y[k - 1] == "(":
                onsets[y[k]].append((int(s[k - 1]), int(s[k])))
    beats: list[list[int]] = []
    for on, peak in sorted(onsets["N"], key=lambda x: x[1]):
        if beats and peak - beats[-1][1] <= 50:  # the same QRS marked in another lead
            beats[-1][0] = min(beats[-1][0], on)
        else:
            beats.append([on, peak])
    p = np.array([on for on, _ in onsets["p"]])
    prs = [(q - p[(p < q) & (p > q - 250)].min()) * 2.0 for q, _ in beats
           if p.size and ((p < q) & (p > q - 250)).any()]
    return float(np.median(prs)) if prs else np.nan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ludb", type=int, default=200, help="first N LUDB records")
    ap.add_argument("--seeds", type=int, default=3, help="simulated seeds per condition")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    for noise in (0.0, 0.3):
        d, d_cons = [], []
        for c in CONDITIONS:
            for seed in range(args.seeds):
                sig, _, info = simulate_record(c, fs=500, noise=noise, random_state=seed)
                d.append(extract_record(sig, fs=500)["PR_interval_ms"] - info["pr_ms"])
                g = measured_fiducials(sig, fs=500)
                g = g[g["lead"] == "global"]
                d_cons.append(float(np.nanmedian((g["QRS_on"] - g["P_on"]).to_numpy(dtype=float))) * 2.0
                              - info["pr_ms"])
        print(f"simulated noise {noise:g}: {summary('PR_interval_ms - truth', np.array(d))} | "
              f"{summary('consensus-P-onset PR - truth', np.array(d_cons))}")
    ds = io.read_ludb(dataset_path("ludb"))
    rows = []
    for key in list(ds.meta.index)[: args.ludb]:
        rid = int(str(key).split("/")[-1])
        rec = ds.subset([key])[0]
        ref = cardiologists_pr(str(dataset_path("ludb") / "data" / str(rid)))
        pr = extract_record(rec)["PR_interval_ms"]
        fid = measured_fiducials(rec)
        g = fid[fid["lead"] == "global"]
        cons = float(np.nanmedian((g["QRS_on"] - g["P_on"]).to_numpy(dtype=float))) * 1000.0 / rec.fs \
            if g["P_on"].notna().any() else np.nan
        rows.append((rid, ref, pr, cons))
    r = np.array(rows, dtype=float)
    for part, sel in (("odd", r[:, 0] % 2 == 1), ("even", r[:, 0] % 2 == 0), ("all", r[:, 0] > 0)):
        x = r[sel & np.isfinite(r[:, 1]) & np.isfinite(r[:, 2]) & np.isfinite(r[:, 3])]
        new, old = x[:, 2] - x[:, 1], x[:, 3] - x[:, 1]
        print(f"LUDB {part}: {summary('PR_interval_ms - cardiologists', new)} | "
              f"{summary('consensus-P-onset PR - cardiologists', old)} | MAE ratio "
              f"{np.abs(new).mean() / np.abs(old).mean():.2f}")


if __name__ == "__main__":
    main()
