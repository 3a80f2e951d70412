"""ICD -> phecode mapping on the real MIMIC-IV demo, checked against an independent
pure-python computation (csv module + dicts), for Phecode X and Phecode 1.2."""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from interp_ecg.errors import ConfigError, DataNotFoundError
from interp_ecg.phenotype import icd_to_phecodes, load_phecode_map, mapping_report
from interp_ecg.phenotype.mapping import map_icd

pytestmark = pytest.mark.shared_data


# ------------------------------------------------------------------ independent reference
def _rows(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", newline="") as fh:
        yield from csv.DictReader(fh)


def _nodot(code: str) -> str:
    return "".join(ch for ch in code.strip().upper() if ch != ".")


def _reference_x(phecode_dir):
    rollup = defaultdict(set)
    for r in _rows(phecode_dir / "phecodeX_R_rollup_map.csv"):
        rollup[r["code"]].add(r["phecode_unrolled"])
    code_map = defaultdict(set)
    for r in _rows(phecode_dir / "phecodeX_R_map.csv"):
        key = ("9" if r["vocabulary_id"] == "ICD9CM" else "10", _nodot(r["code"]))
        code_map[key] |= rollup.get(r["phecode"], {r["phecode"]})
    sex = {}
    for r in _rows(phecode_dir / "phecodeX_R_sex.csv"):
        if r["male_only"] == "TRUE":
            sex[r["phecode"]] = "M"
        elif r["female_only"] == "TRUE":
            sex[r["phecode"]] = "F"
    return code_map, sex, {}


def _reference_12(phecode_dir):
    code_map = defaultdict(set)
    sex, excl = {}, {}
    for r in _rows(phecode_dir / "phecode12_unrolled.csv.gz"):
        code_map[(r["flag"], _nodot(r["ICD"]))].add(r["phecode_unrolled"])
        if r["phecode"] not in excl:
            excl[r["phecode"]] = {x for x in (r["exclude_range"] or "").split(",") if x}
            sex[r["phecode"]] = {"Female": "F", "Male": "M"}.get(r["sex"], "")
    return code_map, sex, excl


def _reference_table(hosp, code_map, sex_of_phecode, excl, min_count=2):
    gender = {r["subject_id"]: r["gender"] for r in _rows(hosp / "patients.csv.gz")}
    occ = defaultdict(lambda: defaultdict(set))  # subject -> phecode -> admissions
    n_mapped = n_unmapped = 0
    subjects = set()
    # phecodes reached by codes of one ICD version only, and the versions each subject was coded in
    versions_of_phecode = defaultdict(set)
    for (version, _), phes in code_map.items():
        for ph in phes:
            versions_of_phecode[ph].add(version)
    coded_in = defaultdict(set)
    for r in _rows(hosp / "diagnoses_icd.csv.gz"):
        subjects.add(r["subject_id"])
        coded_in[r["subject_id"]].add(r["icd_version"])
        phes = code_map.get((r["icd_version"], _nodot(r["icd_code"])))
        if phes:
            n_mapped += 1
            for ph in phes:
                occ[r["subject_id"]][ph].add(r["hadm_id"])
        else:
            n_unmapped += 1
    status = {}  # (subject, phecode) -> True / False / None
    all_phe = {ph for d in occ.values() for ph in d}
    for s in subjects:
        for ph in all_phe:
            k = len(occ[s].get(ph, ()))
            if k >= min_count:
                st = True
            elif k > 0:
                st = None
            elif any(x in occ[s] for x in excl.get(ph, ())):
                st = None
            else:
                st = False
            only = versions_of_phecode[ph]
            if st is False and len(only) == 1 and not (only & coded_in[s]):
                st = None  # never coded in the only ICD version that defines the phecode
            need = sex_of_phecode.get(ph, "")
            if need and gender[s] != need:
                st = None
            status[(s, ph)] = st
    return status, n_mapped, n_unmapped, subjects


def _compare(table: pd.DataFrame, status, subjects):
    # every phecode with >= 1 case in the reference is a column, and nothing else
    ref_cases = defaultdict(int)
    for (s, ph), st in status.items():
        if st is True:
            ref_cases[ph] += 1
    assert set(table.columns) == set(ref_cases)
    assert {str(s) for s in table.index} == subjects
    n_checked = 0
    for ph in table.columns:
        col = table[ph]
        assert int(col.sum()) == ref_cases[ph], ph
        for s, v in col.items():
            st = status[(str(s), ph)]
            if st is None:
                assert pd.isna(v), (s, ph)
            else:
                assert not pd.isna(v) and bool(v) == st, (s, ph, v, st)
            n_checked += 1
    return n_checked


@pytest.fixture(scope="module")
def diagnoses(mimic_demo_root):
    hosp = mimic_demo_root / "hosp"
    try:
        from interp_ecg.io import read_mimic_diagnoses

        dx = read_mimic_diagnoses(hosp)
    except ImportError:  # pragma: no cover - io not there yet
        dx = pd.read_csv(hosp / "diagnoses_icd.csv.gz", dtype={"icd_code": str})
    return dx


@pytest.fixture(scope="module")
def sex(mimic_demo_root):
    p = pd.read_csv(mimic_demo_root / "hosp" / "patients.csv.gz")
    return p.set_index("subject_id")["gender"]


@pytest.mark.parametrize("version", ["X", "1.2"])
def test_mimic_demo_mapping_matches_independent_loop(
    version, phecode_root, mimic_demo_root, diagnoses, sex
):
    pmap = load_phecode_map(phecode_root, version=version)
    ref = _reference_x(phecode_root) if version == "X" else _reference_12(phecode_root)
    status, n_mapped, n_unmapped, subjects = _reference_table(mimic_demo_root / "hosp", *ref)
    assert len(diagnoses) == n_mapped + n_unmapped == 4506

    rep = mapping_report(diagnoses, pmap)
    assert rep.loc["all", "rows_mapped"] == n_mapped
    assert rep.loc["all", "rows_unmapped"] == n_unmapped
    assert rep.loc["all", "subjects"] == 100
    assert 0.5 < n_mapped / len(diagnoses) < 1.0  # most billing codes map, not all

    table = icd_to_phecodes(diagnoses, pmap, min_code_count=2, sex=sex, min_cases=1)
    assert str(table.dtypes.iloc[0]) == "boolean"
    n_checked = _compare(table, status, subjects)
    assert n_checked == table.size


def test_codes_with_dots_and_lower_case_give_the_same_table(phecode_root, diagnoses, sex):
    pmap = load_phecode_map(phecode_root / "phecodeX_R_map.csv", version="X")
    dotted = diagnoses.copy()
    code = dotted["icd_code"].astype(str)
    is_e9 = (dotted["icd_version"].astype(str) == "9") & code.str.startswith("E")
    cut = np.where(is_e9, 4, 3)
    dotted["icd_code"] = [
        (c[:k] + "." + c[k:]).lower() if len(c) > k else c.lower() for c, k in zip(code, cut)
    ]
    a = icd_to_phecodes(diagnoses, pmap, sex=sex)
    b = icd_to_phecodes(dotted, pmap, sex=sex)
    pd.testing.assert_frame_equal(a, b)


def test_min_code_count_one_makes_every_mapped_subject_a_case(phecode_root, diagnoses):
    pmap = load_phecode_map(phecode_root, version="X")
    t1 = icd_to_phecodes(diagnoses, pmap, min_code_count=1)
    t2 = icd_to_phecodes(diagnoses, pmap, min_code_count=2)
    # no exclusions in Phecode X without sex, except controls never coded in the only ICD version
    # that defines a phecode (ICD-10-only phecodes: patients seen only in the ICD-9 era)
    assert int(t1.isna().sum().sum()) == sum(t1.attrs["vocabulary_excluded"].values()) > 0
    common = t2.columns
    # a case at min count 2 is a case at min count 1; NA at 2 means exactly one occurrence
    assert (t1[common] | ~t2.fillna(False)).all().all()
    assert t1[common][t2.isna()].fillna(True).all().all()
    # cases per phecode shrink or stay
    assert (t1[common].sum() >= t2.sum()).all()


def test_counting_uses_admissions_not_rows():
    from interp_ecg.phenotype.phecodes import PhecodeMap

    icd = pd.DataFrame({"vocabulary": ["ICD10CM", "ICD10CM"], "code": ["I4891", "I480"],
                        "phecode": ["CV_416.2", "CV_416.2"]})
    pmap = PhecodeMap("X", icd, pd.DataFrame(index=pd.Index(["CV_416.2"], name="phecode")))
    dx = pd.DataFrame({"subject_id": [1, 1, 2, 2], "hadm_id": [7, 7, 8, 9],
                       "icd_code": ["I4891", "I480", "I4891", "I480"], "icd_version": [10] * 4})
    t = icd_to_phecodes(dx, pmap)
    assert pd.isna(t.loc[1, "CV_416.2"])  # two codes, one admission: one occurrence
    assert t.loc[2, "CV_416.2"]
    t_rows = icd_to_phecodes(dx, pmap, count_col=None)
    assert t_rows.loc[1, "CV_416.2"]


def test_subjects_without_diagnoses_are_controls_and_min_cases_drops(phecode_root, diagnoses):
    pmap = load_phecode_map(phecode_root, version="X")
    extra = [1, 2, 3]
    t = icd_to_phecodes(diagnoses, pmap, subjects=list(diagnoses["subject_id"].unique()) + extra,
                        min_cases=10)
    # ids are text: the integer subjects given here are the subjects "1", "2", "3"
    assert (t.loc[[str(e) for e in extra]] == False).all().all()  # noqa: E712
    assert (t.sum() >= 10).all()


def test_numeric_sex_index_matches_text_subject_ids(phecode_root, diagnoses, sex):
    """MIMIC ids are read as text; a sex table read with integer ids must still apply."""
    assert diagnoses["subject_id"].map(type).eq(str).all()
    assert pd.api.types.is_integer_dtype(sex.index)
    pmap = load_phecode_map(phecode_root, version="X")
    t_int = icd_to_phecodes(diagnoses, pmap, min_code_count=1, sex=sex, min_cases=1)
    t_txt = icd_to_phecodes(diagnoses, pmap, min_code_count=1, min_cases=1,
                            sex=pd.Series(sex.to_numpy(), index=sex.index.astype(str)))
    pd.testing.assert_frame_equal(t_int, t_txt)
    assert sum(t_int.attrs["sex_excluded"].values()) > 0  # the restriction applied
    with pytest.warns(UserWarning, match="none of the subjects"):
        icd_to_phecodes(diagnoses, pmap, min_code_count=1, min_cases=1,
                        sex=pd.Series("F", index=["no-such-subject"]))


def test_map_icd_keeps_unmapped_rows(phecode_root, diagnoses):
    pmap = load_phecode_map(phecode_root, version="X")
    m = map_icd(diagnoses, pmap)
    rep = mapping_report(diagnoses, pmap)
    unmapped_rows = m[m["phecode"].isna()]
    assert len(unmapped_rows) == rep.loc["all", "rows_unmapped"]


def test_loader_errors(tmp_path):
    with pytest.raises(DataNotFoundError):
        load_phecode_map(tmp_path / "nope")
    with pytest.raises(DataNotFoundError):
        load_phecode_map(tmp_path, version="X")
    with pytest.raises(ConfigError):
        load_phecode_map(tmp_path, version="9")
    (tmp_path / "phecodeX_R_map.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="missing columns"):
        load_phecode_map(tmp_path, version="X")


def test_phewas_names_mismatched_id_kinds():
    from interp_ecg.errors import ConfigError
    from interp_ecg.phenotype import phewas

    ex = pd.DataFrame({"x": [0.1, 0.2, 0.3]}, index=pd.Index([1, 2, 3]))
    out = pd.DataFrame({"A": [True, False, True]}, index=pd.Index(["1", "2", "3"]))
    with pytest.raises(ConfigError, match="different kinds"):
        phewas(ex, out, min_cases=1)


def test_phewas_warns_when_no_phecode_is_tested():
    from interp_ecg.phenotype import phewas

    rng = np.random.default_rng(0)
    ex = pd.DataFrame({"x": rng.normal(size=40)}, index=pd.Index([f"s{i}" for i in range(40)]))
    out = pd.DataFrame({"A": [True] * 3 + [False] * 37}, index=ex.index)
    with pytest.warns(UserWarning, match="no phecode is tested"):
        summary = phewas(ex, out, min_cases=20)
    assert len(summary) == 0
