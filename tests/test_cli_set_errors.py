"""An invalid ``--set key=value`` (or option) is reported with the ``--set`` argument and the key,
not with the YAML file; problems in the YAML itself keep naming the file and key."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from interp_ecg.cli import app
from interp_ecg.errors import ConfigError
from interp_ecg.studies.config import apply_overrides, load_config, validate_config
from interp_ecg.studies.runner import run_study


@pytest.fixture()
def study_yaml(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("study: s\nkind: demo\nseed: 2\n")
    return path


@pytest.mark.parametrize("item, key, problem", [
    ("data.n_records=5", "data.n_records", "must be >= 10, got 5"),
    ("seed=abc", "seed", "seed must be an integer, got str 'abc'"),
    ("report.paper=A5", "report.paper", "one of ['a4', 'letter']"),
    ("params.epochz=3", "params", "unknown key 'epochz' (did you mean 'epochs'?)"),
    ("seed.value=1", "seed.value", "'seed' in "),
    ("kind=nope", "kind", "kind must be one of"),
])
def test_invalid_set_names_the_set_argument_not_the_yaml(study_yaml, tmp_path, item, key, problem):
    res = CliRunner().invoke(app, ["study", "run", str(study_yaml), "--set", item, "--out", str(tmp_path)])
    assert res.exit_code == 2
    line = res.stderr.strip()
    # before: "error: .../study.yaml: data.n_records must be >= 10, got 5" - the file blamed
    assert line.startswith(f"error: --set {item}: "), line
    assert key.split(".")[0] in line and problem in line
    assert not line.startswith(f"error: {study_yaml}")
    assert not any((tmp_path / "s").glob("*"))  # nothing run


def test_yaml_errors_still_name_the_file_and_key(study_yaml, tmp_path):
    study_yaml.write_text("study: s\nkind: demo\nseed: -1\n")
    res = CliRunner().invoke(app, ["study", "run", str(study_yaml), "--set", "data.n_records=60"])
    assert res.exit_code == 2
    assert res.stderr.strip() == f"error: {study_yaml}: seed must be >= 0, got -1"


def test_yaml_and_set_problems_together_each_name_their_origin(study_yaml):
    study_yaml.write_text("study: s\nkind: demo\nseed: -1\n")
    with pytest.raises(ConfigError) as info:
        load_config(study_yaml, {"data.n_records": 5},
                    override_sources={"data.n_records": "--set data.n_records=5"})
    text = str(info.value)
    assert f"{study_yaml}: seed must be >= 0, got -1" in text
    assert "--set data.n_records=5: data.n_records must be >= 10, got 5" in text


def test_options_are_named_too(study_yaml, tmp_path):
    res = CliRunner().invoke(app, ["study", "run", str(study_yaml), "--seed", "-3", "--out", str(tmp_path)])
    assert res.exit_code == 2 and res.stderr.strip() == "error: --seed -3: seed must be >= 0, got -3"
    res = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "d"), "--epochs", "0"])
    assert res.exit_code == 2 and res.stderr.strip() == "error: --epochs 0: params.epochs must be >= 1, got 0"


@pytest.mark.parametrize("item, message", [("seed", "expects key=value"), ("=3", "expects key=value"),
                                           ("seed=[1", "not valid YAML")])
def test_malformed_set_is_a_one_line_error_naming_it(study_yaml, item, message):
    res = CliRunner().invoke(app, ["study", "run", str(study_yaml), "--set", item])
    assert res.exit_code == 2 and message in res.stderr and "--set" in res.stderr
    assert "unexpected" not in res.stderr  # before: "unexpected ScannerError" for seed=[1, exit 1


def test_python_api_names_the_override(study_yaml, tmp_path):
    with pytest.raises(ConfigError, match=r"^overrides\['data.n_records'\]=5: data.n_records must be >= 10"):
        load_config(study_yaml, {"data.n_records": 5})
    with pytest.raises(ConfigError, match=r"^run_study\(seed=-1\): seed must be >= 0"):
        run_study(study_yaml, seed=-1, output_dir=tmp_path)
    with pytest.raises(ConfigError, match=r"^overrides\['seed.value'\]=1: cannot set 'seed.value'"):
        apply_overrides({"seed": 3}, {"seed.value": 1})
    with pytest.raises(ConfigError, match=r"^<config>: seed must be"):
        validate_config({"study": "s", "kind": "demo", "seed": "x"})


def test_validate_takes_set_as_run_does(study_yaml):
    ok = CliRunner().invoke(app, ["study", "validate", str(study_yaml), "--set", "seed=7"])
    assert ok.exit_code == 0 and "seed 7" in ok.output
    bad = CliRunner().invoke(app, ["study", "validate", str(study_yaml), "--set", "data.n_records=5"])
    assert bad.exit_code == 2 and bad.stderr.startswith("error: --set data.n_records=5: data.n_records must be >= 10")
