"""The digit scenes (`seed data digit-scenes`) as Detectron2 data sets, registered the way its built-ins
are: under $DETECTRON2_DATASETS/digit-scenes, the ten digits as class names.

    digit_scenes_trainval / digit_scenes_test        the VOC2007 tree (PascalVOCDetectionEvaluator, AP50)
    digit_scenes_coco_train / digit_scenes_coco_val  the COCO JSON with instance masks (COCOEvaluator)
"""
from __future__ import annotations

import os

from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.data.datasets import register_coco_instances, register_pascal_voc

from seed.data.scene_formats import CLASSES, VOC_SPLITS

FOLDER = "digit-scenes"


def register_digit_scenes(root: str) -> None:
    """Register the scenes under `root`/digit-scenes (once; files are read when a data set is first used)."""
    scenes = os.path.join(root, FOLDER)
    for voc_split in VOC_SPLITS.values():
        name = f"digit_scenes_{voc_split}"
        if name not in DatasetCatalog.list():
            register_pascal_voc(name, os.path.join(scenes, "VOC2007"), voc_split, 2007, class_names=CLASSES)
            MetadataCatalog.get(name).evaluator_type = "pascal_voc"  # as Detectron2's built-in VOC sets do
    for split in VOC_SPLITS:
        name = f"digit_scenes_coco_{split}"
        if name not in DatasetCatalog.list():
            register_coco_instances(name, {}, os.path.join(scenes, "annotations", f"instances_{split}.json"),
                                    os.path.join(scenes, "VOC2007", "JPEGImages"))


register_digit_scenes(os.path.expanduser(os.getenv("DETECTRON2_DATASETS", "datasets")))
