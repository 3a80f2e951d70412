"""The paper preset's optimisation at a CPU-sized network: how far each phase moves.

``ProtoECGNetClassifier(preset="paper")`` with its optimiser, schedule, dropout and early
stopping (Adam lr 1e-4, weight decay 1.7e-4, cosine, patience 10) but a CPU-sized network
(width 8, one block per stage, 2 / 3 / 2 prototypes per class) and 3 warm-up + 5 joint
epochs, trained on PTB-XL folds 1-8 with fold 9 as validation (the test fold is not used).
Prints, per phase, the first and last BCE and validation macro-AUROC and the number of epochs
run, then the validation macro-AUROC of the branch last layers and of the fusion output, and
the mean similarity after the push.

Run (a few minutes on 2 shared cores)::

    python benchmarks/prototype_paper_optimisation.py
"""

from __future__ import annotations

import logging
import sys

import pandas as pd
import torch

from interp_ecg.config import dataset_path
from interp_ecg.io import read_ptbxl
from interp_ecg.prototypes import ProtoECGNetClassifier
from interp_ecg.prototypes.data import to_array
from interp_ecg.prototypes.training import macro_auroc


def main() -> int:
    logging.basicConfig(level=logging.ERROR)
    torch.set_num_threads(1)
    ds = read_ptbxl(dataset_path("ptbxl"), sampling_rate=100)
    x, ids, ok = to_array(ds, highpass_hz=None)  # raw mV; the estimator high-passes once
    x, ids = x[ok], ids[ok]
    labels = ds.labels.loc[ids].astype(int)
    fold = pd.to_numeric(ds.meta.loc[ids, "strat_fold"]).to_numpy()
    tr, va = fold <= 8, fold == 9
    y = labels.loc[:, labels[tr].sum() > 0]
    clf = ProtoECGNetClassifier(preset="paper", width=8, blocks=(1, 1, 1, 1),
                                prototypes_per_class={"rhythm": 2, "morphology": 3, "global": 2},
                                warmup_epochs=3, joint_epochs=5, n_threads=1, device="cpu", random_state=0)
    clf.fit(x[tr], y[tr], X_val=x[va], y_val=y[va])
    h = clf.history_
    print("| phase | epochs run | BCE first -> last | validation macro-AUROC first -> last (best) |")
    print("|---|---|---|---|")
    for phase in ("warmup", "joint", "last_layer", "fusion"):
        r = h[h["phase"] == phase]
        v = r["val_macro_auroc"]
        print(f"| {phase} | {len(r)} | {r['bce'].iloc[0]:.2f} -> {r['bce'].iloc[-1]:.2f} | "
              f"{v.iloc[0]:.3f} -> {v.iloc[-1]:.3f} ({v.max():.3f}) |")
    model = clf.model_.eval()
    # through the estimator's own input path (the same filtering as in fit)
    sims = torch.as_tensor(clf.transform(x[va]).to_numpy(), dtype=torch.float32)
    yv = y[va][clf.classes_].to_numpy()
    with torch.no_grad():
        branch = model.branch_logits(sims).numpy()
    print(f"validation fold 9, kept weights: fusion {macro_auroc(yv, clf.decision_function(x[va])):.3f}, "
          f"branch last layers {macro_auroc(yv, branch):.3f}; mean similarity after push "
          f"{float(sims.mean()):.2f} (maximum scale "
          f"{max(b.prototype_layer.scale for b in model.branches.values()):.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
