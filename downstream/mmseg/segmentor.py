"""`SeedSegmentor`: an MMSeg segmentor (EncoderDecoder by default) whose heads' `in_channels='auto'`
come from the student backbone's feature_info at build time (downstream/openmmlab/channels.py)."""
from __future__ import annotations

from typing import Any

from mmseg.registry import MODELS

from downstream.openmmlab.channels import segmentor_channels


def seed_segmentor(segmentor: str = "EncoderDecoder", **model: Any):
    """Build MMSeg's `segmentor` from `model` with the heads' 'auto' channels filled."""
    return MODELS.build(dict(type=segmentor, **segmentor_channels(model)))


MODELS.register_module(name="SeedSegmentor", module=seed_segmentor)
