"""Deterministic, resumable, fault-tolerant batches for the trainer.

- The order of an epoch is a permutation seeded by (seed, epoch); global batch s is
  its s-th slice and process r takes the r-th contiguous part, so N processes see
  exactly the images one process would, and a run can restart at any step.
- Each sample's augmentation is seeded by (seed, epoch, index): views do not depend
  on worker count or on where a run was resumed.
- A sample that fails to load is logged with its path and reason, left out of the
  batch and counted, so one corrupt JPEG never kills an epoch.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler
from torch.utils.data import default_collate

from seed.errors import InputError

log = logging.getLogger(__name__)


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """A 32-bit seed unique to (run seed, epoch, sample index)."""
    return int(np.random.SeedSequence([seed, epoch, index]).generate_state(1)[0])


class ResumableBatchSampler(Sampler[list[tuple[int, int]]]):
    """Yields this process's share of each global batch as (epoch, index) pairs; drops the last partial batch."""

    def __init__(self, dataset_size: int, global_batch: int, rank: int, world_size: int, seed: int) -> None:
        if global_batch % world_size:
            raise InputError(f"data.batch_size={global_batch} is not divisible by the {world_size} processes")
        if dataset_size < global_batch:
            raise InputError(f"the data set holds {dataset_size} images, fewer than one batch "
                             f"(data.batch_size={global_batch}); lower data.batch_size")
        self.dataset_size, self.global_batch = dataset_size, global_batch
        self.rank, self.world_size, self.seed = rank, world_size, seed
        self.local_batch = global_batch // world_size
        self.epoch, self.start_step = 0, 0

    @property
    def steps_per_epoch(self) -> int:
        return self.dataset_size // self.global_batch

    def set_epoch(self, epoch: int, start_step: int = 0) -> None:
        """Next iteration covers `epoch`, starting at its `start_step`-th batch (for resume)."""
        self.epoch, self.start_step = epoch, start_step

    def __len__(self) -> int:
        return self.steps_per_epoch - self.start_step

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        generator = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        order = torch.randperm(self.dataset_size, generator=generator).tolist()
        for step in range(self.start_step, self.steps_per_epoch):
            start = step * self.global_batch + self.rank * self.local_batch
            yield [(self.epoch, i) for i in order[start:start + self.local_batch]]


class SeededViews(Dataset):
    """dataset[(epoch, index)] -> (views, label), augmented under a per-sample seed; None if unreadable."""

    def __init__(self, dataset: Dataset, transform: Any, seed: int) -> None:
        self.dataset, self.transform, self.seed = dataset, transform, seed

    def __len__(self) -> int:
        return len(self.dataset)

    def describe(self, index: int) -> str:
        describe = getattr(self.dataset, "describe", None)
        return describe(index) if describe else f"sample {index}"

    def __getitem__(self, key: tuple[int, int]) -> Any:
        epoch, index = key
        try:
            image, label = self.dataset[index]
        except Exception as error:  # noqa: BLE001 - any decode failure is reported, not fatal
            name = self.describe(index)
            log.warning("skipping unreadable image %s: %s: %s", name, type(error).__name__, error)
            return SkippedSample(name, f"{type(error).__name__}: {error}")
        python_state, torch_state = random.getstate(), torch.get_rng_state()
        seed = sample_seed(self.seed, epoch, index)
        random.seed(seed)
        torch.manual_seed(seed)
        try:
            return self.transform(image), label
        finally:  # leave the caller's RNG untouched (matters when workers=0)
            random.setstate(python_state)
            torch.set_rng_state(torch_state)


@dataclass
class SkippedSample:
    """Placeholder for a sample that could not be read."""

    name: str
    reason: str


@dataclass
class Batch:
    """Collated views ({"global": [N x C x H x W, ...]}), labels, and the samples left out."""

    views: dict[str, list[torch.Tensor]]
    labels: torch.Tensor
    skipped: list[SkippedSample] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.labels)


def collate_views(samples: list[Any]) -> Batch:
    """Stack the readable samples; keep the unreadable ones' names for the run record."""
    good = [s for s in samples if not isinstance(s, SkippedSample)]
    skipped = [s for s in samples if isinstance(s, SkippedSample)]
    if not good:
        raise InputError("every image of a batch failed to load: "
                         + "; ".join(f"{s.name} ({s.reason})" for s in skipped[:5]))
    views, labels = default_collate(good)
    return Batch(views, labels, skipped)


def build_loader(views: SeededViews, sampler: ResumableBatchSampler, workers: int,
                 pin_memory: bool, worker_init_fn: Callable[[int], None] | None = None) -> DataLoader:
    """A DataLoader over `views` driven by the resumable batch sampler."""
    return DataLoader(views, batch_sampler=sampler, num_workers=workers, collate_fn=collate_views,
                      pin_memory=pin_memory, persistent_workers=workers > 0,
                      worker_init_fn=worker_init_fn if workers > 0 else None)
