"""Progress for long work: a tqdm bar on a terminal, plain log lines where there is none (a SLURM log)."""
from __future__ import annotations

import logging
import sys
import time
from typing import Iterable, Iterator, TypeVar

from tqdm import tqdm

log = logging.getLogger(__name__)
T = TypeVar("T")


def interactive() -> bool:
    """True when progress bars can redraw in place (stderr, where tqdm writes, is a terminal)."""
    return sys.stderr.isatty()


def progress_bar(iterable: Iterable | None = None, *, enabled: bool = True, **kwargs) -> tqdm:
    """tqdm that draws only when `enabled` and stderr is a terminal; otherwise it just counts."""
    return tqdm(iterable, disable=not (enabled and interactive()), dynamic_ncols=True, **kwargs)


def track(iterable: Iterable[T], desc: str, total: int | None = None, unit: str = "it", enabled: bool = True,
          every: int | None = None) -> Iterator[T]:
    """Iterate with a tqdm bar on a terminal; elsewhere log "desc: i/total unit" every `every` items
    (a tenth of `total` by default) and at the end, so a log file still shows progress."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    if not enabled:
        yield from iterable
        return
    if interactive():
        yield from tqdm(iterable, desc=desc, total=total, unit=unit, dynamic_ncols=True)
        return
    every = every or max((total or 0) // 10, 1)
    count = 0
    for count, item in enumerate(iterable, 1):
        yield item
        if count % every == 0 and count != total:
            log.info("%s: %d/%s %s", desc, count, total or "?", unit)
    log.info("%s: %d/%s %s, done", desc, count, total or count, unit)


class StepProgress:
    """The trainer's progress: a bar showing loss and img/s on a terminal, else one log line per logging step."""

    def __init__(self, total: int, initial: int, bar: bool, main: bool) -> None:
        self.total = total
        self.bar = progress_bar(total=total, initial=initial, unit="step", enabled=bar and main)
        self.plain = main and self.bar.disable
        self.window_start, self.images = time.perf_counter(), 0

    def update(self, images: int) -> None:
        """One step of `images` images (over all processes) done."""
        self.bar.update(1)
        self.images += images

    def images_per_second(self) -> float:
        """Throughput since the last call."""
        elapsed = time.perf_counter() - self.window_start
        rate = self.images / max(elapsed, 1e-9)
        self.window_start, self.images = time.perf_counter(), 0
        return rate

    def log(self, step: int, metrics: dict[str, float]) -> None:
        """Show a logging step's metrics: in the bar's postfix, or as a log line."""
        if self.plain:
            log.info("step %d/%d (epoch %.2f): loss %.4f, lr %.4g, %.1f img/s", step, self.total, metrics["epoch"],
                     metrics["loss"], metrics["lr"], metrics["img_per_s"])
        else:
            self.bar.set_postfix(loss=f"{metrics['loss']:.4f}", img_s=f"{metrics['img_per_s']:.1f}")

    def close(self) -> None:
        self.bar.close()
