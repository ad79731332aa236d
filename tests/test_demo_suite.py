"""`seed demo --suite` end to end: the embedded suite for the demo's teacher, students and a random-weights
floor, on the students the session's `demo_run` already distilled, twice from fresh folders."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import HANG_GUARD_S, PINNED_THREADS, run_cli
from downstream.demo_suite import FIGURE_FILE, TABLE_FILE

pytestmark = [pytest.mark.slow, pytest.mark.timeout(HANG_GUARD_S + 1800)]
RUNS = ("teacher", "seed-student", "moco-student")


def demo_copy(demo: Path, out: Path) -> Path:
    """A fresh demo folder holding only the finished runs, so that nothing but the suite runs."""
    for run in RUNS:
        shutil.copytree(demo / run, out / run)
    return out


def table_cells(table: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]


def test_the_suite_fills_every_cell_and_repeats_exactly(demo_run, tmp_path):
    demo, _ = demo_run
    tables = []
    for attempt in ("first", "second"):
        out = demo_copy(demo, tmp_path / attempt)
        result = run_cli("demo", "--suite", "--out", str(out), "--threads", "2", timeout=HANG_GUARD_S,
                         env=PINNED_THREADS)
        assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-3000:]
        assert result.stdout.count("reusing") == len(RUNS), result.stdout  # no distillation ran
        table = (out / TABLE_FILE).read_text()
        assert table in result.stdout
        assert (out / FIGURE_FILE).read_bytes().startswith(b"\x89PNG")
        tables.append(table)
    header = [cell.strip() for cell in tables[0].splitlines()[0].strip("|").split("|")]
    rows = table_cells(tables[0])
    assert [row[0] for row in rows] == ["teacher", "seed", "moco", "random"]
    # a column per benchmark: kNN, probe, 1 % and 10 %, two C4 detectors, FPN box and mask, FCN segmentation
    assert len(header) == 1 + 9 and all(len(row) == len(header) for row in rows), tables[0]
    for row in rows:
        for cell in row[1:]:
            float(cell)  # a number in every cell
    assert tables[0] == tables[1]
