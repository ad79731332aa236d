"""Shared helpers: tiny image folders and teacher files written by the tests themselves."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from seed.config import DistillConfig, load_config
from seed.models.checkpoints import student_record
from seed.models.encoder import Encoder, projection_head
from seed.models.pretrained import build_backbone

REPO = Path(__file__).resolve().parents[1]


def make_image_folder(root: Path, classes: int = 3, per_class: int = 8, size: int = 24, seed: int = 0) -> Path:
    """root/<class>/<n>.png|jpg with random pictures (a bright square per class on noise)."""
    rng = np.random.default_rng(seed)
    for label in range(classes):
        folder = root / f"class_{label}"
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            pixels = rng.integers(0, 80, size=(size, size, 3), dtype=np.uint8)
            pixels[2 + 4 * label: 8 + 4 * label, 4:12] = 255
            extension = "jpg" if index % 2 else "png"
            Image.fromarray(pixels).save(folder / f"{index:03d}.{extension}")
    return root


def write_teacher(path: Path, arch: str = "resnet18", embed_dim: int = 16, seed: int = 0) -> Path:
    """A randomly initialised teacher in this project's exported-student format."""
    torch.manual_seed(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    backbone = build_backbone(arch)
    features = backbone.num_features
    encoder = Encoder(backbone, projection_head(features, features, embed_dim))
    torch.save(student_record(encoder, arch, {}, {}), path)
    return path


def tiny_config(tmp_path: Path, *overrides: str, teacher: Path | None = None) -> DistillConfig:
    """A seconds-long SEED run on a 24-image folder: resnet18 teacher, mobilenetv3_small_050 student."""
    data = tmp_path / "images"
    if not data.exists():
        make_image_folder(data)
    teacher = teacher or write_teacher(tmp_path / "teacher.pth")
    base = [
        f"data.path={data}", "data.batch_size=8", "data.workers=0", "data.augmentation.size=32",
        f"teacher.checkpoint={teacher}", "student.arch=mobilenetv3_small_050",
        "objective.name=seed", "objective.params.queue_size=20",
        "train.epochs=2", "train.device=cpu", "train.progress=false", "train.log_every=1",
        f"train.output_dir={tmp_path / 'run'}",
    ]
    return load_config(None, base + list(overrides))


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 600, env: dict | None = None
            ) -> subprocess.CompletedProcess:
    """Run `python -m seed ARGS` in a fresh interpreter."""
    full_env = {**os.environ, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "seed", *args], cwd=cwd or REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    return make_image_folder(tmp_path / "images")
