"""Student families: which Detectron2 backbone builds a student, and under which names its weights go.

- `resnet`: plain ResNets (resnet18/34/50/101/152) use Detectron2's own ResNet, so the
  checkpoint gets Detectron2's names (stem.conv1, res2..res5, convN.norm, shortcut), as MoCo's
  converter writes them; stock Detectron2 ResNet configs load it too.
- `vit`: plain ViTs (one feature map, at stride 16) go through ViTDet's simple feature pyramid
  (vitdet.py); names as `timm`'s. They have no res2..res5, so only the ViTDet recipes take them.
- `timm`: every other timm model goes through our timm backbone; names stay timm's, under
  `student.` (the prefix of both the backbone network and the C4 last stage).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import timm
import torch
from torch import nn

from downstream.timm_net import is_single_scale, spatial_trunk
from seed.errors import UnknownNameError
from seed.registry import Registry

@dataclass(frozen=True)
class Family:
    """How one kind of student becomes a Detectron2 model."""

    name: str
    matches: Callable[[str], bool]
    backbones: dict[str, str]  # variant -> MODEL.BACKBONE.NAME
    arch_settings: Callable[[str], list]  # arch -> KEY, VALUE, ... naming the network
    checkpoint_state: Callable[[nn.Module], dict[str, torch.Tensor]]  # student backbone -> Detectron2 names
    names: str  # how the checkpoint names the weights, for reports
    recipe: str = "configs/detection/voc/faster_rcnn_c4_24k.yaml"  # a recipe this family trains, for reports

    def settings(self, arch: str, variant: str) -> list:
        """KEY, VALUE, ... (for CfgNode.merge_from_list) selecting this student's backbone for `variant`."""
        if variant not in self.backbones:
            raise UnknownNameError(f"{arch!r} ({self.name} student) has no {variant!r} detection backbone here; its "
                                   f"variants: {', '.join(self.backbones)} (e.g. the recipe {self.recipe})")
        return ["MODEL.BACKBONE.NAME", self.backbones[variant], *self.arch_settings(arch)]


FAMILIES: Registry[Family] = Registry("student family")

# --- plain ResNets: Detectron2's own ResNet --------------------------------------------------

RESNET_DEPTHS = {"resnet18": 18, "resnet34": 34, "resnet50": 50, "resnet101": 101, "resnet152": 152}

# timm/torchvision name -> Detectron2 name, applied in order (MoCo's convert-pretrain-to-detectron2.py)
RESNET_RENAMES: list[tuple[str, str | Callable[[re.Match], str]]] = [
    (r"^conv1\.", "stem.conv1."),
    (r"^bn1\.", "stem.conv1.norm."),
    (r"^layer(\d)\.", lambda match: f"res{int(match[1]) + 1}."),
    (r"\.bn(\d)\.", r".conv\1.norm."),
    (r"\.downsample\.0\.", ".shortcut."),
    (r"\.downsample\.1\.", ".shortcut.norm."),
]


def detectron2_resnet_name(key: str) -> str:
    """A timm/torchvision ResNet key under Detectron2's name; KeyError if it has no place there."""
    name = key
    for pattern, replacement in RESNET_RENAMES:
        name = re.sub(pattern, replacement, name)
    if not name.startswith(("stem.", "res2.", "res3.", "res4.", "res5.")):
        raise UnknownNameError(f"ResNet weight {key!r} has no place in Detectron2's ResNet")
    return name


def resnet_names(backbone: nn.Module) -> dict[str, torch.Tensor]:
    """The ResNet's state dict under Detectron2's names."""
    return {detectron2_resnet_name(key): value for key, value in backbone.state_dict().items()}


def resnet_settings(arch: str) -> list:
    """Depth and width of Detectron2's ResNet for a torchvision-style ResNet (64 channels out of res2 below 50)."""
    depth = RESNET_DEPTHS[arch]
    return ["MODEL.RESNETS.DEPTH", depth, "MODEL.RESNETS.RES2_OUT_CHANNELS", 64 if depth < 50 else 256]


FAMILIES.register("resnet", Family(
    name="resnet",
    matches=lambda arch: arch in RESNET_DEPTHS,
    backbones={"c4": "build_resnet_backbone", "fpn": "build_resnet_fpn_backbone"},
    arch_settings=resnet_settings,
    checkpoint_state=resnet_names,
    names="Detectron2's ResNet names (stem, res2..res5)",
))

# --- any other timm model: our timm backbone -------------------------------------------------

STUDENT_PREFIX = "student."


def timm_names(backbone: nn.Module) -> dict[str, torch.Tensor]:
    """The student's spatial trunk (what forward_features runs) under `student.`; the pooled head
    (e.g. MobileNetV3's conv_head after pooling) has no place in a detector and is left out."""
    spatial_trunk(backbone, getattr(backbone, "pretrained_cfg", {}).get("architecture", type(backbone).__name__),
                  "seed convert --to d2")
    return {STUDENT_PREFIX + key: value for key, value in backbone.state_dict().items()}


FAMILIES.register("vit", Family(
    name="vit",
    matches=lambda arch: timm.is_model(arch) and is_single_scale(arch),
    backbones={"vitdet": "build_timm_vitdet_backbone"},
    arch_settings=lambda arch: ["MODEL.TIMM.ARCH", arch],
    checkpoint_state=timm_names,
    names=f"timm's names under {STUDENT_PREFIX!r}",
    recipe="configs/detection/coco/mask_rcnn_vitdet_1x.yaml",
))

FAMILIES.register("timm", Family(
    name="timm",
    matches=timm.is_model,
    backbones={"c4": "build_timm_backbone", "fpn": "build_timm_fpn_backbone"},
    arch_settings=lambda arch: ["MODEL.TIMM.ARCH", arch],
    checkpoint_state=timm_names,
    names=f"timm's names under {STUDENT_PREFIX!r}",
))


def family_of(arch: str) -> Family:
    """The first registered family that takes `arch` (plain ResNets, then plain ViTs, before the timm catch-all)."""
    for family in FAMILIES.values():
        if family.matches(arch):
            return family
    raise UnknownNameError(f"architecture {arch!r} has no Detectron2 backbone here: it is neither a plain ResNet "
                           f"({', '.join(RESNET_DEPTHS)}) nor a timm model")
