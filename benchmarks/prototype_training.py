"""Training throughput of the ProtoECGNet-style network (records/s), CPU now, GPU + AMP when lent.

Every figure is printed with its ratio to a reference measured in the same run:

* CPU mode (default): warm-up and joint epochs of the prototype network on simulated
  records (``interp_ecg.simulate``), against the black-box network with the same
  backbones (reference = black-box training records/s).
* GPU mode (``--gpu``): a 20,000-record simulated cohort (12 leads, 10 s, 100 Hz), the
  prototype network at ``--width`` (64 = paper preset) with float32 and with mixed precision
  (bfloat16 autocast where supported, else float16 + gradient scaling), each against the float32 run (reference), and against the CPU
  throughput of the same configuration measured on ``--cpu-records`` records in the same
  run. The cohort is simulated in parallel on the machine's cores (``--n-unique`` distinct
  records tiled with random circular shifts to reach ``--records``, to keep simulation
  inside the device budget; this is said in the output).

Run
---
CPU, both presets (``PRESETS["small"]`` and ``PRESETS["paper"]``: widths, blocks, prototypes per
class, dropout as the estimator uses them; a few minutes on 2 shared cores)::

    python benchmarks/prototype_training.py --records 64 --epochs 2

GPU session (prepared; budget a few minutes of device time)::

    PYTHONPATH=. PYTHONUNBUFFERED=1 python benchmarks/prototype_training.py --gpu \\
        --records 20000 --n-unique 4000 --width 64 --epochs 1 --batch-size 256

Nothing is asserted: the script prints the figures, for docs/results_prototypes.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time

import numpy as np
import torch

from interp_ecg.prototypes.data import highpass, resolve_label_groups, simulated_cohort
from interp_ecg.prototypes.estimator import PRESETS
from interp_ecg.prototypes.model import DEFAULT_BRANCH_TYPES, BlackBoxECGNet, BranchSpec, ProtoECGNet
from interp_ecg.prototypes.training import PHASES, ProtoTrainer, TrainConfig, train_blackbox

log = logging.getLogger("benchmark")

PTBXL_GROUPS = {  # the ProtoECGNet branches of the statements the simulator emits
    "rhythm": ["SR", "AFIB", "STACH", "SBRAD", "SVTAC", "1AVB"],
    "global": ["NORM"],
}


def specs_for(labels, ppc: dict[str, int]) -> list[BranchSpec]:
    groups = resolve_label_groups(list(labels.columns), PTBXL_GROUPS)
    return [BranchSpec(n, cls, *DEFAULT_BRANCH_TYPES.get(n, ("2d", "partial")), ppc.get(n, 2))
            for n, cls in groups.items()]


def cohort(n: int, n_unique: int, seed: int, n_jobs: int):
    t0 = time.perf_counter()
    x, y = simulated_cohort(min(n, n_unique), random_state=seed, n_jobs=n_jobs)
    if n > len(x):
        rng = np.random.default_rng(seed)
        pick = rng.integers(0, len(x), size=n)
        shift = rng.integers(0, x.shape[-1], size=n)
        x = np.stack([np.roll(x[i], s, axis=-1) for i, s in zip(pick, shift)])
        y = y.iloc[pick].reset_index(drop=True)
    x = highpass(x, 100.0, 0.5)
    y = y.loc[:, y.sum() > 0]
    print(f"cohort: {len(x)} records ({min(n, n_unique)} simulated, rest tiled with circular shifts), "
          f"{y.shape[1]} statements, built in {time.perf_counter() - t0:.1f} s")
    return x, y


def proto_throughput(x, y, specs, width, epochs, batch_size, device, amp, seed, blocks=(2, 2, 2, 2),
                     dropout=0.0) -> dict[str, float]:
    torch.manual_seed(seed)
    model = ProtoECGNet(specs, width=width, blocks=blocks, dropout=dropout, seed=seed)
    cfg = TrainConfig(warmup_epochs=epochs, joint_epochs=epochs, last_layer_epochs=1, fusion_epochs=1,
                      batch_size=batch_size)
    tr = ProtoTrainer(model, x, y.to_numpy(), list(range(len(x))), cfg, device=device, amp=amp, random_state=seed)
    out = {}
    for phase in PHASES:
        t0 = time.perf_counter()
        tr.run_phase(phase)
        if tr.device.type == "cuda":
            torch.cuda.synchronize()
        out[f"{phase}_s"] = time.perf_counter() - t0
    hist = [h for h in tr.history if h["phase"] in ("warmup", "joint")]
    # the first epoch of a phase includes start-up costs (cuDNN autotuning): report the last
    for phase in ("warmup", "joint"):
        rows = [h for h in hist if h["phase"] == phase]
        out[f"{phase}_records_per_s"] = rows[-1]["records_per_s"]
    out["push_records_per_s"] = len(x) / out["push_s"]
    if tr.device.type == "cuda":
        out["peak_gpu_mem_gib"] = torch.cuda.max_memory_allocated() / 2**30
    return out


def blackbox_throughput(x, y, specs, width, epochs, batch_size, device, amp, seed, blocks=(2, 2, 2, 2),
                        dropout=0.0) -> float:
    torch.manual_seed(seed)
    model = BlackBoxECGNet(specs, width=width, blocks=blocks, dropout=dropout)
    hist = train_blackbox(model, x, y.to_numpy(), epochs, batch_size, device=device, amp=amp, random_state=seed)
    return hist[-1]["records_per_s"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gpu", action="store_true", help="GPU + AMP mode (needs CUDA)")
    ap.add_argument("--records", type=int, default=None, help="records (CPU default 96, GPU 20000)")
    ap.add_argument("--n-unique", type=int, default=4000, help="distinct simulated records (GPU mode)")
    ap.add_argument("--cpu-records", type=int, default=32, help="records of the CPU reference in GPU mode")
    ap.add_argument("--width", type=int, default=None, help="backbone width (CPU default 8, GPU 32)")
    ap.add_argument("--epochs", type=int, default=2, help="epochs per trained phase (last one timed)")
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--prototypes", default="5,18,7", help="GPU mode, per class: rhythm,morphology,global (paper 5,18,7)")
    ap.add_argument("--preset", default="both", choices=("both", "small", "paper"), help="CPU mode: which presets")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is best on a shared machine)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dry-run-cpu", action="store_true",
                    help="run the --gpu flow on the CPU (tiny sizes; checks the script, measures nothing useful)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)
    ppc = dict(zip(("rhythm", "morphology", "global"), map(int, args.prototypes.split(","))))
    print(f"python {platform.python_version()}, torch {torch.__version__}, {os.cpu_count()} CPUs, "
          f"torch threads {torch.get_num_threads()}, cuda {torch.cuda.is_available()}")

    if not args.gpu:
        n = args.records or 96
        bs = args.batch_size or 32
        x, y = cohort(n, n, args.seed, n_jobs=1)
        presets = ["small", "paper"] if args.preset == "both" else [args.preset]
        ref_small = None
        for name in presets:
            st = PRESETS[name]
            width = args.width or st["width"]
            specs = specs_for(y, st["prototypes_per_class"])
            print(f"\npreset {name}: width {width}, blocks {st['blocks']}, branches: "
                  + ", ".join(f"{s.name}({len(s.classes)} classes x {s.prototypes_per_class})" for s in specs))
            ref = blackbox_throughput(x, y, specs, width, args.epochs, bs, "cpu", False, args.seed, st["blocks"],
                                      st["dropout"])
            res = proto_throughput(x, y, specs, width, args.epochs, bs, "cpu", False, args.seed, st["blocks"],
                                   st["dropout"])
            print(f"CPU, batch {bs}, {n} records, {torch.get_num_threads()} torch thread(s)")
            print(f"  reference  black-box training       {ref:8.1f} records/s")
            for k in ("warmup", "joint", "push"):
                v = res[f"{k}_records_per_s"]
                print(f"  prototype  {k:<10} {'training' if k != 'push' else 'projection':<12} {v:8.1f} records/s"
                      f"   ratio to black box {v / ref:.2f}")
            print(f"  phase wall times: " + ", ".join(f"{p} {res[p + '_s']:.1f} s" for p in PHASES))
            if name == "small":
                ref_small = res["joint_records_per_s"]
            elif ref_small:
                print(f"  paper / small joint-phase throughput: {res['joint_records_per_s'] / ref_small:.3f}")
        return 0

    dev = "cpu" if args.dry_run_cpu else "cuda"
    if dev == "cuda" and not torch.cuda.is_available():
        print("--gpu asked for but torch.cuda.is_available() is False", file=sys.stderr)
        return 2
    torch.backends.cudnn.benchmark = True
    n = args.records or 20000
    width = args.width or 64
    bs = args.batch_size or 256
    print(f"GPU: {torch.cuda.get_device_name(0)}" if dev == "cuda" else "DRY RUN on the CPU (AMP falls back to fp32)")
    x, y = cohort(n, args.n_unique, args.seed, n_jobs=os.cpu_count() or 1)
    specs = specs_for(y, ppc)
    print(f"branches: " + ", ".join(f"{s.name}({len(s.classes)} classes x {s.prototypes_per_class})" for s in specs))
    fp32 = proto_throughput(x, y, specs, width, args.epochs, bs, dev, False, args.seed)
    amp = proto_throughput(x, y, specs, width, args.epochs, bs, dev, True, args.seed)
    bb = blackbox_throughput(x, y, specs, width, args.epochs, bs, dev, True, args.seed)
    m = args.cpu_records
    if dev == "cuda":
        torch.set_num_threads(min(os.cpu_count() or 1, 16))
    cpu = proto_throughput(x[:m], y.iloc[:m], specs, width, 1, min(bs, 32), "cpu", False, args.seed)
    print(f"\nGPU, width {width}, batch {bs}, {n} records (CPU reference: {m} records, {torch.get_num_threads()} threads)")
    for k in ("warmup", "joint", "push"):
        a, f, c = amp[f"{k}_records_per_s"], fp32[f"{k}_records_per_s"], cpu[f"{k}_records_per_s"]
        print(f"  {k:<7} fp32 {f:9.1f} rec/s | AMP {a:9.1f} rec/s  AMP/fp32 {a / f:.2f} | "
              f"CPU {c:7.1f} rec/s  AMP/CPU {a / c:.1f}")
    print(f"  black-box AMP training {bb:9.1f} rec/s; prototype joint AMP / black-box {amp['joint_records_per_s'] / bb:.2f}")
    if dev == "cuda":
        print(f"  peak GPU memory: fp32 {fp32['peak_gpu_mem_gib']:.1f} GiB, AMP {amp['peak_gpu_mem_gib']:.1f} GiB")
    print(f"  AMP phase wall times: " + ", ".join(f"{p} {amp[p + '_s']:.1f} s" for p in PHASES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
