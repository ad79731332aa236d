"""Graceful stops: SIGTERM (a cluster's preemption, `kill`) or SIGINT (Ctrl-C) end training at a step boundary.

The signal handler only records the request; the trainer asks `StopRequest.agreed()` after
every step. Under torchrun the request is reduced (max) over a CPU gloo group, so every
process stops after the same step without a GPU sync, whichever process got the signal.
A second Ctrl-C aborts at once.
"""
from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import torch
import torch.distributed as dist

from seed.errors import SeedError
from seed.utils.distributed import is_distributed

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class TrainingInterrupted(SeedError):
    """Training stopped on a signal after writing a checkpoint; `--resume` continues it bit for bit."""

    def __init__(self, signum: int, step: int, checkpoint: str) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name} after step {step}; checkpoint {checkpoint} "
                         "(continue with --resume)")
        self.signum, self.step, self.checkpoint = signum, step, checkpoint


def ignore_stop_signals(_worker_id: int = 0) -> None:
    """DataLoader worker_init_fn: leave stop signals sent to the whole process group to the main process."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


class StopRequest:
    """A context that turns `signals` into a stop request, restoring the previous handlers on exit."""

    def __init__(self, signals: tuple[int, ...] = STOP_SIGNALS) -> None:
        self.signals = tuple(signals)
        self.received: int | None = None  # the first signal this process got
        self.signum: int | None = None  # the stop every process agreed on
        self._previous: dict[int, object] = {}
        self._group = None
        if is_distributed():  # collective: every rank builds the trainer at the same point
            self._group = None if dist.get_backend() == "gloo" else dist.new_group(backend="gloo")

    def __enter__(self) -> "StopRequest":
        if threading.current_thread() is threading.main_thread():
            self._previous = {signum: signal.signal(signum, self._handle) for signum in self.signals}
        return self

    def __exit__(self, *exc_info) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.received is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: the user does not want to wait
        if self.received is None:
            self.received = signum
            log.warning("%s received: stopping after this step and writing a checkpoint",
                        signal.Signals(signum).name)

    def agreed(self) -> int | None:
        """The stop signal if any process received one (the same answer on every process), else None."""
        if self.signum is None:
            flag = torch.tensor([self.received or 0], dtype=torch.long)
            if is_distributed():
                dist.all_reduce(flag, op=dist.ReduceOp.MAX, group=self._group)
            self.signum = int(flag.item()) or None
        return self.signum
