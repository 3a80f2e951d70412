"""The WCT rule is not scored as negative where QRS or HR was not measured (user5 D4)."""

import numpy as np
import pandas as pd

from interp_ecg.studies.pipeline import train_and_evaluate


def test_rule_left_out_where_unmeasured():
    rng = np.random.default_rng(0)
    n = 120
    qrs = rng.uniform(80, 160, n)
    hr = rng.uniform(60, 160, n)
    y = pd.Series(((qrs >= 120) & (hr >= 100)).astype(int) ^ (rng.random(n) < 0.1), name="sim_wct")
    X = pd.DataFrame({"QRS_duration_ms": qrs, "heart_rate_bpm": hr, "noise": rng.normal(size=n)})
    X.loc[::6, "QRS_duration_ms"] = np.nan  # 20 records without a QRS duration
    groups = pd.Series(np.arange(n).astype(str))
    res = train_and_evaluate(X, y, groups, models=("rf",), n_boot=0, label="sim_wct")
    test = res["test"]
    m = res["metrics"]
    rule = m[m.model.str.contains("rule")]
    assert len(rule) > 0 and len(m[m.model == "ensemble"]) > 0
    ens = m[m.model == "ensemble"]
    n_missing = int(X.loc[test, "QRS_duration_ms"].isna().sum())
    assert n_missing > 0
    assert (rule.n == int(test.sum()) - n_missing).all()  # old: every held-out record, unmeasured ones as 0
    assert (rule.n_unscored == n_missing).all()
    assert (ens.n == int(test.sum())).all() and (ens.n_unscored == 0).all()
