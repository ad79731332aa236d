"""What detection heads need to know of a timm student: its feature levels, its spatial trunk, its last stage.

A timm model names its feature maps in `feature_info` (module, channels, reduction). Detectron2
names them by stride: stem (2), res2 (4), res3 (8), res4 (16), res5 (32). The *spatial trunk* is
what `forward_features` runs (the student up to its last feature map, before pooling); the
*last stage* is the part of the trunk after res4, which the C4 ROI head applies to each region.
Both are cut with timm's own API (`feature_info`, `prune_intermediate_layers`,
`forward_intermediates`), here only: Detectron2's and MMDetection's C4 both call this module.
"""
from __future__ import annotations

import copy
from functools import lru_cache

import timm
import torch
from torch import nn

import seed.models  # noqa: F401 - registers the SEED authors' students (e.g. mobilenetv3_large_seed) with timm
from seed.models.pretrained import timm_defaults
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
    """A randomly initialised timm `arch` with its classifier removed (num_classes=0), built as students
    are (timm_defaults: a ViT follows the input's size)."""
    if not timm.is_model(arch):
        raise UnknownNameError(f"MODEL.TIMM.ARCH: {arch!r} is not a timm model name (see timm.list_models())")
    refuse_not_dense(arch)
    return timm.create_model(arch, pretrained=False, num_classes=0, **timm_defaults(arch))


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


INTERMEDIATES_API = ("feature_info", "prune_intermediate_layers", "forward_intermediates")


def require_intermediates(model: nn.Module, arch: str, consumer: str) -> None:
    """Check that `model` has timm's feature API (feature_info, prune_intermediate_layers,
    forward_intermediates), which every stage split here runs on; else an error naming its family."""
    missing = [name for name in INTERMEDIATES_API if not hasattr(model, name)]
    if missing:
        family = f"{type(model).__module__}.{type(model).__name__}"
        raise InputError(f"{consumer}: timm model {arch!r} (family {family}) has no {', '.join(missing)}, which "
                         "the stage split runs on; choose a student whose timm family has them (ResNet, "
                         "EfficientNet, MobileNetV3, ConvNeXt, RegNet, ...)")


def prune_to(model: nn.Module, indices: list[int], arch: str, consumer: str) -> list[int]:
    """timm's `prune_intermediate_layers` for a features-only use: everything after the last of
    `indices` goes (head, final norm); returns the indices `forward_intermediates` takes."""
    require_intermediates(model, arch, consumer)
    return model.prune_intermediate_layers(list(indices), prune_norm=True, prune_head=True)


def refuse_channels_last(model: nn.Module, arch: str) -> None:
    """A clear error for a family whose trunk returns channels-last maps (timm's `output_fmt` NHWC, e.g.
    MambaOut, Swin): the C4 last stage and the converted trunks need N x C x H x W maps."""
    if getattr(model, "output_fmt", "NCHW") != "NCHW":
        raise InputError(f"{type(model).__name__} ({arch}) returns channels-last maps (N x H x W x C) from "
                         "forward_features, not N x C x H x W: the Detectron2 and MMDetection C4 last stage and "
                         "`seed convert` cannot take it as a trunk")


def spatial_trunk(model: nn.Module, arch: str, consumer: str) -> int:
    """Prune `model` in place to its spatial trunk, what forward_features returns, and return its channels.

    timm's `prune_intermediate_layers` at the last feature map with prune_head=True drops the
    classifier and a pre-logits conv (MobileNetV3's conv_head); for EfficientNet it also drops
    conv_head + bn2, which forward_features runs (1280 channels). So the head is pruned only where
    that keeps timm's `num_features`, the width forward_features returns (a probe copy says so).
    """
    require_intermediates(model, arch, consumer)
    refuse_channels_last(model, arch)
    last, width = [len(model.feature_info) - 1], int(model.num_features)
    probe = copy.deepcopy(model)
    probe.prune_intermediate_layers(last, prune_norm=False, prune_head=True)
    model.prune_intermediate_layers(last, prune_norm=False, prune_head=int(probe.num_features) == width)
    return width


def drop_stages_after_last_map(model: nn.Module) -> None:
    """timm's EfficientNet and MobileNetV3 feature models build every stage whatever out_indices asks
    (its ResNet FeatureListNet stops at the last one). A stage that never runs is dead weight, and
    under DDP its gradient-less parameters stop training, so it is cut (C4's stride-16 backbone) as
    their prune_intermediate_layers cuts (`blocks[:last + 1]`): those feature classes have no prune
    of their own, and timm's 'getter' class, which prunes, renames every parameter (`model.*`) away
    from MMSeg's TIMMBackbone names that converted files hold."""
    names = model.feature_info.module_name()
    blocks = getattr(model, "blocks", None)
    if isinstance(blocks, nn.Sequential) and names and all(name.startswith("blocks.") for name in names):
        model.blocks = blocks[:max(int(name.split(".")[1]) for name in names) + 1]


class LastStage(nn.Module):
    """The student's own layers after res4 (stride 16 -> 32, up to the last feature map), as the C4
    per-region network: the spatial trunk (`spatial_trunk`) without the modules that compute res4,
    which timm's feature_info names and the stride-16 backbone already ran.

    Its parameters keep timm's names under `student.`, as the backbone's do, so one converted
    checkpoint initialises both. `consumer` names the C4 head that asks, for errors."""

    def __init__(self, arch: str, consumer: str = "C4 last stage") -> None:
        super().__init__()
        self.student = create(arch)
        self.channels = spatial_trunk(self.student, arch, consumer)
        for name in modules_through(self.student, feature_levels(self.student, arch)["res4"]["module"]):
            self.student.set_submodule(name, nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.student.forward_features(x)  # N x C x H/2 x W/2


def is_single_scale(arch: str) -> bool:
    """Whether every feature map of timm `arch` has one stride (a plain ViT's blocks all at its patch size):
    such a network has no pyramid of its own for C4 / FPN heads."""
    infos, _ = feature_table(arch)
    return len({info["reduction"] for info in infos}) == 1
