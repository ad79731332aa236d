"""configs/detection: MoCo's recipe and the SEED/DisCo settings, one file per recipe for every student."""
from __future__ import annotations

import pytest
import torch
from conftest import REPO, write_teacher

from downstream.detectron2.config import family_config, student_cfg
from downstream.detectron2.families import family_of
from seed.errors import InputError
from seed.models.pretrained import build_backbone

FOLDER = REPO / "configs" / "detection"
RECIPES = ["voc/faster_rcnn_c4_24k", "voc/faster_rcnn_c4_48k", "coco/mask_rcnn_c4_1x", "coco/mask_rcnn_c4_2x",
           "coco/mask_rcnn_c4_disco", "coco/mask_rcnn_fpn_1x", "coco/mask_rcnn_fpn_2x", "coco/mask_rcnn_vitdet_1x",
           "digits/faster_rcnn_c4_digits", "digits/mask_rcnn_fpn_digits"]  # the last two: CPU-sized, for the digit scenes
DATASETS = {"voc": "voc07+12", "coco": "coco", "digits": "digit-scenes"}
LEAVES = sorted(path for path in FOLDER.rglob("*.yaml") if not path.name.startswith("Base-"))
MOCO_LEAVES = [path for path in LEAVES if "_vitdet_" not in path.stem]  # CNN students: MoCo's recipe


def load(path):
    cfg = student_cfg()
    cfg.merge_from_file(str(path))
    return cfg


def test_there_is_one_file_per_recipe_and_none_names_a_network():
    assert sorted(str(path.relative_to(FOLDER))[:-5] for path in LEAVES) == sorted(RECIPES)
    for path in FOLDER.rglob("*.yaml"):
        text = path.read_text()
        assert "DEPTH" not in text and "CHANNELS" not in text, path


@pytest.mark.parametrize("path", MOCO_LEAVES, ids=lambda p: p.stem)
def test_a_recipe_reads_the_student_from_its_weights_and_keeps_mocos_recipe(path):
    cfg = load(path)
    variant = "fpn" if "_fpn_" in path.stem else "c4"
    assert cfg.MODEL.TIMM.ARCH == "auto"
    assert cfg.MODEL.BACKBONE.NAME == ("build_student_fpn_backbone" if variant == "fpn" else "build_student_backbone")
    # MoCo's recipe: RGB with torchvision's mean/std, SyncBN, nothing frozen, precise BN
    assert cfg.INPUT.FORMAT == "RGB"
    assert list(cfg.MODEL.PIXEL_MEAN) == [123.675, 116.280, 103.530]
    assert list(cfg.MODEL.PIXEL_STD) == [58.395, 57.120, 57.375]
    assert cfg.MODEL.RESNETS.NORM == cfg.MODEL.TIMM.NORM == "SyncBN"
    assert cfg.MODEL.BACKBONE.FREEZE_AT == 0 and cfg.TEST.PRECISE_BN.ENABLED
    assert not cfg.MODEL.RESNETS.STRIDE_IN_1X1
    if variant == "c4":
        assert cfg.MODEL.ROI_HEADS.NAME == "LastStageROIHeads" and cfg.MODEL.ROI_HEADS.EXTRA_NORM
    else:
        assert cfg.MODEL.FPN.NORM == cfg.MODEL.ROI_BOX_HEAD.NORM == cfg.MODEL.ROI_MASK_HEAD.NORM == "SyncBN"
    assert cfg.RESULTS.DATASET == DATASETS[path.parent.name]
    # Faster R-CNN on VOC-style boxes: AP50; Mask R-CNN on COCO-style instances: AP (box and mask)
    assert cfg.RESULTS.PRIMARY_METRIC == ("AP" if cfg.MODEL.MASK_ON else "AP50")
    assert cfg.MODEL.MASK_ON == (variant == "fpn" or path.parent.name == "coco")


@pytest.mark.parametrize("arch", ["resnet34", "tf_efficientnet_b0_seed"])
@pytest.mark.parametrize("variant", ["c4", "fpn"])
def test_auto_picks_the_family_backbone_of_the_network_the_file_records(tmp_path, arch, variant):
    cfg = load(FOLDER / ("coco/mask_rcnn_fpn_1x.yaml" if variant == "fpn" else "voc/faster_rcnn_c4_24k.yaml"))
    cfg.MODEL.WEIGHTS = str(write_teacher(tmp_path / "student.pth", arch=arch))
    chosen = family_config(cfg, variant)
    expected = family_of(arch).settings(arch, variant)
    for key, value in zip(expected[::2], expected[1::2]):
        node = chosen
        for part in key.split("."):
            node = node[part]
        assert node == value, key


def test_auto_without_weights_or_with_a_file_that_records_no_network_names_the_setting(tmp_path):
    cfg = load(FOLDER / "voc/faster_rcnn_c4_24k.yaml")
    with pytest.raises(InputError, match="MODEL.TIMM.ARCH='auto'.*none is given"):
        family_config(cfg, "c4")
    bare = tmp_path / "bare.pth"
    torch.save(build_backbone("resnet18").state_dict(), bare)  # a bare state dict: no architecture recorded
    cfg.MODEL.WEIGHTS = str(bare)
    with pytest.raises(InputError, match=f"{bare}: records no architecture.*MODEL.TIMM.ARCH"):
        family_config(cfg, "c4")


@pytest.mark.parametrize("recipe, solver, min_sizes", [
    ("voc/faster_rcnn_c4_24k", (16, 0.02, 24000, (18000, 22000), 100), (480, 800)),
    ("voc/faster_rcnn_c4_48k", (32, 0.1, 48000, (18000, 22200), 200), (400, 800)),
    ("coco/mask_rcnn_c4_1x", (16, 0.02, 90000, (60000, 80000), 1000), (640, 800)),
    ("coco/mask_rcnn_c4_2x", (16, 0.02, 180000, (120000, 160000), 1000), (640, 800)),
    ("coco/mask_rcnn_c4_disco", (16, 0.11, 180000, (120000, 160000), 1000), (600, 800)),
    ("coco/mask_rcnn_fpn_1x", (16, 0.02, 90000, (60000, 80000), 1000), (640, 800)),
    ("coco/mask_rcnn_fpn_2x", (16, 0.02, 180000, (120000, 160000), 1000), (640, 800)),
])
def test_schedules_are_the_papers(recipe, solver, min_sizes):
    cfg = load(FOLDER / f"{recipe}.yaml")
    s = cfg.SOLVER
    assert (s.IMS_PER_BATCH, s.BASE_LR, s.MAX_ITER, tuple(s.STEPS), s.WARMUP_ITERS) == solver
    assert (min(cfg.INPUT.MIN_SIZE_TRAIN), max(cfg.INPUT.MIN_SIZE_TRAIN)) == min_sizes
    assert cfg.INPUT.MIN_SIZE_TEST == 800
