"""Trust defects of the PheWAS and its AUC table found by a new user (FINDINGS-user3): each
test fails on the code before its fix and checks the right value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from interp_ecg.phenotype import PheWAS, exposure_phecode_auc


def _toy_missing(n=300, seed=0):
    """Outcome P (30 unknown), exposure x missing in 20 rows, a complete binary exposure."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    yb = pd.array(y, dtype="boolean")
    yb[:30] = pd.NA
    x = y + rng.normal(0, 1, n)
    x[30:50] = np.nan
    X = pd.DataFrame({"x": x, "bin": (rng.random(n) < 0.5).astype(float)})
    return X, pd.DataFrame({"P": yb}), y


def test_auc_per_exposure_complete_cases_equals_sklearn():
    # finding 1: one exposure's NaN must not remove subjects from another exposure's AUC
    X, Y, y = _toy_missing()
    t = exposure_phecode_auc(X, Y, n_boot=50, random_state=0).set_index("exposure")
    ok = Y["P"].notna().to_numpy()
    ref_bin = roc_auc_score(y[ok], X["bin"][ok])
    assert ref_bin == pytest.approx(0.5596, abs=5e-5)  # the value the user computed by hand
    assert t.loc["bin", "auc"] == pytest.approx(ref_bin, abs=1e-12)  # all 270 subjects (was 0.5525 on 250)
    assert t.loc["bin", "n_cases"] + t.loc["bin", "n_controls"] == 270
    okx = ok & np.isfinite(X["x"].to_numpy())
    assert t.loc["x", "auc"] == pytest.approx(roc_auc_score(y[okx], X["x"][okx]), abs=1e-12)
    assert t.loc["x", "n_cases"] + t.loc["x", "n_controls"] == 250
    assert (t["auc_low"] <= t["auc"]).all() and (t["auc"] <= t["auc_high"]).all()


def test_auc_rows_are_the_phewas_rows_subjects():
    # the AUC of a pair describes the subjects of the PheWAS row of the same pair: covariates
    # missing -> left out of both; n_cases / n_controls equal
    X, Y, y = _toy_missing()
    rng = np.random.default_rng(1)
    cov = pd.DataFrame({"age": rng.normal(60, 10, len(X)), "sex": rng.choice(["F", "M"], len(X))})
    cov.loc[100:119, "age"] = np.nan
    cov.loc[200:204, "sex"] = None
    t = exposure_phecode_auc(X, Y, covariates=cov, n_boot=20, min_cases=5, random_state=0)
    s = PheWAS(min_cases=5).fit(X, Y, cov).summary
    m = t.merge(s, on=["exposure", "phecode"], suffixes=("_auc", "_phewas"))
    assert len(m) == 2
    assert (m["n_cases_auc"] == m["n_cases_phewas"]).all()
    assert (m["n_controls_auc"] == m["n_controls_phewas"]).all()
    keep = Y["P"].notna().to_numpy() & cov.notna().all(axis=1).to_numpy()
    ref = roc_auc_score(y[keep], X["bin"][keep])
    assert t.set_index("exposure").loc["bin", "auc"] == pytest.approx(ref, abs=1e-12)


def test_auc_pair_with_too_few_cases_has_a_reason():
    X, Y, y = _toy_missing()
    X.loc[np.flatnonzero(y)[5:], "x"] = np.nan  # x measured in 5 cases only (4 with known outcome or so)
    t = exposure_phecode_auc(X, Y, n_boot=20, min_cases=10, random_state=0).set_index("exposure")
    assert t.loc["x", "reason"] == "too few cases" and np.isnan(t.loc["x", "auc"])
    assert np.isnan(t.loc["x", "auc_low"]) and np.isnan(t.loc["x", "auc_high"])
    assert t.loc["bin", "reason"] == "" and np.isfinite(t.loc["bin", "auc"])


def test_auc_of_a_constant_exposure_is_nan_with_its_reason():
    # finding 11: was 0.500 [0.500, 0.500] with no reason, while the PheWAS row says why
    X, Y, _ = _toy_missing()
    X["const"] = 2.0
    t = exposure_phecode_auc(X, Y, n_boot=20, min_cases=5, random_state=0).set_index("exposure")
    row = t.loc["const"]
    assert row["reason"] == "constant exposure"
    assert np.isnan(row["auc"]) and np.isnan(row["auc_low"]) and np.isnan(row["auc_high"])
    s = PheWAS(min_cases=5).fit(X, Y).summary.set_index("exposure")
    assert s.loc["const", "reason"] == "constant exposure"
    assert t.loc["bin", "reason"] == "" and np.isfinite(t.loc["bin", "auc"])


def test_firth_with_score_screen_names_the_ml_model_of_unrefitted_rows():
    # finding 11: method firth + test score labelled every row 'firth', although the p and OR of
    # rows not refitted come from the maximum-likelihood score test / one-step estimate
    from interp_ecg.phenotype.synthetic import simulate_phewas_data

    d = simulate_phewas_data(1500, 3, 6, planted=[("x0", "P000", 0.9)], random_state=0)
    s = PheWAS(method="firth", test="score", min_cases=5).fit(d["exposures"], d["outcomes"], d["covariates"]).summary
    score = s[s["test"] == "score"]
    refit = s[s["test"].isin(["lrt", "wald"])]
    assert len(score) > 0 and len(refit) > 0
    assert (score["method"] == "logit").all()
    assert (refit["method"] == "firth").all()
    from interp_ecg.phenotype import describe_method

    text = describe_method(s, "age and sex")
    assert "maximum-likelihood logistic regression" in text and "Firth" in text


def test_or_scale_is_written_in_the_table_and_the_method_sentence():
    # finding 9: the study (standardize=True) and the CLI (per unit) differ; neither said which
    from interp_ecg.phenotype import describe_method

    rng = np.random.default_rng(4)
    n = 800
    x = rng.normal(50, 7, n)  # SD ~7 units
    y = rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.05 * (x - 50))))
    X, Y = pd.DataFrame({"x": x}), pd.DataFrame({"P": y})
    m_sd = PheWAS(standardize=True, min_cases=5).fit(X, Y)
    m_unit = PheWAS(standardize=False, min_cases=5).fit(X, Y)
    per_sd, per_unit = m_sd.summary.iloc[0], m_unit.summary.iloc[0]
    assert per_sd["or_scale"] == "per SD" and per_unit["or_scale"] == "per unit"
    sd = m_sd.exposure_sd_["x"]
    assert sd == pytest.approx(np.std(x))
    assert per_sd["beta"] == pytest.approx(per_unit["beta"] * sd, rel=1e-6)  # the same fit, another unit
    assert "OR per SD of the exposure" in describe_method(m_sd.summary, "nothing")
    assert "OR per unit of the exposure" in describe_method(m_unit.summary, "nothing")
    # a table read back without the column does not pretend to know
    assert "scale not recorded" in describe_method(m_sd.summary.drop(columns="or_scale"))


def _patients(n=600, seed=5):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    age = rng.normal(60, 10, n)
    y = rng.random(n) < 1 / (1 + np.exp(-(-1 + 0.4 * x + 0.02 * (age - 60))))
    ids = pd.Index([f"p{i}" for i in range(n)])
    return (pd.DataFrame({"x": x}, index=ids), pd.DataFrame({"P": y}, index=ids),
            pd.DataFrame({"age": age}, index=ids))


def _duplicated(X, Y, C, k=2):
    """Every patient's row k times (k ECGs per patient, the same values), new row ids."""
    rows = np.repeat(np.arange(len(X)), k)
    ecg = pd.Index([f"e{i}" for i in range(len(rows))])
    take = lambda d: d.iloc[rows].set_axis(ecg)  # noqa: E731
    return take(X), take(Y), take(C), pd.Series(X.index[rows], index=ecg)


def test_cluster_robust_se_by_patient_undoes_pseudo_replication():
    # finding 7: with several ECGs per patient, the SE must be by patient, not by ECG
    import statsmodels.api as sm

    X, Y, C = _patients()
    Xd, Yd, Cd, patient = _duplicated(X, Y, C)
    one = PheWAS(min_cases=5).fit(X, Y, C).summary.iloc[0]
    one_cl = PheWAS(min_cases=5).fit(X, Y, C, groups=pd.Series(X.index, index=X.index)).summary.iloc[0]
    naive = PheWAS(min_cases=5).fit(Xd, Yd, Cd).summary.iloc[0]
    clus = PheWAS(min_cases=5).fit(Xd, Yd, Cd, groups=patient).summary.iloc[0]
    assert clus["beta"] == pytest.approx(one["beta"], rel=1e-6) == naive["beta"]
    # ignoring the clusters: SE / sqrt(2) - the pseudo-replication the user saw
    assert naive["SE"] == pytest.approx(one["SE"] / np.sqrt(2), rel=1e-3)
    # by patient: the SE of the patients' own data (the same sandwich; only the small-sample
    # factor (N-1)/(N-K) differs with N doubled)
    assert clus["SE"] == pytest.approx(one_cl["SE"], rel=5e-3)
    assert clus["SE"] > 1.3 * naive["SE"]
    assert clus["SE_type"] == "cluster-robust" and clus["ci_method"] == "wald-cluster"
    assert naive["SE_type"] == "model" and naive["ci_method"] == "wald"
    # the numbers are statsmodels' cluster-robust fit of the same design
    d = np.column_stack([np.ones(len(Xd)), Xd["x"], Cd["age"]])
    ref = sm.Logit(Yd["P"].astype(float).to_numpy(), d).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": pd.factorize(patient)[0]})
    assert clus["SE"] == pytest.approx(ref.bse[1], rel=1e-6)
    assert clus["p"] == pytest.approx(ref.pvalues[1], rel=1e-5)
    assert clus["OR_low"] == pytest.approx(np.exp(ref.conf_int()[1, 0]), rel=1e-6)


def test_groups_refuse_what_has_no_cluster_robust_form():
    from interp_ecg.errors import ConfigError

    X, Y, C = _patients(200)
    g = pd.Series(np.arange(200) // 2, index=X.index)
    for kw in ({"method": "firth"}, {"test": "score"}, {"firth_fallback": True}):
        with pytest.raises(ConfigError, match="groups"):
            PheWAS(min_cases=5, **kw).fit(X, Y, C, groups=g)
    with pytest.raises(ConfigError, match="no group id"):
        PheWAS(min_cases=5).fit(X, Y, C, groups=g.iloc[:150])


def test_auc_bootstrap_resamples_patients():
    # finding 7, AUC: the bootstrap resamples groups (patients); duplicated ECGs then give the
    # interval of the patients, not a narrower one
    X, Y, C = _patients(400)
    Xd, Yd, Cd, patient = _duplicated(X, Y, C, k=3)
    w = lambda t: float(t["auc_high"].iloc[0] - t["auc_low"].iloc[0])  # noqa: E731
    kw = dict(n_boot=300, min_cases=5, random_state=0)
    one = exposure_phecode_auc(X, Y, **kw)
    naive = exposure_phecode_auc(Xd, Yd, **kw)
    clus = exposure_phecode_auc(Xd, Yd, groups=patient, **kw)
    assert clus["auc"].iloc[0] == pytest.approx(one["auc"].iloc[0], abs=1e-12)
    assert w(naive) < 0.75 * w(one)  # ECGs resampled as if independent
    assert w(clus) == pytest.approx(w(one), rel=0.2)
    with pytest.raises(ValueError, match="no group id"):
        exposure_phecode_auc(Xd, Yd, groups=patient.iloc[:10], **kw)


def test_prototype_choice_and_evaluation_halves_keep_patients_apart():
    # the same kind in compare_prototypes_classes: with several ECGs per patient, the half that
    # chooses the best prototype and the half that evaluates it must not share patients
    from interp_ecg.phenotype import compare_prototypes_classes

    rng = np.random.default_rng(7)
    n = 400
    latent = rng.normal(size=(n, 2))
    X = pd.DataFrame({"proto_A_0": latent[:, 0], "proto_A_1": latent[:, 1]})
    Y = pd.DataFrame({"P": rng.random(n) < 1 / (1 + np.exp(-(-1 + 1.5 * latent[:, 1])))})
    Xd, Yd, _, patient = _duplicated(X, Y, pd.DataFrame(index=X.index), k=3)
    r = compare_prototypes_classes(Xd, Yd, groups=patient, min_cases=5, random_state=0).iloc[0]
    # evaluated on about half of the 400 patients' 1200 ECGs, whole patients only (multiples of 3)
    n_eval = r["n_cases_eval"] + r["n_controls_eval"]
    assert n_eval % 3 == 0 and 450 <= n_eval <= 750
    assert r["best_prototype"] == "proto_A_1"


def test_prototype_comparison_aucs_share_their_evaluation_rows():
    # a row missing the class probability must not count in the prototypes' AUCs nor in
    # n_cases_eval: the three AUCs of a row compare the scores on the same people
    from interp_ecg.phenotype import compare_prototypes_classes
    from interp_ecg.phenotype.analyses import auc_matrix

    rng = np.random.default_rng(3)
    n = 300
    z = rng.normal(size=n)
    y = rng.random(n) < 1 / (1 + np.exp(-1.5 * z))
    X = pd.DataFrame({"proto_A_0": z + rng.normal(scale=0.5, size=n),
                      "proto_A_1": rng.normal(size=n),
                      "prob_A": 1 / (1 + np.exp(-z))})
    X.loc[X.index[::4], "prob_A"] = np.nan  # a quarter of the probabilities missing
    Y = pd.DataFrame({"P": y.astype(float)})
    r = compare_prototypes_classes(X, Y, min_cases=5, random_state=0).iloc[0]
    # rebuild the evaluation half with the same random draws
    rs = np.random.default_rng(0)
    cases, ctrls = np.flatnonzero(y), np.flatnonzero(~y)
    cases, ctrls = rs.permutation(cases), rs.permutation(ctrls)
    ev = np.concatenate([cases[len(cases) // 2:], ctrls[len(ctrls) // 2:]])
    ev = ev[np.isfinite(X["prob_A"].to_numpy()[ev])]
    assert r["n_cases_eval"] == int(y[ev].sum())
    assert r["n_controls_eval"] == int((~y[ev]).sum())
    best = X[r["best_prototype"]].to_numpy()[ev]
    assert r["auc_best_prototype"] == pytest.approx(auc_matrix(best, y[ev].astype(float))[0])
    mean = X[["proto_A_0", "proto_A_1"]].to_numpy()[ev].mean(axis=1)
    assert r["auc_prototype_mean"] == pytest.approx(auc_matrix(mean, y[ev].astype(float))[0])
