"""The fast linear probe against the official 100-epoch linear evaluation, same frozen backbone, same run.

Prints wall time and top-1 of each and their ratio/difference. Defaults: the student the
embedded demo distils (run `seed demo` first) on the demo's digits, at the demo's 32 px.
The fast probe's time includes extracting the features (a cold cache).

    python benchmarks/linear_probe.py [--model seed-demo/seed-student/student.pth] [--data seed-demo/data]
    python benchmarks/linear_probe.py --model student.pth --dataset imagenet --data /datasets/imagenet \\
        --image-size 224 --resize 256 --device cuda
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from downstream.config import EvalDataConfig, FeatureConfig, LinearConfig, ProbeConfig
from downstream.datasets import build_split
from downstream.features import extract_features
from downstream.linear import train_linear
from downstream.models import load_model
from downstream.probe import linear_probe
from report import add_ratio, device_name, markdown_table
from seed.utils.distributed import resolve_device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="seed-demo/seed-student/student.pth")
    parser.add_argument("--data", default="seed-demo/data")
    parser.add_argument("--dataset", default="imagefolder")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--resize", type=int, default=32)
    parser.add_argument("--mean", type=float, nargs=3, default=(0.3, 0.3, 0.3))
    parser.add_argument("--std", type=float, nargs=3, default=(0.4, 0.4, 0.4))
    parser.add_argument("--epochs", type=int, default=100, help="official loop epochs (steps at 60%% and 80%%)")
    parser.add_argument("--crop-scale", type=float, nargs=2, default=(0.4, 1.0),
                        help="official loop's random-resized-crop scale (ImageNet: 0.08 1; the demo's digits: 0.4 1)")
    parser.add_argument("--batch-size", type=int, default=256, help="official loop batch (lr scales by batch/256)")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if not Path(args.model).is_file():
        raise SystemExit(f"{args.model} does not exist: run `seed demo` first, or pass --model")

    device = resolve_device(args.device)
    model = load_model(args.model)
    data = EvalDataConfig(name=args.dataset, root=args.data)
    train, val = build_split(data, "train"), build_split(data, "val")
    with tempfile.TemporaryDirectory() as cache:
        features = FeatureConfig(image_size=args.image_size, resize=args.resize, mean=tuple(args.mean),
                                 std=tuple(args.std), workers=args.workers, cache_dir=cache, progress=False)
        start = time.perf_counter()
        train_x, train_y = extract_features(model, train, "train", features, device).tensors()
        val_x, val_y = extract_features(model, val, "val", features, device).tensors()
        fast = linear_probe(train_x, train_y, val_x, val_y, len(train.classes), ProbeConfig(), device)
        fast_seconds = time.perf_counter() - start

    milestones = (round(0.6 * args.epochs), round(0.8 * args.epochs))
    official_cfg = LinearConfig(epochs=args.epochs, milestones=milestones, workers=args.workers,
                                batch_size=args.batch_size,
                                crop_scale=tuple(args.crop_scale))
    start = time.perf_counter()
    official = train_linear(model, train, val, official_cfg, features, device)
    official_seconds = time.perf_counter() - start

    rows = [{"protocol": f"official linear, {args.epochs} epochs, lr {official['lr']:g}", "top-1": official["top1"],
             "wall time (s)": official_seconds},
            {"protocol": f"fast probe ({fast.solver}, wd {fast.weight_decay:g} of {len(fast.sweep)})",
             "top-1": fast.metrics["top1"], "wall time (s)": fast_seconds}]
    add_ratio(rows, "wall time (s)", "speed-up vs official", lower_is_better=True)
    print(f"\n{model.name} ({model.arch}) on {train.description} -> {val.description}; {device_name(device)}")
    print(markdown_table(rows))
    print(f"\ntop-1 difference (fast - official) {fast.metrics['top1'] - official['top1']:+.2f} points")


if __name__ == "__main__":
    main()
