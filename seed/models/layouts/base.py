"""What a checkpoint layout is, how one is detected, and the helpers layouts share.

A layout recognises one family of published files (`detect`) and unpacks them into backbone and
head state dicts (`extract`). Detection asks the layouts in order of their `priority`, lowest
first: a layout that recognises a file by something only its publisher writes comes before one
that recognises a more general structure the first one's files also have. Priorities are unique,
so the order never depends on which module registered first; a layout without a priority is
never detected and is chosen by name only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from seed.models.checkpoints import CheckpointError, read_checkpoint
from seed.registry import Registry


@dataclass
class Weights:
    """What a layout extracts: backbone and head state dicts, plus what the file says of itself."""

    backbone: dict[str, torch.Tensor]
    head: dict[str, torch.Tensor] = field(default_factory=dict)
    head_activation: str = "relu"
    arch: str | None = None
    arch_kwargs: dict[str, Any] = field(default_factory=dict)
    arch_source: str | None = None  # the keys `arch` was read from, when the file does not record it

    def __post_init__(self) -> None:
        if self.head and set(self.head) <= {"weight", "bias"}:  # a bare Linear (MoCo v1's fc)
            self.head = {f"0.{key}": value for key, value in self.head.items()}


@dataclass(frozen=True)
class Layout:
    """How one family of checkpoint files is recognised and unpacked; `priority` orders detection
    (lower first, unique), None: never detected, named only."""

    name: str
    description: str
    detect: Callable[[Any], bool] | None
    extract: Callable[[Any], Weights]
    priority: int | None


LAYOUTS: Registry[Layout] = Registry("checkpoint layout")


def register_layout(layout: Layout, registry: Registry[Layout] = LAYOUTS) -> Layout:
    """Add `layout`; a priority another layout holds is refused, so the detection order stays total."""
    taken = {other.priority: other.name for other in registry.values() if other.priority is not None}
    if layout.priority is not None and layout.priority in taken:
        raise ValueError(f"layout {layout.name!r}: priority {layout.priority} is {taken[layout.priority]!r}'s")
    if (layout.priority is None) != (layout.detect is None):
        raise ValueError(f"layout {layout.name!r}: a detected layout needs both `detect` and `priority`")
    registry.register(layout.name, layout)
    return layout


def detection_order(registry: Registry[Layout] = LAYOUTS) -> list[Layout]:
    """The detectable layouts in the order detection tries them."""
    return sorted((layout for layout in registry.values() if layout.priority is not None),
                  key=lambda layout: layout.priority)


def with_prefix(state: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Entries whose key starts with `prefix`, with the prefix removed."""
    return {key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)}


def split_head(state: dict[str, torch.Tensor], head_key: str) -> tuple[dict, dict]:
    """(everything but `head_key.*`, the `head_key.*` entries without the prefix)."""
    backbone = {k: v for k, v in state.items() if not k.startswith(head_key + ".")}
    return backbone, with_prefix(state, head_key + ".")


def is_tensor_dict(obj: Any) -> bool:
    """A non-empty dict of tensors: a bare state dict."""
    return isinstance(obj, dict) and bool(obj) and all(isinstance(v, torch.Tensor) for v in obj.values())


def detect_layout(ckpt: Any, path: str | Path, registry: Registry[Layout] = LAYOUTS) -> Layout:
    """The first layout, by priority, that recognises the file."""
    for layout in detection_order(registry):
        if layout.detect(ckpt):
            return layout
    top = sorted(ckpt)[:8] if isinstance(ckpt, dict) else type(ckpt).__name__
    raise CheckpointError(
        f"{path}: no known checkpoint layout recognises this file (top-level keys: {top}); "
        f"pass one of {', '.join(registry.names())} as the layout"
    )


def load_checkpoint_weights(path: str | Path, layout: str = "auto") -> tuple[Weights, Layout]:
    """Read a checkpoint file and unpack it with the named (or detected) layout."""
    ckpt = read_checkpoint(path)
    chosen = detect_layout(ckpt, path) if layout == "auto" else LAYOUTS.get(layout)
    try:
        weights = chosen.extract(ckpt)
    except CheckpointError as error:
        raise CheckpointError(f"{path}: layout {chosen.name!r}: {error}") from error
    except (KeyError, TypeError, AttributeError) as error:
        raise CheckpointError(f"{path}: does not look like a {chosen.name!r} checkpoint "
                              f"({chosen.description}); missing {error}") from error
    if not weights.backbone:
        raise CheckpointError(f"{path}: layout {chosen.name!r} found no backbone weights in this file")
    return weights, chosen


Rename = Callable[[dict[str, torch.Tensor], "str | None"], tuple["str | None", dict[str, torch.Tensor]]]


def prefixed_fc_layout(name: str, description: str, prefix: str, priority: int,
                       rename: Rename | None = None) -> Layout:
    """Register a layout for `state_dict` files holding the network under `prefix` with its head in `fc`;
    the file's `arch` is kept, and `rename(backbone, arch)` may map the backbone onto another naming."""
    def extract(ckpt: dict) -> Weights:
        backbone, head = split_head(with_prefix(ckpt["state_dict"], prefix), "fc")
        arch = ckpt.get("arch")  # main_moco.py and the official SEED main.py record e.g. "resnet50"
        if rename is not None:
            arch, backbone = rename(backbone, arch)
        return Weights(backbone, head, "relu", arch)

    def detect(ckpt: Any) -> bool:
        return (isinstance(ckpt, dict) and isinstance(ckpt.get("state_dict"), dict)
                and any(k.startswith(prefix) for k in ckpt["state_dict"]))

    return register_layout(Layout(name, description, detect, extract, priority))
