"""The root of every error this project raises on purpose, and the one handler that reports them.

Bad input (a config key, a file, a name, a checkpoint) raises a `SeedError` whose message names
what is wrong and what to do; the `seed` command and every tool print it as one line and exit 2.
Anything else (CUDA out of memory, NCCL failures, our own bugs) keeps its traceback.
The built-in base next to `SeedError` (ValueError, KeyError, ...) keeps `except ValueError` working.
"""
from __future__ import annotations

import os
import sys
from typing import Callable

EXIT_USER_ERROR = 2


class SeedError(Exception):
    """An error a user can cause and fix; its message says which file, key or option, and how."""


class InputError(SeedError, ValueError):
    """A value given by the user (option, config entry, data content) that cannot be used."""


class MissingInputError(SeedError, FileNotFoundError):
    """A file or folder the user named does not exist or lacks a part it must have."""


class UnknownNameError(SeedError, KeyError):
    """A name that no registry knows (architecture, layout, data set, zoo entry, ...)."""

    def __str__(self) -> str:  # KeyError would print the message quoted, as a repr
        return str(self.args[0]) if self.args else ""


def report_errors(prog: str, run: Callable[[], int | None]) -> int:
    """Call `run()`; a SeedError becomes one line on stderr and exit status 2 (SEED_DEBUG=1 re-raises it).
    Every other exception propagates with its traceback."""
    try:
        return int(run() or 0)
    except SeedError as error:
        if os.environ.get("SEED_DEBUG"):
            raise
        print(f"{prog}: error: {type(error).__name__}: {error}\n(set SEED_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return EXIT_USER_ERROR
