"""Seconds per training iteration of the shipped segmentation configs, per student.

Each row builds the config's model for one student through MMSeg's registry (the backbone randomly
initialised, so the network is named: speed does not depend on the weights), its optimizer from the config, and times
`model.train_step` (data preprocessor, forward, loss, backward, SGD step) on a synthetic batch
of the config's crop size or `--crop`; data loading is left out. The median of the timed
iterations is reported (robust to other processes on shared cores), with the fastest. CPU by default, a GPU with
`--device cuda`.

    python benchmarks/segmentation_iter.py                          # CPU: batch 2, 256 px crops
    python benchmarks/segmentation_iter.py --device cuda --batch-size 4 --crop 512
    python benchmarks/segmentation_iter.py --configs configs/segmentation/fcn/*cityscapes*.py
"""
from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import downstream.mmseg  # noqa: F401 - registers SeedTIMMBackbone
from report import call_seconds, device_name, markdown_table

REPO = Path(__file__).resolve().parents[1]
STUDENTS = ("resnet18", "efficientnet_b0", "mobilenetv3_large_100")
DEFAULT_CONFIGS = ["configs/segmentation/fcn/fcn-d16_student_4xb4-30k_voc12aug-512x512.py",
                   "configs/segmentation/deeplabv3/deeplabv3-d8_student_4xb4-20k_voc12aug-512x512.py",
                   "configs/segmentation/upernet/upernet_student_4xb4-80k_ade20k-512x512.py"]


def synthetic_batch(batch: int, crop: int, classes: int) -> dict:
    """What MMSeg's dataloader hands train_step: uint8 images and SegDataSamples with labels."""
    samples = []
    for _ in range(batch):
        sample = SegDataSample(metainfo=dict(img_shape=(crop, crop), pad_shape=(crop, crop), ori_shape=(crop, crop)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, classes, (1, crop, crop)))
        samples.append(sample)
    return dict(inputs=[torch.randint(0, 256, (3, crop, crop), dtype=torch.uint8) for _ in range(batch)],
                data_samples=samples)


def seconds_per_iteration(config: Path, student: str, batch: int, crop: int | None, device: torch.device,
                          warmup: int, steps: int) -> dict:
    cfg = Config.fromfile(str(config))
    init_default_scope(cfg.default_scope)
    cfg.model.backbone.init_cfg = None
    cfg.model.backbone.model_name = student
    crop = crop or cfg.crop_size[0]
    cfg.model.data_preprocessor.size = (crop, crop)
    model = revert_sync_batchnorm(MODELS.build(cfg.model)).to(device).train()  # one process: plain BN
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    data = synthetic_batch(batch, crop, cfg.model.decode_head.num_classes)
    times = call_seconds(lambda: model.train_step(data, optim_wrapper), device, warmup, steps)
    return {"config": config.name, "student": cfg.model.backbone.model_name,
            "backbone params (M)": sum(p.numel() for p in model.backbone.parameters()) / 1e6,
            "model params (M)": sum(p.numel() for p in model.parameters()) / 1e6, "crop": crop,
            "s/iter (median)": statistics.median(times), "s/iter (fastest)": min(times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=DEFAULT_CONFIGS, help="config files (default: VOC FCN, "
                        "VOC DeepLabV3 and ADE20K UPerNet)")
    parser.add_argument("--students", nargs="+", default=STUDENTS, help="timm networks, each in every config "
                        f"(default: {' '.join(STUDENTS)})")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--batch-size", type=int, default=2, help="images per iteration (default 2)")
    parser.add_argument("--crop", type=int, default=None, help="crop size (default: 256 on CPU, the config's on GPU)")
    parser.add_argument("--steps", type=int, default=5, help="timed iterations; the median is reported (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed iterations first (default 1)")
    args = parser.parse_args()

    device = torch.device(args.device)
    crop = args.crop or (None if device.type == "cuda" else 256)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    rows = [seconds_per_iteration(REPO / config if not Path(config).is_absolute() else Path(config), student,
                                  args.batch_size, crop, device, args.warmup, args.steps)
            for student in args.students for config in args.configs]
    print(f"\nsegmentation training iteration (forward, backward, SGD step; data loading excluded), "
          f"batch {args.batch_size}, {device_name(device)}, torch {torch.__version__}")
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
