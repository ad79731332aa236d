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


def rank_worker(rank: int, store: str, out: str) -> None:
    """Rank `rank` of 2 (gloo): its half of the global batch; the loss and gradients averaged as DDP does,
    with the official rescaling and without (mse_batch 0)."""
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    student, teacher = (half.chunk(2)[rank] for half in embeddings())
    results = {}
    for batch in (OFFICIAL_PROCESS_BATCH, 0):
        loss, grad = loss_and_grad(student, teacher, batch)
        total = torch.tensor([loss])
        dist.all_reduce(total)
        grads = [torch.empty_like(grad) for _ in range(2)]
        dist.all_gather(grads, grad / 2)  # DDP averages gradients over the 2 processes
        results[batch] = {"loss": float(total) / 2, "grad": torch.cat(grads)}
    if rank == 0:
        torch.save(results, out)
    dist.destroy_process_group()


@pytest.fixture(scope="module")
def world_size_2(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("disco_world2")
    mp.spawn(rank_worker, args=(str(folder / "store"), str(folder / "out.pt")), nprocs=2)
    return torch.load(folder / "out.pt", weights_only=True)


def test_mse_batch_weighs_the_same_at_world_size_1_and_2(world_size_2):
    one_loss, one_grad = loss_and_grad(*embeddings(), OFFICIAL_PROCESS_BATCH)
    two = world_size_2[OFFICIAL_PROCESS_BATCH]
    assert two["loss"] == pytest.approx(one_loss, rel=1e-6)
    assert torch.allclose(two["grad"], one_grad, rtol=1e-5, atol=1e-7)


def test_without_mse_batch_the_weight_halves_at_world_size_2(world_size_2):
    one_loss, one_grad = loss_and_grad(*embeddings(), 0)
    two = world_size_2[0]
    assert two["loss"] == pytest.approx(one_loss / 2, rel=1e-6)  # the silent change mse_batch removes
    assert torch.allclose(two["grad"], one_grad / 2, rtol=1e-5, atol=1e-7)
