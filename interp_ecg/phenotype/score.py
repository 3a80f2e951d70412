"""Score tests of every exposure x outcome pair from one null model per outcome.

The two-step design of genome-wide scans (the score tests of PLINK 2, the first step of
SAIGE and REGENIE), applied to a PheWAS grid: for outcome ``o`` the covariate-only model
``logit P(y_o = 1) = a_o + c_o' C`` is fitted once (:func:`~interp_ecg.phenotype.solvers.fit_null_models`);
for exposure ``x`` the efficient score statistic of ``b_x = 0`` in ``logit P = a + b_x x + c'C`` is

    U = x'(y - mu) - x'W Z (Z'W Z)^{-1} Z'(y - mu)        (the second term is 0 at the null MLE)
    V = x'W x - x'W Z (Z'W Z)^{-1} Z'W x                  (its variance under the null)

with ``Z = [1, C]``, ``mu`` the null model's fitted probabilities and ``W = diag(mu (1 - mu))``,
all over the subjects analysable for the pair. ``U / sqrt(V)`` is standard normal under the
null (Rao 1948). For all pairs these are a handful of matrix products of the ``(O, n)`` weight
and residual matrices with the ``(n, E)`` exposure matrix, done in blocks of outcomes.

Without missing exposure values the statistic is exact (equal to a per-pair computation from
a statsmodels null fit). Subjects with a missing exposure value leave the pair: the sums then
run over the remaining subjects (masked products) and the residual term of ``U`` is the
one-step correction of the null model to that subset, but the weights still come from the
null model of all the outcome's subjects, so ``V`` is then an approximation (about 1% off
with 5% missing values in our check); pairs near the screening threshold are refitted exactly
anyway.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import stats

from interp_ecg.phenotype.solvers import fit_null_models

logger = logging.getLogger(__name__)

__all__ = ["score_test_grid"]


def score_test_grid(X, Y, C=None, *, outcome_block: int | None = None,
                    blas_threads: int | None = None) -> dict:
    """Score test of ``b_x = 0`` for every exposure column of ``X`` and outcome column of ``Y``.

    Parameters
    ----------
    X : array (n, E)
        Exposures; NaN leaves the subject out of that exposure's pairs.
    Y : array (n, O)
        Outcomes 0/1, NaN excluded (any dtype that converts to float).
    C : array (n, q), optional
        Finite covariates (no intercept).
    outcome_block : int, optional
        Outcomes processed together (memory ~ 4 arrays of ``outcome_block x n`` doubles);
        default ``2e7 / n``.
    blas_threads : int, optional
        Limit BLAS threads while computing (default: as found).

    Returns
    -------
    dict of arrays shaped (E, O): ``z`` (U / sqrt(V)), ``p`` (two-sided, normal), ``U``,
    ``V``, ``beta`` and ``se`` (the one-step estimate ``U / V`` from the null model and
    ``1 / sqrt(V)``: an approximation of the maximum-likelihood estimate, good for small
    effects); and ``null_converged`` (O,). Pairs with ``V`` at or below 1e-12 of ``x'Wx``
    (exposure constant or explained by the covariates among the pair's subjects) are NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.phenotype.score import score_test_grid
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 3)); C = rng.normal(size=(2000, 1))
    >>> Y = (rng.random((2000, 2)) < 1 / (1 + np.exp(-(-1 + 0.5 * X[:, :1] + 0.3 * C)))).astype(float)
    >>> out = score_test_grid(X, Y, C)
    >>> out["p"].shape, bool(out["p"][0, 0] < 1e-10), bool(out["p"][1:, :].min() > 1e-4)
    ((3, 2), True, True)
    """
    if blas_threads is not None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=blas_threads, user_api="blas"):
            return score_test_grid(X, Y, C, outcome_block=outcome_block)
    X = np.asarray(X, dtype=np.float64)
    X = X[:, None] if X.ndim == 1 else X
    n, E = X.shape
    Yarr = np.asarray(Y)
    Yarr = Yarr[:, None] if Yarr.ndim == 1 else Yarr
    O = Yarr.shape[1]
    C = np.zeros((n, 0)) if C is None else np.asarray(C, dtype=np.float64).reshape(n, -1)
    Z = np.concatenate([np.ones((n, 1)), C], axis=1)
    k = Z.shape[1]
    valid = np.isfinite(X)
    any_missing = not valid.all()
    X0 = np.where(valid, X, 0.0)
    X2 = X0 * X0
    M = valid.astype(np.float64) if any_missing else None
    a, c = np.triu_indices(k)
    ZZ = Z[:, a] * Z[:, c]  # (n, d)
    block = outcome_block or max(8, int(2e7 // max(n, 1)))
    out = {key: np.full((E, O), np.nan) for key in ("U", "V", "z", "p", "beta", "se")}
    null_conv = np.zeros(O, dtype=bool)
    for s in range(0, O, block):
        Yb = np.asarray(Yarr[:, s : s + block], dtype=np.float64)
        b = Yb.shape[1]
        null = fit_null_models(Yb, C)
        null_conv[s : s + b] = null["converged"]
        keep = np.isfinite(Yb).T
        mu = null["mu"]
        R = np.where(keep, np.nan_to_num(Yb.T) - mu, 0.0)  # (b, n)
        W = mu * (1.0 - mu)  # 0 where excluded (mu is 0 there)
        U = R @ X0  # (b, E)
        xWx = W @ X2
        ZWx = np.stack([(W * Z[:, j]) @ X0 for j in range(k)], axis=-1)  # (b, E, k)
        act = null["active"].astype(np.float64)  # (b, k)
        if any_missing:
            hv = np.stack([(W * ZZ[:, t]) @ M for t in range(len(a))], axis=-1)  # (b, E, d)
            H = np.zeros((b, E, k, k))
            H[..., a, c] = hv
            H[..., c, a] = hv
            gZ = np.stack([(R * Z[:, j]) @ M for j in range(k)], axis=-1)  # (b, E, k)
            A = act[:, None, :]
        else:
            hv = W @ ZZ  # (b, d)
            H = np.zeros((b, 1, k, k))
            H[:, 0, a, c] = hv
            H[:, 0, c, a] = hv
            gZ = None
            A = act[:, None, :]
        # inactive covariates (constant among the outcome's subjects) leave the projection
        H = H * A[..., :, None] * A[..., None, :] + (1.0 - A)[..., :, None] * np.eye(k)
        ZWx = ZWx * A
        Hinv = np.linalg.pinv(H, hermitian=True)
        proj = np.einsum("beij,bej->bei", np.broadcast_to(Hinv, (b, E, k, k)), ZWx)
        V = xWx - np.einsum("bei,bei->be", ZWx, proj)
        if gZ is not None:
            U = U - np.einsum("bei,bei->be", proj, gZ * A)
        tiny = V <= 1e-12 * np.maximum(xWx, 1e-300)
        with np.errstate(divide="ignore", invalid="ignore"):
            V = np.where(tiny, np.nan, V)
            z = U / np.sqrt(V)
        cols = slice(s, s + b)
        out["U"][:, cols] = U.T
        out["V"][:, cols] = V.T
        out["z"][:, cols] = z.T
        out["p"][:, cols] = (2.0 * stats.norm.sf(np.abs(z))).T
        out["beta"][:, cols] = (U / V).T
        out["se"][:, cols] = (1.0 / np.sqrt(V)).T
    out["null_converged"] = null_conv
    if not null_conv.all():
        logger.warning("%d null models did not converge; their score tests are NaN",
                       int((~null_conv).sum()))
        for key in ("U", "V", "z", "p", "beta", "se"):
            out[key][:, ~null_conv] = np.nan
    return out
