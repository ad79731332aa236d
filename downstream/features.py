"""Frozen-feature extraction: the backbone's pooled features, eval mode, no autograd."""
from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader


@torch.inference_mode()
def extract_features(backbone: nn.Module, loader: DataLoader, device: torch.device | str = "cpu"
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """(N x d features, N labels) for every batch of `loader`; BN uses running statistics."""
    was_training = backbone.training
    backbone.eval().to(device)
    features, labels = [], []
    try:
        for images, targets in loader:
            features.append(backbone(images.to(device, non_blocking=True)).float().cpu())
            labels.append(torch.as_tensor(targets))
    finally:
        backbone.train(was_training)
    return torch.cat(features), torch.cat(labels)
