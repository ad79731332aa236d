"""Train and test an MMSeg config with mmengine's Runner (downstream/openmmlab/runner.py); MMSeg's
IoUMetric numbers (aAcc, mIoU, mAcc) become one result record, headline mIoU."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from mmengine.config import Config

from downstream.openmmlab import runner
from downstream.openmmlab.runner import add_config_arguments, load_config, summary  # noqa: F401  (the tools' API)
from downstream.records import ResultRecord


def segmentation_records(fields: dict[str, Any], metrics: dict[str, Any]) -> list[tuple[str, dict[str, float], str]]:
    """One record: the config's protocol with every IoUMetric number, mIoU first in the table."""
    return [(fields["protocol"], {key: float(value) for key, value in metrics.items()}, "mIoU")]


MMSEG = runner.Integration(
    library="MMSegmentation", packages=("mmsegmentation", "mmcv", "mmengine"), records=segmentation_records,
    example="dict(protocol='segmentation-fcn', dataset='voc12aug', split='val')")


def train_segmentation(cfg: Config, results: str | Path = "results", name: str | None = None) -> list[ResultRecord]:
    """Check data and student, train, test the final model, write the mIoU record."""
    return runner.train(cfg, MMSEG, results, name)


def test_segmentation(cfg: Config, checkpoint: str | Path, results: str | Path = "results",
                      name: str | None = None) -> list[ResultRecord]:
    """Check data, load a trained segmentor strictly, test it, write the mIoU record."""
    return runner.test(cfg, MMSEG, checkpoint, results, name)
