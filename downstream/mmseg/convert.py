"""Student checkpoint -> MMSegmentation backbone checkpoint: `seed convert --to mmseg IN OUT`.

The file holds `state_dict`, keyed `timm_model.*` exactly as MMSeg's TIMMBackbone (and our
SeedTIMMBackbone) names its timm features_only model with all stages, and `meta` (format,
architecture, source file and its sha256, layout). Give it to a backbone as
`init_cfg=dict(type='Pretrained', checkpoint=OUT)`. Before returning, the converter loads the
file into MMSeg's own TIMMBackbone with mmengine's strict `load_checkpoint` and compares every
tensor, so what it reports is what MMSeg will load.
"""
from __future__ import annotations

from pathlib import Path

import torch
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import load_checkpoint
from mmseg.registry import MODELS

from downstream.mmseg.runner import MMSEG
from downstream.openmmlab.converted import save_converted
from downstream.openmmlab.weights import MODULE_PREFIX, features_model, fit_features, read_student_backbone
from downstream.timm_net import is_single_scale

CONVERTED_FORMAT = "seed-mmseg/1"
VIT_EXAMPLE = "configs/segmentation/upernet/upernet-mln_vit-student_8xb2-80k_ade20k-512x512.py"  # MMSeg's ViT recipe


def check_loads_in_mmseg(path: Path, arch: str, expected: dict[str, torch.Tensor]) -> None:
    """Load `path` into MMSeg's TIMMBackbone (strict) and check every tensor equals `expected`.
    Built in MMSeg's scope: a Runner of another library earlier in the process leaves its own current."""
    with DefaultScope.overwrite_default_scope("mmseg"):
        backbone = MODELS.build(dict(type="TIMMBackbone", model_name=arch, pretrained=False))
    load_checkpoint(backbone, str(path), map_location="cpu", strict=True, logger="silent")
    differing = [key for key, value in backbone.state_dict().items() if not torch.equal(value, expected[key])]
    if differing:
        raise RuntimeError(f"{path}: MMSegmentation loaded different values for {', '.join(differing[:5])}")


def convert_checkpoint(source: Path, destination: Path, arch: str = "auto", layout: str = "auto") -> str:
    """Write `source`'s backbone (any layout) as an MMSeg TIMMBackbone checkpoint; return a report."""
    student = read_student_backbone(source, arch, layout)
    features = features_model(student.arch)
    unused = fit_features(features, student)
    state = {MODULE_PREFIX + key: value for key, value in features.state_dict().items()}
    meta = save_converted(destination, CONVERTED_FORMAT, student, state, unused_keys=unused,
                          channels=features.feature_info.channels(), reductions=features.feature_info.reduction())
    check_loads_in_mmseg(destination, student.arch, state)
    example = VIT_EXAMPLE if is_single_scale(student.arch) else MMSEG.example_config
    return (f"wrote {destination}: the {student.arch} backbone of {source} (layout {student.layout}) as "
            f"{len(state)} tensors timm_model.* for MMSeg's TIMMBackbone / SeedTIMMBackbone (features_only, "
            f"channels {meta['channels']}, strides {meta['reductions']}); "
            + (f"left out, unused by dense heads: {', '.join(unused)}; " if unused else "")
            + "checked: MMSeg's TIMMBackbone loads it with mmengine's strict load_checkpoint, no key missing, "
            f"every tensor equal. Use it: tools/train_seg.py {example} --student {destination} (or "
            "any config in configs/segmentation; the network and channels come from this file), or in your own "
            "config backbone=dict(type='SeedTIMMBackbone', "
            f"init_cfg=dict(type='Pretrained', checkpoint='{destination}')).")
