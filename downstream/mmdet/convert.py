"""Student checkpoint -> MMDetection backbone checkpoint: `seed convert --to mmdet IN OUT`.

The file (`meta.format == "seed-mmdet/1"`, written by downstream/openmmlab/converted.py) holds
the student's spatial trunk, everything `forward_features` runs, under its own names. For plain
ResNets those are MMDetection's own ResNet names (conv1, bn1, layer1..layer4 with
downsample.0/1, as torchvision), so stock MMDetection configs, its selfsup_pretrain MoCo-v2
Mask R-CNN included, load it with `init_cfg=dict(type='Pretrained', checkpoint=OUT)` and nothing
else; every other student keeps timm's names, for SeedTIMMBackbone. The last stage stays in the
file: the C4 shared head (SeedLastStage) runs it on each RoI.

Before returning, the converter loads the file into the models that will use it and reports
what each left missing or unused, as the Detectron2 converter does: our C4 pair (stride-16
SeedTIMMBackbone + SeedLastStage) and our FPN backbone, and for ResNets MMDetection's own ResNet
through mmengine's `load_checkpoint`; a missing key is an error naming the file and the keys.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from mmdet.registry import MODELS
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import _load_checkpoint

import downstream.mmdet  # noqa: F401  (registers SeedTIMMBackbone and SeedLastStage)
from downstream.load_report import COUNTERS, StudentWeightsError, first_keys
from downstream.mmdet.runner import MMDET
from downstream.openmmlab.converted import save_converted
from downstream.openmmlab.weights import fit_features, read_student_backbone, trunk_model
from downstream.timm_net import is_single_scale

CONVERTED_FORMAT = "seed-mmdet/1"
VIT_EXAMPLE = "configs/mmdet/mask-rcnn/mask-rcnn_student_fpn_8xb2-1x_coco.py"  # a recipe a plain ViT trains (FPN)
RESNET_DEPTHS = {"resnet18": 18, "resnet34": 34, "resnet50": 50, "resnet101": 101, "resnet152": 152}


@dataclass
class Check:
    """One model the file was loaded into: its name, the file keys it used, the keys it missed."""

    model: str
    used: set[str]
    missing: list[str]


def check_c4(path: Path, arch: str) -> Check:
    """Our C4 pair: stride-16 SeedTIMMBackbone + SeedLastStage, both loaded strictly (else an error)."""
    student = read_student_backbone(path, arch)
    backbone = MODELS.build(dict(type="SeedTIMMBackbone", model_name=arch, out_strides=(16,)))
    head = MODELS.build(dict(type="SeedLastStage", model_name=arch))
    unused = set(fit_features(backbone.timm_model, student)) & set(fit_features(head.layers[0].student, student))
    return Check("C4: SeedTIMMBackbone(out_strides=(16,)) + SeedLastStage", set(student.state) - unused, [])


def check_fpn(path: Path, arch: str) -> Check:
    """Our FPN backbone: SeedTIMMBackbone with the four stride-4..32 maps, loaded strictly."""
    student = read_student_backbone(path, arch)
    backbone = MODELS.build(dict(type="SeedTIMMBackbone", model_name=arch, out_strides=(4, 8, 16, 32)))
    unused = fit_features(backbone.timm_model, student)
    return Check("FPN: SeedTIMMBackbone(out_strides=(4, 8, 16, 32))", set(student.state) - set(unused), [])


def check_mmdet_resnet(path: Path, arch: str) -> Check:
    """MMDetection's own ResNet of the student's depth, loaded as a Pretrained init_cfg loads it:
    mmengine's checkpoint reader, then load_state_dict (non-strict, so what it missed is kept)."""
    resnet = MODELS.build(dict(type="ResNet", depth=RESNET_DEPTHS[arch], style="pytorch"))
    state = _load_checkpoint(str(path), map_location="cpu")["state_dict"]
    incompatible = resnet.load_state_dict(state, strict=False)
    missing = [key for key in incompatible.missing_keys if not key.endswith(COUNTERS)]
    return Check(f"MMDetection's ResNet(depth={RESNET_DEPTHS[arch]})", set(state) - set(incompatible.unexpected_keys),
                 missing)


def checks_for(arch: str) -> list[Callable[[Path, str], Check]]:
    """The models an `arch` student goes into: ours always (a plain ViT, with no stage after its stride-16
    map, only the FPN one, through the simple pyramid), MMDetection's own ResNet for plain ResNets."""
    ours = [check_fpn] if is_single_scale(arch) else [check_c4, check_fpn]
    return ours + ([check_mmdet_resnet] if arch in RESNET_DEPTHS else [])


def check_loads(path: Path, arch: str, keys: set[str]) -> list[str]:
    """Load `path` into every model that takes an `arch` student; a line per model, StudentWeightsError
    naming the file and keys when one of them leaves a weight missing. Built in MMDetection's scope,
    whatever another library's Runner left current."""
    with DefaultScope.overwrite_default_scope("mmdet"):
        results = [check(path, arch) for check in checks_for(arch)]
    lines = []
    for result in results:
        if result.missing:
            raise StudentWeightsError(f"{path}: {result.model} finds {len(result.missing)} weights missing, which "
                                      f"would stay random: {first_keys(result.missing)}")
        unused = sorted(keys - result.used)
        lines.append(f"checked: {result.model}: {len(result.used)} tensors loaded, 0 missing, {len(unused)} unused"
                     + (f" ({first_keys(unused)})" if unused else ""))
    return lines


def convert_checkpoint(source: Path, destination: Path, arch: str = "auto", layout: str = "auto") -> str:
    """Write `source`'s spatial trunk (any layout) as an MMDetection checkpoint; check it; return a report."""
    student = read_student_backbone(source, arch, layout)
    trunk = trunk_model(student.arch)
    unused = fit_features(trunk, student)
    state = trunk.state_dict()
    names = "MMDetection's ResNet names" if student.arch in RESNET_DEPTHS else "timm's names"
    save_converted(Path(destination), CONVERTED_FORMAT, student, state, unused_keys=unused, names=names)
    try:
        lines = check_loads(Path(destination), student.arch, set(state))
    except BaseException:
        Path(destination).unlink()
        raise
    example = VIT_EXAMPLE if is_single_scale(student.arch) else MMDET.example_config
    usage = (f"stock MMDetection ResNet configs: backbone=dict(type='ResNet', depth={RESNET_DEPTHS[student.arch]}, "
             f"init_cfg=dict(type='Pretrained', checkpoint='{destination}')); "
             if student.arch in RESNET_DEPTHS else "")
    return "\n".join([
        f"wrote {destination}: the {student.arch} trunk of {source} (layout {student.layout}), {len(state)} tensors "
        f"with {names}" + (f"; left out, unused after pooling: {first_keys(unused)}" if unused else ""),
        *lines,
        f"use it: {usage}our configs (any in configs/mmdet/faster-rcnn and configs/mmdet/mask-rcnn; the network "
        f"and channels come from this file): tools/train_mmdet.py {example} --student {destination}",
    ])
