"""Median beat: aligned on the consensus anchor versus on each beat's cross-correlation lag.

The per-lead median beat (``features.median_beat.median_beat``) is the sample-wise median of
the dominant beats' windows. If each window is cut at the consensus anchor (global R peak)
and that anchor jitters from beat to beat (the consensus R peak can come from different
leads in different beats), the median is smeared: lower peaks, wider waves. Signal-averaging
programs align every beat on a template by cross-correlation first. This script measures,
on real records, how far the anchors sit from the cross-correlation alignment and what that
does to the median beat's amplitudes and QRS duration:

* jitter: per record, the SD (ms) over the dominant beats of ``anchor_aligned -
  anchor_exact`` (``beat_classes``: the lag, within +-40 ms, that best aligns each beat's
  -60..+100 ms QRS window, all usable leads, on the dominant template; the RR fiducial);
* R amplitude (``R_amp_mV`` of every usable lead, the pipeline's measure on the median beat)
  on the median beat cut at the anchor (``anchor``) and at the aligned point
  (``anchor_aligned``, rounded), each as a ratio to the median over the same beats of the
  beat's own R amplitude in that lead (beat table ``R_amp_mV``, measured at the beat's own
  fiducials, so jitter-free);
* QRS duration of the median beat (the median beat repeated 8 times and delineated, as
  ``median_beat_p_wave`` does), minus the median of the beats' own QRS durations (ms).

Printed per dataset: medians and 5th/95th percentiles over records (leads pooled for the
amplitude ratio), and the records where alignment moves the R amplitude of some lead by more
than 5 %, each against the unaligned median beat (the reference) in the same run.

Usage::

    PYTHONPATH=$PWD INTERP_ECG_DATA=/work/shared/data python benchmarks/median_beat_alignment.py \\
        --ludb 200 --ptbxl 100
"""

from __future__ import annotations

import argparse
import logging
import warnings

import numpy as np
import pandas as pd


def _tiled_qrs_ms(template: np.ndarray, pos: int, fs: float, leads: list[str]) -> float:
    """QRS duration (ms) of a median beat, delineated on 8 detrended copies (median over copies)."""
    from interp_ecg.features import delineate
    from interp_ecg.features.median_beat import TILE_COPIES, global_fiducials

    tpl = np.asarray(template, dtype=np.float64)
    if not np.isfinite(tpl).all():
        keep = np.isfinite(tpl).all(axis=0)
        idx = np.flatnonzero(keep)
        if idx.size < 10 or not (idx[0] <= pos <= idx[-1]):
            return np.nan
        tpl, pos = tpl[:, idx[0]: idx[-1] + 1], pos - idx[0]
    n = tpl.shape[1]
    ramp = np.linspace(0.0, 1.0, n)[None, :]
    one = tpl - (tpl[:, :1] + (tpl[:, -1:] - tpl[:, :1]) * ramp)
    tiled = np.tile(one, (1, TILE_COPIES)).astype(np.float32)
    try:
        g = global_fiducials(delineate(tiled, fs, leads=leads))
    except Exception:  # noqa: BLE001 - a median beat the delineator refuses: no figure
        return np.nan
    starts = np.arange(TILE_COPIES) * n + pos
    r = g["R_peak"].to_numpy(float)
    own = np.array([np.nanmin(np.abs(starts - x)) <= 0.02 * fs if np.isfinite(x) else False for x in r])
    d = (g["QRS_off"].to_numpy(float) - g["QRS_on"].to_numpy(float))[own]
    d = d[np.isfinite(d)]
    return float(np.median(d)) * 1000.0 / fs if d.size else np.nan


def measure_record(rec) -> dict | None:
    from interp_ecg.errors import InterpEcgError
    from interp_ecg.features import measurements as M
    from interp_ecg.features.extract import _beat_table, _validate  # noqa: PLC2701 - a benchmark of internals
    from interp_ecg.features.record_measure import measure_record
    from interp_ecg.features.median_beat import FIDUCIALS, median_beat

    try:
        signal, fs, leads, src = _validate(rec)
        _, _, ex = measure_record(signal, fs, leads, src, None, 3)
    except InterpEcgError:
        return None
    sig, table, fid, q = ex["signal"], ex["beats"], ex["fiducials"], ex["lead_quality"]
    usable = q["usable"].to_numpy()
    b = table.beats
    edge = b.index.isin(list(fid.attrs.get("edge_beats", [])))
    dom = b["dominant"].to_numpy(bool) & ~edge
    if dom.sum() < 3:
        return None
    exact = b["anchor_exact"].to_numpy(float)[dom]
    aligned = b["anchor_aligned"].to_numpy(float)[dom]
    lag_ms = (aligned - exact) * 1000.0 / fs
    out = {"record": rec.id, "n_beats": int(dom.sum()), "jitter_sd_ms": float(np.std(lag_ms)),
           "jitter_max_ms": float(np.max(np.abs(lag_ms - np.median(lag_ms))))}
    fids = table.fiducials.to_numpy(float)[dom]
    use_idx = np.flatnonzero(usable)
    use_leads = [leads[i] for i in use_idx]
    res = {}
    for name, anchors in (("anchor", b["anchor"].to_numpy()[dom]), ("aligned", np.rint(aligned).astype(np.int64))):
        tpl, pos = median_beat(sig, fs, anchors)
        rel = {}
        for j, col in enumerate(FIDUCIALS):
            v = fids[:, j] - anchors
            ok = np.isfinite(v)
            rel[col] = float(np.median(v[ok])) if ok.any() and ok.mean() >= 0.5 else np.nan
        amps = M.lead_measurements_dict(tpl, pos, rel, fs, leads, usable)
        res[name] = ({ld: amps[ld]["R_amp_mV"] for ld in use_leads},
                     _tiled_qrs_ms(tpl[use_idx], pos, fs, use_leads))
    bt = _beat_table(sig, fs, leads, fid, table)
    dom_beats = set(b.index[dom])
    bt = bt[bt["beat"].isin(dom_beats)]
    per_beat_r = bt[bt["lead"] != "global"].groupby("lead")["R_amp_mV"].median()
    g = bt[bt["lead"] == "global"]
    out["qrs_beats_ms"] = float(g["QRS_duration_ms"].median())
    for name in ("anchor", "aligned"):
        r_amp, qrs = res[name]
        ratios = [r_amp[ld] / per_beat_r[ld] for ld in use_leads
                  if ld in per_beat_r and np.isfinite(r_amp[ld]) and per_beat_r[ld] >= 0.2]
        out[f"r_ratio_{name}"] = ratios
        out[f"qrs_tpl_{name}_ms"] = qrs
    return out


def summarise(name: str, rows: list[dict]) -> None:
    df = pd.DataFrame(rows)
    print(f"\n== {name}: {len(df)} records measured")

    def pct(x):
        x = np.asarray(x, float)
        x = x[np.isfinite(x)]
        return f"median {np.median(x):.3f}  p5 {np.percentile(x, 5):.3f}  p95 {np.percentile(x, 95):.3f}  (n={x.size})"

    print(f"anchor jitter SD over dominant beats (ms):      {pct(df['jitter_sd_ms'])}")
    print(f"largest |lag - median lag| in a record (ms):    {pct(df['jitter_max_ms'])}")
    print(f"share of records with a beat > 4 ms off:         {(df['jitter_max_ms'] > 4).mean():.3f}")
    ra = np.concatenate([np.asarray(x, float) for x in df["r_ratio_anchor"]])
    rb = np.concatenate([np.asarray(x, float) for x in df["r_ratio_aligned"]])
    print(f"R amp median beat / per-beat median, at anchor (reference): {pct(ra)}")
    print(f"R amp median beat / per-beat median, aligned:               {pct(rb)}")
    ratio = np.array([np.median(np.asarray(b, float) / np.asarray(a, float)) if len(a) else np.nan
                      for a, b in zip(df["r_ratio_anchor"], df["r_ratio_aligned"])])
    print(f"per record, median over leads of R(aligned)/R(anchor):    {pct(ratio)}")
    moved = [(r, float(np.max(np.abs(np.asarray(b, float) / np.asarray(a, float) - 1))))
             for r, a, b in zip(df["record"], df["r_ratio_anchor"], df["r_ratio_aligned"]) if len(a)]
    big = [(r, round(m, 3)) for r, m in moved if m > 0.05]
    print(f"records where alignment moves some lead's R amp by > 5 %: {len(big)} of {len(moved)} {big[:12]}")
    ea, eb = np.abs(ra - 1), np.abs(rb - 1)
    big_lead = np.abs(rb / ra - 1) > 0.05
    print(f"leads moved > 5 %: {int(big_lead.sum())} of {ra.size}; aligned closer to the per-beat median in "
          f"{int((eb < ea)[big_lead].sum())}, further in {int((eb > ea)[big_lead].sum())}; "
          f"median |ratio - 1| there {np.median(ea[big_lead]):.3f} at anchor -> {np.median(eb[big_lead]):.3f} aligned")
    da = df["qrs_tpl_anchor_ms"] - df["qrs_beats_ms"]
    db = df["qrs_tpl_aligned_ms"] - df["qrs_beats_ms"]
    print(f"QRS of median beat - median per-beat QRS (ms), at anchor (reference): {pct(da)}")
    print(f"QRS of median beat - median per-beat QRS (ms), aligned:               {pct(db)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ludb", type=int, default=200, help="LUDB records (0: skip)")
    ap.add_argument("--ptbxl", type=int, default=100, help="PTB-XL 500 Hz records (0: skip)")
    ap.add_argument("--ptbxl-rate", type=int, default=500)
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    warnings.filterwarnings("ignore")
    from interp_ecg.config import dataset_path
    from interp_ecg.io import read_ludb, read_ptbxl

    for name, n, ds in (("LUDB (500 Hz)", args.ludb, lambda: read_ludb(dataset_path("ludb"))),
                        (f"PTB-XL ({args.ptbxl_rate} Hz)", args.ptbxl,
                         lambda: read_ptbxl(dataset_path("ptbxl"), sampling_rate=args.ptbxl_rate))):
        if n <= 0:
            continue
        d = ds()
        rows = [r for rid in list(d.meta.index)[:n] if (r := measure_record(d.load(rid))) is not None]
        summarise(name, rows)


if __name__ == "__main__":
    main()
