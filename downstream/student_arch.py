"""The architecture a weights file records, for the `auto` setting of every downstream backbone.

Detectron2's MODEL.TIMM.ARCH and the OpenMMLab backbones' model_name default to `auto`: the
network is the one the student file (or its converted copy) says it holds, so one config per
recipe serves every student. Three kinds of file record it: this project's student files and
the official layouts seed reads (`Weights.arch`), our OpenMMLab conversions (`meta.arch`) and
our Detectron2 conversions (`seed.arch`).
"""
from __future__ import annotations

import pickle
from functools import lru_cache
from pathlib import Path

from seed.errors import InputError, MissingInputError
from seed.models import CheckpointError, load_checkpoint_weights
from seed.models.checkpoints import read_checkpoint

AUTO = "auto"


def _recorded_in_checkpoint(checkpoint: object) -> str | None:
    """`meta.arch` (our OpenMMLab files) or `seed.arch` (our Detectron2 files), if present."""
    if not isinstance(checkpoint, dict):
        return None
    for key in ("meta", "seed"):
        info = checkpoint.get(key)
        if isinstance(info, dict) and info.get("arch"):
            return str(info["arch"])
    return None


@lru_cache(maxsize=32)
def _recorded(path: str, _stamp: tuple[int, int]) -> str | None:
    if path.endswith(".pkl"):  # Detectron2's model-zoo pickle, read as its DetectionCheckpointer reads it
        with open(path, "rb") as handle:
            return _recorded_in_checkpoint(pickle.load(handle, encoding="latin1"))
    found = _recorded_in_checkpoint(read_checkpoint(path))
    if found:
        return found
    try:
        return load_checkpoint_weights(path)[0].arch
    except CheckpointError:  # a checkpoint of no layout seed knows (e.g. a fine-tuned detector): nothing recorded
        return None


def recorded_arch(path: str | Path) -> str | None:
    """The architecture `path` records, or None; read once per file version."""
    path = Path(path)
    if not path.is_file():
        raise MissingInputError(f"weights file {str(path)!r} does not exist")
    stat = path.stat()
    return _recorded(str(path.resolve()), (stat.st_mtime_ns, stat.st_size))


def resolve_arch(asked: str, weights: str | Path | None, setting: str) -> str:
    """`asked`, or for `auto` the architecture `weights` records. `setting` is the config key that
    names the architecture, for the error when there is no file or it records none."""
    if asked != AUTO:
        return asked
    if not weights:
        raise InputError(f"{setting}={AUTO!r} reads the architecture from the student's weights file, and none "
                         f"is given; give the file, or name the network, e.g. {setting}=resnet18")
    arch = recorded_arch(weights)
    if not arch:
        raise InputError(f"{weights}: records no architecture, so {setting}={AUTO!r} cannot tell which network "
                         f"it holds; name it, e.g. {setting}=resnet50")
    return arch
