"""Frozen features, extracted once and cached on disk for every probe.

Features are the backbone's pooled output in eval mode (BatchNorm uses its running
statistics) under torch.inference_mode, optionally under autocast. A cache entry is keyed
by the checkpoint's sha256, the data set, split and its sample list, and the resolved transform; it
holds memory-mapped .npy arrays and a meta.json that is checked on every read, so a cache
made from another checkpoint or another split is never used silently. Under torchrun each
process extracts a contiguous shard into the same memory-mapped file.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader, Subset
from tqdm import tqdm

from downstream.config import FeatureConfig
from downstream.datasets import LabelledSplit
from downstream.models import FrozenModel
from downstream.transforms import EvalTransform, resolve_transform
from seed.data.datasets import Transformed
from seed.errors import SeedError
from seed.utils.amp import Precision, amp_dtype, choose_precision
from seed.utils.capabilities import device_capabilities
from seed.utils.distributed import is_distributed

class FeatureCacheError(SeedError, RuntimeError):
    """A cache entry that does not belong to the requested model, data or transform."""


@dataclass
class CachedFeatures:
    """N x d float32 features and N labels (memory-mapped when read from the cache)."""

    features: np.ndarray
    labels: np.ndarray
    path: Path | None
    reused: bool

    def tensors(self, indices: list[int] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Features and labels as tensors (a copy; rows `indices` only, when given)."""
        rows = slice(None) if indices is None else np.asarray(indices)
        return torch.from_numpy(np.array(self.features[rows])), torch.from_numpy(np.array(self.labels[rows]))


def default_cache_dir() -> Path:
    """$SEED_FEATURE_CACHE, or ~/.cache/seed/features (like torch.hub's cache)."""
    return Path(os.environ.get("SEED_FEATURE_CACHE") or Path.home() / ".cache" / "seed" / "features")


def cache_key(model: FrozenModel, split: LabelledSplit, split_name: str, cfg: FeatureConfig,
              transform: EvalTransform) -> dict:
    """Everything that determines the features, as stored in meta.json (the resolved transform, not its source)."""
    return {
        "model": model.identity, "checkpoint": model.checkpoint, "data": split.description, "split": split_name,
        "samples": len(split), "fingerprint": split.fingerprint, "transform": transform.key(),
        "amp": cfg.amp, "layer": "pooled",
    }


def _entry(key: dict, cfg: FeatureConfig) -> Path:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
    return Path(cfg.cache_dir or default_cache_dir()) / digest


def load_cached(path: Path, key: dict) -> CachedFeatures:
    """Open a complete cache entry, refusing one whose meta.json describes something else."""
    meta = json.loads((path / "meta.json").read_text())
    if meta.get("key") != key:
        differing = sorted(k for k in set(key) | set(meta.get("key", {})) if meta.get("key", {}).get(k) != key.get(k))
        raise FeatureCacheError(f"feature cache {path} was made for other inputs (differs in: {', '.join(differing)}); "
                                "delete it or point features.cache_dir elsewhere")
    return CachedFeatures(np.load(path / "features.npy", mmap_mode="r"), np.load(path / "labels.npy"), path, True)


@torch.inference_mode()
def _extract_into(backbone: nn.Module, split: LabelledSplit, indices: range, cfg: FeatureConfig,
                  transform: EvalTransform, device: torch.device, out: np.ndarray, labels: np.ndarray,
                  show: bool) -> None:
    loader = DataLoader(Subset(Transformed(split.dataset, transform.build()), indices), batch_size=cfg.batch_size,
                        num_workers=cfg.workers, pin_memory=device.type == "cuda")
    dtype = amp_dtype(cfg.amp, "features.amp")
    position = indices.start
    for images, targets in tqdm(loader, desc=f"features {split.description}", disable=not show, unit="batch"):
        with torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            batch = backbone(images.to(device, non_blocking=True)).float().cpu().numpy()
        out[position:position + len(batch)] = batch
        labels[position:position + len(batch)] = targets.numpy()
        position += len(batch)


def feature_precision(cfg: FeatureConfig, device: torch.device) -> Precision:
    """The precision `features.amp` (auto, none, bf16, fp16) means on `device`, and why."""
    return choose_precision(cfg.amp, "features.amp", device_capabilities(device))


def extract_features(model: FrozenModel, split: LabelledSplit, split_name: str, cfg: FeatureConfig,
                     device: torch.device, transform: EvalTransform | None = None) -> CachedFeatures:
    """Features of every sample of `split`, from the cache when an entry for exactly these inputs exists;
    `transform` defaults to the one `cfg` and the model resolve to."""
    cfg = replace(cfg, amp=feature_precision(cfg, device).amp)  # checked before any work; keys the cache
    transform = transform or resolve_transform(cfg, model)
    key = cache_key(model, split, split_name, cfg, transform)
    path = _entry(key, cfg)
    if (path / "meta.json").is_file():
        return load_cached(path, key)
    rank, world = (dist.get_rank(), dist.get_world_size()) if is_distributed() else (0, 1)
    partial = path.with_name(path.name + ".partial")
    if rank == 0:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        np.lib.format.open_memmap(partial / "features.npy", "w+", np.float32, (len(split), model.feature_dim))
        np.lib.format.open_memmap(partial / "labels.npy", "w+", np.int64, (len(split),))
    if world > 1:
        dist.barrier()
    features = np.load(partial / "features.npy", mmap_mode="r+")
    labels = np.load(partial / "labels.npy", mmap_mode="r+")
    share = -(-len(split) // world)
    mine = range(rank * share, min(len(split), (rank + 1) * share))
    model.backbone.eval().to(device)
    _extract_into(model.backbone, split, mine, cfg, transform, device, features, labels,
                  show=cfg.progress and rank == 0)
    features.flush()
    labels.flush()
    del features, labels
    if world > 1:
        dist.barrier()
    if rank == 0:
        (partial / "meta.json").write_text(json.dumps({"key": key, "config": asdict(cfg)}, indent=2, default=str))
        shutil.rmtree(path, ignore_errors=True)
        os.replace(partial, path)
    if world > 1:
        dist.barrier()
    cached = load_cached(path, key)
    cached.reused = False
    return cached
