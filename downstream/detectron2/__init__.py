"""Distilled students inside Detectron2: backbones, the C4 last-stage ROI head, conversion, training glue.

Importing this package registers `build_timm_backbone` and `build_timm_fpn_backbone` in
Detectron2's BACKBONE_REGISTRY, `LastStageROIHeads` in its ROI_HEADS_REGISTRY and the digit
scenes in its DatasetCatalog. It imports
Detectron2, so only `seed convert --to d2` and the tools import it; `import seed` and
`import downstream` never do. Every module of the package imports Detectron2 after this file,
so its import-time torch.jit.script deprecation warnings are hidden here, once.
"""
from seed.utils.quiet import TORCH_JIT_SCRIPT, without_warning

with without_warning(TORCH_JIT_SCRIPT):
    import detectron2.engine  # noqa: F401  (pulls in modeling, fvcore and the rest)

from downstream.detectron2 import backbone, digit_scenes, roi_heads  # noqa: E402,F401  (registers our parts, data sets)
