"""Teacher networks: a published SSL encoder (with its projection head, when the file has one), frozen.

SEED distils the teacher's final embedding, so the projection head is kept by default.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import nn

from seed.config import TeacherConfig
from seed.models.checkpoints import CheckpointError
from seed.models.encoder import Encoder
from seed.models.pretrained import load_encoder


@contextmanager
def batchnorm_batch_statistics(module: nn.Module) -> Iterator[None]:
    """Within the block, BatchNorm layers normalise with each batch's own statistics (as in train
    mode) while their running statistics stay exactly as they were."""
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(m.training, m.momentum, None if m.num_batches_tracked is None else m.num_batches_tracked.clone())
             for m in norms]
    for norm in norms:
        norm.training, norm.momentum = True, 0.0  # momentum 0: running = 1 * running + 0 * batch
    try:
        yield
    finally:
        for norm, (training, momentum, tracked) in zip(norms, saved):
            norm.training, norm.momentum = training, momentum
            if tracked is not None:
                norm.num_batches_tracked.copy_(tracked)


class FrozenTeacher(nn.Module):
    """An encoder that stays in eval mode, needs no gradients, and runs under no_grad.

    `batch_statistics=True` makes its BatchNorm use each batch's statistics (DisCo's official code
    leaves the teacher in train mode); its weights and running statistics never change either way.
    `image_size` resizes each batch (bilinear, antialiased) to the teacher's own resolution, e.g. 224
    for a ViT teacher whose students see smaller crops.
    """

    def __init__(self, encoder: Encoder, batch_statistics: bool = False, image_size: int | None = None) -> None:
        super().__init__()
        self.encoder = encoder.eval()
        self.encoder.requires_grad_(False)
        self.batch_statistics = batch_statistics
        self.image_size = image_size
        self.eval()

    @property
    def embed_dim(self) -> int:
        return self.encoder.embed_dim

    def train(self, mode: bool = True) -> "FrozenTeacher":
        """Ignore train(): the teacher's BN statistics never change."""
        return super().train(False)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.image_size and tuple(images.shape[-2:]) != (self.image_size, self.image_size):
            images = F.interpolate(images, size=(self.image_size, self.image_size), mode="bilinear",
                                   align_corners=False, antialias=True)
        if self.batch_statistics:
            with batchnorm_batch_statistics(self.encoder):
                return self.encoder(images)
        return self.encoder(images)


def build_teacher(cfg: TeacherConfig, batch_statistics: bool = False) -> FrozenTeacher:
    """Load `cfg.checkpoint` strictly as `cfg.arch` (layout detected or named) and freeze it."""
    if not cfg.checkpoint:
        raise CheckpointError("teacher.checkpoint is not set: a distillation run needs a trained "
                              "teacher and never starts from a random one")
    encoder, _layout = load_encoder(cfg.checkpoint, cfg.arch, cfg.layout, cfg.use_head)
    return FrozenTeacher(encoder, batch_statistics, cfg.image_size)
