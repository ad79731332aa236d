"""Students: any timm model, with the official SEED projection head on top."""
from __future__ import annotations

from seed.config import StudentConfig
from seed.errors import UnknownNameError
from seed.models.encoder import Encoder, backbone_feature_dim, projection_head
from seed.models.pretrained import build_backbone, timm_defaults


def student_kwargs(cfg: StudentConfig) -> dict:
    """The timm options the student is built with (its family's defaults, then `cfg.kwargs`): what its
    file records, so every consumer rebuilds the same network (e.g. a ViT that follows the crop size)."""
    return {**timm_defaults(cfg.arch), **cfg.kwargs}


def build_student(cfg: StudentConfig, embed_dim: int) -> Encoder:
    """timm `cfg.arch` (num_classes=0, random init) + Linear(d, h)-ReLU-Linear(h, embed_dim).

    `embed_dim` is the teacher embedding's size unless `cfg.embed_dim` overrides it;
    `cfg.hidden_dim` defaults to d as in the official code (DisCo widens it).
    """
    try:
        backbone = build_backbone(cfg.arch, student_kwargs(cfg))
    except KeyError as error:
        raise UnknownNameError(f"student.arch: {error.args[0]} (e.g. efficientnet_b0, mobilenetv3_large_100, "
                               "resnet18; see timm.list_models())") from None
    features = backbone_feature_dim(backbone)
    head = projection_head(features, cfg.hidden_dim or features, cfg.embed_dim or embed_dim)
    return Encoder(backbone, head, cfg.arch)
