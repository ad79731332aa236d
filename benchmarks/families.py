"""Student families side by side: parameters, multiply-adds at 224 px and images/s of the SEED step.

Every family's student (the README's "Student families" table) is built in this process and
timed on the same teacher, batch and clock, in `--rounds` interleaved rounds (the machine may be
shared; the best round counts); the last column is each student's rate over the reference
family's (`--reference`, ResNet-18 by default) measured alongside. Parameters are the backbone's
(classifier removed); multiply-adds are those of one 224 px image through the backbone, counted
by torch's FlopCounterMode (FLOPs / 2, as papers quote "FLOPs"). The step is our fp32 SEED step
(benchmarks/seed_step.py), CPU by default.

    python benchmarks/families.py                                      # CPU, batch 8 at 224 px
    python benchmarks/families.py --clock cpu --threads 1 --image-size 112 --steps 1 --rounds 1
    python benchmarks/families.py --device cuda --batch-size 128 --steps 10
"""
from __future__ import annotations

import argparse

import torch
from torch.utils.flop_counter import FlopCounterMode

from seed.config import StudentConfig
from seed.models import build_student
from seed.models.encoder import Encoder, projection_head
from seed.models.pretrained import build_backbone
from seed.models.teachers import FrozenTeacher
from seed.objectives.seed import SEED, SEEDParams
from seed.utils.distributed import resolve_device
from seed_step import build_our_step, measure

FAMILIES = {  # family -> its students in the README table
    "ResNet": ["resnet18"], "EfficientNet": ["efficientnet_b0"], "MobileNetV3": ["mobilenetv3_large_100"],
    "ConvNeXt": ["convnext_atto", "convnext_femto", "convnext_pico"], "MobileNetV4": ["mobilenetv4_conv_small"],
    "EfficientViT": ["efficientvit_b0"], "FastViT": ["fastvit_t8"], "RepViT": ["repvit_m0_9"],
    "EfficientFormerV2": ["efficientformerv2_s0"], "RegNetY": ["regnety_002", "regnety_004"],
    "MobileOne": ["mobileone_s0"],
}
SIZED = {"efficientformerv2"}  # built for one image size (timm's img_size): built at the timed size


def student_kwargs(arch: str, image_size: int) -> dict:
    return {"img_size": image_size} if arch.startswith(tuple(SIZED)) else {}


def macs_at_224(arch: str) -> float:
    """Multiply-adds (G) of one 224 px image through `arch`'s backbone."""
    backbone = build_backbone(arch, student_kwargs(arch, 224)).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        backbone(torch.zeros(1, 3, 224, 224))
    return counter.get_total_flops() / 2e9


def make_seed(arch: str, teacher_arch: str, queue_size: int, image_size: int) -> SEED:
    """The SEED objective: `teacher_arch` + MoCo-v2-style head (d-d-128) teacher, the `arch` student, seeded."""
    torch.manual_seed(0)
    backbone = build_backbone(teacher_arch)
    teacher = FrozenTeacher(Encoder(backbone, projection_head(backbone.num_features, backbone.num_features, 128)))
    student = build_student(StudentConfig(arch=arch, kwargs=student_kwargs(arch, image_size)), 128)
    return SEED(student, teacher, SEEDParams(queue_size=queue_size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--teacher", default="resnet50")
    parser.add_argument("--reference", default="resnet18", help="the student every rate is divided by")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--steps", type=int, default=2, help="timed steps per round")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved timing rounds of every student")
    parser.add_argument("--queue-size", type=int, default=4096)
    parser.add_argument("--clock", default="wall", choices=["wall", "cpu"],
                        help="wall time, or this process's CPU time (on a shared CPU, with --threads 1)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = parser.parse_args()

    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    archs = [arch for students in FAMILIES.values() for arch in students]
    if args.reference not in archs:
        archs.insert(0, args.reference)
    images = torch.randn(args.batch_size, 3, args.image_size, args.image_size, device=device)
    steps = {}
    for arch in archs:
        steps[arch] = build_our_step(make_seed(arch, args.teacher, args.queue_size, args.image_size).to(device),
                                     images, "none", False)
        for _ in range(args.warmup):
            steps[arch]()
        print(f"ready: {arch}", flush=True)
    rates = {arch: [] for arch in archs}
    for round_ in range(args.rounds):
        for arch, step in steps.items():
            rates[arch].append(measure(step, images, 0, args.steps, args.clock))
        print(f"round {round_ + 1}/{args.rounds} done", flush=True)

    reference = max(rates[args.reference])
    family_of = {arch: family for family, students in FAMILIES.items() for arch in students}
    print(f"\nSEED step (fp32), teacher {args.teacher} -> each student, batch {args.batch_size}, {args.image_size}px, "
          f"queue {args.queue_size}, {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{args.clock} clock, best of {args.rounds} interleaved rounds of {args.steps} steps")
    print(f"| family | student | params (M) | GMACs at 224 px | step img/s | vs {args.reference} |")
    print("|---|---|---|---|---|---|")
    for arch in archs:
        params = sum(p.numel() for p in build_backbone(arch, student_kwargs(arch, 224)).parameters()) / 1e6
        print(f"| {family_of.get(arch, '')} | {arch} | {params:.2f} | {macs_at_224(arch):.2f} | {max(rates[arch]):.1f} "
              f"| {max(rates[arch]) / reference:.2f}x |")


if __name__ == "__main__":
    main()
