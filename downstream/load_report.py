"""What loading a weights file into a detector may report, shared by the Detectron2 and MMDetection
converters: the error for weights left random, and how key lists are shown."""
from __future__ import annotations

COUNTERS = ("num_batches_tracked",)  # BatchNorm step counters: not weights, FrozenBN has none


class StudentWeightsError(ValueError):
    """A weights file that leaves part of the model it must fill random; the message names file and keys."""


def first_keys(keys: list[str], count: int = 5) -> str:
    """The first `count` keys, and how many more there are."""
    return ", ".join(keys[:count]) + (f" (+{len(keys) - count} more)" if len(keys) > count else "")
