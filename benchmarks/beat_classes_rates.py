"""Do the beat classes and the HRV features depend on the sampling rate?

The same PTB-XL records read from the database's own 100 Hz (``records100``) and 500 Hz
(``records500``) files are measured with :func:`interp_ecg.features.extract`; the 500 Hz
copy is the reference measured in the same run. Printed:

(a) **Outlier beats in sinus records.** Among the records labelled ``NORM`` and ``SR``
    (normal ECG in sinus rhythm, where every beat should be dominant): how many have at
    least one beat labelled ``"outlier"`` (or ``"PVC"``), and how many have a third of
    their beats or more off the dominant class, at each rate, and the 100 / 500 Hz ratio.
(b) **Dominant-beat counts.** Over the records with the same number of beats at both
    rates: the share with the same ``n_beats_dominant``, and the mean absolute difference;
    and the records without a dominant beat class (``n_beats_dominant`` 0).
(c) **HRV at 100 vs 500 Hz.** For ``SDNN_ms``, ``RMSSD_ms``, ``pNN50`` and
    ``RR_irregularity``: the records finite at both rates, the paired mean and SD of the
    difference 100 - 500 Hz, and the records that are NaN at one rate only.
(d) **NaN without a reason.** Records where one of those four is NaN and
    ``quality_reason`` does not name it (the package's rule: a value that cannot be
    measured is NaN *with a reason*).
(e) **The records of the new-user finding** (38, 56, 78: NORM sinus; 428: AFIB): beats,
    dominant beats, SDNN, RMSSD and RR_irregularity at both rates.
(f) **Which point the RR intervals are taken between.** From each record's beat table
    (:func:`interp_ecg.features.extract_beats`), the HRV statistics from the consensus
    anchors (the global R peak as delineated: the reference, measured in the same run) and
    from the RR fiducial the package uses (dominant beats aligned on the dominant template,
    ``anchor_aligned`` in :mod:`interp_ecg.features.beat_classes`, whose intervals are the
    table's ``RR_prev_ms``): SDNN and RMSSD (mean, and the two's paired difference), their
    100 - 500 Hz agreement, RMSSD over the NORM+SR records (median, 90th percentile,
    records over 20 and 40 ms), and each NN interval against an independent reference,
    the median over the twelve leads of that lead's own R-peak to R-peak interval
    (a lead's own R peak is the same wave from beat to beat far more often than the
    consensus, which mixes groups of leads).
(g) **A synthetic record with known RR** (:func:`rs_ecg`): RS complexes whose R and S are
    nearly equal in three leads and alternate in size from beat to beat (the consensus R
    peak jumps by the R-to-S distance, 24 ms); largest error of the NN intervals against the
    simulated RR at 500 and 100 Hz, consensus anchor and RR fiducial.

Usage::

    python benchmarks/beat_classes_rates.py              # ecg_id 1-200 at both rates (~1-2 min)
    python benchmarks/beat_classes_rates.py --records 50 # quick look
    python benchmarks/beat_classes_rates.py --only-fiducial  # sections (f) and (g) only
"""

from __future__ import annotations

import argparse
import logging
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from interp_ecg import features, io  # noqa: E402
from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features.median_beat import beat_anchors  # noqa: E402
from interp_ecg.features.rhythm import rr_features  # noqa: E402
from interp_ecg.io.leads import STANDARD_LEADS  # noqa: E402

HRV = ("SDNN_ms", "RMSSD_ms", "pNN50", "RR_irregularity")


def _measure(root, rate: int, ids: list, n_jobs: int) -> pd.DataFrame:
    ds = io.read_ptbxl(root, sampling_rate=rate).subset(ids)
    t0 = time.perf_counter()
    table = features.extract(ds, n_jobs=n_jobs, progress=False)
    logging.info("%d Hz: %d records in %.1f s", rate, len(table), time.perf_counter() - t0)
    return table


def rs_ecg(fs: float, duration_s: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """A 12-lead record of RS complexes with known beat times.

    Each QRS is an R Gaussian (sigma 8 ms) at the beat time and an S Gaussian 24 ms later;
    leads 1-5 are R-dominant, leads 6-9 S-dominant, leads 10-12 have R and S of nearly equal
    size, R 8 % larger than S in odd beats and S 8 % larger in even ones (a respiratory
    modulation). P wave 160 ms before, T wave 280 ms after the beat time. The RR intervals
    vary (0.80 s + 60 ms sinusoidal + a slow drift), at fractional sample positions.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``(12, duration_s * fs)`` signal in mV, and the beat times in s.
    """
    times = []
    t, k = 0.45, 0
    while t < duration_s - 0.5:
        times.append(t)
        t += 0.80 + 0.06 * np.sin(2 * np.pi * k / 5.3) + 0.0007 * k
        k += 1
    beat_t = np.array(times)
    tt = np.arange(int(round(duration_s * fs))) / fs
    r_amp = np.array([1.0, 0.9, 0.8, 1.1, 0.7, 0.2, 0.25, 0.15, 0.2, 0.8, 0.7, 0.9])
    s_amp = np.array([0.2, 0.15, 0.2, 0.25, 0.1, 1.0, 0.9, 1.1, 0.8, 0.8, 0.7, 0.9])
    sig = np.zeros((12, tt.size))

    def gauss(c: float, sd: float) -> np.ndarray:
        return np.exp(-0.5 * ((tt - c) / sd) ** 2)[None, :]

    for k, tb in enumerate(beat_t):
        alt = np.zeros(12)
        alt[9:] = 0.08 if k % 2 else -0.08
        sig += (r_amp * (1 + alt))[:, None] * gauss(tb, 0.008) - (s_amp * (1 - alt))[:, None] * gauss(tb + 0.024, 0.008)
        sig += 0.12 * gauss(tb - 0.16, 0.02) + 0.3 * gauss(tb + 0.28, 0.045)
    return sig, beat_t


def _rr_pair(bt: pd.DataFrame, fs: float) -> dict:
    """HRV from the consensus anchors and from the RR fiducial of one record's beat table,
    and each NN interval from both and from the lead-median reference."""
    g = bt[bt["lead"] == "global"].sort_values("beat")
    anchors = pd.Series(beat_anchors(g), index=g["beat"].to_numpy())
    g = g[g["beat_label"] != ""]  # detections left out by the refractory period
    anchors = anchors.loc[g["beat"].to_numpy()].to_numpy()
    order = np.argsort(anchors, kind="stable")
    g, anchors = g.iloc[order], anchors[order]
    dom = g["dominant"].to_numpy(bool)
    rr_fid = g["RR_prev_ms"].to_numpy(float)[1:]
    fid = np.r_[0.0, np.cumsum(rr_fid)] * fs / 1000.0  # the RR fiducial, up to a constant
    before, after = rr_features(anchors, fs, dom), rr_features(fid, fs, dom)
    lead = bt[bt["lead"] != "global"].pivot_table(index="beat", columns="lead", values="R_peak", aggfunc="first",
                                                  observed=True).reindex(g["beat"].to_numpy())
    with np.errstate(all="ignore"):
        ref = np.nanmedian(np.diff(lead.to_numpy(float), axis=0), axis=1) * 1000.0 / fs
    nn = dom[:-1] & dom[1:]
    return {"before": before, "after": after, "rr_anchor": (np.diff(anchors) * 1000.0 / fs)[nn],
            "rr_fid": rr_fid[nn], "rr_ref": ref[nn]}


def _fiducial_sections(root, ids: list, lab: pd.DataFrame) -> None:
    res: dict[int, dict] = {}
    for rate in (500, 100):
        ds = io.read_ptbxl(root, sampling_rate=rate).subset(ids)
        t0 = time.perf_counter()
        res[rate] = {}
        for rid in ids:
            try:
                res[rate][rid] = _rr_pair(features.extract_beats(ds.load(rid)), rate)
            except Exception as err:  # a record that cannot be measured is counted, not fatal
                logging.warning("record %s at %d Hz: %s", rid, rate, err)
        logging.info("%d Hz beat tables: %.1f s", rate, time.perf_counter() - t0)
    both = [i for i in ids if i in res[500] and i in res[100]]
    print(f"\n(f) RR fiducial: consensus anchor (before, the reference) vs anchor_aligned (after); "
          f"{len(both)} records with beat tables at both rates")
    print(f"{'':34s} {'before':>8s} {'after':>8s} {'ratio':>6s}")
    for col in ("SDNN_ms", "RMSSD_ms"):
        for rate in (500, 100):
            b = pd.Series({i: res[rate][i]["before"][col] for i in both})
            a = pd.Series({i: res[rate][i]["after"][col] for i in both})
            fin = b.notna() & a.notna()
            print(f"  {col} mean @{rate} Hz (n={int(fin.sum())}){'':6s} {b[fin].mean():8.2f} {a[fin].mean():8.2f} "
                  f"{a[fin].mean() / b[fin].mean():6.3f}   after - before: mean {(a - b)[fin].mean():+.2f}, "
                  f"min {(a - b)[fin].min():+.2f}, max {(a - b)[fin].max():+.2f} ms")
    for col in ("SDNN_ms", "RMSSD_ms", "pNN50"):
        sds = []
        for key in ("before", "after"):
            d = pd.Series({i: res[100][i][key][col] - res[500][i][key][col] for i in both}).dropna()
            sds.append((d.mean(), d.std(), len(d)))
        print(f"  {col} 100 - 500 Hz mean / SD: before {sds[0][0]:+.2f} / {sds[0][1]:.2f} (n={sds[0][2]}), "
              f"after {sds[1][0]:+.2f} / {sds[1][1]:.2f} (n={sds[1][2]}); SD ratio {sds[1][1] / sds[0][1]:.3f}")
    sinus = [i for i in both if lab.loc[i, "NORM"] > 0 and lab.loc[i, "SR"] > 0]
    for rate in (500, 100):
        for key in ("before", "after"):
            v = pd.Series({i: res[rate][i][key]["RMSSD_ms"] for i in sinus}).dropna()
            print(f"  NORM+SR RMSSD @{rate} Hz {key:6s} (n={len(v)}): median {v.median():5.1f}, IQR "
                  f"{v.quantile(0.25):5.1f}-{v.quantile(0.75):5.1f}, 90th pct {v.quantile(0.9):5.1f}, max {v.max():6.1f} ms;"
                  f" > 20 ms: {int((v > 20).sum())}, > 40 ms: {int((v > 40).sum())}")
    for rate in (500, 100):
        ref = np.concatenate([res[rate][i]["rr_ref"] for i in both])
        ok = np.isfinite(ref)
        for key, name in (("rr_anchor", "consensus anchor"), ("rr_fid", "RR fiducial")):
            e = np.concatenate([res[rate][i][key] for i in both])[ok] - ref[ok]
            print(f"  NN intervals @{rate} Hz vs lead-median reference, {name:16s}: n={e.size}, mean {e.mean():+.2f}, "
                  f"SD {e.std(ddof=1):.2f} ms, |error| > 10 ms: {int((np.abs(e) > 10).sum())}")

    print("\n(g) synthetic RS record (rs_ecg), NN intervals against the simulated RR")
    for rate in (500, 100):
        sig, beat_t = rs_ecg(rate)
        pair = _rr_pair(features.extract_beats(sig, fs=rate, leads=list(STANDARD_LEADS)), rate)
        true = np.diff(beat_t) * 1000.0
        if pair["rr_fid"].size != true.size:
            print(f"  {rate} Hz: {pair['rr_fid'].size} NN intervals, {true.size} simulated (beats missed)")
            continue
        e_b, e_a = np.abs(pair["rr_anchor"] - true).max(), np.abs(pair["rr_fid"] - true).max()
        print(f"  {rate} Hz ({true.size} intervals): max |error| consensus anchor {e_b:.2f} ms, RR fiducial "
              f"{e_a:.2f} ms (ratio {e_a / e_b:.4f}); RMSSD simulated {np.sqrt(np.mean(np.diff(true) ** 2)):.2f}, "
              f"before {pair['before']['RMSSD_ms']:.2f}, after {pair['after']['RMSSD_ms']:.2f} ms")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=200, help="first N ecg_ids (default 200)")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--show", action="store_true", help="print the sinus records with off-class beats")
    ap.add_argument("--only-fiducial", action="store_true", help="sections (f) and (g) only")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    root = dataset_path("ptbxl")
    ds = io.read_ptbxl(root, sampling_rate=500)
    ids = list(ds.meta.index[: args.records])
    lab = ds.labels.loc[ids]
    if args.only_fiducial:
        _fiducial_sections(root, ids, lab)
        return
    t100 = _measure(root, 100, ids, args.n_jobs)
    t500 = _measure(root, 500, ids, args.n_jobs)
    ok = t100["quality_ok"] & t500["quality_ok"]
    print(f"PTB-XL ecg_id {ids[0]}-{ids[-1]}: {len(ids)} records, measured at both rates: {int(ok.sum())}")

    # (a) off-class beats in NORM + SR records
    sinus = ok & (lab["NORM"] > 0) & (lab["SR"] > 0)
    print(f"\n(a) NORM+SR records: {int(sinus.sum())}")
    print(f"{'':44s} {'100 Hz':>7s} {'500 Hz':>7s} {'ratio':>6s}")
    for name, fn in (
        ("with >= 1 outlier beat", lambda t: t["outlier_beat_count"] > 0),
        ("with >= 1 outlier or PVC beat", lambda t: (t["outlier_beat_count"] + t["PVC_count"]) > 0),
        ("with >= 1/3 of beats not dominant", lambda t: t["n_beats_dominant"] <= 2 / 3 * t["n_beats"]),
    ):
        a, b = int(fn(t100)[sinus].sum()), int(fn(t500)[sinus].sum())
        print(f"  {name:42s} {a:7d} {b:7d} {a / b if b else float('nan'):6.2f}")
    if args.show:
        off = sinus & ((t100["n_beats_dominant"] < t100["n_beats"]) | (t500["n_beats_dominant"] < t500["n_beats"]))
        print(pd.DataFrame({"beats_100": t100["n_beats"], "dominant_100": t100["n_beats_dominant"],
                            "beats_500": t500["n_beats"], "dominant_500": t500["n_beats_dominant"]})[off]
              .to_string())

    # (b) dominant-beat counts
    same_n = ok & (t100["n_beats"] == t500["n_beats"])
    d = (t100["n_beats_dominant"] - t500["n_beats_dominant"])[same_n]
    dom_share_100 = (t100["n_beats_dominant"] / t100["n_beats"])[ok].mean()
    dom_share_500 = (t500["n_beats_dominant"] / t500["n_beats"])[ok].mean()
    print(f"\n(b) records with the same beat count at both rates: {int(same_n.sum())} of {int(ok.sum())}; "
          f"same dominant count: {int((d == 0).sum())} ({(d == 0).mean():.1%}); "
          f"mean |difference| {d.abs().mean():.2f} beats")
    print(f"    mean share of dominant beats (all records): 100 Hz {dom_share_100:.3f}, 500 Hz "
          f"{dom_share_500:.3f}, ratio {dom_share_100 / dom_share_500:.3f}")
    for rate, t in ((100, t100), (500, t500)):
        none = t.index[t["quality_ok"] & (t["n_beats_dominant"] == 0)]
        print(f"    {rate} Hz: records without a dominant beat class (no QRS shape shared by two beats): "
              f"{len(none)} {list(none)}")

    # (c) HRV agreement
    print(f"\n(c) HRV 100 - 500 Hz (records measured at both rates)")
    print(f"{'feature':16s} {'both':>5s} {'mean d':>8s} {'SD d':>8s} {'mean@500':>9s} {'NaN100only':>10s} "
          f"{'NaN500only':>10s} {'NaN both':>8s}")
    for col in HRV:
        a, b = t100.loc[ok, col], t500.loc[ok, col]
        both = a.notna() & b.notna()
        diff = (a - b)[both]
        print(f"{col:16s} {int(both.sum()):5d} {diff.mean():8.3f} {diff.std():8.3f} {b[both].mean():9.3f} "
              f"{int((a.isna() & b.notna()).sum()):10d} {int((b.isna() & a.notna()).sum()):10d} "
              f"{int((a.isna() & b.isna()).sum()):8d}")

    # (d) NaN without a reason
    print("\n(d) HRV NaN without its name in quality_reason (measured records)")
    for rate, t in ((100, t100), (500, t500)):
        m = t[t["quality_ok"]]
        counts = {col: int((m[col].isna() & ~m["quality_reason"].str.contains(col, regex=False)).sum())
                  for col in HRV}
        nan = {col: int(m[col].isna().sum()) for col in HRV}
        print(f"  {rate} Hz: " + ", ".join(f"{c} {counts[c]} of {nan[c]} NaN" for c in HRV))
    ex_ids = [i for i in (38, 56, 78, 428) if i in ds.meta.index]
    e100, e500 = _measure(root, 100, ex_ids, args.n_jobs), _measure(root, 500, ex_ids, args.n_jobs)
    cols = ["n_beats", "n_beats_dominant", "SDNN_ms", "RMSSD_ms", "RR_irregularity"]
    print("\n(e) new-user records (100 Hz | 500 Hz)")
    print(pd.concat([e100[cols].add_suffix("@100"), e500[cols].add_suffix("@500")], axis=1).round(3).to_string())
    af = ok & (lab.get("AFIB", 0) > 0)
    if af.any():
        print("\nAFIB records: RR_irregularity 100 Hz / 500 Hz")
        print(pd.DataFrame({"100 Hz": t100.loc[af, "RR_irregularity"], "500 Hz": t500.loc[af, "RR_irregularity"]})
              .round(3).to_string())
    _fiducial_sections(root, ids, lab)


if __name__ == "__main__":
    main()
