"""The chain a user walks with a ViT student: the shipped DINOv2 ViT-B/14 -> ViT-S/16 SEED config, distilled
2 steps (64-px crops and 32-px small crops) from a DINOv2-layout teacher file, converted, then 2 training
iterations of Detectron2's ViTDet Mask R-CNN, MMDetection's Mask R-CNN FPN (through the simple pyramid)
and MMSegmentation's UPerNet + MultiLevelNeck from the shipped recipes. Nothing names the network or
a channel count: the student file decides. Fixtures and helpers are test_student_chain.py's."""
from __future__ import annotations

import json
from pathlib import Path

import official_vits as official
import pytest
import torch
from conftest import REPO, make_image_folder
from eval_fixtures import write_imagenet_folder
from test_mmdet_train import tiny_config as tiny_mmdet_config
from test_mmseg_train import tiny_config as tiny_mmseg_config
from test_mmseg_train import write_ade20k
from test_student_chain import ARCH_WORDS, D2_TINY, data, run_openmmlab  # noqa: F401 - `data` is a fixture

from mmdet.registry import MODELS as MMDET_MODELS
from mmengine.registry import DefaultScope

import downstream.mmdet  # noqa: F401 - registers our MMDetection modules
from downstream.detectron2.config import student_cfg
from downstream.detectron2.train import Trainer
from seed.config import load_config as load_distill_config
from seed.cli import main as seed_main
from seed.engine.trainer import distill
from seed.errors import InputError
from seed.models.converters import convert

pytestmark = pytest.mark.slow

CONFIG = REPO / "configs/distill/seed/dinov2-vitb14_vit_small_patch16_224.yaml"
ARCH = "vit_small_patch16_224"  # what CONFIG trains, checked against what each consumer built


@pytest.fixture(scope="module")
def student(tmp_path_factory) -> dict[str, Path]:
    """The ViT-S student of CONFIG, 2 SEED steps from a tiny DINOv2 (registers) file, converted for each library."""
    root = tmp_path_factory.mktemp("vit-student")
    images = make_image_folder(root / "images", classes=2, per_class=8, size=64)
    torch.manual_seed(0)
    teacher = official.randomise(official.dinov2_hub(registers=4, embed_dim=64, depth=1, num_heads=1))
    torch.save(teacher.state_dict(), root / "dinov2_vits14_reg4_pretrain.pth")
    cfg = load_distill_config(CONFIG, [
        f"data.path={images}", "data.batch_size=4", "data.workers=0", "data.augmentation.size=64",
        "data.augmentation.small_size=32", "objective.params.small_views=2", "objective.params.queue_size=16",
        f"teacher.checkpoint={root / 'dinov2_vits14_reg4_pretrain.pth'}", "teacher.arch=auto",
        "train.max_steps=2", "train.device=cpu", "train.progress=false", f"train.output_dir={root / 'run'}"])
    files = {"student": Path(distill(cfg).student_path)}
    for target, suffix in (("d2", ".pkl"), ("mmdet", ".mmdet.pth"), ("mmseg", ".mmseg.pth")):
        files[target] = files["student"].with_name(f"student{suffix}")
        files[f"{target}-report"] = convert(target, files["student"], files[target])
    return files


def test_the_student_file_records_a_vit_that_follows_the_crop_size(student):
    record = torch.load(student["student"], weights_only=True)
    assert (record["arch"], record["arch_kwargs"]) == (ARCH, {"dynamic_img_size": True})
    assert "configs/detection/coco/mask_rcnn_vitdet_1x.yaml" in student["d2-report"]
    assert "upernet-mln_vit-student" in student["mmseg-report"] and "student_fpn" in student["mmdet-report"]


def test_detectron2_vitdet_recipe_trains_the_vit_student_from_its_file(student, data, tmp_path):
    overrides = ["MODEL.WEIGHTS", str(student["d2"]), "OUTPUT_DIR", str(tmp_path),
                 "DATASETS.TRAIN", "('chain_coco',)", *D2_TINY]
    assert not any(word in str(overrides) for word in ARCH_WORDS + ("vit_", "small", "384"))
    cfg = student_cfg()
    cfg.merge_from_file(str(REPO / "configs/detection/coco/mask_rcnn_vitdet_1x.yaml"))
    cfg.merge_from_list(overrides)
    trainer = Trainer(cfg)
    trainer.resume_or_load(resume=False)  # raises if a student weight stayed random
    trainer.train()
    assert trainer.iter == 2
    assert trainer.model.backbone.net.student.default_cfg["architecture"] == ARCH.split(".")[0]


def test_mmdetection_fpn_recipe_trains_the_vit_student_through_the_simple_pyramid(student, data, tmp_path):
    tiny = tiny_mmdet_config(REPO / "configs/mmdet/mask-rcnn/mask-rcnn_student_fpn_8xb2-1x_coco.py", tmp_path)
    runner = run_openmmlab("mmdet", tiny, student["mmdet"], data["coco"], tmp_path / "work")
    assert runner.iter == 2
    assert runner.model.backbone.model_name == ARCH and runner.model.backbone.pyramid is not None


def test_mmsegmentation_upernet_vit_recipe_trains_the_vit_student(student, tmp_path):
    config = REPO / "configs/segmentation/upernet/upernet-mln_vit-student_8xb2-80k_ade20k-512x512.py"
    runner = run_openmmlab("mmseg", tiny_mmseg_config(config, tmp_path), student["mmseg"],
                           write_ade20k(tmp_path / "data"), tmp_path / "work")
    assert runner.iter == 2
    assert runner.model.backbone.model_name == ARCH
    assert runner.model.neck.__class__.__name__ == "MultiLevelNeck"


def test_seed_eval_knn_reads_the_vit_student_at_its_own_size(student, tmp_path):
    write_imagenet_folder(tmp_path / "imagenet", classes=2, train_per_class=4, val_per_class=2)
    code = seed_main(["eval", "knn", "--model", str(student["student"]), "--data", str(tmp_path / "imagenet"),
                      "--dataset", "imagenet", "--output", str(tmp_path / "results"), "--name", "vit",
                      f"features.cache_dir={tmp_path / 'cache'}", "features.workers=0", "features.batch_size=8",
                      "knn.ks=[3]"])
    assert code == 0
    record = json.loads((tmp_path / "results" / "vit__knn__imagenet__val.json").read_text())
    assert 0.0 <= record["metrics"]["top1"] <= 100.0
    assert record["config"]["transform"]["image_size"] == 64  # the crop size the student file records


def test_mmdetection_c4_refuses_the_vit_student_naming_why(student):
    from_file = dict(type="Pretrained", checkpoint=str(student["mmdet"]))
    with DefaultScope.overwrite_default_scope("mmdet"), pytest.raises(InputError, match=ARCH):
        MMDET_MODELS.build(dict(type="SeedLastStage", init_cfg=from_file))
