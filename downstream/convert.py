"""Student checkpoints -> Detectron2 / MMDetection / MMSegmentation checkpoints, behind one entry point.

Each target lives in its own integration package and imports its library only when used;
the target module provides `convert_checkpoint(source, destination, arch, layout) -> str`
(a one-paragraph report of what was written and checked). This module is registered in the
`seed.converters` entry-point group (setup.py), so `seed zoo download --convert` finds it
without `seed` importing `downstream` (see seed/models/converters.py).
"""
from __future__ import annotations

import importlib
from pathlib import Path

from seed.errors import UnknownNameError

TARGETS: dict[str, str] = {
    "d2": "downstream.detectron2.convert",
    "mmseg": "downstream.mmseg.convert",
    "mmdet": "downstream.mmdet.convert",
}
SUFFIXES = {"d2": ".d2.pkl", "mmseg": ".mmseg.pth", "mmdet": ".mmdet.pth"}


def convert(target: str, source: str | Path, destination: str | Path, arch: str = "auto",
            layout: str = "auto") -> str:
    """Convert `source` (any layout seed.models can read) for `target` ("d2", "mmseg" or "mmdet")."""
    if target not in TARGETS:
        raise UnknownNameError(f"unknown conversion target {target!r}; known: {', '.join(TARGETS)}")
    module = importlib.import_module(TARGETS[target])
    return module.convert_checkpoint(Path(source), Path(destination), arch=arch, layout=layout)
