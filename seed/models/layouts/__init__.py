"""Published checkpoint layouts: which file holds which network where, and how to read it.

Detection tries the layouts by `priority` (seed.models.layouts.base), lowest first:

    10 seed            this project's files: a `format` key
    20 moco            `state_dict` with `module.encoder_q.*`
    30 swav            `module.projection_head.*` / `module.prototypes.*`
    40 simclr          `state_dict` with torchvision names
    50 seed-official   `state_dict` with `module.student.*`
    60 dino-vit        a flat ViT state dict without `mask_token`
    70 dinov2          a flat ViT state dict with `mask_token`, or a `teacher` dict holding one
    80 dino            `teacher` and `student` dicts (after dinov2, whose training files have a `teacher`)
    90 mocov3          `state_dict` with `module.base_encoder.*`
  1000 torchvision     any flat state dict (after dino-vit and dinov2, which are flat too)
     - dino-student    named only

`seed.models.layouts.detection_order()` gives the live order, extensions included.
"""
from seed.models.layouts.base import (LAYOUTS, Layout, Weights, detect_layout, detection_order, is_tensor_dict,
                                      load_checkpoint_weights, prefixed_fc_layout, register_layout, split_head,
                                      with_prefix)
from seed.models.layouts import convnets, official, vits  # noqa: F401,E402 - register the layouts

__all__ = ["LAYOUTS", "Layout", "Weights", "detect_layout", "detection_order", "is_tensor_dict",
           "load_checkpoint_weights", "prefixed_fc_layout", "register_layout", "split_head", "with_prefix"]
