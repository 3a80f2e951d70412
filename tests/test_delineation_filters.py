"""The delineator's filters and fast helpers give numpy's and scipy's results to the last bit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal as sps

from interp_ecg.features.delineation.filters import _sos, bandpass


@pytest.mark.parametrize("fs", [100.0, 250.0, 360.0, 500.0, 1000.0])
@pytest.mark.parametrize("low,high", [(0.5, 40.0), (0.5, 15.0), (45.0, None), (8.0, 30.0),
                                      (None, 20.0), (0.5, 45.0)])
def test_bandpass_is_sosfiltfilt_bit_for_bit(fs, low, high):
    rng = np.random.default_rng(int(fs))
    for shape in [(12, 5000), (2, 37), (3000,), (1, 2), (4, 1)]:
        x = rng.standard_normal(shape).astype(np.float32)
        y = bandpass(x, fs, low, high)
        h = None if high is not None and high >= fs / 2 else high
        sos = _sos(fs, low, h, 2)
        n = shape[-1]
        ref = sps.sosfiltfilt(sos, x.astype(np.float64), axis=-1,
                              padlen=min(n - 1, 3 * (2 * len(sos) + 1) * 4))
        assert y.shape == ref.shape and y.dtype == np.float64
        assert y.tobytes() == np.ascontiguousarray(ref).tobytes()
        assert y.flags.c_contiguous


def test_dilate_is_maximum_filter1d():
    from scipy.ndimage import maximum_filter1d

    from interp_ecg.features.delineation.waves import dilate

    rng = np.random.default_rng(3)
    for _ in range(500):
        n, size = int(rng.integers(1, 60)), int(rng.integers(1, 70))
        m = rng.random((2, 3, n)) < rng.random()
        ref = maximum_filter1d(m.astype(np.uint8), size=size, axis=-1, mode="constant") > 0
        assert np.array_equal(dilate(m, size), ref)


def test_nanmedian_cols_is_nanmedian():
    import warnings

    from interp_ecg.features.delineation.stages import nanmedian_cols

    rng = np.random.default_rng(4)
    for trial in range(1000):
        r, c = int(rng.integers(1, 20)), int(rng.integers(1, 20))
        v = rng.standard_normal((r, c)) * 10 ** rng.uniform(-5, 5)
        if trial % 4 == 1:
            v = rng.integers(-3, 3, (r, c)).astype(float)        # ties
        if trial % 4 == 2:
            v[rng.random((r, c)) < 0.2] = np.inf
        v[rng.random((r, c)) < rng.random()] = np.nan          # all-NaN columns too
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ref = np.nanmedian(v, axis=0)
        assert nanmedian_cols(v).tobytes() == ref.tobytes()
