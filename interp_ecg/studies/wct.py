"""Wide QRS complex tachycardia (WCT): the CardioForest comparison, evaluated honestly.

WCT is defined as QRS duration >= 120 ms and heart rate >= 100 bpm. The study

1. measures (or reads) QRS duration and heart rate for every record of the chosen source
   (``synthetic``: a simulated cohort with ground-truth rhythms; ``ptbxl``: the package's
   own fiducial features on PTB-XL; ``mimic``: MIMIC-IV-ECG machine measurements, the
   CardioForest setting);
2. labels every record with the **rule** (the definition applied to the measurements) and
   compares the tuned random forest (CardioForest preset), XGBoost, LightGBM, sklearn
   gradient boosting and a logistic regression on it: out-of-fold **scores** (``predict_proba``
   of models trained with class-balanced weights and not recalibrated, so not calibrated
   probabilities: :func:`output_note`) from
   patient-wise folds, ROC-AUC/PR-AUC from scores, patient-bootstrap 95% CIs, and the rule
   itself in every table (scored as a hard 0/1 score, so its ROC-AUC equals its balanced
   accuracy);
3. says plainly that this label is **circular** (computed from two of the model's inputs),
   and therefore also evaluates against labels from elsewhere: the synthetic cohort's
   ground-truth rhythm (VT, SVT with aberrancy, sinus tachycardia with bundle branch block),
   PTB-XL statements (tachycardia: STACH/SVTAC/PSVT; wide QRS: CLBBB/CRBBB/IVCD/WPW), or
   MIMIC's machine reports;
4. shows what a model adds over the rule: models trained on the external label with and
   without the defining features (QRS duration, heart rate, RR and their derivatives), and
   their accuracy on the records the rule gets wrong;
5. explains the forest with SHAP (global importance by feature and by wave) and gives grounded
   sentences for a few records chosen across the out-of-fold score, each explained by the model
   of its own fold and located in the signal by the feature table's provenance and the record's
   delineation (:func:`explained_records`).

Examples
--------
>>> from interp_ecg.studies.wct import wct_rule_label
>>> import pandas as pd
>>> wct_rule_label(pd.Series([150, 150, 90, None]), pd.Series([130, 80, 130, 130])).tolist()
[1.0, 0.0, 0.0, nan]
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from interp_ecg.errors import ConfigError, DataNotFoundError
from interp_ecg.io.ids import align_to_index
from interp_ecg.studies.config import StudyConfig, feature_cache, validate_config
from interp_ecg.studies.params import WctParams as Params
from interp_ecg.studies.runner import StudyResult, step
from interp_ecg.evaluate import patient_groups, tagged_metrics_table
from interp_ecg.features import model_columns

logger = logging.getLogger(__name__)

#: The WCT definition (CardioForest): QRS duration >= 120 ms and heart rate >= 100 bpm.
WCT_QRS_MS = 120.0
WCT_HR_BPM = 100.0

#: synthetic conditions that are wide-complex tachycardias by construction
SYNTHETIC_WCT_CONDITIONS = ("vt", "svt_aberrant", "stach_bbb")
PTBXL_TACHY = ("STACH", "SVTAC", "PSVT")
PTBXL_WIDE = ("CLBBB", "CRBBB", "IVCD", "WPW")
#: The defining features of the WCT label (regular expressions on column names): every column
#: the rule (QRS >= 120 ms and HR >= 100 bpm) is computed from, or that encodes one of its two
#: inputs trivially. Package features: QRS duration and heart rate; the RR intervals (heart
#: rate = 60000 / RR mean; RR min and max bound it); JT (= QT - QRS, with QT an input); the
#: four QTc formulas (QT and RR); the Cornell product (Cornell voltage x QRS duration).
#: MIMIC-IV-ECG machine measurements: ``heart_rate_bpm`` and ``rr_interval``, and
#: ``qrs_duration_ms`` with the two boundaries it is computed from (``qrs_onset``,
#: ``qrs_end``). Not defining: QT, the axes (``QRS_axis_deg``, ``qrs_axis``) and the other
#: boundaries (``t_end``, ``p_onset``...), from which neither input can be recomputed once the
#: defining columns are gone. A model "without defining features" sees none of them; the demo
#: and the WCT study both use this list (:func:`defining_columns`).
DEFINING_PATTERNS = (
    r"^QRS_duration", r"^heart_rate", r"^RR_(mean|min|max)", r"^QTc_", r"^JT_interval", r"^Cornell_product",
    r"^rr_interval$", r"^qrs_(onset|end|duration)",
)
MIMIC_FEATURES = (
    "rr_interval", "p_onset", "p_end", "qrs_onset", "qrs_end", "t_end", "p_axis", "qrs_axis", "t_axis",
    "heart_rate_bpm", "pr_interval_ms", "p_duration_ms", "qrs_duration_ms", "qt_interval_ms",
)

#: The number of leads the WCT rule's QRS duration is defined on: the global QRS duration of a
#: standard 12-lead ECG, from the earliest onset to the latest offset over all leads (Kligfield P
#: et al., Circulation 2007;115:1306-1324, part I of the AHA/ACCF/HRS standardization; Surawicz B
#: et al., Circulation 2009;119:e235-e240, part III, where QRS >= 120 ms defines the complete
#: bundle-branch blocks and other wide complexes). A QRS measured from fewer leads can read
#: shorter (leads that miss the earliest or latest forces: PTB-XL wide-QRS records measured from
#: II and V5 alone read a median 17 ms shorter before the terminal-S rule of 2026-12-01, a CRBBB
#: 162 -> 77 ms) or longer (PTB-XL 34, atrial flutter: 86 ms from 12 leads, 164 ms from II + V5,
#: flutter waves merged into the complex) than the 12-lead global QRS.
WCT_QRS_LEADS = 12

#: Fewest usable leads from which a QRS under 120 ms is accepted as "not WCT": with one lead of
#: twelve set aside the global QRS moved by at most 8 ms (95th percentile 3.9 ms; 144
#: leave-one-out runs on 12 PTB-XL records, new-user re-trial of 2026-12-01), so eleven leads
#: measure the 12-lead QRS; fewer leads were not measured and are "not assessable".
WCT_QRS_MIN_LEADS = 11

#: :func:`wct_rule_outcome` values
RULE_WCT, RULE_NOT_WCT, RULE_NOT_ASSESSABLE, RULE_NOT_MEASURED = (
    "WCT", "not WCT", "not assessable", "not measured")


def wct_rule_outcome(qrs_ms: pd.Series, hr_bpm: pd.Series, qrs_leads: pd.Series | None = None, *,
                     min_leads: int = WCT_QRS_MIN_LEADS) -> pd.DataFrame:
    """The WCT rule per record, with a "not assessable" outcome for a narrow QRS from too few leads.

    The rule's QRS is the 12-lead global QRS (see :data:`WCT_QRS_LEADS`); a QRS measured from
    fewer leads can read shorter or longer. A heart rate under 100 bpm is not a tachycardia
    whatever the leads; a QRS under 120 ms at >= 100 bpm from fewer than ``min_leads`` leads
    (:data:`WCT_QRS_MIN_LEADS`) cannot say "not WCT" and is "not assessable"; a QRS >= 120 ms
    from fewer leads stays "WCT", with a reason saying how many leads it was measured from.

    Parameters
    ----------
    qrs_ms, hr_bpm : Series
        Global QRS duration (ms) and heart rate (bpm), NaN where not measured.
    qrs_leads : Series or None
        Number of leads the QRS was measured from (the feature table's
        ``quality_n_leads_usable``); ``None`` when every QRS comes from a full 12-lead
        measurement (e.g. a 12-lead machine's own report). NaN counts as unknown, hence fewer.
    min_leads : int
        Fewest usable leads from which a narrow QRS is accepted (11, :data:`WCT_QRS_MIN_LEADS`).

    Returns
    -------
    DataFrame
        On the index of ``qrs_ms``: ``wct_rule`` (1.0 / 0.0 / NaN), ``wct_rule_outcome``
        (``"WCT"``, ``"not WCT"``, ``"not assessable"``, ``"not measured"``), ``qrs_n_leads``
        and ``wct_rule_reason`` (empty for "not WCT" and for "WCT" from ``min_leads`` or more
        leads).

    Examples
    --------
    >>> from interp_ecg.studies.wct import wct_rule_outcome
    >>> import pandas as pd
    >>> o = wct_rule_outcome(pd.Series([77.0, 130.0, 90.0, 90.0]), pd.Series([110.0, 110.0, 80.0, 110.0]),
    ...                      pd.Series([2, 2, 2, 12]))
    >>> o["wct_rule_outcome"].tolist()
    ['not assessable', 'WCT', 'not WCT', 'not WCT']
    """
    qrs = pd.to_numeric(pd.Series(qrs_ms), errors="coerce").astype(float)
    hr = pd.to_numeric(pd.Series(hr_bpm), errors="coerce").astype(float).set_axis(qrs.index)
    if qrs_leads is None:
        n = pd.Series(float(min_leads), index=qrs.index)
    else:
        n = pd.to_numeric(pd.Series(qrs_leads), errors="coerce").astype(float).set_axis(qrs.index)
    measured = qrs.notna() & hr.notna()
    wide, fast = qrs >= WCT_QRS_MS, hr >= WCT_HR_BPM
    few = ~(n >= min_leads)
    outcome = pd.Series(RULE_NOT_WCT, index=qrs.index, dtype=object)
    outcome[wide & fast] = RULE_WCT
    outcome[fast & ~wide & few] = RULE_NOT_ASSESSABLE
    outcome[~measured] = RULE_NOT_MEASURED
    label = outcome.map({RULE_WCT: 1.0, RULE_NOT_WCT: 0.0}).astype(float)
    reason = pd.Series("", index=qrs.index, dtype=object)
    na = outcome == RULE_NOT_ASSESSABLE
    reason[na] = [f"QRS {q:.0f} ms measured from {'an unknown number of' if np.isnan(k) else int(k)} "
                  f"lead(s); the rule's QRS is the {WCT_QRS_LEADS}-lead global one, which fewer leads can "
                  f"read shorter or longer: cannot say the QRS is under {WCT_QRS_MS:.0f} ms"
                  for q, k in zip(qrs[na], n[na])]
    wide_few = (outcome == RULE_WCT) & few
    reason[wide_few] = [f"QRS {q:.0f} ms measured from {'an unknown number of' if np.isnan(k) else int(k)} "
                        f"lead(s), not the {WCT_QRS_LEADS}-lead global QRS the rule is defined on: fewer "
                        "leads can also over-read it (e.g. flutter waves merged into the complex)"
                        for q, k in zip(qrs[wide_few], n[wide_few])]
    reason[~measured] = "QRS duration or heart rate not measured"
    return pd.DataFrame({"wct_rule": label, "wct_rule_outcome": outcome, "qrs_n_leads": n,
                         "wct_rule_reason": reason}, index=qrs.index)


def wct_rule_label(qrs_ms: pd.Series, hr_bpm: pd.Series, qrs_leads: pd.Series | None = None, *,
                   min_leads: int = WCT_QRS_MIN_LEADS) -> pd.Series:
    """1.0 where QRS >= 120 ms and HR >= 100 bpm, 0.0 otherwise, NaN where either is missing.

    With ``qrs_leads`` (the number of leads each QRS was measured from), a QRS under 120 ms at
    >= 100 bpm from fewer than ``min_leads`` leads is NaN too: not assessable, because the rule's
    QRS is the 12-lead global one, which fewer leads can read shorter or longer
    (:func:`wct_rule_outcome`).
    """
    return wct_rule_outcome(qrs_ms, hr_bpm, qrs_leads, min_leads=min_leads)["wct_rule"].rename("wct_rule")


def settings(config: StudyConfig) -> dict[str, Any]:
    """The analysis settings of a validated WCT study config: what this module's source loaders,
    model factory, cross-validation and explanation helpers read.

    ``data.source`` picks the source; ``data.path``, ``data.n_records``, ``data.sampling_rate``,
    ``data.diagnoses``, ``data.features`` and ``data.cache_dir`` fill its section (PTB-XL
    features are cached in ``data.cache_dir`` when it is set and ``data.features`` is not: see
    :func:`~interp_ecg.studies.config.feature_cache`); ``seed`` and ``n_jobs`` become
    ``random_state`` and ``n_jobs``; the rest comes from ``params``
    (:class:`~interp_ecg.studies.params.WctParams`).
    """
    p, data = config.params, config.data
    return {
        "source": data.source, "random_state": config.seed, "n_jobs": config.n_jobs,
        "n_boot": p.n_boot, "cv_folds": p.cv_folds, "models": list(p.models), "member_params": p["member_params"],
        "tune": p["tune"], "min_positives": p.min_positives, "n_explain": p.n_explain,
        # data.features is the user's input table (read, never written); the cache is a separate path
        "features_input": data.features, "features_cache": feature_cache(config),
        "synthetic": {"n": data.n_records, "cohort_dir": data.path or data.cache_dir, "conditions": p["conditions"]},
        "ptbxl": {"root": data.path, "sampling_rate": data.sampling_rate, "max_records": p.max_records},
        "mimic": {"root": data.path, "hosp_dir": data.diagnoses},
    }


# ----------------------------------------------------------------------------- sources
def _n_patients(ids: pd.Series) -> int:
    """Distinct patient ids; a record without one counts as its own patient (as
    :func:`~interp_ecg.evaluate.patient_groups` makes it its own group)."""
    return int(ids.nunique() + ids.isna().sum())


class _Source:
    """What a source gives the study."""

    def __init__(self, X, qrs, hr, groups, external, table, name, notes=(), dataset=None, qrs_leads=None,
                 n_patients=None, rule_targets=None):
        self.X = X
        # the external labels the WCT rule claims to predict (a WCT definition: wide AND fast); the rule is
        # scored only against these (a wide-QRS label has no rate criterion: the rule's "misses" on it are
        # wide QRS under 100 bpm by definition). None: every label whose name says WCT.
        self.rule_targets = (set(rule_targets) if rule_targets is not None
                             else {c for c in external.columns if "wct" in str(c).lower()})
        # distinct patient ids; the groups may be fewer (patients sharing a recording are one group)
        self.n_patients = len(pd.unique(np.asarray(groups))) if n_patients is None else int(n_patients)
        self.qrs_leads = qrs_leads  # leads each QRS was measured from; None: a 12-lead machine's own value
        self.dataset = dataset  # the records' signals (to delineate the explained ones), if any
        self.qrs = qrs
        self.hr = hr
        self.groups = groups
        self.external = external
        self.table = table
        self.name = name
        self.notes = list(notes)


def _package_features(ds, cfg, cache: Path | None) -> pd.DataFrame:
    """The user's feature table (``data.features``: read, never written) or the features measured
    through the cache (``cache``, rewritten when stale)."""
    from interp_ecg.features.extract import extract_cached

    if cfg.get("features_input"):
        from interp_ecg.studies.pipeline import read_feature_input

        return read_feature_input(cfg["features_input"], ds, required=("quality_ok", "QRS_duration_ms",
                                                                        "heart_rate_bpm"))
    return extract_cached(ds, cache, n_jobs=cfg["n_jobs"])


def _from_features(feats: pd.DataFrame, meta: pd.DataFrame, external: pd.DataFrame, name: str, notes=(),
                   dataset=None, ptbxl_root=None, rule_targets=None):
    ok = feats["quality_ok"].astype(bool) if "quality_ok" in feats else pd.Series(True, index=feats.index)
    n_bad = int((~ok).sum())
    notes = list(notes)
    if n_bad:
        notes.append(f"{_count(n_bad, 'record')} could not be measured (quality_ok False) and "
                     f"{'was' if n_bad == 1 else 'were'} left out")
    feats = feats[ok.to_numpy()]
    X = feats[model_columns(feats)].astype(float)
    for extra in ("age", "female"):
        if extra in meta.columns:
            X[extra] = pd.to_numeric(meta[extra].reindex(X.index), errors="coerce").astype(float)
    if "female" not in X and "sex" in meta.columns:
        X["female"] = pd.to_numeric(meta["sex"].reindex(X.index), errors="coerce").astype(float)
    digests = None
    if dataset is not None:  # copies of one recording under two patient ids: one group in every fold
        from interp_ecg.studies.pipeline import duplicate_digests

        digests = duplicate_digests(dataset, notes, ptbxl_root=ptbxl_root).reindex(X.index)
    groups = patient_groups(meta["patient_id"].reindex(X.index), purpose="patient-wise folds",
                            digests=digests).to_numpy()
    qrs_leads = (pd.to_numeric(feats["quality_n_leads_usable"], errors="coerce").astype(float)
                 if "quality_n_leads_usable" in feats.columns else pd.Series(np.nan, index=X.index))
    return _Source(X, X["QRS_duration_ms"], X["heart_rate_bpm"], groups, external.reindex(X.index), feats,
                   name, notes, dataset, qrs_leads, n_patients=_n_patients(meta["patient_id"].reindex(X.index)),
                   rule_targets=rule_targets)


def _synthetic(cfg, out_dir: Path) -> _Source:
    from interp_ecg.io import read_ptbxl
    from interp_ecg.simulate import cohort

    sc = cfg["synthetic"]
    cohort_dir = Path(sc["cohort_dir"]) if sc.get("cohort_dir") else out_dir / "cohort"
    if not (cohort_dir / "ptbxl_database.csv").is_file():
        cohort(int(sc["n"]), cohort_dir, random_state=cfg["random_state"], conditions=sc.get("conditions"),
               n_jobs=cfg["n_jobs"], progress=False)
    ds = read_ptbxl(cohort_dir, sampling_rate=500)
    cache = Path(cfg["features_cache"]) if cfg.get("features_cache") else cohort_dir / "features.parquet"
    feats = _package_features(ds, cfg, cache)
    meta = ds.meta
    cond = meta["sim_condition"].astype(str)
    wct_true = cond.isin(SYNTHETIC_WCT_CONDITIONS).astype(float)
    external = pd.DataFrame({
        "true_wct_rhythm": wct_true,
        "vt_among_true_wct": (cond == "vt").astype(float).where(wct_true == 1),
    }, index=meta.index)
    if "sim_wct" in meta.columns:
        external["rule_on_true_intervals"] = meta["sim_wct"].astype(float)
    notes = ["external labels: simulator ground truth (true_wct_rhythm = VT, SVT with aberrancy or sinus "
             "tachycardia with BBB; vt_among_true_wct = VT versus the supraventricular WCTs; "
             "rule_on_true_intervals = the definition on the simulated, not measured, QRS and rate)"]
    return _from_features(feats, meta, external, "synthetic", notes, ds,
                          # VT among true WCTs: the rule is scored to show it calls both WCT (cannot tell them)
                          rule_targets={"true_wct_rhythm", "rule_on_true_intervals", "vt_among_true_wct"})


def statement_any(labels: pd.DataFrame, codes: Sequence[str]) -> np.ndarray:
    """Whether a record carries any of ``codes``: 1 where one is coded, 0 where all were assessed
    and none is, NaN where none is coded and one was not assessed (a NaN label).

    Parameters
    ----------
    labels : pandas.DataFrame
        ``(n_records, n_statements)`` 0/1, NaN where a statement was not assessed.
    codes : sequence of str
        Statement names; those absent from ``labels`` are ignored (none present: all 0).

    Returns
    -------
    numpy.ndarray
        ``(n_records,)`` float.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from interp_ecg.studies.wct import statement_any
    >>> L = pd.DataFrame({"STACH": [1, 0, np.nan, np.nan], "PSVT": [0, 0, np.nan, 1]})
    >>> statement_any(L, ["STACH", "PSVT"]).tolist()
    [1.0, 0.0, nan, 1.0]
    """
    have = [c for c in codes if c in labels.columns]
    if not have:
        return np.zeros(len(labels))
    v = labels[have].to_numpy(dtype=float)
    return np.where((v > 0).any(axis=1), 1.0, np.where(np.isnan(v).any(axis=1), np.nan, 0.0))


def _ptbxl(cfg, out_dir: Path) -> _Source:
    from interp_ecg.config import dataset_path
    from interp_ecg.io import read_ptbxl

    root = cfg["ptbxl"].get("root") or dataset_path("ptbxl")
    ds = read_ptbxl(root, sampling_rate=int(cfg["ptbxl"].get("sampling_rate", 500)))
    if cfg["ptbxl"].get("max_records"):
        ds = ds.subset(mask=np.arange(len(ds)) < int(cfg["ptbxl"]["max_records"]))
    cache = Path(cfg["features_cache"]) if cfg.get("features_cache") else None
    feats = _package_features(ds, cfg, cache)
    # NaN: a statement not assessed (read_ptbxl: the rhythm statements of a record without any)
    labels = ds.labels.reindex(ds.meta.index)

    tachy, wide = statement_any(labels, PTBXL_TACHY), statement_any(labels, PTBXL_WIDE)
    n_unknown = int(np.isnan(tachy).sum())
    external = pd.DataFrame({
        "statement_wct": np.where(wide == 0, 0.0, tachy * wide),  # a narrow QRS is no WCT whatever the rate
        "statement_wide_qrs": wide,
        "statement_tachycardia": tachy,
    }, index=ds.meta.index)
    notes = [f"external labels: PTB-XL statements (tachycardia = {'/'.join(PTBXL_TACHY)}; wide QRS = "
             f"{'/'.join(PTBXL_WIDE)}; statement_wct = both)"]
    if n_unknown:
        notes.append(f"{n_unknown} records carry no rhythm statement (not assessed for rhythm, PTB-XL): their "
                     "statement_tachycardia, and statement_wct where the QRS statement is wide, are unknown (NaN) "
                     "and left out of those labels' metrics")
    return _from_features(feats, ds.meta, external, "ptbxl", notes, ds, ptbxl_root=root,
                          rule_targets={"statement_wct"})


def _mimic(cfg, out_dir: Path) -> _Source:
    from interp_ecg.io.mimic import read_mimic_ecg

    mc = cfg["mimic"]
    if not mc.get("root"):
        raise ConfigError("source 'mimic' needs mimic.root (the MIMIC-IV-ECG folder with machine_measurements.csv)")
    ds = read_mimic_ecg(mc["root"], hosp_dir=mc.get("hosp_dir"))
    meta = ds.meta
    have = [c for c in MIMIC_FEATURES if c in meta.columns]
    if "qrs_duration_ms" not in have or "heart_rate_bpm" not in have:
        raise DataNotFoundError("machine measurements lack qrs_onset/qrs_end/rr_interval", source=mc["root"])
    X = meta[have].apply(pd.to_numeric, errors="coerce").astype(float)
    for extra in ("age", "female"):
        if extra in meta.columns and meta[extra].notna().any():
            X[extra] = pd.to_numeric(meta[extra], errors="coerce").astype(float)
    report = meta.get("report", pd.Series("", index=meta.index)).fillna("").astype(str).str.lower()
    tachy = report.str.contains(r"tachycardia", regex=True)
    wide = report.str.contains(r"bundle branch block|intraventricular conduction|wide qrs|wide complex", regex=True)
    vt = report.str.contains(r"ventricular tachycardia", regex=True) & ~report.str.contains("supraventricular tachycardia")
    external = pd.DataFrame({
        "report_wct": ((tachy & wide) | vt | report.str.contains("wide complex tachycardia")).astype(float),
        "report_wide_qrs": wide.astype(float),
        "report_tachycardia": tachy.astype(float),
    }, index=meta.index)
    notes = ["features: MIMIC-IV-ECG machine measurements (QRS = qrs_end - qrs_onset, HR = 60000 / rr_interval)",
             "external labels: the machine's report text (tachycardia; bundle branch block / IVCD; VT)",
             "duplicate recordings: not checked (the machine measurements are used; the signals are not read), so a "
             "recording filed under two subject ids would be two patients in the folds"]
    return _Source(X, X["qrs_duration_ms"], X["heart_rate_bpm"], meta["patient_id"].to_numpy(), external, meta,
                   "mimic", notes, rule_targets={"report_wct"})


def load_source(cfg: dict, out_dir: Path) -> _Source:
    """Features, QRS/HR, patient groups and external labels of the configured source."""
    return {"synthetic": _synthetic, "ptbxl": _ptbxl, "mimic": _mimic}[cfg["source"]](cfg, out_dir)


# ----------------------------------------------------------------------------- models
#: ``score_type`` of a model's out-of-fold output in the metric tables
SCORE_TYPE = "score (not calibrated)"
#: the patient page's label of the ensemble's output
ENSEMBLE_SCORE_LABEL = "WCT score (ensemble; class-balanced training, not a calibrated probability)"


def output_note(models: Mapping[str, Any]) -> str:
    """What the models' outputs are: calibrated probabilities or scores, read from the fitted settings.

    The study's models are :class:`~interp_ecg.models.EnsembleClassifier` instances whose
    default ``class_weight="balanced"`` weights each class to the same total (the CardioForest
    preset is class-balanced too) and whose ``calibrate`` is ``None``: their ``predict_proba``
    (the soft vote of the members' outputs) is then a score that over-states the rarer class,
    not a probability.

    Parameters
    ----------
    models : mapping
        Name -> unfitted model (``class_weight``, ``resample`` and ``calibrate`` are read when
        present).

    Returns
    -------
    str
        One sentence per kind of output, naming the models.

    Examples
    --------
    >>> from interp_ecg.studies.wct import output_note
    >>> from interp_ecg.models import EnsembleClassifier
    >>> output_note({"rf": EnsembleClassifier(("rf",))})  # doctest: +ELLIPSIS
    'Model outputs (rf): predict_proba of models trained with class-balanced weights, not recalibrated: scores that over-state the rarer class, not calibrated probabilities (a 0.7 is a high score, not a 70% chance)...'
    """
    kinds: dict[str, list[str]] = {}
    for name, m in models.items():
        cal = getattr(m, "calibrate", None)
        weight = getattr(m, "class_weight", None)
        resample = getattr(m, "resample", None)
        if isinstance(cal, str):
            how = (f"predict_proba calibrated inside each training fold ({cal}, "
                   f"{getattr(m, 'calibration_cv', '?')} internal folds)")
            if weight is not None and resample is None:
                how += (", fitted with the class-balanced sample weights, so it follows the weighted class "
                        "balance: scores, not calibrated probabilities")
        elif resample is not None:
            how = (f"predict_proba of models trained on {resample}-resampled records, not recalibrated: scores "
                   "that over-state the rarer class, not calibrated probabilities")
        elif weight is not None:
            how = ("predict_proba of models trained with class-balanced weights, not recalibrated: scores that "
                   "over-state the rarer class, not calibrated probabilities (a 0.7 is a high score, not a 70% "
                   "chance)")
        else:
            how = ("predict_proba of unweighted models, not recalibrated (a forest's or booster's output is not "
                   "a calibrated probability either)")
        kinds.setdefault(how, []).append(name)
    body = " ".join(f"Model outputs ({', '.join(names)}): {how}." for how, names in kinds.items())
    return (body + " ROC-AUC and PR-AUC use their ranking only; balanced accuracy and accuracy threshold them at "
            "0.5, and the Brier score measures them as they are.")


def _models(cfg) -> dict:
    from interp_ecg.models import EnsembleClassifier, cardioforest

    mp = cfg.get("member_params") or {}
    rs, nj = cfg["random_state"], cfg["n_jobs"]
    out = {}
    for name in cfg["models"]:
        if name == "cardioforest":
            params = mp.get("rf", {})
            out["cardioforest"] = cardioforest(random_state=rs, n_jobs=nj, **params)
        elif name == "soft":
            out["soft_ensemble"] = EnsembleClassifier(("rf", "xgb", "lgbm", "gb", "logreg"), member_params=mp,
                                                      random_state=rs, n_jobs=nj)
        else:
            out[name] = EnsembleClassifier((name,), member_params=mp, random_state=rs, n_jobs=nj)
    return out


def defining_columns(columns) -> list[str]:
    """The defining features of the WCT label among ``columns`` (see :data:`DEFINING_PATTERNS`).

    Parameters
    ----------
    columns : iterable of str
        Column names of a feature matrix.

    Returns
    -------
    list of str
        The columns, in their order, from which the rule (QRS >= 120 ms and HR >= 100 bpm)
        can be recomputed or trivially read off.

    Examples
    --------
    >>> from interp_ecg.studies.wct import defining_columns
    >>> defining_columns(["QRS_duration_ms", "RR_mean_ms", "QTc_Bazett_ms", "R_amp_mV_V5", "age"])
    ['QRS_duration_ms', 'RR_mean_ms', 'QTc_Bazett_ms']
    """
    return [c for c in columns if any(re.search(p, c) for p in DEFINING_PATTERNS)]


def out_of_fold_scores(model, X: pd.DataFrame, y, groups, *, cv_folds: int = 5, random_state: int | None = 0,
                       tune: dict | None = None) -> tuple[pd.Series, Any]:
    """Out-of-fold scores (``predict_proba``) from patient-wise folds (no patient in its own training fold).

    Parameters
    ----------
    model : scikit-learn classifier
        Cloned for every fold; never fitted in place.
    X : pandas.DataFrame ``(n, p)``
    y : array-like ``(n,)``
        0/1 label, NaN where unknown (those rows are neither trained on nor scored).
    groups : array-like ``(n,)``
        Patient ids.
    cv_folds : int
        Folds, reduced to the number of positives, negatives or patients when fewer.
    random_state : int, optional
        Seed of the fold assignment (and of the tuning).
    tune : dict, optional
        ``{"n_trials", "inner_cv", "method"}``: nested tuning (:func:`interp_ecg.models.tune`),
        the inner folds inside each outer training fold. ``None``: no tuning.

    Returns
    -------
    scores : pandas.Series
        Indexed like ``X``; NaN where ``y`` is unknown, and everywhere when fewer than two
        folds are possible.
    params : list of dict or None
        The tuned parameters of each outer fold (``None`` without tuning).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from interp_ecg.studies.wct import out_of_fold_scores
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=40)})
    >>> y = (X["x"] > 0).astype(float)
    >>> s, _ = out_of_fold_scores(LogisticRegression(), X, y, np.arange(40) // 2, cv_folds=4)
    >>> bool(s.notna().all())
    True
    """
    from interp_ecg.evaluate import PatientKFold, cross_val_predict_grouped

    if isinstance(y, pd.Series):
        # a Series is paired with X by record id, never shifted by position or silently reindexed
        y = align_to_index(y, X.index, "y", "X").astype(float)
    else:
        y = pd.Series(np.asarray(y, dtype=float), index=X.index)
    keep = y.notna().to_numpy()
    scores = pd.Series(np.nan, index=X.index)
    Xk, yk, gk = X[keep], y[keep].astype(int), np.asarray(groups)[keep]
    n_folds = _n_folds(yk, gk, cv_folds)
    if n_folds < 2:
        return scores, None
    if tune:
        from interp_ecg.models import tune as tune_model

        res = tune_model(model, Xk, yk, gk, n_trials=int(tune["n_trials"]), outer_cv=n_folds,
                         inner_cv=int(tune["inner_cv"]), method=tune.get("method", "optuna"),
                         random_state=random_state, refit=False)
        scores[keep] = res.oof_score
        return scores, res.outer_params
    cv = PatientKFold(n_folds, random_state=random_state)
    scores[keep] = cross_val_predict_grouped(model, Xk, yk, gk, cv=cv)
    return scores, None


def class_count_shortfall(y, min_per_class: int) -> str:
    """Why a label has too few records of a class to train on, or ``""`` when it has enough.

    Parameters
    ----------
    y : array-like
        0/1 label, NaN where unknown.
    min_per_class : int
        Fewest positives and fewest negatives (the study's ``min_positives``).

    Returns
    -------
    str
        E.g. ``"10 positives, 8 negatives; fewer than min_positives=10 negatives"``; empty when
        both classes reach ``min_per_class``.

    Examples
    --------
    >>> from interp_ecg.studies.wct import class_count_shortfall
    >>> class_count_shortfall([1] * 10 + [0] * 8, 10)
    '10 positives, 8 negatives; fewer than min_positives=10 negatives'
    >>> class_count_shortfall([1] * 10 + [0] * 12, 10)
    ''
    """
    y = np.asarray(y, dtype=float)
    n_pos = int(np.nansum(y == 1))
    n_neg = int(np.sum(y == 0))
    short = [name for name, count in (("positives", n_pos), ("negatives", n_neg)) if count < min_per_class]
    if not short:
        return ""
    return (f"{_count(n_pos, 'positive')}, {_count(n_neg, 'negative')}; fewer than min_positives={min_per_class} "
            f"{' and '.join(short)}")


def not_estimable(table: pd.DataFrame, reason: str) -> pd.DataFrame:
    """A metrics table whose estimates are withheld: estimate and interval NaN, the reason in ``not_estimable``.

    Below the study's ``min_positives`` a ROC-AUC is the rank of a handful of records, not an
    estimate of anything (with one positive it is that record's rank); the row keeps its counts
    (``n``, ``n_positive``) and says why it has no value.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows of :func:`~interp_ecg.evaluate.tagged_metrics_table`.
    reason : str
        E.g. ``"1 positive, 497 negatives; fewer than min_positives=10 positives"``.

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.evaluate import tagged_metrics_table
    >>> from interp_ecg.studies.wct import not_estimable
    >>> t = tagged_metrics_table(np.array([0, 0, 1, 0]), [0.1, 0.2, 0.9, 0.3], n_boot=0, metrics=("roc_auc",))
    >>> not_estimable(t, "1 positive; fewer than min_positives=10")[["estimate", "n_positive", "not_estimable"]].values.tolist()
    [[nan, 1, 'not estimable: 1 positive; fewer than min_positives=10']]
    """
    out = table.copy()
    if not len(out):
        return out
    out[["estimate", "ci_low", "ci_high"]] = np.nan
    out["not_estimable"] = f"not estimable: {reason}"
    return out


def _n_folds(y, groups, cv_folds: int) -> int:
    """Folds of :func:`out_of_fold_scores`: ``cv_folds``, fewer when positives, negatives or patients are fewer."""
    n_pos = int(np.sum(y))
    return min(int(cv_folds), n_pos, len(y) - n_pos, len(pd.unique(np.asarray(groups))))


def _oof(model, X, y, groups, cfg, tuned: bool = False):
    """:func:`out_of_fold_scores` with the study config's folds, seed and tuning."""
    tune = cfg["tune"] if tuned and cfg["tune"].get("enabled") else None
    return out_of_fold_scores(model, X, y, groups, cv_folds=cfg["cv_folds"], random_state=cfg["random_state"],
                              tune=tune)


def _metrics(y, score, groups, cfg, **tags) -> pd.DataFrame:
    """:func:`~interp_ecg.evaluate.tagged_metrics_table` with the study config's bootstrap."""
    return tagged_metrics_table(y, score, groups, n_boot=int(cfg["n_boot"]), random_state=cfg["random_state"],
                                **tags)


#: columns of :func:`rule_error_counts` rows (an empty table keeps them, so its CSV has a header)
RULE_ERROR_COLUMNS = ("external_label", "model", "n_evaluated", "n_rule_wrong", "n_rule_false_negative",
                      "n_rule_false_positive", "n_model_correct_where_rule_wrong", "n_model_wrong_where_rule_right")


def rule_error_counts(y_external, rule: pd.Series, score: pd.Series, model: str, label: str) -> dict:
    """How a model does on the records the rule gets wrong against an external label.

    Parameters
    ----------
    y_external : array-like ``(n,)``
        External 0/1 label (NaN where unknown).
    rule : pandas.Series ``(n,)``
        The rule label (:func:`wct_rule_label`), NaN where unmeasured.
    score : pandas.Series ``(n,)``
        The model's out-of-fold score (``predict_proba``), NaN where not scored; positive at >= 0.5.
    model, label : str
        Names written into the row.

    Returns
    -------
    dict
        ``external_label, model, n_evaluated`` (records with label, rule and score),
        ``n_rule_wrong``, ``n_rule_false_negative``, ``n_rule_false_positive``,
        ``n_model_correct_where_rule_wrong``, ``n_model_wrong_where_rule_right``.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.wct import rule_error_counts
    >>> y = pd.Series([1.0, 1.0, 0.0, 0.0])
    >>> r = rule_error_counts(y, pd.Series([0.0, 1.0, 1.0, 0.0]), pd.Series([0.9, 0.8, 0.7, 0.1]), "rf", "truth")
    >>> r["n_rule_wrong"], r["n_model_correct_where_rule_wrong"], r["n_model_wrong_where_rule_right"]
    (2, 1, 0)
    """
    y = pd.Series(y_external).astype(float)
    m = (y.notna() & rule.notna() & score.notna()).to_numpy()
    wrong = m & (rule.to_numpy() != y.to_numpy())
    n_wrong = int(wrong.sum())
    fixed = int(((score.to_numpy()[wrong] >= 0.5).astype(float) == y.to_numpy()[wrong]).sum()) if n_wrong else 0
    new_err = m & (rule.to_numpy() == y.to_numpy()) & ((score.to_numpy() >= 0.5).astype(float) != y.to_numpy())
    return {"external_label": label, "model": model, "n_evaluated": int(m.sum()), "n_rule_wrong": n_wrong,
            "n_rule_false_negative": int((wrong & (y.to_numpy() == 1)).sum()),
            "n_rule_false_positive": int((wrong & (y.to_numpy() == 0)).sum()),
            "n_model_correct_where_rule_wrong": fixed,
            "n_model_wrong_where_rule_right": int(new_err.sum())}


# ----------------------------------------------------------------------------- analyses (demo)
#: names of the demo's scores (columns of its predictions table, ``model`` of its metric tables)
ENSEMBLE = "ensemble"
RULE = "rule (QRS>=120 & HR>=100)"
WITHOUT_DEFINING = "ensemble without defining features"


def enriched_condition_mix(enrichment: float) -> dict[str, float] | None:
    """The simulator's default condition mix with the WCT conditions' weights multiplied.

    Parameters
    ----------
    enrichment : float
        Multiplier of the weights of :data:`SYNTHETIC_WCT_CONDITIONS` (VT, SVT with aberrant
        conduction, sinus tachycardia with bundle branch block); 1 keeps the default mix.

    Returns
    -------
    dict or None
        ``conditions=`` for :func:`interp_ecg.simulate.cohort`; ``None`` (the default mix)
        when ``enrichment`` is 1.

    Examples
    --------
    >>> from interp_ecg.studies.wct import enriched_condition_mix
    >>> from interp_ecg.simulate.conditions import DEFAULT_MIX
    >>> mix = enriched_condition_mix(3.0)
    >>> bool(mix["vt"] == 3 * DEFAULT_MIX["vt"]), enriched_condition_mix(1.0) is None
    (True, True)
    """
    if enrichment == 1.0:
        return None
    from interp_ecg.simulate.conditions import DEFAULT_MIX

    return {k: v * (enrichment if k in SYNTHETIC_WCT_CONDITIONS else 1.0) for k, v in DEFAULT_MIX.items()}


#: the simulator's WCT conditions in words
CONDITION_WORDS = {"vt": "ventricular tachycardia", "svt_aberrant": "SVT with aberrant conduction",
                   "stach_bbb": "sinus tachycardia with bundle branch block"}


def condition_in_words(condition: Any) -> str:
    """A simulator condition in words, for a report.

    Examples
    --------
    >>> from interp_ecg.studies.wct import condition_in_words
    >>> condition_in_words("vt")
    'ventricular tachycardia'
    >>> condition_in_words("afib+rbbb")
    'atrial fibrillation + complete right bundle branch block'
    """
    from interp_ecg.simulate.conditions import REPORT_TEXT

    text = str(condition or "")
    if text in CONDITION_WORDS:
        return CONDITION_WORDS[text]
    return " + ".join(CONDITION_WORDS.get(t, REPORT_TEXT.get(t, t)) for t in text.split("+") if t)


@dataclass
class HoldoutComparison:
    """Result of :func:`holdout_comparison` (every table on the held-out patients)."""

    #: ensemble, ensemble without defining features and rule against the external label
    metrics: pd.DataFrame
    #: an ensemble trained and tested on the rule label (circular, for contrast)
    metrics_circular: pd.DataFrame
    #: ``patient_id, y_truth, y_rule`` and one column per score, indexed by record
    predictions: pd.DataFrame
    #: the ensemble fitted on every feature of the training patients
    model: Any
    #: the defining features left out of :data:`WITHOUT_DEFINING`
    defining: list = field(default_factory=list)


def holdout_comparison(model, X: pd.DataFrame, y_truth: pd.Series, y_rule: pd.Series, groups: pd.Series,
                       test: np.ndarray, *, n_boot: int = 1000, random_state: int | None = 0,
                       truth_name: str = "external label") -> HoldoutComparison:
    """The rule against models on one patient-wise split: what a model adds to the WCT definition.

    Three copies of ``model`` are fitted on the training patients: on every feature and on
    every feature but the defining ones (:func:`defining_columns`), both on ``y_truth``; and on
    every feature on the rule label, the circular task. The first two and the rule (a hard 0/1
    score) are scored against ``y_truth`` on the held-out patients, the third against the rule.

    Parameters
    ----------
    model : scikit-learn classifier
        Template; cloned, never fitted in place.
    X : pandas.DataFrame ``(n, p)``
        Model inputs (with ``QRS_duration_ms`` and ``heart_rate_bpm``), no missing labels.
    y_truth, y_rule : pandas.Series ``(n,)``
        The external label (the simulator's ground truth, a statement) and the rule label, 0/1.
    groups : pandas.Series ``(n,)``
        Patient ids.
    test : ndarray of bool ``(n,)``
        Held-out records (a patient-wise split).
    n_boot, random_state
        Patient-bootstrap replicates of the CIs; seed.
    truth_name : str
        ``label`` column of :attr:`HoldoutComparison.metrics`.

    Returns
    -------
    HoldoutComparison
    """
    from sklearn.base import clone

    Xtr, Xte = X[~test], X[test]
    defining = defining_columns(X.columns)
    no_def = [c for c in X.columns if c not in defining]
    m_all = clone(model).fit(Xtr, y_truth[~test])
    m_nodef = clone(model).fit(Xtr[no_def], y_truth[~test])
    m_circ = clone(model).fit(Xtr, y_rule[~test])
    scores = {
        ENSEMBLE: m_all.predict_proba(Xte)[:, 1],
        WITHOUT_DEFINING: m_nodef.predict_proba(Xte[no_def])[:, 1],
        # NaN where QRS or HR is unmeasured: left out of the rule's row (n_unscored), not a rule negative
        RULE: wct_rule_label(Xte["QRS_duration_ms"], Xte["heart_rate_bpm"]).to_numpy(dtype=float),
    }
    g = groups[test]
    table = pd.concat([tagged_metrics_table(y_truth[test], s, g, n_boot=n_boot, random_state=random_state,
                                            model=name, label=truth_name) for name, s in scores.items()],
                      ignore_index=True)
    circular = tagged_metrics_table(y_rule[test], m_circ.predict_proba(Xte)[:, 1], g, n_boot=n_boot,
                                    random_state=random_state, model="ensemble trained on the rule label",
                                    label="rule label (circular)")
    preds = pd.DataFrame({"patient_id": g, "y_truth": y_truth[test], "y_rule": y_rule[test], **scores},
                         index=Xte.index)
    return HoldoutComparison(table, circular, preds, m_all, defining)


@dataclass
class VtSvtAnalysis:
    """Result of :func:`vt_versus_svt`."""

    #: rule, ensemble and ensemble without defining features, VT versus supraventricular WCT
    #: (empty when too few cases for two patient-wise folds)
    metrics: pd.DataFrame
    #: :func:`rule_error_counts` of the ensemble trained on the ground-truth WCT label
    rule_errors: pd.DataFrame
    #: mean |SHAP| per feature of the model without defining features refitted on every WCT
    #: (a description of the model, not an evaluation); None when it could not be computed
    drivers: pd.DataFrame | None
    defining: list
    n_wct: int
    n_vt: int
    n_patients: int
    n_rule_positive: int


def vt_versus_svt(model, X: pd.DataFrame, condition: pd.Series, groups, y_truth: pd.Series | None = None, *,
                  cv_folds: int = 5, n_boot: int = 1000, random_state: int | None = 0) -> VtSvtAnalysis:
    """What a model adds over the rule on a simulated cohort: VT versus supraventricular WCT.

    Among the ECGs whose simulated rhythm is a WCT (:data:`SYNTHETIC_WCT_CONDITIONS`), the rule
    is (nearly) constant, so it cannot tell ventricular tachycardia from SVT with aberrant
    conduction or sinus tachycardia with bundle branch block. Out-of-fold scores
    (:func:`out_of_fold_scores`) of ``model`` on every feature and without the defining
    features are scored against that question, beside the rule; then the ECGs the rule gets
    wrong against ``y_truth`` are counted (:func:`rule_error_counts`), and the model without
    defining features, refitted on every WCT, is described by its mean |SHAP|.

    Parameters
    ----------
    model : scikit-learn classifier
        Template; cloned, never fitted in place.
    X : pandas.DataFrame ``(n, p)``
        Model inputs with ``QRS_duration_ms`` and ``heart_rate_bpm``.
    condition : pandas.Series
        The simulator's condition per record (``sim_condition``), aligned to ``X`` by index.
    groups : array-like ``(n,)``
        Patient ids.
    y_truth : pandas.Series, optional
        Ground-truth WCT label (``sim_wct``: the definition on the true QRS and rate), aligned
        by index; default: the rhythm is a WCT condition.
    cv_folds, n_boot, random_state
        Patient-wise folds, bootstrap replicates, seed.

    Returns
    -------
    VtSvtAnalysis
    """
    from sklearn.base import clone

    from interp_ecg.explain import shap_explanation

    cond = condition.reindex(X.index).astype(str)
    true_wct = cond.isin(SYNTHETIC_WCT_CONDITIONS)
    vt = (cond == "vt").astype(float).where(true_wct)
    rule = wct_rule_label(X["QRS_duration_ms"], X["heart_rate_bpm"]).set_axis(X.index)
    defining = defining_columns(X.columns)
    g = np.asarray(groups)
    counts = dict(n_wct=int(true_wct.sum()), n_vt=int(np.nansum(vt)),
                  n_patients=int(pd.Series(g[true_wct.to_numpy()]).nunique()),
                  n_rule_positive=int(np.nansum(rule[true_wct])))
    cv = dict(cv_folds=cv_folds, random_state=random_state)
    s_all, _ = out_of_fold_scores(model, X, vt, g, **cv)
    s_nodef, _ = out_of_fold_scores(model, X.drop(columns=defining), vt, g, **cv)
    if s_all.isna().all():
        return VtSvtAnalysis(pd.DataFrame(), pd.DataFrame(), None, defining, **counts)
    rows = [tagged_metrics_table(vt, score, g, n_boot=n_boot, random_state=random_state, model=name, features=feat,
                                 score_type=kind)
            for name, score, feat, kind in (
                (RULE, rule, "QRS, HR", "hard 0/1"),
                ("ensemble, all features", s_all, "all", "out-of-fold score (not calibrated)"),
                (WITHOUT_DEFINING, s_nodef, f"all but {len(defining)} defining", "out-of-fold score (not calibrated)"))]
    table = pd.concat(rows, ignore_index=True)
    table.insert(0, "task", "VT vs supraventricular WCT")
    table["n"] = counts["n_wct"]
    table["positives"] = counts["n_vt"]
    y = y_truth.reindex(X.index).astype(float) if y_truth is not None else true_wct.astype(float)
    s_truth, _ = out_of_fold_scores(model, X, y, g, **cv)
    errors = []
    if not s_truth.isna().all():
        errors.append({**rule_error_counts(y, rule, s_truth, "ensemble, all features", "ground-truth WCT"),
                       "features": "all"})
    drivers = None
    try:
        Xw = X.loc[true_wct.to_numpy()].drop(columns=defining)
        fitted = clone(model).fit(Xw, vt[true_wct].astype(int))
        ex = shap_explanation(fitted, Xw, background=Xw, random_state=random_state)
        values = np.asarray(ex.values, dtype=float)
        values = values[..., -1] if values.ndim == 3 else values
        imp = pd.Series(np.abs(values).mean(0), index=list(ex.feature_names)).sort_values(ascending=False)
        drivers = imp.rename("mean_abs_shap").rename_axis("feature").reset_index()
    except Exception as err:  # noqa: BLE001 - the tables stand without it
        logger.warning("SHAP of the VT-vs-SVT model failed: %s", err)
    return VtSvtAnalysis(table, pd.DataFrame(errors, columns=[*RULE_ERROR_COLUMNS, "features"]), drivers, defining, **counts)


def example_records(predictions: pd.DataFrame, n: int, *, score: str = ENSEMBLE, rule: str = RULE,
                    truth: str = "y_truth") -> list:
    """Records worth a patient page: the clearest WCT, the model's worst miss, a rule error, a clear negative.

    In this order, without repeats: the true positive with the highest score; the record the
    model gets most wrong (threshold 0.5); a record the rule gets wrong (where a model could
    add something over the definition); the record with the lowest score.

    Parameters
    ----------
    predictions : pandas.DataFrame
        One row per held-out record (:attr:`HoldoutComparison.predictions`).
    n : int
        At most this many records.
    score, rule, truth : str
        Columns of the model's score, the rule's 0/1 score and the 0/1 truth.

    Returns
    -------
    list
        Record ids (index values of ``predictions``).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.wct import example_records
    >>> p = pd.DataFrame({"y_truth": [1, 1, 0, 0], "ensemble": [0.9, 0.2, 0.4, 0.1],
    ...                   "rule (QRS>=120 & HR>=100)": [1.0, 1.0, 1.0, 0.0]}, index=["a", "b", "c", "d"])
    >>> example_records(p, 4)
    ['a', 'b', 'c', 'd']
    """
    s = predictions[score]
    y = predictions[truth]
    picks: list = []
    tp = predictions[y == 1].index
    if len(tp):
        picks.append(s.loc[tp].idxmax())
    wrong = predictions[(s >= 0.5).astype(int) != y].index
    if len(wrong):
        picks.append((s.loc[wrong] - y.loc[wrong]).abs().idxmax())
    rule_wrong = predictions[(predictions[rule] >= 0.5).astype(int) != y].index.difference(picks)
    if len(rule_wrong):
        picks.append(rule_wrong[0])
    rest = predictions.index.difference(picks)
    if len(rest):
        picks.append(s.loc[rest].idxmin())
    return list(dict.fromkeys(picks))[:n]


# ----------------------------------------------------------------------------- study
TITLE = "Wide QRS complex tachycardia: CardioForest comparison"
_RULE = "rule (hard 0/1)"


def run(config: StudyConfig, run_dir: str | Path) -> StudyResult:
    """The WCT study (:class:`~interp_ecg.studies.runner.Study` protocol): tables, curves, SHAP, report.

    Parameters
    ----------
    config : StudyConfig
        A validated ``kind: wct`` config (``params``: :class:`~interp_ecg.studies.params.WctParams`).
    run_dir : path
        The run folder; a synthetic cohort without ``data.path``/``data.cache_dir`` goes to
        ``run_dir/cohort``.

    Returns
    -------
    StudyResult
        Tables ``cohort`` (counts), ``circular`` (models and rule vs the rule label),
        ``external`` (rule, rule-trained models, and models trained on each external label
        with and without the defining features, vs the external labels), ``rule_errors``
        (what the models do on the records the rule gets wrong), ``shap_importance``,
        ``shap_by_wave``, ``grounded`` (sentences), ``notes``; report blocks with ROC and
        precision-recall curves of the out-of-fold scores and the SHAP summary.
    """
    cfg = settings(config)
    out = Path(run_dir)
    out.mkdir(parents=True, exist_ok=True)
    with step(f"WCT data ({cfg['source']})"):
        src = load_source(cfg, out)
    X, groups = src.X, src.groups
    outcome = wct_rule_outcome(src.qrs, src.hr, src.qrs_leads).set_axis(X.index)
    rule = outcome["wct_rule"]
    n_not_assessable = int((outcome["wct_rule_outcome"] == RULE_NOT_ASSESSABLE).sum())
    models = _models(cfg)
    notes = list(src.notes) + [
        "CIRCULAR LABEL: the rule label is computed from QRS duration and heart rate, which are also model "
        "inputs; on it a model can at best reproduce the rule, so the 'circular' table measures "
        "reproduction, not diagnosis. See the 'external' table for labels from elsewhere.",
        "The rule is scored as a hard 0/1 score: its ROC-AUC equals its balanced accuracy.",
        "Model ROC-AUC and PR-AUC come from out-of-fold scores, patient-wise folds; 95% CIs by "
        "patient bootstrap.",
        output_note(models),
    ]
    if n_not_assessable:
        notes.append(
            f"{_count(n_not_assessable, 'record')} {'has' if n_not_assessable == 1 else 'have'} a QRS under "
            f"{WCT_QRS_MS:.0f} ms at >= {WCT_HR_BPM:.0f} bpm measured from "
            f"fewer than {WCT_QRS_MIN_LEADS} usable leads: the rule is 'not assessable' on "
            f"{'it' if n_not_assessable == 1 else 'them'} (NaN label, left out "
            f"of the rule-label training and metrics), because the rule's QRS is the {WCT_QRS_LEADS}-lead global QRS "
            "(Kligfield et al. 2007; Surawicz et al. 2009), which fewer leads can read shorter or longer; a QRS >= "
            f"{WCT_QRS_MS:.0f} ms from fewer leads stays WCT, with its lead count in the reason. Table 'rule_outcome' gives each record's outcome, "
            "lead count and reason.")
    n_rule = int(rule.notna().sum())
    cohort_tab = pd.DataFrame([
        {"item": "records", "value": len(X)},
        {"item": "patients", "value": src.n_patients},
        {"item": "patient groups (patients sharing a recording joined)", "value": len(pd.unique(groups))},
        {"item": "records with QRS and HR measured",
         "value": int(outcome["wct_rule_outcome"].ne(RULE_NOT_MEASURED).sum())},
        {"item": f"rule not assessable (QRS < {WCT_QRS_MS:.0f} ms at >= {WCT_HR_BPM:.0f} bpm from < "
                 f"{WCT_QRS_MIN_LEADS} leads)",
         "value": n_not_assessable},
        {"item": "records with a rule label", "value": n_rule},
        {"item": "rule-positive (WCT) records", "value": int(np.nansum(rule))},
    ] + [{"item": f"{c} positives", "value": int(np.nansum(src.external[c]))} for c in src.external.columns]
      + [{"item": f"{c} records with label", "value": int(src.external[c].notna().sum())} for c in src.external.columns])
    logger.info("WCT cohort: %d records, %d patients, %d rule-positive", len(X), src.n_patients,
                int(np.nansum(rule)))

    # 1) circular: trained and evaluated on the rule label; min_positives applies to it as to any label
    circular, oof_rule = [], {}
    rule_short = class_count_shortfall(rule.dropna(), int(cfg["min_positives"]))
    rule_row = _metrics(rule, rule, groups, cfg, label="wct_rule", model=_RULE, features="QRS, HR",
                        score_type="hard")
    circular.append(not_estimable(rule_row, rule_short) if rule_short else rule_row)
    if rule_short:
        notes.append(f"wct_rule: {rule_short}; models were not trained on it, so no model is "
                     "scored against it or against the external labels as 'trained on: wct_rule', and no SHAP "
                     "or grounded explanation is made from one")
        logger.info("WCT rule label: %s, too few to train on", rule_short)
    with step("models on the rule label (circular)"):
        for i, (name, model) in enumerate(models.items() if not rule_short else (), 1):
            logger.info("WCT rule label: model %d/%d %s (%d-fold patient-wise CV)", i, len(models), name,
                        cfg["cv_folds"])
            s, params = _oof(model, X, rule, groups, cfg, tuned=(name == "cardioforest"))
            if s.isna().all():
                notes.append(f"{name}: too few rule-positive or rule-negative records/patients for "
                             f"{cfg['cv_folds']}-fold patient-wise CV on the rule label; not trained on it")
                continue
            oof_rule[name] = s
            circular.append(_metrics(rule, s, groups, cfg, label="wct_rule", model=name, features="all",
                                     score_type=SCORE_TYPE))
    circular = pd.concat([t for t in circular if len(t)], ignore_index=True)

    # 2) external labels
    defining = defining_columns(X.columns)
    X_nodef = X.drop(columns=defining)
    external, errors, ext_scores = [], [], {}
    with step("models on the external labels"):
        for j, lab in enumerate(src.external.columns, 1):
            y = src.external[lab]
            too_few = class_count_shortfall(y, int(cfg["min_positives"]))
            # below min_positives no discrimination figure is an estimate: the rows keep their counts, NaN values
            withheld = (lambda t: not_estimable(t, too_few)) if too_few else (lambda t: t)
            if lab in src.rule_targets:  # the rule is scored only against a label it claims to predict
                external.append(withheld(_metrics(y, rule, groups, cfg, label=lab, model=_RULE, trained_on="-",
                                                  features="QRS, HR", score_type="hard")))
            for name, s in oof_rule.items():
                external.append(withheld(_metrics(y, s, groups, cfg, label=lab, model=name, trained_on="wct_rule",
                                                  features="all", score_type=SCORE_TYPE)))
            if too_few:
                notes.append(f"{lab}: {too_few}; models were not trained on it and no metric is "
                             "estimated on it (NaN, the reason in the row)")
                logger.info("WCT label %d/%d %s: %s, too few to train on", j, len(src.external.columns), lab,
                            too_few)
                continue
            for i, (name, model) in enumerate(models.items(), 1):
                for feat_name, XX in (("all", X), ("without defining", X_nodef)):
                    logger.info("WCT label %d/%d %s: model %d/%d %s, %s features", j, len(src.external.columns),
                                lab, i, len(models), name, feat_name)
                    s, _ = _oof(model, XX, y, groups, cfg)
                    ext_scores[(lab, name, feat_name)] = s
                    external.append(_metrics(y, s, groups, cfg, label=lab, model=name, trained_on=lab,
                                             features=feat_name, score_type=SCORE_TYPE))
                    if lab in src.rule_targets:  # "the rule's errors" only where it claims the label
                        errors.append({**rule_error_counts(y, rule, s, name, lab), "trained_on": lab,
                                       "features": feat_name})
    external = pd.concat([t for t in external if len(t)], ignore_index=True) if external else pd.DataFrame()
    rule_errors = pd.DataFrame(errors, columns=[*RULE_ERROR_COLUMNS, "trained_on", "features"])
    others = [c for c in src.external.columns if c not in src.rule_targets]
    if others:
        notes.append(
            f"The rule (QRS >= {WCT_QRS_MS:.0f} ms AND HR >= {WCT_HR_BPM:.0f} bpm) is scored only against "
            f"{', '.join(sorted(src.rule_targets & set(src.external.columns))) or 'no label'} (a WCT label); not "
            f"against {', '.join(others)}, which it does not claim to predict (a wide-QRS label has no rate "
            "criterion, a tachycardia label no QRS criterion: the rule's 'errors' against them are its definition).")
    notes.append(f"defining features removed in 'without defining': {', '.join(defining)}")

    # 3) SHAP of the forest trained on the rule label (all records)
    with step("SHAP and grounded sentences"):
        if rule_short:  # no model on the rule label: nothing to explain
            shap_imp = shap_wave = grounded = pd.DataFrame()
            explanation = None
        else:
            shap_imp, shap_wave, grounded, explanation = _explain(models, X, rule, src, cfg, oof_rule)
    if len(grounded):
        notes.append(
            f"grounded: {grounded['record'].nunique()} records chosen across the out-of-fold WCT score (the record "
            "nearest to each of evenly spaced targets), each explained by the model of its own patient-wise fold "
            "(its score is out-of-fold), with the feature table's provenance and the record's delineation")

    tables = {"cohort": cohort_tab, "circular": circular, "external": external, "rule_errors": rule_errors,
              "shap_importance": shap_imp, "shap_by_wave": shap_wave, "grounded": grounded,
              "rule_outcome": outcome.rename_axis("record").reset_index(),
              "notes": pd.DataFrame({"note": notes})}
    curves = [c for c in _curves(rule, oof_rule, src.external, ext_scores, list(models), src.rule_targets)
              if not class_count_shortfall(c[1].dropna(), int(cfg["min_positives"]))]  # no figure on too few
    return StudyResult(tables=tables, blocks=_report_blocks(tables, notes, curves, explanation), notes=notes,
                       title=TITLE)


def run_wct_study(config: StudyConfig | Mapping[str, Any], out_dir: str | Path) -> dict[str, pd.DataFrame]:
    """Run the WCT study without the runner (no run folder, no PDF) and return its tables.

    Parameters
    ----------
    config : StudyConfig or mapping
        A study config of kind ``wct`` (``kind`` and ``study`` may be left out of a mapping),
        e.g. ``{"data": {"source": "synthetic", "n_records": 200}, "params": {"n_boot": 200}}``.
    out_dir : path
        Folder for what the study builds on the way (a synthetic cohort).

    Returns
    -------
    dict of str to DataFrame
        The tables of :func:`run`.

    Raises
    ------
    ConfigError
        An invalid config.
    """
    if not isinstance(config, StudyConfig):
        config = validate_config({"study": "wct", "kind": "wct", **dict(config)})
    return run(config, out_dir).tables


def _curves(rule: pd.Series, oof_rule: dict, external: pd.DataFrame, ext_scores: dict,
            model_names: list[str], rule_targets=()) -> list[tuple[str, pd.Series, dict[str, pd.Series]]]:
    """(label, y, {curve name: out-of-fold score}) per label, for the ROC/PR figures."""
    out = []
    if oof_rule:
        out.append(("wct_rule", rule, dict(oof_rule)))
    for lab in external.columns:
        scores: dict[str, pd.Series] = {_RULE: rule} if lab in rule_targets else {}
        trained = {name: ext_scores[(lab, name, "all")] for name in model_names if (lab, name, "all") in ext_scores}
        # short legend names (three panels share the width); the caption says the training label
        if trained:
            scores.update(trained)
            first = next(iter(trained))
            scores[f"{first}, without defining"] = ext_scores[(lab, first, "without defining")]
        else:
            scores.update({f"{name} (trained on the rule)": s for name, s in oof_rule.items()})
        if scores:
            out.append((lab, external[lab], scores))
    return out


def curves_caption(label: str, y: pd.Series, scores: Mapping[str, pd.Series]) -> str:
    """The caption of a label's ROC/PR figure, with the records each curve is drawn on.

    The curves are drawn on the records the metric tables score (label known, score not NaN),
    so a legend's AUC is its table row's; a score with fewer records (the rule where it is 'not
    assessable') is named with its count. Empty when fewer than two classes are scored.

    Parameters
    ----------
    label : str
    y : pandas.Series
        0/1 label, NaN where unknown.
    scores : mapping of str to pandas.Series
        Out-of-fold scores by legend name, on ``y``'s index, NaN where not scored.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from interp_ecg.studies.wct import curves_caption
    >>> y = pd.Series([0.0, 1.0, 0.0, 1.0, np.nan])
    >>> curves_caption("truth", y, {"rf": pd.Series([0.1, 0.9, 0.2, 0.7, 0.5]),
    ...                             "rf, without defining": pd.Series([0.0, 1.0, np.nan, 1.0, 0.0])})
    "Out-of-fold scores (patient-wise folds) against the label truth; n = 4, 2 positives (the records the metric tables score); the models were trained on truth (rows '[trained on: truth]' of its table); rf, without defining on 3 of them (not scored on 1)."
    """
    frame = pd.concat(dict(scores), axis=1)
    ok = y.notna() & frame.notna().any(axis=1)
    yk = y[ok].astype(int)
    if ok.sum() < 2 or yk.nunique() < 2:
        return ""
    what = "rule label (circular)" if label == "wct_rule" else f"label {label}"
    fewer = [f"{name} on {int(frame.loc[ok, name].notna().sum())} of them (not scored on "
             f"{int(frame.loc[ok, name].isna().sum())})" for name in frame.columns if frame.loc[ok, name].isna().any()]
    models = [n for n in frame.columns if n != _RULE and "(trained on the rule)" not in n]
    trained = (f"; the models were trained on {label} (rows '[trained on: {label}]' of its table)"
               if label != "wct_rule" and models else "")
    return (f"Out-of-fold scores (patient-wise folds) against the {what}; n = {int(ok.sum())}, "
            f"{_count(int(yk.sum()), 'positive')} (the records the metric tables score){trained}"
            + (f"; {'; '.join(fewer)}." if fewer else ".")
            + (" The rule is a hard 0/1 score (one operating point)." if _RULE in scores else ""))


def _count(n: int, noun: str) -> str:
    """``"1 positive"``, ``"2 positives"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def shap_importance_text(importance: pd.DataFrame) -> pd.DataFrame:
    """The SHAP importance table as printed: mean |SHAP| to 2 significant digits, no ``shap_scale`` column.

    Fixed decimals printed six features as 0.001 above one at 0.00099: the ranking was unreadable.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.wct import shap_importance_text
    >>> t = pd.DataFrame({"model": "rf", "feature": ["a", "b", "c"], "mean_abs_shap": [0.0123, 0.00104, 0.00099],
    ...                   "shap_scale": "probability"})
    >>> shap_importance_text(t)["mean_abs_shap"].tolist()
    ['0.012', '0.0010', '0.00099']
    """
    out = importance.drop(columns=[c for c in ("shap_scale",) if c in importance.columns]).copy()
    from interp_ecg.report.blocks.base import significant_digits

    out["mean_abs_shap"] = [significant_digits(v, 2)
                            for v in pd.to_numeric(out["mean_abs_shap"], errors="coerce").astype(float)]
    return out


def _report_blocks(tables: dict[str, pd.DataFrame], notes: list[str], curves, explanation) -> list[Any]:
    from interp_ecg.report import CurvesBlock, MetricsBlock, RecordTextBlock, ShapSummaryBlock, TableBlock, TextBlock

    blocks: list[Any] = []
    circular_notes = [n for n in notes if "CIRCULAR" in n.upper()]
    circular_notes += [n for n in notes if n.startswith("Model outputs (")]  # what the scores are (user9 F11)
    blocks.append(TableBlock(tables["cohort"], heading="Cohort", caption="Records, patients and labels."))
    show = ["roc_auc", "pr_auc", "balanced_accuracy", "accuracy", "brier"]
    ext = tables["external"]
    if len(ext):
        ext = _model_rows(ext, ("model", "trained_on", "features"))
        first = ext["label"].iloc[0]
        for label, part in ext.groupby("label", sort=False):
            blocks.append(MetricsBlock(
                part[part["metric"].isin(show)], heading=f"Against an independent label: {label}",
                caption=f"Label {label} (not computed from the model's inputs); out-of-fold scores (not calibrated), "
                        "patient-wise folds; estimate (95% CI). "
                        + ("The rule is a hard 0/1 score." if part["model"].str.startswith(_RULE).any() else
                           "The rule is not scored: it does not claim to predict this label (see the notes)."),
                note="\n\n".join(circular_notes) if label == first else "", name=f"external_{label}",
                transpose=False))
    circ = tables["circular"]
    if len(circ):
        circ = _model_rows(circ, ("model", "features"))
        blocks.append(MetricsBlock(circ[circ["metric"].isin(show)], heading="Against the rule label (circular)",
                                   caption="The rule label is QRS >= 120 ms and HR >= 100 bpm computed from the "
                                           "model's own inputs: models can only reproduce it.",
                                   name="circular", transpose=False))
    for label, y, scores in curves:
        caption = curves_caption(label, y, scores)
        if not caption:
            continue
        # the records of the metric tables: each curve on the records its score has (a score is NaN
        # where not scored, e.g. the rule where 'not assessable'); the legend gives n when fewer
        ok = y.notna() & pd.concat(scores, axis=1).notna().any(axis=1)
        yk = y[ok].astype(int)
        what = "rule label (circular)" if label == "wct_rule" else f"label {label}"
        blocks.append(CurvesBlock(
            yk.to_numpy(), {name: s[ok].to_numpy(dtype=float) for name, s in scores.items()},
            heading=f"ROC and precision-recall curves: {what}", caption=caption))
    if len(tables["rule_errors"]):
        blocks.append(TableBlock(tables["rule_errors"], heading="What the models add over the rule",
                                 caption="Accuracy on the records the rule gets wrong against a WCT label "
                                         "(external_label, one the rule claims to predict); the models were trained "
                                         "on that label (trained_on), out-of-fold scores positive at >= 0.5."))
    if explanation is not None:
        on = tables["shap_importance"].attrs.get("explained_on", "explained on up to 300 records")
        blocks.append(ShapSummaryBlock(explanation, heading="SHAP attributions of the forest",
                                       text=f"The forest trained on the rule label: {on} (SHAP values of the WCT "
                                            "score, not a calibrated probability)."))
    if len(tables["shap_importance"]):
        blocks.append(TableBlock(shap_importance_text(tables["shap_importance"].head(15)), heading="SHAP importance",
                                 caption="Mean |SHAP| of the forest, top 15 features, to 2 significant digits, in "
                                         "units of its output (the forest's class share, which SHAP calls its "
                                         "probability scale): the WCT score, not a calibrated probability."))
    g = tables["grounded"]
    if len(g):
        n_rec = int(g["record"].nunique())
        blocks.append(RecordTextBlock(
            "Grounded explanations", g, head_col="explained", text_col="sentence",
            text=f"{n_rec} ECGs chosen across the out-of-fold WCT score, each explained by the model of its own "
                 "patient-wise fold. Each paragraph names the ECG (its number in this PDF; "
                 "tables/report_aliases.csv gives its pseudonym in tables/grounded.csv), its score and rule label, "
                 "and the baseline the contributions start from; the scores are not calibrated probabilities."))
    return blocks


def _model_rows(frame: pd.DataFrame, parts: tuple[str, ...]) -> pd.DataFrame:
    """Fold descriptive columns into one ``model`` name so each row of a metrics table is one model."""
    out = frame.copy()
    present = [c for c in parts if c in out.columns]
    if present:
        def name(r: pd.Series) -> str:
            extra = [f"{c.replace('_', ' ')}: {r[c]}" for c in present[1:] if str(r[c]) not in ("", "-", "nan")]
            return f"{r[present[0]]}" + (f" [{'; '.join(extra)}]" if extra else "")

        out["model"] = out.apply(name, axis=1)
    return out


def explained_records(scores: pd.Series, n: int) -> pd.DataFrame:
    """Records to explain: ``n`` out-of-fold scores spread across the score scale.

    Record ``k`` (``k = 0 .. n-1``) is the not-yet-chosen record whose score is nearest to
    ``(n - k - 0.5) / n`` - for three records 0.83, 0.5 and 0.17: a likely WCT, a borderline
    record and a likely non-WCT. An explanation of a record scored 1.0 by a model that was
    trained on it (the study's former choice: the first rule-positive records, explained by the
    forest fitted on all records) says only that the forest memorised it.

    Parameters
    ----------
    scores : pandas.Series
        Out-of-fold scores (NaN: not scored, never chosen).
    n : int

    Returns
    -------
    pandas.DataFrame
        Indexed by record, in the order chosen: ``target_score`` and ``score``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from interp_ecg.studies.wct import explained_records
    >>> s = pd.Series([1.0, 1.0, 0.97, 0.55, 0.3, 0.0, 0.0, np.nan], index=list("abcdefgh"))
    >>> explained_records(s, 3).round(2).to_dict("index")
    {'c': {'target_score': 0.83, 'score': 0.97}, 'd': {'target_score': 0.5, 'score': 0.55}, 'e': {'target_score': 0.17, 'score': 0.3}}
    """
    s = pd.to_numeric(scores, errors="coerce").dropna()
    rows = []
    for k in range(min(int(n), len(s))):
        target = (int(n) - k - 0.5) / int(n)
        rid = (s - target).abs().idxmin()
        rows.append({"record": rid, "target_score": target, "score": float(s.loc[rid])})
        s = s.drop(rid)
    return pd.DataFrame(rows, columns=["record", "target_score", "score"]).set_index("record")


def _explain(models, X, rule, src, cfg, oof_rule: Mapping[str, pd.Series] | None = None):
    """Global SHAP of the forest (fitted on all records) and grounded sentences for a few records.

    The sentences explain records chosen across the out-of-fold score (:func:`explained_records`),
    each with the model of its own cross-validation fold (the same patient-wise folds as the
    out-of-fold scores, so the record's patient was not trained on and the score in the
    sentence is its out-of-fold score), with the record's feature-table row (provenance
    columns) and its delineation (which locates a JT interval on the beat its QT was traced on),
    as the demo's patient pages do. Each row also gives where the rule's QRS duration was
    measured (``rule_QRS_*``), whether or not it is among the top attributions.
    """
    from sklearn.base import clone

    from interp_ecg.explain import group_explanation, shap_explanation

    name = "cardioforest" if "cardioforest" in models else next(iter(models))
    keep = rule.notna().to_numpy()
    y = rule[keep].astype(int)
    if y.nunique() < 2:
        empty = pd.DataFrame()
        return empty, empty, empty, None
    model = clone(models[name]).fit(X[keep], y)
    rng = np.random.default_rng(cfg["random_state"])
    idx = rng.choice(int(keep.sum()), min(300, int(keep.sum())), replace=False)
    Xs = X[keep].iloc[np.sort(idx)]
    ex = shap_explanation(model, Xs)
    ex.output_word = "score"  # class-weighted, not recalibrated: the figure axes say "score", not probability
    imp = pd.DataFrame({"feature": ex.feature_names, "mean_abs_shap": np.abs(ex.values).mean(0)})
    imp = imp.sort_values("mean_abs_shap", ascending=False, ignore_index=True)
    imp.insert(0, "model", name)
    # the units of the values (a forest's margin is its probability): what the table's numbers are in
    imp["shap_scale"] = getattr(ex, "scale", ex.output_space)
    # which records the summary explains (user18 W5): a random subset of the rule-labelled records
    n_pos = int(y.iloc[np.sort(idx)].sum())
    imp.attrs["explained_on"] = (
        f"the forest fitted on all {int(keep.sum())} records with a rule label, explained on "
        + (f"all of them ({_count(n_pos, 'rule positive')})" if len(idx) == int(keep.sum()) else
           f"{len(idx)} of them drawn at random (seed {cfg['random_state']}), holding {_count(n_pos, 'rule positive')}"))
    wave = group_explanation(ex, "wave")
    wave_tab = pd.DataFrame({"group": wave.feature_names, "mean_abs_shap": np.abs(wave.values).mean(0)})
    wave_tab = wave_tab.sort_values("mean_abs_shap", ascending=False, ignore_index=True)
    return imp, wave_tab, _grounded_rows(models[name], name, X[keep], y, np.asarray(src.groups)[keep],
                                         (oof_rule or {}).get(name), src, cfg), ex


#: columns of the ``grounded`` table
GROUNDED_COLUMNS = ("record", "selection", "fold", "rule_label", "rank", "score", "baseline", "explained",
                    "feature", "value", "unit",
                    "contribution", "lead", "start_sample", "end_sample", "sentence", "rule_QRS_duration_ms",
                    "rule_QRS_lead", "rule_QRS_start_sample", "rule_QRS_end_sample")


def _grounded_rows(model, name: str, Xk: pd.DataFrame, yk: pd.Series, gk: np.ndarray, oof: pd.Series | None,
                   src, cfg) -> pd.DataFrame:
    """Grounded sentences of :func:`explained_records`, each from its own fold's model."""
    from sklearn.base import clone

    from interp_ecg.evaluate import PatientKFold
    from interp_ecg.explain import explain_record

    n = int(cfg["n_explain"])
    n_folds = _n_folds(yk, gk, cfg["cv_folds"])
    if n == 0 or oof is None or n_folds < 2:
        return pd.DataFrame(columns=list(GROUNDED_COLUMNS))
    chosen = explained_records(oof.reindex(Xk.index), n)
    folds = np.full(len(Xk), -1)
    splits = list(PatientKFold(n_folds, random_state=cfg["random_state"]).split(Xk, yk, gk))
    for k, (_, te) in enumerate(splits):
        folds[te] = k
    fold_of = pd.Series(folds, index=Xk.index)
    fitted: dict[int, Any] = {}
    background: dict[int, pd.DataFrame] = {}
    table = src.table
    rows = []
    for rid, pick in chosen.iterrows():
        k = int(fold_of.loc[rid])
        if k not in fitted:
            tr = splits[k][0]
            fitted[k] = clone(model).fit(Xk.iloc[tr], yk.iloc[tr])
            # SHAP baseline: the fold model's mean output on (at most 100 of) its own training records
            bg = Xk.iloc[tr]
            background[k] = bg.sample(n=min(100, len(bg)), random_state=cfg["random_state"]).sort_index()
        frow = table.loc[rid] if rid in table.index else None
        fid = _delineation(src.dataset, rid)
        # the study's models are class-weighted and not recalibrated: their output is a score (output_note)
        ge = explain_record(fitted[k], Xk.loc[[rid]], feature_row=frow, background=background[k], top=3, target="WCT",
                            fiducials=fid, output_word="score")
        # where the rule's own input was measured (the QRS the label is computed from), attributed or not
        qrs = {"rule_QRS_duration_ms": _prov(frow, "QRS_duration_ms"), "rule_QRS_lead": _prov(frow, "QRS_duration_lead"),
               "rule_QRS_start_sample": _prov(frow, "QRS_duration_start_sample"),
               "rule_QRS_end_sample": _prov(frow, "QRS_duration_end_sample")}
        selection = (f"out-of-fold {name} score {pick['score']:.2f}, nearest to {pick['target_score']:.2f} "
                     f"(scores spread over {n} records)")
        rule_words = "WCT" if int(yk.loc[rid]) == 1 else "not WCT"
        # what the PDF heads the record's sentences with (after its alias E001 ...)
        explained = (f"out-of-fold {name} WCT score {ge.probability:.2f} (rule: {rule_words}); baseline "
                     f"{ge.base_probability:.2f} = {ge.base_description or 'the explanation base value'} "
                     f"(model of fold {k}, the table's fold column); its largest contributions:")
        for rank, att in enumerate(ge.attributions, 1):
            rows.append({"record": rid, "selection": selection, "fold": k, "rule_label": int(yk.loc[rid]),
                         "rank": rank, "score": ge.probability, "baseline": ge.base_probability,
                         "explained": explained, "feature": att.feature,
                         "value": att.value, "unit": att.unit, "contribution": att.contribution,
                         "lead": att.lead, "start_sample": att.start_sample, "end_sample": att.end_sample,
                         "sentence": att.sentence, **qrs})
    return pd.DataFrame(rows, columns=list(GROUNDED_COLUMNS))


def _prov(row: pd.Series | None, key: str) -> Any:
    """A feature-table cell, NaN (or "" for leads) when the table or the column lacks it."""
    if row is None or key not in row.index:
        return "" if key.endswith("_lead") else np.nan
    return row[key]


def _delineation(dataset, rid) -> pd.DataFrame | None:
    """The record's delineation table (as the feature table was measured), or None (logged) when unavailable."""
    if dataset is None:
        return None
    from interp_ecg.features import measured_fiducials

    try:
        return measured_fiducials(dataset.load(rid))
    except Exception as err:  # noqa: BLE001 - the sentence stands without it (JT then unlocated)
        logger.warning("delineation of record %s for its grounded explanation failed: %s", rid, err)
        return None


# ----------------------------------------------------------------------- demo inputs and pages
@dataclass
class HoldoutInputs:
    """Model inputs and labels of the ECGs a WCT hold-out comparison can score.

    Attributes
    ----------
    X : DataFrame
        Model columns (:func:`interp_ecg.features.model_columns`) of the usable ECGs: quality
        ``ok`` and both labels known.
    y_truth, y_rule : Series of int
        The label scored against (the simulator's ``sim_wct`` when the metadata has it, else
        the rule label) and the rule label (:func:`wct_rule_label`) on the same rows: the
        plain rule's own call when scored against ground truth, the lead-count-aware rule
        (a narrow QRS from too few leads left out) when it is the label.
    groups : Series
        Patient of each row.
    truth_name : str
        ``"ground-truth WCT"`` or ``"rule label"``: what ``y_truth`` is, in words.
    """

    X: pd.DataFrame
    y_truth: pd.Series
    y_rule: pd.Series
    groups: pd.Series
    truth_name: str


def holdout_inputs(features: pd.DataFrame, meta: pd.DataFrame) -> HoldoutInputs:
    """The ECGs, model inputs and labels of the demo's WCT hold-out comparison.

    Parameters
    ----------
    features : DataFrame
        One row per ECG (:func:`interp_ecg.features.extract`): ``QRS_duration_ms``,
        ``heart_rate_bpm`` and, when present, ``quality_ok``.
    meta : DataFrame
        The dataset's metadata on the same index: ``patient_id`` and, for a synthetic
        cohort, ``sim_wct`` (the WCT definition applied to the simulator's true QRS duration
        and rate).

    Returns
    -------
    HoldoutInputs
        Rows: ECGs whose quality is ok and whose labels are both known.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from interp_ecg.studies.wct import holdout_inputs
    >>> f = pd.DataFrame({"QRS_duration_ms": [150.0, 90.0, np.nan], "heart_rate_bpm": [140.0, 70.0, 80.0]})
    >>> m = pd.DataFrame({"patient_id": [1, 2, 3], "sim_wct": [True, False, False]})
    >>> h = holdout_inputs(f, m)
    >>> h.y_truth.tolist(), h.y_rule.tolist(), h.truth_name
    ([1, 0], [1, 0], 'ground-truth WCT')
    """
    X_all = features[model_columns(features)]
    ok = (features["quality_ok"].astype(bool) if "quality_ok" in features.columns
          else pd.Series(True, index=features.index))
    has_truth = "sim_wct" in meta.columns
    # Against the simulator's ground truth the rule is a competitor scored on its own call, so a
    # narrow QRS from fewer leads is its "not WCT" (its errors are counted against the truth);
    # where the rule IS the label, a narrow QRS from too few leads is not assessable (NaN, left
    # out): wct_rule_outcome.
    y_rule = wct_rule_label(features["QRS_duration_ms"], features["heart_rate_bpm"],
                            None if has_truth else features.get("quality_n_leads_usable"))
    y_truth = meta["sim_wct"].astype(int) if has_truth else y_rule
    usable = ok & y_truth.notna() & y_rule.notna()
    return HoldoutInputs(X_all[usable], y_truth[usable].astype(int), y_rule[usable].astype(int),
                         meta["patient_id"][usable], "ground-truth WCT" if has_truth else "rule label")


def n_misclassified(predictions: pd.DataFrame, score: str, truth: pd.Series | np.ndarray,
                    threshold: float = 0.5) -> int:
    """How many rows ``predictions[score] >= threshold`` calls wrongly against ``truth`` (0/1).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from interp_ecg.studies.wct import n_misclassified
    >>> n_misclassified(pd.DataFrame({"s": [0.9, 0.2, 0.6]}), "s", np.array([1, 0, 0]))
    1
    """
    called = (predictions[score].to_numpy() >= threshold).astype(int)
    return int((called != np.asarray(truth)).sum())


def truth_groups(meta: pd.DataFrame) -> pd.Series | None:
    """``"WCT (ground truth)"`` / ``"no WCT"`` per ECG of a synthetic cohort (Table 1 columns).

    ``None`` when the metadata has no simulator ground truth (``sim_condition``, ``sim_wct``).

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.studies.wct import truth_groups
    >>> truth_groups(pd.DataFrame({"sim_condition": ["vt", "normal"], "sim_wct": [True, False]})).tolist()
    ['WCT (ground truth)', 'no WCT']
    """
    if "sim_condition" in meta.columns and meta.get("sim_wct") is not None:
        return pd.Series(np.where(meta["sim_wct"].astype(bool), "WCT (ground truth)", "no WCT"), index=meta.index)
    return None


def patient_summary(prediction: pd.Series, features: pd.Series, meta: pd.Series) -> dict[str, Any]:
    """The key figures of one ECG's patient page: WCT score, rule call, QRS, rate, truth, quality.

    Parameters
    ----------
    prediction : Series
        The ECG's row of the demo's predictions table (:func:`holdout_comparison`):
        :data:`ENSEMBLE`, :data:`RULE` and ``y_truth``.
    features : Series
        Its feature row: ``QRS_duration_ms``, ``QRS_duration_lead``, ``heart_rate_bpm`` and
        the quality columns (:func:`interp_ecg.features.quality_status`).
    meta : Series
        Its metadata row: ``age``, ``sex`` (1/F/female: female) and ``sim_condition``.

    Returns
    -------
    dict
        Label -> value, in the order shown; a QRS whose lead and samples are not recorded
        (so it cannot be marked on the trace) or a rate that is not in the data reads
        ``"not measured"``.
    """
    from interp_ecg.explain import interval_mark
    from interp_ecg.features import quality_status

    qrs = "not measured"
    if interval_mark(features, "QRS_duration_ms") is not None:  # the QRS the page marks on the trace
        # a multi-lead consensus: QRS_duration_lead is only the lead whose own marks lie closest
        qrs = f"{features['QRS_duration_ms']:.0f} ms (multi-lead consensus, marked on the lead II rhythm strip)"
    hr = features.get("heart_rate_bpm")
    return {ENSEMBLE_SCORE_LABEL: float(prediction[ENSEMBLE]),
            "Rule (QRS>=120 & HR>=100)": "positive" if prediction[RULE] >= 0.5 else "negative",
            "QRS": qrs,
            "HR": f"{hr:.0f} bpm" if pd.notna(hr) else "not measured",
            "Ground truth": f"{'WCT' if prediction['y_truth'] else 'no WCT'} "
                            f"({condition_in_words(meta.get('sim_condition', ''))})",
            "Age/sex": f"{meta['age']:.0f} / {'F' if meta['sex'] in (1, 'F', 'female') else 'M'}",
            "Signal quality": quality_status(features)}


def rule_errors_in_words(errors: pd.DataFrame) -> pd.DataFrame:
    """The first row of a rule-error table (:func:`rule_error_counts` rows) with readable headers.

    Parameters
    ----------
    errors : DataFrame
        ``external_label``, ``n_evaluated``, ``n_rule_wrong``, ``n_rule_false_negative``,
        ``n_rule_false_positive``, ``n_model_correct_where_rule_wrong``,
        ``n_model_wrong_where_rule_right`` (e.g. :attr:`VtSvtAnalysis.rule_errors`).

    Returns
    -------
    DataFrame
        One row: ``label``, ``n ECGs``, ``rule wrong``, ``rule false neg. / false pos.``,
        ``ensemble right where rule wrong``, ``ensemble wrong where rule right``.
    """
    e = errors.iloc[0]
    return pd.DataFrame({
        "label": [e["external_label"]], "n ECGs": [e["n_evaluated"]], "rule wrong": [e["n_rule_wrong"]],
        "rule false neg. / false pos.": [f"{e['n_rule_false_negative']} / {e['n_rule_false_positive']}"],
        "ensemble right where rule wrong": [e["n_model_correct_where_rule_wrong"]],
        "ensemble wrong where rule right": [e["n_model_wrong_where_rule_right"]]})

__all__ = ["Params", "run", "run_wct_study", "settings", "wct_rule_label", "wct_rule_outcome", "WCT_QRS_LEADS",
           "WCT_QRS_MIN_LEADS", "statement_any",
           "RULE_WCT", "RULE_NOT_WCT", "RULE_NOT_ASSESSABLE", "RULE_NOT_MEASURED", "class_count_shortfall", "load_source",
           "SYNTHETIC_WCT_CONDITIONS", "PTBXL_TACHY", "PTBXL_WIDE", "WCT_QRS_MS", "WCT_HR_BPM",
           "DEFINING_PATTERNS", "defining_columns", "out_of_fold_scores", "rule_error_counts", "RULE_ERROR_COLUMNS",
           "enriched_condition_mix", "holdout_comparison", "HoldoutComparison", "vt_versus_svt",
           "VtSvtAnalysis", "example_records", "condition_in_words", "ENSEMBLE", "RULE", "WITHOUT_DEFINING",
           "HoldoutInputs", "holdout_inputs", "n_misclassified", "truth_groups", "patient_summary",
           "rule_errors_in_words", "output_note", "SCORE_TYPE", "ENSEMBLE_SCORE_LABEL"]
