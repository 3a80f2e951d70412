"""read_wfdb on real WFDB records: MIT-BIH 100 (2 leads, 360 Hz), PTB s0010_re (15 channels)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from interp_ecg.io import STANDARD_LEADS, EcgDataset, Record, normalise_lead_name, read_wfdb, read_wfdb_record
from interp_ecg.io.wfdb_reader import parse_comments, read_header

pytestmark = pytest.mark.shared_data

wfdb = pytest.importorskip("wfdb")


def test_mitbih_100(wfdb_sample_root):
    rec = read_wfdb(wfdb_sample_root / "100")
    assert isinstance(rec, Record)
    # MLII is the modified (torso) limb lead: kept under its name, after the standard leads
    assert rec.fs == 360 and rec.leads == ["V5", "MLII"] and rec.extra_leads == ["MLII"]
    assert rec.meta["modified_leads"] == {"MLII": "II"}
    assert rec.signal.shape == (2, 650000) and rec.signal.dtype == np.float32
    ref = wfdb.rdrecord(str(wfdb_sample_root / "100"))
    assert ref.sig_name == ["MLII", "V5"]
    np.testing.assert_allclose(rec.signal, ref.p_signal.T[::-1], atol=1e-6)
    assert rec.meta["comments"][1].startswith("69 M")


def test_ptb_s0010_frank_leads_kept_and_marked(wfdb_sample_root):
    rec = read_wfdb(str(wfdb_sample_root / "s0010_re") + ".hea")
    assert rec.fs == 1000 and rec.signal.shape == (15, 38400)
    assert rec.leads == [*STANDARD_LEADS, "vx", "vy", "vz"]
    assert rec.extra_leads == ["vx", "vy", "vz"]
    ref = wfdb.rdrecord(str(wfdb_sample_root / "s0010_re"))
    for i, name in enumerate(ref.sig_name):
        j = rec.leads.index(normalise_lead_name(name))
        np.testing.assert_allclose(rec.signal[j], ref.p_signal[:, i], atol=1e-6)
    assert rec.meta["age"] == 81 and rec.meta["sex"] == "F"
    # Einthoven: III = II - I within the quantisation of the three leads (1 LSB = 1/2000 mV);
    # a wrong lead order or scale would break it by orders of magnitude
    I, II, III = rec.lead("I"), rec.lead("ii"), rec.lead("III")
    assert np.abs(III - (II - I)).max() <= 2.01 / 2000


def test_unit_conversion(wfdb_sample_root, tmp_path):
    """The same samples written as uV and V come back in mV."""
    for ext in (".hea", ".dat", ".xyz"):
        shutil.copy(wfdb_sample_root / f"s0010_re{ext}", tmp_path)
    ref = read_wfdb_record(tmp_path / "s0010_re")
    hea = tmp_path / "s0010_re.hea"
    lines = hea.read_text().splitlines()
    # header gains have no units (WFDB default mV): write them explicitly per channel
    units = ["uV"] * 6 + ["V"] * 6 + ["mV"] * 3
    new = [lines[0]]
    for line, unit in zip(lines[1:16], units):
        tok = line.split()
        tok[2] = f"{tok[2]}/{unit}"
        new.append(" ".join(tok))
    hea.write_text("\n".join(new + lines[16:]) + "\n")
    rec = read_wfdb_record(tmp_path / "s0010_re")
    np.testing.assert_allclose(rec.signal[:6], ref.signal[:6] * 1e-3, rtol=1e-6)
    np.testing.assert_allclose(rec.signal[6:12], ref.signal[6:12] * 1e3, rtol=1e-6)
    np.testing.assert_array_equal(rec.signal[12:], ref.signal[12:])
    assert rec.meta["units"][:7] == ["uV"] * 6 + ["V"]


def test_lead_names_normalised(ptbxl_root, ludb_root):
    ptb = read_wfdb_record(ptbxl_root / "records100/00000/00001_lr")  # AVR AVL AVF in the file
    lu = read_wfdb_record(ludb_root / "data/1")  # i ii avr v1 ... in the file
    assert ptb.leads == list(STANDARD_LEADS) == lu.leads


def test_read_directory(wfdb_sample_root):
    ds = read_wfdb(wfdb_sample_root)
    assert isinstance(ds, EcgDataset) and sorted(ds.ids) == ["100", "s0010_re"]
    assert ds.meta.loc["100", "fs"] == 360 and ds.meta.loc["s0010_re", "n_leads"] == 15
    assert ds.meta.loc["s0010_re", "age"] == 81
    assert ds.load("100").signal.shape == (2, 650000)


def test_every_real_record_reads(ptbxl_root, ludb_root, cinc_root, wfdb_sample_root):
    """All WFDB records of the shared data pass the header, size and checksum checks."""
    paths = (sorted(ptbxl_root.glob("records*/*/*.hea")) + sorted((ludb_root / "data").glob("*.hea"))
             + sorted(cinc_root.glob("*.hea")) + sorted(wfdb_sample_root.glob("*.hea")))
    assert len(paths) == 1000 + 200 + 50 + 2
    for p in paths:
        rec = read_wfdb_record(p)
        assert np.isfinite(rec.signal).all(), p


def test_parse_header_and_comments(tmp_path):
    (tmp_path / "x.hea").write_text("x 1 250/10(0) 100\nx.dat 212 200 12 1024 0 0 0 MLII\n")
    for engine in ("auto", "wfdb"):
        h = read_header(tmp_path / "x", engine=engine)
        assert h["fs"] == 250 and h["signals"][0]["baseline"] == 1024 and h["signals"][0]["fmt"] == "212"
    assert parse_comments(["<age>: 51", "<sex>: F"]) == {"age": 51.0, "sex": "F"}
    assert parse_comments(["Age: NaN", "Sex: Unknown"]) == {"age": pytest.approx(np.nan, nan_ok=True), "sex": None}
