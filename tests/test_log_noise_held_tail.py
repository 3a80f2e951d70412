"""The per-record note "delineated samples 0-4948 of 5000: the rest is held ..." is DEBUG, not INFO.

Every PTB-XL 500 Hz record ends with ~50 held samples, so `interp-ecg features` logged one such
INFO line per record (21,799 on PTB-XL), drowning the progress lines.
"""

from __future__ import annotations

import logging

import numpy as np

from interp_ecg.features.delineation import delineate


def _ecg(fs: float = 500.0, seconds: float = 10.0) -> np.ndarray:
    t = np.arange(int(fs * seconds)) / fs
    x = np.zeros_like(t)
    for beat in np.arange(0.5, seconds, 1.0):
        x += 1.2 * np.exp(-((t - beat) / 0.012) ** 2) + 0.25 * np.exp(-((t - beat - 0.3) / 0.05) ** 2)
    return np.tile(x, (2, 1)).astype(np.float32)


def test_held_tail_is_noted_at_debug_only(caplog):
    x = _ecg()
    x[:, -50:] = x[:, -51:-50]  # the last 50 samples held, as in PTB-XL
    with caplog.at_level(logging.DEBUG, logger="interp_ecg.features.delineation"):
        df = delineate(x, 500.0, ["II", "V5"])
    assert df.attrs["signal_span"][1] <= 4950  # the held tail is left out
    notes = [r for r in caplog.records if "delineated samples" in r.getMessage()]
    assert notes and all(r.levelno == logging.DEBUG for r in notes)
