"""Detectron2's NORM choices (BN, SyncBN, FrozenBN) applied to the BatchNorm layers a timm model built.

timm builds its own BatchNorm layers (often BatchNormAct2d, norm and activation in one), so the
choice is applied by converting them with timm's own converters, which keep the activation.
"""
from __future__ import annotations

import logging
from typing import Callable

from detectron2.utils import comm
from timm.layers import convert_sync_batchnorm, freeze_batch_norm_2d
from torch import nn

from seed.errors import InputError
from seed.registry import Registry

logger = logging.getLogger("detectron2.students")  # printed by Detectron2's setup_logger

NORMS: Registry[Callable[[nn.Module, int], nn.Module]] = Registry("MODEL.TIMM.NORM")


@NORMS.register("BN")
def batch_norm(module: nn.Module, world_size: int) -> nn.Module:
    """Keep timm's BatchNorm: statistics of each process's own images."""
    return module


@NORMS.register("SyncBN")
def sync_batch_norm(module: nn.Module, world_size: int) -> nn.Module:
    """Statistics over every process's images (MoCo's recipe). On one process SyncBN and BN compute
    the same thing, so the layers stay BatchNorm and a line in the log says so."""
    if world_size == 1:
        logger.info("MODEL.TIMM.NORM=SyncBN on a single process: using BatchNorm (identical statistics)")
        return module
    return convert_sync_batchnorm(module)


@NORMS.register("FrozenBN")
def frozen_batch_norm(module: nn.Module, world_size: int) -> nn.Module:
    """Fixed affine transforms from the student's running statistics (no statistics, no gradients)."""
    return freeze_batch_norm_2d(module)


def apply_norm(module: nn.Module, norm: str, world_size: int | None = None) -> nn.Module:
    """Convert `module`'s BatchNorm layers as `norm` says; `world_size` defaults to Detectron2's."""
    try:
        convert = NORMS.get(norm)
    except KeyError as error:
        raise InputError(f"{error.args[0]} (for timm backbones; GroupNorm and others would need new weights)") from None
    return convert(module, comm.get_world_size() if world_size is None else world_size)
