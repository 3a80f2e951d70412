"""The ``params`` section of each study kind, as typed, frozen pydantic models.

One model per study ``kind`` (:data:`PARAMS`); :class:`~interp_ecg.studies.config.StudyConfig`
checks a study YAML's ``params:`` against the model of its ``kind``: unknown keys are refused
with a suggestion, values must have the field's type, and every field left out takes the
default below. ``interp-ecg study schema KIND`` prints the JSON Schema of a whole study YAML
with the kind's ``params`` (descriptions included), for editors that complete and check YAML.

The defaults are those the studies ran with before these models existed (the former
``DEFAULTS`` / ``DEFAULT_PARAMS`` dicts of each study module); each field's description says
where its value comes from when it is more than a study setting.

Examples
--------
>>> from interp_ecg.studies.params import WctParams
>>> p = WctParams(n_boot=200)
>>> p.n_boot, p.cv_folds, p.models[0]
(200, 5, 'cardioforest')
>>> p.to_dict()["tune"]["n_trials"]
10
"""

from __future__ import annotations

import copy
import difflib
import functools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError


class ConfigModel(BaseModel):
    """Base of every config model: frozen, strict types, unknown keys refused.

    Besides attribute access (``cfg.data.path``) a model reads as the plain dict it dumps to
    (``cfg["data"]["path"]``, ``cfg.get("description")``, ``dict(cfg)``), so code written
    against plain-dict configs keeps working; the values handed out are copies.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, validate_default=False)

    def to_dict(self) -> dict[str, Any]:
        """The model as plain data (nested dicts, lists, str, numbers), e.g. for YAML."""
        return self.model_dump(mode="python")

    def keys(self):
        return type(self).model_fields.keys()

    def __getitem__(self, key: str) -> Any:
        if key not in type(self).model_fields:
            raise KeyError(key)
        value = getattr(self, key)
        if isinstance(value, BaseModel):
            return value.model_dump(mode="python")
        return copy.deepcopy(value)

    def __contains__(self, key: object) -> bool:
        return key in type(self).model_fields

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default


def _path_check(kind: str):
    """A validator that resolves a path and checks that an input exists.

    Inputs (``dir``, ``file``, ``any``) are relative to ``base_dir`` of the validation
    context (the YAML file's folder), never to the current directory; outputs (``out``) are
    relative to the current directory. ``check_paths: False`` in the context skips the checks.
    """

    def check(value: str, info: ValidationInfo) -> str:
        ctx = info.context or {}
        p = Path(value).expanduser()
        base = ctx.get("base_dir")
        if kind != "out" and not p.is_absolute() and base is not None:
            p = Path(base) / p
        if ctx.get("check_paths", True) and kind != "out":
            if not p.exists():
                raise PydanticCustomError("path", "path does not exist: {path}", {"path": str(p)})
            if kind == "dir" and not p.is_dir():
                raise PydanticCustomError("path", "not a folder: {path}", {"path": str(p)})
            if kind == "file" and not p.is_file():
                raise PydanticCustomError("path", "not a file: {path}", {"path": str(p)})
        return str(p)

    return AfterValidator(check)


#: an existing folder (relative to the YAML file)
InputDir = Annotated[str, _path_check("dir")]
#: an existing file (relative to the YAML file)
InputFile = Annotated[str, _path_check("file")]
#: an existing file or folder (relative to the YAML file)
InputPath = Annotated[str, _path_check("any")]
#: a file or folder written by the run (relative to the current directory)
OutputPath = Annotated[str, _path_check("out")]


def covariate_problem(covariates: Sequence[str], available: Iterable[str]) -> str | None:
    """What is wrong with a list of adjustment covariates, or None when each names a column.

    The one check behind every PheWAS entry point (a study YAML's ``params.covariates``, and
    :func:`interp_ecg.studies.pipeline.run_phewas` / ``interp-ecg phewas --covariates``): a
    covariate that is not a column is an error, never silently left out of the adjustment (an
    unadjusted analysis is asked for with an empty list).

    Parameters
    ----------
    covariates : sequence of str
        The covariates asked for.
    available : iterable of str
        The columns of the table they are taken from.

    Returns
    -------
    str or None
        E.g. ``"'sexx' (item 1) is not a column (did you mean 'sex'?); available: age, sex"``
        (the first unknown name; items counted from 0); None when every name is a column.

    Examples
    --------
    >>> from interp_ecg.studies.params import covariate_problem
    >>> covariate_problem(["age", "sexx"], ["age", "sex"])
    "'sexx' (item 1) is not a column (did you mean 'sex'?); available: age, sex"
    >>> covariate_problem(["age"], ["age", "sex"]) is None
    True
    """
    cols = [str(c) for c in available]
    known = set(cols)
    absent = [(i, str(c)) for i, c in enumerate(covariates) if str(c) not in known]
    if not absent:
        return None
    i, name = absent[0]
    close = difflib.get_close_matches(name, cols, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    more = f" (nor {', '.join(repr(c) for _, c in absent[1:])})" if absent[1:] else ""
    shown = ", ".join(cols[:12]) + (f", ... ({len(cols)} columns)" if len(cols) > 12 else "")
    return f"{name!r} (item {i}) is not a column{hint}{more}; available: {shown}"


def _rule(message: str) -> PydanticCustomError:
    """An error across keys, its message kept as written (names the keys itself)."""
    return PydanticCustomError("config_rule", "{message}", {"message": message})


@functools.cache
def ptbxl_statement_codes() -> tuple[str, ...]:
    """The 71 PTB-XL SCP statement codes (from the ProtoECGNet label-group table shipped in the package).

    Examples
    --------
    >>> from interp_ecg.studies.params import ptbxl_statement_codes
    >>> codes = ptbxl_statement_codes()
    >>> len(codes), "AFIB" in codes, "AFIBB" in codes
    (71, True, False)
    """
    from importlib.resources import files

    text = (files("interp_ecg") / "data" / "protoecgnet_label_groups.csv").read_text(encoding="utf-8-sig")
    rows = [line.split(",")[0].strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return tuple(rows[1:])  # the first row is the header


def statement_problem(statements: list[str]) -> str:
    """Why ``statements`` are not all PTB-XL statements, with a "did you mean" (``""`` when they are).

    Examples
    --------
    >>> from interp_ecg.studies.params import statement_problem
    >>> statement_problem(["NORM", "AFIBB"])
    "'AFIBB' (item 1) is not a PTB-XL statement (did you mean 'AFIB'?); the 71 statements are in scp_statements.csv"
    >>> statement_problem(["NORM", "AFIB"])
    ''
    """
    codes = ptbxl_statement_codes()
    upper = {c.upper(): c for c in codes}
    for i, name in enumerate(statements):
        if name in codes:
            continue
        close = [upper[name.upper()]] if name.upper() in upper else difflib.get_close_matches(name, codes, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return (f"{name!r} (item {i}) is not a PTB-XL statement{hint}; the 71 statements are in "
                "scp_statements.csv")
    return ""


def _ptbxl_statements(value: list[str]) -> list[str]:
    problem = statement_problem(value)
    if problem:
        raise PydanticCustomError("named", "{problem}", {"problem": problem})
    return value


def _covariates_of(columns: tuple[str, ...]):
    """A validator: every covariate is one of ``columns`` (:func:`covariate_problem`)."""

    def check(value: list[str]) -> list[str]:
        problem = covariate_problem(value, columns)
        if problem:
            raise PydanticCustomError("named", "{problem}", {"problem": problem})
        return value

    return AfterValidator(check)


def _duration(text: str) -> Any:
    """``text`` read by :func:`pandas.to_timedelta`, or a PydanticCustomError saying why not."""
    import pandas as pd

    try:
        return pd.to_timedelta(text)
    except (TypeError, ValueError) as exc:
        raise PydanticCustomError(
            "named", "{value} is not a duration ({why}); write e.g. '24h', '30min', '-30D'",
            {"value": repr(text), "why": str(exc)}) from None


def _check_margin(value: str) -> str:
    if _duration(value) < _duration("0h"):
        raise PydanticCustomError("named", "{value} is negative: a margin widens each admission",
                                  {"value": repr(value)})
    return value


def _check_window(value: Any) -> Any:
    """``null``, ``admission`` or ``[start, end]`` durations with start <= end."""
    if value is None or value == "admission":
        return value
    if len(value) != 2:
        raise PydanticCustomError("named", "a time window is [start, end], got {n} values",
                                  {"n": len(value)})
    start, end = (_duration(v) for v in value)
    if start > end:
        raise PydanticCustomError("named", "start {start} lies after end {end}: the window links no "
                                  "diagnosis", {"start": repr(value[0]), "end": repr(value[1])})
    return value


class StudyParams(ConfigModel):
    """Base of the per-kind ``params`` models."""

    #: ``data.source`` values the study reads (checked by StudyConfig)
    sources: ClassVar[tuple[str, ...]] = ("synthetic", "ptbxl", "mimic", "features")
    #: ``data.source`` -> (the rate in Hz its ECGs are read at whatever ``data.sampling_rate``
    #: says, why) for the sources that do not read ``data.sampling_rate``; StudyConfig refuses a
    #: different ``data.sampling_rate`` and records this rate in the config it echoes
    fixed_sampling_rates: ClassVar[dict[str, tuple[int, str]]] = {
        "synthetic": (500, "the simulated cohort is read at 500 Hz"),
        "mimic": (500, "MIMIC-IV-ECG records are 500 Hz"),
    }
    #: ``data`` keys the study never reads: StudyConfig refuses a value for them
    unused_data_keys: ClassVar[tuple[str, ...]] = ()


class EmptyParams(StudyParams):
    """A study kind without parameters."""


#: list fields accept tuples too (Python callers); strict mode would refuse them
_LIST = {"strict": False}


# -- WCT ------------------------------------------------------------------------------------


class TuneParams(ConfigModel):
    """Nested hyper-parameter search of the CardioForest model (off by default)."""

    enabled: bool = Field(False, description="Tune the CardioForest forest in nested, patient-wise CV "
                                             "(off: the published CardioForest settings).")
    n_trials: int = Field(10, ge=1, description="Search trials per outer fold.")
    inner_cv: int = Field(3, ge=2, description="Inner patient-wise folds of the search.")
    method: Literal["optuna", "halving"] = Field("optuna", description="Search method of interp_ecg.models.tune.")


class WctParams(StudyParams):
    """Parameters of the WCT study (:mod:`interp_ecg.studies.wct`).

    Defaults are the study's own (the former ``wct.DEFAULTS``); ``cv_folds`` and the model list
    follow the CardioForest comparison (tuned random forest vs XGBoost, LightGBM, gradient
    boosting, plus a logistic regression as the transparent model).
    """

    sources: ClassVar[tuple[str, ...]] = ("synthetic", "ptbxl", "mimic")

    n_boot: int = Field(1000, ge=0, description="Patient-bootstrap replicates of every 95% CI "
                                                "(1000: the usual for percentile intervals).")
    cv_folds: int = Field(5, ge=2, description="Patient-wise cross-validation folds of the out-of-fold "
                                               "probabilities (5, as in the CardioForest comparison).")
    models: list[Literal["cardioforest", "rf", "xgb", "lgbm", "gb", "logreg", "et", "soft"]] = Field(
        ["cardioforest", "xgb", "lgbm", "gb", "logreg"], min_length=1, **_LIST,
        description="Models compared: cardioforest (the paper's tuned forest preset), rf, xgb, lgbm, gb, "
                    "logreg, et, soft (soft-voting ensemble of rf/xgb/lgbm/gb/logreg).")
    member_params: dict[str, dict[str, Any]] = Field(
        {}, description="Keyword arguments per member model, e.g. {rf: {n_estimators: 200}} "
                        "(empty: the package's defaults).")
    tune: TuneParams = Field(TuneParams(), description="Nested tuning of the CardioForest model.")
    min_positives: int = Field(10, ge=1, description="Models are trained on an external label only when it "
                                                     "has at least this many positives and negatives.")
    n_explain: int = Field(3, ge=0, description="Records given grounded SHAP sentences, chosen across the out-of-fold WCT score.")
    conditions: dict[str, float] | None = Field(
        None, description="Synthetic source: rhythm/condition mix of the simulated cohort "
                          "(null: the simulator's default mix).")
    max_records: int | None = Field(None, ge=1, description="PTB-XL source: use only the first N records "
                                                            "(null: all).")


# -- PTB-XL statements -------------------------------------------------------------------------


class PtbxlStatementsParams(StudyParams):
    """Parameters of the PTB-XL statements study (:mod:`interp_ecg.studies.ptbxl_statements`).

    Defaults are the study's own (the former ``ptbxl_statements.DEFAULTS``); the protocols are
    the PTB-XL benchmark's (Strodthoff et al. 2021: ``strat_fold`` 1-8 train, 9 validation,
    10 test) plus 10-fold cross-validation over ``strat_fold``.
    """

    sources: ClassVar[tuple[str, ...]] = ("ptbxl",)
    unused_data_keys: ClassVar[tuple[str, ...]] = ("diagnoses", "phecode_map")

    models: dict[str, list[Literal["rf", "xgb", "lgbm", "gb", "logreg", "et"]]] = Field(
        {"lgbm": ["lgbm"], "soft_ensemble": ["rf", "xgb", "lgbm", "logreg"]},
        description="Model name -> ensemble members (EnsembleClassifier).")
    member_params: dict[str, dict[str, Any]] = Field({}, description="Keyword arguments per member model.")
    min_positives: int = Field(20, ge=1, description="Statements with fewer positives are left out of the "
                                                     "statements task.")
    tasks: list[Literal["superclass", "statements"]] = Field(["superclass", "statements"], min_length=1,
                                                             **_LIST, description="Label sets modelled.")
    records_without_superclass: Literal["drop", "keep"] = Field(
        "drop", description="drop: the PTB-XL benchmark protocol; keep: as all-negative rows.")
    protocols: list[Literal["cv10", "test10", "cinc"]] = Field(
        ["cv10", "test10", "cinc"], min_length=1, **_LIST,
        description="cv10: 10-fold CV over strat_fold; test10: train 1-8, report 9 and 10; "
                    "cinc: external validation on CinC 2021.")
    n_boot: int = Field(1000, ge=0, description="Patient-bootstrap replicates of every 95% CI.")
    max_records: int | None = Field(None, ge=1, description="Use only the first N records (null: all).")
    cinc_root: InputDir | None = Field(None, description="CinC 2021 folder for the cinc protocol "
                                                    "(null: the configured dataset path, when present).")
    cinc_features_cache: OutputPath | None = Field(None, description="Feature cache (Parquet) of the CinC records.")


# -- prototype PheWAS ------------------------------------------------------------------------


class PrototypeNetParams(ConfigModel):
    """The prototype network trained for the PheWAS exposures (the CPU-sized variant)."""

    preset: Literal["small", "paper"] = Field("small", description="small: CPU-sized; paper: ProtoECGNet "
                                                                   "as published (GPU-sized).")
    prototypes_per_class: int = Field(3, ge=1, description="Prototypes per class.")
    width: int = Field(4, ge=1, description="Channels of the first convolution stage.")
    blocks: list[int] = Field([1, 1], min_length=1, **_LIST, description="Residual blocks per stage.")
    warmup_epochs: int = Field(2, ge=0, description="Warm-up epochs (backbone frozen).")
    joint_epochs: int = Field(2, ge=0, description="Joint training epochs.")
    last_layer_epochs: int = Field(2, ge=0, description="Last-layer epochs after the push.")
    fusion_epochs: int = Field(3, ge=0, description="Fusion-classifier epochs.")
    n_samples: int | None = Field(
        None, ge=50, description="Network input length in samples at 100 Hz (ProtoECGNet: 10 s = 1000). "
                                 "None: 1000, or the training records' length when they are shorter, so that "
                                 "every prototype can be pushed onto real samples.")


class PrototypePhewasParams(StudyParams):
    """Parameters of the prototype PheWAS study (:mod:`interp_ecg.studies.prototype_phewas`).

    Defaults are the study's own (the former ``prototype_phewas.DEFAULT_PARAMS``), after
    "Prototype Learning to Create Refined Interpretable Digital Phenotypes from ECGs" (2025):
    logistic regression adjusted for age and sex, one ECG per patient, Phecode X.
    """

    sources: ClassVar[tuple[str, ...]] = ("synthetic", "mimic")
    fixed_sampling_rates: ClassVar[dict[str, tuple[int, str]]] = {
        "synthetic": (100, "the cohort is written and read at 100 Hz, the prototype network's input"),
        "mimic": (500, "MIMIC-IV-ECG records are 500 Hz"),
    }
    unused_data_keys: ClassVar[tuple[str, ...]] = ("features", "cache_dir")

    exposure_source: Literal["auto", "prototypes", "features", "table"] = Field(
        "auto", description="auto: the exposure table when given, else prototypes (torch present), "
                            "else fiducial features.")
    exposure_table: InputFile | None = Field(None, description="CSV/Parquet of exposures, first column the ECG "
                                                         "id (ecg_id / study_id); identifier columns (*_id, "
                                                         "id) are not exposures.")
    exposure_columns: list[str] | None = Field(None, min_length=1, **_LIST,
                                               description="The exposures tested, by column name (null: every "
                                                           "column of the exposures, identifier columns left "
                                                           "out); a name that is not a column is an error.")
    #: columns of the study's ECG table (one row per ECG: from the dataset's metadata) that can
    #: be covariates; interp_ecg.studies.prototype_phewas builds that table with these names
    covariate_columns: ClassVar[tuple[str, ...]] = ("age", "sex")

    covariates: Annotated[list[str], _covariates_of(covariate_columns)] = Field(
        ["age", "sex"], **_LIST, description="Adjustment covariates, each one of: age, sex ([] for an "
                                             "unadjusted analysis; an unknown name is an error).")
    method: Literal["logit", "firth"] = Field("logit", description="Maximum-likelihood or Firth-penalised "
                                                                   "logistic regression.")
    firth_fallback: bool = Field(False, description="Refit non-converged maximum-likelihood pairs with Firth.")
    firth_test: Literal["lrt", "wald"] = Field("lrt", description="Firth p-values: penalised likelihood ratio "
                                                                  "(Heinze & Schemper 2002) or Wald.")
    test: Literal["wald", "score"] = Field("wald", description="wald: every pair fitted; score: score-test "
                                                               "screening, exact refits of what passes.")
    solver: Literal["batched", "statsmodels"] = Field("batched", description="Logistic regression solver.")
    backend: Literal["numpy", "torch"] = Field("numpy", description="Array backend of the batched solver "
                                                                    "(torch: GPU when present).")
    standardize: bool = Field(True, description="Odds ratios per SD of each exposure.")
    phecode_version: Literal["X", "1.2"] = Field("X", description="Phecode X (default) or 1.2.")
    min_code_count: int | None = Field(None, ge=1, description="Occurrences of a code for a case (null: 1 under "
                                                               "window admission - one ECG links one stay and an "
                                                               "occurrence is a distinct admission -, else 2, the "
                                                               "PheWAS convention: 2 distinct admissions on MIMIC-IV, "
                                                               "2 distinct dates on the synthetic cohort, whose table "
                                                               "has one row per dated occurrence; above 1 is refused "
                                                               "under window admission).")
    min_cases: int = Field(10, ge=1, description="Phecodes with fewer cases are not tested.")
    window: Annotated[Literal["admission"] | list[str] | None, AfterValidator(_check_window)] = Field(
        None, description="Diagnoses linked to an ECG: null (any time), admission, or [start, end] "
                          "offsets such as ['-30D', '365D']. MIMIC-IV diagnoses are discharge diagnoses timed "
                          "at admittime: a window ending at the ECG (e.g. ['-365D', '0D']) also links the "
                          "diagnoses of the stay in progress, coded at discharge, after the ECG.")
    admission_margin: Annotated[str, AfterValidator(_check_margin)] = Field(
        "24h", description="Margin around an admission (a duration pandas reads, e.g. 24h; not negative).")
    ecg_per_subject: Literal["first", "last", "all"] = Field(
        "first", description="ECGs kept per patient (all: several ECGs of one patient; standard errors are "
                             "then clustered by patient and the AUC bootstrap resamples patients; Firth "
                             "and score tests are refused with it).")
    n_boot: int = Field(200, ge=0, description="Bootstrap replicates of the AUC CIs.")
    auc_max_phecodes: int = Field(20, ge=1, description="AUC tables for the phecodes with the smallest p.")
    train_folds: list[Annotated[int, Field(ge=1, le=10)]] = Field([1, 2, 3, 4, 5], **_LIST, description="strat_fold of the prototype "
                                                                         "training patients; the rest enter the PheWAS.")
    prototype: PrototypeNetParams = Field(PrototypeNetParams(), description="The prototype network.")

    @model_validator(mode="after")
    def _consistent(self) -> PrototypePhewasParams:
        if self.window == "admission" and (self.min_code_count or 1) > 1:
            raise _rule(f"params.min_code_count: {self.min_code_count} with params.window: admission gives no case "
                        "- an ECG is linked to the one admission it lies in, and an occurrence is a distinct "
                        "admission; use 1 or null (null: 1 under window admission)")
        return self


# -- PTB-XL prototypes -----------------------------------------------------------------------


class PtbxlPrototypesParams(StudyParams):
    """Parameters of the PTB-XL prototype study (:mod:`interp_ecg.studies.ptbxl_prototypes`).

    Defaults are the study's own (the former ``ptbxl_prototypes.DEFAULT_PARAMS``); ``preset:
    paper`` is ProtoECGNet as published (its statement groups, prototypes per class and epochs).
    """

    sources: ClassVar[tuple[str, ...]] = ("synthetic", "ptbxl")
    fixed_sampling_rates: ClassVar[dict[str, tuple[int, str]]] = {
        "synthetic": (100, "the prototype network's input is 100 Hz"),
        "ptbxl": (100, "the prototype network's input is 100 Hz (records100)"),
    }
    unused_data_keys: ClassVar[tuple[str, ...]] = ("diagnoses", "phecode_map", "features")

    statements: Annotated[list[str], AfterValidator(_ptbxl_statements)] = Field(
        ["NORM", "AFIB", "STACH", "SBRAD", "CLBBB", "CRBBB", "LVH", "IMI", "1AVB"],
        min_length=1, **_LIST, description="PTB-XL statements classified (a code that is not a PTB-XL "
                                           "statement is refused).")
    min_positives: int = Field(3, ge=1, description="Statements need this many training positives and one "
                                                    "test positive.")
    preset: Literal["paper", "small"] = Field("paper", description="paper: ProtoECGNet as published "
                                                                   "(GPU-sized); small: CPU-sized.")
    prototypes_per_class: int | None = Field(None, ge=1, description="null: the preset's (paper 5/18/7).")
    width: int | None = Field(None, ge=1, description="null: the preset's (paper 64 = ResNet-18).")
    epochs: int | None = Field(None, ge=1, description="null: the preset's (paper up to 200 with early "
                                                       "stopping); a number: warm-up and joint epochs.")
    batch_size: int | None = Field(None, ge=1, description="null: the preset's.")
    black_box: bool = Field(False, description="Also train a black-box network with the same backbones.")
    n_boot: int = Field(200, ge=0, description="Patient-bootstrap replicates of the CIs.")
    n_examples: int = Field(2, ge=0, description="'This looks like that' example pages.")
    label_groups: dict[str, list[str]] | str | None = Field(
        None, description="Statement -> branch groups (mapping or CSV path); null: ProtoECGNet's.")


# -- demo ------------------------------------------------------------------------------------


class DemoParams(StudyParams):
    """Parameters of the demo study (:mod:`interp_ecg.studies.demo`).

    The demo's only defaults (the former ``demo.DEFAULT_PARAMS``), sized for a few hundred
    synthetic ECGs on a laptop.
    """

    models: list[Literal["rf", "xgb", "lgbm", "gb", "logreg", "et"]] = Field(
        ["rf", "xgb", "lgbm"], min_length=1, **_LIST, description="Members of the WCT ensemble.")
    test_size: float = Field(0.3, gt=0, lt=1, description="Held-out share of patients.")
    n_boot: int = Field(200, ge=0, description="Patient-bootstrap replicates of the CIs.")
    epochs: int = Field(2, ge=1, description="Epochs of the small prototype network.")
    max_prototype_train: int = Field(120, ge=10, description="Most ECGs the prototype network trains on.")
    prototype_classes: Annotated[list[str], AfterValidator(_ptbxl_statements)] = Field(
        ["NORM", "AFIB", "STACH", "SBRAD", "CLBBB", "CRBBB", "LVH", "IMI"], **_LIST,
        description="Statements of the prototype network (PTB-XL statements; another code is refused).")
    prototypes_per_class: int = Field(2, ge=1, description="Prototypes per class.")
    min_cases: int = Field(5, ge=1, description="Phecodes with fewer cases are not tested.")
    phewas_method: Literal["logit", "firth"] = Field("firth", description="PheWAS logistic regression.")
    keep_cohort: bool = Field(False, description="Keep the synthetic cohort in the run folder.")
    sections: list[Literal["wct", "prototypes", "phewas"]] = Field(
        ["wct", "prototypes", "phewas"], **_LIST, description="Sections of the report.")
    wct_enrichment: float = Field(3.0, gt=0, description="Prevalence multiplier of the wide-complex "
                                                         "tachycardias in the simulator's mix (1: the "
                                                         "default mix), so the VT-versus-SVT analysis has cases.")
    cv_folds: int = Field(5, ge=2, description="Patient-wise folds of the WCT analyses.")


#: study ``kind`` -> its params model
PARAMS: dict[str, type[StudyParams]] = {
    "demo": DemoParams,
    "wct": WctParams,
    "ptbxl_statements": PtbxlStatementsParams,
    "ptbxl_prototypes": PtbxlPrototypesParams,
    "prototype_phewas": PrototypePhewasParams,
}


def params_model(kind: str) -> type[StudyParams]:
    """The params model of a study kind (:class:`EmptyParams` for a kind without one)."""
    return PARAMS.get(kind, EmptyParams)


__all__ = ["ConfigModel", "covariate_problem", "DemoParams", "EmptyParams", "InputDir", "InputFile", "InputPath", "OutputPath", "PARAMS", "PrototypeNetParams", "PrototypePhewasParams",
           "PtbxlPrototypesParams", "PtbxlStatementsParams", "StudyParams", "TuneParams", "WctParams",
           "params_model"]
