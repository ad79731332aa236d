"""Published self-supervised checkpoint layouts, read into clean backbone/head state dicts.

Each layout knows how to recognise its files and where the backbone and the
projection head live inside them. Loading is strict everywhere: a key that is
missing, unexpected or of the wrong shape raises `CheckpointError` naming the
file, the layout and the first offending keys, so a wrong file can never turn
into a randomly initialised network.
"""
from __future__ import annotations

import argparse
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn

from seed.errors import InputError
from seed.registry import Registry

RUN_FORMAT = "seed-run/1"
STUDENT_FORMAT = "seed-student/1"


class CheckpointError(InputError):
    """A checkpoint that cannot be read as asked; the message names the file, layout and keys."""


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
    """How one family of checkpoint files is recognised and unpacked."""

    name: str
    description: str
    detect: Callable[[Any], bool]
    extract: Callable[[Any], Weights]
    fallback: bool = False  # tried only after every specific layout (a bare state dict)


LAYOUTS: Registry[Layout] = Registry("checkpoint layout")


def _register(layout: Layout) -> Layout:
    LAYOUTS.register(layout.name, layout)
    return layout


def with_prefix(state: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Entries whose key starts with `prefix`, with the prefix removed."""
    return {key[len(prefix):]: value for key, value in state.items() if key.startswith(prefix)}


def _split_fc(state: dict[str, torch.Tensor], head_key: str) -> tuple[dict, dict]:
    backbone = {k: v for k, v in state.items() if not k.startswith(head_key + ".")}
    return backbone, with_prefix(state, head_key + ".")


def _is_tensor_dict(obj: Any) -> bool:
    return isinstance(obj, dict) and bool(obj) and all(isinstance(v, torch.Tensor) for v in obj.values())


# --- ours -------------------------------------------------------------------------------


def _ours_extract(ckpt: dict) -> Weights:
    if ckpt["format"] == STUDENT_FORMAT:
        return Weights(ckpt["backbone"], ckpt["head"], ckpt.get("head_activation", "relu"),
                       ckpt["arch"], dict(ckpt.get("arch_kwargs") or {}))
    student = ckpt["config"]["student"]
    model = ckpt["model"]
    return Weights(with_prefix(model, "student.backbone."), with_prefix(model, "student.head."), "relu",
                   student["arch"], dict(student.get("kwargs") or {}))


_register(Layout(
    "seed",
    "this project's run checkpoints and exported students (`format` key)",
    lambda c: isinstance(c, dict) and c.get("format") in (RUN_FORMAT, STUDENT_FORMAT),
    _ours_extract,
))


# --- official SEED and MoCo v1/v2: a `state_dict` whose network sits under one prefix, head in `fc` ---

Rename = Callable[[dict[str, torch.Tensor], "str | None"], tuple["str | None", dict[str, torch.Tensor]]]


def prefixed_fc_layout(name: str, description: str, prefix: str, rename: Rename | None = None) -> Layout:
    """Register a layout for `state_dict` files holding the network under `prefix` with its head in `fc`;
    the file's `arch` is kept, and `rename(backbone, arch)` may map the backbone onto another naming."""
    def extract(ckpt: dict) -> Weights:
        backbone, head = _split_fc(with_prefix(ckpt["state_dict"], prefix), "fc")
        arch = ckpt.get("arch")  # main_moco.py and the official SEED main.py record e.g. "resnet50"
        if rename is not None:
            arch, backbone = rename(backbone, arch)
        return Weights(backbone, head, "relu", arch)

    def detect(ckpt: Any) -> bool:
        return (isinstance(ckpt, dict) and isinstance(ckpt.get("state_dict"), dict)
                and any(k.startswith(prefix) for k in ckpt["state_dict"]))

    return _register(Layout(name, description, detect, extract))


# official SEED: registered by seed.models.official_students (it renames the authors' students)
prefixed_fc_layout("moco", "MoCo v1/v2: `state_dict` with `module.encoder_q.*`, projection head in `fc` (MLP for v2)",
                   "module.encoder_q.")


# --- SwAV -------------------------------------------------------------------------------


def _swav_state(ckpt: dict) -> dict:
    return ckpt["state_dict"] if isinstance(ckpt.get("state_dict"), dict) else ckpt


def _swav_extract(ckpt: dict) -> Weights:
    state = with_prefix(_swav_state(ckpt), "module.")
    backbone = {k: v for k, v in state.items() if not k.startswith(("projection_head.", "prototypes."))}
    return Weights(backbone, with_prefix(state, "projection_head."), "relu")


_register(Layout(
    "swav",
    "SwAV: flat dict with `module.*`, head in `projection_head`, `prototypes` dropped",
    lambda c: isinstance(c, dict) and any(
        k.startswith(("module.projection_head.", "module.prototypes.")) for k in _swav_state(c)),
    _swav_extract,
))


# --- SimCLR converted to PyTorch, and plain torchvision ----------------------------------


def _fc_dropped(state: dict) -> Weights:
    backbone, _classifier = _split_fc(state, "fc")
    return Weights(backbone)


_register(Layout(
    "simclr",
    "SimCLR v1 converted to PyTorch: `state_dict` with torchvision names; its `fc` "
    "(linear-eval classifier) dropped, no projection head",
    lambda c: isinstance(c, dict) and _is_tensor_dict(c.get("state_dict"))
    and "conv1.weight" in c["state_dict"],
    lambda c: _fc_dropped(c["state_dict"]),
))
_register(Layout(
    "torchvision",
    "a plain torchvision/timm state dict; a classifier `fc` is dropped",
    lambda c: _is_tensor_dict(c) and not any(k.startswith("module.") for k in c),
    _fc_dropped,
    fallback=True,
))


# --- reading ------------------------------------------------------------------------------


# torch.save writes a zip archive; before torch 1.6 it wrote a protocol-2 pickle of this magic number first.
ZIP_HEADER = b"PK\x03\x04"
LEGACY_HEADER = pickle.dumps(torch.serialization.MAGIC_NUMBER, protocol=2)[:12]


def read_checkpoint(path: str | Path) -> Any:
    """torch.load on CPU with weights_only (DINO's `args` Namespace allowed). A file that is not a
    PyTorch checkpoint, a truncated one, or one holding arbitrary objects is a one-line CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint file {str(path)!r} does not exist")
    with open(path, "rb") as handle:
        head = handle.read(len(LEGACY_HEADER))
    if not (head.startswith(ZIP_HEADER) or head == LEGACY_HEADER):
        raise CheckpointError(f"{path}: not a PyTorch checkpoint (torch.save writes a zip archive, this file "
                              f"starts with {head[:8]!r}); is it the right file, and fully downloaded?")
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - re-raised in one line with the file named
        if "Weights only load failed" in str(error):  # torch's advice (weights_only=False) could run any code
            found = re.search(r"Unsupported global: GLOBAL (\S+)", str(error))
            what = f" ({found.group(1)})" if found else ""
            raise CheckpointError(f"{path}: holds Python objects other than tensors and plain values{what}; "
                                  "they are refused, since unpickling them could run arbitrary code") from None
        reason = str(error).split(". ")[0].strip() or type(error).__name__
        raise CheckpointError(f"{path}: not a complete PyTorch checkpoint, truncated or corrupt ({reason}); "
                              "download or copy it again") from None


def detect_layout(ckpt: Any, path: str | Path) -> Layout:
    """The first registered layout that recognises the file."""
    for layout in sorted(LAYOUTS.values(), key=lambda lay: lay.fallback):  # registration order otherwise
        if layout.detect(ckpt):
            return layout
    top = sorted(ckpt)[:8] if isinstance(ckpt, dict) else type(ckpt).__name__
    raise CheckpointError(
        f"{path}: no known checkpoint layout recognises this file (top-level keys: {top}); "
        f"pass one of {', '.join(LAYOUTS.names())} as the layout"
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


def first_keys(keys: list[str], count: int = 5) -> str:
    """The first `count` keys, comma-separated, and how many more there are: for one-line errors."""
    shown = ", ".join(keys[:count])
    return shown + (f" (+{len(keys) - count} more)" if len(keys) > count else "")


def load_strict(module: nn.Module, state: dict[str, torch.Tensor], *, path: str | Path,
                layout: str, part: str, arch: str) -> None:
    """load_state_dict(strict) whose error names the file, layout, part and offending keys."""
    expected = module.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong_shape = [f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}" for k, v in expected.items()
                   if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or unexpected or wrong_shape:
        problems = []
        if missing:
            problems.append(f"missing keys: {first_keys(missing)}")
        if unexpected:
            problems.append(f"unexpected keys: {first_keys(unexpected)}")
        if wrong_shape:
            problems.append(f"shape mismatch (file vs model): {first_keys(wrong_shape, 3)}")
        raise CheckpointError(
            f"{path}: the {part} weights (layout {layout!r}) do not fit architecture {arch!r}: "
            + "; ".join(problems)
            + ". Check the architecture and layout options."
        )
    module.load_state_dict(state, strict=True)


def student_record(encoder: nn.Module, arch: str, arch_kwargs: dict[str, Any], config: dict[str, Any]) -> dict:
    """The exported-student file (`seed-student/1`): what every downstream tool reads."""
    return {
        "format": STUDENT_FORMAT,
        "arch": arch,
        "arch_kwargs": dict(arch_kwargs),
        "backbone": {k: v.detach().cpu().contiguous() for k, v in encoder.backbone.state_dict().items()},
        "head": {k: v.detach().cpu().contiguous() for k, v in encoder.head.state_dict().items()},
        "head_activation": "relu",
        "config": config,
    }
