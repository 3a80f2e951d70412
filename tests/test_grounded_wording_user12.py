"""Grounded sentences in the field's words (user12 D2, D3): pNN50 keeps its case, 0/1 inputs in
words, no scientific notation, Sokolow-Lyon, and a twelve-lead feature's NaN says why."""

import numpy as np
import pytest

from interp_ecg.explain import Attribution


@pytest.mark.parametrize("feature,value,unit,start", [
    ("pNN50", 0.0, "%", "pNN50 0 %, raised"),
    ("female", 0.0, "", "Sex: male, raised"),
    ("female", 1.0, "", "Sex: female, raised"),
    ("paced", 0.0, "", "Paced: no, raised"),
    ("Cornell_product_mVms", 1440.0, "mV*ms", "Cornell product 1440 mV*ms, raised"),
    ("Sokolow_Lyon_mV", 2.1, "mV", "Sokolow-Lyon 2.10 mV, raised"),
    ("QRS_duration_ms", 148.0, "ms", "QRS duration 148 ms, raised"),
])
def test_wording(feature, value, unit, start):
    assert Attribution(feature, value, unit, 0.03).describe("LVH").startswith(start)


def test_twelve_lead_feature_nan_gives_the_reason():
    s = Attribution("ST60_max_depression_mV", np.nan, "mV", 0.03).describe("LVH")
    assert s.startswith("ST60 max depression not measured (measured only when all twelve standard leads were "
                        "recorded and none was set aside); the model's handling of the missing value raised")
