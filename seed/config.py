"""YAML configs with `_BASE_` inheritance, `KEY=VALUE` overrides and a typed, strict schema.

A config file is data: it may name a `_BASE_` file (relative to itself, or a
name inside an installed config package) whose values it overrides.
Sections merge key by key, except a section whose `name` changes (e.g. `objective`
switching from seed to disco): its other keys belong to the old name and are dropped,
both in a child file and in a `section.name=...` override.
Every key is checked against the dataclasses below, so a typo is an error that
names the key and the file instead of a silently ignored setting.
"""
from __future__ import annotations

import copy
import dataclasses
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Union

import yaml

from seed.errors import InputError
from seed.extensions import load_extensions


class ConfigError(InputError):
    """A config file, key or value that cannot be used; the message names it."""


IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass
class AugmentationConfig:
    """Multi-view augmentation. `None` fields take the recipe's value (seed/data/transforms.py)."""

    recipe: str = "mocov2"
    size: int = 224
    scale: tuple[float, float] | None = None
    small_size: int = 96
    small_scale: tuple[float, float] = (0.05, 0.14)
    jitter: tuple[float, float, float, float] | None = None
    jitter_p: float | None = None
    grayscale_p: float | None = None
    blur_p: float | None = None
    hflip_p: float = 0.5
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    eval_crop_pct: float = 0.875       # evaluation: resize to size / eval_crop_pct, centre-crop size (256 -> 224)


@dataclass
class DataConfig:
    """Where the unlabelled images are and how they are batched."""

    format: str = "imagefolder"
    path: str = ""
    root: str | None = None
    batch_size: int = 256
    workers: int = 8
    augmentation: AugmentationConfig = field(default_factory=AugmentationConfig)


@dataclass
class TeacherConfig:
    """A frozen self-supervised network read from a checkpoint (`arch: auto` = as the file records)."""

    arch: str = "auto"
    checkpoint: str | None = None
    layout: str = "auto"
    use_head: bool = True
    image_size: int | None = None  # resize every batch to this before the teacher (None: the student's crops)


@dataclass
class StudentConfig:
    """Any timm model, plus the projection head of the official SEED code."""

    arch: str = "efficientnet_b0"
    hidden_dim: int | None = None
    embed_dim: int | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ObjectiveConfig:
    """Which registered objective to train, and its own parameters."""

    name: str = "seed"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class OptimConfig:
    """SGD with a cosine (or step) schedule; `lr` is per 256 images (scaled by batch/256)."""

    lr: float = 0.03
    momentum: float = 0.9
    weight_decay: float = 1e-4
    schedule: str = "cosine"
    milestones: tuple[int, ...] = (120, 160)
    step_gamma: float = 0.1            # step schedule: lr x step_gamma at each milestone
    warmup_epochs: float = 0.0


@dataclass
class TrainConfig:
    """The engine: length, device, precision, checkpoints and logs."""

    epochs: int = 200
    max_steps: int | None = None
    seed: int = 0
    device: str = "auto"
    amp: str = "auto"                  # auto: what this device runs fastest (seed/utils/step_setup.py)
    channels_last: bool | str = "auto"
    compile: str = "auto"              # none, student, all (student and teacher), or auto
    sync_bn: bool = False
    output_dir: str = "runs/seed"
    checkpoint_every: int = 1000
    keep_checkpoints: int = 2          # the newest checkpoints kept (step and end-of-epoch alike)
    keep_every_epochs: int = 0         # also keep the end of every k-th epoch (0: none)
    log_every: int = 10
    progress: bool = True


@dataclass
class DistillConfig:
    """Everything one `seed distill` run needs."""

    data: DataConfig = field(default_factory=DataConfig)
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    student: StudentConfig = field(default_factory=StudentConfig)
    objective: ObjectiveConfig = field(default_factory=ObjectiveConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


# --------------------------------------------------------------------------- files


def config_packages() -> list[Path]:
    """The folders of the installed config packages: `seed.configs` (distill/, eval/), then those that extensions
    register in the `seed.configs` entry-point group (downstream.configs: detection/ mmdet/ segmentation/ bench/)."""
    extensions = load_extensions("seed.configs", lambda entry: resources.files(entry.load()))
    return [Path(str(folder)) for folder in [resources.files("seed.configs"), *extensions]]


def resolve_config_path(name: str | Path, relative_to: Path | None = None) -> Path:
    """Find a config by path (absolute, relative to `relative_to` or the cwd) or by packaged name."""
    name = Path(name)
    if name.is_absolute():
        candidates = [name]
    else:
        candidates = [relative_to / name] if relative_to else []
        candidates.append(Path.cwd() / name)
        # "configs/distill/x.yaml" outside the repository is "distill/x.yaml" in a package
        names = [name, Path(*name.parts[1:])] if name.parts[0] == "configs" and len(name.parts) > 1 else [name]
        packages = config_packages()
        candidates += [package / packaged for packaged in names for package in packages]
        candidates = list(dict.fromkeys(candidates))  # an editable install maps every package to one folder
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    looked = ", ".join(str(c) for c in candidates)
    raise ConfigError(f"config file {str(name)!r} not found (looked in: {looked})")


def load_yaml_with_bases(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a YAML config and merge it over its `_BASE_` chain."""
    path = resolve_config_path(path)
    if path in _seen:
        raise ConfigError(f"{path}: _BASE_ cycle through {' -> '.join(map(str, _seen))}")
    with open(path, encoding="utf-8") as handle:
        data = _parse_yaml(handle, str(path)) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a config file must hold a mapping, got {type(data).__name__}")
    base_name = data.pop("_BASE_", None)
    if base_name is None:
        return data
    base = load_yaml_with_bases(resolve_config_path(base_name, relative_to=path.parent), _seen + (path,))
    return merge(base, data)


def _parse_yaml(text, source: str) -> Any:
    """YAML -> Python; a syntax error is a ConfigError naming `source` and the line."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML: {' '.join(str(error).split())}") from None


def merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `update` over `base`: mappings merge key by key, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and not _renamed(out[key], value):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _renamed(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """True when a section names a different registered thing (its other keys no longer apply)."""
    return "name" in new and "name" in old and new["name"] != old["name"]


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply command-line `a.b.c=value` overrides; values are parsed as YAML (`1e-4`, `[1, 2]`, `null`)."""
    out = copy.deepcopy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} is not of the form KEY=VALUE (e.g. train.epochs=10)")
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: {part!r} is not a section")
        value = _parse_yaml(raw, f"override {item!r}")
        if parts[-1] == "name" and _renamed(node, {"name": value}):
            node.clear()
        node[parts[-1]] = value
    return out


def load_config(path: str | Path | None, overrides: list[str] | None = None) -> DistillConfig:
    """Load a distillation config file (or the defaults), apply overrides, and type-check it."""
    data = load_yaml_with_bases(path) if path else {}
    data = apply_overrides(data, overrides or [])
    return from_dict(DistillConfig, data, source=str(path) if path else "<defaults>")


def to_dict(config: Any) -> dict[str, Any]:
    """A plain, YAML/JSON-serialisable copy of a config dataclass."""
    def plain(value: Any) -> Any:
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return plain(dataclasses.asdict(config))


# --------------------------------------------------------------------------- typing


def from_dict(cls: type, data: Any, source: str, prefix: str = "") -> Any:
    """Build dataclass `cls` from a mapping, rejecting unknown keys and ill-typed values."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: {prefix or 'config'} must be a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        where = f"{prefix}." if prefix else ""
        raise ConfigError(
            f"{source}: unknown key(s) {', '.join(where + k for k in unknown)}; "
            f"valid keys{' under ' + prefix if prefix else ''}: {', '.join(sorted(names))}"
        )
    values = {}
    for key, value in data.items():
        values[key] = _convert(hints[key], value, source, f"{prefix}.{key}" if prefix else key)
    return cls(**values)


def _convert(hint: Any, value: Any, source: str, key: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, source, key)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, source, key)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(errors[0] if errors else f"{source}: {key} cannot be null")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{source}: {key} must be a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, source, key) for v in value)
        if len(value) != len(args):
            raise ConfigError(f"{source}: {key} must have {len(args)} entries, got {value!r}")
        return tuple(_convert(a, v, source, key) for a, v in zip(args, value))
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{source}: {key} must be a list, got {value!r}")
        return [_convert(args[0], v, source, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: {key} must be a mapping, got {value!r}")
        return dict(value)
    if hint is Any:
        return value
    if hint is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str):  # YAML 1.1 reads "1e-4" (no dot) as a string
        try:
            return float(value)
        except ValueError:
            pass
    if hint in (int, str, bool) and isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return value
    raise ConfigError(f"{source}: {key} must be {getattr(hint, '__name__', hint)}, got {value!r}")
