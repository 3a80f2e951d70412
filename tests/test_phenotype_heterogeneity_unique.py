"""Association heterogeneity counts a phenotype once, not once per identical phecode (user11 F10).

Before: ``prototype_distance_vs_mixing`` correlated the prototypes' profiles over every phecode
column, so a roll-up parent with exactly its child's cases (CV_401 and CV_401.1 in the MIMIC demo
study) counted twice and the class values were quantised (0, 0.444, 0.889, 1.333).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.phenotype import prototype_distance_vs_mixing
from interp_ecg.phenotype.analyses import identical_phecodes


def _summary(profiles: dict[str, list[float]], phecodes, n_cases) -> pd.DataFrame:
    """Rows whose signed -log10 p equals the given values (beta > 0: p = 10^-v)."""
    rows = []
    for exposure, values in profiles.items():
        for code, v, n in zip(phecodes, values, n_cases):
            rows.append({"exposure": exposure, "phecode": code, "n_cases": n, "n_controls": 200 - n,
                         "beta": 0.1 * v, "p": 10.0 ** -v, "q": 0.5})
    return pd.DataFrame(rows)


def test_identical_parent_and_child_count_once():
    """Profiles over P, P.1 (same cases), Q, R: proto_A_0 (3, 3, 1, 2), proto_A_1 (3, 3, 2, 1).

    Over the 3 distinct phenotypes the ranks are (3, 1, 2) and (3, 2, 1): Spearman 1 - 6*2/24 = 0.5,
    heterogeneity 0.5. Counting P twice gave Spearman 7/9 and heterogeneity 2/9 = 0.222."""
    codes, n_cases = ["P", "P.1", "Q", "R"], [50, 50, 40, 30]
    s = _summary({"proto_A_0": [3, 3, 1, 2], "proto_A_1": [3, 3, 2, 1],
                  "proto_B_0": [1, 1, 2, 3], "proto_B_1": [2, 2, 1, 3]}, codes, n_cases)
    vec = pd.DataFrame([[0, 0], [0, 1], [0, 0], [3, 4]], index=["proto_A_0", "proto_A_1", "proto_B_0", "proto_B_1"])
    out = prototype_distance_vs_mixing(vec, s).set_index("class")
    assert out.loc["A", "association_heterogeneity"] == pytest.approx(0.5)
    # B: (1, 2, 3) vs (2, 1, 3) -> Spearman 0.5, heterogeneity 0.5 (over the 4 columns: 0.667)
    assert out.loc["B", "association_heterogeneity"] == pytest.approx(0.5)
    assert out["n_phecodes"].tolist() == [3, 3]
    assert out.attrs["identical_phecodes"] == {"P": "P.1"}
    assert out.loc["A", "mean_distance"] == pytest.approx(1.0) and out.loc["B", "mean_distance"] == pytest.approx(5.0)


def test_parent_with_other_cases_is_kept():
    """A parent whose cases differ from its child's (other counts or estimates) is a phenotype of its own."""
    codes = ["P", "P.1", "Q", "R"]
    s = _summary({"proto_A_0": [3, 3, 1, 2], "proto_A_1": [3, 3, 2, 1]}, codes, [55, 50, 40, 30])
    assert identical_phecodes(s) == {}
    s = _summary({"proto_A_0": [3, 3, 1, 2], "proto_A_1": [3, 2.5, 2, 1]}, codes, [50, 50, 40, 30])
    assert identical_phecodes(s) == {}
    vec = pd.DataFrame([[0, 0], [0, 1]], index=["proto_A_0", "proto_A_1"])
    out = prototype_distance_vs_mixing(vec, s)
    assert out["n_phecodes"].tolist() == [4]


def test_most_specific_code_is_kept_and_nan_rows_compare_equal():
    s = pd.DataFrame({"exposure": ["x"] * 4 + ["y"] * 4, "phecode": ["CV_401", "CV_401.1", "CV_401.11", "CV_416"] * 2,
                      "n_cases": [30, 30, 30, 12] * 2, "beta": [0.2, 0.2, 0.2, -0.1, np.nan, np.nan, np.nan, 1.0],
                      "p": [0.04, 0.04, 0.04, 0.5, np.nan, np.nan, np.nan, 0.1]})
    assert identical_phecodes(s) == {"CV_401": "CV_401.11", "CV_401.1": "CV_401.11"}


def test_n_significant_leaves_separated_fits_out():
    """A separated fit with q < 0.05 is no finding in the class table either (user18 F7 leftover)."""
    codes, n_cases = ["P", "Q", "R"], [50, 40, 30]
    s = _summary({"proto_A_0": [3, 1, 2], "proto_A_1": [3, 2, 1]}, codes, n_cases)
    s["q"] = [0.01, 0.2, 0.2, 0.01, 0.03, 0.2]
    s["separation"] = [False, False, False, False, True, False]
    vec = pd.DataFrame([[0, 0], [0, 1]], index=["proto_A_0", "proto_A_1"])
    out = prototype_distance_vs_mixing(vec, s).set_index("class")
    assert out.loc["A", "n_significant"] == 2  # 3 with q < 0.05, one of them separated
