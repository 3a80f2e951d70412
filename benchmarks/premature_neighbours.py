"""What premature beats do to their neighbours' measurements: QT in bigeminy, P waves with
premature atrial beats, NN intervals (docs/results_rhythms.md, round of 2026-12-01).

Prints, for the package imported (run it once per version, e.g. with ``PYTHONPATH`` set to
a ``git archive`` copy of the base, to get before/after figures in one session):

* ``qt``: QT and QTc Bazett measured minus the simulator's truth, noise-free
  ``simulate_record`` records (bigeminy, bigeminy+lqt, pvc, normal; 500 and 250 Hz, seeds 0-5);
* ``p``: P presence (share of consensus beats with a P wave) on the CinC 2021 records labelled
  PAC (SNOMED 284470004) and the others, on the LUDB atrial fibrillation/flutter and sinus
  arrhythmia records, and on simulated ``afib`` (8 seeds, noise 0.05 mV, 500 and 250 Hz);
* ``nn``: MIT-BIH 100 (the wfdb sample): atrial premature beats found by
  :func:`interp_ecg.features.rhythm.premature_beats` on the annotated beats of the whole record,
  and the first 20 s through ``extract_record`` against the annotation NN statistics.

Usage::

    python benchmarks/premature_neighbours.py            # all three (~1 min)
    python benchmarks/premature_neighbours.py qt nn
"""

from __future__ import annotations

import logging
import sys
import warnings

import numpy as np

from interp_ecg import io
from interp_ecg.config import dataset_path
from interp_ecg.features import delineate, extract_record
from interp_ecg.features.rhythm import premature_beats
from interp_ecg.simulate.record import simulate_record

log = logging.getLogger("premature_neighbours")


def qt_table() -> None:
    for kind in ("bigeminy", "bigeminy+lqt", "pvc", "normal"):
        for fs in (500, 250):
            e, ec = [], []
            for seed in range(6):
                sig, _, info = simulate_record(kind, fs=fs, noise=0, random_state=seed)
                r = extract_record(sig, fs=fs)
                e.append(r["QT_interval_ms"] - info["qt_ms"])
                ec.append(r["QTc_Bazett_ms"] - info["qtc_bazett_ms"])
            print(f"QT {kind:13s} {fs} Hz: measured - truth per seed "
                  f"{' '.join(f'{v:+.0f}' for v in e)} (median {np.nanmedian(e):+.0f}); "
                  f"QTc Bazett median {np.nanmedian(ec):+.0f} ms; NaN {int(np.isnan(e).sum())}")


def _presence(sig, fs, leads=None) -> float:
    d = delineate(sig, fs, leads=leads)
    g = d[d.lead == "global"]
    return float(g["P_on"].notna().mean()) if len(g) else float("nan")


def p_table() -> None:
    ds = io.read_cinc(dataset_path("cinc2021"))
    pac, other = {}, {}
    for rid in ds.meta.index:
        rec = ds.subset([rid])[0]
        (pac if "284470004" in str(ds.meta.loc[rid, "dx"]).split(",") else other)[rid] = \
            _presence(rec.signal, rec.fs, rec.leads)
    print(f"P CinC PAC ({len(pac)}): " + " ".join(f"{k} {v:.2f}" for k, v in pac.items())
          + f" | presence 0 in {sum(v == 0 for v in pac.values())}")
    print(f"P CinC other ({len(other)}): presence 0 in {sum(v == 0 for v in other.values())}")
    lu = io.read_ludb(dataset_path("ludb"))
    for name, pattern in (("AF/flutter", "fibrillation|flutter"),
                          ("sinus arrhythmia/irregular", "Sinus arrhythmia|Irregular sinus")):
        ids = lu.meta.index[lu.meta["rhythm"].str.contains(pattern)]
        vals = [_presence(lu.subset([i])[0].signal, lu.fs, lu.leads) for i in ids]
        print(f"P LUDB {name} ({len(ids)}): {' '.join(f'{v:.2f}' for v in vals)} "
              f"| with any P {sum(v > 0 for v in vals)}")
    for fs in (500, 250):
        vals = [_presence(simulate_record("afib", fs=fs, noise=0.05, random_state=s)[0], fs)
                for s in range(8)]
        print(f"P simulated afib {fs} Hz (8): {' '.join(f'{v:.2f}' for v in vals)} "
              f"| with any P {sum(v > 0 for v in vals)}")


def nn_table() -> None:
    import wfdb
    path = str(dataset_path("wfdb-sample") / "100")
    a = wfdb.rdann(path, "atr")
    keep = np.isin(a.symbol, list("NAVLRaJS"))
    s, y = a.sample[keep], np.array(a.symbol)[keep]
    pm = premature_beats(np.diff(s) / a.fs * 1000.0)
    print(f"NN MIT-BIH 100 ({s.size} annotated beats, {(y == 'A').sum()} A): premature by the rule "
          f"{int((pm & (y == 'A')).sum())} A, {int((pm & (y == 'N')).sum())} N")
    m = wfdb.rdrecord(path, sampto=int(a.fs) * 20)
    r = extract_record(m.p_signal.T, fs=m.fs, leads=m.sig_name)
    first = (s < 20 * a.fs)
    rr = np.diff(s[first]) / a.fs * 1000.0
    yy = y[first]
    nn = (yy[:-1] == "N") & (yy[1:] == "N")
    d = np.diff(rr)
    okd = nn[:-1] & nn[1:]
    print(f"NN MIT-BIH 100 first 20 s: SDNN {r['SDNN_ms']:.1f} (annotation NN {np.std(rr[nn], ddof=1):.1f}), "
          f"RMSSD {r['RMSSD_ms']:.1f} ({np.sqrt(np.mean(d[okd] ** 2)):.1f}), pNN50 {r['pNN50']:.1f} "
          f"({100 * np.mean(np.abs(d[okd]) > 50):.1f})")


def main(argv: list[str]) -> None:
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    parts = argv or ["qt", "p", "nn"]
    for part in parts:
        {"qt": qt_table, "p": p_table, "nn": nn_table}[part]()


if __name__ == "__main__":
    main(sys.argv[1:])
