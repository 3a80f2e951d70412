"""`interp-ecg phewas --sex-coding`: numeric sex is read only with a stated coding (user11 F7 leftover).

Before: the CLI read a numeric sex column with PTB-XL's coding (0 = male, 1 = female) without a
word, so a UK Biobank-coded file (0 = female, 1 = male) lost every sex-specific phecode
(MIMIC-IV demo, --min-cases 3: CA_107 "Malignant neoplasm of male genitalia" 3 cases / 53
controls / 43 sex-excluded with F/M labels; absent with 0/1 read the PTB-XL way).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from interp_ecg.cli import app
from interp_ecg.errors import ConfigError
from interp_ecg.phenotype.mapping import decode_sex


def _out(result) -> str:
    return result.output + (getattr(result, "stderr", "") or "")


@pytest.fixture(scope="module")
def demo_tables(mimic_demo_root, tmp_path_factory):
    hosp = mimic_demo_root / "hosp"
    pat = pd.read_csv(hosp / "patients.csv.gz")
    rng = np.random.default_rng(0)
    e = pd.DataFrame({"subject_id": pat["subject_id"], "score": rng.normal(size=len(pat)), "age": pat["anchor_age"]})
    d = tmp_path_factory.mktemp("sexcoding")
    paths = {"FM": d / "expo_FM.csv", "ukb": d / "expo_ukb01.csv", "ptbxl": d / "expo_ptbxl01.csv"}
    e.assign(sex=pat["gender"]).to_csv(paths["FM"], index=False)
    e.assign(sex=(pat["gender"] == "M").astype(int)).to_csv(paths["ukb"], index=False)  # UK Biobank: 1 = male
    e.assign(sex=(pat["gender"] == "F").astype(int)).to_csv(paths["ptbxl"], index=False)  # PTB-XL: 1 = female
    return paths, hosp / "diagnoses_icd.csv.gz", d


def _run(paths_dx_dir, which, phecode_root, *extra):
    paths, dx, d = paths_dx_dir
    out = d / f"phewas_{which}_{'_'.join(extra) or 'none'}.csv"
    result = CliRunner().invoke(app, ["phewas", str(paths[which]), "--diagnoses", str(dx), "--phecode-map",
                                      str(phecode_root), "--min-cases", "3", "--subject-col", "subject_id",
                                      "--exposures", "score", "--out", str(out), *extra])
    return result, out


def _ca107(out):
    s = pd.read_csv(out).set_index("phecode")
    return tuple(int(s.loc["CA_107", k]) for k in ("n_cases", "n_controls", "n_sex_excluded"))


def test_numeric_sex_without_coding_is_refused_naming_column_and_values(demo_tables, phecode_root):
    result, out = _run(demo_tables, "ukb", phecode_root)
    assert result.exit_code == 2, _out(result)
    text = " ".join(_out(result).split())
    assert "expo_ukb01.csv" in text and "sex column 'sex' holds numeric codes ['0', '1']" in text
    assert "--sex-coding ptbxl, ukbiobank or iso5218" in text
    assert not out.exists()


def test_each_coding_gives_the_labels_result(demo_tables, phecode_root):
    """The right value is the F/M labels' row: CA_107 3 cases / 53 controls / 43 sex-excluded."""
    result, out = _run(demo_tables, "FM", phecode_root)
    assert result.exit_code == 0, _out(result)
    want = _ca107(out)
    assert want == (3, 53, 43)
    for which, coding in (("ukb", "ukbiobank"), ("ptbxl", "ptbxl")):
        result, out = _run(demo_tables, which, phecode_root, "--sex-coding", coding)
        assert result.exit_code == 0, _out(result)
        assert _ca107(out) == want, which
        pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(demo_tables[2] / "phewas_FM_none.csv"))


def test_wrong_coding_is_not_silent(demo_tables, phecode_root, caplog):
    """UK Biobank 0/1 read as PTB-XL: the sex-specific cases fall in the other sex and a warning says so."""
    with caplog.at_level("WARNING"):
        result, out = _run(demo_tables, "ukb", phecode_root, "--sex-coding", "ptbxl")
    assert result.exit_code == 0, _out(result)
    assert "CA_107" not in set(pd.read_csv(out)["phecode"])
    assert "cases of sex-specific phecodes" in caplog.text and "coded the other way" in caplog.text


def test_unknown_coding_is_an_argument_error(demo_tables, phecode_root):
    result, _ = _run(demo_tables, "FM", phecode_root, "--sex-coding", "m0f1")
    assert result.exit_code == 2
    assert "--sex-coding must be one of labels, ptbxl, ukbiobank, iso5218, not 'm0f1'" in " ".join(_out(result).split())


def test_decode_sex_codings():
    assert decode_sex(pd.Series([0, 1, np.nan]), coding="ukbiobank").tolist()[:2] == ["Female", "Male"]
    assert decode_sex(pd.Series(["0", "1.0", "F"]), coding="ptbxl").tolist() == ["Male", "Female", "Female"]
    got = decode_sex(pd.Series([1, 2, 0, 9]), coding="iso5218")
    assert got.tolist()[:2] == ["Male", "Female"] and got.iloc[2:].isna().all()
    with pytest.raises(ConfigError, match=r"sex column 'gender' holds numeric codes \['1', '2'\]"):
        decode_sex(pd.Series(["1", "2", "F"]), column="gender")
    with pytest.raises(ConfigError, match=r"numeric codes \['0', '1'\]"):
        decode_sex(pd.Series([True, False]))
    with pytest.raises(ConfigError, match="sex coding must be one of"):
        decode_sex(pd.Series(["F"]), coding="m1f2")


def test_run_phewas_python_api_reads_numeric_sex_only_with_a_coding(demo_tables, phecode_root):
    """The Python API as the CLI: numbers refused without ``sex_coding``; with it, the summary of
    F/M labels (before: 0/1 read the PTB-XL way without a word)."""
    from interp_ecg.studies.pipeline import run_phewas

    paths, dx_path, _ = demo_tables
    dx = pd.read_csv(dx_path, dtype=str)
    tables = {k: pd.read_csv(p, dtype={"subject_id": str}) for k, p in paths.items()}
    kw = dict(subject_col="subject_id", exposures=["score"], min_cases=3, min_code_count=1)
    ref = run_phewas(tables["FM"], dx, phecode_root, **kw).set_index("phecode")
    assert int(ref.loc["CA_107", "n_sex_excluded"]) == 43  # female subjects left out of a male-only phecode
    with pytest.raises(ConfigError, match="sex"):
        run_phewas(tables["ukb"], dx, phecode_root, **kw)
    for which, coding in (("ukb", "ukbiobank"), ("ptbxl", "ptbxl")):
        got = run_phewas(tables[which], dx, phecode_root, sex_coding=coding, **kw).set_index("phecode")
        pd.testing.assert_frame_equal(got, ref)


def test_run_phewas_refusal_names_its_own_argument(demo_tables, phecode_root):
    from interp_ecg.studies.pipeline import run_phewas

    paths, dx_path, _ = demo_tables
    with pytest.raises(ConfigError, match=r"run_phewas: pass sex_coding="):
        run_phewas(pd.read_csv(paths["ukb"]), pd.read_csv(dx_path, dtype=str), phecode_root,
                   subject_col="subject_id", exposures=["score"])
