"""One result-record format for every protocol, and the one table built from a folder of them.

Every evaluation (kNN, linear, semi-supervised, transfer, detection, segmentation) writes a
JSON record: which model and checkpoint (with its sha256), which protocol on which data set
and split, the metrics, the resolved config and the package versions. `seed results` reads a
folder of records and prints one table: a row per model, a column per protocol and data set.
"""
from __future__ import annotations

import csv
import io
import json
import re
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from seed.engine.records import package_versions, write_json_atomic
from seed.errors import InputError, MissingInputError

RECORD_FORMAT = "seed-result/1"


@dataclass
class ResultRecord:
    """What one evaluation measured, and everything needed to say how."""

    model: str
    protocol: str
    dataset: str
    split: str
    metrics: dict[str, float]
    primary_metric: str
    checkpoint: str | None = None
    checkpoint_sha256: str | None = None
    framework: str = ""  # the library that trained and measured it (Detectron2, MMDetection, MMSegmentation)
    config: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=package_versions)
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    command: str | None = field(default_factory=lambda: command_line())
    format: str = RECORD_FORMAT
    source_path: str | None = field(default=None, compare=False)  # where it was read from (not saved)

    def __post_init__(self) -> None:
        if self.primary_metric not in self.metrics:
            raise InputError(f"primary metric {self.primary_metric!r} is not among the metrics {sorted(self.metrics)}")

    @property
    def column(self) -> str:
        """The table column this record fills: framework (if any), protocol, data set and headline metric."""
        return " ".join(part for part in (self.framework, self.protocol, self.dataset, self.primary_metric) if part)


def command_line(argv: list[str] | None = None) -> str:
    """The command that is running, as a user would type it (`seed eval knn ...` under `python -m seed`)."""
    argv = list(sys.argv if argv is None else argv)
    program = Path(argv[0]).name if argv else ""
    if program in ("seed", "__main__.py"):
        return shlex.join(["seed", *argv[1:]])
    return shlex.join(argv)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "_", text).strip("_")


def write_record(record: ResultRecord, folder: str | Path) -> Path:
    """Write `record` as `<model>__<protocol>__<dataset>__<split>.json` in `folder` (atomically)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ("__".join(_slug(p) for p in (record.model, record.protocol, record.dataset, record.split))
                     + ".json")
    data = asdict(record)
    data.pop("source_path")
    write_json_atomic(path, data)
    return path


def read_record(path: str | Path) -> ResultRecord:
    """A record file, checked for its format."""
    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
        raise InputError(f"{path}: not a result record (format {RECORD_FORMAT!r})")
    try:
        return ResultRecord(**{"command": None, **data}, source_path=str(path))  # older records name no command
    except TypeError as error:
        raise InputError(f"{path}: malformed result record ({error})") from None


def read_records(folder: str | Path) -> list[ResultRecord]:
    """Every record under `folder` (recursively), oldest first; other JSON files are ignored."""
    folder = Path(folder)
    if not folder.is_dir():
        raise MissingInputError(f"results folder {str(folder)!r} does not exist")
    records = []
    for path in sorted(folder.rglob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(data, dict) and data.get("format") == RECORD_FORMAT:
            records.append(read_record(path))
    return sorted(records, key=lambda r: r.created)


def results_table(records: list[ResultRecord]) -> tuple[list[str], list[list[str]]]:
    """Header and rows: a row per model, a column per (protocol, data set, metric); the newest
    record wins where two measure the same cell."""
    columns = sorted({r.column for r in records})
    models = sorted({r.model for r in records})
    cells: dict[tuple[str, str], float] = {}
    for record in records:  # oldest first, so newer records overwrite
        cells[(record.model, record.column)] = record.metrics[record.primary_metric]
    rows = [[model] + [f"{cells[(model, c)]:.2f}" if (model, c) in cells else "" for c in columns]
            for model in models]
    return ["model", *columns], rows


def to_markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def to_csv(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
