"""Prototype layer: cosine similarity of learned patches to every window of a feature map.

A prototype is a patch ``(channels, height, width)`` of the backbone's feature map. Its
similarity to a record is the cosine between the prototype and each same-sized window of
the record's feature map, pooled as the mean of the ``topk`` best windows.

* **global** prototypes cover the whole feature map (all leads, all 10 s): one window.
* **partial** prototypes cover all lead rows and ``width`` time steps (about 0.9 s): the
  window slides over time, so the prototype is time-localised.

Examples
--------
>>> import torch
>>> layer = PrototypeLayer(n_prototypes=3, channels=8, height=2, width=4, topk=2)
>>> pooled, maps = layer(torch.randn(5, 8, 2, 10))
>>> pooled.shape, maps.shape
(torch.Size([5, 3]), torch.Size([5, 3, 1, 7]))
>>> bool((pooled.abs() <= 1 + 1e-6).all())
True
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

_EPS = 1e-6


def cosine_similarity_map(z: torch.Tensor, prototypes: torch.Tensor) -> torch.Tensor:
    """Cosine similarity of every prototype to every window of ``z``.

    Parameters
    ----------
    z : torch.Tensor
        Feature maps ``(B, C, H, W)``.
    prototypes : torch.Tensor
        ``(P, C, h, w)`` with ``h <= H``, ``w <= W``.

    Returns
    -------
    torch.Tensor
        ``(B, P, H - h + 1, W - w + 1)``; always computed in float32 (safe under autocast).
    """
    with torch.autocast(device_type=z.device.type, enabled=False):
        z = z.float()
        p = prototypes.float()
        dot = F.conv2d(z, p)
        ones = torch.ones((1,) + tuple(p.shape[1:]), device=z.device, dtype=z.dtype)
        znorm = F.conv2d(z * z, ones).clamp_min(_EPS**2).sqrt()
        pnorm = p.flatten(1).norm(dim=1).clamp_min(_EPS)
        return dot / (znorm * pnorm[None, :, None, None])


def topk_pool(sim_map: torch.Tensor, k: int) -> torch.Tensor:
    """Mean of the ``k`` largest values over all windows: ``(B, P, ...) -> (B, P)``."""
    flat = sim_map.flatten(2)
    k = max(1, min(int(k), flat.shape[-1]))
    return flat.topk(k, dim=-1).values.mean(dim=-1)


class PrototypeLayer(nn.Module):
    """Learned prototypes with cosine similarity and top-k pooling over windows.

    Parameters
    ----------
    n_prototypes : int
    channels, height, width : int
        Prototype shape on the feature map.
    topk : int
        Windows averaged by the pooling (1 = max-pooling; irrelevant for global prototypes).
    generator : torch.Generator, optional
        For the random initialisation.
    """

    def __init__(self, n_prototypes: int, channels: int, height: int, width: int, topk: int = 1,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        init = torch.randn(n_prototypes, channels, height, width, generator=generator)
        self.prototypes = nn.Parameter(init)
        self.topk = int(topk)

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return tuple(self.prototypes.shape)  # type: ignore[return-value]

    def similarity_map(self, z: torch.Tensor) -> torch.Tensor:
        """Similarities to every window, ``(B, P, H', W')``."""
        return cosine_similarity_map(z, self.prototypes)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(pooled similarities (B, P), similarity maps (B, P, H', W'))``."""
        maps = self.similarity_map(z)
        return topk_pool(maps, self.topk), maps

    def normalised(self) -> torch.Tensor:
        """Unit-norm flattened prototypes ``(P, C*h*w)``."""
        return F.normalize(self.prototypes.flatten(1).float(), dim=1)
