"""Checkpoint files: reading them safely, loading state dicts strictly, this project's own formats.

Loading is strict everywhere: a key that is missing, unexpected or of the wrong shape raises
`CheckpointError` naming the file, the layout and the first offending keys, so a wrong file can
never turn into a randomly initialised network. The published layouts (which file holds which
network where) are seed.models.layouts.
"""
from __future__ import annotations

import argparse
import pickle
import re
from pathlib import Path
from typing import Any

import torch
from torch import nn

from seed.errors import InputError

RUN_FORMAT = "seed-run/1"
STUDENT_FORMAT = "seed-student/1"


class CheckpointError(InputError):
    """A checkpoint that cannot be read as asked; the message names the file, layout and keys."""


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
