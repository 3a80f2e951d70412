"""A count per minute is taken over the recorded time (trust defect, round of 2026-12-01).

Before, ``PVC_per_min`` divided the PVC count by the full record length even where an
all-lead dropout gap or an all-lead flat start held no beat that could be seen, while the
RR intervals spanning a gap were already left out of the rate (``rr_features(gaps=)``):
two PVCs in a 30-s record with 4.1 s unrecorded read 4.0 per minute instead of
2 x 60 / 25.9 = 4.63.
"""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.errors import ArgumentError
from interp_ecg.features import extract_record
from interp_ecg.features.rhythm import recorded_duration_s
from interp_ecg.features.synthetic import TruthDelineator, gaussian_ecg

FS = 500


def test_recorded_duration_is_length_less_the_union_of_lost_spans():
    assert recorded_duration_s(15000, FS) == 30.0
    # overlapping spans count once; spans are clipped to the record
    assert recorded_duration_s(15000, FS, [(8000, 9000), (8500, 9200), (14800, 16000)]) == pytest.approx(27.2)
    assert recorded_duration_s(15000, FS, np.zeros((0, 2))) == 30.0
    assert recorded_duration_s(1000, FS, [(0, 1000)]) == 0.0
    with pytest.raises(ArgumentError, match="fs"):
        recorded_duration_s(1000, 0.0)


def test_pvc_per_min_over_the_recorded_time_with_a_gap_and_a_flat_start():
    # 30 s at 60 bpm, PVCs at beats 6 (6.0 s) and 20 (20.0 s); every lead flat over the
    # first 1.5 s, lost (zeros) over 16.0-18.0 s (a flat run and a dropout gap at once) and
    # over 24.0-24.6 s (a dropout gap only): 1.5 + 2.0 + 0.6 = 4.1 s unrecorded
    sig, truth = gaussian_ecg(fs=FS, duration_s=30, hr_bpm=60, pvc_beats=[6, 20], noise_mV=0.01, random_state=3)
    lost = [(0, 750), (8000, 9000), (12000, 12300)]
    for a, b in lost:
        sig[:, a:b] = 0.0
    on, off = truth["QRS_on"].to_numpy(), truth["T_off"].to_numpy()
    seen = np.ones(len(truth), bool)
    for a, b in lost:
        seen &= ~((on < b) & (off > a))
    truth = truth[seen].reset_index(drop=True)
    n_beats = truth["beat"].nunique()
    assert n_beats == 30 - 2 - 2 - 1
    row = extract_record(sig, FS, method=TruthDelineator(truth))
    assert row["quality_ok"]
    assert "16.00-18.00 s" in row["quality_reason"] and "24.00-24.60 s" in row["quality_reason"]
    assert row["record_duration_s"] == 30.0
    assert row["n_beats"] == n_beats and row["PVC_count"] == 2.0
    # the right value: 2 PVCs over 25.9 recorded seconds (before: 2 x 60 / 30 = 4.0)
    assert row["PVC_per_min"] == pytest.approx(2 * 60 / 25.9, rel=1e-9)
    # the unbroken record: the same count over its full length
    sig, truth = gaussian_ecg(fs=FS, duration_s=30, hr_bpm=60, pvc_beats=[6, 20], noise_mV=0.01, random_state=3)
    assert extract_record(sig, FS, method=TruthDelineator(truth))["PVC_per_min"] == pytest.approx(4.0)
