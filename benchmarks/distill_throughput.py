"""Images per second of the SEED training step: ours against a plain step written like the official code.

Both steps run in this process on the same teacher (ResNet-50 + MoCo-v2 head) and student
(EfficientNet-B0 by default). "Reference" is the official code's step: fp32, default memory
format, einsum logits, teacher under no_grad. "Ours" is seed.engine.trainer.forward_backward on
the SEED objective, with the AMP and channels_last switches of the trainer. CPU by default;
on a GPU when one is present (`--device auto`), e.g. batch 256 at 224 px. Both steps come from
benchmarks/seed_step.py, which benchmarks/gpu_suite.py times too.

    python benchmarks/distill_throughput.py                   # CPU, small batch
    python benchmarks/distill_throughput.py --device cuda --batch-size 256
"""
from __future__ import annotations

import argparse
import copy

import torch

from seed.utils.distributed import resolve_device
from seed_step import build_our_step, build_reference_step, make_models, measure, prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--student", default="efficientnet_b0")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 256 on GPU, 16 on CPU")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default: 20 GPU, 3 CPU)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: 5 GPU, 1 CPU)")
    parser.add_argument("--queue-size", type=int, default=65536)
    parser.add_argument("--amp", default="bf16", choices=["bf16", "fp16"], help="autocast dtype of ours")
    parser.add_argument("--compile", default="none", choices=["none", "student", "all"],
                        help="also time ours with torch.compile of the student or of student and teacher")
    parser.add_argument("--compile-backend", default="inductor", help="torch.compile backend (eager: tracing only)")
    args = parser.parse_args()

    device = resolve_device(args.device)
    gpu = device.type == "cuda"
    batch = args.batch_size or (256 if gpu else 16)
    steps, warmup = args.steps or (20 if gpu else 3), args.warmup if args.warmup is not None else (5 if gpu else 1)
    if gpu:
        torch.backends.cudnn.benchmark = True
    half = args.amp
    variants = [("reference (official-style fp32)", None), ("ours fp32", ("none", False, "none")),
                ("ours channels_last", ("none", True, "none")), (f"ours {half}", (half, False, "none")),
                (f"ours {half} + channels_last", (half, True, "none"))]
    if args.compile != "none":
        variants.append((f"ours {half} + channels_last + compile {args.compile}", (half, True, args.compile)))

    base = make_models(args.student, args.queue_size)
    images = torch.randn(batch, 3, args.image_size, args.image_size, device=device)
    rows = []
    for name, setting in variants:
        model = copy.deepcopy(base).to(device)
        if setting is None:
            step = build_reference_step(model, images)
        else:
            amp, channels_last, compile = setting
            model = prepare(model, channels_last, compile, args.compile_backend)
            step = build_our_step(model, images, amp, channels_last)
        rows.append((name, measure(step, images, warmup, steps)))
        del model, step

    reference = rows[0][1]
    device_name = torch.cuda.get_device_name(device) if gpu else f"CPU ({torch.get_num_threads()} threads)"
    print(f"\nSEED step, teacher resnet50+MoCo-v2 head -> student {args.student}, batch {batch}, "
          f"{args.image_size}px, queue {args.queue_size}, {device_name}, torch {torch.__version__}")
    print("| step | img/s | vs reference |")
    print("|---|---|---|")
    for name, rate in rows:
        print(f"| {name} | {rate:.1f} | {rate / reference:.2f}x |")


if __name__ == "__main__":
    main()
