"""Learning-rate schedules computed once, as one value per step (DINO's cosine_scheduler idea)."""
from __future__ import annotations

import math

import numpy as np

from seed.errors import InputError


def lr_schedule(base_lr: float, total_steps: int, steps_per_epoch: int, kind: str = "cosine",
                warmup_epochs: float = 0.0, milestones: tuple[int, ...] = (), gamma: float = 0.1,
                option: str = "optim.schedule") -> np.ndarray:
    """Per-step learning rates: linear warm-up from 0, then cosine to 0, or x`gamma` at each milestone epoch.
    `option` is the config key of `kind`, named when it is neither."""
    steps = np.arange(total_steps, dtype=np.float64)
    warmup = int(round(warmup_epochs * steps_per_epoch))
    if kind == "cosine":
        progress = (steps - warmup) / max(total_steps - warmup, 1)
        lrs = 0.5 * base_lr * (1.0 + np.cos(math.pi * np.clip(progress, 0.0, 1.0)))
    elif kind == "step":
        epochs = steps / steps_per_epoch
        lrs = base_lr * gamma ** np.sum(epochs[:, None] >= np.asarray(milestones, dtype=np.float64)[None, :], axis=1)
    else:
        raise InputError(f"{option} must be 'cosine' or 'step', got {kind!r}")
    if warmup:
        lrs[:warmup] = base_lr * (steps[:warmup] + 1) / warmup
    return lrs
