"""The bench report's figure: the student's numbers beside the zoo's rows of its architecture, one row per column.

Drawn in the zoo figures' style (seed.zoo.plot): numbers measured here hollow, reported ones filled, the
plotted data kept in the PNG's text chunk, so a check reads numbers rather than pixels.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from downstream.records import ResultRecord
    from seed.zoo.registry import Metric

STUDENT_COLOR = "tab:red"
ZOO_COLORS = ("tab:gray", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown", "tab:olive", "tab:cyan")


def _points(axes, values: list[float | None], label: str, color: str, measured: bool, size: float) -> None:
    """One series: a marker at (value, column) for each column with a number."""
    points = [(value, row) for row, value in enumerate(values) if value is not None]
    if points:
        xs, ys = zip(*points)
        axes.plot(xs, ys, marker="o", linestyle="none", color=color, markersize=size,
                  markerfacecolor="white" if measured else color,
                  label=label + (" (measured here)" if measured else " (reported)"))


def write_figure(student: str, records: list[ResultRecord], zoo: list[tuple[str, list[Metric | None]]],
                 path: str | Path) -> Path:
    """Draw the student's headline numbers (one per record) and each zoo row's for the same columns into `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from seed.zoo.plot import save

    columns = [record.column for record in records]
    canvas, axes = plt.subplots(figsize=(7.0, 1.2 + 0.45 * len(columns)), dpi=100)
    for index, (name, metrics) in enumerate(zoo):
        color = ZOO_COLORS[index % len(ZOO_COLORS)]
        for measured in (False, True):
            _points(axes, [m.value if m is not None and m.measured == measured else None for m in metrics],
                    name, color, measured, 5)
    _points(axes, [record.metrics[record.primary_metric] for record in records], student, STUDENT_COLOR, True, 9)
    axes.set_yticks(range(len(columns)), columns, fontsize=7)
    axes.invert_yaxis()  # the report's column order, top to bottom
    axes.set_xlabel("headline metric (top-1, AP, mIoU)", fontsize=8)
    axes.set_title(f"{student} beside the model zoo", fontsize=9)
    axes.tick_params(axis="x", labelsize=7)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    canvas.tight_layout()
    return save(canvas, path)
