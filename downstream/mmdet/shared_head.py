"""`SeedLastStage`: C4 for every student in MMDetection, the student's own last stage run on each RoI.

MMDetection's C4 models (faster-rcnn_r50-caffe-c4, mask-rcnn_r50-caffe-c4) put a fresh bottleneck
ResNet stage (`ResLayer`) in the RoI head as its `shared_head`; that fits neither ResNet-18/34
(basic blocks) nor EfficientNet or MobileNetV3. This shared head is the student's layers after
res4 (stride 16 -> 32, up to its last feature map: `downstream.timm_net.LastStage`, the network
Detectron2's LastStageROIHeads runs), so a stride-16 SeedTIMMBackbone plus this head is exactly
the student, and it is initialised from the same student file, strictly. `extra_norm` adds MoCo's
BatchNorm after the stage, as the Detectron2 recipe does.
"""
from __future__ import annotations

import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import nn

from downstream.openmmlab.backbone import module_arch, pretrained_cfg, sync_bn_if_distributed
from downstream.student_arch import AUTO
from downstream.openmmlab.weights import fit_features, read_student_backbone
from downstream.timm_net import LastStage


class SeedLastStage(BaseModule):
    """The student's last stage as an RoI head's shared_head: N x C4 x 14 x 14 -> N x C x 7 x 7."""

    def __init__(self, model_name: str = AUTO, extra_norm: bool = False, sync_bn: bool = True,
                 init_cfg: dict | None = None) -> None:
        model_name = module_arch(model_name, init_cfg, "SeedLastStage")
        super().__init__(init_cfg)
        self.model_name = model_name
        stage = LastStage(model_name, "MMDetection C4 (SeedLastStage)")
        self.channels = stage.channels
        layers = nn.Sequential(stage, nn.BatchNorm2d(stage.channels)) if extra_norm else nn.Sequential(stage)
        self.layers = sync_bn_if_distributed(layers, sync_bn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)

    def init_weights(self) -> None:
        """Load the student's last stage strictly from the Pretrained checkpoint (the extra norm starts
        as identity, as BatchNorm does); any other init_cfg is mmengine's."""
        pretrained = pretrained_cfg(self.init_cfg, "SeedLastStage")
        if pretrained is None:
            super().init_weights()
            return
        student = read_student_backbone(pretrained["checkpoint"], self.model_name, pretrained.get("layout", "auto"))
        fit_features(self.layers[0].student, student)
        print_log(f"SeedLastStage: loaded the last stage of {self.model_name} from {student.path} "
                  f"(layout {student.layout}); every key present", logger="current")
        self._is_init = True
