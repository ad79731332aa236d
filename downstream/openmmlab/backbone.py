"""`SeedTIMMBackbone`: any timm student as an OpenMMLab backbone, one class for MMSeg and MMDetection.

It is MMSeg's TIMMBackbone (a timm features_only model under `timm_model`, forward returns the
list of feature maps), written against mmengine alone so MMDetection can use it without MMSeg;
`downstream.mmseg` and `downstream.mmdet` register this very class in their library's MODELS.
Added to what TIMMBackbone does:

- it never downloads (`pretrained=False` always);
- `model_name='auto'` (the default) builds the network the Pretrained checkpoint records, and
  `out_strides=(4, 8, 16, 32)` picks feature maps by stride, whatever index a family gives them;
- `init_cfg=dict(type='Pretrained', checkpoint=FILE[, layout=NAME])` reads a student in any
  layout seed reads, or a converted file, and loads it strictly: OpenMMLab's PretrainedInit
  loads with strict=False and only logs the keys it could not place;
- a plain ViT (one feature map, stride 16) asked for `out_strides` returns ViTDet's simple feature
  pyramid of its last map (openmmlab/pyramid.py), so FPN recipes take a ViT student;
- `sync_bn` converts BatchNorm under DDP with timm's converter, which keeps the activation
  inside timm's fused BatchNormAct2d; mmengine's `sync_bn='torch'` swaps it for a plain
  SyncBatchNorm and so silently drops EfficientNet's and MobileNetV3's activations.
"""
from __future__ import annotations

from typing import Any

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from timm.layers import convert_sync_batchnorm

from downstream.openmmlab.pyramid import SimplePyramid, pyramid_channels
from downstream.openmmlab.weights import features_model, fit_features, read_student_backbone
from downstream.student_arch import AUTO, resolve_arch
from downstream.timm_net import feature_table, indices_at, is_single_scale
from seed.errors import InputError
from seed.utils.distributed import is_distributed

PRETRAINED_KEYS = {"type", "checkpoint", "layout"}
VIT_RECIPES = ("configs/segmentation/upernet/upernet-mln_vit-student_8xb2-80k_ade20k-512x512.py or, in MMDetection, "
               "configs/mmdet/mask-rcnn/mask-rcnn_student_fpn_8xb2-1x_coco.py")
REFUSED_OPTIONS = {"pretrained", "checkpoint_path", "features_only"}


def pretrained_cfg(init_cfg: Any, owner: str) -> dict | None:
    """The Pretrained init_cfg (checked: a checkpoint, no unknown keys), or None for any other."""
    if not (isinstance(init_cfg, dict) and init_cfg.get("type") == "Pretrained"):
        return None
    if set(init_cfg) - PRETRAINED_KEYS:
        raise InputError(f"{owner} init_cfg: unknown keys {sorted(set(init_cfg) - PRETRAINED_KEYS)}; "
                         f"Pretrained takes {sorted(PRETRAINED_KEYS)}")
    if not init_cfg.get("checkpoint"):
        raise InputError(f"{owner} init_cfg: Pretrained needs checkpoint=FILE (a student or a converted file)")
    return init_cfg


def sync_bn_if_distributed(module: torch.nn.Module, sync_bn: bool) -> torch.nn.Module:
    """timm's SyncBatchNorm conversion (activations kept) when asked and running under DDP."""
    return convert_sync_batchnorm(module) if sync_bn and is_distributed() else module


def module_arch(model_name: str, init_cfg: Any, owner: str) -> str:
    """`model_name`, or for 'auto' the architecture its Pretrained init_cfg's checkpoint records."""
    pretrained = pretrained_cfg(init_cfg, owner)
    return resolve_arch(model_name, pretrained["checkpoint"] if pretrained else None, f"{owner} model_name")


def timm_options(arch: str, out_strides: tuple[int, ...] | None, timm_kwargs: dict[str, Any]) -> dict[str, Any]:
    """timm.create_model options with `out_strides` turned into the out_indices of `arch`."""
    if "output_stride" in timm_kwargs and is_single_scale(arch):
        raise InputError(f"SeedTIMMBackbone: {arch!r} is a plain ViT (one map, at its patch stride), which takes no "
                         f"output_stride (dilation); use a ViT recipe, e.g. {VIT_RECIPES}")
    if out_strides is None:
        return dict(timm_kwargs)
    if "out_indices" in timm_kwargs:
        raise InputError("SeedTIMMBackbone: give out_strides or out_indices, not both")
    if is_single_scale(arch):  # a plain ViT: its last map, which the simple pyramid resamples to out_strides
        return {**timm_kwargs, "out_indices": (-1,)}
    return {**timm_kwargs, "out_indices": indices_at(arch, tuple(out_strides))}


def vit_pyramid(arch: str, out_strides: tuple[int, ...] | None) -> tuple[int, int] | None:
    """(channels, stride) of a plain ViT's last map when `out_strides` asks for a pyramid of it, else None."""
    if out_strides is None or not is_single_scale(arch):
        return None
    last = feature_table(arch)[0][-1]
    return last["num_chs"], last["reduction"]


def backbone_channels(backbone: dict) -> list[int]:
    """The channels of each map a SeedTIMMBackbone config returns, read from timm's feature_info
    without building it: what the heads' `in_channels='auto'` become."""
    if backbone.get("type") != "SeedTIMMBackbone":
        raise InputError(f"in_channels='auto' reads the channels of a SeedTIMMBackbone; this backbone is "
                         f"{backbone.get('type')!r}: give the heads' in_channels")
    arch = module_arch(backbone.get("model_name", AUTO), backbone.get("init_cfg"), "SeedTIMMBackbone")
    options = timm_options(arch, backbone.get("out_strides"), {"out_indices": backbone["out_indices"]}
                           if "out_indices" in backbone else {})
    pyramid = vit_pyramid(arch, backbone.get("out_strides"))
    if pyramid is not None:
        return pyramid_channels(*pyramid, tuple(backbone["out_strides"]))
    infos, _ = feature_table(arch)
    return [infos[index]["num_chs"] for index in options.get("out_indices", range(len(infos)))]


class SeedTIMMBackbone(BaseModule):
    """A timm student as a backbone: features_only, no download, strict Pretrained init_cfg.

    `out_strides` picks maps by stride: (4, 8, 16, 32) for FPN and dense heads, (16,) for C4
    detection (later stages are not built). `timm_kwargs` go to timm.create_model, e.g.
    output_stride=8 or 16 for dilated (DeepLab-style) features, or out_indices by timm's index.
    """

    def __init__(self, model_name: str = AUTO, sync_bn: bool = True, init_cfg: dict | None = None,
                 out_strides: tuple[int, ...] | None = None, **timm_kwargs: Any) -> None:
        refused = sorted(REFUSED_OPTIONS & set(timm_kwargs))
        if refused:
            raise InputError(f"SeedTIMMBackbone: {', '.join(refused)} is not an option: the backbone is always "
                             "features_only and never downloads; load a student with "
                             "init_cfg=dict(type='Pretrained', checkpoint=FILE)")
        model_name = module_arch(model_name, init_cfg, "SeedTIMMBackbone")
        super().__init__(init_cfg)
        self.model_name = model_name
        self.timm_kwargs = timm_options(model_name, out_strides, timm_kwargs)
        self.timm_model = sync_bn_if_distributed(features_model(model_name, **self.timm_kwargs), sync_bn)
        pyramid = vit_pyramid(model_name, out_strides)
        self.pyramid = SimplePyramid(*pyramid, tuple(out_strides)) if pyramid is not None else None

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        maps = self.timm_model(x)
        return self.pyramid(maps[-1]) if self.pyramid is not None else maps

    def init_weights(self) -> None:
        """Load the Pretrained init_cfg's checkpoint strictly; any other init_cfg is mmengine's as usual."""
        pretrained = pretrained_cfg(self.init_cfg, "SeedTIMMBackbone")
        if pretrained is None:
            super().init_weights()
            return
        student = read_student_backbone(pretrained["checkpoint"], self.model_name, pretrained.get("layout", "auto"),
                                        self.timm_kwargs)
        unused = fit_features(self.timm_model, student)
        print_log(f"SeedTIMMBackbone: loaded {self.model_name} from {student.path} (layout {student.layout}, "
                  f"student {student.source}); every backbone key present"
                  + (f"; unused by the features: {', '.join(unused)}" if unused else ""), logger="current")
        self._is_init = True
