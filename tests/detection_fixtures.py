"""Tiny detection data sets in the real formats, for the Detectron2 and MMDetection tests: Pascal VOC
(JPEG + XML annotations + split lists) and COCO (JPEG + instances JSON with polygon masks)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

SIZE = (96, 80)  # width, height
VOC_OBJECT = ("<object><name>{name}</name><pose>Unspecified</pose><truncated>0</truncated><difficult>0</difficult>"
              "<bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>\n")


def objects(index: int) -> list[tuple[tuple[int, int, int, int], tuple[int, int, int]]]:
    """Two coloured boxes per picture: (x0, y0, x1, y1) and colour."""
    return [((8 + index, 10, 48 + index, 50), (230, 40, 40)), ((52, 24 + index, 88, 70), (40, 40, 230))]


def picture(rng: np.random.Generator, index: int) -> Image.Image:
    pixels = rng.integers(0, 60, size=(SIZE[1], SIZE[0], 3), dtype=np.uint8)
    for (x0, y0, x1, y1), colour in objects(index):
        pixels[y0:y1, x0:x1] = colour
    return Image.fromarray(pixels)


def write_voc(root: Path, images: int = 4) -> Path:
    """root/VOC2007 as Pascal VOC lays it out: JPEGImages, Annotations (XML), ImageSets/Main/{trainval,test}.txt."""
    rng, folder = np.random.default_rng(0), root / "VOC2007"
    for sub in ("JPEGImages", "Annotations", "ImageSets/Main"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    ids = [f"{index:06d}" for index in range(images)]
    for index, image_id in enumerate(ids):
        picture(rng, index).save(folder / "JPEGImages" / f"{image_id}.jpg")
        boxes = "".join(VOC_OBJECT.format(name=name, x0=x0 + 1, y0=y0 + 1, x1=x1, y1=y1)  # VOC is 1-based
                        for name, ((x0, y0, x1, y1), _) in zip(("cat", "dog"), objects(index)))
        (folder / "Annotations" / f"{image_id}.xml").write_text(
            f"<annotation><filename>{image_id}.jpg</filename><size><width>{SIZE[0]}</width>"
            f"<height>{SIZE[1]}</height><depth>3</depth></size>\n{boxes}</annotation>\n")
    for split in ("trainval", "test"):
        (folder / "ImageSets" / "Main" / f"{split}.txt").write_text("\n".join(ids) + "\n")
    return root


def write_coco(root: Path, categories: list[dict], images: int = 4) -> Path:
    """root/coco/{train2017,val2017} and annotations/instances_*.json with the given categories (the
    80 COCO ones: {"id", "name"}) and polygon masks of cats (id 17) and dogs (id 18)."""
    rng = np.random.default_rng(1)
    categories = [{**category, "supercategory": "thing"} for category in categories]
    (root / "coco" / "annotations").mkdir(parents=True, exist_ok=True)
    for split in ("train2017", "val2017"):
        (root / "coco" / split).mkdir(parents=True, exist_ok=True)
        entries, annotations = [], []
        for index in range(images):
            name = f"{index:012d}.jpg"
            picture(rng, index).save(root / "coco" / split / name)
            entries.append({"id": index + 1, "file_name": name, "width": SIZE[0], "height": SIZE[1]})
            for category, ((x0, y0, x1, y1), _) in zip((17, 18), objects(index)):
                annotations.append({
                    "id": len(annotations) + 1, "image_id": index + 1, "category_id": category, "iscrowd": 0,
                    "bbox": [x0, y0, x1 - x0, y1 - y0], "area": float((x1 - x0) * (y1 - y0)),
                    "segmentation": [[x0, y0, x1, y0, x1, y1, x0, y1]],
                })
        (root / "coco" / "annotations" / f"instances_{split}.json").write_text(
            json.dumps({"images": entries, "annotations": annotations, "categories": categories}))
    return root
