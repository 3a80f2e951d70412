"""Unit tests of the per-record stages of ``interp_ecg.features.record_measure``.

Each stage of ``measure_record`` is tested on its own, on small arrays or clean simulated
records whose right answer is known by construction (gap positions, spike samples, lead
sets, note order), and every refusal is checked to name its record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import DelineationError, LeadError, SignalQualityError
from interp_ecg.features import extract_record
from interp_ecg.features import measurements as M
from interp_ecg.features.median_beat import FIDUCIALS, BeatTable, FidArrays
from interp_ecg.features.quality import lead_quality
from interp_ecg.features.record_measure import (
    NO_LOCKED_P,
    QT_DISPERSION_MIN_LEADS,
    apply_invalid_sample_policy,
    classify_record_beats,
    condition_signal,
    delineate_usable_leads,
    empty_row,
    interval_measurements,
    lead_measurements,
    measure_record,
    merge_delineator_spikes,
    name_dropout_gaps,
    p_not_time_locked_note,
    rate_and_rhythm,
    record_reason,
    require_usable_lead,
    screen_leads,
    screen_noisy_stretches,
    traced_interval_columns,
)
from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg.simulate import simulate_record

FS = 500.0
LEADS = list(STANDARD_LEADS)


@pytest.fixture(scope="module")
def clean():
    """A clean simulated 12-lead normal record (no noise: no mains, no noisy lead)."""
    x, fid, _ = simulate_record("normal", fs=FS, noise=0, random_state=0)
    return np.asarray(x, np.float32), fid


@pytest.fixture(scope="module")
def measured(clean):
    x, _ = clean
    return measure_record(x, FS, LEADS, "rec-clean", None, 3)


def _no_spikes() -> pd.DataFrame:
    return pd.DataFrame({"sample": pd.Series([], dtype="int64"), "start": pd.Series([], dtype="int64"),
                         "end": pd.Series([], dtype="int64"), "amplitude_mV": pd.Series([], dtype="float64"),
                         "n_leads": pd.Series([], dtype="int64"), "lead": pd.Series([], dtype="object")})


# --------------------------------------------------------------------------- 1. input policy
def test_invalid_samples_finite_input_untouched(clean):
    x, _ = clean
    out = apply_invalid_sample_policy(x, FS, LEADS)
    assert out.signal is x
    assert not out.invalid.any() and out.bridged_leads == [] and out.nan_gaps.shape == (0, 2)


def test_invalid_samples_bridged_set_aside_and_all_lead_gap(clean):
    x, _ = clean
    a = x.copy()
    a[3, 1200:1204] = np.nan          # short: bridged
    a[5, 2000:2400] = np.nan          # 0.8 s in one lead: set aside
    a[:, 3000:3050] = np.nan          # every lead at once: an all-lead gap
    out = apply_invalid_sample_policy(a, FS, LEADS)
    assert np.isfinite(out.signal).all() and out.signal.dtype == np.float32
    assert out.invalid.tolist() == [i == 5 for i in range(12)]
    assert "aVR" in out.bridged_leads and "aVF" not in out.bridged_leads
    assert out.nan_gaps.tolist() == [[3000, 3050]]
    assert np.all(out.signal[5, 2000:2400] == 0.0)   # set aside: zeros, not a guess


# --------------------------------------------------------------------------- 2. conditioning
def test_condition_refuses_microvolts_naming_the_record(clean):
    x, _ = clean
    with pytest.raises(SignalQualityError, match="rec-uV"):
        condition_signal(x * 1000, x * 1000, FS, LEADS, "rec-uV")


def test_condition_notches_mains_keeps_nan_and_strips_spikes(clean):
    x, fid = clean
    t = np.arange(x.shape[1]) / FS
    y = x.copy()
    y[0] += (0.2 * np.sin(2 * np.pi * 50 * t)).astype(np.float32)
    on = fid[fid["lead"] == "global"]["QRS_on"].to_numpy(float)
    spikes = np.round(on[np.isfinite(on)]).astype(int)[2:5] - 10
    y[:, spikes] += 3.0
    y[:, spikes + 1] += 3.0
    raw = y.copy()
    raw[4, 100:102] = np.nan
    bridged = np.where(np.isfinite(raw), raw, 0.0).astype(np.float32)
    c = condition_signal(raw, bridged, FS, LEADS, "rec1")
    assert c.before_mains is bridged
    assert [k.split()[0] for k in c.mains] == ["I"]
    assert np.isnan(c.raw[4, 100:102]).all() and np.isfinite(np.delete(c.raw, [100, 101], axis=1)).all()
    assert np.array_equal(np.isfinite(c.raw), np.isfinite(raw))
    assert c.spikes["sample"].tolist() == pytest.approx(spikes.tolist(), abs=1)
    assert np.abs(c.signal[:, spikes]).max() < 2.0


# --------------------------------------------------------------------------- 3. screening
def test_screen_leads_refusals_name_the_record(clean):
    x, _ = clean
    y = x.copy()
    y[:, 2000:2600] = 0.0            # every lead off at once over 1.2 of 10 s (>= 10 %)
    with pytest.raises(SignalQualityError, match="rec-off: flat in every lead at once over 1.2 of 10.0 s"):
        screen_leads(y, FS, LEADS, np.zeros(12, bool), "rec-off")
    with pytest.raises(SignalQualityError, match=r"rec-gain: amplitude implausible \(gain/units\?\)"):
        screen_leads(8 * x, FS, LEADS, np.zeros(12, bool), "rec-gain")


def test_screen_leads_flat_lead_not_usable(clean):
    x, _ = clean
    y = x.copy()
    y[2] = 0.0
    q, note = screen_leads(y, FS, LEADS, np.zeros(12, bool), "rec1")
    assert q["flat"].tolist() == [i == 2 for i in range(12)]
    assert q["usable"].tolist() == [i != 2 for i in range(12)]
    assert note == ""


def test_name_dropout_gaps_nan_runs_replace_still_runs():
    q = pd.DataFrame(index=["I"])
    q.attrs["dropout_gaps"] = [(10, 20), (60, 70)]
    note = name_dropout_gaps(q, np.zeros((1, 100)), FS, False, np.array([[0, 5], [8, 30], [95, 100]]))
    assert q.attrs["dropout_gaps"] == [(60, 70)]          # (10, 20) lies in the NaN run 8-30
    assert q.attrs["invalid_dropout_gaps"] == [(8, 30)]
    assert q.attrs["invalid_edge_runs"] == [(0, 5), (95, 100)]
    assert isinstance(note, str) and note


def test_name_dropout_gaps_found_again_before_the_notch(clean):
    x, _ = clean
    y = x.copy()
    y[:, 2000:2400] = 0.0
    q = lead_quality(y, FS, LEADS)
    q.attrs["dropout_gaps"] = []
    assert name_dropout_gaps(q, y, FS, False, np.zeros((0, 2), np.int64)) == ""
    assert name_dropout_gaps(q, y, FS, True, np.zeros((0, 2), np.int64)) != ""
    assert [tuple(map(int, g)) for g in q.attrs["dropout_gaps"]] == [(2000, 2400)]


def test_noisy_stretch_sets_aside_a_stretch_not_the_leads(clean):
    x, _ = clean
    rng = np.random.default_rng(1)
    y = x.copy()
    y[:, 3000:3500] += (0.5 * rng.standard_normal((12, 500))).astype(np.float32)   # two 0.5-s blocks
    q = lead_quality(y, FS, LEADS)
    assert q["noisy"].all()                                  # judged on the whole record: all noisy
    runs = screen_noisy_stretches(y, FS, LEADS, q, np.zeros(12, bool))
    assert runs.tolist() == [[3000, 3500]]
    assert q["usable"].all() and not q["noisy"].any()      # judged on the rest


def test_no_noisy_stretch_leaves_q_alone(clean):
    x, _ = clean
    q = lead_quality(x, FS, LEADS)
    before = q.copy()
    assert screen_noisy_stretches(x, FS, LEADS, q, np.zeros(12, bool)).shape == (0, 2)
    pd.testing.assert_frame_equal(q, before)


def test_require_usable_lead_names_record_and_leads():
    q = pd.DataFrame({"usable": [False, False], "flat": [True, False], "clipped": [False, True],
                      "noisy": [False, False]}, index=["I", "II"])
    with pytest.raises(SignalQualityError, match=r"rec7.*flat \['I'\], clipped \['II'\]"):
        require_usable_lead(q, np.zeros(2, bool), "rec7")


# --------------------------------------------------------------------------- 4. delineation
def test_delineation_errors_name_the_record():
    x = np.zeros((1, 1000), np.float32)

    def no_source(sig, fs, leads):
        raise LeadError("bad lead")

    def crash(sig, fs, leads):
        raise ValueError("boom")

    with pytest.raises(LeadError, match="rec3") as e:
        delineate_usable_leads(x, FS, np.array([0]), ["II"], np.zeros((0, 2)), no_source, "rec3")
    assert e.value.source == "rec3"
    with pytest.raises(DelineationError, match="rec3.*ValueError: boom"):
        delineate_usable_leads(x, FS, np.array([0]), ["II"], np.zeros((0, 2)), crash, "rec3")


def test_delineation_sees_noisy_stretch_as_a_line():
    seen = {}

    def grab(sig, fs, leads):
        seen["x"] = sig.copy()
        return pd.DataFrame({"lead": leads})

    x = np.vstack([np.arange(100, dtype=np.float32), np.ones(100, np.float32)])
    x[:, 40:60] = 9.0
    fid = delineate_usable_leads(x, FS, np.array([0]), ["II"], np.array([[40, 60]]), grab, "rec1")
    assert fid["lead"].tolist() == ["II"]
    assert seen["x"].shape == (1, 100)
    np.testing.assert_allclose(seen["x"][0, 39:61], np.arange(39, 61), atol=1e-4)   # 39 -> 60 straight
    assert x[0, 50] == 9.0                                                             # input untouched


def test_merge_delineator_spikes_adds_only_new_ones():
    known = _no_spikes()
    known.loc[0] = [300, 299, 302, 2.0, 12, "all"]
    known = known.astype(_no_spikes().dtypes.to_dict())
    fid = pd.DataFrame({"lead": ["II"]})
    fid.attrs["pacing_spike_table"] = [
        {"sample": 301, "start": 300, "end": 302, "amplitude_mV": 0.3, "n_leads": 1, "lead": "II"},  # known
        {"sample": 100, "start": 100, "end": 101, "amplitude_mV": 0.3, "n_leads": 1, "lead": "II"},  # new
    ]
    x = np.zeros((2, 1000), np.float32)
    x[:, 100] = 0.3
    y, s = merge_delineator_spikes(x, FS, np.array([0]), fid, known)
    assert s["sample"].tolist() == [100, 300]
    assert y is not x and x[0, 100] == np.float32(0.3)
    assert abs(y[0, 100]) < 0.05 and y[1, 100] == np.float32(0.3)       # usable lead only


# --------------------------------------------------------------------------- 5. beats
def test_classify_record_beats_too_few_names_record(clean, measured):
    x, _ = clean
    q = lead_quality(x, FS, LEADS)
    fid = measured[2]["fiducials"]
    with pytest.raises(DelineationError, match="rec9: too few beats"):
        classify_record_beats(x, FS, q, np.arange(12), LEADS, fid, _no_spikes(), np.zeros((0, 2), np.int64),
                              100, "rec9")


def test_classify_record_beats_edges_out_of_the_medians(clean, measured):
    x, _ = clean
    q = lead_quality(x, FS, LEADS)
    fid = measured[2]["fiducials"]
    st = classify_record_beats(x, FS, q, np.arange(12), LEADS, fid, _no_spikes(), np.zeros((0, 2), np.int64),
                               3, "rec1")
    edge = sorted(fid.attrs["edge_beats"])
    assert st.table.beats.index[st.edge].tolist() == edge
    assert not st.table_med.beats["dominant"].to_numpy()[st.edge].any()
    assert st.noise_note == "" and st.flat_med_note == "" and not st.in_noise.any()


# --------------------------------------------------------------------------- 6. measurements
def _regular_table(n: int = 10, step: int = 500) -> BeatTable:
    beats = pd.DataFrame({"anchor_aligned": np.arange(250, 250 + n * step, step), "dominant": True, "label": "N"})
    return BeatTable(beats=beats, fiducials=pd.DataFrame(np.nan, index=beats.index, columns=FIDUCIALS))


def test_rate_and_rhythm_regular_and_across_a_gap():
    t = _regular_table()
    v, _ = rate_and_rhythm(t, np.zeros(10, bool), pd.DataFrame(), np.zeros((0, 2)), FS, 5000)
    assert v["heart_rate_bpm"] == pytest.approx(60.0) and v["n_beats"] == 10
    # a beat missing at 2250 (one RR of 2 s) inside a noisy stretch: that RR is left out
    beats = t.beats.drop(index=4).reset_index(drop=True)
    t2 = BeatTable(beats=beats, fiducials=t.fiducials.iloc[:9].reset_index(drop=True))
    v2, _ = rate_and_rhythm(t2, np.zeros(9, bool), pd.DataFrame(), np.array([[2000, 2500]]), FS, 5000)
    assert v2["RR_max_ms"] == pytest.approx(1000.0) and v2["heart_rate_bpm"] == pytest.approx(60.0)
    # beats in noise are not counted
    v3, _ = rate_and_rhythm(t, np.arange(10) == 0, pd.DataFrame(), np.zeros((0, 2)), FS, 5000)
    assert v3["n_beats"] == 9


def test_interval_measurements_qt_dispersion_needs_eight_leads(measured):
    row, _, ex = measured
    fa = FidArrays.from_frame(ex["fiducials"])
    v, prov, note = interval_measurements(ex["beats"], fa, FS, row["RR_mean_ms"])
    assert note == "" and np.isfinite(v["QT_dispersion_ms"])
    assert v["QRS_duration_ms"] == row["QRS_duration_ms"] and "feature" in prov.columns
    few = ex["fiducials"][ex["fiducials"]["lead"].isin(["global", "I", "II", "V5"])]
    v2, _, note2 = interval_measurements(ex["beats"], FidArrays.from_frame(few), FS, row["RR_mean_ms"])
    assert np.isnan(v2["QT_dispersion_ms"])
    assert note2 == (f"QT dispersion not measured: QT measurable in 3 lead(s), at least "
                     f"{QT_DISPERSION_MIN_LEADS} needed")


def test_lead_measurements_limb_scale_and_inversion(measured):
    row, prov, ex = measured
    bs = classify_record_beats(ex["signal"], FS, ex["lead_quality"], np.arange(12), LEADS, ex["fiducials"],
                               ex["pacing_spikes"], np.zeros((0, 2), np.int64), 3, "rec1")
    x = bs.recorded
    args = (x, FS, LEADS, np.ones(12, bool), bs.table, bs.table_med, prov.copy(), True,
            row["QRS_duration_ms"])
    ok = lead_measurements(*args, 0.01, "", None, "rec1")
    assert ok.values["R_amp_mV_V5"] == row["R_amp_mV_V5"] and ok.reversal_note == ""
    assert ok.values["quality_lead_reversal_suspected"] == 0.0
    bad = lead_measurements(*args, 0.5, "limb leads not on one scale", None, "rec1")
    assert all(np.isnan(bad.values[c]) for c in M.ONE_SCALE_FEATURES)
    assert np.isnan(bad.values["quality_lead_reversal_suspected"])
    assert bad.values["quality_limb_lead_residual"] == 0.5
    assert bad.values["R_amp_mV_V5"] == row["R_amp_mV_V5"]          # a lead's own amplitude stays
    inv = (-x, *args[1:])
    with pytest.raises(SignalQualityError, match="rec-inv"):
        lead_measurements(*inv, 0.01, "", None, "rec-inv")


def test_traced_interval_columns():
    prov = pd.DataFrame({"feature": ["QRS_duration_ms", "not_traced_ms"], "lead": ["V2", "I"], "beat": [3, 4],
                         "start_sample": [100.0, 1.0], "end_sample": [150.0, 2.0]})
    out = traced_interval_columns(prov)
    assert "QRS_duration_ms" in M.TRACED_INTERVALS
    assert out == {"QRS_duration_lead": "V2", "QRS_duration_beat": 3, "QRS_duration_start_sample": 100.0,
                   "QRS_duration_end_sample": 150.0}


# --------------------------------------------------------------------------- 7. flags, reasons, assembly
def test_p_not_time_locked_note():
    assert p_not_time_locked_note(pd.DataFrame({"lead": ["global"]})) == ""
    fid = pd.DataFrame({"lead": ["global", "global", "global", "II"],
                        "reason": [NO_LOCKED_P, "", NO_LOCKED_P + "; other", NO_LOCKED_P]})
    assert p_not_time_locked_note(fid).startswith(f"{NO_LOCKED_P} in 2 of 3 beats (")


def test_record_reason_fixed_order():
    row = {"quality_noisy_leads": "V1", "quality_wander_leads": "V2", "quality_flat_leads": "",
           "quality_clipped_leads": "V3"}
    text = record_reason(row, flat_note="F", gap_note="G", noise_note="N", flat_med_note="FM", reversal_note="R",
                         why_limb="W", invalid_leads=["aVL"], set_aside=["aVL", "V3"], mains={"I 50 Hz": 0.1234},
                         bridged_leads=["II"], n_edge=2, qtd_note="Q", no_dominant="D", unlocked="U",
                         hrv_notes=["H1", "H2"])
    expected = "; ".join([
        "noisy leads: V1", "baseline wander leads: V2", "clipped leads: V3", "F", "G", "N", "FM", "R",
        f"W: {', '.join(M.ONE_SCALE_FEATURES)} and the lead reversal check NaN; "
        "each lead's own amplitudes are in that lead's units",
        "leads set aside for invalid samples: aVL",
        "leads set aside (not delineated; their amplitudes, ST, and the indices that need them NaN): aVL,V3",
        "mains interference removed by a notch filter: I 50 Hz (0.123 mV)",
        "short gaps of invalid samples bridged in leads: II",
        "2 beat(s) cut by the record edge left out of the medians",
        "Q", "D", "U", "H1", "H2"])
    assert text == expected
    assert record_reason({c: "" for c in row}) == ""


def test_measure_record_is_what_extract_record_returns(clean, measured):
    x, _ = clean
    row, prov, ex = measured
    series, prov2 = extract_record(x, FS, LEADS, return_provenance=True)
    assert row["quality_ok"] is True and row["quality_error"] == ""
    for k in series.index:
        a, b = row[k], series[k]
        if isinstance(b, float) and np.isnan(b):
            assert np.isnan(a), k
        else:
            assert a == b, k
    pd.testing.assert_frame_equal(prov, prov2)
    assert set(ex) == {"fiducials", "beats", "template", "anchor_pos", "relative_fiducials",
                       "lead_measurements", "lead_quality", "pacing_spikes", "signal", "unmeasured_leads"}
    assert set(empty_row()) <= set(row)
