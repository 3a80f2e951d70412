"""Modified limb-lead names go through the same prefix/space normalisation as the standard leads
(new user 7, D2: "Lead MLII" stayed "Lead MLII" while "Lead I" became "I")."""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.io.leads import modified_leads, normalise_lead_name, standardise_leads


@pytest.mark.parametrize("label, expected", [
    ("Lead MLII", "MLII"), ("lead_ml2", "MLII"), ("LEAD-MLI", "MLI"), ("lead mliii", "MLIII"),
    ("Lead I", "I"), ("lead_v2", "V2"), ("Lead D2", "II"), ("lead DIII", "III"),
    ("MLII", "MLII"), ("leadx", "leadx"), ("Lead", "Lead"),
])
def test_lead_prefix_is_dropped_for_every_known_lead(label, expected):
    assert normalise_lead_name(label) == expected


def test_prefixed_modified_lead_is_named_as_modified_not_standard():
    assert modified_leads(["Lead MLII", "Lead V5"]) == {"MLII": "II"}      # was {}
    _, names = standardise_leads(np.zeros((2, 10)), ["Lead MLII", "Lead V5"])
    assert names == ["MLII", "V5"]
