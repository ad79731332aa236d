"""Objectives, one file each, registered by name in OBJECTIVES (see base.py).

Importing this package registers the built-in objectives.
"""
from seed.objectives import compress, crd, disco, feature, moco, seed  # noqa: F401  (registration)
from seed.objectives.base import OBJECTIVES, Objective, build_objective, objective_params
from seed.objectives.moco import info_nce
from seed.objectives.queue import FeatureQueue
from seed.objectives.seed import seed_loss

__all__ = ["OBJECTIVES", "FeatureQueue", "Objective", "build_objective", "info_nce", "objective_params", "seed_loss"]
