"""`SeedDetector`: an MMDetection detector (FasterRCNN, MaskRCNN, ...) whose 'auto' channels (FPN
inputs; C4's RPN, RoI extractor, box and mask heads) come from the student at build time
(downstream/openmmlab/channels.py)."""
from __future__ import annotations

from typing import Any

from mmdet.registry import MODELS

from downstream.openmmlab.channels import detector_channels


def seed_detector(detector: str = "MaskRCNN", **model: Any):
    """Build MMDetection's `detector` from `model` with its 'auto' channels filled."""
    return MODELS.build(dict(type=detector, **detector_channels(model)))


MODELS.register_module(name="SeedDetector", module=seed_detector)
