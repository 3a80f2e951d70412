"""Prototype network vs black box on the shared PTB-XL sample; CinC 2021 external check;
effect of pre-training on a simulated cohort.

PTB-XL at 100 Hz (the shared 500-record sample), patient-wise folds: train 1-8, validate 9,
test 10. Both networks use the same backbones (ProtoECGNet branches) and the same budget
(black box: ``warmup + joint`` epochs of BCE; prototype model: warm-up, joint, push, last
layer, fusion). Nothing is tuned on fold 10 or on CinC.

Scored statements: those with at least ``--min-pos`` positives in the evaluated fold (and at
least one in training). Macro-AUROC = mean of per-statement AUROCs; 95% CIs from a
bootstrap over records (statements whose resample lacks a class are left out of that
resample's mean); the difference prototype - black box is a paired bootstrap.

Run (a few minutes per model on 2 shared cores)::

    python benchmarks/prototype_ptbxl_eval.py --width 4 --epochs 3

Prints a Markdown table (copied into docs/results_prototypes.md).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

import numpy as np
import pandas as pd
import torch

from interp_ecg.config import dataset_path
from interp_ecg.io import cinc_to_ptbxl_labels, protoecgnet_groups, ptbxl_split, read_cinc, read_ptbxl
from interp_ecg.prototypes import BlackBoxECGClassifier, ProtoECGNetClassifier
from interp_ecg.prototypes.data import simulated_cohort, to_array

log = logging.getLogger("prototype_eval")


def scorable(y: pd.DataFrame, train_pos: pd.Series, min_pos: int) -> list[str]:
    pos = y.sum()
    return [c for c in y.columns if pos[c] >= min_pos and (len(y) - pos[c]) >= min_pos and train_pos.get(c, 0) > 0]


def macro_auc(y: np.ndarray, s: np.ndarray) -> float:
    """Mean AUROC over columns with both classes (Mann-Whitney form, average ranks for ties)."""
    from scipy.stats import rankdata

    pos = y.sum(axis=0)
    neg = len(y) - pos
    ok = (pos > 0) & (neg > 0)
    if not ok.any():
        return float("nan")
    ranks = rankdata(s[:, ok], axis=0)
    p = pos[ok]
    auc = ((ranks * y[:, ok]).sum(axis=0) - p * (p + 1) / 2) / (p * neg[ok])
    return float(auc.mean())


def bootstrap(y: np.ndarray, scores: dict[str, np.ndarray], n_boot: int, seed: int) -> dict[str, tuple]:
    rng = np.random.default_rng(seed)
    point = {k: macro_auc(y, s) for k, s in scores.items()}
    draws = {k: [] for k in scores}
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        for k, s in scores.items():
            draws[k].append(macro_auc(y[idx], s[idx]))
    out = {k: (point[k], *np.nanpercentile(draws[k], [2.5, 97.5])) for k in scores}
    keys = list(scores)
    if len(keys) >= 2:
        d = np.asarray(draws[keys[0]]) - np.asarray(draws[keys[1]])
        out["diff"] = (point[keys[0]] - point[keys[1]], *np.nanpercentile(d, [2.5, 97.5]))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--width", type=int, default=4)
    ap.add_argument("--blocks", default="1,1,1,1")
    ap.add_argument("--epochs", type=int, default=3, help="warm-up and joint epochs each")
    ap.add_argument("--prototypes", default="2,3,2", help="per class: rhythm,morphology,global")
    ap.add_argument("--min-pos", type=int, default=2)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--synthetic", type=int, default=400, help="records of the simulated pre-training cohort (0: skip)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    torch.set_num_threads(1)
    t_all = time.perf_counter()

    ds = read_ptbxl(dataset_path("ptbxl"), sampling_rate=100)
    groups = protoecgnet_groups(ds)
    split = ptbxl_split(ds)
    arrays = {}
    for name, part in split.items():
        x, ids, ok = to_array(part)
        arrays[name] = (x[ok], part.labels.loc[ids[ok]].astype(int))
        print(f"{name}: {int(ok.sum())} records ({int((~ok).sum())} unreadable), "
              f"{part.meta['patient_id'].nunique()} patients")
    xtr, ytr = arrays["train"]
    ppc = dict(zip(("rhythm", "morphology", "global"), map(int, args.prototypes.split(","))))
    blocks = tuple(map(int, args.blocks.split(",")))
    common = dict(label_groups=groups, width=args.width, blocks=blocks, random_state=args.seed, n_threads=1)
    proto_kw = dict(common, prototypes_per_class=ppc, warmup_epochs=args.epochs, joint_epochs=args.epochs,
                    last_layer_epochs=5, fusion_epochs=30)

    fitted = {}
    t0 = time.perf_counter()
    fitted["prototype"] = ProtoECGNetClassifier(**proto_kw).fit(xtr, ytr)
    print(f"prototype model: {len(fitted['prototype'].classes_)} classes, "
          f"{len(fitted['prototype'].feature_names_out_)} prototypes, fit {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    fitted["black box"] = BlackBoxECGClassifier(**common, epochs=2 * args.epochs).fit(xtr, ytr)
    print(f"black box: fit {time.perf_counter() - t0:.0f} s")
    if args.synthetic:
        t0 = time.perf_counter()
        xs, ys = simulated_cohort(args.synthetic, random_state=args.seed + 1)
        synth = ProtoECGNetClassifier(**dict(proto_kw, label_groups=groups)).fit(xs, ys)
        fitted["prototype, synthetic pre-training"] = ProtoECGNetClassifier(
            **dict(proto_kw, pretrained=synth)).fit(xtr, ytr)
        print(f"synthetic pre-training ({args.synthetic} simulated records, {ys.shape[1]} statements) + fine-tune: "
              f"{time.perf_counter() - t0:.0f} s")

    classes = fitted["prototype"].classes_
    train_pos = ytr[classes].sum()
    def evaluate(label: str, x: np.ndarray, y: pd.DataFrame) -> tuple:
        cols = scorable(y[classes], train_pos, args.min_pos)
        if not cols:
            return (label, len(y), cols, {})
        scores = {name: pd.DataFrame(clf.predict_proba(x), columns=clf.classes_)[cols].to_numpy()
                  for name, clf in fitted.items()}
        yy = y[cols].to_numpy()
        res = bootstrap(yy, {"prototype": scores["prototype"], "black box": scores["black box"]}, args.n_boot, args.seed)
        pre = [k for k in scores if k.startswith("prototype, ")]
        if pre:
            res_pt = bootstrap(yy, {pre[0]: scores[pre[0]], "prototype": scores["prototype"]}, args.n_boot, args.seed)
            res[pre[0]] = res_pt[pre[0]]
            res["pretrain_diff"] = res_pt["diff"]
        return (label, len(y), cols, res)

    rows = [evaluate("PTB-XL fold 9 (val)", *arrays["val"]), evaluate("PTB-XL fold 10 (test)", *arrays["test"])]
    # external check: CinC 2021 (resampled 500 -> 100 Hz on load); never used for choices
    cinc = read_cinc(dataset_path("cinc2021"))
    yc = cinc_to_ptbxl_labels(cinc, statements=classes)
    xc, idc, okc = to_array(cinc)
    rows.append(evaluate("CinC 2021 (external)", xc[okc], yc.loc[idc[okc]].astype(int)))

    print(f"\n| data | records | statements scored | prototype macro-AUROC (95% CI) | black box | "
          f"prototype - black box | prototype after synthetic pre-training | pre-trained - prototype |")
    print("|---|---|---|---|---|---|---|---|")
    fmt = lambda t: f"{t[0]:.3f} ({t[1]:.3f}-{t[2]:.3f})" if t else "-"
    for name, n, cols, res in rows:
        pt = next((k for k in res if k.startswith("prototype, ")), None)
        print(f"| {name} | {n} | {len(cols)} | {fmt(res.get('prototype'))} | {fmt(res.get('black box'))} | "
              f"{fmt(res.get('diff'))} | {fmt(res.get(pt)) if pt else '-'} | {fmt(res.get('pretrain_diff'))} |")
    for name, n, cols, res in rows:
        print(f"{name}: scored statements {cols}")
    print(f"\ntotal {time.perf_counter() - t_all:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
