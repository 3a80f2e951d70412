"""ProtoECGNet prototype networks: case-based, multi-label ECG classification.

Every prediction is explained by similarity to prototypes, and every prototype is a real
segment of a real training ECG (after the *push* phase). ProtoECGNet (Sethi et al., 2025;
public code bbj-lab/protoecgnet) as published by default (``preset="paper"``): a rhythm branch
(1D ResNet-18, prototypes compared with time-pooled features), a morphology branch (2D
ResNet-18 with a lead-merging first convolution, partial ~0.96 s prototypes, scaled cosine) and
a global branch (2D ResNet-18, global prototypes), fused by a linear layer over all prototype
similarities; ``preset="small"`` is the same design at CPU size.

Modules: :mod:`~.data` (dataset -> tensors), :mod:`~.backbones`, :mod:`~.layers`,
:mod:`~.model`, :mod:`~.losses`, :mod:`~.push`, :mod:`~.training` (phases, checkpoints,
devices), :mod:`~.estimator` (:class:`ProtoECGNetClassifier`), :mod:`~.explain`.
"""

from interp_ecg.prototypes.data import default_label_groups
from interp_ecg.prototypes.estimator import (
    PRESETS,
    BlackBoxECGClassifier,
    ProtoECGNetClassifier,
    constant_similarity_prototypes,
)
from interp_ecg.prototypes.explain import (
    fusion_shap,
    intra_class_distances,
    prototype_distances,
    prototype_explanation,
    prototype_gallery,
)
from interp_ecg.prototypes.model import BlackBoxECGNet, BranchSpec, ProtoECGNet, ProtoOutput
from interp_ecg.prototypes.training import PHASES, ProtoTrainer, TrainConfig, torch_device

__all__ = [
    "BlackBoxECGClassifier",
    "BlackBoxECGNet",
    "BranchSpec",
    "PHASES",
    "PRESETS",
    "ProtoECGNet",
    "ProtoECGNetClassifier",
    "ProtoOutput",
    "ProtoTrainer",
    "TrainConfig",
    "constant_similarity_prototypes",
    "default_label_groups",
    "fusion_shap",
    "intra_class_distances",
    "prototype_distances",
    "prototype_explanation",
    "prototype_gallery",
    "torch_device",
]
