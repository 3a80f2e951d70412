"""Grounded explanation sentences say only what is true of the record (finding 5 of the
new-user review): a record-level interval is a multi-lead consensus and is described as one,
the positions it gives are the consensus boundaries of the beat it names (in seconds, not
truncated samples) and the duration between them is what it states, beats are counted from 1,
a per-lead value names its own lead, a value that was not measured gets no location, and
counts are pluralised."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import shap

from interp_ecg.explain import explain_row, sentences_and_marks
from interp_ecg.explain.grounded import format_value, measurement_location

LEADS12 = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def _delineation(fs: float, leads, qrs_on, qrs_off, t_off, p_on) -> pd.DataFrame:
    """A measured delineation with known consensus fiducials (one row per beat and lead, then global)."""
    n = len(qrs_on)
    rows = []
    for lead in [*leads, "global"]:
        for b in range(n):
            rows.append({"lead": lead, "beat": b, "P_on": p_on[b], "QRS_on": qrs_on[b], "R_peak": qrs_on[b] + 3,
                         "QRS_off": qrs_off[b], "T_off": t_off[b]})
    fid = pd.DataFrame(rows)
    fid.attrs.update(fs=fs, lead_status={ld: "ok" for ld in leads}, edge_beats=[])
    return fid


def _sentences(row: pd.Series, fid: pd.DataFrame | None, features: list[str], fs=None) -> dict[str, str]:
    data = np.array([[float(row.get(f, np.nan)) for f in features]])
    values = np.linspace(0.30, 0.02, len(features))[None, :]
    ex = shap.Explanation(values=values, data=data, feature_names=features, base_values=np.array([0.2]))
    ge = explain_row(ex, 0, feature_row=row, top=len(features), target="WCT", fiducials=fid, fs=fs)
    return {a.feature: a.sentence for a in ge.attributions}


# --------------------------------------------------------------------------- a record with known fiducials
FS = 100.0
# beat 2 (the third beat) carries the traced intervals; fractional positions at 100 Hz, as the delineator gives
QRS_ON = [63.6, 213.8, 363.8, 513.6, 663.4]
QRS_OFF = [72.6, 222.8, 372.4, 522.6, 672.4]
T_OFF = [104.6, 254.8, 404.8, 554.6, 704.6]
P_ON = [48.2, 198.4, 348.4, 498.2, 648.0]


@pytest.fixture
def known():
    fid = _delineation(FS, LEADS12, QRS_ON, QRS_OFF, T_OFF, P_ON)
    row = pd.Series({
        "QRS_duration_ms": 87.0, "QT_interval_ms": 410.0, "PR_interval_ms": 154.0, "JT_interval_ms": 322.0,
        "QTc_Bazett_ms": 363.0, "heart_rate_bpm": 40.0, "R_amp_mV_V5": 1.75, "QRS_notches_aVF": 1.0,
        "QRS_notches_V2": 2.0, "PVC_count": 1.0, "RS_ratio_V4": 2.5, "SDNN_ms": 20.0,
        # provenance: the closest leads are V1 / aVF, which the sentences must not claim
        "QRS_duration_lead": "V1", "QRS_duration_beat": 2.0, "QRS_duration_start_sample": 363.8,
        "QRS_duration_end_sample": 372.4,
        "QT_interval_lead": "aVF", "QT_interval_beat": 2.0, "QT_interval_start_sample": 363.8,
        "QT_interval_end_sample": 404.8,
        "PR_interval_lead": "V2", "PR_interval_beat": 2.0, "PR_interval_start_sample": 348.4,
        "PR_interval_end_sample": 363.8,
        "n_beats": 5.0, "n_beats_dominant": 5.0, "quality_n_leads_usable": 12.0, "quality_ok": True,
        "quality_reason": "", "quality_noisy_leads": "", "quality_flat_leads": "", "quality_clipped_leads": "",
    }, dtype=object)
    return row, fid


def test_exact_sentences_on_a_record_with_known_fiducials(known):
    row, fid = known
    got = _sentences(row, fid, ["QT_interval_ms", "QRS_duration_ms", "PR_interval_ms", "JT_interval_ms",
                                "QTc_Bazett_ms", "R_amp_mV_V5", "QRS_notches_aVF", "QRS_notches_V2", "PVC_count",
                                "heart_rate_bpm"])
    assert got["QT_interval_ms"] == (
        "QT interval 410 ms, multi-lead consensus of the 12 usable leads, median over the 5 dominant beats "
        "(beat 3 of 5: 410 ms from the QRS onset at 3.638 s to the T end at 4.048 s), "
        "raised the WCT probability by 0.30")
    # the median (87 ms) is not the shown beat's own span (86 ms): both are stated, each true
    assert got["QRS_duration_ms"] == (
        "QRS duration 87 ms, multi-lead consensus of the 12 usable leads, median over the 5 dominant beats "
        "(beat 3 of 5: 86 ms from the QRS onset at 3.638 s to the QRS offset at 3.724 s), "
        "raised the WCT probability by 0.27")
    assert got["PR_interval_ms"] == (
        "PR interval 154 ms, multi-lead consensus of the 12 usable leads, median over the 5 dominant beats "
        "(beat 3 of 5: 154 ms from the P onset at 3.484 s to the QRS onset at 3.638 s), "
        "raised the WCT probability by 0.24")
    assert got["JT_interval_ms"] == (
        "JT interval 322 ms, multi-lead consensus QRS offset to T end, median over the 5 dominant beats "
        "(beat 3 of 5: 324 ms from the QRS offset at 3.724 s to the T end at 4.048 s), "
        "raised the WCT probability by 0.21")
    assert got["QTc_Bazett_ms"] == (
        "QTc Bazett 363 ms, from the QT interval 410 ms and the mean RR interval over 5 beats "
        "(QT shown on beat 3 of 5: 410 ms from the QRS onset at 3.638 s to the T end at 4.048 s), "
        "raised the WCT probability by 0.18")
    assert got["R_amp_mV_V5"] == ("R amplitude in V5 1.75 mV, in lead V5, on its median beat of the 5 dominant "
                                  "beats, raised the WCT probability by 0.14")
    assert got["QRS_notches_aVF"].startswith("QRS notches in aVF: 1 notch, in lead aVF,")
    assert got["QRS_notches_V2"].startswith("QRS notches in V2: 2 notches, in lead V2,")
    assert got["PVC_count"].startswith("PVC count: 1 PVC, over 5 beats,")
    assert got["heart_rate_bpm"] == "Heart rate 40 bpm, over 5 beats, raised the WCT probability by 0.02"
    # the closest-lead provenance is never presented as the lead of a consensus value
    for feat in ("QT_interval_ms", "QRS_duration_ms", "PR_interval_ms", "JT_interval_ms", "QTc_Bazett_ms"):
        assert not re.search(r"\blead (V1|aVF|V2)\b", got[feat]), got[feat]


def test_stated_positions_and_durations_agree_and_are_not_truncated(known):
    row, fid = known
    for s in _sentences(row, fid, ["QT_interval_ms", "QRS_duration_ms", "PR_interval_ms", "JT_interval_ms"]).values():
        for dur, t0, t1 in re.findall(r"(\d+) ms from the [^()]*? at (\d+\.\d{3}) s to the [^()]*? at (\d+\.\d{3}) s", s):
            assert int(dur) == round((float(t1) - float(t0)) * 1000), s
    # without a sampling rate: the stored (fractional) sample indices, no duration (none can be derived)
    lone = _sentences(row, None, ["QT_interval_ms"])["QT_interval_ms"]
    assert "(beat 3 of 5: from the QRS onset at sample 363.8 to the T end at sample 404.8)" in lone
    # an explicit rate gives the same positions as the delineation's own
    assert _sentences(row, None, ["QT_interval_ms"], fs=FS)["QT_interval_ms"] == \
        _sentences(row, fid, ["QT_interval_ms"])["QT_interval_ms"]


def test_values_that_were_not_measured_get_no_location(known):
    row, _ = known
    fid3 = _delineation(FS, ["I", "II", "V5"], QRS_ON, QRS_OFF, T_OFF, P_ON)
    row3 = row.copy()
    row3["quality_n_leads_usable"] = 3.0
    row3["RS_ratio_V4"] = np.nan
    row3["Sokolow_Lyon_mV"] = np.nan
    got = _sentences(row3, fid3, ["RS_ratio_V4", "Sokolow_Lyon_mV", "QT_interval_ms"])
    assert got["RS_ratio_V4"] == ("RS ratio in V4 not measured (V4 is not in the record); the model's handling of "
                                  "the missing value raised the WCT probability by 0.30")
    assert got["Sokolow_Lyon_mV"] == ("Sokolow-Lyon not measured (it needs V1, V5, V6: V1 and V6 are not in the "
                                      "record); the model's handling of the missing value raised the WCT "
                                      "probability by 0.16")
    assert "consensus of the 3 usable leads" in got["QT_interval_ms"]
    # a lead set aside names its reason; a missing value of a measured lead has no invented reason
    noisy = row.copy()
    noisy["quality_noisy_leads"] = "V3"
    noisy["R_amp_mV_V3"] = np.nan
    noisy["P_amp_mV_II"] = np.nan
    got = _sentences(noisy, _delineation(FS, [ld for ld in LEADS12 if ld != "V3"], QRS_ON, QRS_OFF, T_OFF, P_ON),
                     ["R_amp_mV_V3", "P_amp_mV_II"])
    assert got["R_amp_mV_V3"].startswith("R amplitude in V3 not measured (V3 was set aside as noisy); the model's")
    assert got["P_amp_mV_II"].startswith("P amplitude in II not measured; the model's handling of the missing value")
    # a record-level interval that was not measured: no beat, no positions
    none = row.copy()
    none["QT_interval_ms"] = np.nan
    lead, s0, _, where = measurement_location("QT_interval_ms", none, fid3)
    assert lead is None and not np.isfinite(s0) and not re.search(r"beat \d| s\b|sample", where), where


def test_one_usable_lead_is_named_and_marks_follow_the_sentences(known):
    row, _ = known
    fid1 = _delineation(FS, ["II"], QRS_ON, QRS_OFF, T_OFF, P_ON)
    one = row.copy()
    one["quality_n_leads_usable"] = 1.0
    s = _sentences(one, fid1, ["QT_interval_ms"])["QT_interval_ms"]
    assert s.startswith("QT interval 410 ms, from the one usable lead (II), median over the 5 dominant beats")
    # the patient page's bracket: the named beat's own span, on the rhythm strip
    row_fid = _delineation(FS, LEADS12, QRS_ON, QRS_OFF, T_OFF, P_ON)
    data = np.array([[87.0]])
    ex = shap.Explanation(values=np.array([[0.3]]), data=data, feature_names=["QRS_duration_ms"],
                          base_values=np.array([0.2]))
    ge = explain_row(ex, 0, feature_row=row, fiducials=row_fid, target="WCT")
    sentences, marks = sentences_and_marks(ge, fs=FS)
    assert marks == [{"lead": "global", "start": 363.8, "end": 372.4, "label": "QRS 86 ms"}]
    assert sentences[0].endswith("(marked on the lead II rhythm strip)")


def test_pr_from_the_median_beat_says_so(known):
    row, fid = known
    med = row.copy()
    med["PR_interval_lead"] = "global"  # PR measured on the median beat (frequent ectopy)
    med["PR_interval_start_sample"] = 363.8 - 15.4
    s = _sentences(med, fid, ["PR_interval_ms"])["PR_interval_ms"]
    assert s.startswith("PR interval 154 ms, measured on the median beat of the 5 dominant beats (beat 3 of 5: "
                        "154 ms from the P onset of the median beat, placed before this beat's QRS onset, at 3.484 s")


def test_counts_are_pluralised():
    assert [format_value(v, "QRS_notches_V6") for v in (0, 1, 2)] == ["0 notches", "1 notch", "2 notches"]
    assert format_value(1.0, "QRS_notched_lead_count") == "1 lead"
    assert format_value(float("nan"), "PVC_count") == "not measured"


# --------------------------------------------------------------------------- real records
_SPAN = re.compile(r"(\d+) ms from the ([^()]*?) at (\d+\.\d{3}) s to the ([^()]*?) at (\d+\.\d{3}) s")
_BOUND = {"P onset": "P_on", "QRS onset": "QRS_on", "QRS offset": "QRS_off", "T end": "T_off"}


@pytest.mark.shared_data
def test_every_stated_interval_is_the_interval_between_its_positions_on_ptbxl(ptbxl_root):
    """PTB-XL at 100 Hz, 12 leads and cut to I, II, V5: each stated duration is the difference of
    the positions stated beside it, those positions are the consensus fiducials of the named beat,
    a consensus value names no lead, and an unrecorded lead gets no location."""
    from interp_ecg import features, io

    ds = io.read_ptbxl(ptbxl_root, sampling_rate=100)
    n_spans = n_unrecorded = 0
    for rid in list(ds.meta.index[:4]):
        full = ds.load(rid)
        for leads in (None, ["I", "II", "V5"]):
            rec = full if leads is None else io.Record(full.id, full.signal[[full.leads.index(x) for x in leads]],
                                                       full.fs, leads)
            row = features.extract_record(rec)
            fid = features.measured_fiducials(rec)
            skip = re.compile(r"^(quality_|n_beats|record_duration|outlier_beat|.*_(lead|beat|start_sample|end_sample)$)")
            names = [c for c in row.index if not skip.match(c) and c not in ("patient_id", "age", "sex")
                     and isinstance(row[c], (int, float, np.integer, np.floating))]
            got = _sentences(row, fid, names)
            glob = fid[fid["lead"] == "global"].sort_values("R_peak")
            for feat, s in got.items():
                for dur, a, t0, b, t1 in _SPAN.findall(s):
                    n_spans += 1
                    assert int(dur) == round((float(t1) - float(t0)) * 1000), s
                    k = int(re.search(r"beat (\d+) of (\d+)", s).group(1))
                    g = glob.iloc[k - 1]
                    for name, t in ((a, t0), (b, t1)):
                        if "median beat" in name:
                            continue
                        col = next(c for w, c in _BOUND.items() if name == w)
                        assert round(float(g[col]) * 1000 / rec.fs) == round(float(t) * 1000), (s, col)
                own = feat.rsplit("_", 1)[-1]
                if feat.endswith(tuple(f"_{x}" for x in LEADS12)) and own not in rec.leads:
                    n_unrecorded += 1
                    assert f"({own} is not in the record)" in s, s
                    assert not re.search(r"in lead|median beat|sample|\d\.\d{3} s", s), s
                elif feat in ("PR_interval_ms", "QRS_duration_ms", "QT_interval_ms", "JT_interval_ms"):
                    assert "lead " not in s.replace("multi-lead", "").replace("usable leads", ""), s
    # 4 records x 2 lead sets x (PR, QRS, QT, JT, 4 QTc, Cornell product where measured);
    # 4 records x 9 unrecorded leads x 9 per-lead measures
    assert n_spans >= 4 * 2 * 4 and n_unrecorded == 4 * 9 * 9


def test_rhythm_strip_brackets_keep_their_labels_on_the_grid_and_apart():
    """Consensus marks go to the rhythm strip (the beat the sentence names): several on one beat
    stack without overlapping labels and without running off the bottom of the grid."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from interp_ecg.report.ecg_plot import plot_ecg

    sig = np.zeros((12, 5000), dtype="float32")
    labels = ["JT 132 ms", "QT 354 ms (for QTc)", "PR 200 ms", "QRS 220 ms"]
    marks = [{"lead": "global", "start": s0, "end": s1, "label": lab}
             for (s0, s1), lab in zip([(432, 498), (321, 498), (300, 400), (2336, 2446)], labels)]
    ax = plot_ecg(sig, 500, marks=marks)
    fig = ax.figure
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    grid = ax.get_window_extent(renderer)
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_text() in labels]
    assert len(boxes) == len(labels)
    for i, b in enumerate(boxes):
        assert b.y0 >= grid.y0 - 0.5 and b.y1 <= grid.y1, (labels[i], b, grid)
        for c in boxes[i + 1:]:
            assert not b.overlaps(c), (b, c)
    plt.close(fig)
