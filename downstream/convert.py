"""Student checkpoints -> Detectron2 / MMDetection / MMSegmentation checkpoints, behind one entry point.

Each target lives in its own integration package and imports its library only when used;
the target module provides `convert_checkpoint(source, destination, arch, layout) -> str`
(a one-paragraph report of what was written and checked). This module is registered in the
`seed.converters` entry-point group (setup.py), so `seed zoo download --convert` finds it
without `seed` importing `downstream` (see seed/models/converters.py).
"""
from __future__ import annotations

import importlib
from pathlib import Path

import timm

from downstream.reparam import reparameterizable
from downstream.student_arch import recorded_arch
from seed.errors import UnknownNameError

TARGETS: dict[str, str] = {
    "d2": "downstream.detectron2.convert",
    "mmseg": "downstream.mmseg.convert",
    "mmdet": "downstream.mmdet.convert",
}
SUFFIXES = {"d2": ".d2.pkl", "mmseg": ".mmseg.pth", "mmdet": ".mmdet.pth"}


def convert(target: str, source: str | Path, destination: str | Path, arch: str = "auto",
            layout: str = "auto") -> str:
    """Convert `source` (any layout seed.models can read) for `target` ("d2", "mmseg" or "mmdet")."""
    if target not in TARGETS:
        raise UnknownNameError(f"unknown conversion target {target!r}; known: {', '.join(TARGETS)}")
    module = importlib.import_module(TARGETS[target])
    report = module.convert_checkpoint(Path(source), Path(destination), arch=arch, layout=layout)
    return report + reparameterization_note(Path(destination))


def reparameterization_note(converted: Path) -> str:
    """A report line for families that fold at inference (MobileOne, RepViT, FastViT): the file keeps the
    training branches, which fine-tuning trains; fold after fine-tuning."""
    arch = recorded_arch(converted)
    if not (arch and timm.is_model(arch) and reparameterizable(timm.create_model(arch, pretrained=False))):
        return ""
    return (f"\nreparameterisation: not applied: {arch} folds its branches at inference, and this file keeps them "
            "for fine-tuning; fold the fine-tuned network with timm.utils.model.reparameterize_model before deploying")
