"""MoCo v2 (Chen et al., 2020; He et al., CVPR 2020): the student trained alone, the paper's baseline.

A query encoder f_q (the student) and its momentum copy f_k; for views x_q, x_k
of one image, q = f_q(x_q), k = f_k(x_k) (both L2-normalised) and a queue of past
keys {k_j}:

    L = -log( exp(q.k / tau) / (exp(q.k / tau) + sum_j exp(q.k_j / tau)) )

f_k <- m f_k + (1 - m) f_q after every step; keys are computed with "shuffle BN"
across processes so BatchNorm cannot leak which key is the positive.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seed.config import DistillConfig
from seed.models import build_student
from seed.models.encoder import Encoder
from seed.objectives.base import OBJECTIVES, Objective, Views, objective_params
from seed.objectives.queue import FeatureQueue
from seed.utils.distributed import all_gather_variable, is_distributed


def info_nce(query: torch.Tensor, key: torch.Tensor, queue: torch.Tensor, temperature: float) -> torch.Tensor:
    """InfoNCE with the positive key first: query, key N x D; queue K x D; all L2-normalised."""
    with torch.autocast(device_type=query.device.type, enabled=False):
        query, key, queue = query.float(), key.float(), queue.float()
        logits = torch.cat([(query * key).sum(1, keepdim=True), query @ queue.T], dim=1) / temperature
        return F.cross_entropy(logits, torch.zeros(len(query), dtype=torch.long, device=query.device))


@torch.no_grad()
def momentum_update(target: nn.Module, source: nn.Module, momentum: float) -> None:
    """target <- momentum * target + (1 - momentum) * source, parameter by parameter."""
    for t, s in zip(target.parameters(), source.parameters()):
        t.mul_(momentum).add_(s.detach(), alpha=1.0 - momentum)


@torch.no_grad()
def shuffled_forward(encoder: nn.Module, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Run `encoder` on a random re-partition of the global batch across processes (MoCo's
    shuffle BN), then return each process its own images' outputs, in order."""
    if not is_distributed():
        return encoder(images)
    everything, sizes = all_gather_variable(images)
    rank = torch.distributed.get_rank()
    start = sum(sizes[:rank])
    order = torch.randperm(len(everything), generator=generator).to(images.device)
    outputs, _ = all_gather_variable(encoder(everything[order[start:start + sizes[rank]]]))
    restored = torch.empty_like(outputs)
    restored[order] = outputs
    return restored[start:start + sizes[rank]]


@dataclass
class ContrastParams:
    """MoCo v2's contrastive part: K = 65536 queued keys, tau = 0.2, momentum m = 0.999."""

    queue_size: int = 65536
    temperature: float = 0.2
    momentum: float = 0.999


@dataclass
class MoCoParams(ContrastParams):
    """MoCo v2 with its own 128-d MLP head."""

    embed_dim: int = 128


@OBJECTIVES.register("mocov2")
class MoCoV2(Objective):
    """MoCo v2 on the student alone: same trainer, same data, so baseline rows are comparable."""

    Params = MoCoParams

    def __init__(self, student: Encoder, params: ContrastParams, seed: int = 0) -> None:
        super().__init__()
        self.params = params
        self.seed = seed
        self.student = student
        self.momentum_student = copy.deepcopy(student).requires_grad_(False)
        self.queue = FeatureQueue(params.queue_size, student.embed_dim)
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))  # seeds the BN shuffle

    @classmethod
    def from_config(cls, cfg: DistillConfig) -> "MoCoV2":
        params = objective_params(cfg)
        return cls(build_student(cfg.student, params.embed_dim), params, cfg.train.seed)

    def view_counts(self) -> dict[str, int]:
        return {"global": 2}

    def contrast(self, query: torch.Tensor, key_images: torch.Tensor) -> torch.Tensor:
        """InfoNCE of normalised queries (N x D) against the momentum encoder's keys of `key_images`
        and the queue; updates the momentum encoder first and enqueues the keys after."""
        with torch.no_grad():
            momentum_update(self.momentum_student, self.student, self.params.momentum)
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + int(self.steps))
            key = F.normalize(shuffled_forward(self.momentum_student, key_images, generator), dim=1)
        loss = info_nce(query, key, self.queue.features.clone(), self.params.temperature)
        self.queue.enqueue_from_all_ranks(key)
        self.steps += 1
        return loss

    def forward(self, views: Views) -> dict[str, torch.Tensor]:
        query_images, key_images = views["global"]
        query = F.normalize(self.student(query_images), dim=1)  # N x D
        return {"loss": self.contrast(query, key_images)}
