"""`SeedTIMMBackbone`: MMSegmentation's own TIMMBackbone, plus what a distilled student needs.

TIMMBackbone already builds any timm model with features_only and returns the list of
multi-scale feature maps that MMSeg heads pick from with `in_index`. Added here:

- it never downloads (`pretrained=False` always);
- `init_cfg=dict(type='Pretrained', checkpoint=FILE[, layout=NAME])` reads a student in any
  layout seed reads, or a converted file, and loads it strictly: MMSeg's PretrainedInit loads
  with strict=False and only logs the keys it could not place;
- `sync_bn` converts BatchNorm under DDP with timm's converter, which keeps the activation
  inside timm's fused BatchNormAct2d; mmengine's `sync_bn='torch'` swaps it for a plain
  SyncBatchNorm and so silently drops EfficientNet's and MobileNetV3's activations.
"""
from __future__ import annotations

from typing import Any

from mmengine.logging import print_log
from mmseg.models.backbones import TIMMBackbone
from mmseg.registry import MODELS
from timm.layers import convert_sync_batchnorm

from downstream.mmseg.weights import fit_features, read_student_backbone
from seed.errors import InputError
from seed.utils.distributed import is_distributed

PRETRAINED_KEYS = {"type", "checkpoint", "layout"}
REFUSED_OPTIONS = {"pretrained", "checkpoint_path", "features_only"}


def _pretrained(init_cfg: Any) -> dict | None:
    return init_cfg if isinstance(init_cfg, dict) and init_cfg.get("type") == "Pretrained" else None


@MODELS.register_module()
class SeedTIMMBackbone(TIMMBackbone):
    """A timm student as an MMSeg backbone: features_only, no download, strict Pretrained init_cfg.

    `timm_kwargs` go to timm.create_model, e.g. out_indices=(1, 2, 3, 4) for the stride-4..32
    maps, output_stride=8 or 16 for dilated (DeepLab-style) features.
    """

    def __init__(self, model_name: str, sync_bn: bool = True, init_cfg: dict | None = None,
                 **timm_kwargs: Any) -> None:
        refused = sorted(REFUSED_OPTIONS & set(timm_kwargs))
        if refused:
            raise InputError(f"SeedTIMMBackbone: {', '.join(refused)} is not an option: the backbone is always "
                             "features_only and never downloads; load a student with "
                             "init_cfg=dict(type='Pretrained', checkpoint=FILE)")
        pretrained = _pretrained(init_cfg)
        if pretrained is not None and set(pretrained) - PRETRAINED_KEYS:
            raise InputError(f"SeedTIMMBackbone init_cfg: unknown keys {sorted(set(pretrained) - PRETRAINED_KEYS)}; "
                             f"Pretrained takes {sorted(PRETRAINED_KEYS)}")
        if pretrained is not None and not pretrained.get("checkpoint"):
            raise InputError("SeedTIMMBackbone init_cfg: Pretrained needs checkpoint=FILE "
                             "(a student or a converted file)")
        super().__init__(model_name, features_only=True, pretrained=False, init_cfg=init_cfg, **timm_kwargs)
        self.model_name = model_name
        self.timm_kwargs = dict(timm_kwargs)
        if sync_bn and is_distributed():
            self.timm_model = convert_sync_batchnorm(self.timm_model)

    def init_weights(self) -> None:
        """Load the Pretrained init_cfg's checkpoint strictly; any other init_cfg is MMSeg's as usual."""
        pretrained = _pretrained(self.init_cfg)
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
