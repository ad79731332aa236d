"""Plain feature distillation: the student's embedding regresses the teacher's (a baseline).

    cosine:  L = (1/N) sum_i (1 - cos(s_i, t_i))
    mse:     L = (1/(N D)) sum_i ||s_i - t_i||^2     (raw, unnormalised embeddings)

The student's projection head maps to the teacher embedding's size.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from seed.config import DistillConfig
from seed.models import build_student, build_teacher
from seed.models.encoder import Encoder
from seed.models.teachers import FrozenTeacher
from seed.objectives.base import OBJECTIVES, Distillation, Views, check_choices, objective_params

DISTANCES = {
    "cosine": lambda student, teacher: (1.0 - F.cosine_similarity(student, teacher, dim=1)).mean(),
    "mse": F.mse_loss,
}


def feature_distance(student: torch.Tensor, teacher: torch.Tensor, distance: str) -> torch.Tensor:
    """Mean cosine distance or mean squared error between N x D embeddings, in float32."""
    with torch.autocast(device_type=student.device.type, enabled=False):
        return DISTANCES[distance](student.float(), teacher.float())


@dataclass
class FeatureParams:
    distance: str = "cosine"

    def __post_init__(self) -> None:
        check_choices(self, distance=tuple(DISTANCES))


@OBJECTIVES.register("feature")
class FeatureDistillation(Distillation):
    """Regress the teacher's final embedding directly (no queue, no contrast)."""

    Params = FeatureParams

    def __init__(self, student: Encoder, teacher: FrozenTeacher, params: FeatureParams) -> None:
        super().__init__(student, teacher, params)

    @classmethod
    def from_config(cls, cfg: DistillConfig) -> "FeatureDistillation":
        teacher = build_teacher(cfg.teacher)
        return cls(build_student(cfg.student, teacher.embed_dim), teacher, objective_params(cfg))

    def forward(self, views: Views) -> dict[str, torch.Tensor]:
        images = views["global"][0]
        return {"loss": feature_distance(self.student(images), self.teacher(images), self.params.distance)}
