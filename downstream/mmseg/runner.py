"""Train and test an MMSeg config with mmengine's Runner; the mIoU (MMSeg's IoUMetric) lands
in a result record, so `seed results` puts it in the same table as every other protocol.

Configs name their record with a top-level `seed_record = dict(protocol=..., dataset=...,
split=...)`; the model (row) name comes from `--name`, else from the student checkpoint.
Data sets and the student file are checked before the Runner starts.
"""
from __future__ import annotations

import argparse
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dist import is_main_process
from mmengine.logging import HistoryBuffer
from mmengine.runner import Runner

from downstream.mmseg.data import TEST_LOADERS, TRAIN_LOADERS, check_datasets, set_data_root
from downstream.mmseg.weights import converted_meta
from downstream.models import default_name
from downstream.records import ResultRecord, write_record
from seed.engine.records import package_versions
from seed.errors import MissingInputError, UnknownNameError
from seed.models import CheckpointError
from seed.models.checkpoints import read_checkpoint
from seed.utils.hashing import file_digest

RECORD_KEY = "seed_record"
PRIMARY_METRIC = "mIoU"
MM_PACKAGES = ("mmsegmentation", "mmcv", "mmengine")


def checkpoint_globals() -> list:
    """What mmengine 0.10.7 pickles into its checkpoints besides tensors: the message hub's
    HistoryBuffers (their statistics methods, stored through getattr) and numpy arrays and
    scalars. torch>=2.6 loads with weights_only=True, so mmengine cannot read its own
    checkpoints (open-mmlab/mmengine#1655); allowlisting exactly these keeps weights_only on."""
    return [HistoryBuffer, getattr, np.ndarray, np.dtype,
            np.zeros(0).__reduce__()[0],  # numpy's array _reconstruct, wherever this numpy keeps it
            np.float64(0).__reduce__()[0],  # numpy's scalar constructor
            *(type(np.dtype(kind)) for kind in (np.float64, np.float32, np.int64, np.int32, np.bool_))]


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """The options train_seg.py and test_seg.py share."""
    parser.add_argument("config", help="an MMSeg config, e.g. configs/segmentation/fcn/...py")
    parser.add_argument("--work-dir", help="run folder (default: work_dirs/<config name>)")
    parser.add_argument("--data-root", help="data set folder; replaces every data_root of the config")
    parser.add_argument("--results", default="results", help="folder for result records (default: results)")
    parser.add_argument("--name", help="row name in the results table (default: from the student checkpoint)")
    parser.add_argument("--launcher", choices=["none", "pytorch", "slurm", "mpi"], default="none",
                        help="pytorch under torchrun for several GPUs")
    parser.add_argument("--cfg-options", nargs="+", action=DictAction, default={}, metavar="KEY=VALUE",
                        help="config overrides, e.g. train_dataloader.batch_size=8")


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
        cfg.model.backbone.init_cfg = dict(type="Pretrained", checkpoint=str(student), layout=layout)
    if data_root is not None:
        set_data_root(cfg, data_root)
    return cfg


def record_fields(cfg: Config) -> dict[str, Any]:
    """The config's `seed_record` (protocol, dataset, split), checked before any work starts."""
    fields = dict(cfg.get(RECORD_KEY) or {})
    missing = [key for key in ("protocol", "dataset") if not fields.get(key)]
    if missing:
        raise UnknownNameError(f"{cfg.filename}: {RECORD_KEY} lacks {', '.join(missing)}; add e.g. "
                               f"{RECORD_KEY} = dict(protocol='segmentation-fcn', dataset='voc12aug', split='val')")
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


def _versions() -> dict[str, str]:
    versions = package_versions()
    for name in MM_PACKAGES:
        versions[name] = metadata.version(name)
    return versions


def finish(cfg: Config, metrics: dict[str, Any], checkpoint: str | None, results: str | Path) -> ResultRecord:
    """The record of `metrics`, written (main process only) to `results` and beside the run."""
    fields = cfg[RECORD_KEY]
    record = ResultRecord(
        model=fields["model"], protocol=fields["protocol"], dataset=fields["dataset"], split=fields["split"],
        metrics={key: float(value) for key, value in metrics.items()}, primary_metric=PRIMARY_METRIC,
        checkpoint=checkpoint, checkpoint_sha256=file_digest(checkpoint) if checkpoint else None,
        config={"config_file": cfg.filename, "work_dir": cfg.work_dir, "mmseg": cfg.to_dict()},
        versions=_versions())
    if is_main_process():
        write_record(record, results)
        write_record(record, cfg.work_dir)
    return record


def train_segmentation(cfg: Config, results: str | Path = "results", name: str | None = None) -> ResultRecord:
    """Check data and student, train with mmengine's Runner, test the final model, write the record."""
    fields = record_fields(cfg)
    check_datasets(cfg, TRAIN_LOADERS)
    student = student_file(cfg)
    if student is not None and not Path(student).is_file():
        raise CheckpointError(f"model.backbone.init_cfg.checkpoint: student checkpoint {student!r} does not exist; "
                              "pass --student FILE (a student in any layout, or a `seed convert --to mmseg` file)")
    cfg[RECORD_KEY] = {**fields, "model": name or model_name(cfg), "student": student,
                       "student_sha256": file_digest(student) if student else None}
    runner = Runner.from_cfg(cfg)
    with torch.serialization.safe_globals(checkpoint_globals()):  # resume and load_from read mmengine files
        runner.train()
    return finish(cfg, runner.test(), student, results)


def test_segmentation(cfg: Config, checkpoint: str | Path, results: str | Path = "results",
                      name: str | None = None) -> ResultRecord:
    """Check data, load a trained segmentor checkpoint strictly, test it, write the record."""
    fields = record_fields(cfg)
    check_datasets(cfg, TEST_LOADERS)
    if not Path(checkpoint).is_file():
        raise CheckpointError(f"segmentor checkpoint {str(checkpoint)!r} does not exist")
    cfg[RECORD_KEY] = {**fields, "model": name or model_name(cfg)}
    runner = Runner.from_cfg(cfg)
    try:
        with torch.serialization.safe_globals(checkpoint_globals()):
            runner.load_checkpoint(str(checkpoint), strict=True)
    except RuntimeError as error:
        raise CheckpointError(f"{checkpoint}: does not fit the model of {cfg.filename}: {error}") from error
    return finish(cfg, runner.test(), str(checkpoint), results)


def summary(record: ResultRecord, results: str | Path) -> str:
    """One line for the terminal: model, protocol, data set and the metrics."""
    shown = ", ".join(f"{key} {value:.2f}" for key, value in record.metrics.items())
    return f"{record.model} | {record.protocol} | {record.dataset} {record.split} | {shown} (record in {results})"
