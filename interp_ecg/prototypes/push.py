"""Push: project every prototype onto its nearest real training patch.

After the push each prototype *is* the embedding of one window of one training ECG, so
"this looks like that" points at a real segment. For a prototype of class ``c`` the search
runs over the training records labelled ``c`` (over all records when ``c`` has none, which
is logged) and picks the window of highest cosine similarity; the prototype is overwritten
with that window's feature-map patch, and its source (record id, leads, time window in
input samples at the network's rate) is recorded.

The time window is the patch's footprint on the input grid (``step * time_stride`` to
``(step + width) * time_stride``); the receptive field of the backbone reaches beyond it.

Examples
--------
>>> import torch
>>> from interp_ecg.prototypes.model import BranchSpec, ProtoECGNet
>>> net = ProtoECGNet([BranchSpec("morphology", ["A", "B"], "2d", "partial", 2)], width=4)
>>> x = torch.randn(6, 12, 1000)
>>> y = torch.tensor([[1, 0], [0, 1]] * 3, dtype=torch.float32)
>>> result = push_prototypes(net, x, y, [f"r{i}" for i in range(6)])
>>> len(result.sources), sorted(result.sources[0])[:4]
(4, ['branch', 'class', 'end_sample', 'leads'])
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from interp_ecg.io.leads import STANDARD_LEADS
from interp_ecg.prototypes.layers import cosine_similarity_map
from interp_ecg.prototypes.model import ProtoECGNet, proto_name

logger = logging.getLogger(__name__)


@dataclass
class PushResult:
    """Sources of the pushed prototypes.

    Attributes
    ----------
    sources : list of dict
        One per prototype: ``prototype, class, branch, record_id, record_index, leads,
        start_sample, end_sample, similarity``.
    segments : dict
        ``prototype -> float32 (n_leads, window)`` input signal of the source window.
    """

    sources: list[dict] = field(default_factory=list)
    segments: dict[str, np.ndarray] = field(default_factory=dict)


def window_leads(n_rows: int, row: int, height: int, lead_names: Sequence[str]) -> list[str]:
    """Lead names covered by a patch of ``height`` rows from ``row`` (all leads for 1D maps)."""
    if n_rows == len(lead_names):
        return list(lead_names[row:row + height])
    return list(lead_names)


@torch.no_grad()
def push_prototypes(model: ProtoECGNet, x: torch.Tensor, y: torch.Tensor, record_ids: Sequence,
                    batch_size: int = 64, device: torch.device | str = "cpu",
                    lead_names: Sequence[str] = STANDARD_LEADS) -> PushResult:
    """Replace each prototype by its most similar training patch (in place).

    Parameters
    ----------
    model : ProtoECGNet
        Put in eval mode for the search (batch-norm running statistics).
    x : torch.Tensor
        Training inputs ``(N, leads, T)`` on the CPU.
    y : torch.Tensor
        Multi-hot labels ``(N, K)`` over ``model.classes``.
    record_ids : sequence
        Ids of the rows of ``x``.
    batch_size : int
    device : torch.device or str
    lead_names : sequence of str

    Returns
    -------
    PushResult
    """
    model.eval()
    device = torch.device(device)
    y = y.float()
    n_samples = x.shape[-1]
    result = PushResult()
    slices = model.class_slices()
    for name, branch in model.branches.items():
        layer = branch.prototype_layer
        protos = layer.prototypes.detach().to(device)
        p_count, c, ph, pw = protos.shape
        m = branch.spec.prototypes_per_class
        proto_cls = torch.arange(p_count, device=device) // m
        yb = y[:, slices[name]].to(device)
        has_pos = yb.sum(0) > 0
        best_sim = torch.full((p_count,), -float("inf"), device=device)
        best_patch = protos.clone()
        best_loc = torch.zeros(p_count, 3, dtype=torch.long, device=device)  # record, row, col
        h_out = None
        for start in range(0, len(x), batch_size):
            xb = x[start:start + batch_size].to(device)
            z = branch.embed(xb).float()
            sim = cosine_similarity_map(z, protos)  # (B, P, H', W')
            bsz, _, hh, ww = sim.shape
            h_out = z.shape[2]
            # only records of the prototype's class are candidates (all, when it has none)
            allowed = yb[start:start + batch_size][:, proto_cls] > 0  # (B, P)
            allowed = allowed | ~has_pos[proto_cls][None, :]
            flat = sim.flatten(2).masked_fill(~allowed[:, :, None], -float("inf"))
            per_rec, loc = flat.max(dim=2)  # (B, P)
            val, rec = per_rec.max(dim=0)   # (P,)
            better = val > best_sim
            if better.any():
                for p in torch.nonzero(better).flatten().tolist():
                    r = int(rec[p])
                    pos = int(loc[r, p])
                    row, col = divmod(pos, ww)
                    best_patch[p] = z[r, :, row:row + ph, col:col + pw]
                    best_sim[p] = val[p]
                    best_loc[p] = torch.tensor([start + r, row, col], device=device)
        layer.prototypes.data.copy_(best_patch.to(layer.prototypes.device, layer.prototypes.dtype))
        for p in range(p_count):
            cls = branch.spec.classes[p // m]
            if not bool(has_pos[p // m]):
                logger.warning("class %s has no positive training record; its prototypes were pushed "
                               "onto the nearest record of any class", cls)
            r, row, col = (int(v) for v in best_loc[p].tolist())
            stride = branch.backbone.time_stride
            s0 = col * stride
            s1 = n_samples if pw == branch.feature_shape[2] else min(n_samples, (col + pw) * stride)
            leads = window_leads(h_out, row, ph, lead_names)
            pname = proto_name(cls, p % m)
            result.sources.append({
                "prototype": pname, "class": cls, "branch": name, "record_id": record_ids[r],
                "record_index": r, "leads": ",".join(leads), "start_sample": s0, "end_sample": s1,
                "similarity": float(best_sim[p]),
            })
            rows = [list(lead_names).index(ld) for ld in leads]
            result.segments[pname] = x[r, rows, s0:s1].detach().cpu().numpy().astype(np.float32)
    return result


@torch.no_grad()
def init_prototypes_from_patches(model: ProtoECGNet, x: torch.Tensor, y: torch.Tensor, random_state: int = 0,
                                 device: torch.device | str = "cpu") -> None:
    """Set each prototype to a random window of a random training record of its class.

    Used before the joint phase so prototypes start on the scale and in the region of the
    warmed-up features (random Gaussian prototypes sit near cosine 0 to every record and
    barely move in a few epochs). Records of other classes are used when a class has none.
    """
    model.eval()
    gen = torch.Generator().manual_seed(int(random_state))
    slices = model.class_slices()
    y = y.float()
    for name, branch in model.branches.items():
        layer = branch.prototype_layer
        p_count, _, ph, pw = layer.prototypes.shape
        m = branch.spec.prototypes_per_class
        yb = y[:, slices[name]]
        picks = []
        for p in range(p_count):
            pool = torch.nonzero(yb[:, p // m] > 0).flatten()
            if len(pool) == 0:
                pool = torch.arange(len(x))
            picks.append(int(pool[torch.randint(len(pool), (1,), generator=gen)]))
        uniq = sorted(set(picks))
        z = branch.embed(x[uniq].to(device)).float()
        _, _, h, w = z.shape
        for p, r in enumerate(picks):
            row = int(torch.randint(h - ph + 1, (1,), generator=gen))
            col = int(torch.randint(w - pw + 1, (1,), generator=gen))
            layer.prototypes.data[p] = z[uniq.index(r), :, row:row + ph, col:col + pw].to(layer.prototypes.dtype)
