"""Write digit scenes in the formats Detectron2, MMDetection and MMSegmentation read.

One tree, as Pascal VOC ships it, plus COCO JSON beside it:

    OUT/VOC2007/JPEGImages/<name>.jpg            the scenes (both libraries' VOC readers want .jpg)
    OUT/VOC2007/Annotations/<name>.xml           VOC boxes (1-based inclusive pixel indices)
    OUT/VOC2007/ImageSets/Main/{trainval,test}.txt
    OUT/VOC2007/SegmentationClass/<name>.png     palette PNG: 0 background, digit d -> d + 1
    OUT/VOC2007/ImageSets/Segmentation/{train,val}.txt
    OUT/annotations/instances_{train,val}.json   COCO boxes and RLE instance masks, images in JPEGImages
    OUT/scenes.json                              each scene's digits and the scans they come from
"""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable

import numpy as np
from PIL import Image

from seed.data.digits import load_digit_scans
from seed.data.scenes import Scene, compose_scenes
from seed.errors import InputError

CLASSES = tuple(str(digit) for digit in range(10))
SEGMENTATION_CLASSES = ("background",) + CLASSES
VOC_SPLITS = {"train": "trainval", "val": "test"}  # ImageSets/Main, as Detectron2's voc_2007_* use them
SEGMENTATION_SPLITS = {"train": "train", "val": "val"}  # ImageSets/Segmentation, as MMSegmentation's VOC
JPEG_SETTINGS = {"quality": 95, "subsampling": 0, "optimize": False, "progressive": False}
SOURCE = ("digits from scikit-learn's copy of the UCI Optical Recognition of Handwritten Digits "
          "data set (CC BY 4.0)")
LICENCE = {"id": 1, "name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
WRITTEN = ("VOC2007", "annotations", "scenes.json")


def write_digit_scenes(out: str | Path, counts: dict[str, int], seed: int = 0) -> dict[str, int]:
    """Write counts["train"] training and counts["val"] validation scenes under `out` in every format.

    Returns the number of digits pasted per split.
    """
    out = Path(out)
    prepare_output(out)
    scans = load_digit_scans()
    voc = out / "VOC2007"
    records, digits = [], {}
    for split, count in counts.items():
        scenes = list(compose_scenes(scans, split, count, seed))
        for scene in scenes:
            write_scene_files(voc, scene)
        write_split_lists(voc, split, [scene.name for scene in scenes])
        write_coco(out / "annotations" / f"instances_{split}.json", scenes)
        records += [scene_record(scene) for scene in scenes]
        digits[split] = sum(len(scene.digits) for scene in scenes)
    (out / "scenes.json").write_text(json.dumps({"source": SOURCE, "seed": seed, "classes": list(CLASSES),
                                                 "scenes": records}, indent=1))
    return digits


def prepare_output(out: Path) -> None:
    """Empty a previous scenes export at `out`; refuse a non-empty folder that holds something else."""
    if out.is_dir() and any(out.iterdir()) and not (out / "scenes.json").is_file():
        raise InputError(f"{out}: the folder is not empty and holds no digit scenes (no scenes.json); "
                         "name a new or empty folder")
    for name in WRITTEN:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for folder in ("JPEGImages", "Annotations", "SegmentationClass", "ImageSets/Main", "ImageSets/Segmentation"):
        (out / "VOC2007" / folder).mkdir(parents=True, exist_ok=True)
    (out / "annotations").mkdir(parents=True, exist_ok=True)


def write_scene_files(voc: Path, scene: Scene) -> None:
    """The scene's JPEG, VOC XML and segmentation PNG."""
    Image.fromarray(scene.image).save(voc / "JPEGImages" / f"{scene.name}.jpg", "JPEG", **JPEG_SETTINGS)
    _voc_xml(scene).write(voc / "Annotations" / f"{scene.name}.xml", encoding="utf-8")
    classes = np.zeros((scene.height, scene.width), dtype=np.uint8)
    for digit in scene.digits:
        classes[digit.mask] = digit.digit + 1
    labels = Image.fromarray(classes, mode="P")
    labels.putpalette(voc_palette())
    labels.save(voc / "SegmentationClass" / f"{scene.name}.png")


def write_split_lists(voc: Path, split: str, names: list[str]) -> None:
    """ImageSets/Main and ImageSets/Segmentation lists of one split."""
    text = "".join(f"{name}\n" for name in names)
    (voc / "ImageSets" / "Main" / f"{VOC_SPLITS[split]}.txt").write_text(text)
    (voc / "ImageSets" / "Segmentation" / f"{SEGMENTATION_SPLITS[split]}.txt").write_text(text)


def write_coco(path: Path, scenes: Iterable[Scene]) -> None:
    """COCO instances JSON: category d + 1 is digit d, masks as compressed RLE, areas from the masks."""
    from pycocotools import mask as mask_utils

    images, annotations = [], []
    for image_id, scene in enumerate(scenes, start=1):
        images.append({"id": image_id, "file_name": f"{scene.name}.jpg", "width": scene.width,
                       "height": scene.height, "license": LICENCE["id"]})
        for digit in scene.digits:
            rle = mask_utils.encode(np.asfortranarray(digit.mask.astype(np.uint8)))
            x0, y0, x1, y1 = digit.box
            annotations.append({
                "id": len(annotations) + 1, "image_id": image_id, "category_id": digit.digit + 1,
                "bbox": [x0, y0, x1 - x0, y1 - y0], "area": int(mask_utils.area(rle)), "iscrowd": 0,
                "segmentation": {"size": [scene.height, scene.width], "counts": rle["counts"].decode("ascii")},
            })
    coco = {"info": {"description": f"digit scenes: {SOURCE}"}, "licenses": [LICENCE], "images": images,
            "annotations": annotations,
            "categories": [{"id": index + 1, "name": name, "supercategory": "digit"}
                           for index, name in enumerate(CLASSES)]}
    path.write_text(json.dumps(coco))


def scene_record(scene: Scene) -> dict:
    """What scenes.json keeps of a scene: its size and, per digit, the scan index, digit and box."""
    return {"name": scene.name, "split": scene.split, "width": scene.width, "height": scene.height,
            "digits": [{"source": digit.source, "digit": digit.digit, "box": list(digit.box)}
                       for digit in scene.digits]}


def voc_palette() -> list[int]:
    """Pascal VOC's colour map (256 RGB triples): index 0 black, 255 the cream of its ignore border."""
    palette = []
    for index in range(256):
        red = green = blue = 0
        code = index
        for bit in range(8):
            red |= ((code >> 0) & 1) << (7 - bit)
            green |= ((code >> 1) & 1) << (7 - bit)
            blue |= ((code >> 2) & 1) << (7 - bit)
            code >>= 3
        palette += [red, green, blue]
    return palette


def _voc_xml(scene: Scene) -> ET.ElementTree:
    """The scene's VOC annotation: xmin/ymin/xmax/ymax are 1-based inclusive pixel indices."""
    root = ET.Element("annotation")
    _text(root, "folder", "VOC2007")
    _text(root, "filename", f"{scene.name}.jpg")
    _text(ET.SubElement(root, "source"), "database", SOURCE)
    size = ET.SubElement(root, "size")
    for key, value in (("width", scene.width), ("height", scene.height), ("depth", 3)):
        _text(size, key, value)
    _text(root, "segmented", 1)
    for digit in scene.digits:
        entry = ET.SubElement(root, "object")
        for key, value in (("name", CLASSES[digit.digit]), ("pose", "Unspecified"), ("truncated", 0),
                           ("difficult", 0)):
            _text(entry, key, value)
        box = ET.SubElement(entry, "bndbox")
        x0, y0, x1, y1 = digit.box
        for key, value in (("xmin", x0 + 1), ("ymin", y0 + 1), ("xmax", x1), ("ymax", y1)):
            _text(box, key, value)
    ET.indent(root)
    return ET.ElementTree(root)


def _text(parent: ET.Element, tag: str, value: object) -> None:
    ET.SubElement(parent, tag).text = str(value)
