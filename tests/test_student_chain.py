"""The chain a user walks, for every student architecture of the paper configs: distil (2 steps),
convert, then build and train 2 iterations of Detectron2 C4 and FPN, MMDetection C4 and FPN and
MMSegmentation FCN from the shipped recipe configs. Nothing names the network or a channel count:
the student file decides. The data overrides (tiny images, batch, iterations) are the only ones."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import REPO, make_image_folder, write_teacher
from detection_fixtures import write_coco, write_voc
from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.data.datasets import register_coco_instances, register_pascal_voc
from detectron2.data.datasets.builtin_meta import COCO_CATEGORIES
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from test_mmdet_train import tiny_config as tiny_mmdet_config
from test_mmseg_train import tiny_config as tiny_mmseg_config
from test_mmseg_train import write_voc as write_segmentation_voc

from downstream.detectron2.config import student_cfg
from downstream.detectron2.train import Trainer
from downstream.openmmlab.runner import load_config
from seed.config import load_config as load_distill_config
from seed.engine.trainer import distill
from seed.models.converters import convert

pytestmark = pytest.mark.slow

FAMILY_CONFIGS = {"dinov2-vitb14_convnext_atto.yaml", "dinov2-vitb14_mobilenetv4_conv_small.yaml"}  # their students
# go through every consumer in test_student_families.py
PAPER_CONFIGS = sorted(path for path in (REPO / "configs/distill/seed").glob("*.yaml")
                       if path.name not in FAMILY_CONFIGS) + sorted((REPO / "configs/distill/mocov2").glob("*.yaml"))


def student_arch(config: Path) -> str:
    return yaml.safe_load(config.read_text())["student"]["arch"]


FIRST_CONFIG = {}  # each distinct student architecture -> the first paper config that trains it
for _config in PAPER_CONFIGS:
    if not student_arch(_config).startswith("vit_"):  # ViT students have their own recipes: test_vit_chain.py
        FIRST_CONFIG.setdefault(student_arch(_config), _config)
ARCHS = sorted(FIRST_CONFIG)

D2_TINY = [  # 64-px images, batch 2, 2 iterations, few regions, no evaluation: data and schedule only
    "INPUT.MIN_SIZE_TRAIN", "(64,)", "INPUT.MAX_SIZE_TRAIN", "128", "SOLVER.IMS_PER_BATCH", "2",
    "SOLVER.MAX_ITER", "2", "SOLVER.STEPS", "()", "SOLVER.WARMUP_ITERS", "1", "SOLVER.BASE_LR", "0.001",
    "DATALOADER.NUM_WORKERS", "0", "TEST.PRECISE_BN.ENABLED", "False", "DATASETS.TEST", "()",
    "MODEL.RPN.PRE_NMS_TOPK_TRAIN", "200", "MODEL.RPN.POST_NMS_TOPK_TRAIN", "50",
    "MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE", "32", "MODEL.DEVICE", "cpu",
]
ARCH_WORDS = ("resnet", "efficientnet", "mobilenet", "ARCH", "model_name", "channels", "DEPTH")


def test_the_paper_configs_train_these_distinct_students():
    assert ARCHS == ["efficientnet_b0", "mobilenetv3_large_seed", "resnet18", "resnet34",
                     "tf_efficientnet_b0_seed", "tf_efficientnet_b1_seed"]


@pytest.fixture(scope="module")
def students(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """Every architecture distilled 2 steps from its paper config (a tiny ResNet-18 teacher, 16 images
    of 32 px), and its student file converted for Detectron2, MMDetection and MMSeg."""
    root = tmp_path_factory.mktemp("students")
    images = make_image_folder(root / "images", classes=2, per_class=8)
    teacher = write_teacher(root / "teacher.pth", arch="resnet18")
    files = {}
    for index, (arch, config) in enumerate(FIRST_CONFIG.items()):  # folders named neutrally: no arch in any path
        cfg = load_distill_config(config, [
            f"data.path={images}", "data.batch_size=8", "data.workers=0", "data.augmentation.size=32",
            f"teacher.checkpoint={teacher}", "teacher.arch=resnet18", "teacher.layout=auto",
            "objective.params.queue_size=16", "train.epochs=1", "train.device=cpu", "train.progress=false",
            f"train.output_dir={root / f'student{index}'}"])
        student = Path(distill(cfg).student_path)
        files[arch] = {"student": student, "reports": []}
        for target, suffix in (("d2", ".pkl"), ("mmdet", ".mmdet.pth"), ("mmseg", ".mmseg.pth")):
            files[arch][target] = student.with_name(f"student{suffix}")
            files[arch]["reports"].append(convert(target, student, files[arch][target]))
    return files


def test_the_converters_name_config_files_that_exist(students):
    for arch, files in students.items():
        for report in files["reports"]:
            named = re.findall(r"configs/[\w./-]+\.(?:yaml|py)", report)
            assert named, report
            assert [path for path in named if not (REPO / path).is_file()] == [], report


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    """Tiny VOC and COCO detection sets (registered with Detectron2 too) and a VOC segmentation set."""
    root = tmp_path_factory.mktemp("chain-data")
    voc = write_voc(root / "VOCdevkit")
    shutil.copytree(voc / "VOC2007", voc / "VOC2012")
    categories = [{"id": c["id"], "name": c["name"]} for c in COCO_CATEGORIES if c["isthing"]]
    write_coco(root, categories)
    if "chain_voc" not in DatasetCatalog.list():
        register_pascal_voc("chain_voc", str(voc / "VOC2007"), "trainval", 2007)
        register_coco_instances("chain_coco", {}, str(root / "coco/annotations/instances_train2017.json"),
                                str(root / "coco/train2017"))
        MetadataCatalog.get("chain_voc").evaluator_type = "pascal_voc"
    return {"voc": voc, "coco": root / "coco", "seg": write_segmentation_voc(root / "segmentation")}


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("recipe, dataset", [("voc/faster_rcnn_c4_24k.yaml", "chain_voc"),
                                             ("coco/mask_rcnn_fpn_1x.yaml", "chain_coco")])
def test_detectron2_recipe_trains_any_student_from_its_file(students, data, tmp_path, arch, recipe, dataset):
    train_detectron2(recipe, dataset, students[arch]["d2"], tmp_path)


def train_detectron2(recipe: str, dataset: str, weights: Path, out: Path) -> Trainer:
    """The shipped Detectron2 `recipe` on `weights` with the tiny data overrides only: 2 iterations."""
    overrides = ["MODEL.WEIGHTS", str(weights), "OUTPUT_DIR", str(out), "DATASETS.TRAIN", f"('{dataset}',)", *D2_TINY]
    assert not any(word in str(overrides) for word in ARCH_WORDS)
    cfg = student_cfg()
    cfg.merge_from_file(str(REPO / "configs/detection" / recipe))
    cfg.merge_from_list(overrides)
    trainer = Trainer(cfg)
    trainer.resume_or_load(resume=False)  # raises if a student weight stayed random
    trainer.train()
    assert trainer.iter == 2  # Detectron2 counts past the last iteration (1) when training finished
    assert (out / "model_final.pth").is_file()
    return trainer


def run_openmmlab(scope: str, config: Path, student: Path, data_root: Path, work: Path) -> Runner:
    """mmengine's own Runner.from_cfg on the config (no validation): 2 training iterations."""
    cfg = load_config(config, student=str(student), data_root=str(data_root), work_dir=str(work))
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.experiment_name = f"{work.parent.name}-{config.stem}"
    cfg.train_cfg.max_iters = 2
    assert not any(word in str(cfg.model).lower() for word in ("resnet", "efficientnet", "mobilenet"))
    with DefaultScope.overwrite_default_scope(scope):
        runner = Runner.from_cfg(cfg)
        runner.train()
    return runner


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("config", ["mask-rcnn/mask-rcnn_student-c4_8xb2-1x_coco.py",
                                    "mask-rcnn/mask-rcnn_student_fpn_8xb2-1x_coco.py"])
def test_mmdetection_recipe_trains_any_student_from_its_file(students, data, tmp_path, arch, config):
    tiny = tiny_mmdet_config(REPO / "configs/mmdet" / config, tmp_path)
    runner = run_openmmlab("mmdet", tiny, students[arch]["mmdet"], data["coco"], tmp_path / "work")
    assert runner.iter == 2
    assert runner.model.backbone.model_name == arch


@pytest.mark.parametrize("arch", ARCHS)
def test_mmsegmentation_fcn_trains_any_student_from_its_file(students, data, tmp_path, arch):
    tiny = tiny_mmseg_config(REPO / "configs/segmentation/fcn/fcn-d16_student_4xb4-30k_voc12aug-512x512.py", tmp_path)
    runner = run_openmmlab("mmseg", tiny, students[arch]["mmseg"], data["seg"], tmp_path / "work")
    assert runner.iter == 2
    assert runner.model.backbone.model_name == arch
