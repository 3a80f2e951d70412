"""Trust defects found by user9 in the prototype studies and their report (FINDINGS-user9)."""

from __future__ import annotations

import pandas as pd

from interp_ecg.io.pseudonym import identifier_columns, identifier_kind, pseudonym, pseudonymise_frame
from interp_ecg.report.blocks.base import Pseudonymiser

KEY = bytes(range(32))


def _prototypes_table() -> pd.DataFrame:
    # the shape of a study's prototypes.csv: the source record and the best training record,
    # which for a pushed prototype is usually the same record (F1)
    return pd.DataFrame({"prototype": ["proto_SBRAD_00", "proto_CLBBB_00"], "class": ["SBRAD", "CLBBB"],
                         "record_id": [59, 50], "start_s": [0.0, 4.0], "best_training_record": [59, 50],
                         "n_without_patient": [0, 0]})


def test_best_training_record_is_pseudonymised_in_run_tables():
    out = pseudonymise_frame(_prototypes_table(), KEY)
    assert out["best_training_record"].tolist() == [pseudonym(59, KEY), pseudonym(50, KEY)]
    # the same record gets the same pseudonym in both columns: no pseudonym -> id lookup left in the table
    assert out["best_training_record"].tolist() == out["record_id"].tolist()
    assert not {"59", "50"} & set(out.astype(str).to_numpy().ravel())
    assert out["n_without_patient"].tolist() == [0, 0]  # a count, not an identifier


def test_identifier_columns_are_matched_by_their_ending():
    frame = pd.DataFrame(columns=["ecg_id", "best_training_record", "matched_record_id", "index_patient",
                                  "mother_patient_id", "prior_hadm_id", "n_without_patient", "n_records", "age",
                                  "recording_quality"])
    assert identifier_columns(frame) == ["ecg_id", "best_training_record", "matched_record_id", "index_patient",
                                         "mother_patient_id", "prior_hadm_id"]
    assert [identifier_kind(c) for c in identifier_columns(frame)] == ["record", "record", "record", "patient",
                                                                       "patient", "admission"]


def test_report_tables_alias_best_training_record_as_the_same_ecg():
    out = Pseudonymiser().frame(_prototypes_table())
    assert out["record_id"].tolist() == ["E001", "E002"]
    assert out["best_training_record"].tolist() == ["E001", "E002"]


def test_ptbxl_prototypes_macro_headline_is_not_a_finding_with_one_positive_each():
    import numpy as np

    from interp_ecg.studies.ptbxl_prototypes import macro_roc_auc, macro_text

    # user9 S1: four statements with 1 test positive each among 5 test ECGs -> "Macro ROC-AUC 0.875" as a finding
    y = pd.DataFrame(np.eye(5, 4, dtype=int), columns=["SBRAD", "CLBBB", "LVH", "NORM"])
    s = pd.DataFrame(np.where(y == 1, 0.9, 0.1), columns=y.columns)
    s.iloc[4, 0] = 0.95  # one negative above SBRAD's positive: SBRAD 0.75, the rest 1.0
    row = macro_roc_auc(y, s, list(range(5)), n_boot=50, random_state=0)
    assert row["estimate"] == 0.9375 and np.isnan(row["ci_low"])
    assert macro_text(row, y) == ("0.938 over 4 statements (not established: no 95% CI, fewer than 5 held-out "
                                  "positives or negatives for SBRAD 1 positive, CLBBB 1 positive, LVH 1 positive, "
                                  "NORM 1 positive)")
    # enough positives and negatives: the interval is stated, no caveat
    rng = np.random.default_rng(0)
    y2 = pd.DataFrame({"A": [0, 1] * 20, "B": [1, 0, 0, 1] * 10})
    s2 = y2 * 0.5 + rng.uniform(0, 0.6, size=y2.shape)
    row2 = macro_roc_auc(y2, s2, list(range(40)), n_boot=50, random_state=0)
    assert np.isfinite(row2["ci_low"]) and "not established" not in macro_text(row2, y2)
    assert macro_text(row2, y2).startswith(f"{row2['estimate']:.3f} (")


def test_sampling_rate_a_study_does_not_read_is_refused_or_resolved():
    import pytest

    from interp_ecg.errors import ConfigError
    from interp_ecg.studies.config import validate_config

    def cfg(kind, **data):
        return validate_config({"study": "s", "kind": kind, "data": data}, check_paths=False)

    # user9 F2: ptbxl_prototypes echoed data.sampling_rate 500 and read 100 Hz
    assert cfg("ptbxl_prototypes").data.sampling_rate == 100
    assert cfg("ptbxl_prototypes", source="ptbxl", path="/").data.sampling_rate == 100
    assert cfg("prototype_phewas").data.sampling_rate == 100
    with pytest.raises(ConfigError, match=r"data.sampling_rate is 500, but the ptbxl_prototypes study reads "
                                          r"data.source synthetic at 100 Hz .*remove it or set it to 100"):
        cfg("ptbxl_prototypes", sampling_rate=500)
    with pytest.raises(ConfigError, match="prototype_phewas study reads data.source synthetic at 100 Hz"):
        cfg("prototype_phewas", sampling_rate=500)
    # the same kind of fault in the other studies: a synthetic cohort is read at 500 Hz whatever the key says
    with pytest.raises(ConfigError, match="wct study reads data.source synthetic at 500 Hz"):
        cfg("wct", sampling_rate=100)
    assert cfg("wct").data.sampling_rate == 500
    assert cfg("wct", source="ptbxl", path="/", sampling_rate=100).data.sampling_rate == 100  # read as asked


def test_cli_refuses_sampling_rate_500_for_ptbxl_prototypes(tmp_path):
    from typer.testing import CliRunner

    from interp_ecg.cli import app

    yaml = tmp_path / "study.yaml"
    yaml.write_text("study: s\nkind: ptbxl_prototypes\n")
    result = CliRunner().invoke(app, ["study", "validate", str(yaml), "--set", "data.sampling_rate=500"])
    assert result.exit_code == 2 and "data.sampling_rate is 500" in result.stderr


def test_data_keys_a_study_never_reads_are_refused():
    import pytest

    from interp_ecg.errors import ConfigError
    from interp_ecg.studies.config import validate_config

    with pytest.raises(ConfigError, match=r"the ptbxl_prototypes study does not read data.features"):
        validate_config({"study": "s", "kind": "ptbxl_prototypes", "data": {"features": "x.parquet"}},
                        check_paths=False)
    with pytest.raises(ConfigError, match=r"the prototype_phewas study does not read data.cache_dir"):
        validate_config({"study": "s", "kind": "prototype_phewas", "data": {"cache_dir": "c"}}, check_paths=False)
    # null (the echoed default of every run folder's config.yaml) is not a value
    validate_config({"study": "s", "kind": "ptbxl_prototypes", "data": {"features": None, "diagnoses": None}},
                    check_paths=False)


def _match():
    import numpy as np

    from interp_ecg.report.blocks.patient import PrototypeMatch

    rng = np.random.default_rng(0)
    # a 2.96-s record window in context (3 leads) and a 0.96-s prototype with a larger QRS (user9 F4)
    return PrototypeMatch("CLBBB", "proto_CLBBB_02", 3.941, rng.normal(0, 0.2, (3, 296)),
                          rng.normal(0, 1.0, (3, 96)), 100.0, leads=["II", "V1", "V5"], record_window=(1.0, 1.96),
                          prototype_source="11 5.9-6.9 s", contribution=0.12)


def test_this_looks_like_that_panels_share_time_and_voltage_scales():
    from matplotlib.figure import Figure

    from interp_ecg.report.blocks.patient import draw_matches
    from interp_ecg.report.layout import Region

    fig = Figure(figsize=(8, 2.6))
    draw_matches(Region(fig, 0, 0, 8, 2.6), [_match()], Pseudonymiser())
    left, right = fig.axes
    assert left.get_position().width == right.get_position().width
    assert left.get_position().height == right.get_position().height
    # same seconds per width: both span the record's 2.96 s; the prototype sits under the highlighted window
    assert tuple(map(float, left.get_xlim())) == tuple(map(float, right.get_xlim())) == (0.0, 2.96)
    proto_x = right.lines[0].get_xdata()
    assert float(proto_x[0]) == 1.0 and abs(float(proto_x[-1]) - 1.95) < 1e-9
    # same mV per height: one lead spacing for both (from the larger prototype), no overlap of its leads
    assert tuple(map(float, left.get_ylim())) == tuple(map(float, right.get_ylim()))
    # a calibration bar and a title that says what the similarity is
    texts = [t.get_text() for ax in (left, right) for t in ax.texts]
    assert texts.count("0.2 s, 1 mV") == 2
    assert "record-mean similarity 3.941" in left.get_title()


def test_gallery_shares_the_voltage_scale_and_says_what_it_leaves_out():
    import numpy as np
    from matplotlib.figure import Figure

    from interp_ecg.report.blocks.patient import PrototypeGalleryBlock
    from interp_ecg.report.layout import Region

    items = [{"name": "proto_AFIB_00", "label": "AFIB", "segment": np.zeros((3, 1000)), "fs": 100.0, "source": 3,
              "window": "0.0-10.0 s"},
             {"name": "proto_CLBBB_00", "label": "CLBBB", "segment": np.full((3, 96), 2.0) * np.sin(np.arange(96)),
              "fs": 100.0, "source": 5, "window": "4.0-5.0 s"}]
    block = PrototypeGalleryBlock(items, shown_note="2 of the 5 prototypes are shown.")
    fig = Figure(figsize=(7, 1.45))
    block._draw_row(Region(fig, 0, 0, 7, 1.45), items, Pseudonymiser())
    a, b = fig.axes
    assert tuple(map(float, a.get_ylim())) == tuple(map(float, b.get_ylim()))
    assert "(10.00 s shown)" in a.get_title() and "(0.96 s shown)" in b.get_title()
    cap = block._caption()
    assert "different time scales" in cap and "2 of the 5 prototypes are shown." in cap


def test_pdf_aliases_join_to_the_tables_pseudonyms():
    """user9 F9: the PDF's E001 could not be joined to tables/test_scores.csv, even by the key holder."""
    table = pseudonymise_frame(_prototypes_table(), KEY)  # what the run folder's table holds
    p = Pseudonymiser(key=KEY)
    shown = p.frame(table)
    assert shown["record_id"].tolist() == ["E001", "E002"]
    assert p(59) == "E001" and p("50", "record") == "E002"  # a raw id on a patient page: the same ECG, same alias
    assert p(59, "patient") == "P001"  # kinds apart
    aliases = p.aliases().set_index("alias")
    assert aliases.loc["E001", "pseudonym"] == pseudonym(59, KEY) == table["record_id"].iloc[0]
    assert aliases.loc["P001", "kind"] == "patient"
    assert Pseudonymiser().aliases().empty  # no key: nothing to join to, nothing claimed


def test_statement_typo_in_a_study_is_refused_with_a_suggestion():
    import pytest

    from interp_ecg.errors import ConfigError
    from interp_ecg.studies.config import validate_config

    # user9 F9: `statements: [NORM, AFIBB]` was left out as "not a label of the cohort" and the run went on
    with pytest.raises(ConfigError, match=r"params.statements: 'AFIBB' \(item 1\) is not a PTB-XL statement "
                                          r"\(did you mean 'AFIB'\?\)"):
        validate_config({"study": "s", "kind": "ptbxl_prototypes", "params": {"statements": ["NORM", "AFIBB"]}})
    with pytest.raises(ConfigError, match=r"params.prototype_classes: 'stach' .*did you mean 'STACH'"):
        validate_config({"study": "s", "kind": "demo", "params": {"prototype_classes": ["stach"]}})
    validate_config({"study": "s", "kind": "ptbxl_prototypes", "params": {"statements": ["NORM", "1AVB"]}})

