"""Pseudonymised free text: a short numeric record id is replaced where the text names a record,
and a count that merely equals it is kept (new user 7, A3)."""

from __future__ import annotations

import pandas as pd

from interp_ecg.io.pseudonym import pseudonym, pseudonymise_frame, scrub_text

KEY = bytes(32)


def _reasons(texts: list[str], ids: list, name: str = "ecg_id") -> list[str]:
    frame = pd.DataFrame({"quality_reason": texts}, index=pd.Index(ids, name=name))
    return pseudonymise_frame(frame, KEY)["quality_reason"].tolist()


def test_counts_equal_to_the_row_id_are_kept():
    texts = ["2 beat(s) cut by the record edge left out of the medians",
             "noisy (noise above 40 Hz over 25 % of the ECG band) ['V1']",
             "12 beats; RR under 80% of the median in 3 beats",
             "QRS 80 ms; amplitude 2.5 mV",
             "signal file holds 10000 of 12000 samples"]
    out = _reasons(texts, [2, 25, 80, 2, 10000])
    assert out == texts          # were "RC-... beat(s) cut", "over RC-... %", "RC-... of 12000 samples" ...


def test_ids_named_as_identifiers_are_replaced():
    rc2, rc25 = pseudonym(2, KEY), pseudonym(25, KEY)
    texts = ["2: ValueError: cannot read",
             "worker died (exit 137) while measuring 2",
             "record 2 not in dataset 'ptbxl'",
             "record '2' is in the feature table but not in the dataset",
             "ecg_id=2 skipped; 2 beat(s) cut"]
    out = _reasons(texts, [2, 2, 2, 2, 2])
    assert out == [f"{rc2}: ValueError: cannot read",
                   f"worker died (exit 137) while measuring {rc2}",
                   f"record {rc2} not in dataset 'ptbxl'",
                   f"record '{rc2}' is in the feature table but not in the dataset",
                   f"ecg_id={rc2} skipped; 2 beat(s) cut"]
    # a path still becomes the row's pseudonym; another record's number is left alone
    assert _reasons(["/data/ptbxl/records100/00000/00025_lr.hea: no usable lead", "record 250 and 2.5 s"],
                    [25, 25]) == [f"{rc25}: no usable lead", "record 250 and 2.5 s"]


def test_patient_ids_in_context_and_long_ids_anywhere():
    frame = pd.DataFrame({"patient_id": [15709.0],
                          "note": ["patient 15709 has 15709 samples; subject_id 15709.0"]},
                         index=pd.Index([3], name="ecg_id"))
    out = pseudonymise_frame(frame, KEY)["note"].iloc[0]
    pt = pseudonym("15709.0", KEY, "patient")
    assert out == f"patient {pt} has 15709 samples; subject_id {pt}"
    # MIMIC's 8-digit ids are replaced wherever they stand, and in their folder forms
    rc = pseudonym(41000002, KEY)
    assert _reasons(["41000002 unreadable (s41000002)"], [41000002], "study_id") == [f"{rc} unreadable ({rc})"]
    assert scrub_text("over 25 % in record 25", KEY, record=25) == f"over 25 % in record {pseudonym(25, KEY)}"
