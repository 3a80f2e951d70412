"""Issue 10, section 1: nothing fabricated.

The five small inputs of the issue, each with its exact right answer, plus the invalid-
sample policy and the naming of the record in every error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import signal as sps

from interp_ecg.errors import DelineationError, SignalQualityError
from interp_ecg.features import extract, extract_record
from interp_ecg.features.delineation import FIDUCIALS, delineate
from interp_ecg.features.quality import MAX_BRIDGED_GAP_MS, invalid_sample_policy
from interp_ecg.features.synthetic import gaussian_ecg

FS = 500


def beats_record(seconds=10.0, hr=60.0, t_amp=0.3, n_leads=1, noise=0.005, seed=0):
    """Sum-of-Gaussians beats (the construction of tests/test_delineation.py).

    The QRS is q (-0.15), R (1.0) and s (-0.3) Gaussians; its true offset lies at
    R + 41.5 ms (2.5 SD past the s wave). Returns the signal and the R peaks.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * FS)
    t = np.arange(n)
    r_idx = np.round(np.arange(0.6, seconds - 0.3, 60.0 / hr) * FS).astype(int)

    def g(c, sd):
        return np.exp(-0.5 * ((t - c) / (sd * FS)) ** 2)

    x = np.zeros(n)
    for r in r_idx:
        x += -0.15 * g(r - 11, 0.006) + g(r, 0.009) - 0.3 * g(r + 12, 0.007)
        x += t_amp * g(r + 0.30 * FS, 0.045) + 0.12 * g(r - 0.16 * FS, 0.018)
    x = np.tile(x, (n_leads, 1)) + noise * rng.standard_normal((n_leads, n))
    return x.astype(np.float32), r_idx


def _inside_and_ordered(df, n):
    v = df[FIDUCIALS].to_numpy(float)
    fin = v[np.isfinite(v)]
    assert ((fin >= 0) & (fin < n)).all()


# ------------------------------------------------------------------ 1. edge-cut last beat
def test_beat_cut_by_the_record_edge_gives_nan_and_is_kept_out_of_the_medians():
    x, r = beats_record()
    true_off = r[-1] + int(round(0.0415 * FS))
    n = true_off + 3                           # cut 2 samples after the last QRS ends
    x = x[:, :n]
    df = delineate(x, FS, ["II"], return_reasons=True)
    _inside_and_ordered(df, n)
    g = df[df.lead == "global"].reset_index(drop=True)
    assert len(g) == len(r)
    last = g.iloc[-1]
    assert abs(last.R_peak - r[-1]) <= 2
    assert np.isnan(last.QRS_off)              # was R + 50 ms = beyond the last sample
    assert np.isnan(last.T_on) and np.isnan(last.T_off)
    assert df.attrs["edge_beats"] == [len(r) - 1]
    assert "record edge" in last.reason
    s = extract_record(x, FS, leads=["II"])
    assert s["n_beats"] == len(r)
    # the record's QRS is the median of the whole beats only
    per_beat = (g.QRS_off - g.QRS_on).iloc[:-1] * 1000 / FS
    assert s["QRS_duration_ms"] == pytest.approx(float(np.median(per_beat)))
    assert "cut by the record edge" in s["quality_reason"]


# ------------------------------------------------------------------ 2. baseline step
def test_baseline_step_is_not_a_beat():
    sig, truth = gaussian_ecg(hr_bpm=60, duration_s=7.5, noise_mV=0.002, random_state=2)
    assert (truth.lead == "global").sum() == 7
    x = np.concatenate([np.full((12, 3 * FS), -1.5, np.float32), sig], axis=1)
    df = delineate(x, FS)
    g = df[df.lead == "global"]
    assert len(g) == 7
    s = extract_record(x, FS)
    assert s["n_beats"] == 7
    assert s["RR_mean_ms"] == pytest.approx(1000.0, abs=2)
    assert 60000.0 / s["RR_mean_ms"] == pytest.approx(60.0, abs=0.2)
    assert s["RR_sd_ms"] == pytest.approx(0.0, abs=2)


# ------------------------------------------------------------------ 3. no T wave
def test_no_t_wave_gives_nan_t_in_every_row():
    x, r = beats_record(t_amp=0.0, noise=0.01, n_leads=12, seed=3)
    df = delineate(x, FS)
    assert df[["T_on", "T_peak", "T_off"]].isna().all().all()
    s = extract_record(x, FS)
    assert np.isnan(s["QT_interval_ms"]) and np.isnan(s["QTc_Bazett_ms"])
    assert np.isnan(s["T_amp_mV_V5"])


# ------------------------------------------------------------------ 4. pure noise
def _noise(kind, n_leads=12, n=5000, seed=0):
    rng = np.random.default_rng(seed)
    if kind == "band-limited":
        sos = sps.butter(4, [0.5, 40], "bandpass", fs=FS, output="sos")
        y = sps.sosfiltfilt(sos, rng.standard_normal((n_leads, n)), axis=-1)
    elif kind == "pink":
        f = np.fft.rfftfreq(n, 1 / FS)
        sp = rng.standard_normal((n_leads, f.size)) + 1j * rng.standard_normal((n_leads, f.size))
        sp[:, 1:] /= np.sqrt(f[1:])
        sp[:, 0] = 0
        y = np.fft.irfft(sp, n)
    else:  # spiky: a little white noise and heavy-tailed impulses
        y = 0.05 * rng.standard_normal((n_leads, n))
        for i in range(n_leads):
            y[i, rng.integers(0, n, 60)] += rng.standard_t(2, 60)
        y = sps.sosfiltfilt(sps.butter(2, 40, fs=FS, output="sos"), y, axis=-1)
    return (0.3 * y / y.std()).astype(np.float32)


@pytest.mark.parametrize("kind", ["band-limited", "pink", "spiky"])
def test_noise_without_ecg_is_refused(kind):
    x = _noise(kind)
    with pytest.raises(DelineationError, match="noise"):
        delineate(x, FS)
    # extract_record sets noise-only leads aside before delineating them: no usable lead
    with pytest.raises((DelineationError, SignalQualityError), match="noise"):
        extract_record(x, FS)


@pytest.mark.parametrize("kind", ["band-limited", "pink", "spiky"])
def test_noise_in_a_batch_gives_a_quality_flag_and_nan(kind, tmp_path):
    from interp_ecg.io import ArrayLoader, EcgDataset

    x = _noise(kind, seed=1)
    meta = pd.DataFrame({"patient_id": [1]}, index=pd.Index(["noise1"], name="record_id"))
    ds = EcgDataset(meta, ArrayLoader(x[None], fs=FS), fs=FS, name="noise")
    out = extract(ds, progress=False)
    row = out.iloc[0]
    assert not row["quality_ok"]
    # the record is named by its id (an in-memory record has no file; was "array[0]")
    assert row["quality_reason"].startswith("noise1: ") and "noise" in row["quality_reason"][8:]
    assert np.isnan(row["QRS_duration_ms"]) and np.isnan(row["RR_mean_ms"])


# ------------------------------------------------------------------ 5. invalid samples
def test_invalid_sample_policy_bridges_short_gaps_and_sets_aside_long_ones():
    x = np.tile(np.sin(np.arange(5000) / 50.0), (3, 1))
    short = int(MAX_BRIDGED_GAP_MS * FS / 1000)
    x[0, 1000:1000 + short] = np.nan
    x[1, 2000:2000 + short + 1] = np.nan
    rep, bridged, status = invalid_sample_policy(x, FS, ["I", "II", "V1"])
    assert status[0].startswith("bridged") and bridged[0].sum() == short
    assert np.isfinite(rep[0]).all()
    assert np.allclose(rep[0, 1000:1000 + short], np.sin(np.arange(1000, 1000 + short) / 50.0), atol=0.01)
    assert status[1].startswith("set aside") and np.isnan(rep[1, 2000])
    assert status[2] == "ok" and not bridged[2].any()


def test_short_nan_gap_is_bridged_and_flagged_with_no_fiducial_on_it():
    sig, truth = gaussian_ecg(hr_bpm=60, noise_mV=0.002, random_state=5)
    g = truth[truth.lead == "global"]
    r = int(g.R_peak.iloc[4])
    x = sig.copy()
    x[6, r - 3:r + 3] = np.nan               # 12 ms in V1, on an R peak
    clean = extract_record(sig, FS)
    s = extract_record(x, FS)
    assert s["quality_ok"]
    assert "bridged" in s["quality_reason"] and "V1" in s["quality_reason"]
    assert s["QRS_duration_ms"] == pytest.approx(clean["QRS_duration_ms"], abs=4)
    df = delineate(x, FS)
    v1 = df[(df.lead == "V1") & (df.beat == 4)][FIDUCIALS].to_numpy(float)[0]
    guard = 0.02 * FS                         # Params.edge_guard_s
    near = np.isfinite(v1) & (v1 >= r - 3 - guard) & (v1 <= r + 2 + guard)
    assert not near.any(), v1
    assert np.isnan(v1[3])                    # the QRS onset lay on the gap
    # the same record written with zeros there is not silently different in kind
    assert extract_record(np.nan_to_num(x), FS)["quality_ok"]


def test_long_nan_gap_sets_the_lead_aside_and_the_record_is_measured():
    sig, _ = gaussian_ecg(hr_bpm=70, noise_mV=0.002, random_state=6)
    x = sig.copy()
    x[10, 1000:2500] = np.nan                # 3 s of V5 lost
    s = extract_record(x, FS)
    assert s["quality_ok"]
    assert s["quality_n_leads_usable"] == 11
    assert "V5" in s["quality_reason"] and "invalid samples" in s["quality_reason"]
    assert np.isnan(s["R_amp_mV_V5"])
    assert np.isfinite(s["R_amp_mV_V6"])
    df = delineate(x, FS, return_reasons=True)
    assert df[df.lead == "V5"][FIDUCIALS].isna().all().all()
    assert df.attrs["lead_status"]["V5"].startswith("invalid samples")


def test_record_refused_only_when_no_usable_lead_remains():
    sig, _ = gaussian_ecg(noise_mV=0.002, random_state=7)
    x = sig.copy()
    x[:, 1000:2000] = np.nan
    with pytest.raises(SignalQualityError, match="invalid"):
        extract_record(x, FS)
    with pytest.raises(DelineationError, match="usable"):
        delineate(x, FS)


# ------------------------------------------------------------------ errors name the record
def test_errors_from_inside_delineate_name_the_record():
    from interp_ecg.io.dataset import Record

    # noise-only leads are now set aside before the delineator sees them (features.quality
    # policy), so the delineator's own refusal is provoked with a delineator that refuses
    def refusing(signal, fs, leads):
        raise DelineationError("no QRS complex found")

    sig, _ = gaussian_ecg(noise_mV=0.002)
    rec = Record("rec42", sig, FS, ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2",
                                    "V3", "V4", "V5", "V6"], source="data/rec42.hea")
    with pytest.raises(DelineationError) as info:
        extract_record(rec, method=refusing)
    assert info.value.source == "data/rec42.hea"
    assert str(info.value).startswith("data/rec42.hea: ")


def test_failure_row_names_the_record_for_unnamed_errors():
    from interp_ecg.features.extract import _failure_row

    row = _failure_row(DelineationError("no QRS complex found"), "rec7")
    assert row["quality_reason"].startswith("rec7: ")
    assert not row["quality_ok"] and row["quality_error"] == "DelineationError"
    assert pd.isna(row["QRS_duration_ms"])


# ------------------------------------------------------------------ any lead names, 1-15 leads
@pytest.mark.parametrize("n_leads, names", [
    (1, ["MLII"]), (2, ["ECG1", "ECG2"]), (2, ["MLII", "V5"]), (3, ["vx", "vy", "vz"]),
    (15, None)])
def test_any_lead_names_and_counts(n_leads, names):
    from interp_ecg.simulate import simulate_record

    s = simulate_record("normal", noise=0.5, random_state=3)
    x = s.signal
    if n_leads == 15:   # twelve leads plus three more (Frank-like combinations)
        x = np.vstack([x, x[[0, 5, 8]] * 0.7])
    else:
        x = x[[1, 10, 6][:n_leads]]
    df = delineate(x, FS, names)
    expected = names or [f"lead{i}" for i in range(15)]
    assert list(dict.fromkeys(df.lead)) == [*expected, "global"]
    g = df[df.lead == "global"]
    true_r = s.fiducials[s.fiducials.lead == "global"].R_peak.dropna().to_numpy()
    assert len(g) == len(true_r)
    assert np.nanmax(np.abs(np.sort(g.R_peak.to_numpy()) - np.sort(true_r))) <= 0.05 * FS
    _inside_and_ordered(df, x.shape[1])
