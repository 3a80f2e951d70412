"""ProtoECGNet-style prototype networks: case-based, multi-label ECG classification.

Every prediction is explained by similarity to prototypes, and every prototype is a real
segment of a real training ECG (after the *push* phase). Design after ProtoECGNet
(Sethi et al., MLHC 2025): a rhythm branch (1D ResNet, global prototypes), a morphology
branch (2D ResNet over leads x time, partial ~0.9 s prototypes) and a global branch (2D,
global prototypes), fused by a linear layer over all prototype similarities.

Modules: :mod:`~.data` (dataset -> tensors), :mod:`~.backbones`, :mod:`~.layers`,
:mod:`~.model`, :mod:`~.losses`, :mod:`~.push`, :mod:`~.training` (phases, checkpoints,
devices), :mod:`~.estimator` (:class:`ProtoECGNetClassifier`), :mod:`~.explain`.
"""

from interp_ecg.prototypes.estimator import BlackBoxECGClassifier, ProtoECGNetClassifier
from interp_ecg.prototypes.explain import (
    explain_record,
    fusion_shap,
    intra_class_distances,
    prototype_distances,
    prototype_gallery,
)
from interp_ecg.prototypes.model import BlackBoxECGNet, BranchSpec, ProtoECGNet, ProtoOutput
from interp_ecg.prototypes.training import PHASES, ProtoTrainer, TrainConfig, select_device

__all__ = [
    "BlackBoxECGClassifier",
    "BlackBoxECGNet",
    "BranchSpec",
    "PHASES",
    "ProtoECGNet",
    "ProtoECGNetClassifier",
    "ProtoOutput",
    "ProtoTrainer",
    "TrainConfig",
    "explain_record",
    "fusion_shap",
    "intra_class_distances",
    "prototype_distances",
    "prototype_gallery",
    "select_device",
]
