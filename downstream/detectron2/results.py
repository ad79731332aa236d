"""Detectron2 evaluation results -> this project's result records (downstream.records), one per task.

Box results keep RESULTS.PROTOCOL (e.g. detection-c4-24k); mask results get "-mask" appended, so
box AP and mask AP are two columns of `seed results`. Per-category APs stay in Detectron2's log;
a NaN summary metric (COCO's APs/APl when no object has that size) is left out, unless it is
the headline one.
"""
from __future__ import annotations

import math
from pathlib import Path

import yaml
from detectron2.config import CfgNode

from downstream.records import ResultRecord, write_record
from seed.utils.hashing import file_digest

TASK_SUFFIXES = {"bbox": "", "segm": "-mask", "keypoints": "-keypoints"}


def per_dataset(cfg: CfgNode, results: dict) -> dict[str, dict]:
    """DefaultTrainer.test's answer keyed by test data set (it unwraps the dict when there is one)."""
    return {cfg.DATASETS.TEST[0]: results} if len(cfg.DATASETS.TEST) == 1 else dict(results)


def detection_records(cfg: CfgNode, results: dict) -> list[ResultRecord]:
    """A record per test data set and task, with the summary metrics (AP, AP50, AP75, APs, APm, APl)."""
    weights = cfg.MODEL.WEIGHTS
    checkpoint = str(Path(weights).resolve()) if weights and Path(weights).is_file() else None
    config = yaml.safe_load(cfg.dump())
    records = []
    for dataset_name, tasks in per_dataset(cfg, results).items():
        for task, metrics in tasks.items():
            summary = {name: float(value) for name, value in metrics.items()  # NaN: no object of that size
                       if "-" not in name and (math.isfinite(value) or name == cfg.RESULTS.PRIMARY_METRIC)}
            records.append(ResultRecord(
                model=cfg.RESULTS.MODEL,
                protocol=cfg.RESULTS.PROTOCOL + TASK_SUFFIXES.get(task, f"-{task}"),
                dataset=cfg.RESULTS.DATASET or dataset_name,
                split=dataset_name,
                metrics=summary,
                primary_metric=cfg.RESULTS.PRIMARY_METRIC,
                framework="Detectron2",
                checkpoint=checkpoint,
                checkpoint_sha256=file_digest(checkpoint) if checkpoint else None,
                config=config,
            ))
    return records


def write_detection_records(cfg: CfgNode, results: dict) -> list[Path]:
    """Write the records to RESULTS.DIR (default OUTPUT_DIR); return their paths."""
    folder = cfg.RESULTS.DIR or cfg.OUTPUT_DIR
    return [write_record(record, folder) for record in detection_records(cfg, results)]

