"""The official SEED students as timm models (their files are read by seed.models.layouts.official).

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

# one config for all three; B1's too is 224 px, the size the authors trained it at (its padding stays
# frozen at lukemelas' design size, 240)
default_cfgs = generate_default_cfgs({name: _cfg(architecture=name) for name in (
    "tf_efficientnet_b0_seed", "tf_efficientnet_b1_seed", "mobilenetv3_large_seed")})


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
