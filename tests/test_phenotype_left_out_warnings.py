"""Subjects or values the PheWAS leaves out are announced as Python warnings, with counts (user11 F10).

Before: infinite exposure values and subjects without covariates were only logged; the package's
logger has a NullHandler, so a notebook user saw nothing (``phewas(E, Y, C[:500])`` analysed 500 of
1,000 subjects without a word, and an exposure with 5 ``inf`` values was tested on 1,995).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from interp_ecg.phenotype import phewas, simulate_phewas_data


@pytest.fixture(scope="module")
def data():
    return simulate_phewas_data(400, 1, 1, planted=[("x0", "P000", 0.3)], random_state=1)


def _total(s):
    return int(s[["n_cases", "n_controls", "n_excluded"]].iloc[0].sum())


def test_infinite_exposures_warn_with_counts(data):
    E = data["exposures"].copy()
    E.iloc[:5, 0] = np.inf
    E.iloc[5, 0] = -np.inf
    with pytest.warns(UserWarning, match=r"6 infinite exposure values treated as missing .*: x0 6"):
        s = phewas(E, data["outcomes"], data["covariates"], min_cases=5)
    assert _total(s) == 394


def test_subjects_without_covariate_rows_warn_with_counts(data):
    with pytest.warns(UserWarning, match=r"200 of 400 subjects of the exposures have no row in the outcomes or the "
                                         r"covariates \(200 no row in the covariates\): left out of every test"):
        s = phewas(data["exposures"], data["outcomes"], data["covariates"].iloc[:200], min_cases=5)
    assert _total(s) == 200
    with pytest.warns(UserWarning, match=r"150 of 400 .*\(100 no row in the outcomes, 50 no row in the covariates\)"):
        s = phewas(data["exposures"], data["outcomes"].iloc[100:], data["covariates"].iloc[:350], min_cases=5)
    assert _total(s) == 250


def test_missing_covariate_values_warn_per_column(data):
    C = data["covariates"].copy()
    C.iloc[:7, 0] = np.nan  # age
    C.iloc[5:9, 1] = None  # sex (2 of them also without age)
    with pytest.warns(UserWarning, match=r"dropping 9 of 400 subjects with missing covariates \(missing: age 7, "
                                         r"sex 4\)"):
        s = phewas(data["exposures"], data["outcomes"], C, min_cases=5)
    assert _total(s) == 391


def test_complete_data_give_no_warning(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        s = phewas(data["exposures"], data["outcomes"], data["covariates"], min_cases=5)
    assert _total(s) == 400
