"""A fast writer of WFDB format-16 records in the PTB-XL style.

``wfdb.wrsamp`` spends ~0.17 s per record validating its header fields, which would make
writing a 100,000-record cohort take hours; this writer produces the same bytes (``.dat``:
little-endian interleaved int16; ``.hea``: one line per signal with gain 1000 adu/mV, initial
value and 16-bit checksum) in well under a millisecond. The tests check it byte for byte
against ``wfdb.wrsamp`` and read it back with ``wfdb.rdsamp``.

Examples
--------
>>> import numpy as np, tempfile, wfdb
>>> from interp_ecg.simulate.wfdb_writer import write_record
>>> sig = np.array([[0.0, 0.5, -1.25], [1.0, 2.0, 3.0]], dtype="float32")
>>> with tempfile.TemporaryDirectory() as d:
...     write_record(f"{d}/rec", sig, 500, ["I", "II"])
...     p, f = wfdb.rdsamp(f"{d}/rec")
>>> p.T.tolist(), f["fs"], f["sig_name"]
([[0.0, 0.5, -1.25], [1.0, 2.0, 3.0]], 500, ['I', 'II'])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ADC_GAIN = 1000.0


def digitise(signal: np.ndarray, gain: float = ADC_GAIN) -> np.ndarray:
    """mV ``(n_leads, n)`` to int16 samples ``(n, n_leads)`` (round half to even, clipped)."""
    d = np.round(np.asarray(signal, dtype=np.float64).T * gain)
    return np.clip(d, -32767, 32767).astype("<i2")


def write_record(
    path: str | os.PathLike, signal: np.ndarray, fs: float, sig_names: Sequence[str], units: str = "mV"
) -> None:
    """Write ``path.hea`` and ``path.dat`` (format 16) for a ``(n_leads, n)`` signal in mV."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    d = digitise(signal)
    n, n_sig = d.shape
    name = path.name
    d.tofile(path.with_name(name + ".dat"))
    cks = d.astype(np.int64).sum(axis=0) % 65536
    fs_txt = f"{fs:g}"
    lines = [f"{name} {n_sig} {fs_txt} {n}"]
    for j in range(n_sig):
        init = int(d[0, j]) if n else 0
        lines.append(f"{name}.dat 16 {ADC_GAIN:.1f}(0)/{units} 16 0 {init} {int(cks[j])} 0 {sig_names[j]}")
    path.with_name(name + ".hea").write_text("\n".join(lines) + "\n")
