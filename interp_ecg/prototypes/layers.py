"""Prototype layer: similarity of learned prototypes to every window of a feature map.

Two similarities, as in ProtoECGNet (Sethi et al., 2025):

* ``"cosine"`` - plain cosine; used for the rhythm branch, whose prototypes are compared with a
  time-pooled feature vector (one window).
* ``"scaled"`` - ProtoECGNet's scaled cosine for the 2D branches: for a prototype of
  ``h x w`` feature steps over ``C`` channels, ``cos x int(sqrt(C * w)) / (h * w)``, with norms
  ``sqrt(sum v^2 + 1e-4)`` (about x13 for partial prototypes of 3 steps at 512 channels, x4
  for global ones of 32 steps).

The pooled similarity of a prototype is the **mean over all windows** (a global prototype
has one window).

Examples
--------
>>> from interp_ecg.prototypes.layers import PrototypeLayer
>>> import torch
>>> layer = PrototypeLayer(n_prototypes=3, channels=8, height=1, width=4, similarity="scaled")
>>> pooled, maps = layer(torch.rand(5, 8, 1, 10))
>>> pooled.shape, maps.shape
(torch.Size([5, 3]), torch.Size([5, 3, 1, 7]))
>>> float(layer.scale)      # int(sqrt(8 * 4)) / 4
1.25
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from interp_ecg.errors import ArgumentError

#: added to squared norms by ProtoECGNet's scaled cosine
SCALED_EPS = 1e-4
_COS_EPS = 1e-12


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
    dot, zsq, psq = _window_terms(z, prototypes)
    return dot / (zsq.sqrt().clamp_min(_COS_EPS) * psq.sqrt().clamp_min(_COS_EPS))


def scaled_cosine_map(z: torch.Tensor, prototypes: torch.Tensor) -> torch.Tensor:
    """ProtoECGNet's scaled cosine ``cos x int(sqrt(C w)) / (h w)`` of every window (float32).

    Shapes as in :func:`cosine_similarity_map`; the norms are ``sqrt(sum v^2 + 1e-4)``.
    """
    _, c, h, w = prototypes.shape
    dot, zsq, psq = _window_terms(z, prototypes)
    cos = dot / ((zsq + SCALED_EPS).sqrt() * (psq + SCALED_EPS).sqrt())
    return cos * (int(math.sqrt(c * w)) / (h * w))


def _window_terms(z: torch.Tensor, prototypes: torch.Tensor):
    with torch.autocast(device_type=z.device.type, enabled=False):
        z = z.float()
        p = prototypes.float()
        dot = F.conv2d(z, p)
        ones = torch.ones((1,) + tuple(p.shape[1:]), device=z.device, dtype=z.dtype)
        zsq = F.conv2d(z * z, ones)
        psq = p.flatten(1).pow(2).sum(dim=1)[None, :, None, None]
        return dot, zsq, psq


class PrototypeLayer(nn.Module):
    """Learned prototypes ``(P, C, h, w)``, a similarity and mean pooling over windows.

    Parameters
    ----------
    n_prototypes : int
    channels, height, width : int
        Prototype shape on the feature map.
    similarity : {"scaled", "cosine"}
    generator : torch.Generator, optional
        For the random (standard normal, as ProtoECGNet) initialisation.
    """

    def __init__(self, n_prototypes: int, channels: int, height: int, width: int, similarity: str = "scaled",
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if similarity not in ("scaled", "cosine"):
            raise ArgumentError(f"similarity must be 'scaled' or 'cosine', got {similarity!r}")
        init = torch.randn(n_prototypes, channels, height, width, generator=generator)
        self.prototypes = nn.Parameter(init)
        self.similarity = similarity

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return tuple(self.prototypes.shape)  # type: ignore[return-value]

    @property
    def scale(self) -> float:
        """Factor applied to the cosine (1 for ``"cosine"``)."""
        _, c, h, w = self.prototypes.shape
        return 1.0 if self.similarity == "cosine" else int(math.sqrt(c * w)) / (h * w)

    def similarity_map(self, z: torch.Tensor) -> torch.Tensor:
        """Similarities to every window, ``(B, P, H', W')``."""
        fn = scaled_cosine_map if self.similarity == "scaled" else cosine_similarity_map
        return fn(z, self.prototypes)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(mean similarity over windows (B, P), similarity maps (B, P, H', W'))``."""
        maps = self.similarity_map(z)
        return maps.flatten(2).mean(dim=-1), maps

    def normalised(self) -> torch.Tensor:
        """Unit-norm flattened prototypes ``(P, C*h*w)``."""
        return F.normalize(self.prototypes.flatten(1).float(), dim=1)
