"""The SEED objective against a plain restatement of the paper's formula, and its queue."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from seed.objectives import FeatureQueue, info_nce, seed_loss


def restated_seed_loss(student, teacher, queue, tau_s, tau_t):
    """Loop over images and queue entries exactly as the paper writes p^T, p^S and the CE."""
    total = 0.0
    for z_s, z_t in zip(student.double(), teacher.double()):
        candidates = [z_t] + list(queue.double())
        t_logits = [float(z_t @ d) / tau_t for d in candidates]
        s_logits = [float(z_s @ d) / tau_s for d in candidates]
        t_max, s_max = max(t_logits), max(s_logits)
        t_norm = sum(math.exp(v - t_max) for v in t_logits)
        s_log_norm = s_max + math.log(sum(math.exp(v - s_max) for v in s_logits))
        p_t = [math.exp(v - t_max) / t_norm for v in t_logits]
        total += -sum(p * (s - s_log_norm) for p, s in zip(p_t, s_logits))
    return total / len(student)


@pytest.mark.parametrize("tau_t", [1e-4, 0.01, 0.07])
def test_seed_loss_matches_the_formula(tau_t):
    torch.manual_seed(0)
    student = F.normalize(torch.randn(5, 8), dim=1)
    teacher = F.normalize(torch.randn(5, 8), dim=1)
    queue = F.normalize(torch.randn(11, 8), dim=1)
    got = seed_loss(student, teacher, queue, 0.2, tau_t).item()
    assert got == pytest.approx(restated_seed_loss(student, teacher, queue, 0.2, tau_t), rel=1e-5)


def test_seed_loss_is_lowest_when_the_student_equals_the_teacher():
    torch.manual_seed(1)
    teacher = F.normalize(torch.randn(6, 8), dim=1)
    queue = F.normalize(torch.randn(30, 8), dim=1)
    other = F.normalize(torch.randn(6, 8), dim=1)
    assert seed_loss(teacher, teacher, queue, 0.2, 1e-4) < seed_loss(other, teacher, queue, 0.2, 1e-4)


def test_seed_loss_gradient_reaches_only_the_student():
    student = F.normalize(torch.randn(4, 8), dim=1).requires_grad_()
    teacher = F.normalize(torch.randn(4, 8), dim=1).requires_grad_()
    seed_loss(student, teacher.detach(), torch.randn(7, 8), 0.2, 1e-4).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


def test_seed_loss_is_float32_under_autocast():
    student = F.normalize(torch.randn(4, 8), dim=1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = seed_loss(student, student, F.normalize(torch.randn(7, 8), dim=1), 0.2, 1e-4)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)


def test_info_nce_matches_cross_entropy_with_the_positive_first():
    torch.manual_seed(2)
    q, k = F.normalize(torch.randn(3, 4), dim=1), F.normalize(torch.randn(3, 4), dim=1)
    queue = F.normalize(torch.randn(5, 4), dim=1)
    expected = sum(-math.log(math.exp(float(q[i] @ k[i]) / 0.2)
                             / (math.exp(float(q[i] @ k[i]) / 0.2) + sum(math.exp(float(q[i] @ d) / 0.2) for d in queue)))
                   for i in range(3)) / 3
    assert info_nce(q, k, queue, 0.2).item() == pytest.approx(expected, rel=1e-5)


def test_queue_is_fifo_and_wraps_around():
    queue = FeatureQueue(size=5, dim=2)
    rows = lambda start, n: torch.arange(start, start + n, dtype=torch.float).repeat(2, 1).T  # noqa: E731
    queue.enqueue(rows(0, 3))                      # slots 0,1,2
    queue.enqueue(rows(3, 3))                      # slots 3,4, then wraps to 0
    assert queue.features[:, 0].tolist() == [5, 1, 2, 3, 4]
    assert int(queue.pointer) == 1
    queue.enqueue(rows(6, 2))                      # slots 1,2: the oldest go first
    assert queue.features[:, 0].tolist() == [5, 6, 7, 3, 4]
    assert int(queue.pointer) == 3


def test_queue_keeps_the_newest_rows_when_a_batch_is_larger_than_the_queue():
    queue = FeatureQueue(size=4, dim=1)
    queue.enqueue(torch.zeros(1, 1))               # pointer at 1
    queue.enqueue(torch.arange(10, 16, dtype=torch.float)[:, None])
    # writing 10..15 one by one from slot 1 leaves 14 at 1, 15 at 2, 12 at 3, 13 at 0
    assert queue.features[:, 0].tolist() == [13, 14, 15, 12]
    assert int(queue.pointer) == (1 + 6) % 4


def test_queue_is_part_of_the_state_dict():
    queue = FeatureQueue(size=3, dim=2)
    queue.enqueue(torch.ones(2, 2))
    restored = FeatureQueue(size=3, dim=2)
    restored.load_state_dict(queue.state_dict())
    assert torch.equal(restored.features, queue.features) and int(restored.pointer) == 2
