"""Pacemaker spikes that ``delineate`` removes: found in paced records, absent elsewhere.

For every LUDB record (250 Hz II + V5 resampled as the proxy does, 500 Hz II + V5, 500 Hz
12 leads) and every PTB-XL record of the shared sample (500 Hz and 100 Hz files), prints
how many records without pacing have at least one spike in ``df.attrs["pacing_spikes"]``
(false spikes), split into the large spikes ``features.extract`` strips too and the
time-locked ones, and the spikes found in the paced records (LUDB's ``pacing`` column,
PTB-XL's ``PACE`` label).

With ``--offsets`` it prints instead the per-record QRS_on offset (mean best-lead error,
ms) of LUDB's paced records on the 250 Hz II + V5 proxy (``delineation_matrix.ludb_cell``).

Usage::

    python benchmarks/pacing_spikes.py            # ~2-3 min on one core
    python benchmarks/pacing_spikes.py --offsets  # ~5 s
    python benchmarks/pacing_spikes.py --why [--even]   # ~10 s
    python benchmarks/pacing_spikes.py --simulated      # ~30 s

With ``--why`` it prints, for LUDB's paced records at 500 Hz with 12 leads (the odd ones;
``--even`` adds the held-out ones, for reporting only), the QRS offset and T onset matches
(TP/FP/FN within the 40 / 50 ms tolerances, ``delineation_ludb``'s protocol) and mean errors
without and with the spike removal, and how the per-lead QRS offsets moved: how many moved,
how many later, and in how many of those the largest QRS-band slope within ``qrs_half`` of
the beat's R peak (the slope the offset threshold is a fraction of) fell when the spike was
removed.

With ``--simulated`` it prints the QRS offset and T onset errors against the simulator's
truth (``simulate_record`` lbbb / normal / rbbb, seeds 0-1, 12 leads, 500 Hz) of the record
without spikes, with a two-sample unipolar spike (1.5-4.5 mV) 4 or 20 ms before every true
QRS onset removed by ``delineate``, and with the spike left in the signal.
"""

from __future__ import annotations

import logging
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features.delineation import delineate  # noqa: E402
from interp_ecg.features.pacing import detect_pacing_spikes  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from delineation_matrix import _resample  # noqa: E402


def _count(records, label: str) -> None:
    """``records``: iterable of (id, paced, signal, fs, leads)."""
    false_any, false_large, paced, n_unpaced, failed = [], 0, {}, 0, 0
    for rid, is_paced, x, fs, leads in records:
        try:
            df = delineate(x, fs, leads)
        except Exception:  # noqa: BLE001 - a refused record has no spikes to count
            failed += 1
            continue
        found = df.attrs["pacing_spikes"]
        if is_paced:
            paced[rid] = len(found)
            continue
        n_unpaced += 1
        if found:
            false_any.append((rid, len(found)))
            false_large += bool(len(detect_pacing_spikes(x, fs, leads)))
    print(f"{label}: {len(false_any)} of {n_unpaced} records without pacing have spikes "
          f"{false_any} ({false_large} of them large spikes that extract strips too); "
          f"{failed} refused; paced records (spikes): {paced}", flush=True)


def offsets(ds) -> None:
    """Per-record best-lead QRS_on / QRS_off offsets of the paced records (250 Hz II+V5)."""
    from delineation_matrix import ludb_cell

    paced = [r for r in ds.meta.index if str(ds.meta.loc[r, "pacing"]).strip()]
    per = ludb_cell(ds, paced, 250, ["II", "V5"], ["mz"], 0)["mz"][3]
    for k in ("QRS_on", "QRS_off"):
        print(f"{k} (mean best-lead error, ms; n beats): " + ", ".join(
            f"{r} {np.mean(per[k][r]):+.1f} (n {len(per[k][r])})"
            for r in paced if len(per.get(k, {}).get(r, []))))


def why(ds, even: bool) -> None:
    """QRS_off / T_on of the paced records with and without the spike removal (12 leads)."""
    import pandas as pd

    import interp_ecg.features.delineation.core as core
    from interp_ecg.features.delineation import stages
    from interp_ecg.features.delineation.params import Params
    from interp_ecg.features.delineation.scoring import score_lead
    from interp_ecg.features.delineation.spikes import strip_spikes
    from delineation_ludb import reference_for

    kinds = ["QRS_off", "T_on"]
    fs, leads = float(ds.fs), list(ds.leads)
    half = int(round(Params().qrs_half * fs))
    none = detect_pacing_spikes(np.zeros((2, 8)), fs)          # the empty spike table
    paced = [r for r in ds.meta.index if str(ds.meta.loc[r, "pacing"]).strip()
             and (even or int(r) % 2 == 1)]
    pos = {r: i for i, r in enumerate(ds.meta.index)}
    ann = ds.annotations
    orig = core.strip_spikes
    for rec in paced:
        x = np.asarray(ds.signals[pos[rec]], np.float32)
        refs = reference_for(ann[ann["record"] == rec])
        core.strip_spikes = lambda sig, f, names, r: (sig, none)
        try:
            kept = delineate(x, fs, leads)
        finally:
            core.strip_spikes = orig
        stripped = delineate(x, fs, leads)
        line = [f"record {rec}: {len(stripped.attrs['pacing_spikes'])} spikes"]
        for scope in ("lead", "global"):
            for k in kinds:
                cells = []
                for df in (kept, stripped):
                    tp = fp = fn = 0
                    err = []
                    for lead, ref in refs.items():
                        sel = df[df["lead"] == ("global" if scope == "global" else lead)]
                        m = score_lead({k: sel[k].to_numpy(float)}, ref, fs, [k])[k]
                        tp, fp, fn = tp + m.tp, fp + m.fp, fn + m.fn
                        err += list(m.errors * 1000.0 / fs)
                    cells.append(f"{tp}/{fp}/{fn} {np.mean(err):+.1f} ms")
                line.append(f"{scope} {k} {cells[0]} -> {cells[1]}")
        print("; ".join(line))
        g0, g1 = (d[d["lead"] == "global"] for d in (kept, stripped))
        # beats matched by their R peaks (within 20 ms)
        r0, r1 = g0["R_peak"].to_numpy(float), g1["R_peak"].to_numpy(float)
        pairs = [(i, int(np.nanargmin(np.abs(r0 - v)))) for i, v in enumerate(r1)
                 if np.isfinite(v) and np.nanmin(np.abs(r0 - v)) <= 0.02 * fs]
        if len(g0) != len(g1):
            print(f"    beats {len(g0)} -> {len(g1)} ({len(pairs)} matched by R peak)")
        # the largest QRS-band slope near each R peak, with and without the spikes
        held = np.zeros(x.shape, bool)
        clean, _ = strip_spikes(x, fs, leads, g0["R_peak"].to_numpy(float))
        slope = [np.abs(stages.prepare(v, fs, leads, Params(), held=held)[0].qrs_slope)
                 for v in (x, clean)]
        a = kept.pivot(index="lead", columns="beat", values="QRS_off").loc[leads]
        b = stripped.pivot(index="lead", columns="beat", values="QRS_off").loc[leads]
        moved = later = fell = 0
        shifts = []
        for li, lead in enumerate(leads):
            for beat, beat0 in pairs:
                u, v = a.loc[lead, beat0], b.loc[lead, beat]
                if not (np.isfinite(u) and np.isfinite(v)) or u == v:
                    continue
                moved += 1
                later += v > u
                shifts.append((v - u) * 1000.0 / fs)
                r = int(g1["R_peak"].iloc[beat])
                lo, hi = max(0, r - half), min(x.shape[1], r + half + 1)
                fell += slope[1][li, lo:hi].max() < slope[0][li, lo:hi].max()
        q0, q1 = g0["QRS_off"].to_numpy(float), g1["QRS_off"].to_numpy(float)
        gshift = [(q1[i] - q0[j]) * 1000.0 / fs for i, j in pairs]
        med = np.median(shifts) if shifts else 0.0
        print(f"    per-lead QRS_off moved in {moved} lead-beats ({later} later, median "
              f"{med:+.0f} ms, max {max(shifts, default=0):+.0f} ms); "
              f"largest slope near R fell in {fell} of them; global QRS_off shift per beat (ms) "
              f"{pd.Series(gshift).round(0).tolist()}")


def simulated() -> None:
    """Errors against the simulator's truth: spike-free, spike removed, spike left in."""
    import interp_ecg.features.delineation.core as core
    from interp_ecg.simulate import simulate_record

    leads = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    spike = 3.0 * np.array([1.5, 1.0, -0.5, -1.2, 0.8, 0.3, -1.0, -1.5, -1.2, -0.8, 0.6, 0.9])
    fs = 500
    none = detect_pacing_spikes(np.zeros((2, 8)), fs)
    orig = core.strip_spikes
    errors: dict = {}
    for condition in ("lbbb", "normal", "rbbb"):
        for seed in (0, 1):
            ecg = simulate_record(condition, noise=0.2, random_state=seed)
            truth = ecg.fiducials
            clean = ecg.signal.astype(float)
            on = truth.loc[truth["lead"] == "global", "QRS_on"].to_numpy(float)
            on = np.round(on[np.isfinite(on)]).astype(int)
            for lag_ms in (4, 20):
                x = clean.copy()
                for o in on - int(round(lag_ms * fs / 1000)):
                    x[:, o:o + 2] += spike[:, None]
                core.strip_spikes = lambda sig, f, names, r: (sig, none)
                try:
                    kept = delineate(x, fs, leads)
                finally:
                    core.strip_spikes = orig
                out = {"spike-free": delineate(clean, fs, leads),
                       "spike removed": delineate(x, fs, leads), "spike left in": kept}
                for name, df in out.items():
                    for k in ("QRS_off", "T_on"):
                        for scope in ("lead", "global"):
                            names = ["global"] if scope == "global" else leads
                            for lead in names:
                                got = df.loc[df["lead"] == lead, k].to_numpy(float)
                                ref = truth.loc[truth["lead"] == lead, k].to_numpy(float)
                                if not np.isfinite(got).any():
                                    continue
                                e = [got[np.nanargmin(np.abs(got - v))] - v
                                     for v in ref[np.isfinite(ref)]]
                                e = np.array(e) * 1000.0 / fs
                                errors.setdefault((lag_ms, k, scope, name), []).extend(
                                    e[np.abs(e) < 100].tolist())
    for (lag_ms, k, scope, name), e in sorted(errors.items()):
        print(f"spike {lag_ms:2d} ms before the onset, {scope:6s} {k:7s} {name:13s}: "
              f"n {len(e)}, mean {np.mean(e):+.1f} ms, SD {np.std(e):.1f} ms")


def main() -> None:
    logging.disable(logging.WARNING)
    from interp_ecg.io import read_ludb, read_ptbxl

    ds = read_ludb(dataset_path("ludb"))
    if "--offsets" in sys.argv[1:]:
        offsets(ds)
        return
    if "--simulated" in sys.argv[1:]:
        simulated()
        return
    if "--why" in sys.argv[1:]:
        why(ds, "--even" in sys.argv[1:])
        return
    leads = list(ds.leads)
    two = [leads.index("II"), leads.index("V5")]
    paced = {r for r in ds.meta.index if str(ds.meta.loc[r, "pacing"]).strip()}
    sig = {r: np.asarray(ds.signals[i], np.float32) for i, r in enumerate(ds.meta.index)}
    _count(((r, r in paced, _resample(s[two], 250), 250, ["II", "V5"]) for r, s in sig.items()),
           "LUDB 250 Hz II+V5")
    _count(((r, r in paced, s[two], 500, ["II", "V5"]) for r, s in sig.items()),
           "LUDB 500 Hz II+V5")
    _count(((r, r in paced, s, 500, leads) for r, s in sig.items()), "LUDB 500 Hz 12 leads")
    for fs in (500, 100):
        px = read_ptbxl(dataset_path("ptbxl"), sampling_rate=fs)
        pace = set(px.labels.index[px.labels["PACE"] > 0])

        def recs():
            for r in px.meta.index:
                rec = px.load(r)
                yield r, r in pace, rec.signal, rec.fs, list(rec.leads)

        _count(recs(), f"PTB-XL {fs} Hz 12 leads")


if __name__ == "__main__":
    main()
