"""Outputs stay where they belong: study names cannot leave output_dir; identifiers are pseudonymised."""

from __future__ import annotations

import os
import sys
import textwrap

import pandas as pd
import pytest

from interp_ecg.errors import ConfigError
from interp_ecg.io.pseudonym import IDENTIFIER_COLUMNS, pseudonym, pseudonym_key, pseudonymise_frame
from interp_ecg.studies import STUDY_KINDS
from interp_ecg.studies.runner import check_study_name, make_run_dir, run_study

TOY = textwrap.dedent(
    '''
    import pandas as pd
    from interp_ecg.report import TableBlock
    from interp_ecg.studies.runner import StudyResult

    def run(cfg, out_dir):
        cohort = pd.DataFrame({
            "patient_id": [15709, 13243], "age": [56, 19],
            "filename_hr": ["records500/00000/00001_hr", "records500/00000/00002_hr"],
            "path": ["files/p1000/p10000032/s40689238/40689238", "files/p1000/p10000032/s44458630/44458630"],
        }, index=pd.Index([1, 2], name="ecg_id"))
        cohort.to_csv(out_dir / "pipeline_cohort.csv")
        return StudyResult(tables={"cohort": cohort}, blocks=[TableBlock(cohort.reset_index(), heading="Cohort")])
    '''
)


@pytest.fixture
def toy_kind(tmp_path, monkeypatch):
    monkeypatch.setenv("INTERP_ECG_PSEUDONYM_KEY", str(tmp_path / "secret" / "pseudonym.key"))
    mod = tmp_path / "toy_pipeline_io.py"
    mod.write_text(TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(STUDY_KINDS, "toy", "toy_pipeline_io:run")
    yield "toy"
    sys.modules.pop("toy_pipeline_io", None)


@pytest.mark.parametrize("name", ["../../x", "..", ".", "a/b", "a\\b", "/tmp/abs", "", " x"])
def test_study_names_that_leave_output_dir_are_refused(tmp_path, name):
    with pytest.raises(ConfigError, match="not a plain folder name"):
        make_run_dir(tmp_path / "out", name)
    assert not (tmp_path / "x").exists() and not list(tmp_path.parent.glob("x"))


def test_run_study_refuses_a_traversing_name_before_running(tmp_path, toy_kind):
    out = tmp_path / "deep" / "reports"
    for name in ("../../escaped", str(tmp_path / "abs")):
        with pytest.raises(ConfigError, match="not a plain folder name"):
            run_study({"study": name, "kind": toy_kind, "seed": 0}, output_dir=out)
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "abs").exists()
    assert check_study_name("wct_cardioforest") == "wct_cardioforest"


def test_a_symlinked_study_folder_pointing_outside_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", out / "study")
    with pytest.raises(ConfigError, match="outside output_dir"):
        make_run_dir(out, "study")


def test_run_folder_and_report_hold_pseudonyms_only(tmp_path, toy_kind):
    out = tmp_path / "reports"
    res = run_study({"study": "toy", "kind": toy_kind, "seed": 0}, output_dir=out)
    key = pseudonym_key(tmp_path / "secret" / "pseudonym.key", create=False)
    assert not list(out.rglob("*.key"))  # the key is never in the output folder
    raw_ids = ["15709", "13243", "00001_hr", "00002_hr", "10000032", "40689238", "44458630"]
    texts = {p: p.read_text(errors="replace") for p in res.out_dir.rglob("*.csv")}
    texts.update({p: pd.read_parquet(p).reset_index().to_csv() for p in res.out_dir.rglob("*.parquet")})
    assert {p.name for p in texts} >= {"cohort.csv", "cohort.parquet", "pipeline_cohort.csv"}
    for path, text in texts.items():
        for rid in raw_ids:
            assert rid not in text, (path, rid)
    table = pd.read_csv(res.out_dir / "tables" / "cohort.csv", index_col=0)
    assert table.index.tolist() == [pseudonym(1, key, "record"), pseudonym(2, key, "record")]
    assert table["patient_id"].tolist() == [pseudonym(15709, key, "patient"), pseudonym(13243, key, "patient")]
    assert table["age"].tolist() == [56, 19]
    # the report's text: no raw identifiers either (the filename column was printed before)
    pdf_text = _pdf_text(res.report_path)
    if pdf_text is not None:
        for rid in raw_ids:
            assert rid not in pdf_text
    # same key, same pseudonyms in a second run elsewhere; another key, other pseudonyms
    again = run_study({"study": "toy", "kind": toy_kind, "seed": 0}, output_dir=tmp_path / "other")
    pd.testing.assert_frame_equal(again.tables["cohort"], res.tables["cohort"])
    third = run_study({"study": "toy", "kind": toy_kind, "seed": 0}, output_dir=tmp_path / "other",
                      pseudonym_key_path=tmp_path / "k2.key")
    assert set(third.tables["cohort"]["patient_id"]).isdisjoint(res.tables["cohort"]["patient_id"])


def test_pseudonymise_false_keeps_identifiers(tmp_path, toy_kind):
    res = run_study({"study": "toy", "kind": toy_kind, "seed": 0, "report": {"pseudonymise": False}},
                    output_dir=tmp_path)
    assert "00001_hr" in (res.out_dir / "tables" / "cohort.csv").read_text()
    assert not (tmp_path / "secret" / "pseudonym.key").exists()


def _pdf_text(path):
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


def test_pseudonyms_are_keyed_stable_and_kind_separated(tmp_path):
    k1 = pseudonym_key(tmp_path / "a.key")
    k2 = pseudonym_key(tmp_path / "b.key")
    assert k1 != k2 and pseudonym_key(tmp_path / "a.key") == k1
    assert pseudonym(5, k1) != pseudonym(5, k2)
    assert pseudonym(5, k1, "patient") != pseudonym(5, k1, "record")
    frame = pd.DataFrame({"Subject_ID": [1, None], "x": [1.0, 2.0]})
    out = pseudonymise_frame(frame, k1)
    assert out["Subject_ID"].iloc[0].startswith("PT-") and pd.isna(out["Subject_ID"].iloc[1])
    assert {"filename_hr", "filename_lr", "path", "subject_id", "patient_id", "ecg_id"} <= set(IDENTIFIER_COLUMNS)
    (tmp_path / "bad.key").write_text("not hex")
    with pytest.raises(ConfigError, match="not a pseudonymisation key"):
        pseudonym_key(tmp_path / "bad.key")
    with pytest.raises(ConfigError, match="not found"):
        pseudonym_key(tmp_path / "none.key", create=False)
