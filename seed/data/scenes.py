"""Digit scenes: small multi-object images built from the real digit scans, for detection and segmentation.

Each scene is 96-128 px on a side, a mildly textured dark background with 1-4 digits pasted on it,
each scaled to 16-48 px and placed so that no two overlap by more than a tenth of the smaller one.
A scene draws its digits only from its own split of the scans (the demo's split), and every scene is
seeded by (seed, split, index) alone, so scene i is the same whatever the number of scenes asked for.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
from PIL import Image

from seed.data.digits import DigitScans

SCENE_SIDE = (96, 128)
DIGIT_SIDE = (16, 48)
DIGITS_PER_SCENE = (1, 4)
MAX_OVERLAP = 0.1  # of the smaller of two digits' boxes
PLACEMENT_TRIES = 50
FOREGROUND = 0.5  # ink level (0-1) from which a pixel belongs to its digit
SPLIT_CODES = {"train": 0, "val": 1}


@dataclass(frozen=True)
class SceneDigit:
    """One pasted digit: its scan's index among the 1,797, its digit, its visible mask and that mask's box."""

    source: int
    digit: int
    mask: np.ndarray  # H x W bool, the pixels this digit shows (later digits paint over earlier ones)
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1/y1 exclusive: the tight box of `mask`


@dataclass(frozen=True)
class Scene:
    """One scene: its file stem, split, RGB image and the digits on it."""

    name: str
    split: str
    image: np.ndarray  # H x W x 3 uint8
    digits: list[SceneDigit]

    @property
    def height(self) -> int:
        return self.image.shape[0]

    @property
    def width(self) -> int:
        return self.image.shape[1]


def compose_scenes(scans: DigitScans, split: str, count: int, seed: int = 0) -> Iterator[Scene]:
    """Yield `count` scenes of `split` ("train" or "val"), each from that split's scans only."""
    pool = np.sort(scans.splits[split])
    for index in range(count):
        rng = np.random.default_rng([seed, SPLIT_CODES[split], index])
        yield _compose(scans, pool, rng, f"{split}_{index:05d}", split)


def _compose(scans: DigitScans, pool: np.ndarray, rng: np.random.Generator, name: str, split: str) -> Scene:
    height, width = (int(side) for side in rng.integers(SCENE_SIDE[0], SCENE_SIDE[1] + 1, size=2))
    image = _background(rng, height, width)
    owner = np.full((height, width), -1, dtype=np.int64)  # which pasted digit each pixel shows
    placed: list[tuple[int, tuple[int, int, int, int]]] = []  # (source, full box) per pasted digit
    for _ in range(int(rng.integers(DIGITS_PER_SCENE[0], DIGITS_PER_SCENE[1] + 1))):
        source = int(rng.choice(pool))
        ink = _scaled_ink(scans.images[source], int(rng.integers(DIGIT_SIDE[0], DIGIT_SIDE[1] + 1)))
        corner = _free_corner(rng, ink >= FOREGROUND, (height, width), [box for _, box in placed])
        if corner is None:
            continue
        top, left = corner
        side = ink.shape[0]
        alpha = ink[..., None]
        region = image[top:top + side, left:left + side]
        image[top:top + side, left:left + side] = region * (1 - alpha) + rng.uniform(170, 255) * alpha
        owner[top:top + side, left:left + side][ink >= FOREGROUND] = len(placed)
        placed.append((source, _shift(_tight_box(ink >= FOREGROUND), left, top)))
    digits = []
    for number, (source, _) in enumerate(placed):
        mask = owner == number
        digits.append(SceneDigit(source, int(scans.labels[source]), mask, _tight_box(mask)))
    return Scene(name, split, np.clip(np.round(image), 0, 255).astype(np.uint8), digits)


def _background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A dark, faintly tinted background with soft blotches and fine grain (H x W x 3 float)."""
    blotches = _resize(rng.normal(0.0, 1.0, (4, 4)), (height, width)) * 10.0
    grain = rng.normal(0.0, 4.0, (height, width))
    tint = rng.uniform(-8.0, 8.0, 3)
    return rng.uniform(25.0, 70.0) + (blotches + grain)[..., None] + tint


def _scaled_ink(scan: np.ndarray, side: int) -> np.ndarray:
    """The 8x8 scan (ink 0-16) resized to side x side, as ink levels in [0, 1]."""
    return np.clip(_resize(scan / 16.0, (side, side)), 0.0, 1.0)


def _resize(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bicubic resize of a 2-D float array to (height, width)."""
    picture = Image.fromarray(values.astype(np.float32))
    return np.asarray(picture.resize((shape[1], shape[0]), Image.Resampling.BICUBIC), dtype=np.float64)


def _free_corner(rng: np.random.Generator, foreground: np.ndarray, scene: tuple[int, int],
                 boxes: list[tuple[int, int, int, int]]) -> tuple[int, int] | None:
    """A random (top, left) where the digit's box overlaps no placed box by more than MAX_OVERLAP, or None."""
    side = foreground.shape[0]
    own = _tight_box(foreground)
    for _ in range(PLACEMENT_TRIES):
        top, left = int(rng.integers(0, scene[0] - side + 1)), int(rng.integers(0, scene[1] - side + 1))
        box = _shift(own, left, top)
        if all(_overlap(box, other) <= MAX_OVERLAP for other in boxes):
            return top, left
    return None


def _tight_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 (exclusive) of the True pixels of a 2-D mask."""
    rows, columns = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return int(columns[0]), int(rows[0]), int(columns[-1]) + 1, int(rows[-1]) + 1


def _shift(box: tuple[int, int, int, int], dx: int, dy: int) -> tuple[int, int, int, int]:
    return box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection area over the smaller box's area."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return width * height / smaller
