"""Shared helpers: tiny image folders and teacher files written by the tests themselves."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from seed.config import DistillConfig, load_config
from seed.engine.checkpoint import latest_checkpoint
from seed.models.checkpoints import student_record
from seed.models.encoder import Encoder, projection_head
from seed.models.pretrained import build_backbone

REPO = Path(__file__).resolve().parents[1]
# Time limits in tests only catch a hang: on a 2-core machine shared with other work the demo alone
# has taken over an hour, so a limit is set far above any honest run, never near its usual time.
HANG_GUARD_S = 3 * 3600
PINNED_THREADS = {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}  # with --threads 2: the same numbers every run


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


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """`seed demo` once per test session, through the CLI as a user runs it: its folder (data, teacher, SEED
    and MoCo-v2 students, demo_results.json) and its output, shared by every test that needs them."""
    out = tmp_path_factory.mktemp("seed-demo") / "demo"
    result = run_cli("demo", "--out", str(out), "--threads", "2", timeout=HANG_GUARD_S, env=PINNED_THREADS)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    return make_image_folder(tmp_path / "images")


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 300) -> None:
    """Poll until `path` exists, failing with the process's stderr if it ends first."""
    deadline = time.time() + timeout
    while not path.exists():
        assert process.poll() is None and time.time() < deadline, process.stderr.read().decode()[-2000:]
        time.sleep(0.01)


def assert_interrupted_with_a_checkpoint(run: Path, stderr: str) -> None:
    """A gracefully stopped run: marked interrupted, its last step saved, the way on printed."""
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "interrupted" and record["sessions"][-1]["stopped_by"] == "SIGTERM"
    last = latest_checkpoint(run / "checkpoints")
    assert record["last_checkpoint"] == str(last) and torch.load(last, weights_only=True)["step"] == record["step"]
    assert record["step"] >= 4 and "SIGTERM" in stderr and "--resume" in stderr


def assert_same_run(expected_run: Path, got_run: Path, steps: int) -> None:
    """The resumed run ended exactly where the uninterrupted one did, and logged each step once."""
    expected = torch.load(expected_run / "student.pth", weights_only=True)
    got = torch.load(got_run / "student.pth", weights_only=True)
    for part in ("backbone", "head"):
        for key, value in expected[part].items():
            assert torch.equal(got[part][key], value), f"{part}.{key} differs after resume"
    final_ref = torch.load(latest_checkpoint(expected_run / "checkpoints"), weights_only=True)
    final_got = torch.load(latest_checkpoint(got_run / "checkpoints"), weights_only=True)
    assert final_ref["step"] == final_got["step"] == steps
    assert torch.equal(final_ref["model"]["queue.features"], final_got["model"]["queue.features"])
    assert torch.equal(final_ref["optimizer"]["state"][0]["momentum_buffer"],
                       final_got["optimizer"]["state"][0]["momentum_buffer"])
    logged = [json.loads(line)["step"] for line in (got_run / "metrics.jsonl").read_text().splitlines()]
    assert logged == list(range(1, steps + 1))  # steps redone after the stop are logged once
    assert json.loads((got_run / "run.json").read_text())["status"] == "completed"
