"""Tests of interp_ecg.features.delineation on synthetic beats with known fiducials,
on interp_ecg.simulate records, and on a few real LUDB records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import DelineationError, SamplingRateError
from interp_ecg.features.delineation import COLUMNS, delineate
from interp_ecg.features.delineation.schema import BOUNDARIES
from interp_ecg.features.delineation.scoring import TOLERANCE_MS, Tally, match, score_lead

FS = 500
KINDS = BOUNDARIES


def gaussian_record(hr=60.0, seconds=10.0, n_leads=12, qrs_scale=1.0, p_wave=True,
                    t_sign=1.0, seed=0):
    """Sum-of-Gaussians 12-lead record and its true fiducials (sample indices).

    Each wave is a Gaussian (or three for the QRS); its true onset/offset is taken at
    2.5 SD from the centre, where the wave has fallen to 4% of its peak.
    """
    rng = np.random.default_rng(seed)
    n = int(seconds * FS)
    t = np.arange(n)
    rr = 60.0 / hr
    rs = np.arange(0.6, seconds - 0.5, rr)
    r_idx = np.round(rs * FS).astype(int)
    qt_c = 0.30 * np.sqrt(rr)              # T centre after R, seconds
    t_sd = 0.045 * np.sqrt(rr)
    pr = min(0.16, 0.35 * rr)
    p_sd = 0.018 if rr > 0.5 else 0.012
    q_sd, r_sd, s_sd = 0.006 * qrs_scale, 0.009 * qrs_scale, 0.007 * qrs_scale
    q_dt, s_dt = 0.022 * qrs_scale, 0.024 * qrs_scale
    g_qrs = rng.uniform(0.5, 1.5, n_leads) * rng.choice([1, 1, -1], n_leads)
    g_t = np.abs(g_qrs) * 0.3 * t_sign
    g_p = rng.uniform(0.08, 0.2, n_leads)
    x = np.zeros((n_leads, n))

    def gauss(c, sd):
        return np.exp(-0.5 * ((t - c) / (sd * FS)) ** 2)

    truth = []
    for k, r in enumerate(r_idx):
        shape = (-0.15 * gauss(r - q_dt * FS, q_sd) + gauss(r, r_sd)
                 - 0.3 * gauss(r + s_dt * FS, s_sd))
        x += g_qrs[:, None] * shape[None]
        x += g_t[:, None] * gauss(r + qt_c * FS, t_sd)[None]
        row = {"beat": k, "R_peak": r,
               "QRS_on": r - (q_dt + 2.5 * q_sd) * FS, "QRS_off": r + (s_dt + 2.5 * s_sd) * FS,
               "T_on": r + (qt_c - 2.5 * t_sd) * FS, "T_peak": r + qt_c * FS,
               "T_off": r + (qt_c + 2.5 * t_sd) * FS,
               "P_on": np.nan, "P_peak": np.nan, "P_off": np.nan}
        if p_wave:
            pc = r - pr * FS
            x += g_p[:, None] * gauss(pc, p_sd)[None]
            row.update(P_on=pc - 2.5 * p_sd * FS, P_peak=pc, P_off=pc + 2.5 * p_sd * FS)
        truth.append(row)
    x += 0.005 * rng.standard_normal(x.shape)
    return x.astype(np.float32), pd.DataFrame(truth)


def _global(df):
    return df[df["lead"] == "global"].reset_index(drop=True)


def _assert_close(det, truth, kinds, tol_ms=None):
    """Every true boundary is matched by a global detection within the Martinez tolerance."""
    for k in kinds:
        tol = (tol_ms or TOLERANCE_MS[k]) * FS / 1000
        m = match(det[k].to_numpy(float), truth[k].to_numpy(float), tol)
        assert m.fn == 0 and m.fp == 0, (k, m)


# ---------------------------------------------------------------- output layout

def test_layout_and_shared_beats():
    x, truth = gaussian_record()
    df = delineate(x, FS)
    assert list(df.columns) == COLUMNS
    assert set(df["lead"]) == {"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3",
                               "V4", "V5", "V6", "global"}
    counts = df.groupby("lead")["beat"].apply(lambda b: tuple(b))
    assert counts.nunique() == 1  # same beat numbers in every lead
    for c in COLUMNS[2:]:
        assert df[c].dtype == float


def test_one_dimensional_signal_is_one_lead():
    x, truth = gaussian_record(n_leads=1)
    df = delineate(x[0], FS)
    assert set(df["lead"]) == {"lead0", "global"}
    _assert_close(_global(df), truth, ("QRS_on", "QRS_off", "T_off"))


# ---------------------------------------------------------------- known fiducials

@pytest.mark.parametrize("hr", [40, 60, 120, 200])
def test_rates_40_to_200_bpm(hr):
    x, truth = gaussian_record(hr=hr, seed=hr)
    g = _global(delineate(x, FS))
    assert len(g) == len(truth)
    kinds = ("QRS_on", "QRS_off", "T_off") + (("P_on", "P_off") if hr <= 120 else ())
    _assert_close(g, truth, kinds)


def test_wide_qrs_duration():
    x, truth = gaussian_record(qrs_scale=2.2, seed=3)
    g = _global(delineate(x, FS))
    true_ms = float((truth.QRS_off - truth.QRS_on).median()) * 1000 / FS
    got_ms = float((g.QRS_off - g.QRS_on).median()) * 1000 / FS
    assert true_ms > 140
    assert abs(got_ms - true_ms) < 30
    _assert_close(g, truth, ("QRS_on", "QRS_off"))


def test_no_p_wave_gives_nan_with_reason():
    x, truth = gaussian_record(p_wave=False, seed=4)
    df = delineate(x, FS, return_reasons=True)
    assert df[["P_on", "P_peak", "P_off"]].isna().all().all()
    assert df["reason"].str.contains("P wave").all()
    _assert_close(_global(df), truth, ("QRS_on", "QRS_off", "T_off"))


def test_inverted_t_wave():
    x, truth = gaussian_record(t_sign=-1.0, seed=5)
    g = _global(delineate(x, FS))
    _assert_close(g, truth, ("T_on", "T_off"))
    assert np.all(np.abs(g.T_peak - truth.T_peak) <= 10)


def test_flat_and_noisy_leads_do_not_poison_consensus():
    x, truth = gaussian_record(seed=6)
    clean = _global(delineate(x, FS))
    bad = x.copy()
    bad[2] = 0.0
    bad[7] += 2.0 * np.random.default_rng(1).standard_normal(bad.shape[1]).astype(np.float32)
    df = delineate(bad, FS, return_reasons=True)
    assert df.attrs["lead_status"]["III"] == "flat lead"
    assert df.attrs["lead_status"]["V2"] == "noisy lead"
    g = _global(df)
    assert len(g) == len(clean)
    for k in ("QRS_on", "QRS_off", "T_off", "P_on"):
        assert np.nanmax(np.abs(g[k] - clean[k])) <= 0.02 * FS, k
    assert df.loc[df.lead == "III", "reason"].str.contains("flat").all()


# ---------------------------------------------------------------- simulated conditions

@pytest.mark.parametrize("condition, floor", [("normal", 0.85), ("lbbb", 0.8), ("afib", 0.7),
                                              ("pvc", 0.75)])
def test_simulated_conditions(condition, floor):
    """Per-lead F1 against interp_ecg.simulate's ground truth (QRS and T end)."""
    from interp_ecg.simulate import simulate_record

    s = simulate_record(condition, random_state=11)
    df = delineate(s.signal, FS)
    tot = {k: Tally() for k in KINDS}
    for lead, g in s.fiducials.groupby("lead"):
        d = df[df.lead == lead]
        ref = {k: g[k].to_numpy(float) for k in KINDS}
        for k, m in score_lead({k: d[k].to_numpy(float) for k in KINDS}, ref, FS, KINDS).items():
            tot[k].add(m, FS)
    for k in ("QRS_on", "QRS_off", "T_off"):
        assert tot[k].f1 >= floor, (k, tot[k].row())
    if condition == "afib":
        assert df[["P_on", "P_off"]].isna().all().all()
    else:
        assert tot["P_on"].f1 >= floor


def _wct_duration_errors(condition, seed, params=None):
    """Global QRS duration errors (ms) of a simulated wide-complex tachycardia vs truth."""
    from interp_ecg.simulate import simulate_record

    s = simulate_record(condition, random_state=seed)
    f = s.fiducials
    t = f[(f.lead == "global") & f.QRS_on.notna() & f.QRS_off.notna()]
    g = _global(delineate(s.signal, FS, params=params))
    g_mid = (0.5 * (g.QRS_on + g.QRS_off)).to_numpy()
    t_mid = (0.5 * (t.QRS_on + t.QRS_off)).to_numpy()
    near = np.nanargmin(np.abs(g_mid[None, :] - t_mid[:, None]), axis=1)
    found = np.abs(g_mid[near] - t_mid) <= 0.06 * FS
    dur = (g.QRS_off - g.QRS_on).to_numpy()[near] - (t.QRS_off - t.QRS_on).to_numpy()
    # the offset must not run into the next beat's true QRS onset
    nxt_on = np.append(t.QRS_on.to_numpy()[1:], np.inf)
    into_next = g.QRS_off.to_numpy()[near] >= nxt_on
    return s.info["heart_rate"], found, dur[found] * 1000 / FS, into_next[found]


@pytest.mark.parametrize("condition, seed", [("vt", 102), ("vt", 110), ("vt", 116),
                                             ("vt", 119), ("svt_aberrant", 102),
                                             ("svt_aberrant", 103), ("svt_aberrant", 105),
                                             ("svt_aberrant", 107)])
def test_wide_complex_tachycardia_qrs_duration(condition, seed):
    """VT at 195-215 bpm and SVT with bundle branch block at 150-210 bpm.

    In the VT the T wave of the previous beat runs into the next QRS; before the search
    was bounded by the RR interval the onset started in that T wave and durations came
    out 40-70 ms too long (272 ms for a 190 ms QRS at 210 bpm). In the aberrant SVT a
    steep T wave close to the QRS could be taken for its last slope.
    """
    hr, found, err_ms, into_next = _wct_duration_errors(condition, seed)
    assert 150 <= hr <= 220
    assert found.mean() >= 0.95
    assert not into_next.any()
    assert abs(np.median(err_ms)) <= 25, np.median(err_ms)
    # a few beats per record still err by 40-60 ms (T wave fused with the QRS end)
    assert np.percentile(np.abs(err_ms), 90) <= 60, np.percentile(np.abs(err_ms), 90)


# ---------------------------------------------------------------- bad input

def test_bad_sampling_rate():
    x, _ = gaussian_record()
    for fs in (0, -500, None, float("nan"), "abc", 50):
        with pytest.raises(SamplingRateError):
            delineate(x, fs)


@pytest.mark.parametrize("signal, what", [
    (np.zeros((12, 0), np.float32), "short"),
    (np.zeros((12, 300), np.float32), "short"),
    (np.zeros((12, 5000), np.float32), "usable"),
    (np.full((12, 5000), np.nan, np.float32), "usable"),
])
def test_unusable_signals_raise_delineation_error(signal, what):
    with pytest.raises(DelineationError, match=what):
        delineate(signal, FS)


def test_unknown_method():
    x, _ = gaussian_record()
    with pytest.raises(ValueError, match="unknown"):
        delineate(x, FS, method="magic")


# ---------------------------------------------------------------- NeuroKit2 wrapper

def test_neurokit_wrapper_layout():
    x, truth = gaussian_record(n_leads=2, seed=8)
    df = delineate(x, FS, leads=["II", "V5"], method="neurokit_dwt")
    assert list(df.columns) == COLUMNS
    assert set(df.lead) == {"II", "V5", "global"}
    g = _global(df)
    assert len(g) == len(truth)
    assert np.all(np.abs(g.R_peak - truth.R_peak) <= 0.02 * FS)


# ---------------------------------------------------------------- real LUDB records

@pytest.mark.shared_data
def test_ludb_records_f1_floor(ludb_root):
    """A handful of LUDB records: per-lead F1 well above NeuroKit2's full-LUDB figures.

    Floors: QRS/T-end 0.9 (NeuroKit2 reaches 0.43-0.83 on these boundaries over LUDB),
    P and T-onset 0.75.
    """
    from interp_ecg.io import read_ludb

    ds = read_ludb(ludb_root)
    ann = ds.annotations
    tot = {k: Tally() for k in KINDS}
    recs = [2, 17, 40, 91, 130, 176]
    pos = {r: i for i, r in enumerate(ds.meta.index)}
    for rec in recs:
        df = delineate(np.asarray(ds.signals[pos[rec]]), ds.fs, list(ds.leads))
        a = ann[ann.record == rec]
        for lead, g in a.groupby("lead", observed=True):
            ref = {}
            for w in ("P", "QRS", "T"):
                ref[f"{w}_on"] = g.loc[g.wave == w, "on"].to_numpy(float)
                ref[f"{w}_off"] = g.loc[g.wave == w, "off"].to_numpy(float)
            d = df[df.lead == str(lead)]
            for k, m in score_lead({k: d[k].to_numpy(float) for k in KINDS}, ref, ds.fs,
                                   KINDS).items():
                tot[k].add(m, ds.fs)
    for k in ("QRS_on", "QRS_off", "T_off"):
        assert tot[k].f1 >= 0.9, (k, tot[k].row())
    for k in ("P_on", "P_off", "T_on"):
        assert tot[k].f1 >= 0.75, (k, tot[k].row())
