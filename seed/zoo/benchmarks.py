"""The model-zoo benchmarks: the columns of MODEL_ZOO.md's main table, and which result records fill them.

A zoo metric is keyed by (benchmark, metric). A benchmark names one task on one data set
(ImageNet linear evaluation, CIFAR-10 transfer, COCO box detection, ...); `protocols` are the
regular expressions of the result-record protocols that measure it, most faithful first (the
official 100-epoch linear evaluation before the fast probe on cached features).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from seed.errors import UnknownNameError


@dataclass(frozen=True)
class Benchmark:
    """One column: a task on a data set, its headline metric, and the record protocols that measure it."""

    key: str
    title: str
    dataset: str
    protocols: tuple[str, ...]
    metric: str = "top1"

    def preference(self, protocol: str | None) -> int:
        """Rank of a record protocol among those measuring this benchmark (lower is more faithful)."""
        for rank, pattern in enumerate(self.protocols):
            if protocol is not None and re.fullmatch(pattern, protocol):
                return rank
        return len(self.protocols)


BOX = r"detection-(?!.*-(mask|keypoints)$).*"
BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("imagenet-linear", "ImageNet linear top-1", "imagenet", ("linear", r"linear-fast(-sgd)?")),
    Benchmark("imagenet-knn", "ImageNet kNN top-1", "imagenet", ("knn",)),
    Benchmark("imagenet-semi-1", "ImageNet 1 % labels top-1", "imagenet", ("semisup-1percent",)),
    Benchmark("imagenet-semi-10", "ImageNet 10 % labels top-1", "imagenet", ("semisup-10percent",)),
    Benchmark("cifar10", "CIFAR-10 top-1", "cifar10", (r"transfer(-sgd)?",)),
    Benchmark("cifar100", "CIFAR-100 top-1", "cifar100", (r"transfer(-sgd)?",)),
    Benchmark("sun397", "SUN-397 top-1", "sun397", (r"transfer(-sgd)?",)),
    Benchmark("voc07-detection", "VOC07 AP50", "voc07+12", (BOX,), metric="AP50"),
    Benchmark("coco-detection", "COCO box AP", "coco", (BOX,), metric="AP"),
    Benchmark("coco-instance-segmentation", "COCO mask AP", "coco", (r"detection-.*-mask",), metric="AP"),
    Benchmark("voc12-segmentation", "VOC12 seg. mIoU", "voc12aug", (r"segmentation-.*",), metric="mIoU"),
)
BY_KEY = {b.key: b for b in BENCHMARKS}


def benchmark_key(protocol: str, dataset: str) -> str:
    """The benchmark a record protocol on a data set measures; `<dataset>-<protocol>` when no column takes it."""
    for benchmark in BENCHMARKS:
        if dataset == benchmark.dataset and benchmark.preference(protocol) < len(benchmark.protocols):
            return benchmark.key
    return f"{dataset}-{protocol}"


def get_benchmark(key: str) -> Benchmark:
    """A column by key; the error lists the known ones (for `seed zoo list --sort/--columns`)."""
    if key not in BY_KEY:
        raise UnknownNameError(f"unknown benchmark {key!r}; known: {', '.join(BY_KEY)}")
    return BY_KEY[key]
