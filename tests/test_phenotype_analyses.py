"""Prototype-phenotype analyses, ECG-diagnosis linkage (on the real MIMIC-IV demo) and plots."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from interp_ecg.phenotype import (
    category_matrix,
    plot_category_heatmap,
    plot_manhattan,
    plot_volcano,
    compare_prototypes_classes,
    diagnoses_for_ecgs,
    exposure_phecode_auc,
    parse_prototype_columns,
    phewas,
    prototype_distance_vs_mixing,
    select_ecgs,
)
from interp_ecg.phenotype.analyses import auc_matrix


def _prototype_cohort(n=1500, seed=0):
    """Class AFIB has 3 prototypes; only proto_AFIB_01 carries phecode P_HF; the class
    probability is a blur of all three; class NORM prototypes carry nothing."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 3))
    X = pd.DataFrame(
        {
            "proto_AFIB_00": latent[:, 0],
            "proto_AFIB_01": latent[:, 1],
            "proto_AFIB_02": latent[:, 2],
            "proto_NORM_00": rng.normal(size=n),
            "proto_NORM_01": rng.normal(size=n),
        }
    )
    X["prob_AFIB"] = 1 / (1 + np.exp(-latent.mean(axis=1)))
    X["prob_NORM"] = rng.random(n)
    y = rng.random(n) < 1 / (1 + np.exp(-(-2 + 1.5 * latent[:, 1])))
    Y = pd.DataFrame({"P_HF": y, "P_NULL": rng.random(n) < 0.2}).astype("boolean")
    Y.iloc[:20, 1] = pd.NA
    return X, Y


def test_auc_matches_sklearn_and_ci_covers():
    X, Y = _prototype_cohort()
    t = exposure_phecode_auc(X, Y, n_boot=100, random_state=0)
    assert len(t) == X.shape[1] * 2
    for _, row in t.iterrows():
        y = Y[row["phecode"]]
        ok = y.notna()
        ref = roc_auc_score(y[ok].astype(bool), X.loc[ok, row["exposure"]])
        assert row["auc"] == pytest.approx(ref, abs=1e-12)
        assert row["auc_low"] <= row["auc"] <= row["auc_high"]
    best = t[t["phecode"] == "P_HF"].sort_values("auc").iloc[-1]
    assert best["exposure"] == "proto_AFIB_01" and best["auc_low"] > 0.75
    null = t[t["phecode"] == "P_NULL"]
    assert ((null["auc"] - 0.5).abs() < 0.06).all()  # no signal, AUC near chance
    width = null["auc_high"] - null["auc_low"]
    assert ((width > 0.03) & (width < 0.2)).all()  # ~ +-2 SE of an AUC with ~300 cases


def test_auc_groups_bootstrap_and_nan():
    x = np.array([[0.1], [0.2], [np.nan], [0.9]])
    assert np.isnan(auc_matrix(x, np.array([0, 0, 1, np.nan]))[0])  # no case left
    X, Y = _prototype_cohort(300, seed=1)
    groups = pd.Series(np.arange(300) // 3, index=X.index)  # 3 ECGs per patient
    t = exposure_phecode_auc(X[["proto_AFIB_01"]], Y[["P_HF"]], n_boot=50, groups=groups,
                             random_state=0)
    assert len(t) == 1 and t["auc_low"].iloc[0] < t["auc"].iloc[0]


def test_prototype_vs_class_comparison_picks_the_informative_prototype():
    X, Y = _prototype_cohort(3000, seed=2)
    assert parse_prototype_columns(X.columns)["AFIB"] == [
        "proto_AFIB_00", "proto_AFIB_01", "proto_AFIB_02"]
    comp = compare_prototypes_classes(X, Y, random_state=0).set_index(["class", "phecode"])
    row = comp.loc[("AFIB", "P_HF")]
    assert row["best_prototype"] == "proto_AFIB_01"
    # the single refined prototype beats the class probability and the prototype mean
    assert row["auc_best_prototype"] > row["auc_class_prob"] + 0.05
    assert row["auc_best_prototype"] > row["auc_prototype_mean"] + 0.05
    assert row["n_cases_eval"] + row["n_controls_eval"] < 3000  # evaluated on the other half


def test_distance_vs_mixing():
    X, Y = _prototype_cohort(2000, seed=3)
    s = phewas(X, Y, None, min_cases=5)
    rng = np.random.default_rng(0)
    vec = pd.DataFrame(rng.normal(size=(5, 4)), index=[c for c in X.columns if c.startswith("proto_")])
    vec.loc["proto_AFIB_01"] += 10  # far from its class siblings
    out = prototype_distance_vs_mixing(vec, s).set_index("class")
    assert out.loc["AFIB", "mean_distance"] > out.loc["NORM", "mean_distance"]
    assert set(out.columns) >= {"n_prototypes", "association_heterogeneity", "n_significant"}
    assert out.loc["AFIB", "n_significant"] >= 1


@pytest.mark.shared_data
def test_linkage_on_mimic_demo_admissions(mimic_demo_root):
    hosp = mimic_demo_root / "hosp"
    adm = pd.read_csv(hosp / "admissions.csv.gz", parse_dates=["admittime", "dischtime"])
    dx = pd.read_csv(hosp / "diagnoses_icd.csv.gz", dtype={"icd_code": str})
    # one ECG in the middle of each of 30 admissions, one ECG long before any admission
    a = adm.sample(30, random_state=0)
    ecgs = pd.DataFrame({
        "ecg_id": np.arange(len(a)),
        "subject_id": a["subject_id"].to_numpy(),
        "ecg_time": (a["admittime"] + (a["dischtime"] - a["admittime"]) / 2).to_numpy(),
    })
    first = adm.groupby("subject_id")["admittime"].min()
    lonely = pd.DataFrame({"ecg_id": [999], "subject_id": [a["subject_id"].iloc[0]],
                           "ecg_time": [first[a["subject_id"].iloc[0]] - pd.Timedelta(days=3000)]})
    ecgs = pd.concat([ecgs, lonely], ignore_index=True)
    linked = diagnoses_for_ecgs(ecgs, dx, window="admission", admissions=adm)
    # independent expectation: diagnoses of exactly that admission (admissions do not overlap
    # for one subject in the demo, checked here)
    expected = dx[dx["hadm_id"].isin(a["hadm_id"])]
    assert len(linked) == len(expected)
    got = linked.groupby("ecg_id")["hadm_id"].unique()
    for k, hadm in enumerate(a["hadm_id"]):
        if k in got.index:
            assert list(got[k]) == [hadm]
    assert 999 not in set(linked["ecg_id"])
    # lifetime window: every diagnosis of the subject, for each of their ECGs
    everything = diagnoses_for_ecgs(ecgs, dx)
    per_subject = dx.groupby("subject_id").size()
    assert len(everything) == int(ecgs["subject_id"].map(per_subject).fillna(0).sum())
    # time window after the ECG, on admittime
    dx_t = dx.merge(adm[["hadm_id", "admittime"]], on="hadm_id")
    after = diagnoses_for_ecgs(ecgs, dx_t, window=("0D", "36500D"), time_col="admittime")
    assert after.groupby("ecg_id").size().get(999, 0) == (dx_t["subject_id"] == lonely["subject_id"][0]).sum()
    assert select_ecgs(ecgs.set_index("ecg_id")).shape[0] == ecgs["subject_id"].nunique()


def test_plots_draw_on_given_axes():
    X, Y = _prototype_cohort(800, seed=4)
    s = phewas(X, Y, None, min_cases=5)
    s["category"] = ["cardio", "other"] * (len(s) // 2)
    s["description"] = s["phecode"]
    fig, axes = plt.subplots(1, 3)
    assert plot_manhattan(s, n_labels=2, ax=axes[0]) is axes[0]
    assert any(line.get_linestyle() == "--" for line in axes[0].get_lines())  # Bonferroni line
    assert len(axes[0].texts) == 2
    assert plot_volcano(s, ax=axes[1]) is axes[1]
    assert plot_category_heatmap(s, ax=axes[2]) is axes[2]
    assert category_matrix(s).shape == (X.shape[1], 2)
    plt.close(fig)


def test_manhattan_categories_directions_and_untested_pairs():
    """A missing category reads "other" (not "nan"); up/down triangles follow the sign of beta;
    a pair without a p-value is not a test (left out of the plot and of the Bonferroni count)."""
    from matplotlib.figure import Figure

    s = pd.DataFrame({"exposure": ["x", "x", "x", "y"], "phecode": ["A", "B", "C", "A"],
                      "description": ["a", "b", "c", "a"], "category": ["k1", None, "k1", "k1"],
                      "beta": [0.5, -0.3, np.nan, 0.1], "p": [1e-6, 0.01, np.nan, 0.2],
                      "q": [2e-6, 0.015, np.nan, 0.2]})
    ax = plot_manhattan(s, alpha=0.05, ax=Figure().add_subplot())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["k1", "other"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Bonferroni (0.05/3)" in legend
    n_points = sum(len(c.get_offsets()) for c in ax.collections)
    assert n_points == 3
    ax = plot_manhattan(s, exposure="x", ax=Figure().add_subplot())
    assert sum(len(c.get_offsets()) for c in ax.collections) == 2
    # the family of the summary's bonferroni column (3 tests of both exposures), not the plotted 2
    assert "Bonferroni (0.05/3, all exposures)" in [t.get_text() for t in ax.get_legend().get_texts()]
    down = [c for c in ax.collections if len(c.get_offsets())
            and c.get_offsets()[0][1] == pytest.approx(-np.log10(0.01))]
    assert len(down) == 1  # B (beta < 0) drawn by itself, as a down triangle
