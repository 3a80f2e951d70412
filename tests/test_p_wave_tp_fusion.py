"""T-P fusion at fast rates (user17 finding 4): a P wave that begins under the previous T wave.

The P search starts at the previous T end when that is later than the RR-based start; a P
that began under the T then had its onset placed at (or just after) that T end, late:
simulated sinus tachycardia read PR 108 ms for a true 152 ms at 150 bpm (median error -35 ms
at 150 bpm, -21 at 140), and where the T end was placed inside the P no P was found at all
(P presence 0, an empty reason: a sinus tachycardia that looks like AF). The onset is not in
the signal there: NaN with a reason; a P with no room outside the T: presence unknown (NaN).
Truth from the simulator.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

import interp_ecg.simulate.conditions as C
from interp_ecg.features import extract_record
from interp_ecg.features.delineation import delineate
from interp_ecg.features.delineation.params import Params
from interp_ecg.features.delineation.stages import P_HIDDEN_IN_T, P_ON_FUSED
from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg.simulate import simulate_record


def _sinus(monkeypatch, hr: float, seed: int):
    cond = "stach" if hr > 100 else "normal"
    monkeypatch.setitem(C.HR_RANGE, cond, (hr, hr))
    return simulate_record(cond, noise=0.3, random_state=seed)


def _row(sig):
    logging.disable(logging.WARNING)
    try:
        return extract_record(sig.astype(np.float32), 500)
    finally:
        logging.disable(logging.NOTSET)


def test_fused_p_onset_is_nan_with_reason(monkeypatch):
    sig, fid, info = _sinus(monkeypatch, 150, 3)
    g = fid[fid["lead"] == "global"]
    # the truth: every P begins before the previous T ends (T-P fusion)
    assert (g["P_on"].to_numpy()[1:] < g["T_off"].to_numpy()[:-1]).mean() > 0.9
    row = _row(sig)
    assert np.isnan(row["PR_interval_ms"]) and np.isnan(row["P_duration_ms"])
    assert row["P_wave_presence_fraction"] >= 0.9          # the P waves are there ...
    assert f"{P_ON_FUSED} in " in row["quality_reason"]     # ... their onsets are not
    # the delineator's own table: consensus P onset NaN with the reason, P peak kept
    df = delineate(sig.astype(np.float32), 500, leads=list(STANDARD_LEADS), return_reasons=True)
    glob = df[df["lead"] == "global"]
    fused = glob["reason"].str.contains(P_ON_FUSED, regex=False)
    assert fused.sum() >= 20
    assert glob.loc[fused, "P_on"].isna().all() and glob.loc[fused, "P_peak"].notna().all()
    # off: the late onsets come back (PR 44 ms short of the truth, as before)
    off = delineate(sig.astype(np.float32), 500, leads=list(STANDARD_LEADS), params=Params(p_tp_min_s=0.0))
    pr_off = np.nanmedian((off[off["lead"] == "global"]["QRS_on"] - off[off["lead"] == "global"]["P_on"]) * 2)
    assert pr_off < info["pr_ms"] - 25


def test_p_hidden_in_t_reads_unknown_not_absent(monkeypatch):
    # 150 bpm, seed 5: the T end is placed 34 ms late, 47 ms before the QRS onset; before,
    # P presence read 0.0 with an empty quality_reason
    sig, fid, info = _sinus(monkeypatch, 150, 5)
    row = _row(sig)
    assert np.isnan(row["P_wave_presence_fraction"])
    assert np.isnan(row["PR_interval_ms"])
    assert f"{P_HIDDEN_IN_T} in 25 of 25 beats" in row["quality_reason"]
    assert "P_wave_presence_fraction NaN" in row["quality_reason"]


@pytest.mark.parametrize("hr", [80, 120])
def test_no_fusion_no_change(monkeypatch, hr):
    # an isoelectric T-P segment: PR measured, within 10 ms of the truth, no fusion note
    sig, fid, info = _sinus(monkeypatch, hr, 0)
    row = _row(sig)
    assert abs(row["PR_interval_ms"] - info["pr_ms"]) <= 10.0
    assert row["P_wave_presence_fraction"] >= 0.9
    assert P_HIDDEN_IN_T not in row["quality_reason"]
