"""Test-only re-statements of the students the SEED authors trained, as jacobswan1/SEED defines them.

- `efficientnet(name)`: lukemelas EfficientNet-PyTorch 0.7.0 as vendored in
  `seed/architectures/efficientnet/` (static TF-same padding computed for the model's own image
  size: 224 px for B0, 240 px for B1; BN momentum 0.01, eps 1e-3; swish; SE with biased 1x1 convs).
- `mobilenetv3_large()`: d-li14's `seed/architectures/mobilenet/mobilenetv3.py` (SE with Linear
  layers, placed before the activation in expanded blocks; `classifier` Linear-h_swish-Dropout).
Parameter names, shapes and forward follow those files; `seed_checkpoint` saves a student the
way the official main.py does (`arch`, `state_dict` of the DDP-wrapped SEED model). These
modules exist so the tests compare our loader against the authors' networks, not against itself.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

# --- lukemelas EfficientNet-PyTorch 0.7.0 ----------------------------------------------------------

# (repeats, kernel, stride, expand ratio, input filters, output filters), se ratio 0.25 everywhere
EFFICIENTNET_BLOCKS = [(1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
                       (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320)]
EFFICIENTNET_PARAMS = {"efficientnet_b0": (1.0, 224, 0.2), "efficientnet_b1": (1.1, 240, 0.2)}  # depth, res, dropout


class Conv2dStaticSamePadding(nn.Conv2d):
    """TF 'SAME' padding computed once, for `image_size`, and applied as a ZeroPad2d."""

    def __init__(self, in_channels, out_channels, kernel_size, image_size, stride=1, groups=1, bias=False):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, groups=groups, bias=bias)
        ih = iw = image_size
        kh, kw = self.weight.shape[-2:]
        sh, sw = self.stride
        oh, ow = math.ceil(ih / sh), math.ceil(iw / sw)
        pad_h = max((oh - 1) * sh + kh - ih, 0)
        pad_w = max((ow - 1) * sw + kw - iw, 0)
        if pad_h > 0 or pad_w > 0:
            self.static_padding = nn.ZeroPad2d((pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))
        else:
            self.static_padding = nn.Identity()

    def forward(self, x):
        return F.conv2d(self.static_padding(x), self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


class MBConvBlock(nn.Module):
    def __init__(self, kernel, stride, expand_ratio, input_filters, output_filters, image_size,
                 bn_mom=0.01, bn_eps=1e-3):
        super().__init__()
        self.expand_ratio, self.stride = expand_ratio, stride
        self.input_filters, self.output_filters = input_filters, output_filters
        inp, oup = input_filters, input_filters * expand_ratio
        if expand_ratio != 1:
            self._expand_conv = Conv2dStaticSamePadding(inp, oup, 1, image_size)
            self._bn0 = nn.BatchNorm2d(oup, momentum=bn_mom, eps=bn_eps)
        self._depthwise_conv = Conv2dStaticSamePadding(oup, oup, kernel, image_size, stride=stride, groups=oup)
        self._bn1 = nn.BatchNorm2d(oup, momentum=bn_mom, eps=bn_eps)
        image_size = math.ceil(image_size / stride)
        squeezed = max(1, int(input_filters * 0.25))
        self._se_reduce = Conv2dStaticSamePadding(oup, squeezed, 1, 1, bias=True)
        self._se_expand = Conv2dStaticSamePadding(squeezed, oup, 1, 1, bias=True)
        self._project_conv = Conv2dStaticSamePadding(oup, output_filters, 1, image_size)
        self._bn2 = nn.BatchNorm2d(output_filters, momentum=bn_mom, eps=bn_eps)
        self._swish = Swish()

    def forward(self, inputs, drop_connect_rate=None):
        x = inputs
        if self.expand_ratio != 1:
            x = self._swish(self._bn0(self._expand_conv(inputs)))
        x = self._swish(self._bn1(self._depthwise_conv(x)))
        squeezed = self._se_expand(self._swish(self._se_reduce(F.adaptive_avg_pool2d(x, 1))))
        x = torch.sigmoid(squeezed) * x
        x = self._bn2(self._project_conv(x))
        if self.stride == 1 and self.input_filters == self.output_filters:
            x = x + inputs  # drop connect is a no-op in eval mode
        return x


class EfficientNet(nn.Module):
    def __init__(self, depth_coefficient, image_size, dropout_rate, num_classes=1000):
        super().__init__()
        self._conv_stem = Conv2dStaticSamePadding(3, 32, 3, image_size, stride=2)
        self._bn0 = nn.BatchNorm2d(32, momentum=0.01, eps=1e-3)
        image_size = math.ceil(image_size / 2)
        self._blocks = nn.ModuleList()
        for repeats, kernel, stride, expand, inp, oup in EFFICIENTNET_BLOCKS:
            repeats = int(math.ceil(depth_coefficient * repeats))
            self._blocks.append(MBConvBlock(kernel, stride, expand, inp, oup, image_size))
            image_size = math.ceil(image_size / stride)
            for _ in range(repeats - 1):
                self._blocks.append(MBConvBlock(kernel, 1, expand, oup, oup, image_size))
        self._conv_head = Conv2dStaticSamePadding(320, 1280, 1, image_size)
        self._bn1 = nn.BatchNorm2d(1280, momentum=0.01, eps=1e-3)
        self._avg_pooling = nn.AdaptiveAvgPool2d(1)
        self._dropout = nn.Dropout(dropout_rate)
        self.fc = nn.Linear(1280, num_classes)
        self._swish = Swish()

    def extract_features(self, inputs):
        x = self._swish(self._bn0(self._conv_stem(inputs)))
        for block in self._blocks:
            x = block(x)
        return self._swish(self._bn1(self._conv_head(x)))

    def pooled(self, inputs):
        """What the SEED student feeds its fc: pooled (and, in training, dropped-out) features."""
        return self._dropout(self._avg_pooling(self.extract_features(inputs)).flatten(start_dim=1))

    def forward(self, inputs):
        return self.fc(self.pooled(inputs))


def efficientnet(name: str, num_classes: int) -> EfficientNet:
    return EfficientNet(*EFFICIENTNET_PARAMS[name], num_classes=num_classes)


# --- d-li14 MobileNetV3-Large ----------------------------------------------------------------------


def _make_divisible(v, divisor, min_value=None):
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class h_sigmoid(nn.Module):
    def __init__(self):
        super().__init__()
        self.relu = nn.ReLU6()

    def forward(self, x):
        return self.relu(x + 3) / 6


class h_swish(nn.Module):
    def __init__(self):
        super().__init__()
        self.sigmoid = h_sigmoid()

    def forward(self, x):
        return x * self.sigmoid(x)


class SELayer(nn.Module):
    def __init__(self, channel, reduction=4):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        hidden = _make_divisible(channel // reduction, 8)
        self.fc = nn.Sequential(nn.Linear(channel, hidden), nn.ReLU(), nn.Linear(hidden, channel), h_sigmoid())

    def forward(self, x):
        b, c, _, _ = x.size()
        return x * self.fc(self.avg_pool(x).view(b, c)).view(b, c, 1, 1)


def conv_bn(inp, oup, kernel, stride):
    return nn.Sequential(nn.Conv2d(inp, oup, kernel, stride, (kernel - 1) // 2, bias=False), nn.BatchNorm2d(oup),
                         h_swish())


class InvertedResidual(nn.Module):
    def __init__(self, inp, hidden_dim, oup, kernel_size, stride, use_se, use_hs):
        super().__init__()
        self.identity = stride == 1 and inp == oup
        act = h_swish if use_hs else nn.ReLU
        dw = [nn.Conv2d(hidden_dim, hidden_dim, kernel_size, stride, (kernel_size - 1) // 2, groups=hidden_dim,
                        bias=False), nn.BatchNorm2d(hidden_dim)]
        se = SELayer(hidden_dim) if use_se else nn.Identity()
        pw_linear = [nn.Conv2d(hidden_dim, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup)]
        if inp == hidden_dim:  # dw, bn, act, SE, pw-linear
            self.conv = nn.Sequential(*dw, act(), se, *pw_linear)
        else:  # pw, bn, act, dw, bn, SE, act, pw-linear
            self.conv = nn.Sequential(nn.Conv2d(inp, hidden_dim, 1, 1, 0, bias=False), nn.BatchNorm2d(hidden_dim),
                                      act(), *dw, se, act(), *pw_linear)

    def forward(self, x):
        return x + self.conv(x) if self.identity else self.conv(x)


MOBILENETV3_LARGE = [  # k, t, c, SE, HS, s
    [3, 1, 16, 0, 0, 1], [3, 4, 24, 0, 0, 2], [3, 3, 24, 0, 0, 1], [5, 3, 40, 1, 0, 2], [5, 3, 40, 1, 0, 1],
    [5, 3, 40, 1, 0, 1], [3, 6, 80, 0, 1, 2], [3, 2.5, 80, 0, 1, 1], [3, 2.3, 80, 0, 1, 1], [3, 2.3, 80, 0, 1, 1],
    [3, 6, 112, 1, 1, 1], [3, 6, 112, 1, 1, 1], [5, 6, 160, 1, 1, 2], [5, 6, 160, 1, 1, 1], [5, 6, 160, 1, 1, 1]]


class MobileNetV3(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        input_channel = 16
        layers = [conv_bn(3, input_channel, 3, 2)]
        for k, t, c, use_se, use_hs, s in MOBILENETV3_LARGE:
            output_channel = _make_divisible(c, 8)
            exp_size = _make_divisible(input_channel * t, 8)
            layers.append(InvertedResidual(input_channel, exp_size, output_channel, k, s, use_se, use_hs))
            input_channel = output_channel
        self.features = nn.Sequential(*layers)
        self.conv = conv_bn(input_channel, exp_size, 1, 1)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Sequential(nn.Linear(exp_size, 1280), h_swish(), nn.Dropout(0.2))
        self.fc = nn.Linear(1280, num_classes)

    def pooled(self, x):
        """What the SEED student feeds its fc: the classifier's output."""
        x = self.avgpool(self.conv(self.features(x)))
        return self.classifier(x.view(x.size(0), -1))

    def forward(self, x):
        return self.fc(self.pooled(x))


def mobilenetv3_large(num_classes: int) -> MobileNetV3:
    return MobileNetV3(num_classes=num_classes)


# --- the official SEED student and its checkpoint -----------------------------------------------------

OFFICIAL_ARCHS = {"efficientnet_b0": lambda dim: efficientnet("efficientnet_b0", dim),
                  "efficientnet_b1": lambda dim: efficientnet("efficientnet_b1", dim),
                  "mobilenetv3_large": mobilenetv3_large}


def randomise(model: nn.Module, seed: int = 0) -> nn.Module:
    """Random weights and BN statistics (so BN is not the identity), in eval mode."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if not tensor.is_floating_point():
                continue
            if name.endswith("running_var"):
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            elif name.endswith(("running_mean", "bias")):
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * 0.1)
            elif name.endswith("weight") and tensor.ndim == 1:  # BN scale
                tensor.copy_(torch.rand(tensor.shape, generator=generator) + 0.5)
            else:  # He-scaled weights keep activations of order one through the network
                fan_in = tensor[0].numel()
                tensor.copy_(torch.randn(tensor.shape, generator=generator) * math.sqrt(2.0 / fan_in))
    return model.eval()


class SEEDModel(nn.Module):
    """seed/builder.py's SEED with mlp=True: `student.fc` = Linear(d, d), ReLU, Linear(d, dim)."""

    def __init__(self, arch: str, dim: int = 128) -> None:
        super().__init__()
        self.student = OFFICIAL_ARCHS[arch](dim)
        dim_mlp = self.student.fc.weight.shape[1]
        self.student.fc = nn.Sequential(nn.Linear(dim_mlp, dim_mlp), nn.ReLU(), self.student.fc)
        self.teacher = nn.Linear(4, dim)  # stands in for the teacher, which the loader must ignore
        self.register_buffer("queue", torch.randn(dim, 16))
        self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))


def seed_checkpoint(arch: str, path: Path, seed: int = 0, record_arch: bool = True) -> nn.Module:
    """Save a randomised official student as main.py does and return the student (eval mode)."""
    model = SEEDModel(arch)
    randomise(model.student, seed)
    wrapped = nn.DataParallel(model)  # `module.` prefixes, as DistributedDataParallel gives
    checkpoint = {"epoch": 200, "arch": arch, "state_dict": wrapped.state_dict(), "optimizer": {}}
    if not record_arch:
        del checkpoint["arch"]
    torch.save(checkpoint, path)
    return model.student
