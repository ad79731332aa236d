"""ViT students: distilled at any crop size, and the pieces that give a plain ViT (one stride-16 map) to
detection and segmentation heads: ViTDet's pyramid in Detectron2, the simple pyramid in SeedTIMMBackbone,
MMSeg's MultiLevelNeck with channels read from the student. The whole chain: test_vit_chain.py."""
from __future__ import annotations

import math

import pytest
import torch
from conftest import REPO, tiny_config, write_teacher
from mmengine.config import Config
from test_objectives import OBJECTIVE_RUNS

import downstream.detectron2  # noqa: F401  (registers the ViTDet backbones)
from detectron2.modeling import build_backbone as build_d2_backbone
from downstream.detectron2.config import family_config, model_config, student_cfg
from downstream.openmmlab.backbone import SeedTIMMBackbone, backbone_channels
from downstream.openmmlab.channels import segmentor_channels
from seed.config import StudentConfig
from seed.engine.trainer import distill
from seed.models import load_encoder
from seed.errors import InputError, UnknownNameError
from seed.models.students import build_student, student_kwargs

VIT = "vit_tiny_patch16_224"


def test_a_vit_student_takes_224_px_and_small_crops_and_records_how():
    student = build_student(StudentConfig(arch=VIT), embed_dim=16)
    with torch.no_grad():
        for size in (224, 96, 64, 32):
            assert student(torch.randn(2, 3, size, size)).shape == (2, 16)
    assert student_kwargs(StudentConfig(arch=VIT)) == {"dynamic_img_size": True}
    assert student_kwargs(StudentConfig(arch="resnet18", kwargs={"drop_rate": 0.1})) == {"drop_rate": 0.1}


def test_vitdet_backbone_gives_p2_to_p6_from_the_vit_map_and_pads_images_to_32():
    backbone = build_d2_backbone(model_config(VIT, "vitdet")).eval()
    assert backbone.size_divisibility == 32
    with torch.no_grad():
        maps = backbone(torch.zeros(1, 3, 64, 96))
    assert {name: tuple(m.shape[-2:]) for name, m in maps.items()} == {
        "p2": (16, 24), "p3": (8, 12), "p4": (4, 6), "p5": (2, 3), "p6": (1, 2)}
    assert backbone.net.student.blocks[0].attn.qkv.in_features == 192


def test_a_vit_in_a_c4_recipe_and_a_cnn_in_the_vitdet_recipe_are_refused_naming_a_recipe_that_fits(tmp_path):
    for arch, recipe, variant, fits in ((VIT, "voc/faster_rcnn_c4_24k.yaml", "c4", "mask_rcnn_vitdet_1x"),
                                        ("resnet18", "coco/mask_rcnn_vitdet_1x.yaml", "vitdet", "faster_rcnn_c4")):
        cfg = student_cfg()
        cfg.merge_from_file(str(REPO / "configs/detection" / recipe))
        cfg.MODEL.WEIGHTS = str(write_teacher(tmp_path / f"{arch}.pth", arch=arch))
        with pytest.raises(UnknownNameError, match=f"'{arch}'.*no '{variant}' detection backbone.*{fits}"):
            family_config(cfg, variant)


def test_vitdet_refuses_a_vit_whose_patch_is_not_16():
    with pytest.raises(InputError, match="stride-16 map.*'vit_small_patch14_dinov2' gives stride 14"):
        build_d2_backbone(model_config("vit_small_patch14_dinov2", "vitdet"))


def test_seed_timm_backbone_gives_a_vit_a_simple_pyramid_at_the_strides_asked():
    config = dict(type="SeedTIMMBackbone", model_name=VIT, out_strides=(4, 8, 16, 32))
    backbone = SeedTIMMBackbone(model_name=VIT, out_strides=(4, 8, 16, 32)).eval()
    with torch.no_grad():
        maps = backbone(torch.zeros(1, 3, 64, 64))
    assert [tuple(m.shape[1:]) for m in maps] == [(48, 16, 16), (96, 8, 8), (192, 4, 4), (192, 2, 2)]
    assert backbone_channels(config) == [48, 96, 192, 192]


def test_a_dilated_cnn_recipe_refuses_a_vit_naming_the_vit_recipe():
    with pytest.raises(InputError, match="plain ViT.*no output_stride.*upernet-mln_vit-student"):
        SeedTIMMBackbone(model_name=VIT, out_strides=(4, 8, 16, 32), output_stride=16)


def test_the_vit_segmentation_recipe_reads_neck_and_head_channels_from_the_student(tmp_path):
    cfg = Config.fromfile(str(REPO / "configs/segmentation/upernet/upernet-mln_vit-student_8xb2-80k_ade20k-512x512.py"))
    cfg.model.backbone.init_cfg.checkpoint = str(write_teacher(tmp_path / "student.pth", arch=VIT))
    model = segmentor_channels(cfg.model)
    assert (model["neck"]["in_channels"], model["neck"]["out_channels"]) == ([192] * 4, 192)
    assert (model["decode_head"]["in_channels"], model["auxiliary_head"]["in_channels"]) == ([192] * 4, 192)


def test_heads_after_a_neck_of_unknown_channels_must_name_theirs():
    model = dict(backbone=dict(type="SeedTIMMBackbone", model_name=VIT, out_indices=(-1,)),
                 neck=dict(type="SomeNeck"), decode_head=dict(in_channels="auto"))
    with pytest.raises(InputError, match="decode_head in_channels='auto' after a neck.*'SomeNeck'"):
        segmentor_channels(model)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["seed", "disco", "crd", "compress-1q"])  # crd and compress build their own students
def test_each_objective_distils_a_vit_student_on_its_class_token(tmp_path, name):
    overrides = OBJECTIVE_RUNS.get(name, ["objective.params.queue_size=16"])
    cfg = tiny_config(tmp_path, f"objective.name={name}", f"student.arch={VIT}", "train.max_steps=1", *overrides)
    result = distill(cfg)
    assert result.steps == 1 and math.isfinite(result.final_loss)
    encoder, _ = load_encoder(result.student_path)  # rebuilt as recorded: any crop size
    assert encoder.backbone.global_pool == "token"
    with torch.no_grad():
        assert encoder(torch.randn(2, 3, 48, 48)).shape[0] == 2
