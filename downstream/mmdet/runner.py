"""Train and test an MMDetection config with mmengine's Runner (downstream/openmmlab/runner.py).

MMDetection's own metrics become result records named as the Detectron2 ones are, so both
frameworks' numbers sit side by side in `seed results`: VOCMetric's AP50 (11-point on VOC2007)
one record; CocoMetric's box and mask numbers one record each, masks under the protocol plus
"-mask". Fractions become percentages, as Detectron2 reports them; a size AP that COCO could
not compute (no object of that size: -1) is left out unless it is the headline.
"""
from __future__ import annotations

from typing import Any

from downstream.openmmlab import runner
from downstream.openmmlab.runner import load_config  # noqa: F401  (with MMDET.train/test, this library's API)
from seed.errors import UnknownNameError

TASK_SUFFIXES = {"bbox": "", "segm": "-mask"}
VOC_NAMES = {"mAP": "AP50"}  # VOCMetric's mAP at the one IoU threshold 0.5, and its own AP50
COCO_NAMES = {"mAP": "AP", "mAP_50": "AP50", "mAP_75": "AP75", "mAP_s": "APs", "mAP_m": "APm", "mAP_l": "APl"}


def _task_metrics(metrics: dict[str, Any]) -> dict[str, dict[str, float]]:
    """{task: {Detectron2-style name: percent}} from the Runner's `prefix/name` metrics."""
    tasks: dict[str, dict[str, float]] = {}
    for key, value in metrics.items():
        prefix, _, name = key.partition("/")
        if prefix == "pascal_voc" and name in (*VOC_NAMES, "AP50"):
            tasks.setdefault("bbox", {})[VOC_NAMES.get(name, name)] = 100 * float(value)
        elif prefix == "coco":
            task, _, measure = name.partition("_")
            if measure in COCO_NAMES:
                tasks.setdefault(task, {})[COCO_NAMES[measure]] = 100 * float(value)
    return tasks


def detection_records(fields: dict[str, Any], metrics: dict[str, Any]) -> list[tuple[str, dict[str, float], str]]:
    """A record per task (boxes, masks): (protocol, metrics in percent, primary metric)."""
    primary = fields.get("primary_metric", "AP")
    tasks = _task_metrics(metrics)
    if not tasks:
        raise UnknownNameError(f"no VOCMetric or CocoMetric numbers among the test metrics {sorted(metrics)}")
    return [(fields["protocol"] + TASK_SUFFIXES.get(task, f"-{task}"),
             {name: value for name, value in measured.items() if value >= 0 or name == primary}, primary)
            for task, measured in tasks.items()]


MMDET = runner.Integration(
    library="MMDetection", packages=("mmdet", "mmcv", "mmengine"), records=detection_records,
    example="dict(protocol='detection-c4-24k', dataset='voc07+12', split='voc_2007_test', primary_metric='AP50')",
    example_config="configs/mmdet/faster-rcnn/faster-rcnn_student-c4_8xb2-24k_voc0712.py",
    scope="mmdet", model_noun="detector")

