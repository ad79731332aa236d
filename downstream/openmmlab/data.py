"""The data sets an MMSeg or MMDetection config names: point them at a root, and check they are on
disk before mmengine's Runner starts (the libraries fail late, deep inside a dataset's file scan)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from seed.errors import MissingInputError

TRAIN_LOADERS = ("train_dataloader", "val_dataloader", "test_dataloader")
TEST_LOADERS = ("test_dataloader",)
PREPARE_GUIDES = {  # library -> how it lays data sets out
    "MMSegmentation": "https://mmsegmentation.readthedocs.io/en/latest/user_guides/2_dataset_prepare.html",
    "MMDetection": "https://mmdetection.readthedocs.io/en/latest/user_guides/dataset_prepare.html",
}


class DatasetNotFoundError(MissingInputError):
    """A data set folder or list file that a config expects is not on disk."""


def _leaves(node: dict, where: str) -> Iterator[tuple[str, dict]]:
    if isinstance(node.get("datasets"), list):  # ConcatDataset
        for index, child in enumerate(node["datasets"]):
            yield from _leaves(child, f"{where}.datasets[{index}]")
    elif isinstance(node.get("dataset"), dict):  # RepeatDataset, MultiImageMixDataset
        yield from _leaves(node["dataset"], f"{where}.dataset")
    else:
        yield where, node


def config_datasets(cfg: Any, loaders: tuple[str, ...] = TRAIN_LOADERS) -> Iterator[tuple[str, dict]]:
    """(config key, dataset dict) for every data set the named dataloaders read, wrappers unwrapped."""
    for name in loaders:
        loader = cfg.get(name)
        if loader and loader.get("dataset"):
            yield from _leaves(loader["dataset"], f"{name}.dataset")


EVALUATORS = {"val_evaluator": "val_dataloader", "test_evaluator": "test_dataloader"}


def set_data_root(cfg: Any, root: str | Path, loaders: tuple[str, ...] = TRAIN_LOADERS) -> None:
    """Point every data set of the named dataloaders at `root` (the folder the config's data_root names),
    and an evaluator that reads its data set's annotation file (MMDetection's CocoMetric) at it too."""
    for _where, dataset in config_datasets(cfg, loaders):
        dataset["data_root"] = str(root)
    for name, loader in EVALUATORS.items():
        evaluator, dataset = cfg.get(name), (cfg.get(loader) or {}).get("dataset") or {}
        if loader in loaders and isinstance(evaluator, dict) and evaluator.get("ann_file") and dataset.get("ann_file"):
            evaluator["ann_file"] = str(Path(root) / dataset["ann_file"])


def expected_paths(dataset: dict) -> list[Path]:
    """The data root, its image/annotation folders and its split list or annotation file, as the libraries
    join them."""
    root = Path(dataset.get("data_root") or "")
    paths = [root] + [root / prefix for prefix in (dataset.get("data_prefix") or {}).values() if prefix]
    if dataset.get("ann_file"):
        paths.append(root / dataset["ann_file"])
    return paths


def check_datasets(cfg: Any, loaders: tuple[str, ...] = TRAIN_LOADERS, library: str = "MMSegmentation") -> None:
    """Raise DatasetNotFoundError naming the first expected folder or file that is missing."""
    for where, dataset in config_datasets(cfg, loaders):
        for path in expected_paths(dataset):
            if not path.exists():
                kind = {".txt": "list file", ".json": "annotation file"}.get(path.suffix, "folder")
                raise DatasetNotFoundError(
                    f"{dataset.get('type', 'data set')} ({where}): expected {kind} {path} "
                    f"(absolute: {path.resolve()}) does not exist. Put the data set under "
                    f"{dataset.get('data_root')!r} as {library} lays it out ({PREPARE_GUIDES[library]}), "
                    "or pass --data-root FOLDER.")
