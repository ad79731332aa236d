"""The SEED paper's figures as data read from the registry: panels of series of (architecture, value) points.

Figure 1: ImageNet linear top-1 against student parameters, MoCo-v2 vs SEED vs DisCo.
Figure 3: ImageNet top-1 with 1 % / 10 % / all labels against teacher parameters, per student.
Figure 4: CIFAR-10 / CIFAR-100 / SUN-397 transfer against teacher parameters, per student.
A point's x is an architecture name (the student's, or its teacher's; None for no teacher, drawn at 0),
so what a figure holds is known without building a network; seed.zoo.plot turns names into parameters.
Reported and measured numbers are separate series, so a chart marks them apart.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from seed.errors import InputError
from seed.registry import Registry as NameRegistry
from seed.zoo.benchmarks import BY_KEY
from seed.zoo.registry import ZooRegistry, ZooEntry

BASELINE_EPOCHS = 200  # the papers' MoCo-v2 baselines are 200-epoch runs
METHODS = {"mocov2": ("MoCo-v2", "tab:gray"), "seed": ("SEED", "tab:red"), "disco": ("DisCo", "tab:blue")}


class FigureError(InputError):
    """The registry holds no number a figure could draw."""


@dataclass
class Series:
    """One line: (x architecture, value) points, reported or measured here."""

    label: str
    color: str
    measured: bool
    points: dict[str | None, float] = field(default_factory=dict)

    def add(self, x: str | None, value: float) -> None:
        """Keep the best value per x (several sources may report one setting)."""
        self.points[x] = max(value, self.points.get(x, float("-inf")))


@dataclass
class Panel:
    title: str
    xlabel: str
    ylabel: str
    series: list[Series]
    annotate: bool = False  # label each point with its architecture (Figure 1)


@dataclass
class Figure:
    name: str
    title: str
    panels: list[Panel]

    def missing(self) -> list[str]:
        """Labels of the series no registry number fills."""
        filled = {(s.label, s.measured) for p in self.panels for s in p.series if s.points}
        return sorted({s.label for p in self.panels for s in p.series if not s.points and not s.measured
                       and (s.label, True) not in filled})


FIGURES: NameRegistry[Callable[[ZooRegistry], Figure]] = NameRegistry("figure")


def _pair(label: str, color: str) -> list[Series]:
    return [Series(label, color, False), Series(label, color, True)]


def _fill(series: list[Series], entry: ZooEntry, benchmark: str, x: str | None) -> None:
    for item in series:
        values = entry.values(benchmark, measured=item.measured)
        if values:
            item.add(x, max(v.value for v in values))


def _teacher_arch(registry: ZooRegistry, entry: ZooEntry) -> str | None:
    return registry.get(entry.teacher).arch if entry.teacher else None


def _is_baseline(entry: ZooEntry) -> bool:
    return entry.objective == "mocov2" and entry.kind != "teacher" and entry.epochs in (None, BASELINE_EPOCHS)


def _distilled(entry: ZooEntry) -> bool:
    return entry.objective == "seed" and entry.teacher is not None


@FIGURES.register("figure1")
def figure1(registry: ZooRegistry) -> Figure:
    """ImageNet linear top-1 against the student's parameters: MoCo-v2 (200 epochs), SEED, DisCo."""
    by_method = {method: _pair(label, color) for method, (label, color) in METHODS.items()}
    for entry in registry.entries:
        if entry.objective in by_method and (entry.objective != "mocov2" or _is_baseline(entry)):
            _fill(by_method[entry.objective], entry, "imagenet-linear", entry.family)
    baselines = {x for s in by_method["mocov2"] for x in s.points}  # as the paper: architectures with a baseline
    for series in (s for pair in by_method.values() for s in pair):
        series.points = {x: v for x, v in series.points.items() if x in baselines}
    panel = Panel("ImageNet linear evaluation", "student parameters (millions)", "top-1 (%)",
                  [s for pair in by_method.values() for s in pair], annotate=True)
    return Figure("figure1", "Figure 1: MoCo-v2 vs SEED vs DisCo (best per architecture)", [panel])


def _against_teacher(registry: ZooRegistry, panels: dict[str, dict[str, list[Series]]], arch_of_panel: bool) -> None:
    """Fill per-(panel, series) points from students (x: teacher) and their MoCo-v2 baselines (x: none)."""
    for entry in registry.entries:
        if not (_distilled(entry) or _is_baseline(entry)):
            continue
        x = _teacher_arch(registry, entry)
        for panel_key, series in panels.items():
            for series_key, pair in series.items():
                arch, benchmark = (panel_key, series_key) if arch_of_panel else (series_key, panel_key)
                if entry.family == arch:
                    _fill(pair, entry, benchmark, x)


def _has_distilled(series: dict[str, list[Series]]) -> bool:
    """Whether any point comes from a student with a teacher (not only its MoCo-v2 baseline)."""
    return any(x is not None for pair in series.values() for s in pair for x in s.points)


def _students(registry: ZooRegistry) -> list[str]:
    """Student architectures with at least one SEED student distilled from a known teacher, in file order."""
    return list(dict.fromkeys(e.family for e in registry.entries if _distilled(e)))


@FIGURES.register("figure3")
def figure3(registry: ZooRegistry) -> Figure:
    """ImageNet top-1 with 1 %, 10 % and all labels against the teacher's parameters (0: MoCo-v2 alone)."""
    lines = {"imagenet-semi-1": ("1 % labels", "tab:red"), "imagenet-semi-10": ("10 % labels", "tab:blue"),
             "imagenet-linear": ("all labels (linear)", "tab:green")}
    panels = {arch: {key: _pair(label, color) for key, (label, color) in lines.items()} for arch in _students(registry)}
    _against_teacher(registry, panels, arch_of_panel=True)
    panels = {arch: series for arch, series in panels.items() if _has_distilled(series)}
    return Figure("figure3", "Figure 3: semi-supervised ImageNet evaluation against teacher size",
                  [Panel(arch, "teacher parameters (millions)", "ImageNet top-1 (%)",
                         [s for pair in series.values() for s in pair]) for arch, series in panels.items()])


@FIGURES.register("figure4")
def figure4(registry: ZooRegistry) -> Figure:
    """CIFAR-10, CIFAR-100 and SUN-397 transfer against the teacher's parameters (0: MoCo-v2 alone)."""
    colors = ("tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:olive")
    students = _students(registry)
    panels = {key: {arch: _pair(arch, colors[i % len(colors)]) for i, arch in enumerate(students)}
              for key in ("cifar10", "cifar100", "sun397")}
    _against_teacher(registry, panels, arch_of_panel=False)
    return Figure("figure4", "Figure 4: transfer to other data sets against teacher size",
                  [Panel(BY_KEY[key].title, "teacher parameters (millions)", "top-1 (%)",
                         [s for pair in series.values() for s in pair]) for key, series in panels.items()])


def build_figure(registry: ZooRegistry, name: str) -> Figure:
    """Figure `name` from the registry; FigureError when no number of it is there."""
    figure = FIGURES.get(name)(registry)
    if not any(s.points for panel in figure.panels for s in panel.series):
        raise FigureError(f"{name} cannot be drawn from {registry.path}: the registry holds none of its numbers "
                          f"({', '.join(figure.missing()) or 'no panel'}); measure them (`seed eval`, then "
                          "`seed results --update-zoo`) or add the reported ones with their source")
    return figure


def drawable(registry: ZooRegistry) -> list[str]:
    """Names of the figures the registry can draw."""
    names = []
    for name in FIGURES.names():
        try:
            build_figure(registry, name)
        except FigureError:
            continue
        names.append(name)
    return names
