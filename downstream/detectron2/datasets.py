"""Detectron2's data sets as registered (built-ins under $DETECTRON2_DATASETS), their evaluators, and
a check that their files exist before a run starts.

Kinds are keyed by the `evaluator_type` Detectron2's registration puts in the metadata:
"pascal_voc" -> PascalVOCDetectionEvaluator, "coco" -> COCOEvaluator (pycocotools).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from detectron2.config import CfgNode
from detectron2.data import DatasetCatalog, MetadataCatalog
from detectron2.data.datasets import register_coco_instances, register_pascal_voc
from detectron2.evaluation import COCOEvaluator, DatasetEvaluator, PascalVOCDetectionEvaluator

from seed.data.scene_formats import CLASSES as DIGIT_CLASSES
from seed.errors import MissingInputError, UnknownNameError
from seed.registry import Registry

DIGIT_SCENES = "digit-scenes"  # `seed data digit-scenes` written under $DETECTRON2_DATASETS, as Detectron2's built-ins


@dataclass(frozen=True)
class DatasetKind:
    """How a kind of data set is evaluated, and which files it must have."""

    evaluator: Callable[[str, str], DatasetEvaluator]  # (data set name, output folder)
    required_paths: Callable[[object], list[str]]  # metadata -> files and folders


DATASET_KINDS: Registry[DatasetKind] = Registry("data set evaluator_type")
DATASET_KINDS.register("pascal_voc", DatasetKind(
    evaluator=lambda name, output: PascalVOCDetectionEvaluator(name),
    required_paths=lambda meta: [os.path.join(meta.dirname, "Annotations"), os.path.join(meta.dirname, "JPEGImages"),
                                 os.path.join(meta.dirname, "ImageSets", "Main", f"{meta.split}.txt")],
))
DATASET_KINDS.register("coco", DatasetKind(
    evaluator=lambda name, output: COCOEvaluator(name, output_dir=output),
    required_paths=lambda meta: [meta.json_file, meta.image_root],
))


def register_digit_scenes(root: str) -> None:
    """`seed data digit-scenes ROOT/digit-scenes` as Detectron2 data sets, the way its builtin.py registers VOC
    and COCO: digit_scenes_{trainval,test} (VOC boxes, AP50) and digit_scenes_coco_{train,val} (boxes and RLE
    masks; train Mask R-CNN with INPUT.MASK_FORMAT bitmask)."""
    folder = os.path.join(root, DIGIT_SCENES)
    for split in ("trainval", "test"):
        register_pascal_voc(f"digit_scenes_{split}", os.path.join(folder, "VOC2007"), split, 2007, DIGIT_CLASSES)
        MetadataCatalog.get(f"digit_scenes_{split}").evaluator_type = "pascal_voc"  # as builtin.py sets it
    for split in ("train", "val"):
        register_coco_instances(f"digit_scenes_coco_{split}", {"thing_classes": list(DIGIT_CLASSES)},
                                os.path.join(folder, "annotations", f"instances_{split}.json"),
                                os.path.join(folder, "VOC2007", "JPEGImages"))


register_digit_scenes(os.path.expanduser(os.getenv("DETECTRON2_DATASETS", "datasets")))


def _kind(name: str) -> DatasetKind | None:
    evaluator_type = MetadataCatalog.get(name).get("evaluator_type")
    return DATASET_KINDS.get(evaluator_type) if evaluator_type in DATASET_KINDS else None


def check_datasets(cfg: CfgNode) -> None:
    """Every data set in DATASETS.TRAIN/TEST is registered and its files exist; else an error naming
    the expected path (built-ins live under $DETECTRON2_DATASETS)."""
    for key, names in (("DATASETS.TRAIN", cfg.DATASETS.TRAIN), ("DATASETS.TEST", cfg.DATASETS.TEST)):
        for name in names:
            if name not in DatasetCatalog.list():
                raise UnknownNameError(f"{key}: data set {name!r} is not registered in Detectron2's DatasetCatalog "
                                       "(built-in names: voc_2007_trainval, voc_2012_trainval, voc_2007_test, "
                                       "coco_2017_train, coco_2017_val, ...; digit_scenes_trainval, "
                                       "digit_scenes_test, digit_scenes_coco_train, digit_scenes_coco_val)")
            kind = _kind(name)
            for path in kind.required_paths(MetadataCatalog.get(name)) if kind else []:
                if not Path(path).exists():
                    root = os.path.abspath(os.path.expanduser(os.getenv("DETECTRON2_DATASETS", "datasets")))
                    raise MissingInputError(
                        f"{key}: data set {name!r} is missing: expected {os.path.abspath(path)}. Detectron2 "
                        f"finds its built-in data sets under $DETECTRON2_DATASETS (now {root}); see "
                        "https://detectron2.readthedocs.io/en/latest/tutorials/builtin_datasets.html")


def build_evaluator(dataset_name: str, output_folder: str) -> DatasetEvaluator:
    """Detectron2's own evaluator for the data set's kind."""
    kind = _kind(dataset_name)
    if kind is None:
        evaluator_type = MetadataCatalog.get(dataset_name).get("evaluator_type")
        raise UnknownNameError(f"DATASETS.TEST: no evaluator for {dataset_name!r} (evaluator_type "
                               f"{evaluator_type!r}); set MetadataCatalog.get(name).evaluator_type to one of {', '.join(DATASET_KINDS.names())}")
    return kind.evaluator(dataset_name, output_folder)
