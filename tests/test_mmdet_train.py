"""MMDetection end to end on tiny VOC and COCO sets written in the real formats: tools/train_mmdet.py
trains a shipped C4 or FPN config for a few CPU iterations from a student, MMDetection's VOCMetric
or CocoMetric measures it, and the numbers land in records beside Detectron2's and MMSeg's."""
from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import HANG_GUARD_S, REPO, write_teacher
from detection_fixtures import write_coco, write_voc
from mmdet.datasets import CocoDataset
from mmengine.runner import Runner

from downstream.mmdet.convert import convert_checkpoint
from downstream.mmdet.runner import MMDET, detection_records, load_config
from downstream.openmmlab.runner import test_tool as run_test_tool  # not named test_*: pytest would collect it
from downstream.records import ResultRecord, read_records, results_table

pytestmark = pytest.mark.timeout(HANG_GUARD_S)  # a guard against a hang only: trainings crawl on a loaded machine
CONFIGS = REPO / "configs" / "mmdet"
ITERS = 2
SCALE = (128, 64)  # long side, short side


def coco_ids() -> list[int]:
    """The 80 COCO category ids (1..90 with gaps), in the order of MMDetection's class names."""
    gaps = {12, 26, 29, 30, 45, 66, 68, 69, 71, 83}
    return [i for i in range(1, 91) if i not in gaps]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    """data/VOCdevkit/VOC2007 (and a VOC2012 copy, for the 07+12 training set) and data/coco."""
    root = tmp_path_factory.mktemp("mmdet-data")
    voc = write_voc(root / "VOCdevkit")
    shutil.copytree(voc / "VOC2007", voc / "VOC2012")
    categories = [{"id": i, "name": n} for i, n in zip(coco_ids(), CocoDataset.METAINFO["classes"])]
    write_coco(root, categories)
    return {"voc": voc, "coco": root / "coco"}


def _shrink(node) -> None:
    if isinstance(node, dict):
        if node.get("type") == "Resize":
            node["scale"] = SCALE
        elif node.get("type") == "RandomResize":  # a range of scales
            node["scale"] = [SCALE, SCALE]
        elif node.get("type") == "RandomChoiceResize":
            node["scales"] = [SCALE]
        for key in ("nms_pre", "max_per_img"):
            if isinstance(node.get(key), int):
                node[key] = min(node[key], 100)
        if node.get("type") == "RandomSampler":
            node["num"] = min(node["num"], 32)
        for value in node.values():
            _shrink(value)
    elif isinstance(node, list):
        for value in node:
            _shrink(value)


def tiny_config(config: Path, folder: Path) -> Path:
    """The shipped config at 64 px, batch 2, 2 iterations, few proposals and regions, no worker processes; written
    with mmengine's own dump for the tools to read (data root and student left to their options)."""
    cfg = load_config(config)
    for name in ("train_dataloader", "val_dataloader", "test_dataloader"):
        cfg[name].num_workers = 0
        cfg[name].persistent_workers = False
    cfg.train_dataloader.batch_size = 2
    for key in list(cfg.keys()):
        _shrink(cfg[key])
    cfg.train_cfg = dict(type="IterBasedTrainLoop", max_iters=ITERS, val_interval=100)  # tested once, after training
    cfg.param_scheduler = [dict(type="LinearLR", start_factor=0.1, by_epoch=False, begin=0, end=ITERS)]
    cfg.optim_wrapper.optimizer.lr = 0.001
    cfg.log_processor = dict(by_epoch=False)
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type="CheckpointHook", by_epoch=False, interval=ITERS)
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    cfg.pop("work_dir")
    cfg.pop("launcher")
    path = folder / config.name
    cfg.dump(str(path))
    return path


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, str(REPO / "tools" / name), *args], capture_output=True, text=True,
                            cwd=REPO, env=env, timeout=HANG_GUARD_S)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def assert_finite_percentages(record: ResultRecord) -> None:
    assert record.primary_metric in record.metrics
    assert all(math.isfinite(v) and 0 <= v <= 100 for v in record.metrics.values()), record.metrics


CASES = [  # student, config, data set, protocols (boxes, masks)
    ("resnet18", "faster-rcnn/faster-rcnn_student-c4_8xb2-24k_voc0712.py", "voc", ["detection-c4-24k"]),
    ("mobilenetv3_large_100", "mask-rcnn/mask-rcnn_student-c4_8xb2-1x_coco.py", "coco",
     ["detection-c4-1x", "detection-c4-1x-mask"]),
    ("resnet18", "mask-rcnn/mask-rcnn_student_fpn_8xb2-1x_coco.py", "coco",
     ["detection-fpn-1x", "detection-fpn-1x-mask"]),
    ("efficientnet_b0", "mask-rcnn/mask-rcnn_student_fpn_8xb2-2x_coco.py", "coco",
     ["detection-fpn-2x", "detection-fpn-2x-mask"]),
]


@pytest.mark.slow
@pytest.mark.parametrize("arch, config, dataset, protocols", CASES, ids=[f"{c[0]}-{c[1].split('/')[1][:-3]}" for c in CASES])
def test_train_mmdet_trains_a_student_and_records_mmdetections_ap(tmp_path, data, arch, config, dataset, protocols):
    student = write_teacher(tmp_path / f"seed_{arch}" / "student.pth", arch=arch)
    convert_checkpoint(student, tmp_path / "student_mmdet.pth")
    work, results = tmp_path / "work", tmp_path / "results"
    result = run_tool("train_mmdet.py", str(tiny_config(CONFIGS / config, tmp_path)), "--student",
                      str(tmp_path / "student_mmdet.pth"), "--data-root", str(data[dataset]),
                      "--work-dir", str(work), "--results", str(results))
    log = result.stdout + result.stderr
    assert f"SeedTIMMBackbone: loaded {arch} from {tmp_path / 'student_mmdet.pth'}" in log
    if "-c4" in config:
        assert f"SeedLastStage: loaded the last stage of {arch}" in log
    records = {r.protocol: r for r in read_records(results)}
    assert sorted(records) == sorted(protocols)
    for record in records.values():
        assert_finite_percentages(record)
        assert (record.model, record.framework) == (f"seed_{arch}", "MMDetection")
        assert record.checkpoint == str(tmp_path / "student_mmdet.pth") and record.checkpoint_sha256
    if dataset == "voc":
        assert "11points" in log or "mAP" in log  # VOCMetric's table
        assert records[protocols[0]].primary_metric == "AP50"
    else:
        assert "Evaluating bbox" in log and "Evaluating segm" in log  # CocoMetric on boxes and masks
        assert {"AP", "AP50", "AP75"} <= set(records[protocols[0]].metrics)
    assert (work / f"iter_{ITERS}.pth").is_file()


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data) -> dict[str, Path]:
    """One tools/train_mmdet.py run: VOC Faster R-CNN C4 on an EfficientNet-B0 student file (not converted)."""
    root = tmp_path_factory.mktemp("trained")
    student = write_teacher(root / "student.pth", arch="efficientnet_b0")
    config = tiny_config(CONFIGS / "faster-rcnn/faster-rcnn_student-c4_8xb2-24k_voc0712.py", root)
    run = {"config": config, "work": root / "work", "records": root / "records"}
    run_tool("train_mmdet.py", str(config), "--student", str(student), "--data-root", str(data["voc"]),
             "--work-dir", str(run["work"]), "--results", str(run["records"]), "--name", "b0-seed",
             "--cfg-options", "default_hooks.checkpoint.interval=1")  # iter_1.pth too: the weights move
    before, after = (mmengine_weights(run["work"] / f"iter_{i}.pth") for i in (ITERS - 1, ITERS))
    run["changed"] = [key for key, value in after.items() if not torch.equal(before[key], value)]
    return run


def mmengine_weights(checkpoint: Path) -> dict[str, torch.Tensor]:
    """The model weights of a checkpoint mmengine's Runner wrote (it pickles more than tensors)."""
    return torch.load(checkpoint, map_location="cpu", weights_only=False)["state_dict"]


@pytest.mark.slow
def test_test_mmdet_tests_the_saved_weights_and_reproduces_the_trained_ap(tmp_path, trained, monkeypatch):
    """The weights tools/test_mmdet.py evaluates are the checkpoint's, every tensor (the AP of a 2-iteration
    model is no evidence: it is 0 with any weights)."""
    checkpoint = trained["work"] / f"iter_{ITERS}.pth"
    tested: dict[str, torch.Tensor] = {}
    runner_test = Runner.test

    def test_and_keep_the_weights(runner):
        tested.update({key: value.detach().clone() for key, value in runner.model.state_dict().items()})
        return runner_test(runner)

    monkeypatch.setattr(Runner, "test", test_and_keep_the_weights)
    monkeypatch.setattr(sys, "argv", ["test_mmdet.py", str(trained["work"] / trained["config"].name),
                                      str(checkpoint), "--results", str(tmp_path)])
    run_test_tool(MMDET, "tools/test_mmdet.py")
    saved = mmengine_weights(checkpoint)
    assert sorted(tested) == sorted(saved)
    assert [key for key, value in saved.items() if not torch.equal(tested[key], value)] == []
    assert trained["changed"], "the last iteration changed no weight: the comparison above would prove nothing"
    (after_training,), (from_checkpoint,) = read_records(trained["records"]), read_records(tmp_path)
    assert from_checkpoint.model == "b0-seed"
    assert from_checkpoint.metrics == after_training.metrics
    assert_finite_percentages(from_checkpoint)


@pytest.mark.slow
def test_train_mmdet_resumes_from_the_latest_checkpoint_of_its_work_dir(tmp_path, trained):
    work = trained["work"]
    result = run_tool("train_mmdet.py", str(work / trained["config"].name), "--work-dir", str(work), "--resume",
                      "--results", str(tmp_path), "--cfg-options", f"train_cfg.max_iters={ITERS + 1}")
    assert f"resumed epoch: 0, iter: {ITERS}" in result.stdout + result.stderr
    assert (work / f"iter_{ITERS + 1}.pth").is_file()


def test_voc_and_coco_metrics_become_percent_records_named_like_detectron2s():
    voc = detection_records({"protocol": "detection-c4-24k", "primary_metric": "AP50"},
                            {"pascal_voc/mAP": 0.25, "pascal_voc/AP50": 0.25})
    assert voc == [("detection-c4-24k", {"AP50": 25.0}, "AP50")]
    coco = detection_records({"protocol": "detection-fpn-1x"},
                             {"coco/bbox_mAP": 0.1, "coco/bbox_mAP_50": 0.2, "coco/bbox_mAP_s": -1.0,
                              "coco/segm_mAP": 0.05, "coco/segm_mAP_75": 0.01, "coco/bbox_precision": 0.3})
    assert coco == [("detection-fpn-1x", {"AP": 10.0, "AP50": 20.0}, "AP"),
                    ("detection-fpn-1x-mask", {"AP": 5.0, "AP75": 1.0}, "AP")]


def test_results_table_puts_each_framework_in_its_own_column():
    common = dict(model="seed_resnet18", protocol="detection-c4-24k", dataset="voc07+12", split="voc_2007_test",
                  primary_metric="AP50")
    records = [ResultRecord(metrics={"AP50": 40.0}, framework="Detectron2", **common),
               ResultRecord(metrics={"AP50": 41.0}, framework="MMDetection", **common),
               ResultRecord(model="seed_resnet18", protocol="segmentation-fcn", dataset="voc12aug", split="val",
                            metrics={"mIoU": 60.0}, primary_metric="mIoU", framework="MMSegmentation")]
    header, rows = results_table(records)
    assert header == ["model", "Detectron2 detection-c4-24k voc07+12 AP50", "MMDetection detection-c4-24k voc07+12 AP50",
                      "MMSegmentation segmentation-fcn voc12aug mIoU"]
    assert rows == [["seed_resnet18", "40.00", "41.00", "60.00"]]


def test_a_missing_coco_annotation_file_is_named_before_the_runner_starts(tmp_path, data):
    from downstream.mmdet.runner import MMDET
    from downstream.openmmlab.data import DatasetNotFoundError

    cfg = load_config(CONFIGS / "mask-rcnn/mask-rcnn_student_fpn_8xb2-1x_coco.py", data_root=str(tmp_path),
                      work_dir=str(tmp_path / "work"))
    with pytest.raises(DatasetNotFoundError, match="MMDetection"):
        MMDET.train(cfg, results=tmp_path / "results")
    assert not (tmp_path / "work").exists()
