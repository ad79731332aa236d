"""`SeedTIMMBackbone`: any timm student as an OpenMMLab backbone, one class for MMSeg and MMDetection.

It is MMSeg's TIMMBackbone (a timm features_only model under `timm_model`, forward returns the
list of feature maps), written against mmengine alone so MMDetection can use it without MMSeg;
`downstream.mmseg` and `downstream.mmdet` register this very class in their library's MODELS.
Added to what TIMMBackbone does:

- it never downloads (`pretrained=False` always);
- `init_cfg=dict(type='Pretrained', checkpoint=FILE[, layout=NAME])` reads a student in any
  layout seed reads, or a converted file, and loads it strictly: OpenMMLab's PretrainedInit
  loads with strict=False and only logs the keys it could not place;
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

from downstream.openmmlab.weights import features_model, fit_features, read_student_backbone
from seed.errors import InputError
from seed.utils.distributed import is_distributed

PRETRAINED_KEYS = {"type", "checkpoint", "layout"}
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


class SeedTIMMBackbone(BaseModule):
    """A timm student as a backbone: features_only, no download, strict Pretrained init_cfg.

    `timm_kwargs` go to timm.create_model, e.g. out_indices=(1, 2, 3, 4) for the stride-4..32
    maps, out_indices=(3,) for C4 detection (the stride-16 map; later stages are not built),
    output_stride=8 or 16 for dilated (DeepLab-style) features.
    """

    def __init__(self, model_name: str, sync_bn: bool = True, init_cfg: dict | None = None,
                 **timm_kwargs: Any) -> None:
        refused = sorted(REFUSED_OPTIONS & set(timm_kwargs))
        if refused:
            raise InputError(f"SeedTIMMBackbone: {', '.join(refused)} is not an option: the backbone is always "
                             "features_only and never downloads; load a student with "
                             "init_cfg=dict(type='Pretrained', checkpoint=FILE)")
        pretrained_cfg(init_cfg, "SeedTIMMBackbone")
        super().__init__(init_cfg)
        self.model_name = model_name
        self.timm_kwargs = dict(timm_kwargs)
        self.timm_model = sync_bn_if_distributed(features_model(model_name, **timm_kwargs), sync_bn)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return self.timm_model(x)

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
