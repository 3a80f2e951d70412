"""Adding a lead never shortens the global QRS or QT (issue 10).

With one or two usable leads the global QRS and T run from the earliest onset to the latest
offset of the leads (Kligfield et al. 2007; ``Params.cons_q_few = 0``). So, given the leads'
own boundaries, adding a lead can only move the global onset earlier and the offset later.
The record-level value the features report is the median over the beats that have the
interval; two LUDB records read a shorter II + V5 QT than lead II alone, and both are right
(docs/results_features.md, "Round of 2026-11-30 (evening): adding a lead never shortens the
QT"): the tests below pin the mechanism of each, so that any other shortening fails.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interp_ecg import features
from interp_ecg.features.delineation import delineate
from interp_ecg.features.delineation import stages as S
from interp_ecg.features.delineation.params import Params
from interp_ecg.features.extract import measured_fiducials
from interp_ecg.simulate import simulate_record

FS = 500.0


@pytest.mark.parametrize("shift", [5, 10])
def test_a_later_lead_lengthens_qrs_and_qt_by_exactly_its_delay(shift):
    # the second lead is lead II delayed by ``shift`` samples: the true two-lead QRS runs from
    # II's onset to the delayed lead's offset and the QT from II's onset to the delayed lead's
    # T end, so both are exactly ``shift`` samples longer than II's own in every beat, and the
    # record-level QRS duration and QT the features report are 2 x shift ms longer (500 Hz)
    s = simulate_record("normal", noise=0, random_state=3)
    names = [str(c) for c in s.fiducials["lead"].cat.categories if str(c) != "global"]
    ii = np.asarray(s.signal, dtype=np.float32)[names.index("II")]
    late = np.concatenate([np.full(shift, ii[0]), ii[:-shift]])
    two = np.stack([ii, late])
    d1, d2 = delineate(ii[None], FS, ["II"]), delineate(two, FS, ["II", "II_late"])
    g1, g2 = d1[d1["lead"] == "global"], d2[d2["lead"] == "global"]
    assert len(g1) == len(g2)
    t1, t2 = np.asarray(g1["T_off"], float), np.asarray(g2["T_off"], float)
    assert np.isfinite(t2).sum() >= 8
    np.testing.assert_array_equal(np.asarray(g2["QRS_on"], float), np.asarray(g1["QRS_on"], float))
    np.testing.assert_array_equal(t2, t1 + shift)
    r1 = features.extract_record(ii[None], FS, ["II"])
    r2 = features.extract_record(two, FS, ["II", "V5"])
    assert r2["QRS_duration_ms"] == r1["QRS_duration_ms"] + 2 * shift
    assert r2["QT_interval_ms"] == r1["QT_interval_ms"] + 2 * shift


_ends = st.floats(min_value=100, max_value=4000, allow_nan=False).map(round)


@settings(max_examples=60, deadline=None)
@given(on=st.lists(st.tuples(_ends, _ends), min_size=1, max_size=6),
       off=st.lists(st.tuples(_ends, _ends), min_size=1, max_size=6))
def test_t_consensus_of_one_or_two_leads_is_earliest_onset_and_latest_offset(on, off):
    # the definition on hand-made per-lead values (no terminal lobe): with two leads the
    # global T onset is the earlier and the offset the later lead's, so never earlier
    # (later) than the first lead's alone, however far apart the two leads are
    nb = min(len(on), len(off))
    t_on = np.array([[a for a, _ in on[:nb]], [b for _, b in on[:nb]]], float)
    t_off = np.array([[a for a, _ in off[:nb]], [b for _, b in off[:nb]]], float)
    t = {"on": t_on, "peak": (t_on + t_off) / 2, "off": t_off,
         "lobe": np.zeros(t_on.shape, bool), "snr": np.full(t_on.shape, 20.0)}
    one = S.t_consensus({k: v[:1] for k, v in t.items()}, np.ones(1, bool), FS, Params())
    two = S.t_consensus(t, np.ones(2, bool), FS, Params())
    np.testing.assert_array_equal(two["off"], t_off.max(axis=0))
    np.testing.assert_array_equal(two["on"], t_on.min(axis=0))
    assert np.all(two["off"] >= one["off"]) and np.all(two["on"] <= one["on"])


def _ludb(ludb_root, rid):
    import wfdb

    base = ludb_root / "data" if (ludb_root / "data").is_dir() else ludb_root
    rec = wfdb.rdrecord(str(base / str(rid)))
    names = [n.upper() for n in rec.sig_name]
    x = rec.p_signal.T.astype(np.float32)
    return rec.fs, x[[names.index("II")]], x[[names.index("II"), names.index("V5")]], base


def _global(x, fs, leads):
    f = measured_fiducials(x, fs, leads)
    return f[f["lead"] == "global"].reset_index(drop=True)


def _ludb_t_ends(base, rid, lead):
    """LUDB's T-wave ends (samples) of one lead."""
    import wfdb

    a = wfdb.rdann(str(base / str(rid)), lead)
    sym = list(a.symbol)
    return np.array([a.sample[i + 1] for i, c in enumerate(sym)
                     if c == "t" and i + 1 < len(sym) and sym[i + 1] == ")"], float)


#: LUDB records 1-40 (500 Hz) whose record QT reads more than a sample shorter with II + V5
#: than with lead II alone, each for a reason checked below (docs/results_features.md)
QT_SHORTER_CHECKED = {4, 29}


@pytest.mark.parametrize("block", [range(1, 21), range(21, 41)])
def test_adding_v5_to_ii_never_shortens_the_record_qt(ludb_root, block):
    # the record QT the features report (median over the dominant beats of the global QT):
    # adding V5 to lead II lengthens it or leaves it (within a sample, 2 ms), except in the
    # two records whose shorter II + V5 QT is checked to be right below
    logging.disable(logging.WARNING)
    try:
        for rid in block:
            fs, one, two, _ = _ludb(ludb_root, rid)
            q1 = features.extract_record(one, fs, ["II"])["QT_interval_ms"]
            q2 = features.extract_record(two, fs, ["II", "V5"])["QT_interval_ms"]
            if rid in QT_SHORTER_CHECKED:
                assert q2 < q1 - 2000.0 / fs, (rid, q1, q2)   # still the case: see below
            else:
                assert q2 >= q1 - 1000.0 / fs, (rid, q1, q2)
    finally:
        logging.disable(logging.NOTSET)


def test_ludb_29_shorter_qt_is_the_beat_set_not_a_shorter_beat(ludb_root):
    # LUDB 29: lead II's T is nearly isoelectric and a late low hump follows it (LUDB's other
    # eleven leads end their T 17-30 ms before that hump peaks: a U wave). Lead II alone shows
    # a "T" above its noise in 6 of 10 beats, three of them that hump (QT 510-532 ms), so its
    # record QT (447 ms) is the median of two modes. With V5 every beat has a T: in no beat
    # is the global T end earlier than with II alone (the definition), and the record QT falls
    # only because the beats where II shows no T now count (V5: QT ~400 ms; the consensus of
    # the eleven other leads' marks: ~400 ms)
    logging.disable(logging.WARNING)
    try:
        fs, one, two, _ = _ludb(ludb_root, 29)
        g1, g2 = _global(one, fs, ["II"]), _global(two, fs, ["II", "V5"])
    finally:
        logging.disable(logging.NOTSET)
    assert len(g1) == len(g2)
    assert np.all(np.abs(np.asarray(g1["R_peak"]) - np.asarray(g2["R_peak"])) <= 2)
    qt1 = np.asarray(g1["T_off"] - g1["QRS_on"], float) * 1000.0 / fs
    qt2 = np.asarray(g2["T_off"] - g2["QRS_on"], float) * 1000.0 / fs
    both = np.isfinite(qt1) & np.isfinite(qt2)
    assert both.sum() >= 5
    assert np.all(qt2[both] >= qt1[both] - 1000.0 / fs)
    only_two = np.isfinite(qt2) & ~np.isfinite(qt1)
    assert only_two.sum() >= 3
    # the beats II alone cannot measure read the V5 QT (not II's late hump)
    assert np.all(np.abs(qt2[only_two] - 400.0) <= 10.0)
    # over the beats lead II alone measures, II + V5 is no shorter
    assert np.median(qt2[np.isfinite(qt1)]) >= np.median(qt1[np.isfinite(qt1)])


def test_ludb_4_shorter_qt_is_a_wrong_wave_in_lead_ii_alone(ludb_root):
    # LUDB 4: in the beats where II + V5 reads an earlier T end than lead II alone, lead II
    # alone took the undershoot after its small T for an inverted T (its T end > 40 ms after
    # LUDB's lead II mark); with V5 the beat detection point moves by a few samples, lead II's
    # T search finds its real T, and the global T end lies within 20 ms of the later of LUDB's
    # lead II and V5 marks: the shorter QT is the right one
    logging.disable(logging.WARNING)
    try:
        fs, one, two, base = _ludb(ludb_root, 4)
        g1, g2 = _global(one, fs, ["II"]), _global(two, fs, ["II", "V5"])
    finally:
        logging.disable(logging.NOTSET)
    t1, t2 = np.asarray(g1["T_off"], float), np.asarray(g2["T_off"], float)
    earlier = np.flatnonzero(np.isfinite(t1) & np.isfinite(t2) & (t2 < t1 - 1))
    assert earlier.size >= 1
    mark_ii, mark_v5 = _ludb_t_ends(base, 4, "ii"), _ludb_t_ends(base, 4, "v5")
    for b in earlier:
        ii = mark_ii[np.argmin(np.abs(mark_ii - t1[b]))]
        v5 = mark_v5[np.argmin(np.abs(mark_v5 - t2[b]))]
        assert t1[b] - ii > 40e-3 * fs, (b, t1[b], ii)
        assert abs(t2[b] - max(ii, v5)) <= 20e-3 * fs, (b, t2[b], ii, v5)
