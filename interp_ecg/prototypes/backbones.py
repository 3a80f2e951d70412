"""Convolutional backbones: a 1D ResNet-18-like net over time and a 2D one over leads x time.

Both follow the ResNet-18 layout (a strided stem, max-pool, four stages of two basic
residual blocks, widths ``w, 2w, 4w, 8w``) with a configurable base width so the same code
trains in seconds on a CPU (``width=4``) or at paper size on a GPU (``width=64``). The 2D
net never strides over the lead axis: row ``i`` of its feature map stays aligned with lead
``i``, which is what lets partial prototypes name the leads they come from.

Both return a feature map ``(batch, channels, height, time)`` (``height == 1`` for 1D) whose
last block has no final ReLU, so features and prototypes can point in any direction and
cosine similarities span ``[-1, 1]``.

Examples
--------
>>> import torch
>>> net = ResNet1d(in_channels=12, width=4)
>>> net(torch.zeros(2, 12, 1000)).shape, net.time_stride
(torch.Size([2, 32, 1, 32]), 32)
>>> net2 = ResNet2d(width=4)
>>> net2(torch.zeros(2, 12, 1000)).shape
torch.Size([2, 32, 12, 32])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class _ResidualBlock(nn.Module):
    """Two convolutions with batch norm and a projected shortcut (ResNet basic block).

    ``conv``/``norm`` pick the dimensionality; ``stride`` applies to the convolution's
    ``stride`` argument as given (the 2D blocks pass ``(1, s)`` to never stride over leads).
    """

    def __init__(self, conv, norm, cin: int, cout: int, stride, kernel, pad, downsample: bool,
                 last: bool = False) -> None:
        super().__init__()
        self.conv1 = conv(cin, cout, kernel, stride, pad, bias=False)
        self.bn1 = norm(cout)
        self.conv2 = conv(cout, cout, kernel, 1, pad, bias=False)
        self.bn2 = norm(cout)
        self.short = (
            nn.Sequential(conv(cin, cout, 1, stride, bias=False), norm(cout))
            if downsample or cin != cout
            else nn.Identity()
        )
        self.last = last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out)) + self.short(x)
        return out if self.last else torch.relu(out)


def _block1d(cin: int, cout: int, stride: int, kernel: int, last: bool = False) -> _ResidualBlock:
    return _ResidualBlock(nn.Conv1d, nn.BatchNorm1d, cin, cout, stride, kernel, kernel // 2,
                          downsample=stride != 1, last=last)


def _block2d(cin: int, cout: int, stride: int, kernel: tuple[int, int], last: bool = False) -> _ResidualBlock:
    return _ResidualBlock(nn.Conv2d, nn.BatchNorm2d, cin, cout, (1, stride), kernel,
                          (kernel[0] // 2, kernel[1] // 2), downsample=stride != 1, last=last)


def _stage_plan(width: int, blocks: Sequence[int]) -> list[tuple[int, int, int]]:
    """(cin, cout, stride) for every block of every stage."""
    plan = []
    cin = width
    for s, n in enumerate(blocks):
        cout = width * 2**s
        for b in range(n):
            plan.append((cin, cout, 2 if (b == 0 and s > 0) else 1))
            cin = cout
    return plan


class ResNet1d(nn.Module):
    """ResNet-18-like 1D backbone over time; all leads are input channels.

    Parameters
    ----------
    in_channels : int
        Leads (12).
    width : int
        Channels of the first stage (64 in ResNet-18); the output has ``8 * width``.
    blocks : sequence of int
        Basic blocks per stage (``(2, 2, 2, 2)`` = ResNet-18).
    kernel_size : int
        Temporal kernel of the blocks.

    Attributes
    ----------
    out_channels : int
    time_stride : int
        Input samples per output time step (32).
    """

    def __init__(self, in_channels: int = 12, width: int = 16, blocks: Sequence[int] = (2, 2, 2, 2),
                 kernel_size: int = 7) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv1d(in_channels, width, 15, 2, 7, bias=False), nn.BatchNorm1d(width), nn.ReLU(),
            nn.MaxPool1d(3, 2, 1),
        )
        plan = _stage_plan(width, blocks)
        self.blocks = nn.Sequential(
            *[_block1d(ci, co, st, kernel_size, last=(i == len(plan) - 1)) for i, (ci, co, st) in enumerate(plan)]
        )
        self.out_channels = plan[-1][1]
        self.time_stride = 4 * 2 ** (len(blocks) - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, leads, T) -> (B, C, 1, T')``."""
        return self.blocks(self.stem(x)).unsqueeze(2)


class ResNet2d(nn.Module):
    """ResNet-18-like 2D backbone over leads x time (one input channel).

    The lead axis is padded but never strided, so the output keeps one row per lead; the
    time axis is strided like :class:`ResNet1d`.

    Parameters
    ----------
    width, blocks : see :class:`ResNet1d`.
    kernel_size : tuple of int
        ``(leads, time)`` kernel of the blocks.
    """

    def __init__(self, width: int = 16, blocks: Sequence[int] = (2, 2, 2, 2),
                 kernel_size: tuple[int, int] = (3, 7)) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, width, (3, 15), (1, 2), (1, 7), bias=False), nn.BatchNorm2d(width), nn.ReLU(),
            nn.MaxPool2d((1, 3), (1, 2), (0, 1)),
        )
        plan = _stage_plan(width, blocks)
        self.blocks = nn.Sequential(
            *[_block2d(ci, co, st, tuple(kernel_size), last=(i == len(plan) - 1)) for i, (ci, co, st) in enumerate(plan)]
        )
        self.out_channels = plan[-1][1]
        self.time_stride = 4 * 2 ** (len(blocks) - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, leads, T) -> (B, C, leads, T')``."""
        return self.blocks(self.stem(x.unsqueeze(1)))


def make_backbone(kind: str, n_leads: int = 12, width: int = 16, blocks: Sequence[int] = (2, 2, 2, 2)) -> nn.Module:
    """``"1d"`` -> :class:`ResNet1d`, ``"2d"`` -> :class:`ResNet2d`."""
    if kind == "1d":
        return ResNet1d(n_leads, width, blocks)
    if kind == "2d":
        return ResNet2d(width, blocks)
    raise ValueError(f"unknown backbone kind {kind!r}; use '1d' or '2d'")
