"""k-nearest-neighbour classification on frozen features (InstDisc / DINO protocol).

Weighted kNN: the k most cosine-similar training features vote for their class with
weight exp(similarity / T) (T = 0.07); plain kNN gives every neighbour one vote.
Similarities are computed in chunks of test features, on whatever device the features are.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


@torch.no_grad()
def knn_scores(train_features: torch.Tensor, train_labels: torch.Tensor, test_features: torch.Tensor,
               k: int = 20, temperature: float = 0.07, weighted: bool = True, num_classes: int | None = None,
               chunk_size: int = 1024) -> torch.Tensor:
    """Class scores (N_test x C) from the votes of each test feature's k nearest training features."""
    train = F.normalize(train_features.float(), dim=1)
    test = F.normalize(test_features.float(), dim=1)
    labels = train_labels.long().to(train.device)
    num_classes = num_classes or int(labels.max()) + 1
    k = min(k, len(train))
    scores = []
    for start in range(0, len(test), chunk_size):
        similarity = test[start:start + chunk_size] @ train.T                  # n x N_train
        top_similarity, top_index = similarity.topk(k, dim=1)                   # n x k
        votes = (top_similarity / temperature).exp() if weighted else torch.ones_like(top_similarity)
        one_hot = F.one_hot(labels[top_index], num_classes).to(votes.dtype)    # n x k x C
        scores.append((one_hot * votes.unsqueeze(-1)).sum(1))
    return torch.cat(scores)


def topk_accuracy(scores: torch.Tensor, labels: torch.Tensor, ks: tuple[int, ...] = (1, 5)) -> dict[str, float]:
    """Percentage of samples whose label is among the top-k scored classes, for each k."""
    labels = labels.long().to(scores.device)
    ranked = scores.topk(min(max(ks), scores.shape[1]), dim=1).indices
    hits = ranked == labels[:, None]
    return {f"top{k}": 100.0 * hits[:, :k].any(1).float().mean().item() for k in ks}


def knn_accuracy(train_features: torch.Tensor, train_labels: torch.Tensor, test_features: torch.Tensor,
                 test_labels: torch.Tensor, k: int = 20, temperature: float = 0.07, weighted: bool = True,
                 num_classes: int | None = None) -> dict[str, float]:
    """Top-1/top-5 accuracy (%) of kNN classification."""
    num_classes = num_classes or int(max(train_labels.max(), test_labels.max())) + 1
    scores = knn_scores(train_features, train_labels, test_features, k, temperature, weighted, num_classes)
    return topk_accuracy(scores, test_labels)
