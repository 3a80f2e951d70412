"""ProtoECGNet-style model: backbone branches with prototypes, and a linear fusion layer.

Each branch is a backbone, a :class:`~interp_ecg.prototypes.layers.PrototypeLayer` holding
``m`` prototypes per class of the branch (grouped by class, contiguous), and a branch
last layer (linear, no bias) from the branch's similarities to its classes. The fusion layer
(linear with bias) maps the concatenated similarities of all branches to all classes.
``forward`` returns similarities beside logits.

ProtoECGNet's three branches: ``rhythm`` (1D backbone, prototypes compared with the
time-pooled features), ``morphology`` (2D backbone, partial ~0.9 s prototypes), ``global`` (2D
backbone, global prototypes).

Examples
--------
>>> from interp_ecg.prototypes import BranchSpec, ProtoECGNet
>>> import torch
>>> specs = [BranchSpec("rhythm", ["AFIB", "SR"], "1d", "global", 2),
...          BranchSpec("morphology", ["IMI"], "2d", "partial", 3)]
>>> net = ProtoECGNet(specs, width=4, blocks=(1, 1, 1, 1), n_samples=1000, fs=100)
>>> out = net(torch.zeros(2, 12, 1000))
>>> out.logits.shape, out.similarities.shape, net.classes
(torch.Size([2, 3]), torch.Size([2, 7]), ['AFIB', 'SR', 'IMI'])
>>> net.prototype_names()[:3]
['proto_AFIB_00', 'proto_AFIB_01', 'proto_SR_00']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import NamedTuple

import torch
from torch import nn

from interp_ecg.errors import ArgumentError
from interp_ecg.prototypes.backbones import make_backbone
from interp_ecg.prototypes.layers import PrototypeLayer

#: default backbone kind and prototype type of the ProtoECGNet branches.
DEFAULT_BRANCH_TYPES = {
    "rhythm": ("1d", "global"),
    "morphology": ("2d", "partial"),
    "global": ("2d", "global"),
}


@dataclass
class BranchSpec:
    """What one branch classifies and how.

    Attributes
    ----------
    name : str
    classes : list of str
    kind : {"1d", "2d"}
        Backbone.
    prototype : {"global", "partial"}
        Prototype extent.
    prototypes_per_class : int
    """

    name: str
    classes: list[str]
    kind: str = "2d"
    prototype: str = "partial"
    prototypes_per_class: int = 2

    def to_dict(self) -> dict:
        return asdict(self)


class ProtoOutput(NamedTuple):
    """What :meth:`ProtoECGNet.forward` returns."""

    logits: torch.Tensor                      #: fusion logits ``(B, K)``
    similarities: torch.Tensor                #: concatenated pooled similarities ``(B, P)``
    branch_logits: dict[str, torch.Tensor]     #: per branch ``(B, K_b)``
    branch_similarities: dict[str, torch.Tensor]  #: per branch ``(B, P_b)``


def proto_name(cls: str, k: int) -> str:
    """Column / prototype name, e.g. ``proto_AFIB_03``."""
    return f"proto_{cls}_{k:02d}"


class ProtoBranch(nn.Module):
    """Backbone + add-on layers + prototype layer + branch last layer (+ a warm-up head).

    As in ProtoECGNet: a ``"1d"`` branch with ``"global"`` prototypes (the rhythm branch) averages
    the backbone's feature map over time, passes the 512-d vector through add-on layers
    Linear-ReLU-Linear-Sigmoid and compares prototypes ``(C, 1, 1)`` with it by cosine, so its
    similarities do not depend on where beats fall. Other branches pass the feature map through
    add-on 1 x 1 convolutions (Conv-ReLU-Conv-Sigmoid) and compare prototypes of ``w`` time steps
    (all of them for ``"global"``, about ``partial_window_s`` for ``"partial"``) with every window
    by the scaled cosine, averaged over windows.
    """

    def __init__(self, spec: BranchSpec, width: int, blocks: Sequence[int], n_leads: int, n_samples: int,
                 fs: float, partial_window_s: float, dropout: float, generator: torch.Generator | None) -> None:
        super().__init__()
        self.spec = spec
        if spec.prototype not in ("global", "partial"):
            raise ArgumentError(f"prototype must be 'global' or 'partial', got {spec.prototype!r}")
        self.backbone = make_backbone(spec.kind, n_leads, width, blocks, dropout)
        with torch.no_grad():
            self.backbone.eval()
            fmap = self.backbone(torch.zeros(1, n_leads, n_samples)).shape
            self.backbone.train()
        c, h, w = fmap[1], fmap[2], fmap[3]
        self.map_shape = (c, h, w)
        #: time-pooled comparison (ProtoECGNet rhythm branch)
        self.pooled = spec.kind == "1d" and spec.prototype == "global"
        if self.pooled:
            self.add_on = nn.Sequential(nn.Linear(c, c), nn.ReLU(), nn.Linear(c, c), nn.Sigmoid())
            self.feature_shape = (c, 1, 1)
            ph, pw, similarity = 1, 1, "cosine"
        else:
            self.add_on = nn.Sequential(nn.Conv2d(c, c, 1), nn.ReLU(), nn.Conv2d(c, c, 1), nn.Sigmoid())
            for mod in self.add_on:
                if isinstance(mod, nn.Conv2d):
                    nn.init.kaiming_normal_(mod.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.zeros_(mod.bias)
            self.feature_shape = (c, h, w)
            ph = h
            pw = w if spec.prototype == "global" else max(1, min(w, round(partial_window_s * fs / self.backbone.time_stride)))
            similarity = "scaled"
        self.prototype_shape = (c, ph, pw)
        k = len(spec.classes)
        m = spec.prototypes_per_class
        self.prototype_layer = PrototypeLayer(k * m, c, ph, pw, similarity=similarity, generator=generator)
        identity = torch.zeros(k * m, k)
        for j in range(k):
            identity[j * m:(j + 1) * m, j] = 1.0
        self.register_buffer("class_identity", identity)
        self.last_layer = nn.Linear(k * m, k, bias=False)
        # warm-up (feature extractor) head as in ProtoECGNet: 1D on the time-averaged features,
        # 2D on the flattened feature map
        self.warm_head = nn.Linear(c if spec.kind == "1d" else c * h * w, k)
        self.reset_last_layer()

    def reset_last_layer(self, off_class: float = -0.5) -> None:
        """ProtoPNet initialisation: 1 from a class's own prototypes, ``off_class`` elsewhere."""
        with torch.no_grad():
            ident = self.class_identity.T
            self.last_layer.weight.copy_(ident + off_class * (1 - ident))

    @property
    def n_prototypes(self) -> int:
        return self.prototype_layer.prototypes.shape[0]

    @property
    def time_stride(self) -> int:
        """Input samples per feature time step."""
        return self.backbone.time_stride

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The representation prototypes live in: ``(B, C, 1, 1)`` (pooled) or ``(B, C, H, W)``."""
        z = self.backbone(x)
        if self.pooled:
            return self.add_on(z.mean(dim=(2, 3)))[:, :, None, None]
        return self.add_on(z)

    def warm_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Black-box logits of the backbone alone (warm-up / feature-extractor phase)."""
        z = self.backbone(x)
        return self.warm_head(z.mean(dim=(2, 3)) if self.spec.kind == "1d" else z.flatten(1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(branch logits (B, K_b), pooled similarities (B, P_b))``."""
        sims, _ = self.prototype_layer(self.embed(x))
        return self.last_layer(sims), sims


class ProtoECGNet(nn.Module):
    """Multi-branch prototype network with a linear fusion layer.

    Parameters
    ----------
    specs : sequence of BranchSpec
    width : int
        Backbone base width (64 = ResNet-18; 4-16 for CPU).
    blocks : sequence of int
        Residual blocks per stage.
    n_leads, n_samples, fs : int, int, float
        Input shape (12 leads, 1,000 samples at 100 Hz).
    partial_window_s : float
        Duration of partial prototypes (0.9 s = 3 feature steps at 100 Hz, as ProtoECGNet).
    dropout : float
        Dropout of the 2D backbones (ProtoECGNet: 0.35).
    seed : int
        Seeds the prototype initialisation.
    """

    def __init__(self, specs: Sequence[BranchSpec], width: int = 64, blocks: Sequence[int] = (2, 2, 2, 2),
                 n_leads: int = 12, n_samples: int = 1000, fs: float = 100.0, partial_window_s: float = 0.9,
                 dropout: float = 0.0, seed: int = 0) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(int(seed))
        self.specs = list(specs)
        self.branches = nn.ModuleDict({
            s.name: ProtoBranch(s, width, blocks, n_leads, n_samples, fs, partial_window_s, dropout, gen)
            for s in self.specs
        })
        self.classes = [c for s in self.specs for c in s.classes]
        if len(set(self.classes)) != len(self.classes):
            raise ArgumentError("a class is assigned to more than one branch")
        n_proto = sum(b.n_prototypes for b in self.branches.values())
        self.fusion = nn.Linear(n_proto, len(self.classes))
        ident = torch.zeros(n_proto, len(self.classes))
        row, col = 0, 0
        for b in self.branches.values():
            p, k = b.class_identity.shape
            ident[row:row + p, col:col + k] = b.class_identity
            row, col = row + p, col + k
        self.register_buffer("class_identity", ident)
        self.init_fusion_from_branches()

    def init_fusion_from_branches(self) -> None:
        """Fusion weights = block-diagonal copy of the branch last layers, bias 0."""
        with torch.no_grad():
            w = torch.zeros_like(self.fusion.weight)
            row, col = 0, 0
            for b in self.branches.values():
                k, p = b.last_layer.weight.shape
                w[col:col + k, row:row + p] = b.last_layer.weight
                row, col = row + p, col + k
            self.fusion.weight.copy_(w)
            self.fusion.bias.zero_()

    def class_slices(self) -> dict[str, slice]:
        """Positions of each branch's classes in :attr:`classes`."""
        out, col = {}, 0
        for name, b in self.branches.items():
            k = len(b.spec.classes)
            out[name] = slice(col, col + k)
            col += k
        return out

    def prototype_slices(self) -> dict[str, slice]:
        """Positions of each branch's prototypes in the concatenated similarities."""
        out, row = {}, 0
        for name, b in self.branches.items():
            out[name] = slice(row, row + b.n_prototypes)
            row += b.n_prototypes
        return out

    def prototype_names(self) -> list[str]:
        """``proto_<class>_<kk>`` for every prototype, in similarity order."""
        names = []
        for b in self.branches.values():
            for c in b.spec.classes:
                names.extend(proto_name(c, k) for k in range(b.spec.prototypes_per_class))
        return names

    def warm_logits(self, x: torch.Tensor) -> torch.Tensor:
        """Warm-up logits of all branches ``(B, K)`` in :attr:`classes` order."""
        return torch.cat([b.warm_logits(x) for b in self.branches.values()], dim=1)

    def branch_logits(self, sims: torch.Tensor) -> torch.Tensor:
        """Branch last-layer logits ``(B, K)`` from concatenated similarities."""
        sl = self.prototype_slices()
        return torch.cat([b.last_layer(sims[:, sl[n]]) for n, b in self.branches.items()], dim=1)

    def forward(self, x: torch.Tensor) -> ProtoOutput:
        branch_logits, branch_sims = {}, {}
        for name, b in self.branches.items():
            branch_logits[name], branch_sims[name] = b(x)
        sims = torch.cat(list(branch_sims.values()), dim=1)
        logits = self.fusion(sims)
        return ProtoOutput(logits, sims, branch_logits, branch_sims)


class BlackBoxECGNet(nn.Module):
    """The comparison network: the same backbones, global average pooling, one linear head.

    Examples
    --------
    >>> from interp_ecg.prototypes import BlackBoxECGNet, BranchSpec
    >>> import torch
    >>> net = BlackBoxECGNet([BranchSpec("rhythm", ["AFIB"], "1d", "global", 1)], width=4, blocks=(1, 1))
    >>> net(torch.zeros(3, 12, 1000)).shape
    torch.Size([3, 1])
    """

    def __init__(self, specs: Sequence[BranchSpec], width: int = 64, blocks: Sequence[int] = (2, 2, 2, 2),
                 n_leads: int = 12, dropout: float = 0.0, **_: object) -> None:
        super().__init__()
        self.specs = list(specs)
        self.backbones = nn.ModuleDict({s.name: make_backbone(s.kind, n_leads, width, blocks, dropout)
                                        for s in self.specs})
        self.classes = [c for s in self.specs for c in s.classes]
        n_feat = sum(b.out_channels for b in self.backbones.values())
        self.head = nn.Linear(n_feat, len(self.classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [b(x).mean(dim=(2, 3)) for b in self.backbones.values()]
        return self.head(torch.cat(feats, dim=1))
