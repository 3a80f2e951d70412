"""Convolutional backbones of ProtoECGNet: a 1D ResNet over time and a 2D ResNet over leads x time.

Both follow the ResNet-18 layout (a strided first convolution, batch norm, ReLU, a strided
max-pool, then stages ``layer1 ... layerN`` of basic residual blocks, widths ``w, 2w, 4w, 8w``)
and use the parameter names of torchvision's ``resnet18`` (``conv1``, ``bn1``,
``layer1.0.conv1``, ``layer2.0.downsample.0`` ...). With ``width=64`` and
``blocks=(2, 2, 2, 2)`` they are ResNet-18 trunks with 512 output channels, as in ProtoECGNet
(Sethi et al., 2025); smaller widths give CPU-sized variants of the same design.

* :class:`ResNet1d` - all 12 leads are input channels of a 1D ResNet (first convolution kernel
  7, stride 2; blocks with kernel 3), as in the ProtoECGNet rhythm branch.
* :class:`ResNet2d` - one input plane ``(leads, time)``; the first convolution has kernel
  ``(12, 7)``, stride ``(1, 2)`` and padding ``(0, 3)``, so it merges the 12 leads into one row,
  followed by torchvision's ResNet-18 layers 1-4 (3 x 3 kernels). Dropout sits after the
  second-to-last stage (after ``layer3``), where ProtoECGNet places it. Because the names and
  shapes of ``bn1`` and ``layer1``-``layer4`` equal torchvision's, an ImageNet state dict loads
  with :func:`load_torchvision_resnet` (``conv1`` and ``fc`` differ and are skipped).

Both return a feature map ``(batch, channels, 1, time)``; ``time_stride`` input samples per
output step (32 for four stages: 1,000 samples -> 32 steps).

Examples
--------
>>> from interp_ecg.prototypes.backbones import ResNet1d, ResNet2d
>>> import torch
>>> net = ResNet1d(in_channels=12, width=4, blocks=(1, 1, 1, 1))
>>> net(torch.zeros(2, 12, 1000)).shape, net.time_stride, net.out_channels
(torch.Size([2, 32, 1, 32]), 32, 32)
>>> net2 = ResNet2d(width=4, blocks=(1, 1, 1, 1))
>>> net2(torch.zeros(2, 12, 1000)).shape
torch.Size([2, 32, 1, 32])
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import torch
from torch import nn

from interp_ecg.errors import ArgumentError

logger = logging.getLogger(__name__)


class BasicBlock(nn.Module):
    """ResNet basic block (torchvision names: ``conv1, bn1, conv2, bn2, downsample``).

    ``conv``/``norm`` choose 1D or 2D; ``kernel``/``padding`` are passed to the convolutions.
    """

    def __init__(self, conv, norm, cin: int, cout: int, stride: int, kernel, padding) -> None:
        super().__init__()
        self.conv1 = conv(cin, cout, kernel, stride, padding, bias=False)
        self.bn1 = norm(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv(cout, cout, kernel, 1, padding, bias=False)
        self.bn2 = norm(cout)
        self.downsample = (nn.Sequential(conv(cin, cout, 1, stride, bias=False), norm(cout))
                           if stride != 1 or cin != cout else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


def _make_stages(module: nn.Module, conv, norm, width: int, blocks: Sequence[int], kernel, padding) -> int:
    """Add ``layer1 ... layerN`` to ``module``; return the output channels."""
    cin = width
    for s, n in enumerate(blocks):
        cout = width * 2**s
        layer = []
        for b in range(int(n)):
            stride = 2 if (b == 0 and s > 0) else 1
            layer.append(BasicBlock(conv, norm, cin, cout, stride, kernel, padding))
            cin = cout
        setattr(module, f"layer{s + 1}", nn.Sequential(*layer))
    return cin


class ResNet1d(nn.Module):
    """1D ResNet over time; the leads are input channels (ProtoECGNet rhythm backbone).

    Parameters
    ----------
    in_channels : int
        Leads (12).
    width : int
        Channels of ``layer1`` (64 in ResNet-18); the output has ``width * 2**(len(blocks)-1)``.
    blocks : sequence of int
        Basic blocks per stage (``(2, 2, 2, 2)`` = ResNet-18).
    dropout : float
        Kept for a common signature; ProtoECGNet's 1D backbone has no dropout, so it is unused.

    Attributes
    ----------
    out_channels : int
    time_stride : int
        Input samples per output time step (``4 * 2**(len(blocks)-1)``; 32 for ResNet-18).
    """

    def __init__(self, in_channels: int = 12, width: int = 64, blocks: Sequence[int] = (2, 2, 2, 2),
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(in_channels, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm1d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool1d(3, 2, 1)
        self.n_stages = len(blocks)
        self.out_channels = _make_stages(self, nn.Conv1d, nn.BatchNorm1d, width, blocks, 3, 1)
        self.time_stride = 4 * 2 ** (len(blocks) - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, leads, T) -> (B, C, 1, T')``."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for s in range(self.n_stages):
            x = getattr(self, f"layer{s + 1}")(x)
        return x.unsqueeze(2)


class ResNet2d(nn.Module):
    """2D ResNet over ``(leads, time)`` with a lead-merging first convolution (ProtoECGNet 2D).

    Parameters
    ----------
    n_leads : int
        Height of the input plane (12); the first convolution's kernel is ``(n_leads, 7)``.
    width, blocks : see :class:`ResNet1d`.
    dropout : float
        Dropout after the second-to-last stage (ProtoECGNet: 0.35, after ``layer3``).
    """

    def __init__(self, n_leads: int = 12, width: int = 64, blocks: Sequence[int] = (2, 2, 2, 2),
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, (n_leads, 7), (1, 2), (0, 3), bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.n_stages = len(blocks)
        self.out_channels = _make_stages(self, nn.Conv2d, nn.BatchNorm2d, width, blocks, 3, 1)
        self.dropout = nn.Dropout(float(dropout))
        self.time_stride = 4 * 2 ** (len(blocks) - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, leads, T) -> (B, C, 1, T')``."""
        x = self.maxpool(self.relu(self.bn1(self.conv1(x.unsqueeze(1)))))
        for s in range(self.n_stages):
            if s == self.n_stages - 1 and s > 0:
                x = self.dropout(x)
            x = getattr(self, f"layer{s + 1}")(x)
        return x


def make_backbone(kind: str, n_leads: int = 12, width: int = 64, blocks: Sequence[int] = (2, 2, 2, 2),
                  dropout: float = 0.0) -> nn.Module:
    """``"1d"`` -> :class:`ResNet1d`, ``"2d"`` -> :class:`ResNet2d`."""
    if kind == "1d":
        return ResNet1d(n_leads, width, blocks, dropout)
    if kind == "2d":
        return ResNet2d(n_leads, width, blocks, dropout)
    raise ArgumentError(f"unknown backbone kind {kind!r}; use '1d' or '2d'")


def load_torchvision_resnet(backbone: ResNet2d, state_dict: Mapping[str, torch.Tensor]) -> tuple[list[str], list[str]]:
    """Copy a torchvision ``resnet18`` state dict (e.g. ImageNet weights) into a :class:`ResNet2d`.

    Tensors are copied where name and shape match (``bn1``, ``layer1``-``layer4``); ``conv1``
    (3-channel 7 x 7 there, ``(12, 7)`` here) and ``fc`` do not exist in the same shape and are
    skipped. Torchvision itself is not needed: pass ``torchvision.models.resnet18(weights=...)
    .state_dict()`` or a file saved from it.

    Parameters
    ----------
    backbone : ResNet2d
    state_dict : mapping
        torchvision parameter names -> tensors.

    Returns
    -------
    loaded, skipped : list of str
        Names copied, and names of ``state_dict`` left out (missing here or of another shape).

    Raises
    ------
    ValueError
        When not a single tensor matches (not a torchvision ResNet of this width/depth).
    """
    own = backbone.state_dict()
    loaded, skipped = [], []
    for name, tensor in state_dict.items():
        if name in own and tuple(own[name].shape) == tuple(tensor.shape):
            own[name] = tensor.detach().to(own[name].dtype)
            loaded.append(name)
        else:
            skipped.append(name)
    if not any(not n.endswith("num_batches_tracked") for n in loaded):
        raise ArgumentError("no tensor of the state dict matches this backbone (is it a torchvision ResNet of "
                         f"width {backbone.conv1.out_channels}?)")
    backbone.load_state_dict(own)
    logger.info("loaded %d torchvision tensors; skipped %d (%s)", len(loaded), len(skipped),
                ", ".join(sorted({s.split('.')[0] for s in skipped})))
    return loaded, skipped
