"""The prototype-phenotype analyses (after "Prototype Learning to Create Refined Interpretable
Digital Phenotypes from ECGs", 2025), on plain DataFrames so they work on any exposure table.

* :func:`exposure_phecode_auc` - AUC of every exposure (prototype score, class probability,
  feature) for every phecode, with bootstrap confidence intervals.
* :func:`compare_prototypes_classes` - for the same phecodes: the best individual prototype of a
  class vs the class's predicted probability vs the mean of the class's prototypes. The best
  prototype is *chosen on one half of the subjects and evaluated on the other* (choosing and
  evaluating on the same subjects would favour prototypes by selection alone).
* :func:`prototype_distance_vs_mixing` - per class, the mean distance between its prototypes
  against how different their phecode associations are.

Column conventions (``ProtoECGNetClassifier.transform`` / ``predict_proba``): prototype scores
``proto_<CLASS>_<k>``, class probabilities ``prob_<CLASS>``; other names via ``pattern=``.
"""

from __future__ import annotations

import logging
import re
import warnings

import numpy as np
import pandas as pd
from scipy import stats

logger = logging.getLogger(__name__)

__all__ = [
    "auc_matrix",
    "exposure_phecode_auc",
    "parse_prototype_columns",
    "compare_prototypes_classes",
    "identical_phecodes",
    "prototype_distance_vs_mixing",
    "significant_associations",
]

PROTO_PATTERN = r"^proto_(?P<cls>.+)_(?P<k>\d+)$"


def significant_associations(summary: pd.DataFrame, alpha: float = 0.05) -> tuple[int, int]:
    """Associations with ``q < alpha``: those that count as findings, and the separated ones.

    A fit flagged ``separation`` (the outcome is (quasi-)completely separated: its
    maximum-likelihood odds ratio is infinite; with Firth's penalty the estimate is finite but
    rests on a handful of cases) is not counted as a finding; it is returned apart, so a
    sentence can say "31 associations with q < 0.05 (and 1 more from a separated fit, not
    counted)".

    Parameters
    ----------
    summary : pandas.DataFrame
        A PheWAS summary (:func:`~interp_ecg.phenotype.phewas`): ``q``, optionally ``separation``.
    alpha : float
        False-discovery level.

    Returns
    -------
    (int, int)
        Findings (``q < alpha``, not separated) and separated fits with ``q < alpha``.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.phenotype.analyses import significant_associations
    >>> s = pd.DataFrame({"q": [0.001, 0.04, 0.2], "separation": [False, True, False]})
    >>> significant_associations(s)
    (1, 1)
    """
    if "q" not in summary.columns:
        return 0, 0
    sig = (pd.to_numeric(summary["q"], errors="coerce") < alpha).to_numpy()
    sep = (summary["separation"].fillna(False).astype(bool).to_numpy() if "separation" in summary.columns
           else np.zeros(len(summary), dtype=bool))
    return int((sig & ~sep).sum()), int((sig & sep).sum())


def auc_matrix(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ROC-AUC of each column of ``X`` for binary ``y`` (Mann-Whitney, ties averaged).

    Rows with NaN in ``y`` are ignored; NaN in a column of ``X`` leaves that row out of that
    column. Returns NaN where a column has no case or no control.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.phenotype.analyses import auc_matrix
    >>> auc_matrix(np.array([[0.1, 3], [0.4, 2], [0.35, 1], [0.8, 0]]), np.array([0, 0, 1, 1.]))
    array([0.75, 0.  ])
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    y = np.asarray(y, dtype=float)
    ok_y = np.isfinite(y)
    out = np.full(X.shape[1], np.nan)
    for j in range(X.shape[1]):
        ok = ok_y & np.isfinite(X[:, j])
        yy = y[ok]
        n1 = yy.sum()
        n0 = len(yy) - n1
        if n1 == 0 or n0 == 0:
            continue
        r = stats.rankdata(X[ok, j])
        out[j] = (r[yy == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    return out


def _auc_columns(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AUC of every column of ``X`` (NaN = value missing) for finite 0/1 ``y``, each column on
    its own complete rows (vectorised ranks); returns ``(auc, n_cases, n_controls)`` per column,
    AUC NaN where a column has no case or no control."""
    valid = np.isfinite(X)
    case = valid & (y == 1)[:, None]
    n1 = case.sum(axis=0)
    n0 = valid.sum(axis=0) - n1
    r = stats.rankdata(X, axis=0, nan_policy="omit")  # ranks among each column's present values
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (np.where(case, r, 0.0).sum(axis=0) - n1 * (n1 + 1) / 2) / (n1 * n0)
    auc[(n1 == 0) | (n0 == 0)] = np.nan
    return auc, n1, n0


def _complete_subjects(exposures: pd.DataFrame, outcomes: pd.DataFrame, covariates) -> pd.Index:
    """The subjects a :class:`~interp_ecg.phenotype.PheWAS` fit of the same tables analyses: those
    in all tables, with every covariate present (text covariates read as the fit reads them)."""
    from interp_ecg.phenotype.phewas import prepare_covariates

    idx = exposures.index.intersection(outcomes.index, sort=False)
    if covariates is None:
        return idx
    idx = idx.intersection(covariates.index, sort=False)
    complete = prepare_covariates(covariates, idx).notna().all(axis=1).to_numpy()
    if (~complete).any():
        logger.info("AUC: leaving out %d subjects with missing covariates (as the PheWAS does)",
                    int((~complete).sum()))
    return idx[complete]


def _group_codes(groups, rows: pd.Index, idx: pd.Index) -> np.ndarray:
    """Integer group (patient) code of each subject of ``idx``; ``groups`` is a Series (by subject)
    or an array in the order of ``rows``; a subject without a group id is refused."""
    if not isinstance(groups, pd.Series):
        groups = pd.Series(np.asarray(groups), index=rows)
    g = groups.reindex(idx)
    codes, _ = pd.factorize(g)
    if (codes < 0).any():
        missing = list(idx[codes < 0][:5])
        raise ValueError(f"groups: {int((codes < 0).sum())} subjects have no group id (e.g. {missing}); "
                         "give every row its patient id")
    return codes


def exposure_phecode_auc(
    exposures: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    covariates: pd.DataFrame | None = None,
    n_boot: int = 500,
    ci: float = 0.95,
    groups: pd.Series | None = None,
    min_cases: int = 10,
    random_state=None,
) -> pd.DataFrame:
    """AUC of each exposure for each phecode with a percentile bootstrap CI.

    Each exposure x phecode AUC is computed on the subjects that the PheWAS row of the same
    pair analyses (:class:`~interp_ecg.phenotype.PheWAS` with the same tables): subjects in
    every table, with all ``covariates`` present, a known outcome (case or control) and that
    exposure present. A subject missing one exposure is left out of that exposure's AUCs only.

    Parameters
    ----------
    exposures, outcomes : DataFrame
        Same index (subjects or ECGs); outcomes True/False/NA (NA rows skipped per phecode).
        Exposures: numbers (text that is not a number and +-inf count as missing).
    covariates : DataFrame, optional
        The PheWAS covariates: subjects with a missing covariate are left out, as the PheWAS
        fit leaves them out (the AUC itself is unadjusted).
    n_boot : int
        Bootstrap resamples of the phecode's subjects with a known outcome, or of their
        ``groups`` (e.g. patients when rows are ECGs); each exposure's AUC in a resample uses
        the resampled subjects that have that exposure.
    ci : float
        Level of the percentile interval.
    groups : Series or array-like, optional
        Group (patient) id of each subject (a Series indexed like ``exposures``, or an array in
        the order of its rows): the bootstrap resamples
        groups, so that the ECGs of one patient stay together. A subject without one is refused.
    min_cases : int
        Phecodes with fewer cases among the subjects with a known outcome are skipped (as
        :attr:`PheWAS.skipped_`); a pair with fewer cases among the subjects with that exposure
        gets a row with NaN AUC and reason ``too few cases``.

    Returns
    -------
    DataFrame: ``exposure, phecode, n_cases, n_controls, auc, auc_low, auc_high, reason``;
    ``n_cases`` / ``n_controls`` are the pair's subjects, ``reason`` says why the AUC is NaN
    (``too few cases``, ``no controls``, ``constant exposure`` - one value among the pair's
    subjects, where the PheWAS row says the same; empty when there is an AUC).

    Raises
    ------
    ValueError
        ``groups`` without an id for some subject.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from interp_ecg.phenotype import exposure_phecode_auc
    >>> rng = np.random.default_rng(0)
    >>> y = pd.DataFrame({"P1": rng.random(300) < 0.3})
    >>> x = pd.DataFrame({"good": y["P1"] + rng.normal(0, 0.5, 300), "noise": rng.normal(size=300)})
    >>> t = exposure_phecode_auc(x, y, n_boot=50, random_state=0)
    >>> bool(t.set_index("exposure").loc["good", "auc_low"] > 0.75)
    True
    """
    rng = np.random.default_rng(random_state)
    idx = _complete_subjects(exposures, outcomes, covariates)
    Xall = np.array(exposures.loc[idx].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
    Xall[~np.isfinite(Xall)] = np.nan
    grp = None if groups is None else _group_codes(groups, exposures.index, idx)
    names = list(exposures.columns)
    rows = []
    lo_q, hi_q = (1 - ci) / 2, 1 - (1 - ci) / 2
    for phe in outcomes.columns:
        yv = outcomes.loc[idx, phe].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        ok = np.isfinite(yv)
        y = yv[ok]
        if int(y.sum()) < min_cases:
            continue
        X = Xall[ok]
        auc, n1, n0 = _auc_columns(X, y)
        reason = np.full(X.shape[1], "", dtype=object)
        reason[n0 == 0] = "no controls"
        reason[n1 < min_cases] = "too few cases"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an exposure missing in all: NaN
            x_lo, x_hi = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
        # one value among the pair's subjects (the PheWAS's tolerance): no ranking to measure,
        # the AUC of 0.5 would be a number without content
        const = ~(x_hi - x_lo > 1e-12 * np.maximum(np.maximum(np.abs(x_lo), np.abs(x_hi)), 1e-300))
        reason[const & (n1 > 0)] = "constant exposure"
        auc[reason != ""] = np.nan
        boots = np.full((n_boot, X.shape[1]), np.nan)
        if grp is None:
            for b in range(n_boot):
                s = rng.integers(0, len(y), len(y))
                boots[b] = _auc_columns(X[s], y[s])[0]
        else:
            uniq, inv = np.unique(grp[ok], return_inverse=True)
            members = [np.flatnonzero(inv == k) for k in range(len(uniq))]
            for b in range(n_boot):
                pick = rng.integers(0, len(uniq), len(uniq))
                s = np.concatenate([members[k] for k in pick])
                boots[b] = _auc_columns(X[s], y[s])[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column: NaN
            lo = np.nanquantile(boots, lo_q, axis=0)
            hi = np.nanquantile(boots, hi_q, axis=0)
        lo[reason != ""], hi[reason != ""] = np.nan, np.nan
        for j, name in enumerate(names):
            rows.append((name, phe, int(n1[j]), int(n0[j]), auc[j], lo[j], hi[j], reason[j]))
    return pd.DataFrame(
        rows, columns=["exposure", "phecode", "n_cases", "n_controls", "auc", "auc_low", "auc_high", "reason"]
    )


def parse_prototype_columns(columns, pattern: str = PROTO_PATTERN) -> dict[str, list[str]]:
    """Group prototype columns by class: ``{"AFIB": ["proto_AFIB_00", ...], ...}``.

    Examples
    --------
    >>> from interp_ecg.phenotype import parse_prototype_columns
    >>> parse_prototype_columns(["proto_AFIB_00", "proto_AFIB_01", "proto_NORM_00", "prob_AFIB"])
    {'AFIB': ['proto_AFIB_00', 'proto_AFIB_01'], 'NORM': ['proto_NORM_00']}
    """
    out: dict[str, list[str]] = {}
    rx = re.compile(pattern)
    for c in columns:
        m = rx.match(str(c))
        if m:
            out.setdefault(m.group("cls"), []).append(c)
    return out


def compare_prototypes_classes(
    exposures: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    classes: dict[str, list[str]] | None = None,
    prob_prefix: str = "prob_",
    min_cases: int = 10,
    groups: pd.Series | None = None,
    random_state=None,
) -> pd.DataFrame:
    """Individual prototypes vs class probability vs prototype-class aggregate, per phecode.

    For each class with prototype columns (``classes`` or :func:`parse_prototype_columns`) and
    each phecode: split subjects in two halves (stratified by the phecode); choose the
    prototype with the highest AUC on the first half; report on the second half the AUC of that
    prototype (``auc_best_prototype``), of ``prob_<CLASS>`` if present (``auc_class_prob``) and
    of the mean of the class's present prototype scores (``auc_prototype_mean``). The three
    AUCs of a row are computed on the same evaluation rows, those where all three scores are
    present, and ``n_cases_eval`` / ``n_controls_eval`` count those rows.

    With ``groups`` (the patient of each row, a Series indexed like ``exposures`` or an array in
    its row order) the halves are halves of the patients (stratified by whether a patient has a
    case), so that no patient's ECGs are both in the choosing and in the evaluating half; without
    it, rows are taken as independent subjects.

    Returns
    -------
    DataFrame: ``class, phecode, best_prototype, auc_best_prototype, auc_class_prob,
    auc_prototype_mean, n_cases_eval, n_controls_eval``.
    """
    rng = np.random.default_rng(random_state)
    classes = classes or parse_prototype_columns(exposures.columns)
    idx = exposures.index.intersection(outcomes.index, sort=False)
    grp = None if groups is None else _group_codes(groups, exposures.index, idx)
    rows = []
    for phe in outcomes.columns:
        y = outcomes.loc[idx, phe].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        ok = np.flatnonzero(np.isfinite(y))
        cases, ctrls = ok[y[ok] == 1], ok[y[ok] == 0]
        if len(cases) < 2 * min_cases or len(ctrls) < 2:
            continue
        if grp is None:
            cases, ctrls = rng.permutation(cases), rng.permutation(ctrls)
            sel = np.concatenate([cases[: len(cases) // 2], ctrls[: len(ctrls) // 2]])
            ev = np.concatenate([cases[len(cases) // 2 :], ctrls[len(ctrls) // 2 :]])
        else:  # halves of the patients, stratified by whether a patient has a case
            g_case = np.unique(grp[cases])
            g_ctrl = rng.permutation(np.setdiff1d(np.unique(grp[ctrls]), g_case))
            g_case = rng.permutation(g_case)
            first = np.concatenate([g_case[: len(g_case) // 2], g_ctrl[: len(g_ctrl) // 2]])
            in_first = np.isin(grp[ok], first)
            sel, ev = ok[in_first], ok[~in_first]
        for cls, cols in classes.items():
            P = exposures.loc[idx, cols].to_numpy(dtype=float)
            a_sel = auc_matrix(P[sel], y[sel])
            if np.all(np.isnan(a_sel)):
                continue
            best = int(np.nanargmax(a_sel))
            prob_col = f"{prob_prefix}{cls}"
            # the three scores are compared on the same evaluation rows: those where each of
            # them is present (a row missing one score would otherwise count in another's AUC)
            Pe = P[ev]
            with np.errstate(all="ignore"):
                present = np.isfinite(Pe).sum(axis=1)
                mean_score = np.where(present > 0, np.nansum(Pe, axis=1) / np.maximum(present, 1),
                                      np.nan)
            scores = [Pe[:, best], mean_score]
            has_prob = prob_col in exposures.columns
            if has_prob:
                scores.append(exposures.loc[idx, prob_col].to_numpy(dtype=float)[ev])
            S = np.column_stack(scores)
            keep = np.all(np.isfinite(S), axis=1) & np.isfinite(y[ev])
            auc = auc_matrix(S[keep], y[ev][keep])
            rows.append(
                {
                    "class": cls,
                    "phecode": phe,
                    "best_prototype": cols[best],
                    "auc_best_prototype": auc[0],
                    "auc_class_prob": auc[2] if has_prob else np.nan,
                    "auc_prototype_mean": auc[1],
                    "n_cases_eval": int((y[ev][keep] == 1).sum()),
                    "n_controls_eval": int((y[ev][keep] == 0).sum()),
                }
            )
    return pd.DataFrame(rows)


def identical_phecodes(summary: pd.DataFrame, rtol: float = 1e-7) -> dict:
    """Phecodes whose PheWAS rows are identical for every exposure, mapped to the one kept.

    Two phecodes with the same cases and controls (a roll-up parent whose cases all carry one
    child code, e.g. CV_401 and CV_401.1) give the same row for every exposure: the same
    ``n_cases``/``n_controls``/``n_excluded`` (where the summary has them) and the same ``beta``
    and ``p`` (within ``rtol``). They are one phenotype of this cohort; the most specific code
    (the longest; then the last in sort order) is kept.

    Parameters
    ----------
    summary : DataFrame
        PheWAS summary: ``exposure, phecode, beta, p`` (and the count columns when present).
    rtol : float
        Relative tolerance of ``beta`` and ``p``.

    Returns
    -------
    dict
        ``{phecode left out: phecode kept}``; empty when every phecode differs.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.phenotype.analyses import identical_phecodes
    >>> s = pd.DataFrame({"exposure": ["x", "x", "x"], "phecode": ["CV_401", "CV_401.1", "CV_416"],
    ...                   "n_cases": [30, 30, 12], "beta": [0.2, 0.2, -0.1], "p": [0.04, 0.04, 0.5]})
    >>> identical_phecodes(s)
    {'CV_401': 'CV_401.1'}
    """
    counts = [c for c in ("n_cases", "n_controls", "n_excluded") if c in summary.columns]
    values = [c for c in ("beta", "p") if c in summary.columns]
    wide = summary.pivot_table(index="phecode", columns="exposure", values=counts + values, aggfunc="first",
                               dropna=False)
    if wide.empty:
        return {}
    num = wide.to_numpy(dtype=float)
    # candidates share the counts exactly and the estimates to 6 significant digits; checked with rtol below
    groups: dict = {}
    for code, row in zip(wide.index, num):
        key = tuple(float(f"{v:.6g}") if np.isfinite(v) else None for v in row)
        groups.setdefault(key, []).append(code)
    out: dict = {}
    for grp in groups.values():
        if len(grp) < 2:
            continue
        codes = sorted(grp, key=lambda c: (len(str(c)), str(c)), reverse=True)
        keep = codes[0]
        ref = num[wide.index.get_loc(keep)]
        for other in codes[1:]:
            if np.allclose(num[wide.index.get_loc(other)], ref, rtol=rtol, atol=0.0, equal_nan=True):
                out[other] = keep
    return out


def prototype_distance_vs_mixing(
    prototype_vectors,
    summary: pd.DataFrame,
    *,
    classes: dict[str, list[str]] | None = None,
    metric: str = "euclidean",
) -> pd.DataFrame:
    """Intra-class prototype distance against the heterogeneity of the class's associations.

    Parameters
    ----------
    prototype_vectors : DataFrame
        One row per prototype (index = the exposure names, e.g. ``proto_AFIB_03``), columns =
        the prototype's latent vector; or a square distance DataFrame with ``metric="precomputed"``.
    summary : DataFrame
        PheWAS summary (``exposure, phecode, beta, p``) of the same prototypes.
    metric : {"euclidean", "cosine", "precomputed"}

    Returns
    -------
    DataFrame, one row per class with >= 2 prototypes: ``class, n_prototypes, mean_distance,
    association_heterogeneity`` (1 - mean pairwise Spearman correlation between the prototypes'
    signed -log10 p profiles over phecodes: 0 = all prototypes associate alike, up to 2 = opposite),
    ``n_significant`` (FDR q < 0.05 associations of the class's prototypes, separated fits not
    counted: :func:`significant_associations`), ``n_phecodes`` (the
    distinct phenotypes the profiles run over). ``.attrs["spearman"]`` holds the correlation of
    the two across classes and its p-value.

    Phecodes whose summary rows are identical for every exposure (same case and control counts,
    same estimates: a roll-up parent with exactly its child's cases, such as CV_401 and CV_401.1
    when every hypertension code is CV_401.1's) are one phenotype, not two: the profile keeps the
    most specific code only, so a duplicated column does not count twice in the correlations.
    ``.attrs["identical_phecodes"]`` maps each code left out to the one kept.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from interp_ecg.phenotype import prototype_distance_vs_mixing
    >>> vec = pd.DataFrame([[0, 0], [0, 1], [0, 0], [5, 5]],
    ...                    index=["proto_A_0", "proto_A_1", "proto_B_0", "proto_B_1"])
    >>> s = pd.DataFrame({"exposure": np.repeat(vec.index, 3), "phecode": list("xyz") * 4,
    ...                   "beta": [1, 1, -1, 1, 1, -1, 1, -1, 1, -1, 1, -1],
    ...                   "p": [1e-3, 1e-2, 0.5, 1e-3, 1e-2, 0.5, 1e-3, 0.5, 1e-2, 0.5, 1e-3, 1e-2]})
    >>> r = prototype_distance_vs_mixing(vec, s).set_index("class")
    >>> bool(r.loc["B", "mean_distance"] > r.loc["A", "mean_distance"]), bool(
    ...     r.loc["B", "association_heterogeneity"] > r.loc["A", "association_heterogeneity"])
    (True, True)
    """
    from scipy.spatial.distance import pdist, squareform

    names = list(prototype_vectors.index)
    classes = classes or parse_prototype_columns(names)

    def _dist(cols):
        if metric == "precomputed":
            return prototype_vectors.loc[cols, cols].to_numpy(dtype=float)
        V = prototype_vectors.loc[cols].to_numpy(dtype=float)
        V = V[:, np.isfinite(V).all(axis=0)]  # vectors of different lengths are NaN-padded
        return squareform(pdist(V, metric=metric))
    s = summary.copy()
    s["signed"] = np.sign(s["beta"]) * -np.log10(np.clip(s["p"].astype(float), 1e-300, 1))
    prof = s.pivot_table(index="exposure", columns="phecode", values="signed", dropna=False)
    same = identical_phecodes(s)
    if same:
        logger.info("association heterogeneity: %d phecodes identical to another in every exposure's row (e.g. %s) "
                    "are counted once", len(same), ", ".join(f"{k} = {v}" for k, v in list(same.items())[:3]))
        prof = prof.drop(columns=[c for c in same if c in prof.columns])
    rows = []
    for cls, cols in classes.items():
        cols = [c for c in cols if c in prototype_vectors.index and c in prof.index]
        if len(cols) < 2:
            continue
        d = _dist(cols)
        iu = np.triu_indices(len(cols), 1)
        P = prof.loc[cols].to_numpy(dtype=float)
        rho = []
        for i, j in zip(*iu):
            ok = np.isfinite(P[i]) & np.isfinite(P[j])
            if ok.sum() >= 3:
                rho.append(stats.spearmanr(P[i, ok], P[j, ok])[0])
        het = 1.0 - float(np.nanmean(rho)) if rho else np.nan
        n_sig = significant_associations(s.loc[s["exposure"].isin(cols)])[0] if "q" in s else np.nan
        rows.append({"class": cls, "n_prototypes": len(cols), "mean_distance": float(d[iu].mean()),
                     "association_heterogeneity": het, "n_significant": n_sig, "n_phecodes": int(prof.shape[1])})
    out = pd.DataFrame(rows)
    out.attrs["identical_phecodes"] = same
    ok = out[["mean_distance", "association_heterogeneity"]].notna().all(axis=1) if len(out) else []
    if len(out) and ok.sum() >= 3:
        r, p = stats.spearmanr(out.loc[ok, "mean_distance"], out.loc[ok, "association_heterogeneity"])
        out.attrs["spearman"] = {"rho": float(r), "p": float(p), "n_classes": int(ok.sum())}
    return out
