"""Calibration of the prototype network's outputs before and after ``calibrate`` (record-wise Platt).

Small preset; train = the first ``--train`` PTB-XL fold 1-8 records with a superclass label,
calibration = fold 9, test = fold 10 (superclass labels). Prints per class the test prevalence,
the mean output before and after calibration, the count at 0.5 and the AUROC before / after
(unchanged for a positive slope), and the fitted Platt parameters.

Usage::

    PYTHONPATH=$PWD INTERP_ECG_DATA=/work/shared/data python benchmarks/prototype_calibration.py --train 150
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings

import pandas as pd
from sklearn.metrics import roc_auc_score


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=150, help="training records (fold 1-8) before label filtering")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR)
    warnings.simplefilter("ignore")
    from interp_ecg import io
    from interp_ecg.config import data_root
    from interp_ecg.prototypes import ProtoECGNetClassifier

    ds = io.read_ptbxl(data_root(required=True) / "ptbxl", sampling_rate=100)
    fold = ds.meta.strat_fold

    def part(ids):
        sub = ds.subset(list(ids))
        y = io.ptbxl_superclass_labels(sub)
        return sub.subset(list(y.index)), y

    tr, ytr = part(ds.meta.index[fold <= 8][: args.train])
    va, yva = part(ds.meta.index[fold == 9])
    te, yte = part(ds.meta.index[fold == 10])
    print(f"train {len(ytr)}, calibration (fold 9) {len(yva)}, test (fold 10) {len(yte)}")
    t = time.perf_counter()
    clf = ProtoECGNetClassifier(preset="small", label_groups={"rhythm": ["NORM"]}, random_state=0, n_threads=1,
                                device="cpu").fit(tr, ytr)
    print(f"fit {time.perf_counter() - t:.0f} s; classes_ {clf.classes_}")
    before = pd.DataFrame(clf.predict_proba(te), index=yte.index, columns=clf.classes_)
    clf.calibrate(va, yva)
    after = pd.DataFrame(clf.predict_proba(te), index=yte.index, columns=clf.classes_)
    y = yte[clf.classes_]
    out = pd.DataFrame({
        "positive_weight": clf.positive_weights_, "test_prevalence": y.mean(),
        "mean_before": before.mean(), "mean_after": after.mean(),
        "n_at_0.5_before": (before >= 0.5).sum(), "n_at_0.5_after": (after >= 0.5).sum(), "n_true": y.sum(),
        "auroc_before": [roc_auc_score(y[c], before[c]) for c in clf.classes_],
        "auroc_after": [roc_auc_score(y[c], after[c]) for c in clf.classes_],
    })
    pd.set_option("display.width", 250)
    print(out.round(3).to_string())
    print(clf.calibration_.round(3).to_string())


if __name__ == "__main__":
    main()
