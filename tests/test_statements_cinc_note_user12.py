"""The CinC statements note counts the records the metrics rest on (user12 F6: said 40, rest on 32)."""

import pandas as pd

from interp_ecg.studies.ptbxl_statements import cinc_count_note


def test_count_is_records_with_a_scored_label_known():
    # 40 measured: 32 with LVH known, 8 with none of the scored labels known
    Yc = pd.DataFrame({"LVH": [1.0] * 3 + [0.0] * 29 + [None] * 8, "SR": [1.0] * 5 + [0.0] * 26 + [None] * 9,
                       "NORM": [None] * 40})
    note = cinc_count_note("statements", Yc, ["LVH", "SR"], 40)
    assert note.startswith("cinc statements: metrics rest on 32 external records; 8 of the 40 measured have none "
                           "of the scored labels known (left out);")
    assert "LVH 32 (3 positive), SR 31 (5 positive)" in note


def test_superclass_drop_is_said_and_counted():
    Yc = pd.DataFrame({"NORM": [1.0, 0.0], "MI": [0.0, 1.0]})
    assert cinc_count_note("superclass", Yc, ["NORM", "MI"], 5).startswith(
        "cinc superclass: metrics rest on 2 external records; 3 without a positive superclass left out;")


def test_report_metrics_table_per_protocol_named_in_caption():
    # user12 D5: one table of all protocols showed only the cv10 rows, without saying so
    from interp_ecg.studies.ptbxl_statements import _report_blocks

    rows = [{"protocol": p, "task": "statements", "model": "lgbm", "label": "LVH", "metric": "roc_auc",
             "estimate": e, "ci_low": e - 0.05, "ci_high": e + 0.05, "n": 100}
            for p, e in (("cv10", 0.90), ("test10", 0.85), ("cinc", 0.60))]
    blocks = _report_blocks({"metrics": pd.DataFrame(rows)})
    assert [b.heading for b in blocks] == ["Metrics: cv10, statements", "Metrics: test10, statements",
                                           "Metrics: cinc, statements"]
    assert blocks[1].caption == ("Metrics with bootstrap 95% confidence intervals (resampled by patient); protocol "
                                 "test10: trained on folds 1-8, scored on test fold 10; task statements.")
    assert [b.metrics["estimate"].tolist() for b in blocks] == [[0.90], [0.85], [0.60]]
