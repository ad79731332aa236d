"""Distilled students inside Detectron2: backbones, the C4 last-stage ROI head, conversion, training glue.

Importing this package registers `build_timm_backbone` and `build_timm_fpn_backbone` in
Detectron2's BACKBONE_REGISTRY and `LastStageROIHeads` in its ROI_HEADS_REGISTRY. It imports
Detectron2, so only `seed convert --to d2` and the tools import it; `import seed` and
`import downstream` never do.
"""
from downstream.detectron2 import backbone, roi_heads  # noqa: F401  (registers our parts)
