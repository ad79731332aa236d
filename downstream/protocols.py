"""The evaluation protocols of the SEED paper, registered by name; each returns result records.

- knn:         weighted kNN (k = 20, 200; T = 0.07) and plain majority kNN on cached features
- linear:      the official 100-epoch linear evaluation on augmented images (the reference)
- linear-fast: the fast linear probe on cached features (weight decay swept on held-out data)
- semisup:     the fast probe trained on a 1 % / 10 % subset list, evaluated on the full val set
- transfer:    the fast probe on CIFAR-10/100 or SUN-397 features (DisCo's SGD setting via probe.method=sgd)
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from downstream.config import EvalConfig
from downstream.datasets import LabelledSplit, build_split, check_same_classes, dataset_name, subset_indices
from downstream.features import CachedFeatures, extract_features, feature_precision
from downstream.knn import knn_accuracy
from downstream.linear import train_linear
from downstream.models import FrozenModel, load_model
from downstream.probe import linear_probe
from downstream.records import ResultRecord, write_record
from downstream.transforms import EvalTransform, resolve_transform, summary
from seed.config import to_dict
from seed.errors import InputError
from seed.registry import Registry
from seed.utils.distributed import DistributedContext, init_distributed

TRANSFER_DATASETS = ("cifar10", "cifar100", "sun397")
log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    """One model, one data set: splits and features built once and shared by the protocols."""

    cfg: EvalConfig
    model: FrozenModel
    ctx: DistributedContext
    transform: EvalTransform
    _splits: dict[str, LabelledSplit] = field(default_factory=dict)
    _features: dict[str, CachedFeatures] = field(default_factory=dict)

    def split(self, which: str) -> LabelledSplit:
        name = {"train": self.cfg.data.train_split, "val": self.cfg.data.val_split}[which]
        if which not in self._splits:
            self._splits[which] = build_split(self.cfg.data, name)
            if which == "val":
                check_same_classes(self.split("train"), self._splits["val"])
        return self._splits[which]

    def features(self, which: str) -> CachedFeatures:
        if which not in self._features:
            split = self.split(which)
            self._features[which] = extract_features(self.model, split, split.description, self.cfg.features,
                                                     self.ctx.device, self.transform)
        return self._features[which]

    def record(self, protocol: str, metrics: dict[str, float], primary: str, **details) -> ResultRecord:
        config = {**to_dict(self.cfg), "transform": self.transform.describe(), "protocol_details": details,
                  "features_precision": feature_precision(self.cfg.features, self.ctx.device).to_dict(),
                  "train_samples": len(self.split("train")), "val_samples": len(self.split("val")),
                  "reparameterized": self.model.reparameterized}
        return ResultRecord(model=self.model.name, protocol=protocol, dataset=dataset_name(self.cfg.data),
                            split=self.cfg.data.val_split, metrics=metrics, primary_metric=primary,
                            checkpoint=self.model.checkpoint, checkpoint_sha256=self.model.sha256, config=config)


Protocol = Callable[[Evaluation], list[ResultRecord]]
PROTOCOLS: Registry[Protocol] = Registry("evaluation protocol")


@PROTOCOLS.register("knn")
def knn(run: Evaluation) -> list[ResultRecord]:
    train_x, train_y = run.features("train").tensors()
    val_x, val_y = run.features("val").tensors()
    device, classes = run.ctx.device, len(run.split("train").classes)
    train_x, val_x = train_x.to(device), val_x.to(device)
    metrics: dict[str, float] = {}
    for k in run.cfg.knn.ks:
        for weighted, tag in ((True, ""), (False, "_majority")):
            accuracy = knn_accuracy(train_x, train_y, val_x, val_y, k, run.cfg.knn.temperature, weighted, classes)
            metrics.update({f"k{k}{tag}_top1": accuracy["top1"], f"k{k}{tag}_top5": accuracy["top5"]})
    first = run.cfg.knn.ks[0]
    metrics.update(top1=metrics[f"k{first}_top1"], top5=metrics[f"k{first}_top5"])
    return [run.record("knn", metrics, "top1", layer="pooled", headline=f"weighted k={first}")]


def _probe(run: Evaluation, protocol: str, train_rows: list[int] | None = None, **details) -> list[ResultRecord]:
    train_x, train_y = run.features("train").tensors(train_rows)
    val_x, val_y = run.features("val").tensors()
    result = linear_probe(train_x, train_y, val_x, val_y, len(run.split("train").classes), run.cfg.probe,
                          run.ctx.device, run.cfg.seed)
    metrics = {**result.metrics, "weight_decay": result.weight_decay}
    return [run.record(protocol, metrics, "top1", layer="pooled", solver=result.solver,
                       sweep={str(k): v for k, v in result.sweep.items()},
                       weight_decay_choice=result.plan.describe(), train_images=len(train_y),
                       train_classes=len(train_y.unique()), **details)]


@PROTOCOLS.register("linear-fast")
def linear_fast(run: Evaluation) -> list[ResultRecord]:
    return _probe(run, "linear-fast" if run.cfg.probe.method != "sgd" else "linear-fast-sgd")


@PROTOCOLS.register("semisup")
def semisup(run: Evaluation) -> list[ResultRecord]:
    if not run.cfg.data.subset:
        raise InputError("semisup needs data.subset (--subset): a list of training files such as SimCLR's "
                         "1percent.txt or 10percent.txt")
    rows = subset_indices(run.split("train"), run.cfg.data.subset)
    return _probe(run, f"semisup-{Path(run.cfg.data.subset).stem}", rows, subset=run.cfg.data.subset,
                  subset_size=len(rows))


@PROTOCOLS.register("transfer")
def transfer(run: Evaluation) -> list[ResultRecord]:
    if run.cfg.data.name not in TRANSFER_DATASETS:
        raise InputError(f"transfer evaluates on {', '.join(TRANSFER_DATASETS)} (data.name / --dataset), "
                         f"not {dataset_name(run.cfg.data)!r}")
    return _probe(run, "transfer" if run.cfg.probe.method != "sgd" else "transfer-sgd")


@PROTOCOLS.register("linear")
def linear(run: Evaluation) -> list[ResultRecord]:
    state = Path(run.cfg.output_dir) / "linear-state" / f"{run.model.name}__{dataset_name(run.cfg.data)}.pth"
    metrics = train_linear(run.model, run.split("train"), run.split("val"), run.cfg.linear, run.cfg.features,
                           run.ctx.device, state_file=state, seed=run.cfg.seed, transform=run.transform)
    return [run.record("linear", metrics, "top1", layer="pooled", augmentation="random-resized crop + flip")]


def evaluate(protocol: str, cfg: EvalConfig) -> list[ResultRecord]:
    """Run one protocol on one model; the main process writes the records to `cfg.output_dir`."""
    run_protocol = PROTOCOLS.get(protocol)
    ctx = init_distributed(cfg.device)
    torch.manual_seed(cfg.seed)
    model = load_model(cfg.model, cfg.arch, cfg.layout, cfg.name)
    transform = resolve_transform(cfg.features, model)
    if ctx.is_main:
        log.info("%s: evaluated at %s", model.name, summary(transform.describe()))
    records = run_protocol(Evaluation(cfg, model, ctx, transform))
    if ctx.is_main:
        for record in records:
            write_record(record, cfg.output_dir)
    return records
