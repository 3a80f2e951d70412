"""QRS onset against exact truth after short PR segments (simulated two-lead records).

Each record: beats every second, an 80 ms P wave of +0.15 mV (or -0.1 mV) ending
``PR segment`` ms before the QRS onset, a QRS of a given shape (plain upstroke, an initial q
wave with a flat or a rounded tip, a slurred start), a T wave, two leads (a copy at 0.8 x)
and white noise. The exact onset is the first knot of the QRS. For each cell (sampling
rate x PR segment x P polarity x shape x noise) the script prints the median and the
extreme error (ms) of the per-lead and global QRS onsets, and the share of beats whose
onset lies before the P wave's end (inside the P wave).

Run: ``PYTHONPATH=$PWD python benchmarks/qrs_onset_short_pr.py [--param NAME=VALUE ...]
[--base PATH]`` (``--base`` imports another copy of ``interp_ecg`` from PATH, in a second
process, for before / after figures in one run).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np

PRS_MS = (0, 4, 8, 12, 16, 24, 40)
RATES = (250, 500)
NOISES = (0.005, 0.02)
SHAPES = ("plain", "q", "rounded_q", "slur")
P_AMPS = (0.15, -0.1)


def build(fs: float, kind: str, pr_segment: float, p_amp: float, noise: float, seed: int,
          n_beats: int = 10):
    """Two-lead record and its exact QRS onsets (s); shapes as tests/test_delineation_qrs_onset."""
    shapes = {
        "q": ([0, 0.016, 0.024, 0.050, 0.075, 0.095], [0, -0.12, -0.12, 1.2, -0.2, 0]),
        "slur": ([0, 0.030, 0.055, 0.080, 0.100], [0, 0.12, 1.2, -0.2, 0]),
        "plain": ([0, 0.025, 0.050, 0.070], [0, 1.2, -0.2, 0]),
    }
    n = int(round((n_beats + 1) * fs))
    t = np.arange(n) / fs
    x = np.zeros(n)
    onsets = np.arange(n_beats) + 0.6
    for o in onsets:
        p0 = o - pr_segment - 0.08
        m = (t >= p0) & (t < p0 + 0.08)
        x[m] += p_amp * np.sin(np.pi * (t[m] - p0) / 0.08)
        if kind == "rounded_q":
            u = t - o
            y = np.zeros_like(u)
            mm = (u >= 0) & (u < 0.016)
            y[mm] = -0.06 * (1 - np.cos(np.pi * u[mm] / 0.016))
            mm = (u >= 0.016) & (u < 0.041)
            y[mm] = -0.12 + 0.66 * (1 - np.cos(np.pi * (u[mm] - 0.016) / 0.025))
            mm = (u >= 0.041) & (u < 0.061)
            y[mm] = 1.2 - 1.4 * (u[mm] - 0.041) / 0.02
            mm = (u >= 0.061) & (u < 0.081)
            y[mm] = -0.2 + 0.2 * (u[mm] - 0.061) / 0.02
            x += y
        else:
            knots, vals = shapes[kind]
            m = (t >= o) & (t <= o + knots[-1])
            x[m] += np.interp(t[m] - o, knots, vals)
        m = (t >= o + 0.25) & (t < o + 0.41)
        x[m] += 0.3 * np.sin(np.pi * (t[m] - (o + 0.25)) / 0.16)
    rng = np.random.default_rng(seed)
    sig = np.stack([x, 0.8 * x]) + noise * rng.standard_normal((2, n))
    return sig.astype(np.float32), onsets


def run_cells(params: dict) -> list[dict]:
    from interp_ecg.features.delineation import delineate
    from interp_ecg.features.delineation.params import Params

    p = Params(**params)
    rows = []
    for fs in RATES:
        for pr in PRS_MS:
            for pa in P_AMPS:
                for kind in SHAPES:
                    for nz in NOISES:
                        errs = {"II": [], "V5": [], "global": []}
                        inside = {"II": 0, "V5": 0, "global": 0}
                        for seed in range(2):
                            x, ons = build(fs, kind, pr / 1000.0, pa, nz, seed)
                            df = delineate(x, fs, ["II", "V5"], params=p)
                            for lead in errs:
                                q = df.loc[df.lead == lead, "QRS_on"].to_numpy(float)
                                q = q[np.isfinite(q)]
                                for v in ons:
                                    if q.size == 0:
                                        errs[lead].append(np.nan)
                                        continue
                                    j = np.argmin(np.abs(q - v * fs))
                                    e = (q[j] - v * fs) * 1000.0 / fs
                                    errs[lead].append(e if abs(e) <= 150 else np.nan)
                                    if q[j] < (v - pr / 1000.0) * fs - 1e-9:
                                        inside[lead] += 1
                        for lead, e in errs.items():
                            e = np.asarray(e, float)
                            rows.append({"fs": fs, "pr": pr, "p_amp": pa, "shape": kind,
                                         "noise": nz, "lead": lead,
                                         "median": float(np.nanmedian(e)),
                                         "min": float(np.nanmin(e)), "max": float(np.nanmax(e)),
                                         "mae": float(np.nanmean(np.abs(e))),
                                         "in_p": inside[lead] / e.size,
                                         "missing": int(np.isnan(e).sum())})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--param", action="append", default=[], help="Params field NAME=VALUE")
    ap.add_argument("--base", default=None, help="path holding another interp_ecg (before)")
    ap.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    params = {}
    for kv in args.param:
        k, v = kv.split("=", 1)
        params[k] = json.loads(v)
    rows = run_cells(params)
    if args.json:
        sys.stdout.write(json.dumps(rows))
        return
    base = None
    if args.base:
        env = dict(os.environ, PYTHONPATH=args.base)
        out = subprocess.run([sys.executable, __file__, "--json"], env=env, check=True,
                             capture_output=True, text=True).stdout
        base = json.loads(out)
    import pandas as pd

    df = pd.DataFrame(rows)
    key = ["fs", "pr", "p_amp", "shape", "noise", "lead"]
    if base is not None:
        df = df.merge(pd.DataFrame(base), on=key, how="left", suffixes=("", "_base"))
    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 2000)
    # summary per PR segment and rate: worst median error over shapes, P polarity, noise, lead
    g = df.groupby(["fs", "pr"])
    summ = pd.DataFrame({"worst_median_ms": g["median"].apply(lambda s: s.loc[s.abs().idxmax()]),
                         "mae_ms": g["mae"].mean(), "share_in_P": g["in_p"].mean()})
    if base is not None:
        summ["worst_median_base"] = g["median_base"].apply(lambda s: s.loc[s.abs().idxmax()])
        summ["mae_base"] = g["mae_base"].mean()
        summ["share_in_P_base"] = g["in_p_base"].mean()
    print(summ.round(2).to_string())
    print()
    # mean |error| per P polarity and QRS shape, short (0-8 ms) and longer PR segments
    for name, sel in (("PR segment 0-8 ms", df.pr <= 8), ("PR segment 12-40 ms", df.pr >= 12)):
        cols = ["mae", "in_p"] + (["mae_base", "in_p_base"] if base is not None else [])
        print(f"mean |error| (ms) and share inside the P wave, {name}:")
        print(df[sel].groupby(["fs", "p_amp", "shape"])[cols].mean().round(2).to_string())
        print()
    cols = [c for c in df.columns if c not in key]
    out = df[key + cols].round(1)
    out["noise"] = (df["noise"] * 1000).round().astype(int)      # uV
    print(out.rename(columns={"noise": "noise_uV"}).to_string(index=False))


if __name__ == "__main__":
    main()
