"""Audit: are the grounded explanation sentences true of the record they describe?

For PTB-XL records at 100 Hz (12 leads, and the same records cut to three leads I, II, V5),
every feature of the feature table is put into a sentence by
:func:`interp_ecg.explain.explain_row` (a stand-in explanation with a non-zero contribution
for every feature, so that every feature gets its sentence), with the record's feature row
and its measured delineation (:func:`interp_ecg.features.measured_fiducials`). Each sentence's
claims are then checked against the delineation and the feature row:

- ``lead``: a lead the sentence says the value was measured in must be the feature's own
  lead (per-lead features, measured), the lead that holds an ST60 maximum, or, for a
  record-level interval, a lead whose own interval on the stated beat equals the stated
  value (within 1 ms);
- ``position``: a stated position ("between samples a and b", or "at t s") must be the
  consensus boundary of the provenance, at the precision written; a stated duration next
  to two positions must be their difference;
- ``beat``: "beat k" must be the k-th beat counted from 1 (as a reader counts), "of n" the
  number of consensus beats;
- ``unmeasured``: a value that was not measured (NaN) gets no location (lead, median beat,
  samples or times);
- ``count``: counts read with a pluralised noun ("1 beat", never "1 beats" or "1 count").

It reads both the wording of this package and that of the code before the rewrite (commit
2be8151: "measured in lead X between samples a and b (beat k)"), so the same audit gives the
before and after figures:

    PYTHONPATH=$PWD INTERP_ECG_DATA=/work/shared/data python benchmarks/explain_sentences_audit.py --records 40
    # the code before, from a copy of commit 2be8151's package:
    git archive 2be8151 interp_ecg | tar -x -C /tmp/old && PYTHONPATH=/tmp/old ... --records 40

The reference is the data itself (delineation and feature row), measured in the same run.

``--set-aside`` audits the leads the measurement set aside instead: each record as recorded
and with one lead spoilt three ways (V5 x10: out of scale; 1.2 s of NaN samples in V2:
invalid samples; III x2: breaks the limb-lead identities). For every sentence of a per-lead
feature of a lead the feature row's quality columns set aside it counts ``cites``: the
sentence gives a value of it (it does not say "not measured" or "not cited"), and
``no reason``: it does not name why (the column's own word: flat, clipped, noisy, invalid,
scale, limb-lead identities). ``--dump`` writes every sentence; ``--compare`` (a dump of the
code before, from a ``git archive`` copy) counts the sentences that changed, by what they now
add:

    PYTHONPATH=$PWD ... benchmarks/explain_sentences_audit.py --set-aside --records 50 --dump /tmp/new.csv
    PYTHONPATH=/tmp/base ... benchmarks/explain_sentences_audit.py --set-aside --records 50 --dump /tmp/old.csv
    PYTHONPATH=$PWD ... benchmarks/explain_sentences_audit.py --compare /tmp/old.csv /tmp/new.csv
"""

from __future__ import annotations

import argparse
import logging
import os
import re
from collections import Counter

import numpy as np
import pandas as pd
import shap

from interp_ecg import features, io
from interp_ecg.explain import explain_row
from interp_ecg.features.dictionary import feature_spec

BOUNDS = {"P onset": "P_on", "QRS onset": "QRS_on", "QRS offset": "QRS_off", "T end": "T_off", "T offset": "T_off"}
TRACED = {"PR_interval_ms": ("P_on", "QRS_on"), "QRS_duration_ms": ("QRS_on", "QRS_off"),
          "QT_interval_ms": ("QRS_on", "T_off")}
SKIP = re.compile(r"^(quality_|n_beats|record_duration|outlier_beat|.*_(lead|beat|start_sample|end_sample)$)")


def _consensus_beats(fid: pd.DataFrame) -> list:
    glob = fid[fid["lead"] == "global"].sort_values("R_peak", kind="stable")
    return pd.to_numeric(glob["beat"], errors="coerce").tolist()


def _own_interval_ms(fid, lead, beat, a, b, fs) -> float:
    r = fid[(fid["lead"] == lead) & (fid["beat"] == beat)]
    if len(r) != 1:
        return np.nan
    return float(r.iloc[0][b] - r.iloc[0][a]) * 1000.0 / fs


def check_sentence(feature: str, value: float, sentence: str, row: pd.Series, fid: pd.DataFrame,
                   fs: float, recorded: set[str]) -> list[str]:
    """The kinds of untrue claim in one sentence (empty list: every claim checked is true)."""
    bad = []
    own_lead = feature_spec(feature).lead
    beats = _consensus_beats(fid)
    base = feature.removesuffix("_ms")
    prov_feature = feature if feature in TRACED else ("QT_interval_ms" if feature.startswith("QTc_") else
                                                      "QRS_duration_ms" if feature == "Cornell_product_mVms" else None)
    # --- lead claims
    for lead in re.findall(r"(?:measured )?in lead (\w+)", sentence):
        if feature in TRACED:
            beat = row.get(f"{base}_beat")
            a, b = TRACED[feature]
            own = _own_interval_ms(fid, lead, beat, a, b, fs)
            if not (np.isfinite(own) and abs(own - value) < 1.0):
                bad.append("lead")
        elif feature.startswith("ST60_max"):
            if abs(float(row.get(f"ST60_amp_mV_{lead}", np.nan)) - value) > 1e-6:
                bad.append("lead")
        elif prov_feature is not None or feature == "JT_interval_ms":
            bad.append("lead")  # a consensus-derived value said to be measured in one lead
        elif lead != own_lead or lead not in recorded or not np.isfinite(value):
            bad.append("lead")
    # --- unmeasured values get no location
    if not np.isfinite(value) and re.search(r"in lead |median beat of|sample|\d\.\d{3} s", sentence):
        bad.append("unmeasured")
    # --- positions
    old = re.search(r"between samples (\d+) and (\d+)", sentence)
    if old and prov_feature is not None:
        s0, s1 = row.get(f"{prov_feature.removesuffix('_ms')}_start_sample"), row.get(f"{prov_feature.removesuffix('_ms')}_end_sample")
        if not (float(old.group(1)) == s0 and float(old.group(2)) == s1):
            bad.append("position")
    for m in re.finditer(r"(\d+) ms from the ([^()]*?) at (\d+\.\d{3}) s to the ([^()]*?) at (\d+\.\d{3}) s", sentence):
        dur, t0, t1 = int(m.group(1)), float(m.group(3)), float(m.group(5))
        if dur != int(round((t1 - t0) * 1000)):
            bad.append("position")
        # the positions are the consensus boundaries of the stated beat
        k = re.search(r"beat (\d+) of (\d+)", sentence)
        if k:
            beat = beats[int(k.group(1)) - 1] if int(k.group(1)) - 1 < len(beats) else None
            g = fid[(fid["lead"] == "global") & (fid["beat"] == beat)]
            for name, t in ((m.group(2), t0), (m.group(4), t1)):
                col = next((c for w, c in BOUNDS.items() if name.endswith(w) or name.startswith(w)), None)
                if "median beat" in name:
                    continue  # a P onset carried over from the median beat is not a fiducial of the beat
                if col is None or len(g) != 1 or round(float(g.iloc[0][col]) * 1000 / fs) != round(t * 1000):
                    bad.append("position")
    # --- beat numbering
    old_beat = re.search(r"\(beat (\d+)\)|of beat (\d+)\b", sentence)
    if old_beat and prov_feature is not None:
        k = int(old_beat.group(1) or old_beat.group(2))
        beat = row.get(f"{prov_feature.removesuffix('_ms')}_beat")
        if k != beats.index(beat) + 1:
            bad.append("beat")
    for k, n in re.findall(r"beat (\d+) of (\d+)", sentence):
        beat = row.get(f"{(prov_feature or 'QT_interval_ms').removesuffix('_ms')}_beat")
        if feature == "JT_interval_ms" and "shown on" not in sentence:
            beat = row.get("QRS_duration_beat")
        if int(n) != len(beats) or beat not in beats or int(k) != beats.index(beat) + 1:
            bad.append("beat")
    # --- counts
    if re.search(r"\b1 (beats|dominant beats|notches|leads|PVCs)\b|\d count\b", sentence):
        bad.append("count")
    return sorted(set(bad))


def audit(ds, ids, leads_subset=None):
    counts, n_sentences, n_bad, examples = Counter(), 0, 0, []
    for rid in ids:
        rec = ds.load(rid)
        if leads_subset:
            idx = [rec.leads.index(ld) for ld in leads_subset]
            rec = io.Record(rec.id, rec.signal[idx], rec.fs, list(leads_subset))
        row = features.extract_record(rec)
        fid = features.measured_fiducials(rec)
        names = [c for c in row.index if not SKIP.match(c) and c not in ("patient_id", "age", "sex")
                 and isinstance(row[c], (int, float, np.integer, np.floating))]
        data = np.array([[float(row[c]) for c in names]])
        ex = shap.Explanation(values=np.full((1, len(names)), 0.01), data=data, feature_names=names,
                              base_values=np.array([0.5]))
        ge = explain_row(ex, 0, feature_row=row, top=len(names), fiducials=fid)
        for att in ge.attributions:
            n_sentences += 1
            bad = check_sentence(att.feature, att.value, att.sentence, row, fid, rec.fs, set(rec.leads))
            if bad:
                n_bad += 1
                counts.update(bad)
                if len(examples) < 6:
                    examples.append(f"{rid} {att.feature} {bad}: {att.sentence}")
    return n_sentences, n_bad, counts, examples


#: quality column -> a word a sentence must carry to name why its lead was set aside
#: (independent of the package's own list, so that the code before can be audited too)
SET_ASIDE_WORDS = {"quality_flat_leads": "flat", "quality_clipped_leads": "clipped", "quality_noisy_leads": "noisy",
                   "quality_invalid_leads": "invalid", "quality_scale_leads": "scale",
                   "quality_limb_identity_leads": "limb-lead identities"}


def _nan_stretch(v: np.ndarray, fs: float) -> np.ndarray:
    out = v.copy()
    out[int(2 * fs): int(3.2 * fs)] = np.nan
    return out


#: how each record is spoilt: name -> (lead, change)
SPOIL = {"as recorded": (None, None), "V5 x10": ("V5", lambda v, fs: v * 10.0),
         "V2 1.2 s NaN": ("V2", _nan_stretch), "III x2": ("III", lambda v, fs: v * 2.0)}


def _set_aside(row: pd.Series) -> dict[str, str]:
    """Lead -> column, from the row's quality columns (a limb-identity column naming one lead only)."""
    out = {}
    for col in SET_ASIDE_WORDS:
        leads = [t for t in str(row.get(col, "") or "").split(",") if t]
        if col == "quality_limb_identity_leads" and len(leads) != 1:
            continue
        for lead in leads:
            out.setdefault(lead, col)
    return out


def audit_set_aside(ds, ids) -> tuple[pd.DataFrame, Counter]:
    """Every sentence of every record and spoilt copy, and the counts of untrue ones."""
    rows, counts = [], Counter()
    for rid in ids:
        rec = ds.load(rid)
        for variant, (lead, change) in SPOIL.items():
            sig = np.array(rec.signal, dtype=float)
            if lead is not None:
                sig[rec.leads.index(lead)] = change(sig[rec.leads.index(lead)], rec.fs)
            r = io.Record(rec.id, sig, rec.fs, list(rec.leads))
            row = features.extract_record(r)
            fid = features.measured_fiducials(r) if bool(row.get("quality_ok", False)) else None
            names = [c for c in row.index if not SKIP.match(c) and c not in ("patient_id", "age", "sex")
                     and isinstance(row[c], (int, float, np.integer, np.floating))]
            data = np.array([[float(row[c]) for c in names]])
            ex = shap.Explanation(values=np.full((1, len(names)), 0.01), data=data, feature_names=names,
                                  base_values=np.array([0.5]))
            ge = explain_row(ex, 0, feature_row=row, top=len(names), fiducials=fid)
            aside = _set_aside(row)
            counts[f"{variant}: records"] += 1
            counts[f"{variant}: leads set aside"] += len(aside)
            for att in ge.attributions:
                own = feature_spec(att.feature).lead
                if own in aside:
                    counts[f"{variant}: sentences of a set-aside lead"] += 1
                    if "not measured" not in att.sentence and "not cited" not in att.sentence:
                        counts[f"{variant}: cites"] += 1
                    if SET_ASIDE_WORDS[aside[own]] not in att.sentence:
                        counts[f"{variant}: no reason"] += 1
                rows.append({"record": rid, "variant": variant, "feature": att.feature, "sentence": att.sentence})
    return pd.DataFrame(rows), counts


def compare(old_path: str, new_path: str) -> None:
    """Sentences that changed between two dumps, by variant and by what the new one adds."""
    old, new = pd.read_csv(old_path), pd.read_csv(new_path)
    key = ["record", "variant", "feature"]
    m = old.merge(new, on=key, how="outer", suffixes=("_old", "_new"), indicator=True)
    print(f"sentences: before {len(old)}, after {len(new)}, in both {int((m['_merge'] == 'both').sum())}")
    both = m[m["_merge"] == "both"]
    changed = both[both["sentence_old"] != both["sentence_new"]]

    def why(r) -> str:
        a, b = str(r["sentence_old"]), str(r["sentence_new"])
        for phrase, label in (("not cited", "value of a set-aside lead no longer cited"),
                              ("identities (on a wrong scale", "limb lead that breaks the identities named with its reason"),
                              ("as out of scale", "lead out of scale named with its reason"),
                              ("invalid (NaN", "lead with invalid samples named with the new wording"),
                              ("may be on another scale", "limb leads in doubt said so"),
                              ("usable leads (", "consensus names the leads left out and why"),
                              ("median beats of", "composite names the leads left out and why")):
            if phrase in b and phrase not in a:
                return label
        return "other"

    def kind(r) -> str:
        lead = SPOIL[r["variant"]][0]
        own = feature_spec(r["feature"]).lead
        return ("a feature of the spoilt lead" if lead is not None and own == lead
                else "a record-level feature" if own == "global" else "a feature of another lead")

    print(f"changed: {len(changed)} of {len(both)} ({len(changed) / max(len(both), 1):.1%})")
    changed = changed.assign(why=changed.apply(why, axis=1), kind=changed.apply(kind, axis=1))
    for (variant, k, label), n in changed.groupby(["variant", "kind", "why"]).size().items():
        print(f"   {variant}, {k}: {label}: {n}")
    for _, r in changed.drop_duplicates(["variant", "kind"]).iterrows():
        print(f"   e.g. {r['record']} {r['variant']} {r['feature']}:\n      before: {r['sentence_old']}\n"
              f"      after:  {r['sentence_new']}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=40, help="first N PTB-XL records (100 Hz)")
    parser.add_argument("--set-aside", action="store_true", help="audit the sentences of leads set aside")
    parser.add_argument("--dump", help="with --set-aside: write every sentence to this CSV")
    parser.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"), help="compare two --dump files")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.compare:
        compare(*args.compare)
        return
    root = os.path.join(os.environ.get("INTERP_ECG_DATA", "/work/shared/data"), "ptbxl")
    ds = io.read_ptbxl(root, sampling_rate=100)
    ids = list(ds.meta.index[: args.records])
    if args.set_aside:
        frame, counts = audit_set_aside(ds, ids)
        for variant in SPOIL:
            n = counts[f"{variant}: sentences of a set-aside lead"]
            print(f"{variant}: {counts[f'{variant}: records']} records, {counts[f'{variant}: leads set aside']} "
                  f"leads set aside, {n} sentences of them; citing a value {counts[f'{variant}: cites']}, "
                  f"without the reason {counts[f'{variant}: no reason']}")
        if args.dump:
            frame.to_csv(args.dump, index=False)
        return
    for label, subset in (("12 leads", None), ("3 leads (I, II, V5)", ("I", "II", "V5"))):
        n, bad, counts, examples = audit(ds, ids, subset)
        print(f"{label}: {len(ids)} records, {n} sentences, untrue {bad} ({bad / max(n, 1):.1%}); "
              f"by kind: {dict(sorted(counts.items()))}")
        for e in examples:
            print("   e.g.", e)


if __name__ == "__main__":
    main()
