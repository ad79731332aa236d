"""MMDetection integration: distilled students as MMDetection backbones, the C4 last-stage shared
head, conversion, train and test.

A config's `custom_imports=dict(imports=['downstream.mmdet'], allow_failed_imports=False)` imports
this package, which registers `SeedTIMMBackbone` (the very class MMSeg configs use, from
downstream/openmmlab/backbone.py), `SeedLastStage` and `SeedDetector` (heads' channels from the
student) in MMDetection's MODELS registry.
Importing it imports mmdet, mmengine and mmcv; `import seed` and `import downstream` never do.
Their import-time torch.jit.script deprecation warnings are hidden here, once.
"""
from seed.utils.quiet import TORCH_JIT_SCRIPT, without_warning

with without_warning(TORCH_JIT_SCRIPT):
    import mmengine.runner  # noqa: F401  (mmdet.models is not imported: it would import detectron2 if present)
    from mmdet.registry import MODELS

from downstream.mmdet import detector  # noqa: E402,F401  (registers SeedDetector)
from downstream.mmdet.shared_head import SeedLastStage  # noqa: E402
from downstream.openmmlab.backbone import SeedTIMMBackbone  # noqa: E402

MODELS.register_module(module=SeedTIMMBackbone)
MODELS.register_module(module=SeedLastStage)

__all__ = ["SeedLastStage", "SeedTIMMBackbone"]
