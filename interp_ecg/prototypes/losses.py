"""Loss terms of ProtoECGNet training.

* **BCE** with positive-class weights (``n_neg / n_pos`` of the training set, clipped);
* **clustering**: for every positive (record, class) pair, ``1 - `` the best similarity
  among the class's prototypes (pull a positive record towards one of its prototypes);
* **separation**: for every negative pair, the best similarity among the class's
  prototypes (push records away from prototypes of classes they do not have);
* **diversity** (orthogonality): squared cosines between prototypes of the same class;
* **contrastive** (label co-occurrence): between prototypes of different classes of a branch,
  ``J_ab * (1 - cos) + (1 - J_ab) * relu(cos - margin)`` with ``J`` the training-set
  Jaccard matrix: classes that co-occur are pulled together, the others pushed apart;
* **L1** on the off-class weights of a last layer.

Weights default to the paper's (cluster 0.004, separation 0.0004, diversity 250,
contrastive 300, L1 1e-4). Each term is normalised as a mean, so their scale does not grow
with the number of prototypes; ProtoECGNet's exact normalisation is not published in
detail, so the paper weights are a starting point here, not a reproduction.

Examples
--------
>>> import torch
>>> sims = torch.tensor([[0.9, 0.1, 0.2, 0.3]])      # 2 classes x 2 prototypes
>>> y = torch.tensor([[1.0, 0.0]])
>>> round(float(cluster_loss(sims, y, 2)), 3), round(float(separation_loss(sims, y, 2)), 3)
(0.1, 0.3)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass
class LossWeights:
    """Weights of the loss terms (paper defaults)."""

    cluster: float = 0.004
    separation: float = 0.0004
    diversity: float = 250.0
    contrastive: float = 300.0
    l1: float = 1e-4
    contrastive_margin: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def positive_weights(y: np.ndarray, clip: float = 100.0) -> np.ndarray:
    """``n_neg / n_pos`` per class, clipped to ``[1, clip]`` (1 for classes without positives).

    Examples
    --------
    >>> positive_weights(np.array([[1, 0], [0, 0], [0, 0], [0, 1]])).tolist()
    [3.0, 3.0]
    """
    y = np.asarray(y, dtype=np.float64)
    pos = y.sum(axis=0)
    neg = len(y) - pos
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(pos > 0, neg / np.maximum(pos, 1), 1.0)
    return np.clip(w, 1.0, clip).astype(np.float32)


def bce_loss(logits: torch.Tensor, y: torch.Tensor, pos_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy with logits and positive-class weights (float32)."""
    return F.binary_cross_entropy_with_logits(logits.float(), y.float(), pos_weight=pos_weight)


def class_max_similarity(sims: torch.Tensor, per_class: int) -> torch.Tensor:
    """Best similarity among each class's prototypes: ``(B, K*m) -> (B, K)``."""
    b, p = sims.shape
    return sims.float().view(b, p // per_class, per_class).max(dim=-1).values


def cluster_loss(sims: torch.Tensor, y: torch.Tensor, per_class: int) -> torch.Tensor:
    """Mean of ``1 - max similarity`` over positive (record, class) pairs."""
    best = class_max_similarity(sims, per_class)
    mask = y.float()
    return ((1 - best) * mask).sum() / mask.sum().clamp_min(1)


def separation_loss(sims: torch.Tensor, y: torch.Tensor, per_class: int) -> torch.Tensor:
    """Mean of the max similarity over negative (record, class) pairs."""
    best = class_max_similarity(sims, per_class)
    mask = 1 - y.float()
    return (best * mask).sum() / mask.sum().clamp_min(1)


def diversity_loss(prototypes: torch.Tensor, per_class: int) -> torch.Tensor:
    """Mean squared cosine between distinct prototypes of the same class (0 when orthogonal)."""
    if per_class < 2:
        return prototypes.new_zeros(())
    p = F.normalize(prototypes.flatten(1).float(), dim=1)
    p = p.view(-1, per_class, p.shape[1])
    gram = p @ p.transpose(1, 2)
    off = 1 - torch.eye(per_class, device=gram.device)
    return (gram.pow(2) * off).sum() / (off.sum() * gram.shape[0])


def contrastive_loss(prototypes: torch.Tensor, jaccard: torch.Tensor, per_class: int,
                     margin: float = 0.0) -> torch.Tensor:
    """Label co-occurrence-aware contrastive term between prototypes of different classes.

    Parameters
    ----------
    prototypes : torch.Tensor
        ``(K*m, ...)``, grouped by class.
    jaccard : torch.Tensor
        ``(K, K)`` training-set Jaccard matrix of the branch's classes.
    per_class : int
    margin : float
        Cosine below which non-co-occurring prototypes are left alone.
    """
    k = jaccard.shape[0]
    if k < 2:
        return prototypes.new_zeros(())
    p = F.normalize(prototypes.flatten(1).float(), dim=1)
    cos = p @ p.T
    jp = jaccard.float().repeat_interleave(per_class, 0).repeat_interleave(per_class, 1)
    cls = torch.arange(k, device=p.device).repeat_interleave(per_class)
    mask = (cls[:, None] != cls[None, :]).float()
    term = jp * (1 - cos) + (1 - jp) * torch.relu(cos - margin)
    return (term * mask).sum() / mask.sum()


def off_class_l1(weight: torch.Tensor, class_identity: torch.Tensor) -> torch.Tensor:
    """L1 norm of last-layer weights ``(K, P)`` from prototypes of other classes."""
    return (weight.abs() * (1 - class_identity.T)).sum()


def prototype_losses(out, y: torch.Tensor, model, weights: LossWeights,
                     jaccards: dict[str, torch.Tensor], pos_weights: dict[str, torch.Tensor],
                     terms: tuple[str, ...] = ("bce", "cluster", "separation", "diversity", "contrastive", "l1"),
                     ) -> tuple[torch.Tensor, dict[str, float]]:
    """Sum of the branch losses (joint / last-layer phases).

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
        Weighted value of each term (floats, for the history).
    """
    slices = model.class_slices()
    parts: dict[str, torch.Tensor] = {}
    for name, branch in model.branches.items():
        yb = y[:, slices[name]]
        m = branch.spec.prototypes_per_class
        sims = out.branch_similarities[name]
        protos = branch.prototype_layer.prototypes
        vals = {
            "bce": lambda: bce_loss(out.branch_logits[name], yb, pos_weights[name]),
            "cluster": lambda: weights.cluster * cluster_loss(sims, yb, m),
            "separation": lambda: weights.separation * separation_loss(sims, yb, m),
            "diversity": lambda: weights.diversity * diversity_loss(protos, m),
            "contrastive": lambda: weights.contrastive * contrastive_loss(
                protos, jaccards[name], m, weights.contrastive_margin),
            "l1": lambda: weights.l1 * off_class_l1(branch.last_layer.weight, branch.class_identity),
        }
        for t in terms:
            if t in ("diversity", "contrastive", "cluster", "separation") and getattr(weights, t) == 0:
                continue
            v = vals[t]()
            parts[t] = parts.get(t, 0) + v
    total = sum(parts.values())
    return total, {k: float(v.detach()) for k, v in parts.items()}
