"""Training scalars kept on the device between logging steps: one reduction and one host sync per log.

`add()` only stacks detached tensors (no `.item()`, so no GPU sync per step). `reduce()`
averages each scalar over the steps since the last log and over processes, and finds the first
step whose loss was not finite, so a NaN is still named by its step.
"""
from __future__ import annotations

import torch

from seed.utils.distributed import all_reduce_mean


class MetricWindow:
    """Per-step scalars (loss first) since the last `reduce()`."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.rows: list[torch.Tensor] = []
        self.names: list[str] = []

    def __len__(self) -> int:
        return len(self.steps)

    def add(self, step: int, outputs: dict[str, torch.Tensor]) -> None:
        """Keep this step's scalars (`outputs["loss"]` and any others the objective returns)."""
        names = ["loss", *sorted(name for name in outputs if name != "loss")]
        if self.names and names != self.names:
            raise RuntimeError(f"the objective's scalars changed from {self.names} to {names} at step {step}")
        self.names = names
        self.steps.append(step)
        self.rows.append(torch.stack([outputs[name].detach().float().reshape(()) for name in names]))

    def reduce(self, clear: bool = True) -> tuple[dict[str, float], tuple[int, float] | None]:
        """The mean of every scalar over the kept steps and over processes, and (step, loss) of the first
        step whose loss is not finite (None if all are); `clear` empties the window."""
        table = all_reduce_mean(torch.stack(self.rows)).cpu()  # steps x scalars: the one host sync
        bad = (~torch.isfinite(table[:, 0])).nonzero()
        first_bad = (self.steps[int(bad[0])], float(table[int(bad[0]), 0])) if len(bad) else None
        if clear:
            self.steps, self.rows = [], []
        return dict(zip(self.names, table.mean(0).tolist())), first_bad
