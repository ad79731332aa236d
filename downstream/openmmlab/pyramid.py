"""A simple feature pyramid for plain ViTs in SeedTIMMBackbone, so FPN recipes take a ViT student.

A plain ViT has one feature map, at its patch stride (16); FPN recipes ask for strides 4..32.
ViTDet (Li et al., 2022, Detectron2's `SimpleFeaturePyramid`) makes them from that one map:
two 2x deconvolutions (LayerNorm and GELU between) for 4x, one for 2x, the map itself, a 2x2
max-pool for 1/2x. Here those resamplings only (channels C/4, C/2, C, C): the recipe's own neck
(MMDetection's FPN) then adds the lateral and output convolutions ViTDet puts after them.
MMDetection 3.3 packages no ViTDet neck, so the pyramid lives in the backbone.
"""
from __future__ import annotations

import torch
from timm.layers import LayerNorm2d
from torch import nn

from seed.errors import InputError


def resampling(channels: int, scale: float) -> tuple[nn.Module, int]:
    """ViTDet's resampling of a `channels`-wide map by `scale` (4, 2, 1 or 1/2), and its output channels."""
    if scale == 4:
        return nn.Sequential(nn.ConvTranspose2d(channels, channels // 2, 2, stride=2), LayerNorm2d(channels // 2),
                             nn.GELU(), nn.ConvTranspose2d(channels // 2, channels // 4, 2, stride=2)), channels // 4
    if scale == 2:
        return nn.ConvTranspose2d(channels, channels // 2, 2, stride=2), channels // 2
    if scale == 1:
        return nn.Identity(), channels
    if scale == 0.5:
        return nn.MaxPool2d(2, stride=2), channels
    raise InputError(f"the simple feature pyramid resamples a plain ViT's map by 4, 2, 1 or 1/2 (strides "
                     f"{{4, 8, 16, 32}} from patch 16); a stride of 1/{scale} of its patch stride is not one of them")


class SimplePyramid(nn.Module):
    """One N x C x H/s x W/s map -> one map per stride in `out_strides` (ViTDet's resamplings)."""

    def __init__(self, channels: int, stride: int, out_strides: tuple[int, ...]) -> None:
        super().__init__()
        built = [resampling(channels, stride / out) for out in out_strides]
        self.stages = nn.ModuleList(stage for stage, _ in built)
        self.channels = [width for _, width in built]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [stage(x) for stage in self.stages]


def pyramid_channels(channels: int, stride: int, out_strides: tuple[int, ...]) -> list[int]:
    """The channels of each map SimplePyramid(channels, stride, out_strides) returns, without building it."""
    return [resampling(channels, stride / out)[1] for out in out_strides]
