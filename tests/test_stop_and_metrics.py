"""The trainer's small parts: stop requests from signals, and metrics kept on the device until a log."""
from __future__ import annotations

import math
import os
import signal
import time

from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from seed.engine.metrics import MetricWindow
from seed.engine.stop import StopRequest


def deliver(signum: int) -> None:
    os.kill(os.getpid(), signum)
    time.sleep(0.01)  # the Python-level handler runs at the next bytecode boundary


def test_a_signal_requests_a_stop_and_a_second_ctrl_c_before_the_stop_is_agreed_aborts():
    previous = signal.getsignal(signal.SIGINT)
    with StopRequest() as stop:
        deliver(signal.SIGINT)
        with pytest.raises(KeyboardInterrupt):
            deliver(signal.SIGINT)
        assert stop.agreed() == signal.SIGINT
    assert signal.getsignal(signal.SIGINT) is previous  # handlers restored on exit


def test_once_the_stop_is_agreed_further_signals_wait_for_the_save():
    with StopRequest() as stop:
        assert stop.agreed() is None
        deliver(signal.SIGTERM)
        assert stop.agreed() == signal.SIGTERM
        deliver(signal.SIGINT)  # Ctrl-C twice, SIGTERM again, a preemption notice: the save goes on
        deliver(signal.SIGTERM)
        deliver(signal.SIGUSR2)
        assert stop.agreed() == signal.SIGTERM


def test_the_signal_first_in_priority_wins_not_the_larger_number():
    with StopRequest((signal.SIGUSR2, signal.SIGTERM, signal.SIGINT)) as stop:
        deliver(signal.SIGTERM)
        deliver(signal.SIGUSR2)  # 12 on Linux, less than SIGTERM's 15: the preemption still wins
        assert stop.agreed() == signal.SIGUSR2
    with StopRequest((signal.SIGTERM, signal.SIGUSR2)) as stop:  # the order given is the priority
        deliver(signal.SIGUSR2)
        deliver(signal.SIGTERM)
        assert stop.agreed() == signal.SIGTERM


def agree_across_two_processes(rank: int, store: str, received: dict[int, int], out: str) -> None:
    """One gloo process: receive this rank's signal, then agree on the stop with the other."""
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    try:
        with StopRequest() as stop:
            deliver(received[rank])
            Path(out, f"{rank}.txt").write_text(str(int(stop.agreed())))
    finally:
        dist.destroy_process_group()


def test_two_processes_agree_on_the_preemption_over_a_sigterm(tmp_path):
    received = {0: signal.SIGTERM, 1: signal.SIGUSR2}
    mp.spawn(agree_across_two_processes, args=(str(tmp_path / "store"), received, str(tmp_path)), nprocs=2)
    assert [int((tmp_path / f"{rank}.txt").read_text()) for rank in (0, 1)] == [signal.SIGUSR2] * 2


def test_window_logs_the_mean_since_the_last_log_and_names_the_first_non_finite_step():
    window = MetricWindow()
    for step, loss in enumerate([1.0, 2.0, 6.0], start=1):
        window.add(step, {"loss": torch.tensor(loss), "loss_mse": torch.tensor(loss / 2)})
    means, bad = window.reduce()
    assert means == {"loss": 3.0, "loss_mse": 1.5} and bad is None and len(window) == 0
    for step, loss in [(4, 1.0), (5, math.inf), (6, math.nan)]:
        window.add(step, {"loss": torch.tensor(loss), "loss_mse": torch.tensor(0.0)})
    assert window.reduce(clear=False)[1] == (5, math.inf) and len(window) == 3  # a check before a save keeps them
