"""Unlabelled (or labelled) image sources: ImageFolder, the official TSV format, and file lists.

Every dataset returns (PIL RGB image, label) and can name a sample (`describe`) so a
corrupt one is reported by its path. Formats come from the DATASETS registry.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from PIL import Image
from torch.utils.data import Dataset
from torchvision.datasets.folder import IMG_EXTENSIONS, find_classes, make_dataset

from seed.config import DataConfig
from seed.data.tsv import TSVReader, decode_image
from seed.registry import Registry


def load_rgb(path: str | Path) -> Image.Image:
    """Open an image file fully (so truncation is detected here) as RGB."""
    with open(path, "rb") as handle:
        image = Image.open(handle)
        image.load()
        return image.convert("RGB")


class ImageFiles(Dataset):
    """Image files with labels: `samples` is a list of (path, label)."""

    def __init__(self, samples: list[tuple[Path, int]]) -> None:
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def describe(self, index: int) -> str:
        return str(self.samples[index][0])

    def __getitem__(self, index: int) -> tuple[Image.Image, int]:
        path, label = self.samples[index]
        return load_rgb(path), label


class ImageFolderDataset(ImageFiles):
    """root/<class>/<image>: torchvision's ImageFolder scan, with decoding that reports failures."""

    def __init__(self, root: str | Path) -> None:
        root = Path(root)
        if not root.is_dir():
            raise FileNotFoundError(f"image folder {str(root)!r} does not exist")
        try:  # torchvision's own scan; decoding waits for __getitem__
            self.classes, class_to_idx = find_classes(str(root))
            samples = make_dataset(str(root), class_to_idx, extensions=IMG_EXTENSIONS)
        except FileNotFoundError as error:
            raise FileNotFoundError(f"image folder {str(root)!r}: {error}") from None
        super().__init__([(Path(path), label) for path, label in samples])


class TSVDataset(Dataset):
    """The official SEED TSV format (see seed/data/tsv.py)."""

    def __init__(self, path: str | Path) -> None:
        self.reader = TSVReader(path)
        if len(self.reader) == 0:
            raise ValueError(f"TSV file {str(path)!r} holds no images")

    def __len__(self) -> int:
        return len(self.reader)

    def describe(self, index: int) -> str:
        return f"{self.reader.path}:{index + 1}"

    def __getitem__(self, index: int) -> tuple[Image.Image, int]:
        fields = self.reader.row(index)
        if len(fields) < 3:
            raise ValueError(f"line has {len(fields)} tab-separated fields, expected key, label, base64 image")
        return decode_image(fields[-1]), int(fields[1])


class FileListDataset(ImageFiles):
    """A text file of `relative/path [label]` lines, resolved against `root` (default: the list's folder)."""

    def __init__(self, list_file: str | Path, root: str | Path | None = None) -> None:
        list_file = Path(list_file)
        if not list_file.is_file():
            raise FileNotFoundError(f"file list {str(list_file)!r} does not exist")
        self.root = Path(root) if root else list_file.parent
        samples = []
        for number, line in enumerate(list_file.read_text().splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) > 2 or (len(parts) == 2 and not parts[1].lstrip("-").isdigit()):
                raise ValueError(f"{list_file}:{number}: expected 'path [integer label]', got {line!r}")
            samples.append((self.root / parts[0], int(parts[1]) if len(parts) == 2 else -1))
        if not samples:
            raise ValueError(f"file list {str(list_file)!r} names no images")
        super().__init__(samples)


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
        raise ValueError("data.path is not set: point it at an image folder, a .tsv file or a file list")
    return DATASETS.get(cfg.format)(cfg)
