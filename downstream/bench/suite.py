"""Suite files (configs/bench/*.yaml): named stages, each a protocol or framework with its recipe, data and resources."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from downstream.bench.kinds import STAGE_KINDS
from downstream.bench.stage import Stage
from seed.config import ConfigError, from_dict, load_yaml_with_bases, resolve_config_path


@dataclass
class Suite:
    name: str
    path: Path
    stages: list[Stage]

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise ConfigError(f"{self.path}: no stage {name!r}; stages: {', '.join(s.name for s in self.stages)}")


def suite_path(name: str) -> Path:
    """A suite file by path, or by its name in configs/bench (`seed-paper` -> configs/bench/seed-paper.yaml)."""
    if Path(name).suffix in (".yaml", ".yml"):
        return resolve_config_path(name)
    return resolve_config_path(f"configs/bench/{name}.yaml")


def load_suite(name: str) -> Suite:
    """Read a suite, checking every stage's keys and that each `weights` names an earlier convert stage."""
    path = suite_path(name)
    data = load_yaml_with_bases(path)
    stages_data = data.get("stages")
    if not isinstance(stages_data, dict) or not stages_data:
        raise ConfigError(f"{path}: a suite needs `stages:`, a mapping of stage names to stages")
    stages = []
    for stage_name, stage_data in stages_data.items():
        stage = from_dict(Stage, {**(stage_data or {}), "name": stage_name}, source=str(path), prefix=stage_name)
        STAGE_KINDS.get(stage.kind).check(stage, path)
        if stage.weights and stage.weights not in {s.name for s in stages if s.kind == "convert"}:
            raise ConfigError(f"{path}: {stage_name}.weights names {stage.weights!r}, which is not a convert "
                              "stage listed before it")
        stages.append(stage)
    unknown = sorted(set(data) - {"name", "description", "stages"})
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; valid: name, description, stages")
    return Suite(str(data.get("name") or path.stem), path, stages)


def select(stages: list[Stage], only: list[str], skip: list[str], path: Path) -> list[Stage]:
    """`--only` and `--skip` by stage name; a selected stage brings the conversion it needs."""
    names = {s.name for s in stages}
    for name in [*only, *skip]:
        if name not in names:
            raise ConfigError(f"--only/--skip: {path} has no stage {name!r}; stages: {', '.join(sorted(names))}")
    wanted = set(only or names) - set(skip)
    wanted |= {s.weights for s in stages if s.name in wanted and s.weights}
    return [s for s in stages if s.name in wanted]
