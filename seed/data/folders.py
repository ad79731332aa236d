"""Images stored as files: an ImageFolder tree or a list of paths, read fully so a corrupt file is
reported by its path (`describe`). The TSV format lives in seed/data/tsv.py; both are registered
as data formats in seed/data/datasets.py."""
from __future__ import annotations

from pathlib import Path

from PIL import Image
from torch.utils.data import Dataset
from torchvision.datasets.folder import IMG_EXTENSIONS, find_classes, make_dataset

from seed.errors import InputError, MissingInputError


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
            raise MissingInputError(f"image folder {str(root)!r} does not exist")
        try:  # torchvision's own scan; decoding waits for __getitem__
            self.classes, class_to_idx = find_classes(str(root))
            samples = make_dataset(str(root), class_to_idx, extensions=IMG_EXTENSIONS)
        except FileNotFoundError as error:
            raise MissingInputError(f"image folder {str(root)!r}: {error}") from None
        super().__init__([(Path(path), label) for path, label in samples])


class FileListDataset(ImageFiles):
    """A text file of `relative/path [label]` lines, resolved against `root` (default: the list's folder)."""

    def __init__(self, list_file: str | Path, root: str | Path | None = None) -> None:
        list_file = Path(list_file)
        if not list_file.is_file():
            raise MissingInputError(f"file list {str(list_file)!r} does not exist")
        self.root = Path(root) if root else list_file.parent
        samples = []
        for number, line in enumerate(list_file.read_text().splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) > 2 or (len(parts) == 2 and not parts[1].lstrip("-").isdigit()):
                raise InputError(f"{list_file}:{number}: expected 'path [integer label]', got {line!r}")
            samples.append((self.root / parts[0], int(parts[1]) if len(parts) == 2 else -1))
        if not samples:
            raise InputError(f"file list {str(list_file)!r} names no images")
        super().__init__(samples)
