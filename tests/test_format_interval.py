"""Estimates with intervals: readable with negative bounds, the same decimals for the three numbers."""

import numpy as np
import pandas as pd

from interp_ecg.evaluate import format_ci, format_interval
from interp_ecg.report import format_metrics


def test_negative_bounds_are_joined_by_to():
    assert format_interval(-2.1, -3.983, -0.599) == "-2.100 (-3.983 to -0.599)"
    assert format_interval(0.2, -0.1, 0.5) == "0.200 (-0.100 to 0.500)"
    assert format_interval(0.91, 0.88, 0.94) == "0.910 (0.880-0.940)"


def test_tiny_values_share_decimals():
    assert format_interval(0.002, 0.00056, 0.004) == "0.00200 (0.00056-0.00400)"
    assert format_interval(0.0, 0.0, 0.004) == "0.000 (0.000-0.004)"
    assert format_interval(0.5, np.nan, np.nan) == "0.500 (no CI)"
    assert format_interval(np.nan, 0.1, 0.2) == "NA"


def test_tables_use_it():
    m = pd.DataFrame({"model": ["m", "m"], "metric": ["calibration_intercept", "brier"],
                      "estimate": [-2.1, 0.002], "ci_low": [-3.983, 0.00056], "ci_high": [-0.599, 0.004],
                      "n": [40, 40], "n_positive": [10, 10]})
    assert format_ci(m).tolist() == ["-2.100 (-3.983 to -0.599); n 40, 10 positive",
                                     "0.00200 (0.00056-0.00400); n 40, 10 positive"]
    row = format_metrics(m).iloc[0]
    assert row["calibration_intercept"] == "-2.100 (-3.983 to -0.599)"
    assert row["brier"] == "0.00200 (0.00056-0.00400)"
