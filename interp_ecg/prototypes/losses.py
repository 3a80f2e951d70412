"""Loss terms of ProtoECGNet training, as in the public ProtoECGNet code (bbj-lab/protoecgnet).

Notation per branch: ``S`` the pooled similarities ``(B, P)``, ``y`` the labels ``(B, K)``,
``A`` the prototype-class identity ``(P, K)``, ``J`` the training-set label Jaccard matrix
``(K, K)``, ``C[b, p, k] = A[p, k] y[b, k]``.

* **BCE** with positive-class weights (``n_neg / n_pos`` of the training set, clipped);
* **clustering**: ``-mean_{b,k} max_p S[b,p] C[b,p,k]``;
* **separation**: ``mean_{b,k} max_p S[b,p] (1 - C[b,p,k])``;
* **sparsity**: ``mean_b sum_p max(S[b,p], 0)`` (weight 0 by default, as in ProtoECGNet);
* **diversity** (orthogonality): ``sum_{p != q} cos(p, q)^2 / P^2`` over *all* prototype pairs;
* **contrastive** (label co-occurrence): with ``M = A J A^T`` and ``Q`` the prototype cosines
  clamped to ``[-1 + 1e-6, 1 - 1e-6]``,
  ``-(sum Q M / sum M - sum Q (1 - M) / sum (1 - M)) / sqrt(P)`` (each sum with ``+ 1e-6``
  in the denominator);
* **L1** on the off-class weights of a last layer.

Weights default to ProtoECGNet's (cluster 0.004, separation 0.0004, sparsity 0,
diversity 250, contrastive 300, L1 1e-4).

Examples
--------
>>> from interp_ecg.prototypes.losses import cluster_loss, separation_loss
>>> import torch
>>> sims = torch.tensor([[0.9, 0.1, 0.2, 0.3]])      # 2 classes x 2 prototypes
>>> y = torch.tensor([[1.0, 0.0]])
>>> ident = torch.tensor([[1., 0.], [1., 0.], [0., 1.], [0., 1.]])
>>> round(float(cluster_loss(sims, y, ident)), 3), round(float(separation_loss(sims, y, ident)), 3)
(-0.45, 0.6)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

_MASK_EPS = 1e-6


@dataclass
class LossWeights:
    """Weights of the loss terms (ProtoECGNet's defaults)."""

    cluster: float = 0.004
    separation: float = 0.0004
    sparsity: float = 0.0
    diversity: float = 250.0
    contrastive: float = 300.0
    l1: float = 1e-4

    def to_dict(self) -> dict:
        return asdict(self)


def positive_weights(y: np.ndarray, clip: float = 100.0) -> np.ndarray:
    """``n_neg / n_pos`` per class, clipped to ``[1, clip]`` (1 for classes without positives).

    Examples
    --------
    >>> import numpy as np
    >>> from interp_ecg.prototypes.losses import positive_weights
    >>> positive_weights(np.array([[1, 0], [0, 0], [0, 0], [0, 1]])).tolist()
    [3.0, 3.0]
    """
    y = np.asarray(y, dtype=np.float64)
    pos = (y > 0).sum(axis=0)
    neg = (y == 0).sum(axis=0)  # unknown labels (NaN) are neither
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(pos > 0, neg / np.maximum(pos, 1), 1.0)
    return np.clip(w, 1.0, clip).astype(np.float32)


def _known_mean(values: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` ``(B, K)`` over the entries whose label is known (not NaN); plain mean without NaN."""
    known = ~torch.isnan(y)
    if bool(known.all()):
        return values.mean()
    return (values * known).sum() / known.sum().clamp_min(1)


def bce_loss(logits: torch.Tensor, y: torch.Tensor, pos_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy with logits and positive-class weights (float32).

    Unknown labels (NaN) are masked: the mean runs over the known (record, class) entries only
    (as PTB-XL rhythm statements of a record without any rhythm statement, or CinC labels a
    source did not assess).

    Examples
    --------
    >>> import torch
    >>> from interp_ecg.prototypes.losses import bce_loss
    >>> logits = torch.tensor([[0.0, 5.0], [0.0, -5.0]])
    >>> y = torch.tensor([[1.0, float("nan")], [0.0, float("nan")]])
    >>> round(float(bce_loss(logits, y)), 4)  # log 2: the NaN column does not count
    0.6931
    """
    y = y.float()
    if not bool(torch.isnan(y).any()):
        return F.binary_cross_entropy_with_logits(logits.float(), y, pos_weight=pos_weight)
    per = F.binary_cross_entropy_with_logits(logits.float(), torch.nan_to_num(y, nan=0.0), pos_weight=pos_weight,
                                             reduction="none")
    return _known_mean(per, y)


def _correct(y: torch.Tensor, class_identity: torch.Tensor) -> torch.Tensor:
    """``C[b, p, k] = A[p, k] y[b, k]`` (an unknown label, NaN, as 0; its terms are masked by the callers)."""
    return class_identity.float()[None] * torch.nan_to_num(y.float(), nan=0.0)[:, None, :]


def cluster_loss(sims: torch.Tensor, y: torch.Tensor, class_identity: torch.Tensor) -> torch.Tensor:
    """``-mean_{b,k} max_p S[b,p] A[p,k] y[b,k]`` (pull records towards their classes' prototypes);
    the mean runs over known labels (NaN = unknown is masked)."""
    return -_known_mean((sims.float()[:, :, None] * _correct(y, class_identity)).max(dim=1).values, y.float())


def separation_loss(sims: torch.Tensor, y: torch.Tensor, class_identity: torch.Tensor) -> torch.Tensor:
    """``mean_{b,k} max_p S[b,p] (1 - A[p,k] y[b,k])`` over known labels (NaN = unknown is masked:
    a record is not pushed away from the prototypes of a class it was not assessed for)."""
    return _known_mean((sims.float()[:, :, None] * (1 - _correct(y, class_identity))).max(dim=1).values, y.float())


def sparsity_loss(sims: torch.Tensor) -> torch.Tensor:
    """``mean_b sum_p max(S[b,p], 0)``."""
    return sims.float().clamp_min(0).sum(dim=1).mean()


def diversity_loss(prototypes: torch.Tensor) -> torch.Tensor:
    """Sum of squared cosines over all off-diagonal prototype pairs, divided by ``P^2``."""
    p = F.normalize(prototypes.flatten(1).float(), dim=1)
    n = p.shape[0]
    off = p @ p.T - torch.eye(n, device=p.device)
    return off.pow(2).sum() / n**2


def contrastive_loss(prototypes: torch.Tensor, jaccard: torch.Tensor, class_identity: torch.Tensor) -> torch.Tensor:
    """Label co-occurrence contrastive term ``-(sum Q M / sum M - sum Q (1-M) / sum (1-M)) / sqrt(P)``.

    Parameters
    ----------
    prototypes : torch.Tensor
        ``(P, ...)``.
    jaccard : torch.Tensor
        ``(K, K)`` training-set Jaccard matrix of the branch's classes.
    class_identity : torch.Tensor
        ``(P, K)`` prototype-class assignment ``A``.
    """
    p = F.normalize(prototypes.flatten(1).float(), dim=1)
    q = (p @ p.T).clamp(-1 + _MASK_EPS, 1 - _MASK_EPS)
    a = class_identity.float()
    m = a @ jaccard.float() @ a.T
    neg = 1 - m
    pos_term = (q * m / (m.sum() + _MASK_EPS)).sum()
    neg_term = (q * neg / (neg.sum() + _MASK_EPS)).sum()
    return -(pos_term - neg_term) / p.shape[0] ** 0.5


def off_class_l1(weight: torch.Tensor, class_identity: torch.Tensor) -> torch.Tensor:
    """L1 norm of last-layer weights ``(K, P)`` from prototypes of other classes."""
    return (weight.abs() * (1 - class_identity.T)).sum()


TERMS: tuple[str, ...] = ("bce", "cluster", "separation", "sparsity", "diversity", "contrastive")


def prototype_losses(out, y: torch.Tensor, model, weights: LossWeights,
                     jaccards: dict[str, torch.Tensor], pos_weights: dict[str, torch.Tensor],
                     terms: tuple[str, ...] = TERMS) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Sum over branches of the weighted ProtoECGNet loss (joint phase).

    Parameters
    ----------
    out : ProtoOutput
    y : torch.Tensor
        Multi-hot targets ``(B, K)`` over all classes.
    model : ProtoECGNet
    weights : LossWeights
    jaccards, pos_weights : dict
        Per branch.
    terms : tuple of str
        Which terms to include.

    Returns
    -------
    total : torch.Tensor
    parts : dict
        Weighted value of each term (detached tensors; converted to floats once per epoch).
    """
    slices = model.class_slices()
    parts: dict[str, torch.Tensor] = {}
    for name, branch in model.branches.items():
        yb = y[:, slices[name]]
        sims = out.branch_similarities[name]
        protos = branch.prototype_layer.prototypes
        ident = branch.class_identity
        vals = {
            "bce": lambda: bce_loss(out.branch_logits[name], yb, pos_weights[name]),
            "cluster": lambda: weights.cluster * cluster_loss(sims, yb, ident),
            "separation": lambda: weights.separation * separation_loss(sims, yb, ident),
            "sparsity": lambda: weights.sparsity * sparsity_loss(sims),
            "diversity": lambda: weights.diversity * diversity_loss(protos),
            "contrastive": lambda: weights.contrastive * contrastive_loss(protos, jaccards[name], ident),
        }
        for t in terms:
            if t != "bce" and getattr(weights, t) == 0:
                continue
            v = vals[t]()
            parts[t] = parts[t] + v if t in parts else v
    total = sum(parts.values())
    return total, {k: v.detach() for k, v in parts.items()}
