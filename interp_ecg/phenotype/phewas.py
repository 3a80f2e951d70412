"""PheWAS: every exposure against every phecode, adjusted for covariates.

:func:`phewas` returns the tidy summary table; :class:`PheWAS` is the same analysis as an
object (lifelines style) with ``.summary``, ``.plot(ax=None)`` (Manhattan) and an HTML repr.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from interp_ecg.errors import ConfigError
from interp_ecg.phenotype import solvers

logger = logging.getLogger(__name__)

__all__ = ["PheWAS", "phewas", "benjamini_hochberg", "prepare_covariates", "describe_method", "CI_METHODS"]

SUMMARY_COLUMNS = [
    "exposure",
    "phecode",
    "description",
    "category",
    "n_cases",
    "n_controls",
    "n_excluded",
    "beta",
    "SE",
    "OR",
    "OR_low",
    "OR_high",
    "or_scale",
    "z",
    "p",
    "test",
    "ci_method",
    "SE_type",
    "q",
    "bonferroni",
    "converged",
    "separation",
    "reason",
    "method",
]

#: Why a pair has no estimate (the ``reason`` column; empty when it was estimated).
REASONS = {
    "constant exposure": "the exposure takes one value among the pair's subjects",
    "rank deficiency": "the exposure is a linear combination of the covariates (and intercept)",
    "no controls": "every analysable subject of the pair is a case",
    "too few cases": "fewer than min_cases analysable cases",
    "separation": "the outcome is (quasi-)completely separated: the ML estimate is infinite",
    "not converged": "the fit did not converge for another reason",
    "null model not converged": "score test: the covariate-only model of the outcome did not converge",
}


#: How each row's ``OR_low`` / ``OR_high`` were obtained (the ``ci_method`` column), by the test
#: that gave its p-value; each interval inverts that row's test, so p < 0.05 exactly when the 95%
#: interval excludes OR 1. Both profile ends exist for every Firth row, separated ones included
#: (the penalised likelihood falls without bound along the profile, see
#: ``solvers._profile_side``), so the interval is never "unbounded"; an end that the
#: constrained fits still could not reach (a numerical failure) is NaN and the row's
#: ``ci_method`` says so (``"profile-penalised-LR; upper end not found (...)"``).
CI_METHODS = {
    "wald": "Wald: beta +/- 1.96 SE from the fitted model's information",
    "profile-penalised-LR": "profile penalised likelihood (Heinze & Schemper 2002, as logistf): the "
                            "values of beta the penalised likelihood-ratio test does not reject",
    "wald-cluster": "Wald: beta +/- 1.96 SE with the cluster-robust (sandwich) SE by group (patient)",
    "one-step score (not refitted)": "score-screened pair not refitted: one-step U/V +/- 1.96/sqrt(V) "
                                     "from the covariate-only model; approximate (agrees with the score "
                                     "p-value, but its width can differ from an exact fit's, most for large "
                                     "effects and rare outcomes)",
}

_TEST_WORDS = {"wald": "Wald", "lrt": "penalised likelihood-ratio", "score": "score"}

#: The ``or_scale`` column: what one step of the exposure is for ``beta`` and the OR.
OR_SCALES = {"per SD": "per standard deviation of the exposure among the analysed subjects (standardize=True)",
             "per unit": "per unit of the exposure as given (standardize=False)"}


def _warn(message: str) -> None:
    """Data left out of the analysis: a logged warning and a Python ``UserWarning`` (the package's
    log is silent unless the user configures logging; a notebook shows the warning)."""
    logger.warning(message)
    warnings.warn(message, UserWarning, stacklevel=4)


def describe_method(summary: pd.DataFrame, covariates: str = "covariates") -> str:
    """One sentence naming the models, tests, the odds-ratio scale and the intervals behind a
    PheWAS summary, read from its ``method``, ``test``, ``or_scale`` and ``ci_method`` columns
    (for table captions and report text).

    Parameters
    ----------
    summary : DataFrame
        :attr:`PheWAS.summary` (or the same table read back from CSV).
    covariates : str
        What the models were adjusted for, as words.

    Examples
    --------
    >>> import pandas as pd
    >>> from interp_ecg.phenotype import describe_method
    >>> s = pd.DataFrame({"method": ["firth"] * 2, "test": ["lrt"] * 2,
    ...                   "ci_method": ["profile-penalised-LR"] * 2, "or_scale": ["per SD"] * 2})
    >>> describe_method(s, "age and sex")
    'Firth-penalised logistic regression adjusted for age and sex; p: penalised likelihood-ratio test; OR per SD of the exposure with 95% CI: profile penalised likelihood'
    """
    def counted(col, words):
        if col not in summary.columns:
            return "not recorded"
        v = summary[col].fillna("").astype(str)
        counts = v[v != ""].value_counts()
        if len(counts) == 0:
            return "none"
        if len(counts) == 1:
            return words(counts.index[0])
        return ", ".join(f"{words(k)} ({n} rows)" for k, n in counts.items())

    model = counted("method", lambda m: {"firth": "Firth-penalised logistic regression",
                                         "logit": "maximum-likelihood logistic regression"}.get(m, m))
    test = counted("test", lambda t: _TEST_WORDS.get(t, t) + " test")
    ci = counted("ci_method", lambda c: {"wald": "Wald", "wald-cluster": "Wald with cluster-robust SE",
                                         "profile-penalised-LR": "profile penalised likelihood",
                                         "one-step score (not refitted)": "one-step score approximation "
                                         "(not refitted)"}.get(c, c))
    scale = counted("or_scale", lambda k: f"{k} of the exposure")
    scale = "(scale not recorded)" if scale == "not recorded" else scale
    text = f"{model} adjusted for {covariates}; p: {test}; OR {scale} with 95% CI: {ci}"
    if "SE_type" in summary.columns and (summary["SE_type"] == "cluster-robust").any():
        text += ("; SE cluster-robust (sandwich) by group, so that several ECGs of one patient are "
                 "not counted as independent subjects")
    return text


def benjamini_hochberg(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q); NaN stays NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.phenotype import benjamini_hochberg
    >>> benjamini_hochberg([0.01, 0.04, 0.03, np.nan]).round(3).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.asarray(p, dtype=float)
    q = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    q[ok] = out
    return q


def prepare_covariates(covariates: pd.DataFrame | None, index: pd.Index) -> pd.DataFrame:
    """Numeric covariate matrix aligned to ``index``: booleans as 0/1, text/categorical
    columns one-hot encoded (first level dropped). Rows with missing values stay NaN."""
    if covariates is None:
        return pd.DataFrame(index=index)
    cov = covariates.reindex(index)
    parts = []
    for col in cov.columns:
        s = cov[col]
        if pd.api.types.is_bool_dtype(s):
            parts.append(s.astype(float).rename(col))
        elif pd.api.types.is_numeric_dtype(s):
            parts.append(s.astype(float))
        else:
            d = pd.get_dummies(s, prefix=str(col), drop_first=True, dtype=float)
            d[s.isna().to_numpy()] = np.nan
            parts.extend(d[c] for c in d.columns)
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=index)


def _phecode_info(phecode_map, phecode_info, columns) -> pd.DataFrame:
    if phecode_info is None and phecode_map is not None:
        phecode_info = phecode_map.info
    if phecode_info is None:
        return pd.DataFrame({"description": pd.NA, "category": pd.NA}, index=pd.Index(columns))
    info = phecode_info.reindex(pd.Index(columns))
    for col in ("description", "category"):
        if col not in info:
            info[col] = pd.NA
    return info[["description", "category"]]


def _pair_design(x: np.ndarray, C: np.ndarray) -> np.ndarray:
    """``[1, x, C]`` with the covariates that vary among these subjects (others held at 0)."""
    Xd = np.column_stack([np.ones(len(x)), x, C])
    if Xd.shape[1] > 2:
        rng_ = Xd[:, 2:].max(axis=0) - Xd[:, 2:].min(axis=0)
        keep = np.r_[True, True, rng_ > 1e-12 * np.maximum(np.abs(Xd[:, 2:]).max(axis=0), 1e-300)]
        Xd = Xd[:, keep]
    return Xd


def _exact_block(X, Yb, C, mask, solver: str, kw: dict) -> dict:
    """Exact fits of the pairs ``mask`` (E, b) (all pairs when None) of a block of outcomes."""
    E, b = X.shape[1], Yb.shape[1]
    if mask is None:
        if solver == "statsmodels":
            return solvers.fit_grid_statsmodels(X, Yb, C, method=kw["method"])
        return solvers.fit_grid_batched(X, Yb, C, **kw)
    out = {"beta": np.full((E, b), np.nan), "se": np.full((E, b), np.nan),
           "converged": np.zeros((E, b), dtype=bool), "n_iter": np.zeros((E, b), dtype=np.int64)}
    if solver == "statsmodels":
        pairs = [(int(e), int(o)) for e, o in zip(*np.nonzero(mask))]
        return solvers.fit_grid_statsmodels(X, Yb, C, method=kw["method"], pairs=pairs) if pairs else out
    rows_e = np.flatnonzero(mask.any(axis=1))
    cols_o = np.flatnonzero(mask.any(axis=0))
    if len(rows_e) == 0:
        return out
    sub = mask[np.ix_(rows_e, cols_o)]
    res = solvers.fit_grid_batched(X[:, rows_e], Yb[:, cols_o], C, mask=sub, **kw)
    for key in out:
        out[key][np.ix_(rows_e, cols_o)] = res[key]
    return out


def _cluster_fits(X, Y, C, mask, groups: np.ndarray) -> dict:
    """Maximum-likelihood fits of the pairs ``mask`` (E, O), one statsmodels ``Logit`` per pair,
    with the cluster-robust (sandwich) covariance by ``groups`` (statsmodels ``cov_type="cluster"``,
    its default small-sample factor G/(G-1) (N-1)/(N-K)); returns the dict of
    :func:`~interp_ecg.phenotype.solvers.fit_grid_batched` plus ``n_groups`` (E, O)."""
    import statsmodels.api as sm

    E, O = mask.shape
    out = {"beta": np.full((E, O), np.nan), "se": np.full((E, O), np.nan),
           "converged": np.zeros((E, O), dtype=bool), "n_iter": np.zeros((E, O), dtype=np.int64),
           "n_groups": np.zeros((E, O), dtype=np.int64)}
    for e, o in zip(*np.nonzero(mask)):
        rows = np.isfinite(Y[:, o]) & np.isfinite(X[:, e])
        Xd = _pair_design(X[rows, e], C[rows])
        g = groups[rows]
        out["n_groups"][e, o] = len(np.unique(g))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = sm.Logit(Y[rows, o].astype(np.float64), Xd).fit(
                    disp=0, method="newton", maxiter=35, cov_type="cluster", cov_kwds={"groups": g})
            beta, se = float(res.params[1]), float(res.bse[1])
            ok = bool(res.mle_retvals.get("converged", False)) and np.isfinite(beta) and np.isfinite(se) and se > 0
        except Exception as exc:  # perfect separation, singular matrix: diagnosed afterwards
            logger.debug("clustered fit of pair (%d, %d) failed: %s", e, o, exc)
            ok = False
        if ok:
            out["beta"][e, o], out["se"][e, o], out["converged"][e, o] = beta, se, True
    return out


def _score_task(X, Yb, C, _mask, blas_threads) -> dict:
    return _score_block(X, Yb, C, blas_threads)


def _score_block(X, Yb, C, blas_threads) -> dict:
    from interp_ecg.phenotype.score import score_test_grid

    return score_test_grid(X, Yb, C, blas_threads=blas_threads)


def _mode_counts(X: np.ndarray, valid: np.ndarray, n_x: np.ndarray, const: np.ndarray) -> np.ndarray:
    """(E,) number of observed subjects sharing each exposure's most frequent value (``n_x`` for
    constant or empty exposures): the longest run of equal values after sorting."""
    f_max = n_x.copy()
    todo = np.flatnonzero((n_x > 0) & ~const)
    complete = valid.all(axis=0)
    for s0 in range(0, len(todo), 64):
        cols = todo[s0 : s0 + 64]
        whole = cols[complete[cols]]
        if len(whole):  # columns without missing values: sorted together
            S = np.sort(X[:, whole], axis=0)
            pos = np.arange(len(S))[:, None]
            start = np.where(np.r_[np.ones((1, len(whole)), bool), S[1:] != S[:-1]], pos, 0)
            f_max[whole] = (pos - np.maximum.accumulate(start, axis=0) + 1).max(axis=0)
        for e in cols[~complete[cols]]:
            v = np.sort(X[valid[:, e], e])
            starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
            f_max[e] = np.diff(np.r_[starts, len(v)]).max()
    return f_max


def _outcome_matrix(Ydf: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """(len(rows), O) float32: 1 case, 0 control, NaN excluded; column by column (no wide copies)."""
    Y = np.empty((len(rows), Ydf.shape[1]), dtype=np.float32)
    for j in range(Ydf.shape[1]):
        col = Ydf.iloc[:, j]
        try:
            Y[:, j] = col.to_numpy(dtype=np.float32, na_value=np.nan)[rows]
        except (TypeError, ValueError):
            Y[:, j] = pd.to_numeric(col.astype("boolean"), errors="coerce").to_numpy(
                dtype=np.float32, na_value=np.nan)[rows]
    return Y


@dataclass
class _PairGrid:
    """The (E, O) per-pair results that the stages of :meth:`PheWAS._fit` fill in turn."""

    reason: np.ndarray  # object: why a pair has no estimate ('' = estimable so far)
    beta: np.ndarray
    se: np.ndarray
    z: np.ndarray
    p: np.ndarray
    conv: np.ndarray  # bool
    test: np.ndarray  # object: which test gave p ('wald', 'lrt', 'score')
    separation: np.ndarray  # bool
    is_firth: np.ndarray  # bool: a Firth estimate
    ci_low: np.ndarray  # log-odds interval from the test that gave p (NaN: Wald from beta, SE)
    ci_high: np.ndarray

    @classmethod
    def unfitted(cls, reason: np.ndarray) -> "_PairGrid":
        shape = reason.shape
        return cls(reason=reason, beta=np.full(shape, np.nan), se=np.full(shape, np.nan),
                   z=np.full(shape, np.nan), p=np.full(shape, np.nan), conv=np.zeros(shape, dtype=bool),
                   test=np.full(shape, "", dtype=object), separation=np.zeros(shape, dtype=bool),
                   is_firth=np.zeros(shape, dtype=bool), ci_low=np.full(shape, np.nan),
                   ci_high=np.full(shape, np.nan))


class PheWAS:
    """Exposures x phecodes logistic (or Firth) regressions with covariates.

    Parameters
    ----------
    method : {"logit", "firth"}
        Maximum-likelihood logistic regression, or Firth-penalised (rare outcomes, separation).
    solver : {"batched", "statsmodels"}
        ``"batched"``: :func:`~interp_ecg.phenotype.solvers.fit_grid_batched` (fast, same
        estimates); ``"statsmodels"``: one statsmodels ``Logit`` per pair (reference; for
        ``method="firth"`` one :func:`~interp_ecg.phenotype.solvers.firth_logit` per pair).
        Both give the same summary, including the same ``reason`` for every pair not estimated.
    test : {"wald", "score"}, default "wald"
        ``"wald"``: every pair fitted exactly (Wald p-values; penalised LRT for Firth pairs by
        default, see ``firth_test``). ``"score"``: screening, the two-step design of genome-wide
        scans (PLINK 2, SAIGE, REGENIE): the covariate-only model of each outcome is fitted once,
        every pair gets a score test from a few matrix products
        (:func:`~interp_ecg.phenotype.score.score_test_grid`), and only the pairs whose score
        p-value is at or below ``screen_threshold`` are fitted exactly. The others keep their
        score p-value, which enters the Benjamini-Hochberg correction; their ``beta`` and ``SE``
        are the one-step estimate ``U / V`` and ``1 / sqrt(V)`` from the null model (an
        approximation, good for small effects; its CI agrees with the score p-value but its
        width can differ from an exact fit's, by tens of percent for large effects). The ``test``
        column says which test gave each row's p-value, ``ci_method`` how its CI was obtained
        (``one-step score (not refitted)`` for these rows); their ``method`` is ``logit`` (the
        null model is maximum-likelihood), also with ``method="firth"``.
    screen_threshold : float or "auto", default "auto"
        With ``test="score"``: the score p-value at or below which a pair is fitted exactly.
        ``"auto"``: ``screen_margin`` times the Benjamini-Hochberg cut-off at ``alpha`` of the
        score p-values (the largest p_(k) with p_(k) <= alpha k / m), or, when nothing passes,
        ``screen_margin`` times the Bonferroni cut-off ``alpha / m``; never below that.
        With the default margin (100) a pair has to be two orders of magnitude less significant
        by the score test than the cut-off to be left unfitted. ``1.0`` fits every estimable pair.
    screen_margin : float, default 100
    backend : {"numpy", "torch"}
        Array library of the batched solver; torch uses the GPU when one is present.
    min_cases : int, default 20
        Phecodes with fewer cases among analysable subjects are skipped (listed in ``skipped_``);
        pairs with fewer analysable cases (missing exposure values) get reason ``too few cases``.
    standardize : bool, default False
        Scale each exposure to mean 0, SD 1 first (odds ratios per SD; the SD of the exposure
        among the analysed subjects, kept in ``exposure_sd_``); otherwise odds ratios per unit
        of the exposure as given. The summary's ``or_scale`` column says which (``per SD`` or
        ``per unit``), and :func:`describe_method` writes it in its sentence.
    alpha : float, default 0.05
        For the Bonferroni column (``p < alpha / n_tests``) and the FDR line of the plot.
    scheduler : dask.distributed.Client, optional
        Run blocks of outcomes (``chunk_size`` outcomes per task) on a Dask cluster.
    chunk_size : int, optional
        Outcomes per Dask task (default: the outcomes split in two tasks per worker).
    firth_fallback : bool, default False
        With ``method="logit"``, refit the pairs whose maximum-likelihood fit did not converge
        (separation, very rare outcomes) with Firth's penalised likelihood; their ``method``
        column says ``"firth"``.
    firth_test : {"lrt", "wald"}, default "lrt"
        P-values of Firth-fitted pairs: the penalised likelihood-ratio test (Heinze & Schemper
        2002, as PheTK; two Firth fits per pair: batched with
        :func:`~interp_ecg.phenotype.solvers.firth_lrt_grid`, one model at a time with
        :func:`~interp_ecg.phenotype.solvers.firth_lrt` for ``solver="statsmodels"``), or Wald (SE from the penalised
        information; unreliable under separation). With the LRT, ``z`` is the signed root of
        the statistic; ``OR_low`` / ``OR_high`` are the profile penalised-likelihood 95%
        interval (as logistf), which inverts the same test, so p < 0.05 exactly when it excludes
        OR 1 (``ci_method`` ``profile-penalised-LR``); ``SE`` stays the Wald SE from the
        penalised information.
    blas_threads : int or None, default 1
        BLAS (and torch) threads during :meth:`fit`: the products are small or tall and thin,
        for which one thread is fastest; parallelise with ``scheduler`` instead. ``None``
        leaves the thread settings as found.
    phecode_map, phecode_info
        Descriptions and categories for the summary (a :class:`PhecodeMap`, or a DataFrame
        indexed by phecode with ``description`` and ``category``).

    Attributes
    ----------
    summary : DataFrame
        One row per exposure x phecode (columns in ``SUMMARY_COLUMNS``), sorted by p. ``reason``
        (see ``REASONS``) says why a row has no estimate: ``constant exposure``, ``rank
        deficiency``, ``no controls``, ``too few cases``, ``separation``, ``not converged``;
        such rows have NaN estimates and are left out of ``q`` and ``bonferroni``.
        ``separation`` is True where the outcome is (quasi-)completely separated by the design
        (linear-programming check, :func:`~interp_ecg.phenotype.solvers.detect_separation`,
        run on pairs whose maximum-likelihood fit did not converge); Firth estimates of such
        pairs are finite and kept.
    skipped_ : DataFrame
        Phecodes not tested and why.
    exposure_sd_ : Series
        SD of each raw exposure among the analysed subjects (the unit of the OR with
        ``standardize=True``).
    n_subjects_ : int
    n_groups_ : int or None
        Groups (patients) among the analysed subjects when :meth:`fit` was given ``groups``.
    n_tests_ : int
        Rows in the multiple-testing correction.
    n_exact_fits_ : int
        Pairs fitted exactly (all estimable pairs with ``test="wald"``).
    screen_threshold_ : float
        The screening threshold used (``test="score"``).
    timings_ : dict
        Seconds spent in checks, score tests, exact fits, diagnostics and in total.

    Raises
    ------
    ConfigError
        Unknown options; covariates that are collinear (named in the message).
    """

    def __init__(
        self,
        method: str = "logit",
        solver: str = "batched",
        *,
        test: str = "wald",
        screen_threshold="auto",
        screen_margin: float = 100.0,
        backend: str = "numpy",
        device=None,
        min_cases: int = 20,
        standardize: bool = False,
        alpha: float = 0.05,
        scheduler=None,
        chunk_size: int | None = None,
        phecode_map=None,
        phecode_info: pd.DataFrame | None = None,
        max_iter: int | None = None,
        tol: float | None = None,
        firth_fallback: bool = False,
        firth_test: str = "lrt",
        blas_threads: int | None = 1,
    ) -> None:
        self.method = method
        self.solver = solver
        self.test = test
        self.screen_threshold = screen_threshold
        self.screen_margin = screen_margin
        self.backend = backend
        self.device = device
        self.min_cases = min_cases
        self.standardize = standardize
        self.alpha = alpha
        self.scheduler = scheduler
        self.chunk_size = chunk_size
        self.phecode_map = phecode_map
        self.phecode_info = phecode_info
        self.max_iter = max_iter
        self.tol = tol
        self.firth_fallback = firth_fallback
        self.firth_test = firth_test
        self.blas_threads = blas_threads

    # ------------------------------------------------------------------ fitting
    def _blocks(self, O: int) -> list[slice]:
        if self.scheduler is None:
            return [slice(0, O)]
        n_workers = max(1, len(self.scheduler.scheduler_info().get("workers", {})))
        size = self.chunk_size or max(1, math.ceil(O / (2 * n_workers)))
        return [slice(s, s + size) for s in range(0, O, size)]

    def _map_blocks(self, fn, X, Y, C, masks, *args) -> dict:
        """Run ``fn(X, Y[:, block], C, mask_block, *args)`` per block of outcomes (Dask or local)."""
        O = Y.shape[1]
        blocks = self._blocks(O)
        if self.scheduler is None:
            parts = [fn(X, Y[:, sl], C, None if masks is None else masks[:, sl], *args) for sl in blocks]
        else:
            client = self.scheduler
            # hash=False: a fresh key per call; with content-hashed keys, the release of an
            # earlier call's identical scatter can race this one ("lost dependencies")
            X_f, C_f = client.scatter([X, C], broadcast=True, hash=False)
            futures = [client.submit(fn, X_f, Y[:, sl], C_f, None if masks is None else masks[:, sl],
                                     *args, pure=False) for sl in blocks]
            parts = client.gather(futures)
        keys = [k for k in parts[0] if np.ndim(parts[0][k]) == 2]
        return {k: np.concatenate([p[k] for p in parts], axis=1) for k in keys}

    def _exact(self, X, Y, C, mask, method: str) -> dict:
        if self.solver not in ("batched", "statsmodels"):
            raise ConfigError(f"solver must be 'batched' or 'statsmodels', not {self.solver!r}")
        kw = dict(method=method, backend=self.backend, device=self.device, max_iter=self.max_iter,
                  tol=self.tol, blas_threads=self.blas_threads)
        return self._map_blocks(_exact_block, X, Y, C, mask, self.solver, kw)

    def _score(self, X, Y, C) -> dict:
        return self._map_blocks(_score_task, X, Y, C, None, self.blas_threads)

    def _up_front_reasons(self, X, Xraw, Y, C, cov_names, exp_names):
        """Reasons known before fitting, per pair (E, O) object array ('' = estimable)."""
        n, E = X.shape
        O = Y.shape[1]
        valid_x = np.isfinite(X)
        yv_all = np.isfinite(Y)
        n_y = yv_all.sum(axis=0)  # (O,) subjects per outcome
        c_y = np.nansum(Y, axis=0, dtype=np.float64)
        n_cases = np.repeat(np.rint(c_y)[None, :], E, axis=0).astype(np.int64)
        n_tot = np.repeat(n_y[None, :], E, axis=0).astype(np.int64)
        incomplete = np.flatnonzero(~valid_x.all(axis=0))
        if len(incomplete):  # exposures with missing values: counts by matrix products
            vx = valid_x[:, incomplete].astype(np.float32)
            step = max(8, int(2e7 // max(n, 1)))
            for s in range(0, O, step):
                Yb = Y[:, s : s + step]
                yv = np.isfinite(Yb)
                cols = slice(s, s + Yb.shape[1])
                n_cases[incomplete, cols] = np.rint((np.where(yv, Yb, 0).astype(np.float32).T @ vx).T)
                n_tot[incomplete, cols] = np.rint((yv.astype(np.float32).T @ vx).T)
        # an exposure can only be constant among a pair's subjects when the outcome excludes at
        # least as many subjects as differ from the exposure's most frequent value
        # constant exposure over all subjects (raw values: standardising a constant gives NaN)
        lo = np.min(np.where(valid_x, Xraw, np.inf), axis=0)
        hi = np.max(np.where(valid_x, Xraw, -np.inf), axis=0)
        const_e = ~(hi - lo > 1e-12 * np.maximum(np.maximum(np.abs(lo), np.abs(hi)), 1e-300))
        const_pair = np.repeat(const_e[:, None], O, axis=1)
        n_x = valid_x.sum(axis=0)
        f_max = _mode_counts(X, valid_x, n_x, const_e)
        risky = ((n_x - f_max)[:, None] <= (n - n_y)[None, :]) & ~const_pair
        for e, o in zip(*np.nonzero(risky)):
            v = X[valid_x[:, e] & yv_all[:, o], e]
            const_pair[e, o] = len(v) == 0 or not (v.max() - v.min() > 1e-12 * max(abs(v.max()), abs(v.min()), 1e-300))
        # rank deficiency: exposure in the span of [1, C] (over its subjects)
        Z = np.column_stack([np.ones(n), C])
        rank_e = np.zeros(E, dtype=bool)
        full = valid_x.all(axis=0) & ~const_e
        idx = np.flatnonzero(full)
        Q = np.linalg.qr(Z)[0]  # [1, C] has full column rank (checked before)
        for s0 in range(0, len(idx), 64):  # least-squares residuals, 64 complete exposures at a time
            j = idx[s0 : s0 + 64]
            res = X[:, j] - Q @ (Q.T @ X[:, j])
            rank_e[j] = np.sqrt(np.mean(res * res, axis=0)) <= 1e-7 * np.maximum(X[:, j].std(axis=0), 1e-300)
        for e in np.flatnonzero(~full & ~const_e):
            rows = valid_x[:, e]
            coef, *_ = np.linalg.lstsq(Z[rows], X[rows, e], rcond=None)
            res = X[rows, e] - Z[rows] @ coef
            rank_e[e] = np.sqrt(np.mean(res * res)) <= 1e-7 * max(np.std(X[rows, e]), 1e-300)
        if rank_e.any():
            logger.warning("exposures explained exactly by the covariates %s (rank-deficient design): %s",
                           cov_names, [exp_names[e] for e in np.flatnonzero(rank_e)])
        reason = np.full((E, O), "", dtype=object)
        reason[n_cases < self.min_cases] = "too few cases"
        reason[n_tot - n_cases == 0] = "no controls"
        reason[rank_e, :] = "rank deficiency"
        reason[const_pair] = "constant exposure"
        return reason, n_cases, n_tot

    def _diagnose(self, X, Y, C, pairs) -> dict:
        """Reason of each non-converged pair: rank deficiency, separation or not converged."""
        out = {}
        for e, o in pairs:
            rows = np.isfinite(Y[:, o]) & np.isfinite(X[:, e])
            Xd = _pair_design(X[rows, e], C[rows])
            if solvers.collinear_columns(Xd):
                out[(e, o)] = "rank deficiency"
            elif solvers.detect_separation(Y[rows, o], Xd):
                out[(e, o)] = "separation"
            else:
                out[(e, o)] = "not converged"
        return out

    def _screen_threshold(self, p: np.ndarray) -> float:
        if self.screen_threshold != "auto":
            thr = float(self.screen_threshold)
            if not 0.0 <= thr <= 1.0:
                raise ConfigError(f"screen_threshold must be 'auto' or in [0, 1], not {thr}")
            return thr
        pv = np.sort(p[np.isfinite(p)])
        m = len(pv)
        if m == 0:
            return 0.0
        ok = np.flatnonzero(pv <= self.alpha * np.arange(1, m + 1) / m)
        cut = pv[ok[-1]] if len(ok) else 0.0
        return float(min(1.0, self.screen_margin * max(cut, self.alpha / m)))

    def fit(
        self,
        exposures: pd.DataFrame,
        outcomes: pd.DataFrame,
        covariates: pd.DataFrame | None = None,
        groups: pd.Series | None = None,
    ) -> "PheWAS":
        """Fit every exposure column against every outcome column.

        Parameters
        ----------
        exposures : DataFrame
            Index: subject (or ECG) id; numeric columns (prototype scores, probabilities,
            features). NaN values leave that subject out of that exposure's models.
        outcomes : DataFrame
            Same index; True/1 case, False/0 control, NA excluded (from
            :func:`~interp_ecg.phenotype.icd_to_phecodes`).
        covariates : DataFrame, optional
            Same index (age, sex, ...); text columns are one-hot encoded; subjects with a
            missing covariate are dropped (logged).
        groups : Series or array-like, optional
            Group (patient) id of each row, when rows are ECGs and a patient can have several: a
            Series indexed like ``exposures`` or an array in the order of its rows. The standard
            errors are then cluster-robust (sandwich by group; statsmodels ``cov_type="cluster"``
            with its small-sample factor G/(G-1) (N-1)/(N-K)), so that the ECGs of one patient
            are not counted as independent subjects; the estimates are the usual
            maximum-likelihood ones; Wald z, p and CI use the robust SE (``ci_method``
            ``wald-cluster``, ``SE_type`` ``cluster-robust``). The fits run one statsmodels
            model per pair (slower than the batched solver). Only ``method="logit"`` with
            ``test="wald"`` and no ``firth_fallback``: Firth's penalised likelihood and the score
            screen have no cluster-robust form here, and these combinations are refused rather
            than reported with standard errors that ignore the clustering. With one row per
            patient leave ``groups`` out (each row its own cluster gives the heteroscedasticity-
            robust SE instead of the model's).

        Raises
        ------
        ConfigError
            Unknown option values; collinear covariates (the message names them); ``groups``
            with ``method="firth"``, ``test="score"`` or ``firth_fallback``, or without a group
            id for some analysed row.
        """
        if self.blas_threads is None:
            return self._fit(exposures, outcomes, covariates, groups)
        from threadpoolctl import threadpool_limits

        # the checks' small products too: multi-threaded OpenBLAS on them costs more CPU (spinning
        # threads) than the products themselves, badly so on a busy machine
        with threadpool_limits(limits=self.blas_threads, user_api="blas"):
            return self._fit(exposures, outcomes, covariates, groups)

    def _fit(self, exposures, outcomes, covariates, groups=None) -> "PheWAS":
        """The analysis in stages: option checks and alignment, the reasons known up front, the
        score screen (``test="score"``), the exact fits, the diagnosis of failed fits, the Firth
        refits and penalised LRTs, and the summary with its multiple-testing correction."""
        self._check_options()
        if not isinstance(exposures, pd.DataFrame):
            exposures = pd.DataFrame(exposures)
        if not isinstance(outcomes, pd.DataFrame):
            outcomes = pd.DataFrame(outcomes)
        index, cov, C = self._aligned_covariates(exposures, outcomes, covariates)
        self._groups = self._group_codes(groups, exposures.index, index)
        self.n_groups_ = None if self._groups is None else int(len(np.unique(self._groups)))
        Xraw, X = self._exposure_matrix(exposures, index)
        Y, ycols = self._analysable_outcomes(outcomes, index)
        self.n_subjects_ = len(index)
        self.covariates_ = list(cov.columns)
        self.n_exact_fits_ = 0
        self.screen_threshold_ = np.nan
        if Y.shape[1] == 0 or X.shape[1] == 0:
            self.summary = pd.DataFrame(columns=SUMMARY_COLUMNS)
            self.n_tests_ = 0
            return self
        logger.info("PheWAS: %d subjects, %d exposures x %d outcomes (%s, %s, %s test)",
                    len(index), X.shape[1], Y.shape[1], self.method, self.solver, self.test)
        t_start = time.perf_counter()
        self.timings_ = {}
        reason, n_cases, n_tot = self._up_front_reasons(X, Xraw, Y, C, list(cov.columns), list(exposures.columns))
        grid = _PairGrid.unfitted(reason)
        self.timings_["checks_s"] = time.perf_counter() - t_start
        fit_mask = self._score_screen(X, Y, C, grid) if self.test == "score" else reason == ""
        self.n_exact_fits_ = int(fit_mask.sum())
        t0 = time.perf_counter()
        self._exact_fits(X, Y, C, fit_mask, grid)
        self.timings_["exact_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        self._diagnose_failed_fits(X, Y, C, fit_mask, grid)
        if (self.firth_fallback and self.method == "logit") or self.method == "firth":
            self._firth_refits(X, Y, C, fit_mask, grid)
        if self.firth_test == "lrt":
            self._firth_lrt(X, Y, C, grid)
        self.timings_["diagnostics_s"] = time.perf_counter() - t0
        n_measured = np.isfinite(X).sum(axis=0).astype(np.int64)  # (E,) subjects with the exposure
        self.summary = self._summary_table(grid, exposures.columns, ycols, n_cases, n_tot, n_measured)
        self.timings_["total_s"] = time.perf_counter() - t_start
        return self

    # -- the stages of _fit, in order --------------------------------------------------------
    def _check_options(self) -> None:
        """Refuse unknown option values (a ConfigError naming the option and the value)."""
        if self.method not in ("logit", "firth"):
            raise ConfigError(f"method must be 'logit' or 'firth', not {self.method!r}")
        if self.test not in ("wald", "score"):
            raise ConfigError(f"test must be 'wald' or 'score', not {self.test!r}")
        if self.firth_test not in ("wald", "lrt"):
            raise ConfigError(f"firth_test must be 'wald' or 'lrt', not {self.firth_test!r}")
        if self.solver not in ("batched", "statsmodels"):
            raise ConfigError(f"solver must be 'batched' or 'statsmodels', not {self.solver!r}")

    def _group_codes(self, groups, rows: pd.Index, index: pd.Index) -> np.ndarray | None:
        """Integer group code of each analysed subject (``index``), or None without ``groups``;
        refuses the options that have no cluster-robust form and subjects without a group id."""
        if groups is None:
            return None
        unsupported = [what for what, bad in (
            (f"method={self.method!r} (Firth's penalised likelihood has no cluster-robust SE here)",
             self.method != "logit"),
            (f"test={self.test!r} (the score screen's unrefitted rows would keep model-based p-values)",
             self.test != "wald"),
            ("firth_fallback=True (its Firth refits have no cluster-robust SE)", self.firth_fallback),
        ) if bad]
        if unsupported:
            raise ConfigError("groups (cluster-robust SEs by patient) work with method='logit', test='wald' "
                              "only; not with " + "; ".join(unsupported))
        if not isinstance(groups, pd.Series):
            groups = np.asarray(groups)
            if len(groups) != len(rows):
                raise ConfigError(f"groups has {len(groups)} values for {len(rows)} exposure rows")
            groups = pd.Series(groups, index=rows)
        codes, _ = pd.factorize(groups.reindex(index))
        if (codes < 0).any():
            raise ConfigError(f"groups: {int((codes < 0).sum())} of {len(index)} analysed subjects have no "
                              f"group id (e.g. {list(index[codes < 0][:5])}); give every row its patient id")
        return codes

    @staticmethod
    def _aligned_covariates(exposures: pd.DataFrame, outcomes: pd.DataFrame, covariates):
        """The subjects of all three tables with complete covariates (the others dropped, logged),
        their numeric covariate table and its (n, k) matrix; a collinear design is refused up
        front, naming the columns."""
        for name, t in (("exposures", exposures), ("outcomes", outcomes), ("covariates", covariates)):
            if t is not None and not t.index.is_unique:
                dup = t.index[t.index.duplicated()].unique()
                raise ConfigError(
                    f"{name}: {len(dup)} subject ids appear more than once (e.g. {', '.join(map(str, dup[:2]))}); "
                    "give one row per subject (e.g. interp_ecg.phenotype.select_ecgs(..., 'first')), or index the "
                    "tables by ECG and pass groups= the patient of each row for cluster-robust errors")
        index = exposures.index.intersection(outcomes.index, sort=False)
        if covariates is not None:
            index = index.intersection(covariates.index, sort=False)
        if len(index) and len(index) < len(exposures.index):
            no_out = int((~exposures.index.isin(outcomes.index)).sum())
            no_cov = 0 if covariates is None else int((~exposures.index.isin(covariates.index)).sum())
            parts = [f"{no_out} no row in the outcomes"] if no_out else []
            if no_cov:
                parts.append(f"{no_cov} no row in the covariates")
            _warn(f"{len(exposures.index) - len(index)} of {len(exposures.index)} subjects of the exposures have no "
                  f"row in the outcomes{'' if covariates is None else ' or the covariates'} ({', '.join(parts)}): "
                  "left out of every test")
        if len(index) == 0:
            tables = [("exposures", exposures), ("outcomes", outcomes)]
            if covariates is not None:
                tables.append(("covariates", covariates))
            kinds = {name: ("text" if pd.api.types.is_object_dtype(t.index.dtype)
                            or pd.api.types.is_string_dtype(t.index.dtype) else str(t.index.dtype))
                     for name, t in tables}
            hint = ""
            if len(set(kinds.values())) > 1:
                hint = (" - their subject ids are of different kinds (" + ", ".join(f"{k}: {v}" for k, v in kinds.items())
                        + "); ids are text: read them with interp_ecg.io.as_id_strings")
            raise ConfigError("exposures, outcomes and covariates share no index values" + hint)
        cov = prepare_covariates(covariates, index)
        complete = cov.notna().all(axis=1).to_numpy()
        if (~complete).any():
            raw = covariates.reindex(index)
            per = raw.isna().sum()
            per = per[per > 0]
            _warn(f"dropping {int((~complete).sum())} of {len(index)} subjects with missing covariates (missing: "
                  + ", ".join(f"{k} {v}" for k, v in per.head(8).items()) + "): left out of every test")
        index = index[complete]
        cov = cov.loc[index]
        C = cov.to_numpy(dtype=float)
        bad = solvers.collinear_columns(np.column_stack([np.ones(len(index)), C]),
                                        ["(intercept)", *map(str, cov.columns)])
        if bad:
            raise ConfigError(
                f"the covariates are collinear (rank-deficient design): {', '.join(map(str, bad))} "
                "- one is a linear combination of the others (or constant); drop one of them"
            )
        return index, cov, C

    def _exposure_matrix(self, exposures: pd.DataFrame, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
        """The (n, E) float64 exposures of ``index`` (non-finite values as NaN) and the matrix the
        models use: the same array, or a new standardised one (the raw one is never modified)."""
        pos = exposures.index.get_indexer(index)
        if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in exposures.dtypes):
            Xraw = exposures.to_numpy(dtype=np.float64, na_value=np.nan)[pos]  # one copy at most
        else:
            Xraw = exposures.iloc[pos].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        inf = np.isinf(Xraw)
        if inf.any():
            per = pd.Series(inf.sum(axis=0), index=exposures.columns)
            per = per[per > 0]
            _warn(f"{int(inf.sum())} infinite exposure values treated as missing (those subjects left out of that "
                  f"exposure's tests): " + ", ".join(f"{k} {v}" for k, v in per.head(5).items()))
        Xraw[~np.isfinite(Xraw)] = np.nan
        X = Xraw
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an exposure missing in all: NaN
            self.exposure_sd_ = pd.Series(np.nanstd(Xraw, axis=0), index=exposures.columns, name="sd")
        if self.standardize:
            with np.errstate(divide="ignore", invalid="ignore"):
                sd = np.nanstd(X, axis=0)
                X = (X - np.nanmean(X, axis=0)) / np.where(sd > 0, sd, 1.0)
        return Xraw, X

    def _analysable_outcomes(self, outcomes: pd.DataFrame, index: pd.Index) -> tuple[np.ndarray, pd.Index]:
        """The (n, O) outcome matrix (1 case, 0 control, NaN excluded) of the phecodes with at
        least ``min_cases`` cases, and their names; the others go to ``skipped_`` with the reason."""
        Y = _outcome_matrix(outcomes, outcomes.index.get_indexer(index))
        n_cases_o = np.nansum(Y, axis=0, dtype=np.float64)
        keep = n_cases_o >= self.min_cases
        self.skipped_ = pd.DataFrame(
            {"phecode": outcomes.columns[~keep], "n_cases": n_cases_o[~keep].astype(int),
             "reason": f"fewer than {self.min_cases} cases"}
        )
        if (~keep).any():
            msg = (f"{int((~keep).sum())} of {len(keep)} phecodes have fewer than min_cases={self.min_cases} "
                   f"cases (most: {int(n_cases_o.max()) if len(n_cases_o) else 0}) and are not tested; "
                   "they are listed in skipped_")
            if keep.any():
                logger.info(msg)
            else:  # an empty summary must not pass unnoticed
                warnings.warn("no phecode is tested: " + msg, stacklevel=3)
        return Y[:, keep], outcomes.columns[keep]

    def _score_screen(self, X, Y, C, grid: "_PairGrid") -> np.ndarray:
        """Score tests of every pair (kept in ``grid``); returns the (E, O) mask of the pairs to
        fit exactly: those at or below the screening threshold, and those whose null model gave
        no score variance."""
        estimable = grid.reason == ""
        t0 = time.perf_counter()
        sc = self._score(X, Y, C)
        self.timings_["score_s"] = time.perf_counter() - t0
        null_bad = ~np.isfinite(sc["V"]) & estimable
        sc_ok = estimable & np.isfinite(sc["p"])
        self.screen_threshold_ = self._screen_threshold(np.where(sc_ok, sc["p"], np.nan))
        fit_mask = sc_ok & (sc["p"] <= self.screen_threshold_)
        grid.beta[sc_ok], grid.se[sc_ok] = sc["beta"][sc_ok], sc["se"][sc_ok]
        grid.z[sc_ok], grid.p[sc_ok] = sc["z"][sc_ok], sc["p"][sc_ok]
        grid.conv[sc_ok] = True
        grid.test[sc_ok] = "score"
        # a score variance of 0 among the pair's subjects: the exact fit decides
        fit_mask |= null_bad
        logger.info("score screening: %d of %d pairs at p <= %.3g refitted exactly",
                    int(fit_mask.sum()), int(estimable.sum()), self.screen_threshold_)
        return fit_mask

    def _exact_fits(self, X, Y, C, fit_mask: np.ndarray, grid: "_PairGrid") -> None:
        """Exact fits (``method``) of the pairs in ``fit_mask``, with their Wald z and p."""
        if not fit_mask.any():
            return
        if self._groups is not None:
            res = _cluster_fits(X, Y, C, fit_mask, self._groups)
            few = fit_mask & res["converged"] & (res["n_groups"] < 30)
            if few.any():
                logger.warning("%d pairs have fewer than 30 groups: cluster-robust SEs from few clusters "
                               "are too small (p too low)", int(few.sum()))
        else:
            full = fit_mask.all() or (self.test == "wald" and self.solver == "batched")
            res = self._exact(X, Y, C, None if full else fit_mask, self.method)
        m = fit_mask & res["converged"]
        grid.beta[fit_mask], grid.se[fit_mask] = np.nan, np.nan
        grid.beta[m], grid.se[m] = res["beta"][m], res["se"][m]
        grid.conv[fit_mask] = res["converged"][fit_mask]
        grid.test[fit_mask] = "wald"
        with np.errstate(divide="ignore", invalid="ignore"):
            grid.z[fit_mask] = grid.beta[fit_mask] / grid.se[fit_mask]
        grid.p[fit_mask] = 2.0 * stats.norm.sf(np.abs(grid.z[fit_mask]))

    def _diagnose_failed_fits(self, X, Y, C, fit_mask: np.ndarray, grid: "_PairGrid") -> None:
        """Reason and separation flag of the pairs whose maximum-likelihood fit failed. With
        ``method="firth"`` the ML fit is run for this alone: a separated pair keeps its (finite)
        Firth estimate, and only rank deficiency or a Firth fit that failed removes it."""
        firth = self.method == "firth"
        if firth:
            grid.is_firth[fit_mask] = True
            ml = self._exact(X, Y, C, fit_mask if not fit_mask.all() else None, "logit")
            failed = fit_mask & ~ml["converged"]
        else:
            failed = fit_mask & ~grid.conv
        diag = self._diagnose(X, Y, C, list(zip(*map(lambda a: a.tolist(), np.nonzero(failed)))))
        for (e, o), why in diag.items():
            grid.separation[e, o] = why == "separation"
            if not firth or why == "rank deficiency":
                grid.reason[e, o] = why
        if firth:
            grid.reason[fit_mask & ~grid.conv & (grid.reason == "")] = "not converged"

    def _firth_refits(self, X, Y, C, fit_mask: np.ndarray, grid: "_PairGrid") -> None:
        """``firth_fallback``: refit the separated or non-converged ML pairs with Firth (one
        model at a time), with Wald z and p until :meth:`_firth_lrt` replaces them. With
        ``method="firth"``: refit, the same way, the pairs whose batched Firth fit did not converge
        (:func:`~interp_ecg.phenotype.solvers.firth_logit` halves steps that would cycle)."""
        redo = fit_mask & np.isin(grid.reason, ["separation", "not converged"])
        if not redo.any():
            return
        pairs = [(int(e), int(o)) for e, o in zip(*np.nonzero(redo))]
        logger.info("refitting %d non-converged pairs with Firth", len(pairs))
        fx = solvers.fit_grid_statsmodels(X, Y, C, method="firth", pairs=pairs)
        for e, o in pairs:
            grid.beta[e, o], grid.se[e, o] = fx["beta"][e, o], fx["se"][e, o]
            grid.conv[e, o] = fx["converged"][e, o]
            grid.is_firth[e, o] = True
            grid.reason[e, o] = "" if grid.conv[e, o] else "not converged"
            grid.z[e, o] = grid.beta[e, o] / grid.se[e, o]
            grid.p[e, o] = 2.0 * stats.norm.sf(abs(grid.z[e, o]))

    def _firth_lrt(self, X, Y, C, grid: "_PairGrid") -> None:
        """Penalised likelihood-ratio p-values of the converged Firth pairs (signed root of the
        statistic as z) and the profile penalised-likelihood 95% intervals that invert the same
        test; a pair whose null fit fails becomes ``not converged``."""
        lrt = grid.is_firth & grid.conv & (grid.reason == "")
        if not lrt.any():
            return
        E, O = lrt.shape
        stat_all = np.full((E, O), np.nan)
        ok_all = np.zeros((E, O), dtype=bool)
        lo_all = np.full((E, O), np.nan)
        hi_all = np.full((E, O), np.nan)
        if self.solver == "batched":  # all pairs of an exposure at once
            rows_e, cols_o = np.flatnonzero(lrt.any(axis=1)), np.flatnonzero(lrt.any(axis=0))
            sub = lrt[np.ix_(rows_e, cols_o)]
            res = solvers.firth_lrt_grid(X[:, rows_e], Y[:, cols_o], C, mask=sub, ci_level=0.95)
            stat_all[np.ix_(rows_e, cols_o)] = res["stat"]
            ok_all[np.ix_(rows_e, cols_o)] = res["converged"]
            lo_all[np.ix_(rows_e, cols_o)] = res["ci_low"]
            hi_all[np.ix_(rows_e, cols_o)] = res["ci_high"]
        else:  # the reference: one model at a time
            for e, o in zip(*np.nonzero(lrt)):
                rows = np.isfinite(Y[:, o]) & np.isfinite(X[:, e])
                yv, Xd = Y[rows, o].astype(np.float64), _pair_design(X[rows, e], C[rows])
                stat_all[e, o], _, ok_all[e, o] = solvers.firth_lrt(yv, Xd, 1)
                lo_all[e, o], hi_all[e, o], _ = solvers.firth_profile_ci(yv, Xd, 1, 0.95)
        ok = lrt & ok_all
        grid.p[ok] = stats.chi2.sf(stat_all[ok], 1)
        grid.ci_low[ok], grid.ci_high[ok] = lo_all[ok], hi_all[ok]
        no_ci = ok & ~(np.isfinite(lo_all) & np.isfinite(hi_all))
        if no_ci.any():
            logger.warning("%d Firth pairs: an end of the profile penalised-likelihood interval was not found "
                           "(constrained fits did not converge); it is NaN, ci_method says which", int(no_ci.sum()))
        grid.z[ok] = np.sign(grid.beta[ok]) * np.sqrt(stat_all[ok])
        grid.test[lrt] = "lrt"
        grid.reason[lrt & ~ok_all] = "not converged"

    def _summary_table(self, grid: "_PairGrid", exp_cols, ycols, n_cases, n_tot, n_measured) -> pd.DataFrame:
        """The tidy summary sorted by p: rows without an estimate say why and carry no numbers;
        q (Benjamini-Hochberg) and Bonferroni over the tested rows (``n_tests_``). ``n_excluded``:
        subjects with the exposure whose outcome is NA (neither case nor control), so that
        ``n_cases + n_controls + n_excluded`` is the subjects analysed for that exposure."""
        E, O = grid.reason.shape
        bad = grid.reason != ""
        for arr in (grid.beta, grid.se, grid.z, grid.p):
            arr[bad] = np.nan
        grid.conv[bad] = False
        grid.test[bad] = ""
        info = _phecode_info(self.phecode_map, self.phecode_info, ycols)
        zc = stats.norm.ppf(0.975)
        b, s_ = grid.beta.ravel(), grid.se.ravel()
        t = grid.test.ravel()
        clustered = getattr(self, "_groups", None) is not None
        ci_method = np.select([t == "wald", t == "lrt", t == "score"],
                              ["wald-cluster" if clustered else "wald", "profile-penalised-LR",
                               "one-step score (not refitted)"], "").astype(object)
        low, high = b - zc * s_, b + zc * s_
        prof = t == "lrt"
        low[prof], high[prof] = grid.ci_low.ravel()[prof], grid.ci_high.ravel()[prof]
        # an end not found (the constrained fits far out did not converge: a numerical failure,
        # the end exists) stays NaN and is named, never inf or a Wald fallback; the other end is kept
        for arr, end in ((low, "lower"), (high, "upper")):
            gone = prof & ~np.isfinite(arr)
            ci_method[gone] = ci_method[gone] + f"; {end} end not found (constrained fits did not converge)"
        both = prof & ~np.isfinite(low) & ~np.isfinite(high)
        ci_method[both] = "none: profile penalised-likelihood interval not found (constrained fits did not converge)"
        df = pd.DataFrame(
            {
                "exposure": np.repeat(np.asarray(exp_cols, dtype=object), O),
                "phecode": np.tile(np.asarray(ycols, dtype=object), E),
                "description": np.tile(info["description"].to_numpy(dtype=object), E),
                "category": np.tile(info["category"].to_numpy(dtype=object), E),
                "n_cases": n_cases.ravel(),
                "n_controls": (n_tot - n_cases).ravel(),
                "n_excluded": (n_measured[:, None] - n_tot).ravel(),
                "beta": b,
                "SE": s_,
                "OR": np.exp(b),
                "OR_low": np.exp(low),
                "OR_high": np.exp(high),
                "or_scale": "per SD" if self.standardize else "per unit",
                "z": grid.z.ravel(),
                "p": grid.p.ravel(),
                "test": t,
                "ci_method": ci_method,
                "SE_type": np.where(t == "", "", "cluster-robust" if clustered else "model"),
            }
        )
        tested = (~bad).ravel() & np.isfinite(df["p"].to_numpy())
        n_tests = int(tested.sum())
        df["q"] = benjamini_hochberg(np.where(tested, df["p"], np.nan))
        df["bonferroni"] = tested & (df["p"].to_numpy() < self.alpha / max(n_tests, 1))
        df["converged"] = grid.conv.ravel()
        df["separation"] = grid.separation.ravel()
        df["reason"] = grid.reason.ravel()
        # the model behind each row's numbers: score-screened rows not refitted carry the score
        # test and one-step estimate of the maximum-likelihood covariate-only model, whatever
        # ``method`` the refitted rows use
        df["method"] = np.where(grid.is_firth.ravel(), "firth", np.where(t == "score", "logit", self.method))
        self.n_tests_ = n_tests
        if bad.any():
            counts = pd.Series(grid.reason[bad]).value_counts()
            logger.info("pairs not estimated: %s", ", ".join(f"{k} {v}" for k, v in counts.items()))
        return df[SUMMARY_COLUMNS].sort_values("p", kind="stable", ignore_index=True)

    # ------------------------------------------------------------------ display
    def plot(self, ax=None, **kwargs):
        """Manhattan plot of the summary; returns the matplotlib axes."""
        from interp_ecg.phenotype.plots import plot_manhattan

        return plot_manhattan(self.summary, alpha=self.alpha, ax=ax, **kwargs)

    def __repr__(self) -> str:
        if not hasattr(self, "summary"):
            return f"PheWAS(method={self.method!r}, solver={self.solver!r})"
        s = self.summary
        return (
            f"PheWAS(method={self.method!r}, solver={self.solver!r}): {self.n_subjects_} subjects, "
            f"{self.n_tests_} tests ({len(s) - self.n_tests_} pairs not estimated, see 'reason'), "
            f"{int(s['bonferroni'].sum())} Bonferroni-significant, "
            f"{int((s['q'] < self.alpha).sum())} at FDR {self.alpha}\n"
            + s.head(10).to_string(index=False, max_colwidth=40)
        )

    def _repr_html_(self) -> str:
        if not hasattr(self, "summary"):
            return f"<p>{self.__repr__()}</p>"
        s = self.summary
        head = (
            f"<p><b>PheWAS</b> ({self.method}, {self.solver}): {self.n_subjects_} subjects, "
            f"{self.n_tests_} tests ({len(s) - self.n_tests_} pairs not estimated, see 'reason'), "
            f"{int(s['bonferroni'].sum())} Bonferroni-significant, "
            f"{int((s['q'] < self.alpha).sum())} at FDR {self.alpha}</p>"
        )
        return head + s.head(20).to_html(index=False, float_format=lambda v: f"{v:.3g}")


def phewas(
    exposures: pd.DataFrame,
    outcomes: pd.DataFrame,
    covariates: pd.DataFrame | None = None,
    method: str = "logit",
    solver: str = "batched",
    groups: pd.Series | None = None,
    **kwargs,
) -> pd.DataFrame:
    """Tidy PheWAS summary: one row per exposure x phecode.

    Columns: exposure, phecode, description, category, n_cases, n_controls, n_excluded
    (subjects with the exposure who are neither case nor control for the phecode: fewer than
    ``min_code_count`` occurrences, a Phecode 1.2 exclude range, a sex restriction; so
    n_cases + n_controls + n_excluded = the subjects analysed for the exposure), beta, SE, OR,
    OR_low, OR_high (95% CI), or_scale (``per SD`` of the exposure with ``standardize=True``,
    else ``per unit``), z, p, test (which test gave p: ``wald``, ``lrt`` or ``score``),
    ci_method (how the CI was obtained, see ``CI_METHODS``: the interval that inverts the row's
    test - ``wald``, ``wald-cluster`` with ``groups``, ``profile-penalised-LR`` for Firth LRT rows, ``one-step score (not
    refitted)`` for score-screened rows, whose CI is an approximation), SE_type (``model``: from
    the fitted model's information; ``cluster-robust``: sandwich by the ``groups`` passed to
    :meth:`PheWAS.fit`; empty for rows without an estimate),
    q (Benjamini-Hochberg over the estimated rows), bonferroni (p < alpha / number of
    estimated rows), converged, separation, reason (why a row has no estimate, empty when it
    has one; such rows are left out of q and bonferroni), method (the model behind the row's
    numbers: ``firth``, or ``logit`` - also for score-screened rows not refitted, whose score
    test and one-step estimate come from the maximum-likelihood null model even with
    ``method="firth"``). Subjects with NA for a
    phecode are left out of that phecode's models. ``groups`` (patient of each row): cluster-robust
    standard errors, see :meth:`PheWAS.fit`. Keyword arguments go to :class:`PheWAS`
    (``test="score"`` for score-test screening of large grids).

    Examples
    --------
    >>> from interp_ecg.phenotype import phewas
    >>> from interp_ecg.phenotype.synthetic import simulate_phewas_data
    >>> d = simulate_phewas_data(2000, 3, 4, planted=[("x0", "P000", 0.8)], random_state=0)
    >>> res = phewas(d["exposures"], d["outcomes"], d["covariates"])
    >>> top = res.iloc[0]
    >>> (top["exposure"], top["phecode"], bool(top["bonferroni"]))
    ('x0', 'P000', True)
    """
    return PheWAS(method=method, solver=solver, **kwargs).fit(exposures, outcomes, covariates, groups).summary
