"""HRV on normal-to-normal intervals: what leaving out the premature beats changes on PTB-XL.

The shared PTB-XL records (500 Hz) are measured once with
:func:`interp_ecg.features.extract_beats`; from each record's consensus beat table (the RR
intervals between the beats' ``anchor_aligned`` points, ``RR_prev_ms``, and the
``dominant`` flags) two sets of HRV statistics are computed in the same run:

* **reference** (the package's definition before the fix): every interval between two
  dominant beats is an NN interval; SDNN needs 5 of them, RMSSD, pNN50 and
  RR_irregularity 5 intervals that have such a neighbour;
* **package**: :func:`interp_ecg.features.rhythm.rr_features` (premature beats shaped like
  the dominant ones and the intervals next to them left out, unless the rhythm is
  irregular; RMSSD and pNN50 need 5 successive differences).

Printed, for SDNN_ms, RMSSD_ms, pNN50 and RR_irregularity: records finite under each,
finite -> NaN, records changed by more than 10 % (by PTB-XL rhythm statement) and the
package / reference ratio among them; the AF/AFL records left unchanged; the records with
the largest RMSSD under each; and, separately, the records whose change comes from the
minimum count alone (no premature beat).

``--simulated`` adds (or, with ``--records 0``, prints only) simulated 10 s strips of the
package's RR processes (:mod:`interp_ecg.simulate.rhythm`, 300 seeds each): atrial
fibrillation at 60, 90 and 120 bpm and sinus rhythm with its respiratory and Mayer-wave
modulation at 50, 70 and 90 bpm; printed is how many strips have a beat premature by
the rule and how many have their NN set differ from every interval (the AF strips
whose figures change; the sinus strips that lose an interval).

Usage::

    python benchmarks/hrv_nn_ptbxl.py               # the 500 shared records (~2 min on one core)
    python benchmarks/hrv_nn_ptbxl.py --records 100
    python benchmarks/hrv_nn_ptbxl.py --records 0 --simulated   # simulated strips only (seconds)
"""

from __future__ import annotations

import argparse
import ast
import logging
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from interp_ecg import io  # noqa: E402
from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features import extract_beats  # noqa: E402
from interp_ecg.features.rhythm import (  # noqa: E402
    MIN_NN_INTERVALS,
    normal_to_normal,
    premature_beats,
    rr_features,
)

HRV = ("SDNN_ms", "RMSSD_ms", "pNN50", "RR_irregularity")


def reference_hrv(rr: np.ndarray, dominant: np.ndarray) -> dict[str, float]:
    """HRV over every interval between two dominant beats (the definition before the fix)."""
    out = dict.fromkeys(HRV, np.nan)
    nn_ok = dominant[:-1] & dominant[1:]
    pair = nn_ok[:-1] & nn_ok[1:]
    in_pair = np.zeros(nn_ok.size, bool)
    in_pair[:-1] |= pair
    in_pair[1:] |= pair
    if nn_ok.sum() < MIN_NN_INTERVALS:
        return out
    out["SDNN_ms"] = float(np.std(rr[nn_ok], ddof=1))
    if in_pair.sum() < MIN_NN_INTERVALS:
        return out
    d = np.diff(rr)[pair]
    out["RMSSD_ms"] = float(np.sqrt(np.mean(d**2)))
    out["pNN50"] = float(100 * np.mean(np.abs(d) > 50))
    out["RR_irregularity"] = out["RMSSD_ms"] / float(rr[nn_ok].mean())
    return out


def same(a: pd.Series, b: pd.Series) -> pd.Series:
    """Equal to rounding (the package sums the intervals back into beat times), or both NaN."""
    return pd.Series(np.isclose(a, b, rtol=1e-9, atol=1e-9) | (a.isna() & b.isna()), index=a.index)


def rhythm_group(codes: set[str]) -> str:
    for name, group in (("AFIB/AFLT", {"AFIB", "AFLT"}), ("PAC/SVPB", {"PAC", "SVPB"}), ("PVC", {"PVC"}),
                        ("SARRH", {"SARRH"})):
        if codes & group:
            return name
    return "other"


def simulated(n_seeds: int = 300) -> None:
    """Simulated AF and sinus strips: how often the NN set differs from every interval."""
    from interp_ecg.simulate.rhythm import af_times, sinus_times

    for name, times, rates in (("atrial fibrillation", af_times, (60, 90, 120)),
                               ("sinus rhythm", sinus_times, (50, 70, 90))):
        for hr in rates:
            short = differs = 0
            for seed in range(n_seeds):
                t = times(float(hr), 10.0, np.random.default_rng(seed))
                rr = np.diff(t[(t >= 0) & (t <= 10)]) * 1000.0
                dom = np.ones(rr.size + 1, bool)
                short += bool(premature_beats(rr).any())
                differs += not normal_to_normal(rr, dom)[0].all()
            print(f"simulated {name} {hr} bpm ({n_seeds} strips of 10 s): a beat premature by the rule (premature_beats) "
                  f"in {short}, NN set differs from every interval in {differs} "
                  f"({differs / n_seeds:.1%})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=500, help="first N ecg_ids (default 500; 0: none)")
    ap.add_argument("--simulated", action="store_true", help="also the simulated AF and sinus strips")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if args.simulated:
        simulated()
    if args.records <= 0:
        return
    ds = io.read_ptbxl(dataset_path("ptbxl"), sampling_rate=500)
    ds = ds.subset(list(ds.meta.index[: args.records]))
    codes = ds.meta["scp_codes"].map(lambda s: set(ast.literal_eval(s)))
    codes.index = codes.index.astype(str)
    t0 = time.perf_counter()
    beats = extract_beats(ds)
    print(f"beat tables of {beats['record_id'].nunique()} records in {time.perf_counter() - t0:.0f} s")
    g = beats[(beats["lead"] == "global") & (beats["beat_label"] != "")].sort_values(["record_id", "beat"])
    rows = []
    for rid, b in g.groupby("record_id", sort=False):
        rr = b["RR_prev_ms"].to_numpy(float)[1:]
        dom = b["dominant"].to_numpy(bool)
        if rr.size == 0 or not np.isfinite(rr).all():
            continue
        anchors = np.r_[0.0, np.cumsum(rr)]  # ms, i.e. samples at 1000 Hz
        pkg = rr_features(anchors, 1000.0, dom)
        ref = reference_hrv(rr, dom)
        _, prem, regular = normal_to_normal(rr, dom)
        row = {"record_id": rid, "group": rhythm_group(codes.loc[str(rid)]), "n_premature": int(prem.sum()),
               "irregular": not regular}
        for c in HRV:
            row[c + "_ref"], row[c + "_pkg"] = ref[c], pkg[c]
        rows.append(row)
    df = pd.DataFrame(rows).set_index("record_id")
    print(f"{len(df)} records; premature beats left out in {int((df.n_premature > 0).sum())}, "
          f"irregular rhythm (nothing premature) with a short interval in {int(df.irregular.sum())}")
    for c in HRV:
        r, p = df[c + "_ref"], df[c + "_pkg"]
        both = r.notna() & p.notna()
        changed = both & ((p - r).abs() > 0.1 * r.abs())
        line = (f"{c}: finite reference {int(r.notna().sum())}, package {int(p.notna().sum())} "
                f"(ratio {p.notna().sum() / max(r.notna().sum(), 1):.3f}); finite -> NaN {int((r.notna() & p.isna()).sum())}; "
                f"identical {int(same(p, r).sum())}; changed > 10 % {int(changed.sum())} "
                f"{df[changed].group.value_counts().to_dict()}")
        if changed.any():
            q = (p[changed] / r[changed]).quantile([0, 0.25, 0.5, 0.75, 1]).round(2).tolist()
            line += f"; package / reference among them min, quartiles, max {q}"
        print(line)
        min_only = r.notna() & p.isna() & (df.n_premature == 0)
        if min_only.any():
            print(f"   NaN from the minimum count alone (no premature beat): {list(min_only.index[min_only])}")
    af = df[df.group == "AFIB/AFLT"]
    for c in HRV:
        eq = same(af[c + "_pkg"], af[c + "_ref"])
        print(f"AF/AFL {c}: unchanged in {int(eq.sum())} of {len(af)}; changed {list(af.index[~eq])}")
    non_af = df.group != "AFIB/AFLT"
    for thr in (100, 200):
        print(f"non-AF records with RMSSD > {thr} ms: reference {int((df.RMSSD_ms_ref[non_af] > thr).sum())}, "
              f"package {int((df.RMSSD_ms_pkg[non_af] > thr).sum())}")
    for key in ("ref", "pkg"):
        top = df[f"RMSSD_ms_{key}"].nlargest(8)
        print(f"largest RMSSD ({key}): " + ", ".join(f"{i} {df.group[i]} {v:.0f}" for i, v in top.items()))
    cols = ["group", "n_premature", "SDNN_ms_ref", "SDNN_ms_pkg", "RMSSD_ms_ref", "RMSSD_ms_pkg", "pNN50_ref",
            "pNN50_pkg"]
    changed_any = ~(same(df.SDNN_ms_pkg, df.SDNN_ms_ref) & same(df.RMSSD_ms_pkg, df.RMSSD_ms_ref))
    print("records whose SDNN or RMSSD changed:")
    with pd.option_context("display.width", 200):
        print(df.loc[changed_any, cols].round(1).to_string())


if __name__ == "__main__":
    main()
