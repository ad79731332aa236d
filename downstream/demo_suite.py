"""`seed demo --suite`: the embedded suite (configs/bench/embedded.yaml) for the demo's models.

The demo's teacher, SEED student and MoCo-v2 student, and the SEED student's architecture with
random weights (the floor every pretrained row is read against), each run through `seed bench`'s
machinery on the digits and the digit scenes; one table (a row per model, a column per benchmark,
as `seed results` prints it) and a figure of it. Every stage's subprocess runs on one thread, so
the same command gives the same table; `--threads` models run side by side.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import torch

from downstream.records import ResultRecord, results_table, to_markdown
from seed.data.digits import write_digits_imagefolder
from seed.data.scene_formats import write_digit_scenes
from seed.errors import SeedError

SUITE = "embedded"
SCENES = {"train": 200, "val": 100}
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
TABLE_FILE, FIGURE_FILE = "suite_table.md", "suite_figure.png"


def random_student(like: Path, out: Path, seed: int = 0) -> Path:
    """`like`'s student file with its backbone and head re-initialised from `seed`: the same network,
    transform settings and config, no training; written once (the same bytes for the same seed)."""
    from seed.models.checkpoints import read_checkpoint
    from seed.models.encoder import mlp_from_state_dict
    from seed.models.pretrained import build_backbone

    if out.is_file():
        return out
    record = dict(read_checkpoint(like))
    torch.manual_seed(seed)
    backbone = build_backbone(record["arch"], record["arch_kwargs"])
    head = mlp_from_state_dict(record["head"], record["head_activation"])
    for module in head.modules():
        if module is not head and hasattr(module, "reset_parameters"):
            module.reset_parameters()
    record["backbone"] = {k: v.detach().contiguous() for k, v in backbone.state_dict().items()}
    record["head"] = {k: v.detach().contiguous() for k, v in head.state_dict().items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(record, out)
    return out


def prepare_data(root: Path) -> Path:
    """The suite's data root: digits/ (with its 1 % / 10 % lists) and digit-scenes/ (written once)."""
    write_digits_imagefolder(root / "digits")
    if not (root / "digit-scenes" / "scenes.json").is_file():
        write_digit_scenes(root / "digit-scenes", SCENES)
    return root


@contextmanager
def pinned_threads(threads: int) -> Iterator[None]:
    """Every stage's subprocess runs on `threads` CPU threads (OpenMP/MKL read them at start)."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: str(threads) for name in THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def bench_model(name: str, student: Path, data_root: Path, out: Path, say: Callable[[str], None]) -> list[ResultRecord]:
    """One model through the embedded suite (finished stages reused); its records, named `name`."""
    from downstream.bench.plan import Student, make_plan
    from downstream.bench.report import finished_records
    from downstream.bench.run import run_local, summary
    from downstream.bench.suite import load_suite
    from seed.utils.hashing import file_digest

    suite = load_suite(SUITE)
    plan = make_plan(Student(str(student), str(student), name, file_digest(student)), suite, suite.stages,
                     out / name, data_root)
    states = run_local(plan, retries=0, announce=lambda stage, status, message: say(f"  [{name}] {stage}: {message}"))
    failed = [stage for stage, state in states.items() if state["status"] != "done"]
    if failed:
        say(summary(plan, states))
        raise SeedError(f"the embedded suite did not finish for {name}: {', '.join(failed)} (logs under {out / name})")
    return finished_records(plan)


def suite_table(records: list[ResultRecord], order: list[str]) -> tuple[list[str], list[list[str]]]:
    """`seed results`' table of the records, rows in the demo's order."""
    header, rows = results_table(records)
    return header, sorted(rows, key=lambda row: order.index(row[0]))


def write_figure(header: list[str], rows: list[list[str]], path: Path) -> Path:
    """A grouped bar chart: a group per benchmark, a bar per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = header[1:]
    figure, axes = plt.subplots(figsize=(10, 3.6), dpi=80)
    width = 0.8 / len(rows)
    for index, row in enumerate(rows):
        positions = [column + (index - (len(rows) - 1) / 2) * width for column in range(len(columns))]
        axes.bar(positions, [float(cell) for cell in row[1:]], width, label=row[0])
    axes.set_xticks(range(len(columns)), [column.replace(" ", "\n", 2) for column in columns], fontsize=6)
    axes.set_ylabel("score (%)")
    axes.set_title("embedded suite: digits and digit scenes, CPU-sized recipes", fontsize=9)
    axes.legend(fontsize=7, ncol=len(rows))
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": None})
    plt.close(figure)
    return path


def run_suite(models: dict[str, Path], out: Path, threads: int, say: Callable[[str], None]) -> dict:
    """Every model (name -> student file) through the embedded suite; print and write the table and figure.

    `threads` models run at once, each stage in its own single-threaded process: a stage's numbers
    depend on how its CPU reductions are split, and one thread splits them the same way on every run."""
    data_root = prepare_data(out / "suite-data")
    models = {**models, "random": random_student(models["seed"], out / "random-student" / "student.pth")}
    def bench(name: str) -> list[ResultRecord]:
        say(f"suite: {name} ({models[name]})")
        return bench_model(name, models[name], data_root, out / "suite", say)

    with pinned_threads(1), ThreadPoolExecutor(max_workers=threads) as pool:
        records = [record for model_records in pool.map(bench, models) for record in model_records]
    header, rows = suite_table(records, list(models))
    table = to_markdown(header, rows)
    (out / TABLE_FILE).write_text(table)
    figure = write_figure(header, rows, out / FIGURE_FILE)
    say("")
    say(table)
    say(f"table {out / TABLE_FILE}, figure {figure}")
    return {"header": header, "rows": rows}
