"""Card values named like feature-table columns are the feature table's (user16 F5, user17 F8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interp_ecg.explain.prototype_cards import RECORD_LEVEL_FEATURES, describe_measurements, measure_source
from interp_ecg.io import STANDARD_LEADS
from interp_ecg.io.dataset import Record
from interp_ecg.simulate import simulate_record


@pytest.fixture(scope="module")
def sinus():
    signal, fid, _ = simulate_record("normal", random_state=3)
    return Record(id="s1", signal=signal.astype(np.float32), fs=500.0, leads=list(STANDARD_LEADS))


def _one_beat_window(rec):
    from interp_ecg.features import extract_beats

    r = extract_beats(rec).query("lead == 'global'")["R_peak"].to_numpy(float) / rec.fs
    return (r[1] + r[2]) / 2, (r[2] + r[3]) / 2


def test_record_level_values_come_from_the_feature_row(sinus):
    lo, hi = _one_beat_window(sinus)
    row = {"P_wave_presence_fraction": 0.625, "RR_irregularity": 0.04, "QTc_Bazett_ms": 431.0}
    measured, _, reason = measure_source(sinus, lo, hi, ["II"], record_features=row)
    assert {k: measured[k] for k in RECORD_LEVEL_FEATURES} == row
    assert measured["n_beats_in_window"] == 1 and measured["n_beats_with_P_in_window"] in (0.0, 1.0)
    assert "RR_irregularity" not in reason  # no longer a window value that needs 3 RR intervals
    assert reason == "RR_sd_ms: 1 RR interval(s) end inside the window (RR_sd_ms needs 2)"


def test_no_p_sentence_follows_the_record_not_the_window(sinus):
    """user16: a window whose one beat had no delineated P, in a record with P in 5 of 8 beats,
    was described "no P waves"; the sentence now rests on the record's P presence (0.625)."""
    lo, hi = _one_beat_window(sinus)
    measured, _, _ = measure_source(sinus, lo, hi, ["II"], record_features={"P_wave_presence_fraction": 0.625})
    measured["n_beats_with_P_in_window"] = 0.0  # as in user16's window: its one beat without a P
    assert "no P waves" not in describe_measurements(measured)
    measured, _, _ = measure_source(sinus, lo, hi, ["II"], record_features={"P_wave_presence_fraction": 0.0})
    assert "no P waves" in describe_measurements(measured)
    # a record without a feature row: NaN, no sentence either way
    measured, _, _ = measure_source(sinus, lo, hi, ["II"], record_features={})
    assert np.isnan(measured["P_wave_presence_fraction"]) and "no P waves" not in describe_measurements(measured)


def test_card_title_names_the_source_record_without_a_pseudonym_key(sinus):
    """user16 F8: the title read "source source" when no pseudonym key was given."""
    import matplotlib

    matplotlib.use("Agg")
    from interp_ecg.explain.prototype_cards import PrototypeCard

    lo, hi = _one_beat_window(sinus)
    measured, seg, _ = measure_source(sinus, lo, hi, ["II"], record_features={})
    row = pd.Series({"source_record": "290", "start_s": lo, "end_s": hi, "description": ""})
    card = PrototypeCard("proto_IMI_00", row, pd.DataFrame({"feature": list(measured), "value": list(measured.values())}),
                         segment=seg)
    ax = card.plot()
    titles = [t.get_text() for t in ax.texts]
    assert any(f"proto_IMI_00 - source record 290, {lo:.2f}-{hi:.2f} s" in t for t in titles), titles
    row["source_pseudonym"] = "E017"
    assert any("proto_IMI_00 - source E017," in t.get_text() for t in card.plot().texts)
