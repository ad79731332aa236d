"""DisCo: Distilled Contrastive Learning (Gao et al., "DisCo: Remedy Self-supervised Learning on
Lightweight Models with Distilled Contrastive Learning", ECCV 2022).

The student runs its own MoCo-v2 (momentum key encoder, queue of student keys) and, on top,
matches the frozen teacher's final embedding with two MSE terms on L2-normalised embeddings.
For two views x1, x2 of an image, q1 = f_q(x1), q2 = f_q(x2) (the student's query encoder on
both views), t1 = T(x1), t2 = T(x2) (the teacher), all L2-normalised:

    L = L_MoCo(q1, f_k(x2), queue) + w * ||q1 - t1||^2 + w * ||q2 - t2||^2

The student's projection head is the paper's "distilling bottleneck": Linear(d, 2048), ReLU,
Linear(2048, 128) (student.hidden_dim, 2048 unless set).

Defaults follow the official code, whose runs the paper reports: the squared error is summed
over the (per-process) batch and the dimensions (`mse_reduction: sum`), and DDP averages the
gradients of its 8 processes, so the MSE weighs as a sum over 32 images. `mse_batch: 32` keeps
that weight at any world size and batch (the sum is rescaled to 32 rows; 0 sums the process's
actual rows, whose weight then changes with the world size), and the teacher's
BatchNorm normalises with batch statistics (`teacher_bn: train`; its running statistics and
weights stay untouched here). `mse_reduction: mean` / `teacher_bn: eval` give the textbook
variant with a fully frozen teacher; we have not measured it at ImageNet scale.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F

from seed.config import ConfigError, DistillConfig
from seed.models import build_student, build_teacher
from seed.models.encoder import Encoder
from seed.models.teachers import FrozenTeacher
from seed.objectives.base import OBJECTIVES, Views, check_choices, objective_params
from seed.objectives.moco import ContrastParams, MoCoV2

DISTILLING_BOTTLENECK = 2048
REDUCTIONS = ("sum", "mean")
TEACHER_BN = ("train", "eval")
OFFICIAL_PROCESS_BATCH = 32  # the official runs: batch 256 over 8 GPUs, MSE summed on each GPU's 32


def disco_mse(student: torch.Tensor, teacher: torch.Tensor, reduction: str = "sum", batch: int = 0) -> torch.Tensor:
    """Squared error between N x D embeddings, summed over everything (official) or averaged ("mean").

    With `batch` > 0 the sum is rescaled to `batch` rows (sum / N * batch), so its weight
    no longer depends on how many images this process holds."""
    with torch.autocast(device_type=student.device.type, enabled=False):
        squared = (student.float() - teacher.float()).pow(2)
        if reduction == "mean":
            return squared.mean()
        return squared.sum() * (batch / student.shape[0]) if batch else squared.sum()


@dataclass
class DisCoParams(ContrastParams):
    """MoCo-v2 part as in the paper (K = 65536, tau = 0.2, m = 0.999); both MSE terms weighted 1."""

    mse_weight: float = 1.0
    mse_reduction: str = "sum"
    mse_batch: int = OFFICIAL_PROCESS_BATCH
    teacher_bn: str = "train"

    def __post_init__(self) -> None:
        check_choices(self, mse_reduction=REDUCTIONS, teacher_bn=TEACHER_BN)
        if self.mse_batch < 0:
            raise ConfigError(f"objective.params.mse_batch must be >= 0 (0 = no rescaling), got {self.mse_batch}")


@OBJECTIVES.register("disco")
class DisCo(MoCoV2):
    """MoCo-v2 on the student plus two MSE terms to the frozen teacher's embeddings."""

    Params = DisCoParams

    def __init__(self, student: Encoder, teacher: FrozenTeacher, params: DisCoParams, seed: int = 0) -> None:
        super().__init__(student, params, seed)
        if student.embed_dim != teacher.embed_dim:
            raise ConfigError(f"DisCo matches embeddings: the student's is {student.embed_dim}-d, the teacher's "
                              f"{teacher.embed_dim}-d; leave student.embed_dim unset")
        self.teacher = teacher

    @classmethod
    def from_config(cls, cfg: DistillConfig) -> "DisCo":
        params = objective_params(cfg)
        teacher = build_teacher(cfg.teacher, batch_statistics=params.teacher_bn == "train")
        student_cfg = replace(cfg.student, hidden_dim=cfg.student.hidden_dim or DISTILLING_BOTTLENECK)
        return cls(build_student(student_cfg, teacher.embed_dim), teacher, params, cfg.train.seed)

    def forward(self, views: Views) -> dict[str, torch.Tensor]:
        first, second = views["global"]
        query = F.normalize(self.student(first), dim=1)           # q1: N x D
        second_query = F.normalize(self.student(second), dim=1)   # q2: the query encoder on view 2
        contrastive = self.contrast(query, second)
        teacher_first = F.normalize(self.teacher(first), dim=1)
        teacher_second = F.normalize(self.teacher(second), dim=1)
        mse_first = disco_mse(query, teacher_first, self.params.mse_reduction, self.params.mse_batch)
        mse_second = disco_mse(second_query, teacher_second, self.params.mse_reduction, self.params.mse_batch)
        loss = contrastive + self.params.mse_weight * (mse_first + mse_second)
        return {"loss": loss, "loss_contrastive": contrastive.detach(), "loss_mse": (mse_first + mse_second).detach()}
