"""Multi-frequency WFDB records (samples per frame > 1) are read at the frame rate, not refused.

A valid record with chest leads at 2 samples per frame ("16x2") was refused as "header/data
mismatch: checksum of signal 'V1' is 8772, header says 17876": the header checksum (a sum over
the expanded samples) was compared with wfdb's frame-smoothed samples.
"""

from __future__ import annotations

import numpy as np
import pytest
import wfdb

from interp_ecg.errors import RecordReadError
from interp_ecg.io import read_wfdb_record

FS = 500
N = 2000


def _write(folder, corrupt_checksum: bool = False, invalid_at: int | None = None):
    t_frame = np.arange(N) / FS
    t_fast = np.arange(2 * N) / (2 * FS)
    lead_i = np.round(1000 * np.sin(2 * np.pi * 1.0 * t_frame)).astype(np.int16)
    v1 = np.round(300 + 1000 * np.sin(2 * np.pi * 1.0 * t_fast)).astype(np.int16)
    if invalid_at is not None:
        v1[2 * invalid_at + 1] = -32768
    e = [lead_i, v1]
    rec = wfdb.Record(record_name="mf", n_sig=2, fs=FS, sig_len=N, file_name=["mf.dat"] * 2, fmt=["16"] * 2,
                      samps_per_frame=[1, 2], adc_gain=[1000.0] * 2, baseline=[0] * 2, units=["mV"] * 2,
                      sig_name=["I", "V1"], e_d_signal=e, adc_res=[16] * 2, adc_zero=[0] * 2,
                      skew=[None] * 2, byte_offset=[None] * 2, block_size=[0] * 2,
                      init_value=[int(v[0]) for v in e])
    rec.checksum = rec.calc_checksum(expanded=True)
    rec.wrsamp(expanded=True, write_dir=str(folder))
    if corrupt_checksum:  # the V1 line's checksum field off by one
        hea = folder / "mf.hea"
        lines = hea.read_text().splitlines()
        tok = lines[2].split()
        tok[6] = str(int(tok[6]) + 1)
        lines[2] = " ".join(tok)
        hea.write_text("\n".join(lines) + "\n")
    return folder / "mf", lead_i, v1


def test_read_at_the_frame_rate_with_frames_averaged(tmp_path):
    base, lead_i, v1 = _write(tmp_path)
    rec = read_wfdb_record(base)
    assert rec.fs == FS and rec.signal.shape == (2, N) and rec.leads == ["I", "V1"]
    np.testing.assert_allclose(rec.signal[0], lead_i / 1000, atol=1e-6)
    np.testing.assert_allclose(rec.signal[1], v1.reshape(N, 2).mean(axis=1) / 1000, atol=1e-6)
    assert rec.meta["samples_per_frame"] == {"I": 1, "V1": 2}


def test_checksum_is_checked_on_the_expanded_samples(tmp_path):
    base, _, _ = _write(tmp_path, corrupt_checksum=True)
    with pytest.raises(RecordReadError, match=r"checksum of signal 'V1' .* \(over its 2 samples per frame\)"):
        read_wfdb_record(base)
    assert read_wfdb_record(base, check_checksum=False).signal.shape == (2, N)


def test_invalid_sample_makes_its_frame_invalid(tmp_path):
    base, _, _ = _write(tmp_path, invalid_at=100)
    rec = read_wfdb_record(base)
    assert np.isnan(rec.signal[1, 100]) and np.isfinite(rec.signal[1, 99]) and np.isfinite(rec.signal[1, 101])
    assert np.isnan(rec.signal[1]).sum() == 1
