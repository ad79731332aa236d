"""Inference-time reparameterisation for the families that define it (MobileOne, RepViT, FastViT).

These families train with parallel branches (RepVGG-style convs, BatchNorms beside convs) that fold
into single convolutions for inference; timm's `reparameterize_model` folds every module that has
`fuse`, `reparameterize` or `switch_to_deploy`. The fold keeps the outputs (up to float rounding),
so `seed eval` measures the network that would be deployed, and says so in its record; a converted
file for fine-tuning keeps the branches, which fine-tuning trains.
"""
from __future__ import annotations

from timm.utils.model import reparameterize_model
from torch import nn

REPARAM_METHODS = ("fuse", "reparameterize", "switch_to_deploy")


def reparameterizable(model: nn.Module) -> bool:
    """Whether any module of `model` defines an inference-time fold."""
    return any(hasattr(module, method) for module in model.modules() for method in REPARAM_METHODS)


def reparameterize(model: nn.Module) -> bool:
    """Fold `model` in place for inference where its family defines it; whether it did."""
    if not reparameterizable(model):
        return False
    reparameterize_model(model, inplace=True)
    return True
