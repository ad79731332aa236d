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
from detectron2.evaluation import COCOEvaluator, DatasetEvaluator, PascalVOCDetectionEvaluator

from seed.errors import MissingInputError, UnknownNameError
from seed.registry import Registry


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
                                       "coco_2017_train, coco_2017_val, ...)")
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
