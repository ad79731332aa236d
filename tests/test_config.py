"""Configs: _BASE_ inheritance, KEY=VALUE overrides, and errors that name the key and the file."""
from __future__ import annotations

from pathlib import Path

import pytest

from seed.config import ConfigError, load_config, to_dict
from seed.objectives.base import objective_params

REPO = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_base_values_are_inherited_and_overridden(tmp_path):
    write(tmp_path / "base.yaml", "data:\n  batch_size: 64\n  workers: 3\noptim:\n  lr: 0.05\n")
    child = write(tmp_path / "child.yaml", "_BASE_: base.yaml\ndata:\n  batch_size: 32\n")
    cfg = load_config(child)
    assert (cfg.data.batch_size, cfg.data.workers, cfg.optim.lr) == (32, 3, 0.05)


def test_command_line_overrides_win_and_are_parsed_as_yaml(tmp_path):
    cfg = load_config(write(tmp_path / "c.yaml", "train:\n  epochs: 5\n"),
                      ["train.epochs=7", "optim.weight_decay=1e-4", "data.augmentation.scale=[0.3, 1.0]",
                       "train.max_steps=null"])
    assert cfg.train.epochs == 7 and cfg.optim.weight_decay == 1e-4
    assert cfg.data.augmentation.scale == (0.3, 1.0) and cfg.train.max_steps is None


def test_unknown_key_names_the_key_and_the_file(tmp_path):
    path = write(tmp_path / "typo.yaml", "train:\n  epoch: 5\n")
    with pytest.raises(ConfigError, match=r"typo\.yaml: unknown key\(s\) train\.epoch"):
        load_config(path)


def test_ill_typed_value_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="data.batch_size must be int"):
        load_config(None, ["data.batch_size=big"])


def test_malformed_override_is_refused():
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        load_config(None, ["train.epochs"])


def test_missing_base_is_named(tmp_path):
    with pytest.raises(ConfigError, match="nowhere.yaml"):
        load_config(write(tmp_path / "c.yaml", "_BASE_: nowhere.yaml\n"))


def test_a_section_that_changes_its_name_drops_the_old_names_keys(tmp_path):
    write(tmp_path / "base.yaml", "objective:\n  name: seed\n  params:\n    teacher_temperature: 0.01\n")
    child = write(tmp_path / "child.yaml", "_BASE_: base.yaml\nobjective:\n  name: disco\n")
    assert load_config(child).objective.params == {}
    same = write(tmp_path / "same.yaml", "_BASE_: base.yaml\nobjective:\n  params:\n    queue_size: 8\n")
    assert load_config(same).objective.params == {"teacher_temperature": 0.01, "queue_size": 8}
    overridden = load_config(same, ["objective.name=crd", "objective.params.queue_size=4"])
    assert overridden.objective.name == "crd" and overridden.objective.params == {"queue_size": 4}


def test_unknown_objective_parameter_is_refused():
    cfg = load_config(None, ["objective.name=seed", "objective.params.queue=5"])
    with pytest.raises(ConfigError, match="objective.params.queue"):
        objective_params(cfg)


SHIPPED = sorted((REPO / "configs" / "distill").rglob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(REPO)))
def test_every_shipped_distill_config_is_valid(path):
    cfg = load_config(path)
    objective_params(cfg)  # objective parameters are checked too
    assert to_dict(cfg)["train"]["seed"] == cfg.train.seed


def test_packaged_configs_resolve_by_name():
    assert load_config("distill/demo/teacher_mocov2.yaml").objective.name == "mocov2"


def test_a_tuple_of_the_wrong_length_is_refused_with_file_and_key(tmp_path):
    """ColorJitter(*[0.4, 0.4]) would silently drop saturation and hue: the length is part of the type
    (OmegaConf 2.3's structured configs accept it, one reason this module does its own typing)."""
    path = write(tmp_path / "jitter.yaml", "data:\n  augmentation:\n    jitter: [0.4, 0.4]\n")
    with pytest.raises(ConfigError, match=r"jitter\.yaml: data\.augmentation\.jitter must have 4 entries"):
        load_config(path)


def test_a_bool_is_not_an_int(tmp_path):
    with pytest.raises(ConfigError, match=r"b\.yaml: train\.epochs must be int, got True"):
        load_config(write(tmp_path / "b.yaml", "train:\n  epochs: yes\n"))


def test_invalid_yaml_names_the_file_and_line(tmp_path):
    path = write(tmp_path / "broken.yaml", "train:\n  epochs: [1, 2\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml: not valid YAML: .*line"):
        load_config(path)


def test_an_invalid_yaml_override_is_named():
    with pytest.raises(ConfigError, match=r"override 'train.epochs=\[1': not valid YAML"):
        load_config(None, ["train.epochs=[1"])
