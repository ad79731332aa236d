"""`seed data digit-scenes`: scenes of real digit scans, read back by Detectron2, MMDetection and MMSegmentation."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import run_cli
from seed.data.digits import write_digits_imagefolder
from seed.data.scene_formats import CLASSES, SEGMENTATION_CLASSES, write_digit_scenes
from seed.errors import InputError

COUNTS = {"train": 24, "val": 12}


@pytest.fixture(scope="module")
def scenes(tmp_path_factory) -> Path:
    """A small export written by the command itself."""
    out = tmp_path_factory.mktemp("scenes") / "digit-scenes"
    result = run_cli("data", "digit-scenes", str(out), "--train", str(COUNTS["train"]), "--val", str(COUNTS["val"]))
    assert result.returncode == 0, result.stderr
    assert f"wrote {COUNTS['train']} training scenes" in result.stdout
    return out


def records(scenes: Path, split: str) -> dict[str, dict]:
    """scenes.json's scenes of one split, by name."""
    listed = json.loads((scenes / "scenes.json").read_text())["scenes"]
    return {scene["name"]: scene for scene in listed if scene["split"] == split}


def assert_mask_in_box(mask: np.ndarray, box: np.ndarray) -> None:
    """The mask is non-empty and all of it lies in the x0, y0, x1, y1 box (which lies in the image)."""
    height, width = mask.shape
    x0, y0, x1, y1 = (int(round(float(value))) for value in box)
    assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
    assert mask.any() and not mask[:y0].any() and not mask[y1:].any()
    assert not mask[:, :x0].any() and not mask[:, x1:].any()


def test_scenes_follow_the_recipe(scenes):
    for split, count in COUNTS.items():
        listed = records(scenes, split)
        assert len(listed) == count
        for scene in listed.values():
            assert 96 <= scene["width"] <= 128 and 96 <= scene["height"] <= 128
            assert 1 <= len(scene["digits"]) <= 4
            for digit in scene["digits"]:
                x0, y0, x1, y1 = digit["box"]
                assert 0 <= x0 < x1 <= scene["width"] and 0 <= y0 < y1 <= scene["height"]
                assert max(x1 - x0, y1 - y0) <= 48


def test_each_split_draws_only_on_its_own_digits_of_the_demo_split(scenes, tmp_path):
    folders = write_digits_imagefolder(tmp_path / "digits")  # the demo's ImageFolder: <split>/<digit>/<index>.png
    exported = {split: {int(path.stem): int(path.parent.name) for path in folder.glob("*/*.png")}
                for split, folder in folders.items()}
    for split in COUNTS:
        pasted = [digit for scene in records(scenes, split).values() for digit in scene["digits"]]
        assert all(exported[split].get(digit["source"]) == digit["digit"] for digit in pasted)
    validation = {digit["source"] for scene in records(scenes, "val").values() for digit in scene["digits"]}
    assert validation and not validation & set(exported["train"])


def test_detectron2_reads_the_voc_tree(scenes):
    from detectron2.data.datasets.pascal_voc import load_voc_instances
    from detectron2.evaluation.pascal_voc_evaluation import parse_rec

    for split, voc_split in (("train", "trainval"), ("val", "test")):
        dicts = load_voc_instances(str(scenes / "VOC2007"), voc_split, CLASSES)
        expected = records(scenes, split)
        assert [entry["image_id"] for entry in dicts] == list(expected)
        for entry in dicts:
            scene = expected[entry["image_id"]]
            assert Image.open(entry["file_name"]).size == (entry["width"], entry["height"])
            assert (entry["width"], entry["height"]) == (scene["width"], scene["height"])
            assert [(a["category_id"], a["bbox"]) for a in entry["annotations"]] == \
                [(digit["digit"], [float(v) for v in digit["box"]]) for digit in scene["digits"]]
            evaluated = parse_rec(str(scenes / "VOC2007" / "Annotations" / f"{entry['image_id']}.xml"))
            assert [obj["name"] for obj in evaluated] == [CLASSES[digit["digit"]] for digit in scene["digits"]]


def test_detectron2_reads_the_coco_json_with_masks_inside_their_boxes(scenes):
    from detectron2.data import MetadataCatalog
    from detectron2.data.detection_utils import annotations_to_instances
    from detectron2.data.datasets import load_coco_json

    name = "digit_scenes_test_val"
    dicts = load_coco_json(str(scenes / "annotations" / "instances_val.json"), str(scenes / "VOC2007" / "JPEGImages"),
                           dataset_name=name)
    assert MetadataCatalog.get(name).thing_classes == list(CLASSES)
    expected = records(scenes, "val")
    assert len(dicts) == COUNTS["val"]
    for entry in dicts:
        scene = expected[Path(entry["file_name"]).stem]
        assert Image.open(entry["file_name"]).size == (entry["width"], entry["height"])
        instances = annotations_to_instances(entry["annotations"], (entry["height"], entry["width"]),
                                             mask_format="bitmask")
        assert instances.gt_classes.tolist() == [digit["digit"] for digit in scene["digits"]]
        assert instances.gt_boxes.tensor.tolist() == [[float(v) for v in digit["box"]] for digit in scene["digits"]]
        for mask, box in zip(instances.gt_masks.tensor.numpy(), instances.gt_boxes.tensor.numpy()):
            assert_mask_in_box(mask, box)


def test_mmdetection_reads_voc_and_coco(scenes):
    from mmdet.datasets import CocoDataset, VOCDataset
    from mmdet.utils import register_all_modules

    register_all_modules(init_default_scope=True)
    voc = VOCDataset(data_root=str(scenes), ann_file="VOC2007/ImageSets/Main/test.txt",
                     data_prefix={"sub_data_root": "VOC2007/"}, metainfo={"classes": CLASSES},
                     pipeline=[{"type": "LoadImageFromFile"}, {"type": "LoadAnnotations", "with_bbox": True}])
    coco = CocoDataset(data_root=str(scenes), ann_file="annotations/instances_val.json",
                       data_prefix={"img": "VOC2007/JPEGImages/"}, metainfo={"classes": CLASSES},
                       pipeline=[{"type": "LoadImageFromFile"},
                                 {"type": "LoadAnnotations", "with_bbox": True, "with_mask": True}])
    assert voc.metainfo["dataset_type"] == "VOC2007" and len(voc) == len(coco) == COUNTS["val"]
    expected = records(scenes, "val")
    for index in range(len(voc)):
        from_voc, from_coco = voc[index], coco[index]
        scene = expected[from_voc["img_id"]]
        assert Path(from_coco["img_path"]).stem == scene["name"]
        assert from_voc["img"].shape == from_coco["img"].shape == (scene["height"], scene["width"], 3)
        boxes = [[float(v) for v in digit["box"]] for digit in scene["digits"]]
        labels = [digit["digit"] for digit in scene["digits"]]
        # MMDetection's XMLDataset subtracts 1 from all four VOC coordinates (inclusive pixel indices);
        # its COCO reader gives x, y, x + w, y + h
        inclusive = [[x0, y0, x1 - 1, y1 - 1] for x0, y0, x1, y1 in boxes]
        for loaded, expected_boxes in ((from_voc, inclusive), (from_coco, boxes)):
            assert loaded["gt_bboxes"].tensor.tolist() == expected_boxes
            assert loaded["gt_bboxes_labels"].tolist() == labels and not loaded["gt_ignore_flags"].any()
        for mask, box in zip(from_coco["gt_masks"].masks, boxes):
            assert_mask_in_box(mask.astype(bool), np.array(box))


def test_mmsegmentation_reads_the_segmentation_tree_consistent_with_the_coco_masks(scenes):
    from mmseg.datasets import BaseSegDataset
    from mmseg.utils import register_all_modules
    from pycocotools.coco import COCO

    register_all_modules(init_default_scope=True)
    dataset = BaseSegDataset(data_root=str(scenes / "VOC2007"), ann_file="ImageSets/Segmentation/val.txt",
                             data_prefix={"img_path": "JPEGImages", "seg_map_path": "SegmentationClass"},
                             img_suffix=".jpg", seg_map_suffix=".png",
                             metainfo={"classes": SEGMENTATION_CLASSES},
                             pipeline=[{"type": "LoadImageFromFile"}, {"type": "LoadAnnotations"}])
    coco = COCO(str(scenes / "annotations" / "instances_val.json"))
    image_ids = {image["file_name"]: image["id"] for image in coco.dataset["images"]}
    assert len(dataset) == COUNTS["val"] and dataset.metainfo["classes"] == SEGMENTATION_CLASSES
    for index in range(len(dataset)):
        loaded = dataset[index]
        labels = loaded["gt_seg_map"]
        assert labels.shape == loaded["img"].shape[:2]
        expected = np.zeros_like(labels)
        for annotation in coco.loadAnns(coco.getAnnIds(imgIds=image_ids[Path(loaded["img_path"]).name])):
            expected[coco.annToMask(annotation).astype(bool)] = annotation["category_id"]  # digit d is d + 1
        np.testing.assert_array_equal(labels, expected)


def test_two_runs_write_the_same_bytes(scenes, tmp_path):
    write_digit_scenes(tmp_path / "again", COUNTS)
    first = sorted(path.relative_to(scenes) for path in scenes.rglob("*") if path.is_file())
    second = sorted(path.relative_to(tmp_path / "again") for path in (tmp_path / "again").rglob("*") if path.is_file())
    # per scene a JPEG, an XML and a PNG; four split lists, two COCO files and scenes.json
    assert first == second and len(first) == 3 * sum(COUNTS.values()) + 4 + 2 + 1
    assert all((scenes / path).read_bytes() == (tmp_path / "again" / path).read_bytes() for path in first)


def test_another_seed_gives_other_scenes(scenes, tmp_path):
    write_digit_scenes(tmp_path / "other", {"train": 2}, seed=1)
    assert (tmp_path / "other" / "VOC2007" / "JPEGImages" / "train_00000.jpg").read_bytes() != \
        (scenes / "VOC2007" / "JPEGImages" / "train_00000.jpg").read_bytes()


def test_a_folder_holding_something_else_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match=str(tmp_path)):
        write_digit_scenes(tmp_path, COUNTS)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_the_digits_export_lists_a_labelled_1_and_10_percent_of_its_training_digits(tmp_path):
    from downstream.config import EvalDataConfig
    from downstream.datasets import build_split, subset_indices

    folders = write_digits_imagefolder(tmp_path / "digits")
    train = build_split(EvalDataConfig(name="digits", root=str(tmp_path / "digits"), num_classes=10), "train")
    lists = {percent: (tmp_path / "digits" / "subsets" / f"{percent}percent.txt").read_text().split()
             for percent in (1, 10)}
    training = {path.name for path in folders["train"].glob("*/*.png")}
    for percent, names in lists.items():
        rows = subset_indices(train, tmp_path / "digits" / "subsets" / f"{percent}percent.txt")  # every class named
        assert len(rows) == len(names) and set(names) <= training
        assert abs(len(names) - len(training) * percent / 100) <= 10  # per digit rounded, at least one each
    assert set(lists[1]) < set(lists[10])
    again = tmp_path / "again"
    write_digits_imagefolder(again)
    assert (again / "subsets" / "10percent.txt").read_text() == "\n".join(lists[10]) + "\n"
