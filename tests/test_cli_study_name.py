"""``study validate`` and ``study run`` agree on the study name (user 6, finding 13): a name
that is not a plain folder name is refused by the config itself, with the ``--set`` that gave it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from interp_ecg.cli import app
from interp_ecg.errors import ConfigError
from interp_ecg.studies.config import validate_config


@pytest.fixture()
def study_yaml(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("study: s\nkind: demo\n")
    return path


@pytest.mark.parametrize("name", ["../../etc", "a/b", "..", "/abs"])
def test_validate_refuses_what_run_refuses(study_yaml, tmp_path, name):
    res = CliRunner().invoke(app, ["study", "validate", str(study_yaml), "--set", f"study={name}"])
    # before: exit 0, "...: valid (demo study '../../etc', seed 0)"
    assert res.exit_code == 2, res.output
    assert "valid (" not in res.output
    assert res.stderr.strip() == (f"error: --set study={name}: study name {name!r} is not a plain folder "
                                  "name (no '/', '\\', '..' or absolute path): run folders stay inside output_dir")
    run = CliRunner().invoke(app, ["study", "run", str(study_yaml), "--set", f"study={name}",
                                   "--out", str(tmp_path / "o")])
    assert run.exit_code == 2 and run.stderr.strip() == res.stderr.strip()
    assert not (tmp_path / "o").exists()


def test_config_names_the_yaml_key_and_plain_names_pass(study_yaml):
    with pytest.raises(ConfigError, match=r"study name '\.\./x' is not a plain folder name"):
        validate_config({"study": "../x", "kind": "demo"})
    assert validate_config({"study": "wct_cardioforest", "kind": "demo"}).study == "wct_cardioforest"
    res = CliRunner().invoke(app, ["study", "validate", str(study_yaml)])
    assert res.exit_code == 0 and "valid (demo study 's', seed 0)" in res.stdout
