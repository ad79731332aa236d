"""CompRess: Self-Supervised Learning by Compressing Representations (Abbasi Koohpayegani, Tejankar
and Pirsiavash, NeurIPS 2020).

The student mimics the teacher's similarity distribution over a queue of anchors, on pooled
backbone features (the teacher's MLP head is not used). With L2-normalised features, queues
Q_T (teacher features) and Q_S, and one temperature tau for both:

    p_T(i) = softmax_j(t_i . Q_T[j] / tau),   p_S(i) = softmax_j(s_i . Q_S[j] / tau)
    L = (1/N) sum_i KL(p_T(i) || p_S(i))

There is no positive column: the current batch is compared with the queues before it is
enqueued. CompRess-2q: Q_S holds features of a momentum (0.999) copy of the student.
CompRess-1q: one queue, Q_S = Q_T, and a linear map takes the student's features to the
teacher's dimension. Queues of 128,000 entries, tau = 0.04.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seed.config import ConfigError, DistillConfig
from seed.models import build_teacher
from seed.models.encoder import Encoder, backbone_feature_dim
from seed.models.pretrained import build_backbone
from seed.models.teachers import FrozenTeacher
from seed.objectives.base import OBJECTIVES, Distillation, Views, objective_params
from seed.objectives.moco import momentum_update
from seed.objectives.queue import FeatureQueue


def compress_loss(student: torch.Tensor, teacher: torch.Tensor, student_anchors: torch.Tensor,
                  teacher_anchors: torch.Tensor, temperature: float) -> torch.Tensor:
    """Mean over the batch of KL(p_T || p_S); all inputs L2-normalised, anchors K x D."""
    with torch.autocast(device_type=student.device.type, enabled=False):
        student_logits = student.float() @ student_anchors.float().T / temperature   # N x K
        teacher_logits = teacher.float() @ teacher_anchors.float().T / temperature
        return F.kl_div(F.log_softmax(student_logits, dim=1), F.log_softmax(teacher_logits, dim=1),
                        reduction="batchmean", log_target=True)


@dataclass
class CompRessParams:
    """Queue size 128,000, tau = 0.04, momentum 0.999 for the student queue's encoder (2q)."""

    queue_size: int = 128000
    temperature: float = 0.04
    momentum: float = 0.999


def _teacher_features(cfg: DistillConfig) -> FrozenTeacher:
    if cfg.teacher.use_head:
        raise ConfigError("CompRess distils pooled backbone features, not the projection head: set "
                          "teacher.use_head=false")
    return build_teacher(cfg.teacher)


@OBJECTIVES.register("compress-2q")
class CompRess2q(Distillation):
    """Two queues: teacher features, and features of a momentum copy of the student."""

    Params = CompRessParams

    def __init__(self, student: Encoder, teacher: FrozenTeacher, params: CompRessParams) -> None:
        super().__init__(student, teacher, params)
        self.momentum_student = copy.deepcopy(student).requires_grad_(False)
        self.teacher_queue = FeatureQueue(params.queue_size, teacher.embed_dim)
        self.student_queue = FeatureQueue(params.queue_size, student.embed_dim)

    @classmethod
    def from_config(cls, cfg: DistillConfig) -> "CompRess2q":
        student = Encoder(build_backbone(cfg.student.arch, cfg.student.kwargs), None, cfg.student.arch)
        return cls(student, _teacher_features(cfg), objective_params(cfg))

    def forward(self, views: Views) -> dict[str, torch.Tensor]:
        images = views["global"][0]
        student = F.normalize(self.student(images), dim=1)
        teacher = F.normalize(self.teacher(images), dim=1)
        loss = compress_loss(student, teacher, self.student_queue.features.clone(),
                             self.teacher_queue.features.clone(), self.params.temperature)
        with torch.no_grad():
            momentum_update(self.momentum_student, self.student, self.params.momentum)
            student_key = F.normalize(self.momentum_student(images), dim=1)
        self.teacher_queue.enqueue_from_all_ranks(teacher)
        self.student_queue.enqueue_from_all_ranks(student_key)
        return {"loss": loss}


@OBJECTIVES.register("compress-1q")
class CompRess1q(Distillation):
    """One queue of teacher features; the student's features pass a linear map to the teacher's size."""

    Params = CompRessParams

    def __init__(self, student: Encoder, teacher: FrozenTeacher, params: CompRessParams) -> None:
        super().__init__(student, teacher, params)
        self.queue = FeatureQueue(params.queue_size, teacher.embed_dim)

    @classmethod
    def from_config(cls, cfg: DistillConfig) -> "CompRess1q":
        teacher = _teacher_features(cfg)
        backbone = build_backbone(cfg.student.arch, cfg.student.kwargs)
        head = nn.Linear(backbone_feature_dim(backbone), teacher.embed_dim)
        return cls(Encoder(backbone, head, cfg.student.arch), teacher, objective_params(cfg))

    def forward(self, views: Views) -> dict[str, torch.Tensor]:
        images = views["global"][0]
        student = F.normalize(self.student(images), dim=1)
        teacher = F.normalize(self.teacher(images), dim=1)
        anchors = self.queue.features.clone()
        loss = compress_loss(student, teacher, anchors, anchors, self.params.temperature)
        self.queue.enqueue_from_all_ranks(teacher)
        return {"loss": loss}
