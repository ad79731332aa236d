"""Student checkpoints -> Detectron2 / MMDetection / MMSegmentation checkpoints, behind one entry point.

Each target lives in its own integration package and imports its library only when used;
the target module provides `convert_checkpoint(source, destination, arch, layout) -> str`
(a one-paragraph report of what was written and checked).
"""
from __future__ import annotations

import importlib
from pathlib import Path

TARGETS: dict[str, str] = {
    "d2": "downstream.detectron2.convert",
    "mmseg": "downstream.mmseg.convert",
    "mmdet": "downstream.mmdet.convert",
}


def convert(target: str, source: str | Path, destination: str | Path, arch: str = "auto",
            layout: str = "auto") -> str:
    """Convert `source` (any layout seed.models can read) for `target` ("d2", "mmseg" or "mmdet")."""
    if target not in TARGETS:
        raise KeyError(f"unknown conversion target {target!r}; known: {', '.join(TARGETS)}")
    module = importlib.import_module(TARGETS[target])
    return module.convert_checkpoint(Path(source), Path(destination), arch=arch, layout=layout)


SUFFIXES = {"d2": ".d2.pkl", "mmseg": ".mmseg.pth", "mmdet": ".mmdet.pth"}


def zoo_weights(name: str, target: str, directory: str | Path | None = None, allow_unverified: bool = False,
                mirror: str | None = None, registry=None) -> Path:
    """Download model-zoo entry `name` and convert it for `target` once; the converted file is kept
    beside the download (`<file>.d2.pkl`, `.mmseg.pth`, `.mmdet.pth`) and its path returned."""
    import seed.zoo

    registry = registry or seed.zoo.load_registry()
    entry = registry.get(name)
    source = seed.zoo.download(name, directory, allow_unverified, mirror, registry=registry)[0].path
    destination = source.with_name(source.name + SUFFIXES[target])
    if not destination.is_file() or destination.stat().st_mtime < source.stat().st_mtime:
        print(convert(target, source, destination, arch=entry.arch, layout=entry.layout))
    return destination
