"""The plan of one `seed bench` run: the student, and each stage's key, folder and recorded state.

A stage's folder is `OUT/<stage>/<key>`, the key a hash of the student's sha256 and the stage's
resolved config, so another student or an edited recipe never reuses a finished stage's record.
`stage.json` in it holds the stage's state (running, done, failed, queued), attempts and records.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from downstream.bench.kinds import STAGE_KINDS, StageContext, StageKind
from downstream.bench.stage import Stage
from downstream.bench.suite import Suite
from downstream.models import TIMM_PREFIX, default_name
from seed.engine.records import write_json_atomic
from seed.errors import MissingInputError, UnknownNameError
from seed.utils.hashing import file_digest

STATE_FILE = "stage.json"
KEY_LENGTH = 12


@dataclass
class Student:
    """What `seed bench` was given (a file, a zoo name or timm:NAME), the file it loads and its sha256."""

    spec: str
    path: str
    name: str
    sha256: str


def resolve_student(spec: str) -> Student:
    """A student file, `timm:NAME`, or a zoo entry (downloaded once, as `seed zoo download` does)."""
    if spec.startswith(TIMM_PREFIX):
        return Student(spec, spec, default_name(spec), hashlib.sha256(spec.encode()).hexdigest())
    if Path(spec).is_file():
        return Student(spec, spec, default_name(spec), file_digest(spec))
    import seed.zoo

    try:
        seed.zoo.load_registry().get(spec)
    except UnknownNameError:
        raise MissingInputError(f"student {spec!r} is neither a file, timm:NAME nor a zoo name "
                                "(`seed zoo list` names them)") from None
    path = seed.zoo.download(spec)[0].path
    return Student(spec, str(path), spec, file_digest(path))


@dataclass
class PlannedStage:
    stage: Stage
    kind: StageKind
    key: str
    folder: Path

    @property
    def name(self) -> str:
        return self.stage.name

    @property
    def log(self) -> Path:
        return self.folder / "log.txt"

    def state(self) -> dict[str, Any]:
        """The recorded state, or `{"status": "pending"}` when the stage never started."""
        path = self.folder / STATE_FILE
        return json.loads(path.read_text()) if path.is_file() else {"status": "pending"}

    def save_state(self, **fields: Any) -> dict[str, Any]:
        """Merge `fields` into the stage's state (with who wrote it and when) and write it atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        state = {**self.state(), **fields, "stage": self.name, "key": self.key,
                 "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "host": platform.node(), "pid": os.getpid()}
        write_json_atomic(self.folder / STATE_FILE, state)
        return state


@dataclass
class Plan:
    student: Student
    suite: Suite
    stages: list[PlannedStage]
    out: Path
    data_root: Path

    def by_name(self, name: str) -> PlannedStage:
        return next(s for s in self.stages if s.name == name)

    def dependencies(self, planned: PlannedStage) -> list[PlannedStage]:
        return [self.by_name(planned.stage.weights)] if planned.stage.weights else []

    def context(self, planned: PlannedStage, resume: bool) -> StageContext:
        weights = None
        if planned.stage.weights:
            source = self.by_name(planned.stage.weights)
            weights = source.kind.output(source.stage, source.folder)
        return StageContext(self.student.path, self.student.name, planned.folder, self.data_root,
                            self.out / "features", weights, resume)

    def missing_data(self, planned: PlannedStage) -> list[Path]:
        return [self.data_root / p for p in planned.stage.data_folders if not (self.data_root / p).exists()]


def stage_key(student: Student, stage: Stage, kind: StageKind, data_root: Path) -> str:
    """sha256 of the student's sha256, the stage (its resources aside) and its resolved config."""
    spec = {k: v for k, v in dataclasses.asdict(stage).items() if k not in ("gpus", "time")}
    payload = {"student": student.sha256, "stage": spec, "resolved": kind.resolved(stage, data_root)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def make_plan(student: Student, suite: Suite, stages: list[Stage], out: Path, data_root: Path,
              gpus: int | None = None) -> Plan:
    """Key and place every selected stage; `gpus` (--gpus) replaces each stage's own count."""
    planned = []
    for stage in stages:
        if gpus is not None:
            stage = dataclasses.replace(stage, gpus=gpus)
        kind = STAGE_KINDS.get(stage.kind)
        key = stage_key(student, stage, kind, data_root)
        planned.append(PlannedStage(stage, kind, key, out / stage.name / key[:KEY_LENGTH]))
    return Plan(student, suite, planned, out, data_root)
