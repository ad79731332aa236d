"""Distributed set-up in one place: a plain process, or torchrun's env:// on gloo (CPU) / NCCL (GPU)."""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from seed.errors import InputError
from seed.utils.quiet import without_warning


@dataclass(frozen=True)
class DistributedContext:
    """Who this process is: its rank among `world_size` and the device it computes on."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def resolve_device(preference: str, local_rank: int = 0) -> torch.device:
    """`auto` picks this process's GPU when one is present, else the CPU."""
    if preference == "auto":
        preference = "cuda" if torch.cuda.is_available() else "cpu"
    if preference == "cuda":
        if not torch.cuda.is_available():
            raise InputError("train.device=cuda but no CUDA device is visible; use train.device=cpu")
        return torch.device("cuda", local_rank)
    if preference != "cpu":
        raise InputError(f"train.device must be auto, cpu or cuda, got {preference!r}")
    return torch.device("cpu")


def init_distributed(device_preference: str = "auto") -> DistributedContext:
    """Join torchrun's process group when WORLD_SIZE > 1; otherwise run as a single process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_preference, local_rank)
    if world_size > 1 and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo", init_method="env://")
    return DistributedContext(rank, world_size, local_rank, device)


def wrap_ddp(module: nn.Module, device: torch.device) -> DistributedDataParallel:
    """DDP without buffer broadcasts: the objectives' buffers (queues, frozen teachers) are rank-local or
    already equal. torch deprecates `broadcast_buffers` but, as its warning says, offers no replacement
    that skips the initial sync yet, so that one warning is hidden here."""
    with without_warning("`broadcast_buffers` is deprecated"):
        return DistributedDataParallel(module, broadcast_buffers=False,
                                       device_ids=[device] if device.type == "cuda" else None)


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


@torch.no_grad()
def all_gather_variable(tensor: torch.Tensor) -> tuple[torch.Tensor, list[int]]:
    """Concatenate `tensor` (N_r x ...) from every rank in rank order; N_r may differ per rank.

    Returns the concatenation and the per-rank sizes. Not differentiable.
    """
    if not is_distributed():
        return tensor.detach(), [tensor.shape[0]]
    world = dist.get_world_size()
    size = torch.tensor([tensor.shape[0]], device=tensor.device, dtype=torch.long)
    sizes = [torch.zeros_like(size) for _ in range(world)]
    dist.all_gather(sizes, size)
    counts = [int(s.item()) for s in sizes]
    padded = tensor.new_zeros((max(counts), *tensor.shape[1:]))
    padded[: tensor.shape[0]] = tensor.detach()
    gathered = [torch.empty_like(padded) for _ in range(world)]
    dist.all_gather(gathered, padded)
    return torch.cat([g[:n] for g, n in zip(gathered, counts)]), counts


def all_reduce_mean(value: torch.Tensor) -> torch.Tensor:
    """Mean of a tensor over ranks (the tensor itself on one process)."""
    if not is_distributed():
        return value
    value = value.detach().clone()
    dist.all_reduce(value)
    return value / dist.get_world_size()


def all_reduce_sum_int(value: int, device: torch.device) -> int:
    """Sum of an integer over ranks."""
    if not is_distributed():
        return value
    tensor = torch.tensor([value], device=device, dtype=torch.long)
    dist.all_reduce(tensor)
    return int(tensor.item())


def cleanup() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def gather_objects(items: list) -> list:
    """Concatenate a picklable list from every rank (rank order); the list itself on one process."""
    if not is_distributed():
        return list(items)
    gathered: list = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, items)
    return [item for part in gathered for item in part]
