"""kNN on features with known neighbours."""
from __future__ import annotations

import pytest
import torch

from downstream.knn import knn_accuracy, knn_scores


def unit(angle_degrees):
    angle = torch.tensor(angle_degrees) * torch.pi / 180
    return torch.stack([angle.cos(), angle.sin()], dim=1)


def test_nearest_neighbour_decides_top1_and_the_rest_fill_top5():
    train = torch.eye(6)
    labels = torch.arange(6)
    test = torch.tensor([[1.0, 0.5, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.2, 1.0]])
    accuracy = knn_accuracy(train, labels, test, torch.tensor([0, 4]), k=2, num_classes=6)
    assert accuracy == {"top1": 50.0, "top5": 100.0}  # second sample: nearest is class 5, label 4 second


def test_weighted_and_majority_votes_differ_where_they_should():
    # two very close neighbours of class 0 against three distant ones of class 1
    train = unit([1.0, -1.0, 60.0, 62.0, 64.0])
    labels = torch.tensor([0, 0, 1, 1, 1])
    test = unit([0.0])
    weighted = knn_scores(train, labels, test, k=5, temperature=0.07, weighted=True, num_classes=2)
    majority = knn_scores(train, labels, test, k=5, weighted=False, num_classes=2)
    assert weighted.argmax().item() == 0 and majority.argmax().item() == 1
    assert majority[0].tolist() == [2.0, 3.0]


def test_weights_are_exp_similarity_over_temperature():
    train, labels, test = unit([0.0, 90.0]), torch.tensor([0, 1]), unit([30.0])
    scores = knn_scores(train, labels, test, k=2, temperature=0.5, num_classes=2)
    expected = torch.tensor([[torch.cos(torch.tensor(torch.pi / 6)) / 0.5, torch.cos(torch.tensor(torch.pi / 3)) / 0.5]]).exp()
    assert torch.allclose(scores, expected, rtol=1e-5)


def test_chunking_does_not_change_the_result():
    torch.manual_seed(0)
    train, labels, test = torch.randn(50, 8), torch.randint(0, 5, (50,)), torch.randn(17, 8)
    assert torch.allclose(knn_scores(train, labels, test, k=7, chunk_size=4),
                          knn_scores(train, labels, test, k=7, chunk_size=1000))


def test_k_larger_than_the_training_set_uses_every_sample():
    scores = knn_scores(torch.eye(3), torch.tensor([0, 1, 1]), torch.ones(1, 3), k=200, weighted=False)
    assert scores.tolist() == [[1.0, 2.0]]


@pytest.mark.parametrize("weighted", [True, False])
def test_perfectly_clustered_features_score_100(weighted):
    torch.manual_seed(1)
    centres = torch.randn(4, 16) * 10
    train = centres.repeat_interleave(5, 0) + 0.01 * torch.randn(20, 16)
    test = centres + 0.01 * torch.randn(4, 16)
    accuracy = knn_accuracy(train, torch.arange(4).repeat_interleave(5), test, torch.arange(4), k=5, weighted=weighted)
    assert accuracy["top1"] == 100.0
