"""The SEED training step both throughput benchmarks time: the official-style step and ours.

`distill_throughput.py` and `gpu_suite.py` import this one module, so they measure the same
step. "Reference" restates the official main.py/builder.py step: fp32, default memory format,
einsum logits, teacher under no_grad. "Ours" is seed.engine.trainer.forward_backward on the
SEED objective plus the optimiser step, with the trainer's AMP and channels_last switches and
optionally `torch.compile` of the student and/or the teacher.
"""
from __future__ import annotations

import time
from typing import Callable

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
from seed.utils.step_setup import compile_parts

Step = Callable[[], None]
# wall: elapsed time; cpu: this process's CPU time, for a CPU shared with other work (with one
# thread, the step's own compute: other processes' load does not count).
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def make_models(student_arch: str, queue_size: int, teacher_arch: str = "resnet50") -> SEED:
    """A SEED objective: `teacher_arch` + MoCo-v2 head (d-d-128) teacher, a timm student, seeded."""
    torch.manual_seed(0)
    backbone = build_backbone(teacher_arch)
    teacher = FrozenTeacher(Encoder(backbone, projection_head(backbone.num_features, backbone.num_features, 128)))
    return SEED(build_student(StudentConfig(arch=student_arch), 128), teacher, SEEDParams(queue_size=queue_size))


def make_optimizer(model: torch.nn.Module) -> torch.optim.Optimizer:
    return torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.03, momentum=0.9,
                           weight_decay=1e-4)


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


def build_reference_step(model: SEED, images: torch.Tensor) -> Step:
    """The official-style step on `images` (model already on their device, fp32, NCHW)."""
    optimizer = make_optimizer(model)
    queue = F.normalize(torch.randn(128, model.params.queue_size, device=images.device), dim=0)
    pointer = [0]
    return lambda: reference_step(model, images, optimizer, queue, pointer)


def prepare(model: SEED, channels_last: bool, compile: str = "none", backend: str = "inductor") -> SEED:
    """Our model set-up: channels_last weights, and `torch.compile` (in place, state-dict keys
    unchanged) of the parts seed.utils.step_setup.COMPILE_TARGETS[compile] names."""
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    return compile_parts(model, compile, backend)


def build_our_step(model: SEED, images: torch.Tensor, amp: str, channels_last: bool) -> Step:
    """Our step (the trainer's forward_backward + scaler/optimiser step) on a `prepare`d model."""
    optimizer = make_optimizer(model)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    views = {"global": [images.contiguous(memory_format=memory_format)]}
    scaler = torch.amp.GradScaler(images.device.type, enabled=amp == "fp16")

    def step() -> None:
        forward_backward(model, views, optimizer, scaler, AMP_DTYPES[amp])
        scaler.step(optimizer)
        scaler.update()

    return step


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds_per_call(step: Step, device: torch.device, warmup: int, steps: int, clock: str = "wall") -> float:
    """Mean time (CLOCKS[clock]) of `step` after `warmup` untimed calls, the device synchronised at both ends."""
    now = CLOCKS[clock]
    for _ in range(warmup):
        step()
    synchronize(device)
    start = now()
    for _ in range(steps):
        step()
    synchronize(device)
    return (now() - start) / steps


def measure(step: Step, images: torch.Tensor, warmup: int, steps: int, clock: str = "wall") -> float:
    """Images per second of `step` on the batch `images`."""
    return images.shape[0] / seconds_per_call(step, images.device, warmup, steps, clock)
