"""Train and test an MMSeg or MMDetection config with mmengine's Runner; the library's own metrics
(MMSeg's IoUMetric, MMDetection's VOCMetric / CocoMetric) land in result records, so `seed results`
puts them in the same table as every other protocol, the library named in the column.

Configs name their records with a top-level `seed_record = dict(protocol=..., dataset=...,
split=...)`; the model (row) name comes from `--name`, else from the student checkpoint. What
differs between the libraries (packages, how metrics become records) is an `Integration`.
Data sets and the student file are checked before the Runner starts.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.logging import HistoryBuffer
from mmengine.runner import Runner

from downstream.models import default_name
from downstream.openmmlab.data import TEST_LOADERS, TRAIN_LOADERS, check_datasets, set_data_root
from downstream.openmmlab.weights import converted_meta
from downstream.records import ResultRecord, write_record
from downstream.student_arch import AUTO, resolve_arch
from seed.engine.records import package_versions
from seed.models import CheckpointError
from seed.models.checkpoints import read_checkpoint
from seed.errors import InputError, MissingInputError, UnknownNameError
from seed.utils.hashing import file_digest

RECORD_KEY = "seed_record"
STUDENT_MODULES = ("SeedTIMMBackbone", "SeedLastStage")  # ours: model_name defaults to 'auto'

# (seed_record fields, the Runner's metrics) -> [(protocol, metrics, primary metric), ...]
RecordMaker = Callable[[dict[str, Any], dict[str, Any]], list[tuple[str, dict[str, float], str]]]


@dataclass(frozen=True)
class Integration:
    """What one OpenMMLab library needs here: its name (the records' framework), the packages whose
    versions a record keeps, how its metrics become records, an example seed_record, and for the
    tools' help an example config, its mmengine scope (also the `seed convert --to` target) and what
    its models are called."""

    library: str
    packages: tuple[str, ...]
    records: RecordMaker
    example: str
    example_config: str
    scope: str
    model_noun: str

    def train(self, cfg: Config, results: str | Path = "results", name: str | None = None) -> list[ResultRecord]:
        """Check data and student, train, test the final model, write this library's records."""
        return train(cfg, results, name, integration=self)

    def test(self, cfg: Config, checkpoint: str | Path, results: str | Path = "results",
             name: str | None = None) -> list[ResultRecord]:
        """Check data, load a trained model strictly, test it, write this library's records."""
        return test(cfg, checkpoint, results, name, integration=self)


def checkpoint_globals() -> list:
    """What mmengine 0.10.7 pickles into its checkpoints besides tensors: the message hub's
    HistoryBuffers (their statistics methods, stored through getattr) and numpy arrays and
    scalars. torch>=2.6 loads with weights_only=True, so mmengine cannot read its own
    checkpoints (open-mmlab/mmengine#1655); allowlisting exactly these keeps weights_only on."""
    return [HistoryBuffer, getattr, np.ndarray, np.dtype,
            np.zeros(0).__reduce__()[0],  # numpy's array _reconstruct, wherever this numpy keeps it
            np.float64(0).__reduce__()[0],  # numpy's scalar constructor
            *(type(np.dtype(kind)) for kind in (np.float64, np.float32, np.int64, np.int32, np.bool_))]


def add_config_arguments(parser: argparse.ArgumentParser, example: str) -> None:
    """The options the train and test tools share; `example` is a config path for the help."""
    parser.add_argument("config", help=f"a config file, e.g. {example}")
    parser.add_argument("--work-dir", help="run folder (default: work_dirs/<config name>)")
    parser.add_argument("--data-root", help="data set folder; replaces every data_root of the config")
    parser.add_argument("--results", default="results", help="folder for result records (default: results)")
    parser.add_argument("--name", help="row name in the results table (default: from the student checkpoint)")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none",
                        help="pytorch under torchrun for several GPUs")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, default={}, metavar="KEY=VALUE",
                        help="config overrides, e.g. train_dataloader.batch_size=8")


def train_tool(integration: Integration, description: str) -> None:
    """A library's train tool (tools/train_mmdet.py, tools/train_seg.py): parse the command line,
    train, test the final model, print its records."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_arguments(parser, integration.example_config)
    parser.add_argument("--student", help="student checkpoint (any layout, or a `seed convert --to "
                        f"{integration.scope}` file); default: the config's model.backbone.init_cfg.checkpoint")
    parser.add_argument("--layout", default="auto", help="the student checkpoint's layout (default: detected)")
    parser.add_argument("--resume", action="store_true", help="resume from the latest checkpoint of the work dir")
    args = parser.parse_args()
    cfg = load_config(args.config, work_dir=args.work_dir, student=args.student, layout=args.layout,
                      data_root=args.data_root, options=args.cfg_options, launcher=args.launcher)
    cfg.resume = args.resume
    print(summary(integration.train(cfg, args.results, name=args.name), args.results))


def test_tool(integration: Integration, description: str) -> None:
    """A library's test tool (tools/test_mmdet.py, tools/test_seg.py): parse the command line, test a
    trained checkpoint, print its records."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_arguments(parser, integration.example_config)
    parser.add_argument("checkpoint", help=f"a {integration.model_noun} checkpoint written by the train tool "
                        "(loaded strictly)")
    args = parser.parse_args()
    cfg = load_config(args.config, work_dir=args.work_dir, data_root=args.data_root, options=args.cfg_options,
                      launcher=args.launcher)
    print(summary(integration.test(cfg, args.checkpoint, args.results, name=args.name), args.results))


def load_config(config: str | Path, *, work_dir: str | None = None, student: str | None = None,
                layout: str = "auto", data_root: str | None = None, options: dict | None = None,
                launcher: str = "none") -> Config:
    """The config file (its custom_imports register our backbone) with the command line applied."""
    path = Path(config)
    if not path.is_file():
        raise MissingInputError(f"config file {str(path)!r} does not exist")
    cfg = Config.fromfile(str(path))
    if options:
        cfg.merge_from_dict(options)
    cfg.launcher = launcher
    cfg.work_dir = str(work_dir or cfg.get("work_dir") or Path("work_dirs") / path.stem)
    if student is not None:
        for module in pretrained_modules(cfg.model):
            module.init_cfg = dict(type="Pretrained", checkpoint=str(student),
                                   **({"layout": layout} if layout != "auto" else {}))
    if data_root is not None:
        set_data_root(cfg, data_root)
    return cfg


def pretrained_modules(node: Any) -> Iterator[dict]:
    """Every module config under `node` with a Pretrained init_cfg (a backbone, a C4 shared head)."""
    if isinstance(node, dict):
        init = node.get("init_cfg")
        if isinstance(init, dict) and init.get("type") == "Pretrained":
            yield node
        for value in node.values():
            yield from pretrained_modules(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from pretrained_modules(value)


def name_networks(cfg: Config) -> None:
    """Replace model_name='auto' by the architecture each module's student file records, so the
    config the run writes (and tests with) names its network."""
    for module in pretrained_modules(cfg.model):
        if module.get("type") in STUDENT_MODULES and module.get("model_name", AUTO) == AUTO:
            module["model_name"] = resolve_arch(AUTO, module["init_cfg"]["checkpoint"], f"{module['type']} model_name")


def record_fields(cfg: Config, integration: Integration) -> dict[str, Any]:
    """The config's `seed_record` (protocol, dataset, split), checked, with the config's library, before any work."""
    scope = cfg.get("default_scope")
    if scope and scope != integration.scope:
        raise InputError(f"{cfg.filename}: default_scope {scope!r} makes it a config of another library; this tool "
                         f"runs {integration.library} configs (default_scope {integration.scope!r})")
    fields = dict(cfg.get(RECORD_KEY) or {})
    missing = [key for key in ("protocol", "dataset") if not fields.get(key)]
    if missing:
        raise UnknownNameError(f"{cfg.filename}: {RECORD_KEY} lacks {', '.join(missing)}; add e.g. "
                       f"{RECORD_KEY} = {integration.example}")
    fields.setdefault("split", "val")
    return fields


def student_file(cfg: Config) -> str | None:
    """The checkpoint the backbone's Pretrained init_cfg loads, if any."""
    init = cfg.model.backbone.get("init_cfg")
    return str(init["checkpoint"]) if isinstance(init, dict) and init.get("type") == "Pretrained" else None


def model_name(cfg: Config) -> str:
    """seed_record.model, else the student's row name (a converted file remembers its source's)."""
    named = (cfg.get(RECORD_KEY) or {}).get("model")
    if named:
        return named
    student = student_file(cfg)
    if student is None:
        return f"{cfg.model.backbone.get('model_name', cfg.model.backbone.type)}-random"
    meta = converted_meta(read_checkpoint(student)) if Path(student).is_file() else None
    return meta["model"] if meta and meta.get("model") else default_name(student)


def finish(cfg: Config, metrics: dict[str, Any], checkpoint: str | None, results: str | Path,
           integration: Integration) -> list[ResultRecord]:
    """The records of `metrics`, written (main process only) to `results` and beside the run."""
    fields = cfg[RECORD_KEY]
    versions = {**package_versions(), **{name: metadata.version(name) for name in integration.packages}}
    records = [ResultRecord(
        model=fields["model"], protocol=protocol, dataset=fields["dataset"], split=fields["split"],
        metrics=measured, primary_metric=primary, framework=integration.library,
        checkpoint=checkpoint, checkpoint_sha256=file_digest(checkpoint) if checkpoint else None,
        config={"config_file": cfg.filename, "work_dir": cfg.work_dir, "openmmlab": cfg.to_dict()},
        versions=versions) for protocol, measured, primary in integration.records(fields, metrics)]
    if is_main_process():
        for record in records:
            write_record(record, results)
            write_record(record, cfg.work_dir)
    return records


def train(cfg: Config, results: str | Path = "results", name: str | None = None, *,
          integration: Integration) -> list[ResultRecord]:
    """Check data and student, train with mmengine's Runner, test the final model, write the records."""
    fields = record_fields(cfg, integration)
    check_datasets(cfg, TRAIN_LOADERS, integration.library)
    student = student_file(cfg)
    if student is not None and not Path(student).is_file():
        raise CheckpointError(f"model.backbone.init_cfg.checkpoint: student checkpoint {student!r} does not exist; "
                              "pass --student FILE (a student in any layout, or a `seed convert` file)")
    name_networks(cfg)
    cfg[RECORD_KEY] = {**fields, "model": name or model_name(cfg), "student": student,
                       "student_sha256": file_digest(student) if student else None}
    runner = Runner.from_cfg(cfg)
    with torch.serialization.safe_globals(checkpoint_globals()):  # resume and load_from read mmengine files
        runner.train()
    return finish(cfg, runner.test(), student, results, integration)


def test(cfg: Config, checkpoint: str | Path, results: str | Path = "results", name: str | None = None, *,
         integration: Integration) -> list[ResultRecord]:
    """Check data, load a trained model's checkpoint strictly, test it, write the records."""
    fields = record_fields(cfg, integration)
    check_datasets(cfg, TEST_LOADERS, integration.library)
    if not Path(checkpoint).is_file():
        raise CheckpointError(f"model checkpoint {str(checkpoint)!r} does not exist")
    cfg[RECORD_KEY] = {**fields, "model": name or model_name(cfg)}
    runner = Runner.from_cfg(cfg)
    try:
        with torch.serialization.safe_globals(checkpoint_globals()):
            runner.load_checkpoint(str(checkpoint), strict=True)
    except RuntimeError as error:
        raise CheckpointError(f"{checkpoint}: does not fit the model of {cfg.filename}: {error}") from error
    return finish(cfg, runner.test(), str(checkpoint), results, integration)


def summary(records: list[ResultRecord], results: str | Path) -> str:
    """A line per record for the terminal: model, protocol, data set and the metrics."""
    return "\n".join(
        f"{r.model} | {r.framework} {r.protocol} | {r.dataset} {r.split} | "
        + ", ".join(f"{key} {value:.2f}" for key, value in r.metrics.items()) + f" (record in {results})"
        for r in records)
