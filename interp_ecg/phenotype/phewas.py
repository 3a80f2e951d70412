"""PheWAS: every exposure against every phecode, adjusted for covariates.

:func:`phewas` returns the tidy summary table; :class:`PheWAS` is the same analysis as an
object (lifelines style) with ``.summary``, ``.plot(ax=None)`` (Manhattan) and an HTML repr.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from scipy import stats

from interp_ecg.errors import ConfigError
from interp_ecg.phenotype import solvers

logger = logging.getLogger(__name__)

__all__ = ["PheWAS", "phewas", "benjamini_hochberg", "prepare_covariates"]

SUMMARY_COLUMNS = [
    "exposure",
    "phecode",
    "description",
    "category",
    "n_cases",
    "n_controls",
    "beta",
    "SE",
    "OR",
    "OR_low",
    "OR_high",
    "z",
    "p",
    "q",
    "bonferroni",
    "converged",
    "method",
]


def benjamini_hochberg(p) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q); NaN stays NaN.

    Examples
    --------
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


class PheWAS:
    """Exposures x phecodes logistic (or Firth) regressions with covariates.

    Parameters
    ----------
    method : {"logit", "firth"}
        Maximum-likelihood logistic regression, or Firth-penalised (rare outcomes, separation).
        Both report Wald tests with the standard error from the fitted information matrix.
    solver : {"batched", "statsmodels"}
        ``"batched"``: :func:`~interp_ecg.phenotype.solvers.fit_grid_batched` (fast, same
        estimates); ``"statsmodels"``: one statsmodels ``Logit`` per pair (reference; for
        ``method="firth"`` one :func:`~interp_ecg.phenotype.solvers.firth_logit` per pair).
    backend : {"numpy", "torch"}
        Array library of the batched solver; torch uses the GPU when one is present.
    min_cases : int, default 20
        Phecodes with fewer cases among analysable subjects are skipped (listed in ``skipped_``).
    standardize : bool, default False
        Scale each exposure to mean 0, SD 1 first (odds ratios per SD).
    alpha : float, default 0.05
        For the Bonferroni column (``p < alpha / n_tests``) and the FDR line of the plot.
    scheduler : dask.distributed.Client, optional
        Run exposure chunks on a Dask cluster.
    firth_fallback : bool, default False
        With ``method="logit"``, refit the pairs whose maximum-likelihood fit did not converge
        (separation, very rare outcomes) with Firth's penalised likelihood; their ``method``
        column says ``"firth"``.
    firth_test : {"wald", "lrt"}, default "wald"
        P-values of Firth-fitted pairs: Wald, or the penalised likelihood-ratio test
        (:func:`~interp_ecg.phenotype.solvers.firth_lrt`; two Firth fits per pair, one model at
        a time - slower, better calibrated under separation). ``z`` is then the signed root of
        the statistic; SE and CI stay Wald.
    phecode_map, phecode_info
        Descriptions and categories for the summary (a :class:`PhecodeMap`, or a DataFrame
        indexed by phecode with ``description`` and ``category``).

    Attributes
    ----------
    summary : DataFrame
        One row per exposure x phecode (columns in ``SUMMARY_COLUMNS``), sorted by p.
    skipped_ : DataFrame
        Phecodes not tested and why.
    n_subjects_ : int
    """

    def __init__(
        self,
        method: str = "logit",
        solver: str = "batched",
        *,
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
        firth_test: str = "wald",
    ) -> None:
        self.method = method
        self.solver = solver
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

    # ------------------------------------------------------------------ fitting
    def _solve(self, X: np.ndarray, Y: np.ndarray, C: np.ndarray) -> dict:
        if self.solver == "statsmodels":
            return solvers.fit_grid_statsmodels(X, Y, C, method=self.method)
        if self.solver != "batched":
            raise ConfigError(f"solver must be 'batched' or 'statsmodels', not {self.solver!r}")
        kw = dict(method=self.method, backend=self.backend, device=self.device,
                  max_iter=self.max_iter, tol=self.tol)
        if self.scheduler is None:
            return solvers.fit_grid_batched(X, Y, C, **kw)
        client = self.scheduler
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        E = X.shape[1]
        size = self.chunk_size or max(1, math.ceil(E / (2 * n_workers)))
        Y_f, C_f = client.scatter([Y, C], broadcast=True)
        futures = [
            client.submit(solvers.fit_grid_batched, X[:, s : s + size], Y_f, C_f, pure=False, **kw)
            for s in range(0, E, size)
        ]
        parts = client.gather(futures)
        return {k: np.concatenate([p[k] for p in parts], axis=0) for k in parts[0]}

    def fit(
        self,
        exposures: pd.DataFrame,
        outcomes: pd.DataFrame,
        covariates: pd.DataFrame | None = None,
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
        """
        if self.method not in ("logit", "firth"):
            raise ConfigError(f"method must be 'logit' or 'firth', not {self.method!r}")
        if not isinstance(exposures, pd.DataFrame):
            exposures = pd.DataFrame(exposures)
        if not isinstance(outcomes, pd.DataFrame):
            outcomes = pd.DataFrame(outcomes)
        index = exposures.index.intersection(outcomes.index, sort=False)
        if covariates is not None:
            index = index.intersection(covariates.index, sort=False)
        if len(index) == 0:
            raise ConfigError("exposures, outcomes and covariates share no index values")
        cov = prepare_covariates(covariates, index)
        complete = cov.notna().all(axis=1).to_numpy()
        if (~complete).any():
            logger.warning("dropping %d subjects with missing covariates", int((~complete).sum()))
        index = index[complete]
        cov = cov.loc[index]
        Xdf = exposures.loc[index].apply(pd.to_numeric, errors="coerce").astype(float)
        X = np.array(Xdf.to_numpy(dtype=float), copy=True)
        X[~np.isfinite(X)] = np.nan
        if self.standardize:
            X = (X - np.nanmean(X, axis=0)) / np.nanstd(X, axis=0)
        Ydf = outcomes.loc[index]
        Y = Ydf.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        n_cases_o = np.nansum(Y, axis=0)
        keep = n_cases_o >= self.min_cases
        self.skipped_ = pd.DataFrame(
            {"phecode": Ydf.columns[~keep], "n_cases": n_cases_o[~keep].astype(int),
             "reason": f"fewer than {self.min_cases} cases"}
        )
        Y = Y[:, keep]
        ycols = Ydf.columns[keep]
        C = cov.to_numpy(dtype=float)
        self.n_subjects_ = len(index)
        self.covariates_ = list(cov.columns)
        if Y.shape[1] == 0 or X.shape[1] == 0:
            self.summary = pd.DataFrame(columns=SUMMARY_COLUMNS)
            return self
        logger.info("PheWAS: %d subjects, %d exposures x %d phecodes (%s, %s)",
                    len(index), X.shape[1], Y.shape[1], self.method, self.solver)
        res = self._solve(X, Y, C)
        firth_rows = np.zeros(res["beta"].shape, dtype=bool)
        if self.firth_fallback and self.method == "logit" and not res["converged"].all():
            pairs = [(int(e), int(o)) for e, o in zip(*np.nonzero(~res["converged"]))]
            logger.info("refitting %d non-converged pairs with Firth", len(pairs))
            fx = solvers.fit_grid_statsmodels(X, Y, C, method="firth", pairs=pairs)
            for e, o in pairs:
                for k in ("beta", "se", "converged"):
                    res[k][e, o] = fx[k][e, o]
                firth_rows[e, o] = True
        # counts of analysable cases / controls per pair
        valid_x = np.isfinite(X).astype(float)
        yv = np.isfinite(Y)
        n_cases = (np.where(yv, Y, 0.0).T @ valid_x).T
        n_tot = (yv.astype(float).T @ valid_x).T
        E, O = res["beta"].shape
        info = _phecode_info(self.phecode_map, self.phecode_info, ycols)
        beta = res["beta"].ravel()
        se = res["se"].ravel()
        z = beta / se
        p = 2.0 * stats.norm.sf(np.abs(z))
        is_firth = firth_rows | (self.method == "firth")
        if self.firth_test == "lrt" and is_firth.any():
            E_, O_ = res["beta"].shape
            for e, o in zip(*np.nonzero(is_firth & res["converged"])):
                rows = np.isfinite(Y[:, o]) & np.isfinite(X[:, e])
                Xd = solvers._drop_constant(np.column_stack([np.ones(rows.sum()), X[rows, e], C[rows]]))
                stat, pv, ok = solvers.firth_lrt(Y[rows, o], Xd, 1)
                k = e * O_ + o
                p[k] = pv if ok else np.nan
                z[k] = np.sign(beta[k]) * np.sqrt(stat) if ok else np.nan
        elif self.firth_test not in ("wald", "lrt"):
            raise ConfigError(f"firth_test must be 'wald' or 'lrt', not {self.firth_test!r}")
        zc = stats.norm.ppf(0.975)
        df = pd.DataFrame(
            {
                "exposure": np.repeat(np.asarray(Xdf.columns, dtype=object), O),
                "phecode": np.tile(np.asarray(ycols, dtype=object), E),
                "description": np.tile(info["description"].to_numpy(dtype=object), E),
                "category": np.tile(info["category"].to_numpy(dtype=object), E),
                "n_cases": n_cases.ravel().astype(int),
                "n_controls": (n_tot - n_cases).ravel().astype(int),
                "beta": beta,
                "SE": se,
                "OR": np.exp(beta),
                "OR_low": np.exp(beta - zc * se),
                "OR_high": np.exp(beta + zc * se),
                "z": z,
                "p": p,
            }
        )
        df["converged"] = res["converged"].ravel()
        n_tests = int(np.isfinite(p).sum())
        df["q"] = benjamini_hochberg(p)
        df["bonferroni"] = p < (self.alpha / max(n_tests, 1))
        df["method"] = np.where(firth_rows.ravel(), "firth", self.method)
        self.n_tests_ = n_tests
        self.summary = df[SUMMARY_COLUMNS].sort_values("p", kind="stable", ignore_index=True)
        return self

    # ------------------------------------------------------------------ display
    def plot(self, ax=None, **kwargs):
        """Manhattan plot of the summary; returns the matplotlib axes."""
        from interp_ecg.phenotype.plots import ManhattanPlot

        return ManhattanPlot(self.summary, alpha=self.alpha, **kwargs).plot(ax=ax).ax_

    def __repr__(self) -> str:
        if not hasattr(self, "summary"):
            return f"PheWAS(method={self.method!r}, solver={self.solver!r})"
        s = self.summary
        return (
            f"PheWAS(method={self.method!r}, solver={self.solver!r}): {self.n_subjects_} subjects, "
            f"{len(s)} tests, {int(s['bonferroni'].sum())} Bonferroni-significant, "
            f"{int((s['q'] < self.alpha).sum())} at FDR {self.alpha}\n"
            + s.head(10).to_string(index=False, max_colwidth=40)
        )

    def _repr_html_(self) -> str:
        if not hasattr(self, "summary"):
            return f"<p>{self.__repr__()}</p>"
        s = self.summary
        head = (
            f"<p><b>PheWAS</b> ({self.method}, {self.solver}): {self.n_subjects_} subjects, "
            f"{len(s)} tests, {int(s['bonferroni'].sum())} Bonferroni-significant, "
            f"{int((s['q'] < self.alpha).sum())} at FDR {self.alpha}</p>"
        )
        return head + s.head(20).to_html(index=False, float_format=lambda v: f"{v:.3g}")


def phewas(
    exposures: pd.DataFrame,
    outcomes: pd.DataFrame,
    covariates: pd.DataFrame | None = None,
    method: str = "logit",
    solver: str = "batched",
    **kwargs,
) -> pd.DataFrame:
    """Tidy PheWAS summary: one row per exposure x phecode.

    Columns: exposure, phecode, description, category, n_cases, n_controls, beta, SE, OR,
    OR_low, OR_high (95% CI), z, p (Wald), q (Benjamini-Hochberg over all tests), bonferroni
    (p < alpha / number of tests), converged, method. Subjects with NA for a phecode are left
    out of that phecode's models. Keyword arguments go to :class:`PheWAS`.

    Examples
    --------
    >>> from interp_ecg.phenotype.synthetic import simulate_phewas_data
    >>> d = simulate_phewas_data(2000, 3, 4, planted=[("x0", "P000", 0.8)], random_state=0)
    >>> res = phewas(d["exposures"], d["outcomes"], d["covariates"])
    >>> top = res.iloc[0]
    >>> (top["exposure"], top["phecode"], bool(top["bonferroni"]))
    ('x0', 'P000', True)
    """
    return PheWAS(method=method, solver=solver, **kwargs).fit(exposures, outcomes, covariates).summary
