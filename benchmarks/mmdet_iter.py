"""Seconds per Mask R-CNN training iteration in MMDetection and in Detectron2, C4 and FPN, per student.

The MMDetection model is our config's (configs/mmdet/mask-rcnn/mask-rcnn_student-c4_8xb2-1x_coco.py and
mask-rcnn_student_fpn_8xb2-1x_coco.py with the student named: SeedTIMMBackbone, SeedLastStage for C4, 80 classes, masks), the Detectron2
model the same student in the same recipe (configs/detection/Base-C4.yaml / Base-FPN.yaml, as
benchmarks/detection_iter.py builds it). Both train on the same synthetic batch (detection_iter's
pictures, boxes and box masks), one process, so SyncBN is plain BN; MMDetection's step is
`model.train_step` (preprocess, forward, loss, backward, SGD step), Detectron2's its own.

    python benchmarks/mmdet_iter.py                                     # CPU, 320 px, batch 2
    python benchmarks/mmdet_iter.py --device cuda --size 800 --batch-size 8 --iters 20
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch
from detection_iter import parse_arguments, print_heading, seconds_per_iteration, synthetic_batch, time_steps
from report import table_header, table_row
from detectron2.utils.events import EventStorage
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

import downstream.mmdet  # noqa: F401  (registers SeedTIMMBackbone and SeedLastStage)
from downstream.openmmlab.runner import pretrained_modules

REPO = Path(__file__).resolve().parents[1]
COLUMNS = ["student", "model", "MMDetection params (M)", "MMDetection s/iter", "Detectron2 params (M)",
           "Detectron2 s/iter", "MMDetection / Detectron2"]
CONFIGS = {"c4": "configs/mmdet/mask-rcnn/mask-rcnn_student-c4_8xb2-1x_coco.py",
           "fpn": "configs/mmdet/mask-rcnn/mask-rcnn_student_fpn_8xb2-1x_coco.py"}


def mmdet_batch(batch: list[dict]) -> dict:
    """Detectron2's synthetic inputs as MMDetection's dataloader hands them to train_step."""
    inputs, samples = [], []
    for item in batch:
        height, width = item["height"], item["width"]
        sample = DetDataSample(metainfo=dict(img_shape=(height, width), ori_shape=(height, width),
                                             scale_factor=(1.0, 1.0)))
        instances = item["instances"].to("cpu")
        sample.gt_instances = InstanceData(
            bboxes=instances.gt_boxes.tensor, labels=instances.gt_classes,
            masks=BitmapMasks(instances.gt_masks.tensor.numpy().astype("uint8"), height, width))
        inputs.append(item["image"].cpu().to(torch.uint8))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def mmdet_seconds_per_iteration(arch: str, variant: str, args: argparse.Namespace) -> tuple[float, float]:
    """(s/iter, parameters in millions) of MMDetection's train_step on our config for `arch`."""
    cfg = Config.fromfile(str(REPO / CONFIGS[variant]))
    init_default_scope(cfg.default_scope)
    for module in pretrained_modules(cfg.model):
        module.init_cfg = None  # speed does not depend on the weights: no file, so the network is named
        module.model_name = arch
    torch.manual_seed(0)
    model = revert_sync_batchnorm(MODELS.build(cfg.model)).to(args.device).train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    data = mmdet_batch(synthetic_batch(args.batch_size, args.size, torch.device("cpu")))
    seconds = time_steps(lambda: model.train_step(data, optim_wrapper), args)
    return seconds, sum(p.numel() for p in model.parameters()) / 1e6


def main() -> None:
    args = parse_arguments(__doc__)
    print_heading(args)
    print(table_header(COLUMNS), flush=True)
    with EventStorage():  # Detectron2's losses log to its event storage, as inside its trainer
        for arch in args.archs:
            for variant in args.variants:  # a row as soon as it is measured
                mmdet_seconds, mmdet_params = mmdet_seconds_per_iteration(arch, variant, args)
                d2_seconds, d2_params = seconds_per_iteration(arch, variant, args)
                row = {"student": arch, "model": variant.upper(), "MMDetection params (M)": mmdet_params,
                       "MMDetection s/iter": mmdet_seconds, "Detectron2 params (M)": d2_params,
                       "Detectron2 s/iter": d2_seconds, "MMDetection / Detectron2": mmdet_seconds / d2_seconds}
                print(table_row(row, COLUMNS), flush=True)


if __name__ == "__main__":
    main()
