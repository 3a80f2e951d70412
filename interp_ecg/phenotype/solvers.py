"""Logistic and Firth-penalised logistic regression over exposure x outcome grids.

Every (exposure ``e``, outcome ``o``) pair is its own model ``logit P(y_o = 1) = b0 + b1 x_e +
c' C`` fitted on the subjects not excluded for ``o`` (NaN in the outcome) and with a finite
``x_e``. Three solvers give the same estimates:

* :func:`fit_grid_batched` - Newton-Raphson (IRLS) on many pairs at once, numpy (CPU) or torch
  (CPU or GPU). Each pair stops on its own when its Newton step is below ``tol`` (the
  statsmodels rule). The first step starts from the covariate-only model of each outcome, where
  the weights do not depend on the exposure, so it costs matrix products over all exposures at
  once (it is the score step); typically two full evaluations per pair follow (float32, then
  float64). On the numpy backend with numba installed, each evaluation of a pair is one
  compiled pass over its subjects (weights, residuals, the p(p+1)/2 entries of ``X'WX`` and the
  score together), followed in the same call by the p x p solve and, once converged, the
  standard-error update (the *fused* kernels, about 2.5x faster); otherwise, per exposure, the
  ``X'WX`` of all outcomes come from one matrix product of the weights with the column
  products of the design.
* :func:`fit_grid_statsmodels` - the reference: one ``statsmodels`` ``Logit`` per pair.
* :func:`firth_logit` - one Firth-penalised model (Firth 1993; Heinze & Schemper 2002), the
  per-model path for ``method="firth"``.

Firth's modified score ``X'(y - mu + h (1/2 - mu))`` uses the hat diagonal
``h_i = w_i x_i' (X'WX)^{-1} x_i``, which for all pairs of a block is again one matrix product
with the same column products. Standard errors are the square roots of the diagonal of the
inverse (Fisher) information at the estimate, for both methods. A covariate that is constant
among the subjects of an outcome (sex for a sex-specific phecode) is held at 0 for that outcome,
which is the same model as dropping it.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

from interp_ecg.errors import ArgumentError

logger = logging.getLogger(__name__)

__all__ = [
    "collinear_columns",
    "detect_separation",
    "fit_null_models",
    "fit_grid_batched",
    "fit_grid_statsmodels",
    "firth_logit",
    "firth_lrt",
    "firth_lrt_grid",
    "firth_profile_ci",
    "firth_penalised_loglik",
    "fused_kernels_available",
    "logit_fit_single",
]


# ----------------------------------------------------------------------------- backends
def _inv_batch(h):
    """Inverses of a stack of matrices (k, p, p) and whether each is finite (singular: NaN)."""
    try:
        out = np.linalg.inv(h)
        ok = np.isfinite(out).all(axis=(1, 2))
    except np.linalg.LinAlgError:
        out = np.full_like(h, np.nan)
        ok = np.zeros(len(h), dtype=bool)
        for k in range(len(h)):
            try:
                out[k] = np.linalg.inv(h[k])
                ok[k] = np.isfinite(out[k]).all()
            except np.linalg.LinAlgError:
                pass
    return out, ok


class _NumpyBackend:
    name = "numpy"

    def __init__(self) -> None:
        self.xp = np
        try:  # torch's vectorised (SLEEF) sigmoid is ~2x faster than numpy's exp chain
            import torch

            self._torch = torch
        except ImportError:  # pragma: no cover - torch is optional
            self._torch = None

    def asarray(self, a):
        return np.ascontiguousarray(np.asarray(a, dtype=np.float64))

    def to_numpy(self, a):
        return np.asarray(a)

    def mu_from_eta(self, t):
        """``t`` holds ``eta`` (float64, C-contiguous); returns ``1 / (1 + exp(-eta))`` in place."""
        if self._torch is not None:
            tt = self._torch.from_numpy(t)
            self._torch.sigmoid(tt, out=tt)
            return t
        np.negative(t, out=t)
        np.exp(t, out=t)
        t += 1.0
        np.reciprocal(t, out=t)
        return t

    def inv(self, h):
        return _inv_batch(h)

    def zeros(self, shape):
        return np.zeros(shape)

    def index(self, idx):
        return np.asarray(idx)


class _TorchBackend:
    name = "torch"

    def __init__(self, device=None) -> None:
        import torch

        self.torch = torch
        if device is None:
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        self.xp = torch

    def asarray(self, a):
        return self.torch.as_tensor(np.asarray(a, dtype=np.float64), device=self.device).contiguous()

    def to_numpy(self, a):
        return a.detach().cpu().numpy()

    def mu_from_eta(self, t):
        return self.torch.sigmoid(t)

    def inv(self, h):
        out, info = self.torch.linalg.inv_ex(h)
        ok = (info == 0) & self.torch.isfinite(out).all(dim=(1, 2))
        return out, ok

    def zeros(self, shape):
        return self.torch.zeros(shape, dtype=self.torch.float64, device=self.device)

    def index(self, idx):
        return self.torch.as_tensor(np.asarray(idx), device=self.device)


def _backend(name: str, device=None):
    if name == "numpy":
        return _NumpyBackend()
    if name == "torch":
        return _TorchBackend(device)
    raise ArgumentError(f"unknown backend {name!r}; use 'numpy' or 'torch'")


def _pairs(p: int) -> tuple[np.ndarray, np.ndarray]:
    a, c = np.triu_indices(p)
    return a, c


def _products(bk, Z, a, c):
    """Column products ``Z[:, a] * Z[:, c]`` (n, d) for the upper triangle of ``X'WX``."""
    return Z[:, a] * Z[:, c]


# ----------------------------------------------------------------------------- one evaluation
class _Buffers:
    """Reused (rows, n) work arrays: fresh megabyte-sized arrays each evaluation cost page
    faults comparable to the arithmetic."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.store: dict = {}

    def get(self, name: str, b: int, dtype) -> np.ndarray:
        key = (name, np.dtype(dtype))
        arr = self.store.get(key)
        if arr is None or arr.shape[0] < b:
            arr = np.empty((max(b, 16), self.n), dtype=dtype)
            self.store[key] = arr
        return arr[:b]


def _evaluate(bk, Z, D, a, c, B, Yb, offb, vrow, act, firth: bool, buf=None):
    """Information, (modified) score and inverse information for a block of models.

    Z: (n, p) design shared by the block; D: (n, d) products; B: (b, p) coefficients;
    Yb: (b, n) outcomes with 0 at excluded entries; offb: (b, n) +inf at excluded entries or
    None; vrow: (n,) +inf where the design row is invalid (NaN exposure) or None; act: (b, p)
    active columns. Returns step (b, p), inverse information (b, p, p) and ok (b,).
    """
    b, p = B.shape
    if bk.name == "numpy":
        buf = buf or _Buffers(Z.shape[0])
        dt = np.result_type(B, Z)
        t = np.matmul(B, Z.T, out=buf.get("t", b, dt))  # eta
        if offb is not None:
            t -= offb
        if vrow is not None:
            t -= vrow
        with np.errstate(over="ignore"):
            mu = bk.mu_from_eta(t)
        r = np.subtract(Yb, mu, out=buf.get("r", b, dt))
        if vrow is not None:
            r *= np.isfinite(vrow)
        w = np.multiply(mu, mu, out=buf.get("w", b, dt))
        np.subtract(mu, w, out=w)
        actf = np.asarray(act, dtype=np.float64)
        eye = np.eye(p)
        H = np.zeros((b, p, p))
    else:
        torch = bk.torch
        a, c = bk.index(a), bk.index(c)
        t = (-B) @ Z.T
        if offb is not None:
            t = t + offb
        if vrow is not None:
            t = t + vrow
        mu = torch.sigmoid(-t)
        r = Yb - mu
        if vrow is not None:
            r = r * torch.isfinite(vrow)
        w = mu - mu * mu
        actf = act.to(torch.float64)
        eye = torch.eye(p, dtype=torch.float64, device=bk.device)
        H = bk.zeros((b, p, p))
    hv = w @ D  # (b, d)
    if hv.dtype != H.dtype:  # a float32 evaluation: solve in float64
        hv = hv.astype(H.dtype) if bk.name == "numpy" else hv.to(H.dtype)
    H[:, a, c] = hv
    H[:, c, a] = hv
    H = H * actf[:, :, None] * actf[:, None, :] + (1.0 - actf)[:, :, None] * eye[None]
    Hinv, ok = bk.inv(H)
    if firth:
        wq = Hinv[:, a, c] * ((a != c) + 1.0)
        h = w * (wq @ D.T)  # hat diagonal
        r = r + h * (0.5 - mu)
    g = r @ Z
    if g.dtype != actf.dtype:
        g = g.astype(actf.dtype) if bk.name == "numpy" else g.to(actf.dtype)
    g = g * actf
    step = (Hinv @ g[:, :, None])[:, :, 0]
    return step, Hinv, ok, (H, mu, w, actf, eye)


def _corrected_inverse(bk, Z, D, a, c, step, cache, buf=None):
    """Inverse information at ``B + step`` from the evaluation at ``B`` (first order).

    ``d(X'WX)/d beta . s = sum_i w_i (1 - 2 mu_i) (x_i's) x_i x_i'``; with Newton's quadratic
    convergence the remaining error is O(|s|^2).
    """
    H, mu, w, actf, eye = cache
    if bk.name == "numpy":
        buf = buf or _Buffers(Z.shape[0])
        u = np.matmul(step, Z.T, out=buf.get("u", step.shape[0], np.float64))  # x_i's
        v = np.multiply(mu, -2.0, out=buf.get("v", step.shape[0], np.float64))
        v += 1.0
        v *= w
        v *= u
    else:
        u = step @ Z.T
        v = w * (1.0 - 2.0 * mu) * u
    dv = v @ D
    b, p = step.shape
    dH = bk.zeros((b, p, p))
    dH[:, a, c] = dv
    dH[:, c, a] = dv
    dH = dH * actf[:, :, None] * actf[:, None, :]
    return bk.inv(H + dH)


def _fit_rows(bk, Z, D, a, c, B, Yt, off, vrow, act, firth, max_iter, tol, max_step, block,
              correct=False, first32=None):
    """Newton iterations for all rows (models) sharing the design ``Z``.

    Rows are processed in contiguous blocks; inside a block all still-active rows are evaluated
    together, and the block is compacted (remaining rows copied) when some have finished.
    With ``correct`` the standard errors of finished rows are evaluated at the updated estimate
    (:func:`_corrected_inverse`) instead of the point before the last step. ``first32``
    (``Z, D, Yt, off, vrow`` in float32) makes the first evaluation of each block a float32 one:
    it only moves the estimate (float32 rounding, ~1e-7, is far below the distance still to go),
    a pair is never declared converged on it, and every later evaluation is float64.
    """
    if firth:
        return _firth_rows(bk, Z, D, a, c, B, Yt, off, vrow, act, max_iter, tol, max_step, block)
    m, p = B.shape
    conv = np.zeros(m, dtype=bool)
    fail = np.zeros(m, dtype=bool)
    n_iter = np.zeros(m, dtype=np.int64)
    se = np.full((m, p), np.nan)
    diag_idx = np.arange(p)
    buf = _Buffers(Z.shape[0]) if bk.name == "numpy" else None
    for s in range(0, m, block):
        rows = np.arange(s, min(s + block, m))
        sl = slice(rows[0], rows[-1] + 1)
        Bb, Yb, offb, actb = B[sl], Yt[sl], None if off is None else off[sl], act[sl]
        live = np.ones(len(rows), dtype=bool)  # rows of the current (maybe compacted) block
        for it in range(max_iter):
            if not live.any():
                break
            if not live.all():  # compact
                keep = np.flatnonzero(live)
                ki = bk.index(keep)
                B[bk.index(rows)] = Bb
                rows = rows[keep]
                Bb, Yb, actb = Bb[ki], Yb[ki], actb[ki]
                offb = None if offb is None else offb[ki]
                live = live[keep]
            low = first32 is not None and it == 0
            if low:
                Z32, D32, Y32, off32, vrow32 = first32
                step, Hinv, ok, cache = _evaluate(
                    bk, Z32, D32, a, c, Bb.astype(np.float32), Y32[sl],
                    None if off32 is None else off32[sl], vrow32, actb, firth, buf,
                )
            else:
                step, Hinv, ok, cache = _evaluate(bk, Z, D, a, c, Bb, Yb, offb, vrow, actb, firth,
                                                  buf)
            ok = bk.to_numpy(ok).astype(bool)
            step_np = np.array(bk.to_numpy(step))
            finite = ok & np.isfinite(step_np).all(axis=1) & live
            big = np.abs(np.where(np.isfinite(step_np), step_np, np.inf)).max(axis=1)
            if max_step is not None:
                scale = np.where(big > max_step, max_step / np.maximum(big, 1e-300), 1.0)
                step_np = step_np * scale[:, None]
            step_np[~finite] = 0.0
            Bb = Bb + bk.asarray(step_np)
            n_iter[rows[live]] += 1
            done = finite & (big < tol) & (not low)
            if correct and done.any():
                # the whole block at once (no row copies); rows not done get a zero step
                di = bk.index(np.flatnonzero(done))
                Hc, okc = _corrected_inverse(
                    bk, Z, D, a, c, bk.asarray(np.where(done[:, None], step_np, 0.0)), cache, buf
                )
                Hinv = Hinv.clone() if bk.name == "torch" else Hinv.copy()
                Hinv[di] = Hc[di]
            diag = bk.to_numpy(Hinv[:, diag_idx, diag_idx])
            se[rows[done]] = np.sqrt(np.where(diag[done] > 0, diag[done], np.nan))
            conv[rows[done]] = True
            fail[rows[live & ~finite]] = True
            live = live & ~done & finite
        B[bk.index(rows)] = Bb
    return conv, n_iter, se


def _firth_rows(bk, Z, D, a, c, B, Yt, off, vrow, act, max_iter, tol, max_step, block):
    """Firth modified-score iterations for all rows sharing the design ``Z``, with step-halving.

    The batched form of :func:`firth_logit` (same steps, same rule): each row's Newton step is
    capped at ``max_step``; a step that passes the maximum along its direction (the slope there,
    step . score, is below minus half the starting slope) is kept only if it raised the penalised
    log-likelihood, else it is halved (at most :data:`STEP_HALVINGS` times), so a row climbs
    instead of cycling (logistf; Heinze & Schemper 2002). The halving test needs no extra
    evaluation: the evaluation at the candidate is the next iteration's. ``max_iter`` counts
    accepted steps per row, as in :func:`firth_logit`. Returns (converged, evaluations, se) per
    row; ``B`` is updated in place.
    """
    m, p = B.shape
    conv = np.zeros(m, dtype=bool)
    n_iter = np.zeros(m, dtype=np.int64)
    se = np.full((m, p), np.nan)
    diag_idx = np.arange(p)
    buf = _Buffers(Z.shape[0]) if bk.name == "numpy" else None
    for s in range(0, m, block):
        rows = np.arange(s, min(s + block, m))
        sl = slice(rows[0], rows[-1] + 1)
        Bb = np.array(bk.to_numpy(B[sl]), dtype=np.float64)
        Yb, offb, actb = Yt[sl], None if off is None else off[sl], act[sl]
        nb = len(rows)
        live = np.ones(nb, dtype=bool)
        n_acc = np.zeros(nb, dtype=np.int64)  # accepted steps
        n_halv = np.zeros(nb, dtype=np.int64)  # halvings of the current step
        has_prev = np.zeros(nb, dtype=bool)
        prev_b = np.zeros((nb, p))  # the point the current step started from
        prev_st = np.zeros((nb, p))  # the current step (maybe halved)
        prev_g = np.zeros((nb, p))  # the modified score at prev_b
        prev_pl = np.full(nb, np.nan)  # penalised log-likelihood at prev_b (computed when needed)
        done_b = np.zeros((nb, p))  # final coefficients of finished rows
        block_rows = rows
        while live.any():
            if not live.all():  # compact: finished rows leave the block
                keep = np.flatnonzero(live)
                ki = bk.index(keep)
                done_b[np.flatnonzero(np.isin(block_rows, rows))[~live]] = Bb[~live]
                rows, Bb = rows[keep], Bb[keep]
                Yb, actb = Yb[ki], actb[ki]
                offb = None if offb is None else offb[ki]
                n_acc, n_halv, has_prev = n_acc[keep], n_halv[keep], has_prev[keep]
                prev_b, prev_st, prev_g, prev_pl = prev_b[keep], prev_st[keep], prev_g[keep], prev_pl[keep]
                live = live[keep]
            step, Hinv, ok, cache = _evaluate(bk, Z, D, a, c, bk.asarray(Bb), Yb, offb, vrow, actb, True, buf)
            n_iter[rows] += 1
            ok = bk.to_numpy(ok).astype(bool)
            step_np = np.array(bk.to_numpy(step), dtype=np.float64)
            finite = ok & np.isfinite(step_np).all(axis=1)
            H = np.asarray(bk.to_numpy(cache[0]), dtype=np.float64)
            with np.errstate(all="ignore"):
                g = np.einsum("bij,bj->bi", H, np.where(np.isfinite(step_np), step_np, 0.0))
                # past the maximum along the step: the slope at the candidate is below minus half
                # the starting one (a full Newton step on a near-quadratic lands at slope ~0)
                good = finite & (np.einsum("ij,ij->i", prev_st, g) >= -0.5 * np.einsum("ij,ij->i", prev_st, prev_g))
            pl_new = np.full(len(rows), np.nan)
            k = np.flatnonzero(has_prev & ~good & finite)
            if k.size:  # kept only if the penalised log-likelihood rose
                unknown = k[np.isnan(prev_pl[k])]
                if unknown.size:
                    prev_pl[unknown] = _firth_rows_pl(bk, Z, D, a, c, prev_b[unknown], Yb, offb, vrow, actb, unknown)
                pl_new[k] = _firth_rows_pl(bk, Z, D, a, c, Bb[k], Yb, offb, vrow, actb, k)
                with np.errstate(invalid="ignore"):
                    good[k] = np.isfinite(pl_new[k]) & (pl_new[k] > prev_pl[k])
            reject = has_prev & ~good
            if reject.any():
                r = np.flatnonzero(reject)
                n_halv[r] += 1
                spent = r[n_halv[r] > STEP_HALVINGS]  # no step along the direction helps: the row stops
                Bb[spent] = prev_b[spent]
                live[spent] = False
                h = r[n_halv[r] <= STEP_HALVINGS]
                prev_st[h] = prev_st[h] / 2.0
                Bb[h] = prev_b[h] + prev_st[h]
            acc = ~reject & live
            live[acc & ~finite] = False  # the first evaluation failed (singular information)
            acc &= finite
            if not acc.any():
                continue
            st = step_np[acc]
            big = np.abs(st).max(axis=1)
            if max_step is not None:
                st = st * np.where(big > max_step, max_step / np.maximum(big, 1e-300), 1.0)[:, None]
            ai = np.flatnonzero(acc)
            fin = ai[big < tol]
            if fin.size:
                diag = bk.to_numpy(Hinv[bk.index(fin)][:, diag_idx, diag_idx])
                se[rows[fin]] = np.sqrt(np.where(diag > 0, diag, np.nan))
                Bb[fin] = Bb[fin] + st[big < tol]
                conv[rows[fin]] = True
                live[fin] = False
            mv = ai[big >= tol]
            if mv.size:
                n_halv[mv] = 0
                has_prev[mv] = True
                prev_b[mv], prev_st[mv], prev_g[mv], prev_pl[mv] = Bb[mv], st[big >= tol], g[mv], pl_new[mv]
                Bb[mv] = Bb[mv] + st[big >= tol]
                n_acc[mv] += 1
                live[mv[n_acc[mv] >= max_iter]] = False
        done_b[np.flatnonzero(np.isin(block_rows, rows))] = Bb
        B[sl] = bk.asarray(done_b) if bk.name != "numpy" else done_b
    return conv, n_iter, se


def _firth_rows_pl(bk, Z, D, a, c, Bk, Yb, offb, vrow, actb, k):
    """Penalised log-likelihood (len(k),) of rows ``k`` of a :func:`_firth_rows` block at ``Bk``
    (len(k), p); NaN where the information is not positive definite."""
    idx = bk.index(k)
    Zn = np.asarray(bk.to_numpy(Z), dtype=np.float64)
    Dn = np.asarray(bk.to_numpy(D), dtype=np.float64)
    y = np.asarray(bk.to_numpy(Yb[idx]), dtype=np.float64)
    valid = np.ones_like(y, dtype=bool)
    if offb is not None:
        valid &= np.isfinite(np.asarray(bk.to_numpy(offb[idx])))
    if vrow is not None:
        valid &= np.isfinite(np.asarray(bk.to_numpy(vrow)))[None, :]
    actf = np.asarray(bk.to_numpy(actb[idx]), dtype=np.float64)
    p = Bk.shape[1]
    with np.errstate(over="ignore"):
        eta = Bk @ Zn.T
        mu = 1.0 / (1.0 + np.exp(-eta))
    ll = np.sum(np.where(valid, y * eta - np.logaddexp(0.0, eta), 0.0), axis=1)
    hv = (mu * (1.0 - mu) * valid) @ Dn
    H = np.zeros((len(k), p, p))
    H[:, a, c] = hv
    H[:, c, a] = hv
    H = H * actf[:, :, None] * actf[:, None, :] + (1.0 - actf)[:, :, None] * np.eye(p)
    sign, logdet = np.linalg.slogdet(H)
    return np.where(sign > 0, ll + 0.5 * logdet, np.nan)


def _split_outcomes(bk, Y):
    Yt = np.ascontiguousarray(np.asarray(Y, dtype=np.float64).T)  # (O, n)
    miss = np.isnan(Yt)
    off = None
    if miss.any():
        off = bk.asarray(np.where(miss, np.inf, 0.0))
    return bk.asarray(np.where(miss, 0.0, Yt)), off, ~miss


def _active_covariates(C, keep_rows):
    """(O, q) True where covariate j varies among the subjects kept for outcome o."""
    O = keep_rows.shape[0]
    q = C.shape[1]
    if q == 0:
        return np.ones((O, 0), dtype=bool)
    k = keep_rows.astype(np.float64)
    nk = np.maximum(k.sum(axis=1, keepdims=True), 1.0)
    m1 = (k @ C) / nk
    m2 = (k @ (C * C)) / nk
    var = np.maximum(m2 - m1 * m1, 0.0)
    scale = np.maximum(C.var(axis=0), 1e-300)
    return var > 1e-10 * scale


# ----------------------------------------------------------------------------- fused CPU kernels
# One compiled pass over a model's subjects gives everything its Newton step needs (the
# p(p+1)/2 entries of X'WX and the p of the score, with weights and residuals computed on the
# fly), where the numpy path makes a pass over memory per product. The p x p solve, the
# convergence test and, for a model that has converged, the first-order update of its
# information along the last step (a second pass while its probabilities are still in cache)
# follow in the same call. The loops are generated for the number of covariates: numba
# vectorises a loop whose sums are named scalars, not one indexing an accumulator array.
try:  # numba: the ``fast`` extra (shap pulls it in too); without it the numpy path runs
    import numba as _numba
except ImportError:  # pragma: no cover - exercised where numba is absent
    _numba = None

_KERNELS: dict = {}
# the sums may be reassociated (vectorised); their inputs are finite by construction (missing
# exposure values are 0 with weight 0, excluded outcome values are masked, probabilities come
# from a sigmoid). The p x p algebra (:func:`_small_solve`) is compiled without these flags.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp", "nnan", "ninf"}
#: a Cholesky pivot at or below this fraction of its diagonal entry means a singular
#: information matrix (exposure constant, or in the span of the covariates, among the
#: model's subjects): the model fails, as a singular matrix does on the numpy path
_PIVOT_RTOL = 1e-13
#: a coefficient beyond this (a diverging fit) ends the model as failed, so that the linear
#: predictors stay finite inside the kernels
_B_MAX = 1e100


def _small_solve(H, g, act, s, L, y):
    """Solve ``H s = g`` for one model (Cholesky); columns with ``act == 0`` are held at 0.

    ``H`` (p, p) symmetric, ``g`` and ``act`` (p,); ``s`` (p,: the solution), ``L`` (p, p)
    and ``y`` (p,: ``H^-1 e_1``) are written here. Returns (ok, ``[H^-1]_11``, the variance
    of the exposure coefficient); ok is False, and ``s`` is 0, when ``H`` is not positive
    definite to working precision (a pivot at or below ``_PIVOT_RTOL`` of its diagonal
    entry) or ``s`` is not finite.
    """
    p = H.shape[0]
    for i in range(p):
        s[i] = 0.0
        for j in range(p):
            L[i, j] = 0.0
    for j in range(p):
        if act[j] == 0.0:
            L[j, j] = 1.0
            continue
        dj = H[j, j]
        for k in range(j):
            dj -= L[j, k] * L[j, k]
        if not (dj > _PIVOT_RTOL * H[j, j] and np.isfinite(dj)):
            return False, np.nan
        ljj = np.sqrt(dj)
        L[j, j] = ljj
        for i in range(j + 1, p):
            if act[i] != 0.0:
                v = H[i, j]
                for k in range(j):
                    v -= L[i, k] * L[j, k]
                L[i, j] = v / ljj
    for i in range(p):  # L y = g
        v = g[i] * act[i]
        for k in range(i):
            v -= L[i, k] * y[k]
        y[i] = v / L[i, i]
    for i in range(p - 1, -1, -1):  # L' s = y
        v = y[i]
        for k in range(i + 1, p):
            v -= L[k, i] * s[k]
        s[i] = v / L[i, i]
    var = 0.0  # [H^-1]_11 = |L^-1 e_1|^2
    for i in range(p):
        v = 1.0 if i == 1 else 0.0
        for k in range(i):
            v -= L[i, k] * y[k]
        y[i] = v / L[i, i]
        var += y[i] * y[i]
    for i in range(p - 1, -1, -1):  # y <- H^-1 e_1
        v = y[i]
        for k in range(i + 1, p):
            v -= L[k, i] * y[k]
        y[i] = v / L[i, i]
    for i in range(p):
        if not np.isfinite(s[i]):
            for k in range(p):
                s[k] = 0.0
            return False, np.nan
    return True, var


def _kernel_source(q: int) -> str:
    """Source of the kernels for designs ``[1, x, C_1 .. C_q]`` (p = q + 2 columns).

    ``eta(B, eidx, XT, CT, out)``: the linear predictor of model ``r`` (coefficients ``B[r]``,
    exposure ``eidx[r]``) into ``out[r]``.

    ``newton(MU, murow, eidx, oidx, XT, VX, YK, CT, ACT, tol, mode, S, VAR, FLAG)``: for model
    ``r``, from its fitted probabilities ``MU[murow[r]]``, over the subjects whose outcome code
    ``YK[oidx[r]]`` is 0 or 1 (-1: excluded) and whose exposure is observed (``VX`` 1), the
    information ``X'WX`` and score ``X'(y - mu)``, then the Newton step ``S[r]`` with the
    columns where ``ACT[r]`` is 0 held at 0. ``FLAG[r]``: 0 failed (singular, not finite), 1
    step taken, 2 converged (``mode`` 1 or 2 and the largest step below ``tol``). ``VAR[r]``:
    ``[H^-1]_11``; for a converged model with ``mode`` 1, at the updated estimate ``b + s``:
    with ``dH = sum_i w_i (1 - 2 mu_i) (x_i's) x_i x_i'`` the change of the information along
    the step, ``[(H + dH)^-1]_11 = [H^-1]_11 - h'dH h + O(|s|^2)`` with ``h = H^-1 e_1``, one
    sum over the subjects: ``sum_i w_i (1 - 2 mu_i) (x_i's) (x_i'h)^2``.
    """
    p = q + 2
    z = ["1.0", "x[i]"] + [f"c{j}[i]" for j in range(q)]
    pairs = [(a, c) for a in range(p) for c in range(a, p)]
    cols = "".join(f"    c{j} = CT[{j}]\n" for j in range(q))

    def times(name, idx):  # name * z_a * ... (the intercept column is 1)
        return " * ".join([name] + [f"z{k}" for k in idx if k > 0])

    zs = "".join(f"            z{k} = {z[k]}\n" for k in range(1, p))
    ind = " " * 16
    h0 = "".join(f"        h{a}_{c} = 0.0\n" for a, c in pairs)
    g0 = "".join(f"        g{a} = 0.0\n" for a in range(p))
    hacc = "".join(f"            h{a}_{c} += {times('w', (a, c))}\n" for a, c in pairs)
    gacc = "".join(f"            g{a} += {times('rr', (a,))}\n" for a in range(p))
    hset = "".join(f"        H[{a}, {c}] = h{a}_{c}\n" + (f"        H[{c}, {a}] = h{a}_{c}\n" if a != c else "")
                   for a, c in pairs)
    gset = "".join(f"        G[{a}] = g{a}\n" for a in range(p))
    zs2 = "".join(f"    {ind}z{k} = {z[k]}\n" for k in range(1, p))
    steps = "".join(f"{ind}t{k} = S[r, {k}]\n{ind}e{k} = y[{k}]\n" for k in range(p))
    u = " + ".join(["t0"] + [f"t{k} * z{k}" for k in range(1, p)])
    hz = " + ".join(["e0"] + [f"e{k} * z{k}" for k in range(1, p)])
    eta_terms = " + ".join(["B[r, 0]", "B[r, 1] * x[i]"] + [f"B[r, {2 + j}] * c{j}[i]" for j in range(q)])
    return f'''
def eta(B, eidx, XT, CT, out):
{cols}    for r in range(B.shape[0]):
        x = XT[eidx[r]]
        o = out[r]
        for i in range(XT.shape[1]):
            o[i] = {eta_terms}


def newton(MU, murow, eidx, oidx, XT, VX, YK, CT, ACT, tol, mode, S, VAR, FLAG):
{cols}    H = np.empty(({p}, {p}))
    G = np.empty({p})
    s = np.empty({p})
    L = np.empty(({p}, {p}))
    y = np.empty({p})
    for r in range(eidx.shape[0]):
        x = XT[eidx[r]]
        vx = VX[eidx[r]]
        yk = YK[oidx[r]]
        M = MU[murow[r]]
{h0}{g0}        for i in range(XT.shape[1]):
            mu = np.float64(M[i])
            code = yk[i]
            m = np.float64(code >= 0) * vx[i]
            w = m * (mu - mu * mu)
            rr = m * (np.float64(code > 0) - mu)
{zs}{hacc}{gacc}{hset}{gset}        ok, var = small_solve(H, G, ACT[r], s, L, y)
        big = 0.0
        for k in range({p}):
            S[r, k] = s[k]
            big = max(big, abs(s[k]))
        FLAG[r] = 1 if ok else 0
        VAR[r] = var
        if ok and mode > 0 and big < tol:
            FLAG[r] = 2
            if mode == 1:
{steps}                acc = 0.0
                for i in range(XT.shape[1]):
                    mu = np.float64(M[i])
                    v = np.float64(yk[i] >= 0) * vx[i] * (mu - mu * mu) * (1.0 - 2.0 * mu)
{zs2}                    u = {u}
                    e = {hz}
                    acc += v * u * e * e
                VAR[r] = var - acc
'''


def fused_kernels_available() -> bool:
    """True when the fused compiled kernels of :func:`fit_grid_batched` can run (numba is
    installed: the ``fast`` extra, or shap, which depends on it).

    Examples
    --------
    >>> from interp_ecg.phenotype.solvers import fused_kernels_available
    >>> isinstance(fused_kernels_available(), bool)
    True
    """
    return _numba is not None


def _kernels(q: int) -> dict | None:
    """The compiled kernels for ``q`` covariates (None without numba); compiled on first use."""
    if _numba is None:
        return None
    k = _KERNELS.get(q)
    if k is None:
        solve = _KERNELS.get("small_solve")
        if solve is None:
            solve = _KERNELS["small_solve"] = _numba.njit(_small_solve, nogil=True)
        logger.debug("compiling the fused logistic kernels for %d covariates (once per process)", q)
        ns: dict = {"np": np, "small_solve": solve}
        exec(compile(_kernel_source(q), f"<fused logistic kernels, q={q}>", "exec"), ns)  # noqa: S102
        jit = _numba.njit(fastmath=_FASTMATH, nogil=True)
        k = {name: jit(ns[name]) for name in ("eta", "newton")}
        _KERNELS[q] = k
    return k


class _FusedGrid:
    """The arrays the fused kernels read, laid out once: exposures (E, n) with 0 where missing
    and their observed mask, outcome codes (O, n) int8 (1 case, 0 control, -1 excluded),
    covariates (q, n); and the per-call outputs."""

    def __init__(self, X, YK, CT, kern, block: int) -> None:
        valid = np.isfinite(X)
        self.XT = np.ascontiguousarray(np.where(valid, X, 0.0).T)
        self.VX = np.ascontiguousarray(valid.T, dtype=np.uint8)
        self.YK = YK
        self.CT = CT
        self.kern = kern
        self.n = X.shape[0]
        self.p = CT.shape[0] + 2
        self.K = max(1, int(block))
        self.S = np.empty((self.K, self.p))
        self.VAR = np.empty(self.K)
        self.FLAG = np.empty(self.K, dtype=np.int8)
        self.sigmoid = _NumpyBackend().mu_from_eta

    def probabilities(self, B, eidx, buf):
        """Fitted probabilities of the models ``B`` (k, p) into ``buf[:k]`` (its dtype)."""
        k = len(eidx)
        self.kern["eta"](B, eidx, self.XT, self.CT, buf[:k])
        with np.errstate(over="ignore"):
            self.sigmoid(buf[:k])

    def newton(self, MU, murow, eidx, oidx, act, tol=0.0, mode=0):
        """Steps (k, p), variances (k,) and flags (k,: 0 failed, 1 step, 2 converged)."""
        k = len(eidx)
        self.kern["newton"](MU, murow, eidx, oidx, self.XT, self.VX, self.YK, self.CT, act, tol, mode,
                            self.S[:k], self.VAR[:k], self.FLAG[:k])
        return self.S[:k], self.VAR[:k], self.FLAG[:k]


def _outcome_codes(Y) -> np.ndarray:
    """(O, n) int8 outcome codes of ``Y`` (n, O): 1 case, 0 control, -1 excluded (NaN)."""
    YK = np.empty(Y.shape[::-1], dtype=np.int8)
    with np.errstate(invalid="ignore"):
        np.copyto(YK, Y.T, casting="unsafe")
    YK[np.isnan(Y.T)] = -1
    return YK


def _null_models_fused(YK, C, max_iter, tol, kern, block: int = 64) -> dict:
    """:func:`fit_null_models` with the fused kernels (the pair kernels on an all-zero exposure
    whose coefficient is held at 0); ``YK`` from :func:`_outcome_codes`."""
    O, n = YK.shape
    g = _FusedGrid(np.zeros((n, 1)), YK, np.ascontiguousarray(C.T), kern, min(block, max(O, 1)))
    keep = YK >= 0
    act = np.concatenate([np.ones((O, 1), bool), _active_covariates(C, keep)], axis=1)
    actf = np.ascontiguousarray(np.insert(act, 1, False, axis=1), dtype=np.float64)
    B = np.zeros((O, g.p))
    cases = (g.YK == 1).sum(axis=1)
    tot = (g.YK >= 0).sum(axis=1)
    with np.errstate(divide="ignore"):
        B[:, 0] = np.log(np.clip(cases, 0.5, None) / np.clip(tot - cases, 0.5, None))
    conv = np.zeros(O, dtype=bool)
    fail = np.zeros(O, dtype=bool)
    zero = np.zeros(O, dtype=np.int64)
    buf = np.empty((g.K, n))
    for _ in range(max_iter):
        live = np.flatnonzero(~conv & ~fail)
        if len(live) == 0:
            break
        for s in range(0, len(live), g.K):
            rows = live[s : s + g.K]
            g.probabilities(B[rows], zero[rows], buf)
            step, _, flag = g.newton(buf, np.arange(len(rows)), zero[rows], rows, actf[rows], tol, 2)
            B[rows] += step
            conv[rows] = flag == 2
            fail[rows] = flag == 0
    mu = np.empty((O, n))
    for s in range(0, O, g.K):
        rows = np.arange(s, min(s + g.K, O))
        g.probabilities(B[rows], zero[rows], mu[s:])
    mu[~keep] = 0.0
    return {"coef": np.delete(B, 1, axis=1), "active": act, "converged": conv, "mu": mu}


def _score_steps_gemm(X, YK, C, mu0, act, B, eblock: int = 256, oblock: int = 64) -> None:
    """The first Newton step of every pair of a full grid from the covariate-only models, added
    to ``B`` (E * O, p; pair ``e * O + o``), by matrix products over blocks of exposures and
    outcomes (the probabilities, hence the weights, are the outcome's, shared by its pairs).

    Subjects with a missing exposure value are left out of the exposure's terms but not of the
    covariate block: an approximation that only moves the start (the later evaluations are
    exact, over the pair's own subjects).
    """
    n, E = X.shape
    O = YK.shape[0]
    q = C.shape[1]
    p = q + 2
    Z0 = np.concatenate([np.ones((n, 1)), C], axis=1)
    a0, c0 = _pairs(q + 1)
    D0 = Z0[:, a0] * Z0[:, c0]
    idx = np.array([0] + list(range(2, p)))
    eye = np.eye(p)
    for es in range(0, E, eblock):
        X0 = X[:, es : es + eblock]
        X0 = np.where(np.isfinite(X0), X0, 0.0)
        Eb = X0.shape[1]
        prods = [X0, X0 * X0] + [X0 * C[:, j : j + 1] for j in range(q)]
        for os_ in range(0, O, oblock):
            mu = mu0[os_ : os_ + oblock]
            Ob = len(mu)
            W = mu * (1.0 - mu)  # 0 where excluded (mu0 is 0 there)
            yk = YK[os_ : os_ + oblock]
            R = np.where(yk >= 0, (yk == 1) - mu, 0.0)
            H = np.zeros((Ob, Eb, p, p))
            hc = W @ D0
            Hc = np.zeros((Ob, q + 1, q + 1))
            Hc[:, a0, c0] = hc
            Hc[:, c0, a0] = hc
            H[:, :, idx[:, None], idx[None, :]] = Hc[:, None]
            H[:, :, 0, 1] = H[:, :, 1, 0] = W @ prods[0]
            H[:, :, 1, 1] = W @ prods[1]
            for j in range(q):
                H[:, :, 1, 2 + j] = H[:, :, 2 + j, 1] = W @ prods[2 + j]
            g = np.empty((Ob, Eb, p))
            g[:, :, idx] = (R @ Z0)[:, None, :]
            g[:, :, 1] = R @ X0
            af = act[os_ : os_ + Ob].astype(np.float64)[:, None, :]
            g *= af
            H = H * af[..., :, None] * af[..., None, :] + (1.0 - af)[..., :, None] * eye
            with np.errstate(all="ignore"):
                Hinv, ok = _inv_batch(H.reshape(-1, p, p))
                step = (Hinv @ g.reshape(-1, p, 1))[:, :, 0]
            ok &= np.isfinite(step).all(axis=1)
            step[~ok] = 0.0
            step = step.reshape(Ob, Eb, p).transpose(1, 0, 2)
            pair = (np.arange(es, es + Eb)[:, None] * O + np.arange(os_, os_ + Ob)[None, :]).ravel()
            B[pair] += step.reshape(-1, p)


def _fit_grid_fused(X, Y, C, max_iter, tol, block, mixed_precision, mask, kern) -> dict:
    """Newton fits of every pair (or those of ``mask``) with the fused kernels.

    The same iterations as :func:`_fit_rows` from the same start: the covariate-only model of
    each outcome; one Newton step with that model's probabilities (the score step: they are
    shared by the outcome's pairs, so no sigmoid per pair); one float32 evaluation
    (``mixed_precision``; it never declares convergence); then float64 evaluations until the
    largest step is below ``tol``, the standard error taken at the updated estimate (first-order
    update of the information). The models are a flat list of (exposure, outcome) pairs,
    ``block`` at a time; a pair leaves the list when it has converged or failed, so each later
    evaluation runs only on the pairs that still need it.
    """
    n, E = X.shape
    O = Y.shape[1]
    if mask is None:
        eidx = np.repeat(np.arange(E), O)
        oidx = np.tile(np.arange(O), E)
    else:
        eidx, oidx = np.nonzero(np.asarray(mask, dtype=bool).reshape(E, O))
    m = len(eidx)
    YK = _outcome_codes(Y)
    used, ecol = np.unique(eidx, return_inverse=True)  # only the exposures of listed pairs
    g = _FusedGrid(X if len(used) == E else X[:, used], YK, np.ascontiguousarray(C.T), kern,
                   min(block, max(m, 1)))
    ecol = ecol.reshape(-1).astype(np.int64)
    p, K = g.p, g.K
    null = _null_models_fused(YK, C, 50, 1e-10, kern, block)
    G, mu0 = null["coef"], null["mu"]
    act = np.concatenate([np.ones((O, 2), bool), null["active"][:, 1:]], axis=1)
    B = np.zeros((m, p))
    B[:, 0] = G[oidx, 0]
    B[:, 2:] = G[oidx, 1:]
    actf = np.ascontiguousarray(act[oidx], dtype=np.float64)
    conv = np.zeros(m, dtype=bool)
    fail = np.zeros(m, dtype=bool)
    n_iter = np.zeros(m, dtype=np.int64)
    se = np.full(m, np.nan)
    buf64 = np.empty((K, n))
    local = np.arange(K)
    chunks = [np.arange(s, min(s + K, m)) for s in range(0, m, K)]
    # 1. the score step, from the covariate-only model's probabilities (shared by its pairs)
    if mask is None:
        _score_steps_gemm(X, YK, C, mu0, act, B)
    else:
        for rows in chunks:
            step, _, _ = g.newton(mu0, oidx[rows], ecol[rows], oidx[rows], actf[rows])
            B[rows] += step
    n_iter += 1
    # 2. one float32 evaluation: moves the estimate only
    n_low = 1 if (mixed_precision and max_iter > 0) else 0
    if n_low:
        buf32 = np.empty((K, n), dtype=np.float32)
        for rows in chunks:
            g.probabilities(B[rows], ecol[rows], buf32)
            step, _, flag = g.newton(buf32, local[: len(rows)], ecol[rows], oidx[rows], actf[rows])
            B[rows] += step
            n_iter[rows] += 1
            fail[rows[(flag == 0) | ~(np.abs(B[rows]) < _B_MAX).all(axis=1)]] = True
        del buf32
    # 3. float64 evaluations of the pairs still open
    for _ in range(max_iter - n_low):
        live = np.flatnonzero(~conv & ~fail)
        if len(live) == 0:
            break
        for s in range(0, len(live), K):
            rows = live[s : s + K]
            g.probabilities(B[rows], ecol[rows], buf64)
            step, var, flag = g.newton(buf64, local[: len(rows)], ecol[rows], oidx[rows], actf[rows], tol, 1)
            B[rows] += step
            n_iter[rows] += 1
            done = flag == 2
            se[rows[done]] = np.sqrt(np.where(var[done] > 0, var[done], np.nan))
            conv[rows[done]] = True
            fail[rows[(flag == 0) | ~(np.abs(B[rows]) < _B_MAX).all(axis=1)]] = True
    beta_all = np.full((E, O), np.nan)
    se_all = np.full((E, O), np.nan)
    conv_all = np.zeros((E, O), dtype=bool)
    iter_all = np.zeros((E, O), dtype=np.int64)
    beta_all[eidx, oidx] = np.where(conv, B[:, 1], np.nan)
    se_all[eidx, oidx] = np.where(conv, se, np.nan)
    conv_all[eidx, oidx] = conv
    iter_all[eidx, oidx] = n_iter
    return {"beta": beta_all, "se": se_all, "converged": conv_all, "n_iter": iter_all}


def fit_grid_batched(
    X,
    Y,
    C=None,
    *,
    method: str = "logit",
    backend: str = "numpy",
    device=None,
    max_iter: int | None = None,
    tol: float | None = None,
    block: int | None = None,
    blas_threads: int | None = 1,
    mixed_precision: bool = True,
    outcome_chunk: int | None = None,
    mask=None,
    kernel: str = "auto",
) -> dict:
    """Fit ``logit(y_o) ~ 1 + x_e + C`` for every exposure column ``e`` and outcome column ``o``.

    Parameters
    ----------
    X : array (n, E)
        Exposures; NaN rows are left out of that exposure's models.
    Y : array (n, O)
        Outcomes 0/1; NaN = excluded from that outcome's models.
    C : array (n, q), optional
        Covariates without intercept, finite.
    method : {"logit", "firth"}
    backend : {"numpy", "torch"}
        ``"torch"`` runs on ``device`` (default: CUDA when available, else CPU).
    max_iter : int, optional
        Newton iterations per pair (default 35, as statsmodels; 100 for Firth).
    tol : float, optional
        A pair has converged when its largest Newton step is below ``tol``. Default 1e-5 for
        ``"logit"``: Newton converges quadratically, so the estimate after that last step is
        within ~tol^2 of the maximum, and the standard error is evaluated there too (first-order
        update of the information, error ~tol^2), which matches statsmodels' 1e-8 rule to
        ~1e-9 relative at a third fewer passes over the data. Default 1e-8 for ``"firth"``
        (its modified-score iteration is not quadratic; no correction).
    block : int, optional
        Models evaluated together (memory ~ ``block * n`` doubles, times 4 on the numpy
        path): default 32 with the fused kernels, 16 outcomes per exposure otherwise.
    mixed_precision : bool, default True
        ``"logit"`` with numpy: the first full evaluation of each pair in float32 (it only
        moves the estimate; convergence and standard errors always come from float64
        evaluations).
    outcome_chunk : int, optional
        Outcomes fitted together (memory ~ 4 arrays of ``outcome_chunk x n`` doubles); default
        ``5e7 / n`` (all 300 outcomes at n = 10,000; ~170 at n = 300,000).
    mask : bool array (E, O), optional
        Fit only these pairs (the others are NaN, not converged, 0 iterations): the exact
        refits of score-test screening. The covariate-only models are fitted once for all
        outcomes; each pair then starts from ``b_x = 0``.
    blas_threads : int or None, default 1
        BLAS threads while fitting (numpy backend). The products are tall and thin, for which
        multi-threaded OpenBLAS is slower, badly so on a busy machine; parallelise over
        exposure chunks instead (``phewas(..., scheduler=client)``). ``None`` leaves BLAS as is.
    kernel : {"auto", "fused", "numpy"}, default "auto"
        ``"logit"`` on the numpy backend: ``"fused"`` computes each model's information matrix
        and score in one compiled pass over its subjects (numba; about 2.5x faster),
        ``"numpy"`` with a matrix product per group of terms. ``"auto"``: fused when numba is
        installed (the ``fast`` extra; shap pulls it in too) and the outcomes are 0/1. Both
        give the same estimates (the same iterations from the same start; 1e-10 relative
        apart). The fused kernels are compiled on the first call in a process (~3 s).

    Returns
    -------
    dict of arrays shaped (E, O): ``beta``, ``se`` (exposure coefficient and its standard
    error; NaN where the pair did not converge: separation, constant or missing exposure),
    ``converged``, ``n_iter``.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.phenotype.solvers import fit_grid_batched
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(500, 2)); C = rng.normal(size=(500, 1))
    >>> Y = (rng.random((500, 3)) < 1 / (1 + np.exp(-(-1 + X[:, :1])))).astype(float)
    >>> out = fit_grid_batched(X, Y, C)
    >>> out["beta"].shape, bool(out["converged"].all())
    ((2, 3), True)
    """
    if method not in ("logit", "firth"):
        raise ArgumentError(f"method must be 'logit' or 'firth', not {method!r}")
    if kernel not in ("auto", "fused", "numpy"):
        raise ArgumentError(f"kernel must be 'auto', 'fused' or 'numpy', not {kernel!r}")
    if kernel == "fused" and _numba is None:
        raise ArgumentError("kernel='fused' needs numba (pip install numba, or the shap extra)")
    Y = np.asarray(Y)  # converted to float64 chunk by chunk (memory ~ outcome_chunk x n)
    Y = Y[:, None] if Y.ndim == 1 else Y
    chunk = outcome_chunk or max(16, int(5e7 // max(Y.shape[0], 1)))
    if Y.shape[1] > chunk:
        kw = dict(method=method, backend=backend, device=device, max_iter=max_iter, tol=tol,
                  block=block, blas_threads=blas_threads, mixed_precision=mixed_precision,
                  outcome_chunk=chunk, kernel=kernel)
        parts = [fit_grid_batched(X, Y[:, s : s + chunk], C,
                                  mask=None if mask is None else np.asarray(mask)[:, s : s + chunk], **kw)
                 for s in range(0, Y.shape[1], chunk)]
        return {k: np.concatenate([p[k] for p in parts], axis=1) for k in parts[0]}
    if blas_threads is not None and backend == "numpy":
        from threadpoolctl import threadpool_limits

        torch_threads = None
        try:
            import torch

            torch_threads = torch.get_num_threads()
            torch.set_num_threads(blas_threads)
        except ImportError:  # pragma: no cover
            pass
        try:
            with threadpool_limits(limits=blas_threads, user_api="blas"):
                return _fit_grid(X, Y, C, method, backend, device, max_iter, tol, block,
                                 mixed_precision, mask, kernel)
        finally:
            if torch_threads is not None:
                torch.set_num_threads(torch_threads)
    return _fit_grid(X, Y, C, method, backend, device, max_iter, tol, block, mixed_precision, mask,
                     kernel)


def _fit_grid(X, Y, C, method, backend, device, max_iter, tol, block, mixed_precision, mask=None,
              kernel="auto") -> dict:
    firth = method == "firth"
    if max_iter is None:
        max_iter = 100 if firth else 35
    if tol is None:
        tol = 1e-8 if firth else 1e-5
    max_step = 5.0 if firth else None
    bk = _backend(backend, device)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim == 1:
        Y = Y[:, None]
    n, E = X.shape
    O = Y.shape[1]
    C = np.zeros((n, 0)) if C is None else np.asarray(C, dtype=np.float64).reshape(n, -1)
    if not np.isfinite(C).all():
        raise ArgumentError("covariates must be finite; drop or impute missing rows first")
    q = C.shape[1]
    p = q + 2
    if mask is not None:
        mask = np.asarray(mask, dtype=bool).reshape(E, O)
    binary = not ((Y != 0.0) & (Y != 1.0) & ~np.isnan(Y)).any()
    fused = (not firth and backend == "numpy" and binary
             and (kernel == "fused" or (kernel == "auto" and _numba is not None)))
    if fused:
        return _fit_grid_fused(X, Y, C, max_iter, tol, 32 if block is None else block,
                               mixed_precision, mask, _kernels(q))
    block = 16 if block is None else block
    Yt, off, keep = _split_outcomes(bk, Y)
    act_cov = _active_covariates(C, keep)
    act0 = np.concatenate([np.ones((O, 1), bool), act_cov], axis=1)  # null model [1, C]
    act = np.concatenate([np.ones((O, 2), bool), act_cov], axis=1)  # full [1, x, C]

    # covariate-only model per outcome: the start of every pair of that outcome
    Z0 = np.concatenate([np.ones((n, 1)), C], axis=1)
    a0, c0 = _pairs(q + 1)
    G = np.zeros((O, q + 1))
    prev = keep.sum(axis=1)
    cases = np.nansum(Y, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        G[:, 0] = np.log(np.clip(cases, 0.5, None) / np.clip(prev - cases, 0.5, None))
    Gb = bk.asarray(G)
    Zb0 = bk.asarray(Z0)
    _fit_rows(bk, Zb0, bk.asarray(_products(bk, Z0, a0, c0)), a0, c0, Gb, Yt, off, None,
              bk.index(act0), False, 50, 1e-10, None, max(block, 64))
    G = bk.to_numpy(Gb)

    beta_all = np.full((E, O), np.nan)
    se_all = np.full((E, O), np.nan)
    conv_all = np.zeros((E, O), dtype=bool)
    iter_all = np.zeros((E, O), dtype=np.int64)
    B = np.zeros((E, O, p))
    B[:, :, 0] = G[None, :, 0]
    B[:, :, 2:] = G[None, :, 1:]
    Xvalid = np.isfinite(X)
    X0 = np.where(Xvalid, X, 0.0)

    if not firth and mask is None:
        # score step at b1 = 0: weights depend on the outcome only -> GEMMs over all exposures
        Zb0 = bk.asarray(Z0)
        t = Gb @ Zb0.T
        if off is not None:
            t = t - off
        mu = bk.mu_from_eta(t) if bk.name == "numpy" else bk.torch.sigmoid(t)
        R = bk.to_numpy(Yt - mu)
        W = bk.to_numpy(mu - mu * mu)
        H = np.zeros((O, E, p, p))
        g = np.zeros((O, E, p))
        Hc = np.einsum("on,na,nc->oac", W, Z0, Z0)  # [1, C] block
        idx = [0] + list(range(2, p))
        H[:, :, np.ix_(idx, idx)[0], np.ix_(idx, idx)[1]] = Hc[:, None]
        Wx = W @ X0  # (O, E)
        H[:, :, 0, 1] = H[:, :, 1, 0] = Wx
        H[:, :, 1, 1] = W @ (X0 * X0)
        for j in range(q):
            v = W @ (X0 * C[:, j : j + 1])
            H[:, :, 1, 2 + j] = H[:, :, 2 + j, 1] = v
        g[:, :, 1] = R @ X0
        g[:, :, idx] = (R @ Z0)[:, None, :]
        actf = act.astype(float)[:, None, :]
        g *= actf
        H = H * actf[..., :, None] * actf[..., None, :] + (1 - actf)[..., :, None] * np.eye(p)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Hinv, ok = _NumpyBackend().inv(H.reshape(-1, p, p))
        step = (Hinv @ g.reshape(-1, p, 1))[:, :, 0].reshape(O, E, p)
        ok = ok.reshape(O, E) & np.isfinite(step).all(axis=2)
        step[~ok] = 0.0
        B += step.transpose(1, 0, 2)
        iter_all += 1

    a, c = _pairs(p)
    low = mixed_precision and not firth and bk.name == "numpy"
    if low:
        Yt32 = Yt.astype(np.float32)
        off32 = None if off is None else off.astype(np.float32)
    act_all = act.astype(np.float64) if bk.name == "numpy" else None
    for e in range(E):
        cols = None if mask is None else np.flatnonzero(mask[e])
        if cols is not None and len(cols) == 0:
            continue
        Z = np.concatenate([np.ones((n, 1)), X0[:, e : e + 1], C], axis=1)
        vrow = None
        if not Xvalid[:, e].all():
            vrow = bk.asarray(np.where(Xvalid[:, e], 0.0, np.inf))
        if cols is None:
            Be = bk.asarray(B[e])
            Yt_e, off_e, act_e = Yt, off, (act_all if bk.name == "numpy" else bk.index(act))
            Yt32_e = Yt32 if low else None
            off32_e = off32 if low else None
        else:
            ci = bk.index(cols)
            Be = bk.asarray(B[e][cols])
            Yt_e, off_e = Yt[ci], None if off is None else off[ci]
            act_e = act_all[cols] if bk.name == "numpy" else bk.index(act[cols])
            Yt32_e = Yt32[cols] if low else None
            off32_e = None if (not low or off32 is None) else off32[cols]
        Zb = np.asfortranarray(Z) if bk.name == "numpy" else bk.asarray(Z)
        Db = bk.asarray(_products(bk, Z, a, c))
        first32 = None
        if low:
            first32 = (np.asfortranarray(Z, dtype=np.float32), Db.astype(np.float32), Yt32_e, off32_e,
                       None if vrow is None else vrow.astype(np.float32))
        conv, nit, se = _fit_rows(
            bk, Zb, Db, a, c, Be, Yt_e, off_e, vrow, act_e, firth, max_iter, tol, max_step, block,
            correct=not firth, first32=first32,
        )
        sel = slice(None) if cols is None else cols
        beta_all[e, sel] = bk.to_numpy(Be)[:, 1]
        se_all[e, sel] = se[:, 1]
        conv_all[e, sel] = conv
        iter_all[e, sel] += nit
    beta_all[~conv_all] = np.nan  # no estimate without convergence (separation, singular design)
    se_all[~conv_all] = np.nan
    return {"beta": beta_all, "se": se_all, "converged": conv_all, "n_iter": iter_all}


# ----------------------------------------------------------------------------- per-model paths
def _drop_constant(Xd: np.ndarray) -> np.ndarray:
    """Keep the intercept, the exposure and covariates that vary."""
    keep = np.ones(Xd.shape[1], dtype=bool)
    if Xd.shape[1] > 2:
        sd = Xd[:, 2:].std(axis=0)
        keep[2:] = sd > 1e-10 * np.maximum(np.abs(Xd[:, 2:]).max(axis=0), 1e-300)
    return Xd[:, keep]


def logit_fit_single(y: np.ndarray, Xd: np.ndarray, maxiter: int = 35) -> tuple[float, float, bool]:
    """One statsmodels ``Logit`` (Newton); returns (beta, se, converged) of column 1."""
    import statsmodels.api as sm

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = sm.Logit(y, Xd).fit(disp=0, method="newton", maxiter=maxiter)
        conv = bool(res.mle_retvals.get("converged", False))
        beta, se = float(res.params[1]), float(res.bse[1])
        if not (conv and np.isfinite(beta) and np.isfinite(se)):
            return np.nan, np.nan, False
        return beta, se, conv
    except Exception as exc:  # perfect separation, singular matrix
        logger.debug("statsmodels fit failed: %s", exc)
        return np.nan, np.nan, False


def firth_logit(y, Xd, max_iter: int = 100, tol: float = 1e-8, max_step: float = 5.0,
                fixed=None, start=None):
    """Firth-penalised logistic regression of one model.

    Maximises ``l(b) + 1/2 log det I(b)`` by the modified-score iteration
    ``b += I(b)^{-1} X'(y - mu + h (1/2 - mu))`` (step capped at ``max_step``). ``fixed``
    (column indices) holds those coefficients at 0 while the penalty still uses the full design
    (the constrained fit of the penalised likelihood-ratio test, see :func:`firth_lrt`);
    ``start`` (p,) gives the starting coefficients, and the values the ``fixed`` ones are held at
    (the constrained fits of :func:`firth_profile_ci`).

    Returns
    -------
    params : ndarray, se : ndarray (sqrt of diag I^{-1} at the estimate), converged : bool

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.phenotype.solvers import firth_logit
    >>> X = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1.]])
    >>> params, se, ok = firth_logit(np.array([0, 0, 0, 1, 1, 1.]), X)  # separated data
    >>> ok, bool(np.isfinite(params).all())
    (True, True)
    """
    y = np.asarray(y, dtype=float)
    Xd = np.asarray(Xd, dtype=float)
    p = Xd.shape[1]
    free = np.ones(p, dtype=bool)
    if fixed is not None:
        free[np.atleast_1d(fixed)] = False
    b = np.zeros(p) if start is None else np.array(start, dtype=float)
    nan = np.full_like(b, np.nan)
    ev = _firth_point(y, Xd, b, free)
    if ev is None:
        return nan, nan, False
    pl = np.nan  # penalised log-likelihood at b, computed only when a halving decision needs it
    for _ in range(max_iter):
        score, inv, inv_free = ev
        step = np.zeros(p)
        step[free] = inv_free @ score[free]
        big = np.abs(step).max()
        if big > max_step:
            step *= max_step / big
        if big < tol:
            return b + step, np.sqrt(np.diag(inv)), True
        # step-halving (as logistf): a step that passes the maximum along its direction (the
        # slope there, step . score, is negative) without raising the penalised log-likelihood is
        # halved, so the iteration climbs instead of cycling (Heinze & Schemper 2002)
        pl_new = np.nan
        for _h in range(STEP_HALVINGS + 1):
            new = _firth_point(y, Xd, b + step, free)
            # not far past the maximum along the step (slope there at most half the starting one)
            if new is not None and float(step @ new[0]) >= -0.5 * float(step @ score):
                break
            if new is not None:  # past it: kept only if the penalised log-likelihood rose
                if np.isnan(pl):
                    pl = firth_penalised_loglik(y, Xd, b)
                pl_new = firth_penalised_loglik(y, Xd, b + step)
                if np.isfinite(pl_new) and pl_new > pl:
                    break
            step = step / 2.0
        else:
            return b, np.sqrt(np.diag(inv)), False
        b, ev, pl = b + step, new, pl_new
    return b, np.sqrt(np.diag(ev[1])), False


def _firth_point(y, Xd, b, free):
    """Modified score (free coefficients; 0 for the fixed ones) and inverse information (full and
    of the free coefficients) at ``b``; None when the information cannot be inverted."""
    with np.errstate(over="ignore"):
        mu = 1.0 / (1.0 + np.exp(-(Xd @ b)))
    w = mu * (1.0 - mu)
    info = Xd.T @ (Xd * w[:, None])
    try:
        inv = np.linalg.inv(info)
        inv_free = np.linalg.inv(info[np.ix_(free, free)])
    except np.linalg.LinAlgError:
        return None
    h = w * np.einsum("ij,jk,ik->i", Xd, inv, Xd)
    score = Xd.T @ (y - mu + h * (0.5 - mu))
    return np.where(free, score, 0.0), inv, inv_free


#: Most halvings of one Firth Newton step (:func:`firth_logit`, :func:`_firth_block`).
STEP_HALVINGS = 30


def firth_penalised_loglik(y, Xd, b) -> float:
    """``l(b) + 1/2 log det I(b)`` of a logistic model."""
    eta = np.asarray(Xd, float) @ b
    ll = float(np.sum(np.asarray(y, float) * eta - np.logaddexp(0.0, eta)))
    with np.errstate(over="ignore"):  # far out along a profile: exp overflows, mu is 0 exactly
        mu = 1.0 / (1.0 + np.exp(-eta))
    info = Xd.T @ (Xd * (mu * (1.0 - mu))[:, None])
    return ll + 0.5 * float(np.linalg.slogdet(info)[1])


def firth_lrt(y, Xd, j: int = 1) -> tuple[float, float, bool]:
    """Penalised likelihood-ratio test of coefficient ``j`` (Heinze & Schemper 2002).

    Returns (statistic ``2 (l*(b) - l*(b | b_j = 0))``, p-value from chi-square(1), converged).
    Better calibrated than the Wald test under separation, where the Wald SE is inflated.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.phenotype.solvers import firth_lrt
    >>> X = np.column_stack([np.ones(8), [0, 0, 0, 0, 1, 1, 1, 1.]])
    >>> stat, p, ok = firth_lrt(np.array([0, 0, 0, 0, 1, 1, 1, 1.]), X)
    >>> ok, bool(0 < p < 0.05)
    (True, True)
    """
    from scipy import stats as _stats

    full, _, ok1 = firth_logit(y, Xd)
    null, _, ok0 = firth_logit(y, Xd, fixed=[j])
    if not (ok1 and ok0):
        return np.nan, np.nan, False
    stat = max(0.0, 2.0 * (firth_penalised_loglik(y, Xd, full) - firth_penalised_loglik(y, Xd, null)))
    return stat, float(_stats.chi2.sf(stat, 1)), True


def firth_profile_ci(y, Xd, j: int = 1, level: float = 0.95) -> tuple[float, float, bool]:
    """Profile penalised-likelihood confidence interval of coefficient ``j`` (one model).

    The set of ``t`` with ``2 (l*(b) - max l*(. | b_j = t)) <= chi2_1(level)`` (Heinze &
    Schemper 2002; what logistf reports): it inverts the penalised likelihood-ratio test of
    :func:`firth_lrt`, so the interval excludes 0 exactly when that test's p-value is below
    ``1 - level``. Each end by :func:`scipy.optimize.brentq` on constrained :func:`firth_logit`
    fits, each started from the last one moved along the profile's tangent and allowed
    :data:`PROFILE_MAX_ITER` iterations, and, for separated data, also from the starts of
    :data:`PROFILE_MULTISTART_POINTS` (the highest maximum kept). Both ends exist for a
    full-rank design, under separation too (see :func:`_profile_side`). The reference for the
    batched :func:`firth_lrt_grid` (``ci_level``).

    Returns
    -------
    (low, high, ok): the interval on the coefficient (log-odds) scale; NaN and False where a
    fit failed or no end was bracketed in 40 steps (doubling from 1, halved after a failed fit).

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.phenotype.solvers import firth_profile_ci
    >>> X = np.column_stack([np.ones(8), [0, 0, 0, 0, 1, 1, 1, 1.]])
    >>> lo, hi, ok = firth_profile_ci(np.array([0, 0, 0, 1, 0, 1, 1, 1.]), X)
    >>> ok, bool(lo < 0 < hi)
    (True, True)
    """
    from scipy import optimize as _opt
    from scipy import stats as _stats

    y = np.asarray(y, dtype=float)
    Xd = np.asarray(Xd, dtype=float)
    full, _, ok = firth_logit(y, Xd)
    if not ok:
        return np.nan, np.nan, False
    pl1 = firth_penalised_loglik(y, Xd, full)
    q = float(_stats.chi2.ppf(level, 1))

    warm = {"b": full}

    def tangent(b):
        # d b / d b_j along the profile path: -I_ff^{-1} I_fj (see _profile_tangent)
        with np.errstate(over="ignore"):
            mu = 1.0 / (1.0 + np.exp(-(Xd @ b)))
        info = Xd.T @ (Xd * (mu * (1.0 - mu))[:, None])
        free = np.arange(Xd.shape[1]) != j
        out = np.zeros(Xd.shape[1])
        try:
            out[free] = -np.linalg.solve(info[np.ix_(free, free)], info[free, j])
        except np.linalg.LinAlgError:
            out[:] = 0.0
        out[j] = 1.0
        return out if np.isfinite(out).all() else np.eye(Xd.shape[1])[j]

    def f(t):
        b0 = warm["b"]
        start = b0 + (t - b0[j]) * tangent(b0)  # predictor along the profile path
        start[j] = t
        starts = [start]
        # separated data: also from the starts with the hyperplane through each nearest subject
        # (PROFILE_MULTISTART_POINTS; the intercept is column 0)
        for shift in _multistart_offsets((Xd @ start)[None, :], np.ones((1, len(y)), bool)):
            if np.isfinite(shift[0]):
                starts.append(start - np.eye(len(start))[0] * shift[0])
        best, best_pl = None, -np.inf
        for s0 in starts:
            with np.errstate(over="ignore"):
                b, _, okt = firth_logit(y, Xd, fixed=[j], start=s0, max_iter=PROFILE_MAX_ITER)
            if okt:
                pl_b = firth_penalised_loglik(y, Xd, b)
                if pl_b > best_pl:
                    best, best_pl = b, pl_b
        if best is None:
            raise FloatingPointError("constrained Firth fit did not converge")
        return 2.0 * (pl1 - best_pl) - q, best

    ends = []
    for sign in (-1.0, 1.0):
        warm["b"] = full
        inner, step, outer, tries = full[j], 1.0, None, 0
        while outer is None and tries < 40:  # bracket: double on success, halve after a failed fit
            tries += 1
            t = inner + sign * step
            try:
                ft, bt = f(t)
            except FloatingPointError:
                step /= 2.0
                continue
            if ft > 0:
                outer = t
            else:
                inner, step = t, 2.0 * step
                warm["b"] = bt
        if outer is None:
            return np.nan, np.nan, False
        try:
            ends.append(_opt.brentq(lambda t: f(t)[0], min(inner, outer), max(inner, outer),
                                    xtol=1e-10, rtol=1e-12))
        except FloatingPointError:
            return np.nan, np.nan, False
    return ends[0], ends[1], True


def _grid_arrays(X, Y, C) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exposures ``(n, E)``, outcomes ``(n, O)`` and covariates ``(n, k)`` as float64 2-D arrays."""
    X = np.asarray(X, dtype=np.float64)
    X = X[:, None] if X.ndim == 1 else X
    Y = np.asarray(Y, dtype=np.float64)
    Y = Y[:, None] if Y.ndim == 1 else Y
    n = X.shape[0]
    C = np.zeros((n, 0)) if C is None else np.asarray(C, dtype=np.float64).reshape(n, -1)
    return X, Y, C


def fit_grid_statsmodels(X, Y, C=None, *, method: str = "logit", pairs=None) -> dict:
    """Reference solver: one model per pair (statsmodels ``Logit``; :func:`firth_logit` for
    ``method="firth"``). ``pairs`` (list of (e, o)) restricts the fits; others stay NaN.

    Returns the same dict as :func:`fit_grid_batched`.
    """
    X, Y, C = _grid_arrays(X, Y, C)
    n, E = X.shape
    O = Y.shape[1]
    out = {
        "beta": np.full((E, O), np.nan),
        "se": np.full((E, O), np.nan),
        "converged": np.zeros((E, O), dtype=bool),
        "n_iter": np.zeros((E, O), dtype=np.int64),
    }
    if pairs is None:
        pairs = [(e, o) for e in range(E) for o in range(O)]
    for e, o in pairs:
        rows = np.isfinite(Y[:, o]) & np.isfinite(X[:, e])
        if rows.sum() <= C.shape[1] + 2:
            continue
        Xd = _drop_constant(np.column_stack([np.ones(rows.sum()), X[rows, e], C[rows]]))
        if method == "firth":
            params, se, ok = firth_logit(Y[rows, o], Xd)
            beta, s = params[1], se[1]
        else:
            beta, s, ok = logit_fit_single(Y[rows, o], Xd)
        out["beta"][e, o], out["se"][e, o], out["converged"][e, o] = beta, s, ok
    return out


# ----------------------------------------------------------------------------- diagnostics
def collinear_columns(A, names=None, rtol: float = 1e-9) -> list:
    """Columns of ``A`` that lie in the span of the other columns (rank-deficient design).

    Each column is scaled to unit root-mean-square first; a column is reported when its
    residual after least squares on the other columns is below ``rtol`` (relative). An empty
    list means ``A`` has full column rank.

    Parameters
    ----------
    A : array (n, k)
    names : sequence of str, optional
        Column names for the answer (default: indices).

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.phenotype.solvers import collinear_columns
    >>> age = np.array([50., 61, 72, 45]); sex = np.array([0., 1, 1, 0])
    >>> collinear_columns(np.column_stack([np.ones(4), age, 12 * age, sex]),
    ...                   ["intercept", "age_years", "age_months", "sex"])
    ['age_years', 'age_months']
    """
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2 or A.shape[1] == 0:
        return []
    names = list(range(A.shape[1])) if names is None else list(names)
    scale = np.sqrt(np.mean(A * A, axis=0))
    zero = scale <= 1e-300
    As = A / np.where(zero, 1.0, scale)
    if not zero.any() and np.linalg.matrix_rank(As, tol=rtol * np.sqrt(A.shape[0]) * 10) == A.shape[1]:
        return []
    out = []
    for j in range(A.shape[1]):
        if zero[j]:
            out.append(names[j])
            continue
        others = np.delete(As, j, axis=1)
        if others.shape[1] == 0:
            continue
        coef, *_ = np.linalg.lstsq(others, As[:, j], rcond=None)
        resid = As[:, j] - others @ coef
        if np.sqrt(np.mean(resid * resid)) < 1e-6:
            out.append(names[j])
    return out


def detect_separation(y, Xd, tol: float = 1e-7) -> bool:
    """True when the outcome is completely or quasi-completely separated by the design.

    Linear-programming check (Konis 2007, as the ``detectseparation`` R package): with
    ``s_i = 2 y_i - 1`` the data are separated exactly when some ``b != 0`` (outside the null
    space of ``Xd``) has ``s_i x_i'b >= 0`` for every subject; the maximum likelihood estimate
    is then infinite (Albert & Anderson 1984). We maximise ``sum_i s_i x_i'b`` under those
    constraints and ``|b_j| <= 1``; a positive optimum means separation.

    Parameters
    ----------
    y : array (n,), 0/1
    Xd : array (n, p), the design with its intercept column.

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.phenotype.solvers import detect_separation
    >>> x = np.array([-2., -1, -0.5, 0.5, 1, 2])
    >>> detect_separation(np.array([0, 0, 0, 1, 1, 1.]), np.column_stack([np.ones(6), x]))
    True
    >>> detect_separation(np.array([0, 1, 0, 1, 0, 1.]), np.column_stack([np.ones(6), x]))
    False
    """
    from scipy.optimize import linprog

    y = np.asarray(y, dtype=np.float64)
    Xd = np.asarray(Xd, dtype=np.float64)
    scale = np.abs(Xd).max(axis=0)
    Xs = Xd / np.where(scale > 0, scale, 1.0)
    A = (2.0 * y - 1.0)[:, None] * Xs  # rows s_i x_i
    res = linprog(-A.sum(axis=0), A_ub=-A, b_ub=np.zeros(len(y)), bounds=[(-1.0, 1.0)] * Xd.shape[1],
                  method="highs")
    if res.status != 0:  # pragma: no cover - the LP is always feasible (b = 0) and bounded
        return False
    return bool(-res.fun > tol * max(1.0, len(y)))


def fit_null_models(Y, C=None, *, max_iter: int = 50, tol: float = 1e-10, kernel: str = "auto") -> dict:
    """Covariate-only models ``logit(y_o) ~ 1 + C`` of every outcome, by batched Newton.

    Parameters
    ----------
    Y : array (n, O)
        Outcomes 0/1, NaN = excluded from that outcome.
    C : array (n, q), optional
        Finite covariates. A covariate constant among an outcome's subjects is held at 0.
    kernel : {"auto", "fused", "numpy"}, default "auto"
        As in :func:`fit_grid_batched`: the fused compiled kernels (numba) or numpy products;
        the same estimates (both iterate to ``tol``).

    Returns
    -------
    dict: ``coef`` (O, q + 1: intercept then covariates), ``active`` (O, q + 1: columns
    estimated), ``converged`` (O,), ``mu`` (O, n: fitted probabilities, 0 where excluded).

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.phenotype.solvers import fit_null_models
    >>> rng = np.random.default_rng(0)
    >>> Y = (rng.random((400, 2)) < 0.2).astype(float)
    >>> out = fit_null_models(Y)
    >>> np.allclose(1 / (1 + np.exp(-out["coef"][:, 0])), Y.mean(axis=0))
    True
    """
    if kernel not in ("auto", "fused", "numpy"):
        raise ArgumentError(f"kernel must be 'auto', 'fused' or 'numpy', not {kernel!r}")
    if kernel == "fused" and _numba is None:
        raise ArgumentError("kernel='fused' needs numba (pip install numba, or the shap extra)")
    Y = np.asarray(Y, dtype=np.float64)
    Y = Y[:, None] if Y.ndim == 1 else Y
    n, O = Y.shape
    C = np.zeros((n, 0)) if C is None else np.asarray(C, dtype=np.float64).reshape(n, -1)
    binary = not ((Y != 0.0) & (Y != 1.0) & ~np.isnan(Y)).any()
    if binary and (kernel == "fused" or (kernel == "auto" and _numba is not None)):
        return _null_models_fused(_outcome_codes(Y), C, max_iter, tol, _kernels(C.shape[1]))
    Z = np.concatenate([np.ones((n, 1)), C], axis=1)
    k = Z.shape[1]
    keep = np.isfinite(Y)
    Yt = np.where(keep, Y, 0.0).T
    kt = keep.T.astype(np.float64)
    act = np.concatenate([np.ones((O, 1), bool), _active_covariates(C, keep.T)], axis=1)
    actf = act.astype(np.float64)
    a, c = np.triu_indices(k)
    D = Z[:, a] * Z[:, c]
    G = np.zeros((O, k))
    cases = Yt.sum(axis=1)
    tot = kt.sum(axis=1)
    G[:, 0] = np.log(np.clip(cases, 0.5, None) / np.clip(tot - cases, 0.5, None))
    conv = np.zeros(O, dtype=bool)
    eye = np.eye(k)
    for _ in range(max_iter):
        mu = 1.0 / (1.0 + np.exp(-(G @ Z.T)))
        w = mu * (1.0 - mu) * kt
        H = np.zeros((O, k, k))
        hv = w @ D
        H[:, a, c] = hv
        H[:, c, a] = hv
        H = H * actf[:, :, None] * actf[:, None, :] + (1.0 - actf)[:, :, None] * eye
        g = ((Yt - mu) * kt) @ Z * actf
        with np.errstate(all="ignore"):
            step = np.linalg.solve(H, g[:, :, None])[:, :, 0]
        ok = np.isfinite(step).all(axis=1)
        step[~ok] = 0.0
        step[conv] = 0.0
        G += step
        conv |= ok & (np.abs(step).max(axis=1) < tol)
        if conv.all():
            break
    mu = 1.0 / (1.0 + np.exp(-(G @ Z.T))) * kt
    return {"coef": G, "active": act, "converged": conv, "mu": mu}


# ----------------------------------------------------------------------------- batched Firth LRT
def _batched_solve(A: np.ndarray, B: np.ndarray | None) -> np.ndarray:
    """``A^{-1}`` (``B`` None) or ``A^{-1} B`` for a stack of matrices; a singular one gives NaN
    (its row then cannot take a step) instead of stopping the whole stack (numpy raises)."""
    try:
        return np.linalg.inv(A) if B is None else np.linalg.solve(A, B)
    except np.linalg.LinAlgError:
        shape = A.shape if B is None else B.shape
        out = np.full(shape, np.nan)
        for i in range(A.shape[0]):
            try:
                out[i] = np.linalg.inv(A[i]) if B is None else np.linalg.solve(A[i], B[i])
            except np.linalg.LinAlgError:
                pass
        return out


def _firth_block(Z, D, a, c, Yb, valid, act, fixed_exposure: bool, max_iter=100, tol=1e-8, max_step=5.0,
                 fixed_value=None, B0=None, return_coef: bool = False):
    """Firth fits of the rows of ``Yb`` (b, n) on the design ``Z`` (n, p); with
    ``fixed_exposure`` the coefficient of column 1 is held at ``fixed_value`` (b,) (0 when None)
    while the penalty keeps the full design (the constrained fit of the penalised LRT and of the
    profile). ``B0`` (b, p): starting coefficients. Returns (penalised log-likelihood (b,),
    converged (b,)) and, with ``return_coef``, the (b, p) coefficients."""
    b, n = Yb.shape
    p = Z.shape[1]
    B = np.zeros((b, p)) if B0 is None else np.array(B0, dtype=np.float64)
    free_all = act.astype(np.float64).copy()
    if fixed_exposure:
        free_all[:, 1] = 0.0
        B[:, 1] = 0.0 if fixed_value is None else fixed_value
    actf_all = act.astype(np.float64)
    vf_all = valid.astype(np.float64)
    conv = np.zeros(b, dtype=bool)
    stuck = np.zeros(b, dtype=bool)  # a non-finite step, or no halving helps: the row stops (not converged)
    g, step = _firth_block_point(Z, D, a, c, Yb, vf_all, actf_all, free_all, B)
    pl = np.full(b, np.nan)  # penalised log-likelihood at B, computed only where a halving decision needs it
    for _ in range(max_iter):
        r = np.flatnonzero(~conv & ~stuck)  # only the rows still iterating (a slow row does not hold up the others)
        if not r.size:
            break
        st = step[r].copy()
        ok = np.isfinite(st).all(axis=1)
        st[~ok] = 0.0
        big = np.abs(st).max(axis=1)
        st *= np.where(big > max_step, max_step / np.maximum(big, 1e-300), 1.0)[:, None]
        done = ok & (big < tol)
        B[r[done]] = B[r[done]] + st[done]
        conv[r[done]] = True
        stuck[r[~ok]] = True
        # step-halving (as firth_logit): a step that passes the maximum along its direction without
        # raising the penalised log-likelihood is halved, so the iteration climbs instead of cycling
        todo = r[ok & ~done]
        st = st[ok & ~done]
        for _h in range(STEP_HALVINGS + 1):
            if not todo.size:
                break
            cand = B[todo] + st
            g_c, step_c = _firth_block_point(Z, D, a, c, Yb[todo], vf_all[todo], actf_all[todo],
                                             free_all[todo], cand)
            with np.errstate(invalid="ignore"):
                # not far past the maximum along the step: the slope there is at most half the
                # starting slope in size (a full Newton step on a near-quadratic lands at ~0)
                good = np.einsum("ij,ij->i", st, g_c) >= -0.5 * np.einsum("ij,ij->i", st, g[todo])
            pl_c = np.full(len(todo), np.nan)
            k = np.flatnonzero(~good)
            if k.size:  # past it: the step is kept only if it raised the penalised log-likelihood
                unknown = k[np.isnan(pl[todo[k]])]
                if unknown.size:
                    pl[todo[unknown]] = _firth_block_pl(Z, D, a, c, Yb[todo[unknown]], vf_all[todo[unknown]],
                                                        actf_all[todo[unknown]], B[todo[unknown]])
                pl_c[k] = _firth_block_pl(Z, D, a, c, Yb[todo[k]], vf_all[todo[k]], actf_all[todo[k]], cand[k])
                with np.errstate(invalid="ignore"):
                    good[k] = np.isfinite(pl_c[k]) & (pl_c[k] > pl[todo[k]])
            acc = todo[good]
            B[acc], pl[acc], g[acc], step[acc] = cand[good], pl_c[good], g_c[good], step_c[good]
            todo, st = todo[~good], st[~good] / 2.0
        stuck[todo] = True  # no step along the direction helps: cannot move again
    vf = vf_all
    actf = actf_all
    eye = np.eye(p)
    eta = B @ Z.T
    mu = 1.0 / (1.0 + np.exp(-eta))
    w = mu * (1.0 - mu) * vf
    ll = np.sum(np.where(valid, Yb * eta - np.logaddexp(0.0, eta), 0.0), axis=1)
    H = np.zeros((b, p, p))
    hv = w @ D
    H[:, a, c] = hv
    H[:, c, a] = hv
    Ha = H * actf[:, :, None] * actf[:, None, :] + (1.0 - actf)[:, :, None] * eye
    logdet = np.linalg.slogdet(Ha)[1]
    if return_coef:
        return ll + 0.5 * logdet, conv, B
    return ll + 0.5 * logdet, conv


def _firth_block_pl(Z, D, a, c, Yb, vf, actf, B):
    """Penalised log-likelihood (r,) of ``_firth_block``'s rows at ``B`` (r, p), with the penalty of
    the full active design; NaN where the information is not positive definite."""
    r, p = B.shape
    with np.errstate(over="ignore"):
        eta = B @ Z.T
        mu = 1.0 / (1.0 + np.exp(-eta))
    hv = (mu * (1.0 - mu) * vf) @ D
    H = np.zeros((r, p, p))
    H[:, a, c] = hv
    H[:, c, a] = hv
    Ha = H * actf[:, :, None] * actf[:, None, :] + (1.0 - actf)[:, :, None] * np.eye(p)
    ll = np.sum(np.where(vf > 0, Yb * eta - np.logaddexp(0.0, eta), 0.0), axis=1)
    sign, logdet = np.linalg.slogdet(Ha)
    return np.where(sign > 0, ll + 0.5 * logdet, np.nan)


def _firth_block_point(Z, D, a, c, Yb, vf, actf, free, B):
    """At the coefficients ``B`` (r, p) of ``_firth_block``'s rows: the modified score of the free
    coefficients (r, p) and the modified-score step (r, p; NaN where the information is
    singular)."""
    r, p = B.shape
    eye = np.eye(p)
    with np.errstate(over="ignore"):
        eta = B @ Z.T
        mu = 1.0 / (1.0 + np.exp(-eta))
    w = mu * (1.0 - mu) * vf
    H = np.zeros((r, p, p))
    hv = w @ D
    H[:, a, c] = hv
    H[:, c, a] = hv
    Ha = H * actf[:, :, None] * actf[:, None, :] + (1.0 - actf)[:, :, None] * eye
    with np.errstate(all="ignore"):
        Hinv = _batched_solve(Ha, None)
        h = w * ((Hinv[:, a, c] * ((a != c) + 1.0)) @ D.T)
        g = ((Yb - mu + h * (0.5 - mu)) * vf) @ Z * free
        Hf = H * free[:, :, None] * free[:, None, :] + (1.0 - free)[:, :, None] * eye
        step = _batched_solve(Hf, g[:, :, None])[:, :, 0]
    return g, step


def _profile_tangent(Z, D, a, c, B, valid, act) -> np.ndarray:
    """``d b / d b_1`` along the profile path at the coefficients ``B`` (b, p), from the
    information matrix: the free coefficients move by ``-I_ff^{-1} I_f1`` per unit of the
    exposure coefficient (implicit-function theorem on the score equations of the free ones),
    so a fit at ``t`` starts where the linear predictor of the data barely moves (under
    separation the intercept follows the exposure coefficient: ``b_0 ~ -t x_0``). Inactive
    covariates do not move; rows whose information cannot be solved get no tangent (0)."""
    b, p = B.shape
    mu = 1.0 / (1.0 + np.exp(-np.clip(B @ Z.T, -700, 700)))
    hv = (mu * (1.0 - mu) * valid) @ D
    H = np.zeros((b, p, p))
    H[:, a, c] = hv
    H[:, c, a] = hv
    actf = act.astype(np.float64)
    H = H * actf[:, :, None] * actf[:, None, :] + (1.0 - actf)[:, :, None] * np.eye(p)
    Hf = H.copy()
    Hf[:, 1, :] = 0.0
    Hf[:, :, 1] = 0.0
    Hf[:, 1, 1] = 1.0
    rhs = -H[:, :, 1].copy()
    rhs[:, 1] = 0.0
    with np.errstate(all="ignore"):
        try:
            T = np.linalg.solve(Hf, rhs[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            T = np.zeros((b, p))
    T[~np.isfinite(T).all(axis=1)] = 0.0
    T[:, 1] = 1.0
    return T


#: iterations allowed to each constrained fit of a profile interval. Near (quasi-)separation the
#: modified-score iteration converges linearly with a rate that approaches 1 as the held
#: coefficient moves out (0.2 per iteration near the estimate, 0.93 at the upper end of a pair
#: completely separated by a continuous exposure with a 0.02-SD gap between cases and controls:
#: 200-370 iterations to a step under 1e-8, tests/test_phenotype_firth_profile_ends.py); 100, the
#: budget of the unconstrained fits, left such ends not found.
PROFILE_MAX_ITER = 500
#: Far out along the profile of a pair separated by a continuous exposure the penalised
#: log-likelihood, as a function of the other coefficients, has one local maximum per subject
#: near the separating hyperplane (the hyperplane through that subject keeps its weight
#: ``mu (1 - mu)`` and so the information); a fit from one start can stop on a lower one and
#: report the profile too low (an interval too narrow: 53.04 instead of 53.63 for 200 subjects
#: separated at x = 1.5, checked against a brute-force profile). Where fewer than
#: :data:`PROFILE_MULTISTART_MODERATE` subjects have ``1e-3 < mu < 1 - 1e-3`` at the start, the
#: fit is repeated from the starts that put the hyperplane through each of the
#: :data:`PROFILE_MULTISTART_POINTS` subjects nearest it, and the highest maximum is kept.
PROFILE_MULTISTART_MODERATE = 10
PROFILE_MULTISTART_POINTS = 6


def _multistart_offsets(eta: np.ndarray, valid: np.ndarray) -> list[np.ndarray]:
    """Intercept shifts that move the separating hyperplane of each row through one of its
    subjects nearest it (see :data:`PROFILE_MULTISTART_POINTS`); empty for rows with enough
    subjects of moderate fitted probability. ``eta`` (b, n) linear predictors, ``valid`` (b, n)."""
    # |eta| < 6.9: 1e-3 < mu < 1 - 1e-3
    moderate = ((np.abs(eta) < np.log(1.0 / 1e-3 - 1.0)) & valid).sum(axis=1)
    sep = np.flatnonzero(moderate < PROFILE_MULTISTART_MODERATE)
    if not sep.size:
        return []
    dist = np.where(valid[sep], np.abs(eta[sep]), np.inf)
    k = min(PROFILE_MULTISTART_POINTS, eta.shape[1])
    near = np.argsort(dist, axis=1)[:, :k]
    out = []
    for i in range(k):
        shift = np.full(eta.shape[0], np.nan)
        col = near[:, i : i + 1]
        fin = np.isfinite(np.take_along_axis(dist, col, axis=1)[:, 0])
        shift[sep[fin]] = np.take_along_axis(eta[sep], col, axis=1)[:, 0][fin]
        out.append(shift)
    return out


def _profile_side(Z, D, a, c, Yb, valid, act, B1, pl1, q, sign: float, xtol=1e-9, max_expand=40,
                  max_iter=100):
    """One end (``sign`` -1: lower, +1: upper) of the profile penalised-likelihood interval of the
    exposure coefficient of each row: the root ``t`` of ``f(t) = 2 (pl1 - pl*(t)) - q`` beyond
    the estimate ``B1[:, 1]``, where ``pl*(t)`` is the penalised log-likelihood maximised with the
    coefficient held at ``t``. Bracketed by doubling steps (halved after a failed fit), then Illinois regula falsi (all rows
    together, each row until its bracket is narrower than ``xtol`` or ``|f| < 1e-10``). Each
    constrained fit starts from the last one moved along the profile's tangent
    (:func:`_profile_tangent`) and may take :data:`PROFILE_MAX_ITER` iterations. NaN where
    a constrained fit failed or no bracket was found.

    The end always exists for a full-rank design: along the profile ``|b_1| -> inf`` every
    subject off one hyperplane of the design gets ``mu -> 0`` or ``1``, so ``det I(b) -> 0`` and
    the penalised log-likelihood ``l(b) + 1/2 log det I(b) -> -inf`` (``l <= 0``), also under
    (quasi-)complete separation (Heinze & Schemper 2002 report finite profile limits there). An
    end not found is therefore a numerical failure, not an unbounded interval."""
    b = Yb.shape[0]
    t_in = B1[:, 1].copy()
    f_in = np.full(b, -q)
    t_out = np.full(b, np.nan)
    f_out = np.full(b, np.nan)
    Bw = B1.copy()
    Tw = _profile_tangent(Z, D, a, c, Bw, valid, act)
    bad = np.zeros(b, dtype=bool)

    def f_at(rows, t):
        start = Bw[rows] + (t - Bw[rows, 1])[:, None] * Tw[rows]  # predictor along the profile path
        start[:, 1] = t
        # separated rows: also from the starts with the hyperplane through each nearest subject,
        # all fitted together with the predictor starts; each row keeps its highest maximum
        owner, starts = [np.arange(len(rows))], [start]
        for shift in _multistart_offsets(start @ Z.T, valid[rows]):
            m = np.flatnonzero(np.isfinite(shift))
            s0 = start[m].copy()
            s0[:, 0] -= shift[m]
            owner.append(m)
            starts.append(s0)
        owner, starts = np.concatenate(owner), np.vstack(starts)
        rr = rows[owner]
        with np.errstate(over="ignore"):  # far ends of separated pairs: mu saturates at 0 or 1
            pl_all, ok_all, B_all = _firth_block(Z, D, a, c, Yb[rr], valid[rr], act[rr], True,
                                                 fixed_value=starts[:, 1], B0=starts, return_coef=True,
                                                 max_iter=PROFILE_MAX_ITER)
        score = np.where(ok_all, pl_all, -np.inf)
        pl = np.full(len(rows), -np.inf)
        np.maximum.at(pl, owner, score)
        ok = np.isfinite(pl)
        pick = np.zeros(len(rows), dtype=int)
        top = ok_all & (score == pl[owner])
        pick[owner[top]] = np.flatnonzero(top)
        B = B_all[pick]
        done = rows[ok]
        Bw[done] = B[ok]
        if done.size:
            Tw[done] = _profile_tangent(Z, D, a, c, Bw[done], valid[done], act[done])
        return 2.0 * (pl1[rows] - pl) - q, ok

    # first step: the Wald half-width (the profile end is near it for all but separated pairs)
    mu = 1.0 / (1.0 + np.exp(-np.clip(B1 @ Z.T, -700, 700)))
    hv = (mu * (1.0 - mu) * valid) @ D
    H = np.zeros((b, Z.shape[1], Z.shape[1]))
    H[:, a, c] = hv
    H[:, c, a] = hv
    actf = act.astype(np.float64)
    H = H * actf[:, :, None] * actf[:, None, :] + (1.0 - actf)[:, :, None] * np.eye(Z.shape[1])
    with np.errstate(all="ignore"):
        se = np.sqrt(np.linalg.inv(H)[:, 1, 1])
    step = np.where(np.isfinite(se) & (se > 0), np.sqrt(q) * se, 1.0)
    todo = np.arange(b)
    for _ in range(max_expand):  # bracket: f(t_in) < 0 < f(t_out)
        if not len(todo):
            break
        t = t_in[todo] + sign * step[todo]
        f, ok = f_at(todo, t)
        step[todo[~ok]] /= 2.0  # a failed constrained fit: retry nearer the last inner point
        hit = ok & (f > 0)
        t_out[todo[hit]], f_out[todo[hit]] = t[hit], f[hit]
        inner = ok & ~hit
        t_in[todo[inner]], f_in[todo[inner]] = t[inner], f[inner]
        step[todo[inner]] *= 2.0
        todo = todo[~hit]
    bad[todo] = True  # no bracket within the doubling steps
    root = np.full(b, np.nan)
    todo = np.flatnonzero(~bad)
    side = np.zeros(b, dtype=int)  # Illinois: which end was kept last
    for _ in range(max_iter):
        if not len(todo):
            break
        ti, fi, to, fo = t_in[todo], f_in[todo], t_out[todo], f_out[todo]
        t = ti - fi * (to - ti) / (fo - fi)
        f, ok = f_at(todo, t)
        bad[todo[~ok]] = True
        neg = ok & (f <= 0)
        pos = ok & (f > 0)
        # Illinois: halve the f of the end kept twice in a row
        keep_out = neg & (side[todo] == -1)
        f_out[todo[keep_out]] *= 0.5
        keep_in = pos & (side[todo] == 1)
        f_in[todo[keep_in]] *= 0.5
        t_in[todo[neg]], f_in[todo[neg]] = t[neg], f[neg]
        side[todo[neg]] = -1
        t_out[todo[pos]], f_out[todo[pos]] = t[pos], f[pos]
        side[todo[pos]] = 1
        done = ok & ((np.abs(f) < 1e-10) | (np.abs(t_out[todo] - t_in[todo]) < xtol))
        root[todo[done]] = t[done]
        todo = todo[ok & ~done]
    root[bad] = np.nan
    return root


def firth_lrt_grid(X, Y, C=None, *, mask=None, block: int = 32, ci_level: float | None = None) -> dict:
    """Penalised likelihood-ratio tests (Heinze & Schemper 2002) of the exposure of every pair.

    The batched counterpart of :func:`firth_lrt`: per exposure, the Firth fits of all selected
    outcomes, unconstrained and with the exposure coefficient held at 0 (penalty from the full
    design), run together. A covariate constant among an outcome's subjects is held at 0.

    Parameters
    ----------
    X : array (n, E); Y : array (n, O), NaN excluded; C : array (n, q), optional
    mask : bool array (E, O), optional
        Pairs to test (default all).
    ci_level : float, optional
        Also the profile penalised-likelihood confidence interval of the exposure coefficient at
        this level (e.g. 0.95): the values ``t`` with ``2 (l*(b) - max l*(. | b_1 = t))`` at or
        below the chi-square(1) quantile, the interval that inverts the same test
        (Heinze & Schemper 2002, as logistf), so ``p < 1 - ci_level`` exactly when it excludes 0.
        Each end is found by bracketing and Illinois regula falsi on constrained Firth fits
        (about 10-20 per end).

    Returns
    -------
    dict of (E, O) arrays: ``stat`` (2 x difference of penalised log-likelihoods), ``p``
    (chi-square, 1 df), ``converged`` (both fits converged; NaN statistics otherwise), ``beta``
    (the Firth estimate); with ``ci_level`` also ``ci_low`` and ``ci_high`` (log-odds scale;
    NaN where a constrained fit failed).

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.phenotype.solvers import firth_lrt, firth_lrt_grid
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2)); Y = (rng.random((300, 2)) < 0.1).astype(float)
    >>> out = firth_lrt_grid(X, Y)
    >>> Xd = np.column_stack([np.ones(300), X[:, 0]])
    >>> bool(np.isclose(out["stat"][0, 1], firth_lrt(Y[:, 1], Xd)[0], rtol=1e-6))
    True
    """
    from scipy import stats as _stats

    X, Y, C = _grid_arrays(X, Y, C)
    n, E = X.shape
    O = Y.shape[1]
    mask = np.ones((E, O), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    yv = np.isfinite(Y)
    act_cov = _active_covariates(C, yv.T)
    p = C.shape[1] + 2
    a, c = np.triu_indices(p)
    stat = np.full((E, O), np.nan)
    conv = np.zeros((E, O), dtype=bool)
    beta = np.full((E, O), np.nan)
    lo = np.full((E, O), np.nan)
    hi = np.full((E, O), np.nan)
    qcrit = None if ci_level is None else float(_stats.chi2.ppf(ci_level, 1))
    Yt = np.where(yv, Y, 0.0).T
    for e in np.flatnonzero(mask.any(axis=1)):
        xv = np.isfinite(X[:, e])
        Z = np.column_stack([np.ones(n), np.where(xv, X[:, e], 0.0), C])
        D = Z[:, a] * Z[:, c]
        cols = np.flatnonzero(mask[e])
        for s in range(0, len(cols), block):
            cb = cols[s : s + block]
            valid = yv[:, cb].T & xv[None, :]
            act = np.concatenate([np.ones((len(cb), 2), bool), act_cov[cb]], axis=1)
            pl1, ok1, B1 = _firth_block(Z, D, a, c, Yt[cb], valid, act, False, return_coef=True)
            pl0, ok0 = _firth_block(Z, D, a, c, Yt[cb], valid, act, True)
            ok = ok1 & ok0
            stat[e, cb] = np.where(ok, np.maximum(0.0, 2.0 * (pl1 - pl0)), np.nan)
            conv[e, cb] = ok
            beta[e, cb] = np.where(ok1, B1[:, 1], np.nan)
            if qcrit is not None and ok.any():
                r = np.flatnonzero(ok)
                args = (Z, D, a, c, Yt[cb][r], valid[r], act[r], B1[r], pl1[r], qcrit)
                lo[e, cb[r]] = _profile_side(*args, -1.0)
                hi[e, cb[r]] = _profile_side(*args, 1.0)
    out = {"stat": stat, "p": _stats.chi2.sf(stat, 1), "converged": conv, "beta": beta}
    if qcrit is not None:
        out["ci_low"], out["ci_high"] = lo, hi
    return out
