"""DisCo's `mse_batch`: the summed MSE weighs the same at world size 1 and 2 (what DDP averages)."""
from __future__ import annotations

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F

from seed.objectives.disco import OFFICIAL_PROCESS_BATCH, disco_mse

GLOBAL_BATCH, DIM = 8, 16


def embeddings() -> tuple[torch.Tensor, torch.Tensor]:
    """One global batch of student and teacher embeddings, L2-normalised as DisCo's are."""
    generator = torch.Generator().manual_seed(0)
    student, teacher = (F.normalize(torch.randn(GLOBAL_BATCH, DIM, generator=generator), dim=1) for _ in range(2))
    return student, teacher


def loss_and_grad(student: torch.Tensor, teacher: torch.Tensor, batch: int) -> tuple[float, torch.Tensor]:
    student = student.clone().requires_grad_()
    loss = disco_mse(student, teacher, "sum", batch)
    loss.backward()
    return float(loss.detach()), student.grad


def rank_worker(rank: int, store: str, batch: int, out: str) -> None:
    """Rank `rank` of 2 (gloo): its half of the global batch; the loss and gradients averaged as DDP does."""
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    student, teacher = (half.chunk(2)[rank] for half in embeddings())
    loss, grad = loss_and_grad(student, teacher, batch)
    total = torch.tensor([loss])
    dist.all_reduce(total)
    grads = [torch.empty_like(grad) for _ in range(2)]
    dist.all_gather(grads, grad / 2)  # DDP averages gradients over the 2 processes
    if rank == 0:
        torch.save({"loss": float(total) / 2, "grad": torch.cat(grads)}, out)
    dist.destroy_process_group()


def two_processes(tmp_path, batch: int) -> dict:
    out = tmp_path / f"world2-{batch}.pt"
    mp.spawn(rank_worker, args=(str(tmp_path / f"store-{batch}"), batch, str(out)), nprocs=2)
    return torch.load(out, weights_only=True)


def test_mse_batch_weighs_the_same_at_world_size_1_and_2(tmp_path):
    one_loss, one_grad = loss_and_grad(*embeddings(), OFFICIAL_PROCESS_BATCH)
    two = two_processes(tmp_path, OFFICIAL_PROCESS_BATCH)
    assert two["loss"] == pytest.approx(one_loss, rel=1e-6)
    assert torch.allclose(two["grad"], one_grad, rtol=1e-5, atol=1e-7)


def test_without_mse_batch_the_weight_halves_at_world_size_2(tmp_path):
    one_loss, one_grad = loss_and_grad(*embeddings(), 0)
    two = two_processes(tmp_path, 0)
    assert two["loss"] == pytest.approx(one_loss / 2, rel=1e-6)  # the silent change mse_batch removes
    assert torch.allclose(two["grad"], one_grad / 2, rtol=1e-5, atol=1e-7)
