"""The trainer's small parts: stop requests from signals, and metrics kept on the device until a log."""
from __future__ import annotations

import math
import os
import signal
import time

import pytest
import torch

from seed.engine.metrics import MetricWindow
from seed.engine.stop import StopRequest


def deliver(signum: int) -> None:
    os.kill(os.getpid(), signum)
    time.sleep(0.01)  # the Python-level handler runs at the next bytecode boundary


def test_a_signal_requests_a_stop_and_a_second_ctrl_c_aborts():
    previous = signal.getsignal(signal.SIGINT)
    with StopRequest() as stop:
        assert stop.agreed() is None
        deliver(signal.SIGINT)
        assert stop.agreed() == signal.SIGINT
        with pytest.raises(KeyboardInterrupt):
            deliver(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is previous  # handlers restored on exit


def test_window_logs_the_mean_since_the_last_log_and_names_the_first_non_finite_step():
    window = MetricWindow()
    for step, loss in enumerate([1.0, 2.0, 6.0], start=1):
        window.add(step, {"loss": torch.tensor(loss), "loss_mse": torch.tensor(loss / 2)})
    means, bad = window.reduce()
    assert means == {"loss": 3.0, "loss_mse": 1.5} and bad is None and len(window) == 0
    for step, loss in [(4, 1.0), (5, math.inf), (6, math.nan)]:
        window.add(step, {"loss": torch.tensor(loss), "loss_mse": torch.tensor(0.0)})
    assert window.reduce(clear=False)[1] == (5, math.inf) and len(window) == 3  # a check before a save keeps them
