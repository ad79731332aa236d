"""Students as Detectron2 backbones: output_shape() tells the truth, NORM and FREEZE_AT do what they say."""
from __future__ import annotations

import logging

import pytest
import torch
from detectron2.modeling import BACKBONE_REGISTRY, ROI_HEADS_REGISTRY, build_backbone
from torch import nn

from downstream.detectron2.backbone import TimmBackbone
from downstream.detectron2.config import model_config
from downstream.detectron2.norm import apply_norm
from downstream.timm_net import STAGES, LastStage, create, spatial_trunk
from seed.errors import SeedError

ARCHS = ["efficientnet_b0", "efficientnet_b1", "mobilenetv3_large_100", "resnet18", "resnet34", "resnet50"]
HEIGHT, WIDTH = 64, 96  # not square, so a swapped height and width would show


def assert_shapes_match(backbone, outputs: dict[str, torch.Tensor]) -> None:
    shapes = backbone.output_shape()
    assert sorted(outputs) == sorted(shapes)
    for name, tensor in outputs.items():
        stride = shapes[name].stride
        assert tensor.shape[1] == shapes[name].channels, name
        assert tuple(tensor.shape[2:]) == (-(-HEIGHT // stride), -(-WIDTH // stride)), (name, stride)


@pytest.mark.parametrize("variant", ["c4", "fpn"])
@pytest.mark.parametrize("arch", ARCHS)
def test_the_recipes_backbone_output_shape_matches_forward(arch, variant):
    backbone = build_backbone(model_config(arch, variant)).eval()
    with torch.no_grad():
        outputs = backbone(torch.randn(1, 3, HEIGHT, WIDTH))
    assert_shapes_match(backbone, outputs)
    expected = ["res4"] if variant == "c4" else ["p2", "p3", "p4", "p5", "p6"]
    assert sorted(outputs) == expected


@pytest.mark.parametrize("arch", ARCHS)
def test_any_timm_student_gives_res2_to_res5_at_their_true_strides(arch):
    backbone = TimmBackbone(arch, list(STAGES)).eval()
    with torch.no_grad():
        outputs = backbone(torch.randn(1, 3, HEIGHT, WIDTH))
    assert_shapes_match(backbone, outputs)
    assert {name: spec.stride for name, spec in backbone.output_shape().items()} == \
        {"res2": 4, "res3": 8, "res4": 16, "res5": 32}


def test_our_parts_are_in_detectron2s_registries():
    assert "build_timm_backbone" in BACKBONE_REGISTRY
    assert "build_timm_fpn_backbone" in BACKBONE_REGISTRY
    assert "LastStageROIHeads" in ROI_HEADS_REGISTRY


def test_c4_backbone_stops_at_res4_so_the_last_stage_lives_only_in_the_roi_head():
    backbone = TimmBackbone("efficientnet_b0", ["res4"])
    assert not any(key.startswith(("student.blocks.5.", "student.blocks.6.", "student.conv_head."))
                   for key in backbone.state_dict())


def test_syncbn_on_one_process_stays_batchnorm_and_says_so(caplog):
    logger = logging.getLogger("detectron2.students")  # Detectron2's setup_logger stops propagation
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger=logger.name):
            model = apply_norm(create("mobilenetv3_small_050"), "SyncBN", world_size=1)
    finally:
        logger.removeHandler(caplog.handler)
    assert not any(isinstance(m, nn.SyncBatchNorm) for m in model.modules())
    assert "single process" in caplog.text


def test_syncbn_on_several_processes_converts_every_batchnorm():
    model = apply_norm(create("mobilenetv3_small_050"), "SyncBN", world_size=2)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert norms and all(isinstance(m, nn.SyncBatchNorm) for m in norms)


def test_frozen_bn_keeps_the_activation_and_learns_nothing():
    backbone = TimmBackbone("efficientnet_b0", list(STAGES), norm="FrozenBN")
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in backbone.modules())
    reference = TimmBackbone("efficientnet_b0", list(STAGES), norm="BN")
    reference.load_state_dict(backbone.state_dict(), strict=False)
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    image = torch.randn(2, 3, HEIGHT, WIDTH)
    with torch.no_grad():
        frozen = backbone.train()(image)["res5"]
        evaluated = reference.eval()(image)["res5"]
    torch.testing.assert_close(frozen, evaluated)  # FrozenBN in training == BN in eval (activations kept)
    assert all(torch.equal(before[k], v) for k, v in backbone.state_dict().items())


def test_an_unknown_norm_is_refused_by_its_config_key():
    with pytest.raises(ValueError, match="MODEL.TIMM.NORM"):
        TimmBackbone("resnet18", ["res4"], norm="GN")


@pytest.mark.parametrize("arch, frozen, trainable", [
    ("resnet18", ["conv1.", "layer1."], ["layer2."]),
    ("efficientnet_b0", ["conv_stem.", "blocks.0.", "blocks.2."], ["blocks.3.", "blocks.4."]),
])
def test_freeze_at_freezes_through_that_stage(arch, frozen, trainable):
    backbone = TimmBackbone(arch, ["res4"], freeze_at=3 if arch.startswith("efficientnet") else 2)
    parameters = dict(backbone.student.named_parameters())
    assert all(not p.requires_grad for name, p in parameters.items() if name.startswith(tuple(frozen)))
    assert all(p.requires_grad for name, p in parameters.items() if name.startswith(tuple(trainable)))
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm)
                   for name, m in backbone.student.named_modules() if name.startswith(tuple(frozen)))


def test_out_features_outside_res2_to_res5_are_refused():
    with pytest.raises(ValueError, match="MODEL.TIMM.OUT_FEATURES"):
        TimmBackbone("resnet18", ["res6"])


def test_a_timm_model_without_a_stride_pyramid_is_refused_by_name():
    with pytest.raises(ValueError, match="vit_tiny_patch16_224.*strides"):
        TimmBackbone("vit_tiny_patch16_224", ["res4"])


@pytest.mark.parametrize("arch, pre_logits", [("efficientnet_b0", "conv_head"), ("mobilenetv3_large_100", None)])
def test_the_last_stage_keeps_what_forward_features_runs_and_nothing_after(arch, pre_logits):
    """timm's prune_head=True would drop EfficientNet's conv_head + bn2 (forward_features runs them);
    MobileNetV3's conv_head comes after pooling, so the stage must not hold it."""
    stage = LastStage(arch, "Detectron2 C4 (LastStageROIHeads)")
    modules = dict(stage.student.named_children())
    assert stage.channels == create(arch).num_features
    if pre_logits:
        assert sum(p.numel() for p in modules[pre_logits].parameters()) > 0
    else:
        assert not list(modules["conv_head"].parameters()) and not list(modules["classifier"].parameters())
    assert not list(modules["conv_stem"].parameters())  # the stride-16 backbone ran it


def test_a_network_without_timms_feature_api_is_refused_naming_family_and_consumer():
    with pytest.raises(SeedError, match=r"MMDetection C4 \(SeedLastStage\): .*torch\.nn\.modules\.conv\.Conv2d"
                                        r".* prune_intermediate_layers, forward_intermediates"):
        spatial_trunk(nn.Conv2d(3, 8, 3), "conv", "MMDetection C4 (SeedLastStage)")
