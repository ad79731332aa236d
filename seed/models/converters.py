"""Student checkpoints -> other libraries' checkpoints, through converters that other packages register.

`seed` imports none of its integrations: a package names a module in the `seed.converters` entry-point
group (the benchmark suite registers `downstream.convert`), and that module provides `SUFFIXES`
(target -> suffix of a converted file, e.g. "d2" -> ".d2.pkl") and
`convert(target, source, destination, arch, layout) -> str` (a report of what was written and checked).
A registered module that fails to import is left out with a warning.
"""
from __future__ import annotations

from pathlib import Path
from types import ModuleType

from seed.errors import UnknownNameError
from seed.extensions import load_extensions

CONVERTER_GROUP = "seed.converters"


def converters() -> dict[str, ModuleType]:
    """Target name -> the registered module that converts for it."""
    found: dict[str, ModuleType] = {}
    for module in load_extensions(CONVERTER_GROUP, lambda entry: entry.load()):
        found.update({target: module for target in module.SUFFIXES})
    return found


def converter(target: str) -> ModuleType:
    """The module converting for `target`; an unknown target names the known ones."""
    found = converters()
    if target not in found:
        known = ", ".join(sorted(found)) or "none (install seed-distill[detectron2] or [mmseg])"
        raise UnknownNameError(f"unknown conversion target {target!r}; known: {known}")
    return found[target]


def convert(target: str, source: str | Path, destination: str | Path, arch: str = "auto",
            layout: str = "auto") -> str:
    """Convert `source` (any layout seed.models can read) for `target` (e.g. "d2", "mmseg")."""
    return converter(target).convert(target, source, destination, arch=arch, layout=layout)


def converted_path(source: Path, target: str) -> Path:
    """Where the converted copy of `source` is kept: beside it, `<file><suffix>`."""
    return source.with_name(source.name + converter(target).SUFFIXES[target])
