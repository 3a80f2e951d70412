"""``paced`` where the sampling rate cannot show a pacing spike (user17 finding 2).

A pacing pulse lasts 0.1-2 ms; below ``pacing.PACING_MIN_FS_HZ`` (125 Hz: one sample every
8 ms or more) it is smeared by the recorder's anti-aliasing filter into a deflection as wide as
a QRS notch. There "no spike found" is no evidence, so ``paced`` and ``pacing_spike_count``
are NaN with a sentence in ``quality_reason``, not 0 (PTB-XL's records100: all paced records
read paced 0 before).
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from scipy.signal import resample_poly

from interp_ecg.features import extract_record
from interp_ecg.features.pacing import (
    PACING_MIN_FS_HZ,
    detect_pacing_spikes,
    pacing_detectable,
    pacing_note,
    pacing_summary,
)
from interp_ecg.simulate import simulate_record


def test_rate_limit_is_one_sample_per_widest_spike():
    assert PACING_MIN_FS_HZ == 125.0
    assert not pacing_detectable(124.9) and pacing_detectable(125.0) and pacing_detectable(250)


def test_summary_nan_only_where_spikes_cannot_be_seen():
    none = detect_pacing_spikes(np.zeros((2, 1000)), 500)
    assert pacing_summary(none, 500) == {"paced": 0.0, "pacing_spike_count": 0.0}
    assert pacing_summary(none) == {"paced": 0.0, "pacing_spike_count": 0.0}
    low = pacing_summary(none, 100)
    assert np.isnan(low["paced"]) and np.isnan(low["pacing_spike_count"])
    assert pacing_note(none, 500) == ""
    assert "cannot be detected at 100 Hz" in pacing_note(none, 100)
    # spikes found anyway at a low rate are evidence: paced 1, no note
    x = np.zeros((2, 400)); x[:, [100, 300]] = 3.0
    found = detect_pacing_spikes(x, 100)
    assert len(found) == 2
    assert pacing_summary(found, 100) == {"paced": 1.0, "pacing_spike_count": 2.0}
    assert pacing_note(found, 100) == ""


def _spiked_lbbb():
    """A simulated LBBB record at 500 Hz with a 2 mV, one-sample spike (2 ms) in every lead
    20 ms before each true QRS onset: a ventricular-paced record."""
    ecg = simulate_record("lbbb", random_state=0)
    g = ecg.fiducials[ecg.fiducials["lead"] == "global"]["QRS_on"].to_numpy(float)
    on = np.round(g[np.isfinite(g)]).astype(int) - 10
    x = ecg.signal.astype(np.float32).copy()
    x[:, on[on > 0]] += 2.0
    return x, int((on > 0).sum())


def test_paced_record_at_500_hz_and_downsampled_to_100_hz():
    x, n = _spiked_lbbb()
    logging.disable(logging.WARNING)
    try:
        hi = extract_record(x, 500)
        # the recorder's route to 100 Hz: anti-aliasing low-pass, then every 5th sample
        lo = extract_record(resample_poly(x, 1, 5, axis=1).astype(np.float32), 100)
    finally:
        logging.disable(logging.NOTSET)
    assert hi["paced"] == 1.0 and hi["pacing_spike_count"] == n
    assert "pacemaker spikes cannot be detected" not in hi["quality_reason"]
    assert np.isnan(lo["paced"]) and np.isnan(lo["pacing_spike_count"])
    assert "paced, pacing_spike_count NaN: pacemaker spikes cannot be detected at 100 Hz" in lo["quality_reason"]


@pytest.mark.shared_data
def test_ptbxl_paced_record_at_both_rates(ptbxl_root):
    """PTB-XL 143 (PACE): 17 spikes at 500 Hz; none visible in records100 -> NaN, not 0."""
    from interp_ecg.io.wfdb_reader import read_wfdb_record

    rows = {}
    for fs, path in ((500, "records500/00000/00143_hr"), (100, "records100/00000/00143_lr")):
        rec = read_wfdb_record(str(ptbxl_root / path))
        assert rec.fs == fs
        rows[fs] = extract_record(rec)
    assert rows[500]["paced"] == 1.0 and rows[500]["pacing_spike_count"] == 17
    assert np.isnan(rows[100]["paced"]) and np.isnan(rows[100]["pacing_spike_count"])
    assert "cannot be detected at 100 Hz" in rows[100]["quality_reason"]
