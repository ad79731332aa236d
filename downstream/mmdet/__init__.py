"""MMDetection integration: distilled students as MMDetection backbones, the C4 last-stage shared
head, conversion, train and test.

A config's `custom_imports=dict(imports=['downstream.mmdet'], allow_failed_imports=False)` imports
this package, which registers `SeedTIMMBackbone` (the very class MMSeg configs use, from
downstream/openmmlab/backbone.py) and `SeedLastStage` in MMDetection's MODELS registry.
Importing it imports mmdet, mmengine and mmcv; `import seed` and `import downstream` never do.
"""
from mmdet.registry import MODELS

from downstream.mmdet.shared_head import SeedLastStage
from downstream.openmmlab.backbone import SeedTIMMBackbone

MODELS.register_module(module=SeedTIMMBackbone)
MODELS.register_module(module=SeedLastStage)

__all__ = ["SeedLastStage", "SeedTIMMBackbone"]
