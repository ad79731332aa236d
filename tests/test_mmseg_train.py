"""Segmentation end to end on tiny data sets written in the real formats (PASCAL VOC 2012 + SBD
"aug", ADE20K): tools/train_seg.py trains a shipped config for a few CPU iterations from a
converted student, MMSeg's IoUMetric measures mIoU, and the result lands in a record;
tools/test_seg.py reproduces it from the saved checkpoint."""
from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import REPO
from mmseg.utils import voc_palette
from PIL import Image

from downstream.mmseg.convert import convert_checkpoint
from downstream.openmmlab.data import DatasetNotFoundError
from downstream.mmseg.runner import MMSEG, load_config
from downstream.records import read_records, results_table
from seed.models.checkpoints import student_record
from seed.models.encoder import Encoder, backbone_feature_dim, projection_head
from seed.models.pretrained import build_backbone

CONFIGS = REPO / "configs" / "segmentation"
VOC_FCN = "fcn/fcn-d16_student_4xb4-30k_voc12aug-512x512.py"
SIZE = 64
ITERS = 3


def labelled_images(count: int, classes: list[int], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(image, label) pairs: a brighter square of one class on a noisy background of class 0."""
    rng = np.random.default_rng(seed)
    pairs = []
    for index in range(count):
        label = np.zeros((SIZE, SIZE), np.uint8)
        top, left = rng.integers(0, SIZE // 2, size=2)
        label[top:top + SIZE // 2, left:left + SIZE // 2] = classes[index % len(classes)]
        image = rng.integers(0, 90, size=(SIZE, SIZE, 3), dtype=np.uint8)
        image[label > 0] += np.uint8(120)
        pairs.append((image, label))
    return pairs


def write_voc(root: Path) -> Path:
    """VOCdevkit/VOC2012 as MMSeg reads it: JPEGImages, SegmentationClass (palette PNGs, 255 on
    object borders), SegmentationClassAug (index PNGs, as MMSeg's voc_aug converter writes them)
    and ImageSets/Segmentation/{train,val,aug}.txt."""
    voc = root / "VOCdevkit" / "VOC2012"
    for folder in ("JPEGImages", "SegmentationClass", "SegmentationClassAug", "ImageSets/Segmentation"):
        (voc / folder).mkdir(parents=True, exist_ok=True)
    palette = [channel for color in voc_palette() for channel in color]
    names = [f"2007_{index:06d}" for index in range(8)]
    for name, (image, label) in zip(names, labelled_images(len(names), [1, 7, 15], seed=0)):
        Image.fromarray(image).save(voc / "JPEGImages" / f"{name}.jpg", quality=95)
        border = label.copy()
        border[np.roll(label, 1, axis=0) != label] = 255
        indexed = Image.fromarray(border, mode="P")
        indexed.putpalette(palette + [224, 224, 192] * (256 - len(palette) // 3))
        indexed.save(voc / "SegmentationClass" / f"{name}.png")
        Image.fromarray(label, mode="L").save(voc / "SegmentationClassAug" / f"{name}.png")
    splits = {"train": names[:4], "val": names[4:6], "aug": names[6:]}
    for split, members in splits.items():
        (voc / "ImageSets" / "Segmentation" / f"{split}.txt").write_text("\n".join(members) + "\n")
    return voc


def write_ade20k(root: Path) -> Path:
    """ADEChallengeData2016: images/{training,validation}/*.jpg and annotations/*/*.png (0 = other)."""
    ade = root / "ade" / "ADEChallengeData2016"
    for split, count, seed in (("training", 4, 1), ("validation", 2, 2)):
        (ade / "images" / split).mkdir(parents=True)
        (ade / "annotations" / split).mkdir(parents=True)
        for index, (image, label) in enumerate(labelled_images(count, [3, 12], seed=seed)):
            label = np.where(label > 0, label, 1).astype(np.uint8)  # background: 1, "wall" (0 after reduce_zero_label)
            label[:2] = 0  # a strip of "other", ignored
            Image.fromarray(image).save(ade / "images" / split / f"ADE_{split}_{index:08d}.jpg", quality=95)
            Image.fromarray(label, mode="L").save(ade / "annotations" / split / f"ADE_{split}_{index:08d}.png")
    return ade


def write_student(path: Path, arch: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    backbone = build_backbone(arch)
    encoder = Encoder(backbone, projection_head(backbone_feature_dim(backbone), 32, 16))
    torch.save(student_record(encoder, arch, {}, {}), path)
    return path


def _shrink(node) -> None:
    if isinstance(node, dict):
        kind = node.get("type")
        if kind in ("RandomResize", "Resize"):
            node["scale"] = (SIZE, SIZE)
        elif kind == "RandomCrop":
            node["crop_size"] = (SIZE, SIZE)
        elif kind == "Pad":
            node["size"] = (SIZE, SIZE)
        for value in node.values():
            _shrink(value)
    elif isinstance(node, list):
        for value in node:
            _shrink(value)


def tiny_config(config: Path, folder: Path) -> Path:
    """The shipped config at 64 px, batch 2, 3 iterations, no worker processes: written as a file
    (mmengine's own dump) for the tools to read, data root and student left to their options."""
    cfg = load_config(config)
    for name in ("train_dataloader", "val_dataloader", "test_dataloader"):
        _shrink(cfg[name])
        cfg[name].num_workers = 0
        cfg[name].persistent_workers = False
    cfg.train_dataloader.batch_size = 2
    cfg.model.data_preprocessor.size = (SIZE, SIZE)
    cfg.train_cfg.max_iters = cfg.train_cfg.val_interval = ITERS
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = ITERS
    cfg.env_cfg.cudnn_benchmark = False
    cfg.pop("work_dir")
    cfg.pop("launcher")
    path = folder / config.name
    cfg.dump(str(path))
    return path


def run_tool(name: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, str(REPO / "tools" / name), *args], capture_output=True, text=True,
                          cwd=REPO, env=env, timeout=600)


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("segmentation-data")
    return {"voc12aug": write_voc(root), "ade20k": write_ade20k(root)}


def test_a_missing_data_set_is_named_before_the_runner_starts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cases = {VOC_FCN: "data/VOCdevkit/VOC2012",
             "fcn/fcn-d16_student_8xb2-90k_cityscapes-769x769.py": "data/cityscapes",
             "upernet/upernet_student_4xb4-80k_ade20k-512x512.py": "data/ade/ADEChallengeData2016"}
    for config, folder in cases.items():
        cfg = load_config(CONFIGS / config, work_dir=str(tmp_path / "work"))
        with pytest.raises(DatasetNotFoundError, match=f"expected folder {folder}"):
            MMSEG.train(cfg, results=tmp_path / "results")
    assert not (tmp_path / "work").exists()


def test_a_voc_folder_without_the_sbd_annotations_names_them(tmp_path):
    voc = write_voc(tmp_path)
    for png in (voc / "SegmentationClassAug").iterdir():
        png.unlink()
    (voc / "SegmentationClassAug").rmdir()
    cfg = load_config(CONFIGS / VOC_FCN, data_root=str(voc), work_dir=str(tmp_path / "work"))
    with pytest.raises(DatasetNotFoundError, match=f"expected folder {voc}/SegmentationClassAug"):
        MMSEG.train(cfg, results=tmp_path / "results")


CASES = [
    ("resnet18", VOC_FCN, "voc12aug", "segmentation-fcn"),
    ("efficientnet_b0", "deeplabv3/deeplabv3-d8_student_4xb4-20k_voc12aug-512x512.py", "voc12aug",
     "segmentation-deeplabv3"),
    ("mobilenetv3_large_100", "upernet/upernet_student_4xb4-80k_ade20k-512x512.py", "ade20k",
     "segmentation-upernet"),
]


@pytest.mark.slow
@pytest.mark.parametrize("arch, config, dataset, protocol", CASES, ids=[case[0] for case in CASES])
def test_train_seg_trains_a_converted_student_and_records_its_miou(tmp_path, data, arch, config, dataset, protocol):
    student = write_student(tmp_path / f"seed_{arch}" / "student.pth", arch)
    convert_checkpoint(student, tmp_path / "student_mmseg.pth")
    work, results = tmp_path / "work", tmp_path / "results"
    result = run_tool("train_seg.py", str(tiny_config(CONFIGS / config, tmp_path)), "--student",
                      str(tmp_path / "student_mmseg.pth"), "--data-root", str(data[dataset]),
                      "--work-dir", str(work), "--results", str(results))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert f"SeedTIMMBackbone: loaded {arch} from {tmp_path / 'student_mmseg.pth'}" in log
    assert "per class results" in log  # MMSeg's IoUMetric printed its table
    (record,) = read_records(results)
    # the row name comes from the student's run folder, remembered by the converted file
    assert (record.model, record.protocol, record.dataset, record.split) == (f"seed_{arch}", protocol, dataset, "val")
    assert set(record.metrics) == {"aAcc", "mIoU", "mAcc"}
    assert math.isfinite(record.metrics["mIoU"]) and 0 <= record.metrics["mIoU"] <= 100
    assert record.checkpoint == str(tmp_path / "student_mmseg.pth") and record.checkpoint_sha256
    assert (work / f"iter_{ITERS}.pth").is_file()
    header, rows = results_table([record])
    assert f"MMSegmentation {protocol} {dataset} mIoU" in header and rows[0][0] == f"seed_{arch}"


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data) -> dict[str, Path]:
    """One tools/train_seg.py run: FCN-16s on a ResNet-18 student file (our layout, not converted)."""
    root = tmp_path_factory.mktemp("trained")
    student = write_student(root / "student.pth", "resnet18")
    config = tiny_config(CONFIGS / VOC_FCN, root)
    run = {"config": config, "work": root / "work", "records": root / "records"}
    result = run_tool("train_seg.py", str(config), "--student", str(student), "--data-root", str(data["voc12aug"]),
                      "--work-dir", str(run["work"]), "--results", str(run["records"]), "--name", "r18-seed")
    assert result.returncode == 0, result.stderr[-3000:]
    return run


@pytest.mark.slow
def test_test_seg_reproduces_the_miou_from_the_saved_checkpoint(tmp_path, trained):
    work = trained["work"]
    tested = run_tool("test_seg.py", str(work / trained["config"].name), str(work / f"iter_{ITERS}.pth"),
                      "--results", str(tmp_path))
    assert tested.returncode == 0, tested.stderr[-3000:]
    (after_training,), (from_checkpoint,) = read_records(trained["records"]), read_records(tmp_path)
    assert from_checkpoint.model == "r18-seed"  # the name travels in the config the run dumped
    assert from_checkpoint.metrics == after_training.metrics
    assert from_checkpoint.checkpoint == str(work / f"iter_{ITERS}.pth")


@pytest.mark.slow
def test_train_seg_resumes_from_the_latest_checkpoint_of_its_work_dir(tmp_path, trained):
    work = trained["work"]  # the config the run dumped there names its student and data root
    result = run_tool("train_seg.py", str(work / trained["config"].name), "--work-dir", str(work), "--resume",
                      "--results", str(tmp_path), "--cfg-options", f"train_cfg.max_iters={ITERS + 1}",
                      f"train_cfg.val_interval={ITERS + 1}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"resumed epoch: 0, iter: {ITERS}" in result.stdout + result.stderr
    assert (work / f"iter_{ITERS + 1}.pth").is_file()
    (record,) = read_records(tmp_path)
    assert record.model == "r18-seed"
