"""Failures of the environment and of the loss end in one line naming the file or step, the last complete
checkpoint and the command that continues; run.json records them. The disk is a real, small tmpfs."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import torch
import yaml

from seed.config import to_dict
from seed.engine.failures import NonFiniteLossError, RunFailed
from seed.engine.trainer import Trainer, distill

from conftest import assert_same_run, run_cli, tiny_config, write_teacher

CHECKPOINT_MIB = 57  # a tiny_config checkpoint (56.4 MiB): the resnet18 teacher, the student and their optimiser state


@pytest.fixture
def small_disk(tmp_path: Path):
    """A fresh tmpfs mounted at tmp_path/disk (mounting needs root); unmounted afterwards."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()

    def mount(size_mb: int, *options: str) -> Path:
        command = ["mount", "-t", "tmpfs", "-o", ",".join([f"size={size_mb}m", *options]), "tmpfs", str(mount_point)]
        mounted = subprocess.run(command, capture_output=True, text=True)
        if mounted.returncode != 0:
            pytest.skip(f"a small file system cannot be mounted here (root needed): {mounted.stderr.strip()}")
        return mount_point

    yield mount
    subprocess.run(["umount", str(mount_point)], capture_output=True)


@pytest.mark.slow
def test_a_full_disk_ends_in_one_line_and_the_resume_is_bit_exact_once_space_is_freed(tmp_path, small_disk):
    teacher = write_teacher(tmp_path / "teacher.pth")
    disk = small_disk(4 * CHECKPOINT_MIB + 20)
    filler = disk / "filler"
    filler.write_bytes(bytes((2 * CHECKPOINT_MIB - 10) * 2**20))  # leaves room for two checkpoints, not three
    run = disk / "run"
    configs = {}
    for name, output_dir in (("reference", tmp_path / "reference"), ("full", run)):
        cfg = tiny_config(tmp_path / name, "train.checkpoint_every=2", f"train.output_dir={output_dir}",
                          teacher=teacher)
        configs[name] = tmp_path / f"{name}.yaml"
        configs[name].write_text(yaml.safe_dump(to_dict(cfg)))
    reference = run_cli("distill", "--config", str(configs["reference"]))  # same interpreter settings as the rest
    assert reference.returncode == 0, reference.stderr[-3000:]

    failed = run_cli("distill", "--config", str(configs["full"]))
    assert failed.returncode == 2 and "Traceback" not in failed.stderr, failed.stderr[-3000:]
    [line] = [line for line in failed.stderr.splitlines() if "error:" in line]
    last = run / "checkpoints" / "epoch-0000-step-00000003.pth"
    assert f"no space left on the device writing {run / 'checkpoints' / 'step-00000004.pth'} at step 4" in line
    assert f"Last complete checkpoint: {last}" in line
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "failed" and record["failure"] == "no space left on the device"
    assert torch.load(last, weights_only=True)["step"] == 3

    filler.unlink()
    command = re.search(r"`seed (distill --resume \S+)`", line)[1].split()
    resumed = run_cli(*command)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert_same_run(tmp_path / "reference", run, steps=6)


def test_an_unwritable_output_folder_is_named_in_one_line(tmp_path, small_disk):
    disk = small_disk(1, "ro")
    with pytest.raises(RunFailed, match="read-only file system writing .*disk/run") as failure:
        distill(tiny_config(tmp_path, f"train.output_dir={disk / 'run'}"))
    assert "No checkpoint was written yet" in str(failure.value) and failure.value.reason == "read-only file system"


def test_running_out_of_memory_names_the_step_and_the_last_checkpoint(tmp_path, monkeypatch):
    train_step = Trainer.train_step

    def allocate_too_much_at_step_3(self, model, batch):
        train_step(self, model, batch)
        if self.step == 3:
            torch.empty(2**62, dtype=torch.uint8)  # the CPU allocator's real failure

    monkeypatch.setattr(Trainer, "train_step", allocate_too_much_at_step_3)
    with pytest.raises(RunFailed) as failure:
        distill(tiny_config(tmp_path, "train.checkpoint_every=2"))
    run = tmp_path / "run"
    message = str(failure.value)
    assert message.startswith("out of memory at step 3") and "\n" not in message
    assert f"Last complete checkpoint: {run / 'checkpoints' / 'step-00000002.pth'}" in message
    assert f"`seed distill --resume {run}`" in message
    record = json.loads((run / "run.json").read_text())
    assert record["status"] == "failed" and record["failure"] == "out of memory" and record["error"] == message


def test_non_finite_loss_stops_with_step_last_good_checkpoint_and_the_command(tmp_path):
    cfg = tiny_config(tmp_path, "optim.lr=1e30", "train.checkpoint_every=1", "train.epochs=3")
    with pytest.raises(NonFiniteLossError) as error:
        distill(cfg)
    message = str(error.value)
    step = int(message.split("at step ")[1].split()[0])
    good = tmp_path / "run" / "checkpoints" / f"step-{step - 1:08d}.pth"
    assert f"Last complete checkpoint: {good}" in message and torch.load(good, weights_only=True)["step"] == step - 1
    assert f"`seed distill --resume {tmp_path / 'run'} optim.lr=<lower>`" in message
    record = json.loads((tmp_path / "run" / "run.json").read_text())
    assert record["status"] == "failed" and record["failure"] == "non-finite loss"
