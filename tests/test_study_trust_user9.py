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
