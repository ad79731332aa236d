"""A FIFO queue of past embeddings, held as registered buffers so checkpoints carry it."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seed.errors import InputError
from seed.utils.distributed import all_gather_variable


class FeatureQueue(nn.Module):
    """K x D buffer of L2-normalised embeddings with a write pointer.

    Starts as random unit vectors (as MoCo and the official SEED code do) and is
    overwritten oldest-first; any number of rows may be enqueued, wrapping around.
    """

    def __init__(self, size: int, dim: int) -> None:
        super().__init__()
        if size < 1:
            raise InputError(f"queue size must be positive, got {size}")
        self.register_buffer("features", F.normalize(torch.randn(size, dim), dim=1))  # K x D
        self.register_buffer("pointer", torch.zeros((), dtype=torch.long))

    @property
    def size(self) -> int:
        return self.features.shape[0]

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor) -> None:
        """Write `keys` (N x D) over the oldest entries; with N > K only the last K survive."""
        keys = keys.detach().to(self.features.dtype)
        count, size = keys.shape[0], self.size
        start = int(self.pointer)
        if count > size:  # only the newest K rows survive; write them where they would have landed
            start, keys = (start + count - size) % size, keys[-size:]
        positions = (start + torch.arange(keys.shape[0], device=keys.device)) % size
        self.features[positions] = keys
        self.pointer.fill_((int(self.pointer) + count) % size)

    @torch.no_grad()
    def enqueue_from_all_ranks(self, keys: torch.Tensor) -> None:
        """Gather `keys` from every process (in rank order, any batch sizes) and enqueue them."""
        gathered, _sizes = all_gather_variable(keys)
        self.enqueue(gathered)
