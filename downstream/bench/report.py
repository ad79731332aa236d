"""The student's row: `report.md`, its numbers next to the zoo's rows for the same architecture.

Every number of the student links to the result record it was read from; the zoo's numbers carry
their source (a paper's table, or the record they were measured from) as the link title.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from downstream.bench.figure import write_figure
from downstream.bench.plan import Plan
from downstream.records import ResultRecord, read_record

if TYPE_CHECKING:
    from seed.zoo.registry import Metric

REPORT_FILE, FIGURE_FILE = "report.md", "report.png"


def finished_records(plan: Plan) -> list[ResultRecord]:
    """The records of every finished stage, in suite order."""
    return [read_record(path) for planned in plan.stages if planned.state()["status"] == "done"
            for path in planned.state().get("records", [])]


@lru_cache(maxsize=None)
def _arch_of(path: str) -> str:
    from downstream.models import load_model

    return load_model(path).arch


def student_arch(plan: Plan) -> str:
    """The architecture the student file records (read once per file)."""
    return _arch_of(plan.student.path)


def _family(plan: Plan) -> str:
    from seed.zoo.registry import TIMM_COUNTERPARTS

    arch = student_arch(plan)
    return TIMM_COUNTERPARTS.get(arch, arch)


def zoo_values(family: str, records: list[ResultRecord]) -> list[tuple[str, list[Metric | None]]]:
    """The zoo's entries of the same architecture family that have a number for a record's column:
    (name, the number per record, a measured one first, None when unreported)."""
    from seed.zoo import load_registry
    from seed.zoo.benchmarks import benchmark_key

    rows = []
    for entry in load_registry().entries:
        if entry.family != family:
            continue
        found = [entry.values(benchmark_key(record.protocol, record.dataset), record.primary_metric)
                 for record in records]
        metrics = [min(metrics, key=lambda m: not m.measured, default=None) for metrics in found]
        if any(metrics):
            rows.append((entry.name, metrics))
    return rows


def zoo_rows(family: str, records: list[ResultRecord]) -> list[list[str]]:
    """The zoo's entries of the same architecture family, one cell per record column (blank when unreported)."""
    rows = []
    for name, metrics in zoo_values(family, records):
        cells = []
        for metric in metrics:
            source = (metric.source or (metric.record.path if metric.record else "")) if metric else ""
            cells.append(f'[{metric.value:.2f}](# "{source}")' if metric and source else
                         f"{metric.value:.2f}" if metric else "")
        rows.append([name, *cells])
    return rows


def write_report(plan: Plan) -> Path:
    """Write OUT/report.md from the finished stages' records, and return its path."""
    records = finished_records(plan)
    path = plan.out / REPORT_FILE
    family = _family(plan)
    header = ["model", *(record.column for record in records)]
    ours = [f"**{plan.student.name}**", *(f"[{r.metrics[r.primary_metric]:.2f}]"
                                          f"({Path(os.path.relpath(r.source_path, plan.out)).as_posix()})"
                                          for r in records)]
    rows = [ours, *zoo_rows(family, records)]
    unfinished = [(p.name, p.state()) for p in plan.stages if p.state()["status"] != "done"]
    lines = [f"# {plan.student.name}: suite {plan.suite.name}", "",
             f"Student `{plan.student.spec}` ({family}, sha256 `{plan.student.sha256}`), suite `{plan.suite.path}`, "
             f"data under `{plan.data_root}`. Each of its numbers links to its result record; the other rows are "
             "the model zoo's for the same architecture.", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header),
             *("| " + " | ".join(row) + " |" for row in rows)]
    if records:
        figure = write_figure(plan.student.name, records, zoo_values(family, records), plan.out / FIGURE_FILE)
        lines += ["", f"![{plan.student.name} beside the zoo's {family} rows]({figure.name})"]
    if unfinished:
        lines += ["", "Not finished:", ""]
        lines += [f"- {name}: {state['status']}" + (f" ({state['error']})" if state.get("error") else "")
                  + (f", log `{state['log']}`" if state.get("log") else "") for name, state in unfinished]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path
