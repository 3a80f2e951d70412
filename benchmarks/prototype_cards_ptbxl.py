"""Prototype cards and the hybrid model on the shared PTB-XL records (500 Hz, 500 records).

Part A - cards of a real model: ``ProtoECGNetClassifier(preset="small")`` trained on
``strat_fold`` 1-8, cards computed on all 500 records (features from
:func:`interp_ecg.features.extract`, surrogate R^2 with 5 patient-wise folds). Prints the
surrogate R^2 distribution per branch, the share of prototypes with R^2 >= 0.5, and for
rhythm prototypes whether the measured rhythm of the source matches the class
(:data:`interp_ecg.explain.prototype_cards.RHYTHM_EXPECTATIONS`).

Part B - hybrid vs single blocks: cross-validation over ``strat_fold`` (``--folds 10``: each
fold once the test fold; ``--folds 5``: folds paired {1,2}, {3,4}, ...). In every split a
prototype network is trained on the training folds only, then three
:class:`~interp_ecg.models.HybridECGClassifier` (LightGBM) are fitted on the training folds:
measurements only, prototype similarities only, both. Out-of-fold probabilities of all 500
records are pooled; macro-AUROC with a 95% patient bootstrap CI, per diagnostic superclass
(NORM, MI, STTC, CD, HYP) and over the statements with >= ``--min-statement`` positives
among the 500, and the paired differences (same patient resamples for both models). The
ratio printed is each model's macro-AUROC to the features-only reference of the same run.

Run (2 shared cores, about 25 min; ``--epochs N`` sets the warm-up and joint epochs of the
small preset, 3 / 5 by default, for smaller budgets; last layer and fusion keep 30 / 50)::

    python benchmarks/prototype_cards_ptbxl.py --folds 10

Part C - reference for Part A: the similarities of one branch share a common factor, so the
raw R^2 can be high for every prototype. The same model is refitted (same seed), each
similarity has (1) its branch's mean similarity subtracted, (2) the first principal component of
all standardised similarities projected out, and the surrogates are refitted on each residual;
prints the mean pairwise correlation of the similarities and the first principal component's
share of their variance.

``--part a``, ``b`` or ``c`` runs one part.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from interp_ecg.config import dataset_path
from interp_ecg.evaluate.metrics import roc_auc
from interp_ecg.explain import prototype_cards
from interp_ecg.features import extract_cached
from interp_ecg.io import read_ptbxl
from interp_ecg.io.ptbxl import ptbxl_superclass_labels
from interp_ecg.models import HybridECGClassifier
from interp_ecg.prototypes import ProtoECGNetClassifier

log = logging.getLogger("prototype_cards_bench")


def proto_model(args, seed: int = 0) -> ProtoECGNetClassifier:
    return ProtoECGNetClassifier(preset="small", warmup_epochs=args.epochs, joint_epochs=args.epochs,  # None: preset
                                 min_positives=args.min_positives, device="cpu", n_threads=args.threads,
                                 random_state=seed)


def macro(y: np.ndarray, s: np.ndarray, idx: np.ndarray | None = None) -> float:
    vals = []
    for j in range(y.shape[1]):
        yy = y[:, j] if idx is None else y[idx, j]
        ss = s[:, j] if idx is None else s[idx, j]
        if 0 < yy.sum() < len(yy):
            vals.append(roc_auc(yy, ss))
    return float(np.mean(vals)) if vals else np.nan


def boot(y, scores: dict, groups, n_boot: int, seed: int = 0):
    """Patient bootstrap: macro-AUROC CI per model and paired differences vs 'features'."""
    rng = np.random.default_rng(seed)
    uniq, inv = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(inv == g) for g in range(len(uniq))]
    reps = {k: [] for k in scores}
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), len(uniq))
        idx = np.concatenate([members[g] for g in pick])
        for k, s in scores.items():
            reps[k].append(macro(y, s, idx))
    reps = {k: np.asarray(v) for k, v in reps.items()}
    rows = []
    ref = macro(y, scores["features"])
    for k, s in scores.items():
        est = macro(y, s)
        lo, hi = np.nanpercentile(reps[k], [2.5, 97.5])
        d = reps[k] - reps["features"]
        dlo, dhi = np.nanpercentile(d, [2.5, 97.5])
        rows.append({"model": k, "macro_auroc": est, "ci_low": lo, "ci_high": hi, "ratio_to_features": est / ref,
                     "diff_vs_features": est - ref, "diff_ci_low": dlo, "diff_ci_high": dhi})
    if "prototypes" in scores and "hybrid" in scores:
        d = reps["hybrid"] - reps["prototypes"]
        dlo, dhi = np.nanpercentile(d, [2.5, 97.5])
        rows.append({"model": "hybrid - prototypes", "macro_auroc": np.nan,
                     "diff_vs_features": macro(y, scores["hybrid"]) - macro(y, scores["prototypes"]),
                     "diff_ci_low": dlo, "diff_ci_high": dhi})
    return pd.DataFrame(rows)


def part_a(ds, feats, args) -> None:
    t0 = time.perf_counter()
    train = ds.meta.index[ds.meta["strat_fold"] <= 8]
    clf = proto_model(args).fit(ds.subset(list(train)), ds.labels.loc[train])
    t_fit = time.perf_counter() - t0
    t1 = time.perf_counter()
    cards = prototype_cards(clf, ds, feats, n_splits=5, surrogate_params={"n_estimators": args.trees})
    t_cards = time.perf_counter() - t1
    tab = cards.table
    if args.out:
        tab.to_csv(Path(args.out) / "cards_ptbxl.csv")
    print(f"\n== Part A: {len(tab)} prototypes of {len(clf.classes_)} statements "
          f"(small preset, warm-up/joint epochs {args.epochs or '3/5 (preset)'}, classes with >= "
          f"{args.min_positives} training positives); fit {t_fit:.0f} s, cards {t_cards:.0f} s")
    print("surrogate R^2 per branch (5 patient-wise folds, pooled out-of-fold):")
    desc = tab.groupby("branch")["surrogate_r2"].describe(percentiles=[0.25, 0.5, 0.75])
    desc["share_r2_ge_0.5"] = tab.groupby("branch")["explained"].mean()
    print(desc.round(3).to_string())
    print(f"all prototypes: median R^2 {tab['surrogate_r2'].median():.3f}, share R^2 >= 0.5 "
          f"{tab['explained'].mean():.3f} ({int(tab['explained'].sum())}/{len(tab)})")
    rh = tab[tab["branch"] == "rhythm"]
    judged = rh["rhythm_consistent"].dropna()
    print(f"rhythm prototypes: {len(rh)}; with a rule: {len(judged)}; source rhythm matches class: "
          f"{int(judged.astype(bool).sum())}/{len(judged)}")
    print(rh[["class", "P_wave_presence_fraction", "RR_irregularity", "heart_rate_bpm", "rhythm_expectation",
              "rhythm_consistent", "surrogate_r2"]].round(3).to_string())
    bbb = tab[tab["class"].isin(["CLBBB", "CRBBB"])]
    print(f"bundle-branch-block prototypes (CLBBB, CRBBB): QRS >= 120 ms on the source window in "
          f"{int((bbb['QRS_duration_ms'] >= 120).sum())}/{len(bbb)}; QRS (ms): {bbb['QRS_duration_ms'].round(0).tolist()}")
    norm_ids = [str(i) for i in ds.labels.index[ds.labels["NORM"] == 1]]
    f = feats.copy()
    f.index = f.index.map(str)
    pdur = f.reindex(norm_ids)["P_duration_ms"].dropna()
    print(f"reference: P_duration_ms on NORM records (median beat): median {pdur.median():.0f} ms, "
          f">= 120 ms in {(pdur >= 120).mean():.2f} of {len(pdur)}")
    measured = tab["n_beats_in_window"] > 0
    print(f"prototypes with >= 1 beat measured in the window: {int(measured.sum())}/{len(tab)}")
    print("examples:")
    for p in list(tab.index[:3]) + list(rh.index[:2]):
        print(f"  {p}: {tab.at[p, 'description']}")


def part_c(ds, feats, args) -> None:
    """Reference for Part A: how much of each prototype's *own* similarity the measurements explain.

    Similarities share a common factor; R^2 on the raw similarity can be high for every
    prototype because the measurements explain that factor. Here the same model (same seed:
    bit-identical on a CPU) is refitted and the surrogates are refitted on two residuals: the
    similarity minus its branch's mean similarity (per record), and the standardised similarity
    with the first principal component of all similarities projected out.
    """
    train = ds.meta.index[ds.meta["strat_fold"] <= 8]
    clf = proto_model(args).fit(ds.subset(list(train)), ds.labels.loc[train])
    sims = clf.transform(ds)
    branch = clf.prototype_sources_["branch"]
    corr = sims.corr().to_numpy()
    off = corr[~np.eye(len(corr), dtype=bool)]
    z = (sims - sims.mean()) / sims.std()
    ev = np.linalg.svd(z.dropna().to_numpy(), compute_uv=False) ** 2
    resid = sims.copy()
    for b in branch.unique():
        cols = list(branch.index[branch == b])
        resid[cols] = sims[cols].sub(sims[cols].mean(axis=1), axis=0)
    ok = z.notna().all(axis=1)
    _, _, vt = np.linalg.svd(z[ok].to_numpy(), full_matrices=False)
    v1 = vt[0]
    no_pc1 = z.copy()
    no_pc1.loc[ok] = z[ok].to_numpy() - np.outer(z[ok].to_numpy() @ v1, v1)
    print(f"\n== Part C (reference): similarities share a factor: mean pairwise correlation "
          f"{off.mean():.3f} (median {np.median(off):.3f}); first principal component {ev[0] / ev.sum():.3f} of the variance")
    for what, target in (("similarity minus its branch mean (per record)", resid),
                         ("standardised similarity with the first principal component projected out", no_pc1)):
        cards = prototype_cards(clf, ds, feats, similarities=target, n_splits=5,
                                surrogate_params={"n_estimators": args.trees})
        tab = cards.table
        print(f"surrogate R^2 of {what}:")
        desc = tab.groupby("branch")["surrogate_r2"].describe(percentiles=[0.25, 0.5, 0.75])
        desc["share_r2_ge_0.5"] = tab.groupby("branch")["explained"].mean()
        print(desc.round(3).to_string())
        print(f"all prototypes: median R^2 {tab['surrogate_r2'].median():.3f}, share R^2 >= 0.5 "
              f"{tab['explained'].mean():.3f} ({int(tab['explained'].sum())}/{len(tab)})")
        sys.stdout.flush()


def splits(meta: pd.DataFrame, k: int):
    folds = meta["strat_fold"].astype(int)
    if k == 10:
        return [(folds != f, folds == f) for f in range(1, 11)]
    if k == 5:
        return [(~folds.isin([a, a + 1]), folds.isin([a, a + 1])) for a in (1, 3, 5, 7, 9)]
    raise SystemExit("--folds must be 5 or 10")


def part_b(ds, feats, args) -> None:
    sup = ptbxl_superclass_labels(ds)
    stm = ds.labels
    common_st = [c for c in stm.columns if stm[c].sum() >= args.min_statement]
    targets = {"superclass": sup.astype(int), "statements": stm[common_st].astype(int)}
    y_all = pd.concat([targets["superclass"], targets["statements"].add_prefix("scp_")], axis=1)
    oof = {k: pd.DataFrame(np.nan, index=y_all.index, columns=y_all.columns) for k in ("features", "prototypes", "hybrid")}
    t0 = time.perf_counter()
    for i, (tr, te) in enumerate(splits(ds.meta, args.folds)):
        tr_ids, te_ids = list(ds.meta.index[tr.to_numpy()]), list(ds.meta.index[te.to_numpy()])
        ds_tr, ds_te = ds.subset(tr_ids), ds.subset(te_ids)
        net = proto_model(args, seed=i).fit(ds_tr, ds.labels.loc[tr_ids])
        for name, blocks in (("features", ("features",)), ("prototypes", ("prototypes",)),
                             ("hybrid", ("features", "prototypes"))):
            h = HybridECGClassifier(net, blocks=blocks, features=feats, estimators=("lgbm",),
                                    member_params={"lgbm": {"n_estimators": args.trees}}, random_state=0)
            h.fit(ds_tr, y_all.loc[tr_ids], groups=ds.meta.loc[tr_ids, "patient_id"].to_numpy())
            oof[name].loc[te_ids] = h.predict_proba(ds_te)
        log.info("split %d/%d done (%.0f s)", i + 1, args.folds, time.perf_counter() - t0)
    groups = ds.meta.loc[y_all.index, "patient_id"].astype(str).to_numpy()
    print(f"\n== Part B: {args.folds}-fold CV over strat_fold, 500 records, out-of-fold pooled "
          f"({time.perf_counter() - t0:.0f} s); LightGBM {args.trees} trees per label; patient bootstrap "
          f"{args.n_boot}")
    for tname, cols in (("diagnostic superclasses", list(sup.columns)),
                        (f"statements with >= {args.min_statement} positives ({len(common_st)}: "
                         f"{', '.join(common_st)})", [f"scp_{c}" for c in common_st])):
        y = y_all[cols].to_numpy()
        scores = {k: v[cols].to_numpy(float) for k, v in oof.items()}
        table = boot(y, scores, groups, args.n_boot)
        print(f"-- {tname}: macro-AUROC (95% CI), paired difference vs features only")
        print(table.round(3).to_string(index=False))
        per = pd.DataFrame({k: [roc_auc(y[:, j], s[:, j]) for j in range(y.shape[1])] for k, s in scores.items()},
                           index=cols)
        per["positives"] = y.sum(0)
        print(per.round(3).to_string())
    if args.out:
        for k, v in oof.items():
            v.to_csv(Path(args.out) / f"oof_{k}.csv")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", choices=("a", "b", "c", "ab", "ac", "abc"), default="abc")
    ap.add_argument("--epochs", type=int, default=None,
                    help="warm-up and joint epochs (default: the small preset's 3 / 5)")
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--min-positives", type=int, default=5, help="statements with fewer training positives are left out of the network")
    ap.add_argument("--min-statement", type=int, default=20)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--n-boot", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--cache", default=None, help="Parquet cache of the feature table")
    ap.add_argument("--out", default=None, help="folder for the card table and out-of-fold CSVs")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("interp_ecg", "lightgbm"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    ds = read_ptbxl(dataset_path("ptbxl"), sampling_rate=500)
    t0 = time.perf_counter()
    feats = extract_cached(ds, args.cache)
    print(f"features: {feats.shape[0]} records, {time.perf_counter() - t0:.0f} s")
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
    if "a" in args.part:
        part_a(ds, feats, args)
        sys.stdout.flush()
    if "b" in args.part:
        part_b(ds, feats, args)
        sys.stdout.flush()
    if "c" in args.part:
        part_c(ds, feats, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
