"""Property tests (hypothesis) of the delineator's invariants, issue 10.

On simulated records (interp_ecg.simulate: rhythms, conduction, noise, sampling rates) and
on perturbed real LUDB records (cropped anywhere, any subset of 1-12 leads under any names,
baseline steps, invalid-sample gaps, resampling), every output must satisfy:

* every boundary lies inside the signal, ``[0, n_samples)``, and is NaN otherwise;
* within a beat, ``P_on < P_peak < P_off <= QRS_on < R_peak < QRS_off <= T_on < T_peak <
  T_off`` for the fiducials that are present (per lead and in the consensus rows);
* no beat without a QRS in at least one lead;
* nothing is placed on bridged invalid samples (within the edge guard) or in a lead set aside;
* no record-level measurement without the boundaries it is measured between (the
  provenance of each traced interval names two finite samples inside the record).

These cover the removed fallbacks: R +- 50 ms consensus QRS boundaries (a beat whose
boundaries were not found), window-edge QRS peaks, Zhang-area boundaries at the record's
last sample (a cut T or P wave), and boundaries on bridged NaN samples.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.signal import resample_poly

from interp_ecg.errors import InterpEcgError
from interp_ecg.features import extract_record
from interp_ecg.features.delineation import FIDUCIALS, delineate
from interp_ecg.io.leads import STANDARD_LEADS

SETTINGS = dict(max_examples=12, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
CONDITIONS = ["normal", "afib", "lbbb", "rbbb", "pvc", "vt", "sbrad", "stach", "1avb",
              "svt_aberrant", "lqt"]


def check_invariants(df, n, x=None, bridged_guard=None):
    """Assert the delineation invariants on a ``delineate`` table for ``n`` samples."""
    v = df[FIDUCIALS].to_numpy(float)
    fin = np.isfinite(v)
    assert ((v[fin] >= 0) & (v[fin] < n)).all(), "boundary outside the signal"
    # sample indices: whole samples, or (records not sampled at Params.internal_fs,
    # delineated on a resampling to it) multiples of fs / internal_fs
    k = df.attrs.get("internal_fs", df.attrs.get("fs", 1.0)) / df.attrs.get("fs", 1.0)
    assert np.allclose(v[fin] * k, np.round(v[fin] * k), atol=1e-6), "fiducials are sample indices"
    # order within each beat, across the present fiducials
    strict = [True, True, False, True, True, False, True, True]  # P_off<=QRS_on, QRS_off<=T_on
    for row, ok in zip(v, fin):
        present = np.flatnonzero(ok)
        for a, b in zip(present[:-1], present[1:]):
            allow_eq = all(not strict[k] for k in range(a, b)) if b == a + 1 else False
            assert row[a] < row[b] or (allow_eq and row[a] == row[b]), (
                f"{FIDUCIALS[a]}={row[a]} not before {FIDUCIALS[b]}={row[b]}")
    # every beat has a QRS in at least one lead row
    qrs = df[["QRS_on", "R_peak", "QRS_off"]].notna().any(axis=1)
    has = qrs.groupby(df["beat"]).any()
    assert has.all(), f"beats without a QRS in any lead: {list(has.index[~has])}"
    # leads set aside report nothing
    for lead, status in df.attrs.get("lead_status", {}).items():
        if status != "ok":
            assert df.loc[df.lead == lead, FIDUCIALS].isna().all().all(), lead
    # every edge-cut beat really lies at an edge of the record
    for b in df.attrs.get("edge_beats", []):
        g = df[(df.lead == "global") & (df.beat == b)][FIDUCIALS].to_numpy(float)
        r = g[0, 4] if np.isfinite(g[0, 4]) else np.nanmean(g)
        if np.isfinite(r):
            assert r < 0.8 * df.attrs["fs"] or r > n - 1 - 1.2 * df.attrs["fs"], b


def check_measurements(x, fs, leads):
    """Every traced interval of ``extract_record`` has two finite in-record boundaries."""
    try:
        s, prov = extract_record(x, fs, leads=leads, return_provenance=True)
    except InterpEcgError:
        return
    n = x.shape[1]
    for _, p in prov.iterrows():
        if np.isfinite(p["value"]):
            assert np.isfinite(p["start_sample"]) and np.isfinite(p["end_sample"]), p["feature"]
            assert 0 <= p["start_sample"] < p["end_sample"] < n, p["feature"]
        else:
            assert not np.isfinite(s[p["feature"]])
    for name, a, b in (("QT_interval_ms", "QRS_on", "T_off"), ("PR_interval_ms", "P_on", "QRS_on")):
        if np.isfinite(s[name]):
            assert s[name] > 0


def _resample(x, fs_from, fs_to):
    fr = Fraction(int(fs_to), int(fs_from))
    return resample_poly(x, fr.numerator, fr.denominator, axis=-1).astype(np.float32)


# ------------------------------------------------------------------ simulated records
@settings(**SETTINGS)
@given(condition=st.sampled_from(CONDITIONS), seed=st.integers(0, 10_000),
       noise=st.sampled_from([0.0, 0.5, 1.0, 3.0]), fs=st.sampled_from([250, 360, 500]),
       crop=st.tuples(st.floats(0.0, 0.9), st.floats(0.0, 0.9)),
       n_leads=st.integers(1, 12), names=st.sampled_from(["standard", "MLII", "ECG"]))
def test_invariants_on_simulated_records(condition, seed, noise, fs, crop, n_leads, names):
    from interp_ecg.simulate import simulate_record

    s = simulate_record(condition, fs=fs, noise=noise, random_state=seed)
    x = s.signal
    a, b = int(crop[0] * fs), x.shape[1] - int(crop[1] * fs)
    x = x[:, a:b]
    idx = np.random.default_rng(seed).choice(12, n_leads, replace=False)
    x = x[np.sort(idx)]
    leads = {"standard": [STANDARD_LEADS[i] for i in np.sort(idx)],
             "MLII": ["MLII"] + [f"V{i}" for i in range(1, n_leads)],
             "ECG": [f"ECG{i + 1}" for i in range(n_leads)]}[names]
    try:
        df = delineate(x, fs, leads)
    except InterpEcgError:
        return
    check_invariants(df, x.shape[1])


@settings(**SETTINGS)
@given(seed=st.integers(0, 10_000), step_at=st.floats(0.1, 0.9), step_mv=st.floats(-3, 3),
       gaps=st.lists(st.tuples(st.integers(0, 11), st.floats(0, 1), st.integers(1, 400)),
                     max_size=4))
def test_invariants_with_steps_and_invalid_samples(seed, step_at, step_mv, gaps):
    from interp_ecg.simulate import simulate_record

    s = simulate_record("normal", noise=1.0, random_state=seed)
    x = s.signal.copy()
    n = x.shape[1]
    x[:, int(step_at * n):] += step_mv
    for lead, where, length in gaps:
        i = int(where * (n - length))
        x[lead, i:i + length] = np.nan
    try:
        df = delineate(x, 500, list(STANDARD_LEADS))
    except InterpEcgError:
        return
    check_invariants(df, n)
    # nothing on (or within the 20 ms guard of) a NaN stretch
    for lead, where, length in gaps:
        i = int(where * (n - length))
        v = df.loc[df.lead == STANDARD_LEADS[lead], FIDUCIALS].to_numpy(float)
        v = v[np.isfinite(v)]
        assert not ((v >= i - 10) & (v <= i + length + 10)).any()


@settings(**{**SETTINGS, "max_examples": 6})
@given(condition=st.sampled_from(["normal", "afib", "pvc", "lbbb"]), seed=st.integers(0, 1000),
       crop=st.floats(0.0, 1.0))
def test_measurements_have_their_boundaries_on_simulated_records(condition, seed, crop):
    from interp_ecg.simulate import simulate_record

    s = simulate_record(condition, noise=1.0, random_state=seed)
    x = s.signal[:, : s.signal.shape[1] - int(crop * 500)]
    check_measurements(x, 500, list(STANDARD_LEADS))


# ------------------------------------------------------------------ perturbed LUDB
@pytest.fixture(scope="module")
def ludb_records(ludb_root):
    from interp_ecg.io import read_ludb

    ds = read_ludb(ludb_root)
    return ds, [np.asarray(ds.signals[i], dtype=np.float32) for i in range(0, len(ds), 10)]


@pytest.mark.shared_data
@settings(**SETTINGS)
@given(k=st.integers(0, 19), fs=st.sampled_from([100, 250, 360, 500, 1000]),
       crop=st.tuples(st.floats(0.0, 3.0), st.floats(0.0, 3.0)),
       leads=st.lists(st.integers(0, 11), min_size=1, max_size=12, unique=True),
       gain=st.floats(0.2, 5.0), step_mv=st.floats(-2, 2))
def test_invariants_on_perturbed_ludb_records(ludb_records, k, fs, crop, leads, gain, step_mv):
    ds, recs = ludb_records
    x = recs[k % len(recs)][sorted(leads)] * gain
    x = x[:, int(crop[0] * 500): x.shape[1] - int(crop[1] * 500)]
    x[:, x.shape[1] // 2:] += step_mv
    x = _resample(x, 500, fs)
    names = [str(ds.leads[i]) for i in sorted(leads)]
    try:
        df = delineate(x, fs, names)
    except InterpEcgError:
        return
    check_invariants(df, x.shape[1])


@pytest.mark.shared_data
@settings(**{**SETTINGS, "max_examples": 6})
@given(k=st.integers(0, 19), crop=st.floats(0.0, 3.0))
def test_measurements_have_their_boundaries_on_cropped_ludb(ludb_records, k, crop):
    ds, recs = ludb_records
    x = recs[k % len(recs)]
    x = x[:, : x.shape[1] - int(crop * 500)]
    check_measurements(x, 500, list(ds.leads))
