"""What a run writes beside its checkpoints: resolved config, versions, per-step metrics, TensorBoard."""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

PACKAGES = ("torch", "torchvision", "timm", "numpy", "Pillow", "scikit-learn", "seed-distill")


def package_versions() -> dict[str, str]:
    """Python and the installed versions of the packages a result depends on."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON through a temporary file so a reader never sees half a record."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    os.replace(tmp, path)


class RunFolder:
    """The run folder: config.yaml, run.json, metrics.jsonl, tensorboard/ and checkpoints/.

    Only the main process writes; on other ranks every method is a no-op.
    """

    def __init__(self, root: str | Path, enabled: bool) -> None:
        self.root = Path(root)
        self.enabled = enabled
        self.checkpoints = self.root / "checkpoints"
        self.record: dict[str, Any] = {}
        self._writer = None

    def start(self, config: dict[str, Any], extra: dict[str, Any], resumed_step: int = 0) -> None:
        """Write the resolved config and open run.json (appending to an earlier record when resuming);
        metrics logged after `resumed_step` by an interrupted session are dropped, as they are redone."""
        if not self.enabled:
            return
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        metrics = self.root / "metrics.jsonl"
        if metrics.is_file():
            kept = [line for line in metrics.read_text().splitlines() if json.loads(line)["step"] <= resumed_step]
            metrics.write_text("".join(line + "\n" for line in kept))
        (self.root / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        previous = self.root / "run.json"
        self.record = json.loads(previous.read_text()) if previous.is_file() else {}
        self.record.setdefault("sessions", []).append({
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "argv": sys.argv,
            "host": platform.node(), "versions": package_versions(), **extra,
        })
        self.record.update({"config": config, "seed": config["train"]["seed"], "status": "running"})
        self.save()

    def update(self, **fields: Any) -> None:
        if self.enabled:
            self.record.update(fields)
            self.save()

    def update_session(self, **fields: Any) -> None:
        """Record `fields` on this session's entry (how it ended), not on the whole run."""
        if self.enabled:
            self.record["sessions"][-1].update(fields)
            self.save()

    def save(self) -> None:
        if self.enabled:
            write_json_atomic(self.root / "run.json", self.record)

    def log_metrics(self, step: int, metrics: dict[str, float]) -> None:
        """Append one JSON line to metrics.jsonl and the same scalars to TensorBoard."""
        if not self.enabled:
            return
        with open(self.root / "metrics.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"step": step, **metrics}) + "\n")
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter  # imported late: it is slow to import

            self._writer = SummaryWriter(str(self.root / "tensorboard"))
        for name, value in metrics.items():
            self._writer.add_scalar(f"train/{name}", value, step)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
