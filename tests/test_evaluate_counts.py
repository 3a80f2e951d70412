"""Every printed or tabled metric carries n and the number of positives; no interval from a handful.

Before: ``interp-ecg train`` on a table whose held-out part had 24 records with 2 positives
printed ``roc_auc 1.000 (1.000-1.000)`` (and the rule row 1.000 (1.000-1.000) for all ten
metrics) with no n anywhere: a bootstrap over two positives re-draws the same two records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from interp_ecg.evaluate import format_ci, metrics_table, tagged_metrics_table
from interp_ecg.evaluate.metrics import MIN_PER_CLASS_FOR_CI
from interp_ecg.report import format_metrics


def _scores(n_pos: int, n_neg: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(n_pos), np.zeros(n_neg)].astype(int)
    s = np.clip(0.3 * y + rng.uniform(0, 0.7, len(y)), 0, 1)
    return y, s


def test_no_interval_from_fewer_than_a_handful_of_a_class():
    y, s = _scores(2, 22)
    tab = metrics_table(y, s, n_boot=200).set_index("metric")
    assert MIN_PER_CLASS_FOR_CI == 5
    assert (tab["n"] == 24).all() and (tab["n_positive"] == 2).all()
    assert tab[["ci_low", "ci_high"]].isna().all().all()
    assert np.isfinite(tab.loc["roc_auc", "estimate"])  # the estimate stays, with its n
    assert (tab["ci_reason"] == "fewer than 5 records of a class (2 positive, 22 negative of 24): no interval").all()
    # the same for a handful of negatives
    tab = metrics_table(1 - y, 1 - s, n_boot=200).set_index("metric")
    assert tab[["ci_low", "ci_high"]].isna().all().all() and (tab["n_positive"] == 22).all()


def test_interval_from_enough_of_each_class():
    y, s = _scores(5, 19)
    tab = metrics_table(y, s, n_boot=200).set_index("metric")
    row = tab.loc["roc_auc"]
    assert row.ci_low <= row.estimate <= row.ci_high and row.ci_reason == ""
    # a metric undefined on the data keeps its reason
    hard = metrics_table(y, (s > 0.5).astype(float), n_boot=50).set_index("metric")
    assert hard.loc["calibration_slope", "ci_reason"] == "the estimate is not defined on these data: no interval"
    assert metrics_table(y, s, n_boot=0).ci_reason.eq("not bootstrapped (n_boot=0)").all()


def test_macro_rows_have_an_interval_only_when_every_label_has_one():
    ya, sa = _scores(30, 30, seed=1)
    yb = np.zeros(60, dtype=int)
    yb[:3] = 1
    tab = metrics_table(pd.DataFrame({"A": ya, "B": yb}), np.column_stack([sa, sa]), n_boot=100)
    auc = tab[tab.metric == "roc_auc"].set_index("label")
    assert np.isfinite(auc.loc["A", "ci_low"]) and np.isnan(auc.loc["B", "ci_low"])
    assert np.isnan(auc.loc["macro", "ci_low"]) and "in some label" in auc.loc["macro", "ci_reason"]


def test_formatted_metrics_carry_n_and_positives():
    y, s = _scores(2, 22)
    tab = tagged_metrics_table(y, s, n_boot=100, model="ensemble")
    auc = tab[tab.metric == "roc_auc"]
    assert format_ci(auc).iloc[0] == f"{auc.estimate.iloc[0]:.3f} (no CI); n 24, 2 positive"
    y, s = _scores(12, 28)
    tab = pd.concat([tab, tagged_metrics_table(y, s, n_boot=100, model="rule")], ignore_index=True)
    wide = format_metrics(tab[tab.metric.isin(["roc_auc", "brier"])])
    assert wide.columns.tolist() == ["model", "n", "positives", "roc_auc", "brier"]
    assert wide.set_index("model").loc["ensemble", ["n", "positives"]].tolist() == [24, 2]
    assert wide.set_index("model").loc["rule", ["n", "positives"]].tolist() == [40, 12]
    assert wide.set_index("model").loc["ensemble", "roc_auc"] == f"{auc.estimate.iloc[0]:.3f} (no CI)"
    assert wide.set_index("model").loc["rule", "roc_auc"].count("-") == 1  # "0.xxx (0.xxx-0.xxx)"


def test_train_command_prints_n_positives_and_why_there_is_no_interval(tmp_path):
    from interp_ecg.cli import app

    rng = np.random.default_rng(0)
    n = 80
    table = pd.DataFrame({"QRS_duration_ms": rng.normal(100, 15, n), "heart_rate_bpm": rng.normal(85, 20, n),
                          "R_amp_mV_V1": rng.normal(0.5, 0.2, n), "patient_id": [f"p{i}" for i in range(n)]},
                         index=[f"r{i}" for i in range(n)])
    table.to_csv(tmp_path / "features.csv")
    result = CliRunner().invoke(app, ["train", str(tmp_path / "features.csv"), "--models", "logreg",
                                      "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    saved = pd.read_csv(tmp_path / "m" / "metrics.csv")
    n_test, n_pos = int(saved["n"].iloc[0]), int(saved["n_positive"].iloc[0])
    assert (n_test, n_pos) == (24, 2)  # the held-out part of this table: 2 positives among 24 records
    lines = result.output.splitlines()
    header = next(line for line in lines if line.split()[:3] == ["model", "n", "positives"])
    assert "roc_auc" in header
    row = next(line for line in lines if line.strip().startswith("ensemble"))
    assert row.split()[1:3] == ["24", "2"] and "(no CI)" in row and "(1.000-1.000)" not in row
    assert ("note: fewer than 5 records of a class (2 positive, 22 negative of 24): no interval"
            in result.output)


@pytest.mark.parametrize("column", ["n", "n_positive", "ci_reason"])
def test_every_metrics_table_has_the_counts(column):
    y, s = _scores(10, 10)
    assert column in metrics_table(y, s, n_boot=10).columns
    assert column in tagged_metrics_table(y, s, n_boot=10, model="m").columns
