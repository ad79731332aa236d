"""The model zoo: one registry of teachers and students, trustworthy downloads, MODEL_ZOO.md, the figures.

    import seed.zoo
    backbone = seed.zoo.load("moco-v2_r50_200ep")        # a timm model, eval mode
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from seed.errors import MissingInputError
from seed.zoo.download import Downloaded, fetch
from seed.zoo.registry import ZooEntry, ZooRegistry, load_registry

if TYPE_CHECKING:  # torch only where a model is built (load); listing and rendering the zoo do without
    from torch import nn


def download(name: str, directory: str | Path | None = None, allow_unverified: bool = False,
             mirror: str | None = None, progress: bool = True,
             registry: ZooRegistry | None = None) -> list[Downloaded]:
    """Fetch every file of entry `name` (see seed.zoo.download.fetch)."""
    entry = (registry or load_registry()).get(name)
    if not entry.files:
        raise MissingInputError(f"{name}: no file was released for this entry ({entry.notes or entry.kind})")
    return [fetch(f, directory, allow_unverified, mirror, progress) for f in entry.files]


def load(name: str, directory: str | Path | None = None, allow_unverified: bool = False,
         registry: ZooRegistry | None = None) -> nn.Module:
    """Download (or reuse) entry `name` and return its backbone as a timm model in eval mode."""
    from seed.models import load_encoder

    registry = registry or load_registry()
    entry = registry.get(name)
    path = download(name, directory, allow_unverified, registry=registry)[0].path
    encoder, _layout = load_encoder(path, entry.arch, entry.layout, use_head=False)
    return encoder.backbone.eval()


def download_converted(name: str, target: str, directory: str | Path | None = None, allow_unverified: bool = False,
                       mirror: str | None = None, registry: ZooRegistry | None = None) -> Path:
    """Download entry `name` and convert it for `target` (a registered converter, e.g. "d2") once;
    the converted file is kept beside the download (e.g. `<file>.d2.pkl`) and its path returned."""
    from seed.models.converters import convert, converted_path

    registry = registry or load_registry()
    entry = registry.get(name)
    source = download(name, directory, allow_unverified, mirror, registry=registry)[0].path
    destination = converted_path(source, target)
    if not destination.is_file() or destination.stat().st_mtime < source.stat().st_mtime:
        print(convert(target, source, destination, arch=entry.arch, layout=entry.layout))
    return destination


__all__ = ["Downloaded", "ZooEntry", "ZooRegistry", "download", "download_converted", "fetch", "load", "load_registry"]
