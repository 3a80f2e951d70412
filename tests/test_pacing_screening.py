"""The cheap first tests of the pacemaker-spike search never drop a spike (speed work, issue 10).

``detect_pacing_spikes`` first finds the leads with a steep step (``_steep_leads``) and the
candidate tops of small spikes (``_screen_small``), and runs the exact tests there only; the
isolation median is taken by ``_row_median``. Each must give what the exact test would:
the screens a superset of what passes the exact criteria (written out here from their
definitions), the median ``np.median``'s values bit for bit.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from interp_ecg.features import pacing
from interp_ecg.features.pacing import (
    RETURN_FRACTION,
    SLOPE_MIN_MV_PER_MS,
    SMALL_AMPLITUDE_MIN_MV,
    _row_median,
    _screen_small,
    _steep_leads,
)

FINITE = st.floats(-5, 5, allow_nan=False, width=32)
SAMPLE = st.one_of(FINITE, st.just(float("nan")), st.just(float("inf")))


def _exact_small_screen(xf: np.ndarray, span: int) -> set[tuple[int, int]]:
    """Tops ``(lead, t)`` that stand SMALL_AMPLITUDE_MIN_MV over some sample of the ``span``
    before them and RETURN_FRACTION of that over some sample of the ``span`` after them
    (either sign; float32 arithmetic, samples outside the record or NaN skipped)."""
    amin, rmin = SMALL_AMPLITUDE_MIN_MV, RETURN_FRACTION * SMALL_AMPLITUDE_MIN_MV
    out = set()
    n_leads, n = xf.shape
    for li in range(n_leads):
        for t in range(n):
            before = xf[li, max(0, t - span):t]
            after = xf[li, t + 1:t + 1 + span]
            before, after = before[~np.isnan(before)], after[~np.isnan(after)]
            if before.size == 0 or after.size == 0:
                continue
            top = xf[li, t]
            with np.errstate(invalid="ignore"):
                up = ((top - before.min() >= np.float32(amin))
                      and (top - after.min() >= np.float32(rmin)))
                down = ((before.max() - top >= np.float32(amin))
                        and (after.max() - top >= np.float32(rmin)))
            if up or down:
                out.add((li, t))
    return out


@settings(max_examples=150, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 3), st.integers(6, 40)), elements=SAMPLE),
       st.integers(1, 4), st.floats(0.0001, 1.0))
def test_small_spike_screen_keeps_every_top_that_passes(x, span, scale):
    x = (x * np.float32(scale)).astype(np.float32)
    lt, tt = _screen_small(x, span, SMALL_AMPLITUDE_MIN_MV,
                           RETURN_FRACTION * SMALL_AMPLITUDE_MIN_MV, None)
    cand = set(zip(lt.tolist(), tt.tolist()))
    assert _exact_small_screen(x, span) <= cand
    # row-major order, as np.nonzero gives it
    assert list(zip(lt.tolist(), tt.tolist())) == sorted(cand)


def test_small_spike_screen_at_the_threshold():
    # a rise of exactly 0.05 mV in two steps of 0.025 mV, and a return of 0.03 mV in two
    # steps of 0.015: the smallest that pass
    x = np.zeros((1, 12), np.float32)
    x[0, 5], x[0, 6], x[0, 7], x[0, 8] = 0.025, 0.05, 0.035, 0.02
    lt, tt = _screen_small(x, 2, SMALL_AMPLITUDE_MIN_MV, RETURN_FRACTION * SMALL_AMPLITUDE_MIN_MV,
                           None)
    assert (0, 6) in set(zip(lt.tolist(), tt.tolist()))
    assert (0, 6) in _exact_small_screen(x, 2)
    # the allowed mask limits the tops
    allowed = np.ones(12, bool)
    allowed[6] = False
    lt, tt = _screen_small(x, 2, SMALL_AMPLITUDE_MIN_MV, RETURN_FRACTION * SMALL_AMPLITUDE_MIN_MV,
                           allowed)
    assert 6 not in tt.tolist()


@settings(max_examples=150, deadline=None)
@given(arrays(st.sampled_from([np.float32, np.float64]),
              st.tuples(st.integers(1, 4), st.integers(4, 30)), elements=SAMPLE),
       st.sampled_from([250.0, 500.0, 1000.0]), st.floats(0.01, 3.0))
def test_steep_leads_include_every_lead_with_a_steep_step(x, fs, scale):
    x = (x * scale).astype(x.dtype)
    with np.errstate(invalid="ignore"):
        d = np.diff(x.astype(np.float64), axis=1) / (1000.0 / fs)
        steep = np.flatnonzero((np.abs(d) >= SLOPE_MIN_MV_PER_MS).any(axis=1))
    assert set(steep.tolist()) <= set(_steep_leads(x, fs).tolist())


def test_steep_leads_skip_leads_without_a_steep_step():
    x = np.zeros((3, 100), np.float32)
    x[1, 50] = 1.0                               # 1 mV in 2 ms at 500 Hz: 0.5 mV/ms
    x[2] = np.linspace(0, 1, 100)               # 0.005 mV/ms
    assert _steep_leads(x, 500.0).tolist() == [1]
    assert pacing.detect_pacing_spikes(x[[0, 2]], 500.0).empty


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 41)),
              elements=st.one_of(st.floats(0, 1e3, allow_nan=False), st.just(float("inf")))))
def test_row_median_is_numpys(a):
    np.testing.assert_array_equal(_row_median(a), np.median(a, axis=1))
