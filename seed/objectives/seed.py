"""SEED: Self-supervised Distillation for Visual Representation (Fang et al., ICLR 2021).

The student learns to reproduce the teacher's similarity distribution over a queue
of past teacher embeddings. For an image x_i with L2-normalised embeddings
z^S_i (student) and z^T_i (teacher), and a queue D = [d_1 .. d_K] of teacher embeddings,

    p^T_j(x_i) = exp(z^T_i . d_j / tau^T) / sum_{d in D+} exp(z^T_i . d / tau^T)
    p^S_j(x_i) = exp(z^S_i . d_j / tau^S) / sum_{d in D+} exp(z^S_i . d / tau^S)
    L = (1/N) sum_i sum_j  -p^T_j(x_i) log p^S_j(x_i)

where D+ = [z^T_i, d_1, ..., d_K] puts the teacher's own embedding first: the
"positive" column is z^S.z^T for the student and z^T.z^T (= 1) for the teacher.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from seed.config import DistillConfig
from seed.models import build_student, build_teacher
from seed.models.encoder import Encoder
from seed.models.teachers import FrozenTeacher
from seed.objectives.base import OBJECTIVES, Distillation, Views, objective_params
from seed.objectives.queue import FeatureQueue


def seed_loss(student: torch.Tensor, teacher: torch.Tensor, queue: torch.Tensor,
              student_temperature: float, teacher_temperature: float) -> torch.Tensor:
    """Cross-entropy between the teacher's and the student's softmax similarities over [positive, queue].

    student, teacher: N x D, L2-normalised embeddings of the same images.
    queue:            K x D, past teacher embeddings.
    Computed in float32 whatever the autocast state (tau^T = 1e-4 overflows half precision).
    """
    with torch.autocast(device_type=student.device.type, enabled=False):
        student, teacher, queue = student.float(), teacher.float(), queue.float()
        student_logits = torch.cat([(student * teacher).sum(1, keepdim=True),   # N x 1
                                    student @ queue.T], dim=1)                   # N x (1+K)
        teacher_logits = torch.cat([(teacher * teacher).sum(1, keepdim=True),
                                    teacher @ queue.T], dim=1)
        targets = F.softmax(teacher_logits / teacher_temperature, dim=1)
        return -(targets * F.log_softmax(student_logits / student_temperature, dim=1)).sum(1).mean()


@dataclass
class SEEDParams:
    """Defaults of the official code (main.py): K = 65536, tau^S = 0.2, tau^T = 1e-4."""

    queue_size: int = 65536
    student_temperature: float = 0.2
    teacher_temperature: float = 1e-4
    small_views: int = 0  # >0: the small-patch variant (main_small-patch.py uses 6 crops of 96 px)


@OBJECTIVES.register("seed")
class SEED(Distillation):
    """SEED with one queue; with `small_views` > 0, the official small-patch variant adds a
    second queue for small crops, fed by each image's first small crop."""

    Params = SEEDParams

    def __init__(self, student: Encoder, teacher: FrozenTeacher, params: SEEDParams) -> None:
        super().__init__(student, teacher, params)
        self.queue = FeatureQueue(params.queue_size, teacher.embed_dim)
        self.small_queue = FeatureQueue(params.queue_size, teacher.embed_dim) if params.small_views else None

    @classmethod
    def from_config(cls, cfg: DistillConfig) -> "SEED":
        teacher = build_teacher(cfg.teacher)
        return cls(build_student(cfg.student, teacher.embed_dim), teacher, objective_params(cfg))

    def view_counts(self) -> dict[str, int]:
        counts = {"global": 1}
        if self.params.small_views:
            counts["small"] = self.params.small_views
        return counts

    def _distill(self, images: torch.Tensor, queue: FeatureQueue) -> tuple[torch.Tensor, torch.Tensor]:
        student = F.normalize(self.student(images), dim=1)  # N x D
        teacher = F.normalize(self.teacher(images), dim=1)  # N x D, no grad
        loss = seed_loss(student, teacher, queue.features.clone(),
                         self.params.student_temperature, self.params.teacher_temperature)
        return loss, teacher

    def forward(self, views: Views) -> dict[str, torch.Tensor]:
        loss, teacher = self._distill(views["global"][0], self.queue)
        out = {"loss_global": loss.detach()}
        if self.small_queue is not None:
            small = views["small"]
            small_loss, small_teacher = self._distill(torch.cat(small), self.small_queue)
            out["loss_small"] = small_loss.detach()
            loss = loss + small_loss
            self.small_queue.enqueue_from_all_ranks(small_teacher[: small[0].shape[0]])  # first crop of each image
        self.queue.enqueue_from_all_ranks(teacher)
        out["loss"] = loss
        return out
