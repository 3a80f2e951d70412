"""Prototype network vs a same-backbone black box on the shared PTB-XL sample (100 Hz).

Two designs, both patient-wise through PTB-XL's ``strat_fold``:

* ``--design split``: train folds 1-8, validate 9 (passed as ``X_val`` to both models: early
  stopping where the preset uses it), test 10 - as the paper.
* ``--design cv``: 10-fold cross-validation over ``strat_fold`` (each fold the test fold once,
  the other nine train), out-of-fold predictions of all records pooled. 66 test records alone
  give intervals too wide to compare; pooled out-of-fold predictions use all 500.

Both models are trained the same way (the preset's optimiser, schedule, epochs and validation;
black box: ``warm-up + joint`` epochs). Statements scored: at least ``--min-pos`` positives and
negatives among the evaluated records and present in training. Macro-AUROC and 95% CIs from
:func:`interp_ecg.evaluate.metrics_table` (bootstrap over patients); the paired difference
prototype - black box uses the same patient resamples for both models.

Run (2 shared cores)::

    python benchmarks/prototype_ptbxl_eval.py --preset small --design cv
    python benchmarks/prototype_ptbxl_eval.py --preset small --design split
    python benchmarks/prototype_ptbxl_eval.py --preset paper --design split --epochs 3

``--epochs N`` sets the warm-up and joint epochs (and the black box's to 2N) for CPU budgets; say
so when quoting. Last layer and fusion keep the preset's epochs (paper: up to 200 with early
stopping on fold 9), as they train on similarities computed once.
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
from interp_ecg.evaluate import metrics_table
from interp_ecg.evaluate.metrics import roc_auc
from interp_ecg.io import read_ptbxl
from interp_ecg.prototypes import BlackBoxECGClassifier, ProtoECGNetClassifier
from interp_ecg.prototypes.data import default_label_groups, simulated_cohort, to_array
from interp_ecg.prototypes.estimator import PRESETS

log = logging.getLogger("prototype_eval")


def paired_macro_diff(y: np.ndarray, a: np.ndarray, b: np.ndarray, groups: np.ndarray, n_boot: int,
                      seed: int) -> tuple[float, float, float]:
    """Macro-AUROC(a) - macro-AUROC(b) with a patient bootstrap CI (same resamples for both)."""
    def macro(idx):
        vals = []
        for j in range(y.shape[1]):
            yy = y[idx, j]
            if 0 < yy.sum() < len(yy):
                vals.append(roc_auc(yy, a[idx, j]) - roc_auc(yy, b[idx, j]))
        return float(np.mean(vals)) if vals else np.nan

    codes, uniq = pd.factorize(pd.Series(groups))
    members = [np.flatnonzero(codes == g) for g in range(len(uniq))]
    rng = np.random.default_rng(seed)
    point = macro(np.arange(len(y)))
    reps = [macro(np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))]))
            for _ in range(n_boot)]
    lo, hi = np.nanpercentile(reps, [2.5, 97.5])
    return point, float(lo), float(hi)


def models(args, groups):
    kw = dict(preset=args.preset, label_groups=groups, random_state=args.seed, n_threads=1, device="cpu")
    pkw, bkw = {}, {}
    if args.epochs:
        # the backbone phases are what costs; last layer and fusion train on similarities computed
        # once (a fraction of a second per epoch) and keep the preset's epochs / early stopping
        pkw = dict(warmup_epochs=args.epochs, joint_epochs=args.epochs)
        bkw = dict(epochs=2 * args.epochs)
    return ProtoECGNetClassifier(**kw, **pkw), BlackBoxECGClassifier(**kw, **bkw)


def fit_predict(args, groups, x_tr, y_tr, x_te, x_val=None, y_val=None, x_pre=None, y_pre=None):
    proto, bb = models(args, groups)
    out, secs = {}, {}
    t0 = time.perf_counter()
    proto.fit(x_tr, y_tr, X_val=x_val, y_val=y_val)
    secs["prototype"] = time.perf_counter() - t0
    out["prototype"] = pd.DataFrame(proto.predict_proba(x_te), columns=proto.classes_)
    t0 = time.perf_counter()
    bb.fit(x_tr, y_tr, X_val=x_val, y_val=y_val)
    secs["black box"] = time.perf_counter() - t0
    out["black box"] = pd.DataFrame(bb.predict_proba(x_te), columns=bb.classes_)
    if x_pre is not None:
        t0 = time.perf_counter()
        synth, _ = models(args, groups)
        synth.fit(x_pre, y_pre)
        pre, _ = models(args, groups)
        pre.set_params(pretrained=synth).fit(x_tr, y_tr, X_val=x_val, y_val=y_val)
        secs["prototype, synthetic pre-training"] = time.perf_counter() - t0
        out["prototype, synthetic pre-training"] = pd.DataFrame(pre.predict_proba(x_te), columns=pre.classes_)
    log.warning("fit seconds: %s", {k: round(v) for k, v in secs.items()})
    return out, secs, proto


def report(y: pd.DataFrame, scores: dict[str, pd.DataFrame], patients: np.ndarray, args, title: str) -> None:
    cols = [c for c in y.columns if args.min_pos <= y[c].sum() <= len(y) - args.min_pos
            and all(c in s.columns and s[c].notna().all() for s in scores.values())]
    yy = y[cols].to_numpy()
    print(f"\n{title}: {len(y)} records, {len(set(patients))} patients, {len(cols)} statements scored: {cols}")
    print("| model | macro-AUROC (95% CI, patient bootstrap) |")
    print("|---|---|")
    for name, s in scores.items():
        tab = metrics_table(yy, s[cols].to_numpy(), groups=patients, n_boot=args.n_boot, random_state=args.seed,
                            labels=cols, metrics=("roc_auc",))
        r = tab[(tab["label"] == "macro") & (tab["metric"] == "roc_auc")].iloc[0]
        print(f"| {name} | {r['estimate']:.3f} ({r['ci_low']:.3f}-{r['ci_high']:.3f}) |")
    pairs = [("prototype", "black box")]
    if "prototype, synthetic pre-training" in scores:
        pairs.append(("prototype, synthetic pre-training", "prototype"))
    for a, b in pairs:
        d = paired_macro_diff(yy, scores[a][cols].to_numpy(), scores[b][cols].to_numpy(), patients, args.n_boot,
                              args.seed)
        print(f"| {a} - {b} (paired) | {d[0]:+.3f} ({d[1]:+.3f} to {d[2]:+.3f}) |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="small", choices=sorted(PRESETS))
    ap.add_argument("--design", default="split", choices=("split", "cv"))
    ap.add_argument("--epochs", type=int, default=0, help="warm-up and joint epochs (0: the preset's)")
    ap.add_argument("--min-pos", type=int, default=2)
    ap.add_argument("--n-boot", type=int, default=1000)
    ap.add_argument("--synthetic", type=int, default=0, help="simulated pre-training records (0: skip)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    torch.set_num_threads(1)
    t_all = time.perf_counter()
    ds = read_ptbxl(dataset_path("ptbxl"), sampling_rate=100)
    x, ids, ok = to_array(ds, highpass_hz=None)  # raw mV; the estimator high-passes once
    x, ids = x[ok], ids[ok]
    labels = ds.labels.loc[ids].astype(int)
    labels = labels.loc[:, labels.sum() > 0]
    fold = pd.to_numeric(ds.meta.loc[ids, "strat_fold"]).to_numpy()
    patients = ds.meta.loc[ids, "patient_id"].astype(str).to_numpy()
    groups = default_label_groups()
    print(f"{len(ids)} readable records, {labels.shape[1]} statements with a positive; preset {args.preset}, "
          f"epochs cap {args.epochs or 'none'}")
    pre = simulated_cohort(args.synthetic, random_state=args.seed + 1) if args.synthetic else (None, None)
    if args.design == "split":
        tr, va, te = fold <= 8, fold == 9, fold == 10
        scores, secs, proto = fit_predict(args, groups, x[tr], labels[tr], x[te], x[va], labels[va], *pre)
        print(f"prototype model: {len(proto.classes_)} classes, {len(proto.feature_names_out_)} prototypes; "
              f"fit seconds {({k: round(v) for k, v in secs.items()})}")
        report(labels[te].reset_index(drop=True), scores, patients[te], args, "PTB-XL fold 10 (test)")
    else:
        oof: dict[str, pd.DataFrame] = {}
        for k in range(1, 11):
            tr, te = fold != k, fold == k
            scores, secs, _ = fit_predict(args, groups, x[tr], labels[tr], x[te])
            for name, s in scores.items():
                frame = s.reindex(columns=labels.columns)
                frame.index = np.flatnonzero(te)
                oof[name] = frame if name not in oof else pd.concat([oof[name], frame])
            print(f"fold {k}: {int(te.sum())} test records, fit seconds {({n: round(v) for n, v in secs.items()})}",
                  flush=True)
        oof = {n: f.sort_index().reset_index(drop=True) for n, f in oof.items()}
        report(labels.reset_index(drop=True), oof, patients, args, "10-fold CV over strat_fold (out-of-fold)")
    print(f"\ntotal {time.perf_counter() - t_all:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
