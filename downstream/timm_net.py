"""What detection heads need to know of a timm student: its feature levels, its spatial trunk, its last stage.

A timm model names its feature maps in `feature_info` (module, channels, reduction). Detectron2
names them by stride: stem (2), res2 (4), res3 (8), res4 (16), res5 (32). The *spatial trunk* is
what `forward_features` runs (the student up to its last feature map, before pooling); the
*last stage* is the part of the trunk after res4, which the C4 ROI head applies to each region.
"""
from __future__ import annotations

from functools import lru_cache

import timm
import torch
from torch import nn

import seed.models  # noqa: F401 - registers the SEED authors' students (e.g. mobilenetv3_large_seed) with timm
from seed.errors import InputError, UnknownNameError

LEVELS: dict[int, str] = {2: "stem", 4: "res2", 8: "res3", 16: "res4", 32: "res5"}
STAGES = ("res2", "res3", "res4", "res5")


# timm modules of families that cannot be a dense backbone, with why (family name, reason)
NOT_DENSE: dict[str, tuple[str, str]] = {
    "efficientformer_v2": ("EfficientFormerV2", "its attention biases are sized for the one image size the network is "
                           "built for (timm's img_size), and detection and segmentation feed images of many sizes"),
}
DENSE_CONSUMERS = "Detectron2, MMDetection, MMSegmentation and `seed convert`"


def refuse_not_dense(arch: str) -> None:
    """A clear error naming the family and the consumers when `arch` cannot give feature maps of any image size."""
    family = NOT_DENSE.get(timm.models.model_entrypoint(arch).__module__.rsplit(".", 1)[-1]) \
        if timm.is_model(arch) else None
    if family:
        raise InputError(f"{family[0]} ({arch}) cannot be a backbone for {DENSE_CONSUMERS}: {family[1]}; "
                         "distil and evaluate it (seed eval) only")


def create(arch: str) -> nn.Module:
    """A randomly initialised timm `arch` with its classifier removed (num_classes=0)."""
    if not timm.is_model(arch):
        raise UnknownNameError(f"MODEL.TIMM.ARCH: {arch!r} is not a timm model name (see timm.list_models())")
    refuse_not_dense(arch)
    return timm.create_model(arch, pretrained=False, num_classes=0)


def feature_levels(model: nn.Module, arch: str) -> dict[str, dict]:
    """Detectron2 level name -> timm feature_info entry (plus its `index`); the last entry at a stride wins."""
    levels = {}
    for index, info in enumerate(model.feature_info):
        if info["reduction"] in LEVELS:
            levels[LEVELS[info["reduction"]]] = {**info, "index": index}
    missing = [name for name in STAGES if name not in levels]
    if missing:
        found = [info["reduction"] for info in model.feature_info]
        raise InputError(f"timm model {arch!r} has no feature map for {', '.join(missing)} (its feature_info "
                         f"strides are {found}); Detectron2's res2..res5 need strides 4, 8, 16 and 32")
    return levels


@lru_cache(maxsize=None)
def feature_table(arch: str) -> tuple[tuple[dict, ...], int]:
    """timm `arch`'s feature_info entries (channels, reduction, module) and the channels of its
    spatial trunk (timm's `num_features`: what forward_features returns), read once per name."""
    model = create(arch)
    return tuple(dict(info) for info in model.feature_info), int(model.num_features)


def indices_at(arch: str, strides: tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """The feature_info indices of `arch`'s maps at `strides` (the last entry at a stride wins), so
    configs name levels by stride whatever the family numbers them (ResNet and EfficientNet start
    with a stride-2 map, ConvNeXt with a stride-4 one)."""
    infos, _ = feature_table(arch)
    at = {info["reduction"]: index for index, info in enumerate(infos)}
    missing = [stride for stride in strides if stride not in at]
    if missing:
        raise InputError(f"timm model {arch!r} has no feature map at stride {missing} (its feature_info strides "
                         f"are {sorted(at)}); choose out_strides among those")
    return tuple(at[stride] for stride in strides)


def modules_through(model: nn.Module, name: str) -> list[str]:
    """Dotted names of the modules registered before `name` on its path, and `name` itself.

    timm registers modules in the order `forward_features` runs them, so these are the modules
    that compute the feature map `name` (e.g. "blocks.4" -> conv_stem, bn1, blocks.0, ..., blocks.4).
    """
    names, prefix, module = [], "", model
    for part in name.split("."):
        children = [child for child, _ in module.named_children()]
        if part not in children:
            raise UnknownNameError(f"{type(model).__name__} has no module {prefix + part!r}")
        names += [prefix + child for child in children[:children.index(part)]]
        prefix, module = prefix + part + ".", module.get_submodule(part)
    return names + [name]


def refuse_channels_last(model: nn.Module, out: torch.Tensor) -> None:
    """A clear error for a family whose trunk returns channels-last maps (N x H x W x C, e.g. MambaOut, Swin):
    the C4 last stage and the converted trunks run `forward_features` and need N x C x H x W maps.
    (A trunk of tokens has no stride pyramid, which the level checks refuse.)"""
    channels = getattr(model, "num_features", None)
    if out.ndim == 4 and out.shape[-1] == channels != out.shape[1]:
        raise InputError(f"{type(model).__name__} returns channels-last maps (N x H x W x C) from forward_features, "
                         "not N x C x H x W: the Detectron2 and MMDetection C4 last stage and `seed convert` cannot "
                         "take it as a trunk")


def keep_spatial_trunk(model: nn.Module) -> int:
    """Replace the top-level modules `forward_features` does not run (pooling, a pre-logits conv
    such as MobileNetV3's conv_head, the classifier) by Identity, in place; return the trunk's channels."""
    ran: set[str] = set()  # a child counts as run when any module under it ran: FastViT loops over its stages
    hooks = [module.register_forward_hook(lambda *_, name=name.split(".")[0]: ran.add(name))
             for name, module in model.named_modules() if name]
    training = model.training
    try:
        with torch.no_grad():
            # a blank image of the model's own input size (some timm models accept no other)
            size = getattr(model, "pretrained_cfg", {}).get("input_size", (3, 224, 224))
            out = model.eval().forward_features(torch.zeros(1, *size))
    finally:
        for hook in hooks:
            hook.remove()
        model.train(training)
    refuse_channels_last(model, out)
    for name, _ in list(model.named_children()):
        if name not in ran:
            setattr(model, name, nn.Identity())
    return int(out.shape[1])


class LastStage(nn.Module):
    """The student's own layers after res4 (stride 16 -> 32, up to the last feature map), as the C4
    per-region network: the trunk with everything through res4 replaced by Identity.

    Its parameters keep timm's names under `student.`, as the backbone's do, so one converted
    checkpoint initialises both."""

    def __init__(self, arch: str) -> None:
        super().__init__()
        self.student = create(arch)
        self.channels = keep_spatial_trunk(self.student)
        for name in modules_through(self.student, feature_levels(self.student, arch)["res4"]["module"]):
            self.student.set_submodule(name, nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.student.forward_features(x)  # N x C x H/2 x W/2
