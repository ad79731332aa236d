"""configs/detection: MoCo's recipe and the SEED/DisCo settings, one file per student family and schedule."""
from __future__ import annotations

import pytest
from conftest import REPO

from downstream.detectron2.config import student_cfg
from downstream.detectron2.families import family_of

FOLDER = REPO / "configs" / "detection"
ARCHS = ["efficientnet_b0", "efficientnet_b1", "mobilenetv3_large_100", "resnet18", "resnet34"]
LEAVES = sorted(path for path in FOLDER.rglob("*.yaml") if not path.name.startswith("Base-"))


def load(path):
    cfg = student_cfg()
    cfg.merge_from_file(str(path))
    return cfg


def arch_of(path) -> str:
    return next(arch for arch in ARCHS if path.stem.endswith("_" + arch))


def test_every_student_family_has_every_recipe():
    stems = {path.stem for path in LEAVES}
    for arch in ARCHS:
        for recipe in ("faster_rcnn_c4_24k", "faster_rcnn_c4_48k", "mask_rcnn_c4_1x", "mask_rcnn_c4_2x",
                       "mask_rcnn_c4_disco", "mask_rcnn_fpn_1x", "mask_rcnn_fpn_2x"):
            assert f"{recipe}_{arch}" in stems
    assert len(LEAVES) == 35


@pytest.mark.parametrize("path", LEAVES, ids=lambda p: p.stem)
def test_a_leaf_selects_its_students_backbone_and_moco_recipe(path):
    cfg = load(path)
    arch, variant = arch_of(path), "fpn" if "_fpn_" in path.stem else "c4"
    expected = family_of(arch).settings(arch, variant)
    for key, value in zip(expected[::2], expected[1::2]):
        node = cfg
        for part in key.split("."):
            node = node[part]
        assert node == value, key
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
    voc = path.parent.name == "voc"
    assert cfg.RESULTS.DATASET == ("voc07+12" if voc else "coco")
    assert cfg.RESULTS.PRIMARY_METRIC == ("AP50" if voc else "AP")
    assert cfg.MODEL.MASK_ON != voc


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
    cfg = load(FOLDER / f"{recipe}_resnet18.yaml")
    s = cfg.SOLVER
    assert (s.IMS_PER_BATCH, s.BASE_LR, s.MAX_ITER, tuple(s.STEPS), s.WARMUP_ITERS) == solver
    assert (min(cfg.INPUT.MIN_SIZE_TRAIN), max(cfg.INPUT.MIN_SIZE_TRAIN)) == min_sizes
    assert cfg.INPUT.MIN_SIZE_TEST == 800
