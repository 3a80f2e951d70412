"""One way to configure and run a study (issue 14): typed params per kind, JSON Schema, the
Study protocol, per-step timings in run.json, progress logged."""

from __future__ import annotations

import json
import logging
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from interp_ecg.cli import app
from interp_ecg.errors import ConfigError
from interp_ecg.studies import STUDY_KINDS
from interp_ecg.studies.config import StudyConfig, load_config, study_schema, validate_config
from interp_ecg.studies.params import PARAMS, WctParams
from interp_ecg.studies.runner import run_study

REPO = Path(__file__).resolve().parents[1]


# -- params models -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(STUDY_KINDS))
def test_every_kind_has_a_documented_frozen_params_model(kind):
    model = PARAMS[kind]
    undocumented = [name for name, f in model.model_fields.items() if not f.description]
    assert not undocumented, f"{model.__name__} fields without a description: {undocumented}"
    params = model()
    name = next(iter(model.model_fields))
    with pytest.raises(ValidationError):
        setattr(params, name, getattr(params, name))  # frozen
    # "/" is no dataset folder (a ptbxl source needs ptbxl_database.csv there): paths not checked
    cfg = validate_config({"study": "s", "kind": kind, "data": {"source": model.sources[0], "path": "/"}},
                          check_paths=False)
    assert type(cfg.params) is model and cfg.params == params
    # the saved config reads back to the same config
    assert validate_config(cfg.to_dict(), check_paths=False) == cfg


def test_defaults_carry_the_former_study_defaults():
    p = WctParams()
    assert (p.n_boot, p.cv_folds, p.models, p.min_positives, p.n_explain) == (
        1000, 5, ["cardioforest", "xgb", "lgbm", "gb", "logreg"], 10, 3)
    assert p.tune.to_dict() == {"enabled": False, "n_trials": 10, "inner_cv": 3, "method": "optuna"}
    proto = PARAMS["prototype_phewas"]().prototype
    assert (proto.preset, proto.width, proto.blocks, proto.fusion_epochs) == ("small", 4, [1, 1], 3)
    assert PARAMS["ptbxl_prototypes"]().preset == "paper"
    assert PARAMS["ptbxl_statements"]().protocols == ["cv10", "test10", "cinc"]


def test_a_partial_nested_section_keeps_the_other_defaults():
    cfg = validate_config({"study": "s", "kind": "prototype_phewas", "params": {"prototype": {"width": 8}}})
    assert cfg.params.prototype.width == 8 and cfg.params.prototype.blocks == [1, 1]
    cfg = validate_config({"study": "s", "kind": "wct", "params": {"tune": {"enabled": True}}})
    assert cfg.params.tune.enabled and cfg.params.tune.n_trials == 10


@pytest.mark.parametrize("raw, message", [
    ({"params": {"tune": {"n_trial": 3}}}, "params.tune: unknown key 'n_trial' (did you mean 'n_trials'?)"),
    ({"params": {"n_boot": -1}}, "params.n_boot must be >= 0, got -1"),
    ({"params": {"models": "cardioforest"}}, "params.models must be a list, got str 'cardioforest'"),
    ({"params": {"cv_folds": 2.5}}, "params.cv_folds must be an integer, got float 2.5"),
    ({"params": {"conditions": {"vt": "many"}}}, "params.conditions.vt must be a number, got str 'many'"),
    ({"params": {"max_records": None, "n_explain": None}}, "params.n_explain must be an integer, got null"),
])
def test_wct_params_messages(raw, message):
    with pytest.raises(ConfigError) as err:
        validate_config({"study": "s", "kind": "wct", **raw})
    assert message in str(err.value)


def test_several_problems_are_listed_together():
    with pytest.raises(ConfigError) as err:
        validate_config({"study": "s", "kind": "wct", "seed": -1, "params": {"cv_fold": 3}})
    msg = str(err.value)
    assert "2 problems" in msg and "seed must be >= 0, got -1" in msg and "did you mean 'cv_folds'?" in msg


def test_params_paths_are_relative_to_the_yaml_and_checked(tmp_path):
    (tmp_path / "expo.csv").write_text("ecg_id,x\n1,0.5\n")
    path = tmp_path / "study.yaml"
    path.write_text("study: s\nkind: prototype_phewas\nparams:\n  exposure_table: expo.csv\n")
    assert load_config(path).params.exposure_table == str(tmp_path / "expo.csv")
    path.write_text("study: s\nkind: prototype_phewas\nparams:\n  exposure_table: nothere.csv\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f"params.exposure_table: path does not exist: {tmp_path / 'nothere.csv'}" in str(err.value)
    assert str(path) in str(err.value)


def test_set_fills_an_empty_params_section(tmp_path):
    path = tmp_path / "study.yaml"
    path.write_text("study: s\nkind: wct\nparams:\n")
    cfg = load_config(path, overrides={"params.n_boot": 7, "params.tune.enabled": True})
    assert cfg.params.n_boot == 7 and cfg.params.tune.enabled and cfg.params.cv_folds == 5


def test_config_reads_as_plain_dict_too():
    cfg = validate_config({"study": "s", "kind": "demo", "params": {"epochs": 3}})
    assert isinstance(cfg, StudyConfig)
    assert cfg["params"]["epochs"] == 3 and cfg.get("description") == "" and "data" in cfg
    assert yaml.safe_load(yaml.safe_dump(dict(cfg))) == cfg.to_dict()
    copy = cfg["params"]
    copy["epochs"] = 99  # a copy: the config is frozen
    assert cfg.params.epochs == 3


# -- JSON Schema ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["wct_cardioforest", "ptbxl_prototypes", "prototype_phewas"])
def test_schema_command_accepts_the_shipped_study_yaml(name):
    jsonschema = pytest.importorskip("jsonschema")
    text = (REPO / "studies" / name / "study.yaml").read_text()
    kind = yaml.safe_load(text)["kind"]
    result = CliRunner().invoke(app, ["study", "schema", kind])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    jsonschema.validate(yaml.safe_load(text), schema)
    bad = {**yaml.safe_load(text), "params": {"n_bootz": 3}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)  # an editor flags the unknown key
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**yaml.safe_load(text), "kind": "other"}, schema)


def test_schema_carries_descriptions_and_defaults(tmp_path):
    s = study_schema("wct")
    params = s["$defs"]["WctParams"]["properties"]
    assert params["n_boot"]["default"] == 1000 and "bootstrap" in params["n_boot"]["description"]
    assert s["properties"]["kind"]["const"] == "wct" and s["required"] == ["study", "kind"]
    out = tmp_path / "wct.schema.json"
    result = CliRunner().invoke(app, ["study", "schema", "wct", "--out", str(out)])
    assert result.exit_code == 0 and json.loads(out.read_text()) == s


def test_schema_of_an_unknown_kind_is_one_clear_line():
    result = CliRunner().invoke(app, ["study", "schema", "holter"])
    assert result.exit_code == 2
    assert "kind must be one of" in result.output and "'holter'" in result.output


# -- the Study protocol and the run folder ---------------------------------------------------

TOY = textwrap.dedent(
    '''
    import logging
    import pandas as pd
    from interp_ecg.report import TextBlock
    from interp_ecg.studies.runner import StudyResult, step

    def run(config, run_dir):
        with step("load"):
            frame = pd.DataFrame({"x": [1.0, 2.0, float(config.seed)]})
        with step("analyse"):
            with step("inner"):
                total = float(frame["x"].sum())
        return StudyResult(tables={"numbers": frame}, blocks=[TextBlock("Total", f"{total}")],
                           notes=["a note"], title="Toy", summary="toy summary")

    def not_a_result(config, run_dir):
        return {"numbers": pd.DataFrame({"x": [1]})}

    def with_sections(config, run_dir):
        from interp_ecg.studies.runner import section, step_records

        notes = []
        with step_records() as records:
            with step("load"):
                with step("inner"):
                    pass
            with section("broken", notes):
                raise ZeroDivisionError("no denominator")
            with section("needs a module", notes):
                import no_such_module_for_the_toy_study  # noqa: F401
            with section("fine", notes):
                pass
        table = pd.DataFrame({"step": [r["name"] for r in records], "status": [r["status"] for r in records]})
        return StudyResult(tables={"timings": table}, notes=notes)
    '''
)


@pytest.fixture
def toy(tmp_path, monkeypatch):
    (tmp_path / "toy_study_protocol.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(STUDY_KINDS, "toy", "toy_study_protocol:run")
    monkeypatch.setitem(STUDY_KINDS, "toy_bad", "toy_study_protocol:not_a_result")
    monkeypatch.setitem(STUDY_KINDS, "toy_sections", "toy_study_protocol:with_sections")
    yield tmp_path
    sys.modules.pop("toy_study_protocol", None)


def test_run_json_records_every_step_and_progress_is_logged(toy, caplog):
    with caplog.at_level(logging.INFO, logger="interp_ecg"):
        res = run_study({"study": "toy", "kind": "toy", "seed": 3, "report": {"pseudonymise": False}},
                        output_dir=toy / "out")
    info = json.loads((res.out_dir / "run.json").read_text())
    names = [s["name"] for s in info["steps"]]
    assert names[:4] == ["toy study", "load", "analyse", "inner"]
    assert {"report assembled", "tables written", "PDF report written"} <= set(names)
    depth = {s["name"]: s["depth"] for s in info["steps"]}
    assert (depth["toy study"], depth["load"], depth["inner"]) == (0, 1, 2)
    assert all(s["status"] == "done" and s["seconds"] >= 0 for s in info["steps"])
    assert info["steps"] == res.steps and info["notes"] == ["a note"]
    logged = [r.getMessage() for r in caplog.records]
    assert "load ..." in logged and any(m.startswith("inner done in") for m in logged)
    assert (res.out_dir / "tables" / "numbers.csv").exists() and (res.out_dir / "report.pdf").exists()
    saved = yaml.safe_load((res.out_dir / "config.yaml").read_text())
    assert saved["seed"] == 3 and saved["params"] == {}


def test_a_study_that_does_not_return_a_study_result_is_refused(toy):
    with pytest.raises(TypeError, match="not a StudyResult"):
        run_study({"study": "toy", "kind": "toy_bad"}, output_dir=toy / "out")


def test_a_kind_without_params_model_takes_no_params(toy):
    with pytest.raises(ConfigError, match="params: unknown key 'n'"):
        validate_config({"study": "toy", "kind": "toy", "params": {"n": 1}})


def test_a_failed_section_is_recorded_and_the_study_goes_on(toy, caplog):
    with caplog.at_level(logging.INFO, logger="interp_ecg"):
        res = run_study({"study": "toy", "kind": "toy_sections", "report": {"pseudonymise": False}},
                        output_dir=toy / "out")
    info = json.loads((res.out_dir / "run.json").read_text())
    status = {s["name"]: s["status"] for s in info["steps"]}
    assert status["broken"] == "failed" and status["needs a module"] == "skipped" and status["fine"] == "done"
    assert status["toy_sections study"] == "done" and (res.out_dir / "report.pdf").exists()
    assert info["notes"] == ["Section 'broken' failed: ZeroDivisionError: no denominator",
                             "Section 'needs a module' skipped: a module it needs is not available "
                             "(No module named 'no_such_module_for_the_toy_study')."]
    failed = [r for r in caplog.records if r.getMessage() == "section broken failed"]
    assert failed and failed[0].exc_info is not None  # the traceback is logged
    # the study's own table lists the same records, without the nested step
    table = pd.read_csv(res.out_dir / "tables" / "timings.csv")
    assert table["step"].tolist() == ["load", "broken", "needs a module", "fine"]
    assert table["status"].tolist() == [status[n] for n in table["step"]]


def test_section_does_not_swallow_keyboard_interrupt():
    from interp_ecg.studies.runner import section

    with pytest.raises(KeyboardInterrupt), section("interrupted") as record:
        raise KeyboardInterrupt
    assert record["status"] == "failed"


def test_demo_takes_its_parameters_from_the_params_model():
    """The demo has no defaults of its own: a config without params runs on DemoParams' defaults."""
    from interp_ecg.studies import demo
    from interp_ecg.studies.params import DemoParams

    assert not hasattr(demo, "DEFAULT_PARAMS")
    params = validate_config({"study": "s", "kind": "demo"}).params
    assert isinstance(params, DemoParams)
    assert (params.models, params.wct_enrichment, params.sections) == (["rf", "xgb", "lgbm"], 3.0,
                                                                        ["wct", "prototypes", "phewas"])


def test_docstring_examples_of_the_study_config_modules_run():
    import doctest

    from interp_ecg.studies import config, params, runner

    for module in (config, params, runner):
        result = doctest.testmod(module, verbose=False)
        assert result.failed == 0, module.__name__
