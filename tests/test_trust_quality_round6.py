"""Feature-side defects a new user's trial found (h-user, 2026-11-30, finding 8): an all-NaN
lead called flat, a whole-record polarity inversion taken for an LA/RA reversal, the Cabrera
``-aVR`` lead, a record ten times too large, and the ``explain --record`` sentences."""

from __future__ import annotations

import numpy as np
import pytest

from interp_ecg import features, io
from interp_ecg.errors import LeadError, SignalQualityError


@pytest.fixture(scope="module")
def ptbxl500(ptbxl_root):
    return io.read_ptbxl(ptbxl_root, sampling_rate=500)


# -- an all-NaN lead: set aside for invalid samples, not "flat" ---------------------------------

def test_all_nan_lead_is_invalid_not_flat(ptbxl500):
    rec = ptbxl500.load(1)
    sig = rec.signal.copy()
    v3 = list(rec.leads).index("V3")
    sig[v3] = np.nan
    row = features.extract_record(sig, fs=rec.fs, leads=rec.leads)
    assert row["quality_flat_leads"] == ""
    assert "flat leads" not in row["quality_reason"]
    assert "leads set aside for invalid samples: V3" in row["quality_reason"]
    assert np.isnan(row["R_amp_mV_V3"])


def test_lead_quality_one_reason_per_lead():
    t = np.arange(5000) / 500
    sig = np.stack([np.sin(2 * np.pi * 1.2 * t), np.zeros_like(t), np.zeros_like(t)])
    q = features.quality.lead_quality(sig, 500, ["I", "II", "V1"], invalid=np.array([False, False, True]))
    assert q.loc["II", "flat"] and not q.loc["II", "invalid"]
    assert q.loc["V1", "invalid"] and not q.loc["V1", ["flat", "clipped", "noisy", "wander"]].any()
    assert q["usable"].tolist() == [True, False, False]


# -- a whole-record polarity inversion is not an LA/RA reversal ---------------------------------

def test_whole_record_inversion_refused_with_its_own_reason(ptbxl500):
    rec = ptbxl500.load(1)
    with pytest.raises(SignalQualityError, match="polarity inversion") as err:
        features.extract_record(-rec.signal, fs=rec.fs, leads=rec.leads)
    assert "LA/RA reversal?" not in str(err.value)
    ok = features.extract_record(rec.signal, fs=rec.fs, leads=rec.leads)
    assert ok["quality_ok"] and ok["quality_lead_reversal_suspected"] == 0


def test_la_ra_reversal_still_flagged_as_such(ptbxl500):
    """LA/RA swap: I -> -I, II <-> III, aVR <-> aVL, aVF and V1-V6 unchanged."""
    rec = ptbxl500.load(1)
    ix = {ld: i for i, ld in enumerate(rec.leads)}
    s = rec.signal.copy()
    sw = s.copy()
    sw[ix["I"]] = -s[ix["I"]]
    sw[ix["II"]], sw[ix["III"]] = s[ix["III"]], s[ix["II"]]
    sw[ix["aVR"]], sw[ix["aVL"]] = s[ix["aVL"]], s[ix["aVR"]]
    row = features.extract_record(sw, fs=rec.fs, leads=rec.leads)
    assert row["quality_ok"] and row["quality_lead_reversal_suspected"] == 1
    assert "LA/RA reversal?" in row["quality_reason"] and "polarity" not in row["quality_reason"]


# -- Cabrera -aVR -------------------------------------------------------------------------------

def test_cabrera_minus_avr_read_as_avr(ptbxl500, caplog):
    rec = ptbxl500.load(1)
    names = list(rec.leads)
    i = names.index("aVR")
    cab = rec.signal.copy()
    cab[i] = -cab[i]
    names[i] = "-aVR"
    ref = features.extract_record(rec.signal, fs=rec.fs, leads=rec.leads)
    with caplog.at_level("INFO", logger="interp_ecg.io.leads"):
        row = features.extract_record(cab, fs=rec.fs, leads=names)
    assert not any(c.endswith("-aVR") for c in row.index)
    assert row["R_amp_mV_aVR"] == pytest.approx(ref["R_amp_mV_aVR"])
    assert np.isfinite(row["R_amp_mV_aVR"])
    assert "'-aVR' read as aVR" in caplog.text
    # aVR and -aVR both stored: two channels for one lead
    with pytest.raises(LeadError, match="duplicate"):
        io.standardise_leads(np.vstack([cab, cab[i:i + 1]]), [*names, "aVR"])


def test_only_minus_avr_is_turned():
    assert io.leads.inverted_lead("-aVR") == "aVR"
    for other in ("-II", "-aVL", "aVR", "-V1"):
        assert io.leads.inverted_lead(other) is None
    sig, names = io.standardise_leads(np.ones((2, 3)), ["-II", "V1"])
    assert names == ["-II", "V1"] and sig.tolist() == np.ones((2, 3)).tolist()


# -- a record ten times too large (gain error) ---------------------------------------------------

def test_gain_error_refused_as_implausible_amplitude(ptbxl500):
    rec = ptbxl500.load(1)
    with pytest.raises(SignalQualityError, match=r"amplitude implausible \(gain/units\?\)"):
        features.extract_record(10 * rec.signal, fs=rec.fs, leads=rec.leads)
    row = features.extract_record(2 * rec.signal, fs=rec.fs, leads=rec.leads)  # large, not impossible
    assert row["quality_ok"]


def test_no_real_lvh_record_refused(ptbxl500):
    lvh = ptbxl500.labels.index[ptbxl500.labels["LVH"].astype(bool)]
    assert len(lvh) >= 30
    table = features.extract(ptbxl500.subset(list(lvh)), n_jobs=1,
                             progress=False)
    assert not table["quality_reason"].str.contains("amplitude implausible").any()
    assert table["quality_ok"].all()


def test_amplitude_check_needs_most_leads_large():
    from interp_ecg.features.quality import MAX_MEDIAN_QRS_PTP_MV, amplitude_check, lead_quality

    t = np.arange(5000) / 500
    beat = np.exp(-((t % 1.0) - 0.5) ** 2 / (2 * 0.01 ** 2))  # a 1 mV spike a second
    big = np.stack([1.2 * MAX_MEDIAN_QRS_PTP_MV * beat] * 12)
    leads = [f"L{i}" for i in range(12)]
    assert amplitude_check(lead_quality(big, 500, leads)).startswith("amplitude implausible (gain/units?)")
    big[:7] /= 10  # high voltage in a few leads only is not refused
    assert amplitude_check(lead_quality(big, 500, leads)) == ""


def test_paced_ludb_45_is_not_an_inversion(ludb_root):
    """LUDB 45 (sinus rhythm, ventricular pacing): QRS negative in II, V5, V6 and positive in aVR,
    with a trace of P (-0.03 mV in II): not an inverted record."""
    ds = io.read_ludb(ludb_root)
    row = features.extract_record(ds.load(45))
    assert row["quality_ok"]


# -- CLI: explain --record delineates the record; the record-flow line ------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    import pandas as pd
    from typer.testing import CliRunner

    from interp_ecg.cli import app
    from interp_ecg.simulate import cohort

    tmp = tmp_path_factory.mktemp("explain")
    root = tmp / "cohort"
    cohort(20, root, random_state=3, progress=False, conditions=["normal", "vt", "stach_bbb"])
    feats = tmp / "features.parquet"
    runner = CliRunner()
    res = runner.invoke(app, ["features", str(root), "--out", str(feats)])
    assert res.exit_code == 0, res.output
    labels = pd.read_csv(root / "ptbxl_database.csv", index_col="ecg_id")[["sim_wct"]].astype(int)
    labels.to_csv(tmp / "labels.csv")
    res = runner.invoke(app, ["train", str(feats), "--label", "sim_wct", "--labels", str(tmp / "labels.csv"),
                              "--models", "logreg", "--out", str(tmp / "model"), "--test-size", "0.4"])
    assert res.exit_code == 0, res.output
    assert "measured (quality_ok)" in res.output
    return runner, app, root, feats, tmp


def test_explain_record_with_data_gives_times_not_samples(trained):
    import pandas as pd

    runner, app, root, feats, tmp = trained
    rid = str(pd.read_parquet(feats).index[0])
    base = ["explain", str(tmp / "model" / "model"), str(feats), "--out", str(tmp / "shap.parquet"),
            "--record", rid, "--top", "40"]  # enough lines to hold an interval
    without = runner.invoke(app, base)
    assert without.exit_code == 0, without.output
    assert "sample indices" in without.output and "--data" in without.output
    res = runner.invoke(app, [*base, "--data", str(root)])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("- ")]
    assert lines and not any("sample" in ln for ln in lines), lines
    assert any(" s " in ln or " s)" in ln or " s," in ln for ln in lines), lines
    bad = runner.invoke(app, [*base[:-3], "--record", rid, "--data", str(tmp)])
    assert bad.exit_code != 0


def test_record_flow_line_names_quality_ok_only_when_the_column_is_there(trained):
    import pandas as pd

    runner, app, root, feats, tmp = trained
    table = pd.read_parquet(feats).drop(columns=["quality_ok"])
    nq = tmp / "no_quality.parquet"
    table.to_parquet(nq)
    res = runner.invoke(app, ["train", str(nq), "--label", "sim_wct", "--labels", str(tmp / "labels.csv"),
                              "--models", "logreg", "--out", str(tmp / "model_nq"), "--test-size", "0.4"])
    assert res.exit_code == 0, res.output
    assert "(quality_ok)" not in res.output
    assert "no quality_ok column in no_quality.parquet" in res.output


# -- the absolute HF-noise test does not grow with the QRS ---------------------------------------

def test_large_clean_lead_not_noisy_but_noise_on_it_is(ptbxl500):
    from interp_ecg.features.quality import lead_quality

    rec = ptbxl500.load(4)
    row = features.extract_record(2 * rec.signal, fs=rec.fs, leads=rec.leads)
    assert "V4" not in row["quality_noisy_leads"].split(",")
    i = list(rec.leads).index("V4")
    v4 = 2 * np.asarray(rec.signal[i:i + 1], dtype=np.float64)
    noisy = v4 + 0.2 * np.random.default_rng(0).standard_normal(v4.shape)
    assert not lead_quality(v4, rec.fs, ["V4"]).loc["V4", "noisy"]
    assert lead_quality(noisy, rec.fs, ["V4"]).loc["V4", "noisy"]


def test_lafb_record_at_100_hz_is_not_an_inversion(ptbxl_root):
    """PTB-XL 182 (LAFB, ASMI, 1AVB): QRS negative in II, V5, V6, positive in aVR, and at 100 Hz a
    P of -0.06 mV in II; its T in V6 is upright: not an inverted record."""
    ds = io.read_ptbxl(ptbxl_root, sampling_rate=100)
    assert features.extract_record(ds.load(182))["quality_ok"]
