"""WCT study notes give the real reason a label was not trained on (user5 B2)."""

from interp_ecg.studies.wct import class_count_shortfall


def test_shortfall_names_the_short_class():
    # 18 true WCTs, 10 VT: the positives reach min_positives=10, the negatives (8) do not
    assert class_count_shortfall([1] * 10 + [0] * 8, 10) == \
        "10 positives, 8 negatives; fewer than min_positives=10 negatives"
    assert class_count_shortfall([1] * 3 + [0] * 4 + [float("nan")] * 5, 5) == \
        "3 positives, 4 negatives; fewer than min_positives=5 positives and negatives"
    assert class_count_shortfall([1] * 10 + [0] * 10, 10) == ""
