"""MMSegmentation integration: distilled students as MMSeg backbones, conversion, train and test.

A config's `custom_imports=dict(imports=['downstream.mmseg'], allow_failed_imports=False)`
imports this package, which registers `SeedTIMMBackbone` in MMSeg's MODELS registry.
Importing it imports mmseg, mmengine and mmcv; `import seed` and `import downstream` never do.
"""
from downstream.mmseg.backbone import SeedTIMMBackbone

__all__ = ["SeedTIMMBackbone"]
