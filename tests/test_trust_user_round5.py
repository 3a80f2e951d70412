"""Defects a new user's trial found (h-user, 2026-11-30; findings 3, 4, 7 and 8)."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from interp_ecg.cli import app

# -- finding 3: a covariate typo in a prototype_phewas YAML --------------------------------------

PP_YAML = """\
study: pp
kind: prototype_phewas
data:
  source: synthetic
params:
  covariates: [age, sexx]
"""


def test_covariate_typo_refused_by_study_validate_and_run(tmp_path):
    """Before: ``study validate`` said "valid" and ``run`` adjusted for age only."""
    cfg = tmp_path / "pp_cov.yaml"
    cfg.write_text(PP_YAML)
    for cmd in (["study", "validate", str(cfg)], ["study", "run", str(cfg), "--out", str(tmp_path / "runs")]):
        res = CliRunner().invoke(app, cmd)
        assert res.exit_code == 2, res.output
        err = res.stderr
        assert "pp_cov.yaml" in err and "params.covariates" in err and "'sexx'" in err, err
        assert "did you mean 'sex'" in err and "available: age, sex" in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("*.pdf"))


def test_covariate_typo_from_set_names_the_override(tmp_path):
    cfg = tmp_path / "pp.yaml"
    cfg.write_text(PP_YAML.replace("[age, sexx]", "[age, sex]"))
    ok = CliRunner().invoke(app, ["study", "validate", str(cfg)])
    assert ok.exit_code == 0, ok.output
    bad = CliRunner().invoke(app, ["study", "validate", str(cfg), "--set", "params.covariates=[agee]"])
    assert bad.exit_code == 2 and "--set params.covariates" in bad.stderr and "'agee'" in bad.stderr


def test_unadjusted_is_asked_for_with_an_empty_list():
    from interp_ecg.studies.params import PrototypePhewasParams

    assert PrototypePhewasParams(covariates=[]).covariates == []


def test_run_phewas_uses_the_same_check():
    from interp_ecg.errors import InterpEcgError
    from interp_ecg.studies.pipeline import run_phewas

    t = pd.DataFrame({"patient_id": ["1", "2"], "age": [50, 60], "sex": [0, 1], "x": [0.1, 0.2]})
    with pytest.raises(InterpEcgError, match=r"covariate 'sexx' \(item 1\) is not a column \(did you mean 'sex'\?\)"):
        run_phewas(t, pd.DataFrame({"subject_id": ["1"], "icd_code": ["I48"], "icd_version": ["10"]}),
                   None, ["age", "sexx"])


def test_report_text_lists_the_covariates_used():
    """Before: "adjusted for the configured covariates" whatever was used."""
    from interp_ecg.studies.prototype_phewas import _report_blocks

    summary = pd.DataFrame({"exposure": ["x"], "phecode": ["CV_416"], "beta": [0.1], "se": [0.1], "p": [0.3],
                            "q": [0.3], "bonferroni": [False], "method": ["logit"], "test": ["wald"],
                            "ci_method": ["wald"], "n_cases": [10], "n_controls": [20]})
    for listed, words in (("age, sex", "adjusted for age and sex"), ("age", "adjusted for age;"),
                          ("none (unadjusted)", "adjusted for nothing (unadjusted)")):
        cohort = pd.DataFrame({"n_ecgs": [30], "covariates": [listed]})
        blocks = _report_blocks({"cohort": cohort, "phewas": summary})
        text = " ".join(str(getattr(b, "text", "")) for b in blocks)
        assert words in text and "configured covariates" not in text, text
