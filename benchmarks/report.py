"""What the benchmarks share: Markdown tables with ratio columns, device names, per-call timing, and
timed sections that record their rows, their error or their skip, and keep going.

    from report import Sections, add_ratio, device_name, markdown_table
"""
from __future__ import annotations

import json
import logging
import signal
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch

log = logging.getLogger("benchmarks")


def device_name(device: torch.device | str) -> str:
    """The GPU's name, or "CPU (N threads)": what a table's heading says the numbers were measured on."""
    device = torch.device(device)
    return torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({torch.get_num_threads()} threads)"


def synchronize(device: torch.device | str) -> None:
    """Wait for the device's queued work, so that a wall-clock time covers it."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def call_seconds(call: Callable[[], Any], device: torch.device | str, warmup: int, steps: int) -> list[float]:
    """Wall seconds of each of `steps` calls after `warmup` untimed ones, the device synchronised around each."""
    for _ in range(warmup):
        call()
    times = []
    for _ in range(steps):
        synchronize(device)
        start = time.perf_counter()
        call()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return times


def cell(value: Any) -> str:
    """A table cell: floats to 3 significant digits (whole numbers from 100 up), None as n/a."""
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return "n/a" if value is None else str(value)


def table_header(columns: Sequence[str]) -> str:
    """The first two lines of a Markdown table."""
    return "| " + " | ".join(columns) + " |\n" + "|" + "---|" * len(columns)


def table_row(row: Mapping[str, Any], columns: Sequence[str]) -> str:
    """One line of a Markdown table: the row's values in the order of `columns` (missing ones n/a)."""
    return "| " + " | ".join(cell(row.get(column)) for column in columns) + " |"


def markdown_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """A Markdown table of `rows` (dicts); the columns are the rows' keys in first-seen order unless given."""
    columns = list(columns or dict.fromkeys(key for row in rows for key in row))
    return "\n".join([table_header(columns), *(table_row(row, columns) for row in rows)])


def add_ratio(rows: Sequence[dict[str, Any]], column: str, title: str, reference: int = 0,
              lower_is_better: bool = False) -> Sequence[dict[str, Any]]:
    """Add `title` to every row: how many times better its `column` is than row `reference`'s (1.00 for that row).

    For times (`lower_is_better`) that is reference / value, for rates value / reference."""
    base = rows[reference][column]
    for row in rows:
        row[title] = base / row[column] if lower_is_better else row[column] / base
    return rows


class BudgetExhausted(RuntimeError):
    """The time budget ran out before a section could start, or while it ran."""


class Sections:
    """Runs named sections in order under one time budget and rewrites `<stem>.json` and `<stem>.md` after each.

    A section is a callable returning {"rows": [...], "notes": [...], ...}. One that raises is recorded
    as "error" and the next one runs; one that would start past the budget is "skipped"; one that is
    still running `grace` seconds past it, or that calls `check_budget` after it, is "interrupted"."""

    def __init__(self, out: Path, stem: str, title: str, meta: dict[str, Any], budget: float,
                 grace: float = 60.0) -> None:
        self.out, self.stem, self.title, self.meta = Path(out), stem, title, meta
        self.budget, self.grace = budget, grace
        self.start = time.perf_counter()
        self.sections: dict[str, dict[str, Any]] = {}

    def remaining(self) -> float:
        return self.budget - (time.perf_counter() - self.start)

    def check_budget(self, what: str) -> None:
        """Raise BudgetExhausted when the budget is spent: a section calls it before each costly part."""
        if self.remaining() <= 0:
            raise BudgetExhausted(f"time budget of {self.budget:.0f} s spent before {what}")

    def run(self, name: str, section: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run one section (or skip it past the budget), record what it returned or why it did not, and write."""
        log.info("section %s: start (%.0f s of budget left)", name, self.remaining())
        began = time.perf_counter()
        if self.remaining() <= 0:
            result = {"rows": [], "reason": f"time budget of {self.budget:.0f} s spent before it started"}
            status = "skipped"
        else:
            result, status = self._guarded(name, section)
        result.update(status=status, seconds=round(time.perf_counter() - began, 1))
        self.sections[name] = result
        log.info("section %s: %s in %.1f s", name, status, result["seconds"])
        self.write()
        return result

    def _guarded(self, name: str, section: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], str]:
        """The section's result and "ok", or its error and "interrupted"/"error"; SIGALRM guards a hang."""
        def interrupt(signum: int, frame: Any) -> None:
            raise BudgetExhausted(f"interrupted: still running {self.grace:.0f} s past the time budget")

        previous = signal.signal(signal.SIGALRM, interrupt)
        signal.alarm(max(1, int(self.remaining() + self.grace)))
        try:
            return section(), "ok"
        except BudgetExhausted as error:
            return {"rows": [], "reason": str(error)}, "interrupted"
        except Exception as error:  # one failing section must never lose the others
            log.error("section %s failed:\n%s", name, traceback.format_exc())
            return {"rows": [], "error": f"{type(error).__name__}: {error}"}, "error"
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)

    def write(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        report = {**self.meta, "sections": self.sections}
        (self.out / f"{self.stem}.json").write_text(json.dumps(report, indent=2, default=str))
        (self.out / f"{self.stem}.md").write_text(self.markdown())

    def markdown(self) -> str:
        """The title, then each section: its status and time, its error or reason, its table, its notes."""
        lines = [self.title, ""]
        for name, section in self.sections.items():
            lines.append(f"### {name} ({section['status']}, {section['seconds']} s)")
            for key in ("error", "reason"):
                if section.get(key):
                    lines.append(f"\n{key}: `{' '.join(section[key].split())}`")
            if section["rows"]:
                lines += ["", markdown_table(section["rows"])]
            lines += [f"\n{note}" for note in section.get("notes", [])] + [""]
        return "\n".join(lines)
