"""Bad input: each single-record call raises a named interp_ecg error; scan() records and goes on.

Every case starts from a copy of a small real record (PTB-XL 100 Hz, CinC .mat) on tmp_path.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import (
    InterpEcgError,
    LeadError,
    RecordReadError,
    SamplingRateError,
    SignalQualityError,
)
from interp_ecg.io import EcgDataset, read_cinc, read_ptbxl, read_wfdb, read_wfdb_record
from interp_ecg.io.wfdb_reader import WfdbLoader

pytestmark = pytest.mark.shared_data


def _copy_record(src: Path, dst_dir: Path, name: str) -> Path:
    """Copy a WFDB record under a new name, rewriting the header's record and file names."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    text = src.with_suffix(".hea").read_text()
    old = src.name
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if i == 0:
            line = line.replace(old, name, 1)
        elif line.startswith(old):
            line = name + line[len(old):]
        out.append(line)
    (dst_dir / f"{name}.hea").write_text("\n".join(out) + "\n")
    for ext in (".dat", ".mat"):
        if src.with_suffix(ext).exists():
            shutil.copy(src.with_suffix(ext), dst_dir / f"{name}{ext}")
    return dst_dir / name


def _edit_header(rec: Path, fn) -> None:
    hea = rec.with_suffix(".hea")
    lines = hea.read_text().splitlines()
    hea.write_text("\n".join(fn(lines)) + "\n")


@pytest.fixture()
def good(ptbxl_root, tmp_path) -> Path:
    return _copy_record(ptbxl_root / "records100/00000/00001_lr", tmp_path, "rec")


def test_copy_is_readable(good):
    rec = read_wfdb_record(good)
    assert rec.signal.shape == (12, 1000) and rec.fs == 100


def test_missing_dat(good):
    good.with_suffix(".dat").unlink()
    with pytest.raises(RecordReadError, match="rec.dat: data file not found"):
        read_wfdb_record(good)


def test_missing_header(good):
    good.with_suffix(".hea").unlink()
    with pytest.raises(RecordReadError, match="rec.hea: header file not found"):
        read_wfdb_record(good)


def test_truncated_dat(good):
    dat = good.with_suffix(".dat")
    data = dat.read_bytes()
    dat.write_bytes(data[: len(data) // 2])
    with pytest.raises(RecordReadError, match=r"rec\.dat: truncated data file: 12000 bytes, header needs 24000"):
        read_wfdb_record(good)


def test_data_longer_than_header(good):
    _edit_header(good, lambda ls: [ls[0].replace(" 1000", " 900")] + ls[1:])
    with pytest.raises(RecordReadError, match="header/data mismatch"):
        read_wfdb_record(good)


def test_checksum_mismatch(good):
    dat = good.with_suffix(".dat")
    d = np.fromfile(dat, dtype="<i2")
    d[96] += 7  # one sample of lead I (frame 8, channel 0) changed: same size, checksum of lead I no longer matches
    d.tofile(dat)
    with pytest.raises(RecordReadError, match="header/data mismatch: checksum of signal 'I'"):
        read_wfdb_record(good)


def test_header_announces_more_signals(good):
    _edit_header(good, lambda ls: [ls[0].replace("rec 12", "rec 13")] + ls[1:])
    with pytest.raises(RecordReadError, match="announces 13 signals but has 12"):
        read_wfdb_record(good)


def test_unknown_format(good):
    _edit_header(good, lambda ls: [ls[0]] + [l.replace("rec.dat 16 ", "rec.dat 999 ") for l in ls[1:]])
    with pytest.raises(RecordReadError, match=r"unknown WFDB format\(s\) \['999'\]"):
        read_wfdb_record(good)


def test_garbled_format_field(good):
    _edit_header(good, lambda ls: [ls[0]] + [l.replace("rec.dat 16 ", "rec.dat sixteen ") for l in ls[1:]])
    with pytest.raises(RecordReadError, match=r"rec.hea: malformed header: format field 'sixteen'"):
        read_wfdb_record(good)


def test_missing_sampling_rate(good):
    _edit_header(good, lambda ls: ["rec 12"] + ls[1:])
    with pytest.raises(SamplingRateError, match="rec.hea: header gives no sampling rate"):
        read_wfdb_record(good)


def test_zero_sampling_rate(good):
    _edit_header(good, lambda ls: [ls[0].replace(" 100 ", " 0 ")] + ls[1:])
    with pytest.raises(SamplingRateError, match="invalid sampling rate 0"):
        read_wfdb_record(good)


def test_implausible_sampling_rate(good):
    _edit_header(good, lambda ls: [ls[0].replace(" 100 ", " 10 ")] + ls[1:])
    with pytest.raises(SamplingRateError, match=r"10 Hz is too low to delineate \(need >= 100 Hz\)"):
        read_wfdb_record(good)


def test_empty_record(good):
    """0 samples and an empty data file: a clear message, not a header/data mismatch."""
    _edit_header(good, lambda ls: [ls[0].replace(" 1000", " 0")] + ls[1:])
    good.with_suffix(".dat").write_bytes(b"")
    for engine in ("auto", "wfdb"):
        with pytest.raises(RecordReadError, match="rec.hea: record holds no samples") as info:
            read_wfdb_record(good, engine=engine)
        assert "mismatch" not in str(info.value)


@pytest.mark.parametrize("record_line", ["rec 12 100 0", "rec 12 100"])
def test_length_zero_or_missing_comes_from_the_file_size(good, record_line):
    """WFDB header(5): a record line with 0 or no number of samples leaves the length to the data file."""
    ref = read_wfdb_record(good)
    _edit_header(good, lambda ls: [record_line] + ls[1:])
    for engine in ("auto", "wfdb"):
        rec = read_wfdb_record(good, engine=engine)
        assert rec.signal.shape == (12, 1000)
        np.testing.assert_array_equal(rec.signal, ref.signal)


def test_header_claiming_2gb_over_a_sparse_file_is_refused_before_allocating(good):
    """A header claiming 2 GB over a sparse file of that size: a package error naming the cap."""
    from interp_ecg.io.wfdb_reader import MAX_SAMPLES

    n = 2**31 // (12 * 2) + 1  # 12 leads x n samples x 2 bytes > 2 GiB
    _edit_header(good, lambda ls: [f"rec 12 100 {n}"] + ls[1:])
    with open(good.with_suffix(".dat"), "r+b") as fh:
        fh.truncate(n * 12 * 2)  # sparse: no disk used, the size checks pass
    for engine in ("auto", "wfdb"):
        with pytest.raises(RecordReadError, match=r"rec.hea: record too large: 12 signals x 89,478,486 samples"
                                                  r".*over the cap of 134,217,728") as info:
            read_wfdb_record(good, engine=engine)
        assert "max_samples" in str(info.value)
    assert MAX_SAMPLES == 2**27
    with pytest.raises(RecordReadError, match="over the cap of 1,000"):
        read_wfdb_record(good, max_samples=1000)


def test_oversized_header_file_is_refused(good):
    with open(good.with_suffix(".hea"), "r+b") as fh:
        fh.truncate(5 * 2**20)
    with pytest.raises(RecordReadError, match="rec.hea: header file is 5,242,880 bytes, over the cap"):
        read_wfdb_record(good)


@pytest.mark.parametrize(("encoding", "micro"), [("utf-8", "\u00b5"), ("latin-1", "\u00b5"), ("utf-8", "\u03bc")])
def test_microvolt_units_written_with_a_micro_sign(good, encoding, micro):
    """``µV`` (micro sign in UTF-8 or Latin-1; Greek mu in UTF-8) reads as microvolts, not volts."""
    import wfdb
    ref = read_wfdb_record(good)
    hea = good.with_suffix(".hea")
    hea.write_bytes(hea.read_text().replace("/mV", f"/{micro}V").encode(encoding))
    assert wfdb.rdheader(str(good)).units[0] == "V"  # wfdb 4.3 alone: volts (x 10^6 wrong)
    for engine in ("auto", "wfdb"):
        rec = read_wfdb_record(good, engine=engine)
        np.testing.assert_allclose(rec.signal, ref.signal * 1e-3, rtol=1e-6)
        assert rec.meta["units"][0] == f"{micro}V"


def test_microvolt_record_peaks_at_one_millivolt(tmp_path):
    import wfdb

    t = np.arange(5000) / 500
    wfdb.wrsamp("uv", fs=500, units=["uV"] * 2, sig_name=["I", "II"], fmt=["16"] * 2, write_dir=str(tmp_path),
                p_signal=np.column_stack([1000 * np.sin(2 * np.pi * t), 500 * np.sin(2 * np.pi * t)]))
    hea = tmp_path / "uv.hea"
    hea.write_text(hea.read_text().replace("/uV", "/\u00b5V"), encoding="utf-8")
    rec = read_wfdb_record(tmp_path / "uv")
    assert rec.signal[0].max() == pytest.approx(1.0, abs=1e-3)
    assert rec.signal[1].max() == pytest.approx(0.5, abs=1e-3)


@pytest.mark.parametrize("n", [999, 1000, 1])
def test_format_212_odd_length_padded_to_whole_blocks(tmp_path, n):
    """Format 212 with an odd number of samples and the .dat padded to whole 3-byte blocks."""
    import wfdb

    rng = np.random.default_rng(n)
    d = rng.integers(-2000, 2000, size=(n, 1)).astype(np.int32)
    wfdb.wrsamp("p", fs=500, units=["mV"], sig_name=["II"], fmt=["212"], adc_gain=[200.0], baseline=[0],
                d_signal=d, write_dir=str(tmp_path))
    dat = tmp_path / "p.dat"
    blob = dat.read_bytes()
    blocks = -(-n // 2) * 3
    dat.write_bytes(blob[:blocks].ljust(blocks, b"\0"))
    assert dat.stat().st_size % 3 == 0
    ref = wfdb.rdrecord(str(tmp_path / "p"), physical=False).d_signal[:, 0]
    np.testing.assert_array_equal(ref, d[:, 0])
    for engine in ("auto", "wfdb"):
        rec = read_wfdb_record(tmp_path / "p", engine=engine)
        np.testing.assert_allclose(rec.signal[0], d[:, 0] / 200.0, rtol=1e-6)
    dat.write_bytes(dat.read_bytes() + b"\0\0\0")  # a whole block more: a real mismatch
    with pytest.raises(RecordReadError, match="header/data mismatch"):
        read_wfdb_record(tmp_path / "p")


def test_wrong_sampling_rate(good):
    with pytest.raises(SamplingRateError, match="sampling rate 100 Hz, expected 500 Hz"):
        read_wfdb_record(good, expected_fs=500)


def test_duplicate_leads(good):
    # the 4th channel relabelled 'avr' in upper case twice -> aVR appears twice after normalising
    def dup(ls):
        ls = list(ls)
        ls[5] = ls[5].rsplit(" ", 1)[0] + " avr"
        return ls
    _edit_header(good, dup)
    with pytest.raises(LeadError, match=r"duplicate leads \['aVR'\]"):
        read_wfdb_record(good)


def test_missing_leads(good):
    with pytest.raises(LeadError, match=r"missing leads \['X1'\]"):
        read_wfdb_record(good, required_leads=["I", "X1"])
    # a record without V6: rename its V6 channel to something else
    _edit_header(good, lambda ls: ls[:12] + [ls[12].rsplit(" ", 1)[0] + " chest"])
    rec = read_wfdb_record(good)
    assert "V6" not in rec.leads and rec.extra_leads == ["chest"]
    with pytest.raises(LeadError, match=r"missing leads \['V6'\]"):
        read_wfdb_record(good, required_leads=[
            "I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"])


def test_invalid_samples_give_nan_error(good):
    dat = good.with_suffix(".dat")
    d = np.fromfile(dat, dtype="<i2").reshape(1000, 12)
    d[10:20, 2] = -32768  # WFDB "no sample" value of format 16
    d.tofile(dat)
    rec = read_wfdb_record(good, check_checksum=False)
    assert np.isnan(rec.signal[2, 10:20]).all()
    # kept as NaN for the features' invalid-sample policy (bridged or lead set aside)
    assert rec.validate() is rec and rec.invalid_samples.sum() == 10


def test_non_voltage_units_on_a_standard_lead(good):
    _edit_header(good, lambda ls: [ls[0], ls[1].replace("/mV", "/mmHg")] + ls[2:])
    with pytest.raises(RecordReadError, match="lead 'I' has units 'mmHg'"):
        read_wfdb_record(good)


def test_unreadable_mat(cinc_root, tmp_path):
    rec = _copy_record(cinc_root / "E07500", tmp_path / "cinc", "E07500")
    shutil.copy(cinc_root / "dx_mapping_scored.csv", tmp_path / "cinc")
    mat = rec.with_suffix(".mat")
    data = bytearray(mat.read_bytes())
    data[0:4] = b"\xff\xff\xff\x7f"  # not a MATLAB v4 type code
    mat.write_bytes(bytes(data))
    ds = read_cinc(tmp_path / "cinc")
    with pytest.raises(RecordReadError, match=r"E07500.mat: unreadable .mat: not a MATLAB v4 matrix"):
        ds.load("E07500")
    scan = ds.scan()
    assert not scan.loc["E07500", "ok"] and scan.loc["E07500", "error"] == "RecordReadError"


def test_mat_shape_mismatch(cinc_root, tmp_path):
    rec = _copy_record(cinc_root / "E07501", tmp_path / "cinc", "E07501")
    mat = rec.with_suffix(".mat")
    data = bytearray(mat.read_bytes())
    data[4:8] = np.int32(11).tobytes()  # 11 rows instead of 12
    mat.write_bytes(bytes(data))
    with pytest.raises(RecordReadError, match="header/data mismatch: .mat matrix is 11x5000"):
        read_cinc(tmp_path / "cinc").load("E07501")


def test_nan_and_inf_in_memory_records():
    from interp_ecg.io import ArrayLoader

    sig = np.zeros((4, 12, 500), dtype="float32")
    sig[1, 0, 5] = np.nan
    sig[2, 4, 7] = np.inf
    sig[3] = np.nan
    meta = pd.DataFrame({"patient_id": [1, 2, 3, 4]},
                        index=pd.Index(["a", "b", "c", "d"], name="record_id"))
    ds = EcgDataset(meta, ArrayLoader(sig, fs=500), fs=500)
    # invalid samples are loaded as they are (the features layer applies the policy) ...
    assert np.isnan(ds.load("b").signal[0, 5]) and np.isinf(ds.load("c").signal[4, 7])
    # ... and only a record without any valid sample is refused at load
    with pytest.raises(SignalQualityError, match="no valid sample"):
        ds.load("d")
    scan = ds.scan()
    assert scan["ok"].tolist() == [True, True, True, False]


def test_scan_goes_on_past_bad_records(ptbxl_root, tmp_path):
    """A PTB-XL-layout folder of 6 copies, 5 broken in different ways: scan names each."""
    root = tmp_path / "px"
    src = ptbxl_root / "records100/00000/00001_lr"
    db = pd.read_csv(ptbxl_root / "ptbxl_database.csv").head(6).copy()
    names = []
    for i in range(6):
        name = f"{i + 1:05d}_lr"
        _copy_record(src, root / "records100/00000", name)
        names.append(name)
    db["filename_lr"] = [f"records100/00000/{n}" for n in names]
    db.to_csv(root / "ptbxl_database.csv", index=False)
    shutil.copy(ptbxl_root / "scp_statements.csv", root)
    base = root / "records100/00000"
    (base / "00002_lr.dat").unlink()
    (base / "00003_lr.dat").write_bytes((base / "00003_lr.dat").read_bytes()[:100])
    _edit_header(base / "00004_lr", lambda ls: [ls[0].replace(" 100 ", " 250 ")] + ls[1:])
    _edit_header(base / "00005_lr", lambda ls: [ls[0]] + [l.replace(" 16 ", " 999 ") for l in ls[1:]])
    _edit_header(base / "00006_lr", lambda ls: ls[:12] + [ls[12].rsplit(" ", 1)[0] + " V5"])
    ds = read_ptbxl(root, sampling_rate=100)
    scan = ds.scan()
    assert scan["ok"].tolist() == [True, False, False, False, False, False]
    assert scan["error"].tolist()[1:] == ["RecordReadError", "RecordReadError", "SamplingRateError",
                                          "RecordReadError", "LeadError"]
    assert "00002_lr.dat: data file not found" in scan.loc[2, "reason"]
    assert "truncated" in scan.loc[3, "reason"]
    assert "250 Hz, expected 100 Hz" in scan.loc[4, "reason"]
    assert "unknown WFDB format" in scan.loc[5, "reason"]
    assert "duplicate leads ['V5']" in scan.loc[6, "reason"]
    batches = list(ds.iter_batches(batch_size=4, on_error="skip"))
    assert [r.id for b in batches for r in b] == ["1"]
    with pytest.raises(InterpEcgError):
        list(ds.iter_batches(batch_size=4))


def test_read_wfdb_dir_keeps_bad_headers(good, tmp_path):
    (tmp_path / "broken.hea").write_text("")
    ds = read_wfdb(tmp_path)
    assert set(ds.ids) == {"rec", "broken"}
    assert "header is empty" in ds.meta.loc["broken", "header_error"]
    scan = ds.scan()
    assert scan.loc["rec", "ok"] and not scan.loc["broken", "ok"]


def test_loader_without_path(tmp_path):
    meta = pd.DataFrame({"path": [None]}, index=pd.Index(["x"], name="record_id"))
    ds = EcgDataset(meta, WfdbLoader(tmp_path, "path"))
    with pytest.raises(RecordReadError, match="no file path"):
        ds.load("x")


def test_not_a_record(tmp_path):
    with pytest.raises(RecordReadError, match="no such WFDB record"):
        read_wfdb(tmp_path / "nothing")
