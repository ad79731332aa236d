"""Registers `SeedTIMMBackbone` (downstream/openmmlab/backbone.py: any timm student, features_only,
no download, strict Pretrained init_cfg, timm's SyncBN) in MMSegmentation's MODELS registry."""
from mmseg.registry import MODELS

from downstream.openmmlab.backbone import SeedTIMMBackbone

MODELS.register_module(module=SeedTIMMBackbone)

__all__ = ["SeedTIMMBackbone"]
