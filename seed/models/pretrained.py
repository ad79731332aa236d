"""Build an encoder from any supported checkpoint file: the one loader teachers and downstream share.

Architectures are timm models whose parameter names equal torchvision's, so
MoCo/SwAV/SimCLR/DINO ResNet files load without renaming; the SwAV/SimCLR wide
ResNet-50s are registered here because timm has no model of that exact shape.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import timm
from torch import nn
from torchvision.models.resnet import Bottleneck, ResNet

from seed.errors import InputError, UnknownNameError
from seed.models.checkpoints import CheckpointError, load_strict
from seed.models.layouts import Layout, load_checkpoint_weights
from seed.models.encoder import Encoder, mlp_from_state_dict
from seed.registry import Registry

ARCHITECTURES: Registry[Callable[[], nn.Module]] = Registry("backbone architecture")


class WidenedResNet50(ResNet):
    """SwAV/SimCLR "ResNet-50 (wN)": every stage N times wider, stem included (unlike
    torchvision's wide_resnet50_2, which widens only the bottleneck). Returns pooled features."""

    def __init__(self, widen: int) -> None:
        super().__init__(Bottleneck, [3, 4, 6, 3])
        width = 64 * widen
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = self._make_layer(Bottleneck, width, 3)
        self.layer2 = self._make_layer(Bottleneck, width * 2, 4, stride=2)
        self.layer3 = self._make_layer(Bottleneck, width * 4, 6, stride=2)
        self.layer4 = self._make_layer(Bottleneck, width * 8, 3, stride=2)
        self.num_features = width * 8 * Bottleneck.expansion
        self.fc = nn.Identity()


for _widen in (2, 4, 5):
    ARCHITECTURES.register(f"resnet50w{_widen}", lambda widen=_widen: WidenedResNet50(widen))


# timm modules whose models follow the input's size when built with dynamic_img_size=True (the position
# embedding resampled to each input's patch grid): a ViT student then takes 224-px and small crops alike,
# and a detector's images of any size. Their state dicts are the same either way.
DYNAMIC_SIZE_MODULES = frozenset({"timm.models.vision_transformer", "timm.models.deit", "timm.models.eva"})


def timm_defaults(arch: str) -> dict[str, Any]:
    """Options every build of timm `arch` gets: dynamic_img_size for ViTs, none for other models."""
    if timm.is_model(arch) and timm.models.model_entrypoint(arch).__module__ in DYNAMIC_SIZE_MODULES:
        return {"dynamic_img_size": True}
    return {}


def build_backbone(arch: str, arch_kwargs: dict | None = None) -> nn.Module:
    """A registered architecture, or any timm model; num_classes=0 so it returns pooled features."""
    if arch in ARCHITECTURES:
        if arch_kwargs:
            raise InputError(f"architecture {arch!r} takes no extra arguments, got {arch_kwargs}")
        return ARCHITECTURES.get(arch)()
    if not timm.is_model(arch):
        raise UnknownNameError(f"unknown architecture {arch!r}: neither registered "
                               f"({', '.join(ARCHITECTURES.names())}) nor a timm model name")
    return timm.create_model(arch, pretrained=False, num_classes=0, **{**timm_defaults(arch), **(arch_kwargs or {})})


def load_encoder(path: str | Path, arch: str = "auto", layout: str = "auto",
                 use_head: bool = True) -> tuple[Encoder, Layout]:
    """Read `path` (layout detected or named), build `arch` and load backbone and head strictly.

    `arch="auto"` takes the architecture the file records or its layout recognises (this project's
    files, official SEED students, MoCo files with `arch`); other files need it named (e.g. resnet50).
    """
    weights, chosen = load_checkpoint_weights(path, layout)
    if weights.arch is not None and arch not in ("auto", weights.arch):
        source = f" (read from its keys: {weights.arch_source})" if weights.arch_source else ""
        raise CheckpointError(f"{path}: holds a {weights.arch!r} network{source}, but the architecture asked "
                              f"for is {arch!r}; ask for {weights.arch} (or auto)")
    if arch == "auto":
        if weights.arch is None:
            raise CheckpointError(f"{path}: layout {chosen.name!r} does not record its architecture; "
                                  "name it (e.g. resnet50)")
        arch = weights.arch
    backbone = build_backbone(arch, weights.arch_kwargs)
    load_strict(backbone, weights.backbone, path=path, layout=chosen.name, part="backbone", arch=arch)
    head = None
    if use_head and weights.head:
        head = mlp_from_state_dict(weights.head, weights.head_activation)
        load_strict(head, weights.head, path=path, layout=chosen.name, part="projection head", arch=arch)
    return Encoder(backbone, head, arch), chosen
