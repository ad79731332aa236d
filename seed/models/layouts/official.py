"""The `seed-official` layout: the official SEED code's checkpoints (jacobswan1/SEED, main.py).

`state_dict` holds the student under `module.student.*` with its head in `fc`, and `arch` names it.
ResNets keep torchvision's names; the authors' EfficientNet-B0/B1 (lukemelas) and MobileNetV3-Large
(d-li14) are renamed onto the timm models of seed.models.official_students, which restate them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import torch

from seed.models.checkpoints import CheckpointError
from seed.models.layouts.base import prefixed_fc_layout
from seed.registry import Registry


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
    "module.student.", priority=50, rename=official_student,
)
