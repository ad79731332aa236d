"""The model zoo as a static web page (`seed zoo html`): one table of every entry, to filter, sort and compare.

Generated from the registry like MODEL_ZOO.md, in render.py's row order and with its footnotes, so
every number still names its source. The page is plain HTML that reads without its script; its CSS
and script are inlined and the figures lie beside it as PNGs, so the folder works from file:// and
from any static host (GitHub Pages serves docs/zoo/).
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from seed.zoo.benchmarks import BENCHMARKS, Benchmark
from seed.zoo.registry import Metric, ZooEntry, ZooRegistry, default_registry_path, merge_registries
from seed.zoo.render import FIGURE_SIZE, Footnotes, students, teachers

PAGE = "index.html"
BENCH_SUITE = "seed-paper"  # the suite `seed bench` runs to fill a student's row
ASSETS = "site"  # seed/zoo/site/: the page template, its CSS and script
# Where a reported number's source text points: the first pattern found in it gives the link.
SOURCE_LINKS: tuple[tuple[str, str], ...] = (
    (r"SEED \(Fang et al\.[^)]*\), README", "https://github.com/jacobswan1/SEED#readme"),
    (r"SEED \(Fang et al\.", "https://arxiv.org/abs/2101.04731"),
    (r"DisCo paper", "https://arxiv.org/abs/2104.09124"),
    (r"\b([\w.-]+/[\w.-]+) README\b", r"https://github.com/\1#readme"),
    (r"\b([\w.-]+/[\w.-]+) ([\w.-]+\.md)\b", r"https://github.com/\1/blob/main/\2"),
)


def source_link(text: str) -> str | None:
    """The address of the paper or README a source text names, if it names one we know."""
    for pattern, address in SOURCE_LINKS:
        found = re.search(pattern, text)
        if found:
            return found.expand(address)
    return None


@dataclass
class Ref:
    """One source of a number: its footnote label, the text shown on hover, and where its link goes."""

    label: str
    text: str
    href: str


@dataclass
class Number:
    value: float
    refs: list[Ref]


@dataclass
class Cell:
    """A benchmark cell: the distinct reported values, and the measured one beside them."""

    reported: list[Number] = field(default_factory=list)
    measured: Number | None = None

    @property
    def sort_value(self) -> float | None:
        """What the column sorts by: the measured number, else the best reported one (as `seed zoo list --sort`)."""
        if self.measured is not None:
            return self.measured.value
        return max((n.value for n in self.reported), default=None)


@dataclass
class Row:
    """One entry as the page shows it."""

    entry: ZooEntry
    teacher: str
    cells: list[Cell]
    commands: list[str]

    @property
    def size(self) -> int | None:
        """Bytes of all its files, when the registry knows every one."""
        sizes = [f.size for f in self.entry.files]
        return sum(sizes) if sizes and None not in sizes else None


class Sources(Footnotes):
    """render.py's footnote numbering, with a link and hover text for each label."""

    def refs(self, metrics: list[Metric], measured: bool) -> list[Ref]:
        labels = [self.record(m) if measured else self.source(m) for m in metrics]
        return [self.ref(label) for label in dict.fromkeys(labels)]

    def ref(self, label: str) -> Ref:
        """A reported number links to its paper or README; a measured one to its record under Sources."""
        text = next(text for text, known in self.labels.items() if known == label).replace("`", "")
        measured = label.startswith("m")
        return Ref(label, text, (None if measured else source_link(text)) or f"#src-{label}")

    def all(self) -> list[Ref]:
        return [self.ref(label) for label in self.labels.values()]


def cell(entry: ZooEntry, benchmark: Benchmark, sources: Sources) -> Cell:
    """Reported values (equal ones from several sources shown once) and the measured value render.py shows."""
    grouped: dict[float, list[Metric]] = {}
    for metric in entry.values(benchmark.key, measured=False):
        grouped.setdefault(metric.value, []).append(metric)
    reported = [Number(value, sources.refs(metrics, measured=False)) for value, metrics in grouped.items()]
    measured = entry.values(benchmark.key, measured=True)[:1]
    return Cell(reported, Number(measured[0].value, sources.refs(measured, measured=True)) if measured else None)


def commands(entry: ZooEntry, registry_option: str) -> list[str]:
    """The commands that fetch an entry (an unverified file needs `--allow-unverified`) and benchmark a student."""
    if not entry.files:
        return []
    download = f"seed zoo{registry_option} download {entry.name}" + ("" if entry.verified else " --allow-unverified")
    return [download] + ([f"seed bench {entry.name} --suite {BENCH_SUITE}"] if entry.kind == "student" else [])


def registry_option(registry: ZooRegistry) -> str:
    """What `seed zoo` needs to read this registry: nothing for the packaged file, else ` --registry FILE`."""
    packaged = registry.path.resolve() == default_registry_path().resolve()
    return "" if packaged else f" --registry {shlex.quote(str(registry.path))}"


def combine(registries: list[ZooRegistry]) -> tuple[ZooRegistry, dict[str, str]]:
    """One registry of all entries (a later file's entry replaces an earlier one of the same name), and
    for each entry the `--registry FILE` option `seed zoo` needs to find it ("" for the packaged file)."""
    options = {entry.name: registry_option(registry) for registry in registries for entry in registry.entries}
    return merge_registries(registries), options


def rows(registry: ZooRegistry, options: dict[str, str], sources: Sources) -> list[Row]:
    """Students grouped by architecture (as in MODEL_ZOO.md), then the teachers."""
    ordered = [e for group in students(registry).values() for e in group] + teachers(registry)
    return [Row(e, e.teacher or e.teacher_description or "-", [cell(e, b, sources) for b in BENCHMARKS],
                commands(e, options[e.name])) for e in ordered]


FILTERS = {  # the page's filters: the row's data-* attribute -> (the select's label, the row's value)
    "arch": ("architecture", lambda row: row.entry.family),
    "teacher": ("teacher", lambda row: row.teacher),
    "method": ("method", lambda row: row.entry.method),
    "kind": ("kind", lambda row: row.entry.kind),
}


def render_page(registries: list[ZooRegistry]) -> str:
    """The whole index.html, for the packaged registry plus any user registries (later ones win by name)."""
    import jinja2

    from seed.zoo.figures import build_figure, drawable

    registry, options = combine(registries)
    sources = Sources()
    table = rows(registry, options, sources)
    assets = Path(__file__).with_name(ASSETS)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(assets), autoescape=True, trim_blocks=True,
                                     lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    environment.filters["size"] = human_size
    width, height, dpi = FIGURE_SIZE
    return environment.get_template("index.html.j2").render(
        rows=table, benchmarks=BENCHMARKS, sources=sources.all(),
        figures=[(name, build_figure(registry, name).title) for name in drawable(registry)],
        figure_size=(round(width * dpi), round(height * dpi)),
        filters={key: (label, value, sorted({value(row) for row in table}, key=str.lower))
                 for key, (label, value) in FILTERS.items()},
        registries=[str(r.path) if registry_option(r) else "the packaged registry" for r in registries],
        style=(assets / "zoo.css").read_text(), script=(assets / "zoo.js").read_text())


def human_size(size: int | None) -> str:
    """Bytes as the page shows them (decimal units, as download sites give them)."""
    if size is None:
        return "unknown"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            break
        value /= 1000
    return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"


def write_site(registries: list[ZooRegistry], out: str | Path) -> list[Path]:
    """Write OUT/index.html and the figures it shows (as `seed zoo plot --all` draws them)."""
    from seed.zoo.figures import drawable
    from seed.zoo.plot import plot_figure

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    page = out / PAGE
    page.write_text(render_page(registries), encoding="utf-8")
    registry, _ = combine(registries)
    return [page] + [plot_figure(registry, name, out / f"{name}.png", *FIGURE_SIZE) for name in drawable(registry)]
