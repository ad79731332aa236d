"""C4 for every student: ROI heads whose per-region network is the student's own last stage.

Detectron2's `Res5ROIHeads` builds a fresh bottleneck res5, which fits neither ResNet-18/34
(basic blocks) nor EfficientNet or MobileNet. `LastStageROIHeads` asks the backbone's family for
its last stage instead (registry keyed by MODEL.BACKBONE.NAME), so the stride-16 backbone plus
this head is exactly the student, and "C4" means the same thing for every architecture. The
stage's parameters carry the student's names (`res5.*`, `student.*`), so the converted
checkpoint initialises it. MODEL.ROI_HEADS.EXTRA_NORM adds MoCo's extra norm after the stage.
"""
from __future__ import annotations

from typing import Callable

from detectron2.config import CfgNode
from detectron2.layers import ShapeSpec, get_norm
from detectron2.modeling import ROI_HEADS_REGISTRY
from detectron2.modeling.backbone.resnet import build_resnet_backbone
from detectron2.modeling.roi_heads import Res5ROIHeads
from torch import nn

from downstream.detectron2.config import family_config
from downstream.detectron2.norm import apply_norm
from downstream.timm_net import LastStage
from seed.errors import UnknownNameError
from seed.registry import Registry

# MODEL.BACKBONE.NAME -> cfg -> (stage, output channels, NORM for the extra norm)
LastStageBuilder = Callable[[CfgNode], tuple[nn.Sequential, int, str]]
LAST_STAGES: Registry[LastStageBuilder] = Registry("C4 backbone (MODEL.BACKBONE.NAME)")


@LAST_STAGES.register("build_resnet_backbone")
def resnet_last_stage(cfg: CfgNode) -> tuple[nn.Sequential, int, str]:
    """res5 of Detectron2's own ResNet for MODEL.RESNETS (basic blocks for depth 18/34, bottlenecks
    from 50), built by Detectron2's builder so every RESNETS option applies; never frozen."""
    cfg = cfg.clone()
    cfg.defrost()
    cfg.MODEL.RESNETS.OUT_FEATURES = ["res5"]
    cfg.MODEL.BACKBONE.FREEZE_AT = 0
    resnet = build_resnet_backbone(cfg, ShapeSpec(channels=len(cfg.MODEL.PIXEL_MEAN)))
    return resnet.res5, resnet.output_shape()["res5"].channels, cfg.MODEL.RESNETS.NORM


@LAST_STAGES.register("build_timm_backbone")
def timm_last_stage(cfg: CfgNode) -> tuple[nn.Sequential, int, str]:
    """The timm student's layers after res4, with MODEL.TIMM.NORM as in the backbone."""
    stage = LastStage(cfg.MODEL.TIMM.ARCH, "Detectron2 C4 (LastStageROIHeads)")
    return nn.Sequential(apply_norm(stage, cfg.MODEL.TIMM.NORM)), stage.channels, cfg.MODEL.TIMM.NORM


@LAST_STAGES.register("build_student_backbone")
def student_last_stage(cfg: CfgNode) -> tuple[nn.Sequential, int, str]:
    """The last stage of the student's family, as build_student_backbone picks the family."""
    cfg = family_config(cfg, "c4")
    return LAST_STAGES.get(cfg.MODEL.BACKBONE.NAME)(cfg)


@ROI_HEADS_REGISTRY.register()
class LastStageROIHeads(Res5ROIHeads):
    """Res5ROIHeads (pool 14x14 at res4, last stage, mean-pool, predict) with the student's last stage."""

    @classmethod
    def _build_res5_block(cls, cfg: CfgNode) -> tuple[nn.Sequential, int]:
        try:
            build = LAST_STAGES.get(cfg.MODEL.BACKBONE.NAME)
        except KeyError as error:
            raise UnknownNameError(f"MODEL.ROI_HEADS.NAME=LastStageROIHeads: {error.args[0]}") from None
        stage, channels, norm = build(cfg)
        if cfg.MODEL.ROI_HEADS.EXTRA_NORM:
            stage.add_module("norm", get_norm(norm, channels))
        return stage, channels
