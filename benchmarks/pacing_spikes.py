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


def main() -> None:
    logging.disable(logging.WARNING)
    from interp_ecg.io import read_ludb, read_ptbxl

    ds = read_ludb(dataset_path("ludb"))
    if "--offsets" in sys.argv[1:]:
        offsets(ds)
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
