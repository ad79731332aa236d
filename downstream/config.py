"""Evaluation configs: the same YAML machinery as distillation (_BASE_, KEY=VALUE, strict keys).

Defaults follow the SEED paper's protocols: weighted kNN (k = 20, 200; T = 0.07), the
official linear evaluation (100 epochs, SGD, steps at 60/80, lr 30 for ResNets and 3 for the
others, batch 256) and a fast linear probe on cached features.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from seed.config import apply_overrides, from_dict, load_yaml_with_bases


@dataclass
class EvalDataConfig:
    """Which labelled data set, where, and which splits (see downstream/datasets.py)."""

    name: str | None = None            # a registered format (imagenet, cifar10, ...) or any name for an ImageFolder
                                       # or TSV; records carry it (None: the data folder's name)
    root: str = "datasets/imagenet"
    train_split: str = "train"
    val_split: str = "val"
    partition: int = 1                 # SUN-397's official split files: Training_01 .. Training_10
    subset: str | None = None          # semi-supervised: a SimCLR-style list of training files
    num_classes: int | None = None     # when set, checked against the data


@dataclass
class FeatureConfig:
    """Frozen-feature extraction: evaluation transform, batching and the on-disk cache. A transform
    setting left None comes from the student file, the layout's published setting or timm's config
    of the architecture, in that order (downstream/transforms.py)."""

    image_size: int | None = None      # the centre crop
    resize: int | None = None          # the short side before cropping
    interpolation: str | None = None   # bilinear, bicubic, ...
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    batch_size: int = 256
    workers: int = 8
    amp: str = "auto"                  # auto: bf16 where native (seed/utils/amp.py), else fp32
    cache_dir: str | None = None       # default: $SEED_FEATURE_CACHE or ~/.cache/seed/features
    progress: bool = True


@dataclass
class KNNConfig:
    """Weighted kNN as in InstDisc/DINO, plus plain majority voting."""

    ks: tuple[int, ...] = (20, 200)
    temperature: float = 0.07


@dataclass
class ProbeConfig:
    """Fast linear probe on cached features. method: auto (= lbfgs: full-batch L-BFGS in torch),
    sklearn (scikit-learn's lbfgs), or sgd (mini-batch SGD on features, e.g. DisCo's transfer
    setting: lr 3, 100 epochs, steps at 60/80). The weight decay is swept over `weight_decays`
    (held-out `holdout_fraction`, or k-fold on small subsets); `fixed_weight_decay` is used when
    every class has a single image."""

    method: str = "auto"
    weight_decays: tuple[float, ...] = (0.0, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
    holdout_fraction: float = 0.1
    fixed_weight_decay: float = 1e-4
    max_iter: int = 500
    lr: float = 3.0
    epochs: int = 100
    milestones: tuple[int, ...] = (60, 80)
    batch_size: int = 256
    momentum: float = 0.9


@dataclass
class LinearConfig:
    """The official linear evaluation (MoCo/SEED main_lincls.py): augmentation, frozen eval-mode
    backbone, SGD; `lr: null` picks 30 for ResNets and 3 for the others."""

    epochs: int = 100
    lr: float | None = None
    momentum: float = 0.9
    weight_decay: float = 0.0
    schedule: str = "step"
    milestones: tuple[int, ...] = (60, 80)
    batch_size: int = 256
    crop_scale: tuple[float, float] = (0.08, 1.0)
    workers: int = 8


@dataclass
class EvalConfig:
    """Everything one `seed eval` run needs."""

    model: str = ""                    # a checkpoint file, or timm:NAME (random init, a baseline)
    arch: str = "auto"
    layout: str = "auto"
    name: str | None = None            # the row name in the results table
    data: EvalDataConfig = field(default_factory=EvalDataConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    knn: KNNConfig = field(default_factory=KNNConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    linear: LinearConfig = field(default_factory=LinearConfig)
    output_dir: str = "results"
    device: str = "auto"
    seed: int = 0


def load_eval_config(path: str | Path | None, overrides: list[str] | None = None) -> EvalConfig:
    """An evaluation config file (or the defaults) with overrides applied, type-checked."""
    data = load_yaml_with_bases(path) if path else {}
    return from_dict(EvalConfig, apply_overrides(data, overrides or []), source=str(path) if path else "<defaults>")
