"""Images per second of the SEED training step: ours against a plain step written like the official code.

Both steps run in this process on the same teacher (ResNet-50 + MoCo-v2 head) and student
(EfficientNet-B0 by default). "Reference" is the official code's step: fp32, default memory
format, einsum logits, teacher under no_grad. "Ours" is seed.engine.trainer.forward_backward on
the SEED objective, in fp32 and in bf16 (or fp16), in both memory formats, each eager and under
`torch.compile`, plus "ours default": what `train.amp/channels_last/compile: auto` choose on this
machine (seed/utils/step_setup.py). The heading names the device as the libraries see it (ISA,
native bf16 or not, threads). Every variant is timed in `--rounds` interleaved rounds (the machine
may be shared); the table gives the best round and the spread of all rounds. On a busy machine
`--clock cpu --threads 1` times the process's own CPU seconds, which other processes do not inflate. CPU by default; on a
GPU with `--device auto`, e.g. batch 256 at 224 px. Both steps come from benchmarks/seed_step.py,
which benchmarks/gpu_suite.py times too.

    python benchmarks/distill_throughput.py                                   # CPU, small batch
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/distill_throughput.py  # as an AVX2 CPU
    python benchmarks/distill_throughput.py --clock cpu --threads 1           # a CPU shared with other work
    python benchmarks/distill_throughput.py --device cuda --batch-size 256
"""
from __future__ import annotations

import argparse
import copy
import itertools

import torch

from seed.utils.capabilities import device_capabilities
from seed.utils.distributed import resolve_device
from seed.utils.step_setup import choose_step_setup
from seed_step import build_our_step, build_reference_step, make_models, measure, prepare


def variants(half: str, compile: str) -> list[tuple[str, tuple[str, bool, str] | None]]:
    """(name, (amp, channels_last, compile) or None for the reference) of every timed step."""
    rows = [("reference (official-style fp32)", None)]
    for target, amp, channels_last in itertools.product(dict.fromkeys(("none", compile)), ("none", half),
                                                        (False, True)):
        name = " + ".join(part for part in ("fp32" if amp == "none" else amp,
                                            "channels_last" if channels_last else "",
                                            f"compile {target}" if target != "none" else "") if part)
        rows.append((f"ours {name}", (amp, channels_last, target)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--student", default="efficientnet_b0")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 256 on GPU, 16 on CPU")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--steps", type=int, default=None, help="timed steps per round (default: 20 GPU, 2 CPU)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: 5 GPU, 1 CPU)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved timing rounds of every variant")
    parser.add_argument("--queue-size", type=int, default=65536)
    parser.add_argument("--amp", default="bf16", choices=["bf16", "fp16"], help="the half precision timed")
    parser.add_argument("--compile", default="student", choices=["none", "student", "all"],
                        help="also time every variant with torch.compile of the student or of student and teacher")
    parser.add_argument("--clock", default="wall", choices=["wall", "cpu"],
                        help="wall time, or this process's CPU time (on a shared CPU, with --threads 1)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--compile-backend", default="inductor", help="torch.compile backend (eager: tracing only)")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    gpu = device.type == "cuda"
    batch = args.batch_size or (256 if gpu else 16)
    steps, warmup = args.steps or (20 if gpu else 2), args.warmup if args.warmup is not None else (5 if gpu else 1)
    if gpu:
        torch.backends.cudnn.benchmark = True
    caps = device_capabilities(device)
    default = choose_step_setup("auto", "auto", "auto", caps)
    timed = variants(args.amp, args.compile)
    timed.append((f"ours default (auto: {default.precision.amp}, channels_last {str(default.channels_last).lower()}, "
                  f"compile {default.compile})", (default.precision.amp, default.channels_last, default.compile)))

    base = make_models(args.student, args.queue_size)
    images = torch.randn(batch, 3, args.image_size, args.image_size, device=device)
    steps_by_name = {}
    for name, setting in timed:
        model = copy.deepcopy(base).to(device)
        if setting is None:
            steps_by_name[name] = build_reference_step(model, images)
        else:
            amp, channels_last, compile = setting
            model = prepare(model, channels_last, compile, args.compile_backend)
            steps_by_name[name] = build_our_step(model, images, amp, channels_last)
        for _ in range(warmup):  # compiles the compiled variants
            steps_by_name[name]()
        print(f"ready: {name}", flush=True)
    rates = {name: [] for name in steps_by_name}
    for round_ in range(args.rounds):
        for name, step in steps_by_name.items():
            rates[name].append(measure(step, images, 0, steps, args.clock))
        print(f"round {round_ + 1}/{args.rounds} done", flush=True)

    reference = max(rates[timed[0][0]])
    fastest = max(max(r) for r in rates.values())
    print(f"\nSEED step, teacher resnet50+MoCo-v2 head -> student {args.student}, batch {batch}, "
          f"{args.image_size}px, queue {args.queue_size}, torch {torch.__version__}, "
          f"compile backend {args.compile_backend}")
    print(f"device: {caps.describe()}")
    print(f"{args.clock} clock, best of {args.rounds} interleaved rounds of {steps} steps (after {warmup} warm-up); "
          "spread = slowest..fastest round")
    print("| step | img/s | spread img/s | vs reference | vs fastest |")
    print("|---|---|---|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {max(rate):.2f} | {min(rate):.2f}-{max(rate):.2f} | {max(rate) / reference:.2f}x "
              f"| {max(rate) / fastest:.2f} |")


if __name__ == "__main__":
    main()
