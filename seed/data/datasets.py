"""Unlabelled (or labelled) image sources: ImageFolder, the official TSV format, and file lists.

Every dataset returns (PIL RGB image, label) and can name a sample (`describe`) so a
corrupt one is reported by its path. Formats come from the DATASETS registry.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PIL import Image
from torch.utils.data import Dataset

from seed.config import DataConfig
from seed.data.folders import FileListDataset, ImageFolderDataset
from seed.data.tsv import TSVReader, decode_image
from seed.errors import InputError
from seed.registry import Registry


class TSVDataset(Dataset):
    """The official SEED TSV format (see seed/data/tsv.py)."""

    def __init__(self, path: str | Path) -> None:
        self.reader = TSVReader(path)
        if len(self.reader) == 0:
            raise InputError(f"TSV file {str(path)!r} holds no images")

    def __len__(self) -> int:
        return len(self.reader)

    def describe(self, index: int) -> str:
        return f"{self.reader.path}:{index + 1}"

    def __getitem__(self, index: int) -> tuple[Image.Image, int]:
        fields = self.reader.row(index)
        if len(fields) < 3:
            raise InputError(f"line has {len(fields)} tab-separated fields, expected key, label, base64 image")
        return decode_image(fields[-1]), int(fields[1])


class Transformed(Dataset):
    """(image, label) -> (transform(image), label), e.g. the evaluation transform of a labelled set."""

    def __init__(self, dataset: Dataset, transform: Callable) -> None:
        self.dataset, self.transform = dataset, transform

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int):
        image, label = self.dataset[index]
        return self.transform(image), label


DATASETS: Registry[Callable[[DataConfig], Dataset]] = Registry("data format")
DATASETS.register("imagefolder", lambda cfg: ImageFolderDataset(cfg.path))
DATASETS.register("tsv", lambda cfg: TSVDataset(cfg.path))
DATASETS.register("filelist", lambda cfg: FileListDataset(cfg.path, cfg.root))


def build_dataset(cfg: DataConfig) -> Dataset:
    """The dataset named by `data.format` at `data.path`."""
    if not cfg.path:
        raise InputError("data.path is not set: point it at an image folder, a .tsv file or a file list")
    return DATASETS.get(cfg.format)(cfg)
