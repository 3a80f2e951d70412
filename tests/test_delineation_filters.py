"""The delineator's filters give scipy's zero-phase result to the last bit."""

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
