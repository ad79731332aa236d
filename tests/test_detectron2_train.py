"""tools/train_det.py end to end on tiny VOC- and COCO-format data sets written here: convert a student,
train a few iterations on CPU, evaluate with Detectron2's own evaluators, write result records."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, write_teacher
from detection_fixtures import write_coco, write_voc
from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.data.datasets import register_pascal_voc
from detectron2.data.datasets.builtin_meta import COCO_CATEGORIES

from downstream.detectron2.checkpoint import StudentWeightsError
from downstream.detectron2.config import model_config, student_cfg
from downstream.detectron2.convert import convert_checkpoint
from downstream.detectron2.datasets import check_datasets
from downstream.detectron2.results import detection_records
from downstream.detectron2.train import Trainer
from downstream.records import read_records

TINY = [  # a few iterations on 64-px images, batch 2, few regions per image; the rest as the config says
    "INPUT.MIN_SIZE_TRAIN", "(64,)", "INPUT.MAX_SIZE_TRAIN", "128", "INPUT.MIN_SIZE_TEST", "64",
    "INPUT.MAX_SIZE_TEST", "128", "SOLVER.IMS_PER_BATCH", "2", "SOLVER.MAX_ITER", "3", "SOLVER.STEPS", "()",
    "SOLVER.WARMUP_ITERS", "1", "SOLVER.BASE_LR", "0.001", "DATALOADER.NUM_WORKERS", "0",
    "TEST.PRECISE_BN.NUM_ITER", "2", "MODEL.RPN.PRE_NMS_TOPK_TRAIN", "200", "MODEL.RPN.POST_NMS_TOPK_TRAIN", "50",
    "MODEL.RPN.PRE_NMS_TOPK_TEST", "200", "MODEL.RPN.POST_NMS_TOPK_TEST", "50",
    "MODEL.ROI_HEADS.BATCH_SIZE_PER_IMAGE", "32", "MODEL.ROI_HEADS.SCORE_THRESH_TEST", "0.0", "MODEL.DEVICE", "cpu",
]
@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("datasets")
    categories = [{"id": c["id"], "name": c["name"]} for c in COCO_CATEGORIES if c["isthing"]]
    return write_coco(write_voc(root), categories)


def converted_student(folder: Path, arch: str) -> Path:
    student = write_teacher(folder / f"{arch}_student.pth", arch=arch)
    convert_checkpoint(student, folder / f"{arch}_student.pkl")
    return folder / f"{arch}_student.pkl"


def train_det(datasets: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    """tools/train_det.py in a fresh interpreter, with Detectron2's built-in data sets under `datasets`."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "DETECTRON2_DATASETS": str(datasets)}
    result = subprocess.run([sys.executable, str(REPO / "tools" / "train_det.py"), *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def only_record(folder: Path, protocol: str):
    records = [r for r in read_records(folder) if r.protocol == protocol]
    assert len(records) == 1, [r.protocol for r in read_records(folder)]
    record = records[0]
    assert all(isinstance(v, float) and math.isfinite(v) for v in record.metrics.values()), record.metrics
    assert {"AP", "AP50", "AP75"} <= set(record.metrics)
    return record


@pytest.mark.slow
def test_resnet18_c4_on_voc_trains_evaluates_and_eval_only_reproduces_it(datasets, tmp_path):
    weights = converted_student(tmp_path, "resnet18")
    out = tmp_path / "run"
    train_det(datasets, tmp_path, "--config-file", str(REPO / "configs/detection/voc/faster_rcnn_c4_24k.yaml"),
              "MODEL.WEIGHTS", str(weights), "OUTPUT_DIR", str(out),
              "DATASETS.TRAIN", '("voc_2007_trainval",)', *TINY)
    log = (out / "log.txt").read_text()
    assert "Evaluating voc_2007_test using 2007 metric" in log  # Detectron2's PascalVOCDetectionEvaluator ran
    assert "120 tensors loaded, 0 missing" in log
    record = only_record(out, "detection-c4-24k")
    assert (record.model, record.dataset, record.split, record.primary_metric) == \
        ("resnet18_student", "voc07+12", "voc_2007_test", "AP50")
    assert record.checkpoint_sha256 and (out / "model_final.pth").is_file() and (out / "metrics.json").is_file()

    again = tmp_path / "eval"
    train_det(datasets, tmp_path, "--config-file", str(out / "config.yaml"), "--eval-only",
              "MODEL.WEIGHTS", str(out / "model_final.pth"), "OUTPUT_DIR", str(again))
    repeated = only_record(again, "detection-c4-24k")
    assert repeated.model == "resnet18_student" and repeated.metrics == record.metrics


@pytest.mark.slow
@pytest.mark.parametrize("arch, config, protocol", [
    ("efficientnet_b0", "mask_rcnn_c4_1x", "detection-c4-1x"),
    ("mobilenetv3_large_100", "mask_rcnn_fpn_1x", "detection-fpn-1x"),
])
def test_mask_rcnn_on_coco_trains_and_evaluates_boxes_and_masks(datasets, tmp_path, arch, config, protocol):
    weights = converted_student(tmp_path, arch)
    out = tmp_path / "run"
    train_det(datasets, tmp_path, "--config-file", str(REPO / f"configs/detection/coco/{config}.yaml"),
              "MODEL.WEIGHTS", str(weights), "OUTPUT_DIR", str(out), *TINY)
    predictions = json.loads((out / "inference" / "coco_instances_results.json").read_text())
    assert predictions and "segmentation" in predictions[0]  # Detectron2's COCOEvaluator ran on boxes and masks
    boxes, masks = only_record(out, protocol), only_record(out, protocol + "-mask")
    assert boxes.dataset == masks.dataset == "coco" and boxes.primary_metric == "AP"
    assert boxes.split == "coco_2017_val"


def test_a_missing_data_set_names_the_expected_path(tmp_path):
    cfg = student_cfg()
    cfg.DATASETS.TRAIN = ("voc_2012_trainval",)
    with pytest.raises(FileNotFoundError, match=r"voc_2012_trainval.*VOC2012.*DETECTRON2_DATASETS"):
        check_datasets(cfg)
    cfg.DATASETS.TRAIN = ("no_such_set",)
    with pytest.raises(KeyError, match="no_such_set"):
        check_datasets(cfg)


@pytest.mark.parametrize("config_arch,student_arch,message", [
    ("resnet34", "resnet18", "'resnet18' student.*MODEL.RESNETS.DEPTH"),
    # the same parameter names, another network: caught by the architecture the file records
    ("efficientnet_b0", "tf_efficientnet_b0_seed", "'tf_efficientnet_b0_seed' student.*MODEL.TIMM.ARCH"),
])
def test_the_trainer_refuses_weights_converted_for_another_student(datasets, tmp_path, config_arch, student_arch,
                                                                   message):
    name = "seed_test_voc_trainval"
    if name not in DatasetCatalog.list():  # Detectron2's own registration of a VOC-format folder
        register_pascal_voc(name, str(datasets / "VOC2007"), "trainval", 2007)
        MetadataCatalog.get(name).evaluator_type = "pascal_voc"
    cfg = model_config(config_arch, "c4")
    cfg.merge_from_list(["DATASETS.TRAIN", (name,), "DATASETS.TEST", (name,), "OUTPUT_DIR", str(tmp_path / "run"),
                         "MODEL.WEIGHTS", str(converted_student(tmp_path, student_arch)), *TINY])
    check_datasets(cfg)
    with pytest.raises(StudentWeightsError, match=message):
        Trainer(cfg).resume_or_load(resume=False)


def test_results_become_one_record_per_task_without_nan_side_metrics():
    cfg = student_cfg()
    cfg.merge_from_list(["DATASETS.TEST", ("coco_2017_val",), "RESULTS.MODEL", "student", "RESULTS.PROTOCOL",
                         "detection-c4-1x", "RESULTS.DATASET", "coco"])
    results = {"bbox": {"AP": 1.5, "AP50": 3.0, "AP75": 1.0, "APs": float("nan"), "AP-cat": 2.0},
               "segm": {"AP": 1.0, "AP50": 2.0, "AP75": 0.5, "APs": float("nan")}}
    boxes, masks = detection_records(cfg, results)
    assert (boxes.protocol, masks.protocol) == ("detection-c4-1x", "detection-c4-1x-mask")
    assert boxes.metrics == {"AP": 1.5, "AP50": 3.0, "AP75": 1.0} and boxes.split == "coco_2017_val"
    assert boxes.config["RESULTS"]["MODEL"] == "student"
