"""Draw the registry's figures (seed.zoo.figures) as PNGs: reported numbers filled, measured ones hollow.

Each PNG carries what it plots (titles, axis labels, every line's label and x/y data) as JSON in a
text chunk, so a check compares numbers, not pixels that change with the matplotlib version.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

from seed.zoo.figures import Figure, Panel, build_figure
from seed.zoo.registry import ZooRegistry


@lru_cache(maxsize=None)
def parameters_millions(arch: str | None) -> float:
    """Backbone parameters (millions) of a registered or timm architecture, counted on the meta device;
    0 for no architecture (a student trained without a teacher)."""
    if arch is None:
        return 0.0
    import torch

    from seed.models.pretrained import build_backbone

    with torch.device("meta"):
        backbone = build_backbone(arch)
    return sum(p.numel() for p in backbone.parameters()) / 1e6


def _draw_panel(axes, panel: Panel) -> None:
    for series in panel.series:
        if not series.points:
            continue
        xs = sorted(series.points, key=parameters_millions)
        sizes = [parameters_millions(x) for x in xs]
        values = [series.points[x] for x in xs]
        style = dict(color=series.color, marker="o", linestyle="--" if series.measured else "-",
                     markerfacecolor="white" if series.measured else series.color,
                     label=series.label + (" (measured here)" if series.measured else " (reported)"))
        axes.plot(sizes, values, **style)
        if panel.annotate and series is panel.series[0]:  # name each architecture once, under its first line
            for size, value, x in zip(sizes, values, xs):
                axes.annotate(x, (size, value), textcoords="offset points", xytext=(4, -10), fontsize=6)
    axes.set_title(panel.title, fontsize=9)
    axes.set_xlabel(panel.xlabel, fontsize=8)
    axes.set_ylabel(panel.ylabel, fontsize=8)
    axes.tick_params(labelsize=7)
    axes.grid(alpha=0.3)
    if any(s.points for s in panel.series):
        axes.legend(fontsize=6, loc="lower right")
    else:
        axes.text(0.5, 0.5, "no number in the registry", ha="center", va="center", transform=axes.transAxes,
                  fontsize=8, color="tab:gray")


PLOTTED_KEY = "seed:plotted"  # the PNG text chunk holding plotted(canvas) as JSON


def plotted(canvas) -> list[dict]:
    """What a drawn figure shows, per visible panel: title, axis labels, each line's label and x/y data,
    and the texts written on it (architecture names, "no number")."""
    return [{"title": axes.get_title(), "xlabel": axes.get_xlabel(), "ylabel": axes.get_ylabel(),
             "lines": [{"label": line.get_label(), "x": [round(float(v), 4) for v in line.get_xdata()],
                        "y": [round(float(v), 4) for v in line.get_ydata()]} for line in axes.get_lines()],
             "texts": [text.get_text() for text in axes.texts]}
            for axes in canvas.axes if axes.get_visible()]


def canvas_of(figure: Figure, width: float = 6.4, height: float = 4.8, dpi: int = 100):
    """`figure` drawn on a matplotlib figure of width x height inches, panels on a grid of at most three columns."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = min(3, len(figure.panels))
    rows = math.ceil(len(figure.panels) / columns)
    canvas, grid = plt.subplots(rows, columns, figsize=(width, height), dpi=dpi, squeeze=False)
    for axes, panel in zip(grid.flat, figure.panels):
        _draw_panel(axes, panel)
    for axes in list(grid.flat)[len(figure.panels):]:
        axes.set_visible(False)
    missing = figure.missing()
    canvas.suptitle(figure.title, fontsize=10)
    if missing:
        canvas.text(0.5, 0.005, "not in the registry yet: " + ", ".join(missing), ha="center", va="bottom",
                    fontsize=7, color="tab:gray")
    canvas.tight_layout(rect=(0, 0.03 if missing else 0, 1, 1))
    return canvas


def draw(figure: Figure, path: str | Path, width: float = 6.4, height: float = 4.8, dpi: int = 100) -> Path:
    """Write `figure` to `path` (PNG, width x height inches at `dpi`) with its plotted data in a text chunk."""
    return save(canvas_of(figure, width, height, dpi), path, dpi)


def save(canvas, path: str | Path, dpi: int = 100) -> Path:
    """Write a drawn matplotlib figure to `path` (PNG) with its plotted data in a text chunk, and close it."""
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas.savefig(path, dpi=dpi, format="png",
                   metadata={"Software": None, PLOTTED_KEY: json.dumps(plotted(canvas), ensure_ascii=True)})
    plt.close(canvas)
    return path


def plot_figure(registry: ZooRegistry, name: str, path: str | Path, width: float = 6.4, height: float = 4.8,
                dpi: int = 100) -> Path:
    """Draw figure `name` ("figure1", "figure3", "figure4") from the registry into `path`."""
    return draw(build_figure(registry, name), path, width, height, dpi)
