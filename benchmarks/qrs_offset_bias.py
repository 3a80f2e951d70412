"""Per-record offsets of the QRS offset on the II + V5 proxy, per lead (issue 10).

For every LUDB record of the chosen half (odd = training, default; ``--even`` = held out),
with leads II and V5 at each rate of ``--rates`` (250 Hz: resampled from LUDB's 500 Hz, the
proxy; 500 Hz: LUDB as recorded), the script delineates the record and prints

* per lead, the median and mean signed error (ms) of that lead's QRS offsets against the
  same lead's LUDB marks (each mark matched to the nearest offset within 150 ms);
* the best-lead error of the proxy (each beat scored against lead II's mark with the
  closer of the two leads' offsets, as ``benchmarks/delineation_matrix.py --proxy``);
* LUDB's own disagreement: the median of (II mark - V5 mark) over the beats marked in both;

then how the error's variance splits into **per-record bias** (the variance of the
per-record means) and **beat-to-beat scatter** (the pooled within-record variance), and,
with two rates, how far each record's median error moves between 250 and 500 Hz (a
sampling-rate or filter-delay bias would move the per-record medians together between
the rates). ``--sim`` adds exact truth: simulated normal complexes (``simulate_record``,
noise 0 and 0.5, several seeds) at each rate, per-lead QRS offset minus the true offset.

``--param NAME=VALUE`` changes a ``Params`` field. Nothing is fitted.

Run: ``PYTHONPATH=$PWD INTERP_ECG_DATA=/work/shared/data python benchmarks/qrs_offset_bias.py [--even] [--sim]``
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from delineation_matrix import _resample  # noqa: E402
from qrs_onset_offsets import match_errors  # noqa: E402

LEADS = ["II", "V5"]


def split_variance(errs: list[np.ndarray]) -> dict:
    """Mean, SD and the split of the variance into per-record bias and within-record scatter.

    ``errs`` holds one array of signed errors (ms) per record. Returns ``mean``, ``sd``
    (over all beats), ``sd_between`` (SD of the per-record means), ``sd_within`` (pooled
    within-record SD), ``share_between`` (variance of the beat errors explained by their
    record's mean: 1 - within sum of squares / total sum of squares), ``n_rec``, ``n``.
    """
    errs = [np.asarray(e, float)[np.isfinite(e)] for e in errs]
    errs = [e for e in errs if e.size]
    if not errs:
        return {"mean": np.nan, "sd": np.nan, "sd_between": np.nan, "sd_within": np.nan,
                "share_between": np.nan, "n_rec": 0, "n": 0}
    allv = np.concatenate(errs)
    means = np.array([e.mean() for e in errs])
    within = np.concatenate([e - e.mean() for e in errs])
    ss_tot = float(np.sum((allv - allv.mean()) ** 2))
    ss_in = float(np.sum(within ** 2))
    return {"mean": float(allv.mean()), "sd": float(allv.std(ddof=1)) if allv.size > 1 else 0.0,
            "sd_between": float(means.std(ddof=1)) if means.size > 1 else 0.0,
            "sd_within": float(np.sqrt(ss_in / max(allv.size - len(errs), 1))),
            "share_between": 1.0 - ss_in / ss_tot if ss_tot > 0 else np.nan,
            "n_rec": len(errs), "n": int(allv.size)}


def ludb_table(ds, recs, fs: int, params) -> pd.DataFrame:
    """One row per record: per-lead and best-lead QRS_off errors (ms) against LUDB's marks."""
    from interp_ecg.features.delineation import delineate

    pos = {r: i for i, r in enumerate(ds.meta.index)}
    idx = [list(ds.leads).index(ld) for ld in LEADS]
    scale = fs / float(ds.fs)
    ann = ds.annotations
    rows = []
    for r in recs:
        x = _resample(np.asarray(ds.signals[pos[r]], np.float32)[idx], fs)
        df = delineate(x, fs, LEADS, params=params)
        a = ann[(ann.record == r) & (ann.wave == "QRS")]
        marks = {ld: np.round(a.loc[a.lead == ld, "off"].to_numpy(float) * scale) for ld in LEADS}
        off = {ld: df.loc[df.lead == ld, "QRS_off"].to_numpy(float) for ld in LEADS}
        row = {"record": int(r), "paced": bool(str(ds.meta.loc[r, "pacing"]).strip())}
        for ld in LEADS:
            e = match_errors(off[ld], marks[ld], fs)
            row[f"{ld}_err"] = e
            row[f"{ld}_median"] = float(np.nanmedian(e)) if np.isfinite(e).any() else np.nan
        d = match_errors(marks["V5"], marks["II"], fs, 100.0)   # V5 mark - II mark
        row["II_minus_V5_marks"] = float(-np.nanmedian(d)) if np.isfinite(d).any() else np.nan
        e2 = np.stack([match_errors(off[ld], marks["II"], fs) for ld in LEADS])
        best = np.where(np.isnan(e2[1]) | (np.abs(e2[0]) <= np.abs(np.nan_to_num(e2[1], nan=np.inf))),
                        e2[0], e2[1])
        row["best_err"] = best
        row["best_median"] = float(np.nanmedian(best)) if np.isfinite(best).any() else np.nan
        rows.append(row)
    return pd.DataFrame(rows).set_index("record")


def sim_table(fs: int, seeds, noises, params) -> pd.DataFrame:
    """Per-lead QRS_off minus the exact offset (ms), simulated normal complexes, II + V5."""
    from interp_ecg.features.delineation import delineate
    from interp_ecg.simulate import simulate_record

    rows = []
    for sd in seeds:
        for nz in noises:
            s = simulate_record("normal", fs=fs, noise=nz, random_state=7000 + sd)
            names = list(s.info["leads"])
            x = np.asarray(s.signal, np.float32)[[names.index(ld) for ld in LEADS]]
            df = delineate(x, fs, LEADS, params=params)
            f = s.fiducials
            for ld in LEADS:
                tr = f.loc[(f["lead"].astype(str) == ld) & f["QRS_off"].notna(), "QRS_off"].to_numpy(float)
                ours = df.loc[df.lead == ld, "QRS_off"].to_numpy(float)
                e = match_errors(ours, tr, fs, 60.0)
                rows += [{"seed": sd, "noise": nz, "lead": ld, "err": v} for v in e if np.isfinite(v)]
    return pd.DataFrame(rows)


def _fmt(s: dict) -> str:
    return (f"mean {s['mean']:+5.1f}, SD {s['sd']:5.2f} ms = per-record bias SD {s['sd_between']:5.2f} "
            f"+ within-record SD {s['sd_within']:5.2f}; bias share of the variance "
            f"{s['share_between']:.2f} ({s['n_rec']} records, {s['n']} beats)")


def _fmt_short(s: dict) -> str:
    return f"SD {s['sd']:.1f} = bias {s['sd_between']:.1f} + within {s['sd_within']:.1f}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--even", action="store_true", help="held-out even records")
    ap.add_argument("--rates", default="250,500", help="rates of the II + V5 delineation")
    ap.add_argument("--sim", action="store_true", help="also simulated normal complexes (exact truth)")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--by-record", action="store_true", help="print every record")
    a = ap.parse_args(argv)
    from interp_ecg.config import dataset_path
    from interp_ecg.features.delineation.params import Params
    from interp_ecg.io import read_ludb

    p = Params(**{k: ast.literal_eval(v) for k, _, v in (s.partition("=") for s in a.param)})
    rates = [int(v) for v in a.rates.split(",") if v.strip()]
    t0 = time.perf_counter()
    ds = read_ludb(dataset_path("ludb"))
    recs = [r for r in ds.meta.index if int(r) % 2 == (0 if a.even else 1)]
    half = "even (held-out)" if a.even else "odd (training)"
    tabs = {}
    for fs in rates:
        t = ludb_table(ds, recs, fs, p)
        tabs[fs] = t
        print(f"== {half} records, {fs} Hz II + V5, QRS_off")
        for col, label in (("II_err", "lead II vs its own marks"), ("V5_err", "lead V5 vs its own marks"),
                           ("best_err", "best lead vs II marks")):
            print(f"  {label:26s}: {_fmt(split_variance(list(t[col])))}")
            print(f"  {label + ', no paced':26s}: {_fmt(split_variance(list(t.loc[~t.paced, col])))}")
        for ld in LEADS:
            m = t[f"{ld}_median"].dropna()
            print(f"  {ld} per-record median error: median {m.median():+.1f}, IQR "
                  f"{m.quantile(0.25):+.1f}..{m.quantile(0.75):+.1f}, records beyond +-10 ms: "
                  f"{int((m < -10).sum())} early / {int((m > 10).sum())} late of {m.size}")
        mk = t["II_minus_V5_marks"].dropna()
        print(f"  LUDB's II mark - V5 mark, per-record median: SD {mk.std(ddof=1):.1f} ms; "
              f"corr with (II median - V5 median) of ours "
              f"{np.corrcoef(mk, (t['II_median'] - t['V5_median']).loc[mk.index])[0, 1]:+.2f}")
        agree = t["II_minus_V5_marks"].abs() <= 8.0
        for name, sel in (("agree within 8 ms", agree), ("differ by > 8 ms", ~agree)):
            parts = [f"{ld} {_fmt_short(split_variance(list(t.loc[sel, ld + '_err'])))}" for ld in LEADS]
            parts.append(f"best {_fmt_short(split_variance(list(t.loc[sel, 'best_err'])))}")
            print(f"  records whose LUDB II and V5 marks {name} ({int(sel.sum())}): " + "; ".join(parts))
    if len(rates) >= 2:
        r0, r1 = rates[0], rates[1]
        print(f"== per-record median error, {r0} Hz minus {r1} Hz (same records, same marks)")
        for c in ("II_median", "V5_median", "best_median"):
            d = (tabs[r0][c] - tabs[r1][c]).dropna()
            print(f"  {c:12s}: mean {d.mean():+.2f}, SD {d.std(ddof=1):.2f} ms; corr of the per-record "
                  f"medians {np.corrcoef(tabs[r0][c].loc[d.index], tabs[r1][c].loc[d.index])[0, 1]:.3f}")
    if a.by_record:
        out = pd.concat({fs: t[["II_median", "V5_median", "best_median", "II_minus_V5_marks"]]
                         for fs, t in tabs.items()}, axis=1)
        out.insert(0, ("", "paced"), tabs[rates[0]]["paced"])
        pd.set_option("display.width", 220)
        pd.set_option("display.max_rows", 500)
        print("\nper record (ms; median signed error of each lead's offsets against its own marks):")
        print(out.round(1).to_string())
    if a.sim:
        for fs in rates:
            s = sim_table(fs, range(a.seeds), (0.0, 0.5), p)
            print(f"== simulated normal complexes, {fs} Hz II + V5, {a.seeds} seeds, QRS_off - truth (ms)")
            for (nz, ld), q in s.groupby(["noise", "lead"]):
                print(f"  noise {nz:.1f} {ld:3s}: median {q.err.median():+5.1f}, mean {q.err.mean():+5.1f}, "
                      f"SD {q.err.std(ddof=1):4.1f} (n {len(q)})")
    print(f"wall {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
