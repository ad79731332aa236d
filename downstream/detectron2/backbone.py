"""Any timm student as a Detectron2 backbone (`build_timm_backbone`), and its FPN (`build_timm_fpn_backbone`);
and the backbones the recipe configs name, `build_student_backbone` / `build_student_fpn_backbone`,
which build whichever of those (or Detectron2's own ResNet) fits the student MODEL.WEIGHTS holds.

The network is timm's features_only "getter" path: the model pruned after the last requested
feature map (`prune_intermediate_layers`), run with `forward_intermediates`. Outputs are named
res2..res5 by their true stride (4, 8, 16, 32) and `output_shape()` reports timm's channels and
strides, so every Detectron2 head (RPN, C4 ROI heads, FPN) works unchanged.
"""
from __future__ import annotations

import torch
from detectron2.config import CfgNode
from detectron2.layers import ShapeSpec
from detectron2.modeling import BACKBONE_REGISTRY, Backbone
from detectron2.modeling.backbone.fpn import FPN, LastLevelMaxPool
from timm.utils.model import freeze

from downstream.detectron2.config import family_config
from downstream.detectron2.norm import apply_norm
from downstream.timm_net import LEVELS, STAGES, create, feature_levels, modules_through, prune_to, require_intermediates
from seed.errors import InputError

CONSUMER = "Detectron2 backbone (build_timm_backbone)"


class TimmBackbone(Backbone):
    """A timm model's res2..res5 feature maps; parameters keep timm's names under `student.`."""

    def __init__(self, arch: str, out_features: list[str], norm: str = "BN", freeze_at: int = 0) -> None:
        super().__init__()
        student = create(arch)
        require_intermediates(student, arch, CONSUMER)
        levels = feature_levels(student, arch)
        unknown = [name for name in out_features if name not in STAGES]
        if unknown or not out_features:
            raise InputError(f"MODEL.TIMM.OUT_FEATURES: {list(out_features)} must be a non-empty subset "
                             f"of {list(STAGES)}")
        self._out_features = sorted(out_features, key=STAGES.index)
        self._out_feature_channels = {name: levels[name]["num_chs"] for name in self._out_features}
        self._out_feature_strides = {name: levels[name]["reduction"] for name in self._out_features}
        frozen = frozen_modules(student, levels, self._out_features, freeze_at)
        self._indices = prune_to(student, [levels[name]["index"] for name in self._out_features], arch, CONSUMER)
        self.student = apply_norm(student, norm)
        if frozen:
            freeze(self.student, frozen)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        features = self.student.forward_intermediates(x, indices=self._indices, intermediates_only=True)
        return dict(zip(self._out_features, features))


def frozen_modules(student: torch.nn.Module, levels: dict[str, dict], out_features: list[str],
                   freeze_at: int) -> list[str]:
    """MODEL.BACKBONE.FREEZE_AT as in Detectron2's ResNet: 0 trains everything, 1 freezes the stem
    (everything up to stride 2), k in 2..5 everything through res{k}; levels past the last output are
    not in this network and are skipped (Detectron2's ResNet clamps the same way)."""
    if freeze_at == 0:
        return []
    if not 1 <= freeze_at <= 5 or LEVELS[2 ** freeze_at] not in levels:
        raise InputError(f"MODEL.BACKBONE.FREEZE_AT={freeze_at}: use 0 (train everything), 1 (stem) or 2..5 "
                         f"(through res2..res5); this network's levels are {sorted(levels)}")
    deepest = max(STAGES.index(name) for name in out_features) + 2  # k of the deepest output, res{k}
    return modules_through(student, levels[LEVELS[2 ** min(freeze_at, deepest)]]["module"])


@BACKBONE_REGISTRY.register()
def build_timm_backbone(cfg: CfgNode, input_shape: ShapeSpec) -> TimmBackbone:
    """MODEL.TIMM.ARCH with outputs MODEL.TIMM.OUT_FEATURES, norm MODEL.TIMM.NORM, MODEL.BACKBONE.FREEZE_AT."""
    if input_shape.channels != 3:
        raise InputError(f"timm students take 3-channel images; MODEL.PIXEL_MEAN has {input_shape.channels} values")
    return TimmBackbone(cfg.MODEL.TIMM.ARCH, list(cfg.MODEL.TIMM.OUT_FEATURES), cfg.MODEL.TIMM.NORM,
                        cfg.MODEL.BACKBONE.FREEZE_AT)


@BACKBONE_REGISTRY.register()
def build_timm_fpn_backbone(cfg: CfgNode, input_shape: ShapeSpec) -> FPN:
    """Detectron2's FPN (MODEL.FPN.*) on top of `build_timm_backbone`, as `build_resnet_fpn_backbone` does."""
    return FPN(
        bottom_up=build_timm_backbone(cfg, input_shape),
        in_features=cfg.MODEL.FPN.IN_FEATURES,
        out_channels=cfg.MODEL.FPN.OUT_CHANNELS,
        norm=cfg.MODEL.FPN.NORM,
        top_block=LastLevelMaxPool(),
        fuse_type=cfg.MODEL.FPN.FUSE_TYPE,
    )


def build_family_backbone(cfg: CfgNode, input_shape: ShapeSpec, variant: str) -> Backbone:
    """The backbone of the student's family for `variant`, its network read from MODEL.TIMM.ARCH
    (auto: the architecture MODEL.WEIGHTS records)."""
    cfg = family_config(cfg, variant)
    return BACKBONE_REGISTRY.get(cfg.MODEL.BACKBONE.NAME)(cfg, input_shape)


@BACKBONE_REGISTRY.register()
def build_student_backbone(cfg: CfgNode, input_shape: ShapeSpec) -> Backbone:
    """The C4 backbone (up to stride 16) of whichever student MODEL.TIMM.ARCH names or MODEL.WEIGHTS holds."""
    return build_family_backbone(cfg, input_shape, "c4")


@BACKBONE_REGISTRY.register()
def build_student_fpn_backbone(cfg: CfgNode, input_shape: ShapeSpec) -> Backbone:
    """The FPN backbone of whichever student MODEL.TIMM.ARCH names or MODEL.WEIGHTS holds."""
    return build_family_backbone(cfg, input_shape, "fpn")
