"""The command line means the same as the Python API: every CLI default is read from the
function or config model the command calls (no second literal), and says so in its help."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from interp_ecg.cli import DEFAULT_SOURCES, app, python_default
from interp_ecg.phenotype import PheWAS, icd_to_phecodes, load_phecode_map
from interp_ecg.studies import pipeline


def _python_value(target: str, name: str):
    module, _, qualname = target.partition(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    fields = getattr(obj, "model_fields", None)
    if fields is not None:
        return fields[name].default
    return inspect.signature(obj).parameters[name].default


def _params(command: str) -> dict:
    group = typer.main.get_command(app)
    return {p.name: p for p in group.commands[command].params}


def test_every_cli_default_is_the_python_default():
    assert len(DEFAULT_SOURCES) >= 15  # every command registered its defaults at import
    for (target, name), value in DEFAULT_SOURCES.items():
        assert _python_value(target, name) == value, (target, name)


def test_each_command_default_equals_its_source():
    group = typer.main.get_command(app)
    checked = 0
    for command in ("demo", "features", "train", "explain", "phewas", "report"):
        for p in group.commands[command].params:
            text = p.help or ""
            if "(Python API)" not in text:
                continue
            owner = text.split("Default: ")[1].split("'s ")[0]
            source = next(t for t in DEFAULT_SOURCES if t[0].endswith(":" + owner) and t[1] == p.name)
            expected = DEFAULT_SOURCES[source]
            if isinstance(expected, tuple):
                expected = ",".join(expected)
            assert p.default == expected, (command, p.name)
            checked += 1
    assert checked >= 18


def test_phewas_defaults_are_the_phewas_convention():
    # the user's report: --min-cases 5 and --standardize in the CLI, 20 and raw units in Python
    params = _params("phewas")
    assert params["min_cases"].default == PheWAS().min_cases == 20
    assert params["standardize"].default is PheWAS().standardize is False
    assert params["method"].default == PheWAS().method and params["test"].default == PheWAS().test
    assert params["min_code_count"].default == inspect.signature(icd_to_phecodes).parameters["min_code_count"].default
    assert "Denny et al. 2010" in params["min_cases"].help and "R package" in params["min_cases"].help
    assert python_default("interp_ecg.phenotype.phewas:PheWAS", "min_cases") == 20


def test_python_default_reads_models_and_refuses_what_is_not_there():
    assert python_default("interp_ecg.studies.config:DataConfig", "n_records") == 300
    with pytest.raises(LookupError):
        python_default("interp_ecg.phenotype.phewas:PheWAS", "no_such_parameter")
    with pytest.raises(LookupError):
        python_default("interp_ecg.phenotype.phewas:NoSuchClass", "min_cases")


def test_cli_phewas_equals_the_python_api_with_defaults(phecode_root, tmp_path):
    """30 subjects with miliary TB (ICD-9 01882) coded twice, 12 with heart failure (4280) coded
    twice: with the PheWAS defaults (20 cases, two codes, raw units) TB is tested and heart
    failure is not; the CLI gave the per-SD odds ratio of both before (5 cases, standardized)."""
    rng = np.random.default_rng(3)
    n = 120
    ids = [f"{i:04d}" for i in range(n)]
    expo = pd.DataFrame({"patient_id": ids, "age": rng.normal(60, 10, n).round(1),
                         "sex": rng.choice(["F", "M"], n), "score": rng.normal(50, 10, n)})
    rows = [(s, h, code, 9) for code, subjects in (("01882", ids[:30]), ("4280", ids[40:52]))
            for s in subjects for h in (1, 2)]
    dx = pd.DataFrame(rows, columns=["subject_id", "hadm_id", "icd_code", "icd_version"])
    expo.to_csv(tmp_path / "expo.csv", index=False)
    dx.to_csv(tmp_path / "dx.csv", index=False)
    out = tmp_path / "p.csv"
    res = CliRunner().invoke(app, ["phewas", str(tmp_path / "expo.csv"), "--diagnoses", str(tmp_path / "dx.csv"),
                                   "--phecode-map", str(phecode_root), "--exposures", "score", "--full-population",
                                   "--out", str(out)])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out, dtype={"phecode": str})
    expected = pipeline.run_phewas(expo, dx.astype({"subject_id": str, "icd_code": str}),
                                   load_phecode_map(phecode_root), exposures=["score"], full_population=True)
    assert list(got["phecode"]) == list(expected["phecode"])
    assert got["OR"].to_numpy() == pytest.approx(expected["OR"].to_numpy(), rel=1e-9, nan_ok=True)
    assert (got["n_cases"] >= 20).all() and 30 in set(got["n_cases"])  # TB in, heart failure (12) out
    # per unit of the score (raw units), as phenotype.phewas: the per-SD OR is the 10th power of it
    per_sd = pipeline.run_phewas(expo, dx.astype(str), load_phecode_map(phecode_root), exposures=["score"],
                                 standardize=True, full_population=True)
    tb = got.set_index("phecode").loc[per_sd["phecode"].iloc[0]]
    assert np.log(per_sd["OR"].iloc[0]) == pytest.approx(np.log(tb["OR"]) * expo["score"].std(), rel=0.02)


def test_features_reads_an_ludb_folder_as_read_ludb(ludb_root):
    """Before: an LUDB folder went to the generic WFDB reader (record ids 'data/1', no LUDB metadata)."""
    from interp_ecg.cli import _open_dataset
    from interp_ecg.io import read_ludb

    ds = _open_dataset(ludb_root, 500)
    ref = read_ludb(ludb_root)
    assert list(ds.meta.index) == list(ref.meta.index)
    pd.testing.assert_frame_equal(ds.meta[["patient_id", "age", "sex"]], ref.meta[["patient_id", "age", "sex"]])
