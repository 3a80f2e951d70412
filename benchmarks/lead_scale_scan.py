"""One lead on a 2x, 3x or 0.5x wrong scale: what the signal can tell, and at what false-flag rate.

Two checks with a physical basis are measured on the shared records as read (PTB-XL's first 500
at 500 Hz and at 100 Hz, the 50 CinC 2021 records), each lead in turn multiplied by 2, 3, 0.5
(and -1: a lead recorded negated, e.g. III written as I - II):

* **limb leads**: the limb-lead identities (Einthoven II = I + III, Goldberger's aVR, aVL, aVF)
  hold exactly for leads on one scale, and the pattern of the identities a lead breaks names
  it (:func:`interp_ecg.features.quality.limb_identity_suspects`, used by
  :func:`~interp_ecg.features.extract_record`: that lead's per-lead values NaN). Printed: the
  records where the check names a lead as recorded (false flags), and per lead and factor the
  share of records where it names the scaled lead, where it names another lead (wrong), and
  where it fails without naming one (suspects only);
* **chest leads** (no identity ties them): each chest lead predicted from I, II and the other
  five chest leads by a linear lead-field reconstruction fitted (least squares, 0.5-40 Hz,
  10 s) on the odd-numbered PTB-XL records, and its scale read as the regression slope of the
  lead on its prediction; a lead is named when its log2 slope is the record's largest and over
  ``--log2-threshold`` (1.5: 2.8 times the prediction; the odd records' largest is about 1.35).
  Figures on the even PTB-XL records and CinC only (held out from the fit). Not used by the
  package: printed to show what such a check would catch (docs/results_features.md, round of
  2026-12-01, tenth: lead scale).

Usage::

    python benchmarks/lead_scale_scan.py            # ~1-2 min
"""

from __future__ import annotations

import argparse
import logging
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy.signal import butter, sosfiltfilt  # noqa: E402

from interp_ecg import io  # noqa: E402
from interp_ecg.config import dataset_path  # noqa: E402
from interp_ecg.features.quality import lead_quality, limb_identity_suspects, limb_lead_identity  # noqa: E402
from interp_ecg.io.leads import STANDARD_LEADS  # noqa: E402

LEADS = list(STANDARD_LEADS)
FACTORS = (2.0, 3.0, 0.5, -1.0)
CHEST = list(range(6, 12))


def records(name: str):
    if name.startswith("ptbxl"):
        ds = io.read_ptbxl(dataset_path("ptbxl"), sampling_rate=int(name[5:]))
    else:
        ds = io.read_cinc(dataset_path("cinc2021"))
    for rid in ds.meta.index:
        rec = ds.load(rid)
        if list(rec.leads[:12]) != LEADS:
            continue
        x = np.nan_to_num(np.asarray(rec.signal[:12], dtype=float))
        usable = lead_quality(x.astype(np.float32), rec.fs, LEADS)["usable"].to_numpy()
        yield str(rid), x, float(rec.fs), usable


def limb_call(x: np.ndarray, fs: float, usable: np.ndarray) -> tuple[str | None, list[str]]:
    res: dict[str, float] = {}
    limb_lead_identity(x, fs, LEADS, usable, res)
    return limb_identity_suspects(x, fs, LEADS, usable, res)


def limb_scan(name: str) -> None:
    n = 0
    false_named, false_suspect = [], []
    hit = {(j, k): [0, 0, 0] for j in range(6) for k in FACTORS}  # named right, named wrong, suspects only
    for rid, x, fs, usable in records(name):
        n += 1
        breaker, suspects = limb_call(x, fs, usable)
        if breaker:
            false_named.append(f"{rid}:{breaker}")
        elif suspects:
            false_suspect.append(rid)
        for j in range(6):
            if not usable[j]:
                continue
            for k in FACTORS:
                y = x.copy()
                y[j] *= k
                b, s = limb_call(y, fs, usable)
                cell = hit[(j, k)]
                cell[0] += b == LEADS[j]
                cell[1] += b is not None and b != LEADS[j]
                cell[2] += b is None and bool(s)
    print(f"\n{name}: {n} records; limb lead named as recorded (false flag): {len(false_named)} "
          f"({len(false_named) / max(n, 1):.3f}) {false_named[:5]}; identities failed without a lead named: "
          f"{len(false_suspect)} {false_suspect[:5]}")
    for k in FACTORS:
        cells = [hit[(j, k)] for j in range(6)]
        print(f"  x{k:g}: named right " + " ".join(f"{LEADS[j]} {c[0] / n:.2f}" for j, c in enumerate(cells))
              + f" | named wrong {sum(c[1] for c in cells)} | failed, no lead named {sum(c[2] for c in cells)}"
              f" (of {6 * n})")


def band(x: np.ndarray, fs: float) -> np.ndarray:
    sos = butter(2, [0.5, min(40.0, 0.45 * fs)], "bandpass", fs=fs, output="sos")
    return sosfiltfilt(sos, x, axis=1)


def fit_chest(signals: list[np.ndarray]) -> dict[int, tuple[list[int], np.ndarray]]:
    out = {}
    for j in CHEST:
        reg = [0, 1] + [k for k in CHEST if k != j]
        a = np.concatenate([s[reg].T for s in signals])
        y = np.concatenate([s[j] for s in signals])
        out[j] = (reg, np.linalg.lstsq(a, y, rcond=None)[0])
    return out


def chest_log2(s: np.ndarray, w: dict) -> np.ndarray:
    out = np.full(12, -np.inf)
    for j in CHEST:
        reg, c = w[j]
        p = c @ s[reg]
        slope = float(np.dot(s[j], p) / np.dot(p, p))
        out[j] = np.log2(slope) if slope > 0 else -np.inf
    return out


def chest_scan(threshold: float) -> None:
    ptb = [(rid, band(x, fs)) for rid, x, fs, u in records("ptbxl500") if u[[0, 1, *CHEST]].all()]
    cinc = [(rid, band(x, fs)) for rid, x, fs, u in records("cinc") if u[[0, 1, *CHEST]].all()]
    train = [s for rid, s in ptb if int(rid) % 2 == 1]
    w = fit_chest(train)
    train_max = max(chest_log2(s, w)[CHEST].max() for s in train)
    print(f"\nchest leads: reconstruction fitted on {len(train)} odd PTB-XL records (largest log2 slope there "
          f"{train_max:.2f}); threshold log2 {threshold} ({2 ** threshold:.2f} x)")
    for name, sets in (("PTB-XL even (held out)", [s for rid, s in ptb if int(rid) % 2 == 0]),
                       ("CinC 2021 (external)", [s for _, s in cinc])):
        def call(s):
            v = chest_log2(s, w)
            j = int(np.argmax(v))
            return j if v[j] > threshold else None
        false = sum(call(s) is not None for s in sets)
        print(f"  {name}: {len(sets)} records with I, II, V1-V6 usable; false flags {false} "
              f"({false / max(len(sets), 1):.3f}); largest log2 slope "
              f"{max(chest_log2(s, w)[CHEST].max() for s in sets):.2f}")
        for k in FACTORS[:3]:
            right = np.zeros(12)
            wrong = 0
            for s in sets:
                for j in CHEST:
                    y = s.copy()
                    y[j] *= k
                    c = call(y)
                    right[j] += c == j
                    wrong += c is not None and c != j
            print(f"    x{k:g}: named right " + " ".join(f"{LEADS[j]} {right[j] / len(sets):.2f}" for j in CHEST)
                  + f" | named wrong {wrong} (of {6 * len(sets)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--log2-threshold", type=float, default=1.5)
    ap.add_argument("--skip-limb", action="store_true")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    if not args.skip_limb:
        for name in ("ptbxl500", "ptbxl100", "cinc"):
            limb_scan(name)
    chest_scan(args.log2_threshold)


if __name__ == "__main__":
    main()
