"""What loading a weights file into a detector may report, shared by the Detectron2 and MMDetection
converters: the error for weights left random, and how key lists are shown."""
from __future__ import annotations

from seed.errors import InputError
from seed.models.checkpoints import first_keys

__all__ = ["COUNTERS", "StudentWeightsError", "first_keys"]

COUNTERS = ("num_batches_tracked",)  # BatchNorm step counters: not weights, FrozenBN has none


class StudentWeightsError(InputError):
    """A weights file that leaves part of the model it must fill random; the message names file and keys."""
