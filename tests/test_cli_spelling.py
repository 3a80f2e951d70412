"""One spelling per concept across the subcommands: the output folder is ``--out`` everywhere
(``study run --output-dir`` is kept as a deprecated alias that logs a warning), and showing
identifiers is ``--show-ids`` everywhere (``prototypes describe --no-pseudonymise`` likewise)."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner

from interp_ecg.cli import app
from interp_ecg.studies import runner as runner_module


@pytest.fixture()
def calls(monkeypatch, tmp_path):
    seen: list[dict] = []

    def fake_run_study(config, **kwargs):
        seen.append(kwargs)
        return SimpleNamespace(out_dir=tmp_path / "run", report_path=None)

    monkeypatch.setattr(runner_module, "run_study", fake_run_study)
    return seen


def _study(tmp_path: Path) -> Path:
    cfg = tmp_path / "s.yaml"
    cfg.write_text("study: s\nkind: demo\n")
    return cfg


def test_study_run_takes_out_like_every_other_command(calls, tmp_path):
    res = CliRunner().invoke(app, ["study", "run", str(_study(tmp_path)), "--out", str(tmp_path / "runs")])
    assert res.exit_code == 0, res.output
    assert calls[-1]["output_dir"] == tmp_path / "runs"
    assert "deprecated" not in res.output + res.stderr


def test_output_dir_is_a_deprecated_alias_that_warns(calls, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="interp_ecg"):
        res = CliRunner().invoke(app, ["study", "run", str(_study(tmp_path)), "--output-dir", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert calls[-1]["output_dir"] == tmp_path / "r"
    assert any("--output-dir is deprecated" in r.getMessage() and "--out" in r.getMessage() for r in caplog.records)
    both = CliRunner().invoke(app, ["study", "run", str(_study(tmp_path)), "--out", "a", "--output-dir", "b"])
    assert both.exit_code == 2 and "former spelling of --out" in both.stderr


def test_one_spelling_in_the_help():
    group = typer.main.get_command(app)
    commands = dict(group.commands)
    commands.update({f"study {k}": v for k, v in group.commands["study"].commands.items()})
    commands.update({f"prototypes {k}": v for k, v in group.commands["prototypes"].commands.items()})
    shown = {c: {o for p in cmd.params if not getattr(p, "hidden", False) for o in p.opts + p.secondary_opts}
             for c, cmd in commands.items()}
    assert not any("--output-dir" in opts for opts in shown.values())
    assert not any("--no-pseudonymise" in opts for opts in shown.values())
    for c in ("demo", "features", "train", "explain", "phewas", "report", "study run", "prototypes describe"):
        assert "--out" in shown[c], c
    for c in ("demo", "report", "prototypes describe"):
        assert "--show-ids" in shown[c], c
    help_text = CliRunner().invoke(app, ["study", "run", "--help"]).output
    assert "--out" in help_text and "<study>/<timestamp>" in help_text


def test_no_pseudonymise_is_a_deprecated_alias_of_show_ids(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="interp_ecg"):
        res = CliRunner().invoke(app, ["prototypes", "describe", str(tmp_path / "none.pt"), str(tmp_path),
                                       "--no-pseudonymise"])
    assert any("--no-pseudonymise is deprecated" in r.getMessage() and "--show-ids" in r.getMessage()
               for r in caplog.records)
    assert res.exit_code == 2 and "none.pt" in res.stderr  # and then the missing model, as before
