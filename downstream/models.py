"""The frozen backbone every protocol evaluates: from any checkpoint layout, or a timm name.

Checkpoints go through seed's one loader (this project's runs and student files, the
official SEED layout, MoCo, SwAV, SimCLR, DINO, torchvision); the projection head is
dropped because protocols read the backbone's pooled features. `timm:NAME` builds a
randomly initialised timm model: the floor every student should beat.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torch import nn

from downstream.reparam import reparameterize
from seed.errors import InputError
from seed.models import load_encoder
from seed.models.encoder import backbone_feature_dim
from seed.models.pretrained import build_backbone
from seed.utils.hashing import file_digest

TIMM_PREFIX = "timm:"


@dataclass
class FrozenModel:
    """A backbone in eval mode without gradients, and what identifies it."""

    name: str
    backbone: nn.Module
    arch: str
    checkpoint: str | None
    sha256: str | None
    layout: str
    reparameterized: bool = False  # folded for inference (MobileOne, RepViT, FastViT): downstream/reparam.py

    @property
    def feature_dim(self) -> int:
        return backbone_feature_dim(self.backbone)

    @property
    def identity(self) -> str:
        """What makes two models the same for caching: the file's hash (or the timm name)."""
        return f"{self.sha256 or 'random-init'}:{self.arch}:{self.layout}" + (":reparameterized" if self.reparameterized
                                                                           else "")


def default_name(spec: str) -> str:
    """A readable row name: `runs/x/student.pth` -> `x`, `a/b.pth.tar` -> `b`, `timm:r18` -> `r18-random`."""
    if spec.startswith(TIMM_PREFIX):
        return f"{spec[len(TIMM_PREFIX):]}-random"
    path = Path(spec)
    if path.name == "student.pth" or path.parent.name == "checkpoints":
        return (path.parent.parent if path.parent.name == "checkpoints" else path.parent).name
    return path.name.split(".")[0]


def load_model(spec: str, arch: str = "auto", layout: str = "auto", name: str | None = None) -> FrozenModel:
    """Load `spec` (a checkpoint file or timm:NAME) as a frozen, eval-mode backbone."""
    if not spec:
        raise InputError("no model given: pass --model with a checkpoint file or timm:NAME")
    if spec.startswith(TIMM_PREFIX):
        timm_name = spec[len(TIMM_PREFIX):]
        backbone, arch, checkpoint, sha, layout_name = build_backbone(timm_name), timm_name, None, None, "timm"
    else:
        encoder, chosen = load_encoder(spec, arch, layout, use_head=False)
        backbone, arch, checkpoint, layout_name = encoder.backbone, encoder.arch, spec, chosen.name
        sha = file_digest(spec)
    backbone.eval().requires_grad_(False)
    folded = reparameterize(backbone)
    return FrozenModel(name or default_name(spec), backbone, arch, checkpoint, sha, layout_name, folded)

