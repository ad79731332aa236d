"""Heads' input channels from the student, at build time: what `in_channels='auto'` means.

A recipe config serves every student, so it cannot name channels (ResNet-18's stride-16 map has
256, EfficientNet-B0's 112). Our model types (`SeedDetector` in MMDetection, `SeedSegmentor` in
MMSeg) read the backbone's channels from timm's feature_info (`backbone_channels`), put them
wherever the config says 'auto', then build the library's own model type, so mmengine's
`Runner.from_cfg` builds the same model as our tools.
"""
from __future__ import annotations

import copy
from typing import Any

from downstream.openmmlab.backbone import backbone_channels, module_arch
from downstream.student_arch import AUTO
from downstream.timm_net import feature_table
from seed.errors import InputError

AUTO_CHANNELS = AUTO


def fill(node: dict | None, key: str, value: Any) -> None:
    """Set node[key] = value where the config says 'auto'."""
    if node is not None and node.get(key) == AUTO_CHANNELS:
        node[key] = value


def picked(channels: list[int], in_index: int | list[int], owner: str) -> int | list[int]:
    """The channels of the maps an MMSeg head's `in_index` picks."""
    try:
        return [channels[i] for i in in_index] if isinstance(in_index, (list, tuple)) else channels[in_index]
    except IndexError:
        raise InputError(f"{owner}: in_index {in_index} picks beyond the backbone's {len(channels)} maps "
                         f"(channels {channels})") from None


def last_stage_channels(shared_head: dict) -> int:
    """The channels out of a SeedLastStage config: the student's spatial trunk (timm's num_features)."""
    if shared_head.get("type") != "SeedLastStage":
        raise InputError(f"in_channels='auto' after a shared_head reads a SeedLastStage's channels; this one is "
                         f"{shared_head.get('type')!r}: give bbox_head / mask_head in_channels")
    return feature_table(module_arch(shared_head.get("model_name", AUTO), shared_head.get("init_cfg"),
                                     "SeedLastStage"))[1]


def multi_level_neck_channels(neck: dict, channels: list[int]) -> list[int]:
    """MMSeg's MultiLevelNeck: in_channels 'auto' are the backbone's, out_channels 'auto' its last map's
    (MMSeg's ViT recipe keeps the ViT's width); it returns one out_channels map per scale."""
    fill(neck, "in_channels", channels)
    fill(neck, "out_channels", channels[-1])
    return [neck["out_channels"]] * len(neck.get("scales", (0.5, 1, 2, 4)))


NECK_CHANNELS = {"MultiLevelNeck": multi_level_neck_channels}  # neck type -> (config, backbone channels) -> its own


def neck_channels(neck: dict | None, channels: list[int]) -> list[int] | None:
    """The channels of the maps the heads see: the backbone's, or those of the neck after it ('auto'
    filled); None after a neck of another type."""
    if neck is None:
        return channels
    return NECK_CHANNELS[neck["type"]](neck, channels) if neck.get("type") in NECK_CHANNELS else None


def segmentor_channels(model: dict) -> dict:
    """A copy of an MMSeg segmentor config with the neck's and the decode and auxiliary heads' 'auto'
    channels filled."""
    model = copy.deepcopy(model)
    channels = neck_channels(model.get("neck"), backbone_channels(model["backbone"]))
    for key in ("decode_head", "auxiliary_head"):
        heads = model.get(key)
        for head in (heads if isinstance(heads, (list, tuple)) else [heads]):
            if head is None or head.get("in_channels") != AUTO_CHANNELS:
                continue
            if channels is None:
                raise InputError(f"{key} in_channels='auto' after a neck reads a {', '.join(NECK_CHANNELS)}'s "
                                 f"channels; this neck is {model['neck'].get('type')!r}: give {key} in_channels")
            fill(head, "in_channels", picked(channels, head.get("in_index", -1), key))
    return model


def detector_channels(model: dict) -> dict:
    """A copy of an MMDetection two-stage detector config with 'auto' channels filled: the FPN's inputs,
    or for C4 the RPN and RoI extractor at the stride-16 map and the box and mask heads after the shared head."""
    model = copy.deepcopy(model)
    channels = backbone_channels(model["backbone"])
    fill(model.get("neck"), "in_channels", channels)
    for key in ("in_channels", "feat_channels"):
        fill(model.get("rpn_head"), key, channels[-1])
    roi = model.get("roi_head") or {}
    fill(roi.get("bbox_roi_extractor"), "out_channels", channels[-1])
    heads = [roi.get(key) for key in ("bbox_head", "mask_head") if roi.get(key) is not None]
    if any(head.get("in_channels") == AUTO_CHANNELS for head in heads):
        after = last_stage_channels(roi["shared_head"]) if roi.get("shared_head") else channels[-1]
        for head in heads:
            fill(head, "in_channels", after)
    return model
