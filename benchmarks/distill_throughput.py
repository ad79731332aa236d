"""Images per second of the SEED training step: ours against a plain step written like the official code.

Both steps run in this process on the same teacher (ResNet-50 + MoCo-v2 head) and student
(EfficientNet-B0 by default). "Reference" is the official code's step: fp32, default memory
format, einsum logits, teacher under no_grad. "Ours" is seed.engine.trainer.forward_backward on
the SEED objective, with the AMP and channels_last switches of the trainer. CPU by default;
on a GPU when one is present (`--device auto`), e.g. batch 256 at 224 px.

    python benchmarks/distill_throughput.py                   # CPU, small batch
    python benchmarks/distill_throughput.py --device cuda --batch-size 256
"""
from __future__ import annotations

import argparse
import copy
import time

import torch
import torch.nn.functional as F

from seed.config import StudentConfig
from seed.engine.trainer import forward_backward
from seed.models import build_student
from seed.models.encoder import Encoder, projection_head
from seed.models.pretrained import build_backbone
from seed.models.teachers import FrozenTeacher
from seed.objectives.seed import SEED, SEEDParams
from seed.utils.amp import AMP_DTYPES
from seed.utils.distributed import resolve_device


def make_models(student_arch: str, queue_size: int) -> SEED:
    torch.manual_seed(0)
    teacher = FrozenTeacher(Encoder(build_backbone("resnet50"), projection_head(2048, 2048, 128)))
    return SEED(build_student(StudentConfig(arch=student_arch), 128), teacher, SEEDParams(queue_size=queue_size))


def reference_step(model: SEED, images: torch.Tensor, optimizer: torch.optim.Optimizer, queue: torch.Tensor,
                   pointer: list[int]) -> None:
    """The official main.py/builder.py step, restated: fp32, einsum, soft cross-entropy, FIFO queue."""
    s_emb = F.normalize(model.student(images), dim=1)
    with torch.no_grad():
        t_emb = F.normalize(model.teacher.encoder(images), dim=1)
    logit_stu = torch.einsum("nc,ck->nk", [s_emb, queue.clone().detach()])
    logit_tea = torch.einsum("nc,ck->nk", [t_emb, queue.clone().detach()])
    logit_stu = torch.cat([torch.einsum("nc,nc->n", [s_emb, t_emb]).unsqueeze(-1), logit_stu], dim=1) / 0.2
    logit_tea = torch.cat([torch.einsum("nc,nc->n", [t_emb, t_emb]).unsqueeze(-1), logit_tea], dim=1)
    target = F.softmax(logit_tea / 1e-4, dim=1)
    loss = -(target * F.log_softmax(logit_stu, 1)).sum() / logit_stu.shape[0]
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    n = t_emb.shape[0]
    queue[:, pointer[0]:pointer[0] + n] = t_emb.T
    pointer[0] = (pointer[0] + n) % queue.shape[1]


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(step, images: torch.Tensor, warmup: int, steps: int) -> float:
    for _ in range(warmup):
        step()
    synchronize(images.device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    synchronize(images.device)
    return images.shape[0] * steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    parser.add_argument("--student", default="efficientnet_b0")
    parser.add_argument("--batch-size", type=int, default=None, help="default: 256 on GPU, 16 on CPU")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--steps", type=int, default=None, help="timed steps (default: 20 GPU, 3 CPU)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: 5 GPU, 1 CPU)")
    parser.add_argument("--queue-size", type=int, default=65536)
    args = parser.parse_args()

    device = resolve_device(args.device)
    gpu = device.type == "cuda"
    batch = args.batch_size or (256 if gpu else 16)
    steps, warmup = args.steps or (20 if gpu else 3), args.warmup if args.warmup is not None else (5 if gpu else 1)
    if gpu:
        torch.backends.cudnn.benchmark = True
    half = "fp16" if gpu else "bf16"
    variants = [("reference (official-style fp32)", None), ("ours fp32", ("none", False)),
                ("ours channels_last", ("none", True)), (f"ours {half}", (half, False)),
                (f"ours {half} + channels_last", (half, True))]

    base = make_models(args.student, args.queue_size)
    images = torch.randn(batch, 3, args.image_size, args.image_size, device=device)
    rows = []
    for name, setting in variants:
        model = copy.deepcopy(base).to(device)
        optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.03, momentum=0.9,
                                    weight_decay=1e-4)
        if setting is None:
            queue, pointer = F.normalize(torch.randn(128, args.queue_size, device=device), dim=0), [0]
            rate = measure(lambda: reference_step(model, images, optimizer, queue, pointer), images, warmup, steps)
        else:
            amp, channels_last = setting
            memory_format = torch.channels_last if channels_last else torch.contiguous_format
            model = model.to(memory_format=memory_format)
            views = {"global": [images.contiguous(memory_format=memory_format)]}
            scaler = torch.amp.GradScaler(device.type, enabled=amp == "fp16")

            def step() -> None:
                forward_backward(model, views, optimizer, scaler, AMP_DTYPES[amp])
                scaler.step(optimizer)
                scaler.update()

            rate = measure(step, images, warmup, steps)
        rows.append((name, rate))
        del model, optimizer

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
