"""Cost of the honest SHAP baseline and of routing missing values as missing, against references.

Two figures, each with its reference measured in the same run:

1. SHAP of the default random forest (300 trees) on 200 rows x 40 features:
   :func:`interp_ecg.explain.shap_explanation` (interventional Tree SHAP against a background
   of 100 rows, base value = the forest's mean prediction on them) vs shap's path-dependent
   TreeExplainer on the same rows (base value = the class-balanced training expectation,
   ~0.5, background ignored).
2. Fitting the boosters with the package's defaults (300 trees) on 5,000 rows x 40 features:
   :class:`~interp_ecg.models.boosters.MissingAwareLGBMClassifier` /
   :class:`~interp_ecg.models.boosters.MissingAwareXGBClassifier` vs the libraries' own
   classifiers with the same settings.

Usage::

    python benchmarks/explain_missing_cost.py            # ~1 min on 2 shared cores
    python benchmarks/explain_missing_cost.py --repeat 3 # best of 3
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    import lightgbm
    import shap
    import xgboost

    from interp_ecg.explain import shap_explanation
    from interp_ecg.models import EnsembleClassifier
    from interp_ecg.models.boosters import MissingAwareLGBMClassifier, MissingAwareXGBClassifier
    from interp_ecg.models.members import DEFAULT_PARAMS

    rng = np.random.default_rng(0)
    n, p = 1000, 40
    X = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"f{j}" for j in range(p)])
    y = ((X.f0 + X.f1 + rng.normal(size=n)) > 1.5).astype(int)
    model = EnsembleClassifier(("rf",), random_state=0, n_jobs=1).fit(X.iloc[:800], y.iloc[:800])
    forest = model.members_[0][1].steps[-1][1]
    rows, background = X.iloc[800:], X.iloc[:800]
    ref = _best(lambda: shap.TreeExplainer(forest).shap_values(rows.to_numpy(np.float32), check_additivity=False),
                args.repeat)
    ours = _best(lambda: shap_explanation(model, rows, background=background), args.repeat)
    print(f"SHAP, random forest 300 trees, 200 rows x {p} features: path-dependent (shap) {ref:.2f} s; "
          f"interventional on 100 background rows (package) {ours:.2f} s; ratio {ours / ref:.2f}")

    Xb = rng.normal(size=(5000, p))
    yb = (Xb[:, 0] + rng.normal(size=5000) > 1).astype(int)
    for name, library, aware in (("lgbm", lightgbm.LGBMClassifier, MissingAwareLGBMClassifier),
                                 ("xgb", xgboost.XGBClassifier, MissingAwareXGBClassifier)):
        kw = {**DEFAULT_PARAMS[name], "random_state": 0, "n_jobs": 1}
        if name == "lgbm":
            kw["verbose"] = -1
        ref = _best(lambda: library(**kw).fit(Xb, yb), args.repeat)
        ours = _best(lambda: aware(**kw).fit(Xb, yb), args.repeat)
        print(f"fit {name}, 300 trees, 5000 x {p}: library {ref:.2f} s; missing-aware {ours:.2f} s; "
              f"ratio {ours / ref:.2f}")


if __name__ == "__main__":
    main()
