"""Teacher networks: a published SSL encoder (with its projection head, when the file has one), frozen.

SEED distils the teacher's final embedding, so the projection head is kept by default.
"""
from __future__ import annotations

import torch
from torch import nn

from seed.config import TeacherConfig
from seed.models.checkpoints import CheckpointError
from seed.models.encoder import Encoder
from seed.models.pretrained import load_encoder


class FrozenTeacher(nn.Module):
    """An encoder that stays in eval mode, needs no gradients, and runs under no_grad."""

    def __init__(self, encoder: Encoder) -> None:
        super().__init__()
        self.encoder = encoder.eval()
        self.encoder.requires_grad_(False)

    @property
    def embed_dim(self) -> int:
        return self.encoder.embed_dim

    def train(self, mode: bool = True) -> "FrozenTeacher":
        """Ignore train(): the teacher's BN statistics never change."""
        return super().train(False)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.encoder(images)


def build_teacher(cfg: TeacherConfig) -> FrozenTeacher:
    """Load `cfg.checkpoint` strictly as `cfg.arch` (layout detected or named) and freeze it."""
    if not cfg.checkpoint:
        raise CheckpointError("teacher.checkpoint is not set: a distillation run needs a trained "
                              "teacher and never starts from a random one")
    encoder, _layout = load_encoder(cfg.checkpoint, cfg.arch, cfg.layout, cfg.use_head)
    return FrozenTeacher(encoder)
