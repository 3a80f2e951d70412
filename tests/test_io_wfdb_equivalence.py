"""The fast path (plain format-16/212 records) equals wfdb-python on every shared WFDB record.

For each record: the header from the fast parser equals the header from ``wfdb.rdheader``
(every field), the samples read through the fast path equal those read through
``wfdb.rdrecord`` bit for bit, and both equal wfdb's own physical signal (in mV).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from interp_ecg.io import read_wfdb_record
from interp_ecg.io.leads import normalise_lead_name
from interp_ecg.io.wfdb_reader import _fast_path_ok, read_header

pytestmark = pytest.mark.shared_data

wfdb = pytest.importorskip("wfdb")


def _records(ptbxl_root, ludb_root, cinc_root, wfdb_sample_root) -> list[Path]:
    paths = (sorted(ptbxl_root.glob("records100/*/*.hea")) + sorted(ptbxl_root.glob("records500/*/*.hea"))
             + sorted((ludb_root / "data").glob("*.hea")) + sorted(cinc_root.glob("*.hea"))
             + sorted(wfdb_sample_root.glob("*.hea")))
    assert len(paths) == 500 + 500 + 200 + 50 + 2
    return [p.with_suffix("") for p in paths]


def _check(path: Path) -> None:
    fast_h = read_header(path, engine="auto")
    wfdb_h = read_header(path, engine="wfdb")
    assert fast_h == wfdb_h, path
    # every shared record takes the fast path, except PTB's s0010_re: 12 leads in .dat, Frank
    # leads in .xyz (two data files), which both engines read through wfdb.rdrecord
    assert _fast_path_ok(fast_h) == (path.name != "s0010_re"), path
    fast = read_wfdb_record(path, engine="auto")
    slow = read_wfdb_record(path, engine="wfdb")
    assert fast.leads == slow.leads and fast.fs == slow.fs, path
    np.testing.assert_array_equal(fast.signal, slow.signal, err_msg=str(path))
    ref = wfdb.rdrecord(str(path))  # wfdb's own physical units (all shared records are in mV)
    for i, name in enumerate(ref.sig_name):
        j = fast.leads.index(normalise_lead_name(name))
        np.testing.assert_allclose(fast.signal[j], ref.p_signal[:, i], atol=1e-5, err_msg=f"{path} {name}")


def test_fast_path_equals_wfdb_on_a_sample_of_shared_records(ptbxl_root, ludb_root, cinc_root, wfdb_sample_root):
    """Every 25th shared record, and both sample records (212: MIT-BIH 100; 16: PTB s0010_re)."""
    paths = _records(ptbxl_root, ludb_root, cinc_root, wfdb_sample_root)
    for path in paths[::25] + paths[-2:]:
        _check(path)


@pytest.mark.slow
def test_fast_path_equals_wfdb_on_every_shared_record(ptbxl_root, ludb_root, cinc_root, wfdb_sample_root):
    for path in _records(ptbxl_root, ludb_root, cinc_root, wfdb_sample_root):
        _check(path)


def test_fast_path_equals_wfdb_on_written_212_and_16_records(tmp_path):
    """Records written by wfdb.wrsamp (odd lengths, several leads, baselines, invalid samples)."""
    rng = np.random.default_rng(3)
    for fmt, lim in (("16", 30000), ("212", 2000)):
        for n in (1, 7, 1001):
            d = rng.integers(-lim, lim, size=(n, 3)).astype(np.int32)
            d[0, 1] = -32768 if fmt == "16" else -2048  # the format's "no sample" value
            name = f"w{fmt}_{n}"
            wfdb.wrsamp(name, fs=250, units=["mV", "uV", "mV"], sig_name=["I", "II", "V1"], fmt=[fmt] * 3,
                        adc_gain=[200.0, 0.5, 1000.0], baseline=[5, -3, 0], d_signal=d, write_dir=str(tmp_path))
            path = tmp_path / name
            assert read_header(path, engine="auto") == read_header(path, engine="wfdb")
            fast = read_wfdb_record(path, engine="auto")
            slow = read_wfdb_record(path, engine="wfdb")
            np.testing.assert_array_equal(fast.signal, slow.signal)
            assert np.isnan(fast.signal[1, 0]) and np.isfinite(fast.signal[0]).all()


def test_fast_path_equals_wfdb_property(tmp_path_factory):
    """Any length, lead count, format (16/212), gain and baseline: the two engines agree exactly."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=25, deadline=None, derandomize=True)
    @given(n=st.integers(1, 300), n_sig=st.integers(1, 4), fmt=st.sampled_from(["16", "212"]),
           gain=st.sampled_from([1.0, 200.0, 1000.0, 2.5]), baseline=st.integers(-50, 50),
           seed=st.integers(0, 2**16))
    def check(n, n_sig, fmt, gain, baseline, seed):
        lim = 2047 if fmt == "212" else 32767
        d = np.random.default_rng(seed).integers(-lim, lim, size=(n, n_sig)).astype(np.int32)
        folder = tmp_path_factory.mktemp("prop")
        names = ["I", "II", "V1", "V2"][:n_sig]
        wfdb.wrsamp("p", fs=500, units=["mV"] * n_sig, sig_name=names, fmt=[fmt] * n_sig,
                    adc_gain=[gain] * n_sig, baseline=[baseline] * n_sig, d_signal=d, write_dir=str(folder))
        path = folder / "p"
        assert read_header(path, engine="auto") == read_header(path, engine="wfdb")
        fast = read_wfdb_record(path, engine="auto")
        slow = read_wfdb_record(path, engine="wfdb")
        np.testing.assert_array_equal(fast.signal, slow.signal)
        np.testing.assert_allclose(fast.signal.T, (d - baseline) / gain, rtol=1e-6, atol=1e-6)

    check()
