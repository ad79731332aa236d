"""The contract every objective honours, and the registry the trainer builds them from."""
from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

from seed.config import ConfigError, DistillConfig, from_dict, to_dict
from seed.models.encoder import Encoder
from seed.registry import Registry

Views = dict[str, list[torch.Tensor]]


class Objective(nn.Module):
    """An nn.Module that owns the networks it trains (`student`), any frozen teacher and its queues.

    `forward(views)` takes the augmented views named by `view_counts()` and returns a dict
    of scalar tensors with at least "loss"; queue updates happen inside forward.
    """

    Params: ClassVar[type]
    student: Encoder

    def view_counts(self) -> dict[str, int]:
        """How many views of each kind ("global", "small") one image yields."""
        return {"global": 1}

    @classmethod
    def from_config(cls, cfg: DistillConfig) -> "Objective":
        raise NotImplementedError

    def forward(self, views: Views) -> dict[str, torch.Tensor]:  # pragma: no cover - abstract
        raise NotImplementedError


class Distillation(Objective):
    """An objective that trains `student` towards a frozen `teacher`, with its typed `params`."""

    teacher: nn.Module

    def __init__(self, student: Encoder, teacher: nn.Module, params: Any) -> None:
        super().__init__()
        self.params = params
        self.student = student
        self.teacher = teacher


OBJECTIVES: Registry[type[Objective]] = Registry("objective")


def objective_params(cfg: DistillConfig) -> Any:
    """The objective's typed parameters, with unknown keys rejected and defaults filled in."""
    cls = OBJECTIVES.get(cfg.objective.name)
    return from_dict(cls.Params, cfg.objective.params, source="config", prefix="objective.params")


def check_choices(params: Any, **choices: tuple[str, ...]) -> None:
    """For a Params dataclass's __post_init__: each named field holds one of its allowed values,
    else a ConfigError naming objective.params.<field>."""
    for key, allowed in choices.items():
        if getattr(params, key) not in allowed:
            raise ConfigError(f"objective.params.{key} must be one of {', '.join(allowed)}, "
                              f"got {getattr(params, key)!r}")


def build_objective(cfg: DistillConfig) -> Objective:
    """Build the objective named by `objective.name` from the whole config."""
    return OBJECTIVES.get(cfg.objective.name).from_config(cfg)


def resolve_objective_defaults(cfg: DistillConfig) -> None:
    """Write the objective's defaults into cfg, so the saved config is complete."""
    cfg.objective.params = to_dict(objective_params(cfg))
