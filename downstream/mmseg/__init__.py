"""MMSegmentation integration: distilled students as MMSeg backbones, conversion, train and test.

A config's `custom_imports=dict(imports=['downstream.mmseg'], allow_failed_imports=False)`
imports this package, which registers `SeedTIMMBackbone` and `SeedSegmentor` (heads' channels
from the student) in MMSeg's MODELS registry.
Importing it imports mmseg, mmengine and mmcv; `import seed` and `import downstream` never do.
Every module of the package imports them after this file, so their import-time torch.jit.script
deprecation warnings are hidden here, once.
"""
from seed.utils.quiet import TORCH_JIT_SCRIPT, without_warning

with without_warning(TORCH_JIT_SCRIPT):
    import mmseg.models  # noqa: F401  (pulls in mmcv and mmengine)
    import mmengine.runner  # noqa: F401

from downstream.mmseg import segmentor  # noqa: E402,F401  (registers SeedSegmentor)
from downstream.mmseg.backbone import SeedTIMMBackbone  # noqa: E402

__all__ = ["SeedTIMMBackbone"]
