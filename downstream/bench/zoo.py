"""`seed bench --update-zoo FILE`: the student's measured row into a user registry, never the packaged one.

The file is created if missing. The student gets an entry there on its first update: a copy of the
packaged entry it was named by or whose file it is (so `seed zoo list --registry FILE` shows it in place of that
entry, its reported numbers kept), or a new one naming the student's file by its sha256. Each finished
stage's headline number is then set on that entry as `seed results --update-zoo` sets them (one per
benchmark, metric and protocol, with the record's sha256, date and command).
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from downstream.bench.plan import Plan
from downstream.records import ResultRecord
from seed.errors import InputError
from seed.zoo.registry import (ZooEntry, ZooRegistry, default_registry_path, load_registry, save_registry,
                               set_measurement)
from seed.zoo.writer import add_entries

HEADER = ("A user registry written by `seed bench --update-zoo`: read it with the packaged one by\n"
          "`seed zoo list --registry FILE` (or render / html).")


def _fields(entry: ZooEntry) -> dict[str, Any]:
    """A packaged entry as the user file writes it: empty fields left out, its teacher (an entry of the packaged
    file, which a user file cannot name) kept as a description."""
    values = {key: value for key, value in asdict(entry).items() if value not in (None, [], "auto")}
    values.pop("metrics", None)  # written back below with the measured ones, one line each
    teacher = values.pop("teacher", None)
    if teacher and "teacher_description" not in values:
        values["teacher_description"] = f"{teacher} (the packaged registry's entry)"
    values["files"] = [{k: v for k, v in f.items() if v not in (None, [])} for f in values.get("files", [])]
    return values


def new_entry(plan: Plan, arch: str) -> tuple[dict[str, Any], ZooEntry | None]:
    """The fields of the student's user entry, and the packaged entry it copies (None for a new student)."""
    packaged = load_registry()
    for entry in packaged.entries:
        if entry.name == plan.student.spec or any(f.sha256 == plan.student.sha256 for f in entry.files):
            return _fields(entry), entry
    fields: dict[str, Any] = {"name": plan.student.name, "kind": "student", "arch": arch,
                              "license": "unknown (the user's own student)", "method": "measured by seed bench"}
    if Path(plan.student.path).is_file():
        fields["files"] = [{"url": Path(plan.student.path).resolve().as_uri(), "sha256": plan.student.sha256}]
    else:  # timm:NAME: no file of its own
        fields["kind"] = "reference"
    fields["notes"] = f"measured with `seed bench {plan.student.spec} --suite {plan.suite.name}`"
    return fields, None


def student_entry(registry: ZooRegistry, plan: Plan) -> ZooEntry | None:
    """The user registry's entry for the student: its file's sha256, else its name."""
    for entry in registry.entries:
        if any(f.sha256 == plan.student.sha256 for f in entry.files) or entry.name == plan.student.name:
            return entry
    return None


def update_user_registry(plan: Plan, records: list[ResultRecord], path: str | Path, arch: str) -> str:
    """Set the finished stages' numbers on the student's entry in the user registry `path`; one line saying what."""
    from downstream.commands.results import measured_metric

    path = Path(path).resolve()
    if path == default_registry_path().resolve():
        raise InputError(f"--update-zoo {path}: that is the packaged registry, which is never edited in place; "
                         "give a file of your own (created if missing)")
    registry = load_registry(path) if path.is_file() else None
    entry = student_entry(registry, plan) if registry else None
    if entry is None:
        fields, packaged = new_entry(plan, arch)
        add_entries(path, [fields], HEADER)
        registry = load_registry(path)
        entry = registry.get(fields["name"])
        entry.metrics = list(packaged.metrics) if packaged else []
    for record in records:
        set_measurement(entry, measured_metric(record))
    save_registry(registry)
    return f"updated {entry.name} in {path}: {len(records)} measured number(s)"
