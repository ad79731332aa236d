"""CRD: Contrastive Representation Distillation (Tian, Krishnan and Isola, ICLR 2020), adapted to
the unsupervised setting.

Student and teacher features pass through linear embedding heads (g_S, g_T; both trained,
the teacher's backbone frozen) into a shared 128-d space and are L2-normalised. The positive
pair is the student's and the teacher's embedding of the same image; negatives are the other
network's embeddings of other images. Without labels, CRD's critic takes its softmax (InfoNCE)
form, and a FIFO queue of past embeddings stands in for its index memory bank (as in MoCo):

    L = 1/2 [ InfoNCE(s_i -> t_i; queue of teacher embeddings)
            + InfoNCE(t_i -> s_i; queue of student embeddings) ],   tau = 0.07, K = 16384
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from seed.config import DistillConfig
from seed.models import build_teacher
from seed.models.encoder import Encoder, backbone_feature_dim
from seed.models.pretrained import build_backbone
from seed.models.teachers import FrozenTeacher
from seed.objectives.base import OBJECTIVES, Distillation, Views, objective_params
from seed.objectives.moco import info_nce
from seed.objectives.queue import FeatureQueue


def crd_loss(student: torch.Tensor, teacher: torch.Tensor, student_queue: torch.Tensor,
             teacher_queue: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE between paired, L2-normalised embeddings (N x D), negatives from the queues."""
    return 0.5 * (info_nce(student, teacher, teacher_queue, temperature)
                  + info_nce(teacher, student, student_queue, temperature))


@dataclass
class CRDParams:
    """CRD's defaults: 128-d embeddings, 16384 negatives, tau = 0.07."""

    embed_dim: int = 128
    queue_size: int = 16384
    temperature: float = 0.07


@OBJECTIVES.register("crd")
class CRD(Distillation):
    """Contrastive distillation between student and teacher embedding heads."""

    Params = CRDParams

    def __init__(self, student: Encoder, teacher: FrozenTeacher, params: CRDParams) -> None:
        super().__init__(student, teacher, params)
        self.teacher_head = nn.Linear(teacher.embed_dim, params.embed_dim)
        self.student_queue = FeatureQueue(params.queue_size, params.embed_dim)
        self.teacher_queue = FeatureQueue(params.queue_size, params.embed_dim)

    @classmethod
    def from_config(cls, cfg: DistillConfig) -> "CRD":
        params = objective_params(cfg)
        backbone = build_backbone(cfg.student.arch, cfg.student.kwargs)
        student = Encoder(backbone, nn.Linear(backbone_feature_dim(backbone), params.embed_dim), cfg.student.arch)
        return cls(student, build_teacher(cfg.teacher), params)

    def forward(self, views: Views) -> dict[str, torch.Tensor]:
        images = views["global"][0]
        student = F.normalize(self.student(images), dim=1)
        teacher = F.normalize(self.teacher_head(self.teacher(images)), dim=1)
        loss = crd_loss(student, teacher, self.student_queue.features.clone(), self.teacher_queue.features.clone(),
                        self.params.temperature)
        self.student_queue.enqueue_from_all_ranks(student)
        self.teacher_queue.enqueue_from_all_ranks(teacher)
        return {"loss": loss}
