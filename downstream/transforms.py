"""The evaluation transform of a model (image size, resize, interpolation, mean/std) and where it came from.

Each setting is taken, in this order, from: the `features.*` keys a config file or the command line
sets; the data config the student file records (this project's students record what they were
trained on); the evaluation setting its layout's authors published (PUBLISHED, from their eval
code); timm's data config of the architecture (`timm:NAME` models). Records and the printed
summary carry the result and its source, so a number always says how its images were fed.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from PIL import Image
from timm.data import resolve_model_data_config

from downstream.config import FeatureConfig
from downstream.models import FrozenModel
from seed.config import IMAGENET_MEAN, IMAGENET_STD, AugmentationConfig, from_dict
from seed.data.transforms import eval_transform, student_data_config
from seed.registry import Registry

SETTINGS = ("image_size", "resize", "interpolation", "mean", "std")

# The authors' evaluation transforms, in timm's data-config terms, by checkpoint layout.
PUBLISHED: Registry[dict[str, Any]] = Registry("published evaluation transform")
_RESIZE_256_CROP_224 = {"input_size": (3, 224, 224), "crop_pct": 224 / 256, "mean": IMAGENET_MEAN, "std": IMAGENET_STD}
# MoCo v1/v2 and MoCo v3 main_lincls.py, SEED main_lincls.py: Resize(256) (torchvision's bilinear), CenterCrop(224)
for _layout in ("moco", "mocov3", "seed-official"):
    PUBLISHED.register(_layout, {**_RESIZE_256_CROP_224, "interpolation": "bilinear"})
# torchvision's classification weights (its ImageClassification preset): the same
PUBLISHED.register("torchvision", {**_RESIZE_256_CROP_224, "interpolation": "bilinear"})
# SwAV eval_linear.py: the same, with SwAV's std (0.228, not 0.229, for red)
PUBLISHED.register("swav", {**_RESIZE_256_CROP_224, "interpolation": "bilinear", "std": (0.228, 0.224, 0.225)})
# DINO eval_knn.py / eval_linear.py, DINOv2 make_classification_eval_transform: Resize(256, bicubic), CenterCrop(224)
for _layout in ("dino", "dino-student", "dino-vit", "dinov2"):
    PUBLISHED.register(_layout, {**_RESIZE_256_CROP_224, "interpolation": "bicubic"})
# SimCLR v1 in PyTorch (tonylins/simclr-converter eval.py): Resize(256), CenterCrop(256), no normalisation
PUBLISHED.register("simclr", {"input_size": (3, 256, 256), "crop_pct": 1.0, "interpolation": "bilinear",
                              "mean": (0.0, 0.0, 0.0), "std": (1.0, 1.0, 1.0)})


@dataclass(frozen=True)
class EvalTransform:
    """Resize the short side to `resize` (`interpolation`), centre-crop `image_size`, normalise."""

    image_size: int
    resize: int
    interpolation: str
    mean: tuple[float, ...]
    std: tuple[float, ...]
    source: str                        # where the settings not given explicitly came from
    overrides: tuple[str, ...] = ()    # the settings given explicitly (features.* keys)

    def key(self) -> dict[str, Any]:
        """What determines the pixels a model sees (the feature cache keys on it)."""
        return {"image_size": self.image_size, "resize": self.resize, "interpolation": self.interpolation,
                "mean": list(self.mean), "std": list(self.std)}

    def describe(self) -> dict[str, Any]:
        """The transform and its source, as records store it."""
        return {**self.key(), "source": self.source, "overrides": list(self.overrides)}

    def build(self) -> Callable[[Image.Image], torch.Tensor]:
        return eval_transform(self.image_size, self.mean, self.std, crop_fraction=self.image_size / self.resize,
                              interpolation=self.interpolation)


def summary(described: dict[str, Any]) -> str:
    """One line for people: `32 px (resize 32, bilinear), mean [...], std [...]: from the student file`."""
    given = f"; set here: {', '.join(described['overrides'])}" if described.get("overrides") else ""
    return (f"{described['image_size']} px (resize {described['resize']}, {described['interpolation']}), "
            f"mean {described['mean']}, std {described['std']}: from the {described['source']}{given}")


def recorded_data_config(path: str | Path) -> tuple[dict[str, Any], str] | None:
    """The data config a student file or run checkpoint of this project records, and its source; a
    file written before files recorded it gives the one its training config implies."""
    ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)  # weights stay on disk
    if "data_config" in ckpt:
        return ckpt["data_config"], "student file"
    augmentation = (ckpt.get("config") or {}).get("data", {}).get("augmentation")
    if augmentation is None:
        return None
    return (student_data_config(from_dict(AugmentationConfig, augmentation, str(path), "data.augmentation")),
            "student file's training config")


def _student_file(model: FrozenModel) -> tuple[dict[str, Any], str] | None:
    return recorded_data_config(model.checkpoint) if model.layout == "seed" and model.checkpoint else None


def _published(model: FrozenModel) -> tuple[dict[str, Any], str] | None:
    if model.layout not in PUBLISHED:
        return None
    return PUBLISHED.get(model.layout), f"authors' evaluation code of the {model.layout} layout"


def _timm(model: FrozenModel) -> tuple[dict[str, Any], str]:
    return resolve_model_data_config(model.backbone), f"timm data config of {model.arch}"


SOURCES: tuple[Callable[[FrozenModel], tuple[dict[str, Any], str] | None], ...] = (_student_file, _published, _timm)


def resolve_transform(cfg: FeatureConfig, model: FrozenModel) -> EvalTransform:
    """The transform `model` is evaluated with: `cfg`'s explicit settings over its first source's."""
    data, source = next(found for find in SOURCES if (found := find(model)) is not None)
    image_size = cfg.image_size or int(data["input_size"][-1])
    defaults = {"image_size": image_size, "resize": int(round(image_size / data["crop_pct"])),
                "interpolation": data["interpolation"], "mean": tuple(data["mean"]), "std": tuple(data["std"])}
    given = {name: getattr(cfg, name) for name in SETTINGS if getattr(cfg, name) is not None}
    settings = {**defaults, **{name: tuple(v) if name in ("mean", "std") else v for name, v in given.items()}}
    return EvalTransform(**settings, source=source, overrides=tuple(given))

