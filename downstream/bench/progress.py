"""Progress of a `seed bench` run: one live table of stages on a terminal, a plain line per state change otherwise.

Every state change is an event (stage, status, what happened). Without a terminal (a log file, a SLURM
job, CI) each event is printed as `[bench] stage: what happened`; on a terminal the table of stages
(status, elapsed time, headline number) is redrawn in place, and once more as the run ends.
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import Callable, TextIO

Announce = Callable[[str, str, str], None]  # (stage, status, what happened)
REDRAW_SECONDS = 1.0


def plain_line(stage: str, status: str, message: str) -> str:
    """The line printed per state change without a terminal."""
    return f"[bench] {stage}: {message}"


def print_lines(stage: str, status: str, message: str) -> None:
    """An Announce for jobs and logs: each state change as a plain line, flushed."""
    print(plain_line(stage, status, message), flush=True)


@dataclass
class Row:
    """What the table shows of one stage."""

    name: str
    status: str = "waiting"
    started: float | None = None
    elapsed: float | None = None  # fixed once the stage ends
    detail: str = ""


def _elapsed(row: Row, now: float) -> str:
    seconds = row.elapsed if row.elapsed is not None else (now - row.started if row.started else None)
    if seconds is None:
        return "-"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"


def render_table(rows: list[Row], now: float) -> str:
    """The table of stages: name, status, elapsed (h:mm:ss) and the headline number or what happened."""
    width = max([len("stage"), *(len(row.name) for row in rows)])
    lines = [f"{'stage':<{width}}  {'status':<7}  {'elapsed':>8}  result"]
    lines += [f"{row.name:<{width}}  {row.status:<7}  {_elapsed(row, now):>8}  {row.detail}" for row in rows]
    return "\n".join(lines)


class Progress:
    """An Announce that keeps each stage's row; live table on a terminal, plain lines otherwise."""

    def __init__(self, stages: list[str], stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty() if live is None else live
        self.rows = {name: Row(name) for name in stages}
        self.drawn = 0  # lines of the table on screen, to move the cursor back over
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.ticker: threading.Thread | None = None

    def __call__(self, stage: str, status: str, message: str) -> None:
        now = time.time()
        with self.lock:
            row = self.rows.setdefault(stage, Row(stage))
            shown = "failed" if status == "blocked" else status  # the table's states: waiting, running, done, failed
            if shown == "running" and row.status != "running":
                row.started, row.elapsed = now, None
            elif shown in ("done", "failed") and row.started is not None and row.elapsed is None:
                row.elapsed = now - row.started
            row.status, row.detail = shown, message
            if not self.live:
                self.stream.write(plain_line(stage, status, message) + "\n")
                self.stream.flush()
                return
            self._draw(now)
        if self.ticker is None:
            self.ticker = threading.Thread(target=self._tick, daemon=True)
            self.ticker.start()

    def close(self) -> None:
        """Stop the clock and leave the final table on screen."""
        self.stopped.set()
        if self.ticker is not None:
            self.ticker.join()
        if self.live:
            with self.lock:
                self._draw(time.time())

    def _tick(self) -> None:
        while not self.stopped.wait(REDRAW_SECONDS):
            with self.lock:
                self._draw(time.time())

    def _draw(self, now: float) -> None:
        table = render_table(list(self.rows.values()), now)
        up = f"\x1b[{self.drawn}F" if self.drawn else ""  # to the first line of the previous table
        self.stream.write(up + "".join(f"{line}\x1b[K\n" for line in table.splitlines()))
        self.stream.flush()
        self.drawn = table.count("\n") + 1
