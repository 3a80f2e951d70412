"""Why the small preset uses random prototype initialisation and 30 / 50 last-layer / fusion epochs.

Trains ``ProtoECGNetClassifier(preset="small")`` on PTB-XL folds 1-8 of the shared sample and
scores the **validation fold 9** (never the test fold) under three settings:

1. prototypes initialised from training patches, 5 / 10 last-layer / fusion epochs (the
   previous implementation's choices);
2. random (standard-normal, ProtoECGNet's) initialisation, 5 / 10 epochs;
3. random initialisation, 30 / 50 epochs (the small preset).

Prints, per setting, the macro-AUROC of the fusion output, of the branch last layers and of
the best own-class similarity, and the weighted loss terms of the last joint epoch.

Run (a few minutes on 2 shared cores)::

    python benchmarks/prototype_small_settings.py
"""

from __future__ import annotations

import logging
import sys
import time

import numpy as np
import pandas as pd
import torch

from interp_ecg.config import dataset_path
from interp_ecg.io import read_ptbxl
from interp_ecg.prototypes import ProtoECGNetClassifier
from interp_ecg.prototypes.data import to_array
from interp_ecg.prototypes.training import macro_auroc

SETTINGS = {
    "patches, 5/10 epochs": dict(prototype_init="patches", last_layer_epochs=5, fusion_epochs=10),
    "random, 5/10 epochs": dict(prototype_init="random", last_layer_epochs=5, fusion_epochs=10),
    "random, 30/50 epochs (small preset)": dict(prototype_init="random", last_layer_epochs=30, fusion_epochs=50),
}


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
    print(f"train folds 1-8: {int(tr.sum())} records; scored on validation fold 9: {int(va.sum())} records")
    print("| setting | fusion | branch last layers | best own-class similarity | joint BCE | diversity | "
          "contrastive | fit s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, kw in SETTINGS.items():
        t0 = time.perf_counter()
        clf = ProtoECGNetClassifier(preset="small", n_threads=1, device="cpu", random_state=0, **kw).fit(x[tr], y[tr])
        secs = time.perf_counter() - t0
        yv = y[va][clf.classes_].to_numpy()
        model = clf.model_.eval()
        # through the estimator's own input path (the same filtering as in fit)
        sims = clf.transform(x[va]).to_numpy()
        ident = model.class_identity.numpy()
        best = np.stack([sims[:, ident[:, k] > 0].max(1) for k in range(ident.shape[1])], 1)
        with torch.no_grad():
            branch = model.branch_logits(torch.as_tensor(sims, dtype=torch.float32)).numpy()
        joint = clf.history_[clf.history_["phase"] == "joint"].iloc[-1]
        print(f"| {name} | {macro_auroc(yv, clf.decision_function(x[va])):.3f} | {macro_auroc(yv, branch):.3f} | "
              f"{macro_auroc(yv, best):.3f} | {joint['bce']:.2f} | {joint['diversity']:.2f} | "
              f"{joint['contrastive']:.2f} | {secs:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
