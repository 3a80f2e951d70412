"""Study configs say what they did (issue 17): duplicate keys refused, ``--set`` fills empty sections."""

from __future__ import annotations

import textwrap

import pytest
from typer.testing import CliRunner

from interp_ecg.cli import app
from interp_ecg.errors import ConfigError
from interp_ecg.studies.config import apply_overrides, load_config, load_yaml

DUPLICATED = textwrap.dedent("""\
    study: duplicated
    kind: demo
    seed: 3
    data:
      source: synthetic
      n_records: 100
      n_records: 200
    report:
      paper: a4
    seed: 7
    """)

EMPTY_SECTIONS = textwrap.dedent("""\
    study: empty_sections
    kind: demo
    data:
    report:
    """)


@pytest.fixture
def write(tmp_path):
    def _write(text: str, name: str = "study.yaml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return _write


def test_duplicate_keys_named_through_the_python_api(write):
    path = write(DUPLICATED)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    msg = str(err.value)
    assert "'seed' (lines 3, 10)" in msg
    assert "'data.n_records' (lines 6, 7)" in msg
    assert str(path) in msg


def test_duplicate_keys_named_by_study_validate(write):
    """Before: ``study validate`` said "valid ... seed 7"."""
    result = CliRunner().invoke(app, ["study", "validate", str(write(DUPLICATED))])
    assert result.exit_code != 0
    assert "valid" not in result.output.replace("invalid", "")
    assert "'seed'" in result.output and "'data.n_records'" in result.output


def test_same_key_in_different_sections_is_fine(write):
    text = "study: ok\nkind: demo\ndata:\n  n_records: 50\nreport:\n  n_patients: 1\nparams: {}\n"
    cfg = load_config(write(text))
    assert cfg["data"]["n_records"] == 50 and cfg["report"]["n_patients"] == 1
    assert load_yaml("x.yaml", text="a:\n  - {k: 1}\n  - {k: 2}\n") == {"a": [{"k": 1}, {"k": 2}]}
    with pytest.raises(ConfigError, match=r"'a\[1\].k' \(lines 3, 3\)"):
        load_yaml("x.yaml", text="a:\n  - {k: 1}\n  - {k: 2, k: 3}\n")


def test_yaml_stays_safe_and_errors_say_where(write):
    with pytest.raises(ConfigError, match="invalid YAML at line"):
        load_config(write("study: x\nkind: [demo\n"))
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_yaml("x.yaml", text="!!python/object/apply:os.system ['echo hi']\n")


def test_overrides_fill_empty_sections_python_api(write):
    """Before: 300 and a4 (the override went into a detached dict)."""
    cfg = load_config(write(EMPTY_SECTIONS), overrides={"data.n_records": 60, "report.paper": "letter"})
    assert cfg["data"]["n_records"] == 60
    assert cfg["report"]["paper"] == "letter"
    # and an empty section alone still means every default
    cfg = load_config(write(EMPTY_SECTIONS))
    assert cfg["data"]["n_records"] == 300 and cfg["report"]["paper"] == "a4"


def test_overrides_refuse_to_descend_into_a_value():
    with pytest.raises(ConfigError, match="'seed' is int 3, not a section"):
        apply_overrides({"seed": 3}, {"seed.value": 1})
    raw = {"data": None}
    assert apply_overrides(raw, {"data.n_records": 60}) == {"data": {"n_records": 60}}
    assert raw == {"data": None}  # the input is not changed


def test_a_section_that_is_not_a_mapping_is_an_error(write):
    with pytest.raises(ConfigError, match="data must be a mapping"):
        load_config(write("study: x\nkind: demo\ndata: []\n"))


def test_set_overrides_through_the_cli_parser(write, monkeypatch):
    """``study run --set data.n_records=60 --set report.paper=letter`` reaches load_config intact."""
    import interp_ecg.studies.runner as runner_mod

    seen = {}

    def fake_run_study(config, **kwargs):
        cfg = load_config(config, overrides={k: v for k, v in kwargs["overrides"].items()})
        seen.update(n_records=cfg["data"]["n_records"], paper=cfg["report"]["paper"])
        raise SystemExit(0)

    monkeypatch.setattr(runner_mod, "run_study", fake_run_study)
    CliRunner().invoke(app, ["study", "run", str(write(EMPTY_SECTIONS)),
                             "--set", "data.n_records=60", "--set", "report.paper=letter"])
    assert seen == {"n_records": 60, "paper": "letter"}
