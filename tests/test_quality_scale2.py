"""A limb lead on a wrong scale or not as named: the limb-lead identities name it, its values are NaN.

user13 A2/A3: with lead III recorded as I - II (negated) the Einthoven check set the axes NaN but
kept III's per-lead values (R_amp_mV_III 0.0 instead of 0.4975, S -0.4975, T -0.0875) with no
mark on them; a lead on a 2x or 3x scale was not found at all. One lead breaks every identity
it is in and no other, so the pattern names it (its per-lead values NaN); when the pattern
cannot tell (II = I + III alone), the leads in doubt are named in quality_limb_identity_leads.
"""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg.features import extract_record
from interp_ecg.features.quality import limb_identity_suspects, limb_lead_identity
from interp_ecg.io import Record
from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg.simulate import simulate_record

LEADS = list(STANDARD_LEADS)
LIMB = LEADS[:6]


def _limb(seed: int = 0) -> np.ndarray:
    """Six limb leads from three electrode potentials (identities exact)."""
    t = np.arange(5000) / 500.0
    rng = np.random.default_rng(seed)
    ra, la, ll = (sum(a * np.sin(2 * np.pi * f * t + p) for a, f, p in zip(rng.uniform(0.2, 1, 4),
                  rng.uniform(1, 20, 4), rng.uniform(0, 6, 4))) for _ in range(3))
    return np.stack([la - ra, ll - ra, ll - la, ra - (la + ll) / 2, la - (ra + ll) / 2, ll - (ra + la) / 2])


def _suspects(sig: np.ndarray, leads=LIMB, usable=None):
    res: dict[str, float] = {}
    limb_lead_identity(sig, 500.0, leads, usable, res)
    return limb_identity_suspects(sig, 500.0, leads, usable, res)


@pytest.mark.parametrize("k", [2.0, 3.0, 0.5, -1.0])
@pytest.mark.parametrize("j", range(6))
def test_each_limb_lead_off_scale_is_named(j, k):
    sig = _limb()
    assert _suspects(sig) == (None, [])
    sig[j] *= k
    assert _suspects(sig) == (LIMB[j], [LIMB[j]])


def test_einthoven_alone_cannot_tell_which_lead():
    sig = _limb()[:3]
    sig[2] *= 2
    assert _suspects(sig, LIMB[:3]) == (None, ["I", "II", "III"])


def test_two_leads_off_cannot_be_told():
    sig = _limb()
    sig[0] *= 2
    sig[1] *= 0.5
    breaker, suspects = _suspects(sig)
    assert breaker is None and suspects == LIMB
    # I and aVR off: the failed identities are those of I alone, but without I the other
    # leads do not agree (aVR), so no lead is named
    sig = _limb()
    sig[0] *= 2
    sig[3] *= 1.5
    breaker, suspects = _suspects(sig)
    assert breaker is None and suspects == ["I", "II", "III", "aVR", "aVL"]


def test_set_aside_lead_not_named():
    sig = _limb()
    sig[4] *= 3  # aVL off, but set aside: only the other identities are checked
    usable = np.array([True, True, True, True, False, True])
    assert _suspects(sig, usable=usable) == (None, [])


def test_lead_iii_recorded_negated_has_its_values_nan():
    x = simulate_record("normal", random_state=0)[0].copy()
    ref = extract_record(Record("ref", x, 500.0, LEADS))
    assert ref["quality_limb_identity_leads"] == ""
    x[2] = -x[2]  # "I-II" read as III: the lead negated
    row = extract_record(Record("neg", x, 500.0, LEADS))
    assert row["quality_limb_identity_leads"] == "III"
    for m in ("R_amp_mV", "S_amp_mV", "T_amp_mV", "ST60_amp_mV", "P_amp_mV"):
        assert np.isnan(row[f"{m}_III"]), m
    # the other leads keep their values; the record's intervals are those of the clean record
    for ld in ("I", "II", "aVF", "V5"):
        assert row[f"R_amp_mV_{ld}"] == pytest.approx(ref[f"R_amp_mV_{ld}"], abs=1e-6)
    assert row["QRS_duration_ms"] == ref["QRS_duration_ms"]
    assert "lead III breaks the limb-lead identities" in row["quality_reason"]
    assert np.isnan(row["QRS_axis_deg"])


def test_limb_lead_on_twice_its_scale_is_named():
    x = simulate_record("normal", random_state=3)[0].copy()
    x[4] *= 2.0  # aVL
    row = extract_record(Record("avl2", x, 500.0, LEADS))
    assert row["quality_limb_identity_leads"] == "aVL"
    assert np.isnan(row["R_amp_mV_aVL"]) and np.isnan(row["Cornell_voltage_mV"])
    assert np.isfinite(row["R_amp_mV_I"])


def test_three_limb_leads_only_flagged_not_nan():
    x = simulate_record("normal", random_state=2)[0].copy()
    sub = x[[0, 1, 2, 10]].copy()
    sub[2] *= 2.0
    row = extract_record(Record("three", sub, 500.0, ["I", "II", "III", "V5"]))
    assert row["quality_limb_identity_leads"] == "I,II,III"
    assert np.isfinite(row["R_amp_mV_III"]) and np.isfinite(row["R_amp_mV_I"])
    assert "cannot tell which lead is off" in row["quality_reason"]


def test_ptbxl_record_9_clean_and_iii_as_i_minus_ii(ptbxl_root):
    from interp_ecg import io

    rec = io.read_ptbxl(ptbxl_root, sampling_rate=500).load(9)
    clean = extract_record(rec)
    assert clean["quality_limb_identity_leads"] == ""
    x = rec.signal.copy()
    x[2] = x[0] - x[1]  # the channel "I-II" = -III in III's place (user13 A2)
    row = extract_record(Record("9", x, rec.fs, list(rec.leads)))
    assert row["quality_limb_identity_leads"] == "III"
    assert np.isnan(row["R_amp_mV_III"]) and np.isnan(row["S_amp_mV_III"]) and np.isnan(row["T_amp_mV_III"])
    assert row["R_amp_mV_II"] == pytest.approx(clean["R_amp_mV_II"], abs=1e-6)
