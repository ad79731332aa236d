"""ViT students in Detectron2: ViTDet's SimpleFeaturePyramid over the student's last map.

A plain ViT has one feature map (its tokens on the patch grid, stride 16), not a res2..res5
pyramid, so the C4 and FPN recipes cannot take it. ViTDet (Li et al., 2022) builds the pyramid
from that one map: `detectron2.modeling.backbone.vit.SimpleFeaturePyramid` (deconvolutions up to
stride 4, max-pool down to 32, LayerNorm, a p6 by LastLevelMaxPool), here over our timm ViT, whose
parameters keep timm's names under `student.` as every other timm backbone's do.
"""
from __future__ import annotations

import torch
from detectron2.config import CfgNode
from detectron2.layers import ShapeSpec
from detectron2.modeling import BACKBONE_REGISTRY, Backbone
from detectron2.modeling.backbone.fpn import LastLevelMaxPool
from detectron2.modeling.backbone.vit import SimpleFeaturePyramid

from downstream.detectron2.backbone import build_family_backbone
from downstream.timm_net import create, feature_table
from seed.errors import InputError

VIT_FEATURE = "last_feat"  # ViTDet's name for the ViT's output map
VIT_STRIDE = 16  # ViTDet's pyramid (scales 4, 2, 1, 1/2) gives strides 4..32 from a stride-16 map
SCALE_FACTORS = (4.0, 2.0, 1.0, 0.5)


class TimmViT(Backbone):
    """A plain timm ViT's last block as one N x C x H/16 x W/16 map (`last_feat`), as ViTDet's ViT returns it.

    The ViT follows the image's size (timm's dynamic_img_size: the position embedding is resampled
    to each patch grid); the final norm and head, which no detector runs, are pruned."""

    def __init__(self, arch: str) -> None:
        super().__init__()
        infos, _ = feature_table(arch)
        last = infos[-1]
        if last["reduction"] != VIT_STRIDE:
            raise InputError(f"ViTDet's simple feature pyramid needs a stride-{VIT_STRIDE} map (patch 16); "
                             f"{arch!r} gives stride {last['reduction']}")
        self.student = create(arch)
        self._indices = self.student.prune_intermediate_layers([len(infos) - 1], prune_norm=True, prune_head=True)
        self._out_features = [VIT_FEATURE]
        self._out_feature_channels = {VIT_FEATURE: last["num_chs"]}
        self._out_feature_strides = {VIT_FEATURE: VIT_STRIDE}

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {VIT_FEATURE: self.student.forward_intermediates(x, indices=self._indices, intermediates_only=True)[-1]}


class PaddedSimpleFeaturePyramid(SimpleFeaturePyramid):
    """Detectron2's SimpleFeaturePyramid, padding images to its coarsest stride (32).

    Its `padding_constraints` spell the key "size_divisiblity", which ImageList does not read, so
    without `square_pad` (ViTDet's 1024-px square) images were not padded and the ViT's patch grid
    could not tile them; `size_divisibility` says it under the name GeneralizedRCNN asks for."""

    @property
    def size_divisibility(self) -> int:
        return self._size_divisibility


@BACKBONE_REGISTRY.register()
def build_timm_vitdet_backbone(cfg: CfgNode, input_shape: ShapeSpec) -> SimpleFeaturePyramid:
    """ViTDet's SimpleFeaturePyramid (MODEL.FPN.OUT_CHANNELS, MODEL.FPN.NORM) over the MODEL.TIMM.ARCH ViT."""
    if input_shape.channels != 3:
        raise InputError(f"timm students take 3-channel images; MODEL.PIXEL_MEAN has {input_shape.channels} values")
    return PaddedSimpleFeaturePyramid(
        net=TimmViT(cfg.MODEL.TIMM.ARCH),
        in_feature=VIT_FEATURE,
        out_channels=cfg.MODEL.FPN.OUT_CHANNELS,
        scale_factors=SCALE_FACTORS,
        top_block=LastLevelMaxPool(),
        norm=cfg.MODEL.FPN.NORM,
    )


@BACKBONE_REGISTRY.register()
def build_student_vitdet_backbone(cfg: CfgNode, input_shape: ShapeSpec) -> Backbone:
    """The ViTDet backbone of whichever ViT student MODEL.TIMM.ARCH names or MODEL.WEIGHTS holds."""
    return build_family_backbone(cfg, input_shape, "vitdet")
