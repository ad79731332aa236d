"""A student checkpoint (any layout seed.models reads) -> a Detectron2 checkpoint, checked by loading it.

The file is Detectron2's model-zoo format, as MoCo's convert-pretrain-to-detectron2.py writes
it: `{"model": weights, "__author__": ..., "matching_heuristics": True}` (numpy arrays in a
`.pkl`, tensors in a `.pth`), plus a `seed` entry saying where it came from. Name matching lets
one file initialise both the C4 model (backbone + last stage in the ROI head) and the FPN model.
Before the file is put in place it is loaded into both with Detectron2's DetectionCheckpointer:
C4 must use every tensor and leave no student weight missing; FPN must leave none missing.
"""
from __future__ import annotations

import logging
import os
import pickle
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import torch
from detectron2.modeling import build_model

from downstream.detectron2.checkpoint import StudentWeightsError, load_weights
from downstream.detectron2.config import model_config
from downstream.detectron2.families import family_of
from downstream.timm_net import refuse_not_dense
from seed.errors import InputError
from seed.models import load_checkpoint_weights, load_encoder
from seed.utils.hashing import file_digest

AUTHOR = "seed-distill"


def _write(state: dict[str, torch.Tensor], info: dict, path: Path) -> None:
    """Detectron2's model-zoo layout: numpy arrays in a pickle (.pkl) or tensors via torch.save (.pth)."""
    checkpoint = {"model": state, "__author__": AUTHOR, "matching_heuristics": True, "seed": info}
    if path.suffix == ".pkl":
        with open(path, "wb") as handle:
            pickle.dump({**checkpoint, "model": {k: v.numpy() for k, v in state.items()}}, handle)
    else:
        torch.save(checkpoint, path)


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Silence the checkpointer's own warnings: the check reports the same facts in one line."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def check_loads(path: Path, arch: str) -> list[str]:
    """Load `path` into the models of the student's family (C4 and FPN, or ViTDet); a line per variant,
    StudentWeightsError if short."""
    lines = []
    for variant in family_of(arch).backbones:
        cfg = model_config(arch, variant)
        with _quiet("fvcore", "detectron2"):
            report = load_weights(build_model(cfg), path)
        report.raise_if_missing(f"student in the {variant.upper()} model")
        if variant == "c4" and report.unused:
            raise StudentWeightsError(f"{path}: the C4 model ({cfg.MODEL.BACKBONE.NAME} + {cfg.MODEL.ROI_HEADS.NAME}) "
                                      f"leaves file keys unused: {report.summary()}")
        lines.append(f"checked with Detectron2's DetectionCheckpointer: {variant.upper()} model "
                     f"({cfg.MODEL.BACKBONE.NAME} + {cfg.MODEL.ROI_HEADS.NAME}): {report.summary()}"
                     + (" -- layers after the last feature map, which features_only does not run "
                        "(the C4 last stage uses them)" if report.unused else ""))
    return lines


def convert_checkpoint(source: Path, destination: Path, arch: str = "auto", layout: str = "auto") -> str:
    """Write `source`'s student backbone (projection head dropped) to `destination` (.pkl or .pth) for
    Detectron2, check that it loads, and return a short report of what was written and checked."""
    source, destination = Path(source), Path(destination)
    if destination.suffix not in (".pkl", ".pth"):
        raise InputError(f"destination {str(destination)!r}: a Detectron2 checkpoint ends in .pkl or .pth")
    if destination.resolve() == source.resolve():
        raise InputError(f"destination {str(destination)!r} is the student checkpoint itself; write elsewhere")
    weights, _ = load_checkpoint_weights(source, layout)
    if arch == "auto" and weights.arch:
        arch = weights.arch  # otherwise load_encoder says that this layout needs the architecture named
    refuse_not_dense(arch)
    encoder, chosen = load_encoder(source, arch=arch, layout=layout, use_head=False)
    family = family_of(arch)
    backbone_keys = len(encoder.backbone.state_dict())
    state = {k: v.detach().cpu().contiguous() for k, v in family.checkpoint_state(encoder.backbone).items()}
    info = {"arch": arch, "family": family.name, "layout": chosen.name, "source": str(source),
            "source_sha256": file_digest(source)}
    partial = destination.with_name(f".{destination.stem}.partial{destination.suffix}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    _write(state, info, partial)
    try:
        checks = check_loads(partial, arch)
    except BaseException:
        partial.unlink()
        raise
    os.replace(partial, destination)
    variant = next(iter(family.backbones))
    settings = " ".join(str(v) for v in family.settings(arch, variant))
    dropped = [f"projection head ({len(weights.head)} tensors)"] if weights.head else []
    if backbone_keys > len(state):
        dropped.append(f"{backbone_keys - len(state)} tensors used only after pooling")
    return "\n".join([
        f"wrote {destination}: {arch} student from {source} (layout {chosen.name!r}), {len(state)} tensors "
        f"with {family.names}" + (f"; dropped {' and '.join(dropped)}" if dropped else ""),
        *checks,
        f"use it: tools/train_det.py --config-file {family.recipe} MODEL.WEIGHTS {destination} (or any "
        f"{'/'.join(family.backbones).upper()} recipe in configs/detection/voc and configs/detection/coco; the network "
        f"comes from this file)  (in your own {variant.upper()} config: {settings}"
        + (" MODEL.ROI_HEADS.NAME LastStageROIHeads)" if variant == "c4" else ")"),
    ])
