"""A "-" inside or after a lead label is part of the label, not a separator to drop.

normalise_lead_name deleted every "-": "I-II" (lead I minus lead II = -III) was read as lead III
un-negated (PTB-XL 9: R_amp_mV_III 0.0 and S_amp_mV_III -0.4975 where the true lead III has
R 0.4975, S 0.0), "aVR-" as aVR.
"""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from interp_ecg.io import read_wfdb_record
from interp_ecg.io.leads import normalise_lead_name, standardise_leads


@pytest.mark.parametrize("label", ["I-II", "II-I", "aVR-", "V1-", "V-1", "a-VR", "II_I", "RA-LA"])
def test_inner_or_trailing_separator_is_not_a_standard_lead(label):
    assert normalise_lead_name(label) == label


@pytest.mark.parametrize("label, lead", [("LA-RA", "I"), ("LL-RA", "II"), ("LL-LA", "III"),
                                         ("la-ra", "I"), ("lead-II", "II"), ("lead_v2", "V2"),
                                         ("Lead aVR", "aVR"), ("LEAD-MLI", "MLI")])
def test_prefix_separators_and_exact_bipolar_definitions(label, lead):
    assert normalise_lead_name(label) == lead


def test_cabrera_minus_avr_is_negated_into_avr():
    sig, names = standardise_leads(np.array([[0.3, -0.2], [1.0, 1.0]]), ["-aVR", "II"])
    assert names == ["aVR", "II"] and sig[0].tolist() == [-0.3, 0.2]


def test_reader_keeps_i_minus_ii_as_an_extra_channel(tmp_path):
    t = np.arange(1000) / 500
    i, ii = np.sin(2 * np.pi * t), 1.5 * np.sin(2 * np.pi * t)
    wfdb.wrsamp("r", fs=500, units=["mV"] * 3, sig_name=["I", "II", "I-II"],
                p_signal=np.column_stack([i, ii, i - ii]), fmt=["16"] * 3, write_dir=str(tmp_path))
    rec = read_wfdb_record(tmp_path / "r")
    assert rec.leads == ["I", "II", "I-II"] and rec.extra_leads == ["I-II"]
    assert "III" not in rec.leads
