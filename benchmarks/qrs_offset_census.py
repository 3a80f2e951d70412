"""Where the best-lead QRS_off error of the 250 Hz two-lead LUDB proxy comes from (issue 10).

For every LUDB QRS offset mark of the first lead (the best-lead protocol of
``benchmarks/delineation_matrix.py --proxy``: for each mark the lead whose offset lies
closest, within 150 ms) the script prints:

* the error split into per-record offsets and within-record scatter (as the matrix does);
* the **gross errors** (more than 25 ms from the median error): how many are a jump of the
  cardiologists' mark within its record (the mark, measured from our R peak, lies more
  than 16 ms from the record's median mark while our offset of the first lead lies within
  8 ms of its own record median), and in how many the same beat's mark in the *second*
  lead lies at least 16 ms from the first lead's mark on the side of our error;
* the records whose mean error exceeds 10 ms, and how often the second lead's mark lies
  more than 8 ms on our side of the first lead's mark;
* the scatter of LUDB's own marks between the two leads of the same beat (per-record and
  within-record SD), beside the same figure for our two leads' offsets;
* each lead's offsets against that lead's **own** marks (nearest offset within the 40 ms
  tolerance of the per-lead score): mean, SD, per-record / within-record split and the gross
  errors (> 25 ms from the lead's median error) -- the per-lead row must be the lead's own
  boundary, so a change is judged here and not only on the best-of-two choice.

With ``--consensus`` it also prints the census of the **global** (consensus) QRS offset
against the two-lead reference (the later of LUDB's two marks of a beat, what the consensus
measures; ``delineation_matrix.two_lead_reference``): for every beat where the consensus error
exceeds the best lead's by more than 10 ms, which lead set the global end (the later of the
leads' own offsets, before the two-lead pull), what the other lead said, whether the terminal-S
notch rule moved the setting lead's offset, both leads' complex SNR and the gap to the lead's
T onset (``--consensus-beats`` lists them one by one).

Nothing is fitted. Usage::

    python benchmarks/qrs_offset_census.py --odd          # training records
    python benchmarks/qrs_offset_census.py                # held-out even records
    python benchmarks/qrs_offset_census.py --odd --param qrs_sret_max_leads=0
    python benchmarks/qrs_offset_census.py --odd --param w_qrs_off=1.0   # no shrinkage
    python benchmarks/qrs_offset_census.py --odd --consensus --consensus-beats
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from delineation_matrix import _resample, parse_params, two_lead_reference  # noqa: E402

from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features.delineation import delineate  # noqa: E402
from interp_ecg.features.delineation.scoring import reference_marks  # noqa: E402


def beat_table(ds, recs, fs: int, leads: list, params, own_rows: list | None = None) -> pd.DataFrame:
    """One row per first-lead QRS_off mark: marks, our offsets, best-lead error (ms).

    With ``own_rows`` (a list), one dict per mark of *every* lead is appended to it: the
    record, the lead and the error (ms) of that lead's nearest offset against its own mark.
    """
    pos = {r: i for i, r in enumerate(ds.meta.index)}
    all_leads = list(ds.leads)
    rows = []
    for r in recs:
        x = _resample(np.asarray(ds.signals[pos[r]], np.float32)[[all_leads.index(ld) for ld in leads]], fs)
        df = delineate(x, fs, leads, params=params)
        refs = reference_marks(ds.annotations[ds.annotations["record"] == r], fs / float(ds.fs))
        if own_rows is not None:
            for ld in leads:
                if ld not in refs:
                    continue
                d = df.loc[df["lead"] == ld, "QRS_off"].to_numpy(float)
                d = d[np.isfinite(d)]
                for m in refs[ld]["QRS_off"][np.isfinite(refs[ld]["QRS_off"])]:
                    e = (d[np.argmin(np.abs(d - m))] - m) * 1000.0 / fs if d.size else np.nan
                    own_rows.append({"rec": int(r), "lead": ld, "err_ms": e})
        if leads[0] not in refs:
            continue
        ref = refs[leads[0]]["QRS_off"]
        ref2 = refs.get(leads[1], {}).get("QRS_off", np.array([])) if len(leads) > 1 else np.array([])
        ref2 = ref2[np.isfinite(ref2)]
        det = {ld: df.loc[df["lead"] == ld, "QRS_off"].to_numpy(float) for ld in leads}
        rp = df.loc[df["lead"] == leads[0], "R_peak"].to_numpy(float)
        rp = rp[np.isfinite(rp)]
        for m in ref[np.isfinite(ref)]:
            row = {"rec": int(r), "mark": m}
            best = np.inf
            for ld in leads:
                d = det[ld][np.isfinite(det[ld])]
                v = d[np.argmin(np.abs(d - m))] if d.size else np.nan
                row[ld] = v
                if np.isfinite(v) and abs(v - m) < best:
                    best, row["err_ms"] = abs(v - m), (v - m) * 1000.0 / fs
            if not best <= 0.15 * fs:
                row["err_ms"] = np.nan
            row["R"] = rp[np.argmin(np.abs(rp - m))] if rp.size else np.nan
            near = ref2[np.abs(ref2 - m) <= 0.1 * fs] if ref2.size else ref2
            row["mark2"] = near[np.argmin(np.abs(near - m))] if near.size else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def census(t: pd.DataFrame, fs: int, leads: list) -> str:
    t = t[t["err_ms"].notna()].copy()
    ms = 1000.0 / fs
    g = t.groupby("rec")
    means = g["err_ms"].mean()
    within = t["err_ms"] - g["err_ms"].transform("mean")
    out = [f"{len(t)} beats, {t.rec.nunique()} records: best-lead QRS_off mean {t.err_ms.mean():+.1f}, "
           f"SD {t.err_ms.std():.1f} ms = per-record offsets SD {means.std():.1f} + "
           f"within-record SD {within.std():.1f}"]
    t["mk"] = (t["mark"] - t["R"]) * ms
    t["own"] = (t[leads[0]] - t["R"]) * ms
    t["mk_dev"] = t["mk"] - t.groupby("rec")["mk"].transform("median")
    t["own_dev"] = t["own"] - t.groupby("rec")["own"].transform("median")
    t["m2"] = (t["mark2"] - t["mark"]) * ms
    gross = t[(t["err_ms"] - t["err_ms"].median()).abs() > 25]
    jump = (gross["mk_dev"].abs() > 16) & (gross["own_dev"].abs() <= 8)
    side = (np.sign(gross["m2"]) == np.sign(gross["err_ms"])) & (gross["m2"].abs() >= 16)
    out.append(f"gross errors (> 25 ms from the median): {len(gross)} ({len(gross) / len(t):.1%}); "
               f"mark jumps within the record (our {leads[0]} offset steady): {int(jump.sum())}; "
               f"our {leads[0]} offset > 8 ms from its record median: {int((gross['own_dev'].abs() > 8).sum())}")
    if len(leads) > 1:
        out.append(f"  ... in {int(side.sum())} of {len(gross)} the {leads[1]} mark of the same beat lies "
                   f">= 16 ms from the {leads[0]} mark on the side of our error")
    out.append("  gross beats (record:mark ms error): " + ", ".join(
        f"{r}:{int(round(m * ms))} {e:+.0f}" for r, m, e in zip(gross.rec, gross["mark"], gross.err_ms)))
    rm = t.groupby("rec").agg(mean=("err_ms", "mean"), m2=("m2", "median"))
    big = rm[rm["mean"].abs() > 10]
    line = (f"records with |mean error| > 10 ms: {len(big)} (ours early {int((big['mean'] < 0).sum())}, "
            f"late {int((big['mean'] > 0).sum())}): "
            + ", ".join(f"{r} {v:+.0f}" for r, v in big["mean"].sort_values().items()))
    out.append(line)
    if len(leads) > 1:
        same = (np.sign(big["m2"]) == np.sign(big["mean"])) & (big["m2"].abs() > 8)
        out.append(f"  ... the {leads[1]} mark lies > 8 ms from the {leads[0]} mark on our side in "
                   f"{int(same.sum())} of them")
        d = t["m2"].dropna()
        w = d - d.groupby(t.loc[d.index, "rec"]).transform("mean")
        o = ((t[leads[1]] - t[leads[0]]) * ms).dropna()
        wo = o - o.groupby(t.loc[o.index, "rec"]).transform("mean")
        out.append(f"LUDB's {leads[1]} mark minus its {leads[0]} mark, same beat: mean {d.mean():+.1f}, "
                   f"SD {d.std():.1f}; per-record SD {d.groupby(t.loc[d.index, 'rec']).mean().std():.1f}, "
                   f"within-record SD {w.std():.1f} ms (ours, {leads[1]} minus {leads[0]} offset: "
                   f"within-record SD {wo.std():.1f})")
    return "\n".join(out)


def own_marks(own: pd.DataFrame, tol_ms: float = 40.0) -> str:
    """Each lead against its own marks: matched share, mean, SD (per-record + within), gross."""
    out = []
    for ld, g in own.groupby("lead", sort=False):
        e = g[g["err_ms"].abs() <= tol_ms]
        means = e.groupby("rec")["err_ms"].mean()
        within = e["err_ms"] - e.groupby("rec")["err_ms"].transform("mean")
        gross = (e["err_ms"] - e["err_ms"].median()).abs() > 25
        out.append(f"  {ld} against its own marks: {len(e)} of {len(g)} marks within {tol_ms:.0f} ms, "
                   f"mean {e['err_ms'].mean():+.2f}, SD {e['err_ms'].std():.2f} ms (per-record "
                   f"{means.std():.2f} + within {within.std():.2f}); {int(gross.sum())} gross")
    e = own[own["err_ms"].abs() <= tol_ms]
    out.append(f"  leads pooled: mean {e['err_ms'].mean():+.2f}, SD {e['err_ms'].std():.2f} ms")
    return "\n".join(out)


def consensus_table(ds, recs, fs: int, leads: list, params) -> pd.DataFrame:
    """One row per two-lead reference QRS_off mark: the global offset, each lead's own
    (unpulled) offset and reported (pulled) offset, best-lead and consensus errors (ms).

    The leads' own offsets come from a second run without the two-lead pull and shrinkage
    (``qrs_off_snr_pull=0, w_qrs_off=1``, which leave the global offset as it is; checked),
    and a third without the terminal-S notch rule (``qrs_noff_keep=0``) says whether that
    rule moved a lead's offset.
    """
    from dataclasses import replace

    pos = {r: i for i, r in enumerate(ds.meta.index)}
    all_leads = list(ds.leads)
    raw_p = replace(params, qrs_off_snr_pull=0.0, w_qrs_off=1.0)
    nn_p = replace(raw_p, qrs_noff_keep=0.0)
    ms = 1000.0 / fs
    rows = []
    for r in recs:
        x = _resample(np.asarray(ds.signals[pos[r]], np.float32)[[all_leads.index(ld) for ld in leads]], fs)
        df = delineate(x, fs, leads, params=params)
        raw = delineate(x, fs, leads, params=raw_p)
        nn = delineate(x, fs, leads, params=nn_p)
        refs = reference_marks(ds.annotations[ds.annotations["record"] == r], fs / float(ds.fs))
        if not all(ld in refs for ld in leads):
            continue
        g = df[df["lead"] == "global"]
        g_off = g["QRS_off"].to_numpy(float)
        g_on = g["QRS_on"].to_numpy(float)
        g_r = g["R_peak"].to_numpy(float)
        if not np.array_equal(g_off, raw.loc[raw["lead"] == "global", "QRS_off"].to_numpy(float),
                              equal_nan=True):
            raise RuntimeError(f"record {r}: the global QRS offset depends on the pull")
        col = {}
        for ld in leads:
            col[ld] = {k: d.loc[d["lead"] == ld, c].to_numpy(float)
                       for k, d, c in (("rep", df, "QRS_off"), ("own", raw, "QRS_off"),
                                       ("nn", nn, "QRS_off"), ("ton", df, "T_on"))}
        # each lead's amplitude noise as the two-lead pull reads it (sample-to-sample MAD)
        hf = 1.4826 * np.median(np.abs(np.diff(x, axis=1)), axis=1) / np.sqrt(2.0)
        marks = {ld: refs[ld]["QRS_off"][np.isfinite(refs[ld]["QRS_off"])] for ld in leads}
        ref = two_lead_reference(marks[leads[0]], marks[leads[1]], "off", fs)
        for m in ref:
            if not np.isfinite(g_off).any():
                continue
            b = int(np.nanargmin(np.abs(g_off - m)))
            if abs(g_off[b] - m) > 0.15 * fs:
                continue
            row = {"rec": int(r), "beat": b, "ref": m, "glob": g_off[b],
                   "cons_ms": (g_off[b] - m) * ms}
            best = np.inf
            for ld in leads:
                c = col[ld]
                rep = c["rep"][np.isfinite(c["rep"])]
                v = rep[np.argmin(np.abs(rep - m))] if rep.size else np.nan
                if np.isfinite(v) and abs(v - m) < best:
                    best, row["best_ms"], row["best_lead"] = abs(v - m), (v - m) * ms, ld
                mk = marks[ld][np.abs(marks[ld] - m) <= 0.1 * fs]
                row[f"mark_{ld}"] = (mk[np.argmin(np.abs(mk - m))] - m) * ms if mk.size else np.nan
                own = c["own"][b] if b < c["own"].size else np.nan
                row[f"own_{ld}"] = (own - m) * ms
                row[f"rel_{ld}"] = (own - g_r[b]) * ms  # from the global R peak
                row[f"notch_{ld}"] = bool(b < c["nn"].size and np.isfinite(own)
                                          and own != c["nn"][b])
                ton = c["ton"][b] if b < c["ton"].size else np.nan
                row[f"tgap_{ld}"] = (ton - own) * ms
                i = leads.index(ld)
                if np.isfinite(g_on[b]) and np.isfinite(own) and own > g_on[b]:
                    seg = x[i, int(g_on[b]):int(own) + 1]
                    row[f"snr_{ld}"] = float(seg.max() - seg.min()) / max(float(hf[i]), 1e-6)
                else:
                    row[f"snr_{ld}"] = np.nan
            if not best <= 0.15 * fs:
                row["best_ms"] = np.nan
            owns = {ld: row[f"own_{ld}"] for ld in leads}
            setters = [ld for ld in leads if np.isfinite(owns[ld]) and abs(owns[ld] - row["cons_ms"]) < 0.5 * ms]
            row["set_by"] = "+".join(setters) if setters else "neither"
            rows.append(row)
    return pd.DataFrame(rows)


def consensus_census(t: pd.DataFrame, leads: list, excess_ms: float = 10.0,
                     list_beats: bool = False) -> str:
    """Where the consensus error exceeds the best lead's by more than ``excess_ms``."""
    t = t[t["best_ms"].notna()].copy()
    a, b = leads[:2]
    out = [f"{len(t)} two-lead reference marks, {t.rec.nunique()} records: consensus mean "
           f"{t.cons_ms.mean():+.1f} SD {t.cons_ms.std():.1f} ms; best lead mean {t.best_ms.mean():+.1f} "
           f"SD {t.best_ms.std():.1f}; the later own offset set the global end: "
           + ", ".join(f"{k} {v}" for k, v in t["set_by"].value_counts().items())]
    own_a, own_b = t[f"own_{a}"], t[f"own_{b}"]
    both = own_a.notna() & own_b.notna()
    close = (own_a - own_b).abs()
    nearer = np.where(own_a.abs() <= own_b.abs(), own_a, own_b)
    out.append(f"bounds on the same beats (SD, ms): latest own offset {t.cons_ms.std():.1f}; "
               f"the nearer own offset (oracle) {pd.Series(nearer[both.to_numpy()]).std():.1f}; "
               f"mean of the two {((own_a + own_b) / 2)[both].std():.1f}")
    x = t[(t.cons_ms.abs() - t.best_ms.abs()) > excess_ms].copy()
    share = ((x.cons_ms - t.cons_ms.mean()) ** 2).sum() / ((t.cons_ms - t.cons_ms.mean()) ** 2).sum()
    out.append(f"beats whose consensus error exceeds the best lead's by > {excess_ms:.0f} ms: {len(x)} "
               f"({len(x) / len(t):.1%}) in {x.rec.nunique()} records, {share:.0%} of the consensus "
               f"variance; consensus late {int((x.cons_ms > 0).sum())}, early {int((x.cons_ms < 0).sum())}")
    for ld in (a, b):
        s = x[x.set_by == ld]
        o = b if ld == a else a
        if s.empty:
            continue
        low = s[f"snr_{ld}"] < s[f"snr_{o}"]
        out.append(f"  set by {ld} alone: {len(s)} beats (late {int((s.cons_ms > 0).sum())}); its own "
                   f"mark {s[f'mark_{ld}'].median():+.0f} ms from the reference (median), its offset "
                   f"{s[f'own_{ld}'].median():+.0f}, the other lead's offset {s[f'own_{o}'].median():+.0f}; "
                   f"the gap between the leads {(s[f'own_{ld}'] - s[f'own_{o}']).median():.0f} ms (median); "
                   f"moved by the notch rule {int(s[f'notch_{ld}'].sum())}; "
                   f"lower SNR than the other lead {int(low.sum())}; T onset within 20 ms of its "
                   f"offset {int((s[f'tgap_{ld}'] < 20).sum())}; records "
                   + ", ".join(f"{r}({n})" for r, n in s.rec.value_counts().items()))
    s = x[~x.set_by.isin([a, b])]
    if len(s):
        out.append(f"  set by both or neither lead (confirmation or tie): {len(s)} beats, records "
                   + ", ".join(f"{r}({n})" for r, n in s.rec.value_counts().items()))
    if list_beats:
        cols = ["rec", "beat", "cons_ms", "best_ms", "best_lead", "set_by"] + [
            f"{k}_{ld}" for k in ("mark", "own", "snr", "tgap", "notch") for ld in (a, b)]
        out.append(x[cols].round(1).to_string(index=False))
    return "\n".join(out)


def main(argv=None) -> None:
    from interp_ecg.io import read_ludb

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--odd", action="store_true", help="the odd (training) records")
    ap.add_argument("--fs", type=int, default=250)
    ap.add_argument("--leads", default="II,V5")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--csv", default="", help="write the beat table here")
    ap.add_argument("--consensus", action="store_true",
                    help="also the census of the global offset against the two-lead reference")
    ap.add_argument("--consensus-beats", action="store_true", help="list those beats")
    ap.add_argument("--consensus-only", action="store_true", help="skip the best-lead census")
    a = ap.parse_args(argv)
    ds = read_ludb(dataset_path("ludb"))
    recs = [r for r in ds.meta.index if int(r) % 2 == (1 if a.odd else 0)]
    leads = a.leads.split(",")
    params = parse_params(a.param)
    print(f"LUDB {'odd (training)' if a.odd else 'held-out even'} records, {a.fs} Hz, leads {'+'.join(leads)}")
    if a.consensus or a.consensus_only or a.consensus_beats:
        print("consensus (global) QRS offset against the two-lead reference:")
        print(consensus_census(consensus_table(ds, recs, a.fs, leads, params), leads,
                               list_beats=a.consensus_beats))
        if a.consensus_only:
            return
    own: list = []
    t = beat_table(ds, recs, a.fs, leads, params, own_rows=own)
    if a.csv:
        t.to_csv(a.csv, index=False)
    print(census(t, a.fs, leads))
    print("per lead, each against its own marks (the per-lead row's accuracy):")
    print(own_marks(pd.DataFrame(own)))


if __name__ == "__main__":
    main()
