"""The interp-ecg command line: help, errors, every command, and a reduced demo run."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from interp_ecg.cli import app
from interp_ecg.errors import ConfigError
from interp_ecg.evaluate import format_interval
from interp_ecg.report import format_number

COMMANDS = ["demo", "features", "train", "explain", "phewas", "report", "study"]


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def _out(result) -> str:
    return result.output + (getattr(result, "stderr", "") or "")


def test_help_lists_every_command_with_examples(runner):
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for cmd in COMMANDS:
        assert cmd in result.output
    assert "Examples" in result.output
    for cmd in COMMANDS:
        sub = runner.invoke(app, [cmd, "--help"])
        assert sub.exit_code == 0, cmd
    assert "Example" in runner.invoke(app, ["demo", "--help"]).output
    for opt in ("--seed", "--n-jobs", "--scheduler"):
        assert opt in runner.invoke(app, ["demo", "--help"]).output


def test_errors_are_one_line_on_stderr_with_nonzero_exit(runner, tmp_path):
    missing = tmp_path / "nope.yaml"
    result = runner.invoke(app, ["study", "run", str(missing)])
    assert result.exit_code == 2
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "nope.yaml" in err[0]
    assert "Traceback" not in _out(result)
    debug = runner.invoke(app, ["--debug", "study", "run", str(missing)])
    assert debug.exit_code != 0 and isinstance(debug.exception, ConfigError)


def test_invalid_config_names_the_key(runner, tmp_path):
    cfg = tmp_path / "study.yaml"
    cfg.write_text("study: x\nkind: demo\nsede: 3\n")
    result = runner.invoke(app, ["study", "validate", str(cfg)])
    assert result.exit_code == 2
    assert "unknown key 'sede'" in result.stderr and "did you mean 'seed'" in result.stderr
    cfg.write_text("study: x\nkind: demo\nseed: three\n")
    result = runner.invoke(app, ["study", "validate", str(cfg)])
    assert result.exit_code == 2 and "seed must be an integer" in result.stderr


def test_unknown_log_level_is_an_error(runner):
    result = runner.invoke(app, ["--log-level", "LOUD", "study", "list"])
    assert result.exit_code == 2 and "LOUD" in result.stderr


@pytest.fixture(scope="module")
def tiny_cohort(tmp_path_factory) -> Path:
    from interp_ecg.simulate import cohort

    root = tmp_path_factory.mktemp("cli") / "cohort"
    cohort(24, root, random_state=5, progress=False, conditions=["normal", "vt", "stach_bbb", "afib"])
    return root


def test_features_train_explain_chain(runner, tiny_cohort, tmp_path):
    feats = tmp_path / "features.parquet"
    result = runner.invoke(app, ["features", str(tiny_cohort), "--out", str(feats)])
    assert result.exit_code == 0, _out(result)
    table = pd.read_parquet(feats)
    assert len(table) == 24 and "QRS_duration_ms" in table.columns
    labels = pd.read_csv(tiny_cohort / "ptbxl_database.csv", index_col="ecg_id")[["sim_wct"]].astype(int)
    labels.to_csv(tmp_path / "labels.csv")
    model_dir = tmp_path / "model"
    result = runner.invoke(app, ["train", str(feats), "--label", "sim_wct", "--labels", str(tmp_path / "labels.csv"),
                                 "--models", "rf", "--out", str(model_dir), "--test-size", "0.4"])
    assert result.exit_code == 0, _out(result)
    train_output = result.output
    metrics = pd.read_csv(model_dir / "metrics.csv")
    auc = metrics[(metrics["model"] == "ensemble") & (metrics["metric"] == "roc_auc")]["estimate"].iloc[0]
    assert format_number(auc) in result.output  # the printed table shows the saved numbers
    assert "rule (QRS>=120 & HR>=100)" in set(metrics["model"])
    rid = str(table.index[0])
    shap_out = tmp_path / "shap.parquet"
    result = runner.invoke(app, ["explain", str(model_dir / "model"), str(feats), "--out", str(shap_out),
                                 "--record", rid, "--top", "3"])
    assert result.exit_code == 0, _out(result)
    assert pd.read_parquet(shap_out).shape[0] == 24
    assert len([line for line in result.output.splitlines() if line.startswith("- ")]) == 3
    # the model folder holds no pickle; `train` prints the manifest digest that `explain` can pin
    assert (model_dir / "model" / "model.skops").is_file() and not list(model_dir.rglob("*.joblib"))
    digest = re.search(r"manifest sha256 ([0-9a-f]{64})", train_output).group(1)
    pinned = runner.invoke(app, ["explain", str(model_dir / "model"), str(feats), "--out", str(shap_out),
                                 "--expected-digest", digest])
    assert pinned.exit_code == 0, _out(pinned)
    wrong = runner.invoke(app, ["explain", str(model_dir / "model"), str(feats), "--out", str(shap_out),
                                "--expected-digest", "0" * 64])
    assert wrong.exit_code != 0 and "expected digest" in _out(wrong)
    # one record: its SHAP baseline needs other records, named by --background (never a silent baseline)
    one = tmp_path / "one.parquet"
    table.iloc[[0]].to_parquet(one)
    alone = runner.invoke(app, ["explain", str(model_dir / "model"), str(one), "--out", str(shap_out)])
    assert alone.exit_code != 0 and "--background" in _out(alone) and "one.parquet" in _out(alone)
    with_bg = runner.invoke(app, ["explain", str(model_dir / "model"), str(one), "--out", str(shap_out),
                                  "--background", str(feats), "--record", rid, "--top", "2"])
    assert with_bg.exit_code == 0, _out(with_bg)
    assert "24 background records" in with_bg.output or "24 background" in with_bg.output
    # the circular-label warning of --label wct
    result = runner.invoke(app, ["train", str(feats), "--label", "wct", "--models", "rf",
                                 "--out", str(tmp_path / "m2"), "--test-size", "0.4"])
    if result.exit_code == 0:
        assert "circular" in result.output
    else:  # too few rule-positive records in 24: a clean one-line error
        assert result.stderr.startswith("error: ")


def test_phewas_command(runner, tiny_cohort, phecode_root, tmp_path):
    meta = pd.read_csv(tiny_cohort / "ptbxl_database.csv", index_col="ecg_id")
    rng = np.random.default_rng(0)
    expo = meta[["patient_id", "age", "sex"]].assign(score=rng.normal(size=len(meta)))
    expo.to_csv(tmp_path / "expo.csv")
    out = tmp_path / "phewas.csv"
    result = runner.invoke(app, ["phewas", str(tmp_path / "expo.csv"), "--diagnoses",
                                 str(tiny_cohort / "diagnoses.csv"), "--phecode-map", str(phecode_root),
                                 "--exposures", "score", "--min-code-count", "1", "--min-cases", "2",
                                 "--sex-coding", "ptbxl", "--out", str(out)])
    assert result.exit_code == 0, _out(result)
    summary = pd.read_csv(out)
    assert len(summary) > 0 and set(summary["exposure"]) == {"score"}
    assert {"phecode", "p"} <= set(summary.columns)
    # the printed top-10 says which model, test and interval its numbers come from
    assert "logistic regression adjusted for age, sex" in result.output, _out(result)


@pytest.fixture(scope="module")
def demo_run(runner, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "reports" / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out), "--n-records", "40", "--seed", "1", "--epochs", "1",
                                 "--n-jobs", "1"])
    assert result.exit_code == 0, _out(result)
    run_dir = Path(re.search(r"run folder: (.+)", result.output).group(1).strip())
    return out, run_dir


def test_reduced_demo_writes_a_complete_report(demo_run):
    out, run_dir = demo_run
    assert (out / "report.pdf").exists()
    for name in ("config.yaml", "versions.json", "run.json", "report.pdf"):
        assert (run_dir / name).exists(), name
    sections = pd.read_csv(run_dir / "tables" / "sections.csv").set_index("section")["status"]
    assert (sections == "done").all(), sections.to_dict()
    text = "\n".join(p.extract_text() for p in PdfReader(str(run_dir / "report.pdf")).pages)
    for heading in ("Cohort (Table 1)", "Wide QRS complex tachycardia", "Circular label warning",
                    "What the model adds over the rule", "Signal quality:",
                    "What drives the WCT model (SHAP)", "Patient page", "grounded explanation",
                    "Prototype network", "Prototype gallery", "Phenome-wide association study"):
        assert heading in text, heading
    # numbers in the PDF equal the saved results tables
    metrics = pd.read_csv(run_dir / "tables" / "wct_metrics.csv")
    shown = metrics[metrics["metric"].isin(["roc_auc", "pr_auc", "brier"])]
    for _, r in shown.iterrows():  # no interval from fewer than 5 records of a class: "(no CI)"
        assert format_interval(r.estimate, r.ci_low, r.ci_high) in text
    # what the model adds: VT vs supraventricular WCT, out-of-fold, n and positives stated
    adds = pd.read_csv(run_dir / "tables" / "wct_adds_vt_vs_svt.csv")
    assert set(adds["task"]) == {"VT vs supraventricular WCT"}
    assert {"rule (QRS>=120 & HR>=100)", "ensemble, all features"} <= set(adds["model"])
    rule_auc = adds[(adds.metric == "roc_auc") & adds.model.str.startswith("rule")]["estimate"].iloc[0]
    assert rule_auc == pytest.approx(0.5, abs=0.15)  # the rule is (nearly) constant among true WCTs
    for _, r in adds[adds["metric"] == "roc_auc"].iterrows():
        assert format_interval(r.estimate, r.ci_low, r.ci_high) in text
    n, vt = int(adds["n"].iloc[0]), int(adds["positives"].iloc[0])
    assert f"n = {n} ECGs" in text and f"{vt} VT" in text and 0 < vt < n
    t1 = pd.read_csv(run_dir / "tables" / "table1.csv")
    assert t1.iloc[0]["Overall"] == 40 or str(t1.iloc[0]["Overall"]) == "40"
    # identifiers pseudonymised
    meta_ids = pd.read_csv(run_dir / "tables" / "wct_predictions.csv")["patient_id"].astype(str)
    assert "P001" in text
    assert not any(re.search(rf"patient {re.escape(pid)}\b", text) for pid in meta_ids)


def test_demo_outline_warnings_sit_in_their_sections_and_aliases_differ(demo_run):
    from test_report_outline import outline, parent_of

    _, run_dir = demo_run
    entries = outline(run_dir / "report.pdf")
    # before: each heading came ahead of its section, in the outline under the section before
    assert parent_of(entries, "whose similarities are the exposures") == "Phenome-wide association study"
    assert parent_of(entries, "whose prototypes the cards describe") == "Prototype glossary"
    pages = [t for _, t in entries if t.startswith("Patient page")]
    # before: "Patient page: ECG P001, patient P002"
    assert pages and all(re.fullmatch(r"Patient page: ECG E\d{3}, patient P\d{3}", t) for t in pages), pages
    assert pages[0] == "Patient page: ECG E001, patient P001"


def test_demo_states_each_explained_models_discrimination(demo_run):
    from interp_ecg.studies.pipeline import discrimination

    _, run_dir = demo_run
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(str(run_dir / "report.pdf")).pages).split())
    pm = pd.read_csv(run_dir / "tables" / "prototype_metrics.csv")
    macro = pm[pm["label"] == "macro"]
    d = discrimination(pm[pm["label"] != "macro"], "the prototype network",
                       macro=macro.iloc[0] if len(macro) else None)
    assert " ".join(d.text.split()) in text  # beside the gallery, the cards, the PheWAS, the patient pages
    if not d.discriminates:  # e.g. 40 ECGs, 1 epoch: said where its explanations are shown
        assert text.count("Warning: the prototype network") >= 2  # headings above the PheWAS and the cards
        # the warning in full once (title page), referred to where the explanations are shown
        assert text.count(" ".join(d.warning.split())) == 1
        assert text.count(" ".join(d.reference("on the title page").split())) >= 3
    wct = pd.read_csv(run_dir / "tables" / "wct_metrics.csv")
    ens = discrimination(wct[wct["model"] == "ensemble"], "x").text.split(": ", 1)[1]
    assert " ".join(ens.split()) in text  # beside the SHAP summary and the patient pages
    held_out = int(wct["n"].iloc[0])
    positives = int(wct["n_positive"].iloc[0])
    assert f"on {held_out} held-out ECGs ({positives} WCT)" in text


def test_demo_calls_no_uncalibrated_output_a_probability(demo_run):
    """user9 F11: the demo has no validation split, so the prototype network's and the class-balanced
    WCT ensemble's outputs are called scores, and the report says they are not calibrated."""
    _, run_dir = demo_run
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(str(run_dir / "report.pdf")).pages).split())
    assert "(p = " not in text and "(threshold 0.5)" not in text and "in probability units" not in text
    assert ("Its outputs are scores from a class-weighted loss (positives weighted n_negative / n_positive), not "
            "calibrated probabilities: this split holds no validation ECGs") in text
    assert ("Model outputs (the ensemble): predict_proba of models trained with class-balanced weights, not "
            "recalibrated") in text
    assert "WCT score (ensemble; class-balanced training, not a calibrated probability)" in text


def test_report_command_rerenders_a_run_on_letter(runner, demo_run, tmp_path):
    _, run_dir = demo_run
    pdf = tmp_path / "letter.pdf"
    result = runner.invoke(app, ["report", str(run_dir), "--paper", "letter", "--out", str(pdf)])
    assert result.exit_code == 0, _out(result)
    reader = PdfReader(str(pdf))
    assert round(float(reader.pages[0].mediabox.width)) == 612
    assert "wct_metrics" in "\n".join(p.extract_text() for p in reader.pages).replace(" ", "_").lower()


@pytest.mark.slow
def test_full_size_demo(runner, tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, _out(result)
    assert (tmp_path / "demo" / "report.pdf").exists()


def test_features_on_a_dask_scheduler(runner, tiny_cohort, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        out = tmp_path / "f.parquet"
        result = runner.invoke(app, ["features", str(tiny_cohort), "--out", str(out), "--limit", "4",
                                     "--scheduler", cluster.scheduler_address])
        assert result.exit_code == 0, _out(result)
    assert len(pd.read_parquet(out)) == 4


def test_unreachable_scheduler_is_a_clean_error(runner, tmp_path):
    cfg = tmp_path / "s.yaml"
    cfg.write_text("study: s\nkind: demo\nscheduler: tcp://127.0.0.1:9\n")
    result = runner.invoke(app, ["study", "run", str(cfg), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "Dask scheduler" in result.stderr


def test_demo_report_has_prototype_cards(demo_run):
    _, run_dir = demo_run
    cards = pd.read_csv(run_dir / "tables" / "prototype_cards.csv")
    assert len(cards) > 0 and cards["description"].str.len().gt(20).all()
    text = "\n".join(p.extract_text() for p in PdfReader(str(run_dir / "report.pdf")).pages)
    assert "Prototype glossary" in text and "Prototypes of " in text
    # sources pseudonymised in the saved table and the PDF
    assert cards["source_record"].astype(str).str.startswith("RC-").all()


def test_features_carry_patient_age_sex_and_phewas_reads_them(runner, tiny_cohort, phecode_root, tmp_path):
    """Before: the Parquet had no patient_id/age/sex, so `phewas` on it failed without a manual join."""
    from interp_ecg.io import read_ptbxl
    from interp_ecg.studies import pipeline

    feats = tmp_path / "f.parquet"
    result = runner.invoke(app, ["features", str(tiny_cohort), "--out", str(feats)])
    assert result.exit_code == 0, _out(result)
    table = pd.read_parquet(feats)
    meta = read_ptbxl(tiny_cohort).meta
    assert list(table.columns[:3]) == ["patient_id", "age", "sex"]
    assert str(table["patient_id"].dtype) == "Int64"  # integer ids as the reader gives them, not floats
    pd.testing.assert_series_equal(table["patient_id"], meta["patient_id"].reindex(table.index), check_names=False)
    pd.testing.assert_series_equal(table["age"], meta["age"].reindex(table.index), check_names=False)
    assert table["sex"].tolist() == meta["sex"].reindex(table.index).tolist()
    # train's inputs stay the ECG measurements unless asked for (--demographics)
    X, *_ = pipeline.training_data(table, label="wct")
    assert not {"patient_id", "age", "sex"} & set(X.columns)
    assert "age" in pipeline.training_data(table, label="wct", demographics=True)[0].columns
    # phewas reads the features file as it is: subject patient_id, covariates age and sex
    out = tmp_path / "p.csv"
    args = ["phewas", str(feats), "--diagnoses", str(tiny_cohort / "diagnoses.csv"), "--phecode-map",
            str(phecode_root), "--exposures", "QRS_duration_ms,heart_rate_bpm", "--min-cases", "2",
            "--min-code-count", "1", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, _out(result)
    got = pd.read_csv(out, dtype={"phecode": str})
    dx = pd.read_csv(tiny_cohort / "diagnoses.csv", dtype=str)
    expected = pipeline.run_phewas(table, dx, phecode_root, exposures=["QRS_duration_ms", "heart_rate_bpm"],
                                   min_cases=2, min_code_count=1)
    assert len(got) > 0 and got["p"].to_numpy() == pytest.approx(expected["p"].to_numpy(), nan_ok=True)
    # a table without them: one line naming the file, the column and the option
    bare = tmp_path / "bare.parquet"
    table.drop(columns=["age"]).to_parquet(bare)
    result = runner.invoke(app, ["phewas", str(bare), *args[2:]])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {bare}: no column 'age' (--covariates)")
    empty = tmp_path / "no_ids.parquet"
    table.assign(patient_id=pd.array([pd.NA] * len(table), dtype="string")).to_parquet(empty)
    result = runner.invoke(app, ["phewas", str(empty), *args[2:]])
    assert result.exit_code == 2 and "'patient_id' (--subject-col) has no value" in result.stderr


def test_record_columns_where_the_reader_has_none():
    from interp_ecg.studies.pipeline import with_record_columns

    feats = pd.DataFrame({"QRS_duration_ms": [90.0, 100.0]}, index=pd.Index(["a/1", "a/2"], name="record"))
    t = with_record_columns(feats, pd.DataFrame(index=feats.index))  # a WFDB folder: no patient, age, sex
    assert t["patient_id"].isna().all() and str(t["patient_id"].dtype) == "string"
    assert t["age"].isna().all() and t["age"].dtype == float
    assert t["sex"].isna().all() and str(t["sex"].dtype) == "string"
    meta = pd.DataFrame({"patient_id": ["00012", "00013"], "age": [61.0, None], "sex": ["F", "M"]},
                        index=feats.index).astype({"patient_id": "string", "sex": "string"})
    t = with_record_columns(feats, meta)
    assert t["patient_id"].tolist() == ["00012", "00013"]  # text ids keep their leading zeros
    assert t["age"].tolist()[0] == 61.0 and np.isnan(t["age"].tolist()[1])
    assert with_record_columns(feats, meta.assign(patient_id=[12.5, np.nan]))["patient_id"].tolist() == ["12.5", pd.NA]


def test_demo_tables_hold_no_raw_identifier(demo_run):
    """Every identifier column of every table the demo writes holds keyed pseudonyms (user9 F1:
    ``best_training_record`` held the raw ecg_id beside the pseudonymised ``record_id``)."""
    from interp_ecg.io.pseudonym import PREFIXES, identifier_columns

    _, run_dir = demo_run
    protos = pd.read_csv(run_dir / "tables" / "prototypes.csv", dtype=str)
    assert "best_training_record" in protos.columns
    checked = 0
    for path in sorted((run_dir / "tables").glob("*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in identifier_columns(frame):
            values = [v for v in frame[col] if v not in ("", "NA", "nan")]
            assert all(v.startswith(tuple(PREFIXES.values())) for v in values), (path.name, col, values[:3])
            checked += 1
    assert checked >= 3
    # the PDF's numbers join to the tables' pseudonyms through report_aliases.csv (user9 F9)
    aliases = pd.read_csv(run_dir / "tables" / "report_aliases.csv", dtype=str)
    assert {"E001", "P001"} <= set(aliases["alias"])
    preds = pd.read_csv(run_dir / "tables" / "wct_predictions.csv", dtype=str)
    assert set(aliases.loc[aliases["kind"] == "patient", "pseudonym"]) & set(preds["patient_id"])
