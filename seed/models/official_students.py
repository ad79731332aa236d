"""The official SEED students as timm models, and the `seed-official` layout that reads their files.

The authors (jacobswan1/SEED) trained their own modules, not timm's:
- EfficientNet-B0/B1 from lukemelas EfficientNet-PyTorch 0.7.0: timm's `tf_efficientnet_b*`
  name for name, except that every convolution pads *statically*, as TF "same" would for the
  design image size (224 px for B0, 240 px for B1) whatever the input size. At 224 px this
  makes B1's stage-6 5x5 stride-2 depthwise conv pad (2, 2, 2, 2) where TF-same pads (1, 2, 1, 2).
- MobileNetV3-Large from d-li14/mobilenetv3.pytorch: timm's `mobilenetv3_large_100` except that
  expanded blocks apply squeeze-excite *before* the activation, with Linear SE layers, and the
  `classifier` Linear(960, 1280) + h_swish + Dropout sits where timm has conv_head.
`tf_efficientnet_b0_seed`, `tf_efficientnet_b1_seed` and `mobilenetv3_large_seed` are registered
with timm, so students, eval, Detectron2, MMSeg and the zoo take them by name (features_only too).
Their defaults are the authors' regularisation: dropout 0.2, drop-connect 0.2 and BN momentum
0.01 (TF's 0.99) for EfficientNet; dropout 0.2 and PyTorch's BN defaults for MobileNetV3. Each has
a full timm default config (how the authors fed it: 224 px, Resize 256 bilinear, ImageNet mean/std)
and scripts with TorchScript, so it passes the model checks timm runs on its own models.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Callable

import timm
import torch
import torch.nn.functional as F
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from timm.layers import Conv2dSame
from timm.layers.padding import pad_same_arg
from timm.models import generate_default_cfgs, register_model
from timm.models._efficientnet_blocks import InvertedResidual, SqueezeExcite
from torch import nn

from seed.errors import InputError
from seed.models.checkpoints import CheckpointError, prefixed_fc_layout
from seed.registry import Registry


class StaticSameConv2d(nn.Conv2d):
    """A conv that zero-pads by fixed amounts (left, right, top, bottom), as lukemelas'
    Conv2dStaticSamePadding does: TF-same padding frozen at one image size."""

    def __init__(self, conv: nn.Conv2d, pad: tuple[int, int, int, int]) -> None:
        super().__init__(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, 0,
                         conv.dilation, conv.groups, conv.bias is not None)
        self.weight, self.bias = conv.weight, conv.bias
        self.static_pad = tuple(pad)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # _conv_forward, not super().forward: TorchScript compiles no super() calls
        return self._conv_forward(F.pad(x, self.static_pad), self.weight, self.bias)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", static_pad={self.static_pad}"


def freeze_same_padding(model: nn.Module, image_size: int) -> nn.Module:
    """Replace every dynamically padded (TF-same) conv by one padding what it pads at `image_size`.

    timm registers an EfficientNet's convs in the order they run on one path, and only strided
    convs change the size, so following them in that order gives each conv's input size."""
    size = [image_size, image_size]
    for name, conv in list(model.named_modules()):
        if not isinstance(conv, nn.Conv2d):
            continue
        if isinstance(conv, Conv2dSame):
            pad = pad_same_arg(size, list(conv.kernel_size), list(conv.stride), list(conv.dilation))
            model.set_submodule(name, StaticSameConv2d(conv, tuple(pad)))
        size = [math.ceil(length / stride) for length, stride in zip(size, conv.stride)]
    return model


class ExciteThenActivate(nn.Module):
    """d-li14's order in expanded blocks: squeeze-excite on the normalised depthwise output, then
    the block's activation. Holds timm's SE layers under their own names (conv_reduce, conv_expand)."""

    def __init__(self, se: SqueezeExcite, activation: nn.Module) -> None:
        super().__init__()
        self.conv_reduce, self.act1, self.conv_expand, self.gate = se.conv_reduce, se.act1, se.conv_expand, se.gate
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.conv_expand(self.act1(self.conv_reduce(x.mean((2, 3), keepdim=True))))
        return self.activation(x * self.gate(scale))


def excite_before_activation(model: nn.Module) -> nn.Module:
    """Move the activation after the SE layer in every inverted-residual block that has one."""
    for block in model.modules():
        if isinstance(block, InvertedResidual) and isinstance(block.se, SqueezeExcite):
            block.se = ExciteThenActivate(block.se, block.bn2.act)
            block.bn2.act = nn.Identity()
    return model


def _authors_model(base: str, name: str, defaults: dict[str, Any], adapt: Callable[[nn.Module], nn.Module],
                   kwargs: dict[str, Any]) -> nn.Module:
    """timm `base` with the authors' defaults and `adapt` applied, reporting itself as `name`."""
    if kwargs.pop("pretrained", False):
        raise InputError(f"{name} has no timm weights to download: load an official SEED student file "
                         "(seed.models.load_encoder, seed.zoo.load)")
    for key, value in defaults.items():
        kwargs.setdefault(key, value)
    # timm builds the base network with our pretrained_cfg, so features_only models get it too
    kwargs["pretrained_cfg"] = kwargs.get("pretrained_cfg") or default_cfgs[name].default
    return adapt(timm.create_model(base, pretrained=False, **kwargs))


def _cfg(**kwargs: Any) -> dict[str, Any]:
    """timm's default config of an authors' student: how the SEED code fed it. main.py trains every
    student on 224-px crops and main_lincls.py evaluates at Resize(256) (bilinear, torchvision's
    default) + CenterCrop(224) with ImageNet's mean/std; there are no timm weights to download."""
    return {"url": "", "num_classes": 1000, "input_size": (3, 224, 224), "pool_size": (7, 7), "crop_pct": 0.875,
            "interpolation": "bilinear", "mean": IMAGENET_DEFAULT_MEAN, "std": IMAGENET_DEFAULT_STD,
            "first_conv": "conv_stem", "classifier": "classifier", "origin_url": "https://github.com/jacobswan1/SEED",
            "paper_ids": "arXiv:2101.04731", **kwargs}


_EFFICIENTNET_DEFAULTS = {"drop_rate": 0.2, "drop_path_rate": 0.2, "bn_momentum": 0.01}

# the timm network each authors' student restates: the zoo table and figures compare them as one architecture
TIMM_COUNTERPARTS = {"tf_efficientnet_b0_seed": "efficientnet_b0", "tf_efficientnet_b1_seed": "efficientnet_b1",
                     "mobilenetv3_large_seed": "mobilenetv3_large_100"}
# one config for all three; B1's too is 224 px, the size the authors trained it at (its padding stays
# frozen at lukemelas' design size, 240)
default_cfgs = generate_default_cfgs({name: _cfg(architecture=name) for name in TIMM_COUNTERPARTS})


@register_model
def tf_efficientnet_b0_seed(**kwargs: Any) -> nn.Module:
    """The SEED authors' EfficientNet-B0 (lukemelas 0.7.0): TF-same padding frozen at 224 px."""
    return _authors_model("tf_efficientnet_b0", "tf_efficientnet_b0_seed", _EFFICIENTNET_DEFAULTS,
                          lambda m: freeze_same_padding(m, 224), kwargs)


@register_model
def tf_efficientnet_b1_seed(**kwargs: Any) -> nn.Module:
    """The SEED authors' EfficientNet-B1 (lukemelas 0.7.0): TF-same padding frozen at 240 px."""
    return _authors_model("tf_efficientnet_b1", "tf_efficientnet_b1_seed", _EFFICIENTNET_DEFAULTS,
                          lambda m: freeze_same_padding(m, 240), kwargs)


@register_model
def mobilenetv3_large_seed(**kwargs: Any) -> nn.Module:
    """The SEED authors' MobileNetV3-Large (d-li14): SE before the activation, dropout 0.2 before fc."""
    return _authors_model("mobilenetv3_large_100", "mobilenetv3_large_seed", {"drop_rate": 0.2},
                          excite_before_activation, kwargs)


# --- the authors' parameter names -> timm's ----------------------------------------------------


def _renamed(state: dict[str, torch.Tensor], rules: list[tuple[str, str]]) -> dict[str, torch.Tensor]:
    """Rename each key by the first (regex, replacement) rule that matches it in full; a Linear
    weight that becomes a 1x1 conv (SE layers, MobileNetV3's classifier) gains its two 1-sized dims."""
    out = {}
    for key, value in state.items():
        for pattern, replacement in rules:
            new, count = re.subn(f"^{pattern}$", replacement, key)
            if count:
                break
        else:
            raise CheckpointError(f"no timm name for the official parameter {key!r}")
        linear_to_conv = value.ndim == 2 and (".se." in new or new.startswith("conv_head."))
        out[new] = value[:, :, None, None] if linear_to_conv else value
    return out


def _block_names(stages: tuple[int, ...]) -> list[str]:
    """timm's blocks in order, as `blocks.<stage>.<index>`, for `stages` blocks per stage."""
    return [f"blocks.{stage}.{index}" for stage, count in enumerate(stages) for index in range(count)]


def _efficientnet_state(state: dict[str, torch.Tensor], stages: tuple[int, ...]) -> dict[str, torch.Tensor]:
    """lukemelas names: `_blocks.<i>._expand_conv`, `_bn0`, `_depthwise_conv`, `_bn1`, `_se_*`,
    `_project_conv`, `_bn2`; a block without `_expand_conv` is timm's DepthwiseSeparable."""
    rules = [(r"_conv_stem\.(.*)", r"conv_stem.\1"), (r"_bn0\.(.*)", r"bn1.\1"),
             (r"_conv_head\.(.*)", r"conv_head.\1"), (r"_bn1\.(.*)", r"bn2.\1")]
    for index, block in enumerate(_block_names(stages)):
        expanded = f"_blocks.{index}._expand_conv.weight" in state
        inner = ({"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
                  "_project_conv": "conv_pwl", "_bn2": "bn3"} if expanded else
                 {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"})
        inner.update({"_se_reduce": "se.conv_reduce", "_se_expand": "se.conv_expand"})
        rules += [(rf"_blocks\.{index}\.{old}\.(.*)", rf"{block}.{new}.\1") for old, new in inner.items()]
    return _renamed(state, rules)


def _mobilenetv3_state(state: dict[str, torch.Tensor], stages: tuple[int, ...]) -> dict[str, torch.Tensor]:
    """d-li14 names: `features.0` stem, `features.<k>.conv.<j>` blocks, `conv` last 1x1, `classifier.0`."""
    blocks = _block_names(stages)
    rules = [(r"features\.0\.0\.(.*)", r"conv_stem.\1"), (r"features\.0\.1\.(.*)", r"bn1.\1"),
             (r"conv\.0\.(.*)", rf"{blocks[-1]}.conv.\1"), (r"conv\.1\.(.*)", rf"{blocks[-1]}.bn1.\1"),
             (r"classifier\.0\.(.*)", r"conv_head.\1")]
    for index, block in enumerate(blocks[:-1], start=1):
        expanded = f"features.{index}.conv.8.weight" in state
        inner = ({"0": "conv_pw", "1": "bn1", "3": "conv_dw", "4": "bn2", r"5\.fc\.0": "se.conv_reduce",
                  r"5\.fc\.2": "se.conv_expand", "7": "conv_pwl", "8": "bn3"} if expanded else
                 {"0": "conv_dw", "1": "bn1", "4": "conv_pw", "5": "bn2"})
        rules += [(rf"features\.{index}\.conv\.{old}\.(.*)", rf"{block}.{new}.\1") for old, new in inner.items()]
    return _renamed(state, rules)


def _numbered(state: dict, prefix: str) -> int:
    """How many modules `<prefix><n>.` the state dict holds."""
    return len({key[len(prefix):].split(".", 1)[0] for key in state if key.startswith(prefix)})


_RESNET_DEPTHS = {("basic", (2, 2, 2, 2)): "resnet18", ("basic", (3, 4, 6, 3)): "resnet34",
                  ("bottleneck", (3, 4, 6, 3)): "resnet50", ("bottleneck", (3, 4, 23, 3)): "resnet101",
                  ("bottleneck", (3, 8, 36, 3)): "resnet152"}


def _resnet_from_keys(state: dict[str, torch.Tensor]) -> str | None:
    """torchvision ResNet depth from its keys (blocks per stage, basic or bottleneck)."""
    counts = tuple(_numbered(state, f"layer{i}.") for i in range(1, 5))
    kind = "bottleneck" if "layer1.0.conv3.weight" in state else "basic"
    return _RESNET_DEPTHS.get((kind, counts))


@dataclass(frozen=True)
class OfficialStudent:
    """An architecture the official SEED code trains: our timm name, how its file is recognised by
    its keys, and how they are renamed (`stages`: timm's blocks per stage)."""

    arch: str
    keys_match: Callable[[dict], bool]
    to_timm: Callable[[dict, tuple[int, ...]], dict] = lambda state, _stages: state
    stages: tuple[int, ...] = ()


def _lukemelas(blocks: int) -> Callable[[dict], bool]:
    return lambda s: "_conv_stem.weight" in s and _numbered(s, "_blocks.") == blocks


OFFICIAL_STUDENTS: Registry[OfficialStudent] = Registry("official SEED student")
OFFICIAL_STUDENTS.register("efficientnet_b0", OfficialStudent(
    "tf_efficientnet_b0_seed", _lukemelas(16), _efficientnet_state, (1, 2, 2, 3, 3, 4, 1)))
OFFICIAL_STUDENTS.register("efficientnet_b1", OfficialStudent(
    "tf_efficientnet_b1_seed", _lukemelas(23), _efficientnet_state, (2, 3, 3, 4, 4, 5, 2)))
OFFICIAL_STUDENTS.register("mobilenetv3_large", OfficialStudent(
    "mobilenetv3_large_seed", lambda s: "classifier.0.weight" in s and _numbered(s, "features.") == 16,
    _mobilenetv3_state, (1, 2, 3, 4, 2, 3, 1)))
for _depth in sorted(set(_RESNET_DEPTHS.values())):
    OFFICIAL_STUDENTS.register(_depth, OfficialStudent(_depth, lambda s, depth=_depth: _resnet_from_keys(s) == depth))


def official_student(state: dict[str, torch.Tensor], recorded: str | None) -> tuple[str, dict[str, torch.Tensor]]:
    """(our timm arch, state renamed for it) for an official student: from the file's `arch`
    field if it has one, else recognised from its keys."""
    if recorded is not None:
        if recorded not in OFFICIAL_STUDENTS:
            raise CheckpointError(f"its `arch` field names {recorded!r}, not a student the official SEED code "
                                  f"trains (known: {', '.join(OFFICIAL_STUDENTS.names())})")
        student = OFFICIAL_STUDENTS.get(recorded)
    else:
        found = [s for s in OFFICIAL_STUDENTS.values() if s.keys_match(state)]
        if not found:
            raise CheckpointError("neither an `arch` field nor the keys of an official student "
                                  f"({', '.join(OFFICIAL_STUDENTS.names())})")
        student = found[0]
    return student.arch, student.to_timm(state, student.stages)


prefixed_fc_layout(
    "seed-official",
    "the official SEED code's checkpoints: `state_dict` with `module.student.*` (head in `fc`), `arch` "
    "naming the student (EfficientNet-B0/B1 and MobileNetV3-Large renamed onto the *_seed timm models)",
    "module.student.", official_student,
)
