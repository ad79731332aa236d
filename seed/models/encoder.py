"""An encoder is a backbone (pooled features) followed by a projection head (the SSL embedding)."""
from __future__ import annotations

import torch
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "gelu": nn.GELU}


class Encoder(nn.Module):
    """backbone: image -> N x d pooled features; head: d -> D embedding (Identity if absent).

    `arch` names the backbone's architecture (a timm or registered name) when it is known.
    """

    def __init__(self, backbone: nn.Module, head: nn.Module | None = None, arch: str | None = None) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head if head is not None else nn.Identity()
        self.arch = arch

    @property
    def feature_dim(self) -> int:
        """Size of the backbone's pooled features (what linear probes and kNN read)."""
        return backbone_feature_dim(self.backbone)

    @property
    def embed_dim(self) -> int:
        """Size of the final embedding (the head's output, or the features without a head)."""
        linears = [m for m in self.head.modules() if isinstance(m, nn.Linear)]
        return linears[-1].out_features if linears else self.feature_dim

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(images))


def backbone_feature_dim(backbone: nn.Module) -> int:
    """Pooled-feature size of a timm model built with num_classes=0."""
    return int(getattr(backbone, "head_hidden_size", None) or backbone.num_features)


def projection_head(in_dim: int, hidden_dim: int, out_dim: int) -> nn.Sequential:
    """Linear(d, h), ReLU, Linear(h, D): the student head of the official SEED code (h = d there)."""
    return nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.ReLU(inplace=True), nn.Linear(hidden_dim, out_dim))


def mlp_from_state_dict(state: dict[str, torch.Tensor], activation: str) -> nn.Sequential:
    """Rebuild an nn.Sequential MLP head from its weights: 2-D `i.weight` is a Linear,
    `i.running_mean` a BatchNorm1d, and an index without weights is the activation.

    Published heads differ only in sizes, BN and activation (MoCo v2: Linear-ReLU-Linear;
    SwAV: Linear-BN-ReLU-Linear; DINO: Linear-GELU-Linear-GELU-Linear; MoCo v3 ends in an affine-free
    BN), so one builder fits all.
    """
    indices = {int(key.split(".", 1)[0]) for key in state}
    layers: list[nn.Module] = []
    for index in range(max(indices) + 1):
        weight = state.get(f"{index}.weight")
        if f"{index}.running_mean" in state:
            layers.append(nn.BatchNorm1d(state[f"{index}.running_mean"].numel(), affine=weight is not None))
        elif weight is not None and weight.ndim == 2:
            layers.append(nn.Linear(weight.shape[1], weight.shape[0], bias=f"{index}.bias" in state))
        else:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)
