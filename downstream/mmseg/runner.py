"""Train and test an MMSeg config with mmengine's Runner (downstream/openmmlab/runner.py); MMSeg's
IoUMetric numbers (aAcc, mIoU, mAcc) become one result record, headline mIoU."""
from __future__ import annotations

from typing import Any

from downstream.openmmlab import runner
from downstream.openmmlab.runner import load_config  # noqa: F401  (with MMSEG.train/test, this library's API)


def segmentation_records(fields: dict[str, Any], metrics: dict[str, Any]) -> list[tuple[str, dict[str, float], str]]:
    """One record: the config's protocol with every IoUMetric number, mIoU first in the table."""
    return [(fields["protocol"], {key: float(value) for key, value in metrics.items()}, "mIoU")]


MMSEG = runner.Integration(
    library="MMSegmentation", packages=("mmsegmentation", "mmcv", "mmengine"), records=segmentation_records,
    example="dict(protocol='segmentation-fcn', dataset='voc12aug', split='val')",
    example_config="configs/segmentation/fcn/fcn-d16_student_4xb4-30k_voc12aug-512x512.py",
    scope="mmseg", model_noun="segmentor")

