"""Graceful stops: preemption (USR2), SIGTERM (`kill`, a scheduler) or SIGINT (Ctrl-C) end training at a step.

The signal handler only records the request; the trainer asks `StopRequest.agreed()` at its
logging steps, where it syncs with the device anyway. Under torchrun the request is reduced
(max) over the default process group, so every process stops after the same step whichever
process got the signal. When processes got different signals, the one first in the request's
signal list wins (preemption before SIGTERM before SIGINT): an explicit order, the same on
every platform, not the signal numbers (USR2 is 12 on Linux, 31 on macOS).
The handlers stay installed until the last checkpoint is written: a second Ctrl-C before the
processes agreed to stop aborts at once; once they agreed, further signals only wait for the save.
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

# The signals that stop a run, highest priority first: a preemption notice (SLURM's USR2) asks for
# a requeue, which outranks a plain termination, which outranks a Ctrl-C.
STOP_SIGNALS = (signal.SIGUSR2, signal.SIGTERM, signal.SIGINT)


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
    """A context that turns `signals` (highest priority first) into a stop request, restoring the previous
    handlers on exit. `device` is where the processes reduce the request: the default group's (CPU for
    gloo, this process's GPU for NCCL)."""

    def __init__(self, signals: tuple[int, ...] = STOP_SIGNALS, device: torch.device | str = "cpu") -> None:
        self.signals = tuple(signals)
        self.device = torch.device(device)
        self.received: int | None = None  # the highest-priority signal this process got
        self.signum: int | None = None  # the stop every process agreed on
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "StopRequest":
        if threading.current_thread() is threading.main_thread():
            self._previous = {signum: signal.signal(signum, self._handle) for signum in self.signals}
        return self

    def __exit__(self, *exc_info) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.signum is not None:
            log.warning("%s received while the run saves its last checkpoint: waiting for the save to finish",
                        signal.Signals(signum).name)
            return
        if self.received is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # a second Ctrl-C: the user does not want to wait
        if self.received is None or self._code(signum) > self._code(self.received):
            self.received = signum
            log.warning("%s received: stopping at the next logging step and writing a checkpoint",
                        signal.Signals(signum).name)

    def _code(self, signum: int | None) -> int:
        """0 for no signal, higher for a signal of higher priority (what the processes reduce with max)."""
        return 0 if signum is None else len(self.signals) - self.signals.index(signum)

    def agreed(self) -> int | None:
        """The stop signal if any process received one (the same answer on every process), else None.

        A collective under torchrun: every process calls it at the same step."""
        if self.signum is None:
            code = self._code(self.received)
            if is_distributed():
                flag = torch.full((1,), code, dtype=torch.long, device=self.device)
                dist.all_reduce(flag, op=dist.ReduceOp.MAX)
                code = int(flag.item())
            self.signum = self.signals[len(self.signals) - code] if code else None
        return self.signum
