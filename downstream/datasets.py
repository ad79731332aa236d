"""Labelled data sets for evaluation, each read from its official on-disk format.

- imagenet: ImageFolder (`root/train`, `root/val`) or the official TSV (`root/train.tsv`, ...)
- imagefolder: any `root/<split>/<class>/<image>` tree
- cifar10 / cifar100: the official python-pickle batches (`cifar-10-batches-py`, `cifar-100-python`)
- sun397: the official image tree with `ClassName.txt` and `Partitions/Training_NN.txt` /
  `Testing_NN.txt` split files

Every builder returns a `LabelledSplit`: (PIL image, label) samples, the class names, and a
name per sample (used for semi-supervised subsets and to fingerprint the split for the cache).
"""
from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image
from torch.utils.data import Dataset

from downstream.config import EvalDataConfig
from seed.data.datasets import TSVDataset
from seed.data.folders import FileListDataset, ImageFiles, ImageFolderDataset
from seed.errors import InputError, MissingInputError
from seed.registry import Registry


@dataclass
class LabelledSplit:
    """One split of a labelled data set."""

    dataset: Dataset
    classes: list[str]
    labels: list[int]
    names: list[str]
    description: str

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def fingerprint(self) -> str:
        """sha1 of the sample names and labels: changes when the split's content list changes."""
        digest = hashlib.sha1()
        for name, label in zip(self.names, self.labels):
            digest.update(f"{name}\t{label}\n".encode())
        return digest.hexdigest()


class ArrayImages(Dataset):
    """In-memory uint8 images (N x H x W x 3) with labels, as PIL images."""

    def __init__(self, images: np.ndarray, labels: list[int]) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Image.Image, int]:
        return Image.fromarray(self.images[index]), self.labels[index]


EVAL_DATASETS: Registry[Callable[[EvalDataConfig, str], LabelledSplit]] = Registry("evaluation data set")


def dataset_name(cfg: EvalDataConfig) -> str:
    """What records call the data set: `data.name` (--dataset), else the data folder's name."""
    return cfg.name or Path(cfg.root).resolve().name


def build_split(cfg: EvalDataConfig, split: str) -> LabelledSplit:
    """The `split` of the data set, read by the format `cfg.name` registers (any other name, or none:
    an ImageFolder or TSV), checked for emptiness and class count."""
    read = EVAL_DATASETS.get(cfg.name) if cfg.name in EVAL_DATASETS else folder_or_tsv
    result = read(cfg, split)
    if len(result) == 0:
        raise InputError(f"{result.description}: holds no images")
    if cfg.num_classes is not None and len(result.classes) != cfg.num_classes:
        raise InputError(f"{result.description}: has {len(result.classes)} classes, but data.num_classes "
                         f"is {cfg.num_classes}")
    if max(result.labels) >= len(result.classes) or min(result.labels) < 0:
        raise InputError(f"{result.description}: labels run from {min(result.labels)} to {max(result.labels)}, "
                         f"outside the {len(result.classes)} classes")
    return result


def check_same_classes(train: LabelledSplit, val: LabelledSplit) -> None:
    """Training and evaluation splits must index the same classes in the same order."""
    if train.classes != val.classes:
        only_train = sorted(set(train.classes) - set(val.classes))[:5]
        only_val = sorted(set(val.classes) - set(train.classes))[:5]
        raise InputError(f"class lists differ: {train.description} has {len(train.classes)} classes, "
                         f"{val.description} has {len(val.classes)} (only in train: {only_train}; "
                         f"only in val: {only_val})")


# --- ImageFolder / ImageNet -----------------------------------------------------------------


def _image_folder(root: Path, description: str) -> LabelledSplit:
    folder = ImageFolderDataset(root)
    names = [path.relative_to(root).as_posix() for path, _ in folder.samples]
    return LabelledSplit(folder, folder.classes, [label for _, label in folder.samples], names, description)


def _tsv(path: Path, description: str) -> LabelledSplit:
    """Labels and keys come from each row's first two fields (read once, without decoding images)."""
    data = TSVDataset(path)
    keys, labels = [], []
    with open(path, "rb") as handle:
        for offset in data.reader.offsets:
            handle.seek(offset)
            key, label = handle.readline().split(b"\t", 2)[:2]
            keys.append(key.decode())
            labels.append(int(label))
    labelmap = path.with_suffix(".labelmap.tsv")
    classes = ([line.split("\t")[0] for line in labelmap.read_text().splitlines()] if labelmap.is_file()
               else [str(i) for i in range(max(labels) + 1)])
    return LabelledSplit(data, classes, labels, keys, description)


@EVAL_DATASETS.register("imagefolder")
def imagefolder(cfg: EvalDataConfig, split: str) -> LabelledSplit:
    root = Path(cfg.root) / split
    if not root.is_dir():
        raise MissingInputError(f"data.root={cfg.root}: expected the {split!r} split as the folder {root}")
    return _image_folder(root, f"{cfg.name} {split} ({root})")


@EVAL_DATASETS.register("imagenet")
def folder_or_tsv(cfg: EvalDataConfig, split: str) -> LabelledSplit:
    """ImageNet (or any data set so laid out) as an ImageFolder (root/train, root/val) or the official
    TSV (root/train.tsv)."""
    name = dataset_name(cfg)
    folder, tsv = Path(cfg.root) / split, Path(cfg.root) / f"{split}.tsv"
    if folder.is_dir():
        return _image_folder(folder, f"{name} {split} ({folder})")
    if tsv.is_file():
        return _tsv(tsv, f"{name} {split} ({tsv})")
    other_formats = ", ".join(n for n in EVAL_DATASETS.names() if n != "imagenet")
    raise MissingInputError(f"data.root={cfg.root}: expected the {name} {split!r} split as the folder {folder} or "
                            f"the TSV file {tsv} (--dataset names the other formats: {other_formats})")


# --- CIFAR ----------------------------------------------------------------------------------


CIFAR = {  # name -> (folder, train files, test files, meta file, label key, class-name key)
    "cifar10": ("cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)], ["test_batch"],
                "batches.meta", b"labels", b"label_names"),
    "cifar100": ("cifar-100-python", ["train"], ["test"], "meta", b"fine_labels", b"fine_label_names"),
}


def _unpickle(path: Path) -> dict:
    if not path.is_file():
        raise MissingInputError(f"expected the CIFAR batch file {path}")
    with open(path, "rb") as handle:
        return pickle.load(handle, encoding="bytes")


def _cifar(name: str) -> Callable[[EvalDataConfig, str], LabelledSplit]:
    folder_name, train_files, test_files, meta_file, label_key, names_key = CIFAR[name]

    def build(cfg: EvalDataConfig, split: str) -> LabelledSplit:
        root = Path(cfg.root)
        folder = root if (root / meta_file).is_file() else root / folder_name
        if split not in ("train", "test", "val"):
            raise InputError(f"{name} has the splits train and test (val is read as test), not {split!r}")
        files = train_files if split == "train" else test_files
        batches = [_unpickle(folder / f) for f in files]
        images = np.concatenate([b[b"data"] for b in batches]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        labels = [int(x) for b in batches for x in b[label_key]]
        classes = [c.decode() for c in _unpickle(folder / meta_file)[names_key]]
        names = [f"{split}/{i}" for i in range(len(labels))]
        return LabelledSplit(ArrayImages(np.ascontiguousarray(images), labels), classes, labels, names,
                             f"{name} {split} ({folder})")

    return build


for _name in CIFAR:
    EVAL_DATASETS.register(_name, _cifar(_name))


# --- SUN-397 --------------------------------------------------------------------------------


def _find(root: Path, name: str) -> Path:
    for candidate in (root / "Partitions" / name, root / name):
        if candidate.is_file():
            return candidate
    raise MissingInputError(f"SUN-397: expected the split file {root / 'Partitions' / name} (or {root / name})")


@EVAL_DATASETS.register("sun397")
def sun397(cfg: EvalDataConfig, split: str) -> LabelledSplit:
    """SUN-397 with its official 10 train/test partitions (`data.partition` picks one)."""
    root = Path(cfg.root)
    classes = [line.strip() for line in _find(root, "ClassName.txt").read_text().splitlines() if line.strip()]
    index = {name: i for i, name in enumerate(classes)}
    kind = {"train": "Training", "val": "Testing", "test": "Testing"}.get(split)
    if kind is None:
        raise InputError(f"sun397 has the splits train and test (val is read as test), not {split!r}")
    listing = _find(root, f"{kind}_{cfg.partition:02d}.txt")
    names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    labels = []
    for name in names:
        category = name.rsplit("/", 1)[0]
        if category not in index:
            raise InputError(f"{listing}: {name} belongs to {category!r}, which ClassName.txt does not list")
        labels.append(index[category])
    paths = [root / name.lstrip("/") for name in names]
    missing = [str(p) for p in paths[:1000] if not p.is_file()]
    if missing:
        raise MissingInputError(f"{listing} names images that are not under {root}: {missing[:3]}")
    return LabelledSplit(ImageFiles(list(zip(paths, labels))), classes, labels, names,
                         f"sun397 {split} ({listing})")


# --- semi-supervised subsets -----------------------------------------------------------------


def subset_indices(train: LabelledSplit, list_file: str | Path) -> list[int]:
    """Indices of the training samples named in a SimCLR-style subset list (one file name per
    line, e.g. `n01440764_10026.JPEG`); every listed name must be found, and every class of the
    split must have an image (the probe is scored on all of them)."""
    list_file = Path(list_file)
    if not list_file.is_file():
        raise MissingInputError(f"data.subset: the subset list {list_file} does not exist")
    wanted = [line.strip() for line in list_file.read_text().splitlines() if line.strip()]
    by_name = {Path(name).name: i for i, name in enumerate(train.names)}
    missing = [name for name in wanted if Path(name).name not in by_name]
    if missing:
        raise InputError(f"{list_file}: {len(missing)} listed image(s) are not in {train.description}, "
                         f"e.g. {missing[:3]}")
    if not wanted:
        raise InputError(f"{list_file}: the subset list is empty")
    rows = sorted(by_name[Path(name).name] for name in wanted)
    absent = sorted(set(range(len(train.classes))) - {train.labels[row] for row in rows})
    if absent:
        names = ", ".join(train.classes[label] for label in absent[:10]) + (", ..." if len(absent) > 10 else "")
        raise InputError(f"{list_file}: the subset has no image of {len(absent)} of the {len(train.classes)} "
                         f"classes of {train.description} ({names}); the probe could never predict them: "
                         f"list at least one image per class")
    return rows


@EVAL_DATASETS.register("filelist")
def filelist(cfg: EvalDataConfig, split: str) -> LabelledSplit:
    """`root/<split>.txt` lists `relative/path label` lines (paths relative to root)."""
    listing = Path(cfg.root) / f"{split}.txt"
    data = FileListDataset(listing, cfg.root)
    labels = [label for _, label in data.samples]
    if min(labels) < 0:
        raise InputError(f"{listing}: every line needs a label for evaluation")
    names = [path.relative_to(cfg.root).as_posix() for path, _ in data.samples]
    return LabelledSplit(data, [str(i) for i in range(max(labels) + 1)], labels, names, f"filelist {split} ({listing})")
