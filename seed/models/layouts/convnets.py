"""This project's files and the ResNet-era publishers' layouts: MoCo v1/v2, SwAV, SimCLR, torchvision."""
from __future__ import annotations

from seed.models.checkpoints import RUN_FORMAT, STUDENT_FORMAT
from seed.models.layouts.base import (Layout, Weights, is_tensor_dict, prefixed_fc_layout, register_layout,
                                      split_head, with_prefix)


# --- ours: the file names its format -------------------------------------------------------


def _ours_extract(ckpt: dict) -> Weights:
    if ckpt["format"] == STUDENT_FORMAT:
        return Weights(ckpt["backbone"], ckpt["head"], ckpt.get("head_activation", "relu"),
                       ckpt["arch"], dict(ckpt.get("arch_kwargs") or {}))
    student = ckpt["config"]["student"]
    model = ckpt["model"]
    return Weights(with_prefix(model, "student.backbone."), with_prefix(model, "student.head."), "relu",
                   student["arch"], dict(student.get("kwargs") or {}))


register_layout(Layout(
    "seed",
    "this project's run checkpoints and exported students (`format` key)",
    lambda c: isinstance(c, dict) and c.get("format") in (RUN_FORMAT, STUDENT_FORMAT),
    _ours_extract,
    priority=10,
))


# --- MoCo v1/v2: a `state_dict` whose network sits under one prefix, head in `fc` -----------

prefixed_fc_layout("moco", "MoCo v1/v2: `state_dict` with `module.encoder_q.*`, projection head in `fc` (MLP for v2)",
                   "module.encoder_q.", priority=20)


# --- SwAV -------------------------------------------------------------------------------


def _swav_state(ckpt: dict) -> dict:
    return ckpt["state_dict"] if isinstance(ckpt.get("state_dict"), dict) else ckpt


def _swav_extract(ckpt: dict) -> Weights:
    state = with_prefix(_swav_state(ckpt), "module.")
    backbone = {k: v for k, v in state.items() if not k.startswith(("projection_head.", "prototypes."))}
    return Weights(backbone, with_prefix(state, "projection_head."), "relu")


register_layout(Layout(
    "swav",
    "SwAV: flat dict with `module.*`, head in `projection_head`, `prototypes` dropped",
    lambda c: isinstance(c, dict) and any(
        k.startswith(("module.projection_head.", "module.prototypes.")) for k in _swav_state(c)),
    _swav_extract,
    priority=30,
))


# --- SimCLR converted to PyTorch, and plain torchvision ----------------------------------


def _fc_dropped(state: dict) -> Weights:
    backbone, _classifier = split_head(state, "fc")
    return Weights(backbone)


register_layout(Layout(
    "simclr",
    "SimCLR v1 converted to PyTorch: `state_dict` with torchvision names; its `fc` "
    "(linear-eval classifier) dropped, no projection head",
    lambda c: isinstance(c, dict) and is_tensor_dict(c.get("state_dict")) and "conv1.weight" in c["state_dict"],
    lambda c: _fc_dropped(c["state_dict"]),
    priority=40,
))
register_layout(Layout(
    "torchvision",
    "a plain torchvision/timm state dict; a classifier `fc` is dropped",
    lambda c: is_tensor_dict(c) and not any(k.startswith("module.") for k in c),
    _fc_dropped,
    priority=1000,  # any flat state dict: after every layout that recognises a more specific one (dino-vit, dinov2)
))
