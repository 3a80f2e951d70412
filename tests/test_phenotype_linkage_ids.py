"""diagnoses_for_ecgs matches a patient whose id is a number on one side and text on the other."""

import pandas as pd
import pytest

from interp_ecg.phenotype import diagnoses_for_ecgs


def _tables():
    ecgs = pd.DataFrame({"ecg_id": ["a", "b"], "subject_id": [7, 8],
                         "ecg_time": pd.to_datetime(["2020-01-05", "2022-01-01"])})
    dx = pd.DataFrame({"subject_id": ["7", "9"], "hadm_id": ["100", "200"], "icd_code": ["I4891", "I10"],
                       "icd_version": 10, "admittime": pd.to_datetime(["2020-01-04", "2021-06-01"])})
    adm = pd.DataFrame({"hadm_id": [100, 200], "admittime": pd.to_datetime(["2020-01-04", "2021-06-01"]),
                        "dischtime": pd.to_datetime(["2020-01-09", "2021-06-03"])})
    return ecgs, dx, adm


@pytest.mark.parametrize("window, reason", [(None, "no diagnosis of the subject"),
                                            ("admission", "outside every admission with coded diagnoses"),
                                            (("-2D", "0D"), "no diagnosis in the window")])
def test_numeric_and_text_ids_link(window, reason):
    ecgs, dx, adm = _tables()
    out, unlinked = diagnoses_for_ecgs(ecgs, dx, window=window, admissions=adm, return_unlinked=True)
    assert out[["ecg_id", "icd_code"]].values.tolist() == [["a", "I4891"]]
    assert unlinked.to_dict() == {"b": reason}


def test_same_kind_ids_unchanged():
    ecgs, dx, adm = _tables()
    dx = dx.assign(subject_id=[7, 9], hadm_id=[100, 200])
    out = diagnoses_for_ecgs(ecgs, dx, window="admission", admissions=adm)
    assert out["subject_id"].tolist() == [7] and out["hadm_id"].tolist() == [100]
