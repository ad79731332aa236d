"""Seconds per Detectron2 training iteration, Mask R-CNN C4 and FPN, for each student family.

Each model is the recipe's (configs/detection/Base-C4.yaml / Base-FPN.yaml, 80 COCO classes, masks
on) with the student's backbone, trained with SGD on a synthetic batch: random pictures with a
few boxes and masks, at a fixed short side. The step is Detectron2's own: model(batch) -> losses,
backward, optimizer step. CPU by default (small pictures); on a GPU with `--device cuda`.

    python benchmarks/detection_iter.py                                   # CPU, 320 px, batch 2
    python benchmarks/detection_iter.py --device cuda --size 800 --batch-size 8 --iters 20
"""
from __future__ import annotations

import argparse
import statistics
from typing import Callable

import torch
from detectron2.modeling import build_model
from detectron2.structures import BitMasks, Boxes, Instances
from detectron2.utils.events import EventStorage

import downstream.detectron2  # noqa: F401  (registers our backbones and ROI head)
from downstream.detectron2.config import model_config
from report import call_seconds, device_name, markdown_table

ARCHS = ["resnet18", "resnet34", "efficientnet_b0", "efficientnet_b1", "mobilenetv3_large_100"]


def synthetic_batch(batch: int, size: int, device: torch.device, boxes: int = 4) -> list[dict]:
    """Detectron2 training inputs: RGB 0-255 pictures of size x 4/3 size with random boxes and box masks."""
    height, width = size, size * 4 // 3
    generator = torch.Generator().manual_seed(0)
    inputs = []
    for _ in range(batch):
        corners = torch.rand(boxes, 2, generator=generator) * torch.tensor([width * 0.6, height * 0.6])
        sides = 16 + torch.rand(boxes, 2, generator=generator) * torch.tensor([width * 0.3, height * 0.3])
        xyxy = torch.cat([corners, corners + sides], dim=1)
        masks = torch.zeros(boxes, height, width, dtype=torch.bool)
        for index, (x0, y0, x1, y1) in enumerate(xyxy.round().int().tolist()):
            masks[index, y0:y1, x0:x1] = True
        instances = Instances((height, width), gt_boxes=Boxes(xyxy), gt_masks=BitMasks(masks),
                              gt_classes=torch.randint(0, 80, (boxes,), generator=generator))
        image = torch.randint(0, 256, (3, height, width), generator=generator).float()
        inputs.append({"image": image.to(device), "instances": instances.to(device), "height": height,
                       "width": width})
    return inputs


def seconds_per_iteration(arch: str, variant: str, args: argparse.Namespace) -> tuple[float, float]:
    """(s/iter, parameters in millions) of a few training steps after the warm-up ones."""
    cfg = model_config(arch, variant)
    cfg.merge_from_list(["MODEL.MASK_ON", True, "MODEL.DEVICE", args.device])
    torch.manual_seed(0)
    model = build_model(cfg).train()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=1e-3, momentum=0.9)
    batch = synthetic_batch(args.batch_size, args.size, torch.device(args.device))

    def step() -> None:
        losses = model(batch)
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()

    return time_steps(step, args), sum(p.numel() for p in model.parameters()) / 1e6


def time_steps(step: Callable[[], None], args: argparse.Namespace) -> float:
    """Mean seconds of `args.iters` calls of `step` after `args.warmup` untimed ones."""
    return statistics.mean(call_seconds(step, args.device, args.warmup, args.iters))


def parse_arguments(description: str) -> argparse.Namespace:
    """The options of the detection iteration benchmarks (this one and benchmarks/mmdet_iter.py)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--size", type=int, default=320, help="short side of the pictures in pixels")
    parser.add_argument("--batch-size", type=int, default=2)
    parser.add_argument("--iters", type=int, default=2, help="timed iterations")
    parser.add_argument("--warmup", type=int, default=1, help="untimed iterations first")
    parser.add_argument("--archs", nargs="+", default=ARCHS)
    parser.add_argument("--variants", nargs="+", default=["c4", "fpn"], choices=["c4", "fpn"])
    return parser.parse_args()


def print_heading(args: argparse.Namespace) -> None:
    """What was timed, and on which device and torch."""
    print(f"\nMask R-CNN training iteration, batch {args.batch_size}, {args.size} x {args.size * 4 // 3} px, "
          f"{device_name(args.device)}, torch {torch.__version__}")


def main() -> None:
    args = parse_arguments(__doc__)
    rows = []
    with EventStorage():  # the losses log to Detectron2's event storage, as inside its trainer
        for arch in args.archs:
            for variant in args.variants:
                seconds, params = seconds_per_iteration(arch, variant, args)
                rows.append({"student": arch, "model": variant.upper(), "params (M)": params, "s/iter": seconds})
    print_heading(args)
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
