"""Speed of the synthetic ECG generator against NeuroKit2's ECGSYN, measured in the same run.

Prints, for 12-lead, 10 s, 500 Hz records on ONE core (BLAS/OpenMP threads pinned to 1):

* interp_ecg.simulate.simulate_record (default condition mix, typical noise): records/s;
* neurokit2.ecg_simulate(method="ecgsyn") called once per lead (12 calls = one record): records/s;
* their ratio;
* interp_ecg.simulate.cohort (n_jobs=1): records/s including writing the 500 Hz and 100 Hz
  WFDB files, the ground-truth Parquet, the database and the diagnoses, and the WFDB writing
  alone.

Both wall-clock and process CPU time are reported (the machine may be shared; CPU time is the
fairer one-core figure). Run: ``python benchmarks/simulate_speed.py [--n 200] [--nk 4]``.
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402


def _timed(fn, *args, **kw):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kw)
    return out, time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200, help="records for interp_ecg (default 200)")
    ap.add_argument("--nk", type=int, default=4, help="12-lead records for NeuroKit2 (default 4)")
    args = ap.parse_args()

    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    except (AttributeError, OSError):
        pass

    from interp_ecg.simulate import DEFAULT_MIX, simulate_record
    from interp_ecg.simulate.cohort import PTBXL_LEAD_NAMES, cohort
    from interp_ecg.simulate.wfdb_writer import write_record

    names = list(DEFAULT_MIX)
    p = np.array(list(DEFAULT_MIX.values()))
    conds = np.random.default_rng(0).choice(names, size=args.n, p=p / p.sum())
    simulate_record("normal", random_state=0)  # warm-up (imports, caches)

    def ours():
        return [simulate_record(c, fs=500, duration=10, noise=1.0, random_state=i) for i, c in enumerate(conds)]

    recs, w_ours, c_ours = _timed(ours)
    print(f"interp_ecg.simulate.simulate_record: {args.n} records, wall {w_ours:.2f} s -> "
          f"{args.n / w_ours:.1f} records/s; CPU {c_ours:.2f} s -> {args.n / c_ours:.1f} records/s")

    import neurokit2 as nk

    nk.ecg_simulate(duration=10, sampling_rate=500, method="ecgsyn", random_state=0)  # warm-up

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for r in range(args.nk):
                for lead in range(12):
                    nk.ecg_simulate(duration=10, sampling_rate=500, method="ecgsyn", random_state=r * 12 + lead)

    _, w_nk, c_nk = _timed(theirs)
    print(f"neurokit2.ecg_simulate(method='ecgsyn') x12 leads: {args.nk} records, wall {w_nk:.2f} s -> "
          f"{args.nk / w_nk:.2f} records/s ({w_nk / args.nk:.3f} s per 12-lead record); CPU {c_nk:.2f} s -> "
          f"{args.nk / c_nk:.2f} records/s")
    print(f"speed ratio interp_ecg / neurokit2 ECGSYN: wall {(args.n / w_ours) / (args.nk / w_nk):.0f}x, "
          f"CPU {(args.n / c_ours) / (args.nk / c_nk):.0f}x")
    print(f"target >= 30 records/s on one core: {'MET' if args.n / c_ours >= 30 else 'NOT MET'} "
          f"(CPU-time figure; wall figure {args.n / w_ours:.1f})")

    with tempfile.TemporaryDirectory() as d:
        def write_all():
            for i, r in enumerate(recs):
                write_record(os.path.join(d, "w", f"{i:05d}_hr"), r.signal, 500, PTBXL_LEAD_NAMES)

        _, w_wr, c_wr = _timed(write_all)
        print(f"WFDB writing alone (500 Hz, format 16): wall {args.n / w_wr:.0f} records/s, CPU {args.n / c_wr:.0f} records/s")
        _, w_co, c_co = _timed(cohort, args.n, os.path.join(d, "c"), random_state=0, progress=False, n_jobs=1)
        print(f"interp_ecg.simulate.cohort (generate + write 500 & 100 Hz + truth + tables), n_jobs=1: "
              f"wall {w_co:.2f} s -> {args.n / w_co:.1f} records/s; CPU {args.n / c_co:.1f} records/s")


if __name__ == "__main__":
    main()
