"""A student's backbone weights, read from any checkpoint layout, fitted strictly to a timm
`features_only` model: what both the MMSeg backbone's `init_cfg` and the converter use.

Three kinds of file are read. A student checkpoint in any layout goes through
`seed.models.load_encoder`, which loads the whole backbone strictly. A file written by our
converters is loaded strictly into the network it was written from: `seed-mmseg/1` (keys
`timm_model.*` exactly as MMSeg's TIMMBackbone names them) into the all-stage features model,
`seed-mmdet/1` (the student's spatial trunk under its own names, which for plain ResNets are
MMDetection's ResNet names) into the trunk. Either way the weights then fit `arch` exactly,
and every tensor the target model has must come from them: a missing key, a shape mismatch
or another architecture raises `CheckpointError` naming the file and the keys.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import timm
import torch
from timm.models._features import FeatureGetterNet
from torch import nn

from downstream.models import default_name
from downstream.timm_net import create, drop_stages_after_last_map, refuse_not_dense, spatial_trunk
from seed.errors import InputError
from seed.models import CheckpointError, load_encoder
from seed.models.checkpoints import load_strict, read_checkpoint
from seed.models.pretrained import timm_defaults
from seed.registry import Registry

GETTER_PREFIX = "model."
NATIVE_STRIDE = 32  # every timm family's own output stride
MODULE_PREFIX = "timm_model."  # where MMSeg's TIMMBackbone (and SeedTIMMBackbone) keeps the timm model


@dataclass
class StudentBackbone:
    """Backbone tensors that fit `arch` exactly, and where they came from."""

    state: dict[str, torch.Tensor]
    arch: str
    layout: str
    model: str  # the row name in the results table
    path: str  # the file read
    source: str  # the student checkpoint the weights come from (`path`, or what a converted file was made from)


def features_model(arch: str, **timm_kwargs: Any) -> nn.Module:
    """timm `arch` as a features_only model with random weights (never downloads), holding no stage
    after its last returned map."""
    refuse_not_dense(arch)
    if timm_kwargs.get("output_stride") == NATIVE_STRIDE:  # undilated, as every family is without the option,
        timm_kwargs = {key: value for key, value in timm_kwargs.items() if key != "output_stride"}  # which some lack
    try:
        model = timm.create_model(arch, pretrained=False, features_only=True, **{**timm_defaults(arch), **timm_kwargs})
    except TypeError as error:  # e.g. "EfficientVit.__init__() got an unexpected keyword argument 'output_stride'"
        if "output_stride" not in str(error):
            raise
        family = str(error).split(".", 1)[0]
        raise InputError(f"{family} ({arch}) has no dilated variant in timm (output_stride="
                         f"{timm_kwargs['output_stride']} is not an option of its family): MMSegmentation's dilated "
                         "recipes (FCN-D16, DeepLabV3-D8) cannot take it; the UPerNet recipe "
                         "(configs/segmentation/upernet) reads its stride 4-32 maps") from None
    drop_stages_after_last_map(model)
    return model


def trunk_model(arch: str, **_timm_kwargs: Any) -> nn.Module:
    """timm `arch` cut to its spatial trunk (what forward_features runs), random weights: the
    network whose tensors a `seed-mmdet` file holds (C4 heads run its layers after res4)."""
    model = create(arch)
    spatial_trunk(model, arch, "MMDetection checkpoint (seed convert --to mmdet)")
    return model


@dataclass(frozen=True)
class ConvertedFormat:
    """A file our converters write: its layout name, the key prefix, the network it holds."""

    layout: str
    library: str
    prefix: str
    network: Callable[..., nn.Module]  # (arch, **timm_kwargs) -> the model the file loads into strictly


CONVERTED: Registry[ConvertedFormat] = Registry("converted file format")
CONVERTED.register("seed-mmseg/1", ConvertedFormat("seed-mmseg", "MMSegmentation", MODULE_PREFIX, features_model))
CONVERTED.register("seed-mmdet/1", ConvertedFormat("seed-mmdet", "MMDetection", "", trunk_model))


def converted_meta(checkpoint: Any) -> dict | None:
    """The `meta` of a file one of our converters wrote, or None for any other checkpoint."""
    meta = checkpoint.get("meta") if isinstance(checkpoint, dict) else None
    return meta if isinstance(meta, dict) and meta.get("format") in CONVERTED else None


def read_student_backbone(path: str | Path, arch: str = "auto", layout: str = "auto",
                          timm_kwargs: dict[str, Any] | None = None) -> StudentBackbone:
    """Read a student checkpoint (any layout seed reads) or a converted file, checked against `arch`.

    `timm_kwargs` are the features-model options (e.g. output_stride) a converted file is
    checked under; they never change parameter names.
    """
    checkpoint = read_checkpoint(path)
    meta = converted_meta(checkpoint)
    if meta is None:
        encoder, chosen = load_encoder(path, arch, layout, use_head=False)
        return StudentBackbone(dict(encoder.backbone.state_dict()), encoder.arch, chosen.name,
                               default_name(str(path)), str(path), str(path))
    kind = CONVERTED.get(meta["format"])
    if layout not in ("auto", kind.layout):
        raise CheckpointError(f"{path}: is a converted {kind.library} file (layout {kind.layout!r}), "
                              f"not layout {layout!r}")
    recorded = meta.get("arch")
    if arch not in ("auto", recorded):
        raise CheckpointError(f"{path}: holds a {recorded!r} network (converted for {kind.library}), but the "
                              f"backbone asks for {arch!r}; use model_name={recorded!r} or convert a {arch} student")
    state = checkpoint.get("state_dict")
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: converted file without a `state_dict`")
    state = {key[len(kind.prefix):] if key.startswith(kind.prefix) else key: value for key, value in state.items()}
    options = {k: v for k, v in (timm_kwargs or {}).items() if k != "out_indices"}
    load_strict(kind.network(recorded, **options), state, path=path, layout=kind.layout, part="backbone",
                arch=recorded)
    return StudentBackbone(state, recorded, kind.layout, meta.get("model") or default_name(str(path)),
                           str(path), meta.get("source") or str(path))


def _dotted(key: str) -> str:
    return key.replace("_", ".")


def fit_features(module: nn.Module, student: StudentBackbone) -> list[str]:
    """Load `student` into a timm features_only `module` strictly; return the student keys it
    does not use (e.g. EfficientNet's conv_head, which only feeds the classifier).

    timm's feature wrappers keep parameter names, except that children of a flattened
    nn.Sequential are joined with "_" (ConvNeXt `stages.0` becomes `stages_0`); so a name
    matches exactly or, failing that, uniquely with "_" read as ".".
    """
    by_dotted: dict[str, list[str]] = {}
    for key in student.state:
        by_dotted.setdefault(_dotted(key), []).append(key)
    # timm's getter wrapper (features_only for ViTs and other forward_intermediates models) keeps the network as `model`
    prefix = GETTER_PREFIX if isinstance(module, FeatureGetterNet) else ""
    fitted, used = {}, set()
    for key in module.state_dict():
        own = key[len(prefix):] if key.startswith(prefix) else key
        candidates = [name for name in (key, own) if name in student.state][:1] or by_dotted.get(_dotted(own), [])
        if len(candidates) == 1:
            fitted[key] = student.state[candidates[0]]
            used.add(candidates[0])
    load_strict(module, fitted, path=student.path, layout=student.layout,
                part="backbone (timm features_only)", arch=student.arch)
    return [key for key in student.state if key not in used]
