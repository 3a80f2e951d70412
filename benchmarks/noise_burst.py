"""A 2-s noise burst on simulated sinus records: PVC count and heart rate, against truth.

FINDINGS-user8 A12/C: simulated ``normal`` records (500 Hz, noise 0.3, seeds 0-3) with a
band-limited Gaussian burst added to all twelve leads over 4-6 s (scaled to about
``amp`` mV RMS). Prints, per band, amplitude and seed, the PVC count (truth 0), the heart
rate against the simulator's truth and against the same record without the burst, and
how many beats reaching into a noisy stretch were left unclassified; a refused record prints its error.

With ``--real``: on real records (the first 300 PTB-XL records at 500 and at 100 Hz, LUDB's
200, CinC 2021's 50), how many have a stretch noisy in every non-flat lead
(``beat_classes.noisy_stretches``); a record without one is measured exactly as before.

Usage::

    PYTHONPATH=$PWD python benchmarks/noise_burst.py
    PYTHONPATH=$PWD INTERP_ECG_DATA=/work/shared/data python benchmarks/noise_burst.py --real
"""

from __future__ import annotations

import argparse
import glob
import logging
import os
import warnings

import numpy as np
from scipy.signal import butter, filtfilt

from interp_ecg.errors import InterpEcgError
from interp_ecg.features import extract_record
from interp_ecg.features.beat_classes import noisy_stretches
from interp_ecg.features.quality import lead_quality
from interp_ecg.simulate.record import simulate_record

FS = 500
BANDS = {"15-60 Hz": (15, 60), "EMG 25-100 Hz": (25, 100), "motion 5-30 Hz": (5, 30)}


def scan_real(root: str) -> None:
    import wfdb

    sets = {"PTB-XL 500 Hz (first 300)": sorted(glob.glob(f"{root}/ptbxl/records500/00000/*_hr.hea"))[:300],
            "PTB-XL 100 Hz (first 300)": sorted(glob.glob(f"{root}/ptbxl/records100/00000/*_lr.hea"))[:300],
            "LUDB": sorted(glob.glob(f"{root}/ludb/**/*.hea", recursive=True)),
            "CinC 2021": sorted(glob.glob(f"{root}/cinc2021/**/*.hea", recursive=True))}
    for name, files in sets.items():
        hit = n = 0
        for f in files:
            try:
                r = wfdb.rdrecord(f[:-4])
            except (OSError, ValueError):
                continue
            x = r.p_signal.T
            if not np.isfinite(x).all():
                continue
            n += 1
            q = lead_quality(x, r.fs, r.sig_name)
            keep = ~(q["flat"] | q["clipped"] | q["invalid"]).to_numpy()
            st = noisy_stretches(x[keep], r.fs)
            if len(st):
                hit += 1
                print(f"{name} {os.path.basename(f)}: {(st / r.fs).round(2).tolist()} s")
        print(f"{name}: {hit} of {n} records with a noisy stretch")


def main() -> None:
    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", action="store_true", help="scan real records for noisy stretches instead")
    if ap.parse_args().real:
        scan_real(os.environ.get("INTERP_ECG_DATA", "/work/shared/data"))
        return
    for band, (lo, hi) in BANDS.items():
        b, a = butter(4, [lo / (FS / 2), hi / (FS / 2)], "band")
        for amp in (0.2, 0.5):
            for seed in range(4):
                rng = np.random.default_rng(seed)
                sig, _, info = simulate_record("normal", fs=FS, noise=0.3, random_state=seed)
                burst = filtfilt(b, a, rng.normal(0, 1, (12, 1000)))
                s = sig.copy()
                s[:, 2000:3000] += amp * burst / burst.std()
                clean = extract_record(sig, fs=FS)
                try:
                    r = extract_record(s, fs=FS)
                except InterpEcgError as err:
                    print(f"{band:15s} {amp} mV seed {seed}: refused: {str(err)[:90]}")
                    continue
                n_noise = r["quality_reason"].split(" beat(s) reaching into")[0].split(" and ")[-1] \
                    if "noisy in every lead" in r["quality_reason"] else "0"
                print(f"{band:15s} {amp} mV seed {seed}: PVC {r['PVC_count']:.0f} (truth 0), "
                      f"HR {r['heart_rate_bpm']:.1f} "
                      f"(truth {info['heart_rate']:.1f}, no burst {clean['heart_rate_bpm']:.1f}), n_beats "
                      f"{r['n_beats']:.0f} (no burst {clean['n_beats']:.0f}), unclassified {n_noise}")


if __name__ == "__main__":
    main()
