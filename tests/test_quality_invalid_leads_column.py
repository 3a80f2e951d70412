"""Leads set aside for invalid (NaN) samples are named in a column, like flat/clipped/noisy leads.

V5 all invalid: quality_n_leads_usable 11, every quality_*_leads column empty; V5 was named only in
the free text of quality_reason.
"""

from __future__ import annotations

import numpy as np

from interp_ecg.features import extract_record
from interp_ecg.features.dictionary import column_names
from interp_ecg.io import Record


def _ecg(fs: float = 500.0, seconds: float = 10.0) -> np.ndarray:
    t = np.arange(int(fs * seconds)) / fs
    rng = np.random.default_rng(0)
    x = 0.01 * rng.standard_normal(t.size)
    for beat in np.arange(0.4, seconds - 0.3, 0.9):
        x += 1.2 * np.exp(-((t - beat) / 0.012) ** 2) + 0.25 * np.exp(-((t - beat - 0.3) / 0.05) ** 2) \
            + 0.12 * np.exp(-((t - beat + 0.16) / 0.03) ** 2)
    return x.astype(np.float32)


def test_lead_set_aside_for_invalid_samples_is_named_in_its_column():
    x = np.tile(_ecg(), (3, 1))
    x[2] = np.nan
    row = extract_record(Record("r", x, 500.0, ["I", "II", "V5"]))
    assert row["quality_invalid_leads"] == "V5"
    assert "leads set aside for invalid samples: V5" in row["quality_reason"]
    clean = extract_record(Record("c", np.tile(_ecg(), (3, 1)), 500.0, ["I", "II", "V5"]))
    assert clean["quality_invalid_leads"] == ""
    assert "quality_invalid_leads" in column_names()
