"""Atomic checkpoints in a run folder: written to a temporary file, fsynced, then renamed.

A reader only ever sees complete files: `step-SSSSSSSS.pth` every N steps and
`epoch-EEEE-step-SSSSSSSS.pth` at the end of each epoch. The newest few are kept, plus the
end of every k-th epoch when asked (a checkpoint holds the teacher and the queues too, so
keeping them all would fill a disk). A killed save
leaves at most a `.tmp` file behind, which nothing mistakes for a checkpoint.
"""
from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seed.models.checkpoints import RUN_FORMAT, CheckpointError, read_checkpoint

_NAME = re.compile(r"^(?:epoch-(?P<epoch>\d+)-)?step-(?P<step>\d+)\.pth$")


def atomic_save(obj: Any, path: str | Path) -> Path:
    """torch.save to `path` so that `path` is either the old file or the complete new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        error.filename = error.filename or str(path)
        raise
    except RuntimeError as error:
        if not isinstance(error.__context__, OSError):
            raise
        # torch.save reports a failed write (a full disk) as a RuntimeError raised while handling the
        # OSError: raise the OSError itself, naming the checkpoint it could not write.
        error.__context__.filename = str(path)
        raise error.__context__ from None
    finally:
        tmp.unlink(missing_ok=True)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return path


def rng_state() -> dict[str, Any]:
    """Every RNG the run touches, in a form torch.load(weights_only=True) accepts."""
    kind, keys, position, has_gauss, cached = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)), "position": position,
                  "has_gauss": has_gauss, "cached": cached},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what rng_state() captured."""
    torch.set_rng_state(state["torch"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    numpy = state["numpy"]
    np.random.set_state((numpy["kind"], numpy["keys"].numpy().astype(np.uint32), numpy["position"],
                         numpy["has_gauss"], numpy["cached"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def checkpoint_name(step: int, epoch: int | None = None) -> str:
    """`step-00001200.pth`, or `epoch-0003-step-00001200.pth` for an end-of-epoch checkpoint."""
    return (f"epoch-{epoch:04d}-" if epoch is not None else "") + f"step-{step:08d}.pth"


def list_checkpoints(folder: str | Path) -> list[Path]:
    """Complete checkpoints of a run folder, oldest step first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m["step"]), p) for p in folder.iterdir() if (m := _NAME.match(p.name))]
    return [p for _step, p in sorted(found)]


def latest_checkpoint(folder: str | Path) -> Path | None:
    """The checkpoint with the highest step, or None."""
    found = list_checkpoints(folder)
    return found[-1] if found else None


def prune_checkpoints(folder: str | Path, keep: int, keep_every_epochs: int = 0) -> None:
    """Delete all but the newest `keep` checkpoints, sparing the end of every `keep_every_epochs`-th epoch."""
    found = list_checkpoints(folder)
    for old in found[: max(len(found) - keep, 0)]:
        epoch = _NAME.match(old.name)["epoch"]
        if not (keep_every_epochs and epoch is not None and (int(epoch) + 1) % keep_every_epochs == 0):
            old.unlink(missing_ok=True)


def load_run_checkpoint(path: str | Path) -> dict[str, Any]:
    """A training checkpoint of this project, checked for its format."""
    ckpt = read_checkpoint(path)
    if not isinstance(ckpt, dict) or ckpt.get("format") != RUN_FORMAT:
        raise CheckpointError(f"{path}: not a seed training checkpoint (format {RUN_FORMAT!r}); "
                              "--resume takes a run folder or one of its checkpoints/*.pth files")
    return ckpt
