"""The embedded demo data: scikit-learn's bundled handwritten digits, written out as an ImageFolder.

scikit-learn ships this data set inside its wheel (sklearn/datasets/data/digits.csv.gz,
BSD-3-Clause, from the UCI "Optical Recognition of Handwritten Digits" set, CC BY 4.0):
1,797 real 8x8 grey-level scans of digits 0-9 by 43 writers. Nothing is downloaded.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class DigitScans:
    """The scans (N x 8 x 8, ink 0-16), their digits, and the demo's train/val split (indices into them)."""

    images: np.ndarray
    labels: np.ndarray
    splits: dict[str, np.ndarray]


def load_digit_scans(val_fraction: float = 0.25, seed: int = 0) -> DigitScans:
    """The bundled digits with the stratified, seeded split every embedded data set shares."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    indices = np.arange(len(digits.target))
    train, val = train_test_split(indices, test_size=val_fraction, random_state=seed, stratify=digits.target)
    return DigitScans(digits.images, digits.target, {"train": train, "val": val})


def write_digits_imagefolder(root: str | Path, val_fraction: float = 0.25, seed: int = 0) -> dict[str, Path]:
    """Write root/{train,val}/<digit>/<n>.png (8x8, 8-bit grey) with a stratified, seeded split, and the
    semi-supervised lists root/subsets/{1,10}percent.txt.

    Idempotent: an existing complete export is reused. Returns the train and val folders.
    """
    root = Path(root)
    scans = load_digit_scans(val_fraction, seed)
    folders = {"train": root / "train", "val": root / "val"}
    marker = root / ".complete"
    if marker.is_file() and marker.read_text() == f"{len(scans.splits['train'])} {len(scans.splits['val'])}" \
            and all((root / "subsets" / f"{percent}percent.txt").is_file() for percent in SUBSET_PERCENTS):
        return folders
    for split, members in scans.splits.items():
        for index in members:
            label = int(scans.labels[index])
            pixels = np.round(scans.images[index] * (255.0 / 16.0)).astype(np.uint8)
            target = folders[split] / str(label) / f"{index:04d}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels, mode="L").save(target)
    write_subset_lists(root / "subsets", scans)
    marker.write_text(f"{len(scans.splits['train'])} {len(scans.splits['val'])}")
    return folders


SUBSET_PERCENTS = (1, 10)


def write_subset_lists(folder: Path, scans: DigitScans, seed: int = 0) -> None:
    """SimCLR-style lists of labelled training files: per digit, `percent` % of its training scans (at
    least one, so every class is labelled), drawn by a seeded permutation; the 1 % list lies inside the 10 %."""
    folder.mkdir(parents=True, exist_ok=True)
    train = scans.splits["train"]
    order = np.random.default_rng(seed).permutation(len(train))
    for percent in SUBSET_PERCENTS:
        chosen = []
        for digit in range(10):
            members = [int(train[i]) for i in order if scans.labels[train[i]] == digit]
            chosen += members[:max(1, round(len(members) * percent / 100))]
        lines = [f"{index:04d}.png" for index in sorted(chosen)]
        (folder / f"{percent}percent.txt").write_text("\n".join(lines) + "\n")
