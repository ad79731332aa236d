"""A run that fails on its environment (a full disk, a folder it cannot write, memory) or on a diverged
loss ends with one line: what happened and where, the last complete checkpoint (intact: checkpoints
are written atomically) and the command that continues the run.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

import torch

from seed.errors import SeedError

# errno -> (what went wrong, what the user does about it)
FILE_SYSTEM_ERRORS = {
    errno.ENOSPC: ("no space left on the device", "free space there"),
    errno.EDQUOT: ("disk quota exceeded", "free space or raise the quota"),
    errno.EACCES: ("permission denied", "make the run folder writable"),
    errno.EPERM: ("operation not permitted", "make the run folder writable"),
    errno.EROFS: ("read-only file system", "put the run folder on a writable file system"),
}
CPU_OUT_OF_MEMORY = "DefaultCPUAllocator: can't allocate memory"  # torch raises a plain RuntimeError


class RunFailed(SeedError):
    """The run stopped on a failure the user can fix; `reason` is its short name, as run.json records it."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class NonFiniteLossError(RunFailed, FloatingPointError):
    """The loss became NaN or Inf; the message names the step and the last good checkpoint."""

    def __init__(self, message: str) -> None:
        super().__init__("non-finite loss", message)


@dataclass(frozen=True)
class RunPosition:
    """Where a run stands when it fails: its step, last complete checkpoint and run folder."""

    step: int
    checkpoint: Path | None
    output_dir: Path

    def how_to_continue(self, remedy: str, overrides: str = "") -> str:
        """`Last complete checkpoint: X. <Remedy>, then continue with `seed distill --resume DIR [overrides]`.`"""
        remedy = remedy[0].upper() + remedy[1:]
        if self.checkpoint is None:
            return f"No checkpoint was written yet. {remedy}, then start the run again."
        command = " ".join(filter(None, ["seed distill --resume", str(self.output_dir), overrides]))
        return f"Last complete checkpoint: {self.checkpoint}. {remedy}, then continue with `{command}`."


def file_system_error(error: BaseException) -> OSError | None:
    """The OSError with a known errno in `error` or the exceptions it was raised from."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in FILE_SYSTEM_ERRORS:
            return error
        error = error.__cause__ or error.__context__
    return None


def is_out_of_memory(error: BaseException) -> bool:
    return isinstance(error, (MemoryError, torch.OutOfMemoryError)) or (
        isinstance(error, RuntimeError) and CPU_OUT_OF_MEMORY in str(error))


def explain_failure(error: BaseException, position: RunPosition) -> RunFailed | None:
    """`error` as a one-line RunFailed when the environment caused it, else None (a bug keeps its traceback)."""
    if isinstance(error, RunFailed):
        return error
    if (os_error := file_system_error(error)) is not None:
        what, remedy = FILE_SYSTEM_ERRORS[os_error.errno]
        where = os_error.filename or position.output_dir
        return RunFailed(what, f"{what} writing {where} at step {position.step}. {position.how_to_continue(remedy)}")
    if is_out_of_memory(error):
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return RunFailed("out of memory", f"out of memory at step {position.step} ({first_line}); a smaller "
                         "data.batch_size needs a new run folder. "
                         + position.how_to_continue("free memory (other processes on the device?)"))
    return None
