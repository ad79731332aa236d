"""Augmentation recipes (MoCo v1/v2, SimCLR, SwAV as the official SEED code defines them) and multi-view.

A recipe is data: default crop scale, colour jitter, grayscale and blur; any field
the config sets overrides the recipe. One builder turns the result into a pipeline.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import Any, Callable

import torch
from PIL import Image, ImageFilter
from torchvision import transforms as T

from seed.config import AugmentationConfig
from seed.errors import InputError
from seed.registry import Registry


@dataclass(frozen=True)
class Recipe:
    """The defaults one augmentation family uses."""

    scale: tuple[float, float]
    jitter: tuple[float, float, float, float]
    jitter_p: float
    grayscale_p: float
    blur_p: float
    grayscale_first: bool = False  # MoCo v1 / InstDisc order


TRAIN_INTERPOLATION = T.InterpolationMode.BILINEAR  # the crops' resampling (torchvision's default)

RECIPES: Registry[Recipe] = Registry("augmentation recipe")
RECIPES.register("mocov2", Recipe((0.2, 1.0), (0.4, 0.4, 0.4, 0.1), 0.8, 0.2, 0.5))
RECIPES.register("swav", Recipe((0.14, 1.0), (0.4, 0.4, 0.4, 0.1), 0.8, 0.2, 0.5))
RECIPES.register("mocov1", Recipe((0.2, 1.0), (0.4, 0.4, 0.4, 0.4), 1.0, 0.2, 0.0, grayscale_first=True))
RECIPES.register("simclr", Recipe((0.2, 1.0), (0.4, 0.4, 0.4, 0.4), 1.0, 0.2, 0.0, grayscale_first=True))


class GaussianBlur:
    """PIL Gaussian blur with sigma ~ U[0.1, 2.0], as in SimCLR/MoCo v2."""

    def __init__(self, sigma: tuple[float, float] = (0.1, 2.0)) -> None:
        self.sigma = sigma

    def __call__(self, image: Image.Image) -> Image.Image:
        return image.filter(ImageFilter.GaussianBlur(radius=random.uniform(*self.sigma)))


def resolve_recipe(cfg: AugmentationConfig) -> Recipe:
    """The named recipe with every field the config sets (not None) overriding it."""
    overrides = {name: getattr(cfg, name) for name in ("scale", "jitter", "jitter_p", "grayscale_p", "blur_p")
                 if getattr(cfg, name) is not None}
    return replace(RECIPES.get(cfg.recipe), **overrides)


def build_view_transform(cfg: AugmentationConfig, small: bool = False) -> Callable[[Image.Image], torch.Tensor]:
    """One augmented view: random-resized crop (small: `small_size`/`small_scale`), colour, blur, flip."""
    recipe = resolve_recipe(cfg)
    size, scale = (cfg.small_size, cfg.small_scale) if small else (cfg.size, recipe.scale)
    colour = [T.RandomApply([T.ColorJitter(*recipe.jitter)], p=recipe.jitter_p)] if recipe.jitter_p > 0 else []
    grey = [T.RandomGrayscale(p=recipe.grayscale_p)] if recipe.grayscale_p > 0 else []
    steps = [T.RandomResizedCrop(size, scale=scale, interpolation=TRAIN_INTERPOLATION)]
    steps += grey + colour if recipe.grayscale_first else colour + grey
    if recipe.blur_p > 0:
        steps.append(T.RandomApply([GaussianBlur()], p=recipe.blur_p))
    if cfg.hflip_p > 0:
        steps.append(T.RandomHorizontalFlip(p=cfg.hflip_p))
    steps += [T.ToTensor(), T.Normalize(cfg.mean, cfg.std)]
    return T.Compose(steps)


class MultiView:
    """image -> {"global": [view, ...], "small": [view, ...]} with the counts an objective asks for."""

    def __init__(self, cfg: AugmentationConfig, counts: dict[str, int]) -> None:
        unknown = set(counts) - {"global", "small"}
        if unknown:
            raise InputError(f"unknown view kind(s) {sorted(unknown)}; expected 'global' or 'small'")
        self.counts = counts
        self.transforms = {kind: build_view_transform(cfg, small=kind == "small") for kind in counts}

    def __call__(self, image: Image.Image) -> dict[str, list[torch.Tensor]]:
        return {kind: [self.transforms[kind](image) for _ in range(n)] for kind, n in self.counts.items()}


def eval_transform(size: int, mean: tuple[float, ...], std: tuple[float, ...], crop_fraction: float = 0.875,
                   interpolation: str = "bilinear") -> Callable[[Image.Image], torch.Tensor]:
    """Resize the short side to size / crop_fraction, centre-crop `size` (ImageNet: 256 -> 224)."""
    return T.Compose([T.Resize(int(round(size / crop_fraction)), interpolation=T.InterpolationMode(interpolation)),
                      T.CenterCrop(size), T.ToTensor(), T.Normalize(mean, std)])


def student_data_config(cfg: AugmentationConfig) -> dict[str, Any]:
    """How to feed a student trained with `cfg`, in timm's data-config terms (what
    `timm.data.resolve_model_data_config` returns): its crop size, the interpolation its
    RandomResizedCrop used (torchvision's default), its mean/std and `eval_crop_pct`.
    Student files and run checkpoints record it, so evaluation defaults to it."""
    return {"input_size": (3, cfg.size, cfg.size), "interpolation": TRAIN_INTERPOLATION.value,
            "crop_pct": cfg.eval_crop_pct, "crop_mode": "center", "mean": tuple(cfg.mean), "std": tuple(cfg.std)}
